//! Free-text redaction: finding identifiers in clinical notes, Japanese first and English too.
//!
//! Recognisers (issue 3, in progress): [`rules`] for identifiers with a recognisable shape —
//! contact details, numbers with check digits, dates in Western and Japanese-era forms, ages,
//! numbers introduced by a label, addresses and facilities — [`places`] for Japanese place names
//! (a 総務省 municipality gazetteer) and [`names`] for person names (IPADIC and US Census name
//! lists plus honorific, title, role and family contexts).
//!
//! Spans carry offsets in Unicode scalar values (Rust `chars()`, Python `str`) and in UTF-16
//! code units (JavaScript), so every surface can use them directly.
//!
//! What happens to what is found is the [`policy`]'s business: [`redact`] is the simplest
//! default (every span → a typed placeholder); a [`Redactor`] built once applies a policy
//! (仮名加工 / 匿名加工), configurable placeholders or keyed surrogates, and the record's own
//! patient identifiers ([`hints`]); [`StreamRedactor`] does the same on text of any size.
//!
//! ```
//! use kakou_sdk::text::{Patient, PatientIdentifiers, Policy, Redactor};
//! let redactor = Redactor::builder().policy(Policy::Pseudonymized).build()?;
//! let patient = Patient::new(&PatientIdentifiers { name: Some("山田 太郎".into()), ..Default::default() });
//! let out = redactor.redact_for("ﾔﾏﾀﾞ ﾀﾛｳ、山田さん 2024年3月5日 入院", &patient);
//! assert_eq!(out.text, "[氏名]、[氏名]さん 2024年3月5日 入院");
//! # Ok::<(), kakou_sdk::text::TextPolicyError>(())
//! ```

pub mod checks;
pub mod dictionaries;
pub mod hints;
mod names;
mod places;
pub mod policy;
mod rules;
pub mod stream;
mod surrogate;
mod written_date;

pub use hints::{Patient, PatientIdentifiers};
pub use policy::{
    Action, AgeAction, DateAction, Language, Policy, RedactedSpan, Redaction, Redactor, RedactorBuilder,
    RedactorSummary, TextPolicyError,
};
pub use stream::StreamRedactor;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The identifier types of the project's taxonomy (../shared/data/text-dev/TAXONOMY.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PhiKind {
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
}

impl PhiKind {
    /// The default placeholder, in the language of the text.
    pub fn placeholder(self, japanese: bool) -> &'static str {
        use PhiKind::*;
        match (self, japanese) {
            (Name, true) => "[氏名]",
            (Date, true) => "[日付]",
            (Age, true) => "[年齢]",
            (Address | Location, true) => "[住所]",
            (PostalCode, true) => "[郵便番号]",
            (Phone, true) => "[電話番号]",
            (Email, true) => "[メール]",
            (Url, true) => "[URL]",
            (IpAddress, true) => "[IPアドレス]",
            (MyNumber, true) => "[個人番号]",
            (InsuranceId, true) => "[保険番号]",
            (PatientId | RecordId | OtherId, true) => "[ID]",
            (Passport, true) => "[旅券番号]",
            (DriverLicense, true) => "[免許証番号]",
            (PensionNo, true) => "[年金番号]",
            (CreditCard, true) => "[カード番号]",
            (BankAccount, true) => "[口座番号]",
            (Ssn, true) => "[SSN]",
            (Facility, true) => "[施設名]",
            (Name, false) => "[NAME]",
            (Date, false) => "[DATE]",
            (Age, false) => "[AGE]",
            (Address | Location, false) => "[ADDRESS]",
            (PostalCode, false) => "[ZIP]",
            (Phone, false) => "[PHONE]",
            (Email, false) => "[EMAIL]",
            (Url, false) => "[URL]",
            (IpAddress, false) => "[IP]",
            (MyNumber | Ssn, false) => "[NATIONAL-ID]",
            (InsuranceId, false) => "[INSURANCE-ID]",
            (PatientId | RecordId | OtherId, false) => "[ID]",
            (Passport, false) => "[PASSPORT]",
            (DriverLicense, false) => "[LICENSE]",
            (PensionNo, false) => "[PENSION-NO]",
            (CreditCard, false) => "[CARD]",
            (BankAccount, false) => "[ACCOUNT]",
            (Facility, false) => "[FACILITY]",
        }
    }
}

/// One identifier found in a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    /// Offsets in Unicode scalar values, end exclusive.
    pub start: usize,
    pub end: usize,
    /// Offsets in UTF-16 code units (JavaScript strings), end exclusive.
    pub start_utf16: usize,
    pub end_utf16: usize,
    #[serde(rename = "type")]
    pub kind: PhiKind,
    pub confidence: f32,
    /// The rule that found it.
    pub rule: &'static str,
}

fn compiled() -> &'static [rules::Rule] {
    static RULES: OnceLock<Vec<rules::Rule>> = OnceLock::new();
    RULES.get_or_init(rules::all)
}

/// Whether the text is Japanese (any kana or kanji), for placeholders.
pub fn is_japanese(text: &str) -> bool {
    text.chars().any(|c| matches!(c, '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}'))
}

/// Full-width ASCII, ideographic space and dash variants folded to ASCII, one char for one char,
/// so that char offsets in the folded text are offsets in the original. The katakana long vowel
/// mark (ー, ｰ) is a dash only between digits (０３ー１２３４): elsewhere it is part of a word
/// (カード) and must stay.
fn fold(text: &str) -> String {
    let chars: Vec<char> = text.chars().map(fold_width).collect();
    let digit = |i: Option<&char>| i.is_some_and(|c| c.is_ascii_digit());
    (0..chars.len())
        .map(|i| match chars[i] {
            '\u{30FC}' | '\u{FF70}'
                if digit(i.checked_sub(1).and_then(|p| chars.get(p))) && digit(chars.get(i + 1)) =>
            {
                '-'
            }
            c => c,
        })
        .collect()
}

fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        _ => c,
    }
}

/// Every identifier the pattern rules find, without overlaps (the longer match wins, then the
/// earlier rule), sorted by position.
pub fn find(text: &str) -> Vec<Span> {
    find_for(text, None)
}

/// [`find`], plus every occurrence of `patient`'s own identifiers in every spelling (the
/// record's hints: DICOM cleaning uses it for cleaned text).
pub fn find_with_patient(text: &str, patient: &Patient) -> Vec<Span> {
    find_for(text, Some(patient))
}

/// [`find`], plus every occurrence of the patient's own identifiers, which win ties.
pub(crate) fn find_for(text: &str, patient: Option<&Patient>) -> Vec<Span> {
    let folded = fold(text);
    let mut found: Vec<Found> = Vec::new();
    if let Some(p) = patient {
        for m in p.find(&folded) {
            found.push(Found { start: m.start, end: m.end, source: Source::Hint(m.kind), confidence: 1.0 });
        }
    }
    for (i, rule) in compiled().iter().enumerate() {
        for caps in rule.regex.captures_iter(&folded) {
            let Some(v) = caps.name("v") else { continue };
            let (s, e) = (v.start(), v.end());
            let before = folded[..s].chars().next_back();
            let after = folded[e..].chars().next();
            let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
            let starts_digit = v.as_str().starts_with(|c: char| c.is_ascii_digit());
            let ends_digit = v.as_str().ends_with(|c: char| c.is_ascii_digit());
            if (starts_digit && glued(before)) || (ends_digit && glued(after)) {
                continue;
            }
            if rules::passes(rule.check, v.as_str()) {
                found.push(Found { start: s, end: e, source: Source::Rule(i), confidence: rule.confidence });
            }
        }
    }
    for (s, e, confidence) in names::find_names(text, &folded) {
        found.push(Found { start: s, end: e, source: Source::Name, confidence });
    }
    for (s, e, confidence) in places::find_places(&folded) {
        found.push(Found { start: s, end: e, source: Source::Place, confidence });
    }
    // Longer spans win; on equal extent, the patient's identifiers, then pattern rules (in their
    // order), then names, then places.
    found.sort_by(|a, b| {
        (b.end - b.start).cmp(&(a.end - a.start)).then(a.source.cmp(&b.source)).then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Found> = Vec::new();
    for f in found {
        if kept.iter().all(|k| f.end <= k.start || f.start >= k.end) {
            kept.push(f);
        }
    }
    kept.sort_by_key(|f| f.start);
    to_spans(&folded, &kept)
}

/// Which recogniser found a candidate span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Hint(hints::HintKind),
    Rule(usize),
    Name,
    Place,
}

/// A candidate span, in byte offsets of the folded text.
struct Found {
    start: usize,
    end: usize,
    source: Source,
    confidence: f32,
}

fn to_spans(folded: &str, kept: &[Found]) -> Vec<Span> {
    let rules = compiled();
    // byte offset → (char offset, utf16 offset), walked once.
    let mut out = Vec::with_capacity(kept.len());
    let (mut chars, mut units, mut byte) = (0usize, 0usize, 0usize);
    let mut it = folded.char_indices().peekable();
    let mut advance_to = |target: usize, chars: &mut usize, units: &mut usize, byte: &mut usize| {
        while *byte < target {
            match it.next() {
                Some((_, c)) => {
                    *byte += c.len_utf8();
                    *chars += 1;
                    *units += c.len_utf16();
                }
                None => break,
            }
        }
    };
    for f in kept {
        advance_to(f.start, &mut chars, &mut units, &mut byte);
        let (start, start_utf16) = (chars, units);
        advance_to(f.end, &mut chars, &mut units, &mut byte);
        let (kind, rule) = match f.source {
            Source::Hint(h) => h.span_kind(),
            Source::Rule(i) => (rules[i].kind, rules[i].name),
            Source::Name => (PhiKind::Name, "name"),
            Source::Place => (PhiKind::Location, "place-ja"),
        };
        out.push(Span { start, end: chars, start_utf16, end_utf16: units, kind, confidence: f.confidence, rule });
    }
    out
}

/// `text` with every span found replaced by its typed placeholder (the default [`Redactor`]).
pub fn redact(text: &str) -> Redaction {
    static DEFAULT: OnceLock<Redactor> = OnceLock::new();
    DEFAULT.get_or_init(Redactor::default).redact(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(String, PhiKind)> {
        let chars: Vec<char> = text.chars().collect();
        find(text).into_iter().map(|s| (chars[s.start..s.end].iter().collect(), s.kind)).collect()
    }

    #[test]
    fn every_rule_compiles() {
        let defined = include_str!("rules.rs").matches("\n        rule(\"").count();
        assert!(defined > 30);
        assert_eq!(compiled().len(), defined, "a rule's pattern does not compile");
    }

    #[test]
    fn japanese_contacts_in_any_width() {
        let k = kinds("〒100-0014 TEL ０３－３５８１－０１０１ 携帯090-1234-5678 mail: taro@example.jp");
        assert!(k.contains(&("100-0014".into(), PhiKind::PostalCode)), "{k:?}");
        assert!(k.contains(&("０３－３５８１－０１０１".into(), PhiKind::Phone)), "{k:?}");
        assert!(k.contains(&("090-1234-5678".into(), PhiKind::Phone)), "{k:?}");
        assert!(k.contains(&("taro@example.jp".into(), PhiKind::Email)), "{k:?}");
    }

    #[test]
    fn numbers_need_their_check_digit() {
        let k = kinds("個人番号 1234 5678 9018、カード 4111-1111-1111-1111、別 1234 5678 9012");
        assert!(k.contains(&("1234 5678 9018".into(), PhiKind::MyNumber)), "{k:?}");
        assert!(k.contains(&("4111-1111-1111-1111".into(), PhiKind::CreditCard)), "{k:?}");
        assert!(!k.iter().any(|(v, _)| v == "1234 5678 9012"), "{k:?}");
    }

    #[test]
    fn dates_in_era_and_western_forms() {
        for d in [
            "令和6年3月5日",
            "R6.3.5",
            "H31/4/30",
            "2024/03/05",
            "2024年3月5日",
            "3月5日",
            "Mar 5, 2024",
            "10/31/1955",
            "昭和45年",
        ] {
            let k = kinds(&format!("受診日 {d} に来院"));
            assert!(k.iter().any(|(v, t)| v == d && *t == PhiKind::Date), "{d}: {k:?}");
        }
    }

    #[test]
    fn redacted_text_scanned_again_finds_nothing() {
        let once = redact("被保険者証 記号：12-34 番号：5678 枝番：01").text;
        assert!(once.contains("記号：[保険番号]"), "{once}");
        assert!(kinds(&once).is_empty(), "{once}: {:?}", kinds(&once));
    }

    #[test]
    fn look_alikes_are_left_alone() {
        for decoy in ["BP 142/57", "K 3.5-5.1 mmol/L", "1-0-1 毎食後", "E11.65", "098-112-135", "Gleason 3+4=7"] {
            let k = kinds(decoy);
            assert!(k.is_empty(), "{decoy}: {k:?}");
        }
    }

    #[test]
    fn labelled_identifiers_keep_the_label_outside() {
        let k = kinds(
            "MRN: 85897718 患者ID：0012345678 保険者番号 06139876 記号 千代田12 番号 345 旅券番号 TK1234567 運転免許証（番号 701641334384）在留カード番号 VX59176007GL Age: 44 Case: SP-24-04438",
        );
        assert!(k.contains(&("85897718".into(), PhiKind::PatientId)), "{k:?}");
        assert!(k.contains(&("0012345678".into(), PhiKind::PatientId)), "{k:?}");
        assert!(k.contains(&("06139876".into(), PhiKind::InsuranceId)), "{k:?}");
        assert!(k.contains(&("千代田12".into(), PhiKind::InsuranceId)), "{k:?}");
        assert!(k.contains(&("345".into(), PhiKind::InsuranceId)), "{k:?}");
        assert!(k.contains(&("TK1234567".into(), PhiKind::Passport)), "{k:?}");
        assert!(k.contains(&("701641334384".into(), PhiKind::DriverLicense)), "{k:?}");
        assert!(k.contains(&("VX59176007GL".into(), PhiKind::OtherId)), "{k:?}");
        assert!(k.contains(&("44".into(), PhiKind::Age)), "{k:?}");
        assert!(k.contains(&("SP-24-04438".into(), PhiKind::RecordId)), "{k:?}");
    }

    #[test]
    fn addresses_locations_and_facilities() {
        let k = kinds(
            "住所：神奈川県横浜市中区山下町2丁目5番7号 山下ハイツ 305号室。紹介元：医療法人緑会 みどり台病院、かかりつけの佐々木内科クリニック",
        );
        assert!(
            k.contains(&("神奈川県横浜市中区山下町2丁目5番7号 山下ハイツ 305号室".into(), PhiKind::Address)),
            "{k:?}"
        );
        assert!(k.contains(&("医療法人緑会 みどり台病院".into(), PhiKind::Facility)), "{k:?}");
        assert!(k.contains(&("佐々木内科クリニック".into(), PhiKind::Facility)), "{k:?}");
        let k = kinds("He lives at 42 Maple Ridge Apt. 3, Fairview, OR 97024. Seen at Fairview General Hospital.");
        assert!(k.contains(&("42 Maple Ridge Apt. 3".into(), PhiKind::Address)), "{k:?}");
        assert!(k.contains(&("Fairview".into(), PhiKind::Location)), "{k:?}");
        assert!(k.contains(&("Fairview General Hospital".into(), PhiKind::Facility)), "{k:?}");
        assert!(kinds("病院を受診した。近くのクリニックへ").is_empty(), "generic facility words are not names");
    }

    #[test]
    fn offsets_in_chars_and_utf16() {
        let text = "𠮷野 TEL 03-1234-5678";
        let s = &find(text)[0];
        assert_eq!((s.start, s.end), (7, 19));
        assert_eq!((s.start_utf16, s.end_utf16), (8, 20), "𠮷 is two UTF-16 units");
        assert_eq!(redact(text).text, "𠮷野 TEL [電話番号]");
    }

    #[test]
    fn odd_text_never_fails() {
        for t in ["", "\u{0}\u{1}\u{7f}", "ＡＢＣ１２３", "🙂🙂🙂 03-1234-5678 🙂", &"9".repeat(10_000)] {
            let r = redact(t);
            assert!(r.spans.iter().all(|s| s.start <= s.end && s.end <= t.chars().count()));
        }
    }
}
