//! Writes the package ZIP in memory (the browser has no file system): `manifest.json` first,
//! then every file, deflated; DICOM pixel data barely compresses but text and tables do.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("writing the package: {0}")]
pub struct ZipError(pub String);

pub fn write_zip(manifest: &[u8], entries: &[(String, Vec<u8>)]) -> Result<Vec<u8>, ZipError> {
    let size = manifest.len() + entries.iter().map(|(_, b)| b.len() + 128).sum::<usize>();
    let mut zip = ZipWriter::new(Cursor::new(Vec::with_capacity(size)));
    // A fixed time: the same inputs give the same package bytes (and hash).
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .large_file(size > u32::MAX as usize);
    let mut put = |path: &str, bytes: &[u8]| -> Result<(), ZipError> {
        zip.start_file(path, options).map_err(|e| ZipError(format!("{path}: {e}")))?;
        zip.write_all(bytes).map_err(|e| ZipError(format!("{path}: {e}")))
    };
    put("manifest.json", manifest)?;
    for (path, bytes) in entries {
        put(path, bytes)?;
    }
    let cursor = zip.finish().map_err(|e| ZipError(e.to_string()))?;
    Ok(cursor.into_inner())
}
