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
    /// The command centre (指挥中心): the live dashboard and map, the feed of new and overdue events, the big
    /// screen and the monthly and quarterly reports of the subtree (read only).
    ReadCommand,
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
            Permission::ReadCommand => matches!(role, Admin | District | Street | Community | GridLeader | Leader),
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
    fn the_command_centre_is_for_centres_and_leaders() {
        for r in [Role::Admin, Role::District, Role::Street, Role::Community, Role::GridLeader, Role::Leader] {
            assert!(Permission::ReadCommand.granted_to(r), "{r:?}");
        }
        for r in [Role::GridWorker, Role::Department, Role::Mediator, Role::Resident] {
            assert!(!Permission::ReadCommand.granted_to(r), "{r:?}");
        }
    }
}
