//! The working calendar: deadlines are counted in working hours (工作时) and working days (工作日), skipping
//! weekends and official holidays but counting 调休 workdays. Holidays and workdays are data; the State
//! Council's 2026 schedule is seeded (国办发明电〔2025〕… published 2025-11-04).

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// China Standard Time: working hours are local hours, stored instants are UTC milliseconds.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// What a date is, when it is not simply decided by the weekday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// 放假: no work even on a weekday.
    Holiday,
    /// 调休上班: a weekend day that is worked.
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn parse(s: &str) -> Option<DayKind> {
        match s {
            "holiday" => Some(DayKind::Holiday),
            "workday" => Some(DayKind::Workday),
            _ => None,
        }
    }
}

/// Working periods of a day and the dated exceptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCalendar {
    /// Sorted, non-overlapping working periods of a working day, local time.
    periods: Vec<(NaiveTime, NaiveTime)>,
    days: BTreeMap<NaiveDate, DayKind>,
}

/// A deadline beyond this many days means the calendar has (almost) no working days: refuse, don't loop.
const HORIZON_DAYS: i64 = 3 * 366;

impl Default for WorkCalendar {
    /// 08:30–12:00 and 13:30–17:30 (7.5 working hours a day), the 2026 official holidays.
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
        let mut c = WorkCalendar { periods: vec![(t(8, 30), t(12, 0)), (t(13, 30), t(17, 30))], days: BTreeMap::new() };
        for (date, kind) in official_2026() {
            c.days.insert(date, kind);
        }
        c
    }
}

impl WorkCalendar {
    /// A calendar with these working periods (must be increasing and non-overlapping) and dated exceptions.
    pub fn new(
        periods: Vec<(NaiveTime, NaiveTime)>,
        days: impl IntoIterator<Item = (NaiveDate, DayKind)>,
    ) -> Result<Self, String> {
        if periods.is_empty() {
            return Err("至少需要一个工作时段 / at least one working period is needed".into());
        }
        for (i, (a, b)) in periods.iter().enumerate() {
            if a >= b || (i > 0 && periods[i - 1].1 > *a) {
                return Err(format!("工作时段无效 / invalid working period {a}–{b}"));
            }
        }
        Ok(WorkCalendar { periods, days: days.into_iter().collect() })
    }

    pub fn periods(&self) -> &[(NaiveTime, NaiveTime)] {
        &self.periods
    }

    pub fn exceptions(&self) -> impl Iterator<Item = (NaiveDate, DayKind)> + '_ {
        self.days.iter().map(|(d, k)| (*d, *k))
    }

    /// Working minutes in one working day (7.5 h = 450 by default): the length of a 工作日.
    pub fn day_minutes(&self) -> i64 {
        self.periods.iter().map(|(a, b)| (*b - *a).num_minutes()).sum()
    }

    /// What a date is when it is an exception to its weekday (a holiday, or a weekend day worked); `None` for an
    /// ordinary day.
    pub fn day_kind(&self, d: NaiveDate) -> Option<DayKind> {
        self.days.get(&d).copied()
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The instant `minutes` working minutes after `start_ms` (UTC ms). Time outside working periods does not
    /// count, so an event reported on Friday evening with a 4-hour limit is due on Monday morning.
    pub fn add_working_minutes(&self, start_ms: i64, minutes: i64) -> Option<i64> {
        let tz = cst();
        let start = tz.timestamp_millis_opt(start_ms).single()?;
        let mut left = minutes.max(0);
        let mut day = start.date_naive();
        let start_time = start.time();
        for i in 0..HORIZON_DAYS {
            if self.is_working_day(day) {
                for (a, b) in &self.periods {
                    let from = if i == 0 { (*a).max(start_time) } else { *a };
                    if from >= *b {
                        continue;
                    }
                    let avail = (*b - from).num_minutes();
                    if left <= avail {
                        let at = day.and_time(from) + Duration::minutes(left);
                        return Some(tz.from_local_datetime(&at).single()?.timestamp_millis());
                    }
                    left -= avail;
                }
            }
            day = day.succ_opt()?;
        }
        None
    }

    /// Working minutes between two instants (0 when `to` is not after `from`): how much of a limit was used,
    /// e.g. to carry the rest of a deadline over a suspension.
    pub fn working_minutes_between(&self, from_ms: i64, to_ms: i64) -> i64 {
        if to_ms <= from_ms {
            return 0;
        }
        let tz = cst();
        let (Some(from), Some(to)) =
            (tz.timestamp_millis_opt(from_ms).single(), tz.timestamp_millis_opt(to_ms).single())
        else {
            return 0;
        };
        let mut total = 0;
        let mut day = from.date_naive();
        while day <= to.date_naive() {
            if self.is_working_day(day) {
                for (a, b) in &self.periods {
                    let lo = local(day, *a).max(from.naive_local());
                    let hi = local(day, *b).min(to.naive_local());
                    if hi > lo {
                        total += (hi - lo).num_minutes();
                    }
                }
            }
            match day.succ_opt() {
                Some(d) => day = d,
                None => break,
            }
        }
        total
    }
}

fn local(d: NaiveDate, t: NaiveTime) -> chrono::NaiveDateTime {
    d.and_time(t)
}

/// A time limit as users state it: 4 工作时, 5 工作日, or plain hours for emergencies (自然时).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "unit", content = "value", rename_all = "snake_case")]
pub enum Limit {
    WorkingHours(u32),
    WorkingDays(u32),
    Hours(u32),
}

impl Limit {
    /// The deadline for this limit starting at `start_ms`.
    pub fn due(self, cal: &WorkCalendar, start_ms: i64) -> Option<i64> {
        match self {
            Limit::WorkingHours(h) => cal.add_working_minutes(start_ms, i64::from(h) * 60),
            Limit::WorkingDays(d) => cal.add_working_minutes(start_ms, i64::from(d) * cal.day_minutes()),
            Limit::Hours(h) => Some(start_ms + i64::from(h) * 3_600_000),
        }
    }

    /// Parses "4h" (working hours), "5d" (working days) or "24n" (natural hours) — the compact form admins
    /// type in the category editor and CSV.
    pub fn parse(s: &str) -> Option<Limit> {
        let s = s.trim();
        let (n, unit) = s.split_at(s.len().checked_sub(1)?);
        let n: u32 = n.trim().parse().ok().filter(|n| *n > 0 && *n <= 10_000)?;
        match unit {
            "h" | "H" => Some(Limit::WorkingHours(n)),
            "d" | "D" => Some(Limit::WorkingDays(n)),
            "n" | "N" => Some(Limit::Hours(n)),
            _ => None,
        }
    }

    pub fn code(self) -> String {
        match self {
            Limit::WorkingHours(n) => format!("{n}h"),
            Limit::WorkingDays(n) => format!("{n}d"),
            Limit::Hours(n) => format!("{n}n"),
        }
    }

    pub fn label_zh(self) -> String {
        match self {
            Limit::WorkingHours(n) => format!("{n}工作时"),
            Limit::WorkingDays(n) => format!("{n}工作日"),
            Limit::Hours(n) => format!("{n}小时"),
        }
    }
}

/// The State Council's 2026 schedule: holidays and the weekend days worked in exchange (调休).
pub fn official_2026() -> Vec<(NaiveDate, DayKind)> {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("valid date");
    let mut out = Vec::new();
    let mut holidays = |m: u32, from: u32, to: u32| {
        for day in from..=to {
            out.push((d(m, day), DayKind::Holiday));
        }
    };
    holidays(1, 1, 3); // 元旦
    holidays(2, 15, 23); // 春节
    holidays(4, 4, 6); // 清明节
    holidays(5, 1, 5); // 劳动节
    holidays(6, 19, 21); // 端午节
    holidays(9, 25, 27); // 中秋节
    holidays(10, 1, 7); // 国庆节
    for (m, day) in [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)] {
        out.push((d(m, day), DayKind::Workday));
    }
    out
}

/// An instant in China time (the epoch for an instant chrono cannot represent).
pub fn at_cst(ms: i64) -> DateTime<FixedOffset> {
    cst().timestamp_millis_opt(ms).single().unwrap_or_else(|| cst().timestamp_millis_opt(0).unwrap())
}

/// The China-time day an instant falls on.
pub fn cst_day(ms: i64) -> NaiveDate {
    at_cst(ms).date_naive()
}

/// The first instant (ms) of a China-time day.
pub fn cst_day_start_ms(d: NaiveDate) -> i64 {
    cst()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .map(|t| t.timestamp_millis())
        .unwrap_or(0)
}

/// Formats a UTC-ms instant as Chinese users read it: 2026-11-25 14:30 (China Standard Time).
pub fn format_cst(ms: i64) -> String {
    cst()
        .timestamp_millis_opt(ms)
        .single()
        .map(|t: DateTime<FixedOffset>| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        cst().with_ymd_and_hms(y, m, d, h, min, 0).unwrap().timestamp_millis()
    }

    #[test]
    fn working_hours_skip_nights_lunch_and_weekends() {
        let cal = WorkCalendar::default();
        // Wednesday 2026-11-25 10:00 + 4 working hours: 2 h to noon, lunch, 2 h → 15:30.
        assert_eq!(cal.add_working_minutes(at(2026, 11, 25, 10, 0), 240), Some(at(2026, 11, 25, 15, 30)));
        // Friday 16:30 + 4 h: 1 h on Friday, Monday 08:30 + 3 h → 11:30.
        assert_eq!(cal.add_working_minutes(at(2026, 11, 27, 16, 30), 240), Some(at(2026, 11, 30, 11, 30)));
        // Reported at night: the clock starts next morning.
        assert_eq!(cal.add_working_minutes(at(2026, 11, 25, 22, 0), 60), Some(at(2026, 11, 26, 9, 30)));
    }

    #[test]
    fn holidays_and_shifted_workdays_come_from_the_official_schedule() {
        let cal = WorkCalendar::default();
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert!(!cal.is_working_day(d(10, 1)), "国庆 is a holiday although a Thursday");
        assert!(cal.is_working_day(d(10, 10)), "Saturday 10-10 is worked (调休)");
        assert!(cal.is_working_day(d(2, 14)) && cal.is_working_day(d(2, 28)));
        assert!(!cal.is_working_day(d(2, 16)));
        // Wednesday 2026-09-30 17:00 + 1 working day (7.5 h): 0.5 h that day, then the holiday to 10-07,
        // Thursday 10-08 08:30 + 7 h → 10-08 17:00 (lunch skipped).
        assert_eq!(Limit::WorkingDays(1).due(&cal, at(2026, 9, 30, 17, 0)), Some(at(2026, 10, 8, 17, 0)));
    }

    #[test]
    fn minutes_between_is_the_inverse_of_adding() {
        let cal = WorkCalendar::default();
        let start = at(2026, 11, 25, 10, 17);
        for minutes in [0, 1, 59, 240, 450, 451, 2000, 9000] {
            let due = cal.add_working_minutes(start, minutes).unwrap();
            assert_eq!(cal.working_minutes_between(start, due), minutes, "{minutes}");
        }
        assert_eq!(cal.working_minutes_between(at(2026, 11, 28, 9, 0), at(2026, 11, 29, 17, 0)), 0, "weekend");
    }

    #[test]
    fn a_calendar_without_working_days_refuses_instead_of_looping() {
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let days = (0..2000).map(|i| (start + Duration::days(i), DayKind::Holiday));
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        let cal = WorkCalendar::new(vec![(t(9), t(17))], days).unwrap();
        assert_eq!(cal.add_working_minutes(at(2026, 1, 1, 9, 0), 60), None);
        assert!(WorkCalendar::new(vec![(t(12), t(9))], []).is_err());
        assert!(WorkCalendar::new(vec![(t(9), t(12)), (t(11), t(17))], []).is_err());
    }

    #[test]
    fn limits_parse_from_their_compact_form() {
        assert_eq!(Limit::parse("4h"), Some(Limit::WorkingHours(4)));
        assert_eq!(Limit::parse("5d"), Some(Limit::WorkingDays(5)));
        assert_eq!(Limit::parse("24n"), Some(Limit::Hours(24)));
        for bad in ["", "h", "0h", "4x", "-1d", "4.5h"] {
            assert_eq!(Limit::parse(bad), None, "{bad}");
        }
        assert_eq!(Limit::WorkingDays(5).code(), "5d");
        assert_eq!(Limit::WorkingHours(4).label_zh(), "4工作时");
    }
}
