//! Streaming CSV / TSV pseudonymization.
//!
//! [`CsvPseudonymizer`] is a push parser: the caller feeds byte chunks of any size (the CLI from
//! a file, the browser from a `Blob` slice) and receives output bytes as rows complete, so
//! memory stays bounded by the chunk size and the longest row, whatever the file's length. The
//! header row decides each column's plan once (policy, then column-name rules); each row is then
//! a loop over plans. Rows whose field count differs from the header's, or that contain bytes
//! the encoding cannot read, are not written: a shifted column could put a name where a
//! diagnosis is expected. They are reported with their line and the run goes on.
//!
//! Output: UTF-8 (no BOM), the input's delimiter, `\n` line ends, RFC 4180 quoting.

use std::borrow::Cow;

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

use crate::address::coarsen_address;
use crate::key::ProjectKey;

use super::decode::StreamDecoder;
use super::policy::{Action, ColumnPlan, DecidedBy, Policy, Role};
use super::report::{ColumnReport, RecordReport};
use super::values::{Keyed, RecordHints, redact_free_text, transform_date};
use super::{Output, RecordError};
use crate::text::{Patient, Redactor};

/// Pseudonymizes one CSV/TSV stream.
pub struct CsvPseudonymizer {
    policy: Policy,
    keyed: Keyed,
    decoder: StreamDecoder,
    scratch: String,
    /// Decoded text not yet consumed by the parser.
    pending: Vec<u8>,
    reader: Option<Reader>,
    delimiter: u8,
    fields: Vec<u8>,
    ends: Vec<usize>,
    field_len: usize,
    ends_len: usize,
    plans: Option<Vec<ColumnPlan>>,
    report: RecordReport,
    /// Line breaks consumed so far and the last byte consumed: a record's line in the report.
    newlines: u64,
    last_byte: u8,
    blank_lines: u64,
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
            text: keyed.text_redactor(policy),
            keyed,
            decoder: StreamDecoder::new(policy.encoding),
            policy: policy.clone(),
            scratch: String::new(),
            pending: Vec::new(),
            reader: None,
            delimiter: b',',
            fields: vec![0; 4096],
            ends: vec![0; 64],
            field_len: 0,
            ends_len: 0,
            plans: None,
            report: RecordReport::new(source, format),
            newlines: 0,
            last_byte: b'\n',
            blank_lines: 0,
        })
    }

    /// Feeds the next chunk of input; completed rows are appended to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        self.decoder.push(chunk, &mut self.scratch);
        self.pending.extend_from_slice(self.scratch.as_bytes());
        self.scratch.clear();
        self.parse(out, false);
    }

    /// Ends the input: the last row is written and the report is returned with the mapping.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<Output, RecordError> {
        self.decoder.finish(&mut self.scratch);
        self.pending.extend_from_slice(self.scratch.as_bytes());
        self.parse(out, true);
        if self.plans.is_none() {
            return Err(RecordError::NoHeader { input: self.report.source });
        }
        if self.blank_lines > 0 {
            self.report.warnings.push(format!("{} blank lines skipped", self.blank_lines));
        }
        self.report.encoding = self.decoder.encoding().map(str::to_string);
        Ok(Output { report: self.report, mapping: self.keyed.take_mapping() })
    }

    /// The report so far (rows and columns), e.g. for a progress display.
    pub fn report(&self) -> &RecordReport {
        &self.report
    }

    fn parse(&mut self, out: &mut Vec<u8>, last: bool) {
        if self.reader.is_none() && !self.start_reader(last) {
            return;
        }
        let Some(mut reader) = self.reader.take() else { return };
        let pending = std::mem::take(&mut self.pending);
        let mut pos = 0;
        loop {
            let input = &pending[pos..];
            if input.is_empty() && !last {
                break;
            }
            let (result, nin, nout, nend) =
                reader.read_record(input, &mut self.fields[self.field_len..], &mut self.ends[self.ends_len..]);
            let consumed = &pending[pos..pos + nin];
            self.newlines += consumed.iter().filter(|&&b| b == b'\n').count() as u64;
            if let Some(&b) = consumed.last() {
                self.last_byte = b;
            }
            pos += nin;
            self.field_len += nout;
            self.ends_len += nend;
            match result {
                ReadRecordResult::InputEmpty if !last => break,
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.fields.resize(self.fields.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record => {
                    // The record ends on this line (a CR terminator's LF is not read yet);
                    // line breaks inside quoted fields lead back to where it starts.
                    let end_line = self.newlines + u64::from(self.last_byte != b'\n');
                    let inner = self.fields[..self.field_len].iter().filter(|&&b| b == b'\n').count() as u64;
                    let line = end_line - inner.min(end_line);
                    self.record(line, out);
                    self.field_len = 0;
                    self.ends_len = 0;
                }
                ReadRecordResult::End => break,
            }
        }
        self.pending = pending;
        self.pending.drain(..pos);
        self.reader = Some(reader);
    }

    /// Chooses the delimiter (policy, else the header line's tabs vs commas vs semicolons).
    fn start_reader(&mut self, last: bool) -> bool {
        let delimiter = match self.policy.delimiter {
            Some(d) => d as u8,
            None => {
                let Some(end) = self.pending.iter().position(|&b| b == b'\n').or(last.then_some(self.pending.len()))
                else {
                    return false;
                };
                let line = &self.pending[..end];
                let count = |c: u8| line.iter().filter(|&&b| b == c).count();
                let (tabs, commas, semis) = (count(b'\t'), count(b','), count(b';'));
                if tabs > commas && tabs >= semis {
                    b'\t'
                } else if semis > commas {
                    b';'
                } else {
                    b','
                }
            }
        };
        if delimiter == b'\t' {
            self.report.format = "tsv".into();
        }
        self.delimiter = delimiter;
        self.reader = Some(ReaderBuilder::new().delimiter(delimiter).build());
        true
    }

    fn record(&mut self, line: u64, out: &mut Vec<u8>) {
        // The pending text is UTF-8 and fields split only at ASCII bytes: one check for all.
        let all = std::str::from_utf8(&self.fields[..self.field_len]).unwrap_or_default();
        let mut values: Vec<&str> = Vec::with_capacity(self.ends_len);
        let mut start = 0;
        for &end in &self.ends[..self.ends_len] {
            values.push(all.get(start..end).unwrap_or("\u{fffd}"));
            start = end;
        }
        if values.len() == 1 && values[0].is_empty() {
            self.blank_lines += 1;
            return;
        }
        let Some(plans) = self.plans.as_ref() else {
            let header: Vec<String> = values.iter().map(|s| s.to_string()).collect();
            return self.start(&header, out);
        };
        self.report.rows_in += 1;
        if values.len() != plans.len() {
            let reason = format!("{} fields where the header has {}: row not written", values.len(), plans.len());
            return self.report.bad(line, reason);
        }
        if self.decoder.had_errors() && values.iter().any(|v| v.contains('\u{fffd}')) {
            let enc = self.decoder.encoding().unwrap_or("the encoding");
            let reason = format!("bytes that are not valid {enc} (wrong encoding setting?): row not written");
            return self.report.bad(line, reason);
        }
        // The row's patient, compiled when its first free-text value needs it.
        let patient = std::cell::OnceCell::new();
        let row_patient = || patient.get_or_init(|| row_hints(plans, &values).build());
        let text = FreeText { redactor: &self.text, patient: &row_patient };
        let mut first = true;
        for ((plan, value), col) in plans.iter().zip(&values).zip(self.report.columns.iter_mut()) {
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

/// Writes one field, quoted when it holds the delimiter, a quote or a line break.
pub(crate) fn write_field(out: &mut Vec<u8>, value: &str, delimiter: u8) {
    let needs_quotes = value.bytes().any(|b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r');
    if !needs_quotes {
        out.extend_from_slice(value.as_bytes());
        return;
    }
    out.push(b'"');
    for b in value.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}
