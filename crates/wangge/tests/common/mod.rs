//! End-to-end harness: spawns the real `wangge` binary (demo loader, server, other commands) against a
//! fresh SQLite file or PostgreSQL database from `wangge_testkit`, and talks to it over HTTP like any client.
//!
//! Every test file includes this module; not every file uses every helper.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
pub use wangge_testkit::TestDb;

pub const BIN: &str = env!("CARGO_BIN_EXE_wangge");
pub const ADMIN_PW: &str = "admin-pass-123";
pub const DEMO_PW: &str = "demo-pass-123";

/// The small demo data set (`wangge demo --scale small`).
pub const DISTRICT: &str = "330199";
pub const DISTRICT_NAME: &str = "清河区";
pub const STREET1: &str = "330199001";
pub const STREET2: &str = "330199002";
pub const COMMUNITY1: &str = "330199001001";
pub const COMMUNITY2: &str = "330199001002";
pub const GRID1: &str = "33019900100101";
pub const GRID2: &str = "33019900100102";
pub const DEMO_GRIDS: [&str; 8] = [
    "33019900100101",
    "33019900100102",
    "33019900100201",
    "33019900100202",
    "33019900200101",
    "33019900200102",
    "33019900200201",
    "33019900200202",
];
pub const DEMO_USERS: [&str; 9] = [
    "demo_district",
    "demo_street",
    "demo_community",
    "demo_grid_leader",
    "demo_grid_worker",
    "demo_department",
    "demo_mediator",
    "demo_leader",
    "demo_resident",
];

/// One test per backend: `both_backends!(name)` expects `async fn name(db: TestDb)` and generates
/// `name::sqlite` and `name::postgres`, so nextest runs them in parallel.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(wangge_testkit::sqlite()).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(wangge_testkit::postgres().await).await;
            }
        }
    )*};
}

/// Output of one command: exit code, stdout, stderr.
pub type Run = (i32, String, String);

fn base_command() -> Command {
    let mut c = Command::new(BIN);
    c.env("WANGGE_ADMIN_PASSWORD", ADMIN_PW)
        .env("WANGGE_DEMO_PASSWORD", DEMO_PW)
        .env_remove("WANGGE_DATABASE_URL")
        .env_remove("WANGGE_TILE_URL")
        .env_remove("WANGGE_GRID_DIGITS")
        .env("RUST_LOG", "warn");
    c
}

/// Runs `wangge ARGS` to completion with `stdin` (closed when `None`).
pub fn wangge(args: &[&str], stdin: Option<&str>) -> Run {
    wangge_env(&[], args, stdin)
}

/// `wangge ARGS` with extra environment variables for the child only.
pub fn wangge_env(env: &[(&str, &str)], args: &[&str], stdin: Option<&str>) -> Run {
    let mut c = base_command();
    c.envs(env.iter().copied());
    c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap_or_else(|e| panic!("spawning {BIN}: {e}"));
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(s) = stdin {
            // A command that fails before reading stdin (usage error) closes the pipe: that is its answer.
            if let Err(e) = input.write_all(s.as_bytes()) {
                assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "writing stdin: {e}");
            }
        }
    }
    let out = child.wait_with_output().expect("waiting for wangge");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `wangge ARGS --data DIR --database-url URL` on the test database.
pub fn wangge_on(db: &TestDb, args: &[&str], stdin: Option<&str>) -> Run {
    let dir = db.data_dir();
    let mut all: Vec<&str> = args.to_vec();
    let dir = dir.to_str().expect("utf-8 temp dir").to_string();
    all.extend(["--data", &dir, "--database-url", &db.url]);
    wangge(&all, stdin)
}

/// `wangge ARGS --data DIR --database-url URL` started in the background (output discarded), e.g. to be killed.
pub fn spawn_wangge_on(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> std::process::Child {
    let dir = db.data_dir();
    let mut c = base_command();
    c.envs(env.iter().copied())
        .args(args)
        .args(["--data", dir.to_str().expect("utf-8 temp dir"), "--database-url", &db.url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c.spawn().unwrap_or_else(|e| panic!("spawning {BIN}: {e}"))
}

/// Asserts the exit code, showing the output when it differs.
#[track_caller]
pub fn expect_code(run: &Run, code: i32, what: &str) {
    assert_eq!(run.0, code, "{what}: exit code\n--- stdout\n{}\n--- stderr\n{}", run.1, run.2);
}

pub fn last_line(s: &str) -> &str {
    s.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("").trim()
}

/// Loads the small demo data set into the test database.
pub fn seed_demo(db: &TestDb) {
    let r = wangge_on(db, &["demo", "--scale", "small"], None);
    expect_code(&r, 0, "wangge demo --scale small");
}

/// A running `wangge serve`, killed on drop.
pub struct Server {
    pub base: String,
    pub db: Option<TestDb>,
    child: Child,
    log: PathBuf,
    _logdir: tempfile::TempDir,
}

impl Server {
    /// Demo data loaded, then served.
    pub fn demo(db: TestDb) -> Server {
        seed_demo(&db);
        Self::start(db)
    }

    /// An empty database (only the admin account, created at start).
    pub fn start(db: TestDb) -> Server {
        Self::start_env(db, &[])
    }

    /// Like [`Server::start`], with extra environment variables for the server.
    pub fn start_env(db: TestDb, env: &[(&str, &str)]) -> Server {
        let dir = db.data_dir();
        let dir = dir.to_str().expect("utf-8 temp dir").to_string();
        let url = db.url.clone();
        let mut s = Self::spawn_env(&["serve", "--addr", "127.0.0.1:0", "--data", &dir, "--database-url", &url], env);
        s.db = Some(db);
        s
    }

    /// Spawns `wangge ARGS` (some form of `serve`) and waits for its "listening on" line.
    pub fn spawn(args: &[&str]) -> Server {
        Self::spawn_env(args, &[])
    }

    pub fn spawn_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let logdir = tempfile::tempdir().expect("temp dir");
        let log = logdir.path().join("server.log");
        let mut c = base_command();
        c.envs(env.iter().copied());
        c.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(std::fs::File::create(&log).expect("log file"));
        let mut child = c.spawn().unwrap_or_else(|e| panic!("spawning {BIN}: {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            // Keep draining stdout for the life of the server so it never blocks on a full pipe.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let mut seen = Vec::new();
        let base = loop {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    if let Some(rest) = line.split("wangge listening on ").nth(1) {
                        let url = rest.split_whitespace().next().unwrap_or("").to_string();
                        assert!(rest.contains("(ready in"), "listening line without ready time: {line}");
                        assert!(url.starts_with("http://127.0.0.1:"), "unexpected URL in: {line}");
                        break url;
                    }
                    seen.push(line);
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "server did not report ready ({e}); args {args:?}\n--- stdout\n{}\n--- stderr\n{}",
                        seen.join("\n"),
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                }
            }
        };
        Server { base, db: None, child, log, _logdir: logdir }
    }

    pub fn db(&self) -> &TestDb {
        self.db.as_ref().expect("server has a test database")
    }

    pub fn backend(&self) -> &'static str {
        self.db.as_ref().map(|d| d.backend).unwrap_or("?")
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// A client logged in through `POST /api/v1/session`.
    pub async fn login(&self, user: &str, pw: &str) -> Client {
        let mut c = self.client();
        c.login(user, pw).await;
        c
    }

    pub async fn admin(&self) -> Client {
        self.login("admin", ADMIN_PW).await
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the server and drops the PostgreSQL database.
    pub async fn finish(mut self) {
        self.stop();
        if let Some(db) = self.db.take() {
            db.cleanup().await;
        }
    }

    /// Stops the server, keeping the database (e.g. to restart on it).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server and starts a new one on the same database.
    pub fn restart(self) -> Server {
        Server::start(self.into_db())
    }

    /// Stops the server and hands back the database.
    pub fn into_db(mut self) -> TestDb {
        self.stop();
        self.db.take().expect("server has a test database")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            let log = self.log_text();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- server log (last lines) ---");
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
    }
}

/// An HTTP client for the JSON API, with an optional bearer token.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

/// Status and body (JSON, or the text as a JSON string when it is not JSON).
pub type Resp = (u16, Value);

pub async fn into_resp(r: reqwest::Response) -> Resp {
    let status = r.status().as_u16();
    let text = r.text().await.expect("response body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

impl Client {
    pub fn new(base: &str) -> Client {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        Client { http, base: base.to_string(), token: None }
    }

    /// A client that keeps cookies (for the HTML pages and cookie sessions).
    pub fn with_cookies(base: &str) -> Client {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        Client { http, base: base.to_string(), token: None }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `path` with its query parameters encoded.
    pub fn with_query(path: &str, params: &[(&str, &str)]) -> String {
        let u = reqwest::Url::parse_with_params(&format!("http://x{path}"), params).expect("url");
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let b = self.http.request(method, self.url(path));
        match &self.token {
            Some(t) => b.bearer_auth(t),
            None => b,
        }
    }

    /// Logs in; panics unless 200 with a token.
    pub async fn login(&mut self, user: &str, pw: &str) -> Value {
        let (s, body) = self.try_login(user, pw).await;
        assert_eq!(s, 200, "login {user}: {body}");
        let token = body["token"].as_str().unwrap_or_else(|| panic!("no token in {body}")).to_string();
        assert!(token.len() >= 32, "token too short: {token}");
        self.token = Some(token);
        body
    }

    pub async fn try_login(&self, user: &str, pw: &str) -> Resp {
        let r = self
            .http
            .post(self.url("/api/v1/session"))
            .json(&serde_json::json!({ "username": user, "password": pw }))
            .send()
            .await
            .expect("POST /api/v1/session");
        into_resp(r).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        into_resp(self.request(reqwest::Method::GET, path).send().await.expect("GET")).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        into_resp(self.request(reqwest::Method::DELETE, path).send().await.expect("DELETE")).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        into_resp(self.request(reqwest::Method::POST, path).json(body).send().await.expect("POST")).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        into_resp(self.request(reqwest::Method::PUT, path).json(body).send().await.expect("PUT")).await
    }

    /// Any method; `body` sent as JSON when given.
    pub async fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut b = self.request(m, path);
        if let Some(v) = body {
            b = b.json(v);
        }
        into_resp(b.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"))).await
    }

    /// The page's text (for HTML pages).
    pub async fn page(&self, path: &str) -> (u16, String) {
        let r = self.request(reqwest::Method::GET, path).send().await.expect("GET page");
        (r.status().as_u16(), r.text().await.expect("page body"))
    }

    /// Every item of a paged list, following `next_cursor`.
    pub async fn all_items(&self, path: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..1000 {
            let sep = if path.contains('?') { '&' } else { '?' };
            let p = match &cursor {
                Some(c) => format!("{path}{sep}limit=500&cursor={c}"),
                None => format!("{path}{sep}limit=500"),
            };
            let (s, body) = self.get(&p).await;
            assert_eq!(s, 200, "GET {p}: {body}");
            out.extend(body["items"].as_array().expect("items").iter().cloned());
            match body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return out,
            }
        }
        panic!("paging through {path} did not end");
    }
}

/// Asserts the DESIGN.md §4 error shape: status, `error.code`, a message, and `details.field` when given.
#[track_caller]
pub fn assert_error(r: &Resp, status: u16, code: &str, field: Option<&str>) {
    let (s, body) = r;
    assert_eq!(*s, status, "status (expected {status} {code}): {body}");
    assert_eq!(body["error"]["code"], code, "error.code: {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "error.message: {body}");
    if let Some(f) = field {
        assert_eq!(body["error"]["details"]["field"], f, "error.details.field: {body}");
    }
}

/// A 400 naming `field`.
#[track_caller]
pub fn assert_field(r: &Resp, field: &str) {
    assert_error(r, 400, "invalid_input", Some(field));
}

/// Codes of a paged list's items.
pub fn codes(items: &[Value]) -> Vec<String> {
    items.iter().map(|i| i["code"].as_str().expect("code").to_string()).collect()
}

/// A closed square ring around (lon, lat) with half-side `h` degrees, as a GeoJSON Polygon.
pub fn square(lon: f64, lat: f64, h: f64) -> Value {
    serde_json::json!({
        "type": "Polygon",
        "coordinates": [[[lon - h, lat - h], [lon + h, lat - h], [lon + h, lat + h], [lon - h, lat + h], [lon - h, lat - h]]]
    })
}

/// The exterior ring of a GeoJSON Polygon or the first polygon of a MultiPolygon.
pub fn exterior_ring(geometry: &Value) -> Vec<(f64, f64)> {
    let coords = match geometry["type"].as_str() {
        Some("Polygon") => &geometry["coordinates"][0],
        Some("MultiPolygon") => &geometry["coordinates"][0][0],
        other => panic!("not a polygon: {other:?}"),
    };
    coords
        .as_array()
        .expect("ring")
        .iter()
        .map(|p| (p[0].as_f64().expect("lon"), p[1].as_f64().expect("lat")))
        .collect()
}

pub fn point_in_ring(ring: &[(f64, f64)], x: f64, y: f64) -> bool {
    let mut inside = false;
    let n = ring.len();
    let mut j = n - 1;
    for i in 0..n {
        let (xi, yi) = ring[i];
        let (xj, yj) = ring[j];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

fn dist_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 { 0.0 } else { (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0) };
    let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

/// A point well inside a grid's boundary (the lattice point farthest from the edges), as (lon, lat).
pub fn interior_point(geometry: &Value) -> (f64, f64) {
    let ring = exterior_ring(geometry);
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in &ring {
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    let n = 30;
    let mut best = None;
    let mut best_d = 0.0;
    for i in 1..n {
        for j in 1..n {
            let p = (x0 + (x1 - x0) * i as f64 / n as f64, y0 + (y1 - y0) * j as f64 / n as f64);
            if !point_in_ring(&ring, p.0, p.1) {
                continue;
            }
            let d = ring.windows(2).map(|w| dist_to_segment(p, w[0], w[1])).fold(f64::MAX, f64::min);
            if d > best_d {
                best_d = d;
                best = Some(p);
            }
        }
    }
    best.expect("a point inside the polygon")
}

/// (grid code, interior point) for every feature of a grids.geojson FeatureCollection.
pub fn grid_points(fc: &Value) -> Vec<(String, (f64, f64))> {
    fc["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| (f["properties"]["code"].as_str().expect("code").to_string(), interior_point(&f["geometry"])))
        .collect()
}

/// `/api/v1/locate?lat=&lon=&crs=`.
pub fn locate_path(lon: f64, lat: f64, crs: Option<&str>) -> String {
    match crs {
        Some(c) => format!("/api/v1/locate?lat={lat}&lon={lon}&crs={c}"),
        None => format!("/api/v1/locate?lat={lat}&lon={lon}"),
    }
}

/// Logs in through the HTML form at /login and returns a cookie-carrying client plus the session's CSRF
/// token (read from a signed-in page's logout form).
pub async fn page_login(base: &str, user: &str, pw: &str) -> (Client, String) {
    let c = Client::with_cookies(base);
    let r = c.http.get(c.url("/login")).send().await.expect("GET /login");
    assert_eq!(r.status().as_u16(), 200);
    let set_cookie: Vec<String> =
        r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect();
    assert!(set_cookie.iter().any(|c| c.starts_with("wangge_login_csrf=")), "login CSRF cookie: {set_cookie:?}");
    let html = r.text().await.expect("login page");
    let csrf = hidden_field(&html, "csrf").expect("hidden csrf field on /login");
    let r = c
        .http
        .post(c.url("/login"))
        .form(&[("csrf", csrf.as_str()), ("next", "/"), ("username", user), ("password", pw)])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(r.status().as_u16(), 303, "form login of {user} should redirect");
    let cookies: Vec<String> =
        r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect();
    let session = cookies.iter().find(|c| c.starts_with("wangge_session=")).expect("session cookie");
    assert!(session.contains("HttpOnly"), "session cookie must be HttpOnly: {session}");
    let (s, home) = c.page("/").await;
    assert_eq!(s, 200, "home page after login: {home}");
    let page_csrf = hidden_field(&home, "csrf").unwrap_or_default();
    (c, page_csrf)
}

/// The value of `<input type="hidden" name="NAME" value="…">` in a page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let start = html.find(&key)? + key.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// Reads a whole file.
pub fn read(p: &Path) -> Vec<u8> {
    let mut v = Vec::new();
    std::fs::File::open(p).unwrap_or_else(|e| panic!("open {}: {e}", p.display())).read_to_end(&mut v).expect("read");
    v
}

/// Uploads `bytes` as the multipart field `file` (the test client speaks JSON; this is the one multipart call).
pub async fn upload(c: &Client, name: &str, bytes: &[u8]) -> Resp {
    let boundary = "wanggeBoundary7MA4YWxk";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = c
        .request(reqwest::Method::POST, "/api/v1/attachments")
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    into_resp(r).await
}
