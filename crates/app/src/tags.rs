//! Special groups (特殊人群) as tags whose kinds are data: seeded with the groups the seed documents and
//! 综治 practice name, editable by admins. Sensitive kinds are shown only to roles that may read them.

use crate::{App, Result};
use serde::{Deserialize, Serialize};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TagKind {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// `person` or `household`.
    pub level: String,
    pub sensitive: bool,
    /// Computed by a rule (老年人 = age ≥ 60), not entered by hand.
    pub derived: bool,
    /// What the tag records: `[{"key", "label", "type", "options"?}]`.
    #[schema(value_type = Vec<Object>)]
    pub fields: serde_json::Value,
    /// Care rule: visit at least every N days (四必访 groups: 30).
    pub visit_days: Option<i64>,
}

type Seed = (&'static str, &'static str, &'static str, &'static str, bool, bool, Option<i64>, &'static str);

/// (code, 名称, English, level, sensitive, derived, visit every N days, fields JSON)
pub const DEFAULT_TAG_KINDS: &[Seed] = &[
    ("elderly", "老年人", "Elderly (60+)", "person", false, true, None, "[]"),
    ("elderly_alone", "独居老人", "Elderly living alone", "person", false, false, Some(30), "[]"),
    ("empty_nest", "空巢老人", "Empty-nest elderly", "person", false, false, Some(30), "[]"),
    (
        "disabled",
        "残疾人",
        "Disabled person",
        "person",
        false,
        false,
        Some(30),
        r#"[{"key":"category","label":"残疾类别","type":"select","options":["视力","听力","言语","肢体","智力","精神","多重"]},{"key":"grade","label":"残疾等级","type":"select","options":["一级","二级","三级","四级"]},{"key":"certificate","label":"残疾人证号","type":"text"}]"#,
    ),
    (
        "dibao",
        "低保",
        "Minimum living allowance",
        "household",
        false,
        false,
        Some(30),
        r#"[{"key":"since","label":"享受起始日期","type":"date"}]"#,
    ),
    ("tekun", "特困", "Extreme poverty support", "household", false, false, Some(30), "[]"),
    ("low_income", "低收入", "Low income", "household", false, false, None, "[]"),
    ("left_behind_child", "留守儿童", "Left-behind child", "person", false, false, Some(30), "[]"),
    ("unemployed", "失业人员", "Unemployed", "person", false, false, None, "[]"),
    (
        "migrant",
        "流动人口",
        "Migrant",
        "person",
        false,
        false,
        None,
        r#"[{"key":"arrived","label":"来本地日期","type":"date"},{"key":"permit","label":"证件","type":"select","options":["暂住证","居住证","无"]},{"key":"permit_no","label":"证件号码","type":"text"}]"#,
    ),
    (
        "community_correction",
        "社区矫正人员",
        "Under community correction",
        "person",
        true,
        false,
        Some(7),
        r#"[{"key":"term_start","label":"矫正起始日期","type":"date"},{"key":"term_end","label":"矫正结束日期","type":"date"}]"#,
    ),
    (
        "released_prisoner",
        "刑满释放人员",
        "Released prisoner",
        "person",
        true,
        false,
        Some(30),
        r#"[{"key":"released","label":"释放日期","type":"date"}]"#,
    ),
    (
        "mental_disorder",
        "严重精神障碍患者",
        "Severe mental disorder",
        "person",
        true,
        false,
        Some(30),
        r#"[{"key":"risk_level","label":"危险性评估等级","type":"select","options":["0","1","2","3","4","5"]},{"key":"guardian","label":"监护人","type":"text"}]"#,
    ),
    ("drug_user", "吸毒人员", "Drug user", "person", true, false, Some(30), "[]"),
    ("key_youth", "重点青少年", "Youth at risk", "person", true, false, Some(30), "[]"),
    ("veteran", "退役军人", "Veteran", "person", false, false, None, "[]"),
    (
        "party_member",
        "党员",
        "Party member",
        "person",
        false,
        false,
        None,
        r#"[{"key":"mobile","label":"流动党员","type":"select","options":["否","是"]}]"#,
    ),
];

impl App {
    /// Seeds the tag kinds once (an admin may have edited them since, so existing rows are left alone).
    pub async fn ensure_tag_kinds(&self) -> Result<()> {
        if !self.store.tag_kinds().await?.is_empty() {
            // Fields the key-group rules read, added once to databases seeded before them (app::safety).
            return self.upgrade_key_group_fields().await;
        }
        let mut tx = self.store.begin().await?;
        for (i, (code, name, en, level, sensitive, derived, visit, fields)) in DEFAULT_TAG_KINDS.iter().enumerate() {
            let k = wangge_store::register::TagKindRow {
                code: code.to_string(),
                name: name.to_string(),
                name_en: en.to_string(),
                level: level.to_string(),
                sensitive: *sensitive,
                derived: *derived,
                fields: fields.to_string(),
                visit_days: *visit,
                sort: i as i64,
            };
            Store::upsert_tag_kind(&mut tx, &k).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        self.upgrade_key_group_fields().await
    }

    /// The tag kinds the caller may see (sensitive ones only with the permission somewhere in their scope).
    pub async fn tag_kinds(&self, actor: &Actor) -> Result<Vec<TagKind>> {
        let sensitive_ok = actor.may_somewhere(Permission::ReadSensitiveTags);
        Ok(self
            .store
            .tag_kinds()
            .await?
            .into_iter()
            .filter(|k| sensitive_ok || !k.sensitive)
            .map(|k| TagKind {
                fields: serde_json::from_str(&k.fields).unwrap_or(serde_json::Value::Array(vec![])),
                code: k.code,
                name: k.name,
                name_en: k.name_en,
                level: k.level,
                sensitive: k.sensitive,
                derived: k.derived,
                visit_days: k.visit_days,
            })
            .collect())
    }
}

/// An admin's definition of a tag kind (`PUT /api/v1/tag-kinds/{code}`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagKindInput {
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    /// `person` or `household`.
    pub level: String,
    #[serde(default)]
    pub sensitive: bool,
    /// `[{"key", "label", "type": "text"|"date"|"number"|"select", "options"?}]`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub fields: serde_json::Value,
    /// Care rule: visit at least every N days (1–366), or none.
    #[serde(default)]
    pub visit_days: Option<i64>,
}

/// Checks a tag kind's code and definition; every error names its field.
pub fn check_tag_kind(code: &str, input: &TagKindInput) -> Result<()> {
    use crate::AppError;
    let ok_code = (2..=40).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit());
    if !ok_code {
        return Err(AppError::field(
            "code",
            "编码为2–40位小写字母、数字或下划线 / the code must be 2–40 of a-z, 0-9, _",
        ));
    }
    let n = input.name.trim().chars().count();
    if n == 0 || n > 20 {
        return Err(AppError::field("name", "名称为1–20字 / the name must be 1–20 characters"));
    }
    if !matches!(input.level.as_str(), "person" | "household") {
        return Err(AppError::field("level", "应为 person 或 household / must be person or household"));
    }
    if let Some(d) = input.visit_days
        && !(1..=366).contains(&d)
    {
        return Err(AppError::field("visit_days", "走访周期应为1–366天 / visits every 1–366 days"));
    }
    let fields = match &input.fields {
        serde_json::Value::Null => return Ok(()),
        serde_json::Value::Array(a) => a,
        _ => return Err(AppError::field("fields", "应为数组 / must be an array")),
    };
    let mut keys = std::collections::HashSet::new();
    for (i, f) in fields.iter().enumerate() {
        let at = |k: &str| format!("fields[{i}].{k}");
        let key = f.get("key").and_then(|v| v.as_str()).unwrap_or("");
        if key.is_empty()
            || key.len() > 40
            || !key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
        {
            return Err(AppError::field(&at("key"), "字段键为小写字母、数字或下划线 / a key of a-z, 0-9, _"));
        }
        if !keys.insert(key) {
            return Err(AppError::field(&at("key"), format!("字段键重复 / duplicate key {key}")));
        }
        if f.get("label").and_then(|v| v.as_str()).is_none_or(|l| l.trim().is_empty()) {
            return Err(AppError::field(&at("label"), "字段名称必填 / a label is required"));
        }
        match f.get("type").and_then(|v| v.as_str()) {
            Some("text" | "date" | "number") => {}
            Some("select") => {
                let ok = f
                    .get("options")
                    .and_then(|o| o.as_array())
                    .is_some_and(|o| !o.is_empty() && o.iter().all(|x| x.is_string()));
                if !ok {
                    return Err(AppError::field(
                        &at("options"),
                        "选择字段需要选项列表 / a select needs a list of options",
                    ));
                }
            }
            _ => {
                return Err(AppError::field(
                    &at("type"),
                    "类型应为 text、date、number 或 select / type must be text, date, number or select",
                ));
            }
        }
    }
    Ok(())
}

impl App {
    /// Adds or changes a tag kind (admins). A derived kind (老年人, computed from age) keeps its rule.
    pub async fn put_tag_kind(&self, actor: &Actor, code: &str, input: TagKindInput) -> Result<TagKind> {
        self.authorize_anywhere(actor, Permission::ManageTagKinds)?;
        check_tag_kind(code, &input)?;
        let existing = self.store.tag_kinds().await?;
        let old = existing.iter().find(|k| k.code == code);
        if existing.iter().any(|k| k.code != code && k.name == input.name.trim()) {
            return Err(crate::AppError::field(
                "name",
                format!("名称已被使用 / the name is taken: {}", input.name.trim()),
            ));
        }
        let row = wangge_store::register::TagKindRow {
            code: code.to_string(),
            name: input.name.trim().to_string(),
            name_en: input.name_en.trim().to_string(),
            level: input.level.clone(),
            sensitive: input.sensitive,
            derived: old.is_some_and(|k| k.derived),
            fields: if input.fields.is_null() { "[]".into() } else { input.fields.to_string() },
            visit_days: input.visit_days,
            sort: old.map(|k| k.sort).unwrap_or(existing.len() as i64),
        };
        let mut tx = self.store.begin().await?;
        Store::upsert_tag_kind(&mut tx, &row).await?;
        Store::audit(
            &mut tx,
            wangge_store::audit::NewAudit {
                actor: &actor.username,
                action: if old.is_some() { "update" } else { "create" },
                object: &format!("tag_kind:{code}"),
                reason: None,
                region_code: None,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.tag_kinds(actor)
            .await?
            .into_iter()
            .find(|k| k.code == code)
            .ok_or_else(|| crate::AppError::not_found(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(fields: serde_json::Value) -> TagKindInput {
        TagKindInput {
            name: "困境儿童".into(),
            name_en: String::new(),
            level: "person".into(),
            sensitive: false,
            fields,
            visit_days: Some(30),
        }
    }

    #[test]
    fn tag_kinds_are_checked_field_by_field() {
        assert!(check_tag_kind("child_in_need", &input(json!([]))).is_ok());
        assert_eq!(check_tag_kind("Bad Code", &input(json!([]))).unwrap_err().field_name(), Some("code"));
        let e =
            check_tag_kind("x_y", &input(json!([{"key": "grade", "label": "等级", "type": "select"}]))).unwrap_err();
        assert_eq!(e.field_name(), Some("fields[0].options"));
        let e = check_tag_kind(
            "x_y",
            &input(json!([{"key": "a", "label": "A", "type": "text"}, {"key": "a", "label": "B", "type": "date"}])),
        )
        .unwrap_err();
        assert_eq!(e.field_name(), Some("fields[1].key"));
        let mut i = input(json!([]));
        i.level = "street".into();
        assert_eq!(check_tag_kind("x_y", &i).unwrap_err().field_name(), Some("level"));
        i.level = "person".into();
        i.visit_days = Some(0);
        assert_eq!(check_tag_kind("x_y", &i).unwrap_err().field_name(), Some("visit_days"));
    }
}
