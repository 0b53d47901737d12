//! Keyed surrogates: realistic-looking, clearly synthetic replacements that stay consistent.
//!
//! A placeholder (`[氏名]`) loses who-is-who: "[氏名] told [氏名] that…". A surrogate keeps it:
//! every mention of the same person, number or address in one patient's notes gets the same
//! replacement, computed as `HMAC(project key, "surrogate", type, patient, value)` — no table is
//! kept, native and wasm agree, and nobody without the key can tell which original gave which
//! surrogate. Per type:
//!
//! * names: a family and a given name drawn by keyed index from the fixed lists below, written in
//!   the script of the original (kanji, katakana, hiragana, romaji; English names from English
//!   lists). The lists are published here, so a reader can always tell a surrogate from a name;
//! * numbers (phone, IDs, マイナンバー, cards, accounts, postal codes): the same shape — each digit
//!   and letter replaced by a keyed one, separators kept — and numbers with a check digit are
//!   made to *fail* it, so a surrogate can never be a valid number of someone else;
//! * e-mail, URL and IP: addresses in the reserved documentation domains (`example.com`,
//!   `192.0.2.0/24`, `2001:db8::/32`), which are never assigned to anyone;
//! * places and facilities: a keyed tag (`[住所-7KQ2]`): a realistic fake address could be a real
//!   one, and the tag still shows which mentions are the same place.
//!
//! Dates are not surrogates: they are shifted by the patient's keyed offset (`policy.rs`).

use super::PhiKind;
use super::checks::{aba_routing, credit_card, digits_of, luhn, my_number};
use crate::key::{ProjectKey, Purpose};

/// Japanese surrogate family names: (kanji, katakana reading, romaji).
const JA_FAMILY: [(&str, &str, &str); 32] = [
    ("青木", "アオキ", "Aoki"),
    ("秋山", "アキヤマ", "Akiyama"),
    ("石田", "イシダ", "Ishida"),
    ("今井", "イマイ", "Imai"),
    ("上野", "ウエノ", "Ueno"),
    ("大塚", "オオツカ", "Otsuka"),
    ("岡本", "オカモト", "Okamoto"),
    ("小野寺", "オノデラ", "Onodera"),
    ("片山", "カタヤマ", "Katayama"),
    ("川口", "カワグチ", "Kawaguchi"),
    ("菊地", "キクチ", "Kikuchi"),
    ("北村", "キタムラ", "Kitamura"),
    ("久保", "クボ", "Kubo"),
    ("小島", "コジマ", "Kojima"),
    ("坂本", "サカモト", "Sakamoto"),
    ("島田", "シマダ", "Shimada"),
    ("杉山", "スギヤマ", "Sugiyama"),
    ("関口", "セキグチ", "Sekiguchi"),
    ("高野", "タカノ", "Takano"),
    ("千葉", "チバ", "Chiba"),
    ("土屋", "ツチヤ", "Tsuchiya"),
    ("永井", "ナガイ", "Nagai"),
    ("西村", "ニシムラ", "Nishimura"),
    ("野口", "ノグチ", "Noguchi"),
    ("浜田", "ハマダ", "Hamada"),
    ("平野", "ヒラノ", "Hirano"),
    ("福田", "フクダ", "Fukuda"),
    ("堀内", "ホリウチ", "Horiuchi"),
    ("松尾", "マツオ", "Matsuo"),
    ("宮崎", "ミヤザキ", "Miyazaki"),
    ("森下", "モリシタ", "Morishita"),
    ("吉川", "ヨシカワ", "Yoshikawa"),
];

/// Japanese surrogate given names: (kanji, katakana reading, romaji).
const JA_GIVEN: [(&str, &str, &str); 32] = [
    ("明美", "アケミ", "Akemi"),
    ("彩", "アヤ", "Aya"),
    ("一郎", "イチロウ", "Ichiro"),
    ("栄子", "エイコ", "Eiko"),
    ("和夫", "カズオ", "Kazuo"),
    ("清", "キヨシ", "Kiyoshi"),
    ("恵子", "ケイコ", "Keiko"),
    ("健二", "ケンジ", "Kenji"),
    ("幸子", "サチコ", "Sachiko"),
    ("聡", "サトシ", "Satoshi"),
    ("茂", "シゲル", "Shigeru"),
    ("純子", "ジュンコ", "Junko"),
    ("大輔", "ダイスケ", "Daisuke"),
    ("貴子", "タカコ", "Takako"),
    ("隆", "タカシ", "Takashi"),
    ("千尋", "チヒロ", "Chihiro"),
    ("勉", "ツトム", "Tsutomu"),
    ("直樹", "ナオキ", "Naoki"),
    ("典子", "ノリコ", "Noriko"),
    ("春菜", "ハルナ", "Haruna"),
    ("浩", "ヒロシ", "Hiroshi"),
    ("文子", "フミコ", "Fumiko"),
    ("誠", "マコト", "Makoto"),
    ("真理", "マリ", "Mari"),
    ("実", "ミノル", "Minoru"),
    ("恵", "メグミ", "Megumi"),
    ("康介", "コウスケ", "Kosuke"),
    ("優子", "ユウコ", "Yuko"),
    ("洋子", "ヨウコ", "Yoko"),
    ("良子", "リョウコ", "Ryoko"),
    ("玲奈", "レイナ", "Reina"),
    ("渉", "ワタル", "Wataru"),
];

const EN_FAMILY: [&str; 32] = [
    "Abbott",
    "Barlow",
    "Carver",
    "Dalton",
    "Ellison",
    "Fletcher",
    "Garrison",
    "Hadley",
    "Ingram",
    "Jarvis",
    "Keller",
    "Lambert",
    "Mercer",
    "Norwood",
    "Osborne",
    "Prescott",
    "Quinlan",
    "Radford",
    "Sawyer",
    "Thornton",
    "Underwood",
    "Vance",
    "Whitaker",
    "Yardley",
    "Ashby",
    "Brennan",
    "Crowley",
    "Dunmore",
    "Everett",
    "Fairchild",
    "Gentry",
    "Holloway",
];

const EN_GIVEN: [&str; 32] = [
    "Alice", "Bernard", "Clara", "Dennis", "Edith", "Felix", "Grace", "Harold", "Irene", "Julian", "Kathleen",
    "Leonard", "Margaret", "Nathan", "Olive", "Patrick", "Rosalind", "Samuel", "Theresa", "Victor", "Wendy", "Arthur",
    "Beatrice", "Calvin", "Doris", "Eugene", "Florence", "Gordon", "Helen", "Isaac", "June", "Louis",
];

const BASE32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Keyed surrogates under one project key.
#[derive(Debug, Clone)]
pub(crate) struct Surrogates {
    key: ProjectKey,
}

/// A stream of keyed bytes for one (namespace, scope, value).
struct KeyedBytes<'a> {
    key: &'a ProjectKey,
    parts: [&'a [u8]; 3],
    block: [u8; 32],
    counter: u32,
    pos: usize,
}

impl Iterator for KeyedBytes<'_> {
    type Item = u8;
    fn next(&mut self) -> Option<u8> {
        if self.pos == self.block.len() {
            self.counter += 1;
            let c = self.counter.to_be_bytes();
            self.block = self.key.mac(Purpose::Surrogate, &[b"text", self.parts[0], self.parts[1], self.parts[2], &c]);
            self.pos = 0;
        }
        self.pos += 1;
        Some(self.block[self.pos - 1])
    }
}

/// The writing system of a name as it appears in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    Kanji,
    Katakana,
    HalfKatakana,
    Hiragana,
    /// Romaji or an English name; `true` when written in capitals.
    Latin(bool),
}

impl Script {
    pub(crate) fn of(s: &str) -> Script {
        let letters = s.chars().filter(|c| c.is_alphabetic());
        let mut any = false;
        let (mut kata, mut half, mut hira, mut latin, mut upper) = (true, true, true, true, true);
        for c in letters {
            any = true;
            kata &= matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー');
            half &= matches!(c, '\u{FF66}'..='\u{FF9F}');
            hira &= matches!(c, '\u{3041}'..='\u{3096}' | 'ー');
            latin &= c.is_ascii_alphabetic() || matches!(c, '\u{FF21}'..='\u{FF5A}');
            upper &= c.is_ascii_uppercase() || matches!(c, '\u{FF21}'..='\u{FF3A}');
        }
        match (any, kata, half, hira, latin) {
            (true, true, _, _, _) => Script::Katakana,
            (true, _, true, _, _) => Script::HalfKatakana,
            (true, _, _, true, _) => Script::Hiragana,
            (true, _, _, _, true) => Script::Latin(upper),
            _ => Script::Kanji,
        }
    }
}

/// Which part of a name a surrogate stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NamePart {
    Family,
    Given,
}

impl Surrogates {
    pub(crate) fn new(key: &ProjectKey) -> Self {
        Surrogates { key: key.clone() }
    }

    fn bytes<'a>(&'a self, ns: &'a str, scope: &'a str, value: &'a str) -> KeyedBytes<'a> {
        let parts = [ns.as_bytes(), scope.as_bytes(), value.as_bytes()];
        let block = self.key.mac(Purpose::Surrogate, &[b"text", parts[0], parts[1], parts[2], &0u32.to_be_bytes()]);
        KeyedBytes { key: &self.key, parts, block, counter: 0, pos: 0 }
    }

    fn index(&self, ns: &str, scope: &str, value: &str, n: usize) -> usize {
        let b: Vec<u8> = self.bytes(ns, scope, value).take(8).collect();
        let mut x = [0u8; 8];
        x.copy_from_slice(&b);
        (u64::from_be_bytes(x) % n as u64) as usize
    }

    /// One name part, keyed by its canonical form, written in `script`.
    pub(crate) fn name_part(
        &self,
        scope: &str,
        part: NamePart,
        canonical: &str,
        script: Script,
        english: bool,
    ) -> String {
        let ns = match part {
            NamePart::Family => "name-family",
            NamePart::Given => "name-given",
        };
        let i = self.index(ns, scope, canonical, 32);
        let (kanji, kana, romaji) = match part {
            NamePart::Family => JA_FAMILY[i],
            NamePart::Given => JA_GIVEN[i],
        };
        let latin = if english {
            match part {
                NamePart::Family => EN_FAMILY[i],
                NamePart::Given => EN_GIVEN[i],
            }
        } else {
            romaji
        };
        match script {
            Script::Kanji => kanji.to_string(),
            Script::Katakana => kana.to_string(),
            Script::HalfKatakana => super::hints::half_width_katakana(kana),
            Script::Hiragana => kana
                .chars()
                .map(|c| {
                    if ('\u{30A1}'..='\u{30F6}').contains(&c) {
                        char::from_u32(c as u32 - 0x60).unwrap_or(c)
                    } else {
                        c
                    }
                })
                .collect(),
            Script::Latin(true) => latin.to_ascii_uppercase(),
            Script::Latin(false) => latin.to_string(),
        }
    }

    /// Letters and digits replaced by keyed ones of the same class, everything else kept; a
    /// number with a check digit is made to fail it.
    pub(crate) fn same_shape(&self, kind: PhiKind, scope: &str, value: &str) -> String {
        let folded: String = value.chars().map(super::fold_width).collect();
        let key_value: String =
            folded.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
        let mut keyed = self.bytes(kind_ns(kind), scope, &key_value);
        // Leading characters kept so the shape reads right: a Japanese phone number keeps its
        // leading 0 and the next digit (03, 09), a card its issuer digit, `+81` its country code.
        let keep = match kind {
            PhiKind::Phone => folded.chars().position(|c| c.is_ascii_digit()).map_or(0, |i| i + 2),
            PhiKind::CreditCard => 1,
            _ => 0,
        };
        let mut out: Vec<char> = Vec::with_capacity(value.chars().count());
        for (i, (orig, c)) in value.chars().zip(folded.chars()).enumerate() {
            let wide = orig != c;
            let b = if i >= keep && c.is_ascii_alphanumeric() { keyed.next().unwrap_or(0) } else { 0 };
            let n = if i < keep {
                c
            } else if c.is_ascii_digit() {
                (b'0' + b % 10) as char
            } else if c.is_ascii_uppercase() {
                (b'A' + b % 26) as char
            } else if c.is_ascii_lowercase() {
                (b'a' + b % 26) as char
            } else {
                c
            };
            out.push(if wide && n.is_ascii_graphic() { char::from_u32(n as u32 + 0xFEE0).unwrap_or(n) } else { n });
        }
        break_check_digit(kind, &mut out);
        out.into_iter().collect()
    }

    /// `user-xxxxxxxx@example.com`.
    pub(crate) fn email(&self, scope: &str, value: &str) -> String {
        format!(
            "user-{}@example.com",
            self.code(PhiKind::Email, scope, &value.to_ascii_lowercase(), 8).to_ascii_lowercase()
        )
    }

    pub(crate) fn url(&self, scope: &str, value: &str) -> String {
        format!("https://example.com/{}", self.code(PhiKind::Url, scope, value, 8).to_ascii_lowercase())
    }

    /// An address of the documentation ranges (RFC 5737, RFC 3849), never assigned to anyone.
    pub(crate) fn ip(&self, scope: &str, value: &str) -> String {
        let i = self.index("ip", scope, value, 254) + 1;
        if value.contains(':') { format!("2001:db8::{i:x}") } else { format!("192.0.2.{i}") }
    }

    /// A keyed code of `len` base32 characters.
    pub(crate) fn code(&self, kind: PhiKind, scope: &str, value: &str, len: usize) -> String {
        self.bytes(kind_ns(kind), scope, value).take(len).map(|b| BASE32[usize::from(b % 32)] as char).collect()
    }
}

fn kind_ns(kind: PhiKind) -> &'static str {
    match kind {
        PhiKind::Phone => "phone",
        PhiKind::Email => "email",
        PhiKind::Url => "url",
        PhiKind::PostalCode => "postal",
        PhiKind::Address | PhiKind::Location => "place",
        PhiKind::Facility => "facility",
        _ => "id",
    }
}

/// Makes a number with a check digit fail it (the last digit moves on until it does), and an
/// SSN-shaped number an area that is never issued (000).
fn break_check_digit(kind: PhiKind, chars: &mut [char]) {
    let folded = |chars: &[char]| -> String { chars.iter().map(|c| super::fold_width(*c)).collect() };
    let valid = |s: &str| {
        let d = digits_of(s);
        match kind {
            PhiKind::MyNumber => my_number(&d),
            PhiKind::CreditCard => credit_card(&d) || luhn(&d),
            PhiKind::BankAccount => d.len() == 9 && aba_routing(&d),
            PhiKind::Ssn => true,
            _ => false,
        }
    };
    if kind == PhiKind::Ssn {
        for c in chars.iter_mut().filter(|c| super::fold_width(**c).is_ascii_digit()).take(3) {
            *c = if c.is_ascii_digit() { '0' } else { '０' };
        }
        return;
    }
    let Some(last) = chars.iter().rposition(|c| super::fold_width(*c).is_ascii_digit()) else { return };
    for _ in 0..10 {
        if !valid(&folded(chars)) {
            return;
        }
        let c = chars[last];
        let wide = !c.is_ascii_digit();
        let d = (super::fold_width(c) as u8 - b'0' + 1) % 10;
        chars[last] = if wide { char::from_u32(u32::from(b'0' + d) + 0xFEE0).unwrap_or(c) } else { (b'0' + d) as char };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s() -> Surrogates {
        Surrogates::new(&ProjectKey::from_bytes([7; 32]))
    }

    #[test]
    fn same_shape_keeps_separators_width_and_is_consistent() {
        let s = s();
        let a = s.same_shape(PhiKind::Phone, "p1", "03-1234-5678");
        assert_eq!(a.len(), 12);
        assert!(a.starts_with("03-") && a.as_bytes()[7] == b'-', "{a}");
        assert_ne!(a, "03-1234-5678");
        assert_eq!(
            a,
            s.same_shape(PhiKind::Phone, "p1", "０３－１２３４－５６７８")
                .chars()
                .map(super::super::fold_width)
                .collect::<String>(),
            "same number in another width → same surrogate"
        );
        assert_ne!(a, s.same_shape(PhiKind::Phone, "p2", "03-1234-5678"), "another patient → another surrogate");
        let id = s.same_shape(PhiKind::PatientId, "p1", "AB-12cd");
        assert!(
            id.chars().zip("AB-12cd".chars()).all(|(x, y)| (x.is_ascii_uppercase() == y.is_ascii_uppercase())
                && (x.is_ascii_digit() == y.is_ascii_digit())
                && (x == '-') == (y == '-')),
            "{id}"
        );
    }

    #[test]
    fn numbers_with_check_digits_fail_them() {
        let s = s();
        for i in 0..200 {
            let v = format!("1234 5678 {:04}", i);
            let m = s.same_shape(PhiKind::MyNumber, "p", &v);
            assert!(!my_number(&digits_of(&m)), "{m}");
            let c = s.same_shape(PhiKind::CreditCard, "p", &format!("4111-1111-1111-{:04}", i));
            assert!(!luhn(&digits_of(&c)) && c.starts_with('4'), "{c}");
        }
        assert!(s.same_shape(PhiKind::Ssn, "p", "123-45-6789").starts_with("000-"));
    }

    #[test]
    fn names_follow_the_script_and_the_key() {
        let s = s();
        let k = s.name_part("p", NamePart::Family, "山田", Script::Kanji, false);
        let kana = s.name_part("p", NamePart::Family, "山田", Script::Katakana, false);
        let i = JA_FAMILY.iter().position(|f| f.0 == k).expect("from the list");
        assert_eq!(kana, JA_FAMILY[i].1);
        assert_eq!(
            s.name_part("p", NamePart::Family, "山田", Script::Latin(true), false),
            JA_FAMILY[i].2.to_ascii_uppercase()
        );
        assert!(EN_FAMILY.contains(&s.name_part("p", NamePart::Family, "SMITH", Script::Latin(false), true).as_str()));
        assert_eq!(Script::of("やまだ"), Script::Hiragana);
        assert_eq!(Script::of("ﾔﾏﾀﾞ"), Script::HalfKatakana);
        assert_eq!(Script::of("YAMADA"), Script::Latin(true));
        assert_eq!(Script::of("山田"), Script::Kanji);
    }

    #[test]
    fn contacts_use_reserved_documentation_ranges() {
        let s = s();
        assert!(s.email("p", "taro@example.jp").ends_with("@example.com"));
        assert!(s.ip("p", "10.1.2.3").starts_with("192.0.2."));
        assert!(s.ip("p", "fe80::1").starts_with("2001:db8::"));
        assert_eq!(s.email("p", "Taro@Example.jp"), s.email("p", "taro@example.jp"));
    }
}
