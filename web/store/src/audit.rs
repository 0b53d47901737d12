//! The audit log: append-only and hash-chained, so that editing, deleting or reordering a past
//! entry is detectable.
//!
//! Each entry's hash is SHA-256 over a canonical, length-prefixed encoding of all its fields and
//! the previous entry's hash; the first entry links to 64 zeros (or to the retention anchor, see
//! [`Store::prune_before`]). [`Store::verify_chain`] recomputes every hash in order and names
//! the first bad sequence number and why. Appends are serialised: in-process by a mutex, on
//! PostgreSQL also by a table lock, and everywhere the primary key on `seq` turns any race that
//! slipped through into a failed insert instead of a fork. Truncating the newest entries cannot
//! be seen from inside the database; [`Store::audit_head`] gives the head hash to record
//! elsewhere (docs/web-store.md).

use futures::TryStreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::{Actor, Role};
use crate::db::Backend;
use crate::error::{Result, StoreError};
use crate::{Store, hex};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Entries younger than this are never pruned (two years, leap days included).
pub const RETENTION_MS: i64 = 731 * 24 * 3600 * 1000;

/// An event to append.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor: String,
    pub org_id: Option<i64>,
    /// Dotted verb: `login.success`, `package.upload`, `user.role`, …
    pub action: String,
    /// What it acted on: `user:3`, `package:12`, …
    pub target: String,
    pub detail: serde_json::Value,
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// Unix milliseconds.
    pub at: i64,
    pub actor: String,
    pub org_id: Option<i64>,
    pub action: String,
    pub target: String,
    /// JSON text, hashed exactly as stored.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Why the chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// The entry's fields do not hash to its stored hash (it was edited).
    HashMismatch,
    /// The entry's `prev_hash` is not the previous entry's hash (an entry was replaced).
    BrokenLink,
    /// Sequence numbers skip (an entry was deleted): this one came where `expected` should.
    Gap { expected: i64 },
    /// The retention anchor matches no recorded prune.
    Anchor,
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainProblem::HashMismatch => f.write_str("its fields do not match its hash (edited)"),
            ChainProblem::BrokenLink => f.write_str("its prev_hash is not the previous entry's hash"),
            ChainProblem::Gap { expected } => write!(f, "sequence gap: expected {expected} (entries deleted)"),
            ChainProblem::Anchor => f.write_str("the retention anchor matches no recorded prune"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("audit chain broken at seq {seq}: {problem}")]
    Broken { seq: i64, problem: ChainProblem },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ChainError {
    fn from(e: sqlx::Error) -> Self {
        ChainError::Store(StoreError::Db(e))
    }
}

/// Search filters; all optional, newest first, paged by `before_seq` (keyset).
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    /// Exact action, or a prefix ending in `.` (`login.`).
    pub action: Option<String>,
    pub org_id: Option<i64>,
    pub from_ms: Option<i64>,
    /// Exclusive.
    pub to_ms: Option<i64>,
    /// Only entries with a smaller seq (the last seq of the previous page).
    pub before_seq: Option<i64>,
    /// Page size, default 100, at most 1000.
    pub limit: Option<i64>,
}

/// The hash of an entry: SHA-256 over a domain tag and every field, each length-prefixed so no
/// two different entries encode alike.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    seq: i64,
    at: i64,
    actor: &str,
    org_id: Option<i64>,
    action: &str,
    target: &str,
    detail: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(b"kakou-audit-v1\0");
    h.update(seq.to_be_bytes());
    h.update(at.to_be_bytes());
    match org_id {
        Some(org) => {
            h.update([1]);
            h.update(org.to_be_bytes());
        }
        None => h.update([0]),
    }
    for field in [actor, action, target, detail, prev_hash] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex(&h.finalize())
}

const COLUMNS: &str = "seq, at, actor, org_id, action, target, detail, prev_hash, hash";

fn entry_from_row(row: &AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        org_id: row.try_get("org_id")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        detail: row.try_get("detail")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

impl AuditEntry {
    fn recomputed_hash(&self) -> String {
        entry_hash(
            self.seq,
            self.at,
            &self.actor,
            self.org_id,
            &self.action,
            &self.target,
            &self.detail,
            &self.prev_hash,
        )
    }
}

/// Where the chain starts: after the retention anchor, or at seq 1 after [`GENESIS`].
async fn chain_start(conn: &mut AnyConnection) -> Result<(i64, String)> {
    let anchor =
        sqlx::query("SELECT first_seq, prev_hash FROM audit_anchor WHERE id = 1").fetch_optional(&mut *conn).await?;
    Ok(match anchor {
        Some(row) => (row.try_get("first_seq")?, row.try_get("prev_hash")?),
        None => (1, GENESIS.to_string()),
    })
}

/// Reads the head and inserts the next entry; the caller holds the serialising locks.
async fn append_on(conn: &mut AnyConnection, at: i64, event: &AuditEvent, detail: String) -> Result<AuditEntry> {
    let last =
        sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *conn).await?;
    let (seq, prev_hash) = match last {
        Some(row) => (row.try_get::<i64, _>("seq")? + 1, row.try_get("hash")?),
        None => chain_start(conn).await?,
    };
    let mut entry = AuditEntry {
        seq,
        at,
        actor: event.actor.clone(),
        org_id: event.org_id,
        action: event.action.clone(),
        target: event.target.clone(),
        detail,
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.recomputed_hash();
    sqlx::query(&format!("INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
        .bind(entry.seq)
        .bind(entry.at)
        .bind(&entry.actor)
        .bind(entry.org_id)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(&entry.detail)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(&mut *conn)
        .await?;
    Ok(entry)
}

impl Store {
    /// Appends an event, returning the stored entry.
    pub async fn append_audit(&self, event: AuditEvent) -> Result<AuditEntry> {
        let _serial = self.audit_lock.lock().await;
        let detail = serde_json::to_string(&event.detail).map_err(|e| StoreError::Invalid(format!("detail: {e}")))?;
        let at = self.now_ms();
        match self.backend {
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                // other processes appending to the same database wait here
                sqlx::query("LOCK TABLE audit_log IN EXCLUSIVE MODE").execute(&mut *tx).await?;
                let entry = append_on(&mut tx, at, &event, detail).await?;
                tx.commit().await?;
                Ok(entry)
            }
            // SQLite: one process owns the file; the mutex serialises, autocommit statements
            // avoid the read-then-write upgrade failures of a deferred transaction.
            Backend::Sqlite => append_on(&mut *self.pool.acquire().await?, at, &event, detail).await,
        }
    }

    /// Appends an event by an actor in the actor's organisation (for the app's own events:
    /// page views of data, downloads it serves itself).
    pub async fn audit_as(&self, actor: &Actor, action: &str, target: &str, detail: serde_json::Value) -> Result<()> {
        let event = AuditEvent {
            actor: actor.name.clone(),
            org_id: actor.org_id,
            action: action.into(),
            target: target.into(),
            detail,
        };
        self.append_audit(event).await.map(|_| ())
    }

    /// Recomputes the whole chain in order; the number of entries when it holds.
    pub async fn verify_chain(&self) -> Result<u64, ChainError> {
        let mut conn = self.pool.acquire().await?;
        let (first_seq, anchor_prev) = chain_start(&mut conn).await?;
        let mut prev = anchor_prev.clone();
        let mut expected = first_seq;
        let mut count = 0u64;
        {
            let sql = format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq");
            let mut rows = sqlx::query(&sql).fetch(&mut *conn);
            while let Some(row) = rows.try_next().await? {
                let entry = entry_from_row(&row)?;
                let broken = |problem| ChainError::Broken { seq: entry.seq, problem };
                if entry.seq != expected {
                    return Err(broken(ChainProblem::Gap { expected }));
                }
                if entry.prev_hash != prev {
                    return Err(broken(ChainProblem::BrokenLink));
                }
                if entry.recomputed_hash() != entry.hash {
                    return Err(broken(ChainProblem::HashMismatch));
                }
                prev = entry.hash;
                expected += 1;
                count += 1;
            }
        }
        if first_seq != 1 && !anchor_recorded(&mut conn, first_seq, &anchor_prev).await? {
            return Err(ChainError::Broken { seq: first_seq, problem: ChainProblem::Anchor });
        }
        Ok(count)
    }

    /// The newest entry's seq and hash (record it outside the database to detect truncation).
    pub async fn audit_head(&self) -> Result<Option<(i64, String)>> {
        let row =
            sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&self.pool).await?;
        row.map(|r| Ok((r.try_get("seq")?, r.try_get("hash")?))).transpose()
    }

    /// Searches the log (admin only): newest first.
    pub async fn audit_search(&self, actor: &Actor, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        actor.require(Role::Admin)?;
        let mut sql = format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1");
        let mut n = 0;
        let mut next = |clause: &str| {
            n += 1;
            format!(" AND {clause} ${n}")
        };
        let action_prefix = q.action.as_deref().filter(|a| a.ends_with('.'));
        if q.actor.is_some() {
            sql += &next("actor =");
        }
        if q.action.is_some() {
            sql += &next(if action_prefix.is_some() { "action LIKE" } else { "action =" });
        }
        if q.org_id.is_some() {
            sql += &next("org_id =");
        }
        if q.from_ms.is_some() {
            sql += &next("at >=");
        }
        if q.to_ms.is_some() {
            sql += &next("at <");
        }
        if q.before_seq.is_some() {
            sql += &next("seq <");
        }
        sql += &format!(" ORDER BY seq DESC LIMIT {}", q.limit.unwrap_or(100).clamp(1, 1000));
        let mut query = sqlx::query(&sql);
        if let Some(a) = &q.actor {
            query = query.bind(a.clone());
        }
        if let Some(a) = &q.action {
            // `_` and `%` are not used in action names; a prefix is matched literally
            query = query.bind(if action_prefix.is_some() { format!("{a}%") } else { a.clone() });
        }
        for v in [q.org_id, q.from_ms, q.to_ms, q.before_seq].into_iter().flatten() {
            query = query.bind(v);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Deletes entries older than `cutoff_ms` (admin only), refusing any cutoff inside the
    /// two-year retention period. The chain stays verifiable: the first kept entry's seq and
    /// prev_hash become the anchor, and an `audit.prune` entry records them inside the chain.
    /// Returns how many entries were deleted.
    pub async fn prune_before(&self, actor: &Actor, cutoff_ms: i64) -> Result<u64> {
        actor.require(Role::Admin)?;
        let limit_ms = self.now_ms() - RETENTION_MS;
        if cutoff_ms > limit_ms {
            return Err(StoreError::Retention { cutoff_ms, limit_ms });
        }
        let serial = self.audit_lock.lock().await;
        // the newest seq such that it and everything before it are older than the cutoff
        let first_kept: Option<i64> = sqlx::query_scalar("SELECT MIN(seq) FROM audit_log WHERE at >= $1")
            .bind(cutoff_ms)
            .fetch_one(&self.pool)
            .await?;
        let last_seq: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM audit_log").fetch_one(&self.pool).await?;
        let Some(last_pruned) = first_kept.map(|s| s - 1).or(last_seq) else { return Ok(0) };
        let row = sqlx::query("SELECT hash FROM audit_log WHERE seq = $1")
            .bind(last_pruned)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(0) };
        let anchor_hash: String = row.try_get("hash")?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM audit_anchor").execute(&mut *tx).await?;
        sqlx::query("INSERT INTO audit_anchor (id, first_seq, prev_hash) VALUES (1, $1, $2)")
            .bind(last_pruned + 1)
            .bind(&anchor_hash)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM audit_log WHERE seq <= $1").bind(last_pruned).execute(&mut *tx).await?;
        tx.commit().await?;
        drop(serial);
        let detail = serde_json::json!({
            "first_seq": last_pruned + 1, "prev_hash": anchor_hash,
            "deleted": deleted.rows_affected(), "cutoff_ms": cutoff_ms,
        });
        self.audit_as(actor, "audit.prune", "audit_log", detail).await?;
        Ok(deleted.rows_affected())
    }
}

/// Whether an `audit.prune` entry in the chain records this anchor.
async fn anchor_recorded(conn: &mut AnyConnection, first_seq: i64, prev_hash: &str) -> Result<bool> {
    let details: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'audit.prune'").fetch_all(&mut *conn).await?;
    Ok(details.iter().filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok()).any(|d| {
        d.get("first_seq").and_then(|v| v.as_i64()) == Some(first_seq)
            && d.get("prev_hash").and_then(|v| v.as_str()) == Some(prev_hash)
    }))
}

#[cfg(test)]
mod tests;
