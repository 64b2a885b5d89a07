//! The minimal population and housing register the foundation needs: houses, households, people,
//! written in batches (demo data, imports). Personal numbers arrive already encrypted and hashed.

use crate::{Result, StoreError, now_ms};
use sqlx::{Any, Transaction};

/// A value in a batched insert, restricted to the types both backends share.
#[derive(Debug, Clone)]
pub enum Val {
    Int(i64),
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

/// Inserts rows with multi-row VALUES statements: one round trip per few hundred rows on either backend.
pub async fn insert_batch(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    cols: &[&str],
    rows: &[Vec<Val>],
) -> Result<()> {
    // Stay well under SQLite's and PostgreSQL's bind-parameter limits.
    let per = (30_000 / cols.len().max(1)).clamp(1, 1000);
    // SQLite resolves `$n` names through a list scanned per parameter (quadratic in a big VALUES list);
    // plain `?` is positional and linear. PostgreSQL only understands `$n`.
    let positional = tx.backend_name() == "SQLite";
    for chunk in rows.chunks(per) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            if row.len() != cols.len() {
                return Err(StoreError::Other(format!(
                    "{table}: row has {} values for {} columns",
                    row.len(),
                    cols.len()
                )));
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
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = match v {
                    Val::Int(i) => q.bind(*i),
                    Val::Real(f) => q.bind(*f),
                    Val::Text(t) => q.bind(t.clone()),
                };
            }
        }
        q.execute(&mut **tx).await.map_err(|e| StoreError::from_db(e, table))?;
    }
    Ok(())
}

pub struct NewHouse {
    pub code: String,
    pub grid_code: String,
    pub address: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub area_m2: Option<f64>,
    pub usage: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

pub struct NewHousehold {
    pub number: String,
    pub house_code: String,
    pub grid_code: String,
    pub registered: bool,
    pub tags_json: String,
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
    pub population_type: String,
    pub household_number: String,
    pub relation: String,
    pub grid_code: String,
    pub tags_json: String,
}

async fn ids_by_code(tx: &mut Transaction<'static, Any>, sql: &str) -> Result<std::collections::HashMap<String, i64>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(sql).fetch_all(&mut **tx).await?;
    Ok(rows.into_iter().map(|(id, c)| (c, id)).collect())
}

/// Writes houses, then households pointing at them, then people pointing at households, in one transaction.
pub async fn insert_register(
    tx: &mut Transaction<'static, Any>,
    houses: &[NewHouse],
    households: &[NewHousehold],
    people: &[NewPerson],
) -> Result<()> {
    let now = now_ms();
    let rows: Vec<Vec<Val>> = houses
        .iter()
        .map(|h| {
            vec![
                h.code.as_str().into(),
                h.grid_code.as_str().into(),
                h.address.as_str().into(),
                h.building.as_str().into(),
                h.unit.as_str().into(),
                h.room.as_str().into(),
                Val::Real(h.area_m2),
                h.usage.as_str().into(),
                Val::Real(h.lon),
                Val::Real(h.lat),
                now.into(),
            ]
        })
        .collect();
    insert_batch(
        tx,
        "houses",
        &["code", "grid_code", "address", "building", "unit", "room", "area_m2", "usage", "lon", "lat", "created_at"],
        &rows,
    )
    .await?;
    let house_ids = ids_by_code(tx, "SELECT id, code FROM houses").await?;
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
            h.tags_json.as_str().into(),
            now.into(),
        ]);
    }
    insert_batch(tx, "households", &["number", "house_id", "grid_code", "registered", "tags", "created_at"], &rows)
        .await?;
    let hh_ids = ids_by_code(tx, "SELECT id, number FROM households").await?;
    let mut rows = Vec::with_capacity(people.len());
    for p in people {
        let hh = *hh_ids
            .get(&p.household_number)
            .ok_or_else(|| StoreError::Conflict(format!("household {} does not exist", p.household_number)))?;
        rows.push(vec![
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
            hh.into(),
            p.relation.as_str().into(),
            p.grid_code.as_str().into(),
            p.tags_json.as_str().into(),
            now.into(),
            now.into(),
        ]);
    }
    insert_batch(
        tx,
        "people",
        &[
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
            "tags",
            "created_at",
            "updated_at",
        ],
        &rows,
    )
    .await?;
    Ok(())
}
