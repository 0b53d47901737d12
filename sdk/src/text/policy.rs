//! What happens to each identifier found: the policy, the replacement, and the [`Redactor`]
//! that applies them.
//!
//! Finding identifiers and deciding what to do with them are separate questions. The Act's two
//! kinds of processed data keep different things:
//!
//! | | names, contacts, IDs, addresses | facilities | dates | ages |
//! |---|---|---|---|---|
//! | [`Policy::RedactAll`] (default) | replaced | replaced | replaced (shifted with surrogates) | replaced |
//! | [`Policy::Pseudonymized`] 仮名加工 | replaced | replaced¹ | **kept** | kept |
//! | [`Policy::Anonymized`] 匿名加工 | replaced | replaced¹ | shifted per patient (with a key), else year-month | over 89 → `90歳以上` / `90 or older` |
//!
//! ¹ unless facilities are kept ([`RedactorBuilder::keep_facilities`]).
//!
//! The patient's birth date (from the hints) follows the DICOM presets: kept by 仮名加工,
//! coarsened to year-month by 匿名加工.
//!
//! "Replaced" means a typed placeholder (`[氏名]`, configurable per type and language) or, with a
//! project key, a keyed surrogate (`surrogate.rs`). A [`Redactor`] is built once from these
//! choices and reused for every note: it is immutable, `Send + Sync`, and cloning it copies a
//! pointer, so threads and Web Workers can each hold one.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::hints::Patient;
use super::surrogate::{NamePart, Script, Surrogates};
use super::written_date::WrittenDate;
use super::{PhiKind, Span};
use crate::dates::{DateShift, ShiftRange};
use crate::key::ProjectKey;

/// Which kind of processed data the text becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Every identifier found is replaced, dates and ages included.
    #[default]
    RedactAll,
    /// 仮名加工医療情報: identifiers replaced; dates, ages and medical content kept.
    Pseudonymized,
    /// 匿名加工医療情報: identifiers replaced, dates shifted or coarsened, ages over 89 top-coded.
    Anonymized,
}

impl std::str::FromStr for Policy {
    type Err = TextPolicyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "redact-all" => Ok(Policy::RedactAll),
            "pseudonymized" | "jp-pseudonymized" => Ok(Policy::Pseudonymized),
            "anonymized" | "jp-anonymized" => Ok(Policy::Anonymized),
            _ => Err(TextPolicyError::UnknownPolicy(s.to_string())),
        }
    }
}

/// What happens to dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateAction {
    Keep,
    /// Replaced by the placeholder (or, in surrogate mode, shifted).
    Remove,
    /// Moved by the patient's keyed offset (whole weeks back), written in the same form; needs a
    /// key. Without a patient identity to key the offset, dates are coarsened to year-month.
    Shift,
    /// The day removed: `2024年3月5日` → `2024年3月`.
    YearMonth,
}

/// What happens to ages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgeAction {
    Keep,
    Remove,
    /// Ages over 89 become `90歳以上` / `90 or older`; others are kept.
    TopCode,
}

/// The language of placeholders and top-coded ages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Language {
    /// Japanese when the text has any kana or kanji.
    #[default]
    Auto,
    Ja,
    En,
}

/// What was done to one span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Placeholder,
    Surrogate,
    Shifted,
    Coarsened,
    TopCoded,
    Kept,
}

/// A span found and what was done to it. Serialised flat: the span's fields plus `action`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedactedSpan {
    #[serde(flatten)]
    pub span: Span,
    pub action: Action,
}

impl std::ops::Deref for RedactedSpan {
    type Target = Span;
    fn deref(&self) -> &Span {
        &self.span
    }
}

/// A redacted text and what was found in it (offsets refer to the input text).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Redaction {
    pub text: String,
    pub spans: Vec<RedactedSpan>,
}

/// A policy that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextPolicyError {
    #[error("unknown policy '{0}' (redact-all, pseudonymized, anonymized)")]
    UnknownPolicy(String),
    #[error("unknown identifier type '{0}' (NAME, DATE, AGE, ADDRESS, PHONE, … as in the spans' \"type\")")]
    UnknownKind(String),
    #[error("surrogates need the project key")]
    SurrogatesWithoutKey,
    #[error("shifting dates needs the project key (surrogates with a key)")]
    ShiftWithoutKey,
}

impl PhiKind {
    /// Every type, in taxonomy order.
    pub const ALL: [PhiKind; 22] = {
        use PhiKind::*;
        [
            Name,
            Date,
            Age,
            Address,
            Location,
            PostalCode,
            Phone,
            Email,
            Url,
            IpAddress,
            MyNumber,
            InsuranceId,
            PatientId,
            RecordId,
            Passport,
            DriverLicense,
            PensionNo,
            CreditCard,
            BankAccount,
            Ssn,
            OtherId,
            Facility,
        ]
    };

    /// The type's name as in the spans' `type` (`POSTAL_CODE`).
    pub fn name(self) -> &'static str {
        use PhiKind::*;
        match self {
            Name => "NAME",
            Date => "DATE",
            Age => "AGE",
            Address => "ADDRESS",
            Location => "LOCATION",
            PostalCode => "POSTAL_CODE",
            Phone => "PHONE",
            Email => "EMAIL",
            Url => "URL",
            IpAddress => "IP_ADDRESS",
            MyNumber => "MY_NUMBER",
            InsuranceId => "INSURANCE_ID",
            PatientId => "PATIENT_ID",
            RecordId => "RECORD_ID",
            Passport => "PASSPORT",
            DriverLicense => "DRIVER_LICENSE",
            PensionNo => "PENSION_NO",
            CreditCard => "CREDIT_CARD",
            BankAccount => "BANK_ACCOUNT",
            Ssn => "SSN",
            OtherId => "OTHER_ID",
            Facility => "FACILITY",
        }
    }
}

impl std::str::FromStr for PhiKind {
    type Err = TextPolicyError;
    /// `NAME`, `name`, `postal-code`, `POSTAL_CODE`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase().replace('-', "_");
        PhiKind::ALL.into_iter().find(|k| k.name() == upper).ok_or_else(|| TextPolicyError::UnknownKind(s.to_string()))
    }
}

/// Collects the choices; [`RedactorBuilder::build`] checks them.
#[derive(Debug, Clone, Default)]
pub struct RedactorBuilder {
    policy: Policy,
    dates: Option<DateAction>,
    birth_date: Option<DateAction>,
    ages: Option<AgeAction>,
    keep_facilities: bool,
    language: Language,
    placeholders: HashMap<(PhiKind, bool), String>,
    key: Option<ProjectKey>,
    surrogates: bool,
    shift: ShiftRange,
}

impl RedactorBuilder {
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Overrides the policy's date handling.
    pub fn dates(mut self, action: DateAction) -> Self {
        self.dates = Some(action);
        self
    }

    /// Overrides what happens to the patient's own birth date, found through the hints (by
    /// default it follows the policy: kept by 仮名加工, year-month by 匿名加工). Records use it to
    /// treat the birth date in notes as their birth-date column.
    pub fn birth_date(mut self, action: DateAction) -> Self {
        self.birth_date = Some(action);
        self
    }

    /// Overrides the policy's age handling.
    pub fn ages(mut self, action: AgeAction) -> Self {
        self.ages = Some(action);
        self
    }

    /// Keeps facility and organisation names (hospitals, clinics) in the text.
    pub fn keep_facilities(mut self, keep: bool) -> Self {
        self.keep_facilities = keep;
        self
    }

    /// The language of placeholders; `Auto` decides per text.
    pub fn language(mut self, language: Language) -> Self {
        self.language = language;
        self
    }

    /// The placeholder of one type, in one language (`Auto`: both).
    pub fn placeholder(mut self, kind: PhiKind, language: Language, text: &str) -> Self {
        for ja in [true, false] {
            if language == Language::Auto || (language == Language::Ja) == ja {
                self.placeholders.insert((kind, ja), text.to_string());
            }
        }
        self
    }

    /// The project key, for surrogates and date shifting.
    pub fn key(mut self, key: &ProjectKey) -> Self {
        self.key = Some(key.clone());
        self
    }

    /// Replace with keyed surrogates instead of placeholders (needs [`RedactorBuilder::key`]).
    pub fn surrogates(mut self, on: bool) -> Self {
        self.surrogates = on;
        self
    }

    /// How far dates move (default: 1–52 whole weeks back, as for DICOM).
    pub fn shift_range(mut self, range: ShiftRange) -> Self {
        self.shift = range;
        self
    }

    pub fn build(self) -> Result<Redactor, TextPolicyError> {
        if self.surrogates && self.key.is_none() {
            return Err(TextPolicyError::SurrogatesWithoutKey);
        }
        let dates = self.dates.unwrap_or(match (self.policy, &self.key) {
            // With surrogates, "removed" dates become shifted surrogates (see `replacement`).
            (Policy::RedactAll, _) => DateAction::Remove,
            (Policy::Pseudonymized, _) => DateAction::Keep,
            (Policy::Anonymized, Some(_)) => DateAction::Shift,
            (Policy::Anonymized, None) => DateAction::YearMonth,
        });
        if (dates == DateAction::Shift || self.birth_date == Some(DateAction::Shift)) && self.key.is_none() {
            return Err(TextPolicyError::ShiftWithoutKey);
        }
        let ages = self.ages.unwrap_or(match self.policy {
            Policy::RedactAll => AgeAction::Remove,
            Policy::Pseudonymized => AgeAction::Keep,
            Policy::Anonymized => AgeAction::TopCode,
        });
        let surrogates = if self.surrogates { self.key.as_ref().map(Surrogates::new) } else { None };
        Ok(Redactor {
            inner: Arc::new(Settings {
                policy: self.policy,
                dates,
                birth_date: self.birth_date,
                ages,
                keep_facilities: self.keep_facilities,
                language: self.language,
                placeholders: self.placeholders,
                key: self.key,
                surrogates,
                shift: self.shift,
            }),
        })
    }
}

#[derive(Debug)]
struct Settings {
    policy: Policy,
    dates: DateAction,
    birth_date: Option<DateAction>,
    ages: AgeAction,
    keep_facilities: bool,
    language: Language,
    placeholders: HashMap<(PhiKind, bool), String>,
    key: Option<ProjectKey>,
    surrogates: Option<Surrogates>,
    shift: ShiftRange,
}

/// The effective settings, for processing reports (never the key, only its fingerprint).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedactorSummary {
    pub policy: Policy,
    pub dates: DateAction,
    pub ages: AgeAction,
    pub keep_facilities: bool,
    pub replacement: &'static str,
    pub key_fingerprint: Option<String>,
}

/// Finds and replaces identifiers under one policy. Build once, reuse for every note.
#[derive(Debug, Clone)]
pub struct Redactor {
    inner: Arc<Settings>,
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor::builder().build().unwrap_or_else(|_| unreachable!("the default policy needs no key"))
    }
}

/// How one span is to be treated.
enum Treatment {
    Keep,
    Replace,
    Shift,
    YearMonth,
    TopCode,
}

impl Redactor {
    pub fn builder() -> RedactorBuilder {
        RedactorBuilder::default()
    }

    pub fn summary(&self) -> RedactorSummary {
        let s = &self.inner;
        RedactorSummary {
            policy: s.policy,
            dates: s.dates,
            ages: s.ages,
            keep_facilities: s.keep_facilities,
            replacement: if s.surrogates.is_some() { "keyed-surrogates" } else { "placeholders" },
            key_fingerprint: s.key.as_ref().map(ProjectKey::fingerprint),
        }
    }

    /// Every identifier in `text`, the patient's own included (see [`super::find`]).
    pub fn find(&self, text: &str, patient: &Patient) -> Vec<Span> {
        super::find_for(text, Some(patient))
    }

    /// `text` redacted under the policy, no patient known.
    pub fn redact(&self, text: &str) -> Redaction {
        self.redact_for(text, &Patient::default())
    }

    /// `text`, a note of `patient`, redacted under the policy: the patient's own identifiers are
    /// found in every spelling, surrogates and date shifts are keyed by the patient's identity.
    pub fn redact_for(&self, text: &str, patient: &Patient) -> Redaction {
        let spans = self.find(text, patient);
        self.apply(text, spans, patient, self.is_japanese(text))
    }

    pub(crate) fn is_japanese(&self, text: &str) -> bool {
        match self.inner.language {
            Language::Auto => super::is_japanese(text),
            Language::Ja => true,
            Language::En => false,
        }
    }

    /// Replaces `spans` (sorted, not overlapping, char offsets into `text`).
    pub(crate) fn apply(&self, text: &str, spans: Vec<Span>, patient: &Patient, japanese: bool) -> Redaction {
        let mut out = String::with_capacity(text.len() + spans.len() * 8);
        let mut redacted = Vec::with_capacity(spans.len());
        let mut bytes = CharToByte { chars: text.chars(), char_idx: 0, byte_idx: 0 };
        let mut pos = 0usize;
        // The year of the last full date, for month-days without a year.
        let mut year: Option<i32> = None;
        for span in spans {
            let (s, e) = (bytes.at(span.start), bytes.at(span.end));
            if s < pos || e < s {
                continue;
            }
            let original = &text[s..e];
            out.push_str(&text[pos..s]);
            let after = &text[e..];
            let (replacement, action) = self.replacement(&span, original, after, patient, japanese, &mut year);
            out.push_str(&replacement);
            pos = e;
            redacted.push(RedactedSpan { span, action });
        }
        out.push_str(&text[pos..]);
        Redaction { text: out, spans: redacted }
    }

    fn treatment(&self, kind: PhiKind, rule: &str) -> Treatment {
        let s = &self.inner;
        let date_treatment = |action: DateAction| match action {
            DateAction::Keep => Treatment::Keep,
            DateAction::Remove => Treatment::Replace,
            DateAction::Shift => Treatment::Shift,
            DateAction::YearMonth => Treatment::YearMonth,
        };
        match kind {
            PhiKind::Date if rule == "hint-birth-date" && s.birth_date.is_some() => {
                date_treatment(s.birth_date.unwrap_or(s.dates))
            }
            // The birth date follows the DICOM presets: kept by 仮名加工, year-month by 匿名加工
            // (a shifted birth date would still pin the age at every visit to the week).
            PhiKind::Date
                if rule == "hint-birth-date" && s.policy == Policy::Anonymized && s.dates != DateAction::Keep =>
            {
                Treatment::YearMonth
            }
            PhiKind::Date => date_treatment(s.dates),
            PhiKind::Age => match s.ages {
                AgeAction::Keep => Treatment::Keep,
                AgeAction::Remove => Treatment::Replace,
                AgeAction::TopCode => Treatment::TopCode,
            },
            PhiKind::Facility if s.keep_facilities => Treatment::Keep,
            _ => Treatment::Replace,
        }
    }

    fn replacement(
        &self,
        span: &Span,
        original: &str,
        after: &str,
        patient: &Patient,
        ja: bool,
        year: &mut Option<i32>,
    ) -> (String, Action) {
        let placeholder = || (self.placeholder(span.kind, ja).to_string(), Action::Placeholder);
        match self.treatment(span.kind, span.rule) {
            Treatment::Keep => (original.to_string(), Action::Kept),
            // Surrogate mode under redact-all: a date becomes its shifted surrogate, or the
            // placeholder when no patient identity keys the shift.
            Treatment::Replace if span.kind == PhiKind::Date && self.inner.surrogates.is_some() => {
                self.shift(original, patient, year).filter(|(_, a)| *a == Action::Shifted).unwrap_or_else(placeholder)
            }
            Treatment::Replace => self.surrogate(span, original, patient, ja).unwrap_or_else(placeholder),
            Treatment::Shift => self.shift(original, patient, year).unwrap_or_else(placeholder),
            Treatment::YearMonth => {
                WrittenDate::parse(original).map(|d| (d.year_month(), Action::Coarsened)).unwrap_or_else(placeholder)
            }
            Treatment::TopCode => top_code(original, after, ja),
        }
    }

    /// The date moved by the patient's keyed offset; year-month when no patient identity keys it.
    fn shift(&self, original: &str, patient: &Patient, year: &mut Option<i32>) -> Option<(String, Action)> {
        let d = WrittenDate::parse(original)?;
        let context_year = *year;
        if d.year.is_some() {
            *year = d.year;
        }
        let (Some(key), Some(identity)) = (&self.inner.key, patient.identity()) else {
            return Some((d.year_month(), Action::Coarsened));
        };
        let shift = DateShift::for_patient(key, identity, self.inner.shift);
        Some((d.shifted_in(shift.days, context_year)?, Action::Shifted))
    }

    fn placeholder(&self, kind: PhiKind, ja: bool) -> &str {
        self.inner.placeholders.get(&(kind, ja)).map_or_else(|| kind.placeholder(ja), String::as_str)
    }

    fn surrogate(&self, span: &Span, original: &str, patient: &Patient, ja: bool) -> Option<(String, Action)> {
        let s = self.inner.surrogates.as_ref()?;
        let scope = patient.identity().unwrap_or("");
        use PhiKind::*;
        let text = match span.kind {
            Name => name_surrogate(s, scope, span.rule, original, patient, !ja),
            Email => s.email(scope, original),
            Url => s.url(scope, original),
            IpAddress => s.ip(scope, original),
            Address | Location | Facility => {
                let p = self.placeholder(span.kind, ja);
                let code = s.code(span.kind, scope, &canonical(original), 4);
                match p.strip_suffix(']') {
                    Some(open) => format!("{open}-{code}]"),
                    None => format!("{p}-{code}"),
                }
            }
            Date | Age => return None,
            _ => s.same_shape(span.kind, scope, original),
        };
        Some((text, Action::Surrogate))
    }
}

/// Char offsets → byte offsets, for increasing offsets, in one walk.
struct CharToByte<'a> {
    chars: std::str::Chars<'a>,
    char_idx: usize,
    byte_idx: usize,
}

impl CharToByte<'_> {
    fn at(&mut self, c: usize) -> usize {
        while self.char_idx < c {
            let Some(ch) = self.chars.next() else { break };
            self.byte_idx += ch.len_utf8();
            self.char_idx += 1;
        }
        self.byte_idx
    }
}

/// The form surrogates are keyed by: width-folded, kana as katakana, no spaces, upper case.
fn canonical(s: &str) -> String {
    super::hints::search_form(s)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '・')
        .collect::<String>()
        .to_ascii_uppercase()
}

fn name_surrogate(s: &Surrogates, scope: &str, rule: &str, original: &str, patient: &Patient, english: bool) -> String {
    let script = Script::of(original);
    let (family, given) = patient.name_parts();
    let part = |p: NamePart, canon: &str| s.name_part(scope, p, &canonical(canon), script, english);
    match rule {
        "hint-family-name" => return part(NamePart::Family, family.unwrap_or(original)),
        "hint-given-name" => return part(NamePart::Given, given.unwrap_or(original)),
        _ => {}
    }
    let seps = [' ', '\u{3000}', '・', ','];
    let parts: Vec<&str> = original.split(seps).filter(|p| !p.is_empty()).collect();
    let sep: String = original.chars().filter(|c| seps.contains(c)).collect();
    let latin = matches!(script, Script::Latin(_));
    if rule == "hint-name"
        && let (Some(f), Some(g)) = (family, given)
    {
        let (fs, gs) = (part(NamePart::Family, f), part(NamePart::Given, g));
        return match (latin, original.contains(',')) {
            (true, true) => format!("{fs}, {gs}"),
            (true, false)
                if parts.len() == 2 && canonical(parts[0]) != canonical(f) && canonical(parts[1]) == canonical(f) =>
            {
                format!("{gs} {fs}")
            }
            _ => format!("{fs}{}{gs}", if sep.is_empty() && parts.len() > 1 { " " } else { &sep }),
        };
    }
    match parts.as_slice() {
        [] => String::new(),
        [one] => {
            let n = one.chars().count();
            let whole = (script == Script::Kanji && n >= 3)
                || (matches!(script, Script::Katakana | Script::Hiragana) && n >= 5);
            if whole {
                format!("{}{}", part(NamePart::Family, &format!("F:{one}")), part(NamePart::Given, &format!("G:{one}")))
            } else {
                part(NamePart::Family, one)
            }
        }
        [first, .., last] => {
            let comma = original.contains(',');
            let given_first = latin && english && !comma;
            let (f, g) = if given_first { (*last, *first) } else { (*first, *last) };
            let (fs, gs) = (part(NamePart::Family, f), part(NamePart::Given, g));
            if comma {
                format!("{fs}, {gs}")
            } else if given_first {
                format!("{gs} {fs}")
            } else {
                let joint = if original.contains('\u{3000}') {
                    "\u{3000}"
                } else if original.contains('・') {
                    "・"
                } else {
                    " "
                };
                format!("{fs}{joint}{gs}")
            }
        }
    }
}

/// Ages over 89 → `90歳以上` / `90 or older` (`90+` before "-year-old"); others kept.
fn top_code(original: &str, after: &str, ja: bool) -> (String, Action) {
    let digits: String = original.chars().map(super::fold_width).filter(char::is_ascii_digit).collect();
    let Ok(age) = digits.parse::<u32>() else { return (original.to_string(), Action::Kept) };
    if age <= 89 {
        return (original.to_string(), Action::Kept);
    }
    let glued_unit = {
        let a = after.trim_start_matches(['-', ' ']).to_ascii_lowercase();
        a.starts_with("year") || a.starts_with("yr") || a.starts_with("y/o") || a.starts_with("yo")
    };
    let text = if original.contains(['歳', '才']) || (ja && !glued_unit) {
        "90歳以上"
    } else if glued_unit {
        "90+"
    } else {
        "90 or older"
    };
    (text.to_string(), Action::TopCoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::hints::PatientIdentifiers;

    const NOTE: &str = "患者：山田 太郎（ヤマダ タロウ）92歳。TEL 03-1234-5678。2024年3月5日に入院し、2024年3月19日に退院。紹介元：みどり台病院";

    fn key() -> ProjectKey {
        ProjectKey::from_bytes([3; 32])
    }

    fn patient() -> Patient {
        Patient::new(&PatientIdentifiers {
            patient_id: Some("P-77".into()),
            name: Some("山田 太郎".into()),
            kana: Some("ヤマダ タロウ".into()),
            ..Default::default()
        })
    }

    fn kinds_actions(r: &Redaction) -> Vec<(PhiKind, Action)> {
        r.spans.iter().map(|s| (s.kind, s.action)).collect()
    }

    #[test]
    fn default_replaces_everything_with_placeholders() {
        let r = Redactor::default().redact(NOTE);
        assert!(r.text.starts_with("患者：[氏名]（[氏名]）[年齢]。TEL [電話番号]。[日付]に入院"), "{}", r.text);
        assert!(r.text.ends_with("紹介元：[施設名]"), "{}", r.text);
        assert!(r.spans.iter().all(|s| s.action == Action::Placeholder));
        assert_eq!(super::super::redact(NOTE), r, "redact() is the default redactor");
    }

    #[test]
    fn pseudonymized_keeps_dates_and_ages_and_optionally_facilities() {
        let r = Redactor::builder()
            .policy(Policy::Pseudonymized)
            .keep_facilities(true)
            .build()
            .expect("valid")
            .redact(NOTE);
        assert!(
            r.text.contains("92歳") && r.text.contains("2024年3月5日") && r.text.contains("みどり台病院"),
            "{}",
            r.text
        );
        assert!(!r.text.contains("山田") && !r.text.contains("03-1234"), "{}", r.text);
        assert!(kinds_actions(&r).contains(&(PhiKind::Date, Action::Kept)));
    }

    #[test]
    fn anonymized_without_key_coarsens_dates_and_top_codes_ages() {
        let r = Redactor::builder().policy(Policy::Anonymized).build().expect("valid").redact(NOTE);
        assert!(r.text.contains("90歳以上。"), "{}", r.text);
        assert!(r.text.contains("2024年3月に入院し、2024年3月に退院"), "{}", r.text);
        let en = Redactor::builder().policy(Policy::Anonymized).build().expect("valid");
        assert_eq!(en.redact("A 93-year-old man.").text, "A 90+-year-old man.");
        assert_eq!(en.redact("Age: 95. Aged 41").text, "Age: 90 or older. Aged 41");
    }

    #[test]
    fn anonymized_with_key_shifts_dates_per_patient_keeping_intervals() {
        let r = Redactor::builder().policy(Policy::Anonymized).key(&key()).build().expect("valid");
        let out = r.redact_for(NOTE, &patient());
        let dates: Vec<&RedactedSpan> = out.spans.iter().filter(|s| s.kind == PhiKind::Date).collect();
        assert!(dates.iter().all(|s| s.action == Action::Shifted), "{out:?}");
        let shift = DateShift::for_patient(&key(), "P-77", ShiftRange::default());
        let first = WrittenDate::parse("2024年3月5日").and_then(|d| d.shifted(shift.days)).expect("a date");
        let second = WrittenDate::parse("2024年3月19日").and_then(|d| d.shifted(shift.days)).expect("a date");
        assert!(out.text.contains(&format!("{first}に入院し、{second}に退院")), "{}", out.text);
        assert!(!out.text.contains("2024年3月5日"));
        let born = Patient::new(&PatientIdentifiers {
            patient_id: Some("P-77".into()),
            birth_date: Some("1931-02-03".into()),
            ..Default::default()
        });
        assert_eq!(
            r.redact_for("生年月日 昭和6年2月3日", &born).text,
            "生年月日 昭和6年2月",
            "birth date → year-month"
        );
        let md = r.redact_for("2024年3月5日入院、3月19日退院", &patient()).text;
        let second_md =
            WrittenDate::parse("3月19日").and_then(|d| d.shifted_in(shift.days, Some(2024))).expect("a date");
        assert_eq!(md, format!("{first}入院、{second_md}退院"), "a month-day takes the year of the date before it");
        let other = r.redact_for(NOTE, &Patient::with_identity("P-78"));
        assert_ne!(other.text, out.text, "another patient, another offset");
    }

    #[test]
    fn surrogates_are_consistent_and_follow_the_script() {
        let r = Redactor::builder().surrogates(true).key(&key()).build().expect("valid");
        let p = patient();
        let out = r.redact_for("山田 太郎さん。ヤマダ タロウ。山田さんのTEL 03-1234-5678、再掲 03-1234-5678", &p);
        let texts: Vec<&str> = out.text.split(['。', '、']).collect();
        let full = texts[0].trim_end_matches("さん");
        let (fam, giv) = full.split_once(' ').expect("family and given");
        assert!(!full.contains("山田") && !full.contains("太郎"));
        assert!(texts[2].starts_with(&format!("{fam}さん")), "family alone → the same surrogate: {}", out.text);
        assert!(
            texts[1].chars().all(|c| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | ' ')),
            "reading in katakana: {}",
            texts[1]
        );
        let phones: Vec<&str> = out.text.matches(|c: char| c.is_ascii_digit() || c == '-').collect();
        assert!(!phones.is_empty());
        let tel: Vec<&str> = out.text.split("TEL ").nth(1).map(|t| t.split('、').collect()).unwrap_or_default();
        assert_eq!(tel[0], out.text.rsplit("再掲 ").next().unwrap_or(""), "same number → same surrogate");
        assert!(!giv.is_empty());
        assert!(out.spans.iter().all(|s| s.action == Action::Surrogate));
    }

    #[test]
    fn placeholders_are_configurable_per_type_and_language() {
        let r = Redactor::builder()
            .placeholder(PhiKind::Name, Language::Ja, "＊＊")
            .placeholder(PhiKind::Phone, Language::Auto, "<TEL>")
            .build()
            .expect("valid");
        assert_eq!(r.redact("山田太郎様 TEL 03-1234-5678").text, "＊＊様 TEL <TEL>");
        assert_eq!(r.redact("Patient: Laura Bennett, phone 555-867-5309").text, "Patient: [NAME], phone <TEL>");
        let en = Redactor::builder().language(Language::En).build().expect("valid");
        assert_eq!(en.redact("TEL 03-1234-5678").text, "TEL [PHONE]");
    }

    #[test]
    fn overrides_and_shift_range() {
        let r = Redactor::builder()
            .policy(Policy::Pseudonymized)
            .dates(DateAction::YearMonth)
            .ages(AgeAction::Remove)
            .build()
            .expect("valid");
        assert_eq!(r.redact("2024年3月5日 45歳").text, "2024年3月 [年齢]");
        let two_weeks = ShiftRange { min_weeks: 2, max_weeks: 2, shift_time_of_day: false };
        let r = Redactor::builder().dates(DateAction::Shift).key(&key()).shift_range(two_weeks).build().expect("valid");
        assert_eq!(r.redact_for("2024/03/19", &Patient::with_identity("x")).text, "2024/03/05");
        assert_eq!(r.redact("2024/03/19").text, "2024/03", "no patient identity: year-month, never a shared offset");
        let s = Redactor::builder().surrogates(true).key(&key()).build().expect("valid");
        assert_eq!(
            s.redact("受診 2024/03/19").text,
            "受診 [日付]",
            "redact-all surrogates without a patient: placeholder"
        );
        assert_eq!(s.summary().replacement, "keyed-surrogates");
        assert_eq!(s.summary().key_fingerprint, Some(key().fingerprint()));
    }

    #[test]
    fn builder_refuses_what_cannot_work() {
        assert_eq!(Redactor::builder().surrogates(true).build().err(), Some(TextPolicyError::SurrogatesWithoutKey));
        assert_eq!(Redactor::builder().dates(DateAction::Shift).build().err(), Some(TextPolicyError::ShiftWithoutKey));
        assert_eq!("NAME".parse::<PhiKind>(), Ok(PhiKind::Name));
        assert_eq!("postal-code".parse::<PhiKind>(), Ok(PhiKind::PostalCode));
        assert!("NOPE".parse::<PhiKind>().is_err());
        for k in PhiKind::ALL {
            let json = format!("{:?}", serde_json::to_string(&k).expect("serialises"));
            assert!(json.contains(k.name()), "{json} vs {}", k.name());
        }
        assert_eq!("anonymized".parse::<Policy>(), Ok(Policy::Anonymized));
    }

    #[test]
    fn the_record_patient_is_found_without_context() {
        let r = Redactor::default();
        let note = "ﾔﾏﾀﾞ ﾀﾛｳ 昭和45年3月15日生";
        let p = Patient::new(&PatientIdentifiers {
            name: Some("山田 太郎".into()),
            kana: Some("ヤマダ タロウ".into()),
            birth_date: Some("1970-03-15".into()),
            ..Default::default()
        });
        let out = r.redact_for(note, &p);
        assert_eq!(out.text, "[氏名] [日付]生", "{out:?}");
        assert!(out.spans.iter().all(|s| s.rule.starts_with("hint-") && s.confidence == 1.0));
    }

    #[test]
    fn odd_text_never_fails_under_any_policy() {
        let p = patient();
        let redactors = [
            Redactor::default(),
            Redactor::builder().policy(Policy::Anonymized).key(&key()).surrogates(true).build().expect("valid"),
            Redactor::builder().policy(Policy::Pseudonymized).build().expect("valid"),
        ];
        let texts = [
            String::new(),
            "\u{0}\u{1}\u{7f}\u{202e}山田\u{200d}太郎\u{0301}".to_string(),
            "🙂 03-1234-5678 🙂 Dr. Smith 𠮷野 令和99年13月40日 R0.0.0 ９９９歳 Age: 999".to_string(),
            "9".repeat(20_000),
            "山田 ".repeat(5_000),
            "\r\n\t 〒 TEL: 様 さん Dr. , , ,".to_string(),
        ];
        for r in &redactors {
            for t in &texts {
                let out = r.redact_for(t, &p);
                let n = t.chars().count();
                assert!(out.spans.iter().all(|s| s.start <= s.end && s.end <= n), "{t:?}");
                assert!(out.spans.windows(2).all(|w| w[0].end <= w[1].start));
            }
        }
    }

    #[test]
    fn redactor_is_cheap_to_share_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        fn assert_clone<T: Clone>() {}
        assert_send_sync::<Redactor>();
        assert_clone::<Redactor>();
        assert_send_sync::<Patient>();
    }
}
