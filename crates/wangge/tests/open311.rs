//! Open311 GeoReport v2 at /open311/v2 (DESIGN.md §4) on both backends, in both formats: the shapes of the
//! specification's examples (discovery, services, service definition, POST, GET requests, tokens, error lists),
//! XML parsed back and compared with the JSON answer, filters, the hidden social-governance classes, no
//! personal data in any public answer, and a POSTed request arriving in the district's event list.

mod common;

use common::*;
use serde_json::{Value, json};
use wangge_testkit::TestDb;

const FIRST: &str = "Xiaoming";
const LAST: &str = "Zhangsan";
const EMAIL: &str = "zhang.xiaoming@example.com";
const PHONE: &str = "13812345678";

/// A parsed XML element: name, children, text.
#[derive(Debug, Clone)]
struct El {
    name: String,
    children: Vec<El>,
    text: String,
    empty: bool,
}

impl El {
    fn child(&self, name: &str) -> &El {
        self.children
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("<{}> has no <{name}>: {self:?}", self.name))
    }
    fn all(&self, name: &str) -> Vec<&El> {
        self.children.iter().filter(|c| c.name == name).collect()
    }
}

/// A minimal strict XML parser for what Open311 answers: one declaration, elements, text, the five entities.
/// Panics on anything not well-formed (unclosed or mismatched tags, a raw `<` or `&` in text).
fn parse_xml(doc: &str) -> El {
    let rest = doc.trim_start();
    let rest = rest.strip_prefix("<?xml version=\"1.0\" encoding=\"utf-8\"?>").expect("XML declaration with utf-8");
    let mut p = XmlParser { s: rest.as_bytes(), i: 0, src: rest };
    p.ws();
    let el = p.element();
    p.ws();
    assert_eq!(p.i, p.s.len(), "trailing content after the root element: {doc}");
    el
}

struct XmlParser<'a> {
    s: &'a [u8],
    i: usize,
    src: &'a str,
}

impl XmlParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn name(&mut self) -> String {
        let start = self.i;
        while self.i < self.s.len() && (self.s[self.i].is_ascii_alphanumeric() || b"_-.:".contains(&self.s[self.i])) {
            self.i += 1;
        }
        assert!(self.i > start, "element name expected at {}: {}", self.i, self.src);
        self.src[start..self.i].to_string()
    }
    fn element(&mut self) -> El {
        assert_eq!(self.s[self.i], b'<', "element expected at {}: {}", self.i, self.src);
        self.i += 1;
        let name = self.name();
        self.ws();
        if self.s[self.i..].starts_with(b"/>") {
            self.i += 2;
            return El { name, children: vec![], text: String::new(), empty: true };
        }
        assert_eq!(self.s[self.i], b'>', "no attributes expected in <{name}>: {}", self.src);
        self.i += 1;
        let mut el = El { name, children: vec![], text: String::new(), empty: false };
        loop {
            assert!(self.i < self.s.len(), "unclosed <{}>", el.name);
            if self.s[self.i..].starts_with(b"</") {
                self.i += 2;
                let end = self.name();
                assert_eq!(end, el.name, "mismatched closing tag");
                self.ws();
                assert_eq!(self.s[self.i], b'>');
                self.i += 1;
                break;
            } else if self.s[self.i] == b'<' {
                el.children.push(self.element());
            } else {
                let start = self.i;
                while self.i < self.s.len() && self.s[self.i] != b'<' {
                    self.i += 1;
                }
                el.text.push_str(&unescape(&self.src[start..self.i]));
            }
        }
        if !el.children.is_empty() {
            assert!(el.text.trim().is_empty(), "mixed content in <{}>: {:?}", el.name, el.text);
            el.text.clear();
        }
        el
    }
}

fn unescape(t: &str) -> String {
    let mut out = String::new();
    let mut rest = t;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').unwrap_or_else(|| panic!("bare & in text: {t}"));
        let ent = &rest[i + 1..i + end];
        out.push(match ent {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            other => panic!("unknown entity &{other};"),
        });
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    out
}

/// Elements that are list items in GeoReport v2 (their parent is a list, in JSON an array).
const ITEMS: [&str; 7] = ["service", "request", "error", "attribute", "value", "endpoint", "format"];

/// The Spark-convention JSON of an XML element, with every scalar as a string (or null when empty), so that it
/// can be compared with the JSON answer through [`scalars_as_text`].
fn spark(el: &El) -> Value {
    let list = |el: &El| {
        el.children.iter().all(|c| ITEMS.contains(&c.name.as_str()))
            && (ITEMS.iter().any(|i| el.name == format!("{i}s"))
                || el.name == "service_requests"
                || el.name == "errors")
    };
    if list(el) && (!el.children.is_empty() || el.empty || el.text.is_empty()) && el.name != "service_definition" {
        return Value::Array(el.children.iter().map(spark).collect());
    }
    if !el.children.is_empty() {
        return Value::Object(el.children.iter().map(|c| (c.name.clone(), spark(c))).collect());
    }
    if el.text.is_empty() { Value::Null } else { Value::String(number_text(&el.text)) }
}

/// Coordinates compared to 1e-9 (serde_json's float parsing is not always the shortest round trip).
fn number_text(t: &str) -> String {
    match t.parse::<f64>() {
        Ok(f) if t.contains('.') => format!("{f:.9}"),
        _ => t.to_string(),
    }
}

fn scalars_as_text(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(scalars_as_text).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), scalars_as_text(v))).collect()),
        Value::String(s) if s.is_empty() => Value::Null,
        Value::Null => Value::Null,
        Value::String(s) => Value::String(number_text(s)),
        other => Value::String(number_text(&other.to_string())),
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// Status, content type and body text.
type Raw = (u16, String, String);

struct O311 {
    c: Client,
    /// Every public answer, to check for personal data at the end.
    seen: std::cell::RefCell<Vec<String>>,
}

impl O311 {
    async fn get(&self, path: &str) -> Raw {
        let r = self.c.http.get(self.c.url(&format!("/open311/v2/{path}"))).send().await.expect("GET");
        self.keep(r).await
    }
    async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> Raw {
        let r = self
            .c
            .http
            .post(self.c.url(&format!("/open311/v2/{path}")))
            .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
            .body(form(pairs))
            .send()
            .await
            .expect("POST");
        self.keep(r).await
    }
    async fn keep(&self, r: reqwest::Response) -> Raw {
        let s = r.status().as_u16();
        let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let t = r.text().await.expect("body");
        self.seen.borrow_mut().push(t.clone());
        (s, ct, t)
    }
    /// GET `name.json` and `name.xml`: both 200 with their content types, the XML well-formed with `root`, and the
    /// same content. Returns the JSON.
    async fn both(&self, name: &str, root: &str) -> Value {
        self.both_status(name, root, 200).await
    }
    async fn both_status(&self, name: &str, root: &str, status: u16) -> Value {
        let (q, query) = match name.split_once('?') {
            Some((a, b)) => (a, format!("?{b}")),
            None => (name, String::new()),
        };
        let (s, ct, body) = self.get(&format!("{q}.json{query}")).await;
        assert_eq!(s, status, "{q}.json{query}: {body}");
        assert_eq!(ct, "application/json; charset=utf-8", "{q}.json");
        let j: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{q}.json is not JSON ({e}): {body}"));
        let (s, ct, body) = self.get(&format!("{q}.xml{query}")).await;
        assert_eq!(s, status, "{q}.xml{query}: {body}");
        assert_eq!(ct, "text/xml; charset=utf-8", "{q}.xml");
        let x = parse_xml(&body);
        assert_eq!(x.name, root, "{q}.xml root: {body}");
        assert_eq!(spark(&x), scalars_as_text(&j), "{q}: XML and JSON say the same\n{body}");
        j
    }
}

/// Asserts an Open311 error list in both formats for one request made by `call(format)`.
async fn expect_errors(o: &O311, what: &str, status: u16, raw_json: Raw, raw_xml: Raw) -> Vec<String> {
    let (s, ct, body) = raw_json;
    assert_eq!(s, status, "{what} (json): {body}");
    assert_eq!(ct, "application/json; charset=utf-8");
    let j: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{what}: not JSON: {body}"));
    let list = j.as_array().unwrap_or_else(|| panic!("{what}: errors are a bare array: {body}"));
    assert!(!list.is_empty(), "{what}: {body}");
    for e in list {
        assert!(e["code"].is_u64(), "{what}: numeric code: {body}");
        assert!(e["description"].as_str().is_some_and(|d| !d.is_empty()), "{what}: {body}");
    }
    assert_eq!(list[0]["code"], status, "{what}: {body}");
    let (s, ct, body) = raw_xml;
    assert_eq!(s, status, "{what} (xml): {body}");
    assert_eq!(ct, "text/xml; charset=utf-8");
    let x = parse_xml(&body);
    assert_eq!(x.name, "errors", "{what}: {body}");
    let errs = x.all("error");
    assert_eq!(errs.len(), list.len(), "{what}: same errors in both formats");
    assert_eq!(errs[0].child("code").text, status.to_string());
    let _ = o;
    list.iter().map(|e| e["description"].as_str().unwrap_or_default().to_string()).collect()
}

async fn open311(db: TestDb) {
    let srv = Server::demo(db);
    let run = wangge_on(srv.db(), &["apikey", "create", "fixmystreet"], None);
    expect_code(&run, 0, "wangge apikey create");
    let key = last_line(&run.1).to_string();
    assert!(key.len() >= 16, "key on the last line: {}", run.1);
    let o = O311 { c: srv.client(), seen: Default::default() };
    let admin = srv.admin().await;
    let (_, fc) = admin.get("/api/v1/regions/330199/grids.geojson").await;
    let points: std::collections::HashMap<String, (f64, f64)> = grid_points(&fc).into_iter().collect();
    let (lon, lat) = points[GRID1];

    // Discovery: the spec's shape, the endpoint's own URL and both formats.
    let d = o.both("discovery", "discovery").await;
    assert!(d["changeset"].as_str().is_some_and(|c| c.contains('T')), "{d}");
    assert!(d["contact"].is_string() && d["key_service"].is_string(), "{d}");
    let ep = &d["endpoints"][0];
    assert_eq!(ep["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert_eq!(ep["url"].as_str().unwrap(), format!("{}/open311/v2", srv.base));
    assert_eq!(ep["type"], "production");
    assert_eq!(ep["formats"], json!(["text/xml", "application/json"]));

    // Services: a bare list of leaf categories, no social-governance (Z) class.
    let services = o.both("services", "services").await;
    let list = services.as_array().expect("services are a bare array");
    assert!(list.len() > 20, "{services}");
    for s in list {
        let code = s["service_code"].as_str().expect("service_code is a string");
        assert!(!code.starts_with('Z'), "hidden class listed: {s}");
        assert!(s["service_name"].is_string() && s["description"].is_string() && s["group"].is_string(), "{s}");
        assert_eq!(s["type"], "realtime");
        assert!(s["metadata"].is_boolean());
        assert!(s["keywords"].is_string(), "{s}");
    }
    let by_code = |c: &str| list.iter().find(|s| s["service_code"] == c).cloned().unwrap_or_else(|| panic!("{c}"));
    assert_eq!(by_code("E0503")["metadata"], true);
    assert_eq!(by_code("E0102")["metadata"], false);
    assert_eq!(by_code("E0102")["service_name"], "暴露垃圾");
    assert_eq!(by_code("E0102")["group"], "市容环境");
    assert!(!list.iter().any(|s| s["service_code"] == "E01"), "only leaves are services");

    // Service definition: attributes from the category's extra fields.
    let def = o.both("services/E0503", "service_definition").await;
    assert_eq!(def["service_code"], "E0503");
    let a = &def["attributes"][0];
    assert_eq!(a["variable"], true);
    assert_eq!(a["code"], "plate");
    assert_eq!(a["datatype"], "string");
    assert_eq!(a["required"], false);
    assert_eq!(a["order"], 1);
    assert!(a["description"].as_str().unwrap().contains("车牌号"));
    assert_eq!(a["values"], json!([]));
    let def = o.both("services/E0102", "service_definition").await;
    assert_eq!(def["attributes"], json!([]));
    for code in ["Z0401", "Z06", "NOPE"] {
        expect_errors(
            &o,
            &format!("definition of {code}"),
            404,
            o.get(&format!("services/{code}.json")).await,
            o.get(&format!("services/{code}.xml")).await,
        )
        .await;
    }

    // POST in XML, as FixMyStreet sends it (every extra field as attribute[...], personal data included).
    let description = "路口 <违停> & 堵塞 \"消防通道\" 'A'";
    let mut fields: Vec<(&str, &str)> = vec![
        ("api_key", &key),
        ("jurisdiction_id", "330199"),
        ("service_code", "E0503"),
        ("address_string", "清河路1号"),
        ("description", description),
        ("attribute[plate]", "浙A12345"),
        ("attribute[unknown_field]", "ignored"),
        ("first_name", FIRST),
        ("last_name", LAST),
        ("email", EMAIL),
        ("phone", PHONE),
        ("device_id", "tt222111"),
        ("account_id", "123456"),
        ("media_url", "https://example.com/p/1.jpg"),
    ];
    let lat_s = lat.to_string();
    let lon_s = lon.to_string();
    fields.push(("lat", &lat_s));
    fields.push(("long", &lon_s));
    let (s, ct, body) = o.post("requests.xml", &fields).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(ct, "text/xml; charset=utf-8");
    let x = parse_xml(&body);
    assert_eq!(x.name, "service_requests", "{body}");
    let reqs = x.all("request");
    assert_eq!(reqs.len(), 1);
    let id = reqs[0].child("service_request_id").text.clone();
    assert!(id.parse::<i64>().is_ok(), "the id is the event id: {body}");
    assert!(reqs[0].children.iter().all(|c| c.name != "token"), "no token next to an id: {body}");
    assert!(!reqs[0].child("service_notice").text.is_empty());
    assert!(reqs[0].child("account_id").text.is_empty());

    // POST in JSON: a bare array, the id a string.
    let (s, _, body) = o
        .post(
            "requests.json",
            &[("api_key", &key), ("service_code", "E0102"), ("lat", &lat_s), ("long", &lon_s), ("description", "垃圾")],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let j: Value = serde_json::from_str(&body).unwrap();
    let id2 = j[0]["service_request_id"].as_str().expect("service_request_id is a string").to_string();
    assert!(j[0].get("token").is_none());
    // A grid code as address_id places it without a point.
    let (s, _, body) = o
        .post(
            "requests.json",
            &[("api_key", &key), ("service_code", "B0103"), ("address_id", GRID2), ("description", "路灯不亮")],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let id3 = serde_json::from_str::<Value>(&body).unwrap()[0]["service_request_id"].as_str().unwrap().to_string();

    // GET one request: a list of one, every field the spec names, times with the +08:00 offset.
    let r = o.both(&format!("requests/{id}"), "service_requests").await;
    let r = &r.as_array().expect("a list even for one")[0];
    assert_eq!(r["service_request_id"], id.as_str());
    assert_eq!(r["status"], "open");
    assert_eq!(r["service_code"], "E0503");
    assert_eq!(r["service_name"], "乱停放车辆");
    assert_eq!(r["description"].as_str().unwrap().lines().next().unwrap(), description, "escaped and back: {r}");
    assert!(r["agency_responsible"].as_str().is_some_and(|a| !a.is_empty()), "{r}");
    assert!(r["service_notice"].as_str().is_some_and(|a| !a.is_empty()), "{r}");
    for k in ["requested_datetime", "updated_datetime", "expected_datetime"] {
        let t = r[k].as_str().unwrap_or_else(|| panic!("{k}: {r}"));
        assert!(t.ends_with("+08:00") && t.len() == 25, "{k} = {t}");
    }
    assert!(r["expected_datetime"].as_str() > r["requested_datetime"].as_str());
    assert_eq!(r["address"], "清河路1号");
    assert_eq!(r["address_id"], GRID1);
    assert!((r["lat"].as_f64().unwrap() - lat).abs() < 1e-9 && (r["long"].as_f64().unwrap() - lon).abs() < 1e-9);
    for k in ["status_notes", "zipcode", "media_url"] {
        assert!(r.get(k).is_some(), "{k} present: {r}");
    }
    let r3 = o.both(&format!("requests/{id3}"), "service_requests").await;
    assert_eq!(r3[0]["address_id"], GRID2);

    // Tokens: the id of a request created here is its own token.
    let t = o.both(&format!("tokens/{id}"), "service_requests").await;
    assert_eq!(t, json!([{"service_request_id": id, "token": id}]));

    // The request is an event like any other: in the district's list with source open311, routed, with a deadline;
    // staff (only) see who reported it.
    let district = srv.login("demo_district", DEMO_PW).await;
    let (s, page) = district.get("/api/v1/events?limit=50").await;
    assert_eq!(s, 200, "{page}");
    let e = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"].as_i64() == id.parse().ok())
        .expect("in the list")
        .clone();
    assert_eq!(e["source"], "open311");
    assert_eq!(e["grid_code"], GRID1);
    assert_eq!(e["category"], "E0503");
    assert!(e["due_at"].is_string(), "{e}");
    assert_eq!(e["attributes"]["plate"], "浙A12345");
    assert!(e["attributes"].get("unknown_field").is_none());
    let (_, detail) = district.get(&format!("/api/v1/events/{id}")).await;
    let shown = detail.to_string();
    assert!(shown.contains(LAST) && !shown.contains(PHONE), "staff see the name and a masked contact: {detail}");
    let e2 =
        page["items"].as_array().unwrap().iter().find(|e| e["id"].as_i64() == id2.parse().ok()).expect("id2 listed");
    assert_eq!(e2["source"], "open311");

    // A staff report of a hidden class is not public; a staff report of a public class is (but not a token).
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    let (s, z) = worker
        .post("/api/v1/events", &json!({"category": "Z0401", "description": "社区矫正对象失联", "grid_code": GRID1}))
        .await;
    assert_eq!(s, 201, "{z}");
    let zid = z["id"].to_string();
    let (s, w) =
        worker.post("/api/v1/events", &json!({"category": "E0102", "description": "垃圾", "grid_code": GRID1})).await;
    assert_eq!(s, 201, "{w}");
    let wid = w["id"].to_string();
    expect_errors(
        &o,
        "hidden request",
        404,
        o.get(&format!("requests/{zid}.json")).await,
        o.get(&format!("requests/{zid}.xml")).await,
    )
    .await;
    o.both(&format!("requests/{wid}"), "service_requests").await;
    expect_errors(
        &o,
        "token of a staff report",
        404,
        o.get(&format!("tokens/{wid}.json")).await,
        o.get(&format!("tokens/{wid}.xml")).await,
    )
    .await;
    expect_errors(&o, "unknown token", 404, o.get("tokens/abc.json").await, o.get("tokens/abc.xml").await).await;

    // Close one (rejected is final): status closed.
    let street = srv.login("demo_street", DEMO_PW).await;
    let (s, b) =
        street.post(&format!("/api/v1/events/{id2}/actions"), &json!({"action": "reject", "note": "重复"})).await;
    assert_eq!(s, 200, "{b}");

    // GET requests with the standard filters (default: last 90 days).
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("bare array")
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().to_string())
            .collect()
    };
    let all = o.both("requests", "service_requests").await;
    let all_ids = ids(&all);
    for i in [&id, &id2, &id3, &wid] {
        assert!(all_ids.contains(i), "{i} listed: {all_ids:?}");
    }
    assert!(!all_ids.contains(&zid), "hidden class not listed");
    assert!(all.as_array().unwrap().iter().all(|r| !r["service_code"].as_str().unwrap().starts_with('Z')));
    let closed = o.both("requests?status=closed", "service_requests").await;
    assert_eq!(ids(&closed), vec![id2.clone()]);
    assert_eq!(closed[0]["status"], "closed");
    let open = ids(&o.both("requests?status=open", "service_requests").await);
    assert!(open.contains(&id) && !open.contains(&id2));
    let by_code = ids(&o.both("requests?service_code=E0503,B0103", "service_requests").await);
    assert_eq!(by_code, vec![id3.clone(), id.clone()], "newest first");
    let picked =
        o.both(&format!("requests?service_request_id={id},{zid},999999&status=closed"), "service_requests").await;
    assert_eq!(
        ids(&picked),
        vec![id.clone()],
        "service_request_id overrides the other filters, skips unknown and hidden"
    );
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let week_ago = (chrono::Utc::now() - chrono::Duration::days(7)).format("%Y-%m-%dT%H:%M:%S+08:00").to_string();
    assert_eq!(o.both(&format!("requests?start_date={tomorrow}"), "service_requests").await, json!([]));
    let win = ids(&o
        .both(&format!("requests?start_date={}&end_date={}", enc(&week_ago), tomorrow), "service_requests")
        .await);
    assert!(win.contains(&id), "{win:?}");
    for (q, what) in [
        ("requests?start_date=yesterday", "bad start_date"),
        ("requests?start_date=2026-01-01T00:00:00Z&end_date=2025-01-01T00:00:00Z", "end before start"),
        ("requests?start_date=2025-01-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "more than 90 days"),
        ("requests?status=pending", "bad status"),
        ("requests?service_code=Z0401", "hidden service_code"),
    ] {
        let (a, b) = q.split_once('?').unwrap();
        expect_errors(&o, what, 400, o.get(&format!("{a}.json?{b}")).await, o.get(&format!("{a}.xml?{b}")).await).await;
    }

    // Errors of POST: the spec's lists, in the format asked for.
    let base: Vec<(&str, &str)> =
        vec![("service_code", "E0102"), ("lat", &lat_s), ("long", &lon_s), ("description", "d")];
    let with = |extra: &[(&'static str, &'static str)], drop: &[&str], key: Option<&str>| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> =
            base.iter().filter(|(k, _)| !drop.contains(k)).map(|(k, v)| (k.to_string(), v.to_string())).collect();
        for (k, x) in extra {
            v.retain(|(kk, _)| kk != k);
            v.push((k.to_string(), x.to_string()));
        }
        if let Some(k) = key {
            v.push(("api_key".into(), k.into()));
        }
        v
    };
    type Case<'a> = (&'a str, u16, Vec<(String, String)>);
    let cases: Vec<Case> = vec![
        ("missing api_key", 403, with(&[], &[], None)),
        ("bad api_key", 403, with(&[], &[], Some("not-a-key"))),
        ("unknown service_code", 404, with(&[("service_code", "X9999")], &[], Some(&key))),
        ("hidden service_code", 404, with(&[("service_code", "Z0401")], &[], Some(&key))),
        ("missing service_code", 400, with(&[], &["service_code"], Some(&key))),
        ("lat not a number", 400, with(&[("lat", "north")], &[], Some(&key))),
        ("lat out of range", 400, with(&[("lat", "91")], &[], Some(&key))),
        ("long without lat", 400, with(&[], &["lat"], Some(&key))),
        ("outside every grid", 400, with(&[("lat", "0"), ("long", "0")], &[], Some(&key))),
        ("no location", 400, with(&[], &["lat", "long"], Some(&key))),
        ("address_string alone", 400, with(&[("address_string", "清河路1号")], &["lat", "long"], Some(&key))),
        ("unknown grid as address_id", 400, with(&[("address_id", "33019900999999")], &["lat", "long"], Some(&key))),
    ];
    for (what, status, pairs) in &cases {
        let p: Vec<(&str, &str)> = pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        expect_errors(&o, what, *status, o.post("requests.json", &p).await, o.post("requests.xml", &p).await).await;
    }
    // Several problems at once: all listed.
    let p = [("api_key", key.as_str()), ("lat", "north"), ("long", "east")];
    let listed =
        expect_errors(&o, "three problems", 400, o.post("requests.json", &p).await, o.post("requests.xml", &p).await)
            .await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    // Nothing was created by the failed posts.
    assert_eq!(ids(&o.both("requests", "service_requests").await).len(), all_ids.len());

    // Unknown ids and resources: 404 in the format asked for.
    for (a, b) in [
        ("requests/999999.json", "requests/999999.xml"),
        ("requests/abc.json", "requests/abc.xml"),
        ("nope.json", "nope.xml"),
        ("services/x/y.json", "services/x/y.xml"),
    ] {
        expect_errors(&o, a, 404, o.get(a).await, o.get(b).await).await;
    }

    // A method a resource does not take: 405 with an error list in the format asked for.
    for (path, format) in [("services.xml", "text/xml"), ("requests.json", "application/json")] {
        let r = o.c.http.put(o.c.url(&format!("/open311/v2/{path}"))).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 405, "PUT {path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with(format));
        let body = r.text().await.unwrap();
        assert!(body.contains("405"), "{body}");
    }
    let (s, _, body) = o.post("services.xml", &[("api_key", &key)]).await;
    assert_eq!(s, 400, "POST is for requests only: {body}");
    assert_eq!(parse_xml(&body).name, "errors");

    // No public answer carries the reporter's name, phone or e-mail.
    for body in o.seen.borrow().iter() {
        for secret in [FIRST, LAST, EMAIL, PHONE, "138****5678"] {
            assert!(!body.contains(secret), "{secret} leaked in a public answer: {body}");
        }
    }
    srv.finish().await;
}

/// The admin page issues a key (shown once) that Open311 accepts, and revokes it (403 from then on); only admins
/// reach the page, and its forms carry the CSRF token.
async fn api_key_page(db: TestDb) {
    let srv = Server::demo(db);
    let o = O311 { c: srv.client(), seen: Default::default() };
    let (admin, csrf) = page_login(&srv.base, "admin", ADMIN_PW).await;
    let (s, html) = admin.page("/admin/api-keys").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("id=\"api-keys-table\"") && html.contains("href=\"/admin/api-keys\""), "{html}");
    let post = |path: &str, fields: Vec<(&'static str, String)>| admin.http.post(admin.url(path)).form(&fields).send();
    // Without the CSRF token: refused. A blank name: 400 with the form back.
    let r = post("/admin/api-keys", vec![("name", "x".into())]).await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = post("/admin/api-keys", vec![("csrf", csrf.clone()), ("name", " ".into())]).await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // Issued: shown once on the answer.
    let r = post("/admin/api-keys", vec![("csrf", csrf.clone()), ("name", "随手拍 <app>".into())]).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("随手拍 &lt;app&gt;") || html.contains("随手拍 &#60;app&#62;"), "escaped name: {html}");
    let start = html.find("id=\"new-api-key\">").expect("the new key is shown") + "id=\"new-api-key\">".len();
    let key = html[start..start + html[start..].find('<').unwrap()].to_string();
    assert!(key.len() >= 16, "{key}");
    let (_, again) = admin.page("/admin/api-keys").await;
    assert!(!again.contains(&key), "the key is shown only once");
    let id_at = again.find("data-id=\"").expect("a row per key") + "data-id=\"".len();
    let id = &again[id_at..id_at + again[id_at..].find('"').unwrap()];

    let (_, fc) = srv.admin().await.get("/api/v1/regions/330199/grids.geojson").await;
    let (lon, lat) = grid_points(&fc)[0].1;
    let (lat, lon) = (lat.to_string(), lon.to_string());
    let fields = |k: &str| -> Vec<(String, String)> {
        [("api_key", k), ("service_code", "E0102"), ("lat", &lat), ("long", &lon), ("description", "垃圾")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let send = |v: Vec<(String, String)>| {
        let o = &o;
        async move {
            let p: Vec<(&str, &str)> = v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            o.post("requests.xml", &p).await
        }
    };
    let (s, _, body) = send(fields(&key)).await;
    assert_eq!(s, 200, "the issued key works: {body}");

    // Revoked: 403 from the next request on; the audit log has both.
    let r = post(&format!("/admin/api-keys/{id}/revoke"), vec![("csrf", csrf.clone())]).await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (s, _, body) = send(fields(&key)).await;
    assert_eq!(s, 403, "a revoked key is refused: {body}");
    assert_eq!(parse_xml(&body).name, "errors");
    let (_, page) = admin.page("/admin/api-keys?revoked=1").await;
    assert!(page.contains("id=\"api-key-revoked\""), "{page}");
    let r = post(&format!("/admin/api-keys/{id}/revoke"), vec![("csrf", csrf.clone())]).await.unwrap();
    assert_eq!(r.status().as_u16(), 404, "revoking twice");
    let (s, audit) = srv.admin().await.get("/api/v1/audit?limit=20").await;
    assert_eq!(s, 200);
    let actions: Vec<String> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["object"].as_str().is_some_and(|o| o.starts_with(&format!("api_key:{id}:"))))
        .map(|a| a["action"].as_str().unwrap().to_string())
        .collect();
    assert!(actions.contains(&"create".to_string()) && actions.contains(&"revoke".to_string()), "{audit}");

    // Not for other roles.
    let (district, dcsrf) = page_login(&srv.base, "demo_district", DEMO_PW).await;
    assert_eq!(district.page("/admin/api-keys").await.0, 403);
    let r = district
        .http
        .post(district.url("/admin/api-keys"))
        .form(&[("csrf", dcsrf.as_str()), ("name", "mine")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    srv.finish().await;
}

both_backends!(open311, api_key_page);
