//! TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s), through the `totp-rs` crate.
//!
//! Enrolment stores a fresh 160-bit secret and returns it with its `otpauth://` URI (the app
//! shows it as a QR code); the factor is active only after the user proves one code. A code is
//! accepted one step early or late (clock drift), and each step at most once: the last
//! accepted step is stored and the update is conditional, so a code seen over a shoulder or
//! replayed by a proxy is refused even when two logins race.

use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::Store;
use crate::accounts::Actor;
use crate::error::{Result, StoreError};

pub const STEP_SECONDS: u64 = 30;
pub const DIGITS: usize = 6;

/// What the user scans.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TotpEnrolment {
    /// Base32, for typing into an authenticator by hand.
    pub secret_base32: String,
    /// `otpauth://totp/Issuer:email?secret=…&issuer=…`, for a QR code.
    pub otpauth_uri: String,
}

fn totp_for(secret: &[u8], issuer: &str, account: &str) -> Result<TOTP> {
    TOTP::new(Algorithm::SHA1, DIGITS, 1, STEP_SECONDS, secret.to_vec(), Some(issuer.to_string()), account.to_string())
        .map_err(|e| StoreError::Invalid(format!("TOTP: {e}")))
}

fn decode_secret(base32: &str) -> Result<Vec<u8>> {
    Secret::Encoded(base32.to_string()).to_bytes().map_err(|_| StoreError::Corrupt("stored TOTP secret".into()))
}

/// The step (`unix seconds / 30`) whose code `code` is, within ±1 step of `now_s`; compared in
/// constant time.
pub fn matching_step(secret: &[u8], code: &str, now_s: u64) -> Option<u64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp_for(secret, "k", "k").ok()?;
    let now_step = now_s / STEP_SECONDS;
    let mut found = None;
    for step in [now_step.saturating_sub(1), now_step, now_step + 1] {
        let expected = totp.generate(step * STEP_SECONDS);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            found = Some(step);
        }
    }
    found
}

impl Store {
    /// Starts (or restarts, while not yet confirmed) TOTP enrolment for a user.
    pub async fn begin_totp_enrolment(&self, user_id: i64) -> Result<TotpEnrolment> {
        let user = self.user(user_id).await?;
        if user.totp_enabled {
            return Err(StoreError::Conflict("TOTP is already enabled; an admin must reset it first".into()));
        }
        let secret = crate::random_bytes::<20>()?.to_vec();
        let base32 = Secret::Raw(secret.clone()).to_encoded().to_string();
        let uri = totp_for(&secret, &self.config.totp_issuer, &user.email)?.get_url();
        sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled = 0, totp_last_step = NULL WHERE id = $2")
            .bind(&base32)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(TotpEnrolment { secret_base32: base32, otpauth_uri: uri })
    }

    /// Confirms enrolment with a first code; from now on login needs a code.
    pub async fn confirm_totp_enrolment(&self, user_id: i64, code: &str) -> Result<()> {
        if !self.check_totp(user_id, code).await? {
            return Err(StoreError::Invalid("wrong or reused code".into()));
        }
        sqlx::query("UPDATE users SET totp_enabled = 1 WHERE id = $1").bind(user_id).execute(&self.pool).await?;
        let user = self.user(user_id).await?;
        self.audit_as(&Actor::from(&user), "totp.enable", &format!("user:{user_id}"), serde_json::json!({})).await?;
        Ok(())
    }

    /// Removes a user's second factor (admin only, e.g. a lost phone); the user re-enrols.
    pub async fn reset_totp(&self, actor: &Actor, user_id: i64) -> Result<()> {
        actor.require(crate::Role::Admin)?;
        sqlx::query("UPDATE users SET totp_secret = NULL, totp_enabled = 0, totp_last_step = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.revoke_user_sessions(user_id).await?;
        self.audit_as(actor, "totp.reset", &format!("user:{user_id}"), serde_json::json!({})).await
    }

    /// Whether `code` is valid now for the user and its step was not used before; the step is
    /// spent when it is.
    pub(crate) async fn check_totp(&self, user_id: i64, code: &str) -> Result<bool> {
        let secret: Option<String> = sqlx::query_scalar("SELECT totp_secret FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?
            .flatten();
        let Some(secret) = secret else { return Ok(false) };
        let now_s = u64::try_from(self.now_ms() / 1000).unwrap_or(0);
        let Some(step) = matching_step(&decode_secret(&secret)?, code, now_s) else { return Ok(false) };
        let step = i64::try_from(step).map_err(|_| StoreError::Invalid("time".into()))?;
        let spent = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(spent.rows_affected() == 1)
    }
}

/// The current code for a base32 secret at `unix_s` (what an authenticator app shows); for tests
/// and the CLI.
pub fn code_at(secret_base32: &str, unix_s: u64) -> Result<String> {
    Ok(totp_for(&decode_secret(secret_base32)?, "k", "k")?.generate(unix_s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{each_store, hospital_with_uploader};

    #[test]
    fn rfc6238_sha1_vector() {
        // RFC 6238 Appendix B, SHA-1, T = 59 s: 94287082 (8 digits) — 6 digits are its tail.
        let secret = b"12345678901234567890";
        assert_eq!(matching_step(secret, "287082", 59), Some(1));
        assert_eq!(matching_step(secret, "287082", 59 + 30), Some(1), "one step late is accepted");
        assert_eq!(matching_step(secret, "287082", 59 + 90), None, "three steps late is not");
        assert_eq!(matching_step(secret, "28708", 59), None);
    }

    #[tokio::test]
    async fn enrolment_needs_a_code_and_a_step_is_used_once() {
        for store in each_store().await {
            let (_, user) = hospital_with_uploader(&store, "T").await;
            let e = store.begin_totp_enrolment(user.id).await.unwrap();
            assert!(e.otpauth_uri.starts_with("otpauth://totp/Kakou:"), "{}", e.otpauth_uri);
            assert!(e.otpauth_uri.contains(&format!("secret={}", e.secret_base32)));
            let now = (store.now_ms() / 1000) as u64;
            assert!(
                store.confirm_totp_enrolment(user.id, "000000").await.is_err()
                    || code_at(&e.secret_base32, now).unwrap() == "000000"
            );
            let code = code_at(&e.secret_base32, now).unwrap();
            store.confirm_totp_enrolment(user.id, &code).await.unwrap();
            assert!(store.user(user.id).await.unwrap().totp_enabled);
            assert!(!store.check_totp(user.id, &code).await.unwrap(), "replay of the same step");
            store.config.clock.advance_ms(30_000);
            let next = code_at(&e.secret_base32, now + 30).unwrap();
            assert!(store.check_totp(user.id, &next).await.unwrap());
        }
    }
}
