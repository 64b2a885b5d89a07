//! Houses, households and residents of each grid.
//!
//! Households are drawn from a handful of realistic compositions (独居老人, 空巢老人, nuclear families, three
//! generations, migrant workers sharing a flat…). The published shares (elderly, migrants, disabled, 低保) are
//! held by small feedback loops rather than fixed probabilities: whenever a share runs below its target the
//! next draw leans towards it, so every seed lands within a few tenths of a point of the targets while each
//! household stays random.

use crate::layout::{Block, Lattice};
use crate::names::{
    ETHNICITIES, LOCAL_ID_REGIONS, MIGRANT_ID_REGIONS, SURNAMES, Weighted, compound_name, given_name, mobile,
};
use crate::{
    DIBAO_SHARE, DISABLED_SHARE, DISTRICT_NAME, DemoHouse, DemoHousehold, DemoPerson, ELDERLY_AGE, ELDERLY_SHARE,
    MIGRANT_SHARE, REFERENCE_YEAR,
};
use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;
use wangge_domain::idcard::{Gender, check_digit};

/// 低收入 (low-income, above the 低保 line) registered households: a small share, not a published target.
const LOW_INCOME_SHARE: f64 = 0.015;

/// One grid to populate.
pub(crate) struct GridSite<'a> {
    pub code: &'a str,
    pub street: &'a str,
    pub community: &'a str,
    pub block: Block,
    pub households: u32,
}

/// Compositions of registered (户籍) households.
#[derive(Debug, Clone, Copy)]
enum Local {
    /// One person aged 60+.
    AloneElderly,
    /// Two spouses aged 60+.
    ElderlyCouple,
    Single,
    Couple,
    /// Parents and one or two children.
    Nuclear,
    /// Working-age couple, a child and the head's parent(s).
    WithParents,
    /// Elderly couple and a grown child.
    ElderlyWithChild,
    /// Grandparents bringing up grandchildren (隔代).
    SkipGeneration,
    /// Elderly head, a married child, the child's spouse and grandchildren.
    FourGenerationsHead,
}

/// Mix used while the elderly share is below target, and the one used while above.
const LOCAL_OLDER: &[(Local, u32)] = &[
    (Local::AloneElderly, 11),
    (Local::ElderlyCouple, 16),
    (Local::Single, 7),
    (Local::Couple, 9),
    (Local::Nuclear, 26),
    (Local::WithParents, 10),
    (Local::ElderlyWithChild, 8),
    (Local::SkipGeneration, 4),
    (Local::FourGenerationsHead, 9),
];
const LOCAL_YOUNGER: &[(Local, u32)] = &[
    (Local::AloneElderly, 4),
    (Local::ElderlyCouple, 6),
    (Local::Single, 14),
    (Local::Couple, 14),
    (Local::Nuclear, 42),
    (Local::WithParents, 6),
    (Local::ElderlyWithChild, 4),
    (Local::SkipGeneration, 2),
    (Local::FourGenerationsHead, 8),
];

/// Compositions of migrant (流动人口) households.
#[derive(Debug, Clone, Copy)]
enum Migrant {
    Single,
    Couple,
    Family,
    /// Co-workers renting one flat.
    Sharing,
    /// A family that brought a parent along to mind the child.
    WithParent,
}

const MIGRANT_MIX: &[(Migrant, u32)] = &[
    (Migrant::Single, 35),
    (Migrant::Couple, 25),
    (Migrant::Family, 25),
    (Migrant::Sharing, 10),
    (Migrant::WithParent, 5),
];

/// Residential building types: floors, units (单元), flats per floor and flat size range in m².
#[derive(Debug, Clone, Copy)]
struct Style {
    floors: u32,
    units: u32,
    per_floor: u32,
    area: (f64, f64),
}

const STYLES: &[(Style, u32)] = &[
    (Style { floors: 6, units: 2, per_floor: 2, area: (50.0, 110.0) }, 55), // 多层
    (Style { floors: 11, units: 2, per_floor: 2, area: (60.0, 130.0) }, 30), // 小高层
    (Style { floors: 18, units: 2, per_floor: 4, area: (70.0, 140.0) }, 15), // 高层
];

#[derive(Debug, Clone, Copy)]
struct Member {
    relation: &'static str,
    gender: Gender,
    age: u32,
    surname: &'static str,
    ethnicity: &'static str,
    left_behind: bool,
}

impl Member {
    fn new(relation: &'static str, gender: Gender, age: u32, surname: &'static str, ethnicity: &'static str) -> Member {
        Member { relation, gender, age, surname, ethnicity, left_behind: false }
    }
}

/// Running totals behind the feedback loops.
#[derive(Debug, Default)]
struct Stats {
    people: u32,
    elderly: u32,
    migrants: u32,
    disabled: u32,
    households: u32,
    dibao: u32,
}

impl Stats {
    fn below(part: u32, whole: u32, share: f64) -> bool {
        f64::from(part) < share * f64::from(whole)
    }
}

pub(crate) struct Population {
    rng: ChaCha8Rng,
    surnames: Weighted<&'static str>,
    ethnicities: Weighted<&'static str>,
    local_regions: Weighted<&'static str>,
    migrant_regions: Weighted<&'static str>,
    older: Weighted<Local>,
    younger: Weighted<Local>,
    migrant_mix: Weighted<Migrant>,
    styles: Weighted<Style>,
    /// 17-digit ID prefixes and phone numbers handed out so far: both must be unique.
    ids: HashSet<u64>,
    phones: HashSet<u64>,
    /// Compound names used in the current community, so that addresses stay unambiguous.
    compounds: Vec<String>,
    stats: Stats,
    pub houses: Vec<DemoHouse>,
    pub households: Vec<DemoHousehold>,
    pub people: Vec<DemoPerson>,
}

impl Population {
    pub fn new(rng: ChaCha8Rng, expected_people: usize) -> Population {
        Population {
            rng,
            surnames: Weighted::new(SURNAMES),
            ethnicities: Weighted::new(ETHNICITIES),
            local_regions: Weighted::new(LOCAL_ID_REGIONS),
            migrant_regions: Weighted::new(MIGRANT_ID_REGIONS),
            older: Weighted::new(LOCAL_OLDER),
            younger: Weighted::new(LOCAL_YOUNGER),
            migrant_mix: Weighted::new(MIGRANT_MIX),
            styles: Weighted::new(STYLES),
            ids: HashSet::with_capacity(expected_people),
            phones: HashSet::with_capacity(expected_people),
            compounds: Vec::new(),
            stats: Stats::default(),
            houses: Vec::with_capacity(expected_people / 2),
            households: Vec::with_capacity(expected_people / 2),
            people: Vec::with_capacity(expected_people),
        }
    }

    /// Compound names only need to differ within one community.
    pub fn start_community(&mut self) {
        self.compounds.clear();
    }

    /// Builds one compound of houses in the grid and fills it with `site.households` households.
    pub fn grid(&mut self, site: &GridSite, lattice: &Lattice) {
        assert!(site.households < 1000, "household numbers have 3 digits per grid");
        let style = self.styles.pick(&mut self.rng);
        let compound = loop {
            let name = compound_name(&mut self.rng);
            if !self.compounds.contains(&name) {
                break name;
            }
        };
        self.compounds.push(compound.clone());
        let prefix = format!("{DISTRICT_NAME}{}{}{compound}", site.street, site.community);

        let first_house = self.houses.len();
        let mut buildings_of_houses = Vec::with_capacity(site.households as usize * 2);
        let (mut building, mut unit, mut floor, mut flat) = (1u32, 1u32, 1u32, 1u32);
        let (mut left, mut house_seq, mut household_seq) = (site.households, 0u32, 0u32);
        while left > 0 {
            house_seq += 1;
            let house_code = format!("F{}{house_seq:04}", site.code);
            let room = floor * 100 + flat;
            let x: f64 = self.rng.gen_range(0.0..1.0);
            let commercial = if floor == 1 { 0.12 } else { 0.004 };
            let (usage, occupants, migrant) = if x < commercial {
                ("商用", 0, false)
            } else if x < commercial + 0.06 {
                ("空置", 0, false)
            } else if x < commercial + 0.068 {
                ("其他", 0, false)
            } else {
                let migrant =
                    self.rng.gen_bool(if Stats::below(self.stats.migrants, self.stats.people, MIGRANT_SHARE) {
                        0.25
                    } else {
                        0.04
                    });
                let usage = if migrant || self.rng.gen_bool(0.012) { "出租" } else { "自住" };
                // Migrant tenants sometimes share a flat: two households, one house.
                let occupants = if migrant && left >= 2 && self.rng.gen_bool(0.15) { 2 } else { 1 };
                (usage, occupants, migrant)
            };
            let (lo, hi) = if usage == "商用" { (30.0, 150.0) } else { style.area };
            self.houses.push(DemoHouse {
                code: house_code.clone(),
                grid_code: site.code.to_string(),
                address: format!("{prefix}{building}幢{unit}单元{room}室"),
                building: format!("{building}幢"),
                unit: format!("{unit}单元"),
                room: format!("{room}室"),
                area_m2: (self.rng.gen_range(lo..hi) * 100.0_f64).round() / 100.0,
                usage,
                lon: 0.0,
                lat: 0.0,
            });
            buildings_of_houses.push(building);
            for _ in 0..occupants {
                household_seq += 1;
                let number = format!("{}{household_seq:03}", site.code);
                self.household(number, &house_code, site.code, migrant);
                left -= 1;
            }

            flat += 1;
            if flat > style.per_floor {
                (flat, floor) = (1, floor + 1);
                if floor > style.floors {
                    (floor, unit) = (1, unit + 1);
                    if unit > style.units {
                        (unit, building) = (1, building + 1);
                    }
                }
            }
        }
        self.place_buildings(site.block, lattice, first_house, &buildings_of_houses);
    }

    /// Spreads the compound's buildings over the grid on a loose lattice; every flat of a building shares
    /// the building's position, which lies strictly inside the grid.
    fn place_buildings(&mut self, block: Block, lattice: &Lattice, first_house: usize, buildings: &[u32]) {
        let n = buildings.iter().copied().max().unwrap_or(0);
        if n == 0 {
            return;
        }
        let (w, h) = (f64::from(block.width()), f64::from(block.height()));
        let cols = ((f64::from(n) * w / h).sqrt().ceil() as u32).clamp(1, n);
        let rows = n.div_ceil(cols);
        let spots: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let fx = (f64::from(i % cols) + 0.5 + self.rng.gen_range(-0.25..0.25)) / f64::from(cols);
                let fy = (f64::from(i / cols) + 0.5 + self.rng.gen_range(-0.25..0.25)) / f64::from(rows);
                lattice.point(f64::from(block.c0) + fx * w, f64::from(block.r0) + fy * h)
            })
            .collect();
        for (house, &b) in self.houses[first_house..].iter_mut().zip(buildings) {
            (house.lon, house.lat) = spots[(b - 1) as usize];
        }
    }

    fn household(&mut self, number: String, house_code: &str, grid_code: &str, migrant: bool) {
        let mut members = Vec::with_capacity(6);
        if migrant {
            let kind = self.migrant_mix.pick(&mut self.rng);
            self.compose_migrant(kind, &mut members);
        } else {
            let older = Stats::below(self.stats.elderly, self.stats.people, ELDERLY_SHARE);
            let kind = if older { self.older.pick(&mut self.rng) } else { self.younger.pick(&mut self.rng) };
            self.compose_local(kind, &mut members);
        }
        let first_person = self.people.len();
        self.emit(&members, &number, grid_code, migrant);

        let mut tags = Vec::new();
        if !migrant {
            let dibao_p = if Stats::below(self.stats.dibao, self.stats.households, DIBAO_SHARE) { 0.10 } else { 0.01 };
            if self.rng.gen_bool(dibao_p) {
                tags.push("低保");
                self.stats.dibao += 1;
            } else if self.rng.gen_bool(LOW_INCOME_SHARE) {
                tags.push("低收入");
            }
            // 特困: alone and unable to work — elderly or disabled single-person households, rarely.
            let alone_vulnerable =
                members.len() == 1 && self.people[first_person].tags.iter().any(|t| *t == "老年人" || *t == "残疾人");
            if alone_vulnerable && self.rng.gen_bool(0.03) {
                tags.push("特困");
            }
        }
        self.stats.households += 1;
        self.households.push(DemoHousehold {
            number,
            house_code: house_code.to_string(),
            grid_code: grid_code.to_string(),
            registered: !migrant,
            tags,
        });
    }

    fn gender(&mut self, p_male: f64) -> Gender {
        if self.rng.gen_bool(p_male) { Gender::Male } else { Gender::Female }
    }

    /// Ages of 60+ falling off with age: about half in their sixties, a fifth 80 or older.
    fn elderly_age(&mut self) -> u32 {
        ELDERLY_AGE + self.rng.gen_range(0..=35).min(self.rng.gen_range(0..=35))
    }

    /// Head and spouse; returns (father's surname, mother's surname, mother's age) for the children.
    fn couple(
        &mut self,
        m: &mut Vec<Member>,
        head_age: u32,
        min_age: u32,
        ethnicity: &'static str,
    ) -> (&'static str, &'static str, u32) {
        let head_gender = self.gender(0.85);
        let head_surname = self.surnames.pick(&mut self.rng);
        let spouse_surname = self.surnames.pick(&mut self.rng);
        let spouse_ethnicity = if self.rng.gen_bool(0.9) { ethnicity } else { self.ethnicities.pick(&mut self.rng) };
        let (spouse_gender, spouse_age) = match head_gender {
            Gender::Male => (Gender::Female, head_age as i32 + self.rng.gen_range(-5..=2)),
            Gender::Female => (Gender::Male, head_age as i32 + self.rng.gen_range(-2..=5)),
        };
        let spouse_age = (spouse_age.max(min_age as i32) as u32).min(100);
        let head = Member::new("户主", head_gender, head_age, head_surname, ethnicity);
        let spouse = Member::new("配偶", spouse_gender, spouse_age, spouse_surname, spouse_ethnicity);
        m.push(head);
        m.push(spouse);
        match head_gender {
            Gender::Male => (head_surname, spouse_surname, spouse_age),
            Gender::Female => (spouse_surname, head_surname, head_age),
        }
    }

    /// A child (or grandchild) of a mother of `mother_age`, unless she would have been too young.
    fn child(
        &mut self,
        m: &mut Vec<Member>,
        parents: (&'static str, &'static str, u32),
        grandchild: bool,
        ethnicity: &'static str,
        max_age: u32,
    ) -> Option<Member> {
        let (father, mother, mother_age) = parents;
        let age = mother_age.checked_sub(self.rng.gen_range(23..=36))?.min(max_age);
        let gender = self.gender(0.52);
        let relation = match (grandchild, gender) {
            (false, Gender::Male) => "子",
            (false, Gender::Female) => "女",
            (true, Gender::Male) => "孙子",
            (true, Gender::Female) => "孙女",
        };
        let surname = if self.rng.gen_bool(0.9) { father } else { mother };
        let c = Member::new(relation, gender, age, surname, ethnicity);
        m.push(c);
        Some(c)
    }

    /// The head's father and/or mother, 24–34 years older than the head.
    fn parents_of_head(&mut self, m: &mut Vec<Member>, ethnicity: &'static str) {
        let head = m[0];
        let father_age = (head.age + self.rng.gen_range(24..=34)).min(99);
        let mother_age = father_age.saturating_sub(self.rng.gen_range(0..=4));
        let x: f64 = self.rng.gen_range(0.0..1.0);
        if x < 0.7 {
            let mother_surname = self.surnames.pick(&mut self.rng);
            let mother = Member::new("母亲", Gender::Female, mother_age, mother_surname, ethnicity);
            m.push(mother);
        }
        if x >= 0.4 {
            let father = Member::new("父亲", Gender::Male, father_age, head.surname, ethnicity);
            m.push(father);
        }
    }

    fn compose_local(&mut self, kind: Local, m: &mut Vec<Member>) {
        let eth = self.ethnicities.pick(&mut self.rng);
        match kind {
            Local::AloneElderly => {
                let (g, age, surname) = (self.gender(0.35), self.elderly_age(), self.surnames.pick(&mut self.rng));
                let head = Member::new("户主", g, age, surname, eth);
                m.push(head);
            }
            Local::ElderlyCouple => {
                let age = self.elderly_age();
                self.couple(m, age, ELDERLY_AGE, eth);
            }
            Local::Single => {
                let (g, age, surname) =
                    (self.gender(0.5), self.rng.gen_range(20..=59), self.surnames.pick(&mut self.rng));
                let head = Member::new("户主", g, age, surname, eth);
                m.push(head);
            }
            Local::Couple => {
                let age = self.rng.gen_range(24..=59);
                self.couple(m, age, 22, eth);
            }
            Local::Nuclear => {
                let age = self.rng.gen_range(28..=59);
                let parents = self.couple(m, age, 24, eth);
                let kids = if self.rng.gen_bool(0.35) { 2 } else { 1 };
                for _ in 0..kids {
                    self.child(m, parents, false, eth, 34);
                }
            }
            Local::WithParents => {
                let age = self.rng.gen_range(35..=59);
                let parents = self.couple(m, age, 28, eth);
                self.child(m, parents, false, eth, 30);
                self.parents_of_head(m, eth);
            }
            Local::ElderlyWithChild => {
                let age = self.elderly_age();
                let parents = self.couple(m, age, 55, eth);
                self.child(m, parents, false, eth, 45);
            }
            Local::SkipGeneration => {
                let age = self.rng.gen_range(ELDERLY_AGE..=78);
                self.couple(m, age, 56, eth);
                let kids = if self.rng.gen_bool(0.25) { 2 } else { 1 };
                for _ in 0..kids {
                    let (g, age) = (self.gender(0.52), self.rng.gen_range(3..=15));
                    let surname = m[0].surname;
                    let relation = if g == Gender::Male { "孙子" } else { "孙女" };
                    let mut kid = Member::new(relation, g, age, surname, eth);
                    // Parents work elsewhere: counted as 留守儿童 (under 16, both parents away).
                    kid.left_behind = self.rng.gen_bool(0.3);
                    m.push(kid);
                }
            }
            Local::FourGenerationsHead => {
                let age = self.rng.gen_range(ELDERLY_AGE..=84);
                let parents = self.couple(m, age, 56, eth);
                let Some(child) = self.child(m, parents, false, eth, 45) else { return };
                let in_law_gender = if child.gender == Gender::Male { Gender::Female } else { Gender::Male };
                let in_law_age = (child.age as i32 + self.rng.gen_range(-3..=3)).max(20) as u32;
                let in_law_surname = self.surnames.pick(&mut self.rng);
                let in_law = Member::new("其他", in_law_gender, in_law_age, in_law_surname, eth);
                m.push(in_law);
                let (father, mother) = if child.gender == Gender::Male { (child, in_law) } else { (in_law, child) };
                let kids = if self.rng.gen_bool(0.3) { 2 } else { 1 };
                for _ in 0..kids {
                    self.child(m, (father.surname, mother.surname, mother.age), true, eth, 25);
                }
            }
        }
    }

    fn compose_migrant(&mut self, kind: Migrant, m: &mut Vec<Member>) {
        let eth = self.ethnicities.pick(&mut self.rng);
        match kind {
            Migrant::Single => {
                let (g, age, surname) =
                    (self.gender(0.6), self.rng.gen_range(18..=50), self.surnames.pick(&mut self.rng));
                let head = Member::new("户主", g, age, surname, eth);
                m.push(head);
            }
            Migrant::Couple => {
                let age = self.rng.gen_range(20..=50);
                self.couple(m, age, 19, eth);
            }
            Migrant::Family => {
                let age = self.rng.gen_range(25..=48);
                let parents = self.couple(m, age, 22, eth);
                let kids = if self.rng.gen_bool(0.45) { 2 } else { 1 };
                for _ in 0..kids {
                    self.child(m, parents, false, eth, 17);
                }
            }
            Migrant::Sharing => {
                let (g, age, surname) =
                    (self.gender(0.65), self.rng.gen_range(18..=40), self.surnames.pick(&mut self.rng));
                let head = Member::new("户主", g, age, surname, eth);
                m.push(head);
                let mates = if self.rng.gen_bool(0.4) { 2 } else { 1 };
                for _ in 0..mates {
                    let g = if self.rng.gen_bool(0.8) { head.gender } else { self.gender(0.5) };
                    let (age, surname, e) = (
                        self.rng.gen_range(18..=45),
                        self.surnames.pick(&mut self.rng),
                        self.ethnicities.pick(&mut self.rng),
                    );
                    let mate = Member::new("其他", g, age, surname, e);
                    m.push(mate);
                }
            }
            Migrant::WithParent => {
                let age = self.rng.gen_range(25..=45);
                let parents = self.couple(m, age, 22, eth);
                self.child(m, parents, false, eth, 15);
                self.parents_of_head(m, eth);
                // One parent came along, not both.
                if m.len() >= 2 && m[m.len() - 1].relation == "父亲" && m[m.len() - 2].relation == "母亲" {
                    m.pop();
                }
            }
        }
    }

    /// Turns the members of one household into people: names, ID numbers, phones and tags.
    fn emit(&mut self, members: &[Member], household_number: &str, grid_code: &str, migrant: bool) {
        let all_elderly = members.iter().all(|p| p.age >= ELDERLY_AGE);
        let home_region =
            if migrant { self.migrant_regions.pick(&mut self.rng) } else { self.local_regions.pick(&mut self.rng) };
        for p in members {
            let birth = self.birth_date(p.age);
            let region = match (migrant, p.relation) {
                (true, "其他") if self.rng.gen_bool(0.5) => self.migrant_regions.pick(&mut self.rng),
                (false, _) if self.rng.gen_bool(0.3) => self.local_regions.pick(&mut self.rng),
                _ => home_region,
            };
            let id_number = self.id_number(region, birth, p.gender);
            let phone = self.phone(p.age);
            let given = given_name(&mut self.rng, p.gender, birth.year());
            let mut name = String::with_capacity(p.surname.len() + given.len());
            name.push_str(p.surname);
            name.push_str(given);

            let elderly = p.age >= ELDERLY_AGE;
            let mut tags = Vec::new();
            if elderly {
                tags.push("老年人");
                if members.len() == 1 {
                    tags.push("独居老人");
                } else if all_elderly {
                    tags.push("空巢老人");
                }
            }
            if migrant {
                tags.push("流动人口");
            }
            if p.left_behind {
                tags.push("留守儿童");
            }
            let disabled_p =
                if Stats::below(self.stats.disabled, self.stats.people, DISABLED_SHARE) { 0.04 } else { 0.004 };
            if self.rng.gen_bool(if elderly { disabled_p } else { disabled_p * 0.6 }) {
                tags.push("残疾人");
                self.stats.disabled += 1;
            }
            if p.age >= 18 {
                let party = match p.age {
                    18..30 => 0.04,
                    30..60 => 0.07,
                    _ => 0.10,
                };
                if self.rng.gen_bool(party) {
                    tags.push("党员");
                }
            }
            if p.age >= 22 && self.rng.gen_bool(if p.gender == Gender::Male { 0.03 } else { 0.002 }) {
                tags.push("退役军人");
            }
            if (18..=60).contains(&p.age) && self.rng.gen_bool(0.0006) {
                tags.push("社区矫正人员");
            }
            if (20..=70).contains(&p.age) && self.rng.gen_bool(0.0012) {
                tags.push("刑满释放人员");
            }
            if p.age >= 15 && self.rng.gen_bool(0.003) {
                tags.push("严重精神障碍患者");
            }

            self.stats.people += 1;
            self.stats.elderly += u32::from(elderly);
            self.stats.migrants += u32::from(migrant);
            self.people.push(DemoPerson {
                name,
                id_number,
                gender: p.gender,
                birth_date: birth,
                ethnicity: p.ethnicity,
                phone,
                population_type: if migrant { "流动人口" } else { "户籍人口" },
                household_number: household_number.to_string(),
                relation: p.relation,
                grid_code: grid_code.to_string(),
                tags,
            });
        }
    }

    /// A birthday that makes the person exactly `age` on the reference date (1 January): any day of the
    /// year `REFERENCE_YEAR - 1 - age` except 1 January itself.
    fn birth_date(&mut self, age: u32) -> NaiveDate {
        let year = REFERENCE_YEAR - 1 - age as i32;
        let days = if NaiveDate::from_ymd_opt(year, 2, 29).is_some() { 366 } else { 365 };
        let ordinal = self.rng.gen_range(2..=days);
        NaiveDate::from_yo_opt(year, ordinal).expect("a day of the year")
    }

    /// A GB 11643 number, unique in the data set: the 3-digit sequence is odd for men, even for women.
    fn id_number(&mut self, region: &str, birth: NaiveDate, gender: Gender) -> String {
        let region: u64 = region.parse().expect("6-digit region code");
        let ymd = u64::from(birth.year() as u32) * 10_000 + u64::from(birth.month()) * 100 + u64::from(birth.day());
        let body = loop {
            let seq = self.rng.gen_range(0..500u64) * 2 + u64::from(gender == Gender::Male);
            let n = region * 100_000_000_000 + ymd * 1000 + seq;
            if self.ids.insert(n) {
                break n;
            }
        };
        let mut s = format!("{body:017}");
        s.push(check_digit(&s).expect("17 digits"));
        s
    }

    /// Most adults give a mobile number; small children and many of the very old do not.
    fn phone(&mut self, age: u32) -> Option<String> {
        let p = match age {
            0..12 => return None,
            12..18 => 0.5,
            18..75 => 0.96,
            _ => 0.7,
        };
        if !self.rng.gen_bool(p) {
            return None;
        }
        loop {
            let n = mobile(&mut self.rng);
            if self.phones.insert(n) {
                return Some(n.to_string());
            }
        }
    }
}
