//! 议事会议 (民情恳谈会、听证会、居民议事会、民主协调会): a community or street schedules a meeting with its agenda
//! and invited participants (register people, staff, outside representatives), signs them in, records the minutes
//! (with attachments), adds resolutions (决议事项) with an owner and a due day, and tracks each to completion with
//! progress notes. A held meeting may be published: the public portal then shows its resolutions and progress.

use super::{audit, block, fmt, line, opt_day, parse_local_time, refusal, stale, stale_on_conflict, ymd};
use crate::events::AttachmentView;
use crate::paging::{self, Page};
use crate::people::today;
use crate::{App, AppError, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use wangge_domain::life::{self as rules, MeetingKind, MeetingStatus, MeetingStep, ParticipantKind, ResolutionStatus};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::life::meetings::{MeetingFilter, MeetingRow, ParticipantRow, ProgressRow, ResolutionRow};
use wangge_store::{Store, StoreError, now_ms};

/// Agenda items and participants a meeting may have.
pub const MAX_AGENDA: usize = 30;
pub const MAX_PARTICIPANTS: usize = 300;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantInput {
    /// A person of the register (name taken from the register).
    pub person_id: Option<i64>,
    /// A staff user.
    pub username: Option<String>,
    /// Someone from outside (物业公司, 共建单位, 人大代表…): the name is required.
    pub name: Option<String>,
    /// 单位/身份, e.g. 物业公司经理, 居民代表, 区人大代表.
    #[serde(default)]
    pub affiliation: String,
}

/// A new meeting (`POST /api/v1/meetings`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeetingInput {
    /// The community or street holding it.
    pub region_code: String,
    /// `consultation` (民情恳谈会) | `hearing` (听证会) | `council` (居民议事会) | `coordination` (民主协调会).
    pub kind: String,
    pub topic: String,
    /// RFC 3339, or China time `YYYY-MM-DDTHH:MM`.
    pub starts_at: String,
    pub ends_at: Option<String>,
    pub place: String,
    #[serde(default)]
    pub agenda: Vec<String>,
    #[serde(default)]
    pub participants: Vec<ParticipantInput>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInInput {
    /// Participants present (ids from the meeting's `participants`).
    pub participant_ids: Vec<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesInput {
    pub minutes: String,
    /// Uploads (`POST /api/v1/attachments`) to keep with the minutes: sign-in sheet, photos, PDF.
    #[serde(default)]
    pub attachments: Vec<i64>,
    /// The version the caller saw; when given and stale, 409.
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionInput {
    /// What was resolved.
    pub content: String,
    /// Who carries it out: a department, unit or official, as the resolution names them.
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressInput {
    /// `in_progress` | `done` | `dropped`; absent: a progress note (a pending resolution becomes in progress).
    pub status: Option<String>,
    #[serde(default)]
    pub note: String,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    pub published: bool,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    #[serde(default)]
    pub note: String,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParticipantView {
    pub id: i64,
    /// `person` | `user` | `guest`.
    pub kind: String,
    pub person_id: Option<i64>,
    pub name: String,
    pub affiliation: String,
    pub invited: bool,
    pub present: bool,
    pub signed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProgressView {
    pub at: String,
    pub actor: String,
    pub status: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResolutionView {
    pub id: i64,
    pub content: String,
    pub owner: String,
    pub due_on: Option<String>,
    /// `pending` | `in_progress` | `done` | `dropped`.
    pub status: String,
    pub status_name: String,
    pub overdue: bool,
    pub done_at: Option<String>,
    pub version: i64,
    pub progress: Vec<ProgressView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeetingView {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    pub kind: String,
    pub kind_name: String,
    pub topic: String,
    pub starts_at: String,
    pub ends_at: Option<String>,
    pub place: String,
    /// `scheduled` | `held` | `cancelled`.
    pub status: String,
    pub status_name: String,
    pub published: bool,
    pub resolutions: i64,
    pub resolutions_done: i64,
    pub resolutions_overdue: i64,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeetingDetail {
    #[serde(flatten)]
    pub meeting: MeetingView,
    pub agenda: Vec<String>,
    pub minutes: String,
    pub minutes_by: String,
    pub minutes_at: Option<String>,
    pub published_at: Option<String>,
    pub created_by: String,
    pub participants: Vec<ParticipantView>,
    pub present: i64,
    pub resolutions_list: Vec<ResolutionView>,
    pub attachments: Vec<AttachmentView>,
    /// Steps the caller may take now (`add_participant`, `sign_in`, `minutes`, `resolve`, `publish`, `unpublish`,
    /// `cancel`) and whether they may report progress on resolutions.
    pub actions: Vec<String>,
    pub may_report_progress: bool,
}

#[derive(Debug, Clone, Default)]
pub struct MeetingQuery<'a> {
    pub region: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub status: Option<&'a str>,
    /// `overdue`: meetings with a resolution past due.
    pub view: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub limit: Option<i64>,
}

pub(crate) const OWNER_KIND: &str = "meeting";

fn meeting_status(row: &MeetingRow) -> MeetingStatus {
    MeetingStatus::parse("status", &row.status).unwrap_or(MeetingStatus::Scheduled)
}

fn resolution_status(r: &ResolutionRow) -> ResolutionStatus {
    ResolutionStatus::parse("status", &r.status).unwrap_or(ResolutionStatus::Pending)
}

fn status_zh(s: &str) -> String {
    MeetingStatus::parse("status", s)
        .map(|s| s.label_zh().to_string())
        .or_else(|_| ResolutionStatus::parse("status", s).map(|s| s.label_zh().to_string()))
        .unwrap_or_else(|_| s.to_string())
}

pub(crate) fn resolution_view(r: &ResolutionRow, progress: Vec<ProgressView>, on: chrono::NaiveDate) -> ResolutionView {
    let status = resolution_status(r);
    let due = r.due_on.as_deref().and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    ResolutionView {
        id: r.id,
        content: r.content.clone(),
        owner: r.owner.clone(),
        due_on: r.due_on.clone(),
        status: r.status.clone(),
        status_name: status.label_zh().to_string(),
        overdue: rules::resolution_overdue(status, due, on),
        done_at: r.done_at.map(fmt),
        version: r.version,
        progress,
    }
}

impl App {
    /// A meeting the caller may read (404 outside the scope, like one that does not exist).
    async fn meeting_for(&self, actor: &Actor, id: i64) -> Result<MeetingRow> {
        let what = format!("meeting {id}");
        let m = self.store.meeting(id).await?.ok_or_else(|| AppError::not_found(&what))?;
        self.authorize_life_read(actor, Permission::ReadCommunityLife, &m.region_code, &what)?;
        Ok(m)
    }

    /// A meeting the caller may keep: read first (404), then keep (403).
    async fn meeting_to_keep(&self, actor: &Actor, id: i64) -> Result<MeetingRow> {
        let m = self.meeting_for(actor, id).await?;
        self.authorize_life_write(actor, Permission::ManageCommunityLife, &m.region_code, &format!("meeting {id}"))?;
        Ok(m)
    }

    async fn meeting_views(&self, rows: &[MeetingRow]) -> Result<Vec<MeetingView>> {
        let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
        let resolutions = self.store.resolutions_of(&ids).await?;
        let on = today();
        let mut counts: HashMap<i64, (i64, i64, i64)> = HashMap::new();
        for r in &resolutions {
            let v = resolution_view(r, Vec::new(), on);
            let c = counts.entry(r.meeting_id).or_default();
            c.0 += 1;
            c.1 += i64::from(v.status == "done");
            c.2 += i64::from(v.overdue);
        }
        let names = self.life_region_names(rows.iter().map(|m| m.region_code.clone())).await?;
        Ok(rows
            .iter()
            .map(|m| {
                let (n, done, overdue) = counts.get(&m.id).copied().unwrap_or_default();
                let kind = MeetingKind::parse("kind", &m.kind).map(|k| k.label_zh()).unwrap_or("");
                MeetingView {
                    id: m.id,
                    region_name: names.get(&m.region_code).cloned().unwrap_or_default(),
                    region_code: m.region_code.clone(),
                    kind: m.kind.clone(),
                    kind_name: kind.to_string(),
                    topic: m.topic.clone(),
                    starts_at: fmt(m.starts_at),
                    ends_at: m.ends_at.map(fmt),
                    place: m.place.clone(),
                    status: m.status.clone(),
                    status_name: meeting_status(m).label_zh().to_string(),
                    published: m.published_at.is_some(),
                    resolutions: n,
                    resolutions_done: done,
                    resolutions_overdue: overdue,
                    version: m.version,
                }
            })
            .collect())
    }

    /// Meetings in the caller's scope (or `region`), newest first.
    pub async fn list_meetings(&self, actor: &Actor, q: MeetingQuery<'_>) -> Result<Page<MeetingView>> {
        let roots = self.life_list_roots(actor, Permission::ReadCommunityLife, q.region).await?;
        let kind = q
            .kind
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| MeetingKind::parse("kind", k).map(|k| k.as_str().to_string()))
            .transpose()?;
        let status = q
            .status
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| MeetingStatus::parse("status", k).map(|k| k.as_str().to_string()))
            .transpose()?;
        let overdue_before = match q.view.map(str::trim).filter(|v| !v.is_empty()) {
            None => None,
            Some("overdue") => Some(ymd(today())),
            Some(v) => return Err(AppError::field("view", format!("应为 overdue / must be overdue: {v}"))),
        };
        let limit = paging::limit(q.limit)?;
        let filter = MeetingFilter { roots, kind, status, overdue_before, ..Default::default() };
        let (rows, total) = self.store.meetings(&filter, paging::int_cursor(q.cursor)?, limit).await?;
        let items = self.meeting_views(&rows).await?;
        Ok(paging::page(items, limit, total, |m| m.id.to_string()))
    }

    /// Checks and turns participant inputs into rows (`field` names the list, e.g. `participants`).
    async fn participant_rows(
        &self,
        actor: &Actor,
        field: &str,
        inputs: &[ParticipantInput],
        present: bool,
    ) -> Result<Vec<ParticipantRow>> {
        if inputs.len() > MAX_PARTICIPANTS {
            return Err(AppError::field(
                field,
                format!("参会人不能超过{MAX_PARTICIPANTS}人 / at most {MAX_PARTICIPANTS}"),
            ));
        }
        let mut out = Vec::with_capacity(inputs.len());
        let now = now_ms();
        for (i, p) in inputs.iter().enumerate() {
            let f = |k: &str| format!("{field}[{i}].{k}");
            let affiliation = line(&f("affiliation"), &p.affiliation, 0, 60)?;
            let username = p.username.as_deref().map(str::trim).filter(|u| !u.is_empty());
            let name = p.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
            let (kind, person_id, user_id, name) = match (p.person_id, username, name) {
                (Some(pid), None, _) => {
                    let person = self.person_for(actor, Permission::ReadRegister, pid).await.map_err(|e| {
                        if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Forbidden) {
                            AppError::field(&f("person_id"), "人员不存在 / no such person")
                        } else {
                            e
                        }
                    })?;
                    (ParticipantKind::Person, Some(pid), None, person.name)
                }
                (None, Some(u), _) => {
                    let user = self
                        .store
                        .user_by_name(u)
                        .await?
                        .filter(|u| !u.disabled)
                        .ok_or_else(|| AppError::field(&f("username"), "用户不存在 / no such user"))?;
                    (ParticipantKind::User, None, Some(user.id), user.display_name)
                }
                (None, None, Some(n)) => (ParticipantKind::Guest, None, None, line(&f("name"), n, 1, 50)?),
                (None, None, None) => {
                    return Err(AppError::field(&f("name"), "请填写参会人姓名 / a participant needs a name"));
                }
                (Some(_), Some(_), _) => {
                    return Err(AppError::field(
                        &f("username"),
                        "居民和工作人员只能选其一 / a person or a user, not both",
                    ));
                }
            };
            let dup = out.iter().any(|o: &ParticipantRow| {
                (person_id.is_some() && o.person_id == person_id) || (user_id.is_some() && o.user_id == user_id)
            });
            if dup {
                return Err(AppError::field(&f("name"), "重复的参会人 / listed twice"));
            }
            out.push(ParticipantRow {
                kind: kind.as_str().into(),
                person_id,
                user_id,
                name,
                affiliation,
                invited: i64::from(!present),
                present: i64::from(present),
                signed_at: present.then_some(now),
                ..Default::default()
            });
        }
        Ok(out)
    }

    /// Schedules a meeting with its agenda and invited participants.
    pub async fn schedule_meeting(&self, actor: &Actor, input: NewMeetingInput) -> Result<MeetingDetail> {
        self.authorize_anywhere(actor, Permission::ManageCommunityLife)?;
        let kind = MeetingKind::parse("kind", &input.kind)?;
        let topic = line("topic", &input.topic, 2, 100)?;
        let starts_at = parse_local_time("starts_at", &input.starts_at)?;
        let ends_at = match input.ends_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => {
                let e = parse_local_time("ends_at", s)?;
                if e <= starts_at {
                    return Err(AppError::field("ends_at", "结束时间应晚于开始时间 / must be after the start"));
                }
                Some(e)
            }
            None => None,
        };
        let place = line("place", &input.place, 1, 100)?;
        if input.agenda.len() > MAX_AGENDA {
            return Err(AppError::field("agenda", format!("议程不能超过{MAX_AGENDA}项 / at most {MAX_AGENDA} items")));
        }
        let mut agenda = Vec::new();
        for (i, a) in input.agenda.iter().enumerate() {
            let a = line(&format!("agenda[{i}]"), a, 0, 200)?;
            if !a.is_empty() {
                agenda.push(a);
            }
        }
        let region = input.region_code.trim().to_string();
        self.life_region(actor, "region_code", &region, true, Permission::ManageCommunityLife).await?;
        let participants = self.participant_rows(actor, "participants", &input.participants, false).await?;
        let now = now_ms();
        let row = MeetingRow {
            region_code: region.clone(),
            kind: kind.as_str().into(),
            topic,
            starts_at,
            ends_at,
            place,
            agenda: serde_json::to_string(&agenda).unwrap_or_else(|_| "[]".into()),
            status: MeetingStatus::Scheduled.as_str().into(),
            created_by: actor.username.clone(),
            created_at: now,
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        let id = Store::insert_meeting(&mut tx, &row).await?;
        for mut p in participants {
            p.meeting_id = id;
            Store::insert_participant(&mut tx, &p).await?;
        }
        audit(&mut tx, actor, "create", &format!("meeting:{id}"), None, &region).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.meeting_detail(actor, id).await
    }

    pub async fn meeting_detail(&self, actor: &Actor, id: i64) -> Result<MeetingDetail> {
        let m = self.meeting_for(actor, id).await?;
        let view = self.meeting_views(std::slice::from_ref(&m)).await?.remove(0);
        let participants: Vec<ParticipantView> = self
            .store
            .meeting_participants(id)
            .await?
            .into_iter()
            .map(|p| ParticipantView {
                id: p.id,
                kind: p.kind,
                person_id: p.person_id,
                name: p.name,
                affiliation: p.affiliation,
                invited: p.invited != 0,
                present: p.present != 0,
                signed_at: p.signed_at.map(fmt),
            })
            .collect();
        let resolutions = self.store.resolutions_of(&[id]).await?;
        let rids: Vec<i64> = resolutions.iter().map(|r| r.id).collect();
        let mut progress: HashMap<i64, Vec<ProgressView>> = HashMap::new();
        for p in self.store.resolution_progress(&rids).await? {
            progress.entry(p.resolution_id).or_default().push(ProgressView {
                at: fmt(p.at),
                actor: p.actor,
                status: p.status,
                note: p.note,
            });
        }
        let on = today();
        let resolutions_list =
            resolutions.iter().map(|r| resolution_view(r, progress.remove(&r.id).unwrap_or_default(), on)).collect();
        let attachments = self
            .store
            .owned_attachments(OWNER_KIND, &[id])
            .await?
            .iter()
            .map(|(_, a)| crate::attachments::view(a))
            .collect();
        let keeps = actor.may(Permission::ManageCommunityLife, &m.region_code);
        let status = meeting_status(&m);
        let actions = if keeps {
            MeetingStep::ALL
                .iter()
                .filter(|s| rules::meeting_step(**s, status).is_ok())
                .filter(|s| match s {
                    MeetingStep::Publish => m.published_at.is_none(),
                    MeetingStep::Unpublish => m.published_at.is_some(),
                    _ => true,
                })
                .map(|s| s.as_str().to_string())
                .collect()
        } else {
            Vec::new()
        };
        let present = participants.iter().filter(|p| p.present).count() as i64;
        Ok(MeetingDetail {
            meeting: view,
            agenda: serde_json::from_str(&m.agenda).unwrap_or_default(),
            minutes: m.minutes.clone(),
            minutes_by: m.minutes_by.clone(),
            minutes_at: m.minutes_at.map(fmt),
            published_at: m.published_at.map(fmt),
            created_by: m.created_by.clone(),
            participants,
            present,
            resolutions_list,
            attachments,
            actions,
            may_report_progress: keeps && status == MeetingStatus::Held,
        })
    }

    fn check_step(&self, m: &MeetingRow, step: MeetingStep) -> Result<MeetingStatus> {
        rules::meeting_step(step, meeting_status(m)).map_err(|r| refusal(r, step.label_zh(), status_zh))
    }

    /// Adds participants (invited, or walk-ins present at once) to a scheduled or held meeting.
    pub async fn add_meeting_participants(
        &self,
        actor: &Actor,
        id: i64,
        inputs: Vec<ParticipantInput>,
        present: bool,
    ) -> Result<MeetingDetail> {
        let m = self.meeting_to_keep(actor, id).await?;
        self.check_step(&m, MeetingStep::AddParticipant)?;
        if inputs.is_empty() {
            return Err(AppError::field("participants", "请添加参会人 / add someone"));
        }
        let existing = self.store.meeting_participants(id).await?;
        if existing.len() + inputs.len() > MAX_PARTICIPANTS {
            return Err(AppError::field(
                "participants",
                format!("参会人不能超过{MAX_PARTICIPANTS}人 / at most {MAX_PARTICIPANTS}"),
            ));
        }
        let rows = self.participant_rows(actor, "participants", &inputs, present).await?;
        for (i, r) in rows.iter().enumerate() {
            let dup = existing.iter().any(|o| {
                (r.person_id.is_some() && o.person_id == r.person_id) || (r.user_id.is_some() && o.user_id == r.user_id)
            });
            if dup {
                return Err(AppError::field(
                    &format!("participants[{i}].name"),
                    "已在参会名单中 / already on the list",
                ));
            }
        }
        let mut tx = self.store.begin().await?;
        for mut p in rows {
            p.meeting_id = id;
            Store::insert_participant(&mut tx, &p).await?;
        }
        let reason = format!("{} added", inputs.len());
        audit(&mut tx, actor, "add_participant", &format!("meeting:{id}"), Some(&reason), &m.region_code).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.meeting_detail(actor, id).await
    }

    /// Signs participants in (签到). Signing someone in twice keeps the first time.
    pub async fn sign_in_meeting(&self, actor: &Actor, id: i64, input: SignInInput) -> Result<MeetingDetail> {
        let m = self.meeting_to_keep(actor, id).await?;
        self.check_step(&m, MeetingStep::SignIn)?;
        if input.participant_ids.is_empty() {
            return Err(AppError::field("participant_ids", "请选择签到的参会人 / choose who is present"));
        }
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        for (i, pid) in input.participant_ids.iter().enumerate() {
            if !Store::sign_in_participant(&mut tx, id, *pid, now).await? {
                return Err(AppError::field(
                    &format!("participant_ids[{i}]"),
                    "不是本次会议的参会人 / not a participant",
                ));
            }
        }
        let reason = format!("{} signed in", input.participant_ids.len());
        audit(&mut tx, actor, "sign_in", &format!("meeting:{id}"), Some(&reason), &m.region_code).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.meeting_detail(actor, id).await
    }

    /// Records (or corrects) the minutes; the meeting is then held. Attachments are claimed for the meeting.
    pub async fn record_minutes(&self, actor: &Actor, id: i64, input: MinutesInput) -> Result<MeetingDetail> {
        let mut m = self.meeting_to_keep(actor, id).await?;
        let next = self.check_step(&m, MeetingStep::Minutes)?;
        if input.version.is_some_and(|v| v != m.version) {
            return Err(stale());
        }
        let minutes = block("minutes", &input.minutes, 10, 20_000)?;
        if input.attachments.len() > 20 {
            return Err(AppError::field("attachments", "附件不能超过20个 / at most 20 attachments"));
        }
        let first = m.minutes_at.is_none();
        m.status = next.as_str().into();
        m.minutes = minutes;
        m.minutes_by = actor.username.clone();
        m.minutes_at = Some(now_ms());
        let mut tx = self.store.begin().await?;
        Store::save_meeting(&mut tx, &m).await.map_err(stale_on_conflict)?;
        let uploader = crate::attachments::uploader_key(actor);
        for (i, a) in input.attachments.iter().enumerate() {
            Store::claim_attachment_for_owner(&mut tx, *a, OWNER_KIND, id, &uploader).await.map_err(|e| match e {
                StoreError::NotFound => AppError::field(
                    &format!("attachments[{i}]"),
                    "附件不存在或已使用 / no such upload of yours, or already used",
                ),
                e => e.into(),
            })?;
        }
        let action = if first { "minutes" } else { "update_minutes" };
        audit(&mut tx, actor, action, &format!("meeting:{id}"), None, &m.region_code).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.meeting_detail(actor, id).await
    }

    /// Adds a resolution (决议事项) to a held meeting.
    pub async fn add_resolution(&self, actor: &Actor, id: i64, input: ResolutionInput) -> Result<MeetingDetail> {
        let m = self.meeting_to_keep(actor, id).await?;
        self.check_step(&m, MeetingStep::Resolve)?;
        let content = block("content", &input.content, 4, 1000)?;
        let owner = line("owner", &input.owner, 2, 100)?;
        let due = opt_day("due_on", input.due_on.as_deref())?;
        if self.store.resolutions_of(&[id]).await?.len() >= 50 {
            return Err(AppError::field("content", "决议事项不能超过50项 / at most 50 resolutions"));
        }
        let row = ResolutionRow {
            meeting_id: id,
            content,
            owner,
            due_on: due.map(ymd),
            status: ResolutionStatus::Pending.as_str().into(),
            created_at: now_ms(),
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        let rid = Store::insert_resolution(&mut tx, &row).await?;
        audit(&mut tx, actor, "resolve", &format!("meeting:{id}"), Some(&format!("resolution:{rid}")), &m.region_code)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.meeting_detail(actor, id).await
    }

    /// Reports progress on a resolution (a note, or a new status: in progress, done, dropped).
    pub async fn report_resolution_progress(
        &self,
        actor: &Actor,
        meeting_id: i64,
        resolution_id: i64,
        input: ProgressInput,
    ) -> Result<MeetingDetail> {
        let m = self.meeting_to_keep(actor, meeting_id).await?;
        let mut r = self
            .store
            .resolution(resolution_id)
            .await?
            .filter(|r| r.meeting_id == meeting_id)
            .ok_or_else(|| AppError::not_found(&format!("resolution {resolution_id}")))?;
        if meeting_status(&m) != MeetingStatus::Held {
            return Err(refusal(rules::Refusal::State(meeting_status(&m).as_str()), "报告进展", status_zh));
        }
        let to = input
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| ResolutionStatus::parse("status", s))
            .transpose()?;
        if input.version.is_some_and(|v| v != r.version) {
            return Err(stale());
        }
        let note = block("note", &input.note, 0, 2000)?;
        let from = resolution_status(&r);
        let next = rules::resolution_step(from, to).map_err(|e| refusal(e, "报告进展", status_zh))?;
        // Every report says what happened, except marking it done (the status says it).
        match next {
            ResolutionStatus::Dropped if note.is_empty() => {
                return Err(AppError::field("note", "请说明终止原因 / say why it is dropped"));
            }
            ResolutionStatus::Done => {}
            _ if note.is_empty() => return Err(AppError::field("note", "请填写进展情况 / describe the progress")),
            _ => {}
        }
        r.status = next.as_str().into();
        if next == ResolutionStatus::Done {
            r.done_at = Some(now_ms());
        }
        let mut tx = self.store.begin().await?;
        Store::save_resolution(&mut tx, &r).await.map_err(stale_on_conflict)?;
        let p = ProgressRow {
            resolution_id,
            at: now_ms(),
            actor: actor.username.clone(),
            status: next.as_str().into(),
            note: note.clone(),
            ..Default::default()
        };
        Store::insert_resolution_progress(&mut tx, &p).await?;
        audit(
            &mut tx,
            actor,
            "resolution_progress",
            &format!("resolution:{resolution_id}"),
            Some(next.as_str()),
            &m.region_code,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.meeting_detail(actor, meeting_id).await
    }

    /// Publishes a held meeting on the public portal (its resolutions and their progress), or withdraws it.
    pub async fn publish_meeting(&self, actor: &Actor, id: i64, input: PublishInput) -> Result<MeetingDetail> {
        let mut m = self.meeting_to_keep(actor, id).await?;
        let step = if input.published { MeetingStep::Publish } else { MeetingStep::Unpublish };
        self.check_step(&m, step)?;
        if input.version.is_some_and(|v| v != m.version) {
            return Err(stale());
        }
        if input.published == m.published_at.is_some() {
            return self.meeting_detail(actor, id).await;
        }
        m.published_at = input.published.then(now_ms);
        let mut tx = self.store.begin().await?;
        Store::save_meeting(&mut tx, &m).await.map_err(stale_on_conflict)?;
        audit(&mut tx, actor, step.as_str(), &format!("meeting:{id}"), None, &m.region_code).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.meeting_detail(actor, id).await
    }

    /// Cancels a scheduled meeting (a reason is required).
    pub async fn cancel_meeting(&self, actor: &Actor, id: i64, input: CancelInput) -> Result<MeetingDetail> {
        let mut m = self.meeting_to_keep(actor, id).await?;
        let next = self.check_step(&m, MeetingStep::Cancel)?;
        if input.version.is_some_and(|v| v != m.version) {
            return Err(stale());
        }
        let note = line("note", &input.note, 2, 500)?;
        m.status = next.as_str().into();
        let mut tx = self.store.begin().await?;
        Store::save_meeting(&mut tx, &m).await.map_err(stale_on_conflict)?;
        audit(&mut tx, actor, "cancel", &format!("meeting:{id}"), Some(&note), &m.region_code).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.meeting_detail(actor, id).await
    }

    /// Whether the caller may fetch an attachment owned by a meeting (through reading the meeting).
    pub(crate) async fn may_read_meeting(&self, actor: &Actor, id: i64) -> bool {
        self.meeting_for(actor, id).await.is_ok()
    }
}
