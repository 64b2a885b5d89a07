//! The audit log: who did what to which object, when and why. Written in the same transaction as the change.

use crate::{Result, Store, now_ms};
use sqlx::{Any, Transaction};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub reason: Option<String>,
    pub region_code: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Only records about objects in these subtrees (`None` = everything).
    pub roots: Option<Vec<String>>,
}

pub struct NewAudit<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub object: &'a str,
    pub reason: Option<&'a str>,
    pub region_code: Option<&'a str>,
}

impl Store {
    pub async fn audit(tx: &mut Transaction<'static, Any>, a: NewAudit<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, object, reason, region_code) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(now_ms())
        .bind(a.actor)
        .bind(a.action)
        .bind(a.object)
        .bind(a.reason)
        .bind(a.region_code)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Many audit records at this moment, in one statement per few hundred.
    pub async fn audit_many(tx: &mut Transaction<'static, Any>, records: &[NewAudit<'_>]) -> Result<()> {
        use crate::register::Val;
        let at = now_ms();
        let rows: Vec<Vec<Val>> = records
            .iter()
            .map(|a| {
                vec![
                    Val::Int(at),
                    Val::from(a.actor),
                    Val::from(a.action),
                    Val::from(a.object),
                    Val::Text(a.reason.map(str::to_string)),
                    Val::Text(a.region_code.map(str::to_string)),
                ]
            })
            .collect();
        crate::register::insert_batch(
            tx,
            "audit_log",
            &["at", "actor", "action", "object", "reason", "region_code"],
            &rows,
        )
        .await
    }

    /// Newest first; `before_id` pages backwards.
    pub async fn audit_list(
        &self,
        f: &AuditFilter,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<AuditRecord>, i64)> {
        let mut wh = vec![
            "($1 = '' OR actor = $1)".to_string(),
            "($2 = '' OR action = $2)".into(),
            "at >= $3".into(),
            "at <= $4".into(),
        ];
        if let Some(roots) = &f.roots {
            // Records without a region (e.g. logins of others) are visible to admins only.
            // Roots are inlined: `prefix_range` yields digits only (or an empty range), so nothing can be injected.
            let mut ors: Vec<String> = roots
                .iter()
                .map(|r| {
                    let (lo, hi) = crate::prefix_range(r);
                    format!("(region_code >= '{lo}' AND region_code < '{hi}')")
                })
                .collect();
            if ors.is_empty() {
                ors.push("1 = 0".into());
            }
            wh.push(format!("({})", ors.join(" OR ")));
        }
        let where_sql = wh.join(" AND ");
        let actor = f.actor.clone().unwrap_or_default();
        let action = f.action.clone().unwrap_or_default();
        let from = f.from_ms.unwrap_or(i64::MIN);
        let to = f.to_ms.unwrap_or(i64::MAX);
        type R = (i64, i64, String, String, String, Option<String>, Option<String>);
        let rows: Vec<R> = sqlx::query_as(&format!(
            "SELECT id, at, actor, action, object, reason, region_code FROM audit_log WHERE {where_sql} AND id < $5 ORDER BY id DESC LIMIT $6"
        ))
        .bind(&actor)
        .bind(&action)
        .bind(from)
        .bind(to)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM audit_log WHERE {where_sql}"))
            .bind(&actor)
            .bind(&action)
            .bind(from)
            .bind(to)
            .fetch_one(self.pool())
            .await?;
        Ok((
            rows.into_iter()
                .map(|(id, at, actor, action, object, reason, region_code)| AuditRecord {
                    id,
                    at,
                    actor,
                    action,
                    object,
                    reason,
                    region_code,
                })
                .collect(),
            total,
        ))
    }
}
