//! 一表通 (issue #13, docs/data-requests.md): a department's table sent down with the register's data already in
//! it (带数下发). The request is checked against the admission list like every push onto a community, split by
//! grid, and each grid worker answers only what the register does not know — on the phone, offline, through the
//! same outbox as visits. Answers that are facts about a person or house go back into the register once, with
//! history (只报一次), so the next table already knows them. The requester downloads the result in the layout of
//! their own Excel template; every download is watermarked and audited.

use crate::admission::dept_name;
use crate::paging::{self, Page};
use crate::people::{Kinds, age_on, parse_date, text_field, today, validate_tag_data};
use crate::{App, AppError, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use wangge_domain::data_request::{
    self as rules, Cells, ExtraType, Population, WriteBack, column_letters, match_header, tag_column,
};
use wangge_domain::idcard::Gender;
use wangge_domain::phone::Phone;
use wangge_domain::region::RegionLevel;
use wangge_domain::register::{HouseUsage, PersonEventKind, PopulationType, ResidenceStatus};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::data_requests::{DataRequestRow, RequestRowRecord};
use wangge_store::services::TaskRow;
use wangge_store::{Store, StoreError, now_ms};

/// Rows one request may hold: a district's whole population is not a table anyone fills.
pub const MAX_ROWS: usize = 50_000;
const MAX_COLUMNS: usize = 60;

// ---------------------------------------------------------------- types

/// A column as stored and shown: a register field (`key` such as `phone`, `tag:disabled.level`) or a 补充列
/// (`key` `x1`, `x2`…) the grid worker fills.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Column {
    pub key: String,
    /// The header as the table shows it (the requester's own wording when it came from their template).
    pub label: String,
    /// A column the register does not hold.
    #[serde(default)]
    pub extra: bool,
    /// 补充列: `text`, `number`, `date`, `choice` or `yes_no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
    /// A grid worker's answer goes back into the register (只报一次).
    #[serde(default)]
    pub writes_back: bool,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnInput {
    /// A register field key (see `GET /api/v1/data-requests/fields`); absent for a 补充列.
    pub field: Option<String>,
    /// The header to show; required for a 补充列, defaults to the field's label.
    pub label: Option<String>,
    /// 补充列 type: `text` (default), `number`, `date`, `choice`, `yes_no`.
    pub r#type: Option<String>,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataRequestInput {
    pub title: String,
    /// The department the table is for; a department's own staff may leave it out.
    pub department_code: Option<String>,
    /// The admission list's item code the table is pushed under (准入制).
    pub item_code: String,
    /// The area (district, street, community or grid) whose population the table covers.
    pub region_code: String,
    /// `people`, `households` or `houses`.
    pub population: String,
    /// People/households: only those with this special-group tag (code or name).
    pub tag: Option<String>,
    /// Houses: only those of this use (e.g. `出租` for 出租屋).
    pub house_usage: Option<String>,
    pub columns: Vec<ColumnInput>,
    /// `YYYY-MM-DD`: the last day to answer.
    pub due_on: String,
    #[serde(default)]
    pub description: String,
    /// Rows above the header in the requester's template (from `POST /api/v1/data-requests/template`), written
    /// back above the header in the download.
    #[serde(default)]
    pub title_rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProgressView {
    pub community_code: String,
    pub community_name: String,
    pub grid_code: String,
    pub grid_name: String,
    pub rows: i64,
    pub answered: i64,
    pub late: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DataRequestView {
    pub id: i64,
    pub title: String,
    pub department_code: String,
    pub department_name: String,
    pub item_code: String,
    pub region_code: String,
    pub region_name: String,
    pub population: String,
    pub population_name: String,
    pub tag: String,
    /// The tag's name (独居老人…), empty without one.
    pub tag_name: String,
    pub house_usage: String,
    pub columns: Vec<Column>,
    pub title_rows: Vec<Vec<String>>,
    pub description: String,
    pub due_on: String,
    pub overdue: bool,
    pub created_by: String,
    pub created_at: String,
    pub rows: i64,
    pub answered: i64,
    pub late: i64,
    /// Cells the register filled and cells asked of people, over the whole table.
    pub prefilled_cells: i64,
    pub asked_cells: i64,
    pub prefilled_percent: Option<f64>,
    /// Per community and grid, limited to what the caller may see.
    pub progress: Vec<ProgressView>,
    /// Whether the caller may download the result.
    pub can_export: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowView {
    pub id: i64,
    pub request_id: i64,
    pub grid_code: String,
    pub community_code: String,
    /// Who or what the row is about (name and address).
    pub label: String,
    /// Column key → value: the register's (numbers masked) overlaid with the answers.
    #[schema(value_type = Object)]
    pub values: Map<String, Value>,
    /// The columns this row asks of the grid worker.
    pub ask: Vec<String>,
    /// Register columns the worker may correct (their answer goes back into the register).
    pub correctable: Vec<String>,
    pub status: String,
    pub late: bool,
    pub answered_by: String,
    pub answered_at: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// Column key → answer. Register columns may be corrected; 补充列 answered.
    #[schema(value_type = Object)]
    pub values: Map<String, Value>,
}

/// The grid worker's pending tables, as the phone keeps them for offline work.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldDataRequest {
    pub id: i64,
    pub title: String,
    pub department_name: String,
    pub due_on: String,
    pub overdue: bool,
    pub columns: Vec<Column>,
    pub rows: Vec<RowView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldCatalogue {
    pub population: String,
    pub fields: Vec<FieldInfo>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldInfo {
    pub key: String,
    pub label: String,
    pub label_en: String,
    pub writes_back: bool,
    pub sensitive: bool,
}

/// How each header cell of an uploaded template was read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HeaderCell {
    /// `B3`.
    pub cell: String,
    pub header: String,
    /// The register field it matched, if any.
    pub field: Option<String>,
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TemplatePreview {
    pub sheet: String,
    /// 1-based row of the header.
    pub header_row: usize,
    pub title_rows: Vec<Vec<String>>,
    pub cells: Vec<HeaderCell>,
    /// The columns to send as `columns` when creating the request (edit before sending if needed).
    #[schema(value_type = Vec<Object>)]
    pub columns: Vec<Value>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PrefillLine {
    /// `YYYY-MM` or a request's title.
    pub label: String,
    pub request_id: Option<i64>,
    pub requests: i64,
    pub rows: i64,
    pub prefilled_cells: i64,
    pub asked_cells: i64,
    pub prefilled_percent: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PrefillReport {
    pub months: Vec<PrefillLine>,
    pub requests: Vec<PrefillLine>,
    pub total: PrefillLine,
}

// ---------------------------------------------------------------- helpers

fn fe(e: wangge_domain::FieldError) -> AppError {
    e.into()
}

fn columns_of(r: &DataRequestRow) -> Vec<Column> {
    serde_json::from_str(&r.columns).unwrap_or_default()
}

fn title_rows_of(r: &DataRequestRow) -> Vec<Vec<String>> {
    serde_json::from_str::<Value>(&r.layout)
        .ok()
        .and_then(|v| serde_json::from_value(v["title_rows"].clone()).ok())
        .unwrap_or_default()
}

fn population_of(r: &DataRequestRow) -> Population {
    Population::parse("population", &r.population).unwrap_or(Population::People)
}

fn gender_zh(g: &str) -> String {
    Gender::parse("gender", g).map(|g| g.label_zh().to_string()).unwrap_or_else(|_| g.to_string())
}

fn cst_day_of(ms: i64) -> chrono::NaiveDate {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().with_timezone(&cst).date_naive()
}

/// The stored prefill of a row: column key → value, plus `_ask` (keys asked of this row) and `_fix` (register
/// keys the worker may correct).
struct Prefill {
    values: Map<String, Value>,
    ask: Vec<String>,
    fix: Vec<String>,
}

impl Prefill {
    fn parse(s: &str) -> Prefill {
        let mut values: Map<String, Value> = serde_json::from_str(s).unwrap_or_default();
        let list =
            |v: Option<Value>| -> Vec<String> { v.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default() };
        let ask = list(values.remove("_ask"));
        let fix = list(values.remove("_fix"));
        Prefill { values, ask, fix }
    }

    fn to_json(&self) -> String {
        let mut m = self.values.clone();
        m.insert("_ask".into(), json!(self.ask));
        m.insert("_fix".into(), json!(self.fix));
        Value::Object(m).to_string()
    }
}

/// Register facts about one row's subject, read once when the table is sent.
struct Subject {
    grid: String,
    subject_id: i64,
    person_id: Option<i64>,
    label: String,
    values: BTreeMap<String, String>,
    /// Tags the subject holds (person and household level) with their data.
    tags: HashMap<String, Map<String, Value>>,
}

/// What `create` resolved about the columns.
struct Plan {
    population: Population,
    columns: Vec<Column>,
}

// ---------------------------------------------------------------- use cases

impl App {
    /// The register fields a table about `population` may ask for, with the tags the caller may see.
    pub async fn data_request_fields(&self, actor: &Actor, population: &str) -> Result<FieldCatalogue> {
        self.authorize_anywhere(actor, Permission::RequestData)?;
        let p = Population::parse("population", population).map_err(fe)?;
        let mut fields: Vec<FieldInfo> = p
            .fields()
            .iter()
            .map(|f| FieldInfo {
                key: f.key.into(),
                label: f.label.into(),
                label_en: f.label_en.into(),
                writes_back: f.write_back != WriteBack::No,
                sensitive: false,
            })
            .collect();
        if p != Population::Houses {
            let kinds = self.kinds().await?;
            let sensitive_ok = actor.is_admin() || actor.may_somewhere(Permission::ReadSensitiveTags);
            let mut ks: Vec<_> = kinds.0.values().filter(|k| sensitive_ok || !k.sensitive).collect();
            ks.sort_by_key(|k| (k.sort, k.code.clone()));
            for (key, label, label_en, writes_back, sensitive) in ks.into_iter().flat_map(tag_fields) {
                fields.push(FieldInfo { key, label, label_en, writes_back, sensitive });
            }
        }
        Ok(FieldCatalogue { population: p.as_str().into(), fields })
    }

    /// Reads a requester's own Excel template: finds the header row, matches each header cell to a register
    /// field and explains every cell (a header the register does not hold becomes a 补充列 the grid worker fills).
    pub async fn data_request_template(
        &self,
        actor: &Actor,
        population: &str,
        bytes: &[u8],
    ) -> Result<TemplatePreview> {
        self.authorize_anywhere(actor, Permission::RequestData)?;
        let p = Population::parse("population", population).map_err(fe)?;
        let catalogue = self.data_request_fields(actor, p.as_str()).await?;
        let mut tags: Vec<(String, String)> = catalogue
            .fields
            .iter()
            .filter(|f| f.key.starts_with("tag:"))
            .map(|f| (f.key.clone(), f.label.clone()))
            .collect();
        // A template says "残疾等级", not "残疾人·残疾等级": a tag field's own label matches when no other tag has it.
        let bare: Vec<(String, String)> =
            tags.iter().filter_map(|(k, l)| Some((k.clone(), l.split_once('·')?.1.to_string()))).collect();
        for (k, l) in &bare {
            if bare.iter().filter(|(_, o)| o == l).count() == 1 {
                tags.push((k.clone(), l.clone()));
            }
        }
        let (sheet, grid) = read_sheet(bytes)?;
        // The header is the fullest of the first 20 rows (the first of equals): title and "填报单位：" lines above it
        // hold a cell or two.
        let filled = |row: &Vec<String>| row.iter().filter(|c| !c.trim().is_empty()).count();
        let header_idx = grid
            .iter()
            .take(20)
            .enumerate()
            .filter(|(_, row)| filled(row) >= 2)
            .max_by_key(|(i, row)| (filled(row), std::cmp::Reverse(*i)))
            .map(|(i, _)| i)
            .ok_or_else(|| {
                AppError::field(
                    "file",
                    "前20行中没有找到表头（至少两个非空单元格的一行） / no header row in the first 20 rows",
                )
            })?;
        let header = &grid[header_idx];
        // A table may start in column B: empty cells before the first header are not columns.
        let first = header.iter().position(|c| !c.trim().is_empty()).unwrap_or(0);
        let last = header.iter().rposition(|c| !c.trim().is_empty()).unwrap_or(0);
        if last + 1 - first > MAX_COLUMNS {
            return Err(AppError::field("file", format!("表头超过{MAX_COLUMNS}列 / more than {MAX_COLUMNS} columns")));
        }
        let mut problems = Vec::new();
        let mut cells = Vec::new();
        let mut columns = Vec::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut fields_seen: HashMap<String, String> = HashMap::new();
        for (i, h) in header.iter().enumerate().take(last + 1).skip(first) {
            let cell = format!("{}{}", column_letters(i), header_idx + 1);
            let text = h.trim().to_string();
            if text.is_empty() {
                problems.push(json!({ "cell": cell, "message": "表头为空：请填写列名或删除此列 / empty header" }));
                continue;
            }
            let norm = rules::normalize_header(&text);
            if let Some(first) = seen.get(&norm) {
                problems.push(
                    json!({ "cell": cell, "message": format!("与 {first} 的列名重复 / same header as {first}") }),
                );
                continue;
            }
            seen.insert(norm, cell.clone());
            let field = match_header(p, &tags, &text);
            if let Some(k) = &field {
                if let Some(other) = fields_seen.get(k) {
                    let label = catalogue.fields.iter().find(|f| &f.key == k).map(|f| f.label.as_str()).unwrap_or(k);
                    problems.push(json!({ "cell": cell,
                        "message": format!("与 {other} 都对应“{label}”：请删去一列 / same register field as {other}") }));
                    continue;
                }
                fields_seen.insert(k.clone(), cell.clone());
            }
            let explanation = match &field {
                Some(k) => {
                    let f = catalogue.fields.iter().find(|f| &f.key == k);
                    let label = f.map(|f| f.label.as_str()).unwrap_or(k);
                    if f.is_some_and(|f| f.writes_back) {
                        format!(
                            "由登记信息预填（{label}）；缺失时由网格员填写并回写登记 / pre-filled from the register"
                        )
                    } else {
                        format!("由登记信息预填（{label}） / pre-filled from the register")
                    }
                }
                None => {
                    "登记信息中没有此项：作为补充列由网格员填写 / not in the register: asked of grid workers".into()
                }
            };
            columns.push(match &field {
                Some(k) => json!({ "field": k, "label": text }),
                None => json!({ "label": text, "type": "text" }),
            });
            cells.push(HeaderCell { cell, header: text, field, explanation });
        }
        if !problems.is_empty() {
            let msg =
                problems.iter().filter_map(|p| Some(format!("{} {}", p["cell"].as_str()?, p["message"].as_str()?)));
            return Err(AppError::field("file", format!("模板表头有问题：{}", msg.collect::<Vec<_>>().join("；")))
                .with_details(json!({ "field": "file", "cells": problems })));
        }
        let title_rows = grid[..header_idx]
            .iter()
            .map(|r| {
                let mut r: Vec<String> = r.iter().take(last + 1).skip(first).map(|c| c.trim().to_string()).collect();
                while r.last().is_some_and(|c| c.is_empty()) {
                    r.pop();
                }
                r
            })
            .collect();
        Ok(TemplatePreview { sheet, header_row: header_idx + 1, title_rows, cells, columns })
    }

    /// Sends a table down: checks scope, sensitive tags and the admission list before anything is sent, then
    /// writes the request, one row per subject with the register's values, and one pushed task per community.
    pub async fn create_data_request(&self, actor: &Actor, input: DataRequestInput) -> Result<DataRequestView> {
        self.authorize_anywhere(actor, Permission::RequestData)?;
        let title = text_field("title", &input.title, 100)?;
        if title.is_empty() {
            return Err(AppError::field("title", "请填写报表名称 / a title is required"));
        }
        let description = crate::disputes::text_block("description", &input.description, 2000)?;
        let region_code = input.region_code.trim().to_string();
        if region_code.is_empty() {
            return Err(AppError::field("region_code", "请选择范围 / choose the area"));
        }
        self.authorize(actor, Permission::RequestData, &region_code)?;
        let region = self.store.region(&region_code).await?.ok_or_else(|| AppError::not_found(&region_code))?;
        let due = parse_date("due_on", &input.due_on)?;
        if due < today() {
            return Err(AppError::field("due_on", "截止日期不能早于今天 / the due date has passed"));
        }
        let kinds = self.kinds().await?;
        let population = Population::parse("population", &input.population).map_err(fe)?;
        // Sensitive groups (社区矫正, 严重精神障碍…) only for callers who may see them in the whole area: refused
        // before anything is sent.
        let sensitive_ok = actor.may(Permission::ReadSensitiveTags, &region_code);
        let tag = match input.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(_) if population == Population::Houses => {
                return Err(AppError::field(
                    "tag",
                    "房屋表不按人群标签筛选 / house tables take house_usage, not a tag",
                ));
            }
            Some(t) => {
                let k = kinds
                    .0
                    .values()
                    .find(|k| k.code == t || k.name == t)
                    .ok_or_else(|| AppError::field("tag", format!("未知的人群标签 / unknown tag: {t}")))?;
                if k.sensitive && !sensitive_ok {
                    return Err(AppError::forbidden_because(format!(
                        "无权查看敏感人群“{}” / you may not see the sensitive group {}",
                        k.name, k.code
                    )));
                }
                Some(k.clone())
            }
        };
        let house_usage = match input.house_usage.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(_) if population != Population::Houses => {
                return Err(AppError::field("house_usage", "只有房屋表按用途筛选 / only house tables filter by use"));
            }
            Some(u) => Some(HouseUsage::parse("house_usage", u).map_err(fe)?),
        };
        let plan = self.plan_columns(population, &kinds, sensitive_ok, &input.columns)?;
        let title_rows = check_title_rows(&input.title_rows, plan.columns.len())?;
        let department = self.request_department(actor, input.department_code.as_deref())?;
        let item_code = input.item_code.trim().to_string();
        if item_code.is_empty() {
            return Err(AppError::field(
                "item_code",
                "请填写准入事项编码 / the admission list's item code is required",
            ));
        }

        let mut subjects = self.subjects(population, &region_code, tag.as_ref(), house_usage).await?;
        for (i, s) in subjects.iter_mut().enumerate() {
            s.values.insert("seq".into(), (i + 1).to_string());
        }
        if subjects.is_empty() {
            return Err(AppError::field("population", "范围内没有符合条件的对象 / nobody in the area matches"));
        }
        if subjects.len() > MAX_ROWS {
            return Err(AppError::field(
                "region_code",
                format!("超过{MAX_ROWS}行（{}行），请缩小范围 / more than {MAX_ROWS} rows", subjects.len()),
            ));
        }
        let mut grid_community: HashMap<String, String> = HashMap::new();
        for s in &subjects {
            if !grid_community.contains_key(&s.grid) {
                let cm = self.community_of(&s.grid).await?;
                grid_community.insert(s.grid.clone(), cm);
            }
        }
        let communities: BTreeSet<String> = grid_community.values().cloned().collect();
        let mut decisions = Vec::with_capacity(communities.len());
        for cm in &communities {
            decisions.push((
                cm.clone(),
                self.admission_decision(actor, Permission::RequestData, &department, &item_code, cm).await?,
            ));
        }
        let template = TaskRow {
            kind: "data_request".into(),
            department_code: department.clone(),
            item_code: item_code.clone(),
            title: format!("一表通：{title}"),
            description: description.clone(),
            due_on: Some(due.format("%Y-%m-%d").to_string()),
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        let (pushed, refused) = Self::record_pushes(&mut tx, actor, &template, &decisions).await?;
        if let Some(why) = refused {
            // The refusal is the record: commit it, send nothing.
            tx.commit().await.map_err(StoreError::from)?;
            let ids: Vec<i64> = pushed.into_iter().map(|(_, id)| id).collect();
            return Err(crate::admission::refused_error(&item_code, why, &ids));
        }
        let mut total = Cells::default();
        let rows: Vec<RequestRowRecord> = subjects
            .iter()
            .map(|s| {
                let (prefill, cells) = prefill_row(&plan, s);
                total.add(cells);
                RequestRowRecord {
                    community_code: grid_community.get(&s.grid).cloned().unwrap_or_default(),
                    grid_code: s.grid.clone(),
                    subject_id: s.subject_id,
                    person_id: s.person_id,
                    label: s.label.clone(),
                    prefill: prefill.to_json(),
                    prefilled_cells: cells.prefilled,
                    asked_cells: cells.asked,
                    ..Default::default()
                }
            })
            .collect();
        let now = now_ms();
        let row = DataRequestRow {
            title,
            department_code: department,
            item_code,
            region_code: region.region.code.clone(),
            population: population.as_str().into(),
            population_tag: tag.as_ref().map(|k| k.code.clone()).unwrap_or_default(),
            house_usage: house_usage.map(|u| u.as_str().to_string()).unwrap_or_default(),
            columns: serde_json::to_string(&plan.columns).unwrap_or_default(),
            layout: json!({ "title_rows": title_rows }).to_string(),
            description,
            due_on: due.format("%Y-%m-%d").to_string(),
            month: cst_day_of(now).format("%Y-%m").to_string(),
            row_count: rows.len() as i64,
            prefilled_cells: total.prefilled,
            asked_cells: total.asked,
            created_by: actor.username.clone(),
            created_at: now,
            ..Default::default()
        };
        let id = Store::insert_data_request(&mut tx, &row).await?;
        Store::insert_data_request_rows(&mut tx, id, &rows).await?;
        for (_, task) in &pushed {
            Store::link_task_to_request(&mut tx, *task, id).await?;
        }
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "data_request.create",
                object: &format!("data_request:{id}"),
                reason: Some(&format!("{}行 / rows: {}", rows.len(), row.title)),
                region_code: Some(&row.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.data_request_detail(actor, id).await
    }

    fn request_department(&self, actor: &Actor, given: Option<&str>) -> Result<String> {
        let own = Self::pushing_departments(actor);
        match given.map(str::trim).filter(|d| !d.is_empty()) {
            // A department speaks only for itself; say so before the register is read.
            Some(d) if Self::department_only(actor, Permission::RequestData) && !own.iter().any(|o| o == d) => {
                Err(AppError::forbidden())
            }
            Some(d) => Ok(d.to_string()),
            None if own.len() == 1 => Ok(own[0].clone()),
            None => Err(AppError::field("department_code", "请选择需求部门 / choose the department")),
        }
    }

    fn plan_columns(
        &self,
        population: Population,
        kinds: &Kinds,
        sensitive_ok: bool,
        input: &[ColumnInput],
    ) -> Result<Plan> {
        if input.is_empty() || input.len() > MAX_COLUMNS {
            return Err(AppError::field(
                "columns",
                format!("请选择1到{MAX_COLUMNS}列 / choose 1 to {MAX_COLUMNS} columns"),
            ));
        }
        let mut columns: Vec<Column> = Vec::with_capacity(input.len());
        let mut extras = 0;
        for (i, c) in input.iter().enumerate() {
            let at = |f: &str| format!("columns[{i}].{f}");
            let label = text_field(&at("label"), c.label.as_deref().unwrap_or(""), 50)?;
            let column = match c.field.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
                Some(key) => {
                    let (default_label, writes_back) = match tag_column(key) {
                        Some(tc) if population != Population::Houses => {
                            let k = kinds.0.get(&tc.code).ok_or_else(|| {
                                AppError::field(&at("field"), format!("未知的人群标签 / unknown tag: {}", tc.code))
                            })?;
                            if k.sensitive && !sensitive_ok {
                                return Err(AppError::forbidden_because(format!(
                                    "无权查看敏感人群“{}” / you may not see the sensitive group {}",
                                    k.name, k.code
                                )));
                            }
                            let (_, label, _, writes_back, _) =
                                tag_fields(k).into_iter().find(|(kk, ..)| kk == key).ok_or_else(|| {
                                    AppError::field(
                                        &at("field"),
                                        format!("{}没有此字段 / no such field: {key}", k.name),
                                    )
                                })?;
                            // A household row shows a member's person tag; whose it is stays ambiguous, so it is
                            // shown, not asked.
                            let members_tag = population == Population::Households && k.level != "household";
                            (label, writes_back && !members_tag)
                        }
                        _ => {
                            let f = population.field(key).ok_or_else(|| {
                                AppError::field(
                                    &at("field"),
                                    format!("{}表没有登记字段 {key} / no register field {key}", population.label_zh()),
                                )
                            })?;
                            (f.label.to_string(), f.write_back != WriteBack::No)
                        }
                    };
                    Column {
                        key: key.to_string(),
                        label: if label.is_empty() { default_label } else { label },
                        extra: false,
                        r#type: None,
                        options: register_options(kinds, key),
                        required: false,
                        writes_back,
                    }
                }
                None => {
                    if label.is_empty() {
                        return Err(AppError::field(&at("label"), "补充列须有列名 / an extra column needs a header"));
                    }
                    let kind = match c.r#type.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                        Some(t) => ExtraType::parse(&at("type"), t).map_err(fe)?,
                        None => ExtraType::Text,
                    };
                    let mut options = Vec::new();
                    for (j, o) in c.options.iter().enumerate() {
                        let o = text_field(&format!("columns[{i}].options[{j}]"), o, 50)?;
                        if !o.is_empty() && !options.contains(&o) {
                            options.push(o);
                        }
                    }
                    if kind == ExtraType::Choice && options.len() < 2 {
                        return Err(AppError::field(&at("options"), "单选列至少两个选项 / a choice needs two options"));
                    }
                    extras += 1;
                    Column {
                        key: format!("x{extras}"),
                        label,
                        extra: true,
                        r#type: Some(kind.as_str().into()),
                        options: if kind == ExtraType::Choice { options } else { Vec::new() },
                        required: c.required,
                        writes_back: false,
                    }
                }
            };
            if columns.iter().any(|o| (!column.extra && o.key == column.key) || o.label == column.label) {
                return Err(AppError::field(&at("label"), format!("列重复 / duplicate column: {}", column.label)));
            }
            columns.push(column);
        }
        Ok(Plan { population, columns })
    }

    async fn community_of(&self, grid: &str) -> Result<String> {
        let mut code = grid.to_string();
        for _ in 0..4 {
            let r = self.store.region(&code).await?.ok_or_else(|| AppError::not_found(&code))?;
            if r.region.level == RegionLevel::Community {
                return Ok(code);
            }
            match r.region.parent_code {
                Some(p) => code = p,
                None => break,
            }
        }
        Err(AppError::field("region_code", format!("网格不属于任何社区 / grid {grid} is in no community")))
    }

    /// The register's subjects of a table, with every fact a column may ask for.
    async fn subjects(
        &self,
        population: Population,
        region: &str,
        tag: Option<&wangge_store::register::TagKindRow>,
        usage: Option<HouseUsage>,
    ) -> Result<Vec<Subject>> {
        let roots = vec![region.to_string()];
        let mut names: HashMap<String, String> = HashMap::new();
        let mut out = Vec::new();
        match population {
            Population::People => {
                let elderly = crate::people::elderly_cutoff();
                let (tag_filter, born) = match tag {
                    Some(k) if k.derived => (None, Some(crate::people::elderly_cutoff())),
                    Some(k) => (Some((k.code.clone(), k.level == "household")), None),
                    None => (None, None),
                };
                let filter = wangge_store::people::PeopleFilter {
                    roots: Some(roots),
                    tag: tag_filter,
                    all_statuses: false,
                    born_on_or_before: born,
                };
                let mut after = None;
                loop {
                    let (rows, _) = self.store.list_people(&filter, after, 2000).await?;
                    let Some(last) = rows.last() else { break };
                    after = Some(last.id);
                    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
                    let hh: Vec<i64> = rows.iter().filter_map(|p| p.household_id).collect();
                    let mut ptags: HashMap<i64, HashMap<String, Map<String, Value>>> = HashMap::new();
                    for (pid, t, data) in self.store.tags_of_people(&ids).await? {
                        ptags.entry(pid).or_default().insert(t, serde_json::from_str(&data).unwrap_or_default());
                    }
                    let numbers = self.store.household_numbers(&hh).await?;
                    let htags = self.store.tags_of_households(&hh).await?;
                    let on = today();
                    for p in rows {
                        let mut v = BTreeMap::new();
                        v.insert("name".into(), p.name.clone());
                        v.insert("gender".into(), gender_zh(&p.gender));
                        v.insert("birth_date".into(), p.birth_date.clone());
                        let age = chrono::NaiveDate::parse_from_str(&p.birth_date, "%Y-%m-%d")
                            .map(|_| age_on(&p.birth_date, on).to_string())
                            .unwrap_or_default();
                        v.insert("age".into(), age);
                        v.insert("id_number".into(), p.id_number_masked.clone());
                        v.insert("ethnicity".into(), p.ethnicity.clone());
                        v.insert("phone".into(), p.phone_masked.clone().unwrap_or_default());
                        v.insert(
                            "population_type".into(),
                            PopulationType::parse("t", &p.population_type)
                                .map(|t| t.label_zh().to_string())
                                .unwrap_or_default(),
                        );
                        v.insert("relation".into(), p.relation.clone());
                        let number = p.household_id.and_then(|h| numbers.get(&h).cloned()).unwrap_or_default();
                        v.insert("household_no".into(), number);
                        v.insert("address".into(), p.address.clone().unwrap_or_default());
                        v.insert("education".into(), p.education.clone());
                        v.insert("employment".into(), p.employment.clone());
                        v.insert("political_status".into(), p.political_status.clone());
                        v.insert("health".into(), p.health.clone());
                        v.insert(
                            "residence_status".into(),
                            ResidenceStatus::parse("s", &p.residence_status)
                                .map(|s| s.label_zh().to_string())
                                .unwrap_or_default(),
                        );
                        self.place(&mut names, &mut v, &p.grid_code).await?;
                        let mut tags = ptags.remove(&p.id).unwrap_or_default();
                        // 老年人 is derived from age, never stored.
                        if !p.birth_date.is_empty() && p.birth_date.as_str() <= elderly.as_str() {
                            tags.insert(crate::people::ELDERLY.into(), Map::new());
                        }
                        if let Some(h) = p.household_id.and_then(|h| htags.get(&h)) {
                            tags.extend(h.clone());
                        }
                        out.push(Subject {
                            grid: p.grid_code.clone(),
                            subject_id: p.id,
                            person_id: Some(p.id),
                            label: format!("{} · {}", p.name, p.address.as_deref().unwrap_or("")),
                            values: v,
                            tags,
                        });
                    }
                }
            }
            Population::Households => {
                if tag.is_some_and(|k| k.derived) {
                    return Err(AppError::field(
                        "tag",
                        "按年龄计算的人群不能用于户表，请选人员表 / an age group is for people tables, not households",
                    ));
                }
                let t = tag.map(|k| (k.code.as_str(), k.level == "household"));
                let rows = self.store.households_for_request(&roots, t).await?;
                let heads: Vec<i64> = rows.iter().filter_map(|h| h.head).collect();
                let people: HashMap<i64, wangge_store::people::PersonRow> = self
                    .store
                    .people_by_ids(
                        &heads,
                        &wangge_store::people::PeopleFilter { all_statuses: true, ..Default::default() },
                    )
                    .await?
                    .into_iter()
                    .map(|p| (p.id, p))
                    .collect();
                let ids: Vec<i64> = rows.iter().map(|h| h.id).collect();
                let htags = self.store.tags_of_households(&ids).await?;
                let mut ptags: HashMap<i64, HashMap<String, Map<String, Value>>> = HashMap::new();
                for (hid, t, data) in self.store.tags_of_members(&ids).await? {
                    ptags.entry(hid).or_default().entry(t).or_insert(serde_json::from_str(&data).unwrap_or_default());
                }
                for h in rows {
                    let head = h.head.and_then(|id| people.get(&id));
                    let mut v = BTreeMap::new();
                    v.insert("household_no".into(), h.number.clone());
                    v.insert("head_name".into(), head.map(|p| p.name.clone()).unwrap_or_default());
                    v.insert("head_id_number".into(), head.map(|p| p.id_number_masked.clone()).unwrap_or_default());
                    v.insert("head_phone".into(), head.and_then(|p| p.phone_masked.clone()).unwrap_or_default());
                    v.insert("member_count".into(), h.members.to_string());
                    v.insert("address".into(), h.address.clone());
                    v.insert("house_usage".into(), usage_zh(&h.usage));
                    self.place(&mut names, &mut v, &h.grid_code).await?;
                    let mut tags = ptags.remove(&h.id).unwrap_or_default();
                    tags.extend(htags.get(&h.id).cloned().unwrap_or_default());
                    out.push(Subject {
                        grid: h.grid_code.clone(),
                        subject_id: h.id,
                        person_id: h.head,
                        label: format!("{} · {}", head.map(|p| p.name.as_str()).unwrap_or(""), h.address),
                        values: v,
                        tags,
                    });
                }
            }
            Population::Houses => {
                let rows = self.store.houses_for_request(&roots, usage.map(|u| u.as_str())).await?;
                for h in rows {
                    let mut v = BTreeMap::new();
                    v.insert("address".into(), h.address.clone());
                    v.insert("building".into(), h.building.clone());
                    v.insert("unit".into(), h.unit.clone());
                    v.insert("room".into(), h.room.clone());
                    v.insert("area".into(), h.area_m2.map(|a| format!("{a}")).unwrap_or_default());
                    v.insert("usage".into(), usage_zh(&h.usage));
                    v.insert("owner".into(), h.owner_name.clone());
                    v.insert("occupants".into(), h.occupants.to_string());
                    self.place(&mut names, &mut v, &h.grid_code).await?;
                    out.push(Subject {
                        grid: h.grid_code.clone(),
                        subject_id: h.id,
                        person_id: None,
                        label: h.address.clone(),
                        values: v,
                        tags: HashMap::new(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Fills `grid` and `community` with the names users know them by.
    async fn place(
        &self,
        names: &mut HashMap<String, String>,
        v: &mut BTreeMap<String, String>,
        grid: &str,
    ) -> Result<()> {
        if !names.contains_key(grid) {
            let r = self.store.region(grid).await?;
            let parent = r.as_ref().and_then(|r| r.region.parent_code.clone()).unwrap_or_default();
            let grid_name = r.map(|r| r.region.name).unwrap_or_default();
            let cm_name = match self.store.region(&parent).await? {
                Some(c) => c.region.name,
                None => String::new(),
            };
            names.insert(grid.to_string(), grid_name);
            names.insert(format!("cm:{grid}"), cm_name);
        }
        v.insert("grid".into(), names.get(grid).cloned().unwrap_or_default());
        v.insert("community".into(), names.get(&format!("cm:{grid}")).cloned().unwrap_or_default());
        Ok(())
    }

    /// Whether the caller sent (or may send) this request: its area is in their RequestData scope and, for a
    /// department, it is their department's.
    fn is_requester(actor: &Actor, r: &DataRequestRow) -> bool {
        actor.may(Permission::RequestData, &r.region_code)
            && (!Self::department_only(actor, Permission::RequestData)
                || Self::pushing_departments(actor).contains(&r.department_code))
    }

    /// Subtrees where the caller sees the rows a request landed on: communities' staff and grid workers who read the
    /// register there (not leaders, who do not; not departments, who see only their own tables; not admins, who see
    /// everything as requesters).
    fn landing_roots(actor: &Actor) -> Option<Vec<String>> {
        use wangge_domain::role::Role;
        if actor.is_admin() {
            return None;
        }
        let mut roots: Vec<String> = actor
            .grants
            .iter()
            .filter(|g| g.role != Role::Department && Permission::ReadRegister.granted_to(g.role))
            .filter(|g| {
                Permission::ReadCommunityTasks.granted_to(g.role) || Permission::RecordFieldWork.granted_to(g.role)
            })
            .map(|g| g.region_code.clone())
            .collect();
        roots.sort();
        roots.dedup();
        Some(roots)
    }

    async fn visible_request(&self, actor: &Actor, id: i64) -> Result<(DataRequestRow, Option<Vec<String>>)> {
        let not_found = || AppError::not_found(&format!("data request {id}"));
        let r = self.store.data_request(id).await?.ok_or_else(not_found)?;
        let limit = if Self::is_requester(actor, &r) {
            None
        } else {
            let roots = Self::landing_roots(actor).unwrap_or_default();
            if roots.is_empty() || !self.store.data_request_lands_in(id, &roots).await? {
                return Err(not_found());
            }
            Some(roots)
        };
        // A table about a sensitive group (or with such a column) is read only by those who may see the group —
        // a street may send it for a department whose staff may not.
        if !self.may_read_table(actor, &r).await? {
            return Err(AppError::forbidden_because(
                "此报表涉及敏感人群，无权查看 / this table concerns a sensitive group you may not see",
            ));
        }
        Ok((r, limit))
    }

    async fn may_read_table(&self, actor: &Actor, r: &DataRequestRow) -> Result<bool> {
        if actor.may(Permission::ReadSensitiveTags, &r.region_code) {
            return Ok(true);
        }
        let kinds = self.kinds().await?;
        let sensitive = |code: &str| kinds.0.get(code).is_some_and(|k| k.sensitive);
        Ok(!sensitive(&r.population_tag)
            && !columns_of(r).iter().any(|c| tag_column(&c.key).is_some_and(|t| sensitive(&t.code))))
    }

    pub async fn data_request_detail(&self, actor: &Actor, id: i64) -> Result<DataRequestView> {
        let (r, limit) = self.visible_request(actor, id).await?;
        let c = self.catalogue().await?;
        let mut progress = Vec::new();
        let mut names: HashMap<String, String> = HashMap::new();
        let (mut answered, mut late) = (0, 0);
        for p in self.store.data_request_progress(id).await? {
            if let Some(roots) = &limit
                && !roots.iter().any(|root| p.grid_code.starts_with(root.as_str()))
            {
                continue;
            }
            answered += p.answered;
            late += p.late;
            for code in [&p.community_code, &p.grid_code] {
                if !names.contains_key(code) {
                    let n = self.store.region(code).await?.map(|r| r.region.name).unwrap_or_default();
                    names.insert(code.clone(), n);
                }
            }
            progress.push(ProgressView {
                community_name: names[&p.community_code].clone(),
                grid_name: names[&p.grid_code].clone(),
                community_code: p.community_code,
                grid_code: p.grid_code,
                rows: p.rows,
                answered: p.answered,
                late: p.late,
            });
        }
        let region_name = self.store.region(&r.region_code).await?.map(|x| x.region.name).unwrap_or_default();
        let total = Cells { prefilled: r.prefilled_cells, asked: r.asked_cells };
        let population = population_of(&r);
        Ok(DataRequestView {
            id: r.id,
            title: r.title.clone(),
            department_name: dept_name(&c, &r.department_code),
            department_code: r.department_code.clone(),
            item_code: r.item_code.clone(),
            region_code: r.region_code.clone(),
            region_name,
            population: population.as_str().into(),
            population_name: population.label_zh().into(),
            tag: r.population_tag.clone(),
            tag_name: if r.population_tag.is_empty() {
                String::new()
            } else {
                self.kinds().await?.0.get(&r.population_tag).map(|k| k.name.clone()).unwrap_or_default()
            },
            house_usage: r.house_usage.clone(),
            columns: columns_of(&r),
            title_rows: title_rows_of(&r),
            description: r.description.clone(),
            overdue: r.due_on < today().format("%Y-%m-%d").to_string() && progress.iter().any(|p| p.answered < p.rows),
            due_on: r.due_on.clone(),
            created_by: r.created_by.clone(),
            created_at: crate::audit::format_time(r.created_at),
            rows: progress.iter().map(|p| p.rows).sum(),
            answered,
            late,
            prefilled_cells: total.prefilled,
            asked_cells: total.asked,
            prefilled_percent: total.prefilled_percent(),
            progress,
            can_export: limit.is_none(),
        })
    }

    /// Requests the caller sent or that landed in their area, newest first.
    pub async fn data_requests(&self, actor: &Actor, month: Option<&str>) -> Result<Vec<DataRequestView>> {
        let rows = self.visible_requests(actor, month).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows.into_iter().take(200) {
            out.push(self.data_request_detail(actor, r.id).await?);
        }
        Ok(out)
    }

    async fn visible_requests(&self, actor: &Actor, month: Option<&str>) -> Result<Vec<DataRequestRow>> {
        let reads = actor.may_somewhere(Permission::RequestData)
            || actor.may_somewhere(Permission::ReadCommunityTasks)
            || actor.may_somewhere(Permission::RecordFieldWork);
        if !reads {
            return Err(AppError::forbidden());
        }
        if let Some(m) = month
            && chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_err()
        {
            return Err(AppError::field("month", "月份格式应为 2026-12 / a month is YYYY-MM"));
        }
        let own = actor.roots(Permission::RequestData);
        let departments =
            Self::department_only(actor, Permission::RequestData).then(|| Self::pushing_departments(actor));
        let mut rows = match (&own, actor.may_somewhere(Permission::RequestData)) {
            (_, false) => Vec::new(),
            (roots, true) => {
                self.store.data_requests(roots.as_deref(), None, departments.as_deref(), month, 500).await?
            }
        };
        if let Some(landing) = Self::landing_roots(actor)
            && !landing.is_empty()
        {
            for r in self.store.data_requests(Some(&[]), Some(&landing), None, month, 500).await? {
                if !rows.iter().any(|x| x.id == r.id) {
                    rows.push(r);
                }
            }
        }
        rows.sort_by_key(|r| std::cmp::Reverse(r.id));
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if self.may_read_table(actor, &r).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// A request's rows the caller may see (a grid worker: their grids), values masked.
    pub async fn data_request_rows(
        &self,
        actor: &Actor,
        id: i64,
        grid: Option<&str>,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Page<RowView>> {
        let (r, limit_roots) = self.visible_request(actor, id).await?;
        let limit = paging::limit(limit)?;
        let mut roots = limit_roots;
        if let Some(g) = grid.map(str::trim).filter(|g| !g.is_empty()) {
            let inside = roots.as_ref().is_none_or(|rs| rs.iter().any(|root| g.starts_with(root.as_str())));
            if !inside || !g.starts_with(r.region_code.as_str()) {
                return Err(AppError::field("grid", format!("不在此报表范围内 / not in this table's area: {g}")));
            }
            roots = Some(vec![g.to_string()]);
        }
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s @ ("pending" | "answered")) => Some(s),
            Some(_) => return Err(AppError::field("status", "应为 pending 或 answered / must be pending or answered")),
        };
        let after = paging::int_cursor(cursor)?.unwrap_or(0);
        let rows = self.store.data_request_rows(id, roots.as_deref(), status, after, limit + 1).await?;
        let more = rows.len() as i64 > limit;
        let items: Vec<RowView> = rows.iter().take(limit as usize).map(row_view).collect();
        let next_cursor = more.then(|| items.last().map(|i| i.id.to_string())).flatten();
        Ok(Page { total: items.len() as i64, items, next_cursor, total_is_lower_bound: more })
    }

    /// A grid worker answers a row (online, or from the phone's outbox with `receipt`): checks every value,
    /// writes facts back into the register with history, stores the answer and, when it was the community's
    /// last row, completes the community's task — one transaction.
    pub async fn answer_data_row(&self, actor: &Actor, row_id: i64, input: AnswerInput) -> Result<RowView> {
        self.answer_data_row_with(actor, row_id, input, now_ms(), None).await?;
        let row = self.store.data_request_row(row_id).await?.ok_or_else(|| AppError::not_found("row"))?;
        Ok(row_view(&row))
    }

    pub(crate) async fn answer_data_row_with(
        &self,
        actor: &Actor,
        row_id: i64,
        input: AnswerInput,
        // When it was answered: the phone's time (clock-corrected) for answers that waited in the outbox.
        at: i64,
        receipt: Option<&crate::field::Receipt<'_>>,
    ) -> Result<i64> {
        let not_found = || AppError::not_found(&format!("data request row {row_id}"));
        let row = self.store.data_request_row(row_id).await?.ok_or_else(not_found)?;
        self.authorize(actor, Permission::RecordFieldWork, &row.grid_code)
            .map_err(|e| if e.kind == ErrorKind::NotFound { not_found() } else { e })?;
        let req = self.store.data_request(row.request_id).await?.ok_or_else(not_found)?;
        let columns = columns_of(&req);
        let population = population_of(&req);
        let prefill = Prefill::parse(&row.prefill);
        let mut answers: Map<String, Value> = serde_json::from_str(&row.answers).unwrap_or_default();
        let kinds = self.kinds().await?;
        let mut writes: Vec<(Column, String)> = Vec::new();
        for (key, value) in &input.values {
            let field = format!("values.{key}");
            let col = columns
                .iter()
                .find(|c| &c.key == key)
                .ok_or_else(|| AppError::field(&field, format!("报表没有此列 / no such column: {key}")))?;
            let text = match value {
                Value::String(s) => s.trim().to_string(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => if *b { "是" } else { "否" }.to_string(),
                Value::Null => String::new(),
                _ => return Err(AppError::field(&field, "应为文本 / must be a string")),
            };
            if col.extra {
                let kind = ExtraType::parse(&field, col.r#type.as_deref().unwrap_or("text")).map_err(fe)?;
                let v = if text.is_empty() {
                    String::new()
                } else {
                    rules::check_extra(&field, kind, &col.options, &text).map_err(fe)?
                };
                answers.insert(key.clone(), json!(v));
                continue;
            }
            if !prefill.ask.contains(key) && !prefill.fix.contains(key) {
                return Err(AppError::field(
                    &field,
                    format!("“{}”由登记信息提供，不能在此修改 / read only", col.label),
                ));
            }
            if text.is_empty() {
                continue;
            }
            let checked = self.check_register_answer(population, &kinds, col, &field, &text)?;
            if prefill.values.get(key).and_then(Value::as_str) != Some(checked.as_str()) {
                writes.push((col.clone(), checked));
            }
        }
        for c in columns.iter().filter(|c| c.extra && c.required) {
            if answers.get(&c.key).and_then(Value::as_str).is_none_or(str::is_empty) {
                return Err(AppError::field(&format!("values.{}", c.key), format!("“{}”必填 / required", c.label)));
            }
        }
        let now = at;
        let due = chrono::NaiveDate::parse_from_str(&req.due_on, "%Y-%m-%d").unwrap_or_else(|_| today());
        let mut tx = self.store.begin().await?;
        for (col, value) in &writes {
            // Phones are stored masked in the answer; the number itself lives encrypted in the register.
            let shown = self.write_back(&mut tx, actor, &req, &row, population, &kinds, col, value).await?;
            answers.insert(col.key.clone(), json!(shown));
        }
        let saved = RequestRowRecord {
            answers: Value::Object(answers).to_string(),
            status: "answered".into(),
            // Lateness is the first answer's: a correction after the deadline does not make it late.
            late: if row.status == "pending" { rules::is_late(due, cst_day_of(now)) } else { row.late },
            answered_by: actor.username.clone(),
            answered_at: Some(now),
            ..row.clone()
        };
        Store::save_row_answer(&mut tx, &saved).await?;
        Store::complete_request_task_if_done(&mut tx, row.request_id, &row.community_code, &actor.username, now)
            .await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "data_request.answer",
                object: &format!("data_request_row:{row_id}"),
                reason: (!writes.is_empty())
                    .then(|| {
                        format!(
                            "回写登记 / register updated: {}",
                            writes.iter().map(|(c, _)| c.label.as_str()).collect::<Vec<_>>().join("、")
                        )
                    })
                    .as_deref(),
                region_code: Some(&row.grid_code),
            },
        )
        .await?;
        if let Some(r) = receipt {
            r.write(&mut tx, row_id).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(row_id)
    }

    /// The person an answer is about, following a merge to the record that survived it.
    async fn live_person(&self, id: Option<i64>, field: &str) -> Result<wangge_store::people::PersonRow> {
        let mut id = id.ok_or_else(|| AppError::field(field, "此行没有对应人员 / the row has no person"))?;
        for _ in 0..8 {
            let p = self.store.person(id).await?.ok_or_else(|| AppError::not_found("person"))?;
            match p.merged_into {
                Some(next) => id = next,
                None => return Ok(p),
            }
        }
        Err(AppError::conflict("合并记录过多 / too many merges"))
    }

    /// Validates an answer to a register column as the register would; answers the value as the table shows it.
    fn check_register_answer(
        &self,
        population: Population,
        kinds: &Kinds,
        col: &Column,
        field: &str,
        text: &str,
    ) -> Result<String> {
        if let Some(tc) = tag_column(&col.key) {
            let k = kinds.0.get(&tc.code).ok_or_else(|| AppError::field(field, "未知的人群标签 / unknown tag"))?;
            let Some(f) = tc.field else {
                return Err(AppError::field(field, "只读列 / read only"));
            };
            let mut m = Map::new();
            m.insert(f.clone(), json!(text));
            let checked = validate_tag_data(k, &m).map_err(|e| AppError::field(field, e.message))?;
            return Ok(checked.get(&f).and_then(Value::as_str).unwrap_or(text).to_string());
        }
        let spec = population.field(&col.key).ok_or_else(|| AppError::field(field, "只读列 / read only"))?;
        Ok(match spec.write_back {
            WriteBack::Phone => Phone::parse(field, text).map_err(fe)?.as_str().to_string(),
            WriteBack::PersonText => text_field(field, text, 50)?,
            WriteBack::ResidenceStatus => ResidenceStatus::parse(field, text).map_err(fe)?.label_zh().to_string(),
            WriteBack::HouseUsage => rules::check_house_usage(field, text).map_err(fe)?.label_zh().to_string(),
            WriteBack::No => return Err(AppError::field(field, "只读列 / read only")),
        })
    }

    /// Writes one answered fact into the register inside the answer's transaction, with the person's history
    /// (or, for a house, the audit trail). Answers what the table shows for it.
    #[allow(clippy::too_many_arguments)]
    async fn write_back(
        &self,
        tx: &mut wangge_store::Transaction<'static, wangge_store::Any>,
        actor: &Actor,
        req: &DataRequestRow,
        row: &RequestRowRecord,
        population: Population,
        kinds: &Kinds,
        col: &Column,
        value: &str,
    ) -> Result<String> {
        let field = format!("values.{}", col.key);
        let note = format!("一表通《{}》：{}", req.title, col.label);
        if let Some(tc) = tag_column(&col.key) {
            let k = kinds.0.get(&tc.code).ok_or_else(|| AppError::field(&field, "未知的人群标签 / unknown tag"))?;
            let household = k.level == "household";
            let owner = match (household, population) {
                (true, Population::Households) => row.subject_id,
                (true, _) => {
                    let p = self.live_person(row.person_id, &field).await?;
                    p.household_id.ok_or_else(|| AppError::field(&field, "此人没有所属户 / no household"))?
                }
                (false, _) => self.live_person(row.person_id, &field).await?.id,
            };
            let current: Option<Map<String, Value>> = if household {
                self.store
                    .household_tags(owner)
                    .await?
                    .into_iter()
                    .find(|(t, _)| t == &k.code)
                    .map(|(_, d)| serde_json::from_str(&d).unwrap_or_default())
            } else {
                self.store
                    .tags_of_people(&[owner])
                    .await?
                    .into_iter()
                    .find(|(_, t, _)| t == &k.code)
                    .map(|(_, _, d)| serde_json::from_str(&d).unwrap_or_default())
            };
            let mut data = current.ok_or_else(|| {
                AppError::field(&field, format!("此对象没有“{}”标签 / the subject has no {} tag", k.name, k.code))
            })?;
            data.insert(tc.field.clone().unwrap_or_default(), json!(value));
            let data = validate_tag_data(k, &data)?;
            Store::set_tag_tx(tx, household, owner, &k.code, &Value::Object(data).to_string()).await?;
            if let Some(pid) = row.person_id {
                let pid = self.live_person(Some(pid), &field).await.map(|p| p.id).unwrap_or(pid);
                let d = json!({ "tag": k.code, "data_request": req.id }).to_string();
                Store::add_history_tx(tx, pid, PersonEventKind::Update.as_str(), &note, &actor.username, &d).await?;
            }
            return Ok(value.to_string());
        }
        let spec = population.field(&col.key).ok_or_else(|| AppError::field(&field, "只读列 / read only"))?;
        match spec.write_back {
            WriteBack::HouseUsage => {
                let house = match population {
                    Population::Houses => row.subject_id,
                    _ => {
                        let h = self
                            .store
                            .household(row.subject_id)
                            .await?
                            .ok_or_else(|| AppError::not_found("household"))?;
                        h.house_id
                    }
                };
                let usage = HouseUsage::parse(&field, value).map_err(fe)?;
                Store::set_house_usage_tx(tx, house, usage.as_str()).await?;
                Store::audit(
                    tx,
                    NewAudit {
                        actor: &actor.username,
                        action: "update",
                        object: &format!("house:{house}"),
                        reason: Some(&format!("{note} → {}", usage.label_zh())),
                        region_code: Some(&row.grid_code),
                    },
                )
                .await?;
                Ok(usage.label_zh().to_string())
            }
            WriteBack::No => Err(AppError::field(&field, "只读列 / read only")),
            wb => {
                let p = self.live_person(row.person_id, &field).await?;
                let pid = p.id;
                let (column, shown, history_kind, data) = match wb {
                    WriteBack::Phone => {
                        let phone = Phone::parse(&field, value).map_err(fe)?;
                        let current = p.phone_enc.as_ref().and_then(|e| self.crypto.decrypt(e).ok());
                        if current.as_deref() == Some(phone.as_str()) {
                            return Ok(phone.masked());
                        }
                        let values = vec![
                            ("phone_enc", Some(self.crypto.encrypt(phone.as_str()))),
                            ("phone_hash", Some(self.crypto.blind_index("phone", phone.as_str()))),
                            ("phone_masked", Some(phone.masked())),
                        ];
                        Store::update_person_tx(tx, pid, &values).await?;
                        ("phone", phone.masked(), PersonEventKind::Update, json!({ "fields": ["phone"] }))
                    }
                    WriteBack::ResidenceStatus => {
                        let from = ResidenceStatus::parse("s", &p.residence_status).unwrap_or(ResidenceStatus::Present);
                        match rules::residence_change(&field, from, value).map_err(fe)? {
                            None => return Ok(from.label_zh().to_string()),
                            Some((kind, to)) => {
                                Store::move_person_tx(tx, pid, to.as_str(), None).await?;
                                let data = json!({ "date": today().format("%Y-%m-%d").to_string(), "from": from.as_str(), "to": to.as_str() });
                                ("residence_status", to.label_zh().to_string(), kind, data)
                            }
                        }
                    }
                    _ => {
                        let v = text_field(&field, value, 50)?;
                        Store::update_person_tx(tx, pid, &[(spec.key, Some(v.clone()))]).await?;
                        (spec.key, v, PersonEventKind::Update, json!({ "fields": [spec.key] }))
                    }
                };
                let mut data = data;
                data["data_request"] = json!(req.id);
                Store::add_history_tx(tx, pid, history_kind.as_str(), &note, &actor.username, &data.to_string())
                    .await?;
                Store::audit(
                    tx,
                    NewAudit {
                        actor: &actor.username,
                        action: "update",
                        object: &format!("person:{pid}"),
                        reason: Some(&format!("{note} ({column})")),
                        region_code: Some(&row.grid_code),
                    },
                )
                .await?;
                Ok(shown)
            }
        }
    }

    /// The result as Excel in the requester's layout (their title rows, their headers in their order), with a
    /// 填报情况 sheet and the watermark; audited. Full 身份证号/phone numbers only for callers who may reveal
    /// them in each row's grid, masked otherwise.
    pub async fn data_request_xlsx(&self, actor: &Actor, id: i64) -> Result<(String, Vec<u8>)> {
        let (r, limit) = self.visible_request(actor, id).await?;
        if limit.is_some() {
            return Err(AppError::forbidden());
        }
        let columns = columns_of(&r);
        let title_rows = title_rows_of(&r);
        let mut rows = Vec::new();
        let mut after = 0;
        loop {
            let batch = self.store.data_request_rows(id, None, None, after, 5000).await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            rows.extend(batch);
        }
        let secret: Vec<&str> = ["id_number", "head_id_number", "phone", "head_phone"]
            .into_iter()
            .filter(|k| columns.iter().any(|c| c.key == *k))
            .collect();
        let mut people: HashMap<i64, wangge_store::people::PersonRow> = HashMap::new();
        if !secret.is_empty() {
            let ids: Vec<i64> = rows
                .iter()
                .filter(|x| actor.may(Permission::RevealPersonalData, &x.grid_code))
                .filter_map(|x| x.person_id)
                .collect();
            for chunk in ids.chunks(1000) {
                let f = wangge_store::people::PeopleFilter { all_statuses: true, ..Default::default() };
                for p in self.store.people_by_ids(chunk, &f).await? {
                    people.insert(p.id, p);
                }
            }
        }
        let mut full_numbers = 0;
        let mut data: Vec<Vec<String>> = Vec::with_capacity(rows.len());
        for x in &rows {
            let pre = Prefill::parse(&x.prefill);
            let ans: Map<String, Value> = serde_json::from_str(&x.answers).unwrap_or_default();
            let person = x.person_id.and_then(|p| people.get(&p));
            let mut line = Vec::with_capacity(columns.len());
            for c in &columns {
                let mut v = ans
                    .get(&c.key)
                    .or_else(|| pre.values.get(&c.key))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if c.key == "seq" {
                    v = (data.len() + 1).to_string();
                }
                if let Some(p) = person {
                    let clear = match c.key.as_str() {
                        "id_number" | "head_id_number" => self.crypto.decrypt(&p.id_number_enc).ok(),
                        "phone" | "head_phone" => p.phone_enc.as_ref().and_then(|e| self.crypto.decrypt(e).ok()),
                        _ => None,
                    };
                    if let Some(clear) = clear {
                        v = clear;
                        full_numbers += 1;
                    }
                }
                line.push(v);
            }
            data.push(line);
        }
        let at = chrono::Utc::now();
        let watermark = crate::export::watermark(actor, at);
        let bytes = write_request_workbook(&r, &columns, &title_rows, &data, &rows, &watermark)?;
        let mut tx = self.store.begin().await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "export",
                object: &format!("data_request:{id}"),
                reason: Some(&format!(
                    "一表通导出 {} 行；完整号码 {} 个 / {} rows, {} full numbers",
                    rows.len(),
                    full_numbers,
                    rows.len(),
                    full_numbers
                )),
                region_code: Some(&r.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let name = format!(
            "{}-{}.xlsx",
            r.title,
            at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).format("%Y%m%d")
        );
        Ok((name, bytes))
    }

    /// How much of what departments asked the system filled itself: per month and per request.
    pub async fn data_request_report(&self, actor: &Actor, month: Option<&str>) -> Result<PrefillReport> {
        let rows = self.visible_requests(actor, month).await?;
        let line = |label: String, request_id: Option<i64>, rs: &[&DataRequestRow]| {
            let cells = Cells {
                prefilled: rs.iter().map(|r| r.prefilled_cells).sum(),
                asked: rs.iter().map(|r| r.asked_cells).sum(),
            };
            PrefillLine {
                label,
                request_id,
                requests: rs.len() as i64,
                rows: rs.iter().map(|r| r.row_count).sum(),
                prefilled_cells: cells.prefilled,
                asked_cells: cells.asked,
                prefilled_percent: cells.prefilled_percent(),
            }
        };
        let mut by_month: BTreeMap<String, Vec<&DataRequestRow>> = BTreeMap::new();
        for r in &rows {
            by_month.entry(r.month.clone()).or_default().push(r);
        }
        let months = by_month.iter().rev().map(|(m, rs)| line(m.clone(), None, rs)).collect();
        let requests = rows.iter().map(|r| line(r.title.clone(), Some(r.id), &[r])).collect();
        let all: Vec<&DataRequestRow> = rows.iter().collect();
        Ok(PrefillReport { months, requests, total: line("合计".into(), None, &all) })
    }

    /// The caller's unanswered rows (grid workers' grids), grouped by table, for the phone's day list.
    pub async fn field_data_requests(&self, actor: &Actor, roots: &[String]) -> Result<Vec<FieldDataRequest>> {
        if roots.is_empty() {
            return Ok(Vec::new());
        }
        let since = (today() - chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
        let rows = self.store.pending_request_rows(roots, &since, 2000).await?;
        let c = self.catalogue().await?;
        let mut out: Vec<FieldDataRequest> = Vec::new();
        let today_s = today().format("%Y-%m-%d").to_string();
        for x in rows {
            if !actor.may(Permission::RecordFieldWork, &x.grid_code) {
                continue;
            }
            if out.last().is_none_or(|l| l.id != x.request_id) {
                let Some(r) = self.store.data_request(x.request_id).await? else { continue };
                out.push(FieldDataRequest {
                    id: r.id,
                    title: r.title.clone(),
                    department_name: dept_name(&c, &r.department_code),
                    overdue: r.due_on < today_s,
                    due_on: r.due_on.clone(),
                    columns: columns_of(&r),
                    rows: Vec::new(),
                });
            }
            if let Some(l) = out.last_mut() {
                l.rows.push(row_view(&x));
            }
        }
        Ok(out)
    }
}

/// The closed list a register column's answer must come from (shown as a picker on the phone), if any.
fn register_options(kinds: &Kinds, key: &str) -> Vec<String> {
    if let Some(tc) = tag_column(key) {
        let Some(field) = tc.field else { return Vec::new() };
        let fields: Vec<Value> =
            kinds.0.get(&tc.code).and_then(|k| serde_json::from_str(&k.fields).ok()).unwrap_or_default();
        return fields
            .iter()
            .find(|f| f["key"] == field.as_str() && f["type"] == "select")
            .and_then(|f| f["options"].as_array())
            .map(|o| o.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
    }
    match key {
        "usage" | "house_usage" => HouseUsage::ALL.iter().map(|u| u.label_zh().to_string()).collect(),
        "residence_status" => ResidenceStatus::ALL.iter().map(|r| r.label_zh().to_string()).collect(),
        _ => Vec::new(),
    }
}

fn usage_zh(u: &str) -> String {
    if u.is_empty() {
        return String::new();
    }
    HouseUsage::parse("usage", u).map(|u| u.label_zh().to_string()).unwrap_or_else(|_| u.to_string())
}

/// A tag kind's columns: presence (是/否, read only) and each recorded field (answers go back to the tag).
fn tag_fields(k: &wangge_store::register::TagKindRow) -> Vec<(String, String, String, bool, bool)> {
    let mut out = vec![(format!("tag:{}", k.code), k.name.clone(), k.name_en.clone(), false, k.sensitive)];
    let fields: Vec<Value> = serde_json::from_str(&k.fields).unwrap_or_default();
    for f in fields {
        let (Some(key), Some(label)) = (f["key"].as_str(), f["label"].as_str()) else { continue };
        out.push((
            format!("tag:{}.{key}", k.code),
            format!("{}·{label}", k.name),
            format!("{} · {key}", k.name_en),
            !k.derived,
            k.sensitive,
        ));
    }
    out
}

/// The register's values for one row and which columns it asks.
fn prefill_row(plan: &Plan, s: &Subject) -> (Prefill, Cells) {
    let mut values = Map::new();
    let mut ask = Vec::new();
    let mut fix = Vec::new();
    let mut shape = Vec::with_capacity(plan.columns.len());
    for c in &plan.columns {
        if c.extra {
            ask.push(c.key.clone());
            shape.push((true, false, true));
            continue;
        }
        let (value, writable) = match tag_column(&c.key) {
            Some(tc) => {
                let held = s.tags.get(&tc.code);
                match &tc.field {
                    None => (Some(if held.is_some() { "是" } else { "否" }.to_string()), false),
                    Some(f) => (
                        held.and_then(|d| d.get(f)).and_then(Value::as_str).map(str::to_string),
                        held.is_some() && c.writes_back,
                    ),
                }
            }
            None => (
                s.values.get(&c.key).cloned(),
                c.writes_back && (s.person_id.is_some() || plan.population != Population::People),
            ),
        };
        let known = value.as_deref().is_some_and(|v| !v.is_empty());
        if known {
            values.insert(c.key.clone(), json!(value.unwrap_or_default()));
        }
        if writable {
            if known { fix.push(c.key.clone()) } else { ask.push(c.key.clone()) }
        }
        shape.push((false, known, writable));
    }
    (Prefill { values, ask, fix }, rules::count_cells(&shape))
}

fn row_view(x: &RequestRowRecord) -> RowView {
    let pre = Prefill::parse(&x.prefill);
    let mut values = pre.values;
    let ans: Map<String, Value> = serde_json::from_str(&x.answers).unwrap_or_default();
    for (k, v) in ans {
        values.insert(k, v);
    }
    RowView {
        id: x.id,
        request_id: x.request_id,
        grid_code: x.grid_code.clone(),
        community_code: x.community_code.clone(),
        label: x.label.clone(),
        values,
        ask: pre.ask,
        correctable: pre.fix,
        status: x.status.clone(),
        late: x.late,
        answered_by: x.answered_by.clone(),
        answered_at: x.answered_at.map(crate::audit::format_time),
        version: x.version,
    }
}

fn check_title_rows(rows: &[Vec<String>], columns: usize) -> Result<Vec<Vec<String>>> {
    if rows.len() > 10 {
        return Err(AppError::field("title_rows", "表头上方最多10行 / at most 10 rows above the header"));
    }
    let mut out = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        if r.len() > columns.max(1) {
            return Err(AppError::field(&format!("title_rows[{i}]"), "比表头列数多 / wider than the header"));
        }
        let mut line = Vec::with_capacity(r.len());
        for (j, c) in r.iter().enumerate() {
            line.push(text_field(&format!("title_rows[{i}][{j}]"), c, 200)?);
        }
        out.push(line);
    }
    Ok(out)
}

/// The first 40 rows of the first sheet of an uploaded .xlsx as text cells, read cell by cell: a sheet whose
/// used range claims a million rows (a stray cell at XFD1048576) costs nothing.
fn read_sheet(bytes: &[u8]) -> Result<(String, Vec<Vec<String>>)> {
    // A reader library's panic on a damaged file (calamine overflows on some cell references with debug
    // assertions on) is that file's fault: the same answer as any unreadable template, not a dropped request.
    std::panic::catch_unwind(|| read_sheet_cells(bytes))
        .unwrap_or_else(|_| Err(AppError::field("file", "无法读取：请上传 .xlsx 文件 / not a readable .xlsx file")))
}

#[cfg(test)]
pub(crate) fn read_template_for_test(bytes: &[u8]) -> Result<(String, Vec<Vec<String>>)> {
    read_sheet(bytes)
}

fn read_sheet_cells(bytes: &[u8]) -> Result<(String, Vec<Vec<String>>)> {
    use calamine::{Reader, Xlsx};
    const ROWS: u32 = 40;
    const COLS: u32 = 200;
    let bad = || AppError::field("file", "无法读取：请上传 .xlsx 文件 / not a readable .xlsx file");
    if bytes.is_empty() || bytes.len() > 5 * 1024 * 1024 {
        return Err(AppError::field(
            "file",
            "模板应为不超过5MB的 .xlsx 文件 / the template must be an .xlsx of at most 5 MB",
        ));
    }
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).map_err(|_| bad())?;
    let name = wb.sheet_names().first().cloned().ok_or_else(bad)?;
    let mut cells = wb.worksheet_cells_reader(&name).map_err(|_| bad())?;
    // Absolute positions: the cell names in explanations must be the ones the requester sees in Excel.
    let mut grid: Vec<Vec<String>> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(|_| bad())? {
        let (r, c) = cell.get_position();
        if r >= ROWS {
            break;
        }
        if c >= COLS {
            continue;
        }
        let text = wangge_tables::cell_ref_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        let (r, c) = (r as usize, c as usize);
        if grid.len() <= r {
            grid.resize(r + 1, Vec::new());
        }
        if grid[r].len() <= c {
            grid[r].resize(c + 1, String::new());
        }
        grid[r][c] = text;
    }
    Ok((name, grid))
}

fn write_request_workbook(
    r: &DataRequestRow,
    columns: &[Column],
    title_rows: &[Vec<String>],
    data: &[Vec<String>],
    rows: &[RequestRowRecord],
    watermark: &str,
) -> Result<Vec<u8>> {
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::internal(format!("xlsx: {e}"));
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    let ws = wb.add_worksheet();
    ws.set_name("数据").map_err(fail)?;
    let mut at = 0u32;
    for line in title_rows {
        for (c, v) in line.iter().enumerate() {
            ws.write_string_with_format(at, c as u16, v, &bold).map_err(fail)?;
        }
        at += 1;
    }
    for (c, col) in columns.iter().enumerate() {
        ws.set_column_format(c as u16, &text).map_err(fail)?;
        ws.set_column_width(c as u16, if col.label.contains("地址") || col.label.contains("住址") { 36 } else { 16 })
            .map_err(fail)?;
        ws.write_string_with_format(at, c as u16, &col.label, &bold).map_err(fail)?;
    }
    ws.set_freeze_panes(at + 1, 0).map_err(fail)?;
    for (i, line) in data.iter().enumerate() {
        for (c, v) in line.iter().enumerate() {
            ws.write_string(at + 1 + i as u32, c as u16, v).map_err(fail)?;
        }
    }
    ws.set_header(format!("&L{}", watermark.replace('&', "&&")));
    let st = wb.add_worksheet();
    st.set_name("填报情况").map_err(fail)?;
    for (c, h) in ["序号", "对象", "网格", "状态", "填报人", "填报时间", "逾期"].iter().enumerate() {
        st.write_string_with_format(0, c as u16, *h, &bold).map_err(fail)?;
    }
    for (i, x) in rows.iter().enumerate() {
        let line = [
            (i + 1).to_string(),
            x.label.clone(),
            x.grid_code.clone(),
            if x.status == "answered" { "已填报" } else { "未填报" }.to_string(),
            x.answered_by.clone(),
            x.answered_at.map(crate::audit::format_time).unwrap_or_default(),
            if x.late { "是" } else { "" }.to_string(),
        ];
        for (c, v) in line.iter().enumerate() {
            st.write_string(1 + i as u32, c as u16, v).map_err(fail)?;
        }
    }
    let info = wb.add_worksheet();
    info.set_name("导出信息").map_err(fail)?;
    info.set_column_width(0, 80).map_err(fail)?;
    info.write_string(0, 0, watermark).map_err(fail)?;
    info.write_string(1, 0, format!("一表通《{}》 截止 {} 共 {} 行", r.title, r.due_on, rows.len())).map_err(fail)?;
    info.write_string(
        2,
        0,
        "无权查看完整号码时，公民身份号码、联系电话为脱敏显示 / numbers are masked without reveal permission",
    )
    .map_err(fail)?;
    wb.save_to_buffer().map_err(fail)
}
