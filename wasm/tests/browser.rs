//! The JS-facing API, run in headless Chromium (through chromedriver) by wasm-bindgen-test-runner.
#![cfg(target_arch = "wasm32")]

mod common;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

kakou_wasm_tests!();
kakou_records_wasm_tests!();
kakou_anonymize_tests!();
kakou_linkage_tests!();

/// This file really runs in a browser page (where keys come from `crypto.getRandomValues`).
#[wasm_bindgen_test]
fn runs_in_a_browser_page() {
    let global = js_sys::global();
    assert!(js_sys::Reflect::has(&global, &"document".into()).unwrap_or(false), "no document: not a browser page");
    assert!(js_sys::Reflect::has(&global, &"crypto".into()).unwrap_or(false));
}
