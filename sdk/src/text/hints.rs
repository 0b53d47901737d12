//! The record's own patient: identifiers passed in from the structured record, found in that
//! patient's notes in every spelling people use.
//!
//! A recogniser guesses; a hint *knows*. The patient's name, reading, IDs, phone numbers, address
//! and birth date come with the record (an HL7 PID segment, a CSV row, DICOM attributes), and
//! every occurrence of them in that patient's notes is an identifier whatever the context. Notes
//! write them differently from the record, so each value is expanded into the variants seen in
//! practice and all of them are searched at once with the Aho–Corasick matcher of
//! [`crate::scrub`] (the one DICOM cleaning uses):
//!
//! * names: family and given name joined with no space, a space or `・`, each part alone, romaji
//!   in both orders and `FAMILY, Given`; readings in katakana, hiragana and half-width katakana;
//!   old and new forms of common name kanji (髙/高, 﨑/崎, 邊/邉/辺…);
//! * birth date: `19700315`, `1970/03/15`, `1970/3/15` (also `-` and `.`), `1970年3月15日`, the
//!   Japanese era (`昭和45年3月15日`, `S45.3.15`), `3/15/1970`, `March 15, 1970`, `15 Mar 1970`;
//! * phone numbers with any of the usual separators or none; IDs with and without hyphens or
//!   leading zeros; the address with and without spaces, its prefecture, or `丁目/番/号`.
//!
//! The text is searched after the same width folding as the recognisers use, plus hiragana →
//! katakana and old → new kanji forms, all one character for one character of the same UTF-8
//! length, so match offsets are offsets in the folded text.

use serde::Deserialize;

use super::PhiKind;
use crate::scrub::{IdentifierSet, KnownIdentifiers};

/// The identifiers of one patient, as a structured record gives them (JSON: the field names
/// below; every field is optional). Names are family name first, parts separated by a space,
/// `^` (DICOM) or an ideographic space.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PatientIdentifiers {
    /// The patient ID of the record: also the identity that keys surrogates and the date shift.
    pub patient_id: Option<String>,
    /// The name in the record's script (`山田 太郎`, `Yamada^Taro`).
    pub name: Option<String>,
    /// The reading (`ヤマダ タロウ`, hiragana or half-width also accepted).
    pub kana: Option<String>,
    /// Other names: romaji, maiden name, aliases (`YAMADA TARO`).
    pub other_names: Vec<String>,
    /// Birth date: `1970-03-15`, `19700315`, `1970/3/15`, `昭和45年3月15日`.
    pub birth_date: Option<String>,
    pub address: Option<String>,
    pub phones: Vec<String>,
    /// Other identifiers: insurance numbers, other hospitals' IDs, マイナンバー.
    pub ids: Vec<String>,
    pub emails: Vec<String>,
}

/// What a hint value is, carried as the matcher's tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u32)]
pub(crate) enum HintKind {
    FullName = 1,
    FamilyName = 2,
    GivenName = 3,
    Id = 4,
    Phone = 5,
    BirthDate = 6,
    Address = 7,
    Email = 8,
}

impl HintKind {
    fn from_tag(tag: u32) -> Option<HintKind> {
        use HintKind::*;
        [FullName, FamilyName, GivenName, Id, Phone, BirthDate, Address, Email].into_iter().find(|k| *k as u32 == tag)
    }

    /// The span type and rule name of a match.
    pub(crate) fn span_kind(self) -> (PhiKind, &'static str) {
        match self {
            HintKind::FullName => (PhiKind::Name, "hint-name"),
            HintKind::FamilyName => (PhiKind::Name, "hint-family-name"),
            HintKind::GivenName => (PhiKind::Name, "hint-given-name"),
            HintKind::Id => (PhiKind::PatientId, "hint-id"),
            HintKind::Phone => (PhiKind::Phone, "hint-phone"),
            HintKind::BirthDate => (PhiKind::Date, "hint-birth-date"),
            HintKind::Address => (PhiKind::Address, "hint-address"),
            HintKind::Email => (PhiKind::Email, "hint-email"),
        }
    }
}

/// One patient's identifiers, compiled for searching. Build it once per patient and pass it with
/// each of that patient's notes; [`Patient::default`] is "no patient known".
#[derive(Debug, Default)]
pub struct Patient {
    identity: Option<String>,
    family: Option<String>,
    given: Option<String>,
    known: Option<KnownIdentifiers>,
    values: usize,
}

/// A match of a patient identifier: byte offsets in the folded text.
pub(crate) struct HintMatch {
    pub start: usize,
    pub end: usize,
    pub kind: HintKind,
}

impl Patient {
    /// Only an identity (for instance a patient ID or a pseudonym) that keys surrogates and the
    /// per-patient date shift, without identifiers to search for.
    pub fn with_identity(identity: &str) -> Patient {
        Patient { identity: Some(identity.to_string()), ..Patient::default() }
    }

    /// Compiles the patient's identifiers into one matcher of all their variants.
    pub fn new(ids: &PatientIdentifiers) -> Patient {
        Patient::with_addresses(ids, &[])
    }

    /// [`Patient::new`], plus more addresses (or parts of one: a street line, a town) searched
    /// in the same spellings: a record (HL7 PID-11 and NK1-4, FHIR `address`) may hold several.
    pub(crate) fn with_addresses(ids: &PatientIdentifiers, more_addresses: &[String]) -> Patient {
        let mut set = IdentifierSet::default();
        let split = |n: &str| -> Vec<String> {
            n.split(['^', ' ', '\u{3000}', ',']).map(str::trim).filter(|p| !p.is_empty()).map(String::from).collect()
        };
        let mut family = None;
        let mut given = None;
        if let Some(name) = &ids.name {
            let parts = split(name);
            family = parts.first().cloned();
            given = parts.get(1).cloned();
            add_name(&mut set, &parts);
        }
        if let Some(kana) = &ids.kana {
            let parts: Vec<String> = split(kana).iter().map(|p| to_katakana(p)).collect();
            add_name(&mut set, &parts);
            let half: Vec<String> = parts.iter().map(|p| half_width_katakana(p)).collect();
            add_name(&mut set, &half);
        }
        for other in &ids.other_names {
            add_name(&mut set, &split(other));
        }
        if let Some(dob) = &ids.birth_date {
            for v in birth_date_variants(dob) {
                set.add_tagged(&v, 4, HintKind::BirthDate as u32);
            }
        }
        for phone in &ids.phones {
            for v in phone_variants(phone) {
                set.add_tagged(&v, 6, HintKind::Phone as u32);
            }
        }
        for id in ids.patient_id.iter().chain(&ids.ids) {
            for v in id_variants(id) {
                set.add_tagged(&v, 4, HintKind::Id as u32);
            }
        }
        for addr in ids.address.iter().chain(more_addresses) {
            for v in address_variants(addr) {
                set.add_tagged(&v, 6, HintKind::Address as u32);
            }
        }
        for e in &ids.emails {
            set.add_tagged(e, 6, HintKind::Email as u32);
        }
        let identity = ids.patient_id.clone().or_else(|| {
            let name = ids.name.as_deref().map(|n| search_form(&split(n).concat()))?;
            Some(format!("{name}|{}", ids.birth_date.as_deref().unwrap_or("")))
        });
        let known = set.build(&[]);
        let values = known.len();
        Patient { identity, family, given, known: Some(known), values }
    }

    /// The identity that keys this patient's surrogates and date shift, if any.
    pub fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }

    /// How many spellings are searched for.
    pub fn variants(&self) -> usize {
        self.values
    }

    /// The record's family and given name (the canonical form surrogates are keyed by).
    pub(crate) fn name_parts(&self) -> (Option<&str>, Option<&str>) {
        (self.family.as_deref(), self.given.as_deref())
    }

    /// Every occurrence in `folded` (the width-folded text).
    pub(crate) fn find(&self, folded: &str) -> Vec<HintMatch> {
        let Some(known) = &self.known else { return Vec::new() };
        if known.is_empty() {
            return Vec::new();
        }
        let text = search_form(folded);
        known
            .find(&text)
            .into_iter()
            .filter_map(|m| Some(HintMatch { start: m.start, end: m.end, kind: HintKind::from_tag(m.tag)? }))
            .collect()
    }
}

/// Name parts (family first) in every joining people write.
fn add_name(set: &mut IdentifierSet, parts: &[String]) {
    let parts: Vec<String> = parts.iter().map(|p| search_form(p)).collect();
    let full = HintKind::FullName as u32;
    match parts.as_slice() {
        [] => {}
        [only] => set.add_tagged(only, 3, full),
        [family, given, ..] => {
            for sep in ["", " ", "  ", "・"] {
                set.add_tagged(&format!("{family}{sep}{given}"), 4, full);
            }
            if family.is_ascii() {
                set.add_tagged(&format!("{given} {family}"), 4, full);
                set.add_tagged(&format!("{family}, {given}"), 4, full);
                set.add_tagged(&format!("{family},{given}"), 4, full);
            }
            set.add_tagged(family, 3, HintKind::FamilyName as u32);
            set.add_tagged(given, 3, HintKind::GivenName as u32);
        }
    }
}

/// The form both the text and the values are searched in: width-folded, hiragana as katakana,
/// old kanji forms as new ones. One char for one char, same UTF-8 length.
pub(crate) fn search_form(s: &str) -> String {
    s.chars()
        .map(|c| {
            let c = super::fold_width(c);
            match c {
                '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
                _ => new_kanji(c),
            }
        })
        .collect()
}

/// Old (旧字体) and variant forms of kanji common in names → the form in everyday use. Only
/// pairs of the same UTF-8 length, so offsets do not move.
fn new_kanji(c: char) -> char {
    match c {
        '髙' => '高',
        '﨑' | '嵜' => '崎',
        '邊' | '邉' => '辺',
        '澤' => '沢',
        '齋' | '齊' => '斎',
        '濱' => '浜',
        '嶋' => '島',
        '櫻' => '桜',
        '廣' => '広',
        '國' => '国',
        '龍' => '竜',
        '惠' => '恵',
        '德' => '徳',
        '實' => '実',
        '藏' => '蔵',
        '眞' => '真',
        '籠' => '篭',
        '冨' => '富',
        '峯' => '峰',
        _ => c,
    }
}

fn to_katakana(s: &str) -> String {
    s.chars()
        .map(|c| if ('\u{3041}'..='\u{3096}').contains(&c) { char::from_u32(c as u32 + 0x60).unwrap_or(c) } else { c })
        .collect()
}

/// Full-width katakana → half-width (ｶﾞ for ガ: two characters for voiced sounds).
pub(crate) fn half_width_katakana(s: &str) -> String {
    const FULL: &str = "ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴー";
    const HALF: [&str; 84] = [
        "ｧ", "ｱ", "ｨ", "ｲ", "ｩ", "ｳ", "ｪ", "ｴ", "ｫ", "ｵ", "ｶ", "ｶﾞ", "ｷ", "ｷﾞ", "ｸ", "ｸﾞ", "ｹ", "ｹﾞ", "ｺ", "ｺﾞ", "ｻ", "ｻﾞ",
        "ｼ", "ｼﾞ", "ｽ", "ｽﾞ", "ｾ", "ｾﾞ", "ｿ", "ｿﾞ", "ﾀ", "ﾀﾞ", "ﾁ", "ﾁﾞ", "ｯ", "ﾂ", "ﾂﾞ", "ﾃ", "ﾃﾞ", "ﾄ", "ﾄﾞ", "ﾅ", "ﾆ", "ﾇ",
        "ﾈ", "ﾉ", "ﾊ", "ﾊﾞ", "ﾊﾟ", "ﾋ", "ﾋﾞ", "ﾋﾟ", "ﾌ", "ﾌﾞ", "ﾌﾟ", "ﾍ", "ﾍﾞ", "ﾍﾟ", "ﾎ", "ﾎﾞ", "ﾎﾟ", "ﾏ", "ﾐ", "ﾑ", "ﾒ", "ﾓ",
        "ｬ", "ﾔ", "ｭ", "ﾕ", "ｮ", "ﾖ", "ﾗ", "ﾘ", "ﾙ", "ﾚ", "ﾛ", "ﾜ", "ﾜ", "ｲ", "ｴ", "ｦ", "ﾝ", "ｳﾞ",
    ];
    let mut out = String::new();
    for c in s.chars() {
        match FULL.chars().position(|f| f == c) {
            Some(i) if i < HALF.len() => out.push_str(HALF[i]),
            _ if c == 'ー' => out.push('ｰ'),
            _ => out.push(c),
        }
    }
    out
}

/// A birth date in the spellings of notes, from any of the forms a record uses: read as a field
/// by [`crate::date_forms::parse_date_value`] (as records read the birth-date column itself),
/// else as a written date (`March 15, 1970`, `3/15/1970`).
fn birth_date_variants(dob: &str) -> Vec<String> {
    let field = crate::date_forms::parse_date_value(dob).and_then(|d| Some((d.year, d.month, d.day?)));
    let written = || {
        let d = super::written_date::WrittenDate::parse(dob.trim())?;
        Some((d.year?, d.month?, d.day?))
    };
    let Some((y, m, day)) = field.or_else(written) else { return Vec::new() };
    let mut out = vec![format!("{y:04}{m:02}{day:02}")];
    for sep in ["/", "-", "."] {
        out.push(format!("{y}{sep}{m:02}{sep}{day:02}"));
        out.push(format!("{y}{sep}{m}{sep}{day}"));
    }
    out.push(format!("{y}年{m}月{day}日"));
    out.push(format!("{y}年{m:02}月{day:02}日"));
    out.push(format!("{m}/{day}/{y}"));
    out.push(format!("{m:02}/{day:02}/{y}"));
    let name = super::written_date::MONTHS[usize::from(m.clamp(1, 12)) - 1];
    for month in [name, &name[..3]] {
        out.push(format!("{month} {day}, {y}"));
        out.push(format!("{day} {month} {y}"));
    }
    out.push(format!("{day:02}{}{y}", name[..3].to_ascii_uppercase()));
    if let Some((e, ey)) = crate::date_forms::era_of(y, m, day) {
        let era = &crate::date_forms::ERAS[e];
        let ey_k = if ey == 1 { "元".to_string() } else { ey.to_string() };
        out.push(format!("{}{ey_k}年{m}月{day}日", era.name));
        out.push(format!("{}{ey}年{m}月{day}日", era.name));
        out.push(format!("{}{ey}年{m:02}月{day:02}日", era.name));
        for sep in [".", "/", "-"] {
            out.push(format!("{}{ey}{sep}{m}{sep}{day}", era.letter));
            out.push(format!("{}{ey:02}{sep}{m:02}{sep}{day:02}", era.letter));
        }
    }
    out
}

fn phone_variants(phone: &str) -> Vec<String> {
    let folded: String = phone.trim().chars().map(super::fold_width).collect();
    let digits: String = folded.chars().filter(char::is_ascii_digit).collect();
    let groups: Vec<&str> = folded.split(|c: char| !c.is_ascii_digit()).filter(|g| !g.is_empty()).collect();
    let mut out = vec![folded.clone(), digits];
    if groups.len() == 3 {
        let (a, b, c) = (groups[0], groups[1], groups[2]);
        for sep in ["-", " ", "."] {
            out.push(format!("{a}{sep}{b}{sep}{c}"));
        }
        out.push(format!("{a}({b}){c}"));
        out.push(format!("({a}){b}-{c}"));
        out.push(format!("({a}) {b}-{c}"));
    }
    out
}

fn id_variants(id: &str) -> Vec<String> {
    let folded: String = id.trim().chars().map(super::fold_width).collect();
    let compact: String = folded.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    let unpadded = compact.trim_start_matches('0').to_string();
    let mut out = vec![folded, compact.clone()];
    if unpadded.len() >= 4 && unpadded.chars().all(|c| c.is_ascii_digit()) && unpadded != compact {
        out.push(unpadded);
    }
    out
}

fn address_variants(addr: &str) -> Vec<String> {
    let folded = search_form(addr.trim());
    let compact: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = vec![folded, compact.clone()];
    for pref_end in ["都", "道", "府", "県"] {
        if let Some(i) = compact.find(pref_end).filter(|i| *i <= 12) {
            out.push(compact[i + pref_end.len()..].to_string());
            break;
        }
    }
    // 1丁目7番1号 → 1-7-1, for each form above.
    let dashed: Vec<String> = out
        .iter()
        .map(|v| {
            v.replace("丁目", "-")
                .replace("番地", "-")
                .replace('番', "-")
                .replace('号', "")
                .trim_end_matches('-')
                .to_string()
        })
        .collect();
    out.extend(dashed);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(p: &Patient, text: &str) -> Vec<(String, &'static str)> {
        let folded: String = text.chars().map(super::super::fold_width).collect();
        p.find(&folded).into_iter().map(|m| (folded[m.start..m.end].to_string(), m.kind.span_kind().1)).collect()
    }

    fn yamada() -> Patient {
        Patient::new(&PatientIdentifiers {
            patient_id: Some("0012345".into()),
            name: Some("山田 太郎".into()),
            kana: Some("やまだ たろう".into()),
            other_names: vec!["YAMADA TARO".into()],
            birth_date: Some("1970-03-15".into()),
            address: Some("東京都千代田区永田町1丁目7番1号".into()),
            phones: vec!["03-1234-5678".into()],
            ids: vec![],
            emails: vec!["taro@example.jp".into()],
        })
    }

    #[test]
    fn names_in_every_spelling() {
        let p = yamada();
        for (text, want) in [
            ("山田太郎さん", "山田太郎"),
            ("山田　太郎様", "山田 太郎"),
            ("ヤマダタロウ", "ヤマダタロウ"),
            ("やまだ たろう", "やまだ たろう"),
            ("ﾔﾏﾀﾞ ﾀﾛｳ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
            ("Taro Yamada", "Taro Yamada"),
            ("YAMADA, Taro", "YAMADA, Taro"),
            ("ｙａｍａｄａ ｔａｒｏ", "yamada taro"),
            ("山田さんへ", "山田"),
        ] {
            let h = hits(&p, text);
            assert!(h.iter().any(|(v, _)| v == want), "{text}: {h:?}");
        }
        let p = Patient::new(&PatientIdentifiers { name: Some("髙橋 花子".into()), ..Default::default() });
        assert_eq!(hits(&p, "高橋花子")[0].0, "高橋花子");
    }

    #[test]
    fn birth_date_in_western_and_era_forms() {
        let p = yamada();
        for text in [
            "1970/03/15",
            "1970/3/15",
            "19700315",
            "1970年3月15日",
            "昭和45年3月15日",
            "S45.3.15",
            "March 15, 1970",
            "15 Mar 1970",
            "3/15/1970",
            "１９７０年３月１５日",
        ] {
            let h = hits(&p, &format!("生年月日 {text} 。"));
            assert_eq!(h.len(), 1, "{text}: {h:?}");
            assert_eq!(h[0].1, "hint-birth-date");
        }
        let p =
            Patient::new(&PatientIdentifiers { birth_date: Some("昭和45年3月15日".into()), ..Default::default() });
        assert_eq!(hits(&p, "DOB 1970-03-15").len(), 1);
    }

    #[test]
    fn phones_ids_addresses_and_emails() {
        let p = yamada();
        for (text, rule) in [
            ("TEL 0312345678", "hint-phone"),
            ("TEL 03(1234)5678", "hint-phone"),
            ("ID 0012345", "hint-id"),
            ("ID 12345 only", "hint-id"),
            ("千代田区永田町1-7-1", "hint-address"),
            ("mail TARO@example.jp", "hint-email"),
        ] {
            let h = hits(&p, text);
            assert!(h.iter().any(|(_, r)| *r == rule), "{text}: {h:?}");
        }
        assert!(hits(&p, "Na 123456 mmol").is_empty(), "an ID must not match inside another number");
    }

    #[test]
    fn identity_prefers_the_patient_id() {
        assert_eq!(yamada().identity(), Some("0012345"));
        let p = Patient::new(&PatientIdentifiers { name: Some("山田 太郎".into()), ..Default::default() });
        assert!(p.identity().is_some_and(|i| i.contains("山田太郎")));
        assert_eq!(Patient::default().identity(), None);
    }
}
