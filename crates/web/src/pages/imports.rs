//! Importing resident and house lists from the files community staff already keep (DESIGN.md §5), in the
//! browser: upload with a progress bar, a result page with the counts, and the rejected rows as a download
//! with a 错误原因 column. The work itself is the same app function the CLI calls.

use super::{PageActor, UserBar, error_page, form_error, message, render};
use crate::AppState;
use crate::extract::constant_time_eq;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use wangge_app::AppError;
use wangge_app::import_residents::{Source, errors_file, no_progress};
use wangge_domain::role::Permission;

/// Uploads may be large spreadsheets; the rest of the site keeps the 1 MiB limit.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    error: Option<String>,
    kinds: [(&'static str, &'static str); 2],
}

const KINDS: [(&str, &str); 2] = [("residents", "import_residents"), ("houses", "import_houses")];

/// What the result page shows; kept next to the errors file so the page can be reloaded.
#[derive(Serialize, Deserialize)]
struct ImportResult {
    user_id: i64,
    kind: String,
    file_name: String,
    imported: usize,
    rejected: usize,
    errors_file: Option<String>,
    /// The first rejected rows with their reasons, shown on the page so most fixes need no download.
    #[serde(default)]
    first_errors: Vec<(usize, String)>,
}

#[derive(Template)]
#[template(path = "import_result.html")]
struct ResultPage {
    lang: Lang,
    user: Option<UserBar>,
    id: String,
    r: ImportResult,
}

fn kind_ok(kind: &str) -> bool {
    matches!(kind, "residents" | "houses")
}

fn results_dir(app: &AppState) -> std::path::PathBuf {
    app.config.data_dir.join("files").join("imports")
}

pub async fn page(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    if let Err(e) = app.authorize_anywhere(&pa.actor, Permission::ManageRegister) {
        return error_page(lang, pa.bar(), &e);
    }
    render(StatusCode::OK, &ImportPage { lang, user: pa.bar(), csrf: pa.csrf.clone(), error: None, kinds: KINDS })
}

/// Reads the multipart form (CSRF token and file), runs the import, stores the result and redirects to it.
pub async fn upload(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Path(kind): Path<String>,
    mut form: Multipart,
) -> Response {
    if !kind_ok(&kind) {
        return message(lang, 404, lang.t("not_found"), &kind);
    }
    let (mut csrf, mut file) = (String::new(), None);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("csrf") => csrf = field.text().await.unwrap_or_default(),
                Some("file") => {
                    let name = field.file_name().unwrap_or("upload.csv").to_string();
                    match field.bytes().await {
                        Ok(b) => file = Some((name, b)),
                        Err(e) => return again(lang, &pa, StatusCode::BAD_REQUEST, e.body_text()),
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(e) => return again(lang, &pa, StatusCode::BAD_REQUEST, e.body_text()),
        }
    }
    if !constant_time_eq(&csrf, &pa.csrf) {
        return message(lang, 403, lang.t("forbidden"), lang.t("session_expired"));
    }
    let Some((name, data)) = file.filter(|(_, d)| !d.is_empty()) else {
        return again(lang, &pa, StatusCode::BAD_REQUEST, lang.t("choose_file").to_string());
    };
    let src = Source::Bytes { name: &name, data: &data };
    let report = match kind.as_str() {
        "residents" => app.import_residents(&pa.actor, src, &no_progress).await,
        _ => app.import_houses(&pa.actor, src, &no_progress).await,
    };
    let report = match report {
        Ok(r) => r,
        Err(e) if e.kind == wangge_app::ErrorKind::Forbidden => return error_page(lang, pa.bar(), &e),
        Err(e) => return again(lang, &pa, StatusCode::BAD_REQUEST, form_error(lang, &e)),
    };
    match store_result(&app, &pa, &kind, &name, &report) {
        Ok(id) => Redirect::to(&format!("/import/results/{id}")).into_response(),
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

fn again(lang: Lang, pa: &PageActor, status: StatusCode, error: String) -> Response {
    render(status, &ImportPage { lang, user: pa.bar(), csrf: pa.csrf.clone(), error: Some(error), kinds: KINDS })
}

fn store_result(
    app: &AppState,
    pa: &PageActor,
    kind: &str,
    name: &str,
    report: &wangge_app::import::ImportReport,
) -> Result<String, AppError> {
    let id = wangge_app::auth::random_token()[..24].to_string();
    let dir = results_dir(app);
    let io = |e: std::io::Error| AppError::internal(format!("writing import result: {e}"));
    std::fs::create_dir_all(&dir).map_err(io)?;
    let errors = errors_file(name, report)?;
    if let Some((file_name, bytes)) = &errors {
        std::fs::write(dir.join(format!("{id}-{file_name}")), bytes).map_err(io)?;
    }
    let r = ImportResult {
        user_id: pa.actor.user_id,
        kind: kind.to_string(),
        file_name: name.to_string(),
        imported: report.imported,
        rejected: report.rejected_count(),
        errors_file: errors.map(|(n, _)| n),
        first_errors: report.rejected.iter().take(50).map(|r| (r.row, r.reason.clone())).collect(),
    };
    let json = serde_json::to_vec(&r).map_err(|e| AppError::internal(e.to_string()))?;
    std::fs::write(dir.join(format!("{id}.json")), json).map_err(io)?;
    Ok(id)
}

/// A result belongs to the user who uploaded; anyone else gets 404, as for anything outside their scope.
fn load_result(app: &AppState, pa: &PageActor, id: &str) -> Result<ImportResult, AppError> {
    let not_found = || AppError::not_found("import");
    if id.len() != 24 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let bytes = std::fs::read(results_dir(app).join(format!("{id}.json"))).map_err(|_| not_found())?;
    let r: ImportResult = serde_json::from_slice(&bytes).map_err(|_| not_found())?;
    if r.user_id != pa.actor.user_id {
        return Err(not_found());
    }
    Ok(r)
}

pub async fn result(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(id): Path<String>) -> Response {
    match load_result(&app, &pa, &id) {
        Ok(r) => render(StatusCode::OK, &ResultPage { lang, user: pa.bar(), id, r }),
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

pub async fn errors_download(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Path(id): Path<String>,
) -> Response {
    let r = match load_result(&app, &pa, &id) {
        Ok(r) => r,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let Some(name) = r.errors_file else {
        return error_page(lang, pa.bar(), &AppError::not_found("errors file"));
    };
    let Ok(bytes) = std::fs::read(results_dir(&app).join(format!("{id}-{name}"))) else {
        return error_page(lang, pa.bar(), &AppError::not_found("errors file"));
    };
    let mime = if name.ends_with(".xlsx") {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        "text/csv; charset=utf-8"
    };
    let mut res = bytes.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    let disposition = format!("attachment; filename*=UTF-8''{}", super::urlencode(&name));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// The empty import template, so staff start from the right headers (same file as `wangge template`).
pub async fn template(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(file): Path<String>) -> Response {
    if let Err(e) = app.authorize_anywhere(&pa.actor, Permission::ManageRegister) {
        return error_page(lang, pa.bar(), &e);
    }
    let write: fn(&std::path::Path) -> wangge_app::Result<()> = match file.as_str() {
        "residents.xlsx" => wangge_app::export::write_residents_template,
        "houses.xlsx" => wangge_app::export::write_houses_template,
        _ => return message(lang, 404, lang.t("not_found"), &file),
    };
    let bytes = tempfile_bytes(&file, write);
    match bytes {
        Ok(bytes) => {
            let mut res = bytes.into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            );
            let name = if file.starts_with("residents") {
                "实有人口导入模板.xlsx"
            } else {
                "实有房屋导入模板.xlsx"
            };
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{}", super::urlencode(name))) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

/// The template writers write files; a private temporary directory turns that into bytes.
fn tempfile_bytes(name: &str, write: fn(&std::path::Path) -> wangge_app::Result<()>) -> Result<Vec<u8>, AppError> {
    let dir = std::env::temp_dir().join(format!("wangge-tpl-{}", wangge_app::auth::random_token()));
    let io = |e: std::io::Error| AppError::internal(format!("template: {e}"));
    std::fs::create_dir_all(&dir).map_err(io)?;
    let path = dir.join(name);
    let out = write(&path).and_then(|_| std::fs::read(&path).map_err(io));
    let _ = std::fs::remove_dir_all(&dir);
    out
}
