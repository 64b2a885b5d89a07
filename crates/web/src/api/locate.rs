use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Query};
use axum::extract::State;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LocateParams {
    pub lat: f64,
    pub lon: f64,
    /// wgs84 (default), gcj02 (高德/腾讯) or bd09 (百度).
    pub crs: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Located {
    pub grid_code: String,
}

/// The grid containing a point. 404 outside every grid (and outside the caller's scope).
#[utoipa::path(get, path = "/api/v1/locate", tag = "regions", params(LocateParams),
    responses((status = 200, body = Located), (status = 400, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn locate(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<LocateParams>,
) -> ApiResult<axum::Json<Located>> {
    Ok(axum::Json(Located { grid_code: app.locate(&a, p.lat, p.lon, p.crs.as_deref())? }))
}
