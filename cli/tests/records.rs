//! `kakou records` end to end: CSV (CP932) with a policy and the sealed mapping, an SS-MIX2
//! storage tree, a FHIR bundle, refusals that protect inputs and mappings, bounded memory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use encoding_rs::{ISO_2022_JP, SHIFT_JIS};

fn kakou(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kakou")).args(args).output().expect("kakou runs")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

fn keyfile(dir: &Path) -> PathBuf {
    let key = dir.join("project.key");
    assert!(kakou(&["keygen", s(&key)]).status.success());
    key
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("readable").filter_map(|e| e.ok()) {
        if e.path().is_dir() {
            out.extend(all_files(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out.sort();
    out
}

const POLICY: &str = r#"
birth_date = "year-month"
address = "prefecture"

[columns]
"患者ID" = "patient-id"
"氏名" = "direct-identifier"
"住所" = "address"
"生年月日" = "birth-date"
"所見" = "free-text"
"保険者番号" = "individual-code"
"#;

#[test]
fn a_cp932_csv_is_pseudonymized_the_mapping_is_sealed_and_reidentification_works() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keyfile(dir.path());
    let table = "患者ID,氏名,住所,生年月日,受診日,病名,所見,保険者番号,電話番号\r\n\
                 A001,髙橋 一郎,神奈川県横浜市中区山下町1-2,1950/03/04,2024/04/01,高血圧症,髙橋さんは安定,06123456,045-000-1111\r\n\
                 A002,鈴木 花子,大阪府大阪市北区梅田1-1,1988/12/31,2024/04/02,喘息,特記なし,06123456,06-0000-2222\r\n\
                 A003,broken\r\n";
    let (sjis, _, _) = SHIFT_JIS.encode(table);
    let input = dir.path().join("export.csv");
    std::fs::write(&input, &sjis).unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, POLICY).unwrap();
    let out = dir.path().join("out");
    let mapping = dir.path().join("secure-mapping.kkm");
    let args = [
        "records",
        "pseudonymize",
        s(&input),
        s(&out),
        "--key",
        s(&key),
        "--policy",
        s(&policy),
        "--mapping",
        s(&mapping),
        "-q",
    ];
    let run = kakou(&args);
    assert_eq!(run.status.code(), Some(2), "a bad row gives exit 2: {}", String::from_utf8_lossy(&run.stderr));
    let csv = std::fs::read_to_string(out.join("release/export.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "患者ID,住所,生年月日,受診日,病名,所見");
    assert!(lines[1].ends_with(",神奈川県,1950-03,2024/04/01,高血圧症,[氏名]さんは安定"), "{}", lines[1]);
    assert_eq!(lines.len(), 3, "the ragged row is not written");
    for gone in ["A001", "髙橋", "一郎", "06123456", "045-000-1111", "横浜"] {
        assert!(!csv.contains(gone), "{gone} in output");
    }
    let report = std::fs::read_to_string(out.join("report.txt")).unwrap();
    assert!(report.contains("line 4: 2 fields where the header has 9"), "{report}");
    assert!(
        report.contains("Shift_JIS")
            || std::fs::read_to_string(out.join("report.jsonl")).unwrap().contains("Shift_JIS")
    );
    assert_eq!(std::fs::read(&input).unwrap(), sjis.to_vec(), "input untouched");
    assert!(!all_files(&out).iter().any(|p| std::fs::read(p).unwrap().windows(4).any(|w| w == b"A001")));

    // Lawful re-identification through the sealed mapping.
    let pseudonym = lines[1].split(',').next().unwrap();
    let re = kakou(&["records", "reidentify", "--key", s(&key), "--mapping", s(&mapping), pseudonym]);
    assert!(re.status.success());
    assert_eq!(String::from_utf8_lossy(&re.stdout).trim(), format!("{pseudonym}\tA001"));
    let other_key = dir.path().join("other.key");
    assert!(kakou(&["keygen", s(&other_key)]).status.success());
    let wrong = kakou(&["records", "reidentify", "--key", s(&other_key), "--mapping", s(&mapping), pseudonym]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("another project key"));

    // Same key, second run: the same pseudonyms. Existing outputs and mappings are refused.
    let out2 = dir.path().join("out2");
    let again =
        kakou(&["records", "pseudonymize", s(&input), s(&out2), "--key", s(&key), "--policy", s(&policy), "-q"]);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(out2.join("release/export.csv")).unwrap(), csv);
    let refused = kakou(&args);
    assert_eq!(refused.status.code(), Some(1), "non-empty OUT");
    let out3 = dir.path().join("out3");
    let inside = out3.join("m.kkm");
    let r = kakou(&["records", "pseudonymize", s(&input), s(&out3), "--key", s(&key), "--mapping", s(&inside)]);
    assert_eq!(r.status.code(), Some(1), "a mapping inside the output is refused");
    let r = kakou(&["records", "pseudonymize", s(&input), s(&out3), "--key", s(&key), "--mapping", s(&mapping)]);
    assert_eq!(r.status.code(), Some(1), "an existing mapping is never overwritten");
}

fn hl7_file(root: &Path, id: &str, date: &str, data_type: &str, order: &str, body: &str) {
    let padded = format!("{id:0>6}");
    let dir = root.join(&padded[..3]).join(&padded[3..6]).join(id).join(date).join(data_type);
    std::fs::create_dir_all(&dir).unwrap();
    let name = format!("{id}_{date}_{data_type}_{order}_20240401120000000_01_1");
    let (bytes, _, _) = ISO_2022_JP.encode(body);
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn an_ss_mix2_storage_tree_is_rewritten_under_the_patient_pseudonym() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keyfile(dir.path());
    let root = dir.path().join("ssmix2");
    let msh = "MSH|^~\\&|HIS|H|SS|H|20240401120000||ADT^A08^ADT_A01|M1|P|2.5||||||~ISO IR87||ISO 2022-1994\r";
    let adt = format!(
        "{msh}PID|1||1234567890^^^H^PI||内閣^花子^^^^^L^I||19800101|F|||^^千代田区^東京都^100-0014||^PRN^PH^^^03^1234^5678\r"
    );
    hl7_file(&root, "1234567890", "-", "ADT-00", "-", &adt);
    let omp = format!(
        "{}PID|1||1234567890^^^H^PI||内閣^花子\rORC|NW|ORD0001|||||||20240401|||D01^医師^一郎\rRXE|1^^^20240401|620000001^アムロジピン錠5mg^HOT|1||TAB^錠\r",
        msh.replace("ADT^A08^ADT_A01", "OMP^O09^OMP_O09")
    );
    hl7_file(&root, "1234567890", "20240401", "OMP-01", "ORD0001", &omp);
    hl7_file(&root, "42", "20240402", "OMP-01", "ORD0002", "MSHnot a message");
    std::fs::write(root.join("notes.pdf"), b"%PDF-1.4").unwrap();
    let out = dir.path().join("out");
    let run = kakou(&["records", "pseudonymize", s(&root), s(&out), "--key", s(&key), "-q"]);
    assert_eq!(run.status.code(), Some(2), "one broken message: {}", String::from_utf8_lossy(&run.stdout));
    let files = all_files(&out.join("release"));
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        let rel = f.strip_prefix(out.join("release")).unwrap().to_string_lossy().to_string();
        assert!(!rel.contains("1234567890") && !rel.contains("ORD0001"), "{rel}");
        let bytes = std::fs::read(f).unwrap();
        let (text, _, _) = ISO_2022_JP.decode(&bytes);
        for gone in ["1234567890", "内閣", "花子", "5678", "医師", "ORD0001"] {
            assert!(!text.contains(gone), "{gone} in {rel}: {text}");
        }
        assert!(text.contains("|19800101|F|") || text.contains("アムロジピン錠5mg"), "{text}");
    }
    // Both messages of the patient sit under the same pseudonym folder, and PID-3 agrees.
    let rels: Vec<String> =
        files.iter().map(|f| f.strip_prefix(out.join("release")).unwrap().to_string_lossy().to_string()).collect();
    let pseudonym = rels[0].split('/').nth(2).unwrap().to_string();
    assert!(rels.iter().all(|r| r.split('/').nth(2) == Some(pseudonym.as_str())));
    let adt_file = files.iter().find(|f| f.to_string_lossy().contains("ADT-00")).unwrap();
    let adt_bytes = std::fs::read(adt_file).unwrap();
    let (adt_out, _, _) = ISO_2022_JP.decode(&adt_bytes);
    assert!(adt_out.contains(&format!("PID|1||{pseudonym}^^^H^PI")));
    let report = std::fs::read_to_string(out.join("report.txt")).unwrap();
    assert!(report.contains("not-hl7") || report.contains("not an HL7"), "{report}");
    assert!(report.contains("notes.pdf"), "skipped files are listed: {report}");
}

#[test]
fn a_fhir_bundle_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keyfile(dir.path());
    let input = dir.path().join("bundle.json");
    std::fs::write(
        &input,
        r#"{"resourceType":"Bundle","type":"collection","entry":[
          {"resource":{"resourceType":"Patient","id":"p1","name":[{"family":"山田","given":["太郎"]}],
            "identifier":[{"type":{"coding":[{"code":"MR"}]},"value":"A001"}],"birthDate":"1950-03-04"}},
          {"resource":{"resourceType":"Condition","subject":{"reference":"Patient/p1","display":"山田 太郎"},"code":{"text":"高血圧症"},
            "note":[{"text":"山田太郎さん、降圧薬開始"}]}}]}"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = kakou(&["records", "pseudonymize", s(&input), s(&out), "--key", s(&key), "-q"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(out.join("release/bundle.json")).unwrap();
    assert!(
        !text.contains("山田") && !text.contains("太郎") && !text.contains("A001") && !text.contains("\"p1\""),
        "{text}"
    );
    assert!(text.contains("高血圧症") && text.contains("1950-03-04"));

    // NDJSON (Bulk Data) is streamed line by line; a bad line is reported, the rest written.
    let nd = dir.path().join("Patient.ndjson");
    std::fs::write(
        &nd,
        "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"name\":[{\"text\":\"山田太郎\"}],\"gender\":\"male\"}\n{oops\n{\"resourceType\":\"Patient\",\"id\":\"p2\",\"telecom\":[{\"value\":\"090-1234-5678\"}]}\n",
    )
    .unwrap();
    let out = dir.path().join("out-nd");
    let run = kakou(&["records", "pseudonymize", s(&nd), s(&out), "--key", s(&key), "-q"]);
    assert_eq!(run.status.code(), Some(2));
    let text = std::fs::read_to_string(out.join("release/Patient.ndjson")).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(!text.contains("山田") && !text.contains("090-1234-5678") && text.contains("male"), "{text}");
    assert!(std::fs::read_to_string(out.join("report.txt")).unwrap().contains("line 2"));
}

/// Peak resident memory of a child process, polled from /proc while it runs (Linux).
fn run_measuring_peak_rss(args: &[&str]) -> (std::process::ExitStatus, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kakou"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path)
            && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kb: u64 = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0);
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            return (status, peak_kb);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A CSV larger than the memory bound: the streaming path keeps the peak far below its size.
#[test]
fn a_large_csv_is_streamed_with_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keyfile(dir.path());
    let input = dir.path().join("big.csv");
    let mut text = String::from("患者ID,氏名,生年月日,受診日,検査値,病名\n");
    let rows = 380_000;
    for i in 0..rows {
        text.push_str(&format!(
            "P{:07},患者{i},19{:02}/01/01,2024/04/01,{}.{},高血圧症 経過観察中のため再診予定\n",
            i % 50_000,
            i % 100,
            i % 200,
            i % 10
        ));
    }
    std::fs::write(&input, &text).unwrap();
    let size_mb = text.len() as u64 / 1_000_000;
    let policy = dir.path().join("p.json");
    std::fs::write(&policy, r#"{"columns":{"患者ID":"patient-id"}}"#).unwrap();
    let out = dir.path().join("out");
    let (status, peak_kb) = run_measuring_peak_rss(&[
        "records",
        "pseudonymize",
        s(&input),
        s(&out),
        "--key",
        s(&key),
        "--policy",
        s(&policy),
        "-q",
        "-j",
        "1",
    ]);
    assert!(status.success());
    let output = std::fs::read_to_string(out.join("release/big.csv")).unwrap();
    assert_eq!(output.lines().count(), rows + 1);
    assert!(!output.contains("患者1"), "names removed");
    eprintln!("input {size_mb} MB, peak RSS {} MB", peak_kb / 1024);
    assert!(size_mb >= 36, "{size_mb} MB");
    assert!(peak_kb / 1024 < 32, "peak RSS {} MB for a {size_mb} MB input", peak_kb / 1024);
}
