//! Health, metrics, the OpenAPI document, security headers and unknown API routes (DESIGN.md §4).

mod common;

use common::*;
use wangge_testkit::TestDb;

fn check_security_headers(what: &str, h: &reqwest::header::HeaderMap) {
    let csp =
        h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("{what}: no CSP"));
    assert!(!csp.contains("unsafe-inline"), "{what}: CSP allows inline code: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{what}: CSP allows eval: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: CSP must forbid framing: {csp}");
    assert!(csp.contains("default-src 'self'"), "{what}: CSP default-src: {csp}");
    assert_eq!(h.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"), "{what}");
}

async fn basics(db: TestDb) {
    let srv = Server::start(db);
    let anon = srv.client();

    // Health without login.
    let r = anon.http.get(anon.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    check_security_headers("/healthz", r.headers());

    // A request, then /metrics counts it in Prometheus text format.
    let (s, _) = anon.get("/api/v1/regions").await;
    assert_eq!(s, 401);
    let r = anon.http.get(anon.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = r.text().await.unwrap();
    assert!(text.contains("wangge_http_requests_total"), "metrics: {text}");
    assert!(text.contains("# TYPE wangge_http_requests_total counter"), "Prometheus TYPE line: {text}");
    assert!(
        text.lines().any(|l| l.starts_with("wangge_http_requests_total{") && l.contains("status=\"401\"")),
        "the 401 above is counted with its status: {text}"
    );
    assert!(!text.trim_start().starts_with('{') && !text.contains("<html"), "plain text, not JSON/HTML ({ct})");

    // The OpenAPI document: 3.1, absolute paths, the routes integrators rely on.
    let (s, doc) = anon.get("/api/v1/openapi.json").await;
    assert_eq!(s, 200, "openapi.json answers without login");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "OpenAPI 3.1: {}", doc["openapi"]);
    let paths = doc["paths"].as_object().expect("paths");
    for p in paths.keys() {
        assert!(p.starts_with("/api/v1/"), "path is not absolute: {p}");
    }
    for p in ["/api/v1/regions", "/api/v1/locate", "/api/v1/session", "/api/v1/users", "/api/v1/audit"] {
        assert!(paths.contains_key(p), "openapi lacks {p}: {:?}", paths.keys().collect::<Vec<_>>());
    }
    assert!(paths["/api/v1/session"].get("post").is_some(), "login is documented");
    assert!(doc["components"]["securitySchemes"].as_object().is_some_and(|s| !s.is_empty()), "bearer auth described");

    // Security headers on a page and on the API.
    let r = anon.http.get(anon.url("/login")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    check_security_headers("/login", r.headers());
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script>") && !html.contains(" style=\""), "no inline script/style on /login");
    let admin = srv.admin().await;
    let r = admin.request(reqwest::Method::GET, "/api/v1/regions").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    check_security_headers("/api/v1/regions", r.headers());
    let r = anon.http.get(anon.url("/api/v1/openapi.json")).send().await.unwrap();
    check_security_headers("/api/v1/openapi.json", r.headers());

    // Unknown API routes: 404 in the JSON error shape, logged in or not, any method.
    for c in [&anon, &admin] {
        for (m, p) in [
            ("GET", "/api/v1/xyz"),
            ("POST", "/api/v1/xyz"),
            ("GET", "/api/v1/regions/330199/nope"),
            ("DELETE", "/api/v1/xyz/1"),
        ] {
            let r = c.send(m, p, None).await;
            assert_error(&r, 404, "not_found", None);
        }
    }
    let r = anon.http.get(anon.url("/api/v1/xyz")).send().await.unwrap();
    assert!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/json"))
    );
    check_security_headers("/api/v1/xyz", r.headers());
    // An unknown page is an HTML 404, not JSON.
    let (s, page) = anon.page("/no-such-page").await;
    assert_eq!(s, 404);
    assert!(page.contains("<html") || page.contains("<!DOCTYPE") || page.contains("<!doctype"), "HTML 404: {page}");

    srv.finish().await;
}

both_backends!(basics);
