//! Events as stored: the event row (one row per event, changed under an optimistic version), the timeline
//! of actions, the departments an event is dispatched to, categories, routing rules, the calendar's dated
//! exceptions, attachments, the outbox, and the rollups the indicators read.

use crate::register::{Val, add_to_counters, insert_returning_ids};
use crate::{Result, Store, StoreError, now_ms, prefix_range};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventRow {
    pub id: i64,
    pub grid_code: String,
    pub category_code: String,
    pub description: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub source: String,
    pub status: String,
    pub version: i64,
    pub triage: String,
    pub level: String,
    pub lead_department: String,
    pub reporter_user_id: Option<i64>,
    pub reporter_name: String,
    pub reporter_contact_enc: Option<String>,
    pub reporter_contact_masked: Option<String>,
    pub anonymous: bool,
    pub token_hash: Option<String>,
    pub external_id: Option<String>,
    pub attributes: String,
    pub reported_at: i64,
    pub updated_at: i64,
    pub registered_at: Option<i64>,
    pub handled_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub due_at: Option<i64>,
    pub stage_due_at: Option<i64>,
    pub handle_due_at: Option<i64>,
    pub resume_status: Option<String>,
    pub suspended_at: Option<i64>,
    pub pending_postpone_hours: Option<i64>,
    pub postponed_hours: i64,
    pub card: String,
    pub rework_count: i64,
    pub satisfaction: Option<i64>,
    pub escalated_at: Option<i64>,
    pub merged_into: Option<i64>,
}

const EVENT_COLS: &str = "id, grid_code, category_code, description, address, lat, lon, source, status, version, \
    triage, level, lead_department, reporter_user_id, reporter_name, reporter_contact_enc, reporter_contact_masked, \
    anonymous, token_hash, external_id, attributes, reported_at, updated_at, registered_at, handled_at, closed_at, \
    due_at, stage_due_at, handle_due_at, resume_status, suspended_at, pending_postpone_hours, postponed_hours, card, \
    rework_count, satisfaction, escalated_at, merged_into";

fn event_row(r: &AnyRow) -> std::result::Result<EventRow, sqlx::Error> {
    Ok(EventRow {
        id: r.try_get("id")?,
        grid_code: r.try_get("grid_code")?,
        category_code: r.try_get("category_code")?,
        description: r.try_get("description")?,
        address: r.try_get("address")?,
        lat: r.try_get("lat")?,
        lon: r.try_get("lon")?,
        source: r.try_get("source")?,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        triage: r.try_get("triage")?,
        level: r.try_get("level")?,
        lead_department: r.try_get("lead_department")?,
        reporter_user_id: r.try_get("reporter_user_id")?,
        reporter_name: r.try_get("reporter_name")?,
        reporter_contact_enc: r.try_get("reporter_contact_enc")?,
        reporter_contact_masked: r.try_get("reporter_contact_masked")?,
        anonymous: r.try_get::<i64, _>("anonymous")? != 0,
        token_hash: r.try_get("token_hash")?,
        external_id: r.try_get("external_id")?,
        attributes: r.try_get("attributes")?,
        reported_at: r.try_get("reported_at")?,
        updated_at: r.try_get("updated_at")?,
        registered_at: r.try_get("registered_at")?,
        handled_at: r.try_get("handled_at")?,
        closed_at: r.try_get("closed_at")?,
        due_at: r.try_get("due_at")?,
        stage_due_at: r.try_get("stage_due_at")?,
        handle_due_at: r.try_get("handle_due_at")?,
        resume_status: r.try_get("resume_status")?,
        suspended_at: r.try_get("suspended_at")?,
        pending_postpone_hours: r.try_get("pending_postpone_hours")?,
        postponed_hours: r.try_get("postponed_hours")?,
        card: r.try_get("card")?,
        rework_count: r.try_get("rework_count")?,
        satisfaction: r.try_get("satisfaction")?,
        escalated_at: r.try_get("escalated_at")?,
        merged_into: r.try_get("merged_into")?,
    })
}

fn action_row(r: &AnyRow) -> std::result::Result<ActionRow, sqlx::Error> {
    Ok(ActionRow {
        id: r.try_get("id")?,
        event_id: r.try_get("event_id")?,
        at: r.try_get("at")?,
        action: r.try_get("action")?,
        from_status: r.try_get("from_status")?,
        to_status: r.try_get("to_status")?,
        actor: r.try_get("actor")?,
        actor_role: r.try_get("actor_role")?,
        note: r.try_get("note")?,
        data: r.try_get("data")?,
    })
}

fn category_row(r: &AnyRow) -> std::result::Result<CategoryRow, sqlx::Error> {
    Ok(CategoryRow {
        code: r.try_get("code")?,
        parent_code: r.try_get("parent_code")?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
        department_code: r.try_get("department_code")?,
        triage: r.try_get("triage")?,
        limits: r.try_get("limits")?,
        fields: r.try_get("fields")?,
        active: r.try_get::<i64, _>("active")? != 0,
    })
}

pub(crate) const ATTACHMENT_COLS: &str =
    "id, event_id, action_id, name, content_type, size, sha256, path, thumb_path, created_at";

pub(crate) fn attachment_row(r: &AnyRow) -> std::result::Result<AttachmentRow, sqlx::Error> {
    Ok(AttachmentRow {
        id: r.try_get("id")?,
        event_id: r.try_get("event_id")?,
        action_id: r.try_get("action_id")?,
        name: r.try_get("name")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        path: r.try_get("path")?,
        thumb_path: r.try_get("thumb_path")?,
        created_at: r.try_get("created_at")?,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionRow {
    pub id: i64,
    pub event_id: i64,
    pub at: i64,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub actor: String,
    pub actor_role: String,
    pub note: String,
    pub data: String,
}

pub struct NewAction<'a> {
    pub event_id: i64,
    pub action: &'a str,
    pub from_status: &'a str,
    pub to_status: &'a str,
    pub actor: &'a str,
    pub actor_role: &'a str,
    pub note: &'a str,
    pub data: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CategoryRow {
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    pub name_en: String,
    pub department_code: String,
    pub triage: String,
    /// JSON object stage → limit code ("4h", "5d", "24n").
    pub limits: String,
    /// JSON array of extra fields (Open311 attributes).
    pub fields: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentRow {
    pub id: i64,
    pub event_id: Option<i64>,
    pub action_id: Option<i64>,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub path: String,
    pub thumb_path: Option<String>,
    pub created_at: i64,
}

/// One new report for [`Store::count_reports`]; `user_id` only for a signed-in reporter.
pub struct ReportCount<'a> {
    pub grid_code: &'a str,
    pub day: &'a str,
    pub month: &'a str,
    pub category: &'a str,
    pub user_id: Option<i64>,
}

/// Lists count their matches up to this many (see [`Store::events`]).
pub const COUNT_CAP: i64 = 10_000;

/// List filters; every list is limited to the caller's subtrees (`roots`, `None` = everything).
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub roots: Option<Vec<String>>,
    /// Exactly this grid (a leaf): equality lets the (grid_code, id) index return the newest page in order.
    pub grid: Option<String>,
    pub status: Vec<String>,
    pub category_prefix: Option<String>,
    /// Only events dispatched to one of these departments.
    pub departments: Option<Vec<String>>,
    pub reporter_user_id: Option<i64>,
    /// Only open events whose stage deadline is before this instant (overdue lists).
    pub stage_due_before: Option<i64>,
    /// Only events whose stage deadline is at or after this instant (with `stage_due_before`: due soon).
    pub stage_due_after: Option<i64>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub external_ids: Option<Vec<String>>,
    /// Only events of exactly these category codes (Open311 `service_code` lists).
    pub categories: Option<Vec<String>>,
    /// Leave out events whose category code starts with this (Open311 hides the Z social-governance classes).
    pub exclude_category_prefix: Option<String>,
}

/// A stats row key and the changes to add.
pub struct StatsDelta<'a> {
    pub grid_code: &'a str,
    pub day: &'a str,
    pub month: &'a str,
    pub category: &'a str,
    pub departments: &'a [String],
    /// (column, delta) pairs; columns are [`wangge_domain::event::Counts::COLUMNS`].
    pub changes: &'a [(&'static str, i64)],
}

/// `INSERT … ON CONFLICT (keys) DO UPDATE` adding `changes` to a rollup row, keys bound as `$1…`. Column names
/// come from the code (the Counts/PersonCounts column lists), never from input; deltas are integers.
fn counter_upsert(table: &str, keys: &[&str], changes: &[(&'static str, i64)]) -> String {
    let cols: Vec<&str> = changes.iter().map(|(c, _)| *c).collect();
    let params: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
    let vals: Vec<String> = changes.iter().map(|(_, v)| v.to_string()).collect();
    let sets: Vec<String> = cols.iter().map(|c| format!("{c} = {table}.{c} + excluded.{c}")).collect();
    format!(
        "INSERT INTO {table} ({}, {}) VALUES ({}, {}) ON CONFLICT ({}) DO UPDATE SET {}",
        keys.join(", "),
        cols.join(", "),
        params.join(", "),
        vals.join(", "),
        keys.join(", "),
        sets.join(", ")
    )
}

fn roots_sql(col: &str, roots: &Option<Vec<String>>) -> Option<String> {
    roots.as_ref().map(|roots| {
        // Inlined: prefix_range yields digits only (or an empty range), so nothing can be injected.
        let ors: Vec<String> = roots
            .iter()
            .map(|r| {
                let (lo, hi) = prefix_range(r);
                format!("({col} >= '{lo}' AND {col} < '{hi}')")
            })
            .collect();
        if ors.is_empty() { "1 = 0".to_string() } else { format!("({})", ors.join(" OR ")) }
    })
}

/// A quoted SQL string literal for codes we generated or validated (status names, department codes).
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Store {
    /// New events in one statement per few hundred; their ids in the same order.
    pub async fn insert_events(tx: &mut Transaction<'static, Any>, rows: &[&EventRow]) -> Result<Vec<i64>> {
        const COLS: [&str; 24] = [
            "grid_code",
            "category_code",
            "description",
            "address",
            "lat",
            "lon",
            "source",
            "status",
            "version",
            "triage",
            "level",
            "lead_department",
            "reporter_user_id",
            "reporter_name",
            "reporter_contact_enc",
            "reporter_contact_masked",
            "anonymous",
            "token_hash",
            "external_id",
            "attributes",
            "reported_at",
            "updated_at",
            "due_at",
            "stage_due_at",
        ];
        let values: Vec<Vec<Val>> = rows
            .iter()
            .map(|e| {
                vec![
                    Val::from(e.grid_code.as_str()),
                    Val::from(e.category_code.as_str()),
                    Val::from(e.description.as_str()),
                    Val::from(e.address.as_str()),
                    Val::Real(Some(e.lat)),
                    Val::Real(Some(e.lon)),
                    Val::from(e.source.as_str()),
                    Val::from(e.status.as_str()),
                    Val::Int(1),
                    Val::from(e.triage.as_str()),
                    Val::from(e.level.as_str()),
                    Val::from(e.lead_department.as_str()),
                    Val::IntOpt(e.reporter_user_id),
                    Val::from(e.reporter_name.as_str()),
                    Val::Text(e.reporter_contact_enc.clone()),
                    Val::Text(e.reporter_contact_masked.clone()),
                    Val::Int(i64::from(e.anonymous)),
                    Val::Text(e.token_hash.clone()),
                    Val::Text(e.external_id.clone()),
                    Val::from(e.attributes.as_str()),
                    Val::Int(e.reported_at),
                    Val::Int(e.updated_at),
                    Val::IntOpt(e.due_at),
                    Val::IntOpt(e.stage_due_at),
                ]
            })
            .collect();
        let ids = insert_returning_ids(tx, "events", &COLS, &values).await?;
        let tracked: Vec<(i64, &EventRow)> = ids.iter().copied().zip(rows.iter().copied()).collect();
        Self::track_new_events(tx, &tracked).await?;
        Ok(ids)
    }

    /// Writes every mutable column of `e` if nobody changed the event since it was read at `e.version`;
    /// otherwise [`StoreError::Conflict`]: of two concurrent actions exactly one wins.
    pub async fn save_event(tx: &mut Transaction<'static, Any>, e: &EventRow) -> Result<i64> {
        let done = sqlx::query(
            "UPDATE events SET status = $1, version = version + 1, triage = $2, level = $3, lead_department = $4, \
             updated_at = $5, registered_at = $6, handled_at = $7, closed_at = $8, due_at = $9, stage_due_at = $10, \
             handle_due_at = $11, resume_status = $12, suspended_at = $13, pending_postpone_hours = $14, \
             postponed_hours = $15, card = $16, rework_count = $17, satisfaction = $18, escalated_at = $19, \
             merged_into = $20, category_code = $21 WHERE id = $22 AND version = $23",
        )
        .bind(&e.status)
        .bind(&e.triage)
        .bind(&e.level)
        .bind(&e.lead_department)
        .bind(e.updated_at)
        .bind(e.registered_at)
        .bind(e.handled_at)
        .bind(e.closed_at)
        .bind(e.due_at)
        .bind(e.stage_due_at)
        .bind(e.handle_due_at)
        .bind(&e.resume_status)
        .bind(e.suspended_at)
        .bind(e.pending_postpone_hours)
        .bind(e.postponed_hours)
        .bind(&e.card)
        .bind(e.rework_count)
        .bind(e.satisfaction)
        .bind(e.escalated_at)
        .bind(e.merged_into)
        .bind(&e.category_code)
        .bind(e.id)
        .bind(e.version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("event {} changed meanwhile", e.id)));
        }
        Self::track_saved_event(tx, e).await?;
        Ok(e.version + 1)
    }

    pub async fn event(&self, id: i64) -> Result<EventRow> {
        let sql = format!("SELECT {EVENT_COLS} FROM events WHERE id = $1");
        let r = sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?.ok_or(StoreError::NotFound)?;
        Ok(event_row(&r)?)
    }

    pub async fn event_by_token(&self, token_hash: &str) -> Result<EventRow> {
        let sql = format!("SELECT {EVENT_COLS} FROM events WHERE token_hash = $1");
        let r = sqlx::query(&sql).bind(token_hash).fetch_optional(self.pool()).await?.ok_or(StoreError::NotFound)?;
        Ok(event_row(&r)?)
    }

    fn event_where(f: &EventFilter) -> String {
        let mut wh: Vec<String> = vec!["1 = 1".into()];
        if let Some(r) = roots_sql("grid_code", &f.roots) {
            wh.push(r);
        }
        if let Some(g) = f.grid.as_deref().filter(|g| g.bytes().all(|b| b.is_ascii_digit())) {
            wh.push(format!("grid_code = '{g}'"));
        }
        if !f.status.is_empty() {
            wh.push(format!("status IN ({})", f.status.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", ")));
        }
        if let Some(c) = &f.category_prefix {
            wh.push(format!("category_code >= {} AND category_code < {}", lit(c), lit(&format!("{c}~"))));
        }
        if let Some(d) = &f.departments {
            let list =
                if d.is_empty() { "''".to_string() } else { d.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", ") };
            wh.push(format!("id IN (SELECT event_id FROM event_departments WHERE department_code IN ({list}))"));
        }
        if let Some(u) = f.reporter_user_id {
            wh.push(format!("reporter_user_id = {u}"));
        }
        if let Some(t) = f.stage_due_after {
            wh.push(format!("stage_due_at >= {t}"));
        }
        if let Some(t) = f.stage_due_before {
            wh.push(format!("stage_due_at < {t}"));
        }
        if let Some(t) = f.from_ms {
            wh.push(format!("reported_at >= {t}"));
        }
        if let Some(t) = f.to_ms {
            wh.push(format!("reported_at <= {t}"));
        }
        if let Some(ids) = &f.external_ids {
            let list = if ids.is_empty() {
                "''".to_string()
            } else {
                ids.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", ")
            };
            wh.push(format!("external_id IN ({list})"));
        }
        if let Some(cs) = &f.categories {
            let list =
                if cs.is_empty() { "''".to_string() } else { cs.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", ") };
            wh.push(format!("category_code IN ({list})"));
        }
        if let Some(c) = &f.exclude_category_prefix {
            wh.push(format!("NOT (category_code >= {} AND category_code < {})", lit(c), lit(&format!("{c}~"))));
        }
        wh.join(" AND ")
    }

    /// Newest first, `before_id` pages on. Returns the page and the total matching, counted up to
    /// [`COUNT_CAP`] + 1: a district holds millions of events and counting them all on every page would cost
    /// seconds, while nobody pages through more than ten thousand (a total above the cap means "more than").
    pub async fn events(&self, f: &EventFilter, before_id: Option<i64>, limit: i64) -> Result<(Vec<EventRow>, i64)> {
        let wh = Self::event_where(f);
        let page_wh = match before_id {
            Some(b) => format!("{wh} AND id < {b}"),
            None => wh.clone(),
        };
        let sql = format!("SELECT {EVENT_COLS} FROM events WHERE {page_wh} ORDER BY id DESC LIMIT {}", limit.max(0));
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        let items = rows.iter().map(event_row).collect::<std::result::Result<Vec<_>, _>>()?;
        let total: (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE {wh} LIMIT {}) AS matching",
            COUNT_CAP + 1
        ))
        .fetch_one(self.pool())
        .await?;
        Ok((items, total.0))
    }

    /// Open events of `category` reported since `since_ms` inside the box: candidates for "is this a duplicate?".
    pub async fn events_near(
        &self,
        category: &str,
        since_ms: i64,
        (min_lat, max_lat, min_lon, max_lon): (f64, f64, f64, f64),
    ) -> Result<Vec<EventRow>> {
        let sql = format!(
            "SELECT {EVENT_COLS} FROM events WHERE category_code = $1 AND reported_at >= $2 AND lat >= $3 AND lat <= $4 \
             AND lon >= $5 AND lon <= $6 AND merged_into IS NULL AND status NOT IN ('closed', 'evaluated', 'rejected', 'voided') \
             ORDER BY id DESC LIMIT 20"
        );
        let rows = sqlx::query(&sql)
            .bind(category)
            .bind(since_ms)
            .bind(min_lat)
            .bind(max_lat)
            .bind(min_lon)
            .bind(max_lon)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(event_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// Id and position of open events of `category` reported since `since_ms` inside the box: the duplicate
    /// check run on every report, answered from the `events_nearby` index alone (no table rows read).
    pub async fn open_events_near(
        &self,
        category: &str,
        since_ms: i64,
        (min_lat, max_lat, min_lon, max_lon): (f64, f64, f64, f64),
    ) -> Result<Vec<(i64, f64, f64)>> {
        Ok(sqlx::query_as(
            "SELECT id, lat, lon FROM events WHERE category_code = $1 AND lat >= $2 AND lat <= $3 AND lon >= $4 \
             AND lon <= $5 AND reported_at >= $6 AND status NOT IN ('closed', 'evaluated', 'rejected', 'voided') \
             ORDER BY id DESC LIMIT 20",
        )
        .bind(category)
        .bind(min_lat)
        .bind(max_lat)
        .bind(min_lon)
        .bind(max_lon)
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?)
    }

    /// Open events past their stage deadline and not yet escalated for it: what the overdue sweep raises.
    pub async fn overdue_unescalated(&self, now: i64, limit: i64) -> Result<Vec<EventRow>> {
        let sql = format!(
            "SELECT {EVENT_COLS} FROM events WHERE status IN ('reported', 'accepted', 'registered', 'dispatched', 'handled', 'verified') \
             AND stage_due_at < $1 AND (escalated_at IS NULL OR escalated_at < stage_due_at) AND merged_into IS NULL \
             ORDER BY stage_due_at LIMIT {limit}"
        );
        let rows = sqlx::query(&sql).bind(now).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(event_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    pub async fn insert_action(tx: &mut Transaction<'static, Any>, a: NewAction<'_>) -> Result<i64> {
        Ok(Self::insert_actions(tx, &[a]).await?[0])
    }

    /// Timeline entries in one statement per few hundred, all at this moment; their ids in the same order.
    pub async fn insert_actions(tx: &mut Transaction<'static, Any>, actions: &[NewAction<'_>]) -> Result<Vec<i64>> {
        const COLS: [&str; 9] =
            ["event_id", "at", "action", "from_status", "to_status", "actor", "actor_role", "note", "data"];
        let at = now_ms();
        let values: Vec<Vec<Val>> = actions
            .iter()
            .map(|a| {
                vec![
                    Val::Int(a.event_id),
                    Val::Int(at),
                    Val::from(a.action),
                    Val::from(a.from_status),
                    Val::from(a.to_status),
                    Val::from(a.actor),
                    Val::from(a.actor_role),
                    Val::from(a.note),
                    Val::from(a.data),
                ]
            })
            .collect();
        insert_returning_ids(tx, "event_actions", &COLS, &values).await
    }

    pub async fn timeline(&self, event_id: i64) -> Result<Vec<ActionRow>> {
        let rows = sqlx::query(
            "SELECT id, event_id, at, action, from_status, to_status, actor, actor_role, note, data FROM event_actions \
             WHERE event_id = $1 ORDER BY id",
        )
        .bind(event_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(action_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// Replaces the departments an event is dispatched to; the first leads.
    pub async fn set_event_departments(
        tx: &mut Transaction<'static, Any>,
        event_id: i64,
        codes: &[String],
    ) -> Result<()> {
        sqlx::query("DELETE FROM event_departments WHERE event_id = $1").bind(event_id).execute(&mut **tx).await?;
        let now = now_ms();
        for (i, c) in codes.iter().enumerate() {
            sqlx::query("INSERT INTO event_departments (event_id, department_code, lead, dispatched_at) VALUES ($1, $2, $3, $4)")
                .bind(event_id)
                .bind(c)
                .bind(i64::from(i == 0))
                .bind(now)
                .execute(&mut **tx)
                .await
                .map_err(|e| StoreError::from_db(e, "department"))?;
        }
        Ok(())
    }

    pub async fn event_departments(&self, event_id: i64) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT department_code FROM event_departments WHERE event_id = $1 ORDER BY lead DESC, department_code",
        )
        .bind(event_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The departments of several events at once (a list page asks once, not once per row).
    pub async fn departments_of(&self, ids: &[i64]) -> Result<std::collections::HashMap<i64, Vec<String>>> {
        let mut out: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let list = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
        let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT event_id, department_code FROM event_departments WHERE event_id IN ({list}) \
             ORDER BY event_id, lead DESC, department_code"
        ))
        .fetch_all(self.pool())
        .await?;
        for (e, d) in rows {
            out.entry(e).or_default().push(d);
        }
        Ok(out)
    }

    /// Adds counters to the day rollup of the grid and the month rollups of the category and departments.
    pub async fn bump_stats(tx: &mut Transaction<'static, Any>, d: StatsDelta<'_>) -> Result<()> {
        if d.changes.is_empty() {
            return Ok(());
        }
        let sql = counter_upsert("event_stats_day", &["grid_code", "day"], d.changes);
        sqlx::query(&sql).bind(d.grid_code).bind(d.day).execute(&mut **tx).await?;
        let sql = counter_upsert("event_stats_month", &["dim", "grid_code", "month"], d.changes);
        let mut dims = vec![format!("c:{}", d.category)];
        dims.extend(d.departments.iter().map(|x| format!("d:{x}")));
        for dim in dims {
            sqlx::query(&sql).bind(dim).bind(d.grid_code).bind(d.month).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Sums of the day rollups over the subtrees between two days (inclusive, 'YYYY-MM-DD').
    pub async fn stats_total(&self, roots: &Option<Vec<String>>, from_day: &str, to_day: &str) -> Result<Vec<i64>> {
        let cols = wangge_domain::event::Counts::COLUMNS;
        let sums: Vec<String> = cols.iter().map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)")).collect();
        let mut wh = vec!["day >= $1".to_string(), "day <= $2".into()];
        if let Some(r) = roots_sql("grid_code", roots) {
            wh.push(r);
        }
        let sql = format!("SELECT {} FROM event_stats_day WHERE {}", sums.join(", "), wh.join(" AND "));
        let row = sqlx::query(&sql).bind(from_day).bind(to_day).fetch_one(self.pool()).await?;
        (0..cols.len()).map(|i| Ok(row.try_get::<i64, _>(i)?)).collect()
    }

    /// Sums of the month rollups per dimension value (`kind` 'c' = category, 'd' = department).
    pub async fn stats_by(
        &self,
        kind: char,
        roots: &Option<Vec<String>>,
        from_month: &str,
        to_month: &str,
    ) -> Result<Vec<(String, Vec<i64>)>> {
        let cols = wangge_domain::event::Counts::COLUMNS;
        let sums: Vec<String> = cols.iter().map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)")).collect();
        let mut wh = vec!["dim >= $1".to_string(), "dim < $2".into(), "month >= $3".into(), "month <= $4".into()];
        if let Some(r) = roots_sql("grid_code", roots) {
            wh.push(r);
        }
        let sql = format!(
            "SELECT dim, {} FROM event_stats_month WHERE {} GROUP BY dim ORDER BY dim",
            sums.join(", "),
            wh.join(" AND ")
        );
        let rows = sqlx::query(&sql)
            .bind(format!("{kind}:"))
            .bind(format!("{kind};"))
            .bind(from_month)
            .bind(to_month)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let dim: String = r.try_get(0)?;
                let vals =
                    (1..=cols.len()).map(|i| r.try_get::<i64, _>(i)).collect::<std::result::Result<Vec<_>, _>>()?;
                Ok((dim[2..].to_string(), vals))
            })
            .collect()
    }

    /// Per-grid sums of the day rollups for the grids in the subtrees (map colouring, drill-down).
    pub async fn stats_by_grid(
        &self,
        roots: &Option<Vec<String>>,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<(String, Vec<i64>)>> {
        let cols = wangge_domain::event::Counts::COLUMNS;
        let sums: Vec<String> = cols.iter().map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)")).collect();
        let mut wh = vec!["day >= $1".to_string(), "day <= $2".into()];
        if let Some(r) = roots_sql("grid_code", roots) {
            wh.push(r);
        }
        let sql = format!(
            "SELECT grid_code, {} FROM event_stats_day WHERE {} GROUP BY grid_code ORDER BY grid_code",
            sums.join(", "),
            wh.join(" AND ")
        );
        let rows = sqlx::query(&sql).bind(from_day).bind(to_day).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let g: String = r.try_get(0)?;
                let vals =
                    (1..=cols.len()).map(|i| r.try_get::<i64, _>(i)).collect::<std::result::Result<Vec<_>, _>>()?;
                Ok((g, vals))
            })
            .collect()
    }

    /// Counts new reports in the rollups (`reported` of the grid's day, of the category's month and of the signed-in
    /// reporter's month), summed per rollup row first, so that a batch of reports costs three statements.
    pub async fn count_reports(tx: &mut Transaction<'static, Any>, reports: &[ReportCount<'_>]) -> Result<()> {
        use std::collections::BTreeMap;
        let mut day: BTreeMap<(&str, &str), i64> = BTreeMap::new();
        let mut month: BTreeMap<(String, &str, &str), i64> = BTreeMap::new();
        let mut person: BTreeMap<(i64, &str, &str), i64> = BTreeMap::new();
        for r in reports {
            *day.entry((r.grid_code, r.day)).or_default() += 1;
            *month.entry((format!("c:{}", r.category), r.grid_code, r.month)).or_default() += 1;
            if let Some(u) = r.user_id {
                *person.entry((u, r.grid_code, r.month)).or_default() += 1;
            }
        }
        let day: Vec<_> = day.into_iter().map(|((g, d), n)| (vec![Val::from(g), Val::from(d)], n)).collect();
        add_to_counters(tx, "event_stats_day", &["grid_code", "day"], "reported", &day).await?;
        let month: Vec<_> =
            month.into_iter().map(|((c, g, m), n)| (vec![Val::from(c), Val::from(g), Val::from(m)], n)).collect();
        add_to_counters(tx, "event_stats_month", &["dim", "grid_code", "month"], "reported", &month).await?;
        if !person.is_empty() {
            let person: Vec<_> =
                person.into_iter().map(|((u, g, m), n)| (vec![Val::Int(u), Val::from(g), Val::from(m)], n)).collect();
            add_to_counters(tx, "event_stats_person", &["user_id", "grid_code", "month"], "reported", &person).await?;
        }
        Ok(())
    }

    /// Adds counters to one person's row (user × grid × month): the 岗位 rollup of GB/T 30428.4.
    pub async fn bump_person_stats(
        tx: &mut Transaction<'static, Any>,
        user_id: i64,
        grid_code: &str,
        month: &str,
        changes: &[(&'static str, i64)],
    ) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        // Column names come from PersonCounts::COLUMNS (checked here, never from input), values are integers.
        let cols = wangge_domain::event::PersonCounts::COLUMNS;
        if let Some((c, _)) = changes.iter().find(|(c, _)| !cols.contains(c)) {
            return Err(StoreError::Other(format!("not a person counter: {c}")));
        }
        let sql = counter_upsert("event_stats_person", &["user_id", "grid_code", "month"], changes);
        sqlx::query(&sql).bind(user_id).bind(grid_code).bind(month).execute(&mut **tx).await?;
        Ok(())
    }

    /// Sums of the person rollups per user over the subtrees between two months (inclusive, 'YYYY-MM'), with
    /// the user's name; `only_user` keeps one person's row. Rows: (user_id, username, display_name, counters in
    /// [`wangge_domain::event::PersonCounts::COLUMNS`] order).
    pub async fn stats_by_person(
        &self,
        roots: &Option<Vec<String>>,
        only_user: Option<i64>,
        from_month: &str,
        to_month: &str,
    ) -> Result<Vec<(i64, String, String, Vec<i64>)>> {
        let cols = wangge_domain::event::PersonCounts::COLUMNS;
        let sums: Vec<String> = cols.iter().map(|c| format!("CAST(COALESCE(SUM(s.{c}), 0) AS BIGINT)")).collect();
        let mut wh = vec!["s.month >= $1".to_string(), "s.month <= $2".into()];
        if let Some(r) = roots_sql("s.grid_code", roots) {
            wh.push(r);
        }
        if let Some(u) = only_user {
            wh.push(format!("s.user_id = {u}"));
        }
        let sql = format!(
            "SELECT s.user_id, u.username, u.display_name, {} FROM event_stats_person s JOIN users u ON u.id = s.user_id \
             WHERE {} GROUP BY s.user_id, u.username, u.display_name ORDER BY u.username",
            sums.join(", "),
            wh.join(" AND ")
        );
        let rows = sqlx::query(&sql).bind(from_month).bind(to_month).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let vals =
                    (3..3 + cols.len()).map(|i| r.try_get::<i64, _>(i)).collect::<std::result::Result<Vec<_>, _>>()?;
                Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, vals))
            })
            .collect()
    }

    /// The action that last closed the event (`close` or `self_handle`), read inside the reopening transaction
    /// so the reopen takes back exactly what that close added to the rollups.
    pub async fn last_close_action(tx: &mut Transaction<'static, Any>, event_id: i64) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT action FROM event_actions WHERE event_id = $1 AND to_status = 'closed' ORDER BY id DESC LIMIT 1",
        )
        .bind(event_id)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(row.map(|r| r.0))
    }

    // --- categories, routing rules, calendar ---

    pub async fn event_categories(&self) -> Result<Vec<CategoryRow>> {
        let rows = sqlx::query(
            "SELECT code, parent_code, name, name_en, department_code, triage, limits, fields, active FROM event_categories ORDER BY code",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(category_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    pub async fn upsert_category(tx: &mut Transaction<'static, Any>, c: &CategoryRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO event_categories (code, parent_code, name, name_en, department_code, triage, limits, fields, active, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (code) DO UPDATE SET parent_code = excluded.parent_code, \
             name = excluded.name, name_en = excluded.name_en, department_code = excluded.department_code, \
             triage = excluded.triage, limits = excluded.limits, fields = excluded.fields, active = excluded.active, \
             updated_at = excluded.updated_at",
        )
        .bind(&c.code)
        .bind(&c.parent_code)
        .bind(&c.name)
        .bind(&c.name_en)
        .bind(&c.department_code)
        .bind(&c.triage)
        .bind(&c.limits)
        .bind(&c.fields)
        .bind(i64::from(c.active))
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn routing_rules(&self) -> Result<Vec<(i64, String, String, String, String)>> {
        Ok(sqlx::query_as(
            "SELECT id, category_prefix, region_prefix, departments, triage FROM routing_rules ORDER BY category_prefix, region_prefix, id",
        )
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn insert_routing_rule(
        tx: &mut Transaction<'static, Any>,
        category_prefix: &str,
        region_prefix: &str,
        departments: &str,
        triage: &str,
    ) -> Result<i64> {
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO routing_rules (category_prefix, region_prefix, departments, triage, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(category_prefix)
        .bind(region_prefix)
        .bind(departments)
        .bind(triage)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?;
        Ok(row.0)
    }

    pub async fn delete_routing_rule(tx: &mut Transaction<'static, Any>, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM routing_rules WHERE id = $1").bind(id).execute(&mut **tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn calendar_days(&self) -> Result<Vec<(String, String, String)>> {
        Ok(sqlx::query_as("SELECT day, kind, note FROM calendar_days ORDER BY day").fetch_all(self.pool()).await?)
    }

    pub async fn put_calendar_day(
        tx: &mut Transaction<'static, Any>,
        day: &str,
        kind: Option<&str>,
        note: &str,
    ) -> Result<()> {
        sqlx::query("DELETE FROM calendar_days WHERE day = $1").bind(day).execute(&mut **tx).await?;
        if let Some(kind) = kind {
            sqlx::query("INSERT INTO calendar_days (day, kind, note) VALUES ($1, $2, $3)")
                .bind(day)
                .bind(kind)
                .bind(note)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    // --- attachments and outbox ---

    /// Stores an upload's record; `uploader` ('user:<id>' or 'public:<key>') is the only one who may claim it.
    pub async fn insert_attachment(
        tx: &mut Transaction<'static, Any>,
        a: &AttachmentRow,
        uploader: &str,
    ) -> Result<i64> {
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO attachments (event_id, action_id, name, content_type, size, sha256, path, thumb_path, created_at, \
             uploader) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(a.event_id)
        .bind(a.action_id)
        .bind(&a.name)
        .bind(&a.content_type)
        .bind(a.size)
        .bind(&a.sha256)
        .bind(&a.path)
        .bind(&a.thumb_path)
        .bind(a.created_at)
        .bind(uploader)
        .fetch_one(&mut **tx)
        .await?;
        Ok(row.0)
    }

    /// Ties an uploaded attachment (not yet used, uploaded by `uploader`) to the event and action it documents.
    pub async fn claim_attachment(
        tx: &mut Transaction<'static, Any>,
        id: i64,
        event_id: i64,
        action_id: i64,
        uploader: &str,
    ) -> Result<()> {
        claim(tx, "event_id = $1, action_id = $2", &[event_id, action_id], id, uploader).await
    }

    /// Ties an uploaded attachment (not yet used, uploaded by `uploader`) to the visit it documents.
    pub async fn claim_attachment_for_visit(
        tx: &mut Transaction<'static, Any>,
        id: i64,
        visit_id: i64,
        uploader: &str,
    ) -> Result<()> {
        claim(tx, "visit_id = $1", &[visit_id], id, uploader).await
    }

    pub async fn attachments(&self, event_id: i64) -> Result<Vec<AttachmentRow>> {
        let rows = sqlx::query(&format!("SELECT {ATTACHMENT_COLS} FROM attachments WHERE event_id = $1 ORDER BY id"))
            .bind(event_id)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(attachment_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    pub async fn attachment(&self, id: i64) -> Result<AttachmentRow> {
        let r = sqlx::query(&format!("SELECT {ATTACHMENT_COLS} FROM attachments WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(attachment_row(&r)?)
    }

    pub async fn enqueue_message(
        tx: &mut Transaction<'static, Any>,
        channel: &str,
        recipient_enc: &str,
        body: &str,
        event_id: Option<i64>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO outbox (at, channel, recipient_enc, body, event_id) VALUES ($1, $2, $3, $4, $5)")
            .bind(now_ms())
            .bind(channel)
            .bind(recipient_enc)
            .bind(body)
            .bind(event_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Unsent outbox messages (id, channel, recipient_enc, body), oldest first.
    pub async fn outbox_unsent(&self, limit: i64) -> Result<Vec<(i64, String, String, String)>> {
        Ok(sqlx::query_as(&format!(
            "SELECT id, channel, recipient_enc, body FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT {limit}"
        ))
        .fetch_all(self.pool())
        .await?)
    }
}

/// Sets `set` (binding `values` as `$1…`) on an upload nobody has claimed yet (for an event, a visit or an
/// application), if `uploader` made it; NotFound otherwise, so nobody can take over someone else's file by naming
/// its id.
pub(crate) async fn claim(
    tx: &mut Transaction<'static, Any>,
    set: &str,
    values: &[i64],
    id: i64,
    uploader: &str,
) -> Result<()> {
    let n = values.len();
    let sql = format!(
        "UPDATE attachments SET {set} WHERE id = ${} AND event_id IS NULL AND visit_id IS NULL AND owner_kind IS NULL AND application_id IS NULL \
         AND uploader = ${}",
        n + 1,
        n + 2
    );
    let mut q = sqlx::query(&sql);
    for v in values {
        q = q.bind(*v);
    }
    let done = q.bind(id).bind(uploader).execute(&mut **tx).await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
