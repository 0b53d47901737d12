//! The package builder: one call per picked file, one package at the end.
//!
//! Plain Rust with no JS types, so the rules are unit-tested natively and the browser runs the
//! very same code. Every file ends in exactly one [`Status`]; nothing is dropped silently.

use std::collections::BTreeSet;

use kakou_dicom::{Deidentifier, PolicyRequest};
use kakou_sdk::records::{self, TableEvent, TableReader};
use kakou_sdk::report::Outcome;
use kakou_sdk::text::{Policy as TextPolicy, Redactor};
use kakou_sdk::{ProjectKey, Purpose, pseudonym::Pseudonymizer};

use kakou_sdk::linkage::LinkageKey;

use super::files::{FileKind, sniff};
use super::roster::roster_tokens;
use kakou_sdk::package::{MANIFEST_FORMAT, PackageCounts, PackageFile, PackageFileKind, PackageManifest};

use super::manifest::{Counts, sha256_hex};
use super::zip_out::{ZipError, write_zip};
use super::{PackageError, PackageOptions};

/// What happened to one picked file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// De-identified and in the package.
    Included,
    /// Left out: the patient is in the opt-out registry (オプトアウト).
    Excluded,
    /// Left out: needs a person to review it first (e.g. burned-in text risk).
    Quarantined,
    /// Left out: not a format Kakou processes.
    Skipped,
    /// Left out: the file could not be processed (the reason says why).
    Failed,
}

/// The outcome of one file, for the preview and the processing report.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileOutcome {
    pub name: String,
    pub kind: FileKind,
    pub status: Status,
    pub reason: Option<String>,
    /// The path inside the package, when included.
    pub output: Option<String>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Rows left out of a table because their patient opted out.
    pub rows_excluded: u64,
    /// Identifiers replaced in the file (text spans, record values, DICOM attributes).
    pub replaced: u64,
    /// A short before/after excerpt of text-like files, for the person checking the preview.
    /// Never sent anywhere: the preview stays in the browser.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<Preview>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Preview {
    pub before: String,
    pub after: String,
}

/// Builds one provision package from many files.
pub struct PackageBuilder {
    options: PackageOptions,
    key: ProjectKey,
    dicom: Deidentifier,
    text: Redactor,
    records_policy: records::Policy,
    patients: Pseudonymizer,
    linkage_key: Option<LinkageKey>,
    opt_out: BTreeSet<String>,
    entries: Vec<(String, Vec<u8>)>,
    /// Per entry: its kind and how many records (instances, rows, messages, notes) it holds.
    entry_facts: Vec<(FileKind, u64)>,
    outcomes: Vec<FileOutcome>,
}

const PREVIEW_CHARS: usize = 400;

impl PackageBuilder {
    pub fn new(options: PackageOptions) -> Result<Self, PackageError> {
        let key = ProjectKey::from_hex(&options.key).map_err(|e| PackageError::Key(e.to_string()))?;
        let request = PolicyRequest { preset: options.preset.clone(), ..PolicyRequest::default() };
        let policy = request.build().map_err(|e| PackageError::Policy(e.to_string()))?;
        let dicom = Deidentifier::new(key.clone(), policy).map_err(|e| PackageError::Policy(e.to_string()))?;
        let text_policy = text_policy_for(options.preset.as_deref());
        let text = Redactor::builder()
            .policy(text_policy)
            .key(&key)
            .build()
            .map_err(|e| PackageError::Policy(e.to_string()))?;
        let records_policy = options.records_policy.clone().unwrap_or_default();
        records_policy.validate().map_err(|e| PackageError::Policy(e.to_string()))?;
        let patients = Pseudonymizer::new(&key, Purpose::PatientPseudonym);
        let linkage_key = match options.linkage_key.as_deref() {
            Some(k) => Some(LinkageKey::from_hex(k).map_err(|e| PackageError::Key(format!("linkage key: {e}")))?),
            None => None,
        };
        let opt_out = options.opt_out.iter().map(|s| s.trim().to_string()).collect();
        Ok(PackageBuilder {
            options,
            key,
            dicom,
            text,
            records_policy,
            patients,
            linkage_key,
            opt_out,
            entries: Vec::new(),
            entry_facts: Vec::new(),
            outcomes: Vec::new(),
        })
    }

    /// The pseudonym the registry stores for a local patient ID (what DICOM and records write).
    pub fn patient_pseudonym(&self, local_id: &str) -> String {
        records::values::patient_pseudonym(&self.patients, &self.records_policy.issuer, local_id.trim())
    }

    /// Processes one file; `name` is its path relative to the picked folder.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> FileOutcome {
        let kind = sniff(name, bytes);
        let mut outcome = FileOutcome {
            name: name.to_string(),
            kind,
            status: Status::Included,
            reason: None,
            output: None,
            bytes_in: bytes.len() as u64,
            bytes_out: 0,
            rows_excluded: 0,
            replaced: 0,
            preview: None,
        };
        let result = match kind {
            FileKind::Dicom => self.add_dicom(name, bytes, &mut outcome),
            FileKind::Table => self.add_table(name, bytes, &mut outcome),
            FileKind::Fhir => self.add_message(name, bytes, &mut outcome, MessageKind::Fhir),
            FileKind::Hl7 => self.add_message(name, bytes, &mut outcome, MessageKind::Hl7),
            FileKind::Text => self.add_text(name, bytes, &mut outcome),
            FileKind::LinkageRoster => self.add_roster(bytes, &mut outcome),
            FileKind::Other => Err(Left::Skipped("not DICOM, CSV/TSV, FHIR JSON, HL7 v2 or text".into())),
        };
        match result {
            Ok(bytes_out) => {
                let suffix = if kind == FileKind::LinkageRoster { ".tokens.csv" } else { "" };
                let path = format!("{}/{}{suffix}", kind.folder(), safe_path(name));
                outcome.output = Some(path.clone());
                outcome.bytes_out = bytes_out.len() as u64;
                let records = match kind {
                    FileKind::Table | FileKind::LinkageRoster => data_lines(&bytes_out),
                    _ => 1,
                };
                self.entry_facts.push((kind, records));
                self.entries.push((path, bytes_out));
            }
            Err(left) => left.apply(&mut outcome),
        }
        self.outcomes.push(outcome.clone());
        outcome
    }

    /// A linkage register becomes keyed token rows; the register itself is never packaged.
    fn add_roster(&mut self, bytes: &[u8], out: &mut FileOutcome) -> Result<Vec<u8>, Left> {
        let Some(key) = &self.linkage_key else {
            return Err(Left::Skipped("a linkage register, and no linkage key is imported in this browser".into()));
        };
        let tokens = roster_tokens(bytes, key, &self.options.organisation);
        out.replaced = tokens.rows;
        out.rows_excluded = tokens.skipped;
        Ok(tokens.csv)
    }

    fn add_dicom(&mut self, name: &str, bytes: &[u8], out: &mut FileOutcome) -> Result<Vec<u8>, Left> {
        let processed = self.dicom.deidentify(name, bytes).map_err(|e| Left::Failed(e.to_string()))?;
        let report = &processed.report;
        out.replaced = report.actions.len() as u64;
        if self.opt_out.contains(&report.patient_pseudonym) {
            return Err(Left::Excluded("the patient is in the opt-out registry".into()));
        }
        match report.outcome {
            Outcome::Quarantined => {
                let why = report.quarantine.as_ref().map(|n| n.message.clone()).unwrap_or_default();
                Err(Left::Quarantined(why))
            }
            Outcome::Skipped | Outcome::Failed => Err(Left::Failed("not de-identified".into())),
            _ => Ok(processed.bytes),
        }
    }

    fn add_table(&mut self, name: &str, bytes: &[u8], out: &mut FileOutcome) -> Result<Vec<u8>, Left> {
        let is_opted_out = |cell: &str| self.opt_out.contains(&self.patient_pseudonym(cell));
        let (input, excluded, bad) =
            drop_opted_out_rows(bytes, self.records_policy.encoding, !self.opt_out.is_empty(), is_opted_out);
        out.rows_excluded = excluded;
        if bad > 0 {
            out.reason = Some(format!("{bad} unreadable rows left out (wrong field count or encoding)"));
        }
        let input = input.as_deref().unwrap_or(bytes);
        let (csv, output) = records::pseudonymize_csv(&self.key, &self.records_policy, name, input, false)
            .map_err(|e| Left::Failed(e.to_string()))?;
        out.replaced = output.report.columns.iter().map(|c| c.values + c.text_replacements).sum();
        out.preview = Some(preview(bytes, &csv));
        Ok(csv)
    }

    fn add_message(
        &mut self,
        name: &str,
        bytes: &[u8],
        out: &mut FileOutcome,
        kind: MessageKind,
    ) -> Result<Vec<u8>, Left> {
        let mut keyed = records::values::Keyed::new(&self.key, &self.records_policy.issuer, false);
        let result = match kind {
            MessageKind::Fhir => records::fhir::pseudonymize_fhir(&mut keyed, &self.records_policy, name, bytes),
            MessageKind::Hl7 => records::hl7::pseudonymize_message(&mut keyed, &self.records_policy, name, bytes),
        };
        let (bytes_out, output) = result.map_err(|e| Left::Failed(e.to_string()))?;
        out.replaced = output.report.columns.iter().map(|c| c.values + c.text_replacements).sum();
        let text = String::from_utf8_lossy(&bytes_out);
        if self.opt_out.iter().any(|p| text.contains(p.as_str())) {
            return Err(Left::Excluded("a patient in the message is in the opt-out registry".into()));
        }
        Ok(bytes_out)
    }

    fn add_text(&mut self, name: &str, bytes: &[u8], out: &mut FileOutcome) -> Result<Vec<u8>, Left> {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| Left::Failed(format!("not valid UTF-8 at byte {}", e.valid_up_to())))?;
        if self.path_names_opted_out_patient(name) {
            return Err(Left::Excluded("the file's folder or name is an opted-out patient's ID".into()));
        }
        let redaction = self.text.redact(text);
        out.replaced = redaction.spans.len() as u64;
        out.preview = Some(preview(bytes, redaction.text.as_bytes()));
        Ok(redaction.text.into_bytes())
    }

    /// Notes carry no patient field; hospitals export them per patient folder or with the
    /// patient ID leading the file name (`12345_2024-01-02.txt`), so those are checked.
    fn path_names_opted_out_patient(&self, name: &str) -> bool {
        if self.opt_out.is_empty() {
            return false;
        }
        let candidates = name.split(['/', '\\']).flat_map(|part| {
            let stem = part.rsplit_once('.').map_or(part, |(s, _)| s);
            [part, stem, stem.split(['_', '-', ' ']).next().unwrap_or(stem)]
        });
        candidates.filter(|c| !c.is_empty()).any(|c| self.opt_out.contains(&self.patient_pseudonym(c)))
    }

    /// Every outcome so far, in the order the files were added.
    pub fn outcomes(&self) -> &[FileOutcome] {
        &self.outcomes
    }

    /// The counts the manifest and the provision record carry.
    pub fn counts(&self) -> Counts {
        let n = |s: Status| self.outcomes.iter().filter(|o| o.status == s).count() as u64;
        Counts {
            files: n(Status::Included),
            excluded_opt_out: n(Status::Excluded),
            rows_excluded_opt_out: self.outcomes.iter().map(|o| o.rows_excluded).sum(),
            quarantined: n(Status::Quarantined),
            skipped: n(Status::Skipped),
            failed: n(Status::Failed),
        }
    }

    /// The package (a ZIP with `manifest.json` first) and its manifest.
    pub fn finish(self, created: &str) -> Result<(Vec<u8>, PackageManifest), PackageError> {
        let manifest = self.manifest(created);
        let json = serde_json::to_vec_pretty(&manifest).map_err(|e| PackageError::Zip(ZipError(e.to_string())))?;
        let zip = write_zip(&json, &self.entries).map_err(PackageError::Zip)?;
        Ok((zip, manifest))
    }

    fn manifest(&self, created: &str) -> PackageManifest {
        let counts = self.counts();
        let files: Vec<PackageFile> = self
            .entries
            .iter()
            .zip(&self.entry_facts)
            .map(|((path, bytes), (kind, _))| PackageFile {
                path: path.clone(),
                sha256: sha256_hex(bytes),
                size: bytes.len() as u64,
                kind: manifest_kind(*kind),
            })
            .collect();
        let mut items: Vec<String> = self.entry_facts.iter().map(|(k, _)| item_name(*k).to_string()).collect();
        items.sort();
        items.dedup();
        let linkage_tokens = files.iter().find(|f| f.kind == PackageFileKind::LinkageTokens).map(|f| f.path.clone());
        PackageManifest {
            format: MANIFEST_FORMAT,
            kakou_version: env!("CARGO_PKG_VERSION").to_string(),
            org_id: self.options.org_id,
            created: created.to_string(),
            // The server re-scans text under this name; `basic` removes as much as redact-all.
            policy: match self.dicom.policy().preset.name() {
                "basic" => "redact-all".to_string(),
                other => other.to_string(),
            },
            surrogates: false,
            items,
            counts: PackageCounts {
                files: files.len() as u64,
                records: self.entry_facts.iter().map(|(_, n)| n).sum(),
                excluded_opt_out: counts.excluded_opt_out + counts.rows_excluded_opt_out,
                quarantined: counts.quarantined,
            },
            files,
            linkage_tokens,
        }
    }
}

/// Data lines of a CSV the SDK wrote (header excluded; quoted line breaks are rare in its output
/// and only make the count larger, never hide data).
fn data_lines(csv: &[u8]) -> u64 {
    csv.split(|&b| b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count().saturating_sub(1) as u64
}

fn manifest_kind(kind: FileKind) -> PackageFileKind {
    match kind {
        FileKind::Dicom => PackageFileKind::Dicom,
        FileKind::Table | FileKind::Hl7 => PackageFileKind::Csv,
        FileKind::Fhir => PackageFileKind::Fhir,
        FileKind::LinkageRoster => PackageFileKind::LinkageTokens,
        FileKind::Text | FileKind::Other => PackageFileKind::Text,
    }
}

/// The provision record's data categories.
fn item_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Dicom => "dicom",
        FileKind::Table => "records",
        FileKind::Fhir => "fhir",
        FileKind::Hl7 => "ss-mix2",
        FileKind::Text => "notes",
        FileKind::LinkageRoster => "linkage-tokens",
        FileKind::Other => "other",
    }
}

enum MessageKind {
    Fhir,
    Hl7,
}

/// Why a file is left out of the package.
enum Left {
    Excluded(String),
    Quarantined(String),
    Skipped(String),
    Failed(String),
}

impl Left {
    fn apply(self, out: &mut FileOutcome) {
        let (status, reason) = match self {
            Left::Excluded(r) => (Status::Excluded, r),
            Left::Quarantined(r) => (Status::Quarantined, r),
            Left::Skipped(r) => (Status::Skipped, r),
            Left::Failed(r) => (Status::Failed, r),
        };
        out.status = status;
        out.reason = Some(reason);
        out.preview = None;
    }
}

/// Text notes follow the DICOM preset: 匿名加工 shifts dates and top-codes ages, 仮名加工 keeps
/// them, and the default (basic, the most removing) removes them.
fn text_policy_for(preset: Option<&str>) -> TextPolicy {
    match preset {
        Some("jp-anonymized") => TextPolicy::Anonymized,
        Some("jp-pseudonymized") => TextPolicy::Pseudonymized,
        _ => TextPolicy::RedactAll,
    }
}

/// Rows whose patient opted out are dropped *before* anything else reads the table: a row goes
/// when any of its short cells, read as a local patient ID, has an opted-out pseudonym. No
/// column mapping is needed, so a table whose ID column the policy does not name is still
/// filtered (pseudonyms are keyed 16-character values: no other cell matches one by chance).
/// `None`: nothing to filter, use the input as it is. The filtered table is UTF-8.
fn drop_opted_out_rows(
    input: &[u8],
    encoding: records::EncodingChoice,
    any_opted_out: bool,
    is_opted_out: impl Fn(&str) -> bool,
) -> (Option<Vec<u8>>, u64, u64) {
    if !any_opted_out {
        return (None, 0, 0);
    }
    let mut reader = TableReader::new(encoding, None);
    let mut out = Vec::with_capacity(input.len());
    let (mut excluded, mut bad) = (0, 0);
    let mut delimiter = b',';
    let write_row = |out: &mut Vec<u8>, fields: &[&str], d: u8| {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(d);
            }
            records::table_reader::write_field(out, f, d);
        }
        out.extend_from_slice(b"\r\n");
    };
    let mut on = |event: TableEvent<'_>| match event {
        TableEvent::Header { fields, delimiter: d } => {
            delimiter = d;
            write_row(&mut out, fields, d);
        }
        TableEvent::Row { fields, .. } => {
            if fields.iter().any(|f| f.trim().len() <= 64 && !f.trim().is_empty() && is_opted_out(f)) {
                excluded += 1;
            } else {
                write_row(&mut out, fields, delimiter);
            }
        }
        // Never released; counted and named in the file's outcome.
        TableEvent::Bad { .. } => bad += 1,
    };
    reader.push(input, &mut on);
    reader.finish(&mut on);
    (Some(out), excluded, bad)
}

fn preview(before: &[u8], after: &[u8]) -> Preview {
    let cut = |b: &[u8]| String::from_utf8_lossy(b).chars().take(PREVIEW_CHARS).collect::<String>();
    Preview { before: cut(before), after: cut(after) }
}

/// A package path from a picked file's relative path: forward slashes, no `..`, no absolute
/// root, no drive letters — a ZIP entry can never point outside its folder when unpacked.
pub fn safe_path(name: &str) -> String {
    let parts: Vec<&str> =
        name.split(['/', '\\']).filter(|p| !p.is_empty() && *p != "." && *p != ".." && !p.ends_with(':')).collect();
    if parts.is_empty() { "unnamed".to_string() } else { parts.join("/") }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use dicom_dictionary_std::tags;

    use super::*;

    const KEY: &str = "0101010101010101010101010101010101010101010101010101010101010101";

    fn sample(path: &str) -> Vec<u8> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/sample-dicom");
        std::fs::read(root.join(path)).unwrap()
    }

    fn patient_id(bytes: &[u8]) -> String {
        let obj = dicom_object::from_reader(&bytes[128..]).unwrap();
        obj.element(tags::PATIENT_ID).unwrap().to_str().unwrap().trim().to_string()
    }

    fn builder(opt_out: Vec<String>) -> PackageBuilder {
        let options = PackageOptions {
            key: KEY.into(),
            preset: Some("jp-pseudonymized".into()),
            organisation: "hosp-a".into(),
            org_id: 3,
            opt_out,
            ..PackageOptions::default()
        };
        PackageBuilder::new(options).unwrap()
    }

    fn pseudonym_of(id: &str) -> String {
        builder(vec![]).patient_pseudonym(id)
    }

    const TABLE: &str = "patient_id,name,birth_date,hba1c\n\
                         P001,山田 太郎,1960-02-03,6.1\n\
                         P002,佐藤 花子,1971-12-24,5.4\n\
                         P001,山田 太郎,1960-02-03,6.3\n";

    fn table_policy() -> records::Policy {
        toml_like_policy(&[("patient_id", "patient-id"), ("name", "direct-identifier"), ("birth_date", "birth-date")])
    }

    fn toml_like_policy(roles: &[(&str, &str)]) -> records::Policy {
        let columns: serde_json::Map<String, serde_json::Value> =
            roles.iter().map(|(c, r)| (c.to_string(), serde_json::Value::String(r.to_string()))).collect();
        serde_json::from_value(serde_json::json!({ "columns": columns })).unwrap()
    }

    #[test]
    fn dicom_is_deidentified_and_an_opted_out_patient_left_out() {
        let slice = sample("CT/slice001.dcm");
        let mut open = builder(vec![]);
        let o = open.add("study/CT/slice001.dcm", &slice);
        assert_eq!(o.status, Status::Included, "{o:?}");
        assert_eq!(o.output.as_deref(), Some("dicom/study/CT/slice001.dcm"));
        let id = patient_id(&slice);
        let mut closed = builder(vec![pseudonym_of(&id)]);
        let o = closed.add("slice001.dcm", &slice);
        assert_eq!(o.status, Status::Excluded);
        assert_eq!(closed.counts().excluded_opt_out, 1);
        assert_eq!(closed.counts().files, 0);
    }

    #[test]
    fn table_rows_of_opted_out_patients_are_dropped_and_names_removed() {
        let mut options = builder(vec![pseudonym_of("P001")]).options.clone();
        options.records_policy = Some(table_policy());
        let mut b = PackageBuilder::new(options).unwrap();
        let o = b.add("export/lab.csv", TABLE.as_bytes());
        assert_eq!(o.status, Status::Included, "{o:?}");
        assert_eq!(o.rows_excluded, 2);
        let (zip, _) = b.finish("2026-11-21T00:00:00Z").unwrap();
        let out = entry(&zip, "records/export/lab.csv");
        assert!(!out.contains("P001") && !out.contains("P002"), "{out}");
        assert!(!out.contains("山田") && !out.contains("佐藤"), "{out}");
        assert_eq!(out.lines().count(), 2, "header + the one patient who did not opt out: {out}");
        assert!(out.contains("5.4"), "medical values stay: {out}");
    }

    #[test]
    fn notes_are_redacted_and_a_patient_folder_can_opt_out() {
        let note = "主治医：山田 太郎 先生。TEL 090-1234-5678。HbA1c 6.1%。";
        let mut b = builder(vec![pseudonym_of("12345")]);
        let kept = b.add("notes/67890/2026-01-02.txt", note.as_bytes());
        assert_eq!(kept.status, Status::Included);
        let preview = kept.preview.unwrap();
        assert!(!preview.after.contains("山田") && !preview.after.contains("090-1234-5678"), "{}", preview.after);
        assert!(preview.after.contains("6.1%"));
        assert_eq!(b.add("notes/12345/2026-01-02.txt", note.as_bytes()).status, Status::Excluded);
        assert_eq!(b.add("notes/12345_2026-01-03.txt", note.as_bytes()).status, Status::Excluded);
        let bad = b.add("notes/x.txt", &[0xff, 0xfe, 0x00]);
        assert_eq!(bad.status, Status::Failed);
        assert!(bad.reason.unwrap().contains("UTF-8"));
    }

    #[test]
    fn every_file_gets_one_status_and_the_manifest_hashes_the_zip_entries() {
        let mut b = builder(vec![]);
        b.add("a/slice.dcm", &sample("CT/slice002.dcm"));
        b.add("a/photo.png", b"\x89PNG\r\n\x1a\n");
        b.add("a/reg.csv", "record_id,name,kana,birth_date\n1,山田 太郎,ヤマダ タロウ,1960-02-03\n".as_bytes());
        b.add("../../etc/note.txt", "患者 山田 花子 様".as_bytes());
        let counts = b.counts();
        assert_eq!((counts.files, counts.skipped, counts.failed), (2, 2, 0));
        let (zip, manifest) = b.finish("2026-11-21T00:00:00Z").unwrap();
        assert_eq!(manifest.files.len(), 2);
        assert_eq!(manifest.items, ["dicom", "notes"]);
        assert_eq!((manifest.counts.files, manifest.counts.records), (2, 2));
        assert_eq!(manifest.files[1].path, "notes/etc/note.txt", "no path escapes the package");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&zip)).unwrap();
        assert_eq!(archive.by_index(0).unwrap().name().unwrap(), "manifest.json");
        for f in &manifest.files {
            let mut bytes = Vec::new();
            archive.by_name(&f.path).unwrap().read_to_end(&mut bytes).unwrap();
            assert_eq!((sha256_hex(&bytes), bytes.len() as u64), (f.sha256.clone(), f.size));
        }
        assert!(!entry(&zip, "notes/etc/note.txt").contains("山田"));
    }

    #[test]
    fn a_linkage_register_becomes_tokens_and_never_enters_the_package() {
        let register = "record_id,name,kana,birth_date,sex,ward\nR1,山田 太郎,ヤマダ タロウ,S35.2.3,M,5\n,名無し,,,,\n";
        let mut options = builder(vec![]).options.clone();
        options.linkage_key = Some("02".repeat(32));
        let mut b = PackageBuilder::new(options).unwrap();
        let o = b.add("roster.csv", register.as_bytes());
        assert_eq!((o.status.clone(), o.replaced, o.rows_excluded), (Status::Included, 1, 1), "{o:?}");
        let (zip, _) = b.finish("2026-11-21T00:00:00Z").unwrap();
        let tokens = entry(&zip, "linkage/roster.csv.tokens.csv");
        assert!(tokens.starts_with("source,record_id,key,id1"), "{tokens}");
        assert!(tokens.contains("R1"));
        for raw in ["山田", "ヤマダ", "S35", "1960"] {
            assert!(!tokens.contains(raw), "{raw} in {tokens}");
        }
    }

    #[test]
    fn the_same_inputs_make_the_same_package_bytes() {
        let make = || {
            let mut b = builder(vec![]);
            b.add("n.txt", "患者 内閣 花子 様".as_bytes());
            b.finish("2026-11-21T00:00:00Z").unwrap().0
        };
        assert_eq!(make(), make());
    }

    fn entry(zip: &[u8], path: &str) -> String {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        let mut s = String::new();
        archive.by_name(path).unwrap().read_to_string(&mut s).unwrap();
        s
    }
}
