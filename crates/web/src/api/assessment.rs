//! Assessment (考核评价, issue #10): schemes, grid workers' monthly scores and the payroll workbook, the
//! department ranking, and communities' star assessments. Every number comes with the records it was computed
//! from. Contract: docs/assessment.md.

use super::participation::xlsx_response;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json, Query};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use wangge_app::AppError;
use wangge_app::assessment::{
    DepartmentScore, InspectionInput, NewStarInput, PropertyCompany, PropertyCompanyInput, PropertyCompanyPatch,
    PropertyScore, SchemeView, ScoresInput, StarActionInput, StarDetail, StarSummary, SurveysInput, WorkerRow,
    WorkerScore,
};
use wangge_domain::assessment::Scheme;

fn parse_id(id: &str, what: &str) -> Result<i64, AppError> {
    id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| AppError::not_found(what))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodParams {
    /// Region code within the caller's scope (default: the caller's first region).
    pub region: Option<String>,
    /// `2026-11` (grid workers: months only), `2026-Q4` or `2026`; default this month.
    pub period: Option<String>,
}

/// The schemes in use (one per subject: community, grid worker, department) and stored inactive ones.
#[utoipa::path(get, path = "/api/v1/assessment/schemes", tag = "assessment",
    responses((status = 200, body = Vec<SchemeView>), (status = 403, body = super::ErrorBody)))]
pub async fn schemes(State(app): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<axum::Json<Vec<SchemeView>>> {
    Ok(axum::Json(app.assessment_schemes(&a).await?))
}

/// Stores a scheme (admins, district); it becomes the one in use for its subject. Validated field by field.
#[utoipa::path(post, path = "/api/v1/assessment/schemes", tag = "assessment", request_body = Object,
    responses((status = 200, body = SchemeView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn put_scheme(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(s): Json<Scheme>,
) -> ApiResult<axum::Json<SchemeView>> {
    Ok(axum::Json(app.put_assessment_scheme(&a, s).await?))
}

/// Every grid worker of the region for a month, best first, with their pay.
#[utoipa::path(get, path = "/api/v1/assessment/workers", tag = "assessment", params(PeriodParams),
    responses((status = 200, body = Vec<WorkerRow>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn workers(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<PeriodParams>,
) -> ApiResult<axum::Json<Vec<WorkerRow>>> {
    Ok(axum::Json(app.worker_scores(&a, p.region.as_deref(), p.period.as_deref()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MonthParams {
    /// `2026-11`; default this month.
    pub period: Option<String>,
}

/// A grid worker's month: each indicator with its value, points and records; deductions with their records;
/// pay. A worker reads their own; supervisors need `ReadAssessment` on the worker's grid.
#[utoipa::path(get, path = "/api/v1/assessment/workers/{user_id}", tag = "assessment", params(("user_id" = i64, Path), MonthParams),
    responses((status = 200, body = WorkerScore), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn worker(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Query(p): Query<MonthParams>,
) -> ApiResult<axum::Json<WorkerScore>> {
    Ok(axum::Json(app.worker_score(&a, parse_id(&id, "grid worker")?, p.period.as_deref()).await?))
}

/// The month's performance pay of the region's grid workers for payroll (.xlsx, watermarked, audited).
#[utoipa::path(get, path = "/api/v1/assessment/payroll.xlsx", tag = "assessment", params(PeriodParams),
    responses((status = 200, description = "the workbook"), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn payroll(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<PeriodParams>,
) -> ApiResult<Response> {
    let (name, bytes) = app.payroll_xlsx(&a, p.region.as_deref(), p.period.as_deref()).await?;
    Ok(xlsx_response(&name, bytes))
}

/// Departments ranked by how they handled dispatched work (按时处置率, 返工率, 延期率, 满意度, cards).
#[utoipa::path(get, path = "/api/v1/assessment/departments", tag = "assessment", params(PeriodParams),
    responses((status = 200, body = Vec<DepartmentScore>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn departments(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<PeriodParams>,
) -> ApiResult<axum::Json<Vec<DepartmentScore>>> {
    Ok(axum::Json(app.department_ranking(&a, p.region.as_deref(), p.period.as_deref(), false).await?))
}

/// One department's score with the records behind each number.
#[utoipa::path(get, path = "/api/v1/assessment/departments/{code}", tag = "assessment", params(("code" = String, Path), PeriodParams),
    responses((status = 200, body = DepartmentScore), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn department(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(code): Path<String>,
    Query(p): Query<PeriodParams>,
) -> ApiResult<axum::Json<DepartmentScore>> {
    Ok(axum::Json(app.department_score(&a, &code, p.region.as_deref(), p.period.as_deref()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StarParams {
    pub region: Option<String>,
    pub year: Option<i64>,
}

/// Star assessments of the region's communities.
#[utoipa::path(get, path = "/api/v1/assessment/stars", tag = "assessment", params(StarParams),
    responses((status = 200, body = Vec<StarSummary>), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn stars(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<StarParams>,
) -> ApiResult<axum::Json<Vec<StarSummary>>> {
    Ok(axum::Json(app.star_list(&a, p.region.as_deref(), p.year).await?))
}

/// Opens the year's star assessment of a community (community staff); the existing one when already open.
#[utoipa::path(post, path = "/api/v1/assessment/stars", tag = "assessment", request_body = NewStarInput,
    responses((status = 201, body = StarDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn open_star(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewStarInput>,
) -> ApiResult<(StatusCode, axum::Json<StarDetail>)> {
    Ok((StatusCode::CREATED, axum::Json(app.open_star(&a, input).await?)))
}

/// A star assessment: the scheme, the objective indicators pre-filled from records, the self and street scores
/// with evidence, the scores they add up to, incidents since approval, the chain of actions, what the caller may do.
#[utoipa::path(get, path = "/api/v1/assessment/stars/{id}", tag = "assessment", params(("id" = i64, Path)),
    responses((status = 200, body = StarDetail), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn star(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<StarDetail>> {
    Ok(axum::Json(app.star_detail(&a, parse_id(&id, "star assessment")?).await?))
}

/// Enters reviewed indicators' scores: the community's self-assessment (evidence required) before declaring,
/// or the street's review of a declared one.
#[utoipa::path(put, path = "/api/v1/assessment/stars/{id}/scores", tag = "assessment", params(("id" = i64, Path)), request_body = ScoresInput,
    responses((status = 200, body = StarDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn put_scores(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<ScoresInput>,
) -> ApiResult<axum::Json<StarDetail>> {
    Ok(axum::Json(app.star_scores_put(&a, parse_id(&id, "star assessment")?, input).await?))
}

/// `declare` (community: self-score ≥ 90, before the deadline), `street_pass`/`street_return` (street),
/// `approve`/`district_return`/`flag`/`restore`/`withdraw` (district). 403 wrong step, 409 wrong state, 422 rule.
#[utoipa::path(post, path = "/api/v1/assessment/stars/{id}/actions", tag = "assessment", params(("id" = i64, Path)), request_body = StarActionInput,
    responses((status = 200, body = StarDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn act_star(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<StarActionInput>,
) -> ApiResult<axum::Json<StarDetail>> {
    Ok(axum::Json(app.star_act(&a, parse_id(&id, "star assessment")?, input).await?))
}

// ---- property-management companies (物业服务考评) ---------------------------------------------------------------

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RegionParams {
    /// Region code within the caller's scope (default: the caller's first region).
    pub region: Option<String>,
}

/// Property-management companies registered in the region or serving part of it.
#[utoipa::path(get, path = "/api/v1/assessment/property-companies", tag = "assessment", params(RegionParams),
    responses((status = 200, body = Vec<PropertyCompany>), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn property_companies(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<RegionParams>,
) -> ApiResult<axum::Json<Vec<PropertyCompany>>> {
    Ok(axum::Json(app.property_companies(&a, p.region.as_deref()).await?))
}

/// Registers a company (community or street staff): name, 统一社会信用代码 (GB 32100), contact, served areas.
#[utoipa::path(post, path = "/api/v1/assessment/property-companies", tag = "assessment", request_body = PropertyCompanyInput,
    responses((status = 201, body = PropertyCompany), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn create_property_company(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<PropertyCompanyInput>,
) -> ApiResult<(StatusCode, axum::Json<PropertyCompany>)> {
    Ok((StatusCode::CREATED, axum::Json(app.create_property_company(&a, input).await?)))
}

#[utoipa::path(get, path = "/api/v1/assessment/property-companies/{id}", tag = "assessment", params(("id" = i64, Path)),
    responses((status = 200, body = PropertyCompany), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn property_company(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<PropertyCompany>> {
    Ok(axum::Json(app.property_company(&a, parse_id(&id, "property company")?).await?))
}

/// Edits a company's registration (staff of the registering region); `version` guards concurrent edits.
#[utoipa::path(patch, path = "/api/v1/assessment/property-companies/{id}", tag = "assessment", params(("id" = i64, Path)), request_body = PropertyCompanyPatch,
    responses((status = 200, body = PropertyCompany), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn update_property_company(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<PropertyCompanyPatch>,
) -> ApiResult<axum::Json<PropertyCompany>> {
    Ok(axum::Json(app.update_property_company(&a, parse_id(&id, "property company")?, input).await?))
}

/// Enters the community's inspection scores for a period (each 0…points, with evidence).
#[utoipa::path(put, path = "/api/v1/assessment/property-companies/{id}/inspections", tag = "assessment", params(("id" = i64, Path)), request_body = InspectionInput,
    responses((status = 200, body = PropertyScore), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn put_property_inspections(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<InspectionInput>,
) -> ApiResult<axum::Json<PropertyScore>> {
    Ok(axum::Json(app.put_property_inspections(&a, parse_id(&id, "property company")?, input).await?))
}

/// Links polls' scale questions as the company's residents' satisfaction survey for a period (replaces the
/// period's links).
#[utoipa::path(put, path = "/api/v1/assessment/property-companies/{id}/surveys", tag = "assessment", params(("id" = i64, Path)), request_body = SurveysInput,
    responses((status = 200, body = PropertyScore), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn put_property_surveys(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<SurveysInput>,
) -> ApiResult<axum::Json<PropertyScore>> {
    Ok(axum::Json(app.put_property_surveys(&a, parse_id(&id, "property company")?, input).await?))
}

/// The region's companies ranked by score for a period (default this quarter), with the 以奖代补 award.
#[utoipa::path(get, path = "/api/v1/assessment/property", tag = "assessment", params(PeriodParams),
    responses((status = 200, body = Vec<PropertyScore>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn property_ranking(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<PeriodParams>,
) -> ApiResult<axum::Json<Vec<PropertyScore>>> {
    Ok(axum::Json(app.property_ranking(&a, p.region.as_deref(), p.period.as_deref()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AnyPeriodParams {
    /// `2026-11`, `2026-Q4` or `2026`; default this quarter.
    pub period: Option<String>,
}

/// One company's score with the records behind each number: the polls, the inspection entries, the events.
#[utoipa::path(get, path = "/api/v1/assessment/property/{id}", tag = "assessment", params(("id" = i64, Path), AnyPeriodParams),
    responses((status = 200, body = PropertyScore), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn property_score(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Query(p): Query<AnyPeriodParams>,
) -> ApiResult<axum::Json<PropertyScore>> {
    Ok(axum::Json(app.property_score(&a, parse_id(&id, "property company")?, p.period.as_deref()).await?))
}
