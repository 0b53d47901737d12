//! Free-text redaction for JS: `redactText(text, options?)` and `TextRedactor`, over the same
//! [`Redactor`] the CLI builds from its flags (`kakou text`), so a note gives the same output in
//! the browser, in Node and natively.
//!
//! Results cross into JS as one JSON string parsed by `JSON.parse`: a note yields dozens of small
//! span objects, and building them field by field through the bindings cost more than finding
//! the spans.

use std::cell::RefCell;

use kakou_sdk::text::{
    AgeAction, DateAction, Language, Patient, PatientIdentifiers, PhiKind, Policy, Redaction, Redactor,
};
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::error::Failure;
use crate::types::{PatientIdentifiersObject, RedactTextOptions, RedactTextResult};

/// A placeholder for both languages, or per language.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum PlaceholderText {
    Both(String),
    PerLanguage {
        #[serde(default)]
        ja: Option<String>,
        #[serde(default)]
        en: Option<String>,
    },
}

/// The `RedactTextOptions` object (unknown fields refused).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct TextOptions {
    policy: Option<Policy>,
    dates: Option<DateAction>,
    ages: Option<AgeAction>,
    keep_facilities: bool,
    language: Option<Language>,
    placeholders: std::collections::BTreeMap<String, PlaceholderText>,
    surrogates: bool,
    key: Option<String>,
    patient: Option<PatientIdentifiers>,
}

impl TextOptions {
    const FIELDS: [&'static str; 9] =
        ["policy", "dates", "ages", "keepFacilities", "language", "placeholders", "surrogates", "key", "patient"];

    fn redactor(&self) -> Result<Redactor, Failure> {
        let mut b = Redactor::builder()
            .policy(self.policy.unwrap_or_default())
            .keep_facilities(self.keep_facilities)
            .language(self.language.unwrap_or_default())
            .surrogates(self.surrogates);
        if let Some(k) = &self.key {
            b = b.key(&crate::options::parse_key(k)?);
        }
        if let Some(d) = self.dates {
            b = b.dates(d);
        }
        if let Some(a) = self.ages {
            b = b.ages(a);
        }
        for (kind, text) in &self.placeholders {
            let kind: PhiKind =
                kind.parse().map_err(|e| Failure::new("invalid-options", format!("options.placeholders: {e}")))?;
            b = match text {
                PlaceholderText::Both(t) => b.placeholder(kind, Language::Auto, t),
                PlaceholderText::PerLanguage { ja, en } => {
                    let b = match ja {
                        Some(t) => b.placeholder(kind, Language::Ja, t),
                        None => b,
                    };
                    match en {
                        Some(t) => b.placeholder(kind, Language::En, t),
                        None => b,
                    }
                }
            };
        }
        b.build().map_err(|e| Failure::new("invalid-options", format!("options: {e}")))
    }
}

fn read_options(options: Option<RedactTextOptions>) -> Result<TextOptions, Failure> {
    let Some(options) = options else { return Ok(TextOptions::default()) };
    let value: &JsValue = options.as_ref();
    if value.is_undefined() || value.is_null() {
        return Ok(TextOptions::default());
    }
    if !value.is_object() {
        return Err(Failure::new("invalid-options", "options must be an object"));
    }
    for k in js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>()).iter() {
        let k = k.as_string().unwrap_or_default();
        if !TextOptions::FIELDS.contains(&k.as_str()) {
            return Err(Failure::new(
                "invalid-options",
                format!("options: unknown field '{k}' (known: {})", TextOptions::FIELDS.join(", ")),
            ));
        }
    }
    serde_wasm_bindgen::from_value(value.clone()).map_err(|e| Failure::new("invalid-options", format!("options: {e}")))
}

fn read_patient(value: &JsValue) -> Result<Option<PatientIdentifiers>, Failure> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    serde_wasm_bindgen::from_value(value.clone())
        .map(Some)
        .map_err(|e| Failure::new("invalid-options", format!("patient: {e}")))
}

fn to_js(r: &Redaction) -> Result<RedactTextResult, JsValue> {
    let json = serde_json::to_string(r).map_err(|e| Failure::new("write-error", format!("result: {e}")))?;
    Ok(js_sys::JSON::parse(&json)?.unchecked_into())
}

/// Redacts identifiers in free text (the same as `kakou text`): the text with typed placeholders
/// or keyed surrogates, and the spans with offsets for JS strings (`start_utf16`). For many
/// notes, build a [`TextRedactor`] once.
#[wasm_bindgen(js_name = redactText)]
pub fn redact_text(text: &str, options: Option<RedactTextOptions>) -> Result<RedactTextResult, JsValue> {
    let opts = read_options(options)?;
    if opts.policy.is_none()
        && !opts.surrogates
        && opts.placeholders.is_empty()
        && opts.patient.is_none()
        && opts.key.is_none()
        && opts.dates.is_none()
        && opts.ages.is_none()
        && !opts.keep_facilities
        && opts.language.is_none()
    {
        return to_js(&kakou_sdk::text::redact(text));
    }
    let redactor = opts.redactor()?;
    let patient = opts.patient.as_ref().map(Patient::new).unwrap_or_default();
    to_js(&redactor.redact_for(text, &patient))
}

/// A redactor built once from options (policy, placeholders, surrogates and key) and reused
/// for every note; `redact(text, patient?)` takes the note's patient identifiers.
#[wasm_bindgen]
pub struct TextRedactor {
    redactor: Redactor,
    default_patient: Patient,
    /// The last patient seen (as JSON) and its compiled matcher: notes usually come patient by
    /// patient, and compiling the variants costs more than redacting a short note.
    last: RefCell<Option<(String, Patient)>>,
}

#[wasm_bindgen]
impl TextRedactor {
    /// Checks the options (throws `invalid-options` or `invalid-key`).
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<RedactTextOptions>) -> Result<TextRedactor, JsValue> {
        let opts = read_options(options)?;
        let redactor = opts.redactor()?;
        let default_patient = opts.patient.as_ref().map(Patient::new).unwrap_or_default();
        Ok(TextRedactor { redactor, default_patient, last: RefCell::new(None) })
    }

    /// Redacts one note; `patient` (optional) overrides the options' patient for this note.
    pub fn redact(&self, text: &str, patient: Option<PatientIdentifiersObject>) -> Result<RedactTextResult, JsValue> {
        let value: JsValue = patient.map(Into::into).unwrap_or(JsValue::UNDEFINED);
        let Some(ids) = read_patient(&value)? else {
            return to_js(&self.redactor.redact_for(text, &self.default_patient));
        };
        let key = serde_json::to_string(&ids).unwrap_or_default();
        let mut last = self.last.borrow_mut();
        if last.as_ref().is_none_or(|(k, _)| *k != key) {
            *last = Some((key, Patient::new(&ids)));
        }
        let patient = last.as_ref().map(|(_, p)| p).unwrap_or(&self.default_patient);
        to_js(&self.redactor.redact_for(text, patient))
    }

    /// The effective settings: policy, dates, ages, facilities, replacement, key fingerprint.
    pub fn settings(&self) -> Result<JsValue, JsValue> {
        let json = serde_json::to_string(&self.redactor.summary())
            .map_err(|e| Failure::new("write-error", format!("settings: {e}")))?;
        js_sys::JSON::parse(&json)
    }
}

/// Loads the name and place lists from `kakou-dict.bin` (`scripts/build-dict.sh`) into a module
/// built without them (the package's lazy build, `--no-default-features`). Until then the
/// redactor runs without them: names and places known only from the lists are missed (see
/// `dictionariesLoaded`). Throws `dictionaries-error` for a bad bundle, or when the lists are
/// already in place (built in, or loaded before).
#[wasm_bindgen(js_name = loadDictionaries)]
pub fn load_dictionaries(bytes: &[u8]) -> Result<(), JsValue> {
    kakou_sdk::text::dictionaries::load_dictionaries(bytes)
        .map_err(|e| Failure::new("dictionaries-error", e.to_string()).into())
}

/// Whether the name and place lists are in use (built in, or loaded).
#[wasm_bindgen(js_name = dictionariesLoaded)]
pub fn dictionaries_loaded() -> bool {
    kakou_sdk::text::dictionaries::dictionaries_loaded()
}
