//! 一表通 (data requests, issue #13): a department's table answered from the register first, and by grid workers
//! only for what the register does not hold (带数下发、只报一次). Pure rules: which register fields a table may ask
//! for, how a requester's own header matches them, how an answer is checked, and how cells are counted.

use crate::FieldError;
use crate::register::{HouseUsage, PersonEventKind, ResidenceStatus};
use chrono::NaiveDate;

vocabulary! {
    /// Whom the table is about: one row per person, household or house.
    Population {
        People = ("people", "人员", "People"),
        Households = ("households", "户", "Households"),
        Houses = ("houses", "房屋", "Houses"),
    }
}

/// How an answer to a register column goes back into the register (只报一次). `No`: the column is read only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteBack {
    No,
    /// The person's (a household: its head's) phone, encrypted like every phone.
    Phone,
    /// A free-text person field (文化程度, 就业状况…), at most 50 characters.
    PersonText,
    /// 居住状态: a change is a move in the person's history.
    ResidenceStatus,
    /// 房屋用途.
    HouseUsage,
}

/// A column the register can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterField {
    pub key: &'static str,
    pub label: &'static str,
    pub label_en: &'static str,
    pub write_back: WriteBack,
    /// Other headers requesters use for it (Excel tables name the same fact many ways).
    pub synonyms: &'static [&'static str],
}

const fn f(
    key: &'static str,
    label: &'static str,
    label_en: &'static str,
    write_back: WriteBack,
    synonyms: &'static [&'static str],
) -> RegisterField {
    RegisterField { key, label, label_en, write_back, synonyms }
}

use WriteBack as W;

const PEOPLE: &[RegisterField] = &[
    f("seq", "序号", "No.", W::No, &["编号", "序"]),
    f("name", "姓名", "Name", W::No, &["人员姓名", "居民姓名", "名字"]),
    f("gender", "性别", "Gender", W::No, &[]),
    f("birth_date", "出生日期", "Date of birth", W::No, &["出生年月", "出生年月日", "生日"]),
    f("age", "年龄", "Age", W::No, &["周岁"]),
    f("id_number", "公民身份号码", "ID number", W::No, &["身份证号", "身份证号码", "身份证", "证件号码"]),
    f("ethnicity", "民族", "Ethnicity", W::No, &[]),
    f("phone", "联系电话", "Phone", W::Phone, &["手机号", "手机号码", "电话", "联系方式", "手机"]),
    f("population_type", "人口类型", "Population type", W::No, &["户籍类型", "人员类型"]),
    f("relation", "与户主关系", "Relation to head", W::No, &["关系"]),
    f("household_no", "户号", "Household number", W::No, &[]),
    f("address", "住址", "Address", W::No, &["现住址", "居住地址", "家庭住址", "地址"]),
    f("grid", "所属网格", "Grid", W::No, &["网格"]),
    f("community", "所属社区", "Community", W::No, &["社区", "社区（村）"]),
    f("education", "文化程度", "Education", W::PersonText, &["学历"]),
    f("employment", "就业状况", "Employment", W::PersonText, &["工作单位", "职业", "就业情况"]),
    f("political_status", "政治面貌", "Political status", W::PersonText, &[]),
    f("health", "健康状况", "Health", W::PersonText, &["身体状况"]),
    f("residence_status", "居住状态", "Residence status", W::ResidenceStatus, &["是否在住", "现状"]),
];

const HOUSEHOLDS: &[RegisterField] = &[
    f("seq", "序号", "No.", W::No, &["编号", "序"]),
    f("household_no", "户号", "Household number", W::No, &[]),
    f("head_name", "户主姓名", "Head of household", W::No, &["户主"]),
    f("head_id_number", "户主公民身份号码", "Head's ID number", W::No, &["户主身份证号", "户主身份证号码", "身份证号"]),
    f("head_phone", "联系电话", "Phone", W::Phone, &["户主电话", "户主联系电话", "手机号", "电话", "联系方式"]),
    f("member_count", "家庭人口数", "Members", W::No, &["户内人数", "家庭人数", "人口数", "人数"]),
    f("address", "住址", "Address", W::No, &["家庭住址", "地址", "居住地址"]),
    f("house_usage", "房屋用途", "House use", W::HouseUsage, &[]),
    f("grid", "所属网格", "Grid", W::No, &["网格"]),
    f("community", "所属社区", "Community", W::No, &["社区", "社区（村）"]),
];

const HOUSES: &[RegisterField] = &[
    f("seq", "序号", "No.", W::No, &["编号", "序"]),
    f("address", "房屋地址", "Address", W::No, &["地址", "坐落", "房屋坐落"]),
    f("building", "楼栋", "Building", W::No, &["栋", "楼号"]),
    f("unit", "单元", "Unit", W::No, &[]),
    f("room", "房号", "Room", W::No, &["室", "门牌号"]),
    f("area", "建筑面积", "Floor area", W::No, &["面积", "面积（平方米）"]),
    f("usage", "房屋用途", "House use", W::HouseUsage, &["用途", "使用情况"]),
    f("owner", "产权人", "Owner", W::No, &["房主", "业主", "房东"]),
    f("occupants", "居住人数", "Occupants", W::No, &["实住人数", "租住人数"]),
    f("grid", "所属网格", "Grid", W::No, &["网格"]),
    f("community", "所属社区", "Community", W::No, &["社区", "社区（村）"]),
];

impl Population {
    /// The register's fields for this population (tags add `tag:CODE` and `tag:CODE.FIELD`).
    pub fn fields(self) -> &'static [RegisterField] {
        match self {
            Population::People => PEOPLE,
            Population::Households => HOUSEHOLDS,
            Population::Houses => HOUSES,
        }
    }

    pub fn field(self, key: &str) -> Option<&'static RegisterField> {
        self.fields().iter().find(|f| f.key == key)
    }
}

/// A tag column: `tag:CODE` (是/否) or `tag:CODE.FIELD` (one of the tag's recorded fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagColumn {
    pub code: String,
    pub field: Option<String>,
}

pub fn tag_column(key: &str) -> Option<TagColumn> {
    let rest = key.strip_prefix("tag:")?;
    let (code, field) = match rest.split_once('.') {
        Some((c, f)) => (c, Some(f.to_string())),
        None => (rest, None),
    };
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (ok(code) && field.as_deref().is_none_or(ok)).then(|| TagColumn { code: code.to_string(), field })
}

vocabulary! {
    /// The type of a column the register does not hold (补充列): what the grid worker types.
    ExtraType {
        Text = ("text", "文本", "Text"),
        Number = ("number", "数字", "Number"),
        Date = ("date", "日期", "Date"),
        Choice = ("choice", "单选", "Choice"),
        YesNo = ("yes_no", "是/否", "Yes/no"),
    }
}

/// Checks a grid worker's answer to a 补充列; answers the value as stored (`是`/`否`, `YYYY-MM-DD`, the option).
pub fn check_extra(field: &str, kind: ExtraType, options: &[String], value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    if v.chars().count() > 200 {
        return Err(FieldError::new(field, "不能超过200字 / at most 200 characters"));
    }
    match kind {
        ExtraType::Text => Ok(v.to_string()),
        ExtraType::Number => v
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(|_| v.to_string())
            .ok_or_else(|| FieldError::new(field, format!("应为数字 / must be a number: {v}"))),
        ExtraType::Date => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(|d| d.format("%Y-%m-%d").to_string())
            .map_err(|_| FieldError::new(field, format!("日期格式应为 YYYY-MM-DD / a date is YYYY-MM-DD: {v}"))),
        ExtraType::Choice => options.iter().find(|o| o.as_str() == v).cloned().ok_or_else(|| {
            FieldError::new(
                field,
                format!("应为{}之一 / must be one of {}: {v}", options.join("、"), options.join(", ")),
            )
        }),
        ExtraType::YesNo => match v {
            "是" | "yes" | "Yes" | "true" | "1" => Ok("是".into()),
            "否" | "no" | "No" | "false" | "0" => Ok("否".into()),
            _ => Err(FieldError::new(field, format!("应为“是”或“否” / must be yes or no: {v}"))),
        },
    }
}

/// A change of 居住状态 answered in a table, as the person event it is: `None` when nothing changes; an error
/// when the register does not allow it (the dead do not move out).
pub fn residence_change(
    field: &str,
    from: ResidenceStatus,
    answer: &str,
) -> Result<Option<(PersonEventKind, ResidenceStatus)>, FieldError> {
    use ResidenceStatus::*;
    let to = ResidenceStatus::parse(field, answer)?;
    if to == from {
        return Ok(None);
    }
    let kind = match (from, to) {
        (Present | Away, MovedOut) => PersonEventKind::MoveOut,
        (Present, Away) => PersonEventKind::Away,
        (Away, Present) => PersonEventKind::Return,
        (MovedOut, Present) => PersonEventKind::MoveIn,
        (Present | Away | MovedOut, Deceased) => PersonEventKind::Death,
        _ => {
            return Err(FieldError::new(
                field,
                format!(
                    "不能从“{}”改为“{}” / cannot change from {} to {}",
                    from.label_zh(),
                    to.label_zh(),
                    from.as_str(),
                    to.as_str()
                ),
            ));
        }
    };
    Ok(Some((kind, to)))
}

pub fn check_house_usage(field: &str, answer: &str) -> Result<HouseUsage, FieldError> {
    HouseUsage::parse(field, answer)
}

/// The key a header names: exact label first, then a synonym; spaces, `*` (required marks) and full-width
/// brackets' contents such as "（必填）" are ignored. `tags` are (key, label) pairs of tag columns.
pub fn match_header(population: Population, tags: &[(String, String)], header: &str) -> Option<String> {
    let h = normalize_header(header);
    if h.is_empty() {
        return None;
    }
    let fields = population.fields();
    if let Some(f) = fields.iter().find(|f| normalize_header(f.label) == h) {
        return Some(f.key.to_string());
    }
    if let Some((k, _)) = tags.iter().find(|(_, l)| normalize_header(l) == h) {
        return Some(k.clone());
    }
    fields.iter().find(|f| f.synonyms.iter().any(|s| normalize_header(s) == h)).map(|f| f.key.to_string())
}

pub fn normalize_header(h: &str) -> String {
    let mut s: String = h.chars().filter(|c| !c.is_whitespace() && *c != '*' && *c != '＊').collect();
    for note in ["（必填）", "(必填)", "（选填）", "(选填)"] {
        s = s.replace(note, "");
    }
    s
}

/// An Excel column's letters: 0 → A, 26 → AA.
pub fn column_letters(mut c: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// How a row's cells split: filled from the register, asked of the grid worker, or neither (a read-only fact
/// the register lacks, which nobody is asked to type).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cells {
    pub prefilled: i64,
    pub asked: i64,
}

impl Cells {
    pub fn add(&mut self, o: Cells) {
        self.prefilled += o.prefilled;
        self.asked += o.asked;
    }

    /// Percent of the cells people would otherwise type that the system filled (one decimal).
    pub fn prefilled_percent(self) -> Option<f64> {
        let all = self.prefilled + self.asked;
        (all > 0).then(|| (self.prefilled as f64 * 1000.0 / all as f64).round() / 10.0)
    }
}

/// Counts one row: `known[i]` whether column i has a register value, `writable[i]` whether a grid worker may
/// answer it, `extra[i]` whether it is a 补充列.
pub fn count_cells(columns: &[(bool, bool, bool)]) -> Cells {
    let mut c = Cells::default();
    for &(extra, known, writable) in columns {
        if extra || (!known && writable) {
            c.asked += 1;
        } else if known {
            c.prefilled += 1;
        }
    }
    c
}

/// An answer after the deadline is taken and flagged (`due_on` is the last day, China time).
pub fn is_late(due_on: NaiveDate, answered_on: NaiveDate) -> bool {
    answered_on > due_on
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_labels_and_synonyms_ignoring_marks() {
        let tags = vec![("tag:disabled.level".to_string(), "残疾人·残疾等级".to_string())];
        assert_eq!(match_header(Population::People, &tags, "身份证号*").as_deref(), Some("id_number"));
        assert_eq!(match_header(Population::People, &tags, " 姓 名 ").as_deref(), Some("name"));
        assert_eq!(match_header(Population::People, &tags, "手机号码（必填）").as_deref(), Some("phone"));
        assert_eq!(match_header(Population::People, &tags, "残疾人·残疾等级").as_deref(), Some("tag:disabled.level"));
        assert_eq!(match_header(Population::People, &tags, "月收入"), None);
        assert_eq!(match_header(Population::Houses, &[], "房东").as_deref(), Some("owner"));
        assert_eq!(match_header(Population::Households, &[], "户内人数").as_deref(), Some("member_count"));
        assert_eq!(match_header(Population::People, &[], ""), None);
    }

    #[test]
    fn column_letters_follow_excel() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn tag_columns_parse() {
        assert_eq!(tag_column("tag:disabled"), Some(TagColumn { code: "disabled".into(), field: None }));
        assert_eq!(
            tag_column("tag:disabled.level"),
            Some(TagColumn { code: "disabled".into(), field: Some("level".into()) })
        );
        assert_eq!(tag_column("tag:"), None);
        assert_eq!(tag_column("tag:a.b c"), None);
        assert_eq!(tag_column("phone"), None);
    }

    #[test]
    fn extra_answers_are_checked_by_type() {
        let opts = vec!["有".to_string(), "无".to_string()];
        assert_eq!(check_extra("v", ExtraType::YesNo, &[], "yes").unwrap(), "是");
        assert!(check_extra("v", ExtraType::YesNo, &[], "也许").is_err());
        assert_eq!(check_extra("v", ExtraType::Choice, &opts, "无").unwrap(), "无");
        let e = check_extra("values.x", ExtraType::Choice, &opts, "不知道").unwrap_err();
        assert_eq!(e.field, "values.x");
        assert!(e.message.contains("有、无"));
        assert!(check_extra("v", ExtraType::Number, &[], "12.5").is_ok());
        assert!(check_extra("v", ExtraType::Number, &[], "NaN").is_err());
        assert!(check_extra("v", ExtraType::Number, &[], "十二").is_err());
        assert_eq!(check_extra("v", ExtraType::Date, &[], "2026-12-01").unwrap(), "2026-12-01");
        assert!(check_extra("v", ExtraType::Date, &[], "2026-13-01").is_err());
        assert!(check_extra("v", ExtraType::Text, &[], &"字".repeat(201)).is_err());
    }

    #[test]
    fn residence_changes_are_person_events() {
        use ResidenceStatus::*;
        assert_eq!(residence_change("f", Present, "在住").unwrap(), None);
        assert_eq!(residence_change("f", Present, "迁出").unwrap(), Some((PersonEventKind::MoveOut, MovedOut)));
        assert_eq!(residence_change("f", Away, "在住").unwrap(), Some((PersonEventKind::Return, Present)));
        assert_eq!(residence_change("f", Present, "死亡").unwrap(), Some((PersonEventKind::Death, Deceased)));
        assert!(residence_change("f", Deceased, "在住").is_err());
        assert!(residence_change("f", MovedOut, "外出").is_err());
        assert_eq!(residence_change("f", Present, "搬走了").unwrap_err().field, "f");
    }

    #[test]
    fn cells_split_into_prefilled_and_asked() {
        // (extra, known, writable): a known name, an unknown phone (asked), an unknown read-only ID (neither),
        // and a 补充列 (asked).
        let c = count_cells(&[(false, true, false), (false, false, true), (false, false, false), (true, false, true)]);
        assert_eq!(c, Cells { prefilled: 1, asked: 2 });
        assert_eq!(c.prefilled_percent(), Some(33.3));
        assert_eq!(Cells::default().prefilled_percent(), None);
    }

    #[test]
    fn lateness_is_by_day() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(!is_late(d("2026-12-10"), d("2026-12-10")));
        assert!(is_late(d("2026-12-10"), d("2026-12-11")));
    }

    #[test]
    fn every_population_has_unique_keys_and_labels() {
        for p in Population::ALL {
            let mut keys: Vec<&str> = p.fields().iter().map(|f| f.key).collect();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), p.fields().len(), "{p:?}");
            for fld in p.fields() {
                assert_eq!(match_header(*p, &[], fld.label).as_deref(), Some(fld.key), "{p:?} {}", fld.label);
            }
        }
    }
}
