//! The server: axum routes around the Leptos pages, the upload and export endpoints, and the
//! state every handler shares ([`AppState`]).

pub mod api_impl;
pub mod passkeys;
pub mod security;
pub mod session;
pub mod uploads;

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use kakou_store::Store;
use kakou_store::ratelimit::AuthRateLimiter;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::services::ServeDir;

use crate::app::{App, shell};

/// What every request handler and server function can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub limiter: AuthRateLimiter,
    /// Mark the session cookie `Secure` (when the public URL is https).
    pub secure_cookies: bool,
    pub leptos: LeptosOptions,
}

impl AppState {
    pub fn new(store: Store, secure_cookies: bool, leptos: LeptosOptions) -> AppState {
        // Lockout (5 failures) decides first; the rate limit only stops floods and guessing
        // across many accounts from one address.
        let per = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        AppState { store: Arc::new(store), limiter: AuthRateLimiter::new(per(10), per(60)), secure_cookies, leptos }
    }
}

/// The whole app: pages and server functions (Leptos), uploads and exports (axum), static
/// files (the hydration wasm under `/pkg`, the SDK under `/sdk`, `/assets`), all behind the
/// security layers.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let site = state.leptos.site_root.to_string();
    let leptos = state.leptos.clone();
    let context_state = state.clone();
    let api = Router::new()
        .route("/api/uploads", post(uploads::create))
        .route("/api/uploads/{id}", get(uploads::status).put(uploads::put_chunk))
        .route("/api/uploads/{id}/finish", post(uploads::finish))
        .route("/api/optout", get(uploads::optout_list))
        .route("/api/passkeys/register/begin", post(passkeys::register_begin))
        .route("/api/passkeys/register/finish", post(passkeys::register_finish))
        .route("/api/passkeys/login/begin", post(passkeys::login_begin))
        .route("/api/passkeys/login/finish", post(passkeys::login_finish))
        .route("/api/provisions.csv", get(uploads::provisions_csv))
        .route("/api/provisions.json", get(uploads::provisions_json))
        .route("/healthz", get(|| async { "ok" }))
        // No icon: answer "no content" rather than a 404 on every page load.
        .route("/favicon.ico", get(|| async { axum::http::StatusCode::NO_CONTENT }))
        .layer(DefaultBodyLimit::max(uploads::MAX_CHUNK + 1024))
        .with_state(state.clone());
    Router::new()
        .leptos_routes_with_context(&leptos, routes, move || provide_context(context_state.clone()), {
            let leptos = leptos.clone();
            move || shell(leptos.clone())
        })
        .merge(api)
        .route("/api/{*rest}", put(uploads::not_found))
        .nest_service("/pkg", ServeDir::new(format!("{site}/pkg")))
        .nest_service("/sdk", ServeDir::new(format!("{site}/sdk")))
        .nest_service("/assets", ServeDir::new(format!("{site}/assets")))
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(axum::middleware::from_fn(security::same_origin_writes))
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(leptos)
}

/// Serves until Ctrl-C / SIGTERM.
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
