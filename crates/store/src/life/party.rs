//! 党建引领 as stored: party organizations in the region tree, members (linked to the register), 三会一课 and
//! 主题党日 with sign-in, and members' service records.

use super::{count, map_rows, placeholders, row};
use crate::register::{Val, insert_returning_ids};
use crate::sql::{Bind, Sql, roots_clause};
use crate::{Result, Store, StoreError};
use sqlx::{Any, Transaction};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartyOrgRow {
    pub id: i64,
    pub region_code: String,
    pub parent_id: Option<i64>,
    pub kind: String,
    pub name: String,
    pub secretary: String,
    pub founded_on: Option<String>,
    pub note: String,
    pub created_at: i64,
    pub updated_at: i64,
}
row!(PartyOrgRow { id, region_code, parent_id, kind, name, secretary, founded_on, note, created_at, updated_at });

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemberRow {
    pub id: i64,
    pub person_id: i64,
    pub region_code: String,
    pub org_id: Option<i64>,
    pub kind: String,
    pub status: String,
    pub joined_on: Option<String>,
    pub home_org: String,
    pub employer: String,
    pub employer_org: String,
    pub commitment: String,
    pub reported_on: Option<String>,
    pub active: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The register person's name and grid (joined).
    pub name: String,
    pub grid_code: String,
}
row!(MemberRow {
    id,
    person_id,
    region_code,
    org_id,
    kind,
    status,
    joined_on,
    home_org,
    employer,
    employer_org,
    commitment,
    reported_on,
    active,
    created_at,
    updated_at,
    name,
    grid_code
});

const MEMBER_SELECT: &str = "SELECT m.id AS id, m.person_id AS person_id, m.region_code AS region_code, \
     m.org_id AS org_id, m.kind AS kind, m.status AS status, m.joined_on AS joined_on, m.home_org AS home_org, \
     m.employer AS employer, m.employer_org AS employer_org, m.commitment AS commitment, m.reported_on AS reported_on, \
     m.active AS active, m.created_at AS created_at, m.updated_at AS updated_at, p.name AS name, \
     p.grid_code AS grid_code FROM party_members m JOIN people p ON p.id = m.person_id";

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartyActivityRow {
    pub id: i64,
    pub org_id: i64,
    pub kind: String,
    pub title: String,
    pub held_at: i64,
    pub place: String,
    pub summary: String,
    pub public: i64,
    pub created_by: String,
    pub created_at: i64,
}
row!(PartyActivityRow { id, org_id, kind, title, held_at, place, summary, public, created_by, created_at });

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceRecordRow {
    pub id: i64,
    pub member_id: i64,
    pub served_on: String,
    pub minutes: i64,
    pub content: String,
    pub recorded_by: String,
    pub created_at: i64,
}
row!(ServiceRecordRow { id, member_id, served_on, minutes, content, recorded_by, created_at });

/// Which members a list shows.
#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    pub roots: Option<Vec<String>>,
    pub org_id: Option<i64>,
    pub kind: Option<String>,
    pub q: Option<String>,
}

impl Store {
    pub async fn insert_party_org(tx: &mut Transaction<'static, Any>, o: &PartyOrgRow) -> Result<i64> {
        let row = vec![
            o.region_code.as_str().into(),
            Val::IntOpt(o.parent_id),
            o.kind.as_str().into(),
            o.name.as_str().into(),
            o.secretary.as_str().into(),
            Val::Text(o.founded_on.clone()),
            o.note.as_str().into(),
            Val::Int(o.created_at),
            Val::Int(o.created_at),
        ];
        let ids = insert_returning_ids(
            tx,
            "party_orgs",
            &[
                "region_code",
                "parent_id",
                "kind",
                "name",
                "secretary",
                "founded_on",
                "note",
                "created_at",
                "updated_at",
            ],
            &[row],
        )
        .await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("party org insert returned no id".into()))
    }

    pub async fn party_org(&self, id: i64) -> Result<Option<PartyOrgRow>> {
        let r = sqlx::query(&format!("SELECT {} FROM party_orgs WHERE id = $1", PartyOrgRow::COLS))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.as_ref().map(PartyOrgRow::from_row).transpose()?)
    }

    /// Party organizations in the subtrees (or of exactly `region`), in tree order.
    pub async fn party_orgs(&self, roots: &Option<Vec<String>>, region: Option<&str>) -> Result<Vec<PartyOrgRow>> {
        let mut sql = Sql::default();
        let mut w = roots_clause(&mut sql, "region_code", roots.as_deref());
        if let Some(r) = region {
            w.push_str(&format!(" AND region_code = {}", sql.arg(Bind::Text(r.to_string()))));
        }
        sql.text =
            format!("SELECT {} FROM party_orgs WHERE {w} ORDER BY region_code, id LIMIT 2000", PartyOrgRow::COLS);
        map_rows(&sql.query().fetch_all(self.pool()).await?, PartyOrgRow::from_row)
    }

    /// Active members per organization.
    pub async fn party_member_counts(&self, org_ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        if org_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT org_id, COUNT(*) FROM party_members WHERE active = 1 AND org_id IN ({}) GROUP BY org_id",
            placeholders(1, org_ids.len())
        );
        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
        for id in org_ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(self.pool()).await?)
    }

    pub async fn insert_party_member(tx: &mut Transaction<'static, Any>, m: &MemberRow) -> Result<i64> {
        let cols = [
            "person_id",
            "region_code",
            "org_id",
            "kind",
            "status",
            "joined_on",
            "home_org",
            "employer",
            "employer_org",
            "commitment",
            "reported_on",
            "active",
            "created_at",
            "updated_at",
        ];
        let row = vec![
            Val::Int(m.person_id),
            m.region_code.as_str().into(),
            Val::IntOpt(m.org_id),
            m.kind.as_str().into(),
            m.status.as_str().into(),
            Val::Text(m.joined_on.clone()),
            m.home_org.as_str().into(),
            m.employer.as_str().into(),
            m.employer_org.as_str().into(),
            m.commitment.as_str().into(),
            Val::Text(m.reported_on.clone()),
            Val::Int(m.active),
            Val::Int(m.created_at),
            Val::Int(m.created_at),
        ];
        let ids = insert_returning_ids(tx, "party_members", &cols, &[row]).await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("member insert returned no id".into()))
    }

    pub async fn party_member(&self, id: i64) -> Result<Option<MemberRow>> {
        let r = sqlx::query(&format!("{MEMBER_SELECT} WHERE m.id = $1")).bind(id).fetch_optional(self.pool()).await?;
        Ok(r.as_ref().map(MemberRow::from_row).transpose()?)
    }

    pub async fn party_member_of_person(&self, person_id: i64) -> Result<Option<MemberRow>> {
        let r = sqlx::query(&format!("{MEMBER_SELECT} WHERE m.person_id = $1"))
            .bind(person_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.as_ref().map(MemberRow::from_row).transpose()?)
    }

    fn member_where(f: &MemberFilter, sql: &mut Sql) -> String {
        let mut wh = vec![roots_clause(sql, "m.region_code", f.roots.as_deref())];
        if let Some(o) = f.org_id {
            wh.push(format!("m.org_id = {}", sql.arg(Bind::Int(o))));
        }
        if let Some(k) = &f.kind {
            wh.push(format!("m.kind = {}", sql.arg(Bind::Text(k.clone()))));
        }
        if let Some(q) = &f.q {
            let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            wh.push(format!("p.name LIKE {} ESCAPE '\\'", sql.arg(Bind::Text(format!("%{escaped}%")))));
        }
        wh.join(" AND ")
    }

    /// Members in the subtrees, newest first, a page before `before_id`, with the total.
    pub async fn party_members(
        &self,
        f: &MemberFilter,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<MemberRow>, i64)> {
        let mut c = Sql::default();
        let wh = Self::member_where(f, &mut c);
        c.text = format!("SELECT COUNT(*) FROM party_members m JOIN people p ON p.id = m.person_id WHERE {wh}");
        let total = count(self, &c).await?;
        let mut page = Sql::default();
        let mut wh = Self::member_where(f, &mut page);
        if let Some(b) = before_id {
            wh.push_str(&format!(" AND m.id < {}", page.arg(Bind::Int(b))));
        }
        let lim = page.arg(Bind::Int(limit));
        page.text = format!("{MEMBER_SELECT} WHERE {wh} ORDER BY m.id DESC LIMIT {lim}");
        Ok((map_rows(&page.query().fetch_all(self.pool()).await?, MemberRow::from_row)?, total))
    }

    /// Members of one organization (for sign-in), by name.
    pub async fn party_members_of_org(&self, org_id: i64) -> Result<Vec<MemberRow>> {
        let rows = sqlx::query(&format!("{MEMBER_SELECT} WHERE m.org_id = $1 AND m.active = 1 ORDER BY m.id"))
            .bind(org_id)
            .fetch_all(self.pool())
            .await?;
        map_rows(&rows, MemberRow::from_row)
    }

    pub async fn party_members_by_id(&self, ids: &[i64]) -> Result<Vec<MemberRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("{MEMBER_SELECT} WHERE m.id IN ({}) ORDER BY m.id", placeholders(1, ids.len()));
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        map_rows(&q.fetch_all(self.pool()).await?, MemberRow::from_row)
    }

    pub async fn insert_party_activity(tx: &mut Transaction<'static, Any>, a: &PartyActivityRow) -> Result<i64> {
        let row = vec![
            Val::Int(a.org_id),
            a.kind.as_str().into(),
            a.title.as_str().into(),
            Val::Int(a.held_at),
            a.place.as_str().into(),
            a.summary.as_str().into(),
            Val::Int(a.public),
            a.created_by.as_str().into(),
            Val::Int(a.created_at),
        ];
        let ids = insert_returning_ids(
            tx,
            "party_activities",
            &["org_id", "kind", "title", "held_at", "place", "summary", "public", "created_by", "created_at"],
            &[row],
        )
        .await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("party activity insert returned no id".into()))
    }

    pub async fn party_activity(&self, id: i64) -> Result<Option<PartyActivityRow>> {
        let r = sqlx::query(&format!("SELECT {} FROM party_activities WHERE id = $1", PartyActivityRow::COLS))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.as_ref().map(PartyActivityRow::from_row).transpose()?)
    }

    /// Activities of these organizations held in `[from, to)` (public ones only when asked), newest first.
    pub async fn party_activities(
        &self,
        org_ids: &[i64],
        from: i64,
        to: i64,
        public_only: bool,
        limit: i64,
    ) -> Result<Vec<PartyActivityRow>> {
        if org_ids.is_empty() {
            return Ok(Vec::new());
        }
        let n = org_ids.len();
        let public = if public_only { " AND public = 1" } else { "" };
        let sql = format!(
            "SELECT {} FROM party_activities WHERE org_id IN ({}) AND held_at >= ${} AND held_at < ${}{public} \
             ORDER BY held_at DESC, id DESC LIMIT {limit}",
            PartyActivityRow::COLS,
            placeholders(1, n),
            n + 1,
            n + 2
        );
        let mut q = sqlx::query(&sql);
        for id in org_ids {
            q = q.bind(*id);
        }
        map_rows(&q.bind(from).bind(to).fetch_all(self.pool()).await?, PartyActivityRow::from_row)
    }

    /// Signs members in at an activity (a second sign-in keeps the first); returns how many were new.
    pub async fn sign_in_party_members(
        tx: &mut Transaction<'static, Any>,
        activity_id: i64,
        member_ids: &[i64],
        at: i64,
    ) -> Result<u64> {
        let mut n = 0;
        for m in member_ids {
            let done = sqlx::query(
                "INSERT INTO party_activity_attendance (activity_id, member_id, signed_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (activity_id, member_id) DO NOTHING",
            )
            .bind(activity_id)
            .bind(*m)
            .bind(at)
            .execute(&mut **tx)
            .await?;
            n += done.rows_affected();
        }
        Ok(n)
    }

    /// (member id, signed at) of an activity.
    pub async fn party_attendance(&self, activity_id: i64) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT member_id, signed_at FROM party_activity_attendance WHERE activity_id = $1 ORDER BY signed_at, member_id",
        )
        .bind(activity_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Attendance counts per activity.
    pub async fn party_attendance_counts(&self, activity_ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        if activity_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT activity_id, COUNT(*) FROM party_activity_attendance WHERE activity_id IN ({}) GROUP BY activity_id",
            placeholders(1, activity_ids.len())
        );
        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
        for id in activity_ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(self.pool()).await?)
    }

    pub async fn insert_service_record(tx: &mut Transaction<'static, Any>, s: &ServiceRecordRow) -> Result<i64> {
        let row = vec![
            Val::Int(s.member_id),
            s.served_on.as_str().into(),
            Val::Int(s.minutes),
            s.content.as_str().into(),
            s.recorded_by.as_str().into(),
            Val::Int(s.created_at),
        ];
        let ids = insert_returning_ids(
            tx,
            "party_service_records",
            &["member_id", "served_on", "minutes", "content", "recorded_by", "created_at"],
            &[row],
        )
        .await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("service record insert returned no id".into()))
    }

    pub async fn service_records(&self, member_id: i64) -> Result<Vec<ServiceRecordRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM party_service_records WHERE member_id = $1 ORDER BY served_on DESC, id DESC LIMIT 500",
            ServiceRecordRow::COLS
        ))
        .bind(member_id)
        .fetch_all(self.pool())
        .await?;
        map_rows(&rows, ServiceRecordRow::from_row)
    }

    /// Per in-service member of the subtrees: (member id, records, minutes) served in `[from, to]` (days,
    /// `YYYY-MM-DD`), members without any service included with zeros.
    pub async fn service_totals(
        &self,
        roots: &Option<Vec<String>>,
        from: &str,
        to: &str,
    ) -> Result<Vec<(i64, i64, i64)>> {
        let mut sql = Sql::default();
        let (a, b) = (sql.arg(Bind::Text(from.into())), sql.arg(Bind::Text(to.into())));
        let wh = roots_clause(&mut sql, "m.region_code", roots.as_deref());
        sql.text = format!(
            "SELECT m.id, CAST(COUNT(s.id) AS BIGINT), CAST(COALESCE(SUM(s.minutes), 0) AS BIGINT) FROM party_members m \
             LEFT JOIN party_service_records s ON s.member_id = m.id AND s.served_on >= {a} AND s.served_on <= {b} \
             WHERE {wh} AND m.kind = 'in_service' AND m.active = 1 GROUP BY m.id ORDER BY m.id"
        );
        let rows = sql.query().fetch_all(self.pool()).await?;
        use sqlx::Row;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?, r.try_get::<i64, _>(2)?)))
            .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Activities per (organization, kind) held in `[from, to)`: the 三会一课 count.
    pub async fn party_activity_counts(&self, org_ids: &[i64], from: i64, to: i64) -> Result<Vec<(i64, String, i64)>> {
        if org_ids.is_empty() {
            return Ok(Vec::new());
        }
        let n = org_ids.len();
        let sql = format!(
            "SELECT org_id, kind, COUNT(*) FROM party_activities WHERE org_id IN ({}) AND held_at >= ${} AND held_at < ${} \
             GROUP BY org_id, kind",
            placeholders(1, n),
            n + 1,
            n + 2
        );
        let mut q = sqlx::query_as::<_, (i64, String, i64)>(&sql);
        for id in org_ids {
            q = q.bind(*id);
        }
        Ok(q.bind(from).bind(to).fetch_all(self.pool()).await?)
    }
}
