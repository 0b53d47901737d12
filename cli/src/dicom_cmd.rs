//! `kakou dicom`: de-identify a folder of DICOM files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use kakou_dicom::burned_in::PixelRule;
use kakou_dicom::{Deidentifier, ErrorKind, FileReport, Policy, PolicyRequest};
use kakou_sdk::ProjectKey;
use kakou_sdk::report::{ActionKind, Outcome};
use rayon::prelude::*;
use serde::Serialize;

use crate::batch::{CliError, Job, OutputDir, ReportSink, discover, progress, thread_pool};

/// De-identify DICOM files (PS3.15 Annex E profile + options, Japanese presets).
///
/// Walks IN (a file or a folder), de-identifies every DICOM file in parallel and writes:
///
///   OUT/release/      de-identified files, same relative paths as IN: safe to release
///   OUT/quarantine/   files that must not be released as they are (burned-in text risk, pixels
///                     that cannot be edited): metadata cleaned, reason in the report
///   OUT/report.jsonl  one line per input file: every attribute action (never original values)
///   OUT/report.txt    the summary for people; OUT/summary.json the same for machines
///
/// Input files are only read, never modified. OUT must be new or empty. Files that are not DICOM
/// are skipped with a reason; a file that cannot be parsed is reported and the batch goes on.
///
/// PRESETS
///   basic              PS3.15 Basic Profile, no options: removes the most (default)
///   jp-pseudonymized   仮名加工医療情報: full dates, patient characteristics, safe private tags,
///                      cleaned descriptors; birth date kept (allowed by the guideline)
///   jp-anonymized      匿名加工医療情報: dates shifted per patient (keyed, whole weeks),
///                      birth date to year-month, ages over 89 top-coded, cleaned descriptors
///
/// Burned-in text: US, XA, ES, secondary captures and files with BurnedInAnnotation=YES are
/// quarantined unless a --pixel-rules entry (manufacturer/model/size → regions) blanks them.
///
/// EXIT STATUS
///   0  every file was de-identified, quarantined with a reason, or skipped as not DICOM
///   1  nothing was done: bad arguments, key or output folder
///   2  some files could not be read or parsed (see the report); the others were processed
///
/// EXAMPLE
///   kakou keygen project.key
///   kakou dicom /data/export /data/out --key project.key --preset jp-anonymized \
///       --option retain-device-identity --pixel-rules us-rules.json
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct DicomArgs {
    /// A DICOM file or a folder to walk.
    input: PathBuf,
    /// The output folder (created; must be empty).
    output: PathBuf,
    /// The project key file (create one with `kakou keygen`).
    #[arg(long)]
    key: PathBuf,
    /// basic | jp-pseudonymized | jp-anonymized
    #[arg(long, default_value = "basic")]
    preset: String,
    /// Add a profile option (repeatable): retain-safe-private, retain-uids,
    /// retain-device-identity, retain-institution-identity, retain-patient-characteristics,
    /// retain-longitudinal-full-dates, retain-longitudinal-modified-dates, clean-descriptors,
    /// clean-structured-content, clean-graphics.
    #[arg(long = "option", value_name = "OPTION")]
    options: Vec<String>,
    /// Keep part of Patient's Address: remove (default), prefecture, municipality.
    #[arg(long, value_parser = ["remove", "prefecture", "municipality"])]
    address: Option<String>,
    /// JSON file with pixel rules: [{"name":…,"manufacturer":…,"model":…,"rows":…,"columns":…,
    /// "regions":[{"x":0,"y":0,"width":640,"height":40}]}].
    #[arg(long)]
    pixel_rules: Option<PathBuf>,
    /// Trust BurnedInAnnotation=NO on modalities that usually carry burned-in text.
    #[arg(long)]
    trust_burned_in_no: bool,
    /// Process everything in memory, write nothing, and show what would change.
    #[arg(long)]
    dry_run: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// A report line for a file that produced no output.
#[derive(Serialize)]
struct NoOutput<'a> {
    file: &'a str,
    outcome: Outcome,
    code: &'a str,
    error: String,
}

pub fn run(args: DicomArgs) -> Result<ExitCode, CliError> {
    let deid = Deidentifier::new(read_key(&args.key)?, build_policy(&args)?)
        .map_err(|e| CliError::Usage(format!("policy: {e}")))?;
    let jobs = discover(&args.input)?;
    let out = if args.dry_run { None } else { Some(OutputDir::create(&args.output, &args.input)?) };
    let sink = ReportSink::new(out.as_ref().map(|o| o.root.join("report.jsonl")).as_deref())?;
    let per_attribute: Mutex<BTreeMap<(String, ActionKind), usize>> = Mutex::default();
    let attention: Mutex<Vec<(String, Outcome, String)>> = Mutex::default();
    let bar = progress(jobs.len(), args.quiet);
    let started = Instant::now();

    thread_pool(args.jobs)?.install(|| {
        jobs.par_iter().for_each(|job| {
            process_one(&deid, job, out.as_ref(), &sink, args.dry_run.then_some(&per_attribute), &attention);
            bar.inc(1);
        })
    });
    bar.finish_and_clear();
    let summary = sink.finish()?;
    let elapsed = started.elapsed().as_secs_f64();

    let mut text = format!(
        "Kakou DICOM de-identification — preset {}, key fingerprint {}\n",
        deid.policy().preset.name(),
        read_key(&args.key)?.fingerprint()
    );
    text.push_str(&summary.to_text());
    text.push_str(&format!(
        "{:.1} s, {:.0} files/s, {:.1} MB/s in\n",
        elapsed,
        summary.items as f64 / elapsed.max(1e-9),
        summary.bytes_in as f64 / 1e6 / elapsed.max(1e-9)
    ));
    text.push_str(&attention_list(attention.into_inner().unwrap_or_default()));
    if let Some(map) = args.dry_run.then(|| per_attribute.into_inner().unwrap_or_default()) {
        text.push_str("dry run: nothing written. Would change:\n");
        for ((attr, action), n) in map {
            text.push_str(&format!("  {n:>6} × {attr}: {}\n", action.label()));
        }
    }
    if let Some(o) = &out {
        write_text(&o.root.join("report.txt"), &text)?;
        let json = serde_json::to_string_pretty(&summary).map_err(|e| CliError::Other(e.to_string()))?;
        write_text(&o.root.join("summary.json"), &json)?;
        text.push_str(&format!("report: {}\n", o.root.join("report.txt").display()));
    }
    print!("{text}");
    Ok(if summary.count(Outcome::Failed) > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// Files that need a person's attention (quarantined, failed, skipped), sorted, at most 50.
fn attention_list(mut items: Vec<(String, Outcome, String)>) -> String {
    if items.is_empty() {
        return String::new();
    }
    items.sort();
    let mut s = String::from("needs attention:\n");
    for (file, outcome, reason) in items.iter().take(50) {
        let label = match outcome {
            Outcome::Quarantined => "quarantined",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::Deidentified => "ok",
        };
        s.push_str(&format!("  {label:<11} {file}: {reason}\n"));
    }
    if items.len() > 50 {
        s.push_str(&format!("  … and {} more: see report.jsonl\n", items.len() - 50));
    }
    s
}

fn process_one(
    deid: &Deidentifier,
    job: &Job,
    out: Option<&OutputDir>,
    sink: &ReportSink,
    per_attribute: Option<&Mutex<BTreeMap<(String, ActionKind), usize>>>,
    attention: &Mutex<Vec<(String, Outcome, String)>>,
) {
    let name = job.rel.display().to_string();
    let fail = |outcome, code: &str, error: String, bytes_in| {
        if let Ok(mut a) = attention.lock() {
            let reason = error.strip_prefix(&format!("{name}: ")).unwrap_or(&error).to_string();
            a.push((name.clone(), outcome, reason));
        }
        sink.line(&NoOutput { file: &name, outcome, code, error });
        if let Ok(mut s) = sink.summary.lock() {
            s.add(outcome, [], [code.to_string()], bytes_in, 0);
        }
    };
    let bytes = match std::fs::read(&job.path) {
        Ok(b) => b,
        Err(e) => return fail(Outcome::Failed, "read-error", format!("{name}: {e}"), 0),
    };
    let processed = match deid.deidentify(&name, &bytes) {
        Ok(p) => p,
        Err(e) if matches!(e.kind, ErrorKind::NotDicom) => {
            return fail(Outcome::Skipped, e.kind.code(), e.to_string(), bytes.len() as u64);
        }
        Err(e) => return fail(Outcome::Failed, e.kind.code(), e.to_string(), bytes.len() as u64),
    };
    let mut report = processed.report;
    if let (Some(q), Ok(mut a)) = (&report.quarantine, attention.lock()) {
        a.push((name.clone(), Outcome::Quarantined, q.message.clone()));
    }
    if let Some(out) = out {
        let dir = if report.outcome == Outcome::Quarantined { &out.quarantine } else { &out.release };
        if let Err(e) = OutputDir::write_new(dir, &job.rel, &processed.bytes) {
            return fail(
                Outcome::Failed,
                "write-error",
                format!("{name}: cannot write output: {e}"),
                bytes.len() as u64,
            );
        }
    }
    if let Some(map) = per_attribute
        && let Ok(mut m) = map.lock()
    {
        for a in &report.actions {
            *m.entry((attribute_name(&a.path), a.action)).or_default() += 1;
        }
    }
    record(sink, &mut report);
}

fn record(sink: &ReportSink, report: &mut FileReport) {
    sink.line(report);
    if let Ok(mut s) = sink.summary.lock() {
        let actions: Vec<ActionKind> = report.actions.iter().map(|a| a.action).collect();
        s.add(report.outcome, actions, report.reason_codes(), report.bytes_in, report.bytes_out);
    }
}

/// `Seq[0]/Keyword` → `Seq/Keyword` for aggregation.
fn attribute_name(path: &str) -> String {
    path.split('/').map(|p| p.split('[').next().unwrap_or(p)).collect::<Vec<_>>().join("/")
}

/// Reads a project key file (shared with `kakou deface`).
pub(crate) fn read_key_file(path: &Path) -> Result<ProjectKey, CliError> {
    read_key(path)
}

fn read_key(path: &Path) -> Result<ProjectKey, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Io(path.display().to_string(), e))?;
    ProjectKey::from_hex(&text).map_err(|e| CliError::Key(path.display().to_string(), e))
}

fn build_policy(args: &DicomArgs) -> Result<Policy, CliError> {
    let pixel_rules = match &args.pixel_rules {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::Io(path.display().to_string(), e))?;
            serde_json::from_str::<Vec<PixelRule>>(&text)
                .map_err(|e| CliError::Usage(format!("{}: not a valid pixel rule list: {e}", path.display())))?
        }
        None => Vec::new(),
    };
    PolicyRequest {
        preset: Some(args.preset.clone()),
        options: args.options.clone(),
        address: args.address.clone(),
        pixel_rules,
        trust_burned_in_no: args.trust_burned_in_no,
    }
    .build()
    .map_err(|e| CliError::Usage(e.to_string()))
}

fn write_text(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|e| CliError::Io(path.display().to_string(), e))
}
