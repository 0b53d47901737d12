//! The manifest of a processed package: what a hospital's browser uploads to the server.
//!
//! A package is a ZIP holding `manifest.json` and the processed files. The browser (wasm) builds
//! the manifest and the server (kakou-store) validates the ZIP against it, so both sides share
//! these types: one definition means a field can never mean one thing in the browser and another
//! on the server. Types only, no I/O: reading and writing the ZIP is each side's business.

use serde::{Deserialize, Serialize};

/// The name of the manifest inside the package ZIP.
pub const MANIFEST_NAME: &str = "manifest.json";

/// The manifest format this crate writes and reads.
pub const MANIFEST_FORMAT: u32 = 1;

/// What a package declares about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageManifest {
    /// [`MANIFEST_FORMAT`] when written.
    pub format: u32,
    /// The Kakou version that processed the files (the SDK's crate version).
    pub kakou_version: String,
    /// The uploading organisation's id on the server: a package names its owner.
    pub org_id: i64,
    /// When the package was built, RFC 3339.
    pub created: String,
    /// The processing policy or preset (`jp-pseudonymized`, `jp-anonymized`, `redact-all`).
    pub policy: String,
    /// Text identifiers were replaced by keyed surrogates (realistic fake names and numbers)
    /// rather than placeholders. The server's re-scan then cannot tell a surrogate name from a
    /// real one and checks only what surrogates never are (numbers with valid check digits).
    #[serde(default)]
    pub surrogates: bool,
    /// Data categories provided (`dicom`, `lab-results`, `notes`, …): the provision record's items.
    pub items: Vec<String>,
    pub counts: PackageCounts,
    /// Every file of the package except the manifest itself.
    pub files: Vec<PackageFile>,
    /// The path of the linkage token file, when there is one (it must be listed in `files`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkage_tokens: Option<String>,
}

/// The counts a provision record keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageCounts {
    /// Processed files in the package.
    pub files: u64,
    /// Records (rows, resources, DICOM instances) provided.
    pub records: u64,
    /// Records left out because the patient opted out (丁寧なオプトアウト).
    pub excluded_opt_out: u64,
    /// Files the processing quarantined (not in the package).
    pub quarantined: u64,
}

/// One file of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageFile {
    /// The path inside the ZIP, `/`-separated, relative.
    pub path: String,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
    pub size: u64,
    pub kind: PackageFileKind,
}

/// How the server checks a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageFileKind {
    /// A DICOM instance: must carry the de-identification markers.
    Dicom,
    /// CSV or SS-MIX2 text: re-scanned for identifiers.
    Csv,
    /// Free text (notes, reports): re-scanned for identifiers.
    Text,
    /// FHIR JSON: re-scanned for identifiers as text.
    Fhir,
    /// Linkage tokens (keyed hashes): not re-scanned.
    LinkageTokens,
}

impl PackageManifest {
    /// The file entry for a path.
    pub fn file(&self, path: &str) -> Option<&PackageFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json_with_kebab_case_kinds() {
        let m = PackageManifest {
            format: MANIFEST_FORMAT,
            kakou_version: "0.1.0".into(),
            org_id: 7,
            created: "2026-11-21T10:00:00Z".into(),
            policy: "jp-pseudonymized".into(),
            surrogates: false,
            items: vec!["dicom".into()],
            counts: PackageCounts { files: 1, records: 1, excluded_opt_out: 0, quarantined: 0 },
            files: vec![PackageFile {
                path: "tokens.csv".into(),
                sha256: "00".repeat(32),
                size: 3,
                kind: PackageFileKind::LinkageTokens,
            }],
            linkage_tokens: Some("tokens.csv".into()),
        };
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"linkage-tokens\""), "{json}");
        let back: PackageManifest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        assert!(back.file("tokens.csv").is_some());
    }
}
