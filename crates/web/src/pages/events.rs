//! The event closed loop in the browser for staff: the list with filters (a department's queue by default for
//! department users), one event with its facts, map, timeline and one form per action the caller may take now,
//! the grid worker's three-tap report form (likely duplicates offered before a new event), and the
//! GB/T 30428.4 indicators. Every use case is one `App` call; the workflow's decisions stay in the app.

use super::{CsrfForm, PageActor, UserBar, error_page, form_error, localize, render, urlencode};
use crate::AppState;
use crate::i18n::{Lang, group_digits};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wangge_app::events::{ActionInput, EventDetail, EventQuery, EventView, ReportInput, Reporter, TimelineEntry};
use wangge_app::{AppError, ErrorKind};
use wangge_domain::event::{Action, Card, Level, Source, Status};
use wangge_domain::region::RegionLevel;
use wangge_domain::role::{Permission, Role};

/// Categories a grid worker reports most, offered first as big buttons (the rest are in a list).
pub const COMMON_CATEGORIES: &[&str] =
    &["E0102", "E0501", "E0503", "E0201", "E0101", "E0104", "B0103", "B0101", "Z0101", "Z0301"];

/// Labels in the page's language for the event vocabulary (states, actions, categories, departments…).
pub struct EvLabels {
    lang: Lang,
    categories: HashMap<String, (String, String)>,
    departments: HashMap<String, (String, String)>,
}

impl EvLabels {
    pub(crate) async fn load(app: &AppState, lang: Lang) -> EvLabels {
        let categories = match app.event_reference().await {
            Ok(r) => r.categories.iter().map(|c| (c.code.clone(), (c.name.clone(), c.name_en.clone()))).collect(),
            Err(_) => HashMap::new(),
        };
        let departments =
            app.store.departments().await.unwrap_or_default().into_iter().map(|(c, n, e)| (c, (n, e))).collect();
        EvLabels { lang, categories, departments }
    }

    fn pick(&self, zh: &'static str, en: &'static str) -> &'static str {
        if self.lang == Lang::Zh { zh } else { en }
    }

    fn pair(&self, p: Option<&(String, String)>, code: &str) -> String {
        match p {
            Some((zh, en)) if self.lang == Lang::Zh || en.is_empty() => zh.clone(),
            Some((_, en)) => en.clone(),
            None => code.to_string(),
        }
    }

    pub fn status(&self, code: &str) -> &'static str {
        Status::parse(code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    pub fn action(&self, code: &str) -> &'static str {
        Action::parse(code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    pub fn category(&self, code: &str) -> String {
        self.pair(self.categories.get(code), code)
    }

    pub fn department(&self, code: &str) -> String {
        self.pair(self.departments.get(code), code)
    }

    pub fn departments(&self, codes: &[String]) -> String {
        let sep = if self.lang == Lang::Zh { "、" } else { ", " };
        codes.iter().map(|c| self.department(c)).collect::<Vec<_>>().join(sep)
    }

    /// The supervision card; empty when the event has none.
    pub fn card(&self, code: &str) -> &'static str {
        Card::parse(code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    pub fn level(&self, code: &str) -> &'static str {
        Level::parse(code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    pub fn source(&self, code: &str) -> &'static str {
        Source::parse(code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    pub fn triage(&self, code: &str) -> &'static str {
        wangge_domain::event::Triage::parse(code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    /// A rate 0–1 as "93.8%", or "—" when nothing was there to divide.
    pub fn rate(&self, v: &Option<f64>) -> String {
        match v {
            Some(r) => format!("{:.1}%", r * 100.0),
            None => "—".into(),
        }
    }

    pub fn score(&self, v: &Option<f64>) -> String {
        match v {
            Some(r) => format!("{r:.1}"),
            None => "—".into(),
        }
    }

    /// Department options for pickers: (code, name).
    pub fn department_options(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self.departments.keys().map(|c| (c.clone(), self.department(c))).collect();
        v.sort();
        v
    }

    /// The classes (部件/事件 and their groups) for the list's filter.
    pub fn class_options(&self) -> Vec<(String, String)> {
        self.category_options(|c| c.len() <= 3)
    }

    /// Category options: (code, indented name), classes before their members, codes in order.
    pub fn category_options(&self, only: impl Fn(&str) -> bool) -> Vec<(String, String)> {
        let mut codes: Vec<&String> = self.categories.keys().filter(|c| only(c)).collect();
        codes.sort();
        codes
            .into_iter()
            .map(|c| {
                let indent = match c.len() {
                    1 => "",
                    3 => "　",
                    _ => "　　",
                };
                (c.clone(), format!("{indent}{} {}", c, self.category(c)))
            })
            .collect()
    }
}

/// A form's typed values and, after a refusal, the message and the field it names.
#[derive(Default)]
pub struct FormState {
    values: HashMap<String, String>,
    /// The message without the field's label (shown next to the field).
    error: Option<String>,
    /// The message with the field's label (shown above the form when its field is not on the form).
    labelled: Option<String>,
    field: Option<String>,
}

impl FormState {
    pub(crate) fn new(values: HashMap<String, String>) -> FormState {
        FormState { values, ..Default::default() }
    }

    /// After a refusal: the error is matched to the last segment of its field (`data.lat` → `lat`).
    pub(crate) fn failed(values: HashMap<String, String>, lang: Lang, e: &AppError) -> FormState {
        let field = e.field_name().map(|f| f.rsplit('.').next().unwrap_or(f).to_string());
        FormState::refused(values, lang, e, field)
    }

    /// After a refusal, matching the error to its whole field path (`parties[1].name`).
    pub(crate) fn failed_at_path(values: HashMap<String, String>, lang: Lang, e: &AppError) -> FormState {
        FormState::refused(values, lang, e, e.field_name().map(str::to_string))
    }

    fn refused(mut values: HashMap<String, String>, lang: Lang, e: &AppError, field: Option<String>) -> FormState {
        values.remove("csrf");
        let short = match e.field_name() {
            Some(f) => {
                let m = e.message.strip_prefix(f).and_then(|t| t.strip_prefix(": ")).unwrap_or(&e.message);
                localize(lang, m).to_string()
            }
            None => localize(lang, &e.message).to_string(),
        };
        FormState { values, error: Some(short), labelled: Some(form_error(lang, e)), field }
    }

    pub fn v(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }

    /// Every value the form sent (checkbox groups are read by their names' prefix).
    pub(crate) fn all(&self) -> &HashMap<String, String> {
        &self.values
    }

    pub fn is(&self, key: &str, value: &str) -> bool {
        self.v(key) == value
    }

    pub fn checked(&self, key: &str) -> bool {
        !self.v(key).is_empty()
    }

    /// The error, when it is about `key` (`lat` and `lon` both count as the location).
    pub fn err(&self, key: &str) -> Option<&str> {
        match (&self.error, &self.field) {
            (Some(e), Some(f))
                if f == key || (key == "location" && matches!(f.as_str(), "lat" | "lon" | "grid_code")) =>
            {
                Some(e)
            }
            _ => None,
        }
    }

    /// The refusal with its field's label, for a message above the form.
    pub(crate) fn labelled(&self) -> Option<&str> {
        self.labelled.as_deref()
    }

    /// The error, when it names none of the fields in `shown` (`parties` stands for every `parties[…]` field).
    pub fn general(&self, shown: &[&str]) -> Option<&str> {
        match (&self.labelled, &self.field) {
            (Some(_), Some(f)) if shown.contains(&f.as_str()) => None,
            (Some(_), Some(f)) if shown.contains(&"parties") && f.starts_with("parties[") => None,
            (Some(_), Some(f)) if shown.contains(&"location") && matches!(f.as_str(), "lat" | "lon" | "grid_code") => {
                None
            }
            (Some(l), _) => Some(l),
            _ => None,
        }
    }
}

pub(crate) fn status_of(e: &AppError) -> StatusCode {
    StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST)
}

// ───────────────────────────── list ─────────────────────────────

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    lang: Lang,
    user: Option<UserBar>,
    l: EvLabels,
    f: FormState,
    rows: Vec<EventView>,
    total: String,
    next: Option<String>,
    error: Option<String>,
    regions: Vec<(String, String)>,
    has_department: bool,
    may_report: bool,
    /// Centre desks (区/街道/社区) may act on several events at once.
    may_bulk: bool,
    /// This list's own address, to come back to after a bulk action.
    here: String,
    bulk_notice: Option<String>,
    bulk_failed: Option<String>,
}

/// Actions offered in bulk: the centre's desk steps that need no more than a note.
pub const BULK_ACTIONS: &[&str] = &["accept", "register", "dispatch", "close"];

impl EventsPage {
    fn bulk_actions(&self) -> Vec<(&'static str, &'static str)> {
        BULK_ACTIONS.iter().map(|a| (*a, self.l.action(a))).collect()
    }

    fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        Status::ALL.iter().map(|s| (s.as_str(), self.l.status(s.as_str()))).collect()
    }
}

/// Region options for the list's filter: the caller's streets and communities (grids are typed as codes).
pub(crate) async fn region_options(app: &AppState, pa: &PageActor) -> Vec<(String, String)> {
    let tree = app.region_tree(&pa.actor).await.unwrap_or_default();
    tree.into_iter()
        .filter(|r| r.level != RegionLevel::Grid)
        .take(300)
        .map(|r| {
            let indent = match r.level {
                RegionLevel::District => "",
                RegionLevel::Street => "　",
                _ => "　　",
            };
            (r.code, format!("{indent}{}", r.name))
        })
        .collect()
}

pub async fn list(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(mut q): Query<HashMap<String, String>>,
) -> Response {
    let has_department = pa.actor.has_role(Role::Department);
    // A department's desk opens on its queue.
    if has_department && !q.contains_key("view") {
        q.insert("view".into(), "queue".into());
    }
    let get = |k: &str| q.get(k).map(String::as_str).map(str::trim).filter(|s| !s.is_empty());
    let status = get("status");
    let (view, status) = match status {
        Some("overdue") => (Some("overdue"), None),
        Some("due_soon") => (Some("due_soon"), None),
        s => (get("view").filter(|v| *v != "all"), s),
    };
    let query = EventQuery {
        region: get("region"),
        status,
        category: get("category"),
        department: get("department"),
        view,
        from: get("from"),
        to: get("to"),
        limit: Some(30),
        cursor: get("cursor"),
    };
    let l = EvLabels::load(&app, lang).await;
    let (rows, total, next, error, code) = match app.list_events(&pa.actor, query).await {
        Ok(page) => {
            let next = page.next_cursor.map(|c| {
                let mut params: Vec<String> = q
                    .iter()
                    .filter(|(k, v)| *k != "cursor" && !v.is_empty())
                    .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
                    .collect();
                params.sort();
                params.push(format!("cursor={}", urlencode(&c)));
                format!("/events?{}", params.join("&"))
            });
            let shown = group_digits(page.total) + if page.total_is_lower_bound { "+" } else { "" };
            (page.items, shown, next, None, StatusCode::OK)
        }
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            (vec![], "0".into(), None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST)
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let regions = region_options(&app, &pa).await;
    let may_report = pa.actor.may_somewhere(Permission::ReportEvents);
    let may_bulk =
        pa.actor.grants.iter().any(|g| matches!(g.role, Role::Admin | Role::District | Role::Street | Role::Community));
    let mut params: Vec<String> = q
        .iter()
        .filter(|(k, v)| !k.starts_with("bulk_") && !v.is_empty())
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    params.sort();
    let here = format!("/events?{}", params.join("&"));
    let bulk_notice = q.get("bulk_ok").map(|n| format!("{}{}", lang.t("evt_bulk_done"), n));
    let bulk_failed = q.get("bulk_failed").filter(|f| !f.is_empty()).map(|f| {
        let ids: Vec<String> = f.split(',').filter(|x| x.parse::<i64>().is_ok()).map(|x| format!("#{x}")).collect();
        format!("{}{}", lang.t("evt_bulk_failed"), ids.join("、"))
    });
    let page = EventsPage {
        may_bulk,
        here,
        bulk_notice,
        bulk_failed,
        lang,
        user: pa.bar(),
        l,
        f: FormState::new(q),
        rows,
        total,
        next,
        error,
        regions,
        has_department,
        may_report,
    };
    render(code, &page)
}

/// One action on the events ticked in the list (at most 100), each through the same checks as on its own page;
/// the list comes back saying how many were done and which were refused.
pub async fn bulk(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let action = f.get("action");
    if !BULK_ACTIONS.contains(&action.as_str()) {
        return error_page(lang, f.pa.bar(), &AppError::field("action", "不支持批量执行该操作 / not a bulk action"));
    }
    let mut ids: Vec<i64> = f
        .fields
        .iter()
        .filter(|(k, v)| !v.is_empty() && k.starts_with("id_"))
        .filter_map(|(k, _)| k[3..].parse().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let (mut ok, mut failed) = (0, Vec::new());
    for id in ids.into_iter().take(100) {
        let input = ActionInput { action: action.clone(), note: f.get("note"), ..ActionInput::default() };
        match app.act_on_event(&f.pa.actor, id, input).await {
            Ok(_) => ok += 1,
            Err(e) if e.kind == ErrorKind::Internal => return error_page(lang, f.pa.bar(), &e),
            Err(_) => failed.push(id.to_string()),
        }
    }
    let back = f.get("back");
    let back = if back.starts_with("/events?") || back == "/events" { back } else { "/events?".to_string() };
    let sep = if back.contains('?') { "&" } else { "?" };
    Redirect::to(&format!("{back}{sep}bulk_ok={ok}&bulk_failed={}", failed.join(","))).into_response()
}

// ───────────────────────────── one event ─────────────────────────────

pub struct TimelineRow {
    pub t: TimelineEntry,
    /// What the action carried besides the note (departments, card, hours), in words.
    pub extra: String,
    /// A merge names the other event (where the duplicate went, or which one came in): linked.
    pub other: Option<i64>,
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: EvLabels,
    d: EventDetail,
    timeline: Vec<TimelineRow>,
    /// The action whose form failed, with what was typed.
    failed_action: String,
    f: FormState,
    notice: Option<String>,
    tile_url: String,
    grids_url: String,
    /// Actions in the order the forms are shown: the main line first, then the side flows.
    main_actions: Vec<String>,
    side_actions: Vec<String>,
    /// A department that may only ask for a postponement (approvers grant it).
    requests_postpone: bool,
    /// For the merge form: open events of the same category nearby that this one may be merged into.
    merge_candidates: Vec<EventView>,
}

impl EventPage {
    /// The typed value of a field of the `action` form, when that form was the one that failed.
    fn fv(&self, action: &str, key: &str) -> &str {
        if self.failed_action == action { self.f.v(key) } else { "" }
    }

    fn ferr(&self, action: &str) -> Option<&str> {
        if self.failed_action == action { self.f.labelled.as_deref() } else { None }
    }

    fn dept_checked(&self, action: &str, code: &str) -> bool {
        self.failed_action == action && self.f.checked(&format!("dept_{code}"))
    }

    fn has_photo_field(&self, action: &str) -> bool {
        matches!(action, "handle" | "verify" | "self_handle")
    }

    fn note_required(&self, action: &str) -> bool {
        matches!(action, "reject" | "void" | "return" | "suspend" | "self_handle" | "supervise")
            || (action == "postpone" && self.requests_postpone)
    }

    fn is_image(&self, content_type: &str) -> bool {
        content_type.starts_with("image/")
    }

    fn side_open(&self) -> bool {
        self.side_actions.contains(&self.failed_action)
    }

    fn stars(&self) -> Vec<&'static str> {
        vec!["1", "2", "3", "4", "5"]
    }

    fn star_checked(&self, action: &str, n: &str) -> bool {
        self.fv(action, "satisfaction") == n
    }

    /// The first candidate is chosen unless the failed form chose another (or typed an id).
    fn target_checked(&self, id: &i64) -> bool {
        if self.failed_action == "merge" {
            self.f.v("into") == id.to_string()
        } else {
            self.merge_candidates.first().is_some_and(|c| c.id == *id)
        }
    }

    /// Where a merged duplicate's chain ends when its target was merged on in turn.
    fn further_target(&self) -> Option<i64> {
        self.d.merged_target.as_ref().map(|t| t.id).filter(|t| Some(*t) != self.d.event.merged_into)
    }

    /// A description cut to a line for the candidate list.
    fn short(&self, s: &str) -> String {
        let mut out: String = s.chars().take(40).collect();
        if s.chars().count() > 40 {
            out.push('…');
        }
        out
    }
}

fn timeline_extra(l: &EvLabels, t: &TimelineEntry) -> String {
    let mut parts: Vec<String> = Vec::new();
    let zh = l.lang == Lang::Zh;
    if let Some(d) = t.data.get("departments").and_then(|v| v.as_array()) {
        let codes: Vec<String> = d.iter().filter_map(|x| x.as_str().map(str::to_string)).collect();
        parts.push(format!("{}{}", if zh { "派至：" } else { "to: " }, l.departments(&codes)));
    }
    if let Some(c) = t.data.get("card").and_then(|v| v.as_str()) {
        parts.push(l.card(c).to_string());
    }
    if let Some(h) = t.data.get("requested_hours").and_then(|v| v.as_i64()) {
        parts.push(if zh { format!("申请延期 {h} 工作时") } else { format!("asks {h} more working hours") });
    }
    if let Some(h) = t.data.get("approved_hours").and_then(|v| v.as_i64()) {
        parts.push(if zh { format!("批准延期 {h} 工作时") } else { format!("{h} working hours granted") });
    }
    if t.data.get("approved").and_then(|v| v.as_bool()) == Some(false) {
        parts.push(if zh { "不同意延期".into() } else { "postponement refused".into() });
    }
    if let Some(lv) = t.data.get("level").and_then(|v| v.as_str()) {
        parts.push(format!("{}{}", if zh { "升至：" } else { "raised to: " }, l.level(lv)));
    }
    if let Some(s) = t.data.get("satisfaction").and_then(|v| v.as_i64()) {
        parts.push(format!("{}{s}/5", if zh { "满意度 " } else { "satisfaction " }));
    }
    parts.join(" · ")
}

const MAIN_ACTIONS: &[&str] =
    &["accept", "register", "dispatch", "handle", "verify", "close", "evaluate", "self_handle"];

pub(crate) async fn event_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    failed: Option<(String, FormState, StatusCode)>,
    notice: Option<String>,
) -> Response {
    let mut d = match app.event_detail(&pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    // A member of the public is named by surname only (王**); staff who report are colleagues.
    if d.event.source == Source::Resident.as_str() {
        d.event.reporter = d.event.reporter.take().map(|n| mask_name(&n));
    }
    let l = EvLabels::load(app, lang).await;
    let tiles = app.map_settings().await.map(|t| t.tile_url).unwrap_or_default();
    let grids_url = if pa.actor.may(Permission::ReadRegions, &d.event.grid_code) {
        format!("/api/v1/regions/{}/grids.geojson", d.event.grid_code)
    } else {
        String::new()
    };
    let timeline = d
        .timeline
        .iter()
        .map(|t| TimelineRow {
            extra: timeline_extra(&l, t),
            other: (t.action == Action::Merge.as_str())
                .then(|| t.data.get("into").or_else(|| t.data.get("from")).and_then(|v| v.as_i64()))
                .flatten(),
            t: t.clone(),
        })
        .collect();
    let main_actions: Vec<String> =
        MAIN_ACTIONS.iter().filter(|a| d.event.actions.iter().any(|x| x == *a)).map(|a| a.to_string()).collect();
    let side_actions: Vec<String> =
        d.event.actions.iter().filter(|a| !MAIN_ACTIONS.contains(&a.as_str())).cloned().collect();
    let approver = pa.actor.grants.iter().any(|g| {
        matches!(g.role, Role::Admin | Role::District | Role::Street)
            && (g.role == Role::Admin || wangge_domain::region::is_within(&d.event.grid_code, &g.region_code))
    });
    let (failed_action, f, status) = failed.unwrap_or_else(|| (String::new(), FormState::default(), StatusCode::OK));
    // A refused form stays on the page with its message and what was typed, even when the event moved on
    // and the action is no longer offered.
    let (mut main_actions, mut side_actions) = (main_actions, side_actions);
    if Action::parse(&failed_action).is_some() && !d.event.actions.contains(&failed_action) {
        if MAIN_ACTIONS.contains(&failed_action.as_str()) {
            main_actions.insert(0, failed_action.clone());
        } else {
            side_actions.insert(0, failed_action.clone());
        }
    }
    let merge_candidates = if side_actions.iter().any(|a| a == Action::Merge.as_str()) {
        app.merge_candidates(&pa.actor, id).await.unwrap_or_default()
    } else {
        vec![]
    };
    let page = EventPage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        l,
        timeline,
        merge_candidates,
        failed_action,
        f,
        notice,
        tile_url: tiles,
        grids_url,
        main_actions,
        side_actions,
        requests_postpone: !approver,
        d,
    };
    render(status, &page)
}

/// "王先生" → "王**": enough to greet them on the phone, not enough to identify them from the page.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// A record id from a path: a positive number, else the not-found page (not a 400 from the router).
pub(crate) fn parse_record_id(lang: Lang, pa: &PageActor, id: &str) -> Result<i64, Box<Response>> {
    id.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| Box::new(error_page(lang, pa.bar(), &AppError::not_found(id))))
}

pub async fn show(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = match parse_record_id(lang, &pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let notice = if q.contains_key("reported") {
        Some(lang.t("evt_reported_notice").to_string())
    } else {
        q.get("done").and_then(|a| Action::parse(a)).map(|a| {
            let label = if lang == Lang::Zh { a.label_zh() } else { a.label_en() };
            format!("{}{}", label, lang.t("evt_done_suffix"))
        })
    };
    event_page(&app, lang, &pa, id, None, notice).await
}

fn parse_int(field: &str, s: &str) -> Result<Option<i64>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<i64>().map(Some).map_err(|_| AppError::field(field, "应为整数 / must be a whole number"))
}

/// Attachment ids a form carries, comma-separated (uploaded by the page's script beforehand).
pub(crate) fn parse_ids(s: &str) -> Result<Vec<i64>, AppError> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| x.parse::<i64>().map_err(|_| AppError::field("attachments", "附件编号无效 / bad attachment id")))
        .collect()
}

fn action_input(f: &CsrfForm) -> Result<ActionInput, AppError> {
    let opt = |k: &str| Some(f.get(k)).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let mut departments: Vec<String> = f
        .fields
        .iter()
        .filter(|(k, v)| k.starts_with("dept_") && !v.is_empty())
        .map(|(k, _)| k[5..].to_string())
        .collect();
    departments.sort();
    Ok(ActionInput {
        action: f.get("action"),
        note: f.get("note"),
        department: opt("department"),
        departments,
        hours: parse_int("hours", &f.get("hours"))?,
        approve: match f.get("approve").as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        card: opt("card"),
        satisfaction: parse_int("satisfaction", &f.get("satisfaction"))?,
        attachments: parse_ids(&f.get("attachments"))?,
        version: parse_int("version", &f.get("version"))?,
        // A number typed in the free field wins over the candidate ticked in the list.
        into: match parse_int("into", &f.get("into_other"))? {
            Some(n) => Some(n),
            None => parse_int("into", &f.get("into"))?,
        },
    })
}

/// One action from the event page. A refusal (400 field, 403 role, 409 state or a stale page) shows the page
/// again with the message in that action's form and everything typed kept.
pub async fn act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let action = f.get("action");
    let result = match action_input(&f) {
        Ok(input) => app.act_on_event(&f.pa.actor, id, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/events/{id}?done={}", urlencode(&action))).into_response(),
        // This event is gone for the caller; a field's 404 (the merge target) stays on the form.
        Err(e) if e.kind == ErrorKind::NotFound && e.field_name().is_none() => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let status = status_of(&e);
            let state = FormState::failed(f.fields.clone(), lang, &e);
            event_page(&app, lang, &f.pa, id, Some((action, state, status)), None).await
        }
    }
}

// ───────────────────────────── report (staff) ─────────────────────────────

#[derive(Template)]
#[template(path = "event_new.html")]
struct NewEventPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: EvLabels,
    f: FormState,
    common: Vec<(String, String)>,
    others: Vec<(String, String)>,
    grids: Vec<(String, String)>,
    grids_url: String,
    tile_url: String,
    /// Likely duplicates found nearby: the reporter may open them or report anyway.
    duplicates: Vec<EventView>,
}

const NEW_FIELDS: &[&str] = &["category", "description", "address", "location", "attachments"];

impl NewEventPage {
    fn general(&self) -> Option<&str> {
        self.f.general(NEW_FIELDS)
    }
}

async fn new_event_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    f: FormState,
    status: StatusCode,
    duplicates: Vec<EventView>,
) -> Response {
    let l = EvLabels::load(app, lang).await;
    let common: Vec<(String, String)> = COMMON_CATEGORIES
        .iter()
        .filter(|c| l.categories.contains_key(**c))
        .map(|c| (c.to_string(), l.category(c)))
        .collect();
    let others = l.category_options(|_| true);
    let tree = app.region_tree(&pa.actor).await.unwrap_or_default();
    let grids: Vec<(String, String)> = tree
        .iter()
        .filter(|r| r.level == RegionLevel::Grid && pa.actor.may(Permission::ReportEvents, &r.code))
        .take(500)
        .map(|r| (r.code.clone(), format!("{}（{}）", r.name, r.code)))
        .collect();
    let home = app.home_region(&pa.actor).await.ok().flatten().unwrap_or_default();
    let grids_url = if home.is_empty() { String::new() } else { format!("/api/v1/regions/{home}/grids.geojson") };
    let tile_url = app.map_settings().await.map(|t| t.tile_url).unwrap_or_default();
    let page = NewEventPage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        l,
        f,
        common,
        others,
        grids,
        grids_url,
        tile_url,
        duplicates,
    };
    render(status, &page)
}

pub async fn new_event(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    if let Err(e) = app.authorize_anywhere(&pa.actor, Permission::ReportEvents) {
        return error_page(lang, pa.bar(), &e);
    }
    new_event_page(&app, lang, &pa, FormState::default(), StatusCode::OK, vec![]).await
}

/// The point typed or found: both coordinates or none; anything else names the field.
pub(crate) fn parse_point(lat: &str, lon: &str) -> Result<(Option<f64>, Option<f64>), AppError> {
    let p = |field: &str, s: &str| -> Result<Option<f64>, AppError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(|| AppError::field(field, "坐标无效 / not a coordinate"))
    };
    Ok((p("lat", lat)?, p("lon", lon)?))
}

/// The category chosen: from the full list when used, else from the common buttons.
pub(crate) fn chosen_category(f: &HashMap<String, String>) -> String {
    let other = f.get("category_other").map(|s| s.trim()).unwrap_or("");
    if other.is_empty() { f.get("category").cloned().unwrap_or_default() } else { other.to_string() }
}

pub async fn create(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let built = (|| -> Result<ReportInput, AppError> {
        let (lat, lon) = parse_point(&f.get("lat"), &f.get("lon"))?;
        Ok(ReportInput {
            category: chosen_category(&f.fields),
            description: f.get("description"),
            lat,
            lon,
            crs: Some(f.get("crs")).filter(|c| !c.is_empty()),
            grid_code: Some(f.get("grid_code")).filter(|g| !g.trim().is_empty() && lat.is_none()),
            address: f.get("address"),
            attachments: parse_ids(&f.get("attachments"))?,
            check_duplicates: f.get("force").is_empty(),
            ..ReportInput::default()
        })
    })();
    let result = match built {
        Ok(input) => app.report_event(Reporter::User(&f.pa.actor), input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Redirect::to(&format!("/events/{}?reported=1", r.id)).into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            // Likely duplicates: show them, with the choice to report anyway.
            let mut duplicates = Vec::new();
            if e.kind == ErrorKind::Conflict
                && let Some(ids) = e.details.as_ref().and_then(|d| d.get("duplicates")).and_then(|d| d.as_array())
            {
                for id in ids.iter().filter_map(|v| v.as_i64()).take(5) {
                    if let Ok(d) = app.event_detail(&f.pa.actor, id).await {
                        duplicates.push(d.event);
                    }
                }
            }
            let state = FormState::failed(f.fields.clone(), lang, &e);
            new_event_page(&app, lang, &f.pa, state, status_of(&e), duplicates).await
        }
    }
}

// ───────────────────────────── indicators ─────────────────────────────

pub struct IndicatorRow {
    pub key: String,
    pub name: String,
    pub i: wangge_domain::event::Indicators,
}

#[derive(Template)]
#[template(path = "event_indicators.html")]
struct IndicatorsPage {
    lang: Lang,
    user: Option<UserBar>,
    l: EvLabels,
    f: FormState,
    total: Option<wangge_domain::event::Indicators>,
    by_category: Vec<IndicatorRow>,
    by_department: Vec<IndicatorRow>,
    by_person: Vec<wangge_app::events::PersonRow>,
    /// The people's table is ordered by 有效上报率 (default) or by 上报数 (`psort=reported`).
    person_by_reported: bool,
    /// Links that keep the filters and change the people's order: (by 有效上报率, by 上报数).
    person_sort_links: (String, String),
    regions: Vec<(String, String)>,
    error: Option<String>,
    /// Chart data as JSON for `indicators.js` (a `data-chart` attribute: the CSP allows no inline script);
    /// `None` when there is nothing to draw, and the page says 暂无数据 instead of an empty chart.
    chart_kpis: Option<String>,
    chart_categories: Option<String>,
    chart_departments: Option<String>,
}

/// One chart for `static/indicators.js`: `kind` is `bar` (names along the x axis), `hbar` (names down the
/// y axis) or `gauge` (one dial per name); rates are sent as percentages so the script only draws.
#[derive(serde::Serialize)]
struct Chart {
    kind: &'static str,
    percent: bool,
    names: Vec<String>,
    series: Vec<ChartSeries>,
}

#[derive(serde::Serialize)]
struct ChartSeries {
    name: &'static str,
    values: Vec<Option<f64>>,
}

/// How many categories the chart shows: more than ten bars with Chinese names stop being readable,
/// and the table below lists all of them.
const CHART_TOP_CATEGORIES: usize = 10;

fn pct(v: Option<f64>) -> Option<f64> {
    v.map(|r| (r * 1000.0).round() / 10.0)
}

fn chart_json(c: &Chart) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

/// District KPIs as three dials; none when nothing was registered (every rate would be empty).
fn kpi_chart(lang: Lang, t: &wangge_domain::event::Indicators) -> Option<String> {
    let rates = [
        ("evt_ind_closure_rate", t.closure_rate),
        ("evt_ind_on_time_rate", t.on_time_rate),
        ("evt_ind_on_time_handling_rate", t.on_time_handling_rate),
    ];
    if rates.iter().all(|(_, v)| v.is_none()) {
        return None;
    }
    Some(chart_json(&Chart {
        kind: "gauge",
        percent: true,
        names: rates.iter().map(|(k, _)| lang.t(k).to_string()).collect(),
        series: vec![ChartSeries { name: "", values: rates.iter().map(|(_, v)| pct(*v)).collect() }],
    }))
}

/// 上报数 vs 结案数 for the ten categories reported most (ties: more closed first, then the code).
fn category_chart(lang: Lang, rows: &[IndicatorRow]) -> Option<String> {
    let mut top: Vec<&IndicatorRow> = rows.iter().filter(|r| r.i.reported > 0 || r.i.closed > 0).collect();
    top.sort_by(|a, b| b.i.reported.cmp(&a.i.reported).then(b.i.closed.cmp(&a.i.closed)).then(a.key.cmp(&b.key)));
    top.truncate(CHART_TOP_CATEGORIES);
    if top.is_empty() {
        return None;
    }
    Some(chart_json(&Chart {
        kind: "bar",
        percent: false,
        names: top.iter().map(|r| r.name.clone()).collect(),
        series: vec![
            ChartSeries {
                name: lang.t("evt_ind_reported"),
                values: top.iter().map(|r| Some(r.i.reported as f64)).collect(),
            },
            ChartSeries {
                name: lang.t("evt_ind_closed"),
                values: top.iter().map(|r| Some(r.i.closed as f64)).collect(),
            },
        ],
    }))
}

/// 按期结案率 and 按时处置率 per department, in the table's order; departments with neither rate are left out.
fn department_chart(lang: Lang, rows: &[IndicatorRow]) -> Option<String> {
    let rows: Vec<&IndicatorRow> =
        rows.iter().filter(|r| r.i.on_time_rate.is_some() || r.i.on_time_handling_rate.is_some()).collect();
    if rows.is_empty() {
        return None;
    }
    Some(chart_json(&Chart {
        kind: "hbar",
        percent: true,
        names: rows.iter().map(|r| r.name.clone()).collect(),
        series: vec![
            ChartSeries {
                name: lang.t("evt_ind_on_time_rate"),
                values: rows.iter().map(|r| pct(r.i.on_time_rate)).collect(),
            },
            ChartSeries {
                name: lang.t("evt_ind_on_time_handling_rate"),
                values: rows.iter().map(|r| pct(r.i.on_time_handling_rate)).collect(),
            },
        ],
    }))
}

pub async fn indicators(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).map(str::trim).filter(|s| !s.is_empty());
    let (region, from, to) = (get("region"), get("from"), get("to"));
    let l = EvLabels::load(&app, lang).await;
    let regions = region_options(&app, &pa).await;
    let loaded = async {
        let total = app.indicators(&pa.actor, region, from, to).await?;
        let cats = app.indicators_by(&pa.actor, "category", region, from, to).await?;
        let depts = app.indicators_by(&pa.actor, "department", region, from, to).await?;
        let people = app.indicators_by_person(&pa.actor, region, from, to).await?;
        Ok::<_, AppError>((total, cats, depts, people))
    }
    .await;
    let person_by_reported = get("psort") == Some("reported");
    let sort_link = |psort: Option<&str>| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [("region", region), ("from", from), ("to", to), ("psort", psort)] {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
        format!("/events/indicators?{}#by-person", q.finish())
    };
    let person_sort_links = (sort_link(None), sort_link(Some("reported")));
    let (total, by_category, by_department, mut by_person, error, status) = match loaded {
        Ok((t, c, d, p)) => {
            let rows = |v: Vec<(String, wangge_domain::event::Indicators)>, dept: bool| -> Vec<IndicatorRow> {
                v.into_iter()
                    .map(|(k, i)| IndicatorRow {
                        name: if dept { l.department(&k) } else { l.category(&k) },
                        key: k,
                        i,
                    })
                    .collect()
            };
            (Some(t), rows(c, false), rows(d, true), p, None, StatusCode::OK)
        }
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            (None, vec![], vec![], vec![], Some(form_error(lang, &e)), StatusCode::BAD_REQUEST)
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    if person_by_reported {
        wangge_domain::event::indicators::sort_people(&mut by_person, false, |r| (&r.indicators, r.username.as_str()));
    }
    let chart_kpis = total.as_ref().and_then(|t| kpi_chart(lang, t));
    let chart_categories = category_chart(lang, &by_category);
    let chart_departments = department_chart(lang, &by_department);
    let page = IndicatorsPage {
        lang,
        user: pa.bar(),
        l,
        f: FormState::new(q),
        total,
        by_category,
        by_department,
        by_person,
        person_by_reported,
        person_sort_links,
        regions,
        error,
        chart_kpis,
        chart_categories,
        chart_departments,
    };
    render(status, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, reported: i64, closed: i64, on_time: Option<f64>) -> IndicatorRow {
        let counts = wangge_domain::event::indicators::Counts { reported, closed, ..Default::default() };
        let mut i = wangge_domain::event::Indicators::from_counts(&counts);
        i.on_time_rate = on_time;
        i.on_time_handling_rate = None;
        IndicatorRow { key: key.into(), name: format!("类别{key}"), i }
    }

    #[test]
    fn category_chart_keeps_the_ten_reported_most() {
        assert_eq!(category_chart(Lang::Zh, &[]), None, "no data, no chart");
        assert_eq!(category_chart(Lang::Zh, &[row("A", 0, 0, None)]), None, "only zeros, no chart");
        let rows: Vec<IndicatorRow> = (0..12).map(|n| row(&format!("C{n:02}"), n, n / 2, None)).collect();
        let v: serde_json::Value = serde_json::from_str(&category_chart(Lang::En, &rows).unwrap()).unwrap();
        assert_eq!(v["names"].as_array().unwrap().len(), 10);
        assert_eq!(v["names"][0], "类别C11");
        assert_eq!(v["series"][0]["name"], "Reported");
        assert_eq!(v["series"][0]["values"][0], 11.0);
        assert_eq!(v["series"][1]["values"][0], 5.0);
    }

    #[test]
    fn department_chart_sends_percentages_and_skips_departments_without_rates() {
        assert_eq!(department_chart(Lang::Zh, &[row("d", 3, 0, None)]), None);
        let v: serde_json::Value = serde_json::from_str(
            &department_chart(Lang::Zh, &[row("a", 1, 1, Some(0.8333)), row("b", 1, 0, None)]).unwrap(),
        )
        .unwrap();
        assert_eq!(v["names"], serde_json::json!(["类别a"]));
        assert_eq!(v["series"][0]["name"], "按期结案率");
        assert_eq!(v["series"][0]["values"][0], 83.3);
        assert_eq!(v["series"][1]["values"][0], serde_json::Value::Null);
    }

    #[test]
    fn public_names_keep_only_the_surname() {
        assert_eq!(mask_name("王先生"), "王**");
        assert_eq!(mask_name("A"), "A");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn points_are_both_or_none() {
        assert_eq!(parse_point("", "").unwrap(), (None, None));
        assert_eq!(parse_point("30.1", "120.2").unwrap(), (Some(30.1), Some(120.2)));
        assert_eq!(parse_point("x", "120").unwrap_err().field_name(), Some("lat"));
        assert!(parse_ids("1, 2,").unwrap() == vec![1, 2] && parse_ids("a").is_err());
    }
}
