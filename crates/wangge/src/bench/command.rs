//! Command-centre scenarios (issue #11): the dashboard and the command map of a district holding 10,000,000
//! events and 1,000,000 residents, read from the rollups (the event_reads data set, plus the open-event rollup and
//! the register), each against the raw SQL of the same reads in the same run; the register counts' rebuild; and
//! the live feed's fan-out to 200 dashboards, from the 201 of a POST to arrival at every subscriber, against a
//! bare broadcast over the same server stack.

use super::Scenario;
use anyhow::{Context, Result};
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::time::{Duration, Instant};
use wangge_app::{App, Config, system_actor};
use wangge_store::register::{Val, insert_batch};

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

/// Adds the command centre's own data to the event_reads data set: the open events of a district of that size
/// (a backlog of `open`, a tenth of them overdue) and `residents` people with their households and group tags;
/// then measures the dashboard and the map against their raw queries.
pub async fn reads(app: &std::sync::Arc<App>, grids: &[String], events: usize, quick: bool) -> Result<Vec<Scenario>> {
    let (open, residents) = if quick { (2_000usize, 20_000usize) } else { (50_000, 1_000_000) };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
    let now = wangge_store::now_ms();
    let mut tx = app.store.begin().await?;
    let cols = ["event_id", "grid_code", "category_code", "status", "lat", "lon", "reported_at", "stage_due_at"];
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..open {
        let g = &grids[rng.gen_range(0..grids.len())];
        let overdue = rng.gen_bool(0.1);
        batch.push(vec![
            Val::Int(20_000_000 + i as i64),
            Val::from(g.as_str()),
            Val::from(["E0102", "E0501", "Z0201", "Z0301"][i % 4]),
            Val::from("dispatched"),
            Val::Real(Some(30.2 + rng.gen_range(0.0..0.1))),
            Val::Real(Some(120.1 + rng.gen_range(0.0..0.1))),
            Val::Int(now - rng.gen_range(0..5 * 86_400_000)),
            Val::Int(if overdue { now - 3_600_000 } else { now + 86_400_000 }),
        ]);
        if batch.len() == 10_000 {
            insert_batch(&mut tx, "event_open", &cols, &batch).await?;
            batch.clear();
        }
    }
    insert_batch(&mut tx, "event_open", &cols, &batch).await?;
    tx.commit().await?;

    // Residents: minimal rows (the register counts read grid, status and tags only), 2.8 per household, one in
    // ten with a group tag.
    let started = Instant::now();
    let mut tx = app.store.begin().await?;
    let pcols = [
        "name",
        "id_number_enc",
        "id_number_hash",
        "id_number_masked",
        "gender",
        "birth_date",
        "population_type",
        "grid_code",
        "created_at",
        "updated_at",
    ];
    let mut batch = Vec::with_capacity(10_000);
    let mut tags = Vec::with_capacity(10_000);
    let first_id: (i64,) =
        sqlx::query_as("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM people").fetch_one(&mut *tx).await?;
    for i in 0..residents {
        let g = &grids[i % grids.len()];
        batch.push(vec![
            Val::from("压测居民"),
            Val::from("-"),
            Val::from(format!("bench-{i}").as_str()),
            Val::from("-"),
            Val::from("male"),
            Val::from("1980-01-01"),
            Val::from("registered"),
            Val::from(g.as_str()),
            Val::Int(0),
            Val::Int(0),
        ]);
        if i % 10 == 0 {
            tags.push(vec![
                Val::Int(first_id.0 + i as i64 + 1),
                Val::from(["elderly", "disabled", "community_correction"][i % 3]),
            ]);
        }
        if batch.len() == 10_000 {
            insert_batch(&mut tx, "people", &pcols, &batch).await?;
            batch.clear();
        }
    }
    insert_batch(&mut tx, "people", &pcols, &batch).await?;
    for chunk in tags.chunks(10_000) {
        insert_batch(&mut tx, "person_tags", &["person_id", "tag"], chunk).await?;
    }
    tx.commit().await?;
    let seeded_s = started.elapsed().as_secs_f64();
    crate::bench::analyze(app).await?;

    let mut out = Vec::new();
    // The register counts' rebuild (every 10 minutes in the background) against the bare aggregate.
    let t = Instant::now();
    app.store.refresh_register_counts().await?;
    let refresh_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    sqlx::query("SELECT grid_code, COUNT(*) FROM people GROUP BY grid_code").fetch_all(app.store.pool()).await?;
    sqlx::query("SELECT p.grid_code, t.tag, COUNT(*) FROM person_tags t JOIN people p ON p.id = t.person_id GROUP BY p.grid_code, t.tag")
        .fetch_all(app.store.pool())
        .await?;
    let raw_refresh = t.elapsed().as_secs_f64() * 1000.0;
    out.push(Scenario {
        name: "command_register_counts".into(),
        value: refresh_ms,
        unit: "ms".into(),
        baseline: raw_refresh,
        ratio: raw_refresh / refresh_ms,
        params: json!({ "residents": residents, "tagged": tags.len(), "grids": grids.len(), "seeded_s": seeded_s,
            "note": "background rebuild every 10 min; the dashboard reads the result", "backend": crate::bench::backend_name() }),
    });

    let admin = system_actor("bench");
    let runs = if quick { 60 } else { 200 };
    let district = "330199";
    let (from, to) = ("2026-03-01", "2026-03-31");
    let dash = p95(runs, |_| {
        let (app, admin) = (app.clone(), admin.clone());
        async move {
            app.dashboard(&admin, Some(district), Some("2026-03")).await?;
            Ok(())
        }
    })
    .await?;
    // The same reads as raw SQL: period and today's totals, open and overdue per grid, per-grid sums for the
    // children, the category and department months, the 30-day trend, and the feed's head.
    let raw_dash = p95(runs, |_| {
        let app = app.clone();
        async move {
            let pool = app.store.pool();
            let sum = "SELECT CAST(SUM(reported) AS BIGINT), CAST(SUM(closed) AS BIGINT), CAST(SUM(registered) AS BIGINT), CAST(SUM(closed_on_time) AS BIGINT), CAST(SUM(satisfaction_sum) AS BIGINT), CAST(SUM(evaluated) AS BIGINT) FROM event_stats_day WHERE day >= $1 AND day <= $2";
            sqlx::query(sum).bind(from).bind(to).fetch_one(pool).await?;
            sqlx::query(sum).bind(to).bind(to).fetch_one(pool).await?;
            sqlx::query("SELECT grid_code, COUNT(*), CAST(SUM(CASE WHEN stage_due_at < $1 THEN 1 ELSE 0 END) AS BIGINT) FROM event_open GROUP BY grid_code")
                .bind(wangge_store::now_ms())
                .fetch_all(pool)
                .await?;
            sqlx::query("SELECT grid_code, CAST(SUM(reported) AS BIGINT), CAST(SUM(closed) AS BIGINT), CAST(SUM(registered) AS BIGINT) FROM event_stats_day WHERE day >= $1 AND day <= $2 GROUP BY grid_code")
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?;
            for dim in ["c:", "d:"] {
                sqlx::query("SELECT dim, CAST(SUM(reported) AS BIGINT), CAST(SUM(closed) AS BIGINT) FROM event_stats_month WHERE dim >= $1 AND dim < $2 AND month = '2026-03' GROUP BY dim")
                    .bind(dim)
                    .bind(format!("{};", &dim[..1]))
                    .fetch_all(pool)
                    .await?;
            }
            sqlx::query("SELECT day, CAST(SUM(reported) AS BIGINT), CAST(SUM(closed) AS BIGINT) FROM event_stats_day WHERE day >= '2026-03-02' AND day <= $1 GROUP BY day")
                .bind(to)
                .fetch_all(pool)
                .await?;
            sqlx::query("SELECT * FROM command_feed ORDER BY id DESC LIMIT 20").fetch_all(pool).await?;
            Ok(())
        }
    })
    .await?;
    out.push(Scenario {
        name: "command_dashboard".into(),
        value: dash,
        unit: "ms p95".into(),
        baseline: raw_dash,
        ratio: raw_dash / dash,
        params: json!({ "events_represented": events, "open_events": open, "residents": residents, "grids": grids.len(),
            "runs": runs, "backend": crate::bench::backend_name(), "target_ms": 200 }),
    });

    let map = p95(runs, |_| {
        let (app, admin) = (app.clone(), admin.clone());
        async move {
            app.command_map(&admin, Some(district)).await?;
            app.command_layer(&admin, "register", Some(district), None).await?;
            Ok(())
        }
    })
    .await?;
    let raw_map = p95(runs, |_| {
        let app = app.clone();
        async move {
            let pool = app.store.pool();
            sqlx::query("SELECT grid_code, COUNT(*) FROM event_open GROUP BY grid_code").fetch_all(pool).await?;
            sqlx::query("SELECT lat, lon FROM event_open ORDER BY event_id DESC LIMIT 5000").fetch_all(pool).await?;
            sqlx::query("SELECT grid_code, key, n FROM register_grid_counts").fetch_all(pool).await?;
            Ok(())
        }
    })
    .await?;
    out.push(Scenario {
        name: "command_map".into(),
        value: map,
        unit: "ms p95".into(),
        baseline: raw_map,
        ratio: raw_map / map,
        params: json!({ "open_events": open, "heat_points": wangge_app::command::HEAT_POINTS, "residents": residents,
            "grids": grids.len(), "runs": runs, "backend": crate::bench::backend_name(), "includes": "map + register layer", "target_ms": 200 }),
    });
    Ok(out)
}

/// Reads server-sent events from `path`, reporting each `event_id` it sees with the instant it arrived.
async fn subscribe(
    http: reqwest::Client,
    url: String,
    token: String,
    tx: tokio::sync::mpsc::UnboundedSender<(i64, Instant)>,
    ready: tokio::sync::mpsc::UnboundedSender<()>,
) -> Result<()> {
    let mut resp = http.get(&url).bearer_auth(&token).send().await?;
    anyhow::ensure!(resp.status().as_u16() == 200, "subscribe {url}: {}", resp.status());
    let _ = ready.send(());
    let mut buf = String::new();
    while let Some(chunk) = resp.chunk().await? {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let msg: String = buf.drain(..end + 2).collect();
            for line in msg.lines() {
                if let Some(data) = line.strip_prefix("data:")
                    && let Ok(v) = serde_json::from_str::<serde_json::Value>(data.trim())
                    && let Some(id) = v["event_id"].as_i64()
                {
                    let _ = tx.send((id, Instant::now()));
                }
            }
        }
    }
    Ok(())
}

/// Fan-out latency: `subscribers` SSE clients on `sse_path`; `rounds` POSTs to `post_path`; for each, the time
/// from its 201 to the last subscriber's arrival (ms). The POST answers `{"id"}`.
async fn fan_out(
    base: &str,
    token: &str,
    sse_path: &str,
    post_path: &str,
    body: &serde_json::Value,
    subscribers: usize,
    rounds: usize,
) -> Result<Vec<f64>> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(subscribers + 8).build()?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (ready_tx, mut ready) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for _ in 0..subscribers {
        tasks.push(tokio::spawn(subscribe(
            http.clone(),
            format!("{base}{sse_path}"),
            token.into(),
            tx.clone(),
            ready_tx.clone(),
        )));
    }
    for _ in 0..subscribers {
        tokio::time::timeout(Duration::from_secs(60), ready.recv()).await.context("subscribers connecting")?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut lat = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let r = http.post(format!("{base}{post_path}")).bearer_auth(token).json(body).send().await?;
        let acked = Instant::now();
        anyhow::ensure!(r.status().as_u16() == 201, "POST {post_path}: {}", r.status());
        let id = r.json::<serde_json::Value>().await?["id"].as_i64().context("id in the answer")?;
        let mut got = 0usize;
        let mut last = acked;
        let deadline = acked + Duration::from_secs(10);
        while got < subscribers {
            let left = deadline.checked_duration_since(Instant::now()).context("fan-out took over 10 s")?;
            let (eid, at) =
                tokio::time::timeout(left, rx.recv()).await.context("fan-out took over 10 s")?.context("closed")?;
            if eid == id {
                got += 1;
                last = last.max(at);
            }
        }
        lat.push(last.saturating_duration_since(acked).as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for t in tasks {
        t.abort();
    }
    lat.sort_by(f64::total_cmp);
    Ok(lat)
}

/// The live feed delivering a new event to `subscribers` dashboards (200; quick: 50).
pub async fn feed(quick: bool) -> Result<Scenario> {
    use axum::response::sse::{Event, Sse};
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let app = App::open(Config::new(dir.path().to_path_buf()), &crate::bench::database_url(dir.path()).await?).await?;
    app.ensure_reference_data().await?;
    app.load_demo(&system_actor("bench"), wangge_demo::Scale::Small, 1, Some("bench-password-1")).await?;
    app.ensure_admin(Some("bench-password-1")).await?;
    let token = app.login("admin", "bench-password-1", "bench").await?.token;
    // The baseline: a broadcast channel behind a POST and an SSE route, on the same server stack.
    let (btx, _) = tokio::sync::broadcast::channel::<i64>(1024);
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let (b1, b2) = (btx.clone(), btx.clone());
    let extra = axum::Router::new()
        .route(
            "/bench/feed",
            axum::routing::get(move || {
                let rx = b1.subscribe();
                async move {
                    let s = futures_util::stream::unfold(rx, |mut rx| async move {
                        let id = rx.recv().await.ok()?;
                        let ev = Event::default()
                            .id(id.to_string())
                            .event("new")
                            .data(json!({ "event_id": id }).to_string());
                        Some((Ok::<_, std::convert::Infallible>(ev), rx))
                    });
                    Sse::new(s)
                }
            }),
        )
        .route(
            "/bench/fire",
            axum::routing::post(move || {
                let id = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                let _ = b2.send(id);
                async move { (axum::http::StatusCode::CREATED, axum::Json(json!({ "id": id }))) }
            }),
        );
    let router = wangge_web::router_with(app.clone(), extra);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
    });
    let (subscribers, rounds) = if quick { (50, 5) } else { (200, 20) };
    let body = json!({ "category": "E0102", "description": "压测推送", "grid_code": "33019900100101" });
    let base_lat = fan_out(&base, &token, "/bench/feed", "/bench/fire", &json!({}), subscribers, rounds).await?;
    let lat =
        fan_out(&base, &token, "/api/v1/feed?region=330199", "/api/v1/events", &body, subscribers, rounds).await?;
    server.abort();
    let pct = |v: &[f64], p: usize| v[(v.len() * p / 100).min(v.len() - 1)];
    Ok(Scenario {
        name: "command_feed_fanout".into(),
        value: pct(&lat, 95),
        unit: "ms p95".into(),
        baseline: pct(&base_lat, 95),
        ratio: pct(&base_lat, 95) / pct(&lat, 95).max(0.001),
        params: json!({ "subscribers": subscribers, "rounds": rounds, "p50_ms": pct(&lat, 50), "max_ms": lat[lat.len() - 1],
            "baseline_p50_ms": pct(&base_lat, 50), "backend": "sqlite (one process; the tail polls every 100 ms)",
            "measured": "from the POST's 201 to arrival at the last subscriber", "target_ms": 1000 }),
    })
}
