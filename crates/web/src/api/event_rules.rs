//! What admins (admin, district) edit about the event loop: categories and their time limits, routing rules,
//! the working calendar. Reads are open to everyone who reads events.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use wangge_app::AppError;
use wangge_app::event_rules::{CalendarDayInput, CalendarView, CategoryInput, RuleInput, RuleView};
use wangge_app::events::Category;
use wangge_app::paging::Page;

/// Creates or changes a category: name, default department, triage, stage limits (`4h`, `5d`, `24n`), extra fields.
#[utoipa::path(put, path = "/api/v1/categories/{code}", tag = "reference", params(("code" = String, Path, description = "category code, e.g. E0501")),
    request_body = CategoryInput,
    responses((status = 200, body = Category), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn put_category(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(code): Path<String>,
    Json(input): Json<CategoryInput>,
) -> ApiResult<axum::Json<Category>> {
    Ok(axum::Json(app.put_category(&a, &code, input).await?))
}

/// Routing rules: category prefix × region prefix → departments (lead first) and triage; the most specific wins.
#[utoipa::path(get, path = "/api/v1/routing-rules", tag = "reference",
    responses((status = 200, body = Page<RuleView>), (status = 403, body = super::ErrorBody)))]
pub async fn rules(State(app): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<axum::Json<Page<RuleView>>> {
    let items = app.routing_rules(&a).await?;
    let total = items.len() as i64;
    Ok(axum::Json(Page { items, next_cursor: None, total, total_is_lower_bound: false }))
}

#[utoipa::path(post, path = "/api/v1/routing-rules", tag = "reference", request_body = RuleInput,
    responses((status = 201, body = RuleView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn add_rule(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<RuleInput>,
) -> ApiResult<(StatusCode, axum::Json<RuleView>)> {
    Ok((StatusCode::CREATED, axum::Json(app.add_routing_rule(&a, input).await?)))
}

#[utoipa::path(delete, path = "/api/v1/routing-rules/{id}", tag = "reference", params(("id" = i64, Path, description = "rule id")),
    responses((status = 204), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn delete_rule(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = id.parse::<i64>().map_err(|_| AppError::not_found("routing rule"))?;
    app.delete_routing_rule(&a, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The working calendar: working periods of a day and every dated exception (holidays, 调休 workdays).
#[utoipa::path(get, path = "/api/v1/calendar", tag = "reference",
    responses((status = 200, body = CalendarView), (status = 403, body = super::ErrorBody)))]
pub async fn calendar(State(app): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<axum::Json<CalendarView>> {
    Ok(axum::Json(app.calendar(&a).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PeriodsInput {
    /// e.g. "08:30-12:00,13:30-17:30".
    pub periods: String,
}

#[utoipa::path(put, path = "/api/v1/calendar", tag = "reference", request_body = PeriodsInput,
    responses((status = 200, body = CalendarView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn put_periods(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<PeriodsInput>,
) -> ApiResult<axum::Json<CalendarView>> {
    Ok(axum::Json(app.set_work_periods(&a, &input.periods).await?))
}

/// Marks a day `holiday` or `workday`, or clears the mark (`kind`: null).
#[utoipa::path(put, path = "/api/v1/calendar/{day}", tag = "reference", params(("day" = String, Path, description = "YYYY-MM-DD")),
    request_body = CalendarDayInput,
    responses((status = 200, body = CalendarView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn put_day(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(day): Path<String>,
    Json(input): Json<CalendarDayInput>,
) -> ApiResult<axum::Json<CalendarView>> {
    Ok(axum::Json(app.put_calendar_day(&a, &day, input).await?))
}
