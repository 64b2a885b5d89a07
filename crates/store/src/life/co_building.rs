//! 共建单位 with their yearly commitments and progress, 共建日 events, and the social organizations of the register
//! with their incubation stage, its history and the services they offer.

use super::{count, map_rows, placeholders, row};
use crate::register::{Val, insert_returning_ids};
use crate::sql::{Bind, Sql, roots_clause};
use crate::{Result, Store, StoreError, now_ms};
use sqlx::{Any, Transaction};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnitRow {
    pub id: i64,
    pub region_code: String,
    pub organization_id: Option<i64>,
    pub name: String,
    pub kind: String,
    pub contact_name: String,
    pub contact_phone_enc: Option<String>,
    pub contact_phone_masked: Option<String>,
    pub paired_on: Option<String>,
    pub note: String,
    pub active: i64,
    pub created_at: i64,
    pub updated_at: i64,
}
row!(UnitRow {
    id,
    region_code,
    organization_id,
    name,
    kind,
    contact_name,
    contact_phone_enc,
    contact_phone_masked,
    paired_on,
    note,
    active,
    created_at,
    updated_at
});

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CommitmentRow {
    pub id: i64,
    pub unit_id: i64,
    pub year: i64,
    pub kind: String,
    pub title: String,
    pub target_x100: i64,
    pub done_x100: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}
row!(CommitmentRow { id, unit_id, year, kind, title, target_x100, done_x100, version, created_at, updated_at });

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CommitmentProgressRow {
    pub id: i64,
    pub commitment_id: i64,
    pub at: i64,
    pub amount_x100: i64,
    pub note: String,
    pub actor: String,
}
row!(CommitmentProgressRow { id, commitment_id, at, amount_x100, note, actor });

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DayRow {
    pub id: i64,
    pub region_code: String,
    pub held_on: String,
    pub theme: String,
    pub content: String,
    pub problems: String,
    pub created_by: String,
    pub created_at: i64,
}
row!(DayRow { id, region_code, held_on, theme, content, problems, created_by, created_at });

/// A social organization of the register with its incubation profile (when it has one).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SocialOrgRow {
    pub id: i64,
    pub name: String,
    pub grid_code: String,
    pub status: String,
    pub legal_rep: String,
    pub stage: Option<String>,
    pub field: Option<String>,
    pub stage_since: Option<i64>,
}
row!(SocialOrgRow { id, name, grid_code, status, legal_rep, stage, field, stage_since });

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StageRow {
    pub id: i64,
    pub organization_id: i64,
    pub from_stage: Option<String>,
    pub stage: String,
    pub at: i64,
    pub actor: String,
    pub note: String,
}
row!(StageRow { id, organization_id, from_stage, stage, at, actor, note });

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceRow {
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    pub target: String,
    pub description: String,
    pub created_at: i64,
}
row!(ServiceRow { id, organization_id, name, target, description, created_at });

fn bind_ids<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    ids: &[i64],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for id in ids {
        q = q.bind(*id);
    }
    q
}

/// The subtrees (and, when given, exactly one region) of a list.
fn region_where(sql: &mut Sql, roots: &Option<Vec<String>>, region: Option<&str>) -> String {
    let mut w = roots_clause(sql, "region_code", roots.as_deref());
    if let Some(r) = region {
        w.push_str(&format!(" AND region_code = {}", sql.arg(Bind::Text(r.to_string()))));
    }
    w
}

fn social_where(sql: &mut Sql, roots: &Option<Vec<String>>, stage: Option<&str>) -> String {
    let mut w = roots_clause(sql, "o.grid_code", roots.as_deref());
    w.push_str(" AND o.kind = 'social_organization'");
    if let Some(s) = stage {
        w.push_str(&format!(" AND p.stage = {}", sql.arg(Bind::Text(s.to_string()))));
    }
    w
}

impl Store {
    pub async fn insert_unit(tx: &mut Transaction<'static, Any>, u: &UnitRow) -> Result<i64> {
        let cols = [
            "region_code",
            "organization_id",
            "name",
            "kind",
            "contact_name",
            "contact_phone_enc",
            "contact_phone_masked",
            "paired_on",
            "note",
            "active",
            "created_at",
            "updated_at",
        ];
        let row = vec![
            u.region_code.as_str().into(),
            Val::IntOpt(u.organization_id),
            u.name.as_str().into(),
            u.kind.as_str().into(),
            u.contact_name.as_str().into(),
            Val::Text(u.contact_phone_enc.clone()),
            Val::Text(u.contact_phone_masked.clone()),
            Val::Text(u.paired_on.clone()),
            u.note.as_str().into(),
            Val::Int(u.active),
            Val::Int(u.created_at),
            Val::Int(u.created_at),
        ];
        let ids = insert_returning_ids(tx, "co_building_units", &cols, &[row]).await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("unit insert returned no id".into()))
    }

    pub async fn unit(&self, id: i64) -> Result<Option<UnitRow>> {
        let r = sqlx::query(&format!("SELECT {} FROM co_building_units WHERE id = $1", UnitRow::COLS))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.as_ref().map(UnitRow::from_row).transpose()?)
    }

    pub async fn units_by_id(&self, ids: &[i64]) -> Result<Vec<UnitRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql =
            format!("SELECT {} FROM co_building_units WHERE id IN ({})", UnitRow::COLS, placeholders(1, ids.len()));
        map_rows(&bind_ids(sqlx::query(&sql), ids).fetch_all(self.pool()).await?, UnitRow::from_row)
    }

    /// Units in the subtrees (or of exactly `region`), active first, by name; paged by offset.
    pub async fn units(
        &self,
        roots: &Option<Vec<String>>,
        region: Option<&str>,
        skip: i64,
        limit: i64,
    ) -> Result<(Vec<UnitRow>, i64)> {
        let mut c = Sql::default();
        let w = region_where(&mut c, roots, region);
        c.text = format!("SELECT COUNT(*) FROM co_building_units WHERE {w}");
        let total = count(self, &c).await?;
        let mut page = Sql::default();
        let w = region_where(&mut page, roots, region);
        let (lim, off) = (page.arg(Bind::Int(limit)), page.arg(Bind::Int(skip)));
        page.text = format!(
            "SELECT {} FROM co_building_units WHERE {w} ORDER BY active DESC, region_code, name, id LIMIT {lim} OFFSET {off}",
            UnitRow::COLS
        );
        Ok((map_rows(&page.query().fetch_all(self.pool()).await?, UnitRow::from_row)?, total))
    }

    pub async fn insert_commitment(tx: &mut Transaction<'static, Any>, c: &CommitmentRow) -> Result<i64> {
        let row = vec![
            Val::Int(c.unit_id),
            Val::Int(c.year),
            c.kind.as_str().into(),
            c.title.as_str().into(),
            Val::Int(c.target_x100),
            Val::Int(c.created_at),
            Val::Int(c.created_at),
        ];
        let ids = insert_returning_ids(
            tx,
            "co_building_commitments",
            &["unit_id", "year", "kind", "title", "target_x100", "created_at", "updated_at"],
            &[row],
        )
        .await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("commitment insert returned no id".into()))
    }

    pub async fn commitment(&self, id: i64) -> Result<Option<CommitmentRow>> {
        let r = sqlx::query(&format!("SELECT {} FROM co_building_commitments WHERE id = $1", CommitmentRow::COLS))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.as_ref().map(CommitmentRow::from_row).transpose()?)
    }

    /// Commitments of these units (of one year when given), by unit, year and id.
    pub async fn commitments_of(&self, unit_ids: &[i64], year: Option<i64>) -> Result<Vec<CommitmentRow>> {
        if unit_ids.is_empty() {
            return Ok(Vec::new());
        }
        let n = unit_ids.len();
        let year_clause = if year.is_some() { format!(" AND year = ${}", n + 1) } else { String::new() };
        let sql = format!(
            "SELECT {} FROM co_building_commitments WHERE unit_id IN ({}){year_clause} ORDER BY unit_id, year DESC, id",
            CommitmentRow::COLS,
            placeholders(1, n)
        );
        let mut q = bind_ids(sqlx::query(&sql), unit_ids);
        if let Some(y) = year {
            q = q.bind(y);
        }
        map_rows(&q.fetch_all(self.pool()).await?, CommitmentRow::from_row)
    }

    /// Adds progress to a commitment under its version and records the line; returns the line's id.
    pub async fn add_commitment_progress(
        tx: &mut Transaction<'static, Any>,
        c: &CommitmentRow,
        amount_x100: i64,
        note: &str,
        actor: &str,
    ) -> Result<i64> {
        let done = sqlx::query(
            "UPDATE co_building_commitments SET done_x100 = done_x100 + $1, version = version + 1, updated_at = $2 \
             WHERE id = $3 AND version = $4",
        )
        .bind(amount_x100)
        .bind(now_ms())
        .bind(c.id)
        .bind(c.version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("commitment {} changed meanwhile", c.id)));
        }
        let row = vec![Val::Int(c.id), Val::Int(now_ms()), Val::Int(amount_x100), note.into(), actor.into()];
        let ids = insert_returning_ids(
            tx,
            "co_building_progress",
            &["commitment_id", "at", "amount_x100", "note", "actor"],
            &[row],
        )
        .await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("progress insert returned no id".into()))
    }

    pub async fn commitment_progress(&self, commitment_ids: &[i64]) -> Result<Vec<CommitmentProgressRow>> {
        if commitment_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM co_building_progress WHERE commitment_id IN ({}) ORDER BY id",
            CommitmentProgressRow::COLS,
            placeholders(1, commitment_ids.len())
        );
        map_rows(
            &bind_ids(sqlx::query(&sql), commitment_ids).fetch_all(self.pool()).await?,
            CommitmentProgressRow::from_row,
        )
    }

    pub async fn commitment_progress_line(&self, id: i64) -> Result<Option<CommitmentProgressRow>> {
        let r = sqlx::query(&format!("SELECT {} FROM co_building_progress WHERE id = $1", CommitmentProgressRow::COLS))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.as_ref().map(CommitmentProgressRow::from_row).transpose()?)
    }

    pub async fn insert_co_building_day(tx: &mut Transaction<'static, Any>, d: &DayRow, units: &[i64]) -> Result<i64> {
        let row = vec![
            d.region_code.as_str().into(),
            d.held_on.as_str().into(),
            d.theme.as_str().into(),
            d.content.as_str().into(),
            d.problems.as_str().into(),
            d.created_by.as_str().into(),
            Val::Int(d.created_at),
        ];
        let ids = insert_returning_ids(
            tx,
            "co_building_days",
            &["region_code", "held_on", "theme", "content", "problems", "created_by", "created_at"],
            &[row],
        )
        .await?;
        let id = ids.first().copied().ok_or_else(|| StoreError::Other("day insert returned no id".into()))?;
        for u in units {
            sqlx::query("INSERT INTO co_building_day_units (day_id, unit_id) VALUES ($1, $2)")
                .bind(id)
                .bind(*u)
                .execute(&mut **tx)
                .await
                .map_err(|e| StoreError::from_db(e, "co-building day unit"))?;
        }
        Ok(id)
    }

    /// 共建日 in the subtrees (or of exactly `region`), newest first; paged by offset.
    pub async fn co_building_days(
        &self,
        roots: &Option<Vec<String>>,
        region: Option<&str>,
        skip: i64,
        limit: i64,
    ) -> Result<(Vec<DayRow>, i64)> {
        let mut c = Sql::default();
        let w = region_where(&mut c, roots, region);
        c.text = format!("SELECT COUNT(*) FROM co_building_days WHERE {w}");
        let total = count(self, &c).await?;
        let mut page = Sql::default();
        let w = region_where(&mut page, roots, region);
        let (lim, off) = (page.arg(Bind::Int(limit)), page.arg(Bind::Int(skip)));
        page.text = format!(
            "SELECT {} FROM co_building_days WHERE {w} ORDER BY held_on DESC, id DESC LIMIT {lim} OFFSET {off}",
            DayRow::COLS
        );
        Ok((map_rows(&page.query().fetch_all(self.pool()).await?, DayRow::from_row)?, total))
    }

    /// (day id, unit id) of these days' units.
    pub async fn co_building_day_units(&self, day_ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        if day_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT day_id, unit_id FROM co_building_day_units WHERE day_id IN ({}) ORDER BY day_id, unit_id",
            placeholders(1, day_ids.len())
        );
        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
        for id in day_ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(self.pool()).await?)
    }

    /// Social organizations of the register in the subtrees (by grid), with their profile; paged by id.
    pub async fn social_orgs(
        &self,
        roots: &Option<Vec<String>>,
        stage: Option<&str>,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<SocialOrgRow>, i64)> {
        let from = "organizations o LEFT JOIN social_org_profiles p ON p.organization_id = o.id";
        let mut c = Sql::default();
        let w = social_where(&mut c, roots, stage);
        c.text = format!("SELECT COUNT(*) FROM {from} WHERE {w}");
        let total = count(self, &c).await?;
        let mut page = Sql::default();
        let mut w = social_where(&mut page, roots, stage);
        if let Some(b) = before_id {
            w.push_str(&format!(" AND o.id < {}", page.arg(Bind::Int(b))));
        }
        let lim = page.arg(Bind::Int(limit));
        page.text = format!(
            "SELECT o.id AS id, o.name AS name, o.grid_code AS grid_code, o.status AS status, o.legal_rep AS legal_rep, \
             p.stage AS stage, p.field AS field, p.stage_since AS stage_since FROM {from} WHERE {w} \
             ORDER BY o.id DESC LIMIT {lim}"
        );
        Ok((map_rows(&page.query().fetch_all(self.pool()).await?, SocialOrgRow::from_row)?, total))
    }

    pub async fn social_org(&self, id: i64) -> Result<Option<SocialOrgRow>> {
        let r = sqlx::query(
            "SELECT o.id AS id, o.name AS name, o.grid_code AS grid_code, o.status AS status, o.legal_rep AS legal_rep, \
             p.stage AS stage, p.field AS field, p.stage_since AS stage_since FROM organizations o \
             LEFT JOIN social_org_profiles p ON p.organization_id = o.id WHERE o.id = $1 AND o.kind = 'social_organization'",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(r.as_ref().map(SocialOrgRow::from_row).transpose()?)
    }

    /// Sets a social organization's stage and field, and records the change of stage (when it changed).
    pub async fn set_social_org_stage(
        tx: &mut Transaction<'static, Any>,
        org_id: i64,
        from: Option<&str>,
        stage: &str,
        field: &str,
        actor: &str,
        note: &str,
    ) -> Result<()> {
        let now = now_ms();
        let changed = from != Some(stage);
        sqlx::query(
            "INSERT INTO social_org_profiles (organization_id, stage, field, stage_since, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organization_id) DO UPDATE SET stage = excluded.stage, \
             field = excluded.field, updated_at = excluded.updated_at, \
             stage_since = CASE WHEN social_org_profiles.stage = excluded.stage THEN social_org_profiles.stage_since \
             ELSE excluded.stage_since END",
        )
        .bind(org_id)
        .bind(stage)
        .bind(field)
        .bind(now)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        if changed {
            let row = vec![
                Val::Int(org_id),
                Val::Text(from.map(str::to_string)),
                stage.into(),
                Val::Int(now),
                actor.into(),
                note.into(),
            ];
            insert_returning_ids(
                tx,
                "social_org_stages",
                &["organization_id", "from_stage", "stage", "at", "actor", "note"],
                &[row],
            )
            .await?;
        }
        Ok(())
    }

    pub async fn social_org_stages(&self, org_id: i64) -> Result<Vec<StageRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM social_org_stages WHERE organization_id = $1 ORDER BY id",
            StageRow::COLS
        ))
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        map_rows(&rows, StageRow::from_row)
    }

    pub async fn insert_social_org_service(tx: &mut Transaction<'static, Any>, s: &ServiceRow) -> Result<i64> {
        let row = vec![
            Val::Int(s.organization_id),
            s.name.as_str().into(),
            s.target.as_str().into(),
            s.description.as_str().into(),
            Val::Int(s.created_at),
        ];
        let ids = insert_returning_ids(
            tx,
            "social_org_services",
            &["organization_id", "name", "target", "description", "created_at"],
            &[row],
        )
        .await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("service insert returned no id".into()))
    }

    pub async fn social_org_services(&self, org_ids: &[i64]) -> Result<Vec<ServiceRow>> {
        if org_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM social_org_services WHERE organization_id IN ({}) ORDER BY organization_id, id",
            ServiceRow::COLS,
            placeholders(1, org_ids.len())
        );
        map_rows(&bind_ids(sqlx::query(&sql), org_ids).fetch_all(self.pool()).await?, ServiceRow::from_row)
    }
}
