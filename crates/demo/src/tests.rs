use super::*;
use geo::{Area, BoundingRect, Contains, CoordsIter, GeodesicArea, Intersects, Validation};
use geo_types::Point;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;
use std::time::Instant;
use wangge_domain::idcard::IdCardNo;

/// The Street data set is big: generate it once for all tests.
fn street() -> &'static DemoData {
    static DATA: OnceLock<DemoData> = OnceLock::new();
    DATA.get_or_init(|| {
        let t = Instant::now();
        let d = generate(Scale::Street, 42);
        let elapsed = t.elapsed();
        eprintln!(
            "Scale::Street: {} regions, {} grids, {} houses, {} households, {} people in {elapsed:?}",
            d.regions.len(),
            d.grids().count(),
            d.houses.len(),
            d.households.len(),
            d.people.len()
        );
        assert!(elapsed.as_secs_f64() < 15.0, "Street generation took {elapsed:?}");
        d
    })
}

fn small() -> DemoData {
    generate(Scale::Small, 7)
}

#[test]
fn small_is_deterministic_and_seeded() {
    let t = Instant::now();
    let a = small();
    eprintln!("Scale::Small in {:?}", t.elapsed());
    let b = small();
    assert_eq!(a.digest(), b.digest());
    assert_eq!(a, b);
    assert_ne!(a.digest(), generate(Scale::Small, 8).digest());
}

#[test]
fn small_has_the_promised_size() {
    let d = small();
    let count = |l| d.regions.iter().filter(|r| r.level == l).count();
    assert_eq!(
        (
            count(RegionLevel::District),
            count(RegionLevel::Street),
            count(RegionLevel::Community),
            count(RegionLevel::Grid)
        ),
        (1, 2, 4, 8)
    );
    assert!((290..=350).contains(&d.households.len()), "{}", d.households.len());
    assert!((600..=1000).contains(&d.people.len()), "{}", d.people.len());
}

fn check_codes(d: &DemoData) {
    assert_eq!(d.regions[0].code, DISTRICT_CODE);
    assert_eq!(d.regions[0].level, RegionLevel::District);
    assert!(d.regions[0].parent_code.is_none());
    let mut seen = HashMap::new();
    for r in &d.regions {
        let len = match r.level {
            RegionLevel::District => 6,
            RegionLevel::Street => 9,
            RegionLevel::Community => 12,
            RegionLevel::Grid => 14,
        };
        assert_eq!(r.code.len(), len, "{}", r.code);
        assert!(r.code.bytes().all(|b| b.is_ascii_digit()));
        if let Some(parent) = &r.parent_code {
            let level =
                seen.get(parent.as_str()).unwrap_or_else(|| panic!("{} comes before its parent {parent}", r.code));
            assert!(r.code.starts_with(parent.as_str()), "{} does not extend {parent}", r.code);
            assert!(*level < r.level);
        }
        assert!(seen.insert(r.code.as_str(), r.level).is_none(), "duplicate {}", r.code);
    }
}

#[test]
fn region_codes_extend_their_parents() {
    check_codes(&small());
    check_codes(street());
}

/// Valid polygons; children inside their parent, covering it exactly (equal areas) and never overlapping
/// each other (sample points fall in exactly one grid).
fn check_geometry(d: &DemoData) {
    for r in &d.regions {
        assert!(r.boundary.is_valid(), "{} {} is not a valid polygon", r.code, r.name);
        let rect = r.boundary.bounding_rect().expect("non-empty");
        assert!(rect.min().x > 120.10 && rect.max().x < 120.20 && rect.min().y > 30.24 && rect.max().y < 30.32);
    }
    for parent in &d.regions {
        let children: Vec<_> =
            d.regions.iter().filter(|c| c.parent_code.as_deref() == Some(parent.code.as_str())).collect();
        if children.is_empty() {
            continue;
        }
        let sum: f64 = children.iter().map(|c| c.boundary.unsigned_area()).sum();
        let area = parent.boundary.unsigned_area();
        assert!((sum - area).abs() < area * 1e-9, "children of {} cover {sum} of {area}", parent.code);
        for c in &children {
            for p in c.boundary.coords_iter() {
                assert!(parent.boundary.intersects(&Point::from(p)), "{} leaves {}", c.code, parent.code);
            }
        }
    }
    let district = &d.regions[0].boundary;
    let grids: Vec<_> = d.grids().collect();
    let rect = district.bounding_rect().expect("non-empty");
    let n = 70;
    for i in 0..n {
        for j in 0..n {
            // Irrational-ish offsets keep the samples off the lattice lines.
            let x = rect.min().x + rect.width() * (f64::from(i) + 0.3713) / f64::from(n);
            let y = rect.min().y + rect.height() * (f64::from(j) + 0.6180) / f64::from(n);
            let p = Point::new(x, y);
            let hits = grids.iter().filter(|g| g.boundary.contains(&p)).count();
            let expected = usize::from(district.contains(&p));
            assert_eq!(hits, expected, "{p:?} lies in {hits} grids");
        }
    }
}

#[test]
fn small_geometry_is_valid_and_tiles() {
    check_geometry(&small());
}

#[test]
fn street_geometry_is_valid_and_tiles() {
    check_geometry(street());
    let main = &street().regions[1];
    assert_eq!(main.level, RegionLevel::Street);
    let km2 = main.boundary.geodesic_area_unsigned() / 1e6;
    assert!((km2 - 2.12).abs() < 0.1, "main street covers {km2} km²");
}

fn check_register(d: &DemoData) {
    let grids: HashMap<&str, &DemoRegion> = d.grids().map(|g| (g.code.as_str(), g)).collect();
    let mut houses = HashMap::new();
    for h in &d.houses {
        assert!(houses.insert(h.code.as_str(), h).is_none(), "duplicate house {}", h.code);
        let grid = grids[h.grid_code.as_str()];
        assert!(grid.boundary.contains(&Point::new(h.lon, h.lat)), "{} outside {}", h.code, grid.code);
        assert!(
            h.address.starts_with(DISTRICT_NAME) && h.address.ends_with(&format!("{}{}{}", h.building, h.unit, h.room))
        );
        assert!((30.0..=150.0).contains(&h.area_m2));
        assert!(["自住", "出租", "空置", "商用", "其他"].contains(&h.usage));
    }
    let addresses: HashSet<&str> = d.houses.iter().map(|h| h.address.as_str()).collect();
    assert_eq!(addresses.len(), d.houses.len(), "addresses are unique");
    let mut households = HashMap::new();
    for hh in &d.households {
        assert!(households.insert(hh.number.as_str(), hh).is_none(), "duplicate household {}", hh.number);
        let house = houses[hh.house_code.as_str()];
        assert_eq!(house.grid_code, hh.grid_code);
        assert!(house.usage == "自住" || house.usage == "出租");
    }
    let mut heads: HashMap<&str, usize> = HashMap::new();
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for p in &d.people {
        *sizes.entry(&p.household_number).or_default() += 1;
    }
    let mut ids = HashSet::new();
    let mut phones = HashSet::new();
    let relations = ["户主", "配偶", "子", "女", "父亲", "母亲", "孙子", "孙女", "其他"];
    for p in &d.people {
        let hh = households[p.household_number.as_str()];
        assert_eq!(hh.grid_code, p.grid_code);
        assert_eq!(hh.registered, p.population_type == "户籍人口");
        assert!(relations.contains(&p.relation));
        if p.relation == "户主" {
            *heads.entry(&p.household_number).or_default() += 1;
        }
        let id = IdCardNo::parse("id", &p.id_number).unwrap_or_else(|e| panic!("{}: {e:?}", p.id_number));
        assert_eq!(id.gender(), p.gender);
        assert_eq!(id.birth_date(), p.birth_date);
        assert!(ids.insert(p.id_number.as_str()), "duplicate ID {}", p.id_number);
        if let Some(phone) = &p.phone {
            assert!(wangge_domain::phone::Phone::parse("phone", phone).is_ok(), "{phone}");
            assert!(phones.insert(phone.as_str()), "duplicate phone {phone}");
        }
        let age = age_on(p.birth_date, reference_date());
        assert_eq!(p.tags.contains(&"老年人"), age >= ELDERLY_AGE, "{} aged {age}", p.name);
        let size = sizes[p.household_number.as_str()];
        assert_eq!(p.tags.contains(&"独居老人"), age >= ELDERLY_AGE && size == 1);
        if p.tags.contains(&"空巢老人") {
            assert!(size >= 2 && age >= ELDERLY_AGE);
        }
        if p.tags.contains(&"留守儿童") {
            assert!(age < 16);
        }
        assert_eq!(p.tags.contains(&"流动人口"), p.population_type == "流动人口");
        let name_len = p.name.chars().count();
        assert!((2..=4).contains(&name_len), "{}", p.name);
    }
    assert_eq!(heads.len(), d.households.len(), "every household has people");
    assert!(heads.values().all(|&n| n == 1), "exactly one 户主 per household");
}

#[test]
fn small_register_is_consistent() {
    check_register(&small());
}

#[test]
fn street_register_is_consistent() {
    check_register(street());
}

/// The published shares, people total and households per grid.
fn check_shares(d: &DemoData) {
    let people = d.people.len() as f64;
    let share = |tag| d.people.iter().filter(|p| p.tags.contains(&tag)).count() as f64 / people;
    let close = |what: &str, got: f64, want: f64| {
        eprintln!("{what}: {:.2} % (target {:.1} %)", got * 100.0, want * 100.0);
        assert!((got - want).abs() <= 0.015, "{what}: {got} vs {want}");
    };
    close("elderly", share("老年人"), ELDERLY_SHARE);
    close("disabled", share("残疾人"), DISABLED_SHARE);
    close("migrants", share("流动人口"), MIGRANT_SHARE);
    let dibao = d.households.iter().filter(|h| h.tags.contains(&"低保")).count() as f64 / d.households.len() as f64;
    close("低保 households", dibao, DIBAO_SHARE);
    for tag in
        ["独居老人", "空巢老人", "党员", "退役军人", "留守儿童", "社区矫正人员", "刑满释放人员", "严重精神障碍患者"]
    {
        assert!(share(tag) > 0.0, "nobody is tagged {tag}");
    }
    assert!((55_000..=65_000).contains(&d.people.len()), "{} people", d.people.len());
    let mut per_grid: HashMap<&str, usize> = HashMap::new();
    for h in &d.households {
        *per_grid.entry(&h.grid_code).or_default() += 1;
    }
    assert_eq!(per_grid.len(), d.grids().count());
    assert!(per_grid.values().all(|n| (300..=500).contains(n)), "{per_grid:?}");
}

#[test]
fn street_matches_the_source_document() {
    let d = street();
    check_shares(d);

    let main = &d.regions[1].code;
    let communities = d.regions.iter().filter(|r| r.parent_code.as_ref() == Some(main)).count();
    assert_eq!(communities, 17);
    let grids = d.grids().filter(|g| g.code.starts_with(main.as_str())).count();
    assert!((50..=60).contains(&grids));
    let main_people = d.people.iter().filter(|p| p.grid_code.starts_with(main.as_str())).count();
    eprintln!("main street: {main_people} people in {grids} grids");
    assert!((54_000..=63_000).contains(&main_people));
    assert!(d.regions.iter().filter(|r| r.level == RegionLevel::Street).count() >= 3);

    let rented = d.houses.iter().filter(|h| h.usage == "出租").count() as f64 / d.houses.len() as f64;
    eprintln!("出租 houses: {:.1} %", rented * 100.0);
    assert!((0.08..=0.16).contains(&rented));
}

#[test]
fn street_shares_hold_for_other_seeds() {
    for seed in [0, 1, u64::MAX] {
        check_shares(&generate(Scale::Street, seed));
    }
}
