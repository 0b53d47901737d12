//! Server-side sessions.
//!
//! The cookie holds a random 256-bit token; the database holds only its SHA-256, so a leaked
//! database or backup cannot be replayed as a login. A session ends after an idle period and,
//! whatever the activity, after an absolute lifetime; login always creates a new token (no
//! session fixation), a privilege change ends the user's sessions, and logout deletes the row.
//! Each session has its own CSRF token (synchronizer-token pattern) that forms and server
//! functions echo back; [`csrf_token_valid`] compares it in constant time.

use sqlx::Row;
use subtle::ConstantTimeEq;

use crate::accounts::{USER_COLUMNS, User, user_from_row};
use crate::error::Result;
use crate::{Store, hex, random_bytes, sha256_hex};

#[derive(Debug, Clone)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle_ms: i64,
    /// A session ends this long after login, used or not.
    pub absolute_ms: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy { idle_ms: 30 * 60 * 1000, absolute_ms: 12 * 3600 * 1000 }
    }
}

/// A live session, as a request handler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    /// Echoed by the client in a header or form field on every state-changing request.
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// The absolute end.
    pub expires_at: i64,
}

/// A session just created: `token` goes into the cookie (HttpOnly, Secure, SameSite=Strict) and
/// is never stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub session: Session,
}

/// Whether the CSRF token a request carries is its session's (constant time).
pub fn csrf_token_valid(session: &Session, token: &str) -> bool {
    let a = session.csrf_token.as_bytes();
    let b = token.trim().as_bytes();
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

impl Store {
    /// Creates a session for a user (called by login; rotation goes through [`Store::rotate_session`]).
    pub(crate) async fn create_session(&self, user: &User) -> Result<NewSession> {
        let token = hex(&random_bytes::<32>()?);
        let csrf = hex(&random_bytes::<32>()?);
        let now = self.now_ms();
        let expires = now + self.config.sessions.absolute_ms;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(sha256_hex(token.as_bytes()))
        .bind(user.id)
        .bind(&csrf)
        .bind(now)
        .bind(expires)
        .execute(&self.pool)
        .await?;
        let session =
            Session { user: user.clone(), csrf_token: csrf, created_at: now, last_seen_at: now, expires_at: expires };
        Ok(NewSession { token, session })
    }

    /// The live session of a cookie token, refreshing its idle timer; `None` when unknown,
    /// expired (idle or absolute), or its user is disabled. Expired rows are deleted.
    pub async fn session(&self, token: &str) -> Result<Option<Session>> {
        let hash = sha256_hex(token.trim().as_bytes());
        let sql = format!(
            "SELECT s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, {} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
            USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        );
        let Some(row) = sqlx::query(&sql).bind(&hash).fetch_optional(&self.pool).await? else { return Ok(None) };
        let user = user_from_row(&row)?;
        let last_seen: i64 = row.try_get("last_seen_at")?;
        let expires: i64 = row.try_get("expires_at")?;
        let now = self.now_ms();
        if user.disabled || now >= expires || now - last_seen >= self.config.sessions.idle_ms {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(&hash).execute(&self.pool).await?;
            return Ok(None);
        }
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(&hash)
            .execute(&self.pool)
            .await?;
        Ok(Some(Session {
            user,
            csrf_token: row.try_get("csrf_token")?,
            created_at: row.try_get("created_at")?,
            last_seen_at: now,
            expires_at: expires,
        }))
    }

    /// Replaces a live session by a new token and CSRF token (after a step-up such as TOTP
    /// enrolment); the old token stops working. `None` when the old one is not live.
    pub async fn rotate_session(&self, token: &str) -> Result<Option<NewSession>> {
        let Some(old) = self.session(token).await? else { return Ok(None) };
        let deleted = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(sha256_hex(token.trim().as_bytes()))
            .execute(&self.pool)
            .await?;
        if deleted.rows_affected() == 0 {
            return Ok(None); // rotated concurrently
        }
        Ok(Some(self.create_session(&old.user).await?))
    }

    /// Logs out: the token stops working at once.
    pub async fn logout(&self, token: &str) -> Result<()> {
        if let Some(s) = self.session(token).await? {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(sha256_hex(token.trim().as_bytes()))
                .execute(&self.pool)
                .await?;
            let actor = crate::Actor::from(&s.user);
            self.audit_as(&actor, "logout", &format!("user:{}", s.user.id), serde_json::json!({})).await?;
        }
        Ok(())
    }

    /// Ends every session of a user (disable, role change, TOTP reset).
    pub async fn revoke_user_sessions(&self, user_id: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    /// Deletes expired sessions (run it periodically); returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        let now = self.now_ms();
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
            .bind(now)
            .bind(now - self.config.sessions.idle_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{each_store, hospital_with_uploader};

    #[tokio::test]
    async fn tokens_are_stored_hashed_expire_and_rotate() {
        for store in each_store().await {
            let (_, user) = hospital_with_uploader(&store, "S").await;
            let new = store.create_session(&user).await.unwrap();
            assert_eq!(new.token.len(), 64);
            let stored: Vec<String> =
                sqlx::query_scalar("SELECT token_hash FROM sessions").fetch_all(store.pool()).await.unwrap();
            assert!(!stored.contains(&new.token) && stored.contains(&sha256_hex(new.token.as_bytes())));
            let s = store.session(&new.token).await.unwrap().unwrap();
            assert!(csrf_token_valid(&s, &new.session.csrf_token));
            assert!(!csrf_token_valid(&s, &new.session.csrf_token[1..]));
            assert!(!csrf_token_valid(&s, &"0".repeat(64)));

            let rotated = store.rotate_session(&new.token).await.unwrap().unwrap();
            assert!(store.session(&new.token).await.unwrap().is_none(), "old token dead after rotation");
            assert_ne!(rotated.session.csrf_token, new.session.csrf_token);

            // idle: 29 min keeps it alive, then 31 min idle ends it
            store.config.clock.advance_ms(29 * 60 * 1000);
            assert!(store.session(&rotated.token).await.unwrap().is_some());
            store.config.clock.advance_ms(31 * 60 * 1000);
            assert!(store.session(&rotated.token).await.unwrap().is_none());

            // absolute: kept busy every 20 min, it still ends at 12 h
            let busy = store.create_session(&user).await.unwrap();
            for _ in 0..35 {
                store.config.clock.advance_ms(20 * 60 * 1000);
                assert!(store.session(&busy.token).await.unwrap().is_some());
            }
            store.config.clock.advance_ms(20 * 60 * 1000);
            assert!(store.session(&busy.token).await.unwrap().is_none());

            let gone = store.create_session(&user).await.unwrap();
            store.logout(&gone.token).await.unwrap();
            assert!(store.session(&gone.token).await.unwrap().is_none());
        }
    }
}
