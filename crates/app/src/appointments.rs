//! Appointments (预约) at a community service station: the station's opening hours are data (weekday periods,
//! the 错时 evening and 周末延时 periods, the working calendar's holidays and 调休 workdays), split into slots that
//! each take a number of appointments. A booking takes its place in one statement (`Store::take_slot`), so the
//! last place of a slot goes to exactly one resident; one person holds one booking per slot.

use crate::paging::Page;
use crate::{App, AppError, ErrorKind, Result};
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use serde::{Deserialize, Serialize};
use wangge_domain::event::calendar::{cst, cst_day};
use wangge_domain::region::{RegionLevel, ancestor, is_within};
use wangge_domain::role::{Permission, Role};
use wangge_domain::scope::Actor;
use wangge_domain::service::{self as rules, AppointmentStatus, HoursKind, HoursRow, default_hours, parse_clock};
use wangge_store::audit::NewAudit;
use wangge_store::services::{AppointmentRow, HoursDbRow};
use wangge_store::{Store, StoreError, now_ms};

/// How far ahead a slot may be booked.
pub const BOOK_AHEAD_DAYS: i64 = 14;
/// Upcoming bookings one person may hold at once.
pub const MAX_OPEN_BOOKINGS: usize = 3;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HoursRowView {
    /// 1 = Monday … 7 = Sunday.
    pub weekday: u32,
    /// `08:30`.
    pub start: String,
    pub end: String,
    /// `regular` | `evening` (错时) | `weekend` (延时).
    pub kind: String,
    pub kind_name: String,
    pub slot_minutes: u32,
    /// Appointments per slot.
    pub capacity: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HoursView {
    pub community_code: String,
    pub community_name: String,
    pub rows: Vec<HoursRowView>,
    /// True when the station keeps no schedule of its own and opens with the default one.
    pub default: bool,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursRowInput {
    pub weekday: u32,
    pub start: String,
    pub end: String,
    #[serde(default)]
    pub kind: String,
    pub slot_minutes: Option<u32>,
    pub capacity: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursInput {
    pub hours: Vec<HoursRowInput>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlotView {
    /// `2026-11-28T09:00:00+08:00`.
    pub start: String,
    pub end: String,
    /// `HH:MM–HH:MM`.
    pub label: String,
    pub kind: String,
    pub kind_name: String,
    pub capacity: u32,
    pub booked: i64,
    pub available: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlotDay {
    pub community_code: String,
    pub date: String,
    /// Closed that day (holiday or no opening hours).
    pub closed: bool,
    pub slots: Vec<SlotView>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookInput {
    /// The slot's start, `2026-11-28T09:00` or `2026-11-28 09:00` (China time).
    pub start: String,
    /// What the resident comes for (optional), a code of `GET /api/v1/service-items`.
    pub item_code: Option<String>,
    /// Staff booking for a person of the register; residents book for themselves.
    pub person_id: Option<i64>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentActionInput {
    /// `cancel` (the resident or staff), `arrive` / `miss` (staff at the station).
    pub action: String,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppointmentView {
    pub id: i64,
    pub community_code: String,
    pub person_id: i64,
    pub person_name: String,
    pub item_code: Option<String>,
    pub item_name: Option<String>,
    pub start: String,
    pub end: String,
    pub kind: String,
    pub status: String,
    pub status_name: String,
    pub note: String,
    pub booked_by: String,
    pub version: i64,
}

fn kind_of(s: &str) -> HoursKind {
    HoursKind::parse("kind", s).unwrap_or(HoursKind::Regular)
}

fn to_domain(rows: &[HoursDbRow]) -> Vec<HoursRow> {
    rows.iter()
        .filter_map(|r| {
            Some(HoursRow {
                weekday: u32::try_from(r.weekday).ok()?,
                start: parse_clock("start", &r.start_time).ok()?,
                end: parse_clock("end", &r.end_time).ok()?,
                kind: kind_of(&r.kind),
                slot_minutes: u32::try_from(r.slot_minutes).ok()?,
                capacity: u32::try_from(r.capacity).ok()?,
            })
        })
        .collect()
}

fn row_view(r: &HoursRow) -> HoursRowView {
    HoursRowView {
        weekday: r.weekday,
        start: r.start.format("%H:%M").to_string(),
        end: r.end.format("%H:%M").to_string(),
        kind: r.kind.as_str().into(),
        kind_name: r.kind.label_zh().into(),
        slot_minutes: r.slot_minutes,
        capacity: r.capacity,
    }
}

fn ms_of(t: NaiveDateTime) -> i64 {
    cst().from_local_datetime(&t).single().map(|t| t.timestamp_millis()).unwrap_or(0)
}

fn iso(ms: i64) -> String {
    crate::audit::format_time(ms)
}

/// `2026-11-28T09:00`, `2026-11-28 09:00` or the full RFC 3339 form → a China-time clock reading.
fn parse_start(s: &str) -> Result<NaiveDateTime> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&cst()).naive_local());
    }
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(t);
        }
    }
    Err(AppError::field("start", "时间格式应为 2026-11-28 09:00 / a time such as 2026-11-28 09:00"))
}

impl App {
    /// The station (community) a caller means: the given one (which must be a community they may see) or, for a
    /// resident, their own.
    async fn station(&self, actor: &Actor, community: Option<&str>, perm: Permission) -> Result<String> {
        let given = community.map(str::trim).filter(|c| !c.is_empty());
        if actor.has_role(Role::Resident) && !actor.may_somewhere(perm) {
            let p = self.resident_person(actor).await?.ok_or_else(|| AppError::not_found("resident"))?;
            let own = ancestor(&p.grid_code, RegionLevel::Community).unwrap_or_default();
            return match given {
                Some(c) if c != own => Err(AppError::not_found(c)),
                _ => Ok(own),
            };
        }
        let code = given.ok_or_else(|| AppError::field("community", "请选择社区 / choose the community"))?;
        self.authorize(actor, perm, code)?;
        let r = self.store.region(code).await?;
        if r.as_ref().is_none_or(|r| r.region.level != RegionLevel::Community) {
            return Err(AppError::field("community", "应为社区编码 / must be a community's code"));
        }
        Ok(code.to_string())
    }

    async fn hours_rows(&self, community: &str) -> Result<(Vec<HoursRow>, bool)> {
        let stored = self.store.service_hours(community).await?;
        if stored.is_empty() { Ok((default_hours(), true)) } else { Ok((to_domain(&stored), false)) }
    }

    /// A station's opening hours (staff who read applications there; a resident their own station's).
    pub async fn service_hours(&self, actor: &Actor, community: Option<&str>) -> Result<HoursView> {
        let code = self.station(actor, community, Permission::ReadApplications).await?;
        let (rows, default) = self.hours_rows(&code).await?;
        let name = self.store.region(&code).await?.map(|r| r.region.name).unwrap_or_default();
        Ok(HoursView { community_code: code, community_name: name, rows: rows.iter().map(row_view).collect(), default })
    }

    /// Replaces a station's schedule (community staff and above; 错时/延时 periods are rows like any other).
    pub async fn put_service_hours(&self, actor: &Actor, community: &str, input: HoursInput) -> Result<HoursView> {
        let code = self.station(actor, Some(community), Permission::ManageServiceHours).await?;
        let mut rows = Vec::with_capacity(input.hours.len());
        for (i, r) in input.hours.iter().enumerate() {
            let f = |k: &str| format!("hours[{i}].{k}");
            rows.push(HoursRow {
                weekday: r.weekday,
                start: parse_clock(&f("start"), &r.start)?,
                end: parse_clock(&f("end"), &r.end)?,
                kind: if r.kind.trim().is_empty() {
                    HoursKind::Regular
                } else {
                    HoursKind::parse(&f("kind"), &r.kind)?
                },
                slot_minutes: r.slot_minutes.unwrap_or(30),
                capacity: r.capacity.unwrap_or(2),
            });
        }
        if rows.is_empty() {
            return Err(AppError::field("hours", "至少需要一个开放时段 / at least one opening period"));
        }
        rules::check_hours("hours", &rows)?;
        let db: Vec<HoursDbRow> = rows
            .iter()
            .map(|r| HoursDbRow {
                weekday: i64::from(r.weekday),
                start_time: r.start.format("%H:%M").to_string(),
                end_time: r.end.format("%H:%M").to_string(),
                kind: r.kind.as_str().into(),
                slot_minutes: i64::from(r.slot_minutes),
                capacity: i64::from(r.capacity),
            })
            .collect();
        let mut tx = self.store.begin().await?;
        Store::replace_service_hours(&mut tx, &code, &db).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "put",
                object: &format!("service_hours:{code}"),
                reason: None,
                region_code: Some(&code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.service_hours(actor, Some(&code)).await
    }

    /// The slots of a station on a day (default today), with how many are still free.
    pub async fn service_slots(&self, actor: &Actor, community: Option<&str>, date: Option<&str>) -> Result<SlotDay> {
        let code = self.station(actor, community, Permission::ReadApplications).await?;
        let day = match date.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => crate::people::parse_date("date", d)?,
            None => cst_day(now_ms()),
        };
        let (rows, _) = self.hours_rows(&code).await?;
        let cal = self.event_reference().await?.calendar.clone();
        let slots = rules::slots_on(&rows, &cal, day);
        let from = ms_of(day.and_hms_opt(0, 0, 0).unwrap_or_default());
        let loads = self.store.slot_loads(&code, from, from + 86_400_000).await?;
        let slots: Vec<SlotView> = slots
            .iter()
            .map(|s| {
                let start = ms_of(s.start);
                let booked = loads.get(&start).copied().unwrap_or(0);
                SlotView {
                    start: iso(start),
                    end: iso(ms_of(s.end)),
                    label: format!("{}–{}", s.start.format("%H:%M"), s.end.format("%H:%M")),
                    kind: s.kind.as_str().into(),
                    kind_name: s.kind.label_zh().into(),
                    capacity: s.capacity,
                    booked,
                    available: (i64::from(s.capacity) - booked).max(0),
                }
            })
            .collect();
        Ok(SlotDay { community_code: code, date: day.format("%Y-%m-%d").to_string(), closed: slots.is_empty(), slots })
    }

    /// Books a slot for the resident themselves, or for a person of the register (staff). 409 when the slot is
    /// full or the person holds it already.
    pub async fn book_appointment(&self, actor: &Actor, input: BookInput) -> Result<AppointmentView> {
        let person = match input.person_id {
            Some(pid) => {
                self.authorize_anywhere(actor, Permission::AcceptApplications)?;
                self.person_for(actor, Permission::AcceptApplications, pid).await.map_err(|e| {
                    if e.kind == ErrorKind::NotFound { AppError::field("person_id", e.message) } else { e }
                })?
            }
            None => self.resident_person(actor).await?.ok_or_else(|| {
                if actor.has_role(Role::Resident) {
                    AppError::forbidden()
                } else {
                    AppError::field("person_id", "请选择预约人 / choose the person")
                }
            })?,
        };
        let community = ancestor(&person.grid_code, RegionLevel::Community).unwrap_or_default();
        let at = parse_start(&input.start)?;
        let now = now_ms();
        let start_ms = ms_of(at);
        if start_ms <= now {
            return Err(AppError::field("start", "只能预约以后的时段 / choose a time in the future"));
        }
        if start_ms > now + BOOK_AHEAD_DAYS * 86_400_000 {
            return Err(AppError::field(
                "start",
                format!("最多预约{BOOK_AHEAD_DAYS}天内 / at most {BOOK_AHEAD_DAYS} days ahead"),
            ));
        }
        let item = match input.item_code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(code) => {
                let c = self.catalogue().await?;
                let i = c
                    .item(code)
                    .filter(|i| i.active)
                    .ok_or_else(|| AppError::field("item_code", format!("未知的服务事项 / unknown item: {code}")))?;
                Some(i.code.clone())
            }
            None => None,
        };
        let note = crate::people::text_field("note", &input.note, 200)?;
        let (rows, _) = self.hours_rows(&community).await?;
        let cal = self.event_reference().await?.calendar.clone();
        let slot = rules::slot_at(&rows, &cal, at)
            .ok_or_else(|| AppError::field("start", "该时间不是服务站的预约时段 / the station offers no slot then"))?;
        let upcoming = self
            .store
            .appointments(None, Some(person.id), now, now + 60 * 86_400_000)
            .await?
            .into_iter()
            .filter(|a| a.status == "booked")
            .count();
        if upcoming >= MAX_OPEN_BOOKINGS {
            return Err(AppError::rule(
                "start",
                format!("最多同时预约{MAX_OPEN_BOOKINGS}个时段 / at most {MAX_OPEN_BOOKINGS} bookings at once"),
            ));
        }
        let row = AppointmentRow {
            region_code: community.clone(),
            item_code: item,
            person_id: person.id,
            person_name: person.name.clone(),
            booked_by: actor.username.clone(),
            slot_start: start_ms,
            slot_end: ms_of(slot.end),
            kind: slot.kind.as_str().into(),
            status: AppointmentStatus::Booked.as_str().into(),
            note,
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        if !Store::take_slot(&mut tx, &community, start_ms, i64::from(slot.capacity)).await? {
            return Err(AppError::conflict("该时段已约满，请选择其他时段 / this slot is full; choose another"));
        }
        let id = Store::insert_appointment(&mut tx, &row).await.map_err(|e| match e {
            StoreError::Conflict(_) => AppError::conflict("已预约该时段 / already booked for this slot"),
            e => e.into(),
        })?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "book",
                object: &format!("appointment:{id}"),
                reason: None,
                region_code: Some(&person.grid_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.appointment_view(&self.store.appointment(id).await?).await
    }

    async fn appointment_view(&self, a: &AppointmentRow) -> Result<AppointmentView> {
        let c = self.catalogue().await?;
        let status = AppointmentStatus::parse("status", &a.status).unwrap_or(AppointmentStatus::Booked);
        Ok(AppointmentView {
            id: a.id,
            community_code: a.region_code.clone(),
            person_id: a.person_id,
            person_name: a.person_name.clone(),
            item_name: a.item_code.as_deref().map(|i| c.item_name(i)),
            item_code: a.item_code.clone(),
            start: iso(a.slot_start),
            end: iso(a.slot_end),
            kind: a.kind.clone(),
            status: a.status.clone(),
            status_name: status.label_zh().into(),
            note: a.note.clone(),
            booked_by: a.booked_by.clone(),
            version: a.version,
        })
    }

    /// Appointments: a station's day for its staff (default today), or the resident's own from today on.
    pub async fn list_appointments(
        &self,
        actor: &Actor,
        community: Option<&str>,
        date: Option<&str>,
    ) -> Result<Page<AppointmentView>> {
        let rows = if actor.has_role(Role::Resident) && !actor.may_somewhere(Permission::ReadApplications) {
            self.station(actor, community, Permission::ReadApplications).await?;
            let p = self.resident_person(actor).await?.ok_or_else(|| AppError::not_found("resident"))?;
            let today = wangge_domain::event::calendar::cst_day_start_ms(cst_day(now_ms()));
            self.store.appointments(None, Some(p.id), today, today + 90 * 86_400_000).await?
        } else {
            let code = self.station(actor, community, Permission::ReadApplications).await?;
            let day: NaiveDate = match date.map(str::trim).filter(|d| !d.is_empty()) {
                Some(d) => crate::people::parse_date("date", d)?,
                None => cst_day(now_ms()),
            };
            let from = ms_of(day.and_hms_opt(0, 0, 0).unwrap_or_default());
            self.store.appointments(Some(std::slice::from_ref(&code)), None, from, from + 86_400_000).await?
        };
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            items.push(self.appointment_view(r).await?);
        }
        let total = items.len() as i64;
        Ok(Page { items, next_cursor: None, total, total_is_lower_bound: false })
    }

    /// Cancels an appointment (the resident or staff) or records at the station whether the person came.
    pub async fn act_on_appointment(
        &self,
        actor: &Actor,
        id: i64,
        input: AppointmentActionInput,
    ) -> Result<AppointmentView> {
        let not_found = || AppError::not_found(&format!("appointment {id}"));
        let a = self.store.appointment(id).await.map_err(|e| match e {
            StoreError::NotFound => not_found(),
            e => e.into(),
        })?;
        let own = self.resident_person(actor).await?.is_some_and(|p| p.id == a.person_id);
        let staff = actor.may(Permission::AcceptApplications, &a.region_code)
            || actor.grants.iter().any(|g| {
                Permission::AcceptApplications.granted_to(g.role) && is_within(&g.region_code, &a.region_code)
            });
        if !own && !staff {
            if actor.may(Permission::ReadRegions, &a.region_code) {
                return Err(AppError::forbidden());
            }
            return Err(not_found());
        }
        if input.version.is_some_and(|v| v != a.version) {
            return Err(AppError::conflict("预约已被更新，请刷新 / the appointment changed meanwhile"));
        }
        let to = match input.action.trim() {
            "cancel" => AppointmentStatus::Cancelled,
            "arrive" | "miss" if !staff => return Err(AppError::forbidden()),
            "arrive" => AppointmentStatus::Arrived,
            "miss" => AppointmentStatus::Missed,
            other => {
                return Err(AppError::field(
                    "action",
                    format!("应为 cancel、arrive 或 miss / must be cancel, arrive or miss: {other}"),
                ));
            }
        };
        if a.status != "booked" {
            return Err(AppError::conflict(format!("预约已是“{}” / the appointment is {}", a.status, a.status)));
        }
        if to == AppointmentStatus::Cancelled && a.slot_start <= now_ms() {
            return Err(AppError::conflict("时段已开始，不能取消 / the slot has begun"));
        }
        let mut tx = self.store.begin().await?;
        Store::set_appointment_status(&mut tx, id, a.version, to.as_str()).await.map_err(|e| match e {
            StoreError::Conflict(_) => AppError::conflict("预约已被更新，请刷新 / the appointment changed meanwhile"),
            e => e.into(),
        })?;
        if to == AppointmentStatus::Cancelled {
            Store::release_slot(&mut tx, &a.region_code, a.slot_start).await?;
        }
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: to.as_str(),
                object: &format!("appointment:{id}"),
                reason: None,
                region_code: Some(&a.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.appointment_view(&self.store.appointment(id).await?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_times_read_as_typed() {
        let t = parse_start("2026-11-28 09:00").unwrap();
        assert_eq!(t, parse_start("2026-11-28T09:00").unwrap());
        assert_eq!(t, parse_start("2026-11-28T01:00:00Z").unwrap());
        assert_eq!(parse_start("明天上午").unwrap_err().field_name(), Some("start"));
    }
}
