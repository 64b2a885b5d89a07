//! Community life (issue #9) over HTTP on both backends: meetings from scheduling to a published resolution,
//! volunteers and the time bank (its balance always the ledger's sum, after random operations and concurrent
//! withdrawals), co-building units and 共建日, social organizations' incubation, party building; roles, scope, bad
//! input field by field, and public reads that never carry personal data.

mod common;

use common::*;
use serde_json::{Value, json};
use wangge_testkit::TestDb;

/// A second community of the first street, outside the demo community account's scope.
const OTHER_COMMUNITY_USER: &str = "life_other_community";

async fn other_community_user(admin: &Client, srv: &Server) -> Client {
    let (s, b) = admin
        .post(
            "/api/v1/users",
            &json!({ "username": OTHER_COMMUNITY_USER, "display_name": "二社区 钱书记", "password": "other-pass-123",
                "roles": [{ "role": "community", "region_code": COMMUNITY2 }] }),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    srv.login(OTHER_COMMUNITY_USER, "other-pass-123").await
}

async fn person_in(c: &Client, grid: &str, n: usize) -> Value {
    let (s, page) = c.get(&format!("/api/v1/people?region={grid}&limit={}", n + 1)).await;
    assert_eq!(s, 200, "{page}");
    page["items"][n].clone()
}

fn meeting_body(region: &str, person: i64) -> Value {
    json!({
        "region_code": region, "kind": "council", "topic": "老旧小区加装电梯议事", "starts_at": "2026-12-01T19:00",
        "ends_at": "2026-12-01T21:00", "place": "社区党群服务中心二楼会议室",
        "agenda": ["通报加装电梯意向征询情况", "讨论一楼住户补偿方案", ""],
        "participants": [
            { "person_id": person, "affiliation": "居民代表" },
            { "username": "demo_grid_worker" },
            { "name": "周经理", "affiliation": "物业公司" },
            { "name": "吴代表", "affiliation": "区人大代表" }
        ]
    })
}

/// Every key that must never appear in a public answer.
fn assert_public_safe(v: &Value, forbidden: &[&str]) {
    let text = v.to_string();
    for f in forbidden {
        assert!(f.is_empty() || !text.contains(f), "public answer carries {f}: {text}");
    }
    for key in
        ["phone", "id_number", "person_id", "username", "actor", "created_by", "participants", "minutes", "contact"]
    {
        assert!(!text.contains(&format!("\"{key}")), "public answer has a {key} field: {text}");
    }
    assert!(!text.contains("****"), "public answer carries a masked number: {text}");
    assert!(!text.contains("demo_"), "public answer names a staff account: {text}");
}

async fn meetings_from_schedule_to_published_resolution(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let community = srv.login("demo_community", DEMO_PW).await;
    let other = other_community_user(&admin, &srv).await;
    let person = person_in(&community, GRID1, 0).await;
    let pid = person["id"].as_i64().unwrap();

    // Bad input, field by field; nothing written. (The demo district has meetings of its own.)
    let (_, before) = community.get("/api/v1/meetings").await;
    let meetings_before = before["total"].as_i64().unwrap();
    let (_, before) = community.get("/api/v1/meetings?view=overdue").await;
    let overdue_before = before["total"].as_i64().unwrap();
    let good = meeting_body(COMMUNITY1, pid);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("kind", json!("座谈"), "kind"),
        ("topic", json!(" "), "topic"),
        ("starts_at", json!("明晚七点"), "starts_at"),
        ("ends_at", json!("2026-12-01T18:00"), "ends_at"),
        ("place", json!(""), "place"),
        ("region_code", json!(GRID1), "region_code"),
        ("region_code", json!(COMMUNITY2), "region_code"),
        ("participants", json!([{ "affiliation": "无名" }]), "participants[0].name"),
        ("participants", json!([{ "person_id": 99_999_999 }]), "participants[0].person_id"),
        ("participants", json!([{ "username": "nobody_here" }]), "participants[0].username"),
        ("participants", json!([{ "person_id": pid }, { "person_id": pid }]), "participants[1].name"),
        ("agenda", json!(["a\u{7}"]), "agenda[0]"),
    ];
    for (key, value, field) in cases {
        let mut body = good.clone();
        body[key] = value;
        let r = community.post("/api/v1/meetings", &body).await;
        assert_field(&r, field);
    }
    let mut unknown = good.clone();
    unknown["secret"] = json!(1);
    assert_field(&community.post("/api/v1/meetings", &unknown).await, "secret");
    let (_, none) = community.get("/api/v1/meetings").await;
    assert_eq!(none["total"], meetings_before, "refused meetings wrote nothing: {none}");

    // Roles: grid workers and leaders read, only community staff and above schedule.
    let gw = srv.login("demo_grid_worker", DEMO_PW).await;
    let leader = srv.login("demo_leader", DEMO_PW).await;
    assert_error(&gw.post("/api/v1/meetings", &good).await, 403, "forbidden", None);
    assert_error(&leader.post("/api/v1/meetings", &good).await, 403, "forbidden", None);
    let resident = srv.login("demo_resident", DEMO_PW).await;
    assert_error(&resident.get("/api/v1/meetings").await, 403, "forbidden", None);

    let (s, m) = community.post("/api/v1/meetings", &good).await;
    assert_eq!(s, 201, "{m}");
    let id = m["id"].as_i64().unwrap();
    assert_eq!((m["status"].as_str(), m["kind_name"].as_str()), (Some("scheduled"), Some("居民议事会")));
    assert_eq!(m["agenda"], json!(["通报加装电梯意向征询情况", "讨论一楼住户补偿方案"]));
    let parts = m["participants"].as_array().unwrap();
    assert_eq!(parts.len(), 4);
    assert_eq!(parts[0]["name"], person["name"]);
    assert_eq!(parts[1]["name"], "网格员 刘芳");
    assert_eq!(parts[2]["kind"], "guest");
    assert!(m["actions"].as_array().unwrap().contains(&json!("sign_in")), "{m}");

    // Scope: the grid worker of a grid of this community reads it (read-only); another community does not see it.
    let (s, seen) = gw.get(&format!("/api/v1/meetings/{id}")).await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(seen["actions"], json!([]));
    assert_eq!(leader.get(&format!("/api/v1/meetings/{id}")).await.0, 200);
    assert_error(&other.get(&format!("/api/v1/meetings/{id}")).await, 404, "not_found", None);
    let p0 = parts[0]["id"].as_i64().unwrap();
    let r = other.post(&format!("/api/v1/meetings/{id}/sign-in"), &json!({ "participant_ids": [p0] })).await;
    assert_error(&r, 404, "not_found", None);
    let r = gw.post(&format!("/api/v1/meetings/{id}/sign-in"), &json!({ "participant_ids": [p0] })).await;
    assert_error(&r, 403, "forbidden", None);
    let (_, listed) = other.get("/api/v1/meetings?limit=500").await;
    for m in listed["items"].as_array().unwrap() {
        assert_eq!(m["region_code"], COMMUNITY2, "another community lists only its own: {m}");
    }
    assert_error(&other.get(&format!("/api/v1/meetings?region={COMMUNITY1}")).await, 404, "not_found", None);

    // Sign-in, a walk-in, order of steps.
    let r = community.post(&format!("/api/v1/meetings/{id}/sign-in"), &json!({ "participant_ids": [999_999] })).await;
    assert_field(&r, "participant_ids[0]");
    let ids: Vec<i64> = parts[..3].iter().map(|p| p["id"].as_i64().unwrap()).collect();
    let (s, m) = community.post(&format!("/api/v1/meetings/{id}/sign-in"), &json!({ "participant_ids": ids })).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["present"], 3);
    let (s, m) = community
        .post(
            &format!("/api/v1/meetings/{id}/participants"),
            &json!({ "participants": [{ "name": "钱阿姨", "affiliation": "楼道长" }], "present": true }),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["present"], 4);
    let r = community
        .post(&format!("/api/v1/meetings/{id}/participants"), &json!({ "participants": [{ "person_id": pid }] }))
        .await;
    assert_field(&r, "participants[0].name");
    let r = community
        .post(&format!("/api/v1/meetings/{id}/resolutions"), &json!({ "content": "先修缮", "owner": "物业公司" }))
        .await;
    assert_error(&r, 409, "conflict", None);
    let r = community.post(&format!("/api/v1/meetings/{id}/publish"), &json!({ "published": true })).await;
    assert_error(&r, 409, "conflict", None);

    // Minutes with an attachment; a stale version is refused.
    let r = community.send("PUT", &format!("/api/v1/meetings/{id}/minutes"), Some(&json!({ "minutes": "短" }))).await;
    assert_field(&r, "minutes");
    let r = community
        .send(
            "PUT",
            &format!("/api/v1/meetings/{id}/minutes"),
            Some(&json!({ "minutes": "会议纪要内容足够长了吧", "version": 99 })),
        )
        .await;
    assert_error(&r, 409, "conflict", None);
    let r = community
        .send(
            "PUT",
            &format!("/api/v1/meetings/{id}/minutes"),
            Some(&json!({ "minutes": "会议纪要内容足够长了吧", "attachments": [999_999] })),
        )
        .await;
    assert_field(&r, "attachments[0]");
    let (s, file) = upload(&community, "签到表.pdf", b"%PDF-1.4 sign-in sheet").await;
    assert_eq!(s, 201, "{file}");
    let fid = file["id"].as_i64().unwrap();
    let minutes = "一、通报征询结果：同意加装的住户占比82%。\n二、一楼住户补偿由出资住户协商，物业协助测量。";
    let (s, m) = community
        .send(
            "PUT",
            &format!("/api/v1/meetings/{id}/minutes"),
            Some(&json!({ "minutes": minutes, "attachments": [fid], "version": m["version"] })),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["status"], "held");
    assert_eq!(m["minutes"], minutes);
    assert_eq!(m["attachments"][0]["id"], fid);
    assert_eq!(gw.get(&format!("/api/v1/attachments/{fid}")).await.0, 200, "who reads the meeting reads its files");
    assert_error(&other.get(&format!("/api/v1/attachments/{fid}")).await, 404, "not_found", None);
    // An upload claimed by the minutes cannot be claimed again (by an event).
    let r = community
        .post(
            "/api/v1/events",
            &json!({ "category": "E0103", "description": "复用附件", "grid_code": GRID1, "attachments": [fid] }),
        )
        .await;
    assert!(r.0 == 400 || r.0 == 404, "{r:?}");

    // Resolutions: owner and due day; progress to done; a final one takes no more.
    for (field, body) in [
        ("content", json!({ "content": "", "owner": "社区居委会" })),
        ("owner", json!({ "content": "启动加装电梯设计招标", "owner": "" })),
        ("due_on", json!({ "content": "启动加装电梯设计招标", "owner": "社区居委会", "due_on": "2026-13-01" })),
    ] {
        assert_field(&community.post(&format!("/api/v1/meetings/{id}/resolutions"), &body).await, field);
    }
    let (s, m) = community
        .post(
            &format!("/api/v1/meetings/{id}/resolutions"),
            &json!({ "content": "由物业公司组织一楼住户补偿协商", "owner": "物业服务有限公司", "due_on": "2020-01-31" }),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    let (_, m) = community
        .post(
            &format!("/api/v1/meetings/{id}/resolutions"),
            &json!({ "content": "社区居委会联系住建部门办理加装电梯审批", "owner": "社区居委会", "due_on": "2099-06-30" }),
        )
        .await;
    let res = m["resolutions_list"].as_array().unwrap();
    assert_eq!(res.len(), 2);
    assert_eq!(res[0]["overdue"], true, "{m}");
    assert_eq!(res[1]["overdue"], false);
    assert_eq!(m["resolutions_overdue"], 1);
    let (_, overdue) = community.get("/api/v1/meetings?view=overdue").await;
    assert_eq!(overdue["total"].as_i64().unwrap(), overdue_before + 1, "{overdue}");
    assert_field(&community.get("/api/v1/meetings?view=late").await, "view");
    let rid = res[0]["id"].as_i64().unwrap();
    let progress = |body: Value| {
        let community = community.clone();
        async move { community.post(&format!("/api/v1/meetings/{id}/resolutions/{rid}/progress"), &body).await }
    };
    assert_field(&progress(json!({})).await, "note");
    assert_field(&progress(json!({ "status": "finished" })).await, "status");
    assert_field(&progress(json!({ "status": "dropped" })).await, "note");
    let (s, m) = progress(json!({ "note": "已召开两次协商会" })).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["resolutions_list"][0]["status"], "in_progress");
    let version = m["resolutions_list"][0]["version"].clone();
    assert_error(&progress(json!({ "status": "done", "note": "x", "version": 1 })).await, 409, "conflict", None);
    let (s, m) = progress(json!({ "status": "done", "note": "补偿协议已签订", "version": version })).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["resolutions_list"][0]["status"], "done");
    assert_eq!(m["resolutions_list"][0]["overdue"], false, "done is never overdue");
    assert_eq!(m["resolutions_list"][0]["progress"].as_array().unwrap().len(), 2);
    assert_error(&progress(json!({ "note": "再补充" })).await, 409, "conflict", None);
    let (_, overdue) = community.get("/api/v1/meetings?view=overdue").await;
    assert_eq!(overdue["total"].as_i64().unwrap(), overdue_before, "{overdue}");

    // Not yet published: the public sees nothing. Then published.
    let anon = srv.client();
    let (s, public) = anon.get(&format!("/api/v1/public/{COMMUNITY1}/meetings")).await;
    assert_eq!(s, 200, "{public}");
    let ours = |p: &Value| p["items"].as_array().unwrap().iter().find(|m| m["id"] == id).cloned();
    assert!(ours(&public).is_none(), "not published yet: {public}");
    assert_eq!(public["community"]["code"], COMMUNITY1);
    let (s, m) = community.post(&format!("/api/v1/meetings/{id}/publish"), &json!({ "published": true })).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["published"], true);
    let (s, public) = anon.get(&format!("/api/v1/public/{COMMUNITY1}/meetings")).await;
    assert_eq!(s, 200, "{public}");
    let pm = &ours(&public).expect("published");
    assert_eq!(pm["topic"], "老旧小区加装电梯议事");
    assert_eq!(pm["resolutions"][0]["owner"], "物业服务有限公司");
    assert_eq!(pm["resolutions"][0]["status"], "done");
    assert_eq!(pm["resolutions"][0]["progress"][1]["note"], "补偿协议已签订");
    let person_name = person["name"].as_str().unwrap();
    assert_public_safe(&public, &[person_name, "刘芳", "周经理", "吴代表", "钱阿姨", "签到表", minutes]);
    // Other codes: 404 for anything that is not a community.
    for code in [STREET1, GRID1, DISTRICT, "330199001999", "abc", "%25"] {
        let r = anon.get(&format!("/api/v1/public/{code}/meetings")).await;
        assert_error(&r, 404, "not_found", None);
    }
    let (_, public2) = anon.get(&format!("/api/v1/public/{COMMUNITY2}/meetings")).await;
    assert!(ours(&public2).is_none(), "another community's portal shows its own only");

    // Cancelling: a scheduled meeting with a reason; then nothing more happens to it.
    let (_, m2) = community.post("/api/v1/meetings", &json!({ "region_code": STREET1, "kind": "coordination", "topic": "x", "starts_at": "2026-12-02 09:00", "place": "街道" })).await;
    assert_field(&(400, m2.clone()), "topic");
    let street = srv.login("demo_street", DEMO_PW).await;
    let (s, m2) = street
        .post("/api/v1/meetings", &json!({ "region_code": STREET1, "kind": "hearing", "topic": "停车收费标准听证会", "starts_at": "2026-12-02 09:00", "place": "街道礼堂" }))
        .await;
    assert_eq!(s, 201, "{m2}");
    let id2 = m2["id"].as_i64().unwrap();
    assert_error(&community.get(&format!("/api/v1/meetings/{id2}")).await, 404, "not_found", None);
    assert_field(&street.post(&format!("/api/v1/meetings/{id2}/cancel"), &json!({})).await, "note");
    let (s, m2) =
        street.post(&format!("/api/v1/meetings/{id2}/cancel"), &json!({ "note": "场地调整，另行通知" })).await;
    assert_eq!(s, 200, "{m2}");
    assert_eq!(m2["status"], "cancelled");
    assert_eq!(m2["actions"], json!([]));
    let r = street
        .send("PUT", &format!("/api/v1/meetings/{id2}/minutes"), Some(&json!({ "minutes": "会议纪要内容足够长了吧" })))
        .await;
    assert_error(&r, 409, "conflict", None);

    // Every write left its audit record.
    let (_, audit) = admin.get("/api/v1/audit?limit=500").await;
    let objects: Vec<String> =
        audit["items"].as_array().unwrap().iter().map(|a| format!("{} {}", a["action"], a["object"])).collect();
    for want in [
        "\"create\" \"meeting:",
        "\"sign_in\" \"meeting:",
        "\"minutes\" \"meeting:",
        "\"resolve\" \"meeting:",
        "\"resolution_progress\" \"resolution:",
        "\"publish\" \"meeting:",
        "\"cancel\" \"meeting:",
    ] {
        assert!(objects.iter().any(|o| o.starts_with(want)), "no audit record {want}: {objects:?}");
    }
    srv.finish().await;
}

/// Balance = sum of the ledger, earned = sum of positive lines, every line's running balance right, never < 0.
#[track_caller]
fn assert_ledger(v: &Value) {
    let ledger = v["ledger"].as_array().unwrap();
    let sum: i64 = ledger.iter().map(|l| l["minutes"].as_i64().unwrap()).sum();
    let earned: i64 = ledger.iter().map(|l| l["minutes"].as_i64().unwrap()).filter(|m| *m > 0).sum();
    assert_eq!(v["balance_minutes"].as_i64().unwrap(), sum, "balance = sum of the ledger: {v}");
    assert_eq!(v["earned_minutes"].as_i64().unwrap(), earned, "earned = sum of credits: {v}");
    // Oldest first: each line's balance is the running sum.
    let mut running = 0;
    for l in ledger.iter().rev() {
        running += l["minutes"].as_i64().unwrap();
        assert!(running >= 0, "never below zero: {v}");
        assert_eq!(l["balance_after"].as_i64().unwrap(), running, "running balance: {v}");
    }
}

async fn activity(c: &Client, capacity: i64, title: &str) -> i64 {
    let (s, a) = c
        .post(
            "/api/v1/volunteer-activities",
            &json!({ "region_code": COMMUNITY1, "title": title, "needs": "会理发的志愿者", "place": "社区广场",
                "starts_at": "2099-05-01T09:00", "ends_at": "2099-05-01T11:30", "capacity": capacity }),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    a["id"].as_i64().unwrap()
}

/// Signs `volunteer` up, checks in and out with `hours`; returns the activity's answer to the check-out.
async fn serve(c: &Client, act: i64, volunteer: i64, hours: Value) -> Resp {
    let (s, a) =
        c.post(&format!("/api/v1/volunteer-activities/{act}/signups"), &json!({ "volunteer_id": volunteer })).await;
    assert_eq!(s, 200, "{a}");
    let sid = a["signups"].as_array().unwrap().iter().find(|x| x["volunteer_id"] == volunteer).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, a) = c.post(&format!("/api/v1/volunteer-activities/{act}/signups/{sid}/check-in"), &json!({})).await;
    assert_eq!(s, 200, "{a}");
    c.post(&format!("/api/v1/volunteer-activities/{act}/signups/{sid}/check-out"), &json!({ "hours": hours })).await
}

async fn volunteers_and_the_time_bank(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let community = srv.login("demo_community", DEMO_PW).await;
    let other = other_community_user(&admin, &srv).await;
    let gw = srv.login("demo_grid_worker", DEMO_PW).await;
    let p1 = person_in(&community, GRID1, 0).await;
    let p2 = person_in(&community, GRID1, 1).await;

    // Registration: bad input field by field, one volunteer per person and community.
    let good = json!({ "region_code": COMMUNITY1, "person_id": p1["id"], "skills": ["剪纸艺术", "助老"], "availability": "周末上午" });
    for (key, value, field) in [
        ("region_code", json!(STREET1), "region_code"),
        ("region_code", json!(COMMUNITY2), "region_code"),
        ("person_id", json!(null), "person_id"),
        ("person_id", json!(99_999_999), "person_id"),
        ("skills", json!(["x".repeat(21)]), "skills[0]"),
        ("availability", json!("y".repeat(101)), "availability"),
    ] {
        let mut body = good.clone();
        body[key] = value;
        assert_field(&community.post("/api/v1/volunteers", &body).await, field);
    }
    assert_error(&gw.post("/api/v1/volunteers", &good).await, 403, "forbidden", None);
    let (s, v1) = community.post("/api/v1/volunteers", &good).await;
    assert_eq!(s, 201, "{v1}");
    assert_eq!(v1["name"], p1["name"]);
    assert_eq!(v1["skills"], json!(["剪纸艺术", "助老"]));
    assert!(!v1.to_string().contains("id_number") && !v1.to_string().contains("phone"), "no numbers: {v1}");
    let r = community.post("/api/v1/volunteers", &good).await;
    assert_error(&r, 409, "conflict", Some("person_id"));
    let v1 = v1["id"].as_i64().unwrap();
    let (_, v2) =
        community.post("/api/v1/volunteers", &json!({ "region_code": COMMUNITY1, "person_id": p2["id"] })).await;
    let v2 = v2["id"].as_i64().unwrap();
    // The grid worker is a volunteer too (a staff user; the demo registered them already).
    let r = community
        .post(
            "/api/v1/volunteers",
            &json!({ "region_code": COMMUNITY1, "username": "demo_grid_worker", "skills": ["急救"] }),
        )
        .await;
    assert_error(&r, 409, "conflict", Some("username"));
    let (_, mine) = community.get("/api/v1/volunteers?q=%E5%88%98%E8%8A%B3").await;
    let v3 = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["username"] == "demo_grid_worker")
        .expect("the grid worker volunteers")
        .clone();
    let v3 = v3["id"].as_i64().unwrap();
    assert_eq!(
        gw.get(&format!("/api/v1/volunteers/{v1}")).await.0,
        200,
        "grid workers read their community's volunteers"
    );
    assert_error(&other.get(&format!("/api/v1/volunteers/{v1}")).await, 404, "not_found", None);
    let (_, found) = community.get("/api/v1/volunteers?skill=剪纸艺术").await;
    assert_eq!(found["total"], 1, "{found}");

    // Activities: bad input, capacity, sign-up rules.
    let good_act = json!({ "region_code": COMMUNITY1, "title": "义务理发", "place": "社区广场", "starts_at": "2099-05-01T09:00",
        "ends_at": "2099-05-01T11:30", "capacity": 2 });
    for (key, value, field) in [
        ("title", json!(""), "title"),
        ("starts_at", json!("五一"), "starts_at"),
        ("ends_at", json!("2099-05-01T08:00"), "ends_at"),
        ("capacity", json!(0), "capacity"),
        ("capacity", json!(1001), "capacity"),
        ("team_id", json!(99_999), "team_id"),
        ("region_code", json!(GRID1), "region_code"),
    ] {
        let mut body = good_act.clone();
        body[key] = value;
        assert_field(&community.post("/api/v1/volunteer-activities", &body).await, field);
    }
    assert_error(&gw.post("/api/v1/volunteer-activities", &good_act).await, 403, "forbidden", None);
    let act = activity(&community, 2, "义务理发").await;
    let signup = |c: &Client, v: i64| {
        let c = c.clone();
        async move { c.post(&format!("/api/v1/volunteer-activities/{act}/signups"), &json!({ "volunteer_id": v })).await }
    };
    // The grid worker signs themselves up, but nobody else.
    assert_error(&signup(&gw, v1).await, 403, "forbidden", None);
    let (s, a) = signup(&gw, v3).await;
    assert_eq!(s, 200, "{a}");
    let (s, a) = signup(&community, v1).await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["places_left"], 0);
    assert_error(&signup(&community, v2).await, 409, "conflict", Some("volunteer_id"));
    assert_error(&signup(&community, v1).await, 409, "conflict", Some("volunteer_id"));
    assert_error(&signup(&other, v2).await, 404, "not_found", None);
    let (_, public) = srv.client().get(&format!("/api/v1/public/{COMMUNITY1}/volunteer-activities")).await;
    let listed = public["items"].as_array().unwrap().iter().find(|a| a["id"] == act).expect("listed").clone();
    assert_eq!(listed["places_left"], 0, "{public}");
    assert_public_safe(&public, &[p1["name"].as_str().unwrap(), "刘芳"]);

    // Check-in, check-out: hours credited into the time bank in the same step.
    let sid =
        a["signups"].as_array().unwrap().iter().find(|x| x["volunteer_id"] == v1).unwrap()["id"].as_i64().unwrap();
    let step = |s: &str, body: Value| {
        let c = community.clone();
        let s = s.to_string();
        async move { c.post(&format!("/api/v1/volunteer-activities/{act}/signups/{sid}/{s}"), &body).await }
    };
    assert_error(&step("check-out", json!({})).await, 409, "conflict", None);
    let r = gw.post(&format!("/api/v1/volunteer-activities/{act}/signups/{sid}/check-in"), &json!({})).await;
    assert_error(&r, 403, "forbidden", None);
    let (s, _) = step("check-in", json!({})).await;
    assert_eq!(s, 200);
    assert_error(&step("cancel", json!({})).await, 409, "conflict", None);
    assert_field(&step("check-out", json!({ "hours": "很久" })).await, "hours");
    assert_field(&step("check-out", json!({ "hours": 25 })).await, "hours");
    assert_field(&step("check-out", json!({})).await, "hours");
    let (s, a) = step("check-out", json!({ "hours": 2 })).await;
    assert_eq!(s, 200, "{a}");
    let mine = a["signups"].as_array().unwrap().iter().find(|x| x["id"] == sid).unwrap().clone();
    assert_eq!((mine["status"].as_str(), mine["minutes"].as_i64()), (Some("checked_out"), Some(120)));
    assert_error(&step("check-out", json!({ "hours": 2 })).await, 409, "conflict", None);
    let (_, v) = community.get(&format!("/api/v1/volunteers/{v1}")).await;
    assert_eq!((v["balance_minutes"].as_i64(), v["earned_minutes"].as_i64()), (Some(120), Some(120)), "{v}");
    assert_eq!(v["ledger"][0]["activity_id"], act);
    assert_ledger(&v);

    // Redeeming: never beyond the balance.
    let redeem = |v: i64, hours: Value| {
        let c = community.clone();
        async move {
            c.post(&format!("/api/v1/volunteers/{v}/redeem"), &json!({ "hours": hours, "service": "助老陪护服务" }))
                .await
        }
    };
    assert_field(&redeem(v1, json!("-1")).await, "hours");
    assert_field(
        &community.post(&format!("/api/v1/volunteers/{v1}/redeem"), &json!({ "hours": 1, "service": "" })).await,
        "service",
    );
    assert_error(
        &gw.post(&format!("/api/v1/volunteers/{v1}/redeem"), &json!({ "hours": 1, "service": "助老陪护服务" })).await,
        403,
        "forbidden",
        None,
    );
    let (s, v) = redeem(v1, json!("1.5")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["balance_minutes"], 30);
    assert_eq!(v["earned_minutes"], 120, "redeeming does not lower the cumulative hours");
    assert_error(&redeem(v1, json!(1)).await, 422, "rule_violated", Some("hours"));
    assert_ledger(&community.get(&format!("/api/v1/volunteers/{v1}")).await.1);

    // Random operations (a fixed seed): credits and withdrawals, some refused; the invariant holds after each.
    let mut seed: u64 = 0x5eed_2026;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    let mut expected = 30i64;
    for round in 0..24 {
        if next(3) == 0 {
            let act = activity(&community, 5, &format!("随机服务{round}")).await;
            let minutes = 15 * (1 + next(16) as i64);
            let (s, a) = serve(&community, act, v2, json!(format!("{}分钟", minutes))).await;
            assert_eq!(s, 200, "{a}");
            let (s, a) = serve(&community, act, v1, json!(format!("{}分钟", minutes))).await;
            assert_eq!(s, 200, "{a}");
            expected += minutes;
        } else {
            let minutes = 15 * (1 + next(12) as i64);
            let r = redeem(v1, json!(format!("{minutes}分钟"))).await;
            if minutes <= expected {
                assert_eq!(r.0, 200, "{r:?}");
                expected -= minutes;
            } else {
                assert_error(&r, 422, "rule_violated", Some("hours"));
            }
        }
        let (_, v) = community.get(&format!("/api/v1/volunteers/{v1}")).await;
        assert_eq!(v["balance_minutes"].as_i64().unwrap(), expected, "round {round}: {v}");
        assert_ledger(&v);
    }
    // Concurrent withdrawals of 60% of the balance each: exactly one wins, the balance never goes below zero.
    let act = activity(&community, 5, "并发前服务").await;
    let (s, _) = serve(&community, act, v2, json!(10)).await;
    assert_eq!(s, 200);
    let (_, before) = community.get(&format!("/api/v1/volunteers/{v2}")).await;
    let balance = before["balance_minutes"].as_i64().unwrap();
    let each = balance * 6 / 10;
    let calls: Vec<_> = (0..5).map(|_| Box::pin(redeem(v2, json!(format!("{each}分钟"))))).collect();
    let results = join_all(calls).await;
    let won = results.iter().filter(|r| r.0 == 200).count();
    assert_eq!(won, 1, "{results:?}");
    assert!(results.iter().all(|r| r.0 == 200 || r.0 == 422), "{results:?}");
    let (_, after) = community.get(&format!("/api/v1/volunteers/{v2}")).await;
    assert_eq!(after["balance_minutes"].as_i64().unwrap(), balance - each);
    assert_ledger(&after);

    // Stars: by cumulative hours (default 100 h for the first); each level once.
    let (_, starred) = community.get("/api/v1/volunteers?star=1").await;
    let starred_before = starred["total"].as_i64().unwrap();
    let r = community.post(&format!("/api/v1/volunteers/{v3}/honours"), &json!({ "level": 1 })).await;
    assert_error(&r, 422, "rule_violated", Some("level"));
    for i in 0..5 {
        let act = activity(&community, 3, &format!("长时服务{i}")).await;
        let (s, a) = serve(&community, act, v3, json!(20)).await;
        assert_eq!(s, 200, "{a}");
    }
    let (_, v) = community.get(&format!("/api/v1/volunteers/{v3}")).await;
    assert_eq!(v["star_level"], 1, "{v}");
    assert_field(&community.post(&format!("/api/v1/volunteers/{v3}/honours"), &json!({ "level": 9 })).await, "level");
    let r = community.post(&format!("/api/v1/volunteers/{v3}/honours"), &json!({ "level": 2 })).await;
    assert_error(&r, 422, "rule_violated", Some("level"));
    let (s, v) =
        community.post(&format!("/api/v1/volunteers/{v3}/honours"), &json!({ "level": 1, "note": "年度表彰" })).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["awarded_level"].as_i64(), v["honours"][0]["earned_hours"].as_str()), (Some(1), Some("100")));
    assert_error(
        &community.post(&format!("/api/v1/volunteers/{v3}/honours"), &json!({ "level": 1 })).await,
        409,
        "conflict",
        Some("level"),
    );
    let (_, starred) = community.get("/api/v1/volunteers?star=1").await;
    assert_eq!(starred["total"].as_i64().unwrap(), starred_before + 1, "{starred}");

    // Teams.
    let (_, teams) = gw.get("/api/v1/volunteer-teams").await;
    let teams_before = teams["total"].as_i64().unwrap();
    let r = community
        .post(
            "/api/v1/volunteer-teams",
            &json!({ "region_code": COMMUNITY1, "name": "银发理发队", "member_ids": [v1, 99_999] }),
        )
        .await;
    assert_field(&r, "member_ids[1]");
    let r = community
        .post(
            "/api/v1/volunteer-teams",
            &json!({ "region_code": COMMUNITY1, "name": "银发理发队", "member_ids": [v1], "leader_id": v2 }),
        )
        .await;
    assert_field(&r, "leader_id");
    let (s, t) = community
        .post(
            "/api/v1/volunteer-teams",
            &json!({ "region_code": COMMUNITY1, "name": "银发理发队", "member_ids": [v1, v2], "leader_id": v1 }),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["members"].as_array().unwrap().len(), 2);
    let (_, teams) = gw.get("/api/v1/volunteer-teams").await;
    assert_eq!(teams["total"].as_i64().unwrap(), teams_before + 1);
    srv.finish().await;
}

/// Runs the futures together on this task and returns their answers in order (the test crate has no `futures`).
async fn join_all<F: std::future::Future<Output = T> + Unpin, T>(mut futs: Vec<F>) -> Vec<T> {
    let mut results: Vec<Option<T>> = (0..futs.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in futs.iter_mut().enumerate() {
            if results[i].is_none() {
                match std::pin::Pin::new(f).poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    results.into_iter().map(|r| r.expect("every future finished")).collect()
}

async fn co_building_and_social_organizations(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let community = srv.login("demo_community", DEMO_PW).await;
    let other = other_community_user(&admin, &srv).await;
    let leader = srv.login("demo_leader", DEMO_PW).await;

    let good = json!({ "region_code": COMMUNITY1, "name": "区统计局第二分局", "kind": "机关", "contact_name": "孙科长",
        "contact_phone": "13900001234", "paired_on": "2026-01-15", "note": "结对共建" });
    for (key, value, field) in [
        ("name", json!("x"), "name"),
        ("kind", json!("公司"), "kind"),
        ("contact_phone", json!("12345"), "contact_phone"),
        ("paired_on", json!("2026-02-30"), "paired_on"),
        ("organization_id", json!(99_999_999), "organization_id"),
        ("region_code", json!(COMMUNITY2), "region_code"),
    ] {
        let mut body = good.clone();
        body[key] = value;
        assert_field(&community.post("/api/v1/co-building-units", &body).await, field);
    }
    assert_error(&leader.post("/api/v1/co-building-units", &good).await, 403, "forbidden", None);
    let (s, u) = community.post("/api/v1/co-building-units", &good).await;
    assert_eq!(s, 201, "{u}");
    assert_eq!(u["contact_phone"], "139****1234");
    assert!(!u.to_string().contains("13900001234"));
    assert_error(&community.post("/api/v1/co-building-units", &good).await, 409, "conflict", Some("name"));
    let unit = u["id"].as_i64().unwrap();
    assert_error(&other.get(&format!("/api/v1/co-building-units/{unit}")).await, 404, "not_found", None);
    assert_eq!(leader.get(&format!("/api/v1/co-building-units/{unit}")).await.0, 200);

    // Commitments: money in yuan ("1.2万"), hours, projects; progress with evidence.
    let commit = |body: Value| {
        let c = community.clone();
        async move { c.post(&format!("/api/v1/co-building-units/{unit}/commitments"), &body).await }
    };
    assert_field(&commit(json!({ "kind": "捐款", "title": "共建资金", "target": 1 })).await, "kind");
    assert_field(&commit(json!({ "kind": "money", "title": "共建资金", "target": "很多" })).await, "target");
    assert_field(&commit(json!({ "kind": "money", "title": "共建资金", "target": 0 })).await, "target");
    assert_field(&commit(json!({ "kind": "money", "title": "", "target": 1 })).await, "title");
    assert_field(&commit(json!({ "kind": "money", "title": "共建资金", "target": 1, "year": 1999 })).await, "year");
    let (s, d) = commit(json!({ "kind": "money", "title": "资助社区助餐点", "target": "1.2万" })).await;
    assert_eq!(s, 200, "{d}");
    let (s, _) = commit(json!({ "kind": "volunteer_hours", "title": "党员志愿服务", "target": 200 })).await;
    assert_eq!(s, 200);
    let (_, d) = commit(json!({ "kind": "project", "title": "为社区办一件实事：修缮健身步道", "target": 1 })).await;
    let list = d["commitment_list"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    let money = list.iter().find(|c| c["kind"] == "money").unwrap();
    assert_eq!((money["target"].as_f64(), money["unit"].as_str()), (Some(12000.0), Some("元")));
    let cid = money["id"].as_i64().unwrap();
    let (_, file) = upload(&community, "收据.pdf", b"%PDF-1.4 receipt").await;
    let fid = file["id"].as_i64().unwrap();
    let progress = |body: Value| {
        let c = community.clone();
        async move { c.post(&format!("/api/v1/co-building-commitments/{cid}/progress"), &body).await }
    };
    assert_field(&progress(json!({ "amount": 0 })).await, "amount");
    assert_field(&progress(json!({ "amount": "3000", "attachments": [999_999] })).await, "attachments[0]");
    assert_error(&progress(json!({ "amount": "3000", "version": 99 })).await, 409, "conflict", None);
    assert_error(
        &other.post(&format!("/api/v1/co-building-commitments/{cid}/progress"), &json!({ "amount": 1 })).await,
        404,
        "not_found",
        None,
    );
    let (s, d) = progress(json!({ "amount": "3000", "note": "第一季度拨付", "attachments": [fid] })).await;
    assert_eq!(s, 200, "{d}");
    let money = d["commitment_list"].as_array().unwrap().iter().find(|c| c["id"] == cid).unwrap().clone();
    assert_eq!((money["done"].as_f64(), money["completion"].as_f64()), (Some(3000.0), Some(0.25)));
    assert_eq!(d["progress"][0]["attachments"][0]["id"], fid);
    assert_eq!(leader.get(&format!("/api/v1/attachments/{fid}")).await.0, 200);
    assert_error(&other.get(&format!("/api/v1/attachments/{fid}")).await, 404, "not_found", None);

    // 共建日 with the units that took part.
    let (_, u2) = community
        .post(
            "/api/v1/co-building-units",
            &json!({ "region_code": COMMUNITY1, "name": "清河第一小学", "kind": "school" }),
        )
        .await;
    let unit2 = u2["id"].as_i64().unwrap();
    let (_, other_unit) = other
        .post(
            "/api/v1/co-building-units",
            &json!({ "region_code": COMMUNITY2, "name": "二社区共建医院", "kind": "institution" }),
        )
        .await;
    let day = json!({ "region_code": COMMUNITY1, "held_on": "2026-11-20", "theme": "冬季消防安全", "content": "共建单位与社区开展消防演练",
        "problems": "楼道堆物清理\n老旧灭火器更换", "unit_ids": [unit, unit2] });
    for (key, value, field) in [
        ("held_on", json!("明天"), "held_on"),
        ("theme", json!(""), "theme"),
        ("content", json!(""), "content"),
        ("unit_ids", json!([other_unit["id"]]), "unit_ids[0]"),
    ] {
        let mut body = day.clone();
        body[key] = value;
        assert_field(&community.post("/api/v1/co-building-days", &body).await, field);
    }
    let (s, d) = community.post("/api/v1/co-building-days", &day).await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["problems"], json!(["楼道堆物清理", "老旧灭火器更换"]));
    assert_eq!(d["units"].as_array().unwrap().len(), 2);
    let (_, days) = other.get("/api/v1/co-building-days?limit=500").await;
    for d in days["items"].as_array().unwrap() {
        assert_eq!(d["region_code"], COMMUNITY2, "{d}");
    }

    // Public: units and completion, 共建日; no contact person or phone.
    let (s, public) = srv.client().get(&format!("/api/v1/public/{COMMUNITY1}/co-building")).await;
    assert_eq!(s, 200, "{public}");
    let pu = public["units"].as_array().unwrap().iter().find(|x| x["name"] == "区统计局第二分局").unwrap().clone();
    assert_eq!(pu["commitments"].as_array().unwrap().len(), 3);
    let pd = public["days"].as_array().unwrap().iter().find(|d| d["held_on"] == "2026-11-20").expect("the day").clone();
    assert_eq!(pd["units"].as_array().unwrap().len(), 2);
    assert_public_safe(&public, &["孙科长", "13900001234", "收据"]);
    assert_error(&srv.client().get(&format!("/api/v1/public/{STREET1}/co-building")).await, 404, "not_found", None);

    // Social organizations of the register: incubation stages kept with their history, services.
    let person = person_in(&community, GRID1, 0).await;
    let (_, house) = community.get(&format!("/api/v1/houses/{}", person["house_id"])).await;
    let (s, o) = community
        .post(
            "/api/v1/organizations",
            &json!({ "name": "邻里互助社", "kind": "社会组织", "house_code": house["code"] }),
        )
        .await;
    assert_eq!(s, 201, "{o}");
    let org = o["id"].as_i64().unwrap();
    let (s, orgs) = community.get("/api/v1/social-organizations").await;
    assert_eq!(s, 200, "{orgs}");
    let listed = orgs["items"].as_array().unwrap().iter().find(|x| x["id"] == org).expect("listed").clone();
    assert!(listed["stage"].is_null());
    let stage = |body: Value| {
        let c = community.clone();
        async move { c.put(&format!("/api/v1/social-organizations/{org}/stage"), &body).await }
    };
    assert_field(&stage(json!({ "stage": "成长" })).await, "stage");
    assert_field(&stage(json!({ "stage": "孵化", "field": "体育" })).await, "field");
    let (s, o) = stage(json!({ "stage": "孵化", "field": "elderly", "note": "入驻社区孵化基地" })).await;
    assert_eq!(s, 200, "{o}");
    assert_eq!((o["stage"].as_str(), o["field_name"].as_str()), (Some("incubating"), Some("为老服务")));
    assert_field(&stage(json!({ "stage": "incubating" })).await, "stage");
    let (_, o) = stage(json!({ "stage": "nurturing" })).await;
    let history = o["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        (history[1]["from_stage"].as_str(), history[1]["stage"].as_str()),
        (Some("incubating"), Some("nurturing"))
    );
    assert_eq!(o["field"], "elderly", "the field is kept");
    let svc = |body: Value| {
        let c = community.clone();
        async move { c.post(&format!("/api/v1/social-organizations/{org}/services"), &body).await }
    };
    assert_field(&svc(json!({ "name": "" })).await, "name");
    let (s, o) = svc(json!({ "name": "助餐送餐", "target": "高龄独居老人", "description": "每周三次上门送餐" })).await;
    assert_eq!(s, 200, "{o}");
    assert_eq!(o["services"][0]["target"], "高龄独居老人");
    let (_, nurturing) = community.get("/api/v1/social-organizations?stage=nurturing").await;
    assert!(nurturing["items"].as_array().unwrap().iter().all(|x| x["stage"] == "nurturing"));
    assert!(nurturing["items"].as_array().unwrap().iter().any(|x| x["id"] == org));
    assert_field(&community.get("/api/v1/social-organizations?stage=grown").await, "stage");
    assert_error(&other.get(&format!("/api/v1/social-organizations/{org}")).await, 404, "not_found", None);
    assert_error(
        &leader.put(&format!("/api/v1/social-organizations/{org}/stage"), &json!({ "stage": "mature" })).await,
        403,
        "forbidden",
        None,
    );
    srv.finish().await;
}

async fn party_building(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let community = srv.login("demo_community", DEMO_PW).await;
    let street = srv.login("demo_street", DEMO_PW).await;
    let other = other_community_user(&admin, &srv).await;
    let gw = srv.login("demo_grid_worker", DEMO_PW).await;
    let leader = srv.login("demo_leader", DEMO_PW).await;

    // Organizations on a street or a community, nested by rank.
    let (s, committee) = street
        .post(
            "/api/v1/party-organizations",
            &json!({ "region_code": STREET1, "kind": "党委", "name": "清河街道党工委", "secretary": "郑书记" }),
        )
        .await;
    assert_eq!(s, 201, "{committee}");
    let committee = committee["id"].as_i64().unwrap();
    let good = json!({ "region_code": COMMUNITY1, "kind": "branch", "name": "第一社区第一党支部", "secretary": "张红",
        "parent_id": committee, "founded_on": "2010-07-01" });
    for (key, value, field) in [
        ("kind", json!("小组"), "kind"),
        ("name", json!(""), "name"),
        ("region_code", json!(GRID1), "region_code"),
        ("founded_on", json!("2010-13-01"), "founded_on"),
        ("parent_id", json!(99_999), "parent_id"),
    ] {
        let mut body = good.clone();
        body[key] = value;
        assert_field(&community.post("/api/v1/party-organizations", &body).await, field);
    }
    assert_error(&gw.post("/api/v1/party-organizations", &good).await, 403, "forbidden", None);
    let (s, branch) = community.post("/api/v1/party-organizations", &good).await;
    assert_eq!(s, 201, "{branch}");
    let branch_id = branch["id"].as_i64().unwrap();
    let (_, b2) = community
        .post(
            "/api/v1/party-organizations",
            &json!({ "region_code": COMMUNITY1, "kind": "branch", "name": "第二支部", "parent_id": branch_id }),
        )
        .await;
    assert_field(&(400, b2), "parent_id");

    // Members: register people; the kind decides what is required.
    let p = |n| person_in(&community, GRID1, n);
    let (p0, p1, p2, p3) = (p(0).await, p(1).await, p(2).await, p(3).await);
    let regular = json!({ "person_id": p0["id"], "kind": "regular", "status": "full", "org_id": branch_id, "joined_on": "1998-07-01" });
    for (body, field) in [
        (json!({ "person_id": p0["id"], "kind": "regular", "status": "full" }), "org_id"),
        (json!({ "person_id": p0["id"], "kind": "党员", "status": "full", "org_id": branch_id }), "kind"),
        (json!({ "person_id": p0["id"], "kind": "regular", "status": "积极分子", "org_id": branch_id }), "status"),
        (json!({ "person_id": 99_999_999, "kind": "regular", "status": "full", "org_id": branch_id }), "person_id"),
        (
            json!({ "person_id": p0["id"], "kind": "regular", "status": "full", "org_id": branch_id, "joined_on": "2999-01-01" }),
            "joined_on",
        ),
        (json!({ "person_id": p1["id"], "kind": "floating", "status": "full", "region_code": COMMUNITY1 }), "home_org"),
        (
            json!({ "person_id": p2["id"], "kind": "in_service", "status": "full", "region_code": COMMUNITY1, "commitment": "每月参加一次楼道清洁" }),
            "employer",
        ),
        (
            json!({ "person_id": p2["id"], "kind": "in_service", "status": "full", "region_code": COMMUNITY1, "employer": "区教育局" }),
            "commitment",
        ),
        (
            json!({ "person_id": p2["id"], "kind": "in_service", "status": "full", "region_code": STREET1, "employer": "区教育局", "commitment": "助学" }),
            "region_code",
        ),
    ] {
        assert_field(&community.post("/api/v1/party-members", &body).await, field);
    }
    assert_error(&gw.post("/api/v1/party-members", &regular).await, 403, "forbidden", None);
    let (s, m0) = community.post("/api/v1/party-members", &regular).await;
    assert_eq!(s, 201, "{m0}");
    assert_error(&community.post("/api/v1/party-members", &regular).await, 409, "conflict", Some("person_id"));
    let (s, m1) = community
        .post("/api/v1/party-members", &json!({ "person_id": p1["id"], "kind": "floating", "status": "probationary", "region_code": COMMUNITY1, "home_org": "安徽省某县某镇党委" }))
        .await;
    assert_eq!(s, 201, "{m1}");
    let in_service = |person: &Value| {
        json!({ "person_id": person["id"], "kind": "in_service", "status": "full", "region_code": COMMUNITY1, "employer": "区教育局",
            "employer_org": "区教育局机关党支部", "commitment": "每月参加一次楼道清洁和助学辅导" })
    };
    let (s, m2) = community.post("/api/v1/party-members", &in_service(&p2)).await;
    assert_eq!(s, 201, "{m2}");
    assert!(m2["reported_on"].is_string(), "reported today by default: {m2}");
    assert_eq!(m2["below_minimum"], true, "no service yet: {m2}");
    let (_, m3) = community.post("/api/v1/party-members", &in_service(&p3)).await;
    let (m0v, m1v, m2v, m3v) = (m0.clone(), m1.clone(), m2.clone(), m3.clone());
    let (m0, m2, m3) = (m0["id"].as_i64().unwrap(), m2["id"].as_i64().unwrap(), m3["id"].as_i64().unwrap());

    // Political status is sensitive: grid workers and leaders see organizations and counts, never members.
    assert_error(&gw.get("/api/v1/party-members").await, 403, "forbidden", None);
    assert_error(&leader.get("/api/v1/party-members").await, 403, "forbidden", None);
    assert_error(&gw.get(&format!("/api/v1/party-members/{m0}")).await, 404, "not_found", None);
    assert_error(&leader.get(&format!("/api/v1/party-members/{m0}")).await, 403, "forbidden", None);
    assert_error(&other.get(&format!("/api/v1/party-members/{m0}")).await, 404, "not_found", None);
    let (s, seen) = gw.get(&format!("/api/v1/party-organizations/{branch_id}")).await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(seen["members"], 1);
    assert!(seen["member_list"].is_null(), "{seen}");
    assert!(!seen.to_string().contains(p0["name"].as_str().unwrap()), "{seen}");
    let (_, mine) = community.get(&format!("/api/v1/party-organizations/{branch_id}")).await;
    assert_eq!(mine["member_list"].as_array().unwrap().len(), 1);
    let (_, all) = community.get("/api/v1/party-members?limit=500").await;
    for m in [&m0v, &m1v, &m2v, &m3v] {
        assert!(all["items"].as_array().unwrap().iter().any(|x| x["id"] == m["id"]), "{m} listed");
    }
    let (_, audit) = admin.get("/api/v1/audit?action=read_party_members&limit=5").await;
    assert!(
        audit["items"].as_array().unwrap().iter().any(|a| a["actor"] == "demo_community"),
        "reading party members is audited: {audit}"
    );
    let (_, floating) = community.get("/api/v1/party-members?kind=floating").await;
    let f = floating["items"].as_array().unwrap().iter().find(|x| x["id"] == m1v["id"]).expect("floating").clone();
    assert_eq!(f["home_org"], "安徽省某县某镇党委");
    assert!(floating["items"].as_array().unwrap().iter().all(|x| x["kind"] == "floating"));
    let (_, others) = other.get("/api/v1/party-members?limit=500").await;
    assert!(others["items"].as_array().unwrap().iter().all(|x| x["region_code"] == COMMUNITY2), "{others}");

    // 三会一课 with sign-in; a public 主题党日.
    let today = chrono_today();
    let act = json!({ "org_id": branch_id, "kind": "theme_day", "title": "主题党日：垃圾分类宣传", "held_at": format!("{today}T09:00"),
        "place": "社区广场", "summary": "党员分组入户宣传垃圾分类", "public": true });
    for (key, value, field) in [
        ("kind", json!("座谈"), "kind"),
        ("title", json!(""), "title"),
        ("held_at", json!("上周"), "held_at"),
        ("org_id", json!(99_999), "org_id"),
    ] {
        let mut body = act.clone();
        body[key] = value;
        assert_field(&community.post("/api/v1/party-activities", &body).await, field);
    }
    let (s, a) = community.post("/api/v1/party-activities", &act).await;
    assert_eq!(s, 201, "{a}");
    let aid = a["id"].as_i64().unwrap();
    let (_, closed) = community
        .post("/api/v1/party-activities", &json!({ "org_id": branch_id, "kind": "committee_meeting", "title": "支委会：研究发展党员", "held_at": format!("{today}T08:00") }))
        .await;
    assert_eq!(closed["public"], false);
    assert_field(
        &community.post(&format!("/api/v1/party-activities/{aid}/sign-in"), &json!({ "member_ids": [99_999] })).await,
        "member_ids[0]",
    );
    assert_error(
        &gw.post(&format!("/api/v1/party-activities/{aid}/sign-in"), &json!({ "member_ids": [m0] })).await,
        403,
        "forbidden",
        None,
    );
    let (s, a) =
        community.post(&format!("/api/v1/party-activities/{aid}/sign-in"), &json!({ "member_ids": [m0, m2] })).await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["attendance"], 2);
    assert_eq!(a["attendees"].as_array().unwrap().len(), 2);
    let (_, a_gw) = gw.get(&format!("/api/v1/party-activities/{aid}")).await;
    assert_eq!(a_gw["attendance"], 2);
    assert!(a_gw["attendees"].is_null() && a_gw["org_members"].is_null(), "{a_gw}");
    let (_, org) = community.get(&format!("/api/v1/party-organizations/{branch_id}")).await;
    let theme = org["quotas"].as_array().unwrap().iter().find(|q| q["kind"] == "theme_day").unwrap().clone();
    assert_eq!((theme["held"].as_i64(), theme["per_year"].as_i64()), (Some(1), Some(12)), "{org}");

    // Service records and the yearly minimum (default 12 h) of in-service members.
    let svc = |m: i64, body: Value| {
        let c = community.clone();
        async move { c.post(&format!("/api/v1/party-members/{m}/service-records"), &body).await }
    };
    assert_field(&svc(m2, json!({ "served_on": "2999-01-01", "hours": 2, "content": "楼道清洁" })).await, "served_on");
    assert_field(&svc(m2, json!({ "served_on": today, "hours": 0, "content": "楼道清洁" })).await, "hours");
    assert_field(&svc(m2, json!({ "served_on": today, "hours": 2, "content": "" })).await, "content");
    assert_error(
        &leader
            .post(
                &format!("/api/v1/party-members/{m2}/service-records"),
                &json!({ "served_on": today, "hours": 2, "content": "楼道清洁" }),
            )
            .await,
        403,
        "forbidden",
        None,
    );
    let (s, d) = svc(m2, json!({ "served_on": today, "hours": 12, "content": "暑期助学辅导" })).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!((d["year_hours"].as_str(), d["below_minimum"].as_bool()), (Some("12"), Some(false)));
    let (_, _) = svc(m3, json!({ "served_on": today, "hours": "90分钟", "content": "楼道清洁" })).await;
    let (s, summary) = community.get("/api/v1/party-service").await;
    assert_eq!(s, 200, "{summary}");
    assert_eq!(summary["min_hours"].as_i64(), Some(12), "{summary}");
    let rows = summary["members"].as_array().unwrap();
    let row = |m: i64| rows.iter().find(|r| r["member_id"] == m).cloned().unwrap_or_else(|| panic!("{m} in {summary}"));
    assert_eq!((row(m3)["below_minimum"].as_bool(), row(m3)["hours"].as_str()), (Some(true), Some("1.5")));
    assert_eq!(row(m2)["below_minimum"], false);
    assert!(rows.iter().all(|r| r["member_id"] != m0), "in-service members only");
    let first_ok = rows.iter().position(|r| r["below_minimum"] == false).unwrap_or(rows.len());
    assert!(rows[first_ok..].iter().all(|r| r["below_minimum"] == false), "those below first: {summary}");
    assert_eq!(summary["below"].as_i64().unwrap(), first_ok as i64);
    assert_field(&community.get("/api/v1/party-service?year=1800").await, "year");
    assert_error(&gw.get("/api/v1/party-service").await, 403, "forbidden", None);

    // Public: organizations with counts and public activities; no member or attendee.
    let (s, public) = srv.client().get(&format!("/api/v1/public/{COMMUNITY1}/party")).await;
    assert_eq!(s, 200, "{public}");
    let po = public["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "第一社区第一党支部")
        .expect("ours")
        .clone();
    assert_eq!((po["secretary"].as_str(), po["members"].as_i64()), (Some("张红"), Some(1)));
    let titles: Vec<&str> =
        public["activities"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"主题党日：垃圾分类宣传"), "{public}");
    assert!(!titles.contains(&"支委会：研究发展党员"), "only public activities: {public}");
    let names: Vec<&str> = [&p0, &p1, &p2, &p3].iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_public_safe(&public, &[names[0], names[1], names[2], names[3], "区教育局", "安徽省"]);
    srv.finish().await;
}

fn chrono_today() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let days = (now + 8 * 3600).div_euclid(86_400);
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

both_backends!(
    meetings_from_schedule_to_published_resolution,
    volunteers_and_the_time_bank,
    co_building_and_social_organizations,
    party_building
);
