//! Residents' accounts (居民账号): self-service sign-up checked against the register, accounts opened at the
//! window, the resident's own page and reports, and user administration (disable, remove a role).

mod common;

use common::*;
use serde_json::{Value, json};
use wangge_testkit::TestDb;

/// A person of the first grid who lives there and has a phone, with their numbers in clear (revealed by admin).
async fn someone(admin: &Client, grid: &str, skip: usize) -> (i64, String, String, String) {
    let people = admin.all_items(&format!("/api/v1/people?region={grid}")).await;
    let mut found = people.iter().filter(|p| p["phone"].is_string() && p["age"].as_i64().unwrap_or(0) >= 18);
    let p = found.nth(skip).expect("an adult with a phone");
    let id = p["id"].as_i64().unwrap();
    let (s, r) = admin.post(&format!("/api/v1/people/{id}/reveal"), &json!({"reason": "测试居民账号"})).await;
    assert_eq!(s, 200, "{r}");
    (
        id,
        p["name"].as_str().unwrap().to_string(),
        r["id_number"].as_str().unwrap().to_string(),
        r["phone"].as_str().unwrap().to_string(),
    )
}

fn signup(name: &str, id_number: &str, phone: &str, username: &str) -> Value {
    json!({ "username": username, "password": "resident-pass-1", "name": name, "id_number": id_number, "phone": phone })
}

async fn sign_up_against_the_register(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let (pid, name, id_number, phone) = someone(&admin, GRID2, 0).await;
    let public = srv.client();

    // Each field is checked for shape first, naming the field.
    for (body, field) in [
        (signup("", &id_number, &phone, "r1"), "name"),
        (signup(&name, "110101199003077", &phone, "r1"), "id_number"),
        (signup(&name, "11010119900307751X", &phone, "r1"), "id_number"),
        (signup(&name, &id_number, "1380013800", &phone), "phone"),
        (signup(&name, &id_number, &phone, "居民"), "username"),
    ] {
        let r = public.post("/api/v1/residents", &body).await;
        assert_field(&r, field);
    }
    let mut short = signup(&name, &id_number, &phone, "r1");
    short["password"] = json!("short");
    assert_field(&public.post("/api/v1/residents", &short).await, "password");
    let r = public.post("/api/v1/residents", &json!({"username": "x", "extra": 1})).await;
    assert_eq!(r.0, 400, "{}", r.1);

    // A wrong name or a phone that is not the registered one: the same refusal, saying nothing of which.
    let other_phone = if phone.ends_with('0') { format!("{}1", &phone[..10]) } else { format!("{}0", &phone[..10]) };
    let wrong_name = signup("王某某", &id_number, &phone, "r1");
    let wrong_phone = signup(&name, &id_number, &other_phone, "r1");
    let a = public.post("/api/v1/residents", &wrong_name).await;
    let b = public.post("/api/v1/residents", &wrong_phone).await;
    assert_error(&a, 422, "rule_violated", None);
    assert_eq!(a.1["error"]["message"], b.1["error"]["message"], "one message for every mismatch");
    assert!(!a.1.to_string().contains(&name), "the refusal does not echo the registered name: {}", a.1);

    // The right three details: 201, a session, the resident's masked record.
    let (s, body) = public.post("/api/v1/residents", &signup(&name, &id_number, &phone, "Resident_One")).await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["profile"]["person_id"], pid);
    assert_eq!(body["profile"]["name"], name.as_str());
    assert_eq!(body["profile"]["grid_code"], GRID2);
    assert_eq!(body["profile"]["community_code"], COMMUNITY1);
    assert!(body["profile"]["id_number"].as_str().unwrap().contains("********"), "{body}");
    assert!(!body.to_string().contains(&id_number) && !body.to_string().contains(&phone), "numbers stay masked");
    assert_eq!(body["user"]["roles"], json!([{"role": "resident", "region_code": GRID2}]));
    let mut resident = srv.client();
    resident.login("resident_one", "resident-pass-1").await;
    let (s, me) = resident.get("/api/v1/me").await;
    assert_eq!((s, me["person_id"].as_i64()), (200, Some(pid)), "{me}");

    // One account per person; usernames are unique.
    let again = public.post("/api/v1/residents", &signup(&name, &id_number, &phone, "resident_two")).await;
    assert_error(&again, 409, "conflict", None);
    let (p2, n2, id2, ph2) = someone(&admin, GRID2, 1).await;
    let taken = public.post("/api/v1/residents", &signup(&n2, &id2, &ph2, "resident_one")).await;
    assert_error(&taken, 409, "conflict", Some("username"));
    let (_, acc) = admin.get(&format!("/api/v1/people/{p2}/account")).await;
    assert_eq!(acc, Value::Null, "nothing half-written for the refused sign-up");

    // A resident reads nothing of the register, events of others or the map.
    for path in ["/api/v1/people", &format!("/api/v1/people/{p2}"), &format!("/api/v1/regions/{GRID2}")] {
        let (s, _) = resident.get(path).await;
        assert!(s == 403 || s == 404, "{path}: {s}");
    }
    // Staff have no resident record.
    assert_eq!(admin.get("/api/v1/me").await.0, 404);

    // Sign-up and its audit record.
    let (_, audit) = admin.get("/api/v1/audit?action=signup").await;
    assert!(audit["items"].as_array().unwrap().iter().any(|i| i["object"] == "user:resident_one"), "{audit}");
    srv.finish().await;
}

async fn sign_up_refuses_people_who_left_and_guessers(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let (pid, name, id_number, phone) = someone(&admin, GRID1, 2).await;
    // Moved out: the register says they no longer live here.
    let (s, r) =
        admin.post(&format!("/api/v1/people/{pid}/events"), &json!({"kind": "move_out", "note": "迁往外市"})).await;
    assert_eq!(s, 200, "{r}");
    let public = srv.client();
    let r = public.post("/api/v1/residents", &signup(&name, &id_number, &phone, "gone")).await;
    assert_error(&r, 422, "rule_violated", None);
    // Guessing: after ten failures from one address, even the right details wait (429).
    for _ in 0..10 {
        let _ = public.post("/api/v1/residents", &signup("张三", &id_number, &phone, "guess")).await;
    }
    let (_, n, id, ph) = someone(&admin, GRID1, 3).await;
    let r = public.post("/api/v1/residents", &signup(&n, &id, &ph, "late")).await;
    assert_error(&r, 429, "too_many_requests", None);
    srv.finish().await;
}

async fn staff_open_accounts_in_their_subtree(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let community = srv.login("demo_community", DEMO_PW).await;
    let (pid, name, ..) = someone(&admin, GRID1, 1).await;
    let other_street = admin.all_items("/api/v1/people?region=33019900200101").await;
    let far = other_street[0]["id"].as_i64().unwrap();
    let body = json!({"username": "window_opened", "password": "window-pass-1"});

    // Another street's person: as if it did not exist.
    assert_error(&community.post(&format!("/api/v1/people/{far}/account"), &body).await, 404, "not_found", None);
    assert_eq!(community.get(&format!("/api/v1/people/{far}/account")).await.0, 404);
    // Roles without register management: 403 (a leader) or 404.
    let leader = srv.login("demo_leader", DEMO_PW).await;
    let s = leader.post(&format!("/api/v1/people/{pid}/account"), &body).await.0;
    assert!(s == 403 || s == 404, "{s}");
    // Bad fields are named.
    let r = community
        .post(&format!("/api/v1/people/{pid}/account"), &json!({"username": "ok_name", "password": "1"}))
        .await;
    assert_field(&r, "password");

    let (s, acc) = community.post(&format!("/api/v1/people/{pid}/account"), &body).await;
    assert_eq!(s, 201, "{acc}");
    assert_eq!(acc["username"], "window_opened");
    let (_, acc) = community.get(&format!("/api/v1/people/{pid}/account")).await;
    assert_eq!(acc["username"], "window_opened");
    let again = community
        .post(&format!("/api/v1/people/{pid}/account"), &json!({"username": "w2", "password": "window-pass-1"}))
        .await;
    assert_error(&again, 409, "conflict", None);
    let mut resident = srv.client();
    resident.login("window_opened", "window-pass-1").await;
    let (_, me) = resident.get("/api/v1/me").await;
    assert_eq!(me["name"], name.as_str());
    srv.finish().await;
}

async fn a_resident_follows_their_own_reports(db: TestDb) {
    let srv = Server::demo(db);
    let mut resident = srv.client();
    resident.login("demo_resident", DEMO_PW).await;
    let (s, me) = resident.get("/api/v1/me").await;
    assert_eq!(s, 200, "the demo resident is tied to a person: {me}");
    // Residents cannot report through the staff API; they use the public report page (see web tests), which
    // ties the report to their account. Here: the list of their own reports is theirs only.
    let (s, list) = resident.get("/api/v1/events?view=mine").await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let admin = srv.admin().await;
    let (s, e) = admin
        .post("/api/v1/events", &json!({"category": "E0102", "description": "楼下垃圾堆放", "grid_code": GRID1}))
        .await;
    assert_eq!(s, 201, "{e}");
    let id = e["id"].as_i64().unwrap();
    assert_eq!(resident.get(&format!("/api/v1/events/{id}")).await.0, 404, "someone else's event");
    srv.finish().await;
}

async fn administrators_disable_accounts_and_remove_roles(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let (s, _) = admin
        .post(
            "/api/v1/users",
            &json!({"username": "two_roles", "password": "two-roles-pass", "roles": [
                {"role": "grid_worker", "region_code": GRID1}, {"role": "mediator", "region_code": STREET1}]}),
        )
        .await;
    assert_eq!(s, 201);
    let mut user = srv.client();
    user.login("two_roles", "two-roles-pass").await;
    assert_eq!(user.get("/api/v1/disputes").await.0, 200);

    // Remove the mediator role: its permissions go at once.
    let path = Client::with_query("/api/v1/users/two_roles/roles", &[("role", "mediator"), ("region_code", STREET1)]);
    let (s, u) = admin.delete(&path).await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["roles"], json!([{"role": "grid_worker", "region_code": GRID1}]));
    assert_eq!(admin.delete(&path).await.0, 404, "no longer held");
    let last = Client::with_query("/api/v1/users/two_roles/roles", &[("role", "grid_worker"), ("region_code", GRID1)]);
    assert_error(&admin.delete(&last).await, 422, "rule_violated", Some("role"));
    let bad = Client::with_query("/api/v1/users/two_roles/roles", &[("role", "boss")]);
    assert_field(&admin.delete(&bad).await, "role");

    // Disable: the session stops working and login is refused; enable: login works again.
    let (s, u) = admin.send("PATCH", "/api/v1/users/two_roles", Some(&json!({"disabled": true}))).await;
    assert_eq!((s, u["disabled"].as_bool()), (200, Some(true)), "{u}");
    assert_eq!(user.get("/api/v1/session").await.0, 401);
    assert_eq!(srv.client().try_login("two_roles", "two-roles-pass").await.0, 401);
    let (s, _) = admin.send("PATCH", "/api/v1/users/two_roles", Some(&json!({"disabled": false}))).await;
    assert_eq!(s, 200);
    assert_eq!(srv.client().try_login("two_roles", "two-roles-pass").await.0, 200);
    assert_field(&admin.send("PATCH", "/api/v1/users/two_roles", Some(&json!({"disabled": "yes"}))).await, "disabled");
    assert_error(
        &admin.send("PATCH", "/api/v1/users/admin", Some(&json!({"disabled": true}))).await,
        422,
        "rule_violated",
        Some("disabled"),
    );
    assert_eq!(admin.send("PATCH", "/api/v1/users/nobody", Some(&json!({"disabled": true}))).await.0, 404);

    // Only administrators.
    let street = srv.login("demo_street", DEMO_PW).await;
    assert_eq!(street.send("PATCH", "/api/v1/users/two_roles", Some(&json!({"disabled": true}))).await.0, 403);
    assert_eq!(street.delete(&last).await.0, 403);
    let (_, audit) = admin.get("/api/v1/audit?action=disable").await;
    assert!(audit["items"].as_array().unwrap().iter().any(|i| i["object"] == "user:two_roles"));
    srv.finish().await;
}

both_backends!(
    sign_up_against_the_register,
    sign_up_refuses_people_who_left_and_guessers,
    staff_open_accounts_in_their_subtree,
    a_resident_follows_their_own_reports,
    administrators_disable_accounts_and_remove_roles,
);
