//! Field work on the phone (docs/field.md): today's due visits and tasks, the offline outbox's sync, the
//! assembled 民情日志, each grid worker's month, handing a grid over, patrol routes, a person's visits.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json, Query};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use wangge_app::AppError;
use wangge_app::field::{
    FieldLog, FieldToday, ReassignInput, RouteInput, RouteView, SyncRequest, SyncResponse, VisitView, WorkerMonthView,
};
use wangge_app::paging::Page;

/// A sync request may carry a day's work (500 items, thousands of track points).
pub const MAX_SYNC_BYTES: usize = 4 * 1024 * 1024;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TodayParams {
    /// One grid in the caller's scope (default: the grids the caller works as grid worker or grid leader).
    pub grid: Option<String>,
}

/// What the caller should do today: people due a visit (overdue first) with what the visit form pre-fills,
/// events to attend (四必到) or verify, quick-report categories, patrol routes and the patrol under way.
#[utoipa::path(get, path = "/api/v1/field/today", tag = "field", params(TodayParams),
    responses((status = 200, body = FieldToday), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn today(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<TodayParams>,
) -> ApiResult<axum::Json<FieldToday>> {
    Ok(axum::Json(app.field_today(&a, p.grid.as_deref()).await?))
}

/// Applies the phone's outbox: each item once (by its key), in order, each in its own transaction. Per-item
/// outcomes: `created`, `duplicate`, `rejected` (with the error, field named) or `retry`.
#[utoipa::path(post, path = "/api/v1/field/sync", tag = "field", request_body = SyncRequest,
    responses((status = 200, body = SyncResponse), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn sync(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(req): Json<SyncRequest>,
) -> ApiResult<axum::Json<SyncResponse>> {
    Ok(axum::Json(app.field_sync(&a, req).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LogParams {
    /// `YYYY-MM-DD` (default today, China time).
    pub day: Option<String>,
}

/// The caller's 民情日志 for a day: visits, events reported, patrols, and their note.
#[utoipa::path(get, path = "/api/v1/field/log", tag = "field", params(LogParams),
    responses((status = 200, body = FieldLog), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn log(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<LogParams>,
) -> ApiResult<axum::Json<FieldLog>> {
    Ok(axum::Json(app.field_log(&a, p.day.as_deref()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WorkersParams {
    pub region: String,
    /// `YYYY-MM` (default this month).
    pub month: Option<String>,
}

/// Each grid worker's month in a region, as facts: people due and covered, visits, events, patrols, log days.
#[utoipa::path(get, path = "/api/v1/field/workers", tag = "field", params(WorkersParams),
    responses((status = 200, body = Page<WorkerMonthView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn workers(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<WorkersParams>,
) -> ApiResult<axum::Json<Page<WorkerMonthView>>> {
    let items = app.field_workers(&a, &p.region, p.month.as_deref()).await?;
    let total = items.len() as i64;
    Ok(axum::Json(Page { items, next_cursor: None, total, total_is_lower_bound: false }))
}

/// Hands a grid from one grid worker to another (community staff and above).
#[utoipa::path(post, path = "/api/v1/field/reassign", tag = "field", request_body = ReassignInput,
    responses((status = 204), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn reassign(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<ReassignInput>,
) -> ApiResult<StatusCode> {
    app.reassign_grid(&a, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a patrol route with its check-in points (community staff and above).
#[utoipa::path(post, path = "/api/v1/field/routes", tag = "field", request_body = RouteInput,
    responses((status = 201, body = RouteView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn add_route(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<RouteInput>,
) -> ApiResult<(StatusCode, axum::Json<RouteView>)> {
    Ok((StatusCode::CREATED, axum::Json(app.add_patrol_route(&a, input).await?)))
}

/// A person's visits, newest first.
#[utoipa::path(get, path = "/api/v1/people/{id}/visits", tag = "field", params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = Page<VisitView>), (status = 404, body = super::ErrorBody)))]
pub async fn person_visits(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Page<VisitView>>> {
    let id = id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| AppError::not_found("person"))?;
    let items = app.person_visits(&a, id).await?;
    let total = items.len() as i64;
    Ok(axum::Json(Page { items, next_cursor: None, total, total_is_lower_bound: false }))
}
