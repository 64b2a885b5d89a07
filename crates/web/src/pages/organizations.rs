//! Organizations in the browser: the house page lists the organizations on the house with a form to add one,
//! `/organizations` lists them per region, and an organization's page shows it with a form to change it.
//! A rejected form comes back with what was typed and the error next to its field.

use super::people::{Labels, parse_id};
use super::{CsrfForm, PageActor, UserBar, error_page, form_error, render, urlencode};
use crate::AppState;
use crate::i18n::{Lang, group_digits};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wangge_app::organizations::{NewOrgInput, OrgQuery, OrgUpdate, OrgView};
use wangge_app::people::HouseView;
use wangge_app::{AppError, ErrorKind};
use wangge_domain::register::{OrgKind, OrgStatus};
use wangge_domain::role::Permission;

/// What a form holds: the values typed and, after a rejection, the error and the field it names.
#[derive(Default)]
pub struct OrgForm {
    values: HashMap<String, String>,
    /// Shown next to its field: the message without the field's name.
    error: Option<String>,
    /// Shown above the form: the message with the field's label.
    labelled: Option<String>,
    field: Option<String>,
}

impl OrgForm {
    fn from_view(o: &OrgView) -> OrgForm {
        let mut v = HashMap::new();
        for (k, val) in [
            ("name", o.name.clone()),
            ("kind", o.kind.clone()),
            ("credit_code", o.credit_code.clone().unwrap_or_default()),
            ("legal_rep", o.legal_rep.clone()),
            ("employees", o.employees.map(|n| n.to_string()).unwrap_or_default()),
            ("house_code", o.house_code.clone()),
            ("status", o.status.clone()),
            ("note", o.note.clone()),
        ] {
            v.insert(k.to_string(), val);
        }
        OrgForm { values: v, ..Default::default() }
    }

    fn rejected(lang: Lang, fields: &HashMap<String, String>, e: &AppError) -> OrgForm {
        let mut values = fields.clone();
        values.remove("csrf");
        OrgForm {
            values,
            error: Some(field_message(lang, e)),
            labelled: Some(form_error(lang, e)),
            field: e.field_name().map(str::to_string),
        }
    }

    /// A value typed (or the stored one), empty when absent.
    pub fn v(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }

    /// Whether the value of `key` is `code` (for selects).
    pub fn is(&self, key: &str, code: &str) -> bool {
        self.v(key) == code
    }

    /// The error, when it is about this field.
    pub fn err(&self, key: &str) -> Option<&str> {
        match (&self.error, &self.field) {
            (Some(e), Some(f)) if f == key => Some(e),
            _ => None,
        }
    }

    /// The error, when it names no field the form shows.
    pub fn general(&self) -> Option<&str> {
        const SHOWN: &[&str] =
            &["name", "kind", "credit_code", "legal_rep", "phone", "employees", "house_code", "status", "note"];
        match (&self.labelled, &self.field) {
            (Some(_), Some(f)) if SHOWN.contains(&f.as_str()) => None,
            (Some(e), _) => Some(e),
            _ => None,
        }
    }
}

/// An error as shown next to the field it names: the message alone (the label is right above it), in the
/// page's language.
pub(super) fn field_message(lang: Lang, e: &AppError) -> String {
    let text = match e.field_name() {
        Some(f) => e.message.strip_prefix(f).and_then(|t| t.strip_prefix(": ")).unwrap_or(&e.message),
        None => &e.message,
    };
    super::localize(lang, text).to_string()
}

/// Labels of the closed lists, in the page's language.
pub struct OrgLabels {
    lang: Lang,
}

impl OrgLabels {
    pub fn kind(&self, code: &str) -> &'static str {
        OrgKind::parse("", code).map(|k| if self.lang == Lang::Zh { k.label_zh() } else { k.label_en() }).unwrap_or("")
    }

    pub fn status(&self, code: &str) -> &'static str {
        OrgStatus::parse("", code)
            .map(|k| if self.lang == Lang::Zh { k.label_zh() } else { k.label_en() })
            .unwrap_or("")
    }

    /// "2026-11-25T18:33:52+08:00" as "2026-11-25 18:33" (Beijing time).
    pub fn time(&self, rfc3339: &str) -> String {
        rfc3339.get(..16).map(|t| t.replace('T', " ")).unwrap_or_else(|| rfc3339.to_string())
    }

    pub fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        OrgKind::ALL.iter().map(|k| (k.as_str(), self.kind(k.as_str()))).collect()
    }

    pub fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        OrgStatus::ALL.iter().map(|k| (k.as_str(), self.status(k.as_str()))).collect()
    }
}

fn opt(f: &HashMap<String, String>, k: &str) -> Option<String> {
    f.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Employees as typed: empty is none, anything but a whole number is an error naming the field.
fn employees_field(f: &HashMap<String, String>) -> Result<Option<i64>, AppError> {
    match opt(f, "employees") {
        None => Ok(None),
        Some(s) => {
            s.parse::<i64>().map(Some).map_err(|_| AppError::field("employees", "应为整数 / must be a whole number"))
        }
    }
}

// ---------------------------------------------------------------- house page

#[derive(Template)]
#[template(path = "house.html")]
struct HousePage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    l: Labels,
    ol: OrgLabels,
    h: HouseView,
    orgs: Vec<OrgView>,
    may_manage: bool,
    f: OrgForm,
    phone_hint: String,
}

async fn house_page(app: &AppState, lang: Lang, pa: &PageActor, id: i64, f: OrgForm) -> Response {
    let h = match app.house_view(&pa.actor, id).await {
        Ok(h) => h,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let orgs = match app.house_organizations(&pa.actor, id).await {
        Ok(o) => o,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let l = Labels::load(app, pa, lang).await;
    let may_manage = pa.actor.may(Permission::ManageRegister, &h.grid_code);
    let status = if f.error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = HousePage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        l,
        ol: OrgLabels { lang },
        h,
        orgs,
        may_manage,
        f,
        phone_hint: String::new(),
    };
    render(status, &page)
}

/// A house with its households, members and the organizations placed on it.
pub async fn house(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(id): Path<String>) -> Response {
    match parse_id(lang, &pa, &id) {
        Ok(id) => house_page(&app, lang, &pa, id, OrgForm::default()).await,
        Err(r) => *r,
    }
}

/// Adds an organization on this house (the house page's form).
pub async fn create(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let house = match app.house_view(&f.pa.actor, id).await {
        Ok(h) => h,
        Err(e) => return error_page(lang, f.pa.bar(), &e),
    };
    let result = async {
        let input = NewOrgInput {
            name: f.get("name"),
            kind: f.get("kind"),
            house_code: house.code.clone(),
            credit_code: opt(&f.fields, "credit_code"),
            legal_rep: opt(&f.fields, "legal_rep"),
            phone: opt(&f.fields, "phone"),
            employees: employees_field(&f.fields)?,
            status: opt(&f.fields, "status"),
            note: opt(&f.fields, "note"),
        };
        app.create_organization(&f.pa.actor, input).await
    }
    .await;
    match result {
        Ok(o) => Redirect::to(&format!("/organizations/{}", o.id)).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::Conflict) => {
            house_page(&app, lang, &f.pa, id, OrgForm::rejected(lang, &f.fields, &e)).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

// ---------------------------------------------------------------- list

#[derive(Template)]
#[template(path = "organizations.html")]
struct ListPage {
    lang: Lang,
    user: Option<UserBar>,
    ol: OrgLabels,
    q: String,
    kind: String,
    status: String,
    region: String,
    orgs: Vec<OrgView>,
    total: String,
    next: Option<String>,
    error: Option<String>,
}

/// `/organizations?region=&q=&kind=&status=`: the organizations of a region, paged.
pub async fn list(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| p.get(k).cloned().unwrap_or_default();
    let (q, kind, status, region, cursor) = (get("q"), get("kind"), get("status"), get("region"), get("cursor"));
    fn some(s: &str) -> Option<&str> {
        Some(s).filter(|s| !s.trim().is_empty())
    }
    let query = OrgQuery {
        region: some(&region),
        q: some(&q),
        kind: some(&kind),
        status: some(&status),
        limit: Some(50),
        cursor: some(&cursor),
    };
    let (orgs, total, next, error, code) = match app.list_organizations(&pa.actor, query).await {
        Ok(page) => {
            let next = page.next_cursor.map(|c| {
                format!(
                    "/organizations?q={}&kind={}&status={}&region={}&cursor={}",
                    urlencode(&q),
                    urlencode(&kind),
                    urlencode(&status),
                    urlencode(&region),
                    urlencode(&c)
                )
            });
            (page.items, group_digits(page.total), next, None, StatusCode::OK)
        }
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            (vec![], "0".into(), None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST)
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let page =
        ListPage { lang, user: pa.bar(), ol: OrgLabels { lang }, q, kind, status, region, orgs, total, next, error };
    render(code, &page)
}

// ---------------------------------------------------------------- one organization

#[derive(Template)]
#[template(path = "organization.html")]
struct OrgPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    ol: OrgLabels,
    o: OrgView,
    may_manage: bool,
    f: OrgForm,
    saved: bool,
    /// The stored phone, masked: the form's phone field stays empty unless a new number is typed.
    phone_hint: String,
}

async fn org_page(app: &AppState, lang: Lang, pa: &PageActor, id: i64, f: Option<OrgForm>, saved: bool) -> Response {
    match app.organization(&pa.actor, id).await {
        Ok(o) => {
            let may_manage = pa.actor.may(Permission::ManageRegister, &o.grid_code);
            let status =
                if f.as_ref().is_some_and(|f| f.error.is_some()) { StatusCode::BAD_REQUEST } else { StatusCode::OK };
            let f = f.unwrap_or_else(|| OrgForm::from_view(&o));
            let phone_hint = o.phone.clone().unwrap_or_default();
            let page = OrgPage {
                lang,
                user: pa.bar(),
                csrf: pa.csrf.clone(),
                ol: OrgLabels { lang },
                o,
                may_manage,
                f,
                saved,
                phone_hint,
            };
            render(status, &page)
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

pub async fn show(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match parse_id(lang, &pa, &id) {
        Ok(id) => org_page(&app, lang, &pa, id, None, q.contains_key("saved")).await,
        Err(r) => *r,
    }
}

/// Saves the organization page's form; the phone changes only when one is typed.
pub async fn update(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let result = async {
        let u = OrgUpdate {
            name: Some(f.get("name")),
            kind: Some(f.get("kind")),
            house_code: Some(f.get("house_code")),
            credit_code: Some(f.get("credit_code")),
            legal_rep: Some(f.get("legal_rep")),
            phone: opt(&f.fields, "phone"),
            employees: employees_field(&f.fields)?,
            status: Some(f.get("status")),
            note: Some(f.get("note")),
        };
        app.update_organization(&f.pa.actor, id, u).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/organizations/{id}?saved=1")).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::Conflict) => {
            org_page(&app, lang, &f.pa, id, Some(OrgForm::rejected(lang, &f.fields, &e)), false).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejected_form_keeps_what_was_typed_and_puts_the_error_by_its_field() {
        let mut fields = HashMap::new();
        fields.insert("name".to_string(), "甲公司".to_string());
        fields.insert("csrf".to_string(), "t".to_string());
        let e = AppError::field("credit_code", "统一社会信用代码校验位错误 / wrong check character: X");
        let f = OrgForm::rejected(Lang::Zh, &fields, &e);
        assert_eq!(f.v("name"), "甲公司");
        assert_eq!(f.v("csrf"), "");
        assert!(f.err("credit_code").unwrap().contains("校验位"));
        assert!(f.err("name").is_none());
        assert!(f.general().is_none());
        let f = OrgForm::rejected(Lang::En, &fields, &AppError::field("body", "no field to change"));
        assert!(f.general().is_some());
    }
}
