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
        r#"[{"key":"risk_level","label":"危险性评估等级","type":"select","options":["0","1","2","3","4","5"]}]"#,
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
            return Ok(());
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
        Ok(())
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
