//! 议事会议 as stored: the meeting (changed under an optimistic version), its participants, its resolutions
//! (versioned too) and their progress notes.

use super::{count, map_rows, placeholders, row};
use crate::register::{Val, insert_returning_ids};
use crate::sql::{Bind, Sql, roots_clause};
use crate::{Result, Store, StoreError, now_ms};
use sqlx::{Any, Transaction};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MeetingRow {
    pub id: i64,
    pub region_code: String,
    pub kind: String,
    pub topic: String,
    pub starts_at: i64,
    pub ends_at: Option<i64>,
    pub place: String,
    /// JSON array of agenda items.
    pub agenda: String,
    pub status: String,
    pub minutes: String,
    pub minutes_by: String,
    pub minutes_at: Option<i64>,
    pub published_at: Option<i64>,
    pub version: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}
row!(MeetingRow {
    id,
    region_code,
    kind,
    topic,
    starts_at,
    ends_at,
    place,
    agenda,
    status,
    minutes,
    minutes_by,
    minutes_at,
    published_at,
    version,
    created_by,
    created_at,
    updated_at
});

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParticipantRow {
    pub id: i64,
    pub meeting_id: i64,
    pub kind: String,
    pub person_id: Option<i64>,
    pub user_id: Option<i64>,
    pub name: String,
    pub affiliation: String,
    pub invited: i64,
    pub present: i64,
    pub signed_at: Option<i64>,
}
row!(ParticipantRow { id, meeting_id, kind, person_id, user_id, name, affiliation, invited, present, signed_at });

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResolutionRow {
    pub id: i64,
    pub meeting_id: i64,
    pub content: String,
    pub owner: String,
    pub due_on: Option<String>,
    pub status: String,
    pub done_at: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}
row!(ResolutionRow { id, meeting_id, content, owner, due_on, status, done_at, version, created_at, updated_at });

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProgressRow {
    pub id: i64,
    pub resolution_id: i64,
    pub at: i64,
    pub actor: String,
    pub status: String,
    pub note: String,
}
row!(ProgressRow { id, resolution_id, at, actor, status, note });

/// Which meetings a list shows.
#[derive(Debug, Clone, Default)]
pub struct MeetingFilter {
    /// Subtrees (code prefixes); `None` = everywhere.
    pub roots: Option<Vec<String>>,
    /// Exactly this region (the public portal: one community's own meetings).
    pub region_code: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Only published ones.
    pub published: bool,
    /// Only those with a resolution not final and due before this day (`YYYY-MM-DD`).
    pub overdue_before: Option<String>,
}

fn where_clause(f: &MeetingFilter, sql: &mut Sql) -> String {
    let mut wh = vec![roots_clause(sql, "region_code", f.roots.as_deref())];
    if let Some(r) = &f.region_code {
        wh.push(format!("region_code = {}", sql.arg(Bind::Text(r.clone()))));
    }
    if let Some(k) = &f.kind {
        wh.push(format!("kind = {}", sql.arg(Bind::Text(k.clone()))));
    }
    if let Some(s) = &f.status {
        wh.push(format!("status = {}", sql.arg(Bind::Text(s.clone()))));
    }
    if f.published {
        wh.push("published_at IS NOT NULL".into());
    }
    if let Some(day) = &f.overdue_before {
        let a = sql.arg(Bind::Text(day.clone()));
        wh.push(format!(
            "id IN (SELECT meeting_id FROM meeting_resolutions WHERE status IN ('pending', 'in_progress') \
             AND due_on IS NOT NULL AND due_on < {a})"
        ));
    }
    wh.join(" AND ")
}

impl Store {
    pub async fn insert_meeting(tx: &mut Transaction<'static, Any>, m: &MeetingRow) -> Result<i64> {
        let cols = [
            "region_code",
            "kind",
            "topic",
            "starts_at",
            "ends_at",
            "place",
            "agenda",
            "status",
            "created_by",
            "created_at",
            "updated_at",
        ];
        let row = vec![
            m.region_code.as_str().into(),
            m.kind.as_str().into(),
            m.topic.as_str().into(),
            Val::Int(m.starts_at),
            Val::IntOpt(m.ends_at),
            m.place.as_str().into(),
            m.agenda.as_str().into(),
            m.status.as_str().into(),
            m.created_by.as_str().into(),
            Val::Int(m.created_at),
            Val::Int(m.created_at),
        ];
        let ids = insert_returning_ids(tx, "meetings", &cols, &[row]).await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("meeting insert returned no id".into()))
    }

    /// Writes the changed meeting if nobody changed it meanwhile (Conflict otherwise).
    pub async fn save_meeting(tx: &mut Transaction<'static, Any>, m: &MeetingRow) -> Result<()> {
        let done = sqlx::query(
            "UPDATE meetings SET status = $1, minutes = $2, minutes_by = $3, minutes_at = $4, published_at = $5, \
             version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8",
        )
        .bind(&m.status)
        .bind(&m.minutes)
        .bind(&m.minutes_by)
        .bind(m.minutes_at)
        .bind(m.published_at)
        .bind(now_ms())
        .bind(m.id)
        .bind(m.version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("meeting {} changed meanwhile", m.id)));
        }
        Ok(())
    }

    pub async fn meeting(&self, id: i64) -> Result<Option<MeetingRow>> {
        let r = sqlx::query(&format!("SELECT {} FROM meetings WHERE id = $1", MeetingRow::COLS))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.as_ref().map(MeetingRow::from_row).transpose()?)
    }

    /// Newest first (by id), a page before `before_id`, with the total matching.
    pub async fn meetings(
        &self,
        f: &MeetingFilter,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<MeetingRow>, i64)> {
        let mut c = Sql::default();
        let wh = where_clause(f, &mut c);
        c.text = format!("SELECT COUNT(*) FROM meetings WHERE {wh}");
        let total = count(self, &c).await?;
        let mut page = Sql::default();
        let mut wh = where_clause(f, &mut page);
        if let Some(b) = before_id {
            wh.push_str(&format!(" AND id < {}", page.arg(Bind::Int(b))));
        }
        let lim = page.arg(Bind::Int(limit));
        page.text = format!("SELECT {} FROM meetings WHERE {wh} ORDER BY id DESC LIMIT {lim}", MeetingRow::COLS);
        let rows = page.query().fetch_all(self.pool()).await?;
        Ok((map_rows(&rows, MeetingRow::from_row)?, total))
    }

    pub async fn insert_participant(tx: &mut Transaction<'static, Any>, p: &ParticipantRow) -> Result<i64> {
        let cols =
            ["meeting_id", "kind", "person_id", "user_id", "name", "affiliation", "invited", "present", "signed_at"];
        let row = vec![
            Val::Int(p.meeting_id),
            p.kind.as_str().into(),
            Val::IntOpt(p.person_id),
            Val::IntOpt(p.user_id),
            p.name.as_str().into(),
            p.affiliation.as_str().into(),
            Val::Int(p.invited),
            Val::Int(p.present),
            Val::IntOpt(p.signed_at),
        ];
        let ids = insert_returning_ids(tx, "meeting_participants", &cols, &[row]).await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("participant insert returned no id".into()))
    }

    pub async fn meeting_participants(&self, meeting_id: i64) -> Result<Vec<ParticipantRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM meeting_participants WHERE meeting_id = $1 ORDER BY id",
            ParticipantRow::COLS
        ))
        .bind(meeting_id)
        .fetch_all(self.pool())
        .await?;
        map_rows(&rows, ParticipantRow::from_row)
    }

    /// Marks a participant of the meeting present (once: a second sign-in keeps the first time). Returns whether
    /// the participant belongs to the meeting.
    pub async fn sign_in_participant(
        tx: &mut Transaction<'static, Any>,
        meeting_id: i64,
        participant_id: i64,
        at: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE meeting_participants SET present = 1, signed_at = COALESCE(signed_at, $1) \
             WHERE id = $2 AND meeting_id = $3",
        )
        .bind(at)
        .bind(participant_id)
        .bind(meeting_id)
        .execute(&mut **tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_resolution(tx: &mut Transaction<'static, Any>, r: &ResolutionRow) -> Result<i64> {
        let cols = ["meeting_id", "content", "owner", "due_on", "status", "created_at", "updated_at"];
        let row = vec![
            Val::Int(r.meeting_id),
            r.content.as_str().into(),
            r.owner.as_str().into(),
            Val::Text(r.due_on.clone()),
            r.status.as_str().into(),
            Val::Int(r.created_at),
            Val::Int(r.created_at),
        ];
        let ids = insert_returning_ids(tx, "meeting_resolutions", &cols, &[row]).await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("resolution insert returned no id".into()))
    }

    pub async fn resolution(&self, id: i64) -> Result<Option<ResolutionRow>> {
        let r = sqlx::query(&format!("SELECT {} FROM meeting_resolutions WHERE id = $1", ResolutionRow::COLS))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.as_ref().map(ResolutionRow::from_row).transpose()?)
    }

    /// The resolutions of these meetings, in the order they were made.
    pub async fn resolutions_of(&self, meeting_ids: &[i64]) -> Result<Vec<ResolutionRow>> {
        if meeting_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM meeting_resolutions WHERE meeting_id IN ({}) ORDER BY id",
            ResolutionRow::COLS,
            placeholders(1, meeting_ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in meeting_ids {
            q = q.bind(*id);
        }
        map_rows(&q.fetch_all(self.pool()).await?, ResolutionRow::from_row)
    }

    /// Writes the resolution's new status under its version (Conflict when someone reported meanwhile).
    pub async fn save_resolution(tx: &mut Transaction<'static, Any>, r: &ResolutionRow) -> Result<()> {
        let done = sqlx::query(
            "UPDATE meeting_resolutions SET status = $1, done_at = $2, version = version + 1, updated_at = $3 \
             WHERE id = $4 AND version = $5",
        )
        .bind(&r.status)
        .bind(r.done_at)
        .bind(now_ms())
        .bind(r.id)
        .bind(r.version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("resolution {} changed meanwhile", r.id)));
        }
        Ok(())
    }

    pub async fn insert_resolution_progress(tx: &mut Transaction<'static, Any>, p: &ProgressRow) -> Result<i64> {
        let row = vec![
            Val::Int(p.resolution_id),
            Val::Int(p.at),
            p.actor.as_str().into(),
            p.status.as_str().into(),
            p.note.as_str().into(),
        ];
        let ids = insert_returning_ids(
            tx,
            "resolution_progress",
            &["resolution_id", "at", "actor", "status", "note"],
            &[row],
        )
        .await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("progress insert returned no id".into()))
    }

    pub async fn resolution_progress(&self, resolution_ids: &[i64]) -> Result<Vec<ProgressRow>> {
        if resolution_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM resolution_progress WHERE resolution_id IN ({}) ORDER BY id",
            ProgressRow::COLS,
            placeholders(1, resolution_ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in resolution_ids {
            q = q.bind(*id);
        }
        map_rows(&q.fetch_all(self.pool()).await?, ProgressRow::from_row)
    }

    /// Resolutions not final and due before `day` in the subtrees (the overview's count).
    pub async fn overdue_resolutions(&self, roots: &Option<Vec<String>>, day: &str) -> Result<i64> {
        let mut sql = Sql::default();
        let wh = roots_clause(&mut sql, "m.region_code", roots.as_deref());
        let a = sql.arg(Bind::Text(day.to_string()));
        sql.text = format!(
            "SELECT COUNT(*) FROM meeting_resolutions r JOIN meetings m ON m.id = r.meeting_id WHERE {wh} \
             AND r.status IN ('pending', 'in_progress') AND r.due_on IS NOT NULL AND r.due_on < {a}"
        );
        count(self, &sql).await
    }
}
