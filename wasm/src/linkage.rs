//! Linkage tokens (名寄せ) for JS: the same rows as `kakou link tokens` writes, made in the
//! browser so names, readings and birth dates never leave the hospital's machine.
//!
//! ```js
//! const key = generateLinkageKey();               // by the coordinating body, not the linker
//! const { columns, rows, skipped, problems } = linkageTokens(
//!   [{ record_id: "A-1", name: "山田 太郎", kana: "ﾔﾏﾀﾞ ﾀﾛｳ", birth_date: "S35.2.3", sex: "M" }],
//!   { key, source: "hosp_a" });
//! // rows[0] = { source, record_id, key, id1, id2, id4, blocks, clk_name, …, clk_other }
//! ```
//!
//! Records use the field names of the CLI's mapping (`record_id`, `name`, `kana`, `birth_date`,
//! …); values are trimmed and empty ones count as missing, as the CLI does. The encoding is
//! `kakou_sdk::linkage::tokens::Encoder`, so the tokens are byte-identical to the CLI's for the
//! same key. A record without a `record_id` is skipped and listed (the batch goes on); a record
//! that is not an object of known fields, or a bad key, throws a `KakouError` (`invalid-records`,
//! `invalid-options`, `invalid-key`).

use std::collections::BTreeMap;

use kakou_sdk::linkage::join::{JoinKey, join_keys};
use kakou_sdk::linkage::tokens::Encoder;
use kakou_sdk::linkage::{LinkageKey, NameSalt, Person, Tokens};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::error::Failure;

#[wasm_bindgen(typescript_custom_section)]
const TS_LINKAGE: &'static str = r#"
/** One register row (the fields of `kakou link tokens --mapping-config`); all but record_id optional. */
export interface LinkagePerson {
  record_id: string;
  name?: string; family_name?: string; given_name?: string;
  kana?: string; kana_family?: string; kana_given?: string;
  birth_date?: string; sex?: string; postal_code?: string; address?: string;
  insurer_number?: string; insured_symbol?: string; insured_number?: string; insured_branch?: string;
  other_id?: string;
}
/** Options of `linkageTokens`. */
export interface LinkageOptions {
  /** The linkage key (64 hex digits, from `generateLinkageKey` or `kakou link keygen`). */
  key: string;
  /** The source name written into every row (default "source"). */
  source?: string;
  /** Salt name filters with the birth year (all sources of a project must agree). */
  salt?: "none" | "birth-year";
  /** Also make national-database join keys (join_id1, join_id4) under this separate key. */
  joinKey?: string;
}
/** The token rows, exactly as the CLI's token file (column → text; empty = missing). */
export interface LinkageTokensResult {
  columns: string[];
  rows: Record<string, string>[];
  /** Records left out (no record_id), by index in the input. */
  skipped: { index: number; reason: string }[];
  /** Fields present but unusable (invalid date, bad check digit…): reason → number of records. */
  problems: Record<string, number>;
  /** The linkage key's fingerprint (also in every row's `key`). */
  fingerprint: string;
}
"#;

/// A register row as JS passes it: the CLI mapping's field names.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Record {
    #[serde(default)]
    record_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    family_name: Option<String>,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    kana: Option<String>,
    #[serde(default)]
    kana_family: Option<String>,
    #[serde(default)]
    kana_given: Option<String>,
    #[serde(default)]
    birth_date: Option<String>,
    #[serde(default)]
    sex: Option<String>,
    #[serde(default)]
    postal_code: Option<String>,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    insurer_number: Option<String>,
    #[serde(default)]
    insured_symbol: Option<String>,
    #[serde(default)]
    insured_number: Option<String>,
    #[serde(default)]
    insured_branch: Option<String>,
    #[serde(default)]
    other_id: Option<String>,
}

/// Trimmed, `None` when empty (the CLI's reading of a CSV cell).
fn cell(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl Record {
    pub(crate) fn into_parts(self) -> (Option<String>, Person) {
        let person = Person {
            name: cell(self.name),
            family_name: cell(self.family_name),
            given_name: cell(self.given_name),
            kana: cell(self.kana),
            kana_family: cell(self.kana_family),
            kana_given: cell(self.kana_given),
            birth_date: cell(self.birth_date),
            sex: cell(self.sex),
            postal_code: cell(self.postal_code),
            address: cell(self.address),
            insurer_number: cell(self.insurer_number),
            insured_symbol: cell(self.insured_symbol),
            insured_number: cell(self.insured_number),
            insured_branch: cell(self.insured_branch),
            other_id: cell(self.other_id),
        };
        (self.record_id.filter(|id| !id.is_empty()), person)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LinkageOptions {
    key: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    salt: Option<String>,
    #[serde(default)]
    join_key: Option<String>,
}

#[derive(Serialize)]
struct Skipped {
    index: usize,
    reason: &'static str,
}

#[derive(Serialize)]
struct TokensResult {
    columns: Vec<String>,
    rows: Vec<BTreeMap<String, String>>,
    skipped: Vec<Skipped>,
    problems: BTreeMap<&'static str, usize>,
    fingerprint: String,
}

/// Reads a JS value through JSON, so serde sees (and refuses) unknown fields.
fn read<T: serde::de::DeserializeOwned>(value: &JsValue, code: &'static str, what: &str) -> Result<T, Failure> {
    let json = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| Failure::new(code, format!("{what}: not a JSON-like value")))?;
    serde_json::from_str(&json).map_err(|e| Failure::new(code, format!("{what}: {e}")))
}

fn salt(text: Option<&str>) -> Result<NameSalt, Failure> {
    match text.unwrap_or("none") {
        "none" => Ok(NameSalt::None),
        "birth-year" => Ok(NameSalt::BirthYear),
        other => Err(Failure::new(
            "invalid-options",
            format!("options.salt: {other:?} (expected \"none\" or \"birth-year\")"),
        )),
    }
}

/// The token-file columns of the CLI: source, record_id, key, id1, id2, id4, blocks, clk_*,
/// then join_id1, join_id4 when a join key is given.
pub(crate) fn columns(with_join: bool) -> Vec<String> {
    let mut head: Vec<String> = vec!["source".into(), "record_id".into(), "key".into()];
    head.extend(Tokens::columns());
    if with_join {
        head.extend(["join_id1".to_string(), "join_id4".to_string()]);
    }
    head
}

/// Makes linkage tokens for an array of register rows: the rows `kakou link tokens` writes
/// (record id, key fingerprint, ID1/ID2/ID4, blocking signatures, keyed Bloom filters; never a
/// name, reading, date or number), as objects keyed by the token file's column names.
#[wasm_bindgen(js_name = linkageTokens, unchecked_return_type = "LinkageTokensResult")]
pub fn linkage_tokens(
    #[wasm_bindgen(unchecked_param_type = "LinkagePerson[]")] records: JsValue,
    #[wasm_bindgen(unchecked_param_type = "LinkageOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options: LinkageOptions = read(&options, "invalid-options", "options")?;
    let key =
        LinkageKey::from_hex(&options.key).map_err(|e| Failure::new("invalid-key", format!("linkage key: {e}")))?;
    let join = options
        .join_key
        .as_deref()
        .map(|k| JoinKey::from_hex(k).map_err(|e| Failure::new("invalid-key", format!("join key: {e}"))))
        .transpose()?;
    let encoder = Encoder::new(&key, salt(options.salt.as_deref())?);
    let source = options.source.unwrap_or_else(|| "source".to_string());
    let records: Vec<serde_json::Value> = read(&records, "invalid-records", "records (an array of objects)")?;
    let head = columns(join.is_some());
    let mut result = TokensResult {
        columns: head.clone(),
        rows: Vec::with_capacity(records.len()),
        skipped: Vec::new(),
        problems: BTreeMap::new(),
        fingerprint: encoder.fingerprint().to_string(),
    };
    for (index, value) in records.into_iter().enumerate() {
        let record: Record = serde_json::from_value(value)
            .map_err(|e| Failure::new("invalid-records", format!("records[{index}]: {e}")))?;
        let (id, person) = record.into_parts();
        let Some(id) = id else {
            result.skipped.push(Skipped { index, reason: "no record_id" });
            continue;
        };
        let encoded = encoder.encode(&person);
        for p in &encoded.problems {
            *result.problems.entry(p.reason).or_default() += 1;
        }
        let mut values = vec![source.clone(), id, encoder.fingerprint().to_string()];
        values.extend(encoded.tokens.to_columns());
        if let Some(k) = &join {
            let j = join_keys(k, &person);
            values.extend([j.id1.unwrap_or_default(), j.id4.unwrap_or_default()]);
        }
        result.rows.push(head.iter().cloned().zip(values).collect());
    }
    crate::to_js(&result)
}

/// A new random linkage key (64 hex digits) from the platform's secure random source, as
/// `kakou link keygen` makes it. For the data holders only, never for the party that links.
#[wasm_bindgen(js_name = generateLinkageKey)]
pub fn generate_linkage_key() -> Result<String, JsValue> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Failure::new("no-random-source", format!("no secure random source: {e}")))?;
    Ok(LinkageKey::from_bytes(bytes).to_hex())
}

/// The linkage key's non-secret fingerprint (16 hex digits), as written into every token row.
#[wasm_bindgen(js_name = linkageKeyFingerprint)]
pub fn linkage_key_fingerprint(key: &str) -> Result<String, JsValue> {
    Ok(LinkageKey::from_hex(key).map_err(|e| Failure::new("invalid-key", format!("linkage key: {e}")))?.fingerprint())
}
