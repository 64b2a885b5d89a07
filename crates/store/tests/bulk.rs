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

fn person(name: &str, hash: &str, household: &str) -> wangge_store::register::NewPerson {
    wangge_store::register::NewPerson {
        name: name.into(),
        id_number_enc: format!("v1:{hash}"),
        id_number_hash: hash.into(),
        id_number_masked: "110101********1234".into(),
        gender: "male".into(),
        birth_date: "1980-01-01".into(),
        ethnicity: String::new(),
        phone_enc: None,
        phone_hash: None,
        phone_masked: None,
        population_type: "registered".into(),
        household_number: household.into(),
        relation: String::new(),
        grid_code: GRID.into(),
        tags: Vec::new(),
    }
}

const GRID: &str = "33019900100101";

fn batch(household: &str, people: Vec<wangge_store::register::NewPerson>) -> wangge_store::bulk_sqlite::ResidentBatch {
    use wangge_store::register::{NewHouse, NewHousehold};
    let house = format!("F{household}");
    wangge_store::bulk_sqlite::ResidentBatch {
        houses: vec![NewHouse {
            code: house.clone(),
            building_code: String::new(),
            grid_code: GRID.into(),
            address: format!("测试路{household}号"),
            building: String::new(),
            unit: String::new(),
            room: String::new(),
            area_m2: None,
            usage: "self_occupied".into(),
            owner_name: String::new(),
            lon: None,
            lat: None,
        }],
        households: vec![NewHousehold {
            number: household.into(),
            house_code: house,
            grid_code: GRID.into(),
            registered: true,
            tags: Vec::new(),
        }],
        people,
        history_kind: "registered".into(),
        note: "bulk test".into(),
        actor: "test".into(),
        audit_object: "residents".into(),
        ..Default::default()
    }
}

/// Batches share a transaction (a savepoint each): a failing batch leaves nothing of itself, the batches
/// before it are committed, and later ones go on; ids follow the batch's order although rows are written in
/// blind-index order, and each person gets their own history entry.
#[tokio::test]
async fn a_failing_batch_writes_nothing_and_keeps_the_ones_before() {
    let db = sqlite();
    let store = wangge_store::Store::open(&db.url).await.unwrap();
    for (code, level, parent) in [("330199", "district", None), (GRID, "grid", Some("330199"))] {
        sqlx::query("INSERT INTO regions (code, name, level, parent_code, created_at, updated_at) VALUES ($1, $1, $2, $3, 0, 0)")
            .bind(code)
            .bind(level)
            .bind(parent)
            .execute(store.pool())
            .await
            .unwrap();
    }
    let mut w = store.sqlite_bulk(false).unwrap().expect("a SQLite file");
    w.write_batch(&batch("H1", vec![person("甲", "ff", "H1"), person("乙", "00", "H1")])).unwrap();
    // The same blind index again: refused by the unique index, and nothing of the batch stays.
    assert!(w.write_batch(&batch("H2", vec![person("丙", "11", "H2"), person("丁", "ff", "H2")])).is_err());
    w.write_batch(&batch("H3", vec![person("戊", "22", "H3")])).unwrap();
    w.commit().unwrap();
    drop(w);
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT p.id, p.name, (SELECT COUNT(*) FROM person_history h WHERE h.person_id = p.id) FROM people p ORDER BY p.id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let names: Vec<(&str, i64)> = rows.iter().map(|(_, n, h)| (n.as_str(), *h)).collect();
    assert_eq!(names, vec![("甲", 1), ("乙", 1), ("戊", 1)], "{rows:?}");
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(ids[1], ids[0] + 1, "ids in batch order: {rows:?}");
    let count = |sql: &'static str| {
        let pool = store.pool().clone();
        async move { sqlx::query_as::<_, (i64,)>(sql).fetch_one(&pool).await.unwrap().0 }
    };
    assert_eq!(count("SELECT COUNT(*) FROM households WHERE number = 'H2'").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM houses WHERE code = 'FH2'").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM audit_log WHERE action = 'import'").await, 2);
}
