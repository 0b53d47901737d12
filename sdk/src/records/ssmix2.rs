//! SS-MIX2 standard storage paths.
//!
//! The standard storage (標準化ストレージ) files every message by patient:
//!
//! ```text
//! ROOT/123/456/1234567890/20240401/OMP-01/1234567890_20240401_OMP-01_ORD0001_20240401120000000_01_1
//!      │   │   │          │        │      └ 患者ID_診療日_データ種別_オーダNO_発生日時_診療科_コンディションフラグ
//!      │   │   │          │        └ data type (ADT-00, OMP-01, OML-11…)
//!      │   │   │          └ 診療日, or "-" for data without a date (ADT-00 patient information)
//!      │   │   └ patient ID
//!      └───┴ its first three characters, then the next three
//! ```
//!
//! The patient ID is in four places of every path, so the path is rewritten with the same
//! pseudonym the message gets (PID-3), the two hash folders recomputed from the pseudonym, the
//! order number replaced by its linkage surrogate (the same one ORC-2 gets), and date, data
//! type, timestamp, department and condition flag kept.

use super::RecordError;
use super::values::Keyed;

/// The parts of a standard-storage path (`/`-separated, relative to the storage root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoragePath {
    /// Folders above the patient-ID hash folders (kept as they are).
    pub prefix: Vec<String>,
    pub patient_id: String,
    pub date: String,
    pub data_type: String,
    /// File name fields after the data type: order number, timestamp, department, flag….
    pub rest: Vec<String>,
}

/// Parses the last six components of `path`; the patient ID must agree between the folder and
/// the file name, and the hash folders with the ID.
pub fn parse_path(path: &str) -> Result<StoragePath, RecordError> {
    let err = |reason: &str| RecordError::NotSsmix2Path { path: path.to_string(), reason: reason.to_string() };
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.len() < 6 {
        return Err(err("expected …/ID[0..3]/ID[3..6]/ID/date/data-type/file"));
    }
    let n = parts.len();
    let (h1, h2, id, date, data_type, file) =
        (parts[n - 6], parts[n - 5], parts[n - 4], parts[n - 3], parts[n - 2], parts[n - 1]);
    let fields: Vec<&str> = file.split('_').collect();
    if fields.len() < 4 {
        return Err(err("the file name has fewer than 4 '_'-separated fields"));
    }
    if fields[0] != id || fields[1] != date || fields[2] != data_type {
        return Err(err("the file name does not repeat the patient, date and data-type folders"));
    }
    // Short IDs: stores zero-pad them to six characters, or use what there is.
    let padded = format!("{id:0>6}");
    let matches = |s: &str| h1 == prefix_chars(s, 0, 3) && h2 == prefix_chars(s, 3, 6);
    if !matches(&padded) && !matches(id) {
        return Err(err("the hash folders do not match the patient ID"));
    }
    Ok(StoragePath {
        prefix: parts[..n - 6].iter().map(|s| s.to_string()).collect(),
        patient_id: id.to_string(),
        date: date.to_string(),
        data_type: data_type.to_string(),
        rest: fields[3..].iter().map(|s| s.to_string()).collect(),
    })
}

fn prefix_chars(s: &str, from: usize, to: usize) -> String {
    s.chars().skip(from).take(to - from).collect()
}

/// The path of the pseudonymized message: the patient ID replaced everywhere by its pseudonym,
/// the order number by its surrogate.
pub fn map_path(path: &str, keyed: &mut Keyed) -> Result<String, RecordError> {
    let p = parse_path(path)?;
    let pseudonym = keyed.patient(&p.patient_id);
    let mut rest = p.rest.clone();
    if let Some(order) = rest.first_mut()
        && !order.is_empty()
        && order != "-"
    {
        *order = keyed.surrogate("linkage", order);
    }
    let file =
        [pseudonym.clone(), p.date.clone(), p.data_type.clone()].into_iter().chain(rest).collect::<Vec<_>>().join("_");
    let mut out = p.prefix.clone();
    out.extend([
        prefix_chars(&pseudonym, 0, 3),
        prefix_chars(&pseudonym, 3, 6),
        pseudonym.clone(),
        p.date,
        p.data_type,
        file,
    ]);
    Ok(out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProjectKey;

    #[test]
    fn a_standard_storage_path_is_rewritten_with_the_pseudonym() {
        let key = ProjectKey::from_bytes([5; 32]);
        let mut keyed = Keyed::new(&key, "", true);
        let path =
            "ssmix2/123/456/1234567890/20240401/OMP-01/1234567890_20240401_OMP-01_ORD0001_20240401120000000_01_1";
        let out = map_path(path, &mut keyed).unwrap();
        let p = keyed.patient("1234567890");
        let order = keyed.surrogate("linkage", "ORD0001");
        assert_eq!(
            out,
            format!(
                "ssmix2/{}/{}/{p}/20240401/OMP-01/{p}_20240401_OMP-01_{order}_20240401120000000_01_1",
                &p[..3],
                &p[3..6]
            )
        );
        assert!(!out.contains("1234567890") && !out.contains("ORD0001"));
        // Undated patient information, short IDs (zero-padded hash folders), no order number.
        let adt = map_path("000/042/42/-/ADT-00/42_-_ADT-00_-_20240401120000000_-_1", &mut keyed).unwrap();
        assert!(adt.contains("/-/ADT-00/") && adt.contains("_-_ADT-00_-_20240401120000000_-_1"));
    }

    #[test]
    fn paths_that_do_not_follow_the_layout_are_refused() {
        let mut keyed = Keyed::new(&ProjectKey::from_bytes([5; 32]), "", false);
        for bad in [
            "a/b/c.hl7",
            "999/456/1234567890/20240401/OMP-01/1234567890_20240401_OMP-01_x_1_01_1",
            "123/456/1234567890/20240401/OMP-01/9999999999_20240401_OMP-01_x_1_01_1",
        ] {
            assert_eq!(map_path(bad, &mut keyed).unwrap_err().code(), "not-ssmix2-path", "{bad}");
        }
    }
}
