//! Reading the audit log (admin everywhere; district staff within their district), and writing single records.

use crate::paging::{self, Page};
use crate::{App, AppError, Result};
use serde::Serialize;
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::audit::{AuditFilter, NewAudit};
use wangge_store::{Store, StoreError};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    /// RFC 3339 in China Standard Time.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub reason: Option<String>,
    #[serde(skip)]
    pub id: i64,
}

pub fn format_time(ms: i64) -> String {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&cst).to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
        .unwrap_or_default()
}

/// Accepts RFC 3339 or a plain date (start of that day, China time).
pub fn parse_time(field: &str, s: &str) -> Result<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let cst = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
        if let Some(t) = d.and_hms_opt(0, 0, 0).and_then(|n| n.and_local_timezone(cst).single()) {
            return Ok(t.timestamp_millis());
        }
    }
    Err(AppError::field(field, "时间格式应为 2026-01-31 或 RFC 3339 / expected a date or RFC 3339 time"))
}

/// The end of a range: an RFC 3339 time as given; a plain date means the whole of that day, so that
/// `from=2026-01-31&to=2026-01-31` holds what happened on the 31st.
pub fn parse_end_time(field: &str, s: &str) -> Result<i64> {
    let t = parse_time(field, s)?;
    let plain_date = chrono::DateTime::parse_from_rfc3339(s).is_err();
    Ok(if plain_date { t + 24 * 3_600_000 - 1 } else { t })
}

pub struct AuditQuery<'a> {
    pub actor: Option<&'a str>,
    pub action: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub limit: Option<i64>,
    pub cursor: Option<&'a str>,
}

impl App {
    pub async fn list_audit(&self, actor: &Actor, q: AuditQuery<'_>) -> Result<Page<AuditView>> {
        self.authorize_anywhere(actor, Permission::ReadAudit)?;
        let limit = paging::limit(q.limit)?;
        let filter = AuditFilter {
            actor: q.actor.filter(|s| !s.is_empty()).map(str::to_string),
            action: q.action.filter(|s| !s.is_empty()).map(str::to_string),
            from_ms: q.from.filter(|s| !s.is_empty()).map(|s| parse_time("from", s)).transpose()?,
            to_ms: q.to.filter(|s| !s.is_empty()).map(|s| parse_end_time("to", s)).transpose()?,
            roots: actor.roots(Permission::ReadAudit),
        };
        let (rows, total) = self.store.audit_list(&filter, paging::int_cursor(q.cursor)?, limit).await?;
        let items = rows
            .into_iter()
            .map(|r| AuditView {
                at: format_time(r.at),
                actor: r.actor,
                action: r.action,
                object: r.object,
                reason: r.reason,
                id: r.id,
            })
            .collect();
        Ok(paging::page(items, limit, total, |a: &AuditView| a.id.to_string()))
    }

    /// A single audit record in its own transaction (for events with no other write, like login or reveal).
    pub async fn audit_now(
        &self,
        actor: &Actor,
        action: &str,
        object: &str,
        reason: Option<&str>,
        region: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.store.begin().await?;
        Store::audit(&mut tx, NewAudit { actor: &actor.username, action, object, reason, region_code: region }).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
