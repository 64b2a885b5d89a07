//! 居务公开 as stored, on a fresh SQLite file and a fresh PostgreSQL database: notices under their version and in the
//! portal's order; uploads claimed once (and then by nothing else); the ledger taking only INSERTs (one decision per
//! entry, one live reversal, the database refusing UPDATE and DELETE) and its sums; poll voters once, tallies that
//! add up, free texts in token order; a dump with all of it restored into the other backend.

use wangge_domain::region::{Region, RegionLevel};
use wangge_store::events::AttachmentRow;
use wangge_store::participation::{NewLedgerEntry, NoticeRow, PollFilter, PollRow, PortalNotices};
use wangge_store::{Store, StoreError};
use wangge_testkit::{TestDb, both};

const COMMUNITY: &str = "330199001001";

async fn each(f: impl AsyncFn(&TestDb, &Store)) {
    for db in both().await {
        let store = Store::open(&db.url).await.unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        seed(&store).await;
        f(&db, &store).await;
        store.close().await;
        db.cleanup().await;
    }
}

async fn seed(store: &Store) {
    let mut tx = store.begin().await.unwrap();
    for (code, level, parent) in [
        ("330199", RegionLevel::District, None),
        ("330199001", RegionLevel::Street, Some("330199")),
        (COMMUNITY, RegionLevel::Community, Some("330199001")),
        ("330199001002", RegionLevel::Community, Some("330199001")),
        ("33019900100101", RegionLevel::Grid, Some(COMMUNITY)),
    ] {
        let r =
            Region { code: code.into(), name: format!("区域{code}"), level, parent_code: parent.map(str::to_string) };
        Store::insert_region(&mut tx, &r, None).await.unwrap();
    }
    tx.commit().await.unwrap();
}

fn entry(direction: &str, fen: i64, day: &str) -> NewLedgerEntry {
    NewLedgerEntry {
        region_code: COMMUNITY.into(),
        direction: direction.into(),
        category: if direction == "income" { "donation" } else { "activities" }.into(),
        amount_fen: fen,
        occurred_on: day.into(),
        year: day[..4].parse().unwrap(),
        counterparty: "清河供电所".into(),
        summary: "共建".into(),
        reverses_id: None,
        reversal_key: None,
        entered_by: "a".into(),
    }
}

#[tokio::test]
async fn the_ledger_only_grows() {
    each(async |db, store| {
        let b = db.backend;
        let mut tx = store.begin().await.unwrap();
        let income = Store::insert_ledger_entry(&mut tx, &entry("income", 100_000, "2025-12-20")).await.unwrap();
        let spent = Store::insert_ledger_entry(&mut tx, &entry("expense", 30_000, "2026-03-05")).await.unwrap();
        let pending = Store::insert_ledger_entry(&mut tx, &entry("expense", 7_000, "2026-03-06")).await.unwrap();
        Store::insert_ledger_decision(&mut tx, income, "approve", "b", "").await.unwrap();
        Store::insert_ledger_decision(&mut tx, spent, "approve", "b", "").await.unwrap();
        tx.commit().await.unwrap();
        let _ = pending;

        // One decision per entry: a second is a conflict and changes nothing.
        let mut tx = store.begin().await.unwrap();
        let r = Store::insert_ledger_decision(&mut tx, spent, "reject", "c", "x").await;
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{b}: {r:?}");
        drop(tx);

        // A reversal, and a second one with the same key at once: a conflict.
        let mut rev = entry("expense", -30_000, "2026-04-01");
        rev.reverses_id = Some(spent);
        rev.reversal_key = Some(format!("{spent}:0"));
        let mut tx = store.begin().await.unwrap();
        let rid = Store::insert_ledger_entry(&mut tx, &rev).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        assert!(matches!(Store::insert_ledger_entry(&mut tx, &rev).await, Err(StoreError::Conflict(_))), "{b}");
        drop(tx);
        assert_eq!(store.ledger_entry(spent).await.unwrap().reversed_by, Some(rid), "{b}: awaiting approval counts");

        // A rejected reversal frees the entry again and counts toward the next attempt's key.
        let mut tx = store.begin().await.unwrap();
        Store::insert_ledger_decision(&mut tx, rid, "reject", "b", "写错").await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.ledger_entry(spent).await.unwrap().reversed_by, None, "{b}");
        assert_eq!(store.rejected_reversals(spent).await.unwrap(), 1, "{b}");

        // Sums count approved entries only, by year; the database refuses any change to a row.
        let sums = store.ledger_sums(Some(&[COMMUNITY.to_string()]), None).await.unwrap();
        let got: Vec<(i64, String, i64)> = sums.iter().map(|s| (s.year, s.direction.clone(), s.amount_fen)).collect();
        assert_eq!(got, vec![(2025, "income".into(), 100_000), (2026, "expense".into(), 30_000)], "{b}");
        let months = store.ledger_months(Some(&[COMMUNITY.to_string()]), 2026).await.unwrap();
        assert_eq!(months, vec![("2026-03".into(), "expense".into(), 30_000)], "{b}");
        for stmt in [
            format!("UPDATE ledger_entries SET amount_fen = 1 WHERE id = {spent}"),
            format!("DELETE FROM ledger_entries WHERE id = {pending}"),
            format!("UPDATE ledger_decisions SET decision = 'approve' WHERE entry_id = {rid}"),
            "DELETE FROM ledger_decisions".to_string(),
        ] {
            let r = sqlx::query(&stmt).execute(store.pool()).await;
            assert!(r.as_ref().is_err_and(|e| e.to_string().contains("append-only")), "{b}: {stmt}: {r:?}");
        }
        let (rows, total) = store.ledger_entries(&Default::default(), None, 10).await.unwrap();
        assert_eq!((rows.len(), total), (4, 4), "{b}");
    })
    .await;
}

fn upload(created_at: i64) -> AttachmentRow {
    AttachmentRow {
        id: 0,
        event_id: None,
        action_id: None,
        name: "凭证.pdf".into(),
        content_type: "application/pdf".into(),
        size: 10,
        sha256: "00".into(),
        path: "00/00.pdf".into(),
        thumb_path: None,
        created_at,
    }
}

#[tokio::test]
async fn an_upload_is_claimed_once_and_by_nothing_else() {
    each(async |db, store| {
        let b = db.backend;
        let mut tx = store.begin().await.unwrap();
        let a = Store::insert_attachment(&mut tx, &upload(1), "user:7").await.unwrap();
        let other = Store::insert_attachment(&mut tx, &upload(2), "user:8").await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        // Someone else's upload: not found.
        let r = Store::claim_participation_file(&mut tx, other, "user:7", "notice", 1, COMMUNITY).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{b}");
        Store::claim_participation_file(&mut tx, a, "user:7", "ledger", 5, COMMUNITY).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.participation_file(a).await.unwrap(), Some(("ledger".into(), 5, COMMUNITY.into())), "{b}");
        assert_eq!(store.participation_files("ledger", 5).await.unwrap().len(), 1, "{b}");
        // Claimed: neither another notice nor an event takes it.
        let mut tx = store.begin().await.unwrap();
        let r = Store::claim_participation_file(&mut tx, a, "user:7", "notice", 2, COMMUNITY).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{b}");
        drop(tx);
        let mut tx = store.begin().await.unwrap();
        let r = Store::claim_attachment_for_visit(&mut tx, a, 1, "user:7").await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{b}: {r:?}");
    })
    .await;
}

fn poll(region: &str, status: &str) -> PollRow {
    PollRow {
        region_code: region.into(),
        kind: "survey".into(),
        title: "调查".into(),
        questions: "[]".into(),
        status: status.into(),
        results_public: true,
        created_by: "a".into(),
        created_at: 1,
        ..Default::default()
    }
}

#[tokio::test]
async fn voters_once_tallies_add_up_texts_in_token_order() {
    each(async |db, store| {
        let b = db.backend;
        let mut tx = store.begin().await.unwrap();
        let street = Store::insert_poll(&mut tx, &poll("330199001", "open")).await.unwrap();
        let grid = Store::insert_poll(&mut tx, &poll("33019900100101", "closed")).await.unwrap();
        let elsewhere = Store::insert_poll(&mut tx, &poll("330199001002", "open")).await.unwrap();
        Store::insert_poll_voter(&mut tx, street, "k1").await.unwrap();
        Store::add_poll_tallies(&mut tx, street, COMMUNITY, "online", &[(-1, -1, 1), (0, -1, 1), (0, 2, 1)])
            .await
            .unwrap();
        Store::insert_poll_text(&mut tx, "zz", street, 1, COMMUNITY, "后来的").await.unwrap();
        Store::insert_poll_text(&mut tx, "aa", street, 1, COMMUNITY, "先排的").await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        assert!(matches!(Store::insert_poll_voter(&mut tx, street, "k1").await, Err(StoreError::Conflict(_))), "{b}");
        drop(tx);
        let mut tx = store.begin().await.unwrap();
        Store::insert_poll_voters(&mut tx, street, &["k2".into(), "k3".into()]).await.unwrap();
        Store::add_poll_tallies(&mut tx, street, COMMUNITY, "online", &[(-1, -1, 2), (0, 2, 2)]).await.unwrap();
        Store::add_poll_tallies(&mut tx, street, COMMUNITY, "paper", &[(-1, -1, 1)]).await.unwrap();
        tx.commit().await.unwrap();
        assert!(store.has_voted(street, "k3").await.unwrap() && !store.has_voted(street, "k4").await.unwrap(), "{b}");
        let mut cells: Vec<(String, i64, i64, i64)> = store
            .poll_tallies(&[street], None)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, (_, ch, q, c, n))| (ch, q, c, n))
            .collect();
        cells.sort();
        assert_eq!(
            cells,
            vec![
                ("online".into(), -1, -1, 3),
                ("online".into(), 0, -1, 1),
                ("online".into(), 0, 2, 3),
                ("paper".into(), -1, -1, 1)
            ],
            "{b}"
        );
        let texts = store.poll_texts(street, 1, 10).await.unwrap();
        assert_eq!(texts.iter().map(|t| t.1.as_str()).collect::<Vec<_>>(), ["先排的", "后来的"], "{b}");

        // A community's polls: its own subtree and the polls covering it, not its neighbour's.
        let filter = PollFilter {
            roots: Some(vec![COMMUNITY.into()]),
            covering: vec!["330199".into(), "330199001".into(), COMMUNITY.into()],
            ..Default::default()
        };
        let (rows, total) = store.polls(&filter, None, 10).await.unwrap();
        let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
        assert_eq!((ids, total), (vec![grid, street], 2), "{b}");
        assert!(!rows.iter().any(|p| p.id == elsewhere));
    })
    .await;
}

fn notice(region: &str, title: &str, pinned: bool, published_at: i64, expires_on: Option<&str>) -> NoticeRow {
    NoticeRow {
        region_code: region.into(),
        category: "residents".into(),
        title: title.into(),
        body: "内容".into(),
        status: "published".into(),
        pinned,
        expires_on: expires_on.map(str::to_string),
        attachments: "[]".into(),
        published_at: Some(published_at),
        created_by: "a".into(),
        created_at: published_at,
        ..Default::default()
    }
}

#[tokio::test]
async fn the_portal_lists_pinned_then_latest_current_notices() {
    each(async |db, store| {
        let b = db.backend;
        let mut tx = store.begin().await.unwrap();
        for n in [
            notice(COMMUNITY, "旧", false, 1, None),
            notice(COMMUNITY, "新", false, 3, None),
            notice("330199001", "街道置顶", true, 2, None),
            notice(COMMUNITY, "过期", false, 4, Some("2026-01-01")),
            notice("330199001002", "邻居", false, 5, None),
        ] {
            Store::insert_notice(&mut tx, &n).await.unwrap();
        }
        tx.commit().await.unwrap();
        let f = PortalNotices {
            regions: vec!["330199".into(), "330199001".into(), COMMUNITY.into()],
            today: "2026-06-01".into(),
            category: None,
        };
        let (rows, total) = store.portal_notices(&f, 0, 10).await.unwrap();
        let titles: Vec<&str> = rows.iter().map(|n| n.title.as_str()).collect();
        assert_eq!((titles, total), (vec!["街道置顶", "新", "旧"], 3), "{b}");
        let (rows, _) = store.portal_notices(&f, 1, 1).await.unwrap();
        assert_eq!(rows[0].title, "新", "{b}");
        // A stale version changes nothing.
        let mut n = store.notice(rows[0].id).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        n.title = "改".into();
        Store::save_notice(&mut tx, &n).await.unwrap();
        assert!(matches!(Store::save_notice(&mut tx, &n).await, Err(StoreError::Conflict(_))), "{b}");
        tx.commit().await.unwrap();
        assert_eq!(store.notice(n.id).await.unwrap().version, 2, "{b}");
    })
    .await;
}

#[tokio::test]
async fn ledger_and_polls_restore_into_the_other_backend() {
    let [a, b]: [TestDb; 2] = both().await.try_into().ok().unwrap();
    for (from, to) in [(&a, &b), (&b, &a)] {
        let src = Store::open(&from.url).await.unwrap();
        if src.is_empty().await.unwrap() {
            seed(&src).await;
            let mut tx = src.begin().await.unwrap();
            let id = Store::insert_ledger_entry(&mut tx, &entry("income", 5_000, "2026-02-01")).await.unwrap();
            Store::insert_ledger_decision(&mut tx, id, "approve", "b", "").await.unwrap();
            let p = Store::insert_poll(&mut tx, &poll(COMMUNITY, "open")).await.unwrap();
            Store::insert_poll_voter(&mut tx, p, "k").await.unwrap();
            Store::add_poll_tallies(&mut tx, p, COMMUNITY, "online", &[(-1, -1, 1)]).await.unwrap();
            Store::insert_poll_text(&mut tx, "t", p, 0, COMMUNITY, "意见").await.unwrap();
            Store::insert_notice(&mut tx, &notice(COMMUNITY, "公告", false, 1, None)).await.unwrap();
            tx.commit().await.unwrap();
        }
        let dump = src.dump().await.unwrap();
        let dst_url = if to.backend == "sqlite" {
            format!("sqlite://{}?mode=rwc", to.dir.path().join("restored-participation.db").display())
        } else {
            let fresh = wangge_testkit::postgres().await;
            let url = fresh.url.clone();
            std::mem::forget(fresh);
            url
        };
        let dst = Store::open(&dst_url).await.unwrap();
        dst.load(&dump).await.unwrap_or_else(|e| panic!("{} → {}: {e}", from.backend, to.backend));
        assert_eq!(dst.dump().await.unwrap(), dump, "{} → {}", from.backend, to.backend);
        assert_eq!(dst.ledger_sums(None, None).await.unwrap()[0].amount_fen, 5_000);
        src.close().await;
        dst.close().await;
    }
    a.cleanup().await;
    b.cleanup().await;
}
