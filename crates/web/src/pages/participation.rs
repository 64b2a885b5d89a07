//! 居务公开 in the browser for staff: notices (write, publish, withdraw, pin, with their history), the co-building
//! fund ledger (enter with vouchers, approve or reject, reverse; totals and charts), polls (write with up to eight
//! questions, open, close, live results with charts, paper ballots, Excel export) and the happiness index per
//! community. Every decision stays in the app; a page parses its form, makes one call and shows the answer, a
//! refusal next to the field with what was typed kept.

use super::events::{FormState, parse_record_id, status_of};
use super::portal::{PtLabels, chart, happiness_charts, question_chart};
use super::{CsrfForm, PageActor, UserBar, error_page, form_error, render, urlencode};
use crate::AppState;
use crate::i18n::{Lang, group_digits};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use wangge_app::participation::ledger::{
    LedgerDecisionInput, LedgerEntryInput, LedgerEntryView, LedgerQuery, LedgerReversalInput, LedgerSummary,
};
use wangge_app::participation::notices::{
    NewNoticeInput, NoticeActionInput, NoticeDetail, NoticeQuery, NoticeUpdate, NoticeView,
};
use wangge_app::participation::polls::{
    CommunityHappiness, PaperBallotInput, PollActionInput, PollInput, PollQuery, PollResults, PollView,
};
use wangge_app::{AppError, ErrorKind};
use wangge_domain::participation::{ExpenseCategory, IncomeSource, Question, QuestionKind};
use wangge_domain::region::RegionLevel;
use wangge_domain::role::Permission;

/// Question blocks on the new-poll form.
const QUESTION_BLOCKS: usize = 8;

/// Regions the caller may act on with `perm`, of the given levels, for a picker.
async fn regions(app: &AppState, pa: &PageActor, perm: Permission, levels: &[RegionLevel]) -> Vec<(String, String)> {
    let tree = app.region_tree(&pa.actor).await.unwrap_or_default();
    tree.into_iter()
        .filter(|r| levels.contains(&r.level) && pa.actor.may(perm, &r.code))
        .take(300)
        .map(|r| {
            let indent = match r.level {
                RegionLevel::District => "",
                RegionLevel::Street => "　",
                RegionLevel::Community => "　　",
                RegionLevel::Grid => "　　　",
            };
            (r.code, format!("{indent}{}", r.name))
        })
        .collect()
}

fn ids(s: &str) -> Result<Vec<i64>, AppError> {
    s.split([',', ' '])
        .filter(|x| !x.trim().is_empty())
        .map(|x| x.trim().parse::<i64>().map_err(|_| AppError::field("attachments", "附件编号无效 / bad file id")))
        .collect()
}

fn opt(f: &CsrfForm, k: &str) -> Option<String> {
    Some(f.get(k).trim().to_string()).filter(|v| !v.is_empty())
}

fn version(f: &CsrfForm) -> Option<i64> {
    f.get("version").trim().parse().ok()
}

// ───────────────────────────── notices ─────────────────────────────

#[derive(Template)]
#[template(path = "pt_notices.html")]
struct NoticesPage {
    lang: Lang,
    user: Option<UserBar>,
    l: PtLabels,
    f: FormState,
    rows: Vec<NoticeView>,
    total: String,
    next: Option<String>,
    error: Option<String>,
    regions: Vec<(String, String)>,
    may_publish: bool,
}

pub async fn notices(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).map(str::trim).filter(|s| !s.is_empty());
    let query = NoticeQuery {
        region: get("region"),
        status: get("status"),
        category: get("category"),
        cursor: get("cursor"),
        limit: Some(30),
    };
    let (rows, total, next, error, code) = match app.list_notices(&pa.actor, query).await {
        Ok(page) => {
            let next = page.next_cursor.map(|c| link("/participation/notices", &q, &c));
            (page.items, group_digits(page.total), next, None, StatusCode::OK)
        }
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            (vec![], "0".into(), None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST)
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let page = NoticesPage {
        regions: regions(
            &app,
            &pa,
            Permission::ReadParticipation,
            &[RegionLevel::District, RegionLevel::Street, RegionLevel::Community],
        )
        .await,
        may_publish: pa.actor.may_somewhere(Permission::PublishNotices),
        lang,
        l: PtLabels { lang },
        user: pa.bar(),
        f: FormState::new(q),
        rows,
        total,
        next,
        error,
    };
    render(code, &page)
}

/// A list's query kept in a link, with `cursor` replaced.
fn link(base: &str, q: &HashMap<String, String>, cursor: &str) -> String {
    let mut params: Vec<String> = q
        .iter()
        .filter(|(k, v)| *k != "cursor" && !v.is_empty())
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    params.sort();
    params.push(format!("cursor={}", urlencode(cursor)));
    format!("{base}?{}", params.join("&"))
}

#[derive(Template)]
#[template(path = "pt_notice.html")]
struct NoticePage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: PtLabels,
    f: FormState,
    /// None: the new-notice form.
    d: Option<NoticeDetail>,
    regions: Vec<(String, String)>,
    done: Option<&'static str>,
}

const NOTICE_FIELDS: &[&str] = &["region_code", "category", "title", "body", "expires_on", "attachments"];

impl NoticePage {
    /// A new notice, or one the caller may edit.
    pub fn editable(&self) -> bool {
        self.d.as_ref().is_none_or(|d| d.editable)
    }

    pub fn general(&self) -> Option<&str> {
        self.f.general(NOTICE_FIELDS).or_else(|| self.f.err("action"))
    }

    pub fn is_cat(&self, code: &str) -> bool {
        self.f.v("category") == code
    }
}

fn notice_values(d: &NoticeDetail) -> HashMap<String, String> {
    let n = &d.notice;
    let ids: Vec<String> = n.attachments.iter().map(|a| a.id.to_string()).collect();
    [
        ("category", n.category.clone()),
        ("title", n.title.clone()),
        ("body", n.body.clone()),
        ("expires_on", n.expires_on.clone().unwrap_or_default()),
        ("attachments", ids.join(",")),
        ("version", n.version.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

async fn notice_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    d: Option<NoticeDetail>,
    f: FormState,
    status: StatusCode,
    done: Option<&'static str>,
) -> Response {
    let levels = [RegionLevel::District, RegionLevel::Street, RegionLevel::Community];
    let page = NoticePage {
        regions: regions(app, pa, Permission::PublishNotices, &levels).await,
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        l: PtLabels { lang },
        f,
        d,
        done,
    };
    render(status, &page)
}

pub async fn new_notice(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    if let Err(e) = app.authorize_anywhere(&pa.actor, Permission::PublishNotices) {
        return error_page(lang, pa.bar(), &e);
    }
    let values = HashMap::from([("category".to_string(), "residents".to_string())]);
    notice_page(&app, lang, &pa, None, FormState::new(values), StatusCode::OK, None).await
}

pub async fn create_notice(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let input = ids(&f.get("attachments")).map(|attachments| NewNoticeInput {
        region_code: f.get("region_code"),
        category: f.get("category"),
        title: f.get("title"),
        body: f.get("body"),
        pinned: !f.get("pinned").is_empty(),
        expires_on: opt(&f, "expires_on"),
        attachments,
        publish: !f.get("publish").is_empty(),
    });
    match async { app.create_notice(&f.pa.actor, input?).await }.await {
        Ok(d) => Redirect::to(&format!("/participation/notices/{}?done=created", d.notice.id)).into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let state = FormState::failed_at_path(f.fields.clone(), lang, &e);
            notice_page(&app, lang, &f.pa, None, state, status_of(&e), None).await
        }
    }
}

pub async fn notice(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = match parse_record_id(lang, &pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let done = match q.get("done").map(String::as_str) {
        Some("created") => Some("pt_done_created"),
        Some("saved") => Some("pt_done_saved"),
        Some(_) => Some("pt_done_action"),
        None => None,
    };
    match app.notice_detail(&pa.actor, id).await {
        Ok(d) => {
            let f = FormState::new(notice_values(&d));
            notice_page(&app, lang, &pa, Some(d), f, StatusCode::OK, done).await
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

pub async fn update_notice(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let input = ids(&f.get("attachments")).map(|attachments| NoticeUpdate {
        category: f.get("category"),
        title: f.get("title"),
        body: f.get("body"),
        expires_on: opt(&f, "expires_on"),
        attachments,
        version: version(&f),
    });
    match async { app.update_notice(&f.pa.actor, id, input?).await }.await {
        Ok(_) => Redirect::to(&format!("/participation/notices/{id}?done=saved")).into_response(),
        Err(e) => notice_refused(&app, lang, &f, id, e).await,
    }
}

async fn notice_refused(app: &AppState, lang: Lang, f: &CsrfForm, id: i64, e: AppError) -> Response {
    if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Forbidden) {
        return error_page(lang, f.pa.bar(), &e);
    }
    match app.notice_detail(&f.pa.actor, id).await {
        Ok(d) => {
            let state = FormState::failed_at_path(f.fields.clone(), lang, &e);
            notice_page(app, lang, &f.pa, Some(d), state, status_of(&e), None).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

pub async fn notice_action(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let input = NoticeActionInput { action: f.get("action"), version: version(&f) };
    match app.act_on_notice(&f.pa.actor, id, input).await {
        Ok(_) => {
            Redirect::to(&format!("/participation/notices/{id}?done={}", urlencode(&f.get("action")))).into_response()
        }
        Err(e) => notice_refused(&app, lang, &f, id, e).await,
    }
}

// ───────────────────────────── ledger ─────────────────────────────

#[derive(Template)]
#[template(path = "pt_ledger.html")]
struct LedgerPage {
    lang: Lang,
    user: Option<UserBar>,
    l: PtLabels,
    f: FormState,
    s: Option<LedgerSummary>,
    rows: Vec<LedgerEntryView>,
    total: String,
    next: Option<String>,
    error: Option<String>,
    regions: Vec<(String, String)>,
    may_keep: bool,
    month_chart: Option<String>,
}

pub async fn ledger(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).map(str::trim).filter(|s| !s.is_empty());
    let year = match get("year").map(str::parse::<i64>).transpose() {
        Ok(y) => y,
        Err(_) => {
            return error_page(lang, pa.bar(), &AppError::field("year", "年份无效 / not a year"));
        }
    };
    let query = LedgerQuery {
        region: get("region"),
        year,
        direction: get("direction"),
        status: get("status"),
        cursor: get("cursor"),
        limit: Some(50),
    };
    let listed = app.list_ledger(&pa.actor, query).await;
    let summary = app.ledger_summary(&pa.actor, get("region"), year).await;
    let (rows, total, next, error, code, s) = match (listed, summary) {
        (Ok(page), Ok(s)) => {
            let next = page.next_cursor.map(|c| link("/participation/ledger", &q, &c));
            (page.items, group_digits(page.total), next, None, StatusCode::OK, Some(s))
        }
        (Err(e), _) | (_, Err(e)) if e.kind == ErrorKind::InvalidInput => {
            (vec![], "0".into(), None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST, None)
        }
        (Err(e), _) | (_, Err(e)) => return error_page(lang, pa.bar(), &e),
    };
    let month_chart = s.as_ref().and_then(|s| {
        chart(
            "bar",
            s.months.iter().map(|m| m.month.clone()).collect(),
            vec![
                (lang.t("pt_income").into(), s.months.iter().map(|m| json!(m.income)).collect()),
                (lang.t("pt_expense").into(), s.months.iter().map(|m| json!(m.expense)).collect()),
            ],
            json!({ "labels": false }),
        )
        .filter(|_| s.months.iter().any(|m| m.income != 0.0 || m.expense != 0.0))
    });
    let page = LedgerPage {
        regions: regions(&app, &pa, Permission::ReadParticipation, &[RegionLevel::Community]).await,
        may_keep: pa.actor.may_somewhere(Permission::KeepLedger),
        lang,
        l: PtLabels { lang },
        user: pa.bar(),
        f: FormState::new(q),
        s,
        rows,
        total,
        next,
        error,
        month_chart,
    };
    render(code, &page)
}

impl LedgerPage {
    pub fn year_row(&self) -> Option<&wangge_app::participation::ledger::YearTotals> {
        let s = self.s.as_ref()?;
        s.years.iter().find(|y| y.year == s.year)
    }
}

#[derive(Template)]
#[template(path = "pt_ledger_new.html")]
struct LedgerNewPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    f: FormState,
    regions: Vec<(String, String)>,
    incomes: Vec<(&'static str, &'static str)>,
    expenses: Vec<(&'static str, &'static str)>,
}

const LEDGER_FIELDS: &[&str] =
    &["region_code", "direction", "category", "amount", "occurred_on", "counterparty", "summary", "vouchers"];

impl LedgerNewPage {
    pub fn general(&self) -> Option<&str> {
        self.f.general(LEDGER_FIELDS)
    }

    pub fn err(&self, field: &str) -> Option<&str> {
        self.f.err(field).or_else(|| if field == "vouchers" { self.f.err("vouchers[0]") } else { None })
    }
}

async fn ledger_new_page(app: &AppState, lang: Lang, pa: &PageActor, f: FormState, status: StatusCode) -> Response {
    let pick = |zh: &'static str, en: &'static str| if lang == Lang::Zh { zh } else { en };
    let page = LedgerNewPage {
        regions: regions(app, pa, Permission::KeepLedger, &[RegionLevel::Community]).await,
        incomes: IncomeSource::ALL.iter().map(|c| (c.as_str(), pick(c.label_zh(), c.label_en()))).collect(),
        expenses: ExpenseCategory::ALL.iter().map(|c| (c.as_str(), pick(c.label_zh(), c.label_en()))).collect(),
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        f,
    };
    render(status, &page)
}

pub async fn new_entry(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    if let Err(e) = app.authorize_anywhere(&pa.actor, Permission::KeepLedger) {
        return error_page(lang, pa.bar(), &e);
    }
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"));
    let values = HashMap::from([
        ("direction".to_string(), "income".to_string()),
        ("occurred_on".to_string(), today.format("%Y-%m-%d").to_string()),
    ]);
    ledger_new_page(&app, lang, &pa, FormState::new(values), StatusCode::OK).await
}

pub async fn create_entry(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let direction = f.get("direction");
    // One category picker per direction; the one of the chosen direction counts.
    let category = if direction == "expense" { f.get("expense_category") } else { f.get("income_category") };
    let input =
        ids(&f.get("vouchers")).map_err(|e| AppError::field("vouchers", e.message)).map(|vouchers| LedgerEntryInput {
            region_code: f.get("region_code"),
            direction,
            category,
            amount: Value::String(f.get("amount")),
            occurred_on: f.get("occurred_on"),
            counterparty: f.get("counterparty"),
            summary: f.get("summary"),
            vouchers,
        });
    match async { app.add_ledger_entry(&f.pa.actor, input?).await }.await {
        Ok(e) => Redirect::to(&format!("/participation/ledger/{}?done=created", e.id)).into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let mut state = FormState::failed_at_path(f.fields.clone(), lang, &e);
            if e.field_name() == Some("category") {
                let key = if f.get("direction") == "expense" { "expense_category" } else { "income_category" };
                let mut moved = AppError::field(key, &e.message);
                moved.message = e.message.replacen("category", key, 1);
                state = FormState::failed_at_path(f.fields.clone(), lang, &moved);
            }
            ledger_new_page(&app, lang, &f.pa, state, status_of(&e)).await
        }
    }
}

#[derive(Template)]
#[template(path = "pt_ledger_entry.html")]
struct EntryPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: PtLabels,
    e: LedgerEntryView,
    f: FormState,
    done: Option<&'static str>,
}

impl EntryPage {
    pub fn may(&self, action: &str) -> bool {
        self.e.actions.iter().any(|a| a == action)
    }
}

async fn entry_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    f: FormState,
    status: StatusCode,
    done: Option<&'static str>,
) -> Response {
    match app.ledger_entry(&pa.actor, id).await {
        Ok(e) => {
            render(status, &EntryPage { lang, user: pa.bar(), csrf: pa.csrf.clone(), l: PtLabels { lang }, e, f, done })
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

pub async fn entry(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = match parse_record_id(lang, &pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let done = q.get("done").map(|d| if d == "created" { "pt_done_created" } else { "pt_done_action" });
    entry_page(&app, lang, &pa, id, FormState::default(), StatusCode::OK, done).await
}

pub async fn decide(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let input = LedgerDecisionInput { decision: f.get("decision"), note: f.get("note") };
    match app.decide_ledger_entry(&f.pa.actor, id, input).await {
        Ok(_) => Redirect::to(&format!("/participation/ledger/{id}?done=decided")).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Forbidden) => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let mut values = f.fields.clone();
            values.insert("form".into(), "decide".into());
            entry_page(&app, lang, &f.pa, id, FormState::failed(values, lang, &e), status_of(&e), None).await
        }
    }
}

pub async fn reverse(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let input = LedgerReversalInput { reason: f.get("reason"), occurred_on: opt(&f, "occurred_on") };
    match app.reverse_ledger_entry(&f.pa.actor, id, input).await {
        Ok(r) => Redirect::to(&format!("/participation/ledger/{}?done=created", r.id)).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Forbidden) => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let mut values = f.fields.clone();
            values.insert("form".into(), "reverse".into());
            entry_page(&app, lang, &f.pa, id, FormState::failed(values, lang, &e), status_of(&e), None).await
        }
    }
}

// ───────────────────────────── polls ─────────────────────────────

#[derive(Template)]
#[template(path = "pt_polls.html")]
struct PollsPage {
    lang: Lang,
    user: Option<UserBar>,
    l: PtLabels,
    f: FormState,
    rows: Vec<PollView>,
    total: String,
    next: Option<String>,
    error: Option<String>,
    regions: Vec<(String, String)>,
    may_manage: bool,
}

pub async fn polls(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).map(str::trim).filter(|s| !s.is_empty());
    let query = PollQuery {
        region: get("region"),
        status: get("status"),
        kind: get("kind"),
        cursor: get("cursor"),
        limit: Some(30),
    };
    let (rows, total, next, error, code) = match app.list_polls(&pa.actor, query).await {
        Ok(page) => {
            let next = page.next_cursor.map(|c| link("/participation/polls", &q, &c));
            (page.items, group_digits(page.total), next, None, StatusCode::OK)
        }
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            (vec![], "0".into(), None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST)
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let levels = [RegionLevel::District, RegionLevel::Street, RegionLevel::Community, RegionLevel::Grid];
    let page = PollsPage {
        regions: regions(&app, &pa, Permission::ReadParticipation, &levels).await,
        may_manage: pa.actor.may_somewhere(Permission::ManagePolls),
        lang,
        l: PtLabels { lang },
        user: pa.bar(),
        f: FormState::new(q),
        rows,
        total,
        next,
        error,
    };
    render(code, &page)
}

#[derive(Template)]
#[template(path = "pt_poll_new.html")]
struct PollNewPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    f: FormState,
    regions: Vec<(String, String)>,
    blocks: Vec<usize>,
    kinds: Vec<(&'static str, &'static str)>,
}

const POLL_FIELDS: &[&str] = &["region_code", "title", "description", "min_age", "closes_on", "questions"];

impl PollNewPage {
    pub fn general(&self) -> Option<&str> {
        match self.f.general(POLL_FIELDS) {
            Some(_) if (0..QUESTION_BLOCKS).any(|i| self.qerr_any(&i)) => None,
            g => g,
        }
    }

    pub fn qv(&self, i: &usize, key: &str) -> &str {
        self.f.v(&format!("questions[{i}].{key}"))
    }

    fn qerr_any(&self, i: &usize) -> bool {
        ["kind", "text", "options", "scale_max", "max_choices"].iter().any(|k| self.qerr(i, k).is_some())
    }

    pub fn qerr(&self, i: &usize, key: &str) -> Option<&str> {
        self.f.err(&format!("questions[{i}].{key}"))
    }

    pub fn kind_is(&self, i: &usize, kind: &str) -> bool {
        match self.qv(i, "kind") {
            "" => kind == "single",
            k => k == kind,
        }
    }
}

async fn poll_new_page(app: &AppState, lang: Lang, pa: &PageActor, f: FormState, status: StatusCode) -> Response {
    let pick = |zh: &'static str, en: &'static str| if lang == Lang::Zh { zh } else { en };
    let levels = [RegionLevel::District, RegionLevel::Street, RegionLevel::Community, RegionLevel::Grid];
    let page = PollNewPage {
        regions: regions(app, pa, Permission::ManagePolls, &levels).await,
        blocks: (0..QUESTION_BLOCKS).collect(),
        kinds: QuestionKind::ALL.iter().map(|k| (k.as_str(), pick(k.label_zh(), k.label_en()))).collect(),
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        f,
    };
    render(status, &page)
}

pub async fn new_poll(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    if let Err(e) = app.authorize_anywhere(&pa.actor, Permission::ManagePolls) {
        return error_page(lang, pa.bar(), &e);
    }
    poll_new_page(&app, lang, &pa, FormState::default(), StatusCode::OK).await
}

/// The question blocks that hold a question text (empty blocks are left out), with the form block each came
/// from; options one per line.
fn form_questions(f: &CsrfForm) -> (Vec<Question>, Vec<usize>) {
    let mut qs = Vec::new();
    let mut from = Vec::new();
    for i in 0..QUESTION_BLOCKS {
        let g = |k: &str| f.get(&format!("questions[{i}].{k}"));
        if g("text").trim().is_empty() {
            continue;
        }
        let num = |k: &str| g(k).trim().parse::<i64>().ok();
        qs.push(Question {
            kind: g("kind"),
            text: g("text"),
            options: g("options").lines().map(str::to_string).collect(),
            scale_min: None,
            scale_max: num("scale_max"),
            min_label: g("min_label"),
            max_label: g("max_label"),
            max_choices: num("max_choices").and_then(|m| usize::try_from(m).ok()),
            required: Some(!g("optional").is_empty()).map(|o| !o),
        });
        from.push(i);
    }
    (qs, from)
}

pub async fn create_poll(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let happiness = f.get("kind") == "happiness";
    let (questions, from) = if happiness { (Vec::new(), Vec::new()) } else { form_questions(&f) };
    let min_age = match f.get("min_age").trim() {
        "" => Ok(None),
        s => s.parse::<i64>().map(Some).map_err(|_| AppError::field("min_age", "年龄应为数字 / a number")),
    };
    let input = min_age.map(|min_age| PollInput {
        region_code: f.get("region_code"),
        kind: Some(if happiness { "happiness" } else { "survey" }.into()),
        title: f.get("title"),
        description: f.get("description"),
        questions,
        min_age,
        closes_on: opt(&f, "closes_on"),
        results_public: Some(f.get("internal").is_empty()),
        open: !f.get("open").is_empty(),
    });
    match async { app.create_poll(&f.pa.actor, input?).await }.await {
        Ok(p) => Redirect::to(&format!("/participation/polls/{}?done=created", p.poll.id)).into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            // questions[n] names the n-th question sent: show it at the block it was typed in.
            let e = match e.field_name().and_then(|n| n.strip_prefix("questions[")).and_then(|r| r.split_once(']')) {
                Some((n, tail)) => match n.parse::<usize>().ok().and_then(|n| from.get(n)) {
                    Some(block) => {
                        let field = format!("questions[{block}]{tail}");
                        let old = e.field_name().unwrap_or_default().to_string();
                        let mut moved = AppError::field(&field, "");
                        moved.message = e.message.replacen(&old, &field, 1);
                        moved
                    }
                    None => e,
                },
                None => e,
            };
            poll_new_page(&app, lang, &f.pa, FormState::failed_at_path(f.fields.clone(), lang, &e), status_of(&e)).await
        }
    }
}

/// A ballot's widgets (the resident's form and the paper-ballot form share them).
pub struct BallotForm {
    pub questions: Vec<Question>,
    pub f: FormState,
}

impl BallotForm {
    pub fn kind(&self, q: &Question) -> &'static str {
        q.kind().as_str()
    }

    pub fn scale(&self, q: &Question) -> Vec<i64> {
        let (lo, hi) = q.bounds();
        (lo..=hi).collect()
    }

    pub fn picked(&self, i: &usize, j: &usize) -> bool {
        self.f.v(&format!("q{i}")) == j.to_string() || !self.f.v(&format!("q{i}_{j}")).is_empty()
    }

    pub fn scored(&self, i: &usize, v: &i64) -> bool {
        self.f.v(&format!("q{i}")) == v.to_string()
    }

    pub fn typed(&self, i: &usize) -> &str {
        self.f.v(&format!("q{i}"))
    }

    pub fn err(&self, i: &usize) -> Option<&str> {
        self.f.err(&format!("answers[{i}]"))
    }
}

#[derive(Template)]
#[template(path = "pt_poll.html")]
struct PollPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: PtLabels,
    r: PollResults,
    actions: Vec<String>,
    charts: Vec<Option<String>>,
    b: BallotForm,
    done: Option<&'static str>,
    /// A refusal of the open/close form.
    action_error: Option<String>,
}

impl PollPage {
    pub fn chart_of(&self, i: &usize) -> Option<&str> {
        self.charts.get(*i).and_then(|c| c.as_deref())
    }

    pub fn may(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a == action)
    }

    pub fn paper_error(&self) -> Option<&str> {
        let shown: Vec<String> = (0..self.b.questions.len()).map(|i| format!("answers[{i}]")).collect();
        let refs: Vec<&str> = shown.iter().map(String::as_str).collect();
        match self.b.f.err("person_id").or_else(|| self.b.f.err("id_number")) {
            Some(e) => Some(e),
            None => self.b.f.general(&refs),
        }
    }
}

async fn poll_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    paper: FormState,
    status: StatusCode,
    (done, action_error): (Option<&'static str>, Option<String>),
) -> Response {
    let (detail, results) = match (app.poll_detail(&pa.actor, id).await, app.poll_results(&pa.actor, id).await) {
        (Ok(d), Ok(r)) => (d, r),
        (Err(e), _) | (_, Err(e)) => return error_page(lang, pa.bar(), &e),
    };
    let charts = results.questions.iter().map(|q| question_chart(lang, q)).collect();
    let page = PollPage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        l: PtLabels { lang },
        actions: detail.actions,
        charts,
        b: BallotForm { questions: results.poll.questions.clone(), f: paper },
        r: results,
        done,
        action_error,
    };
    render(status, &page)
}

pub async fn poll(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = match parse_record_id(lang, &pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let done = q.get("done").map(|d| match d.as_str() {
        "created" => "pt_done_created",
        "paper" => "pt_done_paper",
        _ => "pt_done_action",
    });
    poll_page(&app, lang, &pa, id, FormState::default(), StatusCode::OK, (done, None)).await
}

pub async fn poll_action(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let input = PollActionInput { action: f.get("action"), version: version(&f) };
    match app.act_on_poll(&f.pa.actor, id, input).await {
        Ok(_) => Redirect::to(&format!("/participation/polls/{id}?done=action")).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Forbidden) => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let msg = form_error(lang, &e);
            poll_page(&app, lang, &f.pa, id, FormState::default(), status_of(&e), (None, Some(msg))).await
        }
    }
}

pub async fn paper_ballot(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let questions = match app.poll_detail(&f.pa.actor, id).await {
        Ok(d) => d.poll.questions,
        Err(e) => return error_page(lang, f.pa.bar(), &e),
    };
    let input = PaperBallotInput {
        person_id: None,
        id_number: Some(f.get("id_number")),
        answers: super::portal::answers(&questions, &f.fields),
    };
    match app.record_paper_ballot(&f.pa.actor, id, input).await {
        Ok(_) => Redirect::to(&format!("/participation/polls/{id}?done=paper#paper")).into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let state = FormState::failed_at_path(f.fields.clone(), lang, &e);
            poll_page(&app, lang, &f.pa, id, state, status_of(&e), (None, None)).await
        }
    }
}

pub async fn export(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(id): Path<String>) -> Response {
    let id = match parse_record_id(lang, &pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    match app.export_poll(&pa.actor, id).await {
        Ok((name, bytes)) => crate::api::participation::xlsx_response(&name, bytes),
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

// ───────────────────────────── happiness ─────────────────────────────

#[derive(Template)]
#[template(path = "pt_happiness.html")]
struct HappinessPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: PtLabels,
    f: FormState,
    region_name: String,
    communities: Vec<(CommunityHappiness, Option<String>, Option<String>)>,
    regions: Vec<(String, String)>,
    rounds_regions: Vec<(String, String)>,
    may_manage: bool,
}

async fn happiness_page(app: &AppState, lang: Lang, pa: &PageActor, f: FormState, status: StatusCode) -> Response {
    let region = Some(f.v("region").to_string()).filter(|r| !r.is_empty());
    match app.happiness(&pa.actor, region.as_deref()).await {
        Ok(t) => {
            let communities = t
                .communities
                .into_iter()
                .map(|c| {
                    let (trend, dims) = happiness_charts(lang, &c.rounds);
                    (c, trend, dims)
                })
                .collect();
            let levels = [RegionLevel::District, RegionLevel::Street, RegionLevel::Community];
            let page = HappinessPage {
                regions: regions(app, pa, Permission::ReadParticipation, &levels).await,
                rounds_regions: regions(app, pa, Permission::ManagePolls, &levels).await,
                may_manage: pa.actor.may_somewhere(Permission::ManagePolls),
                lang,
                user: pa.bar(),
                csrf: pa.csrf.clone(),
                l: PtLabels { lang },
                f,
                region_name: t.region_name,
                communities,
            };
            render(status, &page)
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

pub async fn happiness(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    happiness_page(&app, lang, &pa, FormState::new(q), StatusCode::OK).await
}

/// Starts a happiness round (a poll of the seven dimensions, open at once).
pub async fn new_round(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let input = PollInput {
        region_code: f.get("region_code"),
        kind: Some("happiness".into()),
        title: f.get("title"),
        description: f.get("description"),
        questions: Vec::new(),
        min_age: None,
        closes_on: opt(&f, "closes_on"),
        results_public: Some(true),
        open: true,
    };
    match app.create_poll(&f.pa.actor, input).await {
        Ok(p) => Redirect::to(&format!("/participation/polls/{}?done=created", p.poll.id)).into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(lang, f.pa.bar(), &e),
        Err(e) => happiness_page(&app, lang, &f.pa, FormState::failed(f.fields.clone(), lang, &e), status_of(&e)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_ids_are_read_from_the_hidden_field() {
        assert_eq!(ids("3,5, 8").unwrap(), vec![3, 5, 8]);
        assert!(ids("").unwrap().is_empty());
        assert_eq!(ids("x").unwrap_err().field_name(), Some("attachments"));
    }
}
