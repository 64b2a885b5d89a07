//! 事件规则 for admins and the district centre: categories with their stage time limits, routing rules and the
//! working calendar, on one page. A rejected form comes back as typed with its error above it.

use super::{CsrfForm, PageActor, UserBar, error_page, form_error, render};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value};
use std::collections::HashMap;
use wangge_app::event_rules::{CalendarDayInput, CalendarView, CategoryInput, RuleInput, RuleView};
use wangge_app::events::Category;
use wangge_app::{AppError, ErrorKind};
use wangge_domain::event::Triage;

pub const STAGES: [&str; 6] = ["accept", "register", "dispatch", "handle", "verify", "close"];

pub struct Triages;
impl Triages {
    pub fn all(&self) -> Vec<(&'static str, &'static str)> {
        Triage::ALL.iter().map(|t| (t.as_str(), t.label_zh())).collect()
    }
}

#[derive(Template)]
#[template(path = "event_rules.html")]
struct RulesPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    categories: Vec<Category>,
    rules: Vec<RuleView>,
    calendar: CalendarView,
    departments: Vec<(String, String)>,
    triages: Vec<(&'static str, &'static str)>,
    /// The category form's values (editing one, or as typed after an error).
    form: HashMap<String, String>,
    /// Which form failed ("category", "rule", "day", "periods") and why.
    error: Option<(String, String)>,
    saved: bool,
}

impl RulesPage {
    fn value(&self, key: &str) -> &str {
        self.form.get(key).map(String::as_str).unwrap_or("")
    }
    fn error_for(&self, section: &str) -> Option<&str> {
        self.error.as_ref().filter(|(s, _)| s == section).map(|(_, m)| m.as_str())
    }
    fn limit(&self, c: &Category, stage: &str) -> String {
        c.limits.get(stage).and_then(Value::as_str).unwrap_or("").to_string()
    }
    fn dept_name(&self, code: &str) -> String {
        self.departments.iter().find(|(c, _)| c == code).map(|(_, n)| n.clone()).unwrap_or_else(|| code.to_string())
    }
    fn triage_label(&self, code: &str) -> &'static str {
        Triage::parse(code).map(|t| t.label_zh()).unwrap_or("")
    }
}

async fn view(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    form: HashMap<String, String>,
    error: Option<(String, String)>,
    saved: bool,
) -> Response {
    let load = async {
        let categories = app.all_categories(&pa.actor).await?;
        let rules = app.routing_rules(&pa.actor).await?;
        let calendar = app.calendar(&pa.actor).await?;
        let departments = app.store.departments().await?.into_iter().map(|(c, n, _)| (c, n)).collect();
        Ok::<_, AppError>((categories, rules, calendar, departments))
    };
    match load.await {
        Ok((categories, rules, calendar, departments)) => {
            let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
            let page = RulesPage {
                lang,
                user: pa.bar(),
                csrf: pa.csrf.clone(),
                categories,
                rules,
                calendar,
                departments,
                triages: Triages.all(),
                form,
                error,
                saved,
            };
            render(status, &page)
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

pub async fn page(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut form = HashMap::new();
    if let Some(code) = q.get("edit")
        && let Ok(cats) = app.all_categories(&pa.actor).await
        && let Some(c) = cats.iter().find(|c| &c.code == code)
    {
        {
            form.insert("code".into(), c.code.clone());
            form.insert("name".into(), c.name.clone());
            form.insert("name_en".into(), c.name_en.clone());
            form.insert("department_code".into(), c.department_code.clone());
            form.insert("triage".into(), c.triage.clone());
            for s in STAGES {
                form.insert(format!("limit_{s}"), c.limits.get(s).and_then(Value::as_str).unwrap_or("").to_string());
            }
        }
    }
    view(&app, lang, &pa, form, None, q.contains_key("saved")).await
}

fn failed(e: &AppError) -> bool {
    matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::NotFound | ErrorKind::RuleViolated)
}

async fn outcome(app: &AppState, lang: Lang, f: &CsrfForm, section: &str, r: Result<(), AppError>) -> Response {
    match r {
        Ok(()) => Redirect::to("/admin/event-rules?saved=1").into_response(),
        Err(e) if failed(&e) => {
            view(app, lang, &f.pa, f.fields.clone(), Some((section.into(), form_error(lang, &e))), false).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

pub async fn save_category(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let code = f.get("code");
    // The extra fields are kept as they are: this form edits names, routing defaults and limits.
    let fields = app
        .all_categories(&f.pa.actor)
        .await
        .ok()
        .and_then(|cs| cs.into_iter().find(|c| c.code == code.trim()).map(|c| c.fields))
        .unwrap_or_default();
    let limits: Map<String, Value> = STAGES
        .iter()
        .filter_map(|s| {
            let v = f.get(&format!("limit_{s}"));
            (!v.trim().is_empty()).then(|| (s.to_string(), Value::from(v.trim())))
        })
        .collect();
    let input = CategoryInput {
        name: f.get("name"),
        name_en: f.get("name_en"),
        department_code: f.get("department_code"),
        triage: f.get("triage"),
        limits,
        fields,
        active: f.get("inactive").is_empty(),
    };
    let r = app.put_category(&f.pa.actor, &code, input).await.map(|_| ());
    outcome(&app, lang, &f, "category", r).await
}

pub async fn add_rule(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let input = RuleInput {
        category_prefix: f.get("category_prefix"),
        region_prefix: f.get("region_prefix"),
        departments: f.get("departments").split([',', '，', '、', ' ']).map(str::to_string).collect(),
        triage: f.get("triage"),
    };
    let r = app.add_routing_rule(&f.pa.actor, input).await.map(|_| ());
    outcome(&app, lang, &f, "rule", r).await
}

pub async fn delete_rule(State(app): State<AppState>, lang: Lang, Path(id): Path<i64>, f: CsrfForm) -> Response {
    let r = app.delete_routing_rule(&f.pa.actor, id).await;
    outcome(&app, lang, &f, "rule", r).await
}

pub async fn put_day(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let kind = f.get("kind");
    let input = CalendarDayInput { kind: (!kind.is_empty()).then_some(kind), note: f.get("note") };
    let r = app.put_calendar_day(&f.pa.actor, &f.get("day"), input).await.map(|_| ());
    outcome(&app, lang, &f, "day", r).await
}

pub async fn put_periods(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let r = app.set_work_periods(&f.pa.actor, &f.get("periods")).await.map(|_| ());
    outcome(&app, lang, &f, "periods", r).await
}
