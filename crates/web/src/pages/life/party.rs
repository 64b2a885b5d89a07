//! 党建引领 pages: party organizations (with member counts) and the in-service members' yearly service, those below
//! the minimum listed; one organization with its 三会一课 count, activities and (with the party-affairs permission)
//! members; one member with their service records; one activity with sign-in. Member lists and who signed in
//! show only to those who may read party members.

use super::{
    Forms, LifeNav, Refused, at_person_box, done_notice, filter_choices, find_person, is_page_error, region_choices,
    short_time,
};
use crate::AppState;
use crate::i18n::Lang;
use crate::pages::events::parse_record_id;
use crate::pages::{CsrfForm, PageActor, UserBar, error_page, render, urlencode};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;
use std::collections::HashMap;
use wangge_app::life::party::{
    MemberDetail, MemberQuery, MemberView, NewMemberInput, NewPartyActivityInput, NewPartyOrgInput,
    PartyActivityDetail, PartyOrgDetail, PartyOrgView, PartySignInInput, ServiceRecordInput, ServiceSummary,
};
use wangge_app::{AppError, ErrorKind};
use wangge_domain::life::{MemberKind, MemberStatus, PartyActivityKind, PartyOrgKind};
use wangge_domain::role::Permission;

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Zh { zh } else { en }
}

fn org_kind(lang: Lang, c: &str) -> &'static str {
    PartyOrgKind::parse("kind", c).map(|k| pick(lang, k.label_zh(), k.label_en())).unwrap_or("")
}

fn activity_kind(lang: Lang, c: &str) -> &'static str {
    PartyActivityKind::parse("kind", c).map(|k| pick(lang, k.label_zh(), k.label_en())).unwrap_or("")
}

fn member_kind(lang: Lang, c: &str) -> &'static str {
    MemberKind::parse("kind", c).map(|k| pick(lang, k.label_zh(), k.label_en())).unwrap_or("")
}

fn member_status(lang: Lang, c: &str) -> &'static str {
    MemberStatus::parse("status", c).map(|k| pick(lang, k.label_zh(), k.label_en())).unwrap_or("")
}

// ───────────────────────────── organizations and service ─────────────────────────────

#[derive(Template)]
#[template(path = "life_party.html")]
struct ListPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    csrf: String,
    orgs: Vec<PartyOrgView>,
    region: String,
    regions: Vec<(String, String)>,
    places: Vec<(String, String)>,
    /// In-service members' service this year (party-affairs permission only).
    service: Option<ServiceSummary>,
    members: Option<Vec<MemberView>>,
    keeps: bool,
    forms: Forms,
}

impl ListPage {
    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        PartyOrgKind::ALL.iter().map(|k| (k.as_str(), pick(self.lang, k.label_zh(), k.label_en()))).collect()
    }
    fn kind(&self, c: &str) -> &'static str {
        org_kind(self.lang, c)
    }
    fn mkind(&self, c: &str) -> &'static str {
        member_kind(self.lang, c)
    }
    fn ferr(&self, key: &str) -> Option<&str> {
        if self.forms.failed == "org" { self.forms.f.err(key) } else { None }
    }
    fn general(&self) -> Option<&str> {
        if self.forms.failed == "org" {
            self.forms.f.general(&["region_code", "kind", "name", "secretary", "founded_on", "parent_id"])
        } else {
            None
        }
    }
}

async fn list_page(app: &AppState, lang: Lang, pa: &PageActor, region: String, refused: Option<Refused>) -> Response {
    let r = Some(region.as_str()).filter(|r| !r.is_empty());
    let orgs = match app.list_party_orgs(&pa.actor, r).await {
        Ok(p) => p.items,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let party = pa.actor.may_somewhere(Permission::ReadPartyMembers);
    let service = if party { app.party_service_summary(&pa.actor, r, None).await.ok() } else { None };
    let members = if party {
        app.list_party_members(&pa.actor, MemberQuery { region: r, limit: Some(200), ..Default::default() })
            .await
            .ok()
            .map(|p| p.items)
    } else {
        None
    };
    let (forms, status) = Forms::from(refused);
    let page = ListPage {
        regions: filter_choices(app, pa).await,
        places: region_choices(app, pa, Permission::ManagePartyAffairs, true).await,
        keeps: pa.actor.may_somewhere(Permission::ManagePartyAffairs),
        lang,
        user: pa.bar(),
        nav: LifeNav { tab: "party" },
        csrf: pa.csrf.clone(),
        orgs,
        region,
        service,
        members,
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

pub async fn add_org(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let input = NewPartyOrgInput {
        region_code: f.get("region_code"),
        parent_id: f.get("parent_id").trim().parse().ok(),
        kind: f.get("kind"),
        name: f.get("name"),
        secretary: f.get("secretary"),
        founded_on: Some(f.get("founded_on")).filter(|s| !s.trim().is_empty()),
        note: f.get("note"),
    };
    match app.add_party_org(&f.pa.actor, input).await {
        Ok(o) => Redirect::to(&format!("/life/party/orgs/{}?done=created", o.org.id)).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::Internal) => error_page(lang, f.pa.bar(), &e),
        Err(e) => list_page(&app, lang, &f.pa, String::new(), Some(Refused::new("org", &f.fields, lang, &e))).await,
    }
}

// ───────────────────────────── one organization ─────────────────────────────

#[derive(Template)]
#[template(path = "life_party_org.html")]
struct OrgPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    csrf: String,
    d: PartyOrgDetail,
    places: Vec<(String, String)>,
    forms: Forms,
    notice: Option<String>,
}

impl OrgPage {
    fn kind(&self, c: &str) -> &'static str {
        org_kind(self.lang, c)
    }
    fn akind(&self, c: &str) -> &'static str {
        activity_kind(self.lang, c)
    }
    fn mkind(&self, c: &str) -> &'static str {
        member_kind(self.lang, c)
    }
    fn mstatus(&self, c: &str) -> &'static str {
        member_status(self.lang, c)
    }
    fn activity_kinds(&self) -> Vec<(&'static str, &'static str)> {
        PartyActivityKind::ALL.iter().map(|k| (k.as_str(), pick(self.lang, k.label_zh(), k.label_en()))).collect()
    }
    fn member_kinds(&self) -> Vec<(&'static str, &'static str)> {
        MemberKind::ALL.iter().map(|k| (k.as_str(), pick(self.lang, k.label_zh(), k.label_en()))).collect()
    }
    fn member_statuses(&self) -> Vec<(&'static str, &'static str)> {
        MemberStatus::ALL.iter().map(|k| (k.as_str(), pick(self.lang, k.label_zh(), k.label_en()))).collect()
    }
    fn time(&self, s: &str) -> String {
        short_time(s)
    }
    fn ferr(&self, form: &str, key: &str) -> Option<&str> {
        if self.forms.failed == form { self.forms.f.err(key) } else { None }
    }
    fn general(&self, form: &str) -> Option<&str> {
        if self.forms.failed != form {
            return None;
        }
        self.forms.f.general(&[
            "person",
            "kind",
            "status",
            "region_code",
            "home_org",
            "employer",
            "commitment",
            "joined_on",
            "title",
            "held_at",
        ])
    }
    fn behind(&self, q: &wangge_app::life::party::QuotaView) -> bool {
        q.held < q.due_so_far
    }
}

async fn org_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    refused: Option<Refused>,
    notice: Option<String>,
) -> Response {
    let d = match app.party_org_detail(&pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let (forms, status) = Forms::from(refused);
    let places = region_choices(app, pa, Permission::ManagePartyAffairs, false).await;
    render(
        status,
        &OrgPage {
            lang,
            user: pa.bar(),
            nav: LifeNav { tab: "party" },
            csrf: pa.csrf.clone(),
            d,
            places,
            forms,
            notice,
        },
    )
}

pub async fn org(
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
    org_page(&app, lang, &pa, id, None, done_notice(lang, &q)).await
}

/// A member (`form=member`) or an activity (`form=activity`) of the organization.
pub async fn org_act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let form = f.get("form");
    let opt = |k: &str| Some(f.get(k).trim().to_string()).filter(|v| !v.is_empty());
    let result: Result<String, AppError> = match form.as_str() {
        "member" => match find_person(&app, &f.pa, "person", &f.get("person")).await {
            Ok(Some(person_id)) => {
                let kind = f.get("kind");
                let input = NewMemberInput {
                    person_id,
                    org_id: (kind == MemberKind::Regular.as_str() || opt("in_org").is_some()).then_some(id),
                    kind,
                    status: f.get("status"),
                    region_code: opt("region_code"),
                    joined_on: opt("joined_on"),
                    home_org: f.get("home_org"),
                    employer: f.get("employer"),
                    employer_org: f.get("employer_org"),
                    commitment: f.get("commitment"),
                    reported_on: None,
                };
                app.add_party_member(&f.pa.actor, input)
                    .await
                    .map(|m| format!("/life/party/members/{}?done=created", m.member.id))
            }
            Ok(None) => Err(AppError::field("person", "请填写党员姓名或身份证号 / name the member")),
            Err(e) => Err(e),
        },
        "activity" => {
            let input = NewPartyActivityInput {
                org_id: id,
                kind: f.get("kind"),
                title: f.get("title"),
                held_at: f.get("held_at"),
                place: f.get("place"),
                summary: f.get("summary"),
                public: !f.get("public").is_empty(),
            };
            app.add_party_activity(&f.pa.actor, input)
                .await
                .map(|a| format!("/life/party/activities/{}?done=created", a.activity.id))
        }
        _ => Err(AppError::field("form", "未知操作 / unknown step")),
    };
    match result {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e) if is_page_error(&e) => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let e = at_person_box(e);
            org_page(&app, lang, &f.pa, id, Some(Refused::new(&form, &f.fields, lang, &e)), None).await
        }
    }
}

// ───────────────────────────── one member ─────────────────────────────

#[derive(Template)]
#[template(path = "life_party_member.html")]
struct MemberPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    csrf: String,
    d: MemberDetail,
    forms: Forms,
    notice: Option<String>,
    today: String,
}

impl MemberPage {
    fn mkind(&self, c: &str) -> &'static str {
        member_kind(self.lang, c)
    }
    fn mstatus(&self, c: &str) -> &'static str {
        member_status(self.lang, c)
    }
}

async fn member_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    refused: Option<Refused>,
    notice: Option<String>,
) -> Response {
    let d = match app.party_member_detail(&pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let (forms, status) = Forms::from(refused);
    let today = chrono::Utc::now().with_timezone(&wangge_domain::event::calendar::cst()).format("%Y-%m-%d").to_string();
    render(
        status,
        &MemberPage {
            lang,
            user: pa.bar(),
            nav: LifeNav { tab: "party" },
            csrf: pa.csrf.clone(),
            d,
            forms,
            notice,
            today,
        },
    )
}

pub async fn member(
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
    member_page(&app, lang, &pa, id, None, done_notice(lang, &q)).await
}

pub async fn member_act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let input = ServiceRecordInput {
        served_on: f.get("served_on"),
        hours: Value::String(f.get("hours")),
        content: f.get("content"),
    };
    match app.add_service_record(&f.pa.actor, id, input).await {
        Ok(_) => Redirect::to(&format!("/life/party/members/{id}?done=service")).into_response(),
        Err(e) if is_page_error(&e) => error_page(lang, f.pa.bar(), &e),
        Err(e) => member_page(&app, lang, &f.pa, id, Some(Refused::new("service", &f.fields, lang, &e)), None).await,
    }
}

// ───────────────────────────── one activity ─────────────────────────────

#[derive(Template)]
#[template(path = "life_party_activity.html")]
struct ActivityPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    csrf: String,
    d: PartyActivityDetail,
    forms: Forms,
    notice: Option<String>,
}

impl ActivityPage {
    fn akind(&self, c: &str) -> &'static str {
        activity_kind(self.lang, c)
    }
    fn time(&self, s: &str) -> String {
        short_time(s)
    }
    fn signed(&self, member: &i64) -> bool {
        self.d.attendees.as_ref().is_some_and(|a| a.iter().any(|x| x.member_id == *member))
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
    let d = match app.party_activity_detail(&pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let (forms, status) = Forms::from(refused);
    render(
        status,
        &ActivityPage { lang, user: pa.bar(), nav: LifeNav { tab: "party" }, csrf: pa.csrf.clone(), d, forms, notice },
    )
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

pub async fn activity_act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let member_ids: Vec<i64> = f
        .fields
        .iter()
        .filter(|(k, v)| k.starts_with("m_") && !v.is_empty())
        .filter_map(|(k, _)| k[2..].parse().ok())
        .collect();
    match app.sign_in_party_activity(&f.pa.actor, id, PartySignInInput { member_ids }).await {
        Ok(_) => Redirect::to(&format!("/life/party/activities/{id}?done={}", urlencode("sign_in"))).into_response(),
        Err(e) if is_page_error(&e) => error_page(lang, f.pa.bar(), &e),
        Err(e) => activity_page(&app, lang, &f.pa, id, Some(Refused::new("sign_in", &f.fields, lang, &e)), None).await,
    }
}
