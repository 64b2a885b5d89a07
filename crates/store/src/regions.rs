//! Regions (区/街道/社区/网格) with their boundaries, and the counts shown beside the map.

use crate::{Result, Store, StoreError, now_ms, prefix_range};
use sqlx::{Any, Transaction};
use wangge_domain::region::{Region, RegionLevel};

#[derive(Debug, Clone, PartialEq)]
pub struct RegionRow {
    pub region: Region,
    /// GeoJSON geometry text (WGS84), when the region has a drawn boundary.
    pub boundary: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub households: i64,
    pub residents: i64,
    pub grids: i64,
}

type Row = (String, String, String, Option<String>, Option<String>);

fn to_row((code, name, level, parent_code, boundary): Row) -> Result<RegionRow> {
    let level =
        RegionLevel::parse(&level).ok_or_else(|| StoreError::Other(format!("region {code}: bad level {level}")))?;
    Ok(RegionRow { region: Region { code, name, level, parent_code }, boundary })
}

const COLS: &str = "code, name, level, parent_code, boundary";

impl Store {
    pub async fn region(&self, code: &str) -> Result<Option<RegionRow>> {
        let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLS} FROM regions WHERE code = $1"))
            .bind(code)
            .fetch_optional(self.pool())
            .await?;
        row.map(to_row).transpose()
    }

    /// Direct children ordered by code.
    pub async fn region_children(&self, code: &str) -> Result<Vec<RegionRow>> {
        let rows: Vec<Row> =
            sqlx::query_as(&format!("SELECT {COLS} FROM regions WHERE parent_code = $1 ORDER BY code"))
                .bind(code)
                .fetch_all(self.pool())
                .await?;
        rows.into_iter().map(to_row).collect()
    }

    /// Regions with no parent (districts), ordered by code, after `cursor`.
    pub async fn top_regions(&self, after: Option<&str>, limit: i64) -> Result<Vec<RegionRow>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLS} FROM regions WHERE parent_code IS NULL AND code > $1 ORDER BY code LIMIT $2"
        ))
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(to_row).collect()
    }

    pub async fn count_top_regions(&self) -> Result<i64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM regions WHERE parent_code IS NULL").fetch_one(self.pool()).await?;
        Ok(n)
    }

    /// Every region in the subtree of `root` (root included), ordered by code, so parents precede children.
    pub async fn region_subtree(&self, root: &str) -> Result<Vec<RegionRow>> {
        let (lo, hi) = prefix_range(root);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT code, name, level, parent_code, NULL FROM regions WHERE code >= $1 AND code < $2 ORDER BY code",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(to_row).collect()
    }

    /// All grids under `root` with their boundaries.
    pub async fn grids_in(&self, root: &str) -> Result<Vec<RegionRow>> {
        let (lo, hi) = prefix_range(root);
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLS} FROM regions WHERE level = 'grid' AND code >= $1 AND code < $2 ORDER BY code"
        ))
        .bind(lo)
        .bind(hi)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(to_row).collect()
    }

    /// Every grid that has a boundary: what the locator index is built from.
    pub async fn all_grid_boundaries(&self) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as("SELECT code, boundary FROM regions WHERE level = 'grid' AND boundary IS NOT NULL")
            .fetch_all(self.pool())
            .await?)
    }

    pub async fn region_counts(&self, root: &str) -> Result<Counts> {
        let (lo, hi) = prefix_range(root);
        let mut counts = [0i64; 3];
        for (i, sql) in [
            "SELECT COUNT(*) FROM households WHERE grid_code >= $1 AND grid_code < $2",
            "SELECT COUNT(*) FROM people WHERE grid_code >= $1 AND grid_code < $2",
            "SELECT COUNT(*) FROM regions WHERE level = 'grid' AND code >= $1 AND code < $2",
        ]
        .into_iter()
        .enumerate()
        {
            let (n,): (i64,) = sqlx::query_as(sql).bind(&lo).bind(&hi).fetch_one(self.pool()).await?;
            counts[i] = n;
        }
        Ok(Counts { households: counts[0], residents: counts[1], grids: counts[2] })
    }

    /// Counts for every child of `parent`, grouped in one query per table (children codes have `child_len` digits).
    pub async fn child_counts(&self, parent: &str, child_len: usize) -> Result<Vec<(String, Counts)>> {
        let (lo, hi) = prefix_range(parent);
        let n = child_len as i64;
        let mut out: std::collections::BTreeMap<String, Counts> = std::collections::BTreeMap::new();
        for (table, col, filter) in
            [("households", "grid_code", ""), ("people", "grid_code", ""), ("regions", "code", "AND level = 'grid'")]
        {
            // The length is our own integer, inlined: PostgreSQL has no substr(text, int, bigint).
            let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
                "SELECT substr({col}, 1, {n}) AS c, COUNT(*) FROM {table} WHERE {col} >= $1 AND {col} < $2 {filter} GROUP BY substr({col}, 1, {n})"
            ))
            .bind(&lo)
            .bind(&hi)
            .fetch_all(self.pool())
            .await?;
            for (c, k) in rows {
                let e = out.entry(c).or_default();
                match table {
                    "households" => e.households = k,
                    "people" => e.residents = k,
                    _ => e.grids = k,
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    pub async fn insert_region(tx: &mut Transaction<'static, Any>, r: &Region, boundary: Option<&str>) -> Result<()> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO regions (code, name, level, parent_code, boundary, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&r.code)
        .bind(&r.name)
        .bind(r.level.as_str())
        .bind(r.parent_code.as_deref())
        .bind(boundary)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, &format!("region {}", r.code)))?;
        Ok(())
    }

    /// Inserts or, when the code exists, renames and (if given) redraws the region. Returns true if it was new.
    pub async fn upsert_region(tx: &mut Transaction<'static, Any>, r: &Region, boundary: Option<&str>) -> Result<bool> {
        let exists: Option<(String,)> =
            sqlx::query_as("SELECT code FROM regions WHERE code = $1").bind(&r.code).fetch_optional(&mut **tx).await?;
        if exists.is_none() {
            Self::insert_region(tx, r, boundary).await?;
            return Ok(true);
        }
        sqlx::query("UPDATE regions SET name = $2, boundary = COALESCE($3, boundary), updated_at = $4 WHERE code = $1")
            .bind(&r.code)
            .bind(&r.name)
            .bind(boundary)
            .bind(now_ms())
            .execute(&mut **tx)
            .await?;
        Ok(false)
    }

    pub async fn region_exists_tx(tx: &mut Transaction<'static, Any>, code: &str) -> Result<bool> {
        let r: Option<(String,)> =
            sqlx::query_as("SELECT code FROM regions WHERE code = $1").bind(code).fetch_optional(&mut **tx).await?;
        Ok(r.is_some())
    }
}

impl Store {
    /// Changes whenever a grid is added, redrawn or renamed: (number of grids, latest update time).
    pub async fn grid_fingerprint(&self) -> Result<(i64, i64)> {
        let (n, at): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MAX(updated_at) FROM regions WHERE level = 'grid'")
                .fetch_one(self.pool())
                .await?;
        Ok((n, at.unwrap_or(0)))
    }

    pub async fn region_tree_is_empty(&self) -> Result<bool> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM regions").fetch_one(self.pool()).await?;
        Ok(n == 0)
    }
}
