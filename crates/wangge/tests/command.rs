//! 指挥中心 (issue #11) end to end, on both backends: the dashboard and map follow events reported through the API
//! (from the rollups), scope and roles (leaders read, grid workers are refused, another street is not found),
//! bad input by field, layers (counts for all, individuals only for those who read the register), the report
//! and its workbook (numbers checked with calamine, watermarked, audited), and the live feed: delivered to a
//! subscriber, scoped to its subtree, resumed with Last-Event-ID, and shared by two server processes on one
//! database.

mod common;

use common::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The small demo with its demo events, served.
fn demo_server(db: TestDb) -> Server {
    let r = wangge_on(&db, &["demo", "--scale", "small", "--events"], None);
    expect_code(&r, 0, "wangge demo --scale small --events");
    assert!(r.1.contains("demo events loaded: "), "{}", r.1);
    // Twice: refused, nothing written.
    let again = wangge_on(&db, &["demo", "--scale", "small", "--events"], None);
    assert_eq!(again.0, 1, "{}", again.2);
    Server::start(db)
}

async fn report(c: &Client, category: &str, grid: &str, text: &str) -> i64 {
    let (s, b) =
        c.post("/api/v1/events", &json!({ "category": category, "description": text, "grid_code": grid })).await;
    assert_eq!(s, 201, "{b}");
    b["id"].as_i64().unwrap()
}

#[track_caller]
fn field_error(r: &Resp, field: &str) {
    assert_eq!(r.0, 400, "{}", r.1);
    assert_eq!(r.1["error"]["details"]["field"], field, "{}", r.1);
}

/// A server-sent event stream read message by message.
struct Sse {
    resp: reqwest::Response,
    buf: String,
}

impl Sse {
    async fn open(c: &Client, path: &str, last_event_id: Option<&str>) -> Sse {
        let mut b = c.request(reqwest::Method::GET, path).timeout(Duration::from_secs(120));
        if let Some(id) = last_event_id {
            b = b.header("Last-Event-ID", id);
        }
        let resp = b.send().await.expect("GET feed");
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        Sse { resp, buf: String::new() }
    }

    /// The next message's (id, event, data), or None after `wait`.
    async fn next(&mut self, wait: Duration) -> Option<(String, String, Value)> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let msg: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (String::new(), String::new(), String::new());
                for line in msg.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                return Some((id, event, serde_json::from_str(&data).expect("feed data is JSON")));
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.resp.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// Waits for the entry of `event_id`, returning it (and failing on anything outside `prefix` on the way).
    async fn expect_event(&mut self, event_id: i64, prefix: &str, wait: Duration) -> (String, String, Value) {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.checked_duration_since(Instant::now()).unwrap_or_default();
            let Some(m) = self.next(left).await else { panic!("event {event_id} did not arrive within {wait:?}") };
            assert!(m.2["grid_code"].as_str().unwrap().starts_with(prefix), "outside {prefix}: {}", m.2);
            if m.2["event_id"] == event_id {
                return m;
            }
        }
    }
}

async fn dashboard(c: &Client, region: &str) -> Value {
    let (s, d) = c.get(&format!("/api/v1/command/dashboard?region={region}")).await;
    assert_eq!(s, 200, "{d}");
    d
}

async fn dashboard_and_map(db: TestDb) {
    let server = demo_server(db);
    let admin = server.admin().await;
    let leader = server.login("demo_leader", DEMO_PW).await;
    let before = dashboard(&leader, DISTRICT).await;
    // The demo district is alive: months of events, some open and overdue.
    assert!(before["kpis"]["reported"].as_i64().unwrap() + before["kpis"]["open"].as_i64().unwrap() > 0, "{before}");
    assert!(before["kpis"]["overdue"].as_i64().unwrap() > 0, "{}", before["kpis"]);
    assert_eq!(before["trend"].as_array().unwrap().len(), 30);
    let keys: Vec<&str> = before["panels"].as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["field", "disputes", "safety", "services", "assessment"]);
    // Every source is in this build: each panel has figures for a leader.
    for p in before["panels"].as_array().unwrap() {
        assert_eq!(p["available"], true, "{p}");
        assert!(!p["figures"].as_array().unwrap().is_empty(), "{p}");
    }
    // The demo district's star declaration of this year waits for review.
    let stars = before["panels"].as_array().unwrap().iter().find(|p| p["key"] == "assessment").unwrap();
    assert_eq!(stars["figures"][2]["value"], "1", "{stars}");

    let id = report(&admin, "E0102", GRID1, "指挥中心测试：垃圾满溢").await;
    let after = dashboard(&leader, DISTRICT).await;
    for k in ["today_reported", "open"] {
        assert_eq!(
            after["kpis"][k].as_i64().unwrap(),
            before["kpis"][k].as_i64().unwrap() + 1,
            "{k}: {}",
            after["kpis"]
        );
    }
    assert_eq!(after["feed"][0]["event_id"], id, "{}", after["feed"]);
    assert!(after["feed_last_id"].as_i64().unwrap() >= after["feed"][0]["id"].as_i64().unwrap());
    // Drill down: the street, then the community, then the grid, each re-scoped.
    let street = dashboard(&leader, STREET1).await;
    assert_eq!(street["path"].as_array().unwrap().len(), 2, "{}", street["path"]);
    assert!(street["children"].as_array().unwrap().iter().all(|c| c["code"].as_str().unwrap().starts_with(STREET1)));
    let grid = dashboard(&leader, GRID1).await;
    assert_eq!(grid["children"].as_array().unwrap().len(), 1);
    assert_eq!(grid["children"][0]["code"], GRID1);
    assert!(grid["kpis"]["open"].as_i64().unwrap() >= 1);
    let (s, m) = leader.get(&format!("/api/v1/command/map?region={COMMUNITY1}")).await;
    assert_eq!(s, 200, "{m}");
    let g1 = m["grids"].as_array().unwrap().iter().find(|g| g["code"] == GRID1).expect("GRID1 has open events");
    assert!(g1["open"].as_i64().unwrap() >= 1);
    assert!(["open", "overdue", "hot"].contains(&g1["load"].as_str().unwrap()));
    assert!(!m["heat"].as_array().unwrap().is_empty());
    assert!(m["grids"].as_array().unwrap().iter().all(|g| g["code"].as_str().unwrap().starts_with(COMMUNITY1)));
    // Closing it takes it off the map and out of "open".
    let (s, b) =
        admin.post(&format!("/api/v1/events/{id}/actions"), &json!({ "action": "void", "note": "测试" })).await;
    assert_eq!(s, 200, "{b}");
    let closed = dashboard(&leader, DISTRICT).await;
    assert_eq!(closed["kpis"]["open"], before["kpis"]["open"], "{}", closed["kpis"]);

    // Scope and roles.
    let worker = server.login("demo_grid_worker", DEMO_PW).await;
    assert_eq!(worker.get("/api/v1/command/dashboard").await.0, 403);
    let street_user = server.login("demo_street", DEMO_PW).await;
    let (s, d) = street_user.get(&format!("/api/v1/command/dashboard?region={STREET2}")).await;
    assert_eq!(s, 404, "{d}");
    let (s, d) = street_user.get("/api/v1/command/dashboard").await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["region"]["code"], STREET1);
    assert_eq!(leader.get("/api/v1/command/dashboard?region=999999").await.0, 404);

    // Bad input, field by field.
    field_error(&leader.get("/api/v1/command/dashboard?period=2026-13").await, "period");
    field_error(&leader.get("/api/v1/command/dashboard?period=Q4").await, "period");
    field_error(&leader.get("/api/v1/command/dashboard?bogus=1").await, "bogus");
    field_error(&leader.get("/api/v1/command/layers/nothing").await, "layer");
    field_error(&leader.get("/api/v1/command/layers/register?tag=nope").await, "tag");
    field_error(&leader.get("/api/v1/command/report").await, "period");
    field_error(&leader.get("/api/v1/command/report?period=2026-Q9").await, "period");
    field_error(&leader.get("/api/v1/feed?after=-3").await, "after");
    field_error(&leader.get("/api/v1/feed?after=x").await, "after");

    // Layers: counts for the leader, individuals only for those who read the register.
    let (s, l) = leader.get(&format!("/api/v1/command/layers/register?region={DISTRICT}")).await;
    assert_eq!(s, 200, "{l}");
    let residents: f64 =
        l["grids"].as_array().unwrap().iter().map(|g| g["values"]["residents"].as_f64().unwrap_or(0.0)).sum();
    let (_, region) = admin.get(&format!("/api/v1/regions/{DISTRICT}")).await;
    assert!(residents > 0.0 && residents <= region["residents"].as_f64().unwrap(), "{residents} vs {region}");
    assert!(l["points"].as_array().unwrap().is_empty());
    assert!(l["as_of"].is_string());
    assert_eq!(leader.get("/api/v1/command/layers/register?tag=elderly").await.0, 403);
    assert_eq!(leader.get("/api/v1/command/layers/register?tag=community_correction").await.0, 403);
    let (s, l) = admin.get(&format!("/api/v1/command/layers/register?region={DISTRICT}&tag=elderly")).await;
    assert_eq!(s, 200, "{l}");
    assert!(!l["points"].as_array().unwrap().is_empty(), "admin sees where the elderly live");
    let (s, l) = leader.get("/api/v1/command/layers/stations").await;
    assert_eq!((s, l["available"].clone()), (200, json!(false)), "{l}");
    let (s, l) = leader.get("/api/v1/command/layers/hazards").await;
    assert_eq!(s, 200, "{l}");
    assert!(l["points"].as_array().unwrap().iter().all(|p| p["href"].as_str().unwrap().starts_with("/events/")));
    let (s, l) = leader.get("/api/v1/command/layers/patrols").await;
    assert_eq!(s, 200, "{l}");
    server.finish().await;
}

async fn reports(db: TestDb) {
    let server = demo_server(db);
    let admin = server.admin().await;
    let leader = server.login("demo_leader", DEMO_PW).await;
    let d = dashboard(&leader, DISTRICT).await;
    let period = d["period"].as_str().unwrap().to_string();
    let (s, r) = leader.get(&format!("/api/v1/command/report?region={DISTRICT}&period={period}")).await;
    assert_eq!(s, 200, "{r}");
    let keys: Vec<&str> = r["sections"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["events", "indicators", "field", "disputes", "safety", "services", "assessment"]);
    for sec in r["sections"].as_array().unwrap() {
        assert_eq!(sec["available"], true, "{sec}");
    }
    // Assessment results: the year's star ratings, departments ranked, and (for a month) the grid workers.
    let assessment = r["sections"].as_array().unwrap().iter().find(|s| s["key"] == "assessment").unwrap();
    let tables: Vec<&str> =
        assessment["tables"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert_eq!(tables, ["stars", "departments", "grid_workers"], "{assessment}");
    assert!(!assessment["tables"][0]["rows"].as_array().unwrap().is_empty(), "{assessment}");
    assert!(!assessment["tables"][2]["rows"].as_array().unwrap().is_empty(), "{assessment}");
    // The services section counts what the services statistics count over the same days.
    let (y, mo): (i32, u32) = (period[..4].parse().unwrap(), period[5..7].parse().unwrap());
    let first = chrono::NaiveDate::from_ymd_opt(y, mo, 1).unwrap();
    let last = (first + chrono::Months::new(1)).pred_opt().unwrap();
    let (s, st) = leader.get(&format!("/api/v1/service-stats?region={DISTRICT}&from={first}&to={last}")).await;
    assert_eq!(s, 200, "{st}");
    let services = r["sections"].as_array().unwrap().iter().find(|s| s["key"] == "services").unwrap();
    assert_eq!(services["tables"][0]["rows"][0][1], st["total"], "{services}");
    assert_eq!(services["tables"][0]["rows"][1][1], st["completed"], "{services}");
    let totals = &r["sections"][0]["tables"][0];
    assert_eq!(totals["rows"][0][1], d["kpis"]["reported"], "this month's reports as the dashboard counts them");
    let q = format!("/api/v1/command/report?region={DISTRICT}&period={}", &period[..4]);
    field_error(&leader.get(&format!("{q}-Q5")).await, "period");
    let (s, q4) = leader.get(&format!("/api/v1/command/report?region={DISTRICT}&period={}-Q4", &period[..4])).await;
    assert_eq!(s, 200, "{q4}");
    assert_eq!(q4["from"], format!("{}-10-01", &period[..4]));

    // The workbook: through the page, with the session cookie.
    let token = leader.token.clone().unwrap();
    let resp = leader
        .http
        .get(leader.url(&format!("/command/reports.xlsx?region={DISTRICT}&period={period}")))
        .header("cookie", format!("wangge_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let bytes = resp.bytes().await.unwrap().to_vec();
    use calamine::{DataType, Reader};
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx opens");
    let names = wb.sheet_names();
    assert_eq!(names.first().map(String::as_str), Some("封面"));
    assert!(names.iter().any(|n| n == "便民服务办件情况"), "{names:?}");
    let events = wb.worksheet_range("事件办理情况").expect("events sheet");
    let reported_row =
        events.rows().find(|row| row.first().is_some_and(|c| c.to_string().starts_with("上报数"))).expect("上报数 row");
    assert_eq!(reported_row[1].get_float().map(|f| f as i64), d["kpis"]["reported"].as_i64(), "{reported_row:?}");
    let info = wb.worksheet_range("导出信息").unwrap();
    assert!(info.get((0, 0)).unwrap().to_string().starts_with("导出人 "), "watermark");
    let (s, audit) = admin.get("/api/v1/audit?action=export").await;
    assert_eq!(s, 200, "{audit}");
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["actor"] == "demo_leader" && a["object"].as_str().unwrap().starts_with("command_report")),
        "{audit}"
    );
    // The print page renders every section.
    let (s, html) = {
        let r = leader
            .http
            .get(leader.url(&format!("/command/reports?region={DISTRICT}&period={period}")))
            .header("cookie", format!("wangge_session={token}"))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    assert_eq!(s, 200);
    for k in ["events", "indicators", "field", "disputes", "safety", "services", "assessment"] {
        assert!(html.contains(&format!("id=\"section-{k}\"")), "{k}");
    }
    server.finish().await;
}

async fn live_feed(db: TestDb) {
    let server = demo_server(db);
    let admin = server.admin().await;
    let leader = server.login("demo_leader", DEMO_PW).await;
    let street = server.login("demo_street", DEMO_PW).await;
    let mut district = Sse::open(&leader, &format!("/api/v1/feed?region={DISTRICT}"), None).await;
    let mut mine = Sse::open(&street, "/api/v1/feed", None).await;
    // The subscriptions are live before the reports.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let elsewhere = report(&admin, "E0501", "33019900200101", "别的街道占道经营").await;
    let here = report(&admin, "B0103", GRID1, "路灯不亮").await;
    let (id_else, kind, item) = district.expect_event(elsewhere, DISTRICT, Duration::from_secs(10)).await;
    assert_eq!(kind, "new");
    assert_eq!(item["category"], "E0501");
    assert_eq!(item["category_name"], "占道经营");
    let (id_here, _, _) = district.expect_event(here, DISTRICT, Duration::from_secs(10)).await;
    // The street centre receives its own street's event and never the other street's.
    let (_, _, got) = mine.expect_event(here, STREET1, Duration::from_secs(10)).await;
    assert_eq!(got["description"], "路灯不亮");
    // Reconnecting with Last-Event-ID replays what came after it.
    let mut again = Sse::open(&leader, &format!("/api/v1/feed?region={DISTRICT}"), Some(&id_else)).await;
    let (replayed, _, item) = again.next(Duration::from_secs(10)).await.expect("replay");
    assert_eq!((replayed, item["event_id"].as_i64()), (id_here, Some(here)));
    // Refusals are plain JSON errors.
    let worker = server.login("demo_grid_worker", DEMO_PW).await;
    assert_eq!(worker.get("/api/v1/feed").await.0, 403);
    assert_eq!(street.get(&format!("/api/v1/feed?region={STREET2}")).await.0, 404);
    assert_eq!(server.client().get("/api/v1/feed").await.0, 401);
    server.finish().await;
}

/// Two `wangge serve` processes on one database: an event reported on one reaches a dashboard on the other.
async fn feed_across_processes(db: TestDb) {
    let a = demo_server(db);
    let dir = a.db().data_dir();
    let dir = dir.to_str().unwrap().to_string();
    let url = a.db().url.clone();
    let b = Server::spawn(&["serve", "--addr", "127.0.0.1:0", "--data", &dir, "--database-url", &url]);
    let admin_a = a.admin().await;
    let leader_b = b.login("demo_leader", DEMO_PW).await;
    let mut feed = Sse::open(&leader_b, "/api/v1/feed", None).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let id = report(&admin_a, "E0102", GRID2, "跨进程推送测试").await;
    feed.expect_event(id, DISTRICT, Duration::from_secs(10)).await;
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    drop(b);
    a.finish().await;
}

both_backends!(dashboard_and_map, reports, live_feed, feed_across_processes);
