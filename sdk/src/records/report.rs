//! The records processing report: per column (or HL7 field, FHIR element) what was done and how
//! often, and every bad row with its line and reason. Never an original value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::report::ActionKind;

use super::policy::{Action, DecidedBy, Role};

/// At most this many bad rows are listed one by one; the rest are counted.
pub const BAD_ROWS_LISTED: usize = 1000;

/// What happened to one column / field over the whole input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnReport {
    /// Column name, or HL7 field (`PID-5`), or FHIR element (`Patient.name`).
    pub name: String,
    pub role: Role,
    pub action: Action,
    pub decided_by: DecidedBy,
    /// Values transformed (pseudonymized, coarsened, redacted) or, for removed columns, removed.
    pub values: u64,
    /// Values removed because they could not be transformed safely (unreadable date, address
    /// without a recognisable prefecture).
    pub removed_unreadable: u64,
    /// Identifiers replaced inside free text.
    pub text_replacements: u64,
}

/// A row, segment or resource that was not written, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadRow {
    /// 1-based line of the CSV row / HL7 segment; for FHIR the entry index.
    pub line: u64,
    pub reason: String,
}

/// The report of one input (a CSV file, an HL7 message, a FHIR bundle).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordReport {
    pub source: String,
    pub format: String,
    pub encoding: Option<String>,
    pub rows_in: u64,
    pub rows_out: u64,
    pub rows_bad: u64,
    pub columns: Vec<ColumnReport>,
    pub bad_rows: Vec<BadRow>,
    pub warnings: Vec<String>,
}

impl RecordReport {
    pub fn new(source: &str, format: &str) -> Self {
        RecordReport { source: source.to_string(), format: format.to_string(), ..Default::default() }
    }

    /// Records a bad row (listed up to [`BAD_ROWS_LISTED`], always counted).
    pub fn bad(&mut self, line: u64, reason: impl Into<String>) {
        self.rows_bad += 1;
        if self.bad_rows.len() < BAD_ROWS_LISTED {
            self.bad_rows.push(BadRow { line, reason: reason.into() });
        }
    }

    /// Action counts in the vocabulary of the batch summary.
    pub fn action_counts(&self) -> BTreeMap<ActionKind, u64> {
        let mut out = BTreeMap::new();
        for c in &self.columns {
            *out.entry(action_kind(c.action)).or_default() += c.values;
            if c.removed_unreadable > 0 {
                *out.entry(ActionKind::Removed).or_default() += c.removed_unreadable;
            }
        }
        out.retain(|_, n| *n > 0);
        out
    }

    /// A readable summary: the columns and what happened to them, then the bad rows.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{} ({}{}): {} rows in, {} written, {} bad\n",
            self.source,
            self.format,
            self.encoding.as_deref().map(|e| format!(", {e}")).unwrap_or_default(),
            self.rows_in,
            self.rows_out,
            self.rows_bad
        );
        for c in &self.columns {
            let why = match &c.decided_by {
                DecidedBy::Policy => "policy".to_string(),
                DecidedBy::ColumnName(what) => format!("not in the policy; the name looks like {what}"),
                DecidedBy::Unmapped => "not in the policy (unmapped)".to_string(),
            };
            let mut extra = String::new();
            if c.removed_unreadable > 0 {
                extra.push_str(&format!(", {} unreadable values removed", c.removed_unreadable));
            }
            if c.text_replacements > 0 {
                extra.push_str(&format!(", {} identifiers replaced in text", c.text_replacements));
            }
            s.push_str(&format!(
                "  {:<24} {:<18} {:<13} {:>9} values{extra}  [{why}]\n",
                c.name,
                c.role.label(),
                c.action.label(),
                c.values
            ));
        }
        for w in &self.warnings {
            s.push_str(&format!("  warning: {w}\n"));
        }
        for b in self.bad_rows.iter().take(20) {
            s.push_str(&format!("  bad row, line {}: {}\n", b.line, b.reason));
        }
        if self.rows_bad > 20 {
            s.push_str(&format!("  … {} bad rows in all: see the JSON report\n", self.rows_bad));
        }
        s
    }
}

/// The batch summary's action for a column action.
pub fn action_kind(action: Action) -> ActionKind {
    match action {
        Action::Pseudonymize => ActionKind::Pseudonymized,
        Action::Remove => ActionKind::Removed,
        Action::Keep => ActionKind::Kept,
        Action::Coarsen => ActionKind::AddressCoarsened,
        Action::Redact => ActionKind::Cleaned,
        Action::YearMonth | Action::Year => ActionKind::DateCoarsened,
    }
}

/// Counts per field for the HL7 and FHIR paths, where "columns" appear as they are met.
#[derive(Default)]
pub struct Tally {
    fields: BTreeMap<String, ColumnReport>,
}

impl Tally {
    /// Counts one value of `field` handled by `action`.
    pub fn count(&mut self, field: &str, role: Role, action: Action) -> &mut ColumnReport {
        let entry = self.fields.entry(field.to_string()).or_insert_with(|| ColumnReport {
            name: field.to_string(),
            role,
            action,
            decided_by: DecidedBy::Policy,
            values: 0,
            removed_unreadable: 0,
            text_replacements: 0,
        });
        entry.values += 1;
        entry
    }

    pub fn into_columns(self) -> Vec<ColumnReport> {
        self.fields.into_values().collect()
    }
}
