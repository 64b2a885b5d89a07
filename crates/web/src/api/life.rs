//! Community life (社区共建, issue #9): meetings and resolutions, volunteers and the time bank, co-building units and
//! 共建日, social organizations' incubation, party building; and the public, login-free reads the portal shows
//! under `/api/v1/public/{code}/…`. Thin handlers: parse, call one `App` method with the caller, render.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json, Query};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use wangge_app::AppError;
use wangge_app::life::co_building::{
    CommitmentInput, CommitmentProgressInput, DayView, NewDayInput, NewUnitInput, ServiceInput, SocialOrgDetail,
    SocialOrgView, StageInput, UnitDetail, UnitView,
};
use wangge_app::life::meetings::{
    CancelInput, MeetingDetail, MeetingQuery, MeetingView, MinutesInput, NewMeetingInput, ParticipantInput,
    ProgressInput, PublishInput, ResolutionInput, SignInInput,
};
use wangge_app::life::party::{
    MemberDetail, MemberQuery, MemberView, NewMemberInput, NewPartyActivityInput, NewPartyOrgInput,
    PartyActivityDetail, PartyActivityView, PartyOrgDetail, PartyOrgView, PartySignInInput, ServiceRecordInput,
    ServiceSummary,
};
use wangge_app::life::public::{PublicActivities, PublicCoBuilding, PublicMeetings, PublicParty};
use wangge_app::life::volunteers::{
    ActivityDetail, ActivityQuery, ActivityView, AwardInput, NewActivityInput, NewVolunteerInput,
    NewVolunteerTeamInput, RedeemInput, SignupActionInput, SignupInput, VolunteerDetail, VolunteerQuery,
    VolunteerTeamView, VolunteerView,
};
use wangge_app::paging::Page;

type Created<T> = ApiResult<(StatusCode, axum::Json<T>)>;
type Ok<T> = ApiResult<axum::Json<T>>;

/// A record id from the path: anything but a positive integer is "not found".
fn id_of(s: &str, what: &str) -> Result<i64, AppError> {
    s.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| AppError::not_found(what))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RegionParams {
    /// A region code within the caller's scope (default: all of it).
    pub region: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

// ───────────────────────────── meetings ─────────────────────────────

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MeetingParams {
    pub region: Option<String>,
    /// `consultation` | `hearing` | `council` | `coordination`.
    pub kind: Option<String>,
    /// `scheduled` | `held` | `cancelled`.
    pub status: Option<String>,
    /// `overdue`: meetings with a resolution past its due day.
    pub view: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Meetings (民情恳谈会, 听证会, 居民议事会, 民主协调会) in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/meetings", tag = "community life", params(MeetingParams),
    responses((status = 200, body = Page<MeetingView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn meetings(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<MeetingParams>,
) -> Ok<Page<MeetingView>> {
    let q = MeetingQuery {
        region: p.region.as_deref(),
        kind: p.kind.as_deref(),
        status: p.status.as_deref(),
        view: p.view.as_deref(),
        cursor: p.cursor.as_deref(),
        limit: p.limit,
    };
    Ok(axum::Json(app.list_meetings(&a, q).await?))
}

/// Schedules a meeting with its agenda and invited participants (community staff and above).
#[utoipa::path(post, path = "/api/v1/meetings", tag = "community life", request_body = NewMeetingInput,
    responses((status = 201, body = MeetingDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn schedule_meeting(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewMeetingInput>,
) -> Created<MeetingDetail> {
    Ok((StatusCode::CREATED, axum::Json(app.schedule_meeting(&a, input).await?)))
}

/// A meeting with its participants (who signed in), minutes, attachments, resolutions and their progress.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "community life", params(("id" = i64, Path, description = "meeting id")),
    responses((status = 200, body = MeetingDetail), (status = 404, body = super::ErrorBody)))]
pub async fn meeting(State(app): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<String>) -> Ok<MeetingDetail> {
    Ok(axum::Json(app.meeting_detail(&a, id_of(&id, "meeting")?).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantsInput {
    pub participants: Vec<ParticipantInput>,
    /// Walk-ins: signed in at once (default false: invited).
    #[serde(default)]
    pub present: bool,
}

/// Adds participants to a scheduled or held meeting.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/participants", tag = "community life", params(("id" = i64, Path, description = "meeting id")),
    request_body = ParticipantsInput,
    responses((status = 200, body = MeetingDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn add_participants(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<ParticipantsInput>,
) -> Ok<MeetingDetail> {
    Ok(axum::Json(app.add_meeting_participants(&a, id_of(&id, "meeting")?, input.participants, input.present).await?))
}

/// Signs participants in (签到).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/sign-in", tag = "community life", params(("id" = i64, Path, description = "meeting id")),
    request_body = SignInInput,
    responses((status = 200, body = MeetingDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn sign_in(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<SignInInput>,
) -> Ok<MeetingDetail> {
    Ok(axum::Json(app.sign_in_meeting(&a, id_of(&id, "meeting")?, input).await?))
}

/// Records the minutes (with attachments); the meeting is then held.
#[utoipa::path(put, path = "/api/v1/meetings/{id}/minutes", tag = "community life", params(("id" = i64, Path, description = "meeting id")),
    request_body = MinutesInput,
    responses((status = 200, body = MeetingDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn minutes(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<MinutesInput>,
) -> Ok<MeetingDetail> {
    Ok(axum::Json(app.record_minutes(&a, id_of(&id, "meeting")?, input).await?))
}

/// Adds a resolution (决议事项) with its owner and due day to a held meeting.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/resolutions", tag = "community life", params(("id" = i64, Path, description = "meeting id")),
    request_body = ResolutionInput,
    responses((status = 200, body = MeetingDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn add_resolution(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<ResolutionInput>,
) -> Ok<MeetingDetail> {
    Ok(axum::Json(app.add_resolution(&a, id_of(&id, "meeting")?, input).await?))
}

/// Reports progress on a resolution: a note, or `in_progress`, `done`, `dropped`.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/resolutions/{rid}/progress", tag = "community life",
    params(("id" = i64, Path, description = "meeting id"), ("rid" = i64, Path, description = "resolution id")),
    request_body = ProgressInput,
    responses((status = 200, body = MeetingDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn resolution_progress(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path((id, rid)): Path<(String, String)>,
    Json(input): Json<ProgressInput>,
) -> Ok<MeetingDetail> {
    let (id, rid) = (id_of(&id, "meeting")?, id_of(&rid, "resolution")?);
    Ok(axum::Json(app.report_resolution_progress(&a, id, rid, input).await?))
}

/// Publishes a held meeting's resolutions and progress on the public portal (`published: false` withdraws it).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/publish", tag = "community life", params(("id" = i64, Path, description = "meeting id")),
    request_body = PublishInput,
    responses((status = 200, body = MeetingDetail), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn publish(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<PublishInput>,
) -> Ok<MeetingDetail> {
    Ok(axum::Json(app.publish_meeting(&a, id_of(&id, "meeting")?, input).await?))
}

/// Cancels a scheduled meeting (a reason is required).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/cancel", tag = "community life", params(("id" = i64, Path, description = "meeting id")),
    request_body = CancelInput,
    responses((status = 200, body = MeetingDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn cancel(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<CancelInput>,
) -> Ok<MeetingDetail> {
    Ok(axum::Json(app.cancel_meeting(&a, id_of(&id, "meeting")?, input).await?))
}

// ───────────────────────────── volunteers ─────────────────────────────

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VolunteerParams {
    pub region: Option<String>,
    /// Part of the name.
    pub q: Option<String>,
    pub skill: Option<String>,
    /// A team id.
    pub team: Option<i64>,
    /// Only volunteers whose hours reach this star level.
    pub star: Option<i64>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Volunteers in the caller's scope with their hours, time-bank balance and star level.
#[utoipa::path(get, path = "/api/v1/volunteers", tag = "community life", params(VolunteerParams),
    responses((status = 200, body = Page<VolunteerView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn volunteers(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<VolunteerParams>,
) -> Ok<Page<VolunteerView>> {
    let q = VolunteerQuery {
        region: p.region.as_deref(),
        q: p.q.as_deref(),
        skill: p.skill.as_deref(),
        team: p.team,
        star: p.star,
        cursor: p.cursor.as_deref(),
        limit: p.limit,
    };
    Ok(axum::Json(app.list_volunteers(&a, q).await?))
}

/// Registers a volunteer: a person of the register or a staff user.
#[utoipa::path(post, path = "/api/v1/volunteers", tag = "community life", request_body = NewVolunteerInput,
    responses((status = 201, body = VolunteerDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn register_volunteer(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewVolunteerInput>,
) -> Created<VolunteerDetail> {
    Ok((StatusCode::CREATED, axum::Json(app.register_volunteer(&a, input).await?)))
}

/// A volunteer with teams, services, the whole time bank (append-only) and honours.
#[utoipa::path(get, path = "/api/v1/volunteers/{id}", tag = "community life", params(("id" = i64, Path, description = "volunteer id")),
    responses((status = 200, body = VolunteerDetail), (status = 404, body = super::ErrorBody)))]
pub async fn volunteer(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Ok<VolunteerDetail> {
    Ok(axum::Json(app.volunteer_detail(&a, id_of(&id, "volunteer")?).await?))
}

/// Redeems time-bank hours for a service; 422 when the balance is short.
#[utoipa::path(post, path = "/api/v1/volunteers/{id}/redeem", tag = "community life", params(("id" = i64, Path, description = "volunteer id")),
    request_body = RedeemInput,
    responses((status = 200, body = VolunteerDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn redeem(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<RedeemInput>,
) -> Ok<VolunteerDetail> {
    Ok(axum::Json(app.redeem_hours(&a, id_of(&id, "volunteer")?, input).await?))
}

/// Records a 星级志愿者 award the cumulative hours reach.
#[utoipa::path(post, path = "/api/v1/volunteers/{id}/honours", tag = "community life", params(("id" = i64, Path, description = "volunteer id")),
    request_body = AwardInput,
    responses((status = 200, body = VolunteerDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn award(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<AwardInput>,
) -> Ok<VolunteerDetail> {
    Ok(axum::Json(app.award_volunteer(&a, id_of(&id, "volunteer")?, input).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TeamParams {
    pub region: Option<String>,
}

/// Volunteer teams with their members.
#[utoipa::path(get, path = "/api/v1/volunteer-teams", tag = "community life", params(TeamParams),
    responses((status = 200, body = Page<VolunteerTeamView>), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn teams(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<TeamParams>,
) -> Ok<Page<VolunteerTeamView>> {
    Ok(axum::Json(app.list_volunteer_teams(&a, p.region.as_deref()).await?))
}

/// Forms a team of the community's volunteers.
#[utoipa::path(post, path = "/api/v1/volunteer-teams", tag = "community life", request_body = NewVolunteerTeamInput,
    responses((status = 201, body = VolunteerTeamView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn add_team(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewVolunteerTeamInput>,
) -> Created<VolunteerTeamView> {
    Ok((StatusCode::CREATED, axum::Json(app.add_volunteer_team(&a, input).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ActivityParams {
    pub region: Option<String>,
    /// `upcoming` (default) | `all`.
    pub view: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Volunteer activities: upcoming soonest first (default) or all newest first, with places left.
#[utoipa::path(get, path = "/api/v1/volunteer-activities", tag = "community life", params(ActivityParams),
    responses((status = 200, body = Page<ActivityView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn activities(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<ActivityParams>,
) -> Ok<Page<ActivityView>> {
    let q = ActivityQuery {
        region: p.region.as_deref(),
        view: p.view.as_deref(),
        cursor: p.cursor.as_deref(),
        limit: p.limit,
    };
    Ok(axum::Json(app.list_activities(&a, q).await?))
}

/// Announces a volunteer activity.
#[utoipa::path(post, path = "/api/v1/volunteer-activities", tag = "community life", request_body = NewActivityInput,
    responses((status = 201, body = ActivityDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn add_activity(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewActivityInput>,
) -> Created<ActivityDetail> {
    Ok((StatusCode::CREATED, axum::Json(app.add_activity(&a, input).await?)))
}

/// An activity with its sign-ups.
#[utoipa::path(get, path = "/api/v1/volunteer-activities/{id}", tag = "community life", params(("id" = i64, Path, description = "activity id")),
    responses((status = 200, body = ActivityDetail), (status = 404, body = super::ErrorBody)))]
pub async fn activity(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Ok<ActivityDetail> {
    Ok(axum::Json(app.activity_detail(&a, id_of(&id, "activity")?).await?))
}

/// Signs a volunteer up (the organiser, or a staff user signing themselves up); 409 when full.
#[utoipa::path(post, path = "/api/v1/volunteer-activities/{id}/signups", tag = "community life", params(("id" = i64, Path, description = "activity id")),
    request_body = SignupInput,
    responses((status = 200, body = ActivityDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn sign_up(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<SignupInput>,
) -> Ok<ActivityDetail> {
    Ok(axum::Json(app.sign_up_volunteer(&a, id_of(&id, "activity")?, input).await?))
}

async fn signup_step(
    app: AppState,
    a: wangge_domain::scope::Actor,
    id: &str,
    sid: &str,
    step: &str,
    input: SignupActionInput,
) -> Ok<ActivityDetail> {
    let (id, sid) = (id_of(id, "activity")?, id_of(sid, "sign-up")?);
    Ok(axum::Json(app.act_on_signup(&a, id, sid, step, input).await?))
}

/// Checks a signed-up volunteer in (the organiser).
#[utoipa::path(post, path = "/api/v1/volunteer-activities/{id}/signups/{sid}/check-in", tag = "community life",
    params(("id" = i64, Path, description = "activity id"), ("sid" = i64, Path, description = "sign-up id")),
    request_body = SignupActionInput,
    responses((status = 200, body = ActivityDetail), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn check_in(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path((id, sid)): Path<(String, String)>,
    Json(input): Json<SignupActionInput>,
) -> Ok<ActivityDetail> {
    signup_step(app, a, &id, &sid, "check_in", input).await
}

/// Checks a volunteer out: the hours (given, or since check-in) are credited into the time bank.
#[utoipa::path(post, path = "/api/v1/volunteer-activities/{id}/signups/{sid}/check-out", tag = "community life",
    params(("id" = i64, Path, description = "activity id"), ("sid" = i64, Path, description = "sign-up id")),
    request_body = SignupActionInput,
    responses((status = 200, body = ActivityDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn check_out(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path((id, sid)): Path<(String, String)>,
    Json(input): Json<SignupActionInput>,
) -> Ok<ActivityDetail> {
    signup_step(app, a, &id, &sid, "check_out", input).await
}

/// Cancels a sign-up before check-in.
#[utoipa::path(post, path = "/api/v1/volunteer-activities/{id}/signups/{sid}/cancel", tag = "community life",
    params(("id" = i64, Path, description = "activity id"), ("sid" = i64, Path, description = "sign-up id")),
    request_body = SignupActionInput,
    responses((status = 200, body = ActivityDetail), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn cancel_signup(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path((id, sid)): Path<(String, String)>,
    Json(input): Json<SignupActionInput>,
) -> Ok<ActivityDetail> {
    signup_step(app, a, &id, &sid, "cancel", input).await
}

// ───────────────────────────── co-building and social organizations ─────────────────────────────

/// Co-building units (共建单位) with this year's commitments' completion.
#[utoipa::path(get, path = "/api/v1/co-building-units", tag = "community life", params(RegionParams),
    responses((status = 200, body = Page<UnitView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn units(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<RegionParams>,
) -> Ok<Page<UnitView>> {
    Ok(axum::Json(app.list_units(&a, p.region.as_deref(), p.limit, p.cursor.as_deref()).await?))
}

/// Pairs a unit with a community (contact phone encrypted, shown masked).
#[utoipa::path(post, path = "/api/v1/co-building-units", tag = "community life", request_body = NewUnitInput,
    responses((status = 201, body = UnitDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn add_unit(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewUnitInput>,
) -> Created<UnitDetail> {
    Ok((StatusCode::CREATED, axum::Json(app.add_unit(&a, input).await?)))
}

/// A unit with every year's commitments, progress with evidence, and the 共建日 it took part in.
#[utoipa::path(get, path = "/api/v1/co-building-units/{id}", tag = "community life", params(("id" = i64, Path, description = "unit id")),
    responses((status = 200, body = UnitDetail), (status = 404, body = super::ErrorBody)))]
pub async fn unit(State(app): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<String>) -> Ok<UnitDetail> {
    Ok(axum::Json(app.unit_detail(&a, id_of(&id, "co-building unit")?).await?))
}

/// Adds a commitment of the unit's yearly 共建责任书.
#[utoipa::path(post, path = "/api/v1/co-building-units/{id}/commitments", tag = "community life", params(("id" = i64, Path, description = "unit id")),
    request_body = CommitmentInput,
    responses((status = 200, body = UnitDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn add_commitment(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<CommitmentInput>,
) -> Ok<UnitDetail> {
    Ok(axum::Json(app.add_commitment(&a, id_of(&id, "co-building unit")?, input).await?))
}

/// Records what was delivered on a commitment, with evidence attachments.
#[utoipa::path(post, path = "/api/v1/co-building-commitments/{id}/progress", tag = "community life", params(("id" = i64, Path, description = "commitment id")),
    request_body = CommitmentProgressInput,
    responses((status = 200, body = UnitDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn commitment_progress(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<CommitmentProgressInput>,
) -> Ok<UnitDetail> {
    Ok(axum::Json(app.add_commitment_progress(&a, id_of(&id, "commitment")?, input).await?))
}

/// 社区共建日 events, newest first.
#[utoipa::path(get, path = "/api/v1/co-building-days", tag = "community life", params(RegionParams),
    responses((status = 200, body = Page<DayView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn days(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<RegionParams>,
) -> Ok<Page<DayView>> {
    Ok(axum::Json(app.list_co_building_days(&a, p.region.as_deref(), p.limit, p.cursor.as_deref()).await?))
}

/// Records a 共建日: theme, what was done, problems solved, units taking part.
#[utoipa::path(post, path = "/api/v1/co-building-days", tag = "community life", request_body = NewDayInput,
    responses((status = 201, body = DayView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn add_day(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewDayInput>,
) -> Created<DayView> {
    Ok((StatusCode::CREATED, axum::Json(app.add_co_building_day(&a, input).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SocialOrgParams {
    pub region: Option<String>,
    /// `incubating` | `nurturing` | `mature`.
    pub stage: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The register's social organizations with their incubation stage and services.
#[utoipa::path(get, path = "/api/v1/social-organizations", tag = "community life", params(SocialOrgParams),
    responses((status = 200, body = Page<SocialOrgView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn social_orgs(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<SocialOrgParams>,
) -> Ok<Page<SocialOrgView>> {
    Ok(axum::Json(
        app.list_social_orgs(&a, p.region.as_deref(), p.stage.as_deref(), p.limit, p.cursor.as_deref()).await?,
    ))
}

/// A social organization with its stage history and services.
#[utoipa::path(get, path = "/api/v1/social-organizations/{id}", tag = "community life", params(("id" = i64, Path, description = "organization id")),
    responses((status = 200, body = SocialOrgDetail), (status = 404, body = super::ErrorBody)))]
pub async fn social_org(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Ok<SocialOrgDetail> {
    Ok(axum::Json(app.social_org_detail(&a, id_of(&id, "social organization")?).await?))
}

/// Takes a social organization into incubation or moves it to another stage (孵化/培育/成熟).
#[utoipa::path(put, path = "/api/v1/social-organizations/{id}/stage", tag = "community life", params(("id" = i64, Path, description = "organization id")),
    request_body = StageInput,
    responses((status = 200, body = SocialOrgDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn set_stage(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<StageInput>,
) -> Ok<SocialOrgDetail> {
    Ok(axum::Json(app.set_social_org_stage(&a, id_of(&id, "social organization")?, input).await?))
}

/// Adds a service the organization offers.
#[utoipa::path(post, path = "/api/v1/social-organizations/{id}/services", tag = "community life", params(("id" = i64, Path, description = "organization id")),
    request_body = ServiceInput,
    responses((status = 200, body = SocialOrgDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn add_service(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<ServiceInput>,
) -> Ok<SocialOrgDetail> {
    Ok(axum::Json(app.add_social_org_service(&a, id_of(&id, "social organization")?, input).await?))
}

// ───────────────────────────── party building ─────────────────────────────

/// Party organizations (党委/党总支/党支部) in the caller's scope, with member counts.
#[utoipa::path(get, path = "/api/v1/party-organizations", tag = "community life", params(TeamParams),
    responses((status = 200, body = Page<PartyOrgView>), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn party_orgs(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<TeamParams>,
) -> Ok<Page<PartyOrgView>> {
    Ok(axum::Json(app.list_party_orgs(&a, p.region.as_deref()).await?))
}

/// Sets up a party organization on a street or community.
#[utoipa::path(post, path = "/api/v1/party-organizations", tag = "community life", request_body = NewPartyOrgInput,
    responses((status = 201, body = PartyOrgDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn add_party_org(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewPartyOrgInput>,
) -> Created<PartyOrgDetail> {
    Ok((StatusCode::CREATED, axum::Json(app.add_party_org(&a, input).await?)))
}

/// An organization with its branches, this year's activities and 三会一课 count; members only with the party-affairs
/// permission.
#[utoipa::path(get, path = "/api/v1/party-organizations/{id}", tag = "community life", params(("id" = i64, Path, description = "organization id")),
    responses((status = 200, body = PartyOrgDetail), (status = 404, body = super::ErrorBody)))]
pub async fn party_org(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Ok<PartyOrgDetail> {
    Ok(axum::Json(app.party_org_detail(&a, id_of(&id, "party organization")?).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MemberParams {
    pub region: Option<String>,
    /// A party organization id.
    pub org: Option<i64>,
    /// `regular` | `floating` | `in_service`.
    pub kind: Option<String>,
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Party members (sensitive: `ReadPartyMembers` only).
#[utoipa::path(get, path = "/api/v1/party-members", tag = "community life", params(MemberParams),
    responses((status = 200, body = Page<MemberView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn members(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<MemberParams>,
) -> Ok<Page<MemberView>> {
    let q = MemberQuery {
        region: p.region.as_deref(),
        org: p.org,
        kind: p.kind.as_deref(),
        q: p.q.as_deref(),
        cursor: p.cursor.as_deref(),
        limit: p.limit,
    };
    Ok(axum::Json(app.list_party_members(&a, q).await?))
}

/// Registers a party member (a register person): 本支部党员, 流动党员 or 在职党员 (双报到).
#[utoipa::path(post, path = "/api/v1/party-members", tag = "community life", request_body = NewMemberInput,
    responses((status = 201, body = MemberDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn add_member(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewMemberInput>,
) -> Created<MemberDetail> {
    Ok((StatusCode::CREATED, axum::Json(app.add_party_member(&a, input).await?)))
}

/// A member with their service records and this year's total against the yearly minimum.
#[utoipa::path(get, path = "/api/v1/party-members/{id}", tag = "community life", params(("id" = i64, Path, description = "member id")),
    responses((status = 200, body = MemberDetail), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn member(State(app): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<String>) -> Ok<MemberDetail> {
    Ok(axum::Json(app.party_member_detail(&a, id_of(&id, "party member")?).await?))
}

/// Records a member's service to the community.
#[utoipa::path(post, path = "/api/v1/party-members/{id}/service-records", tag = "community life", params(("id" = i64, Path, description = "member id")),
    request_body = ServiceRecordInput,
    responses((status = 200, body = MemberDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn add_service_record(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<ServiceRecordInput>,
) -> Ok<MemberDetail> {
    Ok(axum::Json(app.add_service_record(&a, id_of(&id, "party member")?, input).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ServiceParams {
    pub region: Option<String>,
    /// Default: this year.
    pub year: Option<i64>,
}

/// In-service members' (在职党员) service in a year; those below the configured minimum first.
#[utoipa::path(get, path = "/api/v1/party-service", tag = "community life", params(ServiceParams),
    responses((status = 200, body = ServiceSummary), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn service_summary(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<ServiceParams>,
) -> Ok<ServiceSummary> {
    Ok(axum::Json(app.party_service_summary(&a, p.region.as_deref(), p.year).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PartyActivityParams {
    pub region: Option<String>,
    /// A party organization id.
    pub org: Option<i64>,
    pub limit: Option<i64>,
}

/// 三会一课 and 主题党日 of the organizations in the caller's scope, newest first (attendance as counts).
#[utoipa::path(get, path = "/api/v1/party-activities", tag = "community life", params(PartyActivityParams),
    responses((status = 200, body = Page<PartyActivityView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn party_activities(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<PartyActivityParams>,
) -> Ok<Page<PartyActivityView>> {
    Ok(axum::Json(app.list_party_activities(&a, p.region.as_deref(), p.org, p.limit).await?))
}

/// Records a party activity.
#[utoipa::path(post, path = "/api/v1/party-activities", tag = "community life", request_body = NewPartyActivityInput,
    responses((status = 201, body = PartyActivityDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn add_party_activity(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewPartyActivityInput>,
) -> Created<PartyActivityDetail> {
    Ok((StatusCode::CREATED, axum::Json(app.add_party_activity(&a, input).await?)))
}

/// A party activity; who signed in only with the party-affairs permission.
#[utoipa::path(get, path = "/api/v1/party-activities/{id}", tag = "community life", params(("id" = i64, Path, description = "activity id")),
    responses((status = 200, body = PartyActivityDetail), (status = 404, body = super::ErrorBody)))]
pub async fn party_activity(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Ok<PartyActivityDetail> {
    Ok(axum::Json(app.party_activity_detail(&a, id_of(&id, "party activity")?).await?))
}

/// Signs members in at a party activity.
#[utoipa::path(post, path = "/api/v1/party-activities/{id}/sign-in", tag = "community life", params(("id" = i64, Path, description = "activity id")),
    request_body = PartySignInInput,
    responses((status = 200, body = PartyActivityDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn party_sign_in(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<PartySignInInput>,
) -> Ok<PartyActivityDetail> {
    Ok(axum::Json(app.sign_in_party_activity(&a, id_of(&id, "party activity")?, input).await?))
}

// ───────────────────────────── public (no login) ─────────────────────────────

/// A community's published meetings with their resolutions and progress (no login; 404 for a code that is not a
/// community). Never participants, minutes or staff names.
#[utoipa::path(get, path = "/api/v1/public/{code}/meetings", tag = "public", params(("code" = String, Path, description = "community code")),
    security(()), responses((status = 200, body = PublicMeetings), (status = 404, body = super::ErrorBody)))]
pub async fn public_meetings(State(app): State<AppState>, Path(code): Path<String>) -> Ok<PublicMeetings> {
    Ok(axum::Json(app.public_meetings(&code).await?))
}

/// A community's upcoming public volunteer activities with places left (no login).
#[utoipa::path(get, path = "/api/v1/public/{code}/volunteer-activities", tag = "public", params(("code" = String, Path, description = "community code")),
    security(()), responses((status = 200, body = PublicActivities), (status = 404, body = super::ErrorBody)))]
pub async fn public_activities(State(app): State<AppState>, Path(code): Path<String>) -> Ok<PublicActivities> {
    Ok(axum::Json(app.public_activities(&code).await?))
}

/// A community's co-building units with this year's commitments and completion, and its 共建日 (no login).
#[utoipa::path(get, path = "/api/v1/public/{code}/co-building", tag = "public", params(("code" = String, Path, description = "community code")),
    security(()), responses((status = 200, body = PublicCoBuilding), (status = 404, body = super::ErrorBody)))]
pub async fn public_co_building(State(app): State<AppState>, Path(code): Path<String>) -> Ok<PublicCoBuilding> {
    Ok(axum::Json(app.public_co_building(&code).await?))
}

/// A community's party organizations (member counts only) and public activities (no login).
#[utoipa::path(get, path = "/api/v1/public/{code}/party", tag = "public", params(("code" = String, Path, description = "community code")),
    security(()), responses((status = 200, body = PublicParty), (status = 404, body = super::ErrorBody)))]
pub async fn public_party(State(app): State<AppState>, Path(code): Path<String>) -> Ok<PublicParty> {
    Ok(axum::Json(app.public_party(&code).await?))
}
