//! Streaming delimited-table reader: the one ingest path for CSV/TSV exports.
//!
//! Pseudonymization ([`super::CsvPseudonymizer`]) and anonymization (`kakou records anonymize`,
//! `risk`) read the same hospital exports, so they share this reader and therefore the same
//! answers: UTF-8 or CP932 (detected, or forced — see [`super::decode`]), the delimiter taken
//! from the header line (tabs vs commas vs semicolons) unless given, RFC 4180 quoting
//! (csv-core), blank lines skipped and counted, and rows that cannot be trusted — a field count
//! other than the header's (a shifted column could put a name where a diagnosis is expected) or
//! bytes the encoding cannot read — reported with their line and reason and never passed on.
//!
//! It is a push parser with no I/O: feed byte chunks of any size with [`TableReader::push`],
//! receive [`TableEvent`]s through a callback as records complete, end with
//! [`TableReader::finish`]. Memory is bounded by the chunk and the longest record.

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

use super::decode::StreamDecoder;
use super::policy::EncodingChoice;

/// What the reader hands over, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableEvent<'a> {
    /// The first non-blank record, and the delimiter in use (given or detected).
    Header { fields: &'a [&'a str], delimiter: u8 },
    /// A data record with as many fields as the header; `line` is where it starts (1-based).
    Row { line: u64, fields: &'a [&'a str] },
    /// A data record that is not passed on, and why.
    Bad { line: u64, problem: RowProblem },
}

/// Why a data record was not passed on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    #[error("{found} fields where the header has {expected}")]
    FieldCount { found: usize, expected: usize },
    #[error("bytes that are not valid {encoding} (wrong encoding setting?)")]
    Undecodable { encoding: &'static str },
}

/// Reads one delimited table pushed in byte chunks.
pub struct TableReader {
    decoder: StreamDecoder,
    scratch: String,
    /// Decoded text not yet consumed by the parser.
    pending: Vec<u8>,
    reader: Option<Reader>,
    forced_delimiter: Option<u8>,
    delimiter: Option<u8>,
    fields: Vec<u8>,
    ends: Vec<usize>,
    field_len: usize,
    ends_len: usize,
    header_len: Option<usize>,
    /// Line breaks consumed so far and the last byte consumed: a record's line.
    newlines: u64,
    last_byte: u8,
    blank_lines: u64,
}

impl TableReader {
    /// `delimiter`: one ASCII byte, or `None` to detect it from the header line.
    pub fn new(encoding: EncodingChoice, delimiter: Option<u8>) -> Self {
        TableReader {
            decoder: StreamDecoder::new(encoding),
            scratch: String::new(),
            pending: Vec::new(),
            reader: None,
            forced_delimiter: delimiter,
            delimiter: None,
            fields: vec![0; 4096],
            ends: vec![0; 64],
            field_len: 0,
            ends_len: 0,
            header_len: None,
            newlines: 0,
            last_byte: b'\n',
            blank_lines: 0,
        }
    }

    /// Feeds the next chunk; `on` receives every record completed by it.
    pub fn push(&mut self, chunk: &[u8], on: impl FnMut(TableEvent<'_>)) {
        self.decoder.push(chunk, &mut self.scratch);
        self.pending.extend_from_slice(self.scratch.as_bytes());
        self.scratch.clear();
        self.parse(false, on);
    }

    /// Ends the input: the last record (even without a final line break) goes to `on`.
    pub fn finish(&mut self, on: impl FnMut(TableEvent<'_>)) {
        self.decoder.finish(&mut self.scratch);
        self.pending.extend_from_slice(self.scratch.as_bytes());
        self.scratch.clear();
        self.parse(true, on);
    }

    /// The encoding in use, once decided (`None` while everything seen was ASCII).
    pub fn encoding(&self) -> Option<&'static str> {
        self.decoder.encoding()
    }

    /// The delimiter, once known.
    pub fn delimiter(&self) -> Option<u8> {
        self.delimiter
    }

    /// Whether the header has been read.
    pub fn has_header(&self) -> bool {
        self.header_len.is_some()
    }

    /// Blank lines skipped so far.
    pub fn blank_lines(&self) -> u64 {
        self.blank_lines
    }

    fn parse(&mut self, last: bool, mut on: impl FnMut(TableEvent<'_>)) {
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
                    self.record(line, &mut on);
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

    /// Chooses the delimiter (given, else the header line's tabs vs commas vs semicolons).
    fn start_reader(&mut self, last: bool) -> bool {
        let delimiter = match self.forced_delimiter {
            Some(d) => d,
            None => {
                let Some(end) = self.pending.iter().position(|&b| b == b'\n').or(last.then_some(self.pending.len()))
                else {
                    return false;
                };
                detect_delimiter(&self.pending[..end])
            }
        };
        self.delimiter = Some(delimiter);
        self.reader = Some(ReaderBuilder::new().delimiter(delimiter).build());
        true
    }

    fn record(&mut self, line: u64, on: &mut impl FnMut(TableEvent<'_>)) {
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
        let Some(expected) = self.header_len else {
            self.header_len = Some(values.len());
            let delimiter = self.delimiter.unwrap_or(b',');
            return on(TableEvent::Header { fields: &values, delimiter });
        };
        if values.len() != expected {
            let problem = RowProblem::FieldCount { found: values.len(), expected };
            return on(TableEvent::Bad { line, problem });
        }
        if self.decoder.had_errors() && values.iter().any(|v| v.contains('\u{fffd}')) {
            let encoding = self.decoder.encoding().unwrap_or("the encoding");
            return on(TableEvent::Bad { line, problem: RowProblem::Undecodable { encoding } });
        }
        on(TableEvent::Row { line, fields: &values });
    }
}

/// The delimiter of a header line: tab, semicolon or comma, whichever it has most of (comma on
/// ties, tab over semicolon).
pub fn detect_delimiter(header_line: &[u8]) -> u8 {
    let count = |c: u8| header_line.iter().filter(|&&b| b == c).count();
    let (tabs, commas, semis) = (count(b'\t'), count(b','), count(b';'));
    if tabs > commas && tabs >= semis {
        b'\t'
    } else if semis > commas {
        b';'
    } else {
        b','
    }
}

/// Writes one field, quoted when it holds the delimiter, a quote or a line break (RFC 4180).
pub fn write_field(out: &mut Vec<u8>, value: &str, delimiter: u8) {
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

#[cfg(test)]
mod tests {
    use encoding_rs::SHIFT_JIS;

    use super::*;

    /// What the reader reports for `bytes` pushed in `chunk`-byte pieces, as owned values.
    fn events(bytes: &[u8], encoding: EncodingChoice, delimiter: Option<u8>, chunk: usize) -> Vec<String> {
        let mut reader = TableReader::new(encoding, delimiter);
        let mut seen = Vec::new();
        let mut on = |e: TableEvent<'_>| {
            seen.push(match e {
                TableEvent::Header { fields, delimiter } => format!("H {:?} {}", fields, delimiter as char),
                TableEvent::Row { line, fields } => format!("R{line} {fields:?}"),
                TableEvent::Bad { line, problem } => format!("B{line} {problem}"),
            })
        };
        for c in bytes.chunks(chunk) {
            reader.push(c, &mut on);
        }
        reader.finish(&mut on);
        seen
    }

    #[test]
    fn cp932_tsv_with_quotes_blank_lines_and_a_ragged_row_in_any_chunking() {
        let text = "患者ID\t病名\n\n0001\t\"高血圧症\n(再診)\"\n0002\n0003\t糖尿病";
        let (sjis, _, _) = SHIFT_JIS.encode(text);
        let expected = vec![
            "H [\"患者ID\", \"病名\"] \t".to_string(),
            "R3 [\"0001\", \"高血圧症\\n(再診)\"]".into(),
            "B5 1 fields where the header has 2".into(),
            "R6 [\"0003\", \"糖尿病\"]".into(),
        ];
        for chunk in [1, 2, 5, 4096] {
            assert_eq!(events(&sjis, EncodingChoice::Auto, None, chunk), expected, "chunk {chunk}");
        }
    }

    #[test]
    fn undecodable_rows_are_reported_and_a_given_delimiter_wins() {
        let mut bytes = "id;name\n1;山田\n".as_bytes().to_vec();
        bytes.extend_from_slice(b"2;\x82\xa0\n");
        let seen = events(&bytes, EncodingChoice::Utf8, Some(b';'), 3);
        assert_eq!(seen[1], "R2 [\"1\", \"山田\"]");
        assert_eq!(seen[2], "B3 bytes that are not valid UTF-8 (wrong encoding setting?)");
        assert_eq!(detect_delimiter(b"a;b;c,d"), b';');
        assert_eq!(detect_delimiter(b"a\tb,c"), b',');
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut out = Vec::new();
        write_field(&mut out, "a,\"b\"", b',');
        out.push(b'|');
        write_field(&mut out, "a,b", b'\t');
        assert_eq!(out, b"\"a,\"\"b\"\"\"|a,b");
    }
}
