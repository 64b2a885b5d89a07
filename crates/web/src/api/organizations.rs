//! Organizations placed on houses (企业, 学校, 医院, 社会组织…). Thin handlers: parse, call one `App` method with
//! the caller, render.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json, Query};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use wangge_app::AppError;
use wangge_app::organizations::{NewOrgInput, OrgQuery, OrgUpdate, OrgView};
use wangge_app::paging::Page;

/// A record id from the path; anything but a positive integer is a record that does not exist.
fn record_id(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| AppError::not_found("record"))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrgParams {
    /// Region code within the caller's scope (default: all of it).
    pub region: Option<String>,
    /// Part of the name, or a whole 统一社会信用代码.
    pub q: Option<String>,
    /// Kind code or Chinese label (企业, 学校, 医院, 社会组织, 机关事业单位, 个体工商户, 其他).
    pub kind: Option<String>,
    /// `operating` | `suspended` | `deregistered` (or 在营, 停业, 注销).
    pub status: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Organizations in the caller's scope, phones masked.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "register", params(OrgParams),
    responses((status = 200, body = Page<OrgView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<OrgParams>,
) -> ApiResult<axum::Json<Page<OrgView>>> {
    let q = OrgQuery {
        region: p.region.as_deref(),
        q: p.q.as_deref(),
        kind: p.kind.as_deref(),
        status: p.status.as_deref(),
        limit: p.limit,
        cursor: p.cursor.as_deref(),
    };
    Ok(axum::Json(app.list_organizations(&a, q).await?))
}

/// Registers an organization on a house (`house_code`); its grid is the house's. 409 when the credit code
/// is already registered.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "register", request_body = NewOrgInput,
    responses((status = 201, body = OrgView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewOrgInput>,
) -> ApiResult<(StatusCode, axum::Json<OrgView>)> {
    Ok((StatusCode::CREATED, axum::Json(app.create_organization(&a, input).await?)))
}

/// One organization. 404 outside the caller's scope.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "register", params(("id" = i64, Path, description = "organization id")),
    responses((status = 200, body = OrgView), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<OrgView>> {
    Ok(axum::Json(app.organization(&a, record_id(&id)?).await?))
}

/// Changes the fields given (an empty `credit_code` or `phone` clears it).
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "register", params(("id" = i64, Path, description = "organization id")), request_body = OrgUpdate,
    responses((status = 200, body = OrgView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn update(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(u): Json<OrgUpdate>,
) -> ApiResult<axum::Json<OrgView>> {
    Ok(axum::Json(app.update_organization(&a, record_id(&id)?, u).await?))
}
