use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json, Query};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wangge_app::paging::Page;
use wangge_app::regions::{NewRegion, RegionDetail, RegionSummary};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// 1–500, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The top regions of the caller's scope (districts for admins; otherwise the regions the caller was granted).
#[utoipa::path(get, path = "/api/v1/regions", tag = "regions", params(PageParams),
    responses((status = 200, body = Page<RegionSummary>), (status = 400, body = super::ErrorBody), (status = 401, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<PageParams>,
) -> ApiResult<axum::Json<Page<RegionSummary>>> {
    Ok(axum::Json(app.top_regions(&a, p.limit, p.cursor.as_deref()).await?))
}

/// A region with its children and counts of households, residents and grids. 404 outside the caller's scope.
#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "regions", params(("code" = String, Path, description = "region code")),
    responses((status = 200, body = RegionDetail), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(code): Path<String>,
) -> ApiResult<axum::Json<RegionDetail>> {
    Ok(axum::Json(app.region_detail(&a, &code).await?))
}

/// The grids of the subtree as a GeoJSON FeatureCollection (`properties.code`, `properties.name`).
#[utoipa::path(get, path = "/api/v1/regions/{code}/grids.geojson", tag = "regions", params(("code" = String, Path, description = "region code")),
    responses((status = 200, content_type = "application/geo+json", body = Object), (status = 404, body = super::ErrorBody)))]
pub async fn grids(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    Ok(geojson(app.grids_geojson(&a, &code).await?))
}

/// Creates a region under a parent the caller manages (admins may create districts). The code must extend the parent's.
#[utoipa::path(post, path = "/api/v1/regions", tag = "regions", request_body = NewRegion,
    responses((status = 201, body = RegionDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(r): Json<NewRegion>,
) -> ApiResult<(StatusCode, axum::Json<RegionDetail>)> {
    Ok((StatusCode::CREATED, axum::Json(app.create_region(&a, r).await?)))
}

/// The direct children of a region with boundaries and counts (`properties.code`, `name`, `level`, `households`,
/// `residents`, `grids`): the drill-down layer of the map.
#[utoipa::path(get, path = "/api/v1/regions/{code}/children.geojson", tag = "regions", params(("code" = String, Path, description = "region code")),
    responses((status = 200, content_type = "application/geo+json", body = Object), (status = 404, body = super::ErrorBody)))]
pub async fn children(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    Ok(geojson(app.children_geojson(&a, &code).await?))
}

/// A FeatureCollection with the GeoJSON media type (RFC 7946), so map clients recognise it.
fn geojson(fc: serde_json::Value) -> Response {
    let mut res = axum::Json(fc).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/geo+json"));
    res
}
