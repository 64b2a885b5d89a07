//! Community life (issue #9): the public portal of one community, read without login by residents' phones — its
//! four reads (published meetings with resolutions and progress, upcoming volunteer activities with places left,
//! co-building units with this year's commitments and 共建日, party organizations and public activities) — on a
//! community holding years of records. Measured against the raw queries of the same rows in the same run.

use super::{Scenario, percentile};
use anyhow::{Context, Result};
use serde_json::json;
use std::time::Instant;
use wangge_app::{App, Config, system_actor};
use wangge_store::register::{Val, insert_batch};
use wangge_store::{Store, now_ms};

const DAY: i64 = 86_400_000;

/// Records the community holds: (published meetings, upcoming activities, co-building units, 共建日).
fn sizes(quick: bool) -> (usize, usize, usize, usize) {
    if quick { (200, 60, 20, 36) } else { (2_000, 200, 60, 120) }
}

/// Fills the community with records, each kind in one multi-row insert (the demo's own records stay too).
async fn fill(app: &App, community: &str, quick: bool) -> Result<()> {
    let (meetings, activities, units, days) = sizes(quick);
    let now = now_ms();
    let year = chrono::Datelike::year(&chrono::Utc::now()) as i64;
    let mut tx = app.store.begin().await?;
    let rows: Vec<Vec<Val>> = (0..meetings)
        .map(|i| {
            let at = now - (i as i64 + 1) * 3 * DAY;
            vec![
                community.into(),
                "council".into(),
                format!("第{i}次居民议事会").into(),
                at.into(),
                "社区议事厅".into(),
                "held".into(),
                "会议纪要".into(),
                Val::Int(at + DAY),
                "bench".into(),
                at.into(),
                at.into(),
            ]
        })
        .collect();
    insert_batch(
        &mut tx,
        "meetings",
        &[
            "region_code",
            "kind",
            "topic",
            "starts_at",
            "place",
            "status",
            "minutes",
            "published_at",
            "created_by",
            "created_at",
            "updated_at",
        ],
        &rows,
    )
    .await?;
    let ids: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM meetings WHERE created_by = 'bench' ORDER BY id").fetch_all(&mut *tx).await?;
    let rows: Vec<Vec<Val>> = ids
        .iter()
        .flat_map(|(m,)| {
            (0..3).map(move |k| {
                vec![
                    Val::Int(*m),
                    format!("决议事项{k}").into(),
                    "社区居委会".into(),
                    "2026-12-31".into(),
                    if k == 0 { "done" } else { "in_progress" }.into(),
                    now.into(),
                    now.into(),
                ]
            })
        })
        .collect();
    insert_batch(
        &mut tx,
        "meeting_resolutions",
        &["meeting_id", "content", "owner", "due_on", "status", "created_at", "updated_at"],
        &rows,
    )
    .await?;
    let rids: Vec<(i64,)> = sqlx::query_as(
        "SELECT r.id FROM meeting_resolutions r JOIN meetings m ON m.id = r.meeting_id WHERE m.created_by = 'bench'",
    )
    .fetch_all(&mut *tx)
    .await?;
    let rows: Vec<Vec<Val>> = rids
        .iter()
        .flat_map(|(r,)| {
            (0..2).map(move |k| {
                vec![Val::Int(*r), now.into(), "bench".into(), "in_progress".into(), format!("进展{k}").into()]
            })
        })
        .collect();
    insert_batch(&mut tx, "resolution_progress", &["resolution_id", "at", "actor", "status", "note"], &rows).await?;
    let rows: Vec<Vec<Val>> = (0..activities)
        .map(|i| {
            let at = now + (i as i64 + 1) * DAY;
            vec![
                community.into(),
                format!("志愿活动{i}").into(),
                "社区广场".into(),
                at.into(),
                Val::Int(at + 2 * 3_600_000),
                Val::Int(20),
                "open".into(),
                Val::Int(1),
                "bench".into(),
                now.into(),
                now.into(),
            ]
        })
        .collect();
    insert_batch(
        &mut tx,
        "volunteer_activities",
        &[
            "region_code",
            "title",
            "place",
            "starts_at",
            "ends_at",
            "capacity",
            "status",
            "public",
            "organiser",
            "created_at",
            "updated_at",
        ],
        &rows,
    )
    .await?;
    let rows: Vec<Vec<Val>> = (0..units)
        .map(|i| {
            vec![
                community.into(),
                format!("共建单位{i}").into(),
                "government".into(),
                Val::Int(1),
                now.into(),
                now.into(),
            ]
        })
        .collect();
    insert_batch(
        &mut tx,
        "co_building_units",
        &["region_code", "name", "kind", "active", "created_at", "updated_at"],
        &rows,
    )
    .await?;
    let uids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM co_building_units WHERE name LIKE '共建单位%' ORDER BY id")
        .fetch_all(&mut *tx)
        .await?;
    let rows: Vec<Vec<Val>> = uids
        .iter()
        .flat_map(|(u,)| {
            (0..4).map(move |k| {
                vec![
                    Val::Int(*u),
                    Val::Int(year),
                    "project".into(),
                    format!("承诺{k}").into(),
                    Val::Int(100),
                    Val::Int(50 * k),
                    now.into(),
                    now.into(),
                ]
            })
        })
        .collect();
    insert_batch(
        &mut tx,
        "co_building_commitments",
        &["unit_id", "year", "kind", "title", "target_x100", "done_x100", "created_at", "updated_at"],
        &rows,
    )
    .await?;
    let rows: Vec<Vec<Val>> = (0..days)
        .map(|i| {
            let on = chrono::Utc::now().date_naive() - chrono::Duration::days(30 * i as i64 + 1);
            vec![
                community.into(),
                on.format("%Y-%m-%d").to_string().into(),
                format!("共建日主题{i}").into(),
                "开展情况".into(),
                "bench".into(),
                now.into(),
            ]
        })
        .collect();
    insert_batch(
        &mut tx,
        "co_building_days",
        &["region_code", "held_on", "theme", "content", "created_by", "created_at"],
        &rows,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The rows the four reads need, fetched with plain queries: the physical limit of the portal's work.
async fn raw(store: &Store, community: &str, year: i64) -> Result<usize> {
    let pool = store.pool();
    let mut n = 0;
    let meetings: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, topic FROM meetings WHERE region_code = $1 AND published_at IS NOT NULL ORDER BY id DESC LIMIT 50",
    )
    .bind(community)
    .fetch_all(pool)
    .await?;
    let ids = meetings.iter().map(|m| m.0.to_string()).collect::<Vec<_>>().join(",");
    if !ids.is_empty() {
        let res: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT id, content FROM meeting_resolutions WHERE meeting_id IN ({ids}) ORDER BY id"
        ))
        .fetch_all(pool)
        .await?;
        let rids = res.iter().map(|r| r.0.to_string()).collect::<Vec<_>>().join(",");
        if !rids.is_empty() {
            n += sqlx::query(&format!(
                "SELECT id, note FROM resolution_progress WHERE resolution_id IN ({rids}) ORDER BY id"
            ))
            .fetch_all(pool)
            .await?
            .len();
        }
        n += res.len();
    }
    let acts: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, title FROM volunteer_activities WHERE region_code = $1 AND ends_at >= $2 AND status = 'open' \
         AND public = 1 ORDER BY starts_at, id LIMIT 50",
    )
    .bind(community)
    .bind(now_ms())
    .fetch_all(pool)
    .await?;
    let aids = acts.iter().map(|a| a.0.to_string()).collect::<Vec<_>>().join(",");
    if !aids.is_empty() {
        n += sqlx::query(&format!(
            "SELECT activity_id, COUNT(*) FROM volunteer_signups WHERE status <> 'cancelled' AND activity_id IN ({aids}) \
             GROUP BY activity_id"
        ))
        .fetch_all(pool)
        .await?
        .len();
    }
    let units: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, name FROM co_building_units WHERE region_code = $1 AND active = 1 ORDER BY name LIMIT 200",
    )
    .bind(community)
    .fetch_all(pool)
    .await?;
    let uids = units.iter().map(|u| u.0.to_string()).collect::<Vec<_>>().join(",");
    if !uids.is_empty() {
        n += sqlx::query(&format!(
            "SELECT id, unit_id, title, target_x100, done_x100 FROM co_building_commitments WHERE unit_id IN ({uids}) AND year = {year}"
        ))
        .fetch_all(pool)
        .await?
        .len();
    }
    let days: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, theme FROM co_building_days WHERE region_code = $1 ORDER BY held_on DESC, id DESC LIMIT 24",
    )
    .bind(community)
    .fetch_all(pool)
    .await?;
    let dids = days.iter().map(|d| d.0.to_string()).collect::<Vec<_>>().join(",");
    if !dids.is_empty() {
        n += sqlx::query(&format!(
            "SELECT d.day_id, u.name FROM co_building_day_units d JOIN co_building_units u ON u.id = d.unit_id WHERE d.day_id IN ({dids})"
        ))
        .fetch_all(pool)
        .await?
        .len();
    }
    let orgs: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM party_orgs WHERE region_code = $1 ORDER BY id")
        .bind(community)
        .fetch_all(pool)
        .await?;
    let oids = orgs.iter().map(|o| o.0.to_string()).collect::<Vec<_>>().join(",");
    if !oids.is_empty() {
        n += sqlx::query(&format!(
            "SELECT org_id, COUNT(*) FROM party_members WHERE active = 1 AND org_id IN ({oids}) GROUP BY org_id"
        ))
        .fetch_all(pool)
        .await?
        .len();
        n += sqlx::query(&format!(
            "SELECT id, title FROM party_activities WHERE org_id IN ({oids}) AND public = 1 AND held_at >= $1 \
             ORDER BY held_at DESC LIMIT 50"
        ))
        .bind(now_ms() - 366 * DAY)
        .fetch_all(pool)
        .await?
        .len();
    }
    Ok(n + meetings.len() + acts.len() + units.len() + days.len() + orgs.len())
}

pub async fn scenarios(quick: bool) -> Result<Vec<Scenario>> {
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let app = App::open(Config::new(dir.path().to_path_buf()), &crate::bench::database_url(dir.path()).await?).await?;
    app.ensure_reference_data().await?;
    app.load_demo(&system_actor("bench"), wangge_demo::Scale::Small, 1, Some("bench-password-1")).await?;
    let community = app
        .store
        .region_subtree("330199")
        .await?
        .into_iter()
        .find(|r| r.region.level == wangge_domain::region::RegionLevel::Community)
        .map(|r| r.region.code)
        .context("the demo has a community")?;
    fill(&app, &community, quick).await?;
    let year = chrono::Datelike::year(&chrono::Utc::now()) as i64;
    let runs = if quick { 40 } else { 300 };
    // One portal page: its four reads. The app and the raw queries take turns so load on the machine falls alike.
    let portal = async || -> Result<usize> {
        let m = app.public_meetings(&community).await?;
        let a = app.public_activities(&community).await?;
        let c = app.public_co_building(&community).await?;
        let p = app.public_party(&community).await?;
        Ok(m.items.len() + a.items.len() + c.units.len() + c.days.len() + p.organizations.len() + p.activities.len())
    };
    let shown = portal().await?;
    let raw_rows = raw(&app.store, &community, year).await?;
    let (mut app_ms, mut raw_ms) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let t = Instant::now();
        portal().await?;
        app_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        raw(&app.store, &community, year).await?;
        raw_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    app_ms.sort_by(f64::total_cmp);
    raw_ms.sort_by(f64::total_cmp);
    let (value, baseline) = (percentile(&app_ms, 95), percentile(&raw_ms, 95));
    let (meetings, activities, units, days) = sizes(quick);
    app.store.close().await;
    Ok(vec![Scenario {
        name: "life_public_portal".into(),
        value,
        unit: "ms p95".into(),
        baseline,
        ratio: baseline / value,
        params: json!({ "community_meetings": meetings, "upcoming_activities": activities, "units": units,
            "co_building_days": days, "items_shown": shown, "raw_rows": raw_rows, "runs": runs,
            "p50_ms": percentile(&app_ms, 50), "baseline_p50_ms": percentile(&raw_ms, 50), "backend": crate::bench::backend_name(),
            "baseline_what": "the same rows of the four public reads (meetings, resolutions, progress, activities, places, units, commitments, days, party) by raw sqlx" }),
    }])
}
