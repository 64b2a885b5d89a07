//! A grid worker's day (docs/field.md): what is due today (visits from the register's rules, events to attend or
//! verify), the phone's offline outbox applied exactly once (`field_sync`), the assembled 民情日志, each worker's
//! month as facts, and handing a grid to another worker.
//!
//! Every outbox item is written in its own transaction together with a receipt keyed by (user, item key); a
//! replay finds the receipt and writes nothing. Events go through the event writer's group commit instead and
//! carry the key as `external_id` (`m:<user>:<key>`, unique), which does the same job.

use crate::people::{Kinds, WriteExtras, age_on, parse_date, text_field, today};
use crate::{App, AppError, ErrorKind, Result};
use chrono::{Datelike, NaiveDate};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use wangge_domain::event::calendar::{at_cst, cst_day, cst_day_start_ms, format_cst};
use wangge_domain::field::{self as rules, Fix, RiskChange, Situation};
use wangge_domain::register::PersonEventKind;
use wangge_domain::role::{Permission, Role};
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::field::{NewVisit, PointRow};
use wangge_store::{Any, Store, StoreError, Transaction, now_ms};

/// An outbox item's receipt, written inside the transaction of what the item creates.
pub(crate) struct Receipt<'a> {
    pub user_id: i64,
    pub key: &'a str,
    pub kind: &'a str,
}

impl Receipt<'_> {
    pub(crate) async fn write(&self, tx: &mut Transaction<'static, Any>, object_id: i64) -> Result<()> {
        Store::insert_field_receipt(tx, self.user_id, self.key, self.kind, object_id).await.map_err(AppError::from)
    }
}

// ---------------------------------------------------------------- today

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GridBrief {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TagBrief {
    pub code: String,
    pub name: String,
    pub visit_days: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub on: String,
    pub text: String,
}

/// A person due a visit, with what the visit form pre-fills.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DueVisit {
    pub person_id: i64,
    pub name: String,
    pub gender: String,
    pub age: i64,
    pub household_id: Option<i64>,
    pub house_id: Option<i64>,
    pub address: String,
    pub grid_code: String,
    pub phone_masked: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub tags: Vec<TagBrief>,
    pub last_visit_on: Option<String>,
    pub due_on: String,
    pub overdue_days: i64,
    /// Register changes since the last visit (or the last 30 days).
    pub changes: Vec<Change>,
    /// Under management as a key group (重点人群: 社区矫正, 刑满释放, 严重精神障碍…): the tag's frequency follows
    /// the key-group rules (`app::safety`), and an overdue contact is an alert, not a routine visit.
    pub key_group: bool,
}

/// An event the worker should act on in person.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskEvent {
    pub id: i64,
    pub category: String,
    pub category_name: String,
    pub status: String,
    pub description: String,
    pub address: String,
    pub grid_code: String,
    pub due_at_ms: Option<i64>,
    pub overdue: bool,
    /// `must_attend` (四必到) or `verify` (核查 after handling).
    pub why: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryBrief {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuickCategories {
    pub hazard: Vec<CategoryBrief>,
    pub instability: Vec<CategoryBrief>,
    pub all: Vec<CategoryBrief>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Checkpoint {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(default = "default_radius")]
    pub radius_m: f64,
}

fn default_radius() -> f64 {
    100.0
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RouteView {
    pub id: i64,
    pub region_code: String,
    pub name: String,
    pub team: String,
    pub checkpoints: Vec<Checkpoint>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PatrolView {
    pub id: i64,
    pub route_id: Option<i64>,
    pub team: String,
    pub grid_code: String,
    pub started_at: String,
    pub started_at_ms: i64,
    pub ended_at: Option<String>,
    pub minutes: i64,
    pub distance_m: f64,
    pub points: i64,
    /// Fixes left out of the distance as GPS jumps.
    pub flagged: i64,
    pub checkins: Vec<String>,
    /// The outbox key of the patrol's start (only on `open_patrol`), which later items name as `patrol`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldToday {
    pub server_now: i64,
    pub day: String,
    pub grids: Vec<GridBrief>,
    pub visits: Vec<DueVisit>,
    pub events: Vec<TaskEvent>,
    pub quick: QuickCategories,
    pub patrol_routes: Vec<RouteView>,
    pub open_patrol: Option<PatrolView>,
    /// 一表通: tables with rows of the worker's grids still to answer (only what the register lacks).
    pub data_requests: Vec<crate::data_requests::FieldDataRequest>,
}

// ---------------------------------------------------------------- sync

/// `data_answer`: a 一表通 row answered on the phone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DataAnswer {
    row_id: i64,
    values: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    /// The phone's clock when it sent the batch (ms).
    pub client_now: i64,
    pub items: Vec<SyncItem>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncItem {
    pub key: String,
    pub kind: String,
    /// When the worker did it, on the phone's clock (ms).
    pub at: i64,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemError {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemResult {
    pub key: String,
    pub kind: String,
    /// `created` | `duplicate` | `rejected` | `retry`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ItemError>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SyncResponse {
    pub server_now: i64,
    pub clock_skew_ms: i64,
    pub results: Vec<ItemResult>,
}

/// At most this many items per sync request.
pub const MAX_ITEMS: usize = 500;
/// At most this many fixes per `track` item.
pub const MAX_POINTS: usize = 5_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VisitData {
    person_id: i64,
    #[serde(default = "yes")]
    found: bool,
    situation: String,
    #[serde(default)]
    needs: String,
    #[serde(default)]
    risk: String,
    #[serde(default)]
    note: String,
    lat: Option<f64>,
    lon: Option<f64>,
    #[serde(default)]
    attachments: Vec<i64>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventData {
    category: String,
    description: String,
    lat: Option<f64>,
    lon: Option<f64>,
    grid_code: Option<String>,
    #[serde(default)]
    address: String,
    #[serde(default)]
    attachments: Vec<i64>,
    person_id: Option<i64>,
    #[serde(default)]
    urgent: bool,
    /// The key of the patrol it was found on.
    patrol: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MigrantData {
    name: String,
    id_number: String,
    phone: Option<String>,
    house_code: String,
    arrived: String,
    permit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveOutData {
    person_id: i64,
    note: Option<String>,
    date: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatrolStartData {
    route_id: Option<i64>,
    #[serde(default)]
    team: String,
    grid_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackData {
    patrol: String,
    points: Vec<Vec<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckinData {
    patrol: String,
    point: String,
    lat: f64,
    lon: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatrolEndData {
    patrol: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogNoteData {
    day: String,
    note: String,
}

/// An item's `data` parsed with its errors naming `data.<field>`.
fn data<T: DeserializeOwned>(v: &Value) -> Result<T> {
    serde_path_to_error::deserialize::<_, T>(v).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.into_inner().to_string();
        let named = msg.split('`').nth(1).filter(|_| path.is_empty() || path == ".").map(str::to_string);
        let field = match (path.as_str(), named) {
            ("" | ".", Some(n)) => format!("data.{n}"),
            ("" | ".", None) => "data".to_string(),
            (p, _) => format!("data.{p}"),
        };
        AppError::field(&field, format!("字段无效 / invalid value: {msg}"))
    })
}

/// The error, pointing at `field` (its kind kept: an unknown person stays `not_found`).
fn in_field(e: AppError, field: &str) -> AppError {
    AppError { details: Some(json!({ "field": field })), ..e }
}

/// An error of a register or event write named by the item's `data.` path.
fn in_data(e: AppError) -> AppError {
    match e.field_name().filter(|f| !f.starts_with("data.")).map(|f| format!("data.{f}")) {
        Some(f) => in_field(e, &f),
        None => e,
    }
}

/// The tracks a sync request has written so far, by patrol id, sorted by time: a day's outbox holds hundreds of
/// small `track` items of one patrol, and reading the whole track back for each made the request quadratic.
#[derive(Default)]
struct Tracks(HashMap<i64, Vec<PointRow>>);

/// How one item came out, before it becomes an [`ItemResult`].
enum Outcome {
    Created(i64, Option<String>),
    Duplicate(i64),
    Retry(String),
}

// ---------------------------------------------------------------- log, month, reassign

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub grid_code: String,
    pub user_id: i64,
    pub visited_at: String,
    pub day: String,
    pub found: bool,
    pub situation: String,
    pub situation_name: String,
    pub needs: String,
    pub risk: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoggedEvent {
    pub id: i64,
    pub category: String,
    pub category_name: String,
    pub status: String,
    pub description: String,
    pub reported_at: String,
}

/// 民情日志: the day assembled from what was done, with the worker's note.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldLog {
    pub day: String,
    pub visits: Vec<VisitView>,
    pub events: Vec<LoggedEvent>,
    pub patrols: Vec<PatrolView>,
    pub note: String,
}

/// One grid worker's month, as facts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkerMonthView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub grids: Vec<String>,
    /// People in their grids with a visiting rule (四必访 and others).
    pub people_due: i64,
    /// Of those, visited this month (by anyone).
    pub people_covered: i64,
    /// Visits the rules ask for this month (weekly rules count about four).
    pub visits_required: i64,
    /// Visits this worker made this month.
    pub visits_done: i64,
    pub people_visited: i64,
    pub events_reported: i64,
    pub patrols: i64,
    pub patrol_minutes: i64,
    pub patrol_km: f64,
    pub log_days: i64,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignInput {
    pub grid_code: String,
    /// Username of the worker leaving the grid.
    pub from_user: String,
    /// Username of the worker taking it over.
    pub to_user: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteInput {
    pub region_code: String,
    pub name: String,
    #[serde(default)]
    pub team: String,
    pub checkpoints: Vec<Checkpoint>,
}

fn day_of(ms: i64) -> String {
    at_cst(ms).format("%Y-%m-%d").to_string()
}

fn patrol_view(p: &wangge_store::field::PatrolRow, checkins: Vec<String>) -> PatrolView {
    let end = p.ended_at.or(p.last_point_at).unwrap_or(p.started_at);
    PatrolView {
        id: p.id,
        route_id: p.route_id,
        team: p.team.clone(),
        grid_code: p.grid_code.clone(),
        started_at: format_cst(p.started_at),
        started_at_ms: p.started_at,
        ended_at: p.ended_at.map(format_cst),
        minutes: ((end - p.started_at).max(0) + 30_000) / 60_000,
        distance_m: (p.distance_m * 10.0).round() / 10.0,
        points: p.points,
        flagged: p.flagged,
        checkins,
        key: None,
    }
}

fn visit_view(v: wangge_store::field::VisitRow) -> VisitView {
    let situation_name =
        Situation::parse("situation", &v.situation).map(|s| s.label_zh().to_string()).unwrap_or_default();
    VisitView {
        id: v.id,
        person_id: v.person_id,
        person_name: v.person_name,
        grid_code: v.grid_code,
        user_id: v.user_id,
        visited_at: format_cst(v.visited_at),
        day: v.day,
        found: v.found,
        situation: v.situation,
        situation_name,
        needs: v.needs,
        risk: v.risk,
        note: v.note,
    }
}

impl App {
    /// The regions whose field work the caller does: their grid_worker/grid_leader grants, or `grid` when given.
    fn field_roots(&self, actor: &Actor, grid: Option<&str>) -> Result<Vec<String>> {
        if let Some(g) = grid.map(str::trim).filter(|g| !g.is_empty()) {
            self.authorize(actor, Permission::RecordFieldWork, g)?;
            return Ok(vec![g.to_string()]);
        }
        let mut roots: Vec<String> = actor
            .grants
            .iter()
            .filter(|g| matches!(g.role, Role::GridWorker | Role::GridLeader))
            .map(|g| g.region_code.clone())
            .collect();
        roots.sort();
        roots.dedup();
        if roots.is_empty() {
            self.authorize_anywhere(actor, Permission::RecordFieldWork)?;
            return Err(AppError::field("grid", "请选择网格 / choose a grid"));
        }
        Ok(roots)
    }

    /// What the caller should do today (docs/field.md).
    pub async fn field_today(&self, actor: &Actor, grid: Option<&str>) -> Result<FieldToday> {
        let roots = self.field_roots(actor, grid)?;
        let on = today();
        let kinds = self.kinds().await?;
        let mut grids = Vec::new();
        let mut visits = Vec::new();
        for root in &roots {
            for g in self.store.grids_in(root).await? {
                grids.push(GridBrief { code: g.region.code, name: g.region.name });
            }
            visits.extend(self.due_visits(actor, root, on, &kinds, Some(self.config.visit_horizon_days)).await?);
        }
        visits.sort_by(|a, b| {
            b.overdue_days.cmp(&a.overdue_days).then(a.due_on.cmp(&b.due_on)).then(a.address.cmp(&b.address))
        });
        let events = self.field_tasks(actor, &roots).await?;
        let reference = self.event_reference().await?;
        let brief = |c: &crate::events::Category| CategoryBrief { code: c.code.clone(), name: c.name.clone() };
        let leaves: Vec<&crate::events::Category> =
            reference.categories.iter().filter(|c| c.active && c.code.len() > 3).collect();
        let quick = QuickCategories {
            hazard: leaves
                .iter()
                .filter(|c| c.code.starts_with("Z03") || c.code.starts_with("Z02"))
                .map(|c| brief(c))
                .collect(),
            instability: leaves
                .iter()
                .filter(|c| c.code.starts_with("Z06") || c.code.starts_with("Z01"))
                .map(|c| brief(c))
                .collect(),
            all: leaves.iter().map(|c| brief(c)).collect(),
        };
        let patrol_routes = self.routes_for(&roots).await?;
        let data_requests = self.field_data_requests(actor, &roots).await?;
        let open_patrol = match self.store.open_patrol(actor.user_id).await? {
            Some(p) => {
                let names = self.store.checkins(p.id).await?.into_iter().map(|c| c.0).collect();
                let mut v = patrol_view(&p, names);
                v.key = self.store.field_receipt_key(actor.user_id, "patrol_start", p.id).await?;
                Some(v)
            }
            None => None,
        };
        Ok(FieldToday {
            server_now: now_ms(),
            day: on.format("%Y-%m-%d").to_string(),
            grids,
            visits,
            events,
            quick,
            patrol_routes,
            open_patrol,
            data_requests,
        })
    }

    async fn routes_for(&self, roots: &[String]) -> Result<Vec<RouteView>> {
        Ok(self
            .store
            .patrol_routes(roots)
            .await?
            .into_iter()
            .map(|r| RouteView {
                id: r.id,
                region_code: r.region_code,
                name: r.name,
                team: r.team,
                checkpoints: serde_json::from_str(&r.checkpoints).unwrap_or_default(),
            })
            .collect())
    }

    /// People of `root` due a visit (within `horizon` days, or all with a rule when `None`), one row per person.
    pub(crate) async fn due_visits(
        &self,
        actor: &Actor,
        root: &str,
        on: NaiveDate,
        kinds: &Kinds,
        horizon: Option<i64>,
    ) -> Result<Vec<DueVisit>> {
        self.due_visits_as_of(actor, root, on, kinds, horizon, i64::MAX).await
    }

    /// As `due_visits`, counting only visits made before `before` (ms): who was due when a period began, so a
    /// visit during the period does not take its person off the list it is measured against.
    pub(crate) async fn due_visits_as_of(
        &self,
        actor: &Actor,
        root: &str,
        on: NaiveDate,
        kinds: &Kinds,
        horizon: Option<i64>,
        before: i64,
    ) -> Result<Vec<DueVisit>> {
        let candidates = self.store.due_candidates(root).await?;
        // A household tag is visited through one member: the head (户主) when present, else the first registered.
        let mut stands_for: HashMap<i64, i64> = HashMap::new();
        for c in candidates.iter().filter(|c| c.level == "household") {
            let Some(h) = c.household_id else { continue };
            let e = stands_for.entry(h).or_insert(c.person_id);
            let current_is_head = candidates.iter().any(|o| o.person_id == *e && o.relation == "户主");
            if c.relation == "户主" || (!current_is_head && c.person_id < *e) {
                *e = c.person_id;
            }
        }
        let since = cst_day_start_ms(on) - 400 * 86_400_000;
        let (last_p, last_h) = self.store.last_visits_before(root, since, before).await?;
        // Sensitive tags follow the key-group rules: a correction term that ended no longer asks for visits, a
        // risk level 4 patient asks for one every 14 days.
        let key_rules = self.key_group_rules(root).await?;
        struct Acc<'a> {
            c: &'a wangge_store::field::DueCandidate,
            tags: Vec<TagBrief>,
            due: Option<NaiveDate>,
            last: Option<i64>,
            key_group: bool,
        }
        let mut people: BTreeMap<i64, Acc> = BTreeMap::new();
        for c in &candidates {
            if c.level == "household" && c.household_id.and_then(|h| stands_for.get(&h)) != Some(&c.person_id) {
                continue;
            }
            let sensitive_ok = actor.may(Permission::ReadSensitiveTags, &c.grid_code);
            if !kinds.visible(&c.tag, sensitive_ok) {
                continue;
            }
            let last = match c.level.as_str() {
                "household" => {
                    let h = c.household_id.and_then(|h| last_h.get(&h).copied());
                    h.max(last_p.get(&c.person_id).copied())
                }
                _ => last_p.get(&c.person_id).copied(),
            };
            let (visit_days, key_group) = match key_rules.get(&(c.person_id, c.tag.clone())) {
                Some(None) => continue,
                Some(Some(days)) => (*days, true),
                None => (c.visit_days, false),
            };
            let due = rules::due_on(last.map(cst_day), visit_days, on);
            let acc =
                people.entry(c.person_id).or_insert(Acc { c, tags: Vec::new(), due: None, last: None, key_group });
            acc.due = Some(acc.due.map_or(due, |d| d.min(due)));
            acc.last = acc.last.max(last);
            acc.key_group |= key_group;
            let name = kinds.0.get(&c.tag).map(|k| k.name.clone()).unwrap_or_else(|| c.tag.clone());
            if !acc.tags.iter().any(|t| t.code == c.tag) {
                acc.tags.push(TagBrief { code: c.tag.clone(), name, visit_days });
            }
        }
        let listed: Vec<&Acc> = people
            .values()
            .filter(|a| match (horizon, a.due) {
                (Some(h), Some(d)) => rules::on_today_list(d, on, h),
                (None, Some(_)) => true,
                _ => false,
            })
            .collect();
        // What changed in the register since each listed person's last visit (at most the last 30 days).
        let ids: Vec<i64> = listed.iter().map(|a| a.c.person_id).collect();
        let month_ago = cst_day_start_ms(on) - 30 * 86_400_000;
        let mut changes: HashMap<i64, Vec<Change>> = HashMap::new();
        if horizon.is_some() && !ids.is_empty() {
            let floor = listed.iter().map(|a| a.last.unwrap_or(month_ago).max(month_ago)).min().unwrap_or(month_ago);
            for (pid, at, kind, note) in self.store.history_since(&ids, floor).await? {
                let last = people.get(&pid).and_then(|a| a.last).unwrap_or(month_ago).max(month_ago);
                // A registration is how a record starts, not news for the visitor.
                if at <= last || kind == "registered" {
                    continue;
                }
                let label = PersonEventKind::parse("kind", &kind).map(|k| k.label_zh()).unwrap_or("变更");
                let text = if note.is_empty() { label.to_string() } else { format!("{label}：{note}") };
                changes.entry(pid).or_default().push(Change { on: day_of(at), text });
            }
        }
        Ok(listed
            .into_iter()
            .map(|a| {
                let due = a.due.unwrap_or(on);
                DueVisit {
                    person_id: a.c.person_id,
                    name: a.c.name.clone(),
                    gender: a.c.gender.clone(),
                    age: age_on(&a.c.birth_date, on),
                    household_id: a.c.household_id,
                    house_id: a.c.house_id,
                    address: a.c.address.clone(),
                    grid_code: a.c.grid_code.clone(),
                    phone_masked: a.c.phone_masked.clone(),
                    lat: a.c.lat,
                    lon: a.c.lon,
                    tags: a.tags.clone(),
                    last_visit_on: a.last.map(day_of),
                    due_on: due.format("%Y-%m-%d").to_string(),
                    overdue_days: rules::overdue_days(due, on),
                    changes: changes.remove(&a.c.person_id).unwrap_or_default(),
                    key_group: a.key_group,
                }
            })
            .collect())
    }

    /// Open events in the caller's grids to attend (四必到 classes) or to verify (核查 after handling).
    async fn field_tasks(&self, actor: &Actor, roots: &[String]) -> Result<Vec<TaskEvent>> {
        let reference = self.event_reference().await?;
        let now = now_ms();
        let mut out = Vec::new();
        let filter = wangge_store::events::EventFilter {
            roots: Some(roots.to_vec()),
            status: ["reported", "accepted", "registered", "dispatched", "handled"].map(String::from).to_vec(),
            ..Default::default()
        };
        let (rows, _) = self.store.events(&filter, None, 500).await?;
        for e in rows {
            let must_attend =
                self.config.must_attend_categories.iter().any(|p| e.category_code.starts_with(p.as_str()));
            let why = if e.status == "handled" {
                "verify"
            } else if must_attend {
                "must_attend"
            } else {
                continue;
            };
            if !actor.may(Permission::ReadEvents, &e.grid_code) {
                continue;
            }
            let due = e.stage_due_at.or(e.due_at);
            out.push(TaskEvent {
                id: e.id,
                category_name: reference.category(&e.category_code).map(|c| c.name.clone()).unwrap_or_default(),
                category: e.category_code,
                status: e.status,
                description: e.description,
                address: e.address,
                grid_code: e.grid_code,
                due_at_ms: due,
                overdue: due.is_some_and(|d| d < now),
                why: why.to_string(),
            });
        }
        out.sort_by(|a, b| {
            b.overdue.cmp(&a.overdue).then(a.due_at_ms.unwrap_or(i64::MAX).cmp(&b.due_at_ms.unwrap_or(i64::MAX)))
        });
        Ok(out)
    }

    /// Applies a phone's outbox (docs/field.md): each item once, in order, each in its own transaction.
    pub async fn field_sync(&self, actor: &Actor, req: SyncRequest) -> Result<SyncResponse> {
        self.authorize_anywhere(actor, Permission::RecordFieldWork)?;
        if req.items.len() > MAX_ITEMS {
            return Err(AppError::field(
                "items",
                format!("每次最多{MAX_ITEMS}条 / at most {MAX_ITEMS} items per request"),
            ));
        }
        rules::check_clock(req.client_now).map_err(AppError::from)?;
        let server_now = now_ms();
        let skew = server_now - req.client_now;
        let mut results = Vec::with_capacity(req.items.len());
        let mut tracks = Tracks::default();
        for item in &req.items {
            let outcome = match rules::check_key(&item.key) {
                Err(e) => Err(AppError::from(e)),
                Ok(()) => match rules::corrected_time(item.at, req.client_now, server_now) {
                    Err(e) => Err(AppError::from(e)),
                    Ok(at) => self.apply_item(actor, item, at, &mut tracks).await,
                },
            };
            let mut r = ItemResult {
                key: item.key.clone(),
                kind: item.kind.clone(),
                status: String::new(),
                id: None,
                message: None,
                error: None,
            };
            match outcome {
                Ok(Outcome::Created(id, message)) => {
                    r.status = "created".into();
                    r.id = Some(id);
                    r.message = message;
                }
                Ok(Outcome::Duplicate(id)) => {
                    r.status = "duplicate".into();
                    r.id = Some(id);
                }
                Ok(Outcome::Retry(message)) => {
                    r.status = "retry".into();
                    r.message = Some(message);
                }
                // The database or file store is down: the phone keeps everything not yet answered and sends it
                // again; what was stored before has its receipt.
                Err(e) if matches!(e.kind, ErrorKind::Internal | ErrorKind::Unavailable) => return Err(e),
                Err(e) => {
                    r.status = "rejected".into();
                    r.error = Some(ItemError {
                        code: e.kind.code().to_string(),
                        field: e.field_name().map(str::to_string),
                        message: e.message,
                    });
                }
            }
            results.push(r);
        }
        Ok(SyncResponse { server_now, clock_skew_ms: skew, results })
    }

    async fn apply_item(&self, actor: &Actor, item: &SyncItem, at: i64, tracks: &mut Tracks) -> Result<Outcome> {
        let key = item.key.as_str();
        if item.kind == "event" {
            let external = format!("m:{}:{}", actor.user_id, key);
            if let Some(id) = self.store.event_by_field_key(&external).await? {
                return Ok(Outcome::Duplicate(id));
            }
            return match self.sync_event(actor, &external, at, data(&item.data)?).await {
                // Two requests raced with the same key: the unique external id let one through.
                Err(e) if e.kind == ErrorKind::Conflict => match self.store.event_by_field_key(&external).await? {
                    Some(id) => Ok(Outcome::Duplicate(id)),
                    None => Err(e),
                },
                other => other,
            };
        }
        if let Some((_, id)) = self.store.field_receipt(actor.user_id, key).await? {
            return Ok(Outcome::Duplicate(id));
        }
        let kind: &'static str = match item.kind.as_str() {
            "visit" => "visit",
            "migrant_arrival" => "migrant_arrival",
            "move_out" => "move_out",
            "patrol_start" => "patrol_start",
            "track" => "track",
            "checkin" => "checkin",
            "patrol_end" => "patrol_end",
            "log_note" => "log_note",
            "data_answer" => "data_answer",
            other => {
                return Err(AppError::field(
                    "kind",
                    format!(
                        "未知类型 {other}：应为 visit、event、migrant_arrival、move_out、patrol_start、track、checkin、patrol_end、log_note 或 data_answer / unknown kind"
                    ),
                ));
            }
        };
        let receipt = Receipt { user_id: actor.user_id, key, kind };
        let result = match kind {
            "visit" => self.sync_visit(actor, &receipt, at, data(&item.data)?).await,
            "migrant_arrival" => self.sync_migrant(actor, receipt, data(&item.data)?).await,
            "move_out" => self.sync_move_out(actor, receipt, at, data(&item.data)?).await,
            "patrol_start" => self.sync_patrol_start(actor, &receipt, at, data(&item.data)?).await,
            "track" => self.sync_track(actor, &receipt, data(&item.data)?, tracks).await,
            "checkin" => self.sync_checkin(actor, &receipt, at, data(&item.data)?).await,
            "patrol_end" => self.sync_patrol_end(actor, &receipt, at, data(&item.data)?).await,
            "data_answer" => {
                let d: DataAnswer = data(&item.data)?;
                let input = crate::data_requests::AnswerInput { values: d.values };
                match self.answer_data_row_with(actor, d.row_id, input, at, Some(&receipt)).await {
                    Ok(id) => Ok(Outcome::Created(id, None)),
                    Err(e) if e.kind == ErrorKind::NotFound => Err(in_field(e, "data.row_id")),
                    // Someone answered the same row a moment before (not this item: its receipt would exist).
                    Err(e)
                        if e.kind == ErrorKind::Conflict
                            && self.store.field_receipt(actor.user_id, key).await?.is_none() =>
                    {
                        Ok(Outcome::Retry(
                            "此行正被他人同时填报，稍后重试 / the row was being answered at the same moment".into(),
                        ))
                    }
                    Err(e) => Err(e),
                }
            }
            _ => self.sync_log_note(actor, &receipt, data(&item.data)?).await,
        };
        match result {
            // A concurrent request with the same key wrote its receipt first.
            Err(e) if e.kind == ErrorKind::Conflict => match self.store.field_receipt(actor.user_id, key).await? {
                Some((_, id)) => Ok(Outcome::Duplicate(id)),
                None => Err(e),
            },
            other => other,
        }
    }

    async fn sync_visit(&self, actor: &Actor, receipt: &Receipt<'_>, at: i64, d: VisitData) -> Result<Outcome> {
        let p = self
            .person_for(actor, Permission::RecordFieldWork, d.person_id)
            .await
            .map_err(|e| if e.kind == ErrorKind::NotFound { in_field(e, "data.person_id") } else { e })?;
        let situation = Situation::parse("data.situation", &d.situation)?;
        let risk = RiskChange::parse("data.risk", &d.risk)?;
        let needs = text_field("data.needs", &d.needs, 500)?;
        let note = text_field("data.note", &d.note, 1000)?;
        let (lat, lon) = match (d.lat, d.lon) {
            (Some(lat), Some(lon)) => {
                rules::check_fix("data.lat", lat, lon)?;
                (Some(lat), Some(lon))
            }
            (None, None) => (None, None),
            _ => return Err(AppError::field("data.lon", "经纬度须同时提供 / give both lat and lon")),
        };
        let day = day_of(at);
        let mut tx = self.store.begin().await?;
        let id = Store::insert_visit(
            &mut tx,
            &NewVisit {
                person_id: p.id,
                household_id: p.household_id,
                grid_code: &p.grid_code,
                user_id: actor.user_id,
                visited_at: at,
                day: &day,
                found: d.found,
                situation: situation.as_str(),
                needs: &needs,
                risk: risk.as_str(),
                note: &note,
                lat,
                lon,
            },
        )
        .await?;
        let uploader = crate::attachments::uploader_key(actor);
        for (i, a) in d.attachments.iter().enumerate() {
            Store::claim_attachment_for_visit(&mut tx, *a, id, &uploader).await.map_err(|e| match e {
                StoreError::NotFound => AppError::field(
                    &format!("data.attachments[{i}]"),
                    "照片不存在或已使用 / no such upload of yours, or already used",
                ),
                e => e.into(),
            })?;
        }
        receipt.write(&mut tx, id).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "visit",
                object: &format!("person:{}", p.id),
                reason: None,
                region_code: Some(&p.grid_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Outcome::Created(id, None))
    }

    async fn sync_event(&self, actor: &Actor, external: &str, at: i64, d: EventData) -> Result<Outcome> {
        if let Some(pid) = d.person_id {
            self.person_for(actor, Permission::ReadRegister, pid)
                .await
                .map_err(|e| if e.kind == ErrorKind::NotFound { in_field(e, "data.person_id") } else { e })?;
        }
        let source = match &d.patrol {
            Some(k) if self.store.field_receipt(actor.user_id, k).await?.is_some() => "patrol",
            _ => "grid_worker",
        };
        let mut description = d.description.trim().to_string();
        if d.urgent {
            description = format!("【紧急】{description}");
        }
        // Work recorded offline reaches the centre later than it happened: say when it was seen.
        if now_ms() - at > 10 * 60_000 {
            description = format!("{description}（离线记录于 {}）", format_cst(at));
        }
        let input = crate::events::ReportInput {
            category: d.category,
            description,
            lat: d.lat,
            lon: d.lon,
            crs: None,
            grid_code: d.grid_code,
            source: Some(source.to_string()),
            address: d.address,
            attachments: d.attachments,
            external_id: Some(external.to_string()),
            ..Default::default()
        };
        let r = self.report_event(crate::events::Reporter::User(actor), input).await.map_err(in_data)?;
        let message = (!r.possible_duplicates.is_empty())
            .then(|| format!("附近已有同类事件 #{:?} / similar open events nearby", r.possible_duplicates));
        Ok(Outcome::Created(r.id, message))
    }

    async fn sync_migrant(&self, actor: &Actor, receipt: Receipt<'_>, d: MigrantData) -> Result<Outcome> {
        let arrived = parse_date("data.arrived", &d.arrived)?;
        if arrived > today() {
            return Err(AppError::field("data.arrived", "日期不能晚于今天 / the date is in the future"));
        }
        let permit = d.permit.as_deref().map(str::trim).filter(|p| !p.is_empty()).unwrap_or("无");
        if !["暂住证", "居住证", "无"].contains(&permit) {
            return Err(AppError::field("data.permit", "应为 暂住证、居住证 或 无 / must be 暂住证, 居住证 or 无"));
        }
        let tag = json!({ "arrived": arrived.format("%Y-%m-%d").to_string(), "permit": permit }).to_string();
        let input = crate::people::NewPersonInput {
            name: d.name,
            id_number: d.id_number,
            gender: None,
            birth_date: None,
            ethnicity: "汉族".into(),
            phone: d.phone,
            population_type: "migrant".into(),
            relation: "户主".into(),
            household_number: None,
            house_code: Some(d.house_code),
            address: None,
            grid_code: None,
            registered: Some(false),
            event: Some("move_in".into()),
            note: Some("网格员来有登记 / registered on arrival by the grid worker".into()),
        };
        let id = self
            .register_person_with(actor, input, WriteExtras { tag: Some(("migrant", tag)), receipt: Some(receipt) })
            .await
            .map_err(in_data)?;
        Ok(Outcome::Created(id, None))
    }

    async fn sync_move_out(&self, actor: &Actor, receipt: Receipt<'_>, at: i64, d: MoveOutData) -> Result<Outcome> {
        let date = match d.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => s.to_string(),
            None => day_of(at),
        };
        let e = crate::people::PersonEventInput {
            kind: "move_out".into(),
            note: d.note,
            date: Some(date),
            house_code: None,
        };
        self.person_event_with(actor, d.person_id, e, WriteExtras { tag: None, receipt: Some(receipt) })
            .await
            .map_err(|e| match (e.kind, e.field_name()) {
                (ErrorKind::NotFound, _) => in_field(e, "data.person_id"),
                _ => in_data(e),
            })?;
        Ok(Outcome::Created(d.person_id, None))
    }

    /// The patrol an item names by its start's key; `None` while the start has not arrived yet.
    async fn patrol_of(&self, actor: &Actor, key: &str) -> Result<Option<wangge_store::field::PatrolRow>> {
        match self.store.field_receipt(actor.user_id, key).await? {
            Some((kind, id)) if kind == "patrol_start" => Ok(Some(self.store.patrol(id).await?)),
            Some(_) => Err(AppError::field("data.patrol", "不是巡查的标识 / not the key of a patrol start")),
            None => Ok(None),
        }
    }

    async fn sync_patrol_start(
        &self,
        actor: &Actor,
        receipt: &Receipt<'_>,
        at: i64,
        d: PatrolStartData,
    ) -> Result<Outcome> {
        let team = text_field("data.team", &d.team, 100)?;
        let (route_id, route_team, route_region) = match d.route_id {
            Some(r) => {
                let route = self.store.patrol_route(r).await.map_err(|e| match e {
                    StoreError::NotFound => AppError::field("data.route_id", "巡查路线不存在 / no such route"),
                    e => e.into(),
                })?;
                (Some(route.id), route.team, Some(route.region_code))
            }
            None => (None, String::new(), None),
        };
        let grid = match d.grid_code.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
            Some(g) => g.to_string(),
            None => match self.field_roots(actor, None) {
                Ok(roots) => roots[0].clone(),
                Err(_) => route_region
                    .clone()
                    .ok_or_else(|| AppError::field("data.grid_code", "请选择网格 / choose a grid"))?,
            },
        };
        self.authorize(actor, Permission::RecordFieldWork, &grid).map_err(|e| {
            if e.kind == ErrorKind::NotFound { AppError::field("data.grid_code", e.message) } else { e }
        })?;
        let team = if team.is_empty() { route_team } else { team };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_patrol(&mut tx, actor.user_id, route_id, &team, &grid, at, &day_of(at)).await?;
        receipt.write(&mut tx, id).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "patrol_start",
                object: &format!("patrol:{id}"),
                reason: None,
                region_code: Some(&grid),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Outcome::Created(id, None))
    }

    async fn sync_track(
        &self,
        actor: &Actor,
        receipt: &Receipt<'_>,
        d: TrackData,
        tracks: &mut Tracks,
    ) -> Result<Outcome> {
        if d.points.is_empty() || d.points.len() > MAX_POINTS {
            return Err(AppError::field(
                "data.points",
                format!("应有1到{MAX_POINTS}个定位点 / 1 to {MAX_POINTS} points"),
            ));
        }
        let mut points = Vec::with_capacity(d.points.len());
        for (i, p) in d.points.iter().enumerate() {
            let field = format!("data.points[{i}]");
            if !(3..=4).contains(&p.len()) {
                return Err(AppError::field(
                    &field,
                    "应为 [时间, 纬度, 经度, 精度?] / must be [at, lat, lon, accuracy?]",
                ));
            }
            rules::check_fix(&field, p[1], p[2])?;
            // GPS time is satellite time, so a fix outside the sync window is a broken record, not a skewed clock.
            let at = p[0];
            let now = now_ms() as f64;
            if !at.is_finite() || at < now - rules::MAX_AGE_MS as f64 || at > now + 3_600_000.0 {
                return Err(AppError::field(&field, "定位时间无效 / the fix's time is not plausible"));
            }
            points.push(PointRow { at: at as i64, lat: p[1], lon: p[2], accuracy: p.get(3).copied() });
        }
        let Some(patrol) = self.patrol_of(actor, &d.patrol).await? else {
            return Ok(Outcome::Retry("巡查开始记录尚未同步 / the patrol's start has not arrived yet".into()));
        };
        // Fixes are stamped by the phone's GPS, whose clock is satellite time: they are not shifted for skew.
        let mut tx = self.store.begin().await?;
        Store::insert_track_points(&mut tx, patrol.id, &points).await?;
        // The track this request already holds is the stored one when nobody else added points since (the count
        // read here is that of the last commit: points are never deleted and every track write sets it). A
        // point whose time is already stored is skipped, as the insert skipped it.
        let known = tracks.0.remove(&patrol.id);
        let all = match known {
            Some(mut all) if all.len() as i64 == Store::patrol_point_count(&mut tx, patrol.id).await? => {
                let mut seen: std::collections::HashSet<i64> = all.iter().map(|p| p.at).collect();
                all.extend(points.iter().filter(|p| seen.insert(p.at)));
                all.sort_by_key(|p| p.at);
                all
            }
            _ => Store::track_points(&mut tx, patrol.id).await?,
        };
        let fixes: Vec<Fix> = all.iter().map(|p| Fix { at: p.at, lat: p.lat, lon: p.lon }).collect();
        let summary = rules::summarize_track(&fixes);
        Store::update_patrol_track(
            &mut tx,
            patrol.id,
            all.len() as i64,
            summary.flagged.len() as i64,
            summary.distance_m,
            summary.last_at,
        )
        .await?;
        receipt.write(&mut tx, patrol.id).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "patrol_track",
                object: &format!("patrol:{}", patrol.id),
                reason: None,
                region_code: Some(&patrol.grid_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracks.0.insert(patrol.id, all);
        let mine: std::collections::HashSet<i64> = points.iter().map(|p| p.at).collect();
        let jumped = summary.flagged.iter().filter(|at| mine.contains(at)).count();
        let message = (jumped > 0).then(|| {
            format!("{jumped} 个定位点跳变过大，已保留但未计入里程 / {jumped} points jumped too far and are left out of the distance")
        });
        Ok(Outcome::Created(patrol.id, message))
    }

    async fn sync_checkin(&self, actor: &Actor, receipt: &Receipt<'_>, at: i64, d: CheckinData) -> Result<Outcome> {
        rules::check_fix("data.lat", d.lat, d.lon)?;
        let Some(patrol) = self.patrol_of(actor, &d.patrol).await? else {
            return Ok(Outcome::Retry("巡查开始记录尚未同步 / the patrol's start has not arrived yet".into()));
        };
        let route = match patrol.route_id {
            Some(r) => self.store.patrol_route(r).await?,
            None => return Err(AppError::field("data.patrol", "此次巡查没有路线和打卡点 / this patrol has no route")),
        };
        let checkpoints: Vec<Checkpoint> = serde_json::from_str(&route.checkpoints).unwrap_or_default();
        let cp = checkpoints
            .iter()
            .find(|c| c.name == d.point.trim())
            .ok_or_else(|| AppError::field("data.point", "路线上没有这个打卡点 / no such checkpoint on the route"))?;
        let distance = rules::distance_m(cp.lat, cp.lon, d.lat, d.lon);
        if distance > cp.radius_m {
            return Err(AppError::rule(
                "data.point",
                format!(
                    "距打卡点“{}”{:.0}米，超出{:.0}米范围 / {:.0} m from the checkpoint, beyond its {:.0} m radius",
                    cp.name, distance, cp.radius_m, distance, cp.radius_m
                ),
            ));
        }
        let mut tx = self.store.begin().await?;
        let id = Store::insert_checkin(&mut tx, patrol.id, &cp.name, at, d.lat, d.lon, distance).await?;
        receipt.write(&mut tx, id).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "patrol_checkin",
                object: &format!("patrol:{}", patrol.id),
                reason: Some(&cp.name),
                region_code: Some(&patrol.grid_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Outcome::Created(id, None))
    }

    async fn sync_patrol_end(
        &self,
        actor: &Actor,
        receipt: &Receipt<'_>,
        at: i64,
        d: PatrolEndData,
    ) -> Result<Outcome> {
        let Some(patrol) = self.patrol_of(actor, &d.patrol).await? else {
            return Ok(Outcome::Retry("巡查开始记录尚未同步 / the patrol's start has not arrived yet".into()));
        };
        let mut tx = self.store.begin().await?;
        Store::end_patrol(&mut tx, patrol.id, at.max(patrol.started_at)).await?;
        receipt.write(&mut tx, patrol.id).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "patrol_end",
                object: &format!("patrol:{}", patrol.id),
                reason: None,
                region_code: Some(&patrol.grid_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Outcome::Created(patrol.id, None))
    }

    async fn sync_log_note(&self, actor: &Actor, receipt: &Receipt<'_>, d: LogNoteData) -> Result<Outcome> {
        let day = parse_date("data.day", &d.day)?;
        if day > today() {
            return Err(AppError::field("data.day", "日期不能晚于今天 / the date is in the future"));
        }
        let note = text_field("data.note", &d.note, 2000)?;
        let day = day.format("%Y-%m-%d").to_string();
        let mut tx = self.store.begin().await?;
        Store::put_field_log(&mut tx, actor.user_id, &day, &note).await?;
        receipt.write(&mut tx, actor.user_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Outcome::Created(actor.user_id, None))
    }

    /// The caller's 民情日志 for a day (default today), assembled from what they did.
    pub async fn field_log(&self, actor: &Actor, day: Option<&str>) -> Result<FieldLog> {
        self.authorize_anywhere(actor, Permission::RecordFieldWork)?;
        let day = match day.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => parse_date("day", d)?,
            None => today(),
        };
        let key = day.format("%Y-%m-%d").to_string();
        let visits = self.store.visits_of_user_day(actor.user_id, &key).await?.into_iter().map(visit_view).collect();
        let from = cst_day_start_ms(day);
        let reference = self.event_reference().await?;
        let events = self
            .store
            .events_reported_by(actor.user_id, from, from + 86_400_000)
            .await?
            .into_iter()
            .map(|(id, category, status, description, at)| LoggedEvent {
                id,
                category_name: reference.category(&category).map(|c| c.name.clone()).unwrap_or_default(),
                category,
                status,
                description,
                reported_at: format_cst(at),
            })
            .collect();
        let mut patrols = Vec::new();
        for p in self.store.patrols_of_user_day(actor.user_id, &key).await? {
            let names = self.store.checkins(p.id).await?.into_iter().map(|c| c.0).collect();
            patrols.push(patrol_view(&p, names));
        }
        let note = self.store.field_log(actor.user_id, &key).await?.unwrap_or_default();
        Ok(FieldLog { day: key, visits, events, patrols, note })
    }

    /// A person's visits, newest first (on the person's page and for the next visitor).
    pub async fn person_visits(&self, actor: &Actor, person_id: i64) -> Result<Vec<VisitView>> {
        self.person_for(actor, Permission::ReadRegister, person_id).await?;
        Ok(self.store.visits_of_person(person_id, 50).await?.into_iter().map(visit_view).collect())
    }

    /// Each grid worker's month in a region (default: this month), as facts.
    pub async fn field_workers(
        &self,
        actor: &Actor,
        region: &str,
        month: Option<&str>,
    ) -> Result<Vec<WorkerMonthView>> {
        let region = region.trim();
        if region.is_empty() {
            return Err(AppError::field("region", "请选择区域 / choose a region"));
        }
        self.authorize(actor, Permission::ReadFieldWork, region)?;
        let start = match month.map(str::trim).filter(|m| !m.is_empty()) {
            Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .map_err(|_| AppError::field("month", "月份格式应为 2026-11 / expected YYYY-MM"))?,
            None => {
                let t = today();
                NaiveDate::from_ymd_opt(t.year(), t.month(), 1).expect("first of month")
            }
        };
        let next = if start.month() == 12 {
            NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)
        }
        .expect("first of next month");
        let (from, to) = (start.format("%Y-%m-%d").to_string(), next.format("%Y-%m-%d").to_string());
        let month_key = start.format("%Y-%m").to_string();
        let kinds = self.kinds().await?;
        let workers = self.store.grid_workers(region).await?;
        let facts = self.store.worker_months(region, &from, &to).await?;
        let reported = self.store.reported_in_month(region, &month_key).await?;
        let visited: std::collections::HashSet<i64> =
            self.store.people_visited(region, &from, &to).await?.into_iter().map(|(p, _)| p).collect();
        // Due people per grid, once per grid even when two workers share it.
        let mut per_grid: HashMap<String, (i64, i64, f64)> = HashMap::new();
        let mut by_user: BTreeMap<i64, WorkerMonthView> = BTreeMap::new();
        for (uid, username, display_name, grid) in workers {
            if !per_grid.contains_key(&grid) {
                let due = self.due_visits(actor, &grid, start, &kinds, None).await?;
                let covered = due.iter().filter(|d| visited.contains(&d.person_id)).count() as i64;
                let required: f64 = due
                    .iter()
                    .map(|d| d.tags.iter().map(|t| t.visit_days).min().unwrap_or(30))
                    .map(|days| rules::visits_required_in_month(days, start))
                    .sum();
                per_grid.insert(grid.clone(), (due.len() as i64, covered, required));
            }
            let (due, covered, required) = per_grid[&grid];
            let f = facts.get(&uid).cloned().unwrap_or_default();
            let row = by_user.entry(uid).or_insert_with(|| WorkerMonthView {
                user_id: uid,
                username,
                display_name,
                grids: Vec::new(),
                people_due: 0,
                people_covered: 0,
                visits_required: 0,
                visits_done: f.visits,
                people_visited: f.people_visited,
                events_reported: reported.get(&uid).copied().unwrap_or(0),
                patrols: f.patrols,
                patrol_minutes: (f.patrol_ms + 30_000) / 60_000,
                patrol_km: (f.patrol_m / 100.0).round() / 10.0,
                log_days: f.log_days,
            });
            row.grids.push(grid);
            row.people_due += due;
            row.people_covered += covered;
            row.visits_required += required.round() as i64;
        }
        Ok(by_user.into_values().collect())
    }

    /// Hands a grid from one grid worker to another: the leaving worker's `grid_worker` grant on it is removed
    /// and the same grant given to the new one, in one transaction with its audit record.
    pub async fn reassign_grid(&self, actor: &Actor, input: ReassignInput) -> Result<()> {
        let grid = input.grid_code.trim();
        let region =
            self.store.region(grid).await?.ok_or_else(|| AppError::field("grid_code", "网格不存在 / no such grid"))?;
        self.authorize(actor, Permission::AssignGrids, grid).map_err(|e| {
            if e.kind == ErrorKind::NotFound {
                AppError::field("grid_code", "网格不存在 / no such grid")
            } else {
                e
            }
        })?;
        if region.region.level != wangge_domain::region::RegionLevel::Grid {
            return Err(AppError::field("grid_code", "应为网格编码 / must be a grid's code"));
        }
        let from = self
            .store
            .user_by_name(input.from_user.trim())
            .await?
            .ok_or_else(|| AppError::field("from_user", "用户不存在 / no such user"))?;
        let to = self
            .store
            .user_by_name(input.to_user.trim())
            .await?
            .ok_or_else(|| AppError::field("to_user", "用户不存在 / no such user"))?;
        if from.id == to.id {
            return Err(AppError::field("to_user", "接手人与原网格员相同 / the same worker"));
        }
        if to.disabled {
            return Err(AppError::field("to_user", "该用户已停用 / this user is disabled"));
        }
        let grant = wangge_domain::scope::Grant {
            role: Role::GridWorker,
            region_code: grid.to_string(),
            department_code: None,
        };
        let mut tx = self.store.begin().await?;
        if !Store::delete_grant(&mut tx, from.id, &grant).await? {
            return Err(AppError::field("from_user", "此人不是该网格的网格员 / not a grid worker of this grid"));
        }
        Store::insert_grant(&mut tx, to.id, &grant).await.map_err(|e| match e {
            StoreError::Conflict(_) => {
                AppError::field("to_user", "此人已是该网格的网格员 / already a grid worker of this grid")
            }
            e => e.into(),
        })?;
        let reason = format!("{} → {}", from.username, to.username);
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "reassign_grid",
                object: &format!("region:{grid}"),
                reason: Some(&reason),
                region_code: Some(grid),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.actors.clear();
        Ok(())
    }

    /// Adds a patrol route with its check-in points (community staff and above).
    pub async fn add_patrol_route(&self, actor: &Actor, input: RouteInput) -> Result<RouteView> {
        let region = input.region_code.trim();
        self.authorize(actor, Permission::ReadFieldWork, region)?;
        self.authorize(actor, Permission::AssignGrids, region)?;
        if self.store.region(region).await?.is_none() {
            return Err(AppError::field("region_code", "区域不存在 / no such region"));
        }
        let name = text_field("name", &input.name, 100)?;
        if name.is_empty() {
            return Err(AppError::field("name", "请填写路线名称 / name the route"));
        }
        let team = text_field("team", &input.team, 100)?;
        if input.checkpoints.len() > 100 {
            return Err(AppError::field("checkpoints", "最多100个打卡点 / at most 100 checkpoints"));
        }
        for (i, c) in input.checkpoints.iter().enumerate() {
            rules::check_fix(&format!("checkpoints[{i}]"), c.lat, c.lon)?;
            if c.name.trim().is_empty() || c.name.chars().count() > 50 {
                return Err(AppError::field(&format!("checkpoints[{i}].name"), "名称应为1到50字 / 1 to 50 characters"));
            }
            if !(10.0..=2000.0).contains(&c.radius_m) {
                return Err(AppError::field(
                    &format!("checkpoints[{i}].radius_m"),
                    "范围应为10到2000米 / 10 to 2000 m",
                ));
            }
        }
        let checkpoints = serde_json::to_string(&input.checkpoints).map_err(|e| AppError::internal(e.to_string()))?;
        let mut tx = self.store.begin().await?;
        let id = Store::insert_patrol_route(&mut tx, region, &name, &team, &checkpoints).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "create",
                object: &format!("patrol_route:{id}"),
                reason: None,
                region_code: Some(region),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(RouteView { id, region_code: region.to_string(), name, team, checkpoints: input.checkpoints })
    }
}
