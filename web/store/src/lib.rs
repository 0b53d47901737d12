//! # kakou-store: the web server's state, without the web
//!
//! Everything the Kakou web app keeps between requests lives here, behind one [`Store`]:
//! organisations and users ([`accounts`]), passwords and TOTP ([`password`], [`totp`]), login
//! with lockout ([`auth`]), passkeys ([`passkey`]), each organisation's policy ([`policy`]), sessions and CSRF tokens ([`session`]), a rate limiter for the auth
//! routes ([`ratelimit`]), the hash-chained audit log ([`audit`]), the opt-out registry and
//! deletion requests ([`optout`]), resumable package uploads and provision records
//! ([`packages`]) and the server-side package check ([`validate`]).
//!
//! It is a library with no UI and no HTTP so that the Leptos server functions stay thin and every
//! security rule is tested here, against SQLite always and PostgreSQL when
//! `KAKOU_TEST_POSTGRES_URL` is set (scripts/pg-test.sh). docs/web-store.md explains the choices.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod db;
pub mod error;
pub mod optout;
pub mod packages;
pub mod passkey;
pub mod password;
pub mod policy;
pub mod ratelimit;
pub mod session;
pub mod totp;
pub mod validate;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use object_store::ObjectStore;
use sqlx::AnyPool;

pub use accounts::{Actor, NewUser, Org, OrgKind, Role, User};
pub use audit::{AuditEntry, AuditEvent, AuditQuery, ChainError};
pub use auth::{AuthError, LoginRequest};
pub use db::Backend;
pub use error::{Result, StoreError};
pub use session::{NewSession, Session};

/// Where time comes from: the system clock, or a settable one for tests (lockout expiry,
/// session expiry, retention all depend on it).
#[derive(Clone, Debug)]
pub enum Clock {
    System,
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// A manual clock starting at `ms` (Unix milliseconds).
    pub fn manual(ms: i64) -> Clock {
        Clock::Manual(Arc::new(AtomicI64::new(ms)))
    }
    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => {
                let now = time::OffsetDateTime::now_utc();
                (now.unix_timestamp_nanos() / 1_000_000) as i64
            }
            Clock::Manual(ms) => ms.load(Ordering::SeqCst),
        }
    }
    /// Moves a manual clock forward (no effect on the system clock).
    pub fn advance_ms(&self, by: i64) {
        if let Clock::Manual(ms) = self {
            ms.fetch_add(by, Ordering::SeqCst);
        }
    }
}

/// The tunable security parameters; [`StoreConfig::default`] is what production uses.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Where package objects go: a local folder path, `file:///…`, or (feature `s3`) `s3://bucket/prefix`.
    pub objects: String,
    pub clock: Clock,
    pub password: password::PasswordPolicy,
    pub lockout: auth::LockoutPolicy,
    pub sessions: session::SessionPolicy,
    /// TOTP issuer shown in authenticator apps.
    pub totp_issuer: String,
    /// Largest accepted package, bytes.
    pub max_package_bytes: u64,
    /// The site's origin, for passkeys; `None` turns them off.
    pub passkeys: Option<passkey::PasskeySettings>,
}

impl StoreConfig {
    /// Defaults with objects in `objects` (a folder, created if missing).
    pub fn new(objects: impl Into<String>) -> StoreConfig {
        StoreConfig {
            objects: objects.into(),
            clock: Clock::System,
            password: password::PasswordPolicy::default(),
            lockout: auth::LockoutPolicy::default(),
            sessions: session::SessionPolicy::default(),
            totp_issuer: "Kakou".into(),
            max_package_bytes: 8 << 30,
            passkeys: None,
        }
    }
}

/// The server's state. Cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    pub(crate) config: Arc<StoreConfig>,
    pub(crate) objects: Arc<dyn ObjectStore>,
    /// Serialises audit appends within this process (PostgreSQL also locks the table).
    pub(crate) audit_lock: Arc<tokio::sync::Mutex<()>>,
    /// One lock per upload being finished, so a duplicate finish waits and then finds the package.
    pub(crate) finish_locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    /// Scratch space for assembling packages before they are checked.
    pub(crate) scratch: Arc<std::path::PathBuf>,
    /// The WebAuthn relying party, when [`StoreConfig::passkeys`] is set.
    pub(crate) webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    /// Passkey ceremonies started and not yet finished.
    pub(crate) ceremonies: passkey::Ceremonies,
}

impl Store {
    /// Opens (creating on first run) the database at `url` and the object store of `config`.
    /// `sqlite://path?mode=rwc` creates the file; `postgres://…` needs an existing database.
    pub async fn open(url: &str, config: StoreConfig) -> Result<Store> {
        let (pool, backend) = db::connect(url).await?;
        let objects = packages::object_store_for(&config.objects)?;
        let scratch = std::env::temp_dir().join("kakou-store-scratch");
        std::fs::create_dir_all(&scratch)?;
        let webauthn = config.passkeys.as_ref().map(passkey::relying_party).transpose()?.map(Arc::new);
        Ok(Store {
            pool,
            backend,
            config: Arc::new(config),
            objects,
            audit_lock: Arc::new(tokio::sync::Mutex::new(())),
            finish_locks: Arc::new(Mutex::new(HashMap::new())),
            scratch: Arc::new(scratch),
            webauthn,
            ceremonies: passkey::Ceremonies::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// Now, by the store's clock (Unix milliseconds).
    pub fn now_ms(&self) -> i64 {
        self.config.clock.now_ms()
    }

    /// The pool, for the app's own read-only queries (and tests).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool (waits for connections to return).
    pub async fn close(&self) {
        self.pool.close().await
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Lower-case hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

/// `n` bytes from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Corrupt(format!("no randomness available: {e}")))?;
    Ok(buf)
}

/// Formats Unix milliseconds as RFC 3339 (UTC), for exports.
pub fn format_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
pub(crate) mod testutil;
