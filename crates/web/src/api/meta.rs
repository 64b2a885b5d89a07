use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiActor;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use utoipa::OpenApi;
use wangge_app::AppError;

/// 200 when the database answers.
pub async fn healthz(State(app): State<AppState>) -> impl IntoResponse {
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

pub async fn openapi() -> impl IntoResponse {
    Json(super::ApiDoc::openapi())
}

pub async fn api_not_found() -> ApiError {
    ApiError(AppError::not_found("API route"))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub name_en: String,
}

/// Department codes for dispatching and for the `department` role.
#[utoipa::path(get, path = "/api/v1/departments", tag = "reference",
    responses((status = 200, body = Vec<Department>), (status = 401, body = super::ErrorBody)))]
pub async fn departments(State(app): State<AppState>, ApiActor(_): ApiActor) -> ApiResult<Json<serde_json::Value>> {
    let items: Vec<Department> = app
        .store
        .departments()
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|(code, name, name_en)| Department { code, name, name_en })
        .collect();
    let total = items.len();
    Ok(Json(serde_json::json!({ "items": items, "next_cursor": null, "total": total })))
}
