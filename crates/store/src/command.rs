//! What the command centre reads: open events (`event_open`, kept with every event write), the live feed
//! (`command_feed`, appended in the writing transaction and announced to other processes), per-grid register
//! counts (`register_grid_counts`, rebuilt periodically), and a few period sums over the field-work tables.

use crate::events::EventRow;
use crate::register::{Val, insert_batch};
use crate::{Result, Store, now_ms, prefix_range};
use sqlx::{Any, Row, Transaction};
use wangge_domain::command::{FeedKind, is_open};

/// The PostgreSQL channel every feed append notifies (its payload is empty: listeners read the table).
pub const FEED_CHANNEL: &str = "wangge_feed";

/// One entry of the live feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub event_id: i64,
    pub grid_code: String,
    pub category_code: String,
    pub status: String,
    pub lat: f64,
    pub lon: f64,
    pub description: String,
}

/// An open event as the map draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenPoint {
    pub event_id: i64,
    pub grid_code: String,
    pub category_code: String,
    pub status: String,
    pub lat: f64,
    pub lon: f64,
    pub reported_at: i64,
    pub overdue: bool,
}

/// Open and overdue events of one grid, and of those the hazards (治安/安全隐患, classes Z02 and Z03).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenCount {
    pub open: i64,
    pub overdue: i64,
    pub hazards: i64,
    pub hazards_overdue: i64,
}

const FEED_COLS: &str = "id, at, kind, event_id, grid_code, category_code, status, lat, lon, description";

fn feed_row(r: &sqlx::any::AnyRow) -> std::result::Result<FeedRow, sqlx::Error> {
    Ok(FeedRow {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        kind: r.try_get("kind")?,
        event_id: r.try_get("event_id")?,
        grid_code: r.try_get("grid_code")?,
        category_code: r.try_get("category_code")?,
        status: r.try_get("status")?,
        lat: r.try_get("lat")?,
        lon: r.try_get("lon")?,
        description: r.try_get("description")?,
    })
}

/// The first characters of a description, for the feed (the event page has the rest).
fn gist(s: &str) -> String {
    const MAX: usize = 60;
    let mut out: String = s.chars().take(MAX).collect();
    if s.chars().count() > MAX {
        out.push('…');
    }
    out
}

fn open_values(id: i64, e: &EventRow) -> Vec<Val> {
    vec![
        Val::Int(id),
        Val::from(e.grid_code.as_str()),
        Val::from(e.category_code.as_str()),
        Val::from(e.status.as_str()),
        Val::Real(Some(e.lat)),
        Val::Real(Some(e.lon)),
        Val::Int(e.reported_at),
        Val::IntOpt(e.stage_due_at),
    ]
}

const OPEN_COLS: [&str; 8] =
    ["event_id", "grid_code", "category_code", "status", "lat", "lon", "reported_at", "stage_due_at"];

impl Store {
    /// New events (with their ids): the open ones into `event_open`, every one into the feed as `new`.
    pub(crate) async fn track_new_events(tx: &mut Transaction<'static, Any>, rows: &[(i64, &EventRow)]) -> Result<()> {
        let open: Vec<Vec<Val>> = rows
            .iter()
            .filter(|(_, e)| is_open(&e.status, e.merged_into.is_some()))
            .map(|(id, e)| open_values(*id, e))
            .collect();
        insert_batch(tx, "event_open", &OPEN_COLS, &open).await?;
        let feed: Vec<(i64, &EventRow)> = rows.to_vec();
        Self::append_feed_rows(tx, FeedKind::New, &feed).await
    }

    /// A changed event: its `event_open` row follows its state (kept, updated or removed).
    pub(crate) async fn track_saved_event(tx: &mut Transaction<'static, Any>, e: &EventRow) -> Result<()> {
        sqlx::query("DELETE FROM event_open WHERE event_id = $1").bind(e.id).execute(&mut **tx).await?;
        if is_open(&e.status, e.merged_into.is_some()) {
            insert_batch(tx, "event_open", &OPEN_COLS, &[open_values(e.id, e)]).await?;
        }
        Ok(())
    }

    /// Appends `e` to the live feed as `kind` (the overdue sweep calls this for each event it raises).
    pub async fn append_feed(tx: &mut Transaction<'static, Any>, kind: FeedKind, e: &EventRow) -> Result<()> {
        Self::append_feed_rows(tx, kind, &[(e.id, e)]).await
    }

    async fn append_feed_rows(
        tx: &mut Transaction<'static, Any>,
        kind: FeedKind,
        rows: &[(i64, &EventRow)],
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let at = now_ms();
        let values: Vec<Vec<Val>> = rows
            .iter()
            .map(|(id, e)| {
                vec![
                    Val::Int(at),
                    Val::from(kind.as_str()),
                    Val::Int(*id),
                    Val::from(e.grid_code.as_str()),
                    Val::from(e.category_code.as_str()),
                    Val::from(e.status.as_str()),
                    Val::Real(Some(e.lat)),
                    Val::Real(Some(e.lon)),
                    Val::from(gist(&e.description).as_str()),
                ]
            })
            .collect();
        insert_batch(
            tx,
            "command_feed",
            &["at", "kind", "event_id", "grid_code", "category_code", "status", "lat", "lon", "description"],
            &values,
        )
        .await?;
        // Delivered when the transaction commits (and not at all if it rolls back): every server process
        // listening on this PostgreSQL wakes and reads the new rows. SQLite's processes poll instead.
        if tx.backend_name() == "PostgreSQL" {
            sqlx::query(&format!("SELECT pg_notify('{FEED_CHANNEL}', '')")).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// A connection listening on [`FEED_CHANNEL`] (PostgreSQL only; `None` on SQLite, whose processes poll).
    pub async fn feed_listener(&self) -> Result<Option<sqlx::postgres::PgListener>> {
        if self.backend() != crate::Backend::Postgres {
            return Ok(None);
        }
        let mut l = sqlx::postgres::PgListener::connect(&self.url).await?;
        l.listen(FEED_CHANNEL).await?;
        Ok(Some(l))
    }

    /// Empties the feed (the demo loader, after writing months of events at once).
    pub async fn clear_feed(tx: &mut Transaction<'static, Any>) -> Result<()> {
        sqlx::query("DELETE FROM command_feed").execute(&mut **tx).await?;
        Ok(())
    }

    /// Feed entries after `after_id` (oldest first), in the subtree of `root` when given.
    pub async fn feed_after(&self, after_id: i64, root: Option<&str>, limit: i64) -> Result<Vec<FeedRow>> {
        let rows = match root {
            Some(root) => {
                let (lo, hi) = prefix_range(root);
                sqlx::query(&format!(
                    "SELECT {FEED_COLS} FROM command_feed WHERE id > $1 AND grid_code >= $2 AND grid_code < $3 \
                     ORDER BY id LIMIT {}",
                    limit.max(0)
                ))
                .bind(after_id)
                .bind(lo)
                .bind(hi)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {FEED_COLS} FROM command_feed WHERE id > $1 ORDER BY id LIMIT {}",
                    limit.max(0)
                ))
                .bind(after_id)
                .fetch_all(self.pool())
                .await?
            }
        };
        Ok(rows.iter().map(feed_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// The newest feed entries of the subtree, newest first.
    pub async fn feed_recent(&self, root: &str, limit: i64) -> Result<Vec<FeedRow>> {
        let (lo, hi) = prefix_range(root);
        let rows = sqlx::query(&format!(
            "SELECT {FEED_COLS} FROM command_feed WHERE grid_code >= $1 AND grid_code < $2 ORDER BY id DESC LIMIT {}",
            limit.max(0)
        ))
        .bind(lo)
        .bind(hi)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(feed_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// The highest feed id (0 when empty): where a process starts tailing.
    pub async fn feed_max_id(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM command_feed")
            .fetch_one(self.pool())
            .await?;
        Ok(n)
    }

    /// Drops feed entries older than `before_ms` (a reconnecting dashboard resumes within minutes, not weeks).
    pub async fn prune_feed(&self, before_ms: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM command_feed WHERE at < $1").bind(before_ms).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }

    /// Open and overdue events per grid of the subtree (overdue: stage deadline before `now`), with the hazards
    /// among them, in one pass over the subtree's open events.
    pub async fn open_by_grid(&self, root: &str, now: i64) -> Result<Vec<(String, OpenCount)>> {
        let (lo, hi) = prefix_range(root);
        let hazard = "category_code >= 'Z02' AND category_code < 'Z04'";
        let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT grid_code, COUNT(*), \
               CAST(COALESCE(SUM(CASE WHEN stage_due_at < $3 THEN 1 ELSE 0 END), 0) AS BIGINT), \
               CAST(COALESCE(SUM(CASE WHEN {hazard} THEN 1 ELSE 0 END), 0) AS BIGINT), \
               CAST(COALESCE(SUM(CASE WHEN {hazard} AND stage_due_at < $3 THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM event_open WHERE grid_code >= $1 AND grid_code < $2 GROUP BY grid_code"
        ))
        .bind(lo)
        .bind(hi)
        .bind(now)
        .fetch_all(self.dashboard_pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(g, open, overdue, hazards, hazards_overdue)| {
                (g, OpenCount { open, overdue, hazards, hazards_overdue })
            })
            .collect())
    }

    /// Open and overdue events of the subtree whose category starts with `prefix` (e.g. a hazard class).
    pub async fn open_count_of_class(&self, root: &str, prefix: &str, now: i64) -> Result<OpenCount> {
        let (lo, hi) = prefix_range(root);
        let (open, overdue): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN stage_due_at < $3 THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM event_open WHERE grid_code >= $1 AND grid_code < $2 AND category_code >= $4 AND category_code < $5",
        )
        .bind(lo)
        .bind(hi)
        .bind(now)
        .bind(prefix)
        .bind(format!("{prefix}~"))
        .fetch_one(self.dashboard_pool())
        .await?;
        Ok(OpenCount { open, overdue, ..Default::default() })
    }

    /// Open events of the subtree with their points, overdue first, then newest; at most `limit`. With
    /// `category_prefixes`, only those classes (the hazard layer: Z02, Z03).
    pub async fn open_points(
        &self,
        root: &str,
        now: i64,
        category_prefixes: &[&str],
        limit: i64,
    ) -> Result<Vec<OpenPoint>> {
        let (lo, hi) = prefix_range(root);
        // Category prefixes come from the code (letters and digits), never from input.
        let cats = if category_prefixes.is_empty() {
            String::new()
        } else {
            let ors: Vec<String> = category_prefixes
                .iter()
                .filter(|p| p.bytes().all(|b| b.is_ascii_alphanumeric()))
                .map(|p| format!("(category_code >= '{p}' AND category_code < '{p}~')"))
                .collect();
            format!("AND ({})", if ors.is_empty() { "1 = 0".to_string() } else { ors.join(" OR ") })
        };
        let rows = sqlx::query(&format!(
            "SELECT event_id, grid_code, category_code, status, lat, lon, reported_at, \
               CASE WHEN stage_due_at < $3 THEN 1 ELSE 0 END AS overdue \
             FROM event_open WHERE grid_code >= $1 AND grid_code < $2 {cats} \
             ORDER BY overdue DESC, event_id DESC LIMIT {}",
            limit.max(0)
        ))
        .bind(lo)
        .bind(hi)
        .bind(now)
        .fetch_all(self.dashboard_pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OpenPoint {
                    event_id: r.try_get("event_id")?,
                    grid_code: r.try_get("grid_code")?,
                    category_code: r.try_get("category_code")?,
                    status: r.try_get("status")?,
                    lat: r.try_get("lat")?,
                    lon: r.try_get("lon")?,
                    reported_at: r.try_get("reported_at")?,
                    overdue: r.try_get::<i64, _>("overdue")? != 0,
                })
            })
            .collect()
    }

    /// Reported and closed per day over the subtrees (the trend chart), days without events left out.
    pub async fn stats_per_day(&self, root: &str, from_day: &str, to_day: &str) -> Result<Vec<(String, i64, i64)>> {
        let (lo, hi) = prefix_range(root);
        Ok(sqlx::query_as(
            "SELECT day, CAST(COALESCE(SUM(reported), 0) AS BIGINT), CAST(COALESCE(SUM(closed), 0) AS BIGINT) \
             FROM event_stats_day WHERE day >= $1 AND day <= $2 AND grid_code >= $3 AND grid_code < $4 \
             GROUP BY day ORDER BY day",
        )
        .bind(from_day)
        .bind(to_day)
        .bind(lo)
        .bind(hi)
        .fetch_all(self.dashboard_pool())
        .await?)
    }

    // ---- register counts ------------------------------------------------------------------------------------

    /// Rebuilds `register_grid_counts` from the register: one aggregate per table, read outside any transaction
    /// (on SQLite a write transaction would hold the single writer for the whole count), then replaced in one
    /// short transaction.
    pub async fn refresh_register_counts(&self) -> Result<()> {
        let mut rows: Vec<(String, String, i64)> = Vec::new();
        for sql in [
            "SELECT grid_code, 'households', COUNT(*) FROM households GROUP BY grid_code",
            "SELECT grid_code, 'residents', COUNT(*) FROM people \
             WHERE residence_status = 'present' AND merged_into IS NULL GROUP BY grid_code",
            "SELECT p.grid_code, 'tag:' || t.tag, COUNT(*) FROM person_tags t JOIN people p ON p.id = t.person_id \
             WHERE p.residence_status = 'present' AND p.merged_into IS NULL GROUP BY p.grid_code, t.tag",
            "SELECT h.grid_code, 'tag:' || t.tag, COUNT(*) FROM household_tags t JOIN households h ON h.id = t.household_id \
             GROUP BY h.grid_code, t.tag",
        ] {
            rows.extend(sqlx::query_as::<_, (String, String, i64)>(sql).fetch_all(self.pool()).await?);
        }
        rows.push((String::new(), "refreshed_at".into(), now_ms()));
        let values: Vec<Vec<Val>> =
            rows.iter().map(|(g, k, n)| vec![Val::from(g.as_str()), Val::from(k.as_str()), Val::Int(*n)]).collect();
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM register_grid_counts").execute(&mut *tx).await?;
        for chunk in values.chunks(2_000) {
            insert_batch(&mut tx, "register_grid_counts", &["grid_code", "key", "n"], chunk).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// When the register counts were last rebuilt (None: never).
    pub async fn register_counts_refreshed_at(&self) -> Result<Option<i64>> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT n FROM register_grid_counts WHERE grid_code = '' AND key = 'refreshed_at'")
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|r| r.0))
    }

    /// (grid, key, count) for the grids of the subtree.
    pub async fn register_counts(&self, root: &str) -> Result<Vec<(String, String, i64)>> {
        let (lo, hi) = prefix_range(root);
        Ok(sqlx::query_as(
            "SELECT grid_code, key, n FROM register_grid_counts WHERE grid_code >= $1 AND grid_code < $2 \
             ORDER BY grid_code, key",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(self.dashboard_pool())
        .await?)
    }

    /// Houses of the subtree where people with `tag` live (present), with how many: the register layer's points
    /// for those who may see individuals. Houses without coordinates are left out; at most `limit`.
    pub async fn tag_points(&self, root: &str, tag: &str, limit: i64) -> Result<Vec<(i64, f64, f64, i64)>> {
        let (lo, hi) = prefix_range(root);
        Ok(sqlx::query_as(&format!(
            "SELECT h.id, h.lat, h.lon, COUNT(*) FROM person_tags t \
             JOIN people p ON p.id = t.person_id JOIN households hh ON hh.id = p.household_id \
             JOIN houses h ON h.id = hh.house_id \
             WHERE t.tag = $1 AND p.grid_code >= $2 AND p.grid_code < $3 AND p.residence_status = 'present' \
               AND p.merged_into IS NULL AND h.lat IS NOT NULL AND h.lon IS NOT NULL \
             GROUP BY h.id, h.lat, h.lon ORDER BY h.id LIMIT {}",
            limit.max(0)
        ))
        .bind(tag)
        .bind(lo)
        .bind(hi)
        .fetch_all(self.dashboard_pool())
        .await?)
    }

    // ---- period sums for the reports ------------------------------------------------------------------------

    /// Visits per grid of the subtree between two days (inclusive): (grid, visits, people visited, not found).
    pub async fn visits_per_grid(
        &self,
        root: &str,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<(String, i64, i64, i64)>> {
        let (lo, hi) = prefix_range(root);
        Ok(sqlx::query_as(
            "SELECT grid_code, COUNT(*), COUNT(DISTINCT person_id), \
               CAST(COALESCE(SUM(CASE WHEN found = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM visits WHERE grid_code >= $1 AND grid_code < $2 AND day >= $3 AND day <= $4 GROUP BY grid_code",
        )
        .bind(lo)
        .bind(hi)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.dashboard_pool())
        .await?)
    }

    /// Patrols per grid (the region recorded) of the subtree between two days: (grid, patrols, metres).
    pub async fn patrols_per_grid(&self, root: &str, from_day: &str, to_day: &str) -> Result<Vec<(String, i64, f64)>> {
        let (lo, hi) = prefix_range(root);
        Ok(sqlx::query_as(
            "SELECT grid_code, COUNT(*), COALESCE(SUM(distance_m), 0.0) FROM patrols \
             WHERE grid_code >= $1 AND grid_code < $2 AND day >= $3 AND day <= $4 GROUP BY grid_code",
        )
        .bind(lo)
        .bind(hi)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.dashboard_pool())
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::gist;

    #[test]
    fn feed_descriptions_are_cut_short() {
        assert_eq!(gist("路灯不亮"), "路灯不亮");
        let long = "字".repeat(80);
        assert_eq!(gist(&long).chars().count(), 61);
        assert!(gist(&long).ends_with('…'));
    }
}
