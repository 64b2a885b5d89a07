//! People search over HTTP (DESIGN.md §4: `q` matches names, pinyin and addresses), on both backends: the
//! real server on the small demo, searched by 汉字, full pinyin, initials and address; scope; and residents
//! imported by another process (the CLI) while the server runs, found at the next search.

mod common;

use common::*;
use serde_json::Value;
use wangge_testkit::TestDb;

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

async fn find(c: &Client, q: &str) -> (Vec<i64>, i64) {
    let (s, page) = c.get(&Client::with_query("/api/v1/people", &[("q", q), ("limit", "100")])).await;
    assert_eq!(s, 200, "q={q}: {page}");
    (ids(page["items"].as_array().unwrap()), page["total"].as_i64().unwrap_or(-1))
}

async fn search(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;

    // A resident of grid 1 whose name is unique in the demo.
    let (s, page) = admin.get(&format!("/api/v1/people?region={GRID1}&limit=100")).await;
    assert_eq!(s, 200, "{page}");
    let items = page["items"].as_array().unwrap().clone();
    let mut chosen = None;
    for p in &items {
        let name = p["name"].as_str().unwrap();
        if name.chars().count() == 3 && find(&admin, name).await.1 == 1 {
            chosen = Some(p.clone());
            break;
        }
    }
    let p = chosen.expect("a resident with a unique three-character name");
    let (pid, name) = (p["id"].as_i64().unwrap(), p["name"].as_str().unwrap().to_string());

    assert_eq!(find(&admin, &name).await.0, vec![pid], "{}", srv.backend());
    let (full, initials) = wangge_domain::pinyin::search_keys(&name);
    assert!(find(&admin, &full).await.0.contains(&pid), "pinyin {full}");
    assert!(find(&admin, &initials).await.0.contains(&pid), "initials {initials}");
    assert!(find(&admin, &initials.to_uppercase()).await.0.contains(&pid), "initials in capitals");

    // The house's address, after its community, finds them (and name + address narrows to them).
    let house = p["house_id"].as_i64().expect("a house");
    let (s, h) = admin.get(&format!("/api/v1/houses/{house}")).await;
    assert_eq!(s, 200, "{h}");
    let address = h["address"].as_str().or_else(|| h["house"]["address"].as_str()).expect("address").to_string();
    let fragment = address.split_once("社区").map(|(_, r)| r.to_string()).unwrap_or(address.clone());
    assert!(find(&admin, &fragment).await.0.contains(&pid), "address {fragment}");
    assert_eq!(find(&admin, &format!("{name} {fragment}")).await.0, vec![pid]);

    // Scope: the grid worker (grid 1) finds them; a street-2 account does not, even by exact name.
    let worker = srv.login("demo_grid_worker", DEMO_PW).await;
    assert_eq!(find(&worker, &name).await.0, vec![pid]);
    let (s, other) = admin.get("/api/v1/people?region=330199002&limit=1").await;
    assert_eq!(s, 200);
    let other_name = other["items"][0]["name"].as_str().unwrap().to_string();
    let other_id = other["items"][0]["id"].as_i64().unwrap();
    assert!(find(&admin, &other_name).await.0.contains(&other_id));
    assert!(!find(&worker, &other_name).await.0.contains(&other_id), "out of scope person found");

    // Residents imported by the CLI (another process) while the server runs are found at the next search.
    let work = tempfile::tempdir().unwrap();
    let first17 = "11010819870713991";
    let number = format!("{first17}{}", wangge_domain::idcard::check_digit(first17).unwrap());
    let csv = work.path().join("residents.csv");
    std::fs::write(
        &csv,
        format!(
            "姓名,公民身份号码,性别,出生日期,民族,联系电话,人口类型,户号,与户主关系,房屋地址,房屋编码,网格编码,人群标签\n\
             欧阳检索,{number},男,1987-07-13,汉,,户籍人口,HXS001,户主,清河区检索路8号,,{GRID1},\n"
        ),
    )
    .unwrap();
    let run = wangge_on(srv.db(), &["import", "residents", csv.to_str().unwrap()], None);
    let errors = std::fs::read_to_string(work.path().join("residents.errors.csv")).unwrap_or_default();
    expect_code(&run, 0, &format!("import ({errors})"));
    let (found, total) = find(&admin, "欧阳检索").await;
    assert_eq!((found.len(), total), (1, 1), "{}: imported resident not found", srv.backend());
    assert_eq!(find(&admin, "ouyangjiansuo").await.0, found);
    assert_eq!(find(&admin, "检索路8号").await.0, found);
    assert_eq!(find(&worker, "oyjs").await.0, found);
    // The full 身份证号 finds them through the blind index, never through the name index.
    assert_eq!(find(&admin, &number).await.0, found);

    srv.finish().await;
}

both_backends!(search);
