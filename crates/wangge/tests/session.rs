//! Logging in and out, input errors on the login endpoint, throttling, and CSRF for cookie sessions.

mod common;

use common::*;
use serde_json::json;
use wangge_testkit::TestDb;

async fn raw_login(c: &Client, content_type: Option<&str>, body: impl Into<reqwest::Body>) -> Resp {
    let mut b = c.http.post(c.url("/api/v1/session")).body(body);
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    into_resp(b.send().await.expect("POST /api/v1/session")).await
}

async fn login_and_logout(db: TestDb) {
    let srv = Server::demo(db);
    let anon = srv.client();

    // Good credentials: a token and the user with their (role, region) pairs.
    let mut c = srv.client();
    let body = c.login("demo_street", DEMO_PW).await;
    assert_eq!(body["user"]["username"], "demo_street");
    assert_eq!(body["user"]["roles"], json!([{ "role": "street", "region_code": STREET1 }]), "{body}");
    assert!(body["user"].get("password_hash").is_none() && !body.to_string().contains("argon2"), "no hash: {body}");
    let (s, me) = c.get("/api/v1/session").await;
    assert_eq!(s, 200);
    assert_eq!(me["username"], "demo_street");
    let admin = srv.admin().await;
    let (_, me) = admin.get("/api/v1/session").await;
    assert_eq!(me["roles"][0]["role"], "admin");

    // Wrong password, unknown user: 401 in the error shape, same message (no user enumeration).
    let wrong = anon.try_login("demo_street", "not-the-password").await;
    assert_error(&wrong, 401, "unauthorized", None);
    let unknown = anon.try_login("nobody_here", "not-the-password").await;
    assert_error(&unknown, 401, "unauthorized", None);
    assert_eq!(wrong.1["error"]["message"], unknown.1["error"]["message"]);
    assert!(wrong.1.get("token").is_none());

    // No credentials, or a made-up token: 401.
    assert_error(&anon.get("/api/v1/session").await, 401, "unauthorized", None);
    let mut fake = srv.client();
    fake.token = Some("0".repeat(64));
    assert_error(&fake.get("/api/v1/regions").await, 401, "unauthorized", None);

    // Bad input names the field.
    let json_ct = Some("application/json");
    assert_field(&raw_login(&anon, json_ct, r#"{"username":"admin"}"#).await, "password");
    assert_field(&raw_login(&anon, json_ct, r#"{"password":"x"}"#).await, "username");
    assert_field(&raw_login(&anon, json_ct, r#"{"username":"admin","password":"#).await, "body");
    assert_field(&raw_login(&anon, json_ct, "not json at all").await, "body");
    assert_field(&raw_login(&anon, json_ct, "").await, "body");
    assert_field(&raw_login(&anon, json_ct, r#"{"username":1,"password":"x"}"#).await, "username");
    assert_field(&raw_login(&anon, Some("text/plain"), r#"{"username":"admin","password":"x"}"#).await, "Content-Type");
    assert_field(&raw_login(&anon, None, r#"{"username":"admin","password":"x"}"#).await, "Content-Type");
    assert_field(
        &raw_login(&anon, Some("application/x-www-form-urlencoded"), "username=admin&password=admin-pass-123").await,
        "Content-Type",
    );
    assert_field(
        &raw_login(&anon, json_ct, r#"{"username":"admin","password":"x","remember_me":true}"#).await,
        "remember_me",
    );
    assert_field(&raw_login(&anon, json_ct, r#"{"username":"","password":"x"}"#).await, "username");
    assert_field(&raw_login(&anon, json_ct, r#"{"username":"admin","password":""}"#).await, "password");

    // A body over 1 MiB is refused with a JSON error, never a 500.
    let big = format!(r#"{{"username":"admin","password":"{}"}}"#, "x".repeat(1024 * 1024 + 10));
    let (s, body) = raw_login(&anon, json_ct, big).await;
    assert!(s == 400 || s == 413, "oversized body: {s} {body}");
    assert!(body["error"]["code"].is_string(), "JSON error for an oversized body: {body}");
    // The same against an authenticated write.
    let big = json!({ "code": "330199009", "name": "x".repeat(1024 * 1024 + 10), "parent_code": DISTRICT });
    let (s, body) = admin.post("/api/v1/regions", &big).await;
    assert!(s == 400 || s == 413, "oversized body: {s} {body}");
    assert!(body["error"]["code"].is_string(), "{body}");
    assert_eq!(admin.get("/api/v1/regions/330199009").await.0, 404, "nothing written");

    // Logout: the token stops working; another session of the same user is unaffected.
    let other = srv.login("demo_street", DEMO_PW).await;
    let (s, _) = c.delete("/api/v1/session").await;
    assert_eq!(s, 204);
    assert_error(&c.get("/api/v1/session").await, 401, "unauthorized", None);
    assert_error(&c.get("/api/v1/regions").await, 401, "unauthorized", None);
    assert_error(&c.delete("/api/v1/session").await, 401, "unauthorized", None);
    assert_eq!(other.get("/api/v1/session").await.0, 200);

    // Browser session through the HTML form: writes need X-CSRF-Token.
    let (browser, csrf) = page_login(&srv.base, "admin", ADMIN_PW).await;
    assert!(!csrf.is_empty(), "signed-in pages carry the CSRF token");
    let (s, me) = browser.get("/api/v1/session").await;
    assert_eq!(s, 200, "cookie session reads the API: {me}");
    let street = json!({ "code": "330199007", "name": "表单街道", "parent_code": DISTRICT });
    let r = browser.post("/api/v1/regions", &street).await;
    assert_error(&r, 403, "forbidden", None);
    let r = into_resp(
        browser
            .request(reqwest::Method::POST, "/api/v1/regions")
            .header("x-csrf-token", "0".repeat(64))
            .json(&street)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&r, 403, "forbidden", None);
    assert_eq!(admin.get("/api/v1/regions/330199007").await.0, 404, "nothing written without the CSRF token");
    let r = into_resp(
        browser
            .request(reqwest::Method::POST, "/api/v1/regions")
            .header("x-csrf-token", &csrf)
            .json(&street)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.0, 201, "with the session's CSRF token the write goes through: {}", r.1);
    // Logout through the API also needs the token for a cookie session.
    assert_error(&browser.delete("/api/v1/session").await, 403, "forbidden", None);

    // The login form itself refuses a post without its CSRF cookie/field.
    let plain = Client::new(&srv.base);
    let r = plain
        .http
        .post(plain.url("/login"))
        .form(&[("csrf", "x"), ("username", "admin"), ("password", ADMIN_PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.headers().get_all("set-cookie").iter().all(|v| !v.to_str().unwrap_or("").starts_with("wangge_session=")));

    // After the form login, `next` is followed only to a path on this site: browsers drop tabs and newlines
    // from a Location, so "/\t/evil.example" would become "//evil.example" (another host). Odd input never 500s.
    for (next, expected) in [
        ("/regions/330199001", "/regions/330199001"),
        ("/regions?lang=en", "/regions?lang=en"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/\r\nSet-Cookie: x=1", "/"),
        ("/ /evil.example", "/"),
        ("/区域", "/"),
        ("", "/"),
    ] {
        let b = Client::with_cookies(&srv.base);
        let (_, html) = b.page("/login").await;
        let csrf = hidden_field(&html, "csrf").unwrap();
        let r = b
            .http
            .post(b.url("/login"))
            .form(&[("csrf", csrf.as_str()), ("next", next), ("username", "demo_grid_worker"), ("password", DEMO_PW)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "login with next={next:?}");
        let location = r.headers().get("location").map(|v| v.as_bytes().to_vec()).unwrap_or_default();
        assert_eq!(String::from_utf8_lossy(&location), expected, "next={next:?}");
    }

    srv.finish().await;
}

async fn throttle(db: TestDb) {
    let srv = Server::start(db);
    let c = srv.client();
    for i in 0..10 {
        let r = c.try_login("admin", &format!("wrong-password-{i}")).await;
        assert_error(&r, 401, "unauthorized", None);
    }
    // The 11th attempt is refused even with the right password.
    assert_error(&c.try_login("admin", ADMIN_PW).await, 429, "too_many_requests", None);
    assert_error(&c.try_login("admin", "wrong-again").await, 429, "too_many_requests", None);
    // 10 failures from one client address block that address too (DESIGN.md §4).
    assert_error(&c.try_login("someone_else", "whatever-pass").await, 429, "too_many_requests", None);
    // The HTML form is throttled the same way.
    let (s, page) = {
        let b = Client::with_cookies(&srv.base);
        let (_, html) = b.page("/login").await;
        let csrf = hidden_field(&html, "csrf").unwrap();
        let r = b
            .http
            .post(b.url("/login"))
            .form(&[("csrf", csrf.as_str()), ("username", "admin"), ("password", ADMIN_PW)])
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    assert_eq!(s, 429, "form login after 10 failures: {page}");
    srv.finish().await;
}

/// Behind a trusted reverse proxy each client is throttled on its own address (from X-Forwarded-For), so one
/// guesser does not lock out everyone who comes through the same proxy.
async fn throttle_behind_a_proxy(db: TestDb) {
    let srv = Server::start_env(db, &[("WANGGE_TRUSTED_PROXIES", "127.0.0.1, ::1")]);
    let c = srv.client();
    let login_from = |ip: &'static str, user: &'static str, pw: &'static str| {
        c.http
            .post(c.url("/api/v1/session"))
            .header("x-forwarded-for", format!("10.9.9.9, {ip}"))
            .json(&json!({ "username": user, "password": pw }))
            .send()
    };
    for i in 0..10 {
        let user = ["guess_a", "guess_b"][i % 2];
        assert_eq!(login_from("198.51.100.1", user, "wrong-password").await.unwrap().status(), 401);
    }
    assert_eq!(
        login_from("198.51.100.1", "guess_c", "wrong-password").await.unwrap().status(),
        429,
        "the guesser waits"
    );
    assert_eq!(
        login_from("198.51.100.2", "admin", ADMIN_PW).await.unwrap().status(),
        200,
        "others behind the proxy do not"
    );
    srv.finish().await;
}

/// Two `wangge serve` processes on one database (two nodes behind a load balancer, docs/scale-out.md): a token
/// issued by one is accepted by the other, and a logout or a disabled account on one node stops the token on the
/// other within the per-process actor cache's lifetime (2 s; 10 s allowed here for a loaded machine).
async fn sessions_are_shared_between_nodes(db: TestDb) {
    // Both nodes behind the same (local) proxy, so the test can speak from several client addresses.
    let proxy = [("WANGGE_TRUSTED_PROXIES", "127.0.0.1, ::1")];
    seed_demo(&db);
    let a = Server::start_env(db, &proxy);
    let dir = a.db().data_dir();
    let dir = dir.to_str().unwrap().to_string();
    let url = a.db().url.clone();
    let b = Server::spawn_env(&["serve", "--addr", "127.0.0.1:0", "--data", &dir, "--database-url", &url], &proxy);
    let on_b = |token: &Option<String>| Client { token: token.clone(), ..b.client() };

    let admin_a = a.admin().await;
    let admin_b = on_b(&admin_a.token);
    let (s, me) = admin_b.get("/api/v1/session").await;
    assert_eq!((s, me["username"].as_str()), (200, Some("admin")), "node B accepts node A's token: {me}");
    let (s, r) = admin_b.get("/api/v1/regions").await;
    assert_eq!(s, 200, "{r}");

    // A user made on B signs in on A; disabled on B, their token stops on A too.
    let user = json!({ "username": "node_user", "password": "node-pass-123", "roles": [{ "role": "district", "region_code": DISTRICT }] });
    let (s, r) = admin_b.post("/api/v1/users", &user).await;
    assert_eq!(s, 201, "{r}");
    let worker_a = a.login("node_user", "node-pass-123").await;
    assert_eq!(worker_a.get("/api/v1/regions").await.0, 200);
    let (s, r) = admin_b.send("PATCH", "/api/v1/users/node_user", Some(&json!({ "disabled": true }))).await;
    assert_eq!(s, 200, "{r}");
    assert!(gone_within(&worker_a, 10).await, "a disabled account's token still works on the other node");

    // Logout on A: B stops accepting the token.
    let (s, _) = admin_a.delete("/api/v1/session").await;
    assert_eq!(s, 204);
    assert!(gone_within(&admin_b, 10).await, "a logged-out token still works on the other node");

    // Failed logins are counted once for all nodes (a per-process count let N nodes allow 10 × N guesses).
    let (ca, cb) = (a.client(), b.client());
    let login_from = async |c: &Client, ip: String, user: &str, pw: &str| -> u16 {
        let body = json!({ "username": user, "password": pw });
        let r = c.http.post(c.url("/api/v1/session")).header("x-forwarded-for", ip).json(&body).send().await;
        r.unwrap().status().as_u16()
    };
    // Per username: five wrong passwords for admin on each node, each from an address of its own, make ten;
    // both nodes then refuse admin even with the right password, from yet another address.
    for i in 0..5 {
        assert_eq!(login_from(&ca, format!("198.51.100.{i}"), "admin", "wrong-pass").await, 401);
        assert_eq!(login_from(&cb, format!("198.51.100.{}", 10 + i), "admin", "wrong-pass").await, 401);
    }
    assert_eq!(login_from(&ca, "198.51.100.99".into(), "admin", ADMIN_PW).await, 429, "username limit on A");
    assert_eq!(login_from(&cb, "198.51.100.98".into(), "admin", ADMIN_PW).await, 429, "username limit on B");
    // Per address: five guesses at other names from one address on each node make ten for that address.
    for i in 0..5 {
        assert_eq!(login_from(&ca, "203.0.113.7".into(), &format!("guess_a{i}"), "wrong-pass").await, 401);
        assert_eq!(login_from(&cb, "203.0.113.7".into(), &format!("guess_b{i}"), "wrong-pass").await, 401);
    }
    assert_eq!(login_from(&ca, "203.0.113.7".into(), "demo_street", DEMO_PW).await, 429, "address limit on A");
    assert_eq!(login_from(&cb, "203.0.113.7".into(), "demo_street", DEMO_PW).await, 429, "address limit on B");
    drop(b);
    a.finish().await;
}

/// Whether `c`'s token is refused (401) within `secs` seconds.
async fn gone_within(c: &Client, secs: u64) -> bool {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < until {
        if c.get("/api/v1/session").await.0 == 401 {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    false
}

both_backends!(login_and_logout, throttle, throttle_behind_a_proxy, sessions_are_shared_between_nodes);
