//! Resident services for residents (我要办事 / 我的办件): the items they may apply for online with their materials
//! (files uploaded by `static/services.js` to `POST /api/v1/service-uploads`, their ids posted with the form), their
//! own applications followed by tracking number with 补正, withdrawal and rating, and booking a time at their
//! station (错时 evenings and Saturday mornings included).

use super::events::{FormState, parse_record_id, status_of};
use super::services::{AppPageOpts, SvLabels, action_input, application_page};
use super::{CsrfForm, PageActor, UserBar, error_page, form_error, render, urlencode};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wangge_app::appointments::{AppointmentActionInput, AppointmentView, BookInput, SlotDay};
use wangge_app::service_catalogue::{ServiceCategory, ServiceItem};
use wangge_app::services::{ApplicationInput, ApplicationView, MaterialUpload};
use wangge_app::{AppError, ErrorKind};

/// The materials with their uploaded files as the apply and 补正 forms send them: `materials[i].name` and
/// `materials[i].attachments` (ids separated by commas, filled in by the page's script).
pub(crate) fn uploads(f: &CsrfForm) -> Result<Vec<MaterialUpload>, AppError> {
    let mut idx: Vec<usize> =
        f.fields.keys().filter_map(|k| k.strip_prefix("materials[")?.strip_suffix("].name")?.parse().ok()).collect();
    idx.sort_unstable();
    let mut out = Vec::new();
    for i in idx {
        let ids = f.get(&format!("materials[{i}].attachments"));
        let mut attachments = Vec::new();
        for s in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            attachments.push(s.parse::<i64>().map_err(|_| {
                AppError::field(&format!("materials[{i}].attachments"), "附件编号无效 / not an upload's id")
            })?);
        }
        if !attachments.is_empty() {
            out.push(MaterialUpload { name: f.get(&format!("materials[{i}].name")), attachments });
        }
    }
    Ok(out)
}

// ───────────────────────────── 我要办事 ─────────────────────────────

#[derive(Template)]
#[template(path = "me_services.html")]
struct ServicesPage {
    lang: Lang,
    user: Option<UserBar>,
    l: SvLabels,
    categories: Vec<(ServiceCategory, Vec<ServiceItem>)>,
}

pub async fn services(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    if let Err(e) = app.resident_profile(&pa.actor).await {
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
    render(StatusCode::OK, &ServicesPage { lang, user: pa.bar(), l: SvLabels { lang }, categories })
}

#[derive(Template)]
#[template(path = "me_service_apply.html")]
struct ApplyPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: SvLabels,
    f: FormState,
    item: ServiceItem,
}

impl ApplyPage {
    fn merr(&self, i: &usize) -> Option<&str> {
        self.f.err(&format!("materials[{i}].attachments")).or_else(|| self.f.err(&format!("materials[{i}].name")))
    }

    /// The upload ids a refused form held for material `i` (the files stay uploaded).
    fn upload_ids(&self, i: &usize) -> &str {
        self.f.v(&format!("materials[{i}].attachments"))
    }

    /// The refusal when it is not about one material's files (those show at the material).
    fn general(&self) -> Option<&str> {
        if (0..self.item.materials.len()).any(|i| self.merr(&i).is_some()) { None } else { self.f.general(&["note"]) }
    }
}

async fn apply_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    code: &str,
    f: FormState,
    status: StatusCode,
) -> Response {
    let item = match app.service_item(&pa.actor, code).await {
        Ok(i) if i.online && i.active => i,
        Ok(_) => {
            let e =
                AppError::new(ErrorKind::NotFound, "该事项不能网上申请，请到社区便民服务站办理 / apply at the station");
            return error_page(lang, pa.bar(), &e);
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    render(status, &ApplyPage { lang, user: pa.bar(), csrf: pa.csrf.clone(), l: SvLabels { lang }, f, item })
}

pub async fn apply_form(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(code): Path<String>) -> Response {
    apply_page(&app, lang, &pa, &code, FormState::default(), StatusCode::OK).await
}

pub async fn apply_submit(State(app): State<AppState>, lang: Lang, Path(code): Path<String>, f: CsrfForm) -> Response {
    let result = match uploads(&f) {
        Ok(materials) => {
            let input = ApplicationInput {
                item_code: code.clone(),
                person_id: None,
                received: vec![],
                materials,
                note: f.get("note"),
                window: String::new(),
            };
            app.create_application(&f.pa.actor, input).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(d) => Redirect::to(&format!("/me/applications/{}?submitted=1", d.application.id)).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::Internal) => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let state = FormState::failed_at_path(f.fields.clone(), lang, &e);
            apply_page(&app, lang, &f.pa, &code, state, status_of(&e)).await
        }
    }
}

// ───────────────────────────── 我的办件 ─────────────────────────────

#[derive(Template)]
#[template(path = "me_applications.html")]
struct ApplicationsPage {
    lang: Lang,
    user: Option<UserBar>,
    l: SvLabels,
    rows: Vec<ApplicationView>,
    tracking_no: String,
    error: Option<String>,
    next: Option<String>,
}

pub async fn applications(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let tracking_no = q.get("tracking_no").cloned().unwrap_or_default();
    let t = Some(tracking_no.trim()).filter(|s| !s.is_empty());
    let (rows, next, error, status) =
        match app.my_applications(&pa.actor, t, q.get("cursor").map(String::as_str), Some(30)).await {
            Ok(p) => {
                let next = p.next_cursor.map(|c| format!("/me/applications?cursor={}", urlencode(&c)));
                (p.items, next, None, StatusCode::OK)
            }
            Err(e) if e.kind == ErrorKind::InvalidInput => {
                (vec![], None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST)
            }
            Err(e) => return error_page(lang, pa.bar(), &e),
        };
    render(status, &ApplicationsPage { lang, user: pa.bar(), l: SvLabels { lang }, rows, tracking_no, error, next })
}

fn my_opts(id: i64) -> AppPageOpts {
    AppPageOpts {
        post_url: format!("/me/applications/{id}"),
        back_url: "/me/applications".into(),
        back_label: "me_applications",
        resident: true,
    }
}

pub async fn application(
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
    let notice = if q.contains_key("submitted") {
        Some(lang.t("sv_submitted_notice").to_string())
    } else {
        q.get("done").map(|_| lang.t("sv_saved").to_string())
    };
    application_page(&app, lang, &pa, id, None, notice, my_opts(id)).await
}

pub async fn application_act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let action = f.get("action");
    let result = match action_input(&f) {
        Ok(input) => app.act_on_application(&f.pa.actor, id, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/me/applications/{id}?done={}", urlencode(&action))).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Internal) && e.field_name().is_none() => {
            error_page(lang, f.pa.bar(), &e)
        }
        Err(e) => {
            let state = FormState::failed_at_path(f.fields.clone(), lang, &e);
            application_page(&app, lang, &f.pa, id, Some((action, state, status_of(&e))), None, my_opts(id)).await
        }
    }
}

// ───────────────────────────── 预约 ─────────────────────────────

#[derive(Template)]
#[template(path = "me_appointments.html")]
struct AppointmentsPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: SvLabels,
    days: Vec<(String, String)>,
    day: Option<SlotDay>,
    mine: Vec<AppointmentView>,
    items: Vec<ServiceItem>,
    item: String,
    error: Option<String>,
    notice: Option<String>,
}

/// The next fourteen days as (date, label such as "11-28 周六").
fn next_days(lang: Lang) -> Vec<(String, String)> {
    use chrono::Datelike;
    let today = chrono::Utc::now().with_timezone(&wangge_domain::event::calendar::cst()).date_naive();
    let l = SvLabels { lang };
    (0..14)
        .map(|d| {
            let day = today + chrono::Duration::days(d);
            (
                day.format("%Y-%m-%d").to_string(),
                format!("{} {}", day.format("%m-%d"), l.weekday(&day.weekday().number_from_monday())),
            )
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn appointments_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    date: Option<&str>,
    item: String,
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let days = next_days(lang);
    let date = date.map(str::to_string).or_else(|| days.get(1).map(|d| d.0.clone()));
    let day = match app.service_slots(&pa.actor, None, date.as_deref()).await {
        Ok(d) => Some(d),
        Err(e) if e.kind == ErrorKind::InvalidInput => None,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let mine = app.list_appointments(&pa.actor, None, None).await.map(|p| p.items).unwrap_or_default();
    let items = app.service_items(&pa.actor, None, false).await.unwrap_or_default();
    let page = AppointmentsPage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        l: SvLabels { lang },
        days,
        day,
        mine,
        items,
        item,
        error,
        notice,
    };
    render(status, &page)
}

pub async fn appointments(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let notice = q
        .get("done")
        .map(|d| lang.t(if d == "cancel" { "sv_cancelled_notice" } else { "sv_booked_notice" }).to_string());
    let item = q.get("item").cloned().unwrap_or_default();
    appointments_page(&app, lang, &pa, q.get("date").map(String::as_str), item, None, notice, StatusCode::OK).await
}

pub async fn book(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let input = BookInput {
        start: f.get("start"),
        item_code: Some(f.get("item_code")).filter(|s| !s.trim().is_empty()),
        person_id: None,
        note: String::new(),
    };
    let date = f.get("date");
    match app.book_appointment(&f.pa.actor, input).await {
        Ok(_) => Redirect::to(&format!("/me/appointments?date={}&done=book", urlencode(&date))).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::NotFound) => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let msg = form_error(lang, &e);
            appointments_page(&app, lang, &f.pa, Some(&date), f.get("item_code"), Some(msg), None, status_of(&e)).await
        }
    }
}

pub async fn cancel(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let input = AppointmentActionInput { action: "cancel".into(), version: f.get("version").parse().ok() };
    match app.act_on_appointment(&f.pa.actor, id, input).await {
        Ok(_) => Redirect::to("/me/appointments?done=cancel").into_response(),
        Err(e) if e.kind == ErrorKind::Conflict => {
            let msg = form_error(lang, &e);
            appointments_page(&app, lang, &f.pa, None, String::new(), Some(msg), None, StatusCode::CONFLICT).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}
