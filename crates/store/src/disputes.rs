//! Disputes as stored: the dispute row (changed under an optimistic version), its parties (numbers arrive and
//! leave encrypted and masked), every step, and the type taxonomy.

use crate::register::{Val, insert_returning_ids};
use crate::sql::{Bind, Sql, roots_clause};
use crate::{Result, Store, StoreError, now_ms};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DisputeRow {
    pub id: i64,
    pub grid_code: String,
    pub region_code: String,
    pub level: String,
    pub difficulty: String,
    pub type_code: String,
    pub title: String,
    pub facts: String,
    pub amount_fen: Option<i64>,
    pub risk_escalation: bool,
    pub source: String,
    pub event_id: Option<i64>,
    pub status: String,
    pub version: i64,
    pub mediator: String,
    pub registered_by: String,
    pub registered_at: i64,
    pub accepted_at: Option<i64>,
    pub due_at: Option<i64>,
    pub agreed_at: Option<i64>,
    pub agreement: String,
    pub follow_up_due_at: Option<i64>,
    pub followed_up_at: Option<i64>,
    pub fulfilled: Option<bool>,
    pub referral_target: String,
    pub referral_outcome: String,
    pub referral_resolved: Option<bool>,
    pub closed_at: Option<i64>,
    pub updated_at: i64,
}

const COLS: &str = "id, grid_code, region_code, level, difficulty, type_code, title, facts, amount_fen, \
     risk_escalation, source, event_id, status, version, mediator, registered_by, registered_at, accepted_at, due_at, \
     agreed_at, agreement, follow_up_due_at, followed_up_at, fulfilled, referral_target, referral_outcome, \
     referral_resolved, closed_at, updated_at";

fn flag(v: Option<i64>) -> Option<bool> {
    v.map(|v| v != 0)
}

fn dispute_row(r: &AnyRow) -> std::result::Result<DisputeRow, sqlx::Error> {
    Ok(DisputeRow {
        id: r.try_get("id")?,
        grid_code: r.try_get("grid_code")?,
        region_code: r.try_get("region_code")?,
        level: r.try_get("level")?,
        difficulty: r.try_get("difficulty")?,
        type_code: r.try_get("type_code")?,
        title: r.try_get("title")?,
        facts: r.try_get("facts")?,
        amount_fen: r.try_get("amount_fen")?,
        risk_escalation: r.try_get::<i64, _>("risk_escalation")? != 0,
        source: r.try_get("source")?,
        event_id: r.try_get("event_id")?,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        mediator: r.try_get("mediator")?,
        registered_by: r.try_get("registered_by")?,
        registered_at: r.try_get("registered_at")?,
        accepted_at: r.try_get("accepted_at")?,
        due_at: r.try_get("due_at")?,
        agreed_at: r.try_get("agreed_at")?,
        agreement: r.try_get("agreement")?,
        follow_up_due_at: r.try_get("follow_up_due_at")?,
        followed_up_at: r.try_get("followed_up_at")?,
        fulfilled: flag(r.try_get("fulfilled")?),
        referral_target: r.try_get("referral_target")?,
        referral_outcome: r.try_get("referral_outcome")?,
        referral_resolved: flag(r.try_get("referral_resolved")?),
        closed_at: r.try_get("closed_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartyRow {
    pub id: i64,
    pub dispute_id: i64,
    pub role: String,
    pub person_id: Option<i64>,
    pub name: String,
    pub phone_enc: Option<String>,
    pub phone_masked: Option<String>,
    pub id_number_enc: Option<String>,
    pub id_number_masked: Option<String>,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DisputeActionRow {
    pub id: i64,
    pub action: String,
    pub actor: String,
    pub at: i64,
    pub note: String,
    pub data: String,
}

/// Which disputes a list shows.
#[derive(Debug, Clone, Default)]
pub struct DisputeFilter {
    /// Subtrees by grid (code prefixes); `None` = everywhere.
    pub roots: Option<Vec<String>>,
    pub statuses: Vec<String>,
    pub type_code: Option<String>,
    /// Only those mediated by this region now (exactly).
    pub region_code: Option<String>,
    /// Overdue at this instant: mediating past its due day, or agreed with the follow-up past due.
    pub overdue_at: Option<i64>,
    /// Only those with a party who is this register person.
    pub person_id: Option<i64>,
}

/// One dispute's facts for statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeFact {
    pub grid_code: String,
    pub type_code: String,
    pub status: String,
    pub registered_at: i64,
    pub agreed_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub fulfilled: Option<bool>,
    pub risk_escalation: bool,
    /// Mediation failed at least once (a `fail` step, or an agreement that did not hold).
    pub failed: bool,
}

fn where_clause(f: &DisputeFilter, sql: &mut Sql) -> String {
    let mut wh = vec![roots_clause(sql, "grid_code", f.roots.as_deref())];
    if !f.statuses.is_empty() {
        let list: Vec<String> = f.statuses.iter().map(|s| sql.arg(Bind::Text(s.clone()))).collect();
        wh.push(format!("status IN ({})", list.join(", ")));
    }
    if let Some(t) = &f.type_code {
        wh.push(format!("type_code = {}", sql.arg(Bind::Text(t.clone()))));
    }
    if let Some(r) = &f.region_code {
        wh.push(format!("region_code = {}", sql.arg(Bind::Text(r.clone()))));
    }
    if let Some(at) = f.overdue_at {
        let a = sql.arg(Bind::Int(at));
        wh.push(format!("((status = 'mediating' AND due_at < {a}) OR (status = 'agreed' AND follow_up_due_at < {a}))"));
    }
    if let Some(p) = f.person_id {
        let a = sql.arg(Bind::Int(p));
        wh.push(format!("id IN (SELECT dispute_id FROM dispute_parties WHERE person_id = {a})"));
    }
    wh.join(" AND ")
}

impl Store {
    pub async fn dispute_types(&self) -> Result<Vec<(String, String, String, bool, i64)>> {
        let rows: Vec<(String, String, String, i64, i64)> =
            sqlx::query_as("SELECT code, name, name_en, active, sort FROM dispute_types ORDER BY sort, code")
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().map(|(c, n, e, a, s)| (c, n, e, a != 0, s)).collect())
    }

    pub async fn upsert_dispute_type(
        tx: &mut Transaction<'static, Any>,
        code: &str,
        name: &str,
        name_en: &str,
        active: bool,
        sort: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO dispute_types (code, name, name_en, active, sort) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, \
             active = excluded.active, sort = excluded.sort",
        )
        .bind(code)
        .bind(name)
        .bind(name_en)
        .bind(active as i64)
        .bind(sort)
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "dispute type"))?;
        Ok(())
    }

    pub async fn insert_dispute(tx: &mut Transaction<'static, Any>, d: &DisputeRow) -> Result<i64> {
        let cols = [
            "grid_code",
            "region_code",
            "level",
            "difficulty",
            "type_code",
            "title",
            "facts",
            "amount_fen",
            "risk_escalation",
            "source",
            "event_id",
            "status",
            "registered_by",
            "registered_at",
            "updated_at",
        ];
        let row = vec![
            Val::Text(Some(d.grid_code.clone())),
            Val::Text(Some(d.region_code.clone())),
            Val::Text(Some(d.level.clone())),
            Val::Text(Some(d.difficulty.clone())),
            Val::Text(Some(d.type_code.clone())),
            Val::Text(Some(d.title.clone())),
            Val::Text(Some(d.facts.clone())),
            Val::IntOpt(d.amount_fen),
            Val::Int(d.risk_escalation as i64),
            Val::Text(Some(d.source.clone())),
            Val::IntOpt(d.event_id),
            Val::Text(Some(d.status.clone())),
            Val::Text(Some(d.registered_by.clone())),
            Val::Int(d.registered_at),
            Val::Int(d.registered_at),
        ];
        let ids = insert_returning_ids(tx, "disputes", &cols, &[row]).await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("dispute insert returned no id".into()))
    }

    pub async fn insert_party(tx: &mut Transaction<'static, Any>, p: &PartyRow) -> Result<i64> {
        let cols = [
            "dispute_id",
            "role",
            "person_id",
            "name",
            "phone_enc",
            "phone_masked",
            "id_number_enc",
            "id_number_masked",
            "address",
        ];
        let row = vec![
            Val::Int(p.dispute_id),
            Val::Text(Some(p.role.clone())),
            Val::IntOpt(p.person_id),
            Val::Text(Some(p.name.clone())),
            Val::Text(p.phone_enc.clone()),
            Val::Text(p.phone_masked.clone()),
            Val::Text(p.id_number_enc.clone()),
            Val::Text(p.id_number_masked.clone()),
            Val::Text(Some(p.address.clone())),
        ];
        let ids = insert_returning_ids(tx, "dispute_parties", &cols, &[row]).await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("party insert returned no id".into()))
    }

    /// Writes the changed dispute if nobody changed it meanwhile (409 otherwise); returns the new version.
    pub async fn save_dispute(tx: &mut Transaction<'static, Any>, d: &DisputeRow) -> Result<i64> {
        let done = sqlx::query(
            "UPDATE disputes SET status = $1, version = version + 1, region_code = $2, level = $3, mediator = $4, \
             accepted_at = $5, due_at = $6, agreed_at = $7, agreement = $8, follow_up_due_at = $9, \
             followed_up_at = $10, fulfilled = $11, referral_target = $12, referral_outcome = $13, \
             referral_resolved = $14, closed_at = $15, updated_at = $16 WHERE id = $17 AND version = $18",
        )
        .bind(&d.status)
        .bind(&d.region_code)
        .bind(&d.level)
        .bind(&d.mediator)
        .bind(d.accepted_at)
        .bind(d.due_at)
        .bind(d.agreed_at)
        .bind(&d.agreement)
        .bind(d.follow_up_due_at)
        .bind(d.followed_up_at)
        .bind(d.fulfilled.map(i64::from))
        .bind(&d.referral_target)
        .bind(&d.referral_outcome)
        .bind(d.referral_resolved.map(i64::from))
        .bind(d.closed_at)
        .bind(now_ms())
        .bind(d.id)
        .bind(d.version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("dispute {} changed meanwhile", d.id)));
        }
        Ok(d.version + 1)
    }

    pub async fn insert_dispute_action(
        tx: &mut Transaction<'static, Any>,
        dispute_id: i64,
        action: &str,
        actor: &str,
        note: &str,
        data: &str,
    ) -> Result<i64> {
        let row = vec![
            Val::Int(dispute_id),
            Val::Text(Some(action.into())),
            Val::Text(Some(actor.into())),
            Val::Int(now_ms()),
            Val::Text(Some(note.into())),
            Val::Text(Some(data.into())),
        ];
        let ids = insert_returning_ids(
            tx,
            "dispute_actions",
            &["dispute_id", "action", "actor", "at", "note", "data"],
            &[row],
        )
        .await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("dispute action insert returned no id".into()))
    }

    pub async fn dispute(&self, id: i64) -> Result<DisputeRow> {
        let row = sqlx::query(&format!("SELECT {COLS} FROM disputes WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(dispute_row(&row)?)
    }

    pub async fn dispute_parties(&self, dispute_id: i64) -> Result<Vec<PartyRow>> {
        let rows = sqlx::query(
            "SELECT id, dispute_id, role, person_id, name, phone_enc, phone_masked, id_number_enc, \
             id_number_masked, address FROM dispute_parties WHERE dispute_id = $1 ORDER BY id",
        )
        .bind(dispute_id)
        .fetch_all(self.pool())
        .await?;
        let party = |r: &AnyRow| -> std::result::Result<PartyRow, sqlx::Error> {
            Ok(PartyRow {
                id: r.try_get("id")?,
                dispute_id: r.try_get("dispute_id")?,
                role: r.try_get("role")?,
                person_id: r.try_get("person_id")?,
                name: r.try_get("name")?,
                phone_enc: r.try_get("phone_enc")?,
                phone_masked: r.try_get("phone_masked")?,
                id_number_enc: r.try_get("id_number_enc")?,
                id_number_masked: r.try_get("id_number_masked")?,
                address: r.try_get("address")?,
            })
        };
        Ok(rows.iter().map(party).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    pub async fn dispute_actions(&self, dispute_id: i64) -> Result<Vec<DisputeActionRow>> {
        let rows: Vec<(i64, String, String, i64, String, String)> = sqlx::query_as(
            "SELECT id, action, actor, at, note, data FROM dispute_actions WHERE dispute_id = $1 ORDER BY id",
        )
        .bind(dispute_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, action, actor, at, note, data)| DisputeActionRow { id, action, actor, at, note, data })
            .collect())
    }

    /// Newest first, a page before `before_id`, with the total matching.
    pub async fn disputes(
        &self,
        f: &DisputeFilter,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<DisputeRow>, i64)> {
        let mut count = Sql::default();
        let wh = where_clause(f, &mut count);
        count.text = format!("SELECT COUNT(*) FROM disputes WHERE {wh}");
        let total: i64 = count.query().fetch_one(self.pool()).await?.try_get(0)?;
        let mut page = Sql::default();
        let mut wh = where_clause(f, &mut page);
        if let Some(b) = before_id {
            wh.push_str(&format!(" AND id < {}", page.arg(Bind::Int(b))));
        }
        let lim = page.arg(Bind::Int(limit));
        page.text = format!("SELECT {COLS} FROM disputes WHERE {wh} ORDER BY id DESC LIMIT {lim}");
        let rows = page.query().fetch_all(self.pool()).await?;
        Ok((rows.iter().map(dispute_row).collect::<std::result::Result<Vec<_>, _>>()?, total))
    }

    /// The facts statistics are computed from, for disputes registered in `[from, to)` in the subtrees.
    pub async fn dispute_facts(&self, roots: &Option<Vec<String>>, from: i64, to: i64) -> Result<Vec<DisputeFact>> {
        let f = DisputeFilter { roots: roots.clone(), ..Default::default() };
        let mut sql = Sql::default();
        let wh = where_clause(&f, &mut sql);
        let (a, b) = (sql.arg(Bind::Int(from)), sql.arg(Bind::Int(to)));
        sql.text = format!(
            "SELECT grid_code, type_code, status, registered_at, agreed_at, closed_at, fulfilled, risk_escalation, \
             (SELECT COUNT(*) FROM dispute_actions x WHERE x.dispute_id = disputes.id AND x.action = 'fail') AS fails \
             FROM disputes WHERE {wh} AND registered_at >= {a} AND registered_at < {b}"
        );
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let fulfilled = flag(r.try_get("fulfilled")?);
            out.push(DisputeFact {
                grid_code: r.try_get("grid_code")?,
                type_code: r.try_get("type_code")?,
                status: r.try_get("status")?,
                registered_at: r.try_get("registered_at")?,
                agreed_at: r.try_get("agreed_at")?,
                closed_at: r.try_get("closed_at")?,
                fulfilled,
                risk_escalation: r.try_get::<i64, _>("risk_escalation")? != 0,
                failed: r.try_get::<i64, _>("fails")? > 0 || fulfilled == Some(false),
            });
        }
        Ok(out)
    }
}
