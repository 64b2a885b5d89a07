//! Open311 GeoReport v2 (DESIGN.md §4) as an adapter over events: services are the active leaf categories,
//! a service request is an event, `open`/`closed` are the two public faces of our workflow states.
//!
//! Public and without login, so two rules hold here and nowhere else:
//! - no reporter's name, phone or e-mail and no staff name ever leaves through it;
//! - the social-governance classes (category codes starting with `Z`: 矛盾纠纷, 治安隐患, 特殊人群, 不稳定因素 …)
//!   are not for the public: they are neither services nor listed, read or accepted as requests (404 as if they
//!   did not exist). They stay reportable by staff through the app and `/api/v1/events`.
//!
//! POST commits synchronously (`report_event`), so every service is `realtime` and the answer carries the
//! `service_request_id` (the event id). `tokens/{token}` still answers for the tokens we can issue: the id of
//! a request created through Open311 is its own token.

use crate::events::{Category, ReportInput, Reporter};
use crate::{App, AppError, ErrorKind, Result};
use chrono::{SecondsFormat, TimeZone};
use serde_json::Value;
use std::collections::HashMap;
use wangge_domain::event::Status;
use wangge_domain::event::calendar::{cst, format_cst};
pub use wangge_domain::open311::Submission;
use wangge_domain::open311::{self, nonempty, parse_w3c};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::events::{EventFilter, EventRow};
use wangge_store::{Store, StoreError};

/// Category codes with this prefix are hidden from Open311.
pub const HIDDEN_PREFIX: &str = "Z";
/// At most this many requests in one GET answer.
pub const MAX_REQUESTS: i64 = 1000;
/// The default and the widest window of a GET requests query.
pub const WINDOW_DAYS: i64 = 90;
/// Changes when the shape of what we serve changes (discovery `changeset`).
pub const CHANGESET: &str = "2026-11-25T00:00:00+08:00";
pub const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

pub fn is_public_category(code: &str) -> bool {
    !code.starts_with(HIDDEN_PREFIX)
}

/// One entry of `services.{fmt}`.
#[derive(Debug, Clone)]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    pub metadata: bool,
    /// Always `realtime`: a POST answers with the id.
    pub kind: &'static str,
    pub keywords: String,
    pub group: String,
}

/// `services/{code}.{fmt}`.
#[derive(Debug, Clone)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub variable: bool,
    pub code: String,
    pub datatype: String,
    pub required: bool,
    pub datatype_description: String,
    pub order: i64,
    pub description: String,
    /// (key, name) for singlevaluelist / multivaluelist.
    pub values: Vec<(String, String)>,
}

/// One service request as the public sees it.
#[derive(Debug, Clone)]
pub struct ServiceRequest {
    pub service_request_id: String,
    pub status: &'static str,
    pub status_notes: String,
    pub service_name: String,
    pub service_code: String,
    pub description: String,
    pub agency_responsible: String,
    pub service_notice: String,
    pub requested_datetime: String,
    pub updated_datetime: String,
    pub expected_datetime: Option<String>,
    pub address: String,
    /// The grid code (what `address_id` means on POST, too).
    pub address_id: String,
    pub lat: f64,
    pub long: f64,
}

/// The answer to a POST.
#[derive(Debug, Clone)]
pub struct Created {
    pub service_request_id: String,
    pub service_notice: String,
}

/// The answer of `tokens/{token}`.
#[derive(Debug, Clone)]
pub struct TokenAnswer {
    pub service_request_id: String,
    pub token: String,
}

/// `discovery.{fmt}`: what the web layer completes with the endpoint URL.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub changeset: &'static str,
    pub contact: String,
    pub key_service: String,
}

/// Filters of GET requests, as received (all optional; empty = absent).
#[derive(Debug, Clone, Default)]
pub struct RequestsQuery {
    pub service_request_id: Option<String>,
    pub service_code: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub status: Option<String>,
}

/// One Open311 error: `code` goes in the body (may be more specific than the HTTP status).
pub fn error_list(e: &AppError) -> (u16, Vec<(u16, String)>) {
    let status = match e.kind {
        ErrorKind::NotFound => 404,
        ErrorKind::Unauthorized | ErrorKind::Forbidden => 403,
        ErrorKind::Internal => 500,
        ErrorKind::Unavailable => 503,
        ErrorKind::TooManyRequests => 429,
        _ => 400,
    };
    let listed = e.details.as_ref().and_then(|d| d.get("errors")).and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(|x| Some((x.get("code")?.as_u64()? as u16, x.get("description")?.as_str()?.to_string())))
            .collect::<Vec<_>>()
    });
    match listed {
        Some(l) if !l.is_empty() => (status, l),
        _ => (status, vec![(status, e.message.clone())]),
    }
}

fn bad(field: &str, message: impl Into<String>) -> AppError {
    AppError::field(field, message)
}

/// Several 400 errors at once (the spec's error list).
fn bad_many(errors: Vec<AppError>) -> AppError {
    let list: Vec<Value> =
        errors.iter().map(|e| serde_json::json!({ "code": 400, "description": e.message })).collect();
    let first = errors.into_iter().next().unwrap_or_else(|| bad("request", "invalid request"));
    let field = first.field_name().unwrap_or("request").to_string();
    first.with_details(serde_json::json!({ "field": field, "errors": list }))
}

fn not_found(what: &str) -> AppError {
    AppError::new(ErrorKind::NotFound, format!("不存在 / not found: {what}"))
}

/// ISO 8601 with the China offset, e.g. `2026-11-25T09:30:00+08:00`.
pub fn iso(ms: i64) -> String {
    cst().timestamp_millis_opt(ms).single().map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, false)).unwrap_or_default()
}

/// "4h" → (4 个工作时, 4 working hours); "5d" working days; "24n" natural hours.
fn limit_words(code: &str) -> Option<(String, String)> {
    let (n, unit) = code.split_at(code.len().checked_sub(1)?);
    let n: i64 = n.parse().ok()?;
    Some(match unit {
        "h" => (format!("{n} 个工作时"), format!("{n} working hours")),
        "d" => (format!("{n} 个工作日"), format!("{n} working days")),
        "n" => (format!("{n} 小时"), format!("{n} hours")),
        _ => return None,
    })
}

fn service_notice(c: Option<&Category>) -> String {
    c.and_then(|c| c.limits.get("handle"))
        .and_then(Value::as_str)
        .and_then(limit_words)
        .map(|(zh, en)| {
            format!("受理后转职能部门处置，处置时限 {zh} / routed to the responsible department; handling limit {en}")
        })
        .unwrap_or_default()
}

fn is_leaf(all: &[Category], c: &Category) -> bool {
    !all.iter().any(|o| o.parent_code.as_deref() == Some(c.code.as_str()))
}

fn public_services(all: &[Category]) -> impl Iterator<Item = &Category> {
    all.iter().filter(|c| c.active && is_public_category(&c.code) && is_leaf(all, c))
}

fn status_of(e: &EventRow) -> (&'static str, String) {
    // A duplicate merged into another request is closed for the client, which is told where to follow it
    // (as FixMyStreet reports duplicates) rather than losing the request it holds an id for.
    if let Some(target) = e.merged_into {
        return ("closed", format!("已合并至 #{target} / duplicate, merged into request {target}"));
    }
    let s = Status::parse(&e.status).unwrap_or(Status::Reported);
    let open = if s.is_final() { "closed" } else { "open" };
    (open, format!("{} / {}", s.label_zh(), s.as_str()))
}

impl App {
    pub async fn open311_discovery(&self) -> Result<Discovery> {
        let contact = self
            .store
            .setting("open311.contact")
            .await?
            .unwrap_or_else(|| "网格化服务管理中心 / Grid service management centre".into());
        Ok(Discovery {
            changeset: CHANGESET,
            contact,
            key_service: "API 密钥由系统管理员在「API 密钥」页面签发 / API keys are issued by the administrator \
                          (admin page \"API keys\" or `wangge apikey create NAME`)"
                .into(),
        })
    }

    /// The public services: active leaf categories outside the hidden classes, by code.
    pub async fn open311_services(&self) -> Result<Vec<Service>> {
        let r = self.event_reference().await?;
        let names: HashMap<&str, &str> = r.categories.iter().map(|c| (c.code.as_str(), c.name.as_str())).collect();
        Ok(public_services(&r.categories)
            .map(|c| Service {
                service_code: c.code.clone(),
                service_name: c.name.clone(),
                description: c.name_en.clone(),
                metadata: !c.fields.is_empty(),
                kind: "realtime",
                keywords: [c.name.as_str(), c.name_en.as_str()].join(", "),
                group: c.parent_code.as_deref().and_then(|p| names.get(p)).map(|s| s.to_string()).unwrap_or_default(),
            })
            .collect())
    }

    /// A service's attributes from the category's extra fields.
    pub async fn open311_service(&self, code: &str) -> Result<ServiceDefinition> {
        let r = self.event_reference().await?;
        let c = public_services(&r.categories).find(|c| c.code == code).ok_or_else(|| not_found(code))?;
        let attributes = c
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let s = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
                let values = f
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|vs| {
                        vs.iter()
                            .map(|v| match v {
                                Value::Object(o) => (
                                    o.get("key").map(value_text).unwrap_or_default(),
                                    o.get("name").map(value_text).unwrap_or_default(),
                                ),
                                other => (value_text(other), value_text(other)),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let datatype = match s("datatype").as_str() {
                    d @ ("string" | "number" | "datetime" | "text" | "singlevaluelist" | "multivaluelist") => {
                        d.to_string()
                    }
                    _ => "string".to_string(),
                };
                let name = s("name");
                let name_en = s("name_en");
                Attribute {
                    variable: f.get("variable").and_then(Value::as_bool).unwrap_or(true),
                    code: s("code"),
                    datatype,
                    required: f.get("required").and_then(Value::as_bool).unwrap_or(false),
                    datatype_description: s("datatype_description"),
                    order: i as i64 + 1,
                    description: if name_en.is_empty() { name } else { format!("{name} / {name_en}") },
                    values,
                }
            })
            .collect();
        Ok(ServiceDefinition { service_code: c.code.clone(), attributes })
    }

    /// GET requests with the standard filters. `service_request_id` overrides all others; otherwise the window
    /// is `start_date`..`end_date` (default: the last 90 days, at most 90 days wide), newest first, at most 1,000.
    pub async fn open311_requests(&self, q: &RequestsQuery) -> Result<Vec<ServiceRequest>> {
        if let Some(ids) = nonempty(&q.service_request_id) {
            let names = self.department_names().await?;
            let r = self.event_reference().await?;
            let mut out = Vec::new();
            for id in ids.split(',').map(str::trim).filter(|s| !s.is_empty()).take(MAX_REQUESTS as usize) {
                match self.open311_event(id).await {
                    Ok(e) => out.push(public_request(&r.categories, &names, e)),
                    Err(e) if e.kind == ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            return Ok(out);
        }
        let mut errors = Vec::new();
        let mut f = EventFilter { exclude_category_prefix: Some(HIDDEN_PREFIX.into()), ..EventFilter::default() };
        if let Some(codes) = nonempty(&q.service_code) {
            let r = self.event_reference().await?;
            let mut list = Vec::new();
            for c in codes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                if public_services(&r.categories).any(|x| x.code == c) {
                    list.push(c.to_string());
                } else {
                    errors.push(bad("service_code", format!("未知的服务代码 / unknown service_code: {c}")));
                }
            }
            f.categories = Some(list);
        }
        if let Some(s) = nonempty(&q.status) {
            for part in s.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match part {
                    "open" => {
                        f.status.extend(Status::ALL.iter().filter(|s| !s.is_final()).map(|s| s.as_str().to_string()))
                    }
                    "closed" => {
                        f.status.extend(Status::ALL.iter().filter(|s| s.is_final()).map(|s| s.as_str().to_string()))
                    }
                    other => errors.push(bad(
                        "status",
                        format!("status 应为 open 或 closed / status must be open or closed: {other}"),
                    )),
                }
            }
        }
        let start = nonempty(&q.start_date).map(|s| parse_w3c("start_date", s).map_err(AppError::from));
        let end = nonempty(&q.end_date).map(|s| parse_w3c("end_date", s).map_err(AppError::from));
        let window = WINDOW_DAYS * 86_400_000;
        let (from, to) = match (start, end) {
            (Some(Err(a)), Some(Err(b))) => {
                errors.extend([a, b]);
                (0, 0)
            }
            (Some(Err(e)), _) | (_, Some(Err(e))) => {
                errors.push(e);
                (0, 0)
            }
            (Some(Ok(s)), Some(Ok(e))) => (s, e),
            (Some(Ok(s)), None) => (s, s + window),
            (None, Some(Ok(e))) => (e - window, e),
            (None, None) => {
                let now = wangge_store::now_ms();
                (now - window, now)
            }
        };
        if errors.is_empty() && to < from {
            errors.push(bad("end_date", "end_date 早于 start_date / end_date is before start_date"));
        } else if errors.is_empty() && to - from > window {
            errors.push(bad(
                "end_date",
                format!("时间范围不能超过{WINDOW_DAYS}天 / the range is limited to {WINDOW_DAYS} days"),
            ));
        }
        if !errors.is_empty() {
            return Err(bad_many(errors));
        }
        f.from_ms = Some(from);
        f.to_ms = Some(to);
        let (rows, _) = self.store.events(&f, None, MAX_REQUESTS).await?;
        let names = self.department_names().await?;
        let r = self.event_reference().await?;
        Ok(rows.into_iter().map(|e| public_request(&r.categories, &names, e)).collect())
    }

    /// One request by id (404 for an unknown id or a hidden class; a merged duplicate is closed, naming the
    /// request it was merged into).
    pub async fn open311_request(&self, id: &str) -> Result<ServiceRequest> {
        let e = self.open311_event(id).await?;
        let names = self.department_names().await?;
        let r = self.event_reference().await?;
        Ok(public_request(&r.categories, &names, e))
    }

    async fn open311_event(&self, id: &str) -> Result<EventRow> {
        let n = id.trim().parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| not_found(id))?;
        let e = self.store.event(n).await.map_err(|e| match e {
            StoreError::NotFound => not_found(id),
            e => e.into(),
        })?;
        if !is_public_category(&e.category_code) {
            return Err(not_found(id));
        }
        Ok(e)
    }

    /// `tokens/{token}`: the tokens we issue are the ids of requests created through Open311.
    pub async fn open311_token(&self, token: &str) -> Result<TokenAnswer> {
        let e = self.open311_event(token).await?;
        if e.source != "open311" {
            return Err(not_found(token));
        }
        Ok(TokenAnswer { service_request_id: e.id.to_string(), token: token.trim().to_string() })
    }

    async fn department_names(&self) -> Result<HashMap<String, String>> {
        Ok(self.store.departments().await?.into_iter().map(|(code, name, _)| (code, name)).collect())
    }

    /// POST requests: the api_key first (403), then every field (400 with each problem listed; 404 for an unknown
    /// service_code), then the event is reported like any other (grid, route, deadline) with source `open311`.
    pub async fn open311_submit(&self, s: Submission) -> Result<Created> {
        let key = nonempty(&s.api_key)
            .ok_or_else(|| AppError::new(ErrorKind::Forbidden, "缺少 api_key / api_key is missing"))?;
        let client = self.check_api_key(key).await.map_err(|e| match e.kind {
            ErrorKind::Unauthorized => AppError::new(ErrorKind::Forbidden, "api_key 无效 / invalid api_key"),
            _ => e,
        })?;
        let r = self.event_reference().await?;
        let category = match nonempty(&s.service_code) {
            None => None,
            Some(code) => match public_services(&r.categories).find(|c| c.code == code) {
                Some(c) => Some(c),
                None => return Err(not_found(&format!("service_code {code}"))),
            },
        };
        let checked = open311::check(&s, category.map(|c| c.fields.as_slice()))
            .map_err(|errors| bad_many(errors.into_iter().map(AppError::from).collect()))?;
        let category = category.expect("a submission without a service is refused by the check");
        let description = if checked.description.is_empty() { category.name.clone() } else { checked.description };
        let (reporter_name, contact) = (checked.reporter_name, checked.contact);
        let input = ReportInput {
            category: category.code.clone(),
            description,
            lat: checked.point.map(|p| p.0),
            lon: checked.point.map(|p| p.1),
            crs: None,
            grid_code: checked.address_id,
            source: Some("open311".into()),
            address: checked.address,
            attributes: checked.attributes,
            ..ReportInput::default()
        };
        let notice = service_notice(Some(category));
        let reported = self
            .report_event(Reporter::Client { name: client, reporter_name, contact }, input)
            .await
            .map_err(open311_field_error)?;
        Ok(Created { service_request_id: reported.id.to_string(), service_notice: notice })
    }
}

/// An API key as the admin page lists it (the key itself is shown once, at creation, and never stored).
#[derive(Debug, Clone)]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl App {
    /// Every client application's key, newest first (admins).
    pub async fn api_keys(&self, actor: &Actor) -> Result<Vec<ApiKeyView>> {
        self.authorize_anywhere(actor, Permission::ManageApiKeys)?;
        Ok(self
            .store
            .api_keys()
            .await?
            .into_iter()
            .map(|(id, name, created, revoked)| ApiKeyView {
                id,
                name,
                created_at: format_cst(created),
                revoked_at: revoked.map(format_cst),
            })
            .collect())
    }

    /// Revokes a key at once: its next POST gets 403. Audited.
    pub async fn revoke_api_key(&self, actor: &Actor, id: i64) -> Result<()> {
        self.authorize_anywhere(actor, Permission::ManageApiKeys)?;
        let mut tx = self.store.begin().await?;
        let name = Store::revoke_api_key(&mut tx, id).await?.ok_or_else(|| AppError::not_found("api_key"))?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "revoke",
                object: &format!("api_key:{id}:{name}"),
                reason: None,
                region_code: None,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}

/// The event layer names our fields (`lon`, `grid_code`, `attributes.x`); Open311 clients know theirs. A point
/// outside every grid (422 there) is a bad location here (400).
fn open311_field_error(e: AppError) -> AppError {
    if !matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::RuleViolated | ErrorKind::Conflict) {
        return e;
    }
    let field = match e.field_name() {
        Some("lon") => "long".to_string(),
        Some("grid_code") => "address_id".to_string(),
        Some(f) if f.starts_with("attributes.") => format!("attribute[{}]", &f["attributes.".len()..]),
        Some(f) => f.to_string(),
        None => "request".to_string(),
    };
    let message = e.message.replacen("lon:", "long:", 1).replacen("grid_code:", "address_id:", 1);
    let details = serde_json::json!({ "field": field, "errors": [{ "code": 400, "description": message }] });
    AppError { kind: ErrorKind::InvalidInput, message, details: Some(details) }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn public_request(categories: &[Category], departments: &HashMap<String, String>, e: EventRow) -> ServiceRequest {
    let c = categories.iter().find(|c| c.code == e.category_code);
    let (status, notes) = status_of(&e);
    let updated = if status == "closed" { e.closed_at.unwrap_or(e.updated_at) } else { e.updated_at };
    ServiceRequest {
        service_request_id: e.id.to_string(),
        status,
        status_notes: notes,
        service_name: c.map(|c| c.name.clone()).unwrap_or_default(),
        service_notice: service_notice(c),
        service_code: e.category_code,
        description: e.description,
        agency_responsible: departments.get(&e.lead_department).cloned().unwrap_or(e.lead_department),
        requested_datetime: iso(e.reported_at),
        updated_datetime: iso(updated),
        expected_datetime: e.due_at.map(iso),
        address: e.address,
        address_id: e.grid_code,
        lat: e.lat,
        long: e.lon,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_is_china_time() {
        assert_eq!(iso(0), "1970-01-01T08:00:00+08:00");
    }

    #[test]
    fn hidden_classes_and_limits() {
        assert!(!is_public_category("Z0401") && is_public_category("E0102"));
        assert_eq!(limit_words("4h").unwrap(), ("4 个工作时".to_string(), "4 working hours".to_string()));
        assert!(limit_words("x").is_none());
        let (s, l) = error_list(&bad_many(vec![bad("lat", "a"), bad("long", "b")]));
        assert_eq!(s, 400);
        assert_eq!(l.len(), 2);
        assert_eq!(error_list(&not_found("x")).0, 404);
    }
}
