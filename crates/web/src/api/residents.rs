//! Residents' accounts: self-service sign-up checked against the register, the resident's own record, and
//! accounts opened by community staff at the window.

use super::session::{ClientAddr, SessionOut, user_json};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use wangge_app::residents::{ResidentAccount, ResidentAccountInput, ResidentProfile, ResidentSignUp};

#[derive(Serialize, utoipa::ToSchema)]
pub struct SignedUp {
    #[serde(flatten)]
    pub session: SessionOut,
    pub profile: ResidentProfile,
}

/// A resident signs up (no login). Name, 身份证号 and the phone number the community registered must all match
/// one person living in the district; any mismatch answers the same 422 (it does not say which), and failures
/// count per client address like logins (429). 409 when the person already has an account or the username is
/// taken. Answers a session token.
#[utoipa::path(post, path = "/api/v1/residents", tag = "residents", security(()), request_body = ResidentSignUp,
    responses((status = 201, body = SignedUp), (status = 400, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody), (status = 429, body = super::ErrorBody)))]
pub async fn sign_up(
    State(app): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(input): Json<ResidentSignUp>,
) -> ApiResult<(StatusCode, axum::Json<SignedUp>)> {
    let (s, profile) = app.sign_up_resident(input, &addr).await?;
    let session = SessionOut { token: s.token, user: user_json(&s.actor) };
    Ok((StatusCode::CREATED, axum::Json(SignedUp { session, profile })))
}

/// The signed-in resident's own record (masked numbers, grid and community). 404 for staff accounts.
#[utoipa::path(get, path = "/api/v1/me", tag = "residents",
    responses((status = 200, body = ResidentProfile), (status = 401, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn me(State(app): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<axum::Json<ResidentProfile>> {
    Ok(axum::Json(app.resident_profile(&a).await?))
}

/// The resident account of a person (`null` when none), for staff who read the register there.
#[utoipa::path(get, path = "/api/v1/people/{id}/account", tag = "residents", params(("id" = i64, Path)),
    responses((status = 200, body = Option<ResidentAccount>), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn account(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Option<ResidentAccount>>> {
    Ok(axum::Json(app.resident_account(&a, id).await?))
}

/// Community staff open an account for a person at the window (ID card seen). 409 when the person has one.
#[utoipa::path(post, path = "/api/v1/people/{id}/account", tag = "residents", params(("id" = i64, Path)), request_body = ResidentAccountInput,
    responses((status = 201, body = ResidentAccount), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn open_account(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<ResidentAccountInput>,
) -> ApiResult<(StatusCode, axum::Json<ResidentAccount>)> {
    Ok((StatusCode::CREATED, axum::Json(app.open_resident_account(&a, id, input).await?)))
}
