//! Kakou's web app: the certified creator's workflow and the hospitals' upload, de-identified
//! in the hospital's browser before anything is sent.
//!
//! One crate, two builds that share every page: `ssr` (the axum server renders each page and
//! runs the server functions against [`kakou_store`]) and `hydrate` (the wasm that makes the
//! rendered pages interactive). The hospital's de-identification itself is not in this crate:
//! the upload page runs the SDK's npm package (`@kakou/sdk`, the `wasm/` crate) in a Web
//! Worker, exactly as an EHR vendor would embed it.
pub mod api;
pub mod app;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

/// Browser entry point: attaches the interactive parts to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // A marker for people and tests: the page is interactive from here on.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
