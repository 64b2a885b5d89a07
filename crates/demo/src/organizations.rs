//! Organizations of the demo district: a handful per community (a school, a clinic, shops, a company, a
//! social organization…), each on one of the community's houses, with a valid 统一社会信用代码.

use crate::DemoData;
use wangge_domain::organization::credit_code_check;
use wangge_domain::region::RegionLevel;

#[derive(Debug, Clone, PartialEq)]
pub struct DemoOrganization {
    pub name: String,
    /// A `wangge_domain::register::OrgKind` code.
    pub kind: &'static str,
    pub credit_code: String,
    pub legal_rep: String,
    pub phone: String,
    pub employees: i64,
    pub house_code: String,
    /// A `wangge_domain::register::OrgStatus` code.
    pub status: &'static str,
}

/// (name suffix, kind, registration authority + category, employees)
const TEMPLATES: &[(&str, &str, &str, i64)] = &[
    ("小学", "school", "12", 68),
    ("社区卫生服务站", "hospital", "12", 14),
    ("便利店", "individual_business", "92", 3),
    ("科技有限公司", "enterprise", "91", 42),
    ("志愿服务协会", "social_organization", "51", 9),
    ("物业服务有限公司", "enterprise", "91", 25),
];
const REPS: &[&str] = &["王建国", "李秀英", "张伟", "刘芳", "陈志强", "杨丽", "赵磊", "黄敏"];

/// A valid credit code: authority and category, the district's division code, a 9-character organization
/// code from `n`, and the check character.
fn credit_code(prefix: &str, division: &str, n: usize) -> String {
    let body = format!("{prefix}{division}MA{n:07}");
    let check = credit_code_check(&body).expect("digits and letters of the charset");
    format!("{body}{check}")
}

/// Organizations for every community: up to six each, on houses spread over its grids.
pub fn organizations(data: &DemoData) -> Vec<DemoOrganization> {
    let mut out = Vec::new();
    for c in data.regions.iter().filter(|r| r.level == RegionLevel::Community) {
        let houses: Vec<_> = data.houses.iter().filter(|h| h.grid_code.starts_with(&c.code)).collect();
        if houses.is_empty() {
            continue;
        }
        let short = c.name.trim_end_matches("社区").trim_end_matches('村');
        for (i, (suffix, kind, prefix, employees)) in TEMPLATES.iter().enumerate() {
            let n = out.len();
            let house = houses[(i * 97 + 13) % houses.len()];
            out.push(DemoOrganization {
                name: format!("{short}{suffix}"),
                kind,
                credit_code: credit_code(prefix, &c.code[..6], n + 1),
                legal_rep: REPS[n % REPS.len()].to_string(),
                phone: format!("1{}{:09}", [3, 5, 8][n % 3], 571_000_000 + n * 7919 % 1_000_000),
                employees: employees + (n as i64 % 7),
                house_code: house.code.clone(),
                status: if n % 11 == 10 { "suspended" } else { "operating" },
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wangge_domain::organization::CreditCode;
    use wangge_domain::phone::Phone;

    #[test]
    fn every_community_has_organizations_with_valid_codes() {
        let data = crate::generate(crate::Scale::Small, 7);
        let orgs = organizations(&data);
        let communities = data.regions.iter().filter(|r| r.level == RegionLevel::Community).count();
        assert_eq!(orgs.len(), communities * TEMPLATES.len());
        let mut codes = std::collections::HashSet::new();
        for o in &orgs {
            CreditCode::parse("credit_code", &o.credit_code).unwrap();
            Phone::parse("phone", &o.phone).unwrap();
            assert!(codes.insert(o.credit_code.clone()), "unique: {}", o.credit_code);
            assert!(data.houses.iter().any(|h| h.code == o.house_code));
        }
        assert_eq!(orgs, organizations(&data), "deterministic");
    }
}
