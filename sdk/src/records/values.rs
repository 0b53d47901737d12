//! Value transformations shared by the CSV, HL7 and FHIR paths: keyed patient pseudonyms and
//! linkage surrogates, date coarsening, address coarsening and free-text redaction.
//!
//! The patient pseudonym is the one `kakou dicom` writes for the same patient ID (`KK` + 14
//! keyed base32 characters of `id:<issuer>|<id>`), so a CSV export, an SS-MIX2 store and the
//! images of one patient stay linkable in the released data without the local ID.

use std::collections::BTreeMap;

use crate::key::{ProjectKey, Purpose};
use crate::pseudonym::Pseudonymizer;
use crate::scrub::{IdentifierSet, KnownIdentifiers};

use super::policy::Action;

/// Keyed replacements for one run, and the pseudonym → local ID mapping if asked for.
pub struct Keyed {
    key: ProjectKey,
    patients: Pseudonymizer,
    surrogates: Pseudonymizer,
    issuer: String,
    mapping: Option<BTreeMap<String, String>>,
}

impl Keyed {
    pub fn new(key: &ProjectKey, issuer: &str, collect_mapping: bool) -> Self {
        Keyed {
            key: key.clone(),
            patients: Pseudonymizer::new(key, Purpose::PatientPseudonym),
            surrogates: Pseudonymizer::new(key, Purpose::Surrogate),
            issuer: issuer.to_string(),
            mapping: collect_mapping.then(BTreeMap::new),
        }
    }

    /// The patient pseudonym for a local patient ID (trimmed); the mapping records it. No
    /// cache: one keyed HMAC costs less than a hash-map lookup with its allocations.
    pub fn patient(&mut self, local_id: &str) -> String {
        let id = local_id.trim();
        let p = patient_pseudonym(&self.patients, &self.issuer, id);
        if let Some(m) = self.mapping.as_mut()
            && !m.contains_key(&p)
        {
            m.insert(p.clone(), id.to_string());
        }
        p
    }

    /// A keyed surrogate for a linkage value (order, encounter, specimen number): the same
    /// value in the same namespace always gives the same surrogate.
    pub fn surrogate(&self, namespace: &str, value: &str) -> String {
        format!("KL{}", self.surrogates.pseudonym(&format!("records/{namespace}"), value.trim(), 14))
    }

    /// A keyed UUID (version-4 layout) for a value that must stay a UUID (`urn:uuid:` in FHIR).
    pub fn uuid(&self, namespace: &str, value: &str) -> String {
        let mut b = self.key.mac(Purpose::Surrogate, &[b"records/uuid", namespace.as_bytes(), value.as_bytes()]);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b[..16].iter().map(|x| format!("{x:02x}")).collect();
        format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
    }

    /// Takes the mapping collected so far (pseudonym → local ID).
    pub fn take_mapping(&mut self) -> BTreeMap<String, String> {
        self.mapping.as_mut().map(std::mem::take).unwrap_or_default()
    }
}

/// `KK` + 14 characters: the pseudonym `kakou dicom` gives PatientID `id` with issuer `issuer`.
pub fn patient_pseudonym(p: &Pseudonymizer, issuer: &str, id: &str) -> String {
    format!("KK{}", p.pseudonym("patient", &format!("id:{issuer}|{id}"), 14))
}

/// A date reduced by `action` (`Keep` returns it as is). `None`: remove (the action says so, or
/// the value is not a date Kakou can read, in which case keeping it would be a guess).
pub fn transform_date(value: &str, action: Action) -> Option<String> {
    match action {
        Action::Keep => Some(value.to_string()),
        Action::YearMonth => parse_date(value).map(|(y, m, _)| format!("{y:04}-{m:02}")),
        Action::Year => parse_date(value).map(|(y, _, _)| format!("{y:04}")),
        _ => None,
    }
}

const ERAS: [(&str, &str, i32); 5] =
    [("令和", "R", 2018), ("平成", "H", 1988), ("昭和", "S", 1925), ("大正", "T", 1911), ("明治", "M", 1867)];

/// Year, month, day of a date written `YYYY-MM-DD`, `YYYY/M/D`, `YYYYMMDD`, `YYYY年M月D日`,
/// `昭和55年1月2日`, `S55.01.02` (a time after the date is ignored).
pub fn parse_date(value: &str) -> Option<(i32, u32, u32)> {
    let v = value.trim();
    let (offset, rest) = ERAS
        .iter()
        .find_map(|(kanji, letter, base)| {
            v.strip_prefix(kanji).or_else(|| v.strip_prefix(letter)).map(|r| (Some(*base), r))
        })
        .unwrap_or((None, v));
    let rest = rest.replace("元年", "1年");
    let digits_only: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let (y, m, d) = if offset.is_none() && digits_only.len() >= 8 {
        (digits_only[..4].parse().ok()?, digits_only[4..6].parse().ok()?, digits_only[6..8].parse().ok()?)
    } else {
        let mut nums = rest.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty());
        let y: i32 = nums.next()?.parse().ok()?;
        let m: u32 = nums.next()?.parse().ok()?;
        let d: u32 = nums.next().and_then(|s| s.parse().ok()).unwrap_or(1);
        (y, m, d)
    };
    let year = match offset {
        Some(base) if (1..=99).contains(&y) => base + y,
        Some(_) => return None,
        None if (1000..=9999).contains(&y) => y,
        None => return None,
    };
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((year, m, d))
}

/// The identifiers of one record, to search for in its free text.
#[derive(Default)]
pub struct RecordHints {
    set: IdentifierSet,
    any: bool,
}

impl RecordHints {
    pub fn add_name(&mut self, name: &str) {
        self.any = true;
        self.set.add_person_name(name);
    }

    pub fn add_value(&mut self, value: &str) {
        self.any = true;
        self.set.add(value);
    }

    pub fn build(self) -> KnownIdentifiers {
        self.set.build(&[])
    }
}

/// Free text with the record's own identifiers and every identifier the text redactor finds
/// replaced; the number of replacements. The one place records call the text redactor, so a
/// richer text API (hints, policies) is switched on here.
pub fn redact_free_text(text: &str, known: &KnownIdentifiers) -> (String, usize) {
    let japanese = crate::text::is_japanese(text);
    let placeholder = if japanese { "[個人情報]" } else { "[REDACTED]" };
    let (scrubbed, n_known) = known.scrub(text, placeholder).unwrap_or_else(|| (text.to_string(), 0));
    let redaction = crate::text::redact(&scrubbed);
    let n = n_known + redaction.spans.len();
    (redaction.text, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_japanese_and_western_forms() {
        assert_eq!(parse_date("1980/1/2"), Some((1980, 1, 2)));
        assert_eq!(parse_date("1980-01-02"), Some((1980, 1, 2)));
        assert_eq!(parse_date("19800102"), Some((1980, 1, 2)));
        assert_eq!(parse_date("198001021230"), Some((1980, 1, 2)));
        assert_eq!(parse_date("1980年1月2日"), Some((1980, 1, 2)));
        assert_eq!(parse_date("昭和55年1月2日"), Some((1980, 1, 2)));
        assert_eq!(parse_date("令和元年5月1日"), Some((2019, 5, 1)));
        assert_eq!(parse_date("H2.03.04"), Some((1990, 3, 4)));
        assert_eq!(parse_date("不明"), None);
        assert_eq!(parse_date("1980/13/02"), None);
        assert_eq!(transform_date("昭和55年1月2日", Action::YearMonth).as_deref(), Some("1980-01"));
        assert_eq!(transform_date("1980/1/2", Action::Year).as_deref(), Some("1980"));
        assert_eq!(transform_date("unknown", Action::Year), None);
    }

    #[test]
    fn patient_pseudonyms_are_stable_keyed_and_mapped() {
        let key = ProjectKey::from_bytes([7; 32]);
        let mut a = Keyed::new(&key, "", true);
        let p = a.patient(" 12345 ");
        assert_eq!(p, a.patient("12345"));
        assert_eq!(p, Keyed::new(&key, "", false).patient("12345"), "same key, another run");
        assert_ne!(p, Keyed::new(&ProjectKey::from_bytes([8; 32]), "", false).patient("12345"));
        assert_ne!(p, Keyed::new(&key, "hospital-b", false).patient("12345"));
        assert!(p.starts_with("KK") && p.len() == 16);
        assert_eq!(a.take_mapping().get(&p).map(String::as_str), Some("12345"));
        // The DICOM engine's formula for PatientID 12345 without issuer.
        let dicom = Pseudonymizer::new(&key, Purpose::PatientPseudonym).pseudonym("patient", "id:|12345", 14);
        assert_eq!(p, format!("KK{dicom}"));
    }

    #[test]
    fn free_text_loses_the_records_own_name_and_shaped_identifiers() {
        let mut hints = RecordHints::default();
        hints.add_name("内閣 花子");
        let (out, n) = redact_free_text("内閣花子さん、電話 090-1234-5678 に連絡。花子さんは元気。", &hints.build());
        assert!(!out.contains("花子") && !out.contains("090-1234-5678"), "{out}");
        assert!(n >= 2);
    }
}
