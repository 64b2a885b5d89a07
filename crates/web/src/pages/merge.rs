//! 合并重复人员: from a person's page, find the duplicate record (by name, pinyin or a full 身份证号, within the
//! caller's scope), compare both side by side, give the reason, and merge — the person kept carries the
//! history of both, the duplicate stays as a merged record pointing to them.

use super::people::{Labels, parse_id};
use super::{CsrfForm, PageActor, UserBar, error_page, form_error, render};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wangge_app::people::{MergeInput, PeopleQuery, PersonDetail, PersonView};
use wangge_app::{AppError, ErrorKind};
use wangge_domain::role::Permission;

#[derive(Template)]
#[template(path = "person_merge.html")]
struct MergePage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: Labels,
    keep: PersonDetail,
    q: String,
    searched: bool,
    candidates: Vec<PersonView>,
    dup: Option<PersonDetail>,
    reason: String,
    reason_error: Option<String>,
    error: Option<String>,
}

impl MergePage {
    /// The person kept and the duplicate, for the side-by-side preview.
    fn pair(&self) -> Vec<(&'static str, &PersonDetail)> {
        let mut v = vec![("merge_keep", &self.keep)];
        if let Some(d) = &self.dup {
            v.push(("merge_duplicate_record", d));
        }
        v
    }
}

struct State_ {
    q: String,
    dup: Option<i64>,
    reason: String,
    error: Option<AppError>,
}

async fn merge_page(app: &AppState, lang: Lang, pa: &PageActor, id: i64, s: State_) -> Response {
    let keep = match app.person_detail(&pa.actor, id).await {
        Ok(p) => p,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    if !pa.actor.may(Permission::ManageRegister, &keep.person.grid_code) {
        return error_page(lang, pa.bar(), &AppError::forbidden());
    }
    let mut error = None;
    let q = s.q.trim().to_string();
    let candidates = if q.is_empty() {
        Vec::new()
    } else {
        let query = PeopleQuery { region: None, q: Some(&q), tag: None, status: None, limit: Some(20), cursor: None };
        match app.list_people(&pa.actor, query).await {
            Ok(page) => page.items.into_iter().filter(|p| p.id != id).collect(),
            Err(e) if e.kind == ErrorKind::InvalidInput => {
                error = Some(form_error(lang, &e));
                Vec::new()
            }
            Err(e) => return error_page(lang, pa.bar(), &e),
        }
    };
    let dup = match s.dup.filter(|d| *d != id) {
        Some(d) => match app.person_detail(&pa.actor, d).await {
            Ok(p) => Some(p),
            Err(e) => return error_page(lang, pa.bar(), &e),
        },
        None => None,
    };
    let (mut reason_error, mut status) = (None, StatusCode::OK);
    if let Some(e) = &s.error {
        status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
        if e.field_name() == Some("reason") {
            let text = e.message.strip_prefix("reason: ").unwrap_or(&e.message);
            reason_error = Some(super::localize(lang, text).to_string());
        } else {
            error = Some(form_error(lang, e));
        }
    }
    let l = Labels::load(app, pa, lang).await;
    let page = MergePage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        l,
        keep,
        searched: !q.is_empty(),
        q,
        candidates,
        dup,
        reason: s.reason,
        reason_error,
        error,
    };
    render(status, &page)
}

/// `/people/{id}/merge?q=…` lists candidates; `&dup=ID` previews the pair with the reason form.
pub async fn page(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = match parse_id(lang, &pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let dup = q.get("dup").and_then(|d| d.parse::<i64>().ok());
    let s = State_ { q: q.get("q").cloned().unwrap_or_default(), dup, reason: String::new(), error: None };
    merge_page(&app, lang, &pa, id, s).await
}

/// Merges the chosen duplicate into this person; a reason is required.
pub async fn submit(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let reason = f.get("reason");
    let dup = f.get("duplicate_id").trim().parse::<i64>().ok();
    let result = match dup {
        None => Err(AppError::field("duplicate_id", "请选择重复记录 / choose the duplicate record")),
        Some(d) => {
            app.merge_person(&f.pa.actor, id, MergeInput { duplicate_id: d, reason: Some(reason.clone()) }).await
        }
    };
    match result {
        Ok(_) => Redirect::to(&format!("/people/{id}")).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::Conflict) => {
            let s = State_ { q: f.get("q"), dup, reason, error: Some(e) };
            merge_page(&app, lang, &f.pa, id, s).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}
