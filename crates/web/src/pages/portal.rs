//! The public portal of each community (社区公开, no login, phone first) and the residents' side of polls (民意调查
//! on 我的): `/p` lists the communities by street, `/p/{code}` is a community's home (or the index of a street or
//! district; 404 for any other code), with its notices, fund, polls and happiness index; `/me/polls` lists the
//! polls a resident may answer and `/me/polls/{id}` takes their ballot.

use super::events::FormState;
use super::{CsrfForm, PageActor, UserBar, error_page, render, signed_in};
use crate::AppState;
use crate::i18n::{Lang, group_digits};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use wangge_app::AppError;
use wangge_app::life::public::{PublicActivities, PublicCoBuilding, PublicMeetings};
use wangge_app::paging::Page;
use wangge_app::participation::ledger::LedgerSummary;
use wangge_app::participation::polls::{BallotInput, HappinessRound, QuestionResult, ResidentPoll};
use wangge_app::participation::portal::{
    PortalCommunity, PortalStreet, PublicHappiness, PublicLedger, PublicNotice, PublicPollResults, PublicPolls,
};
use wangge_domain::participation::{NoticeCategory, Question, QuestionKind};

/// Labels and number formats shared by the portal's and the staff pages' templates.
pub struct PtLabels {
    pub lang: Lang,
}

impl PtLabels {
    fn pick(&self, zh: &'static str, en: &'static str) -> &'static str {
        if self.lang == Lang::Zh { zh } else { en }
    }

    pub fn category(&self, code: &str) -> &'static str {
        NoticeCategory::parse("category", code).map(|c| self.pick(c.label_zh(), c.label_en())).unwrap_or("")
    }

    pub fn categories(&self) -> Vec<(&'static str, &'static str)> {
        NoticeCategory::ALL.iter().map(|c| (c.as_str(), self.pick(c.label_zh(), c.label_en()))).collect()
    }

    pub fn ledger_category(&self, code: &str) -> &'static str {
        let (zh, en) = wangge_domain::participation::ledger_category_label(code);
        self.pick(zh, en)
    }

    pub fn direction(&self, code: &str) -> &'static str {
        wangge_domain::participation::LedgerDirection::parse("direction", code)
            .map(|d| self.pick(d.label_zh(), d.label_en()))
            .unwrap_or("")
    }

    pub fn poll_status(&self, code: &str) -> &'static str {
        wangge_domain::participation::PollStatus::parse("status", code)
            .map(|d| self.pick(d.label_zh(), d.label_en()))
            .unwrap_or("")
    }

    pub fn dimension(&self, code: &str) -> &'static str {
        wangge_domain::participation::HappinessDimension::parse("dimension", code)
            .map(|d| self.pick(d.label_zh(), d.label_en()))
            .unwrap_or("")
    }

    /// "12,000.50" (yuan, grouped, two decimals).
    pub fn money(&self, yuan: &f64) -> String {
        let fen = (yuan * 100.0).round() as i64;
        let sign = if fen < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", group_digits(fen.abs() / 100), fen.abs() % 100)
    }

    /// "2026-11-25T18:09:00+08:00" → "2026-11-25 18:09"; a date stays a date.
    pub fn time(&self, s: &str) -> String {
        match s.get(..16) {
            Some(t) if s.len() >= 16 => t.replacen('T', " ", 1),
            _ => s.to_string(),
        }
    }

    pub fn day(&self, s: &str) -> String {
        s.get(..10).unwrap_or(s).to_string()
    }

    pub fn opt_time(&self, s: &Option<String>) -> String {
        s.as_deref().map(|t| self.time(t)).unwrap_or_else(|| "—".into())
    }

    pub fn score(&self, v: &Option<f64>) -> String {
        v.map(|s| format!("{s:.1}")).unwrap_or_else(|| "—".into())
    }

    pub fn percent(&self, share: &f64) -> String {
        format!("{:.1}%", share * 100.0)
    }
}

/// A chart for `static/indicators.js` (the data-chart attribute).
pub(crate) fn chart(kind: &str, names: Vec<String>, series: Vec<(String, Vec<Value>)>, extra: Value) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let mut d = json!({
        "kind": kind,
        "names": names,
        "series": series.into_iter().map(|(name, values)| json!({ "name": name, "values": values })).collect::<Vec<_>>(),
    });
    if let (Some(o), Some(e)) = (d.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    Some(d.to_string())
}

/// A choice question's counts as a horizontal bar chart.
pub(crate) fn question_chart(lang: Lang, q: &QuestionResult) -> Option<String> {
    if q.options.is_empty() || q.answered == 0 {
        return None;
    }
    chart(
        "hbar",
        q.options.iter().map(|o| o.label.clone()).collect(),
        vec![(lang.t("pt_votes").to_string(), q.options.iter().map(|o| json!(o.count)).collect())],
        json!({}),
    )
}

/// The index over the rounds (a line) and the last round's dimensions (bars, 0–100).
pub(crate) fn happiness_charts(lang: Lang, rounds: &[HappinessRound]) -> (Option<String>, Option<String>) {
    let l = PtLabels { lang };
    let trend = chart(
        "line",
        rounds.iter().map(|r| r.date.clone().unwrap_or_else(|| r.title.clone())).collect(),
        vec![(lang.t("pt_happiness_index").into(), rounds.iter().map(|r| json!(r.scores.index)).collect())],
        json!({ "max": 100 }),
    )
    .filter(|_| rounds.len() >= 2);
    let dims = rounds.last().and_then(|r| {
        chart(
            "bar",
            r.scores.dimensions.iter().map(|d| l.dimension(&d.code).to_string()).collect(),
            vec![(lang.t("pt_score").into(), r.scores.dimensions.iter().map(|d| json!(d.score)).collect())],
            json!({ "max": 100 }),
        )
    });
    (trend, dims)
}

fn ledger_chart(lang: Lang, s: &LedgerSummary) -> Option<String> {
    if s.months.iter().all(|m| m.income == 0.0 && m.expense == 0.0) {
        return None;
    }
    chart(
        "bar",
        s.months.iter().map(|m| m.month.get(5..).unwrap_or(&m.month).to_string()).collect(),
        vec![
            (lang.t("pt_income").into(), s.months.iter().map(|m| json!(m.income)).collect()),
            (lang.t("pt_expense").into(), s.months.iter().map(|m| json!(m.expense)).collect()),
        ],
        json!({ "labels": false }),
    )
}

fn category_chart(s: &LedgerSummary, l: &PtLabels) -> Option<String> {
    let spent: Vec<_> = s.by_category.iter().filter(|c| c.direction == "expense" && c.amount > 0.0).collect();
    chart(
        "hbar",
        spent.iter().map(|c| l.ledger_category(&c.category).to_string()).collect(),
        vec![(l.lang.t("pt_expense").into(), spent.iter().map(|c| json!(c.amount)).collect())],
        json!({}),
    )
}

/// Where a signed-in visitor goes to vote, or the login page that comes back there.
fn vote_link(id: i64) -> String {
    format!("/login?next={}", super::urlencode(&format!("/me/polls/{id}")))
}

// ───────────────────────────── index ─────────────────────────────

#[derive(Template)]
#[template(path = "portal_index.html")]
struct IndexPage {
    lang: Lang,
    title: String,
    streets: Vec<PortalStreet>,
}

pub async fn index(State(app): State<AppState>, lang: Lang) -> Response {
    match app.portal_index(None).await {
        Ok(streets) => render(StatusCode::OK, &IndexPage { lang, title: lang.t("pt_portal").into(), streets }),
        Err(e) => error_page(lang, None, &e),
    }
}

// ───────────────────────────── community home ─────────────────────────────

#[derive(Template)]
#[template(path = "portal_home.html")]
struct HomePage {
    lang: Lang,
    l: PtLabels,
    c: PortalCommunity,
    signed_in: bool,
    notices: Page<PublicNotice>,
    fund: LedgerSummary,
    ledger_chart: Option<String>,
    polls: PublicPolls,
    happiness: PublicHappiness,
    latest: Option<HappinessRound>,
    trend_chart: Option<String>,
    dims_chart: Option<String>,
    /// Community life's public records (published resolutions, open volunteer activities, co-building units):
    /// shown when they can be read, left out of the page otherwise (the rest of the portal still answers).
    meetings: Option<PublicMeetings>,
    activities: Option<PublicActivities>,
    co_building: Option<PublicCoBuilding>,
    /// The approved star (stars, year, final score), if any (星级社区, issue #10).
    star: Option<(i64, i64, f64)>,
}

impl HomePage {
    fn star_marks(&self) -> String {
        self.star.map(|(n, ..)| "★".repeat(n.max(0) as usize)).unwrap_or_default()
    }
}

/// `/p/{code}`: a community's home; a street's or district's code lists its communities; anything else is 404.
pub async fn home(State(app): State<AppState>, lang: Lang, headers: HeaderMap, Path(code): Path<String>) -> Response {
    match app.portal_home(&code).await {
        Ok(h) => {
            let (trend_chart, dims_chart) = happiness_charts(lang, &h.happiness.rounds);
            let meetings = app.public_meetings(&code).await.ok();
            let activities = app.public_activities(&code).await.ok();
            let co_building = app.public_co_building(&code).await.ok();
            let star = app.public_star(&h.community.code).await.ok().flatten().filter(|s| s.0 > 0);
            let page = HomePage {
                star,
                lang,
                l: PtLabels { lang },
                signed_in: signed_in(&app, &headers).await.is_some(),
                ledger_chart: ledger_chart(lang, &h.fund),
                latest: h.happiness.rounds.last().cloned(),
                trend_chart,
                dims_chart,
                c: h.community,
                notices: h.notices,
                fund: h.fund,
                polls: h.polls,
                happiness: h.happiness,
                meetings,
                activities,
                co_building,
            };
            render(StatusCode::OK, &page)
        }
        // Not a community: a street's or district's code lists its communities; anything else is not found.
        Err(e) if e.kind == wangge_app::ErrorKind::NotFound => match app.portal_index(Some(&code)).await {
            Ok(streets) => {
                let title = match streets.as_slice() {
                    [one] => one.name.clone(),
                    [first, ..] => first.district_name.clone(),
                    [] => String::new(),
                };
                render(StatusCode::OK, &IndexPage { lang, title, streets })
            }
            Err(_) => error_page(lang, None, &e),
        },
        Err(e) => error_page(lang, None, &e),
    }
}

impl HomePage {
    /// `2026-10-22T19:00:00+08:00` (how community life's public records carry times) as `2026-10-22 19:00`.
    fn when(&self, at: &str) -> String {
        match (at.get(..10), at.get(11..16)) {
            (Some(day), Some(hm)) if at.as_bytes().get(10) == Some(&b'T') => format!("{day} {hm}"),
            _ => at.to_string(),
        }
    }

    fn year_totals(&self) -> Option<&wangge_app::participation::ledger::YearTotals> {
        self.fund.years.iter().find(|y| y.year == self.fund.year)
    }

    pub fn income(&self) -> String {
        self.l.money(&self.year_totals().map_or(0.0, |y| y.income))
    }

    pub fn expense(&self) -> String {
        self.l.money(&self.year_totals().map_or(0.0, |y| y.expense))
    }

    pub fn balance(&self) -> String {
        let last = self.fund.years.iter().rfind(|y| y.year <= self.fund.year);
        self.l.money(&last.map_or(0.0, |y| y.closing))
    }

    pub fn vote_href(&self, id: &i64) -> String {
        if self.signed_in { format!("/me/polls/{id}") } else { vote_link(*id) }
    }
}

// ───────────────────────────── notices ─────────────────────────────

#[derive(Template)]
#[template(path = "portal_notices.html")]
struct NoticesPage {
    lang: Lang,
    l: PtLabels,
    c: PortalCommunity,
    category: String,
    notices: Page<PublicNotice>,
    more: Option<String>,
}

impl NoticesPage {
    pub fn is_cat(&self, code: &str) -> bool {
        self.category == code
    }
}

pub async fn notices(
    State(app): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let c = match app.portal_community(&code).await {
        Ok(c) => c,
        Err(e) => return error_page(lang, None, &e),
    };
    let category = q.get("category").cloned().unwrap_or_default();
    let cursor = q.get("cursor").map(String::as_str);
    let category_opt = Some(category.as_str()).filter(|c| !c.is_empty());
    match app.portal_notices(&c.code, category_opt, cursor, Some(20)).await {
        Ok(notices) => {
            let more = notices
                .next_cursor
                .as_ref()
                .map(|n| format!("/p/{}/notices?category={}&cursor={n}", c.code, super::urlencode(&category)));
            render(StatusCode::OK, &NoticesPage { lang, l: PtLabels { lang }, c, category, notices, more })
        }
        Err(e) => error_page(lang, None, &e),
    }
}

#[derive(Template)]
#[template(path = "portal_notice.html")]
struct NoticePage {
    lang: Lang,
    l: PtLabels,
    c: PortalCommunity,
    n: PublicNotice,
}

pub async fn notice(State(app): State<AppState>, lang: Lang, Path((code, id)): Path<(String, String)>) -> Response {
    let Some(id) = id.parse::<i64>().ok().filter(|i| *i > 0) else {
        return error_page(lang, None, &AppError::not_found(&id));
    };
    let c = match app.portal_community(&code).await {
        Ok(c) => c,
        Err(e) => return error_page(lang, None, &e),
    };
    match app.portal_notice(&c.code, id).await {
        Ok(n) => render(StatusCode::OK, &NoticePage { lang, l: PtLabels { lang }, c, n }),
        Err(e) => error_page(lang, None, &e),
    }
}

// ───────────────────────────── ledger ─────────────────────────────

#[derive(Template)]
#[template(path = "portal_ledger.html")]
struct LedgerPage {
    lang: Lang,
    l: PtLabels,
    c: PortalCommunity,
    ledger: PublicLedger,
    month_chart: Option<String>,
    category_chart: Option<String>,
}

pub async fn ledger(
    State(app): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let year = match q.get("year").map(|y| y.trim()).filter(|y| !y.is_empty()) {
        Some(y) => match y.parse::<i64>() {
            Ok(y) => Some(y),
            Err(_) => return error_page(lang, None, &AppError::field("year", "年份无效 / not a year")),
        },
        None => None,
    };
    match app.portal_ledger(&code, year).await {
        Ok(ledger) => {
            let l = PtLabels { lang };
            let page = LedgerPage {
                lang,
                month_chart: ledger_chart(lang, &ledger.summary),
                category_chart: category_chart(&ledger.summary, &l),
                l,
                c: ledger.community.clone(),
                ledger,
            };
            render(StatusCode::OK, &page)
        }
        Err(e) => error_page(lang, None, &e),
    }
}

// ───────────────────────────── polls ─────────────────────────────

#[derive(Template)]
#[template(path = "portal_poll.html")]
struct PollPage {
    lang: Lang,
    l: PtLabels,
    c: PortalCommunity,
    r: PublicPollResults,
    charts: Vec<Option<String>>,
    vote_href: String,
}

impl PollPage {
    pub fn chart_of(&self, i: &usize) -> Option<&str> {
        self.charts.get(*i).and_then(|c| c.as_deref())
    }
}

pub async fn poll(
    State(app): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path((code, id)): Path<(String, String)>,
) -> Response {
    let Some(id) = id.parse::<i64>().ok().filter(|i| *i > 0) else {
        return error_page(lang, None, &AppError::not_found(&id));
    };
    match app.portal_poll(&code, id).await {
        Ok(r) => {
            let charts = r.questions.iter().flatten().map(|q| question_chart(lang, q)).collect();
            let vote_href =
                if signed_in(&app, &headers).await.is_some() { format!("/me/polls/{id}") } else { vote_link(id) };
            render(
                StatusCode::OK,
                &PollPage { lang, l: PtLabels { lang }, c: r.community.clone(), r, charts, vote_href },
            )
        }
        Err(e) => error_page(lang, None, &e),
    }
}

// ───────────────────────────── residents: my polls ─────────────────────────────

#[derive(Template)]
#[template(path = "me_polls.html")]
struct MyPollsPage {
    lang: Lang,
    user: Option<UserBar>,
    l: PtLabels,
    polls: Vec<ResidentPoll>,
    community: String,
}

/// 民意调查 on 我的: the polls a resident may answer, and closed ones with their results.
pub async fn my_polls(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    let me = match app.resident_profile(&pa.actor).await {
        Ok(me) => me,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    match app.resident_polls(&pa.actor).await {
        Ok(polls) => render(
            StatusCode::OK,
            &MyPollsPage { lang, user: pa.bar(), l: PtLabels { lang }, polls, community: me.community_code },
        ),
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

/// 社区公开 in the resident's menu: their community's portal.
pub async fn my_portal(State(app): State<AppState>, pa: PageActor) -> Response {
    match app.resident_profile(&pa.actor).await {
        Ok(me) => Redirect::to(&format!("/p/{}", me.community_code)).into_response(),
        Err(_) => Redirect::to("/p").into_response(),
    }
}

#[derive(Template)]
#[template(path = "me_poll.html")]
struct BallotPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: PtLabels,
    p: ResidentPoll,
    community: String,
    b: super::participation::BallotForm,
    voted_now: bool,
}

impl BallotPage {
    /// A refusal that is not about one question (a second ballot, a closed poll).
    pub fn general_error(&self) -> Option<&str> {
        let shown: Vec<String> = (0..self.p.poll.questions.len()).map(|i| format!("answers[{i}]")).collect();
        let refs: Vec<&str> = shown.iter().map(String::as_str).collect();
        self.b.f.general(&refs)
    }

    /// Why the resident cannot vote, in the page's language.
    pub fn reason(&self) -> Option<&str> {
        self.p.reason.as_deref().map(|r| super::localize(self.lang, r))
    }
}

async fn ballot_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    f: FormState,
    status: StatusCode,
    voted_now: bool,
) -> Response {
    let me = match app.resident_profile(&pa.actor).await {
        Ok(me) => me,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    match app.resident_poll(&pa.actor, id).await {
        Ok(p) => render(
            status,
            &BallotPage {
                lang,
                user: pa.bar(),
                csrf: pa.csrf.clone(),
                l: PtLabels { lang },
                b: super::participation::BallotForm { questions: p.poll.questions.clone(), f },
                p,
                community: me.community_code,
                voted_now,
            },
        ),
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

pub async fn my_poll(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = match super::events::parse_record_id(lang, &pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    ballot_page(&app, lang, &pa, id, FormState::default(), StatusCode::OK, q.contains_key("voted")).await
}

/// The form's fields as the API's answers: `q{i}` for a single choice, a score or a text; `q{i}_{j}` for each
/// ticked option of a multiple choice.
pub(crate) fn answers(questions: &[Question], fields: &HashMap<String, String>) -> Vec<Value> {
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let v = fields.get(&format!("q{i}")).map(|s| s.trim().to_string()).unwrap_or_default();
            match q.kind() {
                QuestionKind::Multiple => Value::Array(
                    (0..q.options.len())
                        .filter(|j| fields.get(&format!("q{i}_{j}")).is_some_and(|v| !v.is_empty()))
                        .map(|j| json!(j))
                        .collect(),
                ),
                QuestionKind::Text if v.is_empty() => Value::Null,
                QuestionKind::Text => Value::String(v),
                _ if v.is_empty() => Value::Null,
                _ => v.parse::<i64>().map(|n| json!(n)).unwrap_or(Value::String(v)),
            }
        })
        .collect()
}

pub async fn vote(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let pa = &f.pa;
    let id = match super::events::parse_record_id(lang, pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let questions = match app.resident_poll(&pa.actor, id).await {
        Ok(p) => p.poll.questions,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let input = BallotInput { answers: answers(&questions, &f.fields) };
    match app.cast_ballot(&pa.actor, id, input).await {
        Ok(_) => Redirect::to(&format!("/me/polls/{id}?voted=1")).into_response(),
        Err(e) if e.kind == wangge_app::ErrorKind::NotFound => error_page(lang, pa.bar(), &e),
        Err(e) => {
            let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
            ballot_page(&app, lang, pa, id, FormState::failed_at_path(f.fields.clone(), lang, &e), status, false).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_become_answers_in_question_order() {
        let q = |kind: &str, options: &[&str]| Question {
            kind: kind.into(),
            text: "q".into(),
            options: options.iter().map(|s| s.to_string()).collect(),
            scale_min: None,
            scale_max: None,
            min_label: String::new(),
            max_label: String::new(),
            max_choices: None,
            required: None,
        };
        let qs = [q("single", &["a", "b"]), q("multiple", &["a", "b", "c"]), q("scale", &[]), q("text", &[])];
        let fields: HashMap<String, String> = [("q0", "1"), ("q1_0", "1"), ("q1_2", "on"), ("q2", "4"), ("q3", " 好 ")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        assert_eq!(answers(&qs, &fields), vec![json!(1), json!([0, 2]), json!(4), json!("好")]);
        assert_eq!(answers(&qs, &HashMap::new()), vec![Value::Null, json!([]), Value::Null, Value::Null]);
        let l = PtLabels { lang: Lang::Zh };
        assert_eq!(l.money(&12000.5), "12,000.50");
        assert_eq!(l.money(&-3000.0), "-3,000.00");
    }
}
