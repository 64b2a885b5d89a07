//! Key rotation (issue 4, privacy): every personal number re-encrypted and every blind index recomputed with a
//! new key; the numbers read back the same and exact lookups still find people. Also keys kept in WANGGE_KEY.

mod common;

use common::*;
use serde_json::json;
use wangge_testkit::TestDb;

/// A person's id and clear 身份证号, through the audited reveal.
async fn some_person(admin: &Client) -> (i64, String) {
    let (s, list) = admin.get("/api/v1/people?limit=1").await;
    assert_eq!(s, 200, "{list}");
    let id = list["items"][0]["id"].as_i64().expect("a demo person");
    let (s, r) = admin.post(&format!("/api/v1/people/{id}/reveal"), &json!({ "reason": "密钥轮换测试" })).await;
    assert_eq!(s, 200, "{r}");
    (id, r["id_number"].as_str().expect("id_number").to_string())
}

async fn rotate(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let (id, number) = some_person(&admin).await;
    let db = srv.into_db();
    let before = std::fs::read_to_string(db.data_dir().join("keys.json")).unwrap();

    let r = wangge_on(&db, &["keys", "rotate"], None);
    expect_code(&r, 0, "wangge keys rotate");
    assert!(last_line(&r.1).contains("key 1 -> key 2"), "{}", r.1);
    let after = std::fs::read_to_string(db.data_dir().join("keys.json")).unwrap();
    assert_ne!(before, after, "the key file holds the new key");
    assert!(!after.contains("\"next\": {"), "no rotation left pending: {after}");

    let srv = Server::start(db);
    let admin = srv.admin().await;
    let (s, r) = admin.post(&format!("/api/v1/people/{id}/reveal"), &json!({ "reason": "轮换后核对" })).await;
    assert_eq!((s, r["id_number"].as_str()), (200, Some(number.as_str())), "the same number reads back: {r}");
    // The blind index was recomputed with the new key: an exact lookup still finds the person.
    let (s, found) = admin.get(&format!("/api/v1/people?q={number}")).await;
    assert_eq!(s, 200);
    assert_eq!(found["items"][0]["id"].as_i64(), Some(id), "exact lookup after rotation: {found}");
    // Organizations' phones moved to the new key too: changing one reads its phone back first.
    let (_, orgs) = admin.get("/api/v1/organizations?limit=1").await;
    let org = orgs["items"][0]["id"].as_i64().expect("demo organizations");
    let (s, o) = admin.send("PATCH", &format!("/api/v1/organizations/{org}"), Some(&json!({ "note": "轮换后" }))).await;
    assert_eq!(s, 200, "{o}");
    assert!(o["phone"].as_str().is_some_and(|p| p.contains("****")), "{o}");
    let (_, audit) = admin.get("/api/v1/audit?action=rotate_keys").await;
    assert_eq!(audit["total"], 1, "the rotation is audited: {audit}");
    srv.finish().await;
}

both_backends!(rotate);

#[test]
fn keys_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let key1 = last_line(&wangge(&["keys", "generate", "--id", "1"], None).1).to_string();
    let key2 = last_line(&wangge(&["keys", "generate", "--id", "2"], None).1).to_string();
    assert_ne!(key1, key2);
    let r = wangge_env(&[("WANGGE_KEY", &key1)], &["demo", "--scale", "small", "--data", data], None);
    expect_code(&r, 0, "demo with WANGGE_KEY");
    assert!(!dir.path().join("keys.json").exists(), "keys in the environment never land in the data directory");

    // Rotating needs the new key given explicitly.
    let r = wangge_env(&[("WANGGE_KEY", &key1)], &["keys", "rotate", "--data", data], None);
    expect_code(&r, 1, "rotate without WANGGE_NEW_KEY");
    assert!(r.2.contains("WANGGE_NEW_KEY"), "{}", r.2);
    let r = wangge_env(&[("WANGGE_KEY", &key1), ("WANGGE_NEW_KEY", &key2)], &["keys", "rotate", "--data", data], None);
    expect_code(&r, 0, "rotate to key 2");
    assert_eq!(last_line(&r.1), key2, "prints the value to set");

    // The old key no longer matches the data: refused with a clear message, not garbage later.
    let r = wangge_env(&[("WANGGE_KEY", &key1)], &["user", "list", "--data", data], None);
    expect_code(&r, 1, "old key after rotation");
    assert!(r.2.contains("key 2"), "names the key the data needs: {}", r.2);
    let r = wangge_env(&[("WANGGE_KEY", &key2)], &["user", "list", "--data", data], None);
    expect_code(&r, 0, "new key");
    let r = wangge_env(&[("WANGGE_KEY", "not-a-key")], &["user", "list", "--data", data], None);
    expect_code(&r, 1, "a malformed key");
}
