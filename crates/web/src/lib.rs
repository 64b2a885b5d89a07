//! HTTP for wangge: pages (askama, server-rendered), the JSON API under /api/v1 (described by
//! utoipa at /api/v1/openapi.json), health and metrics, embedded assets. Handlers stay thin:
//! they parse input, call one `App` use case with the caller's `Actor`, and render the result.

pub mod api;
mod assets;
pub mod error;
pub mod extract;
pub mod i18n;
mod metrics;
pub mod open311;
mod pages;
mod security;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::sync::Arc;
use tower_http::trace::TraceLayer;
use wangge_app::App;

/// Largest request body accepted anywhere (imports through the UI will get their own, larger limit).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub type AppState = Arc<App>;

pub fn router(app: Arc<App>) -> Router {
    router_with(app, Router::new())
}

/// The product's router plus `extra` routes behind the same middleware (the benchmark adds a hello-world
/// baseline this way, so both sides of its comparison pay for the same layers).
pub fn router_with(app: Arc<App>, extra: Router<AppState>) -> Router {
    let metrics = metrics::handle();
    Router::new()
        .merge(extra)
        .merge(api::routes())
        .merge(open311::routes())
        .merge(pages::routes())
        .merge(assets::routes())
        .route("/healthz", axum::routing::get(api::meta::healthz))
        .route("/metrics", axum::routing::get(move || async move { metrics.render() }))
        .fallback(pages::not_found_fallback)
        .layer(axum::middleware::from_fn(i18n::remember_lang))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}
