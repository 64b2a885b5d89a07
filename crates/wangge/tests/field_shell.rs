//! The phone app's shell and its service worker over HTTP: /m for signed-in users only, carrying the CSRF
//! token and its strings without inline script or style; /m/sw.js with the headers a worker scoped to /m needs;
//! the manifest; the session's token for a shell served from cache; the menu link for grid workers only.
//! (The browser side is web-tests/tests/field.test.mjs.)

mod common;

use common::*;
use serde_json::Value;

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// The value of `attr="…"` on the element with `id="field-app"`, HTML entities decoded as a browser would.
fn app_attr(html: &str, attr: &str) -> String {
    let start = html.find("id=\"field-app\"").expect("the app element");
    let key = format!("{attr}=\"");
    let from = start + html[start..].find(&key).unwrap_or_else(|| panic!("{attr} on the app element")) + key.len();
    let end = from + html[from..].find('"').expect("closing quote");
    html[from..end].replace("&quot;", "\"").replace("&#34;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

async fn shell(db: TestDb) {
    let srv = Server::demo(db);
    let anon = Client::with_cookies(&srv.base);

    // Signed out: the login page, which comes back to /m.
    let r = anon.http.get(anon.url("/m")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(header(&r, "location"), "/login?next=%2Fm");
    let (s, body) = anon.get("/m/session.json").await;
    assert_eq!(s, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");

    // The worker and the manifest are public: they name nothing private.
    let r = anon.http.get(anon.url("/m/sw.js")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(header(&r, "content-type").starts_with("text/javascript"), "{}", header(&r, "content-type"));
    assert_eq!(header(&r, "cache-control"), "no-cache");
    assert_eq!(header(&r, "service-worker-allowed"), "/m");
    let sw = r.text().await.unwrap();
    assert!(sw.starts_with("const FIELD_BUILD = {"), "{}", &sw[..80.min(sw.len())]);
    assert!(sw.contains("\"/assets/field.js?v=") && sw.contains("\"/assets/field.css?v="), "precache list");
    assert!(sw.contains("addEventListener(\"fetch\""), "the worker's code follows");
    let r = anon.http.get(anon.url("/m/manifest.webmanifest")).send().await.unwrap();
    assert_eq!(header(&r, "content-type"), "application/manifest+json");
    let m: Value = r.json().await.unwrap();
    assert_eq!((m["start_url"].as_str(), m["scope"].as_str()), (Some("/m"), Some("/m")));
    assert_eq!(m["icons"][0]["src"], "/assets/favicon.svg");

    // Signed in: the shell with this session's token, the user and the script's strings.
    let (worker, csrf) = page_login(&srv.base, "demo_grid_worker", DEMO_PW).await;
    let (_, home) = worker.page("/").await;
    assert!(home.contains("href=\"/m\""), "grid workers see the phone app in the menu");
    let r = worker.http.get(worker.url("/m")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(header(&r, "content-security-policy").contains("script-src 'self'"), "the CSP applies");
    let html = r.text().await.unwrap();
    assert_eq!(app_attr(&html, "data-csrf"), csrf);
    assert_eq!(app_attr(&html, "data-user"), "demo_grid_worker");
    let strings: Value = serde_json::from_str(&app_attr(&html, "data-i18n")).expect("data-i18n is JSON");
    assert_eq!(strings["fld_today"], "今日");
    assert_eq!(strings["statuses"]["dispatched"], "派遣");
    assert!(html.contains("name=\"viewport\""), "a phone viewport");
    assert!(!html.contains("style="), "no inline style (the CSP forbids it)");
    for tag in html.split("<script").skip(1) {
        assert!(tag.trim_start().starts_with("src="), "no inline script: <script{}", &tag[..60.min(tag.len())]);
    }
    // The versioned assets it loads are served.
    let js = html.split("src=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
    assert!(js.starts_with("/assets/field.js?v="), "{js}");
    assert_eq!(worker.page(&js).await.0, 200);
    let (s, session) = worker.get("/m/session.json").await;
    assert_eq!(s, 200);
    assert_eq!(session["csrf"], csrf.as_str());

    // English on request.
    let (_, en) = worker.page("/m?lang=en").await;
    let strings: Value = serde_json::from_str(&app_attr(&en, "data-i18n")).unwrap();
    assert_eq!(strings["fld_today"], "Today");
    assert!(en.contains("<html lang=\"en\">"));

    // Staff who hold no grid do not get the menu entry (the page itself still opens for them).
    let (department, _) = page_login(&srv.base, "demo_department", DEMO_PW).await;
    let (_, home) = department.page("/").await;
    assert!(!home.contains("href=\"/m\""), "no phone app link for a department");
    srv.finish().await;
}

both_backends!(shell);
