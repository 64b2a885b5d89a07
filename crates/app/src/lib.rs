//! Use cases of wangge: one function per user intent. Each takes the [`Actor`] who asks and checks
//! scope here, once, through [`App::authorize`]; handlers and commands above stay thin.

pub mod admission;
pub mod appointments;
pub mod assessment;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod command;
pub mod data_requests;
pub mod demo;
pub mod disputes;
pub mod error;
pub mod event_rules;
pub mod events;
pub mod export;
pub mod field;
pub mod import;
pub mod import_residents;
pub mod keys;
pub mod life;
pub mod locate;
pub mod open311;
pub mod organizations;
pub mod paging;
pub mod participation;
pub mod people;
pub mod regions;
pub mod residents;
pub mod safety;
pub mod search;
pub mod service_catalogue;
mod service_demo;
pub mod services;
pub mod settings;
pub mod tags;
pub mod users;

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use wangge_domain::locator::GridLocator;
use wangge_domain::region::CodeRules;
use wangge_domain::role::{Permission, Role};
use wangge_domain::scope::{Actor, Grant};
use wangge_store::{Crypto, Store};

pub use error::{AppError, ErrorKind};
pub type Result<T> = std::result::Result<T, AppError>;

/// Settings an operator may change (DESIGN.md §8: every number is configuration with a default).
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub code_rules: CodeRules,
    /// Leaflet tile URL template, e.g. 天地图 `https://t{s}.tianditu.gov.cn/vec_w/wmts?...&tk=KEY`. None: no tiles.
    pub tile_url: Option<String>,
    pub tile_attribution: Option<String>,
    pub session_hours: i64,
    /// Failed logins per username or client address within the window before 429.
    pub login_max_failures: usize,
    pub login_window_secs: u64,
    /// A grid should hold between these many households (seed documents: 300–500).
    pub grid_households_min: i64,
    pub grid_households_max: i64,
    /// Community staffing: `staff_base` staff up to `staff_base_households` households, plus one per
    /// `staff_per_extra` further households (seed documents: 4 up to 1,000, plus 1 per 250).
    pub staff_base: i64,
    pub staff_base_households: i64,
    pub staff_per_extra: i64,
    /// A report within this many metres and hours of an open event of the same category is a likely duplicate.
    pub duplicate_metres: f64,
    pub duplicate_hours: i64,
    /// "Due soon" (临期) lists show open events whose stage ends within this many working hours.
    pub due_soon_hours: i64,
    /// Attachments go to this S3-compatible store instead of `<data dir>/files` (see `attachments::S3`).
    pub s3: Option<attachments::S3Settings>,
    /// A grid worker's "today" lists people due a visit within this many days (overdue ones always).
    pub visit_horizon_days: i64,
    /// Event classes a grid worker must attend in person (四必到: disputes, special-group incidents, unrest),
    /// by category code prefix.
    pub must_attend_categories: Vec<String>,
    /// Community life (issue #9): cumulative hours of the 星级志愿者 levels (一星…五星), and the yearly minimum of
    /// community service (hours) of an in-service party member (在职党员双报到).
    pub volunteer_star_hours: Vec<i64>,
    pub party_service_min_hours: i64,
    /// A PostgreSQL streaming standby for the command centre's dashboard reads (docs/scale-out.md).
    pub replica_url: Option<String>,
}

impl Config {
    pub fn new(data_dir: PathBuf) -> Self {
        Config {
            data_dir,
            code_rules: CodeRules::default(),
            tile_url: None,
            tile_attribution: None,
            session_hours: 12,
            login_max_failures: 10,
            login_window_secs: 15 * 60,
            grid_households_min: 300,
            grid_households_max: 500,
            staff_base: 4,
            staff_base_households: 1000,
            staff_per_extra: 250,
            duplicate_metres: 50.0,
            duplicate_hours: 24,
            due_soon_hours: 4,
            s3: None,
            visit_horizon_days: 7,
            must_attend_categories: vec!["Z01".into(), "Z04".into(), "Z06".into()],
            volunteer_star_hours: wangge_domain::life::DEFAULT_STAR_HOURS.to_vec(),
            party_service_min_hours: wangge_domain::life::DEFAULT_PARTY_SERVICE_MIN_HOURS,
            replica_url: None,
        }
    }
}

pub struct App {
    pub store: Store,
    pub crypto: Crypto,
    pub config: Config,
    locator: RwLock<Arc<GridLocator>>,
    /// What the grids looked like when the locator was built (see `refresh_locator_if_changed`).
    locator_fingerprint: std::sync::Mutex<Option<(i64, i64)>>,
    actors: auth::ActorCache,
    /// People search index (names, pinyin, addresses), refreshed before each search; see `search`.
    search: search::SearchHolder,
    event_caches: events::Caches,
    /// Reports go through group commit (see `events::ReportBatch`).
    reports: wangge_store::group_commit::Batcher<events::ReportBatch>,
    /// Where attachment bytes live (`attachments::open_blobs`).
    blobs: Arc<dyn attachments::BlobStore>,
    /// The service catalogue, read by every acceptance and list (`service_catalogue::Catalogue`).
    service_cache: service_catalogue::CatalogueCache,
    /// The command centre's live feed in this process (`command::FeedHub`).
    feed: command::FeedHub,
}

impl App {
    /// Opens the store, loads the keys and builds the grid index.
    pub async fn open(config: Config, database_url: &str) -> Result<Arc<App>> {
        let mut store = Store::open(database_url).await?;
        if let Some(url) = &config.replica_url {
            store.attach_replica(url)?;
            store.check_replica().await;
        }
        let crypto = keys::open_keys(&config.data_dir, &store).await?;
        let reports = store.batcher(events::ReportBatch);
        let blobs = attachments::open_blobs(&config).map_err(AppError::internal)?;
        let app = Arc::new(App {
            store,
            crypto,
            config,
            locator: RwLock::new(Arc::new(GridLocator::new(Vec::new()))),
            locator_fingerprint: std::sync::Mutex::new(None),
            actors: auth::ActorCache::default(),
            search: search::SearchHolder::default(),
            event_caches: events::Caches::default(),
            reports,
            blobs,
            service_cache: service_catalogue::CatalogueCache::default(),
            feed: command::FeedHub::default(),
        });
        app.rebuild_locator().await?;
        Ok(app)
    }

    /// The one scope decision: may `actor` do `perm` on something in `region_code`?
    /// Outside the caller's subtree the answer is 404, so nobody learns what exists elsewhere;
    /// inside it but without the permission, 403.
    pub fn authorize(&self, actor: &Actor, perm: Permission, region_code: &str) -> Result<()> {
        if actor.may(perm, region_code) {
            return Ok(());
        }
        if actor.may(Permission::ReadRegions, region_code) {
            return Err(AppError::forbidden());
        }
        Err(AppError::not_found(region_code))
    }

    /// For actions that are not about one region (e.g. listing users): the role must carry the permission.
    pub fn authorize_anywhere(&self, actor: &Actor, perm: Permission) -> Result<()> {
        if actor.may_somewhere(perm) { Ok(()) } else { Err(AppError::forbidden()) }
    }
}

/// The actor used by command-line tools run by the operator on the server itself.
pub fn system_actor(name: &str) -> Actor {
    Actor {
        user_id: 0,
        username: format!("cli:{name}"),
        display_name: name.to_string(),
        grants: vec![Grant { role: Role::Admin, region_code: String::new(), department_code: None }],
    }
}
