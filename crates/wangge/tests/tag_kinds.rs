//! Special-group tag kinds are data an admin edits: new kinds with their fields and visiting rule, checked
//! field by field, and at once usable on people.

mod common;

use common::*;
use serde_json::json;
use wangge_testkit::TestDb;

async fn tag_kinds(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let kind = json!({
        "name": "困境儿童", "name_en": "Child in need", "level": "person", "sensitive": true, "visit_days": 30,
        "fields": [{ "key": "situation", "label": "困境类型", "type": "select", "options": ["事实无人抚养", "重病重残"] }]
    });
    let (s, k) = admin.put("/api/v1/tag-kinds/child_in_need", &kind).await;
    assert_eq!(s, 200, "{k}");
    assert_eq!(k["name"], "困境儿童");
    let (_, kinds) = admin.get("/api/v1/tag-kinds").await;
    assert!(kinds["items"].as_array().unwrap().iter().any(|k| k["code"] == "child_in_need"));

    // Usable on a person at once, with its field checked against the options.
    let (_, list) = admin.get("/api/v1/people?limit=1").await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    let (s, r) = admin
        .put(&format!("/api/v1/people/{id}/tags/child_in_need"), &json!({ "data": { "situation": "重病重残" } }))
        .await;
    assert_eq!(s, 200, "{r}");
    let r = admin
        .put(&format!("/api/v1/people/{id}/tags/child_in_need"), &json!({ "data": { "situation": "其他" } }))
        .await;
    assert_eq!(r.0, 400, "{}", r.1);

    // Sensitive: a mediator (who reads people but not sensitive groups) never sees the kind.
    let mediator = srv.login("demo_mediator", DEMO_PW).await;
    let (_, kinds) = mediator.get("/api/v1/tag-kinds").await;
    assert!(!kinds["items"].as_array().unwrap().iter().any(|k| k["code"] == "child_in_need"));

    // Bad definitions: 400 naming the field, nothing written.
    for (body, field) in [
        (json!({ "name": "", "level": "person" }), "name"),
        (json!({ "name": "甲", "level": "street" }), "level"),
        (json!({ "name": "甲", "level": "person", "visit_days": 0 }), "visit_days"),
        (
            json!({ "name": "甲", "level": "person", "fields": [{ "key": "k", "label": "K", "type": "select" }] }),
            "fields[0].options",
        ),
        (
            json!({ "name": "甲", "level": "person", "fields": [{ "key": "k", "label": "K", "type": "color" }] }),
            "fields[0].type",
        ),
        (json!({ "name": "困境儿童", "level": "person" }), "name"),
        (json!({ "name": "甲", "level": "person", "colour": "red" }), "colour"),
    ] {
        let r = admin.put("/api/v1/tag-kinds/another_kind", &body).await;
        assert_field(&r, field);
    }
    assert_field(&admin.put("/api/v1/tag-kinds/Bad-Code", &json!({ "name": "乙", "level": "person" })).await, "code");
    let (_, kinds) = admin.get("/api/v1/tag-kinds").await;
    assert!(!kinds["items"].as_array().unwrap().iter().any(|k| k["code"] == "another_kind"), "nothing of the bad ones");
    let (_, audit) = admin.get("/api/v1/audit?action=create").await;
    assert!(audit["items"].as_array().unwrap().iter().any(|a| a["object"] == "tag_kind:child_in_need"), "{audit}");
    srv.finish().await;
}

both_backends!(tag_kinds);
