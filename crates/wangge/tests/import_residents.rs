//! Resident and house lists through the CLI (DESIGN.md §5, issue #4): every bad row type rejected with row,
//! column and reason; GB18030, BOM and XLSX files; re-imports register nobody twice; unreadable files write
//! nothing; templates; exports masked, watermarked, audited and importable elsewhere; no clear 身份证号 at rest.

mod common;

use common::*;
use std::path::Path;
use wangge_store::Store;
use wangge_testkit::TestDb;

fn make_id(first17: &str) -> String {
    format!("{first17}{}", wangge_domain::idcard::check_digit(first17).unwrap())
}

/// A number with a wrong check digit.
fn bad_check(first17: &str) -> String {
    let good = wangge_domain::idcard::check_digit(first17).unwrap();
    let wrong = if good == '0' { '1' } else { '0' };
    format!("{first17}{wrong}")
}

const HEADER: &str =
    "姓名,公民身份号码,性别,出生日期,民族,联系电话,人口类型,户号,与户主关系,房屋地址,房屋编码,网格编码,人群标签";

async fn store(db: &TestDb) -> Store {
    Store::open(&db.url).await.expect("open store")
}

async fn count(s: &Store, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(s.pool()).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    n
}

async fn people(s: &Store) -> i64 {
    count(s, "SELECT COUNT(*) FROM people").await
}

/// Rows of an errors CSV (BOM stripped), header first.
fn csv_file(p: &Path) -> Vec<Vec<String>> {
    let bytes = read(p);
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes).to_vec();
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes.as_slice());
    rdr.records().map(|r| r.expect("CSV").iter().map(str::to_string).collect()).collect()
}

fn import(db: &TestDb, kind: &str, file: &Path) -> Run {
    wangge_on(db, &["import", kind, file.to_str().unwrap()], None)
}

/// A demo house: (code, grid).
async fn demo_house(s: &Store) -> (String, String) {
    sqlx::query_as("SELECT code, grid_code FROM houses ORDER BY code LIMIT 1").fetch_one(s.pool()).await.unwrap()
}

async fn every_bad_row_type(db: TestDb) {
    seed_demo(&db);
    let s = store(&db).await;
    let before = people(&s).await;
    let (house, house_grid) = demo_house(&s).await;
    let work = tempfile::tempdir().unwrap();
    let a = make_id("65900119800215001"); // male
    let b = make_id("65900119820310002"); // female
    let c = make_id("65900119900101003");
    let lines = [
        format!("王大明,{a},男,1980-02-15,汉,13800138000,户籍人口,HX0001,户主,清河区测试路1号,,{GRID1},残疾人、低保"),
        format!("李小红,{b},女,1982/3/10,汉族,,户籍人口,HX0001,妻子,清河区测试路1号,,{GRID1},党员"),
        format!("赵三,{c},,,回族,0571-88886666,流动人口,HX0002,户主,,{house},{house_grid},"),
        format!(",{},男,,汉,,户籍人口,HX0003,户主,清河区测试路2号,,{GRID1},", make_id("65900119700101011")),
        format!("钱四,{},男,,汉,,户籍人口,HX0003,户主,清河区测试路2号,,{GRID1},", bad_check("65900119700101013")),
        format!("孙五,{},女,,汉,,户籍人口,HX0003,户主,清河区测试路2号,,{GRID1},", make_id("65900119700101015")),
        format!("周六,{},,1970-01-02,汉,,户籍人口,HX0003,户主,清河区测试路2号,,{GRID1},", make_id("65900119700101017")),
        format!("王大明,{a},男,,汉,,户籍人口,HX0003,户主,清河区测试路2号,,{GRID1},"),
        format!("吴七,{},,,汉,,户籍人口,HX0004,户主,清河区测试路3号,,33019900900101,", make_id("65900119700101019")),
        format!("郑八,{},,,汉,,户籍人口,HX0005,户主,,FNOSUCHHOUSE,{GRID1},", make_id("65900119700101021")),
        format!("冯九,{},,,汉,,户籍人口,HX0006,户主,清河区测试路4号,,{GRID1},外星人", make_id("65900119700101023")),
        format!("陈十,{},,,汉,12345,户籍人口,HX0007,户主,清河区测试路5号,,{GRID1},", make_id("65900119700101025")),
    ];
    let file = work.path().join("residents.csv");
    std::fs::write(&file, format!("{HEADER}\n{}\n", lines.join("\n"))).unwrap();
    let r = import(&db, "residents", &file);
    expect_code(&r, 3, "import with rejected rows");
    assert_eq!(last_line(&r.1), "imported 3, rejected 9");
    assert_eq!(people(&s).await, before + 3);

    let errors = csv_file(&work.path().join("residents.errors.csv"));
    assert_eq!(errors[0].last().unwrap(), "错误原因", "the input's columns plus 错误原因: {:?}", errors[0]);
    assert_eq!(errors[0].len(), 14);
    let reasons: Vec<&str> = errors[1..].iter().map(|r| r.last().unwrap().as_str()).collect();
    assert_eq!(reasons.len(), 9, "{reasons:?}");
    for (i, (row, col, word)) in [
        (5, "姓名", ""),
        (6, "公民身份号码", "校验位"),
        (7, "性别", ""),
        (8, "出生日期", ""),
        (9, "公民身份号码", "第2行"),
        (10, "网格编码", "33019900900101"),
        (11, "房屋编码", "FNOSUCHHOUSE"),
        (12, "人群标签", "外星人"),
        (13, "联系电话", ""),
    ]
    .into_iter()
    .enumerate()
    {
        let want = format!("第{row}行 {col}：");
        assert!(reasons[i].starts_with(&want), "row {row}: {} should start with {want}", reasons[i]);
        assert!(reasons[i].contains(word), "row {row}: {} should name {word}", reasons[i]);
    }

    // What the accepted rows wrote: a new house for the new address, the household, tags, history, audit.
    let q = |sql: &'static str| count(&s, sql);
    assert_eq!(q("SELECT COUNT(*) FROM houses WHERE address = '清河区测试路1号'").await, 1);
    let code: (String, String) = sqlx::query_as("SELECT code, usage FROM houses WHERE address = '清河区测试路1号'")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert!(code.0.starts_with(&format!("F{GRID1}")) && code.0.len() == 1 + GRID1.len() + 4, "{code:?}");
    assert_eq!(code.1, "self_occupied");
    assert_eq!(q("SELECT COUNT(*) FROM households WHERE number = 'HX0001' AND registered = 1").await, 1);
    assert_eq!(q("SELECT COUNT(*) FROM households WHERE number = 'HX0002' AND registered = 0").await, 1);
    assert_eq!(
        q("SELECT COUNT(*) FROM households h JOIN houses f ON f.id = h.house_id WHERE h.number = 'HX0002' AND f.code = (SELECT MIN(code) FROM houses)").await,
        1,
        "household placed in the named house"
    );
    assert_eq!(
        q("SELECT COUNT(*) FROM household_tags t JOIN households h ON h.id = t.household_id WHERE h.number = 'HX0001' AND t.tag = 'dibao'").await,
        1
    );
    assert_eq!(q("SELECT COUNT(*) FROM person_tags WHERE tag = 'disabled' AND person_id IN (SELECT id FROM people WHERE name = '王大明')").await, 1);
    assert_eq!(q("SELECT COUNT(*) FROM person_tags WHERE tag = 'party_member' AND person_id IN (SELECT id FROM people WHERE name = '李小红')").await, 1);
    assert_eq!(q("SELECT COUNT(*) FROM person_history WHERE kind = 'registered' AND note = '导入 residents.csv' AND actor = 'cli:import'").await, 3);
    // One each, on the right person (they are written for the batch in one statement).
    assert_eq!(
        q("SELECT COUNT(*) FROM people p JOIN person_history h ON h.person_id = p.id AND h.kind = 'registered' \
           AND h.note = '导入 residents.csv' WHERE p.name IN ('王大明', '李小红')")
        .await,
        2
    );
    assert!(q("SELECT COUNT(*) FROM audit_log WHERE action = 'import' AND object = 'residents:3 rows'").await >= 1);
    assert_eq!(q("SELECT COUNT(*) FROM people WHERE relation = '配偶' AND name = '李小红'").await, 1);

    // The same file again registers nobody twice: every row rejected, the good ones as already registered.
    let r = import(&db, "residents", &file);
    expect_code(&r, 3, "the same file again");
    assert_eq!(last_line(&r.1), "imported 0, rejected 12");
    assert_eq!(people(&s).await, before + 3);
    let errors = csv_file(&work.path().join("residents.errors.csv"));
    let again: Vec<&str> = errors[1..].iter().map(|r| r.last().unwrap().as_str()).collect();
    for row in [2, 3, 4] {
        let line = again.iter().find(|r| r.starts_with(&format!("第{row}行 "))).expect("listed");
        assert!(line.contains("已登记"), "{line}");
    }
    assert_eq!(q("SELECT COUNT(*) FROM houses WHERE address = '清河区测试路1号'").await, 1, "no second house");

    // No clear 身份证号 or phone anywhere under the data dir.
    if db.backend == "sqlite" {
        s.close().await;
        for f in wangge_testkit::files_under(&db.data_dir()) {
            // The -wal/-shm files may go away as the last connection closes.
            let Ok(bytes) = std::fs::read(&f) else { continue };
            for secret in [a.as_str(), b.as_str(), c.as_str(), "13800138000"] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{} holds {secret} in clear",
                    f.display()
                );
            }
        }
    }
    db.cleanup().await;
}

async fn file_formats(db: TestDb) {
    seed_demo(&db);
    let s = store(&db).await;
    let before = people(&s).await;
    let work = tempfile::tempdir().unwrap();

    // GB18030 (as Excel on Chinese Windows saves CSV), Chinese headers and values.
    let gb_id = make_id("65900119850505031");
    let text =
        format!("{HEADER}\r\n欧阳娜娜,{gb_id},男,,汉族,,户籍人口,HG0001,户主,清河区编码路8号,,{GRID2},退役军人\r\n");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    assert!(std::str::from_utf8(&gbk).is_err(), "really not UTF-8");
    let gb = work.path().join("gbk.csv");
    std::fs::write(&gb, &gbk).unwrap();
    let r = import(&db, "residents", &gb);
    expect_code(&r, 0, "GB18030 CSV");
    assert_eq!(last_line(&r.1), "imported 1, rejected 0");
    let name: (String,) = sqlx::query_as(
        "SELECT name FROM people WHERE household_id = (SELECT id FROM households WHERE number = 'HG0001')",
    )
    .fetch_one(s.pool())
    .await
    .unwrap();
    assert_eq!(name.0, "欧阳娜娜", "decoded from GB18030");
    let addr: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM houses WHERE address = '清河区编码路8号'")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(addr.0, 1);

    // UTF-8 with BOM, a legacy 15-digit number.
    let bom = work.path().join("bom.csv");
    std::fs::write(
        &bom,
        format!("\u{feff}{HEADER}\n老张,659001500101041,,,汉,,户籍人口,HB0001,户主,清河区编码路9号,,{GRID2},\n"),
    )
    .unwrap();
    let r = import(&db, "residents", &bom);
    expect_code(&r, 0, "BOM CSV");
    assert_eq!(last_line(&r.1), "imported 1, rejected 0");
    let birth: (String,) =
        sqlx::query_as("SELECT birth_date FROM people WHERE name = '老张'").fetch_one(s.pool()).await.unwrap();
    assert_eq!(birth.0, "1950-01-01", "15-digit number upgraded");

    // XLSX: a grid code Excel stored as a number, and one bad row → .errors.xlsx.
    let xlsx = work.path().join("residents.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.split(',').enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    let rows = [
        [
            "表格一",
            &make_id("65900119910101051"),
            "男",
            "",
            "汉",
            "13900139000",
            "流动人口",
            "HS0001",
            "户主",
            "清河区表格路1号",
            "",
            GRID1,
            "",
        ],
        [
            "表格二",
            &make_id("65900119910101062"),
            "女",
            "",
            "汉",
            "",
            "境外人员",
            "HS0001",
            "女",
            "清河区表格路1号",
            "",
            GRID1,
            "留守儿童",
        ],
        [
            "表格三",
            &bad_check("65900119910101071"),
            "",
            "",
            "汉",
            "",
            "户籍人口",
            "HS0002",
            "户主",
            "清河区表格路2号",
            "",
            GRID1,
            "",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if c == 11 {
                ws.write_number(r as u32 + 1, c as u16, v.parse::<f64>().unwrap()).unwrap();
            } else {
                ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
    }
    wb.save(&xlsx).unwrap();
    let r = import(&db, "residents", &xlsx);
    expect_code(&r, 3, "xlsx");
    assert_eq!(last_line(&r.1), "imported 2, rejected 1");
    let errors_xlsx = work.path().join("residents.errors.xlsx");
    assert!(errors_xlsx.exists(), ".xlsx in, .errors.xlsx out");
    {
        use calamine::Reader;
        let mut wb = calamine::open_workbook_auto(&errors_xlsx).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(range.height(), 2);
        let reason = range.get((1, 13)).unwrap().to_string();
        assert!(reason.starts_with("第4行 公民身份号码："), "{reason}");
    }
    assert_eq!(people(&s).await, before + 4);

    // Unreadable files: exit 1, a message, nothing written, no errors file.
    let garbage = work.path().join("garbage.xlsx");
    std::fs::write(&garbage, b"this is not a spreadsheet \x00\x01").unwrap();
    let empty = work.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let no_cols = work.path().join("nocols.csv");
    std::fs::write(&no_cols, "foo,bar\n1,2\n").unwrap();
    let txt = work.path().join("residents.txt");
    std::fs::write(&txt, format!("{HEADER}\n")).unwrap();
    let missing = work.path().join("missing.csv");
    for f in [&garbage, &empty, &no_cols, &txt, &missing] {
        for kind in ["residents", "houses"] {
            let r = import(&db, kind, f);
            expect_code(&r, 1, &format!("import {kind} {}", f.display()));
            assert!(!r.2.trim().is_empty(), "message on stderr");
            assert!(!r.1.contains("imported"), "{}", r.1);
        }
    }
    for name in
        ["garbage.errors.xlsx", "empty.errors.csv", "nocols.errors.csv", "residents.errors.txt", "missing.errors.csv"]
    {
        assert!(!work.path().join(name).exists(), "{name} must not be written");
    }
    assert_eq!(people(&s).await, before + 4, "nothing from unreadable files");

    // Templates import as nothing.
    for kind in ["residents", "houses"] {
        let tpl = work.path().join(format!("{kind}-template.xlsx"));
        expect_code(&wangge_on(&db, &["template", kind, tpl.to_str().unwrap()], None), 0, "template");
        {
            use calamine::Reader;
            let wb = calamine::open_workbook_auto(&tpl).unwrap();
            assert!(wb.sheet_names().contains(&"填写说明".to_string()));
        }
        let r = import(&db, kind, &tpl);
        expect_code(&r, 0, "import the empty template");
        assert_eq!(last_line(&r.1), "imported 0, rejected 0");
    }
    db.cleanup().await;
}

/// kill -9 in the middle of a large import: what is in the database is whole batches (every person with their
/// household and house, nobody without), and importing the same file again completes it with nobody twice.
async fn killed_import_resumes_cleanly(db: TestDb) {
    seed_demo(&db);
    let s = store(&db).await;
    let before = people(&s).await;
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("big.csv");
    let n = 30_000usize;
    let mut text = format!("{HEADER}\n");
    let (surnames, given): (Vec<char>, Vec<char>) =
        ("王李张刘陈杨赵黄周吴".chars().collect(), "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平".chars().collect());
    for i in 0..n {
        let name: String = [surnames[i % 10], given[(i / 10) % 20], given[(i / 200) % 20]].iter().collect();
        let first17 = format!("33019919{:02}0101{:03}", 50 + (i / 1000) % 49, i % 1000);
        let id = make_id(&first17);
        text.push_str(&format!("{name},{id},,,汉,,户籍人口,KH{i:06},户主,清河区测试路{i}号,,{GRID1},\n"));
    }
    std::fs::write(&file, text).unwrap();
    let batch = 1_000;
    let mut child = spawn_wangge_on(
        &db,
        &["import", "residents", file.to_str().unwrap()],
        &[("WANGGE_IMPORT_BATCH", "1000"), ("WANGGE_IMPORT_TX_ROWS", "10000")],
    );
    // Kill as soon as some rows are in, long before the end.
    let started = std::time::Instant::now();
    loop {
        let now = people(&s).await - before;
        if now > 0 || started.elapsed().as_secs() > 120 {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            let r = import(&db, "residents", &file);
            panic!("the import ended ({status}) before it could be killed: {}\n{}", r.1, r.2);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let landed = people(&s).await - before;
    assert!(landed > 0 && (landed as usize) < n, "killed midway: {landed} of {n}");
    assert_eq!(landed % batch, 0, "whole batches only: {landed}");
    let orphans =
        count(&s, "SELECT COUNT(*) FROM people p LEFT JOIN households h ON h.id = p.household_id WHERE h.id IS NULL")
            .await;
    assert_eq!(orphans, 0, "every person landed with their household");
    drop(s);
    // Importing the file again: the rest comes in, those already there are reported as registered, nobody twice.
    let r = import(&db, "residents", &file);
    // Exit 3: rows were rejected — those the killed run had registered.
    expect_code(&r, 3, "re-import after the kill");
    assert!(r.1.contains(&format!("imported {}, rejected {landed}", n as i64 - landed)), "{}", r.1);
    let s = store(&db).await;
    assert_eq!(people(&s).await - before, n as i64, "{}", r.1);
    let dup = count(
        &s,
        "SELECT COUNT(*) FROM (SELECT id_number_hash FROM people GROUP BY id_number_hash HAVING COUNT(*) > 1) d",
    )
    .await;
    assert_eq!(dup, 0);
    let households = count(&s, "SELECT COUNT(*) FROM households WHERE number LIKE 'KH%'").await;
    assert_eq!(households, n as i64);
}

async fn fresh(db: &TestDb) -> TestDb {
    if db.backend == "sqlite" { wangge_testkit::sqlite() } else { wangge_testkit::postgres().await }
}

async fn houses_and_exports(db: TestDb) {
    seed_demo(&db);
    let s = store(&db).await;
    let work = tempfile::tempdir().unwrap();
    let houses_before = count(&s, "SELECT COUNT(*) FROM houses").await;
    let (demo_code, demo_grid) = demo_house(&s).await;
    let demo_addr: (String,) = sqlx::query_as("SELECT address FROM houses WHERE code = $1")
        .bind(&demo_code)
        .fetch_one(s.pool())
        .await
        .unwrap();
    let file = work.path().join("houses.csv");
    std::fs::write(
        &file,
        format!(
            "房屋编码,网格编码,房屋地址,楼栋,单元,房号,面积,房屋用途,产权人\n\
             ,{GRID1},清河区新房路1号,1幢,1,101,88.5,出租,李四\n\
             FTEST0001,{GRID1},清河区新房路2号,,,,,,\n\
             ,{demo_grid},{},,,,,,\n\
             {demo_code},{GRID1},清河区新房路3号,,,,,,\n\
             ,33019900900101,清河区新房路4号,,,,,,\n\
             ,{GRID1},清河区新房路5号,,,,-1,,\n\
             ,{GRID1},清河区新房路6号,,,,,仓库,\n\
             ,{GRID1},清河区新房路1号,,,,,,\n",
            demo_addr.0
        ),
    )
    .unwrap();
    let r = import(&db, "houses", &file);
    expect_code(&r, 3, "houses with rejected rows");
    assert_eq!(last_line(&r.1), "imported 2, rejected 6");
    let errors = csv_file(&work.path().join("houses.errors.csv"));
    let reasons: Vec<&str> = errors[1..].iter().map(|r| r.last().unwrap().as_str()).collect();
    for (i, want) in
        ["第4行 房屋地址", "第5行 房屋编码", "第6行 网格编码", "第7行 面积", "第8行 房屋用途", "第9行 房屋地址"]
            .iter()
            .enumerate()
    {
        assert!(reasons[i].starts_with(want), "{} should start with {want}", reasons[i]);
    }
    let made: (String, String, f64, String) =
        sqlx::query_as("SELECT code, usage, area_m2, owner_name FROM houses WHERE address = '清河区新房路1号'")
            .fetch_one(s.pool())
            .await
            .unwrap();
    assert!(made.0.starts_with(&format!("F{GRID1}")) && made.0.len() == 19, "generated code: {made:?}");
    assert_eq!((made.1.as_str(), made.2, made.3.as_str()), ("rented", 88.5, "李四"));
    let r = import(&db, "houses", &file);
    expect_code(&r, 3, "houses again");
    assert_eq!(last_line(&r.1), "imported 0, rejected 8");
    let houses = count(&s, "SELECT COUNT(*) FROM houses").await;
    assert_eq!(houses, houses_before + 2);

    // Exports: masked, watermarked, audited.
    let residents = people(&s).await;
    let out_csv = work.path().join("export-residents.csv");
    let r = wangge_on(&db, &["export", "residents", out_csv.to_str().unwrap()], None);
    expect_code(&r, 0, "export residents csv");
    let text = String::from_utf8(read(&out_csv)).unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], HEADER, "the template's headers");
    assert_eq!(lines.len() as i64, residents + 2, "header + rows + watermark");
    let last = lines.last().unwrap();
    assert!(last.starts_with("# 导出人 ") && last.contains("导出时间") && last.ends_with("（北京时间）"), "{last}");
    for l in &lines[1..lines.len() - 1] {
        let id = l.split(',').nth(1).unwrap();
        assert!(id.len() == 18 && id.contains("********"), "masked 公民身份号码: {l}");
        let phone = l.split(',').nth(5).unwrap();
        assert!(phone.is_empty() || phone.contains("****"), "masked 联系电话: {l}");
    }
    let out_xlsx = work.path().join("export-residents.xlsx");
    expect_code(
        &wangge_on(&db, &["export", "residents", out_xlsx.to_str().unwrap()], None),
        0,
        "export residents xlsx",
    );
    {
        use calamine::Reader;
        let mut wb = calamine::open_workbook_auto(&out_xlsx).unwrap();
        assert_eq!(wb.sheet_names()[1], "导出信息");
        let info = wb.worksheet_range("导出信息").unwrap();
        assert!(info.get((0, 0)).unwrap().to_string().starts_with("导出人 "));
        assert_eq!(wb.worksheet_range_at(0).unwrap().unwrap().height() as i64, residents + 1);
    }
    assert!(
        count(
            &s,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND object = 'residents:{residents} rows'"
            )
        )
        .await
            >= 2
    );

    // Houses and regions exported here import into a fresh server with the same counts; residents exported
    // with masked numbers are refused there row by row, saying why.
    let regions = work.path().join("regions.csv");
    expect_code(&wangge_on(&db, &["export", "regions", regions.to_str().unwrap()], None), 0, "export regions");
    let out_houses = work.path().join("export-houses.xlsx");
    let r = wangge_on(&db, &["export", "houses", out_houses.to_str().unwrap()], None);
    expect_code(&r, 0, "export houses");
    assert!(
        count(
            &s,
            &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND object = 'houses:{houses} rows'")
        )
        .await
            >= 1
    );
    let other = fresh(&db).await;
    expect_code(&import(&other, "regions", &regions), 0, "regions into the fresh server");
    let r = import(&other, "houses", &out_houses);
    expect_code(&r, 0, "houses export into the fresh server");
    assert_eq!(last_line(&r.1), format!("imported {houses}, rejected 0"));
    let s2 = store(&other).await;
    assert_eq!(count(&s2, "SELECT COUNT(*) FROM houses").await, houses);
    let r = import(&other, "residents", &out_csv);
    expect_code(&r, 3, "masked residents");
    assert_eq!(last_line(&r.1), format!("imported 0, rejected {residents}"));
    let errs = csv_file(&work.path().join("export-residents.errors.csv"));
    assert!(errs[1].last().unwrap().contains("脱敏"), "{:?}", errs[1]);
    s2.close().await;
    other.cleanup().await;
    db.cleanup().await;
}

both_backends!(killed_import_resumes_cleanly, every_bad_row_type, file_formats, houses_and_exports);
