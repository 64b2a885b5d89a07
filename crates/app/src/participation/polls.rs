//! Polls and surveys (民意调查) and the happiness index (居民幸福系数). Staff write a poll for a region (single and
//! multiple choice, scale and free-text questions), open and close it; residents of that region vote as the person
//! of the register their account is tied to, once (a keyed hash of person and poll refuses a second ballot, even
//! two at once); staff record paper ballots collected door to door for a named person, counted the same way and
//! marked as paper. A ballot is not stored: its choices are added to counters per voter's community and channel,
//! and its free texts are kept under random tokens, so no readable view links a vote to a person.
//!
//! A happiness round is a poll of the seven dimensions (安全、救助、就业、健康、人居、教育、文化) on a 1–5 scale; each
//! community's score per dimension is (mean − 1) / 4 × 100, the index their mean, and the weakest dimension is
//! named with what the community's plan could do about it.

use super::{changed_meanwhile, fmt, hide, refused};
use crate::paging::{self, Page};
use crate::people::{age_on, parse_date, text_field, today};
use crate::{App, AppError, ErrorKind, Result};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use wangge_domain::event::calendar::cst_day_start_ms;
use wangge_domain::participation::{
    self as rules, Answer, BALLOT_CELL, BallotChannel, HappinessDimension, PollAction, PollKind, PollStatus, Question,
    QuestionKind,
};
use wangge_domain::region::{RegionLevel, ancestor, is_within};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::participation::{PollFilter, PollRow, TallyCell};
use wangge_store::people::PersonRow;
use wangge_store::{Store, StoreError, now_ms};

/// Free-text answers a results view shows per question.
const TEXTS_SHOWN: i64 = 200;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PollInput {
    /// Who may vote: residents living in this region (a grid, community, street or district).
    pub region_code: String,
    /// `survey` (default) or `happiness` (the seven dimensions; `questions` must then be empty).
    pub kind: Option<String>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// `[{"kind": "single"|"multiple"|"scale"|"text", "text", "options": [..], "scale_min", "scale_max",
    /// "min_label", "max_label", "max_choices", "required"}]`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<Question>,
    /// Only residents of at least this age vote (e.g. 18 for a 表决).
    pub min_age: Option<i64>,
    /// The last day of voting (`YYYY-MM-DD`, China time); none: until closed by hand.
    pub closes_on: Option<String>,
    /// Results on the public portal once closed (default true).
    pub results_public: Option<bool>,
    /// Open it at once (default: a draft).
    #[serde(default)]
    pub open: bool,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PollUpdate {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Only while a draft (the questions of an opened poll never change).
    #[schema(value_type = Option<Vec<Object>>)]
    pub questions: Option<Vec<Question>>,
    pub min_age: Option<i64>,
    pub closes_on: Option<String>,
    pub results_public: Option<bool>,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PollActionInput {
    /// `open` | `close`.
    pub action: String,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BallotInput {
    /// One per question, in order: a number (single choice: the option's index; scale: the score), a list of
    /// numbers (multiple choice), a string (free text), or null to skip an optional question.
    #[schema(value_type = Vec<Object>)]
    pub answers: Vec<Value>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaperBallotInput {
    /// The register person who filled in the paper (checked like an online voter: living in the poll's region,
    /// old enough, not voted yet), by id …
    pub person_id: Option<i64>,
    /// … or by 身份证号 (as written on the paper form).
    pub id_number: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub answers: Vec<Value>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PollView {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    pub kind: String,
    pub kind_name: String,
    pub title: String,
    pub description: String,
    /// `draft` | `open` | `closed` (an open poll past its last day is closed).
    pub status: String,
    pub status_name: String,
    pub closes_at: Option<String>,
    pub opened_at: Option<String>,
    pub closed_at: Option<String>,
    pub min_age: Option<i64>,
    pub results_public: bool,
    pub ballots: i64,
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<Question>,
    pub created_by: String,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PollDetail {
    #[serde(flatten)]
    pub poll: PollView,
    /// Actions the caller may take now: `open`, `close`, `edit`, `paper`.
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OptionResult {
    pub label: String,
    pub count: i64,
    /// count / answered (0–1).
    pub share: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionResult {
    pub index: usize,
    pub kind: String,
    pub text: String,
    pub answered: i64,
    /// Choices, or scale values lowest first.
    pub options: Vec<OptionResult>,
    /// Scale questions: the mean score.
    pub mean: Option<f64>,
    /// Free texts (staff only; never on the portal), in no particular order.
    pub texts: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommunityCount {
    pub code: String,
    pub name: String,
    pub ballots: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DimensionScore {
    pub code: String,
    pub name: String,
    /// 0–100; null without answers.
    pub score: Option<f64>,
    pub answered: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HappinessScores {
    pub ballots: i64,
    /// The mean of the dimension scores (0–100).
    pub index: Option<f64>,
    pub dimensions: Vec<DimensionScore>,
    /// The lowest-scoring dimension, for the community's plan.
    pub weakest: Option<DimensionScore>,
    /// What the plan could do about it.
    pub advice: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PollResults {
    pub poll: PollView,
    pub ballots: i64,
    pub online: i64,
    pub paper: i64,
    /// Ballots by the voters' community.
    pub communities: Vec<CommunityCount>,
    pub questions: Vec<QuestionResult>,
    /// Happiness rounds: the scores over all voters.
    pub happiness: Option<HappinessScores>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BallotReceipt {
    pub poll_id: i64,
    /// `online` | `paper`.
    pub channel: String,
    pub counted: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResidentPoll {
    #[serde(flatten)]
    pub poll: PollView,
    pub voted: bool,
    /// Whether the resident may vote now (open, old enough, not voted).
    pub may_vote: bool,
    /// Why not, when not.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HappinessRound {
    pub poll_id: i64,
    pub title: String,
    /// The day the round closed (or opened, while open).
    pub date: Option<String>,
    pub status: String,
    pub scores: HappinessScores,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommunityHappiness {
    pub code: String,
    pub name: String,
    /// Oldest first.
    pub rounds: Vec<HappinessRound>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HappinessTrend {
    pub region_code: String,
    pub region_name: String,
    pub communities: Vec<CommunityHappiness>,
}

/// One ballot for [`App::load_ballots`].
#[derive(Debug, Clone)]
pub struct LoadedBallot {
    pub person_id: i64,
    pub community_code: String,
    pub answers: Vec<Value>,
    pub channel: BallotChannel,
}

#[derive(Debug, Clone, Default)]
pub struct PollQuery<'a> {
    pub region: Option<&'a str>,
    pub status: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub limit: Option<i64>,
}

pub(crate) fn questions_of(p: &PollRow) -> Vec<Question> {
    serde_json::from_str(&p.questions).unwrap_or_default()
}

pub(crate) fn effective(p: &PollRow, now: i64) -> PollStatus {
    let s = PollStatus::parse("status", &p.status).unwrap_or(PollStatus::Draft);
    rules::effective_status(s, p.closes_at, now)
}

/// The codes of a region and its ancestors (district, street, community; the grid itself).
pub(crate) fn with_ancestors(code: &str) -> Vec<String> {
    let mut out: Vec<String> = [RegionLevel::District, RegionLevel::Street, RegionLevel::Community]
        .iter()
        .filter_map(|l| ancestor(code, *l))
        .filter(|a| a.len() < code.len())
        .collect();
    out.push(code.to_string());
    out
}

fn closes_at(s: Option<&str>) -> Result<Option<i64>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => {
            let d = parse_date("closes_on", s)?;
            if d < today() {
                return Err(AppError::field("closes_on", "截止日期已过 / the last day has passed"));
            }
            Ok(Some(cst_day_start_ms(d + Duration::days(1))))
        }
    }
}

fn min_age(v: Option<i64>) -> Result<Option<i64>> {
    match v {
        Some(a) if !(0..=120).contains(&a) => {
            Err(AppError::field("min_age", "年龄应在0到120之间 / an age from 0 to 120"))
        }
        Some(0) | None => Ok(None),
        a => Ok(a),
    }
}

/// Ballots and per-question cells of some tally cells (all communities, both channels).
pub(crate) struct Tallies {
    pub(crate) ballots: i64,
    pub(crate) online: i64,
    pub(crate) paper: i64,
    communities: BTreeMap<String, i64>,
    cells: HashMap<i64, Vec<(i64, i64)>>,
}

fn tallies(cells: &[TallyCell]) -> Tallies {
    let mut t = Tallies { ballots: 0, online: 0, paper: 0, communities: BTreeMap::new(), cells: HashMap::new() };
    for (community, channel, q, choice, n) in cells {
        if *q == BALLOT_CELL {
            t.ballots += n;
            if channel == BallotChannel::Paper.as_str() {
                t.paper += n;
            } else {
                t.online += n;
            }
            *t.communities.entry(community.clone()).or_default() += n;
        } else {
            t.cells.entry(*q).or_default().push((*choice, *n));
        }
    }
    t
}

/// The happiness scores of a round's questions over some tallies.
pub(crate) fn happiness_scores(questions: &[Question], t: &TalliesRef<'_>) -> HappinessScores {
    let mut dims = Vec::new();
    let mut pairs = Vec::new();
    for (i, d) in HappinessDimension::ALL.iter().enumerate() {
        let Some(q) = questions.get(i).filter(|q| q.kind() == QuestionKind::Scale) else { continue };
        let c = rules::question_counts(q, t.cells(i as i64));
        let (lo, hi) = q.bounds();
        let score = c.mean.map(|m| rules::dimension_score(m, lo, hi));
        pairs.push((*d, score));
        dims.push(DimensionScore { code: d.as_str().into(), name: d.label_zh().into(), score, answered: c.answered });
    }
    let (index, weakest) = rules::happiness_index(&pairs);
    let weakest_view = weakest.and_then(|w| dims.iter().find(|d| d.code == w.as_str()).cloned());
    HappinessScores {
        ballots: t.ballots,
        index,
        dimensions: dims,
        advice: weakest.map(|w| rules::happiness_advice(w).to_string()),
        weakest: weakest_view,
    }
}

/// Tally cells grouped by question, borrowed.
pub(crate) struct TalliesRef<'a> {
    ballots: i64,
    cells: &'a HashMap<i64, Vec<(i64, i64)>>,
}

impl TalliesRef<'_> {
    fn cells(&self, q: i64) -> &[(i64, i64)] {
        self.cells.get(&q).map(Vec::as_slice).unwrap_or(&[])
    }
}

impl Tallies {
    fn borrow(&self) -> TalliesRef<'_> {
        TalliesRef { ballots: self.ballots, cells: &self.cells }
    }
}

impl App {
    /// A poll the caller may read as staff: in their subtree, or covering it (a community poll for a grid worker
    /// of that community, who collects its paper ballots). 404 otherwise.
    pub(crate) async fn poll_for(&self, actor: &Actor, id: i64) -> Result<PollRow> {
        let p = self.store.poll(id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::not_found(&format!("poll {id}")),
            e => e.into(),
        })?;
        if self.covers(actor, &p.region_code) {
            return Ok(p);
        }
        self.authorize(actor, Permission::ReadParticipation, &p.region_code)
            .map_err(|e| hide(e, &format!("poll {id}")))?;
        Ok(p)
    }

    /// Whether the caller reads participation in `region` or in a subtree below it.
    fn covers(&self, actor: &Actor, region: &str) -> bool {
        actor.may(Permission::ReadParticipation, region)
            || actor.roots(Permission::ReadParticipation).is_some_and(|r| r.iter().any(|root| is_within(root, region)))
    }

    pub(crate) async fn poll_view(&self, p: &PollRow, ballots: Option<i64>) -> Result<PollView> {
        let status = effective(p, now_ms());
        let kind = PollKind::parse("kind", &p.kind).unwrap_or(PollKind::Survey);
        let ballots = match ballots {
            Some(b) => b,
            None => {
                tallies(&self.store.poll_tallies(&[p.id], None).await?.into_iter().map(|c| c.1).collect::<Vec<_>>())
                    .ballots
            }
        };
        Ok(PollView {
            id: p.id,
            region_code: p.region_code.clone(),
            region_name: self.region_name(&p.region_code).await?,
            kind: kind.as_str().into(),
            kind_name: kind.label_zh().into(),
            title: p.title.clone(),
            description: p.description.clone(),
            status: status.as_str().into(),
            status_name: status.label_zh().into(),
            closes_at: p.closes_at.map(fmt),
            opened_at: p.opened_at.map(fmt),
            closed_at: p.closed_at.or(p.closes_at.filter(|_| status == PollStatus::Closed)).map(fmt),
            min_age: p.min_age,
            results_public: p.results_public,
            ballots,
            questions: questions_of(p),
            created_by: p.created_by.clone(),
            version: p.version,
        })
    }

    fn poll_actions(&self, actor: &Actor, p: &PollRow) -> Vec<String> {
        let status = effective(p, now_ms());
        let mut out = Vec::new();
        if actor.may(Permission::ManagePolls, &p.region_code) {
            for a in PollAction::ALL {
                if rules::poll_plan(*a, status).is_ok() {
                    out.push(a.as_str().to_string());
                }
            }
            if status != PollStatus::Closed {
                out.push("edit".into());
            }
        }
        if status == PollStatus::Open
            && actor.may_somewhere(Permission::RecordPaperBallots)
            && self.covers(actor, &p.region_code)
        {
            out.push("paper".into());
        }
        out
    }

    pub async fn poll_detail(&self, actor: &Actor, id: i64) -> Result<PollDetail> {
        let p = self.poll_for(actor, id).await?;
        Ok(PollDetail { poll: self.poll_view(&p, None).await?, actions: self.poll_actions(actor, &p) })
    }

    pub async fn list_polls(&self, actor: &Actor, q: PollQuery<'_>) -> Result<Page<PollView>> {
        self.authorize_anywhere(actor, Permission::ReadParticipation)?;
        let (roots, covering) = match q.region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                self.authorize(actor, Permission::ReadParticipation, r)?;
                (Some(vec![r.to_string()]), with_ancestors(r))
            }
            None => {
                let roots = actor.roots(Permission::ReadParticipation);
                let covering = roots.iter().flatten().flat_map(|r| with_ancestors(r)).collect();
                (roots, covering)
            }
        };
        let statuses = match q.status.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => vec![PollStatus::parse("status", s)?.as_str().to_string()],
            None => Vec::new(),
        };
        let kind = q
            .kind
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| PollKind::parse("kind", k).map(|k| k.as_str().to_string()))
            .transpose()?;
        let limit = paging::limit(q.limit)?;
        let before = paging::int_cursor(q.cursor)?;
        let filter = PollFilter { roots, covering, statuses, kind, ..Default::default() };
        let (rows, total) = self.store.polls(&filter, before, limit).await?;
        let counts = self.ballot_counts(&rows).await?;
        let mut items = Vec::with_capacity(rows.len());
        for p in &rows {
            items.push(self.poll_view(p, Some(counts.get(&p.id).copied().unwrap_or(0))).await?);
        }
        Ok(paging::page(items, limit, total, |p| p.id.to_string()))
    }

    /// Ballots per poll, in one query.
    pub(crate) async fn ballot_counts(&self, rows: &[PollRow]) -> Result<HashMap<i64, i64>> {
        let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
        let mut out = HashMap::new();
        for (poll, (_, _, q, _, n)) in self.store.poll_tallies(&ids, None).await? {
            if q == BALLOT_CELL {
                *out.entry(poll).or_default() += n;
            }
        }
        Ok(out)
    }

    /// Writes a poll (a draft, or open at once); a happiness round gets the seven dimensions' questions.
    pub async fn create_poll(&self, actor: &Actor, input: PollInput) -> Result<PollDetail> {
        self.authorize_anywhere(actor, Permission::ManagePolls)?;
        let levels = [RegionLevel::Grid, RegionLevel::Community, RegionLevel::Street, RegionLevel::District];
        let region = self
            .participation_region(actor, Permission::ManagePolls, "region_code", &input.region_code, &levels)
            .await?;
        let kind = match input.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => PollKind::parse("kind", k)?,
            None => PollKind::Survey,
        };
        let title = text_field("title", &input.title, 100)?;
        if title.is_empty() {
            return Err(AppError::field("title", "请填写标题 / a title is required"));
        }
        let description = crate::disputes::text_block("description", &input.description, 5000)?;
        let questions = match kind {
            PollKind::Happiness if !input.questions.is_empty() => {
                return Err(AppError::field(
                    "questions",
                    "幸福指数调查的问题是固定的 / a happiness round has fixed questions",
                ));
            }
            PollKind::Happiness => rules::happiness_questions(),
            PollKind::Survey => rules::parse_questions(&input.questions)?,
        };
        let now = now_ms();
        let mut p = PollRow {
            region_code: region.region.code.clone(),
            kind: kind.as_str().into(),
            title,
            description,
            questions: serde_json::to_string(&questions).map_err(|e| AppError::internal(e.to_string()))?,
            status: PollStatus::Draft.as_str().into(),
            min_age: min_age(input.min_age)?,
            closes_at: closes_at(input.closes_on.as_deref())?,
            results_public: input.results_public.unwrap_or(true),
            created_by: actor.username.clone(),
            created_at: now,
            ..Default::default()
        };
        let mut tx = self.store.begin().await?;
        p.id = Store::insert_poll(&mut tx, &p).await?;
        if input.open {
            p.status = PollStatus::Open.as_str().into();
            p.opened_at = Some(now);
            p.version = 1;
            Store::save_poll(&mut tx, &p).await?;
        }
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: if input.open { "open" } else { "create" },
                object: &format!("poll:{}", p.id),
                reason: None,
                region_code: Some(&p.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.poll_detail(actor, p.id).await
    }

    /// Edits a poll: everything while a draft; title, description, last day and publicity while open.
    pub async fn update_poll(&self, actor: &Actor, id: i64, input: PollUpdate) -> Result<PollDetail> {
        let mut p = self.poll_for(actor, id).await?;
        self.authorize(actor, Permission::ManagePolls, &p.region_code)?;
        if input.version.is_some_and(|v| v != p.version) {
            return Err(changed_meanwhile(StoreError::Conflict(String::new()), "调查"));
        }
        let status = effective(&p, now_ms());
        if status == PollStatus::Closed {
            return Err(AppError::conflict("调查已结束，不能修改 / the poll is closed"));
        }
        let title = text_field("title", &input.title, 100)?;
        if title.is_empty() {
            return Err(AppError::field("title", "请填写标题 / a title is required"));
        }
        p.title = title;
        p.description = crate::disputes::text_block("description", &input.description, 5000)?;
        if let Some(qs) = &input.questions {
            if status != PollStatus::Draft {
                return Err(AppError::rule("questions", "投票开始后问题不能修改 / questions cannot change once open"));
            }
            if p.kind == PollKind::Happiness.as_str() {
                return Err(AppError::field(
                    "questions",
                    "幸福指数调查的问题是固定的 / a happiness round has fixed questions",
                ));
            }
            p.questions =
                serde_json::to_string(&rules::parse_questions(qs)?).map_err(|e| AppError::internal(e.to_string()))?;
        }
        if status == PollStatus::Draft {
            p.min_age = min_age(input.min_age)?;
        } else if min_age(input.min_age)? != p.min_age {
            return Err(AppError::rule("min_age", "投票开始后年龄要求不能修改 / the age rule cannot change once open"));
        }
        p.closes_at = closes_at(input.closes_on.as_deref())?;
        if let Some(r) = input.results_public {
            p.results_public = r;
        }
        let mut tx = self.store.begin().await?;
        Store::save_poll(&mut tx, &p).await.map_err(|e| changed_meanwhile(e, "调查"))?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "update",
                object: &format!("poll:{id}"),
                reason: None,
                region_code: Some(&p.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.poll_detail(actor, id).await
    }

    /// Opens or closes a poll.
    pub async fn act_on_poll(&self, actor: &Actor, id: i64, input: PollActionInput) -> Result<PollDetail> {
        let mut p = self.poll_for(actor, id).await?;
        let action = PollAction::parse("action", input.action.trim())?;
        self.authorize(actor, Permission::ManagePolls, &p.region_code)?;
        if input.version.is_some_and(|v| v != p.version) {
            return Err(changed_meanwhile(StoreError::Conflict(String::new()), "调查"));
        }
        let now = now_ms();
        let next = rules::poll_plan(action, effective(&p, now)).map_err(|r| refused(r, action.label_zh()))?;
        match action {
            PollAction::Open => p.opened_at = Some(now),
            PollAction::Close => {
                p.closed_at = Some(now);
                p.closes_at = Some(p.closes_at.map_or(now, |c| c.min(now)));
            }
        }
        p.status = next.as_str().into();
        let mut tx = self.store.begin().await?;
        Store::save_poll(&mut tx, &p).await.map_err(|e| changed_meanwhile(e, "调查"))?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: action.as_str(),
                object: &format!("poll:{id}"),
                reason: None,
                region_code: Some(&p.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.poll_detail(actor, id).await
    }

    /// Why `person` may not vote in `p` now (None: they may), without looking at whether they voted.
    fn barrier(p: &PollRow, person: &PersonRow, now: i64) -> Option<AppError> {
        if effective(p, now) != PollStatus::Open {
            return Some(AppError::conflict(format!(
                "调查{}，不能投票 / the poll is not open",
                effective(p, now).label_zh()
            )));
        }
        if let Some(min) = p.min_age
            && age_on(&person.birth_date, today()) < min
        {
            return Some(AppError::rule(
                "min_age",
                format!("本次调查限{min}周岁以上居民参与 / residents aged {min} and over"),
            ));
        }
        None
    }

    fn voter_key(&self, poll_id: i64, person_id: i64) -> String {
        self.crypto.blind_index("poll_voter", &format!("{poll_id}:{person_id}"))
    }

    /// Counts one ballot: the voter's keyed hash, the tallies and the free texts, with the audit record (which names
    /// who took part, never what they answered), in one transaction. A second ballot of the same person → 409.
    async fn count_ballot(
        &self,
        actor: &Actor,
        p: &PollRow,
        person: &PersonRow,
        answers: &[Value],
        channel: BallotChannel,
    ) -> Result<BallotReceipt> {
        let now = now_ms();
        if let Some(e) = Self::barrier(p, person, now) {
            return Err(e);
        }
        let parsed = rules::parse_ballot(&questions_of(p), answers)?;
        let cells = rules::tally_cells(&parsed);
        let community = ancestor(&person.grid_code, RegionLevel::Community).unwrap_or_else(|| person.grid_code.clone());
        let key = self.voter_key(p.id, person.id);
        let already = || {
            AppError::conflict(
                "该居民已参与过本次调查，每人只能投一次 / this resident has voted already; one vote per person",
            )
        };
        if self.store.has_voted(p.id, &key).await? {
            return Err(already());
        }
        let mut tx = self.store.begin().await?;
        Store::insert_poll_voter(&mut tx, p.id, &key).await.map_err(|e| match e {
            StoreError::Conflict(_) => already(),
            e => e.into(),
        })?;
        let counted: Vec<(i64, i64, i64)> = cells.iter().map(|(q, c)| (*q, *c, 1)).collect();
        Store::add_poll_tallies(&mut tx, p.id, &community, channel.as_str(), &counted).await?;
        for (i, a) in parsed.iter().enumerate() {
            if let Some(Answer::Text(t)) = a
                && !t.is_empty()
            {
                Store::insert_poll_text(&mut tx, &crate::auth::random_token(), p.id, i as i64, &community, t).await?;
            }
        }
        let action = if channel == BallotChannel::Paper { "paper_ballot" } else { "vote" };
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action,
                object: &format!("poll:{}", p.id),
                reason: None,
                region_code: Some(&p.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(|e| match StoreError::from_db(e, "vote") {
            StoreError::Conflict(_) => already(),
            e => e.into(),
        })?;
        Ok(BallotReceipt { poll_id: p.id, channel: channel.as_str().into(), counted: true })
    }

    /// Loads many ballots into a poll in one transaction (the demo data set and the benchmark; not a user's
    /// intent): each checked like a ballot, voters' keyed hashes written in batches, tallies added once.
    pub async fn load_ballots(&self, poll_id: i64, ballots: &[LoadedBallot]) -> Result<usize> {
        let p = self.store.poll(poll_id).await?;
        let questions = questions_of(&p);
        let mut keys = Vec::with_capacity(ballots.len());
        let mut cells: HashMap<(String, String, i64, i64), i64> = HashMap::new();
        let mut texts = Vec::new();
        for b in ballots {
            let parsed = rules::parse_ballot(&questions, &b.answers)?;
            keys.push(self.voter_key(p.id, b.person_id));
            for (q, c) in rules::tally_cells(&parsed) {
                *cells.entry((b.community_code.clone(), b.channel.as_str().to_string(), q, c)).or_default() += 1;
            }
            for (i, a) in parsed.iter().enumerate() {
                if let Some(Answer::Text(t)) = a
                    && !t.is_empty()
                {
                    texts.push((i as i64, b.community_code.clone(), t.clone()));
                }
            }
        }
        let mut tx = self.store.begin().await?;
        Store::insert_poll_voters(&mut tx, p.id, &keys).await.map_err(|e| match e {
            StoreError::Conflict(_) => AppError::conflict("有人重复投票 / a voter appears twice"),
            e => e.into(),
        })?;
        // (question, choice, count) per (community, channel).
        type Group = Vec<(i64, i64, i64)>;
        let mut by_group: BTreeMap<(String, String), Group> = BTreeMap::new();
        for ((community, channel, q, c), n) in cells {
            by_group.entry((community, channel)).or_default().push((q, c, n));
        }
        for ((community, channel), cells) in by_group {
            Store::add_poll_tallies(&mut tx, p.id, &community, &channel, &cells).await?;
        }
        for (q, community, t) in texts {
            Store::insert_poll_text(&mut tx, &crate::auth::random_token(), p.id, q, &community, &t).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ballots.len())
    }

    /// A signed-in resident votes as the person their account is tied to.
    pub async fn cast_ballot(&self, actor: &Actor, id: i64, input: BallotInput) -> Result<BallotReceipt> {
        let person = self.resident_person(actor).await?.ok_or_else(|| {
            AppError::new(ErrorKind::Forbidden, "仅限登记在册的居民投票 / only registered residents vote")
        })?;
        let p = self.store.poll(id).await.map_err(|_| AppError::not_found(&format!("poll {id}")))?;
        // A poll of another region does not exist for this resident.
        if !is_within(&person.grid_code, &p.region_code) || effective(&p, now_ms()) == PollStatus::Draft {
            return Err(AppError::not_found(&format!("poll {id}")));
        }
        self.count_ballot(actor, &p, &person, &input.answers, BallotChannel::Online).await
    }

    /// Staff record a paper ballot collected door to door for a person of their scope.
    pub async fn record_paper_ballot(&self, actor: &Actor, id: i64, input: PaperBallotInput) -> Result<BallotReceipt> {
        self.authorize_anywhere(actor, Permission::RecordPaperBallots)?;
        let p = self.poll_for(actor, id).await?;
        let person = self.paper_voter(actor, &input).await?;
        if !is_within(&person.grid_code, &p.region_code) {
            return Err(AppError::rule(
                "person_id",
                "此人不住在本次调查的范围内 / the person does not live in the poll's region",
            ));
        }
        if !matches!(person.residence_status.as_str(), "present" | "away") || person.merged_into.is_some() {
            return Err(AppError::rule(
                "person_id",
                "此人已迁出、死亡或被合并 / the person moved out, died or was merged",
            ));
        }
        self.count_ballot(actor, &p, &person, &input.answers, BallotChannel::Paper).await
    }

    /// The person a paper ballot is for, by id or 身份证号, in the caller's scope (the field is named otherwise).
    async fn paper_voter(&self, actor: &Actor, input: &PaperBallotInput) -> Result<PersonRow> {
        let in_scope = |field: &'static str| {
            move |e: AppError| if e.kind == ErrorKind::NotFound { AppError::field(field, e.message) } else { e }
        };
        if let Some(id) = input.person_id {
            return self.person_for(actor, Permission::RecordPaperBallots, id).await.map_err(in_scope("person_id"));
        }
        let Some(number) = input.id_number.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
            return Err(AppError::field("person_id", "请指明填写问卷的居民 / name the resident who filled it in"));
        };
        let number = wangge_domain::idcard::IdCardNo::parse("id_number", number)?;
        let hash = self.crypto.blind_index("id_number", number.as_str());
        for pid in self.store.people_by_id_number_hash(&hash).await? {
            if let Ok(p) = self.person_for(actor, Permission::RecordPaperBallots, pid).await {
                return Ok(p);
            }
        }
        Err(AppError::field(
            "id_number",
            "辖区内没有登记此身份证号 / nobody with this ID number is registered in your area",
        ))
    }

    /// Polls a signed-in resident may see: open ones of their region (and whether they voted), and closed ones
    /// with public results.
    pub async fn resident_polls(&self, actor: &Actor) -> Result<Vec<ResidentPoll>> {
        let Some(person) = self.resident_person(actor).await? else {
            return Err(AppError::not_found("resident"));
        };
        let filter = PollFilter {
            regions: Some(with_ancestors(&person.grid_code)),
            statuses: vec!["open".into(), "closed".into()],
            ..Default::default()
        };
        let (rows, _) = self.store.polls(&filter, None, 100).await?;
        let counts = self.ballot_counts(&rows).await?;
        let now = now_ms();
        let mut out = Vec::new();
        for p in &rows {
            let status = effective(p, now);
            if status == PollStatus::Closed && !p.results_public {
                continue;
            }
            let voted = self.store.has_voted(p.id, &self.voter_key(p.id, person.id)).await?;
            let barrier = if voted {
                Some("您已参与过本次调查 / you have voted in this poll".to_string())
            } else {
                Self::barrier(p, &person, now).map(|e| e.message)
            };
            out.push(ResidentPoll {
                poll: self.poll_view(p, Some(counts.get(&p.id).copied().unwrap_or(0))).await?,
                voted,
                may_vote: barrier.is_none(),
                reason: barrier,
            });
        }
        // Open ones first.
        out.sort_by_key(|r| (r.poll.status != "open", -r.poll.id));
        Ok(out)
    }

    /// One poll as a resident sees it (404 for a poll of another region or a draft).
    pub async fn resident_poll(&self, actor: &Actor, id: i64) -> Result<ResidentPoll> {
        self.resident_polls(actor)
            .await?
            .into_iter()
            .find(|r| r.poll.id == id)
            .ok_or_else(|| AppError::not_found(&format!("poll {id}")))
    }

    /// A poll's tallies and per-question counts; `texts` adds the free-text answers (staff only).
    pub(crate) async fn counts_of(&self, p: &PollRow, texts: bool) -> Result<(Tallies, Vec<QuestionResult>)> {
        let cells: Vec<TallyCell> = self.store.poll_tallies(&[p.id], None).await?.into_iter().map(|c| c.1).collect();
        let t = tallies(&cells);
        let questions = questions_of(p);
        let mut out_q = Vec::with_capacity(questions.len());
        for (i, q) in questions.iter().enumerate() {
            let c = rules::question_counts(q, t.borrow().cells(i as i64));
            let share = |n: i64| if c.answered > 0 { n as f64 / c.answered as f64 } else { 0.0 };
            let shown = if texts && q.kind() == QuestionKind::Text {
                self.store.poll_texts(p.id, i as i64, TEXTS_SHOWN).await?.into_iter().map(|(_, b)| b).collect()
            } else {
                Vec::new()
            };
            out_q.push(QuestionResult {
                index: i,
                kind: q.kind.clone(),
                text: q.text.clone(),
                answered: c.answered,
                options: c
                    .counts
                    .iter()
                    .map(|(label, n)| OptionResult { label: label.clone(), count: *n, share: share(*n) })
                    .collect(),
                mean: c.mean.map(|m| (m * 100.0).round() / 100.0),
                texts: shown,
            });
        }
        Ok((t, out_q))
    }

    /// Counts of a poll by question, channel and community; `texts` adds the free-text answers (staff only).
    pub(crate) async fn results_of(&self, p: &PollRow, texts: bool) -> Result<PollResults> {
        let (t, out_q) = self.counts_of(p, texts).await?;
        let questions = questions_of(p);
        let mut communities = Vec::with_capacity(t.communities.len());
        for (code, ballots) in &t.communities {
            communities.push(CommunityCount {
                name: self.region_name(code).await?,
                code: code.clone(),
                ballots: *ballots,
            });
        }
        let happiness = (p.kind == PollKind::Happiness.as_str()).then(|| happiness_scores(&questions, &t.borrow()));
        Ok(PollResults {
            poll: self.poll_view(p, Some(t.ballots)).await?,
            ballots: t.ballots,
            online: t.online,
            paper: t.paper,
            communities,
            questions: out_q,
            happiness,
        })
    }

    /// Live counts for staff, with free-text answers.
    pub async fn poll_results(&self, actor: &Actor, id: i64) -> Result<PollResults> {
        let p = self.poll_for(actor, id).await?;
        self.results_of(&p, true).await
    }

    /// The results as an Excel workbook (汇总, 分社区, 文字意见 sheets; the exporter and time in each header).
    pub async fn export_poll(&self, actor: &Actor, id: i64) -> Result<(String, Vec<u8>)> {
        let p = self.poll_for(actor, id).await?;
        let r = self.results_of(&p, true).await?;
        let mark = crate::export::watermark(actor, chrono::Utc::now());
        let bytes = tokio::task::spawn_blocking(move || results_workbook(&r, &mark))
            .await
            .map_err(|e| AppError::internal(e.to_string()))?
            .map_err(|e| AppError::internal(format!("poll workbook: {e}")))?;
        let mut tx = self.store.begin().await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "export",
                object: &format!("poll:{id}"),
                reason: None,
                region_code: Some(&p.region_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let date = chrono::Utc::now().format("%Y%m%d");
        Ok((format!("民意调查_{id}_{date}.xlsx"), bytes))
    }

    /// Happiness rounds per community of a region (the caller's first root by default), oldest first.
    pub async fn happiness(&self, actor: &Actor, region: Option<&str>) -> Result<HappinessTrend> {
        self.authorize_anywhere(actor, Permission::ReadParticipation)?;
        let code = match region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => r.to_string(),
            None => match actor.roots(Permission::ReadParticipation) {
                Some(r) => r.first().cloned().unwrap_or_default(),
                None => {
                    self.store.top_regions(None, 1).await?.first().map(|r| r.region.code.clone()).unwrap_or_default()
                }
            },
        };
        self.authorize(actor, Permission::ReadParticipation, &code)?;
        let communities: Vec<(String, String)> = match self.store.region(&code).await? {
            Some(r) if r.region.level == RegionLevel::Grid => {
                let c = ancestor(&code, RegionLevel::Community).unwrap_or_default();
                vec![(c.clone(), self.region_name(&c).await?)]
            }
            Some(_) => self
                .store
                .portal_regions(Some(&code))
                .await?
                .into_iter()
                .filter(|(_, _, level)| level == "community")
                .map(|(c, n, _)| (c, n))
                .collect(),
            None => return Err(AppError::not_found(&code)),
        };
        let rounds = self.happiness_rounds(&code, false).await?;
        let mut out = Vec::with_capacity(communities.len());
        for (c, name) in communities {
            out.push(CommunityHappiness { rounds: Self::rounds_for(&rounds, &c), code: c, name });
        }
        Ok(HappinessTrend { region_name: self.region_name(&code).await?, region_code: code, communities: out })
    }

    /// Happiness polls covering `code` or inside it, with their tally cells; `public`: closed with public results.
    pub(crate) async fn happiness_rounds(&self, code: &str, public: bool) -> Result<Vec<(PollRow, Vec<TallyCell>)>> {
        let filter = PollFilter {
            roots: Some(vec![code.to_string()]),
            covering: with_ancestors(code),
            kind: Some(PollKind::Happiness.as_str().into()),
            statuses: vec!["open".into(), "closed".into()],
            public_only: public,
            ..Default::default()
        };
        let (rows, _) = self.store.polls(&filter, None, 200).await?;
        let now = now_ms();
        let rows: Vec<PollRow> =
            rows.into_iter().filter(|p| !public || effective(p, now) == PollStatus::Closed).collect();
        let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
        let mut cells: HashMap<i64, Vec<TallyCell>> = HashMap::new();
        for (poll, cell) in self.store.poll_tallies(&ids, None).await? {
            cells.entry(poll).or_default().push(cell);
        }
        let mut out: Vec<(PollRow, Vec<TallyCell>)> = rows
            .into_iter()
            .map(|p| {
                let c = cells.remove(&p.id).unwrap_or_default();
                (p, c)
            })
            .collect();
        out.sort_by_key(|(p, _)| (p.opened_at.unwrap_or(p.created_at), p.id));
        Ok(out)
    }

    /// One community's rounds (those with ballots from it), oldest first.
    pub(crate) fn rounds_for(rounds: &[(PollRow, Vec<TallyCell>)], community: &str) -> Vec<HappinessRound> {
        let now = now_ms();
        rounds
            .iter()
            .filter_map(|(p, cells)| {
                let mine: Vec<TallyCell> = cells.iter().filter(|c| c.0 == community).cloned().collect();
                let t = tallies(&mine);
                if t.ballots == 0 {
                    return None;
                }
                let status = effective(p, now);
                let date = if status == PollStatus::Closed { p.closed_at.or(p.closes_at) } else { p.opened_at };
                Some(HappinessRound {
                    poll_id: p.id,
                    title: p.title.clone(),
                    date: date.map(|d| wangge_domain::event::calendar::cst_day(d).format("%Y-%m-%d").to_string()),
                    status: status.as_str().into(),
                    scores: happiness_scores(&questions_of(p), &t.borrow()),
                })
            })
            .collect()
    }
}

/// The results workbook: 汇总 (every question's counts), 分社区 (ballots by community), 文字意见 (free texts).
fn results_workbook(r: &PollResults, watermark: &str) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let pct = rust_xlsxwriter::Format::new().set_num_format("0.0%");
    let header = format!("&L{}", watermark.replace('&', "&&"));
    let ws = wb.add_worksheet();
    ws.set_name("汇总")?;
    ws.set_header(&header);
    ws.set_column_width(0, 8)?;
    ws.set_column_width(1, 48)?;
    ws.set_column_width(2, 30)?;
    ws.write_string_with_format(0, 0, &r.poll.title, &bold)?;
    ws.write_string(
        1,
        0,
        format!(
            "{}  {}  共 {} 份（网上 {}，纸质 {}）",
            r.poll.region_name, r.poll.status_name, r.ballots, r.online, r.paper
        ),
    )?;
    let mut row = 3u32;
    for (c, h) in ["序号", "问题", "选项", "票数", "占比", "平均分"].iter().enumerate() {
        ws.write_string_with_format(row, c as u16, *h, &bold)?;
    }
    for q in &r.questions {
        row += 1;
        ws.write_number(row, 0, (q.index + 1) as f64)?;
        ws.write_string(row, 1, &q.text)?;
        ws.write_string(row, 2, format!("作答 {} 人", q.answered))?;
        if let Some(m) = q.mean {
            ws.write_number(row, 5, m)?;
        }
        for o in &q.options {
            row += 1;
            ws.write_string(row, 2, &o.label)?;
            ws.write_number(row, 3, o.count as f64)?;
            ws.write_number_with_format(row, 4, o.share, &pct)?;
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("分社区")?;
    ws.set_header(&header);
    ws.set_column_width(0, 16)?;
    ws.set_column_width(1, 24)?;
    for (c, h) in ["社区编码", "社区", "份数"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, c) in r.communities.iter().enumerate() {
        ws.write_string(i as u32 + 1, 0, &c.code)?;
        ws.write_string(i as u32 + 1, 1, &c.name)?;
        ws.write_number(i as u32 + 1, 2, c.ballots as f64)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("文字意见")?;
    ws.set_header(&header);
    ws.set_column_width(0, 40)?;
    ws.set_column_width(1, 80)?;
    for (c, h) in ["问题", "意见（不含作答人信息）"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let mut row = 0u32;
    for q in &r.questions {
        for t in &q.texts {
            row += 1;
            ws.write_string(row, 0, &q.text)?;
            ws.write_string(row, 1, t)?;
        }
    }
    let info = wb.add_worksheet();
    info.set_name("导出信息")?;
    info.set_column_width(0, 80)?;
    info.write_string(0, 0, watermark)?;
    info.write_string(1, 0, "结果为匿名汇总：不含任何作答人的姓名、证件号或联系方式。")?;
    wb.save_to_buffer()
}
