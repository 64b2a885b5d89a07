//! 治安防控 (issue #7): the 综治 centre's list of key groups under management (重点人群: 社区矫正, 刑满释放,
//! 严重精神障碍, 吸毒 and any other sensitive group) with each person's contact frequency, last contact and who is
//! responsible; safety teams (巡防队, 平安志愿者) with members, shifts and areas; and the safety map (open hazards,
//! recent patrols and covering teams per grid).
//!
//! Key-group data is sensitive: only roles with `ReadSensitiveTags` read it, within their scope, numbers masked,
//! and every read of the list writes one audit record naming the people it showed.

use crate::audit::format_time;
use crate::paging::{self, Page};
use crate::people::{age_on, text_field, today};
use crate::{App, AppError, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use wangge_domain::dispute::in_resettlement_window;
use wangge_domain::event::calendar::cst_day;
use wangge_domain::field as visits;
use wangge_domain::phone::Phone;
use wangge_domain::role::Permission;
use wangge_domain::safety::{self as rules, KeyFacts, KeyGroupView, TeamKind};
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::safety::{KeyGroupRow, MemberWrite, TeamRow};
use wangge_store::{Store, StoreError, now_ms};

// ---------------------------------------------------------------- key groups

/// A worker responsible for a person: a `grid_worker` of the person's grid.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkerBrief {
    pub username: String,
    pub display_name: String,
}

/// One group a person is managed under, with what its tag records.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyGroupTag {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// Contact at least every N days under this group's rule.
    pub contact_days: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term_start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term_end: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released: Option<String>,
    /// Last day of the five-year 安置帮教 window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resettlement_ends: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_level: Option<i64>,
    /// 监护人, when the tag records one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardian: Option<String>,
}

/// A person under management, as the 综治 centre's list shows them: numbers masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyGroupPerson {
    pub person_id: i64,
    pub name: String,
    pub gender: String,
    pub age: i64,
    pub grid_code: String,
    pub address: String,
    /// `present` or `away`.
    pub residence_status: String,
    /// Masked: `110101********1234`.
    pub id_number_masked: String,
    /// Masked: `138****0000`.
    pub phone_masked: Option<String>,
    pub groups: Vec<KeyGroupTag>,
    /// The strictest of the groups' frequencies.
    pub contact_days: i64,
    /// The last visit (any visit of the `visits` table counts as contact).
    pub last_contact_on: Option<String>,
    pub due_on: String,
    pub overdue_days: i64,
    pub overdue: bool,
    pub workers: Vec<WorkerBrief>,
}

/// What the key-group list asks for.
#[derive(Debug, Clone, Default)]
pub struct KeyGroupQuery<'a> {
    pub region: Option<&'a str>,
    /// A sensitive tag kind's code.
    pub tag: Option<&'a str>,
    /// `all` (default) or `overdue`.
    pub view: Option<&'a str>,
    pub limit: Option<i64>,
    pub cursor: Option<&'a str>,
}

/// The tag's recorded facts, as the rules read them, and the guardian's name.
pub(crate) fn key_facts(data: &str) -> (KeyFacts, Option<String>) {
    let map: Map<String, Value> = serde_json::from_str(data).unwrap_or_default();
    let text = |k: &str| {
        map.get(k)
            .map(|v| match v {
                Value::String(s) => s.trim().to_string(),
                other => other.to_string(),
            })
            .filter(|s| !s.is_empty())
    };
    let date = |k: &str| text(k).and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
    let facts = KeyFacts {
        term_start: date("term_start"),
        term_end: date("term_end"),
        released: date("released"),
        risk_level: text("risk_level").as_deref().and_then(rules::parse_risk_level),
    };
    (facts, text("guardian"))
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Fields the key-group rules read, added to the seeded kinds of an existing database once (a kind an admin has
/// edited keeps everything else it records; nothing is removed or reshaped).
const KEY_GROUP_FIELDS: &[(&str, &str)] = &[
    (rules::COMMUNITY_CORRECTION, "term_start"),
    (rules::COMMUNITY_CORRECTION, "term_end"),
    (rules::RELEASED_PRISONER, "released"),
    (rules::MENTAL_DISORDER, "risk_level"),
    (rules::MENTAL_DISORDER, "guardian"),
];
const KEY_GROUP_FIELDS_SETTING: &str = "upgrade.key_group_fields";

impl App {
    /// Adds the fields the key-group rules need (监护人 on 严重精神障碍) to seeded tag kinds of a database made before
    /// they were seeded, once: a marker in the settings remembers it, so an admin who later removes a field keeps
    /// their choice.
    pub(crate) async fn upgrade_key_group_fields(&self) -> Result<()> {
        if self.store.setting(KEY_GROUP_FIELDS_SETTING).await?.is_some() {
            return Ok(());
        }
        let seeds: HashMap<&str, Vec<Value>> = crate::tags::DEFAULT_TAG_KINDS
            .iter()
            .map(|s| (s.0, serde_json::from_str::<Vec<Value>>(s.7).unwrap_or_default()))
            .collect();
        let mut tx = self.store.begin().await?;
        for mut kind in self.store.tag_kinds().await? {
            let mut fields: Vec<Value> = serde_json::from_str(&kind.fields).unwrap_or_default();
            let mut added = Vec::new();
            for (_, key) in KEY_GROUP_FIELDS.iter().filter(|(code, _)| *code == kind.code) {
                let has = fields.iter().any(|f| f["key"] == *key);
                let seed = seeds.get(kind.code.as_str()).and_then(|s| s.iter().find(|f| f["key"] == *key));
                if let (false, Some(seed)) = (has, seed) {
                    fields.push(seed.clone());
                    added.push(*key);
                }
            }
            if added.is_empty() {
                continue;
            }
            kind.fields = Value::Array(fields).to_string();
            Store::upsert_tag_kind(&mut tx, &kind).await?;
            Store::audit(
                &mut tx,
                NewAudit {
                    actor: "system",
                    action: "update",
                    object: &format!("tag_kind:{}", kind.code),
                    reason: Some(&format!("added fields {}", added.join(", "))),
                    region_code: None,
                },
            )
            .await?;
        }
        Store::set_setting(&mut tx, KEY_GROUP_FIELDS_SETTING, "1").await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// The region a list shows when none is asked for: the caller's first root for `perm` (admins: the first
    /// top region).
    pub(crate) async fn default_root(&self, actor: &Actor, perm: Permission) -> Result<String> {
        let first = match actor.roots(perm) {
            Some(roots) => roots.into_iter().next(),
            None => self.store.top_regions(None, 1).await?.into_iter().next().map(|r| r.region.code),
        };
        first.ok_or_else(|| AppError::field("region", "请选择区域 / choose a region"))
    }

    /// The region asked for (authorized for `perm`: outside the scope 404, inside without it 403; unknown 404),
    /// or the caller's default one.
    pub(crate) async fn region_for(&self, actor: &Actor, perm: Permission, region: Option<&str>) -> Result<String> {
        match region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize(actor, perm, r)?;
                self.store.region(r).await?.ok_or_else(|| AppError::not_found(r))?;
                Ok(r.to_string())
            }
            None => self.default_root(actor, perm).await,
        }
    }

    /// How often each (person, sensitive tag) of the subtree must be contacted today, `None` when the tag no longer
    /// puts the person under management (a correction term ended, five years since release). Used by the grid
    /// worker's today list so that it follows the same rules as the centre's list.
    pub(crate) async fn key_group_rules(&self, root: &str) -> Result<HashMap<(i64, String), Option<i64>>> {
        let kinds = self.kinds().await?;
        let on = today();
        Ok(self
            .store
            .key_group_people(root)
            .await?
            .into_iter()
            .map(|r| {
                let visit_days = kinds.0.get(&r.tag).and_then(|k| k.visit_days);
                let days = rules::contact_days(&r.tag, &key_facts(&r.data).0, visit_days, on);
                ((r.person_id, r.tag), days)
            })
            .collect())
    }

    /// The 综治 centre's list of people under management in `region` (default: the caller's first region),
    /// overdue first. Writes one audit record (`read_key_groups`) naming the people on the page.
    pub async fn key_groups(&self, actor: &Actor, q: KeyGroupQuery<'_>) -> Result<Page<KeyGroupPerson>> {
        self.authorize_anywhere(actor, Permission::ReadSensitiveTags)?;
        let view = match q.view.map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => KeyGroupView::parse("view", v)?,
            None => KeyGroupView::All,
        };
        let kinds = self.kinds().await?;
        let tag = match q.tag.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => {
                let k =
                    kinds.0.get(t).filter(|k| k.sensitive && k.level == "person").ok_or_else(|| {
                        AppError::field("tag", format!("不是重点人群标签 / not a key-group tag: {t}"))
                    })?;
                Some(k.code.clone())
            }
            None => None,
        };
        let limit = paging::limit(q.limit)?;
        let offset = paging::int_cursor(q.cursor)?.unwrap_or(0);
        if offset < 0 {
            return Err(AppError::field("cursor", "无效的游标 / invalid cursor"));
        }
        let region = self.region_for(actor, Permission::ReadSensitiveTags, q.region).await?;

        let on = today();
        let rows = self.store.key_group_people(&region).await?;
        // One entry per person, in person order, with the groups that manage them today.
        let mut people: BTreeMap<i64, (KeyGroupRow, Vec<KeyGroupTag>)> = BTreeMap::new();
        for r in rows {
            if !actor.may(Permission::ReadSensitiveTags, &r.grid_code) {
                continue;
            }
            let Some(kind) = kinds.0.get(&r.tag) else { continue };
            let (facts, guardian) = key_facts(&r.data);
            let Some(days) = rules::contact_days(&r.tag, &facts, kind.visit_days, on) else { continue };
            let group = KeyGroupTag {
                code: kind.code.clone(),
                name: kind.name.clone(),
                name_en: kind.name_en.clone(),
                contact_days: days,
                term_start: facts.term_start.map(ymd),
                term_end: facts.term_end.map(ymd),
                released: facts.released.map(ymd),
                resettlement_ends: facts
                    .released
                    .filter(|r| in_resettlement_window(*r, on))
                    .map(|r| ymd(rules::resettlement_ends(r))),
                risk_level: facts.risk_level,
                guardian,
            };
            people.entry(r.person_id).or_insert_with(|| (r, Vec::new())).1.push(group);
        }
        if let Some(t) = &tag {
            people.retain(|_, (_, groups)| groups.iter().any(|g| &g.code == t));
        }
        let ids: Vec<i64> = people.keys().copied().collect();
        let last = self.store.last_visit_of(&ids).await?;
        let mut workers: HashMap<String, Vec<WorkerBrief>> = HashMap::new();
        for (_, username, display_name, grid) in self.store.grid_workers(&region).await? {
            workers.entry(grid).or_default().push(WorkerBrief { username, display_name });
        }
        let mut items: Vec<KeyGroupPerson> = people
            .into_values()
            .map(|(p, groups)| {
                let contact_days = groups.iter().map(|g| g.contact_days).min().unwrap_or(rules::MONTHLY);
                let last_day = last.get(&p.person_id).map(|ms| cst_day(*ms));
                let due = visits::due_on(last_day, contact_days, on);
                let overdue_days = visits::overdue_days(due, on);
                KeyGroupPerson {
                    person_id: p.person_id,
                    age: age_on(&p.birth_date, on),
                    name: p.name,
                    gender: p.gender,
                    workers: workers.get(&p.grid_code).cloned().unwrap_or_default(),
                    grid_code: p.grid_code,
                    address: p.address,
                    residence_status: p.residence_status,
                    id_number_masked: p.id_number_masked,
                    phone_masked: p.phone_masked,
                    groups,
                    contact_days,
                    last_contact_on: last_day.map(ymd),
                    due_on: ymd(due),
                    overdue_days,
                    overdue: overdue_days > 0,
                }
            })
            .filter(|p| view == KeyGroupView::All || p.overdue)
            .collect();
        items.sort_by(|a, b| {
            b.overdue_days
                .cmp(&a.overdue_days)
                .then(a.due_on.cmp(&b.due_on))
                .then(a.grid_code.cmp(&b.grid_code))
                .then(a.person_id.cmp(&b.person_id))
        });
        let total = items.len() as i64;
        let page: Vec<KeyGroupPerson> = items.into_iter().skip(offset as usize).take(limit as usize).collect();
        let next_cursor = (offset + (page.len() as i64) < total).then(|| (offset + page.len() as i64).to_string());

        // One record per read, naming whom it showed: reading the list is reading these people.
        let shown = page.iter().map(|p| p.person_id.to_string()).collect::<Vec<_>>().join(",");
        let reason = format!(
            "view={}; tag={}; people={}",
            view.as_str(),
            tag.as_deref().unwrap_or("*"),
            if shown.is_empty() { "-" } else { &shown }
        );
        let mut tx = self.store.begin().await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "read_key_groups",
                object: &format!("region:{region}"),
                reason: Some(&reason),
                region_code: Some(&region),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Page { items: page, next_cursor, total, total_is_lower_bound: false })
    }
}

// ---------------------------------------------------------------- safety teams

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamMemberView {
    pub name: String,
    /// The member's account, when they have one.
    pub username: Option<String>,
    pub role: String,
    /// Masked: `138****0000`.
    pub phone_masked: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamView {
    pub id: i64,
    /// `patrol` (巡防队) | `volunteer` (平安志愿者队).
    pub kind: String,
    pub kind_name: String,
    pub name: String,
    /// The area it covers: a grid or any region above (covering every grid below it).
    pub region_code: String,
    pub region_name: String,
    /// When it is on duty, as written: `每晚19:00–22:00`.
    pub shift: String,
    pub note: String,
    pub members: Vec<TeamMemberView>,
    /// RFC 3339, China Standard Time.
    pub updated_at: String,
}

/// A member of a new team: a user (by username), or anyone named, with an optional phone.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    /// Default: the user's display name.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// 队长, 队员…
    #[serde(default)]
    pub role: String,
}

/// A new team (`POST /api/v1/safety/teams`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeamInput {
    /// `patrol` | `volunteer` (or 巡防队 | 平安志愿者队).
    pub kind: String,
    pub name: String,
    /// The area it covers, in the caller's scope.
    pub region_code: String,
    #[serde(default)]
    pub shift: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub members: Vec<MemberInput>,
}

/// At most this many members per team in one write.
pub const MAX_MEMBERS: usize = 200;

impl App {
    fn team_views(
        &self,
        rows: Vec<TeamRow>,
        members: Vec<wangge_store::safety::MemberRow>,
        names: &HashMap<String, String>,
    ) -> Vec<TeamView> {
        let mut by_team: HashMap<i64, Vec<TeamMemberView>> = HashMap::new();
        for m in members {
            by_team.entry(m.team_id).or_default().push(TeamMemberView {
                name: m.name,
                username: m.username,
                role: m.role,
                phone_masked: m.phone_masked,
            });
        }
        rows.into_iter()
            .map(|t| TeamView {
                kind_name: TeamKind::parse("kind", &t.kind).map(|k| k.label_zh().to_string()).unwrap_or_default(),
                region_name: names.get(&t.region_code).cloned().unwrap_or_default(),
                members: by_team.remove(&t.id).unwrap_or_default(),
                id: t.id,
                kind: t.kind,
                name: t.name,
                region_code: t.region_code,
                shift: t.shift,
                note: t.note,
                updated_at: format_time(t.updated_at),
            })
            .collect()
    }

    async fn region_names(&self, codes: impl Iterator<Item = &String>) -> Result<HashMap<String, String>> {
        let mut out = HashMap::new();
        for c in codes {
            if !out.contains_key(c)
                && let Some(r) = self.store.region(c).await?
            {
                out.insert(c.clone(), r.region.name);
            }
        }
        Ok(out)
    }

    /// Safety teams covering `region` (default: the caller's first region): those of its subtree and those of
    /// the regions above it, by area then name.
    pub async fn list_teams(
        &self,
        actor: &Actor,
        region: Option<&str>,
        kind: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Page<TeamView>> {
        self.authorize_anywhere(actor, Permission::ReadFieldWork)?;
        let kind = kind.map(str::trim).filter(|k| !k.is_empty()).map(|k| TeamKind::parse("kind", k)).transpose()?;
        let limit = paging::limit(limit)?;
        let offset = paging::int_cursor(cursor)?.unwrap_or(0).max(0);
        let region = self.region_for(actor, Permission::ReadFieldWork, region).await?;
        let rows = self.store.teams_touching(&region, kind.map(|k| k.as_str())).await?;
        let total = rows.len() as i64;
        let rows: Vec<TeamRow> = rows.into_iter().skip(offset as usize).take(limit as usize).collect();
        let next_cursor = (offset + (rows.len() as i64) < total).then(|| (offset + rows.len() as i64).to_string());
        let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
        let members = self.store.team_members(&ids).await?;
        let names = self.region_names(rows.iter().map(|t| &t.region_code)).await?;
        Ok(Page { items: self.team_views(rows, members, &names), next_cursor, total, total_is_lower_bound: false })
    }

    /// Adds a team with its members (community staff and above, in their subtree). Members' phones are
    /// encrypted, blind-indexed and masked like a resident's.
    pub async fn add_team(&self, actor: &Actor, input: NewTeamInput) -> Result<TeamView> {
        self.authorize_anywhere(actor, Permission::ManageSafetyTeams)?;
        let kind = TeamKind::parse("kind", &input.kind)?;
        let name = rules::check_team_name("name", &input.name)?;
        let region = input.region_code.trim();
        if region.is_empty() {
            return Err(AppError::field("region_code", "请选择区域 / choose a region"));
        }
        self.authorize(actor, Permission::ManageSafetyTeams, region)?;
        let region_row = self
            .store
            .region(region)
            .await?
            .ok_or_else(|| AppError::field("region_code", format!("区域不存在 / no such region: {region}")))?;
        let shift = text_field("shift", &input.shift, 100)?;
        let note = text_field("note", &input.note, 500)?;
        if input.members.len() > MAX_MEMBERS {
            return Err(AppError::field(
                "members",
                format!("每次最多{MAX_MEMBERS}名队员 / at most {MAX_MEMBERS} members at a time"),
            ));
        }
        let mut members = Vec::with_capacity(input.members.len());
        for (i, m) in input.members.iter().enumerate() {
            let at = |k: &str| format!("members[{i}].{k}");
            let user =
                match m.username.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
                    Some(u) => {
                        Some(self.store.user_by_name(u).await?.filter(|u| !u.disabled).ok_or_else(|| {
                            AppError::field(&at("username"), format!("用户不存在 / no such user: {u}"))
                        })?)
                    }
                    None => None,
                };
            let mut member_name = text_field(&at("name"), &m.name, 50)?;
            if member_name.is_empty() {
                member_name = user.as_ref().map(|u| u.display_name.clone()).unwrap_or_default();
            }
            if member_name.is_empty() {
                return Err(AppError::field(&at("name"), "请填写队员姓名 / name the member"));
            }
            let (phone_enc, phone_hash, phone_masked) =
                match m.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                    Some(p) => {
                        let p = Phone::parse(&at("phone"), p)?;
                        (
                            Some(self.crypto.encrypt(p.as_str())),
                            Some(self.crypto.blind_index("phone", p.as_str())),
                            Some(p.masked()),
                        )
                    }
                    None => (None, None, None),
                };
            members.push(MemberWrite {
                name: member_name,
                user_id: user.map(|u| u.id),
                role: text_field(&at("role"), &m.role, 20)?,
                phone_enc,
                phone_hash,
                phone_masked,
            });
        }
        let mut tx = self.store.begin().await?;
        let id =
            Store::insert_team(&mut tx, kind.as_str(), &name, region, &shift, &note).await.map_err(|e| match e {
                StoreError::Conflict(_) => {
                    let mut e =
                        AppError::conflict(format!("该区域已有同名队伍 / this area already has a team named {name}"));
                    e.details = Some(json!({ "field": "name" }));
                    e
                }
                e => e.into(),
            })?;
        Store::insert_team_members(&mut tx, id, &members).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "create",
                object: &format!("safety_team:{id}"),
                reason: Some(&format!("{} {name}, {} members", kind.as_str(), members.len())),
                region_code: Some(region),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let row = self.store.team(id).await?.ok_or_else(|| AppError::not_found("team"))?;
        let stored = self.store.team_members(&[id]).await?;
        let names: HashMap<String, String> = [(region.to_string(), region_row.region.name)].into_iter().collect();
        self.team_views(vec![row], stored, &names).pop().ok_or_else(|| AppError::internal("team view"))
    }
}

// ---------------------------------------------------------------- the safety map

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HazardPoint {
    pub id: i64,
    pub category: String,
    pub category_name: String,
    pub status: String,
    pub lat: f64,
    pub lon: f64,
    pub grid_code: String,
    /// RFC 3339, China Standard Time.
    pub reported_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamBrief {
    pub id: i64,
    pub name: String,
    pub kind: String,
}

/// One grid of the safety map.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GridSafety {
    pub code: String,
    pub name: String,
    /// Open events of the hazard classes (Z02 治安隐患, Z03 安全隐患).
    pub hazard_count: i64,
    pub hazards: Vec<HazardPoint>,
    /// Patrols recorded on this grid in the last `days` days.
    pub patrols: i64,
    pub patrol_minutes: i64,
    pub patrol_km: f64,
    /// `none` | `low` | `good` (about one patrol a week).
    pub coverage: String,
    /// Teams whose area is this grid or a region above it.
    pub teams: Vec<TeamBrief>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SafetyMap {
    pub region_code: String,
    pub region_name: String,
    /// The window patrols are counted over.
    pub days: i64,
    pub grids: Vec<GridSafety>,
    /// Patrols in the window recorded on a community or street rather than one grid (counted in no grid).
    pub area_patrols: i64,
}

impl App {
    /// Per grid of `region` (default: the caller's first region): open hazards with their points, patrols of the
    /// last 30 days, and the teams covering it.
    pub async fn safety_map(&self, actor: &Actor, region: Option<&str>) -> Result<SafetyMap> {
        self.authorize_anywhere(actor, Permission::ReadFieldWork)?;
        let region = self.region_for(actor, Permission::ReadFieldWork, region).await?;
        let region_name = self.store.region(&region).await?.map(|r| r.region.name).unwrap_or_default();
        let reference = self.event_reference().await?;
        let since = now_ms() - rules::COVERAGE_DAYS * 86_400_000;
        let grids = self.store.grids_in(&region).await?;
        let mut hazards: HashMap<String, Vec<HazardPoint>> = HashMap::new();
        for h in self.store.open_hazards(&region, &rules::HAZARD_CLASSES).await? {
            if !actor.may(Permission::ReadEvents, &h.grid_code) {
                continue;
            }
            hazards.entry(h.grid_code.clone()).or_default().push(HazardPoint {
                id: h.id,
                category_name: reference.category(&h.category_code).map(|c| c.name.clone()).unwrap_or_default(),
                category: h.category_code,
                status: h.status,
                lat: h.lat,
                lon: h.lon,
                grid_code: h.grid_code,
                reported_at: format_time(h.reported_at),
            });
        }
        let mut totals = self.store.patrol_totals(&region, since).await?;
        let teams = self.store.teams_touching(&region, None).await?;
        let mut out = Vec::with_capacity(grids.len());
        for g in grids {
            let code = g.region.code;
            let t = totals.remove(&code).unwrap_or_default();
            let points = hazards.remove(&code).unwrap_or_default();
            out.push(GridSafety {
                hazard_count: points.len() as i64,
                hazards: points,
                patrols: t.patrols,
                patrol_minutes: (t.ms + 30_000) / 60_000,
                patrol_km: (t.metres / 100.0).round() / 10.0,
                coverage: rules::coverage(t.patrols).as_str().to_string(),
                teams: teams
                    .iter()
                    .filter(|team| code.starts_with(&team.region_code))
                    .map(|team| TeamBrief { id: team.id, name: team.name.clone(), kind: team.kind.clone() })
                    .collect(),
                code,
                name: g.region.name,
            });
        }
        let area_patrols = totals.values().map(|t| t.patrols).sum();
        Ok(SafetyMap { region_code: region, region_name, days: rules::COVERAGE_DAYS, grids: out, area_patrols })
    }
}

// ---------------------------------------------------------------- demo

impl App {
    /// Key groups and safety work for the demo district, so the 综治 centre's list and the safety map show a
    /// working district: the recorded facts of the demo's sensitive tags (terms, release dates, risk levels), a few
    /// more people under management in the first community (some overdue, one whose term has ended, one released
    /// six years ago), a patrol team per community and a volunteer team per street, and the grid leader's patrols
    /// of the last month (some grids often, some rarely, some never).
    pub(crate) async fn load_demo_safety(&self, data: &wangge_demo::DemoData) -> Result<()> {
        use wangge_domain::region::RegionLevel;
        let on = today();
        let days = |n: i64| ymd(on - chrono::Duration::days(n));
        let ahead = |n: i64| ymd(on + chrono::Duration::days(n));
        let Some(district) = data.regions.first() else { return Ok(()) };
        let leader = self.store.user_by_name("demo_grid_leader").await?;
        let mut tx = self.store.begin().await?;

        // The generated sensitive tags carry no facts yet: give them some.
        for r in self.store.key_group_people(&district.code).await? {
            if r.data.trim() != "{}" {
                continue;
            }
            let id = r.person_id;
            let facts = match r.tag.as_str() {
                rules::COMMUNITY_CORRECTION => {
                    let end = if id % 5 == 0 { days(20) } else { ahead(120 + id % 300) };
                    json!({ "term_start": days(60 + id % 200), "term_end": end })
                }
                rules::RELEASED_PRISONER => {
                    json!({ "released": if id % 4 == 0 { days(6 * 365) } else { days(100 + id % 1200) } })
                }
                rules::MENTAL_DISORDER => json!({ "risk_level": (id % 5).to_string(), "guardian": "家属" }),
                _ => continue,
            };
            Store::set_tag_tx(&mut tx, false, id, &r.tag, &facts.to_string()).await?;
        }

        // More people under management in the first community's grids, with the facts each rule reads.
        let grids: Vec<&wangge_demo::DemoRegion> =
            data.regions.iter().filter(|r| r.level == RegionLevel::Grid).collect();
        let born_by = ymd(on - chrono::Duration::days(20 * 365));
        // (person, grid, when) of the demo's last contacts with them.
        let mut seen: Vec<(i64, String, i64)> = Vec::new();
        type Placed = (&'static str, Value, Option<i64>);
        let plans: [Vec<Placed>; 2] = [
            vec![
                // Risk level 4: every 14 days; last seen 20 days ago, so 6 days overdue.
                (rules::MENTAL_DISORDER, json!({ "risk_level": "4", "guardian": "王建国（父亲）" }), Some(20)),
                (rules::RELEASED_PRISONER, json!({ "released": days(400) }), Some(12)),
            ],
            vec![
                (rules::COMMUNITY_CORRECTION, json!({ "term_start": days(90), "term_end": ahead(180) }), Some(11)),
                (rules::COMMUNITY_CORRECTION, json!({ "term_start": days(400), "term_end": days(10) }), Some(30)),
                (rules::RELEASED_PRISONER, json!({ "released": days(6 * 365) }), None),
                (rules::DRUG_USER, json!({}), Some(40)),
                (rules::MENTAL_DISORDER, json!({ "risk_level": "1", "guardian": "李秀英（配偶）" }), None),
            ],
        ];
        for (grid, plan) in grids.iter().zip(plans) {
            let people = self.store.demo_key_group_candidates(&grid.code, &born_by, plan.len() as i64).await?;
            for (person, (tag, facts, seen_days_ago)) in people.into_iter().zip(plan) {
                Store::set_tag_tx(&mut tx, false, person, tag, &facts.to_string()).await?;
                if let Some(ago) = seen_days_ago {
                    seen.push((person, grid.code.clone(), now_ms() - ago * 86_400_000));
                }
            }
        }
        if let Some(u) = &leader {
            let days_of: Vec<String> = seen.iter().map(|(_, _, at)| crate::events::day_month(*at).0).collect();
            let visits: Vec<wangge_store::field::NewVisit> = seen
                .iter()
                .zip(&days_of)
                .map(|((person, grid, at), day)| wangge_store::field::NewVisit {
                    person_id: *person,
                    household_id: None,
                    grid_code: grid,
                    user_id: u.id,
                    visited_at: *at,
                    day,
                    found: true,
                    situation: "normal",
                    needs: "",
                    risk: "same",
                    note: "情况稳定",
                    lat: None,
                    lon: None,
                })
                .collect();
            Store::insert_visits(&mut tx, &visits).await?;
        }

        // A patrol team per community (the patrol routes name it) and a volunteer team per street.
        let names =
            ["周建华", "钱卫东", "孙丽萍", "吴志强", "郑秀兰", "冯国庆", "陈晓燕", "褚振华", "卫红梅", "蒋立新"];
        let mut n = 0usize;
        let mut member = |role: &str, user: Option<&wangge_store::users::UserRow>| {
            n += 1;
            let phone = Phone::parse("phone", &format!("1385710{:04}", n)).ok();
            MemberWrite {
                name: user.map(|u| u.display_name.clone()).unwrap_or_else(|| names[n % names.len()].to_string()),
                user_id: user.map(|u| u.id),
                role: role.to_string(),
                phone_enc: phone.as_ref().map(|p| self.crypto.encrypt(p.as_str())),
                phone_hash: phone.as_ref().map(|p| self.crypto.blind_index("phone", p.as_str())),
                phone_masked: phone.map(|p| p.masked()),
            }
        };
        // The grid leader (a user) leads the first community's patrol team.
        let mut led_by_user = leader.as_ref();
        for region in &data.regions {
            let (kind, name, shift, members) = match region.level {
                RegionLevel::Community => (
                    TeamKind::Patrol,
                    format!("{}平安巡防队", region.name),
                    "每晚19:00–22:00",
                    vec![member("队长", led_by_user.take()), member("队员", None), member("队员", None)],
                ),
                RegionLevel::Street => (
                    TeamKind::Volunteer,
                    format!("{}平安志愿者服务队", region.name),
                    "每周六09:00–11:00，节假日全天",
                    vec![member("队长", None), member("志愿者", None), member("志愿者", None), member("志愿者", None)],
                ),
                _ => continue,
            };
            let id = Store::insert_team(&mut tx, kind.as_str(), &name, &region.code, shift, "").await?;
            Store::insert_team_members(&mut tx, id, &members).await?;
        }

        // The grid leader's patrols of the last month: often in the first grid, rarely in the next, never after.
        if let Some(u) = &leader {
            let mut rows: Vec<Vec<wangge_store::register::Val>> = Vec::new();
            for (grid, count) in grids.iter().zip([6i64, 2, 1]) {
                for k in 0..count {
                    let start = now_ms() - (k * 4 + 1) * 86_400_000 - 2 * 3_600_000;
                    let end = start + (60 + k * 5) * 60_000;
                    let (day, _) = crate::events::day_month(start);
                    rows.push(vec![
                        u.id.into(),
                        "平安巡防队".into(),
                        grid.code.as_str().into(),
                        start.into(),
                        end.into(),
                        day.as_str().into(),
                        end.into(),
                        wangge_store::register::Val::Real(Some(2_400.0 + 150.0 * k as f64)),
                    ]);
                }
            }
            wangge_store::register::insert_batch(
                &mut tx,
                "patrols",
                &["user_id", "team", "grid_code", "started_at", "ended_at", "day", "last_point_at", "distance_m"],
                &rows,
            )
            .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
