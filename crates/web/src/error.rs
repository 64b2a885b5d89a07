//! Turns [`AppError`] into the DESIGN.md §4 error shape: `{"error": {"code", "message", "details"}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use wangge_app::AppError;

pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = json!({ "error": { "code": e.kind.code(), "message": e.message } });
        if let Some(d) = e.details {
            body["error"]["details"] = d;
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // A full disk or a file store down: clients and phones try again later instead of giving up.
            return (status, [(axum::http::header::RETRY_AFTER, "30")], Json(body)).into_response();
        }
        (status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
