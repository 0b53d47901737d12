//! Structured records in the browser: the same pseudonymization as `kakou records pseudonymize`.
//!
//! ```js
//! const { csv, report } = pseudonymizeCsv(bytes, { key, policy: { columns: { "患者ID": "patient-id" } } });
//! // large files, e.g. a File from <input type=file>, chunk by chunk in a Web Worker:
//! const p = new RecordsCsvPseudonymizer({ key, policy, name: file.name });
//! for await (const chunk of file.stream()) out.push(p.push(chunk));
//! const { csv: tail, report } = p.finish();
//! ```
//!
//! The mapping pseudonym → local ID is returned only with `mapping: true`, as a separate field:
//! seal it with `sealMapping` before storing it, and never release it with the output.

use std::collections::BTreeMap;

use kakou_sdk::records::values::Keyed;
use kakou_sdk::records::{self, CsvPseudonymizer, Output, Policy, RecordError};
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::error::Failure;
use crate::options::parse_key;

#[wasm_bindgen(typescript_custom_section)]
const TS_RECORDS: &'static str = r#"
/** A column's role in a records policy (see docs/records.md). */
export type RecordRole = "patient-id" | "direct-identifier" | "individual-code" | "financial" | "address"
  | "birth-date" | "date" | "free-text" | "linkage" | "quasi-identifier" | "sensitive" | "keep";

/** A records policy: the same fields as the CLI's TOML/JSON policy file. */
export interface RecordsPolicy {
  address?: "remove" | "prefecture" | "municipality";
  birth_date?: "keep" | "year-month" | "year" | "remove";
  free_text?: "redact" | "remove";
  unmapped?: "keep" | "remove";
  issuer?: string;
  encoding?: "auto" | "utf-8" | "shift_jis";
  delimiter?: string;
  columns?: Record<string, RecordRole | { role: RecordRole; action?: string; address?: string; namespace?: string }>;
}

/** Options of the records functions. */
export interface RecordsOptions {
  /** The project key (64 hex digits). */
  key: string;
  policy?: RecordsPolicy;
  /** The input's name, for the report and to tell NDJSON (`.ndjson`) from JSON. */
  name?: string;
  /** Also return the pseudonym → local ID mapping (keep it apart; seal it with sealMapping). */
  mapping?: boolean;
}

/** The result of a records function: the output bytes, the report, the mapping if asked for. */
export interface RecordsResult {
  csv?: Uint8Array;
  bytes?: Uint8Array;
  report: any;
  mapping?: Record<string, string>;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "RecordsOptions")]
    pub type RecordsOptions;
    #[wasm_bindgen(typescript_type = "RecordsResult")]
    pub type RecordsResult;
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Opts {
    key: Option<String>,
    policy: Option<Policy>,
    name: Option<String>,
    mapping: Option<bool>,
}

const FIELDS: [&str; 4] = ["key", "policy", "name", "mapping"];

struct Ready {
    key: kakou_sdk::ProjectKey,
    policy: Policy,
    name: String,
    mapping: bool,
}

fn read(options: &RecordsOptions, default_name: &str) -> Result<Ready, Failure> {
    let value: &JsValue = options.as_ref();
    if !value.is_object() {
        return Err(Failure::new("invalid-options", "options must be an object with at least { key }"));
    }
    for k in js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>()).iter() {
        let k = k.as_string().unwrap_or_default();
        if !FIELDS.contains(&k.as_str()) {
            return Err(Failure::new(
                "invalid-options",
                format!("options: unknown field '{k}' (known: {})", FIELDS.join(", ")),
            ));
        }
    }
    let opts: Opts = serde_wasm_bindgen::from_value(value.clone())
        .map_err(|e| Failure::new("invalid-options", format!("options: {e}")))?;
    let key = parse_key(opts.key.as_deref().ok_or_else(|| Failure::new("invalid-key", "options.key is missing"))?)?;
    let policy = opts.policy.unwrap_or_default();
    policy.validate().map_err(|e| Failure::new("policy-error", format!("policy: {e}")))?;
    Ok(Ready {
        key,
        policy,
        name: opts.name.unwrap_or_else(|| default_name.into()),
        mapping: opts.mapping.unwrap_or(false),
    })
}

fn record_failure(e: RecordError) -> Failure {
    Failure { code: e.code(), message: e.to_string(), file: None }
}

fn result(field: &str, bytes: &[u8], output: &Output, with_mapping: bool) -> Result<RecordsResult, JsValue> {
    let obj = js_sys::Object::new();
    js_sys::Reflect::set(&obj, &field.into(), &js_sys::Uint8Array::from(bytes))?;
    js_sys::Reflect::set(&obj, &"report".into(), &crate::to_js(&output.report)?)?;
    if with_mapping {
        js_sys::Reflect::set(&obj, &"mapping".into(), &crate::to_js(&output.mapping)?)?;
    }
    Ok(obj.unchecked_into())
}

/// Pseudonymizes a CSV/TSV (UTF-8 or Shift_JIS/CP932) held in memory → `{csv, report}`.
#[wasm_bindgen(js_name = pseudonymizeCsv)]
pub fn pseudonymize_csv(bytes: &[u8], options: &RecordsOptions) -> Result<RecordsResult, JsValue> {
    let r = read(options, "input.csv")?;
    let (out, output) =
        records::pseudonymize_csv(&r.key, &r.policy, &r.name, bytes, r.mapping).map_err(record_failure)?;
    result("csv", &out, &output, r.mapping)
}

/// Pseudonymizes a FHIR R4 JSON Bundle or resource (or NDJSON when `name` ends in `.ndjson`)
/// → `{bytes, report}`.
#[wasm_bindgen(js_name = pseudonymizeFhir)]
pub fn pseudonymize_fhir(bytes: &[u8], options: &RecordsOptions) -> Result<RecordsResult, JsValue> {
    let r = read(options, "input.json")?;
    let mut keyed = Keyed::new(&r.key, &r.policy.issuer, r.mapping);
    let (out, output) =
        records::fhir::pseudonymize_fhir(&mut keyed, &r.policy, &r.name, bytes).map_err(record_failure)?;
    result("bytes", &out, &output, r.mapping)
}

/// Pseudonymizes one HL7 v2 message (e.g. an SS-MIX2 file) → `{bytes, report}`, written back
/// in the message's encoding (ISO-2022-JP for SS-MIX2).
#[wasm_bindgen(js_name = pseudonymizeHl7)]
pub fn pseudonymize_hl7(bytes: &[u8], options: &RecordsOptions) -> Result<RecordsResult, JsValue> {
    let r = read(options, "message.hl7")?;
    let mut keyed = Keyed::new(&r.key, &r.policy.issuer, r.mapping);
    let (out, output) =
        records::hl7::pseudonymize_message(&mut keyed, &r.policy, &r.name, bytes).map_err(record_failure)?;
    result("bytes", &out, &output, r.mapping)
}

/// Seals a mapping (`{pseudonym: localId}`) under the project key with a fresh random nonce:
/// the same file format as the CLI's `--mapping`, readable by `kakou records reidentify`.
#[wasm_bindgen(js_name = sealMapping)]
pub fn seal_mapping(key: &str, mapping: JsValue) -> Result<js_sys::Uint8Array, JsValue> {
    let key = parse_key(key)?;
    let map: BTreeMap<String, String> = serde_wasm_bindgen::from_value(mapping)
        .map_err(|e| Failure::new("invalid-options", format!("mapping: {e}")))?;
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce)
        .map_err(|e| Failure::new("no-random-source", format!("no secure random source: {e}")))?;
    let sealed = records::seal_mapping(&key, nonce, &map).map_err(|e| Failure::new("write-error", e.to_string()))?;
    Ok(js_sys::Uint8Array::from(sealed.as_slice()))
}

/// Opens a sealed mapping → `{pseudonym: localId}` (lawful re-identification by the holder).
#[wasm_bindgen(js_name = openMapping)]
pub fn open_mapping(key: &str, sealed: &[u8]) -> Result<JsValue, JsValue> {
    let key = parse_key(key)?;
    let map = records::open_mapping(&key, sealed).map_err(|e| Failure::new("invalid-mapping", e.to_string()))?;
    crate::to_js(&map)
}

/// Streaming CSV pseudonymization for large files (a `Blob` read chunk by chunk).
#[wasm_bindgen]
pub struct RecordsCsvPseudonymizer {
    inner: Option<CsvPseudonymizer>,
    mapping: bool,
}

#[wasm_bindgen]
impl RecordsCsvPseudonymizer {
    #[wasm_bindgen(constructor)]
    pub fn new(options: &RecordsOptions) -> Result<RecordsCsvPseudonymizer, JsValue> {
        let r = read(options, "input.csv")?;
        let inner = CsvPseudonymizer::new(&r.key, &r.policy, &r.name, r.mapping).map_err(record_failure)?;
        Ok(RecordsCsvPseudonymizer { inner: Some(inner), mapping: r.mapping })
    }

    /// Feeds a chunk; returns the output bytes of the rows it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Result<js_sys::Uint8Array, JsValue> {
        let inner = self.inner.as_mut().ok_or_else(|| Failure::new("finished", "finish() was already called"))?;
        let mut out = Vec::with_capacity(chunk.len());
        inner.push(chunk, &mut out);
        Ok(js_sys::Uint8Array::from(out.as_slice()))
    }

    /// Ends the input → `{csv, report, mapping?}` (`csv` holds the last rows only).
    pub fn finish(&mut self) -> Result<RecordsResult, JsValue> {
        let inner = self.inner.take().ok_or_else(|| Failure::new("finished", "finish() was already called"))?;
        let mut out = Vec::new();
        let output = inner.finish(&mut out).map_err(record_failure)?;
        result("csv", &out, &output, self.mapping)
    }
}
