//! The population and housing register (实有人口、实有房屋) one record at a time: find people, open a person,
//! their household, house and building, reveal a personal number with a reason, register people and what
//! happens to them (births, moves, deaths — a person is never deleted), tag special groups, merge duplicates,
//! and check grids and communities against the seed documents' household and staffing rules.
//!
//! Scope is decided by [`App::authorize`] on the record's grid; a record outside the caller's subtree answers
//! exactly like one that does not exist.

use crate::audit::format_time;
use crate::paging::{self, Page};
use crate::{App, AppError, ErrorKind, Result};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use wangge_domain::FieldError;
use wangge_domain::idcard::{Gender, IdCardNo};
use wangge_domain::phone::Phone;
use wangge_domain::region::RegionLevel;
use wangge_domain::register::{
    PersonEventKind, PopulationType, ResidenceStatus, parse_ethnicity, parse_name, parse_relation,
};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_domain::staffing::{GridRule, StaffRule};
use wangge_store::audit::NewAudit;
use wangge_store::people::{HouseRow, PeopleFilter, PersonInsert, PersonRow};
use wangge_store::register::TagKindRow;
use wangge_store::{Store, StoreError, now_ms};

// ---------------------------------------------------------------- views

/// A person as lists show them: personal numbers masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub id: i64,
    pub name: String,
    /// `male` | `female`.
    pub gender: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub age: i64,
    /// Masked: `110101********1234`.
    pub id_number: String,
    /// Masked: `138****0000`.
    pub phone: Option<String>,
    /// `registered` | `migrant` | `foreign`.
    pub population_type: String,
    /// `present` | `away` | `moved_out` | `deceased`.
    pub residence_status: String,
    pub grid_code: String,
    pub household_id: Option<i64>,
    pub house_id: Option<i64>,
    pub address: Option<String>,
    /// 与户主关系.
    pub relation: String,
    /// Codes of the special-group tags the caller may see (the person's own and their household's).
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub id: i64,
    pub name: String,
    pub relation: String,
    pub age: i64,
    pub gender: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HouseholdBrief {
    pub id: i64,
    pub number: String,
    /// 户籍户 (true) or 非户籍 (false).
    pub registered: bool,
    pub members: Vec<MemberView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BuildingBrief {
    pub id: i64,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HouseBrief {
    pub id: i64,
    pub code: String,
    pub address: String,
    /// `self_occupied` | `rented` | `vacant` | `commercial` | `other`.
    pub usage: String,
    pub area_m2: Option<f64>,
    pub building: Option<BuildingBrief>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryView {
    /// RFC 3339, China Standard Time.
    pub at: String,
    /// `registered`, `birth`, `move_in`, `move_out`, `death`, `away`, `return`, `update`, `merge`.
    pub kind: String,
    pub note: String,
    pub actor: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TagDetail {
    pub code: String,
    pub name: String,
    /// What the tag records, keyed by the kind's `fields`.
    #[schema(value_type = Object)]
    pub data: Value,
}

/// A person opened on their own: the list fields plus household, house, history and tag data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonDetail {
    #[serde(flatten)]
    pub person: PersonView,
    pub ethnicity: String,
    pub education: String,
    pub employment: String,
    pub political_status: String,
    pub health: String,
    /// Set when this record was a duplicate merged into that person.
    pub merged_into: Option<i64>,
    pub household: Option<HouseholdBrief>,
    pub house: Option<HouseBrief>,
    pub history: Vec<HistoryView>,
    pub tag_details: Vec<TagDetail>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Revealed {
    pub id_number: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HouseholdView {
    pub id: i64,
    pub number: String,
    pub registered: bool,
    pub grid_code: String,
    pub house: HouseBrief,
    pub members: Vec<MemberView>,
    /// Household-level tags (低保, 特困, 低收入) the caller may see.
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HouseView {
    pub id: i64,
    pub code: String,
    pub grid_code: String,
    pub address: String,
    pub unit: String,
    pub room: String,
    pub usage: String,
    pub area_m2: Option<f64>,
    pub building: Option<BuildingBrief>,
    pub households: Vec<HouseholdBrief>,
    /// People living here (present or away).
    pub occupants: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BuildingHouse {
    pub id: i64,
    pub code: String,
    pub address: String,
    pub unit: String,
    pub room: String,
    pub usage: String,
    pub occupants: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BuildingView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub address: String,
    pub grid_code: String,
    pub floors: Option<i64>,
    pub houses: Vec<BuildingHouse>,
    pub occupants: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GridRuleView {
    pub code: String,
    pub name: String,
    pub households: i64,
    /// Whether the grid holds between `grid_households_min` and `grid_households_max` households.
    pub within_range: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommunityRuleView {
    pub code: String,
    pub name: String,
    pub households: i64,
    /// Staff the community needs: 4 up to 1,000 households, plus 1 per further 250 (configurable).
    pub staff_required: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RulesView {
    pub grid_households_min: i64,
    pub grid_households_max: i64,
    pub grids: Vec<GridRuleView>,
    /// How many grids lie outside the household range.
    pub out_of_range: i64,
    pub communities: Vec<CommunityRuleView>,
}

// ---------------------------------------------------------------- inputs

pub struct PeopleQuery<'a> {
    pub region: Option<&'a str>,
    pub q: Option<&'a str>,
    pub tag: Option<&'a str>,
    /// `all` includes moved-out, deceased and merged people.
    pub status: Option<&'a str>,
    pub limit: Option<i64>,
    pub cursor: Option<&'a str>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealInput {
    /// Why the full number is needed (2–200 characters); written to the audit log.
    pub reason: String,
}

/// A person to register: the fields of the residents import template (DESIGN.md §5).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPersonInput {
    pub name: String,
    /// 公民身份号码 (18 digits, or a legacy 15-digit number, upgraded).
    pub id_number: String,
    /// 男/女 (checked against the ID number).
    #[serde(default)]
    pub gender: Option<String>,
    /// `YYYY-MM-DD` (checked against the ID number).
    #[serde(default)]
    pub birth_date: Option<String>,
    /// 民族, e.g. 汉族.
    pub ethnicity: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// 户籍人口/流动人口/境外人员 or registered/migrant/foreign.
    pub population_type: String,
    /// 与户主关系.
    pub relation: String,
    /// 户号: an existing household, or a new one (then `house_code` or `address` + `grid_code`).
    #[serde(default)]
    pub household_number: Option<String>,
    /// 房屋编码 of an existing house.
    #[serde(default)]
    pub house_code: Option<String>,
    /// 房屋地址: an unknown address creates the house in `grid_code`.
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub grid_code: Option<String>,
    /// Whether a new household is 户籍户 (default true).
    #[serde(default)]
    pub registered: Option<bool>,
    /// `registered` (default), `birth` or `move_in`.
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Fields of a person that may change. Absent fields stay; `phone: ""` removes the phone.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonUpdate {
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub ethnicity: Option<String>,
    #[serde(default)]
    pub education: Option<String>,
    #[serde(default)]
    pub employment: Option<String>,
    #[serde(default)]
    pub political_status: Option<String>,
    #[serde(default)]
    pub health: Option<String>,
    #[serde(default)]
    pub relation: Option<String>,
}

/// Something that happened to a person.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonEventInput {
    /// `move_out` | `death` | `move_in` | `away` | `return`.
    pub kind: String,
    #[serde(default)]
    pub note: Option<String>,
    /// When it happened, `YYYY-MM-DD` (default today).
    #[serde(default)]
    pub date: Option<String>,
    /// For `move_in`: the house (in the caller's scope) the person moves into.
    #[serde(default)]
    pub house_code: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    /// Values for the tag kind's `fields`, keyed by `key`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub data: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The duplicate record merged into this person.
    pub duplicate_id: i64,
    /// Why they are the same person (2–200 characters); recorded in both histories and the audit log.
    /// The merge page requires it.
    #[serde(default)]
    pub reason: Option<String>,
}

// ---------------------------------------------------------------- helpers

/// The derived tag of people aged 60 and over (老年人).
pub(crate) const ELDERLY: &str = "elderly";
const ELDERLY_AGE: i64 = 60;

/// The latest birth date of people aged 60 and over today (`YYYY-MM-DD`): the derived 老年人 group.
pub(crate) fn elderly_cutoff() -> String {
    let t = today();
    let cutoff = NaiveDate::from_ymd_opt(t.year() - ELDERLY_AGE as i32, t.month(), t.day())
        .or_else(|| NaiveDate::from_ymd_opt(t.year() - ELDERLY_AGE as i32, t.month(), t.day() - 1))
        .unwrap_or(t);
    cutoff.format("%Y-%m-%d").to_string()
}

pub(crate) fn today() -> NaiveDate {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    chrono::Utc::now().with_timezone(&cst).date_naive()
}

/// Whole years from `birth` (`YYYY-MM-DD`) to today.
pub fn age_on(birth: &str, on: NaiveDate) -> i64 {
    let Ok(b) = NaiveDate::parse_from_str(birth, "%Y-%m-%d") else { return 0 };
    let mut age = i64::from(on.year() - b.year());
    if (on.month(), on.day()) < (b.month(), b.day()) {
        age -= 1;
    }
    age.max(0)
}

pub(crate) fn parse_date(field: &str, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::field(field, "日期格式应为 2026-01-31 / expected a date YYYY-MM-DD"))
}

pub(crate) fn text_field(field: &str, s: &str, max: usize) -> Result<String> {
    let s = s.trim();
    if s.chars().count() > max {
        return Err(AppError::field(field, format!("不能超过{max}字 / longer than {max} characters")));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(AppError::field(field, "含有控制字符 / holds control characters"));
    }
    Ok(s.to_string())
}

/// A suffix for generated house codes and household numbers: the time, and three random digits so that two
/// registrations in the same millisecond do not collide.
fn unique_suffix() -> String {
    format!("{}{:03}", now_ms(), rand::random::<u16>() % 1000)
}

fn person_not_found(id: i64) -> AppError {
    AppError::not_found(&format!("person {id}"))
}

fn conflict_field(field: &str, message: &str) -> AppError {
    let mut e = AppError::conflict(message);
    e.details = Some(json!({ "field": field }));
    e
}

fn member(p: &PersonRow, on: NaiveDate) -> MemberView {
    MemberView {
        id: p.id,
        name: p.name.clone(),
        relation: p.relation.clone(),
        age: age_on(&p.birth_date, on),
        gender: p.gender.clone(),
    }
}

pub(crate) struct Kinds(pub(crate) HashMap<String, TagKindRow>);

impl Kinds {
    pub(crate) fn visible(&self, code: &str, sensitive_ok: bool) -> bool {
        self.0.get(code).is_some_and(|k| sensitive_ok || !k.sensitive)
    }

    /// A kind by code or Chinese name.
    fn find(&self, s: &str) -> Option<&TagKindRow> {
        let s = s.trim();
        self.0.get(s).or_else(|| self.0.values().find(|k| k.name == s))
    }
}

/// What a write coming from the phone's outbox adds to the register write's own transaction, so that the two
/// are one: a special-group tag set on the new person, and the outbox item's receipt.
#[derive(Default)]
pub(crate) struct WriteExtras<'a> {
    /// (kind, data JSON) of a person-level tag.
    pub tag: Option<(&'a str, String)>,
    pub receipt: Option<crate::field::Receipt<'a>>,
}

impl WriteExtras<'_> {
    async fn write(
        &self,
        tx: &mut wangge_store::Transaction<'static, wangge_store::Any>,
        person_id: i64,
    ) -> Result<()> {
        if let Some((code, data)) = &self.tag {
            Store::set_tag_tx(tx, false, person_id, code, data).await?;
        }
        if let Some(r) = &self.receipt {
            r.write(tx, person_id).await?;
        }
        Ok(())
    }
}

impl App {
    pub(crate) async fn kinds(&self) -> Result<Kinds> {
        Ok(Kinds(self.store.tag_kinds().await?.into_iter().map(|k| (k.code.clone(), k)).collect()))
    }

    /// Authorizes `perm` on a record in `grid`, answering "not found" (without the grid) outside the scope.
    fn authorize_record(&self, actor: &Actor, perm: Permission, grid: &str, what: &str) -> Result<()> {
        self.authorize(actor, perm, grid)
            .map_err(|e| if e.kind == ErrorKind::NotFound { AppError::not_found(what) } else { e })
    }

    /// A person the caller may act on with `perm`.
    pub(crate) async fn person_for(&self, actor: &Actor, perm: Permission, id: i64) -> Result<PersonRow> {
        let p = self.store.person(id).await?.ok_or_else(|| person_not_found(id))?;
        self.authorize_record(actor, Permission::ReadRegister, &p.grid_code, &format!("person {id}"))?;
        if perm != Permission::ReadRegister {
            self.authorize_record(actor, perm, &p.grid_code, &format!("person {id}"))?;
        }
        Ok(p)
    }

    async fn person_views(&self, actor: &Actor, rows: Vec<PersonRow>, kinds: &Kinds) -> Result<Vec<PersonView>> {
        let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
        let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
        for (pid, tag, _) in self.store.tags_of_people(&ids).await? {
            tags.entry(pid).or_default().push(tag);
        }
        let on = today();
        Ok(rows
            .into_iter()
            .map(|p| {
                let sensitive_ok = actor.may(Permission::ReadSensitiveTags, &p.grid_code);
                let mut t: Vec<String> = tags
                    .remove(&p.id)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|c| kinds.visible(c, sensitive_ok))
                    .collect();
                // 老年人 is derived from age, whatever was stored.
                if let Some(k) = kinds.0.get(ELDERLY).filter(|k| k.derived) {
                    t.retain(|c| c != ELDERLY);
                    if age_on(&p.birth_date, on) >= ELDERLY_AGE && kinds.visible(&k.code, sensitive_ok) {
                        t.push(k.code.clone());
                    }
                }
                t.sort_by_key(|c| kinds.0.get(c).map(|k| k.sort).unwrap_or(i64::MAX));
                t.dedup();
                view(p, t, on)
            })
            .collect())
    }

    async fn house_brief(&self, h: &HouseRow) -> Result<HouseBrief> {
        let building = match h.building_id {
            Some(b) => self.store.building(b).await?.map(|b| BuildingBrief { id: b.id, code: b.code, name: b.name }),
            None => None,
        };
        Ok(HouseBrief {
            id: h.id,
            code: h.code.clone(),
            address: h.address.clone(),
            usage: h.usage.clone(),
            area_m2: h.area_m2,
            building,
        })
    }

    async fn household_brief(&self, id: i64) -> Result<Option<HouseholdBrief>> {
        let Some(h) = self.store.household(id).await? else { return Ok(None) };
        let on = today();
        let members = self
            .store
            .household_members(id)
            .await?
            .iter()
            .filter(|m| matches!(m.residence_status.as_str(), "present" | "away"))
            .map(|m| member(m, on))
            .collect();
        Ok(Some(HouseholdBrief { id: h.id, number: h.number, registered: h.registered, members }))
    }
}

fn view(p: PersonRow, tags: Vec<String>, on: NaiveDate) -> PersonView {
    PersonView {
        age: age_on(&p.birth_date, on),
        id: p.id,
        name: p.name,
        gender: p.gender,
        birth_date: p.birth_date,
        id_number: p.id_number_masked,
        phone: p.phone_masked,
        population_type: p.population_type,
        residence_status: p.residence_status,
        grid_code: p.grid_code,
        household_id: p.household_id,
        house_id: p.house_id,
        address: p.address,
        relation: p.relation,
        tags,
    }
}

/// Checks a tag's data against its kind's `fields` (`[{"key","label","type","options"?}]`).
pub fn validate_tag_data(kind: &TagKindRow, data: &Map<String, Value>) -> Result<Map<String, Value>> {
    let fields: Vec<Value> = serde_json::from_str(&kind.fields).unwrap_or_default();
    let mut out = Map::new();
    for (key, value) in data {
        let field = format!("data.{key}");
        let Some(spec) = fields.iter().find(|f| f["key"] == key.as_str()) else {
            return Err(AppError::field(&field, format!("{}没有此字段 / {} has no field {key}", kind.name, kind.code)));
        };
        let text = match value {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Null => continue,
            _ => return Err(AppError::field(&field, "应为文本 / must be a string")),
        };
        match spec["type"].as_str().unwrap_or("text") {
            "date" => {
                parse_date(&field, &text)?;
            }
            "select" => {
                let options: Vec<&str> = spec["options"]
                    .as_array()
                    .map(|o| o.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if !options.contains(&text.as_str()) {
                    return Err(AppError::field(
                        &field,
                        format!("应为{}之一 / must be one of {}", options.join("、"), options.join(", ")),
                    ));
                }
            }
            _ => {
                text_field(&field, &text, 200)?;
            }
        }
        out.insert(key.clone(), Value::String(text));
    }
    Ok(out)
}

fn fe(e: FieldError) -> AppError {
    e.into()
}

// ---------------------------------------------------------------- use cases

impl App {
    /// People in the caller's scope (or `region` within it), by name/pinyin/address, exact 身份证号 or phone,
    /// and tag (a household-level tag matches the household's members).
    pub async fn list_people(&self, actor: &Actor, q: PeopleQuery<'_>) -> Result<Page<PersonView>> {
        self.authorize_anywhere(actor, Permission::ReadRegister)?;
        let limit = paging::limit(q.limit)?;
        let roots: Option<Vec<String>> = match q.region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize(actor, Permission::ReadRegister, r)?;
                self.store.region(r).await?.ok_or_else(|| AppError::not_found(r))?;
                Some(vec![r.to_string()])
            }
            None => actor.roots(Permission::ReadRegister),
        };
        let all_statuses = match q.status.map(str::trim).filter(|s| !s.is_empty()) {
            None | Some("current") => false,
            Some("all") => true,
            Some(_) => return Err(AppError::field("status", "应为 all 或 current / must be all or current")),
        };
        let kinds = self.kinds().await?;
        let tag = match q.tag.map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => {
                let unknown = || AppError::field("tag", format!("未知的人群标签 / unknown tag: {t}"));
                let k = kinds.find(t).ok_or_else(unknown)?;
                if k.sensitive {
                    let ok = match &roots {
                        None => actor.may_somewhere(Permission::ReadSensitiveTags) && actor.is_admin(),
                        Some(rs) => rs.iter().all(|r| actor.may(Permission::ReadSensitiveTags, r)),
                    };
                    if !ok {
                        return Err(unknown());
                    }
                }
                Some((k.code.clone(), k.level == "household", k.derived))
            }
        };
        // A derived age group filters by birth date; any other tag by what is stored.
        let (tag, born_on_or_before) = match tag {
            Some((code, _, true)) if code == ELDERLY => (None, Some(elderly_cutoff())),
            Some((code, household, _)) => (Some((code, household)), None),
            None => (None, None),
        };
        let filter = PeopleFilter { roots: roots.clone(), tag, all_statuses, born_on_or_before };
        let text = q.q.map(str::trim).filter(|s| !s.is_empty());

        let (rows, total, next_cursor) = match text {
            None => {
                let (rows, total) = self.store.list_people(&filter, paging::int_cursor(q.cursor)?, limit).await?;
                let next = if rows.len() as i64 == limit { rows.last().map(|p| p.id.to_string()) } else { None };
                (rows, total, next)
            }
            Some(t) => {
                let exact = if let Ok(id) = IdCardNo::parse("q", t) {
                    Some(self.store.people_by_id_number_hash(&self.crypto.blind_index("id_number", id.as_str())).await?)
                } else if let Ok(ph) = Phone::parse("q", t) {
                    Some(self.store.people_by_phone_hash(&self.crypto.blind_index("phone", ph.as_str())).await?)
                } else {
                    None
                };
                match exact {
                    Some(ids) => {
                        let rows = self.store.people_by_ids(&ids, &filter).await?;
                        let total = rows.len() as i64;
                        (rows, total, None)
                    }
                    None => {
                        let offset = paging::int_cursor(q.cursor)?.unwrap_or(0);
                        if offset < 0 {
                            return Err(AppError::field("cursor", "无效的游标 / invalid cursor"));
                        }
                        let search_roots = match roots {
                            Some(r) => r,
                            None => {
                                self.store.top_regions(None, 10_000).await?.into_iter().map(|r| r.region.code).collect()
                            }
                        };
                        // The index knows scope and status, so its total is what the list shows; filters it does not
                        // know (a tag, an age group) take every match to the database, best first, and count there.
                        let current_only = !filter.all_statuses;
                        let (ids, total) = if filter.tag.is_none() && filter.born_on_or_before.is_none() {
                            self.search_person_ids(&search_roots, t, limit as usize, offset as usize, current_only)
                                .await?
                        } else {
                            let (all, _) =
                                self.search_person_ids(&search_roots, t, usize::MAX, 0, current_only).await?;
                            let kept = self.store.filter_person_ids(&all, &filter).await?;
                            let total = kept.len() as i64;
                            (kept.into_iter().skip(offset as usize).take(limit as usize).collect(), total)
                        };
                        let next = if ids.len() as i64 == limit && offset + limit < total {
                            Some((offset + limit).to_string())
                        } else {
                            None
                        };
                        let rows = self.store.people_by_ids(&ids, &filter).await?;
                        (rows, total, next)
                    }
                }
            }
        };
        let items = self.person_views(actor, rows, &kinds).await?;
        Ok(Page { items, next_cursor, total, total_is_lower_bound: false })
    }

    /// One person with household, house, history and the tags' data the caller may see.
    pub async fn person_detail(&self, actor: &Actor, id: i64) -> Result<PersonDetail> {
        let p = self.person_for(actor, Permission::ReadRegister, id).await?;
        let kinds = self.kinds().await?;
        let sensitive_ok = actor.may(Permission::ReadSensitiveTags, &p.grid_code);
        let mut tag_details: Vec<(i64, TagDetail)> = self
            .store
            .tags_of_people(&[id])
            .await?
            .into_iter()
            .filter(|(_, c, _)| kinds.visible(c, sensitive_ok))
            .map(|(_, code, data)| {
                let k = &kinds.0[&code];
                (
                    k.sort,
                    TagDetail {
                        name: k.name.clone(),
                        data: serde_json::from_str(&data).unwrap_or_else(|_| json!({})),
                        code,
                    },
                )
            })
            .collect();
        tag_details.sort_by_key(|(s, _)| *s);
        let household = match p.household_id {
            Some(h) => self.household_brief(h).await?,
            None => None,
        };
        let house = match p.house_id {
            Some(h) => match self.store.house(h).await? {
                Some(h) => Some(self.house_brief(&h).await?),
                None => None,
            },
            None => None,
        };
        let history = self
            .store
            .person_history(id)
            .await?
            .into_iter()
            .map(|h| HistoryView { at: format_time(h.at), kind: h.kind, note: h.note, actor: h.actor })
            .collect();
        let (ethnicity, education, employment, political_status, health, merged_into) = (
            p.ethnicity.clone(),
            p.education.clone(),
            p.employment.clone(),
            p.political_status.clone(),
            p.health.clone(),
            p.merged_into,
        );
        let person = self.person_views(actor, vec![p], &kinds).await?.remove(0);
        Ok(PersonDetail {
            person,
            ethnicity,
            education,
            employment,
            political_status,
            health,
            merged_into,
            household,
            house,
            history,
            tag_details: tag_details.into_iter().map(|(_, t)| t).collect(),
        })
    }

    /// The full 身份证号 and phone, for a stated reason, audited.
    pub async fn reveal_person(&self, actor: &Actor, id: i64, input: RevealInput) -> Result<Revealed> {
        let p = self.person_for(actor, Permission::RevealPersonalData, id).await?;
        let reason = input.reason.trim();
        let n = reason.chars().count();
        if !(2..=200).contains(&n) || reason.chars().any(char::is_control) {
            return Err(AppError::field("reason", "请填写2到200字的查看理由 / give a reason of 2–200 characters"));
        }
        let dec =
            |s: &str| self.crypto.decrypt(s).map_err(|e| AppError::internal(format!("decrypting person {id}: {e}")));
        let out = Revealed { id_number: dec(&p.id_number_enc)?, phone: p.phone_enc.as_deref().map(dec).transpose()? };
        let mut tx = self.store.begin().await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "reveal",
                object: &format!("person:{id}"),
                reason: Some(reason),
                region_code: Some(&p.grid_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(out)
    }

    pub async fn household_view(&self, actor: &Actor, id: i64) -> Result<HouseholdView> {
        let what = format!("household {id}");
        let h = self.store.household(id).await?.ok_or_else(|| AppError::not_found(&what))?;
        self.authorize_record(actor, Permission::ReadRegister, &h.grid_code, &what)?;
        let house =
            self.store.house(h.house_id).await?.ok_or_else(|| AppError::internal(format!("{what}: no house")))?;
        let house = self.house_brief(&house).await?;
        let brief = self.household_brief(id).await?.ok_or_else(|| AppError::not_found(&what))?;
        let kinds = self.kinds().await?;
        let sensitive_ok = actor.may(Permission::ReadSensitiveTags, &h.grid_code);
        let tags: Vec<String> = self
            .store
            .household_tags(id)
            .await?
            .into_iter()
            .map(|(code, _)| code)
            .filter(|code| kinds.visible(code, sensitive_ok))
            .collect();
        Ok(HouseholdView {
            id: h.id,
            number: h.number,
            registered: h.registered,
            grid_code: h.grid_code,
            house,
            members: brief.members,
            tags,
        })
    }

    pub async fn house_view(&self, actor: &Actor, id: i64) -> Result<HouseView> {
        let what = format!("house {id}");
        let h = self.store.house(id).await?.ok_or_else(|| AppError::not_found(&what))?;
        self.authorize_record(actor, Permission::ReadRegister, &h.grid_code, &what)?;
        let brief = self.house_brief(&h).await?;
        let mut households = Vec::new();
        for hh in self.store.households_in_house(id).await? {
            if let Some(b) = self.household_brief(hh.id).await? {
                households.push(b);
            }
        }
        Ok(HouseView {
            id: h.id,
            code: h.code.clone(),
            grid_code: h.grid_code.clone(),
            address: h.address.clone(),
            unit: h.unit.clone(),
            room: h.room.clone(),
            usage: h.usage.clone(),
            area_m2: h.area_m2,
            building: brief.building,
            households,
            occupants: self.store.house_occupants(id).await?,
        })
    }

    pub async fn building_view(&self, actor: &Actor, id: i64) -> Result<BuildingView> {
        let what = format!("building {id}");
        let b = self.store.building(id).await?.ok_or_else(|| AppError::not_found(&what))?;
        self.authorize_record(actor, Permission::ReadRegister, &b.grid_code, &what)?;
        let houses: Vec<BuildingHouse> = self
            .store
            .building_houses(id)
            .await?
            .into_iter()
            .map(|(h, n)| BuildingHouse {
                id: h.id,
                code: h.code,
                address: h.address,
                unit: h.unit,
                room: h.room,
                usage: h.usage,
                occupants: n,
            })
            .collect();
        Ok(BuildingView {
            occupants: houses.iter().map(|h| h.occupants).sum(),
            id: b.id,
            code: b.code,
            name: b.name,
            address: b.address,
            grid_code: b.grid_code,
            floors: b.floors,
            houses,
        })
    }

    /// Finds a grid the caller may manage people in: outside the scope 404, unknown 400.
    async fn managed_grid(&self, actor: &Actor, field: &str, code: &str) -> Result<String> {
        let code = code.trim();
        self.authorize_record(actor, Permission::ManageRegister, code, &format!("grid {code}"))?;
        match self.store.region(code).await? {
            Some(r) if r.region.level == RegionLevel::Grid => Ok(code.to_string()),
            _ => Err(AppError::field(field, format!("网格不存在 / no such grid: {code}"))),
        }
    }

    /// A house the caller may manage people in, by code.
    async fn managed_house(&self, actor: &Actor, code: &str) -> Result<HouseRow> {
        let code = code.trim();
        let h = self
            .store
            .house_by_code(code)
            .await?
            .ok_or_else(|| AppError::field("house_code", format!("房屋编码不存在 / no such house: {code}")))?;
        self.authorize_record(actor, Permission::ManageRegister, &h.grid_code, &format!("house {code}"))?;
        Ok(h)
    }

    /// Registers a person (登记, 出生 or 迁入) in an existing or new household, with the history entry and the
    /// audit record in one transaction.
    pub async fn register_person(&self, actor: &Actor, input: NewPersonInput) -> Result<PersonDetail> {
        let pid = self.register_person_with(actor, input, WriteExtras::default()).await?;
        self.person_detail(actor, pid).await
    }

    /// [`App::register_person`] with what the phone's outbox adds to the same transaction (a tag, a receipt).
    pub(crate) async fn register_person_with(
        &self,
        actor: &Actor,
        input: NewPersonInput,
        extras: WriteExtras<'_>,
    ) -> Result<i64> {
        self.authorize_anywhere(actor, Permission::ManageRegister)?;
        let name = parse_name("name", &input.name).map_err(fe)?;
        let id = IdCardNo::parse("id_number", &input.id_number).map_err(fe)?;
        let gender = input
            .gender
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|g| Gender::parse("gender", g))
            .transpose()
            .map_err(fe)?;
        let birth = input
            .birth_date
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|b| parse_date("birth_date", b))
            .transpose()?;
        if gender.is_some_and(|g| g != id.gender()) {
            return Err(AppError::field("gender", "性别与公民身份号码不符 / gender disagrees with the ID number"));
        }
        if birth.is_some_and(|b| b != id.birth_date()) {
            return Err(AppError::field(
                "birth_date",
                "出生日期与公民身份号码不符 / birth date disagrees with the ID number",
            ));
        }
        let ethnicity = parse_ethnicity("ethnicity", &input.ethnicity).map_err(fe)?;
        let phone = input
            .phone
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|p| Phone::parse("phone", p))
            .transpose()
            .map_err(fe)?;
        let population = PopulationType::parse("population_type", &input.population_type).map_err(fe)?;
        let relation = parse_relation("relation", &input.relation).map_err(fe)?;
        let event = match input.event.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => PersonEventKind::Registered,
            Some(e) => match PersonEventKind::parse("event", e).map_err(fe)? {
                k @ (PersonEventKind::Registered | PersonEventKind::Birth | PersonEventKind::MoveIn) => k,
                _ => {
                    return Err(AppError::field(
                        "event",
                        "应为 registered、birth 或 move_in / must be registered, birth or move_in",
                    ));
                }
            },
        };
        let note = text_field("note", input.note.as_deref().unwrap_or(""), 500)?;
        let number = input.household_number.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if let Some(n) = number
            && (n.chars().count() > 40 || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            return Err(AppError::field(
                "household_number",
                "户号应为不超过40位的字母数字 / up to 40 letters, digits or dashes",
            ));
        }
        let house_code = input.house_code.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let address = input.address.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if let Some(a) = address {
            text_field("address", a, 200)?;
        }
        let grid_in = input.grid_code.as_deref().map(str::trim).filter(|s| !s.is_empty());

        // Where the person lives: an existing household, or a new one in an existing or new house.
        enum Place {
            Household(i64, String),
            NewHousehold { house: Option<i64>, address: String, grid: String },
        }
        let existing = match number {
            Some(n) => self.store.household_by_number(n).await?,
            None => None,
        };
        let place = if let Some(h) = existing {
            self.authorize_record(actor, Permission::ManageRegister, &h.grid_code, &format!("household {}", h.number))?;
            if grid_in.is_some_and(|g| g != h.grid_code) {
                return Err(AppError::field("grid_code", "与户号所在网格不一致 / differs from the household's grid"));
            }
            Place::Household(h.id, h.grid_code)
        } else if let Some(code) = house_code {
            let h = self.managed_house(actor, code).await?;
            if grid_in.is_some_and(|g| g != h.grid_code) {
                return Err(AppError::field("grid_code", "与房屋所在网格不一致 / differs from the house's grid"));
            }
            Place::NewHousehold { house: Some(h.id), address: h.address, grid: h.grid_code }
        } else if let Some(a) = address {
            let Some(g) = grid_in else {
                return Err(AppError::field(
                    "grid_code",
                    "按地址登记时需要网格编码 / a grid code is needed with an address",
                ));
            };
            let grid = self.managed_grid(actor, "grid_code", g).await?;
            let house = self.store.house_by_address(&grid, a).await?.map(|h| h.id);
            Place::NewHousehold { house, address: a.to_string(), grid }
        } else {
            return Err(AppError::field(
                "household_number",
                "需要户号、房屋编码或房屋地址与网格编码 / give a household number, a house code, or an address and a grid code",
            ));
        };

        let hash = self.crypto.blind_index("id_number", id.as_str());
        if !self.store.people_by_id_number_hash(&hash).await?.is_empty() {
            return Err(conflict_field("id_number", "此公民身份号码已登记 / this ID number is already registered"));
        }

        let mut tx = self.store.begin().await?;
        let ms = unique_suffix();
        let (household_id, grid) = match place {
            Place::Household(h, g) => (h, g),
            Place::NewHousehold { house, address, grid } => {
                let house = match house {
                    Some(h) => h,
                    None => Store::insert_house_tx(&mut tx, &format!("H{grid}{ms}"), &grid, &address).await?,
                };
                let number = number.map(str::to_string).unwrap_or_else(|| format!("{grid}{ms}"));
                let h = Store::insert_household_tx(&mut tx, &number, house, &grid, input.registered.unwrap_or(true))
                    .await
                    .map_err(|e| match e {
                        StoreError::Conflict(_) => {
                            conflict_field("household_number", "户号已存在 / household number exists")
                        }
                        e => e.into(),
                    })?;
                (h, grid)
            }
        };
        let row = PersonInsert {
            name,
            id_number_enc: self.crypto.encrypt(id.as_str()),
            id_number_hash: hash,
            id_number_masked: id.masked(),
            gender: id.gender().as_str().to_string(),
            birth_date: id.birth_date().format("%Y-%m-%d").to_string(),
            ethnicity: ethnicity.to_string(),
            phone_enc: phone.as_ref().map(|p| self.crypto.encrypt(p.as_str())),
            phone_hash: phone.as_ref().map(|p| self.crypto.blind_index("phone", p.as_str())),
            phone_masked: phone.as_ref().map(Phone::masked),
            population_type: population.as_str().to_string(),
            household_id,
            relation: relation.to_string(),
            grid_code: grid.clone(),
        };
        let pid = Store::insert_person_tx(&mut tx, &row).await.map_err(|e| match e {
            StoreError::Conflict(_) => {
                conflict_field("id_number", "此公民身份号码已登记 / this ID number is already registered")
            }
            e => e.into(),
        })?;
        Store::add_history_tx(&mut tx, pid, event.as_str(), &note, &actor.username, "{}").await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "create",
                object: &format!("person:{pid}"),
                reason: None,
                region_code: Some(&grid),
            },
        )
        .await?;
        extras.write(&mut tx, pid).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(pid)
    }

    /// Changes a person's details; the history records which fields changed (never the numbers' values).
    pub async fn update_person(&self, actor: &Actor, id: i64, u: PersonUpdate) -> Result<PersonDetail> {
        let p = self.person_for(actor, Permission::ManageRegister, id).await?;
        let mut values: Vec<(&str, Option<String>)> = Vec::new();
        let mut changed: Vec<&str> = Vec::new();
        if let Some(ph) = u.phone.as_deref() {
            let ph = ph.trim();
            if ph.is_empty() {
                if p.phone_enc.is_some() {
                    values.extend([("phone_enc", None), ("phone_hash", None), ("phone_masked", None)]);
                    changed.push("phone");
                }
            } else {
                let phone = Phone::parse("phone", ph).map_err(fe)?;
                let hash = self.crypto.blind_index("phone", phone.as_str());
                let current = match &p.phone_enc {
                    Some(e) => self.crypto.decrypt(e).ok(),
                    None => None,
                };
                if current.as_deref() != Some(phone.as_str()) {
                    values.extend([
                        ("phone_enc", Some(self.crypto.encrypt(phone.as_str()))),
                        ("phone_hash", Some(hash)),
                        ("phone_masked", Some(phone.masked())),
                    ]);
                    changed.push("phone");
                }
            }
        }
        if let Some(e) = u.ethnicity.as_deref() {
            let e = parse_ethnicity("ethnicity", e).map_err(fe)?;
            if e != p.ethnicity {
                values.push(("ethnicity", Some(e.to_string())));
                changed.push("ethnicity");
            }
        }
        if let Some(r) = u.relation.as_deref() {
            let r = parse_relation("relation", r).map_err(fe)?;
            if r != p.relation {
                values.push(("relation", Some(r.to_string())));
                changed.push("relation");
            }
        }
        for (field, new, old) in [
            ("education", &u.education, &p.education),
            ("employment", &u.employment, &p.employment),
            ("political_status", &u.political_status, &p.political_status),
            ("health", &u.health, &p.health),
        ] {
            if let Some(v) = new {
                let v = text_field(field, v, 50)?;
                if &v != old {
                    values.push((field, Some(v)));
                    changed.push(field);
                }
            }
        }
        let none_given = u.phone.is_none()
            && u.ethnicity.is_none()
            && u.relation.is_none()
            && u.education.is_none()
            && u.employment.is_none()
            && u.political_status.is_none()
            && u.health.is_none();
        if none_given {
            return Err(AppError::field("body", "没有要修改的字段 / no field to change"));
        }
        if !changed.is_empty() {
            let mut tx = self.store.begin().await?;
            Store::update_person_tx(&mut tx, id, &values).await?;
            let data = json!({ "fields": changed }).to_string();
            Store::add_history_tx(
                &mut tx,
                id,
                PersonEventKind::Update.as_str(),
                &format!("修改 / changed: {}", changed.join(", ")),
                &actor.username,
                &data,
            )
            .await?;
            Store::audit(
                &mut tx,
                NewAudit {
                    actor: &actor.username,
                    action: "update",
                    object: &format!("person:{id}"),
                    reason: None,
                    region_code: Some(&p.grid_code),
                },
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
        }
        self.person_detail(actor, id).await
    }

    /// Records a move, death, absence or return: the residence status changes and the history grows.
    pub async fn person_event(&self, actor: &Actor, id: i64, e: PersonEventInput) -> Result<PersonDetail> {
        self.person_event_with(actor, id, e, WriteExtras::default()).await?;
        self.person_detail(actor, id).await
    }

    /// [`App::person_event`] with what the phone's outbox adds to the same transaction (a receipt).
    pub(crate) async fn person_event_with(
        &self,
        actor: &Actor,
        id: i64,
        e: PersonEventInput,
        extras: WriteExtras<'_>,
    ) -> Result<()> {
        let p = self.person_for(actor, Permission::ManageRegister, id).await?;
        let kind = e.kind.trim();
        let note = text_field("note", e.note.as_deref().unwrap_or(""), 500)?;
        let date = match e.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => {
                let d = parse_date("date", d)?;
                if d > today() {
                    return Err(AppError::field("date", "日期不能晚于今天 / the date is in the future"));
                }
                d
            }
            None => today(),
        };
        let status =
            ResidenceStatus::parse("residence_status", &p.residence_status).unwrap_or(ResidenceStatus::Present);
        use ResidenceStatus::*;
        let (to, allowed): (ResidenceStatus, bool) = match kind {
            "move_out" => (MovedOut, matches!(status, Present | Away)),
            "death" => (Deceased, status != Deceased),
            "away" => (Away, status == Present),
            "return" => (Present, status == Away),
            "move_in" => (Present, status != Deceased),
            _ => {
                return Err(AppError::field(
                    "kind",
                    "应为 move_out、death、move_in、away 或 return / must be move_out, death, move_in, away or return",
                ));
            }
        };
        if e.house_code.as_deref().is_some_and(|h| !h.trim().is_empty()) && kind != "move_in" {
            return Err(AppError::field("house_code", "只有迁入可以指定房屋 / only move_in takes a house"));
        }
        if p.merged_into.is_some() {
            return Err(AppError::conflict("此记录已合并到另一人员 / this record was merged into another person"));
        }
        if !allowed {
            return Err(AppError::conflict(format!(
                "当前居住状态“{}”下不能登记此变动 / not possible while the person is {}",
                status.label_zh(),
                status.as_str()
            )));
        }
        let target = match e.house_code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(code) => Some(self.managed_house(actor, code).await?),
            None => None,
        };
        let mut tx = self.store.begin().await?;
        let mut region = p.grid_code.clone();
        let household = match &target {
            Some(h) => {
                let existing = self.store.households_in_house(h.id).await?;
                let hh = match existing.first() {
                    Some(hh) => hh.id,
                    None => {
                        Store::insert_household_tx(
                            &mut tx,
                            &format!("{}{}", h.grid_code, unique_suffix()),
                            h.id,
                            &h.grid_code,
                            true,
                        )
                        .await?
                    }
                };
                region = h.grid_code.clone();
                Some((hh, h.grid_code.as_str()))
            }
            None => None,
        };
        Store::move_person_tx(&mut tx, id, to.as_str(), household).await?;
        let mut data =
            json!({ "date": date.format("%Y-%m-%d").to_string(), "from": status.as_str(), "to": to.as_str() });
        if let Some(h) = &target {
            data["house_code"] = json!(h.code);
            data["from_grid"] = json!(p.grid_code);
        }
        Store::add_history_tx(&mut tx, id, kind, &note, &actor.username, &data.to_string()).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: kind,
                object: &format!("person:{id}"),
                reason: (!note.is_empty()).then_some(note.as_str()),
                region_code: Some(&region),
            },
        )
        .await?;
        extras.write(&mut tx, id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// The tag kind `code` for a write on person `p`: known, visible to the caller, and not derived.
    async fn writable_kind(&self, actor: &Actor, p: &PersonRow, code: &str) -> Result<TagKindRow> {
        let kinds = self.kinds().await?;
        let sensitive_ok = actor.may(Permission::ReadSensitiveTags, &p.grid_code);
        let k = kinds
            .0
            .get(code)
            .filter(|k| sensitive_ok || !k.sensitive)
            .cloned()
            .ok_or_else(|| AppError::not_found(&format!("tag {code}")))?;
        if k.derived {
            return Err(AppError::rule(
                "tag",
                format!("“{}”由规则计算，不能手工设置 / {} is derived by a rule", k.name, k.code),
            ));
        }
        Ok(k)
    }

    /// Sets a special-group tag with its data (household-level tags go on the person's household).
    pub async fn set_person_tag(&self, actor: &Actor, id: i64, code: &str, input: TagInput) -> Result<PersonDetail> {
        let p = self.person_for(actor, Permission::ManageRegister, id).await?;
        let k = self.writable_kind(actor, &p, code).await?;
        let data = validate_tag_data(&k, &input.data.unwrap_or_default())?;
        let household = k.level == "household";
        let owner = if household {
            p.household_id
                .ok_or_else(|| AppError::rule("tag", "此人没有所属户 / the person belongs to no household"))?
        } else {
            id
        };
        let mut tx = self.store.begin().await?;
        Store::set_tag_tx(&mut tx, household, owner, &k.code, &Value::Object(data).to_string()).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "tag",
                object: &format!("person:{id}"),
                reason: Some(&k.code),
                region_code: Some(&p.grid_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.person_detail(actor, id).await
    }

    pub async fn remove_person_tag(&self, actor: &Actor, id: i64, code: &str) -> Result<PersonDetail> {
        let p = self.person_for(actor, Permission::ManageRegister, id).await?;
        let k = self.writable_kind(actor, &p, code).await?;
        let household = k.level == "household";
        let owner = if household { p.household_id.unwrap_or(-1) } else { id };
        let mut tx = self.store.begin().await?;
        if !Store::remove_tag_tx(&mut tx, household, owner, &k.code).await? {
            return Err(AppError::not_found(&format!("tag {code}")));
        }
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "untag",
                object: &format!("person:{id}"),
                reason: Some(&k.code),
                region_code: Some(&p.grid_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.person_detail(actor, id).await
    }

    /// Merges a duplicate record into this person, keeping the history of both.
    pub async fn merge_person(&self, actor: &Actor, id: i64, m: MergeInput) -> Result<PersonDetail> {
        let keep = self.person_for(actor, Permission::ManageRegister, id).await?;
        if m.duplicate_id == id {
            return Err(AppError::field("duplicate_id", "不能与自身合并 / cannot merge a person into themselves"));
        }
        let dup = self.person_for(actor, Permission::ManageRegister, m.duplicate_id).await?;
        let reason = match m.reason.as_deref().map(str::trim) {
            None => None,
            Some(r) if (2..=200).contains(&r.chars().count()) && !r.chars().any(char::is_control) => Some(r),
            Some(_) => {
                return Err(AppError::field("reason", "请填写2到200字的合并理由 / give a reason of 2–200 characters"));
            }
        };
        let because = reason.map(|r| format!("（{r}）")).unwrap_or_default();
        if keep.merged_into.is_some() {
            return Err(AppError::conflict("此记录已合并到另一人员 / this record was merged into another person"));
        }
        if dup.merged_into.is_some() {
            return Err(conflict_field("duplicate_id", "重复记录已合并过 / the duplicate was already merged"));
        }
        let mut tx = self.store.begin().await?;
        Store::merge_people_tx(&mut tx, id, dup.id).await?;
        let data = json!({ "duplicate_id": dup.id }).to_string();
        Store::add_history_tx(
            &mut tx,
            id,
            PersonEventKind::Merge.as_str(),
            &format!("合并重复记录{because} / merged duplicate #{}", dup.id),
            &actor.username,
            &data,
        )
        .await?;
        Store::add_history_tx(
            &mut tx,
            dup.id,
            PersonEventKind::Merge.as_str(),
            &format!("已合并到{because} / merged into #{id}"),
            &actor.username,
            &json!({ "merged_into": id }).to_string(),
        )
        .await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "merge",
                object: &format!("person:{id}"),
                reason: Some(&match reason {
                    Some(r) => format!("duplicate person:{}: {r}", dup.id),
                    None => format!("duplicate person:{}", dup.id),
                }),
                region_code: Some(&keep.grid_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.person_detail(actor, id).await
    }

    /// The tag kinds the caller may see, as a paged list (one page).
    pub async fn list_tag_kinds(&self, actor: &Actor) -> Result<Page<crate::tags::TagKind>> {
        self.authorize_anywhere(actor, Permission::ReadRegions)?;
        let items = self.tag_kinds(actor).await?;
        let total = items.len() as i64;
        Ok(Page { items, next_cursor: None, total, total_is_lower_bound: false })
    }

    /// Grids and communities of the subtree against the seed documents' rules (households per grid, staff
    /// per community).
    pub async fn region_rules(&self, actor: &Actor, code: &str) -> Result<RulesView> {
        self.authorize(actor, Permission::ReadRegions, code)?;
        self.store.region(code).await?.ok_or_else(|| AppError::not_found(code))?;
        let grid_rule = GridRule {
            min_households: self.config.grid_households_min,
            max_households: self.config.grid_households_max,
        };
        let staff_rule = StaffRule {
            base: self.config.staff_base,
            base_households: self.config.staff_base_households,
            per_extra: self.config.staff_per_extra,
        };
        let counts: HashMap<String, i64> = self.store.households_per_grid(code).await?.into_iter().collect();
        let regions = self.store.region_subtree(code).await?;
        let mut grids = Vec::new();
        let mut communities = Vec::new();
        let mut seen = HashSet::new();
        for r in &regions {
            match r.region.level {
                RegionLevel::Grid => {
                    let n = counts.get(&r.region.code).copied().unwrap_or(0);
                    grids.push(GridRuleView {
                        code: r.region.code.clone(),
                        name: r.region.name.clone(),
                        households: n,
                        within_range: grid_rule.within_range(n),
                    });
                }
                RegionLevel::Community if seen.insert(r.region.code.clone()) => {
                    let n: i64 = counts.iter().filter(|(g, _)| g.starts_with(&r.region.code)).map(|(_, n)| n).sum();
                    communities.push(CommunityRuleView {
                        code: r.region.code.clone(),
                        name: r.region.name.clone(),
                        households: n,
                        staff_required: staff_rule.staff_required(n),
                    });
                }
                _ => {}
            }
        }
        Ok(RulesView {
            grid_households_min: grid_rule.min_households,
            grid_households_max: grid_rule.max_households,
            out_of_range: grids.iter().filter(|g| !g.within_range).count() as i64,
            grids,
            communities,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_count_whole_years() {
        let on = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(age_on("1966-03-01", on), 60);
        assert_eq!(age_on("1966-03-02", on), 59);
        assert_eq!(age_on("2026-02-28", on), 0);
        assert_eq!(age_on("garbage", on), 0);
    }

    #[test]
    fn tag_data_follows_the_kind() {
        let kind = TagKindRow {
            code: "disabled".into(),
            name: "残疾人".into(),
            name_en: String::new(),
            level: "person".into(),
            sensitive: false,
            derived: false,
            fields: r#"[{"key":"grade","type":"select","options":["一级","二级"]},{"key":"since","type":"date"},{"key":"no","type":"text"}]"#.into(),
            visit_days: None,
            sort: 0,
        };
        let ok: Map<String, Value> =
            serde_json::from_value(json!({"grade": "一级", "since": "2020-01-02", "no": " x "})).unwrap();
        assert_eq!(validate_tag_data(&kind, &ok).unwrap()["no"], "x");
        let bad: Map<String, Value> = serde_json::from_value(json!({"colour": "red"})).unwrap();
        assert_eq!(validate_tag_data(&kind, &bad).unwrap_err().field_name(), Some("data.colour"));
        let bad: Map<String, Value> = serde_json::from_value(json!({"grade": "五级"})).unwrap();
        assert_eq!(validate_tag_data(&kind, &bad).unwrap_err().field_name(), Some("data.grade"));
        let bad: Map<String, Value> = serde_json::from_value(json!({"since": "yesterday"})).unwrap();
        assert_eq!(validate_tag_data(&kind, &bad).unwrap_err().field_name(), Some("data.since"));
        let bad: Map<String, Value> = serde_json::from_value(json!({"no": [1]})).unwrap();
        assert_eq!(validate_tag_data(&kind, &bad).unwrap_err().field_name(), Some("data.no"));
    }
}
