//! Command-line parsing and the commands themselves; each command is a thin call into `wangge_app`.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wangge_app::{App, Config, system_actor};
use wangge_demo::Scale;

#[derive(Parser, Debug)]
#[command(name = "wangge", version, about = "社区网格化服务管理平台 / community grid-governance platform")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Data directory: SQLite database, uploaded files, encryption keys.
    #[arg(long, global = true, default_value = "./data")]
    pub data: PathBuf,
    /// sqlite://… or postgres://…; overrides --data for the database.
    #[arg(long, global = true, env = "WANGGE_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Migrate the database if needed and serve the web UI and APIs.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Load the demo data set first when the database is empty.
        #[arg(long)]
        demo: bool,
        /// Demo size used with --demo.
        #[arg(long, default_value = "street", value_parser = ["small", "street"])]
        scale: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// With --demo: also three months of demo events (the command centre's dashboards and reports).
        #[arg(long)]
        events: bool,
    },
    /// Load the deterministic demo data set into an empty database.
    Demo {
        #[arg(long, default_value = "small", value_parser = ["small", "street"])]
        scale: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also three months of demo events, some open and overdue (the command centre's dashboards and reports).
        #[arg(long)]
        events: bool,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// Manage API keys of client applications (Open311).
    #[command(subcommand)]
    Apikey(ApikeyCmd),
    /// Import regions (CSV/XLSX) or grids (GeoJSON).
    Import {
        #[arg(value_parser = ["regions", "grids", "houses", "residents"])]
        kind: String,
        file: PathBuf,
    },
    /// Export what the operator's scope holds: regions (.csv/.xlsx) or grids (.geojson/.csv/.xlsx).
    Export {
        #[arg(value_parser = ["regions", "grids", "houses", "residents", "events"])]
        kind: String,
        file: PathBuf,
    },
    /// Write the empty import template (.xlsx) with Chinese headers and a notes sheet.
    Template {
        #[arg(value_parser = ["regions", "grids", "houses", "residents"])]
        kind: String,
        file: PathBuf,
    },
    /// Encryption keys of personal data (身份证号, phone numbers).
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Consistent online backup of the database, keys and files into FILE (.tar.gz).
    Backup {
        file: PathBuf,
        /// Leave the key file out: the archive then holds only ciphertext of 身份证号 and phone numbers, and the
        /// keys must be kept (and restored) separately. Recommended whenever backups leave the server.
        #[arg(long)]
        without_keys: bool,
    },
    /// Restore a backup into an empty data directory / database.
    Restore { file: PathBuf },
    /// Run the performance scenarios.
    Bench {
        /// Sizes that finish in under a minute (for CI).
        #[arg(long)]
        quick: bool,
        /// Also write the results as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Create a user; the password is read from stdin.
    Add {
        name: String,
        #[arg(long)]
        role: String,
        /// Region code (empty for admin means everything).
        #[arg(long, default_value = "")]
        region: String,
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List users.
    List {
        #[arg(long)]
        role: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCmd {
    /// Re-encrypt every personal number with a new key. Stop every server using this data first.
    /// With WANGGE_KEY, the new key is read from WANGGE_NEW_KEY.
    Rotate,
    /// Print a new random key in the WANGGE_KEY form (ID:BASE64).
    Generate {
        #[arg(long, default_value_t = 1)]
        id: u32,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApikeyCmd {
    /// Print a new API key, alone on the last line of stdout.
    Create { name: String },
}

/// Ascending positive hours separated by commas; anything else is ignored (the defaults stay).
fn parse_thresholds(s: &str) -> Option<Vec<i64>> {
    let v: Vec<i64> =
        s.split([',', '，']).map(|p| p.trim().parse::<i64>().ok().filter(|h| *h > 0)).collect::<Option<_>>()?;
    (!v.is_empty() && v.windows(2).all(|w| w[0] < w[1])).then_some(v)
}

pub fn config(g: &Global) -> Config {
    let mut c = Config::new(g.data.clone());
    c.tile_url = std::env::var("WANGGE_TILE_URL").ok().filter(|s| !s.is_empty());
    c.tile_attribution = std::env::var("WANGGE_TILE_ATTRIBUTION").ok().filter(|s| !s.is_empty());
    if let Some(d) = std::env::var("WANGGE_GRID_DIGITS").ok().and_then(|s| s.parse().ok()) {
        c.code_rules.grid_digits = d;
    }
    // Attachments in an S3-compatible bucket; endpoint and credentials from the standard AWS_* variables.
    // Community life: 星级志愿者 thresholds ("100,300,600,1000,1500" hours) and the in-service party members' yearly
    // minimum of community service (hours).
    if let Some(t) = std::env::var("WANGGE_VOLUNTEER_STAR_HOURS").ok().and_then(|s| parse_thresholds(&s)) {
        c.volunteer_star_hours = t;
    }
    if let Some(h) = std::env::var("WANGGE_PARTY_SERVICE_MIN_HOURS").ok().and_then(|s| s.trim().parse().ok()) {
        c.party_service_min_hours = h;
    }
    // Dashboard reads from a PostgreSQL streaming standby.
    c.replica_url = std::env::var("WANGGE_READ_REPLICA_URL").ok().filter(|s| !s.trim().is_empty());
    c.s3 = std::env::var("WANGGE_S3_BUCKET")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|bucket| wangge_app::attachments::S3Settings { bucket, ..Default::default() });
    c
}

pub fn database_url(g: &Global) -> String {
    g.database_url.clone().unwrap_or_else(|| wangge_store::Store::sqlite_url(&g.data))
}

pub async fn open(g: &Global) -> Result<Arc<App>> {
    open_with(g, true).await
}

/// `open` for commands that only read (a backup is what an administrator needs most when the disk is full).
async fn open_reading(g: &Global) -> Result<Arc<App>> {
    open_with(g, false).await
}

async fn open_with(g: &Global, writes: bool) -> Result<Arc<App>> {
    std::fs::create_dir_all(&g.data).with_context(|| format!("creating data directory {}", g.data.display()))?;
    let (config, url) = (config(g), database_url(g));
    // The data dir holds something written: the SQLite file, attachments, or the key file.
    let uses_dir = url.starts_with("sqlite:") || config.s3.is_none() || std::env::var_os("WANGGE_KEY").is_none();
    if writes && uses_dir {
        check_writable(&g.data)?;
    }
    let app = App::open(config, &url).await?;
    app.ensure_reference_data().await?;
    Ok(app)
}

/// Every command that opens the app writes (migrations, keys, files), and SQLite must create its shared-memory
/// index (32 KiB) to open at all: a read-only or full data directory is said plainly at start, instead of as a
/// database error after half a minute of retries.
fn check_writable(dir: &Path) -> Result<()> {
    use std::io::Write;
    let probe = dir.join(".wangge-write-check");
    let written = std::fs::File::create(&probe).and_then(|mut f| {
        f.write_all(&[0u8; 64 * 1024])?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    let Err(e) = written else { return Ok(()) };
    let cause = match wangge_store::StorageFault::of_io(&e) {
        Some(wangge_store::StorageFault::ReadOnly) => "文件系统只读 / read-only file system",
        Some(_) => "磁盘已满 / the disk is full",
        None if e.kind() == std::io::ErrorKind::PermissionDenied => "没有写权限 / permission denied",
        None => "无法写入 / cannot write",
    };
    bail!("数据目录不可写：{}（{cause}）/ the data directory is not writable: {e}", dir.display())
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = std::env::var("WANGGE_LOG_FORMAT").is_ok_and(|v| v == "json");
    let b = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json { b.json().try_init() } else { b.try_init() };
}

fn scale(s: &str) -> Scale {
    if s == "street" { Scale::Street } else { Scale::Small }
}

/// Runs a command; the returned number is the process exit code (DESIGN.md §3).
pub async fn run(cli: Cli) -> Result<u8> {
    init_tracing();
    let g = &cli.global;
    match cli.command {
        Command::Serve { addr, demo, scale: s, seed, events } => {
            serve(g, &addr, demo.then(|| (scale(&s), seed, events))).await
        }
        Command::Demo { scale: s, seed, events } => {
            let app = open(g).await?;
            load_demo(&app, scale(&s), seed).await?;
            if events {
                load_demo_events(&app).await?;
            }
            Ok(0)
        }
        Command::User(UserCmd::Add { name, role, region, department, display_name }) => {
            let app = open(g).await?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let u = app
                .create_user(
                    &system_actor("user-add"),
                    wangge_app::users::NewUser {
                        username: name,
                        display_name: display_name.unwrap_or_default(),
                        password,
                        roles: vec![wangge_app::users::GrantInput {
                            role,
                            region_code: region,
                            department_code: department,
                        }],
                    },
                )
                .await?;
            println!("created user {} ({})", u.username, u.id);
            Ok(0)
        }
        Command::User(UserCmd::List { role }) => {
            let app = open(g).await?;
            let actor = system_actor("user-list");
            let mut cursor: Option<String> = None;
            loop {
                let page = app.list_users(&actor, role.as_deref(), Some(500), cursor.as_deref()).await?;
                for u in &page.items {
                    let roles: Vec<String> = u
                        .roles
                        .iter()
                        .map(|g| match &g.department_code {
                            Some(d) => format!("{}@{}/{}", g.role.as_str(), g.region_code, d),
                            None => format!("{}@{}", g.role.as_str(), g.region_code),
                        })
                        .collect();
                    println!("{}\t{}\t{}", u.username, u.display_name, roles.join(","));
                }
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            Ok(0)
        }
        Command::Apikey(ApikeyCmd::Create { name }) => {
            let app = open(g).await?;
            let key = app.create_api_key(&system_actor("apikey"), &name).await?;
            println!("API key for {name} (shown once):");
            println!("{key}");
            Ok(0)
        }
        Command::Keys(KeysCmd::Generate { id }) => {
            println!("{}", wangge_app::keys::generate_env_key(id));
            Ok(0)
        }
        Command::Keys(KeysCmd::Rotate) => {
            let app = open(g).await?;
            let new_env = std::env::var("WANGGE_NEW_KEY").ok();
            let r = app.rotate_keys(&system_actor("keys"), new_env.as_deref()).await?;
            println!("re-encrypted {} people: key {} -> key {}", r.people, r.old_key, r.new_key);
            if let Some(v) = r.new_env_value {
                println!("set WANGGE_KEY to the new key before starting any server:");
                println!("{v}");
            }
            Ok(0)
        }
        Command::Import { kind, file } => import(g, &kind, &file).await,
        Command::Export { kind, file } => {
            let app = open(g).await?;
            let actor = system_actor("export");
            let n = match kind.as_str() {
                "regions" => app.export_regions(&actor, &file).await?,
                "grids" => app.export_grids(&actor, &file).await?,
                "residents" => app.export_residents(&actor, &file).await?,
                "houses" => app.export_houses(&actor, &file).await?,
                "events" => app.export_events(&actor, &file).await?,
                other => bail!("unknown kind {other}; supported: regions, grids, residents, houses, events"),
            };
            println!("exported {n} rows to {}", file.display());
            Ok(0)
        }
        Command::Template { kind, file } => {
            match kind.as_str() {
                // Grid boundaries travel as GeoJSON or in the regions file's 边界 column.
                "regions" | "grids" => wangge_app::export::write_region_template(&file)?,
                "residents" => wangge_app::export::write_residents_template(&file)?,
                "houses" => wangge_app::export::write_houses_template(&file)?,
                other => bail!("no template for {other}; supported: regions, grids, residents, houses"),
            }
            println!("template written to {}", file.display());
            Ok(0)
        }
        Command::Backup { file, without_keys } => {
            let app = open_reading(g).await?;
            let n = crate::backup::backup(&app, &g.data, &file, !without_keys).await?;
            println!("backup written to {} ({n} rows)", file.display());
            if without_keys {
                println!(
                    "the key file is not in the backup: keep {} safe, apart from it",
                    g.data.join("keys.json").display()
                );
            }
            Ok(0)
        }
        Command::Restore { file } => {
            crate::backup::restore(g, &file).await?;
            println!("restored {} into {}", file.display(), g.data.display());
            Ok(0)
        }
        Command::Bench { quick, json } => crate::bench::run(quick, json.as_deref()).await,
    }
}

async fn load_demo(app: &App, scale: Scale, seed: u64) -> Result<()> {
    let started = std::time::Instant::now();
    let pw = std::env::var("WANGGE_DEMO_PASSWORD").ok();
    let s = app.load_demo(&system_actor("demo"), scale, seed, pw.as_deref()).await?;
    println!(
        "demo data loaded in {:.1}s: {} regions ({} grids), {} houses, {} households, {} people",
        started.elapsed().as_secs_f64(),
        s.regions,
        s.grids,
        s.houses,
        s.households,
        s.people
    );
    for (u, role, region) in &s.accounts {
        println!("  demo account {u:<18} {role:<12} {region}");
    }
    match &s.generated_password {
        Some(p) => println!("demo accounts password (shown once, set WANGGE_DEMO_PASSWORD to choose): {p}"),
        None => println!("demo accounts password: from WANGGE_DEMO_PASSWORD"),
    }
    Ok(())
}

async fn load_demo_events(app: &App) -> Result<()> {
    let n = app.load_demo_events().await?;
    println!("demo events loaded: {n}");
    Ok(())
}

async fn serve(g: &Global, addr: &str, demo: Option<(Scale, u64, bool)>) -> Result<u8> {
    let started = std::time::Instant::now();
    if let Ok(list) = std::env::var("WANGGE_TRUSTED_PROXIES") {
        wangge_web::extract::set_trusted_proxies(&list).map_err(anyhow::Error::msg)?;
    }
    let app = open(g).await?;
    let admin_pw = std::env::var("WANGGE_ADMIN_PASSWORD").ok();
    if let Some(p) = app.ensure_admin(admin_pw.as_deref()).await? {
        println!("created user admin with password (shown once, set WANGGE_ADMIN_PASSWORD to choose): {p}");
    }
    if let Some((scale, seed, events)) = demo
        && app.store.region_tree_is_empty().await?
    {
        load_demo(&app, scale, seed).await?;
        if events {
            load_demo_events(&app).await?;
        }
    }
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    println!("wangge listening on http://{local} (ready in {:.2}s)", started.elapsed().as_secs_f64());
    // Grids may change behind this process (another server on the same PostgreSQL, a CLI import): keep the
    // point → grid index in step without a restart.
    // The read replica is checked on its own, so a standby that hangs cannot hold up the sweeps below.
    if app.config.replica_url.is_some() {
        let checker = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                tick.tick().await;
                match checker.store.check_replica().await {
                    Some(true) => tracing::info!("dashboard reads go to the read replica"),
                    Some(false) => {
                        tracing::warn!("read replica unavailable or behind: dashboard reads go to the primary")
                    }
                    None => {}
                }
            }
        });
    }
    let watcher = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        let mut ticks: u64 = 0;
        loop {
            tick.tick().await;
            // Every minute (and at start): the command centre prunes its feed and rebuilds stale register counts.
            if ticks.is_multiple_of(12)
                && let Err(e) = watcher.command_housekeeping().await
            {
                tracing::warn!(error = %e, "command centre housekeeping failed");
            }
            ticks += 1;
            if let Err(e) = watcher.refresh_locator_if_changed().await {
                tracing::warn!(error = %e, "grid index refresh failed");
            }
            // The first tick builds the people search index, so the first search does not wait for it; later
            // ticks keep it current with writes made by other processes.
            if let Err(e) = watcher.refresh_search_index().await {
                tracing::warn!(error = %e, "search index refresh failed");
            }
            // Overdue events climb one level (超时自动升级); several servers may sweep at once — the event's
            // version lets only one of them record it.
            match watcher.escalate_overdue().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(escalated = n, "overdue events escalated"),
                Err(e) => tracing::warn!(error = %e, "overdue sweep failed"),
            }
            // Applications near or past their deadline: the first-responsible staff are told (临期预警、超期督办).
            match watcher.sweep_applications().await {
                Ok((0, 0)) => {}
                Ok((w, e)) => tracing::info!(warned = w, escalated = e, "application deadlines swept"),
                Err(e) => tracing::warn!(error = %e, "application sweep failed"),
            }
            // Stars whose community had a red card or a serious incident since approval are flagged for the
            // district's review (动态管理); every five minutes is soon enough and keeps the loop light.
            if ticks.is_multiple_of(60) {
                match watcher.sweep_star_incidents().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(flagged = n, "stars flagged for review"),
                    Err(e) => tracing::warn!(error = %e, "star incident sweep failed"),
                }
            }
        }
    });
    let router = wangge_web::router(app.clone());
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    app.store.close().await;
    Ok(0)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn import(g: &Global, kind: &str, file: &Path) -> Result<u8> {
    let app = open(g).await?;
    let actor = system_actor("import");
    let report = match kind {
        "regions" => app.import_regions(&actor, file).await?,
        "grids" => app.import_grids(&actor, file).await?,
        "residents" | "houses" => {
            use wangge_app::import_residents::Source;
            let bar = progress_bar();
            let progress = |done: usize, total: usize| {
                if let Some(b) = &bar {
                    b.set_length(total as u64);
                    b.set_position(done as u64);
                }
            };
            let report = if kind == "residents" {
                app.import_residents(&actor, Source::Path(file), &progress).await
            } else {
                app.import_houses(&actor, Source::Path(file), &progress).await
            };
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            let report = report?;
            let errors = wangge_app::import_residents::write_errors_file(file, &report)?;
            return Ok(summarize(&report, errors.as_deref()));
        }
        other => bail!("cannot import {other}; supported: regions, grids, residents, houses"),
    };
    let errors = wangge_app::import::write_errors(file, &report)?;
    Ok(summarize(&report, errors.as_deref()))
}

/// An indicatif bar on stderr when it is a terminal; nothing otherwise (pipes, logs, tests).
fn progress_bar() -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} 行 ({per_sec}, 剩余 {eta})") {
        bar.set_style(style);
    }
    Some(bar)
}

/// Prints the rejected rows and the summary line; the exit code (0, or 3 with rejected rows).
fn summarize(report: &wangge_app::import::ImportReport, errors: Option<&Path>) -> u8 {
    if let Some(p) = errors {
        for r in report.rejected.iter().take(50) {
            eprintln!("row {}: {}", r.row, r.reason);
        }
        if report.rejected_count() > 50 {
            eprintln!("… and {} more", report.rejected_count() - 50);
        }
        eprintln!("rejected rows written to {}", p.display());
    }
    println!("imported {}, rejected {}", report.imported, report.rejected_count());
    if report.rejected.is_empty() { 0 } else { 3 }
}
