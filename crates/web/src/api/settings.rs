use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json};
use axum::extract::State;
use serde::Deserialize;
use wangge_app::settings::MapSettings;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MapSettingsInput {
    /// Leaflet URL template with {z}, {x}, {y}; empty = no tiles (grids on a plain background).
    pub tile_url: String,
    #[serde(default)]
    pub tile_attribution: String,
}

/// The map tile source every page uses.
#[utoipa::path(get, path = "/api/v1/settings/map", tag = "settings",
    responses((status = 200, body = MapSettings), (status = 401, body = super::ErrorBody)))]
pub async fn get_map(State(app): State<AppState>, ApiActor(_): ApiActor) -> ApiResult<axum::Json<MapSettings>> {
    Ok(axum::Json(app.map_settings().await?))
}

/// Sets the map tile source. Admins only.
#[utoipa::path(put, path = "/api/v1/settings/map", tag = "settings", request_body = MapSettingsInput,
    responses((status = 200, body = MapSettings), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn put_map(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(m): Json<MapSettingsInput>,
) -> ApiResult<axum::Json<MapSettings>> {
    Ok(axum::Json(app.set_map_settings(&a, &m.tile_url, &m.tile_attribution).await?))
}
