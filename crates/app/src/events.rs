//! Events use cases: report, act on the closed loop, read with the timeline, list, and the indicators.
//! Every decision about states and roles is `wangge_domain::event::workflow::plan`; this module loads the
//! event, asks, and writes the new row, the timeline entry, the rollups and the audit record in one
//! transaction (an acknowledged action is committed).

use crate::paging::{self, Page};
use crate::{App, AppError, ErrorKind, Result};
use chrono::{Datelike, TimeZone};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use wangge_domain::coord::{Crs, to_wgs84};
use wangge_domain::event::calendar::{DayKind, cst, format_cst};
use wangge_domain::event::category::{self as cat, route};
use wangge_domain::event::indicators::{Whose, on_time, person_changes, undo_close};
use wangge_domain::event::{
    Action, Card, Counts, Indicators, Level, Limit, Limits, MergeRefusal, PersonCounts, PersonIndicators, Refusal,
    Relation, RoutingRule, Source, Stage, Status, Triage, WorkCalendar,
};
use wangge_domain::role::{Permission, Role};
use wangge_domain::scope::Actor;
use wangge_store::events::{CategoryRow, EventFilter, EventRow, NewAction, ReportCount, StatsDelta};
use wangge_store::group_commit::{BatchWrite, BoxFuture, Tx};
use wangge_store::{Store, StoreError, audit::NewAudit, now_ms};

/// Reference data read on every report and action, cached briefly so ingest does not re-read it.
#[derive(Default)]
pub struct Caches {
    reference: RwLock<Option<(Instant, Arc<Reference>)>>,
}

/// Categories, routing rules and the calendar as one snapshot.
pub struct Reference {
    pub categories: Vec<Category>,
    by_code: HashMap<String, usize>,
    pub rules: Vec<RoutingRule>,
    pub calendar: WorkCalendar,
}

impl Reference {
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.by_code.get(code).map(|i| &self.categories[*i])
    }
}

const REFERENCE_TTL: Duration = Duration::from_secs(5);

/// A category as the app uses it: limits parsed, fields as JSON.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Category {
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    pub name_en: String,
    pub department_code: String,
    pub triage: String,
    /// Stage → limit code: "4h" working hours, "5d" working days, "24n" natural hours.
    #[schema(value_type = Object)]
    pub limits: Map<String, Value>,
    /// Extra fields asked when reporting (Open311 attributes).
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<Value>,
    pub active: bool,
    #[serde(skip)]
    pub parsed_limits: Limits,
}

fn category_from_row(r: CategoryRow) -> Category {
    let limits: Map<String, Value> = serde_json::from_str(&r.limits).unwrap_or_default();
    let handle = limits.get("handle").and_then(Value::as_str).and_then(Limit::parse).unwrap_or(Limit::WorkingDays(5));
    let mut parsed = Limits::with_handle(handle);
    for s in Stage::ALL {
        if let Some(l) = limits.get(s.as_str()).and_then(Value::as_str).and_then(Limit::parse) {
            parsed.set(s, l);
        }
    }
    Category {
        code: r.code,
        parent_code: r.parent_code,
        name: r.name,
        name_en: r.name_en,
        department_code: r.department_code,
        triage: r.triage,
        limits,
        fields: serde_json::from_str(&r.fields).unwrap_or_default(),
        active: r.active,
        parsed_limits: parsed,
    }
}

/// A category's limits as stored: stage → limit code.
pub(crate) fn limits_json(l: &Limits) -> String {
    let m: Map<String, Value> =
        Stage::ALL.iter().map(|s| (s.as_str().to_string(), Value::from(l.get(*s).code()))).collect();
    Value::Object(m).to_string()
}

/// The seeded categories as rows (used at first start and by tests).
pub fn seed_category_rows() -> Vec<CategoryRow> {
    cat::SEEDS
        .iter()
        .map(|s| {
            let handle = Limit::parse(s.handle).expect("seeded limits parse");
            let fields = match s.code {
                "E0503" => r#"[{"code":"plate","name":"车牌号","name_en":"Plate number","datatype":"string","required":false}]"#,
                "B0103" => r#"[{"code":"lamp_no","name":"灯杆编号","name_en":"Lamp post number","datatype":"string","required":false}]"#,
                _ => "[]",
            };
            CategoryRow {
                code: s.code.into(),
                parent_code: cat::parent_code(s.code).map(str::to_string),
                name: s.name.into(),
                name_en: s.name_en.into(),
                department_code: s.department.into(),
                triage: s.triage.as_str().into(),
                limits: limits_json(&Limits::with_handle(handle)),
                fields: fields.into(),
                active: true,
            }
        })
        .collect()
}

/// China-time day and month of an instant, for the rollups.
pub(crate) fn day_month(ms: i64) -> (String, String) {
    let t = wangge_domain::event::calendar::at_cst(ms);
    (t.format("%Y-%m-%d").to_string(), format!("{:04}-{:02}", t.year(), t.month()))
}

/// Everything a report writes: the event, its first timeline entry, attachments, rollups, the tracking
/// message and the audit record. Written by [`ReportBatch`].
pub struct ReportWrite {
    row: EventRow,
    route_data: String,
    actor_name: String,
    actor_role: String,
    attachments: Vec<i64>,
    /// Only uploads by this uploader can be attached (see `crate::attachments::uploader_key`).
    uploader: String,
    day: String,
    month: String,
    /// Channel, encrypted recipient and tracking path of the message telling a public reporter their link.
    message: Option<(&'static str, String, String)>,
}

/// Reports are written many at a time (group commit, `wangge_store::group_commit`): one statement per table
/// for a whole batch of them, each report's id in the order given.
pub struct ReportBatch;

impl BatchWrite for ReportBatch {
    type Item = ReportWrite;
    type Out = i64;
    type Error = AppError;

    fn write_all<'a>(&'a self, items: &'a [ReportWrite], tx: &'a mut Tx) -> BoxFuture<'a, Result<Vec<i64>>> {
        Box::pin(write_reports(items, tx))
    }
}

async fn write_reports(items: &[ReportWrite], tx: &mut Tx) -> Result<Vec<i64>> {
    let rows: Vec<&EventRow> = items.iter().map(|w| &w.row).collect();
    let ids = Store::insert_events(tx, &rows).await?;
    let actions: Vec<NewAction> = items
        .iter()
        .zip(&ids)
        .map(|(w, id)| NewAction {
            event_id: *id,
            action: Action::Report.as_str(),
            from_status: "",
            to_status: Status::Reported.as_str(),
            actor: &w.actor_name,
            actor_role: &w.actor_role,
            note: "",
            data: &w.route_data,
        })
        .collect();
    let action_ids = Store::insert_actions(tx, &actions).await?;
    for ((w, id), action_id) in items.iter().zip(&ids).zip(&action_ids) {
        link_attachments(tx, &w.attachments, *id, *action_id, &w.uploader).await?;
        if let Some((channel, enc, path)) = &w.message {
            let body = format!("您反映的问题已受理登记，编号 {id}。查询进度：{path}");
            Store::enqueue_message(tx, channel, enc, &body, Some(*id)).await?;
        }
    }
    let counts: Vec<ReportCount> = items
        .iter()
        .map(|w| ReportCount {
            grid_code: &w.row.grid_code,
            day: &w.day,
            month: &w.month,
            category: &w.row.category_code,
            // Person rollup (GB/T 30428.4 上报数): only a signed-in reporter is a person (not the system actor, 0).
            user_id: w.row.reporter_user_id.filter(|u| *u > 0),
        })
        .collect();
    Store::count_reports(tx, &counts).await?;
    let objects: Vec<String> = ids.iter().map(|id| format!("event:{id}")).collect();
    let audits: Vec<NewAudit> = items
        .iter()
        .zip(&objects)
        .map(|(w, object)| NewAudit {
            actor: &w.actor_name,
            action: "event.report",
            object,
            reason: None,
            region_code: Some(&w.row.grid_code),
        })
        .collect();
    Store::audit_many(tx, &audits).await?;
    Ok(ids)
}

/// Attaches uploaded files (at most 9) to an event's timeline entry.
async fn link_attachments(tx: &mut Tx, ids: &[i64], event_id: i64, action_id: i64, uploader: &str) -> Result<()> {
    if ids.len() > 9 {
        return Err(AppError::field("attachments", "最多9个附件 / at most 9 attachments"));
    }
    for id in ids {
        Store::claim_attachment(tx, *id, event_id, action_id, uploader).await.map_err(|e| match e {
            StoreError::NotFound => {
                AppError::field("attachments", format!("附件不存在或已使用 / unknown or used attachment: {id}"))
            }
            e => e.into(),
        })?;
    }
    Ok(())
}

/// Who reports: a signed-in user, a member of the public on the report page, or a client application.
pub enum Reporter<'a> {
    User(&'a Actor),
    Public {
        name: String,
        contact: String,
        anonymous: bool,
        /// Whose uploads the report may attach ([`crate::attachments::public_uploader_key`] of the browser).
        uploader: String,
        /// A signed-in resident's account: the report is also theirs (listed on their page, rated from it).
        account: Option<i64>,
    },
    /// A client application (`name` is the API key's); `reporter_name` and `contact` (a valid phone or e-mail,
    /// or empty) are the person it reports for, kept for staff only.
    Client {
        name: String,
        reporter_name: String,
        contact: String,
    },
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ReportInput {
    pub category: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// wgs84 (default), gcj02 or bd09.
    pub crs: Option<String>,
    /// When given, must agree with the point (or stands alone without a point).
    pub grid_code: Option<String>,
    pub source: Option<String>,
    #[serde(default)]
    pub address: String,
    /// Extra fields of the category.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    /// Attachment ids uploaded before (POST /api/v1/attachments).
    #[serde(default)]
    pub attachments: Vec<i64>,
    /// Refuse with 409 and the candidates when a likely duplicate exists (the report forms set this).
    #[serde(default)]
    pub check_duplicates: bool,
    /// A client's own id (Open311 `service_request_id` of another system, hotline ticket number).
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reported {
    pub id: i64,
    pub grid_code: String,
    pub status: String,
    pub due_at: Option<String>,
    pub due_at_ms: Option<i64>,
    /// Only for public reports: the tracking token, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Open events of the same category nearby (a hint; the event was still created).
    pub possible_duplicates: Vec<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ActionInput {
    pub action: String,
    #[serde(default)]
    pub note: String,
    /// dispatch: the department (lead) …
    pub department: Option<String>,
    /// … and any further departments working with it.
    #[serde(default)]
    pub departments: Vec<String>,
    /// postpone: extra working hours requested (department) or granted (approver).
    pub hours: Option<i64>,
    /// postpone by an approver: false refuses a pending request.
    pub approve: Option<bool>,
    /// supervise: normal | yellow | red.
    pub card: Option<String>,
    /// evaluate: 1–5.
    pub satisfaction: Option<i64>,
    #[serde(default)]
    pub attachments: Vec<i64>,
    /// The version the caller saw; when given and stale, 409.
    pub version: Option<i64>,
    /// merge: the id of the event this duplicate is merged into.
    pub into: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub id: i64,
    pub at: String,
    pub at_ms: i64,
    pub action: String,
    pub action_label: String,
    pub from_status: String,
    pub to_status: String,
    pub actor: String,
    pub note: String,
    #[schema(value_type = Object)]
    pub data: Value,
    pub attachments: Vec<AttachmentView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub url: String,
    pub thumb_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub id: i64,
    pub version: i64,
    pub grid_code: String,
    pub category: String,
    pub category_name: String,
    pub description: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub source: String,
    pub status: String,
    pub status_label: String,
    pub triage: String,
    pub level: String,
    pub departments: Vec<String>,
    pub reporter: Option<String>,
    pub reporter_contact: Option<String>,
    pub reported_at: String,
    pub reported_at_ms: i64,
    pub due_at: Option<String>,
    pub due_at_ms: Option<i64>,
    pub stage_due_at: Option<String>,
    pub stage_due_at_ms: Option<i64>,
    pub overdue: bool,
    pub closed_at: Option<String>,
    pub card: String,
    pub rework_count: i64,
    pub postponed_hours: i64,
    pub pending_postpone_hours: Option<i64>,
    pub satisfaction: Option<i64>,
    #[schema(value_type = Object)]
    pub attributes: Value,
    /// Actions the caller may take now.
    pub actions: Vec<String>,
    /// A duplicate merged into another event (its status is then `voided`): that event's id.
    pub merged_into: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventDetail {
    #[serde(flatten)]
    pub event: EventView,
    pub timeline: Vec<TimelineEntry>,
    pub attachments: Vec<AttachmentView>,
    /// The duplicates merged into this event.
    pub merged_from: Vec<i64>,
    /// For a merged duplicate: the progress of the event its reporter now follows (the end of the chain when
    /// that one was merged on in turn).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_target: Option<MergedTarget>,
}

/// What anyone who may see a merged duplicate — its reporter on the tracking page included — sees of the event
/// it went into: how far it got. Nothing its own reporter wrote (description, address, photos), no notes and
/// no staff names, since those were never meant for this reader.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MergedTarget {
    pub id: i64,
    pub category: String,
    pub category_name: String,
    pub status: String,
    pub status_label: String,
    pub reported_at: String,
    pub closed_at: Option<String>,
    pub timeline: Vec<PublicStep>,
}

/// One step of a [`MergedTarget`]'s timeline: when, what, and the role (not the name) of who did it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicStep {
    pub at: String,
    pub at_ms: i64,
    pub action: String,
    pub action_label: String,
    pub to_status: String,
    pub actor: String,
}

/// How far [`App::detail_of`] follows duplicates merged on into further events; a merge needs an unmerged
/// target, so real chains are short and this only bounds the reads.
const MERGE_CHAIN_LIMIT: usize = 8;

#[derive(Debug, Clone, Default)]
pub struct EventQuery<'a> {
    pub region: Option<&'a str>,
    pub status: Option<&'a str>,
    pub category: Option<&'a str>,
    pub department: Option<&'a str>,
    /// "overdue" | "mine" (reported by me) | "queue" (dispatched to my departments)
    pub view: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub limit: Option<i64>,
    pub cursor: Option<&'a str>,
}

/// Postponements are asked and granted in whole working hours, at most a month of them.
const MAX_POSTPONE_HOURS: i64 = 160;

fn opt_time(ms: Option<i64>) -> Option<String> {
    ms.map(format_cst)
}

/// Parses a date 'YYYY-MM-DD' (China time) into the first or last millisecond of that day.
fn day_bound(field: &str, s: &str, end: bool) -> Result<i64> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::field(field, "日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD"))?;
    let t = if end { d.and_hms_milli_opt(23, 59, 59, 999) } else { d.and_hms_opt(0, 0, 0) }.expect("valid time");
    Ok(cst().from_local_datetime(&t).single().map(|t| t.timestamp_millis()).unwrap_or(0))
}

impl App {
    /// Categories, routing rules and calendar, at most a few seconds old.
    pub async fn event_reference(&self) -> Result<Arc<Reference>> {
        if let Some((at, r)) = self.event_caches.reference.read().unwrap_or_else(|p| p.into_inner()).as_ref()
            && at.elapsed() < REFERENCE_TTL
        {
            return Ok(r.clone());
        }
        let categories: Vec<Category> =
            self.store.event_categories().await?.into_iter().map(category_from_row).collect();
        let by_code = categories.iter().enumerate().map(|(i, c)| (c.code.clone(), i)).collect();
        let rules = self
            .store
            .routing_rules()
            .await?
            .into_iter()
            .map(|(id, c, r, d, t)| RoutingRule {
                id,
                category_prefix: c,
                region_prefix: r,
                departments: d.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                triage: Triage::parse(&t).unwrap_or(Triage::General),
            })
            .collect();
        let calendar = self.work_calendar().await?;
        let r = Arc::new(Reference { categories, by_code, rules, calendar });
        *self.event_caches.reference.write().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), r.clone()));
        Ok(r)
    }

    /// Drops the cached reference data after an admin edit in this process.
    pub fn forget_event_reference(&self) {
        *self.event_caches.reference.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    async fn work_calendar(&self) -> Result<WorkCalendar> {
        let days = self.store.calendar_days().await?;
        let default = WorkCalendar::default();
        let periods = match self.store.setting("calendar.periods").await? {
            Some(p) => parse_periods(&p).unwrap_or_else(|_| default.periods().to_vec()),
            None => default.periods().to_vec(),
        };
        let mut map: std::collections::BTreeMap<chrono::NaiveDate, DayKind> = default.exceptions().collect();
        for (day, kind, _) in days {
            if let (Ok(d), Some(k)) = (chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d"), DayKind::parse(&kind)) {
                map.insert(d, k);
            }
        }
        WorkCalendar::new(periods, map).map_err(AppError::internal)
    }

    /// Seeds the categories when there are none (first start). Safe to call at every start.
    pub async fn ensure_event_categories(&self) -> Result<()> {
        if !self.store.event_categories().await?.is_empty() {
            return Ok(());
        }
        let mut tx = self.store.begin().await?;
        for c in seed_category_rows() {
            Store::upsert_category(&mut tx, &c).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        self.forget_event_reference();
        Ok(())
    }

    /// Reports an event: validated, placed in its grid, routed, given its deadline and committed before the
    /// answer, so a 201 is never lost.
    pub async fn report_event(&self, reporter: Reporter<'_>, input: ReportInput) -> Result<Reported> {
        let reference = self.event_reference().await?;
        let category = reference.category(input.category.trim()).filter(|c| c.active).ok_or_else(|| {
            AppError::field("category", format!("未知的事件类别 / unknown category: {}", input.category))
        })?;
        let description = wangge_domain::event::check_description(&input.description)?;
        let address = input.address.trim().to_string();
        if address.chars().count() > 200 {
            return Err(AppError::field("address", "地址不能超过200字 / at most 200 characters"));
        }
        let attributes = check_attributes(category, &input.attributes)?;
        let source = match input.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Source::parse(s).ok_or_else(|| {
                AppError::field(
                    "source",
                    "应为 grid_worker、resident、hotline、staff、patrol、open311 或 api / unknown source",
                )
            })?,
            None => match &reporter {
                Reporter::User(a) if a.has_role(Role::GridWorker) => Source::GridWorker,
                Reporter::User(_) => Source::Staff,
                Reporter::Public { .. } => Source::Resident,
                Reporter::Client { .. } => Source::Api,
            },
        };
        let (lat, lon, grid_code) = self.place_event(&reporter, &input)?;
        if let Reporter::User(actor) = &reporter {
            self.authorize(actor, Permission::ReportEvents, &grid_code)?;
        }
        if let Some(e) = &input.external_id
            && (e.trim().is_empty() || e.len() > 64)
        {
            return Err(AppError::field("external_id", "应为1到64个字符 / 1 to 64 characters"));
        }
        // Likely duplicates: same category, open, within the configured distance and hours.
        let since = now_ms() - self.config.duplicate_hours * 3_600_000;
        let near = self
            .store
            .open_events_near(&category.code, since, wangge_domain::event::bbox(lat, lon, self.config.duplicate_metres))
            .await?;
        let duplicates: Vec<i64> = near
            .iter()
            .filter(|(_, la, lo)| wangge_domain::event::distance_m(lat, lon, *la, *lo) <= self.config.duplicate_metres)
            .map(|(id, ..)| *id)
            .collect();
        if input.check_duplicates && !duplicates.is_empty() {
            return Err(AppError::conflict(format!(
                "附近已有同类未办结事件 / a similar open event exists nearby: {}",
                duplicates.iter().map(|d| format!("#{d}")).collect::<Vec<_>>().join(", ")
            ))
            .with_details(serde_json::json!({ "duplicates": duplicates })));
        }

        let now = now_ms();
        let route = route(
            &reference.rules,
            &category.code,
            &grid_code,
            &category.department_code,
            Triage::parse(&category.triage).unwrap_or(Triage::General),
        );
        let cal = &reference.calendar;
        let limits = category.parsed_limits;
        let total = Stage::ALL.iter().try_fold(now, |t, s| limits.get(*s).due(cal, t));
        let stage_due = limits.get(Stage::Accept).due(cal, now);
        let (reporter_user_id, reporter_name, contact, anonymous, actor_name, actor_role) = match &reporter {
            Reporter::User(a) => {
                (Some(a.user_id), a.display_name.clone(), String::new(), false, a.username.clone(), primary_role(a))
            }
            Reporter::Public { name, contact, anonymous, account, .. } => {
                let name = name.trim().chars().take(50).collect::<String>();
                (
                    *account,
                    if *anonymous { String::new() } else { name },
                    contact.trim().to_string(),
                    *anonymous,
                    "公众".into(),
                    "public".into(),
                )
            }
            Reporter::Client { name, reporter_name, contact } => (
                None,
                reporter_name.trim().chars().take(50).collect::<String>(),
                contact.trim().to_string(),
                false,
                format!("client:{name}"),
                "client".into(),
            ),
        };
        let (contact_enc, contact_masked) = if contact.is_empty() {
            (None, None)
        } else {
            let masked = mask_contact(&contact)?;
            (Some(self.crypto.encrypt(&contact)), Some(masked))
        };
        let token = matches!(reporter, Reporter::Public { .. }).then(new_token);
        let row = EventRow {
            grid_code: grid_code.clone(),
            category_code: category.code.clone(),
            description,
            address,
            lat,
            lon,
            source: source.as_str().into(),
            status: Status::Reported.as_str().into(),
            version: 1,
            triage: route.triage.as_str().into(),
            level: if route.triage == Triage::OnSite { Level::Grid } else { route.level }.as_str().into(),
            lead_department: route.departments.first().cloned().unwrap_or_default(),
            reporter_user_id,
            reporter_name,
            reporter_contact_enc: contact_enc.clone(),
            reporter_contact_masked: contact_masked,
            anonymous,
            token_hash: token.as_deref().map(token_hash),
            external_id: input.external_id.clone(),
            attributes: Value::Object(attributes).to_string(),
            reported_at: now,
            updated_at: now,
            due_at: total,
            stage_due_at: stage_due,
            ..EventRow::default()
        };
        let (day, month) = day_month(now);
        let message = match (contact_enc, &token) {
            (Some(enc), Some(t)) => {
                Some((if contact.contains('@') { "email" } else { "sms" }, enc, format!("/track/{t}")))
            }
            _ => None,
        };
        let write = ReportWrite {
            row,
            route_data: serde_json::json!({ "route": route, "source": source.as_str() }).to_string(),
            actor_name,
            actor_role,
            attachments: input.attachments.clone(),
            uploader: match &reporter {
                Reporter::User(a) => crate::attachments::uploader_key(a),
                Reporter::Public { uploader, .. } => uploader.clone(),
                Reporter::Client { name, .. } => format!("client:{name}"),
            },
            day,
            month,
            message,
        };
        // Group commit: this report may share its transaction with others arriving at the same moment; the
        // answer still comes only after that transaction committed.
        let id = self.reports.write(write).await?;
        Ok(Reported {
            id,
            grid_code,
            status: Status::Reported.as_str().into(),
            due_at: opt_time(total),
            due_at_ms: total,
            token,
            possible_duplicates: duplicates,
        })
    }

    /// The point in WGS-84 and its grid: from coordinates (converted from `crs`), or from a grid code alone
    /// (the grid's centre stands in for the point).
    fn place_event(&self, reporter: &Reporter<'_>, input: &ReportInput) -> Result<(f64, f64, String)> {
        let given = input.grid_code.as_deref().map(str::trim).filter(|g| !g.is_empty());
        match (input.lat, input.lon) {
            (Some(lat), Some(lon)) => {
                let crs = match input.crs.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
                    None => Crs::Wgs84,
                    Some(c) => Crs::parse(c).ok_or_else(|| {
                        AppError::field("crs", "应为 wgs84、gcj02 或 bd09 / must be wgs84, gcj02 or bd09")
                    })?,
                };
                wangge_domain::coord::validate_lon_lat(lon, lat)?;
                let (x, y) = to_wgs84(crs, lon, lat);
                let loc = self.locator();
                let code = loc
                    .locate(x, y)
                    .map(str::to_string)
                    .ok_or_else(|| AppError::rule("lat", "该位置不在任何网格内 / the point is not inside any grid"))?;
                if let Some(g) = given
                    && g != code
                {
                    return Err(AppError::field(
                        "grid_code",
                        format!("与坐标所在网格 {code} 不一致 / does not match the grid at the point ({code})"),
                    ));
                }
                if let Reporter::User(a) = reporter
                    && !a.may(Permission::ReadRegions, &code)
                {
                    return Err(AppError::rule("lat", "该位置不在您的辖区内 / the point is outside your area"));
                }
                Ok((y, x, code))
            }
            (None, None) => {
                let g = given.ok_or_else(|| AppError::field("lat", "请提供位置 / give lat and lon or grid_code"))?;
                let loc = self.locator();
                let (x, y) = loc
                    .centre(g)
                    .ok_or_else(|| AppError::field("grid_code", format!("网格不存在 / no such grid: {g}")))?;
                if let Reporter::User(a) = reporter
                    && !a.may(Permission::ReadRegions, g)
                {
                    return Err(AppError::field("grid_code", format!("网格不存在 / no such grid: {g}")));
                }
                Ok((y, x, g.to_string()))
            }
            (None, Some(_)) => Err(AppError::field("lat", "缺少纬度 / lat is missing")),
            (Some(_), None) => Err(AppError::field("lon", "缺少经度 / lon is missing")),
        }
    }

    /// Can the actor see this event? Staff by scope; departments only what is dispatched to them; the
    /// reporter always. Anything else is 404, so nobody learns it exists.
    async fn readable_event(&self, actor: &Actor, id: i64) -> Result<(EventRow, Vec<String>)> {
        let e = self.store.event(id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::not_found("event"),
            e => e.into(),
        })?;
        let depts = self.store.event_departments(id).await?;
        if can_read(actor, &e, &depts) { Ok((e, depts)) } else { Err(AppError::not_found("event")) }
    }

    pub async fn event_detail(&self, actor: &Actor, id: i64) -> Result<EventDetail> {
        let (e, depts) = self.readable_event(actor, id).await?;
        // A resident reading their own report sees what the public tracking page shows: roles, not staff names.
        let staff = actor.may_somewhere(Permission::ReadEvents);
        self.detail_of(staff.then_some(actor), e, depts).await
    }

    async fn detail_of(&self, actor: Option<&Actor>, e: EventRow, depts: Vec<String>) -> Result<EventDetail> {
        let reference = self.event_reference().await?;
        let attachments = self.store.attachments(e.id).await?;
        let timeline: Vec<TimelineEntry> = self
            .store
            .timeline(e.id)
            .await?
            .into_iter()
            .map(|a| TimelineEntry {
                id: a.id,
                at: format_cst(a.at),
                at_ms: a.at,
                action_label: Action::parse(&a.action)
                    .map(|x| x.label_zh().to_string())
                    .unwrap_or_else(|| a.action.clone()),
                action: a.action,
                from_status: a.from_status,
                to_status: a.to_status,
                // The public never sees staff names, only their role (actor names stay for staff).
                actor: if actor.is_some() { a.actor } else { role_label(&a.actor_role) },
                note: a.note,
                data: serde_json::from_str(&a.data).unwrap_or(Value::Null),
                attachments: attachments
                    .iter()
                    .filter(|x| x.action_id == Some(a.id))
                    .map(crate::attachments::view)
                    .collect(),
            })
            .collect();
        // Each merge writes a `merge` row with `{"from": id}` on its target in the same transaction as the
        // duplicate's `merged_into`, so the timeline is the list (and needs no index on `merged_into`).
        let merged_from = timeline
            .iter()
            .filter(|t| t.action == Action::Merge.as_str())
            .filter_map(|t| t.data.get("from").and_then(Value::as_i64))
            .collect();
        let merged_target = match e.merged_into {
            Some(into) => self.merged_target(&reference, into).await?,
            None => None,
        };
        let view = self.view_of(actor, &reference, e, depts);
        Ok(EventDetail {
            event: view,
            timeline,
            attachments: attachments.iter().map(crate::attachments::view).collect(),
            merged_from,
            merged_target,
        })
    }

    /// The event a merged duplicate now follows, at the end of the chain of merges, in public-safe terms.
    async fn merged_target(&self, reference: &Reference, into: i64) -> Result<Option<MergedTarget>> {
        let mut t = match self.store.event(into).await {
            Ok(t) => t,
            Err(StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        for _ in 0..MERGE_CHAIN_LIMIT {
            let Some(next) = t.merged_into else { break };
            match self.store.event(next).await {
                Ok(n) => t = n,
                Err(StoreError::NotFound) => break,
                Err(e) => return Err(e.into()),
            }
        }
        let status = Status::parse(&t.status).unwrap_or(Status::Reported);
        let timeline = self
            .store
            .timeline(t.id)
            .await?
            .into_iter()
            .map(|a| PublicStep {
                at: format_cst(a.at),
                at_ms: a.at,
                action_label: Action::parse(&a.action)
                    .map(|x| x.label_zh().to_string())
                    .unwrap_or_else(|| a.action.clone()),
                action: a.action,
                to_status: a.to_status,
                actor: role_label(&a.actor_role),
            })
            .collect();
        Ok(Some(MergedTarget {
            id: t.id,
            category_name: reference.category(&t.category_code).map(|c| c.name.clone()).unwrap_or_default(),
            category: t.category_code,
            status: status.as_str().into(),
            status_label: status.label_zh().into(),
            reported_at: format_cst(t.reported_at),
            closed_at: opt_time(t.closed_at),
            timeline,
        }))
    }

    /// Events the duplicate `id` could be merged into, for the merge form: open events of the same category
    /// within the duplicate distance and hours of it (as the report's own check finds them), that the caller
    /// may merge into. Oldest first: the first report is the one the others usually repeat.
    pub async fn merge_candidates(&self, actor: &Actor, id: i64) -> Result<Vec<EventView>> {
        let (e, _) = self.readable_event(actor, id).await?;
        let since = e.reported_at - self.config.duplicate_hours * 3_600_000;
        let metres = self.config.duplicate_metres;
        let near =
            self.store.events_near(&e.category_code, since, wangge_domain::event::bbox(e.lat, e.lon, metres)).await?;
        let reference = self.event_reference().await?;
        let mut out = Vec::new();
        for c in near {
            if c.id == e.id || wangge_domain::event::distance_m(e.lat, e.lon, c.lat, c.lon) > metres {
                continue;
            }
            let depts = self.store.event_departments(c.id).await?;
            if may_merge_into(actor, &c, &depts) {
                out.push(self.view_of(Some(actor), &reference, c, depts));
            }
        }
        out.sort_by_key(|c| c.id);
        Ok(out)
    }

    /// The target of a merge, checked: it exists for the caller and lies where they may merge (else 404, as
    /// for any event outside their scope), and the workflow accepts it (else 422 or 409 naming why).
    async fn merge_target(&self, actor: &Actor, dup: &EventRow, into: Option<i64>) -> Result<EventRow> {
        let into =
            into.ok_or_else(|| AppError::field("into", "请填写要合并到的事件编号 / give the event to merge into"))?;
        if into <= 0 {
            return Err(AppError::field("into", "事件编号应为正整数 / must be an event number"));
        }
        let missing = || {
            field_error(
                ErrorKind::NotFound,
                "into",
                format!("事件 #{into} 不存在或无权查看 / event #{into} not found"),
                serde_json::json!({}),
            )
        };
        let (t, depts) = self.readable_event(actor, into).await.map_err(|e| match e.kind {
            ErrorKind::NotFound => missing(),
            _ => e,
        })?;
        if t.id != dup.id && !may_merge_into(actor, &t, &depts) {
            return Err(missing());
        }
        let status = Status::parse(&t.status).unwrap_or(Status::Reported);
        match wangge_domain::event::workflow::merge_target(dup.id, t.id, status, t.merged_into) {
            Ok(()) => Ok(t),
            Err(MergeRefusal::Itself) => {
                Err(AppError::rule("into", "不能合并到事件自身 / an event cannot be merged into itself"))
            }
            Err(MergeRefusal::Merged(m)) => Err(field_error(
                ErrorKind::Conflict,
                "into",
                format!("事件 #{into} 已合并至 #{m}，请合并至 #{m} / event #{into} was merged into #{m}; use #{m}"),
                serde_json::json!({ "merged_into": m }),
            )),
            Err(MergeRefusal::Finished(s)) => Err(field_error(
                ErrorKind::Conflict,
                "into",
                format!(
                    "事件 #{into} 已{}，不能再合并 / event #{into} is {}; merge into an open event",
                    s.label_zh(),
                    s.as_str()
                ),
                serde_json::json!({ "status": s.as_str() }),
            )),
        }
    }

    fn view_of(&self, actor: Option<&Actor>, reference: &Reference, e: EventRow, depts: Vec<String>) -> EventView {
        let status = Status::parse(&e.status).unwrap_or(Status::Reported);
        let actions = actor
            .map(|a| {
                let rel = relation(a, &e, &depts);
                let mut acts: Vec<String> = Vec::new();
                for g in grants_over(a, &e.grid_code) {
                    for x in wangge_domain::event::workflow::available(g, rel, status) {
                        if !acts.iter().any(|s| s == x.as_str()) {
                            acts.push(x.as_str().to_string());
                        }
                    }
                }
                acts
            })
            .unwrap_or_default();
        let now = now_ms();
        let staff = actor.is_some_and(|a| a.may(Permission::ReadEvents, &e.grid_code));
        EventView {
            id: e.id,
            version: e.version,
            category_name: reference.category(&e.category_code).map(|c| c.name.clone()).unwrap_or_default(),
            category: e.category_code,
            grid_code: e.grid_code,
            description: e.description,
            address: e.address,
            lat: e.lat,
            lon: e.lon,
            source: e.source,
            status_label: status.label_zh().into(),
            status: e.status,
            triage: e.triage,
            level: e.level,
            departments: depts,
            reporter: (staff && !e.anonymous && !e.reporter_name.is_empty()).then_some(e.reporter_name),
            reporter_contact: if staff { e.reporter_contact_masked } else { None },
            reported_at: format_cst(e.reported_at),
            reported_at_ms: e.reported_at,
            due_at: opt_time(e.due_at),
            due_at_ms: e.due_at,
            stage_due_at: opt_time(e.stage_due_at),
            stage_due_at_ms: e.stage_due_at,
            overdue: !status.is_final() && status != Status::Suspended && e.stage_due_at.is_some_and(|d| d < now),
            closed_at: opt_time(e.closed_at),
            card: e.card,
            rework_count: e.rework_count,
            postponed_hours: e.postponed_hours,
            pending_postpone_hours: e.pending_postpone_hours,
            satisfaction: e.satisfaction,
            attributes: serde_json::from_str(&e.attributes).unwrap_or(Value::Null),
            actions,
            merged_into: e.merged_into,
        }
    }

    /// Events the caller may see, newest first, with filters.
    pub async fn list_events(&self, actor: &Actor, q: EventQuery<'_>) -> Result<Page<EventView>> {
        let limit = paging::limit(q.limit)?;
        let before = paging::int_cursor(q.cursor)?;
        let mut f = self.event_filter(actor, &q).await?;
        match q.view {
            Some("overdue") => f.stage_due_before = Some(now_ms()),
            // 临期: the current stage ends within the configured working hours (default 4).
            Some("due_soon") => {
                let now = now_ms();
                let cal = &self.event_reference().await?.calendar;
                f.stage_due_after = Some(now);
                f.stage_due_before = cal.add_working_minutes(now, self.config.due_soon_hours * 60).or(Some(now));
            }
            _ => {}
        }
        if matches!(q.view, Some("overdue" | "due_soon")) && f.status.is_empty() {
            f.status = OPEN.iter().map(|s| s.to_string()).collect();
        }
        let (rows, total) = self.store.events(&f, before, limit).await?;
        let reference = self.event_reference().await?;
        let ids: Vec<i64> = rows.iter().map(|e| e.id).collect();
        let mut depts = self.store.departments_of(&ids).await?;
        let items: Vec<EventView> = rows
            .into_iter()
            .map(|e| {
                let d = depts.remove(&e.id).unwrap_or_default();
                self.view_of(Some(actor), &reference, e, d)
            })
            .collect();
        Ok(paging::capped_page(items, limit, total, wangge_store::events::COUNT_CAP, |e: &EventView| e.id.to_string()))
    }

    async fn event_filter(&self, actor: &Actor, q: &EventQuery<'_>) -> Result<EventFilter> {
        let mut f = EventFilter::default();
        let dept_codes: Vec<String> = actor
            .grants
            .iter()
            .filter(|g| g.role == Role::Department)
            .filter_map(|g| g.department_code.clone())
            .collect();
        let staff_roots = staff_roots(actor);
        match q.region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize(actor, Permission::ReadEvents, r)?;
                f.roots = Some(vec![r.to_string()]);
                if self
                    .store
                    .region(r)
                    .await?
                    .is_some_and(|x| x.region.level == wangge_domain::region::RegionLevel::Grid)
                {
                    f.grid = Some(r.to_string());
                }
            }
            None => f.roots = actor.roots(Permission::ReadEvents),
        }
        // A caller who holds only department grants sees what is dispatched to their departments.
        let only_department = staff_roots.as_ref().is_some_and(|r| r.is_empty()) && !dept_codes.is_empty();
        if only_department || q.view == Some("queue") {
            if dept_codes.is_empty() {
                return Err(AppError::field("view", "您不属于任何职能部门 / you belong to no department"));
            }
            f.departments = Some(dept_codes);
        } else if actor.has_role(Role::Resident) && !actor.may_somewhere(Permission::ReadEvents) {
            f.reporter_user_id = Some(actor.user_id);
            f.roots = None;
        }
        if q.view == Some("mine") {
            f.reporter_user_id = Some(actor.user_id);
        }
        if let Some(v) =
            q.view.filter(|v| !v.is_empty() && !matches!(*v, "overdue" | "due_soon" | "mine" | "queue" | "all"))
        {
            return Err(AppError::field(
                "view",
                format!("应为 overdue、due_soon、mine、queue 或 all / unknown view: {v}"),
            ));
        }
        if let Some(s) = q.status.map(str::trim).filter(|s| !s.is_empty()) {
            for part in s.split(',') {
                let st = if part == "open" {
                    f.status.extend(OPEN.iter().map(|s| s.to_string()));
                    continue;
                } else {
                    Status::parse(part)
                        .ok_or_else(|| AppError::field("status", format!("未知状态 / unknown status: {part}")))?
                };
                f.status.push(st.as_str().into());
            }
        }
        if let Some(c) = q.category.map(str::trim).filter(|c| !c.is_empty()) {
            if !cat::valid_code(c) {
                return Err(AppError::field("category", format!("未知的事件类别 / unknown category: {c}")));
            }
            f.category_prefix = Some(c.to_string());
        }
        if let Some(d) = q.department.map(str::trim).filter(|d| !d.is_empty()) {
            if !self.store.department_exists(d).await? {
                return Err(AppError::field("department", format!("未知部门 / unknown department: {d}")));
            }
            f.departments = Some(match f.departments.take() {
                Some(mine) if !mine.iter().any(|m| m == d) => vec![],
                _ => vec![d.to_string()],
            });
        }
        if let Some(s) = q.from.filter(|s| !s.is_empty()) {
            f.from_ms = Some(day_bound("from", s, false)?);
        }
        if let Some(s) = q.to.filter(|s| !s.is_empty()) {
            f.to_ms = Some(day_bound("to", s, true)?);
        }
        Ok(f)
    }

    /// Takes one action on an event (DESIGN.md §6). Role is checked before state (403 before 409), every
    /// payload field is validated, and the change is written under the version read, so of two concurrent
    /// actions exactly one wins.
    pub async fn act_on_event(&self, actor: &Actor, id: i64, input: ActionInput) -> Result<EventDetail> {
        let (e, depts) = self.readable_event(actor, id).await?;
        self.apply_action(actor, e, depts, input, false).await?;
        self.event_detail(actor, id).await
    }

    /// The action itself; `token_reporter` is set when a tracking token proved the caller reported it.
    async fn apply_action(
        &self,
        actor: &Actor,
        e: EventRow,
        depts: Vec<String>,
        input: ActionInput,
        token_reporter: bool,
    ) -> Result<()> {
        let id = e.id;
        let action = Action::parse(input.action.trim())
            .filter(|a| *a != Action::Report)
            .ok_or_else(|| AppError::field("action", format!("未知操作 / unknown action: {}", input.action)))?;
        let status = Status::parse(&e.status).ok_or_else(|| AppError::internal(format!("bad status {}", e.status)))?;
        let mut rel = relation(actor, &e, &depts);
        rel.reporter |= token_reporter;
        let mut refusal = Refusal::Role;
        let mut chosen = None;
        for role in grants_over(actor, &e.grid_code) {
            match wangge_domain::event::workflow::plan(
                role,
                rel,
                action,
                status,
                e.resume_status.as_deref().and_then(Status::parse),
            ) {
                Ok(p) => {
                    chosen = Some((role, p));
                    break;
                }
                Err(r @ Refusal::State(_)) => refusal = r,
                Err(Refusal::Role) => {}
            }
        }
        let (role, plan) = match (chosen, refusal) {
            (Some(c), _) => c,
            (None, Refusal::Role) => return Err(AppError::forbidden()),
            (None, Refusal::State(s)) => {
                return Err(AppError::conflict(format!(
                    "事件当前状态为「{}」，不能{} / the event is {}; {} is not allowed",
                    s.label_zh(),
                    action.label_zh(),
                    s.as_str(),
                    action.as_str()
                ))
                .with_details(serde_json::json!({ "status": s.as_str() })));
            }
        };
        if let Some(v) = input.version
            && v != e.version
        {
            return Err(AppError::conflict("事件已被他人更新，请刷新 / the event changed meanwhile; reload it")
                .with_details(serde_json::json!({ "version": e.version })));
        }
        let reference = self.event_reference().await?;
        let mut note = input.note.trim().to_string();
        if note.chars().count() > 1000 {
            return Err(AppError::field("note", "说明不能超过1000字 / at most 1,000 characters"));
        }
        let needs_note = matches!(
            action,
            Action::Reject | Action::Void | Action::Return | Action::Suspend | Action::SelfHandle | Action::Supervise
        ) || (action == Action::Postpone && role == Role::Department);
        if needs_note && note.is_empty() {
            return Err(AppError::field("note", format!("{}需要填写说明 / a note is required", action.label_zh())));
        }
        let now = now_ms();
        let cal = &reference.calendar;
        let limits = reference
            .category(&e.category_code)
            .map(|c| c.parsed_limits)
            .unwrap_or(Limits::with_handle(Limit::WorkingDays(5)));
        let mut n = e.clone();
        n.status = plan.to.as_str().into();
        n.updated_at = now;
        let mut changes: Vec<(&'static str, i64)> = Vec::new();
        let mut new_depts: Option<Vec<String>> = None;
        let mut data = Map::new();
        let mut merge_into: Option<EventRow> = None;
        match action {
            Action::Accept => changes.push(("valid", 1)),
            Action::Register => {
                n.registered_at = Some(now);
                changes.push(("registered", 1));
            }
            Action::Dispatch => {
                let mut list: Vec<String> = Vec::new();
                for d in input.department.iter().chain(input.departments.iter()) {
                    let d = d.trim();
                    if !d.is_empty() && !list.iter().any(|x| x == d) {
                        list.push(d.to_string());
                    }
                }
                if list.is_empty() {
                    // Nobody named: the routing rules decide.
                    let r = route(&reference.rules, &e.category_code, &e.grid_code, "", Triage::General);
                    list = r.departments;
                    if list.is_empty() {
                        list = reference
                            .category(&e.category_code)
                            .map(|c| vec![c.department_code.clone()])
                            .unwrap_or_default();
                    }
                    list.retain(|d| !d.is_empty());
                }
                if list.is_empty() {
                    return Err(AppError::field("department", "请选择处置部门 / choose a department"));
                }
                for d in &list {
                    if !self.store.department_exists(d).await? {
                        return Err(AppError::field("department", format!("未知部门 / unknown department: {d}")));
                    }
                }
                n.lead_department = list[0].clone();
                n.handle_due_at = limits.get(Stage::Handle).due(cal, now);
                if status == Status::Registered {
                    changes.push(("dispatched", 1));
                }
                data.insert("departments".into(), Value::from(list.clone()));
                new_depts = Some(list);
            }
            Action::Handle => {
                n.handled_at = Some(now);
                changes.push(("handled", 1));
                if e.handle_due_at.is_none_or(|d| now <= d) {
                    changes.push(("handled_on_time", 1));
                }
            }
            Action::Close => {
                n.closed_at = Some(now);
                changes.push(("closed", 1));
                if e.due_at.is_none_or(|d| now <= d) {
                    changes.push(("closed_on_time", 1));
                }
            }
            Action::SelfHandle => {
                n.closed_at = Some(now);
                n.level = Level::Grid.as_str().into();
                n.triage = Triage::OnSite.as_str().into();
                changes.extend([("valid", 1), ("registered", 1), ("closed", 1), ("closed_on_time", 1)]);
            }
            Action::Evaluate => {
                let s = input
                    .satisfaction
                    .filter(|s| (1..=5).contains(s))
                    .ok_or_else(|| AppError::field("satisfaction", "满意度应为1到5 / satisfaction must be 1 to 5"))?;
                n.satisfaction = Some(s);
                changes.extend([("evaluated", 1), ("satisfaction_sum", s)]);
            }
            Action::Return => {
                if plan.rework {
                    n.rework_count += 1;
                    n.handled_at = None;
                    n.closed_at = None;
                    n.handle_due_at = limits.get(Stage::Handle).due(cal, now);
                    changes.push(("rework", 1));
                }
            }
            Action::Suspend => {
                n.resume_status = Some(e.status.clone());
                n.suspended_at = Some(now);
            }
            Action::Resume => {
                // The time parked does not count against anyone: shift every deadline by the working time missed.
                let missed = e.suspended_at.map(|s| cal.working_minutes_between(s, now)).unwrap_or(0);
                let shift = |d: Option<i64>| d.and_then(|d| cal.add_working_minutes(d, missed));
                n.due_at = shift(e.due_at);
                n.handle_due_at = shift(e.handle_due_at);
                n.resume_status = None;
                n.suspended_at = None;
                data.insert("shifted_minutes".into(), Value::from(missed));
            }
            Action::Postpone => {
                let hours = input.hours;
                if let Some(h) = hours
                    && !(1..=MAX_POSTPONE_HOURS).contains(&h)
                {
                    return Err(AppError::field(
                        "hours",
                        format!("延期工作时应为1到{MAX_POSTPONE_HOURS} / hours must be 1 to {MAX_POSTPONE_HOURS}"),
                    ));
                }
                if role == Role::Department {
                    let h = hours
                        .ok_or_else(|| AppError::field("hours", "请填写申请延期的工作时 / give the hours requested"))?;
                    if e.pending_postpone_hours.is_some() {
                        return Err(AppError::conflict(
                            "已有待审批的延期申请 / a postponement request is already pending",
                        ));
                    }
                    n.pending_postpone_hours = Some(h);
                    data.insert("requested_hours".into(), Value::from(h));
                } else if input.approve == Some(false) {
                    if e.pending_postpone_hours.is_none() {
                        return Err(AppError::conflict("没有待审批的延期申请 / no postponement request is pending"));
                    }
                    n.pending_postpone_hours = None;
                    data.insert("approved".into(), Value::from(false));
                } else {
                    let h = hours
                        .or(e.pending_postpone_hours)
                        .ok_or_else(|| AppError::field("hours", "请填写延期工作时 / give the hours to postpone by"))?;
                    n.pending_postpone_hours = None;
                    n.postponed_hours += h;
                    n.due_at = e.due_at.and_then(|d| cal.add_working_minutes(d, h * 60));
                    n.handle_due_at = e.handle_due_at.and_then(|d| cal.add_working_minutes(d, h * 60));
                    n.stage_due_at = e.stage_due_at.and_then(|d| cal.add_working_minutes(d, h * 60));
                    changes.push(("postponed", 1));
                    data.insert("approved_hours".into(), Value::from(h));
                }
            }
            Action::Supervise => {
                let card = match input.card.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
                    None => Card::Normal,
                    Some(c) => Card::parse(c).ok_or_else(|| {
                        AppError::field("card", "应为 normal、yellow 或 red / must be normal, yellow or red")
                    })?,
                };
                // The colour only ever gets more serious.
                let rank = |c: &str| Card::ALL.iter().position(|x| x.as_str() == c).map(|i| i as i64).unwrap_or(-1);
                if rank(card.as_str()) > rank(&e.card) {
                    n.card = card.as_str().into();
                }
                changes.push(("supervised", 1));
                data.insert("card".into(), Value::from(card.as_str()));
            }
            Action::Escalate => {
                let level = Level::parse(&e.level).unwrap_or(Level::Community);
                let up = level
                    .up()
                    .ok_or_else(|| AppError::rule("action", "已在区级协调，无法再上报 / already at district level"))?;
                n.level = up.as_str().into();
                n.escalated_at = Some(now);
                data.insert("level".into(), Value::from(up.as_str()));
            }
            Action::Merge => {
                let t = self.merge_target(actor, &e, input.into).await?;
                n.merged_into = Some(t.id);
                // The note says where it went, for the timeline, the audit log and exports alike.
                note = if note.is_empty() {
                    format!("合并至 #{}", t.id)
                } else {
                    format!("合并至 #{}：{note}", t.id)
                };
                data.insert("into".into(), Value::from(t.id));
                merge_into = Some(t);
            }
            Action::Verify => {
                // Kept on the step so an assessment can show which verifications were late (按时核查率).
                data.insert("on_time".into(), Value::from(on_time(now, e.stage_due_at)));
            }
            Action::Reject | Action::Void | Action::Report => {}
        }
        // A new stage starts its own clock; side actions leave it running.
        if plan.to != status || action == Action::Dispatch {
            n.stage_due_at = match plan.to.stage() {
                Some(Stage::Handle) => n.handle_due_at.or_else(|| limits.get(Stage::Handle).due(cal, now)),
                Some(s) => limits.get(s).due(cal, now),
                None => None,
            };
        }
        let grid = e.grid_code.clone();
        let (day, month) = day_month(now);
        let depts_after = new_depts.clone().unwrap_or_else(|| depts.clone());
        let data = Value::Object(data).to_string();
        // A merge also writes the target under the version read, so it cannot be closed (or merged on) between
        // the check and the commit; the lower id is written first so two merges of a pair never deadlock.
        let target_after = merge_into.as_ref().map(|t| EventRow { updated_at: now, ..t.clone() });
        let mut tx = self.store.begin().await?;
        if let Some(t) = target_after.as_ref().filter(|t| t.id < id) {
            save_under_version(&mut tx, t).await?;
        }
        save_under_version(&mut tx, &n).await?;
        if let Some(t) = target_after.as_ref().filter(|t| t.id > id) {
            save_under_version(&mut tx, t).await?;
        }
        if let Some(t) = &target_after {
            let data = serde_json::json!({ "from": id }).to_string();
            Store::insert_action(
                &mut tx,
                NewAction {
                    event_id: t.id,
                    action: Action::Merge.as_str(),
                    from_status: &t.status,
                    to_status: &t.status,
                    actor: &actor.username,
                    actor_role: role.as_str(),
                    note: &format!("合并 #{id}"),
                    data: &data,
                },
            )
            .await?;
        }
        let action_id = Store::insert_action(
            &mut tx,
            NewAction {
                event_id: id,
                action: action.as_str(),
                from_status: status.as_str(),
                to_status: plan.to.as_str(),
                actor: &actor.username,
                actor_role: role.as_str(),
                note: &note,
                data: &data,
            },
        )
        .await?;
        link_attachments(&mut tx, &input.attachments, id, action_id, &crate::attachments::uploader_key(actor)).await?;
        if let Some(list) = &new_depts {
            Store::set_event_departments(&mut tx, id, list).await?;
        }
        Store::bump_stats(
            &mut tx,
            StatsDelta {
                grid_code: &grid,
                day: &day,
                month: &month,
                category: &e.category_code,
                departments: &depts_after,
                changes: &changes,
            },
        )
        .await?;
        // Reopening a closed event takes back what its close added, in the day and month the close was counted
        // (same grid, category and departments), so closing it again counts one 结案, not two.
        if action == Action::Return && status == Status::Closed {
            let by = Store::last_close_action(&mut tx, id).await?;
            let self_handled = by.as_deref() == Some(Action::SelfHandle.as_str());
            let (close_day, close_month) = day_month(e.closed_at.unwrap_or(now));
            Store::bump_stats(
                &mut tx,
                StatsDelta {
                    grid_code: &grid,
                    day: &close_day,
                    month: &close_month,
                    category: &e.category_code,
                    departments: &depts,
                    changes: &undo_close(self_handled, e.closed_at, e.due_at),
                },
            )
            .await?;
        }
        bump_person_stats(&mut tx, actor.user_id, &e, action, now).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: &format!("event.{}", action.as_str()),
                object: &format!("event:{id}"),
                reason: (!note.is_empty()).then_some(note.as_str()),
                region_code: Some(&grid),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Raises every open event past its stage deadline one level (超时自动升级) and records it on the timeline.
    /// Called by the server's background loop; returns how many were escalated.
    pub async fn escalate_overdue(&self) -> Result<usize> {
        let now = now_ms();
        let rows = self.store.overdue_unescalated(now, 200).await?;
        let mut n = 0;
        for e in rows {
            let mut next = e.clone();
            let level = Level::parse(&e.level).unwrap_or(Level::Community);
            if let Some(up) = level.up() {
                next.level = up.as_str().into();
            }
            next.escalated_at = Some(now);
            next.updated_at = now;
            let mut tx = self.store.begin().await?;
            match Store::save_event(&mut tx, &next).await {
                Ok(_) => {}
                // Someone acted meanwhile: the next sweep looks again.
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
            // The command centre's feed shows it at once, in every server process.
            Store::append_feed(&mut tx, wangge_domain::command::FeedKind::Overdue, &next).await?;
            let data = serde_json::json!({ "level": next.level, "automatic": true }).to_string();
            Store::insert_action(
                &mut tx,
                NewAction {
                    event_id: e.id,
                    action: Action::Escalate.as_str(),
                    from_status: &e.status,
                    to_status: &e.status,
                    actor: "system",
                    actor_role: "system",
                    note: "超过办理时限，自动升级 / overdue, escalated automatically",
                    data: &data,
                },
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            n += 1;
        }
        Ok(n)
    }

    /// GB/T 30428.4 indicators over a region (default: the caller's scope) between two days, from the rollups.
    pub async fn indicators(
        &self,
        actor: &Actor,
        region: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Indicators> {
        let roots = self.indicator_roots(actor, region)?;
        let (from_day, to_day) = day_range(from, to)?;
        let v = self.store.stats_total(&roots, &from_day, &to_day).await?;
        Ok(Indicators::from_counts(&Counts::from_values(&v)))
    }

    /// Indicators per category or department (`by` = "category" | "department") per month range.
    pub async fn indicators_by(
        &self,
        actor: &Actor,
        by: &str,
        region: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<(String, Indicators)>> {
        let roots = self.indicator_roots(actor, region)?;
        let kind = match by {
            "category" => 'c',
            "department" => 'd',
            "grid" => {
                let (f, t) = day_range(from, to)?;
                let rows = self.store.stats_by_grid(&roots, &f, &t).await?;
                return Ok(rows
                    .into_iter()
                    .map(|(k, v)| (k, Indicators::from_counts(&Counts::from_values(&v))))
                    .collect());
            }
            _ => {
                return Err(AppError::field(
                    "by",
                    "应为 category、department、grid 或 person / must be category, department, grid or person",
                ));
            }
        };
        let (f, t) = day_range(from, to)?;
        let rows = self.store.stats_by(kind, &roots, &f[..7], &t[..7]).await?;
        Ok(rows.into_iter().map(|(k, v)| (k, Indicators::from_counts(&Counts::from_values(&v)))).collect())
    }

    /// Indicators per person (GB/T 30428.4 岗位: 上报, 有效上报, 自行处置, 核查, 处置) whose work was on events in
    /// the region, by month (`from`/`to` days widen to their months, like the category and department rollups).
    /// Who sees whom: a caller who supervises or assesses staff there (`ReadStaffIndicators`) sees everyone;
    /// anyone else who reads events (a grid worker, a department) sees only their own row. Ordered by 有效上报率.
    pub async fn indicators_by_person(
        &self,
        actor: &Actor,
        region: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<PersonRow>> {
        let roots = self.indicator_roots(actor, region)?;
        let (f, t) = day_range(from, to)?;
        let (roots, only_user) = match region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => (roots, (!actor.may(Permission::ReadStaffIndicators, r)).then_some(actor.user_id)),
            None => match actor.roots(Permission::ReadStaffIndicators) {
                None => (None, None),
                Some(staff) if !staff.is_empty() => (Some(staff), None),
                Some(_) => (roots, Some(actor.user_id)),
            },
        };
        let rows = self.store.stats_by_person(&roots, only_user, &f[..7], &t[..7]).await?;
        let mut out: Vec<PersonRow> = rows
            .into_iter()
            .map(|(user_id, username, display_name, v)| PersonRow {
                user_id,
                username,
                display_name,
                indicators: PersonIndicators::from_counts(&PersonCounts::from_values(&v)),
            })
            .collect();
        wangge_domain::event::indicators::sort_people(&mut out, true, |r| (&r.indicators, r.username.as_str()));
        Ok(out)
    }

    fn indicator_roots(&self, actor: &Actor, region: Option<&str>) -> Result<Option<Vec<String>>> {
        match region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize(actor, Permission::ReadEvents, r)?;
                Ok(Some(vec![r.to_string()]))
            }
            None => {
                self.authorize_anywhere(actor, Permission::ReadEvents)?;
                Ok(actor.roots(Permission::ReadEvents))
            }
        }
    }

    /// The public tracking page's view of a report (no staff names, no contact details).
    pub async fn event_by_token(&self, token: &str) -> Result<EventDetail> {
        if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::not_found("event"));
        }
        let e = self.store.event_by_token(&token_hash(token)).await.map_err(|e| match e {
            StoreError::NotFound => AppError::not_found("event"),
            e => e.into(),
        })?;
        let depts = self.store.event_departments(e.id).await?;
        self.detail_of(None, e, depts).await
    }

    /// The reporter (by tracking token) rates the result, or reopens it when it is not really fixed.
    pub async fn public_feedback(
        &self,
        token: &str,
        satisfaction: Option<i64>,
        reopen: bool,
        note: &str,
    ) -> Result<EventDetail> {
        let detail = self.event_by_token(token).await?;
        self.reporter_feedback(detail.event.id, &detail.event.grid_code, satisfaction, reopen, note).await?;
        self.event_by_token(token).await
    }

    /// A signed-in resident's own report, as the public tracking page shows it (roles, never staff names).
    /// Anyone else's report answers 404.
    pub async fn my_report(&self, actor: &Actor, id: i64) -> Result<EventDetail> {
        let e = self.store.event(id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::not_found("event"),
            e => e.into(),
        })?;
        if actor.user_id <= 0 || e.reporter_user_id != Some(actor.user_id) {
            return Err(AppError::not_found("event"));
        }
        let depts = self.store.event_departments(e.id).await?;
        self.detail_of(None, e, depts).await
    }

    /// The resident rates their own report or reopens it, like the tracking page does.
    pub async fn my_report_feedback(
        &self,
        actor: &Actor,
        id: i64,
        satisfaction: Option<i64>,
        reopen: bool,
        note: &str,
    ) -> Result<EventDetail> {
        let detail = self.my_report(actor, id).await?;
        self.reporter_feedback(id, &detail.event.grid_code, satisfaction, reopen, note).await?;
        self.my_report(actor, id).await
    }

    async fn reporter_feedback(
        &self,
        id: i64,
        grid_code: &str,
        satisfaction: Option<i64>,
        reopen: bool,
        note: &str,
    ) -> Result<()> {
        let actor = Actor {
            user_id: -1,
            username: "公众".into(),
            display_name: "公众".into(),
            grants: vec![wangge_domain::scope::Grant {
                role: Role::Resident,
                region_code: grid_code.to_string(),
                department_code: None,
            }],
        };
        let input = ActionInput {
            action: if reopen { "return" } else { "evaluate" }.into(),
            note: note.into(),
            satisfaction,
            ..ActionInput::default()
        };
        let e = self.store.event(id).await?;
        let depts = self.store.event_departments(e.id).await?;
        self.apply_action(&actor, e, depts, input, true).await?;
        Ok(())
    }
}

/// Writes an event under the version it was read at; someone else's write in between is a 409.
async fn save_under_version(
    tx: &mut wangge_store::Transaction<'static, wangge_store::Any>,
    e: &EventRow,
) -> Result<()> {
    Store::save_event(tx, e).await.map(|_| ()).map_err(|err| match err {
        StoreError::Conflict(_) => {
            AppError::conflict("事件已被他人更新，请刷新 / the event changed meanwhile; reload it")
                .with_details(serde_json::json!({ "event": e.id }))
        }
        err => err.into(),
    })
}

/// An error of `kind` that names `field` (with further details), like [`AppError::field`] does for 400.
fn field_error(kind: ErrorKind, field: &str, message: String, mut details: Value) -> AppError {
    let mut e = AppError::field(field, message);
    e.kind = kind;
    if let (Some(d), Some(f)) = (details.as_object_mut(), e.details.take()) {
        d.insert("field".into(), f["field"].clone());
    }
    e.details = Some(details);
    e
}

/// May the actor merge a duplicate into `t`? Only where they hold a role that may merge at all, so a desk
/// cannot fold its reports into another street's events (nor into events it sees only as their reporter).
fn may_merge_into(actor: &Actor, t: &EventRow, depts: &[String]) -> bool {
    let rel = relation(actor, t, depts);
    grants_over(actor, &t.grid_code)
        .into_iter()
        .any(|r| wangge_domain::event::workflow::role_may(r, Action::Merge, rel))
}

/// One person's row of the GB/T 30428.4 岗位 indicators.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub indicators: PersonIndicators,
}

/// The person rollup for one action: the actor's counters in this month, the reporter's (valid reports) in the
/// month of the report. People are signed-in users only: the public (by tracking token) and clients are not.
async fn bump_person_stats(
    tx: &mut wangge_store::Transaction<'static, wangge_store::Any>,
    actor_user_id: i64,
    e: &EventRow,
    action: Action,
    now: i64,
) -> Result<()> {
    let due = match action {
        Action::Verify => e.stage_due_at,
        Action::Handle => e.handle_due_at,
        _ => None,
    };
    let changes = person_changes(action, e.registered_at.is_none(), on_time(now, due));
    if changes.is_empty() {
        return Ok(());
    }
    let (_, this_month) = day_month(now);
    let (_, report_month) = day_month(e.reported_at);
    for (whose, user, month) in
        [(Whose::Actor, Some(actor_user_id), &this_month), (Whose::Reporter, e.reporter_user_id, &report_month)]
    {
        let Some(user) = user.filter(|u| *u > 0) else { continue };
        let cols: Vec<(&'static str, i64)> = changes.iter().filter(|c| c.0 == whose).map(|c| (c.1, c.2)).collect();
        Store::bump_person_stats(tx, user, &e.grid_code, month, &cols).await?;
    }
    Ok(())
}

/// Open statuses (not final, not parked).
pub const OPEN: [&str; 6] = ["reported", "accepted", "registered", "dispatched", "handled", "verified"];

fn day_range(from: Option<&str>, to: Option<&str>) -> Result<(String, String)> {
    let check = |field: &str, s: &str| -> Result<String> {
        chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map(|d| d.format("%Y-%m-%d").to_string())
            .map_err(|_| AppError::field(field, "日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD"))
    };
    let from = match from.filter(|s| !s.is_empty()) {
        Some(s) => check("from", s)?,
        None => "0000-01-01".into(),
    };
    let to = match to.filter(|s| !s.is_empty()) {
        Some(s) => check("to", s)?,
        None => "9999-12-31".into(),
    };
    if from > to {
        return Err(AppError::field("to", "结束日期早于开始日期 / to is before from"));
    }
    Ok((from, to))
}

/// The roles the actor holds over the grid, most senior desk first (so a street user who is also a grid
/// worker acts as the street).
fn grants_over(actor: &Actor, grid: &str) -> Vec<Role> {
    let mut roles: Vec<Role> = actor
        .grants
        .iter()
        .filter(|g| {
            g.role == Role::Admin || wangge_domain::region::is_within(grid, &g.region_code) || g.role == Role::Resident
        })
        .map(|g| g.role)
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

fn primary_role(a: &Actor) -> String {
    a.grants.iter().map(|g| g.role).min().map(|r| r.as_str().to_string()).unwrap_or_default()
}

fn role_label(role: &str) -> String {
    match Role::parse(role) {
        Some(r) => r.label_zh().to_string(),
        None => match role {
            "public" => "公众".into(),
            "system" => "系统".into(),
            "client" => "接口".into(),
            _ => String::new(),
        },
    }
}

fn relation(actor: &Actor, e: &EventRow, depts: &[String]) -> Relation {
    Relation {
        handles: actor.grants.iter().any(|g| {
            g.role == Role::Department
                && (g.region_code.is_empty() || wangge_domain::region::is_within(&e.grid_code, &g.region_code))
                && g.department_code.as_ref().is_some_and(|d| depts.iter().any(|x| x == d))
        }),
        reporter: e.reporter_user_id.is_some_and(|u| u == actor.user_id && u > 0),
    }
}

/// Roots of the actor's non-department staff grants (those see everything in their subtree).
fn staff_roots(actor: &Actor) -> Option<Vec<String>> {
    if actor.is_admin() {
        return None;
    }
    Some(
        actor
            .grants
            .iter()
            .filter(|g| g.role != Role::Department && Permission::ReadEvents.granted_to(g.role))
            .map(|g| g.region_code.clone())
            .collect(),
    )
}

fn can_read(actor: &Actor, e: &EventRow, depts: &[String]) -> bool {
    let staff = actor.grants.iter().any(|g| {
        g.role != Role::Department
            && Permission::ReadEvents.granted_to(g.role)
            && (g.role == Role::Admin || wangge_domain::region::is_within(&e.grid_code, &g.region_code))
    });
    staff || relation(actor, e, depts).handles || relation(actor, e, depts).reporter
}

fn check_attributes(c: &Category, given: &Map<String, Value>) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for f in &c.fields {
        let code = f.get("code").and_then(Value::as_str).unwrap_or_default();
        let required = f.get("required").and_then(Value::as_bool).unwrap_or(false);
        match given.get(code) {
            Some(Value::String(s)) if !s.trim().is_empty() => {
                if s.chars().count() > 200 {
                    return Err(AppError::field(
                        &format!("attributes.{code}"),
                        "不能超过200字 / at most 200 characters",
                    ));
                }
                out.insert(code.to_string(), Value::from(s.trim()));
            }
            Some(v @ (Value::Number(_) | Value::Bool(_))) => {
                out.insert(code.to_string(), v.clone());
            }
            _ if required => {
                let name = f.get("name").and_then(Value::as_str).unwrap_or(code);
                return Err(AppError::field(
                    &format!("attributes.{code}"),
                    format!("请填写{name} / {code} is required"),
                ));
            }
            _ => {}
        }
    }
    for k in given.keys() {
        if !c.fields.iter().any(|f| f.get("code").and_then(Value::as_str) == Some(k)) {
            return Err(AppError::field(
                &format!("attributes.{k}"),
                format!("该类别没有此字段 / unknown attribute: {k}"),
            ));
        }
    }
    Ok(out)
}

/// A phone (masked 138****0000) or an e-mail address (masked z***@example.com).
fn mask_contact(s: &str) -> Result<String> {
    if let Some((user, host)) = s.split_once('@') {
        if user.is_empty() || !host.contains('.') || s.len() > 100 || s.contains(char::is_whitespace) {
            return Err(AppError::field("contact", "邮箱格式不正确 / invalid e-mail address"));
        }
        return Ok(format!("{}***@{host}", user.chars().next().unwrap_or('*')));
    }
    let p = wangge_domain::phone::Phone::parse("contact", s)?;
    Ok(p.masked())
}

fn new_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(format!("wangge-event-token:{token}").as_bytes()))
}

/// "08:30-12:00,13:30-17:30".
pub fn parse_periods(s: &str) -> std::result::Result<Vec<(chrono::NaiveTime, chrono::NaiveTime)>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) =
            part.split_once('-').ok_or_else(|| format!("工作时段格式应为 08:30-12:00 / bad period: {part}"))?;
        let t = |x: &str| {
            chrono::NaiveTime::parse_from_str(x.trim(), "%H:%M").map_err(|_| format!("时间无效 / bad time: {x}"))
        };
        out.push((t(a)?, t(b)?));
    }
    WorkCalendar::new(out.clone(), []).map(|_| out)
}
