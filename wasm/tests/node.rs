//! The JS-facing API, run in Node by wasm-bindgen-test-runner.
#![cfg(target_arch = "wasm32")]

mod common;

/// The lazy build (`--no-default-features`): the module ships without the lists; a bare name that
/// only the lexicon recognises is missed until JS loads them, and found after.
#[cfg(not(feature = "embedded-dictionaries"))]
#[wasm_bindgen_test::wasm_bindgen_test]
fn dictionaries_load_on_demand() {
    use common::*;
    use kakou_wasm::{dictionaries_loaded, load_dictionaries, redact_text};
    let note = "山田 太郎 70歳 男性。";
    let text = |r: kakou_wasm::RedactTextResult| get(&r.into(), "text").as_string().expect("text");
    // The only test that loads the lists in this build (the one shared test that needs them is
    // ignored here), so it starts on a module with nothing loaded.
    assert!(!dictionaries_loaded());
    {
        assert!(text(redact_text(note, None).expect("runs")).contains("山田"), "no lexicon, no bare name");
        let err = expect_error(load_dictionaries(b"==> ja_surnames <==\n"), "dictionaries-error");
        assert!(String::from(err.message()).contains("ja_given"));
        load_dictionaries(&dictionary_bundle()).expect("loads");
    }
    assert!(dictionaries_loaded());
    assert!(!text(redact_text(note, None).expect("runs")).contains("山田"), "the lexicon finds it once loaded");
    expect_error(load_dictionaries(&dictionary_bundle()), "dictionaries-error");
}

kakou_wasm_tests!();
kakou_records_wasm_tests!();
kakou_anonymize_tests!();
kakou_linkage_tests!();

/// This file really runs in Node (no DOM).
#[wasm_bindgen_test::wasm_bindgen_test]
fn runs_in_node() {
    let global = js_sys::global();
    assert!(!js_sys::Reflect::has(&global, &"document".into()).unwrap_or(true), "a document: not Node");
    assert!(js_sys::Reflect::has(&global, &"process".into()).unwrap_or(false));
}

/// Node only: a debug wasm build defaces this series in ~10 s, longer than the Chromium runner
/// lets a test block its page (release builds are timed by examples/bench_deface.mjs).
#[wasm_bindgen_test]
fn a_phantom_head_series_is_defaced_with_progress_and_qc() {
    use wasm_bindgen::JsCast;
    let slices = phantom_slices();
    let calls = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let seen = calls.clone();
    let cb = wasm_bindgen::closure::Closure::<dyn FnMut(String, f64)>::new(move |_s: String, f: f64| {
        assert!((0.0..=1.0).contains(&f));
        seen.set(seen.get() + 1);
    });
    let out = kakou_wasm::deface_series(
        slices.clone(),
        &opts(KEY_A, "basic"),
        Some(cb.as_ref().unchecked_ref::<js_sys::Function>().clone()),
        Some(true),
    )
    .expect("the phantom is defaced");
    assert!(calls.get() >= 4, "progress reported {} times", calls.get());
    let files: js_sys::Array = get(&out, "files").dyn_into().expect("files array");
    assert_eq!(files.length(), slices.length());
    for f in files.iter() {
        let bytes = js_sys::Uint8Array::from(get(&f, "bytes")).to_vec();
        let obj = parse(&bytes);
        assert_eq!(text(&obj, tags::RECOGNIZABLE_VISUAL_FEATURES).as_deref(), Some("NO"));
        assert!(contains(&bytes, "113102"), "Clean Recognizable Visual Features code");
        assert!(!contains(&bytes, "Phantom^Head"));
    }
    let summary = get(&out, "summary");
    let brain = get(&summary, "brainVolumeMl").as_f64().unwrap_or(0.0);
    assert!((600.0..2000.0).contains(&brain), "{brain}");
    assert!(get(&summary, "voxelsRemoved").as_f64().unwrap_or(0.0) > 1000.0);
    assert!(get(&summary, "earTissueRemovedMl").as_f64().unwrap_or(0.0) > 0.0, "the phantom's ears are removed");
    let qc = get(&out, "qc");
    let (w, h) = (get(&qc, "width").as_f64().unwrap_or(0.0), get(&qc, "height").as_f64().unwrap_or(0.0));
    assert_eq!(js_sys::Uint8Array::from(get(&qc, "pixels")).length() as f64, w * h);
    // a localizer-sized stack is refused with a code, nothing returned
    let few = slices.slice(0, 5);
    expect_error(kakou_wasm::deface_series(few, &opts(KEY_A, "basic"), None, None), "too-few-slices");
    let junk = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str("not bytes"));
    expect_error(kakou_wasm::deface_series(junk, &opts(KEY_A, "basic"), None, None), "invalid-options");
}

/// The default build has the lists built in: nothing to load.
#[cfg(feature = "embedded-dictionaries")]
#[wasm_bindgen_test]
fn dictionaries_are_built_in_by_default() {
    assert!(kakou_wasm::dictionaries_loaded());
    expect_error(kakou_wasm::load_dictionaries(b""), "dictionaries-error");
}
