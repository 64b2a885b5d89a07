//! One-window resident services (issue #8): applications (办件) accepted at the window for a resident of the
//! register or applied for online by the resident, worked by the back office (a department, or the station for its
//! own items) through `domain::service::plan`, with deadlines in working days on the working calendar, a tracking
//! number, the first-responsible staff (首问负责) notified of every change, the applicant told by SMS (outbox),
//! overdue warnings and escalation from the server loop, and statistics.
//!
//! Scope: an application lives in its applicant's grid. Staff read it with `ReadApplications` on that grid
//! (departments: only their own items'); the applicant reads their own through their account. Every write is one
//! transaction with its step, notifications and audit record; two people acting at once: one wins (version).

use crate::attachments::uploader_key;
use crate::audit::format_time;
use crate::disputes::{CountBy, text_block};
use crate::events::AttachmentView;
use crate::paging::{self, Page};
use crate::people::text_field;
use crate::service_catalogue::{Catalogue, ServiceItem, item_materials};
use crate::{App, AppError, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use wangge_domain::event::calendar::{WorkCalendar, at_cst, cst_day, cst_day_start_ms};
use wangge_domain::region::{RegionLevel, ancestor, is_within};
use wangge_domain::role::{Permission, Role};
use wangge_domain::scope::Actor;
use wangge_domain::service::{
    self as rules, ApplicationAction, ApplicationStatus, Channel, Facts, MaterialSpec, Refusal, Who,
};
use wangge_store::audit::NewAudit;
use wangge_store::people::PersonRow;
use wangge_store::services::{AppCursor, AppScope, ApplicationFilter, ApplicationRow, COUNT_CAP, StepRow};
use wangge_store::{Any, Store, StoreError, Transaction, now_ms};

const DAY_MS: i64 = 86_400_000;

/// A material with the attachments uploaded for it (online applications, 补正).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaterialUpload {
    /// The material's name as the item lists it.
    pub name: String,
    /// Ids from `POST /api/v1/service-uploads`, uploaded by the caller.
    #[serde(default)]
    pub attachments: Vec<i64>,
}

/// A new application: at the window for a person of the register (staff), or online (a resident, for themselves).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    /// A code of `GET /api/v1/service-items`.
    pub item_code: String,
    /// At the window: the applicant, a person of the register in the caller's scope (found by name, 拼音 or
    /// 身份证号 through `GET /api/v1/people?q=`). Residents applying online leave it out.
    pub person_id: Option<i64>,
    /// At the window: the names of the materials received; every required one must be there.
    #[serde(default)]
    pub received: Vec<String>,
    /// Online: each material with the files uploaded for it; every required one needs a file.
    #[serde(default)]
    pub materials: Vec<MaterialUpload>,
    /// 申请事由 / what the applicant asks for.
    #[serde(default)]
    pub note: String,
    /// At the window: which window (e.g. `2号窗口`), for the load per window.
    #[serde(default)]
    pub window: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationActionInput {
    /// accept | refuse | handle | supplement | resubmit | approve | reject | finish | withdraw | rate.
    pub action: String,
    /// The reason (refuse, reject), what is missing (supplement, 一次性告知), the result (finish), a comment (rate).
    #[serde(default)]
    pub note: String,
    /// accept, resubmit at the window: the materials now received (names).
    #[serde(default)]
    pub received: Vec<String>,
    /// resubmit by the resident: files added to materials.
    #[serde(default)]
    pub materials: Vec<MaterialUpload>,
    /// accept: the window.
    #[serde(default)]
    pub window: String,
    /// rate: 1 (非常不满意) to 5 (非常满意).
    pub satisfaction: Option<i64>,
    /// The version the caller saw; when given and stale, 409.
    pub version: Option<i64>,
}

/// A material of an application as stored: the item's, with what was received.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct AppMaterial {
    name: String,
    required: bool,
    #[serde(default)]
    note: String,
    #[serde(default)]
    received: bool,
    #[serde(default)]
    attachments: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApplicationView {
    pub id: i64,
    /// 受理编号.
    pub tracking_no: String,
    pub item_code: String,
    pub item_name: String,
    pub category_name: String,
    pub person_id: i64,
    pub applicant_name: String,
    pub grid_code: String,
    /// The station (社区便民服务站).
    pub community_code: String,
    /// `window` | `online`.
    pub channel: String,
    pub status: String,
    pub status_name: String,
    /// The back office; null: the station.
    pub department_code: Option<String>,
    pub department_name: Option<String>,
    /// 首问负责人: the staff who accepted it.
    pub first_responsible: String,
    pub submitted_at: String,
    pub accepted_at: Option<String>,
    /// While open: when it must be done (or accepted, for an online application waiting for 预审).
    pub due_at: String,
    pub overdue: bool,
    /// Less than one working day left.
    pub due_soon: bool,
    pub escalated: bool,
    pub finished_at: Option<String>,
    pub satisfaction: Option<i64>,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MaterialState {
    pub name: String,
    pub required: bool,
    pub note: String,
    pub received: bool,
    pub attachments: Vec<AttachmentView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApplicationStep {
    pub action: String,
    pub action_name: String,
    pub from: String,
    pub to: String,
    pub actor: String,
    pub at: String,
    pub note: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApplicationDetail {
    #[serde(flatten)]
    pub application: ApplicationView,
    /// Masked, from the register.
    pub applicant_id_number: String,
    /// Masked, from the register.
    pub applicant_phone: Option<String>,
    pub item: ServiceItem,
    pub materials: Vec<MaterialState>,
    pub note: String,
    /// The reason of a refusal or rejection, or the result of a finished application.
    pub result: String,
    pub window: String,
    /// The back-office user who took it in hand.
    pub handler: String,
    pub rating_note: String,
    pub steps: Vec<ApplicationStep>,
    /// Actions the caller may take now.
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ApplicationQuery<'a> {
    pub region: Option<&'a str>,
    /// A status code, or `open`.
    pub status: Option<&'a str>,
    pub item: Option<&'a str>,
    /// `queue` (what the caller may work now, most urgent first), `mine` (accepted by the caller: 首问),
    /// `overdue`; default all, newest first.
    pub view: Option<&'a str>,
    pub tracking_no: Option<&'a str>,
    pub person_id: Option<i64>,
    pub cursor: Option<&'a str>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub at: String,
    pub body: String,
    pub link: Option<String>,
    pub read: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
    pub next_cursor: Option<String>,
    pub total: i64,
    pub unread: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemStats {
    pub code: String,
    pub name: String,
    pub count: i64,
    pub completed: i64,
    pub on_time: i64,
    /// on_time / completed; null when none completed.
    pub on_time_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceStats {
    /// Applications submitted in the period.
    pub total: i64,
    pub completed: i64,
    pub open: i64,
    /// Open and past their deadline now.
    pub overdue: i64,
    /// 按时办结率: completed by the deadline / completed.
    pub on_time_rate: Option<f64>,
    /// Mean satisfaction 1–5 over rated applications.
    pub satisfaction: Option<f64>,
    pub rated: i64,
    /// Share of ratings 4–5 (满意、非常满意).
    pub good_rate: Option<f64>,
    /// Ratings 1..5.
    pub satisfaction_counts: Vec<i64>,
    pub online_share: Option<f64>,
    pub by_item: Vec<ItemStats>,
    pub by_status: Vec<CountBy>,
    pub by_department: Vec<CountBy>,
    /// Applications accepted per window (or per accepting staff when no window was named).
    pub by_window: Vec<CountBy>,
    /// Applications received per hour of the day (0–23, China time): the 错时 evening load shows here.
    pub by_hour: Vec<i64>,
    /// Per weekday, Monday first.
    pub by_weekday: Vec<i64>,
}

fn materials_of(row: &ApplicationRow) -> Vec<AppMaterial> {
    serde_json::from_str(&row.materials).unwrap_or_default()
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| AppError::internal(e.to_string()))
}

fn status_of(row: &ApplicationRow) -> ApplicationStatus {
    ApplicationStatus::parse("status", &row.status).unwrap_or(ApplicationStatus::Submitted)
}

fn fmt(ms: i64) -> String {
    format_time(ms)
}

/// The scopes an actor lists applications in: each grant that reads them, departments limited to their items.
fn read_scopes(actor: &Actor) -> Option<Vec<AppScope>> {
    if actor.is_admin() {
        return None;
    }
    let mut out: Vec<AppScope> = Vec::new();
    for g in actor.grants.iter().filter(|g| Permission::ReadApplications.granted_to(g.role)) {
        let department = (g.role == Role::Department).then(|| g.department_code.clone().unwrap_or_default());
        let s = AppScope { root: g.region_code.clone(), department };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Some(out)
}

fn scope_covers(s: &AppScope, row: &ApplicationRow) -> bool {
    is_within(&row.grid_code, &s.root) && s.department.as_ref().is_none_or(|d| row.department_code.as_ref() == Some(d))
}

/// What the caller is to the application (front desk where the applicant lives, its back office, the applicant).
pub fn who_for(actor: &Actor, row: &ApplicationRow, applicant: bool) -> Who {
    let back_office = actor.is_admin()
        || actor.grants.iter().any(|g| {
            is_within(&row.grid_code, &g.region_code)
                && match g.role {
                    Role::Department => g.department_code.is_some() && g.department_code == row.department_code,
                    r => Permission::HandleApplications.granted_to(r) && row.department_code.is_none(),
                }
        });
    Who { front_desk: actor.may(Permission::AcceptApplications, &row.grid_code), back_office, applicant }
}

fn lives_here(p: &PersonRow) -> bool {
    p.merged_into.is_none() && matches!(p.residence_status.as_str(), "present" | "away")
}

/// A time limit as people say it: 即办件 or "N个工作日".
pub fn limit_label(days: i64) -> String {
    if days == 0 { "即办件（当日办结）".into() } else { format!("{days}个工作日") }
}

/// Checks material names against the item's list (unknown names name the field).
fn known_names(field: &str, specs: &[MaterialSpec], names: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let n = n.trim();
        if n.is_empty() {
            continue;
        }
        if !specs.iter().any(|m| m.name == n) {
            return Err(AppError::field(
                &format!("{field}[{i}]"),
                format!("该事项没有这项材料 / not a material of this item: {n}"),
            ));
        }
        if !out.iter().any(|o: &String| o == n) {
            out.push(n.to_string());
        }
    }
    Ok(out)
}

fn missing_rule(field: &str, missing: &[&str]) -> AppError {
    AppError::rule(
        field,
        format!(
            "缺少必要材料：{}（请一次性告知申请人补齐） / required materials missing: {}",
            missing.join("、"),
            missing.join(", ")
        ),
    )
}

/// What the applicant's SMS says after an action (none for actions they took themselves or that change nothing
/// for them).
fn applicant_message(action: ApplicationAction, item: &str, no: &str, note: &str) -> Option<String> {
    let what = match action {
        ApplicationAction::Accept => "已受理，请留意办理进度".to_string(),
        ApplicationAction::Refuse => format!("不予受理，原因：{note}"),
        ApplicationAction::Supplement => format!("需要补正材料：{note}。补齐后办理时限继续计算"),
        ApplicationAction::Approve => "已审批通过".to_string(),
        ApplicationAction::Reject => format!("未获批准，原因：{note}"),
        ApplicationAction::Finish => {
            if note.is_empty() {
                "已办结".to_string()
            } else {
                format!("已办结：{note}")
            }
        }
        _ => return None,
    };
    Some(format!("【便民服务】您申请的“{item}”（受理编号{no}）{what}。可登录居民账号在“我的办件”中查看。"))
}

pub(crate) async fn notify(
    tx: &mut Transaction<'static, Any>,
    user_id: Option<i64>,
    body: &str,
    link: &str,
) -> Result<()> {
    if let Some(u) = user_id.filter(|u| *u > 0) {
        Store::notify_user(tx, u, body, link).await?;
    }
    Ok(())
}

impl App {
    /// The application with who the caller is to it; 404 outside the caller's reach (also a department for
    /// another department's item), 403 inside the subtree without the right to read applications.
    pub(crate) async fn application_for(&self, actor: &Actor, id: i64) -> Result<(ApplicationRow, Who)> {
        let not_found = || AppError::not_found(&format!("application {id}"));
        let row = self.store.application(id).await.map_err(|e| match e {
            StoreError::NotFound => not_found(),
            e => e.into(),
        })?;
        let applicant =
            actor.has_role(Role::Resident) && self.resident_person(actor).await?.is_some_and(|p| p.id == row.person_id);
        let reads = match read_scopes(actor) {
            None => true,
            Some(scopes) => scopes.iter().any(|s| scope_covers(s, &row)),
        };
        if !(reads || applicant) {
            if read_scopes(actor).is_some_and(|s| s.iter().any(|s| is_within(&row.grid_code, &s.root))) {
                return Err(not_found());
            }
            self.authorize(actor, Permission::ReadApplications, &row.grid_code)
                .map_err(|e| if e.kind == ErrorKind::NotFound { not_found() } else { e })?;
            return Err(not_found());
        }
        Ok((row.clone(), who_for(actor, &row, applicant)))
    }

    fn application_view(&self, c: &Catalogue, cal: &WorkCalendar, r: &ApplicationRow, now: i64) -> ApplicationView {
        let status = status_of(r);
        let item = c.item(&r.item_code);
        let runs = status.clock_runs();
        ApplicationView {
            id: r.id,
            tracking_no: r.tracking_no.clone(),
            item_code: r.item_code.clone(),
            item_name: item.map(|i| i.name.clone()).unwrap_or_else(|| r.item_code.clone()),
            category_name: item.map(|i| c.category_name(&i.category_code)).unwrap_or_default(),
            person_id: r.person_id,
            applicant_name: r.applicant_name.clone(),
            grid_code: r.grid_code.clone(),
            community_code: r.community_code.clone(),
            channel: r.channel.clone(),
            status: r.status.clone(),
            status_name: status.label_zh().into(),
            department_name: r.department_code.as_deref().and_then(|d| c.department_name(d)),
            department_code: r.department_code.clone(),
            first_responsible: r.first_name.clone(),
            submitted_at: fmt(r.submitted_at),
            accepted_at: r.accepted_at.map(fmt),
            due_at: fmt(r.due_at),
            overdue: runs && r.due_at < now,
            due_soon: runs && rules::due_soon(cal, now, r.due_at),
            escalated: r.escalated_at.is_some(),
            finished_at: r.finished_at.map(fmt),
            satisfaction: r.satisfaction,
            version: r.version,
        }
    }

    /// One application with its materials, steps and the actions the caller may take now.
    pub async fn application_detail(&self, actor: &Actor, id: i64) -> Result<ApplicationDetail> {
        let (row, who) = self.application_for(actor, id).await?;
        self.application_detail_of(&row, who).await
    }

    async fn application_detail_of(&self, row: &ApplicationRow, who: Who) -> Result<ApplicationDetail> {
        let c = self.catalogue().await?;
        let reference = self.event_reference().await?;
        let item_row =
            c.item(&row.item_code).ok_or_else(|| AppError::internal(format!("item {} gone", row.item_code)))?;
        let files: std::collections::HashMap<i64, (String, String, i64, bool)> = self
            .store
            .application_attachments(row.id)
            .await?
            .into_iter()
            .map(|(i, n, ct, s, t)| (i, (n, ct, s, t)))
            .collect();
        let materials = materials_of(row)
            .into_iter()
            .map(|m| MaterialState {
                attachments: m
                    .attachments
                    .iter()
                    .filter_map(|id| {
                        files.get(id).map(|(n, ct, s, t)| AttachmentView {
                            id: *id,
                            name: n.clone(),
                            content_type: ct.clone(),
                            size: *s,
                            url: format!("/api/v1/attachments/{id}"),
                            thumb_url: t.then(|| format!("/api/v1/attachments/{id}?thumb=1")),
                        })
                    })
                    .collect(),
                name: m.name,
                required: m.required,
                note: m.note,
                received: m.received,
            })
            .collect();
        let person = self.store.person(row.person_id).await?;
        let steps = self
            .store
            .service_steps(row.id)
            .await?
            .into_iter()
            .map(|s| ApplicationStep {
                action_name: step_name(&s.action).to_string(),
                action: s.action,
                from: s.from_status,
                to: s.to_status,
                actor: s.actor,
                at: fmt(s.at),
                note: s.note,
                data: serde_json::from_str(&s.data).unwrap_or(serde_json::Value::Null),
            })
            .collect();
        let status = status_of(row);
        let facts = Facts {
            has_note: true,
            satisfaction: Some(5),
            rated: row.rated_at.is_some(),
            resume_to: row.resume_to.as_deref().and_then(|s| ApplicationStatus::parse("status", s).ok()),
        };
        let actions = ApplicationAction::ALL
            .iter()
            .filter(|a| rules::plan(who, **a, status, &facts).is_ok())
            .map(|a| a.as_str().to_string())
            .collect();
        Ok(ApplicationDetail {
            application: self.application_view(&c, &reference.calendar, row, now_ms()),
            applicant_id_number: person.as_ref().map(|p| p.id_number_masked.clone()).unwrap_or_default(),
            applicant_phone: person.and_then(|p| p.phone_masked),
            item: self.item_view(&c, item_row),
            materials,
            note: row.note.clone(),
            result: row.result.clone(),
            window: row.window_label.clone(),
            handler: row.handler.clone(),
            rating_note: row.rating_note.clone(),
            steps,
            actions,
        })
    }

    /// A new application: staff accept one at the window for a person of the register (`person_id`); a resident
    /// applies online for themselves.
    pub async fn create_application(&self, actor: &Actor, input: ApplicationInput) -> Result<ApplicationDetail> {
        match input.person_id {
            Some(pid) => self.accept_at_window(actor, pid, input).await,
            None if actor.has_role(Role::Resident) => self.apply_online(actor, input).await,
            None => {
                self.authorize_anywhere(actor, Permission::AcceptApplications)?;
                Err(AppError::field("person_id", "请从实有人口中选择申请人 / choose the applicant from the register"))
            }
        }
    }

    fn active_item<'a>(&self, c: &'a Catalogue, code: &str) -> Result<&'a wangge_store::services::ItemRow> {
        let code = code.trim();
        c.item(code)
            .filter(|i| i.active && c.categories.iter().any(|k| k.code == i.category_code && k.active))
            .ok_or_else(|| {
                AppError::field("item_code", format!("未知或已停办的服务事项 / unknown or retired item: {code}"))
            })
    }

    /// Refuses a second open application of the same item for the same person (一件事不重复受理).
    async fn no_open_duplicate(&self, person_id: i64, item_code: &str) -> Result<()> {
        let f = ApplicationFilter {
            person_id: Some(person_id),
            item_code: Some(item_code.into()),
            open_only: true,
            ..Default::default()
        };
        let (rows, _) = self.store.applications(&f, None, 1).await?;
        if let Some(r) = rows.first() {
            return Err(AppError::conflict(format!(
                "该居民已有在办的同一事项，受理编号 {} / an application for this item is already open: {}",
                r.tracking_no, r.tracking_no
            ))
            .with_details(json!({ "application_id": r.id, "tracking_no": r.tracking_no })));
        }
        Ok(())
    }

    /// Accepts an application at the window (前台一口受理): the applicant from the register, every required
    /// material received, the caller first-responsible; the deadline runs from now.
    async fn accept_at_window(
        &self,
        actor: &Actor,
        person_id: i64,
        input: ApplicationInput,
    ) -> Result<ApplicationDetail> {
        self.authorize_anywhere(actor, Permission::AcceptApplications)?;
        let c = self.catalogue().await?;
        let item = self.active_item(&c, &input.item_code)?.clone();
        let person = self
            .person_for(actor, Permission::ReadRegister, person_id)
            .await
            .map_err(|e| if e.kind == ErrorKind::NotFound { AppError::field("person_id", e.message) } else { e })?;
        self.authorize(actor, Permission::AcceptApplications, &person.grid_code)
            .map_err(|e| if e.kind == ErrorKind::NotFound { AppError::field("person_id", e.message) } else { e })?;
        if !lives_here(&person) {
            return Err(AppError::rule(
                "person_id",
                "该人员已迁出、死亡或被合并 / the person moved out, died or was merged",
            ));
        }
        if !input.materials.is_empty() {
            return Err(AppError::field(
                "materials",
                "窗口受理请勾选收到的材料 / at the window, tick the materials received",
            ));
        }
        let specs = item_materials(&item);
        let received = known_names("received", &specs, &input.received)?;
        let missing = rules::missing_materials(&specs, &received);
        if !missing.is_empty() {
            return Err(missing_rule("received", &missing));
        }
        let note = text_block("note", &input.note, 1000)?;
        let window = text_field("window", &input.window, 20)?;
        self.no_open_duplicate(person.id, &item.code).await?;
        let community = ancestor(&person.grid_code, RegionLevel::Community)
            .ok_or_else(|| AppError::internal(format!("grid {} without a community", person.grid_code)))?;
        let cal = self.event_reference().await?.calendar.clone();
        let now = now_ms();
        let due = rules::due_after(&cal, now, item.time_limit_days as u32)
            .ok_or_else(|| AppError::internal("no working day within the calendar's horizon"))?;
        let materials: Vec<AppMaterial> = specs
            .iter()
            .map(|m| AppMaterial {
                name: m.name.clone(),
                required: m.required,
                note: m.note.clone(),
                received: received.contains(&m.name),
                attachments: Vec::new(),
            })
            .collect();
        let mut row = ApplicationRow {
            item_code: item.code.clone(),
            department_code: item.department_code.clone(),
            person_id: person.id,
            applicant_name: person.name.clone(),
            grid_code: person.grid_code.clone(),
            community_code: community.clone(),
            channel: Channel::Window.as_str().into(),
            window_label: window,
            status: ApplicationStatus::Accepted.as_str().into(),
            materials: to_json(&materials)?,
            note,
            first_user_id: Some(actor.user_id).filter(|u| *u > 0),
            first_username: actor.username.clone(),
            first_name: actor.display_name.clone(),
            submitted_at: now,
            accepted_at: Some(now),
            due_at: due,
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        row.tracking_no = tracking_no(&mut tx, &community, now).await?;
        let id = Store::insert_application(&mut tx, &row).await?;
        let data = json!({ "channel": "window", "received": received, "tracking_no": row.tracking_no });
        self.write_step(&mut tx, id, "accept", "", ApplicationStatus::Accepted.as_str(), actor, "", data).await?;
        if let (Some(enc), Some(msg)) =
            (&person.phone_enc, applicant_message(ApplicationAction::Accept, &item.name, &row.tracking_no, ""))
        {
            let msg = format!("{msg}承诺时限：{}。", limit_label(item.time_limit_days));
            Store::enqueue_message(&mut tx, "sms", enc, &msg, None).await?;
        }
        audit(&mut tx, actor, "application.accept", id, None, &row.grid_code).await?;
        tx.commit().await.map_err(StoreError::from)?;
        row.id = id;
        let who = who_for(actor, &row, false);
        self.application_detail_of(&self.store.application(id).await?, who).await
    }

    /// A resident applies online for an item that allows it, with files for the materials; the station accepts
    /// it (预审) within a working day.
    async fn apply_online(&self, actor: &Actor, input: ApplicationInput) -> Result<ApplicationDetail> {
        let person = self.resident_person(actor).await?.ok_or_else(AppError::forbidden)?;
        let c = self.catalogue().await?;
        let item = self.active_item(&c, &input.item_code)?.clone();
        if !item.online {
            return Err(AppError::rule(
                "item_code",
                "该事项不能网上申请，请到社区便民服务站办理或预约 / this item cannot be applied for online; please come to the station",
            ));
        }
        if !input.received.is_empty() || !input.window.trim().is_empty() {
            return Err(AppError::field("received", "网上申请请上传材料 / online, upload the materials"));
        }
        let specs = item_materials(&item);
        let mut materials: Vec<AppMaterial> = specs
            .iter()
            .map(|m| AppMaterial {
                name: m.name.clone(),
                required: m.required,
                note: m.note.clone(),
                ..Default::default()
            })
            .collect();
        let claims = add_uploads(&mut materials, &input.materials)?;
        let missing: Vec<&str> =
            materials.iter().filter(|m| m.required && m.attachments.is_empty()).map(|m| m.name.as_str()).collect();
        if !missing.is_empty() {
            return Err(AppError::field(
                "materials",
                format!("请上传：{} / upload: {}", missing.join("、"), missing.join(", ")),
            ));
        }
        let note = text_block("note", &input.note, 1000)?;
        self.no_open_duplicate(person.id, &item.code).await?;
        let community = ancestor(&person.grid_code, RegionLevel::Community)
            .ok_or_else(|| AppError::internal(format!("grid {} without a community", person.grid_code)))?;
        let cal = self.event_reference().await?.calendar.clone();
        let now = now_ms();
        let due = rules::due_after(&cal, now, rules::ACCEPT_WITHIN_DAYS)
            .ok_or_else(|| AppError::internal("no working day within the calendar's horizon"))?;
        let mut row = ApplicationRow {
            item_code: item.code.clone(),
            department_code: item.department_code.clone(),
            person_id: person.id,
            applicant_name: person.name.clone(),
            applicant_user_id: Some(actor.user_id),
            grid_code: person.grid_code.clone(),
            community_code: community.clone(),
            channel: Channel::Online.as_str().into(),
            status: ApplicationStatus::Submitted.as_str().into(),
            materials: to_json(&materials)?,
            note,
            submitted_at: now,
            due_at: due,
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        row.tracking_no = tracking_no(&mut tx, &community, now).await?;
        let id = Store::insert_application(&mut tx, &row).await?;
        claim_uploads(&mut tx, &claims, id, &uploader_key(actor)).await?;
        let data = json!({ "channel": "online", "tracking_no": row.tracking_no });
        self.write_step(&mut tx, id, "submit", "", ApplicationStatus::Submitted.as_str(), actor, "", data).await?;
        if let Some(enc) = &person.phone_enc {
            let msg = format!(
                "【便民服务】已收到您网上申请的“{}”，受理编号{}，社区便民服务站将在1个工作日内预审。",
                item.name, row.tracking_no
            );
            Store::enqueue_message(&mut tx, "sms", enc, &msg, None).await?;
        }
        audit(&mut tx, actor, "application.submit", id, None, &row.grid_code).await?;
        tx.commit().await.map_err(StoreError::from)?;
        row.id = id;
        self.application_detail_of(&self.store.application(id).await?, Who { applicant: true, ..Default::default() })
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn write_step(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: i64,
        action: &str,
        from: &str,
        to: &str,
        actor: &Actor,
        note: &str,
        data: serde_json::Value,
    ) -> Result<()> {
        let step = StepRow {
            id: 0,
            action: action.into(),
            from_status: from.into(),
            to_status: to.into(),
            actor: if actor.display_name.is_empty() { actor.username.clone() } else { actor.display_name.clone() },
            at: now_ms(),
            note: note.into(),
            data: data.to_string(),
        };
        Store::insert_service_step(tx, id, &step).await?;
        Ok(())
    }

    /// Moves an application on (`domain::service::plan`): role first (403), then state (409), then the action's
    /// facts (400/422); the row under its version, the step, the notifications and the audit in one transaction.
    pub async fn act_on_application(
        &self,
        actor: &Actor,
        id: i64,
        input: ApplicationActionInput,
    ) -> Result<ApplicationDetail> {
        let (mut row, who) = self.application_for(actor, id).await?;
        let action = ApplicationAction::parse("action", input.action.trim())?;
        if input.version.is_some_and(|v| v != row.version) {
            return Err(stale());
        }
        let note = text_block("note", &input.note, 1000)?;
        let status = status_of(&row);
        let facts = Facts {
            has_note: !note.is_empty(),
            satisfaction: input.satisfaction,
            rated: row.rated_at.is_some(),
            resume_to: row.resume_to.as_deref().and_then(|s| ApplicationStatus::parse("status", s).ok()),
        };
        let next = rules::plan(who, action, status, &facts).map_err(|r| match r {
            Refusal::Role => AppError::forbidden(),
            Refusal::State(s) => AppError::conflict(format!(
                "办件当前为“{}”，不能{} / not possible while the application is {}",
                s.label_zh(),
                action.label_zh(),
                s.as_str()
            )),
            Refusal::Rule(field, msg) => AppError::field(field, msg),
        })?;
        let c = self.catalogue().await?;
        let item = c.item(&row.item_code).cloned().ok_or_else(|| AppError::internal("item gone"))?;
        let cal = self.event_reference().await?.calendar.clone();
        let now = now_ms();
        let mut materials = materials_of(&row);
        let specs = item_materials(&item);
        let mut claims = Vec::new();
        let mut data = json!({});
        let wants_files = matches!(action, ApplicationAction::Resubmit) && who.applicant && !who.front_desk;
        if !input.materials.is_empty() && !wants_files {
            return Err(AppError::field(
                "materials",
                "只有申请人补正时上传材料 / files are added by the applicant's 补正",
            ));
        }
        if !input.received.is_empty() && !matches!(action, ApplicationAction::Accept | ApplicationAction::Resubmit) {
            return Err(AppError::field(
                "received",
                "只有受理或补正时勾选材料 / materials are ticked at acceptance or 补正",
            ));
        }
        match action {
            ApplicationAction::Accept => {
                // 预审: what the resident uploaded counts as received unless the desk ticks otherwise.
                let ticked = known_names("received", &specs, &input.received)?;
                for m in &mut materials {
                    m.received = if ticked.is_empty() { !m.attachments.is_empty() } else { ticked.contains(&m.name) };
                }
                let got: Vec<String> = materials.iter().filter(|m| m.received).map(|m| m.name.clone()).collect();
                let missing = rules::missing_materials(&specs, &got);
                if !missing.is_empty() {
                    return Err(missing_rule("received", &missing));
                }
                row.first_user_id = Some(actor.user_id).filter(|u| *u > 0);
                row.first_username = actor.username.clone();
                row.first_name = actor.display_name.clone();
                row.window_label = text_field("window", &input.window, 20)?;
                row.accepted_at = Some(now);
                row.due_at = rules::due_after(&cal, now, item.time_limit_days as u32)
                    .ok_or_else(|| AppError::internal("no working day within the calendar's horizon"))?;
                row.warned_at = None;
                row.escalated_at = None;
                data["received"] = json!(got);
            }
            ApplicationAction::Handle => row.handler = actor.username.clone(),
            ApplicationAction::Supplement => {
                row.resume_to = Some(status.as_str().into());
                row.paused_at = Some(now);
            }
            ApplicationAction::Resubmit => {
                if wants_files {
                    claims = add_uploads(&mut materials, &input.materials)?;
                    if claims.is_empty() {
                        return Err(AppError::field("materials", "请上传补正的材料 / upload the missing materials"));
                    }
                } else {
                    for n in known_names("received", &specs, &input.received)? {
                        if let Some(m) = materials.iter_mut().find(|m| m.name == n) {
                            m.received = true;
                        }
                    }
                }
                if let Some(paused) = row.paused_at {
                    row.due_at = rules::resume_due(&cal, row.due_at, paused, now).unwrap_or(row.due_at);
                }
                row.paused_at = None;
                row.resume_to = None;
                data["due_at"] = json!(fmt(row.due_at));
            }
            ApplicationAction::Approve => row.decided_at = Some(now),
            ApplicationAction::Reject | ApplicationAction::Refuse => {
                row.decided_at = Some(now);
                row.result = note.clone();
            }
            ApplicationAction::Finish => row.result = note.clone(),
            ApplicationAction::Withdraw => row.result = note.clone(),
            ApplicationAction::Rate => {
                let s = input.satisfaction.unwrap_or(5);
                row.satisfaction = Some(s);
                row.rating_note = note.clone();
                row.rated_at = Some(now);
                data["satisfaction"] = json!(s);
            }
        }
        if next.is_final() && row.finished_at.is_none() {
            row.finished_at = Some(now);
        }
        row.materials = to_json(&materials)?;
        row.status = next.as_str().into();
        let mut tx = self.store.begin().await?;
        Store::save_application(&mut tx, &row, !next.is_final()).await.map_err(|e| match e {
            StoreError::Conflict(_) => stale(),
            e => e.into(),
        })?;
        claim_uploads(&mut tx, &claims, id, &uploader_key(actor)).await?;
        self.write_step(&mut tx, id, action.as_str(), status.as_str(), next.as_str(), actor, &note, data).await?;
        // 首问负责: whoever accepted it hears of every change made by someone else.
        if row.first_user_id != Some(actor.user_id) {
            let who_did = if actor.display_name.is_empty() { &actor.username } else { &actor.display_name };
            let body = format!(
                "办件 {} {}（{}）：{} {}{}",
                row.tracking_no,
                item.name,
                row.applicant_name,
                who_did,
                action.label_zh(),
                if note.is_empty() { String::new() } else { format!("：{note}") }
            );
            notify(&mut tx, row.first_user_id, &body, &format!("/services/applications/{id}")).await?;
        }
        if !who.applicant
            && let Some(msg) = applicant_message(action, &item.name, &row.tracking_no, &note)
            && let Some(enc) = self.store.person(row.person_id).await?.and_then(|p| p.phone_enc)
        {
            Store::enqueue_message(&mut tx, "sms", &enc, &msg, None).await?;
        }
        let reason = (!note.is_empty()).then_some(note.as_str());
        audit(&mut tx, actor, &format!("application.{}", action.as_str()), id, reason, &row.grid_code).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.application_detail(actor, id).await
    }

    /// Applications in the caller's reach: all (newest first), the caller's queue (what they may work now, most
    /// urgent first), those they accepted (首问), or those overdue.
    pub async fn list_applications(&self, actor: &Actor, q: ApplicationQuery<'_>) -> Result<Page<ApplicationView>> {
        self.authorize_anywhere(actor, Permission::ReadApplications)?;
        let mut scopes = read_scopes(actor);
        if let Some(r) = q.region.map(str::trim).filter(|r| !r.is_empty()) {
            self.authorize(actor, Permission::ReadApplications, r)?;
            scopes = Some(match scopes {
                None => vec![AppScope { root: r.to_string(), department: None }],
                Some(ss) => ss
                    .into_iter()
                    .filter_map(|s| {
                        if is_within(r, &s.root) {
                            Some(AppScope { root: r.to_string(), department: s.department })
                        } else if is_within(&s.root, r) {
                            Some(s)
                        } else {
                            None
                        }
                    })
                    .collect(),
            });
        }
        let mut f = ApplicationFilter { scopes, person_id: q.person_id, ..Default::default() };
        self.apply_common_filters(&mut f, q.status, q.item, q.tracking_no)?;
        let now = now_ms();
        match q.view.map(str::trim).filter(|v| !v.is_empty()) {
            None | Some("all") => {}
            Some("queue") => {
                f.by_due = true;
                f.open_only = true;
                let department_only = !actor.is_admin()
                    && actor
                        .grants
                        .iter()
                        .filter(|g| Permission::ReadApplications.granted_to(g.role))
                        .all(|g| g.role == Role::Department);
                if f.statuses.is_empty() {
                    f.statuses = if department_only {
                        vec!["accepted", "processing", "approved"]
                    } else {
                        vec!["submitted", "accepted", "processing", "approved"]
                    };
                }
                if !department_only && !actor.is_admin() {
                    // The station's desk: online applications to accept, and the items it handles itself.
                    f.station_queue = true;
                }
            }
            Some("mine") => f.first_user_id = Some(actor.user_id),
            Some("overdue") => {
                f.overdue_at = Some(now);
                f.by_due = true;
            }
            Some(v) => {
                return Err(AppError::field(
                    "view",
                    format!("应为 queue、mine、overdue 或 all / must be queue, mine, overdue or all: {v}"),
                ));
            }
        }
        self.application_page(f, q.cursor, q.limit, now).await
    }

    fn apply_common_filters(
        &self,
        f: &mut ApplicationFilter,
        status: Option<&str>,
        item: Option<&str>,
        tracking_no: Option<&str>,
    ) -> Result<()> {
        match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => {}
            Some("open") => f.open_only = true,
            Some(s) => f.statuses = vec![ApplicationStatus::parse("status", s)?.as_str()],
        }
        f.item_code = item.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        if let Some(t) = tracking_no.map(str::trim).filter(|s| !s.is_empty()) {
            if !rules::is_tracking_number(t) {
                return Err(AppError::field(
                    "tracking_no",
                    "受理编号格式不对，如 FW00100120261125 0001 / not a tracking number",
                ));
            }
            f.tracking_no = Some(t.to_ascii_uppercase());
        }
        Ok(())
    }

    async fn application_page(
        &self,
        f: ApplicationFilter,
        cursor: Option<&str>,
        limit: Option<i64>,
        now: i64,
    ) -> Result<Page<ApplicationView>> {
        let limit = paging::limit(limit)?;
        let after = match cursor.filter(|c| !c.is_empty()) {
            None => None,
            Some(c) if f.by_due => {
                let bad = || AppError::field("cursor", "无效的游标 / invalid cursor");
                let (d, i) = c.split_once('.').ok_or_else(bad)?;
                Some(AppCursor::Due(d.parse().map_err(|_| bad())?, i.parse().map_err(|_| bad())?))
            }
            Some(c) => paging::int_cursor(Some(c))?.map(AppCursor::Id),
        };
        let (rows, counted) = self.store.applications(&f, after, limit).await?;
        let c = self.catalogue().await?;
        let cal = self.event_reference().await?.calendar.clone();
        let keys: Vec<String> =
            rows.iter().map(|r| if f.by_due { format!("{}.{}", r.due_at, r.id) } else { r.id.to_string() }).collect();
        let items: Vec<ApplicationView> = rows.iter().map(|r| self.application_view(&c, &cal, r, now)).collect();
        let mut page = paging::capped_page(items, limit, counted, COUNT_CAP, |v| v.id.to_string());
        if page.next_cursor.is_some() {
            page.next_cursor = keys.last().cloned();
        }
        Ok(page)
    }

    /// The signed-in resident's own applications (as the applicant, at the window or online), newest first;
    /// `tracking_no` finds one by its number.
    pub async fn my_applications(
        &self,
        actor: &Actor,
        tracking_no: Option<&str>,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Page<ApplicationView>> {
        let person = self.resident_person(actor).await?.ok_or_else(|| AppError::not_found("resident"))?;
        let mut f = ApplicationFilter { person_id: Some(person.id), ..Default::default() };
        self.apply_common_filters(&mut f, None, None, tracking_no)?;
        self.application_page(f, cursor, limit, now_ms()).await
    }

    // ───────────── notifications ─────────────

    /// The caller's in-app notifications (办件动态), newest first.
    pub async fn notifications(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<NotificationPage> {
        let limit = paging::limit(limit)?;
        let before = paging::int_cursor(cursor)?;
        let (rows, unread) = self.store.notifications(actor.user_id, before, limit).await?;
        let (all, _) = self.store.notifications(actor.user_id, None, COUNT_CAP).await?;
        let next_cursor = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.id.to_string())).flatten();
        Ok(NotificationPage {
            items: rows
                .into_iter()
                .map(|r| NotificationView {
                    id: r.id,
                    at: fmt(r.at),
                    body: r.body,
                    link: r.link,
                    read: r.read_at.is_some(),
                })
                .collect(),
            next_cursor,
            total: all.len() as i64,
            unread,
        })
    }

    /// Marks the caller's notifications read (all, or up to one id). Only one's own.
    pub async fn read_notifications(&self, actor: &Actor, up_to: Option<i64>) -> Result<u64> {
        Ok(self.store.mark_notifications_read(actor.user_id, up_to).await?)
    }

    // ───────────── the server's sweep ─────────────

    /// Warns the first-responsible staff of applications with less than a working day left (临期预警) and escalates
    /// those past their deadline (超期督办): a step by the system and notifications to the first-responsible staff
    /// and the back-office handler. Called by the server loop; several servers may sweep at once — the version
    /// lets one record it. Returns (warned, escalated).
    pub async fn sweep_applications(&self) -> Result<(usize, usize)> {
        let cal = self.event_reference().await?.calendar.clone();
        let c = self.catalogue().await?;
        let now = now_ms();
        let mut warned = 0;
        for mut r in self.store.applications_due(now + 3 * DAY_MS, "warned_at", 200).await? {
            if !rules::due_soon(&cal, now, r.due_at) {
                continue;
            }
            r.warned_at = Some(now);
            let mut tx = self.store.begin().await?;
            match Store::save_application(&mut tx, &r, true).await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
            let body = format!(
                "临期提醒：办件 {} {}（{}）将于 {} 到期",
                r.tracking_no,
                c.item_name(&r.item_code),
                r.applicant_name,
                wangge_domain::event::calendar::format_cst(r.due_at)
            );
            notify(&mut tx, r.first_user_id, &body, &format!("/services/applications/{}", r.id)).await?;
            tx.commit().await.map_err(StoreError::from)?;
            warned += 1;
        }
        let mut escalated = 0;
        for mut r in self.store.applications_due(now, "escalated_at", 200).await? {
            r.escalated_at = Some(now);
            r.warned_at = r.warned_at.or(Some(now));
            let mut tx = self.store.begin().await?;
            match Store::save_application(&mut tx, &r, true).await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
            let step = StepRow {
                id: 0,
                action: "escalate".into(),
                from_status: r.status.clone(),
                to_status: r.status.clone(),
                actor: "system".into(),
                at: now,
                note: "超过办理时限，自动督办 / overdue, escalated automatically".into(),
                data: json!({ "due_at": fmt(r.due_at), "automatic": true }).to_string(),
            };
            Store::insert_service_step(&mut tx, r.id, &step).await?;
            let body = format!(
                "超期督办：办件 {} {}（{}）已超过办理时限（{}）",
                r.tracking_no,
                c.item_name(&r.item_code),
                r.applicant_name,
                wangge_domain::event::calendar::format_cst(r.due_at)
            );
            let link = format!("/services/applications/{}", r.id);
            notify(&mut tx, r.first_user_id, &body, &link).await?;
            if !r.handler.is_empty()
                && let Some(u) = self.store.user_by_name(&r.handler).await?
                && Some(u.id) != r.first_user_id
            {
                notify(&mut tx, Some(u.id), &body, &link).await?;
            }
            tx.commit().await.map_err(StoreError::from)?;
            escalated += 1;
        }
        Ok((warned, escalated))
    }

    // ───────────── statistics ─────────────

    /// Applications submitted in `[from, to]` (`YYYY-MM-DD`, default the last 30 days) in the caller's reach: by
    /// item, status, department, window, hour and weekday; 按时办结率, satisfaction. Counts only, no applicants.
    pub async fn service_stats(
        &self,
        actor: &Actor,
        region: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<ServiceStats> {
        self.authorize_anywhere(actor, Permission::ReadServiceStats)?;
        let scopes = match region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize(actor, Permission::ReadServiceStats, r)?;
                let dept = actor
                    .grants
                    .iter()
                    .filter(|g| g.role == Role::Department && is_within(r, &g.region_code))
                    .find_map(|g| g.department_code.clone());
                let narrow = !actor.is_admin()
                    && actor
                        .grants
                        .iter()
                        .filter(|g| Permission::ReadServiceStats.granted_to(g.role) && is_within(r, &g.region_code))
                        .all(|g| g.role == Role::Department);
                Some(vec![AppScope { root: r.to_string(), department: if narrow { dept } else { None } }])
            }
            None if actor.is_admin() => None,
            None => Some(
                actor
                    .grants
                    .iter()
                    .filter(|g| Permission::ReadServiceStats.granted_to(g.role))
                    .map(|g| AppScope {
                        root: g.region_code.clone(),
                        department: (g.role == Role::Department).then(|| g.department_code.clone().unwrap_or_default()),
                    })
                    .collect(),
            ),
        };
        let day_ms = |field: &str, s: Option<&str>| -> Result<Option<i64>> {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| crate::people::parse_date(field, s).map(cst_day_start_ms))
                .transpose()
        };
        let now = now_ms();
        let to_ms = day_ms("to", to)?.map(|t| t + DAY_MS).unwrap_or(cst_day_start_ms(cst_day(now)) + DAY_MS);
        let from_ms = day_ms("from", from)?.unwrap_or(to_ms - 30 * DAY_MS);
        if from_ms >= to_ms {
            return Err(AppError::field("from", "开始日期应早于结束日期 / from must be before to"));
        }
        if to_ms - from_ms > 3 * 366 * DAY_MS {
            return Err(AppError::field("from", "统计期间不能超过三年 / at most three years"));
        }
        let facts = self.store.service_facts(&scopes, from_ms, to_ms).await?;
        let c = self.catalogue().await?;
        let mut by_item: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
        let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
        let mut by_department: BTreeMap<String, i64> = BTreeMap::new();
        let mut by_window: BTreeMap<String, i64> = BTreeMap::new();
        let mut by_hour = vec![0i64; 24];
        let mut by_weekday = vec![0i64; 7];
        let mut ratings = vec![0i64; 5];
        let (mut completed, mut on_time, mut open, mut overdue, mut online) = (0, 0, 0, 0, 0);
        for f in &facts {
            let e = by_item.entry(f.item_code.clone()).or_default();
            e.0 += 1;
            *by_status.entry(f.status.clone()).or_default() += 1;
            *by_department.entry(f.department_code.clone().unwrap_or_default()).or_default() += 1;
            let status = ApplicationStatus::parse("status", &f.status).unwrap_or(ApplicationStatus::Submitted);
            if f.status == "completed" {
                completed += 1;
                e.1 += 1;
                if f.finished_at.is_some_and(|t| t <= f.due_at) {
                    on_time += 1;
                    e.2 += 1;
                }
            }
            if !status.is_final() {
                open += 1;
                if status.clock_runs() && f.due_at < now {
                    overdue += 1;
                }
            }
            if f.channel == "online" {
                online += 1;
            }
            if let Some(at) = f.accepted_at {
                let w = if !f.window_label.is_empty() { f.window_label.clone() } else { f.first_name.clone() };
                *by_window.entry(w).or_default() += 1;
                let _ = at;
            }
            let t = at_cst(f.submitted_at);
            use chrono::{Datelike, Timelike};
            by_hour[t.hour() as usize] += 1;
            by_weekday[t.weekday().num_days_from_monday() as usize] += 1;
            if let Some(s) = f.satisfaction.filter(|s| (1..=5).contains(s)) {
                ratings[(s - 1) as usize] += 1;
            }
        }
        let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
        let rated: i64 = ratings.iter().sum();
        let sum: i64 = ratings.iter().enumerate().map(|(i, n)| (i as i64 + 1) * n).sum();
        let counts = |m: BTreeMap<String, i64>, name: &dyn Fn(&str) -> String| {
            let mut v: Vec<CountBy> =
                m.into_iter().map(|(key, count)| CountBy { name: name(&key), key, count }).collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
            v
        };
        let mut items: Vec<ItemStats> = by_item
            .into_iter()
            .map(|(code, (count, done, ok))| ItemStats {
                name: c.item_name(&code),
                code,
                count,
                completed: done,
                on_time: ok,
                on_time_rate: ratio(ok, done),
            })
            .collect();
        items.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(&b.code)));
        Ok(ServiceStats {
            total: facts.len() as i64,
            completed,
            open,
            overdue,
            on_time_rate: ratio(on_time, completed),
            satisfaction: (rated > 0).then(|| (sum as f64 / rated as f64 * 100.0).round() / 100.0),
            rated,
            good_rate: ratio(ratings[3] + ratings[4], rated),
            satisfaction_counts: ratings,
            online_share: ratio(online, facts.len() as i64),
            by_item: items,
            by_status: counts(by_status, &|k| {
                ApplicationStatus::parse("status", k).map(|s| s.label_zh().to_string()).unwrap_or_default()
            }),
            by_department: counts(by_department, &|k| {
                if k.is_empty() {
                    "社区（站内办理）".to_string()
                } else {
                    c.department_name(k).unwrap_or_else(|| k.to_string())
                }
            }),
            by_window: counts(by_window, &|k| k.to_string()),
            by_hour,
            by_weekday,
        })
    }
}

fn stale() -> AppError {
    AppError::conflict("办件已被他人更新，请刷新 / the application changed meanwhile; reload it")
}

/// The next tracking number of the station's day, drawn in the writing transaction.
async fn tracking_no(tx: &mut Transaction<'static, Any>, community: &str, now: i64) -> Result<String> {
    let day = cst_day(now);
    let seq = Store::next_tracking_seq(tx, &rules::tracking_prefix(community, day)).await?;
    Ok(rules::tracking_number(community, day, seq))
}

async fn audit(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    action: &str,
    id: i64,
    reason: Option<&str>,
    grid: &str,
) -> Result<()> {
    Store::audit(
        tx,
        NewAudit {
            actor: &actor.username,
            action,
            object: &format!("application:{id}"),
            reason,
            region_code: Some(grid),
        },
    )
    .await?;
    Ok(())
}

/// Adds uploads to their materials; returns the (material index, attachment id) pairs to claim.
fn add_uploads(materials: &mut [AppMaterial], uploads: &[MaterialUpload]) -> Result<Vec<(usize, i64)>> {
    let mut claims = Vec::new();
    for (i, u) in uploads.iter().enumerate() {
        let name = u.name.trim();
        let Some(m) = materials.iter_mut().find(|m| m.name == name) else {
            return Err(AppError::field(
                &format!("materials[{i}].name"),
                format!("该事项没有这项材料 / not a material of this item: {name}"),
            ));
        };
        if u.attachments.len() > 10 {
            return Err(AppError::field(
                &format!("materials[{i}].attachments"),
                "每项材料最多10个文件 / at most 10 files",
            ));
        }
        for a in &u.attachments {
            if !m.attachments.contains(a) && !claims.iter().any(|(_, x)| x == a) {
                m.attachments.push(*a);
                claims.push((i, *a));
            }
        }
    }
    Ok(claims)
}

async fn claim_uploads(
    tx: &mut Transaction<'static, Any>,
    claims: &[(usize, i64)],
    application_id: i64,
    uploader: &str,
) -> Result<()> {
    for (i, a) in claims {
        Store::claim_attachment_for_application(tx, *a, application_id, uploader).await.map_err(|e| match e {
            StoreError::NotFound => AppError::field(
                &format!("materials[{i}].attachments"),
                format!("附件不存在、已使用或不是您上传的 / no such upload of yours: {a}"),
            ),
            e => e.into(),
        })?;
    }
    Ok(())
}

/// A step's name: an action's, or the first step (网上申请) or the system's 督办.
pub fn step_name(action: &str) -> &'static str {
    match action {
        "submit" => "网上申请",
        "escalate" => "超期督办",
        a => ApplicationAction::parse("action", a).map(|a| a.label_zh()).unwrap_or(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(dept: Option<&str>) -> ApplicationRow {
        ApplicationRow {
            grid_code: "33019900100101".into(),
            department_code: dept.map(str::to_string),
            ..Default::default()
        }
    }

    fn actor(grants: &[(Role, &str, Option<&str>)]) -> Actor {
        Actor {
            user_id: 7,
            username: "u".into(),
            display_name: "u".into(),
            grants: grants
                .iter()
                .map(|(r, c, d)| wangge_domain::scope::Grant {
                    role: *r,
                    region_code: c.to_string(),
                    department_code: d.map(str::to_string),
                })
                .collect(),
        }
    }

    #[test]
    fn the_back_office_is_the_items_department_or_the_station() {
        let dept = actor(&[(Role::Department, "330199", Some("minzheng"))]);
        assert!(who_for(&dept, &row(Some("minzheng")), false).back_office);
        assert!(!who_for(&dept, &row(Some("renshe")), false).back_office);
        assert!(!who_for(&dept, &row(None), false).back_office);
        assert!(!who_for(&dept, &row(Some("minzheng")), false).front_desk);
        let community = actor(&[(Role::Community, "330199001001", None)]);
        let w = who_for(&community, &row(None), false);
        assert!(w.back_office && w.front_desk);
        assert!(!who_for(&community, &row(Some("minzheng")), false).back_office);
        let elsewhere = actor(&[(Role::Community, "330199001002", None)]);
        assert_eq!(who_for(&elsewhere, &row(None), false), Who::default());
        let worker = actor(&[(Role::GridWorker, "33019900100101", None)]);
        let w = who_for(&worker, &row(None), false);
        assert!(w.front_desk && !w.back_office, "grid workers accept (代办), they do not decide");
    }

    #[test]
    fn departments_list_only_their_items() {
        let a = actor(&[(Role::Department, "330199", Some("minzheng")), (Role::Community, "330199001001", None)]);
        let s = read_scopes(&a).unwrap();
        assert_eq!(s.len(), 2);
        assert!(scope_covers(&s[0], &row(Some("minzheng"))) && !scope_covers(&s[0], &row(Some("renshe"))));
        assert!(scope_covers(&s[1], &row(Some("renshe"))));
        assert_eq!(read_scopes(&actor(&[(Role::Leader, "330199", None)])).unwrap(), vec![]);
    }

    #[test]
    fn uploads_go_to_their_material_once() {
        let mut m = vec![
            AppMaterial { name: "身份证".into(), required: true, ..Default::default() },
            AppMaterial { name: "户口簿".into(), required: false, ..Default::default() },
        ];
        let up = |n: &str, a: Vec<i64>| MaterialUpload { name: n.into(), attachments: a };
        let claims = add_uploads(&mut m, &[up("身份证", vec![1, 2]), up("户口簿", vec![2, 3])]).unwrap();
        assert_eq!(claims, vec![(0, 1), (0, 2), (1, 3)]);
        assert_eq!(add_uploads(&mut m, &[up("结婚证", vec![4])]).unwrap_err().field_name(), Some("materials[0].name"));
        assert!(applicant_message(ApplicationAction::Rate, "x", "y", "").is_none());
        assert!(
            applicant_message(ApplicationAction::Supplement, "居住证明", "FW1", "缺租赁合同")
                .unwrap()
                .contains("缺租赁合同")
        );
    }
}
