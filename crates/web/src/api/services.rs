//! Resident services (便民服务, issue #8; contract in docs/services.md): the catalogue, applications (办件) and
//! their workflow, materials uploads, in-app notifications, statistics, opening hours, slots and appointments, the
//! admission list (准入制) and the tasks pushed onto communities.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json, Query};
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use wangge_app::AppError;
use wangge_app::admission::{
    AdmissionItemInput, AdmissionItemPatch, AdmissionItemView, AdmissionReport, TaskActionInput, TaskInput, TaskQuery,
    TaskView,
};
use wangge_app::appointments::{AppointmentActionInput, AppointmentView, BookInput, HoursInput, HoursView, SlotDay};
use wangge_app::events::AttachmentView;
use wangge_app::paging::Page;
use wangge_app::service_catalogue::{ServiceCategory, ServiceCategoryInput, ServiceItem, ServiceItemInput};
use wangge_app::services::{
    ApplicationActionInput, ApplicationDetail, ApplicationInput, ApplicationQuery, ApplicationView, NotificationPage,
    ServiceStats,
};
use wangge_domain::role::{Permission, Role};

fn id_of(id: &str, what: &str) -> Result<i64, AppError> {
    id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| AppError::not_found(what))
}

fn page<T>(items: Vec<T>) -> Page<T> {
    let total = items.len() as i64;
    Page { items, next_cursor: None, total, total_is_lower_bound: false }
}

// ───────────── catalogue ─────────────

/// The catalogue's categories with how many items each holds (everyone signed in).
#[utoipa::path(get, path = "/api/v1/service-categories", tag = "services",
    responses((status = 200, body = Page<ServiceCategory>), (status = 401, body = super::ErrorBody)))]
pub async fn categories(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<axum::Json<Page<ServiceCategory>>> {
    Ok(axum::Json(page(app.service_categories(&a).await?)))
}

/// Adds or renames a category (administrators, district staff); `active: false` retires it.
#[utoipa::path(put, path = "/api/v1/service-categories/{code}", tag = "services", params(("code" = String, Path, description = "category code")),
    request_body = ServiceCategoryInput,
    responses((status = 200, body = ServiceCategory), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn put_category(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(code): Path<String>,
    Json(input): Json<ServiceCategoryInput>,
) -> ApiResult<axum::Json<ServiceCategory>> {
    Ok(axum::Json(app.put_service_category(&a, &code, input).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ItemParams {
    pub category: Option<String>,
    /// `true`: only items residents may apply for online.
    pub online: Option<bool>,
}

/// Items of the catalogue with their materials, eligibility, time limit and back office.
#[utoipa::path(get, path = "/api/v1/service-items", tag = "services", params(ItemParams),
    responses((status = 200, body = Page<ServiceItem>), (status = 400, body = super::ErrorBody)))]
pub async fn items(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<ItemParams>,
) -> ApiResult<axum::Json<Page<ServiceItem>>> {
    Ok(axum::Json(page(app.service_items(&a, p.category.as_deref(), p.online.unwrap_or(false)).await?)))
}

/// One item of the catalogue.
#[utoipa::path(get, path = "/api/v1/service-items/{code}", tag = "services", params(("code" = String, Path, description = "item code")),
    responses((status = 200, body = ServiceItem), (status = 404, body = super::ErrorBody)))]
pub async fn item(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(code): Path<String>,
) -> ApiResult<axum::Json<ServiceItem>> {
    Ok(axum::Json(app.service_item(&a, &code).await?))
}

/// Adds or changes an item (administrators, district staff); items are retired (`active: false`), never deleted.
#[utoipa::path(put, path = "/api/v1/service-items/{code}", tag = "services", params(("code" = String, Path, description = "item code")),
    request_body = ServiceItemInput,
    responses((status = 200, body = ServiceItem), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn put_item(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(code): Path<String>,
    Json(input): Json<ServiceItemInput>,
) -> ApiResult<axum::Json<ServiceItem>> {
    Ok(axum::Json(app.put_service_item(&a, &code, input).await?))
}

// ───────────── applications ─────────────

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    pub region: Option<String>,
    /// A status code, or `open`.
    pub status: Option<String>,
    pub item: Option<String>,
    /// `queue` (what the caller may work now, most urgent first), `mine` (accepted by the caller: 首问),
    /// `overdue`, `all` (default).
    pub view: Option<String>,
    /// 受理编号.
    pub tracking_no: Option<String>,
    /// Only this register person's applications.
    pub person: Option<i64>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Applications in the caller's reach (departments: their own items'); queues count up to 10,000.
#[utoipa::path(get, path = "/api/v1/applications", tag = "services", params(ListParams),
    responses((status = 200, body = Page<ApplicationView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<ListParams>,
) -> ApiResult<axum::Json<Page<ApplicationView>>> {
    let q = ApplicationQuery {
        region: p.region.as_deref(),
        status: p.status.as_deref(),
        item: p.item.as_deref(),
        view: p.view.as_deref(),
        tracking_no: p.tracking_no.as_deref(),
        person_id: p.person,
        cursor: p.cursor.as_deref(),
        limit: p.limit,
    };
    Ok(axum::Json(app.list_applications(&a, q).await?))
}

/// A new application. Staff accept at the window for `person_id` (every required material in `received`; the
/// caller becomes first-responsible, the deadline runs from now); a resident applies online for themselves with
/// `materials` uploaded through `POST /api/v1/service-uploads` (items with `online: true` only). 422 when
/// required materials are missing (the message lists them) or the item is not for online application; 409 when
/// the same person has the same item open.
#[utoipa::path(post, path = "/api/v1/applications", tag = "services", request_body = ApplicationInput,
    responses((status = 201, body = ApplicationDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody),
        (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<ApplicationInput>,
) -> ApiResult<(StatusCode, axum::Json<ApplicationDetail>)> {
    Ok((StatusCode::CREATED, axum::Json(app.create_application(&a, input).await?)))
}

/// One application with its materials (files), steps and the actions the caller may take now.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "services", params(("id" = i64, Path, description = "application id")),
    responses((status = 200, body = ApplicationDetail), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ApplicationDetail>> {
    Ok(axum::Json(app.application_detail(&a, id_of(&id, "application")?).await?))
}

/// Moves an application on: accept, refuse, handle, supplement, resubmit, approve, reject, finish, withdraw,
/// rate. 403 when the action is not the caller's (checked first), 409 in the wrong state or with a stale
/// `version`, 400 naming a missing field.
#[utoipa::path(post, path = "/api/v1/applications/{id}/actions", tag = "services", params(("id" = i64, Path, description = "application id")),
    request_body = ApplicationActionInput,
    responses((status = 200, body = ApplicationDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody),
        (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn act(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<ApplicationActionInput>,
) -> ApiResult<axum::Json<ApplicationDetail>> {
    Ok(axum::Json(app.act_on_application(&a, id_of(&id, "application")?, input).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MineParams {
    /// 受理编号: find one of one's own applications by its number.
    pub tracking_no: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The signed-in resident's own applications (at the window or online); 404 for accounts not tied to a person.
#[utoipa::path(get, path = "/api/v1/me/applications", tag = "services", params(MineParams),
    responses((status = 200, body = Page<ApplicationView>), (status = 400, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn mine(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<MineParams>,
) -> ApiResult<axum::Json<Page<ApplicationView>>> {
    Ok(axum::Json(app.my_applications(&a, p.tracking_no.as_deref(), p.cursor.as_deref(), p.limit).await?))
}

/// Uploads one material file (multipart field `file`: JPEG, PNG, WebP or PDF, at most 10 MB) for an application:
/// residents for their own, staff who accept applications. Name its id in `materials[].attachments`.
#[utoipa::path(post, path = "/api/v1/service-uploads", tag = "services",
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = AttachmentView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn upload(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    mut form: Multipart,
) -> ApiResult<(StatusCode, axum::Json<AttachmentView>)> {
    let resident = a.has_role(Role::Resident) && app.resident_person(&a).await?.is_some();
    if !resident {
        app.authorize_anywhere(&a, Permission::AcceptApplications)?;
    }
    let (name, bytes) = super::attachments::read_file(&mut form).await?;
    // A resident's photos are re-encoded, so no location or camera data is kept with their documents.
    let v = app.save_attachment(&wangge_app::attachments::uploader_key(&a), resident, &name, bytes).await?;
    Ok((StatusCode::CREATED, axum::Json(v)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsParams {
    pub region: Option<String>,
    /// `YYYY-MM-DD` (default 30 days before `to`).
    pub from: Option<String>,
    /// `YYYY-MM-DD` (default today).
    pub to: Option<String>,
}

/// Applications by item, status, department, window, hour and weekday; 按时办结率, satisfaction (counts only).
#[utoipa::path(get, path = "/api/v1/service-stats", tag = "services", params(StatsParams),
    responses((status = 200, body = ServiceStats), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn stats(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<StatsParams>,
) -> ApiResult<axum::Json<ServiceStats>> {
    Ok(axum::Json(app.service_stats(&a, p.region.as_deref(), p.from.as_deref(), p.to.as_deref()).await?))
}

// ───────────── notifications ─────────────

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NotificationParams {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The caller's in-app notifications (办件动态: every change to an application they are first-responsible for,
/// deadline warnings, escalations), newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "services", params(NotificationParams),
    responses((status = 200, body = NotificationPage), (status = 400, body = super::ErrorBody)))]
pub async fn notifications(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<NotificationParams>,
) -> ApiResult<axum::Json<NotificationPage>> {
    Ok(axum::Json(app.notifications(&a, p.cursor.as_deref(), p.limit).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadInput {
    /// Mark those up to this id read; all when absent.
    pub up_to: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReadOut {
    pub marked: u64,
}

/// Marks the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "services", request_body = ReadInput,
    responses((status = 200, body = ReadOut), (status = 400, body = super::ErrorBody)))]
pub async fn read(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<ReadInput>,
) -> ApiResult<axum::Json<ReadOut>> {
    Ok(axum::Json(ReadOut { marked: app.read_notifications(&a, input.up_to).await? }))
}

// ───────────── opening hours and appointments ─────────────

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StationParams {
    /// The station's community code (residents: their own, the default).
    pub community: Option<String>,
    /// `YYYY-MM-DD` (default today).
    pub date: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HoursParams {
    /// The station's community code (residents: their own, the default).
    pub community: Option<String>,
}

/// A station's opening hours: weekday periods, 错时 evenings, 周末延时; the default when it keeps none.
#[utoipa::path(get, path = "/api/v1/service-hours", tag = "services", params(HoursParams),
    responses((status = 200, body = HoursView), (status = 400, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn hours(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<HoursParams>,
) -> ApiResult<axum::Json<HoursView>> {
    Ok(axum::Json(app.service_hours(&a, p.community.as_deref()).await?))
}

/// Replaces a station's opening hours (community staff and above).
#[utoipa::path(put, path = "/api/v1/service-hours/{community}", tag = "services", params(("community" = String, Path, description = "community code")),
    request_body = HoursInput,
    responses((status = 200, body = HoursView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn put_hours(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(community): Path<String>,
    Json(input): Json<HoursInput>,
) -> ApiResult<axum::Json<HoursView>> {
    Ok(axum::Json(app.put_service_hours(&a, &community, input).await?))
}

/// The bookable slots of a station on a day, with the places left (closed on holidays).
#[utoipa::path(get, path = "/api/v1/service-slots", tag = "services", params(StationParams),
    responses((status = 200, body = SlotDay), (status = 400, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn slots(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<StationParams>,
) -> ApiResult<axum::Json<SlotDay>> {
    Ok(axum::Json(app.service_slots(&a, p.community.as_deref(), p.date.as_deref()).await?))
}

/// Appointments: a station's day for its staff, or the resident's own upcoming ones.
#[utoipa::path(get, path = "/api/v1/appointments", tag = "services", params(StationParams),
    responses((status = 200, body = Page<AppointmentView>), (status = 400, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn appointments(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<StationParams>,
) -> ApiResult<axum::Json<Page<AppointmentView>>> {
    Ok(axum::Json(app.list_appointments(&a, p.community.as_deref(), p.date.as_deref()).await?))
}

/// Books a slot (residents for themselves, staff for a person). 409 when it is full or already held.
#[utoipa::path(post, path = "/api/v1/appointments", tag = "services", request_body = BookInput,
    responses((status = 201, body = AppointmentView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody),
        (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn book(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<BookInput>,
) -> ApiResult<(StatusCode, axum::Json<AppointmentView>)> {
    Ok((StatusCode::CREATED, axum::Json(app.book_appointment(&a, input).await?)))
}

/// `cancel` (the resident or staff), `arrive` or `miss` (staff).
#[utoipa::path(post, path = "/api/v1/appointments/{id}/actions", tag = "services", params(("id" = i64, Path, description = "appointment id")),
    request_body = AppointmentActionInput,
    responses((status = 200, body = AppointmentView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody),
        (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn act_appointment(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<AppointmentActionInput>,
) -> ApiResult<axum::Json<AppointmentView>> {
    Ok(axum::Json(app.act_on_appointment(&a, id_of(&id, "appointment")?, input).await?))
}

// ───────────── admission list and tasks ─────────────

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AdmissionParams {
    pub department: Option<String>,
    /// Only the entries that cover this community.
    pub community: Option<String>,
}

/// The admission list (准入事项清单): what each department may push onto communities, with the approving
/// document, the day it takes effect and the funding that follows (费随事转).
#[utoipa::path(get, path = "/api/v1/admission-items", tag = "services", params(AdmissionParams),
    responses((status = 200, body = Page<AdmissionItemView>), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn admission_items(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<AdmissionParams>,
) -> ApiResult<axum::Json<Page<AdmissionItemView>>> {
    Ok(axum::Json(app.admission_items(&a, p.department.as_deref(), p.community.as_deref()).await?))
}

/// Adds an entry to the admission list (administrators, district staff).
#[utoipa::path(post, path = "/api/v1/admission-items", tag = "services", request_body = AdmissionItemInput,
    responses((status = 201, body = AdmissionItemView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn add_admission_item(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<AdmissionItemInput>,
) -> ApiResult<(StatusCode, axum::Json<AdmissionItemView>)> {
    Ok((StatusCode::CREATED, axum::Json(app.add_admission_item(&a, input).await?)))
}

/// Changes an entry, or withdraws it (`active: false`).
#[utoipa::path(patch, path = "/api/v1/admission-items/{id}", tag = "services", params(("id" = i64, Path, description = "entry id")),
    request_body = AdmissionItemPatch,
    responses((status = 200, body = AdmissionItemView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn patch_admission_item(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<AdmissionItemPatch>,
) -> ApiResult<axum::Json<AdmissionItemView>> {
    Ok(axum::Json(app.update_admission_item(&a, id_of(&id, "admission item")?, input).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TaskParams {
    pub community: Option<String>,
    pub department: Option<String>,
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Tasks pushed onto communities in the caller's scope (a department: its own), refused ones included.
#[utoipa::path(get, path = "/api/v1/community-tasks", tag = "services", params(TaskParams),
    responses((status = 200, body = Page<TaskView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn tasks(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<TaskParams>,
) -> ApiResult<axum::Json<Page<TaskView>>> {
    let q = TaskQuery {
        community: p.community.as_deref(),
        department: p.department.as_deref(),
        status: p.status.as_deref(),
        cursor: p.cursor.as_deref(),
        limit: p.limit,
    };
    Ok(axum::Json(app.community_tasks(&a, q).await?))
}

/// A department pushes a task onto communities. Every target is checked against the admission list
/// (`App::check_admission`); when the item is not admitted the answer is 422 naming it (`details.item_code`,
/// `details.reason`, `details.refused_task_ids`), nothing is pushed and the refusal is recorded.
#[utoipa::path(post, path = "/api/v1/community-tasks", tag = "services", request_body = TaskInput,
    responses((status = 201, body = Vec<TaskView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody),
        (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn push_task(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<TaskInput>,
) -> ApiResult<(StatusCode, axum::Json<Vec<TaskView>>)> {
    Ok((StatusCode::CREATED, axum::Json(app.push_community_task(&a, input).await?)))
}

/// The community accepts a task or reports it completed (`note`: what was done).
#[utoipa::path(post, path = "/api/v1/community-tasks/{id}/actions", tag = "services", params(("id" = i64, Path, description = "task id")),
    request_body = TaskActionInput,
    responses((status = 200, body = TaskView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody),
        (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn act_task(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<TaskActionInput>,
) -> ApiResult<axum::Json<TaskView>> {
    Ok(axum::Json(app.act_on_task(&a, id_of(&id, "task")?, input).await?))
}

/// Per department: entries on the list and their funding, tasks admitted, accepted, completed, overdue, refused.
#[utoipa::path(get, path = "/api/v1/admission-report", tag = "services", params(StatsParams),
    responses((status = 200, body = AdmissionReport), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn admission_report(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<StatsParams>,
) -> ApiResult<axum::Json<AdmissionReport>> {
    Ok(axum::Json(app.admission_report(&a, p.region.as_deref(), p.from.as_deref(), p.to.as_deref()).await?))
}
