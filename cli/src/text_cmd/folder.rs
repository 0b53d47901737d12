//! `kakou text IN OUT`: a folder of notes to an output folder, in parallel, with a report.
//!
//! Each file is written under a temporary name and linked to its final name only when complete
//! (a link never replaces an existing file), so a file that fails half-way — not UTF-8 at byte
//! 40 MB — leaves nothing behind, and nothing is ever overwritten.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use kakou_sdk::text::{Patient, RedactedSpan, Redactor};
use rayon::prelude::*;
use serde::Serialize;

use super::{StreamError, TextArgs, redact_jsonl, redact_plain};
use crate::batch::{CliError, Job, OutputDir, ReportSink, discover, thread_pool};

/// One line of report.jsonl. Never carries original text.
#[derive(Debug, Default, Serialize)]
struct FileReport {
    file: String,
    /// redacted | skipped | failed
    outcome: &'static str,
    bytes_in: u64,
    /// Spans by type (NAME, DATE, …).
    spans: BTreeMap<String, usize>,
    /// Spans by what was done (placeholder, surrogate, shifted, kept, …).
    actions: BTreeMap<String, usize>,
    #[serde(skip_serializing_if = "is_zero")]
    invalid_utf8_replaced: u64,
    #[serde(skip_serializing_if = "is_zero_usize")]
    bad_lines: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
fn is_zero_usize(n: &usize) -> bool {
    *n == 0
}

impl FileReport {
    fn count(&mut self, spans: &[RedactedSpan]) {
        for s in spans {
            *self.spans.entry(s.kind.name().to_string()).or_default() += 1;
            let action = serde_json::to_value(s.action).ok().and_then(|v| v.as_str().map(String::from));
            *self.actions.entry(action.unwrap_or_default()).or_default() += 1;
        }
    }
}

/// The batch summary (summary.json).
#[derive(Debug, Default, Serialize)]
struct Summary {
    files: usize,
    outcomes: BTreeMap<&'static str, usize>,
    spans: BTreeMap<String, usize>,
    actions: BTreeMap<String, usize>,
    bytes_in: u64,
    bad_lines: usize,
    invalid_utf8_replaced: u64,
}

impl Summary {
    fn add(&mut self, r: &FileReport) {
        self.files += 1;
        *self.outcomes.entry(r.outcome).or_default() += 1;
        for (k, v) in &r.spans {
            *self.spans.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &r.actions {
            *self.actions.entry(k.clone()).or_default() += v;
        }
        self.bytes_in += r.bytes_in;
        self.bad_lines += r.bad_lines;
        self.invalid_utf8_replaced += r.invalid_utf8_replaced;
    }
}

pub(super) fn run(args: &TextArgs, out: &Path, redactor: &Redactor, patient: &Patient) -> Result<ExitCode, CliError> {
    let jobs = discover(&args.input)?;
    let dir = OutputDir::create(out, &args.input)?;
    let sink = ReportSink::new(Some(&dir.root.join("report.jsonl")))?;
    let total: u64 = jobs.iter().filter_map(|j| fs::metadata(&j.path).ok()).map(|m| m.len()).sum();
    let bar = byte_progress(total, args.quiet);
    let summary = Mutex::new(Summary::default());
    let attention = Mutex::new(Vec::new());
    let started = Instant::now();
    thread_pool(args.jobs)?.install(|| {
        jobs.par_iter().for_each(|job| {
            let report = process(args, job, &dir, redactor, patient, &bar);
            sink.line(&report);
            if report.outcome != "redacted" || report.bad_lines > 0 || report.invalid_utf8_replaced > 0 {
                let why =
                    report.error.clone().unwrap_or_else(|| match (report.bad_lines, report.invalid_utf8_replaced) {
                        (0, n) => format!("{n} invalid UTF-8 sequences replaced by U+FFFD"),
                        (n, _) => format!("{n} lines skipped (see stderr)"),
                    });
                if let Ok(mut a) = attention.lock() {
                    a.push(format!("  {} {}: {why}", report.outcome, report.file));
                }
            }
            if let Ok(mut s) = summary.lock() {
                s.add(&report);
            }
        })
    });
    bar.finish_and_clear();
    sink.finish()?;
    let summary = summary.into_inner().unwrap_or_default();
    let elapsed = started.elapsed().as_secs_f64().max(1e-9);
    let text = report_text(args, redactor, &summary, elapsed, attention.into_inner().unwrap_or_default());
    let json = serde_json::to_string_pretty(&summary).map_err(|e| CliError::Other(e.to_string()))?;
    write_new(&dir.root.join("summary.json"), json.as_bytes())?;
    write_new(&dir.root.join("report.txt"), text.as_bytes())?;
    println!("{text}report: {}", dir.root.join("report.txt").display());
    let failed = summary.outcomes.get("failed").copied().unwrap_or(0) > 0 || summary.bad_lines > 0;
    Ok(if failed { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn report_text(args: &TextArgs, r: &Redactor, s: &Summary, elapsed: f64, mut attention: Vec<String>) -> String {
    let policy = r.summary();
    let mut t = format!(
        "Kakou text redaction — policy {}, {}, dates {}, ages {}{}{}\n",
        args.policy,
        policy.replacement,
        serde_json::to_value(policy.dates).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
        serde_json::to_value(policy.ages).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
        if policy.keep_facilities { ", facilities kept" } else { "" },
        policy.key_fingerprint.map(|f| format!(", key fingerprint {f}")).unwrap_or_default(),
    );
    let n = |k| s.outcomes.get(k).copied().unwrap_or(0);
    t.push_str(&format!(
        "{} files: {} redacted, {} skipped, {} failed; {:.1} MB in {:.1} s ({:.1} MB/s)\n",
        s.files,
        n("redacted"),
        n("skipped"),
        n("failed"),
        s.bytes_in as f64 / 1e6,
        elapsed,
        s.bytes_in as f64 / 1e6 / elapsed
    ));
    let join = |m: &BTreeMap<String, usize>| m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
    t.push_str(&format!("identifiers found: {}\n", if s.spans.is_empty() { "none".into() } else { join(&s.spans) }));
    if !s.actions.is_empty() {
        t.push_str(&format!("actions: {}\n", join(&s.actions)));
    }
    if !attention.is_empty() {
        attention.sort();
        t.push_str("needs attention:\n");
        for a in attention.iter().take(50) {
            t.push_str(a);
            t.push('\n');
        }
        if attention.len() > 50 {
            t.push_str(&format!("  … and {} more (report.jsonl)\n", attention.len() - 50));
        }
    }
    t
}

fn byte_progress(total: u64, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// A reader that moves the progress bar.
struct Counting<'a, R> {
    inner: R,
    bar: &'a ProgressBar,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

enum Format {
    Plain,
    JsonLines,
}

fn format_of(path: &Path, force_jsonl: bool) -> Option<Format> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("jsonl") => Some(Format::JsonLines),
        Some("txt") if force_jsonl => Some(Format::JsonLines),
        Some("txt") => Some(Format::Plain),
        _ => None,
    }
}

fn process(args: &TextArgs, job: &Job, dir: &OutputDir, r: &Redactor, p: &Patient, bar: &ProgressBar) -> FileReport {
    let file = job.rel.display().to_string();
    let bytes_in = fs::metadata(&job.path).map(|m| m.len()).unwrap_or(0);
    let mut report = FileReport { file: file.clone(), bytes_in, ..FileReport::default() };
    let Some(format) = format_of(&job.path, args.jsonl) else {
        bar.inc(bytes_in);
        report.outcome = "skipped";
        report.error = Some("not a .txt or .jsonl file".into());
        return report;
    };
    let target = dir.release.join(&job.rel);
    let spans_target = args.spans.then(|| dir.root.join("spans").join(format!("{}.spans.jsonl", job.rel.display())));
    match write_one(args, job, &target, spans_target.as_deref(), format, r, p, bar, &mut report) {
        Ok(()) => report.outcome = "redacted",
        Err(e) => {
            report.outcome = "failed";
            report.spans.clear();
            report.actions.clear();
            report.error = Some(e);
        }
    }
    report
}

#[allow(clippy::too_many_arguments)]
fn write_one(
    args: &TextArgs,
    job: &Job,
    target: &Path,
    spans_target: Option<&Path>,
    format: Format,
    r: &Redactor,
    p: &Patient,
    bar: &ProgressBar,
    report: &mut FileReport,
) -> Result<(), String> {
    let input = fs::File::open(&job.path).map_err(|e| format!("cannot read: {e}"))?;
    let input = BufReader::with_capacity(1 << 20, Counting { inner: input, bar });
    let partial = Partial::create(target)?;
    let spans_file = match spans_target {
        Some(t) => Some(Partial::create(t)?),
        None => None,
    };
    let mut out = BufWriter::with_capacity(1 << 20, &partial.file);
    let mut span_out = spans_file.as_ref().map(|s| BufWriter::new(&s.file));
    let mut span_err = None;
    let mut counts = FileReport::default();
    let mut on_spans = |spans: &[RedactedSpan]| {
        counts.count(spans);
        if let Some(w) = span_out.as_mut() {
            for s in spans {
                if let Err(e) = serde_json::to_string(s).map(|j| writeln!(w, "{j}")) {
                    span_err.get_or_insert(e.to_string());
                }
            }
        }
    };
    let result = match format {
        Format::Plain => {
            redact_plain(input, &mut out, r, p, args.lossy, &mut on_spans).map(|stats| (stats.replaced, 0))
        }
        Format::JsonLines => {
            redact_jsonl(input, &mut out, &job.rel.display().to_string(), r, p, args.lossy, &mut on_spans)
                .map(|bad| (0, bad))
        }
    };
    report.spans = counts.spans;
    report.actions = counts.actions;
    (report.invalid_utf8_replaced, report.bad_lines) = result.map_err(|e| match e {
        StreamError::Read(e) => format!("cannot read: {e}"),
        StreamError::Write(e) => format!("cannot write {}: {e}", target.display()),
        StreamError::Utf8(e) => e.to_string(),
    })?;
    out.flush().map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    drop(out);
    if let Some(mut w) = span_out.take() {
        w.flush().map_err(|e| format!("cannot write spans: {e}"))?;
    }
    drop(span_out);
    if let Some(e) = span_err {
        return Err(format!("cannot write spans: {e}"));
    }
    partial.commit()?;
    if let Some(s) = spans_file {
        s.commit()?;
    }
    Ok(())
}

/// A file written under a temporary name next to its target; removed unless committed.
struct Partial {
    tmp: PathBuf,
    target: PathBuf,
    file: fs::File,
}

impl Partial {
    fn create(target: &Path) -> Result<Partial, String> {
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(".kakou-partial");
        let tmp = target.with_file_name(name);
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        Ok(Partial { tmp, target: target.to_path_buf(), file })
    }

    /// Links the finished file to its name; fails (and replaces nothing) if the name exists.
    fn commit(self) -> Result<(), String> {
        let refused =
            |e: std::io::Error| format!("cannot write {}: {e} (Kakou never overwrites)", self.target.display());
        match fs::hard_link(&self.tmp, &self.target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(refused(e)),
            // File systems without hard links: rename, after checking the name is free.
            Err(_) if !self.target.exists() => fs::rename(&self.tmp, &self.target).map_err(refused)?,
            Err(e) => return Err(refused(e)),
        }
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        // Committed: the data lives on under the target name (or was renamed). Not committed:
        // nothing half-written stays.
        let _ = fs::remove_file(&self.tmp);
    }
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let io = |e| CliError::Io(path.display().to_string(), e);
    let mut f = fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(io)?;
    f.write_all(bytes).map_err(io)
}
