//! Test support shared by the store and end-to-end tests: every database test runs against a fresh
//! SQLite file and a fresh PostgreSQL database (DESIGN.md: the store suite runs on both backends).
//!
//! PostgreSQL comes from `WANGGE_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/test`); each test
//! gets its own database `wangge_t_…`, so tests run in parallel without seeing each other. PostgreSQL is
//! required: a test run that cannot reach it fails rather than silently testing half the product.

use sqlx::Executor;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use std::path::{Path, PathBuf};

pub const PREFIX: &str = "wangge_t_";

pub struct TestDb {
    /// "sqlite" or "postgres", for assertion messages.
    pub backend: &'static str,
    pub url: String,
    /// A data directory for keys and files (and the SQLite file).
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    /// The PostgreSQL database's name (None on SQLite), e.g. to reach the same database on a standby.
    pub fn pg_database(&self) -> Option<&str> {
        self.pg_name.as_deref()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Drops the PostgreSQL database; call at the end of a test (a failed test leaves it for inspection,
    /// and `.ci/run` sweeps leftovers before the next run).
    pub async fn cleanup(self) {
        if let Some(name) = &self.pg_name {
            let _ = drop_pg(name).await;
        }
    }
}

pub fn pg_admin_url() -> String {
    std::env::var("WANGGE_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn with_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

async fn admin_exec(sql: &str) -> Result<(), sqlx::Error> {
    install_default_drivers();
    let pool = AnyPoolOptions::new().max_connections(1).connect(&pg_admin_url()).await?;
    pool.execute(sql).await?;
    pool.close().await;
    Ok(())
}

async fn drop_pg(name: &str) -> Result<(), sqlx::Error> {
    admin_exec(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await
}

/// A fresh, empty PostgreSQL database.
pub async fn postgres() -> TestDb {
    let name = format!("{PREFIX}{}_{:08x}", std::process::id(), rand::random::<u32>());
    admin_exec(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is required for the test suite ({}): {e}", pg_admin_url()));
    TestDb {
        backend: "postgres",
        url: with_db(&pg_admin_url(), &name),
        dir: tempfile::tempdir().expect("temp dir"),
        pg_name: Some(name),
    }
}

/// A fresh SQLite database file in its own data directory.
pub fn sqlite() -> TestDb {
    sqlite_in(tempfile::tempdir().expect("temp dir"))
}

/// A fresh SQLite database in `dir` (e.g. a directory on a small file system the test fills up).
pub fn sqlite_in(dir: tempfile::TempDir) -> TestDb {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("wangge.db").display());
    TestDb { backend: "sqlite", url, dir, pg_name: None }
}

/// Both backends, SQLite first.
pub async fn both() -> Vec<TestDb> {
    vec![sqlite(), postgres().await]
}

/// Every file under `dir`, for checks such as "no personal number in clear anywhere in the data dir".
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() { stack.push(p) } else { out.push(p) }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_replaces_the_path() {
        assert_eq!(with_db("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_db("postgres://u@h/test?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    }
}
