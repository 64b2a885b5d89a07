//! Persistence for wangge on SQLite (default, WAL) or PostgreSQL through one code path.
//!
//! Queries are plain SQL with `$n` placeholders, which both backends accept, run on an `AnyPool`.
//! Values stay within the types every backend shares (i64, f64, text): times are Unix milliseconds,
//! lists are JSON text. Schema differences live only in the two migration folders.

pub mod assessment;
pub mod audit;
pub mod backup;
pub mod bulk;
pub mod bulk_pg;
pub mod bulk_sqlite;
pub mod command;
pub mod crypto;
pub mod data_requests;
pub mod disputes;
pub mod events;
pub mod field;
pub mod group_commit;
pub mod life;
mod migrate;
/// Every table, in the order a restore writes them (parents before children): what `wangge backup` carries.
pub use migrate::TABLES as BACKUP_TABLES;
pub mod organizations;
pub mod participation;
pub mod people;
pub mod regions;
pub mod register;
pub mod safety;
pub mod search;
pub mod services;
pub mod settings;
mod sql;
pub mod users;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use crypto::{Crypto, Keyring};
pub use sqlx::{Any, Transaction};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Other(String),
    /// The disk is full or read-only: nothing of the write was kept (the transaction rolled back).
    #[error("storage: {1}")]
    Storage(StorageFault, String),
}

/// Why storage refused a write, whatever the request: the user can do nothing about it but wait or call the
/// administrator, so it is told apart from the database's other errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFault {
    Full,
    ReadOnly,
    /// An I/O error writing (a failing disk, a lost network volume).
    Io,
}

impl StorageFault {
    /// From an operating-system error, for files written beside the database.
    pub fn of_io(e: &std::io::Error) -> Option<StorageFault> {
        match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => Some(StorageFault::Full),
            std::io::ErrorKind::ReadOnlyFilesystem => Some(StorageFault::ReadOnly),
            _ => None,
        }
    }

    /// From a SQLite result code; its primary code is the low byte of the extended one.
    pub fn of_sqlite(code: i32) -> Option<StorageFault> {
        match code & 0xff {
            13 => Some(StorageFault::Full),    // SQLITE_FULL
            8 => Some(StorageFault::ReadOnly), // SQLITE_READONLY
            10 => Some(StorageFault::Io),      // SQLITE_IOERR
            _ => None,
        }
    }

    /// From a PostgreSQL SQLSTATE.
    pub fn of_sqlstate(code: &str) -> Option<StorageFault> {
        match code {
            "53100" => Some(StorageFault::Full),     // disk_full
            "25006" => Some(StorageFault::ReadOnly), // read_only_sql_transaction, also what a standby answers
            "58030" => Some(StorageFault::Io),       // io_error
            _ => None,
        }
    }

    fn of_sqlx(e: &sqlx::Error) -> Option<StorageFault> {
        match e {
            sqlx::Error::Database(db) => {
                let code = db.code()?;
                if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    StorageFault::of_sqlite(code.parse().ok()?)
                } else {
                    StorageFault::of_sqlstate(&code)
                }
            }
            sqlx::Error::Io(io) => StorageFault::of_io(io),
            _ => None,
        }
    }
}

impl StoreError {
    /// Unique and foreign-key violations become conflicts callers can explain to users.
    pub fn from_db(e: sqlx::Error, what: &str) -> StoreError {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Conflict(format!("{what} already exists"));
            }
            if db.is_foreign_key_violation() {
                return StoreError::Conflict(format!("{what} refers to something that does not exist"));
            }
        }
        StoreError::Db(e)
    }

    /// A full or read-only disk behind this error, if that is what it was.
    pub fn storage_fault(&self) -> Option<StorageFault> {
        match self {
            StoreError::Db(e) => StorageFault::of_sqlx(e),
            StoreError::Storage(f, _) => Some(*f),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// Where transactions run. On SQLite a pool of one connection: writers queue in order on the pool instead
    /// of polling SQLite's busy handler (which sleeps up to 100 ms between tries and made p99 ingest latency
    /// seconds); readers keep the other connections. On PostgreSQL the same pool as reads.
    writer: AnyPool,
    backend: Backend,
    /// A PostgreSQL streaming standby for the command centre's dashboard reads (`attach_replica`).
    replica: Option<std::sync::Arc<Replica>>,
    /// The URL it was opened with (bulk loads open their own connections to the same database).
    url: std::sync::Arc<str>,
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Store {
    /// The default database URL for a data directory.
    pub fn sqlite_url(data_dir: &Path) -> String {
        format!("sqlite://{}?mode=rwc", data_dir.join("wangge.db").display())
    }

    /// Connects and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Store> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Other(format!(
                "unsupported database URL (use sqlite://… or postgres://…): {}",
                redact_url(url)
            )));
        };
        let sqlite_opts = |n: u32| {
            AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30)).max_connections(n).after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets readers run beside the single writer; busy_timeout makes writers queue, not fail.
                    conn.execute(
                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;",
                    )
                    .await?;
                    Ok(())
                })
            })
            .after_release(|conn, _| Box::pin(release_clean(conn)))
        };
        let (pool, writer) = match backend {
            Backend::Sqlite => {
                let pool = sqlite_opts(8).connect(url).await?;
                let writer = sqlite_opts(1).connect(url).await?;
                (pool, writer)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .acquire_timeout(Duration::from_secs(15))
                    .max_connections(16)
                    .after_release(|conn, _| Box::pin(release_clean(conn)))
                    .connect(url)
                    .await?;
                (pool.clone(), pool)
            }
        };
        let store = Store { pool, writer, backend, replica: None, url: url.into() };
        migrate::run(&store).await?;
        // A bulk load that died half-way left its deferred indexes dropped: build them now.
        store.rebuild_deferred_indexes().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The SQLite database file (None on PostgreSQL or an in-memory database).
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        match self.backend {
            Backend::Sqlite => bulk_sqlite::sqlite_file(&self.url),
            Backend::Postgres => None,
        }
    }

    /// A connection of its own for a bulk load on SQLite (None on PostgreSQL or an in-memory database).
    pub fn sqlite_bulk(&self, readonly: bool) -> Result<Option<bulk_sqlite::SqliteBulk>> {
        self.sqlite_file().map(|p| bulk_sqlite::SqliteBulk::open(&p, readonly)).transpose()
    }

    /// A connection of its own for a bulk load with COPY on PostgreSQL (None on SQLite).
    pub async fn pg_bulk(&self) -> Result<Option<bulk_pg::PgBulk>> {
        match self.backend {
            Backend::Postgres => Ok(Some(bulk_pg::PgBulk::connect(&self.url).await?)),
            Backend::Sqlite => Ok(None),
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Sends the command centre's dashboard reads to a read-only standby (PostgreSQL streaming replication),
    /// so a province's big screens do not load the primary. Connected lazily: a standby that is down at start
    /// does not stop the server; [`Store::check_replica`] decides whether it is used.
    pub fn attach_replica(&mut self, url: &str) -> Result<()> {
        if self.backend != Backend::Postgres || !(url.starts_with("postgres:") || url.starts_with("postgresql:")) {
            return Err(StoreError::Other(
                "a read replica needs PostgreSQL for both the database and the replica (postgres://…)".into(),
            ));
        }
        let pool = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(3))
            .max_connections(8)
            .connect_lazy(url)
            .map_err(|e| StoreError::Other(format!("read replica {}: {e}", redact_url(url))))?;
        self.replica = Some(std::sync::Arc::new(Replica { pool, in_use: AtomicBool::new(false) }));
        Ok(())
    }

    /// Whether the standby answers within 2 s, is in recovery (a promoted or wrong server is not used) and is not
    /// behind: WAL it has received but not replayed, with its last replayed commit older than
    /// [`REPLICA_MAX_LAG_MS`] (a paused or stuck replay). Dashboard reads go to it only while this holds.
    /// Returns the new state when it changed (for the log). Called every few seconds.
    pub async fn check_replica(&self) -> Option<bool> {
        let r = self.replica.as_ref()?;
        let probe = sqlx::query_as::<_, (bool, bool)>(
            "SELECT pg_is_in_recovery(), \
               COALESCE(pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(), TRUE) \
               OR COALESCE(now() - pg_last_xact_replay_timestamp() < make_interval(secs => $1), FALSE)",
        )
        .bind(REPLICA_MAX_LAG_MS as f64 / 1000.0)
        .fetch_one(&r.pool);
        let ok = matches!(tokio::time::timeout(Duration::from_secs(2), probe).await, Ok(Ok((true, true))));
        (r.in_use.swap(ok, Ordering::Relaxed) != ok).then_some(ok)
    }

    /// Stops sending dashboard reads to the standby until its next check finds it well; true when it was in use
    /// (so the failed read is worth running again on the primary).
    pub fn set_replica_aside(&self) -> bool {
        self.replica.as_ref().is_some_and(|r| r.in_use.swap(false, Ordering::Relaxed))
    }

    /// Where dashboard reads go: the standby while it is healthy (they may lag the primary by the replication
    /// delay, typically well under a second), else the primary.
    pub fn dashboard_pool(&self) -> &AnyPool {
        match &self.replica {
            Some(r) if r.in_use.load(Ordering::Relaxed) => &r.pool,
            _ => &self.pool,
        }
    }

    pub async fn begin(&self) -> Result<Transaction<'static, Any>> {
        Ok(self.writer.begin().await?)
    }

    /// A committer for many small writes of one kind from many callers: on SQLite they share transactions and
    /// statements ([`group_commit`]); on PostgreSQL each is its own transaction.
    pub fn batcher<B: group_commit::BatchWrite>(&self, kind: B) -> group_commit::Batcher<B> {
        group_commit::Batcher::new(self.writer.clone(), kind, self.backend == Backend::Sqlite)
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

/// Hides a password in a database URL before it reaches a log or an error message.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The half-open range of codes in the subtree of `code`: `[code, code + ":")`, since codes are digits and
/// ':' sorts right after '9' in binary collation. Unlike `LIKE 'code%'`, a range uses the plain B-tree index on
/// both backends (SQLite's LIKE optimisation needs NOCASE columns, PostgreSQL's needs C collation or
/// pattern ops). Anything but digits gives an empty range, so input can never widen a scope.
pub fn prefix_range(code: &str) -> (String, String) {
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return ("1".into(), "0".into());
    }
    (code.to_string(), format!("{code}:"))
}

/// How far behind its primary a standby may replay before dashboards stop reading it.
pub const REPLICA_MAX_LAG_MS: i64 = 30_000;

struct Replica {
    pool: AnyPool,
    in_use: AtomicBool,
}

/// Whether a connection going back to the pool is out of every transaction. A transaction dropped without
/// commit (an error path) only queues its ROLLBACK; a ping lets it run. When SQLite has already rolled a
/// transaction back by itself (it may, on a full disk), that ROLLBACK fails and sqlx keeps counting the
/// transaction as open: every later "transaction" on the connection would become a savepoint inside one that
/// is never committed, acknowledged to users and lost, holding the write lock. Such a connection is closed.
async fn release_clean(conn: &mut sqlx::AnyConnection) -> std::result::Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    Ok(!conn.is_in_transaction())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_cover_exactly_the_subtree() {
        let (lo, hi) = prefix_range("330199001");
        for inside in ["330199001", "330199001001", "33019900199999"] {
            assert!(inside >= lo.as_str() && inside < hi.as_str(), "{inside}");
        }
        for outside in ["330199002", "33019900", "330199000999", "3301990009"] {
            assert!(!(outside >= lo.as_str() && outside < hi.as_str()), "{outside}");
        }
        let (lo, hi) = prefix_range("3301%");
        assert!(lo > hi, "non-digits give an empty range");
    }

    #[test]
    fn storage_faults_are_told_apart_from_other_errors() {
        // SQLite extended codes carry the primary code in their low byte.
        assert_eq!(StorageFault::of_sqlite(13), Some(StorageFault::Full));
        assert_eq!(StorageFault::of_sqlite(8), Some(StorageFault::ReadOnly));
        assert_eq!(StorageFault::of_sqlite(1032), Some(StorageFault::ReadOnly)); // SQLITE_READONLY_DBMOVED
        assert_eq!(StorageFault::of_sqlite(778), Some(StorageFault::Io)); // SQLITE_IOERR_WRITE
        assert_eq!(StorageFault::of_sqlite(2067), None); // SQLITE_CONSTRAINT_UNIQUE
        assert_eq!(StorageFault::of_sqlite(5), None); // SQLITE_BUSY: a retry, not a fault
        assert_eq!(StorageFault::of_sqlstate("53100"), Some(StorageFault::Full));
        assert_eq!(StorageFault::of_sqlstate("25006"), Some(StorageFault::ReadOnly));
        assert_eq!(StorageFault::of_sqlstate("23505"), None);
        let full = std::io::Error::from_raw_os_error(28); // ENOSPC
        assert_eq!(StorageFault::of_io(&full), Some(StorageFault::Full));
        let ro = std::io::Error::from_raw_os_error(30); // EROFS
        assert_eq!(StorageFault::of_io(&ro), Some(StorageFault::ReadOnly));
        assert_eq!(StorageFault::of_io(&std::io::Error::from_raw_os_error(2)), None);
        let e = StoreError::Storage(StorageFault::Full, "x".into());
        assert_eq!(e.storage_fault(), Some(StorageFault::Full));
        assert_eq!(StoreError::Conflict("x".into()).storage_fault(), None);
    }

    #[test]
    fn urls_hide_passwords() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
