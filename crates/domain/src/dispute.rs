//! Dispute mediation (矛盾纠纷多元化解): the closed lists, routing by difficulty (简易矛盾村社化解、复杂矛盾镇街首调、
//! 疑难矛盾上级包案), and which action moves a dispute from which state. Pure: the app loads the dispute, asks
//! [`plan`], and writes the outcome with its record.

use crate::FieldError;
use crate::region::RegionLevel;
use chrono::{Duration, NaiveDate};

vocabulary! {
    /// Where a dispute stands.
    DisputeStatus {
        Registered = ("registered", "已登记", "Registered"),
        Mediating = ("mediating", "调解中", "In mediation"),
        Agreed = ("agreed", "达成协议", "Agreement reached"),
        Failed = ("failed", "调解不成", "Mediation failed"),
        Referred = ("referred", "已移送", "Referred"),
        Closed = ("closed", "已结案", "Closed"),
        Withdrawn = ("withdrawn", "已撤回", "Withdrawn"),
    }
}

vocabulary! {
    /// How hard a dispute is, which decides who mediates it first.
    Difficulty {
        Simple = ("simple", "简易", "Simple"),
        Complex = ("complex", "复杂", "Complex"),
        Hard = ("hard", "疑难", "Hard"),
    }
}

vocabulary! {
    /// Where a dispute came from.
    DisputeSource {
        GridWorker = ("grid_worker", "网格员排查", "Grid worker"),
        WalkIn = ("walk_in", "群众来访", "Walk-in"),
        Police = ("police", "110转办", "110 referral"),
        Court = ("court", "法院委派", "Court"),
        Event = ("event", "事件转入", "From an event"),
        Hotline = ("hotline", "热线", "Hotline"),
        Petition = ("petition", "信访转办", "Petitions office"),
    }
}

vocabulary! {
    /// Where a dispute is referred when mediation is not the way (公调对接, 诉调对接, 劳动仲裁, 信访, 行政调解).
    ReferralTarget {
        Police = ("police", "公安（公调对接）", "Police"),
        Court = ("court", "法院（诉调对接）", "Court"),
        Arbitration = ("arbitration", "劳动人事争议仲裁", "Labour arbitration"),
        Petition = ("petition", "信访部门", "Petitions office"),
        Department = ("department", "行政调解（职能部门）", "Administrative mediation"),
    }
}

vocabulary! {
    /// A party's side in the dispute.
    PartyRole {
        Applicant = ("applicant", "申请人", "Applicant"),
        Respondent = ("respondent", "被申请人", "Respondent"),
        Third = ("third", "第三人", "Third party"),
    }
}

vocabulary! {
    /// What someone does to a dispute.
    DisputeAction {
        Accept = ("accept", "受理", "Accept"),
        Session = ("session", "调解记录", "Record a session"),
        Agree = ("agree", "达成协议", "Reach an agreement"),
        Fail = ("fail", "调解不成", "Mediation failed"),
        Refer = ("refer", "移送", "Refer"),
        ReferralOutcome = ("referral_outcome", "移送结果", "Referral outcome"),
        Escalate = ("escalate", "上交上级", "Escalate"),
        FollowUp = ("follow_up", "回访", "Follow-up visit"),
        Close = ("close", "终结", "Close"),
        Withdraw = ("withdraw", "撤回", "Withdraw"),
    }
}

impl DisputeStatus {
    /// No more work is expected.
    pub fn is_final(self) -> bool {
        matches!(self, DisputeStatus::Closed | DisputeStatus::Withdrawn)
    }
}

/// The level that mediates a dispute of this difficulty first.
pub fn level_for(d: Difficulty) -> RegionLevel {
    match d {
        Difficulty::Simple => RegionLevel::Community,
        Difficulty::Complex => RegionLevel::Street,
        Difficulty::Hard => RegionLevel::District,
    }
}

/// The level above (疑难矛盾上级包案); `None` at the district, where it stays.
pub fn level_above(l: RegionLevel) -> Option<RegionLevel> {
    match l {
        RegionLevel::Grid => Some(RegionLevel::Community),
        RegionLevel::Community => Some(RegionLevel::Street),
        RegionLevel::Street => Some(RegionLevel::District),
        RegionLevel::District => None,
    }
}

pub use crate::region::ancestor;

/// Why an action cannot be taken now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not in this state (409).
    State(DisputeStatus),
    /// A rule of the action (422), with the field it concerns.
    Rule(&'static str, &'static str),
}

/// What an action asks for, checked before [`plan`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionFacts {
    pub has_note: bool,
    pub has_agreement: bool,
    pub has_target: bool,
    /// follow_up: whether the agreement held.
    pub held: Option<bool>,
    /// The dispute's current level.
    pub level: Option<RegionLevel>,
}

/// The state an action leads to from `status`, or why it cannot be taken.
pub fn plan(action: DisputeAction, status: DisputeStatus, f: &ActionFacts) -> Result<DisputeStatus, Refusal> {
    use DisputeAction as A;
    use DisputeStatus as S;
    let next = match (action, status) {
        (A::Accept, S::Registered) => S::Mediating,
        (A::Session, S::Mediating) => S::Mediating,
        (A::Agree, S::Mediating) => {
            if !f.has_agreement {
                return Err(Refusal::Rule("agreement", "请填写协议内容 / write the terms agreed"));
            }
            S::Agreed
        }
        (A::Fail, S::Mediating) => S::Failed,
        (A::Refer, S::Registered | S::Mediating | S::Failed) => {
            if !f.has_target {
                return Err(Refusal::Rule("target", "请选择移送去向 / choose where it is referred"));
            }
            S::Referred
        }
        (A::ReferralOutcome, S::Referred) => S::Closed,
        (A::Escalate, S::Registered | S::Mediating | S::Failed) => {
            if f.level.and_then(level_above).is_none() {
                return Err(Refusal::Rule("action", "已在区级，不能再上交 / already at the district"));
            }
            S::Registered
        }
        // A follow-up closes the case when the agreement held; when it did not, mediation failed and the parties
        // may be referred (e.g. to court for 司法确认 or litigation).
        (A::FollowUp, S::Agreed) => match f.held {
            Some(true) => S::Closed,
            Some(false) => S::Failed,
            None => return Err(Refusal::Rule("held", "请填写协议是否履行 / say whether the agreement held")),
        },
        (A::Close, S::Failed) => S::Closed,
        (A::Withdraw, S::Registered | S::Mediating) => S::Withdrawn,
        (_, s) => return Err(Refusal::State(s)),
    };
    let needs_note = matches!(action, A::Fail | A::Close | A::Withdraw | A::Escalate | A::Session | A::ReferralOutcome);
    if needs_note && !f.has_note {
        return Err(Refusal::Rule("note", "请填写说明 / a note is required"));
    }
    Ok(next)
}

/// Days a mediation may take from acceptance (人民调解: 一般在30日内调结), and when the follow-up visit is due
/// after an agreement.
pub const MEDIATION_DAYS: i64 = 30;
pub const FOLLOW_UP_DAYS: i64 = 15;

/// An amount in yuan as typed (`12000`, `12,000.50`, `1.2万`) → fen.
pub fn parse_amount(field: &str, s: &str) -> Result<Option<i64>, FieldError> {
    let t = s.trim().replace([',', '，', ' '], "");
    if t.is_empty() {
        return Ok(None);
    }
    let (num, scale) = match t.strip_suffix('万') {
        Some(n) => (n.to_string(), 10_000.0),
        None => (t.strip_suffix('元').unwrap_or(&t).to_string(), 1.0),
    };
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v * scale < 1e12 => Ok(Some((v * scale * 100.0).round() as i64)),
        _ => Err(FieldError::new(field, "金额应为非负数字（元），如 12000 或 1.2万 / an amount in yuan, e.g. 12000")),
    }
}

/// Whether a person released from prison is still in the five-year 安置帮教 window.
pub fn in_resettlement_window(released: NaiveDate, today: NaiveDate) -> bool {
    released <= today && today < released + Duration::days(5 * 365 + 1)
}

/// Contact frequency for a person with a severe mental disorder by risk level 0–5 (严重精神障碍患者管理治疗工作规范:
/// 0 级每3个月、1–2 级每月、3–5 级每2周).
pub fn mental_health_contact_days(risk_level: i64) -> i64 {
    match risk_level {
        i64::MIN..=0 => 90,
        1 | 2 => 30,
        _ => 14,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> ActionFacts {
        ActionFacts {
            has_note: true,
            has_agreement: true,
            has_target: true,
            held: Some(true),
            level: Some(RegionLevel::Community),
        }
    }

    #[test]
    fn the_main_path_registers_mediates_agrees_and_closes_on_a_kept_agreement() {
        use DisputeAction as A;
        use DisputeStatus as S;
        let f = facts();
        assert_eq!(plan(A::Accept, S::Registered, &f), Ok(S::Mediating));
        assert_eq!(plan(A::Session, S::Mediating, &f), Ok(S::Mediating));
        assert_eq!(plan(A::Agree, S::Mediating, &f), Ok(S::Agreed));
        assert_eq!(plan(A::FollowUp, S::Agreed, &f), Ok(S::Closed));
        let broken = ActionFacts { held: Some(false), ..facts() };
        assert_eq!(plan(A::FollowUp, S::Agreed, &broken), Ok(S::Failed));
        assert_eq!(plan(A::Refer, S::Failed, &f), Ok(S::Referred));
        assert_eq!(plan(A::ReferralOutcome, S::Referred, &f), Ok(S::Closed));
    }

    #[test]
    fn wrong_states_and_missing_facts_are_refused_with_the_reason() {
        use DisputeAction as A;
        use DisputeStatus as S;
        assert_eq!(plan(A::Agree, S::Registered, &facts()), Err(Refusal::State(S::Registered)));
        assert_eq!(plan(A::Accept, S::Closed, &facts()), Err(Refusal::State(S::Closed)));
        let bare = ActionFacts { level: Some(RegionLevel::Community), ..Default::default() };
        assert!(matches!(plan(A::Agree, S::Mediating, &bare), Err(Refusal::Rule("agreement", _))));
        assert!(matches!(plan(A::Refer, S::Mediating, &bare), Err(Refusal::Rule("target", _))));
        assert!(matches!(plan(A::Fail, S::Mediating, &bare), Err(Refusal::Rule("note", _))));
        assert!(matches!(plan(A::FollowUp, S::Agreed, &bare), Err(Refusal::Rule("held", _))));
        let top = ActionFacts { level: Some(RegionLevel::District), ..facts() };
        assert!(matches!(plan(A::Escalate, S::Mediating, &top), Err(Refusal::Rule("action", _))));
        assert_eq!(plan(A::Escalate, S::Mediating, &facts()), Ok(S::Registered));
    }

    #[test]
    fn difficulty_routes_to_community_street_or_district() {
        assert_eq!(level_for(Difficulty::Simple), RegionLevel::Community);
        assert_eq!(level_for(Difficulty::Complex), RegionLevel::Street);
        assert_eq!(level_for(Difficulty::Hard), RegionLevel::District);
        assert_eq!(level_above(RegionLevel::Community), Some(RegionLevel::Street));
        assert_eq!(level_above(RegionLevel::District), None);
        assert_eq!(ancestor("33019900100101", RegionLevel::Street).as_deref(), Some("330199001"));
        assert_eq!(ancestor("33019900100101", RegionLevel::Community).as_deref(), Some("330199001001"));
        assert_eq!(ancestor("330199", RegionLevel::Community), None);
        assert_eq!(Difficulty::parse("difficulty", "疑难").unwrap(), Difficulty::Hard);
        assert_eq!(Difficulty::parse("difficulty", "easy").unwrap_err().field, "difficulty");
    }

    #[test]
    fn amounts_are_read_as_users_write_them() {
        assert_eq!(parse_amount("amount", "12000").unwrap(), Some(1_200_000));
        assert_eq!(parse_amount("amount", "12,000.50元").unwrap(), Some(1_200_050));
        assert_eq!(parse_amount("amount", "1.2万").unwrap(), Some(1_200_000));
        assert_eq!(parse_amount("amount", " ").unwrap(), None);
        assert_eq!(parse_amount("amount", "-5").unwrap_err().field, "amount");
        assert!(parse_amount("amount", "许多").is_err());
    }

    #[test]
    fn resettlement_lasts_five_years_and_mental_health_contact_follows_risk() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(in_resettlement_window(d("2022-01-10"), d("2026-11-25")));
        assert!(!in_resettlement_window(d("2021-01-10"), d("2026-11-25")));
        assert!(!in_resettlement_window(d("2027-01-10"), d("2026-11-25")));
        assert_eq!(mental_health_contact_days(0), 90);
        assert_eq!(mental_health_contact_days(2), 30);
        assert_eq!(mental_health_contact_days(4), 14);
    }
}
