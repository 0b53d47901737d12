//! The passkey (WebAuthn) endpoints that `assets/passkey.js` calls. The ceremonies themselves
//! are in [`kakou_store::passkey`]; here is only HTTP: JSON in and out, the session cookie, the
//! CSRF token for adding a passkey, and the auth rate limit for signing in.
//!
//! - `POST /api/passkeys/register/begin` → `{ceremony, options}` (signed in, CSRF)
//! - `POST /api/passkeys/register/finish` `{ceremony, name, credential}` → the new passkey
//! - `POST /api/passkeys/login/begin` `{email, password}` → `{ceremony, options}`
//! - `POST /api/passkeys/login/finish` `{ceremony, email, credential}` → session cookie + `{redirect}`

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kakou_store::passkey::{PublicKeyCredential, RegisterPublicKeyCredential};
use kakou_store::{AuthError, LoginRequest, format_ms};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::session::cookie;
use super::uploads::{answer, session_of, store_error};

type Answer = Result<Response, Response>;

pub async fn register_begin(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    let session = session_of(&state, &headers, true).await?;
    let started = state.store.begin_passkey_registration(&session.user).await.map_err(store_error)?;
    Ok(Json(started).into_response())
}

#[derive(Deserialize)]
pub struct RegisterFinish {
    ceremony: String,
    #[serde(default)]
    name: String,
    credential: RegisterPublicKeyCredential,
}

pub async fn register_finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<RegisterFinish>,
) -> Answer {
    let session = session_of(&state, &headers, true).await?;
    let key = state
        .store
        .finish_passkey_registration(&session.user, &body.ceremony, &body.name, &body.credential)
        .await
        .map_err(store_error)?;
    Ok(Json(key).into_response())
}

#[derive(Deserialize)]
pub struct LoginBegin {
    email: String,
    password: String,
}

pub async fn login_begin(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(body): Json<LoginBegin>,
) -> Answer {
    if let Err(wait) = state.limiter.check(peer.ip(), &body.email) {
        let message = format!("試行が多すぎます。Too many attempts: wait {} s", wait.as_secs() + 1);
        return Err(answer(StatusCode::TOO_MANY_REQUESTS, message));
    }
    let request = login_request(&body.email, body.password, peer);
    let started = state.store.begin_passkey_login(&request).await.map_err(auth_error)?;
    Ok(Json(started).into_response())
}

#[derive(Deserialize)]
pub struct LoginFinish {
    ceremony: String,
    email: String,
    credential: PublicKeyCredential,
}

pub async fn login_finish(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(body): Json<LoginFinish>,
) -> Answer {
    let request = login_request(&body.email, String::new(), peer);
    let new = state.store.finish_passkey_login(&body.ceremony, &body.credential, &request).await.map_err(auth_error)?;
    let max_age = state.store.config().sessions.absolute_ms / 1000;
    let Some(set_cookie) = cookie(Some(&new.token), state.secure_cookies, max_age) else {
        return Err(answer(StatusCode::INTERNAL_SERVER_ERROR, "session cookie"));
    };
    Ok(([(header::SET_COOKIE, set_cookie)], Json(json!({ "redirect": "/" }))).into_response())
}

fn login_request(email: &str, password: String, peer: SocketAddr) -> LoginRequest {
    LoginRequest { email: email.trim().to_string(), password, totp: None, ip: Some(peer.ip().to_string()) }
}

/// The same generic messages as the sign-in form.
fn auth_error(e: AuthError) -> Response {
    match e {
        AuthError::Locked { until_ms } => answer(
            StatusCode::FORBIDDEN,
            format!(
                "アカウントはロックされています。Account locked until {} (repeated failures).",
                format_ms(until_ms)
            ),
        ),
        AuthError::InvalidCredentials | AuthError::TotpRequired | AuthError::PasskeyRequired => answer(
            StatusCode::UNAUTHORIZED,
            "メール、パスワード又はパスキーが違います。Wrong e-mail, password or passkey.",
        ),
        AuthError::Store(e) => store_error(e),
    }
}
