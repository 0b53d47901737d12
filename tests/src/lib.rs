//! Shared helpers for Kakou's end-to-end tests: where the corpora and scorers are, running the
//! de-identifier over a corpus into a temporary output tree, and running the external judges.
//!
//! The corpus is materialised by `scripts/setup.sh` (never committed). A test that cannot find
//! it fails with instructions instead of passing vacuously.

use std::path::{Path, PathBuf};
use std::process::Command;

use kakou_dicom::{Deidentifier, Policy, Preset};
use kakou_sdk::ProjectKey;
use kakou_sdk::report::Outcome;
use rayon::prelude::*;

/// `../shared` beside the repository (or `$KAKOU_SHARED`).
pub fn shared_dir() -> PathBuf {
    std::env::var_os("KAKOU_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
}

fn cache_dir() -> PathBuf {
    std::env::var_os("KAKOU_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kakou"))
}

/// The DICOM corpus folder (`…/corpus/dcm`), panicking with instructions if it is missing.
pub fn dicom_corpus() -> PathBuf {
    let dir = std::env::var_os("KAKOU_CORPUS").map(PathBuf::from).unwrap_or_else(|| cache_dir().join("corpus"));
    let dcm = dir.join("dcm");
    assert!(
        dir.join("manifest.tsv").is_file() && dcm.is_dir(),
        "DICOM corpus not found in {}: run scripts/setup.sh (it builds it from ../shared/eval/dicom)",
        dir.display()
    );
    dcm
}

/// The Python of the venv that setup.sh made (pydicom, for the scorers).
pub fn python() -> PathBuf {
    let p = std::env::var_os("KAKOU_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("venv"))
        .join("bin/python");
    assert!(p.is_file(), "Python venv not found at {}: run scripts/setup.sh", p.display());
    p
}

/// A fixed test key.
pub fn test_key(seed: u8) -> ProjectKey {
    ProjectKey::from_bytes([seed; 32])
}

/// The sorted DICOM corpus files (name, bytes).
pub fn corpus_files() -> Vec<(String, Vec<u8>)> {
    let dir = dicom_corpus();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus folder readable")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.into_iter().map(|n| (n.clone(), std::fs::read(dir.join(&n)).expect("corpus file readable"))).collect()
}

/// The result of a corpus run.
pub struct CorpusRun {
    pub out: tempfile::TempDir,
    pub written: usize,
    pub quarantined: usize,
    pub failed: Vec<String>,
}

/// De-identifies the corpus with `policy` into `out/release` and `out/quarantine`.
pub fn run_corpus(policy: Policy, key: &ProjectKey) -> CorpusRun {
    let deid = Deidentifier::new(key.clone(), policy).expect("valid policy");
    let out = tempfile::tempdir().expect("temp dir");
    let results: Vec<_> = corpus_files()
        .par_iter()
        .map(|(name, bytes)| match deid.deidentify(name, bytes) {
            Ok(p) => {
                let dir = if p.report.outcome == Outcome::Quarantined { "quarantine" } else { "release" };
                let path = out.path().join(dir).join(name);
                std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
                std::fs::write(&path, &p.bytes).expect("write output");
                Ok(p.report.outcome)
            }
            Err(e) => Err(e.to_string()),
        })
        .collect();
    let written = results.iter().filter(|r| r.is_ok()).count();
    let quarantined = results.iter().filter(|r| matches!(r, Ok(Outcome::Quarantined))).count();
    let failed = results.into_iter().filter_map(Result::err).collect();
    CorpusRun { out, written, quarantined, failed }
}

pub fn preset(p: Preset) -> Policy {
    Policy::preset(p)
}

/// Runs `leakcheck.py ORIG OUT FLAGS…` and returns its JSON summary.
pub fn leakcheck(out: &Path, flags: &[&str]) -> serde_json::Value {
    let script = shared_dir().join("eval/dicom/leakcheck.py");
    let json = out.join("leakcheck.json");
    let status = Command::new(python())
        .arg(&script)
        .arg(dicom_corpus())
        .arg(out)
        .args(flags)
        .arg("--json")
        .arg(&json)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("leakcheck.py runs");
    assert!(status.success(), "leakcheck.py failed: {status}");
    serde_json::from_str(&std::fs::read_to_string(&json).expect("leakcheck wrote its JSON")).expect("valid JSON")
}

/// Errors `dciodvfy` reports for a file, normalised so that the same error with other UIDs,
/// numbers or values compares equal.
pub fn dciodvfy_errors(path: &Path) -> Vec<String> {
    let out = Command::new("dciodvfy").arg(path).output().expect("dciodvfy runs (apt dicom3tools)");
    let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let mut errors: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("Error"))
        .map(|l| {
            let mut s = String::new();
            let mut in_digits = false;
            for c in l.chars() {
                let d = c.is_ascii_digit() || (in_digits && c == '.');
                if d && !in_digits {
                    s.push('N');
                }
                in_digits = d;
                if !d {
                    s.push(c);
                }
            }
            s
        })
        .collect();
    errors.sort();
    errors
}

/// Scores predicted spans against gold notes with the independent `../shared/eval/text/score.py`
/// (both JSON lines, one note per line); returns its character-level (recall, precision).
pub fn score_text_spans(gold: &str, pred: &str) -> (f64, f64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (g, p) = (dir.path().join("gold.jsonl"), dir.path().join("pred.jsonl"));
    std::fs::write(&g, gold).expect("write");
    std::fs::write(&p, pred).expect("write");
    let out = Command::new("python3")
        .arg(shared_dir().join("eval/text/score.py"))
        .args([&g, &p])
        .output()
        .expect("score.py runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default().to_string();
    let field = |name: &str| {
        last.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {name} in score.py output: {last}"))
    };
    (field("recall_chars"), field("precision_chars"))
}
