//! PS3.15 Annex E, Table E.1-1, as reviewable data.
//!
//! The table lives in `profile/table_e1_1.tsv`, transcribed row by row from the standard (see
//! `profile/SOURCES.md`), so a reviewer can check it against the standard with a diff rather
//! than by reading code. It is embedded at compile time and parsed once. Each row gives the Basic
//! Profile action and, per option, the action that replaces it when the option is in force.

use std::collections::HashMap;
use std::sync::OnceLock;

use dicom_core::Tag;
use serde::{Deserialize, Serialize};

const TABLE_E1_1: &str = include_str!("../profile/table_e1_1.tsv");
/// Kakou's amendments, with the reason in the last column: attributes the standard's table does
/// not list but that identify (species, breed…), and the few rows where Kakou is stricter than
/// the standard. Same format; a row here replaces the standard's row for that tag. Amendments
/// only ever remove more, never less (tested below).
const KAKOU_EXTRA: &str = include_str!("../profile/kakou_extra.tsv");

/// The options of the Basic Application Level Confidentiality Profile (PS3.15 §E.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileOption {
    RetainSafePrivate,
    RetainUids,
    RetainDeviceIdentity,
    RetainInstitutionIdentity,
    RetainPatientCharacteristics,
    RetainLongitudinalFullDates,
    RetainLongitudinalModifiedDates,
    CleanDescriptors,
    CleanStructuredContent,
    CleanGraphics,
}

impl ProfileOption {
    pub const ALL: [ProfileOption; 10] = [
        ProfileOption::RetainSafePrivate,
        ProfileOption::RetainUids,
        ProfileOption::RetainDeviceIdentity,
        ProfileOption::RetainInstitutionIdentity,
        ProfileOption::RetainPatientCharacteristics,
        ProfileOption::RetainLongitudinalFullDates,
        ProfileOption::RetainLongitudinalModifiedDates,
        ProfileOption::CleanDescriptors,
        ProfileOption::CleanStructuredContent,
        ProfileOption::CleanGraphics,
    ];

    /// The column of Table E.1-1 for this option.
    fn column(self) -> usize {
        self as usize
    }

    /// The CID 7050 code (DCM) that marks the option in (0012,0064).
    pub fn cid7050(self) -> (&'static str, &'static str) {
        match self {
            ProfileOption::RetainSafePrivate => ("113111", "Retain Safe Private Option"),
            ProfileOption::RetainUids => ("113110", "Retain UIDs Option"),
            ProfileOption::RetainDeviceIdentity => ("113109", "Retain Device Identity Option"),
            ProfileOption::RetainInstitutionIdentity => ("113112", "Retain Institution Identity Option"),
            ProfileOption::RetainPatientCharacteristics => ("113108", "Retain Patient Characteristics Option"),
            ProfileOption::RetainLongitudinalFullDates => {
                ("113106", "Retain Longitudinal Temporal Information Full Dates Option")
            }
            ProfileOption::RetainLongitudinalModifiedDates => {
                ("113107", "Retain Longitudinal Temporal Information Modified Dates Option")
            }
            ProfileOption::CleanDescriptors => ("113105", "Clean Descriptors Option"),
            ProfileOption::CleanStructuredContent => ("113104", "Clean Structured Content Option"),
            ProfileOption::CleanGraphics => ("113103", "Clean Graphics Option"),
        }
    }

    /// The kebab-case name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            ProfileOption::RetainSafePrivate => "retain-safe-private",
            ProfileOption::RetainUids => "retain-uids",
            ProfileOption::RetainDeviceIdentity => "retain-device-identity",
            ProfileOption::RetainInstitutionIdentity => "retain-institution-identity",
            ProfileOption::RetainPatientCharacteristics => "retain-patient-characteristics",
            ProfileOption::RetainLongitudinalFullDates => "retain-longitudinal-full-dates",
            ProfileOption::RetainLongitudinalModifiedDates => "retain-longitudinal-modified-dates",
            ProfileOption::CleanDescriptors => "clean-descriptors",
            ProfileOption::CleanStructuredContent => "clean-structured-content",
            ProfileOption::CleanGraphics => "clean-graphics",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name() == name)
    }
}

/// One action letter of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Letter {
    /// Replace with a non-zero-length dummy value.
    D,
    /// Replace with a zero-length value (or a dummy).
    Z,
    /// Remove.
    X,
    /// Keep (for sequences: keep and process the items).
    K,
    /// Clean: replace identifying content with values of similar meaning.
    C,
    /// Replace a UID with a consistent non-identifying one.
    U,
}

/// A cell of the table: one letter or a combination such as `X/Z/D` (which depends on the IOD's
/// attribute type and is resolved by [`Code::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Code {
    bits: u8,
}

impl Code {
    fn has(self, l: Letter) -> bool {
        self.bits & (1 << l as u8) != 0
    }

    fn parse(cell: &str) -> Option<Self> {
        let cell = cell.trim().trim_end_matches('*');
        if cell.is_empty() {
            return None;
        }
        let mut bits = 0u8;
        for part in cell.split('/') {
            let l = match part.trim().trim_end_matches('*') {
                "D" => Letter::D,
                "Z" => Letter::Z,
                "X" => Letter::X,
                "K" => Letter::K,
                "C" => Letter::C,
                "U" => Letter::U,
                _ => return None,
            };
            bits |= 1 << l as u8;
        }
        Some(Code { bits })
    }

    /// The single action Kakou applies. Combined codes depend on whether the attribute is Type 1,
    /// 2 or 3 in the IOD; without per-IOD tables Kakou picks the choice that is valid for every
    /// type and still removes the information: U if allowed (keeps references consistent), else
    /// D if allowed (a Type 1 attribute stays valid), else Z if allowed (Type 2 stays valid),
    /// else the single letter.
    pub fn resolve(self) -> Letter {
        for l in [Letter::K, Letter::C] {
            if self.bits == 1 << l as u8 {
                return l;
            }
        }
        for l in [Letter::U, Letter::D, Letter::Z, Letter::X] {
            if self.has(l) {
                return l;
            }
        }
        Letter::X
    }
}

impl Code {
    /// The action for a sequence (SQ) attribute. An empty Type 3 sequence is invalid while an
    /// absent one is valid, and a sequence's items are processed by the same rules anyway, so:
    /// U (references) and D (dummy content) keep the sequence and process every item; exactly Z
    /// empties it (Type 2); any other code containing X removes it.
    pub fn resolve_sequence(self) -> Letter {
        if self.has(Letter::U) || self.has(Letter::D) || self.has(Letter::K) || self.has(Letter::C) {
            Letter::K
        } else if self.bits == 1 << Letter::Z as u8 {
            Letter::Z
        } else {
            Letter::X
        }
    }
}

/// A row of Table E.1-1.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub basic: Code,
    options: [Option<Code>; 10],
}

impl Row {
    /// The code in force for this row under `options`, and the option that chose it (None for
    /// the Basic Profile column). When several options speak to one attribute, a retaining
    /// option (K) wins over a cleaning one (C), which wins over anything else: each option only
    /// ever *relaxes* the Basic Profile for the data it names, so the most relaxed applicable
    /// choice is what the user asked for.
    pub fn code_for(&self, options: &[ProfileOption]) -> (Code, Option<ProfileOption>) {
        let mut best: Option<(Code, ProfileOption)> = None;
        for &o in options {
            if let Some(c) = self.options[o.column()] {
                let rank = |c: Code| match c.resolve() {
                    Letter::K => 3,
                    Letter::C => 2,
                    _ => 1,
                };
                if best.is_none_or(|(b, _)| rank(c) > rank(b)) {
                    best = Some((c, o));
                }
            }
        }
        match best {
            Some((c, o)) => (c, Some(o)),
            None => (self.basic, None),
        }
    }
}

/// The parsed table: exact tags, plus masked rows for repeating groups (50xx, 60xx…).
#[derive(Debug)]
pub struct ProfileTable {
    exact: HashMap<u32, Row>,
    masked: Vec<(u32, u32, Row)>,
}

impl ProfileTable {
    /// The embedded table, parsed once.
    pub fn get() -> &'static ProfileTable {
        static TABLE: OnceLock<ProfileTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            let mut t = parse_table(TABLE_E1_1);
            let extra = parse_table(KAKOU_EXTRA);
            t.exact.extend(extra.exact);
            t
        })
    }

    /// The row for `tag`, if the table lists it.
    pub fn row(&self, tag: Tag) -> Option<&Row> {
        let t = (u32::from(tag.0) << 16) | u32::from(tag.1);
        self.exact.get(&t).or_else(|| self.masked.iter().find(|(mask, value, _)| t & mask == *value).map(|(_, _, r)| r))
    }

    pub fn len(&self) -> usize {
        self.exact.len() + self.masked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Parses the TSV. The file is part of the source tree and covered by tests, so a malformed row
/// is a build defect: it is skipped here and caught by `every_row_parses`.
fn parse_table(text: &str) -> ProfileTable {
    let mut exact = HashMap::new();
    let mut masked = Vec::new();
    for line in text.lines().skip(1) {
        let Some(row) = parse_row(line) else { continue };
        match row {
            (TagPattern::Exact(t), r) => {
                exact.insert(t, r);
            }
            (TagPattern::Masked { mask, value }, r) => masked.push((mask, value, r)),
        }
    }
    ProfileTable { exact, masked }
}

enum TagPattern {
    Exact(u32),
    Masked { mask: u32, value: u32 },
}

fn parse_row(line: &str) -> Option<(TagPattern, Row)> {
    let cols: Vec<&str> = line.split('\t').collect();
    if cols.len() < 4 {
        return None;
    }
    let pattern = parse_tag_pattern(cols[0])?;
    let basic = Code::parse(cols[3])?;
    let mut options = [None; 10];
    for (i, slot) in options.iter_mut().enumerate() {
        *slot = cols.get(4 + i).and_then(|c| Code::parse(c));
    }
    Some((pattern, Row { name: cols[1].to_string(), basic, options }))
}

/// `(gggg,eeee)` with `x` wildcards as the standard writes repeating groups.
fn parse_tag_pattern(s: &str) -> Option<TagPattern> {
    let inner = s.trim().strip_prefix('(')?.strip_suffix(')')?;
    let hex: String = inner.chars().filter(|c| *c != ',').collect();
    if hex.len() != 8 {
        return None;
    }
    let (mut mask, mut value) = (0u32, 0u32);
    for c in hex.chars() {
        mask <<= 4;
        value <<= 4;
        if c == 'x' || c == 'X' {
            continue;
        }
        mask |= 0xF;
        value |= c.to_digit(16)?;
    }
    Some(if mask == u32::MAX { TagPattern::Exact(value) } else { TagPattern::Masked { mask, value } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_parses() {
        let data_rows = TABLE_E1_1.lines().skip(1).filter(|l| l.starts_with('(')).count();
        assert!(data_rows > 500, "Table E.1-1 has 600+ rows, found {data_rows}");
        for line in TABLE_E1_1.lines().skip(1).filter(|l| l.starts_with('(')) {
            assert!(parse_row(line).is_some(), "row does not parse: {line}");
        }
        assert_eq!(parse_table(TABLE_E1_1).len(), data_rows, "duplicate tags in the table");
        assert!(ProfileTable::get().len() >= data_rows);
    }

    #[test]
    fn amendments_only_ever_remove_more() {
        let standard = parse_table(TABLE_E1_1);
        for (tag, amended) in parse_table(KAKOU_EXTRA).exact {
            assert_ne!(amended.basic.resolve(), Letter::K, "amendment keeps ({tag:08X}) in the basic profile");
            if let Some(orig) = standard.exact.get(&tag) {
                for o in ProfileOption::ALL {
                    let rank = |r: &Row| match r.code_for(&[o]).0.resolve() {
                        Letter::K => 3,
                        Letter::C => 2,
                        _ => 1,
                    };
                    assert!(rank(&amended) <= rank(orig), "amendment of ({tag:08X}) keeps more under {o:?}");
                }
            }
        }
    }

    #[test]
    fn well_known_rows_have_the_standard_actions() {
        let t = ProfileTable::get();
        let code = |g, e| t.row(Tag(g, e)).map(|r| r.basic.resolve());
        assert_eq!(code(0x0010, 0x0010), Some(Letter::Z)); // Patient's Name
        assert_eq!(code(0x0010, 0x0020), Some(Letter::D)); // Patient ID: Z/D since 2023
        assert_eq!(code(0x0008, 0x0018), Some(Letter::U)); // SOP Instance UID
        assert_eq!(code(0x0010, 0x1040), Some(Letter::X)); // Patient's Address
        assert_eq!(code(0x5000, 0x3000), Some(Letter::X)); // curve data, repeating group
        assert_eq!(code(0x6002, 0x4000), Some(Letter::X)); // overlay comments, repeating group
        assert_eq!(code(0x0008, 0x0016), None); // SOP Class UID is not in the table
        assert_eq!(code(0x0010, 0x2201), Some(Letter::X)); // Kakou extra: species description
    }

    #[test]
    fn options_override_the_basic_column() {
        let t = ProfileTable::get();
        let study_date = t.row(Tag(0x0008, 0x0020)).expect("Study Date is listed");
        assert_eq!(study_date.code_for(&[]).0.resolve(), Letter::Z);
        let (c, o) = study_date.code_for(&[ProfileOption::RetainLongitudinalFullDates]);
        assert_eq!((c.resolve(), o), (Letter::K, Some(ProfileOption::RetainLongitudinalFullDates)));
        let (c, _) = study_date.code_for(&[ProfileOption::RetainLongitudinalModifiedDates]);
        assert_eq!(c.resolve(), Letter::C);
        let station = t.row(Tag(0x0008, 0x1010)).expect("Station Name is listed");
        assert_eq!(station.code_for(&[ProfileOption::RetainDeviceIdentity]).0.resolve(), Letter::K);
    }

    #[test]
    fn combined_codes_resolve_to_a_choice_valid_for_every_type() {
        let c = |s| Code::parse(s).expect("valid code").resolve();
        assert_eq!(c("X/Z"), Letter::Z);
        assert_eq!(c("X/D"), Letter::D);
        assert_eq!(c("X/Z/D"), Letter::D);
        assert_eq!(c("X/Z/U*"), Letter::U);
        assert_eq!(c("Z/D"), Letter::D);
        assert_eq!(c("K"), Letter::K);
        assert!(Code::parse("Q").is_none());
        let sq = |s| Code::parse(s).expect("valid code").resolve_sequence();
        assert_eq!(sq("X/Z"), Letter::X, "an empty Type 3 sequence would be invalid");
        assert_eq!(sq("X/Z/U*"), Letter::K, "references are walked and their UIDs mapped");
        assert_eq!(sq("D"), Letter::K, "content sequences keep their structure");
        assert_eq!(sq("Z"), Letter::Z);
        assert_eq!(sq("X"), Letter::X);
    }
}
