//! 指挥中心 (issue #11): the live dashboard of a region (KPIs, children that lag, charts by category, department
//! and day), the command map (grids coloured by open and overdue events, a heat layer, register, patrol, hazard
//! and service-station layers), the live feed of new and overdue events (shared by every server process through
//! the database), and the monthly and quarterly reports (print page and Excel). Everything is read only, scoped by
//! [`Permission::ReadCommand`], and read from rollups: `event_stats_day/month`, `event_open`,
//! `register_grid_counts` — never by scanning events.
//!
//! Sources are separate functions so that areas still on their way plug in by filling theirs: `panel_*` for
//! the dashboard and `section_*` for the reports.

use crate::events::day_month;
use crate::{App, AppError, Result};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::broadcast;
use wangge_domain::command::{Load, Period, percent};
use wangge_domain::event::calendar::{cst_day, format_cst};
use wangge_domain::event::{Counts, Indicators};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::command::{FeedRow, OpenCount};
use wangge_store::{Store, now_ms};

const DAY_MS: i64 = 86_400_000;
/// The dashboard's trend chart covers this many days up to today.
pub const TREND_DAYS: i64 = 30;
/// Points the heat layer carries at most (overdue first).
pub const HEAT_POINTS: i64 = 5_000;
/// Register counts older than this are rebuilt by the serving processes.
pub const REGISTER_COUNTS_MAX_AGE_MS: i64 = 10 * 60_000;

/// A text in both languages (report titles and headers: the print page shows one, the workbook Chinese).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

fn t(zh: &str, en: &str) -> Text {
    Text { zh: zh.into(), en: en.into() }
}

// ---------------------------------------------------------------- the live feed

/// One entry of the live feed as dashboards receive it (`data:` of a server-sent event whose `id:` is `id`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedItem {
    /// Feed position: send it back as `Last-Event-ID` (or `after`) to resume.
    pub id: i64,
    /// `new` | `overdue`.
    pub kind: String,
    /// RFC 3339, China Standard Time.
    pub at: String,
    pub event_id: i64,
    pub grid_code: String,
    pub category: String,
    pub category_name: String,
    pub status: String,
    pub lat: f64,
    pub lon: f64,
    pub description: String,
}

/// The feed inside one server process: a task tails `command_feed` (woken by PostgreSQL's NOTIFY, or polling
/// the id watermark on SQLite) and broadcasts each new row to this process's subscribers. Started by the first
/// subscriber, so commands and tests that never subscribe never poll.
pub struct FeedHub {
    tx: broadcast::Sender<Arc<FeedRow>>,
    started: std::sync::Once,
}

impl Default for FeedHub {
    fn default() -> Self {
        FeedHub { tx: broadcast::channel(4096).0, started: std::sync::Once::new() }
    }
}

impl FeedHub {
    fn subscribe(&self, store: &Store) -> broadcast::Receiver<Arc<FeedRow>> {
        let rx = self.tx.subscribe();
        self.started.call_once(|| {
            let (store, tx) = (store.clone(), self.tx.clone());
            tokio::spawn(tail_feed(store, tx));
        });
        rx
    }
}

/// Reads new feed rows forever. On PostgreSQL two transactions may commit out of id order, so each read looks
/// back a few ids and skips those already sent; on SQLite one writer commits in id order.
async fn tail_feed(store: Store, tx: broadcast::Sender<Arc<FeedRow>>) {
    let pg = store.backend() == wangge_store::Backend::Postgres;
    let margin = if pg { 64 } else { 0 };
    let mut listener = None;
    let mut watermark = loop {
        match store.feed_max_id().await {
            Ok(n) => break n,
            Err(e) => {
                tracing::warn!(error = %e, "feed: reading the watermark failed");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    };
    let mut sent: BTreeSet<i64> = BTreeSet::new();
    loop {
        if pg && listener.is_none() {
            match store.feed_listener().await {
                Ok(l) => listener = l,
                Err(e) => tracing::warn!(error = %e, "feed: LISTEN failed; polling"),
            }
        }
        match listener.as_mut() {
            // Woken by a commit anywhere on this database, or every second in case a notification was lost.
            Some(l) => {
                if let Ok(Err(e)) = tokio::time::timeout(std::time::Duration::from_secs(1), l.recv()).await {
                    tracing::warn!(error = %e, "feed: listener lost; reconnecting");
                    listener = None;
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
            None => tokio::time::sleep(std::time::Duration::from_millis(if pg { 1000 } else { 100 })).await,
        }
        let low = (watermark - margin).max(0);
        let rows = match store.feed_after(low, None, 2000).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "feed: read failed");
                continue;
            }
        };
        for r in rows {
            if !sent.insert(r.id) {
                continue;
            }
            watermark = watermark.max(r.id);
            // No receivers is fine: nobody is watching right now.
            let _ = tx.send(Arc::new(r));
        }
        let keep_from = (watermark - margin).max(0);
        sent = sent.split_off(&keep_from);
    }
}

/// One dashboard's subscription: entries of its region's subtree, first those after its resume point, then live.
pub struct FeedSubscription {
    region: String,
    rx: broadcast::Receiver<Arc<FeedRow>>,
    backlog: std::collections::VecDeque<FeedRow>,
    last_sent: i64,
    /// Ids already delivered from the database, so the live copy of the same row is not sent twice.
    replayed: BTreeSet<i64>,
    app: Arc<App>,
}

impl FeedSubscription {
    /// The next entry; waits for one. `None` only when the process shuts the feed down.
    pub async fn next(&mut self) -> Option<FeedItem> {
        loop {
            if let Some(r) = self.backlog.pop_front() {
                self.last_sent = self.last_sent.max(r.id);
                self.replayed.insert(r.id);
                return Some(self.app.feed_item(&r).await);
            }
            match self.rx.recv().await {
                Ok(r) => {
                    if !r.grid_code.starts_with(&self.region) || self.replayed.contains(&r.id) {
                        continue;
                    }
                    self.last_sent = self.last_sent.max(r.id);
                    return Some(self.app.feed_item(&r).await);
                }
                // Too slow to keep up: catch up from the database from the last entry sent.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let rows =
                        self.app.store.feed_after(self.last_sent, Some(&self.region), 500).await.unwrap_or_default();
                    self.backlog.extend(rows);
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

impl App {
    /// Subscribes `actor` to the feed of `region` (default: their first command region). With `after` (the
    /// `Last-Event-ID` of a reconnecting browser), the entries since then come first, read from the database.
    pub async fn feed_subscribe(
        self: &Arc<Self>,
        actor: &Actor,
        region: Option<&str>,
        after: Option<i64>,
    ) -> Result<FeedSubscription> {
        self.authorize_anywhere(actor, Permission::ReadCommand)?;
        let region = self.region_for(actor, Permission::ReadCommand, region).await?;
        let rx = self.feed.subscribe(&self.store);
        let backlog = match after {
            Some(a) if a >= 0 => self.store.feed_after(a, Some(&region), 500).await?,
            Some(_) => return Err(AppError::field("after", "应为非负整数 / must be a non-negative integer")),
            None => Vec::new(),
        };
        Ok(FeedSubscription {
            region,
            rx,
            backlog: backlog.into(),
            last_sent: after.unwrap_or(0),
            replayed: BTreeSet::new(),
            app: self.clone(),
        })
    }

    async fn feed_item(&self, r: &FeedRow) -> FeedItem {
        let name = match self.event_reference().await {
            Ok(reference) => reference.category(&r.category_code).map(|c| c.name.clone()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        FeedItem {
            id: r.id,
            kind: r.kind.clone(),
            at: format_cst(r.at),
            event_id: r.event_id,
            grid_code: r.grid_code.clone(),
            category: r.category_code.clone(),
            category_name: name,
            status: r.status.clone(),
            lat: r.lat,
            lon: r.lon,
            description: r.description.clone(),
        }
    }

    /// Housekeeping for the serving loop: prunes feed entries older than a week and rebuilds the register
    /// counts when they are older than [`REGISTER_COUNTS_MAX_AGE_MS`]. Several processes may run it at once.
    /// Whether a failed command-centre read should run again on the primary: it failed inside (not on bad input
    /// or scope) while dashboard reads went to the standby (one that just died, or cancelled the query for a
    /// replay conflict). The standby is then set aside until its next check finds it well.
    fn retry_on_primary(&self, e: &AppError) -> bool {
        e.kind == crate::ErrorKind::Internal && self.store.set_replica_aside()
    }

    pub async fn command_housekeeping(&self) -> Result<()> {
        self.store.prune_feed(now_ms() - 7 * DAY_MS).await?;
        // Rate-limit attempts older than every window.
        self.store.rate_sweep().await?;
        let fresh = self.store.register_counts_refreshed_at().await?;
        if fresh.is_none_or(|at| now_ms() - at > REGISTER_COUNTS_MAX_AGE_MS) {
            self.store.refresh_register_counts().await?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- the dashboard

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionRef {
    pub code: String,
    pub name: String,
    pub level: String,
}

/// The headline numbers.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Kpis {
    /// Reported today (China time).
    pub today_reported: i64,
    /// Open now (reported … verified, suspended).
    pub open: i64,
    /// Open and past their stage deadline now.
    pub overdue: i64,
    /// Reported in the period.
    pub reported: i64,
    /// Closed in the period.
    pub closed: i64,
    /// 结案率 in the period (0–1).
    pub closure_rate: Option<f64>,
    /// 按期结案率 in the period (0–1).
    pub on_time_rate: Option<f64>,
    /// Mean satisfaction 1–5 in the period.
    pub satisfaction: Option<f64>,
}

/// A child region (or grid) with its load: the drill-down table, worst first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChildLoad {
    pub code: String,
    pub name: String,
    pub level: String,
    pub open: i64,
    pub overdue: i64,
    pub reported: i64,
    pub closed: i64,
    pub closure_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    /// `calm` | `open` | `overdue` | `hot`.
    pub load: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CountRow {
    pub key: String,
    pub name: String,
    pub reported: i64,
    pub closed: i64,
    /// 按时处置率 (departments) or 结案率 (categories), 0–1.
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DayPoint {
    pub day: String,
    pub reported: i64,
    pub closed: i64,
}

/// A box of figures from one source (field work, disputes, safety, services, assessment). `available` is false
/// for a source not in this build yet: the box is shown empty with its name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Panel {
    pub key: String,
    pub title: Text,
    pub available: bool,
    pub figures: Vec<Figure>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Figure {
    pub label: Text,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub region: RegionRef,
    /// From the caller's top region down to this one (breadcrumbs).
    pub path: Vec<RegionRef>,
    /// `2026-11` / `2026-Q4`.
    pub period: String,
    pub period_label: Text,
    pub kpis: Kpis,
    /// Children of the region (grids of a community; the grid itself at grid level), worst first.
    pub children: Vec<ChildLoad>,
    pub by_category: Vec<CountRow>,
    pub by_department: Vec<CountRow>,
    /// Reported and closed per day over the last 30 days.
    pub trend: Vec<DayPoint>,
    pub panels: Vec<Panel>,
    /// The newest feed entries (newest first); `feed_last_id` is where the live stream should resume.
    pub feed: Vec<FeedItem>,
    pub feed_last_id: i64,
}

/// A grid on the command map.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GridLoad {
    pub code: String,
    pub open: i64,
    pub overdue: i64,
    pub load: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HeatPoint {
    pub lat: f64,
    pub lon: f64,
    /// 1 for an open event, 2 for an overdue one.
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommandMap {
    pub region_code: String,
    /// Grids with open events (the others are calm).
    pub grids: Vec<GridLoad>,
    pub heat: Vec<HeatPoint>,
    /// True when the region holds more open events than the heat layer carries.
    pub heat_truncated: bool,
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// A closure rate over a period window: events registered last month and closed this month count in this
/// month's 结案数 but not its 应结案数, so a short window can exceed 100 %; shown capped.
fn capped(a: i64, b: i64) -> Option<f64> {
    ratio(a, b).map(|r| r.min(1.0))
}

impl App {
    /// The region asked for with `perm` (404 outside the scope, 403 without the permission), or the caller's first.
    async fn command_region(&self, actor: &Actor, region: Option<&str>) -> Result<wangge_store::regions::RegionRow> {
        self.authorize_anywhere(actor, Permission::ReadCommand)?;
        let code = self.region_for(actor, Permission::ReadCommand, region).await?;
        self.store.region(&code).await?.ok_or_else(|| AppError::not_found(&code))
    }

    fn period_or_this_month(period: Option<&str>) -> Result<Period> {
        match period.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Period::parse("period", p).map_err(AppError::from),
            None => Ok(Period::month_of(cst_day(now_ms()))),
        }
    }

    async fn region_path(&self, actor: &Actor, r: &wangge_store::regions::RegionRow) -> Result<Vec<RegionRef>> {
        let mut path = vec![RegionRef {
            code: r.region.code.clone(),
            name: r.region.name.clone(),
            level: r.region.level.as_str().into(),
        }];
        let mut parent = r.region.parent_code.clone();
        while let Some(p) = parent {
            if !actor.may(Permission::ReadCommand, &p) {
                break;
            }
            let Some(pr) = self.store.region(&p).await? else { break };
            parent = pr.region.parent_code.clone();
            path.push(RegionRef { code: pr.region.code, name: pr.region.name, level: pr.region.level.as_str().into() });
        }
        path.reverse();
        Ok(path)
    }

    /// The dashboard of `region` (default: the caller's first) for `period` (default: this month).
    pub async fn dashboard(&self, actor: &Actor, region: Option<&str>, period: Option<&str>) -> Result<Dashboard> {
        match self.dashboard_once(actor, region, period).await {
            Err(e) if self.retry_on_primary(&e) => self.dashboard_once(actor, region, period).await,
            r => r,
        }
    }

    async fn dashboard_once(&self, actor: &Actor, region: Option<&str>, period: Option<&str>) -> Result<Dashboard> {
        let r = self.command_region(actor, region).await?;
        let period = Self::period_or_this_month(period)?;
        let code = r.region.code.clone();
        let roots = Some(vec![code.clone()]);
        let (from, to) = (period.first_day().to_string(), period.last_day().to_string());
        let now = now_ms();
        let (today, _) = day_month(now);

        // Independent rollup reads run side by side (the pool has several readers): on a busy machine the
        // dashboard's p95 was the sum of ~15 reads one after another.
        let (totals, today_counts, open) = tokio::try_join!(
            self.store.stats_total(&roots, &from, &to),
            self.store.stats_total(&roots, &today, &today),
            self.store.open_by_grid(&code, now),
        )?;
        let (totals, today_counts) = (Counts::from_values(&totals), Counts::from_values(&today_counts));
        let ind = Indicators::from_counts(&totals);
        let kpis = Kpis {
            today_reported: today_counts.reported,
            open: open.iter().map(|(_, c)| c.open).sum(),
            overdue: open.iter().map(|(_, c)| c.overdue).sum(),
            reported: totals.reported,
            closed: totals.closed,
            closure_rate: ind.closure_rate,
            on_time_rate: ind.on_time_rate,
            satisfaction: ind.satisfaction,
        };
        let children = self.child_loads(&r, &from, &to, &open).await?;
        let reference = self.event_reference().await?;
        let months = period.months();
        let (m_from, m_to) = (months[0].clone(), months[months.len() - 1].clone());
        // Categories gathered under their class (大类), the level the seed documents' reports count by.
        let mut classes: BTreeMap<String, (String, i64, i64, i64)> = BTreeMap::new();
        for (cat, v) in self.store.stats_by('c', &roots, &m_from, &m_to).await? {
            let c = Counts::from_values(&v);
            let class = reference.category(&cat).and_then(|c| c.parent_code.clone()).unwrap_or(cat.clone());
            let name = reference.category(&class).map(|c| c.name.clone()).unwrap_or(class.clone());
            let e = classes.entry(class).or_insert((name, 0, 0, 0));
            e.1 += c.reported;
            e.2 += c.closed;
            e.3 += c.registered;
        }
        let mut by_category: Vec<CountRow> = classes
            .into_iter()
            .map(|(key, (name, reported, closed, registered))| CountRow {
                key,
                name,
                reported,
                closed,
                rate: capped(closed, registered),
            })
            .collect();
        by_category.sort_by(|a, b| b.reported.cmp(&a.reported).then(a.key.cmp(&b.key)));
        by_category.truncate(12);
        let depts: HashMap<String, String> =
            self.store.departments().await?.into_iter().map(|(code, name, _)| (code, name)).collect();
        let mut by_department: Vec<CountRow> = self
            .store
            .stats_by('d', &roots, &m_from, &m_to)
            .await?
            .into_iter()
            .map(|(key, v)| {
                let c = Counts::from_values(&v);
                CountRow {
                    name: depts.get(&key).cloned().unwrap_or(key.clone()),
                    key,
                    reported: c.dispatched,
                    closed: c.handled,
                    rate: ratio(c.handled_on_time, c.dispatched),
                }
            })
            .collect();
        // Departments that lag first: the lowest 按时处置率, then the most work.
        by_department
            .sort_by(|a, b| a.rate.unwrap_or(2.0).total_cmp(&b.rate.unwrap_or(2.0)).then(b.reported.cmp(&a.reported)));
        let trend_from = day_month(now - (TREND_DAYS - 1) * DAY_MS).0;
        let per_day: HashMap<String, (i64, i64)> = self
            .store
            .stats_per_day(&code, &trend_from, &today)
            .await?
            .into_iter()
            .map(|(d, a, b)| (d, (a, b)))
            .collect();
        let trend = (0..TREND_DAYS)
            .rev()
            .map(|k| {
                let day = day_month(now - k * DAY_MS).0;
                let (reported, closed) = per_day.get(&day).copied().unwrap_or((0, 0));
                DayPoint { day, reported, closed }
            })
            .collect();
        let (field, disputes, safety, services, assessment) = tokio::try_join!(
            self.panel_field_work(&code, &from, &to),
            self.panel_disputes(actor, &code, &from, &to),
            self.panel_safety(&code, &open),
            self.panel_services(actor, &code, &from, &to),
            self.panel_assessment(actor, &code, period),
        )?;
        let panels = vec![field, disputes, safety, services, assessment];
        let recent = self.store.feed_recent(&code, 20).await?;
        let feed_last_id = self.store.feed_max_id().await?;
        let mut feed = Vec::with_capacity(recent.len());
        for f in &recent {
            feed.push(self.feed_item(f).await);
        }
        Ok(Dashboard {
            path: self.region_path(actor, &r).await?,
            region: RegionRef { code, name: r.region.name.clone(), level: r.region.level.as_str().into() },
            period: period.code(),
            period_label: Text { zh: period.label_zh(), en: period.label_en() },
            kpis,
            children,
            by_category,
            by_department,
            trend,
            panels,
            feed,
            feed_last_id,
        })
    }

    /// Per child of `r` (per grid at community level; the grid itself at grid level): open and overdue now,
    /// reported and closed in the period, worst first.
    async fn child_loads(
        &self,
        r: &wangge_store::regions::RegionRow,
        from: &str,
        to: &str,
        open: &[(String, OpenCount)],
    ) -> Result<Vec<ChildLoad>> {
        let code = &r.region.code;
        let children = self.store.region_children(code).await?;
        let kids: Vec<(String, String, String)> = if children.is_empty() {
            vec![(code.clone(), r.region.name.clone(), r.region.level.as_str().to_string())]
        } else {
            children.into_iter().map(|c| (c.region.code, c.region.name, c.region.level.as_str().to_string())).collect()
        };
        let stats = self.store.stats_by_grid(&Some(vec![code.clone()]), from, to).await?;
        let child_of = |grid: &str| kids.iter().position(|(c, _, _)| grid.starts_with(c.as_str()));
        let mut sums = vec![(Counts::default(), OpenCount::default()); kids.len()];
        for (g, v) in stats {
            if let Some(i) = child_of(&g) {
                let c = Counts::from_values(&v);
                let s = &mut sums[i].0;
                s.reported += c.reported;
                s.closed += c.closed;
                s.closed_on_time += c.closed_on_time;
                s.registered += c.registered;
            }
        }
        for (g, o) in open {
            if let Some(i) = child_of(g) {
                sums[i].1.open += o.open;
                sums[i].1.overdue += o.overdue;
            }
        }
        let mut out: Vec<ChildLoad> = kids
            .into_iter()
            .zip(sums)
            .map(|((code, name, level), (c, o))| ChildLoad {
                code,
                name,
                level,
                open: o.open,
                overdue: o.overdue,
                reported: c.reported,
                closed: c.closed,
                closure_rate: capped(c.closed, c.registered),
                on_time_rate: capped(c.closed_on_time, c.registered),
                load: Load::of(o.open, o.overdue).as_str().into(),
            })
            .collect();
        out.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(b.open.cmp(&a.open)).then(a.code.cmp(&b.code)));
        Ok(out)
    }

    /// The command map of `region`: grids with open events (coloured by [`Load`]) and the heat layer's points.
    pub async fn command_map(&self, actor: &Actor, region: Option<&str>) -> Result<CommandMap> {
        match self.command_map_once(actor, region).await {
            Err(e) if self.retry_on_primary(&e) => self.command_map_once(actor, region).await,
            r => r,
        }
    }

    async fn command_map_once(&self, actor: &Actor, region: Option<&str>) -> Result<CommandMap> {
        let r = self.command_region(actor, region).await?;
        let code = r.region.code;
        let now = now_ms();
        let grids = self
            .store
            .open_by_grid(&code, now)
            .await?
            .into_iter()
            .map(|(g, c)| GridLoad {
                code: g,
                open: c.open,
                overdue: c.overdue,
                load: Load::of(c.open, c.overdue).as_str().into(),
            })
            .collect::<Vec<_>>();
        let total: i64 = grids.iter().map(|g| g.open).sum();
        let heat = self
            .store
            .open_points(&code, now, &[], HEAT_POINTS)
            .await?
            .into_iter()
            .map(|p| HeatPoint { lat: p.lat, lon: p.lon, weight: if p.overdue { 2.0 } else { 1.0 } })
            .collect::<Vec<_>>();
        Ok(CommandMap { region_code: code, heat_truncated: total > heat.len() as i64, grids, heat })
    }

    // ---- dashboard panels: one function per source ----------------------------------------------------------

    /// Field work in the period: visits done, people visited, patrols and their distance.
    async fn panel_field_work(&self, code: &str, from: &str, to: &str) -> Result<Panel> {
        let visits = self.store.visits_per_grid(code, from, to).await?;
        let patrols = self.store.patrols_per_grid(code, from, to).await?;
        let km: f64 = patrols.iter().map(|p| p.2).sum::<f64>() / 1000.0;
        Ok(Panel {
            key: "field".into(),
            title: t("走访巡查", "Visits and patrols"),
            available: true,
            figures: vec![
                Figure {
                    label: t("走访人次", "Visits"), value: visits.iter().map(|v| v.1).sum::<i64>().to_string()
                },
                Figure {
                    label: t("走访人数", "People visited"),
                    value: visits.iter().map(|v| v.2).sum::<i64>().to_string(),
                },
                Figure {
                    label: t("巡查次数", "Patrols"), value: patrols.iter().map(|p| p.1).sum::<i64>().to_string()
                },
                Figure { label: t("巡查里程(km)", "Patrolled (km)"), value: format!("{km:.1}") },
            ],
        })
    }

    /// Disputes registered in the period and how mediation went (statistics only, no parties).
    async fn panel_disputes(&self, actor: &Actor, code: &str, from: &str, to: &str) -> Result<Panel> {
        let title = t("矛盾纠纷", "Disputes");
        if !actor.may(Permission::ReadDisputeStats, code) {
            return Ok(Panel { key: "disputes".into(), title, available: false, figures: Vec::new() });
        }
        let s = self.dispute_stats(actor, Some(code), Some(from), Some(to)).await?;
        let resolved: i64 =
            s.by_status.iter().filter(|c| c.key == "agreed" || c.key == "closed").map(|c| c.count).sum();
        Ok(Panel {
            key: "disputes".into(),
            title,
            available: true,
            figures: vec![
                Figure { label: t("登记", "Registered"), value: s.total.to_string() },
                Figure { label: t("调解成功/结案", "Agreed or closed"), value: resolved.to_string() },
                Figure { label: t("调解成功率", "Success rate"), value: percent(s.success_rate) },
                Figure { label: t("风险升级", "Risk flagged"), value: s.risk_flagged.to_string() },
            ],
        })
    }

    /// Safety now: open hazards (治安、安全隐患) and people of the key groups in the register counts.
    async fn panel_safety(&self, code: &str, open: &[(String, OpenCount)]) -> Result<Panel> {
        let hazards = OpenCount {
            open: open.iter().map(|(_, c)| c.hazards).sum(),
            overdue: open.iter().map(|(_, c)| c.hazards_overdue).sum(),
            ..Default::default()
        };
        let sensitive: BTreeSet<String> = self
            .store
            .tag_kinds()
            .await?
            .into_iter()
            .filter(|k| k.sensitive)
            .map(|k| format!("tag:{}", k.code))
            .collect();
        let key_people: i64 = self
            .store
            .register_counts(code)
            .await?
            .into_iter()
            .filter(|(_, k, _)| sensitive.contains(k))
            .map(|(_, _, n)| n)
            .sum();
        Ok(Panel {
            key: "safety".into(),
            title: t("平安建设", "Safety"),
            available: true,
            figures: vec![
                Figure { label: t("在办隐患", "Open hazards"), value: hazards.open.to_string() },
                Figure { label: t("其中超期", "of which overdue"), value: hazards.overdue.to_string() },
                Figure { label: t("重点人群", "Key-group people"), value: key_people.to_string() },
            ],
        })
    }

    /// 便民服务 (一窗受理, issue #8) in the period: applications received and finished, on-time rate, satisfaction.
    async fn panel_services(&self, actor: &Actor, code: &str, from: &str, to: &str) -> Result<Panel> {
        let title = t("便民服务办件", "Services handled");
        if !actor.may(Permission::ReadServiceStats, code) {
            return Ok(Panel { key: "services".into(), title, available: false, figures: Vec::new() });
        }
        let s = self.service_stats(actor, Some(code), Some(from), Some(to)).await?;
        Ok(Panel {
            key: "services".into(),
            title,
            available: true,
            figures: vec![
                Figure { label: t("受理", "Received"), value: s.total.to_string() },
                Figure { label: t("办结", "Finished"), value: s.completed.to_string() },
                Figure { label: t("按时办结率", "On time"), value: percent(s.on_time_rate) },
                Figure { label: t("当前超期", "Overdue now"), value: s.overdue.to_string() },
                Figure {
                    label: t("满意度", "Satisfaction"),
                    value: s.satisfaction.map(|x| format!("{x:.1}/5")).unwrap_or_else(|| "—".into()),
                },
            ],
        })
    }

    /// 考核 (issue #10): the year's star-rated communities of the region (approved, awaiting review). Read from the
    /// star assessments only: scoring workers or departments reads their records and stays in the report.
    async fn panel_assessment(&self, actor: &Actor, code: &str, period: Period) -> Result<Panel> {
        let title = t("考核结果", "Assessment results");
        if !actor.may(Permission::ReadAssessment, code) {
            return Ok(Panel { key: "assessment".into(), title, available: false, figures: Vec::new() });
        }
        let year = period_year(period);
        let stars = self.star_list(actor, Some(code), Some(year)).await?;
        let approved: Vec<_> = stars.iter().filter(|s| s.status == "approved").collect();
        let waiting = stars.iter().filter(|s| matches!(s.status.as_str(), "declared" | "reviewed")).count();
        let flagged = stars.iter().filter(|s| !s.flag_reason.is_empty()).count();
        Ok(Panel {
            key: "assessment".into(),
            title,
            available: true,
            figures: vec![
                Figure {
                    label: t(&format!("{year}年星级社区"), &format!("Star communities {year}")),
                    value: approved.len().to_string(),
                },
                Figure {
                    label: t("其中四星以上", "of which 4★ or more"),
                    value: approved.iter().filter(|s| s.stars >= 4).count().to_string(),
                },
                Figure { label: t("待审核申报", "Declarations to review"), value: waiting.to_string() },
                Figure { label: t("需复核", "Flagged for review"), value: flagged.to_string() },
            ],
        })
    }
}

// ---------------------------------------------------------------- map layers

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LayerGrid {
    pub code: String,
    /// Figures of the grid by key (`households`, `residents`, a tag code, `patrols`…).
    pub values: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LayerPoint {
    pub lat: f64,
    pub lon: f64,
    pub label: String,
    pub count: i64,
    /// A page about the point for those who may open it (an event), else empty.
    pub href: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LegendItem {
    pub key: String,
    pub name: Text,
    pub sensitive: bool,
}

/// One overlay of the command map.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Layer {
    /// `register` | `patrols` | `hazards` | `stations`.
    pub layer: String,
    /// False for a source not in this build yet (service stations come with 一窗受理).
    pub available: bool,
    /// The keys `values` may hold, with their names.
    pub legend: Vec<LegendItem>,
    pub grids: Vec<LayerGrid>,
    pub points: Vec<LayerPoint>,
    /// When the figures were counted (register counts are rebuilt every few minutes), RFC 3339.
    pub as_of: Option<String>,
}

impl App {
    /// An overlay of the command map. `register`: households, residents and people per group tag per grid (counts
    /// for everyone who may open the command centre); with `tag`, the houses where those people live — only for
    /// those who read the register (and sensitive tags only for those who read them). `patrols`: patrols and
    /// distance per grid over the last 30 days. `hazards`: open 治安/安全 hazards as points. `stations`: none yet.
    pub async fn command_layer(
        &self,
        actor: &Actor,
        layer: &str,
        region: Option<&str>,
        tag: Option<&str>,
    ) -> Result<Layer> {
        match self.command_layer_once(actor, layer, region, tag).await {
            Err(e) if self.retry_on_primary(&e) => self.command_layer_once(actor, layer, region, tag).await,
            r => r,
        }
    }

    async fn command_layer_once(
        &self,
        actor: &Actor,
        layer: &str,
        region: Option<&str>,
        tag: Option<&str>,
    ) -> Result<Layer> {
        let r = self.command_region(actor, region).await?;
        let code = r.region.code;
        let empty = |name: &str, available: bool| Layer {
            layer: name.into(),
            available,
            legend: Vec::new(),
            grids: Vec::new(),
            points: Vec::new(),
            as_of: None,
        };
        match layer {
            "register" => self.register_layer(actor, &code, tag.map(str::trim).filter(|t| !t.is_empty())).await,
            "patrols" => {
                let since = now_ms() - wangge_domain::safety::COVERAGE_DAYS * DAY_MS;
                let mut out = empty("patrols", true);
                out.legend = vec![
                    LegendItem { key: "patrols".into(), name: t("巡查次数", "Patrols"), sensitive: false },
                    LegendItem { key: "km".into(), name: t("巡查里程(km)", "Distance (km)"), sensitive: false },
                ];
                out.grids = self
                    .store
                    .patrol_totals(&code, since)
                    .await?
                    .into_iter()
                    .map(|(g, p)| LayerGrid {
                        code: g,
                        values: BTreeMap::from([
                            ("patrols".to_string(), p.patrols as f64),
                            ("km".to_string(), (p.metres / 100.0).round() / 10.0),
                        ]),
                    })
                    .collect();
                Ok(out)
            }
            "hazards" => {
                let reference = self.event_reference().await?;
                let mut out = empty("hazards", true);
                out.points = self
                    .store
                    .open_points(&code, now_ms(), &wangge_domain::safety::HAZARD_CLASSES, HEAT_POINTS)
                    .await?
                    .into_iter()
                    .map(|p| LayerPoint {
                        lat: p.lat,
                        lon: p.lon,
                        label: reference.category(&p.category_code).map(|c| c.name.clone()).unwrap_or(p.category_code),
                        count: 1,
                        href: format!("/events/{}", p.event_id),
                    })
                    .collect();
                Ok(out)
            }
            // 服务站点 come with the one-window services (#8): an empty layer until then.
            "stations" => Ok(empty("stations", false)),
            _ => Err(AppError::field(
                "layer",
                "应为 register、patrols、hazards 或 stations / must be register, patrols, hazards or stations",
            )),
        }
    }

    async fn register_layer(&self, actor: &Actor, code: &str, tag: Option<&str>) -> Result<Layer> {
        let kinds = self.store.tag_kinds().await?;
        if let Some(tag) = tag {
            let Some(kind) = kinds.iter().find(|k| k.code == tag) else {
                return Err(AppError::field("tag", "没有这个人群标签 / no such tag"));
            };
            // Individuals: only for those who may see them (403 otherwise, like any other read of the register).
            self.authorize(actor, Permission::ReadRegister, code)?;
            if kind.sensitive {
                self.authorize(actor, Permission::ReadSensitiveTags, code)?;
            }
        }
        if self.store.register_counts_refreshed_at().await?.is_none() {
            self.store.refresh_register_counts().await?;
        }
        let mut grids: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for (g, key, n) in self.store.register_counts(code).await? {
            let key = key.strip_prefix("tag:").unwrap_or(&key).to_string();
            grids.entry(g).or_default().insert(key, n as f64);
        }
        let mut legend = vec![
            LegendItem { key: "households".into(), name: t("户数", "Households"), sensitive: false },
            LegendItem { key: "residents".into(), name: t("实有人口", "Residents"), sensitive: false },
        ];
        legend.extend(kinds.iter().map(|k| LegendItem {
            key: k.code.clone(),
            name: Text {
                zh: k.name.clone(),
                en: if k.name_en.is_empty() { k.name.clone() } else { k.name_en.clone() },
            },
            sensitive: k.sensitive,
        }));
        let points = match tag {
            Some(tag) => self
                .store
                .tag_points(code, tag, HEAT_POINTS)
                .await?
                .into_iter()
                .map(|(house, lat, lon, n)| LayerPoint {
                    lat,
                    lon,
                    label: kinds.iter().find(|k| k.code == tag).map(|k| k.name.clone()).unwrap_or_default(),
                    count: n,
                    href: format!("/houses/{house}"),
                })
                .collect(),
            None => Vec::new(),
        };
        Ok(Layer {
            layer: "register".into(),
            available: true,
            legend,
            grids: grids.into_iter().map(|(code, values)| LayerGrid { code, values }).collect(),
            points,
            as_of: self.store.register_counts_refreshed_at().await?.map(format_cst),
        })
    }
}

// ---------------------------------------------------------------- reports

/// A column of a report table; `kind` says how to show its cells: `text`, `int`, `percent` (a ratio 0–1 shown
/// as %), `number` (one decimal).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Column {
    pub title: Text,
    pub kind: String,
}

fn col(zh: &str, en: &str, kind: &str) -> Column {
    Column { title: t(zh, en), kind: kind.into() }
}

/// A chart drawn from a table: `kind` `bar` | `line`; the first column names the points, `series` are column
/// indexes of the values.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChartSpec {
    pub kind: String,
    pub series: Vec<usize>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportTable {
    pub key: String,
    pub title: Text,
    pub columns: Vec<Column>,
    /// Cells: a string (text columns), an integer, a number, or null (a rate without a denominator).
    #[schema(value_type = Vec<Vec<Object>>)]
    pub rows: Vec<Vec<serde_json::Value>>,
    pub chart: Option<ChartSpec>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportSection {
    /// `events` | `indicators` | `field` | `disputes` | `safety` | `services` | `assessment`.
    pub key: String,
    pub title: Text,
    /// False for a source not in this build yet, or one the caller may not read: the section is printed with
    /// its title and `note` only.
    pub available: bool,
    pub note: Option<Text>,
    pub tables: Vec<ReportTable>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub region: RegionRef,
    pub period: String,
    pub period_label: Text,
    /// First and last day, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    /// RFC 3339, China Standard Time.
    pub generated_at: String,
    pub sections: Vec<ReportSection>,
}

fn int(n: i64) -> serde_json::Value {
    serde_json::Value::from(n)
}

fn rate(v: Option<f64>) -> serde_json::Value {
    v.map(|x| serde_json::Value::from((x * 10_000.0).round() / 10_000.0)).unwrap_or(serde_json::Value::Null)
}

fn text(s: &str) -> serde_json::Value {
    serde_json::Value::from(s)
}

/// The calendar year a report period falls in (star ratings are yearly).
fn period_year(period: Period) -> i64 {
    period.code().get(..4).and_then(|y| y.parse().ok()).unwrap_or(0)
}

fn pending(key: &str, title: Text, note: Text) -> ReportSection {
    ReportSection { key: key.into(), title, available: false, note: Some(note), tables: Vec::new() }
}

impl App {
    /// The monthly or quarterly report of `region` (`period` `2026-11` | `2026-Q4`): the tables of the seed
    /// documents' reports, one section per source.
    pub async fn command_report(&self, actor: &Actor, region: Option<&str>, period: &str) -> Result<Report> {
        match self.command_report_once(actor, region, period).await {
            Err(e) if self.retry_on_primary(&e) => self.command_report_once(actor, region, period).await,
            r => r,
        }
    }

    async fn command_report_once(&self, actor: &Actor, region: Option<&str>, period: &str) -> Result<Report> {
        let r = self.command_region(actor, region).await?;
        if period.trim().is_empty() {
            return Err(AppError::field("period", "请选择月份或季度 / choose a month or quarter"));
        }
        let period = Period::parse("period", period)?;
        let code = r.region.code.clone();
        let sections = vec![
            self.section_events(&r, period).await?,
            self.section_indicators(&code, period).await?,
            self.section_field_work(&r, period).await?,
            self.section_disputes(actor, &code, period).await?,
            self.section_safety(&code, period).await?,
            self.section_services(actor, &code, period).await?,
            self.section_assessment(actor, &code, period).await?,
        ];
        Ok(Report {
            region: RegionRef { code, name: r.region.name.clone(), level: r.region.level.as_str().into() },
            period: period.code(),
            period_label: Text { zh: period.label_zh(), en: period.label_en() },
            from: period.first_day().to_string(),
            to: period.last_day().to_string(),
            generated_at: format_cst(now_ms()),
            sections,
        })
    }

    /// 事件办理: totals this period and last, by class (大类), by child region, by department.
    async fn section_events(&self, r: &wangge_store::regions::RegionRow, period: Period) -> Result<ReportSection> {
        let code = &r.region.code;
        let roots = Some(vec![code.clone()]);
        let (from, to) = (period.first_day().to_string(), period.last_day().to_string());
        let prev = period.previous();
        let now = Counts::from_values(&self.store.stats_total(&roots, &from, &to).await?);
        let before = Counts::from_values(
            &self.store.stats_total(&roots, &prev.first_day().to_string(), &prev.last_day().to_string()).await?,
        );
        let line = |zh: &str, en: &str, f: fn(&Counts) -> i64| {
            vec![text(&format!("{zh} / {en}")), int(f(&now)), int(f(&before))]
        };
        let totals = ReportTable {
            key: "totals".into(),
            title: t("事件总体情况", "Events overall"),
            columns: vec![
                col("项目", "Item", "text"),
                col("本期", "This period", "int"),
                col("上期", "Previous period", "int"),
            ],
            rows: vec![
                line("上报数", "Reported", |c| c.reported),
                line("有效上报数", "Valid reports", |c| c.valid),
                line("立案数", "Registered", |c| c.registered),
                line("结案数", "Closed", |c| c.closed),
                line("按期结案数", "Closed on time", |c| c.closed_on_time),
                line("派遣数", "Dispatched", |c| c.dispatched),
                line("处置数", "Handled", |c| c.handled),
                line("返工数", "Rework", |c| c.rework),
                line("延期数", "Postponed", |c| c.postponed),
                line("督办数", "Supervised", |c| c.supervised),
            ],
            chart: None,
        };
        let reference = self.event_reference().await?;
        let months = period.months();
        let mut classes: BTreeMap<String, (String, Counts)> = BTreeMap::new();
        for (cat, v) in self.store.stats_by('c', &roots, &months[0], &months[months.len() - 1]).await? {
            let c = Counts::from_values(&v);
            let class = reference.category(&cat).and_then(|c| c.parent_code.clone()).unwrap_or(cat.clone());
            let name = reference.category(&class).map(|c| c.name.clone()).unwrap_or(class.clone());
            let e = classes.entry(class).or_insert((name, Counts::default()));
            e.1.reported += c.reported;
            e.1.registered += c.registered;
            e.1.closed += c.closed;
        }
        let by_class = ReportTable {
            key: "by_class".into(),
            title: t("按事件大类", "By event class"),
            columns: vec![
                col("大类", "Class", "text"),
                col("上报数", "Reported", "int"),
                col("结案数", "Closed", "int"),
                col("结案率", "Closure rate", "percent"),
            ],
            rows: classes
                .into_iter()
                .map(|(class, (name, c))| {
                    vec![
                        text(&format!("{class} {name}")),
                        int(c.reported),
                        int(c.closed),
                        rate(capped(c.closed, c.registered)),
                    ]
                })
                .collect(),
            chart: Some(ChartSpec { kind: "bar".into(), series: vec![1, 2] }),
        };
        let children = self.child_loads(r, &from, &to, &[]).await?;
        let mut children = children;
        children.sort_by(|a, b| a.code.cmp(&b.code));
        let by_child = ReportTable {
            key: "by_region".into(),
            title: t("按下级区域", "By region"),
            columns: vec![
                col("区域", "Region", "text"),
                col("上报数", "Reported", "int"),
                col("结案数", "Closed", "int"),
                col("结案率", "Closure rate", "percent"),
                col("按期结案率", "On-time closure", "percent"),
            ],
            rows: children
                .iter()
                .map(|c| {
                    vec![text(&c.name), int(c.reported), int(c.closed), rate(c.closure_rate), rate(c.on_time_rate)]
                })
                .collect(),
            chart: Some(ChartSpec { kind: "bar".into(), series: vec![1, 2] }),
        };
        let depts: HashMap<String, String> =
            self.store.departments().await?.into_iter().map(|(code, name, _)| (code, name)).collect();
        let by_dept = ReportTable {
            key: "by_department".into(),
            title: t("按职能部门", "By department"),
            columns: vec![
                col("部门", "Department", "text"),
                col("派遣数", "Dispatched", "int"),
                col("处置数", "Handled", "int"),
                col("按时处置率", "Handled on time", "percent"),
                col("返工数", "Rework", "int"),
            ],
            rows: self
                .store
                .stats_by('d', &roots, &months[0], &months[months.len() - 1])
                .await?
                .into_iter()
                .map(|(d, v)| {
                    let c = Counts::from_values(&v);
                    vec![
                        text(depts.get(&d).map(String::as_str).unwrap_or(&d)),
                        int(c.dispatched),
                        int(c.handled),
                        rate(ratio(c.handled_on_time, c.dispatched)),
                        int(c.rework),
                    ]
                })
                .collect(),
            chart: None,
        };
        Ok(ReportSection {
            key: "events".into(),
            title: t("事件办理情况", "Events"),
            available: true,
            note: None,
            tables: vec![totals, by_class, by_child, by_dept],
        })
    }

    /// 考核指标 (GB/T 30428.4) this period and last.
    async fn section_indicators(&self, code: &str, period: Period) -> Result<ReportSection> {
        let roots = Some(vec![code.to_string()]);
        let ind = |p: Period| {
            let roots = roots.clone();
            async move {
                let v = self.store.stats_total(&roots, &p.first_day().to_string(), &p.last_day().to_string()).await?;
                Ok::<_, AppError>(Indicators::from_counts(&Counts::from_values(&v)))
            }
        };
        let (now, before) = (ind(period).await?, ind(period.previous()).await?);
        type Get = fn(&Indicators) -> Option<f64>;
        let rows: Vec<(&str, &str, Get, bool)> = vec![
            ("结案率", "Closure rate", |i| i.closure_rate, true),
            ("按期结案率", "On-time closure rate", |i| i.on_time_rate, true),
            ("处置率", "Handling rate", |i| i.handling_rate, true),
            ("按时处置率", "On-time handling rate", |i| i.on_time_handling_rate, true),
            ("有效上报率", "Valid report rate", |i| i.valid_report_rate, true),
            ("返工率", "Rework rate", |i| i.rework_rate, true),
            ("延期率", "Postponement rate", |i| i.postponement_rate, true),
            ("满意度(1–5)", "Satisfaction (1–5)", |i| i.satisfaction, false),
            ("综合指标值", "Composite score", |i| i.composite, false),
        ];
        let cell = |v: Option<f64>, is_rate: bool| {
            if is_rate {
                rate(v)
            } else {
                v.map(|x| serde_json::Value::from((x * 10.0).round() / 10.0)).unwrap_or_default()
            }
        };
        Ok(ReportSection {
            key: "indicators".into(),
            title: t("考核指标（GB/T 30428.4）", "Indicators (GB/T 30428.4)"),
            available: true,
            note: None,
            tables: vec![ReportTable {
                key: "indicators".into(),
                title: t("指标", "Indicators"),
                columns: vec![
                    col("指标", "Indicator", "text"),
                    col("本期", "This period", "auto"),
                    col("上期", "Previous period", "auto"),
                ],
                rows: rows
                    .into_iter()
                    .map(|(zh, en, get, is_rate)| {
                        vec![text(&format!("{zh} / {en}")), cell(get(&now), is_rate), cell(get(&before), is_rate)]
                    })
                    .collect(),
                chart: None,
            }],
        })
    }

    /// 走访巡查: visits done and patrols per child region.
    async fn section_field_work(&self, r: &wangge_store::regions::RegionRow, period: Period) -> Result<ReportSection> {
        let code = &r.region.code;
        let (from, to) = (period.first_day().to_string(), period.last_day().to_string());
        let children = self.store.region_children(code).await?;
        let kids: Vec<(String, String)> = if children.is_empty() {
            vec![(code.clone(), r.region.name.clone())]
        } else {
            children.into_iter().map(|c| (c.region.code, c.region.name)).collect()
        };
        let mut sums = vec![(0i64, 0i64, 0i64, 0i64, 0.0f64); kids.len()];
        let idx = |g: &str| kids.iter().position(|(c, _)| g.starts_with(c.as_str()));
        for (g, visits, people, missed) in self.store.visits_per_grid(code, &from, &to).await? {
            if let Some(i) = idx(&g) {
                sums[i].0 += visits;
                sums[i].1 += people;
                sums[i].2 += missed;
            }
        }
        for (g, n, metres) in self.store.patrols_per_grid(code, &from, &to).await? {
            if let Some(i) = idx(&g) {
                sums[i].3 += n;
                sums[i].4 += metres;
            }
        }
        Ok(ReportSection {
            key: "field".into(),
            title: t("走访巡查情况", "Visits and patrols"),
            available: true,
            note: None,
            tables: vec![ReportTable {
                key: "field".into(),
                title: t("按下级区域", "By region"),
                columns: vec![
                    col("区域", "Region", "text"),
                    col("走访人次", "Visits", "int"),
                    col("走访人数", "People visited", "int"),
                    col("未遇", "Not found", "int"),
                    col("巡查次数", "Patrols", "int"),
                    col("巡查里程(km)", "Distance (km)", "number"),
                ],
                rows: kids
                    .iter()
                    .zip(&sums)
                    .map(|((_, name), s)| {
                        vec![
                            text(name),
                            int(s.0),
                            int(s.1),
                            int(s.2),
                            int(s.3),
                            serde_json::Value::from((s.4 / 100.0).round() / 10.0),
                        ]
                    })
                    .collect(),
                chart: Some(ChartSpec { kind: "bar".into(), series: vec![1, 4] }),
            }],
        })
    }

    /// 矛盾纠纷调处: registered, mediated, success and fulfilment rates, by type.
    async fn section_disputes(&self, actor: &Actor, code: &str, period: Period) -> Result<ReportSection> {
        let title = t("矛盾纠纷排查调处", "Dispute mediation");
        if !actor.may(Permission::ReadDisputeStats, code) {
            return Ok(pending("disputes", title, t("无权查看纠纷统计", "Not permitted to read dispute statistics")));
        }
        let (from, to) = (period.first_day().to_string(), period.last_day().to_string());
        let s = self.dispute_stats(actor, Some(code), Some(&from), Some(&to)).await?;
        let mediated: i64 =
            s.by_status.iter().filter(|c| !matches!(c.key.as_str(), "registered" | "accepted")).map(|c| c.count).sum();
        Ok(ReportSection {
            key: "disputes".into(),
            title,
            available: true,
            note: None,
            tables: vec![
                ReportTable {
                    key: "disputes".into(),
                    title: t("总体情况", "Overall"),
                    columns: vec![col("项目", "Item", "text"), col("数值", "Value", "auto")],
                    rows: vec![
                        vec![text("排查登记 / Registered"), int(s.total)],
                        vec![text("已调处 / Mediated"), int(mediated)],
                        vec![text("调解成功率 / Success rate"), rate(s.success_rate)],
                        vec![text("履行率 / Fulfilment rate"), rate(s.fulfilment_rate)],
                        vec![text("风险升级 / Risk flagged"), int(s.risk_flagged)],
                    ],
                    chart: None,
                },
                ReportTable {
                    key: "by_type".into(),
                    title: t("按纠纷类型", "By type"),
                    columns: vec![col("类型", "Type", "text"), col("件数", "Count", "int")],
                    rows: s
                        .by_type
                        .iter()
                        .map(|c| vec![text(if c.name.is_empty() { &c.key } else { &c.name }), int(c.count)])
                        .collect(),
                    chart: Some(ChartSpec { kind: "bar".into(), series: vec![1] }),
                },
            ],
        })
    }

    /// 平安建设: hazards reported and open, key groups under management (counts).
    async fn section_safety(&self, code: &str, period: Period) -> Result<ReportSection> {
        let roots = Some(vec![code.to_string()]);
        let months = period.months();
        let reference = self.event_reference().await?;
        let mut rows = Vec::new();
        let stats = self.store.stats_by('c', &roots, &months[0], &months[months.len() - 1]).await?;
        for class in wangge_domain::safety::HAZARD_CLASSES {
            let name = reference.category(class).map(|c| c.name.clone()).unwrap_or(class.to_string());
            let (mut reported, mut closed) = (0, 0);
            for (cat, v) in &stats {
                if cat.starts_with(class) {
                    let c = Counts::from_values(v);
                    reported += c.reported;
                    closed += c.closed;
                }
            }
            let still = self.store.open_count_of_class(code, class, now_ms()).await?.open;
            rows.push(vec![text(&format!("{class} {name}")), int(reported), int(closed), int(still)]);
        }
        let kinds = self.store.tag_kinds().await?;
        let mut groups: BTreeMap<String, i64> = BTreeMap::new();
        for (_, key, n) in self.store.register_counts(code).await? {
            if let Some(tag) = key.strip_prefix("tag:") {
                *groups.entry(tag.to_string()).or_default() += n;
            }
        }
        let group_rows = kinds
            .iter()
            .filter(|k| k.sensitive)
            .map(|k| vec![text(&k.name), int(groups.get(&k.code).copied().unwrap_or(0))])
            .collect();
        Ok(ReportSection {
            key: "safety".into(),
            title: t("平安建设", "Safety"),
            available: true,
            note: None,
            tables: vec![
                ReportTable {
                    key: "hazards".into(),
                    title: t("隐患排查", "Hazards"),
                    columns: vec![
                        col("类别", "Class", "text"),
                        col("本期上报", "Reported", "int"),
                        col("本期结案", "Closed", "int"),
                        col("当前在办", "Open now", "int"),
                    ],
                    rows,
                    chart: None,
                },
                ReportTable {
                    key: "key_groups".into(),
                    title: t("重点人群（在册人数）", "Key groups (people registered)"),
                    columns: vec![col("人群", "Group", "text"), col("人数", "People", "int")],
                    rows: group_rows,
                    chart: None,
                },
            ],
        })
    }

    /// 便民服务办件情况 (issue #8): totals, on-time rate and satisfaction, then each item's load.
    async fn section_services(&self, actor: &Actor, code: &str, period: Period) -> Result<ReportSection> {
        let title = t("便民服务办件情况", "Services handled");
        if !actor.may(Permission::ReadServiceStats, code) {
            return Ok(pending("services", title, t("无权查看服务统计", "Not permitted to read service statistics")));
        }
        let (from, to) = (period.first_day().to_string(), period.last_day().to_string());
        let s = self.service_stats(actor, Some(code), Some(&from), Some(&to)).await?;
        let mut items: Vec<_> = s.by_item.iter().filter(|i| i.count > 0).collect();
        items.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(&b.code)));
        Ok(ReportSection {
            key: "services".into(),
            title,
            available: true,
            note: None,
            tables: vec![
                ReportTable {
                    key: "services".into(),
                    title: t("总体情况", "Overall"),
                    columns: vec![col("项目", "Item", "text"), col("数值", "Value", "auto")],
                    rows: vec![
                        vec![text("受理 / Received"), int(s.total)],
                        vec![text("办结 / Finished"), int(s.completed)],
                        vec![text("在办 / Open"), int(s.open)],
                        vec![text("当前超期 / Overdue now"), int(s.overdue)],
                        vec![text("按时办结率 / On-time rate"), rate(s.on_time_rate)],
                        vec![text("满意率 / Satisfied"), rate(s.good_rate)],
                        vec![text("网上申请占比 / Online share"), rate(s.online_share)],
                    ],
                    chart: None,
                },
                ReportTable {
                    key: "by_item".into(),
                    title: t("按服务事项", "By service item"),
                    columns: vec![
                        col("事项", "Item", "text"),
                        col("受理", "Received", "int"),
                        col("办结", "Finished", "int"),
                        col("按时办结率", "On-time rate", "percent"),
                    ],
                    rows: items
                        .iter()
                        .map(|i| vec![text(&i.name), int(i.count), int(i.completed), rate(i.on_time_rate)])
                        .collect(),
                    chart: Some(ChartSpec { kind: "bar".into(), series: vec![1] }),
                },
            ],
        })
    }

    /// 考核评价结果 (issue #10): star-rated communities of the period's year, departments ranked on what was
    /// dispatched to them in the period and, for a month, the grid workers' scores.
    async fn section_assessment(&self, actor: &Actor, code: &str, period: Period) -> Result<ReportSection> {
        let title = t("考核评价结果", "Assessment results");
        if !actor.may(Permission::ReadAssessment, code) {
            return Ok(pending("assessment", title, t("无权查看考核结果", "Not permitted to read assessment results")));
        }
        let year = period_year(period);
        let stars = self.star_list(actor, Some(code), Some(year)).await?;
        let departments = self.department_ranking(actor, Some(code), Some(&period.code()), false).await?;
        let mut tables = vec![
            ReportTable {
                key: "stars".into(),
                title: t(&format!("{year}年星级社区评定"), &format!("Star-rated communities {year}")),
                columns: vec![
                    col("社区", "Community", "text"),
                    col("状态", "Status", "text"),
                    col("得分", "Score", "number"),
                    col("星级", "Stars", "int"),
                ],
                rows: stars
                    .iter()
                    .map(|s| {
                        let score = s.final_score.or(s.street_score).or(s.self_score);
                        vec![
                            text(&s.community_name),
                            text(&s.status_label),
                            score.map(serde_json::Value::from).unwrap_or(serde_json::Value::Null),
                            int(s.stars),
                        ]
                    })
                    .collect(),
                chart: None,
            },
            ReportTable {
                key: "departments".into(),
                title: t("职能部门考核排名", "Departments ranked"),
                columns: vec![
                    col("名次", "Rank", "int"),
                    col("部门", "Department", "text"),
                    col("得分", "Score", "number"),
                ],
                rows: departments
                    .iter()
                    .map(|d| vec![int(d.rank as i64), text(&d.department_name), serde_json::Value::from(d.score.total)])
                    .collect(),
                // A chart would put the rank on its axis (charts take the first column): the table says it.
                chart: None,
            },
        ];
        if let Period::Month { .. } = period {
            let workers = self.worker_scores(actor, Some(code), Some(&period.code())).await?;
            tables.push(ReportTable {
                key: "grid_workers".into(),
                title: t("网格员月度考核", "Grid workers this month"),
                columns: vec![
                    col("网格员", "Grid worker", "text"),
                    col("网格", "Grids", "text"),
                    col("得分", "Score", "number"),
                    col("扣分", "Deducted", "number"),
                ],
                rows: workers
                    .iter()
                    .map(|w| {
                        vec![
                            text(&w.display_name),
                            text(&w.grids.join("、")),
                            serde_json::Value::from(w.total),
                            serde_json::Value::from(w.deducted),
                        ]
                    })
                    .collect(),
                chart: None,
            });
        }
        Ok(ReportSection { key: "assessment".into(), title, available: true, note: None, tables })
    }
}

// ---------------------------------------------------------------- the workbook

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::internal(format!("writing the report workbook: {e}"))
}

/// The report as an Excel workbook: a 封面 sheet (region, period, watermark), one sheet per section with its tables
/// (numbers as numbers, rates as percentages) and a chart under each table that has one, and 导出信息.
pub fn report_workbook(report: &Report, watermark: &str) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Chart, ChartType, Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let title_fmt = Format::new().set_bold().set_font_size(16);
    let pct = Format::new().set_num_format("0.0%");
    let num = Format::new().set_num_format("0.0");
    let head = watermark.replace('&', "&&");
    {
        let ws = wb.add_worksheet();
        ws.set_name("封面").map_err(xlsx_err)?;
        ws.set_column_width(0, 90).map_err(xlsx_err)?;
        ws.write_string_with_format(
            0,
            0,
            format!("{} {}社会治理综合报表", report.region.name, report.period_label.zh),
            &title_fmt,
        )
        .map_err(xlsx_err)?;
        ws.write_string(1, 0, format!("区域编码 {} · 统计期 {} 至 {}", report.region.code, report.from, report.to))
            .map_err(xlsx_err)?;
        ws.write_string(2, 0, watermark).map_err(xlsx_err)?;
        for (i, s) in report.sections.iter().enumerate() {
            let state = if s.available { "" } else { "（暂无数据）" };
            ws.write_string((4 + i) as u32, 0, format!("{}. {}{state}", i + 1, s.title.zh)).map_err(xlsx_err)?;
        }
        ws.set_header(format!("&L{head}"));
    }
    for s in &report.sections {
        let ws = wb.add_worksheet();
        // Sheet names: at most 31 characters and none of []:*?/\ — our titles are short Chinese words.
        let name: String = s.title.zh.chars().filter(|c| !"[]:*?/\\（）()".contains(*c)).take(28).collect();
        ws.set_name(&name).map_err(xlsx_err)?;
        ws.set_header(format!("&L{head}"));
        ws.set_column_width(0, 34).map_err(xlsx_err)?;
        for c in 1..8u16 {
            ws.set_column_width(c, 14).map_err(xlsx_err)?;
        }
        ws.write_string_with_format(0, 0, &s.title.zh, &title_fmt).map_err(xlsx_err)?;
        let mut row: u32 = 2;
        if let Some(note) = &s.note {
            ws.write_string(row, 0, &note.zh).map_err(xlsx_err)?;
            row += 2;
        }
        for tbl in &s.tables {
            ws.write_string_with_format(row, 0, &tbl.title.zh, &bold).map_err(xlsx_err)?;
            row += 1;
            let header_row = row;
            for (c, column) in tbl.columns.iter().enumerate() {
                ws.write_string_with_format(row, c as u16, &column.title.zh, &bold).map_err(xlsx_err)?;
            }
            row += 1;
            let first = row;
            for cells in &tbl.rows {
                for (c, v) in cells.iter().enumerate() {
                    let kind = tbl.columns.get(c).map(|x| x.kind.as_str()).unwrap_or("text");
                    let c = c as u16;
                    match v {
                        serde_json::Value::String(s) => ws.write_string(row, c, s).map(|_| ()),
                        serde_json::Value::Number(n) => {
                            let x = n.as_f64().unwrap_or(0.0);
                            let is_rate = kind == "percent" || (kind == "auto" && !n.is_i64() && x <= 1.0);
                            if is_rate {
                                ws.write_number_with_format(row, c, x, &pct).map(|_| ())
                            } else if n.is_i64() {
                                ws.write_number(row, c, x).map(|_| ())
                            } else {
                                ws.write_number_with_format(row, c, x, &num).map(|_| ())
                            }
                        }
                        _ => ws.write_string(row, c, "—").map(|_| ()),
                    }
                    .map_err(xlsx_err)?;
                }
                row += 1;
            }
            let last = row.saturating_sub(1);
            row += 1;
            if let Some(spec) = tbl.chart.as_ref().filter(|_| !tbl.rows.is_empty()) {
                let mut chart = Chart::new(if spec.kind == "line" { ChartType::Line } else { ChartType::Column });
                for &sc in &spec.series {
                    let sc = sc as u16;
                    chart
                        .add_series()
                        .set_categories((ws.name().as_str(), first, 0, last, 0))
                        .set_values((ws.name().as_str(), first, sc, last, sc))
                        .set_name((ws.name().as_str(), header_row, sc));
                }
                chart.title().set_name(&tbl.title.zh);
                chart.set_width(640).set_height(300);
                ws.insert_chart(row, 0, &chart).map_err(xlsx_err)?;
                row += 17;
            }
        }
    }
    let info = wb.add_worksheet();
    info.set_name("导出信息").map_err(xlsx_err)?;
    info.set_column_width(0, 80).map_err(xlsx_err)?;
    info.write_string(0, 0, watermark).map_err(xlsx_err)?;
    info.write_string(1, 0, format!("报表 {} {}，生成于 {}", report.region.code, report.period, report.generated_at))
        .map_err(xlsx_err)?;
    wb.save_to_buffer().map_err(xlsx_err)
}

impl App {
    /// The report as an `.xlsx` (watermarked with who and when; audited as an export): (file name, bytes).
    pub async fn command_report_xlsx(
        &self,
        actor: &Actor,
        region: Option<&str>,
        period: &str,
    ) -> Result<(String, Vec<u8>)> {
        let report = self.command_report(actor, region, period).await?;
        let bytes = report_workbook(&report, &crate::export::watermark(actor, chrono::Utc::now()))?;
        let rows: usize = report.sections.iter().flat_map(|s| &s.tables).map(|t| t.rows.len()).sum();
        self.audit_export(
            actor,
            &format!("command_report {}", report.period),
            rows,
            std::slice::from_ref(&report.region.code),
        )
        .await?;
        Ok((format!("{}_{}_报表.xlsx", report.region.name, report.period), bytes))
    }
}

// ---------------------------------------------------------------- demo

/// (category, description) of the demo's events: what grid workers and residents report in a 城区.
const DEMO_EVENTS: [(&str, &str); 16] = [
    ("E0102", "小区东门垃圾桶满溢，周边有暴露垃圾"),
    ("E0501", "菜场北侧人行道有流动摊贩占道经营"),
    ("E0503", "消防通道被私家车长期占用"),
    ("B0103", "3幢与5幢之间路灯不亮，夜间行人不便"),
    ("B0101", "上水井盖松动，车辆经过有异响"),
    ("E0201", "单元楼道内张贴大量非法小广告"),
    ("E0301", "夜间22点后工地仍在施工，噪声扰民"),
    ("Z0101", "楼上楼下因漏水引发邻里纠纷"),
    ("Z0104", "业主与物业因停车费产生争议"),
    ("Z0201", "出租房人员流动频繁，疑似群租"),
    ("Z0301", "电动自行车在楼道内充电，存在消防隐患"),
    ("Z0302", "沿街餐饮店液化气瓶存放不规范"),
    ("B0203", "人行道地砖破损，老人易绊倒"),
    ("E0101", "屋顶平台违规搭建阳光房"),
    ("Z0501", "独居老人反映生活困难，需上门帮扶"),
    ("E0104", "雨后道路积泥，路面不洁"),
];

impl App {
    /// Events for the demo district (`wangge demo --events`, `wangge serve --demo --events`) so that the command
    /// centre shows a working district: about three months of reports in its first grids, most closed (some late),
    /// the recent ones open and some of them overdue, with the rollups they would have left. Deterministic; loads
    /// once (refused when the district already has events). Returns how many events it wrote.
    pub async fn load_demo_events(&self) -> Result<usize> {
        use wangge_store::events::{EventRow, StatsDelta};
        let Some(district) = self.store.top_regions(None, 1).await?.into_iter().next() else { return Ok(0) };
        let grids: Vec<String> =
            self.store.grids_in(&district.region.code).await?.into_iter().map(|g| g.region.code).take(24).collect();
        if grids.is_empty() {
            return Ok(0);
        }
        let (_, existing) = self.store.events(&wangge_store::events::EventFilter::default(), None, 1).await?;
        if existing > 0 {
            return Err(AppError::conflict("已有事件，演示事件只能载入一次 / the district has events already"));
        }
        if self.locator().centre(&grids[0]).is_none() {
            self.rebuild_locator().await?;
        }
        let reference = self.event_reference().await?;
        let now = now_ms();
        let hour = 3_600_000;
        let mut rows: Vec<EventRow> = Vec::new();
        for (gi, g) in grids.iter().enumerate() {
            let (lon, lat) = self.locator().centre(g).unwrap_or((120.15, 30.28));
            // The first grids are busier, as a district's old town is.
            let n = 14 + (grids.len() - gi) % 9;
            for k in 0..n {
                let (cat, text) = DEMO_EVENTS[(gi * 5 + k * 3) % DEMO_EVENTS.len()];
                let days_ago = ((gi * 7 + k * 13) % 80) as i64;
                let reported_at = now - days_ago * 86_400_000 - ((gi + k) % 9) as i64 * hour - 600_000;
                let dept = reference.category(cat).map(|c| c.department_code.clone()).unwrap_or_default();
                let (dx, dy) = (((k * 37 + gi * 11) % 21) as f64 - 10.0, ((k * 53 + gi * 7) % 21) as f64 - 10.0);
                let mut e = EventRow {
                    grid_code: g.clone(),
                    category_code: cat.into(),
                    description: text.into(),
                    lat: lat + dy * 0.00012,
                    lon: lon + dx * 0.00015,
                    source: if k % 4 == 0 { "resident".into() } else { "grid_worker".into() },
                    triage: "general".into(),
                    level: "community".into(),
                    lead_department: dept,
                    attributes: "{}".into(),
                    reported_at,
                    updated_at: reported_at,
                    due_at: Some(reported_at + 48 * hour),
                    ..Default::default()
                };
                let open = days_ago < 5 && k % 3 != 0;
                if open {
                    e.status = ["reported", "dispatched", "handled", "dispatched"][k % 4].into();
                    // Some are past their stage deadline: the map turns them orange and red.
                    e.stage_due_at = Some(if (gi + k) % 3 == 0 { now - 3 * hour } else { now + 20 * hour });
                } else {
                    let late = (gi + k) % 7 == 0;
                    e.status = if k % 2 == 0 { "evaluated" } else { "closed" }.into();
                    e.registered_at = Some(reported_at + hour);
                    e.handled_at = Some(reported_at + if late { 60 } else { 20 } * hour);
                    e.closed_at = Some(reported_at + if late { 70 } else { 26 } * hour);
                    e.satisfaction = (k % 2 == 0).then_some(if late { 3 } else { 4 + (k % 3 == 0) as i64 });
                }
                rows.push(e);
            }
        }
        let mut tx = self.store.begin().await?;
        let refs: Vec<&EventRow> = rows.iter().collect();
        let ids = Store::insert_events(&mut tx, &refs).await?;
        // The live feed starts with today's reports only, not three months at once.
        Store::clear_feed(&mut tx).await?;
        for (id, e) in ids.iter().zip(&rows) {
            let (day, month) = day_month(e.reported_at);
            let depts = if e.lead_department.is_empty() { Vec::new() } else { vec![e.lead_department.clone()] };
            let mut changes: Vec<(&'static str, i64)> = vec![("reported", 1), ("valid", 1), ("registered", 1)];
            if e.status != "reported" {
                changes.push(("dispatched", 1));
                // The department it went to, as a dispatch records it: the assessment's ranking reads these rows.
                if !depts.is_empty() {
                    Store::set_event_departments(&mut tx, *id, &depts).await?;
                }
            }
            Store::bump_stats(
                &mut tx,
                StatsDelta {
                    grid_code: &e.grid_code,
                    day: &day,
                    month: &month,
                    category: &e.category_code,
                    departments: &depts,
                    changes: &changes,
                },
            )
            .await?;
            if let Some(closed) = e.closed_at {
                let (day, month) = day_month(closed);
                let on_time = closed <= e.due_at.unwrap_or(i64::MAX);
                let mut changes: Vec<(&'static str, i64)> = vec![("closed", 1), ("handled", 1)];
                if on_time {
                    changes.extend([("closed_on_time", 1), ("handled_on_time", 1)]);
                }
                if let Some(s) = e.satisfaction {
                    changes.extend([("satisfaction_sum", s), ("evaluated", 1)]);
                }
                Store::bump_stats(
                    &mut tx,
                    StatsDelta {
                        grid_code: &e.grid_code,
                        day: &day,
                        month: &month,
                        category: &e.category_code,
                        departments: &depts,
                        changes: &changes,
                    },
                )
                .await?;
            }
            let mut with_id = e.clone();
            with_id.id = *id;
            with_id.version = 1;
            if e.closed_at.is_some() {
                // A new row holds only what a report sets: the closing facts are written as an action would.
                Store::save_event(&mut tx, &with_id).await?;
            }
            if e.reported_at > now - 86_400_000 {
                Store::append_feed(&mut tx, wangge_domain::command::FeedKind::New, &with_id).await?;
            }
        }
        tx.commit().await.map_err(wangge_store::StoreError::from)?;
        self.store.refresh_register_counts().await?;
        Ok(rows.len())
    }
}
