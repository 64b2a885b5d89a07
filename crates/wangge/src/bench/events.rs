//! Event scenarios (issue #5): durable report ingest over HTTP with grid assignment against a trivial POST
//! handler under the same load; indicators read from the rollups and a grid's drill-down list, each against
//! the raw SQL of the same read in the same run.

use super::{Scenario, rss_mib};
use anyhow::{Context, Result};
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::HashMap;
use std::time::Instant;
use wangge_app::{App, Config, system_actor};
use wangge_store::register::{Val, insert_batch};

/// Requests/s, p50 and p99 latency (ms) of POSTing `bodies` round-robin under `concurrency` keep-alive clients.
async fn post_load(
    base: &str,
    path: &str,
    token: &str,
    bodies: &[String],
    concurrency: usize,
    total: usize,
) -> Result<(f64, f64, f64)> {
    let (rate, lat) = super::drive(base, path, token, bodies, concurrency, total).await?;
    Ok((rate, super::percentile(&lat, 50), super::percentile(&lat, 99)))
}

/// Points inside the demo grids (interior points, so every report lands in a grid), as JSON report bodies.
fn report_bodies(app: &App, grids: &[String], n: usize) -> Vec<String> {
    let loc = app.locator();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    (0..n)
        .map(|i| {
            let g = &grids[i % grids.len()];
            let (lon, lat) = loc.centre(g).unwrap_or((120.15, 30.27));
            // Anywhere within a few hundred metres of the grid's centre that lies inside some grid: reports
            // spread over the grids as in life, so the duplicate check finds the neighbours it would find there.
            let (x, y) = loop {
                let (dx, dy): (f64, f64) = (rng.gen_range(-0.003..0.003), rng.gen_range(-0.002..0.002));
                if loc.locate(lon + dx, lat + dy).is_some() {
                    break (lon + dx, lat + dy);
                }
            };
            let cat = ["E0102", "E0103", "E0501", "B0103", "E0201"][i % 5];
            json!({ "category": cat, "description": format!("压测上报{i}"), "lat": y, "lon": x }).to_string()
        })
        .collect()
}

pub async fn ingest(quick: bool) -> Result<Scenario> {
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let app = App::open(Config::new(dir.path().to_path_buf()), &crate::bench::database_url(dir.path()).await?).await?;
    app.ensure_reference_data().await?;
    let scale = if quick { wangge_demo::Scale::Small } else { wangge_demo::Scale::Street };
    app.load_demo(&system_actor("bench"), scale, 1, Some("bench-password-1")).await?;
    app.ensure_admin(Some("bench-password-1")).await?;
    let token = app.login("admin", "bench-password-1", "bench").await?.token;
    let grids: Vec<String> =
        app.store.grids_in("330199").await?.into_iter().map(|g| g.region.code.to_string()).collect();
    let hello = axum::Router::new()
        .route("/bench/post", axum::routing::post(|body: String| async move { body.len().to_string() }));
    let router = wangge_web::router_with(app.clone(), hello);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
    });
    let (concurrency, total) = if quick { (16, 1_500) } else { (64, 20_000) };
    let bodies = report_bodies(&app, &grids, 4_000.min(total));
    let (base_rate, base_p50, base_p99) = post_load(&base, "/bench/post", &token, &bodies, concurrency, total).await?;
    let (rate, p50, p99) = post_load(&base, "/api/v1/events", &token, &bodies, concurrency, total).await?;
    server.abort();
    let stored: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM events").fetch_one(app.store.pool()).await?;
    anyhow::ensure!(stored.0 as usize == total, "{} of {total} acknowledged reports stored", stored.0);
    Ok(Scenario {
        name: "event_ingest".into(),
        value: rate,
        unit: "req/s".into(),
        baseline: base_rate,
        ratio: rate / base_rate,
        params: json!({ "concurrency": concurrency, "requests": total, "p50_ms": p50, "p99_ms": p99,
            "baseline_p50_ms": base_p50, "baseline_p99_ms": base_p99, "grids": grids.len(), "backend": crate::bench::backend_name(),
            "durable": "201 after commit (WAL, synchronous=NORMAL)", "rss_mib": rss_mib() }),
    })
}

/// p95 (ms) of `f` over `n` runs.
async fn p95<F, Fut>(n: usize, mut f: F) -> Result<f64>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut lat = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        f(i).await?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    Ok(lat[lat.len() * 95 / 100])
}

/// Reads over a district holding many events: the rollups a year of them leaves (every grid × every day)
/// and the events themselves for a grid's drill-down list.
pub async fn reads(quick: bool) -> Result<Vec<Scenario>> {
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let app = App::open(Config::new(dir.path().to_path_buf()), &crate::bench::database_url(dir.path()).await?).await?;
    app.ensure_reference_data().await?;
    let scale = if quick { wangge_demo::Scale::Small } else { wangge_demo::Scale::Street };
    app.load_demo(&system_actor("bench"), scale, 1, Some("bench-password-1")).await?;
    let grids: Vec<String> =
        app.store.grids_in("330199").await?.into_iter().map(|g| g.region.code.to_string()).collect();
    // Issue #5: indicators and lists over 10,000,000 events.
    let (events, days) = if quick { (40_000usize, 60usize) } else { (10_000_000, 365) };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);

    // Rollups: one row per grid and day, per grid/month/category and per grid/month/department.
    let cols = [
        "grid_code",
        "day",
        "reported",
        "valid",
        "registered",
        "closed",
        "closed_on_time",
        "dispatched",
        "handled",
        "handled_on_time",
        "rework",
    ];
    let start_day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let per_day = (events / (grids.len() * days)).max(1) as i64;
    let mut rows = Vec::new();
    for g in &grids {
        for d in 0..days {
            let day = (start_day + chrono::Duration::days(d as i64)).format("%Y-%m-%d").to_string();
            let r = per_day + rng.gen_range(0..3);
            rows.push(vec![
                Val::from(g.as_str()),
                Val::from(day.as_str()),
                Val::Int(r),
                Val::Int(r),
                Val::Int(r - 1),
                Val::Int(r - 1),
                Val::Int(r - 2),
                Val::Int(r - 1),
                Val::Int(r - 1),
                Val::Int(r - 2),
                Val::Int(i64::from(rng.gen_bool(0.02))),
            ]);
        }
    }
    let day_rows = rows.len();
    let mut tx = app.store.begin().await?;
    insert_batch(&mut tx, "event_stats_day", &cols, &rows).await?;
    let mcols = ["dim", "grid_code", "month", "reported", "closed", "handled"];
    let dims: Vec<String> = ["E0102", "E0103", "E0501", "B0103", "E0201", "Z0101", "Z0301", "B0203"]
        .iter()
        .map(|c| format!("c:{c}"))
        .chain(["chengguan", "gongan", "zhujian", "minzheng", "yingji"].iter().map(|d| format!("d:{d}")))
        .collect();
    let mut mrows = Vec::new();
    for g in &grids {
        for m in 1..=days.div_ceil(30).min(12) {
            for dim in &dims {
                let n = rng.gen_range(1..200);
                mrows.push(vec![
                    Val::from(dim.as_str()),
                    Val::from(g.as_str()),
                    Val::from(format!("2026-{m:02}").as_str()),
                    Val::Int(n),
                    Val::Int(n - 1),
                    Val::Int(n - 1),
                ]);
            }
        }
    }
    insert_batch(&mut tx, "event_stats_month", &mcols, &mrows).await?;

    // Person rollups: a grid worker per grid, who reports and verifies there every month, and the same few
    // department handlers working across every grid.
    let ucols = ["username", "display_name", "password_hash", "created_at"];
    let workers: Vec<String> = (0..grids.len()).map(|i| format!("bench_gw_{i}")).collect();
    let handlers: Vec<String> = (0..5).map(|i| format!("bench_dept_{i}")).collect();
    let urows: Vec<Vec<Val>> = workers
        .iter()
        .chain(handlers.iter())
        .map(|u| vec![Val::from(u.as_str()), Val::from(u.as_str()), Val::from("!"), Val::Int(0)])
        .collect();
    insert_batch(&mut tx, "users", &ucols, &urows).await?;
    let ids: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT username, id FROM users WHERE username >= 'bench_' AND username < 'bench`'",
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    let pcols = ["user_id", "grid_code", "month", "reported", "valid", "verified", "verified_on_time", "handled"];
    let mut prows = Vec::new();
    for (gi, g) in grids.iter().enumerate() {
        for m in 1..=days.div_ceil(30).min(12) {
            let month = format!("2026-{m:02}");
            let n = rng.gen_range(20..60);
            prows.push(vec![
                Val::Int(ids[&workers[gi]]),
                Val::from(g.as_str()),
                Val::from(month.as_str()),
                Val::Int(n),
                Val::Int(n - 3),
                Val::Int(n / 2),
                Val::Int(n / 2 - 1),
                Val::Int(0),
            ]);
            for h in &handlers {
                prows.push(vec![
                    Val::Int(ids[h]),
                    Val::from(g.as_str()),
                    Val::from(month.as_str()),
                    Val::Int(0),
                    Val::Int(0),
                    Val::Int(0),
                    Val::Int(0),
                    Val::Int(rng.gen_range(1..40)),
                ]);
            }
        }
    }
    insert_batch(&mut tx, "event_stats_person", &pcols, &prows).await?;

    // Events: `events` rows spread over the grids (the drill-down reads one grid's newest page and count).
    let ecols = [
        "grid_code",
        "category_code",
        "description",
        "lat",
        "lon",
        "source",
        "status",
        "triage",
        "level",
        "reported_at",
        "updated_at",
    ];
    let t0 = 1_767_225_600_000i64; // 2026-01-01
    let spacing = (days as i64 * 86_400_000 / events as i64).max(1);
    let mut batch = Vec::with_capacity(20_000);
    for i in 0..events {
        let g = &grids[rng.gen_range(0..grids.len())];
        let at = t0 + (i as i64) * spacing;
        batch.push(vec![
            Val::from(g.as_str()),
            Val::from(["E0102", "E0103", "E0501", "B0103"][i % 4]),
            Val::from("压测事件"),
            Val::Real(Some(30.27)),
            Val::Real(Some(120.15)),
            Val::from("grid_worker"),
            Val::from(["closed", "dispatched", "reported", "evaluated"][i % 4]),
            Val::from("general"),
            Val::from("community"),
            Val::Int(at),
            Val::Int(at),
        ]);
        if batch.len() == 20_000 {
            insert_batch(&mut tx, "events", &ecols, &batch).await?;
            batch.clear();
        }
        // Commit every million rows so the write-ahead log stays small.
        if (i + 1) % 1_000_000 == 0 {
            tx.commit().await?;
            tx = app.store.begin().await?;
        }
    }
    insert_batch(&mut tx, "events", &ecols, &batch).await?;
    tx.commit().await?;
    crate::bench::analyze(&app).await?;

    let admin = system_actor("bench");
    let runs = if quick { 60 } else { 200 };
    let mut out = Vec::new();

    // District indicators for the year: the app path against the raw SUM over the same rows.
    let app_p95 = p95(runs, |_| {
        let (app, admin) = (app.clone(), admin.clone());
        async move {
            app.indicators(&admin, Some("330199"), Some("2026-01-01"), Some("2026-12-31")).await?;
            Ok(())
        }
    })
    .await?;
    let raw_p95 = p95(runs, |_| {
        let app = app.clone();
        async move {
            sqlx::query("SELECT CAST(SUM(reported) AS BIGINT), CAST(SUM(closed) AS BIGINT), CAST(SUM(registered) AS BIGINT) FROM event_stats_day WHERE day >= '2026-01-01' AND day <= '2026-12-31'")
                .fetch_one(app.store.pool())
                .await?;
            Ok(())
        }
    })
    .await?;
    out.push(Scenario {
        name: "event_indicators".into(),
        value: app_p95,
        unit: "ms p95".into(),
        baseline: raw_p95,
        ratio: raw_p95 / app_p95,
        params: json!({ "events_represented": events, "rollup_rows": day_rows, "grids": grids.len(), "days": days, "runs": runs, "backend": crate::bench::backend_name() }),
    });

    // Indicators by department (month rollups).
    let by_p95 = p95(runs, |_| {
        let (app, admin) = (app.clone(), admin.clone());
        async move {
            app.indicators_by(&admin, "department", Some("330199"), Some("2026-01-01"), Some("2026-12-31")).await?;
            Ok(())
        }
    })
    .await?;
    let raw_by = p95(runs, |_| {
        let app = app.clone();
        async move {
            sqlx::query(
                "SELECT dim, CAST(SUM(reported) AS BIGINT) FROM event_stats_month WHERE dim >= 'd:' AND dim < 'd;' GROUP BY dim",
            )
            .fetch_all(app.store.pool())
            .await?;
            Ok(())
        }
    })
    .await?;
    out.push(Scenario {
        name: "event_indicators_by_dept".into(),
        value: by_p95,
        unit: "ms p95".into(),
        baseline: raw_by,
        ratio: raw_by / by_p95,
        params: json!({ "month_rows": mrows.len(), "runs": runs, "backend": crate::bench::backend_name() }),
    });

    // Indicators by person (month rollups joined to the users' names).
    let person_p95 = p95(runs, |_| {
        let (app, admin) = (app.clone(), admin.clone());
        async move {
            app.indicators_by_person(&admin, Some("330199"), Some("2026-01-01"), Some("2026-12-31")).await?;
            Ok(())
        }
    })
    .await?;
    let raw_person = p95(runs, |_| {
        let app = app.clone();
        async move {
            sqlx::query(
                "SELECT user_id, CAST(SUM(reported) AS BIGINT), CAST(SUM(valid) AS BIGINT) FROM event_stats_person \
                 WHERE month >= '2026-01' AND month <= '2026-12' GROUP BY user_id",
            )
            .fetch_all(app.store.pool())
            .await?;
            Ok(())
        }
    })
    .await?;
    out.push(Scenario {
        name: "event_indicators_by_person".into(),
        value: person_p95,
        unit: "ms p95".into(),
        baseline: raw_person,
        ratio: raw_person / person_p95,
        params: json!({ "person_rows": prows.len(), "people": workers.len() + handlers.len(), "runs": runs, "backend": crate::bench::backend_name() }),
    });

    // A grid's drill-down: its newest page of events with the total, as the list API serves it.
    let list_p95 = p95(runs, |i| {
        let (app, admin, grid) = (app.clone(), admin.clone(), grids[i % grids.len()].clone());
        async move {
            let q = wangge_app::events::EventQuery { region: Some(&grid), limit: Some(20), ..Default::default() };
            app.list_events(&admin, q).await?;
            Ok(())
        }
    })
    .await?;
    let raw_list = p95(runs, |i| {
        let (app, grid) = (app.clone(), grids[i % grids.len()].clone());
        async move {
            sqlx::query("SELECT * FROM events WHERE grid_code = $1 ORDER BY id DESC LIMIT 20")
                .bind(&grid)
                .fetch_all(app.store.pool())
                .await?;
            Ok(())
        }
    })
    .await?;
    out.push(Scenario {
        name: "event_grid_list".into(),
        value: list_p95,
        unit: "ms p95".into(),
        baseline: raw_list,
        ratio: raw_list / list_p95,
        params: json!({ "events": events, "grids": grids.len(), "page": 20, "runs": runs, "backend": crate::bench::backend_name() }),
    });

    // The district's newest page with its total (counted up to the cap), against the raw indexed page.
    let district_p95 = p95(runs, |_| {
        let (app, admin) = (app.clone(), admin.clone());
        async move {
            let q = wangge_app::events::EventQuery { region: Some("330199"), limit: Some(20), ..Default::default() };
            app.list_events(&admin, q).await?;
            Ok(())
        }
    })
    .await?;
    let raw_district = p95(runs, |_| {
        let app = app.clone();
        async move {
            sqlx::query(
                "SELECT * FROM events WHERE grid_code >= '330199' AND grid_code < '330199:' ORDER BY id DESC LIMIT 20",
            )
            .fetch_all(app.store.pool())
            .await?;
            Ok(())
        }
    })
    .await?;
    out.push(Scenario {
        name: "event_district_list".into(),
        value: district_p95,
        unit: "ms p95".into(),
        baseline: raw_district,
        ratio: raw_district / district_p95,
        params: json!({ "events": events, "page": 20, "count_cap": wangge_store::events::COUNT_CAP, "runs": runs, "backend": crate::bench::backend_name() }),
    });
    // The command centre over the same district (issue #11).
    out.extend(super::command::reads(&app, &grids, events, quick).await?);
    Ok(out)
}
