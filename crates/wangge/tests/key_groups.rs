//! 治安防控 over HTTP on both backends: the key-group list's rules (a correction term that ended, a release six
//! years ago, risk level 4 → every 14 days, a visit resets the due day), overdue order, one audit record per
//! read, masked numbers, who may read it (403 for mediators, departments and leaders; 404 for another street),
//! the grid worker's today list flagging overdue key-group people; safety teams (bad input field by field,
//! phones encrypted at rest and masked), the safety map and the pages.

mod common;

use common::*;
use serde_json::{Value, json};
use wangge_testkit::TestDb;

const DAY_MS: i64 = 86_400_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A China-time date `days` from today.
fn day(days: i64) -> String {
    let t = chrono::Utc::now() + chrono::Duration::days(days);
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).format("%Y-%m-%d").to_string()
}

/// Adults of a grid without any tag (so no rule of their own puts them on a list), by id.
async fn untagged_adults(c: &Client, grid: &str, n: usize) -> Vec<i64> {
    let people = c.all_items(&format!("/api/v1/people?region={grid}")).await;
    let ids: Vec<i64> = people
        .iter()
        .filter(|p| p["tags"].as_array().unwrap().is_empty() && (20..60).contains(&p["age"].as_i64().unwrap()))
        .map(|p| p["id"].as_i64().unwrap())
        .take(n)
        .collect();
    assert_eq!(ids.len(), n, "{grid} has {n} untagged adults");
    ids
}

async fn tag(c: &Client, person: i64, code: &str, data: Value) {
    let (s, b) = c.put(&format!("/api/v1/people/{person}/tags/{code}"), &json!({ "data": data })).await;
    assert_eq!(s, 200, "tag {person} {code}: {b}");
}

/// A visit `days_ago` days ago through the phone's sync endpoint.
async fn visit(c: &Client, person: i64, days_ago: i64, key: &str) {
    let body = json!({ "client_now": now_ms(), "items": [{ "key": key, "kind": "visit", "at": now_ms() - days_ago * DAY_MS,
        "data": { "person_id": person, "situation": "normal" } }] });
    let (s, r) = c.post("/api/v1/field/sync", &body).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["results"][0]["status"], "created", "{r}");
}

fn find(items: &[Value], person: i64) -> Option<&Value> {
    items.iter().find(|i| i["person_id"] == person)
}

async fn audit_count(admin: &Client, action: &str) -> Vec<Value> {
    admin.all_items(&format!("/api/v1/audit?action={action}")).await
}

async fn rules_order_audit_and_access(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let community = srv.login("demo_community", DEMO_PW).await;
    let g1 = untagged_adults(&community, GRID1, 2).await;
    let g2 = untagged_adults(&community, GRID2, 5).await;
    let (ended, patient) = (g1[0], g1[1]);
    let (serving, released_long_ago, released, drug, fresh) = (g2[0], g2[1], g2[2], g2[3], g2[4]);
    tag(&community, ended, "community_correction", json!({ "term_start": day(-400), "term_end": day(-1) })).await;
    tag(&community, patient, "mental_disorder", json!({ "risk_level": "4", "guardian": "王建国（父亲）" })).await;
    tag(&community, serving, "community_correction", json!({ "term_start": day(-90), "term_end": day(180) })).await;
    tag(&community, released_long_ago, "released_prisoner", json!({ "released": day(-6 * 365) })).await;
    tag(&community, released, "released_prisoner", json!({ "released": day(-2 * 365) })).await;
    tag(&community, drug, "drug_user", json!({})).await;
    tag(&community, fresh, "mental_disorder", json!({ "risk_level": "0" })).await;
    // The patient last seen 20 days ago (every 14 → 6 days overdue), the serving one 10 (every 7 → 3 overdue).
    visit(&community, patient, 20, "kg-visit-patient-1").await;
    visit(&community, serving, 10, "kg-visit-serving-1").await;
    visit(&community, drug, 0, "kg-visit-drug-0001").await;

    let before = audit_count(&admin, "read_key_groups").await.len();
    let (s, list) = community.get(&format!("/api/v1/key-groups?region={COMMUNITY1}&limit=500")).await;
    assert_eq!(s, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(list["total"].as_i64().unwrap(), items.len() as i64, "{list}");
    // The rules: an ended term and a release six years ago take nobody onto the list.
    assert!(find(items, ended).is_none(), "the correction term ended yesterday: {list}");
    assert!(find(items, released_long_ago).is_none(), "released six years ago: {list}");
    let p = find(items, patient).expect("risk level 4 is listed");
    assert_eq!(p["contact_days"], 14, "{p}");
    assert_eq!(p["groups"][0]["risk_level"], 4, "{p}");
    assert_eq!(p["groups"][0]["guardian"], "王建国（父亲）", "{p}");
    assert_eq!(p["last_contact_on"], day(-20), "{p}");
    assert_eq!((p["due_on"].as_str().unwrap(), p["overdue_days"].as_i64()), (day(-6).as_str(), Some(6)), "{p}");
    assert_eq!(p["overdue"], true);
    assert_eq!(p["workers"][0]["username"], "demo_grid_worker", "the grid's worker answers for them: {p}");
    let s_ = find(items, serving).expect("a running term is listed");
    assert_eq!((s_["contact_days"].as_i64(), s_["overdue_days"].as_i64()), (Some(7), Some(3)), "{s_}");
    assert_eq!(s_["groups"][0]["term_end"], day(180));
    let r = find(items, released).expect("released two years ago is listed");
    assert_eq!(r["contact_days"], 30, "{r}");
    assert_eq!(r["groups"][0]["resettlement_ends"].as_str().unwrap().len(), 10, "{r}");
    assert!(r["last_contact_on"].is_null() && r["overdue_days"] == 0 && r["due_on"] == day(0), "never seen: {r}");
    let d = find(items, drug).expect("drug users are listed");
    assert_eq!((d["contact_days"].as_i64(), d["due_on"].as_str()), (Some(30), Some(day(30).as_str())), "{d}");
    assert_eq!(find(items, fresh).unwrap()["contact_days"], 90, "risk level 0: every three months");
    // Overdue first, most days first; then by due day.
    let keys: Vec<(i64, String)> =
        items.iter().map(|i| (i["overdue_days"].as_i64().unwrap(), i["due_on"].as_str().unwrap().into())).collect();
    assert!(keys.windows(2).all(|w| w[0].0 > w[1].0 || (w[0].0 == w[1].0 && w[0].1 <= w[1].1)), "{keys:?}");
    let pos = |id: i64| items.iter().position(|i| i["person_id"] == id).unwrap();
    assert!(pos(patient) < pos(serving) && pos(serving) < pos(released), "{keys:?}");
    // Masked numbers only: the patient's full 身份证号 and phone appear nowhere in the list.
    for i in items {
        assert!(i["id_number_masked"].as_str().unwrap().contains("****"), "{i}");
        assert!(i["phone_masked"].is_null() || i["phone_masked"].as_str().unwrap().contains("****"), "{i}");
    }
    let (_, full) = community.post(&format!("/api/v1/people/{patient}/reveal"), &json!({ "reason": "测试核对" })).await;
    let text = list.to_string();
    assert!(!text.contains(full["id_number"].as_str().unwrap()), "clear 身份证号 in the list");
    if let Some(phone) = full["phone"].as_str() {
        assert!(!text.contains(phone), "clear phone in the list");
    }
    // One audit record per read, naming the region and the people shown.
    let records = audit_count(&admin, "read_key_groups").await;
    assert_eq!(records.len(), before + 1, "{records:?}");
    let rec = &records[0];
    assert_eq!((rec["actor"].as_str(), rec["object"].as_str()), (Some("demo_community"), Some("region:330199001001")));
    assert!(rec["reason"].as_str().unwrap().contains(&patient.to_string()), "{rec}");

    // A visit resets the due day.
    visit(&community, serving, 0, "kg-visit-serving-2").await;
    let (_, list) = community.get(&format!("/api/v1/key-groups?region={GRID2}&tag=community_correction")).await;
    let s_ = find(list["items"].as_array().unwrap(), serving).expect("still managed");
    assert_eq!((s_["last_contact_on"].as_str(), s_["due_on"].as_str()), (Some(day(0).as_str()), Some(day(7).as_str())));
    assert_eq!(s_["overdue"], false, "{s_}");
    assert!(list["items"].as_array().unwrap().iter().all(|i| i["groups"].to_string().contains("community_correction")));

    // Only the overdue, and paging.
    let (_, overdue) = community.get(&format!("/api/v1/key-groups?region={COMMUNITY1}&view=overdue")).await;
    let o = overdue["items"].as_array().unwrap();
    assert!(
        o.iter().all(|i| i["overdue"] == true) && find(o, patient).is_some() && find(o, serving).is_none(),
        "{o:?}"
    );
    let (_, page1) = community.get(&format!("/api/v1/key-groups?region={COMMUNITY1}&limit=2")).await;
    assert_eq!(page1["items"].as_array().unwrap().len(), 2);
    let cursor = page1["next_cursor"].as_str().expect("more pages").to_string();
    let (_, page2) = community.get(&format!("/api/v1/key-groups?region={COMMUNITY1}&limit=2&cursor={cursor}")).await;
    assert_ne!(page1["items"][0]["person_id"], page2["items"][0]["person_id"]);
    assert_eq!(page1["total"], page2["total"]);
    assert_eq!(audit_count(&admin, "read_key_groups").await.len(), before + 5, "every read is recorded");

    // Bad input names the field.
    assert_field(&community.get("/api/v1/key-groups?view=late").await, "view");
    assert_field(&community.get("/api/v1/key-groups?tag=dibao").await, "tag");
    assert_field(&community.get("/api/v1/key-groups?tag=nobody").await, "tag");
    assert_field(&community.get("/api/v1/key-groups?limit=0").await, "limit");
    assert_field(&community.get("/api/v1/key-groups?colour=red").await, "colour");

    // Who may read: not mediators, departments or leaders (403); nobody outside their subtree (404).
    for who in ["demo_mediator", "demo_department", "demo_leader"] {
        let c = srv.login(who, DEMO_PW).await;
        assert_error(&c.get("/api/v1/key-groups").await, 403, "forbidden", None);
        assert_error(&c.get(&format!("/api/v1/key-groups?region={STREET1}")).await, 403, "forbidden", None);
    }
    let street = srv.login("demo_street", DEMO_PW).await;
    let r = street.get(&format!("/api/v1/key-groups?region={STREET2}")).await;
    assert_error(&r, 404, "not_found", None);
    assert_error(&community.get(&format!("/api/v1/key-groups?region={COMMUNITY2}")).await, 404, "not_found", None);
    assert_error(&community.get("/api/v1/key-groups?region=33019900100199").await, 404, "not_found", None);
    let (s, sl) = street.get("/api/v1/key-groups").await;
    assert_eq!(s, 200, "the street's own list by default: {sl}");
    assert!(find(sl["items"].as_array().unwrap(), patient).is_some());
    let resident = srv.login("demo_resident", DEMO_PW).await;
    assert_error(&resident.get("/api/v1/key-groups").await, 403, "forbidden", None);

    // The grid worker's today flags the overdue patient with the derived frequency; the ended term asks for
    // nothing.
    let gw = srv.login("demo_grid_worker", DEMO_PW).await;
    let (s, today) = gw.get("/api/v1/field/today").await;
    assert_eq!(s, 200, "{today}");
    let visits = today["visits"].as_array().unwrap();
    let v = visits.iter().find(|v| v["person_id"] == patient).expect("the overdue patient is on today's list");
    assert_eq!(v["key_group"], true, "{v}");
    assert_eq!(v["overdue_days"], 6, "{v}");
    assert_eq!(v["tags"][0]["visit_days"], 14, "{v}");
    assert!(!visits.iter().any(|v| v["person_id"] == ended), "an ended term asks for no visit");
    assert!(visits.iter().any(|v| v["key_group"] == false), "routine visits are not flagged");
    // The worker reads the key groups of their own grid only.
    let (s, mine) = gw.get("/api/v1/key-groups").await;
    assert_eq!(s, 200, "{mine}");
    assert!(mine["items"].as_array().unwrap().iter().all(|i| i["grid_code"] == GRID1), "{mine}");
    assert_error(&gw.get(&format!("/api/v1/key-groups?region={GRID2}")).await, 404, "not_found", None);

    // The seeded kind records a guardian.
    let (_, kinds) = admin.get("/api/v1/tag-kinds").await;
    let md = kinds["items"].as_array().unwrap().iter().find(|k| k["code"] == "mental_disorder").unwrap();
    assert!(md["fields"].to_string().contains("\"guardian\""), "{md}");
    srv.finish().await;
}

async fn teams_phones_and_map(db: TestDb) {
    let srv = Server::demo(db);
    let community = srv.login("demo_community", DEMO_PW).await;
    let good = json!({
        "kind": "patrol", "name": "一网格夜巡队", "region_code": GRID1, "shift": "每晚19:00–22:00",
        "members": [
            { "name": "赵大勇", "phone": "13912345678", "role": "队长" },
            { "username": "demo_grid_worker", "role": "队员" },
            { "name": "钱小红" }
        ]
    });
    // Bad input, field by field.
    for (field, value, expect) in [
        ("name", json!(" "), "name"),
        ("kind", json!("army"), "kind"),
        ("region_code", json!(""), "region_code"),
        ("region_code", json!("33019900100199"), "region_code"),
        ("shift", json!("班".repeat(101)), "shift"),
        ("members", json!([{ "name": "孙", "phone": "1391234" }]), "members[0].phone"),
        ("members", json!([{ "username": "nobody_here" }]), "members[0].username"),
        ("members", json!([{ "role": "队员" }]), "members[0].name"),
    ] {
        let mut body = good.clone();
        body[field] = value;
        assert_field(&community.post("/api/v1/safety/teams", &body).await, expect);
    }
    let mut body = good.clone();
    body["members"] = json!([{ "name": "李", "age": 3 }]);
    let (s, e) = community.post("/api/v1/safety/teams", &body).await;
    assert_eq!(s, 400, "{e}");
    assert!(e["error"]["details"]["field"].as_str().unwrap().starts_with("members[0]"), "{e}");
    let mut elsewhere = good.clone();
    elsewhere["region_code"] = json!(COMMUNITY2);
    assert_error(&community.post("/api/v1/safety/teams", &elsewhere).await, 404, "not_found", None);
    let gw = srv.login("demo_grid_worker", DEMO_PW).await;
    assert_error(&gw.post("/api/v1/safety/teams", &good).await, 403, "forbidden", None);
    assert_error(&gw.get("/api/v1/safety/teams").await, 403, "forbidden", None);
    let leader = srv.login("demo_leader", DEMO_PW).await;
    assert_error(&leader.post("/api/v1/safety/teams", &good).await, 403, "forbidden", None);

    let (s, team) = community.post("/api/v1/safety/teams", &good).await;
    assert_eq!(s, 201, "{team}");
    assert_eq!(team["kind_name"], "巡防队");
    let members = team["members"].as_array().unwrap();
    assert_eq!(members[0]["phone_masked"], "139****5678", "{team}");
    assert_eq!(
        (members[1]["username"].as_str(), members[1]["name"].as_str()),
        (Some("demo_grid_worker"), Some("网格员 刘芳"))
    );
    assert!(!team.to_string().contains("13912345678"), "the clear number never leaves: {team}");
    let r = community.post("/api/v1/safety/teams", &good).await;
    assert_error(&r, 409, "conflict", Some("name"));

    // Listed for the area and above it (the leader reads), with the street's volunteers covering it.
    let (s, list) = leader.get(&format!("/api/v1/safety/teams?region={COMMUNITY1}")).await;
    assert_eq!(s, 200, "{list}");
    let names: Vec<&str> = list["items"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"一网格夜巡队"), "{names:?}");
    assert!(names.iter().any(|n| n.contains("志愿者")), "the street's volunteer team covers the community: {names:?}");
    assert!(!list.to_string().contains("13912345678"));
    let (_, volunteers) = leader.get(&format!("/api/v1/safety/teams?region={COMMUNITY1}&kind=volunteer")).await;
    assert!(volunteers["items"].as_array().unwrap().iter().all(|t| t["kind"] == "volunteer"), "{volunteers}");
    assert_field(&leader.get("/api/v1/safety/teams?kind=army").await, "kind");
    assert_error(&community.get(&format!("/api/v1/safety/teams?region={STREET2}")).await, 404, "not_found", None);

    // The map: a hazard reported in the first grid, the demo's patrols, and a new patrol from the phone.
    let (s, ev) = community
        .post(
            "/api/v1/events",
            &json!({ "category": "Z0301", "description": "楼道堆放杂物堵塞消防通道", "grid_code": GRID1 }),
        )
        .await;
    assert_eq!(s, 201, "{ev}");
    let (s, _) = community
        .post("/api/v1/events", &json!({ "category": "E0102", "description": "垃圾", "grid_code": GRID1 }))
        .await;
    assert_eq!(s, 201);
    let body = json!({ "client_now": now_ms(), "items": [
        { "key": "kg-patrol-start-1", "kind": "patrol_start", "at": now_ms() - 3_600_000, "data": {} },
        { "key": "kg-patrol-end-001", "kind": "patrol_end", "at": now_ms() - 600_000, "data": { "patrol": "kg-patrol-start-1" } }
    ]});
    let (s, r) = gw.post("/api/v1/field/sync", &body).await;
    assert_eq!(s, 200, "{r}");
    let (s, map) = leader.get(&format!("/api/v1/safety/map?region={COMMUNITY1}")).await;
    assert_eq!(s, 200, "{map}");
    assert_eq!(map["days"], 30);
    let grids = map["grids"].as_array().unwrap();
    assert_eq!(grids.len(), 2, "{map}");
    let g1 = grids.iter().find(|g| g["code"] == GRID1).unwrap();
    assert_eq!(g1["hazard_count"], 1, "only the hazard classes count: {g1}");
    assert_eq!(g1["hazards"][0]["id"], ev["id"]);
    assert_eq!(g1["hazards"][0]["category_name"], "消防安全隐患");
    assert!(g1["hazards"][0]["lat"].is_f64() && g1["hazards"][0]["lon"].is_f64(), "{g1}");
    assert_eq!(g1["patrols"], 7, "six demo patrols and the phone's: {g1}");
    assert!(g1["patrol_minutes"].as_i64().unwrap() >= 50 && g1["patrol_km"].as_f64().unwrap() > 10.0, "{g1}");
    assert_eq!(g1["coverage"], "good");
    let teams: Vec<&str> = g1["teams"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(teams.contains(&"一网格夜巡队") && teams.iter().any(|n| n.contains("志愿者")), "{teams:?}");
    let g2 = grids.iter().find(|g| g["code"] == GRID2).unwrap();
    assert_eq!((g2["coverage"].as_str(), g2["hazard_count"].as_i64()), (Some("low"), Some(0)), "{g2}");
    assert!(!g2["teams"].to_string().contains("一网格夜巡队"), "a grid's team does not cover its neighbour");
    let (_, street_map) = leader.get(&format!("/api/v1/safety/map?region={STREET2}")).await;
    assert!(street_map["grids"].as_array().unwrap().iter().all(|g| g["coverage"] == "none"), "{street_map}");
    let community2 = srv.login("demo_street", DEMO_PW).await;
    assert_error(&community2.get(&format!("/api/v1/safety/map?region={STREET2}")).await, 404, "not_found", None);
    assert_error(&gw.get("/api/v1/safety/map").await, 403, "forbidden", None);
    let mediator = srv.login("demo_mediator", DEMO_PW).await;
    assert_error(&mediator.get("/api/v1/safety/map").await, 403, "forbidden", None);

    // No member's phone in clear in any file of the data dir (SQLite: PostgreSQL keeps data elsewhere).
    if srv.backend() == "sqlite" {
        for f in wangge_testkit::files_under(&srv.db().data_dir()) {
            let bytes = std::fs::read(&f).unwrap_or_default();
            let needle = b"13912345678";
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "phone in clear in {f:?}");
        }
    }
    srv.finish().await;
}

/// The centre's page (overdue rows red, every view audited) and the safety page with its form.
async fn pages(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let (street, csrf) = page_login(&srv.base, "demo_street", DEMO_PW).await;
    let (s, home) = street.page("/").await;
    assert_eq!(s, 200);
    assert!(home.contains("href=\"/key-groups\"") && home.contains("href=\"/safety\""), "menu entries");
    let before = audit_count(&admin, "read_key_groups").await.len();
    let (s, html) = street.page(&format!("/key-groups?region={COMMUNITY1}")).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("重点人群管理") && html.contains("class=\"overdue\""), "the demo has overdue people: {html}");
    assert!(html.contains("王建国（父亲）"), "the demo's guardian: {html}");
    assert_eq!(audit_count(&admin, "read_key_groups").await.len(), before + 1);
    let (s, html) = street.page("/key-groups?view=late").await;
    assert_eq!(s, 400, "{html}");
    let (mediator, _) = page_login(&srv.base, "demo_mediator", DEMO_PW).await;
    let (s, home) = mediator.page("/").await;
    assert_eq!(s, 200);
    assert!(!home.contains("href=\"/key-groups\""), "no menu entry without the permission");
    assert_eq!(mediator.page("/key-groups").await.0, 403);

    let (s, html) = street.page(&format!("/safety?region={COMMUNITY1}")).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("id=\"safety-map\"") && html.contains("平安巡防队") && html.contains("team-form"), "{html}");
    let post = |form: Vec<(&'static str, String)>| {
        let c = &street;
        async move {
            let r = c.http.post(c.url("/safety/teams")).form(&form).send().await.unwrap();
            (
                r.status().as_u16(),
                r.headers().get("location").map(|l| l.to_str().unwrap().to_string()),
                r.text().await.unwrap(),
            )
        }
    };
    let form = |members: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("region", COMMUNITY1.to_string()),
            ("kind", "volunteer".to_string()),
            ("name", "楼道守望队".to_string()),
            ("region_code", COMMUNITY1.to_string()),
            ("shift", "每周六上午".to_string()),
            ("members", members.to_string()),
        ]
    };
    let (s, _, html) = post(form("张三 13800001111 队长\n李四 12345678")).await;
    assert_eq!(s, 400, "{html}");
    assert!(html.contains("队员第2行") && html.contains("李四 12345678"), "refused, kept as typed: {html}");
    let mut bad_csrf = form("张三");
    bad_csrf[0].1 = "wrong".into();
    assert_eq!(post(bad_csrf).await.0, 403, "CSRF checked");
    let (s, location, _) = post(form("张三 13800001111 队长\n@demo_grid_worker")).await;
    assert_eq!(s, 303);
    let (s, html) = street.page(&location.unwrap()).await;
    assert_eq!(s, 200);
    assert!(html.contains("楼道守望队") && html.contains("138****1111") && !html.contains("13800001111"), "{html}");
    let (gw, _) = page_login(&srv.base, "demo_grid_worker", DEMO_PW).await;
    assert_eq!(gw.page("/safety").await.0, 403);
    srv.finish().await;
}

/// The guardian field is seeded, and added to an existing database once: an admin who removes it keeps their
/// choice across restarts.
async fn guardian_field_added_once(db: TestDb) {
    let srv = Server::start(db);
    let admin = srv.admin().await;
    let fields = |kinds: &Value| {
        kinds["items"].as_array().unwrap().iter().find(|k| k["code"] == "mental_disorder").unwrap()["fields"].clone()
    };
    let (_, kinds) = admin.get("/api/v1/tag-kinds").await;
    assert!(fields(&kinds).to_string().contains("\"guardian\""), "{kinds}");
    let only_risk = json!([{ "key": "risk_level", "label": "危险性评估等级", "type": "select", "options": ["0", "1", "2", "3", "4", "5"] }]);
    let body = json!({ "name": "严重精神障碍患者", "level": "person", "sensitive": true, "visit_days": 30, "fields": only_risk });
    let (s, k) = admin.put("/api/v1/tag-kinds/mental_disorder", &body).await;
    assert_eq!(s, 200, "{k}");
    let srv = srv.restart();
    let admin = srv.admin().await;
    let (_, kinds) = admin.get("/api/v1/tag-kinds").await;
    assert_eq!(fields(&kinds), only_risk, "not added back after the admin removed it");
    srv.finish().await;
}

both_backends!(rules_order_audit_and_access, teams_phones_and_map, pages, guardian_field_added_once);
