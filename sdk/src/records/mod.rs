//! Structured records: pseudonymization (仮名加工医療情報) of CSV/TSV exports, SS-MIX2 HL7 v2
//! messages and FHIR R4 JSON.
//!
//! The ordinance's three criteria for a 仮名加工医療情報 drive every path:
//! 1. every direct identifier is removed or replaced by a keyed, non-reversible pseudonym
//!    (the patient ID by the same pseudonym `kakou dicom` uses, so images and records stay
//!    linkable; names, phones, e-mail removed);
//! 2. every 個人識別符号 (My Number, insurance, passport, licence, pension numbers) is removed;
//! 3. financially harmful items (card and account numbers) are removed.
//!
//! Addresses are coarsened to municipality or prefecture, dates and medical values are kept,
//! the birth date is kept or coarsened by policy, and free text goes through the text redactor
//! with the record's own identifiers as hints. The anonymization step (k-anonymity, banding) is
//! a separate module that runs on this output.
//!
//! Like the rest of the SDK this module does no I/O: [`CsvPseudonymizer`] is a push parser over
//! byte chunks, HL7 messages and FHIR documents are processed from bytes, and the caller
//! supplies the nonce for the sealed [`mapping`]. The CLI feeds files, the browser feeds Blobs.

mod csv;
pub mod decode;
pub mod encode;
pub mod fhir;
pub mod hl7;
pub mod mapping;
pub mod policy;
pub mod report;
pub mod ssmix2;
pub mod table_reader;
pub mod values;

use std::collections::BTreeMap;

pub use csv::CsvPseudonymizer;
pub use mapping::{MappingError, open_mapping, seal_mapping};
pub use policy::{Action, ColumnSpec, EncodingChoice, Policy, PolicyError, Role};
pub use report::{BadRow, ColumnReport, RecordReport};
pub use table_reader::{RowProblem, TableEvent, TableReader};

/// Why an input could not be pseudonymized at all (bad rows inside an input are not errors:
/// they are reported and the rest continues).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("policy: {0}")]
    Policy(#[from] PolicyError),
    #[error("{input}: no header row (the input is empty)")]
    NoHeader { input: String },
    #[error("{input}: not an HL7 v2 message: {reason}")]
    NotHl7 { input: String, reason: String },
    #[error("{input}: not FHIR JSON: {reason}")]
    NotFhir { input: String, reason: String },
    #[error("{path}: not an SS-MIX2 standard-storage path: {reason}")]
    NotSsmix2Path { path: String, reason: String },
}

impl RecordError {
    /// A stable short code for reports and the JS API.
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::Policy(_) => "policy-error",
            RecordError::NoHeader { .. } => "no-header",
            RecordError::NotHl7 { .. } => "not-hl7",
            RecordError::NotFhir { .. } => "not-fhir",
            RecordError::NotSsmix2Path { .. } => "not-ssmix2-path",
        }
    }
}

/// What one input produced besides its bytes: the report and the pseudonym → local ID pairs
/// (empty unless asked for). The mapping must never be written next to the output.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub report: RecordReport,
    pub mapping: BTreeMap<String, String>,
}

/// Pseudonymizes a whole CSV/TSV held in memory (the browser's one-shot API; large inputs use
/// [`CsvPseudonymizer`] chunk by chunk).
pub fn pseudonymize_csv(
    key: &crate::ProjectKey,
    policy: &Policy,
    source: &str,
    input: &[u8],
    collect_mapping: bool,
) -> Result<(Vec<u8>, Output), RecordError> {
    let mut p = CsvPseudonymizer::new(key, policy, source, collect_mapping)?;
    let mut out = Vec::with_capacity(input.len());
    p.push(input, &mut out);
    let output = p.finish(&mut out)?;
    Ok((out, output))
}

#[cfg(test)]
mod tests;
