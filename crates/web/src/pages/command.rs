//! 指挥中心 pages: the live dashboard (`/command`), the big screen for the command hall (`/command/screen`,
//! 1920×1080, dark, refreshing itself), and the monthly/quarterly report (`/command/reports`, print-ready A4;
//! `/command/reports.xlsx`, the workbook). Drawing happens in static/command.js and static/indicators.js from
//! data-* attributes; the pages carry the numbers as text too.

use super::{PageActor, UserBar, error_page, form_error, render, urlencode};
use crate::AppState;
use crate::i18n::{Lang, group_digits};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::HashMap;
use wangge_app::ErrorKind;
use wangge_app::command::{Dashboard, Report, ReportTable, Text};
use wangge_domain::region::RegionLevel;
use wangge_domain::role::Permission;

fn query_value(q: &HashMap<String, String>, k: &str) -> Option<String> {
    q.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Text helpers shared by the three templates.
pub struct Fmt {
    pub lang: Lang,
}

impl Fmt {
    pub fn tx<'a>(&self, t: &'a Text) -> &'a str {
        match self.lang {
            Lang::Zh => &t.zh,
            Lang::En => &t.en,
        }
    }

    pub fn pct(&self, v: &Option<f64>) -> String {
        wangge_domain::command::percent(*v)
    }

    pub fn num(&self, n: &i64) -> String {
        group_digits(*n)
    }

    pub fn score(&self, v: &Option<f64>) -> String {
        v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into())
    }

    /// A report cell as text, by its column's kind.
    pub fn cell<I: std::borrow::Borrow<usize>>(&self, t: &ReportTable, i: I, v: &serde_json::Value) -> String {
        let kind = t.columns.get(*i.borrow()).map(|c| c.kind.as_str()).unwrap_or("text");
        match v {
            serde_json::Value::String(s) => match s.split_once(" / ") {
                Some((zh, en)) => (if self.lang == Lang::Zh { zh } else { en }).to_string(),
                None => s.clone(),
            },
            serde_json::Value::Number(n) => {
                let x = n.as_f64().unwrap_or(0.0);
                if kind == "percent" || (kind == "auto" && !n.is_i64() && x <= 1.0) {
                    format!("{:.1}%", x * 100.0)
                } else if let Some(i) = n.as_i64() {
                    group_digits(i)
                } else {
                    format!("{x:.1}")
                }
            }
            _ => "—".into(),
        }
    }
}

/// Regions the caller may open the command centre for: districts, streets and communities (grids are reached by
/// drilling down).
async fn region_options(app: &AppState, pa: &PageActor) -> Vec<(String, String)> {
    let tree = app.region_tree(&pa.actor).await.unwrap_or_default();
    tree.into_iter()
        .filter(|r| r.level != RegionLevel::Grid && pa.actor.may(Permission::ReadCommand, &r.code))
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

fn charts(lang: Lang, d: &Dashboard) -> (String, String, String) {
    let zh = lang == Lang::Zh;
    let category = json!({
        "kind": "bar",
        "names": d.by_category.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
        "series": [
            { "name": lang.t("cmd_reported"), "values": d.by_category.iter().map(|c| c.reported).collect::<Vec<_>>() },
            { "name": lang.t("cmd_closed"), "values": d.by_category.iter().map(|c| c.closed).collect::<Vec<_>>() },
        ],
    });
    let department = json!({
        "kind": "hbar",
        "percent": true,
        "names": d.by_department.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
        "series": [{ "name": lang.t("cmd_on_time_handling"),
            "values": d.by_department.iter().map(|c| c.rate.map(|r| (r * 1000.0).round() / 10.0)).collect::<Vec<_>>() }],
    });
    let trend = json!({
        "kind": "line",
        "names": d.trend.iter().map(|p| p.day[5..].to_string()).collect::<Vec<_>>(),
        "series": [
            { "name": lang.t("cmd_reported"), "values": d.trend.iter().map(|p| p.reported).collect::<Vec<_>>() },
            { "name": lang.t("cmd_closed"), "values": d.trend.iter().map(|p| p.closed).collect::<Vec<_>>() },
        ],
    });
    let _ = zh;
    (category.to_string(), department.to_string(), trend.to_string())
}

#[derive(Template)]
#[template(path = "command.html")]
struct CommandPage {
    lang: Lang,
    user: Option<UserBar>,
    f: Fmt,
    d: Dashboard,
    regions: Vec<(String, String)>,
    tile_url: String,
    tile_attribution: String,
    chart_category: String,
    chart_department: String,
    chart_trend: String,
    /// Whether the caller may see individual register points (the layer's tag points).
    reads_register: bool,
    /// Whether the region is among `regions` (a grid is not: the select then gets it as an extra option).
    region_listed: bool,
}

#[derive(Template)]
#[template(path = "command_screen.html")]
struct ScreenPage {
    lang: Lang,
    f: Fmt,
    d: Dashboard,
    tile_url: String,
    tile_attribution: String,
    chart_category: String,
    chart_trend: String,
}

/// `/command?region=&period=`: the dashboard.
pub async fn dashboard(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let d = match app
        .dashboard(&pa.actor, query_value(&q, "region").as_deref(), query_value(&q, "period").as_deref())
        .await
    {
        Ok(d) => d,
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            return super::message(lang, 400, lang.t("cmd_title"), &form_error(lang, &e));
        }
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let tiles = match app.map_settings().await {
        Ok(t) => t,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let (chart_category, chart_department, chart_trend) = charts(lang, &d);
    let regions = region_options(&app, &pa).await;
    let page = CommandPage {
        region_listed: regions.iter().any(|r| r.0 == d.region.code),
        lang,
        user: pa.bar(),
        f: Fmt { lang },
        reads_register: pa.actor.may(Permission::ReadRegister, &d.region.code),
        d,
        regions,
        tile_url: tiles.tile_url,
        tile_attribution: tiles.tile_attribution,
        chart_category,
        chart_department,
        chart_trend,
    };
    render(StatusCode::OK, &page)
}

/// `/command/screen?region=`: the big screen (大屏) for the command hall.
pub async fn screen(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let d = match app.dashboard(&pa.actor, query_value(&q, "region").as_deref(), None).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let tiles = match app.map_settings().await {
        Ok(t) => t,
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let (chart_category, _, chart_trend) = charts(lang, &d);
    render(
        StatusCode::OK,
        &ScreenPage {
            lang,
            f: Fmt { lang },
            d,
            tile_url: tiles.tile_url,
            tile_attribution: tiles.tile_attribution,
            chart_category,
            chart_trend,
        },
    )
}

#[derive(Template)]
#[template(path = "command_report.html")]
struct ReportPage {
    lang: Lang,
    user: Option<UserBar>,
    f: Fmt,
    regions: Vec<(String, String)>,
    region: String,
    period: String,
    report: Option<Report>,
    error: Option<String>,
    /// The same report as a workbook.
    xlsx_href: String,
}

impl ReportPage {
    /// A table's chart for indicators.js (the first column names the bars), or "" for none.
    fn chart(&self, t: &ReportTable) -> String {
        let Some(spec) = &t.chart else { return String::new() };
        if t.rows.is_empty() {
            return String::new();
        }
        let names: Vec<String> = t.rows.iter().map(|r| self.f.cell(t, 0, &r[0])).collect();
        let series: Vec<serde_json::Value> = spec
            .series
            .iter()
            .map(|&c| {
                json!({
                    "name": self.f.tx(&t.columns[c].title),
                    "values": t.rows.iter().map(|r| r.get(c).and_then(|v| v.as_f64()).unwrap_or(0.0)).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({ "kind": spec.kind, "names": names, "series": series }).to_string()
    }
}

fn this_month() -> String {
    wangge_domain::command::Period::month_of(wangge_domain::event::calendar::cst_day(wangge_store::now_ms())).code()
}

/// `/command/reports?region=&period=`: the print-ready report (A4).
pub async fn reports(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !pa.actor.may_somewhere(Permission::ReadCommand) {
        return error_page(lang, pa.bar(), &wangge_app::AppError::forbidden());
    }
    let asked = query_value(&q, "region");
    let period = query_value(&q, "period").unwrap_or_else(this_month);
    let (report, error, status) = match app.command_report(&pa.actor, asked.as_deref(), &period).await {
        Ok(r) => (Some(r), None, StatusCode::OK),
        Err(e) if e.kind == ErrorKind::InvalidInput => (None, Some(form_error(lang, &e)), StatusCode::BAD_REQUEST),
        Err(e) => return error_page(lang, pa.bar(), &e),
    };
    let region = report.as_ref().map(|r| r.region.code.clone()).or(asked).unwrap_or_default();
    let xlsx_href = format!("/command/reports.xlsx?region={}&period={}", urlencode(&region), urlencode(&period));
    let page = ReportPage {
        lang,
        user: pa.bar(),
        f: Fmt { lang },
        regions: region_options(&app, &pa).await,
        region,
        period,
        report,
        error,
        xlsx_href,
    };
    render(status, &page)
}

/// `/command/reports.xlsx?region=&period=`: the workbook (watermarked, audited).
pub async fn reports_xlsx(
    State(app): State<AppState>,
    lang: Lang,
    pa: PageActor,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let period = query_value(&q, "period").unwrap_or_else(this_month);
    match app.command_report_xlsx(&pa.actor, query_value(&q, "region").as_deref(), &period).await {
        Ok((name, bytes)) => {
            let mut res = bytes.into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{}", urlencode(&name))) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) if e.kind == ErrorKind::InvalidInput => {
            super::message(lang, 400, lang.t("cmd_reports"), &form_error(lang, &e))
        }
        Err(e) => error_page(lang, pa.bar(), &e),
    }
}
