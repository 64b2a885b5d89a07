//! 社区共建 (community life, issue #9) in the browser, under one menu entry with its own sub-navigation: the
//! overview (`/life`), 议事会议 (`/life/meetings`), 志愿服务 (`/life/volunteers`, `/life/activities`), 共建单位 and
//! 共建日 (`/life/co-building`), 社会组织 (`/life/social-orgs`) and 党建引领 (`/life/party`). Pages parse forms, call
//! one app function and show the answer; a refused form comes back as typed with the reason at its field.

pub mod co_building;
pub mod meetings;
pub mod party;
pub mod volunteers;

use super::events::FormState;
use super::{PageActor, UserBar, error_page, render};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use std::collections::HashMap;
use wangge_app::life::LifeOverview;
use wangge_app::{AppError, ErrorKind};
use wangge_domain::region::RegionLevel;
use wangge_domain::role::Permission;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/life", get(overview))
        .route("/life/meetings", get(meetings::list))
        .route("/life/meetings/new", get(meetings::new_meeting).post(meetings::create))
        .route("/life/meetings/{id}", get(meetings::show))
        .route("/life/meetings/{id}/act", post(meetings::act))
        .route("/life/volunteers", get(volunteers::list).post(volunteers::register))
        .route("/life/volunteers/teams", post(volunteers::add_team))
        .route("/life/volunteers/{id}", get(volunteers::show))
        .route("/life/volunteers/{id}/act", post(volunteers::act))
        .route("/life/activities", get(volunteers::activities).post(volunteers::add_activity))
        .route("/life/activities/{id}", get(volunteers::activity))
        .route("/life/activities/{id}/act", post(volunteers::activity_act))
        .route("/life/co-building", get(co_building::list))
        .route("/life/co-building/units", post(co_building::add_unit))
        .route("/life/co-building/days", post(co_building::add_day))
        .route("/life/co-building/units/{id}", get(co_building::unit))
        .route("/life/co-building/units/{id}/act", post(co_building::unit_act))
        .route("/life/social-orgs", get(co_building::social_orgs))
        .route("/life/social-orgs/{id}", get(co_building::social_org))
        .route("/life/social-orgs/{id}/act", post(co_building::social_org_act))
        .route("/life/party", get(party::list).post(party::add_org))
        .route("/life/party/orgs/{id}", get(party::org))
        .route("/life/party/orgs/{id}/act", post(party::org_act))
        .route("/life/party/members/{id}", get(party::member))
        .route("/life/party/members/{id}/act", post(party::member_act))
        .route("/life/party/activities/{id}", get(party::activity))
        .route("/life/party/activities/{id}/act", post(party::activity_act))
}

/// The sub-navigation's tabs: (key, href, label key).
const TABS: &[(&str, &str, &str)] = &[
    ("overview", "/life", "lf_overview"),
    ("meetings", "/life/meetings", "lf_meetings"),
    ("volunteers", "/life/volunteers", "lf_volunteers"),
    ("activities", "/life/activities", "lf_activities"),
    ("co_building", "/life/co-building", "lf_co_building"),
    ("social_orgs", "/life/social-orgs", "lf_social_orgs"),
    ("party", "/life/party", "lf_party"),
];

/// The sub-navigation a page shows, with its own tab marked.
pub struct LifeNav {
    pub tab: &'static str,
}

pub struct Tab {
    pub key: &'static str,
    pub href: &'static str,
    pub label: &'static str,
    pub on: bool,
}

impl LifeNav {
    pub fn tabs(&self, lang: &Lang) -> Vec<Tab> {
        TABS.iter().map(|&(key, href, label)| Tab { key, href, label: lang.t(label), on: key == self.tab }).collect()
    }
}

/// "2026-12-01T19:00:00+08:00" → "2026-12-01 19:00" (times are China time already).
pub fn short_time(s: &str) -> String {
    match s.get(..16) {
        Some(t) if s.len() >= 16 => t.replacen('T', " ", 1),
        _ => s.to_string(),
    }
}

/// A ratio 0–1 as a whole percentage.
pub fn percent(v: &Option<f64>) -> String {
    match v {
        Some(r) => format!("{:.0}%", r * 100.0),
        None => "—".into(),
    }
}

/// Communities (and streets when `streets`) the caller may keep records on, for a form's region select.
pub async fn region_choices(app: &AppState, pa: &PageActor, perm: Permission, streets: bool) -> Vec<(String, String)> {
    let tree = app.region_tree(&pa.actor).await.unwrap_or_default();
    tree.into_iter()
        .filter(|r| match r.level {
            RegionLevel::Community => true,
            RegionLevel::Street => streets,
            _ => false,
        })
        .filter(|r| pa.actor.may(perm, &r.code))
        .take(300)
        .map(|r| {
            let indent = if r.level == RegionLevel::Community && streets { "　" } else { "" };
            (r.code, format!("{indent}{}", r.name))
        })
        .collect()
}

/// Streets and communities the caller reads, for a list's filter.
pub async fn filter_choices(app: &AppState, pa: &PageActor) -> Vec<(String, String)> {
    let tree = app.region_tree(&pa.actor).await.unwrap_or_default();
    tree.into_iter()
        .filter(|r| matches!(r.level, RegionLevel::Street | RegionLevel::Community | RegionLevel::District))
        .take(300)
        .map(|r| {
            let indent = match r.level {
                RegionLevel::District => "",
                RegionLevel::Street => "　",
                _ => "　　",
            };
            (r.code, format!("{indent}{}", r.name))
        })
        .collect()
}

/// Labels of this area's form fields (the shared labels name other things: `hours` is an event's postponement).
const FIELD_LABELS: &[(&str, &str)] = &[
    ("topic", "lf_topic"),
    ("place", "lf_place"),
    ("starts_at", "lf_starts_at"),
    ("ends_at", "lf_ends_at"),
    ("kind", "lf_kind"),
    ("region_code", "lf_region"),
    ("minutes", "lf_minutes"),
    ("content", "lf_content"),
    ("owner", "lf_owner"),
    ("due_on", "lf_due_on"),
    ("hours", "lf_hours"),
    ("service", "lf_service"),
    ("level", "lf_star"),
    ("volunteer_id", "lf_volunteer"),
    ("participant_ids", "lf_participants"),
    ("participants", "lf_participants"),
    ("title", "lf_activity_title"),
    ("capacity", "lf_capacity"),
    ("amount", "lf_amount_done"),
    ("target", "lf_target"),
    ("year", "lf_year"),
    ("stage", "lf_stage"),
    ("field", "lf_field"),
    ("person", "lf_member_person"),
    ("served_on", "lf_served_on"),
    ("member_ids", "lf_attendance"),
    ("employer", "lf_employer"),
    ("commitment", "lf_commitment"),
    ("home_org", "lf_home_org"),
    ("joined_on", "lf_joined_on"),
    ("held_at", "lf_held_at"),
    ("held_on", "lf_held_on"),
    ("theme", "lf_theme"),
    ("unit_ids", "lf_units_taking_part"),
    ("contact_phone", "lf_contact_phone"),
    ("paired_on", "lf_paired_on"),
    ("parent_id", "lf_parent_org"),
    ("founded_on", "lf_founded_on"),
    ("secretary", "lf_secretary"),
    ("status", "lf_status"),
    ("skills", "lf_skills"),
    ("availability", "lf_availability"),
];

/// A refusal as this area's forms show it: the field's own label, the page's half of the message.
pub fn life_form_error(lang: Lang, e: &AppError) -> String {
    let Some(field) = e.field_name() else { return super::form_error(lang, e) };
    let last = field.rsplit('.').next().unwrap_or(field);
    let last = last.split('[').next().unwrap_or(last);
    let Some((_, key)) = FIELD_LABELS.iter().find(|(f, _)| *f == last) else { return super::form_error(lang, e) };
    let text = e.message.strip_prefix(field).and_then(|t| t.strip_prefix(": ")).unwrap_or(&e.message);
    let text = super::localize(lang, text);
    match lang {
        Lang::Zh => format!("{}：{text}", lang.t(key)),
        Lang::En => format!("{}: {text}", lang.t(key)),
    }
}

/// A refused form: which form it was, what was typed, and the reason.
pub struct Refused {
    pub form: String,
    pub f: FormState,
    pub labelled: String,
    pub status: StatusCode,
}

impl Refused {
    pub fn new(form: &str, fields: &HashMap<String, String>, lang: Lang, e: &AppError) -> Refused {
        Refused {
            form: form.to_string(),
            f: FormState::failed_at_path(fields.clone(), lang, e),
            labelled: life_form_error(lang, e),
            status: super::events::status_of(e),
        }
    }
}

/// The forms of a detail page: the typed values and reason of the one refused, nothing for the others.
pub struct Forms {
    pub failed: String,
    pub f: FormState,
    labelled: String,
}

impl Forms {
    pub fn from(refused: Option<Refused>) -> (Forms, StatusCode) {
        match refused {
            Some(r) => (Forms { failed: r.form, f: r.f, labelled: r.labelled }, r.status),
            None => (Forms { failed: String::new(), f: FormState::default(), labelled: String::new() }, StatusCode::OK),
        }
    }

    /// A field's typed value, when `form` was the one refused.
    pub fn v(&self, form: &str, key: &str) -> &str {
        if self.failed == form { self.f.v(key) } else { "" }
    }

    /// The reason `form` was refused (with the field's label), shown at the top of that form.
    pub fn err(&self, form: &str) -> Option<&str> {
        if self.failed == form { Some(&self.labelled) } else { None }
    }
}

/// One line of a list typed in a textarea, named by its line when refused (`participants[2].name` → 第3行).
pub fn line_error(lang: Lang, list: &str, e: &AppError) -> String {
    let text = match e.field_name() {
        Some(f) => {
            super::localize(lang, e.message.strip_prefix(f).and_then(|t| t.strip_prefix(": ")).unwrap_or(&e.message))
        }
        None => super::localize(lang, &e.message),
    };
    let line = e
        .field_name()
        .and_then(|f| f.strip_prefix(list))
        .and_then(|f| f.strip_prefix('['))
        .and_then(|f| f.split(']').next())
        .and_then(|i| i.parse::<usize>().ok());
    match (line, lang) {
        (Some(i), Lang::Zh) => format!("第{}行：{text}", i + 1),
        (Some(i), Lang::En) => format!("Line {}: {text}", i + 1),
        (None, _) => text.to_string(),
    }
}

/// The notice after a step's redirect: `?done=created` → 已创建, any other step → 已保存.
pub fn done_notice(lang: Lang, q: &HashMap<String, String>) -> Option<String> {
    q.get("done").map(|d| lang.t(if d == "created" { "lf_done_created" } else { "lf_done_saved" }).to_string())
}

/// A refusal no form can show (the record is gone or out of reach, the role may not, an internal error): the
/// error page instead of the form.
pub fn is_page_error(e: &AppError) -> bool {
    matches!(e.kind, ErrorKind::NotFound | ErrorKind::Internal | ErrorKind::Forbidden) && e.field_name().is_none()
}

/// Forms type a register person into one box (`person`): the app's `person_id` refusals are shown there.
pub fn at_person_box(e: AppError) -> AppError {
    if e.field_name() != Some("person_id") {
        return e;
    }
    let mut x = AppError::field("person", e.message.trim_start_matches("person_id: "));
    x.kind = e.kind;
    x
}

/// A register person named in a form by their id, a full 身份证号 or phone, or a name that finds exactly one.
pub async fn find_person(app: &AppState, pa: &PageActor, field: &str, typed: &str) -> Result<Option<i64>, AppError> {
    let t = typed.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.len() <= 10
        && let Ok(id) = t.parse::<i64>()
    {
        return Ok(Some(id));
    }
    let q = wangge_app::people::PeopleQuery {
        region: None,
        q: Some(t),
        tag: None,
        status: None,
        limit: Some(3),
        cursor: None,
    };
    let found =
        app.list_people(&pa.actor, q).await.map_err(|_| AppError::field(field, "查找居民失败 / search failed"))?;
    match found.items.as_slice() {
        [one] => Ok(Some(one.id)),
        [] => Err(AppError::field(field, "未找到此居民 / no such person in the register")),
        _ => Err(AppError::field(field, "找到多人，请输入身份证号 / several match; type the 身份证号")),
    }
}

#[derive(Template)]
#[template(path = "life.html")]
struct OverviewPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    o: LifeOverview,
    keeps: bool,
}

async fn overview(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    match app.life_overview(&pa.actor).await {
        Ok(o) => render(
            StatusCode::OK,
            &OverviewPage {
                lang,
                user: pa.bar(),
                nav: LifeNav { tab: "overview" },
                o,
                keeps: pa.actor.may_somewhere(Permission::ManageCommunityLife),
            },
        ),
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_lines() {
        assert_eq!(short_time("2026-12-01T19:00:00+08:00"), "2026-12-01 19:00");
        assert_eq!(percent(&Some(0.255)), "26%");
        let e = AppError::field("participants[2].name", "必填 / required");
        assert_eq!(line_error(Lang::Zh, "participants", &e), "第3行：必填");
        let e = AppError::field("hours", "时长应为正数 / hours as a positive number");
        assert_eq!(life_form_error(Lang::Zh, &e), "时长（小时）：时长应为正数");
        assert_eq!(life_form_error(Lang::En, &e), "Hours: hours as a positive number");
    }
}
