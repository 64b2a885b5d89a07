//! The event closed loop (DESIGN.md §6, GB/T 30428.8): which states exist, which action moves an event from
//! which state to which, and which roles may take each action. Pure: the app layer loads the event, asks
//! [`plan`], and writes the outcome together with the timeline entry.

use crate::role::Role;
use serde::{Deserialize, Serialize};

macro_rules! codes {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = ($code:literal, $zh:literal, $en:literal)),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $code),+ } }
            pub fn label_zh(self) -> &'static str { match self { $($name::$variant => $zh),+ } }
            pub fn label_en(self) -> &'static str { match self { $($name::$variant => $en),+ } }
            pub fn parse(s: &str) -> Option<$name> { Self::ALL.iter().copied().find(|v| v.as_str() == s) }
        }
    };
}

codes! {
    /// Where an event stands. Codes are the contract (DESIGN.md §6).
    Status {
        Reported = ("reported", "上报", "Reported"),
        Accepted = ("accepted", "受理", "Accepted"),
        Registered = ("registered", "立案", "Registered"),
        Dispatched = ("dispatched", "派遣", "Dispatched"),
        Handled = ("handled", "处置反馈", "Handled"),
        Verified = ("verified", "核查", "Verified"),
        Closed = ("closed", "结案", "Closed"),
        Evaluated = ("evaluated", "评价", "Evaluated"),
        Rejected = ("rejected", "不予受理", "Rejected"),
        Voided = ("voided", "作废", "Voided"),
        Suspended = ("suspended", "挂账", "Suspended"),
    }
}

codes! {
    /// What someone does to an event. Codes are the contract (DESIGN.md §6).
    Action {
        Report = ("report", "上报", "Report"),
        Accept = ("accept", "受理", "Accept"),
        Register = ("register", "立案", "Register"),
        Dispatch = ("dispatch", "派遣", "Dispatch"),
        Handle = ("handle", "处置反馈", "Handle"),
        Verify = ("verify", "核查", "Verify"),
        Close = ("close", "结案", "Close"),
        Evaluate = ("evaluate", "评价", "Evaluate"),
        Reject = ("reject", "不予受理", "Reject"),
        Void = ("void", "作废", "Void"),
        Suspend = ("suspend", "挂账", "Suspend"),
        Resume = ("resume", "恢复", "Resume"),
        Postpone = ("postpone", "延期", "Postpone"),
        Return = ("return", "回退", "Return"),
        Supervise = ("supervise", "督办", "Supervise"),
        Escalate = ("escalate", "上报上级", "Escalate"),
        SelfHandle = ("self_handle", "当场解决", "Solved on the spot"),
        Merge = ("merge", "合并", "Merge"),
    }
}

impl Status {
    /// No further work is expected: the event counts as finished in lists and indicators.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Closed | Status::Evaluated | Status::Rejected | Status::Voided)
    }

    /// Counts as 结案 for the indicators (DESIGN.md §4: closed and evaluated).
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Closed | Status::Evaluated)
    }

    /// The stage whose deadline runs while the event is in this state.
    pub fn stage(self) -> Option<Stage> {
        match self {
            Status::Reported => Some(Stage::Accept),
            Status::Accepted => Some(Stage::Register),
            Status::Registered => Some(Stage::Dispatch),
            Status::Dispatched => Some(Stage::Handle),
            Status::Handled => Some(Stage::Verify),
            Status::Verified => Some(Stage::Close),
            _ => None,
        }
    }
}

/// A stage of the loop with its own time limit (GB/T 30428.8 sets limits per stage and per class).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Accept,
    Register,
    Dispatch,
    Handle,
    Verify,
    Close,
}

impl Stage {
    pub const ALL: [Stage; 6] =
        [Stage::Accept, Stage::Register, Stage::Dispatch, Stage::Handle, Stage::Verify, Stage::Close];

    /// The key of this stage in a category's limits (`{"handle": "4h", …}`).
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Accept => "accept",
            Stage::Register => "register",
            Stage::Dispatch => "dispatch",
            Stage::Handle => "handle",
            Stage::Verify => "verify",
            Stage::Close => "close",
        }
    }
}

/// What the caller is to the event, beyond their role: the app layer works these out from the event row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relation {
    /// The event is dispatched to a department the caller works for.
    pub handles: bool,
    /// The caller reported the event (a resident's own report, or the grid worker who filed it).
    pub reporter: bool,
}

/// What the workflow decided for one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The state after the action (the same state for supervise, escalate and a postponement request).
    pub to: Status,
    /// A return or reopen after handling: counts as 返工 in the indicators.
    pub rework: bool,
}

/// Why an action was refused: by role (403) or by state (409).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Role,
    State(Status),
}

/// Roles that run the centre's desk (受理、立案、派遣、结案): the command centres and community staff.
fn centre(role: Role) -> bool {
    matches!(role, Role::Admin | Role::District | Role::Street | Role::Community)
}

/// Roles that approve side flows (作废、挂账、延期审批、督办): the street and district centres.
fn approver(role: Role) -> bool {
    matches!(role, Role::Admin | Role::District | Role::Street)
}

fn field(role: Role) -> bool {
    matches!(role, Role::GridWorker | Role::GridLeader)
}

/// May a caller with `role` take `action` at all (whatever the state)? Checked before the state (403 first).
pub fn role_may(role: Role, action: Action, rel: Relation) -> bool {
    match action {
        Action::Report => role != Role::Leader,
        // Merging a duplicate is the desk's judgement that a report is not a new case, like rejecting it.
        Action::Accept | Action::Register | Action::Dispatch | Action::Close | Action::Reject | Action::Merge => {
            centre(role)
        }
        Action::Handle => (role == Role::Department && rel.handles) || centre(role),
        Action::Verify => field(role) || centre(role),
        Action::Evaluate => rel.reporter || centre(role),
        Action::Void | Action::Suspend | Action::Resume | Action::Supervise => approver(role),
        Action::Postpone => (role == Role::Department && rel.handles) || approver(role),
        Action::Return => (role == Role::Department && rel.handles) || rel.reporter || field(role) || centre(role),
        Action::Escalate => field(role) || matches!(role, Role::Community | Role::Street | Role::Admin),
        Action::SelfHandle => field(role) || centre(role),
    }
}

/// Decides where `action` takes an event in state `from`. `resume_to` is the state a suspended event left.
/// Role first ([`Refusal::Role`] → 403), then state ([`Refusal::State`] → 409).
pub fn plan(
    role: Role,
    rel: Relation,
    action: Action,
    from: Status,
    resume_to: Option<Status>,
) -> Result<Plan, Refusal> {
    use Status::*;
    if !role_may(role, action, rel) {
        return Err(Refusal::Role);
    }
    // A resident may only reopen their own closed report, never move it along the centre's desk.
    if role == Role::Resident && action == Action::Return && from != Status::Closed {
        return Err(Refusal::State(from));
    }
    let same = Plan { to: from, rework: false };
    let go = |to: Status| Ok(Plan { to, rework: false });
    match (action, from) {
        (Action::Accept, Reported) => go(Accepted),
        (Action::Reject, Reported | Accepted) => go(Rejected),
        // A duplicate is merged before 立案: after that it is a case of its own, with its own deadlines and
        // departments, and ends by void or close. It becomes 作废 (the §6 states are fixed) with `merged_into` set.
        (Action::Merge, Reported | Accepted) => go(Voided),
        (Action::Register, Accepted) => go(Registered),
        // Re-dispatch (改派) from Dispatched is allowed: the department list changes, the state does not.
        (Action::Dispatch, Registered | Dispatched) => go(Dispatched),
        (Action::Handle, Dispatched) => go(Handled),
        (Action::Verify, Handled) => go(Verified),
        (Action::Close, Verified) => go(Closed),
        (Action::Evaluate, Closed) => go(Evaluated),
        (Action::Void, Reported | Accepted | Registered | Dispatched | Suspended) => go(Voided),
        (Action::Suspend, Registered | Dispatched) => go(Suspended),
        (Action::Resume, Suspended) => go(resume_to.unwrap_or(Dispatched)),
        (Action::Postpone, Dispatched) => Ok(same),
        (Action::Return, Accepted) => go(Reported),
        (Action::Return, Registered) => go(Accepted),
        (Action::Return, Dispatched) => go(Registered),
        // Sent back after handling: 返工, back to the department.
        (Action::Return, Handled | Verified) => Ok(Plan { to: Dispatched, rework: true }),
        // The reporter (or the centre on their behalf) reopens a closed event that is not really fixed.
        (Action::Return, Closed) if rel.reporter || centre(role) => Ok(Plan { to: Dispatched, rework: true }),
        (Action::Supervise | Action::Escalate, s) if !s.is_final() => Ok(same),
        (Action::SelfHandle, Reported) => go(Closed),
        _ => Err(Refusal::State(from)),
    }
}

/// Why an event cannot take in a merged duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeRefusal {
    /// The duplicate names itself.
    Itself,
    /// The target is finished (closed, evaluated, rejected, voided): the reporter would follow a dead end.
    Finished(Status),
    /// The target was itself merged into this event: merge into that one instead.
    Merged(i64),
}

/// May the event `into` (in state `target`, merged into `target_merged_into` if so) take in the duplicate
/// `from`? The workflow's [`plan`] has already decided the duplicate may be merged at all.
pub fn merge_target(from: i64, into: i64, target: Status, target_merged_into: Option<i64>) -> Result<(), MergeRefusal> {
    if from == into {
        return Err(MergeRefusal::Itself);
    }
    if let Some(m) = target_merged_into {
        return Err(MergeRefusal::Merged(m));
    }
    if target.is_final() {
        return Err(MergeRefusal::Finished(target));
    }
    Ok(())
}

/// The actions a caller could take now, for the buttons on the event page.
pub fn available(role: Role, rel: Relation, from: Status) -> Vec<Action> {
    Action::ALL.iter().copied().filter(|a| *a != Action::Report && plan(role, rel, *a, from, None).is_ok()).collect()
}

codes! {
    /// Where events come from (DESIGN.md §4 `source`).
    Source {
        GridWorker = ("grid_worker", "网格员上报", "Grid worker"),
        Resident = ("resident", "居民上报", "Resident"),
        Hotline = ("hotline", "热线", "Hotline"),
        Staff = ("staff", "工作人员录入", "Staff"),
        Patrol = ("patrol", "巡查发现", "Patrol"),
        Open311 = ("open311", "Open311", "Open311"),
        Api = ("api", "接口", "API"),
    }
}

codes! {
    /// 督办 cards: the colour says how serious; the assessment issue deducts points by colour.
    Card {
        Normal = ("normal", "督办", "Supervision"),
        Yellow = ("yellow", "黄牌督办", "Yellow card"),
        Red = ("red", "红牌督办", "Red card"),
    }
}

codes! {
    /// Who leads the handling (属地管理, 分级处置): raised by escalation, one level at a time.
    Level {
        Grid = ("grid", "网格", "Grid"),
        Community = ("community", "社区", "Community"),
        Street = ("street", "街道", "Street"),
        District = ("district", "区", "District"),
    }
}

impl Level {
    pub fn up(self) -> Option<Level> {
        match self {
            Level::Grid => Some(Level::Community),
            Level::Community => Some(Level::Street),
            Level::Street => Some(Level::District),
            Level::District => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: Relation = Relation { handles: false, reporter: false };
    const HANDLER: Relation = Relation { handles: true, reporter: false };

    #[test]
    fn the_main_loop_runs_from_report_to_evaluation() {
        let steps = [
            (Role::Street, NONE, Action::Accept, Status::Accepted),
            (Role::Street, NONE, Action::Register, Status::Registered),
            (Role::Street, NONE, Action::Dispatch, Status::Dispatched),
            (Role::Department, HANDLER, Action::Handle, Status::Handled),
            (Role::GridWorker, NONE, Action::Verify, Status::Verified),
            (Role::Street, NONE, Action::Close, Status::Closed),
            (Role::Resident, Relation { reporter: true, handles: false }, Action::Evaluate, Status::Evaluated),
        ];
        let mut s = Status::Reported;
        for (role, rel, action, want) in steps {
            s = plan(role, rel, action, s, None).unwrap().to;
            assert_eq!(s, want, "{action:?}");
        }
        assert!(s.is_final() && s.is_closed());
    }

    #[test]
    fn role_is_checked_before_state() {
        // A grid worker may not close, whatever the state: 403 even on a reported event.
        assert_eq!(plan(Role::GridWorker, NONE, Action::Close, Status::Reported, None), Err(Refusal::Role));
        // A department that the event was not dispatched to may not handle it.
        assert_eq!(plan(Role::Department, NONE, Action::Handle, Status::Dispatched, None), Err(Refusal::Role));
        // The right role in the wrong state: 409 naming the state.
        assert_eq!(
            plan(Role::Street, NONE, Action::Close, Status::Dispatched, None),
            Err(Refusal::State(Status::Dispatched))
        );
        // Leaders only read.
        for a in Action::ALL {
            assert!(plan(Role::Leader, NONE, *a, Status::Reported, None).is_err());
        }
    }

    #[test]
    fn returns_after_handling_count_as_rework() {
        let p = plan(Role::GridWorker, NONE, Action::Return, Status::Handled, None).unwrap();
        assert_eq!(p, Plan { to: Status::Dispatched, rework: true });
        let p = plan(Role::Department, HANDLER, Action::Return, Status::Dispatched, None).unwrap();
        assert_eq!(p, Plan { to: Status::Registered, rework: false });
        // The reporter reopens a closed event.
        let rep = Relation { reporter: true, handles: false };
        assert!(plan(Role::Resident, rep, Action::Return, Status::Closed, None).unwrap().rework);
        // A grid worker who did not report it cannot reopen it.
        assert!(plan(Role::GridWorker, NONE, Action::Return, Status::Closed, None).is_err());
        assert!(plan(Role::Resident, rep, Action::Return, Status::Dispatched, None).is_err());
        assert_eq!(plan(Role::Resident, NONE, Action::Return, Status::Closed, None), Err(Refusal::Role));
    }

    #[test]
    fn side_flows_need_an_approver_and_resume_where_they_left() {
        assert_eq!(plan(Role::Community, NONE, Action::Suspend, Status::Dispatched, None), Err(Refusal::Role));
        let p = plan(Role::Street, NONE, Action::Suspend, Status::Dispatched, None).unwrap();
        assert_eq!(p.to, Status::Suspended);
        let p = plan(Role::Street, NONE, Action::Resume, Status::Suspended, Some(Status::Registered)).unwrap();
        assert_eq!(p.to, Status::Registered);
        assert!(plan(Role::District, NONE, Action::Void, Status::Closed, None).is_err());
        assert!(plan(Role::Street, NONE, Action::Supervise, Status::Closed, None).is_err());
        assert_eq!(plan(Role::Street, NONE, Action::Supervise, Status::Handled, None).unwrap().to, Status::Handled);
    }

    #[test]
    fn small_things_are_solved_on_the_spot_only_when_just_reported() {
        assert_eq!(
            plan(Role::GridWorker, NONE, Action::SelfHandle, Status::Reported, None).unwrap().to,
            Status::Closed
        );
        assert!(plan(Role::GridWorker, NONE, Action::SelfHandle, Status::Dispatched, None).is_err());
        assert_eq!(plan(Role::Department, HANDLER, Action::SelfHandle, Status::Reported, None), Err(Refusal::Role));
    }

    #[test]
    fn duplicates_are_merged_by_the_desk_before_registration() {
        for role in [Role::Admin, Role::District, Role::Street, Role::Community] {
            for from in [Status::Reported, Status::Accepted] {
                assert_eq!(plan(role, NONE, Action::Merge, from, None).unwrap().to, Status::Voided, "{role:?}");
            }
        }
        // The same roles as reject: not the field, not departments (even handling it), not leaders or residents.
        let rep = Relation { reporter: true, handles: true };
        for role in [Role::GridWorker, Role::GridLeader, Role::Department, Role::Leader, Role::Resident] {
            assert_eq!(plan(role, rep, Action::Merge, Status::Reported, None), Err(Refusal::Role), "{role:?}");
            assert_eq!(role_may(role, Action::Merge, rep), role_may(role, Action::Reject, rep));
        }
        // After 立案 (or once finished or parked) it is no longer a duplicate to fold away: 409 naming the state.
        for from in [
            Status::Registered,
            Status::Dispatched,
            Status::Handled,
            Status::Verified,
            Status::Closed,
            Status::Evaluated,
            Status::Rejected,
            Status::Voided,
            Status::Suspended,
        ] {
            assert_eq!(plan(Role::Street, NONE, Action::Merge, from, None), Err(Refusal::State(from)));
        }
        assert!(available(Role::Community, NONE, Status::Accepted).contains(&Action::Merge));
        assert!(!available(Role::GridWorker, NONE, Status::Reported).contains(&Action::Merge));
    }

    #[test]
    fn a_merge_target_is_another_open_event_not_itself_merged() {
        assert_eq!(merge_target(5, 3, Status::Reported, None), Ok(()));
        // Any open or parked state takes duplicates, whatever its stage.
        for s in [Status::Accepted, Status::Registered, Status::Dispatched, Status::Handled, Status::Suspended] {
            assert_eq!(merge_target(5, 3, s, None), Ok(()), "{s:?}");
        }
        assert_eq!(merge_target(5, 5, Status::Reported, None), Err(MergeRefusal::Itself));
        for s in [Status::Closed, Status::Evaluated, Status::Rejected] {
            assert_eq!(merge_target(5, 3, s, None), Err(MergeRefusal::Finished(s)));
        }
        // A merged target is voided too, but the answer points at where it went.
        assert_eq!(merge_target(5, 3, Status::Voided, Some(2)), Err(MergeRefusal::Merged(2)));
        assert_eq!(merge_target(5, 3, Status::Voided, None), Err(MergeRefusal::Finished(Status::Voided)));
    }

    #[test]
    fn every_code_round_trips_and_buttons_match_the_plan() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(*s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(*a));
        }
        let acts = available(Role::Street, NONE, Status::Reported);
        assert!(acts.contains(&Action::Accept) && acts.contains(&Action::Reject) && !acts.contains(&Action::Close));
        assert_eq!(Level::Street.up(), Some(Level::District));
        assert_eq!(Level::District.up(), None);
    }
}
