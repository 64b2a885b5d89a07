//! People search through the app layer on the small demo, on SQLite and PostgreSQL: names, pinyin, initials,
//! addresses, scope roots, incremental refresh after writes made outside the app, and merged records.

use std::sync::Arc;
use wangge_app::{App, Config, system_actor};
use wangge_store::register::{NewPerson, insert_register};
use wangge_testkit::TestDb;

const STREET1: &str = "330199001";
const STREET2: &str = "330199002";

async fn open(db: &TestDb) -> Arc<App> {
    let app = App::open(Config::new(db.data_dir()), &db.url).await.expect("open app");
    app.load_demo(&system_actor("t"), wangge_demo::Scale::Small, 1, Some("demo-pass-123")).await.expect("load demo");
    app
}

async fn search(app: &App, roots: &[&str], q: &str) -> (Vec<i64>, i64) {
    let roots: Vec<String> = roots.iter().map(|r| r.to_string()).collect();
    app.search_person_ids(&roots, q, 1000, 0, false).await.expect("search")
}

/// A demo resident of street 1 whose name nobody else has, with their house's id and address.
async fn someone(app: &App) -> (i64, String, i64, String) {
    let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT p.id, p.name, ho.id, ho.address FROM people p JOIN households h ON h.id = p.household_id \
         JOIN houses ho ON ho.id = h.house_id WHERE p.grid_code >= $1 AND p.grid_code < $2 \
         AND (SELECT COUNT(*) FROM people q WHERE q.name = p.name) = 1 ORDER BY p.id",
    )
    .bind(STREET1)
    .bind(format!("{STREET1}:"))
    .fetch_all(app.store.pool())
    .await
    .expect("demo people");
    rows.into_iter().find(|r| r.1.chars().count() == 3).expect("a three-character name")
}

async fn scenario(db: TestDb) {
    let app = open(&db).await;
    let (id, name, house, address) = someone(&app).await;

    // The full name finds them first.
    let (ids, total) = search(&app, &[], &name).await;
    assert_eq!(ids.first(), Some(&id), "{}: {name}", db.backend);
    assert!(total >= 1);

    // Full pinyin and initials find them (initials are ambiguous, so only "among the results").
    let (full, initials) = wangge_domain::pinyin::search_keys(&name);
    let (ids, _) = search(&app, &[], &full).await;
    assert!(ids.contains(&id), "{}: pinyin {full}", db.backend);
    let (ids, _) = search(&app, &[], &initials.to_uppercase()).await;
    assert!(ids.contains(&id), "{}: initials {initials}", db.backend);
    assert!(ids.len() > 1 || ids == vec![id]);

    // An address fragment (the part after 社区) finds everyone living in that house.
    let fragment = address.split_once("社区").map(|(_, rest)| rest.to_string()).unwrap_or(address.clone());
    assert!(!fragment.is_empty());
    let residents: Vec<(i64,)> = sqlx::query_as(
        "SELECT p.id FROM people p JOIN households h ON h.id = p.household_id WHERE h.house_id = $1 ORDER BY p.id",
    )
    .bind(house)
    .fetch_all(app.store.pool())
    .await
    .expect("residents");
    let (ids, _) = search(&app, &[], &fragment).await;
    for (r,) in &residents {
        assert!(ids.contains(r), "{}: {fragment} misses resident {r}", db.backend);
    }
    // Name and address words together narrow to them.
    let (ids, _) = search(&app, &[], &format!("{name} {fragment}")).await;
    assert_eq!(ids, vec![id], "{}", db.backend);

    // Roots: their own street finds them, the other street does not, several roots are a union.
    assert_eq!(search(&app, &[STREET1], &name).await.0.first(), Some(&id));
    assert_eq!(search(&app, &[STREET2], &name).await, (vec![], 0), "{}", db.backend);
    assert_eq!(search(&app, &[STREET2, STREET1], &name).await.0.first(), Some(&id));

    // Someone registered after the index was built, by a write that did not go through the app's search,
    // is found by the next search (incremental refresh).
    let (household, grid): (String, String) =
        sqlx::query_as("SELECT number, grid_code FROM households WHERE house_id = $1 ORDER BY id LIMIT 1")
            .bind(house)
            .fetch_one(app.store.pool())
            .await
            .expect("household");
    let newcomer = "尉迟新来";
    assert_eq!(search(&app, &[], newcomer).await.1, 0);
    let mut tx = app.store.begin().await.expect("begin");
    let p = NewPerson {
        name: newcomer.into(),
        id_number_enc: app.crypto.encrypt("110101199003074514"),
        id_number_hash: app.crypto.blind_index("id_number", "110101199003074514"),
        id_number_masked: "110101********4514".into(),
        gender: "male".into(),
        birth_date: "1990-03-07".into(),
        ethnicity: "汉族".into(),
        phone_enc: None,
        phone_hash: None,
        phone_masked: None,
        population_type: "registered".into(),
        household_number: household,
        relation: "其他".into(),
        grid_code: grid,
        tags: vec![],
    };
    insert_register(&mut tx, &[], &[], &[], &[p]).await.expect("insert");
    tx.commit().await.expect("commit");
    let (ids, total) = search(&app, &[], newcomer).await;
    assert_eq!(total, 1, "{}: newcomer not found after insert", db.backend);
    let new_id = ids[0];
    // Compound surname reading: 尉迟 is yuchi.
    assert_eq!(search(&app, &[], "yuchixinlai").await.0, vec![new_id]);
    assert!(search(&app, &[], "ycxl").await.0.contains(&new_id));
    assert!(search(&app, &[], &fragment).await.0.contains(&new_id), "{}: newcomer's address", db.backend);

    // A record merged into another is no longer found.
    sqlx::query("UPDATE people SET merged_into = $1, updated_at = $2 WHERE id = $3")
        .bind(id)
        .bind(wangge_store::now_ms() + 1)
        .bind(new_id)
        .execute(app.store.pool())
        .await
        .expect("merge");
    assert_eq!(search(&app, &[], newcomer).await, (vec![], 0), "{}: merged record still found", db.backend);
    assert!(!search(&app, &[], &fragment).await.0.contains(&new_id));

    // A renamed person is found by the new name only.
    sqlx::query("UPDATE people SET name = $1, updated_at = $2 WHERE id = $3")
        .bind("单改名")
        .bind(wangge_store::now_ms() + 2)
        .bind(id)
        .execute(app.store.pool())
        .await
        .expect("rename");
    assert_eq!(search(&app, &[], "单改名").await.0, vec![id]);
    assert_eq!(search(&app, &[], "shangaiming").await.0, vec![id]);
    assert!(!search(&app, &[], &name).await.0.contains(&id));

    // A late commit: a row stamped before the index's watermark but written after it was read is still found.
    sqlx::query("UPDATE people SET updated_at = $1 WHERE id = $2")
        .bind(wangge_store::now_ms() + 3)
        .bind(id)
        .execute(app.store.pool())
        .await
        .expect("touch");
    search(&app, &[], "单改名").await;
    let (late, _): (i64, String) = sqlx::query_as("SELECT id, name FROM people WHERE id <> $1 ORDER BY id LIMIT 1")
        .bind(id)
        .fetch_one(app.store.pool())
        .await
        .expect("another person");
    sqlx::query("UPDATE people SET name = $1, updated_at = $2 WHERE id = $3")
        .bind("晚提交")
        .bind(wangge_store::now_ms() - 2_000)
        .bind(late)
        .execute(app.store.pool())
        .await
        .expect("late write");
    // Late commits are looked for at most every LATE_CHECK.
    let deadline = std::time::Instant::now() + wangge_app::search::LATE_CHECK * 3;
    while search(&app, &[], "晚提交").await.0 != vec![late] {
        assert!(std::time::Instant::now() < deadline, "{}: late commit missed", db.backend);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // A house's new address reaches its residents (house changes are checked every few seconds at most).
    sqlx::query("UPDATE houses SET address = $1, updated_at = $2 WHERE id = $3")
        .bind("清河区翠苑街道文新社区新地址苑9幢")
        .bind(wangge_store::now_ms())
        .bind(house)
        .execute(app.store.pool())
        .await
        .expect("readdress");
    let deadline = std::time::Instant::now() + wangge_app::search::HOUSE_CHECK + std::time::Duration::from_secs(2);
    loop {
        let (ids, _) = search(&app, &[], "新地址苑9幢").await;
        if ids.contains(&id) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}: new address not searchable", db.backend);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(!search(&app, &[], &fragment).await.0.contains(&id));

    // A fresh App over the same database (another server process) sees the same.
    let other = App::open(Config::new(db.data_dir()), &db.url).await.expect("reopen");
    assert_eq!(search(&other, &[], "单改名").await.0, vec![id]);
    assert_eq!(search(&other, &[], newcomer).await.1, 0);

    db.cleanup().await;
}

#[tokio::test]
async fn search_sqlite() {
    scenario(wangge_testkit::sqlite()).await;
}

#[tokio::test]
async fn search_postgres() {
    scenario(wangge_testkit::postgres().await).await;
}

/// Handlers run searches on a multi-threaded runtime: the future must be Send.
#[test]
fn search_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let db = wangge_testkit::sqlite();
        let app = App::open(Config::new(db.data_dir()), &db.url).await.expect("open");
        let fut = app.search_person_ids(&[], "x", 10, 0, false);
        assert_send(&fut);
        assert_eq!(fut.await.expect("search"), (vec![], 0));
    });
}
