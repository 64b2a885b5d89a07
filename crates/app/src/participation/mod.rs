//! Participation and transparency (居务公开与民意, issue #9): notices (公开公告), the co-building fund ledger
//! (共建资金台账, 阳光管理), polls and surveys (民意调查) with the resident happiness index (居民幸福系数), and the public
//! portal of each community that shows what was published, without login.
//!
//! Scope: staff read in their subtree with `ReadParticipation` (leaders too, read-only) and write with
//! `PublishNotices`, `KeepLedger`, `ApproveLedger`, `ManagePolls`; grid staff record paper ballots
//! (`RecordPaperBallots`). Residents vote as the person of the register their account is tied to
//! (`App::resident_person`). The portal reads only published records and shows nothing of a person beyond what a
//! notice or ledger entry itself states.

mod demo;
pub mod ledger;
pub mod notices;
pub mod polls;
pub mod portal;

use crate::audit::format_time;
use crate::{App, AppError, ErrorKind, Result};
use wangge_domain::region::RegionLevel;
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::regions::RegionRow;
use wangge_store::{Any, Store, StoreError, Transaction};

pub(crate) fn fmt(ms: i64) -> String {
    format_time(ms)
}

/// Fen → yuan.
pub(crate) fn yuan(fen: i64) -> f64 {
    fen as f64 / 100.0
}

/// Maps a store conflict on a versioned record to the message users see.
pub(crate) fn changed_meanwhile(e: StoreError, what: &str) -> AppError {
    match e {
        StoreError::Conflict(_) => {
            AppError::conflict(format!("{what}已被他人修改，请刷新 / the {what} changed meanwhile; reload it"))
        }
        e => e.into(),
    }
}

/// A refusal of a domain rule as the API error it is.
pub(crate) fn refused(r: wangge_domain::participation::Refusal, doing: &str) -> AppError {
    use wangge_domain::participation::Refusal;
    match r {
        Refusal::State(s) => AppError::conflict(format!("当前为“{s}”，不能{doing} / not possible in this state ({s})")),
        Refusal::Rule(field, msg) => AppError::rule(field, msg),
    }
}

/// Hides "outside your scope" behind "no such record", as every read does.
pub(crate) fn hide(e: AppError, what: &str) -> AppError {
    if e.kind == ErrorKind::NotFound { AppError::not_found(what) } else { e }
}

/// The notice or ledger entry that claims uploads.
pub(crate) struct FileOwner<'a> {
    /// `notice` | `ledger`.
    pub kind: &'a str,
    pub id: i64,
    pub region: &'a str,
}

impl App {
    /// The region a record is written for: it must exist, be one of `levels`, and lie in the caller's scope for
    /// `perm` (outside: the field is named as not found, so nobody learns what exists elsewhere).
    pub(crate) async fn participation_region(
        &self,
        actor: &Actor,
        perm: Permission,
        field: &str,
        code: &str,
        levels: &[RegionLevel],
    ) -> Result<RegionRow> {
        let code = code.trim();
        if code.is_empty() {
            return Err(AppError::field(field, "请选择区域 / choose a region"));
        }
        let not_found = || AppError::field(field, format!("区域不存在 / no such region: {code}"));
        let region = self.store.region(code).await?.ok_or_else(not_found)?;
        self.authorize(actor, perm, code).map_err(|e| if e.kind == ErrorKind::NotFound { not_found() } else { e })?;
        if !levels.contains(&region.region.level) {
            let names: Vec<&str> = levels
                .iter()
                .map(|l| match l {
                    RegionLevel::District => "区/县",
                    RegionLevel::Street => "镇/街道",
                    RegionLevel::Community => "社区/村",
                    RegionLevel::Grid => "网格",
                })
                .collect();
            return Err(AppError::field(
                field,
                format!("应为{}的编码 / not a region of the right level", names.join("或")),
            ));
        }
        Ok(region)
    }

    /// A region's name (empty when unknown).
    pub(crate) async fn region_name(&self, code: &str) -> Result<String> {
        Ok(self.store.region(code).await?.map(|r| r.region.name).unwrap_or_default())
    }

    /// Claims the caller's uploads for a notice or ledger entry inside `tx`; an id that is not the caller's unused
    /// upload is named as `attachments[i]` (or `vouchers[i]`).
    pub(crate) async fn claim_participation_files(
        &self,
        tx: &mut Transaction<'static, Any>,
        actor: &Actor,
        field: &str,
        ids: &[(usize, i64)],
        owner: FileOwner<'_>,
    ) -> Result<()> {
        let FileOwner { kind, id: owner, region } = owner;
        let uploader = crate::attachments::uploader_key(actor);
        for (i, id) in ids {
            Store::claim_participation_file(tx, *id, &uploader, kind, owner, region).await.map_err(|e| match e {
                StoreError::NotFound => AppError::field(
                    &format!("{field}[{i}]"),
                    "文件不存在或不是您上传的 / no such upload of yours, or it is already used",
                ),
                e => e.into(),
            })?;
        }
        Ok(())
    }

    /// Whether `actor` may fetch an upload that a notice or ledger entry owns: `None` when neither owns it (the
    /// caller's usual rules apply), `Some(true)` for whoever reads participation in its region or, for a
    /// published notice that lists it, anyone signed in.
    pub(crate) async fn participation_file_access(&self, actor: &Actor, attachment_id: i64) -> Result<Option<bool>> {
        let Some((kind, owner, region)) = self.store.participation_file(attachment_id).await? else {
            return Ok(None);
        };
        if actor.may(Permission::ReadParticipation, &region) {
            return Ok(Some(true));
        }
        if kind == "notice" {
            let n = self.store.notice(owner).await?;
            return Ok(Some(notices::lists_file(&n, attachment_id) && n.status == "published"));
        }
        Ok(Some(false))
    }
}
