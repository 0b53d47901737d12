//! Login: password, then TOTP or a passkey ([`crate::passkey`]) when enrolled, with per-account
//! lockout.
//!
//! After [`LockoutPolicy::max_failures`] consecutive failures (wrong password or wrong TOTP
//! code) the account is locked for [`LockoutPolicy::lock_ms`]; while locked, even the right
//! password is refused, so guessing gains nothing. Failures count per account (an attacker
//! rotating IPs still hits the same counter; the per-IP side is the [`crate::ratelimit`]).
//! Unknown accounts cost one Argon2 verification against a dummy hash and return the same
//! error as a wrong password, so timing and messages do not reveal which e-mails exist.
//! Every outcome is audited.

use std::sync::OnceLock;

use crate::accounts::{Actor, User};
use crate::error::StoreError;
use crate::session::NewSession;
use crate::{Store, sha256_hex};

#[derive(Debug, Clone)]
pub struct LockoutPolicy {
    pub max_failures: i64,
    pub lock_ms: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy { max_failures: 5, lock_ms: 15 * 60 * 1000 }
    }
}

#[derive(Debug, Clone)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The 6-digit code, for accounts with TOTP.
    pub totp: Option<String>,
    /// The client's address, for the audit log.
    pub ip: Option<String>,
}

/// Why a login failed. Show the user [`AuthError::InvalidCredentials`] as one generic message.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong e-mail, password or code")]
    InvalidCredentials,
    /// The password was right; ask for the TOTP code and submit again with it.
    #[error("a TOTP code is required")]
    TotpRequired,
    /// The password was right; this account signs in with a passkey.
    #[error("a passkey is required")]
    PasskeyRequired,
    #[error("account locked until {until_ms}")]
    Locked { until_ms: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> Self {
        AuthError::Store(StoreError::Db(e))
    }
}

/// A valid PHC hash of a random string, verified for unknown accounts to spend the same time.
fn dummy_hash(store: &Store) -> String {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| store.config.password.hash("kakou-dummy-password-for-timing").unwrap_or_default()).clone()
}

impl Store {
    /// Logs a user in: a new session on success (never reusing one), audited either way.
    /// Accounts with a TOTP factor need the code; accounts with only passkeys are sent to
    /// [`Store::begin_passkey_login`]; accounts with neither get a session that the app
    /// confines to enrolling one.
    pub async fn login(&self, req: &LoginRequest) -> Result<NewSession, AuthError> {
        let user = self.check_password(req).await?;
        if user.totp_enabled {
            match req.totp.as_deref() {
                None | Some("") => return Err(AuthError::TotpRequired),
                Some(code) if !self.check_totp(user.id, code).await? => {
                    return Err(self.record_failure(&user, req, "totp").await);
                }
                Some(_) => return self.complete_login(&user, req, "totp").await,
            }
        }
        if user.passkeys > 0 {
            return Err(AuthError::PasskeyRequired);
        }
        self.complete_login(&user, req, "password").await
    }

    /// The first factor: the account exists, is not locked or disabled, and the password is
    /// right. Failures are counted and audited.
    pub(crate) async fn check_password(&self, req: &LoginRequest) -> Result<User, AuthError> {
        let user = self.user_by_email(&req.email).await?;
        let phc: Option<String> = match &user {
            Some(u) => {
                sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                    .bind(u.id)
                    .fetch_one(&self.pool)
                    .await?
            }
            None => None,
        };
        let Some((user, phc)) = user.zip(phc) else {
            let dummy = dummy_hash(self);
            let _ = self.verify_password(&req.password, dummy).await;
            self.audit_login(None, req, "login.failure", "unknown account").await?;
            return Err(AuthError::InvalidCredentials);
        };
        let now = self.now_ms();
        if let Some(until) = user.locked_until.filter(|&t| t > now) {
            self.audit_login(Some(&user), req, "login.failure", "locked").await?;
            return Err(AuthError::Locked { until_ms: until });
        }
        let password_ok = self.verify_password(&req.password, phc).await;
        if !password_ok || user.disabled {
            let reason = if user.disabled { "disabled" } else { "password" };
            return Err(self.record_failure(&user, req, reason).await);
        }
        Ok(user)
    }

    /// Both factors passed: resets the failure counter and opens a new session.
    pub(crate) async fn complete_login(
        &self,
        user: &User,
        req: &LoginRequest,
        factor: &str,
    ) -> Result<NewSession, AuthError> {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(user.id)
            .execute(&self.pool)
            .await?;
        let session = self.create_session(user).await?;
        self.audit_login(Some(user), req, "login.success", factor).await?;
        Ok(session)
    }

    /// Counts a failure and locks the account at the limit; returns the error to give.
    pub(crate) async fn record_failure(&self, user: &User, req: &LoginRequest, reason: &str) -> AuthError {
        match self.count_failure(user, req, reason).await {
            Ok(Some(until_ms)) => AuthError::Locked { until_ms },
            Ok(None) => AuthError::InvalidCredentials,
            Err(e) => AuthError::Store(e),
        }
    }

    async fn count_failure(&self, user: &User, req: &LoginRequest, reason: &str) -> crate::Result<Option<i64>> {
        let failures: i64 = sqlx::query_scalar(
            "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
        )
        .bind(user.id)
        .fetch_one(&self.pool)
        .await?;
        self.audit_login(Some(user), req, "login.failure", reason).await?;
        if failures < self.config.lockout.max_failures {
            return Ok(None);
        }
        let until = self.now_ms() + self.config.lockout.lock_ms;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2")
            .bind(until)
            .bind(user.id)
            .execute(&self.pool)
            .await?;
        self.audit_login(Some(user), req, "account.lock", "too many failures").await?;
        Ok(Some(until))
    }

    /// Unlocks an account before its lock expires (admin only).
    pub async fn unlock_user(&self, actor: &Actor, user_id: i64) -> crate::Result<()> {
        actor.require(crate::Role::Admin)?;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.audit_as(actor, "account.unlock", &format!("user:{user_id}"), serde_json::json!({})).await
    }

    /// Login events: an unknown e-mail is logged as a hash, never as typed (it may be a
    /// password typed into the wrong field).
    async fn audit_login(
        &self,
        user: Option<&User>,
        req: &LoginRequest,
        action: &str,
        reason: &str,
    ) -> crate::Result<()> {
        let ip = req.ip.clone().unwrap_or_default();
        let (actor, target) = match user {
            Some(u) => (Actor::from(u), format!("user:{}", u.id)),
            None => {
                let tag = &sha256_hex(req.email.trim().to_lowercase().as_bytes())[..16];
                (
                    Actor { user_id: None, name: "anonymous".into(), org_id: None, role: crate::Role::Researcher },
                    format!("email-sha256:{tag}"),
                )
            }
        };
        let detail = serde_json::json!({"ip": ip, "reason": reason});
        self.audit_as(&actor, action, &target, detail).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{PASSWORD, each_store, hospital_with_uploader};

    fn req(email: &str, password: &str, totp: Option<String>) -> LoginRequest {
        LoginRequest { email: email.into(), password: password.into(), totp, ip: Some("192.0.2.1".into()) }
    }

    #[tokio::test]
    async fn five_failures_lock_the_account_for_fifteen_minutes() {
        for store in each_store().await {
            let (_, user) = hospital_with_uploader(&store, "L").await;
            for i in 1..=4 {
                let e = store.login(&req(&user.email, "wrong password!", None)).await.unwrap_err();
                assert!(matches!(e, AuthError::InvalidCredentials), "attempt {i}: {e}");
            }
            let e = store.login(&req(&user.email, "wrong password!", None)).await.unwrap_err();
            assert!(matches!(e, AuthError::Locked { .. }), "{e}");
            // the right password is refused while locked
            let e = store.login(&req(&user.email, PASSWORD, None)).await.unwrap_err();
            assert!(matches!(e, AuthError::Locked { .. }), "{e}");
            store.config.clock.advance_ms(15 * 60 * 1000 + 1);
            store.login(&req(&user.email, PASSWORD, None)).await.unwrap();
            let locks = store
                .audit_search(
                    &Actor::system("t"),
                    &crate::AuditQuery { action: Some("account.lock".into()), ..Default::default() },
                )
                .await
                .unwrap();
            assert_eq!(locks.len(), 1);
        }
    }

    #[tokio::test]
    async fn success_resets_the_counter_and_unknown_accounts_look_like_wrong_passwords() {
        for store in each_store().await {
            let (_, user) = hospital_with_uploader(&store, "R").await;
            for _ in 0..4 {
                store.login(&req(&user.email, "wrong password!", None)).await.unwrap_err();
            }
            let first = store.login(&req(&user.email, PASSWORD, None)).await.unwrap();
            let second = store.login(&req(&user.email, PASSWORD, None)).await.unwrap();
            assert_ne!(first.token, second.token, "each login gets a new token");
            for _ in 0..4 {
                store.login(&req(&user.email, "wrong password!", None)).await.unwrap_err();
            }
            // 4 + 4 failures with a success between: not locked
            store.login(&req(&user.email, PASSWORD, None)).await.unwrap();
            let e = store.login(&req("nobody@example.org", PASSWORD, None)).await.unwrap_err();
            assert!(matches!(e, AuthError::InvalidCredentials));
        }
    }

    #[tokio::test]
    async fn totp_is_required_once_enrolled_and_wrong_codes_count() {
        for store in each_store().await {
            let (_, user) = hospital_with_uploader(&store, "F").await;
            let e = store.begin_totp_enrolment(user.id).await.unwrap();
            let now = (store.now_ms() / 1000) as u64;
            store.confirm_totp_enrolment(user.id, &crate::totp::code_at(&e.secret_base32, now).unwrap()).await.unwrap();
            assert!(matches!(store.login(&req(&user.email, PASSWORD, None)).await, Err(AuthError::TotpRequired)));
            let near: Vec<String> =
                (0..3).map(|i| crate::totp::code_at(&e.secret_base32, now + i * 30 - 30).unwrap()).collect();
            let wrong =
                ["123456", "234567", "345678", "456789"].into_iter().find(|c| !near.iter().any(|n| n == c)).unwrap();
            assert!(matches!(
                store.login(&req(&user.email, PASSWORD, Some(wrong.into()))).await,
                Err(AuthError::InvalidCredentials)
            ));
            store.config.clock.advance_ms(60_000);
            let code = crate::totp::code_at(&e.secret_base32, now + 60).unwrap();
            store.login(&req(&user.email, PASSWORD, Some(code.clone()))).await.unwrap();
            assert!(store.login(&req(&user.email, PASSWORD, Some(code))).await.is_err(), "replayed code");
        }
    }
}
