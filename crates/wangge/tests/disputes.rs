//! Dispute mediation over HTTP on both backends: registration with parties from the register and outsiders
//! (numbers masked, stored encrypted), routing by difficulty, who may act at which level, the whole mediation
//! path to a kept agreement, escalation, referral with its outcome, overdue lists, statistics, and bad input
//! named field by field with nothing written.

mod common;

use common::*;
use serde_json::{Value, json};
use wangge_testkit::TestDb;

fn id_number(n: u32) -> String {
    let first17 = format!("33019919900101{:03}", n % 1000);
    format!("{first17}{}", wangge_domain::idcard::check_digit(&first17).unwrap())
}

/// A person registered in `grid` (the demo's first in that grid).
async fn person_in(c: &Client, grid: &str) -> Value {
    let (s, page) = c.get(&format!("/api/v1/people?region={grid}&limit=1")).await;
    assert_eq!(s, 200, "{page}");
    page["items"][0].clone()
}

fn neighbour_dispute(person: i64, difficulty: &str) -> Value {
    json!({
        "type_code": "neighbour", "title": "楼上漏水纠纷", "facts": "楼上卫生间漏水至楼下，双方就维修费用争执不下",
        "difficulty": difficulty, "amount": "3500", "source": "grid_worker", "risk_escalation": true,
        "parties": [
            { "role": "applicant", "person_id": person },
            { "role": "respondent", "name": "外来租户", "phone": "13800002222", "id_number": id_number(7), "address": "桂花一区3幢" }
        ]
    })
}

async fn act(c: &Client, id: i64, body: Value) -> Resp {
    c.post(&format!("/api/v1/disputes/{id}/actions"), &body).await
}

async fn sql(db: &TestDb, statement: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&db.url).await.unwrap();
    sqlx::query(statement).execute(&pool).await.unwrap();
    pool.close().await;
}

async fn mediation_to_a_kept_agreement(db: TestDb) {
    let srv = Server::demo(db);
    let community = srv.login("demo_community", DEMO_PW).await;
    let person = person_in(&community, GRID1).await;
    let (s, d) = community.post("/api/v1/disputes", &neighbour_dispute(person["id"].as_i64().unwrap(), "simple")).await;
    assert_eq!(s, 201, "{d}");
    let id = d["id"].as_i64().unwrap();
    assert_eq!(d["grid_code"], GRID1, "the grid comes from the register party: {d}");
    assert_eq!((d["level"].as_str(), d["region_code"].as_str()), (Some("community"), Some(COMMUNITY1)));
    assert_eq!(d["status"], "registered");
    assert_eq!(d["amount"], 3500.0);
    assert_eq!(d["risk_escalation"], true);
    let parties = d["parties"].as_array().unwrap();
    assert_eq!(parties[0]["name"], person["name"]);
    assert_eq!(parties[1]["phone"], "138****2222", "{d}");
    assert!(parties[1]["id_number"].as_str().unwrap().contains("********"), "{d}");
    assert!(!d.to_string().contains("13800002222") && !d.to_string().contains(&id_number(7)));
    assert!(d["actions"].as_array().unwrap().iter().any(|a| a == "accept"), "{d}");

    // The register party's page lists the dispute.
    let (browser, _) = page_login(&srv.base, "demo_community", DEMO_PW).await;
    let (s, html) = browser.page(&format!("/people/{}", person["id"])).await;
    assert_eq!(s, 200);
    assert!(html.contains(&format!("/disputes/{id}")) && html.contains("楼上漏水纠纷"), "{html}");

    // The grid worker sees it (it is in their grid) but does not mediate.
    let gw = srv.login("demo_grid_worker", DEMO_PW).await;
    let (s, seen) = gw.get(&format!("/api/v1/disputes/{id}")).await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(seen["actions"], json!([]));
    assert_error(&act(&gw, id, json!({ "action": "accept" })).await, 403, "forbidden", None);

    // Wrong order and missing facts: 409 naming the state, 400 naming the field.
    let r = act(&community, id, json!({ "action": "agree", "agreement": "赔偿" })).await;
    assert_error(&r, 409, "conflict", None);
    assert!(r.1["error"]["message"].as_str().unwrap().contains("已登记"), "{}", r.1);
    assert_field(&act(&community, id, json!({ "action": "accept", "mediator": "nobody" })).await, "mediator");
    let r = act(&community, id, json!({ "action": "accept", "mediator": "demo_grid_worker" })).await;
    assert_field(&r, "mediator");
    assert_field(&act(&community, id, json!({ "action": "dance" })).await, "action");

    let (s, d) = act(&community, id, json!({ "action": "accept", "mediator": "demo_mediator" })).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!((d["status"].as_str(), d["mediator"].as_str()), (Some("mediating"), Some("demo_mediator")));
    assert!(d["due_at"].is_string());
    assert_field(&act(&community, id, json!({ "action": "session" })).await, "note");
    assert_field(&act(&community, id, json!({ "action": "session", "note": "x", "date": "2099-01-01" })).await, "date");
    let (s, d) = act(
        &community,
        id,
        json!({ "action": "session", "date": "2026-11-20", "attendees": "双方当事人、楼长", "note": "现场查看漏水点" }),
    )
    .await;
    assert_eq!(s, 200, "{d}");
    assert_field(&act(&community, id, json!({ "action": "agree" })).await, "agreement");
    // A stale version is refused.
    let stale = d["version"].as_i64().unwrap() - 1;
    let r = act(&community, id, json!({ "action": "agree", "agreement": "x", "version": stale })).await;
    assert_error(&r, 409, "conflict", None);
    let (s, d) = act(
        &community,
        id,
        json!({ "action": "agree", "agreement": "楼上住户于12月1日前修复防水层，并赔偿楼下3000元", "version": d["version"] }),
    )
    .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["status"], "agreed");
    assert!(d["follow_up_due_at"].is_string());
    assert_field(&act(&community, id, json!({ "action": "follow_up", "note": "已修复" })).await, "held");
    let (s, d) = act(&community, id, json!({ "action": "follow_up", "held": true, "note": "已修复，已赔偿" })).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["status"], "closed");
    assert_eq!(d["fulfilled"], true);
    let steps: Vec<&str> = d["steps"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect();
    assert_eq!(steps, vec!["register", "accept", "session", "agree", "follow_up"]);
    assert_eq!(d["steps"][2]["data"]["attendees"], "双方当事人、楼长");
    assert_error(&act(&community, id, json!({ "action": "accept" })).await, 409, "conflict", None);

    // Statistics: one dispute, mediated with success, agreement held; the leader reads them too.
    let leader = srv.login("demo_leader", DEMO_PW).await;
    let (s, st) = leader.get("/api/v1/dispute-stats").await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["total"], 1);
    assert_eq!(st["success_rate"], 1.0);
    assert_eq!(st["fulfilment_rate"], 1.0);
    assert_eq!(st["risk_flagged"], 1);
    assert_eq!(st["by_type"][0]["name"], "邻里纠纷");
    assert_error(&leader.get(&format!("/api/v1/disputes/{id}")).await, 403, "forbidden", None);
    assert_field(&leader.get("/api/v1/dispute-stats?from=2026-12-01&to=2026-11-01").await, "from");

    // The audit log holds every step.
    let admin = srv.admin().await;
    let (_, audit) = admin.get("/api/v1/audit?limit=100").await;
    let mine: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["object"] == format!("dispute:{id}"))
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(mine, vec!["follow_up", "agree", "session", "accept", "create"], "newest first");
    srv.finish().await;
}

async fn routing_escalation_and_referral(db: TestDb) {
    let srv = Server::demo(db);
    let community = srv.login("demo_community", DEMO_PW).await;
    let mediator = srv.login("demo_mediator", DEMO_PW).await;
    let district = srv.login("demo_district", DEMO_PW).await;
    let person = person_in(&community, GRID1).await["id"].as_i64().unwrap();
    // 复杂 → the street's 司法所 mediates first; the community sees it but may not act.
    let (s, d) = community.post("/api/v1/disputes", &neighbour_dispute(person, "complex")).await;
    assert_eq!(s, 201, "{d}");
    let id = d["id"].as_i64().unwrap();
    assert_eq!((d["level"].as_str(), d["region_code"].as_str()), (Some("street"), Some(STREET1)));
    assert_eq!(d["actions"], json!([]), "the community does not act on a street-level dispute");
    assert_error(&act(&community, id, json!({ "action": "accept" })).await, 403, "forbidden", None);
    let (s, d) = act(&mediator, id, json!({ "action": "accept" })).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["mediator"], "demo_mediator");
    // 疑难: escalated to the district (上级包案), with a reason; the street mediator no longer acts on it.
    assert_field(&act(&mediator, id, json!({ "action": "escalate" })).await, "note");
    let (s, d) = act(&mediator, id, json!({ "action": "escalate", "note": "涉及多户，需区级协调" })).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!((d["level"].as_str(), d["region_code"].as_str()), (Some("district"), Some(DISTRICT)));
    assert_eq!((d["status"].as_str(), d["mediator"].as_str()), (Some("registered"), Some("")));
    assert_error(&act(&mediator, id, json!({ "action": "accept" })).await, 403, "forbidden", None);
    let (s, _) = act(&district, id, json!({ "action": "accept" })).await;
    assert_eq!(s, 200);
    let r = act(&district, id, json!({ "action": "escalate", "note": "再上交" })).await;
    assert_error(&r, 400, "invalid_input", Some("action"));
    let (s, d) = act(&district, id, json!({ "action": "fail", "note": "双方分歧过大" })).await;
    assert_eq!((s, d["status"].as_str()), (200, Some("failed")));
    // 诉调对接: referred to the court, and its outcome closes the case.
    assert_field(&act(&district, id, json!({ "action": "refer", "note": "x" })).await, "target");
    assert_field(&act(&district, id, json!({ "action": "refer", "target": "moon" })).await, "target");
    let (s, d) = act(&district, id, json!({ "action": "refer", "target": "court", "note": "引导诉讼" })).await;
    assert_eq!((s, d["status"].as_str(), d["referral_target"].as_str()), (200, Some("referred"), Some("court")));
    assert_field(&act(&district, id, json!({ "action": "referral_outcome", "note": "法院已立案" })).await, "resolved");
    let (s, d) =
        act(&district, id, json!({ "action": "referral_outcome", "resolved": true, "note": "法院调解结案" })).await;
    assert_eq!((s, d["status"].as_str(), d["referral_resolved"].as_bool()), (200, Some("closed"), Some(true)));

    // A dispute that started as an event keeps the link and takes the event's grid.
    let (s, ev) = community
        .post("/api/v1/events", &json!({ "category": "Z0101", "description": "邻里因停车位争吵", "grid_code": GRID2 }))
        .await;
    assert_eq!(s, 201, "{ev}");
    let mut body = neighbour_dispute(person, "simple");
    body["event_id"] = ev["id"].clone();
    body["parties"][0] = json!({ "role": "applicant", "name": "停车户甲" });
    let (s, d) = community.post("/api/v1/disputes", &body).await;
    assert_eq!(s, 201, "{d}");
    assert_eq!((d["grid_code"].as_str(), d["source"].as_str()), (Some(GRID2), Some("event")));

    // Overdue: a mediation past its 30 days and an agreement whose follow-up is late are listed; others are not.
    let (_, d2) = act(&community, d["id"].as_i64().unwrap(), json!({ "action": "accept" })).await;
    let late = d2["id"].as_i64().unwrap();
    sql(srv.db(), &format!("UPDATE disputes SET due_at = 1000 WHERE id = {late}")).await;
    let (s, over) = community.get("/api/v1/disputes?view=overdue").await;
    assert_eq!(s, 200, "{over}");
    let ids: Vec<i64> = over["items"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![late]);
    assert_eq!(over["items"][0]["overdue"], true);
    assert_field(&community.get("/api/v1/disputes?view=late").await, "view");
    assert_field(&community.get("/api/v1/disputes?status=lost").await, "status");
    let (_, open) = community.get("/api/v1/disputes?status=open").await;
    assert_eq!(open["total"], 1, "{open}");

    let (_, st) = district.get(&format!("/api/v1/dispute-stats?region={DISTRICT}")).await;
    assert_eq!(st["total"], 2);
    assert_eq!(st["success_rate"], 0.0, "one failed mediation, none agreed: {st}");
    assert_eq!(st["mean_days_to_resolution"], 0.0);
    srv.finish().await;
}

async fn bad_input_and_scope(db: TestDb) {
    let srv = Server::demo(db);
    let community = srv.login("demo_community", DEMO_PW).await;
    let admin = srv.admin().await;
    let person = person_in(&community, GRID1).await["id"].as_i64().unwrap();
    let outside_person = person_in(&admin, "33019900200101").await["id"].as_i64().unwrap();
    let good = neighbour_dispute(person, "simple");
    let cases: Vec<(&str, Value)> = vec![
        ("type_code", json!("alien")),
        ("title", json!("  ")),
        ("facts", json!("吵")),
        ("difficulty", json!("easy")),
        ("amount", json!("许多")),
        ("amount", json!(true)),
        ("source", json!("rumour")),
        ("grid_code", json!(COMMUNITY1)),
        ("grid_code", json!("33019900200101")),
        ("event_id", json!(999_999)),
    ];
    for (field, value) in cases {
        let mut body = good.clone();
        body[field] = value;
        assert_field(&community.post("/api/v1/disputes", &body).await, field);
    }
    let party_cases: Vec<(&str, Value)> = vec![
        ("parties", json!([{ "role": "applicant", "person_id": person }])),
        ("parties", json!([{ "role": "applicant", "person_id": person }, { "role": "third", "name": "丙" }])),
        ("parties[1].role", json!([{ "role": "applicant", "person_id": person }, { "role": "enemy", "name": "丙" }])),
        (
            "parties[1].name",
            json!([{ "role": "applicant", "person_id": person }, { "role": "respondent", "name": "" }]),
        ),
        (
            "parties[1].phone",
            json!([{ "role": "applicant", "person_id": person }, { "role": "respondent", "name": "乙", "phone": "12345" }]),
        ),
        (
            "parties[1].id_number",
            json!([{ "role": "applicant", "person_id": person }, { "role": "respondent", "name": "乙", "id_number": "330199199001010001" }]),
        ),
        (
            "parties[0].person_id",
            json!([{ "role": "applicant", "person_id": outside_person }, { "role": "respondent", "name": "乙" }]),
        ),
        (
            "parties[0].person_id",
            json!([{ "role": "applicant", "person_id": person, "name": "重填" }, { "role": "respondent", "name": "乙" }]),
        ),
    ];
    for (field, parties) in party_cases {
        let mut body = good.clone();
        body["parties"] = parties;
        assert_field(&community.post("/api/v1/disputes", &body).await, field);
    }
    assert_field(&community.post("/api/v1/disputes", &json!({ "type_code": "neighbour" })).await, "title");
    let (_, list) = admin.get("/api/v1/disputes").await;
    assert_eq!(list["total"], 0, "nothing from a refused registration is written: {list}");

    // Another street's dispute: 404 for the community, absent from its lists; the department never reads disputes.
    let mut elsewhere = neighbour_dispute(outside_person, "simple");
    elsewhere["parties"][0] = json!({ "role": "applicant", "person_id": outside_person });
    let (s, d) = admin.post("/api/v1/disputes", &elsewhere).await;
    assert_eq!(s, 201, "{d}");
    let far = d["id"].as_i64().unwrap();
    let r = community.get(&format!("/api/v1/disputes/{far}")).await;
    assert_error(&r, 404, "not_found", None);
    assert!(!r.1.to_string().contains("楼上漏水"), "{}", r.1);
    assert_error(&act(&community, far, json!({ "action": "accept" })).await, 404, "not_found", None);
    let (_, mine) = community.get("/api/v1/disputes").await;
    assert_eq!(mine["total"], 0);
    assert_error(&community.get("/api/v1/disputes?region=330199002").await, 404, "not_found", None);
    assert_error(&community.get("/api/v1/dispute-stats?region=330199002").await, 404, "not_found", None);
    let dept = srv.login("demo_department", DEMO_PW).await;
    assert_error(&dept.get("/api/v1/disputes").await, 403, "forbidden", None);
    assert_error(&dept.post("/api/v1/disputes", &good).await, 403, "forbidden", None);
    // Taxonomy: admins and district staff edit it; a retired type cannot be chosen.
    assert_error(
        &community.put("/api/v1/dispute-types/pets", &json!({ "name": "宠物纠纷" })).await,
        403,
        "forbidden",
        None,
    );
    let (s, t) = admin.put("/api/v1/dispute-types/pets", &json!({ "name": "宠物纠纷", "name_en": "Pets" })).await;
    assert_eq!(s, 200, "{t}");
    assert_field(&admin.put("/api/v1/dispute-types/Bad-Code", &json!({ "name": "甲" })).await, "code");
    assert_field(&admin.put("/api/v1/dispute-types/other2", &json!({ "name": "邻里纠纷" })).await, "name");
    let (_, types) = community.get("/api/v1/dispute-types").await;
    assert_eq!(types["total"], 29, "28 seeded + 1");
    admin.put("/api/v1/dispute-types/pets", &json!({ "name": "宠物纠纷", "active": false })).await;
    let mut pets = good.clone();
    pets["type_code"] = json!("pets");
    assert_field(&community.post("/api/v1/disputes", &pets).await, "type_code");

    // Outsiders' numbers are stored encrypted: nothing in the data dir holds them in clear.
    if srv.backend() == "sqlite" {
        for f in wangge_testkit::files_under(&srv.db().data_dir()) {
            let bytes = std::fs::read(&f).unwrap_or_default();
            let hay = String::from_utf8_lossy(&bytes);
            assert!(!hay.contains("13800002222") && !hay.contains(&id_number(7)), "clear number in {f:?}");
        }
    }
    srv.finish().await;
}

both_backends!(mediation_to_a_kept_agreement, routing_escalation_and_referral, bad_input_and_scope);
