//! Field work rows: visits, patrols (track points, check-ins), 民情日志 notes, and the receipts that make a
//! phone's outbox idempotent. Regions are read by code prefix like everything else.

use crate::register::{Val, bind_rows, insert_returning_ids, positional, rows_per_statement, values_sql};
use crate::{Result, Store, StoreError, now_ms, prefix_range};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct VisitRow {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub household_id: Option<i64>,
    pub grid_code: String,
    pub user_id: i64,
    pub visited_at: i64,
    pub day: String,
    pub found: bool,
    pub situation: String,
    pub needs: String,
    pub risk: String,
    pub note: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// What a visit write sets.
#[derive(Debug, Clone)]
pub struct NewVisit<'a> {
    pub person_id: i64,
    pub household_id: Option<i64>,
    pub grid_code: &'a str,
    pub user_id: i64,
    pub visited_at: i64,
    pub day: &'a str,
    pub found: bool,
    pub situation: &'a str,
    pub needs: &'a str,
    pub risk: &'a str,
    pub note: &'a str,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

const VISIT_COLS: &str = "v.id, v.person_id, p.name AS person_name, v.household_id, v.grid_code, v.user_id, \
     v.visited_at, v.day, v.found, v.situation, v.needs, v.risk, v.note, v.lat, v.lon";

fn visit_row(r: &AnyRow) -> std::result::Result<VisitRow, sqlx::Error> {
    Ok(VisitRow {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        person_name: r.try_get("person_name")?,
        household_id: r.try_get("household_id")?,
        grid_code: r.try_get("grid_code")?,
        user_id: r.try_get("user_id")?,
        visited_at: r.try_get("visited_at")?,
        day: r.try_get("day")?,
        found: r.try_get::<i64, _>("found")? != 0,
        situation: r.try_get("situation")?,
        needs: r.try_get("needs")?,
        risk: r.try_get("risk")?,
        note: r.try_get("note")?,
        lat: r.try_get("lat")?,
        lon: r.try_get("lon")?,
    })
}

/// A person with a visiting rule (through one of their tags, or a tag of their household).
#[derive(Debug, Clone, PartialEq)]
pub struct DueCandidate {
    pub person_id: i64,
    pub name: String,
    pub gender: String,
    pub birth_date: String,
    pub household_id: Option<i64>,
    pub relation: String,
    pub grid_code: String,
    pub phone_masked: Option<String>,
    pub house_id: Option<i64>,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub tag: String,
    pub visit_days: i64,
    /// `person` or `household`: a household tag is satisfied by a visit to any member.
    pub level: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatrolRow {
    pub id: i64,
    pub user_id: i64,
    pub route_id: Option<i64>,
    pub team: String,
    pub grid_code: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub day: String,
    pub last_point_at: Option<i64>,
    pub points: i64,
    pub flagged: i64,
    pub distance_m: f64,
}

const PATROL_COLS: &str =
    "id, user_id, route_id, team, grid_code, started_at, ended_at, day, last_point_at, points, flagged, distance_m";

fn patrol_row(r: &AnyRow) -> std::result::Result<PatrolRow, sqlx::Error> {
    Ok(PatrolRow {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        route_id: r.try_get("route_id")?,
        team: r.try_get("team")?,
        grid_code: r.try_get("grid_code")?,
        started_at: r.try_get("started_at")?,
        ended_at: r.try_get("ended_at")?,
        day: r.try_get("day")?,
        last_point_at: r.try_get("last_point_at")?,
        points: r.try_get("points")?,
        flagged: r.try_get("flagged")?,
        distance_m: r.try_get("distance_m")?,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct RouteRow {
    pub id: i64,
    pub region_code: String,
    pub name: String,
    pub team: String,
    /// JSON `[{"name","lat","lon","radius_m"}]`.
    pub checkpoints: String,
}

/// One fix of a track as stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointRow {
    pub at: i64,
    pub lat: f64,
    pub lon: f64,
    pub accuracy: Option<f64>,
}

/// A grid worker's month in numbers, per user (facts for the month view).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkerMonth {
    pub visits: i64,
    pub people_visited: i64,
    pub patrols: i64,
    pub patrol_ms: i64,
    pub patrol_m: f64,
    pub log_days: i64,
}

fn range_args(root: &str) -> (String, String) {
    prefix_range(root)
}

impl Store {
    // ---- receipts -------------------------------------------------------------------------------------------

    /// What an outbox item (user, key) produced before, if it was stored.
    pub async fn field_receipt(&self, user_id: i64, key: &str) -> Result<Option<(String, i64)>> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT kind, object_id FROM field_receipts WHERE user_id = $1 AND key = $2")
                .bind(user_id)
                .bind(key)
                .fetch_optional(self.pool())
                .await?;
        Ok(row)
    }

    /// Records, inside the item's own transaction, what it produced; a second write of the same key conflicts.
    pub async fn insert_field_receipt(
        tx: &mut Transaction<'static, Any>,
        user_id: i64,
        key: &str,
        kind: &str,
        object_id: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO field_receipts (user_id, key, kind, object_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user_id)
        .bind(key)
        .bind(kind)
        .bind(object_id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::from_db(e, "field receipt"))?;
        Ok(())
    }

    /// The key of the outbox item that created `object_id` as `kind` (a patrol's start key, for a phone that lost
    /// its own copy).
    pub async fn field_receipt_key(&self, user_id: i64, kind: &str, object_id: i64) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT key FROM field_receipts WHERE user_id = $1 AND kind = $2 AND object_id = $3 ORDER BY created_at LIMIT 1",
        )
        .bind(user_id)
        .bind(kind)
        .bind(object_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.0))
    }

    /// The event a phone reported with this external id (`m:<user>:<key>`).
    pub async fn event_by_field_key(&self, external_id: &str) -> Result<Option<i64>> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM events WHERE external_id = $1 AND external_id LIKE 'm:%'")
                .bind(external_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|r| r.0))
    }

    // ---- visits ---------------------------------------------------------------------------------------------

    pub async fn insert_visit(tx: &mut Transaction<'static, Any>, v: &NewVisit<'_>) -> Result<i64> {
        let ids = Store::insert_visits(tx, std::slice::from_ref(v)).await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("visit insert returned no id".into()))
    }

    /// Inserts visits with multi-row statements; ids in the visits' order.
    pub async fn insert_visits(tx: &mut Transaction<'static, Any>, visits: &[NewVisit<'_>]) -> Result<Vec<i64>> {
        let cols = [
            "person_id",
            "household_id",
            "grid_code",
            "user_id",
            "visited_at",
            "day",
            "recorded_at",
            "found",
            "situation",
            "needs",
            "risk",
            "note",
            "lat",
            "lon",
        ];
        let now = now_ms();
        let rows: Vec<Vec<Val>> = visits
            .iter()
            .map(|v| {
                vec![
                    Val::Int(v.person_id),
                    Val::IntOpt(v.household_id),
                    v.grid_code.into(),
                    Val::Int(v.user_id),
                    Val::Int(v.visited_at),
                    v.day.into(),
                    Val::Int(now),
                    Val::Int(v.found as i64),
                    v.situation.into(),
                    v.needs.into(),
                    v.risk.into(),
                    v.note.into(),
                    Val::Real(v.lat),
                    Val::Real(v.lon),
                ]
            })
            .collect();
        insert_returning_ids(tx, "visits", &cols, &rows).await
    }

    pub async fn visit(&self, id: i64) -> Result<VisitRow> {
        let sql = format!("SELECT {VISIT_COLS} FROM visits v JOIN people p ON p.id = v.person_id WHERE v.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?.ok_or(StoreError::NotFound)?;
        Ok(visit_row(&row)?)
    }

    /// A person's visits, newest first.
    pub async fn visits_of_person(&self, person_id: i64, limit: i64) -> Result<Vec<VisitRow>> {
        let sql = format!(
            "SELECT {VISIT_COLS} FROM visits v JOIN people p ON p.id = v.person_id WHERE v.person_id = $1 \
             ORDER BY v.visited_at DESC, v.id DESC LIMIT $2"
        );
        let rows = sqlx::query(&sql).bind(person_id).bind(limit).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(visit_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// A user's visits on a day (China time), in the order they were made.
    pub async fn visits_of_user_day(&self, user_id: i64, day: &str) -> Result<Vec<VisitRow>> {
        let sql = format!(
            "SELECT {VISIT_COLS} FROM visits v JOIN people p ON p.id = v.person_id \
             WHERE v.user_id = $1 AND v.day = $2 ORDER BY v.visited_at, v.id"
        );
        let rows = sqlx::query(&sql).bind(user_id).bind(day).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(visit_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// Everyone in the subtree `root` who has a visiting rule, present (在住) and not merged away: one row per
    /// (person, rule tag). Household tags list every present member; the caller picks who stands for the household.
    pub async fn due_candidates(&self, root: &str) -> Result<Vec<DueCandidate>> {
        let (lo, hi) = range_args(root);
        let person_cols = "p.id AS person_id, p.name, p.gender, p.birth_date, p.household_id, p.relation, \
             p.grid_code, p.phone_masked, hs.id AS house_id, COALESCE(hs.address, '') AS address, hs.lat, hs.lon, \
             k.code AS tag, k.visit_days";
        let sql = format!(
            "SELECT {person_cols}, 'person' AS level FROM person_tags t \
               JOIN tag_kinds k ON k.code = t.tag JOIN people p ON p.id = t.person_id \
               LEFT JOIN households hh ON hh.id = p.household_id LEFT JOIN houses hs ON hs.id = hh.house_id \
             WHERE k.visit_days IS NOT NULL AND p.grid_code >= $1 AND p.grid_code < $2 \
               AND p.residence_status = 'present' AND p.merged_into IS NULL \
             UNION ALL \
             SELECT {person_cols}, 'household' AS level FROM household_tags t \
               JOIN tag_kinds k ON k.code = t.tag JOIN households hh ON hh.id = t.household_id \
               JOIN people p ON p.household_id = hh.id LEFT JOIN houses hs ON hs.id = hh.house_id \
             WHERE k.visit_days IS NOT NULL AND hh.grid_code >= $1 AND hh.grid_code < $2 \
               AND p.residence_status = 'present' AND p.merged_into IS NULL"
        );
        let rows = sqlx::query(&sql).bind(lo).bind(hi).fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(DueCandidate {
                person_id: r.try_get("person_id")?,
                name: r.try_get("name")?,
                gender: r.try_get("gender")?,
                birth_date: r.try_get("birth_date")?,
                household_id: r.try_get("household_id")?,
                relation: r.try_get("relation")?,
                grid_code: r.try_get("grid_code")?,
                phone_masked: r.try_get("phone_masked")?,
                house_id: r.try_get("house_id")?,
                address: r.try_get("address")?,
                lat: r.try_get("lat")?,
                lon: r.try_get("lon")?,
                tag: r.try_get("tag")?,
                visit_days: r.try_get("visit_days")?,
                level: r.try_get("level")?,
            });
        }
        Ok(out)
    }

    /// The last visit time of each person and of each household (a visit to any member counts for it), for
    /// visits in the subtree `root` since `since`.
    pub async fn last_visits(&self, root: &str, since: i64) -> Result<(HashMap<i64, i64>, HashMap<i64, i64>)> {
        self.last_visits_before(root, since, i64::MAX).await
    }

    /// As [`Store::last_visits`], counting only visits before `before` (who was due when a period began).
    pub async fn last_visits_before(
        &self,
        root: &str,
        since: i64,
        before: i64,
    ) -> Result<(HashMap<i64, i64>, HashMap<i64, i64>)> {
        let (lo, hi) = range_args(root);
        let rows: Vec<(i64, Option<i64>, i64)> = sqlx::query_as(
            "SELECT person_id, household_id, MAX(visited_at) FROM visits \
             WHERE grid_code >= $1 AND grid_code < $2 AND visited_at >= $3 AND visited_at < $4 \
             GROUP BY person_id, household_id",
        )
        .bind(lo)
        .bind(hi)
        .bind(since)
        .bind(before)
        .fetch_all(self.pool())
        .await?;
        let (mut people, mut households) = (HashMap::new(), HashMap::new());
        for (p, h, at) in rows {
            let e = people.entry(p).or_insert(at);
            *e = (*e).max(at);
            if let Some(h) = h {
                let e = households.entry(h).or_insert(at);
                *e = (*e).max(at);
            }
        }
        Ok((people, households))
    }

    /// Register history of these people since `since` (newest first), for "what changed since the last visit".
    pub async fn history_since(&self, person_ids: &[i64], since: i64) -> Result<Vec<(i64, i64, String, String)>> {
        let mut out = Vec::new();
        for chunk in person_ids.chunks(500) {
            let list = chunk.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
            let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(&format!(
                "SELECT person_id, at, kind, note FROM person_history WHERE person_id IN ({list}) AND at >= $1 \
                 ORDER BY at DESC"
            ))
            .bind(since)
            .fetch_all(self.pool())
            .await?;
            out.extend(rows);
        }
        Ok(out)
    }

    // ---- patrols --------------------------------------------------------------------------------------------

    pub async fn patrol_routes(&self, roots: &[String]) -> Result<Vec<RouteRow>> {
        let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT id, region_code, name, team, checkpoints FROM patrol_routes WHERE active = 1 ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        // A route serves its region's subtree and is offered to anyone working inside it or above it.
        Ok(rows
            .into_iter()
            .filter(|r| roots.iter().any(|root| root.starts_with(&r.1) || r.1.starts_with(root.as_str())))
            .map(|(id, region_code, name, team, checkpoints)| RouteRow { id, region_code, name, team, checkpoints })
            .collect())
    }

    pub async fn patrol_route(&self, id: i64) -> Result<RouteRow> {
        let (id, region_code, name, team, checkpoints): (i64, String, String, String, String) = sqlx::query_as(
            "SELECT id, region_code, name, team, checkpoints FROM patrol_routes WHERE id = $1 AND active = 1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(RouteRow { id, region_code, name, team, checkpoints })
    }

    pub async fn insert_patrol_route(
        tx: &mut Transaction<'static, Any>,
        region_code: &str,
        name: &str,
        team: &str,
        checkpoints: &str,
    ) -> Result<i64> {
        let row = vec![
            Val::Text(Some(region_code.into())),
            Val::Text(Some(name.into())),
            Val::Text(Some(team.into())),
            Val::Text(Some(checkpoints.into())),
            Val::Int(now_ms()),
        ];
        let ids = insert_returning_ids(
            tx,
            "patrol_routes",
            &["region_code", "name", "team", "checkpoints", "updated_at"],
            &[row],
        )
        .await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("route insert returned no id".into()))
    }

    pub async fn insert_patrol(
        tx: &mut Transaction<'static, Any>,
        user_id: i64,
        route_id: Option<i64>,
        team: &str,
        grid_code: &str,
        started_at: i64,
        day: &str,
    ) -> Result<i64> {
        let row = vec![
            Val::Int(user_id),
            Val::IntOpt(route_id),
            Val::Text(Some(team.into())),
            Val::Text(Some(grid_code.into())),
            Val::Int(started_at),
            Val::Text(Some(day.into())),
        ];
        let ids = insert_returning_ids(
            tx,
            "patrols",
            &["user_id", "route_id", "team", "grid_code", "started_at", "day"],
            &[row],
        )
        .await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("patrol insert returned no id".into()))
    }

    pub async fn patrol(&self, id: i64) -> Result<PatrolRow> {
        let row = sqlx::query(&format!("SELECT {PATROL_COLS} FROM patrols WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(patrol_row(&row)?)
    }

    /// The user's patrol still going (not ended), if any.
    pub async fn open_patrol(&self, user_id: i64) -> Result<Option<PatrolRow>> {
        let row = sqlx::query(&format!(
            "SELECT {PATROL_COLS} FROM patrols WHERE user_id = $1 AND ended_at IS NULL ORDER BY id DESC LIMIT 1"
        ))
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(patrol_row).transpose()?)
    }

    pub async fn patrols_of_user_day(&self, user_id: i64, day: &str) -> Result<Vec<PatrolRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {PATROL_COLS} FROM patrols WHERE user_id = $1 AND day = $2 ORDER BY started_at, id"
        ))
        .bind(user_id)
        .bind(day)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(patrol_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// Adds track points; a point already stored (same time) is skipped. Returns how many were new.
    pub async fn insert_track_points(
        tx: &mut Transaction<'static, Any>,
        patrol_id: i64,
        points: &[PointRow],
    ) -> Result<u64> {
        let cols = ["patrol_id", "at", "lat", "lon", "accuracy"];
        let rows: Vec<Vec<Val>> = points
            .iter()
            .map(|p| {
                vec![
                    Val::Int(patrol_id),
                    Val::Int(p.at),
                    Val::Real(Some(p.lat)),
                    Val::Real(Some(p.lon)),
                    Val::Real(p.accuracy),
                ]
            })
            .collect();
        let positional = positional(tx);
        let mut added = 0;
        for chunk in rows.chunks(rows_per_statement(&cols)) {
            let sql =
                values_sql("patrol_points", &cols, chunk, positional)? + " ON CONFLICT (patrol_id, at) DO NOTHING";
            added += bind_rows(sqlx::query(&sql), chunk)
                .execute(&mut **tx)
                .await
                .map_err(|e| StoreError::from_db(e, "patrol_points"))?
                .rows_affected();
        }
        Ok(added)
    }

    /// The patrol's point count as its last track write left it (`patrols.points`, which every track write sets
    /// to the number of stored points in the same transaction).
    pub async fn patrol_point_count(tx: &mut Transaction<'static, Any>, patrol_id: i64) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT points FROM patrols WHERE id = $1")
            .bind(patrol_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(n)
    }

    pub async fn track_points(tx: &mut Transaction<'static, Any>, patrol_id: i64) -> Result<Vec<PointRow>> {
        let rows: Vec<(i64, f64, f64, Option<f64>)> =
            sqlx::query_as("SELECT at, lat, lon, accuracy FROM patrol_points WHERE patrol_id = $1 ORDER BY at")
                .bind(patrol_id)
                .fetch_all(&mut **tx)
                .await?;
        Ok(rows.into_iter().map(|(at, lat, lon, accuracy)| PointRow { at, lat, lon, accuracy }).collect())
    }

    /// The patrol's track summary after new points (or its end).
    pub async fn update_patrol_track(
        tx: &mut Transaction<'static, Any>,
        id: i64,
        points: i64,
        flagged: i64,
        distance_m: f64,
        last_point_at: Option<i64>,
    ) -> Result<()> {
        sqlx::query("UPDATE patrols SET points = $1, flagged = $2, distance_m = $3, last_point_at = $4 WHERE id = $5")
            .bind(points)
            .bind(flagged)
            .bind(distance_m)
            .bind(last_point_at)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn end_patrol(tx: &mut Transaction<'static, Any>, id: i64, ended_at: i64) -> Result<()> {
        sqlx::query("UPDATE patrols SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
            .bind(ended_at)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn insert_checkin(
        tx: &mut Transaction<'static, Any>,
        patrol_id: i64,
        point: &str,
        at: i64,
        lat: f64,
        lon: f64,
        distance_m: f64,
    ) -> Result<i64> {
        let row = vec![
            Val::Int(patrol_id),
            Val::Text(Some(point.into())),
            Val::Int(at),
            Val::Real(Some(lat)),
            Val::Real(Some(lon)),
            Val::Real(Some(distance_m)),
        ];
        let ids = insert_returning_ids(
            tx,
            "patrol_checkins",
            &["patrol_id", "point", "at", "lat", "lon", "distance_m"],
            &[row],
        )
        .await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("check-in insert returned no id".into()))
    }

    /// Check-ins of a patrol: (point, at, distance_m).
    pub async fn checkins(&self, patrol_id: i64) -> Result<Vec<(String, i64, f64)>> {
        Ok(sqlx::query_as("SELECT point, at, distance_m FROM patrol_checkins WHERE patrol_id = $1 ORDER BY at")
            .bind(patrol_id)
            .fetch_all(self.pool())
            .await?)
    }

    // ---- 民情日志 --------------------------------------------------------------------------------------------

    pub async fn put_field_log(tx: &mut Transaction<'static, Any>, user_id: i64, day: &str, note: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO field_logs (user_id, day, note, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, day) DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(day)
        .bind(note)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn field_log(&self, user_id: i64, day: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT note FROM field_logs WHERE user_id = $1 AND day = $2")
            .bind(user_id)
            .bind(day)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// Events a user reported between two instants: (id, category, status, description, reported_at).
    pub async fn events_reported_by(
        &self,
        user_id: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, String, String, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT id, category_code, status, description, reported_at FROM events \
             WHERE reporter_user_id = $1 AND reported_at >= $2 AND reported_at < $3 ORDER BY reported_at, id",
        )
        .bind(user_id)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?)
    }

    // ---- the month of each worker ----------------------------------------------------------------------------

    /// Grid workers (users with a `grid_worker` grant in the subtree): (user id, username, display name, grid).
    pub async fn grid_workers(&self, root: &str) -> Result<Vec<(i64, String, String, String)>> {
        let (lo, hi) = range_args(root);
        Ok(sqlx::query_as(
            "SELECT u.id, u.username, u.display_name, g.region_code FROM user_grants g JOIN users u ON u.id = g.user_id \
             WHERE g.role = 'grid_worker' AND g.region_code >= $1 AND g.region_code < $2 AND u.disabled = 0 \
             ORDER BY g.region_code, u.id",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(self.pool())
        .await?)
    }

    /// Visits, patrols and logged days per user in `[from_day, to_day)` within the subtree.
    pub async fn worker_months(&self, root: &str, from_day: &str, to_day: &str) -> Result<HashMap<i64, WorkerMonth>> {
        let (lo, hi) = range_args(root);
        let mut out: HashMap<i64, WorkerMonth> = HashMap::new();
        let visits: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT user_id, COUNT(*), COUNT(DISTINCT person_id) FROM visits \
             WHERE grid_code >= $1 AND grid_code < $2 AND day >= $3 AND day < $4 GROUP BY user_id",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.pool())
        .await?;
        for (u, n, people) in visits {
            let m = out.entry(u).or_default();
            m.visits = n;
            m.people_visited = people;
        }
        let patrols: Vec<(i64, i64, i64, f64)> = sqlx::query_as(
            "SELECT user_id, COUNT(*), CAST(COALESCE(SUM(COALESCE(ended_at, last_point_at, started_at) - started_at), 0) AS BIGINT), \
             COALESCE(SUM(distance_m), 0.0) FROM patrols \
             WHERE grid_code >= $1 AND grid_code < $2 AND day >= $3 AND day < $4 GROUP BY user_id",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.pool())
        .await?;
        for (u, n, ms, m_) in patrols {
            let m = out.entry(u).or_default();
            m.patrols = n;
            m.patrol_ms = ms;
            m.patrol_m = m_;
        }
        let logs: Vec<(i64, i64)> =
            sqlx::query_as("SELECT user_id, COUNT(*) FROM field_logs WHERE day >= $1 AND day < $2 GROUP BY user_id")
                .bind(from_day)
                .bind(to_day)
                .fetch_all(self.pool())
                .await?;
        for (u, n) in logs {
            if let Some(m) = out.get_mut(&u) {
                m.log_days = n;
            } else {
                out.insert(u, WorkerMonth { log_days: n, ..Default::default() });
            }
        }
        Ok(out)
    }

    /// People of the subtree visited (by anyone) in `[from_day, to_day)`.
    pub async fn people_visited(&self, root: &str, from_day: &str, to_day: &str) -> Result<Vec<(i64, Option<i64>)>> {
        let (lo, hi) = range_args(root);
        Ok(sqlx::query_as(
            "SELECT DISTINCT person_id, household_id FROM visits \
             WHERE grid_code >= $1 AND grid_code < $2 AND day >= $3 AND day < $4",
        )
        .bind(lo)
        .bind(hi)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.pool())
        .await?)
    }

    /// Events reported per user in a month (from the person rollups).
    pub async fn reported_in_month(&self, root: &str, month: &str) -> Result<HashMap<i64, i64>> {
        let (lo, hi) = range_args(root);
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT user_id, CAST(COALESCE(SUM(reported), 0) AS BIGINT) FROM event_stats_person \
             WHERE month = $1 AND grid_code >= $2 AND grid_code < $3 GROUP BY user_id",
        )
        .bind(month)
        .bind(lo)
        .bind(hi)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().collect())
    }
}
