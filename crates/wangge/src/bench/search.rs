//! People search scenarios (issue: search p95 ≤ 50 ms over 1M people; exact 身份证号/phone lookup p95 ≤ 5 ms).
//!
//! `search_people`: N generated residents (quick 100,000; full 1,000,000) with Chinese names and addresses,
//! written through `insert_register` into a temporary SQLite database; the app's index is built, then 1,000
//! mixed queries (汉字 name, full pinyin, initials, address fragment) run through `App::search_person_ids`.
//! Baseline: a bare `memchr::memmem` count over the same texts concatenated (names, pinyin, initials or
//! addresses, whichever the query is about) — the physical limit of a scan, with no ranking, scope or paging.
//!
//! `exact_lookup`: 1,000 random known 身份证号 blind indexes looked up through the store
//! (`Store::people_by_id_number_hash`); baseline: the same statement through sqlx on the same pool.

use super::{Scenario, insert_grids, lattice};
use anyhow::{Context, Result};
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::time::Instant;
use wangge_app::{App, Config};
use wangge_store::register::{NewHouse, NewHousehold, NewPerson, insert_register};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹", "袁", "邓", "许", "傅", "沈", "曾",
    "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛", "叶", "阎", "余", "潘", "杜", "戴", "夏", "钟", "汪",
    "田", "任", "姜", "单", "解", "查", "仇", "区", "朴", "欧阳", "司马", "诸葛", "尉迟",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀", "英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "霞", "平", "刚", "桂", "兰", "玉", "华", "建", "国", "文", "红", "志", "海", "春", "晓", "金", "凤", "林", "辉",
    "燕", "鹏", "丹", "萍", "宇", "浩", "欣", "怡", "婷", "雪", "梅", "琳", "博", "彬", "峰", "鑫", "佳", "嘉", "子",
    "涵", "轩", "睿", "思", "雨", "晨", "阳", "昊", "然", "一", "诺", "可", "馨", "长", "乐", "荣", "生", "德", "福",
    "宝", "成", "元", "新",
];
const ESTATES: &[&str] = &[
    "桂花新村",
    "丹桂苑",
    "翠苑一区",
    "翠苑二区",
    "文新小区",
    "嘉绿苑",
    "古荡新村",
    "益乐新村",
    "竞舟北苑",
    "德加公寓",
    "府苑新村",
    "紫荆花园",
    "香樟公寓",
    "丰潭雅苑",
    "枫华府第",
    "兰亭苑",
    "银杏家园",
    "清涟花园",
    "锦绣华庭",
    "湖畔居",
];

struct Resident {
    name: String,
    address: String,
    /// Unit + room, e.g. `3幢2单元402室`: what a grid worker types for an address.
    flat: String,
    hash: String,
}

fn generate(
    n: usize,
    grids: &[String],
    app: &App,
) -> (Vec<NewHouse>, Vec<NewHousehold>, Vec<NewPerson>, Vec<Resident>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(41);
    let (mut houses, mut households, mut people, mut residents) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut h = 0usize;
    while people.len() < n {
        // Each grid has its own estate (`桂花新村3期`), whose flats are numbered in order.
        let g = h % grids.len();
        let grid = &grids[g];
        let estate = format!("{}{}期", ESTATES[g % ESTATES.len()], g / ESTATES.len() + 1);
        let seq = h / grids.len();
        let flat = format!("{}幢{}单元{}{:02}室", seq / 60 + 1, (seq / 20) % 3 + 1, (seq % 20) / 4 + 1, seq % 4 + 1);
        let address = format!("清河区翠苑街道第{}社区{estate}{flat}", &grid[9..12]);
        let code = format!("B{h:08}");
        houses.push(NewHouse {
            code: code.clone(),
            building_code: String::new(),
            grid_code: grid.clone(),
            address: address.clone(),
            building: String::new(),
            unit: String::new(),
            room: String::new(),
            area_m2: Some(80.0),
            usage: "self_occupied".into(),
            owner_name: String::new(),
            lon: None,
            lat: None,
        });
        let number = format!("H{h:08}");
        households.push(NewHousehold {
            number: number.clone(),
            house_code: code,
            grid_code: grid.clone(),
            registered: true,
            tags: vec![],
        });
        for _ in 0..rng.gen_range(1..=4).min(n - people.len()) {
            let mut name = SURNAMES[rng.gen_range(0..SURNAMES.len())].to_string();
            for _ in 0..rng.gen_range(1..=2) {
                name.push_str(GIVEN[rng.gen_range(0..GIVEN.len())]);
            }
            let id_number = format!("330199{:012}", people.len());
            let hash = app.crypto.blind_index("id_number", &id_number);
            people.push(NewPerson {
                name: name.clone(),
                // Never a number in clear, even in a benchmark's temporary database.
                id_number_enc: "bench".into(),
                id_number_hash: hash.clone(),
                id_number_masked: "330199********0000".into(),
                gender: "male".into(),
                birth_date: "1980-01-01".into(),
                ethnicity: "汉族".into(),
                phone_enc: None,
                phone_hash: None,
                phone_masked: None,
                population_type: "registered".into(),
                household_number: number.clone(),
                relation: "户主".into(),
                grid_code: grid.clone(),
                tags: vec![],
            });
            residents.push(Resident { name, address: address.clone(), flat: format!("{estate}{flat}"), hash });
        }
        h += 1;
    }
    (houses, households, people, residents)
}

fn p95(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() * 95 / 100).copied().unwrap_or(0.0)
}

fn p50(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn vm_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

pub async fn scenarios(quick: bool) -> Result<Vec<Scenario>> {
    let n = if quick { 100_000 } else { 1_000_000 };
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let app = App::open(Config::new(dir.path().to_path_buf()), &crate::bench::database_url(dir.path()).await?).await?;
    let grids = lattice(1000);
    insert_grids(&app, &grids).await?;
    let codes: Vec<String> = grids.iter().map(|(c, _)| c.clone()).collect();

    let t = Instant::now();
    let (houses, households, people, residents) = generate(n, &codes, &app);
    let per = 50_000;
    let (mut hi, mut pi) = (0, 0);
    while pi < people.len() {
        let pe = (pi + per).min(people.len());
        // The houses of this slice of people (a household's people are contiguous).
        let last_house = people[pe - 1].household_number[1..].parse::<usize>()? + 1;
        let mut tx = app.store.begin().await?;
        insert_register(&mut tx, &[], &houses[hi..last_house], &households[hi..last_house], &people[pi..pe]).await?;
        tx.commit().await?;
        (hi, pi) = (last_house, pe);
    }
    let load_s = t.elapsed().as_secs_f64();
    drop((houses, households, people));

    let rss_before = vm_rss_mib();
    let t = Instant::now();
    let stats = app.rebuild_search_index().await?;
    let build_ms = ms(t);
    let rss_after = vm_rss_mib();
    anyhow::ensure!(stats.people == n, "index holds {} people, {n} inserted", stats.people);

    // The texts a bare scan would go through, concatenated.
    let mut names = Vec::new();
    let mut pinyin = Vec::new();
    let mut initials = Vec::new();
    let mut addresses = Vec::new();
    let mut last_address = "";
    for r in &residents {
        let (full, ini) = wangge_domain::pinyin::search_keys(&r.name);
        names.extend_from_slice(r.name.as_bytes());
        names.push(0);
        pinyin.extend_from_slice(full.as_bytes());
        pinyin.push(0);
        initials.extend_from_slice(ini.as_bytes());
        initials.push(0);
        if r.address != last_address {
            addresses.extend_from_slice(r.address.as_bytes());
            addresses.push(0);
            last_address = &r.address;
        }
    }

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let kinds = ["name", "pinyin", "initials", "address"];
    let mut lat: [Vec<f64>; 4] = Default::default();
    let mut raw: [Vec<f64>; 4] = Default::default();
    let mut found_first = 0usize;
    for i in 0..1000 {
        let r = &residents[rng.gen_range(0..residents.len())];
        let kind = i % 4;
        let (full, ini) = wangge_domain::pinyin::search_keys(&r.name);
        let (q, corpus) = match kind {
            0 => (r.name.clone(), &names),
            1 => (full, &pinyin),
            2 => (ini, &initials),
            _ => (r.flat.clone(), &addresses),
        };
        let t = Instant::now();
        let (ids, total) = app.search_person_ids(&[], &q, 20, 0, false).await?;
        lat[kind].push(ms(t));
        anyhow::ensure!(total > 0 && !ids.is_empty(), "query {q:?} found nobody");
        if kind == 0 && total == 1 {
            found_first += 1;
        }
        let t = Instant::now();
        let hits = memchr::memmem::find_iter(corpus, q.as_bytes()).count();
        raw[kind].push(ms(t));
        anyhow::ensure!(hits > 0, "raw scan for {q:?} found nothing");
    }
    let per_kind: serde_json::Map<String, serde_json::Value> = kinds
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let (mut a, mut b) = (lat[k].clone(), raw[k].clone());
            (name.to_string(), json!({ "p95_ms": p95(&mut a), "p50_ms": p50(&mut a), "raw_scan_p95_ms": p95(&mut b) }))
        })
        .collect();
    let mut all: Vec<f64> = lat.concat();
    let mut all_raw: Vec<f64> = raw.concat();
    let (value, baseline) = (p95(&mut all), p95(&mut all_raw));
    let median = p50(&mut all);

    // What freshness costs: the check before every search, the house check, and a search right after a write.
    let mut noop = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        app.refresh_search_index().await?;
        noop.push(ms(t));
    }
    let t = Instant::now();
    app.store.search_house_mark().await?;
    let house_mark_ms = ms(t);
    sqlx::query("UPDATE people SET name = $1, updated_at = $2 WHERE id = (SELECT MAX(id) FROM people)")
        .bind("测试改名")
        .bind(wangge_store::now_ms() + 1)
        .execute(app.store.pool())
        .await?;
    let t = Instant::now();
    let (ids, _) = app.search_person_ids(&[], "测试改名", 20, 0, false).await?;
    let after_write_ms = ms(t);
    anyhow::ensure!(ids.len() == 1, "a renamed person is not found at the next search");

    let params = json!({
        "people": n, "houses": residents.iter().map(|r| &r.address).collect::<std::collections::HashSet<_>>().len(),
        "queries": 1000, "limit": 20, "backend": crate::bench::backend_name(), "p50_ms": median, "per_kind": per_kind,
        "unique_name_queries_found_alone": found_first,
        "index_build_ms": build_ms, "index_mib": stats.heap_bytes as f64 / 1048576.0,
        "rss_mib": rss_after, "rss_growth_mib": rss_after - rss_before,
        "refresh_check_p50_ms": p50(&mut noop), "house_mark_ms": house_mark_ms,
        "search_after_write_ms": after_write_ms, "load_s": load_s,
    });
    let mut out = vec![Scenario {
        name: "search_people".into(),
        value,
        unit: "ms p95".into(),
        baseline,
        ratio: if value > 0.0 { baseline / value } else { 0.0 },
        params,
    }];

    // Exact lookups by blind index: through the store vs the bare statement on the same pool.
    let mut via_store = Vec::with_capacity(1000);
    let mut bare = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let r = &residents[rng.gen_range(0..residents.len())];
        let t = Instant::now();
        let ids = app.store.people_by_id_number_hash(&r.hash).await?;
        via_store.push(ms(t));
        anyhow::ensure!(ids.len() == 1, "blind index lookup found {} people", ids.len());
        let t = Instant::now();
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM people WHERE id_number_hash = $1")
            .bind(&r.hash)
            .fetch_all(app.store.pool())
            .await?;
        bare.push(ms(t));
        anyhow::ensure!(rows.len() == 1);
    }
    let (value, baseline) = (p95(&mut via_store), p95(&mut bare));
    out.push(Scenario {
        name: "exact_lookup".into(),
        value,
        unit: "ms p95".into(),
        baseline,
        ratio: if value > 0.0 { baseline / value } else { 0.0 },
        params: json!({ "people": n, "lookups": 1000, "backend": crate::bench::backend_name(), "p50_ms": p50(&mut via_store),
                        "baseline_p50_ms": p50(&mut bare), "column": "id_number_hash" }),
    });
    app.store.close().await;
    Ok(out)
}
