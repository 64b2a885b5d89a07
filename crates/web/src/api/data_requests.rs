//! 一表通 (issue #13): data requests sent to communities with the register's data already in them, answered by
//! grid workers only where the register is silent. Contract: docs/data-requests.md.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json, Query};
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wangge_app::AppError;
use wangge_app::data_requests::{
    AnswerInput, DataRequestInput, DataRequestView, FieldCatalogue, PrefillReport, RowView, TemplatePreview,
};
use wangge_app::paging::Page;

fn parse_id(id: &str, what: &str) -> Result<i64, AppError> {
    id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| AppError::not_found(what))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PopulationParams {
    /// `people`, `households` or `houses`.
    pub population: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MonthParams {
    /// `YYYY-MM`: requests sent that month.
    pub month: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RowParams {
    /// A grid code within the table's area.
    pub grid: Option<String>,
    /// `pending` or `answered`.
    pub status: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// The register fields (and the special-group tags the caller may see) a table about a population may ask for;
/// `writes_back` marks those a grid worker's answer updates in the register.
#[utoipa::path(get, path = "/api/v1/data-requests/fields", tag = "data-requests", params(PopulationParams),
    responses((status = 200, body = FieldCatalogue), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn fields(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<PopulationParams>,
) -> ApiResult<axum::Json<FieldCatalogue>> {
    Ok(axum::Json(app.data_request_fields(&a, &p.population).await?))
}

/// Reads the requester's own Excel template (multipart field `file`, .xlsx): the header row, each header cell
/// matched to a register field or turned into a 补充列, explained cell by cell; empty or repeated headers are a
/// 400 naming the cells (`details.cells`).
#[utoipa::path(post, path = "/api/v1/data-requests/template", tag = "data-requests", params(PopulationParams),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 200, body = TemplatePreview), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn template(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<PopulationParams>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<axum::Json<TemplatePreview>> {
    // Not a multipart body: the error shape, naming the field, like every other bad input.
    let mut form =
        form.map_err(|e| AppError::field("file", format!("请以 multipart 上传 .xlsx 文件 / {}", e.body_text())))?;
    let (_, bytes) = super::attachments::read_file(&mut form).await?;
    Ok(axum::Json(app.data_request_template(&a, &p.population, &bytes).await?))
}

/// Requests the caller sent, or that landed on their communities and grids, newest first.
#[utoipa::path(get, path = "/api/v1/data-requests", tag = "data-requests", params(MonthParams),
    responses((status = 200, body = Vec<DataRequestView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<MonthParams>,
) -> ApiResult<axum::Json<Vec<DataRequestView>>> {
    Ok(axum::Json(app.data_requests(&a, p.month.as_deref()).await?))
}

/// Sends a table down. Scope (404 outside), sensitive groups (403) and the admission list (422 naming the item,
/// the refusal recorded for each community) are checked before anything is sent; then one row per person,
/// household or house with the register's values, and a task per community.
#[utoipa::path(post, path = "/api/v1/data-requests", tag = "data-requests", request_body = DataRequestInput,
    responses((status = 201, body = DataRequestView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody),
        (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<DataRequestInput>,
) -> ApiResult<(StatusCode, axum::Json<DataRequestView>)> {
    Ok((StatusCode::CREATED, axum::Json(app.create_data_request(&a, input).await?)))
}

/// A request with its progress per community and grid (the caller's part of it when it only landed on them).
#[utoipa::path(get, path = "/api/v1/data-requests/{id}", tag = "data-requests", params(("id" = i64, Path)),
    responses((status = 200, body = DataRequestView), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<DataRequestView>> {
    Ok(axum::Json(app.data_request_detail(&a, parse_id(&id, "data request")?).await?))
}

/// The rows the caller may see (a grid worker: their grids), numbers masked.
#[utoipa::path(get, path = "/api/v1/data-requests/{id}/rows", tag = "data-requests", params(("id" = i64, Path), RowParams),
    responses((status = 200, body = Page<RowView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn rows(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Query(p): Query<RowParams>,
) -> ApiResult<axum::Json<Page<RowView>>> {
    let id = parse_id(&id, "data request")?;
    Ok(axum::Json(
        app.data_request_rows(&a, id, p.grid.as_deref(), p.status.as_deref(), p.cursor.as_deref(), p.limit).await?,
    ))
}

/// A grid worker answers a row: 补充列 answered, register columns filled or corrected — those go back into the
/// register with history. After the deadline the answer is taken and flagged `late`.
#[utoipa::path(post, path = "/api/v1/data-requests/rows/{row_id}/answer", tag = "data-requests", params(("row_id" = i64, Path)),
    request_body = AnswerInput,
    responses((status = 200, body = RowView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody),
        (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn answer(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(row_id): Path<String>,
    Json(input): Json<AnswerInput>,
) -> ApiResult<axum::Json<RowView>> {
    Ok(axum::Json(app.answer_data_row(&a, parse_id(&row_id, "row")?, input).await?))
}

/// The result as .xlsx in the requester's layout (their title rows and headers), watermarked and audited.
#[utoipa::path(get, path = "/api/v1/data-requests/{id}/result.xlsx", tag = "data-requests", params(("id" = i64, Path)),
    responses((status = 200, description = "the workbook"), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn result_xlsx(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (name, bytes) = app.data_request_xlsx(&a, parse_id(&id, "data request")?).await?;
    // RFC 5987 wants %20, not the + of form encoding (a literal + is already %2B).
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>().replace('+', "%20");
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"data-request.xlsx\"; filename*=UTF-8''{encoded}"),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// Cells the system pre-filled vs cells asked of people, per month and per request (the figure to push to 100%).
#[utoipa::path(get, path = "/api/v1/data-requests/report", tag = "data-requests", params(MonthParams),
    responses((status = 200, body = PrefillReport), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn report(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<MonthParams>,
) -> ApiResult<axum::Json<PrefillReport>> {
    Ok(axum::Json(app.data_request_report(&a, p.month.as_deref()).await?))
}
