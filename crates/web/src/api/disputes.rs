//! Dispute mediation (矛盾纠纷多元化解): register, list, read, act on disputes; the type taxonomy; statistics.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json, Query};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use wangge_app::AppError;
use wangge_app::disputes::{
    DisputeActionInput, DisputeDetail, DisputeQuery, DisputeStats, DisputeType, DisputeTypeInput, DisputeView,
    NewDisputeInput,
};
use wangge_app::paging::Page;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    pub region: Option<String>,
    /// A status code, or `open` for every unfinished one.
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub type_code: Option<String>,
    /// `overdue`: mediation or follow-up visit past due.
    pub view: Option<String>,
    /// Only disputes where this register person is a party.
    pub person: Option<i64>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Disputes in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/disputes", tag = "disputes", params(ListParams),
    responses((status = 200, body = Page<DisputeView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<ListParams>,
) -> ApiResult<axum::Json<Page<DisputeView>>> {
    let q = DisputeQuery {
        region: p.region.as_deref(),
        status: p.status.as_deref(),
        type_code: p.type_code.as_deref(),
        view: p.view.as_deref(),
        person_id: p.person,
        cursor: p.cursor.as_deref(),
        limit: p.limit,
    };
    Ok(axum::Json(app.list_disputes(&a, q).await?))
}

/// Registers a dispute with its parties; it is routed by difficulty (简易 → community, 复杂 → street, 疑难 → district).
#[utoipa::path(post, path = "/api/v1/disputes", tag = "disputes", request_body = NewDisputeInput,
    responses((status = 201, body = DisputeDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewDisputeInput>,
) -> ApiResult<(StatusCode, axum::Json<DisputeDetail>)> {
    Ok((StatusCode::CREATED, axum::Json(app.register_dispute(&a, input).await?)))
}

fn parse_id(id: &str) -> Result<i64, AppError> {
    id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| AppError::not_found("dispute"))
}

/// A dispute with its parties (numbers masked), its steps and the actions the caller may take now.
#[utoipa::path(get, path = "/api/v1/disputes/{id}", tag = "disputes", params(("id" = i64, Path, description = "dispute id")),
    responses((status = 200, body = DisputeDetail), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<DisputeDetail>> {
    Ok(axum::Json(app.dispute_detail(&a, parse_id(&id)?).await?))
}

/// Moves a dispute on: accept, session, agree, fail, refer, referral_outcome, escalate, follow_up, close, withdraw.
/// 403 without the right to mediate at its level, 409 in the wrong state, 400 naming a missing field.
#[utoipa::path(post, path = "/api/v1/disputes/{id}/actions", tag = "disputes", params(("id" = i64, Path, description = "dispute id")),
    request_body = DisputeActionInput,
    responses((status = 200, body = DisputeDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn act(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<DisputeActionInput>,
) -> ApiResult<axum::Json<DisputeDetail>> {
    Ok(axum::Json(app.act_on_dispute(&a, parse_id(&id)?, input).await?))
}

/// The dispute type taxonomy (seeded, editable).
#[utoipa::path(get, path = "/api/v1/dispute-types", tag = "disputes",
    responses((status = 200, body = Page<DisputeType>), (status = 403, body = super::ErrorBody)))]
pub async fn types(State(app): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<axum::Json<Page<DisputeType>>> {
    let items = app.dispute_types(&a).await?;
    let total = items.len() as i64;
    Ok(axum::Json(Page { items, next_cursor: None, total, total_is_lower_bound: false }))
}

/// Adds or changes a dispute type (admins, district staff); `active: false` retires it.
#[utoipa::path(put, path = "/api/v1/dispute-types/{code}", tag = "disputes", params(("code" = String, Path, description = "type code")),
    request_body = DisputeTypeInput,
    responses((status = 200, body = DisputeType), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn put_type(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(code): Path<String>,
    Json(input): Json<DisputeTypeInput>,
) -> ApiResult<axum::Json<DisputeType>> {
    Ok(axum::Json(app.put_dispute_type(&a, &code, input).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsParams {
    pub region: Option<String>,
    /// `YYYY-MM-DD` (default a year before `to`).
    pub from: Option<String>,
    /// `YYYY-MM-DD` (default today).
    pub to: Option<String>,
}

/// Disputes by type, status and grid; 调解成功率, 协议履行率, mean days to resolution; monthly trend.
#[utoipa::path(get, path = "/api/v1/dispute-stats", tag = "disputes", params(StatsParams),
    responses((status = 200, body = DisputeStats), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn stats(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<StatsParams>,
) -> ApiResult<axum::Json<DisputeStats>> {
    Ok(axum::Json(app.dispute_stats(&a, p.region.as_deref(), p.from.as_deref(), p.to.as_deref()).await?))
}
