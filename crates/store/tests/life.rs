//! Community life's store on both backends: the time bank's totals always equal its ledger (after random credits
//! and withdrawals, many at once), sign-ups never exceed an activity's places, and an upload is claimed by one
//! record only.

use std::sync::Arc;
use wangge_domain::region::{Region, RegionLevel};
use wangge_store::events::AttachmentRow;
use wangge_store::life::volunteers::{ActivityRow, VolunteerRow};
use wangge_store::{Backend, Store, StoreError, now_ms};
use wangge_testkit::{TestDb, both};

async fn each(f: impl AsyncFn(&TestDb, Arc<Store>)) {
    for db in both().await {
        let store = Arc::new(Store::open(&db.url).await.unwrap_or_else(|e| panic!("{}: {e}", db.backend)));
        seed(&store).await;
        f(&db, store.clone()).await;
        store.close().await;
        db.cleanup().await;
    }
}

async fn seed(store: &Store) {
    let mut tx = store.begin().await.unwrap();
    for (code, level, parent) in [
        ("330199", RegionLevel::District, None),
        ("330199001", RegionLevel::Street, Some("330199")),
        ("330199001001", RegionLevel::Community, Some("330199001")),
    ] {
        let r = Region { code: code.into(), name: code.into(), level, parent_code: parent.map(str::to_string) };
        Store::insert_region(&mut tx, &r, None).await.unwrap();
    }
    tx.commit().await.unwrap();
}

async fn volunteer(store: &Store, n: i64) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let v = VolunteerRow {
        region_code: "330199001001".into(),
        name: format!("志愿者{n}"),
        skills: "[]".into(),
        status: "active".into(),
        registered_by: "t".into(),
        registered_at: now_ms(),
        ..Default::default()
    };
    let id = Store::insert_volunteer(&mut tx, &v).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// Appends one line in its own transaction; `None` when refused (nothing written).
async fn line(store: &Store, v: i64, minutes: i64) -> Option<i64> {
    let mut tx = store.begin().await.unwrap();
    let kind = if minutes > 0 { "earn" } else { "redeem" };
    let b = Store::append_ledger(&mut tx, v, kind, minutes, None, "服务", "t").await.unwrap();
    tx.commit().await.unwrap();
    b
}

/// The totals equal the ledger's sums, and each line's balance is the running sum, never below zero.
async fn check_ledger(store: &Store, v: i64, backend: &str) {
    let row = store.volunteer(v).await.unwrap().unwrap();
    let (sum, earned) = store.time_bank_sums(v).await.unwrap();
    assert_eq!(row.balance_minutes, sum, "{backend}: balance = sum of the ledger");
    assert_eq!(row.earned_minutes, earned, "{backend}: earned = sum of credits");
    let mut lines = store.ledger(v, 100_000).await.unwrap();
    lines.reverse();
    let mut running = 0;
    for l in &lines {
        running += l.minutes;
        assert!(running >= 0, "{backend}: never below zero");
        assert_eq!(l.balance_after, running, "{backend}: running balance of line {}", l.id);
    }
}

#[tokio::test]
async fn the_time_bank_balance_is_always_the_sum_of_its_lines() {
    each(async |db, store| {
        let v = volunteer(&store, 1).await;
        // A fixed-seed walk of credits and withdrawals; refused withdrawals write nothing.
        let mut seed: u64 = 42;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let mut expected = 0i64;
        for _ in 0..60 {
            let minutes = 15 * (1 + next(12) as i64);
            if next(2) == 0 {
                assert_eq!(line(&store, v, minutes).await, Some(expected + minutes));
                expected += minutes;
            } else {
                let got = line(&store, v, -minutes).await;
                if minutes <= expected {
                    expected -= minutes;
                    assert_eq!(got, Some(expected), "{}", db.backend);
                } else {
                    assert_eq!(got, None, "{}: an overdraft is refused", db.backend);
                }
            }
            check_ledger(&store, v, db.backend).await;
        }
        // Many withdrawals at once, each of 40% of the balance: at most two win, nothing overdraws.
        line(&store, v, 600).await.unwrap();
        let balance = store.volunteer(v).await.unwrap().unwrap().balance_minutes;
        let each = balance * 4 / 10;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let s = store.clone();
                tokio::spawn(async move { line(&s, v, -each).await })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            if t.await.unwrap().is_some() {
                won += 1;
            }
        }
        assert_eq!(won, 2, "{}", db.backend);
        assert_eq!(store.volunteer(v).await.unwrap().unwrap().balance_minutes, balance - 2 * each);
        check_ledger(&store, v, db.backend).await;
    })
    .await;
}

#[tokio::test]
async fn sign_ups_never_exceed_the_places() {
    each(async |db, store| {
        let mut tx = store.begin().await.unwrap();
        let a = ActivityRow {
            region_code: "330199001001".into(),
            title: "义务理发".into(),
            place: "广场".into(),
            starts_at: now_ms() + 86_400_000,
            ends_at: now_ms() + 90_000_000,
            capacity: 3,
            status: "open".into(),
            public: 1,
            organiser: "t".into(),
            created_at: now_ms(),
            ..Default::default()
        };
        let act = Store::insert_activity(&mut tx, &a).await.unwrap();
        tx.commit().await.unwrap();
        let mut vs = Vec::new();
        for n in 0..7 {
            vs.push(volunteer(&store, n).await);
        }
        let postgres = store.backend() == Backend::Postgres;
        let tasks: Vec<_> = vs
            .iter()
            .map(|v| {
                let (s, v) = (store.clone(), *v);
                tokio::spawn(async move {
                    let mut tx = s.begin().await.unwrap();
                    match Store::insert_signup(&mut tx, postgres, act, v, 3).await {
                        Ok(id) => {
                            tx.commit().await.unwrap();
                            Some(id)
                        }
                        Err(StoreError::Conflict(_)) => None,
                        Err(e) => panic!("{e}"),
                    }
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            ok += usize::from(t.await.unwrap().is_some());
        }
        assert_eq!(ok, 3, "{}", db.backend);
        assert_eq!(store.places_taken(&[act]).await.unwrap(), vec![(act, 3)], "{}", db.backend);
    })
    .await;
}

#[tokio::test]
async fn an_upload_is_claimed_by_one_record_only() {
    each(async |db, store| {
        let mut tx = store.begin().await.unwrap();
        let a = AttachmentRow {
            id: 0,
            event_id: None,
            action_id: None,
            name: "纪要.pdf".into(),
            content_type: "application/pdf".into(),
            size: 10,
            sha256: "x".into(),
            path: "ab/x.pdf".into(),
            thumb_path: None,
            created_at: now_ms(),
        };
        let id = Store::insert_attachment(&mut tx, &a, "user:1").await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let other = Store::claim_attachment_for_owner(&mut tx, id, "meeting", 7, "user:2").await;
        assert!(matches!(other, Err(StoreError::NotFound)), "{}: another uploader", db.backend);
        Store::claim_attachment_for_owner(&mut tx, id, "meeting", 7, "user:1").await.unwrap();
        let again = Store::claim_attachment_for_owner(&mut tx, id, "co_building_progress", 1, "user:1").await;
        assert!(matches!(again, Err(StoreError::NotFound)), "{}: claimed twice", db.backend);
        tx.commit().await.unwrap();
        assert_eq!(store.attachment_owner(id).await.unwrap(), Some(("meeting".to_string(), 7)));
        assert_eq!(store.owned_attachments("meeting", &[7]).await.unwrap().len(), 1);
    })
    .await;
}
