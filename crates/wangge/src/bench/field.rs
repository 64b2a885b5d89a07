//! Field-work scenarios (issue #6), on one street demo: the "today" list of a grid worker whose grid holds 500
//! households with a year of monthly visits behind its 四必访 people, and a worker's whole offline day sent in
//! one sync request. Each is measured against the raw database work of the same thing in the same run.

use super::{Scenario, percentile, rss_mib};
use anyhow::{Context, Result};
use chrono::{Duration, FixedOffset, NaiveDate, TimeZone};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;
use wangge_app::field::{SyncItem, SyncRequest};
use wangge_app::{App, Config, system_actor};
use wangge_domain::role::Role;
use wangge_domain::scope::{Actor, Grant};
use wangge_store::register::{Val, insert_batch};
use wangge_store::{Store, now_ms};

const DAY_MS: i64 = 86_400_000;

fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Start of a China-time day in ms.
fn day_start(d: NaiveDate) -> i64 {
    cst().from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")).single().expect("no DST").timestamp_millis()
}

fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&cst()).date_naive()
}

/// One grid worker per grid, as real accounts with a `grid_worker` grant (so every scope check runs); no
/// password, so no slow hashing: the bench calls the use cases with the actor a login would produce.
pub(super) async fn grid_workers(app: &App, grids: &[String]) -> Result<HashMap<String, Actor>> {
    let mut tx = app.store.begin().await?;
    let mut ids = Vec::with_capacity(grids.len());
    for (i, g) in grids.iter().enumerate() {
        let id = Store::insert_user(&mut tx, &format!("bench_fw_{i}"), &format!("网格员{i}"), "!").await?;
        let grant = Grant { role: Role::GridWorker, region_code: g.clone(), department_code: None };
        Store::insert_grant(&mut tx, id, &grant).await?;
        ids.push(id);
    }
    tx.commit().await?;
    let mut out = HashMap::new();
    for (g, id) in grids.iter().zip(ids) {
        let u = app.store.user_by_id(id).await?.context("bench user vanished")?;
        out.insert(
            g.clone(),
            Actor { user_id: u.id, username: u.username, display_name: u.display_name, grants: u.grants },
        );
    }
    Ok(out)
}

/// The street demo's grids hold 360–435 households; the grid holds 500. Whole households (house and
/// people with them) of the other grids are moved into `target` until it holds `want`. Returns how many it holds.
async fn grow_grid(app: &App, target: &str, donors: &[String], want: i64) -> Result<i64> {
    let pool = app.store.pool();
    let (mut have,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM households WHERE grid_code = $1").bind(target).fetch_one(pool).await?;
    let mut tx = app.store.begin().await?;
    for d in donors {
        if have >= want {
            break;
        }
        let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM households WHERE grid_code = $1 ORDER BY id LIMIT $2")
            .bind(d)
            .bind(want - have)
            .fetch_all(&mut *tx)
            .await?;
        if ids.is_empty() {
            continue;
        }
        let list = ids.iter().map(|i| i.0.to_string()).collect::<Vec<_>>().join(",");
        for sql in [
            format!(
                "UPDATE houses SET grid_code = $1 WHERE id IN (SELECT house_id FROM households WHERE id IN ({list}))"
            ),
            format!("UPDATE households SET grid_code = $1 WHERE id IN ({list})"),
            format!("UPDATE people SET grid_code = $1 WHERE household_id IN ({list})"),
        ] {
            sqlx::query(&sql).bind(target).execute(&mut *tx).await?;
        }
        have += ids.len() as i64;
    }
    tx.commit().await?;
    Ok(have)
}

/// A year of monthly visits to everyone with a visiting rule, by their grid's worker: the last one between
/// 0 and 40 days ago (so some are overdue, some due this week, most not yet), one in twenty never visited.
/// Returns the number of visit rows.
pub(super) async fn visit_history(app: &App, workers: &HashMap<String, Actor>, on: NaiveDate) -> Result<usize> {
    // One row per person with a rule; a household rule is visited through one member (any counts).
    let cands = app.store.due_candidates("330199").await?;
    let mut seen_people = HashSet::new();
    let mut seen_households = HashSet::new();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
    let cols = [
        "person_id",
        "household_id",
        "grid_code",
        "user_id",
        "visited_at",
        "day",
        "recorded_at",
        "found",
        "situation",
        "needs",
        "risk",
        "note",
        "lat",
        "lon",
    ];
    let now = now_ms();
    let mut rows = Vec::new();
    for c in &cands {
        let first = if c.level == "household" {
            c.household_id.is_some_and(|h| seen_households.insert(h)) && seen_people.insert(c.person_id)
        } else {
            seen_people.insert(c.person_id)
        };
        let Some(worker) = workers.get(&c.grid_code) else { continue };
        if !first || rng.gen_bool(0.05) {
            continue;
        }
        let mut at = day_start(on) - rng.gen_range(0..40) * DAY_MS + rng.gen_range(9..17) * 3_600_000;
        let year_ago = day_start(on) - 365 * DAY_MS;
        while at > year_ago {
            let at_ms = at.min(now - 60_000);
            let day = cst().timestamp_millis_opt(at_ms).single().expect("valid time").format("%Y-%m-%d").to_string();
            let (situation, note) =
                if rng.gen_bool(0.15) { ("attention", "身体欠佳，需关注") } else { ("normal", "") };
            rows.push(vec![
                Val::Int(c.person_id),
                Val::IntOpt(c.household_id),
                Val::from(c.grid_code.as_str()),
                Val::Int(worker.user_id),
                Val::Int(at_ms),
                Val::from(day.as_str()),
                Val::Int(at_ms + 60_000),
                Val::Int(i64::from(rng.gen_bool(0.9))),
                Val::from(situation),
                Val::from(""),
                Val::from("same"),
                Val::from(note),
                Val::Real(c.lat),
                Val::Real(c.lon),
            ]);
            at -= rng.gen_range(27..34) * DAY_MS;
        }
    }
    let mut tx = app.store.begin().await?;
    for chunk in rows.chunks(20_000) {
        insert_batch(&mut tx, "visits", &cols, chunk).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

pub async fn scenarios(quick: bool) -> Result<Vec<Scenario>> {
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let app = App::open(Config::new(dir.path().to_path_buf()), &crate::bench::database_url(dir.path()).await?).await?;
    app.ensure_reference_data().await?;
    let scale = if quick { wangge_demo::Scale::Small } else { wangge_demo::Scale::Street };
    app.load_demo(&system_actor("bench"), scale, 1, Some("bench-password-1")).await?;
    let grids: Vec<String> =
        app.store.grids_in("330199").await?.into_iter().map(|g| g.region.code.to_string()).collect();
    anyhow::ensure!(grids.len() >= 4, "the demo has {} grids", grids.len());
    // The due-list grid is the first; the sync workers take grids from the other end, away from its donors.
    let target = grids[0].clone();
    // The small demo has about 40 households a grid: quick mode grows its grid from three neighbours only.
    let want = if quick { 150 } else { 500 };
    let households = grow_grid(&app, &target, &grids[1..], want).await?;
    let workers = grid_workers(&app, &grids).await?;
    let on = today();
    let history = visit_history(&app, &workers, on).await?;
    let mut out = vec![due_list(&app, &workers[&target], &target, households, history, quick).await?];
    let sync_grids: Vec<&String> = grids.iter().rev().take(if quick { 3 } else { 10 }).collect();
    out.push(sync(&app, dir.path(), &workers, &sync_grids, on, quick).await?);
    app.store.close().await;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------------
// field_due_list

/// The candidates query of `Store::due_candidates`, as the raw baseline runs it.
const RAW_CANDIDATES: &str = "SELECT p.id, p.name, p.gender, p.birth_date, p.household_id, p.relation, p.grid_code, \
     p.phone_masked, hs.id, COALESCE(hs.address, ''), hs.lat, hs.lon, k.code, k.visit_days, 'person' FROM person_tags t \
     JOIN tag_kinds k ON k.code = t.tag JOIN people p ON p.id = t.person_id \
     LEFT JOIN households hh ON hh.id = p.household_id LEFT JOIN houses hs ON hs.id = hh.house_id \
     WHERE k.visit_days IS NOT NULL AND p.grid_code >= $1 AND p.grid_code < $2 \
       AND p.residence_status = 'present' AND p.merged_into IS NULL \
     UNION ALL \
     SELECT p.id, p.name, p.gender, p.birth_date, p.household_id, p.relation, p.grid_code, \
     p.phone_masked, hs.id, COALESCE(hs.address, ''), hs.lat, hs.lon, k.code, k.visit_days, 'household' FROM household_tags t \
     JOIN tag_kinds k ON k.code = t.tag JOIN households hh ON hh.id = t.household_id \
     JOIN people p ON p.household_id = hh.id LEFT JOIN houses hs ON hs.id = hh.house_id \
     WHERE k.visit_days IS NOT NULL AND hh.grid_code >= $1 AND hh.grid_code < $2 \
       AND p.residence_status = 'present' AND p.merged_into IS NULL";

/// The last-visits group-by of `Store::last_visits`.
const RAW_LAST_VISITS: &str = "SELECT person_id, household_id, MAX(visited_at) FROM visits \
     WHERE grid_code >= $1 AND grid_code < $2 AND visited_at >= $3 GROUP BY person_id, household_id";

async fn due_list(
    app: &App,
    worker: &Actor,
    grid: &str,
    households: i64,
    history: usize,
    quick: bool,
) -> Result<Scenario> {
    let runs = if quick { 30 } else { 200 };
    let first = app.field_today(worker, None).await?;
    let people: (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM people WHERE grid_code = $1 AND residence_status = 'present'")
            .bind(grid)
            .fetch_one(app.store.pool())
            .await?;
    let (lo, hi) = (grid.to_string(), format!("{grid}:"));
    let candidates = sqlx::query(RAW_CANDIDATES).bind(&lo).bind(&hi).fetch_all(app.store.pool()).await?.len();
    let with_rule: (i64,) = sqlx::query_as("SELECT COUNT(DISTINCT person_id) FROM visits WHERE grid_code = $1")
        .bind(grid)
        .fetch_one(app.store.pool())
        .await?;
    // The app and the raw queries take turns, so that a neighbour's load on the machine falls on both alike.
    let since = day_start(today()) - 400 * DAY_MS;
    let (mut app_ms, mut raw_ms) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let t = Instant::now();
        app.field_today(worker, None).await?;
        app_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        sqlx::query(RAW_CANDIDATES).bind(&lo).bind(&hi).fetch_all(app.store.pool()).await?;
        sqlx::query(RAW_LAST_VISITS).bind(&lo).bind(&hi).bind(since).fetch_all(app.store.pool()).await?;
        raw_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    app_ms.sort_by(f64::total_cmp);
    raw_ms.sort_by(f64::total_cmp);
    let (value, baseline) = (percentile(&app_ms, 95), percentile(&raw_ms, 95));
    Ok(Scenario {
        name: "field_due_list".into(),
        value,
        unit: "ms p95".into(),
        baseline,
        ratio: baseline / value,
        params: json!({ "grid_households": households, "grid_people": people.0, "candidate_rows": candidates,
            "people_visited_in_grid": with_rule.0, "listed": first.visits.len(), "visit_rows": history, "runs": runs,
            "p50_ms": percentile(&app_ms, 50), "baseline_p50_ms": percentile(&raw_ms, 50),
            "backend": "sqlite", "baseline_what": "the due-candidates query and the last-visits GROUP BY, raw sqlx" }),
    })
}

// ---------------------------------------------------------------------------------------------------------
// field_sync

/// How a phone records a patrol: a fix every 5 s, sent as one `track` item every 30 s.
const FIX_EVERY_MS: i64 = 5_000;
const FIXES_PER_ITEM: usize = 6;

/// Fixes per `track` item: 6 (a batch every 30 s), or `WANGGE_BENCH_FIXES_PER_ITEM` for experiments.
fn fixes_per_item() -> usize {
    std::env::var("WANGGE_BENCH_FIXES_PER_ITEM")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(FIXES_PER_ITEM)
        .max(1)
}
const TRACK_POINTS: usize = 2_000;
const VISITS: usize = 50;
const EVENTS: usize = 5;

/// A person to visit: id, household, and the house's position.
type Visitable = (i64, Option<i64>, Option<f64>, Option<f64>);

/// The rows the day writes, for the raw baseline.
struct DayRows {
    user_id: i64,
    grid: String,
    visits: Vec<(i64, Option<i64>, i64)>,
    events: Vec<(i64, f64, f64)>,
    patrol_start: i64,
    points: Vec<[f64; 4]>,
}

fn item(key: String, kind: &str, at: i64, data: Value) -> SyncItem {
    SyncItem { key, kind: kind.into(), at, data }
}

/// A worker's day, in the order the phone's outbox holds it: 50 visits and 5 events between 9:00 and 17:00,
/// then an evening patrol of 2,000 fixes (about 2.8 hours) in 30-second batches with two GPS jumps, and its end.
fn day_items(
    run: usize,
    worker: &Actor,
    grid: &str,
    centre: (f64, f64),
    people: &[Visitable],
    day: NaiveDate,
    rng: &mut impl Rng,
) -> (Vec<SyncItem>, DayRows) {
    let t0 = day_start(day);
    let mut items = Vec::new();
    let mut rows = DayRows {
        user_id: worker.user_id,
        grid: grid.to_string(),
        visits: Vec::new(),
        events: Vec::new(),
        patrol_start: 0,
        points: Vec::new(),
    };
    let cats = ["E0102", "E0103", "E0501", "B0103", "E0201"];
    for v in 0..VISITS {
        let at = t0 + 9 * 3_600_000 + (v as i64) * 9 * 60_000 + rng.gen_range(0..60_000);
        let (pid, hh, lat, lon) = people[v % people.len()];
        let mut data = json!({ "person_id": pid, "found": rng.gen_bool(0.9),
            "situation": if v % 7 == 0 { "attention" } else { "normal" }, "needs": if v % 10 == 0 { "想申请助餐服务" } else { "" },
            "risk": "same", "note": "老人身体尚可，家中整洁，叮嘱注意用电安全" });
        if let (Some(lat), Some(lon)) = (lat, lon) {
            data["lat"] = json!(lat);
            data["lon"] = json!(lon);
        }
        items.push(item(format!("bench-{run:04}-visit-{v:04}"), "visit", at, data));
        rows.visits.push((pid, hh, at));
        // A finding on every tenth visit becomes an event (只报一次), reported from where the worker stands.
        if v % 10 == 9 && rows.events.len() < EVENTS {
            let e = rows.events.len();
            let (lat, lon) = (centre.1 + rng.gen_range(-0.0003..0.0003), centre.0 + rng.gen_range(-0.0003..0.0003));
            let data = json!({ "category": cats[e % cats.len()], "description": format!("走访中发现问题{run}-{e}"),
                "lat": lat, "lon": lon, "grid_code": grid, "person_id": pid });
            items.push(item(format!("bench-{run:04}-event-{e:04}"), "event", at + 120_000, data));
            rows.events.push((at + 120_000, lat, lon));
        }
    }
    let start = t0 + 18 * 3_600_000 + rng.gen_range(0..600_000);
    let patrol = format!("bench-{run:04}-patrol");
    items.push(item(patrol.clone(), "patrol_start", start, json!({ "team": "平安巡防队", "grid_code": grid })));
    rows.patrol_start = start;
    // A walk at about 1.2 m/s from the grid's centre, turning now and then.
    let (mut lat, mut lon) = (centre.1, centre.0);
    let mut heading: f64 = rng.gen_range(0.0..std::f64::consts::TAU);
    for i in 0..TRACK_POINTS {
        heading += rng.gen_range(-0.3..0.3);
        let step = 6.0 / 111_000.0;
        lat += step * heading.cos();
        lon += step * heading.sin() / lat.to_radians().cos();
        let at = start + 1_000 + i as i64 * FIX_EVERY_MS;
        let jump = if i == 700 || i == 1_500 { 0.9 } else { 0.0 };
        rows.points.push([at as f64, lat + jump, lon, rng.gen_range(5.0..30.0_f64).round()]);
    }
    for (b, chunk) in rows.points.chunks(fixes_per_item()).enumerate() {
        let at = chunk.last().map_or(start, |p| p[0] as i64);
        let data = json!({ "patrol": patrol, "points": chunk });
        items.push(item(format!("bench-{run:04}-track-{b:04}"), "track", at, data));
    }
    let end = start + 1_000 + TRACK_POINTS as i64 * FIX_EVERY_MS;
    items.push(item(format!("bench-{run:04}-patrol-end"), "patrol_end", end, json!({ "patrol": patrol })));
    (items, rows)
}

/// The physical limit of the day's writes: the same visit, event, patrol and track-point rows inserted with
/// prepared statements in one transaction, on a connection of its own to the same database file.
fn raw_day(db: &Path, run: usize, r: &DayRows) -> Result<f64> {
    let mut conn = rusqlite::Connection::open(db)?;
    conn.execute_batch("PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
    let now = now_ms();
    let day = |ms: i64| cst().timestamp_millis_opt(ms).single().map(|t| t.format("%Y-%m-%d").to_string());
    let t = Instant::now();
    let tx = conn.transaction()?;
    {
        let mut st = tx.prepare_cached(
            "INSERT INTO visits (person_id, household_id, grid_code, user_id, visited_at, day, recorded_at, found, \
             situation, needs, risk, note, lat, lon) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, 'normal', '', 'same', ?8, NULL, NULL)",
        )?;
        for &(pid, hh, at) in &r.visits {
            st.execute(rusqlite::params![
                pid,
                hh,
                r.grid,
                r.user_id,
                at,
                day(at),
                now,
                "老人身体尚可，家中整洁，叮嘱注意用电安全"
            ])?;
        }
        let mut st = tx.prepare_cached(
            "INSERT INTO events (grid_code, category_code, description, lat, lon, source, status, triage, level, \
             reporter_user_id, external_id, reported_at, updated_at, due_at, stage_due_at) \
             VALUES (?1, 'E0102', ?2, ?3, ?4, 'grid_worker', 'reported', 'general', 'community', ?5, ?6, ?7, ?8, ?9, ?9)",
        )?;
        for (e, &(at, lat, lon)) in r.events.iter().enumerate() {
            let external = format!("m:{}:bench-raw-{run}-{e}", r.user_id);
            st.execute(rusqlite::params![
                r.grid,
                "走访中发现问题",
                lat,
                lon,
                r.user_id,
                external,
                at,
                now,
                at + DAY_MS
            ])?;
        }
        tx.execute(
            "INSERT INTO patrols (user_id, team, grid_code, started_at, day) VALUES (?1, '平安巡防队', ?2, ?3, ?4)",
            rusqlite::params![r.user_id, r.grid, r.patrol_start, day(r.patrol_start)],
        )?;
        let patrol = tx.last_insert_rowid();
        let mut st = tx.prepare_cached(
            "INSERT INTO patrol_points (patrol_id, at, lat, lon, accuracy) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for p in &r.points {
            st.execute(rusqlite::params![patrol, p[0] as i64, p[1], p[2], p[3]])?;
        }
        let last = r.points.last().map_or(r.patrol_start, |p| p[0] as i64);
        tx.execute(
            "UPDATE patrols SET points = ?1, last_point_at = ?2, ended_at = ?2 WHERE id = ?3",
            rusqlite::params![r.points.len() as i64, last, patrol],
        )?;
    }
    tx.commit()?;
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

async fn sync(
    app: &App,
    data_dir: &Path,
    workers: &HashMap<String, Actor>,
    grids: &[&String],
    on: NaiveDate,
    quick: bool,
) -> Result<Scenario> {
    // Every worker's day, on consecutive past days (the outbox of a worker who was offline that day).
    let days = if quick { 1 } else { 2 };
    let loc = app.locator();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(66);
    let (mut lat, mut raw, mut items_per_day) = (Vec::new(), Vec::new(), 0);
    let db = data_dir.join("wangge.db");
    let mut run = 0;
    for d in 0..days {
        for g in grids {
            let worker = &workers[*g];
            // Visits go first to the grid's people with a visiting rule, then to anyone present.
            let people: Vec<Visitable> = sqlx::query_as(
                "SELECT p.id, p.household_id, hs.lat, hs.lon FROM people p \
                 LEFT JOIN households hh ON hh.id = p.household_id LEFT JOIN houses hs ON hs.id = hh.house_id \
                 WHERE p.grid_code = $1 AND p.residence_status = 'present' AND p.merged_into IS NULL \
                 ORDER BY EXISTS (SELECT 1 FROM person_tags t JOIN tag_kinds k ON k.code = t.tag \
                   WHERE t.person_id = p.id AND k.visit_days IS NOT NULL) DESC, p.id LIMIT $2",
            )
            .bind(g.as_str())
            .bind(VISITS as i64)
            .fetch_all(app.store.pool())
            .await?;
            anyhow::ensure!(!people.is_empty(), "grid {g} has nobody to visit");
            let centre = loc.centre(g).context("grid without a boundary")?;
            let day = on - Duration::days(1 + d as i64);
            let (items, rows) = day_items(run, worker, g, centre, &people, day, &mut rng);
            items_per_day = items.len();
            let req = SyncRequest { client_now: now_ms(), items };
            let t = Instant::now();
            let resp = app.field_sync(worker, req).await?;
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
            let bad: Vec<_> = resp.results.iter().filter(|r| r.status != "created").collect();
            anyhow::ensure!(bad.is_empty(), "field_sync: {} items not created, first: {:?}", bad.len(), bad.first());
            let db = db.clone();
            raw.push(tokio::task::spawn_blocking(move || raw_day(&db, run, &rows)).await??);
            run += 1;
        }
    }
    lat.sort_by(f64::total_cmp);
    raw.sort_by(f64::total_cmp);
    let (value, baseline) = (percentile(&lat, 95), percentile(&raw, 95));
    Ok(Scenario {
        name: "field_sync".into(),
        value,
        unit: "ms p95".into(),
        baseline,
        ratio: baseline / value,
        params: json!({ "runs": lat.len(), "workers": grids.len(), "p50_ms": percentile(&lat, 50),
            "max_ms": lat.last(), "baseline_p50_ms": percentile(&raw, 50), "items": items_per_day, "visits": VISITS,
            "events": EVENTS, "track_points": TRACK_POINTS, "track_items": TRACK_POINTS.div_ceil(fixes_per_item()),
            "backend": "sqlite", "rss_mib": rss_mib(),
            "baseline_what": "rusqlite prepared INSERTs of the same visit, event, patrol and track-point rows in one transaction" }),
    })
}
