//! What a picked file is, from its bytes first and its name second: hospitals' exports carry
//! DICOM files without extension and CSVs named `.txt`, so the name alone would misroute them.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Dicom,
    /// CSV/TSV export (UTF-8 or CP932).
    Table,
    /// FHIR R4 JSON (Bundle, resource) or NDJSON.
    Fhir,
    /// HL7 v2 message (SS-MIX2 standard storage).
    Hl7,
    /// A free-text note.
    Text,
    /// A register of names, readings and birth dates for linkage (名寄せ): never packaged.
    LinkageRoster,
    Other,
}

impl FileKind {
    /// The package folder for this kind.
    pub fn folder(self) -> &'static str {
        match self {
            FileKind::Dicom => "dicom",
            FileKind::Table => "records",
            FileKind::Fhir => "fhir",
            FileKind::Hl7 => "hl7",
            FileKind::Text => "notes",
            FileKind::LinkageRoster => "linkage",
            FileKind::Other => "other",
        }
    }
}

/// Columns that make a table a linkage register rather than a clinical export.
const ROSTER_COLUMNS: [&str; 3] = ["record_id", "kana", "birth_date"];

pub fn sniff(name: &str, bytes: &[u8]) -> FileKind {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if bytes.len() >= 132 && &bytes[128..132] == b"DICM" || ext == "dcm" {
        return FileKind::Dicom;
    }
    let head = &bytes[..bytes.len().min(4096)];
    let trimmed = head.iter().position(|b| !b.is_ascii_whitespace()).map_or(&head[..0], |i| &head[i..]);
    if trimmed.starts_with(b"MSH") {
        return FileKind::Hl7;
    }
    if trimmed.starts_with(b"{") && (ext == "json" || ext == "ndjson") && contains(head, b"\"resourceType\"") {
        return FileKind::Fhir;
    }
    if matches!(ext, "csv" | "tsv") {
        let first_line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
        let header = String::from_utf8_lossy(first_line).to_ascii_lowercase();
        if ROSTER_COLUMNS.iter().all(|c| header.contains(c)) {
            return FileKind::LinkageRoster;
        }
        return FileKind::Table;
    }
    if matches!(ext, "txt" | "text" | "note" | "md") || (ext.is_empty() && std::str::from_utf8(head).is_ok()) {
        return FileKind::Text;
    }
    FileKind::Other
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_before_the_name() {
        let mut dicom = vec![0u8; 128];
        dicom.extend_from_slice(b"DICM");
        assert_eq!(sniff("IM0001", &dicom), FileKind::Dicom);
        assert_eq!(sniff("msg.txt", b"MSH|^~\\&|HIS"), FileKind::Hl7);
        assert_eq!(sniff("b.json", br#"{"resourceType":"Bundle"}"#), FileKind::Fhir);
        assert_eq!(sniff("a.json", br#"{"x":1}"#), FileKind::Other);
        assert_eq!(sniff("lab.csv", b"patient_id,value\n1,2\n"), FileKind::Table);
        assert_eq!(sniff("reg.csv", b"record_id,name,kana,birth_date\n"), FileKind::LinkageRoster);
        assert_eq!(sniff("note.txt", "主治医 山田".as_bytes()), FileKind::Text);
        assert_eq!(sniff("scan.png", b"\x89PNG\r\n"), FileKind::Other);
    }
}
