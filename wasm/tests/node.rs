//! The JS-facing API, run in Node by wasm-bindgen-test-runner.
#![cfg(target_arch = "wasm32")]

mod common;

kakou_wasm_tests!();
kakou_records_wasm_tests!();
kakou_anonymize_tests!();

/// This file really runs in Node (no DOM).
#[wasm_bindgen_test::wasm_bindgen_test]
fn runs_in_node() {
    let global = js_sys::global();
    assert!(!js_sys::Reflect::has(&global, &"document".into()).unwrap_or(true), "a document: not Node");
    assert!(js_sys::Reflect::has(&global, &"process".into()).unwrap_or(false));
}
