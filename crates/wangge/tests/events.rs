//! The event closed loop over HTTP (DESIGN.md §4, §6) on both backends: the main loop by role, side flows,
//! bad input, races, scope, and the indicators the loop feeds.

mod common;

use common::*;
use serde_json::{Value, json};
use wangge_testkit::TestDb;

const OTHER_STREET_GRID: &str = "33019900200101";

async fn report(c: &Client, category: &str, grid: &str) -> Value {
    let (s, b) = c
        .post("/api/v1/events", &json!({"category": category, "description": "垃圾堆在路边", "grid_code": grid}))
        .await;
    assert_eq!(s, 201, "{b}");
    b
}

async fn act(c: &Client, id: i64, body: Value) -> Resp {
    c.post(&format!("/api/v1/events/{id}/actions"), &body).await
}

async fn ok(c: &Client, id: i64, body: Value) -> Value {
    let (s, b) = act(c, id, body.clone()).await;
    assert_eq!(s, 200, "{body} → {b}");
    b
}

async fn main_loop(db: TestDb) {
    let srv = Server::demo(db);
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    let street = srv.login("demo_street", DEMO_PW).await;
    let dept = srv.login("demo_department", DEMO_PW).await;
    let district = srv.login("demo_district", DEMO_PW).await;
    let leader = srv.login("demo_leader", DEMO_PW).await;

    let r = report(&worker, "E0103", GRID1).await;
    let id = r["id"].as_i64().unwrap();
    assert_eq!(r["grid_code"], GRID1);
    assert_eq!(r["status"], "reported");
    assert!(r["due_at"].is_string(), "{r}");

    // Role before state: a grid worker may never accept (403); the street may not close yet (409, naming the state).
    assert_error(&act(&worker, id, json!({"action": "accept"})).await, 403, "forbidden", None);
    let (s, b) = act(&street, id, json!({"action": "close"})).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["error"]["details"]["status"], "reported", "{b}");
    assert_error(&act(&leader, id, json!({"action": "accept"})).await, 403, "forbidden", None);
    // The department does not see it before it is dispatched to them.
    assert_eq!(dept.get(&format!("/api/v1/events/{id}")).await.0, 404);

    ok(&street, id, json!({"action": "accept"})).await;
    ok(&street, id, json!({"action": "register", "note": "符合立案条件"})).await;
    assert_error(
        &act(&street, id, json!({"action": "dispatch", "department": "nope"})).await,
        400,
        "invalid_input",
        Some("department"),
    );
    let b = ok(&street, id, json!({"action": "dispatch", "department": "chengguan"})).await;
    assert_eq!(b["status"], "dispatched");
    assert_eq!(b["departments"], json!(["chengguan"]));

    // The department's queue holds it; it handles it.
    let (s, q) = dept.get("/api/v1/events?view=queue").await;
    assert_eq!(s, 200, "{q}");
    assert!(q["items"].as_array().unwrap().iter().any(|e| e["id"] == id), "{q}");
    let b = ok(&dept, id, json!({"action": "handle", "note": "已清运"})).await;
    assert_eq!(b["status"], "handled");
    ok(&worker, id, json!({"action": "verify", "note": "现场核查已清理"})).await;
    ok(&street, id, json!({"action": "close"})).await;
    assert_error(
        &act(&district, id, json!({"action": "evaluate", "satisfaction": 9})).await,
        400,
        "invalid_input",
        Some("satisfaction"),
    );
    let b = ok(&district, id, json!({"action": "evaluate", "satisfaction": 5})).await;
    assert_eq!(b["status"], "evaluated");

    // The timeline: every step with who and what.
    let (_, d) = leader.get(&format!("/api/v1/events/{id}")).await;
    let steps: Vec<&str> = d["timeline"].as_array().unwrap().iter().map(|t| t["action"].as_str().unwrap()).collect();
    assert_eq!(steps, ["report", "accept", "register", "dispatch", "handle", "verify", "close", "evaluate"], "{d}");
    assert_eq!(d["timeline"][4]["actor"], "demo_department");
    assert_eq!(d["timeline"][4]["note"], "已清运");

    // Indicators come from the rollups the actions kept.
    let (s, i) = district.get(&format!("/api/v1/indicators?region={DISTRICT}")).await;
    assert_eq!(s, 200, "{i}");
    assert_eq!(i["reported"], 1, "{i}");
    assert_eq!(i["closed"], 1, "{i}");
    assert_eq!(i["closure_rate"], 1.0, "{i}");
    assert_eq!(i["on_time_rate"], 1.0, "{i}");
    assert_eq!(i["satisfaction"], 5.0, "{i}");
    let (s, by) = district.get("/api/v1/indicators?by=department").await;
    assert_eq!(s, 200, "{by}");
    assert_eq!(by["items"][0]["key"], "chengguan", "{by}");
    assert_eq!(by["items"][0]["handled"], 1, "{by}");
    assert_error(&district.get("/api/v1/indicators?by=colour").await, 400, "invalid_input", Some("by"));
    assert_error(&district.get("/api/v1/indicators?from=2026-13-01").await, 400, "invalid_input", Some("from"));

    // `wangge export events`: the rows with the watermark, audited.
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("events.csv");
    let run = wangge_on(srv.db(), &["export", "events", file.to_str().unwrap()], None);
    expect_code(&run, 0, "export events");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("导出人") && text.contains("垃圾堆在路边") && text.contains(",评价,"), "{text}");
    assert!(text.contains(&format!("{id},E0103,")), "{text}");
    srv.finish().await;
}

async fn side_flows(db: TestDb) {
    let srv = Server::demo(db);
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    let street = srv.login("demo_street", DEMO_PW).await;
    let community = srv.login("demo_community", DEMO_PW).await;
    let dept = srv.login("demo_department", DEMO_PW).await;
    let district = srv.login("demo_district", DEMO_PW).await;

    // 小事当场解决: a note is required, then it is closed at once.
    let id = report(&worker, "E0102", GRID1).await["id"].as_i64().unwrap();
    assert_error(&act(&worker, id, json!({"action": "self_handle"})).await, 400, "invalid_input", Some("note"));
    assert_eq!(ok(&worker, id, json!({"action": "self_handle", "note": "已当场清理"})).await["status"], "closed");

    // Rework: sent back after handling, counted once.
    let id = report(&worker, "E0103", GRID1).await["id"].as_i64().unwrap();
    for a in ["accept", "register"] {
        ok(&community, id, json!({"action": a})).await;
    }
    ok(&community, id, json!({"action": "dispatch"})).await; // routed by the category's default department
    let d = ok(&dept, id, json!({"action": "handle"})).await;
    assert_eq!(d["departments"], json!(["chengguan"]));
    let d = ok(&worker, id, json!({"action": "return", "note": "仍有垃圾"})).await;
    assert_eq!((d["status"].as_str(), d["rework_count"].as_i64()), (Some("dispatched"), Some(1)));

    // Postponement: the department asks (hours and a note), the street approves; the deadline moves.
    let before = d["due_at_ms"].as_i64().unwrap();
    assert_error(
        &act(&dept, id, json!({"action": "postpone", "note": "需采购配件"})).await,
        400,
        "invalid_input",
        Some("hours"),
    );
    assert_error(
        &act(&dept, id, json!({"action": "postpone", "hours": 0, "note": "x"})).await,
        400,
        "invalid_input",
        Some("hours"),
    );
    let d = ok(&dept, id, json!({"action": "postpone", "hours": 8, "note": "需采购配件"})).await;
    assert_eq!(d["pending_postpone_hours"], 8);
    assert_eq!(act(&dept, id, json!({"action": "postpone", "hours": 8, "note": "again"})).await.0, 409);
    let d = ok(&street, id, json!({"action": "postpone"})).await;
    assert_eq!((d["postponed_hours"].as_i64(), d["pending_postpone_hours"].is_null()), (Some(8), true));
    assert!(d["due_at_ms"].as_i64().unwrap() > before, "{d}");

    // Suspension needs an approver and a note, and resumes where it left off.
    assert_error(&act(&community, id, json!({"action": "suspend", "note": "x"})).await, 403, "forbidden", None);
    assert_eq!(ok(&street, id, json!({"action": "suspend", "note": "待上级协调"})).await["status"], "suspended");
    assert_eq!(act(&dept, id, json!({"action": "handle"})).await.0, 409);
    assert_eq!(ok(&street, id, json!({"action": "resume"})).await["status"], "dispatched");

    // Supervision cards only get more serious; escalation climbs one level at a time.
    assert_error(
        &act(&district, id, json!({"action": "supervise", "card": "purple", "note": "x"})).await,
        400,
        "invalid_input",
        Some("card"),
    );
    assert_eq!(
        ok(&district, id, json!({"action": "supervise", "card": "red", "note": "红牌督办"})).await["card"],
        "red"
    );
    assert_eq!(
        ok(&district, id, json!({"action": "supervise", "card": "yellow", "note": "黄牌"})).await["card"],
        "red"
    );
    let lvl = ok(&worker, id, json!({"action": "escalate"})).await["level"].as_str().unwrap().to_string();
    assert!(["street", "district"].contains(&lvl.as_str()), "{lvl}");

    // 临期: a fresh report's accept stage (1 working hour) ends soon — unless it is outside working hours now,
    // when its deadline is the next working morning; either way overdue and due-soon never overlap.
    let (s, soon) = street.get("/api/v1/events?view=due_soon").await;
    assert_eq!(s, 200, "{soon}");
    let (_, late) = street.get("/api/v1/events?view=overdue").await;
    for e in soon["items"].as_array().unwrap() {
        assert!(!e["overdue"].as_bool().unwrap(), "{e}");
        assert!(!late["items"].as_array().unwrap().iter().any(|l| l["id"] == e["id"]));
    }

    // Void needs an approver; a voided event takes no more actions.
    let id2 = report(&worker, "E0103", GRID1).await["id"].as_i64().unwrap();
    assert_error(&act(&community, id2, json!({"action": "void", "note": "重复"})).await, 403, "forbidden", None);
    assert_eq!(ok(&street, id2, json!({"action": "void", "note": "重复上报"})).await["status"], "voided");
    assert_eq!(act(&street, id2, json!({"action": "accept"})).await.0, 409);

    let (_, i) = district.get(&format!("/api/v1/indicators?region={STREET1}")).await;
    assert_eq!(i["rework"], 1, "{i}");
    assert_eq!(i["postponed"], 1, "{i}");
    assert_eq!(i["closed"], 1, "{i}");
    srv.finish().await;
}

async fn bad_input_races_and_scope(db: TestDb) {
    let srv = Server::demo(db);
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    let street = srv.login("demo_street", DEMO_PW).await;
    let admin = srv.admin().await;

    let post = |body: Value| {
        let w = &worker;
        async move { w.post("/api/v1/events", &body).await }
    };
    assert_error(
        &post(json!({"category": "X99", "description": "d", "grid_code": GRID1})).await,
        400,
        "invalid_input",
        Some("category"),
    );
    assert_error(
        &post(json!({"category": "E0102", "description": "  ", "grid_code": GRID1})).await,
        400,
        "invalid_input",
        Some("description"),
    );
    assert_error(
        &post(json!({"category": "E0102", "description": "d", "lat": 30.0})).await,
        400,
        "invalid_input",
        Some("lon"),
    );
    assert_error(
        &post(json!({"category": "E0102", "description": "d", "lat": 95.0, "lon": 120.0})).await,
        400,
        "invalid_input",
        None,
    );
    assert_error(
        &post(json!({"category": "E0102", "description": "d", "lat": 1.0, "lon": 1.0})).await,
        422,
        "rule_violated",
        Some("lat"),
    );
    assert_error(
        &post(json!({"category": "E0102", "description": "d", "grid_code": GRID1, "source": "pigeon"})).await,
        400,
        "invalid_input",
        Some("source"),
    );
    assert_error(
        &post(
            json!({"category": "E0102", "description": "d", "grid_code": GRID1, "crs": "x", "lat": 30.0, "lon": 120.0}),
        )
        .await,
        400,
        "invalid_input",
        Some("crs"),
    );
    assert_error(
        &post(json!({"category": "E0503", "description": "d", "grid_code": GRID1, "attributes": {"colour": "red"}}))
            .await,
        400,
        "invalid_input",
        Some("attributes.colour"),
    );
    // A grid outside the worker's own is not theirs to report in: it does not exist for them.
    assert_error(
        &post(json!({"category": "E0102", "description": "d", "grid_code": OTHER_STREET_GRID})).await,
        400,
        "invalid_input",
        Some("grid_code"),
    );
    // Nothing above was written.
    let (_, l) = admin.get("/api/v1/events").await;
    assert_eq!(l["total"], 0, "{l}");

    // Coordinates: the event lands in the grid at the point; a second report there is a likely duplicate.
    let first = report(&worker, "E0102", GRID1).await;
    let (_, e) = worker.get(&format!("/api/v1/events/{}", first["id"])).await;
    let (lat, lon) = (e["lat"].as_f64().unwrap(), e["lon"].as_f64().unwrap());
    let (s, b) = worker
        .post("/api/v1/events", &json!({"category": "E0102", "description": "又有垃圾", "lat": lat, "lon": lon}))
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["grid_code"], GRID1);
    assert_eq!(b["possible_duplicates"], json!([first["id"]]), "{b}");
    let (s, b) = worker
        .post(
            "/api/v1/events",
            &json!({"category": "E0102", "description": "又有", "lat": lat, "lon": lon, "check_duplicates": true}),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert!(b["error"]["details"]["duplicates"].as_array().unwrap().contains(&first["id"]), "{b}");

    // Two desks accept at once: exactly one wins, the other gets 409.
    let id = first["id"].as_i64().unwrap();
    let v = e["version"].as_i64().unwrap();
    let community = srv.login("demo_community", DEMO_PW).await;
    let (a, b) = tokio::join!(
        act(&street, id, json!({"action": "accept", "version": v})),
        act(&community, id, json!({"action": "accept", "version": v}))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let (_, d) = admin.get(&format!("/api/v1/events/{id}")).await;
    assert_eq!(d["timeline"].as_array().unwrap().len(), 2, "one accept recorded: {d}");

    // Unknown actions and ids.
    assert_error(&act(&street, id, json!({"action": "teleport"})).await, 400, "invalid_input", Some("action"));
    assert_eq!(street.get("/api/v1/events/abc").await.0, 404);
    assert_eq!(street.get("/api/v1/events/999999").await.0, 404);
    assert_error(&street.get("/api/v1/events?status=lost").await, 400, "invalid_input", Some("status"));
    assert_error(&street.get("/api/v1/events?view=everything").await, 400, "invalid_input", Some("view"));

    // Scope: the other street's staff do not see this street's events at all.
    let other = admin
        .post("/api/v1/users", &json!({"username": "street2", "display_name": "二街道", "password": "street2-pass-1", "roles": [{"role": "street", "region_code": STREET2}]}))
        .await;
    assert_eq!(other.0, 201, "{:?}", other.1);
    let other = srv.login("street2", "street2-pass-1").await;
    assert_eq!(other.get(&format!("/api/v1/events/{id}")).await.0, 404);
    assert_eq!(act(&other, id, json!({"action": "register"})).await.0, 404);
    let (_, l) = other.get("/api/v1/events").await;
    assert_eq!(l["total"], 0, "{l}");
    assert_eq!(other.get(&format!("/api/v1/events?region={STREET1}")).await.0, 404);
    assert_eq!(other.get(&format!("/api/v1/indicators?region={STREET1}")).await.0, 404);

    // Categories are listed with their limits; departments too.
    let (s, c) = worker.get("/api/v1/categories").await;
    assert_eq!(s, 200);
    let e0102 = c["items"].as_array().unwrap().iter().find(|x| x["code"] == "E0102").unwrap().clone();
    assert_eq!(e0102["limits"]["handle"], "4h", "{e0102}");
    srv.finish().await;
}

/// Admins edit categories, limits, routing rules and the calendar; the loop follows at once.
async fn rules_are_data(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let district = srv.login("demo_district", DEMO_PW).await;
    let street = srv.login("demo_street", DEMO_PW).await;
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;

    let cat = |limits: Value| {
        json!({"name": "井盖丢失", "department_code": "shuiwu", "triage": "general", "limits": limits,
        "fields": [{"code": "cover_no", "name": "井盖编号", "datatype": "string", "required": true}]})
    };
    assert_error(&street.put("/api/v1/categories/B0105", &cat(json!({}))).await, 403, "forbidden", None);
    assert_error(&district.put("/api/v1/categories/b0105", &cat(json!({}))).await, 400, "invalid_input", Some("code"));
    assert_error(&district.put("/api/v1/categories/B9905", &cat(json!({}))).await, 400, "invalid_input", Some("code"));
    assert_error(
        &district.put("/api/v1/categories/B0105", &cat(json!({"handle": "4x"}))).await,
        400,
        "invalid_input",
        Some("limits.handle"),
    );
    assert_error(
        &district.put("/api/v1/categories/B0105", &cat(json!({"lunch": "1h"}))).await,
        400,
        "invalid_input",
        Some("limits.lunch"),
    );
    let mut bad = cat(json!({}));
    bad["department_code"] = json!("nope");
    assert_error(&district.put("/api/v1/categories/B0105", &bad).await, 400, "invalid_input", Some("department_code"));
    let mut bad = cat(json!({}));
    bad["fields"] = json!([{"code": "Bad Code", "name": "x"}]);
    assert_error(&district.put("/api/v1/categories/B0105", &bad).await, 400, "invalid_input", Some("fields[0].code"));
    let (s, c) = district.put("/api/v1/categories/B0105", &cat(json!({"handle": "2h", "verify": "1h"}))).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        (c["limits"]["handle"].as_str(), c["limits"]["verify"].as_str(), c["limits"]["accept"].as_str()),
        (Some("2h"), Some("1h"), Some("1h"))
    );

    // The new category is reportable at once, with its required extra field.
    let body = json!({"category": "B0105", "description": "井盖不见了", "grid_code": GRID1});
    assert_error(&worker.post("/api/v1/events", &body).await, 400, "invalid_input", Some("attributes.cover_no"));
    let mut body = body;
    body["attributes"] = json!({"cover_no": "JG-001"});
    let (s, r) = worker.post("/api/v1/events", &body).await;
    assert_eq!(s, 201, "{r}");
    let id = r["id"].as_i64().unwrap();

    // A routing rule for this street sends B01 to 城管 instead of the category's 水务.
    assert_error(
        &district
            .post("/api/v1/routing-rules", &json!({"category_prefix": "B01", "departments": [], "triage": "general"}))
            .await,
        400,
        "invalid_input",
        Some("departments"),
    );
    assert_error(
        &district
            .post(
                "/api/v1/routing-rules",
                &json!({"category_prefix": "B01", "departments": ["chengguan"], "triage": "soon"}),
            )
            .await,
        400,
        "invalid_input",
        Some("triage"),
    );
    let (s, rule) = district
        .post("/api/v1/routing-rules", &json!({"category_prefix": "B01", "region_prefix": STREET1, "departments": ["chengguan", "zhujian"], "triage": "comprehensive"}))
        .await;
    assert_eq!(s, 201, "{rule}");
    for a in ["accept", "register"] {
        ok(&street, id, json!({"action": a})).await;
    }
    let d = ok(&street, id, json!({"action": "dispatch"})).await;
    assert_eq!(d["departments"], json!(["chengguan", "zhujian"]), "{d}");
    let (s, rules) = worker.get("/api/v1/routing-rules").await;
    assert_eq!((s, rules["total"].as_i64()), (200, Some(1)));
    assert_eq!(district.delete(&format!("/api/v1/routing-rules/{}", rule["id"])).await.0, 204);
    assert_eq!(district.delete(&format!("/api/v1/routing-rules/{}", rule["id"])).await.0, 404);

    // The calendar: seeded holidays are listed; admins add a day and change the working periods.
    let (_, cal) = worker.get("/api/v1/calendar").await;
    assert!(
        cal["days"].as_array().unwrap().iter().any(|d| d["day"] == "2026-10-01" && d["kind"] == "holiday"),
        "{cal}"
    );
    assert_eq!(cal["day_minutes"], 450);
    assert_error(
        &admin.put("/api/v1/calendar/2026-13-01", &json!({"kind": "holiday"})).await,
        400,
        "invalid_input",
        Some("day"),
    );
    assert_error(
        &admin.put("/api/v1/calendar/2026-12-31", &json!({"kind": "party"})).await,
        400,
        "invalid_input",
        Some("kind"),
    );
    let (s, cal) = admin.put("/api/v1/calendar/2026-12-31", &json!({"kind": "holiday", "note": "区定假日"})).await;
    assert_eq!(s, 200, "{cal}");
    assert!(cal["days"].as_array().unwrap().iter().any(|d| d["day"] == "2026-12-31" && d["note"] == "区定假日"));
    assert_error(
        &admin.put("/api/v1/calendar", &json!({"periods": "09:00-12:00,11:00-17:00"})).await,
        400,
        "invalid_input",
        Some("periods"),
    );
    let (s, cal) = admin.put("/api/v1/calendar", &json!({"periods": "09:00-12:00,14:00-18:00"})).await;
    assert_eq!((s, cal["day_minutes"].as_i64()), (200, Some(420)), "{cal}");
    srv.finish().await;
}

/// kill -9 while reports stream in: every report answered 201 is there after the restart.
async fn acknowledged_reports_survive_kill(db: TestDb) {
    let mut srv = Server::demo(db);
    let mut tasks = Vec::new();
    for w in 0..8 {
        let c = srv.login("demo_grid_worker", DEMO_PW).await;
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..10_000 {
                let body = json!({"category": "E0102", "description": format!("压测{w}-{i}"), "grid_code": GRID1});
                let r = c.request(reqwest::Method::POST, "/api/v1/events").json(&body).send().await;
                let Ok(r) = r else { break };
                if r.status().as_u16() != 201 {
                    break;
                }
                let Ok(v) = r.json::<Value>().await else { break };
                acked.push(v["id"].as_i64().unwrap());
            }
            acked
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    srv.stop(); // SIGKILL: no graceful shutdown
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    assert!(acked.len() > 10, "the load ran before the kill: {}", acked.len());
    let srv = srv.restart();
    let admin = srv.admin().await;
    let stored: std::collections::HashSet<i64> =
        admin.all_items("/api/v1/events").await.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    let lost: Vec<&i64> = acked.iter().filter(|id| !stored.contains(id)).collect();
    assert!(lost.is_empty(), "{}: {} acknowledged reports lost: {lost:?}", srv.backend(), lost.len());
    srv.finish().await;
}

/// Two nodes on one database, reports streaming into both; one node is killed (-9) mid-load. The other node
/// keeps answering every report with 201 throughout, and every report either node acknowledged is stored
/// (docs/scale-out.md: a node killed while another keeps serving).
async fn node_killed_while_another_serves(db: TestDb) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let a = Server::demo(db);
    let dir = a.db().data_dir().to_str().unwrap().to_string();
    let url = a.db().url.clone();
    let mut b = Server::spawn(&["serve", "--addr", "127.0.0.1:0", "--data", &dir, "--database-url", &url]);
    let stop = Arc::new(AtomicBool::new(false));
    let token = a.login("demo_grid_worker", DEMO_PW).await.token;
    let mut tasks = Vec::new();
    for w in 0..8 {
        let node = if w % 2 == 0 { a.client() } else { b.client() };
        let c = Client { token: token.clone(), ..node };
        let stop = Arc::clone(&stop);
        tasks.push(tokio::spawn(async move {
            // (acknowledged ids, the first failure: status or transport error)
            let mut acked = Vec::new();
            let mut failure = None;
            for i in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let body = json!({"category": "E0102", "description": format!("双节点{w}-{i}"), "grid_code": GRID1});
                match c.request(reqwest::Method::POST, "/api/v1/events").json(&body).send().await {
                    Ok(r) if r.status().as_u16() == 201 => match r.json::<Value>().await {
                        Ok(v) => acked.push(v["id"].as_i64().unwrap()),
                        Err(e) => failure = Some(format!("reading the answer: {e}")),
                    },
                    Ok(r) => failure = Some(format!("HTTP {}", r.status())),
                    Err(e) => failure = Some(format!("{e}")),
                }
                if failure.is_some() {
                    break;
                }
            }
            (w % 2 == 0, acked, failure)
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    b.stop(); // SIGKILL while its clients are mid-request
    // Node A goes on serving for a while after B is gone.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut acked = Vec::new();
    let (mut on_a, mut on_b) = (0, 0);
    for t in tasks {
        let (is_a, ids, failure) = t.await.unwrap();
        if is_a {
            assert!(failure.is_none(), "node A failed a report while B died: {failure:?}");
            on_a += ids.len();
        } else {
            assert!(failure.is_some(), "node B's clients saw it die");
            on_b += ids.len();
        }
        acked.extend(ids);
    }
    assert!(on_a > 0 && on_b > 0, "both nodes took reports: A {on_a}, B {on_b}");
    let admin = a.admin().await;
    let stored: std::collections::HashSet<i64> =
        admin.all_items("/api/v1/events").await.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    let lost: Vec<&i64> = acked.iter().filter(|id| !stored.contains(id)).collect();
    assert!(lost.is_empty(), "{}: {} acknowledged reports lost: {lost:?}", a.backend(), lost.len());
    // And A still takes reports.
    let worker = Client { token: token.clone(), ..a.client() };
    report(&worker, "E0102", GRID1).await;
    a.finish().await;
}

/// Public posts are limited per client address (30 in 10 minutes) across nodes: 15 reports on each of two nodes
/// use the allowance, and both nodes refuse the next with 429 (a per-process count allowed 30 on each).
async fn public_posts_are_limited_across_nodes(db: TestDb) {
    let a = Server::demo(db);
    let dir = a.db().data_dir().to_str().unwrap().to_string();
    let url = a.db().url.clone();
    let b = Server::spawn(&["serve", "--addr", "127.0.0.1:0", "--data", &dir, "--database-url", &url]);
    let post = async |base: &str, i: usize| -> u16 {
        post_public_report(base, "E0102", GRID1, &format!("限流测试{i}")).await.status().as_u16()
    };
    for i in 0..30 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        assert_eq!(post(base, i).await, 201, "post {i} is within the allowance");
    }
    assert_eq!(post(&a.base, 30).await, 429, "the 31st on node A");
    assert_eq!(post(&b.base, 31).await, 429, "and on node B");
    drop(b);
    a.finish().await;
}

/// The /report form as a browser sends it (its token from the page, anonymously), from a fresh cookie jar.
async fn post_public_report(base: &str, category: &str, grid: &str, description: &str) -> reqwest::Response {
    let c = Client::with_cookies(base);
    let (s, html) = c.page("/report").await;
    assert_eq!(s, 200, "{html}");
    let csrf = hidden_field(&html, "csrf").expect("csrf on /report");
    c.http
        .post(c.url("/report"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("category", category),
            ("grid_code", grid),
            ("description", description),
            ("anonymous", "1"),
        ])
        .send()
        .await
        .expect("POST /report")
}

/// A member of the public reports on /report (grid chosen, no point: the grid's centre stands in); returns the id
/// and the tracking path.
async fn public_report(srv: &Server, category: &str, grid: &str, description: &str) -> (i64, String) {
    let r = post_public_report(&srv.base, category, grid, description).await;
    assert_eq!(r.status().as_u16(), 201);
    let html = r.text().await.unwrap();
    let at = html.find("href=\"/track/").expect("tracking link") + "href=\"".len();
    let track = html[at..at + html[at..].find('"').unwrap()].to_string();
    let (_, list) = srv.admin().await.get("/api/v1/events?limit=1").await;
    (list["items"][0]["id"].as_i64().unwrap(), track)
}

/// Issue #5: staff merge a duplicate report into the event it repeats. Role, then state, then the target named
/// field by field; the duplicate is voided with `merged_into`, both timelines say so, and the duplicate's
/// reporter follows the target on the tracking page.
async fn merge_duplicates(db: TestDb) {
    let srv = Server::demo(db);
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    let street = srv.login("demo_street", DEMO_PW).await;
    let community = srv.login("demo_community", DEMO_PW).await;
    let admin = srv.admin().await;
    let merge = |into: Value| json!({"action": "merge", "into": into});

    // The original and a second report at the same point: offered as a likely duplicate.
    let (s, first) = worker
        .post("/api/v1/events", &json!({"category": "E0102", "description": "原始上报：东门垃圾", "grid_code": GRID1}))
        .await;
    assert_eq!(s, 201, "{first}");
    let target = first["id"].as_i64().unwrap();
    let dup = report(&worker, "E0102", GRID1).await;
    assert_eq!(dup["possible_duplicates"], json!([target]), "{dup}");
    let dup = dup["id"].as_i64().unwrap();

    // Role first: the grid worker who reported it may not merge (403), whatever the payload.
    assert_error(&act(&worker, dup, merge(json!(target))).await, 403, "forbidden", None);
    // The target, field by field.
    assert_error(&act(&street, dup, json!({"action": "merge"})).await, 400, "invalid_input", Some("into"));
    assert_error(&act(&street, dup, merge(json!("abc"))).await, 400, "invalid_input", Some("into"));
    assert_error(&act(&street, dup, merge(json!(1.5))).await, 400, "invalid_input", Some("into"));
    assert_error(&act(&street, dup, merge(json!(0))).await, 400, "invalid_input", Some("into"));
    assert_error(&act(&street, dup, merge(json!(999_999))).await, 404, "not_found", Some("into"));
    assert_error(&act(&street, dup, merge(json!(dup))).await, 422, "rule_violated", Some("into"));
    // Another street's event is not there for this street: 404, as if it did not exist.
    let (s, far) = admin
        .post("/api/v1/events", &json!({"category": "E0102", "description": "别处", "grid_code": OTHER_STREET_GRID}))
        .await;
    assert_eq!(s, 201, "{far}");
    assert_error(&act(&street, dup, merge(far["id"].clone())).await, 404, "not_found", Some("into"));
    // A finished target is a dead end for the reporter: 409 naming the field and its state.
    let done = report(&worker, "E0102", GRID1).await["id"].as_i64().unwrap();
    ok(&worker, done, json!({"action": "self_handle", "note": "已当场清理"})).await;
    let r = act(&street, dup, merge(json!(done))).await;
    assert_error(&r, 409, "conflict", Some("into"));
    assert_eq!(r.1["error"]["details"]["status"], "closed", "{:?}", r.1);
    // Nothing above was written.
    let (_, d) = street.get(&format!("/api/v1/events/{dup}")).await;
    assert_eq!((d["status"].as_str(), d["timeline"].as_array().unwrap().len()), (Some("reported"), 1), "{d}");
    assert!(d["merged_into"].is_null() && d["actions"].as_array().unwrap().contains(&json!("merge")), "{d}");

    // After 立案 a report is a case of its own: 409 naming the state.
    let registered = report(&worker, "E0102", GRID1).await["id"].as_i64().unwrap();
    ok(&street, registered, json!({"action": "accept"})).await;
    ok(&street, registered, json!({"action": "register"})).await;
    let r = act(&street, registered, merge(json!(target))).await;
    assert_error(&r, 409, "conflict", None);
    assert_eq!(r.1["error"]["details"]["status"], "registered", "{:?}", r.1);

    // The community desk merges an accepted duplicate (with the version it saw): voided, pointing at the target.
    ok(&street, dup, json!({"action": "accept"})).await;
    let (_, seen) = community.get(&format!("/api/v1/events/{dup}")).await;
    let d = ok(
        &community,
        dup,
        json!({"action": "merge", "into": target, "note": "同一处垃圾", "version": seen["version"]}),
    )
    .await;
    assert_eq!((d["status"].as_str(), d["merged_into"].as_i64()), (Some("voided"), Some(target)), "{d}");
    let last = d["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "merge", "{d}");
    assert_eq!(last["note"], format!("合并至 #{target}：同一处垃圾"), "{d}");
    assert_eq!(last["data"]["into"], target, "{d}");
    assert_eq!(d["merged_target"]["id"], target, "{d}");
    assert!(d["actions"].as_array().unwrap().is_empty(), "a merged duplicate takes no more actions: {d}");
    assert_eq!(act(&street, dup, json!({"action": "accept"})).await.0, 409);
    // An Open311 client holding the duplicate's id finds it closed, naming the request to follow instead.
    let (s, o) = srv.client().get(&format!("/open311/v2/requests/{dup}.json")).await;
    assert_eq!(s, 200, "{o}");
    assert_eq!(o[0]["status"], "closed", "{o}");
    assert!(o[0]["status_notes"].as_str().unwrap().contains(&format!("#{target}")), "{o}");
    // The target lists it and says so on its own timeline, its state unchanged.
    let (_, t) = street.get(&format!("/api/v1/events/{target}")).await;
    assert_eq!((t["status"].as_str(), t["merged_from"].clone()), (Some("reported"), json!([dup])), "{t}");
    let row = t["timeline"].as_array().unwrap().iter().find(|x| x["action"] == "merge").expect("merge row").clone();
    assert_eq!(
        (row["note"].as_str(), row["data"]["from"].as_i64()),
        (Some(&*format!("合并 #{dup}")), Some(dup)),
        "{t}"
    );
    assert_eq!((row["from_status"].as_str(), row["to_status"].as_str()), (Some("reported"), Some("reported")));
    assert_eq!(row["actor"], "demo_community");
    // A merged event is no target: 409 pointing at where it went.
    let third = report(&worker, "E0102", GRID1).await["id"].as_i64().unwrap();
    let r = act(&street, third, merge(json!(dup))).await;
    assert_error(&r, 409, "conflict", Some("into"));
    assert_eq!(r.1["error"]["details"]["merged_into"], target, "{:?}", r.1);
    // Two desks merge a pair into each other at once: exactly one wins (no deadlock, no cycle).
    let x = report(&worker, "E0102", GRID1).await["id"].as_i64().unwrap();
    let y = report(&worker, "E0102", GRID1).await["id"].as_i64().unwrap();
    let (a, b) = tokio::join!(act(&street, x, merge(json!(y))), act(&community, y, merge(json!(x))));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let (_, dx) = street.get(&format!("/api/v1/events/{x}")).await;
    let (_, dy) = street.get(&format!("/api/v1/events/{y}")).await;
    assert_eq!(dx["merged_into"].is_null() as u8 + dy["merged_into"].is_null() as u8, 1, "{dx} {dy}");

    // Audited with where it went.
    let (_, audit) = admin.get("/api/v1/audit?action=event.merge").await;
    let a = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["object"] == format!("event:{dup}"))
        .unwrap_or_else(|| panic!("the merge is audited: {audit}"));
    assert_eq!(a["actor"], "demo_community", "{audit}");
    assert!(a["reason"].as_str().unwrap().contains(&format!("#{target}")), "{audit}");

    // A member of the public reports the same thing; once merged, the tracking link follows the target —
    // its status and steps, never its description or staff names.
    let (pid, track) = public_report(&srv, "E0102", GRID1, "门口垃圾没人管").await;
    ok(&street, pid, json!({"action": "merge", "into": target})).await;
    ok(&street, target, json!({"action": "accept"})).await;
    let (s, html) = srv.client().page(&track).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("id=\"track-merged\"") && html.contains(&format!("#{target}</strong>")), "{html}");
    assert!(html.contains("已合并至该事件"), "{html}");
    let target_status = &html[html.find("id=\"track-target-status\"").unwrap()..];
    let target_status: String = target_status.chars().take(120).collect();
    assert!(target_status.contains("受理"), "the target's status: {target_status}");
    let steps = &html[html.find("id=\"track-target-timeline\"").unwrap()..];
    assert!(steps.contains("data-action=\"accept\"") && steps.contains("data-action=\"merge\""), "{steps}");
    assert!(!html.contains("原始上报") && !html.contains("demo_street"), "nothing private of the target: {html}");
    srv.finish().await;
}

fn person<'a>(rows: &'a Value, username: &str) -> &'a Value {
    rows["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["username"] == username)
        .unwrap_or_else(|| panic!("{username} in {rows}"))
}

/// GB/T 30428.4 岗位 indicators by person (issue #5) and a reopened event counted closed once.
async fn person_indicators_and_reopen(db: TestDb) {
    let srv = Server::demo(db);
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    let grid_leader = srv.login("demo_grid_leader", DEMO_PW).await;
    let street = srv.login("demo_street", DEMO_PW).await;
    let dept = srv.login("demo_department", DEMO_PW).await;
    let district = srv.login("demo_district", DEMO_PW).await;
    let admin = srv.admin().await;

    // The worker reports three: one goes the whole loop, one is solved on the spot, one is rejected.
    let a = report(&worker, "E0103", GRID1).await["id"].as_i64().unwrap();
    for body in [
        json!({"action": "accept"}),
        json!({"action": "register"}),
        json!({"action": "dispatch", "department": "chengguan"}),
    ] {
        ok(&street, a, body).await;
    }
    ok(&dept, a, json!({"action": "handle", "note": "已清运"})).await;
    ok(&worker, a, json!({"action": "verify", "note": "已核查"})).await;
    ok(&street, a, json!({"action": "close"})).await;
    let b = report(&worker, "E0102", GRID1).await["id"].as_i64().unwrap();
    ok(&worker, b, json!({"action": "self_handle", "note": "已当场清理"})).await;
    let c = report(&worker, "E0103", GRID1).await["id"].as_i64().unwrap();
    ok(&street, c, json!({"action": "reject", "note": "不属于受理范围"})).await;
    // The grid leader reports one in the next grid that is not registered (yet).
    report(&grid_leader, "E0103", GRID2).await;

    let (s, rows) = district.get("/api/v1/indicators?by=person").await;
    assert_eq!(s, 200, "{rows}");
    let w = person(&rows, "demo_grid_worker");
    assert_eq!(w["display_name"], "网格员 刘芳", "{w}");
    assert_eq!(w["key"], "demo_grid_worker", "{w}");
    assert_eq!(
        (w["reported"].as_i64(), w["valid"].as_i64(), w["self_handled"].as_i64()),
        (Some(3), Some(2), Some(1)),
        "{w}"
    );
    assert!((w["valid_report_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9, "{w}");
    assert_eq!((w["verified"].as_i64(), w["verified_on_time"].as_i64()), (Some(1), Some(1)), "{w}");
    assert_eq!(w["on_time_verify_rate"], 1.0, "{w}");
    let d = person(&rows, "demo_department");
    assert_eq!((d["handled"].as_i64(), d["reported"].as_i64()), (Some(1), Some(0)), "{d}");
    assert!(d["valid_report_rate"].is_null(), "nothing reported, no rate: {d}");
    let l = person(&rows, "demo_grid_leader");
    assert_eq!((l["reported"].as_i64(), l["valid_report_rate"].as_f64()), (Some(1), Some(0.0)), "{l}");
    // Ordered by 有效上报率, people without reports last; the street desk did none of the counted work.
    let order: Vec<&str> = rows["items"].as_array().unwrap().iter().map(|r| r["username"].as_str().unwrap()).collect();
    assert_eq!(order, ["demo_grid_worker", "demo_grid_leader", "demo_department"], "{rows}");
    // A period is months: nothing in a month long past.
    let (_, old) = district.get("/api/v1/indicators?by=person&from=2020-01-01&to=2020-01-31").await;
    assert_eq!(old["total"], 0, "{old}");
    // A region inside the caller's scope: GRID2 holds only the grid leader's report.
    let (_, g2) = district.get(&format!("/api/v1/indicators?by=person&region={GRID2}")).await;
    assert_eq!(g2["total"], 1, "{g2}");
    assert_eq!(g2["items"][0]["username"], "demo_grid_leader", "{g2}");

    // A grid worker and a department see only their own row; the grid leader (网格长) sees the community's people.
    for (c, me) in [(&worker, "demo_grid_worker"), (&dept, "demo_department")] {
        for q in ["/api/v1/indicators?by=person".to_string(), format!("/api/v1/indicators?by=person&region={GRID1}")] {
            let (s, mine) = c.get(&q).await;
            assert_eq!(s, 200, "{q}: {mine}");
            let names: Vec<&str> =
                mine["items"].as_array().unwrap().iter().map(|r| r["username"].as_str().unwrap()).collect();
            assert_eq!(names, [me], "{q}: {mine}");
        }
    }
    let (_, gl) = grid_leader.get("/api/v1/indicators?by=person").await;
    assert_eq!(gl["total"], 3, "{gl}");

    // Bad input names the field; another street's staff see none of this street's people.
    assert_error(&district.get("/api/v1/indicators?by=people").await, 400, "invalid_input", Some("by"));
    assert_error(&district.get("/api/v1/indicators?by=person&to=2026-02-30").await, 400, "invalid_input", Some("to"));
    let (s, _) = admin
        .post("/api/v1/users", &json!({"username": "street2", "display_name": "二街道", "password": "street2-pass-1", "roles": [{"role": "street", "region_code": STREET2}]}))
        .await;
    assert_eq!(s, 201);
    let other = srv.login("street2", "street2-pass-1").await;
    let (s, none) = other.get("/api/v1/indicators?by=person").await;
    assert_eq!((s, none["total"].as_i64()), (200, Some(0)), "{none}");
    assert_eq!(other.get(&format!("/api/v1/indicators?by=person&region={STREET1}")).await.0, 404);

    // The page shows the table, zh-CN first; sorted by 上报数 on request.
    let (browser, _) = page_login(&srv.base, "demo_district", DEMO_PW).await;
    let (s, html) = browser.page("/events/indicators").await;
    assert_eq!(s, 200);
    assert!(html.contains("按人员") && html.contains("id=\"by-person\"") && html.contains("网格员 刘芳"), "{html}");
    let (s, html) = browser.page("/events/indicators?psort=reported&lang=en").await;
    assert_eq!(s, 200);
    assert!(html.contains("By person") && html.contains("id=\"sort-valid-rate\""), "{html}");

    // Reopen: the reporter sends the closed event back; closed again, it counts one 结案, not two.
    let closed_before = |i: &Value| (i["closed"].as_i64(), i["closed_on_time"].as_i64(), i["registered"].as_i64());
    let (_, i) = district.get(&format!("/api/v1/indicators?region={STREET1}")).await;
    assert_eq!(closed_before(&i), (Some(2), Some(2), Some(2)), "{i}");
    let r = ok(&worker, a, json!({"action": "return", "note": "又堆上了"})).await;
    assert_eq!(r["status"], "dispatched", "{r}");
    let (_, i) = district.get(&format!("/api/v1/indicators?region={STREET1}")).await;
    assert_eq!(closed_before(&i), (Some(1), Some(1), Some(2)), "reopened is no longer closed: {i}");
    assert_eq!(i["rework"], 1, "{i}");
    ok(&dept, a, json!({"action": "handle", "note": "再次清运"})).await;
    ok(&worker, a, json!({"action": "verify"})).await;
    ok(&street, a, json!({"action": "close"})).await;
    let (_, i) = district.get(&format!("/api/v1/indicators?region={STREET1}")).await;
    assert_eq!(closed_before(&i), (Some(2), Some(2), Some(2)), "{i}");
    assert!(i["closure_rate"].as_f64().unwrap() <= 1.0 && i["on_time_rate"].as_f64().unwrap() <= 1.0, "{i}");
    assert_eq!(i["closure_rate"], 1.0, "{i}");
    // The month rollups agree: the department and the category count the event closed once.
    let (_, by) = district.get("/api/v1/indicators?by=department").await;
    let cg = by["items"].as_array().unwrap().iter().find(|r| r["key"] == "chengguan").unwrap();
    assert_eq!(cg["closed"], 1, "{by}");
    let (_, by) = district.get("/api/v1/indicators?by=category").await;
    let e0103 = by["items"].as_array().unwrap().iter().find(|r| r["key"] == "E0103").unwrap();
    assert_eq!(e0103["closed"], 1, "{by}");
    assert_eq!(e0103["closure_rate"], 1.0, "{by}");
    // Each verification is work done: two now; the report is still one valid report.
    let (_, rows) = district.get("/api/v1/indicators?by=person").await;
    let w = person(&rows, "demo_grid_worker");
    assert_eq!(
        (w["verified"].as_i64(), w["valid"].as_i64(), w["reported"].as_i64()),
        (Some(2), Some(2), Some(3)),
        "{w}"
    );
    assert_eq!(person(&rows, "demo_department")["handled"], 2, "{rows}");
    srv.finish().await;
}

both_backends!(
    main_loop,
    side_flows,
    bad_input_races_and_scope,
    rules_are_data,
    acknowledged_reports_survive_kill,
    node_killed_while_another_serves,
    public_posts_are_limited_across_nodes,
    merge_duplicates,
    person_indicators_and_reopen
);
