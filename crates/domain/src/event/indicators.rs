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

/// `due` not set, or not yet passed at `at`: the rule every 按时/按期 counter uses.
pub fn on_time(at: i64, due: Option<i64>) -> bool {
    due.is_none_or(|d| at <= d)
}

/// What reopening a closed event takes back from the rollups: exactly what its close added, so an event
/// closed, reopened and closed again counts one 结案 (and 结案率 stays ≤ 1). `self_handled` says the close was
/// 小事当场解决 (always on time); otherwise on time is the close's own rule, `closed_at` against `due_at` (the
/// deadline cannot move once closed: postponement and suspension need an open event). 立案数 stays: the event
/// still has to be closed.
pub fn undo_close(self_handled: bool, closed_at: Option<i64>, due_at: Option<i64>) -> Vec<(&'static str, i64)> {
    let mut out = vec![("closed", -1)];
    if self_handled || closed_at.is_none_or(|c| on_time(c, due_at)) {
        out.push(("closed_on_time", -1));
    }
    out
}

/// Counters per person (a signed-in user) × grid × month, for the 岗位 evaluation of GB/T 30428.4 (监督员/网格员:
/// 上报, 有效上报, 核查; and the handlers' 处置). Reporters without an account (the public, client applications)
/// are not persons. Field names are stored columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonCounts {
    /// 上报数: events this person reported (in the month of the report).
    pub reported: i64,
    /// 有效上报数: of those, the ones registered (立案) or solved on the spot — counted once per event, in the
    /// month of the report, so 有效上报率 is a share of that period's own reports and never exceeds 1.
    pub valid: i64,
    /// 自行处置数: events this person closed on the spot (小事当场解决).
    pub self_handled: i64,
    /// 核查数: verifications done.
    pub verified: i64,
    /// 按时核查数: verifications done before the verify stage's deadline.
    pub verified_on_time: i64,
    /// 处置数 of a handler (department staff, or a centre handling it itself).
    pub handled: i64,
    /// 按时处置数: handled within the handling limit.
    pub handled_on_time: i64,
}

impl PersonCounts {
    pub const COLUMNS: [&'static str; 7] =
        ["reported", "valid", "self_handled", "verified", "verified_on_time", "handled", "handled_on_time"];

    pub fn from_values(v: &[i64]) -> PersonCounts {
        let g = |i: usize| v.get(i).copied().unwrap_or(0);
        PersonCounts {
            reported: g(0),
            valid: g(1),
            self_handled: g(2),
            verified: g(3),
            verified_on_time: g(4),
            handled: g(5),
            handled_on_time: g(6),
        }
    }

    pub fn values(&self) -> [i64; 7] {
        [
            self.reported,
            self.valid,
            self.self_handled,
            self.verified,
            self.verified_on_time,
            self.handled,
            self.handled_on_time,
        ]
    }
}

/// Whose person counters an action changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// The person taking the action, in the month it is taken.
    Actor,
    /// The person who reported the event, in the month of the report.
    Reporter,
}

/// What an action adds to the person counters. `first_registration`: the event had not been registered before
/// (a return to 受理 and a second 立案 must not count the report valid twice); `on_time`: the action beat its
/// stage deadline (verify: the verify stage; handle: the handling limit).
pub fn person_changes(
    action: super::Action,
    first_registration: bool,
    on_time: bool,
) -> Vec<(Whose, &'static str, i64)> {
    use super::Action;
    match action {
        Action::Report => vec![(Whose::Actor, "reported", 1)],
        Action::Register if first_registration => vec![(Whose::Reporter, "valid", 1)],
        Action::SelfHandle => vec![(Whose::Actor, "self_handled", 1), (Whose::Reporter, "valid", 1)],
        Action::Verify => {
            let mut v = vec![(Whose::Actor, "verified", 1)];
            if on_time {
                v.push((Whose::Actor, "verified_on_time", 1));
            }
            v
        }
        Action::Handle => {
            let mut v = vec![(Whose::Actor, "handled", 1)];
            if on_time {
                v.push((Whose::Actor, "handled_on_time", 1));
            }
            v
        }
        _ => vec![],
    }
}

/// A person's indicators: the counts and their rates (ratios 0–1, `None` when nothing to divide).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonIndicators {
    #[serde(flatten)]
    pub counts: PersonCounts,
    /// 有效上报率 = 有效上报数 / 上报数.
    pub valid_report_rate: Option<f64>,
    /// 按时核查率 = 按时核查数 / 核查数.
    pub on_time_verify_rate: Option<f64>,
    /// 按时处置率 = 按时处置数 / 处置数.
    pub on_time_handling_rate: Option<f64>,
}

impl PersonIndicators {
    pub fn from_counts(c: &PersonCounts) -> PersonIndicators {
        PersonIndicators {
            counts: *c,
            valid_report_rate: ratio(c.valid, c.reported),
            on_time_verify_rate: ratio(c.verified_on_time, c.verified),
            on_time_handling_rate: ratio(c.handled_on_time, c.handled),
        }
    }
}

/// Orders people's rows: by 有效上报率 (highest first, people without reports last) or by 上报数; ties by 上报数,
/// then by `name` so the order is stable.
pub fn sort_people<T>(rows: &mut [T], by_valid_rate: bool, get: impl Fn(&T) -> (&PersonIndicators, &str)) {
    rows.sort_by(|a, b| {
        let ((ia, na), (ib, nb)) = (get(a), get(b));
        let rate = |i: &PersonIndicators| i.valid_report_rate.unwrap_or(-1.0);
        let primary =
            if by_valid_rate { rate(ib).total_cmp(&rate(ia)) } else { ib.counts.reported.cmp(&ia.counts.reported) };
        primary.then(ib.counts.reported.cmp(&ia.counts.reported)).then_with(|| na.cmp(nb))
    });
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
    #[test]
    fn reopening_takes_back_exactly_what_the_close_added() {
        // Closed by the deadline: both counters come back.
        assert_eq!(undo_close(false, Some(100), Some(100)), vec![("closed", -1), ("closed_on_time", -1)]);
        // Closed late: only 结案数 was added.
        assert_eq!(undo_close(false, Some(101), Some(100)), vec![("closed", -1)]);
        // 小事当场解决 always counted on time.
        assert_eq!(undo_close(true, Some(101), Some(100)), vec![("closed", -1), ("closed_on_time", -1)]);
        assert_eq!(undo_close(false, Some(5), None).len(), 2);
        // Close, reopen, close again: one 结案, so 结案率 cannot exceed 1.
        let mut c = Counts { registered: 1, ..Counts::default() };
        let close = Counts { closed: 1, closed_on_time: 1, ..Counts::default() };
        c.add(&close);
        for (col, d) in undo_close(false, Some(1), Some(2)) {
            let i = Counts::COLUMNS.iter().position(|x| *x == col).unwrap();
            let mut v = c.values();
            v[i] += d;
            c = Counts::from_values(&v);
        }
        c.add(&Counts { closed: 1, ..Counts::default() }); // closed again, late
        assert_eq!((c.closed, c.closed_on_time), (1, 0));
        assert_eq!(Indicators::from_counts(&c).closure_rate, Some(1.0));
    }

    #[test]
    fn person_counters_follow_the_action() {
        use super::super::Action;
        assert_eq!(person_changes(Action::Report, true, true), vec![(Whose::Actor, "reported", 1)]);
        assert_eq!(person_changes(Action::Register, true, false), vec![(Whose::Reporter, "valid", 1)]);
        // Registered again after a return to 受理: the report is already counted valid.
        assert!(person_changes(Action::Register, false, true).is_empty());
        assert_eq!(
            person_changes(Action::SelfHandle, true, true),
            vec![(Whose::Actor, "self_handled", 1), (Whose::Reporter, "valid", 1)]
        );
        assert_eq!(
            person_changes(Action::Verify, false, true),
            vec![(Whose::Actor, "verified", 1), (Whose::Actor, "verified_on_time", 1)]
        );
        assert_eq!(person_changes(Action::Verify, false, false), vec![(Whose::Actor, "verified", 1)]);
        assert_eq!(person_changes(Action::Handle, false, false), vec![(Whose::Actor, "handled", 1)]);
        for a in [Action::Accept, Action::Close, Action::Return, Action::Evaluate, Action::Dispatch] {
            assert!(person_changes(a, true, true).is_empty(), "{a:?}");
        }
        // Every column named is a stored column.
        for a in [Action::Report, Action::Register, Action::SelfHandle, Action::Verify, Action::Handle] {
            for (_, col, _) in person_changes(a, true, true) {
                assert!(PersonCounts::COLUMNS.contains(&col), "{col}");
            }
        }
        assert!(on_time(10, None) && on_time(10, Some(10)) && !on_time(11, Some(10)));
    }

    #[test]
    fn person_rates_and_order() {
        let c = PersonCounts { reported: 4, valid: 3, verified: 2, verified_on_time: 1, ..PersonCounts::default() };
        assert_eq!(PersonCounts::from_values(&c.values()), c);
        let i = PersonIndicators::from_counts(&c);
        assert_eq!(
            (i.valid_report_rate, i.on_time_verify_rate, i.on_time_handling_rate),
            (Some(0.75), Some(0.5), None)
        );
        let v = serde_json::to_value(&i).unwrap();
        assert_eq!((v["reported"].as_i64(), v["valid_report_rate"].as_f64()), (Some(4), Some(0.75)), "flat: {v}");
        let verifier = PersonIndicators::from_counts(&PersonCounts { verified: 5, ..PersonCounts::default() });
        let all = PersonIndicators::from_counts(&PersonCounts { reported: 2, valid: 2, ..PersonCounts::default() });
        let mut rows = vec![("a", i.clone()), ("b", verifier), ("c", all)];
        sort_people(&mut rows, true, |r| (&r.1, r.0));
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), ["c", "a", "b"]);
        sort_people(&mut rows, false, |r| (&r.1, r.0));
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), ["a", "c", "b"]);
    }
}
