//! 议事会议 pages: the list (kind, status, overdue resolutions), the scheduling form (agenda and participants one
//! per line), and the meeting page with one form per step: sign-in, walk-ins, minutes with attachments,
//! resolutions and their progress, publication, cancelling.

use super::{
    Forms, LifeNav, Refused, done_notice, filter_choices, is_page_error, line_error, region_choices, short_time,
};
use crate::AppState;
use crate::i18n::Lang;
use crate::pages::events::{FormState, parse_record_id, status_of};
use crate::pages::{CsrfForm, PageActor, UserBar, error_page, form_error, render, urlencode};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wangge_app::life::meetings::{
    CancelInput, MeetingDetail, MeetingQuery, MeetingView, MinutesInput, NewMeetingInput, ParticipantInput,
    ProgressInput, PublishInput, ResolutionInput, SignInInput,
};
use wangge_app::{AppError, ErrorKind};
use wangge_domain::life::{MeetingKind, MeetingStatus, ResolutionStatus};
use wangge_domain::role::Permission;

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Zh { zh } else { en }
}

pub fn kind_label(lang: Lang, code: &str) -> &'static str {
    MeetingKind::parse("kind", code).map(|k| pick(lang, k.label_zh(), k.label_en())).unwrap_or("")
}

pub fn status_label(lang: Lang, code: &str) -> &'static str {
    MeetingStatus::parse("status", code).map(|k| pick(lang, k.label_zh(), k.label_en())).unwrap_or("")
}

pub fn resolution_label(lang: Lang, code: &str) -> &'static str {
    ResolutionStatus::parse("status", code).map(|k| pick(lang, k.label_zh(), k.label_en())).unwrap_or("")
}

fn kinds(lang: Lang) -> Vec<(&'static str, &'static str)> {
    MeetingKind::ALL.iter().map(|k| (k.as_str(), pick(lang, k.label_zh(), k.label_en()))).collect()
}

/// Participants typed one per line: `@username` (staff), `#123` (a register person by id), or `姓名 单位/身份`.
pub fn parse_participants(text: &str) -> Vec<ParticipantInput> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (first, rest) = match line.split_once(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、')) {
                Some((a, b)) => (a.trim(), b.trim().to_string()),
                None => (line, String::new()),
            };
            let mut p = ParticipantInput { affiliation: rest, ..Default::default() };
            if let Some(u) = first.strip_prefix('@') {
                p.username = Some(u.to_string());
            } else if let Some(id) = first.strip_prefix('#').and_then(|n| n.parse::<i64>().ok()) {
                p.person_id = Some(id);
            } else {
                p.name = Some(first.to_string());
            }
            p
        })
        .collect()
}

// ───────────────────────────── list ─────────────────────────────

#[derive(Template)]
#[template(path = "life_meetings.html")]
struct ListPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    f: FormState,
    rows: Vec<MeetingView>,
    total: i64,
    next: Option<String>,
    error: Option<String>,
    regions: Vec<(String, String)>,
    may_schedule: bool,
}

impl ListPage {
    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        kinds(self.lang)
    }
    fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        MeetingStatus::ALL.iter().map(|s| (s.as_str(), status_label(self.lang, s.as_str()))).collect()
    }
    fn kind(&self, c: &str) -> &'static str {
        kind_label(self.lang, c)
    }
    fn status(&self, c: &str) -> &'static str {
        status_label(self.lang, c)
    }
    fn time(&self, s: &str) -> String {
        short_time(s)
    }
}

fn list_link(q: &HashMap<String, String>, cursor: &str) -> String {
    let mut params: Vec<String> = q
        .iter()
        .filter(|(k, v)| *k != "cursor" && !v.is_empty())
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    params.sort();
    params.push(format!("cursor={}", urlencode(cursor)));
    format!("/life/meetings?{}", params.join("&"))
}

pub async fn list(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).map(str::trim).filter(|s| !s.is_empty());
    let query = MeetingQuery {
        region: get("region"),
        kind: get("kind"),
        status: get("status"),
        view: get("view"),
        cursor: get("cursor"),
        limit: Some(30),
    };
    let (rows, total, next, error, code) = match app.list_meetings(&pa.actor, query).await {
        Ok(p) => {
            let next = p.next_cursor.map(|c| list_link(&q, &c));
            (p.items, p.total, next, None, StatusCode::OK)
        }
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            (vec![], 0, None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST)
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let page = ListPage {
        regions: filter_choices(&app, &pa).await,
        may_schedule: pa.actor.may_somewhere(Permission::ManageCommunityLife),
        lang,
        user: pa.bar(),
        nav: LifeNav { tab: "meetings" },
        f: FormState::new(q),
        rows,
        total,
        next,
        error,
    };
    render(code, &page)
}

// ───────────────────────────── schedule ─────────────────────────────

#[derive(Template)]
#[template(path = "life_meeting_new.html")]
struct NewPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    csrf: String,
    f: FormState,
    regions: Vec<(String, String)>,
    /// A refused participant line, named by its line.
    participants_error: Option<String>,
}

impl NewPage {
    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        kinds(self.lang)
    }
    fn general(&self) -> Option<&str> {
        self.f
            .general(&["region_code", "kind", "topic", "starts_at", "ends_at", "place", "agenda"])
            .filter(|_| self.participants_error.is_none())
    }
    fn agenda_error(&self) -> Option<&str> {
        self.f.err("agenda").or_else(|| (0..30).find_map(|i| self.f.err(&format!("agenda[{i}]"))))
    }
}

async fn new_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    f: FormState,
    pe: Option<String>,
    status: StatusCode,
) -> Response {
    let page = NewPage {
        regions: region_choices(app, pa, Permission::ManageCommunityLife, true).await,
        lang,
        user: pa.bar(),
        nav: LifeNav { tab: "meetings" },
        csrf: pa.csrf.clone(),
        f,
        participants_error: pe,
    };
    render(status, &page)
}

pub async fn new_meeting(State(app): State<AppState>, lang: Lang, pa: PageActor) -> Response {
    if let Err(e) = app.authorize_anywhere(&pa.actor, Permission::ManageCommunityLife) {
        return error_page(lang, pa.bar(), &e);
    }
    new_page(&app, lang, &pa, FormState::default(), None, StatusCode::OK).await
}

pub async fn create(State(app): State<AppState>, lang: Lang, f: CsrfForm) -> Response {
    let opt = |k: &str| Some(f.get(k).trim().to_string()).filter(|v| !v.is_empty());
    let input = NewMeetingInput {
        region_code: f.get("region_code"),
        kind: f.get("kind"),
        topic: f.get("topic"),
        starts_at: f.get("starts_at"),
        ends_at: opt("ends_at"),
        place: f.get("place"),
        agenda: f.get("agenda").lines().map(str::to_string).collect(),
        participants: parse_participants(&f.get("participants")),
    };
    match app.schedule_meeting(&f.pa.actor, input).await {
        Ok(m) => Redirect::to(&format!("/life/meetings/{}?done=created", m.meeting.id)).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::Internal) => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let pe =
                e.field_name().filter(|n| n.starts_with("participants")).map(|_| line_error(lang, "participants", &e));
            let state = FormState::failed_at_path(f.fields.clone(), lang, &e);
            new_page(&app, lang, &f.pa, state, pe, status_of(&e)).await
        }
    }
}

// ───────────────────────────── one meeting ─────────────────────────────

#[derive(Template)]
#[template(path = "life_meeting.html")]
struct MeetingPage {
    lang: Lang,
    user: Option<UserBar>,
    nav: LifeNav,
    csrf: String,
    d: MeetingDetail,
    forms: Forms,
    notice: Option<String>,
}

impl MeetingPage {
    fn kind(&self, c: &str) -> &'static str {
        kind_label(self.lang, c)
    }
    fn status(&self, c: &str) -> &'static str {
        status_label(self.lang, c)
    }
    fn rstatus(&self, c: &str) -> &'static str {
        resolution_label(self.lang, c)
    }
    fn time(&self, s: &str) -> String {
        short_time(s)
    }
    fn can(&self, step: &str) -> bool {
        self.d.actions.iter().any(|a| a == step)
    }
    fn participant_kind(&self, k: &str) -> &'static str {
        match k {
            "person" => self.lang.t("lf_p_person"),
            "user" => self.lang.t("lf_p_user"),
            _ => self.lang.t("lf_p_guest"),
        }
    }
    fn minutes_value(&self) -> String {
        if self.forms.failed == "minutes" {
            self.forms.v("minutes", "minutes").to_string()
        } else {
            self.d.minutes.clone()
        }
    }
    fn is_image(&self, ct: &str) -> bool {
        ct.starts_with("image/")
    }
    fn progress_statuses(&self) -> Vec<(&'static str, &'static str)> {
        [ResolutionStatus::InProgress, ResolutionStatus::Done, ResolutionStatus::Dropped]
            .iter()
            .map(|s| (s.as_str(), resolution_label(self.lang, s.as_str())))
            .collect()
    }
    /// The form of resolution `id` (`progress-<id>`).
    fn pform(&self, id: &i64) -> String {
        format!("progress-{id}")
    }
}

async fn meeting_page(
    app: &AppState,
    lang: Lang,
    pa: &PageActor,
    id: i64,
    refused: Option<Refused>,
    notice: Option<String>,
) -> Response {
    let d = match app.meeting_detail(&pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let (forms, status) = Forms::from(refused);
    let page =
        MeetingPage { lang, user: pa.bar(), nav: LifeNav { tab: "meetings" }, csrf: pa.csrf.clone(), d, forms, notice };
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
    meeting_page(&app, lang, &pa, id, None, done_notice(lang, &q)).await
}

fn version(f: &CsrfForm) -> Result<Option<i64>, AppError> {
    match f.get("version").trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| AppError::field("version", "版本无效 / bad version")),
    }
}

fn ids(s: &str, field: &str) -> Result<Vec<i64>, AppError> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| x.parse::<i64>().map_err(|_| AppError::field(field, "附件编号无效 / bad attachment id")))
        .collect()
}

/// One step from the meeting page (`form` names it). A refusal shows the page again with the reason in that
/// step's form and what was typed kept.
pub async fn act(State(app): State<AppState>, lang: Lang, Path(id): Path<String>, f: CsrfForm) -> Response {
    let id = match parse_record_id(lang, &f.pa, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let form = f.get("form");
    let a = &f.pa.actor;
    let result = match form.as_str() {
        "participants" => {
            app.add_meeting_participants(
                a,
                id,
                parse_participants(&f.get("participants")),
                !f.get("present").is_empty(),
            )
            .await
        }
        "sign_in" => {
            let picked: Vec<i64> = f
                .fields
                .iter()
                .filter(|(k, v)| k.starts_with("p_") && !v.is_empty())
                .filter_map(|(k, _)| k[2..].parse().ok())
                .collect();
            app.sign_in_meeting(a, id, SignInInput { participant_ids: picked }).await
        }
        "minutes" => match (version(&f), ids(&f.get("attachments"), "attachments")) {
            (Ok(version), Ok(attachments)) => {
                app.record_minutes(a, id, MinutesInput { minutes: f.get("minutes"), attachments, version }).await
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        },
        "resolve" => {
            let due = Some(f.get("due_on")).filter(|d| !d.trim().is_empty());
            app.add_resolution(a, id, ResolutionInput { content: f.get("content"), owner: f.get("owner"), due_on: due })
                .await
        }
        p if p.starts_with("progress-") => match (p[9..].parse::<i64>(), version(&f)) {
            (Ok(rid), Ok(version)) => {
                let status = Some(f.get("status")).filter(|s| !s.trim().is_empty());
                app.report_resolution_progress(a, id, rid, ProgressInput { status, note: f.get("note"), version }).await
            }
            (_, Err(e)) => Err(e),
            (Err(_), _) => Err(AppError::not_found("resolution")),
        },
        "publish" | "unpublish" => match version(&f) {
            Ok(version) => app.publish_meeting(a, id, PublishInput { published: form == "publish", version }).await,
            Err(e) => Err(e),
        },
        "cancel" => match version(&f) {
            Ok(version) => app.cancel_meeting(a, id, CancelInput { note: f.get("note"), version }).await,
            Err(e) => Err(e),
        },
        _ => Err(AppError::field("form", "未知操作 / unknown step")),
    };
    match result {
        Ok(_) => {
            Redirect::to(&format!("/life/meetings/{id}?done={}#{}", urlencode(&form), urlencode(&form))).into_response()
        }
        Err(e) if is_page_error(&e) => error_page(lang, f.pa.bar(), &e),
        Err(e) => {
            let mut r = Refused::new(&form, &f.fields, lang, &e);
            if form == "participants" {
                // Lines of the textarea are named by their number.
                let msg = line_error(lang, "participants", &e);
                r.f = FormState::failed_at_path(f.fields.clone(), lang, &AppError::new(e.kind, msg));
            }
            meeting_page(&app, lang, &f.pa, id, Some(r), None).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn participant_lines_name_staff_residents_and_guests() {
        let p = parse_participants("@demo_grid_worker\n#42 居民代表\n周经理 物业公司\n\n吴代表，区人大代表");
        assert_eq!(p.len(), 4);
        assert_eq!(p[0].username.as_deref(), Some("demo_grid_worker"));
        assert_eq!((p[1].person_id, p[1].affiliation.as_str()), (Some(42), "居民代表"));
        assert_eq!((p[2].name.as_deref(), p[2].affiliation.as_str()), (Some("周经理"), "物业公司"));
        assert_eq!((p[3].name.as_deref(), p[3].affiliation.as_str()), (Some("吴代表"), "区人大代表"));
    }
}
