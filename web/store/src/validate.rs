//! The server's check of an uploaded package, before it is stored.
//!
//! The browser de-identifies; the server does not take its word for it. A package is a ZIP with
//! `manifest.json` ([`kakou_sdk::package`]) and the processed files, and is rejected when:
//! the ZIP or manifest is malformed or names another organisation; a listed file is missing,
//! an entry is not listed, or a hash or size differs; a DICOM file lacks the de-identification
//! markers (PatientIdentityRemoved = YES, DeidentificationMethod), has a PatientName or
//! PatientID that is not a Kakou pseudonym, or fails the bounds pre-scan;
//! or the SDK's text recogniser, re-run with the package's policy, still finds an identifier the
//! policy would have replaced in a text, CSV or FHIR file (or a DICOM free-text element). Every
//! problem is listed with its file; identifier findings carry type, line and rule but never the
//! matched text, so the report itself leaks nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek};

use dicom_core::VR;
use dicom_core::header::Header;
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{InMemDicomObject, OpenFileOptions};
use kakou_sdk::package::{MANIFEST_FORMAT, MANIFEST_NAME, PackageFileKind, PackageManifest};
use kakou_sdk::text::{Action, PhiKind, Policy, Redactor};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Bounds that keep a hostile ZIP from exhausting the server.
#[derive(Debug, Clone)]
pub struct ValidationLimits {
    pub max_entries: usize,
    /// Largest single file (uncompressed) the check reads into memory.
    pub max_file_bytes: u64,
    pub max_manifest_bytes: u64,
    /// Identifier findings reported per file (the rest are counted).
    pub max_findings_per_file: usize,
}

impl Default for ValidationLimits {
    fn default() -> Self {
        ValidationLimits {
            max_entries: 200_000,
            max_file_bytes: 2 << 30,
            max_manifest_bytes: 64 << 20,
            max_findings_per_file: 20,
        }
    }
}

/// What the check found. Empty `problems` means accepted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ValidationReport {
    pub manifest: Option<PackageManifest>,
    pub files_checked: u64,
    pub problems: Vec<Problem>,
}

impl ValidationReport {
    pub fn accepted(&self) -> bool {
        self.problems.is_empty() && self.manifest.is_some()
    }
}

/// One problem, with the file it is in (the package itself: `""`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub file: String,
    pub kind: ProblemKind,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = if self.file.is_empty() { "(package)" } else { &self.file };
        write!(f, "{file}: {}", self.kind)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum ProblemKind {
    #[error("not a readable ZIP: {reason}")]
    NotZip { reason: String },
    #[error("no manifest.json")]
    NoManifest,
    #[error("manifest.json is invalid: {reason}")]
    BadManifest { reason: String },
    #[error("the manifest names organisation {manifest}, the uploader belongs to {uploader}")]
    WrongOrg { manifest: i64, uploader: i64 },
    #[error("unsafe path (absolute, `..` or not UTF-8)")]
    UnsafePath,
    #[error("listed twice")]
    Duplicate,
    #[error("listed in the manifest but not in the ZIP")]
    Missing,
    #[error("in the ZIP but not listed in the manifest")]
    Unlisted,
    #[error("SHA-256 is {actual}, the manifest says {expected}")]
    HashMismatch { expected: String, actual: String },
    #[error("size is {actual}, the manifest says {expected}")]
    SizeMismatch { expected: u64, actual: u64 },
    #[error("larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },
    #[error("unreadable: {reason}")]
    Unreadable { reason: String },
    #[error("not valid DICOM: {reason}")]
    Dicom { reason: String },
    #[error("DICOM de-identification marker missing: {marker}")]
    DicomMarker { marker: String },
    #[error("{element} is not a Kakou pseudonym (the patient's identity may remain)")]
    DicomIdentity { element: String },
    #[error("{kind:?} found at line {line} by rule {rule}{}", element.as_ref().map(|e| format!(" in {e}")).unwrap_or_default())]
    Identifier { kind: PhiKind, line: usize, rule: String, element: Option<String> },
    #[error("{more} more identifiers not listed")]
    MoreIdentifiers { more: usize },
    #[error("manifest counts {declared} files, lists {listed}")]
    CountMismatch { declared: u64, listed: u64 },
    #[error("the linkage token file is not listed with kind linkage-tokens")]
    LinkageTokens,
}

fn problem(file: &str, kind: ProblemKind) -> Problem {
    Problem { file: file.to_string(), kind }
}

/// Checks a package for the organisation `org_id` (the uploader's).
pub fn validate_package<R: Read + Seek>(reader: R, org_id: i64, limits: &ValidationLimits) -> ValidationReport {
    let mut report = ValidationReport::default();
    let mut zip = match zip::ZipArchive::new(reader) {
        Ok(z) => z,
        Err(e) => {
            report.problems.push(problem("", ProblemKind::NotZip { reason: e.to_string() }));
            return report;
        }
    };
    if zip.len() > limits.max_entries {
        report
            .problems
            .push(problem("", ProblemKind::NotZip { reason: format!("more than {} entries", limits.max_entries) }));
        return report;
    }
    let entries = index_entries(&mut zip, &mut report.problems);
    let Some(manifest) = read_manifest(&mut zip, &entries, org_id, limits, &mut report.problems) else { return report };
    let scanner = match TextScanner::for_manifest(&manifest) {
        Ok(s) => s,
        Err(reason) => {
            report.problems.push(problem(MANIFEST_NAME, ProblemKind::BadManifest { reason }));
            return report;
        }
    };
    check_listing(&manifest, &entries, &mut report.problems);
    for file in &manifest.files {
        let Some(&index) = entries.get(&file.path) else { continue };
        let bytes = match read_entry(&mut zip, index, limits.max_file_bytes) {
            Ok(b) => b,
            Err(kind) => {
                report.problems.push(problem(&file.path, kind));
                continue;
            }
        };
        report.files_checked += 1;
        let actual = crate::hex(&Sha256::digest(&bytes));
        if actual != file.sha256.to_ascii_lowercase() {
            report
                .problems
                .push(problem(&file.path, ProblemKind::HashMismatch { expected: file.sha256.clone(), actual }));
        }
        if bytes.len() as u64 != file.size {
            report.problems.push(problem(
                &file.path,
                ProblemKind::SizeMismatch { expected: file.size, actual: bytes.len() as u64 },
            ));
        }
        let found = match file.kind {
            PackageFileKind::Dicom => check_dicom(&bytes, &scanner),
            PackageFileKind::Csv | PackageFileKind::Text | PackageFileKind::Fhir => {
                scanner.scan(&decode_text(&bytes), None)
            }
            PackageFileKind::LinkageTokens => Vec::new(),
        };
        report.problems.extend(capped(found, limits.max_findings_per_file).into_iter().map(|k| problem(&file.path, k)));
    }
    report.manifest = Some(manifest);
    report
}

/// Entry name → index; unsafe and duplicate names are problems and left out.
fn index_entries<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, problems: &mut Vec<Problem>) -> BTreeMap<String, usize> {
    let mut entries = BTreeMap::new();
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_raw(i) else {
            problems.push(problem(&format!("#{i}"), ProblemKind::Unreadable { reason: "ZIP entry header".into() }));
            continue;
        };
        let name = entry.name().to_string();
        if entry.is_dir() {
            continue;
        }
        if entry.enclosed_name().is_none() || name.starts_with('/') || name.contains('\\') {
            problems.push(problem(&name, ProblemKind::UnsafePath));
        } else if entries.insert(name.clone(), i).is_some() {
            problems.push(problem(&name, ProblemKind::Duplicate));
        }
    }
    entries
}

fn read_manifest<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    entries: &BTreeMap<String, usize>,
    org_id: i64,
    limits: &ValidationLimits,
    problems: &mut Vec<Problem>,
) -> Option<PackageManifest> {
    let Some(&index) = entries.get(MANIFEST_NAME) else {
        problems.push(problem("", ProblemKind::NoManifest));
        return None;
    };
    let bytes =
        read_entry(zip, index, limits.max_manifest_bytes).map_err(|k| problems.push(problem(MANIFEST_NAME, k))).ok()?;
    let manifest: PackageManifest = match serde_json::from_slice(&bytes) {
        Ok(m) => m,
        Err(e) => {
            problems.push(problem(MANIFEST_NAME, ProblemKind::BadManifest { reason: e.to_string() }));
            return None;
        }
    };
    if manifest.format != MANIFEST_FORMAT {
        let reason = format!("format {} (this server reads {MANIFEST_FORMAT})", manifest.format);
        problems.push(problem(MANIFEST_NAME, ProblemKind::BadManifest { reason }));
        return None;
    }
    if manifest.org_id != org_id {
        problems.push(problem(MANIFEST_NAME, ProblemKind::WrongOrg { manifest: manifest.org_id, uploader: org_id }));
    }
    Some(manifest)
}

/// Listed vs present, duplicates, counts and the linkage token file.
fn check_listing(manifest: &PackageManifest, entries: &BTreeMap<String, usize>, problems: &mut Vec<Problem>) {
    let mut listed = BTreeSet::new();
    for f in &manifest.files {
        if !listed.insert(f.path.as_str()) || f.path == MANIFEST_NAME {
            problems.push(problem(&f.path, ProblemKind::Duplicate));
        } else if !entries.contains_key(&f.path) {
            problems.push(problem(&f.path, ProblemKind::Missing));
        }
    }
    for name in entries.keys().filter(|n| *n != MANIFEST_NAME && !listed.contains(n.as_str())) {
        problems.push(problem(name, ProblemKind::Unlisted));
    }
    if manifest.counts.files != manifest.files.len() as u64 {
        let kind = ProblemKind::CountMismatch { declared: manifest.counts.files, listed: manifest.files.len() as u64 };
        problems.push(problem(MANIFEST_NAME, kind));
    }
    if let Some(tokens) = &manifest.linkage_tokens
        && manifest.file(tokens).map(|f| f.kind) != Some(PackageFileKind::LinkageTokens)
    {
        problems.push(problem(tokens, ProblemKind::LinkageTokens));
    }
}

/// An entry's bytes, refusing more than `limit` (checked on the bytes read, not the header).
fn read_entry<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, index: usize, limit: u64) -> Result<Vec<u8>, ProblemKind> {
    let entry = zip.by_index(index).map_err(|e| ProblemKind::Unreadable { reason: e.to_string() })?;
    let mut bytes = Vec::new();
    entry.take(limit + 1).read_to_end(&mut bytes).map_err(|e| ProblemKind::Unreadable { reason: e.to_string() })?;
    if bytes.len() as u64 > limit {
        return Err(ProblemKind::TooLarge { limit });
    }
    Ok(bytes)
}

fn capped(mut found: Vec<ProblemKind>, max: usize) -> Vec<ProblemKind> {
    if found.len() > max {
        let more = found.len() - max;
        found.truncate(max);
        found.push(ProblemKind::MoreIdentifiers { more });
    }
    found
}

/// UTF-8, or Shift_JIS (CP932) as Japanese hospital exports often are.
fn decode_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::SHIFT_JIS.decode(bytes).0.into_owned(),
    }
}

/// The SDK's recogniser with the package's policy: a span is a finding when the policy would
/// replace it (placeholder or surrogate) — kept, shifted or coarsened values are what the policy
/// allows. With surrogates only check-digit-valid numbers count (surrogates fail their check).
struct TextScanner {
    redactor: Redactor,
    surrogates: bool,
}

impl TextScanner {
    fn for_manifest(manifest: &PackageManifest) -> Result<TextScanner, String> {
        let policy: Policy = manifest.policy.parse().map_err(|e: kakou_sdk::text::TextPolicyError| e.to_string())?;
        let redactor = Redactor::builder().policy(policy).build().map_err(|e| e.to_string())?;
        Ok(TextScanner { redactor, surrogates: manifest.surrogates })
    }

    fn scan(&self, text: &str, element: Option<&str>) -> Vec<ProblemKind> {
        let redaction = self.redactor.redact(text);
        // char offsets of the newlines, for line numbers
        let line_starts: Vec<usize> = text.chars().enumerate().filter(|&(_, c)| c == '\n').map(|(i, _)| i).collect();
        let chars: Vec<char> = text.chars().collect();
        redaction
            .spans
            .iter()
            .filter(|s| matches!(s.action, Action::Placeholder | Action::Surrogate))
            .filter(|s| !self.surrogates || matches!(s.kind, PhiKind::MyNumber | PhiKind::CreditCard))
            .filter(|s| !only_placeholders(&chars[s.start.min(chars.len())..s.end.min(chars.len())]))
            .map(|s| ProblemKind::Identifier {
                kind: s.kind,
                line: line_starts.partition_point(|&nl| nl < s.start) + 1,
                rule: s.rule.to_string(),
                element: element.map(str::to_string),
            })
            .collect()
    }
}

/// Whether a span found in processed text is only the SDK's own placeholders (`記号：[保険番号]`
/// is matched by a label rule): nothing of the original is left in it.
fn only_placeholders(span: &[char]) -> bool {
    let mut rest: String = span.iter().collect();
    for kind in PhiKind::ALL {
        for ja in [true, false] {
            rest = rest.replace(kind.placeholder(ja), " ");
        }
    }
    !rest.chars().any(char::is_alphanumeric)
}

/// Markers present and free-text elements clean.
fn check_dicom(bytes: &[u8], scanner: &TextScanner) -> Vec<ProblemKind> {
    let start = if bytes.get(128..132) == Some(b"DICM") {
        128
    } else if bytes.get(0..4) == Some(b"DICM") {
        0
    } else {
        return vec![ProblemKind::Dicom { reason: "no DICM signature".into() }];
    };
    if let Err(e) = kakou_dicom::guard::check(&bytes[start..], 64) {
        return vec![ProblemKind::Dicom { reason: e.to_string() }];
    }
    let obj = match OpenFileOptions::new()
        .read_preamble(ReadPreamble::Never)
        .read_until(tags::PIXEL_DATA)
        .from_reader(&bytes[start..])
    {
        Ok(o) => o,
        Err(e) => return vec![ProblemKind::Dicom { reason: e.to_string() }],
    };
    let mut found = Vec::new();
    let text = |tag| obj.element(tag).ok().and_then(|e| e.to_str().ok()).map(|s| s.trim().to_string());
    if text(tags::PATIENT_IDENTITY_REMOVED).as_deref() != Some("YES") {
        found.push(ProblemKind::DicomMarker { marker: "PatientIdentityRemoved (0012,0062) = YES".into() });
    }
    if text(tags::DEIDENTIFICATION_METHOD).is_none_or(|s| s.is_empty()) {
        found.push(ProblemKind::DicomMarker { marker: "DeidentificationMethod (0012,0063)".into() });
    }
    for (tag, name) in [(tags::PATIENT_NAME, "PatientName (0010,0010)"), (tags::PATIENT_ID, "PatientID (0010,0020)")] {
        if text(tag).is_some_and(|v| !v.is_empty() && !is_kakou_pseudonym(&v)) {
            found.push(ProblemKind::DicomIdentity { element: name.into() });
        }
    }
    found.extend(scan_free_text(&obj, scanner));
    found
}

/// Kakou's patient pseudonym: `KK` and 14 Crockford base32 characters (kakou-dicom's deid.rs).
/// A file whose markers say "identity removed" but whose PatientName is a name (real exports
/// do this) is caught here.
fn is_kakou_pseudonym(value: &str) -> bool {
    let Some(rest) = value.strip_prefix("KK") else { return false };
    rest.len() == 14 && rest.bytes().all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b))
}

/// The long free-text elements (LT, ST, UT) of the top-level data set, where notes hide.
fn scan_free_text(obj: &InMemDicomObject, scanner: &TextScanner) -> Vec<ProblemKind> {
    let mut found = Vec::new();
    for elem in obj.iter() {
        if matches!(elem.vr(), VR::LT | VR::ST | VR::UT)
            && let Ok(value) = elem.to_str()
        {
            let tag = elem.tag();
            found.extend(scanner.scan(&value, Some(&format!("({:04X},{:04X})", tag.group(), tag.element()))));
        }
    }
    found
}

#[cfg(test)]
pub(crate) mod tests;
