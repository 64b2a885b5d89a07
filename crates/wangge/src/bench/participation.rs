//! Participation scenarios (issue #9), on the small demo with one community carrying a closed survey and a
//! happiness round of 50,000 ballots each (5,000 with `--quick`): the community's public portal page, and a poll's
//! public results. Each is timed against the raw database work of the same thing in the same run (the same
//! statements through the same pool, no app, no HTTP, no templates). Ballots are counted into tallies as they come,
//! so the results read a few dozen rows whatever the number of votes; `per_ballot_rows_ms` in the params shows what
//! reading one stored row per answer would cost instead.

use super::{Scenario, percentile};
use anyhow::{Context, Result};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sqlx::Row;
use std::time::Instant;
use wangge_app::participation::polls::{LoadedBallot, PollActionInput, PollInput};
use wangge_app::{App, Config, system_actor};
use wangge_domain::participation::{BallotChannel, Question};

const COMMUNITY: &str = "330199001001";
const STREET: &str = "330199001";

/// The statements the portal's home page runs, with their parameters, as the raw baseline runs them.
fn raw_home(today: &str, year: i64) -> Vec<(&'static str, Vec<Value>)> {
    let (c, s, d) = (json!(COMMUNITY), json!(STREET), json!(&COMMUNITY[..6]));
    let scope = || vec![c.clone(), s.clone(), d.clone()];
    vec![
        ("SELECT code, name, level, parent_code, boundary FROM regions WHERE code = $1", vec![c.clone()]),
        ("SELECT name FROM regions WHERE code = $1", vec![s.clone()]),
        ("SELECT name FROM regions WHERE code = $1", vec![d.clone()]),
        (
            "SELECT COUNT(*) FROM notices WHERE region_code IN ($1, $2, $3) AND status = 'published' \
             AND (expires_on IS NULL OR expires_on >= $4)",
            [scope(), vec![json!(today)]].concat(),
        ),
        (
            "SELECT id, region_code, category, title, body, status, pinned, expires_on, attachments, published_at, \
             version, created_by, created_at, updated_at FROM notices WHERE region_code IN ($1, $2, $3) \
             AND status = 'published' AND (expires_on IS NULL OR expires_on >= $4) \
             ORDER BY pinned DESC, published_at DESC, id DESC LIMIT 8",
            [scope(), vec![json!(today)]].concat(),
        ),
        (
            "SELECT e.year, e.direction, e.category, CAST(SUM(e.amount_fen) AS BIGINT), COUNT(*) FROM ledger_entries e \
             JOIN ledger_decisions d ON d.entry_id = e.id AND d.decision = 'approve' WHERE e.region_code >= $1 \
             AND e.region_code < $2 GROUP BY e.year, e.direction, e.category",
            vec![c.clone(), json!(format!("{COMMUNITY}:"))],
        ),
        (
            "SELECT SUBSTR(e.occurred_on, 1, 7), e.direction, CAST(SUM(e.amount_fen) AS BIGINT) FROM ledger_entries e \
             JOIN ledger_decisions d ON d.entry_id = e.id AND d.decision = 'approve' WHERE e.region_code >= $1 \
             AND e.region_code < $2 AND e.year = $3 GROUP BY SUBSTR(e.occurred_on, 1, 7), e.direction",
            vec![c.clone(), json!(format!("{COMMUNITY}:")), json!(year)],
        ),
        (
            "SELECT id, region_code, kind, title, description, questions, status, min_age, closes_at, opened_at, \
             closed_at, results_public, version, created_by, created_at, updated_at FROM polls \
             WHERE (region_code IN ($1, $2, $3) OR (region_code >= $4 AND region_code < $5)) \
             AND status IN ('open', 'closed') ORDER BY id DESC LIMIT 100",
            [scope(), vec![c.clone(), json!(format!("{COMMUNITY}:"))]].concat(),
        ),
        (
            "SELECT poll_id, community_code, channel, question, choice, n FROM poll_tallies WHERE poll_id IN \
             (SELECT id FROM polls WHERE region_code IN ($1, $2, $3) OR (region_code >= $4 AND region_code < $5)) \
             AND n <> 0",
            [scope(), vec![c.clone(), json!(format!("{COMMUNITY}:"))]].concat(),
        ),
    ]
}

/// What a poll's public results read, raw.
fn raw_results(poll: i64) -> Vec<(&'static str, Vec<Value>)> {
    vec![
        ("SELECT code, name, level, parent_code, boundary FROM regions WHERE code = $1", vec![json!(COMMUNITY)]),
        (
            "SELECT id, region_code, kind, title, description, questions, status, min_age, closes_at, opened_at, \
             closed_at, results_public, version, created_by, created_at, updated_at FROM polls WHERE id = $1",
            vec![json!(poll)],
        ),
        (
            "SELECT poll_id, community_code, channel, question, choice, n FROM poll_tallies WHERE poll_id = $1 AND n <> 0",
            vec![json!(poll)],
        ),
    ]
}

fn survey() -> Vec<Question> {
    serde_json::from_value(json!([
        { "kind": "single", "text": "您是否同意加装电梯？", "options": ["同意", "不同意", "无所谓"] },
        { "kind": "multiple", "text": "您最关心的问题", "options": ["费用分摊", "采光", "噪音", "维护"], "max_choices": 2 },
        { "kind": "scale", "text": "上下楼便利程度" },
        { "kind": "text", "text": "其他意见" }
    ]))
    .unwrap_or_default()
}

/// Opens a poll, loads `n` ballots of fake voters (ids beyond the register: the loader checks answers, not people),
/// closes it. Returns its id and the seconds the load took.
async fn poll_with_ballots(app: &App, input: PollInput, n: usize, happiness: bool) -> Result<(i64, f64)> {
    let admin = system_actor("bench");
    let p = app.create_poll(&admin, input).await?;
    let id = p.poll.id;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(15);
    let ballots: Vec<LoadedBallot> = (0..n)
        .map(|i| {
            let answers: Vec<Value> = if happiness {
                let mut a: Vec<Value> = (0..7).map(|_| json!(rng.gen_range(1..=5))).collect();
                a.push(Value::Null);
                a
            } else {
                vec![
                    json!(rng.gen_range(0..3)),
                    json!([rng.gen_range(0..2), rng.gen_range(2..4)]),
                    json!(rng.gen_range(1..=5)),
                    if i % 50 == 0 { json!(format!("意见{i}")) } else { Value::Null },
                ]
            };
            LoadedBallot {
                person_id: 10_000_000 + i as i64,
                community_code: COMMUNITY.into(),
                answers,
                channel: if i % 4 == 0 { BallotChannel::Paper } else { BallotChannel::Online },
            }
        })
        .collect();
    let t = Instant::now();
    app.load_ballots(id, &ballots).await?;
    let load_s = t.elapsed().as_secs_f64();
    app.act_on_poll(&admin, id, PollActionInput { action: "close".into(), version: None }).await?;
    Ok((id, load_s))
}

/// Mean milliseconds of `rounds` runs of the raw statements (each run executes every statement once).
async fn raw(store: &wangge_store::Store, statements: &[(&str, Vec<Value>)], rounds: usize) -> Result<f64> {
    let t = Instant::now();
    for _ in 0..rounds {
        for (q, binds) in statements {
            let mut query = sqlx::query(q);
            for b in binds {
                query = match b {
                    Value::Number(n) => query.bind(n.as_i64().unwrap_or_default()),
                    other => query.bind(other.as_str().unwrap_or_default().to_string()),
                };
            }
            let rows = query.fetch_all(store.pool()).await?;
            std::hint::black_box(rows.len());
        }
    }
    Ok(t.elapsed().as_secs_f64() * 1000.0 / rounds as f64)
}

/// Sequential GETs of `path` (keep-alive): mean and p95 in ms. Every answer must be 200.
async fn gets(base: &str, path: &str, n: usize) -> Result<(f64, f64)> {
    let client = reqwest::Client::new();
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = client.get(format!("{base}{path}")).send().await?;
        let status = r.status();
        let body = r.bytes().await?;
        anyhow::ensure!(status.is_success(), "{path}: HTTP {status}");
        std::hint::black_box(body.len());
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mean = lat.iter().sum::<f64>() / n as f64;
    lat.sort_by(f64::total_cmp);
    Ok((mean, percentile(&lat, 95)))
}

pub async fn scenarios(quick: bool) -> Result<Vec<Scenario>> {
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let app = App::open(Config::new(dir.path().to_path_buf()), &crate::bench::database_url(dir.path()).await?).await?;
    app.ensure_reference_data().await?;
    app.load_demo(&system_actor("bench"), wangge_demo::Scale::Small, 1, Some("bench-password-1")).await?;
    let votes = if quick { 5_000 } else { 50_000 };
    let requests = if quick { 60 } else { 300 };
    let base_input = |region: &str, kind: &str, title: &str, questions: Vec<Question>| PollInput {
        region_code: region.into(),
        kind: Some(kind.into()),
        title: title.into(),
        description: String::new(),
        questions,
        min_age: None,
        closes_on: None,
        results_public: Some(true),
        open: true,
    };
    let (poll, load_s) =
        poll_with_ballots(&app, base_input(COMMUNITY, "survey", "基准调查", survey()), votes, false).await?;
    poll_with_ballots(&app, base_input(STREET, "happiness", "基准幸福指数", Vec::new()), votes, true).await?;

    let router = wangge_web::router_with(app.clone(), axum::Router::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
    });

    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).context("UTC+8")?);
    let year: i64 = today.format("%Y").to_string().parse()?;
    let home = raw_home(&today.format("%Y-%m-%d").to_string(), year);
    // Warm both sides once.
    gets(&base, &format!("/p/{COMMUNITY}"), 3).await?;
    raw(&app.store, &home, 3).await?;
    let (page_ms, page_p95) = gets(&base, &format!("/p/{COMMUNITY}"), requests).await?;
    let raw_page_ms = raw(&app.store, &home, requests).await?;

    let results_path = format!("/api/v1/public/{COMMUNITY}/polls/{poll}");
    let body: Value = reqwest::get(format!("{base}{results_path}")).await?.json().await?;
    anyhow::ensure!(
        body["poll"]["ballots"] == json!(votes),
        "results count {} ballots: {body}",
        body["poll"]["ballots"]
    );
    let results = raw_results(poll);
    gets(&base, &results_path, 3).await?;
    let (results_ms, results_p95) = gets(&base, &results_path, requests).await?;
    let raw_results_ms = raw(&app.store, &results, requests).await?;

    // What storing one row per answer would cost to count, for the record (not the baseline: not the same work).
    let pool = app.store.pool();
    sqlx::query("CREATE TABLE bench_answer_rows (poll_id BIGINT, question BIGINT, choice BIGINT)")
        .execute(pool)
        .await?;
    let mut tx = app.store.begin().await?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
    let rows: Vec<Vec<wangge_store::register::Val>> = (0..votes * 4)
        .map(|i| {
            vec![
                wangge_store::register::Val::Int(poll),
                wangge_store::register::Val::Int((i % 4) as i64),
                wangge_store::register::Val::Int(rng.gen_range(0..4)),
            ]
        })
        .collect();
    wangge_store::register::insert_batch(&mut tx, "bench_answer_rows", &["poll_id", "question", "choice"], &rows)
        .await?;
    tx.commit().await?;
    let t = Instant::now();
    let counted = sqlx::query(
        "SELECT question, choice, COUNT(*) FROM bench_answer_rows WHERE poll_id = $1 GROUP BY question, choice",
    )
    .bind(poll)
    .fetch_all(pool)
    .await?;
    let per_row_ms = t.elapsed().as_secs_f64() * 1000.0;
    std::hint::black_box(counted.first().map(|r| r.try_get::<i64, _>(2)));
    server.abort();
    app.store.close().await;

    let params = |p95: f64, extra: Value| {
        let mut v = json!({ "votes": votes, "requests": requests, "p95_ms": p95, "community": COMMUNITY,
            "backend": crate::bench::backend_name(), "ballot_load_s": load_s, "per_ballot_rows_ms": per_row_ms });
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        v
    };
    Ok(vec![
        Scenario {
            name: "portal_page".into(),
            value: page_ms,
            unit: "ms".into(),
            baseline: raw_page_ms,
            ratio: raw_page_ms / page_ms,
            params: params(page_p95, json!({ "path": format!("/p/{COMMUNITY}"), "raw_statements": home.len() })),
        },
        Scenario {
            name: "poll_results".into(),
            value: results_ms,
            unit: "ms".into(),
            baseline: raw_results_ms,
            ratio: raw_results_ms / results_ms,
            params: params(results_p95, json!({ "path": results_path, "raw_statements": results.len() })),
        },
    ])
}
