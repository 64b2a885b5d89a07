//! GB/T 30428.4 evaluation indicators from counts. The counts come from rollup tables kept up to date on each
//! action, so a district's indicators never scan its events.

use serde::{Deserialize, Serialize};

/// Counters kept per (day, grid) and per (month, grid, category/department). Field names are stored columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// 上报数: events reported.
    pub reported: i64,
    /// 有效上报数: reports accepted (not rejected or voided as invalid).
    pub valid: i64,
    /// 立案数 (events registered, plus those solved on the spot): the events that should be closed.
    pub registered: i64,
    /// 结案数: closed (including later evaluated).
    pub closed: i64,
    /// 按期结案数: closed by the (possibly postponed) deadline.
    pub closed_on_time: i64,
    /// 应处置数: dispatches to departments.
    pub dispatched: i64,
    /// 处置数: handled by a department.
    pub handled: i64,
    /// 按时处置数: handled within the handling limit.
    pub handled_on_time: i64,
    /// 返工数: returns after handling and reopened events.
    pub rework: i64,
    /// 延期数: approved postponements.
    pub postponed: i64,
    /// 督办数.
    pub supervised: i64,
    /// Sum and number of satisfaction scores (1–5).
    pub satisfaction_sum: i64,
    pub evaluated: i64,
}

impl Counts {
    pub const COLUMNS: [&'static str; 13] = [
        "reported",
        "valid",
        "registered",
        "closed",
        "closed_on_time",
        "dispatched",
        "handled",
        "handled_on_time",
        "rework",
        "postponed",
        "supervised",
        "satisfaction_sum",
        "evaluated",
    ];

    pub fn from_values(v: &[i64]) -> Counts {
        let g = |i: usize| v.get(i).copied().unwrap_or(0);
        Counts {
            reported: g(0),
            valid: g(1),
            registered: g(2),
            closed: g(3),
            closed_on_time: g(4),
            dispatched: g(5),
            handled: g(6),
            handled_on_time: g(7),
            rework: g(8),
            postponed: g(9),
            supervised: g(10),
            satisfaction_sum: g(11),
            evaluated: g(12),
        }
    }

    pub fn values(&self) -> [i64; 13] {
        [
            self.reported,
            self.valid,
            self.registered,
            self.closed,
            self.closed_on_time,
            self.dispatched,
            self.handled,
            self.handled_on_time,
            self.rework,
            self.postponed,
            self.supervised,
            self.satisfaction_sum,
            self.evaluated,
        ]
    }

    pub fn add(&mut self, o: &Counts) {
        let (a, b) = (self.values(), o.values());
        let sum: Vec<i64> = a.iter().zip(b.iter()).map(|(x, y)| x + y).collect();
        *self = Counts::from_values(&sum);
    }

    pub fn is_empty(&self) -> bool {
        self.values().iter().all(|v| *v == 0)
    }
}

/// The indicators as DESIGN.md §4 returns them: rates are ratios 0–1, `None` when the denominator is zero.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicators {
    pub reported: i64,
    pub valid: i64,
    pub registered: i64,
    pub closed: i64,
    pub closed_on_time: i64,
    pub handled: i64,
    pub rework: i64,
    pub postponed: i64,
    pub supervised: i64,
    /// 结案率 = 结案数 / 应结案数.
    pub closure_rate: Option<f64>,
    /// 按期结案率 = 按期结案数 / 应结案数.
    pub on_time_rate: Option<f64>,
    /// 返工率 = 返工数 / 处置数.
    pub rework_rate: Option<f64>,
    /// 延期率 = 延期数 / 立案数.
    pub postponement_rate: Option<f64>,
    /// 处置率 = 处置数 / 应处置数.
    pub handling_rate: Option<f64>,
    /// 按时处置率 = 按时处置数 / 应处置数.
    pub on_time_handling_rate: Option<f64>,
    /// 有效上报率 = 有效上报数 / 上报数.
    pub valid_report_rate: Option<f64>,
    /// Mean satisfaction 1–5.
    pub satisfaction: Option<f64>,
    /// The 综合指标值 as coded by implementations of GB/T 30428.4: a score for the number of cases (fewer is
    /// better) plus 30 % each for 结案率, 按时处置率 and (1 − 返工率), on a 0–100 scale.
    pub composite: Option<f64>,
}

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| (n as f64 / d as f64).clamp(0.0, 1.0))
}

/// 立案数分: ≤50 → 10, ≤100 → 9, ≤200 → 7.5, ≤500 → 6, ≤1000 → 4, else 0.
pub fn case_count_score(registered: i64) -> f64 {
    match registered {
        ..=50 => 10.0,
        51..=100 => 9.0,
        101..=200 => 7.5,
        201..=500 => 6.0,
        501..=1000 => 4.0,
        _ => 0.0,
    }
}

impl Indicators {
    pub fn from_counts(c: &Counts) -> Indicators {
        let closure_rate = ratio(c.closed, c.registered);
        let on_time_handling_rate = ratio(c.handled_on_time, c.dispatched);
        let rework_rate = ratio(c.rework, c.handled);
        let composite = match (closure_rate, on_time_handling_rate) {
            (Some(cr), Some(oh)) => {
                Some(case_count_score(c.registered) + 30.0 * cr + 30.0 * oh + 30.0 * (1.0 - rework_rate.unwrap_or(0.0)))
            }
            _ => None,
        };
        Indicators {
            reported: c.reported,
            valid: c.valid,
            registered: c.registered,
            closed: c.closed,
            closed_on_time: c.closed_on_time,
            handled: c.handled,
            rework: c.rework,
            postponed: c.postponed,
            supervised: c.supervised,
            closure_rate,
            on_time_rate: ratio(c.closed_on_time, c.registered),
            rework_rate,
            postponement_rate: ratio(c.postponed, c.registered),
            handling_rate: ratio(c.handled, c.dispatched),
            on_time_handling_rate,
            valid_report_rate: ratio(c.valid, c.reported),
            satisfaction: (c.evaluated > 0).then(|| c.satisfaction_sum as f64 / c.evaluated as f64),
            composite,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_the_standard_definitions() {
        let c = Counts {
            reported: 1054,
            valid: 996,
            registered: 996,
            closed: 934,
            closed_on_time: 755,
            dispatched: 900,
            handled: 880,
            handled_on_time: 800,
            rework: 8,
            postponed: 2,
            ..Counts::default()
        };
        let i = Indicators::from_counts(&c);
        assert!((i.closure_rate.unwrap() - 0.9377).abs() < 1e-3, "Tianmen Dec-2016: 结案率 ≈ 93.7%");
        assert!((i.on_time_rate.unwrap() - 0.758).abs() < 1e-3);
        assert!((i.valid_report_rate.unwrap() - 996.0 / 1054.0).abs() < 1e-9);
        assert!((i.rework_rate.unwrap() - 8.0 / 880.0).abs() < 1e-9);
        assert_eq!(i.satisfaction, None);
        let composite = i.composite.unwrap();
        assert!(composite > 4.0 + 27.0 && composite < 100.0, "{composite}");
    }

    #[test]
    fn nothing_to_divide_gives_no_rate_and_counts_round_trip() {
        let i = Indicators::from_counts(&Counts::default());
        assert_eq!((i.closure_rate, i.on_time_rate, i.composite), (None, None, None));
        let c = Counts { reported: 3, evaluated: 2, satisfaction_sum: 9, ..Counts::default() };
        assert_eq!(Counts::from_values(&c.values()), c);
        let mut total = c;
        total.add(&c);
        assert_eq!(total.reported, 6);
        assert_eq!(Indicators::from_counts(&c).satisfaction, Some(4.5));
        assert_eq!(case_count_score(50), 10.0);
        assert_eq!(case_count_score(1001), 0.0);
    }
}
