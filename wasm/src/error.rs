//! Errors as JS `Error` objects: `name` "KakouError", a `message` for people (naming the file
//! when the error is about one), a stable `code`, and `file` when there is one.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// A failure on its way to JS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: &'static str,
    pub message: String,
    pub file: Option<String>,
}

impl Failure {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Failure { code, message: message.into(), file: None }
    }

    /// The JS `Error` (only callable on wasm, like everything touching `JsValue`).
    pub fn into_js(self) -> JsValue {
        let err = js_sys::Error::new(&self.message);
        err.set_name("KakouError");
        // Reflect::set on a fresh Error object cannot fail.
        let _ = Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(self.code));
        if let Some(file) = self.file {
            let _ = Reflect::set(&err, &JsValue::from_str("file"), &JsValue::from_str(&file));
        }
        err.into()
    }
}

impl From<kakou_dicom::DeidError> for Failure {
    fn from(e: kakou_dicom::DeidError) -> Self {
        Failure { code: e.kind.code(), message: e.to_string(), file: Some(e.file) }
    }
}

impl From<Failure> for JsValue {
    fn from(f: Failure) -> JsValue {
        f.into_js()
    }
}
