//! 共建单位 and 共建日 pages (units with this year's completion, pairing a unit, recording a 共建日; one unit with
//! every year's commitments, their progress and evidence), and the social organizations of the register with
//! their incubation stage, its history and their services.

use super::{Forms, LifeNav, Refused, done_notice, filter_choices, is_page_error, percent, region_choices, short_time};
use crate::AppState;
use crate::i18n::Lang;
use crate::pages::events::{FormState, parse_record_id};
use crate::pages::{CsrfForm, PageActor, UserBar, error_page, render, urlencode};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;
use std::collections::HashMap;
use wangge_app::life::co_building::{
    CommitmentInput, CommitmentProgressInput, CommitmentView, DayView, NewDayInput, NewUnitInput, ServiceInput,
    SocialOrgDetail, SocialOrgView, StageInput, UnitDetail, UnitView,
};
use wangge_app::{AppError, ErrorKind};
use wangge_domain::life::{CommitmentKind, IncubationStage, ServiceField, UnitKind};
use wangge_domain::role::Permission;

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Zh { zh } else { en }
}

// ───────────────────────────── units and 共建日 ─────────────────────────────

#[derive(Template)]
#[template(path = "life_co_building.html")]
struct ListPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    csrf: String,
    units: Vec<UnitView>,
    days: Vec<DayView>,
    region: String,
    regions: Vec<(String, String)>,
    communities: Vec<(String, String)>,
    keeps: bool,
    forms: Forms,
}

impl ListPage {
    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        UnitKind::ALL.iter().map(|k| (k.as_str(), pick(self.lang, k.label_zh(), k.label_en()))).collect()
    }
    fn kind(&self, c: &str) -> &'static str {
        UnitKind::parse("kind", c).map(|k| pick(self.lang, k.label_zh(), k.label_en())).unwrap_or("")
    }
    fn percent(&self, v: &Option<f64>) -> String {
        percent(v)
    }
    fn width(&self, v: &Option<f64>) -> i64 {
        (v.unwrap_or(0.0) * 100.0).round() as i64
    }
    fn ferr(&self, form: &str, key: &str) -> Option<&str> {
        if self.forms.failed == form { self.forms.f.err(key) } else { None }
    }
    fn general(&self, form: &str, keys: &[&str]) -> Option<&str> {
        if self.forms.failed == form { self.forms.f.general(keys) } else { None }
    }
    fn unit_general(&self) -> Option<&str> {
        self.general("unit", &["region_code", "name", "kind", "contact_phone", "paired_on"])
    }
    fn day_general(&self) -> Option<&str> {
        self.general("day", &["region_code", "held_on", "theme", "content"])
    }
    fn region_selected(&self, form: &str, code: &str) -> bool {
        let typed = self.forms.v(form, "region_code");
        if typed.is_empty() { self.communities.first().is_some_and(|c| c.0 == code) } else { typed == code }
    }
    fn unit_checked(&self, id: &i64) -> bool {
        self.forms.failed == "day" && !self.forms.v("day", &format!("u_{id}")).is_empty()
    }
}

async fn list_page(app: &AppState, lang: Lang, pa: &PageActor, region: String, refused: Option<Refused>) -> Response {
    let r = Some(region.as_str()).filter(|r| !r.is_empty());
    let units = match app.list_units(&pa.actor, r, Some(200), None).await {
        Ok(p) => p.items,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let days = app.list_co_building_days(&pa.actor, r, Some(24), None).await.map(|p| p.items).unwrap_or_default();
    let (forms, status) = Forms::from(refused);
    let page = ListPage {
        regions: filter_choices(app, pa).await,
        communities: region_choices(app, pa, Permission::ManageCommunityLife, false).await,
        keeps: pa.actor.may_somewhere(Permission::ManageCommunityLife),
        lang,
        user: pa.bar(),
        nav: LifeNav { tab: "co_building" },
        csrf: pa.csrf.clone(),
        units,
        days,
        region,
        forms,
    };
    render(status, &page)
}

pub async fn list(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    list_page(&app, lang, &pa, q.get("region").cloned().unwrap_or_default(), None).await
}

pub async fn add_unit(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let opt = |k: &str| Some(f.get(k).trim().to_string()).filter(|v| !v.is_empty());
    let input = NewUnitInput {
        region_code: f.get("region_code"),
        name: f.get("name"),
        kind: f.get("kind"),
        organization_id: None,
        contact_name: f.get("contact_name"),
        contact_phone: opt("contact_phone"),
        paired_on: opt("paired_on"),
        note: f.get("note"),
    };
    match app.add_unit(&f.pa.actor, input).await {
        Ok(u) => Redirect::to(&format!("/life/co-building/units/{}?done=created", u.unit.id)).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::Internal) => error_page(lang, f.pa.bar(), &e),
        Err(e) => list_page(&app, lang, &f.pa, String::new(), Some(Refused::new("unit", &f.fields, lang, &e))).await,
    }
}

pub async fn add_day(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let unit_ids: Vec<i64> = f
        .fields
        .iter()
        .filter(|(k, v)| k.starts_with("u_") && !v.is_empty())
        .filter_map(|(k, _)| k[2..].parse().ok())
        .collect();
    let input = NewDayInput {
        region_code: f.get("region_code"),
        held_on: f.get("held_on"),
        theme: f.get("theme"),
        content: f.get("content"),
        problems: f.get("problems"),
        unit_ids,
    };
    match app.add_co_building_day(&f.pa.actor, input).await {
        Ok(_) => Redirect::to("/life/co-building?done=day#days").into_response(),
        Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::Internal) => error_page(lang, f.pa.bar(), &e),
        Err(e) => list_page(&app, lang, &f.pa, String::new(), Some(Refused::new("day", &f.fields, lang, &e))).await,
    }
}

#[derive(Template)]
#[template(path = "life_unit.html")]
struct UnitPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    csrf: String,
    d: UnitDetail,
    forms: Forms,
    notice: Option<String>,
    year: i64,
}

impl UnitPage {
    fn kind(&self, c: &str) -> &'static str {
        UnitKind::parse("kind", c).map(|k| pick(self.lang, k.label_zh(), k.label_en())).unwrap_or("")
    }
    fn commitment_kinds(&self) -> Vec<(&'static str, &'static str)> {
        CommitmentKind::ALL.iter().map(|k| (k.as_str(), pick(self.lang, k.label_zh(), k.label_en()))).collect()
    }
    fn ckind(&self, c: &str) -> &'static str {
        CommitmentKind::parse("kind", c).map(|k| pick(self.lang, k.label_zh(), k.label_en())).unwrap_or("")
    }
    fn unit(&self, c: &str) -> &'static str {
        CommitmentKind::parse("kind", c).map(|k| pick(self.lang, k.unit_zh(), k.unit_en())).unwrap_or("")
    }
    fn num(&self, v: &f64) -> String {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
    fn percent(&self, v: &Option<f64>) -> String {
        percent(v)
    }
    fn width(&self, v: &Option<f64>) -> i64 {
        (v.unwrap_or(0.0) * 100.0).round() as i64
    }
    fn time(&self, s: &str) -> String {
        short_time(s)
    }
    fn pform(&self, id: &i64) -> String {
        format!("progress-{id}")
    }
    fn lines_of(&self, c: &CommitmentView) -> Vec<&wangge_app::life::co_building::CommitmentProgressView> {
        self.d.progress.iter().filter(|p| p.commitment_id == c.id).collect()
    }
    fn is_image(&self, ct: &str) -> bool {
        ct.starts_with("image/")
    }
}

async fn unit_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    refused: Option<Refused>,
    notice: Option<String>,
) -> Response {
    let d = match app.unit_detail(&pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let (forms, status) = Forms::from(refused);
    let year = chrono::Datelike::year(&chrono::Utc::now().with_timezone(&wangge_domain::event::calendar::cst())) as i64;
    render(
        status,
        &UnitPage {
            lang,
            user: pa.bar(),
            nav: LifeNav { tab: "co_building" },
            csrf: pa.csrf.clone(),
            d,
            forms,
            notice,
            year,
        },
    )
}

pub async fn unit(
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
    unit_page(&app, lang, &pa, id, None, done_notice(lang, &q)).await
}

fn attachment_ids(s: &str) -> Result<Vec<i64>, AppError> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| x.parse::<i64>().map_err(|_| AppError::field("attachments", "附件编号无效 / bad attachment id")))
        .collect()
}

/// A commitment (`form=commit`) or progress on one (`form=progress-<id>`).
pub async fn unit_act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let form = f.get("form");
    let result = if form == "commit" {
        let year = match f.get("year").trim() {
            "" => Ok(None),
            y => y.parse::<i64>().map(Some).map_err(|_| AppError::field("year", "年份无效 / invalid year")),
        };
        match year {
            Ok(year) => {
                let input = CommitmentInput {
                    year,
                    kind: f.get("kind"),
                    title: f.get("title"),
                    target: Value::String(f.get("target")),
                };
                app.add_commitment(&f.pa.actor, id, input).await
            }
            Err(e) => Err(e),
        }
    } else if let Some(cid) = form.strip_prefix("progress-").and_then(|c| c.parse::<i64>().ok()) {
        match attachment_ids(&f.get("attachments")) {
            Ok(attachments) => {
                let version = f.get("version").trim().parse().ok();
                let input = CommitmentProgressInput {
                    amount: Value::String(f.get("amount")),
                    note: f.get("note"),
                    attachments,
                    version,
                };
                app.add_commitment_progress(&f.pa.actor, cid, input).await
            }
            Err(e) => Err(e),
        }
    } else {
        Err(AppError::field("form", "未知操作 / unknown step"))
    };
    match result {
        Ok(_) => Redirect::to(&format!("/life/co-building/units/{id}?done={}", urlencode(&form))).into_response(),
        Err(e) if is_page_error(&e) => error_page(lang, f.pa.bar(), &e),
        Err(e) => unit_page(&app, lang, &f.pa, id, Some(Refused::new(&form, &f.fields, lang, &e)), None).await,
    }
}

// ───────────────────────────── social organizations ─────────────────────────────

fn stage_label(lang: Lang, c: &str) -> &'static str {
    IncubationStage::parse("stage", c).map(|k| pick(lang, k.label_zh(), k.label_en())).unwrap_or("")
}

#[derive(Template)]
#[template(path = "life_social_orgs.html")]
struct SocialOrgsPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    rows: Vec<SocialOrgView>,
    total: i64,
    f: FormState,
    regions: Vec<(String, String)>,
}

impl SocialOrgsPage {
    fn stages(&self) -> Vec<(&'static str, &'static str)> {
        IncubationStage::ALL.iter().map(|k| (k.as_str(), stage_label(self.lang, k.as_str()))).collect()
    }
    fn stage(&self, c: &str) -> &'static str {
        stage_label(self.lang, c)
    }
}

pub async fn social_orgs(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).map(str::trim).filter(|s| !s.is_empty());
    let page = match app.list_social_orgs(&pa.actor, get("region"), get("stage"), Some(200), None).await {
        Ok(p) => p,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let p = SocialOrgsPage {
        regions: filter_choices(&app, &pa).await,
        lang,
        user: pa.bar(),
        nav: LifeNav { tab: "social_orgs" },
        rows: page.items,
        total: page.total,
        f: FormState::new(q),
    };
    render(StatusCode::OK, &p)
}

#[derive(Template)]
#[template(path = "life_social_org.html")]
struct SocialOrgPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    csrf: String,
    d: SocialOrgDetail,
    forms: Forms,
    notice: Option<String>,
}

impl SocialOrgPage {
    fn stages(&self) -> Vec<(&'static str, &'static str)> {
        IncubationStage::ALL.iter().map(|k| (k.as_str(), stage_label(self.lang, k.as_str()))).collect()
    }
    fn stage(&self, c: &str) -> &'static str {
        stage_label(self.lang, c)
    }
    fn fields(&self) -> Vec<(&'static str, &'static str)> {
        ServiceField::ALL.iter().map(|k| (k.as_str(), pick(self.lang, k.label_zh(), k.label_en()))).collect()
    }
    fn time(&self, s: &str) -> String {
        short_time(s)
    }
    fn stage_selected(&self, code: &str) -> bool {
        match self.forms.v("stage", "stage") {
            "" => self.d.org.stage.as_deref().unwrap_or("incubating") == code,
            s => s == code,
        }
    }
    fn field_selected(&self, code: &str) -> bool {
        match self.forms.v("stage", "field") {
            "" => self.d.org.field.as_deref() == Some(code),
            s => s == code,
        }
    }
}

async fn social_org_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    refused: Option<Refused>,
    notice: Option<String>,
) -> Response {
    let d = match app.social_org_detail(&pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let (forms, status) = Forms::from(refused);
    render(
        status,
        &SocialOrgPage {
            lang,
            user: pa.bar(),
            nav: LifeNav { tab: "social_orgs" },
            csrf: pa.csrf.clone(),
            d,
            forms,
            notice,
        },
    )
}

pub async fn social_org(
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
    social_org_page(&app, lang, &pa, id, None, done_notice(lang, &q)).await
}

/// The stage (`form=stage`) or a new service (`form=service`).
pub async fn social_org_act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let form = f.get("form");
    let result = match form.as_str() {
        "stage" => {
            let field = Some(f.get("field")).filter(|s| !s.trim().is_empty());
            app.set_social_org_stage(&f.pa.actor, id, StageInput { stage: f.get("stage"), field, note: f.get("note") })
                .await
        }
        "service" => {
            let input =
                ServiceInput { name: f.get("name"), target: f.get("target"), description: f.get("description") };
            app.add_social_org_service(&f.pa.actor, id, input).await
        }
        _ => Err(AppError::field("form", "未知操作 / unknown step")),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/life/social-orgs/{id}?done={}", urlencode(&form))).into_response(),
        Err(e) if is_page_error(&e) => error_page(lang, f.pa.bar(), &e),
        Err(e) => social_org_page(&app, lang, &f.pa, id, Some(Refused::new(&form, &f.fields, lang, &e)), None).await,
    }
}
