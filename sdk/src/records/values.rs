//! Value transformations shared by the CSV, HL7 and FHIR paths: keyed patient pseudonyms and
//! linkage surrogates, date coarsening, address coarsening and free-text redaction.
//!
//! The patient pseudonym is the one `kakou dicom` writes for the same patient ID (`KK` + 14
//! keyed base32 characters of `id:<issuer>|<id>`), so a CSV export, an SS-MIX2 store and the
//! images of one patient stay linkable in the released data without the local ID.

use std::collections::BTreeMap;

use crate::date_forms::parse_date_value;
use crate::key::{ProjectKey, Purpose};
use crate::pseudonym::Pseudonymizer;
use crate::text::{Action as TextAction, DateAction, Patient, PatientIdentifiers, Policy as TextPolicy, Redactor};

use super::policy::{Action, DateLevel, Policy};

/// Keyed replacements for one run, and the pseudonym → local ID mapping if asked for.
pub struct Keyed {
    key: ProjectKey,
    patients: Pseudonymizer,
    surrogates: Pseudonymizer,
    issuer: String,
    mapping: Option<BTreeMap<String, String>>,
    /// The free-text redactor, built on first use for the run's policy.
    text: Option<(DateLevel, Redactor)>,
}

impl Keyed {
    pub fn new(key: &ProjectKey, issuer: &str, collect_mapping: bool) -> Self {
        Keyed {
            key: key.clone(),
            patients: Pseudonymizer::new(key, Purpose::PatientPseudonym),
            surrogates: Pseudonymizer::new(key, Purpose::Surrogate),
            issuer: issuer.to_string(),
            mapping: collect_mapping.then(BTreeMap::new),
            text: None,
        }
    }

    /// The run's free-text redactor ([`text_redactor`]), built once and shared by every value.
    pub fn text_redactor(&mut self, policy: &Policy) -> Redactor {
        match &self.text {
            Some((level, r)) if *level == policy.birth_date => r.clone(),
            _ => {
                let r = text_redactor(policy);
                self.text = Some((policy.birth_date, r.clone()));
                r
            }
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
/// the value is not a date Kakou can read, in which case keeping it would be a guess). Values
/// are read by [`parse_date_value`], the SDK's one reading of a date field.
pub fn transform_date(value: &str, action: Action) -> Option<String> {
    match action {
        Action::Keep => Some(value.to_string()),
        Action::YearMonth => parse_date_value(value).map(|d| format!("{:04}-{:02}", d.year, d.month)),
        Action::Year => parse_date_value(value).map(|d| format!("{:04}", d.year)),
        _ => None,
    }
}

/// The identifiers of one record (a CSV row, an HL7 message, a FHIR document or NDJSON line),
/// collected as the text redactor's patient hints: each occurrence in the record's own free text
/// is replaced in every spelling notes use (name readings in any kana width, the birth date in
/// era and Western forms, phone numbers with any separators…; see [`crate::text::hints`]).
#[derive(Debug, Default)]
pub struct RecordHints {
    ids: PatientIdentifiers,
    addresses: Vec<String>,
}

impl RecordHints {
    /// The local patient ID (further ones are kept as other IDs).
    pub fn patient_id(&mut self, value: &str) {
        let Some(v) = non_empty(value) else { return };
        if self.ids.patient_id.is_none() {
            self.ids.patient_id = Some(v);
        } else {
            self.ids.ids.push(v);
        }
    }

    /// A person's name, family name first; a name written only in kana is a reading.
    pub fn name(&mut self, value: &str) {
        let Some(v) = non_empty(value) else { return };
        let slot = if is_kana(&v) { &mut self.ids.kana } else { &mut self.ids.name };
        match slot {
            None => *slot = Some(v),
            Some(first) if *first == v => {}
            Some(_) => self.ids.other_names.push(v),
        }
    }

    /// Any other identifying number or code (insurance, account, order, other hospitals' IDs).
    pub fn id(&mut self, value: &str) {
        if let Some(v) = non_empty(value) {
            self.ids.ids.push(v);
        }
    }

    pub fn phone(&mut self, value: &str) {
        if let Some(v) = non_empty(value) {
            self.ids.phones.push(v);
        }
    }

    pub fn email(&mut self, value: &str) {
        if let Some(v) = non_empty(value) {
            self.ids.emails.push(v);
        }
    }

    /// An address, or a part of one (a street line, a town).
    pub fn address(&mut self, value: &str) {
        let Some(v) = non_empty(value) else { return };
        if self.ids.address.is_none() {
            self.ids.address = Some(v);
        } else {
            self.addresses.push(v);
        }
    }

    pub fn birth_date(&mut self, value: &str) {
        if let Some(v) = non_empty(value)
            && self.ids.birth_date.is_none()
        {
            self.ids.birth_date = Some(v);
        }
    }

    /// A value the policy marks as a direct identifier without saying which kind (a CSV column
    /// of role `direct-identifier`): an e-mail, a phone number, an ID, else a name, by its shape.
    pub fn direct_identifier(&mut self, value: &str) {
        let v = value.trim();
        if v.contains('@') {
            self.email(v);
        } else if super::csv::identifier_shaped(v) == Some("a phone number") {
            self.phone(v);
        } else if v.chars().any(|c| c.is_ascii_digit() || matches!(c, '０'..='９')) {
            self.id(v);
        } else {
            self.name(v);
        }
    }

    /// The record's patient, compiled for searching (the matcher itself is built on first use).
    pub fn build(&self) -> Patient {
        Patient::with_addresses(&self.ids, &self.addresses)
    }
}

fn non_empty(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// Katakana, hiragana (either width) and separators only: a name's reading.
fn is_kana(v: &str) -> bool {
    v.chars().any(|c| !c.is_whitespace())
        && v.chars().all(|c| {
            matches!(c, '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FC}' | '\u{FF66}'..='\u{FF9F}' | '^')
                || c.is_whitespace()
        })
}

/// The text redactor for a records policy: 仮名加工 (identifiers replaced by typed placeholders,
/// dates, ages and medical content kept), with the patient's own birth date in the text treated
/// as the birth-date column is (kept, year-month, or replaced when the column keeps only the
/// year or nothing). Built once per run; cloning it copies a pointer.
pub fn text_redactor(policy: &Policy) -> Redactor {
    let birth_date = match policy.birth_date {
        DateLevel::Keep => DateAction::Keep,
        DateLevel::YearMonth => DateAction::YearMonth,
        DateLevel::Year | DateLevel::Remove => DateAction::Remove,
    };
    Redactor::builder()
        .policy(TextPolicy::Pseudonymized)
        .birth_date(birth_date)
        .build()
        .unwrap_or_else(|_| unreachable!("placeholders with no shift need no key"))
}

/// The run's text redactor with one record's patient: what a message or document's text fields
/// are redacted with.
pub struct RecordText {
    pub redactor: Redactor,
    pub patient: Patient,
}

impl RecordText {
    pub fn redact(&self, text: &str) -> (String, usize) {
        redact_free_text(text, &self.redactor, &self.patient)
    }
}

/// Free text with the record's own identifiers (`patient`) and every identifier the text
/// redactor finds replaced; the number of replacements. The one place records call the text
/// redactor.
pub fn redact_free_text(text: &str, redactor: &Redactor, patient: &Patient) -> (String, usize) {
    let redaction = redactor.redact_for(text, patient);
    let n = redaction.spans.iter().filter(|s| s.action != TextAction::Kept).count();
    (redaction.text, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_coarsened_or_removed_when_unreadable() {
        assert_eq!(transform_date("昭和55年1月2日", Action::YearMonth).as_deref(), Some("1980-01"));
        assert_eq!(transform_date("1980/1/2", Action::Year).as_deref(), Some("1980"));
        assert_eq!(transform_date("H2.03.04", Action::YearMonth).as_deref(), Some("1990-03"));
        assert_eq!(transform_date("unknown", Action::Year), None);
        assert_eq!(transform_date("1980/02/30", Action::YearMonth), None, "not a calendar day");
        assert_eq!(transform_date("1980/02/30", Action::Keep).as_deref(), Some("1980/02/30"));
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
    fn free_text_loses_the_records_own_identifiers_in_every_spelling() {
        let mut hints = RecordHints::default();
        hints.patient_id("A-0012");
        hints.direct_identifier("内閣 花子");
        hints.direct_identifier("ナイカク ハナコ");
        hints.direct_identifier("03-3581-0101");
        hints.birth_date("1980/01/02");
        let redactor = text_redactor(&Policy::default());
        let note = "ﾅｲｶｸ ﾊﾅｺ（内閣花子）さん、電話 0335810101、A0012。昭和55年1月2日生。2024年3月5日入院、45歳。";
        let (out, n) = redact_free_text(note, &redactor, &hints.build());
        for gone in ["ﾅｲｶｸ", "花子", "0335810101", "A0012"] {
            assert!(!out.contains(gone), "{gone}: {out}");
        }
        assert!(
            out.contains("昭和55年1月2日生") && out.contains("2024年3月5日入院、45歳"),
            "仮名加工 keeps dates: {out}"
        );
        assert_eq!(n, 4, "kept dates and ages are not counted: {out}");
    }

    #[test]
    fn the_birth_date_in_text_follows_the_birth_date_column() {
        let mut hints = RecordHints::default();
        hints.birth_date("19800102");
        let patient = hints.build();
        let note = "生年月日 S55.1.2、受診 2024/03/05";
        let policy = |level: &str| -> Policy {
            serde_json::from_str(&format!(r#"{{"birth_date":"{level}"}}"#)).expect("a policy")
        };
        let out = |level: &str| redact_free_text(note, &text_redactor(&policy(level)), &patient).0;
        assert_eq!(out("keep"), note);
        assert_eq!(out("year-month"), "生年月日 S55.1、受診 2024/03/05");
        assert_eq!(out("year"), "生年月日 [日付]、受診 2024/03/05");
        assert_eq!(out("remove"), "生年月日 [日付]、受診 2024/03/05");
    }

    #[test]
    fn direct_identifiers_are_sorted_by_shape() {
        let mut h = RecordHints::default();
        for v in ["山田 太郎", "やまだ たろう", "taro@example.jp", "090-1234-5678", "保険 12345678", "", "Yamada Taro"]
        {
            h.direct_identifier(v);
        }
        assert_eq!(h.ids.name.as_deref(), Some("山田 太郎"));
        assert_eq!(h.ids.kana.as_deref(), Some("やまだ たろう"));
        assert_eq!(h.ids.other_names, ["Yamada Taro"]);
        assert_eq!((h.ids.emails.len(), h.ids.phones.len(), h.ids.ids.len()), (1, 1, 1));
    }
}
