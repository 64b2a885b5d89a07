//! The public side of the closed loop, without an account: report a problem (群众上报: a point on the map or a
//! grid and an address, a description, a photo, optionally a name and phone, or anonymously) and follow it on
//! the tracking page the token opens (status, the public timeline with role names only, rating 1–5, reopen).
//!
//! Forms carry a token that must match a SameSite=Strict cookie (there is no session to bind it to), and every
//! client address may post only a few times per window, on top of the global body limit.

use super::events::{EvLabels, FormState, chosen_category, parse_ids, parse_point};
use super::{ClientAddr, UserBar, render};
use crate::AppState;
use crate::extract::constant_time_eq;
use crate::i18n::{Lang, cookie};
use askama::Template;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wangge_app::attachments::public_uploader_key;
use wangge_app::events::{EventDetail, ReportInput, Reporter};
use wangge_app::{AppError, ErrorKind};
use wangge_domain::role::Role;

const PUBLIC_CSRF_COOKIE: &str = "wangge_public_csrf";

/// Public photos are limited below the attachment store's own limit: a phone photo fits, a flood does not.
pub const MAX_PUBLIC_PHOTO_BYTES: usize = 8 * 1024 * 1024;

/// Counts a public post from the client's address (`App::allow_public_post`, shared by every node): None when
/// allowed, else the page to answer (429, or 503 when the database cannot count it).
async fn post_refused(app: &AppState, lang: Lang, addr: &str) -> Option<Response> {
    match app.allow_public_post(addr).await {
        Ok(()) => None,
        Err(e) if e.kind == ErrorKind::TooManyRequests => Some(refused(lang, 429, lang.t("evt_too_many_posts"))),
        Err(e) => Some(refused(lang, e.kind.status(), &e.message)),
    }
}

/// The form token: the one the browser already holds, or a new one set with the response.
fn public_token(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, PUBLIC_CSRF_COOKIE).filter(|c| c.len() >= 32 && c.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        Some(t) => (t, false),
        None => (wangge_app::auth::random_token(), true),
    }
}

fn with_token_cookie(mut res: Response, token: &str, new: bool) -> Response {
    if new {
        let c = format!("{PUBLIC_CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

fn token_ok(headers: &HeaderMap, sent: &str) -> bool {
    let expected = cookie(headers, PUBLIC_CSRF_COOKIE).unwrap_or_default();
    !expected.is_empty() && constant_time_eq(sent, &expected)
}

fn refused(lang: Lang, status: u16, text: &str) -> Response {
    super::message(lang, status, lang.t("evt_public_report"), text)
}

// ───────────────────────────── report ─────────────────────────────

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    f: FormState,
    categories: Vec<(String, String)>,
    grids: Vec<(String, String)>,
    tile_url: String,
    grids_url: &'static str,
    /// After a report: the tracking link, shown this once.
    done: Option<(i64, String)>,
}

const REPORT_FIELDS: &[&str] = &["category", "description", "address", "location", "name", "contact", "attachments"];

impl ReportPage {
    fn general(&self) -> Option<&str> {
        self.f.general(REPORT_FIELDS)
    }
}

/// The public may report 部件 (B) and 事件 (E) problems; the social-governance classes (Z) are for staff.
fn public_category(code: &str) -> bool {
    code.starts_with('E') || code.starts_with('B')
}

async fn report_page(app: &AppState, lang: Lang, csrf: String, f: FormState, status: StatusCode) -> Response {
    let l = EvLabels::load(app, lang).await;
    let categories = l.category_options(|c| public_category(c) && c.len() == 5);
    let grids = public_grid_list(app).await;
    let tile_url = app.map_settings().await.map(|t| t.tile_url).unwrap_or_default();
    let grids_url = "/report/grids.geojson";
    render(status, &ReportPage { lang, user: None, csrf, f, categories, grids, tile_url, grids_url, done: None })
}

pub async fn report_form(State(app): State<AppState>, lang: Lang, headers: HeaderMap) -> Response {
    let (token, new) = public_token(&headers);
    let res = report_page(&app, lang, token.clone(), FormState::default(), StatusCode::OK).await;
    with_token_cookie(res, &token, new)
}

pub async fn report_submit(
    State(app): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    addr: ClientAddr,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    if !token_ok(&headers, &get("csrf")) {
        return refused(lang, 403, lang.t("session_expired"));
    }
    if let Some(page) = post_refused(&app, lang, &addr.0).await {
        return page;
    }
    let anonymous = !get("anonymous").is_empty();
    let built = (|| -> Result<ReportInput, AppError> {
        let category = chosen_category(&f);
        if !public_category(category.trim()) {
            return Err(AppError::field("category", "请选择问题类别 / choose a category"));
        }
        let (lat, lon) = parse_point(&get("lat"), &get("lon"))?;
        Ok(ReportInput {
            category,
            description: get("description"),
            lat,
            lon,
            grid_code: Some(get("grid_code")).filter(|g| !g.trim().is_empty() && lat.is_none()),
            address: get("address"),
            attachments: parse_ids(&get("attachments"))?,
            ..ReportInput::default()
        })
    })();
    let result = match built {
        Ok(input) => {
            // A signed-in resident's report is theirs too: listed on their page (我的), rated from there.
            let resident = super::signed_in(&app, &headers).await.filter(|a| a.has_role(Role::Resident));
            let (mut name, contact) =
                if anonymous { (String::new(), String::new()) } else { (get("name"), get("contact")) };
            if let Some(r) = resident.as_ref().filter(|_| !anonymous && name.trim().is_empty()) {
                name = r.display_name.clone();
            }
            let account = resident.map(|r| r.user_id);
            // Only photos uploaded from this browser (the cookie checked above) can be attached.
            let uploader = public_uploader_key(&cookie(&headers, PUBLIC_CSRF_COOKIE).unwrap_or_default());
            app.report_event(Reporter::Public { name, contact, anonymous, uploader, account }, input).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => {
            let token = r.token.unwrap_or_default();
            let page = ReportPage {
                lang,
                user: None,
                csrf: get("csrf"),
                f: FormState::default(),
                categories: vec![],
                grids: vec![],
                tile_url: String::new(),
                grids_url: "",
                done: Some((r.id, format!("/track/{token}"))),
            };
            render(StatusCode::CREATED, &page)
        }
        Err(e) => {
            let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
            report_page(&app, lang, get("csrf"), FormState::failed(f.clone(), lang, &e), status).await
        }
    }
}

/// One photo for a public report (multipart field `file`, token in `X-CSRF-Token`), re-encoded so that no
/// EXIF location survives; answers its id as JSON for the report form to name.
pub async fn report_photo(
    State(app): State<AppState>,
    headers: HeaderMap,
    addr: ClientAddr,
    mut form: Multipart,
) -> Response {
    let sent = headers.get(crate::extract::CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let err = |e: AppError| crate::error::ApiError(e).into_response();
    if !token_ok(&headers, sent) {
        return err(AppError::new(ErrorKind::Forbidden, "页面已过期，请刷新 / the page expired; reload it"));
    }
    if let Err(e) = app.allow_public_post(&addr.0).await {
        return err(e);
    }
    loop {
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let name = field.file_name().unwrap_or("photo").to_string();
                let bytes = match field.bytes().await {
                    Ok(b) => b,
                    Err(e) => return err(AppError::field("file", e.body_text())),
                };
                let uploader = public_uploader_key(&cookie(&headers, PUBLIC_CSRF_COOKIE).unwrap_or_default());
                return match app.save_attachment(&uploader, true, &name, bytes.to_vec()).await {
                    Ok(v) => (StatusCode::CREATED, axum::Json(serde_json::json!({ "id": v.id, "name": v.name })))
                        .into_response(),
                    Err(e) => err(e),
                };
            }
            Ok(Some(_)) => continue,
            Ok(None) => return err(AppError::field("file", "请选择照片 / choose a photo")),
            Err(e) => return err(AppError::field("file", e.body_text())),
        }
    }
}

/// Every grid of the platform (codes start with a digit: GB/T 2260 province codes).
async fn all_grids(app: &AppState) -> Vec<wangge_store::regions::RegionRow> {
    let mut out = Vec::new();
    for d in 1..=9 {
        out.extend(app.store.grids_in(&d.to_string()).await.unwrap_or_default());
    }
    out
}

/// Every grid's code and name for the public picker (grids are public: they are posted in every community).
async fn public_grid_list(app: &AppState) -> Vec<(String, String)> {
    let grids = all_grids(app).await;
    grids.into_iter().take(2000).map(|g| (g.region.code.clone(), g.region.name.clone())).collect()
}

/// The grids' outlines for the public report map (code and name only, nothing counted).
pub async fn public_grids(State(app): State<AppState>) -> Response {
    let grids = all_grids(&app).await;
    let features: Vec<serde_json::Value> = grids
        .iter()
        .filter_map(|g| {
            let geom: serde_json::Value = serde_json::from_str(g.boundary.as_deref()?).ok()?;
            Some(serde_json::json!({
                "type": "Feature",
                "geometry": geom,
                "properties": { "code": g.region.code, "name": g.region.name },
            }))
        })
        .collect();
    let mut res = axum::Json(serde_json::json!({ "type": "FeatureCollection", "features": features })).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/geo+json"));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    res
}

// ───────────────────────────── tracking ─────────────────────────────

#[derive(Template)]
#[template(path = "track.html")]
pub(crate) struct TrackPage {
    pub(crate) lang: Lang,
    pub(crate) user: Option<UserBar>,
    pub(crate) csrf: String,
    pub(crate) l: EvLabels,
    /// Where the rating and reopen forms post: `/track/{token}`, or `/me/reports/{id}` for a signed-in resident.
    pub(crate) post_url: String,
    /// Where the photos are fetched, followed by the attachment id.
    pub(crate) files: String,
    pub(crate) d: EventDetail,
    pub(crate) f: FormState,
    pub(crate) notice: Option<&'static str>,
}

impl TrackPage {
    fn is_image(&self, content_type: &str) -> bool {
        content_type.starts_with("image/")
    }

    fn general(&self) -> Option<&str> {
        self.f.general(&["satisfaction", "note"])
    }

    /// The rating choices, best first: (score, label key).
    fn ratings(&self) -> Vec<(&'static str, &'static str)> {
        vec![("5", "evt_sat_5"), ("4", "evt_sat_4"), ("3", "evt_sat_3"), ("2", "evt_sat_2"), ("1", "evt_sat_1")]
    }
}

async fn track_page(
    app: &AppState,
    lang: Lang,
    csrf: String,
    token: &str,
    f: FormState,
    status: StatusCode,
    notice: Option<&'static str>,
) -> Response {
    match app.event_by_token(token).await {
        Ok(d) => {
            let l = EvLabels::load(app, lang).await;
            let (post_url, files) = (format!("/track/{token}"), format!("/track/{token}/attachments/"));
            render(status, &TrackPage { lang, user: None, csrf, l, post_url, files, d, f, notice })
        }
        Err(e) => super::error_page(lang, None, &e),
    }
}

pub async fn track(
    State(app): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(token): Path<String>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let (csrf, new) = public_token(&headers);
    let notice = match q.get("done").map(String::as_str) {
        Some("evaluate") => Some(lang.t("evt_thanks_rating")),
        Some("reopen") => Some(lang.t("evt_reopened")),
        _ => None,
    };
    let res = track_page(&app, lang, csrf.clone(), &token, FormState::default(), StatusCode::OK, notice).await;
    with_token_cookie(res, &csrf, new)
}

/// The rating form or the reopen form of a closed report: whether it reopens, and the rating (checked).
pub(crate) fn parse_feedback(f: &HashMap<String, String>) -> (bool, Result<Option<i64>, AppError>) {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("").trim();
    let reopen = get("reopen") == "1";
    let r = if reopen {
        if get("note").is_empty() {
            Err(AppError::field("note", "请说明哪里还没有解决 / say what is not fixed"))
        } else {
            Ok(None)
        }
    } else if get("satisfaction").is_empty() {
        Err(AppError::field("satisfaction", "请选择满意度 / choose a rating"))
    } else {
        get("satisfaction")
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::field("satisfaction", "满意度应为1到5 / satisfaction must be 1 to 5"))
    };
    (reopen, r)
}

pub async fn track_feedback(
    State(app): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    addr: ClientAddr,
    Path(token): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    if !token_ok(&headers, &get("csrf")) {
        return refused(lang, 403, lang.t("session_expired"));
    }
    if let Some(page) = post_refused(&app, lang, &addr.0).await {
        return page;
    }
    let (reopen, feedback) = parse_feedback(&f);
    let result = match feedback {
        Ok(s) => app.public_feedback(&token, s, reopen, &get("note")).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            let done = if reopen { "reopen" } else { "evaluate" };
            Redirect::to(&format!("/track/{token}?done={done}")).into_response()
        }
        Err(e) if e.kind == ErrorKind::NotFound => super::error_page(lang, None, &e),
        Err(e) => {
            let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let mut values = f.clone();
            values.insert("form".into(), if reopen { "reopen" } else { "evaluate" }.into());
            track_page(&app, lang, get("csrf"), &token, FormState::failed(values, lang, &e), status, None).await
        }
    }
}

/// A photo of the event behind a tracking token (the thumbnail with `?thumb=1`), for the reporter's page.
pub async fn track_attachment(
    State(app): State<AppState>,
    lang: Lang,
    Path((token, id)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let Some(id) = id.parse::<i64>().ok().filter(|i| *i > 0) else {
        return super::error_page(lang, None, &AppError::not_found("attachment"));
    };
    let thumb = q.get("thumb").map(String::as_str) == Some("1");
    match app.attachment_by_token(&token, id, thumb).await {
        Ok((ct, bytes)) => crate::api::attachments::file_response(ct, bytes),
        Err(e) => super::error_page(lang, None, &e),
    }
}
