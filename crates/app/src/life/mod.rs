//! Community life (社区共建, issue #9), the staff side: 议事会议 (`meetings`), 志愿服务 and the 时间银行
//! (`volunteers`), 共建单位 and social organizations (`co_building`), 党建引领 (`party`), and the public-safe reads
//! the portal shows (`public`). One function per intent, each taking the caller; every write is one transaction
//! with its audit record.
//!
//! Scope: records sit on a community (or a street); reading them is `ReadCommunityLife` at community granularity
//! (a grid worker reads their community's records, `domain::life::read_roots`); keeping them is
//! `ManageCommunityLife` on the record's region; party members and attendance need `ReadPartyMembers`.

pub mod co_building;
mod demo;
pub mod meetings;
pub mod party;
pub mod public;
pub mod volunteers;

use crate::audit::format_time;
use crate::{App, AppError, ErrorKind, Result};
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use wangge_domain::life;
use wangge_domain::region::RegionLevel;
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::{Any, Store, Transaction};

/// One line of text: trimmed, `min..=max` characters, no control characters.
pub(crate) fn line(field: &str, s: &str, min: usize, max: usize) -> Result<String> {
    let s = s.trim();
    let n = s.chars().count();
    if n < min {
        return Err(AppError::field(field, "必填 / required"));
    }
    if n > max {
        return Err(AppError::field(field, format!("不能超过{max}字 / longer than {max} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(AppError::field(field, "含有控制字符 / holds control characters"));
    }
    Ok(s.to_string())
}

/// Several lines of text (minutes, a summary): line breaks kept (CRLF read as LF), other control characters
/// refused, `min..=max` characters.
pub(crate) fn block(field: &str, s: &str, min: usize, max: usize) -> Result<String> {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(AppError::field(field, "含有控制字符 / holds control characters"));
    }
    let s = s.trim().to_string();
    let n = s.chars().count();
    if n < min {
        return Err(AppError::field(field, "必填 / required"));
    }
    if n > max {
        return Err(AppError::field(field, format!("不能超过{max}字 / longer than {max} characters")));
    }
    Ok(s)
}

/// A day `YYYY-MM-DD`, or `None` when empty.
pub(crate) fn opt_day(field: &str, s: Option<&str>) -> Result<Option<NaiveDate>> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(|s| crate::people::parse_date(field, s)).transpose()
}

/// A time as typed: RFC 3339, or a local China time `YYYY-MM-DDTHH:MM[:SS]` / `YYYY-MM-DD HH:MM` (what a
/// browser's datetime-local field sends).
pub(crate) fn parse_local_time(field: &str, s: &str) -> Result<i64> {
    let s = s.trim();
    if s.is_empty() {
        return Err(AppError::field(field, "必填 / required"));
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    let t = s.replace(' ', "T");
    let parsed = NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| AppError::field(field, "时间格式应为 2026-12-01 19:00 / expected a time like 2026-12-01 19:00"))?;
    wangge_domain::event::calendar::cst()
        .from_local_datetime(&parsed)
        .single()
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| AppError::field(field, "时间无效 / invalid time"))
}

pub(crate) fn fmt(ms: i64) -> String {
    format_time(ms)
}

pub(crate) fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The error a refused step of a meeting or resolution becomes (409 for the state, 422/400 for a rule).
pub(crate) fn refusal(r: life::Refusal, what_zh: &str, state_zh: impl Fn(&str) -> String) -> AppError {
    match r {
        life::Refusal::State(s) => {
            AppError::conflict(format!("当前为“{}”，不能{what_zh} / not possible while it is {s}", state_zh(s)))
                .with_details(serde_json::json!({ "status": s }))
        }
        life::Refusal::Rule(field, msg) => AppError::rule(field, msg),
    }
}

/// The figures of the 社区共建 overview page.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct LifeOverview {
    pub scheduled_meetings: i64,
    pub overdue_resolutions: i64,
    pub volunteers: i64,
    pub upcoming_activities: i64,
    pub co_building_units: i64,
    pub social_organizations: i64,
    pub party_organizations: i64,
}

/// A versioned write that lost to another one: "it changed meanwhile" (409).
pub(crate) fn stale() -> AppError {
    AppError::conflict("已被他人更新，请刷新 / it changed meanwhile; reload it")
}

/// A store error of a versioned write: a lost race is [`stale`], anything else as usual.
pub(crate) fn stale_on_conflict(e: wangge_store::StoreError) -> AppError {
    match e {
        wangge_store::StoreError::Conflict(_) => stale(),
        e => e.into(),
    }
}

/// A store error of an insert under a unique key: the clash is a 409 naming `field`, anything else as usual.
pub(crate) fn taken(field: &'static str, message: &'static str) -> impl Fn(wangge_store::StoreError) -> AppError {
    move |e| match e {
        wangge_store::StoreError::Conflict(_) => {
            AppError::conflict(message).with_details(serde_json::json!({ "field": field }))
        }
        e => e.into(),
    }
}

impl App {
    /// Counts for the overview page, over the caller's scope.
    pub async fn life_overview(&self, actor: &Actor) -> Result<LifeOverview> {
        let roots = self.life_list_roots(actor, Permission::ReadCommunityLife, None).await?;
        let scheduled = wangge_store::life::meetings::MeetingFilter {
            roots: roots.clone(),
            status: Some(life::MeetingStatus::Scheduled.as_str().into()),
            ..Default::default()
        };
        let (_, scheduled_meetings) = self.store.meetings(&scheduled, None, 1).await?;
        let today = ymd(crate::people::today());
        let (volunteers, upcoming_activities) = self.store.volunteer_counts(&roots, wangge_store::now_ms()).await?;
        Ok(LifeOverview {
            scheduled_meetings,
            overdue_resolutions: self.store.overdue_resolutions(&roots, &today).await?,
            volunteers,
            upcoming_activities,
            co_building_units: self.store.units(&roots, None, 0, 1).await?.1,
            social_organizations: self.store.social_orgs(&roots, None, None, 1).await?.1,
            party_organizations: self.store.party_orgs(&roots, None).await?.len() as i64,
        })
    }

    /// May `actor` read community-life records of `region` for `perm` (community granularity)? Outside: 404;
    /// inside the caller's regions but without the permission: 403.
    pub(crate) fn authorize_life_read(&self, actor: &Actor, perm: Permission, region: &str, what: &str) -> Result<()> {
        if life::may_read(actor, perm, region) {
            return Ok(());
        }
        match self.authorize(actor, perm, region) {
            Err(e) if e.kind == ErrorKind::NotFound => Err(AppError::not_found(what)),
            Err(e) => Err(e),
            // `authorize` cannot pass where `may_read` failed (read roots widen grants), but be safe.
            Ok(()) => Ok(()),
        }
    }

    /// Keeping a record of `region`: `perm` there (404 outside the caller's scope, naming only `what`; 403 when
    /// the caller may read it but not keep it).
    pub(crate) fn authorize_life_write(&self, actor: &Actor, perm: Permission, region: &str, what: &str) -> Result<()> {
        match self.authorize(actor, perm, region) {
            Ok(()) => Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound && life::may_read(actor, Permission::ReadCommunityLife, region) => {
                Err(AppError::forbidden())
            }
            Err(e) if e.kind == ErrorKind::NotFound => Err(AppError::not_found(what)),
            Err(e) => Err(e),
        }
    }

    /// The subtrees a list reads: `region` when given (authorized, must exist), otherwise every root of the caller.
    pub(crate) async fn life_list_roots(
        &self,
        actor: &Actor,
        perm: Permission,
        region: Option<&str>,
    ) -> Result<Option<Vec<String>>> {
        self.authorize_anywhere(actor, perm)?;
        match region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize_life_read(actor, perm, r, r)?;
                self.store.region(r).await?.ok_or_else(|| AppError::not_found(r))?;
                Ok(Some(vec![r.to_string()]))
            }
            None => Ok(life::read_roots(actor, perm)),
        }
    }

    /// A region a record is placed on: it must exist, be a community or (when `street_ok`) a street, and the
    /// caller must keep records there. Returns its name.
    pub(crate) async fn life_region(
        &self,
        actor: &Actor,
        field: &str,
        code: &str,
        street_ok: bool,
        perm: Permission,
    ) -> Result<String> {
        let code = code.trim();
        if code.is_empty() {
            return Err(AppError::field(field, "请选择社区 / choose a community"));
        }
        self.authorize(actor, perm, code).map_err(|e| match e.kind {
            ErrorKind::NotFound => AppError::field(field, format!("区域不存在 / no such region: {code}")),
            _ => e,
        })?;
        let r = self
            .store
            .region(code)
            .await?
            .ok_or_else(|| AppError::field(field, format!("区域不存在 / no such region: {code}")))?;
        match r.region.level {
            RegionLevel::Community => Ok(r.region.name),
            RegionLevel::Street if street_ok => Ok(r.region.name),
            _ if street_ok => Err(AppError::field(field, "应为社区或街道 / must be a community or a street")),
            _ => Err(AppError::field(field, "应为社区 / must be a community")),
        }
    }

    /// Whether the caller reads the community-life record owning an attachment.
    pub(crate) async fn may_read_life_attachment(&self, actor: &Actor, owner_kind: &str, owner_id: i64) -> bool {
        match owner_kind {
            meetings::OWNER_KIND => self.may_read_meeting(actor, owner_id).await,
            co_building::PROGRESS_OWNER => self.may_read_commitment_line(actor, owner_id).await,
            _ => false,
        }
    }

    /// Names of regions, for views. (The codes are collected before the future starts, so no borrowing iterator
    /// is held across an await.)
    pub(crate) fn life_region_names<I: IntoIterator<Item = String>>(
        &self,
        codes: I,
    ) -> impl std::future::Future<Output = Result<std::collections::HashMap<String, String>>> + Send + '_ {
        let mut codes: Vec<String> = codes.into_iter().collect();
        codes.sort();
        codes.dedup();
        async move {
            let mut out = std::collections::HashMap::new();
            for c in codes {
                if let Some(r) = self.store.region(&c).await? {
                    out.insert(c, r.region.name);
                }
            }
            Ok(out)
        }
    }
}

/// Writes the audit record of a community-life write inside its transaction.
pub(crate) async fn audit(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    action: &str,
    object: &str,
    reason: Option<&str>,
    region: &str,
) -> Result<()> {
    let region_code = Some(region).filter(|r| !r.is_empty());
    Store::audit(tx, NewAudit { actor: &actor.username, action, object, reason, region_code }).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_and_times_are_read_as_typed() {
        assert_eq!(line("topic", "  加装电梯 ", 1, 100).unwrap(), "加装电梯");
        assert_eq!(line("topic", " ", 1, 100).unwrap_err().field_name(), Some("topic"));
        assert_eq!(block("minutes", "一、\r\n二、", 1, 100).unwrap(), "一、\n二、");
        assert_eq!(block("minutes", "a\u{7}", 0, 100).unwrap_err().field_name(), Some("minutes"));
        let t = parse_local_time("starts_at", "2026-12-01T19:00").unwrap();
        assert_eq!(fmt(t), "2026-12-01T19:00:00+08:00");
        assert_eq!(parse_local_time("starts_at", "2026-12-01 19:00").unwrap(), t);
        assert_eq!(parse_local_time("starts_at", "2026-12-01T11:00:00Z").unwrap(), t);
        assert_eq!(parse_local_time("starts_at", "明天").unwrap_err().field_name(), Some("starts_at"));
        assert_eq!(opt_day("due_on", Some("")).unwrap(), None);
        assert!(opt_day("due_on", Some("2026-02-30")).is_err());
    }
}
