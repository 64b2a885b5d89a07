//! `wangge backup` / `wangge restore` (DESIGN.md §3): an online backup restores into an empty data directory or
//! database, on either backend, with the same data and passwords, and no personal number in clear.

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashSet};
use std::io::Read;
use std::path::Path;
use wangge_testkit::TestDb;

/// What a user sees of the data, to compare before and after.
async fn snapshot(c: &Client) -> Value {
    let (_, district) = c.get("/api/v1/regions/330199").await;
    let (_, street) = c.get("/api/v1/regions/330199002").await;
    let (_, grids) = c.get("/api/v1/regions/330199/grids.geojson").await;
    let users: Vec<Value> = c.all_items("/api/v1/users").await;
    let (_, tops) = c.get("/api/v1/regions").await;
    let (_, deps) = c.get("/api/v1/departments").await;
    let (_, map) = c.get("/api/v1/settings/map").await;
    json!({ "district": district, "street": street, "grids": grids, "users": users, "tops": tops, "deps": deps, "map": map })
}

/// Every clear 身份证号 and phone number of the demo data set.
fn demo_secrets() -> HashSet<String> {
    let data = wangge_demo::generate(wangge_demo::Scale::Small, 1);
    let mut out: HashSet<String> = data.people.iter().map(|p| p.id_number.clone()).collect();
    out.extend(data.people.iter().filter_map(|p| p.phone.clone()));
    assert!(out.len() > 500, "the demo has people with numbers");
    out
}

/// Maximal runs of digits (and `X`, the 身份证号 check character) bounded by non-alphanumerics.
fn digit_runs(bytes: &[u8]) -> Vec<&[u8]> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'X') {
            i += 1;
        }
        runs.push(&bytes[start..i]);
    }
    runs
}

/// A standalone `\d{17}[\dX]` with a right GB 11643 check digit and a plausible birth date: a 身份证号, not a
/// house or household code (those also have 18 digits, but no birth date in the middle).
fn looks_like_id(run: &[u8], bounded: bool) -> bool {
    if !bounded || run.len() != 18 || !run[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let s = String::from_utf8_lossy(run);
    let birth = chrono::NaiveDate::parse_from_str(&s[6..14], "%Y%m%d");
    let plausible = birth.is_ok_and(|d| (1900..=2030).contains(&chrono::Datelike::year(&d)));
    plausible && wangge_domain::idcard::check_digit(&s[..17]) == s.chars().nth(17)
}

fn assert_no_secrets(what: &str, bytes: &[u8], secrets: &HashSet<String>) {
    let lens: BTreeSet<usize> = secrets.iter().map(String::len).collect();
    let secrets: HashSet<&[u8]> = secrets.iter().map(String::as_bytes).collect();
    let mut ids = Vec::new();
    for run in digit_runs(bytes) {
        for &n in &lens {
            for w in run.windows(n) {
                assert!(!secrets.contains(w), "{what} holds {} in clear", String::from_utf8_lossy(w));
            }
        }
        let start = run.as_ptr() as usize - bytes.as_ptr() as usize;
        let end = start + run.len();
        let bounded = (start == 0 || !bytes[start - 1].is_ascii_alphanumeric())
            && (end == bytes.len() || !bytes[end].is_ascii_alphanumeric());
        if looks_like_id(run, bounded) {
            ids.push(String::from_utf8_lossy(run).to_string());
        }
    }
    assert!(ids.is_empty(), "{what} holds 身份证号-like numbers in clear: {ids:?}");
}

fn gunzip(p: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap()).read_to_end(&mut out).expect("a gzip archive");
    out
}

async fn check_restored(db: TestDb, file: &Path, before: &Value, audit_total: i64) {
    let backend = db.backend;
    let r = wangge_on(&db, &["restore", file.to_str().unwrap()], None);
    expect_code(&r, 0, &format!("restore into {backend}"));
    let srv = Server::start(db);
    let admin = srv.admin().await;
    let after = snapshot(&admin).await;
    assert_eq!(after, *before, "{backend}: restored data differs");
    // Passwords travel with the backup: the user made before the backup logs in with their password.
    let u = srv.login("before_backup", "before-pass-123").await;
    assert_eq!(u.get("/api/v1/regions/330199001").await.0, 200);
    srv.login("demo_grid_worker", DEMO_PW).await;
    // The grid index is rebuilt from the restored boundaries.
    let (_, fc) = admin.get("/api/v1/regions/330199/grids.geojson").await;
    for (code, (lon, lat)) in grid_points(&fc) {
        let (s, at) = admin.get(&locate_path(lon, lat, None)).await;
        assert_eq!((s, at["grid_code"].as_str()), (200, Some(code.as_str())), "{backend}");
    }
    // The audit log came along.
    let (_, a) = admin.get("/api/v1/audit?actor=admin&action=create").await;
    assert!(a["items"].as_array().unwrap().iter().any(|i| i["object"] == "region:330199003"), "{backend}: {a}");
    let (_, all) = admin.get("/api/v1/audit").await;
    assert!(all["total"].as_i64().unwrap() >= audit_total, "{backend}: audit records kept");
    // New writes work after a restore (ids continue after the restored rows).
    let (s, b) = admin
        .post("/api/v1/regions", &json!({ "code": "330199008", "name": "恢复后街道", "parent_code": DISTRICT }))
        .await;
    assert_eq!(s, 201, "{backend}: a write after restore: {b}");
    let (s, b) = admin
        .post(
            "/api/v1/users",
            &json!({ "username": "after_restore", "password": "after-pass-123", "roles": [{ "role": "street", "region_code": STREET1 }] }),
        )
        .await;
    assert_eq!(s, 201, "{backend}: a user after restore: {b}");
    srv.login("after_restore", "after-pass-123").await;
    let key = wangge_on(srv.db(), &["apikey", "create", "after restore"], None);
    expect_code(&key, 0, "apikey after restore");
    // A restored directory is not empty any more: restoring again is refused and changes nothing.
    let r = wangge_on(srv.db(), &["restore", file.to_str().unwrap()], None);
    expect_code(&r, 1, &format!("restore into a non-empty {backend} target"));
    assert!(!r.2.trim().is_empty());
    assert_eq!(admin.get("/api/v1/regions/330199008").await.0, 200, "{backend}: still there");
    // An empty data directory but a database that already holds data: refused too, and nothing written.
    let fresh = tempfile::tempdir().unwrap();
    let fresh_dir = fresh.path().join("d");
    let r = wangge(
        &["restore", file.to_str().unwrap(), "--data", fresh_dir.to_str().unwrap(), "--database-url", &srv.db().url],
        None,
    );
    expect_code(&r, 1, &format!("restore into a non-empty {backend} database"));
    assert!(!fresh_dir.join("keys.json").exists(), "{backend}: no keys written by a refused restore");
    assert_eq!(admin.get("/api/v1/regions/330199008").await.0, 200, "{backend}: the database is untouched");
    srv.login("after_restore", "after-pass-123").await;
    srv.finish().await;
}

async fn roundtrip(origin: TestDb, targets: Vec<TestDb>) {
    let secrets = demo_secrets();
    let srv = Server::demo(origin);
    let admin = srv.admin().await;
    let (s, _) = admin
        .post("/api/v1/regions", &json!({ "code": "330199003", "name": "备份前街道", "parent_code": DISTRICT }))
        .await;
    assert_eq!(s, 201);
    let (s, _) = admin
        .post(
            "/api/v1/users",
            &json!({ "username": "before_backup", "password": "before-pass-123", "roles": [{ "role": "street", "region_code": STREET1 }] }),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = admin
        .put(
            "/api/v1/settings/map",
            &json!({ "tile_url": "https://tiles.example/{z}/{x}/{y}.png", "tile_attribution": "示例" }),
        )
        .await;
    assert_eq!(s, 200);
    let before = snapshot(&admin).await;
    assert_eq!(before["district"]["grids"], 8);

    // Online: the server keeps running and answering during the backup.
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("wangge-backup.tar.gz");
    let r = wangge_on(srv.db(), &["backup", file.to_str().unwrap()], None);
    expect_code(&r, 0, "backup");
    assert!(file.exists());
    let names: Vec<String> =
        std::fs::read_dir(work.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    assert_eq!(names, vec!["wangge-backup.tar.gz"], "no partial files left");
    assert_eq!(admin.get("/healthz").await.0, 200);
    let (_, audit) = admin.get("/api/v1/audit").await;
    let audit_total = audit["total"].as_i64().unwrap();

    // No personal number in clear, in the archive or (for SQLite) anywhere in the data directory.
    let tar = gunzip(&file);
    assert!(tar.len() > 10_000, "the archive has the data");
    assert!(String::from_utf8_lossy(&tar).contains("清河区"), "sanity: the scan reads the data");
    assert_no_secrets("the backup archive", &tar, &secrets);
    if srv.backend() == "sqlite" {
        for f in wangge_testkit::files_under(&srv.db().data_dir()) {
            assert_no_secrets(&f.display().to_string(), &read(&f), &secrets);
        }
    }

    // Bad restores: a garbage file, a missing file, and the live data directory itself. Nothing written.
    let garbage = work.path().join("garbage.tar.gz");
    std::fs::write(&garbage, b"not a backup at all").unwrap();
    let empty = tempfile::tempdir().unwrap();
    let empty_dir = empty.path().join("d");
    for f in [&garbage, &work.path().join("missing.tar.gz")] {
        let r = wangge(&["restore", f.to_str().unwrap(), "--data", empty_dir.to_str().unwrap()], None);
        expect_code(&r, 1, "restore of a bad file");
        assert!(!r.2.trim().is_empty());
        assert!(!empty_dir.join("keys.json").exists(), "nothing written by a failed restore");
    }
    let r = wangge_on(srv.db(), &["restore", file.to_str().unwrap()], None);
    expect_code(&r, 1, "restore over the live data");
    assert_eq!(snapshot(&admin).await, before, "the live data is untouched");
    srv.finish().await;

    for t in targets {
        check_restored(t, &file, &before, audit_total).await;
    }
}

#[tokio::test]
async fn sqlite_backup_restores_into_sqlite_and_postgres() {
    roundtrip(wangge_testkit::sqlite(), vec![wangge_testkit::sqlite(), wangge_testkit::postgres().await]).await;
}

#[tokio::test]
async fn postgres_backup_restores_into_sqlite() {
    roundtrip(wangge_testkit::postgres().await, vec![wangge_testkit::sqlite()]).await;
}

/// `--without-keys`: the archive holds ciphertext only (a stolen backup reveals no number); restored next to the
/// original key file, every number reads again.
#[tokio::test]
async fn a_backup_without_keys_needs_the_key_file_kept_apart() {
    let srv = Server::demo(wangge_testkit::sqlite());
    let admin = srv.admin().await;
    let (_, people) = admin.get(&format!("/api/v1/people?region={GRID1}&limit=1")).await;
    let id = people["items"][0]["id"].as_i64().unwrap();
    let (s, before) = admin.post(&format!("/api/v1/people/{id}/reveal"), &json!({ "reason": "备份核对" })).await;
    assert_eq!(s, 200, "{before}");
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("nokeys.tar.gz");
    let r = wangge_on(srv.db(), &["backup", "--without-keys", file.to_str().unwrap()], None);
    expect_code(&r, 0, "backup --without-keys");
    assert!(r.1.contains("keys.json"), "the operator is told to keep the keys: {}", r.1);
    let tar = gunzip(&file);
    let names: Vec<String> = tar::Archive::new(&tar[..])
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert!(names.contains(&"database.json".to_string()) && !names.contains(&"keys.json".to_string()), "{names:?}");
    let original_keys = read(&srv.db().data_dir().join("keys.json"));
    srv.finish().await;

    let target = wangge_testkit::sqlite();
    let r = wangge_on(&target, &["restore", file.to_str().unwrap()], None);
    expect_code(&r, 0, "restore without keys");
    assert!(r.2.contains("keys.json"), "restore says the keys are missing: {}", r.2);
    std::fs::write(target.data_dir().join("keys.json"), original_keys).unwrap();
    let srv = Server::start(target);
    let admin = srv.admin().await;
    let (s, after) = admin.post(&format!("/api/v1/people/{id}/reveal"), &json!({ "reason": "恢复核对" })).await;
    assert_eq!((s, &after["id_number"]), (200, &before["id_number"]), "{after}");
    srv.finish().await;
}

/// kill -9 during a backup leaves no file under the backup's name (only its `.partial`, which the next backup
/// replaces); kill -9 during a restore leaves the target empty (one transaction), so the restore can simply run
/// again and then holds everything.
#[tokio::test]
async fn killed_backup_and_restore_leave_nothing_half_done() {
    let srv = Server::demo(wangge_testkit::sqlite());
    let admin = srv.admin().await;
    let before = snapshot(&admin).await;
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("killed.tar.gz");
    let partial = work.path().join(".killed.tar.gz.partial");
    let mut child = spawn_wangge_on(srv.db(), &["backup", file.to_str().unwrap()], &[]);
    let t = std::time::Instant::now();
    // Kill once the archive is being written (or after 3 s: then the kill lands wherever it lands).
    while !partial.exists() && t.elapsed().as_secs() < 3 && child.try_wait().unwrap().is_none() {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let finished = child.try_wait().unwrap().is_some();
    child.kill().ok();
    child.wait().unwrap();
    if !finished {
        assert!(!file.exists(), "a killed backup left a file under the backup's name");
    }
    // The next backup runs over the leftover and completes.
    let r = wangge_on(srv.db(), &["backup", file.to_str().unwrap()], None);
    expect_code(&r, 0, "backup after a killed one");
    assert!(!partial.exists(), "the leftover .partial is gone");
    srv.finish().await;

    for target in [wangge_testkit::sqlite(), wangge_testkit::postgres().await] {
        let backend = target.backend;
        let mut child = spawn_wangge_on(&target, &["restore", file.to_str().unwrap()], &[]);
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok();
        child.wait().unwrap();
        let store = wangge_store::Store::open(&target.url).await.unwrap();
        let empty = store.is_empty().await.unwrap();
        store.close().await;
        assert!(empty || finished, "{backend}: a killed restore left part of the data");
        if empty {
            let r = wangge_on(&target, &["restore", file.to_str().unwrap()], None);
            expect_code(&r, 0, &format!("{backend}: restore after a killed one"));
        }
        let srv = Server::start(target);
        let admin = srv.admin().await;
        assert_eq!(snapshot(&admin).await, before, "{backend}: restored data differs");
        srv.finish().await;
    }
}
