//! Assessment (考核评价, issue #10): each objective metric computed from the system's own records, returned with
//! those records (click a number to see where it came from); grid workers' monthly scores and pay; the
//! department ranking; communities' star assessments from self-assessment through street review and district
//! approval to the portal, and their dynamic management. Scope is checked here, once per call.

mod property;
pub use property::{
    AreaView, InspectionEntry, InspectionInput, PropertyCompany, PropertyCompanyInput, PropertyCompanyPatch,
    PropertyScore, SurveyLink, SurveysInput,
};

use crate::people::today;
use crate::{App, AppError, Result};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use wangge_domain::assessment::{
    self as rules, DeclareRefusal, Metric, Period, Scheme, Score, Source, StarAction, StarRule, StarStatus, StarStep,
    Subject,
};
use wangge_domain::role::{Permission, Role};
use wangge_domain::scope::Actor;
use wangge_store::assessment::{EventFact, PropertyCompanyRow, SchemeRow, StarRow, StarScoreRow};
use wangge_store::audit::NewAudit;
use wangge_store::{Store, StoreError, now_ms};

/// One record behind a number: what it is, a link to open it, and whether it counts in the numerator.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordRef {
    /// `event` | `visit` | `person` | `patrol` | `ledger`.
    pub kind: String,
    pub id: i64,
    pub label: String,
    /// China-time day of the fact.
    pub day: String,
    /// Counted in the numerator (on time, valid, visited…).
    pub counted: bool,
    /// Where the record opens in the web UI.
    pub href: String,
}

/// A metric's value with the counts it divides and the records they came from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MetricValue {
    #[schema(value_type = String)]
    pub metric: Metric,
    pub name: String,
    /// `ratio` (0–1), `score` (1–5) or `hours`.
    pub unit: String,
    /// `null` when there was nothing to measure (full points).
    pub value: Option<f64>,
    pub numerator: f64,
    pub denominator: f64,
    pub records: Vec<RecordRef>,
}

/// A deduction with the records that caused it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeductionRecords {
    pub code: String,
    pub records: Vec<RecordRef>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayView {
    pub base_cents: i64,
    pub performance_cents: i64,
    pub total_cents: i64,
    pub factor: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkerScore {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub grids: Vec<String>,
    pub period: String,
    pub scheme_code: String,
    #[schema(value_type = Object)]
    pub score: Score,
    pub metrics: Vec<MetricValue>,
    pub deduction_records: Vec<DeductionRecords>,
    pub pay: Option<PayView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkerRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub grids: Vec<String>,
    pub total: f64,
    pub deducted: f64,
    pub pay: Option<PayView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepartmentScore {
    pub rank: usize,
    pub department_code: String,
    pub department_name: String,
    pub period: String,
    #[schema(value_type = Object)]
    pub score: Score,
    pub metrics: Vec<MetricValue>,
    pub deduction_records: Vec<DeductionRecords>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SchemeView {
    pub code: String,
    pub subject: String,
    pub name: String,
    pub active: bool,
    /// The scheme (aspects, indicators, deductions, star and pay rules).
    #[schema(value_type = Object)]
    pub scheme: Scheme,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StarSummary {
    pub id: i64,
    pub community_code: String,
    pub community_name: String,
    pub year: i64,
    pub status: String,
    pub status_label: String,
    pub self_score: Option<f64>,
    pub street_score: Option<f64>,
    pub final_score: Option<f64>,
    pub stars: i64,
    pub flag_reason: String,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnteredScore {
    pub indicator_code: String,
    pub score: f64,
    pub evidence: String,
    pub entered_by: String,
    pub entered_at: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StarActionView {
    pub at: i64,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub actor: String,
    pub note: String,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StarDetail {
    #[serde(flatten)]
    pub summary: StarSummary,
    #[schema(value_type = Object)]
    pub scheme: Scheme,
    /// The objective indicators, pre-filled from the system's records for the year.
    pub metrics: Vec<MetricValue>,
    pub self_scores: Vec<EnteredScore>,
    pub street_scores: Vec<EnteredScore>,
    /// The self-assessment as it scores now (objective + the community's own scores).
    #[schema(value_type = Object)]
    pub self_breakdown: Score,
    /// The street's review as it scores now (objective + the street's scores), once the street scored anything.
    #[schema(value_type = Option<Object>)]
    pub street_breakdown: Option<Score>,
    pub deadline: String,
    pub declare_min: f64,
    /// Red cards and serious incidents in the community since approval (the incident rule).
    pub incidents: Vec<RecordRef>,
    pub actions: Vec<StarActionView>,
    /// What the caller may do now.
    pub allowed: Vec<String>,
    /// Whether the caller may enter scores now, and at which stage (`self` | `street`).
    pub may_score: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStarInput {
    pub community_code: String,
    pub year: i64,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    pub indicator_code: String,
    pub score: f64,
    /// Links to records, file references or text: required for the self-assessment.
    #[serde(default)]
    pub evidence: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoresInput {
    pub scores: Vec<ScoreInput>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StarActionInput {
    /// `declare` | `street_pass` | `street_return` | `approve` | `district_return` | `flag` | `restore` | `withdraw`.
    pub action: String,
    #[serde(default)]
    pub note: String,
    /// The version read; a stale one answers 409.
    pub version: Option<i64>,
}

fn centi(x: f64) -> i64 {
    (x * 100.0).round() as i64
}

fn from_centi(c: i64) -> f64 {
    c as f64 / 100.0
}

fn day_of(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms + 8 * 3_600_000)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn ratio(n: f64, d: f64) -> Option<f64> {
    (d > 0.0).then(|| (n / d * 10_000.0).round() / 10_000.0)
}

fn event_ref(e: &EventFact, counted: bool, at: Option<i64>) -> RecordRef {
    RecordRef {
        kind: "event".into(),
        id: e.id,
        label: format!("#{} {} · {}", e.id, e.category_code, e.grid_code),
        day: day_of(at.unwrap_or(e.reported_at)),
        counted,
        href: format!("/events/{}", e.id),
    }
}

fn metric_value(metric: Metric, value: Option<f64>, n: f64, d: f64, records: Vec<RecordRef>) -> MetricValue {
    MetricValue {
        metric,
        name: metric.label_zh().into(),
        unit: metric.unit().into(),
        value,
        numerator: n,
        denominator: d,
        records,
    }
}

/// Whose records a metric reads.
struct Subj<'a> {
    /// Regions whose events, visits and patrols count (a worker's grids, a community, a department's region).
    roots: Vec<String>,
    user: Option<(i64, &'a str)>,
    department: Option<&'a str>,
    /// The community whose fund ledger counts.
    community: Option<&'a str>,
    /// Event category prefixes that count (a property company's: 物业纠纷); empty: every event.
    categories: Vec<String>,
    /// The property company whose linked surveys count.
    company: Option<&'a PropertyCompanyRow>,
}

fn star_summary(s: &StarRow) -> StarSummary {
    let status = StarStatus::parse("status", &s.status).ok();
    StarSummary {
        id: s.id,
        community_code: s.community_code.clone(),
        community_name: s.community_name.clone(),
        year: s.year,
        status: s.status.clone(),
        status_label: status.map(|st| st.label_zh().to_string()).unwrap_or_default(),
        self_score: s.self_centi.map(from_centi),
        street_score: s.street_centi.map(from_centi),
        final_score: s.final_centi.map(from_centi),
        stars: s.stars,
        flag_reason: s.flag_reason.clone(),
        version: s.version,
    }
}

fn entered(rows: &[StarScoreRow], stage: &str) -> Vec<EnteredScore> {
    rows.iter()
        .filter(|r| r.stage == stage)
        .map(|r| EnteredScore {
            indicator_code: r.indicator_code.clone(),
            score: from_centi(r.score_centi),
            evidence: r.evidence.clone(),
            entered_by: r.entered_by.clone(),
            entered_at: r.entered_at,
        })
        .collect()
}

fn step_of(action: StarAction) -> Permission {
    match action.step() {
        StarStep::Community => Permission::DeclareStar,
        StarStep::Street => Permission::ReviewStar,
        StarStep::District => Permission::ApproveStar,
    }
}

/// Grid workers scored at the same time by [`App::worker_scores`]: enough to overlap the reads of a few workers
/// on the reader pool, few enough to leave connections for everyone else.
const WORKERS_AT_ONCE: usize = 4;

impl App {
    // ---- schemes ---------------------------------------------------------------------------------------------

    /// The scheme in use for a subject: the stored active one, else the built-in default.
    pub async fn active_scheme(&self, subject: Subject, year: i32) -> Result<Scheme> {
        for row in self.store.assessment_schemes().await? {
            if row.active && row.subject == subject.as_str() {
                return serde_json::from_str(&row.body)
                    .map_err(|e| AppError::internal(format!("scheme {}: {e}", row.code)));
            }
        }
        Ok(match subject {
            Subject::Community => rules::default_star_scheme(year),
            Subject::GridWorker => rules::default_worker_scheme(),
            Subject::Department => rules::default_department_scheme(),
            Subject::Property => rules::default_property_scheme(),
        })
    }

    /// Schemes stored and the defaults in use where none is stored.
    pub async fn assessment_schemes(&self, actor: &Actor) -> Result<Vec<SchemeView>> {
        self.authorize_anywhere(actor, Permission::ReadAssessment)?;
        let year = today().year();
        let mut out = Vec::new();
        for s in [Subject::Community, Subject::GridWorker, Subject::Department, Subject::Property] {
            let scheme = self.active_scheme(s, year).await?;
            out.push(SchemeView {
                code: scheme.code.clone(),
                subject: s.as_str().into(),
                name: scheme.name.clone(),
                active: true,
                scheme,
            });
        }
        for row in self.store.assessment_schemes().await? {
            if !row.active
                && let Ok(scheme) = serde_json::from_str::<Scheme>(&row.body)
            {
                out.push(SchemeView { code: row.code, subject: row.subject, name: row.name, active: false, scheme });
            }
        }
        Ok(out)
    }

    /// Stores a scheme (admins and the district); it becomes the one in use for its subject.
    pub async fn put_assessment_scheme(&self, actor: &Actor, scheme: Scheme) -> Result<SchemeView> {
        self.authorize_anywhere(actor, Permission::ManageSchemes)?;
        scheme.validate()?;
        let body = serde_json::to_string(&scheme).map_err(|e| AppError::internal(e.to_string()))?;
        let row = SchemeRow {
            code: scheme.code.clone(),
            subject: scheme.subject.as_str().into(),
            name: scheme.name.clone(),
            body,
            active: true,
            updated_at: now_ms(),
        };
        let mut tx = self.store.begin().await?;
        Store::put_assessment_scheme(&mut tx, &row, &actor.username).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "put_scheme",
                object: &format!("assessment_scheme:{}", row.code),
                reason: None,
                region_code: None,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(SchemeView { code: row.code, subject: row.subject, name: row.name, active: true, scheme })
    }

    // ---- metrics ---------------------------------------------------------------------------------------------

    /// One metric for a subject and period, with its records. `reader` decides only how people are labelled.
    async fn metric(&self, reader: &Actor, metric: Metric, s: &Subj<'_>, p: &Period) -> Result<MetricValue> {
        let (from, to) = p.ms_range();
        let (from_day, to_day) = (p.from_day(), p.to_day());
        match metric {
            Metric::OnTimeRate | Metric::ReworkRate | Metric::PostponementRate | Metric::OnTimeDisposal => {
                let mut events = Vec::new();
                for root in &s.roots {
                    events.extend(match s.department {
                        Some(d) => self.store.events_of_department(d, root, from, to).await?,
                        None => self.store.events_closed_in(root, from, to).await?,
                    });
                }
                if !s.categories.is_empty() {
                    events.retain(|e| {
                        s.categories.iter().any(|c| !c.is_empty() && e.category_code.starts_with(c.as_str()))
                    });
                }
                let test = |e: &EventFact| match metric {
                    // 按期结案: closed by the event's deadline; 按时处置: handled by the handling limit.
                    Metric::OnTimeRate => e.closed_at.is_some_and(|c| e.due_at.is_none_or(|d| c <= d)),
                    Metric::OnTimeDisposal => e.handled_at.is_some_and(|h| e.handle_due_at.is_none_or(|d| h <= d)),
                    Metric::ReworkRate => e.rework_count > 0,
                    _ => e.postponed_hours > 0,
                };
                let records: Vec<RecordRef> =
                    events.iter().map(|e| event_ref(e, test(e), e.closed_at.or(e.handled_at))).collect();
                let n = records.iter().filter(|r| r.counted).count() as f64;
                let d = records.len() as f64;
                Ok(metric_value(metric, ratio(n, d), n, d, records))
            }
            Metric::ValidReportRate => {
                let Some((uid, _)) = s.user else { return Ok(metric_value(metric, None, 0.0, 0.0, vec![])) };
                let events = self.store.events_reported_by_user(uid, from, to).await?;
                // 有效上报: registered (立案) or solved on the spot (自行处置).
                let records: Vec<RecordRef> =
                    events.iter().map(|e| event_ref(e, e.registered_at.is_some() || e.self_handled, None)).collect();
                let n = records.iter().filter(|r| r.counted).count() as f64;
                let d = records.len() as f64;
                Ok(metric_value(metric, ratio(n, d), n, d, records))
            }
            Metric::OnTimeVerification => {
                let Some((_, username)) = s.user else { return Ok(metric_value(metric, None, 0.0, 0.0, vec![])) };
                let mut records = Vec::new();
                for root in &s.roots {
                    for st in self.store.steps_in("verify", root, from, to, Some(username), None).await? {
                        let data: serde_json::Value = serde_json::from_str(&st.data).unwrap_or_default();
                        // Verifications recorded before the flag existed cannot be judged and are left out.
                        let Some(on_time) = data.get("on_time").and_then(|v| v.as_bool()) else { continue };
                        records.push(RecordRef {
                            kind: "event".into(),
                            id: st.event_id,
                            label: format!("#{} 核查 · {}", st.event_id, st.grid_code),
                            day: day_of(st.at),
                            counted: on_time,
                            href: format!("/events/{}", st.event_id),
                        });
                    }
                }
                let n = records.iter().filter(|r| r.counted).count() as f64;
                let d = records.len() as f64;
                Ok(metric_value(metric, ratio(n, d), n, d, records))
            }
            Metric::Satisfaction => {
                let mut records = Vec::new();
                let mut sum = 0.0;
                for root in &s.roots {
                    for st in self.store.steps_in("evaluate", root, from, to, None, s.department).await? {
                        let Some(sat) = st.satisfaction else { continue };
                        sum += sat as f64;
                        records.push(RecordRef {
                            kind: "event".into(),
                            id: st.event_id,
                            label: format!("#{} 评价 {sat}/5 · {}", st.event_id, st.grid_code),
                            day: day_of(st.at),
                            counted: true,
                            href: format!("/events/{}", st.event_id),
                        });
                    }
                }
                let d = records.len() as f64;
                let value = (d > 0.0).then(|| rules::round2(sum / d));
                Ok(metric_value(metric, value, sum, d, records))
            }
            Metric::PatrolHours => {
                let mut records = Vec::new();
                let mut ms = 0i64;
                for root in &s.roots {
                    for pt in self.store.patrols_in(root, s.user.map(|u| u.0), &from_day, &to_day).await? {
                        let dur = pt.ended_at.or(pt.last_point_at).unwrap_or(pt.started_at) - pt.started_at;
                        ms += dur.max(0);
                        records.push(RecordRef {
                            kind: "patrol".into(),
                            id: pt.id,
                            label: format!("巡查 {} 分钟 · {:.1} km", dur.max(0) / 60_000, pt.distance_m / 1000.0),
                            day: pt.day.clone(),
                            counted: true,
                            href: format!("/field/patrols/{}", pt.id),
                        });
                    }
                }
                let hours = rules::round2(ms as f64 / 3_600_000.0);
                // Hours are always measured: no patrol is zero hours, not "nothing to measure".
                Ok(metric_value(metric, Some(hours), hours, 1.0, records))
            }
            Metric::VisitCompletion => {
                let system = crate::system_actor("assessment");
                let kinds = self.kinds().await?;
                let mut records = Vec::new();
                for root in &s.roots {
                    let due = self.due_visits_as_of(&system, root, p.from, &kinds, None, from).await?;
                    let visits = self.store.visits_in(root, &from_day, &to_day).await?;
                    let mut first: HashMap<i64, &wangge_store::assessment::VisitFact> = HashMap::new();
                    for v in &visits {
                        first.entry(v.person_id).or_insert(v);
                    }
                    // Due during the period: by its last day.
                    let last_day = p.to.pred_opt().unwrap_or(p.to);
                    for d in due {
                        let Ok(due_on) = chrono::NaiveDate::parse_from_str(&d.due_on, "%Y-%m-%d") else { continue };
                        if due_on > last_day {
                            continue;
                        }
                        let visit = first.get(&d.person_id);
                        let name = if reader.may(Permission::ReadRegister, &d.grid_code) {
                            d.name.clone()
                        } else {
                            "居民".to_string()
                        };
                        records.push(RecordRef {
                            kind: "person".into(),
                            id: d.person_id,
                            label: format!("{name} · 应访 {}", d.due_on),
                            day: visit.map(|v| v.day.clone()).unwrap_or_default(),
                            counted: visit.is_some(),
                            href: format!("/people/{}", d.person_id),
                        });
                    }
                }
                let n = records.iter().filter(|r| r.counted).count() as f64;
                let d = records.len() as f64;
                Ok(metric_value(metric, ratio(n, d), n, d, records))
            }
            Metric::SurveySatisfaction => {
                let Some(c) = s.company else { return Ok(metric_value(metric, None, 0.0, 0.0, vec![])) };
                self.survey_satisfaction(c, p).await
            }
            Metric::FundLedgerPublished => {
                let Some(c) = s.community else { return Ok(metric_value(metric, None, 0.0, 0.0, vec![])) };
                let entries = self.store.ledger_published_in(c, &from_day, &to_day).await?;
                // Months of the period up to this one: a month with at least one approved entry was published.
                let this_month = today().format("%Y-%m").to_string();
                let months: Vec<String> = p.months().into_iter().filter(|m| *m <= this_month).collect();
                let published = months.iter().filter(|m| entries.iter().any(|e| e.occurred_on.starts_with(*m))).count();
                let records = entries
                    .iter()
                    .map(|e| RecordRef {
                        kind: "ledger".into(),
                        id: e.id,
                        label: format!("{} ¥{:.2}", e.summary, e.amount_fen as f64 / 100.0),
                        day: e.occurred_on.clone(),
                        counted: true,
                        href: format!("/participation/ledger?region={c}"),
                    })
                    .collect();
                let (n, d) = (published as f64, months.len() as f64);
                Ok(metric_value(metric, ratio(n, d), n, d, records))
            }
        }
    }

    /// Supervision cards in the period on the subject's events (a department: events dispatched to it).
    async fn card_deductions(&self, s: &Subj<'_>, p: &Period) -> Result<(HashMap<String, i64>, Vec<DeductionRecords>)> {
        let (from, to) = p.ms_range();
        let mut by: BTreeMap<String, Vec<RecordRef>> = BTreeMap::new();
        for root in &s.roots {
            for st in self.store.steps_in("supervise", root, from, to, None, s.department).await? {
                let data: serde_json::Value = serde_json::from_str(&st.data).unwrap_or_default();
                let card = data.get("card").and_then(|v| v.as_str()).unwrap_or("");
                let code = match card {
                    "yellow" => "yellow_card",
                    "red" => "red_card",
                    _ => continue,
                };
                by.entry(code.into()).or_default().push(RecordRef {
                    kind: "event".into(),
                    id: st.event_id,
                    label: format!(
                        "#{} {} · {}",
                        st.event_id,
                        if card == "red" { "红牌督办" } else { "黄牌督办" },
                        st.grid_code
                    ),
                    day: day_of(st.at),
                    counted: true,
                    href: format!("/events/{}", st.event_id),
                });
            }
        }
        let counts = by.iter().map(|(k, v)| (k.clone(), v.len() as i64)).collect();
        Ok((counts, by.into_iter().map(|(code, records)| DeductionRecords { code, records }).collect()))
    }

    async fn scored(
        &self,
        reader: &Actor,
        scheme: &Scheme,
        s: &Subj<'_>,
        p: &Period,
        reviews: &HashMap<String, f64>,
    ) -> Result<(Score, Vec<MetricValue>, Vec<DeductionRecords>)> {
        let mut metrics = Vec::new();
        for m in scheme.metrics() {
            metrics.push(self.metric(reader, m, s, p).await?);
        }
        let values: HashMap<Metric, Option<f64>> = metrics.iter().map(|m| (m.metric, m.value)).collect();
        let (counts, deductions) = self.card_deductions(s, p).await?;
        Ok((rules::score(scheme, &values, reviews, &counts), metrics, deductions))
    }

    // ---- grid workers ----------------------------------------------------------------------------------------

    fn month(period: Option<&str>) -> Result<Period> {
        match period.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => {
                let p = Period::parse("period", p)?;
                if p.kind != rules::PeriodKind::Month {
                    return Err(AppError::field(
                        "period",
                        "网格员按月考核，应为 2026-11 / grid workers are assessed by month",
                    ));
                }
                Ok(p)
            }
            None => Ok(Period::parse("period", &today().format("%Y-%m").to_string())?),
        }
    }

    /// A grid worker's month: the breakdown, each number's records, deductions and pay. The worker reads their
    /// own; others need `ReadAssessment` on one of the worker's grids.
    pub async fn worker_score(&self, actor: &Actor, user_id: i64, period: Option<&str>) -> Result<WorkerScore> {
        let p = Self::month(period)?;
        let user = self.store.user_by_id(user_id).await?.ok_or_else(|| AppError::not_found("user"))?;
        let grids: Vec<String> =
            user.grants.iter().filter(|g| g.role == Role::GridWorker).map(|g| g.region_code.clone()).collect();
        if grids.is_empty() {
            return Err(AppError::not_found("grid worker"));
        }
        if actor.user_id != user_id {
            if !grids.iter().any(|g| actor.may(Permission::ReadRegions, g)) {
                return Err(AppError::not_found("grid worker"));
            }
            if !grids.iter().any(|g| actor.may(Permission::ReadAssessment, g)) {
                return Err(AppError::forbidden());
            }
        }
        let scheme = self.active_scheme(Subject::GridWorker, p.from.year()).await?;
        let subj = Subj {
            roots: grids.clone(),
            user: Some((user.id, &user.username)),
            department: None,
            community: None,
            categories: Vec::new(),
            company: None,
        };
        let (score, metrics, deduction_records) = self.scored(actor, &scheme, &subj, &p, &HashMap::new()).await?;
        let pay = scheme.pay.as_ref().map(|rule| {
            let (perf, total) = rule.pay(score.total);
            PayView {
                base_cents: rule.base_cents,
                performance_cents: perf,
                total_cents: total,
                factor: rule.factor(score.total),
            }
        });
        Ok(WorkerScore {
            user_id: user.id,
            username: user.username,
            display_name: user.display_name,
            grids,
            period: p.code(),
            scheme_code: scheme.code,
            score,
            metrics,
            deduction_records,
            pay,
        })
    }

    /// Every grid worker of a region for a month, best first.
    ///
    /// Scores are computed [`WORKERS_AT_ONCE`] workers at a time.
    pub async fn worker_scores(
        &self,
        actor: &Actor,
        region: Option<&str>,
        period: Option<&str>,
    ) -> Result<Vec<WorkerRow>> {
        self.authorize_anywhere(actor, Permission::ReadAssessment)?;
        let region = self.region_for(actor, Permission::ReadAssessment, region).await?;
        let p = Self::month(period)?;
        let mut ids: Vec<i64> = Vec::new();
        for (uid, ..) in self.store.grid_workers(&region).await? {
            if !ids.contains(&uid) {
                ids.push(uid);
            }
        }
        // Each worker's score is a dozen reads; a few workers at a time keep the reader pool busy instead of
        // waiting on one read after another (street demo, 60 workers: 1.8 s one by one).
        use futures_util::stream::{self, StreamExt, TryStreamExt};
        let code = p.code();
        let scores: Vec<WorkerScore> = stream::iter(ids)
            .map(|uid| self.worker_score(actor, uid, Some(&code)))
            .buffered(WORKERS_AT_ONCE)
            .try_collect()
            .await?;
        let mut out = Vec::new();
        for w in scores {
            out.push(WorkerRow {
                user_id: w.user_id,
                username: w.username,
                display_name: w.display_name,
                grids: w.grids,
                total: w.score.total,
                deducted: w.score.deducted,
                pay: w.pay,
            });
        }
        out.sort_by(|a, b| b.total.total_cmp(&a.total).then(a.user_id.cmp(&b.user_id)));
        Ok(out)
    }

    /// The month's pay of a region's grid workers as an Excel workbook for payroll (watermarked with who and
    /// when; audited as an export): (file name, bytes).
    pub async fn payroll_xlsx(
        &self,
        actor: &Actor,
        region: Option<&str>,
        period: Option<&str>,
    ) -> Result<(String, Vec<u8>)> {
        self.authorize_anywhere(actor, Permission::ExportPayroll)?;
        let code = self.region_for(actor, Permission::ExportPayroll, region).await?;
        let rows = self.worker_scores(actor, Some(&code), period).await?;
        let p = Self::month(period)?;
        let mark = crate::export::watermark(actor, chrono::Utc::now());
        let bytes = payroll_workbook(&code, &p.code(), &rows, &mark)?;
        self.audit_export(actor, &format!("payroll {}", p.code()), rows.len(), std::slice::from_ref(&code)).await?;
        Ok((format!("{code}_{}_网格员绩效工资.xlsx", p.code()), bytes))
    }

    // ---- departments -----------------------------------------------------------------------------------------

    /// Departments ranked by how they handled what was dispatched to them in the region (best first).
    pub async fn department_ranking(
        &self,
        actor: &Actor,
        region: Option<&str>,
        period: Option<&str>,
        with_records: bool,
    ) -> Result<Vec<DepartmentScore>> {
        self.authorize_anywhere(actor, Permission::ReadAssessment)?;
        let region = self.region_for(actor, Permission::ReadAssessment, region).await?;
        let p = match period.map(str::trim).filter(|p| !p.is_empty()) {
            Some(s) => Period::parse("period", s)?,
            None => Self::month(None)?,
        };
        let scheme = self.active_scheme(Subject::Department, p.from.year()).await?;
        let mut out = Vec::new();
        for (code, name) in self.store.departments_dispatched(&region).await? {
            let subj = Subj {
                roots: vec![region.clone()],
                user: None,
                department: Some(&code),
                community: None,
                categories: Vec::new(),
                company: None,
            };
            let (score, mut metrics, mut deduction_records) =
                self.scored(actor, &scheme, &subj, &p, &HashMap::new()).await?;
            if !with_records {
                metrics.iter_mut().for_each(|m| m.records.clear());
                deduction_records.iter_mut().for_each(|d| d.records.clear());
            }
            out.push(DepartmentScore {
                rank: 0,
                department_code: code,
                department_name: name,
                period: p.code(),
                score,
                metrics,
                deduction_records,
            });
        }
        out.sort_by(|a, b| b.score.total.total_cmp(&a.score.total).then(a.department_code.cmp(&b.department_code)));
        for (i, d) in out.iter_mut().enumerate() {
            d.rank = i + 1;
        }
        Ok(out)
    }

    /// One department's score with the records behind each number.
    pub async fn department_score(
        &self,
        actor: &Actor,
        department: &str,
        region: Option<&str>,
        period: Option<&str>,
    ) -> Result<DepartmentScore> {
        self.department_ranking(actor, region, period, true)
            .await?
            .into_iter()
            .find(|d| d.department_code == department)
            .ok_or_else(|| AppError::not_found("department"))
    }

    // ---- star-rated communities ------------------------------------------------------------------------------

    async fn star_for(&self, actor: &Actor, id: i64) -> Result<StarRow> {
        let s = self.store.star_assessment(id).await?.ok_or_else(|| AppError::not_found("star assessment"))?;
        let c = &s.community_code;
        if !actor.may(Permission::ReadRegions, c) {
            return Err(AppError::not_found("star assessment"));
        }
        if !(actor.may(Permission::ReadAssessment, c) || actor.may(Permission::DeclareStar, c)) {
            return Err(AppError::forbidden());
        }
        Ok(s)
    }

    async fn star_scheme(&self, s: &StarRow) -> Result<Scheme> {
        let row = self.store.assessment_scheme(&s.scheme_code).await?;
        match row {
            Some(r) => serde_json::from_str(&r.body).map_err(|e| AppError::internal(format!("scheme {}: {e}", r.code))),
            None => Ok(rules::default_star_scheme(s.year as i32)),
        }
    }

    /// Opens the year's star assessment of a community (the existing one when it was opened before).
    pub async fn open_star(&self, actor: &Actor, input: NewStarInput) -> Result<StarDetail> {
        let code = input.community_code.trim();
        let region = self.store.region(code).await?.ok_or_else(|| AppError::not_found(code))?;
        self.authorize(actor, Permission::DeclareStar, code)?;
        if region.region.level != wangge_domain::region::RegionLevel::Community {
            return Err(AppError::field("community_code", "应为社区编码 / must be a community"));
        }
        if !(2000..=2100).contains(&input.year) {
            return Err(AppError::field("year", "年份无效 / invalid year"));
        }
        if let Some(s) = self.store.star_assessment_of(code, input.year).await? {
            return self.star_detail(actor, s.id).await;
        }
        let scheme = self.active_scheme(Subject::Community, input.year as i32).await?;
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        if self.store.assessment_scheme(&scheme.code).await?.is_none() {
            // The built-in scheme is stored the first time it is used, so the assessment keeps naming it.
            let row = SchemeRow {
                code: scheme.code.clone(),
                subject: Subject::Community.as_str().into(),
                name: scheme.name.clone(),
                body: serde_json::to_string(&scheme).map_err(|e| AppError::internal(e.to_string()))?,
                active: true,
                updated_at: now,
            };
            Store::put_assessment_scheme(&mut tx, &row, "system").await?;
        }
        let id =
            Store::insert_star_assessment(&mut tx, code, input.year, &scheme.code, now).await.map_err(|e| match e {
                StoreError::Conflict(_) => {
                    AppError::conflict("该社区本年度已有星级评定 / already opened for this year")
                }
                e => e.into(),
            })?;
        Store::insert_star_action(&mut tx, id, now, "open", "", "draft", &actor.username, "", None).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "open_star",
                object: &format!("star:{id}"),
                reason: None,
                region_code: Some(code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.star_detail(actor, id).await
    }

    /// Star assessments of a region's communities (a year, or all).
    pub async fn star_list(&self, actor: &Actor, region: Option<&str>, year: Option<i64>) -> Result<Vec<StarSummary>> {
        if !(actor.may_somewhere(Permission::ReadAssessment) || actor.may_somewhere(Permission::DeclareStar)) {
            return Err(AppError::forbidden());
        }
        let region = match region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                if !(actor.may(Permission::ReadAssessment, r) || actor.may(Permission::DeclareStar, r)) {
                    self.authorize(actor, Permission::ReadAssessment, r)?;
                }
                r.to_string()
            }
            None => match self.region_for(actor, Permission::ReadAssessment, None).await {
                Ok(r) => r,
                Err(_) => self.region_for(actor, Permission::DeclareStar, None).await?,
            },
        };
        Ok(self.store.star_assessments(&region, year).await?.iter().map(star_summary).collect())
    }

    async fn star_metrics(&self, actor: &Actor, s: &StarRow, scheme: &Scheme) -> Result<(Vec<MetricValue>, Period)> {
        let p = Period::parse("year", &s.year.to_string())?;
        let subj = Subj {
            roots: vec![s.community_code.clone()],
            user: None,
            department: None,
            community: Some(&s.community_code),
            categories: Vec::new(),
            company: None,
        };
        let mut metrics = Vec::new();
        for m in scheme.metrics() {
            metrics.push(self.metric(actor, m, &subj, &p).await?);
        }
        Ok((metrics, p))
    }

    /// Red cards and serious incidents in the community since the star was approved.
    async fn star_incidents(&self, s: &StarRow, rule: &StarRule) -> Result<(i64, i64, Vec<RecordRef>)> {
        let Some(since) = s.approved_at else { return Ok((0, 0, vec![])) };
        let now = now_ms() + 1;
        let mut records = Vec::new();
        let mut red = 0;
        for st in self.store.steps_in("supervise", &s.community_code, since, now, None, None).await? {
            let data: serde_json::Value = serde_json::from_str(&st.data).unwrap_or_default();
            if data.get("card").and_then(|v| v.as_str()) == Some("red") {
                red += 1;
                records.push(RecordRef {
                    kind: "event".into(),
                    id: st.event_id,
                    label: format!("#{} 红牌督办", st.event_id),
                    day: day_of(st.at),
                    counted: true,
                    href: format!("/events/{}", st.event_id),
                });
            }
        }
        let mut serious = 0;
        for e in self.store.events_reported_in(&s.community_code, since, now).await? {
            if rule.incident_categories.iter().any(|c| !c.is_empty() && e.category_code.starts_with(c.as_str())) {
                serious += 1;
                records.push(event_ref(&e, true, None));
            }
        }
        Ok((red, serious, records))
    }

    pub async fn star_detail(&self, actor: &Actor, id: i64) -> Result<StarDetail> {
        let s = self.star_for(actor, id).await?;
        let scheme = self.star_scheme(&s).await?;
        let rule = scheme.star.clone().unwrap_or_default();
        let (metrics, _) = self.star_metrics(actor, &s, &scheme).await?;
        let scores = self.store.star_scores(id).await?;
        let values: HashMap<Metric, Option<f64>> = metrics.iter().map(|m| (m.metric, m.value)).collect();
        let review = |stage: &str| -> HashMap<String, f64> {
            scores
                .iter()
                .filter(|r| r.stage == stage)
                .map(|r| (r.indicator_code.clone(), from_centi(r.score_centi)))
                .collect()
        };
        let (red, _, incidents) = self.star_incidents(&s, &rule).await?;
        let counts: HashMap<String, i64> = HashMap::new();
        let self_breakdown = rules::score(&scheme, &values, &review("self"), &counts);
        let street = review("street");
        let street_breakdown = (!street.is_empty()).then(|| rules::score(&scheme, &values, &street, &counts));
        let _ = red;
        let status = StarStatus::parse("status", &s.status)?;
        let allowed = StarAction::ALL
            .iter()
            .filter(|a| rules::star_next(**a, status).is_some() && actor.may(step_of(**a), &s.community_code))
            .map(|a| a.as_str().to_string())
            .collect();
        let may_score = if rules::self_editable(status) && actor.may(Permission::DeclareStar, &s.community_code) {
            Some("self".to_string())
        } else if status == StarStatus::Declared && actor.may(Permission::ReviewStar, &s.community_code) {
            Some("street".to_string())
        } else {
            None
        };
        let actions = self
            .store
            .star_actions(id)
            .await?
            .into_iter()
            .map(|a| StarActionView {
                at: a.at,
                action: a.action,
                from_status: a.from_status,
                to_status: a.to_status,
                actor: a.actor,
                note: a.note,
                score: a.score_centi.map(from_centi),
            })
            .collect();
        Ok(StarDetail {
            summary: star_summary(&s),
            deadline: rule.deadline_in(s.year as i32).format("%Y-%m-%d").to_string(),
            declare_min: rule.declare_min,
            self_scores: entered(&scores, "self"),
            street_scores: entered(&scores, "street"),
            scheme,
            metrics,
            self_breakdown,
            street_breakdown,
            incidents,
            actions,
            allowed,
            may_score,
        })
    }

    /// Enters reviewed indicators' scores: the community's self-assessment (with evidence) while it may still be
    /// edited, or the street's review of a declared one.
    pub async fn star_scores_put(&self, actor: &Actor, id: i64, input: ScoresInput) -> Result<StarDetail> {
        let s = self.star_for(actor, id).await?;
        let status = StarStatus::parse("status", &s.status)?;
        let stage = if actor.may(Permission::DeclareStar, &s.community_code) && rules::self_editable(status) {
            "self"
        } else if actor.may(Permission::ReviewStar, &s.community_code) && status == StarStatus::Declared {
            "street"
        } else if actor.may(Permission::DeclareStar, &s.community_code)
            || actor.may(Permission::ReviewStar, &s.community_code)
        {
            return Err(AppError::conflict(format!("当前状态不能评分 / cannot score in status {}", s.status))
                .with_details(serde_json::json!({ "status": s.status })));
        } else {
            return Err(AppError::forbidden());
        };
        let scheme = self.star_scheme(&s).await?;
        if input.scores.is_empty() {
            return Err(AppError::field("scores", "请至少填写一项 / at least one score"));
        }
        let now = now_ms();
        let mut rows = Vec::new();
        for (i, sc) in input.scores.iter().enumerate() {
            let f = |k: &str| format!("scores[{i}].{k}");
            let ind = reviewed_indicator(&scheme, i, &sc.indicator_code, sc.score)?;
            let evidence = sc.evidence.trim();
            if stage == "self" && evidence.is_empty() {
                return Err(AppError::field(&f("evidence"), "自评须附佐证材料 / evidence required"));
            }
            if evidence.chars().count() > 2000 {
                return Err(AppError::field(&f("evidence"), "佐证不超过 2000 字 / at most 2000 characters"));
            }
            rows.push(StarScoreRow {
                stage: stage.into(),
                indicator_code: ind.code.clone(),
                score_centi: centi(sc.score),
                evidence: evidence.into(),
                entered_by: actor.username.clone(),
                entered_at: now,
            });
        }
        let mut tx = self.store.begin().await?;
        // Writing the row under its version keeps a score from landing after a concurrent declaration.
        Store::save_star(&mut tx, &s, now).await.map_err(changed)?;
        for r in &rows {
            Store::put_star_score(&mut tx, id, stage, r).await?;
        }
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "star_scores",
                object: &format!("star:{id}:{stage}"),
                reason: None,
                region_code: Some(&s.community_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.star_detail(actor, id).await
    }

    /// Moves a star assessment along the chain (403 for the wrong step, then 409 for the state, then 422 for the
    /// rules: ≥ 90 and the deadline to declare, the street's score to pass).
    pub async fn star_act(&self, actor: &Actor, id: i64, input: StarActionInput) -> Result<StarDetail> {
        let mut s = self.star_for(actor, id).await?;
        let action = StarAction::parse("action", &input.action)?;
        self.authorize(actor, step_of(action), &s.community_code)?;
        let status = StarStatus::parse("status", &s.status)?;
        if input.version.is_some_and(|v| v != s.version) {
            return Err(AppError::conflict("已被他人修改，请刷新 / changed meanwhile, reload"));
        }
        let next = rules::star_next(action, status).ok_or_else(|| {
            AppError::conflict(format!("当前状态不能{} / not allowed in status {}", action.label_zh(), s.status))
                .with_details(serde_json::json!({ "status": s.status }))
        })?;
        let note = input.note.trim().to_string();
        if matches!(
            action,
            StarAction::StreetReturn
                | StarAction::DistrictReturn
                | StarAction::Withdraw
                | StarAction::Flag
                | StarAction::Restore
        ) && note.is_empty()
        {
            return Err(AppError::field("note", "请填写理由 / a reason is required"));
        }
        let scheme = self.star_scheme(&s).await?;
        let rule = scheme.star.clone().unwrap_or_default();
        let (metrics, _) = self.star_metrics(actor, &s, &scheme).await?;
        let values: HashMap<Metric, Option<f64>> = metrics.iter().map(|m| (m.metric, m.value)).collect();
        let scores = self.store.star_scores(id).await?;
        let review = |stage: &str| -> HashMap<String, f64> {
            scores
                .iter()
                .filter(|r| r.stage == stage)
                .map(|r| (r.indicator_code.clone(), from_centi(r.score_centi)))
                .collect()
        };
        let now = now_ms();
        let mut score_centi = None;
        match action {
            StarAction::Declare => {
                let sc = rules::score(&scheme, &values, &review("self"), &HashMap::new());
                rule.may_declare(s.year as i32, today(), &sc).map_err(|r| match r {
                    DeclareRefusal::ReviewsMissing(v) => AppError::rule(
                        "scores",
                        format!("以下指标未自评：{} / not self-assessed: {}", names(&scheme, &v), v.join(", ")),
                    )
                    .with_details(serde_json::json!({ "field": "scores", "missing": v })),
                    DeclareRefusal::BelowMinimum { score, min } => AppError::rule(
                        "score",
                        format!("自评 {score} 分，未达 {min} 分，不能申报 / self-score {score} is below {min}"),
                    ),
                    DeclareRefusal::PastDeadline { deadline } => AppError::rule(
                        "deadline",
                        format!("申报截止 {deadline}，已过期 / the deadline {deadline} has passed"),
                    ),
                })?;
                s.self_centi = Some(centi(sc.total));
                s.declared_at = Some(now);
                score_centi = s.self_centi;
            }
            StarAction::StreetPass => {
                let sc = rules::score(&scheme, &values, &review("street"), &HashMap::new());
                let missing: Vec<String> = sc.indicators.iter().filter(|i| i.pending).map(|i| i.code.clone()).collect();
                if !missing.is_empty() {
                    return Err(AppError::rule(
                        "scores",
                        format!(
                            "以下指标未审核评分：{} / not reviewed: {}",
                            names(&scheme, &missing),
                            missing.join(", ")
                        ),
                    )
                    .with_details(serde_json::json!({ "field": "scores", "missing": missing })));
                }
                if sc.total < rule.declare_min {
                    return Err(AppError::rule(
                        "score",
                        format!(
                            "审核得分 {} 未达 {} 分，应退回 / reviewed score below {}, return it",
                            sc.total, rule.declare_min, rule.declare_min
                        ),
                    ));
                }
                s.street_centi = Some(centi(sc.total));
                score_centi = s.street_centi;
            }
            StarAction::Approve => {
                let fin = s.street_centi.unwrap_or(0);
                s.final_centi = Some(fin);
                s.stars = i64::from(rule.stars(from_centi(fin)));
                s.approved_at = Some(now);
                s.flag_reason.clear();
                score_centi = Some(fin);
            }
            StarAction::Flag => s.flag_reason = note.clone(),
            StarAction::Restore => {
                s.flag_reason.clear();
                // Incidents before the review no longer count against the kept star.
                s.approved_at = Some(now);
            }
            StarAction::Withdraw => {
                s.stars = 0;
                s.flag_reason = note.clone();
            }
            StarAction::StreetReturn | StarAction::DistrictReturn => {}
        }
        let from = s.status.clone();
        s.status = next.as_str().into();
        let mut tx = self.store.begin().await?;
        Store::save_star(&mut tx, &s, now).await.map_err(changed)?;
        Store::insert_star_action(
            &mut tx,
            id,
            now,
            action.as_str(),
            &from,
            &s.status,
            &actor.username,
            &note,
            score_centi,
        )
        .await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: &format!("star_{}", action.as_str()),
                object: &format!("star:{id}"),
                reason: (!note.is_empty()).then_some(note.as_str()),
                region_code: Some(&s.community_code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.star_detail(actor, id).await
    }

    /// Flags approved stars whose community had incidents since approval (the incident rule), as the system.
    /// Run by the server loop; returns how many were flagged.
    pub async fn sweep_star_incidents(&self) -> Result<usize> {
        let mut n = 0;
        let year = today().year() as i64;
        for s in self.store.star_assessments_approved(year - 1).await? {
            let scheme = self.star_scheme(&s).await?;
            let rule = scheme.star.clone().unwrap_or_default();
            let (red, serious, _) = self.star_incidents(&s, &rule).await?;
            let Some(reason) = rule.incident(red, serious) else { continue };
            let mut row = s.clone();
            row.status = StarStatus::Flagged.as_str().into();
            row.flag_reason = reason.clone();
            let now = now_ms();
            let mut tx = self.store.begin().await?;
            if Store::save_star(&mut tx, &row, now).await.is_err() {
                continue;
            }
            Store::insert_star_action(&mut tx, s.id, now, "flag", "approved", "flagged", "system", &reason, None)
                .await?;
            Store::audit(
                &mut tx,
                NewAudit {
                    actor: "system",
                    action: "star_flag",
                    object: &format!("star:{}", s.id),
                    reason: Some(&reason),
                    region_code: Some(&s.community_code),
                },
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            n += 1;
        }
        Ok(n)
    }

    /// The community's current star for its public portal (no login): stars, year and final score only.
    pub async fn public_star(&self, community: &str) -> Result<Option<(i64, i64, f64)>> {
        Ok(self
            .store
            .published_star(community)
            .await?
            .map(|s| (s.stars, s.year, s.final_centi.map(from_centi).unwrap_or(0.0))))
    }
}

impl App {
    /// Demo star assessments, written in one transaction like the other demo loaders: last year's approved
    /// ★★★★ for the first community (shown on its portal), and this year's self-assessment of the second
    /// community declared and waiting for the street.
    pub(crate) async fn load_demo_assessment(&self, data: &wangge_demo::DemoData) -> Result<()> {
        use wangge_domain::region::RegionLevel;
        let communities: Vec<&str> = data
            .regions
            .iter()
            .filter(|r| r.level == RegionLevel::Community)
            .map(|r| r.code.as_str())
            .take(2)
            .collect();
        let year = today().year() as i64;
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        let mut stored = std::collections::HashSet::new();
        for (i, code) in communities.iter().enumerate() {
            let y = if i == 0 { year - 1 } else { year };
            let scheme = rules::default_star_scheme(y as i32);
            if stored.insert(scheme.code.clone()) {
                let row = SchemeRow {
                    code: scheme.code.clone(),
                    subject: Subject::Community.as_str().into(),
                    name: scheme.name.clone(),
                    body: serde_json::to_string(&scheme).map_err(|e| AppError::internal(e.to_string()))?,
                    active: y == year,
                    updated_at: now,
                };
                Store::put_assessment_scheme(&mut tx, &row, "demo").await?;
            }
            let id = Store::insert_star_assessment(&mut tx, code, y, &scheme.code, now).await?;
            let evidence = ["/life/meetings", "/participation/notices", "/life/volunteers", "/services/catalogue"];
            let mut self_total = 0.0;
            let mut street_total = 0.0;
            for (j, (_, ind)) in scheme.indicators().enumerate() {
                let full = ind.points;
                if ind.source != Source::Review {
                    self_total += full;
                    street_total += full;
                    continue;
                }
                let (mine, theirs) = if j % 3 == 0 { (full, full - 1.0) } else { (full, full) };
                self_total += mine;
                street_total += theirs;
                for (stage, score, by) in [("self", mine, "demo_community"), ("street", theirs, "demo_street")] {
                    if stage == "street" && i == 1 {
                        continue;
                    }
                    let row = StarScoreRow {
                        stage: stage.into(),
                        indicator_code: ind.code.clone(),
                        score_centi: centi(score),
                        evidence: evidence[j % evidence.len()].into(),
                        entered_by: by.into(),
                        entered_at: now,
                    };
                    Store::put_star_score(&mut tx, id, stage, &row).await?;
                }
            }
            let rule = scheme.star.clone().unwrap_or_default();
            let mut row = StarRow {
                id,
                community_code: code.to_string(),
                community_name: String::new(),
                year: y,
                scheme_code: scheme.code.clone(),
                status: StarStatus::Declared.as_str().into(),
                version: 1,
                self_centi: Some(centi(self_total)),
                street_centi: None,
                final_centi: None,
                stars: 0,
                declared_at: Some(now),
                approved_at: None,
                flag_reason: String::new(),
                updated_at: now,
            };
            let mut steps =
                vec![("open", "", "draft", "demo_community"), ("declare", "draft", "declared", "demo_community")];
            if i == 0 {
                row.status = StarStatus::Approved.as_str().into();
                row.street_centi = Some(centi(street_total));
                row.final_centi = Some(centi(street_total));
                row.stars = i64::from(rule.stars(street_total));
                row.approved_at = Some(now);
                steps.extend([
                    ("street_pass", "declared", "street_passed", "demo_street"),
                    ("approve", "street_passed", "approved", "demo_district"),
                ]);
            }
            Store::save_star(&mut tx, &row, now).await?;
            for (action, from, to, by) in steps {
                Store::insert_star_action(&mut tx, id, now, action, from, to, by, "", None).await?;
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        if let Some(c1) = communities.first() {
            self.load_demo_property(data, c1).await?;
        }
        Ok(())
    }

    /// Two property companies of the first community, each serving one of its grids, with this quarter's
    /// inspections and the community's open parking poll (its 1–5 satisfaction question) as their survey.
    async fn load_demo_property(&self, data: &wangge_demo::DemoData, community: &str) -> Result<()> {
        use wangge_domain::organization::credit_code_check;
        use wangge_store::assessment::{InspectionRow, PropertyCompanyRow};
        let grids: Vec<(&str, &str)> = data
            .regions
            .iter()
            .filter(|r| r.parent_code.as_deref() == Some(community))
            .map(|r| (r.code.as_str(), r.name.as_str()))
            .take(2)
            .collect();
        let system = crate::system_actor("demo");
        let polls = self
            .list_polls(
                &system,
                crate::participation::polls::PollQuery {
                    region: Some(community),
                    status: None,
                    kind: Some("survey"),
                    cursor: None,
                    limit: Some(20),
                },
            )
            .await?;
        let parking = polls.items.iter().find(|p| p.title.contains("停车")).map(|p| p.id);
        let t = today();
        let quarter = Period::parse("period", &format!("{}-Q{}", t.year(), t.month0() / 3 + 1))?;
        let (code, from_day, to_day) = (quarter.code(), quarter.from_day(), quarter.to_day());
        let now = now_ms();
        // (name, credit code's first 17, contact, phone, inspection scores as a share of each item's points)
        let companies = [
            ("绿城物业服务中心", "91330199MA2GC0001", "周建明", "13805710001", [1.0, 0.875, 0.875, 1.0, 1.0, 0.8, 0.8]),
            (
                "安居物业管理有限公司",
                "91330199MA2GC0002",
                "钱立新",
                "13805710002",
                [0.7, 0.75, 0.625, 0.5, 0.75, 0.6, 0.4],
            ),
        ];
        let mut tx = self.store.begin().await?;
        for (i, (name, first17, contact, phone, shares)) in companies.iter().enumerate() {
            let Some((grid, grid_name)) = grids.get(i) else { break };
            let credit = format!("{first17}{}", credit_code_check(first17).unwrap_or('0'));
            let row = PropertyCompanyRow {
                id: 0,
                region_code: community.to_string(),
                region_name: String::new(),
                name: (*name).into(),
                credit_code: credit,
                contact_name: (*contact).into(),
                contact_phone: (*phone).into(),
                version: 1,
                created_by: "demo_community".into(),
                created_at: now,
                updated_at: now,
                areas: Vec::new(),
            };
            let id = Store::insert_property_company(&mut tx, &row, now).await?;
            Store::set_property_areas(&mut tx, id, &[grid.to_string()]).await?;
            for ((ind, item, _, points), share) in rules::PROPERTY_INSPECTIONS.iter().zip(shares) {
                let r = InspectionRow {
                    period: code.clone(),
                    indicator_code: (*ind).into(),
                    score_centi: centi(points * share),
                    evidence: format!("{grid_name}{item}现场检查记录（社区月度巡查）"),
                    entered_by: "demo_community".into(),
                    entered_at: now,
                };
                Store::put_property_inspection(&mut tx, id, (&code, &from_day, &to_day), &r).await?;
            }
            if let Some(poll) = parking {
                Store::set_property_surveys(
                    &mut tx,
                    id,
                    (&code, &from_day, &to_day),
                    &[(poll, 1)],
                    "demo_community",
                    now,
                )
                .await?;
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}

/// Indicator names for a message, in the scheme's order.
/// The indicator a reviewer scores as `scores[i]`: one of the scheme's, entered by people (not computed), and the
/// score within 0…its points — the check shared by star and property scoring.
pub(crate) fn reviewed_indicator<'a>(
    scheme: &'a Scheme,
    i: usize,
    code: &str,
    score: f64,
) -> Result<&'a wangge_domain::assessment::Indicator> {
    let f = |k: &str| format!("scores[{i}].{k}");
    let ind = scheme
        .indicator(code.trim())
        .ok_or_else(|| AppError::field(&f("indicator_code"), "无此指标 / no such indicator"))?;
    if ind.source != Source::Review {
        return Err(AppError::field(&f("indicator_code"), "客观指标由系统计算 / objective indicators are computed"));
    }
    if !(score.is_finite() && score >= 0.0 && score <= ind.points) {
        return Err(AppError::field(&f("score"), format!("应在 0 到 {} 之间 / must be 0–{}", ind.points, ind.points)));
    }
    Ok(ind)
}

fn names(scheme: &Scheme, codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| scheme.indicator(c).map(|i| i.name.clone()).unwrap_or_else(|| c.clone()))
        .collect::<Vec<_>>()
        .join("、")
}

fn changed(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(_) => AppError::conflict("已被他人修改，请刷新 / changed meanwhile, reload"),
        e => e.into(),
    }
}

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::internal(format!("writing the payroll workbook: {e}"))
}

/// 绩效工资表: one row per worker (username, name, grids, score, deductions, base, performance, total in yuan),
/// the watermark in the page header and on a last row.
pub fn payroll_workbook(region: &str, period: &str, rows: &[WorkerRow], watermark: &str) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("0.00");
    let ws = wb.add_worksheet();
    ws.set_name("绩效工资").map_err(xlsx_err)?;
    ws.set_header(format!("&L{}", watermark.replace('&', "&&")));
    ws.write_string_with_format(0, 0, format!("网格员绩效工资表 {region} {period}"), &bold).map_err(xlsx_err)?;
    let heads = ["账号", "姓名", "网格", "考核得分", "扣分", "基础工资(元)", "绩效工资(元)", "应发合计(元)"];
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *h, &bold).map_err(xlsx_err)?;
        ws.set_column_width(c as u16, if c == 2 { 30 } else { 14 }).map_err(xlsx_err)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = 3 + i as u32;
        ws.write_string(row, 0, &r.username).map_err(xlsx_err)?;
        ws.write_string(row, 1, &r.display_name).map_err(xlsx_err)?;
        ws.write_string(row, 2, r.grids.join("、")).map_err(xlsx_err)?;
        ws.write_number(row, 3, r.total).map_err(xlsx_err)?;
        ws.write_number(row, 4, r.deducted).map_err(xlsx_err)?;
        let (base, perf, total) =
            r.pay.as_ref().map(|p| (p.base_cents, p.performance_cents, p.total_cents)).unwrap_or((0, 0, 0));
        ws.write_number_with_format(row, 5, base as f64 / 100.0, &money).map_err(xlsx_err)?;
        ws.write_number_with_format(row, 6, perf as f64 / 100.0, &money).map_err(xlsx_err)?;
        ws.write_number_with_format(row, 7, total as f64 / 100.0, &money).map_err(xlsx_err)?;
    }
    ws.write_string(4 + rows.len() as u32, 0, watermark).map_err(xlsx_err)?;
    wb.save_to_buffer().map_err(xlsx_err)
}
