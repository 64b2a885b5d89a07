//! Resident services as stored: the catalogue, applications (written under an optimistic version) with their
//! steps and tracking-number sequences, in-app notifications on the outbox, stations' opening hours and
//! appointments with the load of each slot, the admission list and the tasks pushed onto communities.

use crate::sql::{Bind, Sql, roots_clause};
use crate::{Result, Store, StoreError, now_ms};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;

/// Lists stop counting here (a total above it means "more than").
pub const COUNT_CAP: i64 = 10_000;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CategoryRow {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub sort: i64,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ItemRow {
    pub code: String,
    pub category_code: String,
    pub name: String,
    pub name_en: String,
    /// JSON list of materials.
    pub materials: String,
    pub eligibility: String,
    pub basis: String,
    pub time_limit_days: i64,
    pub department_code: Option<String>,
    pub online: bool,
    pub active: bool,
    pub sort: i64,
}

const ITEM_COLS: &str = "code, category_code, name, name_en, materials, eligibility, basis, time_limit_days, \
     department_code, online, active, sort";

fn item_row(r: &AnyRow) -> std::result::Result<ItemRow, sqlx::Error> {
    Ok(ItemRow {
        code: r.try_get("code")?,
        category_code: r.try_get("category_code")?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
        materials: r.try_get("materials")?,
        eligibility: r.try_get("eligibility")?,
        basis: r.try_get("basis")?,
        time_limit_days: r.try_get("time_limit_days")?,
        department_code: r.try_get("department_code")?,
        online: r.try_get::<i64, _>("online")? != 0,
        active: r.try_get::<i64, _>("active")? != 0,
        sort: r.try_get("sort")?,
    })
}

/// An application (办件) row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApplicationRow {
    pub id: i64,
    pub tracking_no: String,
    pub item_code: String,
    pub department_code: Option<String>,
    pub person_id: i64,
    pub applicant_name: String,
    pub applicant_user_id: Option<i64>,
    pub grid_code: String,
    pub community_code: String,
    pub channel: String,
    pub window_label: String,
    pub status: String,
    pub resume_to: Option<String>,
    pub version: i64,
    /// JSON list of materials with what was received.
    pub materials: String,
    pub note: String,
    pub first_user_id: Option<i64>,
    pub first_username: String,
    pub first_name: String,
    pub handler: String,
    pub submitted_at: i64,
    pub accepted_at: Option<i64>,
    pub due_at: i64,
    pub paused_at: Option<i64>,
    pub warned_at: Option<i64>,
    pub escalated_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub result: String,
    pub satisfaction: Option<i64>,
    pub rating_note: String,
    pub rated_at: Option<i64>,
    pub updated_at: i64,
}

const APP_COLS: &str = "id, tracking_no, item_code, department_code, person_id, applicant_name, applicant_user_id, \
     grid_code, community_code, channel, window_label, status, resume_to, version, materials, note, first_user_id, \
     first_username, first_name, handler, submitted_at, accepted_at, due_at, paused_at, warned_at, escalated_at, \
     decided_at, finished_at, result, satisfaction, rating_note, rated_at, updated_at";

fn app_row(r: &AnyRow) -> std::result::Result<ApplicationRow, sqlx::Error> {
    Ok(ApplicationRow {
        id: r.try_get("id")?,
        tracking_no: r.try_get("tracking_no")?,
        item_code: r.try_get("item_code")?,
        department_code: r.try_get("department_code")?,
        person_id: r.try_get("person_id")?,
        applicant_name: r.try_get("applicant_name")?,
        applicant_user_id: r.try_get("applicant_user_id")?,
        grid_code: r.try_get("grid_code")?,
        community_code: r.try_get("community_code")?,
        channel: r.try_get("channel")?,
        window_label: r.try_get("window_label")?,
        status: r.try_get("status")?,
        resume_to: r.try_get("resume_to")?,
        version: r.try_get("version")?,
        materials: r.try_get("materials")?,
        note: r.try_get("note")?,
        first_user_id: r.try_get("first_user_id")?,
        first_username: r.try_get("first_username")?,
        first_name: r.try_get("first_name")?,
        handler: r.try_get("handler")?,
        submitted_at: r.try_get("submitted_at")?,
        accepted_at: r.try_get("accepted_at")?,
        due_at: r.try_get("due_at")?,
        paused_at: r.try_get("paused_at")?,
        warned_at: r.try_get("warned_at")?,
        escalated_at: r.try_get("escalated_at")?,
        decided_at: r.try_get("decided_at")?,
        finished_at: r.try_get("finished_at")?,
        result: r.try_get("result")?,
        satisfaction: r.try_get("satisfaction")?,
        rating_note: r.try_get("rating_note")?,
        rated_at: r.try_get("rated_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// One scope of an application list: a region subtree, and for a department's grant only its own items.
#[derive(Debug, Clone, PartialEq)]
pub struct AppScope {
    pub root: String,
    pub department: Option<String>,
}

/// Which applications a list shows.
#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter {
    /// `None`: everywhere (admin).
    pub scopes: Option<Vec<AppScope>>,
    /// Literal status codes (from the domain's vocabulary, never user text).
    pub statuses: Vec<&'static str>,
    pub open_only: bool,
    pub item_code: Option<String>,
    /// `Some(None)`: the items the station handles itself; `Some(Some(d))`: one department's.
    pub department: Option<Option<String>>,
    pub first_user_id: Option<i64>,
    pub person_id: Option<i64>,
    pub tracking_no: Option<String>,
    /// Open with the clock past this instant.
    pub overdue_at: Option<i64>,
    /// Order by deadline (a queue) instead of newest first.
    pub by_due: bool,
    /// The station desk's queue: online applications awaiting acceptance, and the items the station handles.
    pub station_queue: bool,
}

fn app_where(f: &ApplicationFilter, sql: &mut Sql) -> String {
    let mut wh = Vec::new();
    match &f.scopes {
        None => {}
        Some(scopes) if scopes.is_empty() => wh.push("1=0".to_string()),
        Some(scopes) => {
            let parts: Vec<String> = scopes
                .iter()
                .map(|s| {
                    let region = roots_clause(sql, "grid_code", Some(std::slice::from_ref(&s.root)));
                    match &s.department {
                        Some(d) => format!("({region} AND department_code = {})", sql.arg(Bind::Text(d.clone()))),
                        None => region,
                    }
                })
                .collect();
            wh.push(format!("({})", parts.join(" OR ")));
        }
    }
    if f.open_only {
        wh.push("is_open = 1".into());
    }
    if !f.statuses.is_empty() {
        let list: Vec<String> = f.statuses.iter().map(|s| format!("'{s}'")).collect();
        wh.push(format!("status IN ({})", list.join(", ")));
    }
    if let Some(i) = &f.item_code {
        wh.push(format!("item_code = {}", sql.arg(Bind::Text(i.clone()))));
    }
    match &f.department {
        None => {}
        Some(None) => wh.push("department_code IS NULL".into()),
        Some(Some(d)) => wh.push(format!("department_code = {}", sql.arg(Bind::Text(d.clone())))),
    }
    if let Some(u) = f.first_user_id {
        wh.push(format!("first_user_id = {}", sql.arg(Bind::Int(u))));
    }
    if let Some(p) = f.person_id {
        wh.push(format!("person_id = {}", sql.arg(Bind::Int(p))));
    }
    if let Some(t) = &f.tracking_no {
        wh.push(format!("tracking_no = {}", sql.arg(Bind::Text(t.clone()))));
    }
    if f.station_queue {
        wh.push("(status = 'submitted' OR department_code IS NULL)".into());
    }
    if let Some(at) = f.overdue_at {
        wh.push(format!(
            "is_open = 1 AND status IN ('submitted', 'accepted', 'processing', 'approved') AND due_at < {}",
            sql.arg(Bind::Int(at))
        ));
    }
    if wh.is_empty() { "1=1".into() } else { wh.join(" AND ") }
}

/// A cursor into a list: the last id (newest first) or the last (due_at, id) of a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppCursor {
    Id(i64),
    Due(i64, i64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub id: i64,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub actor: String,
    pub at: i64,
    pub note: String,
    pub data: String,
}

/// One application's facts for statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceFact {
    pub item_code: String,
    pub department_code: Option<String>,
    pub community_code: String,
    pub channel: String,
    pub window_label: String,
    pub first_name: String,
    pub status: String,
    pub submitted_at: i64,
    pub accepted_at: Option<i64>,
    pub due_at: i64,
    pub finished_at: Option<i64>,
    pub satisfaction: Option<i64>,
}

/// An in-app notification (an outbox row addressed to a user).
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRow {
    pub id: i64,
    pub at: i64,
    pub body: String,
    pub link: Option<String>,
    pub read_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HoursDbRow {
    pub weekday: i64,
    pub start_time: String,
    pub end_time: String,
    pub kind: String,
    pub slot_minutes: i64,
    pub capacity: i64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppointmentRow {
    pub id: i64,
    pub region_code: String,
    pub item_code: Option<String>,
    pub person_id: i64,
    pub person_name: String,
    pub booked_by: String,
    pub slot_start: i64,
    pub slot_end: i64,
    pub kind: String,
    pub status: String,
    pub note: String,
    pub version: i64,
    pub created_at: i64,
}

const APPOINTMENT_COLS: &str = "a.id, a.region_code, a.item_code, a.person_id, p.name AS person_name, a.booked_by, \
     a.slot_start, a.slot_end, a.kind, a.status, a.note, a.version, a.created_at";

fn appointment_row(r: &AnyRow) -> std::result::Result<AppointmentRow, sqlx::Error> {
    Ok(AppointmentRow {
        id: r.try_get("id")?,
        region_code: r.try_get("region_code")?,
        item_code: r.try_get("item_code")?,
        person_id: r.try_get("person_id")?,
        person_name: r.try_get("person_name")?,
        booked_by: r.try_get("booked_by")?,
        slot_start: r.try_get("slot_start")?,
        slot_end: r.try_get("slot_end")?,
        kind: r.try_get("kind")?,
        status: r.try_get("status")?,
        note: r.try_get("note")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdmissionRow {
    pub id: i64,
    pub department_code: String,
    pub code: String,
    pub name: String,
    pub region_code: String,
    pub basis: String,
    pub approved_on: String,
    pub funding_fen: Option<i64>,
    pub funding_note: String,
    pub active: bool,
    pub created_by: String,
}

const ADMISSION_COLS: &str =
    "id, department_code, code, name, region_code, basis, approved_on, funding_fen, funding_note, active, created_by";

fn admission_row(r: &AnyRow) -> std::result::Result<AdmissionRow, sqlx::Error> {
    Ok(AdmissionRow {
        id: r.try_get("id")?,
        department_code: r.try_get("department_code")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        region_code: r.try_get("region_code")?,
        basis: r.try_get("basis")?,
        approved_on: r.try_get("approved_on")?,
        funding_fen: r.try_get("funding_fen")?,
        funding_note: r.try_get("funding_note")?,
        active: r.try_get::<i64, _>("active")? != 0,
        created_by: r.try_get("created_by")?,
    })
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskRow {
    pub id: i64,
    pub kind: String,
    pub department_code: String,
    pub item_code: String,
    pub admission_item_id: Option<i64>,
    pub title: String,
    pub description: String,
    pub community_code: String,
    pub due_on: Option<String>,
    pub status: String,
    pub refusal: String,
    pub pushed_by: String,
    pub pushed_at: i64,
    pub accepted_by: String,
    pub accepted_at: Option<i64>,
    pub completed_by: String,
    pub completed_at: Option<i64>,
    pub result: String,
    pub version: i64,
}

const TASK_COLS: &str = "id, kind, department_code, item_code, admission_item_id, title, description, community_code, \
     due_on, status, refusal, pushed_by, pushed_at, accepted_by, accepted_at, completed_by, completed_at, result, version";

fn task_row(r: &AnyRow) -> std::result::Result<TaskRow, sqlx::Error> {
    Ok(TaskRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        department_code: r.try_get("department_code")?,
        item_code: r.try_get("item_code")?,
        admission_item_id: r.try_get("admission_item_id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        community_code: r.try_get("community_code")?,
        due_on: r.try_get("due_on")?,
        status: r.try_get("status")?,
        refusal: r.try_get("refusal")?,
        pushed_by: r.try_get("pushed_by")?,
        pushed_at: r.try_get("pushed_at")?,
        accepted_by: r.try_get("accepted_by")?,
        accepted_at: r.try_get("accepted_at")?,
        completed_by: r.try_get("completed_by")?,
        completed_at: r.try_get("completed_at")?,
        result: r.try_get("result")?,
        version: r.try_get("version")?,
    })
}

/// Which tasks a list shows.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Subtrees by community; `None` = everywhere.
    pub roots: Option<Vec<String>>,
    /// Only these departments' (a department user's own).
    pub departments: Option<Vec<String>>,
    pub status: Option<String>,
    pub community: Option<String>,
    /// Pushed in `[from, to)`.
    pub pushed_from: Option<i64>,
    pub pushed_to: Option<i64>,
}

fn task_where(f: &TaskFilter, sql: &mut Sql) -> String {
    let mut wh = vec![roots_clause(sql, "community_code", f.roots.as_deref())];
    if let Some(ds) = &f.departments {
        let list: Vec<String> = ds.iter().map(|d| sql.arg(Bind::Text(d.clone()))).collect();
        wh.push(if list.is_empty() { "1=0".into() } else { format!("department_code IN ({})", list.join(", ")) });
    }
    if let Some(s) = &f.status {
        wh.push(format!("status = {}", sql.arg(Bind::Text(s.clone()))));
    }
    if let Some(c) = &f.community {
        wh.push(format!("community_code = {}", sql.arg(Bind::Text(c.clone()))));
    }
    if let Some(t) = f.pushed_from {
        wh.push(format!("pushed_at >= {}", sql.arg(Bind::Int(t))));
    }
    if let Some(t) = f.pushed_to {
        wh.push(format!("pushed_at < {}", sql.arg(Bind::Int(t))));
    }
    wh.join(" AND ")
}

fn conflict(what: &str) -> StoreError {
    StoreError::Conflict(format!("{what} changed meanwhile"))
}

impl Store {
    // ───────────── catalogue ─────────────

    pub async fn service_categories(&self) -> Result<Vec<CategoryRow>> {
        let rows: Vec<(String, String, String, i64, i64)> =
            sqlx::query_as("SELECT code, name, name_en, sort, active FROM service_categories ORDER BY sort, code")
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(code, name, name_en, sort, active)| CategoryRow { code, name, name_en, sort, active: active != 0 })
            .collect())
    }

    pub async fn upsert_service_category(tx: &mut Transaction<'static, Any>, c: &CategoryRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO service_categories (code, name, name_en, sort, active) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, sort = excluded.sort, \
             active = excluded.active",
        )
        .bind(&c.code)
        .bind(&c.name)
        .bind(&c.name_en)
        .bind(c.sort)
        .bind(c.active as i64)
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "service category"))?;
        Ok(())
    }

    pub async fn service_items(&self) -> Result<Vec<ItemRow>> {
        let rows = sqlx::query(&format!("SELECT {ITEM_COLS} FROM service_items ORDER BY sort, code"))
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(item_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    pub async fn service_item(&self, code: &str) -> Result<Option<ItemRow>> {
        let row = sqlx::query(&format!("SELECT {ITEM_COLS} FROM service_items WHERE code = $1"))
            .bind(code)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(item_row).transpose()?)
    }

    pub async fn upsert_service_item(tx: &mut Transaction<'static, Any>, i: &ItemRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO service_items (code, category_code, name, name_en, materials, eligibility, basis, \
             time_limit_days, department_code, online, active, sort, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (code) DO UPDATE SET category_code = excluded.category_code, name = excluded.name, \
             name_en = excluded.name_en, materials = excluded.materials, eligibility = excluded.eligibility, \
             basis = excluded.basis, time_limit_days = excluded.time_limit_days, \
             department_code = excluded.department_code, online = excluded.online, active = excluded.active, \
             sort = excluded.sort, updated_at = excluded.updated_at",
        )
        .bind(&i.code)
        .bind(&i.category_code)
        .bind(&i.name)
        .bind(&i.name_en)
        .bind(&i.materials)
        .bind(&i.eligibility)
        .bind(&i.basis)
        .bind(i.time_limit_days)
        .bind(i.department_code.as_deref())
        .bind(i.online as i64)
        .bind(i.active as i64)
        .bind(i.sort)
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "service item"))?;
        Ok(())
    }

    // ───────────── applications ─────────────

    /// The next number of a tracking-number prefix (station + day), drawn inside the writing transaction: the
    /// row lock (PostgreSQL) or the single writer (SQLite) gives every acceptance its own number.
    pub async fn next_tracking_seq(tx: &mut Transaction<'static, Any>, prefix: &str) -> Result<i64> {
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO service_sequences (prefix, n) VALUES ($1, 1) \
             ON CONFLICT (prefix) DO UPDATE SET n = service_sequences.n + 1 RETURNING n",
        )
        .bind(prefix)
        .fetch_one(&mut **tx)
        .await?;
        Ok(row.0)
    }

    pub async fn insert_application(tx: &mut Transaction<'static, Any>, a: &ApplicationRow) -> Result<i64> {
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO service_applications (tracking_no, item_code, department_code, person_id, applicant_name, \
             applicant_user_id, grid_code, community_code, channel, window_label, status, is_open, materials, note, \
             first_user_id, first_username, first_name, submitted_at, accepted_at, due_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
             RETURNING id",
        )
        .bind(&a.tracking_no)
        .bind(&a.item_code)
        .bind(a.department_code.as_deref())
        .bind(a.person_id)
        .bind(&a.applicant_name)
        .bind(a.applicant_user_id)
        .bind(&a.grid_code)
        .bind(&a.community_code)
        .bind(&a.channel)
        .bind(&a.window_label)
        .bind(&a.status)
        .bind(&a.materials)
        .bind(&a.note)
        .bind(a.first_user_id)
        .bind(&a.first_username)
        .bind(&a.first_name)
        .bind(a.submitted_at)
        .bind(a.accepted_at)
        .bind(a.due_at)
        .bind(a.submitted_at)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "application"))?;
        Ok(row.0)
    }

    /// Writes the changed application if nobody changed it meanwhile (Conflict otherwise); `open` follows.
    pub async fn save_application(tx: &mut Transaction<'static, Any>, a: &ApplicationRow, open: bool) -> Result<()> {
        let done = sqlx::query(
            "UPDATE service_applications SET status = $1, is_open = $2, resume_to = $3, version = version + 1, \
             materials = $4, first_user_id = $5, first_username = $6, first_name = $7, handler = $8, \
             accepted_at = $9, due_at = $10, paused_at = $11, warned_at = $12, escalated_at = $13, decided_at = $14, \
             finished_at = $15, result = $16, satisfaction = $17, rating_note = $18, rated_at = $19, updated_at = $20, \
             window_label = $21 WHERE id = $22 AND version = $23",
        )
        .bind(&a.status)
        .bind(open as i64)
        .bind(a.resume_to.as_deref())
        .bind(&a.materials)
        .bind(a.first_user_id)
        .bind(&a.first_username)
        .bind(&a.first_name)
        .bind(&a.handler)
        .bind(a.accepted_at)
        .bind(a.due_at)
        .bind(a.paused_at)
        .bind(a.warned_at)
        .bind(a.escalated_at)
        .bind(a.decided_at)
        .bind(a.finished_at)
        .bind(&a.result)
        .bind(a.satisfaction)
        .bind(&a.rating_note)
        .bind(a.rated_at)
        .bind(now_ms())
        .bind(&a.window_label)
        .bind(a.id)
        .bind(a.version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(conflict(&format!("application {}", a.id)));
        }
        Ok(())
    }

    pub async fn application(&self, id: i64) -> Result<ApplicationRow> {
        let row = sqlx::query(&format!("SELECT {APP_COLS} FROM service_applications WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(app_row(&row)?)
    }

    /// A page of applications (newest first, or by deadline for a queue) and the total counted up to
    /// [`COUNT_CAP`] + 1.
    pub async fn applications(
        &self,
        f: &ApplicationFilter,
        after: Option<AppCursor>,
        limit: i64,
    ) -> Result<(Vec<ApplicationRow>, i64)> {
        let mut count = Sql::default();
        let wh = app_where(f, &mut count);
        count.text = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM service_applications WHERE {wh} LIMIT {}) AS m",
            COUNT_CAP + 1
        );
        let total: i64 = count.query().fetch_one(self.pool()).await?.try_get(0)?;
        let mut page = Sql::default();
        let mut wh = app_where(f, &mut page);
        match after {
            Some(AppCursor::Id(b)) => wh.push_str(&format!(" AND id < {}", page.arg(Bind::Int(b)))),
            Some(AppCursor::Due(d, i)) => {
                let (a, b, c) = (page.arg(Bind::Int(d)), page.arg(Bind::Int(d)), page.arg(Bind::Int(i)));
                wh.push_str(&format!(" AND (due_at > {a} OR (due_at = {b} AND id > {c}))"));
            }
            None => {}
        }
        let order = if f.by_due { "due_at, id" } else { "id DESC" };
        let lim = page.arg(Bind::Int(limit));
        page.text = format!("SELECT {APP_COLS} FROM service_applications WHERE {wh} ORDER BY {order} LIMIT {lim}");
        let rows = page.query().fetch_all(self.pool()).await?;
        Ok((rows.iter().map(app_row).collect::<std::result::Result<Vec<_>, _>>()?, total))
    }

    pub async fn insert_service_step(
        tx: &mut Transaction<'static, Any>,
        application_id: i64,
        s: &StepRow,
    ) -> Result<i64> {
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO service_steps (application_id, action, from_status, to_status, actor, at, note, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(application_id)
        .bind(&s.action)
        .bind(&s.from_status)
        .bind(&s.to_status)
        .bind(&s.actor)
        .bind(s.at)
        .bind(&s.note)
        .bind(&s.data)
        .fetch_one(&mut **tx)
        .await?;
        Ok(row.0)
    }

    pub async fn service_steps(&self, application_id: i64) -> Result<Vec<StepRow>> {
        let rows = sqlx::query(
            "SELECT id, action, from_status, to_status, actor, at, note, data FROM service_steps \
             WHERE application_id = $1 ORDER BY id",
        )
        .bind(application_id)
        .fetch_all(self.pool())
        .await?;
        let step = |r: &AnyRow| -> std::result::Result<StepRow, sqlx::Error> {
            Ok(StepRow {
                id: r.try_get("id")?,
                action: r.try_get("action")?,
                from_status: r.try_get("from_status")?,
                to_status: r.try_get("to_status")?,
                actor: r.try_get("actor")?,
                at: r.try_get("at")?,
                note: r.try_get("note")?,
                data: r.try_get("data")?,
            })
        };
        Ok(rows.iter().map(step).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// Open applications whose clock runs and whose deadline is before `before` and that were not yet `flag`ged
    /// (`warned_at` or `escalated_at`): the sweep's candidates, most urgent first.
    pub async fn applications_due(&self, before: i64, flag: &str, limit: i64) -> Result<Vec<ApplicationRow>> {
        let col = if flag == "warned_at" { "warned_at" } else { "escalated_at" };
        let rows = sqlx::query(&format!(
            "SELECT {APP_COLS} FROM service_applications WHERE is_open = 1 AND due_at < $1 AND {col} IS NULL \
             AND status IN ('submitted', 'accepted', 'processing', 'approved') ORDER BY due_at LIMIT {}",
            limit.max(0)
        ))
        .bind(before)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(app_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// The facts statistics count, for applications submitted in `[from, to)` within the scopes.
    pub async fn service_facts(&self, scopes: &Option<Vec<AppScope>>, from: i64, to: i64) -> Result<Vec<ServiceFact>> {
        let f = ApplicationFilter { scopes: scopes.clone(), ..Default::default() };
        let mut sql = Sql::default();
        let wh = app_where(&f, &mut sql);
        let (a, b) = (sql.arg(Bind::Int(from)), sql.arg(Bind::Int(to)));
        sql.text = format!(
            "SELECT item_code, department_code, community_code, channel, window_label, first_name, status, \
             submitted_at, accepted_at, due_at, finished_at, satisfaction FROM service_applications \
             WHERE {wh} AND submitted_at >= {a} AND submitted_at < {b}"
        );
        let rows = sql.query().fetch_all(self.pool()).await?;
        let fact = |r: &AnyRow| -> std::result::Result<ServiceFact, sqlx::Error> {
            Ok(ServiceFact {
                item_code: r.try_get("item_code")?,
                department_code: r.try_get("department_code")?,
                community_code: r.try_get("community_code")?,
                channel: r.try_get("channel")?,
                window_label: r.try_get("window_label")?,
                first_name: r.try_get("first_name")?,
                status: r.try_get("status")?,
                submitted_at: r.try_get("submitted_at")?,
                accepted_at: r.try_get("accepted_at")?,
                due_at: r.try_get("due_at")?,
                finished_at: r.try_get("finished_at")?,
                satisfaction: r.try_get("satisfaction")?,
            })
        };
        Ok(rows.iter().map(fact).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// Ties an upload (not yet used, made by `uploader`) to the application whose materials it is.
    pub async fn claim_attachment_for_application(
        tx: &mut Transaction<'static, Any>,
        id: i64,
        application_id: i64,
        uploader: &str,
    ) -> Result<()> {
        crate::events::claim(tx, "application_id = $1", &[application_id], id, uploader).await
    }

    /// The application an attachment documents (if any) and who uploaded it.
    pub async fn attachment_application(&self, id: i64) -> Result<(Option<i64>, String)> {
        let row: Option<(Option<i64>, String)> =
            sqlx::query_as("SELECT application_id, uploader FROM attachments WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        row.ok_or(StoreError::NotFound)
    }

    /// The attachments of an application: (id, name, content type, size, has a thumbnail).
    pub async fn application_attachments(&self, application_id: i64) -> Result<Vec<(i64, String, String, i64, bool)>> {
        let rows: Vec<(i64, String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT id, name, content_type, size, thumb_path FROM attachments WHERE application_id = $1 ORDER BY id",
        )
        .bind(application_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(i, n, c, s, t)| (i, n, c, s, t.is_some())).collect())
    }

    /// People living in a subtree, oldest records first: (id, name, grid): the demo's applicants.
    pub async fn residents_of(&self, root: &str, limit: i64) -> Result<Vec<(i64, String, String)>> {
        let (lo, hi) = crate::prefix_range(root);
        Ok(sqlx::query_as(&format!(
            "SELECT id, name, grid_code FROM people WHERE grid_code >= $1 AND grid_code < $2 \
             AND residence_status = 'present' AND merged_into IS NULL ORDER BY id LIMIT {}",
            limit.max(0)
        ))
        .bind(lo)
        .bind(hi)
        .fetch_all(self.pool())
        .await?)
    }

    // ───────────── notifications ─────────────

    /// An in-app notification for a user: an outbox row on the `inbox` channel, delivered at once.
    pub async fn notify_user(tx: &mut Transaction<'static, Any>, user_id: i64, body: &str, link: &str) -> Result<()> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO outbox (at, channel, recipient_enc, body, recipient_user_id, link, sent_at) \
             VALUES ($1, 'inbox', '', $2, $3, $4, $5)",
        )
        .bind(now)
        .bind(body)
        .bind(user_id)
        .bind(link)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// A user's notifications, newest first, before `before_id`; and how many are unread.
    pub async fn notifications(
        &self,
        user_id: i64,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<NotificationRow>, i64)> {
        let rows = sqlx::query(&format!(
            "SELECT id, at, body, link, read_at FROM outbox WHERE recipient_user_id = $1 AND channel = 'inbox' \
             AND id < $2 ORDER BY id DESC LIMIT {}",
            limit.max(0)
        ))
        .bind(user_id)
        .bind(before_id.unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await?;
        let note = |r: &AnyRow| -> std::result::Result<NotificationRow, sqlx::Error> {
            Ok(NotificationRow {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                body: r.try_get("body")?,
                link: r.try_get("link")?,
                read_at: r.try_get("read_at")?,
            })
        };
        let rows = rows.iter().map(note).collect::<std::result::Result<Vec<_>, _>>()?;
        let unread: (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM outbox WHERE recipient_user_id = $1 AND channel = 'inbox' AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(self.pool())
        .await?;
        Ok((rows, unread.0))
    }

    /// Marks a user's notifications read (all, or those up to `up_to_id`); returns how many changed.
    pub async fn mark_notifications_read(&self, user_id: i64, up_to_id: Option<i64>) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE outbox SET read_at = $1 WHERE recipient_user_id = $2 AND channel = 'inbox' AND read_at IS NULL \
             AND id <= $3",
        )
        .bind(now_ms())
        .bind(user_id)
        .bind(up_to_id.unwrap_or(i64::MAX))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    // ───────────── opening hours and appointments ─────────────

    pub async fn service_hours(&self, region_code: &str) -> Result<Vec<HoursDbRow>> {
        let rows: Vec<(i64, String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT weekday, start_time, end_time, kind, slot_minutes, capacity FROM service_hours \
             WHERE region_code = $1 ORDER BY weekday, start_time",
        )
        .bind(region_code)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(weekday, start_time, end_time, kind, slot_minutes, capacity)| HoursDbRow {
                weekday,
                start_time,
                end_time,
                kind,
                slot_minutes,
                capacity,
            })
            .collect())
    }

    /// Replaces a station's whole schedule.
    pub async fn replace_service_hours(
        tx: &mut Transaction<'static, Any>,
        region_code: &str,
        rows: &[HoursDbRow],
    ) -> Result<()> {
        sqlx::query("DELETE FROM service_hours WHERE region_code = $1").bind(region_code).execute(&mut **tx).await?;
        for r in rows {
            sqlx::query(
                "INSERT INTO service_hours (region_code, weekday, start_time, end_time, kind, slot_minutes, capacity) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(region_code)
            .bind(r.weekday)
            .bind(&r.start_time)
            .bind(&r.end_time)
            .bind(&r.kind)
            .bind(r.slot_minutes)
            .bind(r.capacity)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Takes one place in a slot if fewer than `capacity` are booked; false when it is full. One statement, so
    /// two bookings of the last place cannot both pass.
    pub async fn take_slot(
        tx: &mut Transaction<'static, Any>,
        region_code: &str,
        slot_start: i64,
        capacity: i64,
    ) -> Result<bool> {
        let row: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO service_slot_load (region_code, slot_start, booked) VALUES ($1, $2, 1) \
             ON CONFLICT (region_code, slot_start) DO UPDATE SET booked = service_slot_load.booked + 1 \
             WHERE service_slot_load.booked < $3 RETURNING booked",
        )
        .bind(region_code)
        .bind(slot_start)
        .bind(capacity)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(row.is_some_and(|(n,)| n <= capacity))
    }

    pub async fn release_slot(tx: &mut Transaction<'static, Any>, region_code: &str, slot_start: i64) -> Result<()> {
        sqlx::query(
            "UPDATE service_slot_load SET booked = booked - 1 WHERE region_code = $1 AND slot_start = $2 AND booked > 0",
        )
        .bind(region_code)
        .bind(slot_start)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Bookings per slot start of a station in `[from, to)`.
    pub async fn slot_loads(&self, region_code: &str, from: i64, to: i64) -> Result<HashMap<i64, i64>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT slot_start, booked FROM service_slot_load WHERE region_code = $1 AND slot_start >= $2 AND slot_start < $3",
        )
        .bind(region_code)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().collect())
    }

    pub async fn insert_appointment(tx: &mut Transaction<'static, Any>, a: &AppointmentRow) -> Result<i64> {
        let now = now_ms();
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO service_appointments (region_code, item_code, person_id, booked_by, slot_start, slot_end, kind, \
             status, note, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(&a.region_code)
        .bind(a.item_code.as_deref())
        .bind(a.person_id)
        .bind(&a.booked_by)
        .bind(a.slot_start)
        .bind(a.slot_end)
        .bind(&a.kind)
        .bind(&a.status)
        .bind(&a.note)
        .bind(now)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "appointment"))?;
        Ok(row.0)
    }

    pub async fn appointment(&self, id: i64) -> Result<AppointmentRow> {
        let row = sqlx::query(&format!(
            "SELECT {APPOINTMENT_COLS} FROM service_appointments a JOIN people p ON p.id = a.person_id WHERE a.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(appointment_row(&row)?)
    }

    pub async fn set_appointment_status(
        tx: &mut Transaction<'static, Any>,
        id: i64,
        version: i64,
        status: &str,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE service_appointments SET status = $1, version = version + 1, updated_at = $2 \
             WHERE id = $3 AND version = $4",
        )
        .bind(status)
        .bind(now_ms())
        .bind(id)
        .bind(version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(conflict(&format!("appointment {id}")));
        }
        Ok(())
    }

    /// Appointments of the stations under `roots` (or one person's) starting in `[from, to)`, in time order.
    pub async fn appointments(
        &self,
        roots: Option<&[String]>,
        person_id: Option<i64>,
        from: i64,
        to: i64,
    ) -> Result<Vec<AppointmentRow>> {
        let mut sql = Sql::default();
        let mut wh = vec![roots_clause(&mut sql, "a.region_code", roots)];
        if let Some(p) = person_id {
            wh.push(format!("a.person_id = {}", sql.arg(Bind::Int(p))));
        }
        let (a, b) = (sql.arg(Bind::Int(from)), sql.arg(Bind::Int(to)));
        sql.text = format!(
            "SELECT {APPOINTMENT_COLS} FROM service_appointments a JOIN people p ON p.id = a.person_id \
             WHERE {} AND a.slot_start >= {a} AND a.slot_start < {b} ORDER BY a.slot_start, a.id LIMIT 1000",
            wh.join(" AND ")
        );
        let rows = sql.query().fetch_all(self.pool()).await?;
        Ok(rows.iter().map(appointment_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    // ───────────── admission list and tasks ─────────────

    pub async fn admission_items(&self, department: Option<&str>) -> Result<Vec<AdmissionRow>> {
        let rows =
            match department {
                Some(d) => sqlx::query(&format!(
                    "SELECT {ADMISSION_COLS} FROM admission_items WHERE department_code = $1 ORDER BY code, region_code"
                ))
                .bind(d)
                .fetch_all(self.pool())
                .await?,
                None => {
                    sqlx::query(&format!(
                        "SELECT {ADMISSION_COLS} FROM admission_items ORDER BY department_code, code, region_code"
                    ))
                    .fetch_all(self.pool())
                    .await?
                }
            };
        Ok(rows.iter().map(admission_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    pub async fn admission_item(&self, id: i64) -> Result<AdmissionRow> {
        let row = sqlx::query(&format!("SELECT {ADMISSION_COLS} FROM admission_items WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(admission_row(&row)?)
    }

    pub async fn insert_admission_item(tx: &mut Transaction<'static, Any>, a: &AdmissionRow) -> Result<i64> {
        let now = now_ms();
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO admission_items (department_code, code, name, region_code, basis, approved_on, funding_fen, \
             funding_note, active, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(&a.department_code)
        .bind(&a.code)
        .bind(&a.name)
        .bind(&a.region_code)
        .bind(&a.basis)
        .bind(&a.approved_on)
        .bind(a.funding_fen)
        .bind(&a.funding_note)
        .bind(a.active as i64)
        .bind(&a.created_by)
        .bind(now)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "admission item"))?;
        Ok(row.0)
    }

    pub async fn update_admission_item(tx: &mut Transaction<'static, Any>, a: &AdmissionRow) -> Result<()> {
        sqlx::query(
            "UPDATE admission_items SET name = $1, basis = $2, approved_on = $3, funding_fen = $4, funding_note = $5, \
             active = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(&a.name)
        .bind(&a.basis)
        .bind(&a.approved_on)
        .bind(a.funding_fen)
        .bind(&a.funding_note)
        .bind(a.active as i64)
        .bind(now_ms())
        .bind(a.id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn insert_community_task(tx: &mut Transaction<'static, Any>, t: &TaskRow) -> Result<i64> {
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO community_tasks (kind, department_code, item_code, admission_item_id, title, description, \
             community_code, due_on, status, refusal, pushed_by, pushed_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(&t.kind)
        .bind(&t.department_code)
        .bind(&t.item_code)
        .bind(t.admission_item_id)
        .bind(&t.title)
        .bind(&t.description)
        .bind(&t.community_code)
        .bind(t.due_on.as_deref())
        .bind(&t.status)
        .bind(&t.refusal)
        .bind(&t.pushed_by)
        .bind(t.pushed_at)
        .bind(t.pushed_at)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "task"))?;
        Ok(row.0)
    }

    pub async fn community_task(&self, id: i64) -> Result<TaskRow> {
        let row = sqlx::query(&format!("SELECT {TASK_COLS} FROM community_tasks WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(task_row(&row)?)
    }

    pub async fn save_community_task(tx: &mut Transaction<'static, Any>, t: &TaskRow) -> Result<()> {
        let done = sqlx::query(
            "UPDATE community_tasks SET status = $1, accepted_by = $2, accepted_at = $3, completed_by = $4, \
             completed_at = $5, result = $6, version = version + 1, updated_at = $7 WHERE id = $8 AND version = $9",
        )
        .bind(&t.status)
        .bind(&t.accepted_by)
        .bind(t.accepted_at)
        .bind(&t.completed_by)
        .bind(t.completed_at)
        .bind(&t.result)
        .bind(now_ms())
        .bind(t.id)
        .bind(t.version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(conflict(&format!("task {}", t.id)));
        }
        Ok(())
    }

    /// Newest first, before `before_id`, with the total matching.
    pub async fn community_tasks(
        &self,
        f: &TaskFilter,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<TaskRow>, i64)> {
        let mut count = Sql::default();
        let wh = task_where(f, &mut count);
        count.text = format!("SELECT COUNT(*) FROM community_tasks WHERE {wh}");
        let total: i64 = count.query().fetch_one(self.pool()).await?.try_get(0)?;
        let mut page = Sql::default();
        let mut wh = task_where(f, &mut page);
        if let Some(b) = before_id {
            wh.push_str(&format!(" AND id < {}", page.arg(Bind::Int(b))));
        }
        let lim = page.arg(Bind::Int(limit.max(0)));
        page.text = format!("SELECT {TASK_COLS} FROM community_tasks WHERE {wh} ORDER BY id DESC LIMIT {lim}");
        let rows = page.query().fetch_all(self.pool()).await?;
        Ok((rows.iter().map(task_row).collect::<std::result::Result<Vec<_>, _>>()?, total))
    }

    /// Every task matching (for the report; bounded by the period asked).
    pub async fn all_community_tasks(&self, f: &TaskFilter) -> Result<Vec<TaskRow>> {
        let mut sql = Sql::default();
        let wh = task_where(f, &mut sql);
        sql.text = format!("SELECT {TASK_COLS} FROM community_tasks WHERE {wh} ORDER BY id LIMIT 100000");
        let rows = sql.query().fetch_all(self.pool()).await?;
        Ok(rows.iter().map(task_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }
}
