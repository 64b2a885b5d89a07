//! Loads the deterministic demo district (crate wangge-demo) and one demo account per role.

use crate::auth::random_password;
use crate::{App, AppError, Result};
use std::collections::HashMap;
use wangge_demo::{DemoData, Scale};
use wangge_domain::register::{HouseUsage, PopulationType};
use wangge_domain::role::Role;
use wangge_domain::scope::{Actor, Grant};
use wangge_store::audit::NewAudit;
use wangge_store::register::{NewBuilding, NewHouse, NewHousehold, NewPerson, Val, insert_batch, insert_register};
use wangge_store::{Crypto, Store, StoreError, now_ms};

/// Departments every district has; data, editable later, seeded once.
pub const DEFAULT_DEPARTMENTS: &[(&str, &str, &str)] = &[
    ("chengguan", "城市管理局", "Urban management"),
    ("gongan", "公安分局", "Public security"),
    ("minzheng", "民政局", "Civil affairs"),
    ("sifa", "司法局", "Justice"),
    ("renshe", "人力资源和社会保障局", "Human resources and social security"),
    ("zhujian", "住房和城乡建设局", "Housing and construction"),
    ("shichang", "市场监督管理局", "Market regulation"),
    ("huanbao", "生态环境局", "Ecology and environment"),
    ("weijian", "卫生健康局", "Health"),
    ("yingji", "应急管理局", "Emergency management"),
    ("shuiwu", "水务局", "Water"),
    ("jiaotong", "交通运输局", "Transport"),
];

#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    pub regions: usize,
    pub grids: usize,
    pub houses: usize,
    pub households: usize,
    pub people: usize,
    /// (username, role, region) of every demo account.
    pub accounts: Vec<(String, String, String)>,
    /// Set when no WANGGE_DEMO_PASSWORD was given: print it once.
    pub generated_password: Option<String>,
}

/// Demo tags are the groups' Chinese names; the register stores the kinds' codes.
fn tag_codes(names: &[&str], by_name: &HashMap<String, String>) -> Vec<String> {
    names.iter().filter_map(|n| by_name.get(*n).cloned()).collect()
}

fn population_code(label: &str) -> String {
    PopulationType::parse("人口类型", label).map(|p| p.as_str()).unwrap_or("registered").to_string()
}

fn encrypt_people(crypto: &Crypto, data: &DemoData, by_name: &HashMap<String, String>) -> Vec<NewPerson> {
    data.people
        .iter()
        .map(|p| NewPerson {
            name: p.name.clone(),
            id_number_enc: crypto.encrypt(&p.id_number),
            id_number_hash: crypto.blind_index("id_number", &p.id_number),
            id_number_masked: wangge_domain::idcard::mask_id_number(&p.id_number),
            gender: p.gender.as_str().to_string(),
            birth_date: p.birth_date.format("%Y-%m-%d").to_string(),
            ethnicity: p.ethnicity.to_string(),
            phone_enc: p.phone.as_ref().map(|x| crypto.encrypt(x)),
            phone_hash: p.phone.as_ref().map(|x| crypto.blind_index("phone", x)),
            phone_masked: p.phone.as_deref().map(wangge_domain::phone::mask_phone),
            population_type: population_code(p.population_type),
            household_number: p.household_number.clone(),
            relation: p.relation.to_string(),
            grid_code: p.grid_code.clone(),
            tags: tag_codes(&p.tags, by_name),
        })
        .collect()
}

/// A building is the part of a demo address up to and including its 幢; its flats share one position.
fn building_key(address: &str, building: &str) -> Option<String> {
    let end = address.find(building)? + building.len();
    Some(address[..end].to_string())
}

impl App {
    /// Seeds reference data (departments) when missing. Safe to call at every start.
    pub async fn ensure_reference_data(&self) -> Result<()> {
        self.ensure_tag_kinds().await?;
        self.ensure_event_categories().await?;
        self.ensure_dispute_types().await?;
        if self.store.departments().await?.is_empty() {
            let mut tx = self.store.begin().await?;
            for (code, name, en) in DEFAULT_DEPARTMENTS {
                Store::upsert_department(&mut tx, code, name, en).await?;
            }
            tx.commit().await.map_err(StoreError::from)?;
        }
        // After the departments: the catalogue names its back offices.
        self.ensure_service_catalogue().await
    }

    /// Loads the demo data set into a database that has no regions yet.
    pub async fn load_demo(
        &self,
        actor: &Actor,
        scale: Scale,
        seed: u64,
        password: Option<&str>,
    ) -> Result<DemoSummary> {
        if !self.store.region_tree_is_empty().await? {
            return Err(AppError::conflict(
                "数据库已有区域数据，演示数据只能载入空库 / the database already has regions; demo data loads into an empty database only",
            ));
        }
        self.ensure_reference_data().await?;
        let crypto = self.crypto.clone();
        let by_name: HashMap<String, String> =
            self.store.tag_kinds().await?.into_iter().map(|k| (k.name, k.code)).collect();
        let names = by_name.clone();
        let (data, people) = tokio::task::spawn_blocking(move || {
            let data = wangge_demo::generate(scale, seed);
            let people = encrypt_people(&crypto, &data, &names);
            (data, people)
        })
        .await
        .map_err(|e| AppError::internal(e.to_string()))?;

        let now = now_ms();
        let region_rows: Vec<Vec<Val>> = data
            .regions
            .iter()
            .map(|r| {
                vec![
                    r.code.as_str().into(),
                    r.name.as_str().into(),
                    r.level.as_str().into(),
                    Val::Text(r.parent_code.clone()),
                    wangge_domain::geometry::to_geojson(&r.boundary).to_string().into(),
                    now.into(),
                    now.into(),
                ]
            })
            .collect();
        let mut buildings: Vec<NewBuilding> = Vec::new();
        let mut building_codes: HashMap<String, String> = HashMap::new();
        let mut per_grid: HashMap<String, usize> = HashMap::new();
        let houses: Vec<NewHouse> = data
            .houses
            .iter()
            .map(|h| {
                let building_code = match building_key(&h.address, &h.building) {
                    Some(key) => building_codes
                        .entry(key.clone())
                        .or_insert_with(|| {
                            let n = per_grid.entry(h.grid_code.clone()).or_default();
                            *n += 1;
                            let code = format!("B{}{:03}", h.grid_code, n);
                            buildings.push(NewBuilding {
                                code: code.clone(),
                                grid_code: h.grid_code.clone(),
                                name: key.rsplit('区').next().unwrap_or(&key).to_string(),
                                address: key,
                                floors: None,
                                lon: Some(h.lon),
                                lat: Some(h.lat),
                            });
                            code
                        })
                        .clone(),
                    None => String::new(),
                };
                NewHouse {
                    code: h.code.clone(),
                    building_code,
                    grid_code: h.grid_code.clone(),
                    address: h.address.clone(),
                    building: h.building.clone(),
                    unit: h.unit.clone(),
                    room: h.room.clone(),
                    area_m2: Some(h.area_m2),
                    usage: HouseUsage::parse("房屋用途", h.usage).map(|u| u.as_str()).unwrap_or("other").to_string(),
                    owner_name: String::new(),
                    lon: Some(h.lon),
                    lat: Some(h.lat),
                }
            })
            .collect();
        let households: Vec<NewHousehold> = data
            .households
            .iter()
            .map(|h| NewHousehold {
                number: h.number.clone(),
                house_code: h.house_code.clone(),
                grid_code: h.grid_code.clone(),
                registered: h.registered,
                tags: tag_codes(&h.tags, &by_name),
            })
            .collect();
        let mut tx = self.store.begin().await?;
        insert_batch(
            &mut tx,
            "regions",
            &["code", "name", "level", "parent_code", "boundary", "created_at", "updated_at"],
            &region_rows,
        )
        .await?;
        insert_register(&mut tx, &buildings, &houses, &households, &people).await?;
        let district = data.regions.first().map(|r| r.code.clone()).unwrap_or_default();
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "demo",
                object: &format!("demo:{scale:?}:seed={seed}"),
                reason: None,
                region_code: Some(&district),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.load_demo_organizations(&data).await?;
        self.rebuild_locator().await?;

        let (pw, generated) = match password.filter(|p| !p.is_empty()) {
            Some(p) => {
                crate::auth::check_password_rules("WANGGE_DEMO_PASSWORD", p)?;
                (p.to_string(), None)
            }
            None => {
                let p = random_password();
                (p.clone(), Some(p))
            }
        };
        let accounts = demo_accounts(&data);
        for (username, display, grant) in &accounts {
            self.create_user_unchecked(actor, username, display, &pw, std::slice::from_ref(grant)).await?;
        }
        if let Some(p) = demo_resident(&data) {
            // Tie the demo resident to their record, as a sign-up would.
            let hash = self.crypto.blind_index("id_number", &p.id_number);
            let person = self.store.people_by_id_number_hash(&hash).await?.into_iter().next();
            let user = self.store.user_by_name("demo_resident").await?;
            if let (Some(person), Some(user)) = (person, user) {
                let mut tx = self.store.begin().await?;
                Store::link_person_tx(&mut tx, user.id, person).await?;
                tx.commit().await.map_err(StoreError::from)?;
            }
        }
        self.load_demo_field_work(&data).await?;
        self.load_demo_safety(&data).await?;
        self.load_demo_life(&data).await?;
        self.load_demo_participation(&data).await?;
        self.load_demo_services(&data).await?;
        self.load_demo_assessment(&data).await?;
        let grids = data.regions.iter().filter(|r| r.level == wangge_domain::region::RegionLevel::Grid).count();
        Ok(DemoSummary {
            regions: data.regions.len(),
            grids,
            houses: data.houses.len(),
            households: data.households.len(),
            people: data.people.len(),
            accounts: accounts.into_iter().map(|(u, _, g)| (u, g.role.as_str().to_string(), g.region_code)).collect(),
            generated_password: generated,
        })
    }
}

/// One account per role, placed where that role works in the first street.
fn demo_accounts(data: &DemoData) -> Vec<(String, String, Grant)> {
    use wangge_domain::region::RegionLevel::*;
    let first = |level| data.regions.iter().find(|r| r.level == level).map(|r| r.code.clone()).unwrap_or_default();
    let (district, street, community, grid) = (first(District), first(Street), first(Community), first(Grid));
    let g = |role, region: &str, dep: Option<&str>| Grant {
        role,
        region_code: region.to_string(),
        department_code: dep.map(str::to_string),
    };
    vec![
        ("demo_district".into(), "区综治中心 王主任".into(), g(Role::District, &district, None)),
        ("demo_street".into(), "街道指挥中心 李科长".into(), g(Role::Street, &street, None)),
        ("demo_community".into(), "社区书记 张红".into(), g(Role::Community, &community, None)),
        ("demo_grid_leader".into(), "网格长 陈刚".into(), g(Role::GridLeader, &community, None)),
        ("demo_grid_worker".into(), "网格员 刘芳".into(), g(Role::GridWorker, &grid, None)),
        ("demo_department".into(), "城管局 赵队长".into(), g(Role::Department, &district, Some("chengguan"))),
        // The back office of most resident services (低保, 救助, 高龄津贴…).
        ("demo_minzheng".into(), "民政局 钱科长".into(), g(Role::Department, &district, Some("minzheng"))),
        ("demo_mediator".into(), "人民调解员 孙敏".into(), g(Role::Mediator, &street, None)),
        ("demo_leader".into(), "区领导 周明".into(), g(Role::Leader, &district, None)),
        (
            "demo_resident".into(),
            demo_resident(data).map(|p| p.name.clone()).unwrap_or_else(|| "居民 吴丽".into()),
            g(Role::Resident, &demo_resident(data).map(|p| p.grid_code.clone()).unwrap_or(community), None),
        ),
    ]
}

/// The person behind the demo resident account: the first adult with a mobile number in the first grid who is not
/// under any sensitive management, so signing in as a resident shows a real record.
fn demo_resident(data: &DemoData) -> Option<&wangge_demo::DemoPerson> {
    let grid = data.regions.iter().find(|r| r.level == wangge_domain::region::RegionLevel::Grid)?;
    let cutoff = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)?;
    data.people.iter().find(|p| {
        p.grid_code == grid.code
            && p.phone.is_some()
            && p.birth_date < cutoff
            && p.relation == "户主"
            && p.tags.iter().all(|t| matches!(*t, "老年人" | "党员" | "退役军人"))
    })
}

impl App {
    /// A handful of organizations per community, on demo houses (phones encrypted like residents').
    async fn load_demo_organizations(&self, data: &DemoData) -> Result<()> {
        let mut tx = self.store.begin().await?;
        for o in wangge_demo::organizations(data) {
            let Some(house) = self.store.house_by_code(&o.house_code).await? else { continue };
            let w = wangge_store::organizations::OrgWrite {
                name: o.name,
                kind: o.kind.into(),
                credit_code: Some(o.credit_code),
                legal_rep: o.legal_rep,
                phone_enc: Some(self.crypto.encrypt(&o.phone)),
                phone_hash: Some(self.crypto.blind_index("phone", &o.phone)),
                phone_masked: Some(wangge_domain::phone::mask_phone(&o.phone)),
                employees: Some(o.employees),
                house_id: house.id,
                grid_code: house.grid_code,
                status: o.status.into(),
                note: String::new(),
            };
            Store::insert_organization_tx(&mut tx, &w).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// The demo grid worker's recent visits (some people visited lately, some overdue, some never) and a night
    /// patrol route per community, so the phone's "today" and the month view show a working grid.
    async fn load_demo_field_work(&self, data: &DemoData) -> Result<()> {
        use wangge_domain::region::RegionLevel;
        let Some(worker) = self.store.user_by_name("demo_grid_worker").await? else { return Ok(()) };
        let Some(grid) = data.regions.iter().find(|r| r.level == RegionLevel::Grid) else { return Ok(()) };
        let mut people: Vec<(i64, Option<i64>)> =
            self.store.due_candidates(&grid.code).await?.into_iter().map(|c| (c.person_id, c.household_id)).collect();
        people.sort_unstable();
        people.dedup();
        let day = 86_400_000;
        let today_start = now_ms() - now_ms().rem_euclid(day);
        let situations = ["normal", "normal", "attention", "normal", "difficulty"];
        let notes = ["身体尚可，按时服药", "反映楼道灯坏了", "子女本月回来探望", "需要助餐服务", "家中漏水待修"];
        // (person, household, when, which note): a fifth never visited (due today); the rest last seen 1–45 days
        // ago, and a month before that too.
        let mut plan = Vec::new();
        for (i, (person, household)) in people.iter().enumerate() {
            if i % 5 == 4 {
                continue;
            }
            let last = today_start - ((*person % 45) + 1) * day + 10 * 3_600_000;
            for (k, at) in [last, last - 30 * day].into_iter().enumerate() {
                plan.push((*person, *household, at, (*person as usize + k * 2) % situations.len()));
            }
        }
        let days: Vec<String> = plan.iter().map(|p| crate::events::day_month(p.2).0).collect();
        let visits: Vec<wangge_store::field::NewVisit> = plan
            .iter()
            .zip(&days)
            .map(|(&(person_id, household_id, visited_at, n), day)| wangge_store::field::NewVisit {
                person_id,
                household_id,
                grid_code: &grid.code,
                user_id: worker.id,
                visited_at,
                day,
                found: n != 3,
                situation: situations[n],
                needs: if situations[n] == "normal" { "" } else { notes[n] },
                risk: "same",
                note: notes[n],
                lat: None,
                lon: None,
            })
            .collect();
        let mut tx = self.store.begin().await?;
        Store::insert_visits(&mut tx, &visits).await?;
        for community in data.regions.iter().filter(|r| r.level == RegionLevel::Community) {
            let points: Vec<crate::field::Checkpoint> = data
                .houses
                .iter()
                .filter(|h| h.grid_code.starts_with(&community.code))
                .step_by(97)
                .take(3)
                .zip(["东门岗亭", "中心广场", "北侧停车场"])
                .map(|(h, name)| crate::field::Checkpoint {
                    name: name.into(),
                    lat: h.lat,
                    lon: h.lon,
                    radius_m: 150.0,
                })
                .collect();
            let json = serde_json::to_string(&points).map_err(|e| AppError::internal(e.to_string()))?;
            let team = format!("{}平安巡防队", community.name);
            Store::insert_patrol_route(&mut tx, &community.code, "夜间治安巡逻", &team, &json).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
