//! The population and housing register: people, households, houses, buildings, special-group tags, and the
//! grid/community rules. Thin handlers: parse, call one `App` method with the caller, render.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json, Query};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use wangge_app::AppError;
use wangge_app::paging::Page;
use wangge_app::people::{
    BuildingView, HouseView, HouseholdView, MergeInput, NewPersonInput, PeopleQuery, PersonDetail, PersonEventInput,
    PersonUpdate, PersonView, RevealInput, Revealed, RulesView, TagInput,
};
use wangge_app::tags::TagKind;

/// A record id from the path; anything but a positive integer is a record that does not exist.
fn record_id(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| AppError::not_found("record"))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeopleParams {
    /// Region code within the caller's scope (default: all of it).
    pub region: Option<String>,
    /// Name, pinyin, initials or address; a full 身份证号 or phone finds that person exactly.
    pub q: Option<String>,
    /// Tag code or Chinese name (household-level tags match the household's members).
    pub tag: Option<String>,
    /// `all` also lists moved-out, deceased and merged people (default: present and away).
    pub status: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// People in the caller's scope, masked (`110101********1234`, `138****0000`).
#[utoipa::path(get, path = "/api/v1/people", tag = "register", params(PeopleParams),
    responses((status = 200, body = Page<PersonView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<PeopleParams>,
) -> ApiResult<axum::Json<Page<PersonView>>> {
    let q = PeopleQuery {
        region: p.region.as_deref(),
        q: p.q.as_deref(),
        tag: p.tag.as_deref(),
        status: p.status.as_deref(),
        limit: p.limit,
        cursor: p.cursor.as_deref(),
    };
    Ok(axum::Json(app.list_people(&a, q).await?))
}

/// Registers a person (登记, `event`: `birth` or `move_in`) in an existing or new household. 409 when the
/// 身份证号 is already registered.
#[utoipa::path(post, path = "/api/v1/people", tag = "register", request_body = NewPersonInput,
    responses((status = 201, body = PersonDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewPersonInput>,
) -> ApiResult<(StatusCode, axum::Json<PersonDetail>)> {
    Ok((StatusCode::CREATED, axum::Json(app.register_person(&a, input).await?)))
}

/// One person with household, house, history and tag data. 404 outside the caller's scope.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "register", params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = PersonDetail), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<PersonDetail>> {
    Ok(axum::Json(app.person_detail(&a, record_id(&id)?).await?))
}

/// Changes a person's phone, ethnicity, education, employment, political status, health or relation.
#[utoipa::path(patch, path = "/api/v1/people/{id}", tag = "register", params(("id" = i64, Path, description = "person id")), request_body = PersonUpdate,
    responses((status = 200, body = PersonDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn update(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(u): Json<PersonUpdate>,
) -> ApiResult<axum::Json<PersonDetail>> {
    Ok(axum::Json(app.update_person(&a, record_id(&id)?, u).await?))
}

/// The full 身份证号 and phone, with a reason (2–200 characters); written to the audit log as `reveal`.
#[utoipa::path(post, path = "/api/v1/people/{id}/reveal", tag = "register", params(("id" = i64, Path, description = "person id")), request_body = RevealInput,
    responses((status = 200, body = Revealed), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn reveal(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(r): Json<RevealInput>,
) -> ApiResult<axum::Json<Revealed>> {
    Ok(axum::Json(app.reveal_person(&a, record_id(&id)?, r).await?))
}

/// Records `move_out`, `death`, `move_in` (optionally into `house_code`), `away` or `return`. People are never deleted.
#[utoipa::path(post, path = "/api/v1/people/{id}/events", tag = "register", params(("id" = i64, Path, description = "person id")), request_body = PersonEventInput,
    responses((status = 200, body = PersonDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn event(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(e): Json<PersonEventInput>,
) -> ApiResult<axum::Json<PersonDetail>> {
    Ok(axum::Json(app.person_event(&a, record_id(&id)?, e).await?))
}

/// Sets a special-group tag with its data (keys from the kind's `fields`). Derived tags (老年人) → 422.
#[utoipa::path(put, path = "/api/v1/people/{id}/tags/{code}", tag = "register",
    params(("id" = i64, Path, description = "person id"), ("code" = String, Path, description = "tag kind code")), request_body = TagInput,
    responses((status = 200, body = PersonDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn put_tag(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path((id, code)): Path<(String, String)>,
    Json(t): Json<TagInput>,
) -> ApiResult<axum::Json<PersonDetail>> {
    Ok(axum::Json(app.set_person_tag(&a, record_id(&id)?, &code, t).await?))
}

/// Removes a special-group tag.
#[utoipa::path(delete, path = "/api/v1/people/{id}/tags/{code}", tag = "register",
    params(("id" = i64, Path, description = "person id"), ("code" = String, Path, description = "tag kind code")),
    responses((status = 200, body = PersonDetail), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn delete_tag(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path((id, code)): Path<(String, String)>,
) -> ApiResult<axum::Json<PersonDetail>> {
    Ok(axum::Json(app.remove_person_tag(&a, record_id(&id)?, &code).await?))
}

/// Merges a duplicate record into this person: the duplicate leaves the lists, its history and tags join this one.
#[utoipa::path(post, path = "/api/v1/people/{id}/merge", tag = "register", params(("id" = i64, Path, description = "person id")), request_body = MergeInput,
    responses((status = 200, body = PersonDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn merge(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(m): Json<MergeInput>,
) -> ApiResult<axum::Json<PersonDetail>> {
    Ok(axum::Json(app.merge_person(&a, record_id(&id)?, m).await?))
}

/// A household (户) with its house and members, masked.
#[utoipa::path(get, path = "/api/v1/households/{id}", tag = "register", params(("id" = i64, Path, description = "household id")),
    responses((status = 200, body = HouseholdView), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn household(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<HouseholdView>> {
    Ok(axum::Json(app.household_view(&a, record_id(&id)?).await?))
}

/// A house (房屋) with its households and number of occupants.
#[utoipa::path(get, path = "/api/v1/houses/{id}", tag = "register", params(("id" = i64, Path, description = "house id")),
    responses((status = 200, body = HouseView), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn house(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<HouseView>> {
    Ok(axum::Json(app.house_view(&a, record_id(&id)?).await?))
}

/// A building (楼栋) with its houses and occupants per house.
#[utoipa::path(get, path = "/api/v1/buildings/{id}", tag = "register", params(("id" = i64, Path, description = "building id")),
    responses((status = 200, body = BuildingView), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn building(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<BuildingView>> {
    Ok(axum::Json(app.building_view(&a, record_id(&id)?).await?))
}

/// Grids and communities of the subtree against the rules: 300–500 households per grid, community staff 4 up
/// to 1,000 households plus 1 per further 250 (all configurable).
#[utoipa::path(get, path = "/api/v1/regions/{code}/rules", tag = "regions", params(("code" = String, Path, description = "region code")),
    responses((status = 200, body = RulesView), (status = 404, body = super::ErrorBody)))]
pub async fn rules(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(code): Path<String>,
) -> ApiResult<axum::Json<RulesView>> {
    Ok(axum::Json(app.region_rules(&a, &code).await?))
}

/// The special-group tag kinds the caller may see (sensitive kinds only for roles that read them).
#[utoipa::path(get, path = "/api/v1/tag-kinds", tag = "reference",
    responses((status = 200, body = Page<TagKind>), (status = 403, body = super::ErrorBody)))]
pub async fn tag_kinds(State(app): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<axum::Json<Page<TagKind>>> {
    Ok(axum::Json(app.list_tag_kinds(&a).await?))
}

/// Adds or changes a special-group tag kind: name, level, sensitivity, the fields it records and its visiting
/// rule. Admins only.
#[utoipa::path(put, path = "/api/v1/tag-kinds/{code}", tag = "reference", params(("code" = String, Path)),
    request_body = wangge_app::tags::TagKindInput,
    responses((status = 200, body = TagKind), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn put_tag_kind(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(code): Path<String>,
    crate::extract::Json(input): crate::extract::Json<wangge_app::tags::TagKindInput>,
) -> ApiResult<axum::Json<TagKind>> {
    Ok(axum::Json(app.put_tag_kind(&a, &code, input).await?))
}
