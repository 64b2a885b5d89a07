//! The audit log (DESIGN.md §4): logins and writes are recorded, filters work, district staff see their district only.

mod common;

use common::*;
use serde_json::{Value, json};
use wangge_testkit::TestDb;

fn objects(items: &[Value]) -> Vec<String> {
    items.iter().map(|i| i["object"].as_str().unwrap_or("").to_string()).collect()
}

async fn audit(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;

    // The admin's login is a record.
    let (s, page) = admin.get("/api/v1/audit").await;
    assert_eq!(s, 200);
    assert!(page["items"].is_array() && page["total"].is_i64() && page.get("next_cursor").is_some(), "{page}");
    let first = &page["items"][0];
    assert_eq!(
        (&first["actor"], &first["action"], &first["object"]),
        (&json!("admin"), &json!("login"), &json!("user:admin")),
        "newest first: {page}"
    );
    for k in ["at", "actor", "action", "object"] {
        assert!(first[k].is_string(), "{k}: {first}");
    }
    assert!(first.get("reason").is_some(), "reason is present (may be null): {first}");
    let at = first["at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "RFC 3339 time: {at}");

    // Writes: a district of its own, a street in the demo district, a user, a setting.
    for (code, name, parent) in
        [("330198", "他区", None), ("330198001", "他区街道", Some("330198")), ("330199003", "新街道", Some(DISTRICT))]
    {
        let (s, b) = admin.post("/api/v1/regions", &json!({ "code": code, "name": name, "parent_code": parent })).await;
        assert_eq!(s, 201, "{b}");
    }
    let (s, b) = admin
        .post(
            "/api/v1/users",
            &json!({ "username": "other_district", "password": "other-pass-123", "roles": [{ "role": "district", "region_code": "330198" }] }),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) =
        admin.put("/api/v1/settings/map", &json!({ "tile_url": "https://tiles.example/{z}/{x}/{y}.png" })).await;
    assert_eq!(s, 200, "{b}");
    // A refused write leaves no record.
    let (s, _) =
        admin.post("/api/v1/regions", &json!({ "code": "330199003", "name": "重复", "parent_code": DISTRICT })).await;
    assert_eq!(s, 409);

    let all = admin.all_items("/api/v1/audit").await;
    let objs = objects(&all);
    for o in ["region:330198", "region:330198001", "region:330199003", "user:other_district", "settings:map"] {
        assert!(objs.contains(&o.to_string()), "{o} recorded: {objs:?}");
    }
    assert_eq!(objs.iter().filter(|o| *o == "region:330199003").count(), 1, "the 409 is not a second record");
    let setting = all.iter().find(|i| i["object"] == "settings:map").unwrap();
    assert_eq!(setting["actor"], "admin");
    assert_eq!(setting["action"], "update");
    // The demo load and its accounts are recorded too.
    assert!(all.iter().any(|i| i["action"] == "demo"), "demo load recorded");
    assert!(objs.contains(&"user:demo_street".to_string()));

    // Filters.
    let (_, logins) = admin.get("/api/v1/audit?action=login").await;
    let items = logins["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.iter().all(|i| i["action"] == "login"), "{logins}");
    let (_, by_admin) = admin.get("/api/v1/audit?actor=admin&action=create").await;
    let items = by_admin["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "3 regions + 1 user: {by_admin}");
    assert!(items.iter().all(|i| i["actor"] == "admin" && i["action"] == "create"));
    assert_eq!(by_admin["total"], 4);
    let (_, none) = admin.get("/api/v1/audit?actor=nobody").await;
    assert_eq!(none["items"], json!([]));
    assert_eq!(none["total"], 0);
    // Time: everything lies between yesterday and tomorrow; nothing is from the future or from 2000.
    let now = chrono::Utc::now();
    let day = chrono::Duration::days(1);
    // Dates are China days: between 16:00 and 24:00 UTC it is already tomorrow in China.
    let china = now + chrono::Duration::hours(8);
    let yesterday = (china - day).format("%Y-%m-%d").to_string();
    let tomorrow = (china + day).format("%Y-%m-%d").to_string();
    let (s, p) = admin.get(&format!("/api/v1/audit?from={yesterday}&to={tomorrow}")).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["total"], all.len(), "{p}");
    // A plain date means that whole day (China time): from=today&to=today holds what happened today.
    let today = (now + chrono::Duration::hours(8)).format("%Y-%m-%d").to_string();
    let (s, p) = admin.get(&format!("/api/v1/audit?from={today}&to={today}")).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["total"], all.len(), "to={today} includes today: {p}");
    let (_, p) = admin.get(&format!("/api/v1/audit?to={today}&action=create&actor=admin")).await;
    assert_eq!(p["total"], 4, "to={today} includes today: {p}");
    let (_, p) = admin.get(&format!("/api/v1/audit?from={tomorrow}")).await;
    assert_eq!(p["total"], 0, "{p}");
    let (_, p) = admin.get("/api/v1/audit?to=2000-01-01").await;
    assert_eq!(p["total"], 0, "{p}");
    let from = (now - chrono::Duration::hours(1)).to_rfc3339();
    let (s, p) = admin.get(&Client::with_query("/api/v1/audit", &[("from", &from), ("action", "create")])).await;
    assert_eq!(s, 200, "RFC 3339 with offset: {p}");
    assert!(p["total"].as_i64().unwrap() >= 4);
    let future = (now + chrono::Duration::hours(1)).to_rfc3339();
    let (_, p) = admin.get(&Client::with_query("/api/v1/audit", &[("from", &future)])).await;
    assert_eq!(p["total"], 0);
    // Bad times name the field.
    for bad in ["yesterday", "2026-13-01", "2026-02-30", "1700000000"] {
        assert_field(&admin.get(&format!("/api/v1/audit?from={bad}")).await, "from");
        assert_field(&admin.get(&format!("/api/v1/audit?to={bad}")).await, "to");
    }
    assert_field(&admin.get("/api/v1/audit?who=admin").await, "who");
    // Paging through the log returns each record once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/audit?limit=3".to_string();
    for _ in 0..200 {
        let (s, p) = admin.get(&path).await;
        assert_eq!(s, 200);
        seen.extend(p["items"].as_array().unwrap().iter().cloned());
        match p["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/audit?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, all, "limit=3 pages give the same records as one big page");

    // District staff: records about their district only.
    let district = srv.login("demo_district", DEMO_PW).await;
    let mine = district.all_items("/api/v1/audit").await;
    let mine_objs = objects(&mine);
    assert!(mine_objs.contains(&"region:330199003".to_string()), "their district's records: {mine_objs:?}");
    assert!(mine_objs.contains(&"user:demo_street".to_string()), "accounts placed in their district: {mine_objs:?}");
    for i in &mine {
        let text = i.to_string();
        assert!(
            !text.contains("330198") && !text.contains("other_district") && !text.contains("他区"),
            "another district's record: {text}"
        );
        assert!(i["object"] != "settings:map", "system-wide records are for admins: {text}");
        assert!(!(i["actor"] == "admin" && i["action"] == "login"), "the admin's logins: {text}");
    }
    assert!(mine.len() < all.len());
    let (_, p) = district.get("/api/v1/audit?actor=admin&action=create").await;
    assert_eq!(
        objects(p["items"].as_array().unwrap()),
        vec!["region:330199003"],
        "filters apply within the scope: {p}"
    );
    assert_eq!(p["total"], 1, "the total counts only what they may see");
    // The other district's staff see the other district.
    let other = srv.login("other_district", "other-pass-123").await;
    let theirs = objects(&other.all_items("/api/v1/audit").await);
    assert!(theirs.contains(&"region:330198001".to_string()), "{theirs:?}");
    assert!(!theirs.iter().any(|o| o.contains("330199")), "{theirs:?}");

    // Everyone else: 403.
    for u in ["demo_street", "demo_leader", "demo_grid_worker", "demo_resident", "demo_department"] {
        let c = srv.login(u, DEMO_PW).await;
        assert_error(&c.get("/api/v1/audit").await, 403, "forbidden", None);
    }
    assert_error(&srv.client().get("/api/v1/audit").await, 401, "unauthorized", None);

    // Their logins were recorded.
    let (_, p) = admin.get("/api/v1/audit?actor=demo_resident&action=login").await;
    assert_eq!(p["total"], 1, "{p}");

    srv.finish().await;
}

both_backends!(audit);
