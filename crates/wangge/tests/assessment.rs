//! 考核评价 (issue #10) end to end, on both backends: each objective metric computed from events made through the
//! API in a fresh community (hand-checked numbers), the records behind each number, the grid worker's score and
//! pay and who may read it, the department ranking, the payroll workbook (opened with calamine, watermarked,
//! audited), and the star chain: the ≥ 90 and deadline rules, street review, district approval, the portal, and
//! the dynamic management of a star.

mod common;

use chrono::Datelike;
use common::*;
use serde_json::{Value, json};

/// A community of its own under STREET1 with one grid far from the demo's, so only this test's records count.
const C: &str = "330199001009";
const G: &str = "33019900100901";
const C2: &str = "330199001008";
const G2: &str = "33019900100801";

async fn setup_regions(admin: &Client) {
    for (code, name, parent, boundary) in [
        (C, "考核社区", STREET1, None),
        (G, "考核网格", C, Some(square(121.5, 29.5, 0.01))),
        (C2, "星级社区", STREET1, None),
        (G2, "星级网格", C2, Some(square(121.6, 29.5, 0.01))),
    ] {
        let mut body = json!({ "code": code, "name": name, "parent_code": parent });
        if let Some(b) = boundary {
            body["boundary"] = b;
        }
        let (s, b) = admin.post("/api/v1/regions", &body).await;
        assert_eq!(s, 201, "{b}");
    }
}

async fn add_user(admin: &Client, username: &str, role: &str, region: &str) -> i64 {
    let (s, b) = admin
        .post(
            "/api/v1/users",
            &json!({ "username": username, "display_name": username, "password": DEMO_PW,
                     "roles": [{ "role": role, "region_code": region }] }),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b["id"].as_i64().unwrap()
}

async fn report(c: &Client, grid: &str, text: &str) -> i64 {
    let (s, b) =
        c.post("/api/v1/events", &json!({ "category": "E0103", "description": text, "grid_code": grid })).await;
    assert_eq!(s, 201, "{b}");
    b["id"].as_i64().unwrap()
}

async fn act(c: &Client, id: i64, body: Value) {
    let (s, b) = c.post(&format!("/api/v1/events/{id}/actions"), &body).await;
    assert_eq!(s, 200, "{body} → {b}");
}

fn this_month() -> String {
    let now = chrono::Utc::now() + chrono::Duration::hours(8);
    now.format("%Y-%m").to_string()
}

fn metric<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["metrics"].as_array().unwrap().iter().find(|m| m["metric"] == name).unwrap_or_else(|| panic!("{name}: {v}"))
}

fn indicator<'a>(v: &'a Value, code: &str) -> &'a Value {
    v["indicators"].as_array().unwrap().iter().find(|m| m["code"] == code).unwrap_or_else(|| panic!("{code}: {v}"))
}

fn counted_ids(m: &Value) -> (Vec<i64>, Vec<i64>) {
    let mut yes = Vec::new();
    let mut no = Vec::new();
    for r in m["records"].as_array().unwrap() {
        let id = r["id"].as_i64().unwrap();
        if r["counted"].as_bool().unwrap() { yes.push(id) } else { no.push(id) }
    }
    (yes, no)
}

async fn worker_and_department_scores(db: TestDb) {
    let server = Server::demo(db);
    let admin = server.admin().await;
    setup_regions(&admin).await;
    let wid = add_user(&admin, "kh_worker", "grid_worker", G).await;
    let worker = server.login("kh_worker", DEMO_PW).await;

    // e1: reported by the worker, dispatched to 城管, carded yellow, handled, verified by the worker, closed, rated 4.
    let e1 = report(&worker, G, "考核事件一").await;
    for a in [
        json!({"action": "accept"}),
        json!({"action": "register"}),
        json!({"action": "dispatch", "department": "chengguan"}),
    ] {
        act(&admin, e1, a).await;
    }
    act(&admin, e1, json!({"action": "supervise", "card": "yellow", "note": "督办"})).await;
    act(&admin, e1, json!({"action": "handle", "note": "已处置"})).await;
    act(&worker, e1, json!({"action": "verify", "note": "核查属实"})).await;
    act(&admin, e1, json!({"action": "close"})).await;
    act(&admin, e1, json!({"action": "evaluate", "satisfaction": 4})).await;
    // e2: solved on the spot by the worker (valid), rated 5.
    let e2 = report(&worker, G, "考核事件二").await;
    act(&worker, e2, json!({"action": "self_handle", "note": "当场清理"})).await;
    act(&admin, e2, json!({"action": "evaluate", "satisfaction": 5})).await;
    // e3: registered (valid), dispatched, handled, sent back (返工), handled again.
    let e3 = report(&worker, G, "考核事件三").await;
    for a in [
        json!({"action": "accept"}),
        json!({"action": "register"}),
        json!({"action": "dispatch", "department": "chengguan"}),
        json!({"action": "handle", "note": "一次"}),
        json!({"action": "return", "note": "未处理到位"}),
        json!({"action": "handle", "note": "二次"}),
    ] {
        act(&admin, e3, a).await;
    }
    // e4: rejected (not valid).
    let e4 = report(&worker, G, "考核事件四").await;
    act(&admin, e4, json!({"action": "reject", "note": "重复"})).await;

    // Two elderly people living alone (visit every 30 days, never visited: due now); the worker visits one.
    let mut elderly = Vec::new();
    for (i, name) in ["独居甲", "独居乙"].iter().enumerate() {
        let first17 = format!("11010819450713{:03}", 500 + i);
        let id_number = format!("{first17}{}", wangge_domain::idcard::check_digit(&first17).unwrap());
        let (s, p) = admin
            .post(
                "/api/v1/people",
                &json!({ "name": name, "id_number": id_number, "ethnicity": "汉族", "population_type": "户籍人口",
                         "relation": "户主", "household_number": format!("KH{i}"), "address": format!("考核路{i}号"),
                         "grid_code": G }),
            )
            .await;
        assert_eq!(s, 201, "{p}");
        let pid = p["id"].as_i64().unwrap();
        let (s, b) = admin.put(&format!("/api/v1/people/{pid}/tags/elderly_alone"), &json!({})).await;
        assert!(s == 200 || s == 201, "{b}");
        elderly.push(pid);
    }
    // A 90-minute patrol and a visit, sent from the phone.
    let now = chrono::Utc::now().timestamp_millis();
    let (s, b) = worker
        .post(
            "/api/v1/field/sync",
            &json!({ "client_now": now, "items": [
                { "key": "patrol-start-1", "kind": "patrol_start", "at": now - 95 * 60_000, "data": { "grid_code": G } },
                { "key": "patrol-end-1", "kind": "patrol_end", "at": now - 5 * 60_000, "data": { "patrol": "patrol-start-1" } },
                { "key": "visit-one-1", "kind": "visit", "at": now - 60 * 60_000, "data": { "person_id": elderly[0], "found": true,
                  "situation": "normal", "needs": "", "risk": "same", "note": "身体尚好" } },
            ] }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(b["results"].as_array().unwrap().iter().all(|r| r["status"] == "created"), "{b}");

    let month = this_month();
    // The worker reads their own month.
    let (s, w) = worker.get(&format!("/api/v1/assessment/workers/{wid}?period={month}")).await;
    assert_eq!(s, 200, "{w}");
    // 有效上报率 = 3 valid (e1, e2 registered or self-handled; e3 registered) / 4 reported.
    let valid = metric(&w, "valid_report_rate");
    assert_eq!(
        (valid["value"].as_f64(), valid["numerator"].as_f64(), valid["denominator"].as_f64()),
        (Some(0.75), Some(3.0), Some(4.0))
    );
    let (yes, no) = counted_ids(valid);
    assert_eq!((yes, no), (vec![e1, e2, e3], vec![e4]));
    assert_eq!(valid["records"][0]["href"], format!("/events/{e1}"));
    // 按时核查率 = 1/1 (e1, verified at once).
    let verify = metric(&w, "on_time_verification");
    assert_eq!((verify["value"].as_f64(), counted_ids(verify).0), (Some(1.0), vec![e1]));
    // 满意度 = (4 + 5) / 2.
    let sat = metric(&w, "satisfaction");
    assert_eq!((sat["value"].as_f64(), sat["denominator"].as_f64()), (Some(4.5), Some(2.0)));
    // One patrol of 90 minutes: 1.5 hours; two people due a visit, one visited: 1/2.
    let patrol = metric(&w, "patrol_hours");
    assert_eq!((patrol["value"].as_f64(), patrol["records"].as_array().unwrap().len()), (Some(1.5), 1));
    let visits = metric(&w, "visit_completion");
    assert_eq!(visits["value"].as_f64(), Some(0.5));
    assert_eq!(counted_ids(visits), (vec![elderly[0]], vec![elderly[1]]));
    // Points: visits 35×0.5 = 17.5 + valid 20×0.75/0.9 = 16.67 + verify 15 + satisfaction 15 + patrol 15×1.5/20 = 1.13
    // = 65.3; yellow card −2 → 63.3.
    let sc = &w["score"];
    assert_eq!(indicator(sc, "w_valid")["earned"].as_f64(), Some(16.67));
    assert_eq!(indicator(sc, "w_patrol")["earned"].as_f64(), Some(1.13));
    assert_eq!(indicator(sc, "w_visits")["earned"].as_f64(), Some(17.5));
    assert_eq!(
        (sc["earned"].as_f64(), sc["deducted"].as_f64(), sc["total"].as_f64()),
        (Some(65.3), Some(2.0), Some(63.3))
    );
    let cards = &w["deduction_records"][0];
    assert_eq!((cards["code"].as_str(), cards["records"][0]["id"].as_i64()), (Some("yellow_card"), Some(e1)));
    // Pay: 3000 base + 1000 pool × 0.4 (band ≥ 60).
    assert_eq!(
        (w["pay"]["performance_cents"].as_i64(), w["pay"]["total_cents"].as_i64()),
        (Some(40_000), Some(340_000))
    );

    // Who else reads it: the community and street above (200), a department (403), another grid's worker (404).
    let street = server.login("demo_street", DEMO_PW).await;
    assert_eq!(street.get(&format!("/api/v1/assessment/workers/{wid}?period={month}")).await.0, 200);
    let dept = server.login("demo_department", DEMO_PW).await;
    assert_error(&dept.get(&format!("/api/v1/assessment/workers/{wid}")).await, 403, "forbidden", None);
    let other = server.login("demo_grid_worker", DEMO_PW).await;
    assert_error(&other.get(&format!("/api/v1/assessment/workers/{wid}")).await, 404, "not_found", None);
    assert_error(&other.get(&format!("/api/v1/assessment/workers?region={C}")).await, 403, "forbidden", None);
    // Bad input names the field.
    assert_error(
        &worker.get(&format!("/api/v1/assessment/workers/{wid}?period=2026-13")).await,
        400,
        "invalid_input",
        Some("period"),
    );
    assert_error(
        &worker.get(&format!("/api/v1/assessment/workers/{wid}?period=2026-Q4")).await,
        400,
        "invalid_input",
        Some("period"),
    );

    // The community's list: one worker.
    let (s, list) = street.get(&format!("/api/v1/assessment/workers?region={C}&period={month}")).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!((list[0]["username"].as_str(), list[0]["total"].as_f64()), (Some("kh_worker"), Some(63.3)));

    // Department ranking in the community: 城管 handled e1 and e3 on time (2/2 → 40), e3 reworked (1/2 → 25 × (1 −
    // 0.5/0.5) = 0), no postponement (15), satisfaction 4 on e1 (20 × 4/5 = 16), one yellow card (−1): 70.
    let (s, rank) = street.get(&format!("/api/v1/assessment/departments?region={C}&period={month}")).await;
    assert_eq!(s, 200, "{rank}");
    assert_eq!(rank.as_array().unwrap().len(), 1, "{rank}");
    let d = &rank[0];
    assert_eq!((d["rank"].as_i64(), d["department_code"].as_str()), (Some(1), Some("chengguan")));
    assert_eq!(metric(d, "on_time_disposal")["value"].as_f64(), Some(1.0));
    assert_eq!(metric(d, "rework_rate")["value"].as_f64(), Some(0.5));
    assert_eq!(metric(d, "postponement_rate")["value"].as_f64(), Some(0.0));
    assert_eq!(metric(d, "satisfaction")["value"].as_f64(), Some(4.0));
    assert_eq!(d["score"]["total"].as_f64(), Some(70.0));
    assert!(metric(d, "rework_rate")["records"].as_array().unwrap().is_empty(), "the ranking leaves records out");
    let (s, one) = street.get(&format!("/api/v1/assessment/departments/chengguan?region={C}&period={month}")).await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(counted_ids(metric(&one, "rework_rate")), (vec![e3], vec![e1]));
    assert_error(
        &street.get(&format!("/api/v1/assessment/departments?region={STREET2}")).await,
        404,
        "not_found",
        None,
    );

    // The payroll workbook, opened.
    let community = {
        add_user(&admin, "kh_staff", "community", C).await;
        server.login("kh_staff", DEMO_PW).await
    };
    let resp = community
        .request(reqwest::Method::GET, &format!("/api/v1/assessment/payroll.xlsx?region={C}&period={month}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let bytes = resp.bytes().await.unwrap().to_vec();
    use calamine::{DataType, Reader};
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx opens");
    let sheet = wb.worksheet_range("绩效工资").expect("sheet");
    assert_eq!(sheet.get((2, 7)).unwrap().to_string(), "应发合计(元)");
    assert_eq!(sheet.get((3, 0)).unwrap().to_string(), "kh_worker");
    assert_eq!(sheet.get((3, 3)).unwrap().get_float(), Some(63.3));
    assert_eq!(sheet.get((3, 5)).unwrap().get_float(), Some(3000.0));
    assert_eq!(sheet.get((3, 6)).unwrap().get_float(), Some(400.0));
    assert_eq!(sheet.get((3, 7)).unwrap().get_float(), Some(3400.0));
    assert!(sheet.get((5, 0)).unwrap().to_string().starts_with("导出人 kh_staff"), "watermark");
    let (_, audit) = admin.get("/api/v1/audit?action=export").await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["actor"] == "kh_staff" && a["object"].as_str().unwrap().starts_with("payroll")),
        "{audit}"
    );
    // Grid workers do not export payroll.
    assert_eq!(worker.get("/api/v1/assessment/payroll.xlsx").await.0, 403);

    // The community's own metrics for the year, pre-filled on its star assessment: one approved fund-ledger entry
    // this month (published months 1 of the months so far), e1 and e2 closed on time (2/2), none of the closed
    // reworked (e3 is not closed), ratings 4 and 5, the patrol's 1.5 hours.
    let today = chrono::Utc::now() + chrono::Duration::hours(8);
    let (s, entry) = community
        .post(
            "/api/v1/ledger",
            &json!({ "region_code": C, "direction": "income", "category": "government", "amount": 1000,
                     "occurred_on": today.format("%Y-%m-%d").to_string(), "summary": "社区建设补助" }),
        )
        .await;
    assert_eq!(s, 201, "{entry}");
    let (s, b) = street
        .post(&format!("/api/v1/ledger/{}/decision", entry["id"]), &json!({ "decision": "approve", "note": "核实" }))
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, star) =
        community.post("/api/v1/assessment/stars", &json!({ "community_code": C, "year": today.year() })).await;
    assert_eq!(s, 201, "{star}");
    let months = today.month() as f64;
    let ratio = ((1.0 / months) * 10_000.0).round() / 10_000.0;
    let ledger = metric(&star, "fund_ledger_published");
    assert_eq!(ledger["value"].as_f64(), Some(ratio));
    assert_eq!((ledger["numerator"].as_f64(), ledger["denominator"].as_f64()), (Some(1.0), Some(months)));
    assert_eq!(ledger["records"][0]["id"], entry["id"]);
    let on_time = metric(&star, "on_time_rate");
    assert_eq!((on_time["value"].as_f64(), counted_ids(on_time)), (Some(1.0), (vec![e1, e2], vec![])));
    assert_eq!(metric(&star, "rework_rate")["value"].as_f64(), Some(0.0));
    assert_eq!(metric(&star, "satisfaction")["value"].as_f64(), Some(4.5));
    assert_eq!(metric(&star, "patrol_hours")["value"].as_f64(), Some(1.5));
    assert_eq!(metric(&star, "visit_completion")["value"].as_f64(), Some(0.5));
    // civ_ledger: 6 × ratio; ord_patrol: 4 × 1.5/60 = 0.1.
    let sb = &star["self_breakdown"];
    assert_eq!(indicator(sb, "ord_patrol")["earned"].as_f64(), Some(0.1));
    assert_eq!(indicator(sb, "civ_ledger")["earned"].as_f64(), Some((6.0 * ratio * 100.0).round() / 100.0));
    server.finish().await;
}

async fn star_chain(db: TestDb) {
    let server = Server::demo(db);
    let admin = server.admin().await;
    setup_regions(&admin).await;
    add_user(&admin, "kh_staff", "community", C).await;
    add_user(&admin, "xj_staff", "community", C2).await;
    let staff = server.login("kh_staff", DEMO_PW).await;
    let street = server.login("demo_street", DEMO_PW).await;
    let district = server.login("demo_district", DEMO_PW).await;
    let year = &this_month()[..4];
    let year: i64 = year.parse().unwrap();

    // The default scheme (8 aspects, 100 points; the deadline 30 September).
    let (s, st) = staff.post("/api/v1/assessment/stars", &json!({ "community_code": C, "year": year })).await;
    assert_eq!(s, 201, "{st}");
    let id = st["id"].as_i64().unwrap();
    assert_eq!(st["scheme"]["aspects"].as_array().unwrap().len(), 8);
    assert_eq!(st["deadline"], format!("{year}-09-30"));
    // Nothing recorded in the new community: every event metric has nothing to measure (full points), patrols are 0
    // hours (0 of 4) and no fund-ledger month was published (0 of 6): 38 − 10 = 28 objective points.
    let objective: f64 = st["self_breakdown"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["metric"].is_null())
        .map(|i| i["earned"].as_f64().unwrap())
        .sum();
    assert_eq!(objective, 28.0);
    // Declaring with self-scores missing → 422 naming them.
    let r = staff.post(&format!("/api/v1/assessment/stars/{id}/actions"), &json!({ "action": "declare" })).await;
    assert_error(&r, 422, "rule_violated", Some("scores"));
    // Every reviewed indicator at full points, each with evidence: 28 + 62 = 90.
    let reviews: Vec<(String, f64)> = st["scheme"]["aspects"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["indicators"].as_array().unwrap().clone())
        .filter(|i| i["source"]["kind"] == "review")
        .map(|i| (i["code"].as_str().unwrap().to_string(), i["points"].as_f64().unwrap()))
        .collect();
    let scores: Vec<Value> =
        reviews.iter().map(|(c, p)| json!({ "indicator_code": c, "score": p, "evidence": "/life/meetings" })).collect();
    // Evidence is required for the self-assessment; an objective indicator cannot be scored by hand.
    let r = staff
        .put(
            &format!("/api/v1/assessment/stars/{id}/scores"),
            &json!({ "scores": [{ "indicator_code": reviews[0].0, "score": 1 }] }),
        )
        .await;
    assert_error(&r, 400, "invalid_input", Some("scores[0].evidence"));
    let r = staff
        .put(
            &format!("/api/v1/assessment/stars/{id}/scores"),
            &json!({ "scores": [{ "indicator_code": "ord_on_time", "score": 1, "evidence": "x" }] }),
        )
        .await;
    assert_error(&r, 400, "invalid_input", Some("scores[0].indicator_code"));
    let r = staff
        .put(
            &format!("/api/v1/assessment/stars/{id}/scores"),
            &json!({ "scores": [{ "indicator_code": reviews[0].0, "score": 99, "evidence": "x" }] }),
        )
        .await;
    assert_error(&r, 400, "invalid_input", Some("scores[0].score"));
    let (s, st) = staff.put(&format!("/api/v1/assessment/stars/{id}/scores"), &json!({ "scores": scores })).await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["self_breakdown"]["total"].as_f64(), Some(90.0));
    // Today is past 30 September of this year (the test runs in December) or not: either way the rule decides.
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let deadline = chrono::NaiveDate::from_ymd_opt(year as i32, 9, 30).unwrap();
    let r = staff.post(&format!("/api/v1/assessment/stars/{id}/actions"), &json!({ "action": "declare" })).await;
    if today > deadline {
        assert_error(&r, 422, "rule_violated", Some("deadline"));
    } else {
        assert_eq!(r.0, 200, "{}", r.1);
    }

    // The district moves the deadline to 31 December (a scheme is data); 90 points still needed.
    let mut scheme: Value = st["scheme"].clone();
    scheme["code"] = json!(format!("star-{year}-late"));
    scheme["star"]["deadline"] = json!("12-31");
    assert_error(&staff.post("/api/v1/assessment/schemes", &scheme).await, 403, "forbidden", None);
    let mut bad = scheme.clone();
    bad["aspects"][0]["indicators"][0]["points"] = json!(-1);
    assert_error(
        &district.post("/api/v1/assessment/schemes", &bad).await,
        400,
        "invalid_input",
        Some("aspects[0].indicators[0].points"),
    );
    let (s, b) = district.post("/api/v1/assessment/schemes", &scheme).await;
    assert_eq!(s, 200, "{b}");
    let c2staff = server.login("xj_staff", DEMO_PW).await;
    let (s, st2) = c2staff.post("/api/v1/assessment/stars", &json!({ "community_code": C2, "year": year })).await;
    assert_eq!(s, 201, "{st2}");
    let id2 = st2["id"].as_i64().unwrap();
    assert_eq!(st2["deadline"], format!("{year}-12-31"));
    // One point short: 89 → 422 naming the score.
    let mut low = scores.clone();
    low[0]["score"] = json!(reviews[0].1 - 1.0);
    let (s, b) = c2staff.put(&format!("/api/v1/assessment/stars/{id2}/scores"), &json!({ "scores": low })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["self_breakdown"]["total"].as_f64(), Some(89.0));
    let r = c2staff.post(&format!("/api/v1/assessment/stars/{id2}/actions"), &json!({ "action": "declare" })).await;
    assert_error(&r, 422, "rule_violated", Some("score"));
    // The district cannot approve a draft (409); the street cannot score a draft (409).
    assert_error(
        &district.post(&format!("/api/v1/assessment/stars/{id2}/actions"), &json!({ "action": "approve" })).await,
        409,
        "conflict",
        None,
    );
    assert_error(
        &street.put(&format!("/api/v1/assessment/stars/{id2}/scores"), &json!({ "scores": low })).await,
        409,
        "conflict",
        None,
    );
    // 90 → declared.
    let (s, _) = c2staff.put(&format!("/api/v1/assessment/stars/{id2}/scores"), &json!({ "scores": scores })).await;
    assert_eq!(s, 200);
    let (s, b) =
        c2staff.post(&format!("/api/v1/assessment/stars/{id2}/actions"), &json!({ "action": "declare" })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!((b["status"].as_str(), b["self_score"].as_f64()), (Some("declared"), Some(90.0)));
    // The community can no longer change its scores; it cannot pass its own declaration.
    assert_error(
        &c2staff.put(&format!("/api/v1/assessment/stars/{id2}/scores"), &json!({ "scores": scores })).await,
        409,
        "conflict",
        None,
    );
    assert_error(
        &c2staff.post(&format!("/api/v1/assessment/stars/{id2}/actions"), &json!({ "action": "street_pass" })).await,
        403,
        "forbidden",
        None,
    );
    // The street must score every reviewed indicator before passing; a return needs a reason.
    let r = street.post(&format!("/api/v1/assessment/stars/{id2}/actions"), &json!({ "action": "street_pass" })).await;
    assert_error(&r, 422, "rule_violated", Some("scores"));
    assert_error(
        &street.post(&format!("/api/v1/assessment/stars/{id2}/actions"), &json!({ "action": "street_return" })).await,
        400,
        "invalid_input",
        Some("note"),
    );
    let street_scores: Vec<Value> =
        reviews.iter().map(|(c, p)| json!({ "indicator_code": c, "score": p, "evidence": "实地查看" })).collect();
    let (s, b) =
        street.put(&format!("/api/v1/assessment/stars/{id2}/scores"), &json!({ "scores": street_scores })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["street_breakdown"]["total"].as_f64(), Some(90.0));
    // The street cannot approve.
    assert_error(
        &street.post(&format!("/api/v1/assessment/stars/{id2}/actions"), &json!({ "action": "approve" })).await,
        403,
        "forbidden",
        None,
    );
    let (s, b) =
        street.post(&format!("/api/v1/assessment/stars/{id2}/actions"), &json!({ "action": "street_pass" })).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) =
        district.post(&format!("/api/v1/assessment/stars/{id2}/actions"), &json!({ "action": "approve" })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        (b["status"].as_str(), b["final_score"].as_f64(), b["stars"].as_i64()),
        (Some("approved"), Some(90.0), Some(3))
    );
    let steps: Vec<&str> = b["actions"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(steps, ["open", "declare", "street_pass", "approve"]);
    // Published on the portal.
    let (s, html) = server.client().page(&format!("/p/{C2}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("★★★") && html.contains("星级社区"), "portal shows the stars");
    // A red card in the community after approval is an incident the detail lists; the district flags and withdraws.
    let e = report(&admin, G2, "星级社区红牌事件").await;
    act(&admin, e, json!({"action": "supervise", "card": "red", "note": "红牌"})).await;
    let (_, b) = district.get(&format!("/api/v1/assessment/stars/{id2}")).await;
    assert_eq!(b["incidents"][0]["id"].as_i64(), Some(e), "{b}");
    let (s, b) = district
        .post(&format!("/api/v1/assessment/stars/{id2}/actions"), &json!({ "action": "flag", "note": "红牌督办" }))
        .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("flagged")));
    let (s, b) = district
        .post(&format!("/api/v1/assessment/stars/{id2}/actions"), &json!({ "action": "withdraw", "note": "摘星" }))
        .await;
    assert_eq!((s, b["status"].as_str(), b["stars"].as_i64()), (200, Some("withdrawn"), Some(0)));
    let (_, html) = server.client().page(&format!("/p/{C2}")).await;
    assert!(!html.contains("★★★"), "a withdrawn star is no longer shown");
    // Lists are scoped: the community sees its own; a grid worker elsewhere is refused.
    let (s, l) = c2staff.get("/api/v1/assessment/stars").await;
    assert_eq!(s, 200, "{l}");
    assert!(l.as_array().unwrap().iter().all(|s| s["community_code"] == C2), "{l}");
    let worker = server.login("demo_grid_worker", DEMO_PW).await;
    assert_error(&worker.get(&format!("/api/v1/assessment/stars/{id2}")).await, 404, "not_found", None);
    server.finish().await;
}

/// A community of its own for the property companies, with two grids (小区) far from the demo's.
const C3: &str = "330199001007";
const G3: &str = "33019900100701";
const G3B: &str = "33019900100702";

fn credit_code(first17: &str) -> String {
    format!("{first17}{}", wangge_domain::organization::credit_code_check(first17).unwrap())
}

fn this_quarter() -> String {
    let now = chrono::Utc::now() + chrono::Duration::hours(8);
    format!("{}-Q{}", now.year(), now.month0() / 3 + 1)
}

/// 物业服务考评: a company's quarter scored by hand from a survey (three paper ballots 5, 4, 3), seven inspection
/// items and the on-time closure of its grid's 物业纠纷 events; every number with its records; validation by
/// field; who may score.
async fn property_companies(db: TestDb) {
    let server = Server::demo(db);
    let admin = server.admin().await;
    for (code, name, parent, boundary) in [
        (C3, "物业社区", STREET1, None),
        (G3, "物业一小区", C3, Some(square(121.7, 29.5, 0.01))),
        (G3B, "物业二小区", C3, Some(square(121.72, 29.5, 0.01))),
    ] {
        let mut body = json!({ "code": code, "name": name, "parent_code": parent });
        if let Some(b) = boundary {
            body["boundary"] = b;
        }
        let (s, b) = admin.post("/api/v1/regions", &body).await;
        assert_eq!(s, 201, "{b}");
    }
    add_user(&admin, "pm_community", "community", C3).await;
    add_user(&admin, "pm_worker", "grid_worker", G3).await;
    let staff = server.login("pm_community", DEMO_PW).await;
    let worker = server.login("pm_worker", DEMO_PW).await;
    let street = server.login("demo_street", DEMO_PW).await;
    let quarter = this_quarter();

    // Registration: the credit code is checked (GB 32100), areas must lie in the registering community.
    let good = credit_code("91330199MA2PM0001");
    let body = |code: &str, areas: Value| {
        json!({ "region_code": C3, "name": "清河物业服务有限公司", "credit_code": code, "contact_name": "王经理",
                "contact_phone": "13805711234", "areas": areas })
    };
    assert_field(
        &staff.post("/api/v1/assessment/property-companies", &body("91330199MA2PM0000", json!([G3]))).await,
        "credit_code",
    );
    assert_field(&staff.post("/api/v1/assessment/property-companies", &body(&good, json!([GRID1]))).await, "areas[0]");
    assert_field(&staff.post("/api/v1/assessment/property-companies", &body(&good, json!([]))).await, "areas");
    let (s, c) = staff.post("/api/v1/assessment/property-companies", &body(&good, json!([G3]))).await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_i64().unwrap();
    assert_eq!((c["credit_code"].as_str(), c["may_manage"].as_bool()), (Some(good.as_str()), Some(true)));
    assert_field(&staff.post("/api/v1/assessment/property-companies", &body(&good, json!([G3B]))).await, "credit_code");
    let mut other = body(&credit_code("91330199MA2PM0002"), json!([G3B]));
    other["name"] = json!("安家物业");
    let (s, c2) = staff.post("/api/v1/assessment/property-companies", &other).await;
    assert_eq!(s, 201, "{c2}");
    let id2 = c2["id"].as_i64().unwrap();
    // Edits are versioned.
    let r = staff
        .send("PATCH", &format!("/api/v1/assessment/property-companies/{id}"), Some(&json!({ "version": 99 })))
        .await;
    assert_error(&r, 409, "conflict", None);
    let (s, c) = staff
        .send(
            "PATCH",
            &format!("/api/v1/assessment/property-companies/{id}"),
            Some(&json!({ "contact_name": "李经理", "version": 1 })),
        )
        .await;
    assert_eq!((s, c["contact_name"].as_str(), c["version"].as_i64()), (200, Some("李经理"), Some(2)), "{c}");
    let r = staff
        .send("PATCH", &format!("/api/v1/assessment/property-companies/{id}"), Some(&json!({ "contact_phone": "12" })))
        .await;
    assert_field(&r, "contact_phone");

    // The survey: a community poll with one 1–5 question; three residents of the company's grid answer on paper.
    let (s, poll) = staff
        .post(
            "/api/v1/polls",
            &json!({ "region_code": C3, "title": "物业服务满意度测评", "open": true,
                     "questions": [{ "kind": "single", "text": "您住在哪个小区", "options": ["一小区", "二小区"] },
                                   { "kind": "scale", "text": "您对物业服务的满意度", "min_label": "很不满意", "max_label": "很满意" }] }),
        )
        .await;
    assert_eq!(s, 201, "{poll}");
    let poll_id = poll["id"].as_i64().unwrap();
    for (i, rating) in [5, 4, 3].iter().enumerate() {
        let first17 = format!("11010819800713{:03}", 600 + i);
        let id_number = format!("{first17}{}", wangge_domain::idcard::check_digit(&first17).unwrap());
        let (s, p) = admin
            .post(
                "/api/v1/people",
                &json!({ "name": (["业主甲", "业主乙", "业主丙"][i]), "id_number": id_number, "ethnicity": "汉族", "population_type": "户籍人口",
                         "relation": "户主", "household_number": format!("PM{i}"), "address": format!("物业路{i}号"),
                         "grid_code": G3 }),
            )
            .await;
        assert_eq!(s, 201, "{p}");
        let (s, b) = staff
            .post(
                &format!("/api/v1/polls/{poll_id}/paper-ballots"),
                &json!({ "person_id": p["id"], "answers": [0, rating] }),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let surveys = format!("/api/v1/assessment/property-companies/{id}/surveys");
    let link = |poll: i64, q: i64| json!({ "period": quarter, "surveys": [{ "poll_id": poll, "question": q }] });
    assert_field(&staff.put(&surveys, &link(poll_id, 0)).await, "surveys[0].question");
    assert_field(&staff.put(&surveys, &link(9_999_999, 1)).await, "surveys[0].poll_id");
    assert_field(&staff.put(&surveys, &json!({ "period": "2026-13", "surveys": [] })).await, "period");
    let (s, b) = staff.put(&surveys, &link(poll_id, 1)).await;
    assert_eq!(s, 200, "{b}");

    // Inspections: each 0…points with evidence, named by field.
    let inspections = format!("/api/v1/assessment/property-companies/{id}/inspections");
    let one = |code: &str, score: f64, evidence: &str| json!({ "period": quarter, "scores": [{ "indicator_code": code, "score": score, "evidence": evidence }] });
    assert_field(&staff.put(&inspections, &one("pm_sanitation", 10.5, "超分")).await, "scores[0].score");
    assert_field(&staff.put(&inspections, &one("pm_sanitation", -1.0, "负分")).await, "scores[0].score");
    assert_field(&staff.put(&inspections, &one("pm_sanitation", 8.0, " ")).await, "scores[0].evidence");
    assert_field(&staff.put(&inspections, &one("pm_survey", 8.0, "客观")).await, "scores[0].indicator_code");
    assert_field(&staff.put(&inspections, &one("nope", 1.0, "无")).await, "scores[0].indicator_code");
    // A grid worker may not score (403); an unknown company is 404.
    assert_error(&worker.put(&inspections, &one("pm_sanitation", 8.0, "网格员")).await, 403, "forbidden", None);
    assert_error(
        &staff.put("/api/v1/assessment/property-companies/9999999/inspections", &one("pm_sanitation", 8.0, "x")).await,
        404,
        "not_found",
        None,
    );
    assert_error(&staff.get("/api/v1/assessment/property/9999999").await, 404, "not_found", None);
    assert_error(&worker.get(&format!("/api/v1/assessment/property/{id}")).await, 403, "forbidden", None);
    let scores: Vec<Value> = [
        ("pm_sanitation", 8.0),
        ("pm_security", 8.0),
        ("pm_facilities", 6.0),
        ("pm_greenery", 6.0),
        ("pm_fire", 8.0),
        ("pm_disclosure", 5.0),
    ]
    .iter()
    .map(|(c, s)| json!({ "indicator_code": c, "score": s, "evidence": format!("{c} 现场检查照片 /attachments/1") }))
    .collect();
    let (s, b) = staff.put(&inspections, &json!({ "period": quarter, "scores": scores })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["pending"], json!(["pm_complaints"]), "one item still to score");
    // The street scores too (it registers and inspects for its communities).
    let (s, _) = street.put(&inspections, &one("pm_complaints", 3.0, "投诉台账抽查 5 件，2 件超时")).await;
    assert_eq!(s, 200);

    // Property events: a 物业纠纷 closed on time counts; a 市容 event in the same grid does not.
    let mut events = Vec::new();
    for category in ["Z0104", "E0103"] {
        let (s, e) = worker
            .post("/api/v1/events", &json!({ "category": category, "description": "物业考评事件", "grid_code": G3 }))
            .await;
        assert_eq!(s, 201, "{e}");
        let e = e["id"].as_i64().unwrap();
        for a in [
            json!({"action": "accept"}),
            json!({"action": "register"}),
            json!({"action": "dispatch", "department": "zhujian"}),
            json!({"action": "handle", "note": "已处置"}),
        ] {
            act(&admin, e, a).await;
        }
        act(&worker, e, json!({"action": "verify", "note": "核查属实"})).await;
        act(&admin, e, json!({"action": "close"})).await;
        events.push(e);
    }

    // By hand: survey (5 + 4 + 3) / 3 = 4.0 of 5 → 40 × 0.8 = 32; inspections 8 + 8 + 6 + 6 + 8 + 5 + 3 = 44;
    // events 1/1 on time → 10. Total 86 → the 80 band's award, ¥10,000.
    let (s, sc) = staff.get(&format!("/api/v1/assessment/property/{id}?period={quarter}")).await;
    assert_eq!(s, 200, "{sc}");
    let survey = metric(&sc, "survey_satisfaction");
    assert_eq!(
        (survey["value"].as_f64(), survey["numerator"].as_f64(), survey["denominator"].as_f64()),
        (Some(4.0), Some(12.0), Some(3.0))
    );
    assert_eq!(
        (survey["records"][0]["kind"].as_str(), survey["records"][0]["id"].as_i64()),
        (Some("poll"), Some(poll_id))
    );
    assert_eq!(survey["records"][0]["href"], format!("/participation/polls/{poll_id}"));
    let on_time = metric(&sc, "on_time_rate");
    assert_eq!(counted_ids(on_time), (vec![events[0]], vec![]), "only the 物业纠纷 counts: {on_time}");
    let score = &sc["score"];
    assert_eq!(indicator(score, "pm_survey")["earned"].as_f64(), Some(32.0));
    assert_eq!(indicator(score, "pm_complaints")["earned"].as_f64(), Some(3.0));
    assert_eq!(indicator(score, "pm_events")["earned"].as_f64(), Some(10.0));
    assert_eq!(score["total"].as_f64(), Some(86.0));
    assert_eq!((sc["award_cents"].as_i64(), sc["pending"].as_array().unwrap().len()), (Some(1_000_000), 0));
    let entries = sc["inspections"].as_array().unwrap();
    assert_eq!(entries.len(), 7);
    let complaint = entries.iter().find(|e| e["indicator_code"] == "pm_complaints").unwrap();
    assert_eq!((complaint["entered_by"].as_str(), complaint["score"].as_f64()), (Some("demo_street"), Some(3.0)));
    // The year holds this one quarter: the same score.
    let year = quarter[..4].to_string();
    let (_, y) = staff.get(&format!("/api/v1/assessment/property/{id}?period={year}")).await;
    assert_eq!(y["score"]["total"].as_f64(), Some(86.0), "{y}");

    // The ranking: the scored company first; the other has nothing surveyed or inspected (8 pending; its grid's
    // events: nothing to measure, full 10).
    let (s, list) = street.get(&format!("/api/v1/assessment/property?region={C3}&period={quarter}")).await;
    assert_eq!(s, 200, "{list}");
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0]["company"]["id"].as_i64(), rows[0]["rank"].as_i64()), (Some(id), Some(1)));
    assert_eq!(
        (
            rows[1]["company"]["id"].as_i64(),
            rows[1]["score"]["total"].as_f64(),
            rows[1]["pending"].as_array().unwrap().len()
        ),
        (Some(id2), Some(10.0), 8)
    );
    assert!(rows[0]["metrics"][0]["records"].as_array().unwrap().is_empty(), "the ranking leaves records out");
    assert_error(&worker.get(&format!("/api/v1/assessment/property?region={G3}")).await, 403, "forbidden", None);
    server.finish().await;
}

both_backends!(worker_and_department_scores, star_chain, property_companies);
