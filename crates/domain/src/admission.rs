//! The admission list (社区工作事项准入制): a department may push work onto a community only when the item is on
//! the list approved for that department and that community's area, with the approving document and the funding
//! that follows the work (权随责走、费随事转). Pure: [`admit`] decides against the list the app loaded; everything
//! that pushes work to communities (tasks now, 一表通 data requests later) asks it through `App::check_admission`.

use chrono::NaiveDate;

vocabulary! {
    /// Where a task pushed to a community stands.
    TaskStatus {
        Pushed = ("pushed", "待接收", "Awaiting the community"),
        Accepted = ("accepted", "已接收", "Accepted"),
        Completed = ("completed", "已完成", "Completed"),
        Refused = ("refused", "已拒收（未准入）", "Refused (not on the list)"),
    }
}

vocabulary! {
    /// What the community does with a task.
    TaskAction {
        Accept = ("accept", "接收", "Accept"),
        Complete = ("complete", "完成", "Complete"),
    }
}

vocabulary! {
    /// What kind of work is pushed: a task now; a data request of 一表通 (issue #13) is checked the same way.
    TaskKind {
        Task = ("task", "工作任务", "Task"),
        DataRequest = ("data_request", "数据报表", "Data request"),
    }
}

/// One entry of the admission list as the rule needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub department_code: String,
    pub code: String,
    /// The area whose communities it applies to (a district, street or community code).
    pub region_code: String,
    pub approved_on: NaiveDate,
    pub active: bool,
}

/// Why a push is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAdmitted {
    /// The department has no such item on the list.
    NotListed,
    /// It was on the list and has been withdrawn.
    Revoked,
    /// The approving document takes effect later.
    NotYetInForce,
    /// Approved for other communities, not this one.
    OutsideArea,
}

impl NotAdmitted {
    pub fn as_str(self) -> &'static str {
        match self {
            NotAdmitted::NotListed => "not_listed",
            NotAdmitted::Revoked => "revoked",
            NotAdmitted::NotYetInForce => "not_yet_in_force",
            NotAdmitted::OutsideArea => "outside_area",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            NotAdmitted::NotListed => "不在该部门的社区准入事项清单内",
            NotAdmitted::Revoked => "已从准入事项清单中撤销",
            NotAdmitted::NotYetInForce => "准入文件尚未生效",
            NotAdmitted::OutsideArea => "准入范围不含该社区",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            NotAdmitted::NotListed => "not on the department's admission list",
            NotAdmitted::Revoked => "withdrawn from the admission list",
            NotAdmitted::NotYetInForce => "the approving document is not yet in force",
            NotAdmitted::OutsideArea => "not approved for this community",
        }
    }
}

/// Whether `department` may push `item_code` onto `community` on `today`: the entry it may, or why not. Several
/// entries may share a code (one per area); any that admits wins, else the most telling refusal.
pub fn admit<'a>(
    list: &'a [Entry],
    department: &str,
    item_code: &str,
    community: &str,
    today: NaiveDate,
) -> Result<&'a Entry, NotAdmitted> {
    let mut why = NotAdmitted::NotListed;
    for e in list.iter().filter(|e| e.department_code == department && e.code == item_code) {
        let refusal = if !e.active {
            NotAdmitted::Revoked
        } else if e.approved_on > today {
            NotAdmitted::NotYetInForce
        } else if !community.starts_with(&e.region_code) {
            NotAdmitted::OutsideArea
        } else {
            return Ok(e);
        };
        // An entry for this area tells more than one for another area, which tells more than a withdrawn one.
        if rank(refusal) > rank(why) {
            why = refusal;
        }
    }
    Err(why)
}

fn rank(r: NotAdmitted) -> u8 {
    match r {
        NotAdmitted::NotListed => 0,
        NotAdmitted::Revoked => 1,
        NotAdmitted::OutsideArea => 2,
        NotAdmitted::NotYetInForce => 3,
    }
}

/// An item code as departments cite it: 2–40 letters, digits, `-` or `_` (e.g. `MZ-003`).
pub fn is_item_code(s: &str) -> bool {
    (2..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn entry(dept: &str, code: &str, region: &str, on: &str, active: bool) -> Entry {
        Entry {
            department_code: dept.into(),
            code: code.into(),
            region_code: region.into(),
            approved_on: d(on),
            active,
        }
    }

    #[test]
    fn only_listed_items_in_force_for_the_area_are_admitted() {
        let list = vec![
            entry("minzheng", "MZ-001", "330199", "2026-01-01", true),
            entry("minzheng", "MZ-002", "330199001", "2026-01-01", true),
            entry("minzheng", "MZ-003", "330199", "2026-01-01", false),
            entry("minzheng", "MZ-004", "330199", "2027-01-01", true),
            entry("weijian", "WJ-001", "330199", "2026-01-01", true),
        ];
        let today = d("2026-11-25");
        let c1 = "330199001001";
        let c2 = "330199002001";
        assert_eq!(admit(&list, "minzheng", "MZ-001", c1, today).unwrap().code, "MZ-001");
        assert_eq!(admit(&list, "minzheng", "MZ-002", c1, today).unwrap().code, "MZ-002");
        assert_eq!(admit(&list, "minzheng", "MZ-002", c2, today), Err(NotAdmitted::OutsideArea));
        assert_eq!(admit(&list, "minzheng", "MZ-003", c1, today), Err(NotAdmitted::Revoked));
        assert_eq!(admit(&list, "minzheng", "MZ-004", c1, today), Err(NotAdmitted::NotYetInForce));
        assert_eq!(admit(&list, "minzheng", "MZ-999", c1, today), Err(NotAdmitted::NotListed));
        // Another department's item is not this department's to push.
        assert_eq!(admit(&list, "minzheng", "WJ-001", c1, today), Err(NotAdmitted::NotListed));
    }

    #[test]
    fn an_entry_for_the_area_wins_over_a_withdrawn_one() {
        let list = vec![
            entry("renshe", "RS-01", "330199", "2025-01-01", false),
            entry("renshe", "RS-01", "330199001", "2026-03-01", true),
        ];
        assert!(admit(&list, "renshe", "RS-01", "330199001002", d("2026-11-25")).is_ok());
        assert_eq!(admit(&list, "renshe", "RS-01", "330199002002", d("2026-11-25")), Err(NotAdmitted::OutsideArea));
    }

    #[test]
    fn item_codes_are_plain() {
        assert!(is_item_code("MZ-001"));
        assert!(!is_item_code("M"));
        assert!(!is_item_code("民政"));
        assert!(!is_item_code("a b"));
        assert_eq!(TaskStatus::parse("status", "已接收").unwrap(), TaskStatus::Accepted);
    }
}
