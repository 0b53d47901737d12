//! Sessions as the web layer sees them: the `kakou_session` cookie (HttpOnly, SameSite=Strict,
//! Secure over https), the signed-in user behind it, and the CSRF check every state-changing
//! call makes. The token itself is random and stored only hashed ([`kakou_store::session`]).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use kakou_store::session::csrf_token_valid;
use kakou_store::{Actor, Session, StoreError};
use leptos::prelude::*;

use super::AppState;

pub const COOKIE: &str = "kakou_session";

/// The session token from a request's `Cookie` header.
pub fn token_from(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value for a new session (or, with `None`, one that clears it).
pub fn cookie(token: Option<&str>, secure: bool, max_age_s: i64) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    let value = match token {
        Some(t) => format!("{COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"),
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&value).ok()
}

/// The session of a request, if it carries a live one.
pub async fn of_headers(state: &AppState, headers: &HeaderMap) -> Result<Option<(Session, String)>, StoreError> {
    let Some(token) = token_from(headers) else { return Ok(None) };
    Ok(state.store.session(&token).await?.map(|s| (s, token)))
}

/// The app state inside a server function or page render.
pub fn state() -> Result<AppState, ServerFnError> {
    use_context::<AppState>().ok_or_else(|| ServerFnError::new("server state missing"))
}

/// The request headers inside a server function.
pub fn request_headers() -> HeaderMap {
    use_context::<axum::http::request::Parts>().map(|p| p.headers).unwrap_or_default()
}

/// The signed-in session for this server function call, if any.
pub async fn current() -> Result<Option<(Session, String)>, ServerFnError> {
    let state = state()?;
    of_headers(&state, &request_headers()).await.map_err(fail)
}

/// A signed-in session whose CSRF token matches `csrf`, or a refusal (HTTP 403).
pub async fn authorize(csrf: &str) -> Result<(Session, Actor), ServerFnError> {
    let Some((session, _)) = current().await? else {
        return Err(refuse("ログインが必要です / sign-in required"));
    };
    if !csrf_token_valid(&session, csrf) {
        let state = state()?;
        let event = kakou_store::AuditEvent {
            actor: session.user.email.clone(),
            org_id: Some(session.user.org_id),
            action: "csrf.rejected".into(),
            target: format!("user:{}", session.user.id),
            detail: serde_json::json!({}),
        };
        let _ = state.store.append_audit(event).await;
        return Err(refuse("CSRF token missing or wrong: reload the page"));
    }
    let actor = Actor::from(&session.user);
    Ok((session, actor))
}

/// A signed-in session for a read (no CSRF token needed: reads change nothing).
pub async fn reader() -> Result<(Session, Actor), ServerFnError> {
    match current().await? {
        Some((session, _)) => {
            let actor = Actor::from(&session.user);
            Ok((session, actor))
        }
        None => Err(refuse("ログインが必要です / sign-in required")),
    }
}

/// A 403 answer with `message`.
pub fn refuse(message: &str) -> ServerFnError {
    answer(StatusCode::FORBIDDEN, message)
}

/// An error answer with its HTTP status (a server function's errors are 500 otherwise).
pub fn answer(status: StatusCode, message: &str) -> ServerFnError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
    ServerFnError::new(message)
}

/// A store error as the user should read it, with the status that fits it.
pub fn fail(e: StoreError) -> ServerFnError {
    let status = match &e {
        StoreError::Forbidden(m) => return refuse(m),
        StoreError::NotFound(_) => StatusCode::NOT_FOUND,
        StoreError::Conflict(_) => StatusCode::CONFLICT,
        StoreError::Invalid(_) | StoreError::PasswordTooShort { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    answer(status, &e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others_and_is_locked_down() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; kakou_session=abc; b=2"));
        assert_eq!(token_from(&h).as_deref(), Some("abc"));
        h.insert(header::COOKIE, HeaderValue::from_static("kakou_session="));
        assert_eq!(token_from(&h), None);
        let c = cookie(Some("t"), true, 60).unwrap();
        let c = c.to_str().unwrap();
        for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
            assert!(c.contains(attr), "{c}");
        }
    }
}
