//! 指挥中心 rules: the report periods (a month `2026-11` or a quarter `2026-Q4`), how a grid is coloured on the
//! command map from its open and overdue events, and the shape of the live feed. Pure: the app reads rollups and
//! asks these functions.

use crate::FieldError;
use chrono::{Datelike, NaiveDate};

/// A report period: a calendar month or quarter (China time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
}

impl Period {
    /// `2026-11` or `2026-Q4` (`q` accepted too); anything else names `field`.
    pub fn parse(field: &str, s: &str) -> Result<Period, FieldError> {
        let bad = || FieldError::new(field, "应为 2026-11 或 2026-Q4 的形式 / must look like 2026-11 or 2026-Q4");
        let s = s.trim();
        let (y, rest) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) {
            return Err(FieldError::new(field, "年份应在 2000–2100 之间 / the year must be 2000–2100"));
        }
        if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
            let quarter: u32 = match q {
                "1" => 1,
                "2" => 2,
                "3" => 3,
                "4" => 4,
                _ => return Err(bad()),
            };
            return Ok(Period::Quarter { year, quarter });
        }
        if rest.len() != 2 || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let month: u32 = rest.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Period::Month { year, month })
    }

    /// The month a day falls in.
    pub fn month_of(d: NaiveDate) -> Period {
        Period::Month { year: d.year(), month: d.month() }
    }

    /// First day (inclusive).
    pub fn first_day(self) -> NaiveDate {
        let (y, m) = match self {
            Period::Month { year, month } => (year, month),
            Period::Quarter { year, quarter } => (year, quarter * 3 - 2),
        };
        NaiveDate::from_ymd_opt(y, m, 1).expect("valid month")
    }

    /// Last day (inclusive).
    pub fn last_day(self) -> NaiveDate {
        let (y, m) = match self {
            Period::Month { year, month } => (year, month),
            Period::Quarter { year, quarter } => (year, quarter * 3),
        };
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        NaiveDate::from_ymd_opt(ny, nm, 1).expect("valid month").pred_opt().expect("a day before")
    }

    /// The months it covers, `YYYY-MM`.
    pub fn months(self) -> Vec<String> {
        let first = self.first_day();
        let n = match self {
            Period::Month { .. } => 1,
            Period::Quarter { .. } => 3,
        };
        (0..n).map(|i| format!("{}-{:02}", first.year(), first.month() + i)).collect()
    }

    /// The period before this one of the same kind (for the "compared with last period" column).
    pub fn previous(self) -> Period {
        match self {
            Period::Month { year, month: 1 } => Period::Month { year: year - 1, month: 12 },
            Period::Month { year, month } => Period::Month { year, month: month - 1 },
            Period::Quarter { year, quarter: 1 } => Period::Quarter { year: year - 1, quarter: 4 },
            Period::Quarter { year, quarter } => Period::Quarter { year, quarter: quarter - 1 },
        }
    }

    /// `2026-11` / `2026-Q4`: the form it parses from.
    pub fn code(self) -> String {
        match self {
            Period::Month { year, month } => format!("{year}-{month:02}"),
            Period::Quarter { year, quarter } => format!("{year}-Q{quarter}"),
        }
    }

    /// `2026年11月` / `2026年第四季度`.
    pub fn label_zh(self) -> String {
        match self {
            Period::Month { year, month } => format!("{year}年{month}月"),
            Period::Quarter { year, quarter } => {
                format!("{year}年第{}季度", ["一", "二", "三", "四"][(quarter - 1) as usize])
            }
        }
    }

    /// `November 2026` / `2026 Q4`.
    pub fn label_en(self) -> String {
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        match self {
            Period::Month { year, month } => format!("{} {year}", MONTHS[(month - 1) as usize]),
            Period::Quarter { year, quarter } => format!("{year} Q{quarter}"),
        }
    }
}

/// How the command map colours a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// No open event.
    Calm,
    /// Open events, none overdue.
    Open,
    /// Some open events are past their stage deadline.
    Overdue,
    /// Many overdue (at least [`HOT_OVERDUE`]): the grid lags and the hall should look.
    Hot,
}

/// Overdue events at which a grid turns "hot".
pub const HOT_OVERDUE: i64 = 5;

impl Load {
    pub fn of(open: i64, overdue: i64) -> Load {
        if overdue >= HOT_OVERDUE {
            Load::Hot
        } else if overdue > 0 {
            Load::Overdue
        } else if open > 0 {
            Load::Open
        } else {
            Load::Calm
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Load::Calm => "calm",
            Load::Open => "open",
            Load::Overdue => "overdue",
            Load::Hot => "hot",
        }
    }
}

/// Kinds of entries in the live feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    /// A new event was reported.
    New,
    /// An open event passed its stage deadline (the overdue sweep raised it).
    Overdue,
}

impl FeedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::New => "new",
            FeedKind::Overdue => "overdue",
        }
    }
}

/// Event states that count as open (on the map, in the open and overdue KPIs).
pub const OPEN_STATES: [&str; 7] =
    ["reported", "accepted", "registered", "dispatched", "handled", "verified", "suspended"];

/// Whether an event in `status` (merged into another or not) is open.
pub fn is_open(status: &str, merged: bool) -> bool {
    !merged && OPEN_STATES.contains(&status)
}

/// A rate 0–1 as a percentage with one decimal, or "—".
pub fn percent(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{:.1}%", v * 100.0),
        None => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_span_their_days() {
        let m = Period::parse("period", "2026-11").unwrap();
        assert_eq!(m, Period::Month { year: 2026, month: 11 });
        assert_eq!(m.first_day().to_string(), "2026-11-01");
        assert_eq!(m.last_day().to_string(), "2026-11-30");
        assert_eq!(m.months(), vec!["2026-11"]);
        assert_eq!(m.label_zh(), "2026年11月");
        assert_eq!(m.code(), "2026-11");
        let q = Period::parse("period", "2026-Q4").unwrap();
        assert_eq!(q.first_day().to_string(), "2026-10-01");
        assert_eq!(q.last_day().to_string(), "2026-12-31");
        assert_eq!(q.months(), vec!["2026-10", "2026-11", "2026-12"]);
        assert_eq!(q.label_zh(), "2026年第四季度");
        assert_eq!(Period::parse("p", "2028-02").unwrap().last_day().to_string(), "2028-02-29");
        assert_eq!(Period::parse("p", "2026-q1").unwrap().code(), "2026-Q1");
        assert_eq!(Period::parse("p", "2026-01").unwrap().previous().code(), "2025-12");
        assert_eq!(q.previous().code(), "2026-Q3");
        assert_eq!(Period::parse("p", "2026-Q1").unwrap().previous().code(), "2025-Q4");
        assert_eq!(Period::parse("p", "2026-12").unwrap().label_en(), "December 2026");
    }

    #[test]
    fn bad_periods_name_their_field() {
        for s in [
            "",
            "2026",
            "2026-13",
            "2026-00",
            "2026-Q5",
            "2026-Q0",
            "26-11",
            "2026-1",
            "１２３４-11",
            "1999-01",
            "2026-11-01",
        ] {
            let e = Period::parse("period", s).unwrap_err();
            assert_eq!(e.field, "period", "{s}");
        }
    }

    #[test]
    fn grids_colour_by_their_overdue_events() {
        assert_eq!(Load::of(0, 0), Load::Calm);
        assert_eq!(Load::of(3, 0), Load::Open);
        assert_eq!(Load::of(3, 1), Load::Overdue);
        assert_eq!(Load::of(9, HOT_OVERDUE), Load::Hot);
        assert_eq!(Load::of(9, HOT_OVERDUE).as_str(), "hot");
    }

    #[test]
    fn open_states_exclude_the_finished_and_the_merged() {
        assert!(is_open("dispatched", false));
        assert!(is_open("suspended", false));
        assert!(!is_open("dispatched", true));
        for s in ["closed", "evaluated", "rejected", "voided"] {
            assert!(!is_open(s, false), "{s}");
        }
        assert_eq!(percent(Some(0.9234)), "92.3%");
        assert_eq!(percent(None), "—");
    }
}
