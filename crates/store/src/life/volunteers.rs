//! Volunteers as stored: the register of volunteers (with their cumulative and current time-bank minutes), teams,
//! activities with sign-ups, the append-only time bank and honours. A ledger line and the volunteer's totals are
//! written in one statement pair inside the caller's transaction, so the totals always equal the ledger's sums.

use super::{count, map_rows, placeholders, row};
use crate::register::{Val, insert_returning_ids};
use crate::sql::{Bind, Sql, roots_clause};
use crate::{Result, Store, StoreError, now_ms};
use sqlx::{Any, Row, Transaction};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct VolunteerRow {
    pub id: i64,
    pub region_code: String,
    pub person_id: Option<i64>,
    pub user_id: Option<i64>,
    pub name: String,
    /// JSON array.
    pub skills: String,
    pub availability: String,
    pub status: String,
    pub earned_minutes: i64,
    pub balance_minutes: i64,
    pub registered_by: String,
    pub registered_at: i64,
    pub updated_at: i64,
}
row!(VolunteerRow {
    id,
    region_code,
    person_id,
    user_id,
    name,
    skills,
    availability,
    status,
    earned_minutes,
    balance_minutes,
    registered_by,
    registered_at,
    updated_at
});

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TeamRow {
    pub id: i64,
    pub region_code: String,
    pub name: String,
    pub description: String,
    pub leader_id: Option<i64>,
    pub created_at: i64,
}
row!(TeamRow { id, region_code, name, description, leader_id, created_at });

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActivityRow {
    pub id: i64,
    pub region_code: String,
    pub team_id: Option<i64>,
    pub title: String,
    pub needs: String,
    pub place: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: i64,
    pub status: String,
    pub public: i64,
    pub organiser: String,
    pub created_at: i64,
    pub updated_at: i64,
}
row!(ActivityRow {
    id,
    region_code,
    team_id,
    title,
    needs,
    place,
    starts_at,
    ends_at,
    capacity,
    status,
    public,
    organiser,
    created_at,
    updated_at
});

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SignupRow {
    pub id: i64,
    pub activity_id: i64,
    pub volunteer_id: i64,
    pub status: String,
    pub signed_up_at: i64,
    pub checked_in_at: Option<i64>,
    pub checked_out_at: Option<i64>,
    pub minutes: Option<i64>,
    pub version: i64,
}
row!(SignupRow {
    id,
    activity_id,
    volunteer_id,
    status,
    signed_up_at,
    checked_in_at,
    checked_out_at,
    minutes,
    version
});

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LedgerRow {
    pub id: i64,
    pub volunteer_id: i64,
    pub at: i64,
    pub kind: String,
    pub minutes: i64,
    pub balance_after: i64,
    pub signup_id: Option<i64>,
    pub service: String,
    pub actor: String,
}
row!(LedgerRow { id, volunteer_id, at, kind, minutes, balance_after, signup_id, service, actor });

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HonourRow {
    pub id: i64,
    pub volunteer_id: i64,
    pub level: i64,
    pub earned_minutes: i64,
    pub awarded_at: i64,
    pub awarded_by: String,
    pub note: String,
}
row!(HonourRow { id, volunteer_id, level, earned_minutes, awarded_at, awarded_by, note });

/// Which volunteers a list shows.
#[derive(Debug, Clone, Default)]
pub struct VolunteerFilter {
    pub roots: Option<Vec<String>>,
    /// Part of the name.
    pub q: Option<String>,
    /// A skill, matched inside the JSON list.
    pub skill: Option<String>,
    pub status: Option<String>,
    pub team_id: Option<i64>,
    /// Cumulative minutes at least this (星级 lists).
    pub min_earned: Option<i64>,
}

/// Which activities a list shows.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub roots: Option<Vec<String>>,
    pub region_code: Option<String>,
    /// Only those not yet ended at this instant.
    pub upcoming_at: Option<i64>,
    pub status: Option<String>,
    pub public_only: bool,
}

fn like(sql: &mut Sql, s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    sql.arg(Bind::Text(format!("%{escaped}%")))
}

impl Store {
    pub async fn insert_volunteer(tx: &mut Transaction<'static, Any>, v: &VolunteerRow) -> Result<i64> {
        let cols = [
            "region_code",
            "person_id",
            "user_id",
            "name",
            "skills",
            "availability",
            "status",
            "registered_by",
            "registered_at",
            "updated_at",
        ];
        let row = vec![
            v.region_code.as_str().into(),
            Val::IntOpt(v.person_id),
            Val::IntOpt(v.user_id),
            v.name.as_str().into(),
            v.skills.as_str().into(),
            v.availability.as_str().into(),
            v.status.as_str().into(),
            v.registered_by.as_str().into(),
            Val::Int(v.registered_at),
            Val::Int(v.registered_at),
        ];
        let ids = insert_returning_ids(tx, "volunteers", &cols, &[row]).await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("volunteer insert returned no id".into()))
    }

    pub async fn update_volunteer(tx: &mut Transaction<'static, Any>, v: &VolunteerRow) -> Result<()> {
        sqlx::query("UPDATE volunteers SET skills = $1, availability = $2, status = $3, updated_at = $4 WHERE id = $5")
            .bind(&v.skills)
            .bind(&v.availability)
            .bind(&v.status)
            .bind(now_ms())
            .bind(v.id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn volunteer(&self, id: i64) -> Result<Option<VolunteerRow>> {
        let r = sqlx::query(&format!("SELECT {} FROM volunteers WHERE id = $1", VolunteerRow::COLS))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.as_ref().map(VolunteerRow::from_row).transpose()?)
    }

    pub async fn volunteers_by_id(&self, ids: &[i64]) -> Result<Vec<VolunteerRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {} FROM volunteers WHERE id IN ({})", VolunteerRow::COLS, placeholders(1, ids.len()));
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        map_rows(&q.fetch_all(self.pool()).await?, VolunteerRow::from_row)
    }

    /// The volunteer a staff user is, in the subtrees.
    pub async fn volunteers_of_user(&self, user_id: i64) -> Result<Vec<VolunteerRow>> {
        let rows =
            sqlx::query(&format!("SELECT {} FROM volunteers WHERE user_id = $1 ORDER BY id", VolunteerRow::COLS))
                .bind(user_id)
                .fetch_all(self.pool())
                .await?;
        map_rows(&rows, VolunteerRow::from_row)
    }

    fn volunteer_where(f: &VolunteerFilter, sql: &mut Sql) -> String {
        let mut wh = vec![roots_clause(sql, "region_code", f.roots.as_deref())];
        if let Some(q) = &f.q {
            wh.push(format!("name LIKE {} ESCAPE '\\'", like(sql, q)));
        }
        if let Some(s) = &f.skill {
            let json = serde_json::to_string(s).unwrap_or_default();
            wh.push(format!("skills LIKE {} ESCAPE '\\'", like(sql, &json)));
        }
        if let Some(s) = &f.status {
            wh.push(format!("status = {}", sql.arg(Bind::Text(s.clone()))));
        }
        if let Some(t) = f.team_id {
            let a = sql.arg(Bind::Int(t));
            wh.push(format!("id IN (SELECT volunteer_id FROM volunteer_team_members WHERE team_id = {a})"));
        }
        if let Some(m) = f.min_earned {
            wh.push(format!("earned_minutes >= {}", sql.arg(Bind::Int(m))));
        }
        wh.join(" AND ")
    }

    /// Newest first, a page before `before_id`, with the total matching.
    pub async fn volunteers(
        &self,
        f: &VolunteerFilter,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<VolunteerRow>, i64)> {
        let mut c = Sql::default();
        let wh = Self::volunteer_where(f, &mut c);
        c.text = format!("SELECT COUNT(*) FROM volunteers WHERE {wh}");
        let total = count(self, &c).await?;
        let mut page = Sql::default();
        let mut wh = Self::volunteer_where(f, &mut page);
        if let Some(b) = before_id {
            wh.push_str(&format!(" AND id < {}", page.arg(Bind::Int(b))));
        }
        let lim = page.arg(Bind::Int(limit));
        page.text = format!("SELECT {} FROM volunteers WHERE {wh} ORDER BY id DESC LIMIT {lim}", VolunteerRow::COLS);
        Ok((map_rows(&page.query().fetch_all(self.pool()).await?, VolunteerRow::from_row)?, total))
    }

    pub async fn insert_volunteer_team(
        tx: &mut Transaction<'static, Any>,
        t: &TeamRow,
        members: &[i64],
    ) -> Result<i64> {
        let row = vec![
            t.region_code.as_str().into(),
            t.name.as_str().into(),
            t.description.as_str().into(),
            Val::IntOpt(t.leader_id),
            Val::Int(t.created_at),
        ];
        let ids = insert_returning_ids(
            tx,
            "volunteer_teams",
            &["region_code", "name", "description", "leader_id", "created_at"],
            &[row],
        )
        .await?;
        let id = ids.first().copied().ok_or_else(|| StoreError::Other("team insert returned no id".into()))?;
        for m in members {
            sqlx::query("INSERT INTO volunteer_team_members (team_id, volunteer_id) VALUES ($1, $2)")
                .bind(id)
                .bind(*m)
                .execute(&mut **tx)
                .await
                .map_err(|e| StoreError::from_db(e, "team member"))?;
        }
        Ok(id)
    }

    pub async fn volunteer_team(&self, id: i64) -> Result<Option<TeamRow>> {
        let r = sqlx::query(&format!("SELECT {} FROM volunteer_teams WHERE id = $1", TeamRow::COLS))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.as_ref().map(TeamRow::from_row).transpose()?)
    }

    /// Teams in the subtrees, by name.
    pub async fn volunteer_teams(&self, roots: &Option<Vec<String>>) -> Result<Vec<TeamRow>> {
        let mut sql = Sql::default();
        let wh = roots_clause(&mut sql, "region_code", roots.as_deref());
        sql.text =
            format!("SELECT {} FROM volunteer_teams WHERE {wh} ORDER BY region_code, name LIMIT 1000", TeamRow::COLS);
        map_rows(&sql.query().fetch_all(self.pool()).await?, TeamRow::from_row)
    }

    /// (team id, volunteer id) of these teams' members.
    pub async fn team_memberships(&self, team_ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        if team_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT team_id, volunteer_id FROM volunteer_team_members WHERE team_id IN ({}) ORDER BY team_id, volunteer_id",
            placeholders(1, team_ids.len())
        );
        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
        for id in team_ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(self.pool()).await?)
    }

    /// Teams a volunteer belongs to.
    pub async fn teams_of_volunteer(&self, volunteer_id: i64) -> Result<Vec<TeamRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM volunteer_teams WHERE id IN (SELECT team_id FROM volunteer_team_members WHERE volunteer_id = $1) \
             ORDER BY name",
            TeamRow::COLS
        ))
        .bind(volunteer_id)
        .fetch_all(self.pool())
        .await?;
        map_rows(&rows, TeamRow::from_row)
    }

    pub async fn insert_activity(tx: &mut Transaction<'static, Any>, a: &ActivityRow) -> Result<i64> {
        let cols = [
            "region_code",
            "team_id",
            "title",
            "needs",
            "place",
            "starts_at",
            "ends_at",
            "capacity",
            "status",
            "public",
            "organiser",
            "created_at",
            "updated_at",
        ];
        let row = vec![
            a.region_code.as_str().into(),
            Val::IntOpt(a.team_id),
            a.title.as_str().into(),
            a.needs.as_str().into(),
            a.place.as_str().into(),
            Val::Int(a.starts_at),
            Val::Int(a.ends_at),
            Val::Int(a.capacity),
            a.status.as_str().into(),
            Val::Int(a.public),
            a.organiser.as_str().into(),
            Val::Int(a.created_at),
            Val::Int(a.created_at),
        ];
        let ids = insert_returning_ids(tx, "volunteer_activities", &cols, &[row]).await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("activity insert returned no id".into()))
    }

    pub async fn set_activity_status(tx: &mut Transaction<'static, Any>, id: i64, status: &str) -> Result<()> {
        sqlx::query("UPDATE volunteer_activities SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status)
            .bind(now_ms())
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn activity(&self, id: i64) -> Result<Option<ActivityRow>> {
        let r = sqlx::query(&format!("SELECT {} FROM volunteer_activities WHERE id = $1", ActivityRow::COLS))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.as_ref().map(ActivityRow::from_row).transpose()?)
    }

    fn activity_where(f: &ActivityFilter, sql: &mut Sql) -> String {
        let mut wh = vec![roots_clause(sql, "region_code", f.roots.as_deref())];
        if let Some(r) = &f.region_code {
            wh.push(format!("region_code = {}", sql.arg(Bind::Text(r.clone()))));
        }
        if let Some(at) = f.upcoming_at {
            wh.push(format!("ends_at >= {}", sql.arg(Bind::Int(at))));
        }
        if let Some(s) = &f.status {
            wh.push(format!("status = {}", sql.arg(Bind::Text(s.clone()))));
        }
        if f.public_only {
            wh.push("public = 1".into());
        }
        wh.join(" AND ")
    }

    /// Upcoming lists run soonest first, others newest first; paged by offset (`skip`).
    pub async fn activities(&self, f: &ActivityFilter, skip: i64, limit: i64) -> Result<(Vec<ActivityRow>, i64)> {
        let mut c = Sql::default();
        let wh = Self::activity_where(f, &mut c);
        c.text = format!("SELECT COUNT(*) FROM volunteer_activities WHERE {wh}");
        let total = count(self, &c).await?;
        let mut page = Sql::default();
        let wh = Self::activity_where(f, &mut page);
        let order = if f.upcoming_at.is_some() { "starts_at, id" } else { "starts_at DESC, id DESC" };
        let (lim, off) = (page.arg(Bind::Int(limit)), page.arg(Bind::Int(skip)));
        page.text = format!(
            "SELECT {} FROM volunteer_activities WHERE {wh} ORDER BY {order} LIMIT {lim} OFFSET {off}",
            ActivityRow::COLS
        );
        Ok((map_rows(&page.query().fetch_all(self.pool()).await?, ActivityRow::from_row)?, total))
    }

    /// Places taken (sign-ups not cancelled) per activity.
    pub async fn places_taken(&self, activity_ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        if activity_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT activity_id, COUNT(*) FROM volunteer_signups WHERE status <> 'cancelled' AND activity_id IN ({}) \
             GROUP BY activity_id",
            placeholders(1, activity_ids.len())
        );
        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
        for id in activity_ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(self.pool()).await?)
    }

    /// Signs a volunteer up, unless the activity is full (counted inside the transaction; on SQLite writes are
    /// serial, on PostgreSQL the activity row is locked first). `Conflict` when full or already signed up.
    pub async fn insert_signup(
        tx: &mut Transaction<'static, Any>,
        postgres: bool,
        activity_id: i64,
        volunteer_id: i64,
        capacity: i64,
    ) -> Result<i64> {
        if postgres {
            sqlx::query("SELECT id FROM volunteer_activities WHERE id = $1 FOR UPDATE")
                .bind(activity_id)
                .execute(&mut **tx)
                .await?;
        }
        let (taken,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM volunteer_signups WHERE activity_id = $1 AND status <> 'cancelled'")
                .bind(activity_id)
                .fetch_one(&mut **tx)
                .await?;
        let existing: Option<(i64, String)> =
            sqlx::query_as("SELECT id, status FROM volunteer_signups WHERE activity_id = $1 AND volunteer_id = $2")
                .bind(activity_id)
                .bind(volunteer_id)
                .fetch_optional(&mut **tx)
                .await?;
        if let Some((_, status)) = &existing
            && status != "cancelled"
        {
            return Err(StoreError::Conflict("already signed up".into()));
        }
        if taken >= capacity {
            return Err(StoreError::Conflict("full".into()));
        }
        let now = now_ms();
        if let Some((id, _)) = existing {
            // Signing up again after cancelling reuses the row (one row per volunteer and activity).
            sqlx::query(
                "UPDATE volunteer_signups SET status = 'signed_up', signed_up_at = $1, checked_in_at = NULL, \
                 checked_out_at = NULL, minutes = NULL, version = version + 1 WHERE id = $2",
            )
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            return Ok(id);
        }
        let row = vec![Val::Int(activity_id), Val::Int(volunteer_id), "signed_up".into(), Val::Int(now)];
        let ids = insert_returning_ids(
            tx,
            "volunteer_signups",
            &["activity_id", "volunteer_id", "status", "signed_up_at"],
            &[row],
        )
        .await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("signup insert returned no id".into()))
    }

    pub async fn signup(&self, id: i64) -> Result<Option<SignupRow>> {
        let r = sqlx::query(&format!("SELECT {} FROM volunteer_signups WHERE id = $1", SignupRow::COLS))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.as_ref().map(SignupRow::from_row).transpose()?)
    }

    pub async fn signups_of_activity(&self, activity_id: i64) -> Result<Vec<SignupRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM volunteer_signups WHERE activity_id = $1 ORDER BY id",
            SignupRow::COLS
        ))
        .bind(activity_id)
        .fetch_all(self.pool())
        .await?;
        map_rows(&rows, SignupRow::from_row)
    }

    /// A volunteer's sign-ups, newest first.
    pub async fn signups_of_volunteer(&self, volunteer_id: i64, limit: i64) -> Result<Vec<SignupRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM volunteer_signups WHERE volunteer_id = $1 ORDER BY id DESC LIMIT {limit}",
            SignupRow::COLS
        ))
        .bind(volunteer_id)
        .fetch_all(self.pool())
        .await?;
        map_rows(&rows, SignupRow::from_row)
    }

    /// Writes a sign-up's new state under its version (Conflict when someone acted on it meanwhile).
    pub async fn save_signup(tx: &mut Transaction<'static, Any>, s: &SignupRow) -> Result<()> {
        let done = sqlx::query(
            "UPDATE volunteer_signups SET status = $1, checked_in_at = $2, checked_out_at = $3, minutes = $4, \
             version = version + 1 WHERE id = $5 AND version = $6",
        )
        .bind(&s.status)
        .bind(s.checked_in_at)
        .bind(s.checked_out_at)
        .bind(s.minutes)
        .bind(s.id)
        .bind(s.version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("sign-up {} changed meanwhile", s.id)));
        }
        Ok(())
    }

    /// Appends a time-bank line of `minutes` (positive: earned, counted in the cumulative total too; negative:
    /// redeemed) and moves the volunteer's totals with it. `None` (nothing written) when the balance would go
    /// below zero: the check and the change are one statement, so two withdrawals at once cannot overdraw.
    pub async fn append_ledger(
        tx: &mut Transaction<'static, Any>,
        volunteer_id: i64,
        kind: &str,
        minutes: i64,
        signup_id: Option<i64>,
        service: &str,
        actor: &str,
    ) -> Result<Option<i64>> {
        let earned = minutes.max(0);
        let balance: Option<(i64,)> = sqlx::query_as(
            "UPDATE volunteers SET balance_minutes = balance_minutes + $1, earned_minutes = earned_minutes + $2, \
             updated_at = $3 WHERE id = $4 AND balance_minutes + $5 >= 0 RETURNING balance_minutes",
        )
        .bind(minutes)
        .bind(earned)
        .bind(now_ms())
        .bind(volunteer_id)
        .bind(minutes)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((balance,)) = balance else { return Ok(None) };
        let row = vec![
            Val::Int(volunteer_id),
            Val::Int(now_ms()),
            kind.into(),
            Val::Int(minutes),
            Val::Int(balance),
            Val::IntOpt(signup_id),
            service.into(),
            actor.into(),
        ];
        insert_returning_ids(
            tx,
            "time_bank_entries",
            &["volunteer_id", "at", "kind", "minutes", "balance_after", "signup_id", "service", "actor"],
            &[row],
        )
        .await?;
        Ok(Some(balance))
    }

    /// A volunteer's ledger, newest first.
    pub async fn ledger(&self, volunteer_id: i64, limit: i64) -> Result<Vec<LedgerRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM time_bank_entries WHERE volunteer_id = $1 ORDER BY id DESC LIMIT {limit}",
            LedgerRow::COLS
        ))
        .bind(volunteer_id)
        .fetch_all(self.pool())
        .await?;
        map_rows(&rows, LedgerRow::from_row)
    }

    /// The ledger's sums for a volunteer: (every line, earned lines).
    pub async fn time_bank_sums(&self, volunteer_id: i64) -> Result<(i64, i64)> {
        let r = sqlx::query(
            "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) AS total, \
             CAST(COALESCE(SUM(CASE WHEN minutes > 0 THEN minutes ELSE 0 END), 0) AS BIGINT) AS earned \
             FROM time_bank_entries WHERE volunteer_id = $1",
        )
        .bind(volunteer_id)
        .fetch_one(self.pool())
        .await?;
        Ok((r.try_get("total")?, r.try_get("earned")?))
    }

    pub async fn insert_honour(tx: &mut Transaction<'static, Any>, h: &HonourRow) -> Result<i64> {
        let row = vec![
            Val::Int(h.volunteer_id),
            Val::Int(h.level),
            Val::Int(h.earned_minutes),
            Val::Int(h.awarded_at),
            h.awarded_by.as_str().into(),
            h.note.as_str().into(),
        ];
        let ids = insert_returning_ids(
            tx,
            "volunteer_honours",
            &["volunteer_id", "level", "earned_minutes", "awarded_at", "awarded_by", "note"],
            &[row],
        )
        .await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("honour insert returned no id".into()))
    }

    pub async fn honours(&self, volunteer_ids: &[i64]) -> Result<Vec<HonourRow>> {
        if volunteer_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM volunteer_honours WHERE volunteer_id IN ({}) ORDER BY volunteer_id, level",
            HonourRow::COLS,
            placeholders(1, volunteer_ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in volunteer_ids {
            q = q.bind(*id);
        }
        map_rows(&q.fetch_all(self.pool()).await?, HonourRow::from_row)
    }

    /// Counts for the overview: (active volunteers, upcoming activities) in the subtrees.
    pub async fn volunteer_counts(&self, roots: &Option<Vec<String>>, now: i64) -> Result<(i64, i64)> {
        let mut a = Sql::default();
        let wh = roots_clause(&mut a, "region_code", roots.as_deref());
        a.text = format!("SELECT COUNT(*) FROM volunteers WHERE {wh} AND status = 'active'");
        let mut b = Sql::default();
        let wh = roots_clause(&mut b, "region_code", roots.as_deref());
        let at = b.arg(Bind::Int(now));
        b.text =
            format!("SELECT COUNT(*) FROM volunteer_activities WHERE {wh} AND status = 'open' AND ends_at >= {at}");
        Ok((count(self, &a).await?, count(self, &b).await?))
    }
}
