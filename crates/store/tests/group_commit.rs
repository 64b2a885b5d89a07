//! Group commit (crates/store/src/group_commit.rs): concurrent writes share transactions on SQLite, yet each
//! caller gets its own answer after commit, and a failing write fails alone with nothing of it written.

use wangge_store::group_commit::{BatchWrite, BoxFuture, Tx};
use wangge_store::register::{Val, insert_batch};
use wangge_store::{Store, StoreError};
use wangge_testkit::both;

/// Two settings rows per write: `k{n}` and then `other`. When `other` already exists the batch fails, and the
/// write's first row must not survive either.
struct TwoRows;

impl BatchWrite for TwoRows {
    type Item = (usize, String);
    type Out = usize;
    type Error = StoreError;
    fn write_all<'a>(
        &'a self,
        items: &'a [(usize, String)],
        tx: &'a mut Tx,
    ) -> BoxFuture<'a, Result<Vec<usize>, StoreError>> {
        Box::pin(async move {
            let rows: Vec<Vec<Val>> = items
                .iter()
                .flat_map(|(n, other)| [format!("k{n}"), other.clone()])
                .map(|k| vec![Val::from(k), Val::from("v")])
                .collect();
            insert_batch(tx, "settings", &["key", "value"], &rows).await?;
            Ok(items.iter().map(|(n, _)| *n).collect())
        })
    }
}

#[tokio::test]
async fn concurrent_writes_commit_together_and_a_bad_one_fails_alone() {
    for db in both().await {
        let store = Store::open(&db.url).await.unwrap();
        let batcher = std::sync::Arc::new(store.batcher(TwoRows));
        sqlx::query("INSERT INTO settings (key, value) VALUES ('taken', 'v')").execute(store.pool()).await.unwrap();
        let tasks: Vec<_> = (0..200usize)
            .map(|n| {
                let batcher = batcher.clone();
                let other = if n == 37 { "taken".to_string() } else { format!("o{n}") };
                tokio::spawn(async move { batcher.write((n, other)).await })
            })
            .collect();
        let mut ok = 0;
        for (n, t) in tasks.into_iter().enumerate() {
            match t.await.unwrap() {
                Ok(got) => {
                    assert_eq!(got, n, "{}: each caller gets its own result", db.backend);
                    ok += 1;
                }
                Err(StoreError::Conflict(m)) => assert_eq!(n, 37, "{}: only the bad write fails: {m}", db.backend),
                Err(e) => panic!("{}: write {n}: {e}", db.backend),
            }
        }
        assert_eq!(ok, 199, "{}", db.backend);
        let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM settings WHERE key LIKE 'k%' OR key LIKE 'o%'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(rows, 199 * 2, "{}: every answered write is stored, the failed one not at all", db.backend);
        let half: Option<(String,)> =
            sqlx::query_as("SELECT key FROM settings WHERE key = 'k37'").fetch_optional(store.pool()).await.unwrap();
        assert!(half.is_none(), "{}: the failed write left its first row behind", db.backend);
        if db.backend == "sqlite" {
            let b = batcher.batches();
            assert!(b > 0 && b < 200, "{}: 200 concurrent writes should share transactions, ran {b}", db.backend);
        }
        store.close().await;
        db.cleanup().await;
    }
}
