//! # kakou-wasm: Kakou in the browser, in Web Workers and in Node
//!
//! A thin wasm-bindgen layer over [`kakou_sdk`] and [`kakou_dicom`]: it turns JS options into the
//! same key and policy the native CLI builds, calls the same `Deidentifier`, and hands back the
//! bytes and the report. It holds no de-identification logic of its own, which is what makes the
//! browser's output byte-identical to the CLI's for the same key and input.
//!
//! ```js
//! import init, { deidentifyDicom, DicomDeidentifier, generateKey } from "@kakou/sdk";
//! await init();
//! const key = generateKey();
//! const { bytes, report } = deidentifyDicom(input, { key, preset: "jp-anonymized", name: "a.dcm" });
//! // many files (e.g. in a Web Worker): build the policy once
//! const deid = new DicomDeidentifier({ key, preset: "basic" });
//! for (const f of files) { const r = deid.deidentify(f.name, f.bytes); /* … */ }
//! console.log(deid.summary());
//! ```
//!
//! Structured records (CSV/TSV incl. CP932, HL7 v2, FHIR R4): `pseudonymizeCsv`,
//! `RecordsCsvPseudonymizer` (streaming), `pseudonymizeFhir`, `pseudonymizeHl7`, `sealMapping`,
//! `openMapping` — see [`records`].
//!
//! Linkage tokens (名寄せ): `linkageTokens`, `generateLinkageKey`, `linkageKeyFingerprint` — see
//! [`linkage`].
//!
//! Errors are thrown as JS `Error`s named `KakouError` with a stable `code` (`not-dicom`,
//! `parse-error`, `invalid-key`, `policy-error`, …) and, for per-file errors, `file`.
//! Without the `jpeg2000` feature (it does not link on wasm32), JPEG 2000 pixel data cannot be
//! decoded here: such a file that needs pixel blanking is quarantined, as the core reports.

mod anonymize;
mod deface;
mod error;
pub mod linkage;
mod options;
pub mod package;
pub mod records;
mod text;
mod types;

use kakou_dicom::Deidentifier;
use kakou_sdk::ProjectKey;
use kakou_sdk::report::{ActionKind, BatchSummary, Outcome};
use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

pub use anonymize::{anonymize_table, assess_risk};
pub use deface::deface_series;
pub use error::Failure;
pub use linkage::{generate_linkage_key, linkage_key_fingerprint, linkage_tokens};
pub use options::Options;
pub use text::{TextRedactor, dictionaries_loaded, load_dictionaries, redact_text};
pub use types::{
    BatchSummaryObject, DeidentifyOptions, DeidentifyResult, PatientIdentifiersObject, PolicyObject, RedactTextOptions,
    RedactTextResult,
};

/// Runs once when the module is instantiated: Rust panics show up in the console with their
/// message instead of a bare `unreachable`.
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The package version (the Rust crates' version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// A new random project key (64 hex digits) from the platform's secure random source
/// (`crypto.getRandomValues`). Store it like a password: it decides every pseudonym and UID.
#[wasm_bindgen(js_name = generateKey)]
pub fn generate_key() -> Result<String, JsValue> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Failure::new("no-random-source", format!("no secure random source: {e}")))?;
    Ok(ProjectKey::from_bytes(bytes).to_hex())
}

/// The key's short, non-secret fingerprint (16 hex digits), as printed by the CLI.
#[wasm_bindgen(js_name = keyFingerprint)]
pub fn key_fingerprint(key: &str) -> Result<String, JsValue> {
    Ok(options::parse_key(key)?.fingerprint())
}

/// De-identifies one DICOM file. For many files, use [`DicomDeidentifier`], which builds the
/// policy once. Throws a `KakouError` (`not-dicom`, `parse-error`, `invalid-key`, …).
#[wasm_bindgen(js_name = deidentifyDicom)]
pub fn deidentify_dicom(bytes: &[u8], options: &DeidentifyOptions) -> Result<DeidentifyResult, JsValue> {
    let opts = read_options(options)?;
    let deid = Deidentifier::new(opts.key()?, opts.policy()?)
        .map_err(|e| Failure::new("policy-error", format!("policy: {e}")))?;
    let name = opts.name.as_deref().unwrap_or("input");
    let processed = deid.deidentify(name, bytes).map_err(Failure::from)?;
    result_object(&processed.bytes, &processed.report)
}

/// De-identifies many files under one key and policy, and counts them (for a Web Worker or a
/// Node batch). Construct once, call `deidentify` per file, read `summary()` at the end.
#[wasm_bindgen]
pub struct DicomDeidentifier {
    deid: Deidentifier,
    fingerprint: String,
    summary: BatchSummary,
}

#[wasm_bindgen]
impl DicomDeidentifier {
    /// Checks the key and the policy (throws `invalid-key`, `invalid-options` or `policy-error`).
    #[wasm_bindgen(constructor)]
    pub fn new(options: &DeidentifyOptions) -> Result<DicomDeidentifier, JsValue> {
        let opts = read_options(options)?;
        let key = opts.key()?;
        let fingerprint = key.fingerprint();
        let deid =
            Deidentifier::new(key, opts.policy()?).map_err(|e| Failure::new("policy-error", format!("policy: {e}")))?;
        Ok(DicomDeidentifier { deid, fingerprint, summary: BatchSummary::default() })
    }

    /// De-identifies one file; `name` (e.g. its relative path) appears in the report and errors.
    /// Counted in the summary either way: a file that is not DICOM as skipped, other errors as
    /// failed (then rethrown), as the CLI counts them.
    pub fn deidentify(&mut self, name: &str, bytes: &[u8]) -> Result<DeidentifyResult, JsValue> {
        match self.deid.deidentify(name, bytes) {
            Ok(p) => {
                let actions: Vec<ActionKind> = p.report.actions.iter().map(|a| a.action).collect();
                self.summary.add(
                    p.report.outcome,
                    actions,
                    p.report.reason_codes(),
                    p.report.bytes_in,
                    p.report.bytes_out,
                );
                result_object(&p.bytes, &p.report)
            }
            Err(e) => {
                let outcome =
                    if matches!(e.kind, kakou_dicom::ErrorKind::NotDicom) { Outcome::Skipped } else { Outcome::Failed };
                self.summary.add(outcome, [], [e.kind.code().to_string()], bytes.len() as u64, 0);
                Err(Failure::from(e).into())
            }
        }
    }

    /// Counts over every file passed so far (same fields as the CLI's summary.json).
    pub fn summary(&self) -> Result<BatchSummaryObject, JsValue> {
        Ok(to_js(&self.summary)?.unchecked_into())
    }

    /// The same counts as the CLI's text report (several lines).
    #[wasm_bindgen(js_name = summaryText)]
    pub fn summary_text(&self) -> String {
        self.summary.to_text()
    }

    /// The key's fingerprint (non-secret), for the report.
    #[wasm_bindgen(getter)]
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    /// The effective policy (preset, options, birth date, address, burned-in rules…).
    pub fn policy(&self) -> Result<PolicyObject, JsValue> {
        Ok(to_js(self.deid.policy())?.unchecked_into())
    }
}

pub(crate) fn read_options(options: &DeidentifyOptions) -> Result<Options, Failure> {
    let value: &JsValue = options.as_ref();
    if !value.is_object() {
        return Err(Failure::new("invalid-options", "options must be an object with at least { key }"));
    }
    // serde-wasm-bindgen reads only the fields a struct names, so unknown ones are caught here:
    // a misspelt option must not be silently ignored in a de-identification tool.
    for k in js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>()).iter() {
        let k = k.as_string().unwrap_or_default();
        if !Options::FIELDS.contains(&k.as_str()) {
            return Err(Failure::new(
                "invalid-options",
                format!("options: unknown field '{k}' (known: {})", Options::FIELDS.join(", ")),
            ));
        }
    }
    serde_wasm_bindgen::from_value(value.clone()).map_err(|e| Failure::new("invalid-options", format!("options: {e}")))
}

/// Plain JS objects (maps as objects, `None` as `null`) so results survive `JSON.stringify`
/// and `postMessage` unchanged.
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let ser = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true).serialize_missing_as_null(true);
    value.serialize(&ser).map_err(|e| Failure::new("write-error", format!("report: {e}")).into())
}

pub(crate) fn result_object(bytes: &[u8], report: &kakou_dicom::FileReport) -> Result<DeidentifyResult, JsValue> {
    let obj = js_sys::Object::new();
    // A copy out of wasm memory: a view would be invalidated when the memory grows.
    js_sys::Reflect::set(&obj, &"bytes".into(), &js_sys::Uint8Array::from(bytes))?;
    js_sys::Reflect::set(&obj, &"report".into(), &to_js(report)?)?;
    Ok(obj.unchecked_into())
}
