//! The region tree over the API: lists, detail with counts, grid maps, paging, creating regions (DESIGN.md §2, §4).

mod common;

use common::*;
use serde_json::{Value, json};
use wangge_testkit::TestDb;

fn count(v: &Value, k: &str) -> i64 {
    v[k].as_i64().unwrap_or_else(|| panic!("{k} is not a number in {v}"))
}

async fn tree_and_counts(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;

    // Top regions: a paged list with the demo district.
    let (s, list) = admin.get("/api/v1/regions").await;
    assert_eq!(s, 200, "{list}");
    assert!(
        list["items"].is_array() && list.get("next_cursor").is_some() && list["total"].is_i64(),
        "page shape: {list}"
    );
    let items = list["items"].as_array().unwrap();
    assert_eq!(codes(items), vec![DISTRICT]);
    assert_eq!(items[0]["name"], DISTRICT_NAME);
    assert_eq!(list["total"], 1);

    // The district with its streets and counts.
    let (s, d) = admin.get("/api/v1/regions/330199").await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["code"], DISTRICT);
    assert_eq!(d["name"], DISTRICT_NAME);
    assert_eq!(d["level"], "district");
    assert!(d["parent_code"].is_null());
    assert!(count(&d, "households") > 0 && count(&d, "residents") > 0, "{d}");
    assert!(count(&d, "residents") >= count(&d, "households"), "every household has a resident: {d}");
    assert_eq!(count(&d, "grids"), 8);
    let children = d["children"].as_array().expect("children");
    assert_eq!(codes(children), vec![STREET1, STREET2]);
    for k in ["households", "residents", "grids"] {
        let sum: i64 = children.iter().map(|c| count(c, k)).sum();
        assert_eq!(sum, count(&d, k), "children's {k} add up to the district's");
        assert!(children.iter().all(|c| count(c, k) > 0), "every street has {k}: {children:?}");
    }
    for c in children {
        assert_eq!(c["level"], "street");
        assert!(c["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert_eq!(count(c, "grids"), 4);
    }

    // Each street agrees with the row its parent showed, and so on down to the grids.
    for street in children {
        let code = street["code"].as_str().unwrap();
        let (s, sd) = admin.get(&format!("/api/v1/regions/{code}")).await;
        assert_eq!(s, 200);
        assert_eq!(sd["parent_code"], DISTRICT);
        for k in ["households", "residents", "grids"] {
            assert_eq!(count(&sd, k), count(street, k), "{code} {k}");
        }
        let comms = sd["children"].as_array().unwrap();
        assert_eq!(comms.len(), 2);
        for k in ["households", "residents", "grids"] {
            assert_eq!(comms.iter().map(|c| count(c, k)).sum::<i64>(), count(&sd, k), "{code} children {k}");
        }
        assert_eq!(sd["path"].as_array().map(|p| codes(p)), Some(vec![DISTRICT.to_string()]), "breadcrumbs: {sd}");
    }
    let (_, g) = admin.get(&format!("/api/v1/regions/{GRID1}")).await;
    assert_eq!(g["level"], "grid");
    assert_eq!(g["parent_code"], COMMUNITY1);
    assert_eq!(count(&g, "grids"), 1);
    assert_eq!(g["children"], json!([]));
    assert!(g["boundary"]["type"].is_string(), "a grid has its boundary: {g}");

    // Unknown region: 404 in the error shape.
    assert_error(&admin.get("/api/v1/regions/330199999").await, 404, "not_found", None);
    assert_error(&admin.get("/api/v1/regions/330199999/grids.geojson").await, 404, "not_found", None);
    assert_error(&admin.get("/api/v1/regions/abc").await, 404, "not_found", None);

    // The grid map of the district and of a street.
    let r = admin.request(reqwest::Method::GET, "/api/v1/regions/330199/grids.geojson").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(ct.starts_with("application/geo+json"), "content type {ct}");
    let fc: Value = r.json().await.unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), 8);
    let mut fcodes: Vec<&str> = features.iter().map(|f| f["properties"]["code"].as_str().unwrap()).collect();
    fcodes.sort();
    assert_eq!(fcodes, DEMO_GRIDS.to_vec());
    for f in features {
        assert_eq!(f["type"], "Feature");
        assert!(f["properties"]["name"].as_str().is_some_and(|n| !n.is_empty()), "{}", f["properties"]);
        assert!(matches!(f["geometry"]["type"].as_str(), Some("Polygon" | "MultiPolygon")));
    }
    let (s, fc) = admin.get("/api/v1/regions/330199002/grids.geojson").await;
    assert_eq!(s, 200);
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), 4);
    assert!(features.iter().all(|f| f["properties"]["code"].as_str().unwrap().starts_with(STREET2)));
    let (_, fc) = admin.get(&format!("/api/v1/regions/{GRID1}/grids.geojson")).await;
    assert_eq!(fc["features"].as_array().unwrap().len(), 1, "a grid's map is that grid");

    srv.finish().await;
}

async fn paging(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    for (code, name) in [("330198", "北岸区"), ("330197", "南岸区")] {
        let (s, b) = admin.post("/api/v1/regions", &json!({ "code": code, "name": name })).await;
        assert_eq!(s, 201, "{b}");
    }
    // limit=1 walks the three districts one by one.
    let mut seen = Vec::new();
    let mut path = "/api/v1/regions?limit=1".to_string();
    for _ in 0..5 {
        let (s, page) = admin.get(&path).await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(page["total"], 3);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 1);
        seen.extend(codes(items));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/regions?limit=1&cursor={c}"),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, vec!["330197", "330198", "330199"], "every district once: {seen:?}");
    assert_eq!(seen.len(), 3, "no repeats: {seen:?}");
    let (_, first) = admin.get("/api/v1/regions?limit=1").await;
    assert!(first["next_cursor"].is_string(), "a full page has a next_cursor: {first}");
    let (_, all) = admin.get("/api/v1/regions?limit=500").await;
    assert!(all["next_cursor"].is_null(), "the last page has none: {all}");
    assert_eq!(all["items"].as_array().unwrap().len(), 3);

    // Bad paging parameters name the field.
    for bad in ["limit=0", "limit=501", "limit=-1", "limit=abc", "limit=1.5"] {
        assert_field(&admin.get(&format!("/api/v1/regions?{bad}")).await, "limit");
    }
    assert_field(&admin.get("/api/v1/regions?colour=red").await, "colour");
    assert_field(&admin.get("/api/v1/users?limit=0").await, "limit");
    assert_field(&admin.get("/api/v1/audit?limit=501").await, "limit");
    assert_field(&admin.get("/api/v1/audit?cursor=abc").await, "cursor");

    srv.finish().await;
}

async fn create(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let boundary = square(120.2, 30.30, 0.004);

    // A new street with a boundary.
    let (s, r) = admin
        .post(
            "/api/v1/regions",
            &json!({ "code": "330199003", "name": "新城街道", "parent_code": DISTRICT, "boundary": boundary }),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["code"], "330199003");
    assert_eq!(r["level"], "street");
    assert_eq!(r["parent_code"], DISTRICT);
    assert_eq!(r["boundary"]["type"], "MultiPolygon", "stored as a MultiPolygon: {r}");
    let (_, d) = admin.get("/api/v1/regions/330199").await;
    assert_eq!(codes(d["children"].as_array().unwrap()), vec![STREET1, STREET2, "330199003"]);
    assert_eq!(d["grids"], 8, "a street adds no grid");

    // Duplicate code → 409, and the original is unchanged.
    let dup =
        admin.post("/api/v1/regions", &json!({ "code": "330199003", "name": "另一个", "parent_code": DISTRICT })).await;
    assert_error(&dup, 409, "conflict", None);
    let dup =
        admin.post("/api/v1/regions", &json!({ "code": STREET1, "name": "另一个", "parent_code": DISTRICT })).await;
    assert_error(&dup, 409, "conflict", None);
    let (_, st) = admin.get("/api/v1/regions/330199003").await;
    assert_eq!(st["name"], "新城街道");

    // Bad inputs: 400 naming the field, and nothing written.
    let bowtie = json!({ "type": "Polygon", "coordinates": [[[120.0, 30.0], [120.01, 30.01], [120.01, 30.0], [120.0, 30.01], [120.0, 30.0]]] });
    let unclosed =
        json!({ "type": "Polygon", "coordinates": [[[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, 30.01]]] });
    let too_few = json!({ "type": "Polygon", "coordinates": [[[120.0, 30.0], [120.01, 30.0], [120.0, 30.0]]] });
    let point = json!({ "type": "Point", "coordinates": [120.0, 30.0] });
    let out_of_range =
        json!({ "type": "Polygon", "coordinates": [[[200.0, 30.0], [201.0, 30.0], [201.0, 31.0], [200.0, 30.0]]] });
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({ "code": "330198004", "name": "错位街道", "parent_code": DISTRICT }), "parent_code", "330198004"),
        (json!({ "code": "330199004", "name": "错位街道", "parent_code": "330198" }), "parent_code", "330199004"),
        (json!({ "code": "330199004", "name": "无上级街道" }), "parent_code", "330199004"),
        (json!({ "code": "33019900a", "name": "字母街道", "parent_code": DISTRICT }), "code", "33019900a"),
        (json!({ "code": "33019900", "name": "八位", "parent_code": DISTRICT }), "code", "33019900"),
        (json!({ "code": "", "name": "空", "parent_code": DISTRICT }), "code", "330199005"),
        (json!({ "code": "330199005", "name": "  ", "parent_code": DISTRICT }), "name", "330199005"),
        (
            json!({ "code": "330199005", "name": "自交", "parent_code": DISTRICT, "boundary": bowtie }),
            "boundary",
            "330199005",
        ),
        (
            json!({ "code": "330199005", "name": "未闭合", "parent_code": DISTRICT, "boundary": unclosed }),
            "boundary",
            "330199005",
        ),
        (
            json!({ "code": "330199005", "name": "三点", "parent_code": DISTRICT, "boundary": too_few }),
            "boundary",
            "330199005",
        ),
        (
            json!({ "code": "330199005", "name": "点", "parent_code": DISTRICT, "boundary": point }),
            "boundary",
            "330199005",
        ),
        (
            json!({ "code": "330199005", "name": "越界", "parent_code": DISTRICT, "boundary": out_of_range }),
            "boundary",
            "330199005",
        ),
        (
            json!({ "code": "330199005", "name": "坏几何", "parent_code": DISTRICT, "boundary": "POLYGON((0 0))" }),
            "boundary",
            "330199005",
        ),
        (
            json!({ "code": "330199005", "name": "多余", "parent_code": DISTRICT, "colour": "red" }),
            "colour",
            "330199005",
        ),
        (json!({ "code": 330199005, "name": "数字", "parent_code": DISTRICT }), "code", "330199005"),
        (json!({ "name": "缺编码", "parent_code": DISTRICT }), "code", "330199005"),
    ];
    for (body, field, code) in cases {
        let r = admin.post("/api/v1/regions", &body).await;
        assert_field(&r, field);
        assert!(!r.1.to_string().contains("internal"), "{}", r.1);
        if !code.is_empty() {
            assert_eq!(admin.get(&format!("/api/v1/regions/{code}")).await.0, 404, "nothing written for {body}");
        }
    }
    // A parent that does not exist.
    let r = admin
        .post("/api/v1/regions", &json!({ "code": "330199009001", "name": "孤儿社区", "parent_code": "330199009" }))
        .await;
    assert_field(&r, "parent_code");
    assert_eq!(admin.get("/api/v1/regions/330199009001").await.0, 404);
    let (_, d) = admin.get("/api/v1/regions/330199").await;
    assert_eq!(d["children"].as_array().unwrap().len(), 3, "still three streets: {d}");

    // A grid drawn through the API is found by locate at once.
    let (lon, lat) = (120.25, 30.35);
    assert_eq!(admin.get(&locate_path(lon, lat, None)).await.0, 404, "no grid there yet");
    let grid = json!({ "code": "33019900100109", "name": "新画网格", "parent_code": COMMUNITY1, "boundary": square(lon, lat, 0.002) });
    let (s, g) = admin.post("/api/v1/regions", &grid).await;
    assert_eq!(s, 201, "{g}");
    assert_eq!(g["level"], "grid");
    let (s, at) = admin.get(&locate_path(lon, lat, None)).await;
    assert_eq!((s, &at["grid_code"]), (200, &json!("33019900100109")), "{at}");
    let (_, c) = admin.get(&format!("/api/v1/regions/{COMMUNITY1}")).await;
    assert_eq!(count(&c, "grids"), 3);
    let (_, d) = admin.get("/api/v1/regions/330199").await;
    assert_eq!(count(&d, "grids"), 9);
    let (_, fc) = admin.get(&format!("/api/v1/regions/{COMMUNITY1}/grids.geojson")).await;
    assert_eq!(fc["features"].as_array().unwrap().len(), 3);

    // Audit: each creation is recorded.
    let (_, a) = admin.get("/api/v1/audit?action=create&actor=admin").await;
    let objects: Vec<&str> = a["items"].as_array().unwrap().iter().filter_map(|i| i["object"].as_str()).collect();
    assert!(objects.contains(&"region:330199003") && objects.contains(&"region:33019900100109"), "{objects:?}");
    assert!(
        !objects.iter().any(|o| o.contains("330199005")),
        "failed writes are not audited as creations: {objects:?}"
    );

    srv.finish().await;
}

both_backends!(tree_and_counts, paging, create);
