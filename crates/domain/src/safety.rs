//! 治安防控 rules: who among the register's sensitive groups is under management today and how often they must
//! be contacted (重点人群管理), the kinds of safety teams, and how well a grid is patrolled. Pure: the app reads
//! the tags, visits and patrols and asks these functions.

use crate::FieldError;
use crate::dispute::{in_resettlement_window, mental_health_contact_days};
use chrono::{Duration, NaiveDate};

/// Tag kinds with a rule of their own (codes of the seeded kinds; an admin may add other sensitive kinds,
/// which are managed by their kind's `visit_days`).
pub const COMMUNITY_CORRECTION: &str = "community_correction";
pub const RELEASED_PRISONER: &str = "released_prisoner";
pub const MENTAL_DISORDER: &str = "mental_disorder";
pub const DRUG_USER: &str = "drug_user";

/// 社区矫正对象 report weekly unless their kind says otherwise.
pub const WEEKLY: i64 = 7;
/// Everyone else under management is seen at least monthly unless their kind says otherwise.
pub const MONTHLY: i64 = 30;

/// What a key-group tag records, parsed from its data (absent or unreadable values are `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFacts {
    pub term_start: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
    pub released: Option<NaiveDate>,
    /// 危险性评估等级 0–5.
    pub risk_level: Option<i64>,
}

/// How often (days) a person with this sensitive tag must be contacted today, or `None` when the tag no longer
/// (or not yet) puts them under management: a correction term that has ended or not begun, a release more than
/// five years ago (安置帮教 ends). Missing dates do not take anyone off the list: an unrecorded term is treated
/// as running, so a gap in the register never hides a person.
pub fn contact_days(tag: &str, facts: &KeyFacts, kind_visit_days: Option<i64>, today: NaiveDate) -> Option<i64> {
    let kind_or = |default: i64| kind_visit_days.filter(|d| *d > 0).unwrap_or(default);
    match tag {
        COMMUNITY_CORRECTION => {
            let begun = facts.term_start.is_none_or(|s| s <= today);
            let running = facts.term_end.is_none_or(|e| today <= e);
            (begun && running).then(|| kind_or(WEEKLY))
        }
        RELEASED_PRISONER => {
            let within = facts.released.is_none_or(|r| in_resettlement_window(r, today));
            within.then(|| kind_or(MONTHLY))
        }
        // The risk assessment decides (规范: 0 级每3个月、1–2 级每月、3–5 级每2周); without one, the kind's rule.
        MENTAL_DISORDER => Some(match facts.risk_level {
            Some(level) => mental_health_contact_days(level),
            None => kind_or(MONTHLY),
        }),
        // 吸毒人员 and any other sensitive kind an admin adds: monthly unless the kind says otherwise.
        _ => Some(kind_or(MONTHLY)),
    }
}

/// The last day of the five-year 安置帮教 window (the day before [`in_resettlement_window`] turns false).
pub fn resettlement_ends(released: NaiveDate) -> NaiveDate {
    released + Duration::days(5 * 365)
}

/// A risk level as recorded (`"0"`–`"5"`), anything else `None`.
pub fn parse_risk_level(s: &str) -> Option<i64> {
    s.trim().parse::<i64>().ok().filter(|l| (0..=5).contains(l))
}

vocabulary! {
    /// Which part of the key-group list to show.
    KeyGroupView {
        All = ("all", "全部", "All"),
        Overdue = ("overdue", "已逾期", "Overdue"),
    }
}

vocabulary! {
    /// A safety team: a 巡防队 patrols, 平安志愿者 watch and report.
    TeamKind {
        Patrol = ("patrol", "巡防队", "Patrol team"),
        Volunteer = ("volunteer", "平安志愿者队", "Volunteer team"),
    }
}

vocabulary! {
    /// How well a grid was patrolled over the last [`COVERAGE_DAYS`] days.
    Coverage {
        None = ("none", "无巡查", "Not patrolled"),
        Low = ("low", "巡查偏少", "Rarely patrolled"),
        Good = ("good", "巡查正常", "Patrolled"),
    }
}

/// Event classes the safety map shows as hazards (GB/T 31000 治安隐患, 安全隐患), by category code prefix.
pub const HAZARD_CLASSES: [&str; 2] = ["Z02", "Z03"];

/// The window the safety map counts patrols over.
pub const COVERAGE_DAYS: i64 = 30;
/// About one patrol a week over the window counts as covered.
pub const GOOD_PATROLS: i64 = 4;

/// A grid's coverage from its patrols in the window.
pub fn coverage(patrols: i64) -> Coverage {
    match patrols {
        i64::MIN..=0 => Coverage::None,
        n if n < GOOD_PATROLS => Coverage::Low,
        _ => Coverage::Good,
    }
}

/// A team's name: 1–50 characters, no control characters.
pub fn check_team_name(field: &str, s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    let n = s.chars().count();
    if n == 0 {
        return Err(FieldError::new(field, "请填写名称 / a name is required"));
    }
    if n > 50 || s.chars().any(char::is_control) {
        return Err(FieldError::new(field, "名称应为1到50字 / 1 to 50 characters"));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn correction_is_managed_weekly_only_while_the_term_runs() {
        let today = d("2026-11-25");
        let term = |s: &str, e: &str| KeyFacts { term_start: Some(d(s)), term_end: Some(d(e)), ..Default::default() };
        assert_eq!(contact_days(COMMUNITY_CORRECTION, &term("2026-01-01", "2027-01-01"), None, today), Some(7));
        assert_eq!(contact_days(COMMUNITY_CORRECTION, &term("2026-01-01", "2027-01-01"), Some(10), today), Some(10));
        // The last day of the term still counts; the day after it does not.
        assert_eq!(contact_days(COMMUNITY_CORRECTION, &term("2025-01-01", "2026-11-25"), None, today), Some(7));
        assert_eq!(contact_days(COMMUNITY_CORRECTION, &term("2025-01-01", "2026-11-24"), None, today), None);
        assert_eq!(contact_days(COMMUNITY_CORRECTION, &term("2026-12-01", "2027-12-01"), None, today), None);
        // No term recorded: kept on the list rather than hidden by a gap in the register.
        assert_eq!(contact_days(COMMUNITY_CORRECTION, &KeyFacts::default(), Some(7), today), Some(7));
    }

    #[test]
    fn released_prisoners_are_managed_for_five_years() {
        let today = d("2026-11-25");
        let released = |s: &str| KeyFacts { released: Some(d(s)), ..Default::default() };
        assert_eq!(contact_days(RELEASED_PRISONER, &released("2023-03-01"), Some(30), today), Some(30));
        assert_eq!(contact_days(RELEASED_PRISONER, &released("2023-03-01"), None, today), Some(30));
        assert_eq!(contact_days(RELEASED_PRISONER, &released("2020-11-01"), Some(30), today), None);
        assert_eq!(contact_days(RELEASED_PRISONER, &KeyFacts::default(), Some(14), today), Some(14));
        assert_eq!(resettlement_ends(d("2021-11-26")), d("2026-11-25"));
        assert!(in_resettlement_window(d("2021-11-26"), resettlement_ends(d("2021-11-26"))));
        assert!(!in_resettlement_window(d("2021-11-26"), resettlement_ends(d("2021-11-26")) + Duration::days(1)));
    }

    #[test]
    fn mental_health_contact_follows_the_risk_level() {
        let today = d("2026-11-25");
        let risk = |l: i64| KeyFacts { risk_level: Some(l), ..Default::default() };
        assert_eq!(contact_days(MENTAL_DISORDER, &risk(4), Some(30), today), Some(14));
        assert_eq!(contact_days(MENTAL_DISORDER, &risk(1), Some(30), today), Some(30));
        assert_eq!(contact_days(MENTAL_DISORDER, &risk(0), Some(30), today), Some(90));
        assert_eq!(contact_days(MENTAL_DISORDER, &KeyFacts::default(), Some(30), today), Some(30));
        assert_eq!(parse_risk_level(" 3 "), Some(3));
        assert_eq!(parse_risk_level("6"), None);
        assert_eq!(parse_risk_level("高"), None);
    }

    #[test]
    fn drug_users_and_other_sensitive_kinds_are_monthly_by_default() {
        let today = d("2026-11-25");
        assert_eq!(contact_days(DRUG_USER, &KeyFacts::default(), None, today), Some(30));
        assert_eq!(contact_days(DRUG_USER, &KeyFacts::default(), Some(15), today), Some(15));
        assert_eq!(contact_days("key_youth", &KeyFacts::default(), None, today), Some(30));
    }

    #[test]
    fn coverage_is_about_one_patrol_a_week() {
        assert_eq!(coverage(0), Coverage::None);
        assert_eq!(coverage(3), Coverage::Low);
        assert_eq!(coverage(4), Coverage::Good);
    }

    #[test]
    fn codes_parse_with_the_field_named() {
        assert_eq!(KeyGroupView::parse("view", "overdue").unwrap(), KeyGroupView::Overdue);
        assert_eq!(KeyGroupView::parse("view", "late").unwrap_err().field, "view");
        assert_eq!(TeamKind::parse("kind", "巡防队").unwrap(), TeamKind::Patrol);
        assert_eq!(TeamKind::parse("kind", "army").unwrap_err().field, "kind");
        assert_eq!(check_team_name("name", " 清河巡防队 ").unwrap(), "清河巡防队");
        assert_eq!(check_team_name("name", "  ").unwrap_err().field, "name");
        assert!(check_team_name("name", &"队".repeat(51)).is_err());
    }
}
