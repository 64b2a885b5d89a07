//! 考核评价 pages (issue #10): grid workers' months (a worker sees their own breakdown), the score breakdown with
//! the records behind every number, the department ranking, and the star self-assessment, review and approval.

use super::events::region_options;
use super::{CsrfForm, PageActor, UserBar, error_page, form_error, render};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wangge_app::assessment::{
    DeductionRecords, DepartmentScore, InspectionEntry, InspectionInput, MetricValue, NewStarInput,
    PropertyCompanyInput, PropertyScore, ScoreInput, ScoresInput, StarActionInput, StarDetail, StarSummary, SurveyLink,
    SurveysInput, WorkerRow, WorkerScore,
};
use wangge_app::{AppError, ErrorKind};
use wangge_domain::assessment::{IndicatorScore, Score, StarAction};
use wangge_domain::role::{Permission, Role};

fn get(q: &HashMap<String, String>, k: &str) -> Option<String> {
    q.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A value as people read it: rates as percentages, ratings as x/5, hours with a unit.
pub(crate) fn shown(m: &MetricValue) -> String {
    match (m.value, m.unit.as_str()) {
        (None, _) => "—".into(),
        (Some(v), "ratio") => format!("{:.1}%", v * 100.0),
        (Some(v), "score") => format!("{v:.2} / 5"),
        (Some(v), _) => format!("{v:.2} h"),
    }
}

fn yuan(cents: i64) -> String {
    format!("{:.2}", cents as f64 / 100.0)
}

#[derive(Template)]
#[template(path = "assessment_workers.html")]
struct WorkersPage {
    lang: Lang,
    user: Option<UserBar>,
    regions: Vec<(String, String)>,
    region: String,
    period: String,
    rows: Vec<WorkerRow>,
    may_pay: bool,
    error: Option<String>,
}

impl WorkersPage {
    fn pay(&self, r: &WorkerRow) -> String {
        r.pay.as_ref().map(|p| yuan(p.total_cents)).unwrap_or_default()
    }
}

/// `/assessment/workers`: the region's grid workers for a month, best first. A grid worker goes to their own page.
pub async fn workers(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !pa.actor.may_somewhere(Permission::ReadAssessment) {
        if pa.actor.has_role(Role::GridWorker) {
            return Redirect::to(&format!("/assessment/workers/{}", pa.actor.user_id)).into_response();
        }
        return error_page(lang, pa.bar(), &AppError::forbidden());
    }
    let region = get(&q, "region");
    let period = get(&q, "period").unwrap_or_default();
    let (rows, error, status) = match app
        .worker_scores(&pa.actor, region.as_deref(), (!period.is_empty()).then_some(period.as_str()))
        .await
    {
        Ok(r) => (r, None, StatusCode::OK),
        Err(e) if e.kind == ErrorKind::InvalidInput => (vec![], Some(form_error(lang, &e)), StatusCode::BAD_REQUEST),
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let region = region.unwrap_or_default();
    let page = WorkersPage {
        lang,
        user: pa.bar(),
        regions: region_options(&app, &pa).await,
        may_pay: pa.actor.may_somewhere(Permission::ExportPayroll),
        region,
        period,
        rows,
        error,
    };
    render(status, &page)
}

#[derive(Template)]
#[template(path = "assessment_breakdown.html")]
struct BreakdownPage {
    lang: Lang,
    user: Option<UserBar>,
    title: String,
    subtitle: String,
    score: Score,
    metrics: Vec<MetricValue>,
    deductions: Vec<DeductionRecords>,
    pay: Option<(String, String, String)>,
    back: (String, &'static str),
}

impl BreakdownPage {
    fn metric_of(&self, i: &IndicatorScore) -> Option<&MetricValue> {
        self.metrics.iter().find(|m| Some(m.metric) == i.metric)
    }
    fn shown(&self, m: &MetricValue) -> String {
        shown(m)
    }
    fn records_of(&self, code: &str) -> Option<&DeductionRecords> {
        self.deductions.iter().find(|d| d.code == code)
    }
}

/// `/assessment/workers/{id}`: a worker's month, each number opening the records it came from.
pub async fn worker(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else { return error_page(lang, pa.bar(), &AppError::not_found("grid worker")) };
    let period = get(&q, "period");
    let w: WorkerScore = match app.worker_score(&pa.actor, id, period.as_deref()).await {
        Ok(w) => w,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let page = BreakdownPage {
        lang,
        user: pa.bar(),
        title: format!("{} · {}", w.display_name, w.period),
        subtitle: w.grids.join("、"),
        pay: w.pay.as_ref().map(|p| (yuan(p.base_cents), yuan(p.performance_cents), yuan(p.total_cents))),
        score: w.score,
        metrics: w.metrics,
        deductions: w.deduction_records,
        back: ("/assessment/workers".into(), "as_workers"),
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "assessment_departments.html")]
struct DepartmentsPage {
    lang: Lang,
    user: Option<UserBar>,
    regions: Vec<(String, String)>,
    region: String,
    period: String,
    rows: Vec<DepartmentScore>,
    error: Option<String>,
}

impl DepartmentsPage {
    fn value(&self, d: &DepartmentScore, metric: &str) -> String {
        d.metrics.iter().find(|m| m.metric.as_str() == metric).map(shown).unwrap_or_default()
    }
}

/// `/assessment/departments`: the ranking; each department opens its breakdown.
pub async fn departments(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let region = get(&q, "region");
    let period = get(&q, "period").unwrap_or_default();
    let (rows, error, status) = match app
        .department_ranking(&pa.actor, region.as_deref(), (!period.is_empty()).then_some(period.as_str()), false)
        .await
    {
        Ok(r) => (r, None, StatusCode::OK),
        Err(e) if e.kind == ErrorKind::InvalidInput => (vec![], Some(form_error(lang, &e)), StatusCode::BAD_REQUEST),
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let page = DepartmentsPage {
        lang,
        user: pa.bar(),
        regions: region_options(&app, &pa).await,
        region: region.unwrap_or_default(),
        period,
        rows,
        error,
    };
    render(status, &page)
}

/// `/assessment/departments/{code}`: one department's breakdown with records.
pub async fn department(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let region = get(&q, "region");
    let period = get(&q, "period");
    let d = match app.department_score(&pa.actor, &code, region.as_deref(), period.as_deref()).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let page = BreakdownPage {
        lang,
        user: pa.bar(),
        title: format!("{} · {}", d.department_name, d.period),
        subtitle: format!("#{}", d.rank),
        score: d.score,
        metrics: d.metrics,
        deductions: d.deduction_records,
        pay: None,
        back: ("/assessment/departments".into(), "as_departments"),
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "assessment_stars.html")]
struct StarsPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    rows: Vec<StarSummary>,
    /// Communities the caller may open an assessment for.
    communities: Vec<(String, String)>,
    year: i64,
    error: Option<String>,
}

impl StarsPage {
    fn marks(&self, n: &i64) -> String {
        "★".repeat((*n).max(0) as usize)
    }
}

fn this_year() -> i64 {
    use chrono::Datelike;
    (chrono::Utc::now() + chrono::Duration::hours(8)).year() as i64
}

async fn stars_page(app: &AppState, lang: Lang, pa: &PageActor, error: Option<String>) -> Response {
    let rows = match app.star_list(&pa.actor, None, None).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let communities = app
        .region_tree(&pa.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            r.level == wangge_domain::region::RegionLevel::Community && pa.actor.may(Permission::DeclareStar, &r.code)
        })
        .take(300)
        .map(|r| (r.code, r.name))
        .collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    render(
        status,
        &StarsPage { lang, user: pa.bar(), csrf: pa.csrf.clone(), rows, communities, year: this_year(), error },
    )
}

/// `/assessment/stars`: the communities' star assessments; community staff open this year's.
pub async fn stars(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    stars_page(&app, lang, &pa, None).await
}

pub async fn open_star(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let year = f.get("year").trim().parse::<i64>().unwrap_or(0);
    match app.open_star(&f.pa.actor, NewStarInput { community_code: f.get("community_code"), year }).await {
        Ok(d) => Redirect::to(&format!("/assessment/stars/{}", d.summary.id)).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::Conflict) => {
            stars_page(&app, lang, &f.pa, Some(form_error(lang, &e))).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

#[derive(Template)]
#[template(path = "assessment_star.html")]
struct StarPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    d: StarDetail,
    error: Option<String>,
}

impl StarPage {
    fn metric_of(&self, i: &IndicatorScore) -> Option<&MetricValue> {
        self.d.metrics.iter().find(|m| Some(m.metric) == i.metric)
    }
    fn shown(&self, m: &MetricValue) -> String {
        shown(m)
    }
    fn aspect_name(&self, code: &str) -> String {
        self.d
            .scheme
            .aspects
            .iter()
            .find(|a| a.code == code)
            .map(|a| if self.lang == Lang::En && !a.name_en.is_empty() { a.name_en.clone() } else { a.name.clone() })
            .unwrap_or_default()
    }
    /// The indicator a metric stands for (its records' anchor).
    fn code_for(&self, m: &MetricValue) -> String {
        self.d
            .self_breakdown
            .indicators
            .iter()
            .find(|i| i.metric == Some(m.metric))
            .map(|i| i.code.clone())
            .unwrap_or_default()
    }
    fn self_entry(&self, code: &str) -> (String, String) {
        self.d
            .self_scores
            .iter()
            .find(|s| s.indicator_code == code)
            .map(|s| (s.score.to_string(), s.evidence.clone()))
            .unwrap_or_default()
    }
    fn street_entry(&self, code: &str) -> (String, String) {
        self.d
            .street_scores
            .iter()
            .find(|s| s.indicator_code == code)
            .map(|s| (s.score.to_string(), s.evidence.clone()))
            .unwrap_or_default()
    }
    fn street_earned(&self, code: &str) -> String {
        self.d
            .street_breakdown
            .as_ref()
            .and_then(|b| b.indicators.iter().find(|i| i.code == code))
            .map(|i| i.earned.to_string())
            .unwrap_or_default()
    }
    fn action_label(&self, a: &str) -> &'static str {
        match StarAction::parse("a", a) {
            Ok(a) if self.lang == Lang::Zh => a.label_zh(),
            Ok(a) => a.label_en(),
            Err(_) => self.lang.t("as_opened"),
        }
    }
    fn marks(&self) -> String {
        "★".repeat(self.d.summary.stars.max(0) as usize)
    }
    fn day(&self, ms: &i64) -> String {
        chrono::DateTime::from_timestamp_millis(*ms + 8 * 3_600_000)
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    }
}

async fn star_page(app: &AppState, lang: Lang, pa: &PageActor, id: i64, error: Option<String>) -> Response {
    match app.star_detail(&pa.actor, id).await {
        Ok(d) => {
            let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            render(status, &StarPage { lang, user: pa.bar(), csrf: pa.csrf.clone(), d, error })
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

/// `/assessment/stars/{id}`: the self-assessment, the street's review, the district's approval.
pub async fn star(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else { return error_page(lang, pa.bar(), &AppError::not_found("star")) };
    star_page(&app, lang, &pa, id, None).await
}

/// Saves the scores typed into the form (`score_<code>`, `evidence_<code>`; empty scores are left out).
pub async fn star_scores(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let Ok(id) = id.parse::<i64>() else { return error_page(lang, f.pa.bar(), &AppError::not_found("star")) };
    let mut scores = Vec::new();
    let mut keys: Vec<&String> = f.fields.keys().filter(|k| k.starts_with("score_")).collect();
    keys.sort();
    for k in keys {
        let code = &k["score_".len()..];
        let raw = f.get(k);
        if raw.trim().is_empty() {
            continue;
        }
        let Ok(score) = raw.trim().parse::<f64>() else {
            let e = AppError::field("score", format!("应为数字 / must be a number: {code}"));
            return star_page(&app, lang, &f.pa, id, Some(form_error(lang, &e))).await;
        };
        scores.push(ScoreInput {
            indicator_code: code.to_string(),
            score,
            evidence: f.get(&format!("evidence_{code}")),
        });
    }
    match app.star_scores_put(&f.pa.actor, id, ScoresInput { scores }).await {
        Ok(_) => Redirect::to(&format!("/assessment/stars/{id}?saved=1")).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::Conflict | ErrorKind::RuleViolated) => {
            star_page(&app, lang, &f.pa, id, Some(form_error(lang, &e))).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

/// Declares, reviews, approves, flags, keeps or withdraws.
pub async fn star_act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let Ok(id) = id.parse::<i64>() else { return error_page(lang, f.pa.bar(), &AppError::not_found("star")) };
    let input =
        StarActionInput { action: f.get("action"), note: f.get("note"), version: f.get("version").parse().ok() };
    match app.star_act(&f.pa.actor, id, input).await {
        Ok(_) => Redirect::to(&format!("/assessment/stars/{id}")).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::Conflict | ErrorKind::RuleViolated) => {
            star_page(&app, lang, &f.pa, id, Some(form_error(lang, &e))).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

// ---- property-management companies (物业服务考评) ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "assessment_property_list.html")]
struct PropertyListPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    regions: Vec<(String, String)>,
    region: String,
    period: String,
    rows: Vec<PropertyScore>,
    /// Communities and grids the caller may register a company for (code, label).
    areas: Vec<(String, String)>,
    error: Option<String>,
}

impl PropertyListPage {
    fn value(&self, s: &PropertyScore, metric: &str) -> String {
        s.metrics.iter().find(|m| m.metric.as_str() == metric).map(shown).unwrap_or_else(|| "—".into())
    }
    fn inspection_total(&self, s: &PropertyScore) -> String {
        let sum: f64 = s.score.indicators.iter().filter(|i| i.metric.is_none()).map(|i| i.earned).sum();
        format!("{}", wangge_domain::assessment::round2(sum))
    }
    fn areas_of(&self, s: &PropertyScore) -> String {
        s.company.areas.iter().map(|a| a.name.clone()).collect::<Vec<_>>().join("、")
    }
    fn award(&self, s: &PropertyScore) -> String {
        yuan(s.award_cents)
    }
}

async fn property_list_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    region: Option<String>,
    period: String,
    error: Option<String>,
) -> Response {
    let (rows, error, mut status) = match app
        .property_ranking(&pa.actor, region.as_deref(), (!period.is_empty()).then_some(period.as_str()))
        .await
    {
        Ok(r) => (r, error, StatusCode::OK),
        Err(e) if e.kind == ErrorKind::InvalidInput => (vec![], Some(form_error(lang, &e)), StatusCode::BAD_REQUEST),
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    if error.is_some() {
        status = StatusCode::BAD_REQUEST;
    }
    let areas = app
        .region_tree(&pa.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            matches!(r.level, wangge_domain::region::RegionLevel::Community | wangge_domain::region::RegionLevel::Grid)
                && pa.actor.may(Permission::ManagePropertyCompanies, &r.code)
        })
        .take(300)
        .map(|r| (r.code.clone(), format!("{} {}", r.code, r.name)))
        .collect();
    let page = PropertyListPage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        regions: region_options(app, pa).await,
        region: region.unwrap_or_default(),
        period,
        rows,
        areas,
        error,
    };
    render(status, &page)
}

/// `/assessment/property`: the region's property companies ranked for a period; staff register companies here.
pub async fn property_list(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    property_list_page(&app, lang, &pa, get(&q, "region"), get(&q, "period").unwrap_or_default(), None).await
}

/// Registers a company from the form: the areas chosen (their common community or street registers it).
pub async fn create_property(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let areas: Vec<String> = f
        .get("areas")
        .split([',', '，', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let mut region = f.get("region_code");
    if region.trim().is_empty() {
        // The community of the first area registers it, unless given.
        region = areas.first().map(|a| a.chars().take(12).collect()).unwrap_or_default();
    }
    let input = PropertyCompanyInput {
        region_code: region,
        name: f.get("name"),
        credit_code: f.get("credit_code"),
        contact_name: f.get("contact_name"),
        contact_phone: f.get("contact_phone"),
        areas,
    };
    match app.create_property_company(&f.pa.actor, input).await {
        Ok(c) => Redirect::to(&format!("/assessment/property/{}", c.id)).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::Conflict) => {
            property_list_page(&app, lang, &f.pa, None, String::new(), Some(form_error(lang, &e))).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

#[derive(Template)]
#[template(path = "assessment_property.html")]
struct PropertyPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    s: PropertyScore,
    scheme: wangge_domain::assessment::Scheme,
    error: Option<String>,
}

impl PropertyPage {
    fn metric_of(&self, i: &IndicatorScore) -> Option<&MetricValue> {
        self.s.metrics.iter().find(|m| Some(m.metric) == i.metric)
    }
    fn shown(&self, m: &MetricValue) -> String {
        shown(m)
    }
    fn entries(&self, code: &str) -> Vec<&InspectionEntry> {
        self.s.inspections.iter().filter(|e| e.indicator_code == code).collect()
    }
    /// The entry of exactly this period (what the form edits).
    fn entry(&self, code: &str) -> (String, String) {
        self.s
            .inspections
            .iter()
            .find(|e| e.indicator_code == code && e.period == self.s.period)
            .map(|e| (e.score.to_string(), e.evidence.clone()))
            .unwrap_or_default()
    }
    fn aspect_name(&self, code: &str) -> String {
        self.scheme
            .aspects
            .iter()
            .find(|a| a.code == code)
            .map(|a| if self.lang == Lang::En && !a.name_en.is_empty() { a.name_en.clone() } else { a.name.clone() })
            .unwrap_or_default()
    }
    fn award(&self) -> String {
        yuan(self.s.award_cents)
    }
    fn areas(&self) -> String {
        self.s.company.areas.iter().map(|a| format!("{} {}", a.code, a.name)).collect::<Vec<_>>().join("、")
    }
    fn day(&self, ms: &i64) -> String {
        chrono::DateTime::from_timestamp_millis(*ms + 8 * 3_600_000)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    }
}

async fn property_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    period: Option<&str>,
    error: Option<String>,
) -> Response {
    let s = match app.property_score(&pa.actor, id, period).await {
        Ok(s) => s,
        Err(e) if e.kind == ErrorKind::InvalidInput && period.is_some() => {
            return Box::pin(property_page(app, lang, pa, id, None, Some(form_error(lang, &e)))).await;
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let scheme = match app.assessment_schemes(&pa.actor).await {
        Ok(v) => v.into_iter().find(|v| v.subject == "property" && v.active).map(|v| v.scheme),
        Err(_) => None,
    }
    .unwrap_or_else(wangge_domain::assessment::default_property_scheme);
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    render(status, &PropertyPage { lang, user: pa.bar(), csrf: pa.csrf.clone(), s, scheme, error })
}

/// `/assessment/property/{id}`: one company's score for a period, each number opening its records; staff
/// enter the inspection items and link the survey here.
pub async fn property(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(lang, pa.bar(), &AppError::not_found("property company"));
    };
    property_page(&app, lang, &pa, id, get(&q, "period").as_deref(), None).await
}

/// Saves the inspection items typed into the form (`score_<code>`, `evidence_<code>`; empty scores left out).
pub async fn property_inspections(
    State(app): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    f: CsrfForm,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(lang, f.pa.bar(), &AppError::not_found("property company"));
    };
    let period = f.get("period");
    let mut scores = Vec::new();
    let mut keys: Vec<&String> = f.fields.keys().filter(|k| k.starts_with("score_")).collect();
    keys.sort();
    for k in keys {
        let code = &k["score_".len()..];
        let raw = f.get(k);
        if raw.trim().is_empty() {
            continue;
        }
        let Ok(score) = raw.trim().parse::<f64>() else {
            let e = AppError::field("score", format!("应为数字 / must be a number: {code}"));
            return property_page(&app, lang, &f.pa, id, Some(&period), Some(form_error(lang, &e))).await;
        };
        scores.push(ScoreInput {
            indicator_code: code.to_string(),
            score,
            evidence: f.get(&format!("evidence_{code}")),
        });
    }
    match app.put_property_inspections(&f.pa.actor, id, InspectionInput { period: period.clone(), scores }).await {
        Ok(s) => Redirect::to(&format!("/assessment/property/{id}?period={}", s.period)).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::Conflict) => {
            property_page(&app, lang, &f.pa, id, Some(&period), Some(form_error(lang, &e))).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

/// Links a poll's scale question as the period's survey (`poll_id`, `question` numbered from 1 on the page).
pub async fn property_surveys(
    State(app): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    f: CsrfForm,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(lang, f.pa.bar(), &AppError::not_found("property company"));
    };
    let period = f.get("period");
    let surveys = match (f.get("poll_id").trim().parse::<i64>(), f.get("question").trim().parse::<i64>()) {
        (Ok(poll_id), Ok(q)) => vec![SurveyLink { poll_id, question: q - 1 }],
        _ if f.get("poll_id").trim().is_empty() => Vec::new(),
        _ => {
            let e = AppError::field("poll_id", "请填写问卷编号和题号 / poll number and question number");
            return property_page(&app, lang, &f.pa, id, Some(&period), Some(form_error(lang, &e))).await;
        }
    };
    match app.put_property_surveys(&f.pa.actor, id, SurveysInput { period: period.clone(), surveys }).await {
        Ok(s) => Redirect::to(&format!("/assessment/property/{id}?period={}", s.period)).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::Conflict) => {
            property_page(&app, lang, &f.pa, id, Some(&period), Some(form_error(lang, &e))).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}
