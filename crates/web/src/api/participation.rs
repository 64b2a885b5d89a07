//! Participation and transparency (居务公开与民意): notices, the co-building fund ledger, polls with resident and
//! paper ballots, the happiness index; and the public portal's reads under `/api/v1/public/{code}/…`, which
//! answer without login. Contract: docs/participation.md.

use super::attachments::file_response;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Json, Query};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wangge_app::AppError;
use wangge_app::paging::Page;
use wangge_app::participation::ledger::{
    LedgerDecisionInput, LedgerEntryInput, LedgerEntryView, LedgerQuery, LedgerReversalInput, LedgerSummary,
};
use wangge_app::participation::notices::{
    NewNoticeInput, NoticeActionInput, NoticeDetail, NoticeQuery, NoticeUpdate, NoticeView,
};
use wangge_app::participation::polls::{
    BallotInput, BallotReceipt, HappinessTrend, PaperBallotInput, PollActionInput, PollDetail, PollInput, PollQuery,
    PollResults, PollUpdate, PollView, ResidentPoll,
};
use wangge_app::participation::portal::{PublicHappiness, PublicLedger, PublicNotice, PublicPollResults, PublicPolls};

fn parse_id(id: &str, what: &str) -> Result<i64, AppError> {
    id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| AppError::not_found(what))
}

// ───────────────────────────── notices ─────────────────────────────

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NoticeParams {
    pub region: Option<String>,
    /// `draft` | `published` | `unpublished`.
    pub status: Option<String>,
    /// `party` | `residents` | `finance` | `service`.
    pub category: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Notices of the caller's scope (drafts too), newest first.
#[utoipa::path(get, path = "/api/v1/notices", tag = "participation", params(NoticeParams),
    responses((status = 200, body = Page<NoticeView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn notices(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<NoticeParams>,
) -> ApiResult<axum::Json<Page<NoticeView>>> {
    let q = NoticeQuery {
        region: p.region.as_deref(),
        status: p.status.as_deref(),
        category: p.category.as_deref(),
        cursor: p.cursor.as_deref(),
        limit: p.limit,
    };
    Ok(axum::Json(app.list_notices(&a, q).await?))
}

/// Writes a notice for a community, street or district: a draft, or published at once.
#[utoipa::path(post, path = "/api/v1/notices", tag = "participation", request_body = NewNoticeInput,
    responses((status = 201, body = NoticeDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn create_notice(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<NewNoticeInput>,
) -> ApiResult<(StatusCode, axum::Json<NoticeDetail>)> {
    Ok((StatusCode::CREATED, axum::Json(app.create_notice(&a, input).await?)))
}

/// A notice with every revision (what it said after each change, by whom) and the actions the caller may take.
#[utoipa::path(get, path = "/api/v1/notices/{id}", tag = "participation", params(("id" = i64, Path)),
    responses((status = 200, body = NoticeDetail), (status = 404, body = super::ErrorBody)))]
pub async fn notice(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<NoticeDetail>> {
    Ok(axum::Json(app.notice_detail(&a, parse_id(&id, "notice")?).await?))
}

/// Edits a notice (a published one stays published with the new text; the revision records when). 409 when
/// `version` is stale.
#[utoipa::path(put, path = "/api/v1/notices/{id}", tag = "participation", params(("id" = i64, Path)), request_body = NoticeUpdate,
    responses((status = 200, body = NoticeDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn update_notice(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<NoticeUpdate>,
) -> ApiResult<axum::Json<NoticeDetail>> {
    Ok(axum::Json(app.update_notice(&a, parse_id(&id, "notice")?, input).await?))
}

/// `publish`, `unpublish` (withdraw), `pin`, `unpin`. 409 in the wrong state.
#[utoipa::path(post, path = "/api/v1/notices/{id}/actions", tag = "participation", params(("id" = i64, Path)), request_body = NoticeActionInput,
    responses((status = 200, body = NoticeDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn notice_action(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<NoticeActionInput>,
) -> ApiResult<axum::Json<NoticeDetail>> {
    Ok(axum::Json(app.act_on_notice(&a, parse_id(&id, "notice")?, input).await?))
}

// ───────────────────────────── ledger ─────────────────────────────

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LedgerParams {
    pub region: Option<String>,
    pub year: Option<i64>,
    /// `income` | `expense`.
    pub direction: Option<String>,
    /// `entered` (awaiting approval) | `approved` | `rejected`.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Ledger entries of the caller's scope, newest first, with their decisions and vouchers.
#[utoipa::path(get, path = "/api/v1/ledger", tag = "participation", params(LedgerParams),
    responses((status = 200, body = Page<LedgerEntryView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn ledger(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<LedgerParams>,
) -> ApiResult<axum::Json<Page<LedgerEntryView>>> {
    let q = LedgerQuery {
        region: p.region.as_deref(),
        year: p.year,
        direction: p.direction.as_deref(),
        status: p.status.as_deref(),
        cursor: p.cursor.as_deref(),
        limit: p.limit,
    };
    Ok(axum::Json(app.list_ledger(&a, q).await?))
}

/// Enters an income or expenditure of a community's co-building fund with its vouchers; it counts once someone
/// other than the entrant approves it. Entries are never changed or deleted.
#[utoipa::path(post, path = "/api/v1/ledger", tag = "participation", request_body = LedgerEntryInput,
    responses((status = 201, body = LedgerEntryView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn add_entry(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<LedgerEntryInput>,
) -> ApiResult<(StatusCode, axum::Json<LedgerEntryView>)> {
    Ok((StatusCode::CREATED, axum::Json(app.add_ledger_entry(&a, input).await?)))
}

/// One entry with its decision, reversal and vouchers.
#[utoipa::path(get, path = "/api/v1/ledger/{id}", tag = "participation", params(("id" = i64, Path)),
    responses((status = 200, body = LedgerEntryView), (status = 404, body = super::ErrorBody)))]
pub async fn entry(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<LedgerEntryView>> {
    Ok(axum::Json(app.ledger_entry(&a, parse_id(&id, "ledger entry")?).await?))
}

/// Approves or rejects an entry; 422 for the person who entered it, 409 once decided.
#[utoipa::path(post, path = "/api/v1/ledger/{id}/decision", tag = "participation", params(("id" = i64, Path)), request_body = LedgerDecisionInput,
    responses((status = 200, body = LedgerEntryView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn decide(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<LedgerDecisionInput>,
) -> ApiResult<axum::Json<LedgerEntryView>> {
    Ok(axum::Json(app.decide_ledger_entry(&a, parse_id(&id, "ledger entry")?, input).await?))
}

/// Reverses an approved entry (红字冲销): answers the new reversing entry, awaiting approval. 409 when it is not
/// approved or is being reversed already.
#[utoipa::path(post, path = "/api/v1/ledger/{id}/reversal", tag = "participation", params(("id" = i64, Path)), request_body = LedgerReversalInput,
    responses((status = 201, body = LedgerEntryView), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn reverse(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<LedgerReversalInput>,
) -> ApiResult<(StatusCode, axum::Json<LedgerEntryView>)> {
    Ok((StatusCode::CREATED, axum::Json(app.reverse_ledger_entry(&a, parse_id(&id, "ledger entry")?, input).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SummaryParams {
    pub region: Option<String>,
    /// Default: this year.
    pub year: Option<i64>,
}

/// Totals of approved entries: every year with the balance carried over, the chosen year by category and month,
/// and how many entries await approval.
#[utoipa::path(get, path = "/api/v1/ledger-summary", tag = "participation", params(SummaryParams),
    responses((status = 200, body = LedgerSummary), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn summary(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<SummaryParams>,
) -> ApiResult<axum::Json<LedgerSummary>> {
    Ok(axum::Json(app.ledger_summary(&a, p.region.as_deref(), p.year).await?))
}

// ───────────────────────────── polls ─────────────────────────────

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PollParams {
    pub region: Option<String>,
    /// `draft` | `open` | `closed`.
    pub status: Option<String>,
    /// `survey` | `happiness`.
    pub kind: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Polls in the caller's scope and those covering it, newest first.
#[utoipa::path(get, path = "/api/v1/polls", tag = "participation", params(PollParams),
    responses((status = 200, body = Page<PollView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn polls(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<PollParams>,
) -> ApiResult<axum::Json<Page<PollView>>> {
    let q = PollQuery {
        region: p.region.as_deref(),
        status: p.status.as_deref(),
        kind: p.kind.as_deref(),
        cursor: p.cursor.as_deref(),
        limit: p.limit,
    };
    Ok(axum::Json(app.list_polls(&a, q).await?))
}

/// Writes a poll for a region (a draft, or open at once); `kind: happiness` makes a round of the happiness index.
#[utoipa::path(post, path = "/api/v1/polls", tag = "participation", request_body = PollInput,
    responses((status = 201, body = PollDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn create_poll(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Json(input): Json<PollInput>,
) -> ApiResult<(StatusCode, axum::Json<PollDetail>)> {
    Ok((StatusCode::CREATED, axum::Json(app.create_poll(&a, input).await?)))
}

/// A poll with its questions and ballot count, and the actions the caller may take.
#[utoipa::path(get, path = "/api/v1/polls/{id}", tag = "participation", params(("id" = i64, Path)),
    responses((status = 200, body = PollDetail), (status = 404, body = super::ErrorBody)))]
pub async fn poll(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<PollDetail>> {
    Ok(axum::Json(app.poll_detail(&a, parse_id(&id, "poll")?).await?))
}

/// Edits a poll: all of it while a draft; title, description, last day and publicity while open.
#[utoipa::path(put, path = "/api/v1/polls/{id}", tag = "participation", params(("id" = i64, Path)), request_body = PollUpdate,
    responses((status = 200, body = PollDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn update_poll(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<PollUpdate>,
) -> ApiResult<axum::Json<PollDetail>> {
    Ok(axum::Json(app.update_poll(&a, parse_id(&id, "poll")?, input).await?))
}

/// `open` or `close` a poll. 409 in the wrong state.
#[utoipa::path(post, path = "/api/v1/polls/{id}/actions", tag = "participation", params(("id" = i64, Path)), request_body = PollActionInput,
    responses((status = 200, body = PollDetail), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn poll_action(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<PollActionInput>,
) -> ApiResult<axum::Json<PollDetail>> {
    Ok(axum::Json(app.act_on_poll(&a, parse_id(&id, "poll")?, input).await?))
}

/// Live counts (by question, channel and community) with the free-text answers, for staff.
#[utoipa::path(get, path = "/api/v1/polls/{id}/results", tag = "participation", params(("id" = i64, Path)),
    responses((status = 200, body = PollResults), (status = 404, body = super::ErrorBody)))]
pub async fn results(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<PollResults>> {
    Ok(axum::Json(app.poll_results(&a, parse_id(&id, "poll")?).await?))
}

/// The results as an Excel workbook (汇总, 分社区, 文字意见); the export is recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/polls/{id}/results.xlsx", tag = "participation", params(("id" = i64, Path)),
    responses((status = 200, description = "the workbook"), (status = 404, body = super::ErrorBody)))]
pub async fn results_xlsx(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (name, bytes) = app.export_poll(&a, parse_id(&id, "poll")?).await?;
    Ok(xlsx_response(&name, bytes))
}

/// An .xlsx download named `name` (RFC 5987 for the Chinese file name).
pub fn xlsx_response(name: &str, bytes: Vec<u8>) -> Response {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    (
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"poll.xlsx\"; filename*=UTF-8''{encoded}")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// A signed-in resident votes (as the person their account is tied to): 201 once, 409 for a second ballot, 404
/// for a poll of another region, 409 when not open, 422 under the minimum age.
#[utoipa::path(post, path = "/api/v1/polls/{id}/ballots", tag = "participation", params(("id" = i64, Path)), request_body = BallotInput,
    responses((status = 201, body = BallotReceipt), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn vote(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<BallotInput>,
) -> ApiResult<(StatusCode, axum::Json<BallotReceipt>)> {
    Ok((StatusCode::CREATED, axum::Json(app.cast_ballot(&a, parse_id(&id, "poll")?, input).await?)))
}

/// Staff record a paper ballot collected door to door for a register person of their scope (counted once per
/// person like an online ballot, marked as paper).
#[utoipa::path(post, path = "/api/v1/polls/{id}/paper-ballots", tag = "participation", params(("id" = i64, Path)), request_body = PaperBallotInput,
    responses((status = 201, body = BallotReceipt), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn paper_ballot(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Json(input): Json<PaperBallotInput>,
) -> ApiResult<(StatusCode, axum::Json<BallotReceipt>)> {
    Ok((StatusCode::CREATED, axum::Json(app.record_paper_ballot(&a, parse_id(&id, "poll")?, input).await?)))
}

/// The signed-in resident's polls: open ones of their region (with whether they voted) and closed ones with public
/// results. 404 for staff accounts.
#[utoipa::path(get, path = "/api/v1/me/polls", tag = "participation",
    responses((status = 200, body = Page<ResidentPoll>), (status = 401, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn my_polls(State(app): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<axum::Json<Page<ResidentPoll>>> {
    let items = app.resident_polls(&a).await?;
    let total = items.len() as i64;
    Ok(axum::Json(Page { items, next_cursor: None, total, total_is_lower_bound: false }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RegionParams {
    pub region: Option<String>,
}

/// The happiness index per community of a region over the rounds (oldest first), with the weakest dimension.
#[utoipa::path(get, path = "/api/v1/happiness", tag = "participation", params(RegionParams),
    responses((status = 200, body = HappinessTrend), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn happiness(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<RegionParams>,
) -> ApiResult<axum::Json<HappinessTrend>> {
    Ok(axum::Json(app.happiness(&a, p.region.as_deref()).await?))
}

// ───────────────────────────── public portal ─────────────────────────────

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PublicNoticeParams {
    pub category: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Published notices of the community and of its street and district, pinned first (no login).
#[utoipa::path(get, path = "/api/v1/public/{code}/notices", tag = "public", security(()), params(("code" = String, Path, description = "community code"), PublicNoticeParams),
    responses((status = 200, body = Page<PublicNotice>), (status = 400, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn public_notices(
    State(app): State<AppState>,
    Path(code): Path<String>,
    Query(p): Query<PublicNoticeParams>,
) -> ApiResult<axum::Json<Page<PublicNotice>>> {
    Ok(axum::Json(app.portal_notices(&code, p.category.as_deref(), p.cursor.as_deref(), p.limit).await?))
}

/// One published notice with when each published text was published (no login).
#[utoipa::path(get, path = "/api/v1/public/{code}/notices/{id}", tag = "public", security(()), params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = PublicNotice), (status = 404, body = super::ErrorBody)))]
pub async fn public_notice(
    State(app): State<AppState>,
    Path((code, id)): Path<(String, String)>,
) -> ApiResult<axum::Json<PublicNotice>> {
    Ok(axum::Json(app.portal_notice(&code, parse_id(&id, "notice")?).await?))
}

/// A file of a notice shown on the portal (no login); 404 for any other file.
#[utoipa::path(get, path = "/api/v1/public/{code}/files/{id}", tag = "public", security(()), params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, description = "the file"), (status = 404, body = super::ErrorBody)))]
pub async fn public_file(State(app): State<AppState>, Path((code, id)): Path<(String, String)>) -> ApiResult<Response> {
    let (ct, bytes) = app.portal_file(&code, parse_id(&id, "file")?).await?;
    let mut res = file_response(ct, bytes);
    res.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("public, max-age=300"));
    Ok(res)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct YearParams {
    /// Default: this year.
    pub year: Option<i64>,
}

/// The community's co-building fund: yearly totals with the balance carried over, the year by category and month,
/// and its approved entries (no login; vouchers are not public).
#[utoipa::path(get, path = "/api/v1/public/{code}/ledger", tag = "public", security(()), params(("code" = String, Path), YearParams),
    responses((status = 200, body = PublicLedger), (status = 400, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn public_ledger(
    State(app): State<AppState>,
    Path(code): Path<String>,
    Query(p): Query<YearParams>,
) -> ApiResult<axum::Json<PublicLedger>> {
    Ok(axum::Json(app.portal_ledger(&code, p.year).await?))
}

/// Open polls (sign in to vote) and closed ones with public results (no login).
#[utoipa::path(get, path = "/api/v1/public/{code}/polls", tag = "public", security(()), params(("code" = String, Path)),
    responses((status = 200, body = PublicPolls), (status = 404, body = super::ErrorBody)))]
pub async fn public_polls(State(app): State<AppState>, Path(code): Path<String>) -> ApiResult<axum::Json<PublicPolls>> {
    Ok(axum::Json(app.portal_polls(&code).await?))
}

/// A poll's counts once closed (free texts never shown); while open only its description (no login).
#[utoipa::path(get, path = "/api/v1/public/{code}/polls/{id}", tag = "public", security(()), params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = PublicPollResults), (status = 404, body = super::ErrorBody)))]
pub async fn public_poll(
    State(app): State<AppState>,
    Path((code, id)): Path<(String, String)>,
) -> ApiResult<axum::Json<PublicPollResults>> {
    Ok(axum::Json(app.portal_poll(&code, parse_id(&id, "poll")?).await?))
}

/// The community's happiness index over the closed rounds (no login).
#[utoipa::path(get, path = "/api/v1/public/{code}/happiness", tag = "public", security(()), params(("code" = String, Path)),
    responses((status = 200, body = PublicHappiness), (status = 404, body = super::ErrorBody)))]
pub async fn public_happiness(
    State(app): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<axum::Json<PublicHappiness>> {
    Ok(axum::Json(app.portal_happiness(&code).await?))
}
