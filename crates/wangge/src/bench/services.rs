//! Resident-services scenarios (issue #8), on SQLite: the back office's queue of a district department and the
//! station's desk queue over a district holding 200,000 applications (a year of them, one in twenty open), and
//! the front desk's acceptance of an application for a person of the register. Each is measured against the raw
//! database work of the same thing (the same page and count queries; the same rows inserted in one transaction),
//! the two alternating so that a neighbour's load falls on both.

use super::{Scenario, percentile, rss_mib};
use anyhow::{Context, Result};
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::time::Instant;
use wangge_app::services::{ApplicationInput, ApplicationQuery};
use wangge_app::{App, Config, system_actor};
use wangge_domain::scope::Actor;
use wangge_store::now_ms;
use wangge_store::register::{Val, insert_batch};

const DAY_MS: i64 = 86_400_000;

async fn actor(app: &App, username: &str) -> Result<Actor> {
    let u = app.store.user_by_name(username).await?.with_context(|| format!("no user {username}"))?;
    Ok(Actor { user_id: u.id, username: u.username, display_name: u.display_name, grants: u.grants })
}

/// `n` applications over the last year in the district, one in twenty still open (due within ten days either
/// way), the rest finished; items, people and stations as the demo has them. Returns how many were written.
async fn load_applications(app: &App, n: usize) -> Result<usize> {
    let people = app.store.residents_of("330199", 200_000).await?;
    anyhow::ensure!(!people.is_empty(), "the demo has no people");
    let items = app.store.service_items().await?;
    let cols = [
        "tracking_no",
        "item_code",
        "department_code",
        "person_id",
        "applicant_name",
        "grid_code",
        "community_code",
        "channel",
        "window_label",
        "status",
        "is_open",
        "materials",
        "note",
        "first_username",
        "first_name",
        "submitted_at",
        "accepted_at",
        "due_at",
        "finished_at",
        "updated_at",
    ];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
    let now = now_ms();
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let (pid, name, grid) = &people[rng.gen_range(0..people.len())];
        let item = &items[rng.gen_range(0..items.len())];
        let open = i % 20 == 7;
        let submitted = now - rng.gen_range(0..365) * DAY_MS - rng.gen_range(0..DAY_MS);
        let (status, due, finished) = if open {
            let s = ["accepted", "processing", "approved"][i % 3];
            (s, now + rng.gen_range(-10..10) * DAY_MS, None)
        } else {
            ("completed", submitted + 10 * DAY_MS, Some(submitted + rng.gen_range(1..12) * DAY_MS))
        };
        rows.push(vec![
            Val::Text(Some(format!("FWBENCH{i:012}"))),
            Val::Text(Some(item.code.clone())),
            Val::Text(item.department_code.clone()),
            Val::Int(*pid),
            Val::Text(Some(name.clone())),
            Val::Text(Some(grid.clone())),
            Val::Text(Some(grid[..12].to_string())),
            Val::Text(Some("window".into())),
            Val::Text(Some(format!("{}号窗口", 1 + i % 3))),
            Val::Text(Some(status.into())),
            Val::Int(open as i64),
            Val::Text(Some("[]".into())),
            Val::Text(Some(String::new())),
            Val::Text(Some("bench".into())),
            Val::Text(Some("窗口".into())),
            Val::Int(submitted),
            Val::Int(submitted),
            Val::Int(due),
            Val::IntOpt(finished),
            Val::Int(submitted),
        ]);
    }
    let mut tx = app.store.begin().await?;
    for chunk in rows.chunks(10_000) {
        insert_batch(&mut tx, "service_applications", &cols, chunk).await?;
    }
    tx.commit().await?;
    crate::bench::analyze(app).await?;
    Ok(n)
}

/// The raw queries of one queue page: the page and the capped count the list answers with.
async fn raw_queue(app: &App, filter: &str, binds: &[&str]) -> Result<usize> {
    let cols = "id, tracking_no, item_code, department_code, person_id, applicant_name, applicant_user_id, grid_code, \
         community_code, channel, window_label, status, resume_to, version, materials, note, first_user_id, first_username, \
         first_name, handler, submitted_at, accepted_at, due_at, paused_at, warned_at, escalated_at, decided_at, \
         finished_at, result, satisfaction, rating_note, rated_at, updated_at";
    let page = format!("SELECT {cols} FROM service_applications WHERE {filter} ORDER BY due_at, id LIMIT 30");
    let count = format!("SELECT COUNT(*) FROM (SELECT 1 FROM service_applications WHERE {filter} LIMIT 10001) AS m");
    let mut q = sqlx::query(&page);
    let mut c = sqlx::query(&count);
    for b in binds {
        q = q.bind(*b);
        c = c.bind(*b);
    }
    let rows = q.fetch_all(app.store.pool()).await?;
    c.fetch_one(app.store.pool()).await?;
    Ok(rows.len())
}

async fn queue_scenario(
    app: &App,
    name: &str,
    who: &Actor,
    filter: &str,
    binds: &[&str],
    runs: usize,
    total: usize,
) -> Result<Scenario> {
    let (mut lat, mut raw) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    let mut listed = 0;
    for _ in 0..runs {
        let q = ApplicationQuery { view: Some("queue"), limit: Some(30), ..Default::default() };
        let t = Instant::now();
        let page = app.list_applications(who, q).await?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        listed = page.items.len();
        let t = Instant::now();
        let n = raw_queue(app, filter, binds).await?;
        raw.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(n == listed, "{name}: the app listed {listed}, the raw query {n}");
    }
    lat.sort_by(f64::total_cmp);
    raw.sort_by(f64::total_cmp);
    let (value, baseline) = (percentile(&lat, 95), percentile(&raw, 95));
    Ok(Scenario {
        name: name.into(),
        value,
        unit: "ms p95".into(),
        baseline,
        ratio: baseline / value,
        params: json!({ "runs": runs, "applications": total, "page": listed, "p50_ms": percentile(&lat, 50),
            "baseline_p50_ms": percentile(&raw, 50), "backend": crate::bench::backend_name(), "rss_mib": rss_mib(),
            "baseline_what": "the same page and capped-count SQL run directly on the pool (no scope, catalogue, calendar or JSON)" }),
    })
}

/// The front desk accepts `runs` applications (an item the station does itself, all materials received), each
/// for another person; the baseline inserts the same rows (sequence, application, step, SMS, audit) raw in one
/// transaction.
async fn accept_scenario(app: &App, desk: &Actor, community: &str, runs: usize) -> Result<Scenario> {
    let people = app.store.residents_of(community, (runs * 3) as i64).await?;
    let (mut lat, mut raw) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    let mut skipped = 0;
    for (i, (pid, name, grid)) in people.iter().enumerate() {
        if lat.len() >= runs {
            break;
        }
        let input = ApplicationInput {
            item_code: "ZM01".into(),
            person_id: Some(*pid),
            received: vec!["居民身份证".into(), "房屋租赁合同或不动产权证书".into()],
            note: "子女入学".into(),
            window: "1号窗口".into(),
            ..Default::default()
        };
        let t = Instant::now();
        match app.create_application(desk, input).await {
            Ok(_) => lat.push(t.elapsed().as_secs_f64() * 1000.0),
            // The demo holds an open one for this person already (409): the next person.
            Err(e) if e.kind == wangge_app::ErrorKind::Conflict => {
                skipped += 1;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        let t = Instant::now();
        let now = now_ms();
        let mut tx = app.store.begin().await?;
        let seq: (i64,) = sqlx::query_as(
            "INSERT INTO service_sequences (prefix, n) VALUES ($1, 1) ON CONFLICT (prefix) DO UPDATE SET n = service_sequences.n + 1 RETURNING n",
        )
        .bind(format!("RAW{community}"))
        .fetch_one(&mut *tx)
        .await?;
        let id: (i64,) = sqlx::query_as(
            "INSERT INTO service_applications (tracking_no, item_code, person_id, applicant_name, grid_code, community_code, \
             channel, window_label, status, is_open, materials, note, first_user_id, first_username, first_name, submitted_at, \
             accepted_at, due_at, updated_at) VALUES ($1, 'ZM01', $2, $3, $4, $5, 'window', '1号窗口', 'accepted', 1, $6, '子女入学', \
             $7, $8, $9, $10, $10, $11, $10) RETURNING id",
        )
        .bind(format!("FWRAW{}{i:06}", seq.0))
        .bind(pid)
        .bind(name)
        .bind(grid)
        .bind(community)
        .bind(r#"[{"name":"居民身份证","required":true,"received":true},{"name":"房屋租赁合同或不动产权证书","required":true,"received":true}]"#)
        .bind(desk.user_id)
        .bind(&desk.username)
        .bind(&desk.display_name)
        .bind(now)
        .bind(now + DAY_MS)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO service_steps (application_id, action, from_status, to_status, actor, at, note, data) \
             VALUES ($1, 'accept', '', 'accepted', $2, $3, '', '{}')",
        )
        .bind(id.0)
        .bind(&desk.display_name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO outbox (at, channel, recipient_enc, body) VALUES ($1, 'sms', 'x', '【便民服务】已受理')",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, object, region_code) VALUES ($1, $2, 'application.accept', $3, $4)",
        )
        .bind(now)
        .bind(&desk.username)
        .bind(format!("application:{}", id.0))
        .bind(grid)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        raw.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    anyhow::ensure!(lat.len() == runs, "only {} acceptances ({skipped} people had one open)", lat.len());
    lat.sort_by(f64::total_cmp);
    raw.sort_by(f64::total_cmp);
    let (value, baseline) = (percentile(&lat, 95), percentile(&raw, 95));
    Ok(Scenario {
        name: "service_accept".into(),
        value,
        unit: "ms p95".into(),
        baseline,
        ratio: baseline / value,
        params: json!({ "runs": runs, "p50_ms": percentile(&lat, 50), "baseline_p50_ms": percentile(&raw, 50),
            "max_ms": lat.last(), "backend": crate::bench::backend_name(), "rss_mib": rss_mib(),
            "baseline_what": "the same rows (sequence, application, step, SMS, audit) inserted raw in one transaction; the app adds the register lookup, scope, materials check, duplicate check, calendar and reading back the detail" }),
    })
}

pub async fn scenarios(quick: bool) -> Result<Vec<Scenario>> {
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let app = App::open(Config::new(dir.path().to_path_buf()), &crate::bench::database_url(dir.path()).await?).await?;
    app.ensure_reference_data().await?;
    let scale = if quick { wangge_demo::Scale::Small } else { wangge_demo::Scale::Street };
    app.load_demo(&system_actor("bench"), scale, 1, Some("bench-password-1")).await?;
    let n = if quick { 20_000 } else { 200_000 };
    let total = load_applications(&app, n).await?;
    let minzheng = actor(&app, "demo_minzheng").await?;
    let desk = actor(&app, "demo_community").await?;
    let community = desk.grants.first().map(|g| g.region_code.clone()).context("the desk has no grant")?;
    let runs = if quick { 30 } else { 200 };
    let mut out = Vec::new();
    // Warm the caches (catalogue, calendar) so the first run is not a cold one.
    app.list_applications(&minzheng, ApplicationQuery { view: Some("queue"), limit: Some(1), ..Default::default() })
        .await?;
    let dept_filter = "(grid_code >= $1 AND grid_code < $2 AND department_code = $3) AND is_open = 1 \
         AND status IN ('accepted', 'processing', 'approved')";
    out.push(
        queue_scenario(
            &app,
            "service_dept_queue",
            &minzheng,
            dept_filter,
            &["330199", "330199:", "minzheng"],
            runs,
            total,
        )
        .await?,
    );
    let station_filter = "(grid_code >= $1 AND grid_code < $2) AND is_open = 1 \
         AND status IN ('submitted', 'accepted', 'processing', 'approved') AND (status = 'submitted' OR department_code IS NULL)";
    let hi = format!("{community}:");
    out.push(
        queue_scenario(&app, "service_station_queue", &desk, station_filter, &[&community, &hi], runs, total).await?,
    );
    out.push(accept_scenario(&app, &desk, &community, if quick { 30 } else { 200 }).await?);
    app.store.close().await;
    Ok(out)
}
