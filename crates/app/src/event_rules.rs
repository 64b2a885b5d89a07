//! What admins edit about the event loop (DESIGN.md §8: every number is configuration): categories with their
//! stage time limits and extra fields, routing rules, and the working calendar. Each change is validated field
//! by field, written with its audit record, and takes effect in this process at once (others within seconds).

use crate::events::{Category, parse_periods};
use crate::{App, AppError, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use wangge_domain::event::calendar::DayKind;
use wangge_domain::event::category::{self as cat};
use wangge_domain::event::{Limit, Stage, Triage};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::events::CategoryRow;
use wangge_store::{Store, StoreError, audit::NewAudit};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CategoryInput {
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    /// The department dispatched to when no routing rule says otherwise.
    #[serde(default)]
    pub department_code: String,
    /// on_site | general | comprehensive | difficult.
    pub triage: String,
    /// Stage → limit code: {"handle": "4h", "verify": "2h", …}; stages not given keep their defaults.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub limits: Map<String, Value>,
    /// Extra fields asked when reporting: [{"code", "name", "name_en"?, "datatype": "string"|"number"|"text", "required"}].
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<Value>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct RuleInput {
    /// A category code or class prefix ('' = every category).
    #[serde(default)]
    pub category_prefix: String,
    /// A region code ('' = everywhere).
    #[serde(default)]
    pub region_prefix: String,
    /// Departments, the lead first.
    pub departments: Vec<String>,
    pub triage: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleView {
    pub id: i64,
    pub category_prefix: String,
    pub region_prefix: String,
    pub departments: Vec<String>,
    pub triage: String,
    pub triage_label: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CalendarView {
    /// "08:30-12:00,13:30-17:30".
    pub periods: String,
    /// Working minutes in a working day.
    pub day_minutes: i64,
    pub days: Vec<CalendarDay>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CalendarDay {
    /// YYYY-MM-DD.
    pub day: String,
    /// holiday (放假) | workday (调休上班).
    pub kind: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CalendarDayInput {
    /// holiday | workday; null or "" removes the exception (the weekday decides again).
    pub kind: Option<String>,
    #[serde(default)]
    pub note: String,
}

fn check_fields(fields: &[Value]) -> Result<String> {
    let mut seen = std::collections::HashSet::new();
    for (i, f) in fields.iter().enumerate() {
        let at = |k: &str| format!("fields[{i}].{k}");
        let code = f.get("code").and_then(Value::as_str).unwrap_or("");
        if code.is_empty()
            || code.len() > 32
            || !code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(AppError::field(&at("code"), "应为小写字母、数字或下划线 / lowercase letters, digits or _"));
        }
        if !seen.insert(code.to_string()) {
            return Err(AppError::field(&at("code"), format!("字段重复 / duplicate field: {code}")));
        }
        if f.get("name").and_then(Value::as_str).is_none_or(|n| n.trim().is_empty()) {
            return Err(AppError::field(&at("name"), "请填写字段名称 / name the field"));
        }
        let dt = f.get("datatype").and_then(Value::as_str).unwrap_or("string");
        if !["string", "number", "text"].contains(&dt) {
            return Err(AppError::field(
                &at("datatype"),
                "应为 string、number 或 text / must be string, number or text",
            ));
        }
        if f.get("required").is_some_and(|r| !r.is_boolean()) {
            return Err(AppError::field(&at("required"), "应为 true 或 false / must be true or false"));
        }
    }
    Ok(Value::Array(fields.to_vec()).to_string())
}

impl App {
    fn may_edit_rules(&self, actor: &Actor) -> Result<()> {
        self.authorize_anywhere(actor, Permission::ManageEventRules)
    }

    /// Creates or changes a category. Its parent (the code minus two digits) must exist; the department too.
    pub async fn put_category(&self, actor: &Actor, code: &str, input: CategoryInput) -> Result<Category> {
        self.may_edit_rules(actor)?;
        let code = code.trim();
        if !cat::valid_code(code) {
            return Err(AppError::field(
                "code",
                "类别编码应为大写字母加成对数字，如 E0501 / a letter and pairs of digits, e.g. E0501",
            ));
        }
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 40 {
            return Err(AppError::field("name", "请填写名称（不超过40字）/ 1 to 40 characters"));
        }
        let triage = Triage::parse(input.triage.trim()).ok_or_else(|| {
            AppError::field("triage", "应为 on_site、general、comprehensive 或 difficult / unknown triage")
        })?;
        let dept = input.department_code.trim();
        if !dept.is_empty() && !self.store.department_exists(dept).await? {
            return Err(AppError::field("department_code", format!("未知部门 / unknown department: {dept}")));
        }
        let reference = self.event_reference().await?;
        let parent = cat::parent_code(code).map(str::to_string);
        if let Some(p) = &parent
            && reference.category(p).is_none()
        {
            return Err(AppError::field("code", format!("上级类别 {p} 不存在 / parent {p} does not exist")));
        }
        let mut limits = reference.category(code).map(|c| c.parsed_limits).unwrap_or_else(|| {
            parent
                .as_deref()
                .and_then(|p| reference.category(p))
                .map(|c| c.parsed_limits)
                .unwrap_or(wangge_domain::event::Limits::with_handle(Limit::WorkingDays(5)))
        });
        for (k, v) in &input.limits {
            let stage = Stage::ALL
                .iter()
                .copied()
                .find(|s| s.as_str() == k)
                .ok_or_else(|| AppError::field(&format!("limits.{k}"), "未知环节 / unknown stage"))?;
            let l = v.as_str().and_then(Limit::parse).ok_or_else(|| {
                AppError::field(
                    &format!("limits.{k}"),
                    "时限格式应为 4h（工作时）、5d（工作日）或 24n（小时）/ e.g. 4h, 5d or 24n",
                )
            })?;
            limits.set(stage, l);
        }
        let fields = check_fields(&input.fields)?;
        let row = CategoryRow {
            code: code.into(),
            parent_code: parent,
            name: name.into(),
            name_en: input.name_en.trim().into(),
            department_code: dept.into(),
            triage: triage.as_str().into(),
            limits: crate::events::limits_json(&limits),
            fields,
            active: input.active,
        };
        let mut tx = self.store.begin().await?;
        Store::upsert_category(&mut tx, &row).await?;
        audit(&mut tx, actor, "event_category.put", &format!("category:{code}")).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.forget_event_reference();
        let reference = self.event_reference().await?;
        reference.category(code).cloned().ok_or_else(|| AppError::internal("category vanished after write"))
    }

    /// Every category, inactive ones too (the admin's view).
    pub async fn all_categories(&self, actor: &Actor) -> Result<Vec<Category>> {
        self.may_edit_rules(actor)?;
        Ok(self.event_reference().await?.categories.clone())
    }

    pub async fn routing_rules(&self, actor: &Actor) -> Result<Vec<RuleView>> {
        self.authorize_anywhere(actor, Permission::ReadEvents)?;
        Ok(self.event_reference().await?.rules.iter().map(rule_view).collect())
    }

    pub async fn add_routing_rule(&self, actor: &Actor, input: RuleInput) -> Result<RuleView> {
        self.may_edit_rules(actor)?;
        let c = input.category_prefix.trim();
        if !c.is_empty() && !cat::valid_code(c) {
            return Err(AppError::field(
                "category_prefix",
                "应为类别编码或其前缀，如 E05 / a category code or class, e.g. E05",
            ));
        }
        let r = input.region_prefix.trim();
        if !r.is_empty() {
            if !r.bytes().all(|b| b.is_ascii_digit()) || self.store.region(r).await?.is_none() {
                return Err(AppError::field("region_prefix", format!("区域不存在 / no such region: {r}")));
            }
            self.authorize(actor, Permission::ManageEventRules, r)?;
        }
        let triage = Triage::parse(input.triage.trim()).ok_or_else(|| {
            AppError::field("triage", "应为 on_site、general、comprehensive 或 difficult / unknown triage")
        })?;
        let mut depts: Vec<String> = Vec::new();
        for d in input.departments.iter().map(|d| d.trim()).filter(|d| !d.is_empty()) {
            if !self.store.department_exists(d).await? {
                return Err(AppError::field("departments", format!("未知部门 / unknown department: {d}")));
            }
            if !depts.iter().any(|x| x == d) {
                depts.push(d.to_string());
            }
        }
        if depts.is_empty() && triage != Triage::OnSite {
            return Err(AppError::field("departments", "请至少选择一个部门 / choose at least one department"));
        }
        let mut tx = self.store.begin().await?;
        let id = Store::insert_routing_rule(&mut tx, c, r, &depts.join(","), triage.as_str()).await?;
        audit(&mut tx, actor, "routing_rule.add", &format!("routing_rule:{id}")).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.forget_event_reference();
        Ok(RuleView {
            id,
            category_prefix: c.into(),
            region_prefix: r.into(),
            departments: depts,
            triage: triage.as_str().into(),
            triage_label: triage.label_zh().into(),
        })
    }

    pub async fn delete_routing_rule(&self, actor: &Actor, id: i64) -> Result<()> {
        self.may_edit_rules(actor)?;
        let mut tx = self.store.begin().await?;
        Store::delete_routing_rule(&mut tx, id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::not_found("routing rule"),
            e => e.into(),
        })?;
        audit(&mut tx, actor, "routing_rule.delete", &format!("routing_rule:{id}")).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.forget_event_reference();
        Ok(())
    }

    /// The calendar: working periods and every dated exception (the seeded official days included).
    pub async fn calendar(&self, actor: &Actor) -> Result<CalendarView> {
        self.authorize_anywhere(actor, Permission::ReadEvents)?;
        let r = self.event_reference().await?;
        let cal = &r.calendar;
        let notes: std::collections::HashMap<String, String> =
            self.store.calendar_days().await?.into_iter().map(|(d, _, n)| (d, n)).collect();
        Ok(CalendarView {
            periods: cal
                .periods()
                .iter()
                .map(|(a, b)| format!("{}-{}", a.format("%H:%M"), b.format("%H:%M")))
                .collect::<Vec<_>>()
                .join(","),
            day_minutes: cal.day_minutes(),
            days: cal
                .exceptions()
                .map(|(d, k)| {
                    let day = d.format("%Y-%m-%d").to_string();
                    CalendarDay { note: notes.get(&day).cloned().unwrap_or_default(), day, kind: k.as_str().into() }
                })
                .collect(),
        })
    }

    /// Marks a date as a holiday or a worked weekend day, or removes the mark.
    pub async fn put_calendar_day(&self, actor: &Actor, day: &str, input: CalendarDayInput) -> Result<CalendarView> {
        self.may_edit_rules(actor)?;
        let d = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::field("day", "日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD"))?;
        let kind = match input.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => Some(
                DayKind::parse(k)
                    .ok_or_else(|| AppError::field("kind", "应为 holiday 或 workday / must be holiday or workday"))?,
            ),
        };
        if input.note.chars().count() > 40 {
            return Err(AppError::field("note", "不超过40字 / at most 40 characters"));
        }
        let day = d.format("%Y-%m-%d").to_string();
        let mut tx = self.store.begin().await?;
        // Removing a seeded official day is recorded as the weekday's own kind, so the seed does not come back.
        let kind_code = match kind {
            Some(k) => Some(k.as_str()),
            None if wangge_domain::event::calendar::official_2026().iter().any(|(x, _)| *x == d) => {
                Some(if matches!(chrono::Datelike::weekday(&d), chrono::Weekday::Sat | chrono::Weekday::Sun) {
                    "holiday"
                } else {
                    "workday"
                })
            }
            None => None,
        };
        Store::put_calendar_day(&mut tx, &day, kind_code, input.note.trim()).await?;
        audit(&mut tx, actor, "calendar.put", &format!("calendar:{day}")).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.forget_event_reference();
        self.calendar(actor).await
    }

    /// Sets the working periods of a working day, e.g. "08:30-12:00,13:30-17:30".
    pub async fn set_work_periods(&self, actor: &Actor, periods: &str) -> Result<CalendarView> {
        self.may_edit_rules(actor)?;
        let parsed = parse_periods(periods).map_err(|m| AppError::field("periods", m))?;
        let text = parsed
            .iter()
            .map(|(a, b)| format!("{}-{}", a.format("%H:%M"), b.format("%H:%M")))
            .collect::<Vec<_>>()
            .join(",");
        let mut tx = self.store.begin().await?;
        Store::set_setting(&mut tx, "calendar.periods", &text).await?;
        audit(&mut tx, actor, "calendar.periods", "calendar:periods").await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.forget_event_reference();
        self.calendar(actor).await
    }
}

fn rule_view(r: &wangge_domain::event::RoutingRule) -> RuleView {
    RuleView {
        id: r.id,
        category_prefix: r.category_prefix.clone(),
        region_prefix: r.region_prefix.clone(),
        departments: r.departments.clone(),
        triage: r.triage.as_str().into(),
        triage_label: r.triage.label_zh().into(),
    }
}

async fn audit(
    tx: &mut wangge_store::Transaction<'static, wangge_store::Any>,
    actor: &Actor,
    action: &str,
    object: &str,
) -> Result<()> {
    Store::audit(tx, NewAudit { actor: &actor.username, action, object, reason: None, region_code: None }).await?;
    Ok(())
}
