//! 志愿服务: volunteers (a register person or a staff user, with skills and availability), teams, activities
//! with sign-up and the organiser's check-in and check-out, the 时间银行 (hours earned on check-out, redeemed for
//! services; append-only, the balance always the ledger's sum) and 星级志愿者 honours by cumulative hours.

use super::{audit, fmt, line, parse_local_time, stale, stale_on_conflict, taken};
use crate::paging::{self, Page};
use crate::{App, AppError, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use wangge_domain::life::{self as rules, LedgerKind, SignupStatus};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::life::volunteers::{
    ActivityFilter, ActivityRow, HonourRow, SignupRow, TeamRow, VolunteerFilter, VolunteerRow,
};
use wangge_store::{Backend, Store, StoreError, now_ms};

pub const MAX_SKILLS: usize = 20;

/// A new volunteer (`POST /api/v1/volunteers`): a person of the register or a staff user.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVolunteerInput {
    /// The community the volunteer serves with.
    pub region_code: String,
    pub person_id: Option<i64>,
    pub username: Option<String>,
    /// 医疗, 维修, 法律咨询, 助老, 文艺…
    #[serde(default)]
    pub skills: Vec<String>,
    /// When they can serve, as written: 周末上午, 工作日晚上.
    #[serde(default)]
    pub availability: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemInput {
    /// Hours withdrawn: a number or text such as "1.5" or "90分钟".
    #[schema(value_type = Object)]
    pub hours: Value,
    /// The service they are exchanged for (助老陪护, 家电维修…).
    pub service: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardInput {
    /// The star level awarded (1–5 with the default thresholds); at most the level the hours reach.
    pub level: i64,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVolunteerTeamInput {
    pub region_code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A volunteer leading it (must be one of the members).
    pub leader_id: Option<i64>,
    #[serde(default)]
    pub member_ids: Vec<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActivityInput {
    pub region_code: String,
    pub team_id: Option<i64>,
    pub title: String,
    /// What is needed: skills, how many hands, what to bring.
    #[serde(default)]
    pub needs: String,
    pub place: String,
    /// RFC 3339, or China time `YYYY-MM-DDTHH:MM`.
    pub starts_at: String,
    pub ends_at: String,
    /// Places (1–1000).
    pub capacity: i64,
    /// Shown on the public portal (default true).
    pub public: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupInput {
    pub volunteer_id: i64,
}

/// Check-in, check-out or cancelling a sign-up.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupActionInput {
    /// check-out: the hours to credit (default: the time since check-in).
    #[schema(value_type = Option<Object>)]
    pub hours: Option<Value>,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VolunteerView {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    pub person_id: Option<i64>,
    /// The staff user's username, when the volunteer is one.
    pub username: Option<String>,
    pub name: String,
    pub skills: Vec<String>,
    pub availability: String,
    pub status: String,
    /// Cumulative minutes of recorded service, and the time bank's balance in minutes.
    pub earned_minutes: i64,
    pub balance_minutes: i64,
    /// The same as hours, one decimal: "12.5".
    pub earned_hours: String,
    pub balance_hours: String,
    /// The star level the hours reach (0: none) and the highest awarded.
    pub star_level: i64,
    pub awarded_level: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LedgerView {
    pub at: String,
    /// `earn` | `redeem`.
    pub kind: String,
    pub minutes: i64,
    pub balance_after: i64,
    pub service: String,
    pub actor: String,
    pub activity_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HonourView {
    pub level: i64,
    pub earned_hours: String,
    pub awarded_at: String,
    pub awarded_by: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceBrief {
    pub activity_id: i64,
    pub title: String,
    pub starts_at: String,
    pub status: String,
    pub minutes: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamBrief {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VolunteerDetail {
    #[serde(flatten)]
    pub volunteer: VolunteerView,
    pub teams: Vec<TeamBrief>,
    /// The whole time bank, newest first.
    pub ledger: Vec<LedgerView>,
    pub services: Vec<ServiceBrief>,
    pub honours: Vec<HonourView>,
    /// Thresholds of the star levels in hours.
    pub star_thresholds: Vec<i64>,
    pub may_keep: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberBrief {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VolunteerTeamView {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    pub name: String,
    pub description: String,
    pub leader: Option<MemberBrief>,
    pub members: Vec<MemberBrief>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityView {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    pub team: Option<TeamBrief>,
    pub title: String,
    pub needs: String,
    pub place: String,
    pub starts_at: String,
    pub ends_at: String,
    pub capacity: i64,
    pub taken: i64,
    pub places_left: i64,
    /// `open` | `cancelled`.
    pub status: String,
    pub public: bool,
    pub organiser: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignupView {
    pub id: i64,
    pub volunteer_id: i64,
    pub name: String,
    /// `signed_up` | `checked_in` | `checked_out` | `cancelled`.
    pub status: String,
    pub status_name: String,
    pub signed_up_at: String,
    pub checked_in_at: Option<String>,
    pub checked_out_at: Option<String>,
    pub minutes: Option<i64>,
    pub hours: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityDetail {
    #[serde(flatten)]
    pub activity: ActivityView,
    pub signups: Vec<SignupView>,
    /// Whether the caller organises here (signs anyone up, checks in and out).
    pub may_keep: bool,
    /// Planned length in minutes (what a check-out form offers).
    pub planned_minutes: i64,
}

#[derive(Debug, Clone, Default)]
pub struct VolunteerQuery<'a> {
    pub region: Option<&'a str>,
    pub q: Option<&'a str>,
    pub skill: Option<&'a str>,
    pub team: Option<i64>,
    /// Only volunteers at this star level or above.
    pub star: Option<i64>,
    pub cursor: Option<&'a str>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct ActivityQuery<'a> {
    pub region: Option<&'a str>,
    /// `upcoming` (default: not ended, soonest first) | `all` (newest first).
    pub view: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub limit: Option<i64>,
}

pub(crate) fn hours_value(field: &str, v: &Value) -> Result<Option<i64>> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(rules::parse_hours(field, &n.to_string())?),
        Value::String(s) => Ok(rules::parse_hours(field, s)?),
        _ => Err(AppError::field(field, "时长应为数字（小时） / hours must be a number")),
    }
}

fn signup_status(s: &SignupRow) -> SignupStatus {
    SignupStatus::parse("status", &s.status).unwrap_or(SignupStatus::SignedUp)
}

impl App {
    fn star_thresholds(&self) -> &[i64] {
        &self.config.volunteer_star_hours
    }

    async fn volunteer_for(&self, actor: &Actor, id: i64) -> Result<VolunteerRow> {
        let what = format!("volunteer {id}");
        let v = self.store.volunteer(id).await?.ok_or_else(|| AppError::not_found(&what))?;
        self.authorize_life_read(actor, Permission::ReadCommunityLife, &v.region_code, &what)?;
        Ok(v)
    }

    async fn volunteer_views(&self, rows: &[VolunteerRow]) -> Result<Vec<VolunteerView>> {
        let ids: Vec<i64> = rows.iter().map(|v| v.id).collect();
        let mut awarded: HashMap<i64, i64> = HashMap::new();
        for h in self.store.honours(&ids).await? {
            let e = awarded.entry(h.volunteer_id).or_default();
            *e = (*e).max(h.level);
        }
        let names = self.life_region_names(rows.iter().map(|v| v.region_code.clone())).await?;
        let mut usernames: HashMap<i64, String> = HashMap::new();
        for uid in rows.iter().filter_map(|v| v.user_id) {
            if let std::collections::hash_map::Entry::Vacant(e) = usernames.entry(uid)
                && let Some(u) = self.store.user_by_id(uid).await?
            {
                e.insert(u.username);
            }
        }
        Ok(rows
            .iter()
            .map(|v| VolunteerView {
                id: v.id,
                region_code: v.region_code.clone(),
                region_name: names.get(&v.region_code).cloned().unwrap_or_default(),
                person_id: v.person_id,
                username: v.user_id.and_then(|u| usernames.get(&u).cloned()),
                name: v.name.clone(),
                skills: serde_json::from_str(&v.skills).unwrap_or_default(),
                availability: v.availability.clone(),
                status: v.status.clone(),
                earned_minutes: v.earned_minutes,
                balance_minutes: v.balance_minutes,
                earned_hours: rules::hours_text(v.earned_minutes),
                balance_hours: rules::hours_text(v.balance_minutes),
                star_level: rules::star_level(v.earned_minutes, self.star_thresholds()),
                awarded_level: awarded.get(&v.id).copied().unwrap_or(0),
            })
            .collect())
    }

    /// Volunteers in the caller's scope (or `region`), newest first.
    pub async fn list_volunteers(&self, actor: &Actor, q: VolunteerQuery<'_>) -> Result<Page<VolunteerView>> {
        let roots = self.life_list_roots(actor, Permission::ReadCommunityLife, q.region).await?;
        let limit = paging::limit(q.limit)?;
        let min_earned = match q.star {
            None | Some(0) => None,
            Some(s) if s >= 1 && (s as usize) <= self.star_thresholds().len() => {
                Some(self.star_thresholds()[s as usize - 1] * 60)
            }
            Some(_) => return Err(AppError::field("star", "星级无效 / no such star level")),
        };
        let filter = VolunteerFilter {
            roots,
            q: search_text("q", q.q)?,
            skill: search_text("skill", q.skill)?,
            status: None,
            team_id: q.team,
            min_earned,
        };
        let (rows, total) = self.store.volunteers(&filter, paging::int_cursor(q.cursor)?, limit).await?;
        let items = self.volunteer_views(&rows).await?;
        Ok(paging::page(items, limit, total, |v| v.id.to_string()))
    }

    fn skills(input: &[String]) -> Result<Vec<String>> {
        if input.len() > MAX_SKILLS {
            return Err(AppError::field("skills", format!("技能不能超过{MAX_SKILLS}项 / at most {MAX_SKILLS} skills")));
        }
        let mut out: Vec<String> = Vec::new();
        for (i, s) in input.iter().enumerate() {
            let s = line(&format!("skills[{i}]"), s, 0, 20)?;
            if !s.is_empty() && !out.contains(&s) {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Registers a volunteer: a register person (name from the register) or a staff user, once per community.
    pub async fn register_volunteer(&self, actor: &Actor, input: NewVolunteerInput) -> Result<VolunteerDetail> {
        self.authorize_anywhere(actor, Permission::ManageCommunityLife)?;
        let region = input.region_code.trim().to_string();
        self.life_region(actor, "region_code", &region, false, Permission::ManageCommunityLife).await?;
        let skills = Self::skills(&input.skills)?;
        let availability = line("availability", &input.availability, 0, 100)?;
        let username = input.username.as_deref().map(str::trim).filter(|u| !u.is_empty());
        let (person_id, user_id, name) = match (input.person_id, username) {
            (Some(pid), None) => {
                let p = self.person_for(actor, Permission::ReadRegister, pid).await.map_err(|e| {
                    if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Forbidden) {
                        AppError::field("person_id", "人员不存在 / no such person")
                    } else {
                        e
                    }
                })?;
                if p.merged_into.is_some() {
                    return Err(AppError::field("person_id", "该人员已合并 / this person was merged"));
                }
                (Some(pid), None, p.name)
            }
            (None, Some(u)) => {
                let user = self
                    .store
                    .user_by_name(u)
                    .await?
                    .filter(|u| !u.disabled)
                    .ok_or_else(|| AppError::field("username", "用户不存在 / no such user"))?;
                (None, Some(user.id), user.display_name)
            }
            (None, None) => {
                return Err(AppError::field("person_id", "请选择登记在册的居民或系统用户 / choose a person or a user"));
            }
            (Some(_), Some(_)) => {
                return Err(AppError::field("username", "居民和用户只能选其一 / a person or a user, not both"));
            }
        };
        let row = VolunteerRow {
            region_code: region.clone(),
            person_id,
            user_id,
            name,
            skills: serde_json::to_string(&skills).unwrap_or_else(|_| "[]".into()),
            availability,
            status: "active".into(),
            registered_by: actor.username.clone(),
            registered_at: now_ms(),
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_volunteer(&mut tx, &row).await.map_err(taken(
            if person_id.is_some() { "person_id" } else { "username" },
            "此人已是本社区志愿者 / already a volunteer of this community",
        ))?;
        audit(&mut tx, actor, "create", &format!("volunteer:{id}"), None, &region).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.volunteer_detail(actor, id).await
    }

    pub async fn volunteer_detail(&self, actor: &Actor, id: i64) -> Result<VolunteerDetail> {
        let v = self.volunteer_for(actor, id).await?;
        let view = self.volunteer_views(std::slice::from_ref(&v)).await?.remove(0);
        let signups = self.store.signups_of_volunteer(id, 200).await?;
        let mut activity_of_signup: HashMap<i64, i64> = HashMap::new();
        let mut services = Vec::new();
        for s in &signups {
            activity_of_signup.insert(s.id, s.activity_id);
            if let Some(a) = self.store.activity(s.activity_id).await? {
                services.push(ServiceBrief {
                    activity_id: a.id,
                    title: a.title,
                    starts_at: fmt(a.starts_at),
                    status: s.status.clone(),
                    minutes: s.minutes,
                });
            }
        }
        let ledger = self
            .store
            .ledger(id, 10_000)
            .await?
            .into_iter()
            .map(|l| LedgerView {
                at: fmt(l.at),
                kind: l.kind,
                minutes: l.minutes,
                balance_after: l.balance_after,
                service: l.service,
                actor: l.actor,
                activity_id: l.signup_id.and_then(|s| activity_of_signup.get(&s).copied()),
            })
            .collect();
        let honours = self
            .store
            .honours(&[id])
            .await?
            .into_iter()
            .map(|h| HonourView {
                level: h.level,
                earned_hours: rules::hours_text(h.earned_minutes),
                awarded_at: fmt(h.awarded_at),
                awarded_by: h.awarded_by,
                note: h.note,
            })
            .collect();
        let teams = self
            .store
            .teams_of_volunteer(id)
            .await?
            .into_iter()
            .map(|t| TeamBrief { id: t.id, name: t.name })
            .collect();
        Ok(VolunteerDetail {
            volunteer: view,
            teams,
            ledger,
            services,
            honours,
            star_thresholds: self.star_thresholds().to_vec(),
            may_keep: actor.may(Permission::ManageCommunityLife, &v.region_code),
        })
    }

    /// Withdraws hours from the time bank for a service; refused (422) when the balance is short.
    pub async fn redeem_hours(&self, actor: &Actor, id: i64, input: RedeemInput) -> Result<VolunteerDetail> {
        let v = self.volunteer_for(actor, id).await?;
        self.authorize_life_write(actor, Permission::ManageCommunityLife, &v.region_code, &format!("volunteer {id}"))?;
        let minutes = hours_value("hours", &input.hours)?
            .ok_or_else(|| AppError::field("hours", "请填写兑换时长 / how many hours"))?;
        if minutes > rules::MAX_CREDIT_MINUTES * 30 {
            return Err(AppError::field("hours", "一次兑换不能超过720小时 / at most 720 hours at once"));
        }
        let service = line("service", &input.service, 2, 100)?;
        let mut tx = self.store.begin().await?;
        let balance =
            Store::append_ledger(&mut tx, id, LedgerKind::Redeem.as_str(), -minutes, None, &service, &actor.username)
                .await?;
        let Some(balance) = balance else {
            return Err(AppError::rule(
                "hours",
                format!(
                    "时间银行余额不足（余 {} 小时） / the balance ({} h) is short",
                    rules::hours_text(v.balance_minutes),
                    rules::hours_text(v.balance_minutes)
                ),
            ));
        };
        let reason = format!("-{minutes} min, balance {balance} min: {service}");
        audit(&mut tx, actor, "redeem", &format!("volunteer:{id}"), Some(&reason), &v.region_code).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.volunteer_detail(actor, id).await
    }

    /// Records a 星级志愿者 award the cumulative hours reach (each level once).
    pub async fn award_volunteer(&self, actor: &Actor, id: i64, input: AwardInput) -> Result<VolunteerDetail> {
        let v = self.volunteer_for(actor, id).await?;
        self.authorize_life_write(actor, Permission::ManageCommunityLife, &v.region_code, &format!("volunteer {id}"))?;
        let max = self.star_thresholds().len() as i64;
        if !(1..=max).contains(&input.level) {
            return Err(AppError::field("level", format!("星级应在1到{max}之间 / level must be 1 to {max}")));
        }
        let reached = rules::star_level(v.earned_minutes, self.star_thresholds());
        if input.level > reached {
            let need = self.star_thresholds()[input.level as usize - 1];
            return Err(AppError::rule(
                "level",
                format!("累计服务未满{need}小时 / fewer than {need} cumulative hours"),
            ));
        }
        let note = line("note", &input.note, 0, 200)?;
        let h = HonourRow {
            volunteer_id: id,
            level: input.level,
            earned_minutes: v.earned_minutes,
            awarded_at: now_ms(),
            awarded_by: actor.username.clone(),
            note,
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        Store::insert_honour(&mut tx, &h)
            .await
            .map_err(taken("level", "该星级已授予 / this level was already awarded"))?;
        audit(
            &mut tx,
            actor,
            "award",
            &format!("volunteer:{id}"),
            Some(&format!("star {}", input.level)),
            &v.region_code,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.volunteer_detail(actor, id).await
    }

    async fn volunteer_team_views(&self, rows: Vec<TeamRow>) -> Result<Vec<VolunteerTeamView>> {
        let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
        let memberships = self.store.team_memberships(&ids).await?;
        let vids: Vec<i64> = memberships.iter().map(|m| m.1).collect();
        let names: HashMap<i64, String> =
            self.store.volunteers_by_id(&vids).await?.into_iter().map(|v| (v.id, v.name)).collect();
        let regions = self.life_region_names(rows.iter().map(|t| t.region_code.clone())).await?;
        let brief = |id: i64| MemberBrief { id, name: names.get(&id).cloned().unwrap_or_default() };
        Ok(rows
            .into_iter()
            .map(|t| VolunteerTeamView {
                id: t.id,
                region_name: regions.get(&t.region_code).cloned().unwrap_or_default(),
                region_code: t.region_code,
                name: t.name,
                description: t.description,
                leader: t.leader_id.map(brief),
                members: memberships.iter().filter(|m| m.0 == t.id).map(|m| brief(m.1)).collect(),
            })
            .collect())
    }

    /// Volunteer teams in the caller's scope (or `region`).
    pub async fn list_volunteer_teams(&self, actor: &Actor, region: Option<&str>) -> Result<Page<VolunteerTeamView>> {
        let roots = self.life_list_roots(actor, Permission::ReadCommunityLife, region).await?;
        let items = self.volunteer_team_views(self.store.volunteer_teams(&roots).await?).await?;
        let total = items.len() as i64;
        Ok(Page { items, next_cursor: None, total, total_is_lower_bound: false })
    }

    /// Forms a team of volunteers of the community.
    pub async fn add_volunteer_team(&self, actor: &Actor, input: NewVolunteerTeamInput) -> Result<VolunteerTeamView> {
        self.authorize_anywhere(actor, Permission::ManageCommunityLife)?;
        let region = input.region_code.trim().to_string();
        self.life_region(actor, "region_code", &region, false, Permission::ManageCommunityLife).await?;
        let name = line("name", &input.name, 2, 50)?;
        let description = line("description", &input.description, 0, 500)?;
        if input.member_ids.len() > 500 {
            return Err(AppError::field("member_ids", "队员不能超过500人 / at most 500 members"));
        }
        let mut members: Vec<i64> = Vec::new();
        for (i, m) in input.member_ids.iter().enumerate() {
            let v = self.store.volunteer(*m).await?;
            if v.as_ref().is_none_or(|v| v.region_code != region) {
                return Err(AppError::field(
                    &format!("member_ids[{i}]"),
                    "不是本社区的志愿者 / not a volunteer of this community",
                ));
            }
            if !members.contains(m) {
                members.push(*m);
            }
        }
        if let Some(l) = input.leader_id
            && !members.contains(&l)
        {
            return Err(AppError::field("leader_id", "队长应是队员之一 / the leader must be a member"));
        }
        let row = TeamRow {
            region_code: region.clone(),
            name,
            description,
            leader_id: input.leader_id,
            created_at: now_ms(),
            id: 0,
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_volunteer_team(&mut tx, &row, &members)
            .await
            .map_err(taken("name", "已有同名队伍 / a team with this name exists"))?;
        audit(&mut tx, actor, "create", &format!("volunteer_team:{id}"), None, &region).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let t = self.store.volunteer_team(id).await?.ok_or_else(|| AppError::not_found("team"))?;
        Ok(self.volunteer_team_views(vec![t]).await?.remove(0))
    }

    async fn activity_for(&self, actor: &Actor, id: i64) -> Result<ActivityRow> {
        let what = format!("activity {id}");
        let a = self.store.activity(id).await?.ok_or_else(|| AppError::not_found(&what))?;
        self.authorize_life_read(actor, Permission::ReadCommunityLife, &a.region_code, &what)?;
        Ok(a)
    }

    pub(crate) async fn activity_views(&self, rows: &[ActivityRow]) -> Result<Vec<ActivityView>> {
        let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
        let taken: HashMap<i64, i64> = self.store.places_taken(&ids).await?.into_iter().collect();
        let regions = self.life_region_names(rows.iter().map(|a| a.region_code.clone())).await?;
        let mut teams: HashMap<i64, String> = HashMap::new();
        for tid in rows.iter().filter_map(|a| a.team_id) {
            if let std::collections::hash_map::Entry::Vacant(e) = teams.entry(tid)
                && let Some(t) = self.store.volunteer_team(tid).await?
            {
                e.insert(t.name);
            }
        }
        Ok(rows
            .iter()
            .map(|a| {
                let n = taken.get(&a.id).copied().unwrap_or(0);
                ActivityView {
                    id: a.id,
                    region_code: a.region_code.clone(),
                    region_name: regions.get(&a.region_code).cloned().unwrap_or_default(),
                    team: a.team_id.map(|id| TeamBrief { id, name: teams.get(&id).cloned().unwrap_or_default() }),
                    title: a.title.clone(),
                    needs: a.needs.clone(),
                    place: a.place.clone(),
                    starts_at: fmt(a.starts_at),
                    ends_at: fmt(a.ends_at),
                    capacity: a.capacity,
                    taken: n,
                    places_left: (a.capacity - n).max(0),
                    status: a.status.clone(),
                    public: a.public != 0,
                    organiser: a.organiser.clone(),
                }
            })
            .collect())
    }

    /// Volunteer activities in the caller's scope (or `region`): upcoming soonest first, or all newest first.
    pub async fn list_activities(&self, actor: &Actor, q: ActivityQuery<'_>) -> Result<Page<ActivityView>> {
        let roots = self.life_list_roots(actor, Permission::ReadCommunityLife, q.region).await?;
        let upcoming = match q.view.map(str::trim).filter(|v| !v.is_empty()) {
            None | Some("upcoming") => true,
            Some("all") => false,
            Some(v) => return Err(AppError::field("view", format!("应为 upcoming 或 all / upcoming or all: {v}"))),
        };
        let limit = paging::limit(q.limit)?;
        let skip = paging::int_cursor(q.cursor)?.unwrap_or(0);
        if skip < 0 {
            return Err(AppError::field("cursor", "无效的游标 / invalid cursor"));
        }
        let filter = ActivityFilter { roots, upcoming_at: upcoming.then(now_ms), ..Default::default() };
        let (rows, total) = self.store.activities(&filter, skip, limit).await?;
        let items = self.activity_views(&rows).await?;
        let next_cursor = (skip + (items.len() as i64) < total).then(|| (skip + items.len() as i64).to_string());
        Ok(Page { items, next_cursor, total, total_is_lower_bound: false })
    }

    /// Announces an activity (community staff and above, in their subtree).
    pub async fn add_activity(&self, actor: &Actor, input: NewActivityInput) -> Result<ActivityDetail> {
        self.authorize_anywhere(actor, Permission::ManageCommunityLife)?;
        let region = input.region_code.trim().to_string();
        self.life_region(actor, "region_code", &region, false, Permission::ManageCommunityLife).await?;
        let title = line("title", &input.title, 2, 100)?;
        let needs = line("needs", &input.needs, 0, 500)?;
        let place = line("place", &input.place, 1, 100)?;
        let starts_at = parse_local_time("starts_at", &input.starts_at)?;
        let ends_at = parse_local_time("ends_at", &input.ends_at)?;
        if ends_at <= starts_at {
            return Err(AppError::field("ends_at", "结束时间应晚于开始时间 / must be after the start"));
        }
        if ends_at - starts_at > 7 * 86_400_000 {
            return Err(AppError::field("ends_at", "活动不能超过7天 / an activity lasts at most 7 days"));
        }
        if !(1..=1000).contains(&input.capacity) {
            return Err(AppError::field("capacity", "名额应在1到1000之间 / capacity must be 1–1000"));
        }
        if let Some(t) = input.team_id {
            let team = self.store.volunteer_team(t).await?;
            if team.is_none_or(|t| t.region_code != region) {
                return Err(AppError::field("team_id", "不是本社区的队伍 / not a team of this community"));
            }
        }
        let row = ActivityRow {
            region_code: region.clone(),
            team_id: input.team_id,
            title,
            needs,
            place,
            starts_at,
            ends_at,
            capacity: input.capacity,
            status: "open".into(),
            public: i64::from(input.public.unwrap_or(true)),
            organiser: actor.username.clone(),
            created_at: now_ms(),
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_activity(&mut tx, &row).await?;
        audit(&mut tx, actor, "create", &format!("volunteer_activity:{id}"), None, &region).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.activity_detail(actor, id).await
    }

    pub async fn activity_detail(&self, actor: &Actor, id: i64) -> Result<ActivityDetail> {
        let a = self.activity_for(actor, id).await?;
        let view = self.activity_views(std::slice::from_ref(&a)).await?.remove(0);
        let signups = self.store.signups_of_activity(id).await?;
        let vids: Vec<i64> = signups.iter().map(|s| s.volunteer_id).collect();
        let names: HashMap<i64, String> =
            self.store.volunteers_by_id(&vids).await?.into_iter().map(|v| (v.id, v.name)).collect();
        let signups = signups
            .into_iter()
            .map(|s| SignupView {
                id: s.id,
                volunteer_id: s.volunteer_id,
                name: names.get(&s.volunteer_id).cloned().unwrap_or_default(),
                status_name: signup_status(&s).label_zh().to_string(),
                status: s.status,
                signed_up_at: fmt(s.signed_up_at),
                checked_in_at: s.checked_in_at.map(fmt),
                checked_out_at: s.checked_out_at.map(fmt),
                hours: s.minutes.map(rules::hours_text),
                minutes: s.minutes,
                version: s.version,
            })
            .collect();
        Ok(ActivityDetail {
            activity: view,
            signups,
            may_keep: actor.may(Permission::ManageCommunityLife, &a.region_code),
            planned_minutes: ((a.ends_at - a.starts_at) / 60_000).clamp(1, rules::MAX_CREDIT_MINUTES),
        })
    }

    /// Signs a volunteer up for an activity: the organiser signs anyone up; a staff user who is a volunteer may
    /// sign themselves up. Refused when the activity is full, over or cancelled (409).
    pub async fn sign_up_volunteer(
        &self,
        actor: &Actor,
        activity_id: i64,
        input: SignupInput,
    ) -> Result<ActivityDetail> {
        let a = self.activity_for(actor, activity_id).await?;
        let v = self.store.volunteer(input.volunteer_id).await?;
        let own = v.as_ref().is_some_and(|v| v.user_id == Some(actor.user_id));
        if !own {
            self.authorize_life_write(
                actor,
                Permission::ManageCommunityLife,
                &a.region_code,
                &format!("activity {activity_id}"),
            )?;
        }
        let v = match v {
            Some(v) if own || life_reads(actor, &v.region_code) => v,
            _ => return Err(AppError::field("volunteer_id", "志愿者不存在 / no such volunteer")),
        };
        if v.status != "active" {
            return Err(AppError::field("volunteer_id", "该志愿者已停用 / this volunteer is inactive"));
        }
        if a.status != "open" {
            return Err(AppError::conflict("活动已取消 / the activity was cancelled"));
        }
        if a.ends_at < now_ms() {
            return Err(AppError::conflict("活动已结束 / the activity is over"));
        }
        let mut tx = self.store.begin().await?;
        let postgres = self.store.backend() == Backend::Postgres;
        let sid =
            Store::insert_signup(&mut tx, postgres, activity_id, v.id, a.capacity).await.map_err(|e| match e {
                StoreError::Conflict(m) if m == "full" => AppError::conflict("名额已满 / the activity is full")
                    .with_details(serde_json::json!({ "field": "volunteer_id" })),
                StoreError::Conflict(_) => AppError::conflict("已报名 / already signed up")
                    .with_details(serde_json::json!({ "field": "volunteer_id" })),
                e => e.into(),
            })?;
        audit(
            &mut tx,
            actor,
            "sign_up",
            &format!("volunteer_activity:{activity_id}"),
            Some(&format!("volunteer:{} signup:{sid}", v.id)),
            &a.region_code,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.activity_detail(actor, activity_id).await
    }

    /// Check-in, check-out (hours credited into the time bank in the same transaction) or cancelling a sign-up,
    /// by the organiser. `step`: `check_in` | `check_out` | `cancel`.
    pub async fn act_on_signup(
        &self,
        actor: &Actor,
        activity_id: i64,
        signup_id: i64,
        step: &str,
        input: SignupActionInput,
    ) -> Result<ActivityDetail> {
        let a = self.activity_for(actor, activity_id).await?;
        self.authorize_life_write(
            actor,
            Permission::ManageCommunityLife,
            &a.region_code,
            &format!("activity {activity_id}"),
        )?;
        let mut s = self
            .store
            .signup(signup_id)
            .await?
            .filter(|s| s.activity_id == activity_id)
            .ok_or_else(|| AppError::not_found(&format!("sign-up {signup_id}")))?;
        if input.version.is_some_and(|v| v != s.version) {
            return Err(stale());
        }
        let status = signup_status(&s);
        let state_error = || {
            AppError::conflict(format!("报名状态为“{}” / the sign-up is {}", status.label_zh(), status.as_str()))
                .with_details(serde_json::json!({ "status": status.as_str() }))
        };
        let now = now_ms();
        let mut credit = None;
        match (step, status) {
            ("check_in", SignupStatus::SignedUp) => {
                if a.status != "open" {
                    return Err(AppError::conflict("活动已取消 / the activity was cancelled"));
                }
                s.status = SignupStatus::CheckedIn.as_str().into();
                s.checked_in_at = Some(now);
            }
            ("check_out", SignupStatus::CheckedIn) => {
                let given = match &input.hours {
                    Some(v) => hours_value("hours", v)?,
                    None => None,
                };
                let minutes = rules::credited_minutes(now - s.checked_in_at.unwrap_or(now), given)?;
                s.status = SignupStatus::CheckedOut.as_str().into();
                s.checked_out_at = Some(now);
                s.minutes = Some(minutes);
                credit = Some(minutes);
            }
            ("cancel", SignupStatus::SignedUp) => s.status = SignupStatus::Cancelled.as_str().into(),
            ("check_in" | "check_out" | "cancel", _) => return Err(state_error()),
            _ => return Err(AppError::field("step", format!("未知操作 / unknown step: {step}"))),
        }
        let mut tx = self.store.begin().await?;
        Store::save_signup(&mut tx, &s).await.map_err(stale_on_conflict)?;
        if let Some(minutes) = credit {
            Store::append_ledger(
                &mut tx,
                s.volunteer_id,
                LedgerKind::Earn.as_str(),
                minutes,
                Some(s.id),
                &a.title,
                &actor.username,
            )
            .await
            .map_err(stale_on_conflict)?
            .ok_or_else(|| AppError::internal("crediting hours refused a positive amount"))?;
        }
        let reason = format!(
            "signup:{signup_id} volunteer:{}{}",
            s.volunteer_id,
            credit.map(|m| format!(" +{m} min")).unwrap_or_default()
        );
        audit(&mut tx, actor, step, &format!("volunteer_activity:{activity_id}"), Some(&reason), &a.region_code)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.activity_detail(actor, activity_id).await
    }

    /// Upcoming activities of a community (public portal).
    pub(crate) async fn public_activity_rows(&self, community: &str, limit: i64) -> Result<Vec<ActivityRow>> {
        let filter = ActivityFilter {
            region_code: Some(community.to_string()),
            upcoming_at: Some(now_ms()),
            status: Some("open".into()),
            public_only: true,
            ..Default::default()
        };
        Ok(self.store.activities(&filter, 0, limit).await?.0)
    }
}

fn search_text(field: &str, s: Option<&str>) -> Result<Option<String>> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(|s| line(field, s, 1, 50)).transpose()
}

/// Whether the caller reads volunteers of `region`.
fn life_reads(actor: &Actor, region: &str) -> bool {
    rules::may_read(actor, Permission::ReadCommunityLife, region)
}
