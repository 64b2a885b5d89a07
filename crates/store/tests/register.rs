//! The register's single-record reads and writes (crates/store/src/people.rs) on a fresh SQLite file and a
//! fresh PostgreSQL database: exact lookups through the blind index, scoped lists, history, tags, merges.

use wangge_domain::region::{Region, RegionLevel};
use wangge_store::people::{PeopleFilter, PersonInsert};
use wangge_store::register::{NewHouse, NewHousehold, NewPerson, TagKindRow, insert_register};
use wangge_store::{Crypto, Store, StoreError};
use wangge_testkit::both;

const GRID1: &str = "33019900100101";
const GRID2: &str = "33019900100102";

fn person(crypto: &Crypto, name: &str, id: &str, phone: &str, household: &str, grid: &str, tags: &[&str]) -> NewPerson {
    NewPerson {
        name: name.into(),
        id_number_enc: crypto.encrypt(id),
        id_number_hash: crypto.blind_index("id_number", id),
        id_number_masked: wangge_domain::idcard::mask_id_number(id),
        gender: "female".into(),
        birth_date: "1949-12-31".into(),
        ethnicity: "汉族".into(),
        phone_enc: Some(crypto.encrypt(phone)),
        phone_hash: Some(crypto.blind_index("phone", phone)),
        phone_masked: Some(wangge_domain::phone::mask_phone(phone)),
        population_type: "registered".into(),
        household_number: household.into(),
        relation: "户主".into(),
        grid_code: grid.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

fn house(code: &str, grid: &str, address: &str) -> NewHouse {
    NewHouse {
        code: code.into(),
        building_code: String::new(),
        owner_name: String::new(),
        grid_code: grid.into(),
        address: address.into(),
        building: String::new(),
        unit: String::new(),
        room: String::new(),
        area_m2: None,
        usage: "self_occupied".into(),
        lon: None,
        lat: None,
    }
}

async fn seed(store: &Store, crypto: &Crypto) {
    let mut tx = store.begin().await.unwrap();
    for (code, level, parent) in [
        ("330199", RegionLevel::District, None),
        ("330199001", RegionLevel::Street, Some("330199")),
        ("330199001001", RegionLevel::Community, Some("330199001")),
        (GRID1, RegionLevel::Grid, Some("330199001001")),
        (GRID2, RegionLevel::Grid, Some("330199001001")),
    ] {
        let r =
            Region { code: code.into(), name: format!("区域{code}"), level, parent_code: parent.map(str::to_string) };
        Store::insert_region(&mut tx, &r, None).await.unwrap();
    }
    for (i, (code, level)) in [("disabled", "person"), ("veteran", "person"), ("dibao", "household")].iter().enumerate()
    {
        let k = TagKindRow {
            code: code.to_string(),
            name: code.to_string(),
            name_en: String::new(),
            level: level.to_string(),
            sensitive: false,
            derived: false,
            fields: "[]".into(),
            visit_days: None,
            sort: i as i64,
        };
        Store::upsert_tag_kind(&mut tx, &k).await.unwrap();
    }
    let houses = [house("F1", GRID1, "翠苑一区3幢402室"), house("F2", GRID2, "翠苑二区1幢101室")];
    let households = [
        NewHousehold {
            number: "HH1".into(),
            house_code: "F1".into(),
            grid_code: GRID1.into(),
            registered: true,
            tags: vec!["dibao".into()],
        },
        NewHousehold {
            number: "HH2".into(),
            house_code: "F2".into(),
            grid_code: GRID2.into(),
            registered: true,
            tags: vec![],
        },
    ];
    let people = [
        person(crypto, "王秀英", "11010519491231002X", "13912345678", "HH1", GRID1, &["disabled"]),
        person(crypto, "李建国", "110105194912310038", "13912345678", "HH1", GRID1, &[]),
        person(crypto, "张三丰", "110105194912310011", "13800000000", "HH2", GRID2, &["veteran"]),
    ];
    insert_register(&mut tx, &[], &houses, &households, &people).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn exact_lookups_lists_history_tags_and_merges() {
    for db in both().await {
        let b = db.backend;
        let store = Store::open(&db.url).await.unwrap();
        let crypto = Crypto::from_keys([3; 32], [4; 32]);
        seed(&store, &crypto).await;

        // Exact lookups through the blind index.
        let wang =
            store.people_by_id_number_hash(&crypto.blind_index("id_number", "11010519491231002X")).await.unwrap();
        assert_eq!(wang.len(), 1, "{b}");
        let wang = wang[0];
        assert!(
            store
                .people_by_id_number_hash(&crypto.blind_index("id_number", "110105194912310046"))
                .await
                .unwrap()
                .is_empty()
        );
        let same_phone = store.people_by_phone_hash(&crypto.blind_index("phone", "13912345678")).await.unwrap();
        assert_eq!(same_phone.len(), 2, "a family shares a phone: {b}");
        // A different key gives a different index: the hash is keyed.
        let other = Crypto::from_keys([3; 32], [5; 32]);
        assert!(store.people_by_phone_hash(&other.blind_index("phone", "13912345678")).await.unwrap().is_empty());

        // Records come back masked and encrypted; the join gives house and address.
        let p = store.person(wang).await.unwrap().unwrap();
        assert_eq!(p.id_number_masked, "110105********002X");
        assert_eq!(crypto.decrypt(&p.id_number_enc).unwrap(), "11010519491231002X");
        assert_eq!(p.address.as_deref(), Some("翠苑一区3幢402室"), "{b}");
        assert_eq!(p.residence_status, "present");

        // Lists by subtree and tag (household tags reach members).
        let f = |roots: Option<Vec<&str>>, tag: Option<(&str, bool)>| PeopleFilter {
            roots: roots.map(|r| r.into_iter().map(str::to_string).collect()),
            tag: tag.map(|(t, h)| (t.to_string(), h)),
            all_statuses: false,
            born_on_or_before: None,
        };
        assert_eq!(store.list_people(&f(None, None), None, 50).await.unwrap().1, 3, "{b}");
        let (rows, total) = store.list_people(&f(Some(vec![GRID1]), None), None, 1).await.unwrap();
        assert_eq!((rows.len(), total), (1, 2), "{b}");
        let (rest, _) = store.list_people(&f(Some(vec![GRID1]), None), Some(rows[0].id), 10).await.unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(store.list_people(&f(Some(vec![]), None), None, 10).await.unwrap().1, 0, "no roots, nothing");
        assert_eq!(store.list_people(&f(Some(vec!["3301%"]), None), None, 10).await.unwrap().1, 0, "no wildcards");
        assert_eq!(store.list_people(&f(None, Some(("dibao", true))), None, 10).await.unwrap().1, 2, "{b}");
        assert_eq!(store.list_people(&f(Some(vec![GRID2]), Some(("dibao", true))), None, 10).await.unwrap().1, 0);
        assert_eq!(store.list_people(&f(None, Some(("disabled", false))), None, 10).await.unwrap().1, 1);
        let born = PeopleFilter { born_on_or_before: Some("1949-12-31".into()), ..f(None, None) };
        assert_eq!(store.list_people(&born, None, 10).await.unwrap().1, 3, "{b}");
        let born = PeopleFilter { born_on_or_before: Some("1949-12-30".into()), ..f(None, None) };
        assert_eq!(store.list_people(&born, None, 10).await.unwrap().1, 0, "{b}");
        let hh1 = store.household_by_number("HH1").await.unwrap().unwrap();
        assert_eq!(store.household_tags(hh1.id).await.unwrap(), [("dibao".to_string(), "{}".to_string())]);
        let tags = store.tags_of_people(&[wang]).await.unwrap();
        let mut codes: Vec<&str> = tags.iter().map(|t| t.1.as_str()).collect();
        codes.sort();
        assert_eq!(codes, ["dibao", "disabled"], "{b}");

        // Search fallback: names and addresses, wildcards taken literally.
        let (ids, total) = store.search_people_like(&[GRID1.into()], "王", 10, 0).await.unwrap();
        assert_eq!((ids, total), (vec![wang], 1), "{b}");
        assert_eq!(store.search_people_like(&[GRID1.into()], "翠苑一区", 10, 0).await.unwrap().1, 2);
        assert_eq!(store.search_people_like(&[GRID1.into()], "%", 10, 0).await.unwrap().1, 0);
        assert_eq!(store.search_people_like(&[GRID1.into()], "张三丰", 10, 0).await.unwrap().1, 0, "out of roots");

        // Writes: a second person with the same number is a conflict; history is kept in order.
        let mut tx = store.begin().await.unwrap();
        let hh = store.household_by_number("HH1").await.unwrap().unwrap();
        let dup = PersonInsert {
            name: "王秀英".into(),
            id_number_enc: crypto.encrypt("11010519491231002X"),
            id_number_hash: crypto.blind_index("id_number", "11010519491231002X"),
            id_number_masked: "110105********002X".into(),
            gender: "female".into(),
            birth_date: "1949-12-31".into(),
            ethnicity: "汉族".into(),
            phone_enc: None,
            phone_hash: None,
            phone_masked: None,
            population_type: "registered".into(),
            household_id: hh.id,
            relation: "户主".into(),
            grid_code: GRID1.into(),
        };
        let e = Store::insert_person_tx(&mut tx, &dup).await.unwrap_err();
        assert!(matches!(e, StoreError::Conflict(_)), "{b}: {e}");
        drop(tx);
        let mut tx = store.begin().await.unwrap();
        let dup_id = Store::insert_person_tx(
            &mut tx,
            &PersonInsert {
                id_number_hash: crypto.blind_index("id_number", "110105194912310062"),
                id_number_enc: crypto.encrypt("110105194912310062"),
                ..dup.clone()
            },
        )
        .await
        .unwrap();
        Store::add_history_tx(&mut tx, wang, "registered", "", "tester", "{}").await.unwrap();
        Store::add_history_tx(&mut tx, dup_id, "registered", "重复登记", "tester", "{}").await.unwrap();
        Store::set_tag_tx(&mut tx, false, dup_id, "veteran", r#"{"x":"1"}"#).await.unwrap();
        Store::set_tag_tx(&mut tx, false, dup_id, "disabled", r#"{"grade":"二级"}"#).await.unwrap();
        Store::update_person_tx(&mut tx, wang, &[("education", Some("大学".into()))]).await.unwrap();
        assert!(Store::update_person_tx(&mut tx, wang, &[("id_number_hash", Some("x".into()))]).await.is_err());
        tx.commit().await.unwrap();
        assert_eq!(store.person(wang).await.unwrap().unwrap().education, "大学");

        // Merge: the duplicate's history and tags join; it leaves default lists but stays.
        let mut tx = store.begin().await.unwrap();
        Store::merge_people_tx(&mut tx, wang, dup_id).await.unwrap();
        Store::add_history_tx(&mut tx, wang, "merge", "", "tester", "{}").await.unwrap();
        tx.commit().await.unwrap();
        let h: Vec<(String, String)> =
            store.person_history(wang).await.unwrap().into_iter().map(|h| (h.kind, h.note)).collect();
        assert_eq!(h.len(), 3, "{b}: {h:?}");
        assert!(h.contains(&("registered".into(), "重复登记".into())));
        assert_eq!(h.last().unwrap().0, "merge");
        assert_eq!(store.person_history(dup_id).await.unwrap().len(), 1, "the duplicate keeps its own");
        let tags = store.tags_of_people(&[wang]).await.unwrap();
        assert!(tags.iter().any(|t| t.1 == "veteran"), "{b}: {tags:?}");
        let disabled = tags.iter().find(|t| t.1 == "disabled").unwrap();
        assert_eq!(disabled.2, "{}", "the kept person's own tag data wins");
        let gone = store.person(dup_id).await.unwrap().unwrap();
        assert_eq!(gone.merged_into, Some(wang));
        assert_eq!(store.list_people(&f(Some(vec![GRID1]), None), None, 10).await.unwrap().1, 2);
        let all = PeopleFilter { all_statuses: true, ..f(Some(vec![GRID1]), None) };
        assert_eq!(store.list_people(&all, None, 10).await.unwrap().1, 3);

        // Moves and tag removal.
        let mut tx = store.begin().await.unwrap();
        Store::move_person_tx(&mut tx, wang, "moved_out", None).await.unwrap();
        assert!(Store::remove_tag_tx(&mut tx, false, wang, "veteran").await.unwrap());
        assert!(!Store::remove_tag_tx(&mut tx, false, wang, "veteran").await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(store.person(wang).await.unwrap().unwrap().residence_status, "moved_out");
        assert_eq!(store.list_people(&f(Some(vec![GRID1]), None), None, 10).await.unwrap().1, 1);

        // Households, houses, rules' counts.
        assert_eq!(store.household_members(hh.id).await.unwrap().len(), 2, "merged duplicate left out");
        let f1 = store.house_by_code("F1").await.unwrap().unwrap();
        assert_eq!(store.house_occupants(f1.id).await.unwrap(), 1, "{b}");
        assert_eq!(store.house_by_address(GRID1, "翠苑一区3幢402室").await.unwrap().unwrap().id, f1.id);
        let mut per_grid = store.households_per_grid("330199").await.unwrap();
        per_grid.sort();
        assert_eq!(per_grid, [(GRID1.to_string(), 1), (GRID2.to_string(), 1)]);

        store.close().await;
        db.cleanup().await;
    }
}
