//! The grid worker's phone app (issue #6, docs/field.md): the shell page at `/m`, its service worker at
//! `/m/sw.js` (scope `/m`), the web app manifest and the session's CSRF token for a shell that was served from
//! the worker's cache. Everything else happens in `static/field.js` against the field API; the shell only
//! carries the token, who is signed in and the strings the script shows (so the script holds no text).

use super::{PageActor, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::SESSION_COOKIE;
use crate::i18n::{Lang, cookie};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;
use wangge_app::AppError;
use wangge_domain::event::Status;

/// UI keys field.js looks up with `t("…")`; the shell sends their text in the page's language.
pub const JS_KEYS: &[&str] = &[
    "fld_today",
    "fld_report",
    "fld_patrol",
    "fld_log",
    "fld_loading",
    "fld_load_failed",
    "fld_online",
    "fld_offline",
    "fld_synced",
    "fld_syncing",
    "fld_queued",
    "fld_rejected_n",
    "fld_sync_now",
    "fld_fetched_at",
    "fld_sign_in_again",
    "fld_sign_in",
    "fld_outbox",
    "fld_state_pending",
    "fld_state_retry",
    "fld_state_rejected",
    "fld_discard",
    "fld_discard_confirm",
    "fld_kind_visit",
    "fld_kind_event",
    "fld_kind_migrant_arrival",
    "fld_kind_move_out",
    "fld_kind_patrol_start",
    "fld_kind_track",
    "fld_kind_checkin",
    "fld_kind_patrol_end",
    "fld_kind_log_note",
    "fld_kind_data_answer",
    "fld_points_n",
    "fld_no_grids",
    "fld_due_visits",
    "fld_no_visits",
    "fld_overdue_days",
    "fld_due_today",
    "fld_due_on",
    "fld_last_visit",
    "fld_never_visited",
    "fld_changes",
    "fld_visited_pending",
    "fld_order",
    "fld_order_due",
    "fld_order_building",
    "fld_order_near",
    "fld_events",
    "fld_no_events",
    "fld_why_must_attend",
    "fld_why_verify",
    "fld_why_reported_by_me",
    "fld_overdue",
    "fld_key_group",
    "fld_open_event",
    "fld_visit",
    "fld_person_missing",
    "fld_household",
    "fld_age",
    "fld_male",
    "fld_female",
    "fld_found",
    "fld_found_yes",
    "fld_found_no",
    "fld_situation",
    "fld_sit_normal",
    "fld_sit_attention",
    "fld_sit_difficulty",
    "fld_needs",
    "fld_needs_hint",
    "fld_risk",
    "fld_risk_same",
    "fld_risk_up",
    "fld_risk_down",
    "fld_note",
    "fld_note_hint",
    "fld_photo",
    "fld_photo_add",
    "fld_photo_remove",
    "fld_photo_failed",
    "fld_save",
    "fld_back",
    "fld_saved",
    "fld_saved_queued",
    "fld_saved_synced",
    "fld_saved_rejected",
    "fld_report_finding",
    "fld_register_move_out",
    "fld_back_today",
    "fld_finding_prefix",
    "fld_new_event",
    "fld_category",
    "fld_choose",
    "fld_description",
    "fld_description_hint",
    "fld_grid",
    "fld_address",
    "fld_use_gps",
    "fld_gps_ok",
    "fld_gps_wait",
    "fld_gps_failed",
    "fld_urgent",
    "fld_about_person",
    "fld_submit",
    "fld_required",
    "fld_quick",
    "fld_hazard",
    "fld_instability",
    "fld_migrant_arrival",
    "fld_move_out",
    "fld_other_event",
    "fld_name",
    "fld_id_number",
    "fld_id_bad",
    "fld_phone",
    "fld_house_code",
    "fld_house_search",
    "fld_search",
    "fld_search_online",
    "fld_no_results",
    "fld_arrived",
    "fld_permit",
    "fld_permit_none",
    "fld_permit_temp",
    "fld_permit_res",
    "fld_person",
    "fld_person_search",
    "fld_change_person",
    "fld_date",
    "fld_patrol_start",
    "fld_patrol_end",
    "fld_route",
    "fld_no_route",
    "fld_team",
    "fld_patrol_since",
    "fld_patrol_open",
    "fld_patrol_continue",
    "fld_points_recorded",
    "fld_checkpoints",
    "fld_checkin",
    "fld_checked_in",
    "fld_distance",
    "fld_log_title",
    "fld_log_visits",
    "fld_log_events",
    "fld_log_patrols",
    "fld_log_empty",
    "fld_log_note",
    "fld_log_offline",
    "fld_log_unavailable",
    "fld_prev_day",
    "fld_next_day",
    "fld_minutes",
    "fld_km",
    "fld_dr_title",
    "fld_dr_rows",
    "fld_dr_due",
    "fld_dr_known",
    "fld_dr_ask",
    "fld_dr_fix",
    "fld_dr_save",
    "fld_dr_saved",
    "fld_dr_none",
    "fld_dr_yes",
    "fld_dr_no",
    "fld_dr_overdue",
];

/// The files the shell loads. The service worker precaches them under the same versioned URLs.
const SHELL_ASSETS: &[&str] = &["field.js", "field.css", "favicon.svg"];

fn asset_bytes(name: &str) -> &'static [u8] {
    crate::assets::ASSETS.iter().find(|(p, _, _)| *p == name).map(|(_, b, _)| *b).unwrap_or(&[])
}

/// A digest of the shell's assets and the worker: when any of them changes, the worker's bytes change, the
/// browser installs it again and it re-caches everything (and asset URLs carry it, so no HTTP cache is stale).
fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        // FNV-1a: stable across builds and Rust versions, unlike std's hasher.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for name in SHELL_ASSETS.iter().chain(["field-sw.js"].iter()) {
            for b in asset_bytes(name).iter().chain(name.as_bytes()) {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{h:016x}")
    })
}

fn asset_url(name: &str) -> String {
    format!("/assets/{name}?v={}", version())
}

#[derive(Template)]
#[template(path = "field.html")]
struct FieldShell {
    lang: Lang,
    csrf: String,
    username: String,
    display_name: String,
    /// `{key: text}` for field.js, plus `statuses` (event status code → label); HTML-escaped in its attribute.
    i18n_json: String,
    js: String,
    css: String,
    icon: String,
    /// The other language's switch: (`?lang=` value, its name).
    other_lang: (&'static str, &'static str),
}

fn strings(lang: Lang) -> String {
    let mut m = serde_json::Map::new();
    for k in JS_KEYS {
        m.insert((*k).to_string(), lang.t(k).into());
    }
    let statuses: serde_json::Map<String, serde_json::Value> = Status::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), if lang == Lang::Zh { s.label_zh() } else { s.label_en() }.into()))
        .collect();
    m.insert("statuses".into(), statuses.into());
    serde_json::Value::Object(m).to_string()
}

/// `GET /m`: the app shell. Signed-in users only (others go to the login page and come back here).
pub async fn shell(lang: Lang, pa: PageActor) -> Response {
    let page = FieldShell {
        lang,
        csrf: pa.csrf.clone(),
        username: pa.actor.username.clone(),
        display_name: pa.actor.display_name.clone(),
        i18n_json: strings(lang),
        js: asset_url("field.js"),
        css: asset_url("field.css"),
        icon: asset_url("favicon.svg"),
        other_lang: if lang == Lang::Zh { ("en", "English") } else { ("zh", "中文") },
    };
    render(StatusCode::OK, &page)
}

/// `GET /m/sw.js`: the service worker, with its version and precache list prepended (the file itself stays
/// plain JavaScript). Never cached by HTTP, so the browser sees a new version at the next visit.
pub async fn service_worker() -> Response {
    let build = serde_json::json!({
        "version": version(),
        "shell": "/m",
        "assets": SHELL_ASSETS.iter().map(|a| asset_url(a)).collect::<Vec<_>>(),
    });
    let body = format!("const FIELD_BUILD = {build};\n{}", String::from_utf8_lossy(asset_bytes("field-sw.js")));
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // The scope `/m` is one level above the script's own folder (`/m/`): the browser needs this to allow it.
    h.insert("service-worker-allowed", HeaderValue::from_static("/m"));
    res
}

/// `GET /m/manifest.webmanifest`: installs the app on the home screen. Public: it names nothing private.
pub async fn manifest(lang: Lang) -> Response {
    let body = serde_json::json!({
        "name": format!("{} · {}", lang.t("fld_title"), lang.t("app_name")),
        "short_name": lang.t("fld_title"),
        "lang": lang.html_lang(),
        "start_url": "/m",
        "scope": "/m",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f6f6f4",
        "theme_color": "#c0392b",
        "icons": [{"src": "/assets/favicon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    });
    let mut res = body.to_string().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/manifest+json"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// `GET /m/session.json`: the session's CSRF token. A shell served offline from the worker's cache may carry the
/// token of an earlier session; the app asks here when the sync answers 403. JSON 401 when signed out (no
/// redirect: the caller is a script).
pub async fn session(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = cookie(&headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
        return ApiError(AppError::unauthorized()).into_response();
    };
    match app.actor_for_token(&token).await {
        Ok((actor, csrf)) => axum::Json(serde_json::json!({
            "csrf": csrf,
            "username": actor.username,
            "display_name": actor.display_name,
        }))
        .into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_the_script_uses_is_sent_and_translated() {
        let js = std::str::from_utf8(asset_bytes("field.js")).unwrap();
        let mut used = Vec::new();
        for part in js.split("t(\"").skip(1) {
            let key = part.split('"').next().unwrap();
            if key.starts_with("fld_") {
                used.push(key);
            }
        }
        assert!(used.len() > 50, "field.js should look its strings up with t(\"fld_…\")");
        for key in used {
            // `t("fld_kind_" + kind)` looks up a family of keys: at least one must be sent.
            let sent =
                if key.ends_with('_') { JS_KEYS.iter().any(|k| k.starts_with(key)) } else { JS_KEYS.contains(&key) };
            assert!(sent, "field.js uses {key}, which JS_KEYS does not send");
        }
        for key in JS_KEYS {
            assert!(crate::i18n::TEXTS.iter().any(|(k, _, _)| k == key), "untranslated key {key}");
        }
    }

    #[test]
    fn the_worker_and_the_shell_assets_are_embedded() {
        for name in SHELL_ASSETS.iter().chain(["field-sw.js"].iter()) {
            assert!(asset_bytes(name).len() > 100, "{name} missing or empty");
        }
        assert_eq!(version().len(), 16);
    }
}
