//! The SQLite side of a large register import, written straight through SQLite's C API (rusqlite, the same
//! libsqlite3 that sqlx links) on its own connection to the database file: prepared statements reused for
//! every row, ids from `last_insert_rowid`, one transaction per batch with its audit record, and a page cache
//! big enough for the random-keyed blind-index index. The generic sqlx `Any` path costs ~30 µs a row in
//! argument conversion and statement text; this one a few.
//!
//! Durability is the store's usual one (WAL, `synchronous=NORMAL`): a batch is committed or absent. Several
//! batches share one transaction (each inside a savepoint of its own) until it holds [`tx_rows`] people or is
//! [`TX_MAX_AGE`] old: a commit writes every page the transaction dirtied, and the blind-index index is keyed
//! at random, so at a million people a commit per 10,000 rows rewrote most of that index's leaf pages each
//! time (≈ 11 µs of CPU per person at 1M rows; ≈ 4 µs with 100,000 rows per commit).

use crate::register::{NewHouse, NewHousehold, NewPerson};
use crate::{Result, StoreError, now_ms};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Everything one batch of a resident import writes, owned so that it can move to the writer's thread.
#[derive(Default)]
pub struct ResidentBatch {
    pub houses: Vec<NewHouse>,
    pub households: Vec<NewHousehold>,
    pub people: Vec<NewPerson>,
    /// (户号, tag code): added unless present.
    pub household_tags: Vec<(String, String)>,
    /// `person_history` kind, note and actor of every new person.
    pub history_kind: String,
    pub note: String,
    pub actor: String,
    /// The batch's audit record: object and region.
    pub audit_object: String,
    pub audit_region: Option<String>,
}

fn db(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e
        && f.code == rusqlite::ErrorCode::ConstraintViolation
    {
        return StoreError::Conflict(e.to_string());
    }
    if let rusqlite::Error::SqliteFailure(f, _) = &e
        && let Some(fault) = crate::StorageFault::of_sqlite(f.extended_code)
    {
        return StoreError::Storage(fault, format!("sqlite: {e}"));
    }
    StoreError::Other(format!("sqlite: {e}"))
}

/// The database file of a `sqlite:` URL (None for in-memory databases).
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.starts_with(":memory:") || rest.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// Page cache of a bulk connection in MiB (env `WANGGE_IMPORT_CACHE_MIB`, default 96): enough to keep the
/// blind-index index of a million people in memory, well within the import's memory budget.
fn cache_mib() -> i64 {
    std::env::var("WANGGE_IMPORT_CACHE_MIB")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(|n: i64| n.clamp(2, 1024))
        .unwrap_or(96)
}

/// People a bulk transaction holds before it commits (env `WANGGE_IMPORT_TX_ROWS`, 10,000–1,000,000).
pub fn tx_rows() -> usize {
    std::env::var("WANGGE_IMPORT_TX_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(|n: usize| n.clamp(10_000, 1_000_000))
        .unwrap_or(100_000)
}

/// A bulk transaction older than this commits after its current batch, so that other writers (who queue on
/// SQLite's write lock) wait about this long at most.
pub const TX_MAX_AGE: Duration = Duration::from_secs(2);

/// A connection of its own for bulk work on a SQLite database.
pub struct SqliteBulk {
    conn: Connection,
    /// The open transaction: people written in it and when it began.
    open: Option<(usize, Instant)>,
}

impl SqliteBulk {
    /// Opens `path` with the store's settings (WAL, foreign keys, busy timeout) and a large page cache.
    /// `readonly` connections answer the "which of these exist" questions while the writer writes.
    pub fn open(path: &Path, readonly: bool) -> Result<SqliteBulk> {
        use rusqlite::OpenFlags;
        let flags = if readonly {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let conn = Connection::open_with_flags(path, flags).map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(db)?;
        let cache = if readonly { 16 } else { cache_mib() };
        // Checkpoints every ~64 MB of WAL instead of every 4 MB: a page rewritten by many batches is copied
        // into the database file once per checkpoint, not once per batch.
        conn.execute_batch(&format!(
            "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-{}; PRAGMA wal_autocheckpoint=16000;",
            cache * 1024
        ))
        .map_err(db)?;
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).map_err(db)?;
        if !readonly && !mode.eq_ignore_ascii_case("wal") {
            conn.execute_batch("PRAGMA journal_mode=WAL").map_err(db)?;
        }
        Ok(SqliteBulk { conn, open: None })
    }

    /// The filters of registered keys a large import asks before looking keys up (see
    /// [`crate::bulk::RegisterKeys`]), read from the covering indexes.
    pub fn register_keys(&self) -> Result<crate::bulk::RegisterKeys> {
        let filter = |table: &str, column: &str| -> Result<crate::bulk::KeyFilter> {
            let max: Option<i64> =
                self.conn.query_row(&format!("SELECT MAX(id) FROM {table}"), [], |r| r.get(0)).map_err(db)?;
            let mut f = crate::bulk::KeyFilter::with_capacity(max.unwrap_or(0) as usize);
            let mut st = self.conn.prepare(&format!("SELECT {column} FROM {table}")).map_err(db)?;
            let mut rows = st.query([]).map_err(db)?;
            while let Some(r) = rows.next().map_err(db)? {
                f.insert(r.get_ref(0).map_err(db)?.as_bytes().map_err(|e| db(e.into()))?);
            }
            Ok(f)
        };
        Ok(crate::bulk::RegisterKeys {
            people: filter("people", "id_number_hash")?,
            households: filter("households", "number")?,
            addresses: filter("houses", "address")?,
        })
    }

    /// Which of these blind indexes (`id_number_hash`) belong to people already registered.
    pub fn existing_id_hashes(&self, hashes: &[&str]) -> Result<HashSet<String>> {
        let mut st = self.conn.prepare_cached("SELECT 1 FROM people WHERE id_number_hash = ?1").map_err(db)?;
        let mut out = HashSet::new();
        for h in hashes {
            if st.exists([h]).map_err(db)? {
                out.insert(h.to_string());
            }
        }
        Ok(out)
    }

    /// Which of these 户号 are registered.
    pub fn existing_households(&self, numbers: &[&str]) -> Result<HashSet<String>> {
        let mut st = self.conn.prepare_cached("SELECT 1 FROM households WHERE number = ?1").map_err(db)?;
        let mut out = HashSet::new();
        for n in numbers {
            if st.exists([n]).map_err(db)? {
                out.insert(n.to_string());
            }
        }
        Ok(out)
    }

    /// (grid code, address) → house code of the houses at any of `addresses`.
    pub fn houses_at(&self, addresses: &[&str]) -> Result<HashMap<(String, String), String>> {
        let mut st = self.conn.prepare_cached("SELECT grid_code, code FROM houses WHERE address = ?1").map_err(db)?;
        let mut out = HashMap::new();
        for a in addresses {
            let mut rows = st.query([a]).map_err(db)?;
            while let Some(r) = rows.next().map_err(db)? {
                out.insert((r.get(0).map_err(db)?, a.to_string()), r.get(1).map_err(db)?);
            }
        }
        Ok(out)
    }

    /// Writes one batch, parents first, and its audit record: all of it or nothing (a savepoint in the open
    /// transaction, which commits when it is large or old enough; see [`SqliteBulk::commit`]). When the batch
    /// fails, the batches before it in the transaction are committed and the batch is not.
    pub fn write_batch(&mut self, b: &ResidentBatch) -> Result<()> {
        if self.open.is_none() {
            self.conn.execute_batch("BEGIN IMMEDIATE").map_err(db)?;
            self.open = Some((0, Instant::now()));
        }
        self.conn.execute_batch("SAVEPOINT import_batch").map_err(db)?;
        if let Err(e) = self.write_rows(b) {
            if self.conn.execute_batch("ROLLBACK TO import_batch; RELEASE import_batch").is_ok() {
                let _ = self.commit();
            } else {
                let _ = self.conn.execute_batch("ROLLBACK");
                self.open = None;
            }
            return Err(e);
        }
        self.conn.execute_batch("RELEASE import_batch").map_err(db)?;
        if let Some((rows, since)) = &mut self.open {
            *rows += b.people.len();
            if *rows >= tx_rows() || since.elapsed() >= TX_MAX_AGE {
                self.commit()?;
            }
        }
        Ok(())
    }

    /// Commits the open transaction, if any (the importer calls this after its last batch; a connection dropped
    /// with a transaction open rolls it back, as a crash would).
    pub fn commit(&mut self) -> Result<()> {
        if self.open.take().is_some()
            && let Err(e) = self.conn.execute_batch("COMMIT")
        {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(db(e));
        }
        Ok(())
    }

    fn write_rows(&mut self, b: &ResidentBatch) -> Result<()> {
        let now = now_ms();
        let tx = &self.conn;
        {
            let mut house_ids: HashMap<&str, i64> = HashMap::with_capacity(b.houses.len());
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO houses (code, grid_code, address, building, unit, room, area_m2, usage, owner_name, \
                     created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                )
                .map_err(db)?;
            for h in &b.houses {
                st.execute(params![
                    h.code,
                    h.grid_code,
                    h.address,
                    h.building,
                    h.unit,
                    h.room,
                    h.area_m2,
                    h.usage,
                    h.owner_name,
                    now
                ])
                .map_err(|e| with(db(e), "house", &h.code))?;
                house_ids.insert(h.code.as_str(), tx.last_insert_rowid());
            }
            let mut find_house = tx.prepare_cached("SELECT id FROM houses WHERE code = ?1").map_err(db)?;
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO households (number, house_id, grid_code, registered, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                )
                .map_err(db)?;
            let mut household_ids: HashMap<&str, i64> = HashMap::with_capacity(b.households.len());
            for h in &b.households {
                let house = match house_ids.get(h.house_code.as_str()) {
                    Some(id) => *id,
                    None => find_house
                        .query_row([&h.house_code], |r| r.get::<_, i64>(0))
                        .optional()
                        .map_err(db)?
                        .ok_or_else(|| StoreError::Conflict(format!("house {} does not exist", h.house_code)))?,
                };
                st.execute(params![h.number, house, h.grid_code, i64::from(h.registered), now])
                    .map_err(|e| with(db(e), "household", &h.number))?;
                household_ids.insert(h.number.as_str(), tx.last_insert_rowid());
            }
            let mut find_household = tx.prepare_cached("SELECT id FROM households WHERE number = ?1").map_err(db)?;
            let mut household_id = |number: &str, known: &mut HashMap<&str, i64>| -> Result<i64> {
                if let Some(id) = known.get(number) {
                    return Ok(*id);
                }
                find_household
                    .query_row([number], |r| r.get::<_, i64>(0))
                    .optional()
                    .map_err(db)?
                    .ok_or_else(|| StoreError::Conflict(format!("household {number} does not exist")))
            };
            let mut person = tx
                .prepare_cached(
                    "INSERT INTO people (id, name, id_number_enc, id_number_hash, id_number_masked, gender, birth_date, \
                     ethnicity, phone_enc, phone_hash, phone_masked, population_type, household_id, relation, grid_code, \
                     created_at, updated_at) \
                     VALUES (?16, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)",
                )
                .map_err(db)?;
            let mut tag = tx.prepare_cached("INSERT INTO person_tags (person_id, tag) VALUES (?1, ?2)").map_err(db)?;
            // Ids follow the file (the next ids SQLite would have given: this connection is the only writer inside
            // the transaction), but rows go in in blind-index order: the unique index on it is keyed at random, and
            // sorted inserts walk its leaf pages once, in order, instead of jumping about a 1M-entry B-tree.
            let first: i64 = tx
                .prepare_cached("SELECT COALESCE(MAX(id), 0) + 1 FROM people")
                .map_err(db)?
                .query_row([], |r| r.get(0))
                .map_err(db)?;
            let mut order: Vec<usize> = (0..b.people.len()).collect();
            order.sort_unstable_by(|&x, &y| b.people[x].id_number_hash.cmp(&b.people[y].id_number_hash));
            for i in order {
                let p = &b.people[i];
                let id = first + i as i64;
                let hh = household_id(&p.household_number, &mut household_ids)?;
                person
                    .execute(params![
                        p.name,
                        p.id_number_enc,
                        p.id_number_hash,
                        p.id_number_masked,
                        p.gender,
                        p.birth_date,
                        p.ethnicity,
                        p.phone_enc,
                        p.phone_hash,
                        p.phone_masked,
                        p.population_type,
                        hh,
                        p.relation,
                        p.grid_code,
                        now,
                        id
                    ])
                    .map_err(|e| with(db(e), "person", &p.id_number_masked))?;
                for t in &p.tags {
                    tag.execute(params![id, t]).map_err(db)?;
                }
            }
            // Every person's first history entry in one statement: the batch's people are exactly these ids.
            if !b.people.is_empty() {
                let last = first + b.people.len() as i64 - 1;
                tx.prepare_cached(
                    "INSERT INTO person_history (person_id, at, kind, note, actor) \
                     SELECT id, ?1, ?2, ?3, ?4 FROM people WHERE id BETWEEN ?5 AND ?6 ORDER BY id",
                )
                .map_err(db)?
                .execute(params![now, b.history_kind, b.note, b.actor, first, last])
                .map_err(db)?;
            }
            let mut st = tx
                .prepare_cached("INSERT INTO household_tags (household_id, tag) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
                .map_err(db)?;
            for (number, t) in &b.household_tags {
                let hh = household_id(number, &mut household_ids)?;
                st.execute(params![hh, t]).map_err(db)?;
            }
            tx.prepare_cached(
                "INSERT INTO audit_log (at, actor, action, object, reason, region_code) VALUES (?1, ?2, 'import', ?3, ?4, ?5)",
            )
            .map_err(db)?
            .execute(params![now, b.actor, b.audit_object, b.note, b.audit_region])
            .map_err(db)?;
        }
        Ok(())
    }
}

fn with(e: StoreError, what: &str, key: &str) -> StoreError {
    match e {
        StoreError::Conflict(_) => StoreError::Conflict(format!("{what} {key} already exists")),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_files_of_urls() {
        assert_eq!(sqlite_file("sqlite:///tmp/a/wangge.db?mode=rwc"), Some(PathBuf::from("/tmp/a/wangge.db")));
        assert_eq!(sqlite_file("sqlite://data/wangge.db"), Some(PathBuf::from("data/wangge.db")));
        assert_eq!(sqlite_file("sqlite:x.db"), Some(PathBuf::from("x.db")));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }
}
