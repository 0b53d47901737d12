//! The per-file processing report.

use kakou_sdk::report::{ActionKind, Outcome};
use serde::{Deserialize, Serialize};

/// What was done to one attribute (or one private block). Never carries the original value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeAction {
    /// Where: `Keyword` at top level, `Sequence[0]/Keyword` inside items.
    pub path: String,
    /// `(gggg,eeee)`; private blocks as `(gggg,xxee)`-style ranges.
    pub tag: String,
    pub action: ActionKind,
    /// Why: the Table E.1-1 cell or Kakou rule that chose the action.
    pub rule: String,
}

/// A warning or quarantine reason: a stable code plus a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub code: String,
    pub message: String,
}

impl Notice {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Notice { code: code.to_string(), message: message.into() }
    }
}

/// The report of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReport {
    pub file: String,
    pub outcome: Outcome,
    pub sop_class_uid: String,
    pub modality: String,
    pub transfer_syntax: String,
    /// The keyed patient pseudonym written to Patient ID / Patient's Name.
    pub patient_pseudonym: String,
    /// The new Study / Series / SOP Instance UIDs (empty if absent).
    pub study_uid: String,
    pub series_uid: String,
    pub sop_instance_uid: String,
    pub actions: Vec<AttributeAction>,
    pub warnings: Vec<Notice>,
    /// Set when the outcome is quarantine.
    pub quarantine: Option<Notice>,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

impl FileReport {
    /// Reason codes for batch summaries (warnings and quarantine).
    pub fn reason_codes(&self) -> impl Iterator<Item = String> + '_ {
        self.warnings.iter().chain(self.quarantine.iter()).map(|n| n.code.clone())
    }
}
