//! API keys for client applications (Open311 `api_key`, integrators), for admins: list them, issue one (the key
//! is shown once, on the answer to the form, and only its hash is kept) and revoke one (its next use gets 403).

use super::{CsrfForm, PageActor, UserBar, error_page, form_error, render};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wangge_app::ErrorKind;
use wangge_app::open311::ApiKeyView;

#[derive(Template)]
#[template(path = "api_keys.html")]
struct ApiKeysPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    keys: Vec<ApiKeyView>,
    /// (name, key) of the key just issued.
    created: Option<(String, String)>,
    revoked: bool,
    name: String,
    error: Option<String>,
}

async fn page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    status: StatusCode,
    created: Option<(String, String)>,
    revoked: bool,
    rejected: Option<(String, String)>,
) -> Response {
    let (name, error) = match rejected {
        Some((n, e)) => (n, Some(e)),
        None => (String::new(), None),
    };
    match app.api_keys(&pa.actor).await {
        Ok(keys) => render(
            status,
            &ApiKeysPage { lang, user: pa.bar(), csrf: pa.csrf.clone(), keys, created, revoked, name, error },
        ),
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

pub async fn list(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    page(&app, lang, &pa, StatusCode::OK, None, q.contains_key("revoked"), None).await
}

/// Issues a key and shows it once, on this answer (not after a redirect, so it never sits in a URL).
pub async fn create(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let name = f.get("name");
    match app.create_api_key(&f.pa.actor, &name).await {
        Ok(key) => page(&app, lang, &f.pa, StatusCode::OK, Some((name.trim().to_string(), key)), false, None).await,
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            page(&app, lang, &f.pa, StatusCode::BAD_REQUEST, None, false, Some((name, form_error(lang, &e)))).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

pub async fn revoke(State(app): State<AppState>, lang: Lang, Path(id): Path<i64>, f: CsrfForm) -> Response {
    match app.revoke_api_key(&f.pa.actor, id).await {
        Ok(()) => Redirect::to("/admin/api-keys?revoked=1").into_response(),
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}
