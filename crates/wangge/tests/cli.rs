//! The command line (DESIGN.md §3, §5): help, usage errors, exit codes, API keys, imports with row-level errors.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::Path;
use wangge_testkit::TestDb;

const SUBCOMMANDS: &[&[&str]] = &[
    &["serve"],
    &["demo"],
    &["user"],
    &["user", "add"],
    &["user", "list"],
    &["apikey"],
    &["apikey", "create"],
    &["import"],
    &["export"],
    &["template"],
    &["backup"],
    &["restore"],
    &["bench"],
];

#[test]
fn help_and_usage_errors() {
    let r = wangge(&["--help"], None);
    expect_code(&r, 0, "wangge --help");
    for sub in ["serve", "demo", "user", "apikey", "import", "export", "template", "backup", "restore", "bench"] {
        assert!(r.1.contains(sub), "--help lists {sub}: {}", r.1);
    }
    assert!(r.1.contains("--data") && r.1.contains("--database-url"), "global options: {}", r.1);
    expect_code(&wangge(&["--version"], None), 0, "--version");
    for sub in SUBCOMMANDS {
        let mut args = sub.to_vec();
        args.push("--help");
        let r = wangge(&args, None);
        expect_code(&r, 0, &format!("wangge {}", args.join(" ")));
        assert!(r.1.contains("Usage"), "{args:?}: {}", r.1);
        assert!(r.1.contains("--data"), "global options in {args:?} help");
    }
    // Usage errors exit 2 with a message on stderr and nothing on stdout.
    for args in [
        &["frobnicate"][..],
        &[],
        &["import"],
        &["import", "unicorns", "x.csv"],
        &["demo", "--scale", "galaxy"],
        &["serve", "--addr"],
        &["user", "add", "someone"],
        &["apikey"],
        &["bench", "--fast"],
        &["--data"],
    ] {
        let r = wangge(args, None);
        expect_code(&r, 2, &format!("wangge {}", args.join(" ")));
        assert!(!r.2.trim().is_empty(), "{args:?}: usage error explained on stderr");
    }
}

/// `--data D serve` and `serve --data D` both work; the data directory is the one given.
#[test]
fn global_options_before_or_after_the_subcommand() {
    for before in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("data");
        let ds = d.to_str().unwrap();
        let args: Vec<&str> = if before {
            vec!["--data", ds, "serve", "--addr", "127.0.0.1:0"]
        } else {
            vec!["serve", "--addr", "127.0.0.1:0", "--data", ds]
        };
        let mut srv = Server::spawn(&args);
        assert!(
            d.join("keys.json").exists() || d.read_dir().is_ok_and(|mut r| r.next().is_some()),
            "{args:?}: data in {ds}"
        );
        srv.stop();
        // The admin created at start is in that directory's database.
        let r = wangge(&["user", "list", "--data", ds], None);
        expect_code(&r, 0, "user list");
        assert!(r.1.lines().any(|l| l.starts_with("admin")), "{args:?}: {}", r.1);
        let r = wangge(&["--data", ds, "user", "list", "--role", "admin"], None);
        expect_code(&r, 0, "user list");
        assert!(r.1.lines().any(|l| l.starts_with("admin")), "{}", r.1);
    }
}

async fn apikey(db: TestDb) {
    let r = wangge_on(&db, &["apikey", "create", "市民热线 App"], None);
    expect_code(&r, 0, "apikey create");
    let key = last_line(&r.1).to_string();
    assert_eq!(key.len(), 64, "key alone on the last line: {:?}", r.1);
    assert!(key.bytes().all(|b| b.is_ascii_hexdigit()), "hex: {key}");
    let r2 = wangge_on(&db, &["apikey", "create", "另一个应用"], None);
    expect_code(&r2, 0, "apikey create");
    assert_ne!(last_line(&r2.1), key, "every key is new");
    let r = wangge_on(&db, &["apikey", "create", "   "], None);
    expect_code(&r, 1, "blank name");
    assert!(!r.2.is_empty());
    // The key is never stored in clear.
    if db.backend == "sqlite" {
        for f in wangge_testkit::files_under(&db.data_dir()) {
            let bytes = read(&f);
            assert!(!bytes.windows(key.len()).any(|w| w == key.as_bytes()), "{} holds the key in clear", f.display());
        }
    }
    db.cleanup().await;
}

/// Every region under the caller's top regions.
async fn region_codes(c: &Client) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = codes(&c.all_items("/api/v1/regions").await);
    while let Some(code) = stack.pop() {
        let (s, d) = c.get(&format!("/api/v1/regions/{code}")).await;
        assert_eq!(s, 200, "{d}");
        stack.extend(codes(d["children"].as_array().unwrap()));
        out.push(code);
    }
    out.sort();
    out
}

fn feature(code: &str, name: &str, geometry: Value) -> Value {
    json!({ "type": "Feature", "properties": { "code": code, "name": name }, "geometry": geometry })
}

fn write_json(p: &Path, v: &Value) {
    std::fs::write(p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

fn errors_csv(p: &Path) -> Vec<Vec<String>> {
    let text = String::from_utf8(read(p)).expect("UTF-8 errors file");
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv_rows(text);
    rdr.retain(|r| !r.is_empty());
    rdr
}

/// A tiny CSV reader for the errors file (quoted fields with commas, doubled quotes).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

async fn imports(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;
    let db = srv.db();
    let work = tempfile::tempdir().unwrap();
    let before = region_codes(&admin).await;
    assert_eq!(before.len(), 15);

    // Grids: 2 good features under an existing community, 2 bad ones.
    let good_a = feature("33019900100103", "文新社区第三网格", square(120.30, 30.40, 0.002));
    let good_b = feature("33019900100104", "文新社区第四网格", square(120.31, 30.40, 0.002));
    let bowtie = json!({ "type": "Polygon", "coordinates": [[[120.32, 30.40], [120.33, 30.41], [120.33, 30.40], [120.32, 30.41], [120.32, 30.40]]] });
    let bad_geom = feature("33019900100105", "自相交网格", bowtie);
    let orphan = feature("33019900900101", "无社区网格", square(120.34, 30.40, 0.002));
    let mixed = work.path().join("grids.geojson");
    write_json(&mixed, &json!({ "type": "FeatureCollection", "features": [good_a, bad_geom, orphan, good_b] }));
    let r = wangge_on(db, &["import", "grids", mixed.to_str().unwrap()], None);
    expect_code(&r, 3, "import grids with rejected rows");
    assert_eq!(last_line(&r.1), "imported 2, rejected 2");
    let errors = work.path().join("grids.errors.csv");
    assert!(errors.exists(), "rejected features written next to the input");
    let rows = errors_csv(&errors);
    assert_eq!(rows.len(), 3, "header + 2 rejected: {rows:?}");
    let reason_col = rows[0].iter().position(|h| h == "错误原因").expect("错误原因 column");
    let text: Vec<String> = rows[1..].iter().map(|r| r.join(",")).collect();
    assert!(text.iter().any(|r| r.contains("33019900100105")), "{text:?}");
    assert!(text.iter().any(|r| r.contains("33019900900101")), "{text:?}");
    for r in &rows[1..] {
        assert!(r.get(reason_col).is_some_and(|x| !x.trim().is_empty()), "a reason for every row: {r:?}");
    }
    let orphan_row = rows.iter().find(|r| r.join(",").contains("33019900900101")).unwrap();
    assert!(orphan_row[reason_col].contains("330199009001"), "names the missing parent: {orphan_row:?}");
    let after = region_codes(&admin).await;
    assert_eq!(after.len(), 17);
    assert!(after.contains(&"33019900100103".to_string()) && after.contains(&"33019900100104".to_string()));
    assert!(!after.iter().any(|c| c == "33019900100105" || c.starts_with("330199009")), "nothing of the bad rows");
    let (_, c) = admin.get(&format!("/api/v1/regions/{COMMUNITY1}")).await;
    assert_eq!(c["grids"], 4);
    let (_, g) = admin.get("/api/v1/regions/33019900100103").await;
    assert_eq!(g["name"], "文新社区第三网格");
    assert_eq!(g["level"], "grid");

    // The same file again: the same answer, nothing doubled.
    let r = wangge_on(db, &["import", "grids", mixed.to_str().unwrap()], None);
    expect_code(&r, 3, "import grids again");
    assert_eq!(region_codes(&admin).await, after);
    // Only the good features: exit 0, no duplicates, no errors file.
    let good = work.path().join("good.geojson");
    write_json(&good, &json!({ "type": "FeatureCollection", "features": [good_a, good_b] }));
    for _ in 0..2 {
        let r = wangge_on(db, &["import", "grids", good.to_str().unwrap()], None);
        expect_code(&r, 0, "import good grids");
        assert_eq!(last_line(&r.1), "imported 2, rejected 0");
        assert!(!work.path().join("good.errors.csv").exists());
        assert_eq!(region_codes(&admin).await, after, "no duplicates");
    }
    // The running server picks up grids imported behind its back (it re-checks every 5 s), no restart needed.
    let mut found = None;
    for _ in 0..60 {
        let (s, at) = admin.get(&locate_path(120.30, 30.40, None)).await;
        if s == 200 {
            found = at["grid_code"].as_str().map(str::to_string);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(found.as_deref(), Some("33019900100103"), "imported grid located without a restart");

    // Regions from CSV: a good street, a community whose street is in the same file, and a row with no parent.
    let csv = work.path().join("regions.csv");
    std::fs::write(
        &csv,
        "\u{feff}区域编码,区域名称\n330199005001,五街一社区\n330199005,第五街道\n330199004001,孤儿社区\n330199001009,好社区\n,空编码\n33019900a,字母\n",
    )
    .unwrap();
    let r = wangge_on(db, &["import", "regions", csv.to_str().unwrap()], None);
    expect_code(&r, 3, "import regions with rejected rows");
    assert_eq!(last_line(&r.1), "imported 3, rejected 3");
    let rows = errors_csv(&work.path().join("regions.errors.csv"));
    assert_eq!(rows[0], vec!["区域编码", "区域名称", "错误原因"], "the input's columns plus 错误原因");
    assert_eq!(rows.len(), 4, "{rows:?}");
    let orphan = rows.iter().find(|r| r[0] == "330199004001").expect("the orphan row is listed");
    assert!(orphan[2].contains("330199004"), "reason names the missing parent: {orphan:?}");
    assert!(rows.iter().any(|r| r[0] == "33019900a"));
    let now = region_codes(&admin).await;
    for c in ["330199005", "330199005001", "330199001009"] {
        assert!(now.contains(&c.to_string()), "{c} imported");
    }
    assert!(!now.iter().any(|c| c.starts_with("330199004")));
    assert_eq!(now.len(), after.len() + 3);

    // Regions from XLSX, with a code Excel stored as a number.
    let xlsx = work.path().join("regions.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "区域编码").unwrap();
    ws.write_string(0, 1, "区域名称").unwrap();
    ws.write_string(0, 2, "上级编码").unwrap();
    ws.write_string(1, 0, "330199006").unwrap();
    ws.write_string(1, 1, "第六街道").unwrap();
    ws.write_number(2, 0, 330199006001.0).unwrap();
    ws.write_string(2, 1, "六街一社区").unwrap();
    ws.write_string(2, 2, "330199006").unwrap();
    ws.write_string(3, 0, "330199007001").unwrap();
    ws.write_string(3, 1, "错上级").unwrap();
    ws.write_string(3, 2, "330199006").unwrap();
    wb.save(&xlsx).unwrap();
    let r = wangge_on(db, &["import", "regions", xlsx.to_str().unwrap()], None);
    expect_code(&r, 3, "import regions.xlsx");
    assert_eq!(last_line(&r.1), "imported 2, rejected 1");
    assert!(work.path().join("regions.errors.xlsx").exists(), ".xlsx in, .errors.xlsx out");
    let (s, d) = admin.get("/api/v1/regions/330199006001").await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["name"], "六街一社区");
    assert_eq!(admin.get("/api/v1/regions/330199007001").await.0, 404);

    // Unreadable files: exit 1, a message, no errors file, nothing written.
    let count = region_codes(&admin).await.len();
    let garbage = work.path().join("garbage.xlsx");
    std::fs::write(&garbage, b"this is not a spreadsheet \x00\x01\x02").unwrap();
    let txt = work.path().join("regions.txt");
    std::fs::write(&txt, "区域编码,区域名称\n330199008,第八街道\n").unwrap();
    let empty = work.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let no_cols = work.path().join("nocols.csv");
    std::fs::write(&no_cols, "code_x,name_y\n330199008,第八街道\n").unwrap();
    let missing = work.path().join("missing.csv");
    let not_geojson = work.path().join("bad.geojson");
    std::fs::write(&not_geojson, "{ not json").unwrap();
    let point = work.path().join("point.geojson");
    write_json(&point, &json!({ "type": "Point", "coordinates": [120.0, 30.0] }));
    for (kind, f) in [
        ("regions", &garbage),
        ("regions", &txt),
        ("regions", &empty),
        ("regions", &no_cols),
        ("regions", &missing),
        ("grids", &not_geojson),
        ("grids", &point),
    ] {
        let r = wangge_on(db, &["import", kind, f.to_str().unwrap()], None);
        expect_code(&r, 1, &format!("import {kind} {}", f.display()));
        assert!(!r.2.trim().is_empty(), "message on stderr for {}", f.display());
        assert!(!r.1.contains("imported"), "no summary for an unreadable file: {}", r.1);
    }
    for name in [
        "garbage.errors.xlsx",
        "regions.errors.txt",
        "empty.errors.csv",
        "nocols.errors.csv",
        "bad.errors.csv",
        "point.errors.csv",
    ] {
        assert!(!work.path().join(name).exists(), "{name} must not be written");
    }
    assert_eq!(region_codes(&admin).await.len(), count, "nothing imported from unreadable files");

    // Template and export round trip: the template imports as nothing; the export imports as no change.
    let tpl = work.path().join("template.xlsx");
    expect_code(&wangge_on(db, &["template", "regions", tpl.to_str().unwrap()], None), 0, "template");
    let r = wangge_on(db, &["import", "regions", tpl.to_str().unwrap()], None);
    expect_code(&r, 0, "import the empty template");
    assert_eq!(last_line(&r.1), "imported 0, rejected 0");
    let exported = work.path().join("export.csv");
    expect_code(&wangge_on(db, &["export", "regions", exported.to_str().unwrap()], None), 0, "export");
    let r = wangge_on(db, &["import", "regions", exported.to_str().unwrap()], None);
    expect_code(&r, 0, "re-import the export");
    assert_eq!(last_line(&r.1), format!("imported {count}, rejected 0"));
    assert_eq!(region_codes(&admin).await.len(), count, "re-importing an export changes nothing");

    // Imports are audited.
    let audit = admin.all_items("/api/v1/audit?action=create").await;
    assert!(audit.iter().any(|i| i["object"] == "region:33019900100103"), "import recorded in the audit log");

    srv.finish().await;
}

both_backends!(apikey, imports);
