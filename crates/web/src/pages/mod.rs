//! Server-rendered pages. Sessions are HttpOnly SameSite=Lax cookies; every form carries a CSRF token.

mod api_keys;
mod assessment;
mod command;
mod data_requests;
mod disputes;
mod event_rules;
mod events;
mod field;
mod field_workers;
mod imports;
mod life;
mod me_services;
mod merge;
mod organizations;
mod participation;
mod people;
mod portal;
mod report;
mod residents;
mod safety;
mod services;
mod tag_kinds;

use crate::AppState;
use crate::extract::{SESSION_COOKIE, client_addr, constant_time_eq};
use crate::i18n::{Lang, cookie, group_digits};
use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use wangge_app::users::{GrantInput, NewUser, UserView};
use wangge_app::{AppError, ErrorKind};
use wangge_domain::region::RegionLevel;
use wangge_domain::role::Role;
use wangge_domain::scope::Actor;

const LOGIN_CSRF_COOKIE: &str = "wangge_login_csrf";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/", get(home))
        .route("/regions", get(tree))
        .route("/regions/{code}", get(region_page))
        .route("/admin/users", get(users_page).post(users_submit))
        .route("/admin/users/roles", post(grant_submit))
        .route("/admin/users/roles/remove", post(revoke_submit))
        .route("/admin/users/status", post(status_submit))
        .route("/admin/settings", get(settings_page).post(settings_submit))
        .route("/admin/api-keys", get(api_keys::list).post(api_keys::create))
        .route("/admin/api-keys/{id}/revoke", post(api_keys::revoke))
        .route("/admin/event-rules", get(event_rules::page))
        .route("/admin/event-rules/category", post(event_rules::save_category))
        .route("/admin/event-rules/rules", post(event_rules::add_rule))
        .route("/admin/event-rules/rules/{id}/delete", post(event_rules::delete_rule))
        .route("/admin/event-rules/days", post(event_rules::put_day))
        .route("/admin/event-rules/periods", post(event_rules::put_periods))
        .route("/people", get(people::list))
        .route("/people/{id}", get(people::person))
        .route("/people/{id}/reveal", post(people::reveal))
        .route("/people/{id}/events", post(people::event))
        .route("/people/export.xlsx", get(people::export))
        .route("/people/new", get(people::new_person).post(people::create_person))
        .route("/households/{id}", get(people::household))
        .route("/houses/{id}", get(organizations::house))
        .route("/houses/{id}/organizations", post(organizations::create))
        .route("/organizations", get(organizations::list))
        .route("/organizations/{id}", get(organizations::show).post(organizations::update))
        .route("/people/{id}/merge", get(merge::page).post(merge::submit))
        .route("/admin/tag-kinds", get(tag_kinds::list).post(tag_kinds::create))
        .route("/admin/tag-kinds/new", get(tag_kinds::new_kind))
        .route("/admin/tag-kinds/{code}", get(tag_kinds::edit).post(tag_kinds::update))
        .route("/buildings/{id}", get(people::building))
        .route("/import", get(imports::page))
        .route(
            "/import/{kind}",
            post(imports::upload).layer(axum::extract::DefaultBodyLimit::max(imports::MAX_UPLOAD_BYTES)),
        )
        .route("/import/results/{id}", get(imports::result))
        .route("/import/templates/{file}", get(imports::template))
        .route("/import/results/{id}/errors", get(imports::errors_download))
        .route("/field/workers", get(field_workers::list))
        .route("/field/workers/reassign", post(field_workers::reassign))
        .route("/events", get(events::list))
        .route("/events/new", get(events::new_event).post(events::create))
        .route("/events/indicators", get(events::indicators))
        .route("/events/{id}", get(events::show))
        .route("/events/{id}/act", post(events::act))
        .route("/events/bulk", post(events::bulk))
        .route("/disputes", get(disputes::list))
        .route("/disputes/new", get(disputes::new_dispute).post(disputes::create))
        .route("/disputes/stats", get(disputes::stats))
        .route("/disputes/{id}", get(disputes::show))
        .route("/disputes/{id}/act", post(disputes::act))
        .route("/disputes/{id}/agreement", get(disputes::agreement))
        .route("/report", get(report::report_form).post(report::report_submit))
        .route(
            "/report/photo",
            post(report::report_photo).layer(axum::extract::DefaultBodyLimit::max(report::MAX_PUBLIC_PHOTO_BYTES)),
        )
        .route("/report/grids.geojson", get(report::public_grids))
        .route("/track/{token}", get(report::track).post(report::track_feedback))
        .route("/track/{token}/attachments/{id}", get(report::track_attachment))
        .route("/key-groups", get(safety::key_groups))
        .route("/safety", get(safety::safety))
        .route("/assessment/workers", get(assessment::workers))
        .route("/assessment/workers/{id}", get(assessment::worker))
        .route("/assessment/departments", get(assessment::departments))
        .route("/data-requests", get(data_requests::list))
        .route("/data-requests/new", get(data_requests::new))
        .route("/data-requests/report", get(data_requests::report))
        .route("/data-requests/{id}", get(data_requests::detail))
        .route("/assessment/departments/{code}", get(assessment::department))
        .route("/assessment/property", get(assessment::property_list))
        .route("/assessment/property/new", post(assessment::create_property))
        .route("/assessment/property/{id}", get(assessment::property))
        .route("/assessment/property/{id}/inspections", post(assessment::property_inspections))
        .route("/assessment/property/{id}/surveys", post(assessment::property_surveys))
        .route("/assessment/stars", get(assessment::stars))
        .route("/assessment/stars/open", post(assessment::open_star))
        .route("/assessment/stars/{id}", get(assessment::star))
        .route("/assessment/stars/{id}/scores", post(assessment::star_scores))
        .route("/assessment/stars/{id}/act", post(assessment::star_act))
        .route("/safety/teams", post(safety::add_team))
        .route("/signup", get(residents::signup_page).post(residents::signup_submit))
        .route("/me", get(residents::me))
        .route("/me/reports/{id}", get(residents::my_report).post(residents::my_report_feedback))
        .route("/people/{id}/account", post(residents::open_account))
        // Participation and transparency (issue #9): the public portal, residents' polls, 居务公开 for staff.
        .route("/p", get(portal::index))
        .route("/p/{code}", get(portal::home))
        .route("/p/{code}/notices", get(portal::notices))
        .route("/p/{code}/notices/{id}", get(portal::notice))
        .route("/p/{code}/ledger", get(portal::ledger))
        .route("/p/{code}/polls/{id}", get(portal::poll))
        .route("/me/polls", get(portal::my_polls))
        .route("/me/polls/{id}", get(portal::my_poll).post(portal::vote))
        .route("/me/portal", get(portal::my_portal))
        .route("/participation/notices", get(participation::notices))
        .route("/participation/notices/new", get(participation::new_notice).post(participation::create_notice))
        .route("/participation/notices/{id}", get(participation::notice).post(participation::update_notice))
        .route("/participation/notices/{id}/act", post(participation::notice_action))
        .route("/participation/ledger", get(participation::ledger))
        .route("/participation/ledger/new", get(participation::new_entry).post(participation::create_entry))
        .route("/participation/ledger/{id}", get(participation::entry))
        .route("/participation/ledger/{id}/decide", post(participation::decide))
        .route("/participation/ledger/{id}/reverse", post(participation::reverse))
        .route("/participation/polls", get(participation::polls))
        .route("/participation/polls/new", get(participation::new_poll).post(participation::create_poll))
        .route("/participation/polls/{id}", get(participation::poll))
        .route("/participation/polls/{id}/act", post(participation::poll_action))
        .route("/participation/polls/{id}/paper", post(participation::paper_ballot))
        .route("/participation/polls/{id}/export.xlsx", get(participation::export))
        .route("/participation/happiness", get(participation::happiness).post(participation::new_round))
        .route("/services", get(services::list))
        .route("/services/accept", get(services::accept_form).post(services::accept_submit))
        .route("/services/applications/{id}", get(services::show))
        .route("/services/applications/{id}/act", post(services::act))
        .route("/services/applications/{id}/slip", get(services::slip))
        .route("/services/notifications", get(services::notifications))
        .route("/services/notifications/read", post(services::notifications_read))
        .route("/services/catalogue", get(services::catalogue))
        .route("/services/catalogue/{code}", get(services::item_edit).post(services::item_save))
        .route("/services/appointments", get(services::appointments))
        .route("/services/appointments/{id}/act", post(services::appointment_act))
        .route("/services/hours", post(services::hours_save))
        .route("/services/admission", get(services::admission))
        .route("/services/admission/push", post(services::admission_push))
        .route("/services/admission/items", post(services::admission_add))
        .route("/services/admission/tasks/{id}/act", post(services::task_act))
        .route("/services/stats", get(services::stats))
        .route("/me/services", get(me_services::services))
        .route("/me/services/{code}", get(me_services::apply_form).post(me_services::apply_submit))
        .route("/me/applications", get(me_services::applications))
        .route("/me/applications/{id}", get(me_services::application).post(me_services::application_act))
        .route("/me/appointments", get(me_services::appointments).post(me_services::book))
        .route("/me/appointments/{id}/cancel", post(me_services::cancel))
        .route("/command", get(command::dashboard))
        .route("/command/screen", get(command::screen))
        .route("/command/reports", get(command::reports))
        .route("/command/reports.xlsx", get(command::reports_xlsx))
        .route("/m", get(field::shell))
        .route("/m/sw.js", get(field::service_worker))
        .route("/m/manifest.webmanifest", get(field::manifest))
        .route("/m/session.json", get(field::session))
        // Community life (issue #9): one menu entry, its pages under /life.
        .merge(life::routes())
}

/// The signed-in user as the page header shows them.
pub struct UserBar {
    pub display_name: String,
    /// Region pages link to the people of a region for those who read the register.
    pub reads_register: bool,
    pub manages_register: bool,
    /// The side menu: what this user may open, grouped by area (see [`menu`]).
    pub menu: Vec<MenuGroup>,
    pub csrf: String,
}

/// One heading of the side menu with its links.
pub struct MenuGroup {
    /// i18n key of the heading.
    pub key: &'static str,
    pub items: Vec<MenuItem>,
}

pub struct MenuItem {
    pub href: &'static str,
    /// i18n key of the link text.
    pub key: &'static str,
    /// Element id for tests and styling ("" for none).
    pub id: &'static str,
}

/// The side menu for `actor`: every area's pages under one heading, each link only for those who may use it.
/// A new area adds its group here, once; groups left empty are not shown.
pub(crate) fn menu(actor: &Actor) -> Vec<MenuGroup> {
    use wangge_domain::role::Permission as P;
    let may = |p: P| actor.may_somewhere(p);
    let item = |href, key, id| MenuItem { href, key, id };
    let mut groups = Vec::new();
    let mut group = |key: &'static str, items: Vec<Option<MenuItem>>| {
        let items: Vec<MenuItem> = items.into_iter().flatten().collect();
        if !items.is_empty() {
            groups.push(MenuGroup { key, items });
        }
    };
    let when = |ok: bool, i: MenuItem| ok.then_some(i);
    group(
        "menu_overview",
        vec![
            when(may(P::ReadRegions), item("/", "map", "nav-map")),
            when(may(P::ReadRegions), item("/regions", "region_tree", "nav-regions")),
        ],
    );
    group(
        "menu_command",
        vec![
            when(may(P::ReadCommand), item("/command", "cmd_title", "nav-command")),
            when(may(P::ReadCommand), item("/command/screen", "cmd_screen", "nav-command-screen")),
            when(may(P::ReadCommand), item("/command/reports", "cmd_reports", "nav-command-reports")),
        ],
    );
    group(
        "menu_register",
        vec![
            when(may(P::ReadRegister), item("/people", "people", "nav-people")),
            when(may(P::ReadRegister), item("/organizations", "organizations", "nav-organizations")),
            when(may(P::ManageRegister), item("/import", "import", "nav-import")),
        ],
    );
    group(
        "menu_events",
        vec![
            when(may(P::ReadEvents), item("/events", "evt_events", "nav-events")),
            when(may(P::ReportEvents), item("/events/new", "evt_report", "nav-report")),
            when(may(P::ReadEvents), item("/events/indicators", "evt_indicators", "nav-indicators")),
        ],
    );
    let works_grid = actor.has_role(Role::GridWorker) || actor.has_role(Role::GridLeader);
    group(
        "menu_field",
        vec![
            when(works_grid, item("/m", "fld_menu", "nav-field")),
            when(may(P::ReadFieldWork), item("/field/workers", "nav_field_workers", "nav-field-workers")),
        ],
    );
    group(
        "menu_safety",
        vec![
            if may(P::ReadDisputes) {
                Some(item("/disputes", "dsp_disputes", "nav-disputes"))
            } else {
                when(may(P::ReadDisputeStats), item("/disputes/stats", "dsp_stats", "nav-dispute-stats"))
            },
            when(may(P::ReadSensitiveTags), item("/key-groups", "nav_key_groups", "nav-key-groups")),
            when(may(P::ReadFieldWork), item("/safety", "nav_safety", "nav-safety")),
        ],
    );
    group(
        "menu_services",
        vec![
            when(may(P::ReadApplications), item("/services", "sv_applications", "nav-services")),
            when(may(P::AcceptApplications), item("/services/accept", "sv_accept", "nav-services-accept")),
            when(
                may(P::ReadApplications),
                item("/services/appointments", "sv_appointments", "nav-services-appointments"),
            ),
            when(
                may(P::ReadApplications) || may(P::ReadServiceStats),
                item("/services/catalogue", "sv_catalogue", "nav-services-catalogue"),
            ),
            when(may(P::ReadCommunityTasks), item("/services/admission", "sv_admission", "nav-services-admission")),
            when(
                may(P::RequestData) || may(P::ReadCommunityTasks),
                item("/data-requests", "dr_title", "nav-data-requests"),
            ),
            when(may(P::ReadServiceStats), item("/services/stats", "sv_stats", "nav-services-stats")),
            when(
                may(P::ReadApplications),
                item("/services/notifications", "sv_notifications", "nav-services-notifications"),
            ),
        ],
    );
    let life = may(P::ReadCommunityLife);
    group(
        "menu_life",
        vec![
            when(life, item("/life", "lf_overview", "nav-life")),
            when(life, item("/life/meetings", "lf_meetings", "nav-life-meetings")),
            when(life, item("/life/volunteers", "lf_volunteers", "nav-life-volunteers")),
            when(life, item("/life/co-building", "lf_co_building", "nav-life-co-building")),
            when(life, item("/life/party", "lf_party", "nav-life-party")),
        ],
    );
    group(
        "menu_participation",
        vec![
            when(may(P::ReadParticipation), item("/participation/notices", "pt_notices", "nav-notices")),
            when(may(P::ReadParticipation), item("/participation/ledger", "pt_fund", "nav-ledger")),
            when(may(P::ReadParticipation), item("/participation/polls", "pt_polls", "nav-polls")),
            when(may(P::ReadParticipation), item("/participation/happiness", "pt_happiness", "nav-happiness")),
        ],
    );
    let reads_scores = may(P::ReadAssessment);
    group(
        "menu_assessment",
        vec![
            when(
                actor.has_role(Role::GridWorker) && !reads_scores,
                item("/assessment/workers", "as_my_score", "nav-assessment-me"),
            ),
            when(reads_scores, item("/assessment/workers", "as_workers", "nav-assessment-workers")),
            when(reads_scores, item("/assessment/departments", "as_departments", "nav-assessment-departments")),
            when(reads_scores || may(P::DeclareStar), item("/assessment/stars", "as_stars", "nav-assessment-stars")),
            when(
                reads_scores || may(P::ManagePropertyCompanies),
                item("/assessment/property", "as_property", "nav-assessment-property"),
            ),
        ],
    );
    let resident = actor.has_role(Role::Resident);
    group(
        "menu_resident",
        vec![
            when(resident, item("/me", "me_title", "nav-me")),
            when(resident, item("/me/services", "me_services_apply", "nav-me-services")),
            when(resident, item("/me/applications", "me_applications", "nav-me-applications")),
            when(resident, item("/report", "me_report", "nav-me-report")),
            when(resident, item("/me/polls", "pt_polls", "nav-me-polls")),
            when(resident, item("/me/portal", "pt_portal", "nav-me-portal")),
        ],
    );
    let admin = actor.is_admin();
    group(
        "menu_admin",
        vec![
            when(admin, item("/admin/users", "users", "nav-users")),
            when(admin, item("/admin/tag-kinds", "tag_kinds", "nav-tag-kinds")),
            when(admin, item("/admin/event-rules", "event_rules", "nav-event-rules")),
            when(admin, item("/admin/api-keys", "api_keys", "nav-api-keys")),
            when(admin, item("/admin/settings", "settings", "nav-settings")),
        ],
    );
    groups
}

/// A signed-in page visitor; anyone else is sent to the login page.
pub struct PageActor {
    pub actor: Actor,
    pub csrf: String,
    token: String,
}

impl PageActor {
    pub(crate) fn bar(&self) -> Option<UserBar> {
        use wangge_domain::role::Permission;
        Some(UserBar {
            display_name: self.actor.display_name.clone(),
            reads_register: self.actor.may_somewhere(Permission::ReadRegister),
            manages_register: self.actor.may_somewhere(Permission::ManageRegister),
            menu: menu(&self.actor),
            csrf: self.csrf.clone(),
        })
    }
}

impl FromRequestParts<AppState> for PageActor {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let to_login = || {
            let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            Redirect::to(&format!("/login?next={}", urlencode(next))).into_response()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
            return Err(to_login());
        };
        match app.actor_for_token(&token).await {
            Ok((actor, csrf)) => Ok(PageActor { actor, csrf, token }),
            Err(e) if e.kind == ErrorKind::Unauthorized => Err(to_login()),
            Err(e) => Err(message(detect_lang(parts), e.kind.status(), "Error", &e.message)),
        }
    }
}

/// Who is signed in, on pages that anyone may open (the public report form): `None` for the public.
pub(crate) async fn signed_in(app: &AppState, headers: &HeaderMap) -> Option<Actor> {
    let token = cookie(headers, SESSION_COOKIE).filter(|t| !t.is_empty())?;
    app.actor_for_token(&token).await.ok().map(|(a, _)| a)
}

/// A signed-in form post whose CSRF token matched: every state-changing page handler takes this, so none can
/// forget the check. A wrong or missing token answers 403 with the "page expired" message.
pub struct CsrfForm {
    pub pa: PageActor,
    pub fields: HashMap<String, String>,
}

impl CsrfForm {
    /// A field's value, empty when absent.
    pub fn get(&self, key: &str) -> String {
        self.fields.get(key).cloned().unwrap_or_default()
    }
}

impl axum::extract::FromRequest<AppState> for CsrfForm {
    type Rejection = Response;
    async fn from_request(req: axum::extract::Request, app: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let lang = detect_lang(&parts);
        let pa = PageActor::from_request_parts(&mut parts, app).await?;
        let req = axum::extract::Request::from_parts(parts, body);
        let Form(fields) = Form::<HashMap<String, String>>::from_request(req, app)
            .await
            .map_err(|e| message(lang, 400, "Error", &e.body_text()))?;
        let sent = fields.get("csrf").map(String::as_str).unwrap_or("");
        if !constant_time_eq(sent, &pa.csrf) {
            return Err(message(lang, 403, lang.t("forbidden"), lang.t("session_expired")));
        }
        Ok(CsrfForm { pa, fields })
    }
}

pub(crate) fn detect_lang(parts: &Parts) -> Lang {
    crate::i18n::detect(parts)
}

pub(crate) fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Only same-site paths are followed after login, never another host. Printable ASCII only: browsers drop
/// tabs and newlines from a Location ("/\t/evil" → "//evil"), and anything else is no valid header value.
fn safe_next(next: &str) -> &str {
    let printable = next.bytes().all(|b| b.is_ascii_graphic());
    if printable && next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') { next } else { "/" }
}

pub(crate) fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    lang: Lang,
    user: Option<UserBar>,
    title: &'a str,
    text: &'a str,
}

pub(crate) fn message(lang: Lang, status: u16, title: &str, text: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    render(status, &MessagePage { lang, user: None, title, text })
}

pub(crate) fn error_page(lang: Lang, user: Option<UserBar>, e: &AppError) -> Response {
    let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let title = match e.kind {
        ErrorKind::NotFound => lang.t("not_found"),
        ErrorKind::Forbidden => lang.t("forbidden"),
        _ => "Error",
    };
    render(status, &MessagePage { lang, user, title, text: localize(lang, &e.message) })
}

/// An error as a form shows it: the field's label in the page's language instead of its API name, and only
/// the page's half of a bilingual "中文 / English" message.
pub(crate) fn form_error(lang: Lang, e: &AppError) -> String {
    let mut text = e.message.as_str();
    let mut label = None;
    if let Some(field) = e.field_name() {
        text = text.strip_prefix(field).and_then(|t| t.strip_prefix(": ")).unwrap_or(text);
        let key = field.rsplit('.').next().unwrap_or(field);
        label = crate::i18n::TEXTS.iter().find(|(k, _, _)| *k == key).map(|_| lang.t(key));
    }
    let text = localize(lang, text);
    match label {
        Some(l) if lang == Lang::Zh => format!("{l}：{text}"),
        Some(l) => format!("{l}: {text}"),
        None => text.to_string(),
    }
}

/// The page's half of a bilingual "中文 / English" message.
pub(crate) fn localize(lang: Lang, text: &str) -> &str {
    match text.split_once(" / ") {
        Some((zh, en)) => match lang {
            Lang::Zh => zh,
            Lang::En => en,
        },
        None => text,
    }
}

/// Unknown paths: JSON for the API, a page for people.
pub async fn not_found_fallback(lang: Lang, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError(AppError::not_found("API route")).into_response();
    }
    message(lang, 404, lang.t("not_found"), uri.path())
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

fn login_response(status: StatusCode, lang: Lang, next: &str, username: &str, error: Option<String>) -> Response {
    let csrf = wangge_app::auth::random_token();
    let mut res = render(
        status,
        &LoginPage {
            lang,
            user: None,
            csrf: csrf.clone(),
            next: safe_next(next).to_string(),
            username: username.to_string(),
            error,
        },
    );
    let c = format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

async fn login_page(lang: Lang, Query(q): Query<HashMap<String, String>>) -> Response {
    login_response(StatusCode::OK, lang, q.get("next").map(String::as_str).unwrap_or("/"), "", None)
}

async fn login_submit(
    State(app): State<AppState>,
    lang: Lang,
    parts_headers: HeaderMap,
    req_parts: ClientAddr,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let expected = cookie(&parts_headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(get("csrf"), &expected) {
        return login_response(
            StatusCode::FORBIDDEN,
            lang,
            get("next"),
            get("username"),
            Some(lang.t("session_expired").into()),
        );
    }
    match app.login(get("username"), get("password"), &req_parts.0).await {
        Ok(s) => {
            // Residents land on their own page (我的), staff where they were going.
            let resident_only = s.actor.grants.iter().all(|g| g.role == Role::Resident);
            let to = if resident_only && safe_next(get("next")) == "/" { "/me" } else { safe_next(get("next")) };
            let mut res = Redirect::to(to).into_response();
            if let Some(v) = session_cookie(&app, &parts_headers, &s.token) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => {
            let (status, msg) = match e.kind {
                ErrorKind::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, lang.t("too_many").to_string()),
                ErrorKind::Unauthorized => (StatusCode::UNAUTHORIZED, lang.t("bad_credentials").to_string()),
                _ => (StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST), form_error(lang, &e)),
            };
            login_response(status, lang, get("next"), get("username"), Some(msg))
        }
    }
}

/// The session cookie for a new session. Behind a TLS-terminating proxy it must not travel over plain HTTP again.
pub(crate) fn session_cookie(app: &AppState, headers: &HeaderMap, token: &str) -> Option<HeaderValue> {
    let https = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    let secure = if https { "; Secure" } else { "" };
    let c = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        app.config.session_hours * 3600
    );
    HeaderValue::from_str(&c).ok()
}

pub struct ClientAddr(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(parts)))
    }
}

async fn logout(State(app): State<AppState>, lang: Lang, form: CsrfForm) -> Response {
    if let Err(e) = app.logout(&form.pa.token).await {
        return error_page(lang, None, &e);
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("wangge_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    res
}

pub struct ChildView {
    pub code: String,
    pub name: String,
    pub households: String,
    pub residents: String,
    pub grids: String,
}

#[derive(Template)]
#[template(path = "region.html")]
struct RegionPage {
    lang: Lang,
    user: Option<UserBar>,
    r: wangge_app::regions::RegionDetail,
    level_label: &'static str,
    households: String,
    residents: String,
    grids: String,
    children: Vec<ChildView>,
    tile_url: String,
    tile_attribution: String,
    grids_of: String,
    /// Community staff the households call for (4 up to 1,000 households, +1 per 250).
    staff_required: Option<i64>,
    /// The households a grid should hold, e.g. "300–500".
    rule_range: Option<String>,
    /// Grids outside that range: (code, name, households).
    off_grids: Vec<(String, String, String)>,
}

fn level_key(l: RegionLevel) -> &'static str {
    match l {
        RegionLevel::District => "level_district",
        RegionLevel::Street => "level_street",
        RegionLevel::Community => "level_community",
        RegionLevel::Grid => "level_grid",
    }
}

async fn show_region(app: &AppState, lang: Lang, pa: &PageActor, code: &str) -> Response {
    match app.region_detail(&pa.actor, code).await {
        Ok(r) => {
            let children = r
                .children
                .iter()
                .map(|c| ChildView {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    households: group_digits(c.households),
                    residents: group_digits(c.residents),
                    grids: group_digits(c.grids),
                })
                .collect();
            let tiles = match app.map_settings().await {
                Ok(t) => t,
                Err(e) => return error_page(lang, pa.bar(), &e),
            };
            // A grid is drawn among its neighbours when the caller may see them.
            let grids_of = match (&r.parent_code, r.level) {
                (Some(p), RegionLevel::Grid) if pa.actor.may(wangge_domain::role::Permission::ReadRegions, p) => {
                    p.clone()
                }
                _ => r.code.clone(),
            };
            // The seed documents' staffing rules, shown where they can be acted on.
            let rules = match r.level {
                RegionLevel::Grid => None,
                _ => app.region_rules(&pa.actor, &r.code).await.ok(),
            };
            let staff_required = match (&rules, r.level) {
                (Some(rv), RegionLevel::Community) => rv.communities.first().map(|c| c.staff_required),
                _ => None,
            };
            let rule_range = rules.as_ref().map(|rv| format!("{}–{}", rv.grid_households_min, rv.grid_households_max));
            let off_grids: Vec<(String, String, String)> = rules
                .map(|rv| {
                    rv.grids
                        .into_iter()
                        .filter(|g| !g.within_range)
                        .map(|g| (g.code, g.name, group_digits(g.households)))
                        .collect()
                })
                .unwrap_or_default();
            let page = RegionPage {
                staff_required,
                rule_range,
                off_grids,
                grids_of,
                lang,
                user: pa.bar(),
                level_label: lang.t(level_key(r.level)),
                households: group_digits(r.households),
                residents: group_digits(r.residents),
                grids: group_digits(r.grids),
                children,
                tile_url: tiles.tile_url,
                tile_attribution: tiles.tile_attribution,
                r,
            };
            render(StatusCode::OK, &page)
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

async fn home(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    if !pa.actor.grants.is_empty() && pa.actor.grants.iter().all(|g| g.role == Role::Resident) {
        return Redirect::to("/me").into_response();
    }
    match app.home_region(&pa.actor).await {
        Ok(Some(code)) => show_region(&app, lang, &pa, &code).await,
        Ok(None) => render(
            StatusCode::OK,
            &MessagePage { lang, user: pa.bar(), title: lang.t("app_name"), text: lang.t("no_region") },
        ),
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

async fn region_page(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(code): Path<String>) -> Response {
    show_region(&app, lang, &pa, &code).await
}

#[derive(Template)]
#[template(path = "tree.html")]
struct TreePage {
    lang: Lang,
    user: Option<UserBar>,
    tree_html: String,
}

/// Nested lists built from codes ordered parents-first; names are escaped here since the template prints raw HTML.
fn tree_html(items: &[wangge_app::regions::RegionSummary]) -> String {
    let mut out = String::from("<ul>");
    let mut stack: Vec<&str> = Vec::new();
    for r in items {
        while let Some(top) = stack.last() {
            if r.code.starts_with(*top) && r.code.len() > top.len() {
                break;
            }
            stack.pop();
            out.push_str("</ul></li>");
        }
        out.push_str(&format!(
            "<li><a href=\"/regions/{}\">{}</a> <small>{}</small><ul>",
            escape(&r.code),
            escape(&r.name),
            escape(&r.code)
        ));
        stack.push(&r.code);
    }
    for _ in stack {
        out.push_str("</ul></li>");
    }
    out.push_str("</ul>");
    out.replace("<ul></ul>", "")
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

async fn tree(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    match app.region_tree(&pa.actor).await {
        Ok(items) => render(StatusCode::OK, &TreePage { lang, user: pa.bar(), tree_html: tree_html(&items) }),
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

#[derive(Default)]
pub struct UserForm {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub region_code: String,
    pub department_code: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    users: Vec<UserView>,
    roles: Vec<(&'static str, &'static str)>,
    form: UserForm,
    error: Option<String>,
    created: Option<String>,
}

async fn users_view(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    status: StatusCode,
    form: UserForm,
    error: Option<String>,
    created: Option<String>,
) -> Response {
    let users = match app.list_users(&pa.actor, None, Some(500), None).await {
        Ok(p) => p.items,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let roles =
        Role::ALL.iter().map(|r| (r.as_str(), if lang == Lang::Zh { r.label_zh() } else { r.label_en() })).collect();
    render(status, &UsersPage { lang, user: pa.bar(), csrf: pa.csrf.clone(), users, roles, form, error, created })
}

async fn users_page(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let form = UserForm { role: "grid_worker".into(), ..Default::default() };
    let done =
        [("created", "created"), ("granted", "usr_granted"), ("revoked", "usr_revoked"), ("updated", "usr_updated")]
            .iter()
            .find_map(|(k, label)| q.get(*k).map(|name| format!("{}: {name}", lang.t(label))));
    users_view(&app, lang, &pa, StatusCode::OK, form, None, done).await
}

async fn users_submit(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let form = UserForm {
        username: f.get("username"),
        display_name: f.get("display_name"),
        role: f.get("role"),
        region_code: f.get("region_code"),
        department_code: f.get("department_code"),
    };
    let input = NewUser {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        password: f.get("password"),
        roles: vec![GrantInput {
            role: form.role.clone(),
            region_code: form.region_code.clone(),
            department_code: Some(form.department_code.clone()),
        }],
    };
    match app.create_user(&f.pa.actor, input).await {
        Ok(u) => Redirect::to(&format!("/admin/users?created={}", urlencode(&u.username))).into_response(),
        Err(e) => users_failure(&app, lang, &f.pa, form, e).await,
    }
}

/// A rejected users-page form: the page again with what was typed and the error, or the error page when the
/// caller may not manage users at all.
async fn users_failure(app: &AppState, lang: Lang, pa: &PageActor, form: UserForm, e: AppError) -> Response {
    if e.kind == ErrorKind::Forbidden {
        return error_page(lang, pa.bar(), &e);
    }
    let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
    users_view(app, lang, pa, status, form, Some(form_error(lang, &e)), None).await
}

/// Adds a (role, region[, department]) pair to an existing user from the users page.
async fn grant_submit(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let g = GrantInput {
        role: f.get("role"),
        region_code: f.get("region_code"),
        department_code: Some(f.get("department_code")),
    };
    match app.add_grant(&f.pa.actor, &f.get("username"), g).await {
        Ok(u) => Redirect::to(&format!("/admin/users?granted={}", urlencode(&u.username))).into_response(),
        Err(e) => {
            let form = UserForm { role: "grid_worker".into(), ..Default::default() };
            users_failure(&app, lang, &f.pa, form, e).await
        }
    }
}

/// Removes one (role, region[, department]) pair from a user (the × on the users page).
async fn revoke_submit(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let g = GrantInput {
        role: f.get("role"),
        region_code: f.get("region_code"),
        department_code: Some(f.get("department_code")),
    };
    match app.remove_grant(&f.pa.actor, &f.get("username"), g).await {
        Ok(u) => Redirect::to(&format!("/admin/users?revoked={}", urlencode(&u.username))).into_response(),
        Err(e) => {
            let form = UserForm { role: "grid_worker".into(), ..Default::default() };
            users_failure(&app, lang, &f.pa, form, e).await
        }
    }
}

/// Disables an account (its sessions end at once) or enables it again.
async fn status_submit(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    match app.set_user_disabled(&f.pa.actor, &f.get("username"), f.get("disabled") == "1").await {
        Ok(u) => Redirect::to(&format!("/admin/users?updated={}", urlencode(&u.username))).into_response(),
        Err(e) => {
            let form = UserForm { role: "grid_worker".into(), ..Default::default() };
            users_failure(&app, lang, &f.pa, form, e).await
        }
    }
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    tile_url: String,
    tile_attribution: String,
    error: Option<String>,
    saved: bool,
}

async fn settings_page(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(e) = app.authorize_anywhere(&pa.actor, wangge_domain::role::Permission::ManageSettings) {
        return error_page(lang, pa.bar(), &e);
    }
    match app.map_settings().await {
        Ok(m) => render(
            StatusCode::OK,
            &SettingsPage {
                lang,
                user: pa.bar(),
                csrf: pa.csrf.clone(),
                tile_url: m.tile_url,
                tile_attribution: m.tile_attribution,
                error: None,
                saved: q.contains_key("saved"),
            },
        ),
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

async fn settings_submit(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    match app.set_map_settings(&f.pa.actor, &f.get("tile_url"), &f.get("tile_attribution")).await {
        Ok(_) => Redirect::to("/admin/settings?saved=1").into_response(),
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            let page = SettingsPage {
                lang,
                user: f.pa.bar(),
                csrf: f.pa.csrf.clone(),
                tile_url: f.get("tile_url"),
                tile_attribution: f.get("tile_attribution"),
                error: Some(form_error(lang, &e)),
                saved: false,
            };
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wangge_app::regions::RegionSummary;

    fn r(code: &str, name: &str) -> RegionSummary {
        RegionSummary { code: code.into(), name: name.into(), level: RegionLevel::District, parent_code: None }
    }

    #[test]
    fn tree_nests_by_code_and_escapes_names() {
        let html = tree_html(&[
            r("330199", "示范区"),
            r("330199001", "<b>街道</b>"),
            r("330199001001", "社区"),
            r("330199002", "二街道"),
        ]);
        assert_eq!(html.matches("<li>").count(), 4);
        assert!(html.contains("&lt;b&gt;"));
        assert_eq!(html.matches("<ul>").count(), html.matches("</ul>").count());
        // 二街道 is a sibling of the first street, not a child of its community.
        let i_comm = html.find("社区").unwrap();
        let i_second = html.find("二街道").unwrap();
        assert!(html[i_comm..i_second].contains("</ul></li>"));
    }

    #[test]
    fn form_errors_use_labels_and_the_page_language() {
        let e = AppError::field("roles[0].region_code", "区域不存在 / no such region: 1");
        assert_eq!(form_error(Lang::Zh, &e), "区域编码：区域不存在");
        assert_eq!(form_error(Lang::En, &e), "Region code: no such region: 1");
        let e = AppError::conflict("用户名已存在 / username already exists: x");
        assert_eq!(form_error(Lang::Zh, &e), "用户名已存在");
    }

    fn actor(role: Role, region: &str) -> Actor {
        Actor {
            user_id: 1,
            username: "u".into(),
            display_name: "u".into(),
            grants: vec![wangge_domain::scope::Grant { role, region_code: region.into(), department_code: None }],
        }
    }

    #[test]
    fn every_menu_entry_is_translated_and_groups_are_never_empty() {
        // An admin and a grid worker between them see every link of the menu.
        for a in [actor(Role::Admin, ""), actor(Role::GridWorker, "33019900100101")] {
            for g in menu(&a) {
                assert!(!g.items.is_empty(), "{} is empty", g.key);
                for key in std::iter::once(g.key).chain(g.items.iter().map(|i| i.key)) {
                    assert!(crate::i18n::TEXTS.iter().any(|(k, _, _)| *k == key), "untranslated menu key {key}");
                }
            }
        }
    }

    #[test]
    fn the_menu_offers_only_what_the_role_may_open() {
        let hrefs = |a: &Actor| menu(a).into_iter().flat_map(|g| g.items).map(|i| i.href).collect::<Vec<_>>();
        let leader = hrefs(&actor(Role::Leader, "330199"));
        assert!(leader.contains(&"/disputes/stats") && !leader.contains(&"/disputes"), "{leader:?}");
        assert!(!leader.contains(&"/people") && !leader.contains(&"/admin/users"), "{leader:?}");
        let worker = hrefs(&actor(Role::GridWorker, "33019900100101"));
        assert!(worker.contains(&"/m") && worker.contains(&"/people") && !worker.contains(&"/import/x"));
        assert!(hrefs(&actor(Role::Resident, "33019900100101")).iter().all(|h| !h.starts_with("/admin")));
    }

    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(safe_next("/regions/1"), "/regions/1");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
        assert_eq!(safe_next("/\t/evil.example"), "/");
        assert_eq!(safe_next("/\n/evil.example"), "/");
        assert_eq!(safe_next("/区域"), "/");
    }
}
