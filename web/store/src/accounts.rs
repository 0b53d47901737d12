//! Organisations and their users. Every user belongs to one organisation and has exactly one
//! role: a role is what the app authorises on, and one role per account keeps that decision a
//! single comparison (a person with two jobs gets two accounts, each audited on its own).

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::parse_column;
use crate::error::{Result, StoreError};
use crate::{Store, sha256_hex};

/// What kind of organisation: who provides data, who processes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrgKind {
    Hospital,
    Municipality,
    /// A certified creator (認定作成事業者).
    Creator,
}

/// A user's one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A hospital's data provider: uploads packages, keeps the opt-out registry.
    Uploader,
    /// The creator's operator: handles deletion requests and processing.
    Operator,
    /// An ethics / review committee member.
    Committee,
    Researcher,
    /// Manages organisations, users and the audit log.
    Admin,
}

macro_rules! text_enum {
    ($t:ty { $($v:ident = $s:literal),+ $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
        }
        impl std::str::FromStr for $t {
            type Err = StoreError;
            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $($s => Ok(Self::$v),)+
                    _ => Err(StoreError::Invalid(format!("unknown {} '{s}'", stringify!($t)))),
                }
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(OrgKind { Hospital = "hospital", Municipality = "municipality", Creator = "creator" });
text_enum!(Role {
    Uploader = "uploader",
    Operator = "operator",
    Committee = "committee",
    Researcher = "researcher",
    Admin = "admin",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub kind: OrgKind,
    pub created_at: i64,
}

/// A user as the app sees it (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    pub totp_enabled: bool,
    /// Registered passkeys ([`crate::passkey`]).
    pub passkeys: i64,
    pub has_password: bool,
    pub locked_until: Option<i64>,
    pub created_at: i64,
}

/// Who performs an action: a signed-in user, or the system (the admin CLI, background jobs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// The audit log's `actor`: the user's e-mail, or `system:<name>`.
    pub name: String,
    pub org_id: Option<i64>,
    pub role: Role,
}

impl Actor {
    /// The system acting with admin rights (the CLI on the server's own machine).
    pub fn system(name: &str) -> Actor {
        Actor { user_id: None, name: format!("system:{name}"), org_id: None, role: Role::Admin }
    }

    /// `Forbidden` unless the actor has this role.
    pub fn require(&self, role: Role) -> Result<()> {
        if self.role == role {
            Ok(())
        } else {
            Err(StoreError::Forbidden(format!("{} needs the role {role}, has {}", self.name, self.role)))
        }
    }

    /// The actor's organisation, which every org-scoped action works in.
    pub(crate) fn own_org(&self) -> Result<i64> {
        self.org_id.ok_or_else(|| StoreError::Forbidden(format!("{} belongs to no organisation", self.name)))
    }
}

impl User {
    /// TOTP or at least one passkey: the app lets no one past the account page without.
    pub fn has_second_factor(&self) -> bool {
        self.totp_enabled || self.passkeys > 0
    }
}

impl From<&User> for Actor {
    fn from(u: &User) -> Actor {
        Actor { user_id: Some(u.id), name: u.email.clone(), org_id: Some(u.org_id), role: u.role }
    }
}

/// A user to create. Without a password the account waits for its one-time setup link.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub org_id: i64,
    pub role: Role,
    pub password: Option<String>,
}

pub(crate) const USER_COLUMNS: &str =
    "id, org_id, email, role, disabled, totp_enabled, passkey_count, password_hash, locked_until, created_at";

pub(crate) fn user_from_row(row: &AnyRow) -> Result<User> {
    let password: Option<String> = row.try_get("password_hash")?;
    Ok(User {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        email: row.try_get("email")?,
        role: parse_column("users.role", &row.try_get::<String, _>("role")?)?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        totp_enabled: row.try_get::<i64, _>("totp_enabled")? != 0,
        passkeys: row.try_get("passkey_count")?,
        has_password: password.is_some(),
        locked_until: row.try_get("locked_until")?,
        created_at: row.try_get("created_at")?,
    })
}

fn org_from_row(row: &AnyRow) -> Result<Org> {
    Ok(Org {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: parse_column("orgs.kind", &row.try_get::<String, _>("kind")?)?,
        created_at: row.try_get("created_at")?,
    })
}

/// E-mail addresses are compared lower-case; `:` is refused because TOTP labels use it.
pub(crate) fn normalise_email(email: &str) -> Result<String> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254 && e.matches('@').count() == 1 && !e.starts_with('@') && !e.ends_with('@');
    if !ok || e.contains(':') || e.chars().any(char::is_whitespace) {
        return Err(StoreError::Invalid("not an e-mail address".into()));
    }
    Ok(e)
}

/// A one-time setup link lives this long.
pub const SETUP_TOKEN_TTL_MS: i64 = 24 * 3600 * 1000;

impl Store {
    /// Creates an organisation (admin only).
    pub async fn create_org(&self, actor: &Actor, name: &str, kind: OrgKind) -> Result<Org> {
        actor.require(Role::Admin)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("organisation name is empty".into()));
        }
        let row = sqlx::query(
            "INSERT INTO orgs (name, kind, created_at) VALUES ($1, $2, $3) RETURNING id, name, kind, created_at",
        )
        .bind(name)
        .bind(kind.as_str())
        .bind(self.now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| conflict_or(e, format!("organisation '{name}' exists")))?;
        let org = org_from_row(&row)?;
        let detail = serde_json::json!({"name": org.name, "kind": kind.as_str()});
        self.audit_as(actor, "org.create", &format!("org:{}", org.id), detail).await?;
        Ok(org)
    }

    pub async fn list_orgs(&self) -> Result<Vec<Org>> {
        let rows = sqlx::query("SELECT id, name, kind, created_at FROM orgs ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(org_from_row).collect()
    }

    pub async fn org(&self, id: i64) -> Result<Org> {
        let row = sqlx::query("SELECT id, name, kind, created_at FROM orgs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(org_from_row).transpose()?.ok_or_else(|| StoreError::NotFound(format!("org {id}")))
    }

    pub async fn org_by_name(&self, name: &str) -> Result<Option<Org>> {
        let row = sqlx::query("SELECT id, name, kind, created_at FROM orgs WHERE name = $1")
            .bind(name.trim())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(org_from_row).transpose()
    }

    /// Creates a user (admin only). The password, when given, must meet the policy.
    pub async fn create_user(&self, actor: &Actor, new: NewUser) -> Result<User> {
        actor.require(Role::Admin)?;
        let email = normalise_email(&new.email)?;
        self.org(new.org_id).await?;
        let hash = match &new.password {
            Some(p) => Some(self.hash_password(p).await?),
            None => None,
        };
        let sql = format!(
            "INSERT INTO users (org_id, email, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.org_id)
            .bind(&email)
            .bind(new.role.as_str())
            .bind(hash)
            .bind(self.now_ms())
            .fetch_one(&self.pool)
            .await
            .map_err(|e| conflict_or(e, "a user with this e-mail exists".into()))?;
        let user = user_from_row(&row)?;
        let detail = serde_json::json!({"email": email, "role": new.role.as_str(), "org_id": new.org_id});
        self.audit_as(actor, "user.create", &format!("user:{}", user.id), detail).await?;
        Ok(user)
    }

    /// Users, all or of one organisation (admin only).
    pub async fn list_users(&self, actor: &Actor, org_id: Option<i64>) -> Result<Vec<User>> {
        actor.require(Role::Admin)?;
        let rows = match org_id {
            Some(org) => {
                sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 ORDER BY id"))
                    .bind(org)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id")).fetch_all(&self.pool).await?,
        };
        rows.iter().map(user_from_row).collect()
    }

    pub async fn user(&self, id: i64) -> Result<User> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()?.ok_or_else(|| StoreError::NotFound(format!("user {id}")))
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let Ok(email) = normalise_email(email) else { return Ok(None) };
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Disables or re-enables an account (admin only). Disabling ends its sessions.
    pub async fn set_user_disabled(&self, actor: &Actor, user_id: i64, disabled: bool) -> Result<User> {
        actor.require(Role::Admin)?;
        let done = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("user {user_id}")));
        }
        if disabled {
            self.revoke_user_sessions(user_id).await?;
        }
        let action = if disabled { "user.disable" } else { "user.enable" };
        self.audit_as(actor, action, &format!("user:{user_id}"), serde_json::json!({})).await?;
        self.user(user_id).await
    }

    /// Changes a user's role (admin only, audited with the old and new role). The user's
    /// sessions end: a privilege change takes effect at the next login, never mid-session.
    pub async fn set_user_role(&self, actor: &Actor, user_id: i64, role: Role) -> Result<User> {
        actor.require(Role::Admin)?;
        let before = self.user(user_id).await?;
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.revoke_user_sessions(user_id).await?;
        let detail = serde_json::json!({"from": before.role.as_str(), "to": role.as_str()});
        self.audit_as(actor, "user.role", &format!("user:{user_id}"), detail).await?;
        self.user(user_id).await
    }

    /// A one-time setup token for an account without password (admin only): the app turns it
    /// into a link; it is stored hashed and expires after [`SETUP_TOKEN_TTL_MS`].
    pub async fn issue_setup_token(&self, actor: &Actor, user_id: i64) -> Result<String> {
        actor.require(Role::Admin)?;
        let token = crate::hex(&crate::random_bytes::<32>()?);
        sqlx::query("UPDATE users SET setup_token_hash = $1, setup_expires_at = $2 WHERE id = $3")
            .bind(sha256_hex(token.as_bytes()))
            .bind(self.now_ms() + SETUP_TOKEN_TTL_MS)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.audit_as(actor, "user.setup-link", &format!("user:{user_id}"), serde_json::json!({})).await?;
        Ok(token)
    }

    /// Sets the first password through a setup token; the token is spent.
    pub async fn complete_setup(&self, token: &str, password: &str) -> Result<User> {
        let hash = self.hash_password(password).await?;
        let row = sqlx::query(&format!(
            "UPDATE users SET password_hash = $1, setup_token_hash = NULL, setup_expires_at = NULL
             WHERE setup_token_hash = $2 AND setup_expires_at > $3 AND disabled = 0 RETURNING {USER_COLUMNS}"
        ))
        .bind(hash)
        .bind(sha256_hex(token.trim().as_bytes()))
        .bind(self.now_ms())
        .fetch_optional(&self.pool)
        .await?;
        let user = row
            .as_ref()
            .map(user_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound("setup link (unknown, used or expired)".into()))?;
        self.audit_as(&Actor::from(&user), "user.setup", &format!("user:{}", user.id), serde_json::json!({})).await?;
        Ok(user)
    }
}

/// A unique-constraint violation as a conflict, other errors unchanged.
pub(crate) fn conflict_or(e: sqlx::Error, message: String) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(message),
        _ => StoreError::Db(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{each_store, hospital_with_uploader};

    #[tokio::test]
    async fn users_are_created_listed_disabled_and_role_changes_are_audited() {
        for store in each_store().await {
            let admin = Actor::system("test");
            let (org, uploader) = hospital_with_uploader(&store, "A").await;
            assert_eq!(store.list_users(&admin, Some(org.id)).await.unwrap(), vec![uploader.clone()]);
            let dup =
                NewUser { email: uploader.email.to_uppercase(), org_id: org.id, role: Role::Uploader, password: None };
            assert!(matches!(store.create_user(&admin, dup).await, Err(StoreError::Conflict(_))));
            assert!(matches!(
                store.set_user_role(&Actor::from(&uploader), uploader.id, Role::Admin).await,
                Err(StoreError::Forbidden(_))
            ));
            let changed = store.set_user_role(&admin, uploader.id, Role::Researcher).await.unwrap();
            assert_eq!(changed.role, Role::Researcher);
            let log = store
                .audit_search(&admin, &crate::AuditQuery { action: Some("user.role".into()), ..Default::default() })
                .await
                .unwrap();
            assert_eq!(log.len(), 1);
            assert!(
                log[0].detail.contains("\"from\":\"uploader\"") && log[0].detail.contains("\"to\":\"researcher\""),
                "{}",
                log[0].detail
            );
            assert!(store.set_user_disabled(&admin, uploader.id, true).await.unwrap().disabled);
        }
    }

    #[tokio::test]
    async fn setup_token_sets_the_first_password_once() {
        for store in each_store().await {
            let admin = Actor::system("test");
            let org = store.create_org(&admin, "Org", OrgKind::Creator).await.unwrap();
            let new = NewUser { email: "root@example.org".into(), org_id: org.id, role: Role::Admin, password: None };
            let user = store.create_user(&admin, new).await.unwrap();
            assert!(!user.has_password);
            let token = store.issue_setup_token(&admin, user.id).await.unwrap();
            assert!(matches!(store.complete_setup(&token, "short").await, Err(StoreError::PasswordTooShort { .. })));
            let done = store.complete_setup(&token, "a long enough passphrase").await.unwrap();
            assert!(done.has_password);
            assert!(matches!(
                store.complete_setup(&token, "a long enough passphrase").await,
                Err(StoreError::NotFound(_))
            ));
        }
    }

    #[test]
    fn emails_are_normalised_and_colons_refused() {
        assert_eq!(normalise_email(" A@B.jp ").unwrap(), "a@b.jp");
        assert!(normalise_email("a:b@c").is_err());
        assert!(normalise_email("nope").is_err());
    }
}
