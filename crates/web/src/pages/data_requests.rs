//! 一表通 pages (issue #13): the tables sent and received, a new table (static/data-requests.js drives the form
//! against the JSON API: fields per population, the requester's own template read cell by cell), a table's
//! progress per community and grid with its rows and the download, and the pre-fill report.

use super::events::region_options;
use super::{PageActor, UserBar, error_page, form_error, render};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;
use wangge_app::ErrorKind;
use wangge_app::data_requests::{DataRequestView, PrefillReport, RowView};
use wangge_domain::role::Permission;

fn percent(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".into())
}

#[derive(Template)]
#[template(path = "data_requests.html")]
struct ListPage {
    lang: Lang,
    user: Option<UserBar>,
    may_request: bool,
    month: String,
    rows: Vec<DataRequestView>,
    error: Option<String>,
}

impl ListPage {
    fn percent(&self, r: &DataRequestView) -> String {
        percent(r.prefilled_percent)
    }
}

/// `/data-requests`: tables the caller sent, or that landed on their communities and grids.
pub async fn list(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let month = q.get("month").map(|m| m.trim().to_string()).unwrap_or_default();
    let (rows, error, status) = match app.data_requests(&pa.actor, (!month.is_empty()).then_some(month.as_str())).await
    {
        Ok(r) => (r, None, StatusCode::OK),
        Err(e) if e.kind == ErrorKind::InvalidInput => (vec![], Some(form_error(lang, &e)), StatusCode::BAD_REQUEST),
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let may_request = pa.actor.may_somewhere(Permission::RequestData);
    render(status, &ListPage { lang, user: pa.bar(), may_request, month, rows, error })
}

#[derive(Template)]
#[template(path = "data_request_new.html")]
struct NewPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    departments: Vec<(String, String)>,
    own_department: String,
    regions: Vec<(String, String)>,
    tags: Vec<(String, String)>,
    usages: Vec<(&'static str, &'static str)>,
}

/// `/data-requests/new`: the form; data-requests.js posts it to `/api/v1/data-requests`.
pub async fn new(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    if let Err(e) = app.authorize_anywhere(&pa.actor, Permission::RequestData) {
        return error_page(lang, pa.bar(), &e);
    }
    let own: Vec<String> = pa.actor.grants.iter().filter_map(|g| g.department_code.clone()).collect();
    let departments = match app.catalogue().await {
        Ok(c) => {
            let mut d: Vec<(String, String)> = c
                .departments
                .iter()
                .filter(|(code, _)| own.is_empty() || own.contains(code))
                .map(|(code, (name, _))| (code.clone(), name.clone()))
                .collect();
            d.sort();
            d
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let tags = match app.data_request_fields(&pa.actor, "people").await {
        Ok(c) => c
            .fields
            .into_iter()
            .filter(|f| f.key.starts_with("tag:") && !f.key.contains('.'))
            .map(|f| (f.key.trim_start_matches("tag:").to_string(), f.label))
            .collect(),
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let regions = region_options(&app, &pa)
        .await
        .into_iter()
        .filter(|(code, _)| pa.actor.may(Permission::RequestData, code))
        .collect();
    let usages = wangge_domain::register::HouseUsage::ALL.iter().map(|u| (u.as_str(), u.label_zh())).collect();
    let page = NewPage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        own_department: own.first().cloned().unwrap_or_default(),
        departments,
        regions,
        tags,
        usages,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "data_request.html")]
struct DetailPage {
    lang: Lang,
    user: Option<UserBar>,
    r: DataRequestView,
    rows: Vec<RowView>,
    more_rows: bool,
}

impl DetailPage {
    fn percent(&self) -> String {
        percent(self.r.prefilled_percent)
    }

    fn value(&self, row: &RowView, key: &str) -> String {
        row.values.get(key).and_then(|v| v.as_str()).unwrap_or("").to_string()
    }

    fn asked(&self, row: &RowView, key: &str) -> bool {
        row.ask.iter().any(|k| k == key)
    }
}

/// `/data-requests/{id}`: progress per community and grid, the columns, the first rows and the download.
pub async fn detail(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(id): Path<String>) -> Response {
    let Some(id) = id.parse::<i64>().ok().filter(|i| *i > 0) else {
        return error_page(lang, pa.bar(), &wangge_app::AppError::not_found("data request"));
    };
    let r = match app.data_request_detail(&pa.actor, id).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let page = match app.data_request_rows(&pa.actor, id, None, None, None, Some(200)).await {
        Ok(p) => p,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let more_rows = page.next_cursor.is_some();
    render(StatusCode::OK, &DetailPage { lang, user: pa.bar(), r, rows: page.items, more_rows })
}

#[derive(Template)]
#[template(path = "data_request_report.html")]
struct ReportPage {
    lang: Lang,
    user: Option<UserBar>,
    report: PrefillReport,
}

impl ReportPage {
    fn percent(&self, p: impl std::borrow::Borrow<Option<f64>>) -> String {
        percent(*p.borrow())
    }
}

/// `/data-requests/report`: pre-filled vs asked cells per month and per table.
pub async fn report(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    match app.data_request_report(&pa.actor, None).await {
        Ok(report) => render(StatusCode::OK, &ReportPage { lang, user: pa.bar(), report }),
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}
