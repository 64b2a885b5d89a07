//! Residents' pages: sign up (checked against the register), 我的 (their record and their reports), one of
//! their reports with the rating and reopen forms; and the account card staff see on a person's page.

use super::events::{EvLabels, FormState};
use super::report::{TrackPage, parse_feedback};
use super::{ClientAddr, CsrfForm, PageActor, UserBar, error_page, render, session_cookie};
use crate::AppState;
use crate::extract::constant_time_eq;
use crate::i18n::{Lang, cookie};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wangge_app::AppError;
use wangge_app::events::{EventQuery, EventView};
use wangge_app::residents::{ResidentAccountInput, ResidentProfile, ResidentSignUp};

const SIGNUP_CSRF_COOKIE: &str = "wangge_signup_csrf";

#[derive(Template)]
#[template(path = "signup.html")]
struct SignUpPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    f: FormState,
}

fn signup_response(status: StatusCode, lang: Lang, f: FormState) -> Response {
    let csrf = wangge_app::auth::random_token();
    let mut res = render(status, &SignUpPage { lang, user: None, csrf: csrf.clone(), f });
    let c = format!("{SIGNUP_CSRF_COOKIE}={csrf}; Path=/signup; HttpOnly; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn signup_page(lang: Lang) -> Response {
    signup_response(StatusCode::OK, lang, FormState::default())
}

pub async fn signup_submit(
    State(app): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    addr: ClientAddr,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let expected = cookie(&headers, SIGNUP_CSRF_COOKIE).unwrap_or_default();
    let mut values = f.clone();
    values.remove("password");
    values.remove("password2");
    if expected.is_empty() || !constant_time_eq(&get("csrf"), &expected) {
        let e = AppError::new(wangge_app::ErrorKind::Forbidden, lang.t("session_expired"));
        return signup_response(StatusCode::FORBIDDEN, lang, FormState::failed(values, lang, &e));
    }
    let result = if get("password") != get("password2") {
        Err(AppError::field("password2", "两次输入的密码不一致 / the passwords differ"))
    } else {
        let input = ResidentSignUp {
            username: get("username"),
            password: get("password"),
            name: get("name"),
            id_number: get("id_number"),
            phone: get("phone"),
        };
        app.sign_up_resident(input, &addr.0).await
    };
    match result {
        Ok((s, _)) => {
            let mut res = Redirect::to("/me").into_response();
            if let Some(v) = session_cookie(&app, &headers, &s.token) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => {
            let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
            signup_response(status, lang, FormState::failed(values, lang, &e))
        }
    }
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    lang: Lang,
    user: Option<UserBar>,
    me: ResidentProfile,
    reports: Vec<EventView>,
    l: EvLabels,
    /// Polls the resident may answer now (民意调查).
    open_polls: usize,
}

/// 我的: the resident's record and their reports. Staff accounts have no such page and go to the map.
pub async fn me(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    let me = match app.resident_profile(&pa.actor).await {
        Ok(me) => me,
        Err(e) if e.kind == wangge_app::ErrorKind::NotFound => return Redirect::to("/").into_response(),
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let q = EventQuery { view: Some("mine"), limit: Some(100), ..EventQuery::default() };
    let reports = match app.list_events(&pa.actor, q).await {
        Ok(p) => p.items,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let l = EvLabels::load(&app, lang).await;
    let open_polls = app.resident_polls(&pa.actor).await.map(|p| p.iter().filter(|p| p.may_vote).count()).unwrap_or(0);
    render(StatusCode::OK, &MePage { lang, user: pa.bar(), me, reports, l, open_polls })
}

async fn my_report_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    f: FormState,
    status: StatusCode,
    notice: Option<&'static str>,
) -> Response {
    match app.my_report(&pa.actor, id).await {
        Ok(d) => {
            let l = EvLabels::load(app, lang).await;
            let page = TrackPage {
                lang,
                user: pa.bar(),
                csrf: pa.csrf.clone(),
                l,
                post_url: format!("/me/reports/{id}"),
                files: "/api/v1/attachments/".into(),
                d,
                f,
                notice,
            };
            render(status, &page)
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

/// One of the resident's reports, as the tracking page shows it (roles only), with rating and reopen forms.
pub async fn my_report(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let id = match super::events::parse_record_id(lang, &pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let notice = match q.get("done").map(String::as_str) {
        Some("evaluate") => Some(lang.t("evt_thanks_rating")),
        Some("reopen") => Some(lang.t("evt_reopened")),
        _ => None,
    };
    my_report_page(&app, lang, &pa, id, FormState::default(), StatusCode::OK, notice).await
}

pub async fn my_report_feedback(
    State(app): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    form: CsrfForm,
) -> Response {
    let pa = &form.pa;
    let id = match super::events::parse_record_id(lang, pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let (reopen, feedback) = parse_feedback(&form.fields);
    let result = match feedback {
        Ok(s) => app.my_report_feedback(&pa.actor, id, s, reopen, &form.get("note")).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            let done = if reopen { "reopen" } else { "evaluate" };
            Redirect::to(&format!("/me/reports/{id}?done={done}")).into_response()
        }
        Err(e) if e.kind == wangge_app::ErrorKind::NotFound => error_page(lang, pa.bar(), &e),
        Err(e) => {
            let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let mut values = form.fields.clone();
            values.insert("form".into(), if reopen { "reopen" } else { "evaluate" }.into());
            my_report_page(&app, lang, pa, id, FormState::failed(values, lang, &e), status, None).await
        }
    }
}

/// Staff open a resident account from the person's page.
pub async fn open_account(State(app): State<AppState>, lang: Lang, Path(id): Path<i64>, f: CsrfForm) -> Response {
    let input = ResidentAccountInput { username: f.get("username"), password: f.get("password") };
    match app.open_resident_account(&f.pa.actor, id, input).await {
        Ok(_) => Redirect::to(&format!("/people/{id}?account=opened#account")).into_response(),
        Err(e) if e.kind == wangge_app::ErrorKind::NotFound => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let mut values = f.fields.clone();
            values.remove("password");
            let x = super::people::PersonExtras {
                account_form: Some(FormState::failed(values, lang, &e)),
                ..Default::default()
            };
            super::people::person_page(&app, lang, &f.pa, id, x).await
        }
    }
}
