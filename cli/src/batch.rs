//! Batch plumbing shared by the commands: finding inputs, the output layout, parallel work with
//! a progress bar, and the streamed report.
//!
//! Output layout (one run, one folder, nothing overwritten):
//!
//! ```text
//! OUT/release/<same relative paths as the input>   de-identified files, safe to release
//! OUT/quarantine/<relative path>                    cleaned metadata, NOT released (reason in report)
//! OUT/report.jsonl                                  one JSON line per input file
//! OUT/summary.json, OUT/report.txt                  batch summary, for machines and for people
//! ```
//!
//! Quarantined files sit beside `release/`, not inside it, so uploading `release/` can never
//! carry a file that still needs review.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use kakou_sdk::ProjectKey;
use kakou_sdk::report::{BatchSummary, Outcome};
use serde::Serialize;

/// A failure that stops the whole command (one bad input file never does).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("key file {0}: {1}")]
    Key(String, kakou_sdk::KeyError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Other(String),
}

/// One input file and its path relative to the input root (used for the output path).
#[derive(Debug, Clone)]
pub struct Job {
    pub path: PathBuf,
    pub rel: PathBuf,
}

/// All regular files under `input` (or `input` itself), sorted for reproducible reports.
pub fn discover(input: &Path) -> Result<Vec<Job>, CliError> {
    let meta = fs::metadata(input).map_err(|e| CliError::Io(input.display().to_string(), e))?;
    if meta.is_file() {
        let name = input.file_name().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("input"));
        return Ok(vec![Job { path: input.to_path_buf(), rel: name }]);
    }
    let mut jobs = Vec::new();
    for entry in walkdir::WalkDir::new(input).sort_by_file_name() {
        let entry = entry.map_err(|e| CliError::Other(format!("cannot list {}: {e}", input.display())))?;
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(input).unwrap_or(entry.path()).to_path_buf();
            jobs.push(Job { path: entry.path().to_path_buf(), rel });
        }
    }
    Ok(jobs)
}

/// The output folders of a run.
pub struct OutputDir {
    pub root: PathBuf,
    pub release: PathBuf,
    pub quarantine: PathBuf,
}

impl OutputDir {
    /// Creates the layout. Refuses an output that is not empty, or that overlaps the input (the
    /// run would read its own output, or write into the originals).
    pub fn create(root: &Path, input: &Path) -> Result<Self, CliError> {
        let io = |e| CliError::Io(root.display().to_string(), e);
        let abs_in = fs::canonicalize(input).map_err(|e| CliError::Io(input.display().to_string(), e))?;
        if root.exists() && fs::read_dir(root).map_err(io)?.next().is_some() {
            return Err(CliError::Usage(format!(
                "output folder {} is not empty: Kakou never overwrites; choose a new folder",
                root.display()
            )));
        }
        fs::create_dir_all(root).map_err(io)?;
        let abs_out = fs::canonicalize(root).map_err(io)?;
        if abs_out.starts_with(&abs_in) || abs_in.starts_with(&abs_out) {
            let _ = fs::remove_dir(root);
            return Err(CliError::Usage(format!(
                "output {} and input {} overlap: put the output outside the input",
                root.display(),
                input.display()
            )));
        }
        let out =
            OutputDir { root: root.to_path_buf(), release: root.join("release"), quarantine: root.join("quarantine") };
        fs::create_dir_all(&out.release).map_err(io)?;
        Ok(out)
    }

    /// Writes `bytes` at `dir/rel`, creating folders; never replaces an existing file.
    pub fn write_new(dir: &Path, rel: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut f = fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
        f.write_all(bytes)?;
        Ok(path)
    }
}

/// A JSON-lines report written as files complete, plus the running summary.
pub struct ReportSink {
    lines: Option<Mutex<BufWriter<fs::File>>>,
    pub summary: Mutex<BatchSummary>,
}

impl ReportSink {
    pub fn new(path: Option<&Path>) -> Result<Self, CliError> {
        let lines = match path {
            Some(p) => {
                let f = fs::File::create(p).map_err(|e| CliError::Io(p.display().to_string(), e))?;
                Some(Mutex::new(BufWriter::new(f)))
            }
            None => None,
        };
        Ok(ReportSink { lines, summary: Mutex::new(BatchSummary::default()) })
    }

    pub fn line<T: Serialize>(&self, item: &T) {
        if let Some(lines) = &self.lines
            && let Ok(json) = serde_json::to_string(item)
            && let Ok(mut w) = lines.lock()
        {
            let _ = writeln!(w, "{json}");
        }
    }

    pub fn finish(&self) -> Result<BatchSummary, CliError> {
        if let Some(lines) = &self.lines
            && let Ok(mut w) = lines.lock()
        {
            w.flush().map_err(|e| CliError::Io("report.jsonl".into(), e))?;
        }
        Ok(self.summary.lock().map(|s| s.clone()).unwrap_or_default())
    }
}

/// A progress bar on stderr, hidden when quiet or not on a terminal.
pub fn progress(total: usize, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} files {per_sec} eta {eta} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// Sets the worker count (0 or None: one per core).
pub fn thread_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, CliError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| CliError::Other(format!("cannot start worker threads: {e}")))
}

/// Progress in bytes (for inputs of a few large files, e.g. a million-row CSV).
pub fn progress_bytes(total: u64, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// Reads a project key file.
pub fn read_key(path: &Path) -> Result<ProjectKey, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Io(path.display().to_string(), e))?;
    ProjectKey::from_hex(&text).map_err(|e| CliError::Key(path.display().to_string(), e))
}

/// Writes a small text file (reports).
pub fn write_text(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|e| CliError::Io(path.display().to_string(), e))
}

/// Files that need a person's attention (quarantined, failed, skipped), sorted, at most 50.
pub fn attention_list(mut items: Vec<(String, Outcome, String)>) -> String {
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
