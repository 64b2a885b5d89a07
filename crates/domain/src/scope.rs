//! Who asks, and which region subtrees they may see. The one decision every use case goes through.

use crate::region::is_within;
use crate::role::{Permission, Role};
use serde::{Deserialize, Serialize};

/// One (role, region[, department]) pair held by a user.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub region_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_code: Option<String>,
}

/// The authenticated caller with every grant they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub grants: Vec<Grant>,
}

impl Actor {
    pub fn is_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::Admin)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// May this actor do `perm` on something in `region_code`? Admins may do anything anywhere;
    /// everyone else needs a grant whose role carries the permission and whose region contains the target.
    pub fn may(&self, perm: Permission, region_code: &str) -> bool {
        self.grants
            .iter()
            .any(|g| perm.granted_to(g.role) && (g.role == Role::Admin || is_within(region_code, &g.region_code)))
    }

    /// May the actor do `perm` somewhere (used for menus and list endpoints that then filter by scope)?
    pub fn may_somewhere(&self, perm: Permission) -> bool {
        self.grants.iter().any(|g| perm.granted_to(g.role))
    }

    /// The roots of the subtrees the actor may read for `perm`, without roots nested in other roots.
    /// `None` means everything (admin).
    pub fn roots(&self, perm: Permission) -> Option<Vec<String>> {
        if self.grants.iter().any(|g| g.role == Role::Admin && perm.granted_to(g.role)) {
            return None;
        }
        let mut codes: Vec<String> =
            self.grants.iter().filter(|g| perm.granted_to(g.role)).map(|g| g.region_code.clone()).collect();
        codes.sort();
        codes.dedup();
        // After sorting, an ancestor comes right before its descendants, so one pass drops nested roots.
        let mut roots: Vec<String> = Vec::new();
        for c in codes {
            if !roots.last().is_some_and(|r| is_within(&c, r)) {
                roots.push(c);
            }
        }
        Some(roots)
    }

    /// Whether the region is an ancestor of something the actor may see (so it may appear as a breadcrumb).
    pub fn sees_ancestor(&self, perm: Permission, region_code: &str) -> bool {
        match self.roots(perm) {
            None => true,
            Some(roots) => roots.iter().any(|r| is_within(r, region_code)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(grants: &[(Role, &str)]) -> Actor {
        Actor {
            user_id: 1,
            username: "u".into(),
            display_name: "u".into(),
            grants: grants
                .iter()
                .map(|(r, c)| Grant { role: *r, region_code: c.to_string(), department_code: None })
                .collect(),
        }
    }

    #[test]
    fn street_staff_see_only_their_street() {
        let a = actor(&[(Role::Street, "110105001")]);
        assert!(a.may(Permission::ReadRegions, "110105001"));
        assert!(a.may(Permission::ReadRegions, "11010500100101"));
        assert!(!a.may(Permission::ReadRegions, "110105002"));
        assert!(!a.may(Permission::ReadRegions, "110105"));
        assert!(!a.may(Permission::ManageRegions, "110105001"));
    }

    #[test]
    fn admin_sees_everything() {
        let a = actor(&[(Role::Admin, "110105")]);
        assert!(a.may(Permission::ManageUsers, "999999"));
        assert_eq!(a.roots(Permission::ReadRegions), None);
    }

    #[test]
    fn roots_drop_nested_grants() {
        let a = actor(&[
            (Role::Community, "110105001001"),
            (Role::Street, "110105001"),
            (Role::GridWorker, "11010500200101"),
        ]);
        assert_eq!(
            a.roots(Permission::ReadRegions).unwrap(),
            vec!["110105001".to_string(), "11010500200101".to_string()]
        );
        assert!(a.sees_ancestor(Permission::ReadRegions, "110105"));
        assert!(!a.sees_ancestor(Permission::ReadRegions, "110106"));
    }

    #[test]
    fn a_grant_without_the_permission_gives_nothing() {
        let a = actor(&[(Role::Resident, "110105")]);
        assert!(!a.may(Permission::ReadRegions, "110105"));
        assert_eq!(a.roots(Permission::ReadRegions).unwrap(), Vec::<String>::new());
    }
}
