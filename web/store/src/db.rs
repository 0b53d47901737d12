//! The database: one pool over sqlx's Any driver so that every query is written once and runs
//! on SQLite (the embedded default) and PostgreSQL. That choice shapes the schema: integers are
//! BIGINT, times are Unix milliseconds, booleans 0/1, JSON is TEXT (the Any driver carries only
//! those types), and placeholders are `$1…` (which sqlx's SQLite driver also accepts).

use std::str::FromStr;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

use crate::error::{Result, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }
}

/// A URL with any password removed, for error messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// Opens the pool and runs the embedded migrations of the backend.
pub async fn connect(url: &str) -> Result<(AnyPool, Backend)> {
    install_default_drivers();
    let backend = Backend::of_url(url)?;
    if backend == Backend::Sqlite {
        create_sqlite_parent(url)?;
    }
    let mut options = AnyPoolOptions::new();
    if backend == Backend::Sqlite {
        // One writer at a time is SQLite's model; WAL lets readers run beside it, and the busy
        // timeout makes a second connection wait instead of failing.
        options = options.max_connections(4).after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;")
                    .await?;
                Ok(())
            })
        });
    }
    let pool = options.connect(url).await?;
    match backend {
        Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
        Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
    }
    Ok((pool, backend))
}

/// A SQLite file's folder is created on first run (the driver creates only the file).
fn create_sqlite_parent(url: &str) -> Result<()> {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    Ok(())
}

/// The default database: a SQLite file next to the data folder, created on first run.
pub fn default_sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Parses a stored enum column.
pub(crate) fn parse_column<T: FromStr>(column: &str, value: &str) -> Result<T> {
    value.parse().map_err(|_| StoreError::Corrupt(format!("{column} has the unknown value '{value}'")))
}
