//! 共建单位 (驻区机关、企事业单位 paired with a community) with their yearly commitments (资源共享、实事项目、共建资金、
//! 志愿服务时长: target, completion, evidence), the monthly 社区共建日, and the register's social organizations
//! with their incubation stage (孵化/培育/成熟, every change kept) and the services they offer.

use super::{audit, block, fmt, line, opt_day, stale, stale_on_conflict, taken, ymd};
use crate::events::AttachmentView;
use crate::paging::Page;
use crate::{App, AppError, Result};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use wangge_domain::life::{self as rules, CommitmentKind, IncubationStage, ServiceField, UnitKind};
use wangge_domain::phone::Phone;
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::life::co_building::{CommitmentRow, DayRow, ServiceRow, SocialOrgRow, UnitRow};
use wangge_store::{Store, StoreError, now_ms};

pub(crate) const PROGRESS_OWNER: &str = "co_building_progress";

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnitInput {
    /// The community it is paired with.
    pub region_code: String,
    pub name: String,
    /// `government` | `institution` | `state_enterprise` | `private_enterprise` | `social_organization` | `school`
    /// | `military` | `other` (or the Chinese label).
    pub kind: String,
    /// An organization of the register it is (when it sits in the district).
    pub organization_id: Option<i64>,
    #[serde(default)]
    pub contact_name: String,
    /// Stored encrypted, shown masked.
    pub contact_phone: Option<String>,
    /// `YYYY-MM-DD`: when the pairing began (签订共建协议).
    pub paired_on: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentInput {
    /// Default: this year.
    pub year: Option<i64>,
    /// `resource` | `project` | `money` | `volunteer_hours`.
    pub kind: String,
    pub title: String,
    /// In the kind's unit (项, 元, 小时): a number, or text such as "1.2万".
    #[schema(value_type = Object)]
    pub target: Value,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentProgressInput {
    /// What was delivered now, in the commitment's unit.
    #[schema(value_type = Object)]
    pub amount: Value,
    #[serde(default)]
    pub note: String,
    /// Uploads kept as evidence (photos, receipts, PDF).
    #[serde(default)]
    pub attachments: Vec<i64>,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDayInput {
    pub region_code: String,
    /// `YYYY-MM-DD`.
    pub held_on: String,
    /// The month's theme (每月围绕一个主题).
    pub theme: String,
    /// What was done.
    pub content: String,
    /// 难点问题 solved, one per line.
    #[serde(default)]
    pub problems: String,
    /// Units taking part (ids of the community's co-building units).
    #[serde(default)]
    pub unit_ids: Vec<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    /// `incubating` (孵化) | `nurturing` (培育) | `mature` (成熟).
    pub stage: String,
    /// The main field served (`elderly`, `women_children`, `disability`, `hardship`, `correction`, `culture`,
    /// `charity`, `other`); default: kept, or `other`.
    pub field: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    pub name: String,
    /// 服务对象: 高龄独居老人, 残疾人家庭…
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommitmentView {
    pub id: i64,
    pub year: i64,
    pub kind: String,
    pub kind_name: String,
    pub title: String,
    /// In the kind's unit.
    pub target: f64,
    pub done: f64,
    pub unit: String,
    /// 0–1.
    pub completion: Option<f64>,
    pub completed: bool,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommitmentProgressView {
    pub commitment_id: i64,
    pub at: String,
    pub amount: f64,
    pub note: String,
    pub actor: String,
    pub attachments: Vec<AttachmentView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitView {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    pub organization_id: Option<i64>,
    pub name: String,
    pub kind: String,
    pub kind_name: String,
    pub contact_name: String,
    /// Masked.
    pub contact_phone: Option<String>,
    pub paired_on: Option<String>,
    pub note: String,
    pub active: bool,
    /// This year's commitments: how many, how many completed, mean completion (0–1).
    pub commitments: i64,
    pub commitments_completed: i64,
    pub completion: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitDetail {
    #[serde(flatten)]
    pub unit: UnitView,
    /// Every year's commitments, newest year first.
    pub commitment_list: Vec<CommitmentView>,
    pub progress: Vec<CommitmentProgressView>,
    pub days: Vec<DayView>,
    pub may_keep: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitBrief {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DayView {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    pub held_on: String,
    pub theme: String,
    pub content: String,
    pub problems: Vec<String>,
    pub units: Vec<UnitBrief>,
    pub created_by: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StageView {
    pub from_stage: Option<String>,
    pub stage: String,
    pub stage_name: String,
    pub at: String,
    pub actor: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SocialServiceView {
    pub id: i64,
    pub name: String,
    pub target: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SocialOrgView {
    pub id: i64,
    pub name: String,
    pub grid_code: String,
    /// The register's 经营状态.
    pub status: String,
    pub legal_rep: String,
    /// `incubating` | `nurturing` | `mature`; null before it is taken into incubation.
    pub stage: Option<String>,
    pub stage_name: Option<String>,
    pub field: Option<String>,
    pub field_name: Option<String>,
    pub stage_since: Option<String>,
    pub services: Vec<SocialServiceView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SocialOrgDetail {
    #[serde(flatten)]
    pub org: SocialOrgView,
    pub history: Vec<StageView>,
    pub may_keep: bool,
}

fn quantity(field: &str, kind: CommitmentKind, v: &Value) -> Result<Option<i64>> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(rules::parse_quantity(field, kind, &n.to_string())?),
        Value::String(s) => Ok(rules::parse_quantity(field, kind, s)?),
        _ => Err(AppError::field(field, "应为数字 / must be a number")),
    }
}

fn commitment_view(c: &CommitmentRow) -> CommitmentView {
    let kind = CommitmentKind::parse("kind", &c.kind).unwrap_or(CommitmentKind::Project);
    CommitmentView {
        id: c.id,
        year: c.year,
        kind: c.kind.clone(),
        kind_name: kind.label_zh().into(),
        title: c.title.clone(),
        target: c.target_x100 as f64 / 100.0,
        done: c.done_x100 as f64 / 100.0,
        unit: kind.unit_zh().into(),
        completion: rules::completion(c.done_x100, c.target_x100),
        completed: c.done_x100 >= c.target_x100,
        version: c.version,
    }
}

fn this_year() -> i64 {
    i64::from(crate::people::today().year())
}

impl App {
    async fn unit_for(&self, actor: &Actor, id: i64) -> Result<UnitRow> {
        let what = format!("co-building unit {id}");
        let u = self.store.unit(id).await?.ok_or_else(|| AppError::not_found(&what))?;
        self.authorize_life_read(actor, Permission::ReadCommunityLife, &u.region_code, &what)?;
        Ok(u)
    }

    pub(crate) async fn unit_views(&self, rows: &[UnitRow], year: i64) -> Result<Vec<UnitView>> {
        let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
        let commitments = self.store.commitments_of(&ids, Some(year)).await?;
        let regions = self.life_region_names(rows.iter().map(|u| u.region_code.clone())).await?;
        Ok(rows
            .iter()
            .map(|u| {
                let mine: Vec<&CommitmentRow> = commitments.iter().filter(|c| c.unit_id == u.id).collect();
                let rates: Vec<f64> =
                    mine.iter().filter_map(|c| rules::completion(c.done_x100, c.target_x100)).collect();
                UnitView {
                    id: u.id,
                    region_code: u.region_code.clone(),
                    region_name: regions.get(&u.region_code).cloned().unwrap_or_default(),
                    organization_id: u.organization_id,
                    name: u.name.clone(),
                    kind: u.kind.clone(),
                    kind_name: UnitKind::parse("kind", &u.kind).map(|k| k.label_zh()).unwrap_or("").into(),
                    contact_name: u.contact_name.clone(),
                    contact_phone: u.contact_phone_masked.clone(),
                    paired_on: u.paired_on.clone(),
                    note: u.note.clone(),
                    active: u.active != 0,
                    commitments: mine.len() as i64,
                    commitments_completed: mine.iter().filter(|c| c.done_x100 >= c.target_x100).count() as i64,
                    completion: (!rates.is_empty()).then(|| rates.iter().sum::<f64>() / rates.len() as f64),
                }
            })
            .collect())
    }

    /// Co-building units in the caller's scope (or `region`), with this year's completion.
    pub async fn list_units(
        &self,
        actor: &Actor,
        region: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Page<UnitView>> {
        let roots = self.life_list_roots(actor, Permission::ReadCommunityLife, region).await?;
        let limit = crate::paging::limit(limit)?;
        let skip = crate::paging::int_cursor(cursor)?.unwrap_or(0).max(0);
        let (rows, total) = self.store.units(&roots, None, skip, limit).await?;
        let items = self.unit_views(&rows, this_year()).await?;
        let next_cursor = (skip + (items.len() as i64) < total).then(|| (skip + items.len() as i64).to_string());
        Ok(Page { items, next_cursor, total, total_is_lower_bound: false })
    }

    /// Pairs a unit with a community.
    pub async fn add_unit(&self, actor: &Actor, input: NewUnitInput) -> Result<UnitDetail> {
        self.authorize_anywhere(actor, Permission::ManageCommunityLife)?;
        let region = input.region_code.trim().to_string();
        self.life_region(actor, "region_code", &region, false, Permission::ManageCommunityLife).await?;
        let name = line("name", &input.name, 2, 100)?;
        let kind = UnitKind::parse("kind", &input.kind)?;
        if let Some(o) = input.organization_id {
            // The register's organization must be one the caller may read.
            self.organization(actor, o)
                .await
                .map_err(|_| AppError::field("organization_id", "组织不存在 / no such organization"))?;
        }
        let contact_name = line("contact_name", &input.contact_name, 0, 50)?;
        let phone = input
            .contact_phone
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| Phone::parse("contact_phone", s))
            .transpose()?;
        let paired_on = opt_day("paired_on", input.paired_on.as_deref())?;
        let note = line("note", &input.note, 0, 500)?;
        let row = UnitRow {
            region_code: region.clone(),
            organization_id: input.organization_id,
            name,
            kind: kind.as_str().into(),
            contact_name,
            contact_phone_enc: phone.as_ref().map(|p| self.crypto.encrypt(p.as_str())),
            contact_phone_masked: phone.as_ref().map(Phone::masked),
            paired_on: paired_on.map(ymd),
            note,
            active: 1,
            created_at: now_ms(),
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_unit(&mut tx, &row)
            .await
            .map_err(taken("name", "本社区已有同名共建单位 / a unit with this name is already paired here"))?;
        audit(&mut tx, actor, "create", &format!("co_building_unit:{id}"), None, &region).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.unit_detail(actor, id).await
    }

    pub async fn unit_detail(&self, actor: &Actor, id: i64) -> Result<UnitDetail> {
        let u = self.unit_for(actor, id).await?;
        let view = self.unit_views(std::slice::from_ref(&u), this_year()).await?.remove(0);
        let commitments = self.store.commitments_of(&[id], None).await?;
        let cids: Vec<i64> = commitments.iter().map(|c| c.id).collect();
        let lines = self.store.commitment_progress(&cids).await?;
        let lids: Vec<i64> = lines.iter().map(|l| l.id).collect();
        let mut files: HashMap<i64, Vec<AttachmentView>> = HashMap::new();
        for (owner, a) in self.store.owned_attachments(PROGRESS_OWNER, &lids).await? {
            files.entry(owner).or_default().push(crate::attachments::view(&a));
        }
        let progress = lines
            .into_iter()
            .rev()
            .map(|l| CommitmentProgressView {
                commitment_id: l.commitment_id,
                at: fmt(l.at),
                amount: l.amount_x100 as f64 / 100.0,
                note: l.note,
                actor: l.actor,
                attachments: files.remove(&l.id).unwrap_or_default(),
            })
            .collect();
        let (days, _) = self.store.co_building_days(&Some(vec![u.region_code.clone()]), None, 0, 200).await?;
        let day_ids: Vec<i64> = days.iter().map(|d| d.id).collect();
        let took_part: Vec<i64> = self
            .store
            .co_building_day_units(&day_ids)
            .await?
            .into_iter()
            .filter(|(_, unit)| *unit == id)
            .map(|(d, _)| d)
            .collect();
        let days: Vec<DayRow> = days.into_iter().filter(|d| took_part.contains(&d.id)).collect();
        Ok(UnitDetail {
            unit: view,
            commitment_list: commitments.iter().map(commitment_view).collect(),
            progress,
            days: self.day_views(days).await?,
            may_keep: actor.may(Permission::ManageCommunityLife, &u.region_code),
        })
    }

    /// Adds a commitment of the unit's 共建责任书 for a year.
    pub async fn add_commitment(&self, actor: &Actor, unit_id: i64, input: CommitmentInput) -> Result<UnitDetail> {
        let u = self.unit_for(actor, unit_id).await?;
        self.authorize_life_write(
            actor,
            Permission::ManageCommunityLife,
            &u.region_code,
            &format!("co-building unit {unit_id}"),
        )?;
        let year = input.year.unwrap_or_else(this_year);
        if !(2000..=2100).contains(&year) {
            return Err(AppError::field("year", "年份无效 / invalid year"));
        }
        let kind = CommitmentKind::parse("kind", &input.kind)?;
        let title = line("title", &input.title, 2, 200)?;
        let target = quantity("target", kind, &input.target)?
            .filter(|t| *t > 0)
            .ok_or_else(|| AppError::field("target", "请填写大于0的目标 / a target above zero"))?;
        let row = CommitmentRow {
            unit_id,
            year,
            kind: kind.as_str().into(),
            title,
            target_x100: target,
            created_at: now_ms(),
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_commitment(&mut tx, &row).await?;
        audit(
            &mut tx,
            actor,
            "commit",
            &format!("co_building_unit:{unit_id}"),
            Some(&format!("commitment:{id}")),
            &u.region_code,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.unit_detail(actor, unit_id).await
    }

    /// Records what a unit delivered on a commitment, with evidence.
    pub async fn add_commitment_progress(
        &self,
        actor: &Actor,
        commitment_id: i64,
        input: CommitmentProgressInput,
    ) -> Result<UnitDetail> {
        let what = format!("commitment {commitment_id}");
        let c = self.store.commitment(commitment_id).await?.ok_or_else(|| AppError::not_found(&what))?;
        let u = self.unit_for(actor, c.unit_id).await.map_err(|_| AppError::not_found(&what))?;
        self.authorize_life_write(actor, Permission::ManageCommunityLife, &u.region_code, &what)?;
        if input.version.is_some_and(|v| v != c.version) {
            return Err(stale());
        }
        let kind = CommitmentKind::parse("kind", &c.kind).unwrap_or(CommitmentKind::Project);
        let amount = quantity("amount", kind, &input.amount)?
            .filter(|a| *a > 0)
            .ok_or_else(|| AppError::field("amount", "请填写本次完成量（大于0） / an amount above zero"))?;
        let note = block("note", &input.note, 0, 1000)?;
        if input.attachments.len() > 10 {
            return Err(AppError::field("attachments", "附件不能超过10个 / at most 10 attachments"));
        }
        let mut tx = self.store.begin().await?;
        let line_id = Store::add_commitment_progress(&mut tx, &c, amount, &note, &actor.username)
            .await
            .map_err(stale_on_conflict)?;
        let uploader = crate::attachments::uploader_key(actor);
        for (i, a) in input.attachments.iter().enumerate() {
            Store::claim_attachment_for_owner(&mut tx, *a, PROGRESS_OWNER, line_id, &uploader).await.map_err(|e| {
                match e {
                    StoreError::NotFound => AppError::field(
                        &format!("attachments[{i}]"),
                        "附件不存在或已使用 / no such upload of yours, or already used",
                    ),
                    e => e.into(),
                }
            })?;
        }
        let reason = format!("commitment:{commitment_id} +{}", rules::x100_text(amount));
        audit(&mut tx, actor, "progress", &format!("co_building_unit:{}", c.unit_id), Some(&reason), &u.region_code)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.unit_detail(actor, c.unit_id).await
    }

    pub(crate) async fn day_views(&self, rows: Vec<DayRow>) -> Result<Vec<DayView>> {
        let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
        let links = self.store.co_building_day_units(&ids).await?;
        let uids: Vec<i64> = links.iter().map(|l| l.1).collect();
        let names: HashMap<i64, String> =
            self.store.units_by_id(&uids).await?.into_iter().map(|u| (u.id, u.name)).collect();
        let regions = self.life_region_names(rows.iter().map(|d| d.region_code.clone())).await?;
        Ok(rows
            .into_iter()
            .map(|d| DayView {
                id: d.id,
                region_name: regions.get(&d.region_code).cloned().unwrap_or_default(),
                region_code: d.region_code,
                held_on: d.held_on,
                theme: d.theme,
                content: d.content,
                problems: d.problems.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect(),
                units: links
                    .iter()
                    .filter(|l| l.0 == d.id)
                    .map(|l| UnitBrief { id: l.1, name: names.get(&l.1).cloned().unwrap_or_default() })
                    .collect(),
                created_by: d.created_by,
            })
            .collect())
    }

    /// 社区共建日 events in the caller's scope (or `region`), newest first.
    pub async fn list_co_building_days(
        &self,
        actor: &Actor,
        region: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Page<DayView>> {
        let roots = self.life_list_roots(actor, Permission::ReadCommunityLife, region).await?;
        let limit = crate::paging::limit(limit)?;
        let skip = crate::paging::int_cursor(cursor)?.unwrap_or(0).max(0);
        let (rows, total) = self.store.co_building_days(&roots, None, skip, limit).await?;
        let items = self.day_views(rows).await?;
        let next_cursor = (skip + (items.len() as i64) < total).then(|| (skip + items.len() as i64).to_string());
        Ok(Page { items, next_cursor, total, total_is_lower_bound: false })
    }

    /// Records a 共建日 with the units that took part.
    pub async fn add_co_building_day(&self, actor: &Actor, input: NewDayInput) -> Result<DayView> {
        self.authorize_anywhere(actor, Permission::ManageCommunityLife)?;
        let region = input.region_code.trim().to_string();
        self.life_region(actor, "region_code", &region, false, Permission::ManageCommunityLife).await?;
        let held_on =
            opt_day("held_on", Some(&input.held_on))?.ok_or_else(|| AppError::field("held_on", "必填 / required"))?;
        if held_on > crate::people::today() + chrono::Duration::days(60) {
            return Err(AppError::field("held_on", "日期太远 / too far ahead"));
        }
        let theme = line("theme", &input.theme, 2, 100)?;
        let content = block("content", &input.content, 4, 5000)?;
        let problems = block("problems", &input.problems, 0, 2000)?;
        if input.unit_ids.len() > 100 {
            return Err(AppError::field("unit_ids", "单位不能超过100个 / at most 100 units"));
        }
        let mut units: Vec<i64> = Vec::new();
        for (i, id) in input.unit_ids.iter().enumerate() {
            let u = self.store.unit(*id).await?;
            if u.is_none_or(|u| u.region_code != region) {
                return Err(AppError::field(
                    &format!("unit_ids[{i}]"),
                    "不是本社区的共建单位 / not a unit of this community",
                ));
            }
            if !units.contains(id) {
                units.push(*id);
            }
        }
        let row = DayRow {
            region_code: region.clone(),
            held_on: ymd(held_on),
            theme,
            content,
            problems,
            created_by: actor.username.clone(),
            created_at: now_ms(),
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_co_building_day(&mut tx, &row, &units).await?;
        audit(&mut tx, actor, "create", &format!("co_building_day:{id}"), None, &region).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let (rows, _) = self.store.co_building_days(&Some(vec![region]), None, 0, 1000).await?;
        let row = rows.into_iter().find(|d| d.id == id).ok_or_else(|| AppError::not_found("co-building day"))?;
        Ok(self.day_views(vec![row]).await?.remove(0))
    }

    // ───────────────────────────── social organizations ─────────────────────────────

    async fn social_org_for(&self, actor: &Actor, id: i64) -> Result<SocialOrgRow> {
        let what = format!("social organization {id}");
        let o = self.store.social_org(id).await?.ok_or_else(|| AppError::not_found(&what))?;
        self.authorize_life_read(actor, Permission::ReadCommunityLife, &o.grid_code, &what)?;
        Ok(o)
    }

    async fn social_org_views(&self, rows: Vec<SocialOrgRow>) -> Result<Vec<SocialOrgView>> {
        let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
        let mut services: HashMap<i64, Vec<SocialServiceView>> = HashMap::new();
        for s in self.store.social_org_services(&ids).await? {
            services.entry(s.organization_id).or_default().push(SocialServiceView {
                id: s.id,
                name: s.name,
                target: s.target,
                description: s.description,
            });
        }
        Ok(rows
            .into_iter()
            .map(|o| SocialOrgView {
                services: services.remove(&o.id).unwrap_or_default(),
                stage_name: o
                    .stage
                    .as_deref()
                    .and_then(|s| IncubationStage::parse("stage", s).ok())
                    .map(|s| s.label_zh().into()),
                field_name: o
                    .field
                    .as_deref()
                    .and_then(|s| ServiceField::parse("field", s).ok())
                    .map(|s| s.label_zh().into()),
                id: o.id,
                name: o.name,
                grid_code: o.grid_code,
                status: o.status,
                legal_rep: o.legal_rep,
                stage: o.stage,
                field: o.field,
                stage_since: o.stage_since.map(fmt),
            })
            .collect())
    }

    /// The register's social organizations in the caller's scope (or `region`), with stage and services.
    pub async fn list_social_orgs(
        &self,
        actor: &Actor,
        region: Option<&str>,
        stage: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Page<SocialOrgView>> {
        let roots = self.life_list_roots(actor, Permission::ReadCommunityLife, region).await?;
        let stage = stage
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| IncubationStage::parse("stage", s).map(|s| s.as_str()))
            .transpose()?;
        let limit = crate::paging::limit(limit)?;
        let (rows, total) = self.store.social_orgs(&roots, stage, crate::paging::int_cursor(cursor)?, limit).await?;
        let items = self.social_org_views(rows).await?;
        Ok(crate::paging::page(items, limit, total, |o| o.id.to_string()))
    }

    pub async fn social_org_detail(&self, actor: &Actor, id: i64) -> Result<SocialOrgDetail> {
        let o = self.social_org_for(actor, id).await?;
        let may_keep = actor.may(Permission::ManageCommunityLife, &o.grid_code);
        let org = self.social_org_views(vec![o]).await?.remove(0);
        let history = self
            .store
            .social_org_stages(id)
            .await?
            .into_iter()
            .map(|s| StageView {
                stage_name: IncubationStage::parse("stage", &s.stage).map(|x| x.label_zh()).unwrap_or("").into(),
                from_stage: s.from_stage,
                stage: s.stage,
                at: fmt(s.at),
                actor: s.actor,
                note: s.note,
            })
            .collect();
        Ok(SocialOrgDetail { org, history, may_keep })
    }

    /// Takes a social organization into incubation or moves it to another stage (every change kept).
    pub async fn set_social_org_stage(&self, actor: &Actor, id: i64, input: StageInput) -> Result<SocialOrgDetail> {
        let o = self.social_org_for(actor, id).await?;
        self.authorize_life_write(
            actor,
            Permission::ManageCommunityLife,
            &o.grid_code,
            &format!("social organization {id}"),
        )?;
        let stage = IncubationStage::parse("stage", &input.stage)?;
        let field = match input.field.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
            Some(f) => ServiceField::parse("field", f)?.as_str().to_string(),
            None => o.field.clone().unwrap_or_else(|| ServiceField::Other.as_str().into()),
        };
        let note = line("note", &input.note, 0, 500)?;
        if o.stage.as_deref() == Some(stage.as_str()) && o.field.as_deref() == Some(field.as_str()) {
            return Err(AppError::field("stage", "已处于该阶段 / already at this stage"));
        }
        let mut tx = self.store.begin().await?;
        Store::set_social_org_stage(&mut tx, id, o.stage.as_deref(), stage.as_str(), &field, &actor.username, &note)
            .await?;
        audit(&mut tx, actor, "stage", &format!("organization:{id}"), Some(stage.as_str()), &o.grid_code).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.social_org_detail(actor, id).await
    }

    /// Adds a service a social organization offers.
    pub async fn add_social_org_service(&self, actor: &Actor, id: i64, input: ServiceInput) -> Result<SocialOrgDetail> {
        let o = self.social_org_for(actor, id).await?;
        self.authorize_life_write(
            actor,
            Permission::ManageCommunityLife,
            &o.grid_code,
            &format!("social organization {id}"),
        )?;
        let name = line("name", &input.name, 2, 50)?;
        let target = line("target", &input.target, 0, 100)?;
        let description = line("description", &input.description, 0, 500)?;
        if self.store.social_org_services(&[id]).await?.len() >= 50 {
            return Err(AppError::field("name", "服务项目不能超过50项 / at most 50 services"));
        }
        let row = ServiceRow { organization_id: id, name, target, description, created_at: now_ms(), id: 0 };
        let mut tx = self.store.begin().await?;
        let sid = Store::insert_social_org_service(&mut tx, &row).await?;
        audit(
            &mut tx,
            actor,
            "add_service",
            &format!("organization:{id}"),
            Some(&format!("service:{sid}")),
            &o.grid_code,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.social_org_detail(actor, id).await
    }

    /// Whether the caller may fetch evidence of a commitment's progress line.
    pub(crate) async fn may_read_commitment_line(&self, actor: &Actor, line_id: i64) -> bool {
        // The line's commitment is found through the evidence's own unit: read every unit's lines is costly, so
        // look the line up directly.
        let Ok(lines) = self.store.commitment_progress_line(line_id).await else { return false };
        let Some(l) = lines else { return false };
        let Ok(Some(c)) = self.store.commitment(l.commitment_id).await else { return false };
        self.unit_for(actor, c.unit_id).await.is_ok()
    }
}
