//! Serves the assets embedded by build.rs under /assets/.

use crate::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets/{*path}", axum::routing::get(serve))
        // Browsers ask for /favicon.ico on their own, whatever the page links.
        .route("/favicon.ico", axum::routing::get(|| serve(Path("favicon.svg".to_string()))))
}

async fn serve(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(p, _, _)| *p == path) {
        Some((_, bytes, mime)) => {
            let mut res = (*bytes).into_response();
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
            res
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::ASSETS;

    #[test]
    fn leaflet_htmx_and_our_script_are_embedded() {
        for p in
            ["vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css", "vendor/htmx/htmx.min.js", "app.js", "app.css"]
        {
            let found = ASSETS.iter().find(|(path, _, _)| *path == p);
            assert!(found.is_some_and(|(_, b, _)| b.len() > 100), "{p} missing or empty");
        }
    }
}
