//! Dispute mediation (矛盾纠纷多元化解) in the browser: the list with filters, the register form with its parties
//! (people of the register found by a small search, or outsiders), one dispute with its parties, steps and one
//! form per action the caller may take now, the printable 人民调解协议书, and the statistics with charts. Every
//! decision (routing by difficulty, who may act, what an action needs) stays in the app; a page only parses the
//! form, makes its call and shows the answer.

use super::events::{FormState, parse_record_id, region_options, status_of};
use super::{CsrfForm, PageActor, UserBar, error_page, form_error, render, urlencode};
use crate::AppState;
use crate::i18n::{Lang, group_digits};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wangge_app::disputes::{
    DisputeActionInput, DisputeDetail, DisputeQuery, DisputeStats, DisputeStep, DisputeType, DisputeView,
    NewDisputeInput, PartyInput, PartyView,
};
use wangge_app::{AppError, ErrorKind};
use wangge_domain::dispute::{Difficulty, DisputeAction, DisputeSource, DisputeStatus, PartyRole, ReferralTarget};
use wangge_domain::region::RegionLevel;
use wangge_domain::role::Permission;

/// Party blocks on the register form: the applicant and the respondent (always sent, so a missing one is named
/// at its own fields), and two more for further parties (sent only when something was typed in them).
const PARTY_BLOCKS: usize = 4;
const REQUIRED_PARTIES: usize = 2;

/// The API keeps one text for the agreement; the form asks for the terms and for how and when they are carried
/// out (履行方式、时限) separately, joins them under this heading, and the printout splits them again.
const PERFORMANCE_MARK: &str = "\n\n履行方式、时限：";

/// Labels in the page's language for the dispute vocabulary and the type taxonomy.
pub struct DsLabels {
    lang: Lang,
    types: Vec<DisputeType>,
}

impl DsLabels {
    async fn load(app: &AppState, pa: &PageActor, lang: Lang) -> DsLabels {
        // Callers who may not read the taxonomy see codes; the list itself answers them with its own error.
        let types = app.dispute_types(&pa.actor).await.unwrap_or_default();
        DsLabels { lang, types }
    }

    fn pick(&self, zh: &'static str, en: &'static str) -> &'static str {
        if self.lang == Lang::Zh { zh } else { en }
    }

    pub fn status(&self, code: &str) -> &'static str {
        DisputeStatus::parse("status", code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    pub fn difficulty(&self, code: &str) -> &'static str {
        Difficulty::parse("difficulty", code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    pub fn source(&self, code: &str) -> &'static str {
        DisputeSource::parse("source", code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    pub fn target(&self, code: &str) -> &'static str {
        ReferralTarget::parse("target", code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    pub fn role(&self, code: &str) -> &'static str {
        PartyRole::parse("role", code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    /// An action's name; `register` is the first step, not an action one takes.
    pub fn action(&self, code: &str) -> &'static str {
        if code == "register" {
            return self.lang.t("dsp_step_register");
        }
        DisputeAction::parse("action", code).map(|s| self.pick(s.label_zh(), s.label_en())).unwrap_or("")
    }

    /// The level that mediates it now: 社区/村, 镇/街道 or 区/县.
    pub fn level(&self, code: &str) -> &'static str {
        match code {
            "district" => self.lang.t("level_district"),
            "street" => self.lang.t("level_street"),
            _ => self.lang.t("level_community"),
        }
    }

    pub fn type_name(&self, code: &str) -> String {
        match self.types.iter().find(|t| t.code == code) {
            Some(t) if self.lang == Lang::En && !t.name_en.is_empty() => t.name_en.clone(),
            Some(t) => t.name.clone(),
            None => code.to_string(),
        }
    }

    /// Types for a picker; retired types only where old disputes may still carry them (the list's filter).
    pub fn type_options(&self, with_retired: bool) -> Vec<(String, String)> {
        self.types
            .iter()
            .filter(|t| t.active || with_retired)
            .map(|t| (t.code.clone(), self.type_name(&t.code)))
            .collect()
    }

    pub fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        DisputeStatus::ALL.iter().map(|s| (s.as_str(), self.status(s.as_str()))).collect()
    }

    pub fn sources(&self) -> Vec<(&'static str, &'static str)> {
        // `event` is set by the app when the dispute starts from an event, never chosen.
        DisputeSource::ALL
            .iter()
            .filter(|s| **s != DisputeSource::Event)
            .map(|s| (s.as_str(), self.source(s.as_str())))
            .collect()
    }

    pub fn targets(&self) -> Vec<(&'static str, &'static str)> {
        ReferralTarget::ALL.iter().map(|s| (s.as_str(), self.target(s.as_str()))).collect()
    }

    pub fn roles(&self) -> Vec<(&'static str, &'static str)> {
        PartyRole::ALL.iter().map(|s| (s.as_str(), self.role(s.as_str()))).collect()
    }

    /// Difficulties with where each goes first (简易矛盾村社化解、复杂矛盾镇街首调、疑难矛盾上级包案).
    pub fn difficulties(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        Difficulty::ALL
            .iter()
            .map(|d| {
                let hint = match d {
                    Difficulty::Simple => "dsp_route_simple",
                    Difficulty::Complex => "dsp_route_complex",
                    Difficulty::Hard => "dsp_route_hard",
                };
                (d.as_str(), self.difficulty(d.as_str()), self.lang.t(hint))
            })
            .collect()
    }

    /// Yuan with two decimals and grouped thousands: "12,000.00 元".
    pub fn amount(&self, v: &Option<f64>) -> String {
        match v {
            Some(y) => {
                let fen = (y * 100.0).round() as i64;
                format!("{}.{:02} {}", group_digits(fen / 100), fen % 100, self.lang.t("dsp_yuan"))
            }
            None => "—".into(),
        }
    }

    /// "2026-11-25T18:09:00+08:00" → "2026-11-25 18:09" (times are China time already).
    pub fn time(&self, s: &str) -> String {
        match s.get(..16) {
            Some(t) if s.len() >= 16 => t.replacen('T', " ", 1),
            _ => s.to_string(),
        }
    }

    pub fn rate(&self, v: &Option<f64>) -> String {
        match v {
            Some(r) => format!("{:.1}%", r * 100.0),
            None => "—".into(),
        }
    }
}

/// The event pages' form state; dispute forms match errors to whole field paths (`parties[1].name`).
pub type DsForm = FormState;

impl FormState {
    /// A party block's typed value and error.
    pub fn pv(&self, i: &usize, key: &str) -> &str {
        self.v(&format!("parties[{i}].{key}"))
    }

    pub fn perr(&self, i: &usize, key: &str) -> Option<&str> {
        self.err(&format!("parties[{i}].{key}"))
    }
}

/// Query parameters kept in a link, with `cursor` replaced.
fn list_link(q: &HashMap<String, String>, cursor: &str) -> String {
    let mut params: Vec<String> = q
        .iter()
        .filter(|(k, v)| *k != "cursor" && !v.is_empty())
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    params.sort();
    params.push(format!("cursor={}", urlencode(cursor)));
    format!("/disputes?{}", params.join("&"))
}

// ───────────────────────────── list ─────────────────────────────

#[derive(Template)]
#[template(path = "disputes.html")]
struct DisputesPage {
    lang: Lang,
    user: Option<UserBar>,
    l: DsLabels,
    f: DsForm,
    rows: Vec<DisputeView>,
    total: String,
    next: Option<String>,
    error: Option<String>,
    regions: Vec<(String, String)>,
    may_read_stats: bool,
}

pub async fn list(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).map(str::trim).filter(|s| !s.is_empty());
    let query = DisputeQuery {
        region: get("region"),
        status: get("status"),
        type_code: get("type"),
        view: get("view"),
        person_id: None,
        cursor: get("cursor"),
        limit: Some(30),
    };
    let (rows, total, next, error, code) = match app.list_disputes(&pa.actor, query).await {
        Ok(page) => {
            let next = page.next_cursor.map(|c| list_link(&q, &c));
            (page.items, group_digits(page.total), next, None, StatusCode::OK)
        }
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            (vec![], "0".into(), None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST)
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let page = DisputesPage {
        l: DsLabels::load(&app, &pa, lang).await,
        regions: region_options(&app, &pa).await,
        may_read_stats: pa.actor.may_somewhere(Permission::ReadDisputeStats),
        lang,
        user: pa.bar(),
        f: FormState::new(q),
        rows,
        total,
        next,
        error,
    };
    render(code, &page)
}

// ───────────────────────────── register ─────────────────────────────

/// One party block of the form: its index and the role it starts with.
pub struct PartyBlock {
    pub i: usize,
    pub default_role: &'static str,
    pub required: bool,
}

#[derive(Template)]
#[template(path = "dispute_new.html")]
struct NewDisputePage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: DsLabels,
    f: DsForm,
    grids: Vec<(String, String)>,
    blocks: Vec<PartyBlock>,
}

const NEW_FIELDS: &[&str] =
    &["type_code", "title", "facts", "grid_code", "difficulty", "amount", "source", "risk_escalation", "parties"];

impl NewDisputePage {
    fn general(&self) -> Option<&str> {
        self.f.general(NEW_FIELDS)
    }

    fn role_selected(&self, b: &PartyBlock, role: &str) -> bool {
        match self.f.pv(&b.i, "role") {
            "" => b.default_role == role,
            r => r == role,
        }
    }

    /// The further parties are folded away until one of them holds something.
    fn more_open(&self) -> bool {
        self.blocks.iter().filter(|b| !b.required).any(|b| {
            ["person_id", "name", "phone", "id_number", "address"].iter().any(|k| !self.f.pv(&b.i, k).is_empty())
        })
    }

    fn difficulty_checked(&self, code: &str) -> bool {
        match self.f.v("difficulty") {
            "" => code == Difficulty::Simple.as_str(),
            d => d == code,
        }
    }

    fn source_selected(&self, code: &str) -> bool {
        match self.f.v("source") {
            "" => code == DisputeSource::WalkIn.as_str(),
            s => s == code,
        }
    }
}

async fn new_dispute_page(app: &AppState, lang: Lang, pa: &PageActor, f: DsForm, status: StatusCode) -> Response {
    let tree = app.region_tree(&pa.actor).await.unwrap_or_default();
    let grids: Vec<(String, String)> = tree
        .iter()
        .filter(|r| r.level == RegionLevel::Grid && pa.actor.may(Permission::ReadDisputes, &r.code))
        .take(500)
        .map(|r| (r.code.clone(), format!("{}（{}）", r.name, r.code)))
        .collect();
    let blocks = (0..PARTY_BLOCKS)
        .map(|i| PartyBlock {
            i,
            default_role: match i {
                0 => PartyRole::Applicant.as_str(),
                1 => PartyRole::Respondent.as_str(),
                _ => PartyRole::Third.as_str(),
            },
            required: i < REQUIRED_PARTIES,
        })
        .collect();
    let page = NewDisputePage {
        l: DsLabels::load(app, pa, lang).await,
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        f,
        grids,
        blocks,
    };
    render(status, &page)
}

pub async fn new_dispute(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(e) = app.authorize_anywhere(&pa.actor, Permission::ReadDisputes) {
        return error_page(lang, pa.bar(), &e);
    }
    // From an event's page: /disputes/new?event=ID carries the event (its grid and the source follow).
    let mut values = HashMap::new();
    if let Some(ev) = q.get("event").filter(|e| e.parse::<i64>().is_ok()) {
        values.insert("event_id".to_string(), ev.clone());
    }
    new_dispute_page(&app, lang, &pa, FormState::new(values), StatusCode::OK).await
}

/// The form as the API's input, and which form block each party sent came from (errors name the party by
/// its position in the list sent; the page shows them at the block the person typed in).
fn new_input(f: &CsrfForm) -> Result<(NewDisputeInput, Vec<usize>), AppError> {
    let opt = |k: &str| Some(f.get(k).trim().to_string()).filter(|v| !v.is_empty());
    let mut parties = Vec::new();
    let mut sent = Vec::new();
    for i in 0..PARTY_BLOCKS {
        let p = |k: &str| f.get(&format!("parties[{i}].{k}")).trim().to_string();
        let (person, name, phone, id_number, address) =
            (p("person_id"), p("name"), p("phone"), p("id_number"), p("address"));
        let blank = [&person, &name, &phone, &id_number, &address].iter().all(|s| s.is_empty());
        if blank && i >= REQUIRED_PARTIES {
            continue;
        }
        let person_id = match person.as_str() {
            "" => None,
            s => Some(s.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                AppError::field(&format!("parties[{i}].person_id"), "人员编号无效 / not a person's id")
            })?),
        };
        let some = |s: String| Some(s).filter(|v| !v.is_empty());
        let role = match p("role") {
            r if r.is_empty() && i == 0 => PartyRole::Applicant.as_str().to_string(),
            r if r.is_empty() && i == 1 => PartyRole::Respondent.as_str().to_string(),
            r => r,
        };
        parties.push(PartyInput {
            role,
            person_id,
            // A block left empty still names its party, so the app asks for that party's name.
            name: if person_id.is_none() { Some(name) } else { some(name) },
            phone: some(phone),
            id_number: some(id_number),
            address,
        });
        sent.push(i);
    }
    let event_id = match opt("event_id") {
        Some(s) => Some(s.parse::<i64>().map_err(|_| AppError::field("event_id", "事件编号无效 / bad event id"))?),
        None => None,
    };
    let input = NewDisputeInput {
        type_code: f.get("type_code"),
        title: f.get("title"),
        facts: f.get("facts"),
        grid_code: opt("grid_code"),
        difficulty: opt("difficulty"),
        amount: opt("amount").map(serde_json::Value::String),
        risk_escalation: !f.get("risk_escalation").is_empty(),
        source: opt("source"),
        event_id,
        parties,
    };
    Ok((input, sent))
}

/// Points an error about the n-th party sent at the form block it came from.
fn remap_party_error(e: AppError, sent: &[usize]) -> AppError {
    let Some(field) = e.field_name().map(str::to_string) else { return e };
    let Some(rest) = field.strip_prefix("parties[") else { return e };
    let Some((n, tail)) = rest.split_once(']') else { return e };
    let Some(block) = n.parse::<usize>().ok().and_then(|n| sent.get(n)) else { return e };
    let new_field = format!("parties[{block}]{tail}");
    let msg = e.message.strip_prefix(field.as_str()).and_then(|m| m.strip_prefix(": ")).unwrap_or(&e.message);
    let mut out = AppError::field(&new_field, msg);
    out.kind = e.kind;
    out
}

pub async fn create(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let (result, sent) = match new_input(&f) {
        Ok((input, sent)) => (app.register_dispute(&f.pa.actor, input).await, sent),
        Err(e) => (Err(e), (0..PARTY_BLOCKS).collect()),
    };
    match result {
        Ok(d) => Redirect::to(&format!("/disputes/{}?registered=1", d.dispute.id)).into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden || e.kind == ErrorKind::Internal => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let e = remap_party_error(e, &sent);
            let state = DsForm::failed_at_path(f.fields.clone(), lang, &e);
            new_dispute_page(&app, lang, &f.pa, state, status_of(&e)).await
        }
    }
}

// ───────────────────────────── one dispute ─────────────────────────────

pub struct StepRow {
    pub s: DisputeStep,
    /// What the step carried besides its note (mediator, session date and attendees, target…), in words.
    pub extra: String,
}

fn step_extra(l: &DsLabels, s: &DisputeStep) -> String {
    let zh = l.lang == Lang::Zh;
    let str_of = |k: &str| s.data.get(k).and_then(|v| v.as_str()).filter(|v| !v.is_empty());
    let mut parts: Vec<String> = Vec::new();
    if s.action == "register"
        && let Some(lv) = str_of("level")
    {
        parts.push(format!("{}{}", if zh { "分流至：" } else { "routed to: " }, l.level(lv)));
    }
    if let Some(m) = str_of("mediator") {
        parts.push(format!("{}{m}", if zh { "调解员：" } else { "mediator: " }));
    }
    if let Some(d) = str_of("date") {
        parts.push(format!("{}{d}", if zh { "调解日期：" } else { "held on " }));
    }
    if let Some(a) = str_of("attendees") {
        parts.push(format!("{}{a}", if zh { "参加人员：" } else { "attended: " }));
    }
    if let Some(t) = str_of("target") {
        parts.push(format!("{}{}", if zh { "移送：" } else { "to: " }, l.target(t)));
    }
    if s.action == "escalate"
        && let Some(r) = str_of("region_code")
    {
        parts.push(format!("{}{r}", if zh { "上交至：" } else { "up to: " }));
    }
    if let Some(b) = s.data.get("resolved").and_then(|v| v.as_bool()) {
        parts.push(l.lang.t(if b { "dsp_resolved_yes" } else { "dsp_resolved_no" }).to_string());
    }
    if let Some(b) = s.data.get("held").and_then(|v| v.as_bool()) {
        parts.push(l.lang.t(if b { "dsp_held_yes" } else { "dsp_held_no" }).to_string());
    }
    if let (Some(from), Some(to)) = (str_of("from"), str_of("to"))
        && from != to
    {
        parts.push(format!("→ {}", l.status(to)));
    }
    parts.join(" · ")
}

/// Days left before `due` (negative when past), counted in whole days rounded up.
fn days_left(due: &str, now: chrono::DateTime<chrono::FixedOffset>) -> Option<i64> {
    let due = chrono::DateTime::parse_from_rfc3339(due).ok()?;
    let secs = (due - now).num_seconds();
    Some(if secs >= 0 { (secs + 86_399) / 86_400 } else { -((-secs + 86_399) / 86_400) })
}

#[derive(Template)]
#[template(path = "dispute.html")]
struct DisputePage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: DsLabels,
    d: DisputeDetail,
    steps: Vec<StepRow>,
    /// The forms shown: the actions the caller may take now, and the one that was refused (kept with what was
    /// typed even when the dispute has moved on).
    forms: Vec<String>,
    failed_action: String,
    f: DsForm,
    notice: Option<String>,
    /// The deadline running now (mediation or follow-up visit) and the days left (negative: overdue).
    due: Option<(String, i64)>,
    today: String,
}

impl DisputePage {
    /// The typed value of a field of the `action` form, when that form was the one refused.
    fn fv(&self, action: &str, key: &str) -> &str {
        if self.failed_action == action { self.f.v(key) } else { "" }
    }

    fn ferr(&self, action: &str) -> Option<&str> {
        if self.failed_action == action { self.f.labelled() } else { None }
    }

    fn note_required(&self, action: &str) -> bool {
        matches!(action, "session" | "fail" | "close" | "withdraw" | "escalate" | "referral_outcome")
    }

    fn note_label(&self, action: &str) -> &'static str {
        match action {
            "session" => self.lang.t("dsp_session_summary"),
            _ => self.lang.t("note"),
        }
    }

    fn is_final(&self) -> bool {
        DisputeStatus::parse("status", &self.d.dispute.status).is_ok_and(|s| s.is_final())
    }

    fn due_text(&self, days: &i64) -> String {
        match (*days, self.lang) {
            (n, Lang::Zh) if n >= 0 => format!("还剩 {n} 天"),
            (n, Lang::Zh) => format!("已逾期 {} 天", -n),
            (1, Lang::En) => "1 day left".into(),
            (n, Lang::En) if n >= 0 => format!("{n} days left"),
            (n, Lang::En) => format!("{} days overdue", -n),
        }
    }

    /// The agreement's terms and how it is carried out, as the form asked for them.
    fn agreement_parts(&self) -> (String, String) {
        split_agreement(&self.d.agreement)
    }
}

fn split_agreement(text: &str) -> (String, String) {
    match text.split_once(PERFORMANCE_MARK) {
        Some((terms, how)) => (terms.trim().to_string(), how.trim().to_string()),
        None => (text.trim().to_string(), String::new()),
    }
}

/// The order the forms are shown in: the main line of mediation first, then the ways out.
const ACTION_ORDER: &[&str] =
    &["accept", "session", "agree", "follow_up", "referral_outcome", "fail", "refer", "escalate", "close", "withdraw"];

async fn dispute_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    failed: Option<(String, DsForm, StatusCode)>,
    notice: Option<String>,
) -> Response {
    let d = match app.dispute_detail(&pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let l = DsLabels::load(app, pa, lang).await;
    let steps = d.steps.iter().map(|s| StepRow { extra: step_extra(&l, s), s: s.clone() }).collect();
    let (failed_action, f, status) = failed.unwrap_or_else(|| (String::new(), DsForm::default(), StatusCode::OK));
    let mut forms: Vec<String> = ACTION_ORDER
        .iter()
        .filter(|a| d.actions.iter().any(|x| x == *a) || **a == failed_action)
        .map(|a| a.to_string())
        .collect();
    if forms.is_empty() && DisputeAction::parse("action", &failed_action).is_ok() {
        forms.push(failed_action.clone());
    }
    let now = chrono::Utc::now().with_timezone(&wangge_domain::event::calendar::cst());
    let due = match d.dispute.status.as_str() {
        "mediating" => d.dispute.due_at.clone(),
        "agreed" => d.dispute.follow_up_due_at.clone(),
        _ => None,
    }
    .and_then(|t| days_left(&t, now).map(|n| (l.time(&t), n)));
    let page = DisputePage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        l,
        d,
        steps,
        forms,
        failed_action,
        f,
        notice,
        due,
        today: now.format("%Y-%m-%d").to_string(),
    };
    render(status, &page)
}

pub async fn show(
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
    let notice = if q.contains_key("registered") {
        Some(lang.t("dsp_registered_notice").to_string())
    } else {
        q.get("done").and_then(|a| DisputeAction::parse("action", a).ok()).map(|a| {
            let label = if lang == Lang::Zh { a.label_zh() } else { a.label_en() };
            format!("{label}{}", lang.t("evt_done_suffix"))
        })
    };
    dispute_page(&app, lang, &pa, id, None, notice).await
}

fn yes_no(field: &str, s: &str) -> Result<Option<bool>, AppError> {
    match s.trim() {
        "" => Ok(None),
        "yes" => Ok(Some(true)),
        "no" => Ok(Some(false)),
        _ => Err(AppError::field(field, "应为是或否 / must be yes or no")),
    }
}

fn action_input(f: &CsrfForm) -> Result<DisputeActionInput, AppError> {
    let opt = |k: &str| Some(f.get(k).trim().to_string()).filter(|v| !v.is_empty());
    let terms = f.get("agreement").trim().to_string();
    let how = f.get("performance").trim().to_string();
    // Without terms the agreement stays empty, so the app asks for the terms rather than printing a
    // performance clause alone.
    let agreement = if terms.is_empty() || how.is_empty() { terms } else { format!("{terms}{PERFORMANCE_MARK}{how}") };
    Ok(DisputeActionInput {
        action: f.get("action"),
        note: f.get("note"),
        mediator: opt("mediator"),
        date: opt("date"),
        attendees: f.get("attendees"),
        agreement,
        target: opt("target"),
        resolved: yes_no("resolved", &f.get("resolved"))?,
        held: yes_no("held", &f.get("held"))?,
        version: match opt("version") {
            Some(v) => Some(v.parse::<i64>().map_err(|_| AppError::field("version", "版本无效 / bad version"))?),
            None => None,
        },
    })
}

/// One action from the dispute page. A refusal (400 field, 403 not at this level, 409 state or a stale page)
/// shows the page again with the message in that action's form and what was typed kept.
pub async fn act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let action = f.get("action");
    let result = match action_input(&f) {
        Ok(input) => app.act_on_dispute(&f.pa.actor, id, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/disputes/{id}?done={}", urlencode(&action))).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Internal) && e.field_name().is_none() => {
            error_page(lang, f.pa.bar(), &e)
        }
        Err(e) => {
            let status = status_of(&e);
            let state = DsForm::failed_at_path(f.fields.clone(), lang, &e);
            dispute_page(&app, lang, &f.pa, id, Some((action, state, status)), None).await
        }
    }
}

// ───────────────────────────── 人民调解协议书 ─────────────────────────────

#[derive(Template)]
#[template(path = "dispute_agreement.html")]
struct AgreementPage {
    lang: Lang,
    user: Option<UserBar>,
    l: DsLabels,
    d: DisputeDetail,
    /// 〔2026〕清河调字第12号
    number: String,
    /// 清河街道人民调解委员会
    committee: String,
    terms: String,
    performance: String,
    /// 2026年11月25日
    date: String,
}

impl AgreementPage {
    fn parties(&self) -> &[PartyView] {
        &self.d.parties
    }

    /// One paragraph per line typed, each indented as the clauses of a document are.
    fn lines<'a>(&self, text: &'a str) -> Vec<&'a str> {
        text.lines().map(str::trim).filter(|l| !l.is_empty()).collect()
    }
}

/// A committee's short name for the document number: "清河街道" → "清河", "文新社区" → "文新".
fn short_name(name: &str) -> &str {
    for suffix in ["街道办事处", "街道", "社区居委会", "社区", "村委会", "村", "镇", "乡", "区", "县"]
    {
        if let Some(s) = name.strip_suffix(suffix).filter(|s| !s.is_empty()) {
            return s;
        }
    }
    name
}

/// "2026-11-25T…" → "2026年11月25日".
fn chinese_date(s: &str) -> String {
    match (s.get(0..4), s.get(5..7), s.get(8..10)) {
        (Some(y), Some(m), Some(d)) => {
            let n = |t: &str| t.trim_start_matches('0').to_string();
            format!("{y}年{}月{}日", n(m), n(d))
        }
        _ => String::new(),
    }
}

pub async fn agreement(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(id): Path<String>) -> Response {
    let id = match parse_record_id(lang, &pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let d = match app.dispute_detail(&pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    if d.agreement.trim().is_empty() {
        let e = AppError::new(ErrorKind::NotFound, "该纠纷尚未达成调解协议 / this dispute has no agreement yet");
        return error_page(lang, pa.bar(), &e);
    }
    // The committee is the mediating region's; its name from the caller's tree (the nearest region above it
    // that the caller may see, else its code).
    let tree = app.region_tree(&pa.actor).await.unwrap_or_default();
    let code = &d.dispute.region_code;
    let name = (6..=code.len())
        .rev()
        .filter_map(|n| code.get(..n))
        .find_map(|c| tree.iter().find(|r| r.code == c))
        .map(|r| r.name.clone())
        .unwrap_or_else(|| code.clone());
    let year = d.agreed_at.as_deref().and_then(|t| t.get(..4)).unwrap_or("").to_string();
    let (terms, performance) = split_agreement(&d.agreement);
    let page = AgreementPage {
        number: format!("〔{year}〕{}调字第{}号", short_name(&name), d.dispute.id),
        committee: format!("{name}{}", lang.t("dsp_doc_committee_suffix")),
        date: d.agreed_at.as_deref().map(chinese_date).unwrap_or_default(),
        terms,
        performance,
        l: DsLabels::load(&app, &pa, lang).await,
        lang,
        user: pa.bar(),
        d,
    };
    render(StatusCode::OK, &page)
}

// ───────────────────────────── statistics ─────────────────────────────

/// One chart for `static/indicators.js` (see `events::Chart`): `hbar`, `pie` or `line`.
#[derive(serde::Serialize)]
struct Chart {
    kind: &'static str,
    percent: bool,
    names: Vec<String>,
    series: Vec<ChartSeries>,
}

#[derive(serde::Serialize)]
struct ChartSeries {
    name: &'static str,
    values: Vec<Option<f64>>,
}

fn chart_json(c: &Chart) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

fn type_chart(lang: Lang, l: &DsLabels, s: &DisputeStats) -> Option<String> {
    (!s.by_type.is_empty()).then(|| {
        chart_json(&Chart {
            kind: "hbar",
            percent: false,
            names: s.by_type.iter().map(|c| l.type_name(&c.key)).collect(),
            series: vec![ChartSeries {
                name: lang.t("dsp_count"),
                values: s.by_type.iter().map(|c| Some(c.count as f64)).collect(),
            }],
        })
    })
}

fn status_chart(lang: Lang, l: &DsLabels, s: &DisputeStats) -> Option<String> {
    (!s.by_status.is_empty()).then(|| {
        chart_json(&Chart {
            kind: "pie",
            percent: false,
            names: s.by_status.iter().map(|c| l.status(&c.key).to_string()).collect(),
            series: vec![ChartSeries {
                name: lang.t("dsp_count"),
                values: s.by_status.iter().map(|c| Some(c.count as f64)).collect(),
            }],
        })
    })
}

/// Every month from `from` to `to` as `YYYY-MM` (at most ten years).
fn months(from: chrono::NaiveDate, to: chrono::NaiveDate) -> Vec<String> {
    use chrono::Datelike;
    let (mut y, mut m) = (from.year(), from.month());
    let mut out = Vec::new();
    while (y, m) <= (to.year(), to.month()) && out.len() < 120 {
        out.push(format!("{y:04}-{m:02}"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// Registered and resolved per month over the whole period asked for: the app lists only months with
/// disputes, and a line through a quiet month must touch zero rather than skip it.
fn trend_chart(lang: Lang, s: &DisputeStats, period: &[String]) -> Option<String> {
    if s.trend.is_empty() {
        return None;
    }
    let mut names: Vec<String> = period.to_vec();
    for m in &s.trend {
        if !names.contains(&m.month) {
            names.push(m.month.clone());
        }
    }
    names.sort();
    let at = |f: &dyn Fn(&wangge_app::disputes::MonthTrend) -> i64| -> Vec<Option<f64>> {
        names.iter().map(|n| Some(s.trend.iter().find(|m| &m.month == n).map(f).unwrap_or(0) as f64)).collect()
    };
    Some(chart_json(&Chart {
        kind: "line",
        percent: false,
        series: vec![
            ChartSeries { name: lang.t("dsp_registered_count"), values: at(&|m| m.registered) },
            ChartSeries { name: lang.t("dsp_resolved_count"), values: at(&|m| m.resolved) },
        ],
        names,
    }))
}

#[derive(Template)]
#[template(path = "dispute_stats.html")]
struct StatsPage {
    lang: Lang,
    user: Option<UserBar>,
    l: DsLabels,
    f: DsForm,
    s: Option<DisputeStats>,
    regions: Vec<(String, String)>,
    error: Option<String>,
    chart_types: Option<String>,
    chart_statuses: Option<String>,
    chart_trend: Option<String>,
}

impl StatsPage {
    fn mean_days(&self, v: &Option<f64>) -> String {
        match v {
            Some(d) => format!("{d:.1}"),
            None => "—".into(),
        }
    }
}

pub async fn stats(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).map(str::trim).filter(|s| !s.is_empty());
    let (s, error, status) = match app.dispute_stats(&pa.actor, get("region"), get("from"), get("to")).await {
        Ok(s) => (Some(s), None, StatusCode::OK),
        Err(e) if e.kind == ErrorKind::InvalidInput => (None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST),
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let l = DsLabels::load(&app, &pa, lang).await;
    // The period as the app counts it (default: the twelve months up to today), for the trend's axis.
    let day = |k: &str| get(k).and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let to = day("to")
        .unwrap_or_else(|| chrono::Utc::now().with_timezone(&wangge_domain::event::calendar::cst()).date_naive());
    let period = months(day("from").unwrap_or(to - chrono::Duration::days(364)), to);
    let (chart_types, chart_statuses, chart_trend) = match &s {
        Some(s) => (type_chart(lang, &l, s), status_chart(lang, &l, s), trend_chart(lang, s, &period)),
        None => (None, None, None),
    };
    let page = StatsPage {
        regions: region_options(&app, &pa).await,
        lang,
        user: pa.bar(),
        l,
        f: FormState::new(q),
        s,
        error,
        chart_types,
        chart_statuses,
        chart_trend,
    };
    render(status, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_errors_point_at_the_block_typed_in() {
        let e = AppError::field("parties[2].phone", "手机号无效 / bad phone");
        let e = remap_party_error(e, &[0, 1, 3]);
        assert_eq!(e.field_name(), Some("parties[3].phone"));
        assert_eq!(e.message, "parties[3].phone: 手机号无效 / bad phone");
        let e = remap_party_error(AppError::field("parties", "至少… / at least"), &[0, 1]);
        assert_eq!(e.field_name(), Some("parties"));
    }

    #[test]
    fn the_agreement_splits_into_terms_and_performance() {
        let joined = format!("一、甲方赔偿乙方 500 元。{PERFORMANCE_MARK}当场现金支付。");
        assert_eq!(split_agreement(&joined), ("一、甲方赔偿乙方 500 元。".into(), "当场现金支付。".into()));
        assert_eq!(split_agreement("双方和解。"), ("双方和解。".into(), String::new()));
    }

    #[test]
    fn document_numbers_and_dates_read_as_printed() {
        assert_eq!(short_name("清河街道"), "清河");
        assert_eq!(short_name("文新社区"), "文新");
        assert_eq!(short_name("清河区"), "清河");
        assert_eq!(short_name("区"), "区");
        assert_eq!(chinese_date("2026-03-05T10:00:00+08:00"), "2026年3月5日");
    }

    #[test]
    fn the_trend_runs_over_every_month_of_the_period() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(months(d("2025-11-30"), d("2026-02-01")), vec!["2025-11", "2025-12", "2026-01", "2026-02"]);
        assert!(months(d("2026-02-01"), d("2025-11-30")).is_empty());
        let s = DisputeStats {
            total: 1,
            risk_flagged: 0,
            success_rate: None,
            fulfilment_rate: None,
            mean_days_to_resolution: None,
            by_status: vec![],
            by_type: vec![],
            by_grid: vec![],
            trend: vec![wangge_app::disputes::MonthTrend { month: "2026-01".into(), registered: 2, resolved: 1 }],
        };
        let v: serde_json::Value =
            serde_json::from_str(&trend_chart(Lang::Zh, &s, &months(d("2025-12-01"), d("2026-02-01"))).unwrap())
                .unwrap();
        assert_eq!(v["names"], serde_json::json!(["2025-12", "2026-01", "2026-02"]));
        assert_eq!(v["series"][0]["values"], serde_json::json!([0.0, 2.0, 0.0]));
        assert_eq!(v["series"][1]["name"], "化解结案");
    }

    #[test]
    fn days_left_round_up_and_count_overdue_days() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T12:00:00+08:00").unwrap();
        assert_eq!(days_left("2026-11-25T13:00:00+08:00", now), Some(1));
        assert_eq!(days_left("2026-12-25T12:00:00+08:00", now), Some(30));
        assert_eq!(days_left("2026-11-24T12:00:00+08:00", now), Some(-1));
        assert_eq!(days_left("garbage", now), None);
    }
}
