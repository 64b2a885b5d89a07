//! One-window resident services (一站式服务, 前台一口受理、后台协同办理): what an application (办件) is, which action
//! moves it from which state and who may take it (首问负责: the front desk that accepted it stays responsible), its
//! deadline in working days on the working calendar, the human-readable tracking number, the materials check of
//! the acceptance (一次性告知), and the appointment slots of a station's opening hours (错时/延时服务). Pure: the app
//! loads the application, asks [`plan`], and writes the outcome with its step.

use crate::FieldError;
use crate::event::calendar::{DayKind, WorkCalendar, cst};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday};
use serde::{Deserialize, Serialize};

vocabulary! {
    /// Where an application stands.
    ApplicationStatus {
        Submitted = ("submitted", "待受理", "Awaiting acceptance"),
        Accepted = ("accepted", "已受理", "Accepted"),
        Processing = ("processing", "办理中", "Processing"),
        Supplement = ("supplement", "待补正", "Awaiting materials"),
        Approved = ("approved", "已审批", "Approved"),
        Completed = ("completed", "已办结", "Completed"),
        Rejected = ("rejected", "不予批准", "Rejected"),
        Refused = ("refused", "不予受理", "Not accepted"),
        Withdrawn = ("withdrawn", "已撤回", "Withdrawn"),
    }
}

vocabulary! {
    /// What someone does to an application.
    ApplicationAction {
        Accept = ("accept", "受理", "Accept"),
        Refuse = ("refuse", "不予受理", "Refuse to accept"),
        Handle = ("handle", "承办", "Take in hand"),
        Supplement = ("supplement", "补正告知", "Ask for materials"),
        Resubmit = ("resubmit", "补正提交", "Materials supplied"),
        Approve = ("approve", "审批通过", "Approve"),
        Reject = ("reject", "不予批准", "Reject"),
        Finish = ("finish", "办结", "Finish"),
        Withdraw = ("withdraw", "撤回", "Withdraw"),
        Rate = ("rate", "评价", "Rate"),
    }
}

vocabulary! {
    /// How an application came in.
    Channel {
        Window = ("window", "窗口受理", "At the window"),
        Online = ("online", "网上申请", "Online"),
    }
}

vocabulary! {
    /// What an opening period of a service station is: ordinary hours, the staggered evening hours for working
    /// residents (错时服务), or the extended weekend hours (延时服务).
    HoursKind {
        Regular = ("regular", "正常", "Regular"),
        Evening = ("evening", "错时（晚间）", "Evening (staggered)"),
        Weekend = ("weekend", "周末延时", "Weekend"),
    }
}

vocabulary! {
    /// Where an appointment stands.
    AppointmentStatus {
        Booked = ("booked", "已预约", "Booked"),
        Arrived = ("arrived", "已到场", "Arrived"),
        Missed = ("missed", "未到场", "Missed"),
        Cancelled = ("cancelled", "已取消", "Cancelled"),
    }
}

impl ApplicationStatus {
    /// No more work is expected.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Completed
                | ApplicationStatus::Rejected
                | ApplicationStatus::Refused
                | ApplicationStatus::Withdrawn
        )
    }

    /// The deadline runs in this state (it stops while materials are awaited, 补正期间不计入办理时限).
    pub fn clock_runs(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Submitted
                | ApplicationStatus::Accepted
                | ApplicationStatus::Processing
                | ApplicationStatus::Approved
        )
    }

    /// Every state that is not final, in workflow order (for "open" filters).
    pub fn open() -> Vec<ApplicationStatus> {
        Self::ALL.iter().copied().filter(|s| !s.is_final()).collect()
    }
}

/// What the caller is to an application, worked out by the app from their grants and the application.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Who {
    /// May accept at the window where the applicant lives (community staff and above, grid workers who 代办).
    pub front_desk: bool,
    /// Works in the item's back office: the department named by the item, or the station itself for items the
    /// station handles (no department); administrators always.
    pub back_office: bool,
    /// The applicant themselves (the resident's own account).
    pub applicant: bool,
}

/// Why an action cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not for the caller (403).
    Role,
    /// Not in this state (409).
    State(ApplicationStatus),
    /// A missing or wrong fact of the action (400), with the field it concerns.
    Rule(&'static str, &'static str),
}

/// What an action asks for, checked by [`plan`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    pub has_note: bool,
    /// rate: the satisfaction given (1–5).
    pub satisfaction: Option<i64>,
    /// rate: whether the application was rated already (once only).
    pub rated: bool,
    /// resubmit: the state the application left for 补正.
    pub resume_to: Option<ApplicationStatus>,
}

/// May `who` take `action` at all (whatever the state)? Checked before the state: 403 before 409.
pub fn may(who: Who, action: ApplicationAction) -> bool {
    use ApplicationAction as A;
    match action {
        A::Accept | A::Refuse => who.front_desk,
        A::Handle | A::Approve | A::Reject | A::Finish => who.back_office,
        A::Supplement => who.back_office || who.front_desk,
        A::Resubmit | A::Withdraw | A::Rate => who.applicant || who.front_desk,
    }
}

/// The state `action` leads to from `status`: role first ([`Refusal::Role`]), then state, then the action's facts.
pub fn plan(
    who: Who,
    action: ApplicationAction,
    status: ApplicationStatus,
    f: &Facts,
) -> Result<ApplicationStatus, Refusal> {
    use ApplicationAction as A;
    use ApplicationStatus as S;
    if !may(who, action) {
        return Err(Refusal::Role);
    }
    let next = match (action, status) {
        (A::Accept, S::Submitted) => S::Accepted,
        (A::Refuse, S::Submitted) => S::Refused,
        (A::Handle, S::Accepted) => S::Processing,
        (A::Supplement, S::Submitted | S::Accepted | S::Processing) => S::Supplement,
        (A::Resubmit, S::Supplement) => match f.resume_to {
            Some(to) if !to.is_final() && to != S::Supplement => to,
            _ => S::Accepted,
        },
        (A::Approve, S::Processing) => S::Approved,
        (A::Reject, S::Accepted | S::Processing) => S::Rejected,
        (A::Finish, S::Processing | S::Approved) => S::Completed,
        (A::Withdraw, S::Submitted | S::Accepted | S::Supplement) => S::Withdrawn,
        (A::Rate, S::Completed | S::Rejected | S::Refused) => {
            if f.rated {
                return Err(Refusal::State(status));
            }
            match f.satisfaction {
                Some(1..=5) => status,
                _ => return Err(Refusal::Rule("satisfaction", "请选择 1 到 5 分 / give 1 to 5")),
            }
        }
        (_, s) => return Err(Refusal::State(s)),
    };
    // 不予受理、补正告知、不予批准 must say why (一次性告知: everything missing at once).
    if matches!(action, A::Refuse | A::Supplement | A::Reject) && !f.has_note {
        return Err(Refusal::Rule("note", "请写明理由或需补正的材料 / say why, or which materials are needed"));
    }
    Ok(next)
}

/// Satisfaction as residents rate it (好差评): 1 非常不满意 … 5 非常满意.
pub fn satisfaction_label(v: i64) -> (&'static str, &'static str) {
    match v {
        5 => ("非常满意", "Very satisfied"),
        4 => ("满意", "Satisfied"),
        3 => ("基本满意", "Neutral"),
        2 => ("不满意", "Dissatisfied"),
        _ => ("非常不满意", "Very dissatisfied"),
    }
}

// ───────────────────────────── deadlines ─────────────────────────────

/// Working days an online application may wait for the station's 预审 (acceptance).
pub const ACCEPT_WITHIN_DAYS: u32 = 1;

/// The deadline of a time limit of `days` working days from `start_ms`. `0` is an 即办件: due by the end of the
/// working day on which the clock starts (the next working day when accepted after hours).
pub fn due_after(cal: &WorkCalendar, start_ms: i64, days: u32) -> Option<i64> {
    if days > 0 {
        return cal.add_working_minutes(start_ms, i64::from(days) * cal.day_minutes());
    }
    let first = cal.add_working_minutes(start_ms, 0)?;
    let day = cst().timestamp_millis_opt(first).single()?.date_naive();
    let end = cal.periods().last()?.1;
    cst().from_local_datetime(&day.and_time(end)).single().map(|t| t.timestamp_millis())
}

/// After a pause (补正) from `paused_at` to `now`, the deadline moves so that the working time that was left
/// at the pause is left again now.
pub fn resume_due(cal: &WorkCalendar, due: i64, paused_at: i64, now: i64) -> Option<i64> {
    let left = cal.working_minutes_between(paused_at, due);
    cal.add_working_minutes(now, left)
}

/// Whether a deadline is near: less than one working day (or less than the time an 即办件 has) left.
pub fn due_soon(cal: &WorkCalendar, now: i64, due: i64) -> bool {
    due > now && cal.working_minutes_between(now, due) < cal.day_minutes()
}

// ───────────────────────────── tracking numbers ─────────────────────────────

/// The application's tracking number: `FW` + the station's street and community digits (the last six of its
/// 12-digit code) + the day + a sequence of that station's day: `FW00100120261125 0007` without the space. Read
/// aloud at the window and printed on the 受理回执; unique, but guessing one gives nothing (a resident follows
/// an application by its number only signed in to their own account).
pub fn tracking_number(community_code: &str, day: NaiveDate, seq: i64) -> String {
    let suffix = community_code.get(community_code.len().saturating_sub(6)..).unwrap_or(community_code);
    format!("FW{suffix}{}{seq:04}", day.format("%Y%m%d"))
}

/// The prefix shared by one station's numbers of one day (the sequence counts within it).
pub fn tracking_prefix(community_code: &str, day: NaiveDate) -> String {
    let n = tracking_number(community_code, day, 0);
    n[..n.len() - 4].to_string()
}

/// Whether text looks like a tracking number (letters FW and 18 or more digits), e.g. typed into a search box.
pub fn is_tracking_number(s: &str) -> bool {
    let s = s.trim();
    s.len() >= 20
        && s.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("FW"))
        && s[2..].bytes().all(|b| b.is_ascii_digit())
}

// ───────────────────────────── materials ─────────────────────────────

/// A material an item asks for (申请材料).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialSpec {
    pub name: String,
    #[serde(default = "yes")]
    pub required: bool,
    /// 原件/复印件, number of copies, where to get it.
    #[serde(default)]
    pub note: String,
}

fn yes() -> bool {
    true
}

/// Parses materials as admins type them, one per line: `居民身份证原件及复印件` (required), `*户口簿` or
/// `户口簿（选填）` (optional), with a note after `|`.
pub fn parse_materials(field: &str, text: &str) -> Result<Vec<MaterialSpec>, FieldError> {
    let mut out: Vec<MaterialSpec> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, note) = match line.split_once('|') {
            Some((n, note)) => (n.trim(), note.trim()),
            None => (line, ""),
        };
        let (name, required) = match name.strip_prefix('*') {
            Some(n) => (n.trim(), false),
            None => match name.strip_suffix("（选填）").or_else(|| name.strip_suffix("(选填)")) {
                Some(n) => (n.trim(), false),
                None => (name, true),
            },
        };
        if name.is_empty() || name.chars().count() > 60 || note.chars().count() > 100 {
            return Err(FieldError::new(
                field,
                format!("材料名称应为1到60字 / a material name of 1 to 60 characters: {line}"),
            ));
        }
        if out.iter().any(|m| m.name == name) {
            return Err(FieldError::new(field, format!("材料重复 / listed twice: {name}")));
        }
        out.push(MaterialSpec { name: name.to_string(), required, note: note.to_string() });
    }
    if out.len() > 20 {
        return Err(FieldError::new(field, "材料不能超过20项 / at most 20 materials"));
    }
    Ok(out)
}

/// The materials as one line each, the form [`parse_materials`] reads.
pub fn materials_text(specs: &[MaterialSpec]) -> String {
    specs
        .iter()
        .map(|m| {
            let name = if m.required { m.name.clone() } else { format!("*{}", m.name) };
            if m.note.is_empty() { name } else { format!("{name} | {}", m.note) }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The required materials not among `received` (names), in the item's order: what the 一次性告知 lists.
pub fn missing_materials<'a>(specs: &'a [MaterialSpec], received: &[String]) -> Vec<&'a str> {
    specs.iter().filter(|m| m.required && !received.iter().any(|r| r == &m.name)).map(|m| m.name.as_str()).collect()
}

// ───────────────────────────── opening hours and slots ─────────────────────────────

/// One opening period of a station on a weekday (1 = Monday … 7 = Sunday), split into slots of `slot_minutes`,
/// each taking `capacity` appointments (the windows open then).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursRow {
    pub weekday: u32,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub kind: HoursKind,
    pub slot_minutes: u32,
    pub capacity: u32,
}

/// Checks a station's schedule: weekdays 1–7, each period after its start, slots of 10–240 minutes that fit,
/// capacity 1–50, and no two periods of a day overlapping. `field` prefixes the row index (`hours[2].end`).
pub fn check_hours(field: &str, rows: &[HoursRow]) -> Result<(), FieldError> {
    if rows.len() > 60 {
        return Err(FieldError::new(field, "时段不能超过60个 / at most 60 periods"));
    }
    for (i, r) in rows.iter().enumerate() {
        let f = |k: &str| format!("{field}[{i}].{k}");
        if !(1..=7).contains(&r.weekday) {
            return Err(FieldError::new(f("weekday"), "星期应为1（周一）到7（周日） / weekday 1 (Mon) to 7 (Sun)"));
        }
        if r.end <= r.start {
            return Err(FieldError::new(f("end"), "结束时间应晚于开始时间 / the end must be after the start"));
        }
        if !(10..=240).contains(&r.slot_minutes) {
            return Err(FieldError::new(f("slot_minutes"), "每个号段应为10到240分钟 / slots of 10 to 240 minutes"));
        }
        if (r.end - r.start).num_minutes() < i64::from(r.slot_minutes) {
            return Err(FieldError::new(f("end"), "时段短于一个号段 / the period is shorter than one slot"));
        }
        if !(1..=50).contains(&r.capacity) {
            return Err(FieldError::new(f("capacity"), "每个号段可约1到50人 / 1 to 50 per slot"));
        }
        for (j, o) in rows.iter().enumerate().take(i) {
            if o.weekday == r.weekday && o.start < r.end && r.start < o.end {
                return Err(FieldError::new(
                    f("start"),
                    format!("与第{}个时段重叠 / overlaps period {}", j + 1, j + 1),
                ));
            }
        }
    }
    Ok(())
}

/// One bookable slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub kind: HoursKind,
    pub capacity: u32,
}

/// The weekday whose periods a date opens with: none on a holiday (放假, whatever the weekday), Monday's on a
/// weekend day worked in exchange (调休上班), else its own.
pub fn schedule_day(cal: &WorkCalendar, d: NaiveDate) -> Option<u32> {
    match cal.day_kind(d) {
        Some(DayKind::Holiday) => None,
        Some(DayKind::Workday) if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) => Some(1),
        _ => Some(d.weekday().number_from_monday()),
    }
}

/// The slots a station offers on `d`, in time order.
pub fn slots_on(rows: &[HoursRow], cal: &WorkCalendar, d: NaiveDate) -> Vec<Slot> {
    let Some(wd) = schedule_day(cal, d) else { return Vec::new() };
    let mut out = Vec::new();
    for r in rows.iter().filter(|r| r.weekday == wd) {
        let step = Duration::minutes(i64::from(r.slot_minutes.max(1)));
        let mut t = d.and_time(r.start);
        let end = d.and_time(r.end);
        while t + step <= end {
            out.push(Slot { start: t, end: t + step, kind: r.kind, capacity: r.capacity });
            t += step;
        }
    }
    out.sort_by_key(|s| s.start);
    out
}

/// The slot of `rows` that starts exactly at `at` on its day, if the station opens one then.
pub fn slot_at(rows: &[HoursRow], cal: &WorkCalendar, at: NaiveDateTime) -> Option<Slot> {
    slots_on(rows, cal, at.date()).into_iter().find(|s| s.start == at)
}

/// The schedule a station starts with: 周一至周五 08:30–12:00、13:30–17:30, 错时 evenings on Tuesday and Thursday
/// 17:30–20:00, 周六上午 09:00–12:00 延时; 30-minute slots, two windows (one in the evening and at the weekend).
pub fn default_hours() -> Vec<HoursRow> {
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
    let mut rows = Vec::new();
    for wd in 1..=5 {
        for (a, b) in [(t(8, 30), t(12, 0)), (t(13, 30), t(17, 30))] {
            rows.push(HoursRow {
                weekday: wd,
                start: a,
                end: b,
                kind: HoursKind::Regular,
                slot_minutes: 30,
                capacity: 2,
            });
        }
    }
    for wd in [2, 4] {
        rows.push(HoursRow {
            weekday: wd,
            start: t(17, 30),
            end: t(20, 0),
            kind: HoursKind::Evening,
            slot_minutes: 30,
            capacity: 1,
        });
    }
    rows.push(HoursRow {
        weekday: 6,
        start: t(9, 0),
        end: t(12, 0),
        kind: HoursKind::Weekend,
        slot_minutes: 30,
        capacity: 1,
    });
    rows
}

/// "08:30" → a time (whole minutes).
pub fn parse_clock(field: &str, s: &str) -> Result<NaiveTime, FieldError> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| FieldError::new(field, "时间格式应为 08:30 / a time such as 08:30"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationAction as A;
    use ApplicationStatus as S;

    const DESK: Who = Who { front_desk: true, back_office: false, applicant: false };
    const BACK: Who = Who { front_desk: false, back_office: true, applicant: false };
    const ME: Who = Who { front_desk: false, back_office: false, applicant: true };

    fn noted() -> Facts {
        Facts { has_note: true, ..Default::default() }
    }

    #[test]
    fn the_window_path_accepts_handles_approves_and_finishes() {
        let f = noted();
        assert_eq!(plan(DESK, A::Accept, S::Submitted, &f), Ok(S::Accepted));
        assert_eq!(plan(BACK, A::Handle, S::Accepted, &f), Ok(S::Processing));
        assert_eq!(plan(BACK, A::Approve, S::Processing, &f), Ok(S::Approved));
        assert_eq!(plan(BACK, A::Finish, S::Approved, &f), Ok(S::Completed));
        // A certificate needs no approval: finished straight from processing.
        assert_eq!(plan(BACK, A::Finish, S::Processing, &f), Ok(S::Completed));
        let rating = Facts { satisfaction: Some(5), ..Default::default() };
        assert_eq!(plan(ME, A::Rate, S::Completed, &rating), Ok(S::Completed));
        assert_eq!(plan(DESK, A::Rate, S::Rejected, &rating), Ok(S::Rejected));
    }

    #[test]
    fn role_is_checked_before_state() {
        // A department cannot accept at the window, whatever the state; a resident cannot approve.
        assert_eq!(plan(BACK, A::Accept, S::Completed, &noted()), Err(Refusal::Role));
        assert_eq!(plan(ME, A::Approve, S::Processing, &noted()), Err(Refusal::Role));
        assert_eq!(plan(DESK, A::Finish, S::Approved, &noted()), Err(Refusal::Role));
        assert_eq!(plan(Who::default(), A::Rate, S::Completed, &noted()), Err(Refusal::Role));
        // Allowed role, wrong state: 409.
        assert_eq!(plan(BACK, A::Approve, S::Accepted, &noted()), Err(Refusal::State(S::Accepted)));
        assert_eq!(plan(DESK, A::Accept, S::Accepted, &noted()), Err(Refusal::State(S::Accepted)));
        assert_eq!(plan(ME, A::Withdraw, S::Processing, &noted()), Err(Refusal::State(S::Processing)));
    }

    #[test]
    fn supplement_pauses_and_resubmit_returns_where_it_was() {
        assert_eq!(plan(BACK, A::Supplement, S::Processing, &noted()), Ok(S::Supplement));
        assert_eq!(plan(DESK, A::Supplement, S::Submitted, &noted()), Ok(S::Supplement));
        let back = Facts { resume_to: Some(S::Processing), ..Default::default() };
        assert_eq!(plan(ME, A::Resubmit, S::Supplement, &back), Ok(S::Processing));
        assert_eq!(plan(DESK, A::Resubmit, S::Supplement, &Facts::default()), Ok(S::Accepted));
        assert!(!S::Supplement.clock_runs() && S::Processing.clock_runs());
    }

    #[test]
    fn reasons_and_ratings_are_required_once() {
        let bare = Facts::default();
        assert!(matches!(plan(DESK, A::Refuse, S::Submitted, &bare), Err(Refusal::Rule("note", _))));
        assert!(matches!(plan(BACK, A::Reject, S::Processing, &bare), Err(Refusal::Rule("note", _))));
        assert!(matches!(plan(BACK, A::Supplement, S::Accepted, &bare), Err(Refusal::Rule("note", _))));
        assert!(matches!(plan(ME, A::Rate, S::Completed, &bare), Err(Refusal::Rule("satisfaction", _))));
        let six = Facts { satisfaction: Some(6), ..Default::default() };
        assert!(matches!(plan(ME, A::Rate, S::Completed, &six), Err(Refusal::Rule("satisfaction", _))));
        let twice = Facts { satisfaction: Some(4), rated: true, ..Default::default() };
        assert_eq!(plan(ME, A::Rate, S::Completed, &twice), Err(Refusal::State(S::Completed)));
        assert_eq!(plan(ME, A::Rate, S::Processing, &six), Err(Refusal::State(S::Processing)));
    }

    #[test]
    fn final_states_take_no_more_work() {
        for s in [S::Completed, S::Rejected, S::Refused, S::Withdrawn] {
            assert!(s.is_final());
            for a in [A::Accept, A::Handle, A::Approve, A::Finish, A::Withdraw, A::Supplement] {
                let who = Who { front_desk: true, back_office: true, applicant: true };
                assert_eq!(plan(who, a, s, &noted()), Err(Refusal::State(s)), "{a:?} from {s:?}");
            }
        }
        assert_eq!(S::open().len(), 5);
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        cst().with_ymd_and_hms(y, m, d, h, min, 0).unwrap().timestamp_millis()
    }

    #[test]
    fn deadlines_are_working_days_and_instant_items_end_with_the_day() {
        let cal = WorkCalendar::default();
        // Wednesday 10:00 + 5 working days → next Wednesday 10:00.
        assert_eq!(due_after(&cal, at(2026, 11, 25, 10, 0), 5), Some(at(2026, 12, 2, 10, 0)));
        // Accepted just before 国庆: 3 working days run from 10-08, Saturday 10-10 worked in exchange.
        assert_eq!(due_after(&cal, at(2026, 9, 30, 17, 30), 3), Some(at(2026, 10, 10, 17, 30)));
        // 即办件: the end of the day; accepted in the evening → the end of the next working day.
        assert_eq!(due_after(&cal, at(2026, 11, 25, 10, 0), 0), Some(at(2026, 11, 25, 17, 30)));
        assert_eq!(due_after(&cal, at(2026, 11, 27, 19, 0), 0), Some(at(2026, 11, 30, 17, 30)));
        // A pause of two working days (补正) moves the deadline by two working days.
        let due = at(2026, 12, 2, 10, 0);
        assert_eq!(
            resume_due(&cal, due, at(2026, 11, 26, 10, 0), at(2026, 11, 30, 10, 0)),
            Some(at(2026, 12, 4, 10, 0))
        );
        assert!(due_soon(&cal, at(2026, 12, 1, 14, 0), due));
        assert!(!due_soon(&cal, at(2026, 11, 27, 14, 0), due));
        assert!(!due_soon(&cal, at(2026, 12, 2, 11, 0), due), "past due is overdue, not soon");
    }

    #[test]
    fn tracking_numbers_read_station_day_and_sequence() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(tracking_number("330199001001", d, 7), "FW00100120261125 0007".replace(' ', ""));
        assert_eq!(tracking_prefix("330199001001", d), "FW00100120261125");
        assert_eq!(tracking_number("330199001001", d, 12345), "FW001001202611251 2345".replace(' ', ""));
        assert!(is_tracking_number("fw001001202611250007"));
        assert!(!is_tracking_number("FW0010012026"));
        assert!(!is_tracking_number("张三"));
    }

    #[test]
    fn materials_parse_from_lines_and_the_missing_ones_are_named() {
        let m =
            parse_materials("materials", "居民身份证 | 原件\n*户口簿\n医院诊断证明（选填）\n\n近期一寸照片").unwrap();
        assert_eq!(m.len(), 4);
        assert!(m[0].required && !m[1].required && !m[2].required && m[3].required);
        assert_eq!(m[0].note, "原件");
        assert_eq!(m[2].name, "医院诊断证明");
        assert_eq!(parse_materials("materials", &materials_text(&m)).unwrap(), m);
        assert_eq!(missing_materials(&m, &["居民身份证".into()]), vec!["近期一寸照片"]);
        assert!(missing_materials(&m, &["居民身份证".into(), "近期一寸照片".into()]).is_empty());
        assert_eq!(parse_materials("materials", "a\na").unwrap_err().field, "materials");
        assert!(parse_materials("materials", &"x\n".repeat(21)).is_err(), "at most 20");
    }

    #[test]
    fn slots_follow_the_schedule_holidays_and_shifted_workdays() {
        let cal = WorkCalendar::default();
        let rows = default_hours();
        assert!(check_hours("hours", &rows).is_ok());
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        // Tuesday 2026-11-24: 7 + 8 regular slots and 5 evening ones.
        let tue = slots_on(&rows, &cal, d(11, 24));
        assert_eq!(tue.len(), 20);
        assert_eq!(tue.iter().filter(|s| s.kind == HoursKind::Evening).count(), 5);
        assert_eq!(tue.last().unwrap().end.time(), NaiveTime::from_hms_opt(20, 0, 0).unwrap());
        // Saturday morning 延时, Sunday closed, 国庆 closed although a Thursday, 10-10 (a Saturday worked) opens as
        // a Monday.
        assert_eq!(slots_on(&rows, &cal, d(11, 28)).len(), 6);
        assert!(slots_on(&rows, &cal, d(11, 29)).is_empty());
        assert!(slots_on(&rows, &cal, d(10, 1)).is_empty());
        assert_eq!(slots_on(&rows, &cal, d(10, 10)).len(), 15);
        let nine = d(11, 28).and_hms_opt(9, 0, 0).unwrap();
        assert_eq!(slot_at(&rows, &cal, nine).map(|s| s.capacity), Some(1));
        assert_eq!(slot_at(&rows, &cal, nine + Duration::minutes(10)), None);
    }

    #[test]
    fn bad_schedules_name_the_row_and_field() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        let row = |wd, a, b| HoursRow {
            weekday: wd,
            start: t(a),
            end: t(b),
            kind: HoursKind::Regular,
            slot_minutes: 30,
            capacity: 2,
        };
        assert_eq!(check_hours("hours", &[row(8, 9, 12)]).unwrap_err().field, "hours[0].weekday");
        assert_eq!(check_hours("hours", &[row(1, 12, 9)]).unwrap_err().field, "hours[0].end");
        assert_eq!(check_hours("hours", &[row(1, 9, 12), row(1, 11, 14)]).unwrap_err().field, "hours[1].start");
        assert!(check_hours("hours", &[row(1, 9, 12), row(2, 11, 14)]).is_ok());
        let mut r = row(1, 9, 12);
        r.capacity = 0;
        assert_eq!(check_hours("hours", &[r]).unwrap_err().field, "hours[0].capacity");
        assert_eq!(parse_clock("start", "8:3x").unwrap_err().field, "start");
    }
}
