//! `kakou records anonymize` and `kakou records risk`: the anonymization engine
//! (kakou_sdk::anonymize) on CSV files. This file only reads and writes; every rule is in the SDK.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use kakou_sdk::ProjectKey;
use kakou_sdk::anonymize::{HierarchySpec, Policy, RecordIssue, Table, TableBuilder, anonymize, assess_table};

use crate::batch::CliError;

/// Anonymize a table (匿名加工医療情報): value transforms, generalization with hierarchies,
/// k-anonymity / l-diversity / t-closeness with record suppression, chosen by an optimal search
/// for the least information loss; prints the processing report with the re-identification risk
/// before and after.
///
/// INPUT is a UTF-8 CSV file with a header row; the separator is ',' or ';' (guessed from the
/// header unless --sep is given). The POLICY (TOML or JSON, see docs/anonymization.md) lists the
/// columns and their roles (identifier, quasi, sensitive, insensitive), hierarchies (a CSV file
/// in ARX's format, path relative to the policy, or a built-in: age, numeric, date, prefecture,
/// postal_code, icd10), value transforms (band, top_code, bottom_code, rare, date_shift,
/// date_coarsen) and the privacy settings (k, l, t, suppression limit, metric).
/// Columns the policy does not list are removed unless it says `unlisted = "keep"`.
///
/// Suppressed records keep their row with '*' in every quasi-identifier (as ARX writes them).
/// The output is never an existing file. Exit status: 0 released, 1 error, 3 released but some
/// rows or values had problems (listed in the report; such rows are dropped or suppressed,
/// never released raw).
///
/// EXAMPLE (the standard Adult benchmark)
///   kakou records anonymize adult.csv --policy adult-k5.toml -o adult-k5.csv --report report.json
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct AnonymizeArgs {
    /// The input CSV (UTF-8, header row).
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
    /// Field separator of the input (and output); default: guessed from the header.
    #[arg(long)]
    sep: Option<char>,
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
    /// The CSV (UTF-8, header row).
    input: PathBuf,
    /// Quasi-identifier columns, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    qi: Vec<String>,
    /// Population size for the journalist and marketer models (default: the table is the population).
    #[arg(long)]
    population: Option<u64>,
    /// Field separator; default: guessed from the header.
    #[arg(long)]
    sep: Option<char>,
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
    let (table, sep, mut dropped) = read_table(&args.input, args.sep)?;
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
    write_table(&result.table, &args.output, sep)?;
    let mut report = result.report;
    // Rows dropped while reading (wrong field count) belong in the same list.
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
    let (table, _, dropped) = read_table(&args.input, args.sep)?;
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

/// Reads a CSV into a table; rows with the wrong number of fields are returned as issues.
fn read_table(path: &Path, sep: Option<char>) -> Result<(Table, u8, Vec<RecordIssue>), CliError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| CliError::Io(name.clone(), e))?;
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    let sep = match sep {
        Some(c) if c.is_ascii() => c as u8,
        Some(c) => return Err(CliError::Usage(format!("--sep {c}: the separator must be one ASCII character"))),
        None => {
            let head = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
            if head.iter().filter(|&&b| b == b';').count() > head.iter().filter(|&&b| b == b',').count() {
                b';'
            } else {
                b','
            }
        }
    };
    let mut reader = csv::ReaderBuilder::new().delimiter(sep).flexible(true).has_headers(true).from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| CliError::Other(format!("{name}: header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut builder = TableBuilder::new(&header);
    let mut issues = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut row = 0usize;
    loop {
        row += 1;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let fields: Vec<&str> = record.iter().collect();
                if let Err(issue) = builder.push(row, &fields) {
                    issues.push(issue);
                }
            }
            Err(e) => return Err(CliError::Other(format!("{name}: row {row}: {e}"))),
        }
    }
    Ok((builder.finish(), sep, issues))
}

fn write_table(table: &Table, path: &Path, sep: u8) -> Result<(), CliError> {
    let name = path.display().to_string();
    let file = File::create_new(path).map_err(|e| CliError::Io(name.clone(), e))?;
    let mut w = csv::WriterBuilder::new().delimiter(sep).from_writer(BufWriter::new(file));
    let io = |e: csv::Error| CliError::Other(format!("{name}: {e}"));
    w.write_record(table.header()).map_err(io)?;
    for row in 0..table.n_rows() {
        w.write_record(table.row(row)).map_err(io)?;
    }
    let mut inner = w.into_inner().map_err(|e| CliError::Other(format!("{name}: {e}")))?;
    inner.flush().map_err(|e| CliError::Io(name, e))
}
