//! Who is asking (session cookie or bearer token), CSRF checks, and JSON/query parsing whose errors
//! name the offending field in the DESIGN.md error shape.

use crate::AppState;
use crate::error::ApiError;
use crate::i18n::cookie;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, header};
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};
use wangge_app::AppError;
use wangge_domain::scope::Actor;

pub const SESSION_COOKIE: &str = "wangge_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller authenticated, which decides whether a CSRF token is needed.
#[derive(Debug, Clone)]
pub enum Credential {
    Bearer(String),
    Cookie(String),
}

pub fn credential(headers: &axum::http::HeaderMap) -> Option<Credential> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer "))
    {
        return Some(Credential::Bearer(t.trim().to_string()));
    }
    cookie(headers, SESSION_COOKIE).filter(|c| !c.is_empty()).map(Credential::Cookie)
}

/// Reverse proxies whose `X-Forwarded-For` is believed (`WANGGE_TRUSTED_PROXIES`, set once at start). Without
/// them every client behind a proxy would share the proxy's address, and ten wrong passwords from anyone would
/// lock everyone out; with them believed from anybody, a client could pick any address and never be throttled.
static TRUSTED_PROXIES: std::sync::OnceLock<Vec<IpAddr>> = std::sync::OnceLock::new();

/// Sets the trusted proxies from a comma-separated list of IP addresses; an entry that is not one is an error.
pub fn set_trusted_proxies(list: &str) -> Result<(), String> {
    let ips = parse_proxies(list)?;
    let _ = TRUSTED_PROXIES.set(ips);
    Ok(())
}

fn parse_proxies(list: &str) -> Result<Vec<IpAddr>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<IpAddr>().map_err(|_| format!("WANGGE_TRUSTED_PROXIES: not an IP address: {s}")))
        .collect()
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_addr(parts: &Parts) -> String {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    let trusted = TRUSTED_PROXIES.get().map(Vec::as_slice).unwrap_or(&[]);
    match peer {
        Some(p) => forwarded_client(p, &forwarded.join(","), trusted).to_string(),
        None => "unknown".into(),
    }
}

fn forwarded_client(peer: IpAddr, forwarded: &str, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    // Right to left: each hop was added by the proxy before it; stop at the first one no trusted proxy vouches for.
    for hop in forwarded.rsplit(',').map(str::trim) {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// An authenticated API caller. Cookie sessions must send the CSRF token in `X-CSRF-Token` on writes.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let cred = credential(&parts.headers).ok_or_else(AppError::unauthorized)?;
        let token = match &cred {
            Credential::Bearer(t) | Credential::Cookie(t) => t.clone(),
        };
        let (actor, csrf) = app.actor_for_token(&token).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if let (Credential::Cookie(_), false) = (&cred, safe) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !constant_time_eq(sent, &csrf) {
                return Err(AppError::new(
                    wangge_app::ErrorKind::Forbidden,
                    "CSRF 校验失败 / missing or wrong X-CSRF-Token",
                )
                .into());
            }
        }
        Ok(ApiActor(actor))
    }
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// JSON body whose errors name the field (`roles[0].role: invalid type…`), unknown fields included.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !is_json {
            return Err(
                AppError::field("Content-Type", "请求体应为 application/json / body must be application/json").into()
            );
        }
        let bytes = bytes::Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::field("body", format!("请求体过大 / body larger than {} bytes", crate::MAX_BODY_BYTES))
            } else {
                AppError::field("body", format!("无法读取请求体 / cannot read body: {e}"))
            }
        })?;
        parse_json(&bytes).map(Json).map_err(ApiError)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path.is_empty() || path == "." { "body".to_string() } else { path };
        if inner.is_syntax() || inner.is_eof() {
            AppError::field("body", format!("JSON 格式错误 / malformed JSON: {inner}"))
        } else {
            // serde names an unknown or missing field in its message; point at it when the path cannot.
            let msg = inner.to_string();
            let named = msg
                .split('`')
                .nth(1)
                .filter(|_| field == "body" && (msg.starts_with("unknown field") || msg.starts_with("missing field")));
            AppError::field(named.unwrap_or(&field), format!("字段无效 / invalid value: {msg}"))
        }
    })
}

/// Query string whose errors name the parameter.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de).map(Query).map_err(|e| {
            let path = e.path().to_string();
            let msg = e.into_inner().to_string();
            let named = msg.split('`').nth(1).map(str::to_string);
            let field = if path.is_empty() || path == "." { named.unwrap_or_else(|| "query".into()) } else { path };
            ApiError(AppError::field(&field, format!("参数无效 / invalid parameter: {msg}")))
        })
    }
}

#[cfg(test)]
mod proxy_tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy = [ip("10.0.0.1")];
        // Straight from a client: its own address, whatever it claims.
        assert_eq!(forwarded_client(ip("203.0.113.9"), "1.2.3.4", &proxy), ip("203.0.113.9"));
        // Through the proxy: the address the proxy saw, not what the client wrote before it.
        assert_eq!(forwarded_client(ip("10.0.0.1"), "1.2.3.4, 198.51.100.7", &proxy), ip("198.51.100.7"));
        // Two trusted proxies in a row.
        let two = [ip("10.0.0.1"), ip("10.0.0.2")];
        assert_eq!(forwarded_client(ip("10.0.0.1"), "198.51.100.7, 10.0.0.2", &two), ip("198.51.100.7"));
        // A proxy that sent no header, or garbage: the proxy itself.
        assert_eq!(forwarded_client(ip("10.0.0.1"), "", &proxy), ip("10.0.0.1"));
        assert_eq!(forwarded_client(ip("10.0.0.1"), "unknown", &proxy), ip("10.0.0.1"));
        // Nobody trusted: the peer.
        assert_eq!(forwarded_client(ip("10.0.0.1"), "198.51.100.7", &[]), ip("10.0.0.1"));
    }

    #[test]
    fn the_proxy_list_names_bad_entries() {
        assert_eq!(parse_proxies(" 10.0.0.1, ::1 ,").unwrap(), vec![ip("10.0.0.1"), ip("::1")]);
        assert!(parse_proxies("10.0.0.0/8").unwrap_err().contains("10.0.0.0/8"));
    }
}
