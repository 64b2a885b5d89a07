//! The PostgreSQL side of a large register import: `COPY … FROM STDIN` (text format) on a connection of its
//! own, ids drawn from the tables' identity sequences beforehand so that children can name their parents in
//! the same stream, and one transaction per batch with its audit record.

use crate::bulk_sqlite::ResidentBatch;
use crate::{Result, StoreError, now_ms};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Row};
use std::collections::HashMap;
use std::str::FromStr;

/// A value in COPY's text format: `\N` for NULL, backslash escapes for the separators.
fn field(out: &mut Vec<u8>, v: Option<&str>) {
    match v {
        None => out.extend_from_slice(b"\\N"),
        Some(s) => {
            for b in s.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
    }
}

/// One COPY row from its fields.
fn line(out: &mut Vec<u8>, fields: &[Option<&str>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        field(out, *f);
    }
    out.push(b'\n');
}

/// Streams `data` (COPY text rows) into `table (cols)`.
async fn copy_in(conn: &mut PgConnection, table: &str, cols: &str, data: Vec<u8>) -> Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    let mut copy = conn.copy_in_raw(&format!("COPY {table} ({cols}) FROM STDIN")).await?;
    copy.send(data).await.map_err(|e| StoreError::from_db(e, table))?;
    copy.finish().await.map_err(|e| StoreError::from_db(e, table))?;
    Ok(())
}

/// `n` new ids from the identity sequence of `table`.
async fn next_ids(conn: &mut PgConnection, table: &str, n: usize) -> Result<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1::bigint)"
    ))
    .bind(n as i64)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| r.try_get::<i64, _>(0).map_err(StoreError::from)).collect()
}

/// key → id for the keys among `keys` (`sql` selects `key, id` and has `= ANY($1)`).
async fn ids_of(conn: &mut PgConnection, sql: &str, keys: Vec<String>) -> Result<HashMap<String, i64>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, i64)> = sqlx::query_as(sql).bind(keys).fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().collect())
}

/// A connection of its own for bulk loads on PostgreSQL.
pub struct PgBulk {
    conn: PgConnection,
}

impl PgBulk {
    pub async fn connect(url: &str) -> Result<PgBulk> {
        let opts = PgConnectOptions::from_str(url)?;
        Ok(PgBulk { conn: PgConnection::connect_with(&opts).await? })
    }

    pub async fn close(self) -> Result<()> {
        Ok(self.conn.close().await?)
    }

    /// Writes one batch (houses, households, people, their tags and history, household tags, the audit
    /// record) in one transaction, the large tables through COPY.
    pub async fn write_batch(&mut self, b: &ResidentBatch) -> Result<()> {
        let now = now_ms().to_string();
        let now = Some(now.as_str());
        let mut tx = self.conn.begin().await?;
        let conn: &mut PgConnection = &mut tx;

        let house_ids = next_ids(conn, "houses", b.houses.len()).await?;
        let mut house_id: HashMap<&str, i64> = HashMap::with_capacity(b.houses.len());
        let mut data = Vec::with_capacity(b.houses.len() * 120);
        for (h, id) in b.houses.iter().zip(&house_ids) {
            let (id_s, area) = (id.to_string(), h.area_m2.map(|a| a.to_string()));
            line(
                &mut data,
                &[
                    Some(&id_s),
                    Some(&h.code),
                    Some(&h.grid_code),
                    Some(&h.address),
                    Some(&h.building),
                    Some(&h.unit),
                    Some(&h.room),
                    area.as_deref(),
                    Some(&h.usage),
                    Some(&h.owner_name),
                    now,
                    now,
                ],
            );
            house_id.insert(h.code.as_str(), *id);
        }
        copy_in(
            conn,
            "houses",
            "id, code, grid_code, address, building, unit, room, area_m2, usage, owner_name, created_at, updated_at",
            data,
        )
        .await?;
        let missing: Vec<String> = b
            .households
            .iter()
            .filter(|h| !house_id.contains_key(h.house_code.as_str()))
            .map(|h| h.house_code.clone())
            .collect();
        let stored_houses = ids_of(conn, "SELECT code, id FROM houses WHERE code = ANY($1)", missing).await?;

        let household_ids = next_ids(conn, "households", b.households.len()).await?;
        let mut household_id: HashMap<String, i64> = HashMap::with_capacity(b.households.len());
        let mut data = Vec::with_capacity(b.households.len() * 60);
        for (h, id) in b.households.iter().zip(&household_ids) {
            let house = house_id
                .get(h.house_code.as_str())
                .or_else(|| stored_houses.get(&h.house_code))
                .ok_or_else(|| StoreError::Conflict(format!("house {} does not exist", h.house_code)))?;
            let (id_s, house_s) = (id.to_string(), house.to_string());
            let registered = if h.registered { "1" } else { "0" };
            line(
                &mut data,
                &[Some(&id_s), Some(&h.number), Some(&house_s), Some(&h.grid_code), Some(registered), now, now],
            );
            household_id.insert(h.number.clone(), *id);
        }
        copy_in(conn, "households", "id, number, house_id, grid_code, registered, created_at, updated_at", data)
            .await?;
        let mut missing: Vec<String> = b
            .people
            .iter()
            .map(|p| p.household_number.as_str())
            .chain(b.household_tags.iter().map(|(n, _)| n.as_str()))
            .filter(|n| !household_id.contains_key(*n))
            .map(str::to_string)
            .collect();
        missing.sort_unstable();
        missing.dedup();
        household_id.extend(ids_of(conn, "SELECT number, id FROM households WHERE number = ANY($1)", missing).await?);

        let person_ids = next_ids(conn, "people", b.people.len()).await?;
        let mut people = Vec::with_capacity(b.people.len() * 400);
        let mut tags = Vec::new();
        let mut history = Vec::with_capacity(b.people.len() * 60);
        for (p, id) in b.people.iter().zip(&person_ids) {
            let hh = household_id
                .get(&p.household_number)
                .ok_or_else(|| StoreError::Conflict(format!("household {} does not exist", p.household_number)))?;
            let (id_s, hh_s) = (id.to_string(), hh.to_string());
            line(
                &mut people,
                &[
                    Some(&id_s),
                    Some(&p.name),
                    Some(&p.id_number_enc),
                    Some(&p.id_number_hash),
                    Some(&p.id_number_masked),
                    Some(&p.gender),
                    Some(&p.birth_date),
                    Some(&p.ethnicity),
                    p.phone_enc.as_deref(),
                    p.phone_hash.as_deref(),
                    p.phone_masked.as_deref(),
                    Some(&p.population_type),
                    Some(&hh_s),
                    Some(&p.relation),
                    Some(&p.grid_code),
                    now,
                    now,
                ],
            );
            for t in &p.tags {
                line(&mut tags, &[Some(&id_s), Some(t)]);
            }
            line(&mut history, &[Some(&id_s), now, Some(&b.history_kind), Some(&b.note), Some(&b.actor)]);
        }
        copy_in(
            conn,
            "people",
            "id, name, id_number_enc, id_number_hash, id_number_masked, gender, birth_date, ethnicity, phone_enc, \
             phone_hash, phone_masked, population_type, household_id, relation, grid_code, created_at, updated_at",
            people,
        )
        .await?;
        copy_in(conn, "person_tags", "person_id, tag", tags).await?;
        copy_in(conn, "person_history", "person_id, at, kind, note, actor", history).await?;

        if !b.household_tags.is_empty() {
            let mut ids = Vec::with_capacity(b.household_tags.len());
            let mut codes = Vec::with_capacity(b.household_tags.len());
            for (n, t) in &b.household_tags {
                ids.push(
                    *household_id
                        .get(n)
                        .ok_or_else(|| StoreError::Conflict(format!("household {n} does not exist")))?,
                );
                codes.push(t.clone());
            }
            sqlx::query(
                "INSERT INTO household_tags (household_id, tag) SELECT * FROM unnest($1::bigint[], $2::text[]) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(ids)
            .bind(codes)
            .execute(&mut *conn)
            .await?;
        }
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, object, reason, region_code) VALUES ($1, $2, 'import', $3, $4, $5)",
        )
        .bind(now_ms())
        .bind(&b.actor)
        .bind(&b.audit_object)
        .bind(&b.note)
        .bind(b.audit_region.as_deref())
        .execute(&mut *conn)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_separators() {
        let mut out = Vec::new();
        line(&mut out, &[Some("a\tb"), None, Some("c\\d\ne"), Some("")]);
        assert_eq!(out, b"a\\tb\t\\N\tc\\\\d\\ne\t\n");
    }
}
