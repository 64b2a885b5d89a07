//! Who is asking (session cookie or bearer token), CSRF checks, and JSON/query parsing whose errors
//! name the offending field in the DESIGN.md error shape.

use crate::AppState;
use crate::error::ApiError;
use crate::i18n::cookie;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, header};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
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

pub fn client_addr(parts: &Parts) -> String {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "unknown".into())
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
