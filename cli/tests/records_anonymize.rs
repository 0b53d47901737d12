//! `kakou records anonymize` / `kakou records risk` end to end: a CSV and a TOML policy with a
//! hierarchy file beside it, written here.

use std::path::Path;
use std::process::{Command, Output};

fn kakou(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kakou")).args(args).output().expect("kakou runs")
}

fn setup(dir: &Path) {
    let mut csv = String::from("name,age,zone,dx\n");
    for i in 0..40 {
        csv += &format!("Person{i},{},{},{}\n", 20 + i, ["a", "b", "c", "d"][i % 4], ["flu", "cold"][i % 2]);
    }
    csv += "Bad,row\n";
    csv += "Odd,33,zz,flu\n";
    std::fs::write(dir.join("in.csv"), csv).unwrap();
    std::fs::create_dir(dir.join("h")).unwrap();
    std::fs::write(dir.join("h/zone.csv"), "a;ab;*\nb;ab;*\nc;cd;*\nd;cd;*\n").unwrap();
    let policy = r#"
[privacy]
k = 4
suppression_limit = 0.1

[[columns]]
name = "name"
role = "identifier"

[[columns]]
name = "age"
role = "quasi"
hierarchy = { age = { bands = [5, 10, 20] } }

[[columns]]
name = "zone"
role = "quasi"
hierarchy = { file = "h/zone.csv" }

[[columns]]
name = "dx"
role = "sensitive"
l_diversity = { l = 2 }
"#;
    std::fs::write(dir.join("policy.toml"), policy).unwrap();
}

#[test]
fn anonymize_writes_a_k_anonymous_csv_and_reports_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let p = |f: &str| dir.path().join(f).display().to_string();
    let out = kakou(&[
        "records",
        "anonymize",
        &p("in.csv"),
        "--policy",
        &p("policy.toml"),
        "-o",
        &p("out.csv"),
        "--report",
        &p("r.json"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "bad rows → exit 3: {stderr}");
    // Rows are named by their line in the file (the header is line 1), as pseudonymize does.
    assert!(stderr.contains("line 42: 2 fields where the header has 4; the row was dropped"), "{stderr}");
    assert!(stderr.contains("row 43, column 'zone': value not in the hierarchy"), "{stderr}");
    assert!(stderr.contains("risk after"), "{stderr}");
    let released = std::fs::read_to_string(p("out.csv")).unwrap();
    let mut lines = released.lines();
    assert_eq!(lines.next(), Some("age,zone,dx"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 41, "the short row is dropped, the others kept in order");
    assert!(!released.contains("Person") && !released.contains("zz"));
    assert_eq!(rows[40][..2], ["*", "*"], "the row outside the hierarchy is suppressed");
    let mut counts = std::collections::HashMap::<(&str, &str), usize>::new();
    for r in rows.iter().filter(|r| r[0] != "*") {
        *counts.entry((r[0], r[1])).or_default() += 1;
    }
    assert!(counts.values().all(|&c| c >= 4), "{counts:?}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p("r.json")).unwrap()).unwrap();
    assert_eq!(report["issues_total"], 2);
    assert!(report["solution"]["precision"].as_f64().unwrap() > 0.0);
    // Never overwrite.
    let again = kakou(&["records", "anonymize", &p("in.csv"), "--policy", &p("policy.toml"), "-o", &p("out.csv")]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
}

#[test]
fn risk_prints_the_attacker_models_and_json() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let input = dir.path().join("in.csv").display().to_string();
    let out = kakou(&["records", "risk", &input, "--qi", "age,zone"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("sample uniques   41 (100.00%)"), "{stdout}");
    assert!(stdout.contains("prosecutor risk") && stdout.contains("marketer risk"), "{stdout}");
    let json = kakou(&["records", "risk", &input, "--qi", "zone", "--json", "--population", "410"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["classes"], 5);
    assert!((v["journalist"]["highest"].as_f64().unwrap() - 0.1).abs() < 1e-9, "{v}");
}

/// A CP932 (Shift_JIS) export as Japanese hospital systems write it: Japanese column names and
/// values, a TSV header, and a ragged row that must be dropped and named by its line.
fn write_cp932_export(dir: &Path) {
    let mut text = String::from("氏名\t年齢\t病名\n");
    for i in 0..30 {
        text += &format!("患者{i}\t{}\t{}\n", 30 + i, ["高血圧症", "糖尿病", "喘息"][i % 3]);
    }
    text += "髙橋①\t45\n"; // line 32: two fields where the header has three
    text += "山田太郎\t41\t高血圧症\n";
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "the file really is CP932, not UTF-8");
    std::fs::write(dir.join("export.tsv"), &bytes).unwrap();
    let policy = r#"
[privacy]
k = 5
suppression_limit = 0.1

[[columns]]
name = "氏名"
role = "identifier"

[[columns]]
name = "年齢"
role = "quasi"
hierarchy = { age = { bands = [5, 10, 20] } }

[[columns]]
name = "病名"
role = "sensitive"
"#;
    std::fs::write(dir.join("policy.toml"), policy).unwrap();
}

#[test]
fn cp932_exports_are_read_like_pseudonymize_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    write_cp932_export(dir.path());
    let p = |f: &str| dir.path().join(f).display().to_string();
    let out = kakou(&["records", "anonymize", &p("export.tsv"), "--policy", &p("policy.toml"), "-o", &p("out.tsv")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "a ragged row → exit 3: {stderr}");
    assert!(stderr.contains("31 rows, Shift_JIS, delimiter tab"), "{stderr}");
    assert!(stderr.contains("line 32: 2 fields where the header has 3; the row was dropped"), "{stderr}");
    let released = std::fs::read_to_string(p("out.tsv")).expect("the output is UTF-8");
    let mut lines = released.lines();
    assert_eq!(lines.next(), Some("年齢\t病名"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 31, "30 rows and the one after the ragged row; the ragged row dropped");
    assert!(!released.contains("患者") && !released.contains("髙橋") && !released.contains("山田"));
    assert_eq!(rows[30][1], "高血圧症", "Japanese values survive the round trip");
    let mut counts = std::collections::HashMap::<&str, usize>::new();
    for r in rows.iter().filter(|r| r[0] != "*") {
        *counts.entry(r[0]).or_default() += 1;
    }
    assert!(counts.values().all(|&c| c >= 5), "{counts:?}");

    // Forcing the wrong encoding: the Japanese column names cannot be read, so nothing is assessed.
    let wrong = kakou(&["records", "risk", &p("export.tsv"), "--qi", "年齢", "--encoding", "utf-8"]);
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("column '年齢' is not in the table"), "{stderr}");

    // risk with the detected encoding: the Japanese QI column is found, the ragged row listed.
    let risk = kakou(&["records", "risk", &p("export.tsv"), "--qi", "年齢", "--json", "--encoding", "cp932"]);
    let stderr = String::from_utf8_lossy(&risk.stderr);
    assert_eq!(risk.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("line 32: 2 fields where the header has 3"), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&risk.stdout).unwrap();
    assert_eq!((v["records"].as_u64(), v["classes"].as_u64()), (Some(31), Some(30)), "ages 30-59 and 41 again: {v}");
}

#[test]
fn output_encoding_same_writes_cp932_back_and_reports_what_cp932_cannot_hold() {
    let dir = tempfile::tempdir().unwrap();
    write_cp932_export(dir.path());
    let p = |f: &str| dir.path().join(f).display().to_string();
    let run = |out: &str, extra: &[&str]| {
        let (input, policy, out) = (p("export.tsv"), p("policy.toml"), p(out));
        let mut args = vec!["records", "anonymize", &input, "--policy", &policy, "-o", &out];
        args.extend(extra);
        kakou(&args)
    };
    run("utf8.tsv", &[]);
    let same = run("same.tsv", &["--output-encoding", "same"]);
    assert_eq!(same.status.code(), Some(3), "{}", String::from_utf8_lossy(&same.stderr));
    let bytes = std::fs::read(p("same.tsv")).unwrap();
    assert!(std::str::from_utf8(&bytes).is_err(), "a CP932 input is written back in CP932");
    let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!errors);
    assert_eq!(text, std::fs::read_to_string(p("utf8.tsv")).unwrap(), "same content as the UTF-8 release");

    // A UTF-8 input with `same` stays UTF-8; forced CP932 writes 𠮷 (not in CP932) as 〓 and says so.
    let utf8_input = "氏名\t年齢\t病名\n".to_string()
        + &(0..10).map(|i| format!("患者{i}\t{}\t𠮷野病{}\n", 30 + i, i % 3)).collect::<String>();
    std::fs::write(p("utf8-in.tsv"), &utf8_input).unwrap();
    let anon = |out: &str, enc: &str| {
        kakou(&[
            "records",
            "anonymize",
            &p("utf8-in.tsv"),
            "--policy",
            &p("policy.toml"),
            "-o",
            &p(out),
            "--output-encoding",
            enc,
        ])
    };
    let kept = anon("kept.tsv", "same");
    assert_eq!(kept.status.code(), Some(0), "{}", String::from_utf8_lossy(&kept.stderr));
    assert!(std::fs::read_to_string(p("kept.tsv")).unwrap().contains("𠮷野病"));
    let forced = anon("forced.tsv", "cp932");
    let stderr = String::from_utf8_lossy(&forced.stderr);
    assert_eq!(forced.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("row 2, column '病名': 1 character(s) the output encoding cannot write, written as 〓"),
        "{stderr}"
    );
    let forced_bytes = std::fs::read(p("forced.tsv")).unwrap();
    let (text, _, _) = encoding_rs::SHIFT_JIS.decode(&forced_bytes);
    assert!(text.contains("〓野病0") && !text.contains('𠮷'), "{text}");
}
