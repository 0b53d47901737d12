//! `manifest.json`, the first entry of every package: what is inside, under which policy and
//! key, with a SHA-256 per file so the server (and anyone later) can check nothing changed.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// `kakou-package/1`.
    pub format: String,
    pub kakou_version: String,
    pub organisation: String,
    /// RFC 3339 time the package was made (the browser's clock).
    pub created: String,
    /// The DICOM preset; text follows it (see the builder).
    pub preset: String,
    /// The project key's fingerprint (never the key).
    pub key_fingerprint: String,
    pub counts: Counts,
    pub files: Vec<ManifestFile>,
}

impl Manifest {
    pub const FORMAT: &'static str = "kakou-package/1";
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub files: u64,
    pub excluded_opt_out: u64,
    pub rows_excluded_opt_out: u64,
    pub quarantined: u64,
    pub skipped: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

impl ManifestFile {
    pub fn of(path: &str, bytes: &[u8]) -> Self {
        ManifestFile { path: path.to_string(), size: bytes.len() as u64, sha256: hex(&Sha256::digest(bytes)) }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
