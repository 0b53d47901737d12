//! The builder's own counts (what the preview shows), beside the shared
//! [`kakou_sdk::package::PackageManifest`] that goes into the package.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Every file's fate, for the hospital's report (the manifest keeps the provision's counts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub files: u64,
    pub excluded_opt_out: u64,
    pub rows_excluded_opt_out: u64,
    pub quarantined: u64,
    pub skipped: u64,
    pub failed: u64,
}

/// Lower-case hex SHA-256, as the manifest lists it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
