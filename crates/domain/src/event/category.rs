//! Event categories (GB/T 30428.2 部件/事件 classes and GB/T 31000 social-governance classes), their time
//! limits per stage and the routing rules that pick a department. All of it is data admins edit; this module
//! holds the seeded defaults and the pure decisions.

use super::calendar::Limit;
use super::workflow::{Level, Stage};
use serde::{Deserialize, Serialize};

macro_rules! triage {
    ($($variant:ident = ($code:literal, $zh:literal, $en:literal, $level:ident)),+ $(,)?) => {
        /// How a problem is handled (分级分类处置).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Triage { $($variant),+ }

        impl Triage {
            pub const ALL: &'static [Triage] = &[$(Triage::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $(Triage::$variant => $code),+ } }
            pub fn label_zh(self) -> &'static str { match self { $(Triage::$variant => $zh),+ } }
            pub fn label_en(self) -> &'static str { match self { $(Triage::$variant => $en),+ } }
            pub fn parse(s: &str) -> Option<Triage> { Self::ALL.iter().copied().find(|v| v.as_str() == s) }
            /// Who leads by default: 小事 the grid, 一般 the department (coordinated by the community),
            /// 综合 the street, 疑难 the district.
            pub fn level(self) -> Level { match self { $(Triage::$variant => Level::$level),+ } }
        }
    };
}

triage! {
    OnSite = ("on_site", "小事当场解决", "Solved on the spot", Grid),
    General = ("general", "一般问题职能部门处置", "Department handles", Community),
    Comprehensive = ("comprehensive", "综合问题街道牵头", "Street leads", Street),
    Difficult = ("difficult", "疑难问题上级协调", "Higher-level coordination", District),
}

/// Time limits of each stage for one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub accept: Limit,
    pub register: Limit,
    pub dispatch: Limit,
    pub handle: Limit,
    pub verify: Limit,
    pub close: Limit,
}

impl Limits {
    /// Centre-side stages take one working hour each, verification four; handling is the category's.
    pub fn with_handle(handle: Limit) -> Limits {
        let h = Limit::WorkingHours;
        Limits { accept: h(1), register: h(1), dispatch: h(1), handle, verify: h(4), close: h(1) }
    }

    pub fn get(&self, stage: Stage) -> Limit {
        match stage {
            Stage::Accept => self.accept,
            Stage::Register => self.register,
            Stage::Dispatch => self.dispatch,
            Stage::Handle => self.handle,
            Stage::Verify => self.verify,
            Stage::Close => self.close,
        }
    }

    pub fn set(&mut self, stage: Stage, limit: Limit) {
        match stage {
            Stage::Accept => self.accept = limit,
            Stage::Register => self.register = limit,
            Stage::Dispatch => self.dispatch = limit,
            Stage::Handle => self.handle = limit,
            Stage::Verify => self.verify = limit,
            Stage::Close => self.close = limit,
        }
    }
}

/// Category codes: a letter for the family (B 部件, E 事件, Z 社会治理), then two digits per level: `E05` 街面秩序,
/// `E0501` 占道经营. A subclass's parent is its code minus two digits.
pub fn valid_code(code: &str) -> bool {
    let mut chars = code.chars();
    matches!(chars.next(), Some('A'..='Z'))
        && code.len() <= 9
        && code.len() % 2 == 1
        && code[1..].bytes().all(|b| b.is_ascii_digit())
}

pub fn parent_code(code: &str) -> Option<&str> {
    (code.len() > 1).then(|| &code[..code.len() - 2])
}

/// One seeded category: code, name, English name, handling limit, default department, triage.
pub struct Seed {
    pub code: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
    pub handle: &'static str,
    pub department: &'static str,
    pub triage: Triage,
}

const fn s(
    code: &'static str,
    name: &'static str,
    name_en: &'static str,
    handle: &'static str,
    department: &'static str,
    triage: Triage,
) -> Seed {
    Seed { code, name, name_en, handle, department, triage }
}

use Triage::{Comprehensive as C, Difficult as D, General as G, OnSite as O};

/// The seeded tree. Limits follow published 立结案标准 (e.g. 暴露垃圾 4 工作时, 私搭乱建 拆除 20 工作日,
/// emergencies in natural hours).
pub const SEEDS: &[Seed] = &[
    s("B", "部件", "Components", "5d", "chengguan", G),
    s("B01", "公用设施", "Public utilities", "2d", "chengguan", G),
    s("B0101", "上水井盖", "Water manhole cover", "1d", "shuiwu", G),
    s("B0102", "污水井盖", "Sewer manhole cover", "1d", "shuiwu", G),
    s("B0103", "路灯", "Street light", "2d", "chengguan", G),
    s("B0104", "消防栓", "Fire hydrant", "1d", "yingji", G),
    s("B02", "道路交通", "Roads and traffic", "3d", "jiaotong", G),
    s("B0201", "交通信号灯", "Traffic light", "4h", "jiaotong", G),
    s("B0202", "道路护栏", "Road railing", "2d", "jiaotong", G),
    s("B0203", "道路破损", "Damaged road", "5d", "zhujian", G),
    s("B03", "市容环境", "Cityscape facilities", "2d", "chengguan", G),
    s("B0301", "公共厕所", "Public toilet", "1d", "chengguan", G),
    s("B0302", "垃圾箱", "Litter bin", "1d", "chengguan", G),
    s("B04", "园林绿化", "Greenery", "5d", "chengguan", G),
    s("B0401", "行道树", "Street tree", "3d", "chengguan", G),
    s("B0402", "绿地", "Green space", "5d", "chengguan", G),
    s("B05", "房屋土地", "Buildings and land", "5d", "zhujian", G),
    s("B0501", "危房", "Dangerous building", "2d", "zhujian", C),
    s("B06", "其他设施", "Other facilities", "5d", "chengguan", G),
    s("E", "事件", "Incidents", "5d", "chengguan", G),
    s("E01", "市容环境", "Cityscape", "2d", "chengguan", G),
    s("E0101", "私搭乱建", "Illegal construction", "20d", "chengguan", C),
    s("E0102", "暴露垃圾", "Exposed rubbish", "4h", "chengguan", O),
    s("E0103", "建筑垃圾渣土", "Construction waste", "1d", "chengguan", G),
    s("E0104", "道路不洁", "Dirty road", "2h", "chengguan", O),
    s("E0105", "焚烧垃圾树叶", "Burning rubbish", "4h", "huanbao", G),
    s("E02", "宣传广告", "Advertising", "2d", "chengguan", G),
    s("E0201", "非法小广告", "Illegal flyers", "1d", "chengguan", O),
    s("E0202", "违规户外广告", "Illegal billboard", "5d", "chengguan", G),
    s("E03", "施工管理", "Construction", "2d", "zhujian", G),
    s("E0301", "施工扰民", "Construction noise", "1d", "huanbao", G),
    s("E0302", "违规道路挖掘", "Unauthorised digging", "2d", "zhujian", G),
    s("E04", "突发事件", "Emergencies", "4n", "yingji", C),
    s("E0401", "路面塌陷", "Road collapse", "4n", "zhujian", C),
    s("E0402", "火灾", "Fire", "1n", "yingji", D),
    s("E0403", "供水管道爆裂", "Burst water main", "4n", "shuiwu", C),
    s("E05", "街面秩序", "Street order", "1d", "chengguan", G),
    s("E0501", "占道经营", "Street vending", "4h", "chengguan", O),
    s("E0502", "无照经营游商", "Unlicensed trading", "1d", "shichang", G),
    s("E0503", "乱停放车辆", "Illegal parking", "4h", "gongan", G),
    s("E06", "其他事件", "Other incidents", "5d", "chengguan", G),
    s("Z", "社会治理", "Social governance", "5d", "sifa", G),
    s("Z01", "矛盾纠纷", "Disputes", "5d", "sifa", G),
    s("Z0101", "邻里纠纷", "Neighbour dispute", "5d", "sifa", G),
    s("Z0102", "婚姻家庭纠纷", "Family dispute", "5d", "sifa", G),
    s("Z0103", "劳动争议", "Labour dispute", "10d", "renshe", C),
    s("Z0104", "物业纠纷", "Property management dispute", "10d", "zhujian", C),
    s("Z02", "治安隐患", "Public order", "1d", "gongan", G),
    s("Z0201", "治安隐患", "Public-order hazard", "1d", "gongan", G),
    s("Z0202", "涉黄赌毒线索", "Vice and drugs lead", "1d", "gongan", D),
    s("Z03", "安全隐患", "Safety hazards", "2d", "yingji", G),
    s("Z0301", "消防安全隐患", "Fire hazard", "2d", "yingji", G),
    s("Z0302", "燃气安全隐患", "Gas hazard", "4h", "yingji", C),
    s("Z0303", "生产安全隐患", "Workplace hazard", "2d", "yingji", G),
    s("Z04", "特殊人群", "Special groups", "1d", "sifa", G),
    s("Z0401", "特殊人群异常情况", "Special-group incident", "1d", "sifa", D),
    s("Z05", "民生服务", "Livelihood", "5d", "minzheng", G),
    s("Z0501", "困难帮扶", "Hardship assistance", "5d", "minzheng", G),
    s("Z0502", "就业求助", "Employment help", "5d", "renshe", G),
    s("Z0503", "食品安全", "Food safety", "2d", "shichang", G),
    s("Z06", "不稳定因素", "Unrest risks", "1d", "gongan", D),
    s("Z0601", "群体性事件苗头", "Signs of mass incident", "4n", "gongan", D),
];

/// A routing rule as stored: the most specific rule for (category, region) picks who handles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingRule {
    pub id: i64,
    /// A category code or a prefix of one ('' for every category).
    pub category_prefix: String,
    /// A region code or a prefix of one ('' for everywhere).
    pub region_prefix: String,
    /// Departments dispatched to; the first leads.
    pub departments: Vec<String>,
    pub triage: Triage,
}

/// What the routing rules decide for one event: the departments to dispatch to (first leads), the triage and
/// the level that leads the handling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub departments: Vec<String>,
    pub triage: Triage,
    pub level: Level,
    /// The rule that decided, when one did (otherwise the category's own default).
    pub rule_id: Option<i64>,
}

/// Picks the rule with the longest category prefix, then the longest region prefix; without one, the
/// category's default department and triage.
pub fn route(
    rules: &[RoutingRule],
    category: &str,
    grid_code: &str,
    default_department: &str,
    default_triage: Triage,
) -> Route {
    let best = rules
        .iter()
        .filter(|r| category.starts_with(&r.category_prefix) && grid_code.starts_with(&r.region_prefix))
        .max_by_key(|r| (r.category_prefix.len(), r.region_prefix.len(), -r.id));
    match best {
        Some(r) => {
            Route { departments: r.departments.clone(), triage: r.triage, level: r.triage.level(), rule_id: Some(r.id) }
        }
        None => Route {
            departments: if default_department.is_empty() { vec![] } else { vec![default_department.to_string()] },
            triage: default_triage,
            level: default_triage.level(),
            rule_id: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn seeds_form_a_tree_with_valid_codes_and_limits() {
        let codes: HashSet<&str> = SEEDS.iter().map(|s| s.code).collect();
        assert_eq!(codes.len(), SEEDS.len(), "codes are unique");
        for s in SEEDS {
            assert!(valid_code(s.code), "{}", s.code);
            if let Some(p) = parent_code(s.code) {
                assert!(codes.contains(p), "{} has its parent {p}", s.code);
            }
            assert!(Limit::parse(s.handle).is_some(), "{} limit {}", s.code, s.handle);
        }
        assert!(SEEDS.len() >= 60);
    }

    #[test]
    fn codes_are_checked() {
        for ok in ["E05", "E0501", "B010203"] {
            assert!(valid_code(ok), "{ok}");
        }
        for bad in ["", "e05", "E5", "E050", "E05a1", "E0501020304"] {
            assert!(!valid_code(bad), "{bad}");
        }
        assert_eq!(parent_code("E0501"), Some("E05"));
        assert_eq!(parent_code("E05"), Some("E"));
        assert_eq!(parent_code("E"), None);
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let rule = |id, c: &str, r: &str, d: &str, t| RoutingRule {
            id,
            category_prefix: c.into(),
            region_prefix: r.into(),
            departments: vec![d.into()],
            triage: t,
        };
        let rules = vec![
            rule(1, "E05", "", "chengguan", Triage::General),
            rule(2, "E05", "330199001", "shichang", Triage::Comprehensive),
            rule(3, "E0501", "", "gongan", Triage::General),
        ];
        assert_eq!(route(&rules, "E0502", "330199001002", "x", Triage::OnSite).departments, ["shichang"]);
        assert_eq!(route(&rules, "E0502", "330199002001", "x", Triage::OnSite).departments, ["chengguan"]);
        // A longer category prefix beats a longer region prefix.
        let r = route(&rules, "E0501", "330199001002", "x", Triage::OnSite);
        assert_eq!((r.departments, r.rule_id), (vec!["gongan".to_string()], Some(3)));
        // No rule: the category's own default.
        let r = route(&rules, "B0101", "330199001002", "shuiwu", Triage::General);
        assert_eq!((r.departments, r.triage, r.level), (vec!["shuiwu".into()], Triage::General, Level::Community));
        assert_eq!(Triage::Difficult.level(), Level::District);
    }

    #[test]
    fn limits_by_stage() {
        let mut l = Limits::with_handle(Limit::WorkingDays(5));
        assert_eq!(l.get(Stage::Handle), Limit::WorkingDays(5));
        l.set(Stage::Verify, Limit::WorkingHours(2));
        assert_eq!(l.get(Stage::Verify), Limit::WorkingHours(2));
        assert_eq!(l.get(Stage::Accept), Limit::WorkingHours(1));
    }
}
