//! `kakou records anonymize` and `kakou records risk`: the anonymization engine
//! (kakou_sdk::anonymize) on CSV files. This file only reads and writes; every rule is in the SDK.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use kakou_sdk::ProjectKey;
use kakou_sdk::anonymize::{HierarchySpec, Policy, RecordIssue, Table, TableBuilder, anonymize, assess_table};
use kakou_sdk::records::EncodingChoice;
use kakou_sdk::records::encode::{encode_cp932, is_cp932};
use kakou_sdk::records::table_reader::{TableEvent, TableReader, write_field};

use crate::batch::CliError;
use crate::records_cmd::encoding_choice;

/// Anonymize a table (匿名加工医療情報): value transforms, generalization with hierarchies,
/// k-anonymity / l-diversity / t-closeness with record or cell suppression, chosen by an optimal search
/// for the least information loss; prints the processing report with the re-identification risk
/// before and after.
///
/// INPUT is a CSV/TSV file with a header row, read like `records pseudonymize` reads it:
/// UTF-8 or CP932 (Shift_JIS) detected unless --encoding is given, the separator (tab, ';' or
/// ',') guessed from the header unless --sep is given, RFC 4180 quoting. Rows with the wrong
/// number of fields or bytes the encoding cannot read are dropped and listed by line. The POLICY (TOML or JSON, see docs/anonymization.md) lists the
/// columns and their roles (identifier, quasi, sensitive, insensitive), hierarchies (a CSV file
/// in ARX's format, path relative to the policy, or a built-in: age, numeric, date, prefecture,
/// postal_code, postal_prefecture, icd10), value transforms (band, top_code, bottom_code, rare,
/// date_shift, date_coarsen) and the privacy settings (k, l, t, suppression limit and kind:
/// records or cells, metric).
/// Columns the policy does not list are removed unless it says `unlisted = "keep"`.
///
/// Suppressed records keep their row with '*' in every quasi-identifier (as ARX writes them);
/// with `suppression = "cells"` only the suppressed cells are '*'.
/// The output is UTF-8 unless --output-encoding says cp932 or same (CP932 when the input was
/// CP932). The output is never an existing file. Exit status: 0 released, 1 error, 3 released but some
/// rows or values had problems (listed in the report; such rows are dropped or suppressed,
/// never released raw).
///
/// EXAMPLE (the standard Adult benchmark)
///   kakou records anonymize adult.csv --policy adult-k5.toml -o adult-k5.csv --report report.json
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct AnonymizeArgs {
    /// The input CSV/TSV (UTF-8 or CP932, header row).
    input: PathBuf,
    /// The policy file (.toml or .json).
    #[arg(long, short)]
    policy: PathBuf,
    /// Where to write the released CSV (must not exist).
    #[arg(long, short)]
    output: PathBuf,
    /// The project key (needed for date_shift).
    #[arg(long)]
    key: Option<PathBuf>,
    /// Field separator of the input (and output); default: guessed from the header line
    /// (tab, ';' or ',').
    #[arg(long)]
    sep: Option<char>,
    /// Input text encoding: auto (default: BOM, then UTF-8 validity, else CP932), utf-8,
    /// shift_jis (CP932).
    #[arg(long, value_parser = ["auto", "utf-8", "shift_jis", "cp932"])]
    encoding: Option<String>,
    /// Output text encoding: utf-8 (default), cp932 (Shift_JIS), or same (CP932 when the input
    /// was read as CP932, else UTF-8). Characters CP932 lacks are written as 〓 and reported.
    #[arg(long, default_value = "utf-8", value_parser = ["utf-8", "cp932", "shift_jis", "same"])]
    output_encoding: String,
    /// Also write the report as JSON here (must not exist).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Override the policy's k.
    #[arg(long)]
    k: Option<u32>,
}

/// Assess the re-identification risk of a table: equivalence classes over the given
/// quasi-identifiers, sample uniques, the smallest classes, and prosecutor / journalist /
/// marketer risk (docs/anonymization.md defines them and the population model).
///
/// EXAMPLE
///   kakou records risk adult.csv --qi age,sex,race,marital-status --population 300000
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct RiskArgs {
    /// The CSV/TSV (UTF-8 or CP932, header row).
    input: PathBuf,
    /// Quasi-identifier columns, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    qi: Vec<String>,
    /// Population size for the journalist and marketer models (default: the table is the population).
    #[arg(long)]
    population: Option<u64>,
    /// Field separator; default: guessed from the header line (tab, ';' or ',').
    #[arg(long)]
    sep: Option<char>,
    /// Input text encoding: auto (default: BOM, then UTF-8 validity, else CP932), utf-8,
    /// shift_jis (CP932). The output is always UTF-8.
    #[arg(long, value_parser = ["auto", "utf-8", "shift_jis", "cp932"])]
    encoding: Option<String>,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run_anonymize(args: AnonymizeArgs) -> Result<ExitCode, CliError> {
    let started = Instant::now();
    let mut policy = read_policy(&args.policy)?;
    if let Some(k) = args.k {
        policy.privacy.k = k;
    }
    let hierarchies = read_hierarchies(&policy, &args.policy)?;
    let key = match &args.key {
        Some(p) => Some(read_key(p)?),
        None => None,
    };
    for out in std::iter::once(&args.output).chain(&args.report) {
        if out.exists() {
            return Err(CliError::Usage(format!("{} exists: Kakou never overwrites", out.display())));
        }
    }
    let read = read_table(&args.input, args.sep, encoding_choice(args.encoding.as_deref()))?;
    eprintln!("{}", read.describe(&args.input));
    let cp932 = match args.output_encoding.as_str() {
        "cp932" | "shift_jis" => true,
        "same" => is_cp932(read.encoding),
        _ => false,
    };
    let ReadTable { table, delimiter: sep, mut dropped, .. } = read;
    let read_s = started.elapsed().as_secs_f64();
    let t0 = Instant::now();
    // The engine has no progress callback (it is one pure call); a spinner shows it is working.
    let spinner = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    spinner.set_message(format!("anonymizing {} records…", table.n_rows()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let result = anonymize(&table, &policy, &hierarchies, key.as_ref());
    spinner.finish_and_clear();
    let result = result.map_err(|e| CliError::Other(e.to_string()))?;
    let anon_s = t0.elapsed().as_secs_f64();
    let mut not_encodable = write_table(&result.table, &args.output, sep, cp932)?;
    let mut report = result.report;
    report.issues_total += not_encodable.len();
    report.issues.append(&mut not_encodable);
    // Rows dropped while reading (wrong field count, undecodable bytes) belong in the same list.
    report.issues_total += dropped.len();
    dropped.append(&mut report.issues);
    report.issues = dropped;
    report.issues.truncate(kakou_sdk::anonymize::MAX_LISTED_ISSUES);
    if let Some(path) = &args.report {
        let json = serde_json::to_string_pretty(&report).map_err(|e| CliError::Other(e.to_string()))?;
        std::fs::write(path, json).map_err(|e| CliError::Io(path.display().to_string(), e))?;
    }
    eprint!("{}", report.to_text());
    eprintln!(
        "time: read {read_s:.2} s, anonymize {anon_s:.2} s, total {:.2} s; wrote {}",
        started.elapsed().as_secs_f64(),
        args.output.display()
    );
    Ok(if report.issues_total > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

pub fn run_risk(args: RiskArgs) -> Result<ExitCode, CliError> {
    let read = read_table(&args.input, args.sep, encoding_choice(args.encoding.as_deref()))?;
    eprintln!("{}", read.describe(&args.input));
    let ReadTable { table, dropped, .. } = read;
    let report = assess_table(&table, &args.qi, args.population).map_err(|e| CliError::Other(e.to_string()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| CliError::Other(e.to_string()))?);
    } else {
        print!("{}", report.to_text());
    }
    for issue in &dropped {
        eprintln!("kakou: {}: {issue}", args.input.display());
    }
    Ok(if dropped.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(3) })
}

fn read_policy(path: &Path) -> Result<Policy, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Io(path.display().to_string(), e))?;
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let parsed = if is_json {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        toml::from_str(&text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| CliError::Usage(format!("policy {}: {e}", path.display())))
}

/// Reads every hierarchy file the policy names, relative to the policy's folder.
fn read_hierarchies(policy: &Policy, policy_path: &Path) -> Result<HashMap<String, String>, CliError> {
    let base = policy_path.parent().unwrap_or(Path::new("."));
    let mut files = HashMap::new();
    for c in &policy.columns {
        if let Some(HierarchySpec::File(name)) = &c.hierarchy {
            let path = base.join(name);
            let text = std::fs::read_to_string(&path).map_err(|e| CliError::Io(path.display().to_string(), e))?;
            files.insert(name.clone(), text);
        }
    }
    Ok(files)
}

fn read_key(path: &Path) -> Result<ProjectKey, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Io(path.display().to_string(), e))?;
    ProjectKey::from_hex(&text).map_err(|e| CliError::Key(path.display().to_string(), e))
}

/// A table as read, with how it was read.
struct ReadTable {
    table: Table,
    delimiter: u8,
    /// Rows not passed on (wrong field count, undecodable bytes), by line.
    dropped: Vec<RecordIssue>,
    encoding: Option<&'static str>,
    blank_lines: u64,
}

/// Streams a CSV/TSV through the SDK's table reader (the one `records pseudonymize` uses):
/// UTF-8 or CP932, delimiter given or detected, bad rows reported by line and left out.
fn read_table(path: &Path, sep: Option<char>, encoding: EncodingChoice) -> Result<ReadTable, CliError> {
    let name = path.display().to_string();
    let sep = match sep {
        Some(c) if c.is_ascii() => Some(c as u8),
        Some(c) => return Err(CliError::Usage(format!("--sep {c}: the separator must be one ASCII character"))),
        None => None,
    };
    let mut file = File::open(path).map_err(|e| CliError::Io(name.clone(), e))?;
    let mut reader = TableReader::new(encoding, sep);
    let mut builder: Option<TableBuilder> = None;
    let mut dropped = Vec::new();
    let mut on = |event: TableEvent<'_>| match event {
        TableEvent::Header { fields, .. } => {
            let header: Vec<String> = fields.iter().map(|h| h.trim().to_string()).collect();
            builder = Some(TableBuilder::new(&header));
        }
        // Row numbers are lines in the file, so every issue points where an editor shows it.
        TableEvent::Row { line, fields } => {
            let row = usize::try_from(line).unwrap_or(usize::MAX);
            if let Some(Err(issue)) = builder.as_mut().map(|b| b.push(row, fields)) {
                dropped.push(issue);
            }
        }
        TableEvent::Bad { line, problem } => {
            dropped.push(RecordIssue::Unreadable { line, problem: problem.to_string() })
        }
    };
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut chunk).map_err(|e| CliError::Io(name.clone(), e))?;
        if n == 0 {
            break;
        }
        reader.push(&chunk[..n], &mut on);
    }
    reader.finish(&mut on);
    let Some(builder) = builder else {
        return Err(CliError::Other(format!("{name}: no header row (the input is empty)")));
    };
    Ok(ReadTable {
        table: builder.finish(),
        delimiter: reader.delimiter().unwrap_or(b','),
        dropped,
        encoding: reader.encoding(),
        blank_lines: reader.blank_lines(),
    })
}

impl ReadTable {
    /// One line for stderr: how the input was read.
    fn describe(&self, input: &Path) -> String {
        let delimiter = match self.delimiter {
            b'\t' => "tab".to_string(),
            d => format!("'{}'", d as char),
        };
        let mut s = format!(
            "read {}: {} rows, {}, delimiter {delimiter}",
            input.display(),
            self.table.n_rows(),
            self.encoding.unwrap_or("ASCII")
        );
        if self.blank_lines > 0 {
            s += &format!(", {} blank lines skipped", self.blank_lines);
        }
        s
    }
}

/// Writes the released table with the input's delimiter (RFC 4180 quoting), in UTF-8 or, with
/// `cp932`, in CP932. Returns the cells CP932 could not fully write (written with 〓).
fn write_table(table: &Table, path: &Path, sep: u8, cp932: bool) -> Result<Vec<RecordIssue>, CliError> {
    let name = path.display().to_string();
    let file = File::create_new(path).map_err(|e| CliError::Io(name.clone(), e))?;
    let mut w = BufWriter::new(file);
    let header = table.header();
    let mut issues = Vec::new();
    let (mut field_bytes, mut line) = (Vec::new(), Vec::new());
    let mut write_row = |row_number: usize, fields: &mut dyn Iterator<Item = &str>| {
        line.clear();
        for (i, f) in fields.enumerate() {
            if i > 0 {
                line.push(sep);
            }
            if !cp932 {
                write_field(&mut line, f, sep);
                continue;
            }
            field_bytes.clear();
            write_field(&mut field_bytes, f, sep);
            // write_field only adds ASCII quotes to the field's text, so the bytes are UTF-8.
            let text = String::from_utf8_lossy(&field_bytes);
            let count = encode_cp932(&text, &mut line);
            if count > 0 {
                let column = header.get(i).cloned().unwrap_or_default();
                issues.push(RecordIssue::NotEncodable { row: row_number, column, count });
            }
        }
        line.push(b'\n');
        w.write_all(&line)
    };
    let io = |e| CliError::Io(name.clone(), e);
    write_row(1, &mut header.iter().map(String::as_str)).map_err(io)?;
    for row in 0..table.n_rows() {
        let number = table.row_numbers.get(row).copied().unwrap_or(row + 2);
        write_row(number, &mut table.row(row)).map_err(io)?;
    }
    w.flush().map_err(io)?;
    Ok(issues)
}
