//! Passkeys (WebAuthn) as a second factor, through the `webauthn-rs` crate.
//!
//! The guideline asks for two-factor sign-in that can be biometric for visiting environments:
//! a passkey with user verification (fingerprint, face, device PIN) is that, and it cannot be
//! phished, because the browser binds each signature to this site's origin. TOTP stays for
//! users without a platform authenticator.
//!
//! Both ceremonies have two halves: `begin_*` returns the options the browser passes to
//! `navigator.credentials.create()`/`get()` and a ceremony id; `finish_*` takes that id and the
//! browser's answer. The ceremony state (the challenge) stays in this process's memory for
//! [`CEREMONY_MS`] and is used once: nothing a client sends can replay or forge it, and no
//! crate "danger" feature is needed to serialise it. (Several server processes behind one
//! name need sticky sessions for those two minutes.)
//!
//! Signing in with a passkey still asks for the password first, and every failure counts
//! towards the same lockout as a wrong TOTP code ([`crate::auth`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use sqlx::Row;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration, RequestChallengeResponse, Url,
    Uuid, Webauthn, WebauthnBuilder,
};

/// The browser's answers, for the web layer to deserialise.
pub use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use crate::accounts::{Actor, User};
use crate::auth::{AuthError, LoginRequest};
use crate::error::{Result, StoreError};
use crate::session::NewSession;
use crate::{Store, hex, random_bytes, sha256_hex};

/// How long a started ceremony may wait for the browser's answer.
pub const CEREMONY_MS: i64 = 2 * 60 * 1000;

/// Where the site is reached: passkeys are bound to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeySettings {
    /// The origin users type, e.g. `https://kakou.example.jp` or `http://localhost:3000`.
    /// Its host is the relying-party ID (a name, never an IP address).
    pub origin: String,
    /// Shown by the authenticator.
    pub rp_name: String,
}

/// A registered passkey as the account page lists it (no key material).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasskeyInfo {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// What `begin_*` hands the browser.
#[derive(Debug, Clone, Serialize)]
pub struct Ceremony<T> {
    /// Pass back to `finish_*`.
    pub ceremony: String,
    /// For `navigator.credentials.create/get` (`PublicKeyCredential.parse*OptionsFromJSON`).
    pub options: T,
}

enum Pending {
    Registration { user_id: i64, state: Box<PasskeyRegistration> },
    Login { user_id: i64, state: Box<PasskeyAuthentication> },
}

/// Started ceremonies, by id, with their expiry.
#[derive(Clone, Default)]
pub(crate) struct Ceremonies(Arc<Mutex<HashMap<String, (i64, Pending)>>>);

impl Ceremonies {
    fn put(&self, now_ms: i64, pending: Pending) -> Result<String> {
        let id = hex(&random_bytes::<16>()?);
        let mut map = self.0.lock().map_err(|_| StoreError::Corrupt("passkey ceremonies lock".into()))?;
        map.retain(|_, (expires, _)| *expires > now_ms);
        map.insert(id.clone(), (now_ms + CEREMONY_MS, pending));
        Ok(id)
    }

    /// Removes and returns a live ceremony (each is used once, even when it fails).
    fn take(&self, id: &str, now_ms: i64) -> Option<Pending> {
        let mut map = self.0.lock().ok()?;
        map.remove(id).filter(|(expires, _)| *expires > now_ms).map(|(_, p)| p)
    }
}

/// Builds the relying party from the settings.
pub(crate) fn relying_party(settings: &PasskeySettings) -> Result<Webauthn> {
    let bad = |reason: String| StoreError::Invalid(format!("passkey origin '{}': {reason}", settings.origin));
    let origin = Url::parse(&settings.origin).map_err(|e| bad(e.to_string()))?;
    let rp_id = match origin.host_str() {
        Some(h) if h.starts_with('[') || h.parse::<std::net::IpAddr>().is_ok() => {
            return Err(bad("passkeys need a host name (e.g. localhost), not an IP address".into()));
        }
        Some(h) => h.to_string(),
        None => return Err(bad("no host".into())),
    };
    WebauthnBuilder::new(&rp_id, &origin)
        .and_then(|b| b.rp_name(&settings.rp_name).build())
        .map_err(|e| bad(e.to_string()))
}

/// The WebAuthn user handle: stable per account, and not the e-mail or the database id.
fn user_handle(user: &User) -> Uuid {
    let digest = sha256_hex(format!("kakou-webauthn-user:{}", user.id).as_bytes());
    Uuid::parse_str(&digest[..32]).unwrap_or_else(|_| Uuid::from_u128(user.id as u128))
}

impl Store {
    fn relying_party(&self) -> Result<&Webauthn> {
        self.webauthn.as_deref().ok_or_else(|| {
            StoreError::Invalid("passkeys are not configured on this server (kakou-web serve --public-url)".into())
        })
    }

    async fn stored_passkeys(&self, user_id: i64) -> Result<Vec<(i64, Passkey)>> {
        let rows = sqlx::query("SELECT id, passkey FROM passkeys WHERE user_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let json: String = row.try_get("passkey")?;
                let key =
                    serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("stored passkey: {e}")))?;
                Ok((row.try_get("id")?, key))
            })
            .collect()
    }

    /// The user's passkeys, oldest first.
    pub async fn list_passkeys(&self, user_id: i64) -> Result<Vec<PasskeyInfo>> {
        let rows =
            sqlx::query("SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY id")
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(PasskeyInfo {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                })
            })
            .collect()
    }

    /// Starts adding a passkey to a signed-in user's account.
    pub async fn begin_passkey_registration(&self, user: &User) -> Result<Ceremony<CreationChallengeResponse>> {
        let rp = self.relying_party()?;
        let existing: Vec<_> =
            self.stored_passkeys(user.id).await?.into_iter().map(|(_, k)| k.cred_id().clone()).collect();
        let (options, state) = rp
            .start_passkey_registration(user_handle(user), &user.email, &user.email, Some(existing))
            .map_err(|e| StoreError::Invalid(format!("passkey registration: {e}")))?;
        let ceremony =
            self.ceremonies.put(self.now_ms(), Pending::Registration { user_id: user.id, state: Box::new(state) })?;
        Ok(Ceremony { ceremony, options })
    }

    /// Checks the browser's new credential and stores it under `name`.
    pub async fn finish_passkey_registration(
        &self,
        user: &User,
        ceremony: &str,
        name: &str,
        credential: &RegisterPublicKeyCredential,
    ) -> Result<PasskeyInfo> {
        let rp = self.relying_party()?;
        let Some(Pending::Registration { user_id, state }) = self.ceremonies.take(ceremony, self.now_ms()) else {
            return Err(StoreError::Invalid("passkey registration expired or unknown: start again".into()));
        };
        if user_id != user.id {
            return Err(StoreError::Forbidden("this passkey registration was started by another account".into()));
        }
        let key = rp
            .finish_passkey_registration(credential, &state)
            .map_err(|e| StoreError::Invalid(format!("the browser's passkey was refused: {e}")))?;
        let name = match name.trim() {
            "" => "passkey".to_string(),
            n => n.chars().take(60).collect(),
        };
        let json = serde_json::to_string(&key).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = self.now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO passkeys (user_id, credential_id, name, passkey, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user.id)
        .bind(hex(key.cred_id().as_ref()))
        .bind(&name)
        .bind(json)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        self.set_passkey_count(user.id).await?;
        self.audit_as(
            &Actor::from(user),
            "passkey.add",
            &format!("user:{}", user.id),
            serde_json::json!({"passkey": id, "name": name}),
        )
        .await?;
        Ok(PasskeyInfo { id, name, created_at: now, last_used_at: None })
    }

    /// Removes one of a user's passkeys (the user, or an admin).
    pub async fn remove_passkey(&self, actor: &Actor, user_id: i64, passkey_id: i64) -> Result<()> {
        if actor.user_id != Some(user_id) {
            actor.require(crate::Role::Admin)?;
        }
        let removed = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
            .bind(passkey_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if removed == 0 {
            return Err(StoreError::NotFound(format!("passkey {passkey_id} of user {user_id}")));
        }
        self.set_passkey_count(user_id).await?;
        self.audit_as(actor, "passkey.remove", &format!("user:{user_id}"), serde_json::json!({"passkey": passkey_id}))
            .await
    }

    async fn set_passkey_count(&self, user_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE users SET passkey_count = (SELECT COUNT(*) FROM passkeys WHERE user_id = $1) WHERE id = $1",
        )
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sign-in with a passkey, first half: checks the password exactly as [`Store::login`]
    /// does (same lockout, same generic error), then returns the challenge.
    pub async fn begin_passkey_login(
        &self,
        req: &LoginRequest,
    ) -> Result<Ceremony<RequestChallengeResponse>, AuthError> {
        let rp = self.relying_party()?;
        let user = self.check_password(req).await?;
        let keys: Vec<Passkey> = self.stored_passkeys(user.id).await?.into_iter().map(|(_, k)| k).collect();
        if keys.is_empty() {
            return Err(StoreError::Invalid("this account has no passkey: sign in with the code instead".into()).into());
        }
        let (options, state) =
            rp.start_passkey_authentication(&keys).map_err(|e| StoreError::Invalid(format!("passkey sign-in: {e}")))?;
        let ceremony =
            self.ceremonies.put(self.now_ms(), Pending::Login { user_id: user.id, state: Box::new(state) })?;
        Ok(Ceremony { ceremony, options })
    }

    /// Sign-in with a passkey, second half: verifies the signature and opens a session. A bad
    /// or expired answer counts as a failed login.
    pub async fn finish_passkey_login(
        &self,
        ceremony: &str,
        credential: &PublicKeyCredential,
        req: &LoginRequest,
    ) -> Result<NewSession, AuthError> {
        let rp = self.relying_party()?;
        let Some(Pending::Login { user_id, state }) = self.ceremonies.take(ceremony, self.now_ms()) else {
            return Err(AuthError::InvalidCredentials);
        };
        let user = self.user(user_id).await?;
        let result = match rp.finish_passkey_authentication(credential, &state) {
            Ok(r) => r,
            Err(_) => return Err(self.record_failure(&user, req, "passkey").await),
        };
        let credential_id = hex(result.cred_id().as_ref());
        for (id, mut key) in self.stored_passkeys(user.id).await? {
            if hex(key.cred_id().as_ref()) != credential_id {
                continue;
            }
            key.update_credential(&result);
            let json = serde_json::to_string(&key).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            sqlx::query("UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE id = $3")
                .bind(json)
                .bind(self.now_ms())
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        self.complete_login(&user, req, "passkey").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{PASSWORD, each_store, hospital_with_uploader};

    /// A well-formed registration answer that no authenticator signed.
    fn forged_registration() -> RegisterPublicKeyCredential {
        serde_json::from_value(serde_json::json!({
            "id": "AAAA", "rawId": "AAAA", "type": "public-key",
            "response": {"attestationObject": "AAAA", "clientDataJSON": "AAAA"}
        }))
        .unwrap()
    }

    fn req(email: &str, password: &str) -> LoginRequest {
        LoginRequest { email: email.into(), password: password.into(), totp: None, ip: Some("192.0.2.7".into()) }
    }

    #[test]
    fn the_relying_party_needs_a_host_name() {
        let ok = PasskeySettings { origin: "http://localhost:3000".into(), rp_name: "Kakou".into() };
        assert!(relying_party(&ok).is_ok());
        for origin in ["http://127.0.0.1:3000", "not a url", "file:///tmp"] {
            let e = relying_party(&PasskeySettings { origin: origin.into(), rp_name: "Kakou".into() });
            assert!(matches!(e, Err(StoreError::Invalid(ref m)) if m.contains(origin)), "{origin}: {e:?}");
        }
    }

    #[test]
    fn user_handles_are_stable_and_distinct() {
        let mut a = User {
            id: 1,
            org_id: 1,
            email: "a@example.org".into(),
            role: crate::Role::Uploader,
            disabled: false,
            totp_enabled: false,
            passkeys: 0,
            has_password: true,
            locked_until: None,
            created_at: 0,
        };
        let first = user_handle(&a);
        assert_eq!(first, user_handle(&a));
        a.id = 2;
        assert_ne!(first, user_handle(&a));
        assert!(!first.to_string().contains("example"));
    }

    #[tokio::test]
    async fn registration_options_exclude_nothing_new_and_ceremonies_are_single_use() {
        for store in each_store().await {
            let (_, user) = hospital_with_uploader(&store, "PK").await;
            let started = store.begin_passkey_registration(&user).await.unwrap();
            let options = serde_json::to_value(&started.options).unwrap();
            assert_eq!(options["publicKey"]["rp"]["id"], "localhost");
            assert_eq!(options["publicKey"]["user"]["name"], user.email.as_str());
            assert_eq!(options["publicKey"]["authenticatorSelection"]["userVerification"], "required");
            // A forged answer is refused, and the ceremony is gone afterwards.
            let forged = forged_registration();
            let e = store.finish_passkey_registration(&user, &started.ceremony, "laptop", &forged).await.unwrap_err();
            assert!(matches!(e, StoreError::Invalid(ref m) if m.contains("refused")), "{e}");
            let e = store.finish_passkey_registration(&user, &started.ceremony, "laptop", &forged).await.unwrap_err();
            assert!(matches!(e, StoreError::Invalid(ref m) if m.contains("expired or unknown")), "{e}");
            assert!(store.list_passkeys(user.id).await.unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn a_ceremony_expires_and_belongs_to_its_user() {
        for store in each_store().await {
            let (_, user) = hospital_with_uploader(&store, "PX").await;
            let (_, other) = hospital_with_uploader(&store, "PY").await;
            let forged = forged_registration();
            let started = store.begin_passkey_registration(&user).await.unwrap();
            let e = store.finish_passkey_registration(&other, &started.ceremony, "x", &forged).await.unwrap_err();
            assert!(matches!(e, StoreError::Forbidden(_)), "{e}");
            let started = store.begin_passkey_registration(&user).await.unwrap();
            store.config.clock.advance_ms(CEREMONY_MS + 1);
            let e = store.finish_passkey_registration(&user, &started.ceremony, "x", &forged).await.unwrap_err();
            assert!(matches!(e, StoreError::Invalid(ref m) if m.contains("expired")), "{e}");
        }
    }

    #[tokio::test]
    async fn passkey_sign_in_checks_the_password_first_and_needs_a_passkey() {
        for store in each_store().await {
            let (_, user) = hospital_with_uploader(&store, "PL").await;
            let e = store.begin_passkey_login(&req(&user.email, "wrong password!")).await.unwrap_err();
            assert!(matches!(e, AuthError::InvalidCredentials), "{e}");
            let e = store.begin_passkey_login(&req(&user.email, PASSWORD)).await.unwrap_err();
            assert!(matches!(e, AuthError::Store(StoreError::Invalid(ref m)) if m.contains("no passkey")), "{e}");
            // An unknown ceremony is a plain failed login.
            let forged: PublicKeyCredential = serde_json::from_value(serde_json::json!({
                "id": "AAAA", "rawId": "AAAA", "type": "public-key",
                "response": {"authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA"}
            }))
            .unwrap();
            let e = store.finish_passkey_login("0123", &forged, &req(&user.email, PASSWORD)).await.unwrap_err();
            assert!(matches!(e, AuthError::InvalidCredentials), "{e}");
        }
    }

    #[tokio::test]
    async fn a_user_with_only_passkeys_cannot_sign_in_with_the_password_alone() {
        for store in each_store().await {
            let (_, user) = hospital_with_uploader(&store, "PO").await;
            // A passkey row as registration would leave it (the key material is not checked here).
            sqlx::query("UPDATE users SET passkey_count = 1 WHERE id = $1")
                .bind(user.id)
                .execute(&store.pool)
                .await
                .unwrap();
            let e = store.login(&req(&user.email, PASSWORD)).await.unwrap_err();
            assert!(matches!(e, AuthError::PasskeyRequired), "{e}");
            assert!(store.user(user.id).await.unwrap().has_second_factor());
        }
    }

    #[tokio::test]
    async fn removing_a_passkey_is_for_its_owner_or_an_admin() {
        for store in each_store().await {
            let (_, user) = hospital_with_uploader(&store, "PR").await;
            let (_, other) = hospital_with_uploader(&store, "PS").await;
            let e = store.remove_passkey(&Actor::from(&other), user.id, 1).await.unwrap_err();
            assert!(matches!(e, StoreError::Forbidden(_)), "{e}");
            let e = store.remove_passkey(&Actor::from(&user), user.id, 999).await.unwrap_err();
            assert!(matches!(e, StoreError::NotFound(_)), "{e}");
        }
    }
}
