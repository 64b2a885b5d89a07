//! Organizations placed on houses (企业, 学校, 医院, 社会组织…) over HTTP: register one on a house, list them per
//! region with paging and filters, open and change one, phones masked, every write audited — on both
//! backends, with every kind of bad input and the caller's scope.

mod common;

use common::*;
use serde_json::{Value, json};
use wangge_domain::organization::credit_code_check;
use wangge_testkit::TestDb;

/// A valid 统一社会信用代码 with organization number `n`.
fn credit_code(n: u32) -> String {
    let body = format!("91330106MA{n:07}");
    format!("{body}{}", credit_code_check(&body).unwrap())
}

fn phone_masked(s: &str) -> bool {
    s.len() == 11 && &s[3..7] == "****"
}

/// The code and id of the first house of a person in `grid`, as the admin sees it.
async fn house_in(admin: &Client, grid: &str) -> (i64, String) {
    let (s, page) = admin.get(&format!("/api/v1/people?region={grid}&limit=1")).await;
    assert_eq!(s, 200, "{page}");
    let id = page["items"][0]["house_id"].as_i64().unwrap();
    let (s, house) = admin.get(&format!("/api/v1/houses/{id}")).await;
    assert_eq!(s, 200, "{house}");
    (id, house["code"].as_str().unwrap().to_string())
}

async fn audit_has(admin: &Client, action: &str, object: &str) -> Value {
    let items = admin.all_items(&format!("/api/v1/audit?action={action}")).await;
    items.into_iter().find(|i| i["object"] == object).unwrap_or_else(|| panic!("no audit record {action} {object}"))
}

async fn organizations(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;

    // The demo has a handful per community, phones masked.
    let (s, page) = admin.get("/api/v1/organizations?limit=500").await;
    assert_eq!(s, 200, "{page}");
    let demo_total = page["total"].as_i64().unwrap();
    assert!(demo_total >= 12, "{page}");
    for o in page["items"].as_array().unwrap() {
        assert!(o["phone"].as_str().is_some_and(phone_masked), "{o}");
        assert!(o["credit_code"].as_str().is_some_and(|c| c.len() == 18), "{o}");
    }

    // A grid worker registers a shop on a house in their grid.
    let (house_id, house_code) = house_in(&admin, GRID1).await;
    let code = credit_code(1);
    let body = json!({ "name": "翠苑便民超市", "kind": "个体工商户", "house_code": house_code,
        "credit_code": code.to_lowercase(), "legal_rep": "王小二", "phone": "13912345678", "employees": 4,
        "note": "一楼沿街" });
    let (s, o) = worker.post("/api/v1/organizations", &body).await;
    assert_eq!(s, 201, "{o}");
    let id = o["id"].as_i64().unwrap();
    assert_eq!(o["kind"], "individual_business");
    assert_eq!(o["status"], "operating");
    assert_eq!(o["grid_code"], GRID1);
    assert_eq!(o["house_id"], house_id);
    assert_eq!(o["credit_code"], code, "stored upper case");
    assert_eq!(o["phone"], "139****5678");
    assert!(!o.to_string().contains("13912345678"), "the phone is never sent in clear");
    let (s, got) = worker.get(&format!("/api/v1/organizations/{id}")).await;
    assert_eq!((s, &got["name"]), (200, &json!("翠苑便民超市")));
    let (_, house_orgs) = admin.get(&format!("/api/v1/organizations?region={GRID1}&limit=500")).await;
    assert!(house_orgs["items"].as_array().unwrap().iter().any(|x| x["id"] == id));
    audit_has(&admin, "create", &format!("organization:{id}")).await;

    // Changes: only the fields given; the audit record names them.
    let (s, o) = worker
        .send("PATCH", &format!("/api/v1/organizations/{id}"), Some(&json!({ "status": "停业", "employees": 2 })))
        .await;
    assert_eq!(s, 200, "{o}");
    assert_eq!(
        (o["status"].as_str(), o["employees"].as_i64(), o["name"].as_str()),
        (Some("suspended"), Some(2), Some("翠苑便民超市"))
    );
    let rec = audit_has(&admin, "update", &format!("organization:{id}")).await;
    assert!(rec["reason"].as_str().unwrap().contains("status"), "{rec}");
    let (s, o) = worker
        .send("PATCH", &format!("/api/v1/organizations/{id}"), Some(&json!({ "phone": "", "credit_code": "" })))
        .await;
    assert_eq!(s, 200, "{o}");
    assert!(o["phone"].is_null() && o["credit_code"].is_null(), "{o}");

    // Bad input: 400 naming the field, nothing written.
    let good = |patch: Value| {
        let mut b = json!({ "name": "某公司", "kind": "enterprise", "house_code": house_code });
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let mut bad_code = credit_code(2);
    bad_code.replace_range(17.., if bad_code.ends_with('0') { "1" } else { "0" });
    for (body, field) in [
        (good(json!({ "name": "  " })), "name"),
        (good(json!({ "name": "名".repeat(101) })), "name"),
        (good(json!({ "kind": "工厂" })), "kind"),
        (good(json!({ "credit_code": bad_code })), "credit_code"),
        (good(json!({ "credit_code": "91330106MA000000" })), "credit_code"),
        (good(json!({ "credit_code": "91330106MA0000O01X" })), "credit_code"),
        (good(json!({ "phone": "12345" })), "phone"),
        (good(json!({ "employees": -1 })), "employees"),
        (good(json!({ "status": "倒闭" })), "status"),
        (good(json!({ "note": "字".repeat(501) })), "note"),
        (good(json!({ "legal_rep": "甲\u{7}" })), "legal_rep"),
        (good(json!({ "house_code": "F-NOT-THERE" })), "house_code"),
        (good(json!({ "house_code": "" })), "house_code"),
        (good(json!({ "colour": "red" })), "colour"),
        (json!({ "kind": "enterprise", "house_code": house_code }), "name"),
    ] {
        let r = worker.post("/api/v1/organizations", &body).await;
        assert_field(&r, field);
    }
    let r = worker.post("/api/v1/organizations", &good(json!({ "employees": "many" }))).await;
    assert_eq!(r.0, 400, "{}", r.1);
    for (body, field) in [
        (json!({}), "body"),
        (json!({ "credit_code": "123" }), "credit_code"),
        (json!({ "kind": "factory" }), "kind"),
        (json!({ "house_code": "F-NOT-THERE" }), "house_code"),
        (json!({ "employees": 2_000_000 }), "employees"),
    ] {
        let r = worker.send("PATCH", &format!("/api/v1/organizations/{id}"), Some(&body)).await;
        assert_field(&r, field);
    }
    for (q, field) in [("limit=0", "limit"), ("kind=factory", "kind"), ("status=x", "status"), ("cursor=abc", "cursor")]
    {
        assert_field(&admin.get(&format!("/api/v1/organizations?{q}")).await, field);
    }
    assert_eq!(worker.get("/api/v1/organizations/abc").await.0, 404);
    assert_eq!(worker.get("/api/v1/organizations/999999").await.0, 404);

    // A credit code already registered: 409 naming the field.
    let (s, other) = admin.post("/api/v1/organizations", &good(json!({ "credit_code": credit_code(3) }))).await;
    assert_eq!(s, 201, "{other}");
    let r = worker.post("/api/v1/organizations", &good(json!({ "credit_code": credit_code(3) }))).await;
    assert_error(&r, 409, "conflict", Some("credit_code"));
    let r = worker
        .send("PATCH", &format!("/api/v1/organizations/{id}"), Some(&json!({ "credit_code": credit_code(3) })))
        .await;
    assert_error(&r, 409, "conflict", Some("credit_code"));

    // Paging (DESIGN §4): limit and cursor walk the whole list once.
    let (_, first) = admin.get("/api/v1/organizations?limit=7").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 7);
    let cursor = first["next_cursor"].as_str().expect("a next page").to_string();
    let (_, second) = admin.get(&format!("/api/v1/organizations?limit=7&cursor={cursor}")).await;
    assert!(second["items"][0]["id"].as_i64().unwrap() > first["items"][6]["id"].as_i64().unwrap());
    let all = admin.all_items("/api/v1/organizations").await;
    assert_eq!(all.len() as i64, demo_total + 2);
    let mut ids: Vec<i64> = all.iter().map(|o| o["id"].as_i64().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), all.len());
    let (_, schools) = admin.get("/api/v1/organizations?kind=学校&limit=500").await;
    assert!(schools["total"].as_i64().unwrap() >= 1);
    assert!(schools["items"].as_array().unwrap().iter().all(|o| o["kind"] == "school"));
    let (_, found) = admin.get("/api/v1/organizations?q=便民超市").await;
    assert!(found["items"].as_array().unwrap().iter().any(|o| o["id"] == id), "{found}");

    srv.finish().await;
}

/// Outside the caller's subtree an organization does not exist; inside it, reading is not writing.
async fn organization_scope(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let worker = srv.login("demo_grid_worker", DEMO_PW).await; // GRID1 only
    let mediator = srv.login("demo_mediator", DEMO_PW).await; // reads the street's register, manages nothing
    let resident = srv.login("demo_resident", DEMO_PW).await;

    let (_, house2) = house_in(&admin, GRID2).await;
    let (s, o) = admin
        .post(
            "/api/v1/organizations",
            &json!({ "name": "隔壁网格幼儿园", "kind": "school", "house_code": house2, "phone": "13800001111" }),
        )
        .await;
    assert_eq!(s, 201, "{o}");
    let id2 = o["id"].as_i64().unwrap();

    // The grid worker: 404 for the organization and the house next door, never its name.
    let r = worker.get(&format!("/api/v1/organizations/{id2}")).await;
    assert_error(&r, 404, "not_found", None);
    assert!(!r.1.to_string().contains("隔壁网格幼儿园"));
    let r = worker.send("PATCH", &format!("/api/v1/organizations/{id2}"), Some(&json!({ "name": "改名" }))).await;
    assert_error(&r, 404, "not_found", None);
    let r = worker
        .post("/api/v1/organizations", &json!({ "name": "越界商店", "kind": "other", "house_code": house2 }))
        .await;
    assert_error(&r, 404, "not_found", None);
    assert_error(&worker.get(&format!("/api/v1/organizations?region={GRID2}")).await, 404, "not_found", None);
    let mine = worker.all_items("/api/v1/organizations").await;
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|o| o["grid_code"] == GRID1), "only the worker's grid");
    // Moving an organization of the worker's grid into the next grid is moving it out of scope: refused.
    let (_, house1) = house_in(&admin, GRID1).await;
    let (s, mine1) = worker
        .post("/api/v1/organizations", &json!({ "name": "本格诊所", "kind": "医院", "house_code": house1 }))
        .await;
    assert_eq!(s, 201, "{mine1}");
    let r = worker
        .send("PATCH", &format!("/api/v1/organizations/{}", mine1["id"]), Some(&json!({ "house_code": house2 })))
        .await;
    assert_error(&r, 404, "not_found", None);

    // The mediator reads inside the street but may not write.
    let (s, _) = mediator.get(&format!("/api/v1/organizations/{id2}")).await;
    assert_eq!(s, 200);
    let r = mediator.send("PATCH", &format!("/api/v1/organizations/{id2}"), Some(&json!({ "name": "改名" }))).await;
    assert_error(&r, 403, "forbidden", None);
    let r = mediator
        .post("/api/v1/organizations", &json!({ "name": "调解室", "kind": "other", "house_code": house2 }))
        .await;
    assert_error(&r, 403, "forbidden", None);
    // Residents see no register at all.
    assert_error(&resident.get("/api/v1/organizations").await, 403, "forbidden", None);
    let (_, still) = admin.get(&format!("/api/v1/organizations/{id2}")).await;
    assert_eq!(still["name"], "隔壁网格幼儿园", "nothing changed");

    srv.finish().await;
}

both_backends!(organizations, organization_scope);
