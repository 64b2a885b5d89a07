//! `wangge bench`: performance scenarios (DESIGN.md §7). Each scenario measures the product's path and,
//! in the same run, the physical limit of the same work (its `baseline`), so `ratio` = value / baseline
//! (for rates) or baseline / value (for durations) is comparable across noisy machines: 1.0 means the
//! product adds nothing over the raw work; lower means overhead.

use anyhow::{Context, Result};
use geo::{BoundingRect, Intersects};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};
use rand::{Rng, SeedableRng};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Instant;
use wangge_app::{App, Config, system_actor};
use wangge_store::Store;
use wangge_store::register::{Val, insert_batch};

mod assessment;
mod command;
mod data_requests;
mod events;
mod field;
mod life;
mod participation;
mod search;
mod services;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Scenario {
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub baseline: f64,
    pub ratio: f64,
    pub params: Value,
}

/// Grid cells of ~100 m on a square lattice near Hangzhou, each edge split in three so that a polygon
/// has 12 vertices, as hand-drawn grids have more than four corners.
pub fn lattice(n: usize) -> Vec<(String, MultiPolygon<f64>)> {
    let side = (n as f64).sqrt().ceil() as usize;
    let (x0, y0, d) = (120.0, 30.0, 0.001);
    (0..n)
        .map(|k| {
            let (i, j) = ((k % side) as f64, (k / side) as f64);
            let corners = [
                (x0 + i * d, y0 + j * d),
                (x0 + (i + 1.0) * d, y0 + j * d),
                (x0 + (i + 1.0) * d, y0 + (j + 1.0) * d),
                (x0 + i * d, y0 + (j + 1.0) * d),
            ];
            let mut ring = Vec::with_capacity(13);
            for e in 0..4 {
                let (a, b) = (corners[e], corners[(e + 1) % 4]);
                for s in 0..3 {
                    let t = s as f64 / 3.0;
                    ring.push(Coord { x: a.0 + (b.0 - a.0) * t, y: a.1 + (b.1 - a.1) * t });
                }
            }
            ring.push(ring[0]);
            // Streets of 10 communities × 100 grids (100 streets at 100,000): codes that follow DESIGN.md §2.
            let code = format!("330199{:03}{:03}{:02}", k / 1000 + 1, (k / 100) % 10 + 1, k % 100);
            (code, MultiPolygon::new(vec![Polygon::new(LineString::new(ring), vec![])]))
        })
        .collect()
}

async fn insert_grids(app: &App, grids: &[(String, MultiPolygon<f64>)]) -> Result<()> {
    let now = wangge_store::now_ms();
    let mut rows: Vec<Vec<Val>> = vec![vec![
        "330199".into(),
        "基准区".into(),
        "district".into(),
        Val::Text(None),
        Val::Text(None),
        now.into(),
        now.into(),
    ]];
    let mut parents = std::collections::BTreeSet::new();
    for (code, _) in grids {
        parents.insert(code[..9].to_string());
        parents.insert(code[..12].to_string());
    }
    for p in parents {
        let (level, parent) = if p.len() == 9 { ("street", &p[..6]) } else { ("community", &p[..9]) };
        rows.push(vec![
            p.as_str().into(),
            format!("区域{p}").into(),
            level.into(),
            parent.into(),
            Val::Text(None),
            now.into(),
            now.into(),
        ]);
    }
    for (code, mp) in grids {
        rows.push(vec![
            code.as_str().into(),
            format!("网格{code}").into(),
            "grid".into(),
            code[..12].into(),
            wangge_domain::geometry::to_geojson(mp).to_string().into(),
            now.into(),
            now.into(),
        ]);
    }
    let mut tx = app.store.begin().await?;
    insert_batch(
        &mut tx,
        "regions",
        &["code", "name", "level", "parent_code", "boundary", "created_at", "updated_at"],
        &rows,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn points(n: usize, grids: usize, seed: u64) -> Vec<(f64, f64)> {
    let side = (grids as f64).sqrt().ceil();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| (120.0 + rng.gen_range(0.0..side * 0.001), 30.0 + rng.gen_range(0.0..side * 0.001))).collect()
}

/// The raw rstar + geo work with nothing around it: the physical limit of a lookup.
fn raw_lookups(grids: &[(String, MultiPolygon<f64>)], pts: &[(f64, f64)]) -> (f64, usize) {
    let entries: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = grids
        .iter()
        .enumerate()
        .filter_map(|(i, (_, mp))| {
            let r = mp.bounding_rect()?;
            Some(GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i))
        })
        .collect();
    let tree = RTree::bulk_load(entries);
    let start = Instant::now();
    let mut found = 0usize;
    for &(x, y) in pts {
        let p = Point::new(x, y);
        if tree.locate_in_envelope_intersecting(&AABB::from_point([x, y])).any(|e| grids[e.data].1.intersects(&p)) {
            found += 1;
        }
    }
    (pts.len() as f64 / start.elapsed().as_secs_f64(), found)
}

/// CPU seconds the process has used, all threads (Linux, 100 clock ticks per second; 0 elsewhere). On the shared
/// 2-core machine wall time moves with the neighbours' load; CPU time shows the work itself.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(0.0)
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

async fn grid_lookup(quick: bool) -> Result<Vec<Scenario>> {
    // A province has ≈ 100,000 grids (issue #12); a district a few hundred.
    let n_grids = if quick { 10_000 } else { 100_000 };
    let n_points = if quick { 200_000 } else { 2_000_000 };
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let app = App::open(Config::new(dir.path().to_path_buf()), &crate::bench::database_url(dir.path()).await?).await?;
    let grids = lattice(n_grids);
    insert_grids(&app, &grids).await?;

    let t = Instant::now();
    let indexed = app.rebuild_locator().await?;
    let rebuild_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let _ = wangge_domain::locator::GridLocator::new(grids.clone());
    let raw_build_ms = t.elapsed().as_secs_f64() * 1000.0;

    let pts = points(n_points, n_grids, 7);
    let (raw_rate, raw_found) = raw_lookups(&grids, &pts);
    let actor = system_actor("bench");
    let start = Instant::now();
    let mut found = 0usize;
    for &(lon, lat) in &pts {
        if app.locate(&actor, lat, lon, Some("wgs84")).is_ok() {
            found += 1;
        }
    }
    let rate = pts.len() as f64 / start.elapsed().as_secs_f64();
    anyhow::ensure!(found == raw_found, "product found {found} grids, raw baseline {raw_found}: results differ");
    let params = json!({ "grids": indexed, "points": n_points, "vertices_per_grid": 13, "backend": backend_name(), "rss_mib": rss_mib() });
    Ok(vec![
        Scenario {
            name: "grid_lookup".into(),
            value: rate,
            unit: "lookups/s".into(),
            baseline: raw_rate,
            ratio: rate / raw_rate,
            params: params.clone(),
        },
        Scenario {
            name: "grid_index_rebuild".into(),
            value: rebuild_ms,
            unit: "ms".into(),
            baseline: raw_build_ms,
            ratio: raw_build_ms / rebuild_ms,
            params,
        },
    ])
}

/// The PostgreSQL server benches use: `WANGGE_BENCH_PG` (any database on it) or the local test server.
fn pg_server() -> String {
    std::env::var("WANGGE_BENCH_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// The server the scenarios run on instead of SQLite, with `WANGGE_BENCH_BACKEND=postgres`.
fn scenario_pg() -> Option<String> {
    std::env::var("WANGGE_BENCH_BACKEND").is_ok_and(|b| b == "postgres").then(pg_server)
}

/// The backend the scenarios of this run use (for their `params`).
pub(crate) fn backend_name() -> &'static str {
    if scenario_pg().is_some() { "postgres" } else { "sqlite" }
}

/// A fresh database for one scenario: a SQLite file in its temporary directory, or on PostgreSQL a new database
/// on that server (`create_pg_database`).
pub(crate) async fn database_url(dir: &Path) -> Result<String> {
    match scenario_pg() {
        Some(server) => create_pg_database(&server).await,
        None => Ok(Store::sqlite_url(dir)),
    }
}

/// A new empty database on `server`, named `wangge_t_bench_PID_…` (dropped at the end of the run;
/// `scripts/test.sh` sweeps what a dead run left); its URL.
async fn create_pg_database(server: &str) -> Result<String> {
    let name = format!("wangge_t_bench_{}_{:08x}", std::process::id(), rand::random::<u32>());
    pg_exec(server, &format!("CREATE DATABASE {name}")).await?;
    let (base, query) = server.split_once('?').map_or((server, None), |(b, q)| (b, Some(q)));
    let base = base.rfind('/').filter(|i| *i > "postgres://".len()).map_or(base, |i| &base[..i]);
    Ok(match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    })
}

/// Statistics after a bulk load, as a running system has them: on PostgreSQL also VACUUM, which autovacuum runs
/// after a large insert anyway; without it the visibility map is empty and index-only scans (the capped counts
/// of event lists) read the heap.
pub(crate) async fn analyze(app: &App) -> Result<()> {
    let sql = match app.store.backend() {
        wangge_store::Backend::Postgres => "VACUUM ANALYZE",
        wangge_store::Backend::Sqlite => "ANALYZE",
    };
    sqlx::query(sql).execute(app.store.pool()).await?;
    Ok(())
}

async fn pg_exec(server: &str, sql: &str) -> Result<()> {
    use sqlx::{Connection, Executor};
    let mut c = sqlx::PgConnection::connect(server).await.context("connecting to the bench's PostgreSQL")?;
    c.execute(sql).await.with_context(|| sql.to_string())?;
    c.close().await?;
    Ok(())
}

/// Drops the databases this run made for its scenarios on PostgreSQL.
async fn drop_bench_databases() -> Result<()> {
    use sqlx::Connection;
    let Some(server) = scenario_pg() else { return Ok(()) };
    let mut c = sqlx::PgConnection::connect(&server).await?;
    let names: Vec<(String,)> = sqlx::query_as("SELECT CAST(datname AS TEXT) FROM pg_database WHERE datname LIKE $1")
        .bind(format!("wangge_t_bench_{}_%", std::process::id()))
        .fetch_all(&mut c)
        .await?;
    c.close().await?;
    for (name,) in names {
        pg_exec(&server, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await?;
    }
    Ok(())
}

pub async fn run(quick: bool, json_out: Option<&Path>) -> Result<u8> {
    let result = run_scenarios(quick, json_out).await;
    drop_bench_databases().await?;
    result
}

async fn run_scenarios(quick: bool, json_out: Option<&Path>) -> Result<u8> {
    let mut all = Vec::new();
    let backend = if scenario_pg().is_some() { "postgres" } else { "sqlite" };
    // WANGGE_BENCH_ONLY=imports,grids,http,search,events,field,participation,life,services,command,assessment,data_requests runs only those groups (all when unset);
    // event_ingest or event_reads runs half of the events group.
    let only = std::env::var("WANGGE_BENCH_ONLY").unwrap_or_default();
    let want = |group: &str| only.trim().is_empty() || only.split(',').any(|o| o.trim() == group);
    // Imports first, so that their peak RSS is their own.
    if want("imports") {
        all.extend(register_imports(quick).await?);
    }
    if want("grids") {
        all.extend(grid_lookup(quick).await?);
    }
    if want("http") {
        all.extend(http_api(quick).await?);
    }
    if want("search") {
        all.extend(search::scenarios(quick).await?);
    }
    if want("events") || want("event_ingest") {
        all.push(events::ingest(quick).await?);
    }
    if want("events") || want("event_reads") {
        all.extend(events::reads(quick).await?);
    }
    // The field day's baseline writes the same rows with rusqlite into the SQLite file: SQLite only.
    if want("field") && backend == "sqlite" {
        all.extend(field::scenarios(quick).await?);
    }
    if want("life") {
        all.extend(life::scenarios(quick).await?);
    }
    if want("participation") {
        all.extend(participation::scenarios(quick).await?);
    }
    if want("services") {
        all.extend(services::scenarios(quick).await?);
    }
    if want("command") || want("command_feed") {
        all.push(command::feed(quick).await?);
    }
    if want("assessment") {
        all.extend(assessment::scenarios(quick).await?);
    }
    if want("data_requests") {
        all.extend(data_requests::scenarios(quick).await?);
    }
    println!("backend: {backend}");
    println!("{:<22} {:>16} {:<10} {:>16} {:>7}", "scenario", "value", "unit", "baseline", "ratio");
    for s in &all {
        println!("{:<22} {:>16.1} {:<10} {:>16.1} {:>7.3}", s.name, s.value, s.unit, s.baseline, s.ratio);
    }
    if let Some(path) = json_out {
        let doc = json!({ "scenarios": all, "quick": quick, "backend": backend });
        std::fs::write(path, serde_json::to_vec_pretty(&doc)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(0)
}

/// Requests/s and p95 latency of GET `path` under `concurrency` keep-alive clients, `total` requests in all.
async fn load(base: &str, path: &str, token: &str, concurrency: usize, total: usize) -> Result<(f64, f64)> {
    let (rate, lat) = drive(base, path, token, &[], concurrency, total).await?;
    Ok((rate, percentile(&lat, 95)))
}

/// Runs `total` requests to `path` from `concurrency` keep-alive clients: GET when `bodies` is empty, else POSTs
/// of the JSON `bodies` dealt round-robin to the clients. Every answer must be a success. Returns requests/s and
/// the latencies (ms), sorted.
pub(crate) async fn drive(
    base: &str,
    path: &str,
    token: &str,
    bodies: &[String],
    concurrency: usize,
    total: usize,
) -> Result<(f64, Vec<f64>)> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let url = format!("{base}{path}");
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for w in 0..concurrency {
        let (client, url, token) = (client.clone(), url.clone(), token.to_string());
        let n = total / concurrency + usize::from(w < total % concurrency);
        let mine: Vec<String> = bodies.iter().skip(w).step_by(concurrency).cloned().collect();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(n);
            for i in 0..n {
                let req = match mine.get(i % mine.len().max(1)) {
                    Some(body) => client.post(&url).header("content-type", "application/json").body(body.clone()),
                    None => client.get(&url),
                };
                let t = Instant::now();
                let r = req.bearer_auth(&token).send().await?;
                let status = r.status();
                let text = r.text().await?;
                anyhow::ensure!(status.is_success(), "{url}: HTTP {status}: {text}");
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut all = Vec::with_capacity(total);
    for t in tasks {
        all.extend(t.await??);
    }
    let rate = all.len() as f64 / start.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    Ok((rate, all))
}

/// The `q`-th percentile of sorted latencies (0 when there are none).
pub(crate) fn percentile(sorted: &[f64], q: usize) -> f64 {
    sorted.get(sorted.len() * q / 100).copied().unwrap_or(0.0)
}

/// The API under HTTP load against a hello-world handler behind the same middleware, in the same process.
async fn http_api(quick: bool) -> Result<Vec<Scenario>> {
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let app = App::open(Config::new(dir.path().to_path_buf()), &crate::bench::database_url(dir.path()).await?).await?;
    app.ensure_reference_data().await?;
    let scale = if quick { wangge_demo::Scale::Small } else { wangge_demo::Scale::Street };
    app.load_demo(&system_actor("bench"), scale, 1, Some("bench-password-1")).await?;
    app.ensure_admin(Some("bench-password-1")).await?;
    let token = app.login("admin", "bench-password-1", "bench").await?.token;
    let hello = axum::Router::new().route("/bench/hello", axum::routing::get(|| async { "ok" }));
    let router = wangge_web::router_with(app.clone(), hello);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
    });
    let (concurrency, total) = if quick { (16, 4_000) } else { (64, 100_000) };
    let grid = "33019900100101";
    let (hello_rate, hello_p95) = load(&base, "/bench/hello", &token, concurrency, total).await?;
    let mut out = Vec::new();
    for (name, path) in [
        ("api_region_detail", format!("/api/v1/regions/{grid}")),
        ("api_locate", "/api/v1/locate?lat=30.27&lon=120.15&crs=gcj02".to_string()),
    ] {
        // A point outside every grid answers 404, which still exercises the whole path; only count successes here.
        let path = if name == "api_locate" { locate_path(&app, grid).await? } else { path };
        let (rate, p95) = load(&base, &path, &token, concurrency, total).await?;
        out.push(Scenario {
            name: name.into(),
            value: rate,
            unit: "req/s".into(),
            baseline: hello_rate,
            ratio: rate / hello_rate,
            params: json!({ "path": path, "concurrency": concurrency, "requests": total, "p95_ms": p95,
                            "baseline_p95_ms": hello_p95, "demo": format!("{scale:?}"), "backend": backend_name() }),
        });
    }
    server.abort();
    Ok(out)
}

/// A point inside `grid`, in GCJ-02 as a phone map would send it.
async fn locate_path(app: &App, grid: &str) -> Result<String> {
    let row = app.store.region(grid).await?.context("demo grid missing")?;
    let mp = wangge_domain::geometry::parse_boundary_json("boundary", row.boundary.as_deref().unwrap_or(""))?;
    let c = geo::Centroid::centroid(&mp).context("empty grid")?;
    let (x, y) = wangge_domain::coord::from_wgs84(wangge_domain::coord::Crs::Gcj02, c.x(), c.y());
    Ok(format!("/api/v1/locate?lat={y}&lon={x}&crs=gcj02"))
}

// ---------------------------------------------------------------------------------------------------------
// Register imports: a resident list through the product's import (parse, validate, blind index, encrypt,
// dedupe, link houses/households/grids, history, audit) against a raw rusqlite batched INSERT of the same rows.

const SURNAMES: &[&str] =
    &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "欧阳"];
const GIVEN: &[&str] =
    &["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛"];
const RELATIONS: &[&str] = &["户主", "配偶", "子"];

/// 10 communities × 10 grids under one street: codes as DESIGN.md §2.
fn bench_grids() -> Vec<String> {
    (0..100).map(|k| format!("330199001{:03}{:02}", k / 10 + 1, k % 10 + 1)).collect()
}

/// Resident number `i` of the generated list, as the 13 cells of the residents file. Three people per
/// household, one household per house; every number valid and unique.
fn resident_row(i: usize, grids: &[String]) -> [String; 13] {
    let hh = i / 3;
    let grid = &grids[hh % grids.len()];
    let birth =
        chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default() + chrono::Duration::days((i % 25_000) as i64);
    let seq = (i / 25_000) % 1000;
    let first17 = format!("330106{}{seq:03}", birth.format("%Y%m%d"));
    let check = wangge_domain::idcard::check_digit(&first17).unwrap_or('0');
    let tags = match (i % 10, hh % 30) {
        (0, 0) => "残疾人、低保",
        (0, _) => "残疾人",
        (_, 0) => "低保",
        _ => "",
    };
    [
        format!("{}{}", SURNAMES[i % SURNAMES.len()], GIVEN[(i / 7) % GIVEN.len()]),
        format!("{first17}{check}"),
        (if seq % 2 == 1 { "男" } else { "女" }).to_string(),
        birth.format("%Y-%m-%d").to_string(),
        "汉族".to_string(),
        format!("13{:09}", i),
        (if hh.is_multiple_of(4) { "流动人口" } else { "户籍人口" }).to_string(),
        format!("H{hh:08}"),
        RELATIONS[i % 3].to_string(),
        format!("清河区基准路{}号{}室", hh / 100, hh % 100 + 101),
        String::new(),
        grid.clone(),
        tags.to_string(),
    ]
}

fn write_residents_csv(path: &Path, n: usize, grids: &[String]) -> Result<()> {
    use std::io::Write;
    let f = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    writeln!(w, "{}", wangge_app::import_residents::RESIDENT_HEADERS.join(","))?;
    for i in 0..n {
        writeln!(w, "{}", resident_row(i, grids).join(","))?;
    }
    w.flush()?;
    Ok(())
}

fn write_residents_xlsx(path: &Path, n: usize, grids: &[String]) -> Result<()> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in wangge_app::import_residents::RESIDENT_HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    for i in 0..n {
        for (c, v) in resident_row(i, grids).iter().enumerate() {
            ws.write_string(i as u32 + 1, c as u16, v)?;
        }
    }
    wb.save(path)?;
    Ok(())
}

/// The physical limit: the same rows, already built, inserted with a prepared statement, 10,000 per transaction
/// (perf-anchors R_sql). Only the inserts are timed.
fn raw_insert_rate(path: &Path, n: usize, grids: &[String]) -> Result<f64> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")?;
    let cols: Vec<String> = (0..13).map(|c| format!("c{c} TEXT")).collect();
    conn.execute_batch(&format!("CREATE TABLE residents (id INTEGER PRIMARY KEY, {})", cols.join(", ")))?;
    let names: Vec<String> = (0..13).map(|c| format!("c{c}")).collect();
    let marks: Vec<String> = (1..=13).map(|c| format!("?{c}")).collect();
    let sql = format!("INSERT INTO residents ({}) VALUES ({})", names.join(", "), marks.join(", "));
    let mut timed = std::time::Duration::ZERO;
    let mut start = 0;
    while start < n {
        let end = (start + 10_000).min(n);
        let rows: Vec<[String; 13]> = (start..end).map(|i| resident_row(i, grids)).collect();
        let t = Instant::now();
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare_cached(&sql)?;
            for r in &rows {
                st.execute(rusqlite::params_from_iter(r.iter()))?;
            }
        }
        tx.commit()?;
        timed += t.elapsed();
        start = end;
    }
    Ok(n as f64 / timed.as_secs_f64())
}

/// Resets the peak RSS (VmHWM) so the next reading belongs to the scenario that follows.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

async fn import_residents_scenario(name: &str, xlsx: bool, n: usize, reimport: bool) -> Result<Scenario> {
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data)?;
    let grids = bench_grids();
    let file = dir.path().join(if xlsx { "residents.xlsx" } else { "residents.csv" });
    {
        let (file, grids) = (file.clone(), grids.clone());
        tokio::task::spawn_blocking(move || {
            if xlsx { write_residents_xlsx(&file, n, &grids) } else { write_residents_csv(&file, n, &grids) }
        })
        .await??;
    }
    let app = App::open(Config::new(data.clone()), &Store::sqlite_url(&data)).await?;
    app.ensure_reference_data().await?;
    insert_region_tree(&app, &grids).await?;
    let (secs, rss, cpu) = timed_import(&app, &file, n, name).await?;
    // The same file again: everybody is already registered, every row is rejected (and kept or spilled).
    let again = if reimport { Some(timed_reimport(&app, &file, n).await?) } else { None };
    app.store.close().await;
    let rate = n as f64 / secs;
    let raw_db = dir.path().join("raw.db");
    let n_grids = grids.len();
    let raw = tokio::task::spawn_blocking(move || raw_insert_rate(&raw_db, n, &grids)).await??;
    Ok(Scenario {
        name: name.into(),
        value: rate,
        unit: "rows/s".into(),
        baseline: raw,
        ratio: rate / raw,
        params: json!({ "rows": n, "rss_mib": rss, "seconds": secs, "cpu_seconds": cpu, "backend": "sqlite",
                        "reimport_seconds": again.map(|a| a.0), "reimport_rss_mib": again.map(|a| a.1),
                        "batch": wangge_app::import_residents::batch_rows(), "grids": n_grids,
                        "baseline_what": "rusqlite prepared INSERT of the same 13 text columns, 10k rows per transaction" }),
    })
}

/// Imports `file` (all `n` rows must be accepted): seconds, peak RSS in MiB and CPU seconds.
async fn timed_import(app: &App, file: &Path, n: usize, name: &str) -> Result<(f64, f64, f64)> {
    reset_peak_rss();
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let report = app
        .import_residents(
            &system_actor("bench"),
            wangge_app::import_residents::Source::Path(file),
            &wangge_app::import_residents::no_progress,
        )
        .await?;
    let secs = start.elapsed().as_secs_f64();
    let (rss, cpu) = (rss_mib(), cpu_seconds() - cpu);
    anyhow::ensure!(
        report.imported == n && report.rejected.is_empty(),
        "{name}: imported {} of {n}, first rejection: {:?}",
        report.imported,
        report.rejected.first().map(|r| &r.reason)
    );
    Ok((secs, rss, cpu))
}

/// Imports `file` a second time (every row must be rejected as registered): seconds and peak RSS in MiB.
async fn timed_reimport(app: &App, file: &Path, n: usize) -> Result<(f64, f64)> {
    reset_peak_rss();
    let start = Instant::now();
    let report = app
        .import_residents(
            &system_actor("bench"),
            wangge_app::import_residents::Source::Path(file),
            &wangge_app::import_residents::no_progress,
        )
        .await?;
    let secs = start.elapsed().as_secs_f64();
    let rss = rss_mib();
    anyhow::ensure!(
        report.imported == 0 && report.rejected_count() == n,
        "re-import: imported {}, rejected {} of {n}",
        report.imported,
        report.rejected_count()
    );
    Ok((secs, rss))
}

/// PostgreSQL for the COPY scenario: (server, a new database's URL); None when the server is unreachable.
async fn bench_pg() -> Option<(String, String)> {
    let admin = pg_server();
    let url = create_pg_database(&admin).await.ok()?;
    Some((admin, url))
}

async fn drop_bench_pg(admin: &str, url: &str) {
    let Some(name) = url.split('?').next().and_then(|u| u.rsplit('/').next()) else { return };
    let _ = pg_exec(admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
}

/// The physical limit on PostgreSQL: the same rows, already built, streamed with `COPY … FROM STDIN` into a
/// plain table of 13 text columns, 10,000 per transaction. Only the copies are timed.
async fn raw_copy_rate(url: &str, n: usize, grids: &[String]) -> Result<f64> {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::postgres::PgConnection::connect(url).await?;
    let cols: Vec<String> = (0..13).map(|c| format!("c{c} TEXT")).collect();
    let create = format!(
        "CREATE TABLE raw_residents (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, {})",
        cols.join(", ")
    );
    conn.execute(create.as_str()).await?;
    let names: Vec<String> = (0..13).map(|c| format!("c{c}")).collect();
    let sql = format!("COPY raw_residents ({}) FROM STDIN", names.join(", "));
    let mut timed = std::time::Duration::ZERO;
    let mut start = 0;
    while start < n {
        let end = (start + 10_000).min(n);
        let mut data = Vec::with_capacity((end - start) * 160);
        for i in start..end {
            data.extend_from_slice(resident_row(i, grids).join("\t").as_bytes());
            data.push(b'\n');
        }
        let t = Instant::now();
        let mut tx = conn.begin().await?;
        let mut copy = tx.copy_in_raw(&sql).await?;
        copy.send(data).await?;
        copy.finish().await?;
        tx.commit().await?;
        timed += t.elapsed();
        start = end;
    }
    conn.close().await?;
    Ok(n as f64 / timed.as_secs_f64())
}

/// The CSV import on PostgreSQL (COPY path) against a raw COPY of the same rows, when PostgreSQL is reachable.
async fn import_residents_pg_scenario(n: usize) -> Result<Option<Scenario>> {
    let Some((admin, url)) = bench_pg().await else {
        eprintln!("bench: PostgreSQL not reachable, skipping import_residents_pg_csv");
        return Ok(None);
    };
    let result = async {
        let dir = tempfile::tempdir().context("creating a temporary data directory")?;
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data)?;
        let grids = bench_grids();
        let file = dir.path().join("residents.csv");
        {
            let (file, grids) = (file.clone(), grids.clone());
            tokio::task::spawn_blocking(move || write_residents_csv(&file, n, &grids)).await??;
        }
        let app = App::open(Config::new(data.clone()), &url).await?;
        app.ensure_reference_data().await?;
        insert_region_tree(&app, &grids).await?;
        let (secs, rss, cpu) = timed_import(&app, &file, n, "import_residents_pg_csv").await?;
        app.store.close().await;
        let raw = raw_copy_rate(&url, n, &grids).await?;
        let rate = n as f64 / secs;
        Ok::<_, anyhow::Error>(Scenario {
            name: "import_residents_pg_csv".into(),
            value: rate,
            unit: "rows/s".into(),
            baseline: raw,
            ratio: rate / raw,
            params: json!({ "rows": n, "rss_mib": rss, "seconds": secs, "cpu_seconds": cpu, "backend": "postgres",
                            "batch": wangge_app::import_residents::batch_rows(),
                            "baseline_what": "COPY FROM STDIN of the same 13 text columns, 10k rows per transaction" }),
        })
    }
    .await;
    drop_bench_pg(&admin, &url).await;
    result.map(Some)
}

/// District → street → communities → the grids, without boundaries.
async fn insert_region_tree(app: &App, grids: &[String]) -> Result<()> {
    let now = wangge_store::now_ms();
    let row = |code: &str, level: &str, parent: Option<&str>| -> Vec<Val> {
        vec![
            code.into(),
            format!("区域{code}").into(),
            level.into(),
            Val::Text(parent.map(str::to_string)),
            Val::Text(None),
            now.into(),
            now.into(),
        ]
    };
    let mut rows = vec![row("330199", "district", None), row("330199001", "street", Some("330199"))];
    let communities: std::collections::BTreeSet<&str> = grids.iter().map(|g| &g[..12]).collect();
    for c in communities {
        rows.push(row(c, "community", Some("330199001")));
    }
    for g in grids {
        rows.push(row(g, "grid", Some(&g[..12])));
    }
    let mut tx = app.store.begin().await?;
    insert_batch(
        &mut tx,
        "regions",
        &["code", "name", "level", "parent_code", "boundary", "created_at", "updated_at"],
        &rows,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn register_imports(quick: bool) -> Result<Vec<Scenario>> {
    let (mut csv_rows, mut xlsx_rows, mut pg_rows) =
        if quick { (20_000, 5_000, 20_000) } else { (1_000_000, 100_000, 1_000_000) };
    // For experiments: WANGGE_BENCH_IMPORT_ROWS=CSV[,XLSX[,PG]] (PG 0 skips PostgreSQL).
    if let Ok(v) = std::env::var("WANGGE_BENCH_IMPORT_ROWS") {
        let mut it = v.split(',').filter_map(|s| s.trim().parse::<usize>().ok());
        csv_rows = it.next().unwrap_or(csv_rows).max(1);
        xlsx_rows = it.next().unwrap_or(xlsx_rows).max(1);
        pg_rows = it.next().unwrap_or(pg_rows);
    }
    let mut out = vec![
        import_residents_scenario("import_residents_csv", false, csv_rows, true).await?,
        import_residents_scenario("import_residents_xlsx", true, xlsx_rows, false).await?,
    ];
    if pg_rows > 0 {
        out.extend(import_residents_pg_scenario(pg_rows).await?);
    }
    Ok(out)
}
