//! The minimal population and housing register the foundation needs: houses, households, people,
//! written in batches (demo data, imports). Personal numbers arrive already encrypted and hashed.

use crate::{Result, StoreError, now_ms};
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;

/// A value in a batched insert, restricted to the types both backends share.
#[derive(Debug, Clone)]
pub enum Val {
    Int(i64),
    /// A nullable integer: PostgreSQL refuses a NULL typed as text in a BIGINT column.
    IntOpt(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(Some(v))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(Some(v.to_string()))
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::Text(v)
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Self {
        Val::Real(Some(v))
    }
}

/// `INSERT INTO table (cols) VALUES (…), (…)` with one placeholder per value: `?` for SQLite (positional, linear
/// to resolve) or `$n` for PostgreSQL. Every row must have one value per column.
pub(crate) fn values_sql(table: &str, cols: &[&str], rows: &[Vec<Val>], positional: bool) -> Result<String> {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
    let mut n = 0;
    for (i, row) in rows.iter().enumerate() {
        if row.len() != cols.len() {
            return Err(StoreError::Other(format!("{table}: row has {} values for {} columns", row.len(), cols.len())));
        }
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for j in 0..cols.len() {
            n += 1;
            if j > 0 {
                sql.push_str(", ");
            }
            if positional {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&n.to_string());
            }
        }
        sql.push(')');
    }
    Ok(sql)
}

/// Inserts rows with multi-row VALUES statements: one round trip per few hundred rows on either backend.
pub async fn insert_batch(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    cols: &[&str],
    rows: &[Vec<Val>],
) -> Result<()> {
    let positional = positional(tx);
    for chunk in rows.chunks(rows_per_statement(cols)) {
        let sql = values_sql(table, cols, chunk, positional)?;
        bind_rows(sqlx::query(&sql), chunk).execute(&mut **tx).await.map_err(|e| StoreError::from_db(e, table))?;
    }
    Ok(())
}

/// Like [`insert_batch`] into a table with an `id` key; returns the new ids in the rows' order.
pub async fn insert_returning_ids(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    cols: &[&str],
    rows: &[Vec<Val>],
) -> Result<Vec<i64>> {
    let positional = positional(tx);
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(rows_per_statement(cols)) {
        let sql = values_sql(table, cols, chunk, positional)? + " RETURNING id";
        let got = bind_rows(sqlx::query(&sql), chunk)
            .fetch_all(&mut **tx)
            .await
            .map_err(|e| StoreError::from_db(e, table))?;
        let mut ids = got.iter().map(|r| r.try_get::<i64, _>(0)).collect::<std::result::Result<Vec<_>, _>>()?;
        // Ids are drawn in the order the VALUES rows are inserted (SQLite: one past the largest rowid, on its
        // single writer; PostgreSQL: nextval per row in order), while RETURNING's own order is not promised.
        ids.sort_unstable();
        out.extend(ids);
    }
    Ok(out)
}

/// Adds each row's amount to `col` of the rollup row with those key values, creating it when missing: one
/// multi-row upsert. The key tuples must be distinct (PostgreSQL refuses to update a row twice in one statement).
pub async fn add_to_counters(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    keys: &[&str],
    col: &str,
    rows: &[(Vec<Val>, i64)],
) -> Result<()> {
    let cols: Vec<&str> = keys.iter().copied().chain([col]).collect();
    let values: Vec<Vec<Val>> = rows.iter().map(|(k, n)| k.iter().cloned().chain([Val::Int(*n)]).collect()).collect();
    let positional = positional(tx);
    for chunk in values.chunks(rows_per_statement(&cols)) {
        let sql = values_sql(table, &cols, chunk, positional)?
            + &format!(" ON CONFLICT ({}) DO UPDATE SET {col} = {table}.{col} + excluded.{col}", keys.join(", "));
        bind_rows(sqlx::query(&sql), chunk).execute(&mut **tx).await.map_err(|e| StoreError::from_db(e, table))?;
    }
    Ok(())
}

/// Stay well under SQLite's and PostgreSQL's bind-parameter limits.
pub(crate) fn rows_per_statement(cols: &[&str]) -> usize {
    (30_000 / cols.len().max(1)).clamp(1, 1000)
}

/// SQLite resolves `$n` names through a list scanned per parameter (quadratic in a big VALUES list); plain `?`
/// is positional and linear. PostgreSQL only understands `$n`.
pub(crate) fn positional(tx: &Transaction<'static, Any>) -> bool {
    tx.backend_name() == "SQLite"
}

pub(crate) fn bind_rows<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    rows: &[Vec<Val>],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for row in rows {
        for v in row {
            q = match v {
                Val::Int(i) => q.bind(*i),
                Val::IntOpt(i) => q.bind(*i),
                Val::Real(f) => q.bind(*f),
                Val::Text(t) => q.bind(t.clone()),
            };
        }
    }
    q
}

pub struct NewBuilding {
    pub code: String,
    pub grid_code: String,
    pub name: String,
    pub address: String,
    pub floors: Option<i64>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

pub struct NewHouse {
    pub code: String,
    /// Code of a building in the same batch or already stored; empty for a house outside any building.
    pub building_code: String,
    pub grid_code: String,
    pub address: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub area_m2: Option<f64>,
    /// A `HouseUsage` code.
    pub usage: String,
    pub owner_name: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

pub struct NewHousehold {
    pub number: String,
    pub house_code: String,
    pub grid_code: String,
    pub registered: bool,
    /// Household-level tag codes (低保 …).
    pub tags: Vec<String>,
}

pub struct NewPerson {
    pub name: String,
    pub id_number_enc: String,
    pub id_number_hash: String,
    pub id_number_masked: String,
    pub gender: String,
    pub birth_date: String,
    pub ethnicity: String,
    pub phone_enc: Option<String>,
    pub phone_hash: Option<String>,
    pub phone_masked: Option<String>,
    /// A `PopulationType` code.
    pub population_type: String,
    pub household_number: String,
    pub relation: String,
    pub grid_code: String,
    /// Person-level tag codes.
    pub tags: Vec<String>,
}

/// `{sql} IN (keys)` → key → id, for the keys a batch needs only (the tables may hold a million rows).
/// `sql` selects `id, key` and ends just before `IN`.
pub(crate) async fn ids_by(
    tx: &mut Transaction<'static, Any>,
    sql: &str,
    keys: &[&str],
) -> Result<HashMap<String, i64>> {
    let mut out = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(2000) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let text = format!("{sql} IN ({})", placeholders.join(", "));
        let mut q = sqlx::query_as::<_, (i64, String)>(&text);
        for k in chunk {
            q = q.bind(*k);
        }
        for (id, k) in q.fetch_all(&mut **tx).await? {
            out.insert(k, id);
        }
    }
    Ok(out)
}

/// Columns of a new `people` row, in the order [`person_values`] gives them.
pub(crate) const PEOPLE_COLS: [&str; 16] = [
    "name",
    "id_number_enc",
    "id_number_hash",
    "id_number_masked",
    "gender",
    "birth_date",
    "ethnicity",
    "phone_enc",
    "phone_hash",
    "phone_masked",
    "population_type",
    "household_id",
    "relation",
    "grid_code",
    "created_at",
    "updated_at",
];

/// A new person as the values of [`PEOPLE_COLS`], in their household `household_id`.
pub(crate) fn person_values(p: &NewPerson, household_id: i64, now: i64) -> Vec<Val> {
    vec![
        p.name.as_str().into(),
        p.id_number_enc.as_str().into(),
        p.id_number_hash.as_str().into(),
        p.id_number_masked.as_str().into(),
        p.gender.as_str().into(),
        p.birth_date.as_str().into(),
        p.ethnicity.as_str().into(),
        p.phone_enc.clone().into(),
        p.phone_hash.clone().into(),
        p.phone_masked.clone().into(),
        p.population_type.as_str().into(),
        household_id.into(),
        p.relation.as_str().into(),
        p.grid_code.as_str().into(),
        now.into(),
        now.into(),
    ]
}

/// Writes buildings, houses, households, people and their tags, parents first, in the caller's transaction
/// (all or nothing). Houses may name buildings, households houses, people households that already exist.
pub async fn insert_register(
    tx: &mut Transaction<'static, Any>,
    buildings: &[NewBuilding],
    houses: &[NewHouse],
    households: &[NewHousehold],
    people: &[NewPerson],
) -> Result<()> {
    let now = now_ms();
    let rows: Vec<Vec<Val>> = buildings
        .iter()
        .map(|b| {
            vec![
                b.code.as_str().into(),
                b.grid_code.as_str().into(),
                b.name.as_str().into(),
                b.address.as_str().into(),
                Val::IntOpt(b.floors),
                Val::Real(b.lon),
                Val::Real(b.lat),
                now.into(),
                now.into(),
            ]
        })
        .collect();
    insert_batch(
        tx,
        "buildings",
        &["code", "grid_code", "name", "address", "floors", "lon", "lat", "created_at", "updated_at"],
        &rows,
    )
    .await?;

    let codes: Vec<&str> = houses.iter().map(|h| h.building_code.as_str()).filter(|c| !c.is_empty()).collect();
    let building_ids = ids_by(tx, "SELECT id, code FROM buildings WHERE code", &codes).await?;
    let mut rows = Vec::with_capacity(houses.len());
    for h in houses {
        let building = match h.building_code.as_str() {
            "" => Val::IntOpt(None),
            c => Val::Int(
                *building_ids.get(c).ok_or_else(|| StoreError::Conflict(format!("building {c} does not exist")))?,
            ),
        };
        rows.push(vec![
            h.code.as_str().into(),
            building,
            h.grid_code.as_str().into(),
            h.address.as_str().into(),
            h.building.as_str().into(),
            h.unit.as_str().into(),
            h.room.as_str().into(),
            Val::Real(h.area_m2),
            h.usage.as_str().into(),
            h.owner_name.as_str().into(),
            Val::Real(h.lon),
            Val::Real(h.lat),
            now.into(),
            now.into(),
        ]);
    }
    insert_batch(
        tx,
        "houses",
        &[
            "code",
            "building_id",
            "grid_code",
            "address",
            "building",
            "unit",
            "room",
            "area_m2",
            "usage",
            "owner_name",
            "lon",
            "lat",
            "created_at",
            "updated_at",
        ],
        &rows,
    )
    .await?;

    let codes: Vec<&str> = households.iter().map(|h| h.house_code.as_str()).collect();
    let house_ids = ids_by(tx, "SELECT id, code FROM houses WHERE code", &codes).await?;
    let mut rows = Vec::with_capacity(households.len());
    for h in households {
        let house_id = *house_ids
            .get(&h.house_code)
            .ok_or_else(|| StoreError::Conflict(format!("house {} does not exist", h.house_code)))?;
        rows.push(vec![
            h.number.as_str().into(),
            house_id.into(),
            h.grid_code.as_str().into(),
            i64::from(h.registered).into(),
            now.into(),
            now.into(),
        ]);
    }
    insert_batch(
        tx,
        "households",
        &["number", "house_id", "grid_code", "registered", "created_at", "updated_at"],
        &rows,
    )
    .await?;

    let mut numbers: Vec<&str> = households.iter().map(|h| h.number.as_str()).collect();
    numbers.extend(people.iter().map(|p| p.household_number.as_str()));
    numbers.sort_unstable();
    numbers.dedup();
    let hh_ids = ids_by(tx, "SELECT id, number FROM households WHERE number", &numbers).await?;
    let tag_rows: Vec<Vec<Val>> = households
        .iter()
        .flat_map(|h| {
            let id = hh_ids.get(&h.number).copied().unwrap_or_default();
            h.tags.iter().map(move |t| vec![Val::Int(id), t.as_str().into()])
        })
        .collect();
    insert_batch(tx, "household_tags", &["household_id", "tag"], &tag_rows).await?;

    let mut rows = Vec::with_capacity(people.len());
    for p in people {
        let hh = *hh_ids
            .get(&p.household_number)
            .ok_or_else(|| StoreError::Conflict(format!("household {} does not exist", p.household_number)))?;
        rows.push(person_values(p, hh, now));
    }
    insert_batch(tx, "people", &PEOPLE_COLS, &rows).await?;
    let hashes: Vec<&str> = people.iter().filter(|p| !p.tags.is_empty()).map(|p| p.id_number_hash.as_str()).collect();
    let person_ids = ids_by(tx, "SELECT id, id_number_hash FROM people WHERE id_number_hash", &hashes).await?;
    let tag_rows: Vec<Vec<Val>> = people
        .iter()
        .filter_map(|p| Some((person_ids.get(&p.id_number_hash).copied()?, &p.tags)))
        .flat_map(|(id, tags)| tags.iter().map(move |t| vec![Val::Int(id), t.as_str().into()]))
        .collect();
    insert_batch(tx, "person_tags", &["person_id", "tag"], &tag_rows).await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct TagKindRow {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub level: String,
    pub sensitive: bool,
    pub derived: bool,
    pub fields: String,
    pub visit_days: Option<i64>,
    pub sort: i64,
}

impl crate::Store {
    pub async fn tag_kinds(&self) -> Result<Vec<TagKindRow>> {
        type R = (String, String, String, String, i64, i64, String, Option<i64>, i64);
        let rows: Vec<R> = sqlx::query_as(
            "SELECT code, name, name_en, level, sensitive, derived, fields, visit_days, sort FROM tag_kinds ORDER BY sort, code",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(code, name, name_en, level, sensitive, derived, fields, visit_days, sort)| TagKindRow {
                code,
                name,
                name_en,
                level,
                sensitive: sensitive != 0,
                derived: derived != 0,
                fields,
                visit_days,
                sort,
            })
            .collect())
    }

    pub async fn upsert_tag_kind(tx: &mut Transaction<'static, Any>, k: &TagKindRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO tag_kinds (code, name, name_en, level, sensitive, derived, fields, visit_days, sort) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
             name_en = excluded.name_en, level = excluded.level, sensitive = excluded.sensitive, derived = excluded.derived, \
             fields = excluded.fields, visit_days = excluded.visit_days, sort = excluded.sort",
        )
        .bind(&k.code)
        .bind(&k.name)
        .bind(&k.name_en)
        .bind(&k.level)
        .bind(i64::from(k.sensitive))
        .bind(i64::from(k.derived))
        .bind(&k.fields)
        .bind(k.visit_days)
        .bind(k.sort)
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, &format!("tag kind {}", k.code)))?;
        Ok(())
    }
}
