//! Community life (社区共建, issue #9): 议事会议 and their resolutions, social organizations' incubation, 共建单位
//! with their yearly commitments, volunteers and the 时间银行, and 党建引领 (party organizations, members, 三会一课,
//! 在职党员双报到 service). Pure rules: the closed lists, which step a meeting or a resolution may take from where,
//! how service time is credited and what a balance may become, star levels, completion rates.

use crate::FieldError;
use crate::region::{RegionLevel, is_within};
use crate::role::Permission;
use crate::scope::Actor;
use chrono::NaiveDate;

// ───────────────────────────── scope ─────────────────────────────

/// Length of a community's code (DESIGN.md §2).
const COMMUNITY_CODE_LEN: usize = 12;

/// Community life is read at community granularity: a grant on a grid reads the records of its community (its
/// meetings, volunteer activities, co-building units), since nothing here belongs to one grid. Other grants read
/// their own subtree. `None`: everything (admin).
pub fn read_roots(actor: &Actor, perm: Permission) -> Option<Vec<String>> {
    let mut roots: Vec<String> = actor
        .roots(perm)?
        .into_iter()
        .map(|r| if r.len() > COMMUNITY_CODE_LEN { r[..COMMUNITY_CODE_LEN].to_string() } else { r })
        .collect();
    roots.sort();
    roots.dedup();
    let mut out: Vec<String> = Vec::new();
    for r in roots {
        if !out.last().is_some_and(|o| is_within(&r, o)) {
            out.push(r);
        }
    }
    Some(out)
}

/// Whether `actor` reads community-life records of `region` for `perm` (see [`read_roots`]).
pub fn may_read(actor: &Actor, perm: Permission, region: &str) -> bool {
    match read_roots(actor, perm) {
        None => true,
        Some(roots) => roots.iter().any(|r| is_within(region, r)),
    }
}

// ───────────────────────────── meetings ─────────────────────────────

vocabulary! {
    /// The kinds of consultative meetings the seed documents name (民情恳谈、民主协调、民意听证、居民议事).
    MeetingKind {
        Consultation = ("consultation", "民情恳谈会", "Public consultation"),
        Hearing = ("hearing", "听证会", "Hearing"),
        Council = ("council", "居民议事会", "Residents' council"),
        Coordination = ("coordination", "民主协调会", "Coordination meeting"),
    }
}

vocabulary! {
    /// Where a meeting stands.
    MeetingStatus {
        Scheduled = ("scheduled", "已安排", "Scheduled"),
        Held = ("held", "已召开", "Held"),
        Cancelled = ("cancelled", "已取消", "Cancelled"),
    }
}

vocabulary! {
    /// Who a participant is: a person of the register, a staff user, or someone from outside (物业、共建单位、人大代表…).
    ParticipantKind {
        Person = ("person", "居民", "Resident"),
        User = ("user", "工作人员", "Staff"),
        Guest = ("guest", "外部代表", "Outside representative"),
    }
}

vocabulary! {
    /// What someone does to a meeting.
    MeetingStep {
        AddParticipant = ("add_participant", "添加参会人", "Add a participant"),
        SignIn = ("sign_in", "签到", "Sign in"),
        Minutes = ("minutes", "会议纪要", "Minutes"),
        Resolve = ("resolve", "决议事项", "Add a resolution"),
        Publish = ("publish", "公开", "Publish"),
        Unpublish = ("unpublish", "撤回公开", "Unpublish"),
        Cancel = ("cancel", "取消会议", "Cancel"),
    }
}

vocabulary! {
    /// Where a resolution (决议事项) stands.
    ResolutionStatus {
        Pending = ("pending", "待办理", "Pending"),
        InProgress = ("in_progress", "办理中", "In progress"),
        Done = ("done", "已办结", "Done"),
        Dropped = ("dropped", "已终止", "Dropped"),
    }
}

impl ResolutionStatus {
    pub fn is_final(self) -> bool {
        matches!(self, ResolutionStatus::Done | ResolutionStatus::Dropped)
    }
}

/// Why a step cannot be taken now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not in this state (409): the current state's code.
    State(&'static str),
    /// A rule of the step (422), with the field it concerns.
    Rule(&'static str, &'static str),
}

/// The status a meeting has after `step`, or why the step cannot be taken from `status`. Participants are added
/// and signed in while the meeting is scheduled or being held; minutes make it held; resolutions and publication
/// follow the minutes; only a scheduled meeting is cancelled.
pub fn meeting_step(step: MeetingStep, status: MeetingStatus) -> Result<MeetingStatus, Refusal> {
    use MeetingStatus as S;
    use MeetingStep as A;
    match (step, status) {
        (A::AddParticipant | A::SignIn, S::Scheduled | S::Held) => Ok(status),
        (A::Minutes, S::Scheduled | S::Held) => Ok(S::Held),
        (A::Resolve | A::Publish | A::Unpublish, S::Held) => Ok(S::Held),
        (A::Cancel, S::Scheduled) => Ok(S::Cancelled),
        (_, s) => Err(Refusal::State(s.as_str())),
    }
}

/// The status a resolution has after a progress report asking for `to`: a final resolution takes no more reports;
/// a report without a change of status is a progress note (it moves a pending one to in progress).
pub fn resolution_step(from: ResolutionStatus, to: Option<ResolutionStatus>) -> Result<ResolutionStatus, Refusal> {
    use ResolutionStatus as S;
    if from.is_final() {
        return Err(Refusal::State(from.as_str()));
    }
    Ok(match to {
        None | Some(S::Pending) | Some(S::InProgress) => S::InProgress,
        Some(s) => s,
    })
}

/// A resolution is overdue when it is not final and its due day has passed.
pub fn resolution_overdue(status: ResolutionStatus, due_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    !status.is_final() && due_on.is_some_and(|d| d < today)
}

/// Meetings are held by a community or a street (街道层面的民主协调会、听证会).
pub fn meeting_level_ok(level: RegionLevel) -> bool {
    matches!(level, RegionLevel::Community | RegionLevel::Street)
}

// ───────────────────────────── organizations and co-building ─────────────────────────────

vocabulary! {
    /// A social organization's incubation stage (社区社会组织孵化机制).
    IncubationStage {
        Incubating = ("incubating", "孵化", "Incubating"),
        Nurturing = ("nurturing", "培育", "Nurturing"),
        Mature = ("mature", "成熟", "Mature"),
    }
}

vocabulary! {
    /// What a social organization mainly serves (seed documents: 为老、妇女儿童、助残、困难家庭、矫正帮教、文体、公益慈善).
    ServiceField {
        Elderly = ("elderly", "为老服务", "Elderly care"),
        WomenChildren = ("women_children", "妇女儿童", "Women and children"),
        Disability = ("disability", "助残服务", "Disability support"),
        Hardship = ("hardship", "困难帮扶", "Families in hardship"),
        Correction = ("correction", "矫正帮教", "Correction and resettlement"),
        Culture = ("culture", "文体娱乐", "Culture and sports"),
        Charity = ("charity", "公益慈善", "Charity"),
        Other = ("other", "其他", "Other"),
    }
}

vocabulary! {
    /// A 共建单位's kind (驻区机关和企事业单位).
    UnitKind {
        Government = ("government", "机关", "Government body"),
        Institution = ("institution", "事业单位", "Public institution"),
        StateEnterprise = ("state_enterprise", "国有企业", "State-owned enterprise"),
        PrivateEnterprise = ("private_enterprise", "非公企业", "Private enterprise"),
        SocialOrganization = ("social_organization", "社会组织", "Social organization"),
        School = ("school", "学校", "School"),
        Military = ("military", "驻区部队", "Military unit"),
        Other = ("other", "其他", "Other"),
    }
}

vocabulary! {
    /// What a 共建单位 commits to in its yearly 共建责任书.
    CommitmentKind {
        Resource = ("resource", "资源共享", "Shared resources"),
        Project = ("project", "实事项目", "Practical project"),
        Money = ("money", "共建资金", "Funds"),
        VolunteerHours = ("volunteer_hours", "志愿服务时长", "Volunteer hours"),
    }
}

impl CommitmentKind {
    /// The unit a target is counted in.
    pub fn unit_zh(self) -> &'static str {
        match self {
            CommitmentKind::Resource | CommitmentKind::Project => "项",
            CommitmentKind::Money => "元",
            CommitmentKind::VolunteerHours => "小时",
        }
    }

    pub fn unit_en(self) -> &'static str {
        match self {
            CommitmentKind::Resource | CommitmentKind::Project => "items",
            CommitmentKind::Money => "yuan",
            CommitmentKind::VolunteerHours => "hours",
        }
    }
}

/// A quantity as typed, in hundredths of its unit (fen for money, hundredths of an hour, hundredths of an item):
/// `12000`, `1.2万` (money), `20.5`. Never negative; an empty text is `None`.
pub fn parse_quantity(field: &str, kind: CommitmentKind, s: &str) -> Result<Option<i64>, FieldError> {
    if kind == CommitmentKind::Money {
        return crate::dispute::parse_amount(field, s);
    }
    let t = s.trim().trim_end_matches(['项', '个', '次']).trim_end_matches("小时").trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..1e9).contains(&v) => Ok(Some((v * 100.0).round() as i64)),
        _ => Err(FieldError::new(field, "应为非负数字 / must be a non-negative number")),
    }
}

/// Completion of a commitment as a ratio 0–1 (more than promised still counts as 1); `None` without a target.
pub fn completion(done_x100: i64, target_x100: i64) -> Option<f64> {
    (target_x100 > 0).then(|| (done_x100.max(0) as f64 / target_x100 as f64).min(1.0))
}

/// Hundredths as a short decimal: 150 → "1.5", 1_200_000 → "12000".
pub fn x100_text(v: i64) -> String {
    let s = format!("{:.2}", v as f64 / 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

// ───────────────────────────── volunteers and the time bank ─────────────────────────────

vocabulary! {
    /// Where a volunteer's place on an activity stands.
    SignupStatus {
        SignedUp = ("signed_up", "已报名", "Signed up"),
        CheckedIn = ("checked_in", "已签到", "Checked in"),
        CheckedOut = ("checked_out", "已签退", "Checked out"),
        Cancelled = ("cancelled", "已取消", "Cancelled"),
    }
}

vocabulary! {
    /// A line of the time bank.
    LedgerKind {
        Earn = ("earn", "服务存入", "Earned"),
        Redeem = ("redeem", "兑换支取", "Redeemed"),
    }
}

/// Longest service one check-out may credit (a day).
pub const MAX_CREDIT_MINUTES: i64 = 24 * 60;

/// Minutes credited at check-out: the organiser's figure when given (1 minute to 24 hours), otherwise the time
/// since check-in rounded to the minute (at most a day). Zero is refused: the organiser must then say how long.
pub fn credited_minutes(elapsed_ms: i64, given_minutes: Option<i64>) -> Result<i64, FieldError> {
    let m = match given_minutes {
        Some(m) => m,
        None => ((elapsed_ms.max(0) + 30_000) / 60_000).min(MAX_CREDIT_MINUTES),
    };
    if !(1..=MAX_CREDIT_MINUTES).contains(&m) {
        return Err(FieldError::new(
            "hours",
            "服务时长应在1分钟到24小时之间 / service time must be 1 minute to 24 hours",
        ));
    }
    Ok(m)
}

/// Hours as typed (`2`, `1.5`, `1.5小时`, `90分钟`) → whole minutes; empty → `None`.
pub fn parse_hours(field: &str, s: &str) -> Result<Option<i64>, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let (num, per) = match t.strip_suffix("分钟") {
        Some(n) => (n.trim(), 1.0),
        None => (t.trim_end_matches("小时").trim_end_matches('h').trim(), 60.0),
    };
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * per < 1e7 => Ok(Some((v * per).round() as i64)),
        _ => {
            Err(FieldError::new(field, "时长应为正数（小时），如 2 或 1.5 / hours as a positive number, e.g. 2 or 1.5"))
        }
    }
}

/// The balance after a ledger line of `delta` minutes, or `None` when a withdrawal would overdraw it.
pub fn apply_to_balance(balance: i64, delta: i64) -> Option<i64> {
    let next = balance.checked_add(delta)?;
    (next >= 0).then_some(next)
}

/// Minutes as hours with at most one decimal: 90 → "1.5".
pub fn hours_text(minutes: i64) -> String {
    let tenths = (minutes * 10 + 30) / 60;
    if tenths % 10 == 0 { format!("{}", tenths / 10) } else { format!("{}.{}", tenths / 10, (tenths % 10).abs()) }
}

/// Default thresholds of the 星级志愿者 levels in cumulative hours (《志愿服务记录办法》: 一星 100 小时 … 五星 1500 小时).
pub const DEFAULT_STAR_HOURS: [i64; 5] = [100, 300, 600, 1000, 1500];

/// The star level (0 = none) reached with `earned_minutes` of recorded service under `thresholds` (hours,
/// ascending; level n needs thresholds[n-1]).
pub fn star_level(earned_minutes: i64, thresholds: &[i64]) -> i64 {
    thresholds.iter().take_while(|h| earned_minutes >= **h * 60).count() as i64
}

// ───────────────────────────── party building ─────────────────────────────

vocabulary! {
    /// 党组织 kinds in a street or community.
    PartyOrgKind {
        Committee = ("committee", "党委", "Party committee"),
        GeneralBranch = ("general_branch", "党总支", "General branch"),
        Branch = ("branch", "党支部", "Branch"),
    }
}

vocabulary! {
    /// How a member belongs to the community's party work.
    MemberKind {
        Regular = ("regular", "本支部党员", "Member of a local branch"),
        Floating = ("floating", "流动党员", "Floating member"),
        InService = ("in_service", "在职党员（双报到）", "Working member reporting to the community"),
    }
}

vocabulary! {
    /// 正式党员 or 预备党员.
    MemberStatus {
        Full = ("full", "正式党员", "Full member"),
        Probationary = ("probationary", "预备党员", "Probationary member"),
    }
}

vocabulary! {
    /// 三会一课 and 主题党日.
    PartyActivityKind {
        Congress = ("congress", "支部党员大会", "Branch general meeting"),
        CommitteeMeeting = ("committee_meeting", "支委会", "Branch committee meeting"),
        GroupMeeting = ("group_meeting", "党小组会", "Party group meeting"),
        Lecture = ("lecture", "党课", "Party lecture"),
        ThemeDay = ("theme_day", "主题党日", "Theme day"),
    }
}

impl PartyActivityKind {
    /// How many a branch holds in a year (三会一课: 党员大会、党课每季度一次，支委会、党小组会每月一次；主题党日每月一次).
    pub fn per_year(self) -> i64 {
        match self {
            PartyActivityKind::Congress | PartyActivityKind::Lecture => 4,
            _ => 12,
        }
    }
}

/// Party organizations sit on a street (街道党工委, 机关支部) or a community (社区党委/党总支/党支部).
pub fn party_org_level_ok(level: RegionLevel) -> bool {
    matches!(level, RegionLevel::Community | RegionLevel::Street)
}

/// A parent organization must be of a higher kind than its child (党委 › 党总支 › 党支部).
pub fn party_parent_ok(parent: PartyOrgKind, child: PartyOrgKind) -> bool {
    let rank = |k: PartyOrgKind| match k {
        PartyOrgKind::Committee => 3,
        PartyOrgKind::GeneralBranch => 2,
        PartyOrgKind::Branch => 1,
    };
    rank(parent) > rank(child)
}

/// Default yearly minimum of community service for an in-service member (在职党员到社区服务), in hours; configurable.
pub const DEFAULT_PARTY_SERVICE_MIN_HOURS: i64 = 12;

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn grid_grants_read_their_community() {
        use crate::role::Role;
        use crate::scope::Grant;
        let a = Actor {
            user_id: 1,
            username: "w".into(),
            display_name: "w".into(),
            grants: vec![Grant { role: Role::GridWorker, region_code: "33019900100101".into(), department_code: None }],
        };
        assert_eq!(read_roots(&a, Permission::ReadCommunityLife), Some(vec!["330199001001".to_string()]));
        assert!(may_read(&a, Permission::ReadCommunityLife, "330199001001"));
        assert!(!may_read(&a, Permission::ReadCommunityLife, "330199001002"));
        assert!(!may_read(&a, Permission::ReadCommunityLife, "330199001"));
        assert!(!may_read(&a, Permission::ManageCommunityLife, "330199001001"));
    }

    #[test]
    fn a_meeting_is_scheduled_held_resolved_and_published_in_order() {
        use MeetingStatus as S;
        use MeetingStep as A;
        assert_eq!(meeting_step(A::SignIn, S::Scheduled), Ok(S::Scheduled));
        assert_eq!(meeting_step(A::Minutes, S::Scheduled), Ok(S::Held));
        assert_eq!(meeting_step(A::Resolve, S::Held), Ok(S::Held));
        assert_eq!(meeting_step(A::Publish, S::Held), Ok(S::Held));
        assert_eq!(meeting_step(A::Resolve, S::Scheduled), Err(Refusal::State("scheduled")));
        assert_eq!(meeting_step(A::Publish, S::Scheduled), Err(Refusal::State("scheduled")));
        assert_eq!(meeting_step(A::Cancel, S::Scheduled), Ok(S::Cancelled));
        assert_eq!(meeting_step(A::Cancel, S::Held), Err(Refusal::State("held")));
        for a in MeetingStep::ALL {
            assert!(meeting_step(*a, S::Cancelled).is_err(), "{a:?}");
        }
    }

    #[test]
    fn resolutions_move_to_completion_and_stop_there() {
        use ResolutionStatus as S;
        assert_eq!(resolution_step(S::Pending, None), Ok(S::InProgress));
        assert_eq!(resolution_step(S::InProgress, Some(S::Done)), Ok(S::Done));
        assert_eq!(resolution_step(S::Pending, Some(S::Dropped)), Ok(S::Dropped));
        assert_eq!(resolution_step(S::Done, None), Err(Refusal::State("done")));
        assert!(resolution_overdue(S::InProgress, Some(d("2026-01-01")), d("2026-01-02")));
        assert!(!resolution_overdue(S::InProgress, Some(d("2026-01-02")), d("2026-01-02")));
        assert!(!resolution_overdue(S::Done, Some(d("2026-01-01")), d("2026-03-01")));
        assert!(!resolution_overdue(S::Pending, None, d("2026-03-01")));
    }

    #[test]
    fn service_time_is_credited_from_the_clock_or_the_organisers_figure() {
        assert_eq!(credited_minutes(2 * 3_600_000 + 20_000, None), Ok(120));
        assert_eq!(credited_minutes(5_000, Some(90)), Ok(90));
        assert_eq!(credited_minutes(5_000, None).unwrap_err().field, "hours");
        assert_eq!(credited_minutes(48 * 3_600_000, None), Ok(MAX_CREDIT_MINUTES));
        assert!(credited_minutes(0, Some(25 * 60)).is_err());
        assert_eq!(parse_hours("hours", "1.5").unwrap(), Some(90));
        assert_eq!(parse_hours("hours", "2小时").unwrap(), Some(120));
        assert_eq!(parse_hours("hours", "45分钟").unwrap(), Some(45));
        assert_eq!(parse_hours("hours", " ").unwrap(), None);
        assert_eq!(parse_hours("hours", "-1").unwrap_err().field, "hours");
        assert!(parse_hours("hours", "很久").is_err());
        assert_eq!(hours_text(90), "1.5");
        assert_eq!(hours_text(120), "2");
        assert_eq!(hours_text(0), "0");
    }

    #[test]
    fn a_balance_never_goes_below_zero() {
        assert_eq!(apply_to_balance(60, -60), Some(0));
        assert_eq!(apply_to_balance(60, -61), None);
        assert_eq!(apply_to_balance(0, 30), Some(30));
        assert_eq!(apply_to_balance(i64::MAX, 1), None);
    }

    #[test]
    fn stars_follow_cumulative_hours() {
        let t = DEFAULT_STAR_HOURS;
        assert_eq!(star_level(0, &t), 0);
        assert_eq!(star_level(99 * 60 + 59, &t), 0);
        assert_eq!(star_level(100 * 60, &t), 1);
        assert_eq!(star_level(650 * 60, &t), 3);
        assert_eq!(star_level(5000 * 60, &t), 5);
        assert_eq!(star_level(30 * 60, &[10, 20]), 2);
    }

    #[test]
    fn quantities_and_completion() {
        assert_eq!(parse_quantity("target", CommitmentKind::Money, "1.2万").unwrap(), Some(1_200_000));
        assert_eq!(parse_quantity("target", CommitmentKind::VolunteerHours, "20.5").unwrap(), Some(2050));
        assert_eq!(parse_quantity("target", CommitmentKind::Project, "2项").unwrap(), Some(200));
        assert_eq!(parse_quantity("target", CommitmentKind::Project, "").unwrap(), None);
        assert_eq!(parse_quantity("target", CommitmentKind::Project, "-1").unwrap_err().field, "target");
        assert_eq!(completion(50, 200), Some(0.25));
        assert_eq!(completion(300, 200), Some(1.0));
        assert_eq!(completion(5, 0), None);
        assert_eq!(x100_text(150), "1.5");
        assert_eq!(x100_text(1_200_000), "12000");
    }

    #[test]
    fn party_organizations_nest_by_rank_and_sit_on_streets_or_communities() {
        assert!(party_parent_ok(PartyOrgKind::Committee, PartyOrgKind::Branch));
        assert!(!party_parent_ok(PartyOrgKind::Branch, PartyOrgKind::Branch));
        assert!(party_org_level_ok(RegionLevel::Community));
        assert!(!party_org_level_ok(RegionLevel::Grid));
        assert_eq!(PartyActivityKind::Congress.per_year(), 4);
        assert_eq!(PartyActivityKind::ThemeDay.per_year(), 12);
        assert_eq!(MemberKind::parse("kind", "流动党员").unwrap(), MemberKind::Floating);
    }
}
