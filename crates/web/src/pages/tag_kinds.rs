//! 人群标签类型 for admins: list the special-group kinds, add one, change one — its names, level, sensitivity,
//! visiting rule and the fields it records. A rejected form comes back as typed, the error next to its field.

use super::{CsrfForm, PageActor, UserBar, error_page, form_error, render, urlencode};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use wangge_app::tags::{TagKind, TagKindInput};
use wangge_app::{AppError, ErrorKind};
use wangge_domain::role::Permission;

/// Empty rows offered below a kind's fields for adding new ones.
const SPARE_ROWS: usize = 2;
pub const FIELD_TYPES: &[&str] = &["text", "date", "number", "select"];

#[derive(Default, Clone)]
pub struct FieldRow {
    pub key: String,
    pub label: String,
    pub typ: String,
    /// Options of a select, separated by 、 (or ; , ，；).
    pub options: String,
}

impl FieldRow {
    fn is_blank(&self) -> bool {
        self.key.trim().is_empty() && self.label.trim().is_empty() && self.options.trim().is_empty()
    }
}

#[derive(Default)]
pub struct KindForm {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub level: String,
    pub sensitive: bool,
    pub derived: bool,
    pub visit_days: String,
    pub rows: Vec<FieldRow>,
    /// Shown next to its input: the message alone.
    error: Option<String>,
    /// Shown above the form: the message with the field's label.
    labelled: Option<String>,
    /// The form input the error is about (`name`, `f2_options`…).
    at: Option<String>,
}

impl KindForm {
    fn from_kind(k: &TagKind) -> KindForm {
        let rows = k
            .fields
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| {
                        let s = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                        let options = f
                            .get("options")
                            .and_then(Value::as_array)
                            .map(|o| o.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("、"))
                            .unwrap_or_default();
                        FieldRow { key: s("key"), label: s("label"), typ: s("type"), options }
                    })
                    .collect()
            })
            .unwrap_or_default();
        KindForm {
            code: k.code.clone(),
            name: k.name.clone(),
            name_en: k.name_en.clone(),
            level: k.level.clone(),
            sensitive: k.sensitive,
            derived: k.derived,
            visit_days: k.visit_days.map(|d| d.to_string()).unwrap_or_default(),
            rows,
            ..Default::default()
        }
        .with_spare_rows()
    }

    fn with_spare_rows(mut self) -> KindForm {
        let blank = self.rows.iter().rev().take_while(|r| r.is_blank()).count();
        for _ in blank..SPARE_ROWS {
            self.rows.push(FieldRow { typ: "text".into(), ..Default::default() });
        }
        self
    }

    fn from_fields(f: &CsrfForm, code: &str) -> KindForm {
        let mut rows = Vec::new();
        for i in 0..200 {
            let k = |n: &str| format!("f{i}_{n}");
            if !f.fields.contains_key(&k("key")) && !f.fields.contains_key(&k("label")) {
                break;
            }
            rows.push(FieldRow {
                key: f.get(&k("key")),
                label: f.get(&k("label")),
                typ: f.get(&k("type")),
                options: f.get(&k("options")),
            });
        }
        KindForm {
            code: code.to_string(),
            name: f.get("name"),
            name_en: f.get("name_en"),
            level: f.get("level"),
            sensitive: !f.get("sensitive").is_empty(),
            derived: false,
            visit_days: f.get("visit_days"),
            rows,
            ..Default::default()
        }
    }

    /// The API input, and for each entry of `fields` the form row it came from (blank rows are left out).
    fn input(&self) -> Result<(TagKindInput, Vec<usize>), AppError> {
        let visit_days = match self.visit_days.trim() {
            "" => None,
            d => {
                Some(d.parse::<i64>().map_err(|_| AppError::field("visit_days", "应为整数 / must be a whole number"))?)
            }
        };
        let mut fields = Vec::new();
        let mut from = Vec::new();
        for (i, r) in self.rows.iter().enumerate() {
            if r.is_blank() {
                continue;
            }
            let mut f = json!({ "key": r.key.trim(), "label": r.label.trim(), "type": r.typ.trim() });
            let options: Vec<&str> =
                r.options.split(['、', ';', '；', ',', '，']).map(str::trim).filter(|o| !o.is_empty()).collect();
            if r.typ.trim() == "select" || !options.is_empty() {
                f["options"] = json!(options);
            }
            fields.push(f);
            from.push(i);
        }
        let input = TagKindInput {
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            level: self.level.clone(),
            sensitive: self.sensitive,
            fields: Value::Array(fields),
            visit_days,
        };
        Ok((input, from))
    }

    fn rejected(mut self, lang: Lang, e: &AppError, from: &[usize]) -> KindForm {
        self.error = Some(super::organizations::field_message(lang, e));
        self.labelled = Some(form_error(lang, e));
        self.at = e.field_name().map(|f| match f.strip_prefix("fields[").and_then(|r| r.split_once("].")) {
            Some((k, col)) => {
                let row = k.parse::<usize>().ok().and_then(|k| from.get(k).copied()).unwrap_or(0);
                format!("f{row}_{col}")
            }
            None => f.to_string(),
        });
        self.with_spare_rows()
    }

    /// The error, when it is about this input.
    pub fn err(&self, input: &str) -> Option<&str> {
        match (&self.error, &self.at) {
            (Some(e), Some(a)) if a == input => Some(e),
            _ => None,
        }
    }

    /// The error, when it is about no input on the form.
    pub fn general(&self) -> Option<&str> {
        const SHOWN: &[&str] = &["code", "name", "name_en", "level", "visit_days"];
        let row_input = |a: &str| {
            a.strip_prefix('f').and_then(|r| r.split_once('_')).is_some_and(|(n, _)| n.parse::<usize>().is_ok())
        };
        match (&self.labelled, &self.at) {
            (Some(_), Some(a)) if SHOWN.contains(&a.as_str()) || row_input(a) => None,
            (Some(e), _) => Some(e),
            _ => None,
        }
    }

    pub fn row_err(&self, i: &usize, col: &str) -> Option<&str> {
        self.err(&format!("f{i}_{col}"))
    }
}

#[derive(Template)]
#[template(path = "tag_kinds.html")]
struct ListPage {
    lang: Lang,
    user: Option<UserBar>,
    kinds: Vec<TagKind>,
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "tag_kind.html")]
struct EditPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    is_new: bool,
    f: KindForm,
    types: &'static [&'static str],
}

impl ListPage {
    pub fn field_labels(&self, k: &TagKind) -> String {
        k.fields
            .as_array()
            .map(|a| a.iter().filter_map(|f| f.get("label").and_then(Value::as_str)).collect::<Vec<_>>().join("、"))
            .unwrap_or_default()
    }
}

/// The refusal page for anyone but those who manage tag kinds.
fn refused(app: &AppState, pa: &PageActor, lang: Lang) -> Option<Response> {
    app.authorize_anywhere(&pa.actor, Permission::ManageTagKinds).err().map(|e| error_page(lang, pa.bar(), &e))
}

pub async fn list(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = refused(&app, &pa, lang) {
        return r;
    }
    match app.tag_kinds(&pa.actor).await {
        Ok(kinds) => render(StatusCode::OK, &ListPage { lang, user: pa.bar(), kinds, saved: q.get("saved").cloned() }),
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

fn edit_page(lang: Lang, pa: &PageActor, is_new: bool, f: KindForm) -> Response {
    let status = if f.error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    render(status, &EditPage { lang, user: pa.bar(), csrf: pa.csrf.clone(), is_new, f, types: FIELD_TYPES })
}

pub async fn new_kind(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    if let Some(r) = refused(&app, &pa, lang) {
        return r;
    }
    let f = KindForm { level: "person".into(), ..Default::default() }.with_spare_rows();
    edit_page(lang, &pa, true, f)
}

pub async fn edit(State(app): State<AppState>, lang: Lang, pa: PageActor, Path(code): Path<String>) -> Response {
    if let Some(r) = refused(&app, &pa, lang) {
        return r;
    }
    match app.tag_kinds(&pa.actor).await {
        Ok(kinds) => match kinds.iter().find(|k| k.code == code) {
            Some(k) => edit_page(lang, &pa, false, KindForm::from_kind(k)),
            None => error_page(lang, pa.bar(), &AppError::not_found(&code)),
        },
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}

async fn save(app: &AppState, lang: Lang, f: CsrfForm, code: String, is_new: bool) -> Response {
    let mut form = KindForm::from_fields(&f, code.trim());
    let existing = match app.tag_kinds(&f.pa.actor).await {
        Ok(k) => k,
        Err(e) => return error_page(lang, f.pa.bar(), &e),
    };
    let old = existing.iter().find(|k| k.code == form.code);
    form.derived = old.is_some_and(|k| k.derived);
    if is_new && old.is_some() {
        let e = AppError::field("code", format!("编码已被使用 / the code is taken: {}", form.code));
        return edit_page(lang, &f.pa, true, form.rejected(lang, &e, &[]));
    }
    if !is_new && old.is_none() {
        return error_page(lang, f.pa.bar(), &AppError::not_found(&form.code));
    }
    let (input, from) = match form.input() {
        Ok(x) => x,
        Err(e) => return edit_page(lang, &f.pa, is_new, form.rejected(lang, &e, &[])),
    };
    match app.put_tag_kind(&f.pa.actor, &form.code, input).await {
        Ok(k) => Redirect::to(&format!("/admin/tag-kinds?saved={}", urlencode(&k.code))).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::Conflict) => {
            edit_page(lang, &f.pa, is_new, form.rejected(lang, &e, &from))
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

pub async fn create(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let code = f.get("code");
    save(&app, lang, f, code, true).await
}

pub async fn update(State(app): State<AppState>, lang: Lang, Path(code): Path<String>, f: CsrfForm) -> Response {
    save(&app, lang, f, code, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_land_on_the_form_row_they_came_from() {
        let mut f = KindForm { name: "甲".into(), level: "person".into(), ..Default::default() };
        f.rows = vec![
            FieldRow { key: "a".into(), label: "A".into(), typ: "text".into(), options: String::new() },
            FieldRow::default(),
            FieldRow { key: "b".into(), label: "B".into(), typ: "select".into(), options: " ".into() },
        ];
        let (input, from) = f.input().unwrap();
        assert_eq!(from, vec![0, 2]);
        assert_eq!(input.fields[1]["options"], json!([]));
        let e = AppError::field("fields[1].options", "选择字段需要选项列表 / a select needs a list of options");
        let f = f.rejected(Lang::Zh, &e, &from);
        assert!(f.row_err(&2, "options").is_some());
        assert!(f.row_err(&1, "options").is_none());
        assert!(f.general().is_none());
        assert_eq!(f.rows[0].key, "a", "what was typed stays");
    }

    #[test]
    fn options_split_on_chinese_and_latin_separators() {
        let f = KindForm {
            name: "甲".into(),
            level: "person".into(),
            visit_days: "30".into(),
            rows: vec![FieldRow {
                key: "k".into(),
                label: "K".into(),
                typ: "select".into(),
                options: "一级、二级;三级，四级".into(),
            }],
            ..Default::default()
        };
        let (input, _) = f.input().unwrap();
        assert_eq!(input.fields[0]["options"], json!(["一级", "二级", "三级", "四级"]));
        assert_eq!(input.visit_days, Some(30));
        let bad = KindForm { visit_days: "每月".into(), ..Default::default() };
        assert_eq!(bad.input().unwrap_err().field_name(), Some("visit_days"));
    }
}
