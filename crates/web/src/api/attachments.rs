//! Attachments: upload a photo or file (multipart field `file`) and name its id in a report or action;
//! fetch one (or its thumbnail) when the event it documents is visible to the caller.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Query};
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wangge_app::AppError;
use wangge_app::events::AttachmentView;

/// Uploads one file (JPEG, PNG, WebP or PDF, at most 10 MB; the type is read from the bytes). Returns its id,
/// to be listed in `attachments` of `POST /api/v1/events` or of an action.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "events",
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = AttachmentView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn upload(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    mut form: Multipart,
) -> ApiResult<(StatusCode, axum::Json<AttachmentView>)> {
    app.authorize_anywhere(&a, wangge_domain::role::Permission::ReadEvents)?;
    let (name, bytes) = read_file(&mut form).await?;
    let v = app.save_attachment(&wangge_app::attachments::uploader_key(&a), false, &name, bytes).await?;
    Ok((StatusCode::CREATED, axum::Json(v)))
}

/// The multipart field `file`: its name and bytes (400 naming `file` when there is none).
pub(crate) async fn read_file(form: &mut Multipart) -> Result<(String, Vec<u8>), AppError> {
    while let Some(field) = form.next_field().await.map_err(|e| AppError::field("file", e.body_text()))? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("upload").to_string();
            let bytes = field.bytes().await.map_err(|e| AppError::field("file", e.body_text()))?;
            return Ok((name, bytes.to_vec()));
        }
    }
    Err(AppError::field("file", "请选择文件 / choose a file"))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FileParams {
    /// `1` for the 320-pixel JPEG thumbnail of an image.
    pub thumb: Option<u8>,
}

/// The file, with its sniffed content type; 404 unless the caller may see its event.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "events", params(("id" = i64, Path, description = "attachment id"), FileParams),
    responses((status = 200, description = "the file"), (status = 404, body = super::ErrorBody)))]
pub async fn download(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Query(p): Query<FileParams>,
) -> ApiResult<Response> {
    let id = id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| AppError::not_found("attachment"))?;
    let (ct, bytes) = app.attachment_for(&a, id, p.thumb == Some(1)).await?;
    Ok(file_response(ct, bytes))
}

/// A stored file as a response: never sniffed by the browser, never rendered inline as a page.
pub fn file_response(content_type: String, bytes: Vec<u8>) -> Response {
    let disposition = if content_type.starts_with("image/") { "inline" } else { "attachment" };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition.to_string()),
            (header::CACHE_CONTROL, "private, max-age=86400".to_string()),
        ],
        bytes,
    )
        .into_response()
}
