//! 一表通 over HTTP on both backends: a table goes down with the register's values in it and asks only what the
//! register lacks; the grid worker answers on the phone's outbox (once, replays are duplicates); facts go back
//! into the register with history so the next table already knows them; the requester downloads the result in
//! their own template's layout (watermarked, audited); refusals (admission list, sensitive groups, scope) happen
//! before anything is sent; bad input is named field by field.

mod common;

use calamine::Reader;
use common::*;
use serde_json::{Value, json};
use wangge_testkit::TestDb;

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A valid 18-digit 身份证号 (Beijing Haidian, born 1950-03-08) with sequence `seq`.
fn id_number(seq: u32) -> String {
    let first17 = format!("11010819500308{seq:03}");
    let check = wangge_domain::idcard::check_digit(&first17).unwrap();
    format!("{first17}{check}")
}

async fn execute(db: &TestDb, statement: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&db.url).await.unwrap();
    sqlx::query(statement).execute(&pool).await.unwrap();
    pool.close().await;
}

async fn bytes(c: &Client, path: &str) -> (u16, Vec<u8>) {
    let r = c.request(reqwest::Method::GET, path).send().await.unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range(name).unwrap();
    range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

async fn sync(c: &Client, items: Vec<Value>) -> Vec<Value> {
    let (s, r) = c.post("/api/v1/field/sync", &json!({ "client_now": now_ms(), "items": items })).await;
    assert_eq!(s, 200, "{r}");
    r["results"].as_array().unwrap().clone()
}

fn answer(key: &str, row: i64, values: Value) -> Value {
    json!({ "key": key, "kind": "data_answer", "at": now_ms(), "data": { "row_id": row, "values": values } })
}

/// Registers a disabled person of 60+ in the grid worker's grid with no phone and no employment on record.
async fn known_subject(worker: &Client) -> (i64, String) {
    let mine = worker.all_items("/api/v1/people").await;
    let head = mine.iter().find(|p| p["household_id"].is_i64()).unwrap().clone();
    let (_, hh) = worker.get(&format!("/api/v1/households/{}", head["household_id"])).await;
    let id = id_number(418);
    let (s, p) = worker
        .post(
            "/api/v1/people",
            &json!({ "name": "邢桂兰", "id_number": id, "ethnicity": "汉族", "population_type": "户籍人口",
                "relation": "母亲", "household_number": hh["number"], "gender": "女", "birth_date": "1950-03-08" }),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let pid = p["id"].as_i64().unwrap();
    let (s, t) = worker
        .put(
            &format!("/api/v1/people/{pid}/tags/disabled"),
            &json!({ "data": { "category": "肢体", "grade": "二级" } }),
        )
        .await;
    assert_eq!(s, 200, "{t}");
    (pid, id)
}

fn table(region: &str) -> Value {
    json!({
        "title": "残疾人康复需求专项调查", "department_code": "canlian", "item_code": "CL-ZR-01",
        "region_code": region, "population": "people", "tag": "disabled", "due_on": "2099-12-31",
        "columns": [
            { "field": "seq" }, { "field": "name" }, { "field": "id_number" }, { "field": "phone" },
            { "field": "tag:disabled.grade", "label": "残疾等级" }, { "field": "employment" },
            { "label": "是否需要康复服务", "type": "yes_no", "required": true },
            { "label": "月收入（元）", "type": "number" },
        ],
    })
}

async fn a_table_goes_down_prefilled_and_comes_back(db: TestDb) {
    let srv = Server::demo(db);
    let street = srv.login("demo_street", DEMO_PW).await;
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    let community = srv.login("demo_community", DEMO_PW).await;
    let (pid, id) = known_subject(&worker).await;

    let (s, r) = street.post("/api/v1/data-requests", &table(COMMUNITY1)).await;
    assert_eq!(s, 201, "{r}");
    let rid = r["id"].as_i64().unwrap();
    let rows = r["rows"].as_i64().unwrap();
    assert!(rows > 1, "{r}");
    assert_eq!(r["answered"], 0);
    assert!(r["progress"].as_array().unwrap().iter().all(|p| p["community_code"] == COMMUNITY1), "{r}");
    // Every row asks the two extra columns; the rest is what the register lacks.
    let all = street.all_items(&format!("/api/v1/data-requests/{rid}/rows")).await;
    assert_eq!(all.len() as i64, rows);
    let asked: usize = all.iter().map(|x| x["ask"].as_array().unwrap().len()).sum();
    assert_eq!(r["asked_cells"].as_i64().unwrap() as usize, asked);
    assert!(all.iter().all(|x| x["ask"].as_array().unwrap().len() >= 2));
    // The subject registered above: name, masked number and grade pre-filled; phone and employment asked.
    let mine =
        all.iter().find(|x| x["label"].as_str().unwrap().starts_with("邢桂兰")).expect("the new person has a row");
    assert_eq!(mine["values"]["name"], "邢桂兰");
    assert_eq!(mine["values"]["tag:disabled.grade"], "二级");
    assert_eq!(mine["values"]["id_number"].as_str().unwrap(), format!("{}********{}", &id[..6], &id[14..]));
    assert_eq!(mine["ask"], json!(["phone", "employment", "x1", "x2"]), "{mine}");
    assert_eq!(mine["correctable"], json!(["tag:disabled.grade"]), "{mine}");
    // Per row: seq, name, id, grade known (4) of 6 register columns; phone and employment asked, plus 2 extras.
    let row = mine["id"].as_i64().unwrap();
    let prefilled: i64 = all.iter().map(|x| x["values"].as_object().unwrap().len() as i64).sum();
    assert_eq!(r["prefilled_cells"].as_i64().unwrap(), prefilled);

    // The community sees the table as a task pushed under the admission list.
    let (_, tasks) = community.get("/api/v1/community-tasks?status=pushed&limit=100").await;
    assert!(
        tasks["items"].as_array().unwrap().iter().any(|t| t["kind"] == "data_request" && t["item_code"] == "CL-ZR-01")
    );

    // The grid worker's day lists only rows of their grid.
    let (_, today) = worker.get("/api/v1/field/today").await;
    let t = today["data_requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == rid)
        .expect("the table is on the phone")
        .clone();
    assert!(t["rows"].as_array().unwrap().iter().all(|x| x["grid_code"] == GRID1), "{t}");
    assert!(t["rows"].as_array().unwrap().iter().any(|x| x["id"] == row));

    // Bad answers name the column and change nothing.
    let bad = sync(
        &worker,
        vec![
            answer("dr-bad-0001", row, json!({ "x1": "是", "x2": "一千二" })),
            answer("dr-bad-0002", row, json!({ "x1": "是", "name": "邢桂芳" })),
            answer("dr-bad-0003", row, json!({ "x2": "1200" })),
            answer("dr-bad-0004", row, json!({ "x1": "是", "nope": "1" })),
            answer("dr-bad-0005", row, json!({ "x1": "是", "phone": "12345" })),
        ],
    )
    .await;
    let fields: Vec<&str> = bad.iter().map(|b| b["error"]["field"].as_str().unwrap_or("")).collect();
    assert!(bad.iter().all(|b| b["status"] == "rejected"), "{bad:?}");
    assert_eq!(fields, ["values.x2", "values.name", "values.x1", "values.nope", "values.phone"]);

    // The answer from the phone's outbox: once, a replay is a duplicate.
    let item = answer(
        "dr-answer-0001",
        row,
        json!({ "phone": "13800138000", "employment": "退休", "x1": "是", "x2": "1200" }),
    );
    let first = sync(&worker, vec![item.clone()]).await;
    assert_eq!(first[0]["status"], "created", "{first:?}");
    assert_eq!(sync(&worker, vec![item]).await[0]["status"], "duplicate");
    // Facts went back into the register, with history.
    let (_, p) = worker.get(&format!("/api/v1/people/{pid}")).await;
    assert_eq!(p["phone"], "138****8000", "{p}");
    assert_eq!(p["employment"], "退休");
    assert!(
        p["history"].as_array().unwrap().iter().any(|h| h["note"].as_str().unwrap_or("").contains("一表通")),
        "{p}"
    );
    // Another grid's row is not the worker's to answer.
    let theirs = all.iter().find(|x| x["grid_code"] != GRID1);
    if let Some(x) = theirs {
        let r = worker
            .post(&format!("/api/v1/data-requests/rows/{}/answer", x["id"]), &json!({ "values": { "x1": "否" } }))
            .await;
        assert_error(&r, 404, "not_found", None);
    }

    // An answer after the deadline is taken and flagged.
    execute(srv.db(), &format!("UPDATE data_requests SET due_on = '2020-01-01' WHERE id = {rid}")).await;
    let other = all.iter().find(|x| x["grid_code"] == GRID1 && x["id"] != row).unwrap();
    let (s, late) = worker
        .post(&format!("/api/v1/data-requests/rows/{}/answer", other["id"]), &json!({ "values": { "x1": "否" } }))
        .await;
    assert_eq!(s, 200, "{late}");
    assert_eq!(late["late"], true);
    assert_eq!(late["status"], "answered");
    execute(srv.db(), &format!("UPDATE data_requests SET due_on = '2099-12-31' WHERE id = {rid}")).await;

    // The requester's download: their columns in their order; the street may see full numbers.
    let (s, xlsx) = bytes(&street, &format!("/api/v1/data-requests/{rid}/result.xlsx")).await;
    assert_eq!(s, 200);
    let data = sheet(&xlsx, "数据");
    assert_eq!(
        data[0],
        ["序号", "姓名", "公民身份号码", "联系电话", "残疾等级", "就业状况", "是否需要康复服务", "月收入（元）"]
    );
    let line = data.iter().find(|l| l[1] == "邢桂兰").unwrap();
    assert_eq!(line[2..], [id.clone(), "13800138000".into(), "二级".into(), "退休".into(), "是".into(), "1200".into()]);
    assert_eq!(data.len() as i64, rows + 1);
    assert_eq!(data[1][0], "1");
    let info = sheet(&xlsx, "导出信息");
    assert!(info[0][0].contains("导出人") && info[0][0].contains("demo_street"), "{info:?}");
    let status = sheet(&xlsx, "填报情况");
    assert_eq!(status.iter().filter(|l| l[3] == "已填报").count(), 2);
    assert_eq!(status.iter().filter(|l| l[6] == "是").count(), 1, "one late answer");
    let (_, audit) = srv.admin().await.get("/api/v1/audit?limit=50").await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "export" && a["object"] == format!("data_request:{rid}")),
        "{audit}"
    );
    // A grid worker may not download the table.
    assert_eq!(bytes(&worker, &format!("/api/v1/data-requests/{rid}/result.xlsx")).await.0, 403);

    // 只报一次: the next table already knows the phone.
    let mut next = table(GRID1);
    next["title"] = json!("残疾人联系电话核对");
    next["columns"] = json!([{ "field": "name" }, { "field": "phone" }]);
    let (s, n) = street.post("/api/v1/data-requests", &next).await;
    assert_eq!(s, 201, "{n}");
    let again = street.all_items(&format!("/api/v1/data-requests/{}/rows", n["id"])).await;
    let mine = again.iter().find(|x| x["label"].as_str().unwrap().starts_with("邢桂兰")).unwrap();
    assert_eq!(mine["values"]["phone"], "138****8000");
    assert_eq!(mine["ask"], json!([]));
    // Nothing to add: the worker confirms the row as it is.
    let (s, ok) =
        worker.post(&format!("/api/v1/data-requests/rows/{}/answer", mine["id"]), &json!({ "values": {} })).await;
    assert_eq!(s, 200, "{ok}");
    assert_eq!(ok["status"], "answered");

    // The report counts both tables' cells.
    let (_, rep) = street.get("/api/v1/data-requests/report").await;
    let total = &rep["total"];
    assert_eq!(total["requests"], 2);
    assert_eq!(
        total["prefilled_cells"].as_i64().unwrap(),
        r["prefilled_cells"].as_i64().unwrap() + n["prefilled_cells"].as_i64().unwrap()
    );
    assert!(total["prefilled_percent"].as_f64().unwrap() > 0.0);
    srv.finish().await;
}

async fn refused_before_anything_is_sent(db: TestDb) {
    let srv = Server::demo(db);
    let street = srv.login("demo_street", DEMO_PW).await;
    let minzheng = srv.login("demo_minzheng", DEMO_PW).await;
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    let community = srv.login("demo_community", DEMO_PW).await;
    let count = |c: Value| c.as_array().map(|a| a.len()).unwrap_or(0);
    let before = count(street.get("/api/v1/data-requests").await.1);

    // Not on the admission list: 422 naming the item, the refusal recorded for the community.
    let mut b = table(COMMUNITY1);
    b["item_code"] = json!("CL-ZR-99");
    let r = street.post("/api/v1/data-requests", &b).await;
    assert_error(&r, 422, "rule_violated", Some("item_code"));
    assert_eq!(r.1["error"]["details"]["reason"], "not_listed");
    let (_, refused) = community.get("/api/v1/community-tasks?status=refused&limit=100").await;
    assert!(
        refused["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "data_request" && t["item_code"] == "CL-ZR-99")
    );
    // A department speaks only for itself.
    let mut b = table(COMMUNITY1);
    b["department_code"] = json!("canlian");
    assert_error(&minzheng.post("/api/v1/data-requests", &b).await, 403, "forbidden", None);
    // Sensitive groups need the permission, as a filter or as a column.
    let mut b = table(COMMUNITY1);
    b["department_code"] = json!("minzheng");
    b["item_code"] = json!("MZ-ZR-01");
    b["tag"] = json!("community_correction");
    assert_error(&minzheng.post("/api/v1/data-requests", &b).await, 403, "forbidden", None);
    b["tag"] = Value::Null;
    b["columns"] = json!([{ "field": "name" }, { "field": "tag:mental_disorder.risk_level" }]);
    assert_error(&minzheng.post("/api/v1/data-requests", &b).await, 403, "forbidden", None);
    // Outside the caller's area; a role that may not send tables.
    assert_error(&street.post("/api/v1/data-requests", &table(STREET2)).await, 404, "not_found", None);
    assert_error(&worker.post("/api/v1/data-requests", &table(GRID1)).await, 403, "forbidden", None);
    assert_error(&community.post("/api/v1/data-requests", &table(COMMUNITY1)).await, 403, "forbidden", None);

    // Bad fields, each named.
    let with = |path: &[&str], v: Value| {
        let mut b = table(COMMUNITY1);
        let mut at = &mut b;
        for (i, p) in path.iter().enumerate() {
            if i + 1 == path.len() {
                match p.parse::<usize>() {
                    Ok(n) => at[n] = v.clone(),
                    Err(_) => at[*p] = v.clone(),
                }
            } else if let Ok(n) = p.parse::<usize>() {
                at = &mut at[n];
            } else {
                at = &mut at[*p];
            }
        }
        b
    };
    for (body, field) in [
        (with(&["title"], json!(" ")), "title"),
        (with(&["due_on"], json!("2020-01-01")), "due_on"),
        (with(&["due_on"], json!("明天")), "due_on"),
        (with(&["population"], json!("cars")), "population"),
        (with(&["tag"], json!("no_such_tag")), "tag"),
        (with(&["columns"], json!([])), "columns"),
        (with(&["columns", "0", "field"], json!("shoe_size")), "columns[0].field"),
        (with(&["columns", "6", "type"], json!("colour")), "columns[6].type"),
        (
            with(&["columns", "7"], json!({ "label": "户型", "type": "choice", "options": ["一室"] })),
            "columns[7].options",
        ),
        (with(&["columns", "7"], json!({ "type": "text" })), "columns[7].label"),
        (with(&["columns", "7"], json!({ "field": "name" })), "columns[7].label"),
        (with(&["house_usage"], json!("出租")), "house_usage"),
        (with(&["item_code"], json!("")), "item_code"),
        (with(&["region_code"], json!("")), "region_code"),
    ] {
        let r = street.post("/api/v1/data-requests", &body).await;
        assert_field(&r, field);
    }
    let mut houses = table(COMMUNITY1);
    houses["population"] = json!("houses");
    assert_field(&street.post("/api/v1/data-requests", &houses).await, "tag");
    assert_eq!(count(street.get("/api/v1/data-requests").await.1), before, "nothing was sent");

    // A table of 出租屋 for 公安 by the street: houses, one use.
    let (s, h) = street
        .post(
            "/api/v1/data-requests",
            &json!({ "title": "出租房屋信息核查", "department_code": "gongan", "item_code": "GA-ZR-01",
                "region_code": COMMUNITY1, "population": "houses", "house_usage": "出租", "due_on": "2099-12-31",
                "columns": [{ "field": "address" }, { "field": "owner" }, { "field": "usage" }, { "field": "occupants" },
                    { "label": "承租人数", "type": "number", "required": true }] }),
        )
        .await;
    assert_eq!(s, 201, "{h}");
    let rows = street.all_items(&format!("/api/v1/data-requests/{}/rows", h["id"])).await;
    assert!(rows.iter().all(|x| x["values"]["usage"] == "出租"), "only rented houses");
    // The worker corrects a house's use: the register follows.
    if let Some(x) = rows.iter().find(|x| x["grid_code"] == GRID1) {
        let (s, a) = worker
            .post(
                &format!("/api/v1/data-requests/rows/{}/answer", x["id"]),
                &json!({ "values": { "usage": "空置", "x1": 0 } }),
            )
            .await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["values"]["usage"], "空置");
    }
    // A leader reads no register: no rows of tables that landed in their area.
    let leader = srv.login("demo_leader", DEMO_PW).await;
    assert_error(&leader.get(&format!("/api/v1/data-requests/{}/rows", h["id"])).await, 404, "not_found", None);
    // A table with a sensitive column, sent by the street for 民政: 民政's staff may not read it.
    let (s, sens) = street
        .post(
            "/api/v1/data-requests",
            &json!({ "title": "精神障碍患者监护情况", "department_code": "minzheng", "item_code": "MZ-ZR-01",
                "region_code": GRID1, "population": "people", "due_on": "2099-12-31",
                "columns": [{ "field": "name" }, { "field": "tag:mental_disorder.guardian" }] }),
        )
        .await;
    assert_eq!(s, 201, "{sens}");
    assert_error(&minzheng.get(&format!("/api/v1/data-requests/{}", sens["id"])).await, 403, "forbidden", None);
    let (_, list) = minzheng.get("/api/v1/data-requests").await;
    assert!(!list.as_array().unwrap().iter().any(|r| r["id"] == sens["id"]), "{list}");
    // Other people's tables: 404; the community sees its part only; a department sees its own.
    let (_, list) = minzheng.get("/api/v1/data-requests").await;
    assert!(list.as_array().unwrap().iter().all(|r| r["department_code"] == "minzheng"), "{list}");
    assert_error(&minzheng.get(&format!("/api/v1/data-requests/{}", h["id"])).await, 404, "not_found", None);
    let (s, seen) = community.get(&format!("/api/v1/data-requests/{}", h["id"])).await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(seen["can_export"], false);
    assert_error(&street.get("/api/v1/data-requests/999999").await, 404, "not_found", None);
    assert_field(&street.get("/api/v1/data-requests?month=12-2026").await, "month");
    assert_field(&street.get(&format!("/api/v1/data-requests/{}/rows?status=maybe", h["id"])).await, "status");
    srv.finish().await;
}

/// The requester's own Excel template: title rows kept, headers matched or asked, explained cell by cell.
async fn the_requesters_template_round_trips(db: TestDb) {
    let srv = Server::demo(db);
    let street = srv.login("demo_street", DEMO_PW).await;
    let upload = |bytes: Vec<u8>| {
        let street = &street;
        async move {
            let boundary = "wanggeTemplateBoundary";
            let mut body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .into_bytes();
            body.extend_from_slice(&bytes);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            let r = street
                .request(reqwest::Method::POST, "/api/v1/data-requests/template?population=people")
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(body)
                .send()
                .await
                .unwrap();
            into_resp(r).await
        }
    };
    let workbook = |headers: &[&str]| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "清河街道独居老人冬季安全排查表").unwrap();
        ws.write_string(1, 0, "填报单位：").unwrap();
        ws.write_string(1, 3, "填报日期：").unwrap();
        for (i, h) in headers.iter().enumerate() {
            ws.write_string(2, i as u16, *h).unwrap();
        }
        wb.save_to_buffer().unwrap()
    };
    // A gap and a repeat in the header are named by cell; nothing is read.
    let r = upload(workbook(&["序号", "姓名", "", "身份证号", "姓名"])).await;
    assert_field(&r, "file");
    let cells: Vec<&str> =
        r.1["error"]["details"]["cells"].as_array().unwrap().iter().map(|c| c["cell"].as_str().unwrap()).collect();
    assert_eq!(cells, ["C3", "E3"], "{}", r.1);
    assert_field(&upload(b"not a workbook".to_vec()).await, "file");
    // A table starting in column B is fine; two headers for the same register field are named.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (i, h) in ["姓名", "身份证号", "公民身份号码"].iter().enumerate() {
        ws.write_string(2, 1 + i as u16, *h).unwrap();
    }
    let r = upload(wb.save_to_buffer().unwrap()).await;
    assert_field(&r, "file");
    let cells: Vec<&str> =
        r.1["error"]["details"]["cells"].as_array().unwrap().iter().map(|c| c["cell"].as_str().unwrap()).collect();
    assert_eq!(cells, ["D3"], "{}", r.1);

    let (s, p) = upload(workbook(&["序号", "姓名", "身份证号*", "手机号码", "是否有取暖设备", "残疾等级"])).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["header_row"], 3);
    let fields: Vec<Value> = p["cells"].as_array().unwrap().iter().map(|c| c["field"].clone()).collect();
    assert_eq!(
        fields,
        [json!("seq"), json!("name"), json!("id_number"), json!("phone"), Value::Null, json!("tag:disabled.grade")]
    );
    assert!(p["cells"][4]["explanation"].as_str().unwrap().contains("补充列"), "{p}");
    assert_eq!(p["title_rows"][0][0], "清河街道独居老人冬季安全排查表");

    let body = json!({ "title": "独居老人冬季安全排查", "department_code": "minzheng", "item_code": "MZ-ZR-02",
        "region_code": GRID1, "population": "people", "tag": "elderly", "due_on": "2099-12-31",
        "columns": p["columns"], "title_rows": p["title_rows"] });
    let (s, r) = street.post("/api/v1/data-requests", &body).await;
    assert_eq!(s, 201, "{r}");
    let (_, xlsx) = bytes(&street, &format!("/api/v1/data-requests/{}/result.xlsx", r["id"])).await;
    let data = sheet(&xlsx, "数据");
    assert_eq!(data[0][0], "清河街道独居老人冬季安全排查表");
    assert_eq!(data[1][3], "填报日期：");
    assert_eq!(data[2], ["序号", "姓名", "身份证号*", "手机号码", "是否有取暖设备", "残疾等级"]);
    assert_eq!(data.len() as i64, 3 + r["rows"].as_i64().unwrap());
    srv.finish().await;
}

both_backends!(
    a_table_goes_down_prefilled_and_comes_back,
    refused_before_anything_is_sent,
    the_requesters_template_round_trips
);
