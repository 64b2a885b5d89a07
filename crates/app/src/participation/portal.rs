//! What a community's public portal (`/p/{code}`) shows without login: its notices and those of its street and
//! district, the approved entries and totals of its co-building fund, polls that are open and the results of closed
//! ones, and its happiness index over the rounds.
//!
//! Built field by field from what was published: never a voter, a free-text answer, a voucher, a staff username, a
//! 身份证号 or a phone — only what a notice or a ledger entry itself states.

use super::fmt;
use super::ledger::{LedgerSummary, status_of};
use super::notices::{file_ids, lists_file};
use super::polls::{HappinessRound, QuestionResult, effective, with_ancestors};
use crate::paging::{self, Page};
use crate::people::today;
use crate::{App, AppError, Result};
use serde::Serialize;
use wangge_domain::participation::{
    LedgerDirection, LedgerStatus, NoticeCategory, PollKind, PollStatus, ledger_category_label,
};
use wangge_domain::region::RegionLevel;
use wangge_store::participation::{LedgerFilter, NoticeRow, PollFilter, PollRow, PortalNotices};
use wangge_store::{StoreError, now_ms};

/// Most entries a public ledger page lists for one year.
const LEDGER_SHOWN: i64 = 500;
/// Notices on a community's home page.
const HOME_NOTICES: i64 = 8;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PortalCommunity {
    pub code: String,
    pub name: String,
    pub street_code: String,
    pub street_name: String,
    pub district_name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PortalLink {
    pub code: String,
    pub name: String,
}

/// A street with its communities, for the index of portals.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PortalStreet {
    pub code: String,
    pub name: String,
    pub district_name: String,
    pub communities: Vec<PortalLink>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicFile {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicRevision {
    pub at: String,
    /// `publish` (first published or published again) | `update` (the published text changed).
    pub action: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicNotice {
    pub id: i64,
    /// Who published it: the community, or its street or district.
    pub scope_code: String,
    pub scope_name: String,
    pub category: String,
    pub category_name: String,
    pub title: String,
    pub body: String,
    pub pinned: bool,
    pub published_at: Option<String>,
    pub expires_on: Option<String>,
    pub attachments: Vec<PublicFile>,
    /// When each published text was published.
    pub history: Vec<PublicRevision>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicLedgerEntry {
    pub id: i64,
    pub occurred_on: String,
    pub direction: String,
    pub direction_name: String,
    pub category: String,
    pub category_name: String,
    pub counterparty: String,
    pub summary: String,
    /// Yuan; negative on a reversal (红字冲销).
    pub amount: f64,
    pub reverses_id: Option<i64>,
    /// Reversed later by this entry.
    pub reversed_by: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicLedger {
    pub community: PortalCommunity,
    pub summary: LedgerSummary,
    /// The year's approved entries, newest first.
    pub entries: Vec<PublicLedgerEntry>,
    /// More entries than listed.
    pub truncated: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicPoll {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub scope_name: String,
    /// `open` | `closed`.
    pub status: String,
    pub status_name: String,
    pub closes_at: Option<String>,
    pub closed_at: Option<String>,
    pub min_age: Option<i64>,
    pub ballots: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicPolls {
    pub community: PortalCommunity,
    /// Residents sign in to vote.
    pub open: Vec<PublicPoll>,
    /// Closed, with public results.
    pub closed: Vec<PublicPoll>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicPollResults {
    pub community: PortalCommunity,
    pub poll: PublicPoll,
    /// Counts per question once the poll closed (free texts only counted, never shown); null while open.
    pub questions: Option<Vec<QuestionResult>>,
    pub online: i64,
    pub paper: i64,
}

/// A community's home page (`/p/{code}`).
#[derive(Debug, Clone, Serialize)]
pub struct PortalHome {
    pub community: PortalCommunity,
    pub notices: Page<PublicNotice>,
    pub fund: LedgerSummary,
    pub polls: PublicPolls,
    pub happiness: PublicHappiness,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicHappiness {
    pub community: PortalCommunity,
    /// Closed rounds with answers from this community, oldest first.
    pub rounds: Vec<HappinessRound>,
}

fn public_status(p: &PollRow) -> PollStatus {
    effective(p, now_ms())
}

impl App {
    /// The name of the community, its street or district without asking the database again (a grid's by query).
    async fn scope_name(&self, c: &PortalCommunity, code: &str) -> Result<String> {
        if code == c.code {
            Ok(c.name.clone())
        } else if code == c.street_code {
            Ok(c.street_name.clone())
        } else if code.len() == 6 && c.code.starts_with(code) {
            Ok(c.district_name.clone())
        } else {
            self.region_name(code).await
        }
    }

    /// The community a portal shows: 404 for any code that is not a community.
    pub async fn portal_community(&self, code: &str) -> Result<PortalCommunity> {
        let code = code.trim();
        let not_found = || AppError::not_found(&format!("community {code}"));
        if code.is_empty() || code.len() > 20 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_found());
        }
        let r = self
            .store
            .region(code)
            .await?
            .filter(|r| r.region.level == RegionLevel::Community)
            .ok_or_else(not_found)?;
        let street_code = r.region.parent_code.clone().unwrap_or_default();
        let district = code.get(..6).unwrap_or_default();
        Ok(PortalCommunity {
            street_name: self.region_name(&street_code).await?,
            district_name: self.region_name(district).await?,
            street_code,
            code: r.region.code,
            name: r.region.name,
        })
    }

    /// The streets and their communities of the whole system, or of one district or street (404 for any other
    /// code).
    pub async fn portal_index(&self, code: Option<&str>) -> Result<Vec<PortalStreet>> {
        if let Some(c) = code {
            let ok = c.bytes().all(|b| b.is_ascii_digit()) && !c.is_empty();
            let level = if ok { self.store.region(c).await?.map(|r| r.region.level) } else { None };
            if !matches!(level, Some(RegionLevel::District | RegionLevel::Street)) {
                return Err(AppError::not_found(&format!("region {c}")));
            }
        }
        let regions = self.store.portal_regions(code).await?;
        let name_of = |c: &str| regions.iter().find(|r| r.0 == c).map(|r| r.1.clone()).unwrap_or_default();
        let mut out: Vec<PortalStreet> = Vec::new();
        for (c, name, level) in &regions {
            match level.as_str() {
                "street" => out.push(PortalStreet {
                    code: c.clone(),
                    name: name.clone(),
                    district_name: name_of(c.get(..6).unwrap_or_default()),
                    communities: Vec::new(),
                }),
                "community" => {
                    if let Some(s) = out.iter_mut().rev().find(|s| c.starts_with(&s.code)) {
                        s.communities.push(PortalLink { code: c.clone(), name: name.clone() });
                    }
                }
                _ => {}
            }
        }
        out.retain(|s| !s.communities.is_empty());
        Ok(out)
    }

    fn public_notice(
        &self,
        n: &NoticeRow,
        scope_name: String,
        files: Vec<PublicFile>,
        history: Vec<PublicRevision>,
    ) -> PublicNotice {
        PublicNotice {
            id: n.id,
            scope_code: n.region_code.clone(),
            scope_name,
            category: n.category.clone(),
            category_name: NoticeCategory::parse("category", &n.category).map(|c| c.label_zh()).unwrap_or("").into(),
            title: n.title.clone(),
            body: n.body.clone(),
            pinned: n.pinned,
            published_at: n.published_at.map(fmt),
            expires_on: n.expires_on.clone(),
            attachments: files,
            history,
        }
    }

    fn portal_filter(community: &PortalCommunity, category: Option<String>) -> PortalNotices {
        PortalNotices {
            regions: with_ancestors(&community.code),
            today: today().format("%Y-%m-%d").to_string(),
            category,
        }
    }

    /// Published notices of the community and of its street and district, pinned first, then the latest
    /// (`cursor` is an offset).
    pub async fn portal_notices(
        &self,
        code: &str,
        category: Option<&str>,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Page<PublicNotice>> {
        let community = self.portal_community(code).await?;
        self.notices_of(&community, category, cursor, limit).await
    }

    async fn notices_of(
        &self,
        community: &PortalCommunity,
        category: Option<&str>,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Page<PublicNotice>> {
        let category = category
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| NoticeCategory::parse("category", c).map(|c| c.as_str().to_string()))
            .transpose()?;
        let limit = paging::limit(limit)?;
        let offset = paging::int_cursor(cursor)?.unwrap_or(0).max(0);
        let (rows, total) = self.store.portal_notices(&Self::portal_filter(community, category), offset, limit).await?;
        let mut items = Vec::with_capacity(rows.len());
        for n in &rows {
            let files = self.public_files(&community.code, n).await?;
            items.push(self.public_notice(n, self.scope_name(community, &n.region_code).await?, files, Vec::new()));
        }
        let next = offset + items.len() as i64;
        let mut page = paging::page(items, limit, total, |_| next.to_string());
        if next >= total {
            page.next_cursor = None;
        }
        Ok(page)
    }

    async fn public_files(&self, community: &str, n: &NoticeRow) -> Result<Vec<PublicFile>> {
        let listed = file_ids(n);
        if listed.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .participation_files("notice", n.id)
            .await?
            .into_iter()
            .filter(|a| listed.contains(&a.id))
            .map(|a| PublicFile {
                url: format!("/api/v1/public/{community}/files/{}", a.id),
                id: a.id,
                name: a.name,
                content_type: a.content_type,
                size: a.size,
            })
            .collect())
    }

    /// A notice as the portal shows it, with when each published text was published (404 unless it shows on this
    /// community's portal now).
    pub async fn portal_notice(&self, code: &str, id: i64) -> Result<PublicNotice> {
        let community = self.portal_community(code).await?;
        let not_found = || AppError::not_found(&format!("notice {id}"));
        let n = self.store.notice(id).await.map_err(|e| match e {
            StoreError::NotFound => not_found(),
            e => e.into(),
        })?;
        if !self.shows_on_portal(&community, &n) {
            return Err(not_found());
        }
        let mut history = Vec::new();
        let mut was_published = false;
        for r in self.store.notice_revisions(id).await? {
            let published = r.status == "published";
            let action = match (r.action.as_str(), published, was_published) {
                ("publish", true, _) => Some("publish"),
                ("update", true, true) => Some("update"),
                _ => None,
            };
            if let Some(a) = action {
                history.push(PublicRevision { at: fmt(r.at), action: a.into(), title: r.title.clone() });
            }
            was_published = published;
        }
        let files = self.public_files(&community.code, &n).await?;
        Ok(self.public_notice(&n, self.scope_name(&community, &n.region_code).await?, files, history))
    }

    fn shows_on_portal(&self, community: &PortalCommunity, n: &NoticeRow) -> bool {
        let today = today().format("%Y-%m-%d").to_string();
        n.status == "published"
            && with_ancestors(&community.code).contains(&n.region_code)
            && wangge_domain::participation::notice_current(n.expires_on.as_deref(), &today)
    }

    /// A file of a notice shown on the portal (404 otherwise: drafts', withdrawn notices' and vouchers' files are
    /// never public).
    pub async fn portal_file(&self, code: &str, attachment_id: i64) -> Result<(String, Vec<u8>)> {
        let community = self.portal_community(code).await?;
        let not_found = || AppError::not_found("file");
        let Some((kind, owner, _)) = self.store.participation_file(attachment_id).await? else {
            return Err(not_found());
        };
        if kind != "notice" {
            return Err(not_found());
        }
        let n = self.store.notice(owner).await?;
        if !self.shows_on_portal(&community, &n) || !lists_file(&n, attachment_id) {
            return Err(not_found());
        }
        let a = self.store.attachment(attachment_id).await.map_err(|_| not_found())?;
        let (key, ct) = (a.path.clone(), a.content_type.clone());
        let bytes = self
            .blobs()
            .get(&key)
            .await
            .map_err(|e| AppError::unavailable("file store", format!("reading attachment {attachment_id}: {e}")))?;
        Ok((ct, bytes))
    }

    /// The community's fund: totals of every year, the chosen year (default this year) by category and month, and
    /// its approved entries.
    pub async fn portal_ledger(&self, code: &str, year: Option<i64>) -> Result<PublicLedger> {
        let community = self.portal_community(code).await?;
        let roots = vec![community.code.clone()];
        let summary = self.ledger_summary_of(Some(&roots), (&community.code, &community.name), year).await?;
        let filter = LedgerFilter {
            roots: Some(roots),
            year: Some(summary.year),
            status: Some(LedgerStatus::Approved.as_str().into()),
            ..Default::default()
        };
        let (rows, total) = self.store.ledger_entries(&filter, None, LEDGER_SHOWN).await?;
        let entries = rows
            .iter()
            .filter(|e| status_of(e) == LedgerStatus::Approved)
            .map(|e| {
                let d = LedgerDirection::parse("direction", &e.direction).unwrap_or(LedgerDirection::Income);
                PublicLedgerEntry {
                    id: e.id,
                    occurred_on: e.occurred_on.clone(),
                    direction: e.direction.clone(),
                    direction_name: d.label_zh().into(),
                    category: e.category.clone(),
                    category_name: ledger_category_label(&e.category).0.into(),
                    counterparty: e.counterparty.clone(),
                    summary: e.summary.clone(),
                    amount: super::yuan(e.amount_fen),
                    reverses_id: e.reverses_id,
                    reversed_by: e.reversed_by,
                }
            })
            .collect();
        Ok(PublicLedger { community, summary, entries, truncated: total > LEDGER_SHOWN })
    }

    async fn public_poll(&self, c: &PortalCommunity, p: &PollRow, ballots: i64) -> Result<PublicPoll> {
        let status = public_status(p);
        Ok(PublicPoll {
            id: p.id,
            kind: p.kind.clone(),
            title: p.title.clone(),
            description: p.description.clone(),
            scope_name: self.scope_name(c, &p.region_code).await?,
            status: status.as_str().into(),
            status_name: status.label_zh().into(),
            closes_at: p.closes_at.map(fmt),
            closed_at: p.closed_at.or(p.closes_at.filter(|_| status == PollStatus::Closed)).map(fmt),
            min_age: p.min_age,
            ballots,
        })
    }

    /// Polls for the community's residents: those open now (to sign in and vote) and closed ones with public
    /// results, newest first.
    pub async fn portal_polls(&self, code: &str) -> Result<PublicPolls> {
        let community = self.portal_community(code).await?;
        self.polls_of(community).await
    }

    async fn polls_of(&self, community: PortalCommunity) -> Result<PublicPolls> {
        let filter = PollFilter {
            roots: Some(vec![community.code.clone()]),
            covering: with_ancestors(&community.code),
            statuses: vec!["open".into(), "closed".into()],
            ..Default::default()
        };
        let (rows, _) = self.store.polls(&filter, None, 100).await?;
        let counts = self.ballot_counts(&rows).await?;
        let (mut open, mut closed) = (Vec::new(), Vec::new());
        for p in &rows {
            let view = self.public_poll(&community, p, counts.get(&p.id).copied().unwrap_or(0)).await?;
            match public_status(p) {
                PollStatus::Open => open.push(view),
                PollStatus::Closed if p.results_public => closed.push(view),
                _ => {}
            }
        }
        Ok(PublicPolls { community, open, closed })
    }

    /// One poll on the portal: its counts once closed (free texts never shown), nothing but its description while
    /// open; 404 for drafts, polls of other regions and results kept internal.
    pub async fn portal_poll(&self, code: &str, id: i64) -> Result<PublicPollResults> {
        let community = self.portal_community(code).await?;
        let not_found = || AppError::not_found(&format!("poll {id}"));
        let p = self.store.poll(id).await.map_err(|_| not_found())?;
        let here =
            with_ancestors(&community.code).contains(&p.region_code) || p.region_code.starts_with(&community.code);
        let status = public_status(&p);
        if !here || status == PollStatus::Draft || (status == PollStatus::Closed && !p.results_public) {
            return Err(not_found());
        }
        let (t, questions) = self.counts_of(&p, false).await?;
        let poll = self.public_poll(&community, &p, t.ballots).await?;
        let closed = status == PollStatus::Closed;
        Ok(PublicPollResults {
            community,
            poll,
            questions: closed.then_some(questions),
            online: t.online,
            paper: t.paper,
        })
    }

    /// The community's happiness index over the closed rounds with public results.
    pub async fn portal_happiness(&self, code: &str) -> Result<PublicHappiness> {
        let community = self.portal_community(code).await?;
        self.happiness_of(community).await
    }

    async fn happiness_of(&self, community: PortalCommunity) -> Result<PublicHappiness> {
        let rounds = self.happiness_rounds(&community.code, true).await?;
        Ok(PublicHappiness { rounds: Self::rounds_for(&rounds, &community.code), community })
    }

    /// Everything a community's home page shows, in one call: the latest notices (pinned first), this year's fund
    /// totals by month, the polls, the happiness rounds.
    pub async fn portal_home(&self, code: &str) -> Result<PortalHome> {
        let community = self.portal_community(code).await?;
        let notices = self.notices_of(&community, None, None, Some(HOME_NOTICES)).await?;
        let roots = vec![community.code.clone()];
        let fund = self.ledger_summary_of(Some(&roots), (&community.code, &community.name), None).await?;
        let polls = self.polls_of(community.clone()).await?;
        let happiness = self.happiness_of(community.clone()).await?;
        Ok(PortalHome { community, notices, fund, polls, happiness })
    }

    /// Whether a poll kind is the happiness survey (for labels).
    pub fn is_happiness(kind: &str) -> bool {
        kind == PollKind::Happiness.as_str()
    }
}
