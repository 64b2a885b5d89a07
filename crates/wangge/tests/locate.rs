//! Point → grid (DESIGN.md §2, §4): WGS84, GCJ-02 and BD-09 input, bad parameters, scope.

mod common;

use common::*;
use serde_json::json;
use wangge_domain::coord::{Crs, from_wgs84};
use wangge_testkit::TestDb;

async fn locate(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let (s, fc) = admin.get("/api/v1/regions/330199/grids.geojson").await;
    assert_eq!(s, 200);
    let points = grid_points(&fc);
    assert_eq!(points.len(), 8);

    // Every grid is found from a point inside it, in each coordinate system.
    for (code, (lon, lat)) in &points {
        for crs in [None, Some("wgs84"), Some("WGS84")] {
            let (s, r) = admin.get(&locate_path(*lon, *lat, crs)).await;
            assert_eq!(s, 200, "{code} {crs:?}: {r}");
            assert_eq!(r["grid_code"], code.as_str(), "{crs:?} at ({lon}, {lat})");
        }
        for (crs, name) in [(Crs::Gcj02, "gcj02"), (Crs::Bd09, "bd09")] {
            let (x, y) = from_wgs84(crs, *lon, *lat);
            assert!((x - lon).abs() > 1e-4 || (y - lat).abs() > 1e-4, "{name} differs from WGS84 in China");
            let (s, r) = admin.get(&locate_path(x, y, Some(name))).await;
            assert_eq!(s, 200, "{code} {name}: {r}");
            assert_eq!(r["grid_code"], code.as_str(), "{name} ({x}, {y}) for WGS84 ({lon}, {lat})");
        }
    }
    // The raw GCJ-02 coordinates read as WGS84 are hundreds of metres off: not the same grid.
    let (code, (lon, lat)) = &points[0];
    let (x, y) = from_wgs84(Crs::Bd09, *lon, *lat);
    let (s, r) = admin.get(&locate_path(x, y, None)).await;
    assert!(s == 404 || r["grid_code"] != code.as_str(), "crs is honoured: {r}");

    // Outside every grid: 404.
    assert_error(&admin.get(&locate_path(0.0, 0.0, None)).await, 404, "not_found", None);
    assert_error(&admin.get(&locate_path(121.5, 31.2, Some("gcj02"))).await, 404, "not_found", None);

    // Bad parameters name the field.
    assert_field(&admin.get("/api/v1/locate?lat=91&lon=120.1").await, "lat");
    assert_field(&admin.get("/api/v1/locate?lat=-90.5&lon=120.1").await, "lat");
    assert_field(&admin.get("/api/v1/locate?lat=30.2&lon=180.5").await, "lon");
    assert_field(&admin.get("/api/v1/locate?lat=30.2&lon=abc").await, "lon");
    assert_field(&admin.get("/api/v1/locate?lat=abc&lon=120.1").await, "lat");
    assert_field(&admin.get("/api/v1/locate?lat=NaN&lon=120.1").await, "lat");
    assert_field(&admin.get("/api/v1/locate?lat=30.2&lon=inf").await, "lon");
    assert_field(&admin.get("/api/v1/locate?lon=120.1").await, "lat");
    assert_field(&admin.get("/api/v1/locate?lat=30.2").await, "lon");
    assert_field(&admin.get("/api/v1/locate?lat=30.2&lon=120.1&crs=mercator").await, "crs");
    assert_field(&admin.get("/api/v1/locate?lat=30.2&lon=120.1&srid=4326").await, "srid");
    assert_error(&srv.client().get(&locate_path(*lon, *lat, None)).await, 401, "unauthorized", None);

    // A grid worker finds their own grid and nothing else: other grids are 404, like no grid at all.
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    for (code, (lon, lat)) in &points {
        let r = worker.get(&locate_path(*lon, *lat, None)).await;
        if code == GRID1 {
            assert_eq!(r, (200, json!({ "grid_code": GRID1 })));
        } else {
            assert_error(&r, 404, "not_found", None);
            assert!(!r.1.to_string().contains(code.as_str()), "the other grid's code is not revealed: {}", r.1);
        }
    }
    // A street's staff find the grids of their street only.
    let street = srv.login("demo_street", DEMO_PW).await;
    for (code, (lon, lat)) in &points {
        let (s, r) = street.get(&locate_path(*lon, *lat, Some("wgs84"))).await;
        let expected = if code.starts_with(STREET1) { 200 } else { 404 };
        assert_eq!(s, expected, "{code}: {r}");
    }
    // Residents have no map access at all.
    let resident = srv.login("demo_resident", DEMO_PW).await;
    let (_, (lon, lat)) = points.iter().find(|(c, _)| c == GRID1).unwrap();
    assert_eq!(resident.get(&locate_path(*lon, *lat, None)).await.0, 404);

    srv.finish().await;
}

both_backends!(locate);
