//! Issue #12: the command centre's dashboards read a PostgreSQL streaming standby when one is configured
//! (`WANGGE_READ_REPLICA_URL`), and the primary when the standby cannot be reached. `scripts/test.sh` starts
//! the standby (`scripts/pg-replica.sh`, pg_createcluster + pg_basebackup on this machine) and passes its
//! base URL in `WANGGE_TEST_PG_REPLICA`.

mod common;

use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

async fn open_kpi(c: &Client) -> i64 {
    let (s, d) = c.get(&format!("/api/v1/command/dashboard?region={DISTRICT}")).await;
    assert_eq!(s, 200, "{d}");
    d["kpis"]["open"].as_i64().unwrap()
}

/// Polls the dashboard until its open count is `want` (the standby replaying), for at most 30 s.
async fn wait_open(c: &Client, want: i64) -> bool {
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        if open_kpi(c).await == want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

async fn report(c: &Client, text: &str) -> i64 {
    let (s, v) = c.post("/api/v1/events", &json!({"category": "E0102", "description": text, "grid_code": GRID1})).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().unwrap()
}

async fn primary_open(url: &str) -> i64 {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM event_open WHERE grid_code >= $1 AND grid_code < $2")
        .bind(DISTRICT)
        .bind(format!("{DISTRICT}:"))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

/// With the standby's replay paused, a new report is stored (the primary takes writes) and listed (lists read
/// the primary) but the dashboard does not count it yet: the dashboard reads the standby. Replay resumed, the
/// dashboard catches up.
#[tokio::test]
async fn dashboards_read_the_standby() {
    let Some(base) = std::env::var("WANGGE_TEST_PG_REPLICA").ok().filter(|s| !s.is_empty()) else {
        assert!(std::env::var_os("WANGGE_REQUIRE_ALL_TESTS").is_none(), "WANGGE_TEST_PG_REPLICA is not set");
        eprintln!(
            "NOT RUN: WANGGE_TEST_PG_REPLICA is not set (scripts/test.sh starts a standby with scripts/pg-replica.sh)"
        );
        return;
    };
    let db = wangge_testkit::postgres().await;
    seed_demo(&db);
    let replica_url = format!("{base}/{}", db.pg_database().unwrap());
    let primary_url = db.url.clone();
    // The new database reaches the standby through the WAL like everything else.
    let until = Instant::now() + Duration::from_secs(30);
    let standby = loop {
        match sqlx::PgPool::connect(&replica_url).await {
            Ok(p) => break p,
            Err(e) if Instant::now() > until => panic!("the standby never had the test database: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    let srv = Server::start_env(db, &[("WANGGE_READ_REPLICA_URL", &replica_url)]);
    let leader = srv.login("demo_leader", DEMO_PW).await;
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    report(&worker, "副本测试：先报一件").await;
    let before = primary_open(&primary_url).await;
    assert!(wait_open(&leader, before).await, "the dashboard reached the primary's {before} open events");

    sqlx::query("SELECT pg_wal_replay_pause()").execute(&standby).await.unwrap();
    let id = report(&worker, "副本测试：暂停时上报").await;
    assert_eq!(primary_open(&primary_url).await, before + 1);
    let (s, listed) = worker.get(&format!("/api/v1/events/{id}")).await;
    assert_eq!(s, 200, "the report is stored and read back from the primary: {listed}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let paused = open_kpi(&leader).await;
    sqlx::query("SELECT pg_wal_replay_resume()").execute(&standby).await.unwrap();
    assert_eq!(paused, before, "while the standby is paused the dashboard does not see the new report");
    assert!(wait_open(&leader, before + 1).await, "the dashboard catches up once replay resumes");
    standby.close().await;
    srv.finish().await;
}

/// A standby that cannot be reached does not stop the server, and dashboards read the primary (current at
/// once). A replica for a SQLite database is refused at start with the reason.
#[tokio::test]
async fn dashboards_fall_back_to_the_primary() {
    let db = wangge_testkit::postgres().await;
    seed_demo(&db);
    let srv = Server::start_env(db, &[("WANGGE_READ_REPLICA_URL", "postgres://postgres@127.0.0.1:9/nowhere")]);
    let leader = srv.login("demo_leader", DEMO_PW).await;
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    let before = open_kpi(&leader).await;
    report(&worker, "副本测试：无副本").await;
    assert_eq!(open_kpi(&leader).await, before + 1, "read from the primary, current at once");
    srv.finish().await;

    let db = wangge_testkit::sqlite();
    let dir = db.data_dir();
    let r = wangge_env(
        &[("WANGGE_READ_REPLICA_URL", "postgres://postgres@127.0.0.1:5433/x")],
        &["serve", "--addr", "127.0.0.1:0", "--data", dir.to_str().unwrap(), "--database-url", &db.url],
        None,
    );
    expect_code(&r, 1, "a replica for SQLite");
    assert!(r.2.contains("read replica needs PostgreSQL"), "{}", r.2);
}
