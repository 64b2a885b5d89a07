//! 网格员工作: each grid worker's month in a region as facts (people due and covered, visits, events, patrols,
//! days logged) — not quotas — and handing a grid to another worker when one leaves.

use super::events::region_options;
use super::{CsrfForm, PageActor, UserBar, error_page, form_error, render};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wangge_app::ErrorKind;
use wangge_app::field::{ReassignInput, WorkerMonthView};
use wangge_domain::role::Permission;

#[derive(Template)]
#[template(path = "field_workers.html")]
struct WorkersPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    regions: Vec<(String, String)>,
    region: String,
    month: String,
    workers: Vec<WorkerMonthView>,
    may_assign: bool,
    error: Option<String>,
    reassign_error: Option<String>,
    reassigned: bool,
    /// The reassign form as typed (kept when refused).
    grid: String,
    from_user: String,
    to_user: String,
}

impl WorkersPage {
    /// Covered share as a whole percentage, for the bar and the cell.
    fn coverage(&self, w: &WorkerMonthView) -> i64 {
        if w.people_due == 0 { 100 } else { (w.people_covered * 100 + w.people_due / 2) / w.people_due }
    }
}

/// The region shown by default: the caller's first grant that may read field work.
fn default_region(pa: &PageActor) -> String {
    pa.actor
        .grants
        .iter()
        .find(|g| pa.actor.may(Permission::ReadFieldWork, &g.region_code) && !g.region_code.is_empty())
        .map(|g| g.region_code.clone())
        .unwrap_or_default()
}

async fn page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    q: &HashMap<String, String>,
    reassign: Option<(ReassignInput, String)>,
) -> Response {
    if !pa.actor.may_somewhere(Permission::ReadFieldWork) {
        return error_page(lang, pa.bar(), &wangge_app::AppError::forbidden());
    }
    let get = |k: &str| q.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let region = get("region").unwrap_or_else(|| default_region(pa));
    let month = get("month").unwrap_or_default();
    let (workers, error, mut status) = match app
        .field_workers(&pa.actor, &region, (!month.is_empty()).then_some(month.as_str()))
        .await
    {
        Ok(w) => (w, None, StatusCode::OK),
        Err(e) if e.kind == ErrorKind::InvalidInput => (vec![], Some(form_error(lang, &e)), StatusCode::BAD_REQUEST),
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let (grid, from_user, to_user, reassign_error) = match reassign {
        Some((i, e)) => {
            status = StatusCode::BAD_REQUEST;
            (i.grid_code, i.from_user, i.to_user, Some(e))
        }
        None => Default::default(),
    };
    let p = WorkersPage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        regions: region_options(app, pa).await,
        may_assign: !region.is_empty() && pa.actor.may(Permission::AssignGrids, &region),
        region,
        month,
        workers,
        error,
        reassign_error,
        reassigned: q.contains_key("reassigned"),
        grid,
        from_user,
        to_user,
    };
    render(status, &p)
}

pub async fn list(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    page(&app, lang, &pa, &q, None).await
}

/// Hands a grid over; a refused form comes back as typed with the reason.
pub async fn reassign(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let input =
        ReassignInput { grid_code: f.get("grid_code"), from_user: f.get("from_user"), to_user: f.get("to_user") };
    let region = f.get("region");
    match app.reassign_grid(&f.pa.actor, input.clone()).await {
        Ok(()) => {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("region", &region).append_pair("reassigned", "1");
            Redirect::to(&format!("/field/workers?{}", q.finish())).into_response()
        }
        Err(e) if matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::Conflict) => {
            let q: HashMap<String, String> = [("region".to_string(), region)].into_iter().collect();
            let msg = form_error(lang, &e);
            page(&app, lang, &f.pa, &q, Some((input, msg))).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}
