//! A grid worker's day through the phone's one sync endpoint (docs/field.md), on both backends: due visits from
//! the register's rules, every kind of outbox item stored exactly once however often it is sent, out-of-order
//! batches, a wrong phone clock, GPS jumps, bad photos and bad fields named item by item; the 民情日志, each
//! worker's month and handing a grid to another worker.

mod common;

use common::*;
use serde_json::{Value, json};
use wangge_testkit::TestDb;

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn item(key: &str, kind: &str, at: i64, data: Value) -> Value {
    json!({ "key": key, "kind": kind, "at": at, "data": data })
}

async fn sync(c: &Client, items: Vec<Value>) -> Vec<Value> {
    let (s, r) = c.post("/api/v1/field/sync", &json!({ "client_now": now_ms(), "items": items })).await;
    assert_eq!(s, 200, "{r}");
    r["results"].as_array().unwrap().clone()
}

fn status(r: &Value) -> &str {
    r["status"].as_str().unwrap()
}

async fn visits_of(c: &Client, person: i64) -> Vec<Value> {
    let (s, v) = c.get(&format!("/api/v1/people/{person}/visits")).await;
    assert_eq!(s, 200, "{v}");
    v["items"].as_array().unwrap().clone()
}

async fn due_and_visits_exactly_once(db: TestDb) {
    let srv = Server::demo(db);
    let gw = srv.login("demo_grid_worker", DEMO_PW).await;
    let (s, today) = gw.get("/api/v1/field/today").await;
    assert_eq!(s, 200, "{today}");
    assert_eq!(today["grids"][0]["code"], GRID1, "{}", today["grids"]);
    let due = today["visits"].as_array().unwrap();
    assert!(!due.is_empty(), "the demo grid has people with a visiting rule: {today}");
    // Everyone listed has a visiting rule and the form's pre-filled fields.
    for d in due {
        assert!(!d["tags"].as_array().unwrap().is_empty(), "{d}");
        assert!(d["name"].as_str().is_some_and(|n| !n.is_empty()) && d["due_on"].is_string(), "{d}");
        assert!(d["phone_masked"].is_null() || d["phone_masked"].as_str().unwrap().contains("****"), "{d}");
    }
    // The demo worker has been at work: some people are overdue, with the day of their last visit.
    assert!(due.iter().any(|d| d["overdue_days"].as_i64().unwrap() > 0 && d["last_visit_on"].is_string()), "{due:?}");
    assert!(due.iter().any(|d| d["last_visit_on"].is_null()), "some were never visited: {due:?}");
    // Overdue first.
    let overdue: Vec<i64> = due.iter().map(|d| d["overdue_days"].as_i64().unwrap()).collect();
    assert!(overdue.windows(2).all(|w| w[0] >= w[1]), "{overdue:?}");
    let person = due[0]["person_id"].as_i64().unwrap();
    let before = visits_of(&gw, person).await.len();

    // A visit, sent three times (a flaky network): stored once, the same id each time.
    let visit = item(
        "visit-0001-aaaa",
        "visit",
        now_ms() - 60_000,
        json!({ "person_id": person, "found": true, "situation": "attention", "needs": "想申请助餐", "risk": "same",
            "note": "老人独居，行动不便", "lat": 30.2601, "lon": 120.1301 }),
    );
    let first = sync(&gw, vec![visit.clone()]).await;
    assert_eq!(status(&first[0]), "created", "{first:?}");
    let id = first[0]["id"].as_i64().unwrap();
    for _ in 0..2 {
        let again = sync(&gw, vec![visit.clone()]).await;
        assert_eq!(status(&again[0]), "duplicate", "{again:?}");
        assert_eq!(again[0]["id"].as_i64(), Some(id));
    }
    let visits = visits_of(&gw, person).await;
    assert_eq!(visits.len(), before + 1, "{visits:?}");
    assert_eq!(visits[0]["situation"], "attention");
    assert_eq!(visits[0]["situation_name"], "需关注");
    assert_eq!(visits[0]["needs"], "想申请助餐");

    // Visited today: no longer due within the horizon; the visit is in the day's log.
    let (_, today) = gw.get("/api/v1/field/today").await;
    assert!(
        !today["visits"].as_array().unwrap().iter().any(|d| d["person_id"] == person),
        "a monthly visit done today is not due again this week"
    );
    let (_, log) = gw.get("/api/v1/field/log").await;
    assert_eq!(log["visits"].as_array().unwrap().len(), 1, "{log}");
    assert_eq!(log["visits"][0]["person_id"], person);

    // The audit log holds the visit.
    let admin = srv.admin().await;
    let (_, audit) = admin.get("/api/v1/audit?action=visit").await;
    assert!(audit["items"].as_array().unwrap().iter().any(|a| a["object"] == format!("person:{person}")), "{audit}");
    srv.finish().await;
}

async fn every_kind_once_and_bad_items_named(db: TestDb) {
    let srv = Server::demo(db);
    let gw = srv.login("demo_grid_worker", DEMO_PW).await;
    let (_, today) = gw.get("/api/v1/field/today").await;
    let person = today["visits"][0]["person_id"].as_i64().unwrap();
    let (_, p) = gw.get(&format!("/api/v1/people/{person}")).await;
    let house_code = {
        let (_, h) = gw.get(&format!("/api/v1/houses/{}", p["house_id"])).await;
        h["code"].as_str().unwrap().to_string()
    };
    let hazard = today["quick"]["hazard"][0]["code"].as_str().unwrap().to_string();
    let before = visits_of(&gw, person).await.len();
    let now = now_ms();

    // A hazard reported offline, sent twice: one event, the same id.
    let ev = item(
        "event-0001-bbbb",
        "event",
        now - 30 * 60_000,
        json!({ "category": hazard, "description": "楼道堆放杂物堵塞消防通道", "grid_code": GRID1, "urgent": true }),
    );
    let r = sync(&gw, vec![ev.clone(), ev.clone()]).await;
    assert_eq!((status(&r[0]), status(&r[1])), ("created", "duplicate"), "{r:?}");
    assert_eq!(r[0]["id"], r[1]["id"]);
    let (_, e) = gw.get(&format!("/api/v1/events/{}", r[0]["id"])).await;
    assert_eq!(e["source"], "grid_worker", "{e}");
    let d = e["description"].as_str().unwrap();
    assert!(d.starts_with("【紧急】") && d.contains("离线记录于"), "{d}");

    // Migrant arrival (来有登记): a bad 身份证号 is refused with the field named, nothing registered;
    // a good one registers the person with the migrant tag, once.
    let bad = item(
        "migrant-bad-0001",
        "migrant_arrival",
        now,
        json!({ "name": "外来工", "id_number": "330199198806010001", "house_code": house_code, "arrived": "2026-11-01" }),
    );
    let id_number = {
        let first17 = "33019919880601123";
        format!("{first17}{}", wangge_domain::idcard::check_digit(first17).unwrap())
    };
    let good = item(
        "migrant-good-0001",
        "migrant_arrival",
        now,
        json!({ "name": "王小工", "id_number": id_number, "phone": "13800001111", "house_code": house_code,
            "arrived": "2026-11-01", "permit": "居住证" }),
    );
    let r = sync(&gw, vec![bad, good.clone(), good]).await;
    assert_eq!(status(&r[0]), "rejected", "{r:?}");
    assert_eq!(r[0]["error"]["field"], "data.id_number", "{r:?}");
    assert_eq!((status(&r[1]), status(&r[2])), ("created", "duplicate"), "{r:?}");
    let newcomer = r[1]["id"].as_i64().unwrap();
    let (_, p) = gw.get(&format!("/api/v1/people/{newcomer}")).await;
    assert_eq!(p["population_type"], "migrant", "{p}");
    assert!(p["tags"].as_array().unwrap().iter().any(|t| t == "migrant" || t["code"] == "migrant"), "{p}");
    let (_, found) = gw.get(&format!("/api/v1/people?q={id_number}")).await;
    assert_eq!(found["total"], 1, "registered once: {found}");

    // Departure (走有注销): once; a second departure of someone gone is a conflict shown plainly.
    let out = item("moveout-0001-cc", "move_out", now, json!({ "person_id": newcomer, "note": "合同到期返乡" }));
    let r = sync(&gw, vec![out.clone(), out]).await;
    assert_eq!((status(&r[0]), status(&r[1])), ("created", "duplicate"), "{r:?}");
    let r = sync(&gw, vec![item("moveout-0002-cc", "move_out", now, json!({ "person_id": newcomer }))]).await;
    assert_eq!(status(&r[0]), "rejected");
    assert_eq!(r[0]["error"]["code"], "conflict", "{r:?}");
    assert!(r[0]["error"]["message"].as_str().unwrap().contains("迁出"), "{r:?}");

    // Bad items, each refused alone with its field; the good one among them goes through.
    let r = sync(
        &gw,
        vec![
            item("bad key!", "visit", now, json!({ "person_id": person, "situation": "normal" })),
            item("unknown-kind-01", "selfie", now, json!({})),
            item("no-situation-01", "visit", now, json!({ "person_id": person })),
            item("bad-situation-1", "visit", now, json!({ "person_id": person, "situation": "fine" })),
            item("extra-field-001", "visit", now, json!({ "person_id": person, "situation": "normal", "mood": 1 })),
            item(
                "too-old-000001",
                "visit",
                now - 40 * 86_400_000,
                json!({ "person_id": person, "situation": "normal" }),
            ),
            item("no-person-00001", "visit", now, json!({ "person_id": 999_999, "situation": "normal" })),
            item("half-a-point-01", "visit", now, json!({ "person_id": person, "situation": "normal", "lat": 30.2 })),
            item(
                "someone-else-1",
                "visit",
                now,
                json!({ "person_id": person, "situation": "normal", "attachments": [1] }),
            ),
            item("good-visit-0001", "visit", now, json!({ "person_id": person, "situation": "normal" })),
        ],
    )
    .await;
    let fields: Vec<&str> = r.iter().map(|x| x["error"]["field"].as_str().unwrap_or("")).collect();
    assert_eq!(
        fields,
        vec![
            "key",
            "kind",
            "data.situation",
            "data.situation",
            "data.mood",
            "at",
            "data.person_id",
            "data.lon",
            "data.attachments[0]",
            ""
        ],
        "{r:?}"
    );
    assert_eq!(status(&r[9]), "created");
    assert_eq!(visits_of(&gw, person).await.len(), before + 1, "only the good visit was stored");

    // Too many items, or not JSON: a plain 400.
    let many: Vec<Value> = (0..501).map(|i| item(&format!("many-items-{i:05}"), "log_note", now, json!({}))).collect();
    let r = gw.post("/api/v1/field/sync", &json!({ "client_now": now, "items": many })).await;
    assert_field(&r, "items");
    let r = gw.post("/api/v1/field/sync", &json!({ "items": [] })).await;
    assert_field(&r, "client_now");
    // A clock no phone can show is refused by name (it used to overflow and drop the connection).
    let r = gw.post("/api/v1/field/sync", &json!({ "client_now": -9_223_372_036_854_775_807_i64, "items": [] })).await;
    assert_field(&r, "client_now");

    // A photo that is not an image is refused at upload with the field named.
    assert_field(&upload(&gw, "x.jpg", b"not an image at all").await, "file");

    // A real photo is claimed by the visit once.
    let mut png = Vec::new();
    image::RgbImage::from_pixel(8, 8, image::Rgb([200, 30, 30]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let (s, up) = upload(&gw, "p.png", &png).await;
    assert_eq!(s, 201, "{up}");
    let with_photo = item(
        "photo-visit-001",
        "visit",
        now,
        json!({ "person_id": person, "situation": "difficulty", "attachments": [up["id"]] }),
    );
    let r = sync(&gw, vec![with_photo.clone(), with_photo]).await;
    assert_eq!((status(&r[0]), status(&r[1])), ("created", "duplicate"), "{r:?}");
    let r = sync(
        &gw,
        vec![item(
            "photo-visit-002",
            "visit",
            now,
            json!({ "person_id": person, "situation": "normal", "attachments": [up["id"]] }),
        )],
    )
    .await;
    assert_eq!(r[0]["error"]["field"], "data.attachments[0]", "a photo documents one visit: {r:?}");

    // The 民情日志 note: last write wins.
    let day = gw.get("/api/v1/field/log").await.1["day"].as_str().unwrap().to_string();
    let r = sync(
        &gw,
        vec![
            item("note-0001-aaaa", "log_note", now, json!({ "day": day, "note": "上午走访" })),
            item("note-0002-aaaa", "log_note", now, json!({ "day": day, "note": "上午走访，下午巡查" })),
            item("note-0003-aaaa", "log_note", now, json!({ "day": "2099-01-01", "note": "未来" })),
        ],
    )
    .await;
    assert_eq!(r[2]["error"]["field"], "data.day", "{r:?}");
    let (_, log) = gw.get("/api/v1/field/log").await;
    assert_eq!(log["note"], "上午走访，下午巡查");
    assert_eq!(log["events"].as_array().unwrap().len(), 1, "{log}");
    srv.finish().await;
}

async fn clock_skew_is_corrected(db: TestDb) {
    let srv = Server::demo(db);
    let gw = srv.login("demo_grid_worker", DEMO_PW).await;
    let (_, today) = gw.get("/api/v1/field/today").await;
    let person = today["visits"][0]["person_id"].as_i64().unwrap();
    // The phone's clock is three days behind: its "now" is three days ago, the visit a minute before that.
    let phone_now = now_ms() - 3 * 86_400_000;
    let body = json!({ "client_now": phone_now, "items": [
        item("skewed-visit-01", "visit", phone_now - 60_000, json!({ "person_id": person, "situation": "normal" }))
    ]});
    let (s, r) = gw.post("/api/v1/field/sync", &body).await;
    assert_eq!(s, 200, "{r}");
    let skew = r["clock_skew_ms"].as_i64().unwrap();
    assert!((skew - 3 * 86_400_000).abs() < 60_000, "{r}");
    assert_eq!(r["results"][0]["status"], "created");
    let v = visits_of(&gw, person).await;
    let (_, log) = gw.get("/api/v1/field/log").await;
    assert_eq!(v[0]["day"], log["day"], "the visit lands today, not three days ago: {v:?}");
    srv.finish().await;
}

async fn patrols_tracks_and_checkins(db: TestDb) {
    let srv = Server::demo(db);
    let community = srv.login("demo_community", DEMO_PW).await;
    let (s, route) = community
        .post(
            "/api/v1/field/routes",
            &json!({ "region_code": COMMUNITY1, "name": "夜间巡防", "team": "清河巡防队",
                "checkpoints": [{ "name": "东门", "lat": 30.2600, "lon": 120.1300, "radius_m": 100 }] }),
        )
        .await;
    assert_eq!(s, 201, "{route}");
    let bad = community
        .post(
            "/api/v1/field/routes",
            &json!({ "region_code": COMMUNITY1, "name": "x", "checkpoints": [{ "name": "A", "lat": 95.0, "lon": 120.0 }] }),
        )
        .await;
    assert_field(&bad, "checkpoints[0]");

    let gw = srv.login("demo_grid_worker", DEMO_PW).await;
    let (_, today) = gw.get("/api/v1/field/today").await;
    assert!(today["patrol_routes"].as_array().unwrap().iter().any(|r| r["id"] == route["id"]), "{today}");
    let t0 = now_ms() - 20 * 60_000;
    // Ten fixes a minute apart walking north ~100 m each, plus one fix 100 km away.
    let fix = |i: i64| json!([t0 + i * 60_000, 30.2600 + 0.0009 * i as f64, 120.1300, 8.0]);
    let first: Vec<Value> = (0..5).map(fix).collect();
    let mut second: Vec<Value> = (5..10).map(fix).collect();
    second.push(json!([t0 + 4 * 60_000 + 30_000, 31.2, 120.13]));
    let key = "patrol-0001-dddd";
    // Out of order: the second batch and a check-in arrive before the start.
    let early = sync(
        &gw,
        vec![
            item("track-0002-dddd", "track", t0, json!({ "patrol": key, "points": second })),
            item(
                "checkin-001-ddd",
                "checkin",
                t0,
                json!({ "patrol": key, "point": "东门", "lat": 30.2601, "lon": 120.1301 }),
            ),
        ],
    )
    .await;
    assert_eq!((status(&early[0]), status(&early[1])), ("retry", "retry"), "{early:?}");
    let r = sync(
        &gw,
        vec![
            item(key, "patrol_start", t0, json!({ "route_id": route["id"] })),
            item("track-0002-dddd", "track", t0, json!({ "patrol": key, "points": second })),
            item("track-0001-dddd", "track", t0, json!({ "patrol": key, "points": first })),
            item(
                "checkin-001-ddd",
                "checkin",
                t0,
                json!({ "patrol": key, "point": "东门", "lat": 30.2601, "lon": 120.1301 }),
            ),
            item(
                "checkin-002-ddd",
                "checkin",
                t0,
                json!({ "patrol": key, "point": "东门", "lat": 30.30, "lon": 120.13 }),
            ),
            item(
                "checkin-003-ddd",
                "checkin",
                t0,
                json!({ "patrol": key, "point": "西门", "lat": 30.26, "lon": 120.13 }),
            ),
            item("track-bad-00001", "track", t0, json!({ "patrol": key, "points": [[t0, 0.0, 0.0]] })),
            item(
                "track-bad-00002",
                "track",
                t0,
                json!({ "patrol": key, "points": [[t0, 30.26, 120.13], [0, 30.26, 120.13]] }),
            ),
        ],
    )
    .await;
    let st: Vec<&str> = r.iter().map(status).collect();
    assert_eq!(
        st,
        vec!["created", "created", "created", "created", "rejected", "rejected", "rejected", "rejected"],
        "{r:?}"
    );
    assert!(r[1]["message"].as_str().unwrap().contains("1 个定位点"), "the jump is named: {r:?}");
    assert_eq!(r[4]["error"]["code"], "rule_violated", "{r:?}");
    assert_eq!(r[5]["error"]["field"], "data.point");
    assert_eq!(r[6]["error"]["field"], "data.points[0]");
    assert_eq!(r[7]["error"]["field"], "data.points[1]", "a fix stamped 1970 is refused");
    // Replaying a batch adds no point.
    let r = sync(&gw, vec![item("track-0003-dddd", "track", t0, json!({ "patrol": key, "points": first }))]).await;
    assert_eq!(status(&r[0]), "created");
    // A phone that lost its own state learns the open patrol's key from "today".
    let (_, today) = gw.get("/api/v1/field/today").await;
    assert_eq!(today["open_patrol"]["key"], key, "{}", today["open_patrol"]);
    let r = sync(&gw, vec![item("patrol-end-0001", "patrol_end", t0 + 10 * 60_000, json!({ "patrol": key }))]).await;
    assert_eq!(status(&r[0]), "created", "{r:?}");

    let (_, log) = gw.get("/api/v1/field/log").await;
    let p = &log["patrols"][0];
    assert_eq!(p["points"], 11, "{p}");
    assert_eq!(p["flagged"], 1, "{p}");
    let d = p["distance_m"].as_f64().unwrap();
    assert!((d - 900.0).abs() < 20.0, "nine 100 m steps, the jump left out: {p}");
    assert_eq!(p["minutes"], 10, "{p}");
    assert_eq!(p["checkins"], json!(["东门"]), "{p}");

    // The month view shows the facts to the community, not to the worker.
    let (s, month) = community.get(&format!("/api/v1/field/workers?region={COMMUNITY1}")).await;
    assert_eq!(s, 200, "{month}");
    let row = month["items"].as_array().unwrap().iter().find(|w| w["username"] == "demo_grid_worker").unwrap();
    assert_eq!(row["patrols"], 1, "{row}");
    assert!(row["people_due"].as_i64().unwrap() > 0, "{row}");
    assert_eq!(row["grids"], json!([GRID1]));
    assert_error(&gw.get(&format!("/api/v1/field/workers?region={GRID1}")).await, 403, "forbidden", None);
    assert_field(&community.get(&format!("/api/v1/field/workers?region={COMMUNITY1}&month=11-2026")).await, "month");
    srv.finish().await;
}

/// A phone offline all day sends its patrol as many small batches in one request (the server keeps the track it
/// has written for the next batch instead of reading it back): the patrol comes out as if sent in one batch.
async fn small_track_batches_in_one_request(db: TestDb) {
    let srv = Server::demo(db);
    let gw = srv.login("demo_grid_worker", DEMO_PW).await;
    let t0 = now_ms() - 10 * 60_000;
    // Thirty fixes 10 s apart walking east about 20 m each, one of them 100 km off.
    let fix = |i: i64| json!([t0 + i * 10_000, if i == 17 { 31.26 } else { 30.26 }, 120.13 + 0.0002 * i as f64, 5.0]);
    let all: Vec<Value> = (0..30).map(fix).collect();
    let (batched, whole) = ("patrol-batched-01", "patrol-whole-0001");
    let mut items = vec![item(batched, "patrol_start", t0, json!({}))];
    for (b, chunk) in all.chunks(4).enumerate() {
        items.push(item(&format!("track-batched-{b:02}"), "track", t0, json!({ "patrol": batched, "points": chunk })));
    }
    // A batch sent again with other coordinates for the same times: the stored fixes stay.
    let moved: Vec<Value> = (8..12).map(|i| json!([t0 + i * 10_000, 30.27, 120.14])).collect();
    items.push(item("track-batched-again", "track", t0, json!({ "patrol": batched, "points": moved })));
    items.push(item("patrol-batched-end", "patrol_end", t0 + 300_000, json!({ "patrol": batched })));
    items.push(item(whole, "patrol_start", t0, json!({})));
    items.push(item("track-whole-00001", "track", t0, json!({ "patrol": whole, "points": all })));
    items.push(item("patrol-whole-end01", "patrol_end", t0 + 300_000, json!({ "patrol": whole })));
    let r = sync(&gw, items).await;
    assert!(r.iter().all(|r| status(r) == "created"), "{r:?}");
    let (_, log) = gw.get("/api/v1/field/log").await;
    let p = log["patrols"].as_array().unwrap();
    assert_eq!(p.len(), 2, "{log}");
    assert_eq!((p[0]["points"].as_i64(), p[0]["flagged"].as_i64()), (Some(30), Some(1)), "{log}");
    for k in ["points", "flagged", "distance_m", "minutes"] {
        assert_eq!(p[0][k], p[1][k], "{k}: {log}");
    }
    srv.finish().await;
}

async fn reassign_grid_when_a_worker_leaves(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let (s, u) = admin
        .post(
            "/api/v1/users",
            &json!({ "username": "new_worker", "display_name": "新网格员", "password": "new-worker-pass-1",
                "roles": [{ "role": "community", "region_code": "330199001002" }] }),
        )
        .await;
    assert_eq!(s, 201, "{u}");
    let community = srv.login("demo_community", DEMO_PW).await;
    // Bad input, each naming its field.
    let ok = json!({ "grid_code": GRID1, "from_user": "demo_grid_worker", "to_user": "new_worker" });
    for (field, value) in [("grid_code", "33019900100199"), ("from_user", "nobody"), ("to_user", "demo_grid_worker")] {
        let mut body = ok.clone();
        body[field] = json!(value);
        assert_field(&community.post("/api/v1/field/reassign", &body).await, field);
    }
    let gw = srv.login("demo_grid_worker", DEMO_PW).await;
    assert_error(&gw.post("/api/v1/field/reassign", &ok).await, 403, "forbidden", None);

    let (s, r) = community.post("/api/v1/field/reassign", &ok).await;
    assert_eq!(s, 204, "{r}");
    // The new worker's phone shows the grid at once; the leaving worker no longer has it.
    let nw = srv.login("new_worker", "new-worker-pass-1").await;
    let (s, today) = nw.get("/api/v1/field/today").await;
    assert_eq!(s, 200, "{today}");
    assert_eq!(today["grids"][0]["code"], GRID1);
    assert!(!today["visits"].as_array().unwrap().is_empty());
    let (s, _) = gw.get(&format!("/api/v1/field/today?grid={GRID1}")).await;
    assert_eq!(s, 404, "the grid left with its grant");
    // Doing it twice: the old worker is no longer on the grid.
    assert_field(&community.post("/api/v1/field/reassign", &ok).await, "from_user");
    let (_, audit) = admin.get("/api/v1/audit?action=reassign_grid").await;
    assert_eq!(audit["items"][0]["reason"], "demo_grid_worker → new_worker", "{audit}");
    srv.finish().await;
}

/// The month page for community staff, and the handover form: a refused handover comes back as typed with the
/// reason; grid workers do not get the page.
async fn month_page_and_handover_form(db: TestDb) {
    let srv = Server::demo(db);
    let (community, csrf) = page_login(&srv.base, "demo_community", DEMO_PW).await;
    let (s, html) = community.page(&format!("/field/workers?region={COMMUNITY1}")).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("网格员 刘芳") && html.contains(GRID1) && html.contains("网格移交"), "{html}");
    let (s, html) = community.page(&format!("/field/workers?region={COMMUNITY1}&month=2026-13")).await;
    assert_eq!(s, 400, "{html}");
    assert!(html.contains("月份"), "the error names the month: {html}");

    let post = |form: Vec<(&'static str, String)>| {
        let c = &community;
        async move {
            let r = c.http.post(c.url("/field/workers/reassign")).form(&form).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (s, html) = post(vec![
        ("csrf", csrf.clone()),
        ("region", COMMUNITY1.into()),
        ("grid_code", GRID1.into()),
        ("from_user", "demo_grid_worker".into()),
        ("to_user", "nobody_here".into()),
    ])
    .await;
    assert_eq!(s, 400, "{html}");
    assert!(html.contains("用户不存在") && html.contains("value=\"nobody_here\""), "kept as typed: {html}");
    let (s, _) = post(vec![
        ("csrf", "wrong".into()),
        ("region", COMMUNITY1.into()),
        ("grid_code", GRID1.into()),
        ("from_user", "demo_grid_worker".into()),
        ("to_user", "demo_grid_leader".into()),
    ])
    .await;
    assert_eq!(s, 403, "CSRF checked");
    let (gw, _) = page_login(&srv.base, "demo_grid_worker", DEMO_PW).await;
    assert_eq!(gw.page("/field/workers").await.0, 403);
    // The person page lists the person's visits.
    let gwa = srv.login("demo_grid_worker", DEMO_PW).await;
    let (_, today) = gwa.get("/api/v1/field/today").await;
    let visited = today["visits"].as_array().unwrap().iter().find(|d| d["last_visit_on"].is_string()).unwrap();
    let (s, html) = gw.page(&format!("/people/{}", visited["person_id"])).await;
    assert_eq!(s, 200);
    assert!(html.contains("走访记录") && html.contains(visited["last_visit_on"].as_str().unwrap()), "{html}");
    srv.finish().await;
}

both_backends!(
    month_page_and_handover_form,
    due_and_visits_exactly_once,
    every_kind_once_and_bad_items_named,
    clock_skew_is_corrected,
    patrols_tracks_and_checkins,
    small_track_batches_in_one_request,
    reassign_grid_when_a_worker_leaves
);
