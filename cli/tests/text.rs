//! `kakou text` as a hospital engineer uses it: folders, policies, surrogates, hints, bad input,
//! and a large file in bounded memory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn kakou(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kakou")).args(args).output().expect("kakou runs")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A small tree: notes in nested folders, JSON lines with a bad line, a Shift_JIS file, an image.
fn tree(root: &Path) -> PathBuf {
    let input = root.join("in");
    write(&input.join("ward1/a.txt"), "患者：山田 太郎様（92歳）TEL 03-1234-5678\n受診日 2024年3月5日\n".as_bytes());
    write(
        &input.join("ward2/deep/b.JSONL"),
        "{\"id\":\"n1\",\"text\":\"Patient: Laura Bennett, seen 03/05/2024\"}\nnot json\n".as_bytes(),
    );
    // 山田 in Shift_JIS: not UTF-8 at byte 6.
    write(&input.join("ward2/sjis.txt"), b"Note: \x8eR\x93c");
    write(&input.join("scan.png"), b"\x89PNG");
    input
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable").filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn folders_mirror_the_tree_report_and_never_touch_the_input() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = tree(tmp.path());
    let before = snapshot(&input);
    let out = tmp.path().join("out");
    let run = kakou(&["text", s(&input), s(&out), "-q", "--spans"]);
    assert_eq!(run.status.code(), Some(2), "a bad file and a bad line give exit 2");
    assert_eq!(snapshot(&input), before, "input untouched");

    let a = read(&out.join("release/ward1/a.txt"));
    assert_eq!(a, "患者：[氏名]様（[年齢]）TEL [電話番号]\n受診日 [日付]\n");
    let b: serde_json::Value =
        serde_json::from_str(read(&out.join("release/ward2/deep/b.JSONL")).trim()).expect("one JSON line");
    assert_eq!(b["redacted_text"], "Patient: [NAME], seen [DATE]");
    assert!(!out.join("release/ward2/sjis.txt").exists(), "a failed file leaves nothing");
    assert!(!out.join("release/scan.png").exists());
    assert_eq!(read(&out.join("spans/ward1/a.txt.spans.jsonl")).lines().count(), 4);

    let report: Vec<serde_json::Value> =
        read(&out.join("report.jsonl")).lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    let by_file = |f: &str| report.iter().find(|r| r["file"] == f).unwrap_or_else(|| panic!("{f} in report"));
    assert_eq!(by_file("ward1/a.txt")["outcome"], "redacted");
    assert_eq!(by_file("ward1/a.txt")["spans"]["PHONE"], 1);
    assert_eq!(by_file("ward2/deep/b.JSONL")["bad_lines"], 1);
    assert_eq!(by_file("scan.png")["outcome"], "skipped");
    let sjis = by_file("ward2/sjis.txt");
    assert_eq!(sjis["outcome"], "failed");
    assert!(sjis["error"].as_str().is_some_and(|e| e.contains("not UTF-8 (invalid byte at offset 6)")), "{sjis}");
    let text = read(&out.join("report.txt"));
    assert!(text.contains("4 files: 2 redacted, 1 skipped, 1 failed"), "{text}");
    assert!(text.contains("ward2/sjis.txt"), "the failure is listed: {text}");
    assert!(
        !text.contains("山田") && !read(&out.join("report.jsonl")).contains("山田"),
        "no original values in reports"
    );
    let summary: serde_json::Value = serde_json::from_str(&read(&out.join("summary.json"))).expect("JSON");
    assert_eq!(summary["files"], 4);

    // Never overwrite: the same output again is refused, and nothing changes.
    let out_before = snapshot(&out);
    let again = kakou(&["text", s(&input), s(&out), "-q"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
    assert_eq!(snapshot(&out), out_before);
    let inside = kakou(&["text", s(&input), s(&input.join("out")), "-q"]);
    assert_eq!(inside.status.code(), Some(1), "output inside the input is refused");
}

#[test]
fn invalid_utf8_names_the_file_and_offset_or_is_replaced_with_lossy() {
    let tmp = tempfile::tempdir().expect("tmp");
    let latin1 = tmp.path().join("latin1.txt");
    write(&latin1, b"caf\xe9 TEL 03-1234-5678");
    let run = kakou(&["text", s(&latin1)]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("latin1.txt: not UTF-8 (invalid byte at offset 3)"));
    let run = kakou(&["text", s(&latin1), "--lossy"]);
    assert_eq!(run.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&run.stdout), "caf\u{FFFD} TEL [PHONE]");
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("1 invalid UTF-8 sequences replaced by U+FFFD (first at byte 3)")
    );
}

#[test]
fn policies_placeholders_surrogates_and_hints() {
    let tmp = tempfile::tempdir().expect("tmp");
    let note = tmp.path().join("note.txt");
    write(&note, "ﾔﾏﾀﾞ ﾀﾛｳ様 93歳 2024年3月5日入院 TEL 03-1234-5678 紹介元 みどり台病院".as_bytes());
    let hints = tmp.path().join("patient.json");
    write(&hints, br#"{"patient_id":"0012345","name":"\u5c71\u7530 \u592a\u90ce","kana":"\u30e4\u30de\u30c0 \u30bf\u30ed\u30a6"}"#);
    let stdout = |args: &[&str]| {
        let run = kakou(args);
        assert!(run.status.success(), "{args:?}: {}", String::from_utf8_lossy(&run.stderr));
        String::from_utf8(run.stdout).expect("UTF-8")
    };
    let pseudo = stdout(&["text", s(&note), "--policy", "pseudonymized", "--hints", s(&hints), "--keep-facilities"]);
    assert_eq!(pseudo, "[氏名]様 93歳 2024年3月5日入院 TEL [電話番号] 紹介元 みどり台病院");
    let anon = stdout(&[
        "text",
        s(&note),
        "--policy",
        "anonymized",
        "--placeholder",
        "NAME=＊＊",
        "--placeholder",
        "PHONE.ja=[TEL]",
    ]);
    assert_eq!(anon, "＊＊様 90歳以上 2024年3月入院 TEL [TEL] 紹介元 [施設名]");

    let key = tmp.path().join("project.key");
    assert!(kakou(&["keygen", s(&key)]).status.success());
    let args = ["text", s(&note), "--policy", "anonymized", "--surrogates", "--key", s(&key), "--hints", s(&hints)];
    let sur = stdout(&args);
    assert_eq!(sur, stdout(&args), "keyed surrogates are deterministic");
    for original in ["ﾔﾏﾀﾞ", "2024年3月5日", "03-1234-5678", "みどり台病院"] {
        assert!(!sur.contains(original), "{original} in {sur}");
    }
    assert!(sur.contains("90歳以上") && sur.contains("年") && sur.contains("TEL 03-"), "{sur}");

    let bad = kakou(&["text", s(&note), "--placeholder", "NAMES=x"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown identifier type 'NAMES'"));
    let bad = kakou(&["text", s(&note), "--dates", "shift"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("needs the project key"));
}

#[test]
fn help_teaches_with_examples() {
    let run = kakou(&["text", "--help"]);
    let help = String::from_utf8_lossy(&run.stdout);
    for want in
        ["EXAMPLES", "--policy", "pseudonymized", "--surrogates", "--hints", "--placeholder", "EXIT STATUS", "--lossy"]
    {
        assert!(help.contains(want), "{want} missing from --help");
    }
}

/// Peak resident memory (VmHWM, KiB) of a running child, polled until it exits.
fn run_measuring_memory(mut cmd: Command) -> (std::process::ExitStatus, u64) {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("kakou runs");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(st) = std::fs::read_to_string(&status_file)
            && let Some(kb) = st.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1))
        {
            peak = peak.max(kb.parse().unwrap_or(0));
        }
        if let Some(status) = child.try_wait().expect("wait") {
            return (status, peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A generated note file of `mb` megabytes through the CLI: every identifier is found (also
/// those straddling the 1 MiB blocks and chunks), and memory stays bounded. 100 MB in release
/// (`cargo test --release -p kakou-cli --test text`); 3 MB in debug builds, where the same
/// paths run but a hundred megabytes would take too long.
#[test]
fn large_text_streams_in_bounded_memory() {
    let mb: usize = if cfg!(debug_assertions) { 3 } else { 100 };
    let tmp = tempfile::tempdir().expect("tmp");
    let input = tmp.path().join("big.txt");
    let mut lines = 0usize;
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&input).expect("create"));
        let mut written = 0usize;
        while written < mb * 1_000_000 {
            // Varied line lengths, so identifiers land across every block boundary.
            let pad = "経過良好。".repeat(lines % 7);
            let line = format!(
                "{lines}: 患者 山田 花子様 TEL 03-{:04}-{:04} {pad}受診日 2024年3月5日\n",
                lines % 10_000,
                (lines * 7) % 10_000
            );
            f.write_all(line.as_bytes()).expect("write");
            written += line.len();
            lines += 1;
        }
    }
    let out = tmp.path().join("out");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kakou"));
    cmd.args(["text", s(&input), s(&out), "-q"]);
    let started = std::time::Instant::now();
    let (status, peak_kib) = run_measuring_memory(cmd);
    let secs = started.elapsed().as_secs_f64();
    assert!(status.success());
    let text = read(&out.join("release/big.txt"));
    assert_eq!(text.lines().count(), lines);
    assert_eq!(text.matches("[電話番号]").count(), lines, "every phone number, across every boundary");
    assert_eq!(text.matches("[氏名]様").count(), lines);
    assert_eq!(text.matches("[日付]").count(), lines);
    assert!(!text.contains("03-") && !text.contains("山田"));
    eprintln!("{mb} MB in {secs:.1} s ({:.1} MB/s), peak memory {} MiB", mb as f64 / secs, peak_kib / 1024);
    assert!(peak_kib < 120 * 1024, "peak memory {} MiB: not bounded", peak_kib / 1024);
}
