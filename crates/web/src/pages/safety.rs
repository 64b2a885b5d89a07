//! 治安防控 pages: the 综治 centre's key-group list (重点人群, overdue in red; each view is an audited read) and the
//! safety map (grids coloured by patrol coverage, open hazards as points) with the teams and a form to add one.

use super::{CsrfForm, PageActor, UserBar, error_page, form_error, render};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wangge_app::safety::{KeyGroupPerson, KeyGroupQuery, KeyGroupTag, MemberInput, NewTeamInput, SafetyMap, TeamView};
use wangge_app::{AppError, ErrorKind};
use wangge_domain::region::RegionLevel;
use wangge_domain::role::Permission;
use wangge_domain::safety::{Coverage, TeamKind};

/// Regions to choose from: the caller's streets and communities, and grids too while the tree is small (a grid
/// worker's whole scope is one grid).
async fn region_options(app: &AppState, pa: &PageActor, perm: Permission) -> Vec<(String, String)> {
    let tree = app.region_tree(&pa.actor).await.unwrap_or_default();
    let with_grids = tree.len() <= 60;
    tree.into_iter()
        .filter(|r| pa.actor.may(perm, &r.code) && (with_grids || r.level != RegionLevel::Grid))
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

fn query_value(q: &HashMap<String, String>, k: &str) -> Option<String> {
    q.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------- key groups

#[derive(Template)]
#[template(path = "key_groups.html")]
struct KeyGroupsPage {
    lang: Lang,
    user: Option<UserBar>,
    regions: Vec<(String, String)>,
    region: String,
    tags: Vec<(String, String)>,
    tag: String,
    view: String,
    people: Vec<KeyGroupPerson>,
    total: i64,
    next: Option<String>,
    error: Option<String>,
}

impl KeyGroupsPage {
    /// Tag kinds are data with both names; English pages use the English one when it is set.
    fn group_name<'a>(&self, g: &'a KeyGroupTag) -> &'a str {
        if self.lang == Lang::En && !g.name_en.is_empty() { &g.name_en } else { &g.name }
    }

    fn gender(&self, code: &str) -> &'static str {
        match code {
            "male" => self.lang.t("kg_male"),
            "female" => self.lang.t("kg_female"),
            _ => "",
        }
    }

    fn next_href(&self, cursor: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("region", &self.region).append_pair("tag", &self.tag).append_pair("view", &self.view);
        q.append_pair("cursor", cursor);
        format!("/key-groups?{}", q.finish())
    }
}

pub async fn key_groups(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !pa.actor.may_somewhere(Permission::ReadSensitiveTags) {
        return error_page(lang, pa.bar(), &AppError::forbidden());
    }
    let region = query_value(&q, "region").unwrap_or_default();
    let tag = query_value(&q, "tag").unwrap_or_default();
    let view = query_value(&q, "view").unwrap_or_else(|| "all".into());
    let cursor = query_value(&q, "cursor");
    let query = KeyGroupQuery {
        region: Some(region.as_str()),
        tag: Some(tag.as_str()),
        view: Some(view.as_str()),
        limit: Some(100),
        cursor: cursor.as_deref(),
    };
    let (people, total, next, error, status) = match app.key_groups(&pa.actor, query).await {
        Ok(p) => (p.items, p.total, p.next_cursor, None, StatusCode::OK),
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            (vec![], 0, None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST)
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    // The list defaulted to the caller's first region (admins: the first district, the first option anyway).
    let region = if region.is_empty() {
        pa.actor.roots(Permission::ReadSensitiveTags).and_then(|r| r.into_iter().next()).unwrap_or_default()
    } else {
        region
    };
    let tags = app
        .tag_kinds(&pa.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|k| k.sensitive && k.level == "person")
        .map(|k| (k.code, if lang == Lang::En && !k.name_en.is_empty() { k.name_en } else { k.name }))
        .collect();
    let page = KeyGroupsPage {
        lang,
        user: pa.bar(),
        regions: region_options(&app, &pa, Permission::ReadSensitiveTags).await,
        region,
        tags,
        tag,
        view,
        people,
        total,
        next,
        error,
    };
    render(status, &page)
}

// ---------------------------------------------------------------- the safety map and teams

#[derive(Template)]
#[template(path = "safety.html")]
struct SafetyPage {
    lang: Lang,
    user: Option<UserBar>,
    csrf: String,
    regions: Vec<(String, String)>,
    region: String,
    map: Option<SafetyMap>,
    teams: Vec<TeamView>,
    tile_url: String,
    tile_attribution: String,
    may_manage: bool,
    /// Regions a new team may cover.
    team_regions: Vec<(String, String)>,
    error: Option<String>,
    form_error: Option<String>,
    added: bool,
    /// The add form as typed (kept when refused).
    form: TeamForm,
}

#[derive(Default)]
struct TeamForm {
    kind: String,
    name: String,
    region_code: String,
    shift: String,
    note: String,
    members: String,
}

impl SafetyPage {
    fn coverage_label(&self, code: &str) -> &'static str {
        match Coverage::ALL.iter().find(|c| c.as_str() == code) {
            Some(Coverage::None) => self.lang.t("sf_cov_none"),
            Some(Coverage::Low) => self.lang.t("sf_cov_low"),
            _ => self.lang.t("sf_cov_good"),
        }
    }

    fn kind_label(&self, code: &str) -> &'static str {
        match code {
            "patrol" => self.lang.t("sf_kind_patrol"),
            _ => self.lang.t("sf_kind_volunteer"),
        }
    }

    fn is_kind(&self, code: &str) -> bool {
        self.form.kind == code
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        TeamKind::ALL.iter().map(|k| (k.as_str(), self.kind_label(k.as_str()))).collect()
    }
}

async fn safety_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    q: &HashMap<String, String>,
    refused: Option<(TeamForm, String)>,
) -> Response {
    if !pa.actor.may_somewhere(Permission::ReadFieldWork) {
        return error_page(lang, pa.bar(), &AppError::forbidden());
    }
    let asked = query_value(q, "region");
    let (map, error, mut status) = match app.safety_map(&pa.actor, asked.as_deref()).await {
        Ok(m) => (Some(m), None, StatusCode::OK),
        Err(e) if e.kind == ErrorKind::InvalidInput => (None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST),
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let region = map.as_ref().map(|m| m.region_code.clone()).or(asked).unwrap_or_default();
    let teams = if region.is_empty() {
        Vec::new()
    } else {
        match app.list_teams(&pa.actor, Some(&region), None, Some(500), None).await {
            Ok(p) => p.items,
            Err(e) => return error_page(lang, pa.bar(), &e),
        }
    };
    let tiles = match app.map_settings().await {
        Ok(t) => t,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let may_manage = pa.actor.may_somewhere(Permission::ManageSafetyTeams);
    let team_regions =
        if may_manage { region_options(app, pa, Permission::ManageSafetyTeams).await } else { Vec::new() };
    let (form, form_error) = match refused {
        Some((f, e)) => {
            status = StatusCode::BAD_REQUEST;
            (f, Some(e))
        }
        None => (TeamForm { kind: "patrol".into(), region_code: region.clone(), ..Default::default() }, None),
    };
    let page = SafetyPage {
        lang,
        user: pa.bar(),
        csrf: pa.csrf.clone(),
        regions: region_options(app, pa, Permission::ReadFieldWork).await,
        region,
        map,
        teams,
        tile_url: tiles.tile_url,
        tile_attribution: tiles.tile_attribution,
        may_manage,
        team_regions,
        error,
        form_error,
        added: q.contains_key("added"),
        form,
    };
    render(status, &page)
}

pub async fn safety(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    safety_page(&app, lang, &pa, &q, None).await
}

/// One member per line: a name (or `@username`), a phone and a role in any order, separated by spaces or commas.
fn parse_members(text: &str) -> Vec<MemberInput> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut m = MemberInput::default();
            let mut rest = Vec::new();
            for token in
                line.split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、')).filter(|t| !t.is_empty())
            {
                if let Some(u) = token.strip_prefix('@') {
                    m.username = Some(u.to_string());
                } else if m.phone.is_none() && token.chars().filter(char::is_ascii_digit).count() >= 7 {
                    m.phone = Some(token.to_string());
                } else if m.name.is_empty() && m.username.is_none() && rest.is_empty() {
                    m.name = token.to_string();
                } else {
                    rest.push(token);
                }
            }
            m.role = rest.join(" ");
            m
        })
        .collect()
}

/// A refused member named by its line of the form, not by its API path.
fn member_error(lang: Lang, e: &AppError) -> String {
    let text = form_error(lang, e);
    let line = e
        .field_name()
        .and_then(|f| f.strip_prefix("members["))
        .and_then(|f| f.split(']').next())
        .and_then(|i| i.parse::<usize>().ok());
    match (line, lang) {
        (Some(i), Lang::Zh) => format!("队员第{}行：{text}", i + 1),
        (Some(i), Lang::En) => format!("Member line {}: {text}", i + 1),
        (None, _) => text,
    }
}

/// Adds a team from the form; a refused form comes back as typed with the reason.
pub async fn add_team(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let form = TeamForm {
        kind: f.get("kind"),
        name: f.get("name"),
        region_code: f.get("region_code"),
        shift: f.get("shift"),
        note: f.get("note"),
        members: f.get("members"),
    };
    let input = NewTeamInput {
        kind: form.kind.clone(),
        name: form.name.clone(),
        region_code: form.region_code.clone(),
        shift: form.shift.clone(),
        note: form.note.clone(),
        members: parse_members(&form.members),
    };
    let region = f.get("region");
    match app.add_team(&f.pa.actor, input).await {
        Ok(_) => {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("region", &region).append_pair("added", "1");
            Redirect::to(&format!("/safety?{}#teams", q.finish())).into_response()
        }
        Err(e) if matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::Conflict) => {
            let q: HashMap<String, String> = [("region".to_string(), region)].into_iter().collect();
            let msg = member_error(lang, &e);
            safety_page(&app, lang, &f.pa, &q, Some((form, msg))).await
        }
        Err(e) => error_page(lang, f.pa.bar(), &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_lines_take_names_phones_usernames_and_roles_in_any_order() {
        let m = parse_members("张三 13800001111 队长\n\n@demo_grid_worker\n李四，13900002222\n王五 队员");
        assert_eq!(m.len(), 4);
        assert_eq!(
            (m[0].name.as_str(), m[0].phone.as_deref(), m[0].role.as_str()),
            ("张三", Some("13800001111"), "队长")
        );
        assert_eq!(m[1].username.as_deref(), Some("demo_grid_worker"));
        assert!(m[1].name.is_empty());
        assert_eq!((m[2].name.as_str(), m[2].phone.as_deref()), ("李四", Some("13900002222")));
        assert_eq!((m[3].name.as_str(), m[3].phone.as_deref(), m[3].role.as_str()), ("王五", None, "队员"));
    }
}
