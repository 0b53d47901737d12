//! The store's errors: one enum so a server function can map each case to an HTTP status,
//! with the messages safe to log (never a password, token or patient identifier).

use crate::validate::ValidationReport;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("object storage: {0}")]
    Objects(#[from] object_store::Error),
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
    #[error("unsupported database URL '{0}' (sqlite://… or postgres://…)")]
    UnsupportedUrl(String),
    #[error("invalid object store URL '{url}': {reason}")]
    ObjectStoreUrl { url: String, reason: String },
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("password too short: at least {min} characters")]
    PasswordTooShort { min: usize },
    #[error("upload {upload}: expected offset {expected}, got {got}")]
    WrongOffset { upload: String, expected: u64, got: u64 },
    #[error("upload {upload}: SHA-256 is {actual}, the client expected {expected}")]
    HashMismatch { upload: String, expected: String, actual: String },
    #[error("package rejected: {} problem(s), first: {}", .0.problems.len(), .0.problems.first().map(|p| p.to_string()).unwrap_or_default())]
    PackageRejected(Box<ValidationReport>),
    #[error("retention: entries newer than two years ({cutoff_ms} is after {limit_ms}) must be kept")]
    Retention { cutoff_ms: i64, limit_ms: i64 },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
