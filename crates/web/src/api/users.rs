use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json, Query};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use wangge_app::paging::Page;
use wangge_app::users::{GrantInput, NewUser, UserView};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserParams {
    /// Only users holding this role.
    pub role: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Users with their (role, region[, department]) pairs. Admins only.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserParams),
    responses((status = 200, body = Page<UserView>), (status = 403, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<UserParams>,
) -> ApiResult<axum::Json<Page<UserView>>> {
    Ok(axum::Json(app.list_users(&a, p.role.as_deref(), p.limit, p.cursor.as_deref()).await?))
}

/// Creates a user with one or more (role, region[, department]) pairs. Admins only.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = UserView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(u): Json<NewUser>,
) -> ApiResult<(StatusCode, axum::Json<UserView>)> {
    Ok((StatusCode::CREATED, axum::Json(app.create_user(&a, u).await?)))
}

#[utoipa::path(get, path = "/api/v1/users/{username}", tag = "users", params(("username" = String, Path)),
    responses((status = 200, body = UserView), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(username): Path<String>,
) -> ApiResult<axum::Json<UserView>> {
    Ok(axum::Json(app.user(&a, &username).await?))
}

/// Adds a (role, region[, department]) pair to a user.
#[utoipa::path(post, path = "/api/v1/users/{username}/roles", tag = "users", params(("username" = String, Path)), request_body = GrantInput,
    responses((status = 200, body = UserView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn add_role(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(username): Path<String>,
    Json(g): Json<GrantInput>,
) -> ApiResult<axum::Json<UserView>> {
    Ok(axum::Json(app.add_grant(&a, &username, g).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// `true` disables the account (its sessions end at once), `false` enables it again.
    pub disabled: bool,
}

/// Disables or enables an account. Admins only; nobody disables themselves (422).
#[utoipa::path(patch, path = "/api/v1/users/{username}", tag = "users", params(("username" = String, Path)), request_body = UserPatch,
    responses((status = 200, body = UserView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn update(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(username): Path<String>,
    Json(p): Json<UserPatch>,
) -> ApiResult<axum::Json<UserView>> {
    Ok(axum::Json(app.set_user_disabled(&a, &username, p.disabled).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct GrantParams {
    pub role: String,
    #[serde(default)]
    pub region_code: String,
    pub department_code: Option<String>,
}

/// Removes one (role, region[, department]) pair from a user. The last one cannot be removed (422: disable the
/// account instead); 404 when the user does not hold it.
#[utoipa::path(delete, path = "/api/v1/users/{username}/roles", tag = "users", params(("username" = String, Path), GrantParams),
    responses((status = 200, body = UserView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn remove_role(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(username): Path<String>,
    Query(g): Query<GrantParams>,
) -> ApiResult<axum::Json<UserView>> {
    let g = GrantInput { role: g.role, region_code: g.region_code, department_code: g.department_code };
    Ok(axum::Json(app.remove_grant(&a, &username, g).await?))
}
