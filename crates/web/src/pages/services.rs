//! Resident services (便民服务, issue #8) for staff: the applications list and queues, the front desk's acceptance
//! (a person of the register found by a search, the item's materials ticked), one application with a form per
//! action the caller may take, the printable 受理回执, in-app notifications, the catalogue, a station's
//! appointments and opening hours, the admission list with its tasks and report, and the statistics. Every
//! decision stays in the app; a page parses the form, makes its call and shows the answer.

use super::events::{FormState, parse_record_id, region_options, status_of};
use super::{CsrfForm, PageActor, UserBar, error_page, form_error, render, urlencode};
use crate::AppState;
use crate::i18n::{Lang, group_digits};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wangge_app::admission::{
    AdmissionItemInput, AdmissionItemView, AdmissionReport, TaskActionInput, TaskInput, TaskQuery, TaskView,
};
use wangge_app::appointments::{
    AppointmentActionInput, AppointmentView, HoursInput, HoursRowInput, HoursView, SlotDay,
};
use wangge_app::people::PersonDetail;
use wangge_app::service_catalogue::{ServiceCategory, ServiceItem, ServiceItemInput};
use wangge_app::services::{
    ApplicationActionInput, ApplicationDetail, ApplicationInput, ApplicationQuery, ApplicationView, NotificationPage,
    ServiceStats, limit_label,
};
use wangge_app::{AppError, ErrorKind};
use wangge_domain::admission::TaskStatus;
use wangge_domain::region::RegionLevel;
use wangge_domain::role::Permission;
use wangge_domain::service::{ApplicationAction, ApplicationStatus, AppointmentStatus, HoursKind, satisfaction_label};

/// Labels in the page's language for the services vocabulary.
pub struct SvLabels {
    pub lang: Lang,
}

impl SvLabels {
    fn pick(&self, zh: &'static str, en: &'static str) -> &'static str {
        if self.lang == Lang::Zh { zh } else { en }
    }

    pub fn status(&self, code: &str) -> &'static str {
        ApplicationStatus::parse("status", code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    pub fn action(&self, code: &str) -> &'static str {
        match code {
            "submit" => self.lang.t("sv_step_submit"),
            "escalate" => self.lang.t("sv_step_escalate"),
            c => ApplicationAction::parse("action", c).map(|a| self.pick(a.label_zh(), a.label_en())).unwrap_or(""),
        }
    }

    pub fn channel(&self, code: &str) -> &'static str {
        self.lang.t(if code == "online" { "sv_channel_online" } else { "sv_channel_window" })
    }

    pub fn kind(&self, code: &str) -> &'static str {
        HoursKind::parse("kind", code).map(|k| self.pick(k.label_zh(), k.label_en())).unwrap_or("")
    }

    pub fn appointment(&self, code: &str) -> &'static str {
        AppointmentStatus::parse("status", code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    pub fn task(&self, code: &str) -> &'static str {
        TaskStatus::parse("status", code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    pub fn satisfaction(&self, v: &i64) -> &'static str {
        let (zh, en) = satisfaction_label(*v);
        self.pick(zh, en)
    }

    pub fn stars(&self, v: &i64) -> String {
        "★".repeat((*v).clamp(0, 5) as usize)
    }

    pub fn limit(&self, days: &i64) -> String {
        match (self.lang, *days) {
            (Lang::Zh, d) => limit_label(d),
            (Lang::En, 0) => "same day".into(),
            (Lang::En, 1) => "1 working day".into(),
            (Lang::En, d) => format!("{d} working days"),
        }
    }

    pub fn weekday(&self, n: &u32) -> &'static str {
        let zh = ["", "周一", "周二", "周三", "周四", "周五", "周六", "周日"];
        let en = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let i = (*n as usize).min(7);
        if self.lang == Lang::Zh { zh[i] } else { en[i] }
    }

    /// "2026-11-25T18:09:00+08:00" → "2026-11-25 18:09".
    pub fn time(&self, s: &str) -> String {
        match s.get(..16) {
            Some(t) if s.len() >= 16 => t.replacen('T', " ", 1),
            _ => s.to_string(),
        }
    }

    /// "…T18:09…" → "18:09".
    pub fn clock(&self, s: &str) -> String {
        s.get(11..16).unwrap_or(s).to_string()
    }

    pub fn rate(&self, v: &Option<f64>) -> String {
        match v {
            Some(r) => format!("{:.1}%", r * 100.0),
            None => "—".into(),
        }
    }

    pub fn yuan(&self, v: &Option<f64>) -> String {
        match v {
            Some(y) => format!("{} {}", group_digits(y.round() as i64), self.lang.t("dsp_yuan")),
            None => "—".into(),
        }
    }

    pub fn money(&self, v: &f64) -> String {
        self.yuan(&Some(*v))
    }

    pub fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        ApplicationStatus::ALL.iter().map(|s| (s.as_str(), self.status(s.as_str()))).collect()
    }
}

fn due_class(v: &ApplicationView) -> &'static str {
    if v.overdue {
        "overdue"
    } else if v.due_soon {
        "due-soon"
    } else {
        ""
    }
}

/// Query parameters kept in a link, with `cursor` replaced.
fn list_link(base: &str, q: &HashMap<String, String>, cursor: &str) -> String {
    let mut params: Vec<String> = q
        .iter()
        .filter(|(k, v)| *k != "cursor" && !v.is_empty())
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    params.sort();
    params.push(format!("cursor={}", urlencode(cursor)));
    format!("{base}?{}", params.join("&"))
}

/// Ticked material checkboxes (`received[0]`, `received[1]`…: a form sends one field per box).
fn ticked(f: &CsrfForm) -> Vec<String> {
    let mut keys: Vec<(usize, String)> = f
        .fields
        .iter()
        .filter_map(|(k, v)| {
            let i = k.strip_prefix("received[")?.strip_suffix(']')?.parse().ok()?;
            (!v.trim().is_empty()).then(|| (i, v.trim().to_string()))
        })
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, v)| v).collect()
}

fn opt(f: &CsrfForm, k: &str) -> Option<String> {
    Some(f.get(k).trim().to_string()).filter(|v| !v.is_empty())
}

fn parse_int(f: &CsrfForm, k: &str) -> Result<Option<i64>, AppError> {
    match opt(f, k) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| AppError::field(k, "应为数字 / must be a number")),
    }
}

// ───────────────────────────── list ─────────────────────────────

#[derive(Template)]
#[template(path = "services.html")]
struct ListPage {
    lang: Lang,
    user: Option<UserBar>,
    l: SvLabels,
    f: FormState,
    view: String,
    rows: Vec<ApplicationView>,
    total: String,
    next: Option<String>,
    error: Option<String>,
    items: Vec<ServiceItem>,
    regions: Vec<(String, String)>,
    may_accept: bool,
}

impl ListPage {
    fn due_class(&self, v: &ApplicationView) -> &'static str {
        due_class(v)
    }
}

pub async fn list(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(mut q): Query<HashMap<String, String>>,
) -> Response {
    let view = q.entry("view".into()).or_insert_with(|| "queue".into()).clone();
    let get = |k: &str| q.get(k).map(String::as_str).map(str::trim).filter(|s| !s.is_empty());
    let query = ApplicationQuery {
        region: get("region"),
        status: get("status"),
        item: get("item"),
        view: get("view"),
        tracking_no: get("tracking_no"),
        person_id: None,
        cursor: get("cursor"),
        limit: Some(30),
    };
    let (rows, total, next, error, code) = match app.list_applications(&pa.actor, query).await {
        Ok(page) => {
            let mut total = group_digits(page.total);
            if page.total_is_lower_bound {
                total.push('+');
            }
            let next = page.next_cursor.map(|c| list_link("/services", &q, &c));
            (page.items, total, next, None, StatusCode::OK)
        }
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            (vec![], "0".into(), None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST)
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let page = ListPage {
        items: app.service_items(&pa.actor, None, false).await.unwrap_or_default(),
        regions: region_options(&app, &pa).await,
        may_accept: pa.actor.may_somewhere(Permission::AcceptApplications),
        lang,
        user: pa.bar(),
        l: SvLabels { lang },
        f: FormState::new(q),
        view,
        rows,
        total,
        next,
        error,
    };
    render(code, &page)
}

// ───────────────────────────── front desk ─────────────────────────────

#[derive(Template)]
#[template(path = "service_accept.html")]
struct AcceptPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: SvLabels,
    f: FormState,
    categories: Vec<(ServiceCategory, Vec<ServiceItem>)>,
    person: Option<PersonDetail>,
    item: Option<ServiceItem>,
}

impl AcceptPage {
    fn checked(&self, i: &usize, name: &str) -> bool {
        // First time shown: nothing ticked; after a refusal: what was ticked.
        self.f.v(&format!("received[{i}]")) == name
    }

    fn general(&self) -> Option<&str> {
        self.f.general(&["received", "window", "note"])
    }

    fn item_selected(&self, code: &str) -> bool {
        self.item.as_ref().is_some_and(|i| i.code == code)
    }
}

async fn accept_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    person: Option<i64>,
    item: Option<&str>,
    f: FormState,
    status: StatusCode,
) -> Response {
    if let Err(e) = app.authorize_anywhere(&pa.actor, Permission::AcceptApplications) {
        return error_page(lang, pa.bar(), &e);
    }
    let cats = app.service_categories(&pa.actor).await.unwrap_or_default();
    let items = app.service_items(&pa.actor, None, false).await.unwrap_or_default();
    let categories = cats
        .into_iter()
        .filter(|c| c.active)
        .map(|c| {
            let list = items.iter().filter(|i| i.active && i.category_code == c.code).cloned().collect();
            (c, list)
        })
        .collect();
    let (person, mut f) = match person {
        Some(id) => match app.person_detail(&pa.actor, id).await {
            Ok(p) => (Some(p), f),
            Err(e) => (None, FormState::failed(HashMap::new(), lang, &AppError::field("person_id", e.message))),
        },
        None => (None, f),
    };
    let item = match item.map(str::trim).filter(|i| !i.is_empty()) {
        Some(code) => match app.service_item(&pa.actor, code).await {
            Ok(i) => Some(i),
            Err(e) => {
                f = FormState::failed(HashMap::new(), lang, &AppError::field("item_code", e.message));
                None
            }
        },
        None => None,
    };
    let page =
        AcceptPage { lang, user: pa.bar(), csrf: pa.csrf.clone(), l: SvLabels { lang }, f, categories, person, item };
    render(status, &page)
}

pub async fn accept_form(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let person = q.get("person").and_then(|p| p.trim().parse::<i64>().ok());
    accept_page(&app, lang, &pa, person, q.get("item").map(String::as_str), FormState::default(), StatusCode::OK).await
}

pub async fn accept_submit(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let person = f.get("person_id").trim().parse::<i64>().ok();
    let input = ApplicationInput {
        item_code: f.get("item_code"),
        person_id: person,
        received: ticked(&f),
        materials: vec![],
        note: f.get("note"),
        window: f.get("window"),
    };
    match app.create_application(&f.pa.actor, input).await {
        Ok(d) => Redirect::to(&format!("/services/applications/{}?accepted=1", d.application.id)).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::Internal) => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let state = FormState::failed_at_path(f.fields.clone(), lang, &e);
            let item = f.get("item_code");
            accept_page(&app, lang, &f.pa, person, Some(&item), state, status_of(&e)).await
        }
    }
}

// ───────────────────────────── one application ─────────────────────────────

#[derive(Template)]
#[template(path = "service_application.html")]
struct ApplicationPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: SvLabels,
    d: ApplicationDetail,
    forms: Vec<String>,
    failed_action: String,
    f: FormState,
    notice: Option<String>,
    /// Where forms post (staff or the resident's own page).
    post_url: String,
    back_url: String,
    back_label: &'static str,
    resident: bool,
}

impl ApplicationPage {
    fn fv(&self, action: &str, key: &str) -> &str {
        if self.failed_action == action { self.f.v(key) } else { "" }
    }

    fn ferr(&self, action: &str) -> Option<&str> {
        if self.failed_action == action { self.f.labelled() } else { None }
    }

    fn note_required(&self, action: &str) -> bool {
        matches!(action, "refuse" | "supplement" | "reject")
    }

    fn note_label(&self, action: &str) -> &'static str {
        match action {
            "supplement" => self.lang.t("sv_supplement_what"),
            "refuse" | "reject" => self.lang.t("sv_reason"),
            "finish" => self.lang.t("sv_result"),
            "rate" => self.lang.t("sv_comment"),
            _ => self.lang.t("note"),
        }
    }

    fn due_class(&self) -> &'static str {
        due_class(&self.d.application)
    }

    /// Satisfaction choices, best first.
    fn ratings(&self) -> Vec<i64> {
        vec![5, 4, 3, 2, 1]
    }

    fn rating_selected(&self, action: &str, s: &i64) -> bool {
        self.fv(action, "satisfaction") == s.to_string()
    }

    /// The upload ids a refused 补正 form held for material `i`.
    fn upload_ids(&self, action: &str, i: &usize) -> &str {
        self.fv(action, &format!("materials[{i}].attachments"))
    }

    fn is_final(&self) -> bool {
        ApplicationStatus::parse("status", &self.d.application.status).is_ok_and(|s| s.is_final())
    }
}

/// The order forms are shown in: the main line first, then the ways out.
const ACTION_ORDER: &[&str] =
    &["accept", "handle", "resubmit", "approve", "finish", "rate", "supplement", "reject", "refuse", "withdraw"];

pub(crate) struct AppPageOpts {
    pub post_url: String,
    pub back_url: String,
    pub back_label: &'static str,
    pub resident: bool,
}

pub(crate) async fn application_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    failed: Option<(String, FormState, StatusCode)>,
    notice: Option<String>,
    opts: AppPageOpts,
) -> Response {
    let d = match app.application_detail(&pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let (failed_action, f, status) = failed.unwrap_or_else(|| (String::new(), FormState::default(), StatusCode::OK));
    let forms = ACTION_ORDER
        .iter()
        .filter(|a| d.actions.iter().any(|x| x == *a) || **a == failed_action)
        .filter(|a| !opts.resident || matches!(**a, "resubmit" | "withdraw" | "rate"))
        .map(|a| a.to_string())
        .collect();
    let page = ApplicationPage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        l: SvLabels { lang },
        d,
        forms,
        failed_action,
        f,
        notice,
        post_url: opts.post_url,
        back_url: opts.back_url,
        back_label: opts.back_label,
        resident: opts.resident,
    };
    render(status, &page)
}

fn done_notice(lang: Lang, q: &HashMap<String, String>) -> Option<String> {
    if q.contains_key("accepted") {
        return Some(lang.t("sv_accepted_notice").to_string());
    }
    if q.contains_key("submitted") {
        return Some(lang.t("sv_submitted_notice").to_string());
    }
    q.get("done").and_then(|a| ApplicationAction::parse("action", a).ok()).map(|a| {
        let label = if lang == Lang::Zh { a.label_zh() } else { a.label_en() };
        format!("{label}{}", lang.t("evt_done_suffix"))
    })
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
    let opts = AppPageOpts {
        post_url: format!("/services/applications/{id}/act"),
        back_url: "/services".into(),
        back_label: "sv_applications",
        resident: false,
    };
    application_page(&app, lang, &pa, id, None, done_notice(lang, &q), opts).await
}

pub(crate) fn action_input(f: &CsrfForm) -> Result<ApplicationActionInput, AppError> {
    Ok(ApplicationActionInput {
        action: f.get("action"),
        note: f.get("note"),
        received: ticked(f),
        materials: super::me_services::uploads(f)?,
        window: f.get("window"),
        satisfaction: parse_int(f, "satisfaction")?,
        version: parse_int(f, "version")?,
    })
}

pub async fn act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let action = f.get("action");
    let result = match action_input(&f) {
        Ok(input) => app.act_on_application(&f.pa.actor, id, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    let opts = AppPageOpts {
        post_url: format!("/services/applications/{id}/act"),
        back_url: "/services".into(),
        back_label: "sv_applications",
        resident: false,
    };
    match result {
        Ok(()) => Redirect::to(&format!("/services/applications/{id}?done={}", urlencode(&action))).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Internal) && e.field_name().is_none() => {
            error_page(lang, f.pa.bar(), &e)
        }
        Err(e) => {
            let state = FormState::failed_at_path(f.fields.clone(), lang, &e);
            application_page(&app, lang, &f.pa, id, Some((action, state, status_of(&e))), None, opts).await
        }
    }
}

// ───────────────────────────── 受理回执 ─────────────────────────────

#[derive(Template)]
#[template(path = "service_slip.html")]
struct SlipPage {
    lang: Lang,
    user: Option<UserBar>,
    l: SvLabels,
    d: ApplicationDetail,
    station: String,
    /// 2026年11月25日
    date: String,
    due_date: String,
}

/// "2026-11-25T…" → "2026年11月25日".
fn chinese_date(s: &str) -> String {
    match (s.get(0..4), s.get(5..7), s.get(8..10)) {
        (Some(y), Some(m), Some(d)) => {
            let n = |t: &str| t.trim_start_matches('0').to_string();
            format!("{y}年{}月{}日", n(m), n(d))
        }
        _ => String::new(),
    }
}

pub async fn slip(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(id): Path<String>) -> Response {
    let id = match parse_record_id(lang, &pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let d = match app.application_detail(&pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    if d.application.accepted_at.is_none() {
        let e = AppError::new(ErrorKind::NotFound, "尚未受理，没有受理回执 / not accepted yet: no slip");
        return error_page(lang, pa.bar(), &e);
    }
    let station = app
        .region_detail(&pa.actor, &d.application.community_code)
        .await
        .map(|r| r.name)
        .unwrap_or_else(|_| d.application.community_code.clone());
    let page = SlipPage {
        date: d.application.accepted_at.as_deref().map(chinese_date).unwrap_or_default(),
        due_date: format!("{} {}", chinese_date(&d.application.due_at), d.application.due_at.get(11..16).unwrap_or("")),
        station: format!("{station}{}", lang.t("sv_station_suffix")),
        lang,
        user: pa.bar(),
        l: SvLabels { lang },
        d,
    };
    render(StatusCode::OK, &page)
}

// ───────────────────────────── notifications ─────────────────────────────

#[derive(Template)]
#[template(path = "service_notifications.html")]
struct NotificationsPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: SvLabels,
    n: NotificationPage,
    next: Option<String>,
}

pub async fn notifications(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match app.notifications(&pa.actor, q.get("cursor").map(String::as_str), Some(50)).await {
        Ok(n) => {
            let next = n.next_cursor.as_ref().map(|c| format!("/services/notifications?cursor={}", urlencode(c)));
            let page = NotificationsPage { lang, user: pa.bar(), csrf: pa.csrf.clone(), l: SvLabels { lang }, n, next };
            render(StatusCode::OK, &page)
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

pub async fn notifications_read(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    match app.read_notifications(&f.pa.actor, None).await {
        Ok(_) => Redirect::to("/services/notifications").into_response(),
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

// ───────────────────────────── catalogue ─────────────────────────────

#[derive(Template)]
#[template(path = "service_catalogue.html")]
struct CataloguePage {
    lang: Lang,
    user: Option<UserBar>,
    l: SvLabels,
    categories: Vec<(ServiceCategory, Vec<ServiceItem>)>,
    editor: bool,
    saved: Option<String>,
}

pub async fn catalogue(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let cats = match app.service_categories(&pa.actor).await {
        Ok(c) => c,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let items = app.service_items(&pa.actor, None, false).await.unwrap_or_default();
    let categories = cats
        .into_iter()
        .map(|c| {
            let list = items.iter().filter(|i| i.category_code == c.code).cloned().collect();
            (c, list)
        })
        .collect();
    let page = CataloguePage {
        lang,
        user: pa.bar(),
        l: SvLabels { lang },
        categories,
        editor: pa.actor.may_somewhere(Permission::ManageServiceCatalogue),
        saved: q.get("saved").cloned(),
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "service_item_edit.html")]
struct ItemEditPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    f: FormState,
    code: String,
    new: bool,
    categories: Vec<ServiceCategory>,
    departments: Vec<(String, String)>,
}

impl ItemEditPage {
    fn general(&self) -> Option<&str> {
        self.f.general(&[
            "code",
            "category_code",
            "name",
            "materials_text",
            "eligibility",
            "time_limit_days",
            "department_code",
        ])
    }
}

async fn item_edit_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    code: &str,
    f: FormState,
    status: StatusCode,
) -> Response {
    if let Err(e) = app.authorize_anywhere(&pa.actor, Permission::ManageServiceCatalogue) {
        return error_page(lang, pa.bar(), &e);
    }
    let departments = app
        .store
        .departments()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(c, n, e)| (c, if lang == Lang::Zh || e.is_empty() { n } else { e }))
        .collect();
    let page = ItemEditPage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        f,
        new: code == "new",
        code: code.to_string(),
        categories: app.service_categories(&pa.actor).await.unwrap_or_default(),
        departments,
    };
    render(status, &page)
}

pub async fn item_edit(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(code): Path<String>) -> Response {
    let mut values = HashMap::new();
    if code != "new" {
        match app.service_item(&pa.actor, &code).await {
            Ok(i) => {
                let text = i
                    .materials
                    .iter()
                    .map(|m| {
                        let n = if m.required { m.name.clone() } else { format!("*{}", m.name) };
                        if m.note.is_empty() { n } else { format!("{n} | {}", m.note) }
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                values.insert("category_code".into(), i.category_code);
                values.insert("name".into(), i.name);
                values.insert("name_en".into(), i.name_en);
                values.insert("materials_text".into(), text);
                values.insert("eligibility".into(), i.eligibility);
                values.insert("basis".into(), i.basis);
                values.insert("time_limit_days".into(), i.time_limit_days.to_string());
                values.insert("department_code".into(), i.department_code.unwrap_or_default());
                if i.online {
                    values.insert("online".into(), "1".into());
                }
                if i.active {
                    values.insert("active".into(), "1".into());
                }
            }
            Err(e) => return error_page(lang, pa.bar(), &e),
        }
    } else {
        values.insert("active".into(), "1".into());
    }
    item_edit_page(&app, lang, &pa, &code, FormState::new(values), StatusCode::OK).await
}

pub async fn item_save(State(app): State<AppState>, lang: Lang, Path(code): Path<String>, f: CsrfForm) -> Response {
    let target = if code == "new" { f.get("code").trim().to_string() } else { code.clone() };
    let days = f.get("time_limit_days").trim().parse::<i64>();
    let result = match days {
        Err(_) => Err(AppError::field("time_limit_days", "应为0到365的整数 / a whole number 0–365")),
        Ok(days) => {
            let input = ServiceItemInput {
                category_code: f.get("category_code"),
                name: f.get("name"),
                name_en: f.get("name_en"),
                materials: vec![],
                materials_text: Some(f.get("materials_text")),
                eligibility: f.get("eligibility"),
                basis: f.get("basis"),
                time_limit_days: days,
                department_code: opt(&f, "department_code"),
                online: !f.get("online").is_empty(),
                active: !f.get("active").is_empty(),
            };
            app.put_service_item(&f.pa.actor, &target, input).await
        }
    };
    match result {
        Ok(i) => Redirect::to(&format!("/services/catalogue?saved={}", urlencode(&i.code))).into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let state = FormState::failed(f.fields.clone(), lang, &e);
            item_edit_page(&app, lang, &f.pa, &code, state, status_of(&e)).await
        }
    }
}

// ───────────────────────────── appointments and hours ─────────────────────────────

#[derive(Template)]
#[template(path = "service_appointments.html")]
struct AppointmentsPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: SvLabels,
    communities: Vec<(String, String)>,
    community: String,
    date: String,
    day: Option<SlotDay>,
    list: Vec<AppointmentView>,
    hours: Option<HoursView>,
    hours_text: String,
    may_edit: bool,
    error: Option<String>,
    notice: Option<String>,
}

/// The communities (stations) a staff member may see, as (code, name).
async fn stations(app: &AppState, pa: &PageActor) -> Vec<(String, String)> {
    app.region_tree(&pa.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.level == RegionLevel::Community && pa.actor.may(Permission::ReadApplications, &r.code))
        .map(|r| (r.code, r.name))
        .collect()
}

/// One line per period: `1 08:30-12:00 regular 30 2` (weekday, period, kind, slot minutes, places).
fn hours_text(h: &HoursView) -> String {
    h.rows
        .iter()
        .map(|r| format!("{} {}-{} {} {} {}", r.weekday, r.start, r.end, r.kind, r.slot_minutes, r.capacity))
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_hours_text(text: &str) -> Result<HoursInput, AppError> {
    let mut hours = Vec::new();
    for (i, line) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let bad = || {
            AppError::field(
                "hours",
                format!(
                    "第{}行应为“星期 开始-结束 类型 分钟 人数” / line {}: weekday start-end kind minutes places",
                    i + 1,
                    i + 1
                ),
            )
        };
        let (Some(wd), Some(period)) = (parts.first(), parts.get(1)) else { return Err(bad()) };
        let (start, end) = period.split_once('-').ok_or_else(bad)?;
        hours.push(HoursRowInput {
            weekday: wd.parse().map_err(|_| bad())?,
            start: start.into(),
            end: end.into(),
            kind: parts.get(2).unwrap_or(&"regular").to_string(),
            slot_minutes: parts.get(3).map(|s| s.parse().map_err(|_| bad())).transpose()?,
            capacity: parts.get(4).map(|s| s.parse().map_err(|_| bad())).transpose()?,
        });
    }
    Ok(HoursInput { hours })
}

async fn appointments_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    q: &HashMap<String, String>,
    error: Option<String>,
    text: Option<String>,
    status: StatusCode,
) -> Response {
    if let Err(e) = app.authorize_anywhere(&pa.actor, Permission::ReadApplications) {
        return error_page(lang, pa.bar(), &e);
    }
    let communities = stations(app, pa).await;
    let community =
        q.get("community").cloned().filter(|c| !c.is_empty()).or_else(|| communities.first().map(|c| c.0.clone()));
    let Some(community) = community else {
        return error_page(lang, pa.bar(), &AppError::not_found("station"));
    };
    let date = q.get("date").cloned().filter(|d| !d.is_empty());
    let day = app.service_slots(&pa.actor, Some(&community), date.as_deref()).await;
    let day = match day {
        Ok(d) => d,
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            return render(
                StatusCode::BAD_REQUEST,
                &AppointmentsPage {
                    lang,
                    user: pa.bar(),
                    csrf: pa.csrf.clone(),
                    l: SvLabels { lang },
                    communities,
                    community,
                    date: date.unwrap_or_default(),
                    day: None,
                    list: vec![],
                    hours: None,
                    hours_text: String::new(),
                    may_edit: false,
                    error: Some(form_error(lang, &e)),
                    notice: None,
                },
            );
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let list =
        app.list_appointments(&pa.actor, Some(&community), Some(&day.date)).await.map(|p| p.items).unwrap_or_default();
    let hours = app.service_hours(&pa.actor, Some(&community)).await.ok();
    let page = AppointmentsPage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        l: SvLabels { lang },
        may_edit: pa.actor.may(Permission::ManageServiceHours, &community),
        hours_text: text.unwrap_or_else(|| hours.as_ref().map(hours_text).unwrap_or_default()),
        communities,
        community,
        date: day.date.clone(),
        day: Some(day),
        list,
        hours,
        error,
        notice: q.get("done").map(|_| lang.t("sv_saved").to_string()),
    };
    render(status, &page)
}

pub async fn appointments(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    appointments_page(&app, lang, &pa, &q, None, None, StatusCode::OK).await
}

pub async fn appointment_act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let input = AppointmentActionInput { action: f.get("action"), version: f.get("version").parse().ok() };
    let back = format!(
        "/services/appointments?community={}&date={}&done=1",
        urlencode(&f.get("community")),
        urlencode(&f.get("date"))
    );
    match app.act_on_appointment(&f.pa.actor, id, input).await {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

pub async fn hours_save(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let community = f.get("community");
    let mut q = HashMap::new();
    q.insert("community".to_string(), community.clone());
    let result = match parse_hours_text(&f.get("hours")) {
        Ok(input) => app.put_service_hours(&f.pa.actor, &community, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            Redirect::to(&format!("/services/appointments?community={}&done=1", urlencode(&community))).into_response()
        }
        Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::NotFound) => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            appointments_page(&app, lang, &f.pa, &q, Some(form_error(lang, &e)), Some(f.get("hours")), status_of(&e))
                .await
        }
    }
}

// ───────────────────────────── admission list ─────────────────────────────

#[derive(Template)]
#[template(path = "service_admission.html")]
struct AdmissionPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: SvLabels,
    f: FormState,
    failed_form: String,
    entries: Vec<AdmissionItemView>,
    tasks: Vec<TaskView>,
    report: Option<AdmissionReport>,
    communities: Vec<(String, String)>,
    may_push: bool,
    may_handle: bool,
    may_keep: bool,
    notice: Option<String>,
}

impl AdmissionPage {
    fn err(&self, form: &str) -> Option<&str> {
        if self.failed_form == form { self.f.labelled() } else { None }
    }

    fn fv(&self, form: &str, key: &str) -> &str {
        if self.failed_form == form { self.f.v(key) } else { "" }
    }

    fn community_checked(&self, code: &str) -> bool {
        self.failed_form == "push" && self.f.fields_with_prefix("communities[").iter().any(|c| c == code)
    }

    fn own_entries(&self) -> Vec<&AdmissionItemView> {
        self.entries.iter().filter(|e| e.active).collect()
    }
}

impl FormState {
    /// The values of every field whose name starts with `prefix` (checkbox groups).
    pub fn fields_with_prefix(&self, prefix: &str) -> Vec<String> {
        let mut out: Vec<String> =
            self.all().iter().filter(|(k, _)| k.starts_with(prefix)).map(|(_, v)| v.clone()).collect();
        out.sort();
        out
    }
}

async fn admission_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    failed: Option<(String, FormState, StatusCode)>,
    notice: Option<String>,
) -> Response {
    let entries = match app.admission_items(&pa.actor, None, None).await {
        Ok(p) => p.items,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let tasks = app
        .community_tasks(&pa.actor, TaskQuery { limit: Some(50), ..Default::default() })
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let report = app.admission_report(&pa.actor, None, None, None).await.ok();
    let communities = app
        .region_tree(&pa.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.level == RegionLevel::Community)
        .map(|r| (r.code, r.name))
        .collect();
    let (failed_form, f, status) = failed.unwrap_or_else(|| (String::new(), FormState::default(), StatusCode::OK));
    let page = AdmissionPage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        l: SvLabels { lang },
        f,
        failed_form,
        entries,
        tasks,
        report,
        communities,
        may_push: pa.actor.may_somewhere(Permission::PushCommunityTasks),
        may_handle: pa.actor.may_somewhere(Permission::HandleCommunityTasks),
        may_keep: pa.actor.may_somewhere(Permission::ManageAdmissionList),
        notice,
    };
    render(status, &page)
}

pub async fn admission(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let notice = q.get("done").map(|_| lang.t("sv_saved").to_string());
    admission_page(&app, lang, &pa, None, notice).await
}

pub async fn admission_push(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let mut communities: Vec<String> =
        f.fields.iter().filter(|(k, _)| k.starts_with("communities[")).map(|(_, v)| v.clone()).collect();
    communities.sort();
    let input = TaskInput {
        department_code: opt(&f, "department_code"),
        item_code: f.get("item_code"),
        title: f.get("title"),
        description: f.get("description"),
        communities,
        due_on: opt(&f, "due_on"),
        kind: None,
    };
    match app.push_community_task(&f.pa.actor, input).await {
        Ok(_) => Redirect::to("/services/admission?done=push").into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let state = FormState::failed(f.fields.clone(), lang, &e);
            admission_page(&app, lang, &f.pa, Some(("push".into(), state, status_of(&e))), None).await
        }
    }
}

pub async fn admission_add(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let input = AdmissionItemInput {
        department_code: f.get("department_code"),
        code: f.get("code"),
        name: f.get("name"),
        region_code: f.get("region_code"),
        basis: f.get("basis"),
        approved_on: f.get("approved_on"),
        funding: opt(&f, "funding").map(serde_json::Value::String),
        funding_note: f.get("funding_note"),
    };
    match app.add_admission_item(&f.pa.actor, input).await {
        Ok(_) => Redirect::to("/services/admission?done=item").into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let state = FormState::failed(f.fields.clone(), lang, &e);
            admission_page(&app, lang, &f.pa, Some(("entry".into(), state, status_of(&e))), None).await
        }
    }
}

pub async fn task_act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let input =
        TaskActionInput { action: f.get("action"), note: f.get("note"), version: f.get("version").parse().ok() };
    match app.act_on_task(&f.pa.actor, id, input).await {
        Ok(_) => Redirect::to("/services/admission?done=task").into_response(),
        Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::NotFound) => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let state = FormState::failed(f.fields.clone(), lang, &e);
            admission_page(&app, lang, &f.pa, Some((format!("task-{id}"), state, status_of(&e))), None).await
        }
    }
}

// ───────────────────────────── statistics ─────────────────────────────

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

fn chart(kind: &'static str, names: Vec<String>, series: Vec<ChartSeries>) -> Option<String> {
    (!names.is_empty())
        .then(|| serde_json::to_string(&Chart { kind, percent: false, names, series }).unwrap_or_default())
}

#[derive(Template)]
#[template(path = "service_stats.html")]
struct StatsPage {
    lang: Lang,
    user: Option<UserBar>,
    l: SvLabels,
    f: FormState,
    s: Option<ServiceStats>,
    regions: Vec<(String, String)>,
    error: Option<String>,
    chart_items: Option<String>,
    chart_hours: Option<String>,
    chart_windows: Option<String>,
    chart_satisfaction: Option<String>,
}

impl StatsPage {
    fn mean(&self, v: &Option<f64>) -> String {
        v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into())
    }
}

pub async fn stats(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).map(str::trim).filter(|s| !s.is_empty());
    let (s, error, status) = match app.service_stats(&pa.actor, get("region"), get("from"), get("to")).await {
        Ok(s) => (Some(s), None, StatusCode::OK),
        Err(e) if e.kind == ErrorKind::InvalidInput => (None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST),
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let count = |v: i64| Some(v as f64);
    let (mut ci, mut ch, mut cw, mut cs) = (None, None, None, None);
    if let Some(s) = &s {
        let top: Vec<_> = s.by_item.iter().take(12).collect();
        ci = chart(
            "hbar",
            top.iter().map(|i| i.name.clone()).collect(),
            vec![
                ChartSeries { name: lang.t("sv_received"), values: top.iter().map(|i| count(i.count)).collect() },
                ChartSeries { name: lang.t("sv_completed"), values: top.iter().map(|i| count(i.completed)).collect() },
            ],
        );
        // Opening hours run 8:00–21:00; the rest of the day is shown only when something came in then.
        let hours: Vec<usize> =
            (0..24).filter(|h| (8..21).contains(h) || s.by_hour.get(*h).is_some_and(|n| *n > 0)).collect();
        ch = (s.total > 0)
            .then(|| {
                chart(
                    "bar",
                    hours.iter().map(|h| format!("{h}:00")).collect(),
                    vec![ChartSeries {
                        name: lang.t("sv_received"),
                        values: hours.iter().map(|h| count(s.by_hour[*h])).collect(),
                    }],
                )
            })
            .flatten();
        cw = chart(
            "hbar",
            s.by_window.iter().map(|w| w.name.clone()).collect(),
            vec![ChartSeries {
                name: lang.t("sv_accepted_count"),
                values: s.by_window.iter().map(|w| count(w.count)).collect(),
            }],
        );
        let l = SvLabels { lang };
        cs = (s.rated > 0)
            .then(|| {
                chart(
                    "pie",
                    (1..=5).rev().map(|v| l.satisfaction(&v).to_string()).collect(),
                    vec![ChartSeries {
                        name: lang.t("sv_ratings"),
                        values: (0..5).rev().map(|i| count(s.satisfaction_counts[i])).collect(),
                    }],
                )
            })
            .flatten();
    }
    let page = StatsPage {
        regions: region_options(&app, &pa).await,
        lang,
        user: pa.bar(),
        l: SvLabels { lang },
        f: FormState::new(q),
        s,
        error,
        chart_items: ci,
        chart_hours: ch,
        chart_windows: cw,
        chart_satisfaction: cs,
    };
    render(status, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_typed_one_period_a_line() {
        let h = parse_hours_text("1 08:30-12:00 regular 30 2\n\n2 17:30-20:00 evening\n").unwrap();
        assert_eq!(h.hours.len(), 2);
        assert_eq!((h.hours[0].slot_minutes, h.hours[0].capacity), (Some(30), Some(2)));
        assert_eq!((h.hours[1].kind.as_str(), h.hours[1].slot_minutes), ("evening", None));
        assert_eq!(parse_hours_text("周一 8点").unwrap_err().field_name(), Some("hours"));
        assert_eq!(parse_hours_text("1 0830").unwrap_err().field_name(), Some("hours"));
    }

    #[test]
    fn slips_read_dates_the_chinese_way() {
        assert_eq!(chinese_date("2026-03-05T10:00:00+08:00"), "2026年3月5日");
        let l = SvLabels { lang: Lang::Zh };
        assert_eq!(l.limit(&0), "即办件（当日办结）");
        assert_eq!(l.limit(&10), "10个工作日");
        assert_eq!(l.stars(&4), "★★★★");
        assert_eq!(SvLabels { lang: Lang::En }.limit(&1), "1 working day");
    }
}
