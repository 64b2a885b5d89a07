//! Organizations placed on houses (企业, 学校, 医院, 社会组织…): reads within region subtrees and single-record
//! writes. The contact phone arrives and leaves encrypted, hashed and masked, like a resident's.

use crate::sql::{Bind, Sql, roots_clause};
use crate::{Result, Store, StoreError, now_ms};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

#[derive(Debug, Clone, PartialEq)]
pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub credit_code: Option<String>,
    pub legal_rep: String,
    pub phone_enc: Option<String>,
    pub phone_masked: Option<String>,
    pub employees: Option<i64>,
    pub house_id: i64,
    pub house_code: String,
    pub address: String,
    pub grid_code: String,
    pub status: String,
    pub note: String,
    pub updated_at: i64,
}

/// Everything a write sets; numbers already encrypted, hashed and masked.
#[derive(Debug, Clone, Default)]
pub struct OrgWrite {
    pub name: String,
    pub kind: String,
    pub credit_code: Option<String>,
    pub legal_rep: String,
    pub phone_enc: Option<String>,
    pub phone_hash: Option<String>,
    pub phone_masked: Option<String>,
    pub employees: Option<i64>,
    pub house_id: i64,
    pub grid_code: String,
    pub status: String,
    pub note: String,
}

const COLS: &str = "o.id, o.name, o.kind, o.credit_code, o.legal_rep, o.phone_enc, o.phone_masked, o.employees, \
     o.house_id, h.code AS house_code, h.address, o.grid_code, o.status, o.note, o.updated_at";
const FROM: &str = "organizations o JOIN houses h ON h.id = o.house_id";

fn org_row(r: &AnyRow) -> std::result::Result<OrgRow, sqlx::Error> {
    Ok(OrgRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        credit_code: r.try_get("credit_code")?,
        legal_rep: r.try_get("legal_rep")?,
        phone_enc: r.try_get("phone_enc")?,
        phone_masked: r.try_get("phone_masked")?,
        employees: r.try_get("employees")?,
        house_id: r.try_get("house_id")?,
        house_code: r.try_get("house_code")?,
        address: r.try_get("address")?,
        grid_code: r.try_get("grid_code")?,
        status: r.try_get("status")?,
        note: r.try_get("note")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Which organizations a list shows.
#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    /// Subtrees (grid codes by prefix); `None` = everywhere.
    pub roots: Option<Vec<String>>,
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Part of the name or the whole credit code.
    pub q: Option<String>,
}

fn where_clause(f: &OrgFilter, sql: &mut Sql) -> String {
    let mut wh = vec![roots_clause(sql, "o.grid_code", f.roots.as_deref())];
    if let Some(k) = &f.kind {
        wh.push(format!("o.kind = {}", sql.arg(Bind::Text(k.clone()))));
    }
    if let Some(s) = &f.status {
        wh.push(format!("o.status = {}", sql.arg(Bind::Text(s.clone()))));
    }
    if let Some(q) = &f.q {
        let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let like = sql.arg(Bind::Text(format!("%{escaped}%")));
        let exact = sql.arg(Bind::Text(q.to_ascii_uppercase()));
        wh.push(format!("(o.name LIKE {like} ESCAPE '\\' OR o.credit_code = {exact})"));
    }
    wh.join(" AND ")
}

impl Store {
    pub async fn organization(&self, id: i64) -> Result<Option<OrgRow>> {
        let row = sqlx::query(&format!("SELECT {COLS} FROM {FROM} WHERE o.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(org_row).transpose()?)
    }

    /// One page of organizations ordered by id, after `after_id`, with the total matching the filter.
    pub async fn list_organizations(
        &self,
        f: &OrgFilter,
        after_id: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<OrgRow>, i64)> {
        let mut count = Sql::default();
        let wh = where_clause(f, &mut count);
        count.text = format!("SELECT COUNT(*) FROM organizations o WHERE {wh}");
        let total: i64 = count.query().fetch_one(self.pool()).await?.try_get(0)?;
        let mut page = Sql::default();
        let wh = where_clause(f, &mut page);
        let after = page.arg(Bind::Int(after_id.unwrap_or(i64::MIN)));
        let lim = page.arg(Bind::Int(limit));
        page.text = format!("SELECT {COLS} FROM {FROM} WHERE {wh} AND o.id > {after} ORDER BY o.id LIMIT {lim}");
        let rows = page.query().fetch_all(self.pool()).await?;
        let orgs = rows.iter().map(org_row).collect::<std::result::Result<Vec<_>, _>>()?;
        Ok((orgs, total))
    }

    pub async fn organizations_in_house(&self, house_id: i64) -> Result<Vec<OrgRow>> {
        let rows = sqlx::query(&format!("SELECT {COLS} FROM {FROM} WHERE o.house_id = $1 ORDER BY o.id"))
            .bind(house_id)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(org_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// The id of the organization holding this credit code, if any.
    pub async fn organization_by_credit_code(&self, code: &str) -> Result<Option<i64>> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM organizations WHERE credit_code = $1")
            .bind(code)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.0))
    }

    pub async fn insert_organization_tx(tx: &mut Transaction<'static, Any>, o: &OrgWrite) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO organizations (name, kind, credit_code, legal_rep, phone_enc, phone_hash, phone_masked, \
             employees, house_id, grid_code, status, note, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
        )
        .bind(&o.name)
        .bind(&o.kind)
        .bind(o.credit_code.as_deref())
        .bind(&o.legal_rep)
        .bind(o.phone_enc.as_deref())
        .bind(o.phone_hash.as_deref())
        .bind(o.phone_masked.as_deref())
        .bind(o.employees)
        .bind(o.house_id)
        .bind(&o.grid_code)
        .bind(&o.status)
        .bind(&o.note)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "organization"))?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Writes every field of one organization.
    pub async fn update_organization_tx(tx: &mut Transaction<'static, Any>, id: i64, o: &OrgWrite) -> Result<()> {
        let done = sqlx::query(
            "UPDATE organizations SET name = $1, kind = $2, credit_code = $3, legal_rep = $4, phone_enc = $5, \
             phone_hash = $6, phone_masked = $7, employees = $8, house_id = $9, grid_code = $10, status = $11, \
             note = $12, updated_at = $13 WHERE id = $14",
        )
        .bind(&o.name)
        .bind(&o.kind)
        .bind(o.credit_code.as_deref())
        .bind(&o.legal_rep)
        .bind(o.phone_enc.as_deref())
        .bind(o.phone_hash.as_deref())
        .bind(o.phone_masked.as_deref())
        .bind(o.employees)
        .bind(o.house_id)
        .bind(&o.grid_code)
        .bind(&o.status)
        .bind(&o.note)
        .bind(now_ms())
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "organization"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
