//! `kakou records`: pseudonymize structured records (CSV/TSV, SS-MIX2 HL7 v2, FHIR R4 JSON) and
//! re-identify through the sealed mapping.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use clap::Subcommand;
use indicatif::ProgressBar;
use kakou_sdk::ProjectKey;
use kakou_sdk::records::policy::EncodingChoice;
use kakou_sdk::records::values::Keyed;
use kakou_sdk::records::{
    ColumnReport, CsvPseudonymizer, Output, Policy, RecordError, RecordReport, fhir, hl7, open_mapping, seal_mapping,
    ssmix2,
};
use kakou_sdk::report::{BatchSummary, Outcome};
use rayon::prelude::*;
use serde::Serialize;

use crate::batch::{
    CliError, Job, OutputDir, ReportSink, attention_list, discover, progress_bytes, read_key, thread_pool, write_text,
};

/// Structured records: pseudonymize (仮名加工医療情報), anonymize (匿名加工医療情報), assess re-identification risk, and lawful re-identification.
#[derive(clap::Args)]
pub struct RecordsArgs {
    #[command(subcommand)]
    command: RecordsCommand,
}

#[derive(Subcommand)]
enum RecordsCommand {
    Pseudonymize(PseudonymizeArgs),
    Reidentify(ReidentifyArgs),
    Anonymize(crate::anonymize_cmd::AnonymizeArgs),
    Risk(crate::anonymize_cmd::RiskArgs),
}

pub fn run(args: RecordsArgs) -> Result<ExitCode, CliError> {
    match args.command {
        RecordsCommand::Pseudonymize(a) => pseudonymize(a),
        RecordsCommand::Reidentify(a) => reidentify(a),
        RecordsCommand::Anonymize(a) => crate::anonymize_cmd::run_anonymize(a),
        RecordsCommand::Risk(a) => crate::anonymize_cmd::run_risk(a),
    }
}

/// Pseudonymize CSV/TSV exports, SS-MIX2 standard storage and FHIR R4 JSON (仮名加工医療情報).
///
/// INPUT is a file or a folder. Each file is handled by its kind:
///   *.csv *.tsv          a table with a header row; UTF-8 or Shift_JIS (CP932), detected
///   *.json *.ndjson      a FHIR R4 Bundle or resource; NDJSON: one resource per line
///   HL7 v2 (MSH…)        SS-MIX2 messages; in the standard-storage layout the patient ID in
///                        folder and file names is replaced by the pseudonym too
/// Other files are skipped and listed.
///
/// What happens (the ordinance's three criteria): the patient ID becomes a keyed pseudonym —
/// the same for the same ID in every file, every run and in `kakou dicom` under one key; names,
/// phones and other direct identifiers are removed; 個人識別符号 (My Number, insurance,
/// passport…) and card / account numbers are always removed; addresses are coarsened; dates and
/// medical values are kept; the birth date is kept or coarsened by policy; free text is redacted.
/// A CSV column the policy does not name is removed when its name looks like a name, ID, phone,
/// address or My Number, and the report says so.
///
///   OUT/release/      the pseudonymized files (CSV written as UTF-8)
///   OUT/report.txt    what was done to each column / field, bad rows with line and reason
///   OUT/report.jsonl  one JSON report per input file; OUT/summary.json the counts
///
/// The mapping pseudonym → local ID is written only with --mapping, sealed (ChaCha20-Poly1305,
/// key derived from the project key), to a path outside OUT: it is for the data holder's lawful
/// re-identification (`kakou records reidentify`) and must never be released.
///
/// Inputs are never modified, nothing is overwritten (OUT must be new or empty, the mapping
/// file must not exist). Large CSV files are streamed: memory does not grow with the rows.
///
/// POLICY (TOML or JSON; docs/records.md has every field)
///   address = "municipality"        # remove | prefecture | municipality
///   birth_date = "keep"             # keep | year-month | year | remove
///   [columns]                       # roles: patient-id direct-identifier individual-code
///   "患者ID" = "patient-id"          #   financial address birth-date date free-text linkage
///   "氏名" = "direct-identifier"     #   quasi-identifier sensitive keep
///   "所見" = "free-text"
///   "入院日" = { role = "date", action = "year-month" }
///
/// EXIT STATUS
///   0  every input was pseudonymized (skipped files are listed)
///   1  nothing was done: bad arguments, key, policy, output folder or mapping path
///   2  some files failed or some rows were bad (not written; see the report); the rest was done
///
/// EXAMPLE
///   kakou records pseudonymize export.csv out/ --key project.key --policy policy.toml \
///       --mapping /secure/mapping-2024-04.kkm
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct PseudonymizeArgs {
    /// A file or a folder (e.g. an SS-MIX2 storage root).
    input: PathBuf,
    /// The output folder (created; must be empty).
    output: PathBuf,
    /// The project key file (create one with `kakou keygen`).
    #[arg(long)]
    key: PathBuf,
    /// Policy file (TOML or JSON): column roles, address level, birth date, free text. See
    /// docs/records.md. Without one, defaults apply (identifying column names removed).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Write the sealed pseudonym → local ID mapping here (must not exist; keep it apart).
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Input text encoding for CSV: auto (default), utf-8, shift_jis (CP932).
    #[arg(long, value_parser = ["auto", "utf-8", "shift_jis", "cp932"])]
    encoding: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// Look up the local patient ID of pseudonyms in a sealed mapping (lawful re-identification).
///
/// Only the data holder, with the project key and the mapping file written by
/// `kakou records pseudonymize --mapping`, can do this. Prints `PSEUDONYM<TAB>LOCAL-ID` per
/// pseudonym; exit status 2 if some pseudonym is not in the mapping.
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct ReidentifyArgs {
    /// The project key file.
    #[arg(long)]
    key: PathBuf,
    /// The sealed mapping file.
    #[arg(long)]
    mapping: PathBuf,
    /// One or more pseudonyms (KK…).
    #[arg(required = true)]
    pseudonyms: Vec<String>,
}

fn reidentify(args: ReidentifyArgs) -> Result<ExitCode, CliError> {
    let key = read_key(&args.key)?;
    let bytes = std::fs::read(&args.mapping).map_err(|e| CliError::Io(args.mapping.display().to_string(), e))?;
    let map = open_mapping(&key, &bytes).map_err(|e| CliError::Usage(format!("{}: {e}", args.mapping.display())))?;
    let mut missing = 0;
    for p in &args.pseudonyms {
        match map.get(p.trim()) {
            Some(local) => println!("{p}\t{local}"),
            None => {
                eprintln!("kakou: {p}: not in this mapping");
                missing += 1;
            }
        }
    }
    Ok(if missing > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// What a file is.
enum Kind {
    Csv,
    Ndjson,
    Fhir,
    Hl7,
    Skip(String),
}

/// The JSON report line of one input.
#[derive(Serialize)]
struct FileLine<'a> {
    file: &'a str,
    outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<&'a RecordReport>,
}

/// Shared state of a run.
struct Run<'a> {
    key: ProjectKey,
    policy: Policy,
    out: OutputDir,
    sink: ReportSink,
    bar: ProgressBar,
    collect_mapping: bool,
    mapping: Mutex<BTreeMap<String, String>>,
    /// Per (format, column) counts, in the order first met.
    columns: Mutex<Vec<(String, ColumnReport)>>,
    attention: Mutex<Vec<(String, Outcome, String)>>,
    rows: Mutex<(u64, u64, u64)>,
    input: &'a Path,
}

/// The `--encoding` value (clap has checked it is one of auto, utf-8, shift_jis, cp932).
pub(crate) fn encoding_choice(value: Option<&str>) -> EncodingChoice {
    match value {
        None | Some("auto") => EncodingChoice::Auto,
        Some("utf-8") => EncodingChoice::Utf8,
        Some(_) => EncodingChoice::ShiftJis,
    }
}

fn pseudonymize(args: PseudonymizeArgs) -> Result<ExitCode, CliError> {
    let key = read_key(&args.key)?;
    let mut policy = load_policy(args.policy.as_deref())?;
    if let Some(e) = &args.encoding {
        policy.encoding = encoding_choice(Some(e));
    }
    policy.validate().map_err(|e| CliError::Usage(format!("policy: {e}")))?;
    if let Some(m) = &args.mapping {
        check_mapping_path(m, &args.input, &args.output)?;
    }
    let jobs = discover(&args.input)?;
    let out = OutputDir::create(&args.output, &args.input)?;
    let sink = ReportSink::new(Some(&out.root.join("report.jsonl")))?;
    let total: u64 = jobs.iter().map(|j| std::fs::metadata(&j.path).map(|m| m.len()).unwrap_or(0)).sum();
    let run = Run {
        key,
        policy,
        out,
        sink,
        bar: progress_bytes(total, args.quiet),
        collect_mapping: args.mapping.is_some(),
        mapping: Mutex::default(),
        columns: Mutex::default(),
        attention: Mutex::default(),
        rows: Mutex::default(),
        input: &args.input,
    };
    let started = Instant::now();
    thread_pool(args.jobs)?.install(|| jobs.par_iter().for_each(|job| run.one(job)));
    run.bar.finish_and_clear();
    let summary = run.sink.finish()?;
    let elapsed = started.elapsed().as_secs_f64();
    let mapping = run.mapping.into_inner().unwrap_or_default();
    let mut text = format!("Kakou records pseudonymization — key fingerprint {}\n", run.key.fingerprint());
    text.push_str(&summary.to_text());
    let (rows_in, rows_out, rows_bad) = run.rows.into_inner().unwrap_or_default();
    text.push_str(&format!(
        "{rows_in} rows / segments / resources in, {rows_out} written, {rows_bad} bad; {:.1} s, {:.0} rows/s, {:.1} MB/s\n",
        elapsed,
        rows_in as f64 / elapsed.max(1e-9),
        summary.bytes_in as f64 / 1e6 / elapsed.max(1e-9)
    ));
    text.push_str(&columns_text(run.columns.into_inner().unwrap_or_default()));
    text.push_str(&attention_list(run.attention.into_inner().unwrap_or_default()));
    match &args.mapping {
        Some(path) => {
            write_mapping(&run.key, path, &mapping)?;
            text.push_str(&format!(
                "mapping: {} patients, sealed in {} (keep it apart from the output)\n",
                mapping.len(),
                path.display()
            ));
        }
        None => text.push_str("mapping: not written (no --mapping)\n"),
    }
    write_text(&run.out.root.join("report.txt"), &text)?;
    let json = serde_json::to_string_pretty(&summary).map_err(|e| CliError::Other(e.to_string()))?;
    write_text(&run.out.root.join("summary.json"), &json)?;
    text.push_str(&format!("report: {}\n", run.out.root.join("report.txt").display()));
    print!("{text}");
    let failed = summary.count(Outcome::Failed) > 0 || rows_bad > 0;
    Ok(if failed { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

impl Run<'_> {
    fn one(&self, job: &Job) {
        let name = job.rel.display().to_string();
        let kind = match classify(job) {
            Ok(k) => k,
            Err(e) => return self.no_output(&name, Outcome::Failed, "read-error", e.to_string(), 0),
        };
        let size = std::fs::metadata(&job.path).map(|m| m.len()).unwrap_or(0);
        let result = match kind {
            Kind::Skip(reason) => {
                self.bar.inc(size);
                return self.no_output(&name, Outcome::Skipped, "not-records", reason, size);
            }
            Kind::Csv => self.csv(job, &name),
            Kind::Ndjson => self.ndjson(job, &name),
            Kind::Fhir | Kind::Hl7 => self.whole(job, &name, matches!(kind, Kind::Hl7)),
        };
        match result {
            Ok((output, out_path, bytes_out)) => self.done(&name, output, out_path, size, bytes_out),
            Err(Failure::Record(e)) => self.no_output(&name, Outcome::Failed, e.code(), e.to_string(), size),
            Err(Failure::Io(e)) => self.no_output(&name, Outcome::Failed, "io-error", e, size),
        }
    }

    /// A CSV streamed in 1 MiB chunks to its output file.
    fn csv(&self, job: &Job, name: &str) -> Result<(Output, String, u64), Failure> {
        let p = CsvPseudonymizer::new(&self.key, &self.policy, name, self.collect_mapping)?;
        self.stream(job, p)
    }

    /// A FHIR NDJSON export streamed line by line.
    fn ndjson(&self, job: &Job, name: &str) -> Result<(Output, String, u64), Failure> {
        let mut keyed = Keyed::new(&self.key, &self.policy.issuer, self.collect_mapping);
        let p = fhir::NdjsonPseudonymizer::new(&mut keyed, &self.policy, name);
        self.stream(job, p)
    }

    /// Feeds a file in 1 MiB chunks to a push parser, writing its output as it comes.
    fn stream(&self, job: &Job, mut p: impl Streamer) -> Result<(Output, String, u64), Failure> {
        let mut input = File::open(&job.path).map_err(|e| Failure::Io(format!("cannot read: {e}")))?;
        let path = self.out.release.join(&job.rel);
        let file = create_new(&path)?;
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        let mut buf = vec![0u8; 1 << 20];
        let mut out = Vec::with_capacity(1 << 21);
        let mut written = 0u64;
        let result = (|| {
            loop {
                let n = input.read(&mut buf).map_err(|e| Failure::Io(format!("cannot read: {e}")))?;
                if n == 0 {
                    break;
                }
                p.push(&buf[..n], &mut out);
                writer.write_all(&out).map_err(|e| Failure::Io(format!("cannot write output: {e}")))?;
                written += out.len() as u64;
                out.clear();
                self.bar.inc(n as u64);
            }
            let output = p.finish(&mut out)?;
            writer
                .write_all(&out)
                .and_then(|_| writer.flush())
                .map_err(|e| Failure::Io(format!("cannot write output: {e}")))?;
            written += out.len() as u64;
            Ok(output)
        })();
        match result {
            Ok(output) => Ok((output, job.rel.display().to_string(), written)),
            Err(e) => {
                let _ = std::fs::remove_file(&path); // a partial output must not look finished
                Err(e)
            }
        }
    }

    /// An HL7 message or a FHIR document, processed whole.
    fn whole(&self, job: &Job, name: &str, hl7_message: bool) -> Result<(Output, String, u64), Failure> {
        let bytes = std::fs::read(&job.path).map_err(|e| Failure::Io(format!("cannot read: {e}")))?;
        self.bar.inc(bytes.len() as u64);
        let mut keyed = Keyed::new(&self.key, &self.policy.issuer, self.collect_mapping);
        let rel = rel_slash(&job.rel);
        let (out_bytes, output, out_rel) = if hl7_message {
            // In the SS-MIX2 layout the patient ID is in the folders and the file name too.
            let out_rel = match ssmix2::map_path(&rel, &mut keyed) {
                Ok(p) => p,
                Err(_) if self.input.is_file() || !looks_like_ssmix2(&rel) => rel.clone(),
                Err(e) => return Err(e.into()),
            };
            let (b, o) = hl7::pseudonymize_message(&mut keyed, &self.policy, name, &bytes)?;
            (b, o, out_rel)
        } else {
            let (b, o) = fhir::pseudonymize_fhir(&mut keyed, &self.policy, name, &bytes)?;
            (b, o, rel)
        };
        let path = self.out.release.join(&out_rel);
        let mut file = create_new(&path)?;
        file.write_all(&out_bytes).map_err(|e| Failure::Io(format!("cannot write output: {e}")))?;
        let mut output = output;
        output.mapping.extend(keyed.take_mapping());
        Ok((output, out_rel, out_bytes.len() as u64))
    }

    fn done(&self, name: &str, output: Output, out_rel: String, bytes_in: u64, bytes_out: u64) {
        let report = &output.report;
        self.sink.line(&FileLine {
            file: name,
            outcome: Outcome::Deidentified,
            output: Some(out_rel),
            code: None,
            error: None,
            report: Some(report),
        });
        if let Ok(mut s) = self.sink.summary.lock() {
            let reasons = (report.rows_bad > 0).then(|| "bad-rows".to_string());
            s.add(Outcome::Deidentified, [], reasons, bytes_in, bytes_out);
            add_actions(&mut s, report);
        }
        if let Ok(mut r) = self.rows.lock() {
            r.0 += report.rows_in;
            r.1 += report.rows_out;
            r.2 += report.rows_bad;
        }
        if report.rows_bad > 0
            && let Ok(mut a) = self.attention.lock()
        {
            let first = report.bad_rows.first().map(|b| format!(" (first: line {}: {})", b.line, b.reason));
            a.push((
                name.to_string(),
                Outcome::Deidentified,
                format!("{} bad rows not written{}", report.rows_bad, first.unwrap_or_default()),
            ));
        }
        if let Ok(mut cols) = self.columns.lock() {
            for c in &report.columns {
                let found = cols.iter().position(|(f, e)| *f == report.format && e.name == c.name);
                let i = found.unwrap_or_else(|| {
                    let empty = ColumnReport { values: 0, removed_unreadable: 0, text_replacements: 0, ..c.clone() };
                    cols.push((report.format.clone(), empty));
                    cols.len() - 1
                });
                let entry = &mut cols[i].1;
                entry.values += c.values;
                entry.removed_unreadable += c.removed_unreadable;
                entry.text_replacements += c.text_replacements;
            }
        }
        if let Ok(mut m) = self.mapping.lock() {
            m.extend(output.mapping);
        }
    }

    fn no_output(&self, name: &str, outcome: Outcome, code: &str, error: String, bytes_in: u64) {
        self.sink.line(&FileLine {
            file: name,
            outcome,
            output: None,
            code: Some(code),
            error: Some(error.clone()),
            report: None,
        });
        if let Ok(mut s) = self.sink.summary.lock() {
            s.add(outcome, [], [code.to_string()], bytes_in, 0);
        }
        if let Ok(mut a) = self.attention.lock() {
            a.push((name.to_string(), outcome, error));
        }
    }
}

/// A push parser over byte chunks (CSV, NDJSON).
trait Streamer {
    fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>);
    fn finish(self, out: &mut Vec<u8>) -> Result<Output, RecordError>;
}

impl Streamer for CsvPseudonymizer {
    fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        CsvPseudonymizer::push(self, chunk, out)
    }
    fn finish(self, out: &mut Vec<u8>) -> Result<Output, RecordError> {
        CsvPseudonymizer::finish(self, out)
    }
}

impl Streamer for fhir::NdjsonPseudonymizer<'_> {
    fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        fhir::NdjsonPseudonymizer::push(self, chunk, out)
    }
    fn finish(self, out: &mut Vec<u8>) -> Result<Output, RecordError> {
        Ok(fhir::NdjsonPseudonymizer::finish(self, out))
    }
}

enum Failure {
    Record(RecordError),
    Io(String),
}

impl From<RecordError> for Failure {
    fn from(e: RecordError) -> Self {
        Failure::Record(e)
    }
}

fn create_new(path: &Path) -> Result<File, Failure> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Failure::Io(format!("cannot create {}: {e}", parent.display())))?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Failure::Io(format!("cannot create {}: {e}", path.display())))
}

/// Column counts into the batch summary's action counts.
fn add_actions(summary: &mut BatchSummary, report: &RecordReport) {
    for (kind, n) in report.action_counts() {
        *summary.actions.entry(kind).or_default() += n as usize;
    }
}

fn classify(job: &Job) -> std::io::Result<Kind> {
    let ext = job.path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    match ext.as_str() {
        "csv" | "tsv" => return Ok(Kind::Csv),
        "json" => return Ok(Kind::Fhir),
        "ndjson" => return Ok(Kind::Ndjson),
        _ => {}
    }
    let mut head = [0u8; 3];
    let n = File::open(&job.path)?.read(&mut head)?;
    Ok(if &head[..n] == b"MSH" {
        Kind::Hl7
    } else {
        Kind::Skip("not CSV/TSV (.csv .tsv), FHIR JSON (.json .ndjson) or an HL7 v2 message (MSH…)".into())
    })
}

fn rel_slash(rel: &Path) -> String {
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Six or more path levels whose file name starts with its grandparent-of-grandparent folder:
/// meant to be SS-MIX2, so a path that fails to parse is an error, not a file kept as named.
fn looks_like_ssmix2(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    parts.len() >= 6 && parts[parts.len() - 1].contains('_')
}

/// Reads a TOML or JSON policy (by extension; otherwise JSON, then TOML).
fn load_policy(path: Option<&Path>) -> Result<Policy, CliError> {
    let Some(path) = path else { return Ok(Policy::default()) };
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Io(path.display().to_string(), e))?;
    let is_toml = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let parsed = if is_toml {
        toml::from_str::<Policy>(&text).map_err(|e| e.to_string())
    } else {
        serde_json::from_str::<Policy>(&text)
            .map_err(|e| e.to_string())
            .or_else(|json_err| toml::from_str::<Policy>(&text).map_err(|_| json_err))
    };
    parsed.map_err(|e| CliError::Usage(format!("policy {}: {e}", path.display())))
}

/// The mapping must be new and outside the input and the output (it must never be released).
fn check_mapping_path(mapping: &Path, input: &Path, output: &Path) -> Result<(), CliError> {
    if mapping.exists() {
        return Err(CliError::Usage(format!(
            "mapping file {} exists: Kakou never overwrites; choose a new path",
            mapping.display()
        )));
    }
    let abs = |p: &Path| -> PathBuf {
        let base = std::env::current_dir().unwrap_or_default();
        let full = if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
        full.components().collect()
    };
    let (m, i, o) = (abs(mapping), abs(input), abs(output));
    if m.starts_with(&o) || m.starts_with(&i) {
        return Err(CliError::Usage(format!(
            "mapping file {} is inside the input or the output: keep it apart, it must never be released",
            mapping.display()
        )));
    }
    Ok(())
}

fn write_mapping(key: &ProjectKey, path: &Path, mapping: &BTreeMap<String, String>) -> Result<(), CliError> {
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).map_err(|e| CliError::Other(format!("no random source: {e}")))?;
    let sealed = seal_mapping(key, nonce, mapping).map_err(|e| CliError::Other(e.to_string()))?;
    let io = |e| CliError::Io(path.display().to_string(), e);
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(io)?;
    f.write_all(&sealed).map_err(io)
}

/// The per-column table of the whole run.
fn columns_text(columns: Vec<(String, ColumnReport)>) -> String {
    if columns.is_empty() {
        return String::new();
    }
    let mut r = RecordReport::new("columns and fields", "all inputs");
    r.columns = columns.into_iter().map(|(_, c)| c).collect();
    let text = r.to_text();
    // The first line of a RecordReport counts rows, already printed above.
    let rows: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    format!("what was done, per column / field:\n{rows}")
}
