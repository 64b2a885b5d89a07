//! 治安防控 rows: the register's people with sensitive tags (重点人群) and their last contacts, safety teams with
//! their members (phones arrive and leave encrypted, hashed and masked), and what the safety map counts per grid
//! (open hazard events, recent patrols). Regions are read by code prefix like everything else.

use crate::register::{Val, insert_returning_ids};
use crate::{Result, Store, StoreError, now_ms, prefix_range};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;

/// A person of the register with one sensitive person-level tag and what that tag records.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyGroupRow {
    pub person_id: i64,
    pub name: String,
    pub gender: String,
    pub birth_date: String,
    pub grid_code: String,
    pub residence_status: String,
    pub id_number_masked: String,
    pub phone_masked: Option<String>,
    pub address: String,
    pub tag: String,
    /// The tag's data (JSON object text).
    pub data: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TeamRow {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub region_code: String,
    pub shift: String,
    pub note: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemberRow {
    pub id: i64,
    pub team_id: i64,
    pub name: String,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub role: String,
    pub phone_masked: Option<String>,
}

/// A member as written: the phone already encrypted, hashed and masked.
#[derive(Debug, Clone, Default)]
pub struct MemberWrite {
    pub name: String,
    pub user_id: Option<i64>,
    pub role: String,
    pub phone_enc: Option<String>,
    pub phone_hash: Option<String>,
    pub phone_masked: Option<String>,
}

/// An open event in a hazard class, as a point on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct HazardRow {
    pub id: i64,
    pub grid_code: String,
    pub category_code: String,
    pub status: String,
    pub lat: f64,
    pub lon: f64,
    pub reported_at: i64,
}

/// Patrols of one grid in a window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PatrolTotals {
    pub patrols: i64,
    pub ms: i64,
    pub metres: f64,
}

const TEAM_COLS: &str = "id, kind, name, region_code, shift, note, updated_at";

fn team_row(r: &AnyRow) -> std::result::Result<TeamRow, sqlx::Error> {
    Ok(TeamRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        region_code: r.try_get("region_code")?,
        shift: r.try_get("shift")?,
        note: r.try_get("note")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Event states that still need work (not closed, evaluated, rejected or voided).
const OPEN_STATES: &str = "'reported', 'accepted', 'registered', 'dispatched', 'handled', 'verified', 'suspended'";

impl Store {
    // ---- key groups -------------------------------------------------------------------------------------------

    /// Everyone in the subtree `root` living here (present or away for a while), not merged away, with a
    /// sensitive person-level tag: one row per (person, tag), ordered by person.
    pub async fn key_group_people(&self, root: &str) -> Result<Vec<KeyGroupRow>> {
        let (lo, hi) = prefix_range(root);
        let rows = sqlx::query(
            "SELECT p.id AS person_id, p.name, p.gender, p.birth_date, p.grid_code, p.residence_status, \
               p.id_number_masked, p.phone_masked, COALESCE(ho.address, '') AS address, t.tag, t.data \
             FROM person_tags t JOIN tag_kinds k ON k.code = t.tag JOIN people p ON p.id = t.person_id \
               LEFT JOIN households h ON h.id = p.household_id LEFT JOIN houses ho ON ho.id = h.house_id \
             WHERE k.sensitive <> 0 AND k.level = 'person' AND p.grid_code >= $1 AND p.grid_code < $2 \
               AND p.residence_status IN ('present', 'away') AND p.merged_into IS NULL \
             ORDER BY p.id, t.tag",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(KeyGroupRow {
                person_id: r.try_get("person_id")?,
                name: r.try_get("name")?,
                gender: r.try_get("gender")?,
                birth_date: r.try_get("birth_date")?,
                grid_code: r.try_get("grid_code")?,
                residence_status: r.try_get("residence_status")?,
                id_number_masked: r.try_get("id_number_masked")?,
                phone_masked: r.try_get("phone_masked")?,
                address: r.try_get("address")?,
                tag: r.try_get("tag")?,
                data: r.try_get("data")?,
            });
        }
        Ok(out)
    }

    /// Each person's last visit (any time), for these people.
    pub async fn last_visit_of(&self, person_ids: &[i64]) -> Result<HashMap<i64, i64>> {
        let mut out = HashMap::new();
        for chunk in person_ids.chunks(500) {
            // Ids are integers from the database, so listing them inline is safe and keeps one statement per chunk.
            let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
                "SELECT person_id, MAX(visited_at) FROM visits WHERE person_id IN ({list}) GROUP BY person_id"
            ))
            .fetch_all(self.pool())
            .await?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Present adults of one grid born on or before `born_by` (`YYYY-MM-DD`) without a sensitive tag, by id: whom
    /// the demo places under management.
    pub async fn demo_key_group_candidates(&self, grid: &str, born_by: &str, limit: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT p.id FROM people p WHERE p.grid_code = $1 AND p.birth_date <= $2 \
               AND p.residence_status = 'present' AND p.merged_into IS NULL \
               AND NOT EXISTS (SELECT 1 FROM person_tags t JOIN tag_kinds k ON k.code = t.tag \
                               WHERE t.person_id = p.id AND k.sensitive <> 0) \
             ORDER BY p.id LIMIT $3",
        )
        .bind(grid)
        .bind(born_by)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    // ---- teams ----------------------------------------------------------------------------------------------

    pub async fn insert_team(
        tx: &mut Transaction<'static, Any>,
        kind: &str,
        name: &str,
        region_code: &str,
        shift: &str,
        note: &str,
    ) -> Result<i64> {
        let now = now_ms();
        let row = vec![kind.into(), name.into(), region_code.into(), shift.into(), note.into(), now.into(), now.into()];
        let ids = insert_returning_ids(
            tx,
            "safety_teams",
            &["kind", "name", "region_code", "shift", "note", "created_at", "updated_at"],
            &[row],
        )
        .await?;
        ids.first().copied().ok_or_else(|| StoreError::Other("team insert returned no id".into()))
    }

    pub async fn insert_team_members(
        tx: &mut Transaction<'static, Any>,
        team_id: i64,
        members: &[MemberWrite],
    ) -> Result<()> {
        if members.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let rows: Vec<Vec<Val>> = members
            .iter()
            .map(|m| {
                vec![
                    Val::Int(team_id),
                    m.name.as_str().into(),
                    Val::IntOpt(m.user_id),
                    m.role.as_str().into(),
                    Val::Text(m.phone_enc.clone()),
                    Val::Text(m.phone_hash.clone()),
                    Val::Text(m.phone_masked.clone()),
                    Val::Int(now),
                ]
            })
            .collect();
        insert_returning_ids(
            tx,
            "safety_team_members",
            &["team_id", "name", "user_id", "role", "phone_enc", "phone_hash", "phone_masked", "created_at"],
            &rows,
        )
        .await?;
        Ok(())
    }

    /// Active teams whose area lies in the subtree `root` or contains it (a street's team covers its grids), of one
    /// kind when given, by area then name.
    pub async fn teams_touching(&self, root: &str, kind: Option<&str>) -> Result<Vec<TeamRow>> {
        let (lo, hi) = prefix_range(root);
        // Every shorter prefix of the root is a possible ancestor; codes are digits, so listing them inline is safe.
        let ancestors: Vec<String> = (1..root.len())
            .map(|n| &root[..n])
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
            .map(|p| format!("'{p}'"))
            .collect();
        let above =
            if ancestors.is_empty() { String::new() } else { format!(" OR region_code IN ({})", ancestors.join(",")) };
        let sql = format!(
            "SELECT {TEAM_COLS} FROM safety_teams WHERE active = 1 AND ((region_code >= $1 AND region_code < $2){above}) \
             AND ($3 = '' OR kind = $3) ORDER BY region_code, name, id"
        );
        let rows = sqlx::query(&sql).bind(lo).bind(hi).bind(kind.unwrap_or("")).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(team_row).collect::<std::result::Result<Vec<_>, _>>()?)
    }

    pub async fn team(&self, id: i64) -> Result<Option<TeamRow>> {
        let row = sqlx::query(&format!("SELECT {TEAM_COLS} FROM safety_teams WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(team_row).transpose()?)
    }

    /// Members of these teams, in the order they were added.
    pub async fn team_members(&self, team_ids: &[i64]) -> Result<Vec<MemberRow>> {
        let mut out = Vec::new();
        for chunk in team_ids.chunks(500) {
            let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let rows = sqlx::query(&format!(
                "SELECT m.id, m.team_id, m.name, m.user_id, u.username, m.role, m.phone_masked \
                 FROM safety_team_members m LEFT JOIN users u ON u.id = m.user_id \
                 WHERE m.team_id IN ({list}) ORDER BY m.team_id, m.id"
            ))
            .fetch_all(self.pool())
            .await?;
            for r in &rows {
                out.push(MemberRow {
                    id: r.try_get("id")?,
                    team_id: r.try_get("team_id")?,
                    name: r.try_get("name")?,
                    user_id: r.try_get("user_id")?,
                    username: r.try_get("username")?,
                    role: r.try_get("role")?,
                    phone_masked: r.try_get("phone_masked")?,
                });
            }
        }
        Ok(out)
    }

    // ---- the safety map -------------------------------------------------------------------------------------

    /// Open events of the subtree whose category starts with one of `prefixes` (e.g. Z02 治安, Z03 安全).
    pub async fn open_hazards(&self, root: &str, prefixes: &[&str]) -> Result<Vec<HazardRow>> {
        let (lo, hi) = prefix_range(root);
        let mut out = Vec::new();
        for prefix in prefixes {
            // Category codes are letters and digits (never LIKE's wildcards), so the prefix needs no escaping.
            let rows = sqlx::query(&format!(
                "SELECT id, grid_code, category_code, status, lat, lon, reported_at FROM events \
                 WHERE grid_code >= $1 AND grid_code < $2 AND category_code LIKE $3 \
                   AND status IN ({OPEN_STATES}) AND merged_into IS NULL ORDER BY id"
            ))
            .bind(&lo)
            .bind(&hi)
            .bind(format!("{prefix}%"))
            .fetch_all(self.pool())
            .await?;
            for r in &rows {
                out.push(HazardRow {
                    id: r.try_get("id")?,
                    grid_code: r.try_get("grid_code")?,
                    category_code: r.try_get("category_code")?,
                    status: r.try_get("status")?,
                    lat: r.try_get("lat")?,
                    lon: r.try_get("lon")?,
                    reported_at: r.try_get("reported_at")?,
                });
            }
        }
        out.sort_by_key(|h| h.id);
        Ok(out)
    }

    /// Patrols per grid (the region they were recorded on) in the subtree since `since_ms`.
    pub async fn patrol_totals(&self, root: &str, since_ms: i64) -> Result<HashMap<String, PatrolTotals>> {
        let (lo, hi) = prefix_range(root);
        let rows: Vec<(String, i64, i64, f64)> = sqlx::query_as(
            "SELECT grid_code, COUNT(*), \
               CAST(COALESCE(SUM(COALESCE(ended_at, last_point_at, started_at) - started_at), 0) AS BIGINT), \
               COALESCE(SUM(distance_m), 0.0) FROM patrols \
             WHERE grid_code >= $1 AND grid_code < $2 AND started_at >= $3 GROUP BY grid_code",
        )
        .bind(lo)
        .bind(hi)
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(g, patrols, ms, metres)| (g, PatrolTotals { patrols, ms, metres })).collect())
    }
}
