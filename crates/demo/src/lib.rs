//! Deterministic demo data for wangge: the fictional district 清河区 (code 330199, just west of Hangzhou's
//! West Lake) with its streets, communities and grids (with boundaries), houses, households and residents.
//!
//! The same `(scale, seed)` always yields the same data — nothing reads the clock; ages are taken on
//! [`reference_date`] — so demos, screenshots and tests are reproducible. Every name, address, ID number
//! and phone number is made up; ID numbers are nonetheless valid GB 11643 numbers so that they pass the
//! same checks as real ones.
//!
//! [`Scale::Street`] follows the example community of the source document: one street of 2.12 km² with
//! about 60,000 residents in 17 communities and grids of 300–500 households, 22.1 % elderly, 1.7 %
//! disabled, 3.7 % of households on 低保 and 10.9 % migrants, plus two small streets so that the district
//! drills down into several. [`Scale::Small`] is a few hundred households for tests.

mod layout;
mod names;
mod organizations;
mod people;

pub use organizations::{DemoOrganization, organizations};

use chrono::NaiveDate;
use geo_types::MultiPolygon;
use layout::{Block, Lattice, split};
use people::{GridSite, Population};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use wangge_domain::idcard::Gender;
use wangge_domain::region::RegionLevel;

/// Code of the fictional demo district (GB/T 2260 style; 3301xx is Hangzhou, 99 is unused).
pub const DISTRICT_CODE: &str = "330199";
pub const DISTRICT_NAME: &str = "清河区";

/// Ages are computed on 1 January of this year, never on today's date, so the data never drifts.
pub const REFERENCE_YEAR: i32 = 2026;
/// Age from which a person counts as elderly (老年人).
pub const ELDERLY_AGE: u32 = 60;

/// Targets taken from the source document's example street; [`Scale::Street`] holds them within a few
/// tenths of a percentage point.
pub const ELDERLY_SHARE: f64 = 0.221;
pub const DISABLED_SHARE: f64 = 0.017;
/// Share of households (not people) on 低保 (minimum living allowance).
pub const DIBAO_SHARE: f64 = 0.037;
pub const MIGRANT_SHARE: f64 = 0.109;

/// Area of the main demo street, from the source document.
const MAIN_STREET_KM2: f64 = 2.12;
/// Lattice cells the main street is cut into (36 × 28); fixes the cell size at about 46 m.
const MAIN_STREET_CELLS: (u32, u32) = (36, 28);

/// 1 January of [`REFERENCE_YEAR`]: the day on which every age and age-based tag is computed.
pub fn reference_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(REFERENCE_YEAR, 1, 1).expect("a valid date")
}

/// Completed years of age of someone born on `birth`, on the day `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    use chrono::Datelike;
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scale {
    /// 2 streets × 2 communities × 2 grids, about 40 households per grid: for tests.
    #[default]
    Small,
    /// The source document's example street (~60,000 people) plus two small streets.
    Street,
}

impl Scale {
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Street => "street",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DemoData {
    /// Parents before children: the district, then streets, communities and grids, each level by code.
    pub regions: Vec<DemoRegion>,
    pub houses: Vec<DemoHouse>,
    pub households: Vec<DemoHousehold>,
    pub people: Vec<DemoPerson>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoRegion {
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
    pub parent_code: Option<String>,
    /// WGS84 lon/lat; children tile their parent exactly (shared vertices).
    pub boundary: MultiPolygon<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoHouse {
    /// `F` + grid code + 4-digit sequence.
    pub code: String,
    pub grid_code: String,
    /// Full address, e.g. `清河区翠苑街道文新社区桂花新村3幢2单元402室`.
    pub address: String,
    /// `3幢`
    pub building: String,
    /// `2单元`
    pub unit: String,
    /// `402室`
    pub room: String,
    pub area_m2: f64,
    /// `自住`, `出租`, `空置`, `商用` or `其他`.
    pub usage: &'static str,
    /// The building's position, strictly inside the grid.
    pub lon: f64,
    pub lat: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoHousehold {
    /// 户号: grid code + 3-digit sequence.
    pub number: String,
    pub house_code: String,
    pub grid_code: String,
    /// false for migrant (流动人口) households.
    pub registered: bool,
    /// `低保`, `低收入`, `特困`.
    pub tags: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoPerson {
    pub name: String,
    /// Valid, unique GB 11643 number matching `gender` and `birth_date`.
    pub id_number: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub ethnicity: &'static str,
    /// 11-digit mobile, unique; None for small children and some of the very old.
    pub phone: Option<String>,
    /// `户籍人口` or `流动人口`.
    pub population_type: &'static str,
    pub household_number: String,
    /// `户主`, `配偶`, `子`, `女`, `父亲`, `母亲`, `孙子`, `孙女` or `其他`.
    pub relation: &'static str,
    pub grid_code: String,
    /// `老年人`, `独居老人`, `空巢老人`, `流动人口`, `留守儿童`, `残疾人`, `党员`, `退役军人`, `社区矫正人员`,
    /// `刑满释放人员`, `严重精神障碍患者`.
    pub tags: Vec<&'static str>,
}

impl DemoData {
    pub fn grids(&self) -> impl Iterator<Item = &DemoRegion> {
        self.regions.iter().filter(|r| r.level == RegionLevel::Grid)
    }

    /// FNV-1a over every field: a cheap fingerprint to compare two generations or to log.
    pub fn digest(&self) -> u64 {
        let mut h = Fnv::default();
        for r in &self.regions {
            h.str(&r.code).str(&r.name).str(r.level.as_str()).str(r.parent_code.as_deref().unwrap_or("-"));
            for p in &r.boundary.0 {
                for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                    for c in &ring.0 {
                        h.f64(c.x).f64(c.y);
                    }
                    h.str("|");
                }
            }
        }
        for x in &self.houses {
            h.str(&x.code).str(&x.grid_code).str(&x.address).str(&x.building).str(&x.unit).str(&x.room);
            h.f64(x.area_m2).str(x.usage).f64(x.lon).f64(x.lat);
        }
        for x in &self.households {
            h.str(&x.number).str(&x.house_code).str(&x.grid_code).str(if x.registered { "1" } else { "0" });
            x.tags.iter().for_each(|t| _ = h.str(t));
        }
        for p in &self.people {
            h.str(&p.name).str(&p.id_number).str(p.gender.as_str()).str(&p.birth_date.to_string());
            h.str(p.ethnicity).str(p.phone.as_deref().unwrap_or("-")).str(p.population_type);
            h.str(&p.household_number).str(p.relation).str(&p.grid_code);
            p.tags.iter().for_each(|t| _ = h.str(t));
        }
        h.0
    }
}

struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn bytes(&mut self, b: &[u8]) -> &mut Self {
        for &x in b {
            self.0 = (self.0 ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3);
        }
        self
    }
    /// Length-prefixed so that ("ab","c") and ("a","bc") differ.
    fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(&(s.len() as u64).to_le_bytes()).bytes(s.as_bytes())
    }
    fn f64(&mut self, x: f64) -> &mut Self {
        self.bytes(&x.to_bits().to_le_bytes())
    }
}

/// What to build, before any geometry: names and household counts per grid.
struct StreetPlan {
    name: &'static str,
    /// Relative area (in lattice cells) within the district.
    cells: f64,
    communities: Vec<CommunityPlan>,
}

struct CommunityPlan {
    name: &'static str,
    /// Households of each grid.
    grids: Vec<u32>,
}

struct Plan {
    cols: u32,
    rows: u32,
    streets: Vec<StreetPlan>,
}

/// Communities of the main street and how many grids each has (56 grids in all).
const MAIN_COMMUNITIES: [(&str, u32); 17] = [
    ("文新社区", 4),
    ("翠苑社区", 3),
    ("嘉绿社区", 3),
    ("古荡社区", 4),
    ("益乐社区", 3),
    ("竞舟社区", 3),
    ("德加社区", 3),
    ("府苑社区", 4),
    ("紫荆社区", 3),
    ("桂花社区", 3),
    ("香樟社区", 3),
    ("丰潭社区", 4),
    ("枫华社区", 3),
    ("兰亭社区", 3),
    ("银杏社区", 4),
    ("清涟社区", 3),
    ("锦绣社区", 3),
];

impl Plan {
    fn new(scale: Scale, rng: &mut impl Rng) -> Plan {
        let mut community = |name, grids: u32, households: std::ops::RangeInclusive<u32>| CommunityPlan {
            name,
            grids: (0..grids).map(|_| rng.gen_range(households.clone())).collect(),
        };
        match scale {
            Scale::Street => {
                let (w, h) = MAIN_STREET_CELLS;
                let main = StreetPlan {
                    name: "翠苑街道",
                    cells: f64::from(w * h),
                    communities: MAIN_COMMUNITIES.iter().map(|&(name, n)| community(name, n, 360..=435)).collect(),
                };
                // Two quieter streets to the north, each 18 × 20 cells, one grid per community.
                let lake = StreetPlan {
                    name: "湖畔街道",
                    cells: 360.0,
                    communities: vec![community("湖畔社区", 1, 300..=340), community("柳岸社区", 1, 300..=340)],
                };
                let hills = StreetPlan {
                    name: "云溪街道",
                    cells: 360.0,
                    communities: vec![community("云溪社区", 1, 300..=340), community("梅林社区", 1, 300..=340)],
                };
                Plan { cols: w, rows: h + 20, streets: vec![main, lake, hills] }
            }
            Scale::Small => {
                let main = StreetPlan {
                    name: "翠苑街道",
                    cells: 1.0,
                    communities: vec![community("文新社区", 2, 36..=44), community("翠苑社区", 2, 36..=44)],
                };
                let lake = StreetPlan {
                    name: "湖畔街道",
                    cells: 1.0,
                    communities: vec![community("湖畔社区", 2, 36..=44), community("柳岸社区", 2, 36..=44)],
                };
                Plan { cols: 24, rows: 16, streets: vec![main, lake] }
            }
        }
    }
}

fn region(
    code: String,
    name: String,
    level: RegionLevel,
    parent: Option<&str>,
    boundary: MultiPolygon<f64>,
) -> DemoRegion {
    DemoRegion { code, name, level, parent_code: parent.map(str::to_string), boundary }
}

/// Generates the demo data set. Deterministic in `(scale, seed)`; about 0.3 s for [`Scale::Street`] in a debug
/// build.
pub fn generate(scale: Scale, seed: u64) -> DemoData {
    // Separate streams, so that a change in one part (say, the lattice) does not reshuffle the others.
    let stream = |n| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(n);
        rng
    };
    let plan = Plan::new(scale, &mut stream(1));
    let cell_m = (MAIN_STREET_KM2 * 1e6 / f64::from(MAIN_STREET_CELLS.0 * MAIN_STREET_CELLS.1)).sqrt();
    let lattice = Lattice::new(plan.cols, plan.rows, cell_m, &mut stream(2));

    let households: u32 = plan.streets.iter().flat_map(|s| &s.communities).flat_map(|c| &c.grids).sum();
    let mut pop = Population::new(stream(3), households as usize * 27 / 10);
    let district = Block::new(plan.cols, plan.rows);
    let mut regions = vec![region(
        DISTRICT_CODE.into(),
        DISTRICT_NAME.into(),
        RegionLevel::District,
        None,
        lattice.polygon(district),
    )];

    let mut street_blocks = Vec::new();
    split(district, &plan.streets.iter().map(|s| s.cells).collect::<Vec<_>>(), &mut street_blocks);
    for (si, (street, sb)) in plan.streets.iter().zip(street_blocks).enumerate() {
        let street_code = format!("{DISTRICT_CODE}{:03}", si + 1);
        regions.push(region(
            street_code.clone(),
            street.name.into(),
            RegionLevel::Street,
            Some(DISTRICT_CODE),
            lattice.polygon(sb),
        ));
        let weights: Vec<f64> = street.communities.iter().map(|c| f64::from(c.grids.iter().sum::<u32>())).collect();
        let mut community_blocks = Vec::new();
        split(sb, &weights, &mut community_blocks);
        for (ci, (community, cb)) in street.communities.iter().zip(community_blocks).enumerate() {
            let community_code = format!("{street_code}{:03}", ci + 1);
            regions.push(region(
                community_code.clone(),
                community.name.into(),
                RegionLevel::Community,
                Some(&street_code),
                lattice.polygon(cb),
            ));
            let weights: Vec<f64> = community.grids.iter().map(|&n| f64::from(n)).collect();
            let mut grid_blocks = Vec::new();
            split(cb, &weights, &mut grid_blocks);
            pop.start_community();
            for (gi, (&n, gb)) in community.grids.iter().zip(grid_blocks).enumerate() {
                let grid_code = format!("{community_code}{:02}", gi + 1);
                let grid_name = format!("{}第{}网格", community.name, names::numeral(gi + 1));
                regions.push(region(
                    grid_code.clone(),
                    grid_name,
                    RegionLevel::Grid,
                    Some(&community_code),
                    lattice.polygon(gb),
                ));
                let site = GridSite {
                    code: &grid_code,
                    street: street.name,
                    community: community.name,
                    block: gb,
                    households: n,
                };
                pop.grid(&site, &lattice);
            }
        }
    }
    // Parents before children; the sort is stable, so each level stays in code order.
    regions.sort_by_key(|r| r.level);
    DemoData { regions, houses: pop.houses, households: pop.households, people: pop.people }
}

#[cfg(test)]
mod tests;
