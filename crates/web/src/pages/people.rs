//! The register in the browser: find a person (name, 拼音, initials, address, or a full 身份证号/phone), open
//! them, their household, house and building one click each. Personal numbers stay masked until the user
//! asks to see one with a reason, which is audited.

use super::{CsrfForm, PageActor, UserBar, error_page, form_error, render, urlencode};
use crate::AppState;
use crate::i18n::{Lang, group_digits};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use wangge_app::people::{
    BuildingView, HouseholdView, NewPersonInput, PeopleQuery, PersonDetail, PersonEventInput, PersonView, RevealInput,
    Revealed,
};
use wangge_app::tags::TagKind;
use wangge_domain::register::{HouseUsage, PersonEventKind, PopulationType, ResidenceStatus};

/// Labels in the page's language for the register's codes.
pub struct Labels {
    lang: Lang,
    tags: HashMap<String, (String, String, bool)>,
}

impl Labels {
    pub(crate) async fn load(app: &AppState, pa: &PageActor, lang: Lang) -> Labels {
        let kinds: Vec<TagKind> = app.tag_kinds(&pa.actor).await.unwrap_or_default();
        Labels { lang, tags: kinds.into_iter().map(|k| (k.code, (k.name, k.name_en, k.sensitive))).collect() }
    }

    fn pick(&self, zh: &'static str, en: &'static str) -> &'static str {
        if self.lang == Lang::Zh { zh } else { en }
    }

    pub fn gender(&self, code: &str) -> &'static str {
        match code {
            "male" => self.pick("男", "Male"),
            "female" => self.pick("女", "Female"),
            _ => "",
        }
    }

    pub fn population(&self, code: &str) -> &'static str {
        PopulationType::parse("", code).map(|p| self.pick(p.label_zh(), p.label_en())).unwrap_or("")
    }

    pub fn status(&self, code: &str) -> &'static str {
        ResidenceStatus::parse("", code).map(|p| self.pick(p.label_zh(), p.label_en())).unwrap_or("")
    }

    pub fn usage(&self, code: &str) -> &'static str {
        HouseUsage::parse("", code).map(|p| self.pick(p.label_zh(), p.label_en())).unwrap_or("")
    }

    pub fn event(&self, code: &str) -> String {
        match PersonEventKind::parse("", code) {
            Ok(k) => self.pick(k.label_zh(), k.label_en()).to_string(),
            Err(_) => code.to_string(),
        }
    }

    /// "2026-11-25T18:33:52+08:00" as Chinese users read times: "2026-11-25 18:33" (Beijing time).
    pub fn time(&self, rfc3339: &str) -> String {
        rfc3339.get(..16).map(|t| t.replace('T', " ")).unwrap_or_else(|| rfc3339.to_string())
    }

    pub fn tag(&self, code: &str) -> String {
        match self.tags.get(code) {
            Some((zh, en, _)) => {
                if self.lang == Lang::Zh {
                    zh.clone()
                } else {
                    en.clone()
                }
            }
            None => code.to_string(),
        }
    }

    /// Sensitive groups are marked so nobody reads them aloud at a front desk by mistake.
    pub fn tag_class(&self, code: &str) -> &'static str {
        match self.tags.get(code) {
            Some((_, _, true)) => "tag sensitive",
            _ => "tag",
        }
    }

    pub fn tag_options(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self.tags.keys().map(|c| (c.clone(), self.tag(c))).collect();
        v.sort();
        v
    }
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    lang: Lang,
    user: Option<UserBar>,
    l: Labels,
    q: String,
    tag: String,
    region: String,
    people: Vec<PersonView>,
    total: String,
    next: Option<String>,
    error: Option<String>,
}

pub async fn list(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| p.get(k).cloned().unwrap_or_default();
    let (q, tag, region, cursor) = (get("q"), get("tag"), get("region"), get("cursor"));
    let l = Labels::load(&app, &pa, lang).await;
    let query = PeopleQuery {
        region: Some(region.as_str()).filter(|s| !s.is_empty()),
        q: Some(q.as_str()).filter(|s| !s.trim().is_empty()),
        tag: Some(tag.as_str()).filter(|s| !s.is_empty()),
        status: None,
        limit: Some(50),
        cursor: Some(cursor.as_str()).filter(|s| !s.is_empty()),
    };
    let (people, total, next, error, status) = match app.list_people(&pa.actor, query).await {
        Ok(page) => {
            let next = page.next_cursor.map(|c| {
                format!(
                    "/people?q={}&tag={}&region={}&cursor={}",
                    urlencode(&q),
                    urlencode(&tag),
                    urlencode(&region),
                    urlencode(&c)
                )
            });
            (page.items, group_digits(page.total), next, None, StatusCode::OK)
        }
        Err(e) if e.kind == wangge_app::ErrorKind::InvalidInput => {
            (vec![], "0".into(), None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST)
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    render(status, &PeoplePage { lang, user: pa.bar(), l, q, tag, region, people, total, next, error })
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: Labels,
    p: PersonDetail,
    revealed: Option<Revealed>,
    error: Option<String>,
    may_reveal: bool,
    may_manage: bool,
    event_error: Option<String>,
    /// 走访记录, newest first.
    visits: Vec<wangge_app::field::VisitView>,
    /// Disputes where the person is a party (only for those who read disputes).
    disputes: Vec<wangge_app::disputes::DisputeView>,
    /// The person's resident account (居民账号), and the form that opens one after a refusal.
    account: Option<wangge_app::residents::ResidentAccount>,
    account_form: super::events::FormState,
}

/// What a person page shows besides the person: numbers revealed on this response, or a form's error.
#[derive(Default)]
pub(crate) struct PersonExtras {
    pub(crate) revealed: Option<Revealed>,
    pub(crate) error: Option<String>,
    pub(crate) event_error: Option<String>,
    /// The open-account form refused.
    pub(crate) account_form: Option<super::events::FormState>,
}

pub(crate) async fn person_page(app: &AppState, lang: Lang, pa: &PageActor, id: i64, x: PersonExtras) -> Response {
    use wangge_domain::role::Permission;
    match app.person_detail(&pa.actor, id).await {
        Ok(p) => {
            let may_reveal = pa.actor.may(Permission::RevealPersonalData, &p.person.grid_code);
            let may_manage = pa.actor.may(Permission::ManageRegister, &p.person.grid_code);
            let l = Labels::load(app, pa, lang).await;
            let visits = match app.person_visits(&pa.actor, id).await {
                Ok(v) => v,
                Err(e) => return error_page(lang, pa.bar(), &e),
            };
            let disputes = if pa.actor.may(Permission::ReadDisputes, &p.person.grid_code) {
                let q =
                    wangge_app::disputes::DisputeQuery { person_id: Some(id), limit: Some(20), ..Default::default() };
                match app.list_disputes(&pa.actor, q).await {
                    Ok(page) => page.items,
                    Err(e) => return error_page(lang, pa.bar(), &e),
                }
            } else {
                Vec::new()
            };
            let account = match app.resident_account(&pa.actor, id).await {
                Ok(a) => a,
                Err(e) => return error_page(lang, pa.bar(), &e),
            };
            let failed = x.error.is_some() || x.event_error.is_some() || x.account_form.is_some();
            let status = if failed { StatusCode::BAD_REQUEST } else { StatusCode::OK };
            let page = PersonPage {
                lang,
                user: pa.bar(),
                csrf: pa.csrf.clone(),
                l,
                p,
                revealed: x.revealed,
                error: x.error,
                may_reveal,
                may_manage,
                event_error: x.event_error,
                visits,
                disputes,
                account,
                account_form: x.account_form.unwrap_or_default(),
            };
            render(status, &page)
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

/// Ids in paths are numbers; anything else is a page that does not exist (not a 400 from the router).
pub(crate) fn parse_id(lang: Lang, pa: &PageActor, id: &str) -> Result<i64, Box<Response>> {
    id.parse::<i64>().map_err(|_| Box::new(error_page(lang, pa.bar(), &wangge_app::AppError::not_found(id))))
}

pub async fn person(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(id): Path<String>) -> Response {
    match parse_id(lang, &pa, &id) {
        Ok(id) => person_page(&app, lang, &pa, id, PersonExtras::default()).await,
        Err(r) => *r,
    }
}

/// Shows the full numbers once, on this response only; the reason goes to the audit log.
pub async fn reveal(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    match app.reveal_person(&f.pa.actor, id, RevealInput { reason: f.get("reason") }).await {
        Ok(r) => person_page(&app, lang, &f.pa, id, PersonExtras { revealed: Some(r), ..Default::default() }).await,
        Err(e) if e.kind == wangge_app::ErrorKind::InvalidInput => {
            let x = PersonExtras { error: Some(form_error(lang, &e)), ..Default::default() };
            person_page(&app, lang, &f.pa, id, x).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    lang: Lang,
    user: Option<UserBar>,
    l: Labels,
    h: HouseholdView,
}

pub async fn household(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(id): Path<String>) -> Response {
    let id = match parse_id(lang, &pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    match app.household_view(&pa.actor, id).await {
        Ok(h) => {
            let l = Labels::load(&app, &pa, lang).await;
            render(StatusCode::OK, &HouseholdPage { lang, user: pa.bar(), l, h })
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

// The house page, with the organizations on the house, is in `organizations.rs`.

#[derive(Template)]
#[template(path = "building.html")]
struct BuildingPage {
    lang: Lang,
    user: Option<UserBar>,
    l: Labels,
    b: BuildingView,
}

pub async fn building(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(id): Path<String>) -> Response {
    let id = match parse_id(lang, &pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    match app.building_view(&pa.actor, id).await {
        Ok(b) => {
            let l = Labels::load(&app, &pa, lang).await;
            render(StatusCode::OK, &BuildingPage { lang, user: pa.bar(), l, b })
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

/// Registers what happened to a person (外出, 返回, 迁出, 死亡, 迁入): their status changes and the history grows;
/// nobody is ever deleted.
pub async fn event(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let opt = |k: &str| Some(f.get(k)).filter(|v| !v.trim().is_empty());
    let input =
        PersonEventInput { kind: f.get("kind"), note: opt("note"), date: opt("date"), house_code: opt("house_code") };
    match app.person_event(&f.pa.actor, id, input).await {
        Ok(_) => axum::response::Redirect::to(&format!("/people/{id}")).into_response(),
        Err(e) if matches!(e.kind, wangge_app::ErrorKind::InvalidInput | wangge_app::ErrorKind::RuleViolated) => {
            let x = PersonExtras { event_error: Some(form_error(lang, &e)), ..Default::default() };
            person_page(&app, lang, &f.pa, id, x).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

/// Everyone the caller may read, as the residents file (masked numbers, watermark with user and time, audited).
pub async fn export(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    let dir = std::env::temp_dir().join(format!("wangge-export-{}", wangge_app::auth::random_token()));
    let path = dir.join("residents.xlsx");
    let out = async {
        std::fs::create_dir_all(&dir).map_err(|e| wangge_app::AppError::internal(e.to_string()))?;
        app.export_residents(&pa.actor, &path).await?;
        std::fs::read(&path).map_err(|e| wangge_app::AppError::internal(e.to_string()))
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    match out {
        Ok(bytes) => {
            use axum::http::{HeaderValue, header};
            let mut res = bytes.into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            );
            let name = format!("实有人口_{}.xlsx", chrono::Utc::now().format("%Y%m%d"));
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{}", urlencode(&name))) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

#[derive(Template)]
#[template(path = "person_new.html")]
struct NewPersonPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    f: HashMap<String, String>,
    error: Option<String>,
    relations: &'static [&'static str],
}

impl NewPersonPage {
    /// What was typed, so a rejected form keeps it.
    fn v(&self, key: &str) -> &str {
        self.f.get(key).map(String::as_str).unwrap_or("")
    }
}

/// 人员登记: a birth, a move-in or a person found on a visit, into an existing household or a new one.
pub async fn new_person(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(e) = app.authorize_anywhere(&pa.actor, wangge_domain::role::Permission::ManageRegister) {
        return error_page(lang, pa.bar(), &e);
    }
    let relations = wangge_domain::register::RELATIONS;
    render(StatusCode::OK, &NewPersonPage { lang, user: pa.bar(), csrf: pa.csrf.clone(), f: q, error: None, relations })
}

pub async fn create_person(State(app): State<AppState>, lang: Lang, form: CsrfForm) -> Response {
    let opt = |k: &str| Some(form.get(k)).filter(|v| !v.trim().is_empty());
    let input = NewPersonInput {
        name: form.get("name"),
        id_number: form.get("id_number"),
        gender: opt("gender"),
        birth_date: opt("birth_date"),
        ethnicity: form.get("ethnicity"),
        phone: opt("phone"),
        population_type: form.get("population_type"),
        relation: form.get("relation"),
        household_number: opt("household_number"),
        house_code: None,
        address: opt("address"),
        grid_code: opt("grid_code"),
        registered: Some(form.get("population_type") != "migrant"),
        event: opt("event"),
        note: opt("note"),
    };
    match app.register_person(&form.pa.actor, input).await {
        Ok(p) => axum::response::Redirect::to(&format!("/people/{}", p.person.id)).into_response(),
        Err(e) if e.kind == wangge_app::ErrorKind::Forbidden => error_page(lang, form.pa.bar(), &e),
        Err(e) => {
            let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let mut f = form.fields.clone();
            f.remove("csrf");
            let page = NewPersonPage {
                lang,
                user: form.pa.bar(),
                csrf: form.pa.csrf.clone(),
                f,
                error: Some(form_error(lang, &e)),
                relations: wangge_domain::register::RELATIONS,
            };
            render(status, &page)
        }
    }
}
