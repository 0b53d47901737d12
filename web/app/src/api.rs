//! The server functions every page calls, and the plain data they return. Types here are
//! shared by the server and the browser builds; the bodies run on the server only.
//!
//! Every function that changes something takes the session's CSRF token as its first argument
//! and checks it ([`crate::server::session::authorize`]): a forged request from another site
//! has the cookie but never the token.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The signed-in user, as pages need them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub email: String,
    pub role: String,
    pub org_id: i64,
    pub org_name: String,
    pub org_kind: String,
    pub csrf: String,
    pub totp_enabled: bool,
    /// Registered passkeys.
    pub passkeys: i64,
    /// The organisation's de-identification policy as JSON (`kakou_store::policy::OrgPolicy`),
    /// which the upload page hands to the SDK.
    pub policy: String,
}

impl Me {
    /// TOTP or a passkey: required before any page but the account page.
    pub fn has_second_factor(&self) -> bool {
        self.totp_enabled || self.passkeys > 0
    }
}

/// An organisation's policy as the policy page edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgPolicyRow {
    pub org_id: i64,
    pub org_name: String,
    pub org_kind: String,
    pub preset: String,
    /// The records policy, pretty JSON; empty for the SDK defaults.
    pub records: String,
}

/// A passkey as the account page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasskeyRow {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub last_used_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvisionRow {
    pub id: i64,
    pub provided_at: String,
    pub items: String,
    pub files: u64,
    pub excluded_opt_out: u64,
    pub quarantined: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptOutRow {
    pub pseudonym: String,
    pub added_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeletionRow {
    pub id: i64,
    pub org_id: i64,
    pub created_at: String,
    pub subject: String,
    pub package: String,
    pub reason: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub org: String,
    pub role: String,
    pub disabled: bool,
    pub totp: bool,
    pub passkeys: i64,
    pub locked: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TotpSetup {
    pub secret: String,
    pub uri: String,
}

#[cfg(feature = "ssr")]
use crate::server::api_impl as imp;

#[server]
pub async fn current_user() -> Result<Option<Me>, ServerFnError> {
    imp::me().await
}

#[server]
pub async fn login(email: String, password: String, totp: Option<String>) -> Result<(), ServerFnError> {
    imp::login(email, password, totp).await
}

#[server]
pub async fn logout(csrf: String) -> Result<(), ServerFnError> {
    imp::logout(csrf).await
}

#[server]
pub async fn complete_setup(token: String, password: String) -> Result<(), ServerFnError> {
    imp::complete_setup(token, password).await
}

#[server]
pub async fn begin_totp(csrf: String) -> Result<TotpSetup, ServerFnError> {
    imp::begin_totp(csrf).await
}

#[server]
pub async fn confirm_totp(csrf: String, code: String) -> Result<(), ServerFnError> {
    imp::confirm_totp(csrf, code).await
}

#[server]
pub async fn org_policies() -> Result<Vec<OrgPolicyRow>, ServerFnError> {
    imp::org_policies().await
}

#[server]
pub async fn set_org_policy(csrf: String, org_id: i64, preset: String, records: String) -> Result<(), ServerFnError> {
    imp::set_org_policy(csrf, org_id, preset, records).await
}

#[server]
pub async fn my_passkeys() -> Result<Vec<PasskeyRow>, ServerFnError> {
    imp::my_passkeys().await
}

#[server]
pub async fn remove_passkey(csrf: String, id: i64) -> Result<(), ServerFnError> {
    imp::remove_passkey(csrf, id).await
}

#[server]
pub async fn provisions() -> Result<Vec<ProvisionRow>, ServerFnError> {
    imp::provisions().await
}

#[server]
pub async fn optouts() -> Result<Vec<OptOutRow>, ServerFnError> {
    imp::optouts().await
}

/// Also posted by a plain form (`/api/add_optout`, see `assets/optout.js`): a fixed endpoint.
#[server(endpoint = "add_optout")]
pub async fn add_optout(csrf: String, pseudonym: String) -> Result<(), ServerFnError> {
    imp::add_optout(csrf, pseudonym).await
}

#[server]
pub async fn remove_optout(csrf: String, pseudonym: String) -> Result<(), ServerFnError> {
    imp::remove_optout(csrf, pseudonym).await
}

#[server]
pub async fn deletion_requests() -> Result<Vec<DeletionRow>, ServerFnError> {
    imp::deletion_requests().await
}

#[server(endpoint = "request_deletion")]
pub async fn request_deletion(
    csrf: String,
    subject: String,
    package: Option<String>,
    reason: String,
) -> Result<(), ServerFnError> {
    imp::request_deletion(csrf, subject, package, reason).await
}

#[server]
pub async fn advance_deletion(csrf: String, id: i64) -> Result<(), ServerFnError> {
    imp::advance_deletion(csrf, id).await
}

#[server]
pub async fn users() -> Result<(Vec<UserRow>, Vec<OrgRow>), ServerFnError> {
    imp::users().await
}

#[server]
pub async fn create_org(csrf: String, name: String, kind: String) -> Result<(), ServerFnError> {
    imp::create_org(csrf, name, kind).await
}

/// Creates a user and returns their one-time setup link.
#[server]
pub async fn create_user(csrf: String, email: String, org_id: i64, role: String) -> Result<String, ServerFnError> {
    imp::create_user(csrf, email, org_id, role).await
}

#[server]
pub async fn set_role(csrf: String, user_id: i64, role: String) -> Result<(), ServerFnError> {
    imp::set_role(csrf, user_id, role).await
}

#[server]
pub async fn audit_search(actor: Option<String>, action: Option<String>) -> Result<Vec<AuditRow>, ServerFnError> {
    imp::audit_search(actor, action).await
}

/// Verifies the whole audit chain → "N entries verified" or the first broken entry.
#[server]
pub async fn audit_verify(csrf: String) -> Result<String, ServerFnError> {
    imp::audit_verify(csrf).await
}
