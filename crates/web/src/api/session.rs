use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Credential, Json, client_addr, credential};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use wangge_app::AppError;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionOut {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    #[schema(value_type = Object)]
    pub user: serde_json::Value,
}

pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(parts)))
    }
}

pub fn user_json(a: &wangge_domain::scope::Actor) -> serde_json::Value {
    serde_json::json!({ "id": a.user_id, "username": a.username, "display_name": a.display_name, "roles": a.grants })
}

/// Log in. 401 on bad credentials; 429 after 10 failures for one username or address within 15 minutes.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", security(()), request_body = Credentials,
    responses((status = 200, body = SessionOut), (status = 400, body = super::ErrorBody), (status = 401, body = super::ErrorBody), (status = 429, body = super::ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(c): Json<Credentials>,
) -> ApiResult<axum::Json<SessionOut>> {
    let s = app.login(&c.username, &c.password, &addr).await?;
    Ok(axum::Json(SessionOut { token: s.token, user: user_json(&s.actor) }))
}

/// The caller and their roles.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = Object), (status = 401, body = super::ErrorBody)))]
pub async fn me(ApiActor(a): ApiActor) -> ApiResult<axum::Json<serde_json::Value>> {
    Ok(axum::Json(user_json(&a)))
}

/// Log out: the token stops working.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204), (status = 401, body = super::ErrorBody)))]
pub async fn delete(State(app): State<AppState>, ApiActor(_): ApiActor, headers: HeaderMap) -> ApiResult<StatusCode> {
    let token = match credential(&headers) {
        Some(Credential::Bearer(t)) | Some(Credential::Cookie(t)) => t,
        None => return Err(AppError::unauthorized().into()),
    };
    app.logout(&token).await?;
    Ok(StatusCode::NO_CONTENT)
}
