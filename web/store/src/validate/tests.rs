use std::io::{Cursor, Write};

use dicom_core::{DataElement, PrimitiveValue};
use dicom_object::FileMetaTableBuilder;
use kakou_sdk::package::{PackageCounts, PackageFile};

use super::*;

pub(crate) const ORG: i64 = 7;

/// A package ZIP of `files` with a correct manifest for `org`; `tweak` may alter the manifest.
pub(crate) fn build_package(
    org: i64,
    policy: &str,
    files: &[(&str, PackageFileKind, Vec<u8>)],
    tweak: impl FnOnce(&mut PackageManifest),
) -> Vec<u8> {
    let mut manifest = PackageManifest {
        format: MANIFEST_FORMAT,
        kakou_version: "0.1.0".into(),
        org_id: org,
        created: "2026-01-01T00:00:00Z".into(),
        policy: policy.into(),
        surrogates: false,
        items: vec!["notes".into()],
        counts: PackageCounts {
            files: files.len() as u64,
            records: files.len() as u64,
            excluded_opt_out: 1,
            quarantined: 0,
        },
        files: files
            .iter()
            .map(|(path, kind, bytes)| PackageFile {
                path: path.to_string(),
                sha256: crate::hex(&Sha256::digest(bytes)),
                size: bytes.len() as u64,
                kind: *kind,
            })
            .collect(),
        linkage_tokens: None,
    };
    tweak(&mut manifest);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file(MANIFEST_NAME, opts).unwrap();
    zip.write_all(&serde_json::to_vec(&manifest).unwrap()).unwrap();
    for (path, _, bytes) in files {
        zip.start_file(*path, opts).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn check(zip: Vec<u8>) -> ValidationReport {
    validate_package(Cursor::new(zip), ORG, &ValidationLimits::default())
}

fn kinds(r: &ValidationReport) -> Vec<String> {
    r.problems.iter().map(|p| p.to_string()).collect()
}

/// The 300 synthetic notes of ../shared/data/text-dev (Japanese and English, with PHI).
fn notes() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/text-dev/notes.jsonl");
    let text = std::fs::read_to_string(path).expect("../shared/data/text-dev/notes.jsonl");
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn notes_redacted_by_the_sdk_pass_and_raw_notes_fail() {
    let notes = notes();
    let redactor = Redactor::builder().policy(Policy::Pseudonymized).build().unwrap();
    let (mut raw_flagged, mut clean_flagged) = (0, 0);
    let mut examples = Vec::new();
    for (i, note) in notes.iter().enumerate() {
        let raw = check(build_package(
            ORG,
            "jp-pseudonymized",
            &[("notes/n.txt", PackageFileKind::Text, note.as_bytes().to_vec())],
            |_| {},
        ));
        raw_flagged += usize::from(!raw.accepted());
        let redacted = redactor.redact(note).text;
        let clean = check(build_package(
            ORG,
            "jp-pseudonymized",
            &[("notes/n.txt", PackageFileKind::Text, redacted.clone().into_bytes())],
            |_| {},
        ));
        if !clean.accepted() {
            clean_flagged += 1;
            examples.push(format!("note {i}: {:?} {:?}", kinds(&clean), redacted.lines().nth(14)));
        }
    }
    eprintln!("notes: raw rejected {raw_flagged}/{}, redacted rejected {clean_flagged}/{}", notes.len(), notes.len());
    assert!(raw_flagged * 100 >= notes.len() * 95, "raw notes rejected: {raw_flagged}/{}", notes.len());
    assert_eq!(clean_flagged, 0, "{examples:#?}");
}

#[test]
fn structure_problems_are_each_named_with_their_file() {
    let ok = ("a.txt", PackageFileKind::Text, b"no identifiers here".to_vec());
    assert!(check(build_package(ORG, "jp-pseudonymized", std::slice::from_ref(&ok), |_| {})).accepted());

    let r = check(build_package(ORG + 1, "jp-pseudonymized", std::slice::from_ref(&ok), |_| {}));
    assert!(matches!(r.problems[0].kind, ProblemKind::WrongOrg { manifest: 8, uploader: 7 }), "{:?}", kinds(&r));

    let r = check(build_package(ORG, "jp-pseudonymized", std::slice::from_ref(&ok), |m| {
        m.files[0].sha256 = "0".repeat(64);
        m.files.push(PackageFile {
            path: "gone.csv".into(),
            sha256: "1".repeat(64),
            size: 1,
            kind: PackageFileKind::Csv,
        });
        m.counts.files = 2;
    }));
    let k = kinds(&r);
    assert!(k.iter().any(|p| p.starts_with("a.txt: SHA-256 is")), "{k:?}");
    assert!(k.iter().any(|p| p == "gone.csv: listed in the manifest but not in the ZIP"), "{k:?}");

    let r = check(build_package(
        ORG,
        "jp-pseudonymized",
        &[ok.clone(), ("extra.bin", PackageFileKind::Text, vec![1])],
        |m| {
            m.files.pop();
        },
    ));
    let k = kinds(&r);
    assert!(k.contains(&"extra.bin: in the ZIP but not listed in the manifest".to_string()), "{k:?}");
    assert!(k.iter().any(|p| p.contains("manifest counts 2 files, lists 1")), "{k:?}");

    let r = check(b"PK not really a zip".to_vec());
    assert!(matches!(r.problems[0].kind, ProblemKind::NotZip { .. }));
    let r = check(build_package(ORG, "no-such-policy", std::slice::from_ref(&ok), |_| {}));
    assert!(matches!(r.problems[0].kind, ProblemKind::BadManifest { .. }), "{:?}", kinds(&r));
}

#[test]
fn unsafe_paths_are_refused() {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("../escape.txt", opts).unwrap();
    zip.write_all(b"x").unwrap();
    let r = check(zip.finish().unwrap().into_inner());
    assert!(
        r.problems.iter().any(|p| p.file == "../escape.txt" && p.kind == ProblemKind::UnsafePath),
        "{:?}",
        kinds(&r)
    );
    assert!(r.problems.iter().any(|p| p.kind == ProblemKind::NoManifest));
}

/// A small CT-like DICOM file with a patient's identity, generated here.
pub(crate) fn raw_dicom() -> Vec<u8> {
    let el = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
    let obj = InMemDicomObject::from_element_iter([
        el(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.7"),
        el(tags::SOP_INSTANCE_UID, VR::UI, "2.25.1234567890.1"),
        el(tags::STUDY_INSTANCE_UID, VR::UI, "2.25.1234567890.2"),
        el(tags::SERIES_INSTANCE_UID, VR::UI, "2.25.1234567890.3"),
        el(tags::MODALITY, VR::CS, "OT"),
        el(tags::PATIENT_NAME, VR::PN, "Yamada^Taro"),
        el(tags::PATIENT_ID, VR::LO, "P-0001"),
        el(tags::PATIENT_BIRTH_DATE, VR::DA, "19600101"),
        el(tags::STUDY_DATE, VR::DA, "20240305"),
        el(tags::IMAGE_COMMENTS, VR::LT, "Call Mr. Yamada at 03-1234-5678 or taro.yamada@example.jp"),
    ]);
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax("1.2.840.10008.1.2.1")
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.7")
        .media_storage_sop_instance_uid("2.25.1234567890.1");
    let file = obj.with_meta(meta).unwrap();
    let mut out = Vec::new();
    file.write_all(&mut out).unwrap();
    out
}

pub(crate) fn deidentified(bytes: &[u8]) -> Vec<u8> {
    let key = kakou_sdk::ProjectKey::from_bytes([7; 32]);
    let deid =
        kakou_dicom::Deidentifier::new(key, kakou_dicom::Policy::preset(kakou_dicom::Preset::JpPseudonymized)).unwrap();
    deid.deidentify("x.dcm", bytes).unwrap().bytes
}

#[test]
fn dicom_needs_the_markers_and_clean_free_text() {
    let raw = raw_dicom();
    let r =
        check(build_package(ORG, "jp-pseudonymized", &[("img/1.dcm", PackageFileKind::Dicom, raw.clone())], |_| {}));
    let k = kinds(&r);
    assert!(k.iter().any(|p| p.contains("PatientIdentityRemoved")), "{k:?}");
    assert!(k.iter().any(|p| p.contains("DeidentificationMethod")), "{k:?}");
    assert!(k.iter().any(|p| p.contains("Phone") && p.contains("(0020,4000)")), "{k:?}");

    let clean = deidentified(&raw);
    let r = check(build_package(ORG, "jp-pseudonymized", &[("img/1.dcm", PackageFileKind::Dicom, clean)], |_| {}));
    assert!(r.accepted(), "{:?}", kinds(&r));

    let r = check(build_package(
        ORG,
        "jp-pseudonymized",
        &[("img/2.dcm", PackageFileKind::Dicom, b"not dicom".to_vec())],
        |_| {},
    ));
    assert!(matches!(r.problems[0].kind, ProblemKind::Dicom { .. }), "{:?}", kinds(&r));
}

/// No PatientName and no PatientID, and the markers set.
fn already_anonymous(bytes: &[u8]) -> bool {
    let start = if bytes.get(128..132) == Some(b"DICM") { 128 } else { 0 };
    let Ok(obj) = OpenFileOptions::new()
        .read_preamble(ReadPreamble::Never)
        .read_until(tags::PIXEL_DATA)
        .from_reader(&bytes[start..])
    else {
        return false;
    };
    let empty = |tag| obj.element(tag).ok().and_then(|e| e.to_str().ok()).is_none_or(|v| v.trim().is_empty());
    empty(tags::PATIENT_NAME) && empty(tags::PATIENT_ID)
}

/// Real files of the DICOM corpus (scripts/setup.sh builds it): each one de-identified by
/// kakou-dicom must pass, each original with an identity must fail. Skipped when the corpus is
/// absent. `KAKOU_STORE_CORPUS_FILES` sets how many manifest lines to try (default 80).
#[test]
fn corpus_files_pass_after_deidentification_and_fail_before() {
    let corpus = std::env::var("KAKOU_CORPUS").map(std::path::PathBuf::from).unwrap_or_else(|_| {
        std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/kakou/corpus")
    });
    let Ok(list) = std::fs::read_to_string(corpus.join("manifest.tsv")) else {
        eprintln!("no DICOM corpus at {}: skipped", corpus.display());
        return;
    };
    let key = kakou_sdk::ProjectKey::from_bytes([7; 32]);
    let deid =
        kakou_dicom::Deidentifier::new(key, kakou_dicom::Policy::preset(kakou_dicom::Preset::JpPseudonymized)).unwrap();
    let (mut passed, mut raw_failed, mut tried) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut raw_accepted = Vec::new();
    for line in list
        .lines()
        .skip(1)
        .take(std::env::var("KAKOU_STORE_CORPUS_FILES").ok().and_then(|n| n.parse().ok()).unwrap_or(80))
    {
        let path = line.split('\t').next().unwrap();
        let Ok(bytes) = std::fs::read(corpus.join(path)) else { continue };
        let Ok(out) = deid.deidentify(path, &bytes) else { continue }; // quarantined by the SDK
        tried += 1;
        let r = check(build_package(ORG, "jp-pseudonymized", &[("f.dcm", PackageFileKind::Dicom, out.bytes)], |_| {}));
        if r.accepted() {
            passed += 1;
        } else {
            failures.push(format!("{path}: {:?}", kinds(&r)));
        }
        let r =
            check(build_package(ORG, "jp-pseudonymized", &[("f.dcm", PackageFileKind::Dicom, bytes.clone())], |_| {}));
        raw_failed += usize::from(!r.accepted());
        if r.accepted() && !already_anonymous(&bytes) {
            raw_accepted.push(path.to_string());
        }
    }
    eprintln!("corpus: {passed}/{tried} de-identified accepted, {raw_failed}/{tried} originals rejected");
    assert!(tried > 20);
    assert_eq!(passed, tried, "{failures:#?}");
    // an original may pass only when its publisher already removed the identity (the emri_small
    // family of pydicom-data: empty name and ID, markers set)
    assert!(raw_accepted.is_empty(), "originals with an identity accepted: {raw_accepted:#?}");
    assert!(raw_failed * 10 >= tried * 9, "{raw_failed}/{tried}");
}

/// The synthetic hospital and municipality exports of ../shared/data/linkage-dev (names, kana,
/// birth dates, addresses, insurance numbers): rejected raw, accepted after the SDK's records
/// pseudonymization with its default (仮名加工) policy.
#[test]
fn records_pseudonymized_by_the_sdk_pass_and_raw_exports_fail() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/linkage-dev");
    let key = kakou_sdk::ProjectKey::from_bytes([7; 32]);
    let policy = kakou_sdk::records::policy::Policy::default();
    for name in ["hosp_a.csv", "hosp_b.csv", "muni_c.csv"] {
        let raw = std::fs::read(format!("{dir}/{name}")).unwrap();
        let r = check(build_package(ORG, "jp-pseudonymized", &[(name, PackageFileKind::Csv, raw.clone())], |_| {}));
        assert!(!r.accepted(), "{name} raw accepted");
        let (out, _) = kakou_sdk::records::pseudonymize_csv(&key, &policy, name, &raw, false).unwrap();
        let r = check(build_package(ORG, "jp-pseudonymized", &[(name, PackageFileKind::Csv, out.clone())], |_| {}));
        let k = kinds(&r);
        let first_lines: Vec<&str> = std::str::from_utf8(&out).unwrap_or("").lines().take(3).collect();
        assert!(r.accepted(), "{name}: {} problems, first {:?}\n{first_lines:#?}", k.len(), &k[..k.len().min(8)]);
    }
}
