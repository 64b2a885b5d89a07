//! Assessment (考核评价, issue #10): schemes as data (aspects → indicators, each an objective metric the system
//! computes or a score a reviewer enters with evidence), periods, the score with its deductions, the star rule of
//! 星级社区 (self-score ≥ 90 to declare, before a deadline; street review → district approval; an incident flags
//! the star) and the pay rule of grid workers (base + performance pool × score rule).
//! Pure: the app computes each metric's value from the records, and these rules turn values into points.

use crate::FieldError;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

vocabulary! {
    /// Who a scheme assesses.
    Subject {
        Community = ("community", "社区", "Community"),
        GridWorker = ("grid_worker", "网格员", "Grid worker"),
        Department = ("department", "职能部门", "Department"),
        Property = ("property", "物业服务企业", "Property company"),
    }
}

vocabulary! {
    /// The objective metrics the system computes from its own records. Each one is explainable: the app
    /// returns its value together with the records it was computed from.
    Metric {
        OnTimeRate = ("on_time_rate", "按期结案率", "On-time closure rate"),
        OnTimeDisposal = ("on_time_disposal", "按时处置率", "On-time disposal rate"),
        ReworkRate = ("rework_rate", "返工率", "Rework rate"),
        PostponementRate = ("postponement_rate", "延期率", "Postponement rate"),
        ValidReportRate = ("valid_report_rate", "有效上报率", "Valid report rate"),
        OnTimeVerification = ("on_time_verification", "按时核查率", "On-time verification rate"),
        VisitCompletion = ("visit_completion", "应访已访率", "Due visits done"),
        Satisfaction = ("satisfaction", "群众满意度", "Resident satisfaction"),
        PatrolHours = ("patrol_hours", "巡查时长", "Patrol hours"),
        FundLedgerPublished = ("fund_ledger_published", "资金台账公开", "Fund ledger published"),
        SurveySatisfaction = ("survey_satisfaction", "居民满意度测评", "Residents' survey satisfaction"),
    }
}

impl Metric {
    /// Rates where less is better: no rework scores full points, `limit` or more scores none.
    pub fn lower_is_better(self) -> bool {
        matches!(self, Metric::ReworkRate | Metric::PostponementRate)
    }

    /// Metrics that must be measured: without data the indicator is pending (0 points) rather than full.
    /// A company nobody surveyed has not earned its residents' satisfaction.
    pub fn requires_data(self) -> bool {
        matches!(self, Metric::SurveySatisfaction)
    }

    /// How the value reads: `ratio` 0–1, `score` 1–5 (average rating), `hours`.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Satisfaction | Metric::SurveySatisfaction => "score",
            Metric::PatrolHours => "hours",
            _ => "ratio",
        }
    }
}

vocabulary! {
    /// Assessment periods.
    PeriodKind {
        Month = ("month", "月度", "Month"),
        Quarter = ("quarter", "季度", "Quarter"),
        Year = ("year", "年度", "Year"),
    }
}

/// A month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`), as China-time days `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn parse(field: &str, s: &str) -> Result<Period, FieldError> {
        let s = s.trim();
        let bad = || {
            FieldError::new(
                field,
                format!("期间格式应为 2026-11、2026-Q4 或 2026 / expected YYYY-MM, YYYY-Qn or YYYY: {s}"),
            )
        };
        let year = |y: &str| -> Result<i32, FieldError> {
            let y: i32 = y.parse().map_err(|_| bad())?;
            if (2000..=2100).contains(&y) { Ok(y) } else { Err(bad()) }
        };
        let first = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad);
        if let Some((y, q)) = s.split_once("-Q").or_else(|| s.split_once("-q")) {
            let y = year(y)?;
            let q: u32 = q.parse().map_err(|_| bad())?;
            if !(1..=4).contains(&q) {
                return Err(bad());
            }
            let from = first(y, (q - 1) * 3 + 1)?;
            let to = if q == 4 { first(y + 1, 1)? } else { first(y, q * 3 + 1)? };
            return Ok(Period { kind: PeriodKind::Quarter, from, to });
        }
        if let Some((y, m)) = s.split_once('-') {
            let y = year(y)?;
            let m: u32 = m.parse().map_err(|_| bad())?;
            let from = first(y, m)?;
            let to = if m == 12 { first(y + 1, 1)? } else { first(y, m + 1)? };
            return Ok(Period { kind: PeriodKind::Month, from, to });
        }
        let y = year(s)?;
        Ok(Period { kind: PeriodKind::Year, from: first(y, 1)?, to: first(y + 1, 1)? })
    }

    /// The period's code, as parsed.
    pub fn code(&self) -> String {
        match self.kind {
            PeriodKind::Month => self.from.format("%Y-%m").to_string(),
            PeriodKind::Quarter => format!("{}-Q{}", self.from.year(), self.from.month0() / 3 + 1),
            PeriodKind::Year => self.from.year().to_string(),
        }
    }

    pub fn from_day(&self) -> String {
        self.from.format("%Y-%m-%d").to_string()
    }

    pub fn to_day(&self) -> String {
        self.to.format("%Y-%m-%d").to_string()
    }

    /// The months it covers (`YYYY-MM`), for monthly rollups.
    pub fn months(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut d = self.from;
        while d < self.to {
            out.push(d.format("%Y-%m").to_string());
            d = if d.month() == 12 {
                NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
            }
            .expect("first of month");
        }
        out
    }

    /// Unix milliseconds of the period's bounds in China time (UTC+8, no daylight saving).
    pub fn ms_range(&self) -> (i64, i64) {
        let ms = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp_millis() - 8 * 3_600_000;
        (ms(self.from), ms(self.to))
    }
}

/// Where an indicator's points come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// Computed by the system. Higher-is-better metrics earn `points × min(1, value / target)`; lower-is-better
    /// ones earn `points × max(0, 1 − value / target)` (target = the rate at which nothing is earned). A metric
    /// with nothing to measure (no events, nobody due) earns full points: nobody loses points for work that
    /// did not exist — the counter-measure to quota-driven reporting.
    Metric { metric: Metric, target: f64 },
    /// Entered by the assessed (self-assessment) and by reviewers, each with evidence, at most `points`.
    Review,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub points: f64,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aspect {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub indicators: Vec<Indicator>,
}

/// A deduction per occurrence (督办黄牌 2 points, 红牌 5 points…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeductionRule {
    /// `yellow_card` and `red_card` are counted by the system from supervision cards; other codes are entered.
    pub code: String,
    pub name: String,
    pub points: f64,
}

/// 星级社区: who may declare, until when, and what score earns how many stars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StarRule {
    /// Minimum self-score to declare (90 in the seed documents).
    pub declare_min: f64,
    /// Last day of the year to declare, `MM-DD` (9月30日前).
    pub deadline: String,
    /// (minimum approved score, stars), any order.
    pub levels: Vec<(f64, u8)>,
    /// Red supervision cards in the community since approval that flag the star for review.
    pub red_cards: i64,
    /// Event category prefixes whose events count as serious incidents (e.g. a serious safety event).
    pub incident_categories: Vec<String>,
}

impl Default for StarRule {
    fn default() -> Self {
        StarRule {
            declare_min: 90.0,
            deadline: "09-30".into(),
            levels: vec![(90.0, 3), (95.0, 4), (98.0, 5)],
            red_cards: 1,
            incident_categories: vec!["Z0301".into()],
        }
    }
}

/// 基础+绩效: pay = base + pool × factor(score).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayRule {
    pub base_cents: i64,
    pub pool_cents: i64,
    pub rule: ScoreRule,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScoreRule {
    /// factor = score / 100.
    Linear,
    /// factor of the highest band whose minimum score is reached; below every band, 0.
    Bands { bands: Vec<(f64, f64)> },
}

impl PayRule {
    pub fn factor(&self, score: f64) -> f64 {
        match &self.rule {
            ScoreRule::Linear => (score / 100.0).clamp(0.0, 1.0),
            ScoreRule::Bands { bands } => bands
                .iter()
                .filter(|(min, _)| score >= *min)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, f)| *f)
                .unwrap_or(0.0),
        }
    }

    /// Performance pay in cents (rounded to the cent) and the total.
    pub fn pay(&self, score: f64) -> (i64, i64) {
        let perf = (self.pool_cents as f64 * self.factor(score)).round() as i64;
        (perf, self.base_cents + perf)
    }
}

impl Default for PayRule {
    fn default() -> Self {
        PayRule {
            base_cents: 300_000,
            pool_cents: 100_000,
            rule: ScoreRule::Bands { bands: vec![(90.0, 1.0), (80.0, 0.8), (70.0, 0.6), (60.0, 0.4)] },
        }
    }
}

/// 物业服务考评: which events count as property-related, and the 以奖代补 awards by score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyRule {
    /// Event category prefixes counted for the company's `on_time_rate` (物业纠纷 `Z0104`).
    #[serde(default)]
    pub event_categories: Vec<String>,
    /// (minimum score, award in cents), any order: the highest band reached pays; below all, none.
    #[serde(default)]
    pub awards: Vec<(f64, i64)>,
}

impl PropertyRule {
    /// The award (cents) a score earns, 以奖代补.
    pub fn award(&self, score: f64) -> i64 {
        self.awards
            .iter()
            .filter(|(min, _)| score >= *min)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, c)| *c)
            .unwrap_or(0)
    }

    /// Whether an event category counts (no prefixes: every event of the company's areas).
    pub fn counts_category(&self, category: &str) -> bool {
        self.event_categories.is_empty()
            || self.event_categories.iter().any(|c| !c.is_empty() && category.starts_with(c.as_str()))
    }
}

impl Default for PropertyRule {
    fn default() -> Self {
        PropertyRule {
            event_categories: vec!["Z0104".into()],
            awards: vec![(90.0, 2_000_000), (80.0, 1_000_000), (70.0, 500_000)],
        }
    }
}

/// An assessment scheme, stored as JSON and edited by admins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scheme {
    pub code: String,
    pub name: String,
    pub subject: Subject,
    pub period: PeriodKind,
    pub aspects: Vec<Aspect>,
    #[serde(default)]
    pub deductions: Vec<DeductionRule>,
    #[serde(default)]
    pub star: Option<StarRule>,
    #[serde(default)]
    pub pay: Option<PayRule>,
    #[serde(default)]
    pub property: Option<PropertyRule>,
}

impl Scheme {
    /// Checks a scheme as received: codes unique, points positive, targets positive, at most 100 points in all.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.code.trim().is_empty() || self.code.len() > 40 {
            return Err(FieldError::new("code", "请填写方案编码 / code required (≤ 40)"));
        }
        if self.name.trim().is_empty() {
            return Err(FieldError::new("name", "请填写方案名称 / name required"));
        }
        if self.aspects.is_empty() {
            return Err(FieldError::new("aspects", "至少一个方面 / at least one aspect"));
        }
        let mut seen = std::collections::HashSet::new();
        let mut total = 0.0;
        for (i, a) in self.aspects.iter().enumerate() {
            if a.indicators.is_empty() {
                return Err(FieldError::new(
                    format!("aspects[{i}].indicators"),
                    "至少一个指标 / at least one indicator",
                ));
            }
            for (j, ind) in a.indicators.iter().enumerate() {
                let f = |k: &str| format!("aspects[{i}].indicators[{j}].{k}");
                if ind.code.trim().is_empty() || !seen.insert(ind.code.clone()) {
                    return Err(FieldError::new(f("code"), "指标编码为空或重复 / indicator code empty or repeated"));
                }
                if !(ind.points > 0.0 && ind.points.is_finite()) {
                    return Err(FieldError::new(f("points"), "分值应大于 0 / points must be > 0"));
                }
                if let Source::Metric { target, .. } = ind.source
                    && !(target > 0.0 && target.is_finite())
                {
                    return Err(FieldError::new(f("source.target"), "目标值应大于 0 / target must be > 0"));
                }
                total += ind.points;
            }
        }
        if total > 100.0 + 1e-9 {
            return Err(FieldError::new("aspects", format!("总分不能超过 100 / points add up to {total}")));
        }
        if let Some(r) = &self.property {
            for (i, (min, cents)) in r.awards.iter().enumerate() {
                if !(min.is_finite() && (0.0..=100.0).contains(min)) || *cents < 0 {
                    return Err(FieldError::new(
                        format!("property.awards[{i}]"),
                        "分数应在 0–100，奖励不能为负 / score 0–100, award ≥ 0",
                    ));
                }
            }
        }
        if let Some(s) = &self.star {
            parse_deadline(&s.deadline, 2026)
                .ok_or_else(|| FieldError::new("star.deadline", "应为 MM-DD / expected MM-DD"))?;
        }
        Ok(())
    }

    pub fn indicators(&self) -> impl Iterator<Item = (&Aspect, &Indicator)> {
        self.aspects.iter().flat_map(|a| a.indicators.iter().map(move |i| (a, i)))
    }

    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.indicators().map(|(_, i)| i).find(|i| i.code == code)
    }

    pub fn metrics(&self) -> Vec<Metric> {
        let mut v: Vec<Metric> = self
            .indicators()
            .filter_map(|(_, i)| match i.source {
                Source::Metric { metric, .. } => Some(metric),
                Source::Review => None,
            })
            .collect();
        v.dedup();
        v
    }
}

/// Points a metric's value earns.
pub fn metric_points(metric: Metric, value: Option<f64>, target: f64, points: f64) -> f64 {
    let Some(v) = value else { return points };
    let share = if metric.lower_is_better() { 1.0 - v / target } else { v / target };
    round2(points * share.clamp(0.0, 1.0))
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// One indicator's result in a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorScore {
    pub aspect: String,
    pub code: String,
    pub name: String,
    pub points: f64,
    pub earned: f64,
    /// The metric and its value, for objective indicators.
    pub metric: Option<Metric>,
    pub value: Option<f64>,
    /// `true` when a reviewer's score is still missing (counts 0).
    pub pending: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeductionScore {
    pub code: String,
    pub name: String,
    pub count: i64,
    pub points: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub indicators: Vec<IndicatorScore>,
    pub deductions: Vec<DeductionScore>,
    /// Points before deductions.
    pub earned: f64,
    pub deducted: f64,
    /// max(0, earned − deducted).
    pub total: f64,
}

/// Scores a scheme: `values` holds each metric's value (`None` = nothing to measure), `reviews` each reviewed
/// indicator's entered score (clamped to its points), `counts` how often each deduction applies.
pub fn score(
    scheme: &Scheme,
    values: &HashMap<Metric, Option<f64>>,
    reviews: &HashMap<String, f64>,
    counts: &HashMap<String, i64>,
) -> Score {
    let mut indicators = Vec::new();
    for (a, i) in scheme.indicators() {
        let (earned, metric, value, pending) = match i.source {
            Source::Metric { metric, target } => {
                let value = values.get(&metric).copied().flatten();
                let pending = value.is_none() && metric.requires_data();
                let earned = if pending { 0.0 } else { metric_points(metric, value, target, i.points) };
                (earned, Some(metric), value, pending)
            }
            Source::Review => match reviews.get(&i.code) {
                Some(s) => (round2(s.clamp(0.0, i.points)), None, None, false),
                None => (0.0, None, None, true),
            },
        };
        indicators.push(IndicatorScore {
            aspect: a.code.clone(),
            code: i.code.clone(),
            name: i.name.clone(),
            points: i.points,
            earned,
            metric,
            value,
            pending,
        });
    }
    let deductions: Vec<DeductionScore> = scheme
        .deductions
        .iter()
        .map(|d| {
            let count = counts.get(&d.code).copied().unwrap_or(0).max(0);
            DeductionScore {
                code: d.code.clone(),
                name: d.name.clone(),
                count,
                points: round2(d.points * count as f64),
            }
        })
        .collect();
    let earned = round2(indicators.iter().map(|i| i.earned).sum());
    let deducted = round2(deductions.iter().map(|d| d.points).sum());
    Score { indicators, deductions, earned, deducted, total: round2((earned - deducted).max(0.0)) }
}

fn parse_deadline(mmdd: &str, year: i32) -> Option<NaiveDate> {
    let (m, d) = mmdd.trim().split_once('-')?;
    NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?)
}

/// Why a declaration is refused (422).
#[derive(Debug, Clone, PartialEq)]
pub enum DeclareRefusal {
    BelowMinimum { score: f64, min: f64 },
    PastDeadline { deadline: NaiveDate },
    ReviewsMissing(Vec<String>),
}

impl StarRule {
    /// The last day a declaration for `year` is accepted.
    pub fn deadline_in(&self, year: i32) -> NaiveDate {
        parse_deadline(&self.deadline, year).unwrap_or_else(|| NaiveDate::from_ymd_opt(year, 9, 30).expect("date"))
    }

    /// May a community declare for `year` on `today` with this self-score? Every self-assessed indicator must
    /// be filled in (a missing one would count 0 and hide what the community did not assess).
    pub fn may_declare(&self, year: i32, today: NaiveDate, self_score: &Score) -> Result<(), DeclareRefusal> {
        let missing: Vec<String> = self_score.indicators.iter().filter(|i| i.pending).map(|i| i.code.clone()).collect();
        if !missing.is_empty() {
            return Err(DeclareRefusal::ReviewsMissing(missing));
        }
        let deadline = self.deadline_in(year);
        if today > deadline {
            return Err(DeclareRefusal::PastDeadline { deadline });
        }
        if self_score.total < self.declare_min {
            return Err(DeclareRefusal::BelowMinimum { score: self_score.total, min: self.declare_min });
        }
        Ok(())
    }

    /// Stars an approved score earns (0 below every level).
    pub fn stars(&self, score: f64) -> u8 {
        self.levels.iter().filter(|(min, _)| score >= *min).map(|(_, s)| *s).max().unwrap_or(0)
    }

    /// Whether incidents since approval flag the star for review, with the reason.
    pub fn incident(&self, red_cards: i64, serious_events: i64) -> Option<String> {
        if self.red_cards > 0 && red_cards >= self.red_cards {
            return Some(format!("红牌督办 {red_cards} 次 / {red_cards} red supervision card(s)"));
        }
        if serious_events > 0 {
            return Some(format!("重大事件 {serious_events} 起 / {serious_events} serious incident(s)"));
        }
        None
    }
}

vocabulary! {
    /// Where a community's star assessment stands.
    StarStatus {
        Draft = ("draft", "自评中", "Self-assessing"),
        Declared = ("declared", "已申报", "Declared"),
        Returned = ("returned", "已退回", "Returned"),
        StreetPassed = ("street_passed", "街道已审核", "Reviewed by street"),
        Approved = ("approved", "区级已审定", "Approved"),
        Flagged = ("flagged", "待复核", "Flagged for review"),
        Withdrawn = ("withdrawn", "已摘星", "Withdrawn"),
    }
}

vocabulary! {
    /// What is done to a star assessment besides filling it in.
    StarAction {
        Declare = ("declare", "申报", "Declare"),
        StreetPass = ("street_pass", "街道审核通过", "Street: pass"),
        StreetReturn = ("street_return", "街道退回", "Street: return"),
        Approve = ("approve", "区级审定", "District: approve"),
        DistrictReturn = ("district_return", "区级退回", "District: return"),
        Flag = ("flag", "标记复核", "Flag for review"),
        Restore = ("restore", "复核保留", "Keep the star"),
        Withdraw = ("withdraw", "摘星", "Withdraw the star"),
    }
}

/// Who acts at which step of the chain: the community declares, the street reviews, the district approves
/// and manages stars dynamically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StarStep {
    Community,
    Street,
    District,
}

impl StarAction {
    pub fn step(self) -> StarStep {
        match self {
            StarAction::Declare => StarStep::Community,
            StarAction::StreetPass | StarAction::StreetReturn => StarStep::Street,
            _ => StarStep::District,
        }
    }
}

/// The state an action leads to, or `None` when the state does not allow it (409).
pub fn star_next(action: StarAction, status: StarStatus) -> Option<StarStatus> {
    use StarAction as A;
    use StarStatus as S;
    match (action, status) {
        (A::Declare, S::Draft | S::Returned) => Some(S::Declared),
        (A::StreetPass, S::Declared) => Some(S::StreetPassed),
        (A::StreetReturn, S::Declared) => Some(S::Returned),
        (A::Approve, S::StreetPassed) => Some(S::Approved),
        (A::DistrictReturn, S::StreetPassed) => Some(S::Returned),
        (A::Flag, S::Approved) => Some(S::Flagged),
        (A::Restore, S::Flagged) => Some(S::Approved),
        (A::Withdraw, S::Flagged | S::Approved) => Some(S::Withdrawn),
        _ => None,
    }
}

/// Whether the self-assessment may still be edited (the community fills it in only before declaring).
pub fn self_editable(status: StarStatus) -> bool {
    matches!(status, StarStatus::Draft | StarStatus::Returned)
}

/// The 8 aspects of the seed documents' 城乡和谐社区 standard, as a ready scheme of 100 points: objective
/// indicators where the system holds the facts, reviewed indicators (with evidence) for the rest.
pub fn default_star_scheme(year: i32) -> Scheme {
    let review = |code: &str, name: &str, name_en: &str, points: f64| Indicator {
        code: code.into(),
        name: name.into(),
        name_en: name_en.into(),
        points,
        source: Source::Review,
    };
    let metric = |code: &str, m: Metric, target: f64, points: f64| Indicator {
        code: code.into(),
        name: m.label_zh().into(),
        name_en: m.label_en().into(),
        points,
        source: Source::Metric { metric: m, target },
    };
    let aspect = |code: &str, name: &str, name_en: &str, indicators: Vec<Indicator>| Aspect {
        code: code.into(),
        name: name.into(),
        name_en: name_en.into(),
        indicators,
    };
    Scheme {
        code: format!("star-{year}"),
        name: format!("{year}年度星级社区评定"),
        subject: Subject::Community,
        period: PeriodKind::Year,
        aspects: vec![
            aspect(
                "organization",
                "社区组织体系健全",
                "Organization",
                vec![
                    review("org_party", "党组织、居委会、服务站健全", "Party branch, committee, station in place", 8.0),
                    review("org_staff", "社区工作者配备与持证", "Staffing and certification", 4.0),
                ],
            ),
            aspect(
                "infrastructure",
                "社区基础设施完善",
                "Infrastructure",
                vec![review("inf_space", "用房 ≥ 400㎡、活动场所 ≥ 500㎡", "Rooms ≥ 400 m², outdoor ≥ 500 m²", 12.0)],
            ),
            aspect(
                "services",
                "社区服务功能完备",
                "Services",
                vec![
                    metric("svc_satisfaction", Metric::Satisfaction, 4.5, 8.0),
                    review("svc_window", "一站受理、错时服务", "One window, off-hours service", 6.0),
                ],
            ),
            aspect(
                "reform",
                "社区体制改革创新",
                "Reform and innovation",
                vec![
                    metric("ref_visits", Metric::VisitCompletion, 0.95, 6.0),
                    review("ref_sanshe", "三社联动", "Community–organizations–social workers", 6.0),
                ],
            ),
            aspect(
                "order",
                "社区社会秩序稳定",
                "Order and safety",
                vec![
                    metric("ord_on_time", Metric::OnTimeRate, 0.9, 8.0),
                    metric("ord_patrol", Metric::PatrolHours, 60.0, 4.0),
                ],
            ),
            aspect(
                "culture",
                "社区文化生活丰富",
                "Culture",
                vec![review("cul_activities", "文体团队与活动", "Cultural teams and activities", 12.0)],
            ),
            aspect(
                "environment",
                "社区环境优美整洁",
                "Environment",
                vec![
                    metric("env_rework", Metric::ReworkRate, 0.2, 6.0),
                    review("env_clean", "环境卫生与绿化", "Cleanliness and greenery", 6.0),
                ],
            ),
            aspect(
                "civility",
                "社区文明风尚彰显",
                "Civility",
                vec![
                    metric("civ_ledger", Metric::FundLedgerPublished, 1.0, 6.0),
                    review("civ_autonomy", "居民自治与四个民主", "Self-government", 8.0),
                ],
            ),
        ],
        deductions: vec![DeductionRule { code: "red_card".into(), name: "红牌督办".into(), points: 2.0 }],
        star: Some(StarRule::default()),
        pay: None,
        property: None,
    }
}

/// 网格员月度考核: the four systems (走访、信息反馈、目标管理、考核奖励) as facts the system holds.
pub fn default_worker_scheme() -> Scheme {
    let metric = |code: &str, m: Metric, target: f64, points: f64| Indicator {
        code: code.into(),
        name: m.label_zh().into(),
        name_en: m.label_en().into(),
        points,
        source: Source::Metric { metric: m, target },
    };
    Scheme {
        code: "grid-worker-monthly".into(),
        name: "网格员月度绩效考核".into(),
        subject: Subject::GridWorker,
        period: PeriodKind::Month,
        aspects: vec![
            Aspect {
                code: "visits".into(),
                name: "走访制度".into(),
                name_en: "Visits".into(),
                indicators: vec![metric("w_visits", Metric::VisitCompletion, 1.0, 35.0)],
            },
            Aspect {
                code: "feedback".into(),
                name: "信息反馈制度".into(),
                name_en: "Feedback".into(),
                indicators: vec![
                    metric("w_valid", Metric::ValidReportRate, 0.9, 20.0),
                    metric("w_verify", Metric::OnTimeVerification, 0.95, 15.0),
                ],
            },
            Aspect {
                code: "targets".into(),
                name: "目标管理制度".into(),
                name_en: "Targets".into(),
                indicators: vec![
                    metric("w_satisfaction", Metric::Satisfaction, 4.5, 15.0),
                    metric("w_patrol", Metric::PatrolHours, 20.0, 15.0),
                ],
            },
        ],
        deductions: vec![
            DeductionRule { code: "yellow_card".into(), name: "黄牌督办".into(), points: 2.0 },
            DeductionRule { code: "red_card".into(), name: "红牌督办".into(), points: 5.0 },
        ],
        star: None,
        pay: Some(PayRule::default()),
        property: None,
    }
}

/// 职能部门 ranking: how dispatched work is handled (GB/T 30428.4 部门 indicators).
pub fn default_department_scheme() -> Scheme {
    let metric = |code: &str, m: Metric, target: f64, points: f64| Indicator {
        code: code.into(),
        name: m.label_zh().into(),
        name_en: m.label_en().into(),
        points,
        source: Source::Metric { metric: m, target },
    };
    Scheme {
        code: "department-monthly".into(),
        name: "职能部门处置考核".into(),
        subject: Subject::Department,
        period: PeriodKind::Month,
        aspects: vec![Aspect {
            code: "disposal".into(),
            name: "事件处置".into(),
            name_en: "Disposal".into(),
            indicators: vec![
                metric("d_on_time", Metric::OnTimeDisposal, 1.0, 40.0),
                metric("d_rework", Metric::ReworkRate, 0.5, 25.0),
                metric("d_postpone", Metric::PostponementRate, 0.5, 15.0),
                metric("d_satisfaction", Metric::Satisfaction, 5.0, 20.0),
            ],
        }],
        deductions: vec![
            DeductionRule { code: "yellow_card".into(), name: "黄牌督办".into(), points: 1.0 },
            DeductionRule { code: "red_card".into(), name: "红牌督办".into(), points: 3.0 },
        ],
        star: None,
        pay: None,
        property: None,
    }
}

/// The inspection items community staff score a property company on (社区检查), with their points.
pub const PROPERTY_INSPECTIONS: &[(&str, &str, &str, f64)] = &[
    ("pm_sanitation", "环境卫生", "Cleanliness", 10.0),
    ("pm_security", "秩序维护与安保", "Order and security", 8.0),
    ("pm_facilities", "设施设备维护", "Facilities upkeep", 8.0),
    ("pm_greenery", "绿化养护", "Greenery", 6.0),
    ("pm_fire", "消防安全", "Fire safety", 8.0),
    ("pm_disclosure", "收费公示与服务公开", "Fees and service disclosure", 5.0),
    ("pm_complaints", "投诉处理", "Complaint handling", 5.0),
];

/// 物业服务考评 (小区物业管理考评制度, 以奖代补): residents' satisfaction from a survey (40), the community's
/// inspection items with evidence (50), and the on-time closure of property-related events in the company's
/// areas (10), by quarter.
pub fn default_property_scheme() -> Scheme {
    Scheme {
        code: "property-quarterly".into(),
        name: "物业服务企业考评".into(),
        subject: Subject::Property,
        period: PeriodKind::Quarter,
        aspects: vec![
            Aspect {
                code: "satisfaction".into(),
                name: "居民满意度".into(),
                name_en: "Residents' satisfaction".into(),
                indicators: vec![Indicator {
                    code: "pm_survey".into(),
                    name: "居民满意度测评".into(),
                    name_en: "Residents' survey".into(),
                    points: 40.0,
                    source: Source::Metric { metric: Metric::SurveySatisfaction, target: 5.0 },
                }],
            },
            Aspect {
                code: "inspection".into(),
                name: "社区检查".into(),
                name_en: "Community inspection".into(),
                indicators: PROPERTY_INSPECTIONS
                    .iter()
                    .map(|(code, name, name_en, points)| Indicator {
                        code: (*code).into(),
                        name: (*name).into(),
                        name_en: (*name_en).into(),
                        points: *points,
                        source: Source::Review,
                    })
                    .collect(),
            },
            Aspect {
                code: "events".into(),
                name: "物业类事件办理".into(),
                name_en: "Property events".into(),
                indicators: vec![Indicator {
                    code: "pm_events".into(),
                    name: "物业类事件按期办结率".into(),
                    name_en: "Property events closed on time".into(),
                    points: 10.0,
                    source: Source::Metric { metric: Metric::OnTimeRate, target: 0.9 },
                }],
            },
        ],
        deductions: Vec::new(),
        star: None,
        pay: None,
        property: Some(PropertyRule::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_parse_to_day_ranges() {
        let m = Period::parse("period", "2026-12").unwrap();
        assert_eq!((m.from_day(), m.to_day(), m.code()), ("2026-12-01".into(), "2027-01-01".into(), "2026-12".into()));
        let q = Period::parse("period", "2026-Q4").unwrap();
        assert_eq!(q.months(), vec!["2026-10", "2026-11", "2026-12"]);
        assert_eq!(q.code(), "2026-Q4");
        let y = Period::parse("period", "2026").unwrap();
        assert_eq!(y.months().len(), 12);
        assert_eq!(y.kind, PeriodKind::Year);
        for bad in ["2026-13", "2026-Q5", "26", "x", "2026-Q0", ""] {
            assert_eq!(Period::parse("period", bad).unwrap_err().field, "period", "{bad}");
        }
        // 2026-11-01 00:00 in China is 2026-10-31 16:00 UTC.
        let (from, _) = Period::parse("p", "2026-11").unwrap().ms_range();
        assert_eq!(from, 1_793_462_400_000);
    }

    #[test]
    fn metric_points_are_proportional_and_nothing_to_measure_earns_full_points() {
        assert_eq!(metric_points(Metric::OnTimeRate, Some(0.45), 0.9, 8.0), 4.0);
        assert_eq!(metric_points(Metric::OnTimeRate, Some(1.0), 0.9, 8.0), 8.0);
        assert_eq!(metric_points(Metric::ReworkRate, Some(0.05), 0.2, 6.0), 4.5);
        assert_eq!(metric_points(Metric::ReworkRate, Some(0.5), 0.2, 6.0), 0.0);
        assert_eq!(metric_points(Metric::PatrolHours, Some(10.0), 20.0, 15.0), 7.5);
        assert_eq!(metric_points(Metric::VisitCompletion, None, 1.0, 35.0), 35.0);
    }

    #[test]
    fn a_worker_month_scores_from_facts_minus_cards() {
        let s = default_worker_scheme();
        s.validate().unwrap();
        let values: HashMap<Metric, Option<f64>> = [
            (Metric::VisitCompletion, Some(0.8)),    // 28
            (Metric::ValidReportRate, Some(0.9)),    // 20
            (Metric::OnTimeVerification, Some(0.5)), // 15 × 0.5/0.95 = 7.89
            (Metric::Satisfaction, Some(4.5)),       // 15
            (Metric::PatrolHours, None),             // 15
        ]
        .into();
        let counts: HashMap<String, i64> = [("red_card".to_string(), 1)].into();
        let sc = score(&s, &values, &HashMap::new(), &counts);
        assert_eq!(sc.earned, 85.89);
        assert_eq!(sc.deducted, 5.0);
        assert_eq!(sc.total, 80.89);
        let pay = s.pay.unwrap();
        assert_eq!(pay.pay(sc.total), (80_000, 380_000));
        assert_eq!(pay.pay(59.9), (0, 300_000));
        assert_eq!(PayRule { rule: ScoreRule::Linear, ..PayRule::default() }.pay(85.5), (85_500, 385_500));
    }

    #[test]
    fn deductions_never_take_the_score_below_zero() {
        let s = default_department_scheme();
        let values: HashMap<Metric, Option<f64>> = [
            (Metric::OnTimeDisposal, Some(0.0)),
            (Metric::ReworkRate, Some(1.0)),
            (Metric::PostponementRate, Some(1.0)),
            (Metric::Satisfaction, Some(1.0)),
        ]
        .into();
        let sc = score(&s, &values, &HashMap::new(), &[("red_card".to_string(), 10)].into());
        assert_eq!(sc.earned, 4.0);
        assert_eq!(sc.total, 0.0);
    }

    #[test]
    fn declaring_needs_every_self_score_ninety_points_and_the_deadline() {
        let s = default_star_scheme(2026);
        s.validate().unwrap();
        let total: f64 = s.indicators().map(|(_, i)| i.points).sum();
        assert_eq!(total, 100.0);
        assert_eq!(s.aspects.len(), 8);
        let rule = s.star.clone().unwrap();
        let values: HashMap<Metric, Option<f64>> = HashMap::new(); // every metric with nothing to measure: full
        let mut reviews: HashMap<String, f64> = HashMap::new();
        let partial = score(&s, &values, &reviews, &HashMap::new());
        assert!(
            matches!(rule.may_declare(2026, d("2026-09-01"), &partial), Err(DeclareRefusal::ReviewsMissing(v)) if v.len() == 8)
        );
        for (_, i) in s.indicators() {
            if i.source == Source::Review {
                reviews.insert(i.code.clone(), i.points);
            }
        }
        // 100 − 11 = 89 < 90.
        reviews.insert("inf_space".into(), 1.0);
        let low = score(&s, &values, &reviews, &HashMap::new());
        assert_eq!(low.total, 89.0);
        assert_eq!(
            rule.may_declare(2026, d("2026-09-01"), &low),
            Err(DeclareRefusal::BelowMinimum { score: 89.0, min: 90.0 })
        );
        reviews.insert("inf_space".into(), 2.0);
        let ok = score(&s, &values, &reviews, &HashMap::new());
        assert_eq!(ok.total, 90.0);
        assert_eq!(rule.may_declare(2026, d("2026-09-30"), &ok), Ok(()));
        assert_eq!(
            rule.may_declare(2026, d("2026-10-01"), &ok),
            Err(DeclareRefusal::PastDeadline { deadline: d("2026-09-30") })
        );
        let later = StarRule { deadline: "11-15".into(), declare_min: 95.0, ..rule.clone() };
        assert!(matches!(later.may_declare(2026, d("2026-10-01"), &ok), Err(DeclareRefusal::BelowMinimum { .. })));
        assert_eq!((rule.stars(89.9), rule.stars(90.0), rule.stars(96.0), rule.stars(99.0)), (0, 3, 4, 5));
    }

    #[test]
    fn the_review_chain_runs_community_street_district_and_a_star_can_be_withdrawn() {
        use StarAction as A;
        use StarStatus as S;
        assert_eq!(star_next(A::Declare, S::Draft), Some(S::Declared));
        assert_eq!(star_next(A::Approve, S::Declared), None, "the district approves only after the street");
        assert_eq!(star_next(A::StreetPass, S::Declared), Some(S::StreetPassed));
        assert_eq!(star_next(A::Approve, S::StreetPassed), Some(S::Approved));
        assert_eq!(star_next(A::Flag, S::Approved), Some(S::Flagged));
        assert_eq!(star_next(A::Restore, S::Flagged), Some(S::Approved));
        assert_eq!(star_next(A::Withdraw, S::Flagged), Some(S::Withdrawn));
        assert_eq!(star_next(A::Declare, S::Withdrawn), None);
        assert_eq!(star_next(A::StreetReturn, S::Declared), Some(S::Returned));
        assert_eq!(star_next(A::Declare, S::Returned), Some(S::Declared));
        assert_eq!(A::StreetPass.step(), StarStep::Street);
        assert_eq!(A::Withdraw.step(), StarStep::District);
        assert!(self_editable(S::Returned) && !self_editable(S::Declared));
        let r = StarRule::default();
        assert!(r.incident(0, 0).is_none());
        assert!(r.incident(1, 0).is_some());
        assert!(r.incident(0, 1).is_some());
    }

    #[test]
    fn a_property_company_scores_from_survey_inspections_and_events_and_earns_its_award() {
        let s = default_property_scheme();
        s.validate().unwrap();
        assert_eq!(s.indicators().map(|(_, i)| i.points).sum::<f64>(), 100.0);
        // No survey linked: pending, 0 points (not full points like other metrics without data).
        let none: HashMap<Metric, Option<f64>> = [(Metric::OnTimeRate, None)].into();
        let sc = score(&s, &none, &HashMap::new(), &HashMap::new());
        let survey = sc.indicators.iter().find(|i| i.code == "pm_survey").unwrap();
        assert!(survey.pending && survey.earned == 0.0);
        assert_eq!(sc.indicators.iter().find(|i| i.code == "pm_events").unwrap().earned, 10.0);
        // Survey 4.2/5 → 33.6; inspections 45 of 50; events 0.45 → 5.
        let values: HashMap<Metric, Option<f64>> =
            [(Metric::SurveySatisfaction, Some(4.2)), (Metric::OnTimeRate, Some(0.45))].into();
        let mut reviews: HashMap<String, f64> =
            PROPERTY_INSPECTIONS.iter().map(|(c, _, _, p)| (c.to_string(), *p)).collect();
        reviews.insert("pm_sanitation".into(), 5.0);
        let sc = score(&s, &values, &reviews, &HashMap::new());
        assert_eq!(sc.total, 83.6);
        let rule = s.property.clone().unwrap();
        assert_eq!((rule.award(83.6), rule.award(90.0), rule.award(69.99)), (1_000_000, 2_000_000, 0));
        assert!(rule.counts_category("Z0104") && !rule.counts_category("Z0101"));
        let mut bad = s.clone();
        bad.property.as_mut().unwrap().awards.push((120.0, 1));
        assert_eq!(bad.validate().unwrap_err().field, "property.awards[3]");
    }

    #[test]
    fn schemes_are_validated_field_by_field() {
        let mut s = default_worker_scheme();
        s.aspects[0].indicators[0].points = 0.0;
        assert_eq!(s.validate().unwrap_err().field, "aspects[0].indicators[0].points");
        let mut s = default_worker_scheme();
        s.aspects[1].indicators[0].code = "w_visits".into();
        assert_eq!(s.validate().unwrap_err().field, "aspects[1].indicators[0].code");
        let mut s = default_worker_scheme();
        s.aspects[0].indicators[0].points = 60.0;
        assert_eq!(s.validate().unwrap_err().field, "aspects");
        let json = serde_json::to_string(&default_star_scheme(2026)).unwrap();
        let back: Scheme = serde_json::from_str(&json).unwrap();
        assert_eq!(back, default_star_scheme(2026));
    }
}
