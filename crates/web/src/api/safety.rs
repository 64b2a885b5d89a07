//! 治安防控: the key groups under management (重点人群, audited reads, masked numbers), safety teams and the
//! safety map. Thin handlers: parse, call one `App` method with the caller, render.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json, Query};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use wangge_app::paging::Page;
use wangge_app::safety::{KeyGroupPerson, KeyGroupQuery, NewTeamInput, SafetyMap, TeamView};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct KeyGroupParams {
    /// Region code within the caller's scope (default: the caller's first region).
    pub region: Option<String>,
    /// A key-group tag code (`community_correction`, `released_prisoner`, `mental_disorder`, `drug_user`, …).
    pub tag: Option<String>,
    /// `all` (default) or `overdue`.
    pub view: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// People under management (社区矫正 while the term runs, 刑满释放 within five years, 严重精神障碍 by risk level,
/// 吸毒…) with contact frequency, last contact, next due day and responsible grid workers, overdue first.
/// Numbers masked; every call writes one audit record (`read_key_groups`).
#[utoipa::path(get, path = "/api/v1/key-groups", tag = "safety", params(KeyGroupParams),
    responses((status = 200, body = Page<KeyGroupPerson>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn key_groups(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<KeyGroupParams>,
) -> ApiResult<axum::Json<Page<KeyGroupPerson>>> {
    let q = KeyGroupQuery {
        region: p.region.as_deref(),
        tag: p.tag.as_deref(),
        view: p.view.as_deref(),
        limit: p.limit,
        cursor: p.cursor.as_deref(),
    };
    Ok(axum::Json(app.key_groups(&a, q).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TeamParams {
    /// Region code within the caller's scope (default: the caller's first region).
    pub region: Option<String>,
    /// `patrol` or `volunteer`.
    pub kind: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Safety teams covering a region: those of its subtree and those of the regions above it. Members' phones masked.
#[utoipa::path(get, path = "/api/v1/safety/teams", tag = "safety", params(TeamParams),
    responses((status = 200, body = Page<TeamView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn teams(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<TeamParams>,
) -> ApiResult<axum::Json<Page<TeamView>>> {
    Ok(axum::Json(app.list_teams(&a, p.region.as_deref(), p.kind.as_deref(), p.limit, p.cursor.as_deref()).await?))
}

/// Adds a patrol team (巡防队) or volunteer team (平安志愿者) with its members (community staff and above).
#[utoipa::path(post, path = "/api/v1/safety/teams", tag = "safety", request_body = NewTeamInput,
    responses((status = 201, body = TeamView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn add_team(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewTeamInput>,
) -> ApiResult<(StatusCode, axum::Json<TeamView>)> {
    Ok((StatusCode::CREATED, axum::Json(app.add_team(&a, input).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MapParams {
    /// Region code within the caller's scope (default: the caller's first region).
    pub region: Option<String>,
}

/// Per grid: open hazard events (Z02 治安隐患, Z03 安全隐患) with their points, patrols of the last 30 days
/// (count, minutes, km, coverage) and the teams covering it.
#[utoipa::path(get, path = "/api/v1/safety/map", tag = "safety", params(MapParams),
    responses((status = 200, body = SafetyMap), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn map(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<MapParams>,
) -> ApiResult<axum::Json<SafetyMap>> {
    Ok(axum::Json(app.safety_map(&a, p.region.as_deref()).await?))
}
