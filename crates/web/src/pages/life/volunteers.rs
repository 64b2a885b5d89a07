//! 志愿服务 pages: volunteers (register, teams), one volunteer with the 时间银行 (every line), redeeming and 星级
//! awards; activities (announce, list) and one activity with sign-up and the organiser's check-in and check-out.

use super::{
    Forms, LifeNav, Refused, at_person_box, done_notice, filter_choices, find_person, is_page_error, region_choices,
    short_time,
};
use crate::AppState;
use crate::i18n::Lang;
use crate::pages::events::{FormState, parse_record_id, status_of};
use crate::pages::{CsrfForm, PageActor, UserBar, error_page, form_error, render, urlencode};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;
use std::collections::HashMap;
use wangge_app::life::volunteers::{
    ActivityDetail, ActivityQuery, ActivityView, AwardInput, NewActivityInput, NewVolunteerInput,
    NewVolunteerTeamInput, RedeemInput, SignupActionInput, SignupInput, VolunteerDetail, VolunteerQuery,
    VolunteerTeamView, VolunteerView,
};
use wangge_app::{AppError, ErrorKind};
use wangge_domain::life::{SignupStatus, hours_text};
use wangge_domain::role::Permission;

fn stars(n: &i64) -> String {
    "★".repeat((*n).clamp(0, 10) as usize)
}

// ───────────────────────────── volunteers ─────────────────────────────

#[derive(Template)]
#[template(path = "life_volunteers.html")]
struct ListPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    csrf: String,
    q: FormState,
    rows: Vec<VolunteerView>,
    total: i64,
    next: Option<String>,
    error: Option<String>,
    regions: Vec<(String, String)>,
    communities: Vec<(String, String)>,
    teams: Vec<VolunteerTeamView>,
    keeps: bool,
    /// The register or team form, as typed when refused.
    forms: Forms,
}

impl ListPage {
    fn stars(&self, n: &i64) -> String {
        stars(n)
    }
    fn star_options(&self) -> Vec<(String, String)> {
        (1..=5).map(|n| (n.to_string(), format!("{n}{}", self.lang.t("lf_star_suffix")))).collect()
    }
    fn ferr(&self, form: &str, key: &str) -> Option<&str> {
        if self.forms.failed == form { self.forms.f.err(key) } else { None }
    }
    fn region_selected(&self, form: &str, code: &str) -> bool {
        let typed = self.forms.v(form, "region_code");
        if typed.is_empty() { self.communities.first().is_some_and(|c| c.0 == code) } else { typed == code }
    }
}

async fn list_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    q: HashMap<String, String>,
    refused: Option<Refused>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).map(str::trim).filter(|s| !s.is_empty());
    let star = get("star").and_then(|s| s.parse().ok());
    let query = VolunteerQuery {
        region: get("region"),
        q: get("q"),
        skill: get("skill"),
        team: get("team").and_then(|s| s.parse().ok()),
        star,
        cursor: get("cursor"),
        limit: Some(50),
    };
    let (rows, total, next, error, mut code) = match app.list_volunteers(&pa.actor, query).await {
        Ok(p) => {
            let next = p.next_cursor.map(|c| {
                let mut s = form_urlencoded::Serializer::new(String::new());
                for (k, v) in q.iter().filter(|(k, _)| *k != "cursor") {
                    s.append_pair(k, v);
                }
                s.append_pair("cursor", &c);
                format!("/life/volunteers?{}", s.finish())
            });
            (p.items, p.total, next, None, StatusCode::OK)
        }
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            (vec![], 0, None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST)
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let teams = app.list_volunteer_teams(&pa.actor, get("region")).await.map(|p| p.items).unwrap_or_default();
    let (forms, status) = Forms::from(refused);
    if status != StatusCode::OK {
        code = status;
    }
    let page = ListPage {
        regions: filter_choices(app, pa).await,
        communities: region_choices(app, pa, Permission::ManageCommunityLife, false).await,
        keeps: pa.actor.may_somewhere(Permission::ManageCommunityLife),
        lang,
        user: pa.bar(),
        nav: LifeNav { tab: "volunteers" },
        csrf: pa.csrf.clone(),
        q: FormState::new(q),
        rows,
        total,
        next,
        error,
        teams,
        forms,
    };
    render(code, &page)
}

pub async fn list(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    list_page(&app, lang, &pa, q, None).await
}

fn skills(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ' ', ';', '；']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
}

pub async fn register(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let result = match find_person(&app, &f.pa, "person_id", &f.get("person")).await {
        Ok(person_id) => {
            let input = NewVolunteerInput {
                region_code: f.get("region_code"),
                person_id,
                username: Some(f.get("username")).filter(|u| !u.trim().is_empty()),
                skills: skills(&f.get("skills")),
                availability: f.get("availability"),
            };
            app.register_volunteer(&f.pa.actor, input).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => Redirect::to(&format!("/life/volunteers/{}?registered=1", v.volunteer.id)).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::Internal) => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let e = at_person_box(e);
            list_page(&app, lang, &f.pa, HashMap::new(), Some(Refused::new("register", &f.fields, lang, &e))).await
        }
    }
}

pub async fn add_team(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let member_ids: Vec<i64> = f
        .fields
        .iter()
        .filter(|(k, v)| k.starts_with("v_") && !v.is_empty())
        .filter_map(|(k, _)| k[2..].parse().ok())
        .collect();
    let input = NewVolunteerTeamInput {
        region_code: f.get("region_code"),
        name: f.get("name"),
        description: f.get("description"),
        leader_id: f.get("leader_id").trim().parse().ok(),
        member_ids,
    };
    match app.add_volunteer_team(&f.pa.actor, input).await {
        Ok(_) => Redirect::to("/life/volunteers#teams").into_response(),
        Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::Internal) => error_page(lang, f.pa.bar(), &e),
        Err(e) => list_page(&app, lang, &f.pa, HashMap::new(), Some(Refused::new("team", &f.fields, lang, &e))).await,
    }
}

#[derive(Template)]
#[template(path = "life_volunteer.html")]
struct VolunteerPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    csrf: String,
    d: VolunteerDetail,
    forms: Forms,
    notice: Option<String>,
}

impl VolunteerPage {
    fn stars(&self, n: &i64) -> String {
        stars(n)
    }
    fn time(&self, s: &str) -> String {
        short_time(s)
    }
    fn hours(&self, m: &i64) -> String {
        let sign = if *m > 0 { "+" } else { "" };
        format!("{sign}{}", hours_text(*m))
    }
    fn plain_hours(&self, m: &i64) -> String {
        hours_text(*m)
    }
    fn kind(&self, k: &str) -> &'static str {
        if k == "earn" { self.lang.t("lf_earned") } else { self.lang.t("lf_redeemed") }
    }
    fn signup_status(&self, s: &str) -> &'static str {
        signup_label(self.lang, s)
    }
    /// Star levels the hours reach and not yet awarded.
    fn awardable(&self) -> Vec<i64> {
        let v = &self.d.volunteer;
        ((v.awarded_level + 1)..=v.star_level).collect()
    }
    fn next_threshold(&self) -> Option<i64> {
        self.d.star_thresholds.get(self.d.volunteer.star_level as usize).copied()
    }
}

pub fn signup_label(lang: Lang, s: &str) -> &'static str {
    SignupStatus::parse("status", s).map(|x| if lang == Lang::Zh { x.label_zh() } else { x.label_en() }).unwrap_or("")
}

async fn volunteer_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    refused: Option<Refused>,
    notice: Option<String>,
) -> Response {
    let d = match app.volunteer_detail(&pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let (forms, status) = Forms::from(refused);
    render(
        status,
        &VolunteerPage {
            lang,
            user: pa.bar(),
            nav: LifeNav { tab: "volunteers" },
            csrf: pa.csrf.clone(),
            d,
            forms,
            notice,
        },
    )
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
        Some(lang.t("lf_volunteer_registered").to_string())
    } else {
        q.contains_key("done").then(|| lang.t("lf_done_saved").to_string())
    };
    volunteer_page(&app, lang, &pa, id, None, notice).await
}

pub async fn act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let form = f.get("form");
    let result = match form.as_str() {
        "redeem" => {
            let input = RedeemInput { hours: Value::String(f.get("hours")), service: f.get("service") };
            app.redeem_hours(&f.pa.actor, id, input).await
        }
        "award" => match f.get("level").trim().parse::<i64>() {
            Ok(level) => app.award_volunteer(&f.pa.actor, id, AwardInput { level, note: f.get("note") }).await,
            Err(_) => Err(AppError::field("level", "请选择星级 / choose a level")),
        },
        _ => Err(AppError::field("form", "未知操作 / unknown step")),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/life/volunteers/{id}?done={}", urlencode(&form))).into_response(),
        Err(e) if is_page_error(&e) => error_page(lang, f.pa.bar(), &e),
        Err(e) => volunteer_page(&app, lang, &f.pa, id, Some(Refused::new(&form, &f.fields, lang, &e)), None).await,
    }
}

// ───────────────────────────── activities ─────────────────────────────

#[derive(Template)]
#[template(path = "life_activities.html")]
struct ActivitiesPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    csrf: String,
    rows: Vec<ActivityView>,
    total: i64,
    next: Option<String>,
    view: String,
    region: String,
    regions: Vec<(String, String)>,
    communities: Vec<(String, String)>,
    teams: Vec<VolunteerTeamView>,
    keeps: bool,
    f: FormState,
    refused: bool,
}

impl ActivitiesPage {
    fn time(&self, s: &str) -> String {
        short_time(s)
    }
    fn general(&self) -> Option<&str> {
        if !self.refused {
            return None;
        }
        self.f.general(&["region_code", "team_id", "title", "needs", "place", "starts_at", "ends_at", "capacity"])
    }
    fn region_selected(&self, code: &str) -> bool {
        let typed = self.f.v("region_code");
        if typed.is_empty() { self.communities.first().is_some_and(|c| c.0 == code) } else { typed == code }
    }
    fn capacity_value(&self) -> String {
        let typed = self.f.v("capacity");
        if typed.is_empty() && !self.refused { "20".into() } else { typed.to_string() }
    }
}

async fn activities_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    q: HashMap<String, String>,
    refused: Option<(FormState, StatusCode)>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).map(str::trim).filter(|s| !s.is_empty());
    let view = get("view").unwrap_or("upcoming").to_string();
    let query = ActivityQuery { region: get("region"), view: Some(&view), cursor: get("cursor"), limit: Some(50) };
    let page = match app.list_activities(&pa.actor, query).await {
        Ok(p) => p,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let next = page.next_cursor.map(|c| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("view", &view).append_pair("region", get("region").unwrap_or("")).append_pair("cursor", &c);
        format!("/life/activities?{}", s.finish())
    });
    let teams = app.list_volunteer_teams(&pa.actor, None).await.map(|p| p.items).unwrap_or_default();
    let (f, status, refused) = match refused {
        Some((f, s)) => (f, s, true),
        None => (FormState::default(), StatusCode::OK, false),
    };
    let p = ActivitiesPage {
        regions: filter_choices(app, pa).await,
        communities: region_choices(app, pa, Permission::ManageCommunityLife, false).await,
        keeps: pa.actor.may_somewhere(Permission::ManageCommunityLife),
        region: get("region").unwrap_or("").to_string(),
        lang,
        user: pa.bar(),
        nav: LifeNav { tab: "activities" },
        csrf: pa.csrf.clone(),
        rows: page.items,
        total: page.total,
        next,
        view,
        teams,
        f,
        refused,
    };
    render(status, &p)
}

pub async fn activities(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    activities_page(&app, lang, &pa, q, None).await
}

pub async fn add_activity(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let capacity = f.get("capacity").trim().parse::<i64>();
    let result = match capacity {
        Ok(capacity) => {
            let input = NewActivityInput {
                region_code: f.get("region_code"),
                team_id: f.get("team_id").trim().parse().ok(),
                title: f.get("title"),
                needs: f.get("needs"),
                place: f.get("place"),
                starts_at: f.get("starts_at"),
                ends_at: f.get("ends_at"),
                capacity,
                public: Some(!f.get("public").is_empty()),
            };
            app.add_activity(&f.pa.actor, input).await
        }
        Err(_) => Err(AppError::field("capacity", "名额应为整数 / capacity must be a whole number")),
    };
    match result {
        Ok(a) => Redirect::to(&format!("/life/activities/{}?done=created", a.activity.id)).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::Internal) => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let state = FormState::failed_at_path(f.fields.clone(), lang, &e);
            activities_page(&app, lang, &f.pa, HashMap::new(), Some((state, status_of(&e)))).await
        }
    }
}

#[derive(Template)]
#[template(path = "life_activity.html")]
struct ActivityPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    csrf: String,
    d: ActivityDetail,
    /// The community's volunteers not yet signed up (for the sign-up form).
    candidates: Vec<VolunteerView>,
    /// The caller's own volunteer record here, when they may sign themselves up.
    own: Option<VolunteerView>,
    forms: Forms,
    notice: Option<String>,
}

impl ActivityPage {
    fn time(&self, s: &str) -> String {
        short_time(s)
    }
    fn signup_status(&self, s: &str) -> &'static str {
        signup_label(self.lang, s)
    }
    fn planned_hours(&self) -> String {
        hours_text(self.d.planned_minutes)
    }
    /// The hours field of a check-out form: what was typed when refused, else the planned length.
    fn out_hours(&self, sid: &i64) -> String {
        let form = format!("check_out-{sid}");
        if self.forms.failed == form { self.forms.v(&form, "hours").to_string() } else { self.planned_hours() }
    }
    fn row_error(&self, sid: &i64) -> Option<&str> {
        ["check_in", "check_out", "cancel"].iter().find_map(|s| self.forms.err(&format!("{s}-{sid}")))
    }
}

async fn activity_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    refused: Option<Refused>,
    notice: Option<String>,
) -> Response {
    let d = match app.activity_detail(&pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let taken: Vec<i64> = d.signups.iter().filter(|s| s.status != "cancelled").map(|s| s.volunteer_id).collect();
    let mut candidates = Vec::new();
    let mut own = None;
    if d.may_keep {
        let q = VolunteerQuery { region: Some(&d.activity.region_code), limit: Some(500), ..Default::default() };
        candidates = app.list_volunteers(&pa.actor, q).await.map(|p| p.items).unwrap_or_default();
        candidates.retain(|v| !taken.contains(&v.id) && v.status == "active");
    } else {
        let q = VolunteerQuery { region: None, limit: Some(500), ..Default::default() };
        own = app
            .list_volunteers(&pa.actor, q)
            .await
            .map(|p| p.items)
            .unwrap_or_default()
            .into_iter()
            .find(|v| v.username.as_deref() == Some(pa.actor.username.as_str()) && !taken.contains(&v.id));
    }
    let (forms, status) = Forms::from(refused);
    let page = ActivityPage {
        lang,
        user: pa.bar(),
        nav: LifeNav { tab: "activities" },
        csrf: pa.csrf.clone(),
        d,
        candidates,
        own,
        forms,
        notice,
    };
    render(status, &page)
}

pub async fn activity(
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
    activity_page(&app, lang, &pa, id, None, done_notice(lang, &q)).await
}

/// Sign-up (`form=signup`) or a step on one sign-up (`form=check_in-<id>`, `check_out-<id>`, `cancel-<id>`).
pub async fn activity_act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let form = f.get("form");
    let version = f.get("version").trim().parse::<i64>().ok();
    let result = match form.split_once('-') {
        None if form == "signup" => match f.get("volunteer_id").trim().parse::<i64>() {
            Ok(v) => app.sign_up_volunteer(&f.pa.actor, id, SignupInput { volunteer_id: v }).await,
            Err(_) => Err(AppError::field("volunteer_id", "请选择志愿者 / choose a volunteer")),
        },
        Some((step @ ("check_in" | "check_out" | "cancel"), sid)) => match sid.parse::<i64>() {
            Ok(sid) => {
                let hours = (step == "check_out").then(|| Value::String(f.get("hours")));
                app.act_on_signup(&f.pa.actor, id, sid, step, SignupActionInput { hours, version }).await
            }
            Err(_) => Err(AppError::not_found("sign-up")),
        },
        _ => Err(AppError::field("form", "未知操作 / unknown step")),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/life/activities/{id}?done={}#signups", urlencode(&form))).into_response(),
        Err(e) if is_page_error(&e) => error_page(lang, f.pa.bar(), &e),
        Err(e) => activity_page(&app, lang, &f.pa, id, Some(Refused::new(&form, &f.fields, lang, &e)), None).await,
    }
}
