//! 指挥中心 API: the dashboard, the command map and its layers, the monthly/quarterly report, and the live feed
//! (Server-Sent Events). Read only; thin handlers: parse, call one `App` method with the caller, render.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiActor, Query};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use wangge_app::AppError;
use wangge_app::command::{CommandMap, Dashboard, Layer, Report};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DashboardParams {
    /// Region code within the caller's scope (default: the caller's first region).
    pub region: Option<String>,
    /// `2026-11` (a month) or `2026-Q4` (a quarter); default this month.
    pub period: Option<String>,
}

/// The dashboard of a region: KPIs (today's reports, open, overdue, 结案率, 按期结案率, satisfaction), the children
/// with their load (worst first), events by class and department, the 30-day trend, the panels of the other
/// sources and the newest feed entries. Read from rollups.
#[utoipa::path(get, path = "/api/v1/command/dashboard", tag = "command", params(DashboardParams),
    responses((status = 200, body = Dashboard), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn dashboard(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<DashboardParams>,
) -> ApiResult<axum::Json<Dashboard>> {
    Ok(axum::Json(app.dashboard(&a, p.region.as_deref(), p.period.as_deref()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RegionParams {
    /// Region code within the caller's scope (default: the caller's first region).
    pub region: Option<String>,
}

/// The command map: grids with open events and their load (`open` | `overdue` | `hot`), and the heat layer's
/// points (open events, overdue weighted double; at most 5,000).
#[utoipa::path(get, path = "/api/v1/command/map", tag = "command", params(RegionParams),
    responses((status = 200, body = CommandMap), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn map(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<RegionParams>,
) -> ApiResult<axum::Json<CommandMap>> {
    Ok(axum::Json(app.command_map(&a, p.region.as_deref()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LayerParams {
    /// Region code within the caller's scope (default: the caller's first region).
    pub region: Option<String>,
    /// `register` layer only: a tag code whose people's houses to show as points (needs `ReadRegister`, and
    /// `ReadSensitiveTags` for a sensitive tag; 403 otherwise).
    pub tag: Option<String>,
}

/// A map overlay: `register` (households, residents and people per group per grid), `patrols` (last 30 days per
/// grid), `hazards` (open 治安/安全 hazards as points), `stations` (service stations; `available: false` until the
/// one-window services are in this build).
#[utoipa::path(get, path = "/api/v1/command/layers/{layer}", tag = "command",
    params(("layer" = String, Path, description = "register | patrols | hazards | stations"), LayerParams),
    responses((status = 200, body = Layer), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn layer(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Path(layer): Path<String>,
    Query(p): Query<LayerParams>,
) -> ApiResult<axum::Json<Layer>> {
    Ok(axum::Json(app.command_layer(&a, &layer, p.region.as_deref(), p.tag.as_deref()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// Region code within the caller's scope (default: the caller's first region).
    pub region: Option<String>,
    /// `2026-11` (a month) or `2026-Q4` (a quarter). Required.
    pub period: Option<String>,
}

/// The monthly or quarterly report as data: one section per source (events, indicators, visits and patrols,
/// disputes, safety, services, assessment), each with its tables; sections not available say so. The print page
/// is `/command/reports`, the workbook `/command/reports.xlsx` (same parameters).
#[utoipa::path(get, path = "/api/v1/command/report", tag = "command", params(ReportParams),
    responses((status = 200, body = Report), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn report(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<ReportParams>,
) -> ApiResult<axum::Json<Report>> {
    Ok(axum::Json(app.command_report(&a, p.region.as_deref(), p.period.as_deref().unwrap_or("")).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FeedParams {
    /// Region code within the caller's scope (default: the caller's first region).
    pub region: Option<String>,
    /// Resume after this feed id (what `Last-Event-ID` carries on a reconnect; the header wins when both are sent).
    pub after: Option<String>,
}

/// The live feed of new and overdue events in the region's subtree as Server-Sent Events: each message has
/// `id:` (the feed position), `event:` (`new` | `overdue`) and `data:` (a JSON `FeedItem`). Reconnecting with
/// `Last-Event-ID` (browsers do this themselves) first replays what was missed from the database. Every server
/// process sharing the database delivers every entry. A comment line is sent every 15 s to keep proxies open.
#[utoipa::path(get, path = "/api/v1/feed", tag = "command", params(FeedParams),
    responses((status = 200, description = "text/event-stream of FeedItem messages", content_type = "text/event-stream", body = wangge_app::command::FeedItem),
        (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn feed(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    headers: HeaderMap,
    Query(p): Query<FeedParams>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>>> {
    let header = headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::trim).filter(|s| !s.is_empty());
    let after = match header.or(p.after.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
        Some(s) => Some(
            s.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError(AppError::field("after", "应为非负整数 / must be a non-negative integer")))?,
        ),
        None => None,
    };
    let sub = app.feed_subscribe(&a, p.region.as_deref(), after).await?;
    let stream = futures_util::stream::unfold(sub, |mut sub| async move {
        let item = sub.next().await?;
        let data = serde_json::to_string(&item).unwrap_or_else(|_| "{}".into());
        let ev = Event::default().id(item.id.to_string()).event(item.kind.clone()).data(data);
        Some((Ok(ev), sub))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15)).text("")))
}
