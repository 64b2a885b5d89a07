//! The residents and houses files (DESIGN.md §5) row by row: which column is which (Chinese template headers
//! and their English aliases) and every check of a row that needs no database. The import streams rows through
//! these; the fuzz target `table_rows` feeds them arbitrary files.

use crate::FieldError;
use crate::idcard::{Gender, IdCardNo};
use crate::phone::Phone;
use crate::register::{HouseUsage, PopulationType, parse_ethnicity, parse_name, parse_relation};
use chrono::NaiveDate;
use std::collections::HashMap;

type Result<T> = std::result::Result<T, FieldError>;

/// Columns of the residents file, in template and export order.
pub const RESIDENT_HEADERS: [&str; 13] = [
    "姓名",
    "公民身份号码",
    "性别",
    "出生日期",
    "民族",
    "联系电话",
    "人口类型",
    "户号",
    "与户主关系",
    "房屋地址",
    "房屋编码",
    "网格编码",
    "人群标签",
];

/// Columns of the houses file, in template and export order.
pub const HOUSE_HEADERS: [&str; 9] =
    ["房屋编码", "网格编码", "房屋地址", "楼栋", "单元", "房号", "面积", "房屋用途", "产权人"];

/// Finds a column by any of its accepted names.
fn column(headers: &[String], names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| names.iter().any(|n| h.trim().trim_start_matches('*').eq_ignore_ascii_case(n)))
}

fn required_column(headers: &[String], name: &str, alt: &[&str]) -> Result<usize> {
    let mut names = vec![name];
    names.extend_from_slice(alt);
    column(headers, &names).ok_or_else(|| FieldError::new(name, format!("缺少“{name}”列 / missing column {name}")))
}

/// Tag kinds by Chinese name and by code.
#[derive(Debug, Clone, Default)]
pub struct TagIndex {
    /// name or code → (code, household level, derived)
    by_key: HashMap<String, (String, bool, bool)>,
    names: HashMap<String, String>,
}

impl TagIndex {
    /// From the tag kinds: `(code, name, household level, derived)` each.
    pub fn new<'a>(kinds: impl IntoIterator<Item = (&'a str, &'a str, bool, bool)>) -> TagIndex {
        let mut t = TagIndex::default();
        for (code, name, household, derived) in kinds {
            let v = (code.to_string(), household, derived);
            t.by_key.insert(name.to_string(), v.clone());
            t.by_key.insert(code.to_string(), v);
            t.names.insert(code.to_string(), name.to_string());
        }
        t
    }

    pub fn name(&self, code: &str) -> String {
        self.names.get(code).cloned().unwrap_or_else(|| code.to_string())
    }
}

/// A resident row that passed every check that needs no database.
#[derive(Debug, Clone)]
pub struct ResidentRow {
    pub name: String,
    pub id: IdCardNo,
    pub gender: Gender,
    pub birth: NaiveDate,
    pub ethnicity: String,
    pub phone: Option<Phone>,
    pub population_type: PopulationType,
    pub household: String,
    pub relation: String,
    pub address: String,
    pub house_code: String,
    pub grid: String,
    pub person_tags: Vec<String>,
    pub household_tags: Vec<String>,
}

/// Column positions of a residents file.
#[derive(Debug, Clone)]
pub struct ResidentColumns {
    name: usize,
    id: usize,
    gender: Option<usize>,
    birth: Option<usize>,
    ethnicity: Option<usize>,
    phone: Option<usize>,
    population_type: usize,
    household: usize,
    relation: Option<usize>,
    address: Option<usize>,
    house_code: Option<usize>,
    grid: usize,
    tags: Option<usize>,
}

impl ResidentColumns {
    pub fn find(headers: &[String]) -> Result<ResidentColumns> {
        let c = ResidentColumns {
            name: required_column(headers, "姓名", &["name"])?,
            id: required_column(headers, "公民身份号码", &["身份证号", "身份证号码", "id_number"])?,
            gender: column(headers, &["性别", "gender"]),
            birth: column(headers, &["出生日期", "birth_date"]),
            ethnicity: column(headers, &["民族", "ethnicity"]),
            phone: column(headers, &["联系电话", "电话", "手机号码", "phone"]),
            population_type: required_column(headers, "人口类型", &["population_type"])?,
            household: required_column(headers, "户号", &["household_number"])?,
            relation: column(headers, &["与户主关系", "relation"]),
            address: column(headers, &["房屋地址", "地址", "address"]),
            house_code: column(headers, &["房屋编码", "house_code"]),
            grid: required_column(headers, "网格编码", &["grid_code"])?,
            tags: column(headers, &["人群标签", "标签", "tags"]),
        };
        if c.address.is_none() && c.house_code.is_none() {
            return Err(FieldError::new(
                "房屋地址",
                "缺少“房屋地址”或“房屋编码”列 / missing column 房屋地址 or 房屋编码",
            ));
        }
        Ok(c)
    }
}

fn required(field: &str) -> FieldError {
    FieldError::new(field, "必填 / required")
}

/// `1980-02-15`, `1980/2/15`, `1980.2.15`, `19800215`, `1980年2月15日`.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate> {
    let t = s.trim().replace(['年', '月', '/', '.'], "-").replace('日', "");
    let t = t.split_whitespace().next().unwrap_or("");
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y%m%d"))
        .map_err(|_| FieldError::new(field, format!("日期格式应为 YYYY-MM-DD / expected a date like 1980-02-15: {s}")))
}

pub fn is_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Checks one row of a residents file against everything that needs no database.
pub fn parse_resident(cols: &ResidentColumns, row: &[String], tags: &TagIndex) -> Result<ResidentRow> {
    let get = |c: usize| row.get(c).map(|s| s.trim()).unwrap_or("");
    let opt = |c: Option<usize>| c.map(get).unwrap_or("");
    let name = parse_name("姓名", get(cols.name))?;
    let id_text = get(cols.id);
    if id_text.is_empty() {
        return Err(required("公民身份号码"));
    }
    if id_text.contains('*') {
        return Err(FieldError::new(
            "公民身份号码",
            "号码已脱敏（导出文件不含完整号码），请填写完整号码 / the number is masked (exports never carry full numbers)",
        ));
    }
    let id = IdCardNo::parse("公民身份号码", id_text)?;
    let gender = match opt(cols.gender) {
        "" => None,
        g => Some(Gender::parse("性别", g)?),
    };
    let birth = match opt(cols.birth) {
        "" => None,
        b => Some(parse_date("出生日期", b)?),
    };
    id.check_against(gender, birth)?;
    let ethnicity = match opt(cols.ethnicity) {
        "" => String::new(),
        e => parse_ethnicity("民族", e)?.to_string(),
    };
    let phone = match opt(cols.phone) {
        "" => None,
        p if p.contains('*') => {
            return Err(FieldError::new("联系电话", "号码已脱敏，请填写完整号码 / the phone number is masked"));
        }
        p => Some(Phone::parse("联系电话", p)?),
    };
    let population_type = match get(cols.population_type) {
        "" => return Err(required("人口类型")),
        p => PopulationType::parse("人口类型", p)?,
    };
    let household = get(cols.household).to_string();
    if household.is_empty() {
        return Err(required("户号"));
    }
    if !is_code(&household) {
        return Err(FieldError::new(
            "户号",
            format!("户号只能含字母、数字和 - / invalid household number: {household}"),
        ));
    }
    let relation = match opt(cols.relation) {
        "" => String::new(),
        r => parse_relation("与户主关系", r)?.to_string(),
    };
    let address = opt(cols.address).to_string();
    let house_code = opt(cols.house_code).to_string();
    if address.is_empty() && house_code.is_empty() {
        return Err(FieldError::new("房屋地址", "房屋地址和房屋编码至少填一项 / 房屋地址 or 房屋编码 is required"));
    }
    if address.chars().count() > 200 {
        return Err(FieldError::new("房屋地址", "房屋地址不能超过200字 / the address is longer than 200 characters"));
    }
    if !house_code.is_empty() && !is_code(&house_code) {
        return Err(FieldError::new("房屋编码", format!("房屋编码无效 / invalid house code: {house_code}")));
    }
    let grid = get(cols.grid).to_string();
    if grid.is_empty() {
        return Err(required("网格编码"));
    }
    if !grid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new("网格编码", format!("网格编码应为数字 / the grid code must be digits: {grid}")));
    }
    let (mut person_tags, mut household_tags) = (Vec::new(), Vec::new());
    for t in opt(cols.tags).split([';', '；', '、']).map(str::trim).filter(|t| !t.is_empty()) {
        let Some((code, household_level, derived)) = tags.by_key.get(t) else {
            return Err(FieldError::new("人群标签", format!("未知的人群标签 / unknown tag: {t}")));
        };
        // Derived tags (老年人) are computed from the record, never stored from a file.
        if *derived {
            continue;
        }
        let list = if *household_level { &mut household_tags } else { &mut person_tags };
        if !list.contains(code) {
            list.push(code.clone());
        }
    }
    Ok(ResidentRow {
        name,
        gender: id.gender(),
        birth: id.birth_date(),
        id,
        ethnicity,
        phone,
        population_type,
        household,
        relation,
        address,
        house_code,
        grid,
        person_tags,
        household_tags,
    })
}

#[derive(Debug, Clone)]
pub struct HouseColumns {
    code: Option<usize>,
    grid: usize,
    address: usize,
    building: Option<usize>,
    unit: Option<usize>,
    room: Option<usize>,
    area: Option<usize>,
    usage: Option<usize>,
    owner: Option<usize>,
}

impl HouseColumns {
    pub fn find(headers: &[String]) -> Result<HouseColumns> {
        Ok(HouseColumns {
            code: column(headers, &["房屋编码", "house_code", "code"]),
            grid: required_column(headers, "网格编码", &["grid_code"])?,
            address: required_column(headers, "房屋地址", &["地址", "address"])?,
            building: column(headers, &["楼栋", "building"]),
            unit: column(headers, &["单元", "unit"]),
            room: column(headers, &["房号", "室", "room"]),
            area: column(headers, &["面积", "建筑面积", "area"]),
            usage: column(headers, &["房屋用途", "用途", "usage"]),
            owner: column(headers, &["产权人", "owner"]),
        })
    }
}

/// A house row that passed every check that needs no database.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseRow {
    pub code: String,
    pub grid: String,
    pub address: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub area_m2: Option<f64>,
    pub usage: HouseUsage,
    pub owner: String,
}

pub fn parse_house(cols: &HouseColumns, row: &[String]) -> Result<HouseRow> {
    let get = |c: Option<usize>| c.and_then(|c| row.get(c)).map(|s| s.trim()).unwrap_or("");
    let code = get(cols.code).to_string();
    if !code.is_empty() && !is_code(&code) {
        return Err(FieldError::new("房屋编码", format!("房屋编码无效 / invalid house code: {code}")));
    }
    let grid = get(Some(cols.grid)).to_string();
    if grid.is_empty() {
        return Err(required("网格编码"));
    }
    if !grid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new("网格编码", format!("网格编码应为数字 / the grid code must be digits: {grid}")));
    }
    let address = get(Some(cols.address)).to_string();
    if address.is_empty() {
        return Err(required("房屋地址"));
    }
    if address.chars().count() > 200 {
        return Err(FieldError::new("房屋地址", "房屋地址不能超过200字 / the address is longer than 200 characters"));
    }
    let short = |field: &str, s: &str| -> Result<String> {
        if s.chars().count() > 50 {
            return Err(FieldError::new(field, "不能超过50字 / longer than 50 characters"));
        }
        Ok(s.to_string())
    };
    let area_m2 = match get(cols.area).trim_end_matches("㎡").trim_end_matches("平方米").trim() {
        "" => None,
        a => match a.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 && v < 1_000_000.0 => Some(v),
            _ => {
                return Err(FieldError::new(
                    "面积",
                    format!("面积应为正数（平方米） / the area must be a positive number: {a}"),
                ));
            }
        },
    };
    let usage = match get(cols.usage) {
        "" => HouseUsage::SelfOccupied,
        u => HouseUsage::parse("房屋用途", u)?,
    };
    Ok(HouseRow {
        code,
        grid,
        address,
        building: short("楼栋", get(cols.building))?,
        unit: short("单元", get(cols.unit))?,
        room: short("房号", get(cols.room))?,
        area_m2,
        usage,
        owner: short("产权人", get(cols.owner))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_id(first17: &str) -> String {
        format!("{first17}{}", crate::idcard::check_digit(first17).unwrap())
    }

    fn tags() -> TagIndex {
        TagIndex::new([
            ("elderly", "老年人", false, true),
            ("disabled", "残疾人", false, false),
            ("dibao", "低保", true, false),
            ("veteran", "退役军人", false, false),
            ("party_member", "党员", false, false),
        ])
    }

    fn headers() -> Vec<String> {
        RESIDENT_HEADERS.iter().map(|s| s.to_string()).collect()
    }

    fn row(id: &str, gender: &str, birth: &str, phone: &str, tags: &str) -> Vec<String> {
        [
            "张三",
            id,
            gender,
            birth,
            "汉",
            phone,
            "户籍人口",
            "H001",
            "户主",
            "翠苑一区1幢1单元101室",
            "",
            "33019900100101",
            tags,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn check(r: Vec<String>) -> std::result::Result<ResidentRow, FieldError> {
        parse_resident(&ResidentColumns::find(&headers()).unwrap(), &r, &tags())
    }

    #[test]
    fn a_good_row_parses_with_tags_split_by_level() {
        let id = make_id("33010619800215001");
        let r = check(row(&id, "男", "1980年2月15日", "138 0013 8000", "残疾人、低保;党员")).unwrap();
        assert_eq!(r.gender, Gender::Male);
        assert_eq!(r.birth, NaiveDate::from_ymd_opt(1980, 2, 15).unwrap());
        assert_eq!(r.ethnicity, "汉族");
        assert_eq!(r.phone.unwrap().as_str(), "13800138000");
        assert_eq!(r.person_tags, vec!["disabled", "party_member"]);
        assert_eq!(r.household_tags, vec!["dibao"]);
        assert_eq!(r.relation, "户主");
        // Tags by code, derived tags dropped, gender and birth optional.
        let r = check(row(&id, "", "", "", "veteran;老年人")).unwrap();
        assert_eq!(r.person_tags, vec!["veteran"]);
    }

    #[test]
    fn legacy_numbers_are_upgraded() {
        let r = check(row("110105491231002", "女", "1949-12-31", "", "")).unwrap();
        assert_eq!(r.id.as_str(), "11010519491231002X");
    }

    #[test]
    fn each_bad_field_is_named() {
        let id = make_id("33010619800215001");
        let bad = |mut r: Vec<String>, col: usize, v: &str| {
            r[col] = v.to_string();
            check(r).unwrap_err().field
        };
        let good = row(&id, "男", "1980-02-15", "", "");
        assert_eq!(bad(good.clone(), 0, ""), "姓名");
        assert_eq!(bad(good.clone(), 1, ""), "公民身份号码");
        let mut wrong = id.clone().into_bytes();
        wrong[17] = if wrong[17] == b'0' { b'1' } else { b'0' };
        let e = check(row(std::str::from_utf8(&wrong).unwrap(), "", "", "", "")).unwrap_err();
        assert_eq!(e.field, "公民身份号码");
        assert!(e.message.contains("校验位"), "{e}");
        assert_eq!(bad(good.clone(), 1, "330106********0011"), "公民身份号码");
        assert_eq!(bad(good.clone(), 2, "女"), "性别");
        assert_eq!(bad(good.clone(), 3, "1980-02-16"), "出生日期");
        assert_eq!(bad(good.clone(), 3, "not a date"), "出生日期");
        assert_eq!(bad(good.clone(), 4, "火星族"), "民族");
        assert_eq!(bad(good.clone(), 5, "12345"), "联系电话");
        assert_eq!(bad(good.clone(), 6, "常住"), "人口类型");
        assert_eq!(bad(good.clone(), 6, ""), "人口类型");
        assert_eq!(bad(good.clone(), 7, ""), "户号");
        assert_eq!(bad(good.clone(), 8, "邻居"), "与户主关系");
        assert_eq!(bad(good.clone(), 9, ""), "房屋地址");
        assert_eq!(bad(good.clone(), 11, ""), "网格编码");
        assert_eq!(bad(good.clone(), 12, "会员"), "人群标签");
        let e = check({
            let mut r = good.clone();
            r[12] = "低保、外星人".into();
            r
        })
        .unwrap_err();
        assert!(e.message.contains("外星人"), "{e}");
    }

    #[test]
    fn missing_columns_are_file_errors() {
        let mut h = headers();
        h.retain(|c| c != "姓名");
        assert!(ResidentColumns::find(&h).is_err());
        let mut h = headers();
        h.retain(|c| c != "房屋地址" && c != "房屋编码");
        assert!(ResidentColumns::find(&h).is_err());
        let mut h = headers();
        h.retain(|c| c != "房屋地址");
        assert!(ResidentColumns::find(&h).is_ok(), "房屋编码 alone is enough");
    }

    #[test]
    fn houses_rows() {
        let h: Vec<String> = HOUSE_HEADERS.iter().map(|s| s.to_string()).collect();
        let cols = HouseColumns::find(&h).unwrap();
        let r = |v: [&str; 9]| parse_house(&cols, &v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let ok = r(["", "33019900100101", "翠苑一区2幢", "2幢", "1", "101", "89.5㎡", "出租", "李四"]).unwrap();
        assert_eq!(ok.usage, HouseUsage::Rented);
        assert_eq!(ok.area_m2, Some(89.5));
        assert_eq!(r(["", "33019900100101", "a", "", "", "", "", "", ""]).unwrap().usage, HouseUsage::SelfOccupied);
        assert_eq!(r(["", "", "a", "", "", "", "", "", ""]).unwrap_err().field, "网格编码");
        assert_eq!(r(["", "3301x", "a", "", "", "", "", "", ""]).unwrap_err().field, "网格编码");
        assert_eq!(r(["", "1", "", "", "", "", "", "", ""]).unwrap_err().field, "房屋地址");
        assert_eq!(r(["", "1", "a", "", "", "", "-3", "", ""]).unwrap_err().field, "面积");
        assert_eq!(r(["", "1", "a", "", "", "", "", "仓库", ""]).unwrap_err().field, "房屋用途");
        assert_eq!(r(["F 1", "1", "a", "", "", "", "", "", ""]).unwrap_err().field, "房屋编码");
    }
}
