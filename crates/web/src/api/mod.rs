//! The JSON API under /api/v1 and its OpenAPI 3.1 description, generated from these handlers.

pub mod assessment;
pub mod attachments;
pub mod audit;
pub mod command;
pub mod data_requests;
pub mod disputes;
pub mod event_rules;
pub mod events;
pub mod field;
pub mod life;
pub mod locate;
pub mod meta;
pub mod organizations;
pub mod participation;
pub mod people;
pub mod regions;
pub mod residents;
pub mod safety;
pub mod services;
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
        // Community life (issue #9).
        life::meetings, life::schedule_meeting, life::meeting, life::add_participants, life::sign_in, life::minutes,
        life::add_resolution, life::resolution_progress, life::publish, life::cancel,
        life::volunteers, life::register_volunteer, life::volunteer, life::redeem, life::award, life::teams,
        life::add_team, life::activities, life::add_activity, life::activity, life::sign_up, life::check_in,
        life::check_out, life::cancel_signup,
        life::units, life::add_unit, life::unit, life::add_commitment, life::commitment_progress, life::days,
        life::add_day, life::social_orgs, life::social_org, life::set_stage, life::add_service,
        life::party_orgs, life::add_party_org, life::party_org, life::members, life::add_member, life::member,
        life::add_service_record, life::service_summary, life::party_activities, life::add_party_activity,
        life::party_activity, life::party_sign_in,
        life::public_meetings, life::public_activities, life::public_co_building, life::public_party,
        // Participation and transparency (issue #9).
        participation::notices, participation::create_notice, participation::notice, participation::update_notice,
        participation::notice_action, participation::ledger, participation::add_entry, participation::entry,
        participation::decide, participation::reverse, participation::summary, participation::polls,
        participation::create_poll, participation::poll, participation::update_poll, participation::poll_action,
        participation::results, participation::results_xlsx, participation::vote, participation::paper_ballot,
        participation::my_polls, participation::happiness,
        participation::public_notices, participation::public_notice, participation::public_file,
        participation::public_ledger, participation::public_polls, participation::public_poll,
        participation::public_happiness,
        services::categories, services::put_category, services::items, services::item, services::put_item,
        services::list, services::create, services::get_one, services::act, services::mine, services::upload,
        services::stats, services::notifications, services::read, services::hours, services::put_hours,
        services::slots, services::appointments, services::book, services::act_appointment,
        services::admission_items, services::add_admission_item, services::patch_admission_item, services::tasks,
        services::push_task, services::act_task, services::admission_report,
        command::dashboard, command::map, command::layer, command::report, command::feed,
        // Assessment (issue #10).
        assessment::schemes, assessment::put_scheme, assessment::workers, assessment::worker, assessment::payroll,
        assessment::departments, assessment::department, assessment::stars, assessment::open_star,
        assessment::star, assessment::put_scores, assessment::act_star, assessment::property_companies,
        assessment::create_property_company, assessment::property_company, assessment::update_property_company,
        assessment::put_property_inspections, assessment::put_property_surveys, assessment::property_ranking,
        assessment::property_score,
        // 一表通 data requests (issue #13).
        data_requests::fields, data_requests::template, data_requests::list, data_requests::create,
        data_requests::get_one, data_requests::rows, data_requests::answer, data_requests::result_xlsx,
        data_requests::report,
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
        // Community life (issue #9).
        wangge_app::life::meetings::ParticipantInput, wangge_app::life::meetings::NewMeetingInput,
        wangge_app::life::meetings::SignInInput, wangge_app::life::meetings::MinutesInput,
        wangge_app::life::meetings::ResolutionInput, wangge_app::life::meetings::ProgressInput,
        wangge_app::life::meetings::PublishInput, wangge_app::life::meetings::CancelInput,
        wangge_app::life::meetings::ParticipantView, wangge_app::life::meetings::ProgressView,
        wangge_app::life::meetings::ResolutionView, wangge_app::life::meetings::MeetingView,
        wangge_app::life::meetings::MeetingDetail, life::ParticipantsInput,
        wangge_app::life::volunteers::NewVolunteerInput, wangge_app::life::volunteers::RedeemInput,
        wangge_app::life::volunteers::AwardInput, wangge_app::life::volunteers::NewVolunteerTeamInput,
        wangge_app::life::volunteers::NewActivityInput, wangge_app::life::volunteers::SignupInput,
        wangge_app::life::volunteers::SignupActionInput, wangge_app::life::volunteers::VolunteerView,
        wangge_app::life::volunteers::LedgerView, wangge_app::life::volunteers::HonourView,
        wangge_app::life::volunteers::ServiceBrief, wangge_app::life::volunteers::TeamBrief,
        wangge_app::life::volunteers::VolunteerDetail, wangge_app::life::volunteers::MemberBrief,
        wangge_app::life::volunteers::VolunteerTeamView, wangge_app::life::volunteers::ActivityView,
        wangge_app::life::volunteers::SignupView, wangge_app::life::volunteers::ActivityDetail,
        wangge_app::life::co_building::NewUnitInput, wangge_app::life::co_building::CommitmentInput,
        wangge_app::life::co_building::CommitmentProgressInput, wangge_app::life::co_building::NewDayInput,
        wangge_app::life::co_building::StageInput, wangge_app::life::co_building::ServiceInput,
        wangge_app::life::co_building::CommitmentView, wangge_app::life::co_building::CommitmentProgressView,
        wangge_app::life::co_building::UnitView, wangge_app::life::co_building::UnitDetail,
        wangge_app::life::co_building::UnitBrief, wangge_app::life::co_building::DayView,
        wangge_app::life::co_building::StageView, wangge_app::life::co_building::SocialServiceView,
        wangge_app::life::co_building::SocialOrgView, wangge_app::life::co_building::SocialOrgDetail,
        wangge_app::life::party::NewPartyOrgInput, wangge_app::life::party::NewMemberInput,
        wangge_app::life::party::ServiceRecordInput, wangge_app::life::party::NewPartyActivityInput,
        wangge_app::life::party::PartySignInInput, wangge_app::life::party::PartyOrgView,
        wangge_app::life::party::QuotaView, wangge_app::life::party::PartyOrgDetail,
        wangge_app::life::party::MemberView, wangge_app::life::party::ServiceRecordView,
        wangge_app::life::party::MemberDetail, wangge_app::life::party::ServiceSummaryRow,
        wangge_app::life::party::ServiceSummary, wangge_app::life::party::PartyActivityView,
        wangge_app::life::party::AttendeeView, wangge_app::life::party::PartyActivityDetail,
        wangge_app::life::public::PublicCommunity, wangge_app::life::public::PublicProgress,
        wangge_app::life::public::PublicResolution, wangge_app::life::public::PublicMeeting,
        wangge_app::life::public::PublicMeetings, wangge_app::life::public::PublicActivity,
        wangge_app::life::public::PublicActivities, wangge_app::life::public::PublicCommitment,
        wangge_app::life::public::PublicUnit, wangge_app::life::public::PublicDay,
        wangge_app::life::public::PublicCoBuilding, wangge_app::life::public::PublicPartyOrg,
        wangge_app::life::public::PublicPartyActivity, wangge_app::life::public::PublicParty,
        // Participation and transparency (issue #9).
        wangge_app::participation::notices::NewNoticeInput, wangge_app::participation::notices::NoticeUpdate,
        wangge_app::participation::notices::NoticeActionInput, wangge_app::participation::notices::NoticeView,
        wangge_app::participation::notices::NoticeRevisionView, wangge_app::participation::notices::NoticeDetail,
        wangge_app::participation::ledger::LedgerEntryInput, wangge_app::participation::ledger::LedgerDecisionInput,
        wangge_app::participation::ledger::LedgerReversalInput, wangge_app::participation::ledger::LedgerEntryView,
        wangge_app::participation::ledger::YearTotals, wangge_app::participation::ledger::CategoryTotal,
        wangge_app::participation::ledger::MonthTotals, wangge_app::participation::ledger::LedgerSummary,
        wangge_app::participation::polls::PollInput, wangge_app::participation::polls::PollUpdate,
        wangge_app::participation::polls::PollActionInput, wangge_app::participation::polls::BallotInput,
        wangge_app::participation::polls::PaperBallotInput, wangge_app::participation::polls::PollView,
        wangge_app::participation::polls::PollDetail, wangge_app::participation::polls::OptionResult,
        wangge_app::participation::polls::QuestionResult, wangge_app::participation::polls::CommunityCount,
        wangge_app::participation::polls::DimensionScore, wangge_app::participation::polls::HappinessScores,
        wangge_app::participation::polls::PollResults, wangge_app::participation::polls::BallotReceipt,
        wangge_app::participation::polls::ResidentPoll, wangge_app::participation::polls::HappinessRound,
        wangge_app::participation::polls::CommunityHappiness, wangge_app::participation::polls::HappinessTrend,
        wangge_app::participation::portal::PortalCommunity, wangge_app::participation::portal::PublicFile,
        wangge_app::participation::portal::PublicRevision, wangge_app::participation::portal::PublicNotice,
        wangge_app::participation::portal::PublicLedgerEntry, wangge_app::participation::portal::PublicLedger,
        wangge_app::participation::portal::PublicPoll, wangge_app::participation::portal::PublicPolls,
        wangge_app::participation::portal::PublicPollResults, wangge_app::participation::portal::PublicHappiness,
        // Resident services (issue #8).
        wangge_app::service_catalogue::ServiceCategory, wangge_app::service_catalogue::ServiceCategoryInput,
        wangge_app::service_catalogue::ServiceItem, wangge_app::service_catalogue::ServiceItemInput,
        wangge_app::service_catalogue::MaterialView, wangge_app::service_catalogue::MaterialInput,
        wangge_app::services::ApplicationInput, wangge_app::services::MaterialUpload,
        wangge_app::services::ApplicationActionInput, wangge_app::services::ApplicationView,
        wangge_app::services::ApplicationDetail, wangge_app::services::MaterialState,
        wangge_app::services::ApplicationStep, wangge_app::services::NotificationView,
        wangge_app::services::NotificationPage, wangge_app::services::ServiceStats, wangge_app::services::ItemStats,
        services::ReadInput, services::ReadOut,
        wangge_app::appointments::HoursView, wangge_app::appointments::HoursRowView,
        wangge_app::appointments::HoursInput, wangge_app::appointments::HoursRowInput, wangge_app::appointments::SlotDay,
        wangge_app::appointments::SlotView, wangge_app::appointments::BookInput,
        wangge_app::appointments::AppointmentActionInput, wangge_app::appointments::AppointmentView,
        wangge_app::admission::AdmissionItemView, wangge_app::admission::AdmissionItemInput,
        wangge_app::admission::AdmissionItemPatch, wangge_app::admission::TaskInput,
        wangge_app::admission::TaskActionInput, wangge_app::admission::TaskView,
        wangge_app::admission::DepartmentReport, wangge_app::admission::AdmissionReport,
        wangge_app::data_requests::Column, wangge_app::data_requests::ColumnInput,
        wangge_app::data_requests::DataRequestInput, wangge_app::data_requests::DataRequestView,
        wangge_app::data_requests::ProgressView, wangge_app::data_requests::RowView,
        wangge_app::data_requests::AnswerInput, wangge_app::data_requests::FieldDataRequest,
        wangge_app::data_requests::FieldCatalogue, wangge_app::data_requests::FieldInfo,
        wangge_app::data_requests::HeaderCell, wangge_app::data_requests::TemplatePreview,
        wangge_app::data_requests::PrefillLine, wangge_app::data_requests::PrefillReport,
        // Command centre (issue #11).
        wangge_app::command::Dashboard, wangge_app::command::RegionRef, wangge_app::command::Kpis,
        wangge_app::command::ChildLoad, wangge_app::command::CountRow, wangge_app::command::DayPoint,
        wangge_app::command::Panel, wangge_app::command::Figure, wangge_app::command::Text,
        wangge_app::command::FeedItem, wangge_app::command::CommandMap, wangge_app::command::GridLoad,
        wangge_app::command::HeatPoint, wangge_app::command::Layer, wangge_app::command::LayerGrid,
        wangge_app::command::LayerPoint, wangge_app::command::LegendItem, wangge_app::command::Report,
        wangge_app::command::ReportSection, wangge_app::command::ReportTable, wangge_app::command::Column,
        wangge_app::command::ChartSpec,
        wangge_app::assessment::RecordRef, wangge_app::assessment::MetricValue,
        wangge_app::assessment::DeductionRecords, wangge_app::assessment::PayView, wangge_app::assessment::WorkerScore,
        wangge_app::assessment::WorkerRow, wangge_app::assessment::DepartmentScore, wangge_app::assessment::SchemeView,
        wangge_app::assessment::StarSummary, wangge_app::assessment::EnteredScore,
        wangge_app::assessment::StarActionView, wangge_app::assessment::StarDetail,
        wangge_app::assessment::NewStarInput, wangge_app::assessment::ScoreInput, wangge_app::assessment::ScoresInput,
        wangge_app::assessment::StarActionInput, wangge_app::assessment::AreaView,
        wangge_app::assessment::PropertyCompany, wangge_app::assessment::PropertyCompanyInput,
        wangge_app::assessment::PropertyCompanyPatch, wangge_app::assessment::InspectionInput,
        wangge_app::assessment::InspectionEntry, wangge_app::assessment::SurveyLink,
        wangge_app::assessment::SurveysInput, wangge_app::assessment::PropertyScore,
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "session"), (name = "regions"), (name = "users"), (name = "audit"), (name = "reference"), (name = "settings"), (name = "register"), (name = "events"), (name = "field"), (name = "disputes"), (name = "safety"), (name = "residents"), (name = "community life"), (name = "participation"), (name = "services"), (name = "command"), (name = "assessment"), (name = "data-requests"), (name = "public")),
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
        // Community life (issue #9).
        .route("/api/v1/meetings", get(life::meetings).post(life::schedule_meeting))
        .route("/api/v1/meetings/{id}", get(life::meeting))
        .route("/api/v1/meetings/{id}/participants", post(life::add_participants))
        .route("/api/v1/meetings/{id}/sign-in", post(life::sign_in))
        .route("/api/v1/meetings/{id}/minutes", axum::routing::put(life::minutes))
        .route("/api/v1/meetings/{id}/resolutions", post(life::add_resolution))
        .route("/api/v1/meetings/{id}/resolutions/{rid}/progress", post(life::resolution_progress))
        .route("/api/v1/meetings/{id}/publish", post(life::publish))
        .route("/api/v1/meetings/{id}/cancel", post(life::cancel))
        .route("/api/v1/volunteers", get(life::volunteers).post(life::register_volunteer))
        .route("/api/v1/volunteers/{id}", get(life::volunteer))
        .route("/api/v1/volunteers/{id}/redeem", post(life::redeem))
        .route("/api/v1/volunteers/{id}/honours", post(life::award))
        .route("/api/v1/volunteer-teams", get(life::teams).post(life::add_team))
        .route("/api/v1/volunteer-activities", get(life::activities).post(life::add_activity))
        .route("/api/v1/volunteer-activities/{id}", get(life::activity))
        .route("/api/v1/volunteer-activities/{id}/signups", post(life::sign_up))
        .route("/api/v1/volunteer-activities/{id}/signups/{sid}/check-in", post(life::check_in))
        .route("/api/v1/volunteer-activities/{id}/signups/{sid}/check-out", post(life::check_out))
        .route("/api/v1/volunteer-activities/{id}/signups/{sid}/cancel", post(life::cancel_signup))
        .route("/api/v1/co-building-units", get(life::units).post(life::add_unit))
        .route("/api/v1/co-building-units/{id}", get(life::unit))
        .route("/api/v1/co-building-units/{id}/commitments", post(life::add_commitment))
        .route("/api/v1/co-building-commitments/{id}/progress", post(life::commitment_progress))
        .route("/api/v1/co-building-days", get(life::days).post(life::add_day))
        .route("/api/v1/social-organizations", get(life::social_orgs))
        .route("/api/v1/social-organizations/{id}", get(life::social_org))
        .route("/api/v1/social-organizations/{id}/stage", axum::routing::put(life::set_stage))
        .route("/api/v1/social-organizations/{id}/services", post(life::add_service))
        .route("/api/v1/party-organizations", get(life::party_orgs).post(life::add_party_org))
        .route("/api/v1/party-organizations/{id}", get(life::party_org))
        .route("/api/v1/party-members", get(life::members).post(life::add_member))
        .route("/api/v1/party-members/{id}", get(life::member))
        .route("/api/v1/party-members/{id}/service-records", post(life::add_service_record))
        .route("/api/v1/party-service", get(life::service_summary))
        .route("/api/v1/party-activities", get(life::party_activities).post(life::add_party_activity))
        .route("/api/v1/party-activities/{id}", get(life::party_activity))
        .route("/api/v1/party-activities/{id}/sign-in", post(life::party_sign_in))
        .route("/api/v1/public/{code}/meetings", get(life::public_meetings))
        .route("/api/v1/public/{code}/volunteer-activities", get(life::public_activities))
        .route("/api/v1/public/{code}/co-building", get(life::public_co_building))
        .route("/api/v1/public/{code}/party", get(life::public_party))
        // Participation and transparency (issue #9).
        .route("/api/v1/notices", get(participation::notices).post(participation::create_notice))
        .route("/api/v1/notices/{id}", get(participation::notice).put(participation::update_notice))
        .route("/api/v1/notices/{id}/actions", post(participation::notice_action))
        .route("/api/v1/ledger", get(participation::ledger).post(participation::add_entry))
        .route("/api/v1/ledger/{id}", get(participation::entry))
        .route("/api/v1/ledger/{id}/decision", post(participation::decide))
        .route("/api/v1/ledger/{id}/reversal", post(participation::reverse))
        .route("/api/v1/ledger-summary", get(participation::summary))
        .route("/api/v1/polls", get(participation::polls).post(participation::create_poll))
        .route("/api/v1/polls/{id}", get(participation::poll).put(participation::update_poll))
        .route("/api/v1/polls/{id}/actions", post(participation::poll_action))
        .route("/api/v1/polls/{id}/results", get(participation::results))
        .route("/api/v1/polls/{id}/results.xlsx", get(participation::results_xlsx))
        .route("/api/v1/polls/{id}/ballots", post(participation::vote))
        .route("/api/v1/polls/{id}/paper-ballots", post(participation::paper_ballot))
        .route("/api/v1/me/polls", get(participation::my_polls))
        .route("/api/v1/happiness", get(participation::happiness))
        .route("/api/v1/public/{code}/notices", get(participation::public_notices))
        .route("/api/v1/public/{code}/notices/{id}", get(participation::public_notice))
        .route("/api/v1/public/{code}/files/{id}", get(participation::public_file))
        .route("/api/v1/public/{code}/ledger", get(participation::public_ledger))
        .route("/api/v1/public/{code}/polls", get(participation::public_polls))
        .route("/api/v1/public/{code}/polls/{id}", get(participation::public_poll))
        .route("/api/v1/public/{code}/happiness", get(participation::public_happiness))
        .route("/api/v1/service-categories", get(services::categories))
        .route("/api/v1/service-categories/{code}", axum::routing::put(services::put_category))
        .route("/api/v1/service-items", get(services::items))
        .route("/api/v1/service-items/{code}", get(services::item).put(services::put_item))
        .route("/api/v1/applications", get(services::list).post(services::create))
        .route("/api/v1/applications/{id}", get(services::get_one))
        .route("/api/v1/applications/{id}/actions", post(services::act))
        .route("/api/v1/me/applications", get(services::mine))
        .route(
            "/api/v1/service-uploads",
            post(services::upload)
                .layer(axum::extract::DefaultBodyLimit::max(wangge_app::attachments::MAX_BYTES + 64 * 1024)),
        )
        .route("/api/v1/service-stats", get(services::stats))
        .route("/api/v1/notifications", get(services::notifications))
        .route("/api/v1/notifications/read", post(services::read))
        .route("/api/v1/service-hours", get(services::hours))
        .route("/api/v1/service-hours/{community}", axum::routing::put(services::put_hours))
        .route("/api/v1/service-slots", get(services::slots))
        .route("/api/v1/appointments", get(services::appointments).post(services::book))
        .route("/api/v1/appointments/{id}/actions", post(services::act_appointment))
        .route("/api/v1/admission-items", get(services::admission_items).post(services::add_admission_item))
        .route("/api/v1/admission-items/{id}", axum::routing::patch(services::patch_admission_item))
        .route("/api/v1/community-tasks", get(services::tasks).post(services::push_task))
        .route("/api/v1/community-tasks/{id}/actions", post(services::act_task))
        .route("/api/v1/admission-report", get(services::admission_report))
        .route("/api/v1/data-requests", get(data_requests::list).post(data_requests::create))
        .route("/api/v1/data-requests/fields", get(data_requests::fields))
        .route(
            "/api/v1/data-requests/template",
            post(data_requests::template).layer(axum::extract::DefaultBodyLimit::max(6 * 1024 * 1024)),
        )
        .route("/api/v1/data-requests/report", get(data_requests::report))
        .route("/api/v1/data-requests/{id}", get(data_requests::get_one))
        .route("/api/v1/data-requests/{id}/rows", get(data_requests::rows))
        .route("/api/v1/data-requests/{id}/result.xlsx", get(data_requests::result_xlsx))
        .route("/api/v1/data-requests/rows/{row_id}/answer", post(data_requests::answer))
        .route("/api/v1/command/dashboard", get(command::dashboard))
        .route("/api/v1/command/map", get(command::map))
        .route("/api/v1/command/layers/{layer}", get(command::layer))
        .route("/api/v1/command/report", get(command::report))
        .route("/api/v1/feed", get(command::feed))
        .route("/api/v1/assessment/schemes", get(assessment::schemes).post(assessment::put_scheme))
        .route("/api/v1/assessment/workers", get(assessment::workers))
        .route("/api/v1/assessment/workers/{user_id}", get(assessment::worker))
        .route("/api/v1/assessment/payroll.xlsx", get(assessment::payroll))
        .route("/api/v1/assessment/departments", get(assessment::departments))
        .route("/api/v1/assessment/departments/{code}", get(assessment::department))
        .route("/api/v1/assessment/stars", get(assessment::stars).post(assessment::open_star))
        .route("/api/v1/assessment/stars/{id}", get(assessment::star))
        .route("/api/v1/assessment/stars/{id}/scores", axum::routing::put(assessment::put_scores))
        .route("/api/v1/assessment/stars/{id}/actions", post(assessment::act_star))
        .route(
            "/api/v1/assessment/property-companies",
            get(assessment::property_companies).post(assessment::create_property_company),
        )
        .route(
            "/api/v1/assessment/property-companies/{id}",
            get(assessment::property_company).patch(assessment::update_property_company),
        )
        .route(
            "/api/v1/assessment/property-companies/{id}/inspections",
            axum::routing::put(assessment::put_property_inspections),
        )
        .route(
            "/api/v1/assessment/property-companies/{id}/surveys",
            axum::routing::put(assessment::put_property_surveys),
        )
        .route("/api/v1/assessment/property", get(assessment::property_ranking))
        .route("/api/v1/assessment/property/{id}", get(assessment::property_score))
        .route("/api/v1/{*rest}", axum::routing::any(meta::api_not_found))
}
