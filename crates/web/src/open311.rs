//! Open311 GeoReport v2 at `/open311/v2` (DESIGN.md §4): thin handlers over `wangge_app::open311`, answering in
//! the format the path asks for (`.xml`, first-class, or `.json`). Both formats come from one ordered value, so
//! the JSON is the Spark-convention mapping of the XML: lists are bare arrays (`[{…}]`) in JSON and
//! `<services><service>…` in XML, errors are `[{"code", "description"}]` / `<errors><error>…`.
//! Not part of `/api/v1` or its OpenAPI document: clients speak the GeoReport spec.

use crate::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use wangge_app::AppError;
use wangge_app::open311::{
    Created, Discovery, RequestsQuery, SPECIFICATION, Service, ServiceDefinition, ServiceRequest, Submission,
    TokenAnswer, error_list,
};

pub fn routes() -> Router<AppState> {
    let inner = Router::new()
        .route("/{file}", get(top_get).post(top_post))
        .route("/services/{file}", get(service_definition))
        .route("/requests/{file}", get(one_request))
        .route("/tokens/{file}", get(token))
        .fallback(unknown)
        .method_not_allowed_fallback(wrong_method);
    Router::new().nest("/open311/v2", inner)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    Xml,
    Json,
}

/// `name.xml` → (name, Xml); anything else is not a resource we serve.
fn split(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    let f = match ext {
        "xml" => Format::Xml,
        "json" => Format::Json,
        _ => return None,
    };
    (!name.is_empty()).then_some((name, f))
}

/// A value in the order the spec lists its fields, rendered as XML or JSON.
#[derive(Debug, Clone)]
pub enum V {
    Str(String),
    Num(f64),
    Int(i64),
    Bool(bool),
    Null,
    /// A list and the element name of each item in XML (`services` → `service`).
    List(&'static str, Vec<V>),
    Obj(Vec<(&'static str, V)>),
}

fn s(x: impl Into<String>) -> V {
    V::Str(x.into())
}

impl V {
    pub fn to_json(&self, out: &mut String) {
        match self {
            V::Str(x) => out.push_str(&serde_json::to_string(x).unwrap_or_else(|_| "\"\"".into())),
            V::Num(x) if x.is_finite() => out.push_str(&x.to_string()),
            V::Num(_) | V::Null => out.push_str("null"),
            V::Int(x) => out.push_str(&x.to_string()),
            V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            V::List(_, items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.to_json(out);
                }
                out.push(']');
            }
            V::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(':');
                    v.to_json(out);
                }
                out.push('}');
            }
        }
    }

    /// `<name>…</name>`; a null is an empty element `<name/>`.
    pub fn to_xml(&self, name: &str, out: &mut String) {
        match self {
            V::Null => {
                out.push('<');
                out.push_str(name);
                out.push_str("/>");
            }
            _ => {
                out.push('<');
                out.push_str(name);
                out.push('>');
                match self {
                    V::Str(x) => escape_into(x, out),
                    V::Num(x) if x.is_finite() => out.push_str(&x.to_string()),
                    V::Int(x) => out.push_str(&x.to_string()),
                    V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                    V::List(item, items) => {
                        for v in items {
                            v.to_xml(item, out);
                        }
                    }
                    V::Obj(fields) => {
                        for (k, v) in fields {
                            v.to_xml(k, out);
                        }
                    }
                    V::Num(_) | V::Null => {}
                }
                out.push_str("</");
                out.push_str(name);
                out.push('>');
            }
        }
    }
}

/// Text content escaped for XML 1.0; characters XML cannot carry (most C0 controls) are dropped.
pub fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// The whole answer: `root` is the XML document element (`services`, `service_requests`, `errors`, …).
pub fn render(format: Format, status: StatusCode, root: &str, v: &V) -> Response {
    let mut body = String::new();
    let ct = match format {
        Format::Json => {
            v.to_json(&mut body);
            "application/json; charset=utf-8"
        }
        Format::Xml => {
            body.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
            v.to_xml(root, &mut body);
            "text/xml; charset=utf-8"
        }
    };
    let mut res = (status, body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    res
}

fn error_response(format: Format, e: &AppError) -> Response {
    let (status, list) = error_list(e);
    let items = list
        .into_iter()
        .map(|(code, description)| V::Obj(vec![("code", V::Int(code.into())), ("description", s(description))]))
        .collect();
    let st = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    render(format, st, "errors", &V::List("error", items))
}

fn not_found(format: Format, what: &str) -> Response {
    error_response(format, &AppError::new(wangge_app::ErrorKind::NotFound, format!("不存在 / not found: {what}")))
}

/// The format named by a path we do not serve: its extension when it has one we know, XML otherwise.
fn format_of(path: &str) -> Format {
    if path.ends_with(".json") { Format::Json } else { Format::Xml }
}

fn answer(format: Format, root: &str, r: Result<V, AppError>) -> Response {
    match r {
        Ok(v) => render(format, StatusCode::OK, root, &v),
        Err(e) => error_response(format, &e),
    }
}

fn service_v(x: Service) -> V {
    V::Obj(vec![
        ("service_code", s(x.service_code)),
        ("service_name", s(x.service_name)),
        ("description", s(x.description)),
        ("metadata", V::Bool(x.metadata)),
        ("type", s(x.kind)),
        ("keywords", s(x.keywords)),
        ("group", s(x.group)),
    ])
}

fn definition_v(d: ServiceDefinition) -> V {
    let attrs = d
        .attributes
        .into_iter()
        .map(|a| {
            let values = a.values.into_iter().map(|(k, n)| V::Obj(vec![("key", s(k)), ("name", s(n))])).collect();
            V::Obj(vec![
                ("variable", V::Bool(a.variable)),
                ("code", s(a.code)),
                ("datatype", s(a.datatype)),
                ("required", V::Bool(a.required)),
                (
                    "datatype_description",
                    if a.datatype_description.is_empty() { V::Null } else { s(a.datatype_description) },
                ),
                ("order", V::Int(a.order)),
                ("description", s(a.description)),
                ("values", V::List("value", values)),
            ])
        })
        .collect();
    V::Obj(vec![("service_code", s(d.service_code)), ("attributes", V::List("attribute", attrs))])
}

fn request_v(r: ServiceRequest) -> V {
    V::Obj(vec![
        ("service_request_id", s(r.service_request_id)),
        ("status", s(r.status)),
        ("status_notes", s(r.status_notes)),
        ("service_name", s(r.service_name)),
        ("service_code", s(r.service_code)),
        ("description", s(r.description)),
        ("agency_responsible", s(r.agency_responsible)),
        ("service_notice", s(r.service_notice)),
        ("requested_datetime", s(r.requested_datetime)),
        ("updated_datetime", s(r.updated_datetime)),
        ("expected_datetime", r.expected_datetime.map(s).unwrap_or(V::Null)),
        ("address", s(r.address)),
        ("address_id", s(r.address_id)),
        ("zipcode", V::Null),
        ("lat", V::Num(r.lat)),
        ("long", V::Num(r.long)),
        ("media_url", V::Null),
    ])
}

fn created_v(c: Created) -> V {
    V::List(
        "request",
        vec![V::Obj(vec![
            ("service_request_id", s(c.service_request_id)),
            ("service_notice", s(c.service_notice)),
            ("account_id", V::Null),
        ])],
    )
}

fn token_v(t: TokenAnswer) -> V {
    V::List("request", vec![V::Obj(vec![("service_request_id", s(t.service_request_id)), ("token", s(t.token))])])
}

fn discovery_v(d: Discovery, url: String) -> V {
    V::Obj(vec![
        ("changeset", s(d.changeset)),
        ("contact", s(d.contact)),
        ("key_service", s(d.key_service)),
        (
            "endpoints",
            V::List(
                "endpoint",
                vec![V::Obj(vec![
                    ("specification", s(SPECIFICATION)),
                    ("url", s(url)),
                    ("changeset", s(d.changeset)),
                    ("type", s("production")),
                    ("formats", V::List("format", vec![s("text/xml"), s("application/json")])),
                ])],
            ),
        ),
    ])
}

/// The endpoint's own URL from the request (behind a proxy, `X-Forwarded-Proto` tells the scheme).
fn endpoint_url(h: &HeaderMap) -> String {
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let proto = h.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).filter(|p| *p == "https").unwrap_or("http");
    format!("{proto}://{host}/open311/v2")
}

fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn first(p: &[(String, String)], key: &str) -> Option<String> {
    p.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

async fn top_get(
    State(app): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some((name, f)) = split(&file) else { return not_found(format_of(&file), &file) };
    let p = pairs(q.as_deref().unwrap_or("").as_bytes());
    match name {
        "discovery" => {
            let url = endpoint_url(&headers);
            answer(f, "discovery", app.open311_discovery().await.map(|d| discovery_v(d, url)))
        }
        "services" => answer(
            f,
            "services",
            app.open311_services().await.map(|l| V::List("service", l.into_iter().map(service_v).collect())),
        ),
        "requests" => {
            let q = RequestsQuery {
                service_request_id: first(&p, "service_request_id"),
                service_code: first(&p, "service_code"),
                start_date: first(&p, "start_date"),
                end_date: first(&p, "end_date"),
                status: first(&p, "status"),
            };
            answer(
                f,
                "service_requests",
                app.open311_requests(&q).await.map(|l| V::List("request", l.into_iter().map(request_v).collect())),
            )
        }
        _ => not_found(f, &file),
    }
}

/// POST requests.{fmt}: form-encoded (fields in the query string are taken too, body first).
async fn top_post(
    State(app): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let Some((name, f)) = split(&file) else { return not_found(format_of(&file), &file) };
    if name != "requests" {
        let e = AppError::field("method", "只有 requests 接受 POST / only requests accepts POST");
        return error_response(f, &e);
    }
    let sub = Submission::from_form(&body, q.as_deref().unwrap_or("").as_bytes());
    answer(f, "service_requests", app.open311_submit(sub).await.map(created_v))
}

async fn service_definition(State(app): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((code, f)) = split(&file) else { return not_found(format_of(&file), &file) };
    answer(f, "service_definition", app.open311_service(code).await.map(definition_v))
}

async fn one_request(State(app): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((id, f)) = split(&file) else { return not_found(format_of(&file), &file) };
    answer(f, "service_requests", app.open311_request(id).await.map(|r| V::List("request", vec![request_v(r)])))
}

async fn token(State(app): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((t, f)) = split(&file) else { return not_found(format_of(&file), &file) };
    answer(f, "service_requests", app.open311_token(t).await.map(token_v))
}

/// A method the resource does not take (e.g. PUT): 405 with the spec's error list.
async fn wrong_method(uri: axum::http::Uri) -> Response {
    let item = V::Obj(vec![
        ("code", V::Int(405)),
        ("description", s("只支持 GET（requests 另支持 POST）/ only GET, and POST on requests")),
    ]);
    render(format_of(uri.path()), StatusCode::METHOD_NOT_ALLOWED, "errors", &V::List("error", vec![item]))
}

async fn unknown(uri: axum::http::Uri) -> Response {
    not_found(format_of(uri.path()), uri.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_from_one_value() {
        let v = V::List(
            "service",
            vec![V::Obj(vec![("service_code", s("E0102")), ("metadata", V::Bool(false)), ("group", V::Null)])],
        );
        let mut x = String::new();
        v.to_xml("services", &mut x);
        assert_eq!(
            x,
            "<services><service><service_code>E0102</service_code><metadata>false</metadata><group/></service></services>"
        );
        let mut j = String::new();
        v.to_json(&mut j);
        assert_eq!(j, r#"[{"service_code":"E0102","metadata":false,"group":null}]"#);
        let mut e = String::new();
        escape_into("a<b>&\"c'\u{1}", &mut e);
        assert_eq!(e, "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(split("services.xml"), Some(("services", Format::Xml)));
        assert_eq!(split("E0503.json"), Some(("E0503", Format::Json)));
        assert_eq!(split("services.html"), None);
        assert_eq!(split(".xml"), None);
    }
}
