//! Events (DESIGN.md §4, §6): report, list, read with the timeline, act on the closed loop, categories and
//! the GB/T 30428.4 indicators. Thin handlers: parse, call one `App` method with the caller, render.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json, Query};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use wangge_app::AppError;
use wangge_app::events::{ActionInput, Category, EventDetail, EventQuery, EventView, ReportInput, Reported, Reporter};
use wangge_app::paging::Page;

fn event_id(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| AppError::not_found("event"))
}

/// Reports an event. The point is assigned to its grid (`crs`: wgs84, gcj02, bd09), routed, given its deadline
/// and committed before the 201. Likely duplicates nearby are listed in `possible_duplicates`; with
/// `check_duplicates: true` they refuse the report with 409 instead.
#[utoipa::path(post, path = "/api/v1/events", tag = "events", request_body = ReportInput,
    responses((status = 201, body = Reported), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody),
        (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<ReportInput>,
) -> ApiResult<(StatusCode, axum::Json<Reported>)> {
    Ok((StatusCode::CREATED, axum::Json(app.report_event(Reporter::User(&a), input).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventParams {
    /// Region code within the caller's scope (default: all of it).
    pub region: Option<String>,
    /// A status code, several separated by commas, or `open`.
    pub status: Option<String>,
    /// A category code or the code of a class (E05 lists every 街面秩序 event).
    pub category: Option<String>,
    /// Only events dispatched to this department.
    pub department: Option<String>,
    /// `overdue`, `due_soon` (stage ends within 4 working hours), `mine` (reported by me), `queue` (dispatched
    /// to my departments) or `all`.
    pub view: Option<String>,
    /// Reported on or after this day (YYYY-MM-DD, China time).
    pub from: Option<String>,
    /// Reported on or before this day.
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Events the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventParams),
    responses((status = 200, body = Page<EventView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<EventParams>,
) -> ApiResult<axum::Json<Page<EventView>>> {
    let q = EventQuery {
        region: p.region.as_deref(),
        status: p.status.as_deref(),
        category: p.category.as_deref(),
        department: p.department.as_deref(),
        view: p.view.as_deref(),
        from: p.from.as_deref(),
        to: p.to.as_deref(),
        limit: p.limit,
        cursor: p.cursor.as_deref(),
    };
    Ok(axum::Json(app.list_events(&a, q).await?))
}

/// One event with its timeline (who, what, when, notes, attachments) and the actions the caller may take.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(("id" = i64, Path, description = "event id")),
    responses((status = 200, body = EventDetail), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<EventDetail>> {
    Ok(axum::Json(app.event_detail(&a, event_id(&id)?).await?))
}

/// Moves the event through the workflow (DESIGN.md §6). 403 when the caller's role may not take the action
/// (checked first), 409 when the event's state does not allow it or another action won a race.
/// `merge` (`{"action": "merge", "into": N}`, before 立案) voids a duplicate into the open event N: an `into`
/// that is missing or not a number is 400, outside the caller's scope 404, the event itself 422, a finished or
/// merged target 409 — each naming the field `into`.
#[utoipa::path(post, path = "/api/v1/events/{id}/actions", tag = "events", params(("id" = i64, Path, description = "event id")),
    request_body = ActionInput,
    responses((status = 200, body = EventDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody),
        (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn act(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<ActionInput>,
) -> ApiResult<axum::Json<EventDetail>> {
    Ok(axum::Json(app.act_on_event(&a, event_id(&id)?, input).await?))
}

/// Event categories (GB/T 30428.2 部件/事件 and GB/T 31000 classes) with time limits and extra fields.
#[utoipa::path(get, path = "/api/v1/categories", tag = "reference",
    responses((status = 200, body = Page<Category>), (status = 401, body = super::ErrorBody)))]
pub async fn categories(State(app): State<AppState>, ApiActor(_): ApiActor) -> ApiResult<axum::Json<Page<Category>>> {
    let r = app.event_reference().await?;
    let items: Vec<Category> = r.categories.iter().filter(|c| c.active).cloned().collect();
    let total = items.len() as i64;
    Ok(axum::Json(Page { items, next_cursor: None, total, total_is_lower_bound: false }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IndicatorParams {
    pub region: Option<String>,
    /// First day (YYYY-MM-DD); without from/to, all time.
    pub from: Option<String>,
    pub to: Option<String>,
    /// `category`, `department`, `grid` or `person`: one row per value instead of one total. `person` rows
    /// (GB/T 30428.4 岗位) carry `username`, `display_name`, `reported`, `valid`, `self_handled`, `verified`,
    /// `verified_on_time`, `handled`, `handled_on_time`, `valid_report_rate`, `on_time_verify_rate` and
    /// `on_time_handling_rate`; a caller who does not supervise staff gets only their own row.
    pub by: Option<String>,
}

/// GB/T 30428.4 indicators: `reported`, `closed` (closed and evaluated), `closure_rate`, `on_time_rate`,
/// `rework_rate`, `postponement_rate`, `handling_rate`, `on_time_handling_rate`, `valid_report_rate`,
/// `satisfaction`, `composite`. Rates are ratios 0–1, null when nothing to divide.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "events", params(IndicatorParams),
    responses((status = 200, body = Object), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn indicators(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<IndicatorParams>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    match p.by.as_deref().filter(|b| !b.is_empty()) {
        None => {
            let i = app.indicators(&a, p.region.as_deref(), p.from.as_deref(), p.to.as_deref()).await?;
            Ok(axum::Json(serde_json::to_value(i).map_err(|e| AppError::internal(e.to_string()))?))
        }
        Some("person") => {
            let rows = app.indicators_by_person(&a, p.region.as_deref(), p.from.as_deref(), p.to.as_deref()).await?;
            let items: Vec<serde_json::Value> = rows
                .into_iter()
                .map(|r| {
                    let mut v = serde_json::to_value(&r).unwrap_or_default();
                    v["key"] = serde_json::Value::from(r.username);
                    v
                })
                .collect();
            let total = items.len();
            Ok(axum::Json(serde_json::json!({ "items": items, "next_cursor": null, "total": total })))
        }
        Some(by) => {
            let rows = app.indicators_by(&a, by, p.region.as_deref(), p.from.as_deref(), p.to.as_deref()).await?;
            let items: Vec<serde_json::Value> = rows
                .into_iter()
                .map(|(k, i)| {
                    let mut v = serde_json::to_value(i).unwrap_or_default();
                    v["key"] = serde_json::Value::from(k);
                    v
                })
                .collect();
            let total = items.len();
            Ok(axum::Json(serde_json::json!({ "items": items, "next_cursor": null, "total": total })))
        }
    }
}
