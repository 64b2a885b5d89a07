//! Roles (DESIGN.md §1) and what each may do. Codes are contracts: keep them exactly.

use crate::region::RegionLevel;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    District,
    Street,
    Community,
    GridLeader,
    GridWorker,
    Department,
    Mediator,
    Leader,
    Resident,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Admin,
        Role::District,
        Role::Street,
        Role::Community,
        Role::GridLeader,
        Role::GridWorker,
        Role::Department,
        Role::Mediator,
        Role::Leader,
        Role::Resident,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::District => "district",
            Role::Street => "street",
            Role::Community => "community",
            Role::GridLeader => "grid_leader",
            Role::GridWorker => "grid_worker",
            Role::Department => "department",
            Role::Mediator => "mediator",
            Role::Leader => "leader",
            Role::Resident => "resident",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::District => "区综治中心",
            Role::Street => "街道指挥中心",
            Role::Community => "社区工作人员",
            Role::GridLeader => "网格长",
            Role::GridWorker => "网格员",
            Role::Department => "职能部门",
            Role::Mediator => "人民调解员",
            Role::Leader => "领导",
            Role::Resident => "居民",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::District => "District centre",
            Role::Street => "Street centre",
            Role::Community => "Community staff",
            Role::GridLeader => "Grid leader",
            Role::GridWorker => "Grid worker",
            Role::Department => "Department",
            Role::Mediator => "Mediator",
            Role::Leader => "Leader",
            Role::Resident => "Resident",
        }
    }

    /// The region levels a grant of this role may name: a grid worker works in grids, a street centre in a
    /// street, and so on. Admins hold everything (empty region); leaders and departments may sit at any level.
    pub fn allowed_levels(self) -> &'static [RegionLevel] {
        use RegionLevel::*;
        match self {
            Role::Admin | Role::Department | Role::Leader => &[District, Street, Community, Grid],
            Role::District => &[District],
            Role::Street => &[Street],
            Role::Community => &[Community],
            Role::GridLeader => &[Community, Grid],
            Role::GridWorker => &[Grid],
            Role::Mediator => &[District, Street, Community],
            Role::Resident => &[Community, Grid],
        }
    }

    /// Whether the role needs a department code next to its region.
    pub fn needs_department(self) -> bool {
        self == Role::Department
    }
}

/// Things a role may do inside its region subtree. Checked in one place: [`crate::scope::Actor::may`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See regions, grids, counts and the map.
    ReadRegions,
    /// Create and edit regions and grid boundaries, import them.
    ManageRegions,
    /// Create users and assign (role, region) pairs.
    ManageUsers,
    /// Read the audit log.
    ReadAudit,
    /// Issue API keys for client applications.
    ManageApiKeys,
    /// Change system settings such as the map tile source.
    ManageSettings,
    /// See individual people, households and houses of the register (not just counts).
    ReadRegister,
    /// Register, change and move people, households and houses; import resident lists.
    ManageRegister,
    /// See a full 身份证号 or phone number (always with a reason, always audited).
    RevealPersonalData,
    /// See sensitive special-group tags (社区矫正, 刑满释放, 严重精神障碍, 吸毒, 重点青少年).
    ReadSensitiveTags,
    /// Edit the kinds of special-group tags.
    ManageTagKinds,
    /// See events in the subtree (departments: only those dispatched to them; residents: their own).
    ReadEvents,
    /// Report an event as staff (grid workers, centres, hotline desks).
    ReportEvents,
    /// Edit event categories, time limits, routing rules and the working calendar.
    ManageEventRules,
    /// See other staff's own indicators (上报数, 有效上报率, 按时核查率…) in the subtree: those who supervise or
    /// assess them. Everyone else who reads events sees only their own row.
    ReadStaffIndicators,
    /// Record field work of one's own: visits (走访), patrols (巡查), the daily 民情日志.
    RecordFieldWork,
    /// See others' field work in the subtree (each grid worker's month, their visits and patrols) and keep
    /// patrol routes.
    ReadFieldWork,
    /// Move a grid from one grid worker to another (a worker leaves).
    AssignGrids,
    /// See disputes and their parties in the subtree, and register new ones.
    ReadDisputes,
    /// Mediate: accept, record sessions, agree, refer, escalate, follow up, close.
    MediateDisputes,
    /// See dispute statistics (counts and rates, no parties).
    ReadDisputeStats,
    /// Edit the dispute type taxonomy.
    ManageDisputeTypes,
    /// Keep the subtree's safety teams (巡防队, 平安志愿者): add teams and their members.
    ManageSafetyTeams,
    // Community life (社区共建, issue #9).
    /// See meetings and their resolutions, volunteers and their activities, social organizations' incubation,
    /// co-building units and 共建日, party organizations and their activities (without member lists). A grant on
    /// a grid reads its community's records.
    ReadCommunityLife,
    /// Schedule and record meetings, keep volunteers, activities and the time bank, co-building units and their
    /// commitments, social organizations' stages and services.
    ManageCommunityLife,
    /// See party members and who signed in at party activities: political status is sensitive personal data.
    ReadPartyMembers,
    /// Keep party organizations, members, 三会一课 and members' service records.
    ManagePartyAffairs,
    // Participation and transparency (居务公开与民意, issue #9).
    /// See the subtree's notices (drafts too), the fund ledger with entries awaiting approval and their vouchers,
    /// polls with live counts and free-text answers, the happiness index.
    ReadParticipation,
    /// Write, publish, withdraw and pin notices (公开公告).
    PublishNotices,
    /// Enter co-building fund ledger entries and reversals (共建资金台账).
    KeepLedger,
    /// Approve or reject ledger entries someone else entered.
    ApproveLedger,
    /// Create, open and close polls and happiness rounds; export results.
    ManagePolls,
    /// Record paper ballots collected door to door (入户收集纸质问卷).
    RecordPaperBallots,
    /// See resident-service applications (办件) in the subtree (departments: only their own items').
    ReadApplications,
    /// Accept applications at the one window (前台一口受理) for residents of the subtree; staff who accept stay
    /// first-responsible (首问负责). Grid workers accept too, as the residents' 代办员.
    AcceptApplications,
    /// Work applications in the back office (后台协同办理): departments their own items, the station's staff the
    /// items the station handles itself.
    HandleApplications,
    /// Edit the service catalogue (服务事项: categories, items, materials, time limits).
    ManageServiceCatalogue,
    /// Keep a station's opening hours (错时/延时服务) and its appointments.
    ManageServiceHours,
    /// See service statistics (counts, on-time rate, satisfaction, load; no applicants).
    ReadServiceStats,
    /// Keep the admission list (社区工作事项准入清单) of what departments may push onto communities.
    ManageAdmissionList,
    /// Push tasks onto communities (departments, within the admission list).
    PushCommunityTasks,
    /// 一表通: send a data request (a table the register answers first) onto communities and download the result.
    RequestData,
    /// Accept and complete tasks pushed onto one's community.
    HandleCommunityTasks,
    /// See the admission list, the tasks pushed and the report of accepted and refused tasks.
    ReadCommunityTasks,
    /// The command centre (指挥中心): the live dashboard and map, the feed of new and overdue events, the big
    /// screen and the monthly and quarterly reports of the subtree (read only).
    ReadCommand,
    // Assessment (考核评价, issue #10).
    /// See scores in the subtree: communities' star assessments, every grid worker's month, the department
    /// ranking, and the records behind each number. A grid worker sees only their own month, without this.
    ReadAssessment,
    /// Fill in the community's star self-assessment with evidence and declare it (社区自评申报).
    DeclareStar,
    /// Review declared star assessments (街道审核).
    ReviewStar,
    /// Approve, flag, keep or withdraw stars (区级审定、动态管理).
    ApproveStar,
    /// Edit assessment schemes (indicators, points, deductions, star and pay rules).
    ManageSchemes,
    /// Export the month's performance pay for payroll.
    ExportPayroll,
    /// Register property-management companies (物业服务企业) for the subtree's communities and grids, enter the
    /// community's inspection scores with evidence and link residents' polls as their satisfaction survey.
    ManagePropertyCompanies,
}

impl Permission {
    pub fn granted_to(self, role: Role) -> bool {
        use Role::*;
        match self {
            Permission::ReadRegions => role != Resident,
            Permission::ManageRegions => matches!(role, Admin | District),
            Permission::ManageUsers => role == Admin,
            Permission::ReadAudit => matches!(role, Admin | District),
            Permission::ManageApiKeys => role == Admin,
            Permission::ManageSettings => role == Admin,
            Permission::ReadRegister => {
                matches!(role, Admin | District | Street | Community | GridLeader | GridWorker | Mediator)
            }
            Permission::ManageRegister | Permission::RevealPersonalData | Permission::ReadSensitiveTags => {
                matches!(role, Admin | District | Street | Community | GridLeader | GridWorker)
            }
            Permission::ManageTagKinds => role == Admin,
            Permission::ReadEvents => role != Resident,
            Permission::ReportEvents => !matches!(role, Leader | Resident | Department),
            Permission::ManageEventRules => matches!(role, Admin | District),
            Permission::ReadStaffIndicators | Permission::ReadFieldWork => {
                matches!(role, Admin | District | Street | Community | GridLeader | Leader)
            }
            Permission::RecordFieldWork => {
                matches!(role, Admin | District | Street | Community | GridLeader | GridWorker)
            }
            Permission::AssignGrids => matches!(role, Admin | District | Street | Community),
            Permission::ReadDisputes => {
                matches!(role, Admin | District | Street | Community | GridLeader | GridWorker | Mediator)
            }
            Permission::MediateDisputes => matches!(role, Admin | District | Street | Community | Mediator),
            Permission::ReadDisputeStats => {
                matches!(role, Admin | District | Street | Community | GridLeader | GridWorker | Mediator | Leader)
            }
            Permission::ManageDisputeTypes => matches!(role, Admin | District),
            Permission::ManageSafetyTeams => matches!(role, Admin | District | Street | Community),
            Permission::ReadCommunityLife => {
                matches!(role, Admin | District | Street | Community | GridLeader | GridWorker | Leader)
            }
            Permission::ManageCommunityLife | Permission::ReadPartyMembers | Permission::ManagePartyAffairs => {
                matches!(role, Admin | District | Street | Community)
            }
            Permission::ReadParticipation => {
                matches!(role, Admin | District | Street | Community | GridLeader | GridWorker | Leader)
            }
            Permission::PublishNotices
            | Permission::KeepLedger
            | Permission::ApproveLedger
            | Permission::ManagePolls => matches!(role, Admin | District | Street | Community),
            Permission::RecordPaperBallots => {
                matches!(role, Admin | District | Street | Community | GridLeader | GridWorker)
            }
            Permission::ReadApplications => {
                matches!(role, Admin | District | Street | Community | GridLeader | GridWorker | Department)
            }
            Permission::AcceptApplications => {
                matches!(role, Admin | District | Street | Community | GridLeader | GridWorker)
            }
            Permission::HandleApplications => matches!(role, Admin | District | Street | Community | Department),
            Permission::ManageServiceCatalogue | Permission::ManageAdmissionList => matches!(role, Admin | District),
            Permission::ManageServiceHours => matches!(role, Admin | District | Street | Community),
            Permission::ReadServiceStats | Permission::ReadCommunityTasks => {
                matches!(role, Admin | District | Street | Community | GridLeader | Department | Leader)
            }
            Permission::PushCommunityTasks => matches!(role, Admin | Department),
            Permission::RequestData => matches!(role, Admin | District | Street | Department),
            Permission::HandleCommunityTasks => matches!(role, Admin | Community),
            Permission::ReadCommand => matches!(role, Admin | District | Street | Community | GridLeader | Leader),
            Permission::ReadAssessment => {
                matches!(role, Admin | District | Street | Community | GridLeader | Leader)
            }
            Permission::DeclareStar => matches!(role, Admin | Community),
            Permission::ReviewStar => matches!(role, Admin | Street),
            Permission::ApproveStar | Permission::ManageSchemes => matches!(role, Admin | District),
            Permission::ExportPayroll | Permission::ManagePropertyCompanies => {
                matches!(role, Admin | District | Street | Community)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn grants_sit_at_the_level_the_role_works_at() {
        assert_eq!(Role::GridWorker.allowed_levels(), &[RegionLevel::Grid]);
        assert!(!Role::Street.allowed_levels().contains(&RegionLevel::District));
        for r in Role::ALL {
            assert!(!r.allowed_levels().is_empty(), "{r:?}");
        }
    }

    #[test]
    fn leaders_and_residents_cannot_manage() {
        for p in [Permission::ManageRegions, Permission::ManageUsers, Permission::ReadAudit] {
            assert!(!p.granted_to(Role::Leader));
            assert!(!p.granted_to(Role::Resident));
            assert!(!p.granted_to(Role::GridWorker));
        }
        assert!(Permission::ReadRegions.granted_to(Role::Leader));
        // Leaders read dashboards, not individual people; departments see what is dispatched to them.
        assert!(!Permission::ReadRegister.granted_to(Role::Leader));
        assert!(!Permission::ReadRegister.granted_to(Role::Department));
        assert!(Permission::ReadRegister.granted_to(Role::Mediator));
        assert!(!Permission::ReadSensitiveTags.granted_to(Role::Mediator));
        assert!(Permission::RevealPersonalData.granted_to(Role::GridWorker));
        assert!(!Permission::ReadRegions.granted_to(Role::Resident));
        // A grid worker or a department sees their own indicators, not their colleagues'.
        assert!(Permission::ReadStaffIndicators.granted_to(Role::GridLeader));
        assert!(Permission::ReadStaffIndicators.granted_to(Role::Leader));
        for r in [Role::GridWorker, Role::Department, Role::Mediator, Role::Resident] {
            assert!(!Permission::ReadStaffIndicators.granted_to(r), "{r:?}");
        }
    }

    #[test]
    fn community_life_is_kept_by_community_staff_and_above_and_party_members_are_sensitive() {
        for r in [Role::GridWorker, Role::GridLeader, Role::Leader] {
            assert!(Permission::ReadCommunityLife.granted_to(r), "{r:?}");
            assert!(!Permission::ManageCommunityLife.granted_to(r), "{r:?}");
            // Political status is sensitive: grid staff and leaders see organizations, not member lists.
            assert!(!Permission::ReadPartyMembers.granted_to(r), "{r:?}");
        }
        for r in [Role::Community, Role::Street, Role::District] {
            assert!(Permission::ManageCommunityLife.granted_to(r), "{r:?}");
            assert!(Permission::ManagePartyAffairs.granted_to(r), "{r:?}");
        }
        for r in [Role::Resident, Role::Department, Role::Mediator] {
            assert!(!Permission::ReadCommunityLife.granted_to(r), "{r:?}");
            assert!(!Permission::ReadPartyMembers.granted_to(r), "{r:?}");
        }
    }

    #[test]
    fn participation_is_kept_by_community_staff_and_above_and_read_by_leaders() {
        use Permission as P;
        for p in [P::PublishNotices, P::KeepLedger, P::ApproveLedger, P::ManagePolls] {
            for r in [Role::Admin, Role::District, Role::Street, Role::Community] {
                assert!(p.granted_to(r), "{p:?} {r:?}");
            }
            for r in
                [Role::GridLeader, Role::GridWorker, Role::Leader, Role::Department, Role::Mediator, Role::Resident]
            {
                assert!(!p.granted_to(r), "{p:?} {r:?}");
            }
        }
        assert!(P::ReadParticipation.granted_to(Role::Leader));
        assert!(!P::ReadParticipation.granted_to(Role::Resident) && !P::ReadParticipation.granted_to(Role::Department));
        // Grid workers collect paper ballots door to door; leaders only read.
        assert!(P::RecordPaperBallots.granted_to(Role::GridWorker));
        assert!(!P::RecordPaperBallots.granted_to(Role::Leader));
    }

    #[test]
    fn front_desk_back_office_and_the_admission_list() {
        use Permission as P;
        // Community staff and grid workers accept at the window; departments work the back office only.
        assert!(
            P::AcceptApplications.granted_to(Role::Community) && P::AcceptApplications.granted_to(Role::GridWorker)
        );
        assert!(!P::AcceptApplications.granted_to(Role::Department));
        assert!(
            P::HandleApplications.granted_to(Role::Department) && !P::HandleApplications.granted_to(Role::GridWorker)
        );
        // Residents apply as themselves (the app checks the person), never through a grant.
        for p in [P::ReadApplications, P::AcceptApplications, P::HandleApplications, P::ReadServiceStats] {
            assert!(!p.granted_to(Role::Resident), "{p:?}");
            assert!(!p.granted_to(Role::Mediator), "{p:?}");
        }
        // Leaders read the figures, not the applications.
        assert!(P::ReadServiceStats.granted_to(Role::Leader) && !P::ReadApplications.granted_to(Role::Leader));
        // Only departments push onto communities, only communities accept, only the district keeps the list.
        assert!(P::PushCommunityTasks.granted_to(Role::Department) && !P::PushCommunityTasks.granted_to(Role::Street));
        assert!(
            P::HandleCommunityTasks.granted_to(Role::Community)
                && !P::HandleCommunityTasks.granted_to(Role::Department)
        );
        assert!(
            P::ManageAdmissionList.granted_to(Role::District) && !P::ManageAdmissionList.granted_to(Role::Department)
        );
        assert!(
            P::ReadCommunityTasks.granted_to(Role::Community) && !P::ReadCommunityTasks.granted_to(Role::GridWorker)
        );
    }

    #[test]
    fn the_command_centre_is_for_centres_and_leaders() {
        for r in [Role::Admin, Role::District, Role::Street, Role::Community, Role::GridLeader, Role::Leader] {
            assert!(Permission::ReadCommand.granted_to(r), "{r:?}");
        }
        for r in [Role::GridWorker, Role::Department, Role::Mediator, Role::Resident] {
            assert!(!Permission::ReadCommand.granted_to(r), "{r:?}");
        }
    }
}
