//! The JSON API under /api/v1 and its OpenAPI 3.1 description, generated from these handlers.

pub mod attachments;
pub mod audit;
pub mod command;
pub mod disputes;
pub mod event_rules;
pub mod events;
pub mod field;
pub mod locate;
pub mod meta;
pub mod organizations;
pub mod people;
pub mod regions;
pub mod residents;
pub mod safety;
pub mod session;
pub mod settings;
pub mod users;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(title = "wangge API", description = "社区网格化服务管理平台 JSON API. Authenticate with `POST /api/v1/session`, then send `Authorization: Bearer TOKEN`. Errors: `{\"error\": {\"code\", \"message\", \"details\"}}`. Lists: `?limit=&cursor=` → `{items, next_cursor, total}`."),
    paths(
        session::create, session::delete, session::me,
        regions::list, regions::get_one, regions::grids, regions::children, regions::create,
        locate::locate,
        users::list, users::create, users::get_one, users::add_role, users::update, users::remove_role,
        audit::list,
        meta::departments,
        events::create, events::list, events::get_one, events::act, events::categories, events::indicators,
        attachments::upload, attachments::download,
        event_rules::put_category, event_rules::rules, event_rules::add_rule, event_rules::delete_rule,
        event_rules::calendar, event_rules::put_periods, event_rules::put_day,
        settings::get_map, settings::put_map,
        people::list, people::create, people::get_one, people::update, people::reveal, people::event,
        people::put_tag, people::delete_tag, people::merge, people::household, people::house, people::building,
        people::rules, people::tag_kinds, people::put_tag_kind,
        organizations::list, organizations::create, organizations::get_one, organizations::update,
        field::today, field::sync, field::log, field::workers, field::reassign, field::add_route, field::person_visits,
        disputes::list, disputes::create, disputes::get_one, disputes::act, disputes::types, disputes::put_type,
        disputes::stats,
        safety::key_groups, safety::teams, safety::add_team, safety::map,
        residents::sign_up, residents::me, residents::account, residents::open_account,
        command::dashboard, command::map, command::layer, command::report, command::feed,
    ),
    components(schemas(
        wangge_app::regions::RegionSummary, wangge_app::regions::RegionDetail, wangge_app::regions::ChildRegion,
        wangge_app::regions::NewRegion, wangge_app::users::UserView, wangge_app::users::NewUser,
        wangge_app::users::GrantInput, wangge_app::audit::AuditView, session::Credentials, session::SessionOut,
        locate::Located, meta::Department, ErrorBody, ErrorDetail,
        wangge_app::events::ReportInput, wangge_app::events::Reported, wangge_app::events::ActionInput,
        wangge_app::events::EventView, wangge_app::events::EventDetail, wangge_app::events::TimelineEntry,
        wangge_app::events::AttachmentView, wangge_app::events::Category, wangge_app::events::MergedTarget,
        wangge_app::events::PublicStep,
        wangge_app::event_rules::CategoryInput, wangge_app::event_rules::RuleInput, wangge_app::event_rules::RuleView,
        wangge_app::event_rules::CalendarView, wangge_app::event_rules::CalendarDay, wangge_app::event_rules::CalendarDayInput,
        event_rules::PeriodsInput,
        wangge_app::settings::MapSettings, settings::MapSettingsInput, wangge_app::tags::TagKindInput,
        wangge_app::people::PersonView, wangge_app::people::PersonDetail, wangge_app::people::MemberView,
        wangge_app::people::HouseholdBrief, wangge_app::people::HouseBrief, wangge_app::people::BuildingBrief,
        wangge_app::people::HistoryView, wangge_app::people::TagDetail, wangge_app::people::Revealed,
        wangge_app::people::HouseholdView, wangge_app::people::HouseView, wangge_app::people::BuildingView,
        wangge_app::people::BuildingHouse, wangge_app::people::RulesView, wangge_app::people::GridRuleView,
        wangge_app::people::CommunityRuleView, wangge_app::people::RevealInput, wangge_app::people::NewPersonInput,
        wangge_app::people::PersonUpdate, wangge_app::people::PersonEventInput, wangge_app::people::TagInput,
        wangge_app::people::MergeInput, wangge_app::tags::TagKind,
        wangge_app::organizations::OrgView, wangge_app::organizations::NewOrgInput,
        wangge_app::organizations::OrgUpdate,
        wangge_app::field::FieldToday, wangge_app::field::GridBrief, wangge_app::field::DueVisit,
        wangge_app::field::TagBrief, wangge_app::field::Change, wangge_app::field::TaskEvent,
        wangge_app::field::QuickCategories, wangge_app::field::CategoryBrief, wangge_app::field::RouteView,
        wangge_app::field::Checkpoint, wangge_app::field::PatrolView, wangge_app::field::SyncRequest,
        wangge_app::field::SyncItem, wangge_app::field::SyncResponse, wangge_app::field::ItemResult,
        wangge_app::field::ItemError, wangge_app::field::FieldLog, wangge_app::field::VisitView,
        wangge_app::field::LoggedEvent, wangge_app::field::WorkerMonthView, wangge_app::field::ReassignInput,
        wangge_app::field::RouteInput,
        wangge_app::disputes::DisputeType, wangge_app::disputes::DisputeTypeInput, wangge_app::disputes::PartyInput,
        wangge_app::disputes::NewDisputeInput, wangge_app::disputes::DisputeActionInput, wangge_app::disputes::PartyView,
        wangge_app::disputes::DisputeStep, wangge_app::disputes::DisputeView, wangge_app::disputes::DisputeDetail,
        wangge_app::disputes::CountBy, wangge_app::disputes::MonthTrend, wangge_app::disputes::DisputeStats,
        wangge_app::safety::KeyGroupPerson, wangge_app::safety::KeyGroupTag, wangge_app::safety::WorkerBrief,
        wangge_app::safety::TeamView, wangge_app::safety::TeamMemberView, wangge_app::safety::NewTeamInput,
        wangge_app::safety::MemberInput, wangge_app::safety::SafetyMap, wangge_app::safety::GridSafety,
        wangge_app::safety::HazardPoint, wangge_app::safety::TeamBrief,
        users::UserPatch, residents::SignedUp, wangge_app::residents::ResidentSignUp,
        wangge_app::residents::ResidentAccountInput, wangge_app::residents::ResidentProfile,
        wangge_app::residents::ResidentAccount,
        wangge_app::command::Dashboard, wangge_app::command::RegionRef, wangge_app::command::Kpis,
        wangge_app::command::ChildLoad, wangge_app::command::CountRow, wangge_app::command::DayPoint,
        wangge_app::command::Panel, wangge_app::command::Figure, wangge_app::command::Text,
        wangge_app::command::FeedItem, wangge_app::command::CommandMap, wangge_app::command::GridLoad,
        wangge_app::command::HeatPoint, wangge_app::command::Layer, wangge_app::command::LayerGrid,
        wangge_app::command::LayerPoint, wangge_app::command::LegendItem, wangge_app::command::Report,
        wangge_app::command::ReportSection, wangge_app::command::ReportTable, wangge_app::command::Column,
        wangge_app::command::ChartSpec,
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "session"), (name = "regions"), (name = "users"), (name = "audit"), (name = "reference"), (name = "settings"), (name = "register"), (name = "events"), (name = "field"), (name = "disputes"), (name = "safety"), (name = "residents"), (name = "command")),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The error envelope every failing API call returns.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// Stable machine-readable code: invalid_input, unauthorized, forbidden, not_found, conflict, rule_violated, too_many_requests, internal.
    code: String,
    message: String,
    /// For invalid input: `{"field": "…"}`.
    #[schema(value_type = Option<Object>)]
    details: Option<serde_json::Value>,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(meta::openapi))
        .route("/api/v1/session", post(session::create).delete(session::delete).get(session::me))
        .route("/api/v1/regions", get(regions::list).post(regions::create))
        .route("/api/v1/regions/{code}", get(regions::get_one))
        .route("/api/v1/regions/{code}/grids.geojson", get(regions::grids))
        .route("/api/v1/regions/{code}/children.geojson", get(regions::children))
        .route("/api/v1/locate", get(locate::locate))
        .route("/api/v1/users", get(users::list).post(users::create))
        .route("/api/v1/users/{username}", get(users::get_one).patch(users::update))
        .route("/api/v1/users/{username}/roles", post(users::add_role).delete(users::remove_role))
        .route("/api/v1/audit", get(audit::list))
        .route("/api/v1/departments", get(meta::departments))
        .route("/api/v1/events", get(events::list).post(events::create))
        .route("/api/v1/events/{id}", get(events::get_one))
        .route("/api/v1/events/{id}/actions", post(events::act))
        .route("/api/v1/categories", get(events::categories))
        .route("/api/v1/categories/{code}", axum::routing::put(event_rules::put_category))
        .route("/api/v1/routing-rules", get(event_rules::rules).post(event_rules::add_rule))
        .route("/api/v1/routing-rules/{id}", axum::routing::delete(event_rules::delete_rule))
        .route("/api/v1/calendar", get(event_rules::calendar).put(event_rules::put_periods))
        .route("/api/v1/calendar/{day}", axum::routing::put(event_rules::put_day))
        .route(
            "/api/v1/attachments",
            post(attachments::upload)
                .layer(axum::extract::DefaultBodyLimit::max(wangge_app::attachments::MAX_BYTES + 64 * 1024)),
        )
        .route("/api/v1/attachments/{id}", get(attachments::download))
        .route("/api/v1/indicators", get(events::indicators))
        .route("/api/v1/settings/map", get(settings::get_map).put(settings::put_map))
        .route("/api/v1/people", get(people::list).post(people::create))
        .route("/api/v1/people/{id}", get(people::get_one).patch(people::update))
        .route("/api/v1/people/{id}/reveal", post(people::reveal))
        .route("/api/v1/people/{id}/events", post(people::event))
        .route("/api/v1/people/{id}/tags/{code}", axum::routing::put(people::put_tag).delete(people::delete_tag))
        .route("/api/v1/people/{id}/merge", post(people::merge))
        .route("/api/v1/households/{id}", get(people::household))
        .route("/api/v1/houses/{id}", get(people::house))
        .route("/api/v1/buildings/{id}", get(people::building))
        .route("/api/v1/regions/{code}/rules", get(people::rules))
        .route("/api/v1/tag-kinds", get(people::tag_kinds))
        .route("/api/v1/tag-kinds/{code}", axum::routing::put(people::put_tag_kind))
        .route("/api/v1/organizations", get(organizations::list).post(organizations::create))
        .route("/api/v1/organizations/{id}", get(organizations::get_one).patch(organizations::update))
        .route("/api/v1/field/today", get(field::today))
        .route(
            "/api/v1/field/sync",
            post(field::sync).layer(axum::extract::DefaultBodyLimit::max(field::MAX_SYNC_BYTES)),
        )
        .route("/api/v1/field/log", get(field::log))
        .route("/api/v1/field/workers", get(field::workers))
        .route("/api/v1/field/reassign", post(field::reassign))
        .route("/api/v1/field/routes", post(field::add_route))
        .route("/api/v1/people/{id}/visits", get(field::person_visits))
        .route("/api/v1/disputes", get(disputes::list).post(disputes::create))
        .route("/api/v1/disputes/{id}", get(disputes::get_one))
        .route("/api/v1/disputes/{id}/actions", post(disputes::act))
        .route("/api/v1/dispute-types", get(disputes::types))
        .route("/api/v1/dispute-types/{code}", axum::routing::put(disputes::put_type))
        .route("/api/v1/dispute-stats", get(disputes::stats))
        .route("/api/v1/key-groups", get(safety::key_groups))
        .route("/api/v1/safety/teams", get(safety::teams).post(safety::add_team))
        .route("/api/v1/safety/map", get(safety::map))
        .route("/api/v1/residents", post(residents::sign_up))
        .route("/api/v1/me", get(residents::me))
        .route("/api/v1/people/{id}/account", get(residents::account).post(residents::open_account))
        .route("/api/v1/command/dashboard", get(command::dashboard))
        .route("/api/v1/command/map", get(command::map))
        .route("/api/v1/command/layers/{layer}", get(command::layer))
        .route("/api/v1/command/report", get(command::report))
        .route("/api/v1/feed", get(command::feed))
        .route("/api/v1/{*rest}", axum::routing::any(meta::api_not_found))
}
