//! A minimal migration runner: ordered SQL files embedded per backend, applied once each, in a transaction.

use crate::{Backend, Result, Store, StoreError, now_ms};
use sqlx::Executor;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "register",
        sqlite: include_str!("../migrations/sqlite/0002_register.sql"),
        postgres: include_str!("../migrations/postgres/0002_register.sql"),
    },
    Migration {
        version: 3,
        name: "register_indexes",
        sqlite: include_str!("../migrations/sqlite/0003_register_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0003_register_indexes.sql"),
    },
    Migration {
        version: 4,
        name: "organizations",
        sqlite: include_str!("../migrations/sqlite/0004_organizations.sql"),
        postgres: include_str!("../migrations/postgres/0004_organizations.sql"),
    },
    Migration {
        version: 5,
        name: "events",
        sqlite: include_str!("../migrations/sqlite/0005_events.sql"),
        postgres: include_str!("../migrations/postgres/0005_events.sql"),
    },
    Migration {
        version: 6,
        name: "event_person_stats",
        sqlite: include_str!("../migrations/sqlite/0006_event_person_stats.sql"),
        postgres: include_str!("../migrations/postgres/0006_event_person_stats.sql"),
    },
    Migration {
        version: 7,
        name: "events_nearby",
        sqlite: include_str!("../migrations/sqlite/0007_events_nearby.sql"),
        postgres: include_str!("../migrations/postgres/0007_events_nearby.sql"),
    },
    Migration {
        version: 8,
        name: "attachment_uploader",
        sqlite: include_str!("../migrations/sqlite/0008_attachment_uploader.sql"),
        postgres: include_str!("../migrations/postgres/0008_attachment_uploader.sql"),
    },
    Migration {
        version: 9,
        name: "field",
        sqlite: include_str!("../migrations/sqlite/0009_field.sql"),
        postgres: include_str!("../migrations/postgres/0009_field.sql"),
    },
    Migration {
        version: 10,
        name: "disputes",
        sqlite: include_str!("../migrations/sqlite/0010_disputes.sql"),
        postgres: include_str!("../migrations/postgres/0010_disputes.sql"),
    },
    Migration {
        version: 11,
        name: "safety",
        sqlite: include_str!("../migrations/sqlite/0011_safety.sql"),
        postgres: include_str!("../migrations/postgres/0011_safety.sql"),
    },
    Migration {
        version: 12,
        name: "resident_accounts",
        sqlite: include_str!("../migrations/sqlite/0012_resident_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0012_resident_accounts.sql"),
    },
    Migration {
        version: 14,
        name: "services",
        sqlite: include_str!("../migrations/sqlite/0014_services.sql"),
        postgres: include_str!("../migrations/postgres/0014_services.sql"),
    },
    Migration {
        version: 15,
        name: "participation",
        sqlite: include_str!("../migrations/sqlite/0015_participation.sql"),
        postgres: include_str!("../migrations/postgres/0015_participation.sql"),
    },
    // Community life (issue #9).
    Migration {
        version: 16,
        name: "community_life",
        sqlite: include_str!("../migrations/sqlite/0016_community_life.sql"),
        postgres: include_str!("../migrations/postgres/0016_community_life.sql"),
    },
    // Assessment (issue #10).
    Migration {
        version: 17,
        name: "assessment",
        sqlite: include_str!("../migrations/sqlite/0017_assessment.sql"),
        postgres: include_str!("../migrations/postgres/0017_assessment.sql"),
    },
    Migration {
        version: 20,
        name: "command",
        sqlite: include_str!("../migrations/sqlite/0020_command.sql"),
        postgres: include_str!("../migrations/postgres/0020_command.sql"),
    },
    // Property-management companies' assessment (issue #10).
    Migration {
        version: 21,
        name: "property",
        sqlite: include_str!("../migrations/sqlite/0021_property.sql"),
        postgres: include_str!("../migrations/postgres/0021_property.sql"),
    },
    // 一表通 data requests (issue #13).
    Migration {
        version: 22,
        name: "data_requests",
        sqlite: include_str!("../migrations/sqlite/0022_data_requests.sql"),
        postgres: include_str!("../migrations/postgres/0022_data_requests.sql"),
    },
    // Rate limits (failed logins, public posts) counted in the database, shared by every node (issue #12).
    Migration {
        version: 23,
        name: "rate_events",
        sqlite: include_str!("../migrations/sqlite/0023_rate_events.sql"),
        postgres: include_str!("../migrations/postgres/0023_rate_events.sql"),
    },
];

pub(crate) async fn run(store: &Store) -> Result<()> {
    let pool = store.pool();
    pool.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .await?;
    for m in MIGRATIONS {
        let mut tx = pool.begin().await?;
        if store.backend() == Backend::Postgres {
            // Two servers starting at once must not both apply the same migration.
            tx.execute("LOCK TABLE schema_migrations IN EXCLUSIVE MODE").await?;
        }
        let done: Option<(i64,)> = sqlx::query_as("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(m.version)
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            // End the transaction now: a dropped one is rolled back only when its connection is next used, so
            // the table lock would stay held while the next iteration waits for it on another connection.
            tx.rollback().await?;
            continue;
        }
        let sql = match store.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::Other(format!("migration {} ({}) failed: {e}", m.version, m.name)))?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Tables in dependency order (parents first): what backup writes and restore reads.
pub const TABLES: &[&str] = &[
    "regions",
    "departments",
    "api_keys",
    "audit_log",
    "settings",
    "buildings",
    "houses",
    "households",
    "people",
    "person_history",
    // After people: a resident's account names its person.
    "users",
    "user_grants",
    "sessions",
    "rate_events",
    "tag_kinds",
    "person_tags",
    "household_tags",
    "organizations",
    "event_categories",
    "routing_rules",
    "calendar_days",
    "events",
    "event_departments",
    "event_actions",
    "visits",
    "attachments",
    "event_stats_day",
    "event_stats_month",
    "event_stats_person",
    "outbox",
    "patrol_routes",
    "patrols",
    "patrol_points",
    "patrol_checkins",
    "field_logs",
    "field_receipts",
    "dispute_types",
    "disputes",
    "dispute_parties",
    "dispute_actions",
    "safety_teams",
    "safety_team_members",
    // Community life (issue #9).
    "meetings",
    "meeting_participants",
    "meeting_resolutions",
    "resolution_progress",
    "social_org_profiles",
    "social_org_stages",
    "social_org_services",
    "co_building_units",
    "co_building_commitments",
    "co_building_progress",
    "co_building_days",
    "co_building_day_units",
    "volunteers",
    "volunteer_teams",
    "volunteer_team_members",
    "volunteer_activities",
    "volunteer_signups",
    "time_bank_entries",
    "volunteer_honours",
    "party_orgs",
    "party_members",
    "party_activities",
    "party_activity_attendance",
    "party_service_records",
    // Participation and transparency (issue #9).
    "notices",
    "notice_revisions",
    "participation_files",
    "ledger_entries",
    "ledger_decisions",
    "polls",
    "poll_voters",
    "poll_tallies",
    "poll_texts",
    "service_categories",
    "service_items",
    "service_applications",
    "service_steps",
    "service_sequences",
    "service_hours",
    "service_appointments",
    "service_slot_load",
    "admission_items",
    // 一表通 (issue #13): before community_tasks, whose data_request_id refers to it.
    "data_requests",
    "data_request_rows",
    "community_tasks",
    "event_open",
    "command_feed",
    "register_grid_counts",
    // Assessment (issue #10).
    "assessment_schemes",
    "star_assessments",
    "star_scores",
    "star_actions",
    "property_companies",
    "property_company_areas",
    "property_inspections",
    "property_surveys",
];
