//! Bulk lookups and writes for register imports and exports (resident and house lists): "which of these
//! keys exist", in chunks, so an import of a million rows asks the database a few thousand small questions
//! instead of a million; and the list queries exports read.

use crate::{Result, Store, now_ms, prefix_range};
use sqlx::{Any, Row, Transaction};
use std::collections::{HashMap, HashSet};

/// Keys per `IN (...)` list: well under every backend's bind-parameter limit.
const CHUNK: usize = 2000;

fn in_list(n: usize, first: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

impl Store {
    /// Rows of `SELECT a, b FROM … WHERE col IN (keys)` as pairs; `sql` ends just before `IN`.
    async fn pairs_in(&self, sql: &str, keys: &[&str]) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            let text = format!("{sql} IN ({})", in_list(chunk.len(), 1));
            let mut q = sqlx::query_as::<_, (String, String)>(&text);
            for k in chunk {
                q = q.bind(*k);
            }
            out.extend(q.fetch_all(self.pool()).await?);
        }
        Ok(out)
    }

    /// Which of these blind indexes (`id_number_hash`) belong to people already registered.
    pub async fn existing_id_hashes(&self, hashes: &[&str]) -> Result<HashSet<String>> {
        let rows =
            self.pairs_in("SELECT id_number_hash, id_number_hash FROM people WHERE id_number_hash", hashes).await?;
        Ok(rows.into_iter().map(|(h, _)| h).collect())
    }

    /// code → level of the regions among `codes`.
    pub async fn region_levels(&self, codes: &[&str]) -> Result<HashMap<String, String>> {
        Ok(self.pairs_in("SELECT code, level FROM regions WHERE code", codes).await?.into_iter().collect())
    }

    /// house code → grid code of the houses among `codes`.
    pub async fn house_grids(&self, codes: &[&str]) -> Result<HashMap<String, String>> {
        Ok(self.pairs_in("SELECT code, grid_code FROM houses WHERE code", codes).await?.into_iter().collect())
    }

    /// (grid code, address) → house code of the houses at any of `addresses`.
    pub async fn houses_at(&self, addresses: &[&str]) -> Result<HashMap<(String, String), String>> {
        let mut out = HashMap::new();
        for chunk in addresses.chunks(CHUNK) {
            let text =
                format!("SELECT grid_code, address, code FROM houses WHERE address IN ({})", in_list(chunk.len(), 1));
            let mut q = sqlx::query_as::<_, (String, String, String)>(&text);
            for k in chunk {
                q = q.bind(*k);
            }
            for (g, a, c) in q.fetch_all(self.pool()).await? {
                out.insert((g, a), c);
            }
        }
        Ok(out)
    }

    /// Which of these 户号 are registered.
    pub async fn existing_households(&self, numbers: &[&str]) -> Result<HashSet<String>> {
        let rows = self.pairs_in("SELECT number, number FROM households WHERE number", numbers).await?;
        Ok(rows.into_iter().map(|(n, _)| n).collect())
    }

    /// The highest N among house codes `prefix` + N (at least `digits` digits), 0 when there is none.
    pub async fn max_house_seq(&self, prefix: &str, digits: usize) -> Result<u32> {
        // Past 9999 a grid's codes grow a digit (…10000): the longest code is the latest, not the largest string.
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT code FROM houses WHERE code >= $1 AND code < $2 AND LENGTH(code) >= $3 \
             ORDER BY LENGTH(code) DESC, code DESC LIMIT 1",
        )
        .bind(prefix)
        .bind(format!("{prefix}:"))
        .bind((prefix.chars().count() + digits) as i64)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.and_then(|(c,)| c.get(prefix.len()..).and_then(|s| s.parse().ok())).unwrap_or(0))
    }

    /// Household tags, skipping pairs already present (a household listed on several rows, or imported twice).
    pub async fn add_household_tags(tx: &mut Transaction<'static, Any>, pairs: &[(String, String)]) -> Result<()> {
        // SQLite allows at most 500 terms in a compound SELECT.
        for chunk in pairs.chunks(250) {
            let mut sql = String::from(
                "INSERT INTO household_tags (household_id, tag) SELECT id, t.tag FROM households h JOIN (",
            );
            for (i, _) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(" UNION ALL ");
                }
                sql.push_str(&format!("SELECT ${} AS number, ${} AS tag", 2 * i + 1, 2 * i + 2));
            }
            // SQLite needs a WHERE before ON CONFLICT to tell the upsert from a join constraint.
            sql.push_str(") t ON t.number = h.number WHERE true ON CONFLICT DO NOTHING");
            let mut q = sqlx::query(&sql);
            for (n, t) in chunk {
                q = q.bind(n.as_str()).bind(t.as_str());
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// One `person_history` row of `kind` for each person with one of these blind indexes.
    pub async fn add_person_history(
        tx: &mut Transaction<'static, Any>,
        hashes: &[&str],
        kind: &str,
        note: &str,
        actor: &str,
    ) -> Result<()> {
        let now = now_ms();
        for chunk in hashes.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO person_history (person_id, at, kind, note, actor) SELECT id, $1, $2, $3, $4 FROM people \
                 WHERE id_number_hash IN ({})",
                in_list(chunk.len(), 5)
            );
            let mut q = sqlx::query(&sql).bind(now).bind(kind).bind(note).bind(actor);
            for h in chunk {
                q = q.bind(*h);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Houses for an import of a house list: plain rows, parents (grids) checked by the caller.
    pub async fn insert_houses(tx: &mut Transaction<'static, Any>, houses: &[crate::register::NewHouse]) -> Result<()> {
        crate::register::insert_register(tx, &[], houses, &[], &[]).await
    }

    /// People of the register in the subtree of `root` as export rows (numbers masked as stored).
    pub async fn export_people(&self, root: &str) -> Result<Vec<ExportPerson>> {
        let (lo, hi) = prefix_range(root);
        type R = (
            i64,
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            String,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            String,
            Option<i64>,
        );
        let rows: Vec<R> = sqlx::query_as(
            "SELECT p.id, p.name, p.id_number_masked, p.gender, p.birth_date, p.ethnicity, p.phone_masked, \
             p.population_type, hh.number, p.relation, h.address, h.code, p.grid_code, p.household_id \
             FROM people p LEFT JOIN households hh ON hh.id = p.household_id LEFT JOIN houses h ON h.id = hh.house_id \
             WHERE p.grid_code >= $1 AND p.grid_code < $2 AND p.merged_into IS NULL ORDER BY p.grid_code, p.id",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(self.pool())
        .await?;
        let person_tags: Vec<(i64, String)> = sqlx::query_as(
            "SELECT t.person_id, t.tag FROM person_tags t JOIN people p ON p.id = t.person_id \
             WHERE p.grid_code >= $1 AND p.grid_code < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(self.pool())
        .await?;
        let household_tags: Vec<(i64, String)> = sqlx::query_as(
            "SELECT t.household_id, t.tag FROM household_tags t JOIN households h ON h.id = t.household_id \
             WHERE h.grid_code >= $1 AND h.grid_code < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(self.pool())
        .await?;
        let mut by_person: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, t) in person_tags {
            by_person.entry(id).or_default().push(t);
        }
        let mut by_household: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, t) in household_tags {
            by_household.entry(id).or_default().push(t);
        }
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut tags = by_person.remove(&r.0).unwrap_or_default();
                if let Some(h) = r.13.and_then(|h| by_household.get(&h)) {
                    tags.extend(h.iter().cloned());
                }
                ExportPerson {
                    name: r.1,
                    id_number_masked: r.2,
                    gender: r.3,
                    birth_date: r.4,
                    ethnicity: r.5,
                    phone_masked: r.6.unwrap_or_default(),
                    population_type: r.7,
                    household_number: r.8.unwrap_or_default(),
                    relation: r.9,
                    house_address: r.10.unwrap_or_default(),
                    house_code: r.11.unwrap_or_default(),
                    grid_code: r.12,
                    tags,
                }
            })
            .collect())
    }

    /// Houses in the subtree of `root` as export rows.
    pub async fn export_houses(&self, root: &str) -> Result<Vec<ExportHouse>> {
        let (lo, hi) = prefix_range(root);
        type R = (String, String, String, String, String, String, Option<f64>, String, String);
        let rows: Vec<R> = sqlx::query_as(
            "SELECT code, grid_code, address, building, unit, room, area_m2, usage, owner_name FROM houses \
             WHERE grid_code >= $1 AND grid_code < $2 ORDER BY grid_code, code",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ExportHouse {
                code: r.0,
                grid_code: r.1,
                address: r.2,
                building: r.3,
                unit: r.4,
                room: r.5,
                area_m2: r.6,
                usage: r.7,
                owner_name: r.8,
            })
            .collect())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExportPerson {
    pub name: String,
    pub id_number_masked: String,
    /// `male` / `female`.
    pub gender: String,
    pub birth_date: String,
    pub ethnicity: String,
    pub phone_masked: String,
    /// A `PopulationType` code.
    pub population_type: String,
    pub household_number: String,
    pub relation: String,
    pub house_address: String,
    pub house_code: String,
    pub grid_code: String,
    /// Person and household tag codes.
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExportHouse {
    pub code: String,
    pub grid_code: String,
    pub address: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub area_m2: Option<f64>,
    /// A `HouseUsage` code.
    pub usage: String,
    pub owner_name: String,
}

/// Multi-row `INSERT … RETURNING id, key` in chunks: the new rows' ids by their key column, so that children
/// can be written without looking their parents up again.
async fn insert_returning(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    cols: &[&str],
    key: &str,
    rows: &[Vec<crate::register::Val>],
) -> Result<HashMap<String, i64>> {
    use crate::register::{bind_rows, positional, rows_per_statement, values_sql};
    let positional = positional(tx);
    let mut out = HashMap::with_capacity(rows.len());
    for chunk in rows.chunks(rows_per_statement(cols)) {
        let sql = values_sql(table, cols, chunk, positional)? + &format!(" RETURNING id, {key}");
        let got = bind_rows(sqlx::query(&sql), chunk)
            .fetch_all(&mut **tx)
            .await
            .map_err(|e| crate::StoreError::from_db(e, table))?;
        for r in got {
            out.insert(r.try_get::<String, _>(1)?, r.try_get::<i64, _>(0)?);
        }
    }
    Ok(out)
}

/// One batch of an imported resident list, parents first, in the caller's transaction: new houses, new
/// households (at new or registered houses), people (in new or registered households), their tags, household
/// tags, and a `person_history` row per person. Ids come back from `RETURNING`, so nothing is looked up twice.
pub async fn insert_resident_batch(
    tx: &mut Transaction<'static, Any>,
    houses: &[crate::register::NewHouse],
    households: &[crate::register::NewHousehold],
    people: &[crate::register::NewPerson],
    household_tags: &[(String, String)],
    history: (&str, &str, &str),
) -> Result<()> {
    use crate::register::{Val, insert_batch};
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
                h.owner_name.as_str().into(),
                now.into(),
                now.into(),
            ]
        })
        .collect();
    let cols = [
        "code",
        "grid_code",
        "address",
        "building",
        "unit",
        "room",
        "area_m2",
        "usage",
        "owner_name",
        "created_at",
        "updated_at",
    ];
    let mut house_ids = insert_returning(tx, "houses", &cols, "code", &rows).await?;
    let missing: Vec<&str> =
        unique_strs(households.iter().map(|h| h.house_code.as_str()).filter(|c| !house_ids.contains_key(*c)));
    house_ids.extend(crate::register::ids_by(tx, "SELECT id, code FROM houses WHERE code", &missing).await?);
    let mut rows = Vec::with_capacity(households.len());
    for h in households {
        let house = *house_ids
            .get(&h.house_code)
            .ok_or_else(|| crate::StoreError::Conflict(format!("house {} does not exist", h.house_code)))?;
        rows.push(vec![
            h.number.as_str().into(),
            house.into(),
            h.grid_code.as_str().into(),
            i64::from(h.registered).into(),
            now.into(),
            now.into(),
        ]);
    }
    let cols = ["number", "house_id", "grid_code", "registered", "created_at", "updated_at"];
    let mut household_ids = insert_returning(tx, "households", &cols, "number", &rows).await?;
    let missing: Vec<&str> =
        unique_strs(people.iter().map(|p| p.household_number.as_str()).filter(|n| !household_ids.contains_key(*n)));
    household_ids
        .extend(crate::register::ids_by(tx, "SELECT id, number FROM households WHERE number", &missing).await?);
    let mut rows = Vec::with_capacity(people.len());
    for p in people {
        let hh = *household_ids
            .get(&p.household_number)
            .ok_or_else(|| crate::StoreError::Conflict(format!("household {} does not exist", p.household_number)))?;
        rows.push(crate::register::person_values(p, hh, now));
    }
    let person_ids = insert_returning(tx, "people", &crate::register::PEOPLE_COLS, "id_number_hash", &rows).await?;
    let mut tag_rows = Vec::new();
    let mut history_rows = Vec::with_capacity(people.len());
    let (kind, note, actor) = history;
    for p in people {
        let Some(&id) = person_ids.get(&p.id_number_hash) else { continue };
        for t in &p.tags {
            tag_rows.push(vec![Val::Int(id), t.as_str().into()]);
        }
        history_rows.push(vec![Val::Int(id), now.into(), kind.into(), note.into(), actor.into()]);
    }
    insert_batch(tx, "person_tags", &["person_id", "tag"], &tag_rows).await?;
    insert_batch(tx, "person_history", &["person_id", "at", "kind", "note", "actor"], &history_rows).await?;
    Store::add_household_tags(tx, household_tags).await?;
    Ok(())
}

fn unique_strs<'a>(it: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    it.filter(|s| seen.insert(*s)).collect()
}

impl Store {
    /// SQLite only: the page cache of the connection running `tx`, in MiB.
    pub async fn set_cache_mib(tx: &mut Transaction<'static, Any>, mib: u32) -> Result<()> {
        sqlx::query(&format!("PRAGMA cache_size = -{}", u64::from(mib) * 1024)).execute(&mut **tx).await?;
        Ok(())
    }
}

/// Setting under which indexes dropped for a bulk load are remembered until they are rebuilt (so a load that
/// dies half-way is repaired by the next one).
const DEFERRED_KEY: &str = "bulk.deferred_indexes";

impl Store {
    /// SQLite only: drops the non-unique secondary indexes of `people` for a large load (each batch would
    /// otherwise rewrite leaf pages all over the random-keyed ones) and remembers their definitions; unique
    /// indexes stay, so duplicates are still refused. Rebuild with [`Store::rebuild_deferred_indexes`].
    pub async fn defer_people_indexes(&self) -> Result<usize> {
        if self.backend() != crate::Backend::Sqlite {
            return Ok(0);
        }
        self.rebuild_deferred_indexes().await?;
        let defs: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'people' AND sql IS NOT NULL \
             AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?;
        if defs.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        let json = serde_json::to_string(&defs.iter().map(|(_, sql)| sql.as_str()).collect::<Vec<_>>())
            .map_err(|e| crate::StoreError::Other(e.to_string()))?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(DEFERRED_KEY)
        .bind(&json)
        .execute(&mut *tx)
        .await?;
        for (name, _) in &defs {
            // Names come from sqlite_master; quote them anyway.
            sqlx::query(&format!("DROP INDEX IF EXISTS \"{}\"", name.replace('"', "\"\""))).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(defs.len())
    }

    /// Re-creates indexes dropped by [`Store::defer_people_indexes`] (a no-op when none are pending).
    pub async fn rebuild_deferred_indexes(&self) -> Result<()> {
        if self.backend() != crate::Backend::Sqlite {
            return Ok(());
        }
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(DEFERRED_KEY)
            .fetch_optional(self.pool())
            .await?;
        let Some((json,)) = row else { return Ok(()) };
        let defs: Vec<String> = serde_json::from_str(&json).unwrap_or_default();
        let mut tx = self.begin().await?;
        for sql in defs {
            let sql = sql.replacen("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1);
            sqlx::query(&sql).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM settings WHERE key = $1").bind(DEFERRED_KEY).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A Bloom filter over byte strings: "certainly absent" or "maybe present", about 1 % false positives at its
/// capacity (10 bits and 7 probes per key). A large import asks it before asking the database whether a key is
/// registered, so that a file of new people costs no lookups at all.
pub struct KeyFilter {
    bits: Vec<u64>,
    nbits: u64,
}

impl KeyFilter {
    const PROBES: u64 = 7;

    pub fn with_capacity(keys: usize) -> KeyFilter {
        let nbits = (keys as u64).saturating_mul(10).max(1024);
        KeyFilter { bits: vec![0; nbits.div_ceil(64) as usize], nbits }
    }

    /// Two hashes of `key` (SipHash with fixed keys, split), combined as h1 + i·h2 for the probes.
    fn probes(&self, key: &[u8]) -> impl Iterator<Item = u64> + use<> {
        use std::hash::Hasher;
        let mut h = std::hash::DefaultHasher::new();
        h.write(key);
        let a = h.finish();
        let (h1, h2) = (a & 0xffff_ffff, (a >> 32) | 1);
        let nbits = self.nbits;
        (0..Self::PROBES).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) % nbits)
    }

    pub fn insert(&mut self, key: &[u8]) {
        for b in self.probes(key) {
            self.bits[(b / 64) as usize] |= 1 << (b % 64);
        }
    }

    pub fn may_contain(&self, key: &[u8]) -> bool {
        self.probes(key).all(|b| self.bits[(b / 64) as usize] & (1 << (b % 64)) != 0)
    }
}

/// What a large resident import asks before looking a key up: filters of the blind indexes of registered
/// people, of the registered 户号 and of the addresses of registered houses. Keys added after the filters were
/// built are missing from them; a row that collides with such a key fails on the unique index at write time,
/// as it would if it had been added between the lookup and the write.
pub struct RegisterKeys {
    pub people: KeyFilter,
    pub households: KeyFilter,
    pub addresses: KeyFilter,
}

/// Keys per page when the filters are read through sqlx (PostgreSQL).
const KEY_PAGE: i64 = 50_000;

impl Store {
    /// `max(id)` of a register table (an upper bound of its rows, without counting them).
    pub async fn max_id(&self, table: &str) -> Result<i64> {
        let row: (Option<i64>,) =
            sqlx::query_as(&format!("SELECT MAX(id) FROM {table}")).fetch_one(self.pool()).await?;
        Ok(row.0.unwrap_or(0))
    }

    /// Adds `column` of every row of `table` to a new filter, a page of rows at a time (by id).
    async fn key_filter(&self, table: &str, column: &str) -> Result<KeyFilter> {
        let mut filter = KeyFilter::with_capacity(self.max_id(table).await? as usize);
        let sql = format!("SELECT id, {column} FROM {table} WHERE id > $1 ORDER BY id LIMIT {KEY_PAGE}");
        let mut after = 0i64;
        loop {
            let rows: Vec<(i64, String)> = sqlx::query_as(&sql).bind(after).fetch_all(self.pool()).await?;
            for (_, k) in &rows {
                filter.insert(k.as_bytes());
            }
            match rows.last() {
                Some((id, _)) if rows.len() as i64 == KEY_PAGE => after = *id,
                _ => return Ok(filter),
            }
        }
    }

    /// The filters of [`RegisterKeys`], read through the pool (see `SqliteBulk::register_keys` for SQLite).
    pub async fn register_keys(&self) -> Result<RegisterKeys> {
        Ok(RegisterKeys {
            people: self.key_filter("people", "id_number_hash").await?,
            households: self.key_filter("households", "number").await?,
            addresses: self.key_filter("houses", "address").await?,
        })
    }
}

#[cfg(test)]
mod filter_tests {
    use super::KeyFilter;

    #[test]
    fn no_false_negatives_and_few_false_positives() {
        let mut f = KeyFilter::with_capacity(10_000);
        for i in 0..10_000 {
            f.insert(format!("key{i}").as_bytes());
        }
        assert!((0..10_000).all(|i| f.may_contain(format!("key{i}").as_bytes())));
        let false_positives = (0..10_000).filter(|i| f.may_contain(format!("other{i}").as_bytes())).count();
        assert!(false_positives < 300, "{false_positives} false positives in 10,000");
        assert!(!KeyFilter::with_capacity(0).may_contain(b"anything"));
    }
}
