use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, Query};
use axum::extract::State;
use serde::Deserialize;
use wangge_app::audit::{AuditQuery, AuditView};
use wangge_app::paging::Page;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Date (2026-01-31) or RFC 3339 time.
    pub from: Option<String>,
    /// Date (inclusive: the whole day) or RFC 3339 time.
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Audit records, newest first: every write and every reveal of personal data. Admins and district staff (their district).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = Page<AuditView>), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<AuditParams>,
) -> ApiResult<axum::Json<Page<AuditView>>> {
    let q = AuditQuery {
        actor: p.actor.as_deref(),
        action: p.action.as_deref(),
        from: p.from.as_deref(),
        to: p.to.as_deref(),
        limit: p.limit,
        cursor: p.cursor.as_deref(),
    };
    Ok(axum::Json(app.list_audit(&a, q).await?))
}
