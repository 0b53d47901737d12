//! Table anonymization and risk assessment for JS: the same engine as `kakou records anonymize`
//! and `kakou records risk` (kakou_sdk::anonymize), on a table passed as `{header, rows}`.
//!
//! ```js
//! const { header, rows, report } = anonymizeTable(
//!   { header: ["age", "sex", "dx"], rows: [["39", "M", "E10"], ...] },
//!   { privacy: { k: 5, suppression_limit: 0.05 }, columns: [
//!       { name: "age", role: "quasi", hierarchy: { age: { bands: [5, 10, 20] } } },
//!       { name: "sex", role: "quasi" },
//!       { name: "dx", role: "sensitive", l_diversity: { l: 2 } } ] },
//!   { hierarchies: { "zip.csv": "..." }, key });        // both optional
//! const risk = assessRisk({ header, rows }, { qi: ["age", "sex"], population: 1e6 });
//! ```
//!
//! The policy object has exactly the policy file's JSON form (docs/anonymization.md); inputs are
//! read through JSON so a misspelt field is refused, as in the CLI. Errors are `KakouError`s with
//! code `invalid-table`, `invalid-policy`, `invalid-options`, `invalid-key` or `anonymize-error`.

use std::collections::HashMap;

use kakou_sdk::anonymize::{Policy, Table, anonymize, assess_table};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use crate::error::Failure;

#[wasm_bindgen(typescript_custom_section)]
const TS_ANON: &'static str = r#"
/** A table of strings: a header and rows of the same length. */
export interface TableData { header: string[]; rows: string[][]; }
/** Options of `anonymizeTable`. */
export interface AnonymizeOptions {
  /** Hierarchy files named in the policy (`{ file: "name" }`), by name → CSV text (ARX format, `;`). */
  hierarchies?: Record<string, string>;
  /** The project key (needed for `date_shift`). */
  key?: string;
}
/** Options of `assessRisk`. */
export interface RiskOptions { qi: string[]; population?: number; }
"#;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableData {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct AnonymizeOptions {
    hierarchies: HashMap<String, String>,
    key: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskOptions {
    qi: Vec<String>,
    #[serde(default)]
    population: Option<u64>,
}

#[derive(serde::Serialize)]
struct Released<'a> {
    header: Vec<String>,
    rows: Vec<Vec<&'a str>>,
    report: &'a kakou_sdk::anonymize::AnonymizationReport,
}

/// Reads a JS value through JSON, so serde sees (and refuses) unknown fields.
fn read<T: DeserializeOwned>(value: &JsValue, code: &'static str, what: &str) -> Result<T, Failure> {
    let json = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| Failure::new(code, format!("{what}: not a JSON-like object")))?;
    serde_json::from_str(&json).map_err(|e| Failure::new(code, format!("{what}: {e}")))
}

fn table(value: &JsValue) -> Result<(Table, Vec<kakou_sdk::anonymize::RecordIssue>), Failure> {
    let data: TableData = read(value, "invalid-table", "table")?;
    Ok(Table::from_rows(&data.header, &data.rows))
}

/// Anonymizes a table by a policy: returns `{ header, rows, report }` (the report as the CLI's
/// `--report` JSON). Rows with the wrong number of fields are dropped and listed in
/// `report.issues`.
#[wasm_bindgen(js_name = anonymizeTable)]
pub fn anonymize_table(table_data: JsValue, policy: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let (table, mut dropped) = table(&table_data)?;
    let policy: Policy = read(&policy, "invalid-policy", "policy")?;
    let options: AnonymizeOptions = if options.is_undefined() || options.is_null() {
        AnonymizeOptions::default()
    } else {
        read(&options, "invalid-options", "options")?
    };
    let key = options.key.as_deref().map(crate::options::parse_key).transpose()?;
    let out = anonymize(&table, &policy, &options.hierarchies, key.as_ref())
        .map_err(|e| Failure::new("anonymize-error", e.to_string()))?;
    let mut report = out.report;
    report.issues_total += dropped.len();
    dropped.append(&mut report.issues);
    report.issues = dropped;
    report.issues.truncate(kakou_sdk::anonymize::MAX_LISTED_ISSUES);
    let t = &out.table;
    let released =
        Released { header: t.header(), rows: (0..t.n_rows()).map(|r| t.row(r).collect()).collect(), report: &report };
    crate::to_js(&released)
}

/// The re-identification risk of a table over `options.qi` (prosecutor, journalist, marketer,
/// sample uniques, smallest classes), as `kakou records risk --json` prints it.
#[wasm_bindgen(js_name = assessRisk)]
pub fn assess_risk(table_data: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let (table, _) = table(&table_data)?;
    let options: RiskOptions = read(&options, "invalid-options", "options")?;
    let report = assess_table(&table, &options.qi, options.population)
        .map_err(|e| Failure::new("anonymize-error", e.to_string()))?;
    crate::to_js(&report)
}
