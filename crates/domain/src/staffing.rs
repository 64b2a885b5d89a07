//! The seed documents' numeric rules for grids and communities, as pure functions over configurable numbers:
//! a grid holds 300–500 households; a community of up to 1,000 households needs 4 staff, plus 1 for each
//! further 250 households (or part of 250).

/// The household range a grid should hold (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridRule {
    pub min_households: i64,
    pub max_households: i64,
}

impl Default for GridRule {
    fn default() -> Self {
        GridRule { min_households: 300, max_households: 500 }
    }
}

impl GridRule {
    pub fn within_range(&self, households: i64) -> bool {
        (self.min_households..=self.max_households).contains(&households)
    }
}

/// Community staffing: `base` staff up to `base_households`, plus one per `per_extra` households beyond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffRule {
    pub base: i64,
    pub base_households: i64,
    pub per_extra: i64,
}

impl Default for StaffRule {
    fn default() -> Self {
        StaffRule { base: 4, base_households: 1000, per_extra: 250 }
    }
}

impl StaffRule {
    /// Staff a community of `households` households needs.
    pub fn staff_required(&self, households: i64) -> i64 {
        let extra = (households - self.base_households).max(0);
        let per = self.per_extra.max(1);
        self.base + (extra + per - 1) / per
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staffing_follows_the_seed_rule() {
        let r = StaffRule::default();
        for (hh, staff) in [(0, 4), (1, 4), (999, 4), (1000, 4), (1001, 5), (1250, 5), (1251, 6), (1500, 6), (2000, 8)]
        {
            assert_eq!(r.staff_required(hh), staff, "{hh} households");
        }
        let custom = StaffRule { base: 3, base_households: 500, per_extra: 100 };
        assert_eq!(custom.staff_required(650), 5);
        let degenerate = StaffRule { base: 1, base_households: 0, per_extra: 0 };
        assert_eq!(degenerate.staff_required(3), 4, "a zero step counts each household");
    }

    #[test]
    fn grid_range_is_inclusive() {
        let g = GridRule::default();
        assert!(!g.within_range(299));
        assert!(g.within_range(300));
        assert!(g.within_range(500));
        assert!(!g.within_range(501));
        assert!(!g.within_range(0));
    }
}
