//! The register as users work with it one record at a time: people with their household and house, history,
//! tags, households, houses and buildings — reads within region subtrees and single-record writes.
//! Personal numbers arrive and leave encrypted, hashed and masked; this module never sees them in clear.

use crate::sql::{Bind, Sql, roots_clause};
use crate::{Result, Store, StoreError, now_ms, prefix_range};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

#[derive(Debug, Clone, PartialEq)]
pub struct PersonRow {
    pub id: i64,
    pub name: String,
    pub gender: String,
    pub birth_date: String,
    pub ethnicity: String,
    pub id_number_enc: String,
    pub id_number_masked: String,
    pub phone_enc: Option<String>,
    pub phone_masked: Option<String>,
    pub population_type: String,
    pub residence_status: String,
    pub grid_code: String,
    pub household_id: Option<i64>,
    pub house_id: Option<i64>,
    pub address: Option<String>,
    pub relation: String,
    pub education: String,
    pub employment: String,
    pub political_status: String,
    pub health: String,
    pub merged_into: Option<i64>,
}

const PERSON_COLS: &str = "p.id, p.name, p.gender, p.birth_date, p.ethnicity, p.id_number_enc, p.id_number_masked, \
    p.phone_enc, p.phone_masked, p.population_type, p.residence_status, p.grid_code, p.household_id, \
    h.house_id AS house_id, ho.address AS address, p.relation, p.education, p.employment, p.political_status, \
    p.health, p.merged_into";
const PERSON_FROM: &str =
    "people p LEFT JOIN households h ON h.id = p.household_id LEFT JOIN houses ho ON ho.id = h.house_id";

fn person_row(r: &AnyRow) -> std::result::Result<PersonRow, sqlx::Error> {
    Ok(PersonRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        gender: r.try_get("gender")?,
        birth_date: r.try_get("birth_date")?,
        ethnicity: r.try_get("ethnicity")?,
        id_number_enc: r.try_get("id_number_enc")?,
        id_number_masked: r.try_get("id_number_masked")?,
        phone_enc: r.try_get("phone_enc")?,
        phone_masked: r.try_get("phone_masked")?,
        population_type: r.try_get("population_type")?,
        residence_status: r.try_get("residence_status")?,
        grid_code: r.try_get("grid_code")?,
        household_id: r.try_get("household_id")?,
        house_id: r.try_get("house_id")?,
        address: r.try_get("address")?,
        relation: r.try_get("relation")?,
        education: r.try_get("education")?,
        employment: r.try_get("employment")?,
        political_status: r.try_get("political_status")?,
        health: r.try_get("health")?,
        merged_into: r.try_get("merged_into")?,
    })
}

/// Which people a list shows.
#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    /// Subtrees (grid codes by prefix); `None` = everywhere.
    pub roots: Option<Vec<String>>,
    /// A tag code and whether it is a household-level tag.
    pub tag: Option<(String, bool)>,
    /// Include moved-out, deceased and merged people.
    pub all_statuses: bool,
    /// Only people born on or before this date (`YYYY-MM-DD`): derived age groups such as 老年人.
    pub born_on_or_before: Option<String>,
}

fn people_where(sql: &mut Sql, f: &PeopleFilter) -> String {
    let mut wh = vec![roots_clause(sql, "p.grid_code", f.roots.as_deref())];
    if !f.all_statuses {
        wh.push("p.residence_status IN ('present', 'away') AND p.merged_into IS NULL".into());
    }
    if let Some(d) = &f.born_on_or_before {
        let a = sql.arg(Bind::Text(d.clone()));
        wh.push(format!("p.birth_date <= {a}"));
    }
    if let Some((tag, household)) = &f.tag {
        let t = sql.arg(Bind::Text(tag.clone()));
        wh.push(if *household {
            format!("EXISTS (SELECT 1 FROM household_tags t WHERE t.household_id = p.household_id AND t.tag = {t})")
        } else {
            format!("EXISTS (SELECT 1 FROM person_tags t WHERE t.person_id = p.id AND t.tag = {t})")
        });
    }
    wh.join(" AND ")
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub id: i64,
    pub person_id: i64,
    pub at: i64,
    pub kind: String,
    pub note: String,
    pub actor: String,
    pub data: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdRow {
    pub id: i64,
    pub number: String,
    pub house_id: i64,
    pub grid_code: String,
    pub registered: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HouseRow {
    pub id: i64,
    pub code: String,
    pub grid_code: String,
    pub address: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub area_m2: Option<f64>,
    pub usage: String,
    pub owner_name: String,
    pub building_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BuildingRow {
    pub id: i64,
    pub code: String,
    pub grid_code: String,
    pub name: String,
    pub address: String,
    pub floors: Option<i64>,
}

const HOUSE_COLS: &str = "id, code, grid_code, address, building, unit, room, area_m2, usage, owner_name, building_id";

fn house_row(r: &AnyRow) -> std::result::Result<HouseRow, sqlx::Error> {
    Ok(HouseRow {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        grid_code: r.try_get("grid_code")?,
        address: r.try_get("address")?,
        building: r.try_get("building")?,
        unit: r.try_get("unit")?,
        room: r.try_get("room")?,
        area_m2: r.try_get("area_m2")?,
        usage: r.try_get("usage")?,
        owner_name: r.try_get("owner_name")?,
        building_id: r.try_get("building_id")?,
    })
}

/// A person to write, numbers already encrypted, hashed and masked.
#[derive(Debug, Clone)]
pub struct PersonInsert {
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
    pub household_id: i64,
    pub relation: String,
    pub grid_code: String,
}

/// Columns of `people` a single-record update may set (anything else is refused).
pub const UPDATABLE: &[&str] = &[
    "phone_enc",
    "phone_hash",
    "phone_masked",
    "ethnicity",
    "education",
    "employment",
    "political_status",
    "health",
    "relation",
];

impl Store {
    /// One page of people ordered by id, after `after_id`, with the total matching the filter.
    pub async fn list_people(
        &self,
        f: &PeopleFilter,
        after_id: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<PersonRow>, i64)> {
        let mut count = Sql::default();
        let wh = people_where(&mut count, f);
        count.text = format!("SELECT COUNT(*) FROM people p WHERE {wh}");
        let total: i64 = count.query().fetch_one(self.pool()).await?.try_get(0)?;

        let mut sql = Sql::default();
        let wh = people_where(&mut sql, f);
        let after = sql.arg(Bind::Int(after_id.unwrap_or(i64::MIN)));
        let lim = sql.arg(Bind::Int(limit));
        sql.text =
            format!("SELECT {PERSON_COLS} FROM {PERSON_FROM} WHERE {wh} AND p.id > {after} ORDER BY p.id LIMIT {lim}");
        let rows = sql.query().fetch_all(self.pool()).await?;
        let people = rows.iter().map(person_row).collect::<std::result::Result<Vec<_>, _>>()?;
        Ok((people, total))
    }

    /// People by id, in the order asked, restricted by the filter (ids that do not match are dropped).
    pub async fn people_by_ids(&self, ids: &[i64], f: &PeopleFilter) -> Result<Vec<PersonRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::default();
        let wh = people_where(&mut sql, f);
        let list: Vec<String> = ids.iter().map(|i| sql.arg(Bind::Int(*i))).collect();
        sql.text = format!("SELECT {PERSON_COLS} FROM {PERSON_FROM} WHERE {wh} AND p.id IN ({})", list.join(", "));
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut by_id: std::collections::HashMap<i64, PersonRow> =
            rows.iter().map(person_row).map(|r| r.map(|p| (p.id, p))).collect::<std::result::Result<_, _>>()?;
        Ok(ids.iter().filter_map(|i| by_id.remove(i)).collect())
    }

    /// Those of `ids` that pass the filter, in the order given.
    pub async fn filter_person_ids(&self, ids: &[i64], f: &PeopleFilter) -> Result<Vec<i64>> {
        let mut kept = std::collections::HashSet::new();
        for chunk in ids.chunks(1000) {
            let mut sql = Sql::default();
            let wh = people_where(&mut sql, f);
            let list: Vec<String> = chunk.iter().map(|i| sql.arg(Bind::Int(*i))).collect();
            sql.text = format!("SELECT p.id FROM people p WHERE {wh} AND p.id IN ({})", list.join(", "));
            for r in sql.query().fetch_all(self.pool()).await? {
                kept.insert(r.try_get::<i64, _>(0)?);
            }
        }
        Ok(ids.iter().copied().filter(|i| kept.contains(i)).collect())
    }

    pub async fn person(&self, id: i64) -> Result<Option<PersonRow>> {
        let row = sqlx::query(&format!("SELECT {PERSON_COLS} FROM {PERSON_FROM} WHERE p.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(person_row).transpose()?)
    }

    /// Ids of people whose 身份证号 has this blind index (at most one: the column is unique).
    pub async fn people_by_id_number_hash(&self, hash: &str) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM people WHERE id_number_hash = $1 ORDER BY id")
            .bind(hash)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Ids of people whose phone has this blind index (a family may share one).
    pub async fn people_by_phone_hash(&self, hash: &str) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM people WHERE phone_hash = $1 ORDER BY id")
            .bind(hash)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// (person id, tag code, data JSON) for the people's own tags and their households' tags.
    pub async fn tags_of_people(&self, ids: &[i64]) -> Result<Vec<(i64, String, String)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let mut sql = Sql::default();
            let list: Vec<String> = chunk.iter().map(|i| sql.arg(Bind::Int(*i))).collect();
            let list = list.join(", ");
            sql.text = format!(
                "SELECT person_id, tag, data FROM person_tags WHERE person_id IN ({list}) \
                 UNION ALL SELECT p.id, t.tag, t.data FROM people p JOIN household_tags t ON t.household_id = p.household_id \
                 WHERE p.id IN ({list})"
            );
            for r in sql.query().fetch_all(self.pool()).await? {
                out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
            }
        }
        Ok(out)
    }

    pub async fn person_history(&self, person_id: i64) -> Result<Vec<HistoryRow>> {
        let rows: Vec<(i64, i64, i64, String, String, String, String)> = sqlx::query_as(
            "SELECT id, person_id, at, kind, note, actor, data FROM person_history WHERE person_id = $1 ORDER BY at, id",
        )
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, person_id, at, kind, note, actor, data)| HistoryRow {
                id,
                person_id,
                at,
                kind,
                note,
                actor,
                data,
            })
            .collect())
    }

    pub async fn household(&self, id: i64) -> Result<Option<HouseholdRow>> {
        let row: Option<(i64, String, i64, String, i64)> =
            sqlx::query_as("SELECT id, number, house_id, grid_code, registered FROM households WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(id, number, house_id, grid_code, registered)| HouseholdRow {
            id,
            number,
            house_id,
            grid_code,
            registered: registered != 0,
        }))
    }

    /// (tag code, data JSON) of a household's own tags.
    pub async fn household_tags(&self, household_id: i64) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as("SELECT tag, data FROM household_tags WHERE household_id = $1 ORDER BY tag")
            .bind(household_id)
            .fetch_all(self.pool())
            .await?)
    }

    pub async fn household_by_number(&self, number: &str) -> Result<Option<HouseholdRow>> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM households WHERE number = $1")
            .bind(number)
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some((id,)) => self.household(id).await,
            None => Ok(None),
        }
    }

    /// Members of a household (merged duplicates left out), by id.
    pub async fn household_members(&self, household_id: i64) -> Result<Vec<PersonRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {PERSON_COLS} FROM {PERSON_FROM} WHERE p.household_id = $1 AND p.merged_into IS NULL ORDER BY p.id"
        ))
        .bind(household_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(person_row).collect::<std::result::Result<_, _>>()?)
    }

    /// Households living in a house.
    pub async fn households_in_house(&self, house_id: i64) -> Result<Vec<HouseholdRow>> {
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM households WHERE house_id = $1 ORDER BY id")
            .bind(house_id)
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::new();
        for (id,) in rows {
            if let Some(h) = self.household(id).await? {
                out.push(h);
            }
        }
        Ok(out)
    }

    pub async fn house(&self, id: i64) -> Result<Option<HouseRow>> {
        let row = sqlx::query(&format!("SELECT {HOUSE_COLS} FROM houses WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(house_row).transpose()?)
    }

    pub async fn house_by_code(&self, code: &str) -> Result<Option<HouseRow>> {
        let row = sqlx::query(&format!("SELECT {HOUSE_COLS} FROM houses WHERE code = $1"))
            .bind(code)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(house_row).transpose()?)
    }

    /// The first house in the grid with exactly this address.
    pub async fn house_by_address(&self, grid_code: &str, address: &str) -> Result<Option<HouseRow>> {
        let row = sqlx::query(&format!(
            "SELECT {HOUSE_COLS} FROM houses WHERE grid_code = $1 AND address = $2 ORDER BY id LIMIT 1"
        ))
        .bind(grid_code)
        .bind(address)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(house_row).transpose()?)
    }

    pub async fn building(&self, id: i64) -> Result<Option<BuildingRow>> {
        let row: Option<(i64, String, String, String, String, Option<i64>)> =
            sqlx::query_as("SELECT id, code, grid_code, name, address, floors FROM buildings WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(id, code, grid_code, name, address, floors)| BuildingRow {
            id,
            code,
            grid_code,
            name,
            address,
            floors,
        }))
    }

    /// The houses of a building with how many people (present or away, not merged) live in each.
    pub async fn building_houses(&self, building_id: i64) -> Result<Vec<(HouseRow, i64)>> {
        let rows = sqlx::query(&format!("SELECT {HOUSE_COLS} FROM houses WHERE building_id = $1 ORDER BY code"))
            .bind(building_id)
            .fetch_all(self.pool())
            .await?;
        let houses: Vec<HouseRow> = rows.iter().map(house_row).collect::<std::result::Result<_, _>>()?;
        let counts: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT h.house_id, COUNT(*) FROM people p JOIN households h ON h.id = p.household_id \
             JOIN houses ho ON ho.id = h.house_id WHERE ho.building_id = $1 \
             AND p.residence_status IN ('present', 'away') AND p.merged_into IS NULL GROUP BY h.house_id",
        )
        .bind(building_id)
        .fetch_all(self.pool())
        .await?;
        let counts: std::collections::HashMap<i64, i64> = counts.into_iter().collect();
        Ok(houses.into_iter().map(|h| (h.clone(), counts.get(&h.id).copied().unwrap_or(0))).collect())
    }

    /// How many people (present or away, not merged) live in a house.
    pub async fn house_occupants(&self, house_id: i64) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM people p JOIN households h ON h.id = p.household_id WHERE h.house_id = $1 \
             AND p.residence_status IN ('present', 'away') AND p.merged_into IS NULL",
        )
        .bind(house_id)
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }

    /// Households per grid in the subtree of `root` (grids without households are absent).
    pub async fn households_per_grid(&self, root: &str) -> Result<Vec<(String, i64)>> {
        let (lo, hi) = prefix_range(root);
        Ok(sqlx::query_as(
            "SELECT grid_code, COUNT(*) FROM households WHERE grid_code >= $1 AND grid_code < $2 GROUP BY grid_code",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(self.pool())
        .await?)
    }

    // ---- writes, each inside the caller's transaction ----

    pub async fn insert_house_tx(
        tx: &mut Transaction<'static, Any>,
        code: &str,
        grid_code: &str,
        address: &str,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO houses (code, grid_code, address, usage, created_at, updated_at) \
             VALUES ($1, $2, $3, 'other', $4, $4) RETURNING id",
        )
        .bind(code)
        .bind(grid_code)
        .bind(address)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, &format!("house {code}")))?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    pub async fn insert_household_tx(
        tx: &mut Transaction<'static, Any>,
        number: &str,
        house_id: i64,
        grid_code: &str,
        registered: bool,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO households (number, house_id, grid_code, registered, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(number)
        .bind(house_id)
        .bind(grid_code)
        .bind(i64::from(registered))
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, &format!("household {number}")))?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    pub async fn insert_person_tx(tx: &mut Transaction<'static, Any>, p: &PersonInsert) -> Result<i64> {
        let now = now_ms();
        let row = sqlx::query(
            "INSERT INTO people (name, id_number_enc, id_number_hash, id_number_masked, gender, birth_date, ethnicity, \
             phone_enc, phone_hash, phone_masked, population_type, household_id, relation, grid_code, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
        )
        .bind(&p.name)
        .bind(&p.id_number_enc)
        .bind(&p.id_number_hash)
        .bind(&p.id_number_masked)
        .bind(&p.gender)
        .bind(&p.birth_date)
        .bind(&p.ethnicity)
        .bind(p.phone_enc.as_deref())
        .bind(p.phone_hash.as_deref())
        .bind(p.phone_masked.as_deref())
        .bind(&p.population_type)
        .bind(p.household_id)
        .bind(&p.relation)
        .bind(&p.grid_code)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "person"))?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Sets text columns of one person (names from [`UPDATABLE`] only).
    pub async fn update_person_tx(
        tx: &mut Transaction<'static, Any>,
        id: i64,
        values: &[(&str, Option<String>)],
    ) -> Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        let mut sets = Vec::new();
        for (i, (col, _)) in values.iter().enumerate() {
            if !UPDATABLE.contains(col) {
                return Err(StoreError::Other(format!("people.{col} cannot be updated here")));
            }
            sets.push(format!("{col} = ${}", i + 1));
        }
        let n = values.len();
        let text = format!("UPDATE people SET {}, updated_at = ${} WHERE id = ${}", sets.join(", "), n + 1, n + 2);
        let mut q = sqlx::query(&text);
        for (_, v) in values {
            q = q.bind(v.clone());
        }
        q.bind(now_ms()).bind(id).execute(&mut **tx).await?;
        Ok(())
    }

    /// Changes where a person lives and/or their residence status.
    pub async fn move_person_tx(
        tx: &mut Transaction<'static, Any>,
        id: i64,
        status: &str,
        household: Option<(i64, &str)>,
    ) -> Result<()> {
        match household {
            Some((hh, grid)) => {
                sqlx::query(
                    "UPDATE people SET residence_status = $1, household_id = $2, grid_code = $3, updated_at = $4 WHERE id = $5",
                )
                .bind(status)
                .bind(hh)
                .bind(grid)
                .bind(now_ms())
                .bind(id)
                .execute(&mut **tx)
                .await?;
                // A resident's account belongs to the grid the person lives in.
                sqlx::query(
                    "UPDATE user_grants SET region_code = $1 WHERE role = 'resident' \
                     AND user_id IN (SELECT u.id FROM users u WHERE u.person_id = $2)",
                )
                .bind(grid)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            }
            None => {
                sqlx::query("UPDATE people SET residence_status = $1, updated_at = $2 WHERE id = $3")
                    .bind(status)
                    .bind(now_ms())
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    pub async fn add_history_tx(
        tx: &mut Transaction<'static, Any>,
        person_id: i64,
        kind: &str,
        note: &str,
        actor: &str,
        data: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO person_history (person_id, at, kind, note, actor, data) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(person_id)
        .bind(now_ms())
        .bind(kind)
        .bind(note)
        .bind(actor)
        .bind(data)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Sets a person-level (or, with `household`, household-level) tag with its data.
    pub async fn set_tag_tx(
        tx: &mut Transaction<'static, Any>,
        household: bool,
        owner_id: i64,
        tag: &str,
        data: &str,
    ) -> Result<()> {
        let (table, col) = if household { ("household_tags", "household_id") } else { ("person_tags", "person_id") };
        sqlx::query(&format!(
            "INSERT INTO {table} ({col}, tag, data) VALUES ($1, $2, $3) ON CONFLICT ({col}, tag) DO UPDATE SET data = excluded.data"
        ))
        .bind(owner_id)
        .bind(tag)
        .bind(data)
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, &format!("tag {tag}")))?;
        Ok(())
    }

    /// Removes a tag; whether it was there.
    pub async fn remove_tag_tx(
        tx: &mut Transaction<'static, Any>,
        household: bool,
        owner_id: i64,
        tag: &str,
    ) -> Result<bool> {
        let (table, col) = if household { ("household_tags", "household_id") } else { ("person_tags", "person_id") };
        let r = sqlx::query(&format!("DELETE FROM {table} WHERE {col} = $1 AND tag = $2"))
            .bind(owner_id)
            .bind(tag)
            .execute(&mut **tx)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Merges `duplicate` into `keep`: the duplicate stays (marked merged, out of lists), its history is copied
    /// to the kept person, and its tags are added to the kept person's.
    pub async fn merge_people_tx(tx: &mut Transaction<'static, Any>, keep: i64, duplicate: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO person_history (person_id, at, kind, note, actor, data) \
             SELECT $1, at, kind, note, actor, data FROM person_history WHERE person_id = $2 ORDER BY at, id",
        )
        .bind(keep)
        .bind(duplicate)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO person_tags (person_id, tag, data) SELECT $1, tag, data FROM person_tags WHERE person_id = $2 \
             ON CONFLICT (person_id, tag) DO NOTHING",
        )
        .bind(keep)
        .bind(duplicate)
        .execute(&mut **tx)
        .await?;
        // A resident account of the duplicate follows the person kept, unless that person has one already.
        sqlx::query(
            "UPDATE users SET person_id = $1 WHERE person_id = $2 \
             AND NOT EXISTS (SELECT 1 FROM users u WHERE u.person_id = $1)",
        )
        .bind(keep)
        .bind(duplicate)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "UPDATE people SET merged_into = $1, residence_status = 'moved_out', updated_at = $2 WHERE id = $3",
        )
        .bind(keep)
        .bind(now_ms())
        .bind(duplicate)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

impl Store {
    /// A plain-SQL search (name or address contains `q`) within the roots, newest-registered last, with the
    /// total: the fallback when no search index answers.
    pub async fn search_people_like(
        &self,
        roots: &[String],
        q: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<i64>, i64)> {
        let escaped: String = q
            .chars()
            .flat_map(|c| match c {
                '\\' | '%' | '_' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = format!("%{escaped}%");
        let build = |sql: &mut Sql| {
            let r = roots_clause(sql, "p.grid_code", Some(roots));
            let a = sql.arg(Bind::Text(pattern.clone()));
            format!("{r} AND (p.name LIKE {a} ESCAPE '\\' OR ho.address LIKE {a} ESCAPE '\\')")
        };
        let mut count = Sql::default();
        let wh = build(&mut count);
        count.text = format!("SELECT COUNT(*) FROM {PERSON_FROM} WHERE {wh}");
        let total: i64 = count.query().fetch_one(self.pool()).await?.try_get(0)?;
        let mut sql = Sql::default();
        let wh = build(&mut sql);
        let exact = sql.arg(Bind::Text(q.to_string()));
        let lim = sql.arg(Bind::Int(limit));
        let off = sql.arg(Bind::Int(offset));
        sql.text = format!(
            "SELECT p.id FROM {PERSON_FROM} WHERE {wh} ORDER BY CASE WHEN p.name = {exact} THEN 0 ELSE 1 END, p.id LIMIT {lim} OFFSET {off}"
        );
        let ids = sql
            .query()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        Ok((ids, total))
    }
}
