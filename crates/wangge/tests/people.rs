//! The population and housing register over HTTP (DESIGN.md §4 people API): masked lists and records, exact
//! lookups by 身份证号 and phone, reveal with a reason, sensitive tags, registration and events, tags, merges,
//! grid/community rules — on both backends, with scope and bad input.

mod common;

use common::*;
use serde_json::{Value, json};
use wangge_testkit::TestDb;

/// A valid 18-digit 身份证号 (Beijing Haidian, born 1987-07-13) with sequence `seq`.
fn id_number(seq: u32) -> String {
    let first17 = format!("11010819870713{seq:03}");
    let check = wangge_domain::idcard::check_digit(&first17).unwrap();
    format!("{first17}{check}")
}

/// `total` of the first page of `path` and the ids of all its pages: a list must count what it lists.
async fn total_and_ids(c: &Client, path: &str) -> (i64, Vec<i64>) {
    let (s, first) = c.get(&format!("{path}&limit=1")).await;
    assert_eq!(s, 200, "{path}: {first}");
    (first["total"].as_i64().unwrap(), ids(&c.all_items(path).await))
}

fn wrong_check(id: &str) -> String {
    let last = id.chars().last().unwrap();
    let other = if last == '1' { '2' } else { '1' };
    format!("{}{other}", &id[..17])
}

fn masked_ok(s: &str) -> bool {
    s.len() == 18 && s[6..14] == *"********" && s[..6].bytes().all(|b| b.is_ascii_digit())
}

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

async fn raw_post(c: &Client, path: &str, body: &str) -> Resp {
    let r = c
        .request(reqwest::Method::POST, path)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    into_resp(r).await
}

async fn audit_has(admin: &Client, action: &str, object: &str) -> Value {
    let items = admin.all_items(&format!("/api/v1/audit?action={action}")).await;
    items.into_iter().find(|i| i["object"] == object).unwrap_or_else(|| panic!("no audit record {action} {object}"))
}

async fn reads(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    let mediator = srv.login("demo_mediator", DEMO_PW).await;

    // The list: masked, inside the region, paged.
    let (s, page) = admin.get(&format!("/api/v1/people?region={GRID1}&limit=3")).await;
    assert_eq!(s, 200, "{page}");
    assert!(page["total"].as_i64().unwrap() > 3, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for p in items {
        for k in [
            "id",
            "name",
            "gender",
            "birth_date",
            "age",
            "id_number",
            "phone",
            "population_type",
            "residence_status",
            "grid_code",
            "household_id",
            "house_id",
            "address",
            "relation",
            "tags",
        ] {
            assert!(p.get(k).is_some(), "{k} missing: {p}");
        }
        assert!(masked_ok(p["id_number"].as_str().unwrap()), "{p}");
        if let Some(ph) = p["phone"].as_str() {
            assert!(ph.contains("****"), "{p}");
        }
        assert!(p["grid_code"].as_str().unwrap().starts_with(GRID1));
    }
    let cursor = page["next_cursor"].as_str().expect("next page").to_string();
    let (s, next) = admin.get(&format!("/api/v1/people?region={GRID1}&limit=3&cursor={cursor}")).await;
    assert_eq!(s, 200);
    let next_ids = ids(next["items"].as_array().unwrap());
    assert!(next_ids.iter().all(|i| !ids(items).contains(i)), "pages do not overlap");
    assert_field(&admin.get("/api/v1/people?limit=0").await, "limit");
    assert_field(&admin.get("/api/v1/people?status=gone").await, "status");
    assert_field(&admin.get("/api/v1/people?tag=火星人").await, "tag");
    assert_field(&admin.get("/api/v1/people?colour=red").await, "colour");

    // A grid worker sees their grid only; other regions answer 404.
    let mine = worker.all_items("/api/v1/people").await;
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|p| p["grid_code"] == GRID1), "worker list stays in the grid");
    assert_error(&worker.get(&format!("/api/v1/people?region={GRID2}")).await, 404, "not_found", None);
    assert_error(&worker.get(&format!("/api/v1/people?region={DISTRICT}")).await, 404, "not_found", None);
    for who in ["demo_leader", "demo_department", "demo_resident"] {
        let c = srv.login(who, DEMO_PW).await;
        let r = c.get("/api/v1/people").await;
        assert!([403, 404].contains(&r.0), "{who}: {r:?}");
    }

    // One person: household, house, history, tags.
    let someone = mine.iter().find(|p| p["phone"].is_string()).expect("a person with a phone").clone();
    let pid = someone["id"].as_i64().unwrap();
    let (s, p) = worker.get(&format!("/api/v1/people/{pid}")).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["id"], pid);
    assert!(masked_ok(p["id_number"].as_str().unwrap()));
    let hh = &p["household"];
    assert!(hh["number"].is_string() && hh["members"].as_array().unwrap().iter().any(|m| m["id"] == pid), "{p}");
    assert!(p["house"]["address"].is_string() && p["house"]["code"].is_string(), "{p}");
    assert!(p["history"].is_array() && p["tag_details"].is_array());

    // Out of scope answers like a person that does not exist.
    let other = admin.get(&format!("/api/v1/people?region={GRID2}&limit=1")).await.1["items"][0].clone();
    let oid = other["id"].as_i64().unwrap();
    let (s, body) = worker.get(&format!("/api/v1/people/{oid}")).await;
    assert_eq!(s, 404, "{body}");
    assert!(!body.to_string().contains(other["name"].as_str().unwrap()));
    assert!(!body.to_string().contains(GRID2), "{body}");
    assert_error(&worker.get("/api/v1/people/999999999").await, 404, "not_found", None);
    assert_error(&worker.get("/api/v1/people/abc").await, 404, "not_found", None);
    let leader = srv.login("demo_leader", DEMO_PW).await;
    assert_error(&leader.get(&format!("/api/v1/people/{pid}")).await, 403, "forbidden", None);

    // Reveal: reason required, audited; not for mediators or leaders.
    assert_field(&worker.post(&format!("/api/v1/people/{pid}/reveal"), &json!({})).await, "reason");
    assert_field(&worker.post(&format!("/api/v1/people/{pid}/reveal"), &json!({ "reason": " " })).await, "reason");
    assert_field(
        &worker.post(&format!("/api/v1/people/{pid}/reveal"), &json!({ "reason": "x".repeat(201) })).await,
        "reason",
    );
    assert_field(
        &worker.post(&format!("/api/v1/people/{pid}/reveal"), &json!({ "reason": "入户走访", "why": 1 })).await,
        "why",
    );
    let (s, rev) = worker.post(&format!("/api/v1/people/{pid}/reveal"), &json!({ "reason": "入户走访核对身份" })).await;
    assert_eq!(s, 200, "{rev}");
    let full_id = rev["id_number"].as_str().unwrap().to_string();
    let full_phone = rev["phone"].as_str().unwrap().to_string();
    assert_eq!(full_id.len(), 18);
    assert_eq!(wangge_domain::idcard::mask_id_number(&full_id), p["id_number"].as_str().unwrap());
    assert_eq!(wangge_domain::phone::mask_phone(&full_phone), someone["phone"].as_str().unwrap());
    let rec = audit_has(&admin, "reveal", &format!("person:{pid}")).await;
    assert_eq!(rec["reason"], "入户走访核对身份");
    assert_eq!(rec["actor"], "demo_grid_worker");
    let r = mediator.post(&format!("/api/v1/people/{pid}/reveal"), &json!({ "reason": "调解需要" })).await;
    assert_error(&r, 403, "forbidden", None);
    let r = leader.post(&format!("/api/v1/people/{pid}/reveal"), &json!({ "reason": "查看" })).await;
    assert!([403, 404].contains(&r.0), "{r:?}");
    assert_error(
        &worker.post(&format!("/api/v1/people/{oid}/reveal"), &json!({ "reason": "越权查看" })).await,
        404,
        "not_found",
        None,
    );

    // Exact lookups through the blind index: full 身份证号 or phone in q.
    let (s, found) = worker.get(&Client::with_query("/api/v1/people", &[("q", &full_id)])).await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(ids(found["items"].as_array().unwrap()), vec![pid]);
    let (s, found) = worker.get(&Client::with_query("/api/v1/people", &[("q", &full_phone)])).await;
    assert_eq!(s, 200);
    assert!(ids(found["items"].as_array().unwrap()).contains(&pid), "{found}");
    // The same number from a grid worker elsewhere finds nothing.
    let (_, outside) = admin.get(&Client::with_query("/api/v1/people", &[("q", &full_id), ("region", GRID2)])).await;
    assert_eq!(outside["items"].as_array().unwrap().len(), 0);
    // Names.
    let name = someone["name"].as_str().unwrap();
    let (s, found) = worker.get(&Client::with_query("/api/v1/people", &[("q", name)])).await;
    assert_eq!(s, 200);
    assert!(ids(found["items"].as_array().unwrap()).contains(&pid), "{found}");
    assert!(found["items"].as_array().unwrap().iter().all(|p| p["grid_code"] == GRID1));

    // Tags: household-level tags match members; Chinese names work like codes.
    let (s, dibao) = admin.get(&Client::with_query("/api/v1/people", &[("tag", "低保"), ("region", DISTRICT)])).await;
    assert_eq!(s, 200);
    let dibao_items = dibao["items"].as_array().unwrap();
    assert!(!dibao_items.is_empty(), "demo has 低保 households");
    assert!(dibao_items.iter().all(|p| p["tags"].as_array().unwrap().contains(&json!("dibao"))));
    let (_, by_code) = admin.get("/api/v1/people?tag=dibao").await;
    assert_eq!(by_code["total"], dibao["total"]);

    // 老年人 is derived from age (≥ 60), listed and filtered by birth date.
    let elderly = admin.all_items(&Client::with_query("/api/v1/people", &[("tag", "老年人"), ("region", GRID1)])).await;
    assert!(!elderly.is_empty());
    assert!(elderly.iter().all(|p| p["age"].as_i64().unwrap() >= 60 && p["tags"].to_string().contains("elderly")));
    let everyone = admin.all_items(&format!("/api/v1/people?region={GRID1}")).await;
    let sixty = everyone.iter().filter(|p| p["age"].as_i64().unwrap() >= 60).count();
    assert_eq!(elderly.len(), sixty);
    assert!(everyone.iter().all(|p| (p["age"].as_i64().unwrap() >= 60) == p["tags"].to_string().contains("elderly")));

    // Sensitive tags: a mediator reads people but never sees 社区矫正 and the like.
    let (s, b) = admin
        .put(
            &format!("/api/v1/people/{pid}/tags/community_correction"),
            &json!({ "data": { "term_start": "2025-01-01" } }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(b["tags"].as_array().unwrap().contains(&json!("community_correction")));
    let (_, wp) = worker.get(&format!("/api/v1/people/{pid}")).await;
    assert!(wp["tags"].as_array().unwrap().contains(&json!("community_correction")), "workers see it: {wp}");
    let (s, mp) = mediator.get(&format!("/api/v1/people/{pid}")).await;
    assert_eq!(s, 200, "mediators read people: {mp}");
    let text = mp.to_string();
    for hidden in ["community_correction", "社区矫正", "released_prisoner", "mental_disorder", "drug_user", "key_youth"]
    {
        assert!(!text.contains(hidden), "mediator sees {hidden}: {text}");
    }
    let all = mediator.all_items(&format!("/api/v1/people?region={GRID1}")).await;
    assert!(all.iter().all(|p| !p.to_string().contains("community_correction")));
    assert_field(&mediator.get("/api/v1/people?tag=community_correction").await, "tag");
    let (s, kinds) = mediator.get("/api/v1/tag-kinds").await;
    assert_eq!(s, 200);
    let codes: Vec<&str> = kinds["items"].as_array().unwrap().iter().map(|k| k["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"dibao") && !codes.contains(&"community_correction"), "{codes:?}");
    let (_, kinds) = worker.get("/api/v1/tag-kinds").await;
    assert!(kinds["items"].as_array().unwrap().iter().any(|k| k["code"] == "community_correction"));
    assert!([403, 404].contains(&srv.login("demo_resident", DEMO_PW).await.get("/api/v1/tag-kinds").await.0));

    // Household, house, building.
    let hid = p["household_id"].as_i64().unwrap();
    let (s, h) = worker.get(&format!("/api/v1/households/{hid}")).await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["grid_code"], GRID1);
    assert!(h["members"].as_array().unwrap().iter().any(|m| m["id"] == pid));
    assert!(!h.to_string().contains(&full_id));
    let house_id = p["house_id"].as_i64().unwrap();
    let (s, house) = worker.get(&format!("/api/v1/houses/{house_id}")).await;
    assert_eq!(s, 200, "{house}");
    assert!(house["occupants"].as_i64().unwrap() >= 1);
    assert!(house["households"].as_array().unwrap().iter().any(|x| x["id"] == hid));
    let building = house["building"]["id"].as_i64().expect("demo houses sit in buildings");
    let (s, b) = worker.get(&format!("/api/v1/buildings/{building}")).await;
    assert_eq!(s, 200, "{b}");
    assert!(b["houses"].as_array().unwrap().iter().any(|x| x["id"] == house_id));
    assert!(b["occupants"].as_i64().unwrap() >= 1);
    let ohh = other["household_id"].as_i64().unwrap();
    let ohouse = other["house_id"].as_i64().unwrap();
    assert_error(&worker.get(&format!("/api/v1/households/{ohh}")).await, 404, "not_found", None);
    assert_error(&worker.get(&format!("/api/v1/houses/{ohouse}")).await, 404, "not_found", None);
    let (_, oh) = admin.get(&format!("/api/v1/houses/{ohouse}")).await;
    let ob = oh["building"]["id"].as_i64().unwrap();
    assert_error(&worker.get(&format!("/api/v1/buildings/{ob}")).await, 404, "not_found", None);
    assert_error(&leader.get(&format!("/api/v1/households/{hid}")).await, 403, "forbidden", None);
    assert_error(&worker.get("/api/v1/buildings/999999999").await, 404, "not_found", None);

    // Grid and community rules.
    let (s, rules) = admin.get(&format!("/api/v1/regions/{DISTRICT}/rules")).await;
    assert_eq!(s, 200, "{rules}");
    let grids = rules["grids"].as_array().unwrap();
    assert_eq!(grids.len(), DEMO_GRIDS.len());
    assert_eq!(rules["communities"].as_array().unwrap().len(), 4);
    let out = grids.iter().filter(|g| g["within_range"] == false).count() as i64;
    assert_eq!(rules["out_of_range"], out);
    for g in grids {
        let n = g["households"].as_i64().unwrap();
        assert_eq!(g["within_range"], (300..=500).contains(&n), "{g}");
    }
    for c in rules["communities"].as_array().unwrap() {
        let n = c["households"].as_i64().unwrap();
        let expected = if n <= 1000 { 4 } else { 4 + (n - 1000 + 249) / 250 };
        assert_eq!(c["staff_required"], expected, "{c}");
    }
    let (s, wr) = worker.get(&format!("/api/v1/regions/{GRID1}/rules")).await;
    assert_eq!(s, 200);
    assert_eq!(wr["grids"].as_array().unwrap().len(), 1);
    assert_error(&worker.get(&format!("/api/v1/regions/{DISTRICT}/rules")).await, 404, "not_found", None);

    srv.finish().await;
}

async fn writes(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    let mine = worker.all_items("/api/v1/people").await;
    let head = mine.iter().find(|p| p["household_id"].is_i64()).unwrap().clone();
    let (_, hh) = worker.get(&format!("/api/v1/households/{}", head["household_id"])).await;
    let number = hh["number"].as_str().unwrap().to_string();
    let (_, house) = worker.get(&format!("/api/v1/houses/{}", head["house_id"])).await;
    let house_code = house["code"].as_str().unwrap().to_string();

    // Bad input names the field and writes nothing.
    let n0 = worker.get("/api/v1/people").await.1["total"].as_i64().unwrap();
    let good = json!({
        "name": "测试人", "id_number": id_number(101), "ethnicity": "汉族", "population_type": "户籍人口",
        "relation": "子", "household_number": number, "phone": "13800001111", "gender": "男", "birth_date": "1987-07-13",
    });
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    assert_field(&raw_post(&worker, "/api/v1/people", "{\"name\":").await, "body");
    assert_field(&worker.post("/api/v1/people", &with("nickname", json!("小测"))).await, "nickname");
    assert_field(
        &worker.post("/api/v1/people", &with("id_number", json!(wrong_check(&id_number(101))))).await,
        "id_number",
    );
    assert_field(&worker.post("/api/v1/people", &with("gender", json!("女"))).await, "gender");
    assert_field(&worker.post("/api/v1/people", &with("birth_date", json!("1987-07-14"))).await, "birth_date");
    assert_field(&worker.post("/api/v1/people", &with("ethnicity", json!("火星族"))).await, "ethnicity");
    assert_field(&worker.post("/api/v1/people", &with("phone", json!("12345"))).await, "phone");
    assert_field(&worker.post("/api/v1/people", &with("population_type", json!("常住"))).await, "population_type");
    assert_field(&worker.post("/api/v1/people", &with("relation", json!("邻居"))).await, "relation");
    assert_field(&worker.post("/api/v1/people", &with("event", json!("death"))).await, "event");
    assert_field(&worker.post("/api/v1/people", &with("name", json!("张3"))).await, "name");
    let mut nowhere = good.clone();
    nowhere.as_object_mut().unwrap().remove("household_number");
    assert_field(&worker.post("/api/v1/people", &nowhere).await, "household_number");
    let mut no_house = nowhere.clone();
    no_house["house_code"] = json!("NOPE");
    assert_field(&worker.post("/api/v1/people", &no_house).await, "house_code");
    let mut elsewhere = nowhere.clone();
    elsewhere["address"] = json!("外网格路1号");
    elsewhere["grid_code"] = json!(GRID2);
    assert_error(&worker.post("/api/v1/people", &elsewhere).await, 404, "not_found", None);
    assert_eq!(worker.get("/api/v1/people").await.1["total"].as_i64().unwrap(), n0, "nothing written");

    // Register into an existing household; the same number again is a conflict.
    let (s, p) = worker.post("/api/v1/people", &good).await;
    assert_eq!(s, 201, "{p}");
    let pid = p["id"].as_i64().unwrap();
    assert_eq!(p["household"]["number"], number.as_str());
    assert_eq!(p["grid_code"], GRID1);
    assert_eq!(p["phone"], "138****1111");
    assert!(masked_ok(p["id_number"].as_str().unwrap()));
    assert_eq!(p["history"][0]["kind"], "registered");
    let r = worker.post("/api/v1/people", &with("name", json!("另一人"))).await;
    assert_error(&r, 409, "conflict", Some("id_number"));
    audit_has(&admin, "create", &format!("person:{pid}")).await;

    // Register by address (a new house and household), and a birth into a house by code.
    let mut by_address = nowhere.clone();
    by_address["id_number"] = json!(id_number(103));
    by_address["address"] = json!("清河区测试路8号");
    by_address["grid_code"] = json!(GRID1);
    by_address["event"] = json!("move_in");
    let (s, q) = worker.post("/api/v1/people", &by_address).await;
    assert_eq!(s, 201, "{q}");
    assert_eq!(q["house"]["address"], "清河区测试路8号");
    assert_eq!(q["history"][0]["kind"], "move_in");
    let qid = q["id"].as_i64().unwrap();
    let mut by_code = nowhere.clone();
    by_code["id_number"] = json!(id_number(105));
    by_code["house_code"] = json!(house_code);
    by_code["event"] = json!("birth");
    let (s, b) = worker.post("/api/v1/people", &by_code).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["house"]["code"], house_code.as_str());

    // Found by the exact number right away.
    let (_, f) = worker.get(&Client::with_query("/api/v1/people", &[("q", &id_number(103))])).await;
    assert_eq!(ids(f["items"].as_array().unwrap()), vec![qid]);

    // Update: fields validated, history names the changed fields without the values.
    assert_field(
        &worker.send("PATCH", &format!("/api/v1/people/{pid}"), Some(&json!({ "phone": "999" }))).await,
        "phone",
    );
    assert_field(&worker.send("PATCH", &format!("/api/v1/people/{pid}"), Some(&json!({ "age": 3 }))).await, "age");
    assert_field(&worker.send("PATCH", &format!("/api/v1/people/{pid}"), Some(&json!({}))).await, "body");
    assert_field(
        &worker.send("PATCH", &format!("/api/v1/people/{pid}"), Some(&json!({ "education": "x".repeat(51) }))).await,
        "education",
    );
    let (s, u) = worker
        .send(
            "PATCH",
            &format!("/api/v1/people/{pid}"),
            Some(&json!({ "phone": "13900002222", "education": "大学本科" })),
        )
        .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["phone"], "139****2222");
    assert_eq!(u["education"], "大学本科");
    let last = u["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "update");
    assert!(last["note"].as_str().unwrap().contains("phone") && last["note"].as_str().unwrap().contains("education"));
    assert!(!u["history"].to_string().contains("13900002222"), "no phone in history");
    audit_has(&admin, "update", &format!("person:{pid}")).await;

    // Events: away, return, move out (leaves the default list), a second move out is a conflict.
    let ev = |kind: &str| json!({ "kind": kind, "note": format!("{kind} 测试") });
    let path = format!("/api/v1/people/{pid}/events");
    assert_field(&worker.post(&path, &json!({ "kind": "vanish" })).await, "kind");
    assert_field(&worker.post(&path, &json!({ "kind": "away", "date": "yesterday" })).await, "date");
    assert_field(&worker.post(&path, &json!({ "kind": "away", "place": "x" })).await, "place");
    assert_error(&worker.post(&path, &ev("return")).await, 409, "conflict", None);
    let (s, e) = worker.post(&path, &ev("away")).await;
    assert_eq!((s, &e["residence_status"]), (200, &json!("away")), "{e}");
    let (_, e) = worker.post(&path, &ev("return")).await;
    assert_eq!(e["residence_status"], "present");
    let (s, e) = worker.post(&path, &json!({ "kind": "move_out", "date": "2026-01-05", "note": "迁往外省" })).await;
    assert_eq!((s, &e["residence_status"]), (200, &json!("moved_out")), "{e}");
    assert_error(&worker.post(&path, &ev("move_out")).await, 409, "conflict", None);
    let listed = worker.all_items("/api/v1/people").await;
    assert!(!ids(&listed).contains(&pid), "moved-out people leave the default list");
    let listed = worker.all_items("/api/v1/people?status=all").await;
    assert!(ids(&listed).contains(&pid), "status=all lists them");
    let (s, back) = worker.get(&format!("/api/v1/people/{pid}")).await;
    assert_eq!(s, 200, "never deleted");
    let kinds: Vec<&str> = back["history"].as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["registered", "update", "away", "return", "move_out"]);
    // Move back in, into another house in the grid.
    let (s, e) = worker.post(&path, &json!({ "kind": "move_in", "house_code": q["house"]["code"] })).await;
    assert_eq!(s, 200, "{e}");
    assert_eq!((&e["residence_status"], &e["house_id"]), (&json!("present"), &q["house_id"]));
    let (s, e) = worker.post(&format!("/api/v1/people/{qid}/events"), &ev("death")).await;
    assert_eq!((s, &e["residence_status"]), (200, &json!("deceased")));
    assert_error(&worker.post(&format!("/api/v1/people/{qid}/events"), &ev("move_in")).await, 409, "conflict", None);
    audit_has(&admin, "move_out", &format!("person:{pid}")).await;
    audit_has(&admin, "death", &format!("person:{qid}")).await;
    // A text search counts what it lists: the deceased person at 测试路8号 is listed and counted with status=all
    // only (the total used to count them either way, so a page could hold fewer than `limit` rows).
    for (status, listed) in [("current", false), ("all", true)] {
        let path = Client::with_query("/api/v1/people", &[("q", "测试路8号"), ("status", status)]);
        let (total, found) = total_and_ids(&worker, &path).await;
        assert_eq!(total, found.len() as i64, "{path}: {found:?}");
        assert_eq!(found.contains(&qid), listed, "{path}: {found:?}");
    }

    // Tags: data keys and options checked, derived tags refused, household tags go on the household.
    let tag = |code: &str| format!("/api/v1/people/{pid}/tags/{code}");
    assert_field(&worker.put(&tag("disabled"), &json!({ "data": { "colour": "red" } })).await, "data.colour");
    assert_field(&worker.put(&tag("disabled"), &json!({ "data": { "grade": "五级" } })).await, "data.grade");
    assert_field(&worker.put(&tag("disabled"), &json!({ "date": {} })).await, "date");
    assert_error(&worker.put(&tag("elderly"), &json!({})).await, 422, "rule_violated", None);
    assert_error(&worker.put(&tag("martian"), &json!({})).await, 404, "not_found", None);
    let (s, t) = worker.put(&tag("disabled"), &json!({ "data": { "category": "肢体", "grade": "二级" } })).await;
    assert_eq!(s, 200, "{t}");
    let d = t["tag_details"].as_array().unwrap().iter().find(|d| d["code"] == "disabled").unwrap().clone();
    assert_eq!(d["data"], json!({ "category": "肢体", "grade": "二级" }));
    assert_eq!(d["name"], "残疾人");
    let (s, t) = worker.put(&tag("low_income"), &json!({})).await;
    assert_eq!(s, 200, "{t}");
    let (_, hh_now) = worker.get(&format!("/api/v1/households/{}", t["household_id"])).await;
    assert!(hh_now["tags"].as_array().unwrap().contains(&json!("low_income")), "{hh_now}");
    let (s, t) = worker.delete(&tag("disabled")).await;
    assert_eq!(s, 200);
    assert!(!t["tags"].as_array().unwrap().contains(&json!("disabled")));
    assert_error(&worker.delete(&tag("disabled")).await, 404, "not_found", None);
    audit_has(&admin, "tag", &format!("person:{pid}")).await;
    audit_has(&admin, "untag", &format!("person:{pid}")).await;
    // Words and a tag together: counted after the tag filter (测试 also matches untagged people and addresses).
    let tagged = Client::with_query("/api/v1/people", &[("q", "测试"), ("tag", "low_income"), ("status", "all")]);
    let (total, found) = total_and_ids(&worker, &tagged).await;
    assert_eq!((total, found.contains(&pid)), (found.len() as i64, true), "{tagged}: {found:?}");
    let (untagged, _) =
        total_and_ids(&worker, &Client::with_query("/api/v1/people", &[("q", "测试"), ("status", "all")])).await;
    assert!(untagged > total, "{untagged} people match 测试, {total} of them in 低保 households");

    // Merge a duplicate: it leaves the lists, keeps its record; history and tags join the kept person.
    let mut dup = by_code.clone();
    dup["id_number"] = json!(id_number(107));
    let (s, dp) = worker.post("/api/v1/people", &dup).await;
    assert_eq!(s, 201, "{dp}");
    let did = dp["id"].as_i64().unwrap();
    let (s, _) = worker.put(&format!("/api/v1/people/{did}/tags/veteran"), &json!({})).await;
    assert_eq!(s, 200);
    let merge = format!("/api/v1/people/{pid}/merge");
    assert_field(&worker.post(&merge, &json!({ "duplicate_id": pid })).await, "duplicate_id");
    assert_field(&worker.post(&merge, &json!({ "duplicate_id": "x" })).await, "duplicate_id");
    let other =
        admin.get(&format!("/api/v1/people?region={GRID2}&limit=1")).await.1["items"][0]["id"].as_i64().unwrap();
    assert_error(&worker.post(&merge, &json!({ "duplicate_id": other })).await, 404, "not_found", None);
    let (s, m) = worker.post(&merge, &json!({ "duplicate_id": did })).await;
    assert_eq!(s, 200, "{m}");
    assert!(m["tags"].as_array().unwrap().contains(&json!("veteran")), "tags unioned: {m}");
    let kinds: Vec<&str> = m["history"].as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"birth") && kinds.last() == Some(&"merge"), "duplicate's history kept: {kinds:?}");
    let (s, gone) = worker.get(&format!("/api/v1/people/{did}")).await;
    assert_eq!(s, 200);
    assert_eq!(gone["merged_into"], pid);
    assert!(!ids(&worker.all_items("/api/v1/people").await).contains(&did));
    assert_error(&worker.post(&merge, &json!({ "duplicate_id": did })).await, 409, "conflict", None);
    audit_has(&admin, "merge", &format!("person:{pid}")).await;

    // Writes need the permission: a mediator reads but cannot register or change.
    let mediator = srv.login("demo_mediator", DEMO_PW).await;
    let mut m_body = good.clone();
    m_body["id_number"] = json!(id_number(109));
    assert_error(&mediator.post("/api/v1/people", &m_body).await, 403, "forbidden", None);
    assert_error(
        &mediator.send("PATCH", &format!("/api/v1/people/{pid}"), Some(&json!({ "health": "良好" }))).await,
        403,
        "forbidden",
        None,
    );
    assert_error(&mediator.post(&path, &ev("away")).await, 403, "forbidden", None);

    // The audit log holds every write by the worker.
    let records = admin.all_items("/api/v1/audit?actor=demo_grid_worker").await;
    let actions: std::collections::BTreeSet<&str> = records.iter().map(|r| r["action"].as_str().unwrap()).collect();
    for a in ["create", "update", "away", "return", "move_out", "move_in", "death", "tag", "untag", "merge"] {
        assert!(actions.contains(a), "audit lacks {a}: {actions:?}");
    }

    // No clear 身份证号 or phone in any file of the data dir (SQLite only: PostgreSQL keeps data elsewhere).
    if srv.backend() == "sqlite" {
        let dir = srv.db().data_dir();
        for f in wangge_testkit::files_under(&dir) {
            let bytes = std::fs::read(&f).unwrap_or_default();
            for needle in [id_number(101), "13900002222".to_string()] {
                assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_bytes()), "{needle} in clear in {f:?}");
            }
        }
    }
    srv.finish().await;
}

both_backends!(reads, writes);
