//! The store against both real backends: every test runs on a fresh SQLite file and a fresh PostgreSQL database.

use wangge_domain::region::{Region, RegionLevel};
use wangge_domain::role::Role;
use wangge_domain::scope::Grant;
use wangge_store::audit::{AuditFilter, NewAudit};
use wangge_store::register::{NewHouse, NewHousehold, NewPerson, insert_register};
use wangge_store::{Crypto, Store, StoreError};
use wangge_testkit::{TestDb, both};

fn region(code: &str, name: &str, level: RegionLevel, parent: Option<&str>) -> Region {
    Region { code: code.into(), name: name.into(), level, parent_code: parent.map(str::to_string) }
}

async fn seed_tree(store: &Store) {
    let mut tx = store.begin().await.unwrap();
    for r in [
        region("330199", "清河区", RegionLevel::District, None),
        region("330199001", "翠苑街道", RegionLevel::Street, Some("330199")),
        region("330199002", "文新街道", RegionLevel::Street, Some("330199")),
        region("330199001001", "翠苑一社区", RegionLevel::Community, Some("330199001")),
        region("33019900100101", "一网格", RegionLevel::Grid, Some("330199001001")),
        region("33019900100102", "二网格", RegionLevel::Grid, Some("330199001001")),
    ] {
        Store::insert_region(&mut tx, &r, None).await.unwrap();
    }
    tx.commit().await.unwrap();
}

fn person(crypto: &Crypto, name: &str, id: &str, household: &str, grid: &str) -> NewPerson {
    NewPerson {
        name: name.into(),
        id_number_enc: crypto.encrypt(id),
        id_number_hash: crypto.blind_index("id_number", id),
        id_number_masked: wangge_domain::idcard::mask_id_number(id),
        gender: "female".into(),
        birth_date: "1949-12-31".into(),
        ethnicity: "汉族".into(),
        phone_enc: Some(crypto.encrypt("13912345678")),
        phone_hash: Some(crypto.blind_index("phone", "13912345678")),
        phone_masked: Some("139****5678".into()),
        population_type: "registered".into(),
        household_number: household.into(),
        relation: "户主".into(),
        grid_code: grid.into(),
        tags: vec![],
    }
}

async fn seed_register(store: &Store, crypto: &Crypto) {
    let mut tx = store.begin().await.unwrap();
    let houses = vec![NewHouse {
        code: "F330199001001010001".into(),
        building_code: String::new(),
        owner_name: "王秀英".into(),
        grid_code: "33019900100101".into(),
        address: "翠苑一区3幢2单元402室".into(),
        building: "3".into(),
        unit: "2".into(),
        room: "402".into(),
        area_m2: Some(86.5),
        usage: "self_occupied".into(),
        lon: Some(120.1),
        lat: Some(30.2),
    }];
    let households = vec![NewHousehold {
        number: "330199001001010001".into(),
        house_code: "F330199001001010001".into(),
        grid_code: "33019900100101".into(),
        registered: true,
        tags: vec![],
    }];
    let people = vec![
        person(crypto, "王秀英", "11010519491231002X", "330199001001010001", "33019900100101"),
        person(crypto, "李建国", "110105194912310038", "330199001001010001", "33019900100101"),
    ];
    insert_register(&mut tx, &[], &houses, &households, &people).await.unwrap();
    tx.commit().await.unwrap();
}

async fn each(f: impl AsyncFn(&TestDb, &Store)) {
    for db in both().await {
        let store = Store::open(&db.url).await.unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        f(&db, &store).await;
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn migrations_apply_once_and_reopen_cleanly() {
    each(async |db, store| {
        seed_tree(store).await;
        // A second open (e.g. a second server process) must not re-run or fail on the applied migrations.
        let again = Store::open(&db.url).await.unwrap();
        assert_eq!(again.region("330199").await.unwrap().unwrap().region.name, "清河区", "{}", db.backend);
        again.close().await;
    })
    .await;
}

/// A table the backup does not list would be silently missing from every backup and restore.
#[tokio::test]
async fn every_table_is_in_the_backup() {
    each(async |db, store| {
        let sql = if db.backend == "sqlite" {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        } else {
            "SELECT CAST(tablename AS TEXT) FROM pg_tables WHERE schemaname = 'public'"
        };
        let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(store.pool()).await.unwrap();
        let mut tables: Vec<String> = rows.into_iter().map(|r| r.0).filter(|t| t != "schema_migrations").collect();
        tables.sort();
        let mut listed: Vec<String> = wangge_store::BACKUP_TABLES.iter().map(|t| t.to_string()).collect();
        listed.sort();
        assert_eq!(tables, listed, "{}", db.backend);
    })
    .await;
}

/// Rate limits: an attempt counts before it is checked (so it sees itself and every parallel one), a successful
/// attempt is taken back by its token, a key can be cleared, and attempts older than an hour are swept.
#[tokio::test]
async fn rate_attempts_count_forget_and_sweep() {
    each(async |db, store| {
        let keys = ["u:admin".to_string(), "ip:10.0.0.1".to_string()];
        let since = wangge_store::now_ms() - 60_000;
        for i in 1..=3 {
            assert_eq!(store.rate_attempt(&keys, &format!("t{i}"), since).await.unwrap(), i, "{}", db.backend);
        }
        // Another user from the same address: the address has 4, the user 1.
        let other = ["u:bob".to_string(), "ip:10.0.0.1".to_string()];
        assert_eq!(store.rate_attempt(&other, "t4", since).await.unwrap(), 4);
        store.rate_forget_attempt("t4").await.unwrap();
        assert_eq!(store.rate_attempt(&other, "t5", since).await.unwrap(), 4, "t4 was taken back");
        store.rate_clear("u:admin").await.unwrap();
        assert_eq!(store.rate_attempt(&["u:admin".to_string()], "t6", since).await.unwrap(), 1, "cleared");
        // The window: attempts before `since` do not count; the sweep drops those older than an hour.
        assert_eq!(
            store.rate_attempt(&["ip:10.0.0.1".to_string()], "t7", wangge_store::now_ms() + 1).await.unwrap(),
            0
        );
        let old = wangge_store::now_ms() - wangge_store::users::RATE_KEEP_MS - 1_000;
        sqlx::query("INSERT INTO rate_events (key, at, attempt) VALUES ('ip:old', $1, 'old')")
            .bind(old)
            .execute(store.pool())
            .await
            .unwrap();
        assert_eq!(store.rate_sweep().await.unwrap(), 1, "{}", db.backend);
    })
    .await;
}

#[tokio::test]
async fn region_tree_children_subtree_and_counts() {
    each(async |db, store| {
        seed_tree(store).await;
        let kids: Vec<String> =
            store.region_children("330199").await.unwrap().into_iter().map(|r| r.region.code).collect();
        assert_eq!(kids, ["330199001", "330199002"], "{}", db.backend);
        let sub = store.region_subtree("330199001").await.unwrap();
        assert_eq!(sub.len(), 4, "{}", db.backend);
        assert!(sub.iter().all(|r| r.region.code.starts_with("330199001")));
        let crypto = Crypto::from_keys([1; 32], [2; 32]);
        seed_register(store, &crypto).await;
        let c = store.region_counts("330199").await.unwrap();
        assert_eq!((c.households, c.residents, c.grids), (1, 2, 2), "{}", db.backend);
        let per_street = store.child_counts("330199", 9).await.unwrap();
        assert_eq!(per_street.len(), 1, "only the street with grids or people appears: {}", db.backend);
        assert_eq!(per_street[0].0, "330199001");
        assert_eq!(per_street[0].1.residents, 2);
        let other = store.region_counts("330199002").await.unwrap();
        assert_eq!((other.households, other.residents, other.grids), (0, 0, 0));
    })
    .await;
}

#[tokio::test]
async fn a_like_prefix_cannot_be_widened_by_wildcards() {
    each(async |db, store| {
        seed_tree(store).await;
        assert!(store.region_subtree("3301%").await.unwrap().is_empty(), "{}", db.backend);
        assert!(store.region_subtree("330199_01").await.unwrap().is_empty(), "{}", db.backend);
    })
    .await;
}

#[tokio::test]
async fn duplicate_codes_and_usernames_are_conflicts_and_roll_back() {
    each(async |db, store| {
        seed_tree(store).await;
        let mut tx = store.begin().await.unwrap();
        Store::insert_region(&mut tx, &region("330199003", "新街道", RegionLevel::Street, Some("330199")), None)
            .await
            .unwrap();
        let e = Store::insert_region(&mut tx, &region("330199001", "重复", RegionLevel::Street, Some("330199")), None)
            .await;
        assert!(matches!(e, Err(StoreError::Conflict(_))), "{}: {e:?}", db.backend);
        drop(tx);
        // The whole transaction is gone, including the row written before the conflict.
        assert!(store.region("330199003").await.unwrap().is_none(), "{}", db.backend);

        let mut tx = store.begin().await.unwrap();
        Store::insert_user(&mut tx, "zhang", "张三", "hash").await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let e = Store::insert_user(&mut tx, "zhang", "张三", "hash").await;
        assert!(matches!(e, Err(StoreError::Conflict(_))), "{}", db.backend);
    })
    .await;
}

#[tokio::test]
async fn users_grants_and_sessions() {
    each(async |db, store| {
        seed_tree(store).await;
        let mut tx = store.begin().await.unwrap();
        let id = Store::insert_user(&mut tx, "liu", "刘芳", "h").await.unwrap();
        let g = Grant { role: Role::GridWorker, region_code: "33019900100101".into(), department_code: None };
        Store::insert_grant(&mut tx, id, &g).await.unwrap();
        let d =
            Grant { role: Role::Department, region_code: "330199".into(), department_code: Some("chengguan".into()) };
        Store::insert_grant(&mut tx, id, &d).await.unwrap();
        tx.commit().await.unwrap();
        let u = store.user_by_name("liu").await.unwrap().unwrap();
        assert_eq!(u.grants.len(), 2, "{}", db.backend);
        assert!(u.grants.contains(&d));
        let (list, total) = store.list_users(Some(Role::Department), 0, 10).await.unwrap();
        assert_eq!((list.len(), total), (1, 1), "{}", db.backend);
        let (_, total) = store.list_users(Some(Role::Mediator), 0, 10).await.unwrap();
        assert_eq!(total, 0);

        store.insert_session("live", id, "csrf", 60_000).await.unwrap();
        store.insert_session("dead", id, "csrf", -1).await.unwrap();
        assert_eq!(store.session("live").await.unwrap().unwrap().user_id, id, "{}", db.backend);
        assert!(store.session("dead").await.unwrap().is_none(), "expired sessions never authenticate");
        // Changing the password ends every session of the user.
        let mut tx = store.begin().await.unwrap();
        Store::set_password(&mut tx, id, "new").await.unwrap();
        tx.commit().await.unwrap();
        assert!(store.session("live").await.unwrap().is_none(), "{}", db.backend);
    })
    .await;
}

#[tokio::test]
async fn audit_filters_and_scope() {
    each(async |db, store| {
        let mut tx = store.begin().await.unwrap();
        for (actor, action, region) in
            [("admin", "create", Some("330199001")), ("li", "reveal", Some("330199002001")), ("admin", "login", None)]
        {
            Store::audit(&mut tx, NewAudit { actor, action, object: "x", reason: Some("因为"), region_code: region })
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let all = store.audit_list(&AuditFilter::default(), None, 10).await.unwrap();
        assert_eq!(all.1, 3, "{}", db.backend);
        assert_eq!(all.0[0].action, "login", "newest first");
        let f = AuditFilter { actor: Some("admin".into()), ..Default::default() };
        assert_eq!(store.audit_list(&f, None, 10).await.unwrap().1, 2);
        let f = AuditFilter { roots: Some(vec!["330199002".into()]), ..Default::default() };
        let scoped = store.audit_list(&f, None, 10).await.unwrap();
        assert_eq!(scoped.1, 1, "{}", db.backend);
        assert_eq!(scoped.0[0].action, "reveal");
        // A root that is not a code can never widen the filter.
        let f = AuditFilter { roots: Some(vec!["' OR 1=1 --".into()]), ..Default::default() };
        assert_eq!(store.audit_list(&f, None, 10).await.unwrap().1, 0, "{}", db.backend);
        // Paging backwards by id.
        let first = store.audit_list(&AuditFilter::default(), None, 2).await.unwrap().0;
        let rest = store.audit_list(&AuditFilter::default(), Some(first[1].id), 2).await.unwrap().0;
        assert_eq!(rest.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn personal_numbers_are_never_stored_in_clear() {
    each(async |db, store| {
        seed_tree(store).await;
        let crypto = Crypto::load_or_create(&db.data_dir()).unwrap();
        seed_register(store, &crypto).await;
        let rows: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT id_number_enc, id_number_masked, phone_enc FROM people ORDER BY id")
                .fetch_all(store.pool())
                .await
                .unwrap();
        for (enc, masked, phone) in &rows {
            assert!(!enc.contains("19491231"), "{}", db.backend);
            assert!(masked.contains("********"));
            assert!(!phone.as_deref().unwrap_or("").contains("13912345678"));
        }
        assert_eq!(crypto.decrypt(&rows[0].0).unwrap(), "11010519491231002X");
        // Exact lookup through the keyed hash.
        let hash = crypto.blind_index("id_number", "11010519491231002X");
        let (name,): (String,) = sqlx::query_as("SELECT name FROM people WHERE id_number_hash = $1")
            .bind(&hash)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(name, "王秀英");
        if db.backend == "sqlite" {
            // Check every byte of the data directory, WAL included.
            store.close().await;
            for f in wangge_testkit::files_under(&db.data_dir()) {
                let bytes = std::fs::read(&f).unwrap();
                for secret in [&b"11010519491231002X"[..], b"13912345678"] {
                    assert!(
                        !bytes.windows(secret.len()).any(|w| w == secret),
                        "{} holds a number in clear",
                        f.display()
                    );
                }
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_dump_restores_into_the_other_backend() {
    let [a, b]: [TestDb; 2] = both().await.try_into().ok().unwrap();
    for (from, to) in [(&a, &b), (&b, &a)] {
        let src = Store::open(&from.url).await.unwrap();
        if src.is_empty().await.unwrap() {
            seed_tree(&src).await;
            seed_register(&src, &Crypto::from_keys([1; 32], [2; 32])).await;
            let mut tx = src.begin().await.unwrap();
            Store::insert_user(&mut tx, "zhang", "张三", "h").await.unwrap();
            tx.commit().await.unwrap();
        }
        let dump = src.dump().await.unwrap();
        let dst_url = if to.backend == "sqlite" {
            format!("sqlite://{}?mode=rwc", to.dir.path().join("restored.db").display())
        } else {
            let fresh = wangge_testkit::postgres().await;
            let url = fresh.url.clone();
            std::mem::forget(fresh);
            url
        };
        let dst = Store::open(&dst_url).await.unwrap();
        assert!(dst.is_empty().await.unwrap());
        dst.load(&dump).await.unwrap_or_else(|e| panic!("{} → {}: {e}", from.backend, to.backend));
        assert_eq!(dst.dump().await.unwrap(), dump, "{} → {}", from.backend, to.backend);
        // Ids continue after the restored rows.
        let mut tx = dst.begin().await.unwrap();
        let id = Store::insert_user(&mut tx, "new", "新用户", "h").await.unwrap();
        tx.commit().await.unwrap();
        assert!(id > 1, "{}", to.backend);
        src.close().await;
        dst.close().await;
    }
    a.cleanup().await;
    b.cleanup().await;
}
