//! The `kakou` command line on real corpus files: what a hospital engineer relies on.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kakou(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kakou")).args(args).output().expect("kakou runs")
}

/// `kakou dicom INPUT OUT --key KEY EXTRA…`
fn dicom(input: &Path, out: &Path, key: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["dicom", path_str(input), path_str(out), "--key", path_str(key)];
    args.extend_from_slice(extra);
    kakou(&args)
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

fn corpus() -> PathBuf {
    let dir = std::env::var_os("KAKOU_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kakou/corpus"));
    assert!(dir.join("dcm").is_dir(), "corpus missing in {}: run scripts/setup.sh", dir.display());
    dir.join("dcm")
}

/// An input folder with a few real files in nested folders, a truncated file and a text file.
fn input_tree(dir: &Path) -> PathBuf {
    let input = dir.join("in");
    for (i, name) in
        ["pydicom__CT_small.dcm", "pydicom__MR_small.dcm", "pydicomcharset__chrJapMulti.dcm"].iter().enumerate()
    {
        let sub = input.join(format!("study{i}"));
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::copy(corpus().join(name), sub.join(name)).expect("copy corpus file");
    }
    let ct = std::fs::read(corpus().join("pydicom__CT_small.dcm")).expect("read");
    std::fs::write(input.join("truncated.dcm"), &ct[..ct.len() / 3]).expect("write");
    std::fs::write(input.join("README.txt"), "export notes, not DICOM").expect("write");
    input
}

fn keyfile(dir: &Path) -> PathBuf {
    let key = dir.join("project.key");
    let out = kakou(&["keygen", path_str(&key)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    key
}

fn tree_digest(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<_> = walk(dir).into_iter().map(|p| (p.clone(), std::fs::read(&p).expect("read"))).collect();
    v.sort();
    v
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("readable").filter_map(|e| e.ok()) {
        if e.path().is_dir() { out.extend(walk(&e.path())) } else { out.push(e.path()) }
    }
    out
}

#[test]
fn batch_goes_on_past_bad_files_and_never_touches_the_input() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = input_tree(tmp.path());
    let key = keyfile(tmp.path());
    let before = tree_digest(&input);
    let out = tmp.path().join("out");
    let run = dicom(&input, &out, &key, &["-q"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(2), "a failed file gives exit 2: {stdout}");
    assert!(stdout.contains("5 files: 3 de-identified, 0 quarantined, 1 skipped, 1 failed"), "{stdout}");
    for i in 0..3 {
        let study = out.join("release").join(format!("study{i}"));
        assert_eq!(walk(&study).len(), 1, "output keeps the relative layout");
    }
    assert_eq!(tree_digest(&input), before, "input modified");
    let report = std::fs::read_to_string(out.join("report.jsonl")).expect("report");
    assert_eq!(report.lines().count(), 5, "one report line per input file");
    assert!(report.contains(r#""file":"README.txt","outcome":"skipped","code":"not-dicom""#), "{report}");
    assert!(report.contains(r#""file":"truncated.dcm","outcome":"failed""#));
    assert!(std::fs::read_to_string(out.join("report.txt")).expect("txt").contains("key fingerprint"));
}

#[test]
fn refuses_to_overwrite_or_to_write_inside_the_input() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = input_tree(tmp.path());
    let key = keyfile(tmp.path());
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join("precious.dcm"), b"keep me").expect("write");
    let run = dicom(&input, &out, &key, &[]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("not empty"));
    assert_eq!(std::fs::read(out.join("precious.dcm")).expect("still there"), b"keep me");

    let nested = input.join("out");
    let run = dicom(&input, &nested, &key, &[]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("overlap"));
    assert!(!nested.exists(), "no folder left behind in the input");
}

#[test]
fn dry_run_writes_nothing_and_shows_what_would_change() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = input_tree(tmp.path());
    let key = keyfile(tmp.path());
    let out = tmp.path().join("out");
    let run = dicom(&input, &out, &key, &["--dry-run", "--preset", "jp-anonymized"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("dry run: nothing written"), "{stdout}");
    assert!(stdout.contains("PatientName: pseudonymized"), "{stdout}");
    assert!(stdout.contains("StudyDate: date-shifted"), "{stdout}");
    assert!(!out.exists());
}

#[test]
fn bad_key_and_unknown_option_are_explained() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = input_tree(tmp.path());
    let key = tmp.path().join("bad.key");
    std::fs::write(&key, "not a key").expect("write");
    let never = tmp.path().join("never");
    let run = dicom(&input, &never, &key, &[]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("64 hexadecimal"));

    let good = keyfile(tmp.path());
    let run = dicom(&input, &never, &good, &["--option", "keep-all"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("retain-safe-private"));
}

#[test]
fn keygen_never_overwrites_and_help_teaches() {
    let tmp = tempfile::tempdir().expect("tmp");
    let key = keyfile(tmp.path());
    let again = kakou(&["keygen", path_str(&key)]);
    assert!(!again.status.success(), "keygen replaced an existing key");
    let help = String::from_utf8_lossy(&kakou(&["dicom", "--help"]).stdout).into_owned();
    for needle in ["PRESETS", "jp-pseudonymized", "EXIT STATUS", "quarantine", "EXAMPLE"] {
        assert!(help.contains(needle), "--help lacks {needle}");
    }
}

#[test]
fn text_redacts_jsonl_and_names_bad_input() {
    let tmp = tempfile::tempdir().expect("tmp");
    let notes = tmp.path().join("notes.jsonl");
    std::fs::write(
        &notes,
        "{\"id\":\"a\",\"text\":\"TEL ０３－１２３４－５６７８、受診日 令和6年3月5日\"}\nnot json\n{\"id\":\"b\",\"text\":\"MRN: 85897718\"}\n",
    )
    .expect("write");
    let run = kakou(&["text", "--jsonl", path_str(&notes)]);
    assert_eq!(run.status.code(), Some(2), "a bad line gives exit 2");
    assert!(String::from_utf8_lossy(&run.stderr).contains("line 2: not JSON"));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&run.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["redacted_text"], "TEL [電話番号]、受診日 [日付]");
    assert_eq!(lines[1]["spans"][0]["type"], "PATIENT_ID");

    let latin1 = tmp.path().join("latin1.txt");
    std::fs::write(&latin1, b"caf\xe9 03-1234-5678").expect("write");
    let run = kakou(&["text", path_str(&latin1)]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("latin1.txt: not UTF-8 (invalid byte at offset 3)"));
}

/// `kakou deface` on a generated CT head (the SDK's phantom, one file per slice): the face and
/// the outer ears are removed and the report says so; `--keep-ears` keeps the ears, says so, and
/// changes fewer voxels; the input is never touched.
#[test]
fn deface_removes_the_ears_unless_asked_to_keep_them() {
    use kakou_sdk::deface::{Modality, phantom};
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("ct");
    std::fs::create_dir_all(&input).expect("mkdir");
    let identity = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    for (name, bytes) in kakou_dicom::synthetic::phantom_series(&phantom::axial_grid(4.0), Modality::Ct, identity) {
        std::fs::write(input.join(name), bytes).expect("write slice");
    }
    let before: Vec<Vec<u8>> = slices(&input);
    let key = keyfile(dir.path());
    let run = |out: &str, extra: &[&str]| {
        let out = dir.path().join(out);
        let mut args = vec!["deface", path_str(&input), path_str(&out), "--key", path_str(&key), "-q", "--no-qc"];
        args.extend_from_slice(extra);
        let result = kakou(&args);
        assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
        let report = std::fs::read_to_string(out.join("report.txt")).expect("report.txt");
        let series = std::fs::read_dir(out.join("release")).expect("release").next().expect("a series").expect("entry");
        (report, slices(&series.path()))
    };
    let (report, removed) = run("out", &[]);
    assert!(report.contains("outer ears removed ("), "{report}");
    let (report_kept, kept) = run("kept", &["--keep-ears"]);
    assert!(report_kept.contains("outer ears kept (--keep-ears)"), "{report_kept}");
    assert_eq!(removed.len(), before.len());
    assert_ne!(removed, kept, "removing the ears changes pixels that keeping them does not");
    assert_eq!(slices(&input), before, "the input is never modified");
    // a field of view that ends beside the head, before the ears: the report says none was found
    let narrow = dir.path().join("narrow");
    std::fs::create_dir_all(&narrow).expect("mkdir");
    let mut grid = phantom::axial_grid(4.0);
    grid.origin[0] = -72.0;
    grid.dims[0] = 37;
    for (name, bytes) in kakou_dicom::synthetic::phantom_series(&grid, Modality::Ct, identity) {
        std::fs::write(narrow.join(name), bytes).expect("write slice");
    }
    let out = dir.path().join("narrow-out");
    let result = kakou(&["deface", path_str(&narrow), path_str(&out), "--key", path_str(&key), "-q", "--no-qc"]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let report = std::fs::read_to_string(out.join("report.txt")).expect("report.txt");
    assert!(report.contains("no outer ear found beside the head"), "{report}");
}

/// The bytes of every file in `dir`, by name.
fn slices(dir: &Path) -> Vec<Vec<u8>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir).expect("read_dir").map(|e| e.expect("entry").path()).collect();
    names.sort();
    names.iter().map(|p| std::fs::read(p).expect("read slice")).collect()
}
