//! Assessment rows (issue #10): schemes, star assessments with their scores and actions, and the records each
//! objective metric is computed from. Every metric query returns rows, never only a count, so the app can show
//! the records behind a number; the bench compares them with the bare counts.

use crate::{Result, Store, StoreError, prefix_range};
use sqlx::{Any, Row, Transaction};

#[derive(Debug, Clone, PartialEq)]
pub struct SchemeRow {
    pub code: String,
    pub subject: String,
    pub name: String,
    pub body: String,
    pub active: bool,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StarRow {
    pub id: i64,
    pub community_code: String,
    pub community_name: String,
    pub year: i64,
    pub scheme_code: String,
    pub status: String,
    pub version: i64,
    pub self_centi: Option<i64>,
    pub street_centi: Option<i64>,
    pub final_centi: Option<i64>,
    pub stars: i64,
    pub declared_at: Option<i64>,
    pub approved_at: Option<i64>,
    pub flag_reason: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StarScoreRow {
    pub stage: String,
    pub indicator_code: String,
    pub score_centi: i64,
    pub evidence: String,
    pub entered_by: String,
    pub entered_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StarActionRow {
    pub at: i64,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub actor: String,
    pub note: String,
    pub score_centi: Option<i64>,
}

/// An event as a metric sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFact {
    pub id: i64,
    pub grid_code: String,
    pub category_code: String,
    pub status: String,
    pub reported_at: i64,
    pub registered_at: Option<i64>,
    pub handled_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub due_at: Option<i64>,
    pub handle_due_at: Option<i64>,
    pub rework_count: i64,
    pub postponed_hours: i64,
    pub satisfaction: Option<i64>,
    pub self_handled: bool,
}

/// A step of an event (verify, evaluate, supervise) with its data.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFact {
    pub event_id: i64,
    pub grid_code: String,
    pub at: i64,
    pub actor: String,
    pub data: String,
    pub satisfaction: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatrolFact {
    pub id: i64,
    pub grid_code: String,
    pub day: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub last_point_at: Option<i64>,
    pub distance_m: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VisitFact {
    pub id: i64,
    pub person_id: i64,
    pub user_id: i64,
    pub day: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LedgerFact {
    pub id: i64,
    pub occurred_on: String,
    pub summary: String,
    pub amount_fen: i64,
}

const EVENT_COLS: &str = "e.id, e.grid_code, e.category_code, e.status, e.reported_at, e.registered_at, e.handled_at, \
     e.closed_at, e.due_at, e.handle_due_at, e.rework_count, e.postponed_hours, e.satisfaction, \
     CASE WHEN EXISTS (SELECT 1 FROM event_actions a WHERE a.event_id = e.id AND a.action = 'self_handle') THEN 1 ELSE 0 END AS self_handled";

fn event_fact(r: &sqlx::any::AnyRow) -> Result<EventFact> {
    Ok(EventFact {
        id: r.try_get("id")?,
        grid_code: r.try_get("grid_code")?,
        category_code: r.try_get("category_code")?,
        status: r.try_get("status")?,
        reported_at: r.try_get("reported_at")?,
        registered_at: r.try_get("registered_at")?,
        handled_at: r.try_get("handled_at")?,
        closed_at: r.try_get("closed_at")?,
        due_at: r.try_get("due_at")?,
        handle_due_at: r.try_get("handle_due_at")?,
        rework_count: r.try_get("rework_count")?,
        postponed_hours: r.try_get("postponed_hours")?,
        satisfaction: r.try_get("satisfaction")?,
        self_handled: r.try_get::<i64, _>("self_handled")? != 0,
    })
}

fn star_row(r: &sqlx::any::AnyRow) -> Result<StarRow> {
    Ok(StarRow {
        id: r.try_get("id")?,
        community_code: r.try_get("community_code")?,
        community_name: r.try_get("community_name")?,
        year: r.try_get("year")?,
        scheme_code: r.try_get("scheme_code")?,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        self_centi: r.try_get("self_centi")?,
        street_centi: r.try_get("street_centi")?,
        final_centi: r.try_get("final_centi")?,
        stars: r.try_get("stars")?,
        declared_at: r.try_get("declared_at")?,
        approved_at: r.try_get("approved_at")?,
        flag_reason: r.try_get("flag_reason")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const STAR_COLS: &str = "s.id, s.community_code, COALESCE(r.name, '') AS community_name, s.year, s.scheme_code, s.status, \
     s.version, s.self_centi, s.street_centi, s.final_centi, s.stars, s.declared_at, s.approved_at, s.flag_reason, s.updated_at";

impl Store {
    // ---- schemes ---------------------------------------------------------------------------------------------

    pub async fn assessment_schemes(&self) -> Result<Vec<SchemeRow>> {
        let rows: Vec<(String, String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT code, subject, name, body, active, updated_at FROM assessment_schemes ORDER BY subject, code",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(code, subject, name, body, active, updated_at)| SchemeRow {
                code,
                subject,
                name,
                body,
                active: active != 0,
                updated_at,
            })
            .collect())
    }

    pub async fn assessment_scheme(&self, code: &str) -> Result<Option<SchemeRow>> {
        Ok(self.assessment_schemes().await?.into_iter().find(|s| s.code == code))
    }

    /// Inserts or replaces a scheme. `active` schemes are the ones used for their subject (one per subject:
    /// activating one deactivates the others of the same subject).
    pub async fn put_assessment_scheme(tx: &mut Transaction<'static, Any>, s: &SchemeRow, by: &str) -> Result<()> {
        if s.active {
            sqlx::query("UPDATE assessment_schemes SET active = 0 WHERE subject = $1 AND code <> $2")
                .bind(&s.subject)
                .bind(&s.code)
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO assessment_schemes (code, subject, name, body, active, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO UPDATE SET subject = excluded.subject, \
             name = excluded.name, body = excluded.body, active = excluded.active, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(&s.code)
        .bind(&s.subject)
        .bind(&s.name)
        .bind(&s.body)
        .bind(i64::from(s.active))
        .bind(by)
        .bind(s.updated_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    // ---- star assessments ------------------------------------------------------------------------------------

    pub async fn star_assessment(&self, id: i64) -> Result<Option<StarRow>> {
        let sql = format!(
            "SELECT {STAR_COLS} FROM star_assessments s LEFT JOIN regions r ON r.code = s.community_code WHERE s.id = $1"
        );
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(star_row).transpose()
    }

    pub async fn star_assessment_of(&self, community: &str, year: i64) -> Result<Option<StarRow>> {
        let sql = format!(
            "SELECT {STAR_COLS} FROM star_assessments s LEFT JOIN regions r ON r.code = s.community_code \
             WHERE s.community_code = $1 AND s.year = $2"
        );
        let row = sqlx::query(&sql).bind(community).bind(year).fetch_optional(self.pool()).await?;
        row.as_ref().map(star_row).transpose()
    }

    /// Star assessments of the communities in the subtree `root` (a year, or every year when `None`).
    pub async fn star_assessments(&self, root: &str, year: Option<i64>) -> Result<Vec<StarRow>> {
        let (lo, hi) = prefix_range(root);
        let sql = format!(
            "SELECT {STAR_COLS} FROM star_assessments s LEFT JOIN regions r ON r.code = s.community_code \
             WHERE s.community_code >= $1 AND s.community_code < $2 AND ($3 = 0 OR s.year = $3) \
             ORDER BY s.year DESC, s.community_code"
        );
        let rows = sqlx::query(&sql).bind(lo).bind(hi).bind(year.unwrap_or(0)).fetch_all(self.pool()).await?;
        rows.iter().map(star_row).collect()
    }

    /// The newest approved star of a community (the portal shows it).
    pub async fn published_star(&self, community: &str) -> Result<Option<StarRow>> {
        let sql = format!(
            "SELECT {STAR_COLS} FROM star_assessments s LEFT JOIN regions r ON r.code = s.community_code \
             WHERE s.community_code = $1 AND s.status = 'approved' ORDER BY s.year DESC LIMIT 1"
        );
        let row = sqlx::query(&sql).bind(community).fetch_optional(self.pool()).await?;
        row.as_ref().map(star_row).transpose()
    }

    pub async fn insert_star_assessment(
        tx: &mut Transaction<'static, Any>,
        community: &str,
        year: i64,
        scheme: &str,
        now: i64,
    ) -> Result<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO star_assessments (community_code, year, scheme_code, status, created_at, updated_at) \
             VALUES ($1, $2, $3, 'draft', $4, $4) RETURNING id",
        )
        .bind(community)
        .bind(year)
        .bind(scheme)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "star assessment"))?;
        Ok(id)
    }

    /// Writes the assessment under the version read (Conflict when someone else changed it meanwhile).
    pub async fn save_star(tx: &mut Transaction<'static, Any>, s: &StarRow, now: i64) -> Result<()> {
        let done = sqlx::query(
            "UPDATE star_assessments SET status = $1, self_centi = $2, street_centi = $3, final_centi = $4, stars = $5, \
             declared_at = $6, approved_at = $7, flag_reason = $8, version = version + 1, updated_at = $9 \
             WHERE id = $10 AND version = $11",
        )
        .bind(&s.status)
        .bind(s.self_centi)
        .bind(s.street_centi)
        .bind(s.final_centi)
        .bind(s.stars)
        .bind(s.declared_at)
        .bind(s.approved_at)
        .bind(&s.flag_reason)
        .bind(now)
        .bind(s.id)
        .bind(s.version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("star assessment {} changed meanwhile", s.id)));
        }
        Ok(())
    }

    pub async fn put_star_score(
        tx: &mut Transaction<'static, Any>,
        id: i64,
        stage: &str,
        score: &StarScoreRow,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO star_scores (assessment_id, stage, indicator_code, score_centi, evidence, entered_by, entered_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (assessment_id, stage, indicator_code) DO UPDATE SET \
             score_centi = excluded.score_centi, evidence = excluded.evidence, entered_by = excluded.entered_by, \
             entered_at = excluded.entered_at",
        )
        .bind(id)
        .bind(stage)
        .bind(&score.indicator_code)
        .bind(score.score_centi)
        .bind(&score.evidence)
        .bind(&score.entered_by)
        .bind(score.entered_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn star_scores(&self, id: i64) -> Result<Vec<StarScoreRow>> {
        let rows: Vec<(String, String, i64, String, String, i64)> = sqlx::query_as(
            "SELECT stage, indicator_code, score_centi, evidence, entered_by, entered_at FROM star_scores \
             WHERE assessment_id = $1 ORDER BY stage, indicator_code",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(stage, indicator_code, score_centi, evidence, entered_by, entered_at)| StarScoreRow {
                stage,
                indicator_code,
                score_centi,
                evidence,
                entered_by,
                entered_at,
            })
            .collect())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_star_action(
        tx: &mut Transaction<'static, Any>,
        id: i64,
        at: i64,
        action: &str,
        from: &str,
        to: &str,
        actor: &str,
        note: &str,
        score_centi: Option<i64>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO star_actions (assessment_id, at, action, from_status, to_status, actor, note, score_centi) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(at)
        .bind(action)
        .bind(from)
        .bind(to)
        .bind(actor)
        .bind(note)
        .bind(score_centi)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn star_actions(&self, id: i64) -> Result<Vec<StarActionRow>> {
        type Row = (i64, String, String, String, String, String, Option<i64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT at, action, from_status, to_status, actor, note, score_centi FROM star_actions \
             WHERE assessment_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, action, from_status, to_status, actor, note, score_centi)| StarActionRow {
                at,
                action,
                from_status,
                to_status,
                actor,
                note,
                score_centi,
            })
            .collect())
    }

    // ---- the records behind the metrics ----------------------------------------------------------------------

    /// Events of the subtree closed in `[from, to)` (ms): 按期结案率, 返工率, 延期率.
    pub async fn events_closed_in(&self, root: &str, from: i64, to: i64) -> Result<Vec<EventFact>> {
        let (lo, hi) = prefix_range(root);
        let sql = format!(
            "SELECT {EVENT_COLS} FROM events e WHERE e.grid_code >= $1 AND e.grid_code < $2 \
             AND e.closed_at >= $3 AND e.closed_at < $4 AND e.status IN ('closed', 'evaluated') ORDER BY e.id"
        );
        let rows = sqlx::query(&sql).bind(lo).bind(hi).bind(from).bind(to).fetch_all(self.pool()).await?;
        rows.iter().map(event_fact).collect()
    }

    /// Events of the subtree reported in `[from, to)` (incidents under a star).
    pub async fn events_reported_in(&self, root: &str, from: i64, to: i64) -> Result<Vec<EventFact>> {
        let (lo, hi) = prefix_range(root);
        let sql = format!(
            "SELECT {EVENT_COLS} FROM events e WHERE e.grid_code >= $1 AND e.grid_code < $2 \
             AND e.reported_at >= $3 AND e.reported_at < $4 AND e.status NOT IN ('voided', 'rejected') ORDER BY e.id"
        );
        let rows = sqlx::query(&sql).bind(lo).bind(hi).bind(from).bind(to).fetch_all(self.pool()).await?;
        rows.iter().map(event_fact).collect()
    }

    /// Approved stars of `min_year` and later (the incident sweep reads them).
    pub async fn star_assessments_approved(&self, min_year: i64) -> Result<Vec<StarRow>> {
        let sql = format!(
            "SELECT {STAR_COLS} FROM star_assessments s LEFT JOIN regions r ON r.code = s.community_code \
             WHERE s.status = 'approved' AND s.year >= $1 ORDER BY s.id"
        );
        let rows = sqlx::query(&sql).bind(min_year).fetch_all(self.pool()).await?;
        rows.iter().map(star_row).collect()
    }

    /// Events a user reported in `[from, to)`: 有效上报率.
    pub async fn events_reported_by_user(&self, user_id: i64, from: i64, to: i64) -> Result<Vec<EventFact>> {
        let sql = format!(
            "SELECT {EVENT_COLS} FROM events e WHERE e.reporter_user_id = $1 AND e.reported_at >= $2 AND e.reported_at < $3 \
             AND e.merged_into IS NULL ORDER BY e.id"
        );
        let rows = sqlx::query(&sql).bind(user_id).bind(from).bind(to).fetch_all(self.pool()).await?;
        rows.iter().map(event_fact).collect()
    }

    /// Events dispatched to a department that were handled in `[from, to)` or whose handling limit ran out in it
    /// unhandled (应处置): 按时处置率, 返工率, 延期率 of the department.
    pub async fn events_of_department(
        &self,
        department: &str,
        root: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<EventFact>> {
        let (lo, hi) = prefix_range(root);
        let sql = format!(
            "SELECT {EVENT_COLS} FROM events e JOIN event_departments d ON d.event_id = e.id \
             WHERE d.department_code = $1 AND e.grid_code >= $2 AND e.grid_code < $3 \
             AND ((e.handled_at >= $4 AND e.handled_at < $5) \
                  OR (e.handled_at IS NULL AND e.handle_due_at >= $4 AND e.handle_due_at < $5 \
                      AND e.status NOT IN ('voided', 'rejected'))) ORDER BY e.id"
        );
        let rows =
            sqlx::query(&sql).bind(department).bind(lo).bind(hi).bind(from).bind(to).fetch_all(self.pool()).await?;
        rows.iter().map(event_fact).collect()
    }

    /// Steps `action` taken in `[from, to)` on events of the subtree, optionally only by `actor` (username) or
    /// only on events dispatched to `department`.
    pub async fn steps_in(
        &self,
        action: &str,
        root: &str,
        from: i64,
        to: i64,
        actor: Option<&str>,
        department: Option<&str>,
    ) -> Result<Vec<StepFact>> {
        let (lo, hi) = prefix_range(root);
        let rows = sqlx::query(
            "SELECT a.event_id, e.grid_code, a.at, a.actor, a.data, e.satisfaction FROM event_actions a \
             JOIN events e ON e.id = a.event_id \
             WHERE a.action = $1 AND a.at >= $2 AND a.at < $3 AND e.grid_code >= $4 AND e.grid_code < $5 \
             AND ($6 = '' OR a.actor = $6) \
             AND ($7 = '' OR EXISTS (SELECT 1 FROM event_departments d WHERE d.event_id = e.id AND d.department_code = $7)) \
             ORDER BY a.id",
        )
        .bind(action)
        .bind(from)
        .bind(to)
        .bind(lo)
        .bind(hi)
        .bind(actor.unwrap_or(""))
        .bind(department.unwrap_or(""))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StepFact {
                    event_id: r.try_get("event_id")?,
                    grid_code: r.try_get("grid_code")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    data: r.try_get("data")?,
                    satisfaction: r.try_get("satisfaction")?,
                })
            })
            .collect()
    }

    /// A user's patrols in the subtree on days `[from_day, to_day)`.
    pub async fn patrols_in(
        &self,
        root: &str,
        user_id: Option<i64>,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<PatrolFact>> {
        let (lo, hi) = prefix_range(root);
        type Row = (i64, String, String, i64, Option<i64>, Option<i64>, f64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, grid_code, day, started_at, ended_at, last_point_at, distance_m FROM patrols \
             WHERE grid_code >= $1 AND grid_code < $2 AND day >= $3 AND day < $4 AND ($5 = 0 OR user_id = $5) ORDER BY id",
        )
        .bind(lo)
        .bind(hi)
        .bind(from_day)
        .bind(to_day)
        .bind(user_id.unwrap_or(0))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, grid_code, day, started_at, ended_at, last_point_at, distance_m)| PatrolFact {
                id,
                grid_code,
                day,
                started_at,
                ended_at,
                last_point_at,
                distance_m,
            })
            .collect())
    }

    /// Visits in the subtree on days `[from_day, to_day)` (by anyone: a due person visited by a colleague is
    /// visited).
    pub async fn visits_in(&self, root: &str, from_day: &str, to_day: &str) -> Result<Vec<VisitFact>> {
        let (lo, hi) = prefix_range(root);
        let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
            "SELECT id, person_id, user_id, day FROM visits WHERE grid_code >= $1 AND grid_code < $2 \
             AND day >= $3 AND day < $4 ORDER BY id",
        )
        .bind(lo)
        .bind(hi)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(id, person_id, user_id, day)| VisitFact { id, person_id, user_id, day }).collect())
    }

    /// Approved fund-ledger entries of a community that occurred on days `[from_day, to_day)`: what its portal
    /// published.
    pub async fn ledger_published_in(&self, community: &str, from_day: &str, to_day: &str) -> Result<Vec<LedgerFact>> {
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT l.id, l.occurred_on, l.summary, l.amount_fen FROM ledger_entries l \
             JOIN ledger_decisions d ON d.entry_id = l.id AND d.decision = 'approve' \
             WHERE l.region_code = $1 AND l.occurred_on >= $2 AND l.occurred_on < $3 ORDER BY l.occurred_on, l.id",
        )
        .bind(community)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, occurred_on, summary, amount_fen)| LedgerFact { id, occurred_on, summary, amount_fen })
            .collect())
    }

    /// Departments that had events dispatched in the subtree (code, name).
    pub async fn departments_dispatched(&self, root: &str) -> Result<Vec<(String, String)>> {
        let (lo, hi) = prefix_range(root);
        Ok(sqlx::query_as(
            "SELECT p.code, p.name FROM departments p WHERE EXISTS (SELECT 1 FROM event_departments d \
             JOIN events e ON e.id = d.event_id WHERE d.department_code = p.code AND e.grid_code >= $1 AND e.grid_code < $2) \
             ORDER BY p.code",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(self.pool())
        .await?)
    }

    /// Bench baseline: the bare counts behind a region's grid-worker month in grouped SQL (reports and valid
    /// reports per reporter, verifications per actor, patrol milliseconds per user, evaluations in the region).
    pub async fn worker_month_counts_raw(
        &self,
        root: &str,
        from: i64,
        to: i64,
        from_day: &str,
        to_day: &str,
    ) -> Result<i64> {
        let (lo, hi) = prefix_range(root);
        let mut n = 0i64;
        let reports: Vec<(Option<i64>, i64, i64)> = sqlx::query_as(
            "SELECT reporter_user_id, COUNT(*), SUM(CASE WHEN registered_at IS NOT NULL THEN 1 ELSE 0 END) FROM events \
             WHERE grid_code >= $1 AND grid_code < $2 AND reported_at >= $3 AND reported_at < $4 GROUP BY reporter_user_id",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        n += reports.len() as i64;
        let steps: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT a.action, a.actor, COUNT(*) FROM event_actions a JOIN events e ON e.id = a.event_id \
             WHERE a.action IN ('verify', 'evaluate', 'supervise') AND a.at >= $1 AND a.at < $2 \
             AND e.grid_code >= $3 AND e.grid_code < $4 GROUP BY a.action, a.actor",
        )
        .bind(from)
        .bind(to)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(self.pool())
        .await?;
        n += steps.len() as i64;
        let patrols: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT user_id, CAST(COALESCE(SUM(COALESCE(ended_at, last_point_at, started_at) - started_at), 0) AS BIGINT) \
             FROM patrols WHERE grid_code >= $1 AND grid_code < $2 AND day >= $3 AND day < $4 GROUP BY user_id",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.pool())
        .await?;
        n += patrols.len() as i64;
        let visits: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT user_id, COUNT(DISTINCT person_id) FROM visits WHERE grid_code >= $1 AND grid_code < $2 \
             AND day >= $3 AND day < $4 GROUP BY user_id",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.pool())
        .await?;
        n += visits.len() as i64;
        Ok(n)
    }
}

// ---- property-management companies (物业服务考评) ---------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct PropertyCompanyRow {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    pub name: String,
    pub credit_code: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub version: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Served communities and grids (code, name), in code order.
    pub areas: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InspectionRow {
    pub period: String,
    pub indicator_code: String,
    pub score_centi: i64,
    pub evidence: String,
    pub entered_by: String,
    pub entered_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SurveyLinkRow {
    pub period: String,
    pub poll_id: i64,
    pub question: i64,
    pub linked_by: String,
    pub linked_at: i64,
}

const COMPANY_COLS: &str = "c.id, c.region_code, COALESCE(r.name, '') AS region_name, c.name, c.credit_code, \
     c.contact_name, c.contact_phone, c.version, c.created_by, c.created_at, c.updated_at";

fn company_row(r: &sqlx::any::AnyRow) -> Result<PropertyCompanyRow> {
    Ok(PropertyCompanyRow {
        id: r.try_get("id")?,
        region_code: r.try_get("region_code")?,
        region_name: r.try_get("region_name")?,
        name: r.try_get("name")?,
        credit_code: r.try_get("credit_code")?,
        contact_name: r.try_get("contact_name")?,
        contact_phone: r.try_get("contact_phone")?,
        version: r.try_get("version")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        areas: Vec::new(),
    })
}

impl Store {
    async fn with_areas(&self, mut rows: Vec<PropertyCompanyRow>) -> Result<Vec<PropertyCompanyRow>> {
        for c in &mut rows {
            c.areas = sqlx::query_as(
                "SELECT a.region_code, COALESCE(r.name, '') FROM property_company_areas a \
                 LEFT JOIN regions r ON r.code = a.region_code WHERE a.company_id = $1 ORDER BY a.region_code",
            )
            .bind(c.id)
            .fetch_all(self.pool())
            .await?;
        }
        Ok(rows)
    }

    pub async fn property_company(&self, id: i64) -> Result<Option<PropertyCompanyRow>> {
        let sql = format!(
            "SELECT {COMPANY_COLS} FROM property_companies c LEFT JOIN regions r ON r.code = c.region_code WHERE c.id = $1"
        );
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?;
        let rows = row.as_ref().map(company_row).transpose()?.into_iter().collect();
        Ok(self.with_areas(rows).await?.pop())
    }

    /// Companies registered in the subtree `root`, serving an area in it, or serving an area that contains it
    /// (a grid's company registered for the whole community).
    pub async fn property_companies(&self, root: &str) -> Result<Vec<PropertyCompanyRow>> {
        let (lo, hi) = prefix_range(root);
        let sql = format!(
            "SELECT {COMPANY_COLS} FROM property_companies c LEFT JOIN regions r ON r.code = c.region_code \
             WHERE (c.region_code >= $1 AND c.region_code < $2) OR EXISTS (SELECT 1 FROM property_company_areas a \
             WHERE a.company_id = c.id AND ((a.region_code >= $1 AND a.region_code < $2) \
             OR SUBSTR($3, 1, LENGTH(a.region_code)) = a.region_code)) ORDER BY c.id"
        );
        let rows = sqlx::query(&sql).bind(lo).bind(hi).bind(root).fetch_all(self.pool()).await?;
        let rows = rows.iter().map(company_row).collect::<Result<Vec<_>>>()?;
        self.with_areas(rows).await
    }

    pub async fn insert_property_company(
        tx: &mut Transaction<'static, Any>,
        c: &PropertyCompanyRow,
        now: i64,
    ) -> Result<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO property_companies (region_code, name, credit_code, contact_name, contact_phone, created_by, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(&c.region_code)
        .bind(&c.name)
        .bind(&c.credit_code)
        .bind(&c.contact_name)
        .bind(&c.contact_phone)
        .bind(&c.created_by)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "property company"))?;
        Ok(id)
    }

    /// Writes the company under the version read (Conflict when someone else changed it meanwhile).
    pub async fn save_property_company(
        tx: &mut Transaction<'static, Any>,
        c: &PropertyCompanyRow,
        now: i64,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE property_companies SET name = $1, credit_code = $2, contact_name = $3, contact_phone = $4, \
             version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7",
        )
        .bind(&c.name)
        .bind(&c.credit_code)
        .bind(&c.contact_name)
        .bind(&c.contact_phone)
        .bind(now)
        .bind(c.id)
        .bind(c.version)
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "property company"))?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("property company {} changed meanwhile", c.id)));
        }
        Ok(())
    }

    pub async fn set_property_areas(tx: &mut Transaction<'static, Any>, id: i64, areas: &[String]) -> Result<()> {
        sqlx::query("DELETE FROM property_company_areas WHERE company_id = $1").bind(id).execute(&mut **tx).await?;
        for a in areas {
            sqlx::query("INSERT INTO property_company_areas (company_id, region_code) VALUES ($1, $2)")
                .bind(id)
                .bind(a)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Inspection scores of periods lying within the days `[from_day, to_day)`.
    pub async fn property_inspections(&self, id: i64, from_day: &str, to_day: &str) -> Result<Vec<InspectionRow>> {
        let rows: Vec<(String, String, i64, String, String, i64)> = sqlx::query_as(
            "SELECT period, indicator_code, score_centi, evidence, entered_by, entered_at FROM property_inspections \
             WHERE company_id = $1 AND from_day >= $2 AND to_day <= $3 ORDER BY from_day, period, indicator_code",
        )
        .bind(id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(period, indicator_code, score_centi, evidence, entered_by, entered_at)| InspectionRow {
                period,
                indicator_code,
                score_centi,
                evidence,
                entered_by,
                entered_at,
            })
            .collect())
    }

    pub async fn put_property_inspection(
        tx: &mut Transaction<'static, Any>,
        id: i64,
        (period, from_day, to_day): (&str, &str, &str),
        r: &InspectionRow,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO property_inspections (company_id, period, from_day, to_day, indicator_code, score_centi, \
             evidence, entered_by, entered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (company_id, period, indicator_code) DO UPDATE SET score_centi = excluded.score_centi, \
             evidence = excluded.evidence, entered_by = excluded.entered_by, entered_at = excluded.entered_at",
        )
        .bind(id)
        .bind(period)
        .bind(from_day)
        .bind(to_day)
        .bind(&r.indicator_code)
        .bind(r.score_centi)
        .bind(&r.evidence)
        .bind(&r.entered_by)
        .bind(r.entered_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Polls linked as the company's survey for periods lying within the days `[from_day, to_day)`.
    pub async fn property_surveys(&self, id: i64, from_day: &str, to_day: &str) -> Result<Vec<SurveyLinkRow>> {
        let rows: Vec<(String, i64, i64, String, i64)> = sqlx::query_as(
            "SELECT period, poll_id, question, linked_by, linked_at FROM property_surveys \
             WHERE company_id = $1 AND from_day >= $2 AND to_day <= $3 ORDER BY from_day, period, poll_id, question",
        )
        .bind(id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(period, poll_id, question, linked_by, linked_at)| SurveyLinkRow {
                period,
                poll_id,
                question,
                linked_by,
                linked_at,
            })
            .collect())
    }

    /// Replaces the polls linked for one period.
    pub async fn set_property_surveys(
        tx: &mut Transaction<'static, Any>,
        id: i64,
        (period, from_day, to_day): (&str, &str, &str),
        links: &[(i64, i64)],
        by: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query("DELETE FROM property_surveys WHERE company_id = $1 AND period = $2")
            .bind(id)
            .bind(period)
            .execute(&mut **tx)
            .await?;
        for (poll, question) in links {
            sqlx::query(
                "INSERT INTO property_surveys (company_id, period, from_day, to_day, poll_id, question, linked_by, linked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(period)
            .bind(from_day)
            .bind(to_day)
            .bind(poll)
            .bind(question)
            .bind(by)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}
