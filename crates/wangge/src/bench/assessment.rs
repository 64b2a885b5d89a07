//! Assessment scenario (issue #10): the monthly score of every grid worker of a district — each metric with its
//! records (reports, verifications, ratings, cards, patrols, due visits) — against the raw grouped SQL of the
//! same counts in the same run. The district is the demo's with one worker per grid, a month of visits, and
//! per worker a month of reported events, verifications, ratings, a card now and then and daily patrols.

use super::Scenario;
use anyhow::{Context, Result};
use serde_json::json;
use std::time::Instant;
use wangge_app::{App, Config, system_actor};
use wangge_store::register::{Val, insert_batch};

pub async fn scenarios(quick: bool) -> Result<Vec<Scenario>> {
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let app = App::open(Config::new(dir.path().to_path_buf()), &crate::bench::database_url(dir.path()).await?).await?;
    app.ensure_reference_data().await?;
    let scale = if quick { wangge_demo::Scale::Small } else { wangge_demo::Scale::Street };
    app.load_demo(&system_actor("bench"), scale, 1, Some("bench-password-1")).await?;
    let grids: Vec<String> =
        app.store.grids_in("330199").await?.into_iter().map(|g| g.region.code.to_string()).collect();
    let workers = super::field::grid_workers(&app, &grids).await?;
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).date_naive();
    super::field::visit_history(&app, &workers, today).await?;
    let period = wangge_domain::assessment::Period::parse("period", &today.format("%Y-%m").to_string())?;
    let (from, _) = period.ms_range();
    let per_worker = if quick { 20 } else { 120 };
    // Events reported by each worker this month (half registered, a few self-handled), verified, rated, carded.
    let (max_id,): (i64,) =
        sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM events").fetch_one(app.store.pool()).await?;
    let mut id = max_id + 1_000;
    let mut tx = app.store.begin().await?;
    let ecols = [
        "id",
        "grid_code",
        "category_code",
        "description",
        "lat",
        "lon",
        "source",
        "status",
        "triage",
        "level",
        "reporter_user_id",
        "reported_at",
        "updated_at",
        "registered_at",
        "closed_at",
        "due_at",
        "satisfaction",
    ];
    let acols = ["event_id", "at", "action", "from_status", "to_status", "actor", "data"];
    let pcols = ["user_id", "grid_code", "started_at", "ended_at", "day", "points", "distance_m"];
    let (mut ev, mut ac, mut pa) = (Vec::new(), Vec::new(), Vec::new());
    for (g, w) in &workers {
        for i in 0..per_worker {
            let at = from + (i as i64 % 25) * 86_400_000 + 3_600_000;
            let registered = i % 2 == 0;
            let closed = i % 3 == 0;
            ev.push(vec![
                Val::Int(id),
                Val::from(g.as_str()),
                Val::from("E0103"),
                Val::from("bench"),
                Val::Real(Some(30.25)),
                Val::Real(Some(120.15)),
                Val::from("grid_worker"),
                Val::from(if closed {
                    "evaluated"
                } else if registered {
                    "dispatched"
                } else {
                    "reported"
                }),
                Val::from("general"),
                Val::from("community"),
                Val::Int(w.user_id),
                Val::Int(at),
                Val::Int(at),
                Val::IntOpt(registered.then_some(at)),
                Val::IntOpt(closed.then_some(at + 7_200_000)),
                Val::Int(at + 86_400_000),
                Val::IntOpt(closed.then_some(3 + (i as i64 % 3))),
            ]);
            if closed {
                ac.push(vec![
                    Val::Int(id),
                    Val::Int(at + 3_600_000),
                    Val::from("verify"),
                    Val::from("handled"),
                    Val::from("verified"),
                    Val::from(w.username.as_str()),
                    Val::from(r#"{"on_time":true}"#),
                ]);
                ac.push(vec![
                    Val::Int(id),
                    Val::Int(at + 8_000_000),
                    Val::from("evaluate"),
                    Val::from("closed"),
                    Val::from("evaluated"),
                    Val::from("admin"),
                    Val::from("{}"),
                ]);
            }
            if i % 10 == 0 {
                ac.push(vec![
                    Val::Int(id),
                    Val::Int(at + 1_000),
                    Val::from("supervise"),
                    Val::from("dispatched"),
                    Val::from("dispatched"),
                    Val::from("admin"),
                    Val::from(r#"{"card":"yellow"}"#),
                ]);
            }
            if i < 20 {
                let day = chrono::DateTime::from_timestamp_millis(at + 8 * 3_600_000)
                    .expect("day")
                    .format("%Y-%m-%d")
                    .to_string();
                pa.push(vec![
                    Val::Int(w.user_id),
                    Val::from(g.as_str()),
                    Val::Int(at),
                    Val::Int(at + 3_600_000),
                    Val::from(day.as_str()),
                    Val::Int(60),
                    Val::Real(Some(2_000.0)),
                ]);
            }
            id += 1;
        }
        if ev.len() >= 5_000 {
            insert_batch(&mut tx, "events", &ecols, &ev).await?;
            insert_batch(&mut tx, "event_actions", &acols, &ac).await?;
            insert_batch(&mut tx, "patrols", &pcols, &pa).await?;
            ev.clear();
            ac.clear();
            pa.clear();
        }
    }
    insert_batch(&mut tx, "events", &ecols, &ev).await?;
    insert_batch(&mut tx, "event_actions", &acols, &ac).await?;
    insert_batch(&mut tx, "patrols", &pcols, &pa).await?;
    tx.commit().await?;

    let admin = system_actor("bench");
    let code = period.code();
    let runs = if quick { 3 } else { 5 };
    let mut best = f64::MAX;
    let mut rows = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let scores = app.worker_scores(&admin, Some("330199"), Some(&code)).await?;
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        rows = scores.len();
    }
    anyhow::ensure!(rows >= workers.len(), "scored {rows} of {} workers", workers.len());
    let (from, to) = period.ms_range();
    let mut base = f64::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        app.store.worker_month_counts_raw("330199", from, to, &period.from_day(), &period.to_day()).await?;
        base = base.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    app.store.close().await;
    Ok(vec![Scenario {
        name: "assessment_month".into(),
        value: best,
        unit: "ms".into(),
        baseline: base,
        ratio: base / best.max(0.001),
        params: json!({ "workers": workers.len(), "events_per_worker": per_worker, "period": code,
            "baseline": "grouped SQL of the same counts (reports, valid, verifications, ratings, cards, patrol time, visits)" }),
    }])
}
