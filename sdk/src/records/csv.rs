//! Streaming CSV / TSV pseudonymization.
//!
//! [`CsvPseudonymizer`] is a push parser: the caller feeds byte chunks of any size (the CLI from
//! a file, the browser from a `Blob` slice) and receives output bytes as rows complete, so
//! memory stays bounded by the chunk size and the longest row, whatever the file's length. The
//! header row decides each column's plan once (policy, then column-name rules); each row is then
//! a loop over plans. Decoding, delimiter detection, quoting and the rejection of untrustworthy
//! rows (wrong field count, undecodable bytes) are the shared [`TableReader`]'s: such rows are
//! not written, they are reported with their line and the run goes on.
//!
//! Output: UTF-8 (no BOM), the input's delimiter, `\n` line ends, RFC 4180 quoting.

use std::borrow::Cow;

use crate::address::coarsen_address;
use crate::key::ProjectKey;

use super::policy::{Action, ColumnPlan, DecidedBy, Policy, Role};
use super::report::{ColumnReport, RecordReport};
use super::table_reader::{TableEvent, TableReader, write_field};
use super::values::{Keyed, RecordHints, redact_free_text, transform_date};
use super::{Output, RecordError};
use crate::text::{Patient, Redactor};

/// Pseudonymizes one CSV/TSV stream.
pub struct CsvPseudonymizer {
    reader: TableReader,
    rows: RowWriter,
}

/// Everything but the parser: the plans, the keys and the report, fed by the reader's events.
struct RowWriter {
    policy: Policy,
    keyed: Keyed,
    delimiter: u8,
    plans: Option<Vec<ColumnPlan>>,
    report: RecordReport,
    /// The free-text redactor, built once for the stream.
    text: Redactor,
}

impl CsvPseudonymizer {
    /// `source` names the input in the report; `collect_mapping` keeps pseudonym → local ID.
    pub fn new(key: &ProjectKey, policy: &Policy, source: &str, collect_mapping: bool) -> Result<Self, RecordError> {
        policy.validate()?;
        let format = if source.to_ascii_lowercase().ends_with(".tsv") { "tsv" } else { "csv" };
        let mut keyed = Keyed::new(key, &policy.issuer, collect_mapping);
        Ok(CsvPseudonymizer {
            reader: TableReader::new(policy.encoding, policy.delimiter.map(|d| d as u8)),
            rows: RowWriter {
                text: keyed.text_redactor(policy),
                keyed,
                policy: policy.clone(),
                delimiter: b',',
                plans: None,
                report: RecordReport::new(source, format),
            },
        })
    }

    /// Feeds the next chunk of input; completed rows are appended to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let rows = &mut self.rows;
        self.reader.push(chunk, |event| rows.event(event, out));
    }

    /// Ends the input: the last row is written and the report is returned with the mapping.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<Output, RecordError> {
        let rows = &mut self.rows;
        self.reader.finish(|event| rows.event(event, out));
        let mut report = self.rows.report;
        if self.rows.plans.is_none() {
            return Err(RecordError::NoHeader { input: report.source });
        }
        let blank_lines = self.reader.blank_lines();
        if blank_lines > 0 {
            report.warnings.push(format!("{blank_lines} blank lines skipped"));
        }
        report.encoding = self.reader.encoding().map(str::to_string);
        Ok(Output { report, mapping: self.rows.keyed.take_mapping() })
    }

    /// The report so far (rows and columns), e.g. for a progress display.
    pub fn report(&self) -> &RecordReport {
        &self.rows.report
    }
}

impl RowWriter {
    fn event(&mut self, event: TableEvent<'_>, out: &mut Vec<u8>) {
        match event {
            TableEvent::Header { fields, delimiter } => {
                if delimiter == b'\t' {
                    self.report.format = "tsv".into();
                }
                self.delimiter = delimiter;
                let header: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
                self.start(&header, out);
            }
            TableEvent::Row { fields, .. } => {
                self.report.rows_in += 1;
                self.record(fields, out);
            }
            TableEvent::Bad { line, problem } => {
                self.report.rows_in += 1;
                self.report.bad(line, format!("{problem}: row not written"));
            }
        }
    }

    fn record(&mut self, values: &[&str], out: &mut Vec<u8>) {
        let Some(plans) = self.plans.as_ref() else { return };
        // The row's patient, compiled when its first free-text value needs it.
        let patient = std::cell::OnceCell::new();
        let row_patient = || patient.get_or_init(|| row_hints(plans, values).build());
        let text = FreeText { redactor: &self.text, patient: &row_patient };
        let mut first = true;
        for ((plan, value), col) in plans.iter().zip(values).zip(self.report.columns.iter_mut()) {
            if plan.action == Action::Remove {
                col.values += u64::from(!value.trim().is_empty());
                continue;
            }
            let mut new = transform(plan, value, &mut self.keyed, &text, col);
            // Safety net for columns nobody reviewed: a kept value shaped like My Number, a card
            // or a phone number is removed (and counted) rather than released.
            if plan.decided_by == DecidedBy::Unmapped
                && plan.action == Action::Keep
                && let Some(kind) = identifier_shaped(value)
            {
                new = Cow::Borrowed("");
                col.values -= 1;
                col.removed_unreadable += 1;
                let w = format!(
                    "column '{}': values shaped like {kind} were removed (name the column in the policy)",
                    plan.name
                );
                if !self.report.warnings.contains(&w) {
                    self.report.warnings.push(w);
                }
            }
            if !first {
                out.push(self.delimiter);
            }
            first = false;
            write_field(out, &new, self.delimiter);
        }
        out.push(b'\n');
        self.report.rows_out += 1;
    }

    /// The header row: plans every column, writes the kept names.
    fn start(&mut self, header: &[String], out: &mut Vec<u8>) {
        let mut plans = Vec::with_capacity(header.len());
        for name in header {
            // validate() checked every named column; an unnamed one cannot fail.
            let plan = self.policy.plan(name).unwrap_or_else(|_| ColumnPlan {
                name: name.clone(),
                role: Role::Keep,
                action: Action::Remove,
                address: self.policy.address,
                namespace: "linkage".into(),
                decided_by: DecidedBy::Policy,
            });
            plans.push(plan);
        }
        for name in self.policy.columns.keys() {
            if !plans.iter().any(|p| p.name == name.trim()) {
                self.report.warnings.push(format!("the policy names column '{name}', which the file does not have"));
            }
        }
        if !plans.iter().any(|p| p.role == Role::PatientId) {
            self.report.warnings.push("no patient-id column: rows carry no patient pseudonym".into());
        }
        self.report.columns = plans
            .iter()
            .map(|p| ColumnReport {
                name: p.name.clone(),
                role: p.role,
                action: p.action,
                decided_by: p.decided_by.clone(),
                values: 0,
                removed_unreadable: 0,
                text_replacements: 0,
            })
            .collect();
        let kept: Vec<&ColumnPlan> = plans.iter().filter(|p| p.action != Action::Remove).collect();
        for (i, p) in kept.iter().enumerate() {
            if i > 0 {
                out.push(self.delimiter);
            }
            write_field(out, &p.name, self.delimiter);
        }
        out.push(b'\n');
        self.plans = Some(plans);
    }
}

/// The run's text redactor and the row's patient (compiled on first use).
struct FreeText<'r, 'p> {
    redactor: &'r Redactor,
    patient: &'r dyn Fn() -> &'p Patient,
}

/// One value through its column's plan (never called for removed columns).
fn transform<'a>(
    plan: &ColumnPlan,
    value: &'a str,
    keyed: &mut Keyed,
    text: &FreeText,
    col: &mut ColumnReport,
) -> Cow<'a, str> {
    if value.trim().is_empty() {
        return Cow::Borrowed(value);
    }
    let unreadable = |col: &mut ColumnReport| {
        col.removed_unreadable += 1;
        Cow::Borrowed("")
    };
    Cow::Owned(match plan.action {
        Action::Keep => {
            col.values += 1;
            return Cow::Borrowed(value);
        }
        Action::Pseudonymize => {
            col.values += 1;
            match plan.role {
                Role::PatientId => keyed.patient(value),
                _ => keyed.surrogate(&plan.namespace, value),
            }
        }
        Action::Coarsen => match coarsen_address(value, plan.address) {
            Some(a) => {
                col.values += 1;
                a
            }
            None => return unreadable(col),
        },
        Action::YearMonth | Action::Year => match transform_date(value, plan.action) {
            Some(d) => {
                col.values += 1;
                d
            }
            None => return unreadable(col),
        },
        Action::Redact => {
            col.values += 1;
            let (redacted, n) = redact_free_text(value, text.redactor, (text.patient)());
            col.text_replacements += n as u64;
            redacted
        }
        Action::Remove => String::new(),
    })
}

/// `Some(what)` when a value is a number that identifies someone by its shape alone: a My Number
/// (12 digits with a valid check digit), a card number (Luhn), a Japanese phone number.
pub(crate) fn identifier_shaped(value: &str) -> Option<&'static str> {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b' ' | b'(' | b')')) {
        return None;
    }
    let digits = crate::text::checks::digits_of(v);
    if crate::text::checks::my_number(&digits) {
        return Some("My Number");
    }
    if crate::text::checks::credit_card(&digits) {
        return Some("a card number");
    }
    let separated = v.contains('-') || v.contains('(');
    if v.starts_with(['0', '(']) && (10..=11).contains(&digits.len()) && (separated || digits.len() == 11) {
        return Some("a phone number");
    }
    None
}

/// The row's identifying values (every column whose role is an identifier), to find in its
/// free text.
fn row_hints(plans: &[ColumnPlan], values: &[&str]) -> RecordHints {
    let mut hints = RecordHints::default();
    for (plan, value) in plans.iter().zip(values) {
        match plan.role {
            Role::PatientId => hints.patient_id(value),
            Role::DirectIdentifier => hints.direct_identifier(value),
            Role::IndividualCode | Role::Financial | Role::Linkage => hints.id(value),
            Role::Address => hints.address(value),
            Role::BirthDate => hints.birth_date(value),
            _ => {}
        }
    }
    hints
}
