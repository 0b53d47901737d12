//! Provision packages (提供パッケージ), made in the hospital's browser so that raw identifying
//! data never leaves it: every picked file is de-identified here by the same SDK rules as the
//! CLI (DICOM, CSV/TSV, FHIR, HL7 v2, notes), opted-out patients are left out before anything
//! is packaged, and the result is one ZIP with a `manifest.json` listing each file's SHA-256.
//!
//! ```js
//! const pkg = new ProviderPackage({ key, preset: "jp-pseudonymized", organisation: "hosp-a", orgId: 3,
//!                                   optOut: ["KK…"] });
//! for (const f of files) outcomes.push(pkg.add(f.webkitRelativePath, new Uint8Array(await f.arrayBuffer())));
//! const { zip, manifest } = pkg.finish(new Date().toISOString());
//! ```

pub mod builder;
pub mod files;
pub mod manifest;
pub mod roster;
pub mod zip_out;

use serde::Deserialize;
use wasm_bindgen::prelude::*;

pub use builder::{FileOutcome, PackageBuilder, Status};

use crate::error::Failure;

/// How to build a package: the organisation's policy and the keys imported into this browser.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PackageOptions {
    /// The project key (64 hex digits).
    pub key: String,
    /// DICOM preset (basic, jp-pseudonymized, jp-anonymized); notes follow it.
    #[serde(default)]
    pub preset: Option<String>,
    /// The records policy for tables, FHIR and HL7 (column roles etc.).
    #[serde(default)]
    pub records_policy: Option<kakou_sdk::records::Policy>,
    /// The linkage key (64 hex digits) for registers; never leaves this browser.
    #[serde(default)]
    pub linkage_key: Option<String>,
    /// Pseudonyms (`KK…`) of the patients who opted out.
    #[serde(default)]
    pub opt_out: Vec<String>,
    /// The organisation's name (the linkage tokens' source) and its id on the server.
    pub organisation: String,
    pub org_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageError {
    #[error("project key: {0}")]
    Key(String),
    #[error("policy: {0}")]
    Policy(String),
    #[error(transparent)]
    Zip(#[from] zip_out::ZipError),
}

impl PackageError {
    fn into_js(self) -> JsValue {
        let code = match self {
            PackageError::Key(_) => "invalid-key",
            PackageError::Policy(_) => "policy-error",
            PackageError::Zip(_) => "write-error",
        };
        Failure::new(code, self.to_string()).into_js()
    }
}

/// Builds one provision package in the browser (see the module docs).
#[wasm_bindgen]
pub struct ProviderPackage {
    builder: Option<PackageBuilder>,
}

#[wasm_bindgen]
impl ProviderPackage {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<ProviderPackage, JsValue> {
        let options: PackageOptions = serde_wasm_bindgen::from_value(options)
            .map_err(|e| Failure::new("invalid-options", format!("options: {e}")).into_js())?;
        let builder = PackageBuilder::new(options).map_err(PackageError::into_js)?;
        Ok(ProviderPackage { builder: Some(builder) })
    }

    /// De-identifies one file into the package → its outcome (status, reason, preview).
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<JsValue, JsValue> {
        let outcome = self.builder()?.add(name, bytes);
        crate::to_js(&outcome)
    }

    /// The counts so far (files, excluded by opt-out, quarantined…).
    pub fn counts(&mut self) -> Result<JsValue, JsValue> {
        let counts = self.builder()?.counts();
        crate::to_js(&counts)
    }

    /// Ends the package → `{ zip: Uint8Array, manifest }`. The builder cannot be used after.
    pub fn finish(&mut self, created: &str) -> Result<JsValue, JsValue> {
        let builder = self.builder.take().ok_or_else(finished)?;
        let (zip, manifest) = builder.finish(created).map_err(PackageError::into_js)?;
        let obj = js_sys::Object::new();
        js_sys::Reflect::set(&obj, &"zip".into(), &js_sys::Uint8Array::from(zip.as_slice()))?;
        js_sys::Reflect::set(&obj, &"manifest".into(), &crate::to_js(&manifest)?)?;
        Ok(obj.into())
    }

    fn builder(&mut self) -> Result<&mut PackageBuilder, JsValue> {
        self.builder.as_mut().ok_or_else(finished)
    }
}

fn finished() -> JsValue {
    Failure::new("invalid-state", "the package is finished; start a new ProviderPackage").into_js()
}

/// The pseudonym the opt-out registry stores for a local patient ID: the same `KK…` value DICOM
/// Patient ID and records' patient columns get under this key, so the registry never holds the
/// local ID itself.
#[wasm_bindgen(js_name = patientPseudonym)]
pub fn patient_pseudonym(key: &str, local_id: &str) -> Result<String, JsValue> {
    let key = crate::options::parse_key(key).map_err(Failure::into_js)?;
    let p = kakou_sdk::pseudonym::Pseudonymizer::new(&key, kakou_sdk::Purpose::PatientPseudonym);
    Ok(kakou_sdk::records::values::patient_pseudonym(&p, "", local_id.trim()))
}
