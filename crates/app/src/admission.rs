//! The admission list (社区工作事项准入制, 权随责走、费随事转) and the tasks departments push onto communities.
//!
//! **The one check**: anything that pushes work onto a community — a task here, a data request of 一表通 (issue
//! #13) later — calls [`App::check_admission`]`(actor, department, item_code, community)`, which answers the list's
//! entry or a 422 naming the item and why it is not admitted. A push that is refused is recorded (a task row in
//! status `refused`, with its audit record), so the community's report shows what was pushed at it and refused.

use crate::disputes::text_block;
use crate::paging::{self, Page};
use crate::people::text_field;
use crate::{App, AppError, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use wangge_domain::admission::{self as rules, Entry, NotAdmitted, TaskAction, TaskKind, TaskStatus};
use wangge_domain::region::{RegionLevel, is_within};
use wangge_domain::role::{Permission, Role};
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::services::{AdmissionRow, TaskFilter, TaskRow};
use wangge_store::{Store, StoreError, now_ms};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdmissionItemView {
    pub id: i64,
    pub department_code: String,
    pub department_name: String,
    /// The item's code as the department cites it.
    pub code: String,
    pub name: String,
    /// The area whose communities it applies to.
    pub region_code: String,
    /// The approving document (文件名称及文号).
    pub basis: String,
    /// `YYYY-MM-DD`: in force from.
    pub approved_on: String,
    /// 费随事转: yuan per community per year.
    pub funding_yuan: Option<f64>,
    pub funding_note: String,
    pub active: bool,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmissionItemInput {
    pub department_code: String,
    pub code: String,
    pub name: String,
    /// A district, street or community code within the caller's scope.
    pub region_code: String,
    pub basis: String,
    /// `YYYY-MM-DD`.
    pub approved_on: String,
    /// Yuan per community per year: a number, or text such as "2万".
    #[schema(value_type = Option<Object>)]
    pub funding: Option<serde_json::Value>,
    #[serde(default)]
    pub funding_note: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmissionItemPatch {
    pub name: Option<String>,
    pub basis: Option<String>,
    pub approved_on: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub funding: Option<serde_json::Value>,
    pub funding_note: Option<String>,
    /// `false` withdraws it from the list (tasks can no longer be pushed under it).
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    /// The pushing department; a department user's own by default.
    pub department_code: Option<String>,
    /// The admission list's item code the task falls under.
    pub item_code: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Target communities (12-digit codes).
    pub communities: Vec<String>,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
    /// `task` (default) or `data_request`.
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskActionInput {
    /// `accept` | `complete`.
    pub action: String,
    #[serde(default)]
    pub note: String,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub id: i64,
    pub kind: String,
    pub department_code: String,
    pub department_name: String,
    pub item_code: String,
    pub admission_item_id: Option<i64>,
    pub title: String,
    pub description: String,
    pub community_code: String,
    pub community_name: String,
    pub due_on: Option<String>,
    pub status: String,
    pub status_name: String,
    /// Why it was refused (not on the list).
    pub refusal: String,
    pub pushed_by: String,
    pub pushed_at: String,
    pub accepted_at: Option<String>,
    pub completed_at: Option<String>,
    pub result: String,
    pub overdue: bool,
    pub version: i64,
}

#[derive(Debug, Clone, Default)]
pub struct TaskQuery<'a> {
    pub community: Option<&'a str>,
    pub department: Option<&'a str>,
    pub status: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepartmentReport {
    pub department_code: String,
    pub department_name: String,
    /// Entries on the list in force for the area.
    pub items_on_list: i64,
    /// Sum of the entries' yearly funding per community (yuan).
    pub funding_yuan: f64,
    /// Tasks pushed within the list, and what became of them.
    pub admitted: i64,
    pub accepted: i64,
    pub completed: i64,
    pub overdue: i64,
    /// Pushes refused because the item is not on the list.
    pub refused: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdmissionReport {
    pub region_code: Option<String>,
    pub from: String,
    pub to: String,
    pub departments: Vec<DepartmentReport>,
}

pub(crate) fn dept_name(c: &crate::service_catalogue::Catalogue, code: &str) -> String {
    c.department_name(code).unwrap_or_else(|| code.to_string())
}

fn yuan(fen: Option<i64>) -> Option<f64> {
    fen.map(|f| f as f64 / 100.0)
}

fn parse_funding(v: &Option<serde_json::Value>) -> Result<Option<i64>> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => Ok(wangge_domain::dispute::parse_amount("funding", &n.to_string())?),
        Some(serde_json::Value::String(s)) => Ok(wangge_domain::dispute::parse_amount("funding", s)?),
        Some(_) => Err(AppError::field("funding", "经费应为数字（元） / funding in yuan")),
    }
}

fn entry_of(r: &AdmissionRow) -> Option<Entry> {
    Some(Entry {
        department_code: r.department_code.clone(),
        code: r.code.clone(),
        region_code: r.region_code.clone(),
        approved_on: chrono::NaiveDate::parse_from_str(&r.approved_on, "%Y-%m-%d").ok()?,
        active: r.active,
    })
}

fn not_admitted(item: &str, why: NotAdmitted) -> AppError {
    AppError::rule(
        "item_code",
        format!(
            "“{item}”{}，不能派给社区（准入制：权随责走、费随事转） / “{item}” is {}; it cannot be pushed onto a community",
            why.label_zh(),
            why.label_en()
        ),
    )
    .with_details(json!({ "field": "item_code", "item_code": item, "reason": why.as_str() }))
}

/// The 422 of a refused push, naming the refused task records.
pub(crate) fn refused_error(item: &str, why: NotAdmitted, task_ids: &[i64]) -> AppError {
    let mut e = not_admitted(item, why);
    if let Some(d) = e.details.as_mut() {
        d["refused_task_ids"] = json!(task_ids);
    }
    e
}

impl App {
    fn admission_view(&self, c: &crate::service_catalogue::Catalogue, r: &AdmissionRow) -> AdmissionItemView {
        AdmissionItemView {
            id: r.id,
            department_name: dept_name(c, &r.department_code),
            department_code: r.department_code.clone(),
            code: r.code.clone(),
            name: r.name.clone(),
            region_code: r.region_code.clone(),
            basis: r.basis.clone(),
            approved_on: r.approved_on.clone(),
            funding_yuan: yuan(r.funding_fen),
            funding_note: r.funding_note.clone(),
            active: r.active,
        }
    }

    /// The departments an actor pushes for: a department user's own; admins any.
    /// Whether every grant carrying `perm` is a department's (so the actor speaks only for its departments).
    pub(crate) fn department_only(actor: &Actor, perm: Permission) -> bool {
        !actor.is_admin() && actor.grants.iter().filter(|g| perm.granted_to(g.role)).all(|g| g.role == Role::Department)
    }

    pub(crate) fn pushing_departments(actor: &Actor) -> Vec<String> {
        actor.grants.iter().filter(|g| g.role == Role::Department).filter_map(|g| g.department_code.clone()).collect()
    }

    /// The admission list as the caller may see it: a department its own entries; everyone else the entries
    /// that apply within (or above) their scope; `community` narrows to the entries covering that community.
    pub async fn admission_items(
        &self,
        actor: &Actor,
        department: Option<&str>,
        community: Option<&str>,
    ) -> Result<Page<AdmissionItemView>> {
        self.authorize_anywhere(actor, Permission::ReadCommunityTasks)?;
        let department = department.map(str::trim).filter(|d| !d.is_empty());
        let community = community.map(str::trim).filter(|c| !c.is_empty());
        if let Some(cm) = community {
            self.authorize(actor, Permission::ReadCommunityTasks, cm)?;
        }
        let roots = actor.roots(Permission::ReadCommunityTasks);
        let only_dept = !actor.is_admin()
            && actor
                .grants
                .iter()
                .filter(|g| Permission::ReadCommunityTasks.granted_to(g.role))
                .all(|g| g.role == Role::Department);
        let own = Self::pushing_departments(actor);
        let c = self.catalogue().await?;
        let items = self
            .store
            .admission_items(department)
            .await?
            .into_iter()
            .filter(|r| !only_dept || own.contains(&r.department_code))
            .filter(|r| match &roots {
                None => true,
                Some(rs) => rs.iter().any(|root| is_within(root, &r.region_code) || is_within(&r.region_code, root)),
            })
            .filter(|r| community.is_none_or(|cm| is_within(cm, &r.region_code)))
            .map(|r| self.admission_view(&c, &r))
            .collect::<Vec<_>>();
        let total = items.len() as i64;
        Ok(Page { items, next_cursor: None, total, total_is_lower_bound: false })
    }

    /// Adds an entry to the admission list (administrators, district staff) with its approving document, the day
    /// it takes effect and the funding that follows the work.
    pub async fn add_admission_item(&self, actor: &Actor, input: AdmissionItemInput) -> Result<AdmissionItemView> {
        self.authorize_anywhere(actor, Permission::ManageAdmissionList)?;
        let c = self.catalogue().await?;
        let department = input.department_code.trim();
        if !c.departments.contains_key(department) {
            return Err(AppError::field("department_code", format!("未知的部门 / unknown department: {department}")));
        }
        let code = input.code.trim();
        if !rules::is_item_code(code) {
            return Err(AppError::field(
                "code",
                "事项编码应为2到40位字母、数字、- 或 _ / 2–40 letters, digits, - or _",
            ));
        }
        let name = text_field("name", &input.name, 80)?;
        if name.is_empty() {
            return Err(AppError::field("name", "请填写事项名称 / a name is required"));
        }
        let region = input.region_code.trim();
        self.authorize(actor, Permission::ManageAdmissionList, region)
            .map_err(|e| if e.kind == ErrorKind::NotFound { AppError::field("region_code", e.message) } else { e })?;
        match self.store.region(region).await? {
            Some(r) if r.region.level != RegionLevel::Grid => {}
            _ => {
                return Err(AppError::field(
                    "region_code",
                    "应为区、街道或社区编码 / a district, street or community code",
                ));
            }
        }
        let basis = text_field("basis", &input.basis, 200)?;
        if basis.chars().count() < 4 {
            return Err(AppError::field("basis", "请写明准入依据（文件名称及文号） / name the approving document"));
        }
        let approved_on = crate::people::parse_date("approved_on", &input.approved_on)?;
        let row = AdmissionRow {
            department_code: department.into(),
            code: code.into(),
            name,
            region_code: region.into(),
            basis,
            approved_on: approved_on.format("%Y-%m-%d").to_string(),
            funding_fen: parse_funding(&input.funding)?,
            funding_note: text_field("funding_note", &input.funding_note, 200)?,
            active: true,
            created_by: actor.username.clone(),
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_admission_item(&mut tx, &row).await.map_err(|e| match e {
            StoreError::Conflict(_) => {
                AppError::conflict("该部门在此范围已有同编码事项 / this department lists this code here already")
                    .with_details(json!({ "field": "code" }))
            }
            e => e.into(),
        })?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "create",
                object: &format!("admission_item:{id}"),
                reason: Some(&row.basis),
                region_code: Some(region),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(self.admission_view(&c, &AdmissionRow { id, ..row }))
    }

    /// Changes or withdraws an entry of the list.
    pub async fn update_admission_item(
        &self,
        actor: &Actor,
        id: i64,
        patch: AdmissionItemPatch,
    ) -> Result<AdmissionItemView> {
        self.authorize_anywhere(actor, Permission::ManageAdmissionList)?;
        let mut row = self.store.admission_item(id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::not_found(&format!("admission item {id}")),
            e => e.into(),
        })?;
        self.authorize(actor, Permission::ManageAdmissionList, &row.region_code)?;
        if let Some(n) = &patch.name {
            row.name = text_field("name", n, 80)?;
            if row.name.is_empty() {
                return Err(AppError::field("name", "请填写事项名称 / a name is required"));
            }
        }
        if let Some(b) = &patch.basis {
            row.basis = text_field("basis", b, 200)?;
        }
        if let Some(d) = &patch.approved_on {
            row.approved_on = crate::people::parse_date("approved_on", d)?.format("%Y-%m-%d").to_string();
        }
        if patch.funding.is_some() {
            row.funding_fen = parse_funding(&patch.funding)?;
        }
        if let Some(n) = &patch.funding_note {
            row.funding_note = text_field("funding_note", n, 200)?;
        }
        if let Some(a) = patch.active {
            row.active = a;
        }
        let mut tx = self.store.begin().await?;
        Store::update_admission_item(&mut tx, &row).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: if patch.active == Some(false) { "revoke" } else { "update" },
                object: &format!("admission_item:{id}"),
                reason: None,
                region_code: Some(&row.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let c = self.catalogue().await?;
        Ok(self.admission_view(&c, &row))
    }

    /// Who may push for `department` onto `community`, and the list's decision — the part every push shares.
    /// Outer errors: 400 (unknown department or not a community), 403 (not the caller's department), 404 (the
    /// community is outside the caller's scope). Inner: the entry, or why the list does not admit it.
    pub(crate) async fn admission_decision(
        &self,
        actor: &Actor,
        perm: Permission,
        department: &str,
        item_code: &str,
        community: &str,
    ) -> Result<std::result::Result<AdmissionRow, NotAdmitted>> {
        self.authorize_anywhere(actor, perm)?;
        let c = self.catalogue().await?;
        if !c.departments.contains_key(department) {
            return Err(AppError::field("department_code", format!("未知的部门 / unknown department: {department}")));
        }
        // A department pushes only its own work; street and district staff (data requests) act for any department.
        if Self::department_only(actor, perm) && !Self::pushing_departments(actor).iter().any(|d| d == department) {
            return Err(AppError::forbidden());
        }
        self.authorize(actor, perm, community)
            .map_err(|e| if e.kind == ErrorKind::NotFound { AppError::field("communities", e.message) } else { e })?;
        match self.store.region(community).await? {
            Some(r) if r.region.level == RegionLevel::Community => {}
            _ => return Err(AppError::field("communities", format!("应为社区编码 / not a community: {community}"))),
        }
        let rows = self.store.admission_items(Some(department)).await?;
        let entries: Vec<(Entry, &AdmissionRow)> = rows.iter().filter_map(|r| Some((entry_of(r)?, r))).collect();
        let list: Vec<Entry> = entries.iter().map(|(e, _)| e.clone()).collect();
        let today = crate::people::today();
        Ok(match rules::admit(&list, department, item_code.trim(), community, today) {
            Ok(e) => entries.iter().find(|(x, _)| x == e).map(|(_, r)| (*r).clone()).ok_or(NotAdmitted::NotListed),
            Err(why) => Err(why),
        })
    }

    /// **The admission check** (准入制) every push onto a community goes through — tasks now, 一表通 data requests
    /// (issue #13) later: may `actor`, for `department`, push work under `item_code` onto `community`? Answers
    /// the admission list's entry (with its approving document and funding), or 422 naming the item and why it is
    /// not admitted (`details.reason`: `not_listed`, `revoked`, `not_yet_in_force`, `outside_area`). Callers
    /// that push must also record a refusal (see [`App::push_community_task`]).
    pub async fn check_admission(
        &self,
        actor: &Actor,
        department: &str,
        item_code: &str,
        community: &str,
    ) -> Result<AdmissionRow> {
        self.admission_decision(actor, Permission::PushCommunityTasks, department, item_code, community)
            .await?
            .map_err(|why| not_admitted(item_code.trim(), why))
    }

    /// A department pushes a task onto communities. Every target is checked against the admission list; when
    /// any is refused nothing is pushed, every target's refusal is recorded (visible to the community and in the
    /// report) and the answer is 422 naming the item.
    pub async fn push_community_task(&self, actor: &Actor, input: TaskInput) -> Result<Vec<TaskView>> {
        self.authorize_anywhere(actor, Permission::PushCommunityTasks)?;
        let own = Self::pushing_departments(actor);
        let department = match input.department_code.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => d.to_string(),
            None if own.len() == 1 => own[0].clone(),
            None => return Err(AppError::field("department_code", "请选择派出部门 / choose the department")),
        };
        let item_code = input.item_code.trim().to_string();
        if item_code.is_empty() {
            return Err(AppError::field(
                "item_code",
                "请填写准入事项编码 / the admission list's item code is required",
            ));
        }
        let title = text_field("title", &input.title, 100)?;
        if title.is_empty() {
            return Err(AppError::field("title", "请填写任务名称 / a title is required"));
        }
        let description = text_block("description", &input.description, 2000)?;
        let kind = match input.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => TaskKind::parse("kind", k)?,
            None => TaskKind::Task,
        };
        let due_on = match input.due_on.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => {
                let day = crate::people::parse_date("due_on", d)?;
                if day < crate::people::today() {
                    return Err(AppError::field("due_on", "截止日期不能早于今天 / the due date has passed"));
                }
                Some(day.format("%Y-%m-%d").to_string())
            }
            None => None,
        };
        let mut communities: Vec<String> = input.communities.iter().map(|c| c.trim().to_string()).collect();
        communities.retain(|c| !c.is_empty());
        communities.sort();
        communities.dedup();
        if communities.is_empty() || communities.len() > 200 {
            return Err(AppError::field("communities", "请选择1到200个社区 / choose 1 to 200 communities"));
        }
        let mut decisions = Vec::with_capacity(communities.len());
        for cm in &communities {
            decisions.push((
                cm.clone(),
                self.admission_decision(actor, Permission::PushCommunityTasks, &department, &item_code, cm).await?,
            ));
        }
        let template = TaskRow {
            kind: kind.as_str().into(),
            department_code: department.clone(),
            item_code: item_code.clone(),
            title: title.clone(),
            description: description.clone(),
            due_on: due_on.clone(),
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        let (pushed, refused) = Self::record_pushes(&mut tx, actor, &template, &decisions).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let ids: Vec<i64> = pushed.into_iter().map(|(_, id)| id).collect();
        if let Some(why) = refused {
            return Err(refused_error(&item_code, why, &ids));
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.task_view(&self.store.community_task(id).await?).await?);
        }
        Ok(out)
    }

    /// Writes one task per community of a push, inside the caller's transaction: all pushed when every community
    /// is admitted, otherwise all recorded refused with the reason (the community's report shows what was pushed
    /// at it). Answers (community, task id) in order and the refusal, if any.
    pub(crate) async fn record_pushes(
        tx: &mut wangge_store::Transaction<'static, wangge_store::Any>,
        actor: &Actor,
        template: &TaskRow,
        decisions: &[(String, std::result::Result<AdmissionRow, NotAdmitted>)],
    ) -> Result<(Vec<(String, i64)>, Option<NotAdmitted>)> {
        let refused = decisions.iter().find_map(|(_, d)| d.as_ref().err().copied());
        let now = now_ms();
        let mut ids = Vec::with_capacity(decisions.len());
        for (cm, d) in decisions {
            let (status, admission_item_id, refusal) = match (refused, d) {
                (None, Ok(entry)) => (TaskStatus::Pushed, Some(entry.id), String::new()),
                // One target refused: none is pushed; the admitted ones are recorded refused with the reason.
                (Some(why), Ok(_)) => {
                    (TaskStatus::Refused, None, format!("同批次中有社区未准入（{}）", why.label_zh()))
                }
                (_, Err(why)) => (TaskStatus::Refused, None, why.label_zh().to_string()),
            };
            let row = TaskRow {
                admission_item_id,
                community_code: cm.clone(),
                status: status.as_str().into(),
                refusal,
                pushed_by: actor.username.clone(),
                pushed_at: now,
                ..template.clone()
            };
            let id = Store::insert_community_task(tx, &row).await?;
            Store::audit(
                tx,
                NewAudit {
                    actor: &actor.username,
                    action: if refused.is_some() { "task.refused" } else { "task.push" },
                    object: &format!("community_task:{id}"),
                    reason: Some(&format!("{}:{}", template.department_code, template.item_code)),
                    region_code: Some(cm),
                },
            )
            .await?;
            ids.push((cm.clone(), id));
        }
        Ok((ids, refused))
    }

    async fn task_view(&self, t: &TaskRow) -> Result<TaskView> {
        let c = self.catalogue().await?;
        let status = TaskStatus::parse("status", &t.status).unwrap_or(TaskStatus::Pushed);
        let community_name = self.store.region(&t.community_code).await?.map(|r| r.region.name).unwrap_or_default();
        let today = crate::people::today().format("%Y-%m-%d").to_string();
        Ok(TaskView {
            id: t.id,
            kind: t.kind.clone(),
            department_name: dept_name(&c, &t.department_code),
            department_code: t.department_code.clone(),
            item_code: t.item_code.clone(),
            admission_item_id: t.admission_item_id,
            title: t.title.clone(),
            description: t.description.clone(),
            community_code: t.community_code.clone(),
            community_name,
            overdue: matches!(status, TaskStatus::Pushed | TaskStatus::Accepted)
                && t.due_on.as_ref().is_some_and(|d| *d < today),
            due_on: t.due_on.clone(),
            status: t.status.clone(),
            status_name: status.label_zh().into(),
            refusal: t.refusal.clone(),
            pushed_by: t.pushed_by.clone(),
            pushed_at: crate::audit::format_time(t.pushed_at),
            accepted_at: t.accepted_at.map(crate::audit::format_time),
            completed_at: t.completed_at.map(crate::audit::format_time),
            result: t.result.clone(),
            version: t.version,
        })
    }

    fn task_filter(&self, actor: &Actor) -> TaskFilter {
        let only_dept = !actor.is_admin()
            && actor
                .grants
                .iter()
                .filter(|g| Permission::ReadCommunityTasks.granted_to(g.role))
                .all(|g| g.role == Role::Department);
        TaskFilter {
            roots: actor.roots(Permission::ReadCommunityTasks),
            departments: only_dept.then(|| Self::pushing_departments(actor)),
            ..Default::default()
        }
    }

    /// Tasks pushed onto communities in the caller's scope (a department: its own), newest first.
    pub async fn community_tasks(&self, actor: &Actor, q: TaskQuery<'_>) -> Result<Page<TaskView>> {
        self.authorize_anywhere(actor, Permission::ReadCommunityTasks)?;
        let mut f = self.task_filter(actor);
        if let Some(cm) = q.community.map(str::trim).filter(|c| !c.is_empty()) {
            self.authorize(actor, Permission::ReadCommunityTasks, cm)?;
            f.community = Some(cm.to_string());
        }
        if let Some(d) = q.department.map(str::trim).filter(|d| !d.is_empty()) {
            f.departments = Some(match f.departments {
                Some(own) => own.into_iter().filter(|o| o == d).collect(),
                None => vec![d.to_string()],
            });
        }
        if let Some(s) = q.status.map(str::trim).filter(|s| !s.is_empty()) {
            f.status = Some(TaskStatus::parse("status", s)?.as_str().to_string());
        }
        let limit = paging::limit(q.limit)?;
        let before = paging::int_cursor(q.cursor)?;
        let (rows, total) = self.store.community_tasks(&f, before, limit).await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            items.push(self.task_view(r).await?);
        }
        Ok(paging::page(items, limit, total, |t| t.id.to_string()))
    }

    /// The community accepts a task (接收) or reports it done (完成, with the result).
    pub async fn act_on_task(&self, actor: &Actor, id: i64, input: TaskActionInput) -> Result<TaskView> {
        let not_found = || AppError::not_found(&format!("task {id}"));
        let mut t = self.store.community_task(id).await.map_err(|e| match e {
            StoreError::NotFound => not_found(),
            e => e.into(),
        })?;
        self.authorize(actor, Permission::ReadCommunityTasks, &t.community_code)
            .map_err(|e| if e.kind == ErrorKind::NotFound { not_found() } else { e })?;
        let f = self.task_filter(actor);
        if f.departments.as_ref().is_some_and(|d| !d.contains(&t.department_code)) {
            return Err(not_found());
        }
        let action = TaskAction::parse("action", input.action.trim())?;
        self.authorize(actor, Permission::HandleCommunityTasks, &t.community_code)?;
        if input.version.is_some_and(|v| v != t.version) {
            return Err(AppError::conflict("任务已被他人更新，请刷新 / the task changed meanwhile"));
        }
        let note = text_block("note", &input.note, 1000)?;
        let now = now_ms();
        let from = TaskStatus::parse("status", &t.status).unwrap_or(TaskStatus::Pushed);
        match (action, from) {
            (TaskAction::Accept, TaskStatus::Pushed) => {
                t.status = TaskStatus::Accepted.as_str().into();
                t.accepted_by = actor.username.clone();
                t.accepted_at = Some(now);
            }
            (TaskAction::Complete, TaskStatus::Accepted) => {
                if note.is_empty() {
                    return Err(AppError::field("note", "请填写完成情况 / say what was done"));
                }
                t.status = TaskStatus::Completed.as_str().into();
                t.completed_by = actor.username.clone();
                t.completed_at = Some(now);
                t.result = note.clone();
            }
            (_, s) => {
                return Err(AppError::conflict(format!(
                    "任务当前为“{}”，不能{} / not possible while the task is {}",
                    s.label_zh(),
                    action.label_zh(),
                    s.as_str()
                )));
            }
        }
        let mut tx = self.store.begin().await?;
        Store::save_community_task(&mut tx, &t).await.map_err(|e| match e {
            StoreError::Conflict(_) => AppError::conflict("任务已被他人更新，请刷新 / the task changed meanwhile"),
            e => e.into(),
        })?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: &format!("task.{}", action.as_str()),
                object: &format!("community_task:{id}"),
                reason: (!note.is_empty()).then_some(note.as_str()),
                region_code: Some(&t.community_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.task_view(&self.store.community_task(id).await?).await
    }

    /// Per department: the list's entries in force for the area and their funding, and the tasks pushed in
    /// `[from, to]` (default the last 365 days) — admitted, accepted, completed, overdue — and refused.
    pub async fn admission_report(
        &self,
        actor: &Actor,
        region: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<AdmissionReport> {
        self.authorize_anywhere(actor, Permission::ReadCommunityTasks)?;
        let mut f = self.task_filter(actor);
        let region = region.map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = region {
            self.authorize(actor, Permission::ReadCommunityTasks, r)?;
            f.roots = Some(vec![r.to_string()]);
        }
        let day = |field: &str, s: Option<&str>| -> Result<Option<chrono::NaiveDate>> {
            s.map(str::trim).filter(|s| !s.is_empty()).map(|s| crate::people::parse_date(field, s)).transpose()
        };
        let today = crate::people::today();
        let to_day = day("to", to)?.unwrap_or(today);
        let from_day = day("from", from)?.unwrap_or(to_day - chrono::Duration::days(364));
        if from_day > to_day {
            return Err(AppError::field("from", "开始日期应早于结束日期 / from must be before to"));
        }
        let start = wangge_domain::event::calendar::cst_day_start_ms;
        f.pushed_from = Some(start(from_day));
        f.pushed_to = Some(start(to_day) + 86_400_000);
        let tasks = self.store.all_community_tasks(&f).await?;
        let c = self.catalogue().await?;
        let list = self.admission_items(actor, None, region).await?.items;
        let mut by: BTreeMap<String, DepartmentReport> = BTreeMap::new();
        let blank = |code: &str| DepartmentReport {
            department_code: code.to_string(),
            department_name: dept_name(&c, code),
            items_on_list: 0,
            funding_yuan: 0.0,
            admitted: 0,
            accepted: 0,
            completed: 0,
            overdue: 0,
            refused: 0,
        };
        let today_s = today.format("%Y-%m-%d").to_string();
        for e in list.iter().filter(|e| e.active && e.approved_on.as_str() <= today_s.as_str()) {
            let d = by.entry(e.department_code.clone()).or_insert_with(|| blank(&e.department_code));
            d.items_on_list += 1;
            d.funding_yuan += e.funding_yuan.unwrap_or(0.0);
        }
        for t in &tasks {
            let d = by.entry(t.department_code.clone()).or_insert_with(|| blank(&t.department_code));
            match t.status.as_str() {
                "refused" => d.refused += 1,
                s => {
                    d.admitted += 1;
                    if s == "accepted" || s == "completed" {
                        d.accepted += 1;
                    }
                    if s == "completed" {
                        d.completed += 1;
                    } else if t.due_on.as_ref().is_some_and(|x| *x < today_s) {
                        d.overdue += 1;
                    }
                }
            }
        }
        Ok(AdmissionReport {
            region_code: region.map(str::to_string),
            from: from_day.format("%Y-%m-%d").to_string(),
            to: to_day.format("%Y-%m-%d").to_string(),
            departments: by.into_values().collect(),
        })
    }
}
