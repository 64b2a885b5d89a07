//! 党建引领: party organizations in the region tree (党委/党总支/党支部 on a street or community), members linked to
//! the register (正式/预备; 流动党员 with their home organization; 在职党员 who report to their residential community,
//! 双报到, with employer and service commitment), 三会一课 and 主题党日 with sign-in, and members' service records
//! with the yearly minimum for in-service members.
//!
//! Political status is sensitive personal data: member lists, member pages and who signed in need
//! `ReadPartyMembers`; organizations and activities (without attendance) are read like other community life.

use super::{audit, block, fmt, line, opt_day, parse_local_time, taken, ymd};
use crate::paging::{self, Page};
use crate::people::today;
use crate::{App, AppError, ErrorKind, Result};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use wangge_domain::event::calendar::cst_day_start_ms;
use wangge_domain::life::{self as rules, MemberKind, MemberStatus, PartyActivityKind, PartyOrgKind};
use wangge_domain::region::RegionLevel;
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::life::party::{MemberFilter, MemberRow, PartyActivityRow, PartyOrgRow, ServiceRecordRow};
use wangge_store::{Store, StoreError, now_ms};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPartyOrgInput {
    /// The street or community it sits on.
    pub region_code: String,
    pub parent_id: Option<i64>,
    /// `committee` (党委) | `general_branch` (党总支) | `branch` (党支部).
    pub kind: String,
    pub name: String,
    /// 书记 (an official: shown on the public portal).
    #[serde(default)]
    pub secretary: String,
    pub founded_on: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMemberInput {
    /// The member, a person of the register.
    pub person_id: i64,
    /// `regular` (本支部党员) | `floating` (流动党员) | `in_service` (在职党员双报到).
    pub kind: String,
    /// `full` (正式党员) | `probationary` (预备党员).
    pub status: String,
    /// The local organization (required for `regular`; a 流动党员党支部 for `floating`, optional).
    pub org_id: Option<i64>,
    /// The community they report to (`in_service`) or live in (`floating` without an organization).
    pub region_code: Option<String>,
    pub joined_on: Option<String>,
    /// `floating`: the organization the membership is kept in (流出地党组织).
    #[serde(default)]
    pub home_org: String,
    /// `in_service`: the employer (工作单位) and its party organization.
    #[serde(default)]
    pub employer: String,
    #[serde(default)]
    pub employer_org: String,
    /// `in_service`: the service they commit to (服务承诺).
    #[serde(default)]
    pub commitment: String,
    /// `in_service`: the day they reported (default today).
    pub reported_on: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceRecordInput {
    /// `YYYY-MM-DD`.
    pub served_on: String,
    /// Hours: a number or text such as "2" or "90分钟".
    #[schema(value_type = Object)]
    pub hours: serde_json::Value,
    pub content: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPartyActivityInput {
    pub org_id: i64,
    /// `congress` (支部党员大会) | `committee_meeting` (支委会) | `group_meeting` (党小组会) | `lecture` (党课) |
    /// `theme_day` (主题党日).
    pub kind: String,
    pub title: String,
    /// RFC 3339, or China time `YYYY-MM-DDTHH:MM`.
    pub held_at: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub summary: String,
    /// Shown on the public portal (title, time, place, summary; never who attended). Default false.
    #[serde(default)]
    pub public: bool,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartySignInInput {
    pub member_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartyOrgView {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    pub parent_id: Option<i64>,
    pub parent_name: Option<String>,
    pub kind: String,
    pub kind_name: String,
    pub name: String,
    pub secretary: String,
    pub founded_on: Option<String>,
    pub note: String,
    /// Active members (a count only).
    pub members: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuotaView {
    pub kind: String,
    pub kind_name: String,
    pub held: i64,
    /// Held so far this year by the rule (三会一课), and for the whole year.
    pub due_so_far: i64,
    pub per_year: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartyOrgDetail {
    #[serde(flatten)]
    pub org: PartyOrgView,
    pub children: Vec<PartyOrgView>,
    /// This year's activities, newest first.
    pub activities: Vec<PartyActivityView>,
    /// 三会一课 this year (branches).
    pub quotas: Vec<QuotaView>,
    /// Members, only for callers with `ReadPartyMembers`.
    pub member_list: Option<Vec<MemberView>>,
    pub may_keep: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub grid_code: String,
    pub region_code: String,
    pub region_name: String,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub kind: String,
    pub kind_name: String,
    pub status: String,
    pub status_name: String,
    pub joined_on: Option<String>,
    pub home_org: String,
    pub employer: String,
    pub employer_org: String,
    pub commitment: String,
    pub reported_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceRecordView {
    pub id: i64,
    pub served_on: String,
    pub minutes: i64,
    pub hours: String,
    pub content: String,
    pub recorded_by: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberDetail {
    #[serde(flatten)]
    pub member: MemberView,
    pub service: Vec<ServiceRecordView>,
    /// This year's service and the yearly minimum (hours) for in-service members.
    pub year_minutes: i64,
    pub year_hours: String,
    pub min_hours: i64,
    pub below_minimum: bool,
    pub may_keep: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceSummaryRow {
    pub member_id: i64,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
    pub employer: String,
    pub records: i64,
    pub minutes: i64,
    pub hours: String,
    pub below_minimum: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceSummary {
    pub year: i64,
    pub min_hours: i64,
    /// In-service members, those below the minimum first.
    pub members: Vec<ServiceSummaryRow>,
    pub below: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartyActivityView {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub kind: String,
    pub kind_name: String,
    pub title: String,
    pub held_at: String,
    pub place: String,
    pub summary: String,
    pub public: bool,
    /// How many signed in (a count).
    pub attendance: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttendeeView {
    pub member_id: i64,
    pub name: String,
    pub signed_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartyActivityDetail {
    #[serde(flatten)]
    pub activity: PartyActivityView,
    /// Who signed in, and the organization's members to sign in: only with `ReadPartyMembers`.
    pub attendees: Option<Vec<AttendeeView>>,
    pub org_members: Option<Vec<MemberView>>,
    pub may_keep: bool,
}

#[derive(Debug, Clone, Default)]
pub struct MemberQuery<'a> {
    pub region: Option<&'a str>,
    pub org: Option<i64>,
    pub kind: Option<&'a str>,
    pub q: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub limit: Option<i64>,
}

fn year_range(year: i64) -> Result<(NaiveDate, NaiveDate)> {
    let y = i32::try_from(year).map_err(|_| AppError::field("year", "年份无效 / invalid year"))?;
    let from = NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(|| AppError::field("year", "年份无效 / invalid year"))?;
    let to = NaiveDate::from_ymd_opt(y, 12, 31).ok_or_else(|| AppError::field("year", "年份无效 / invalid year"))?;
    if !(2000..=2100).contains(&year) {
        return Err(AppError::field("year", "年份无效 / invalid year"));
    }
    Ok((from, to))
}

fn org_kind(k: &str) -> PartyOrgKind {
    PartyOrgKind::parse("kind", k).unwrap_or(PartyOrgKind::Branch)
}

impl App {
    async fn party_org_for(&self, actor: &Actor, id: i64) -> Result<PartyOrgRow> {
        let what = format!("party organization {id}");
        let o = self.store.party_org(id).await?.ok_or_else(|| AppError::not_found(&what))?;
        self.authorize_life_read(actor, Permission::ReadCommunityLife, &o.region_code, &what)?;
        Ok(o)
    }

    /// Views of organizations; the parent is named only to a `reader` who reads the parent's region (a community's
    /// branch under the street's 党工委 does not name the street to community staff). `None`: no parents (portal).
    pub(crate) async fn party_org_views(
        &self,
        reader: Option<&Actor>,
        rows: &[PartyOrgRow],
    ) -> Result<Vec<PartyOrgView>> {
        let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
        let counts: HashMap<i64, i64> = self.store.party_member_counts(&ids).await?.into_iter().collect();
        let regions = self.life_region_names(rows.iter().map(|o| o.region_code.clone())).await?;
        let mut parents: HashMap<i64, (String, String)> =
            rows.iter().map(|o| (o.id, (o.name.clone(), o.region_code.clone()))).collect();
        for pid in rows.iter().filter_map(|o| o.parent_id) {
            if !parents.contains_key(&pid)
                && let Some(p) = self.store.party_org(pid).await?
            {
                parents.insert(pid, (p.name, p.region_code));
            }
        }
        let parent = |o: &PartyOrgRow| {
            let (id, (name, region)) = o.parent_id.and_then(|p| parents.get(&p).map(|x| (p, x)))?;
            reader.filter(|a| life_reads(a, region)).map(|_| (id, name.clone()))
        };
        Ok(rows
            .iter()
            .map(|o| PartyOrgView {
                id: o.id,
                region_code: o.region_code.clone(),
                region_name: regions.get(&o.region_code).cloned().unwrap_or_default(),
                parent_id: parent(o).map(|p| p.0),
                parent_name: parent(o).map(|p| p.1),
                kind: o.kind.clone(),
                kind_name: org_kind(&o.kind).label_zh().into(),
                name: o.name.clone(),
                secretary: o.secretary.clone(),
                founded_on: o.founded_on.clone(),
                note: o.note.clone(),
                members: counts.get(&o.id).copied().unwrap_or(0),
            })
            .collect())
    }

    /// Party organizations in the caller's scope (or `region`), in tree order.
    pub async fn list_party_orgs(&self, actor: &Actor, region: Option<&str>) -> Result<Page<PartyOrgView>> {
        let roots = self.life_list_roots(actor, Permission::ReadCommunityLife, region).await?;
        let rows = self.store.party_orgs(&roots, None).await?;
        let items = self.party_org_views(Some(actor), &rows).await?;
        let total = items.len() as i64;
        Ok(Page { items, next_cursor: None, total, total_is_lower_bound: false })
    }

    /// Sets up a party organization on a street or community.
    pub async fn add_party_org(&self, actor: &Actor, input: NewPartyOrgInput) -> Result<PartyOrgDetail> {
        self.authorize_anywhere(actor, Permission::ManagePartyAffairs)?;
        let region = input.region_code.trim().to_string();
        self.life_region(actor, "region_code", &region, true, Permission::ManagePartyAffairs).await?;
        let kind = PartyOrgKind::parse("kind", &input.kind)?;
        let name = line("name", &input.name, 2, 100)?;
        let secretary = line("secretary", &input.secretary, 0, 50)?;
        let founded = opt_day("founded_on", input.founded_on.as_deref())?;
        let note = line("note", &input.note, 0, 500)?;
        if let Some(pid) = input.parent_id {
            let p = self
                .store
                .party_org(pid)
                .await?
                // The parent sits on the same region or one above it (a community branch under the street's
                // 党工委), which the caller may name even when they do not keep it.
                .filter(|p| region.starts_with(&p.region_code))
                .ok_or_else(|| AppError::field("parent_id", "上级党组织不存在或不在本区域 / no such parent here"))?;
            if !rules::party_parent_ok(org_kind(&p.kind), kind) {
                return Err(AppError::field(
                    "parent_id",
                    "上级党组织的层级应更高 / the parent must be of a higher kind",
                ));
            }
        }
        let row = PartyOrgRow {
            region_code: region.clone(),
            parent_id: input.parent_id,
            kind: kind.as_str().into(),
            name,
            secretary,
            founded_on: founded.map(ymd),
            note,
            created_at: now_ms(),
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_party_org(&mut tx, &row)
            .await
            .map_err(taken("name", "已有同名党组织 / an organization with this name exists"))?;
        audit(&mut tx, actor, "create", &format!("party_org:{id}"), None, &region).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.party_org_detail(actor, id).await
    }

    pub async fn party_org_detail(&self, actor: &Actor, id: i64) -> Result<PartyOrgDetail> {
        let o = self.party_org_for(actor, id).await?;
        let org = self.party_org_views(Some(actor), std::slice::from_ref(&o)).await?.remove(0);
        let children_rows: Vec<PartyOrgRow> = self
            .store
            .party_orgs(&Some(vec![o.region_code.clone()]), None)
            .await?
            .into_iter()
            .filter(|c| c.parent_id == Some(id))
            .collect();
        let children = self.party_org_views(Some(actor), &children_rows).await?;
        let year = i64::from(today().year());
        let (from, to) = year_range(year)?;
        let (from_ms, to_ms) = (cst_day_start_ms(from), cst_day_start_ms(to) + 86_400_000);
        let activities = self.store.party_activities(&[id], from_ms, to_ms, false, 200).await?;
        let activities = self.party_activity_views(&activities).await?;
        let held: HashMap<String, i64> = self
            .store
            .party_activity_counts(&[id], from_ms, to_ms)
            .await?
            .into_iter()
            .map(|(_, k, n)| (k, n))
            .collect();
        let month = i64::from(today().month());
        let quotas = if org_kind(&o.kind) == PartyOrgKind::Branch {
            PartyActivityKind::ALL
                .iter()
                .map(|k| QuotaView {
                    kind: k.as_str().into(),
                    kind_name: k.label_zh().into(),
                    held: held.get(k.as_str()).copied().unwrap_or(0),
                    due_so_far: k.per_year() * month / 12,
                    per_year: k.per_year(),
                })
                .collect()
        } else {
            Vec::new()
        };
        let member_list = if actor.may(Permission::ReadPartyMembers, &o.region_code) {
            let f = MemberFilter { org_id: Some(id), ..Default::default() };
            let (rows, _) = self.store.party_members(&f, None, 500).await?;
            Some(self.member_views(&rows).await?)
        } else {
            None
        };
        Ok(PartyOrgDetail {
            org,
            children,
            activities,
            quotas,
            member_list,
            may_keep: actor.may(Permission::ManagePartyAffairs, &o.region_code),
        })
    }

    async fn member_views(&self, rows: &[MemberRow]) -> Result<Vec<MemberView>> {
        let regions = self.life_region_names(rows.iter().map(|m| m.region_code.clone())).await?;
        let mut orgs: HashMap<i64, String> = HashMap::new();
        for oid in rows.iter().filter_map(|m| m.org_id) {
            if !orgs.contains_key(&oid)
                && let Some(o) = self.store.party_org(oid).await?
            {
                orgs.insert(oid, o.name);
            }
        }
        Ok(rows
            .iter()
            .map(|m| MemberView {
                id: m.id,
                person_id: m.person_id,
                name: m.name.clone(),
                grid_code: m.grid_code.clone(),
                region_code: m.region_code.clone(),
                region_name: regions.get(&m.region_code).cloned().unwrap_or_default(),
                org_id: m.org_id,
                org_name: m.org_id.and_then(|o| orgs.get(&o).cloned()),
                kind: m.kind.clone(),
                kind_name: MemberKind::parse("kind", &m.kind).map(|k| k.label_zh()).unwrap_or("").into(),
                status: m.status.clone(),
                status_name: MemberStatus::parse("status", &m.status).map(|k| k.label_zh()).unwrap_or("").into(),
                joined_on: m.joined_on.clone(),
                home_org: m.home_org.clone(),
                employer: m.employer.clone(),
                employer_org: m.employer_org.clone(),
                commitment: m.commitment.clone(),
                reported_on: m.reported_on.clone(),
            })
            .collect())
    }

    async fn member_for(&self, actor: &Actor, id: i64) -> Result<MemberRow> {
        let what = format!("party member {id}");
        let m = self.store.party_member(id).await?.ok_or_else(|| AppError::not_found(&what))?;
        self.authorize(actor, Permission::ReadPartyMembers, &m.region_code)
            .map_err(|e| if e.kind == ErrorKind::NotFound { AppError::not_found(&what) } else { e })?;
        Ok(m)
    }

    /// Party members in the caller's scope (or `region`); `ReadPartyMembers` only.
    pub async fn list_party_members(&self, actor: &Actor, q: MemberQuery<'_>) -> Result<Page<MemberView>> {
        self.authorize_anywhere(actor, Permission::ReadPartyMembers)?;
        let roots = match q.region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize(actor, Permission::ReadPartyMembers, r)?;
                self.store.region(r).await?.ok_or_else(|| AppError::not_found(r))?;
                Some(vec![r.to_string()])
            }
            None => actor.roots(Permission::ReadPartyMembers),
        };
        let kind = q
            .kind
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| MemberKind::parse("kind", k).map(|k| k.as_str().to_string()))
            .transpose()?;
        let text = q.q.map(str::trim).filter(|s| !s.is_empty()).map(|s| line("q", s, 1, 50)).transpose()?;
        let limit = paging::limit(q.limit)?;
        let f = MemberFilter { roots, org_id: q.org, kind, q: text };
        let (rows, total) = self.store.party_members(&f, paging::int_cursor(q.cursor)?, limit).await?;
        let items = self.member_views(&rows).await?;
        // Reading a list of party members is reading these people's political status: one record per read.
        let shown = items.iter().map(|m| m.id.to_string()).collect::<Vec<_>>().join(",");
        let first_root =
            actor.roots(Permission::ReadPartyMembers).and_then(|r| r.into_iter().next()).unwrap_or_default();
        let region = q.region.map(str::trim).filter(|r| !r.is_empty()).unwrap_or(&first_root);
        let mut tx = self.store.begin().await?;
        audit(
            &mut tx,
            actor,
            "read_party_members",
            &format!("region:{region}"),
            Some(&format!("members={}", if shown.is_empty() { "-" } else { &shown })),
            region,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(paging::page(items, limit, total, |m| m.id.to_string()))
    }

    /// Registers a party member (a register person) with how they belong to the community's party work.
    pub async fn add_party_member(&self, actor: &Actor, input: NewMemberInput) -> Result<MemberDetail> {
        self.authorize_anywhere(actor, Permission::ManagePartyAffairs)?;
        let kind = MemberKind::parse("kind", &input.kind)?;
        let status = MemberStatus::parse("status", &input.status)?;
        let person = self.person_for(actor, Permission::ReadRegister, input.person_id).await.map_err(|e| {
            if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Forbidden) {
                AppError::field("person_id", "人员不存在 / no such person")
            } else {
                e
            }
        })?;
        if person.merged_into.is_some() {
            return Err(AppError::field("person_id", "该人员已合并 / this person was merged"));
        }
        let org = match input.org_id {
            Some(oid) => Some(
                self.store
                    .party_org(oid)
                    .await?
                    .filter(|o| actor.may(Permission::ManagePartyAffairs, &o.region_code))
                    .ok_or_else(|| AppError::field("org_id", "党组织不存在 / no such party organization"))?,
            ),
            None => None,
        };
        let home_org = line("home_org", &input.home_org, 0, 100)?;
        let employer = line("employer", &input.employer, 0, 100)?;
        let employer_org = line("employer_org", &input.employer_org, 0, 100)?;
        let commitment = line("commitment", &input.commitment, 0, 300)?;
        let joined = opt_day("joined_on", input.joined_on.as_deref())?;
        if joined.is_some_and(|d| d > today()) {
            return Err(AppError::field("joined_on", "日期不能晚于今天 / the date is in the future"));
        }
        let mut reported = opt_day("reported_on", input.reported_on.as_deref())?;
        let asked_region = input.region_code.as_deref().map(str::trim).filter(|r| !r.is_empty());
        let region = match (kind, &org, asked_region) {
            (MemberKind::Regular, None, _) => {
                return Err(AppError::field("org_id", "请选择所在党支部 / choose the member's branch"));
            }
            (MemberKind::Regular, Some(o), _) => o.region_code.clone(),
            (MemberKind::Floating, _, _) if home_org.is_empty() => {
                return Err(AppError::field("home_org", "请填写流出地党组织 / name the home organization"));
            }
            (MemberKind::InService, _, _) if employer.is_empty() => {
                return Err(AppError::field("employer", "请填写工作单位 / name the employer"));
            }
            (MemberKind::InService, _, _) if commitment.is_empty() => {
                return Err(AppError::field("commitment", "请填写服务承诺 / write the service committed to"));
            }
            (_, _, Some(r)) => r.to_string(),
            (_, Some(o), None) => o.region_code.clone(),
            (_, None, None) => return Err(AppError::field("region_code", "请选择报到社区 / choose the community")),
        };
        if kind == MemberKind::InService {
            reported.get_or_insert_with(today);
            let level = self.store.region(&region).await?.map(|r| r.region.level);
            if level != Some(RegionLevel::Community) {
                return Err(AppError::field(
                    "region_code",
                    "在职党员应到居住社区报到 / in-service members report to a community",
                ));
            }
        }
        self.life_region(actor, "region_code", &region, true, Permission::ManagePartyAffairs).await?;
        let row = MemberRow {
            person_id: person.id,
            region_code: region.clone(),
            org_id: org.as_ref().map(|o| o.id),
            kind: kind.as_str().into(),
            status: status.as_str().into(),
            joined_on: joined.map(ymd),
            home_org,
            employer,
            employer_org,
            commitment,
            reported_on: reported.map(ymd),
            active: 1,
            created_at: now_ms(),
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_party_member(&mut tx, &row)
            .await
            .map_err(taken("person_id", "此人已登记为党员 / this person is already registered as a member"))?;
        audit(&mut tx, actor, "create", &format!("party_member:{id}"), None, &region).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.party_member_detail(actor, id).await
    }

    pub async fn party_member_detail(&self, actor: &Actor, id: i64) -> Result<MemberDetail> {
        let m = self.member_for(actor, id).await?;
        let member = self.member_views(std::slice::from_ref(&m)).await?.remove(0);
        let records = self.store.service_records(id).await?;
        let year = today().year().to_string();
        let year_minutes: i64 = records.iter().filter(|r| r.served_on.starts_with(&year)).map(|r| r.minutes).sum();
        let min_hours = self.config.party_service_min_hours;
        Ok(MemberDetail {
            below_minimum: m.kind == MemberKind::InService.as_str() && year_minutes < min_hours * 60,
            service: records
                .into_iter()
                .map(|r| ServiceRecordView {
                    id: r.id,
                    served_on: r.served_on,
                    hours: rules::hours_text(r.minutes),
                    minutes: r.minutes,
                    content: r.content,
                    recorded_by: r.recorded_by,
                })
                .collect(),
            year_hours: rules::hours_text(year_minutes),
            year_minutes,
            min_hours,
            may_keep: actor.may(Permission::ManagePartyAffairs, &m.region_code),
            member,
        })
    }

    /// Records a member's service to the community (在职党员到社区服务).
    pub async fn add_service_record(
        &self,
        actor: &Actor,
        member_id: i64,
        input: ServiceRecordInput,
    ) -> Result<MemberDetail> {
        let m = self.member_for(actor, member_id).await?;
        self.authorize(actor, Permission::ManagePartyAffairs, &m.region_code)?;
        let served = opt_day("served_on", Some(&input.served_on))?
            .ok_or_else(|| AppError::field("served_on", "必填 / required"))?;
        if served > today() {
            return Err(AppError::field("served_on", "日期不能晚于今天 / the date is in the future"));
        }
        let minutes = super::volunteers::hours_value("hours", &input.hours)?
            .ok_or_else(|| AppError::field("hours", "请填写服务时长 / how many hours"))?;
        if minutes > rules::MAX_CREDIT_MINUTES {
            return Err(AppError::field("hours", "一次不能超过24小时 / at most 24 hours at once"));
        }
        let content = line("content", &input.content, 2, 300)?;
        let row = ServiceRecordRow {
            member_id,
            served_on: ymd(served),
            minutes,
            content,
            recorded_by: actor.username.clone(),
            created_at: now_ms(),
            id: 0,
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_service_record(&mut tx, &row).await?;
        audit(
            &mut tx,
            actor,
            "service",
            &format!("party_member:{member_id}"),
            Some(&format!("record:{id}")),
            &m.region_code,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.party_member_detail(actor, member_id).await
    }

    /// In-service members' service in a year (default this one), those below the yearly minimum first.
    pub async fn party_service_summary(
        &self,
        actor: &Actor,
        region: Option<&str>,
        year: Option<i64>,
    ) -> Result<ServiceSummary> {
        self.authorize_anywhere(actor, Permission::ReadPartyMembers)?;
        let roots = match region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize(actor, Permission::ReadPartyMembers, r)?;
                self.store.region(r).await?.ok_or_else(|| AppError::not_found(r))?;
                Some(vec![r.to_string()])
            }
            None => actor.roots(Permission::ReadPartyMembers),
        };
        let year = year.unwrap_or_else(|| i64::from(today().year()));
        let (from, to) = year_range(year)?;
        let totals = self.store.service_totals(&roots, &ymd(from), &ymd(to)).await?;
        let ids: Vec<i64> = totals.iter().map(|t| t.0).collect();
        let members: HashMap<i64, MemberRow> =
            self.store.party_members_by_id(&ids).await?.into_iter().map(|m| (m.id, m)).collect();
        let regions = self.life_region_names(members.values().map(|m| m.region_code.clone())).await?;
        let min_hours = self.config.party_service_min_hours;
        let mut rows: Vec<ServiceSummaryRow> = totals
            .into_iter()
            .filter_map(|(id, records, minutes)| {
                let m = members.get(&id)?;
                Some(ServiceSummaryRow {
                    member_id: id,
                    name: m.name.clone(),
                    region_code: m.region_code.clone(),
                    region_name: regions.get(&m.region_code).cloned().unwrap_or_default(),
                    employer: m.employer.clone(),
                    records,
                    minutes,
                    hours: rules::hours_text(minutes),
                    below_minimum: minutes < min_hours * 60,
                })
            })
            .collect();
        rows.sort_by(|a, b| {
            b.below_minimum.cmp(&a.below_minimum).then(a.minutes.cmp(&b.minutes)).then(a.member_id.cmp(&b.member_id))
        });
        let below = rows.iter().filter(|r| r.below_minimum).count() as i64;
        Ok(ServiceSummary { year, min_hours, members: rows, below })
    }

    pub(crate) async fn party_activity_views(&self, rows: &[PartyActivityRow]) -> Result<Vec<PartyActivityView>> {
        let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
        let counts: HashMap<i64, i64> = self.store.party_attendance_counts(&ids).await?.into_iter().collect();
        let mut orgs: HashMap<i64, String> = HashMap::new();
        for oid in rows.iter().map(|a| a.org_id) {
            if !orgs.contains_key(&oid)
                && let Some(o) = self.store.party_org(oid).await?
            {
                orgs.insert(oid, o.name);
            }
        }
        Ok(rows
            .iter()
            .map(|a| PartyActivityView {
                id: a.id,
                org_id: a.org_id,
                org_name: orgs.get(&a.org_id).cloned().unwrap_or_default(),
                kind: a.kind.clone(),
                kind_name: PartyActivityKind::parse("kind", &a.kind).map(|k| k.label_zh()).unwrap_or("").into(),
                title: a.title.clone(),
                held_at: fmt(a.held_at),
                place: a.place.clone(),
                summary: a.summary.clone(),
                public: a.public != 0,
                attendance: counts.get(&a.id).copied().unwrap_or(0),
            })
            .collect())
    }

    /// Party activities of the organizations in the caller's scope (or `region`, or one `org`), newest first.
    pub async fn list_party_activities(
        &self,
        actor: &Actor,
        region: Option<&str>,
        org: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<PartyActivityView>> {
        let roots = self.life_list_roots(actor, Permission::ReadCommunityLife, region).await?;
        let limit = paging::limit(limit)?;
        let org_ids: Vec<i64> = match org {
            Some(id) => vec![self.party_org_for(actor, id).await?.id],
            None => self.store.party_orgs(&roots, None).await?.into_iter().map(|o| o.id).collect(),
        };
        let rows = self.store.party_activities(&org_ids, 0, i64::MAX, false, limit).await?;
        let items = self.party_activity_views(&rows).await?;
        let total = items.len() as i64;
        Ok(Page { items, next_cursor: None, total, total_is_lower_bound: false })
    }

    /// Records a 三会一课 meeting or 主题党日 of an organization.
    pub async fn add_party_activity(&self, actor: &Actor, input: NewPartyActivityInput) -> Result<PartyActivityDetail> {
        self.authorize_anywhere(actor, Permission::ManagePartyAffairs)?;
        let o = self
            .store
            .party_org(input.org_id)
            .await?
            .filter(|o| life_reads(actor, &o.region_code))
            .ok_or_else(|| AppError::field("org_id", "党组织不存在 / no such party organization"))?;
        self.authorize(actor, Permission::ManagePartyAffairs, &o.region_code)?;
        let kind = PartyActivityKind::parse("kind", &input.kind)?;
        let title = line("title", &input.title, 2, 100)?;
        let held_at = parse_local_time("held_at", &input.held_at)?;
        let place = line("place", &input.place, 0, 100)?;
        let summary = block("summary", &input.summary, 0, 5000)?;
        let row = PartyActivityRow {
            org_id: o.id,
            kind: kind.as_str().into(),
            title,
            held_at,
            place,
            summary,
            public: i64::from(input.public),
            created_by: actor.username.clone(),
            created_at: now_ms(),
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_party_activity(&mut tx, &row).await?;
        audit(&mut tx, actor, "create", &format!("party_activity:{id}"), None, &o.region_code).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.party_activity_detail(actor, id).await
    }

    pub async fn party_activity_detail(&self, actor: &Actor, id: i64) -> Result<PartyActivityDetail> {
        let what = format!("party activity {id}");
        let a = self.store.party_activity(id).await?.ok_or_else(|| AppError::not_found(&what))?;
        let o = self
            .party_org_for(actor, a.org_id)
            .await
            .map_err(|e| if e.kind == ErrorKind::NotFound { AppError::not_found(&what) } else { e })?;
        let activity = self.party_activity_views(std::slice::from_ref(&a)).await?.remove(0);
        let (attendees, org_members) = if actor.may(Permission::ReadPartyMembers, &o.region_code) {
            let signed = self.store.party_attendance(id).await?;
            let ids: Vec<i64> = signed.iter().map(|s| s.0).collect();
            let names: HashMap<i64, String> =
                self.store.party_members_by_id(&ids).await?.into_iter().map(|m| (m.id, m.name)).collect();
            let attendees = signed
                .into_iter()
                .map(|(m, at)| AttendeeView {
                    member_id: m,
                    name: names.get(&m).cloned().unwrap_or_default(),
                    signed_at: fmt(at),
                })
                .collect();
            let members = self.store.party_members_of_org(o.id).await?;
            (Some(attendees), Some(self.member_views(&members).await?))
        } else {
            (None, None)
        };
        Ok(PartyActivityDetail {
            activity,
            attendees,
            org_members,
            may_keep: actor.may(Permission::ManagePartyAffairs, &o.region_code),
        })
    }

    /// Signs members in at a party activity (members of its organization, or others of the caller's scope).
    pub async fn sign_in_party_activity(
        &self,
        actor: &Actor,
        id: i64,
        input: PartySignInInput,
    ) -> Result<PartyActivityDetail> {
        let what = format!("party activity {id}");
        let a = self.store.party_activity(id).await?.ok_or_else(|| AppError::not_found(&what))?;
        let o = self
            .party_org_for(actor, a.org_id)
            .await
            .map_err(|e| if e.kind == ErrorKind::NotFound { AppError::not_found(&what) } else { e })?;
        self.authorize_life_write(actor, Permission::ManagePartyAffairs, &o.region_code, &what)?;
        if input.member_ids.is_empty() || input.member_ids.len() > 500 {
            return Err(AppError::field("member_ids", "请选择签到的党员 / choose who is present"));
        }
        let found: HashMap<i64, MemberRow> =
            self.store.party_members_by_id(&input.member_ids).await?.into_iter().map(|m| (m.id, m)).collect();
        for (i, mid) in input.member_ids.iter().enumerate() {
            if !found.get(mid).is_some_and(|m| actor.may(Permission::ReadPartyMembers, &m.region_code)) {
                return Err(AppError::field(&format!("member_ids[{i}]"), "党员不存在 / no such member"));
            }
        }
        let mut tx = self.store.begin().await?;
        let n = Store::sign_in_party_members(&mut tx, id, &input.member_ids, now_ms()).await?;
        audit(
            &mut tx,
            actor,
            "sign_in",
            &format!("party_activity:{id}"),
            Some(&format!("{n} signed in")),
            &o.region_code,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.party_activity_detail(actor, id).await
    }
}

fn life_reads(actor: &Actor, region: &str) -> bool {
    rules::may_read(actor, Permission::ReadCommunityLife, region)
}
