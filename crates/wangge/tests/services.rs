//! One-window resident services over HTTP on both backends: acceptance at the window for a person of the register
//! (materials checked, tracking number, first-responsible staff notified of every change, the applicant's SMS in the
//! outbox), the back office's workflow by role (403 before 409, stale versions, two finishes at once), online
//! applications with uploaded materials followed by tracking number, deadlines and the server's overdue escalation,
//! the admission list (a push not on the list is refused with 422 and recorded), appointments (no double booking,
//! tested as a race), and bad input named field by field.

mod common;

use common::*;
use serde_json::{Value, json};
use wangge_testkit::TestDb;

const DAY_MS: i64 = 86_400_000;

async fn person_in(c: &Client, grid: &str, n: usize) -> Value {
    let (s, page) = c.get(&format!("/api/v1/people?region={grid}&limit=50")).await;
    assert_eq!(s, 200, "{page}");
    page["items"][n].clone()
}

/// A person of `grid` with no application yet (the demo holds a month of them) who is not the demo resident.
async fn fresh_applicant(c: &Client, resident: &Client, grid: &str) -> Value {
    let me = resident.get("/api/v1/me").await.1["person_id"].as_i64();
    let (_, page) = c.get(&format!("/api/v1/people?region={grid}&limit=100")).await;
    for p in page["items"].as_array().unwrap() {
        if p["id"].as_i64() == me || p["age"].as_i64().unwrap_or(0) < 18 {
            continue;
        }
        if c.get(&format!("/api/v1/applications?person={}", p["id"])).await.1["total"] == 0 {
            return p.clone();
        }
    }
    panic!("no person without applications in {grid}");
}

async fn act(c: &Client, id: i64, body: Value) -> Resp {
    c.post(&format!("/api/v1/applications/{id}/actions"), &body).await
}

async fn query_rows(db: &TestDb, statement: &str) -> Vec<(String,)> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&db.url).await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as(statement).fetch_all(&pool).await.unwrap();
    pool.close().await;
    rows
}

/// Uploads `bytes` as a material file.
async fn upload_material(c: &Client, name: &str, bytes: &[u8]) -> Resp {
    let boundary = "wanggeServiceBoundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = c
        .request(reqwest::Method::POST, "/api/v1/service-uploads")
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    into_resp(r).await
}

fn ms(s: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s.as_str().unwrap_or_else(|| panic!("not a time: {s}")))
        .unwrap()
        .timestamp_millis()
}

const TEMP_AID: [&str; 3] = ["居民身份证", "临时救助申请书", "遭遇困难的相关证明"];

async fn window_acceptance_and_the_back_office(db: TestDb) {
    let srv = Server::demo(db);
    let community = srv.login("demo_community", DEMO_PW).await;
    let minzheng = srv.login("demo_minzheng", DEMO_PW).await;
    let chengguan = srv.login("demo_department", DEMO_PW).await;
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    let leader = srv.login("demo_leader", DEMO_PW).await;
    let resident = srv.login("demo_resident", DEMO_PW).await;
    let person = fresh_applicant(&community, &resident, GRID1).await;
    let pid = person["id"].as_i64().unwrap();
    let outsider = person_in(&srv.admin().await, "33019900200101", 0).await;
    let body = |extra: Value| {
        let mut b = json!({ "item_code": "MZ03", "person_id": pid, "received": TEMP_AID, "note": "家中失火，生活困难",
            "window": "2号窗口" });
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };

    // Bad input, field by field; nothing is written.
    for (extra, field) in [
        (json!({ "item_code": "XX99" }), "item_code"),
        (json!({ "person_id": 99_999_999 }), "person_id"),
        (json!({ "person_id": outsider["id"] }), "person_id"),
        (json!({ "received": ["居民身份证", "结婚证"] }), "received[1]"),
        (json!({ "window": "窗".repeat(21) }), "window"),
        (json!({ "note": "失火\u{7}" }), "note"),
        (json!({ "materials": [{ "name": "居民身份证", "attachments": [1] }] }), "materials"),
    ] {
        assert_field(&community.post("/api/v1/applications", &body(extra.clone())).await, field);
    }
    assert_field(&community.post("/api/v1/applications", &json!({ "item_code": "MZ03" })).await, "person_id");
    // Missing required materials: 422 naming them (the 一次性告知).
    let r = community.post("/api/v1/applications", &body(json!({ "received": ["居民身份证"] }))).await;
    assert_error(&r, 422, "rule_violated", Some("received"));
    assert!(r.1["error"]["message"].as_str().unwrap().contains("临时救助申请书、遭遇困难的相关证明"), "{}", r.1);
    // Roles that do not accept at the window.
    for c in [&minzheng, &leader] {
        assert_error(&c.post("/api/v1/applications", &body(json!({}))).await, 403, "forbidden", None);
    }
    let (_, none) = community.get(&format!("/api/v1/applications?person={pid}")).await;
    assert_eq!(none["total"], 0, "refusals wrote nothing: {none}");

    // Accepted at the window: tracking number, first-responsible, deadline in working days.
    let (s, a) = community.post("/api/v1/applications", &body(json!({}))).await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_i64().unwrap();
    let no = a["tracking_no"].as_str().unwrap().to_string();
    assert!(no.starts_with("FW001001") && no.len() == 20, "{no}");
    assert_eq!(a["status"], "accepted");
    assert_eq!(a["channel"], "window");
    assert_eq!(a["first_responsible"], "社区书记 张红");
    assert_eq!(a["department_code"], "minzheng");
    assert_eq!(a["applicant_name"], person["name"]);
    assert!(a["applicant_id_number"].as_str().unwrap().contains("********"), "masked: {a}");
    assert_eq!(a["window"], "2号窗口");
    let accepted = ms(&a["accepted_at"]);
    let due = ms(&a["due_at"]);
    assert!(due - accepted >= 12 * DAY_MS && due - accepted <= 30 * DAY_MS, "10 working days: {a}");
    assert!(a["materials"].as_array().unwrap().iter().all(|m| m["received"] == true), "{a}");
    let actions: Vec<&str> = a["actions"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
    assert!(
        actions.contains(&"supplement") && actions.contains(&"withdraw") && !actions.contains(&"approve"),
        "{actions:?}"
    );
    // The same item for the same person again: 409 naming the open one.
    let r = community.post("/api/v1/applications", &body(json!({}))).await;
    assert_error(&r, 409, "conflict", None);
    assert_eq!(r.1["error"]["details"]["tracking_no"], no.as_str());

    // Who may read it: the grid's worker yes; the leader 403; another department and a stranger 404.
    assert_eq!(worker.get(&format!("/api/v1/applications/{id}")).await.0, 200);
    assert_error(&leader.get(&format!("/api/v1/applications/{id}")).await, 403, "forbidden", None);
    assert_error(&chengguan.get(&format!("/api/v1/applications/{id}")).await, 404, "not_found", None);
    assert_error(&resident.get(&format!("/api/v1/applications/{id}")).await, 404, "not_found", None);
    let (_, list) = chengguan.get("/api/v1/applications?limit=500").await;
    assert!(list["items"].as_array().unwrap().iter().all(|i| i["department_code"] == "chengguan"), "{list}");

    // The back office (民政): it is in the queue, most urgent first.
    let (s, q) = minzheng.get("/api/v1/applications?view=queue&limit=500").await;
    assert_eq!(s, 200, "{q}");
    let items = q["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["id"] == id), "{q}");
    let dues: Vec<i64> = items.iter().map(|i| ms(&i["due_at"])).collect();
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "queue ordered by deadline");
    assert!(items.iter().all(|i| i["department_code"] == "minzheng"));
    // Role before state: the grid worker may not approve (403) even where the state is wrong too; the
    // department in the wrong state: 409.
    assert_error(&act(&worker, id, json!({ "action": "approve" })).await, 403, "forbidden", None);
    assert_error(&act(&minzheng, id, json!({ "action": "accept" })).await, 403, "forbidden", None);
    assert_error(&act(&minzheng, id, json!({ "action": "approve" })).await, 409, "conflict", None);
    assert_field(&act(&minzheng, id, json!({ "action": "promote" })).await, "action");
    assert_field(&act(&minzheng, id, json!({ "action": "handle", "bogus": 1 })).await, "bogus");
    let (s, h) = act(&minzheng, id, json!({ "action": "handle" })).await;
    assert_eq!((s, h["status"].as_str()), (200, Some("processing")), "{h}");
    assert_eq!(h["handler"], "demo_minzheng");
    // 补正: a reason is required; the clock stops and runs on from where it stood.
    assert_field(&act(&minzheng, id, json!({ "action": "supplement" })).await, "note");
    let (s, sup) = act(&minzheng, id, json!({ "action": "supplement", "note": "请补充医院费用票据原件" })).await;
    assert_eq!((s, sup["status"].as_str()), (200, Some("supplement")), "{sup}");
    assert_field(&act(&community, id, json!({ "action": "resubmit", "received": ["户口簿"] })).await, "received[0]");
    let (s, back) = act(&community, id, json!({ "action": "resubmit", "received": ["遭遇困难的相关证明"] })).await;
    assert_eq!((s, back["status"].as_str()), (200, Some("processing")), "{back}");
    assert!(ms(&back["due_at"]) >= due, "the pause does not count: {back}");
    // Two at once: a stale version loses; of two finishes, one wins.
    let v = back["version"].as_i64().unwrap();
    let (s, ap) = act(&minzheng, id, json!({ "action": "approve", "version": v })).await;
    assert_eq!((s, ap["status"].as_str()), (200, Some("approved")), "{ap}");
    assert_error(&act(&minzheng, id, json!({ "action": "finish", "version": v })).await, 409, "conflict", None);
    let body = json!({ "action": "finish", "note": "救助金1500元已发放至社保卡" });
    let (r1, r2) = tokio::join!(act(&minzheng, id, body.clone()), act(&minzheng, id, body.clone()));
    let mut codes = [r1.0, r2.0];
    codes.sort_unstable();
    assert_eq!(codes, [200, 409], "one finish wins: {} / {}", r1.1, r2.1);
    let (_, done) = community.get(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["result"], "救助金1500元已发放至社保卡");
    assert_eq!(done["steps"].as_array().unwrap().iter().filter(|s| s["action"] == "finish").count(), 1);
    // Rating: 1–5, once; the window's 评价器 may record it.
    assert_field(&act(&community, id, json!({ "action": "rate", "satisfaction": 9 })).await, "satisfaction");
    let (s, rated) = act(&community, id, json!({ "action": "rate", "satisfaction": 5, "note": "办事快" })).await;
    assert_eq!((s, rated["satisfaction"].as_i64()), (200, Some(5)), "{rated}");
    assert_error(&act(&community, id, json!({ "action": "rate", "satisfaction": 4 })).await, 409, "conflict", None);
    let steps: Vec<&str> = rated["steps"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect();
    assert_eq!(steps, ["accept", "handle", "supplement", "resubmit", "approve", "finish", "rate"]);

    // 首问负责: the accepting staff heard of every change the department made, and can mark them read.
    let (s, n) = community.get("/api/v1/notifications?limit=100").await;
    assert_eq!(s, 200, "{n}");
    let mine: Vec<&str> = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["body"].as_str().unwrap())
        .filter(|b| b.contains(&no))
        .collect();
    for what in ["承办", "补正告知", "审批通过", "办结"] {
        assert!(mine.iter().any(|b| b.contains(what)), "{what} in {mine:?}");
    }
    assert!(n["unread"].as_i64().unwrap() >= 4);
    let (s, r) = community.post("/api/v1/notifications/read", &json!({})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(community.get("/api/v1/notifications").await.1["unread"], 0);
    // The department's own list is not the community's.
    let (_, theirs) = minzheng.get("/api/v1/notifications?limit=100").await;
    assert!(!theirs["items"].as_array().unwrap().iter().any(|i| i["body"].as_str().unwrap().contains(&no)));
    // The applicant's SMS are queued (accepted, 补正, approved, finished), with no number in clear.
    let sms = query_rows(
        srv.db(),
        &format!("SELECT body FROM outbox WHERE channel = 'sms' AND body LIKE '%{no}%' ORDER BY id"),
    )
    .await;
    assert_eq!(sms.len(), 4, "{sms:?}");
    assert!(sms[1].0.contains("医院费用票据"), "{sms:?}");
    let phones = query_rows(srv.db(), "SELECT recipient_enc FROM outbox WHERE channel = 'sms'").await;
    assert!(phones.iter().all(|p| !p.0.chars().all(|c| c.is_ascii_digit())), "phones are encrypted");
    // Statistics count it (no applicant names), also for the leader.
    let (s, st) = leader.get("/api/v1/service-stats").await;
    assert_eq!(s, 200, "{st}");
    assert!(
        st["by_item"].as_array().unwrap().iter().any(|i| i["code"] == "MZ03" && i["completed"].as_i64() >= Some(1))
    );
    assert!(!st.to_string().contains(person["name"].as_str().unwrap()), "no applicants in statistics");
    assert_eq!(st["by_hour"].as_array().unwrap().len(), 24);
    assert_field(&leader.get("/api/v1/service-stats?from=2026-13-01").await, "from");
    assert_error(&worker.get("/api/v1/service-stats").await, 403, "forbidden", None);
    srv.finish().await;
}

async fn online_application_followed_by_tracking_number(db: TestDb) {
    let srv = Server::demo(db);
    let resident = srv.login("demo_resident", DEMO_PW).await;
    let community = srv.login("demo_community", DEMO_PW).await;
    let chengguan = srv.login("demo_department", DEMO_PW).await;
    let leader = srv.login("demo_leader", DEMO_PW).await;
    let (s, items) = resident.get("/api/v1/service-items?online=true").await;
    assert_eq!(s, 200, "{items}");
    let codes: Vec<&str> = items["items"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"ZM01") && !codes.contains(&"MZ02"), "{codes:?}");
    assert_eq!(resident.get("/api/v1/service-categories").await.1["total"], 7);
    assert_field(&resident.get("/api/v1/service-items?category=nope").await, "category");

    // Not an online item; nothing uploaded; an upload that is not one's own.
    let r = resident.post("/api/v1/applications", &json!({ "item_code": "MZ02" })).await;
    assert_error(&r, 422, "rule_violated", Some("item_code"));
    assert_field(&resident.post("/api/v1/applications", &json!({ "item_code": "ZM01" })).await, "materials");
    assert_error(&upload_material(&leader, "x.pdf", b"%PDF-1.4 x").await, 403, "forbidden", None);
    assert_field(&upload_material(&resident, "x.exe", b"MZ\x90\x00").await, "file");
    let (s, staff_file) = upload_material(&community, "合同.pdf", b"%PDF-1.4 staff").await;
    assert_eq!(s, 201, "{staff_file}");
    let (s, id_card) = upload_material(&resident, "身份证.pdf", b"%PDF-1.4 id card").await;
    assert_eq!(s, 201, "{id_card}");
    let (s, lease) = upload_material(&resident, "租赁合同.pdf", b"%PDF-1.4 lease").await;
    assert_eq!(s, 201, "{lease}");
    let materials = |lease_id: &Value| {
        json!([{ "name": "居民身份证", "attachments": [id_card["id"]] },
               { "name": "房屋租赁合同或不动产权证书", "attachments": [lease_id] }])
    };
    let r = resident
        .post("/api/v1/applications", &json!({ "item_code": "ZM01", "materials": materials(&staff_file["id"]) }))
        .await;
    assert_field(&r, "materials[1].attachments");
    assert_field(
        &resident
            .post("/api/v1/applications", &json!({ "item_code": "ZM01", "materials": [{ "name": "结婚证" }] }))
            .await,
        "materials[0].name",
    );
    let (s, a) = resident
        .post(
            "/api/v1/applications",
            &json!({ "item_code": "ZM01", "materials": materials(&lease["id"]), "note": "孩子入学用" }),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_i64().unwrap();
    let no = a["tracking_no"].as_str().unwrap().to_string();
    assert_eq!((a["status"].as_str(), a["channel"].as_str()), (Some("submitted"), Some("online")));
    assert_eq!(a["first_responsible"], "", "nobody yet: the station accepts it");
    assert_eq!(a["materials"][1]["attachments"][0]["name"], "租赁合同.pdf");
    // An upload claimed once cannot be claimed again.
    let (_, stay) = upload_material(&resident, "住宿证明.pdf", b"%PDF-1.4 stay").await;
    let r = resident
        .post(
            "/api/v1/applications",
            &json!({ "item_code": "ZM04", "materials": [
            { "name": "居民身份证", "attachments": [id_card["id"]] },
            { "name": "房屋租赁合同或住宿证明", "attachments": [stay["id"]] }] }),
        )
        .await;
    assert_field(&r, "materials[0].attachments");

    // Followed by its number, signed in to the applicant's own account only.
    let (s, found) =
        resident.get(&Client::with_query("/api/v1/me/applications", &[("tracking_no", &no.to_lowercase())])).await;
    assert_eq!((s, found["total"].as_i64()), (200, Some(1)), "{found}");
    assert_field(&resident.get("/api/v1/me/applications?tracking_no=12345").await, "tracking_no");
    assert_error(&community.get("/api/v1/me/applications").await, 404, "not_found", None);
    let (_, station) = community.get("/api/v1/applications?view=queue&limit=500").await;
    assert!(station["items"].as_array().unwrap().iter().any(|i| i["id"] == id), "the station's queue: {station}");
    let other = station["items"].as_array().unwrap().iter().find(|i| i["id"] != id).unwrap()["tracking_no"].clone();
    let (_, theirs) =
        resident.get(&Client::with_query("/api/v1/me/applications", &[("tracking_no", other.as_str().unwrap())])).await;
    assert_eq!(theirs["total"], 0, "another's number finds nothing");
    // The files: the applicant and the station read them; another department does not.
    let file = format!("/api/v1/attachments/{}", lease["id"]);
    assert_eq!(resident.get(&file).await.0, 200);
    assert_eq!(community.get(&file).await.0, 200);
    assert_error(&chengguan.get(&file).await, 404, "not_found", None);
    assert_error(&leader.get(&file).await, 404, "not_found", None);

    // The resident cannot work it; the station accepts (预审), does it and the resident rates it.
    assert_error(&act(&resident, id, json!({ "action": "accept" })).await, 403, "forbidden", None);
    let (s, acc) = act(&community, id, json!({ "action": "accept", "window": "1号窗口" })).await;
    assert_eq!((s, acc["status"].as_str()), (200, Some("accepted")), "{acc}");
    assert_eq!(acc["first_responsible"], "社区书记 张红");
    assert!(acc["materials"].as_array().unwrap().iter().all(|m| m["received"] == true), "uploads count as received");
    assert_eq!(act(&community, id, json!({ "action": "handle" })).await.0, 200);
    assert_error(&act(&resident, id, json!({ "action": "withdraw" })).await, 409, "conflict", None);
    let (s, fin) = act(&community, id, json!({ "action": "finish", "note": "证明已出具" })).await;
    assert_eq!((s, fin["status"].as_str()), (200, Some("completed")), "{fin}");
    let (s, r) = act(&resident, id, json!({ "action": "rate", "satisfaction": 4, "note": "很方便" })).await;
    assert_eq!((s, r["satisfaction"].as_i64()), (200, Some(4)), "{r}");
    let (_, n) = community.get("/api/v1/notifications?limit=50").await;
    assert!(
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["body"].as_str().unwrap().contains(&no) && i["body"].as_str().unwrap().contains("评价"))
    );

    // Another online application, withdrawn by the resident before it is accepted.
    let (_, id2) = upload_material(&resident, "身份证2.pdf", b"%PDF-1.4 id card 2").await;
    let (s, b) = resident
        .post(
            "/api/v1/applications",
            &json!({ "item_code": "LL04", "materials": [{ "name": "居民身份证", "attachments": [id2["id"]] }] }),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, w) = act(&resident, b["id"].as_i64().unwrap(), json!({ "action": "withdraw", "note": "不需要了" })).await;
    assert_eq!((s, w["status"].as_str()), (200, Some("withdrawn")), "{w}");
    let (_, mine) = resident.get("/api/v1/me/applications").await;
    assert!(mine["total"].as_i64().unwrap() >= 2);
    srv.finish().await;
}

/// The server's loop escalates applications past their deadline (the demo holds some from earlier days), with a
/// step by the system and a notification to the first-responsible staff.
async fn overdue_applications_are_escalated(db: TestDb) {
    let srv = Server::demo(db);
    let community = srv.login("demo_community", DEMO_PW).await;
    let mut found = None;
    for _ in 0..40 {
        let (s, over) = community.get("/api/v1/applications?view=overdue&limit=100").await;
        assert_eq!(s, 200, "{over}");
        let items = over["items"].as_array().unwrap();
        assert!(!items.is_empty(), "the demo has overdue applications: {over}");
        assert!(items.iter().all(|i| i["overdue"] == true && ms(&i["due_at"]) < now()), "{over}");
        if let Some(i) = items.iter().find(|i| i["escalated"] == true && i["first_responsible"] == "社区书记 张红")
        {
            let (_, d) = community.get(&format!("/api/v1/applications/{}", i["id"])).await;
            if d["steps"].as_array().unwrap().iter().any(|s| s["action"] == "escalate" && s["actor"] == "system") {
                found = Some(i["tracking_no"].as_str().unwrap().to_string());
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let no = found.expect("an overdue application escalated by the system");
    let (_, n) = community.get("/api/v1/notifications?limit=200").await;
    assert!(
        n["items"].as_array().unwrap().iter().any(|i| i["body"].as_str().unwrap().contains("超期督办")),
        "escalation reaches the first-responsible staff ({no}): {n}"
    );
    srv.finish().await;
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

async fn the_admission_list_decides_what_reaches_communities(db: TestDb) {
    let srv = Server::demo(db);
    let chengguan = srv.login("demo_department", DEMO_PW).await;
    let community = srv.login("demo_community", DEMO_PW).await;
    let district = srv.login("demo_district", DEMO_PW).await;
    let street = srv.login("demo_street", DEMO_PW).await;
    let (s, list) = chengguan.get("/api/v1/admission-items").await;
    assert_eq!(s, 200, "{list}");
    let codes: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"CG-ZR-01") && !codes.contains(&"MZ-ZR-01"), "a department sees its own: {codes:?}");
    let (_, mine) = community.get(&format!("/api/v1/admission-items?community={COMMUNITY1}")).await;
    let e = mine["items"].as_array().unwrap().iter().find(|i| i["code"] == "MZ-ZR-01").unwrap().clone();
    assert!(e["basis"].as_str().unwrap().contains("准入清单") && e["funding_yuan"].as_f64() == Some(20000.0), "{e}");

    let task = |item: &str, communities: Value| {
        json!({ "item_code": item, "title": "垃圾分类督导", "description": "每日早晚桶边督导", "communities": communities,
            "due_on": "2099-12-31" })
    };
    // Admitted: one task per community.
    let (s, pushed) =
        chengguan.post("/api/v1/community-tasks", &task("CG-ZR-01", json!([COMMUNITY1, COMMUNITY2]))).await;
    assert_eq!(s, 201, "{pushed}");
    assert_eq!(pushed.as_array().unwrap().len(), 2);
    assert!(pushed.as_array().unwrap().iter().all(|t| t["status"] == "pushed" && t["admission_item_id"].is_i64()));
    // Not on the list, withdrawn, another department's: 422 naming the item, and recorded.
    for (item, reason) in [("CG-ZR-07", "not_listed"), ("CG-ZR-09", "revoked"), ("MZ-ZR-01", "not_listed")] {
        let r = chengguan.post("/api/v1/community-tasks", &task(item, json!([COMMUNITY1]))).await;
        assert_error(&r, 422, "rule_violated", Some("item_code"));
        assert_eq!(r.1["error"]["details"]["item_code"], item);
        assert_eq!(r.1["error"]["details"]["reason"], reason, "{}", r.1);
        assert!(r.1["error"]["message"].as_str().unwrap().contains(item));
        assert_eq!(r.1["error"]["details"]["refused_task_ids"].as_array().unwrap().len(), 1);
    }
    let (_, refused) = community.get("/api/v1/community-tasks?status=refused&limit=100").await;
    assert!(
        refused["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["item_code"] == "CG-ZR-07" && t["community_code"] == COMMUNITY1)
    );
    // Pushing for another department, to a grid, to nowhere; bad fields.
    let mut b = task("MZ-ZR-01", json!([COMMUNITY1]));
    b["department_code"] = json!("minzheng");
    assert_error(&chengguan.post("/api/v1/community-tasks", &b).await, 403, "forbidden", None);
    assert_field(&chengguan.post("/api/v1/community-tasks", &task("CG-ZR-01", json!([GRID1]))).await, "communities");
    assert_field(&chengguan.post("/api/v1/community-tasks", &task("CG-ZR-01", json!([]))).await, "communities");
    let mut b = task("CG-ZR-01", json!([COMMUNITY1]));
    b["title"] = json!(" ");
    assert_field(&chengguan.post("/api/v1/community-tasks", &b).await, "title");
    b["title"] = json!("x");
    b["due_on"] = json!("2020-01-01");
    assert_field(&chengguan.post("/api/v1/community-tasks", &b).await, "due_on");
    assert_error(
        &community.post("/api/v1/community-tasks", &task("CG-ZR-01", json!([COMMUNITY1]))).await,
        403,
        "forbidden",
        None,
    );

    // The community accepts and completes its own task; not another community's.
    let (_, tasks) = community.get("/api/v1/community-tasks?status=pushed&limit=100").await;
    assert!(tasks["items"].as_array().unwrap().iter().all(|t| t["community_code"] == COMMUNITY1), "{tasks}");
    let mine =
        pushed.as_array().unwrap().iter().find(|t| t["community_code"] == COMMUNITY1).unwrap()["id"].as_i64().unwrap();
    let theirs =
        pushed.as_array().unwrap().iter().find(|t| t["community_code"] == COMMUNITY2).unwrap()["id"].as_i64().unwrap();
    let path = |id: i64| format!("/api/v1/community-tasks/{id}/actions");
    assert_error(&community.post(&path(theirs), &json!({ "action": "accept" })).await, 404, "not_found", None);
    assert_error(&chengguan.post(&path(mine), &json!({ "action": "accept" })).await, 403, "forbidden", None);
    assert_error(
        &community.post(&path(mine), &json!({ "action": "complete", "note": "x" })).await,
        409,
        "conflict",
        None,
    );
    let (s, t) = community.post(&path(mine), &json!({ "action": "accept" })).await;
    assert_eq!((s, t["status"].as_str()), (200, Some("accepted")), "{t}");
    assert_field(&community.post(&path(mine), &json!({ "action": "complete" })).await, "note");
    let (s, t) = community.post(&path(mine), &json!({ "action": "complete", "note": "已安排志愿者早晚督导" })).await;
    assert_eq!((s, t["status"].as_str()), (200, Some("completed")), "{t}");
    let refused_id = refused["items"][0]["id"].as_i64().unwrap();
    assert_error(&community.post(&path(refused_id), &json!({ "action": "accept" })).await, 409, "conflict", None);

    // The report per department.
    let (s, rep) = community.get("/api/v1/admission-report").await;
    assert_eq!(s, 200, "{rep}");
    let cg =
        rep["departments"].as_array().unwrap().iter().find(|d| d["department_code"] == "chengguan").unwrap().clone();
    assert!(cg["refused"].as_i64().unwrap() >= 3 && cg["completed"].as_i64().unwrap() >= 1, "{cg}");
    assert!(cg["items_on_list"].as_i64().unwrap() >= 1 && cg["funding_yuan"].as_f64().unwrap() > 0.0, "{cg}");

    // The district keeps the list: a new entry admits the push; one not yet in force does not.
    let entry = json!({ "department_code": "chengguan", "code": "CG-ZR-20", "name": "门前三包责任制宣传",
        "region_code": STREET1, "basis": "清河区社区工作事项准入清单（增补）", "approved_on": "2026-01-01", "funding": "1.2万" });
    assert_error(&street.post("/api/v1/admission-items", &entry).await, 403, "forbidden", None);
    for (k, v, field) in [
        ("department_code", json!("nope"), "department_code"),
        ("code", json!("门前"), "code"),
        ("region_code", json!(GRID1), "region_code"),
        ("basis", json!("无"), "basis"),
        ("approved_on", json!("2026-02-30"), "approved_on"),
        ("funding", json!("很多"), "funding"),
    ] {
        let mut b = entry.clone();
        b[k] = v;
        assert_field(&district.post("/api/v1/admission-items", &b).await, field);
    }
    let (s, e) = district.post("/api/v1/admission-items", &entry).await;
    assert_eq!(s, 201, "{e}");
    assert_eq!(e["funding_yuan"], 12000.0);
    assert_error(&district.post("/api/v1/admission-items", &entry).await, 409, "conflict", None);
    let (s, _) = chengguan.post("/api/v1/community-tasks", &task("CG-ZR-20", json!([COMMUNITY1]))).await;
    assert_eq!(s, 201);
    let r = chengguan.post("/api/v1/community-tasks", &task("CG-ZR-20", json!(["330199002001"]))).await;
    assert_eq!(r.1["error"]["details"]["reason"], "outside_area", "{}", r.1);
    let (s, later) = district
        .send("PATCH", &format!("/api/v1/admission-items/{}", e["id"]), Some(&json!({ "approved_on": "2099-01-01" })))
        .await;
    assert_eq!(s, 200, "{later}");
    let r = chengguan.post("/api/v1/community-tasks", &task("CG-ZR-20", json!([COMMUNITY1]))).await;
    assert_eq!(r.1["error"]["details"]["reason"], "not_yet_in_force", "{}", r.1);
    srv.finish().await;
}

/// The next date on or after `from` (days from today) that is `weekday` (1 = Monday) and not a holiday.
fn next_weekday(weekday: u32, from_days: i64) -> String {
    use chrono::Datelike;
    let cal = wangge_domain::event::WorkCalendar::default();
    let today = wangge_domain::event::calendar::cst_day(now());
    (from_days..from_days + 21)
        .map(|d| today + chrono::Duration::days(d))
        .find(|d| d.weekday().number_from_monday() == weekday && cal.day_kind(*d).is_none())
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

async fn appointments_take_each_place_once(db: TestDb) {
    let srv = Server::demo(db);
    let resident = srv.login("demo_resident", DEMO_PW).await;
    let community = srv.login("demo_community", DEMO_PW).await;
    let grid_leader = srv.login("demo_grid_leader", DEMO_PW).await;
    // Opening hours with 错时 evenings and Saturday mornings; Sunday closed.
    let (s, h) = resident.get("/api/v1/service-hours").await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["community_code"], COMMUNITY1);
    assert!(h["rows"].as_array().unwrap().iter().any(|r| r["kind"] == "evening" && r["end"] == "20:00"));
    assert!(h["rows"].as_array().unwrap().iter().any(|r| r["kind"] == "weekend" && r["weekday"] == 6));
    let saturday = next_weekday(6, 2);
    let (s, day) = resident.get(&format!("/api/v1/service-slots?date={saturday}")).await;
    assert_eq!(s, 200, "{day}");
    assert!(
        !day["closed"].as_bool().unwrap() && day["slots"].as_array().unwrap().iter().all(|x| x["kind"] == "weekend")
    );
    let (_, sunday) = resident.get(&format!("/api/v1/service-slots?date={}", next_weekday(7, 2))).await;
    assert_eq!(sunday["closed"], true, "{sunday}");
    assert_error(&resident.get("/api/v1/service-slots?community=330199001002").await, 404, "not_found", None);
    assert_field(&resident.get("/api/v1/service-slots?date=明天").await, "date");

    // A Saturday slot takes one person: of six at once, one gets it.
    let slot =
        day["slots"].as_array().unwrap().iter().find(|x| x["capacity"] == 1 && x["booked"] == 0).unwrap().clone();
    let start = slot["start"].as_str().unwrap().to_string();
    let (_, people) = community.get(&format!("/api/v1/people?region={COMMUNITY1}&limit=40")).await;
    let ids: Vec<i64> =
        people["items"].as_array().unwrap().iter().skip(20).take(6).map(|p| p["id"].as_i64().unwrap()).collect();
    let bookings = ids.iter().map(|pid| {
        let c = community.clone();
        let start = start.clone();
        let pid = *pid;
        async move {
            c.post("/api/v1/appointments", &json!({ "start": start, "person_id": pid, "item_code": "LL02" })).await
        }
    });
    let results = futures_join(bookings.collect()).await;
    let ok = results.iter().filter(|r| r.0 == 201).count();
    let full = results.iter().filter(|r| r.0 == 409).count();
    assert_eq!((ok, full), (1, 5), "{results:?}");
    let (_, after) = resident.get(&format!("/api/v1/service-slots?date={saturday}")).await;
    let same = after["slots"].as_array().unwrap().iter().find(|x| x["start"] == slot["start"]).unwrap().clone();
    assert_eq!((same["booked"].as_i64(), same["available"].as_i64()), (Some(1), Some(0)), "{same}");

    // The resident books a weekday evening slot; the same slot twice is refused; cancelling frees it.
    let (_, evening) = resident.get(&format!("/api/v1/service-slots?date={}", next_weekday(2, 2))).await;
    let ev = evening["slots"].as_array().unwrap().iter().find(|x| x["kind"] == "evening").unwrap().clone();
    let (s, a) = resident.post("/api/v1/appointments", &json!({ "start": ev["start"], "item_code": "ZM01" })).await;
    assert_eq!(s, 201, "{a}");
    assert_eq!((a["status"].as_str(), a["kind"].as_str()), (Some("booked"), Some("evening")));
    assert_error(&resident.post("/api/v1/appointments", &json!({ "start": ev["start"] })).await, 409, "conflict", None);
    let off = format!("{} 09:10", next_weekday(3, 2));
    assert_field(&resident.post("/api/v1/appointments", &json!({ "start": off })).await, "start");
    assert_field(&resident.post("/api/v1/appointments", &json!({ "start": "2020-01-06 09:00" })).await, "start");
    assert_field(&resident.post("/api/v1/appointments", &json!({ "start": "明天上午" })).await, "start");
    assert_field(&community.post("/api/v1/appointments", &json!({ "start": ev["start"] })).await, "person_id");
    let (_, mine) = resident.get("/api/v1/appointments").await;
    assert!(mine["items"].as_array().unwrap().iter().any(|x| x["id"] == a["id"]), "{mine}");
    let path = format!("/api/v1/appointments/{}/actions", a["id"]);
    assert_error(&resident.post(&path, &json!({ "action": "arrive" })).await, 403, "forbidden", None);
    let (s, c) = resident.post(&path, &json!({ "action": "cancel" })).await;
    assert_eq!((s, c["status"].as_str()), (200, Some("cancelled")), "{c}");
    assert_error(&resident.post(&path, &json!({ "action": "cancel" })).await, 409, "conflict", None);
    let (_, again) = resident.get(&format!("/api/v1/service-slots?date={}", next_weekday(2, 2))).await;
    let freed = again["slots"].as_array().unwrap().iter().find(|x| x["start"] == ev["start"]).unwrap().clone();
    assert_eq!(freed["booked"], 0, "{freed}");
    // The station's day list for its staff.
    let (s, list) = community.get(&format!("/api/v1/appointments?community={COMMUNITY1}&date={saturday}")).await;
    assert_eq!(s, 200, "{list}");
    assert!(list["items"].as_array().unwrap().iter().any(|x| x["start"].as_str() == Some(start.as_str())));

    // Keeping the hours: community staff yes (checked), grid leaders no.
    let hours = json!({ "hours": [
        { "weekday": 1, "start": "08:30", "end": "12:00" },
        { "weekday": 1, "start": "11:30", "end": "17:00" } ] });
    assert_field(&community.put(&format!("/api/v1/service-hours/{COMMUNITY1}"), &hours).await, "hours[1].start");
    assert_field(
        &community.put(&format!("/api/v1/service-hours/{COMMUNITY1}"), &json!({ "hours": [] })).await,
        "hours",
    );
    let good = json!({ "hours": [
        { "weekday": 1, "start": "08:30", "end": "12:00", "capacity": 3 },
        { "weekday": 3, "start": "17:30", "end": "20:30", "kind": "evening", "slot_minutes": 30, "capacity": 1 } ] });
    assert_error(&grid_leader.put(&format!("/api/v1/service-hours/{COMMUNITY1}"), &good).await, 403, "forbidden", None);
    assert_error(&community.put("/api/v1/service-hours/330199001002", &good).await, 404, "not_found", None);
    let (s, h) = community.put(&format!("/api/v1/service-hours/{COMMUNITY1}"), &good).await;
    assert_eq!(s, 200, "{h}");
    assert_eq!((h["rows"].as_array().unwrap().len(), h["default"].as_bool()), (2, Some(false)));
    srv.finish().await;
}

/// Runs the requests concurrently (the test client has no futures crate: tokio tasks do).
async fn futures_join<F>(futs: Vec<F>) -> Vec<Resp>
where
    F: std::future::Future<Output = Resp> + Send + 'static,
{
    let handles: Vec<_> = futs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

async fn the_catalogue_is_kept_by_the_district(db: TestDb) {
    let srv = Server::demo(db);
    let district = srv.login("demo_district", DEMO_PW).await;
    let community = srv.login("demo_community", DEMO_PW).await;
    let item = json!({ "category_code": "certificates", "name": "独生子女父母光荣证补办", "materials_text": "居民身份证 | 原件\n*结婚证",
        "eligibility": "证件遗失的独生子女父母", "time_limit_days": 5, "department_code": "weijian", "online": true });
    assert_error(&community.put("/api/v1/service-items/ZM09", &item).await, 403, "forbidden", None);
    for (k, v, field) in [
        ("category_code", json!("nope"), "category_code"),
        ("name", json!(""), "name"),
        ("name", json!("居住情况证明"), "name"),
        ("materials_text", json!("a\na"), "materials_text"),
        ("time_limit_days", json!(400), "time_limit_days"),
        ("department_code", json!("nope"), "department_code"),
    ] {
        let mut b = item.clone();
        b[k] = v;
        assert_field(&district.put("/api/v1/service-items/ZM09", &b).await, field);
    }
    assert_field(&district.put("/api/v1/service-items/证明", &item).await, "code");
    let (s, it) = district.put("/api/v1/service-items/ZM09", &item).await;
    assert_eq!(s, 200, "{it}");
    assert_eq!(it["materials"].as_array().unwrap().len(), 2);
    assert_eq!(it["materials"][1]["required"], false);
    assert_eq!(it["department_name"], "卫生健康局");
    let (_, got) = community.get("/api/v1/service-items/ZM09").await;
    assert_eq!(got["time_limit_days"], 5);
    let (s, cat) =
        district.put("/api/v1/service-categories/housing", &json!({ "name": "住房保障", "name_en": "Housing" })).await;
    assert_eq!(s, 200, "{cat}");
    assert_field(&district.put("/api/v1/service-categories/Bad-Code", &json!({ "name": "x" })).await, "code");
    assert_error(&community.get("/api/v1/service-items/NOPE").await, 404, "not_found", None);
    srv.finish().await;
}

both_backends!(
    window_acceptance_and_the_back_office,
    online_application_followed_by_tracking_number,
    overdue_applications_are_escalated,
    the_admission_list_decides_what_reaches_communities,
    appointments_take_each_place_once,
    the_catalogue_is_kept_by_the_district,
);
