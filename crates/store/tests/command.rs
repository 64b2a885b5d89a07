//! The command centre's rollups against both backends: `event_open` follows every event write (report, state
//! change, merge) in the same transaction, the feed gets one `new` entry per report and nothing for a rolled-back
//! one, and the register counts are rebuilt from the register.

use wangge_domain::command::FeedKind;
use wangge_domain::region::{Region, RegionLevel};
use wangge_store::events::{CategoryRow, EventRow};
use wangge_store::{Store, now_ms};
use wangge_testkit::both;

async fn seed(store: &Store) {
    let mut tx = store.begin().await.unwrap();
    for (code, level, parent) in [
        ("330199", RegionLevel::District, None),
        ("330199001", RegionLevel::Street, Some("330199")),
        ("330199001001", RegionLevel::Community, Some("330199001")),
        ("33019900100101", RegionLevel::Grid, Some("330199001001")),
        ("33019900100102", RegionLevel::Grid, Some("330199001001")),
    ] {
        let r =
            Region { code: code.into(), name: format!("区域{code}"), level, parent_code: parent.map(str::to_string) };
        Store::insert_region(&mut tx, &r, None).await.unwrap();
    }
    for code in ["E0102", "Z0301"] {
        let c = CategoryRow {
            code: code.into(),
            parent_code: None,
            name: code.into(),
            name_en: code.into(),
            department_code: String::new(),
            triage: "general".into(),
            limits: "{}".into(),
            fields: "[]".into(),
            active: true,
        };
        Store::upsert_category(&mut tx, &c).await.unwrap();
    }
    tx.commit().await.unwrap();
}

fn event(grid: &str, cat: &str, status: &str, stage_due_at: Option<i64>) -> EventRow {
    EventRow {
        grid_code: grid.into(),
        category_code: cat.into(),
        description: "测试".into(),
        lat: 30.2,
        lon: 120.1,
        source: "staff".into(),
        status: status.into(),
        triage: "general".into(),
        level: "community".into(),
        attributes: "{}".into(),
        reported_at: now_ms(),
        updated_at: now_ms(),
        stage_due_at,
        ..Default::default()
    }
}

#[tokio::test]
async fn open_events_and_the_feed_follow_every_write() {
    for db in both().await {
        let store = Store::open(&db.url).await.unwrap();
        seed(&store).await;
        let now = now_ms();
        let rows = [
            event("33019900100101", "E0102", "reported", Some(now - 60_000)),
            event("33019900100101", "Z0301", "dispatched", Some(now + 3_600_000)),
            event("33019900100102", "E0102", "closed", None),
        ];
        let mut tx = store.begin().await.unwrap();
        let ids = Store::insert_events(&mut tx, &rows.iter().collect::<Vec<_>>()).await.unwrap();
        tx.commit().await.unwrap();
        let open = store.open_by_grid("330199", now).await.unwrap();
        assert_eq!(open.len(), 1, "{}: {open:?}", db.backend);
        assert_eq!((open[0].1.open, open[0].1.overdue), (2, 1), "{}", db.backend);
        let feed = store.feed_after(0, Some("330199"), 10).await.unwrap();
        assert_eq!(feed.iter().map(|f| f.event_id).collect::<Vec<_>>(), ids, "{}", db.backend);
        assert!(feed.iter().all(|f| f.kind == "new"));
        assert!(store.feed_after(0, Some("330199002"), 10).await.unwrap().is_empty(), "other street");
        let hazards = store.open_count_of_class("330199", "Z03", now).await.unwrap();
        assert_eq!((hazards.open, hazards.overdue), (1, 0));
        let points = store.open_points("330199", now, &[], 10).await.unwrap();
        assert_eq!(points.len(), 2);
        assert!(points[0].overdue, "overdue first");

        // Closing one removes it; a rolled-back report leaves no trace.
        let mut closed = rows[0].clone();
        closed.id = ids[0];
        closed.version = 1;
        closed.status = "closed".into();
        let mut tx = store.begin().await.unwrap();
        Store::save_event(&mut tx, &closed).await.unwrap();
        Store::append_feed(&mut tx, FeedKind::Overdue, &closed).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        Store::insert_events(&mut tx, &[&rows[0]]).await.unwrap();
        tx.rollback().await.unwrap();
        let open = store.open_by_grid("330199", now).await.unwrap();
        assert_eq!((open[0].1.open, open[0].1.overdue), (1, 0), "{}", db.backend);
        let after = store.feed_after(ids[2], None, 10).await.unwrap();
        assert_eq!(after.len(), 1, "{}: {after:?}", db.backend);
        assert_eq!((after[0].kind.as_str(), after[0].event_id), ("overdue", ids[0]));
        assert_eq!(store.feed_max_id().await.unwrap(), after[0].id);
        assert_eq!(store.prune_feed(now_ms() + 1).await.unwrap(), 4);
        assert_eq!(store.feed_max_id().await.unwrap(), 0);

        // Register counts: none yet, then rebuilt (an empty register still records when).
        assert_eq!(store.register_counts_refreshed_at().await.unwrap(), None);
        store.refresh_register_counts().await.unwrap();
        assert!(store.register_counts_refreshed_at().await.unwrap().is_some());
        assert!(store.register_counts("330199").await.unwrap().is_empty());
        store.close().await;
        db.cleanup().await;
    }
}
