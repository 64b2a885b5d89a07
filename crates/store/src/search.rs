//! What the in-memory people search index (crate wangge-app, `search`) is built and refreshed from: names,
//! grids and addresses only — never a personal number. Full loads go page by page in id order so that a
//! million people never sit in memory as rows; refreshes ask for the few rows changed since a watermark.

use crate::{Result, Store};

/// Rows per page of a full load: big enough to amortise a round trip, small enough to bound memory.
pub const PAGE: i64 = 20_000;
/// Ids per `IN (...)` list.
const CHUNK: usize = 500;

/// A person as the search index sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPerson {
    pub id: i64,
    pub name: String,
    pub grid_code: String,
    /// The house of the person's household, if they have one.
    pub house_id: Option<i64>,
    /// Set when this record was merged into another: such people are not searchable.
    pub merged: bool,
    /// Present or away (`residence_status`): listed by default; moved-out and deceased people only on request.
    pub current: bool,
    pub updated_at: i64,
}

/// Cheap signals that people changed: `(MAX(updated_at), MAX(id))`, both answered from an index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeopleMark {
    pub updated_at: i64,
    pub max_id: i64,
}

fn in_list(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

type PersonTuple = (i64, String, String, Option<i64>, Option<i64>, i64, String);

fn to_person((id, name, grid_code, house_id, merged_into, updated_at, status): PersonTuple) -> SearchPerson {
    let current = matches!(status.as_str(), "present" | "away");
    SearchPerson { id, name, grid_code, house_id, merged: merged_into.is_some(), current, updated_at }
}

const PERSON_SQL: &str = "SELECT p.id, p.name, p.grid_code, h.house_id, p.merged_into, p.updated_at, p.residence_status \
    FROM people p LEFT JOIN households h ON h.id = p.household_id";

impl Store {
    /// `(MAX(people.updated_at), MAX(people.id))`; two sub-selects so that each uses its index on SQLite.
    pub async fn search_people_mark(&self) -> Result<PeopleMark> {
        let (updated_at, max_id): (Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT (SELECT MAX(updated_at) FROM people), (SELECT MAX(id) FROM people)")
                .fetch_one(self.pool())
                .await?;
        Ok(PeopleMark { updated_at: updated_at.unwrap_or(0), max_id: max_id.unwrap_or(0) })
    }

    /// `(MAX(houses.updated_at), MAX(households.updated_at))`. These columns have no index (migration 0002),
    /// so this reads both tables: callers ask rarely.
    pub async fn search_house_mark(&self) -> Result<(i64, i64)> {
        let (houses, households): (Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT (SELECT MAX(updated_at) FROM houses), (SELECT MAX(updated_at) FROM households)")
                .fetch_one(self.pool())
                .await?;
        Ok((houses.unwrap_or(0), households.unwrap_or(0)))
    }

    /// One page of `(id, address)` of houses after `after_id`, by id.
    pub async fn search_houses_page(&self, after_id: i64, limit: i64) -> Result<Vec<(i64, String)>> {
        Ok(sqlx::query_as("SELECT id, address FROM houses WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after_id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// `(id, address)` of these houses.
    pub async fn search_houses_by_ids(&self, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let sql = format!("SELECT id, address FROM houses WHERE id IN ({})", in_list(chunk.len()));
            let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            out.extend(q.fetch_all(self.pool()).await?);
        }
        Ok(out)
    }

    /// One page of people after `after_id`, by id, merged ones included (flagged).
    pub async fn search_people_page(&self, after_id: i64, limit: i64) -> Result<Vec<SearchPerson>> {
        let rows: Vec<PersonTuple> = sqlx::query_as(&format!("{PERSON_SQL} WHERE p.id > $1 ORDER BY p.id LIMIT $2"))
            .bind(after_id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(to_person).collect())
    }

    /// These people (merged ones included, flagged), in no particular order.
    pub async fn search_people_by_ids(&self, ids: &[i64]) -> Result<Vec<SearchPerson>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let sql = format!("{PERSON_SQL} WHERE p.id IN ({})", in_list(chunk.len()));
            let mut q = sqlx::query_as::<_, PersonTuple>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            out.extend(q.fetch_all(self.pool()).await?.into_iter().map(to_person));
        }
        Ok(out)
    }

    /// `(id, updated_at)` of people updated after `since` or with an id above `above_id` — the candidates of
    /// an incremental refresh. Both conditions use an index (`people_updated`, the primary key).
    pub async fn search_people_stamps(&self, since: i64, above_id: i64) -> Result<Vec<(i64, i64)>> {
        let mut rows: Vec<(i64, i64)> = sqlx::query_as("SELECT id, updated_at FROM people WHERE updated_at > $1")
            .bind(since)
            .fetch_all(self.pool())
            .await?;
        rows.extend(
            sqlx::query_as::<_, (i64, i64)>("SELECT id, updated_at FROM people WHERE id > $1")
                .bind(above_id)
                .fetch_all(self.pool())
                .await?,
        );
        rows.sort_unstable();
        rows.dedup();
        Ok(rows)
    }

    /// `(COUNT(*), SUM(updated_at - lo))` over people with `lo < updated_at <= hi`: a fingerprint of the rows
    /// stamped in that range, from an index range (the offsets keep the sum far from overflowing).
    pub async fn search_people_window(&self, lo: i64, hi: i64) -> Result<(i64, i64)> {
        let (n, sum): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(updated_at - $1), 0) AS BIGINT) FROM people \
             WHERE updated_at > $1 AND updated_at <= $2",
        )
        .bind(lo)
        .bind(hi)
        .fetch_one(self.pool())
        .await?;
        Ok((n, sum))
    }

    /// `(id, updated_at)` of people with `lo < updated_at <= hi`.
    pub async fn search_people_stamped(&self, lo: i64, hi: i64) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as("SELECT id, updated_at FROM people WHERE updated_at > $1 AND updated_at <= $2")
            .bind(lo)
            .bind(hi)
            .fetch_all(self.pool())
            .await?)
    }

    /// Houses whose row changed after `since_houses`, and people whose household changed after
    /// `since_households` (it may have moved to another house).
    pub async fn search_house_changes(&self, since_houses: i64, since_households: i64) -> Result<(Vec<i64>, Vec<i64>)> {
        let houses: Vec<(i64,)> = sqlx::query_as("SELECT id FROM houses WHERE updated_at > $1")
            .bind(since_houses)
            .fetch_all(self.pool())
            .await?;
        let people: Vec<(i64,)> = sqlx::query_as(
            "SELECT p.id FROM people p JOIN households h ON h.id = p.household_id WHERE h.updated_at > $1",
        )
        .bind(since_households)
        .fetch_all(self.pool())
        .await?;
        Ok((houses.into_iter().map(|r| r.0).collect(), people.into_iter().map(|r| r.0).collect()))
    }
}
