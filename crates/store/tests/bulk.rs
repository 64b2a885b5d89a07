//! Bulk loads (crates/store/src/bulk*.rs): a load that dies after dropping its deferred indexes leaves a
//! database that the next start repairs.

use wangge_testkit::sqlite;

async fn people_indexes(s: &wangge_store::Store) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'people' AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(s.pool())
    .await
    .unwrap();
    rows.into_iter().map(|(n,)| n).collect()
}

async fn pending(s: &wangge_store::Store) -> Option<String> {
    let r: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = 'bulk.deferred_indexes'")
        .fetch_optional(s.pool())
        .await
        .unwrap();
    r.map(|(v,)| v)
}

#[tokio::test]
async fn a_crash_with_deferred_indexes_is_repaired_at_the_next_start() {
    let db = sqlite();
    let store = wangge_store::Store::open(&db.url).await.unwrap();
    let before = people_indexes(&store).await;
    assert!(before.iter().any(|n| n == "people_name"), "{before:?}");
    let dropped = store.defer_people_indexes().await.unwrap();
    assert!(dropped >= 5, "the non-unique people indexes are dropped: {dropped}");
    let during = people_indexes(&store).await;
    assert!(!during.iter().any(|n| n == "people_name"), "{during:?}");
    assert!(pending(&store).await.is_some(), "the dropped indexes are remembered");
    // The "crash": the process goes away without rebuilding.
    store.close().await;
    drop(store);

    let store = wangge_store::Store::open(&db.url).await.unwrap();
    assert_eq!(people_indexes(&store).await, before, "the next start rebuilds every index");
    assert_eq!(pending(&store).await, None);
    // Deferring again after the repair works the same way, and a rebuild without a pending load is a no-op.
    store.rebuild_deferred_indexes().await.unwrap();
    assert_eq!(people_indexes(&store).await, before);
}
