//! Notices (公开公告: 党务、居务、财务、服务公开). Staff of a community, street or district write a notice for their
//! region, publish, withdraw and pin it, and give it an expiry day; a street's or district's notice shows on each
//! community portal below it. Every change is a revision with what the notice said afterwards, so the public sees
//! which text was published when.

use super::{FileOwner, changed_meanwhile, fmt, hide, refused};
use crate::attachments::view;
use crate::disputes::text_block;
use crate::events::AttachmentView;
use crate::paging::{self, Page};
use crate::people::{parse_date, text_field, today};
use crate::{App, AppError, Result};
use serde::{Deserialize, Serialize};
use wangge_domain::participation::{NoticeAction, NoticeCategory, NoticeStatus, notice_current, notice_plan};
use wangge_domain::region::RegionLevel;
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::participation::{NoticeFilter, NoticeRow};
use wangge_store::{Store, StoreError, now_ms};

/// Most files on one notice.
const MAX_FILES: usize = 10;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNoticeInput {
    /// A community, street or district code: a street's or district's notice shows on each community portal
    /// below it.
    pub region_code: String,
    /// `party` | `residents` | `finance` | `service` (党务/居务/财务/服务公开).
    pub category: String,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub pinned: bool,
    /// The last day it shows (`YYYY-MM-DD`, China time); none: until withdrawn.
    pub expires_on: Option<String>,
    /// Ids of the caller's uploads (`POST /api/v1/attachments`): JPEG, PNG, WebP or PDF.
    #[serde(default)]
    pub attachments: Vec<i64>,
    /// Publish at once (default: a draft).
    #[serde(default)]
    pub publish: bool,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeUpdate {
    pub category: String,
    pub title: String,
    pub body: String,
    pub expires_on: Option<String>,
    /// The files the notice keeps (ids it already has) and new uploads of the caller.
    #[serde(default)]
    pub attachments: Vec<i64>,
    /// The version the caller saw; when stale, 409.
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeActionInput {
    /// `publish` | `unpublish` | `pin` | `unpin`.
    pub action: String,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeView {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    pub category: String,
    pub category_name: String,
    pub title: String,
    pub body: String,
    pub status: String,
    pub status_name: String,
    pub pinned: bool,
    pub expires_on: Option<String>,
    /// Published but past its last day: no longer on the portal.
    pub expired: bool,
    pub published_at: Option<String>,
    pub attachments: Vec<AttachmentView>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeRevisionView {
    pub at: String,
    pub actor: String,
    /// `create` | `update` | `publish` | `unpublish` | `pin` | `unpin`.
    pub action: String,
    pub status: String,
    pub category: String,
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeDetail {
    #[serde(flatten)]
    pub notice: NoticeView,
    pub revisions: Vec<NoticeRevisionView>,
    /// Actions the caller may take now.
    pub actions: Vec<String>,
    /// Whether the caller may edit it.
    pub editable: bool,
}

#[derive(Debug, Clone, Default)]
pub struct NoticeQuery<'a> {
    pub region: Option<&'a str>,
    pub status: Option<&'a str>,
    pub category: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub limit: Option<i64>,
}

/// Whether a notice currently lists an upload.
pub(crate) fn lists_file(n: &NoticeRow, attachment_id: i64) -> bool {
    file_ids(n).contains(&attachment_id)
}

pub(crate) fn file_ids(n: &NoticeRow) -> Vec<i64> {
    serde_json::from_str(&n.attachments).unwrap_or_default()
}

fn status_of(n: &NoticeRow) -> NoticeStatus {
    NoticeStatus::parse("status", &n.status).unwrap_or(NoticeStatus::Draft)
}

fn expires(field: &str, s: Option<&str>) -> Result<Option<String>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Ok(Some(parse_date(field, s)?.format("%Y-%m-%d").to_string())),
    }
}

/// Title, body and category as a notice needs them.
fn content(category: &str, title: &str, body: &str) -> Result<(NoticeCategory, String, String)> {
    let category = NoticeCategory::parse("category", category)?;
    let title = text_field("title", title, 100)?;
    if title.is_empty() {
        return Err(AppError::field("title", "请填写标题 / a title is required"));
    }
    let body = text_block("body", body, 20_000)?;
    if body.chars().count() < 2 {
        return Err(AppError::field("body", "请填写公开内容 / write what is made public"));
    }
    Ok((category, title, body))
}

impl App {
    /// A notice the caller may read (404 outside their scope, like one that does not exist).
    async fn notice_for(&self, actor: &Actor, id: i64) -> Result<NoticeRow> {
        let n = self.store.notice(id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::not_found(&format!("notice {id}")),
            e => e.into(),
        })?;
        self.authorize(actor, Permission::ReadParticipation, &n.region_code)
            .map_err(|e| hide(e, &format!("notice {id}")))?;
        Ok(n)
    }

    pub(crate) async fn notice_view(&self, n: &NoticeRow) -> Result<NoticeView> {
        let status = status_of(n);
        let listed = file_ids(n);
        let attachments = self
            .store
            .participation_files("notice", n.id)
            .await?
            .iter()
            .filter(|a| listed.contains(&a.id))
            .map(view)
            .collect();
        let today = today().format("%Y-%m-%d").to_string();
        Ok(NoticeView {
            id: n.id,
            region_code: n.region_code.clone(),
            region_name: self.region_name(&n.region_code).await?,
            category: n.category.clone(),
            category_name: NoticeCategory::parse("category", &n.category).map(|c| c.label_zh()).unwrap_or("").into(),
            title: n.title.clone(),
            body: n.body.clone(),
            status: n.status.clone(),
            status_name: status.label_zh().into(),
            pinned: n.pinned,
            expires_on: n.expires_on.clone(),
            expired: status == NoticeStatus::Published && !notice_current(n.expires_on.as_deref(), &today),
            published_at: n.published_at.map(fmt),
            attachments,
            created_by: n.created_by.clone(),
            created_at: fmt(n.created_at),
            updated_at: fmt(n.updated_at),
            version: n.version,
        })
    }

    async fn notice_detail_of(&self, actor: &Actor, n: &NoticeRow) -> Result<NoticeDetail> {
        let editable = actor.may(Permission::PublishNotices, &n.region_code);
        let actions = if editable {
            NoticeAction::ALL
                .iter()
                .filter(|a| notice_plan(**a, status_of(n), n.pinned).is_ok())
                .map(|a| a.as_str().to_string())
                .collect()
        } else {
            Vec::new()
        };
        let revisions = self
            .store
            .notice_revisions(n.id)
            .await?
            .into_iter()
            .map(|r| NoticeRevisionView {
                at: fmt(r.at),
                actor: r.actor,
                action: r.action,
                status: r.status,
                category: r.category,
                title: r.title,
                body: r.body,
            })
            .collect();
        Ok(NoticeDetail { notice: self.notice_view(n).await?, revisions, actions, editable })
    }

    pub async fn notice_detail(&self, actor: &Actor, id: i64) -> Result<NoticeDetail> {
        let n = self.notice_for(actor, id).await?;
        self.notice_detail_of(actor, &n).await
    }

    pub async fn list_notices(&self, actor: &Actor, q: NoticeQuery<'_>) -> Result<Page<NoticeView>> {
        self.authorize_anywhere(actor, Permission::ReadParticipation)?;
        let roots = match q.region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize(actor, Permission::ReadParticipation, r)?;
                Some(vec![r.to_string()])
            }
            None => actor.roots(Permission::ReadParticipation),
        };
        let statuses = match q.status.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => vec![NoticeStatus::parse("status", s)?.as_str().to_string()],
            None => Vec::new(),
        };
        let category = q
            .category
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| NoticeCategory::parse("category", c).map(|c| c.as_str().to_string()))
            .transpose()?;
        let limit = paging::limit(q.limit)?;
        let before = paging::int_cursor(q.cursor)?;
        let (rows, total) = self.store.notices(&NoticeFilter { roots, statuses, category }, before, limit).await?;
        let mut items = Vec::with_capacity(rows.len());
        for n in &rows {
            items.push(self.notice_view(n).await?);
        }
        Ok(paging::page(items, limit, total, |n| n.id.to_string()))
    }

    /// Writes a notice (a draft, or published at once), with its files and first revision, in one transaction.
    pub async fn create_notice(&self, actor: &Actor, input: NewNoticeInput) -> Result<NoticeDetail> {
        self.authorize_anywhere(actor, Permission::PublishNotices)?;
        let levels = [RegionLevel::Community, RegionLevel::Street, RegionLevel::District];
        let region = self
            .participation_region(actor, Permission::PublishNotices, "region_code", &input.region_code, &levels)
            .await?;
        let (category, title, body) = content(&input.category, &input.title, &input.body)?;
        let expires_on = expires("expires_on", input.expires_on.as_deref())?;
        if input.attachments.len() > MAX_FILES {
            return Err(AppError::field("attachments", format!("最多{MAX_FILES}个附件 / at most {MAX_FILES} files")));
        }
        let now = now_ms();
        let status = if input.publish { NoticeStatus::Published } else { NoticeStatus::Draft };
        let mut n = NoticeRow {
            region_code: region.region.code.clone(),
            category: category.as_str().into(),
            title,
            body,
            status: status.as_str().into(),
            pinned: input.pinned,
            expires_on,
            attachments: serde_json::to_string(&input.attachments).unwrap_or_else(|_| "[]".into()),
            published_at: input.publish.then_some(now),
            created_by: actor.username.clone(),
            created_at: now,
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        n.id = Store::insert_notice(&mut tx, &n).await?;
        let files: Vec<(usize, i64)> = input.attachments.iter().copied().enumerate().collect();
        self.claim_participation_files(
            &mut tx,
            actor,
            "attachments",
            &files,
            FileOwner { kind: "notice", id: n.id, region: &n.region_code },
        )
        .await?;
        Store::insert_notice_revision(&mut tx, &n, &actor.username, "create").await?;
        if input.publish {
            Store::insert_notice_revision(&mut tx, &n, &actor.username, "publish").await?;
        }
        let action = if input.publish { "publish" } else { "create" };
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action,
                object: &format!("notice:{}", n.id),
                reason: None,
                region_code: Some(&n.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.notice_detail(actor, n.id).await
    }

    /// Edits a notice; a published one stays published with the new text (the revision records when).
    pub async fn update_notice(&self, actor: &Actor, id: i64, input: NoticeUpdate) -> Result<NoticeDetail> {
        let mut n = self.notice_for(actor, id).await?;
        self.authorize(actor, Permission::PublishNotices, &n.region_code)?;
        if input.version.is_some_and(|v| v != n.version) {
            return Err(changed_meanwhile(StoreError::Conflict(String::new()), "公告"));
        }
        let (category, title, body) = content(&input.category, &input.title, &input.body)?;
        let expires_on = expires("expires_on", input.expires_on.as_deref())?;
        if input.attachments.len() > MAX_FILES {
            return Err(AppError::field("attachments", format!("最多{MAX_FILES}个附件 / at most {MAX_FILES} files")));
        }
        let mut kept: Vec<i64> = Vec::new();
        for a in &input.attachments {
            if !kept.contains(a) {
                kept.push(*a);
            }
        }
        // Files the notice already owns may be dropped and listed again; any other id must be a fresh upload of
        // the caller's (files are never passed from one record to another).
        let owned: Vec<i64> = self.store.participation_files("notice", n.id).await?.iter().map(|a| a.id).collect();
        let fresh: Vec<(usize, i64)> =
            input.attachments.iter().copied().enumerate().filter(|(_, a)| !owned.contains(a)).collect();
        n.category = category.as_str().into();
        n.title = title;
        n.body = body;
        n.expires_on = expires_on;
        n.attachments = serde_json::to_string(&kept).unwrap_or_else(|_| "[]".into());
        let mut tx = self.store.begin().await?;
        Store::save_notice(&mut tx, &n).await.map_err(|e| changed_meanwhile(e, "公告"))?;
        self.claim_participation_files(
            &mut tx,
            actor,
            "attachments",
            &fresh,
            FileOwner { kind: "notice", id: n.id, region: &n.region_code },
        )
        .await?;
        Store::insert_notice_revision(&mut tx, &n, &actor.username, "update").await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "update",
                object: &format!("notice:{id}"),
                reason: None,
                region_code: Some(&n.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.notice_detail(actor, id).await
    }

    /// Publishes, withdraws, pins or unpins a notice.
    pub async fn act_on_notice(&self, actor: &Actor, id: i64, input: NoticeActionInput) -> Result<NoticeDetail> {
        let mut n = self.notice_for(actor, id).await?;
        let action = NoticeAction::parse("action", input.action.trim())?;
        self.authorize(actor, Permission::PublishNotices, &n.region_code)?;
        if input.version.is_some_and(|v| v != n.version) {
            return Err(changed_meanwhile(StoreError::Conflict(String::new()), "公告"));
        }
        let (status, pinned) =
            notice_plan(action, status_of(&n), n.pinned).map_err(|r| refused(r, action.label_zh()))?;
        if action == NoticeAction::Publish {
            n.published_at = Some(now_ms());
        }
        n.status = status.as_str().into();
        n.pinned = pinned;
        let mut tx = self.store.begin().await?;
        Store::save_notice(&mut tx, &n).await.map_err(|e| changed_meanwhile(e, "公告"))?;
        Store::insert_notice_revision(&mut tx, &n, &actor.username, action.as_str()).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: action.as_str(),
                object: &format!("notice:{id}"),
                reason: None,
                region_code: Some(&n.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.notice_detail(actor, id).await
    }
}
