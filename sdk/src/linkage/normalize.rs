//! Normalization: one canonical spelling per value before anything is hashed.
//!
//! Keyed tokens only agree when the bytes agree, so every way a Japanese register spells the same
//! person must collapse to one form first: full/half width and compatibility characters (NFKC),
//! spacing, kana spelling (small kana, ヴ/ブ, ヂ/ジ, ヅ/ズ, long vowels, and — in the *loose* form
//! only — dakuten), old/new kanji (髙/高, 齋/斎, 﨑/崎, 邊/辺 …), dates in any common notation
//! including 和暦, sex codings, and insurer numbers, whose check digit is verified so a mistyped
//! number is dropped instead of producing a token that can never match.
//!
//! Each function is total: an input it cannot read gives `None` (the field counts as missing),
//! never a panic and never a guess.

use unicode_normalization::UnicodeNormalization;

/// NFKC, then dash/space variants folded, kanji variants mapped to their common form, Latin
/// letters upper-cased; runs of white space become one ASCII space, ends trimmed.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut pending_space = false;
    for c in value.nfkc() {
        let c = fold_char(c);
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(c.to_uppercase());
    }
    out
}

fn fold_char(c: char) -> char {
    match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FF0D}' => '-',
        '・' | '･' | '=' | '＝' | ',' | '、' => ' ',
        _ => kanji_variant(c).unwrap_or(c),
    }
}

/// Old (旧字体) and variant (異体字) kanji frequent in personal and place names, to the common
/// form. NFKC already folds the CJK compatibility block except its twelve unified ideographs
/// (﨑 among them), which are listed here.
fn kanji_variant(c: char) -> Option<char> {
    const PAIRS: &[(char, char)] = &[
        ('髙', '高'),
        ('﨑', '崎'),
        ('嵜', '崎'),
        ('碕', '崎'),
        ('齋', '斎'),
        ('齊', '斉'),
        ('邊', '辺'),
        ('邉', '辺'),
        ('濱', '浜'),
        ('濵', '浜'),
        ('澤', '沢'),
        ('櫻', '桜'),
        ('廣', '広'),
        ('國', '国'),
        ('邨', '村'),
        ('會', '会'),
        ('槇', '槙'),
        ('冨', '富'),
        ('眞', '真'),
        ('嶋', '島'),
        ('嶌', '島'),
        ('檜', '桧'),
        ('實', '実'),
        ('龍', '竜'),
        ('德', '徳'),
        ('惠', '恵'),
        ('榮', '栄'),
        ('豐', '豊'),
        ('藏', '蔵'),
        ('條', '条'),
        ('壽', '寿'),
        ('與', '与'),
        ('戶', '戸'),
        ('淺', '浅'),
        ('關', '関'),
        ('瀨', '瀬'),
        ('峯', '峰'),
        ('舘', '館'),
        ('埜', '野'),
        ('驒', '騨'),
        ('淵', '渕'),
        ('曻', '昇'),
        ('曺', '曹'),
        ('禮', '礼'),
        ('靜', '静'),
        ('淸', '清'),
        ('彌', '弥'),
        ('傳', '伝'),
        ('萬', '万'),
        ('壹', '壱'),
        ('貳', '弐'),
        ('圓', '円'),
        ('緖', '緒'),
        ('增', '増'),
        ('黑', '黒'),
        ('兒', '児'),
        ('晉', '晋'),
        ('恆', '恒'),
        ('瀧', '滝'),
        ('莊', '荘'),
        ('縣', '県'),
        ('學', '学'),
        ('顯', '顕'),
        ('雙', '双'),
        ('鐵', '鉄'),
        ('廸', '迪'),
        ('桒', '桑'),
        ('杦', '杉'),
        ('髮', '髪'),
        ('乘', '乗'),
        ('佛', '仏'),
        ('來', '来'),
        ('營', '営'),
        ('勵', '励'),
        ('繪', '絵'),
    ];
    PAIRS.iter().find(|(old, _)| *old == c).map(|&(_, new)| new)
}

/// A normalized name, split into family and given name when the source separated them
/// (one space or ・ between two parts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The whole name without spaces.
    pub full: String,
    pub family: Option<String>,
    pub given: Option<String>,
}

/// Normalizes a written name (kanji or Latin). `None` when nothing is left.
pub fn name(value: &str) -> Option<Name> {
    let t = text(value);
    let parts: Vec<&str> = t.split(' ').filter(|p| !p.is_empty()).collect();
    let full: String = parts.concat();
    if full.is_empty() {
        return None;
    }
    let (family, given) = match parts.as_slice() {
        [f, g] => (Some((*f).to_string()), Some((*g).to_string())),
        _ => (None, None),
    };
    Some(Name { full, family, given })
}

/// A name given as separate family and given parts (either may be missing).
pub fn name_parts(family: Option<&str>, given: Option<&str>) -> Option<Name> {
    let clean = |v: Option<&str>| v.map(|s| text(s).replace(' ', "")).filter(|s| !s.is_empty());
    let (family, given) = (clean(family), clean(given));
    let full = format!("{}{}", family.as_deref().unwrap_or(""), given.as_deref().unwrap_or(""));
    if full.is_empty() {
        return None;
    }
    match (family, given) {
        (Some(f), Some(g)) => Some(Name { full, family: Some(f), given: Some(g) }),
        (f, g) => Some(Name { full, family: f, given: g }),
    }
}

/// Normalizes a kana reading: [`name`], then [`fold_kana`] on each part.
pub fn kana_name(value: &str, loose: bool) -> Option<Name> {
    let n = name(value)?;
    let fold = |s: &str| fold_kana(s, loose);
    Some(Name { full: fold(&n.full), family: n.family.as_deref().map(fold), given: n.given.as_deref().map(fold) })
}

/// Canonical katakana spelling. Hiragana → katakana; ヴァ/ヴィ/ヴ/ヴェ/ヴォ → バ/ビ/ブ/ベ/ボ;
/// ヂ → ジ, ヅ → ズ, ヲ → オ, ヰ → イ, ヱ → エ; small kana → full size (ショウ and シヨウ agree);
/// the long-vowel mark ー becomes the vowel it lengthens, and オウ/エイ become オオ/エエ, so
/// オーノ, オオノ and オウノ agree. `loose` also removes dakuten/handakuten (ガ → カ, パ → ハ)
/// and a vowel repeating the previous one (ユウキ → ユキ): more recall, less precision, used
/// only where a second field must agree too.
pub fn fold_kana(value: &str, loose: bool) -> String {
    let mut out: Vec<char> = Vec::with_capacity(value.chars().count());
    let chars: Vec<char> = value.chars().map(hiragana_to_katakana).collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let folded = match (c, next) {
            ('ヴ', Some(v @ ('ァ' | 'ィ' | 'ェ' | 'ォ'))) => {
                i += 1;
                match v {
                    'ァ' => 'バ',
                    'ィ' => 'ビ',
                    'ェ' => 'ベ',
                    _ => 'ボ',
                }
            }
            ('ヴ', _) => 'ブ',
            ('ヂ', _) => 'ジ',
            ('ヅ', _) => 'ズ',
            ('ヲ', _) => 'オ',
            ('ヰ', _) => 'イ',
            ('ヱ', _) => 'エ',
            ('ー' | '〜' | '~' | '-', _) => match out.last().copied().and_then(vowel_of) {
                Some(v) => v,
                None => {
                    i += 1;
                    continue;
                }
            },
            _ => small_to_large(c),
        };
        let folded = match (out.last().copied().and_then(vowel_of), folded) {
            (Some('オ'), 'ウ') => 'オ',
            (Some('エ'), 'イ') => 'エ',
            _ => folded,
        };
        out.push(folded);
        i += 1;
    }
    if !loose {
        return out.into_iter().collect();
    }
    let plain: String =
        out.into_iter().collect::<String>().nfd().filter(|c| !matches!(c, '\u{3099}' | '\u{309A}')).nfc().collect();
    let mut loose_out = String::with_capacity(plain.len());
    let mut prev_vowel = None;
    for c in plain.chars() {
        let is_vowel_kana = matches!(c, 'ア' | 'イ' | 'ウ' | 'エ' | 'オ');
        if is_vowel_kana && prev_vowel == Some(c) {
            continue;
        }
        prev_vowel = vowel_of(c);
        loose_out.push(c);
    }
    loose_out
}

fn hiragana_to_katakana(c: char) -> char {
    match c {
        '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

fn small_to_large(c: char) -> char {
    match c {
        'ァ' => 'ア',
        'ィ' => 'イ',
        'ゥ' => 'ウ',
        'ェ' => 'エ',
        'ォ' => 'オ',
        'ッ' => 'ツ',
        'ャ' => 'ヤ',
        'ュ' => 'ユ',
        'ョ' => 'ヨ',
        'ヮ' => 'ワ',
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        _ => c,
    }
}

/// The vowel (as katakana ア/イ/ウ/エ/オ) a katakana syllable ends in.
fn vowel_of(c: char) -> Option<char> {
    const ROWS: [(&str, char); 5] = [
        ("アカサタナハマヤラワガザダバパァャヮヵ", 'ア'),
        ("イキシチニヒミリギジヂビピィヰ", 'イ'),
        ("ウクスツヌフムユルグズヅブプヴゥュッ", 'ウ'),
        ("エケセテネヘメレゲゼデベペェヱヶ", 'エ'),
        ("オコソトノホモヨロヲゴゾドボポォョ", 'オ'),
    ];
    ROWS.iter().find(|(row, _)| row.contains(c)).map(|&(_, v)| v)
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// ISO 8601 `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    fn new(year: u32, month: u32, day: u32) -> Option<Date> {
        let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        let ok = (1800..=2200).contains(&year) && (1..=days).contains(&day);
        ok.then_some(Date { year: year as u16, month: month as u8, day: day as u8 })
    }
}

/// Parses a date: ISO (`1975-02-19`), slashes or dots (`1975/2/19`), `19750219`, `1975年2月19日`,
/// and 和暦 (`昭和50年2月19日`, `S50.2.19`, `H元/1/8`, ㍼ and other era ligatures), through the
/// SDK's one reader of date values ([`crate::date_forms::parse_date_value`]) after NFKC and
/// width folding. A value without a day, or not a calendar date, gives `None`.
pub fn date(value: &str) -> Option<Date> {
    let t: String = text(value).chars().filter(|c| !c.is_whitespace()).collect();
    let v = crate::date_forms::parse_date_value(&t)?;
    Date::new(u32::try_from(v.year).ok()?, u32::from(v.month), u32::from(v.day?))
}

/// Sex, from the codings registers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "M",
            Sex::Female => "F",
        }
    }
}

/// `M`/`F`, `male`/`female`, `1`/`2` (JIS X 0303 / ISO 5218 and the 保険 convention), `男`/`女`,
/// `男性`/`女性`. Unknown codes (`0`, `9`, `U`, blanks) give `None`.
pub fn sex(value: &str) -> Option<Sex> {
    match text(value).to_lowercase().as_str() {
        "m" | "male" | "1" | "男" | "男性" => Some(Sex::Male),
        "f" | "female" | "2" | "女" | "女性" => Some(Sex::Female),
        _ => None,
    }
}

/// Digits only (after NFKC), or `None` when anything else than digits, spaces and dashes is there.
fn digits(value: &str) -> Option<String> {
    let t = text(value);
    let d: String = t.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (!d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())).then_some(d)
}

/// Why an insurer number was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsurerProblem {
    NotDigits,
    WrongLength,
    CheckDigit,
}

/// A 保険者番号: 8 digits (法別番号, 都道府県番号, 保険者別番号, 検証番号) or 6 digits (国民健康保険),
/// whose last digit is the check digit: the other digits weighted 2,1,2,1,… from the left, the
/// digits of each product summed, and the check digit is 10 minus the last digit of the sum
/// (0 when that is 10).
pub fn insurer_number(value: &str) -> Result<String, InsurerProblem> {
    let d = digits(value).ok_or(InsurerProblem::NotDigits)?;
    if d.len() != 6 && d.len() != 8 {
        return Err(InsurerProblem::WrongLength);
    }
    let bytes = d.as_bytes();
    let sum: u32 = bytes[..bytes.len() - 1]
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let p = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            p / 10 + p % 10
        })
        .sum();
    let check = (10 - sum % 10) % 10;
    if u32::from(bytes[bytes.len() - 1] - b'0') != check {
        return Err(InsurerProblem::CheckDigit);
    }
    Ok(d)
}

/// 記号 / 番号 / 枝番: NFKC, no spaces or dashes; all-digit values lose leading zeros (legacy
/// systems store numbers, not strings).
pub fn insured_code(value: &str) -> Option<String> {
    let t: String = text(value).chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if t.is_empty() {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        let trimmed = t.trim_start_matches('0');
        return Some(if trimmed.is_empty() { "0".to_string() } else { trimmed.to_string() });
    }
    Some(t)
}

/// A postal code: digits only (`123-4567`, `〒1234567`, full width); 3 to 10 digits so that
/// other countries' codes (4-digit Australian ones in FEBRL) work too, else `None`.
pub fn postal_code(value: &str) -> Option<String> {
    let t = text(value);
    let t = t.trim_start_matches('〒');
    digits(t).filter(|d| (3..=10).contains(&d.len()))
}

/// An address: [`text`], spaces removed, 丁目/番地/番/号 and の written as dashes, so
/// `4丁目22番19号` and `4-22-19` agree.
pub fn address(value: &str) -> Option<String> {
    let t: String = text(value).chars().filter(|c| *c != ' ').collect();
    let t = t.replace("丁目", "-").replace("番地", "-").replace('番', "-").replace('号', "").replace('の', "-");
    let t = t.trim_end_matches('-').to_string();
    (!t.is_empty()).then_some(t)
}

/// Any other identifier (e.g. a national or social-security number): [`text`] without spaces
/// or dashes.
pub fn identifier(value: &str) -> Option<String> {
    let t: String = text(value).chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (!t.is_empty()).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_spacing_and_kanji_variants() {
        assert_eq!(text("ＡＢＣ　１２３"), "ABC 123");
        assert_eq!(name("髙橋　一郎").map(|n| n.full), Some("高橋一郎".to_string()));
        assert_eq!(name("山﨑 太郎").map(|n| n.family), Some(Some("山崎".to_string())));
        assert_eq!(name("齋藤・花子").map(|n| n.given), Some(Some("花子".to_string())));
        assert_eq!(name("渡邊").map(|n| n.full), Some("渡辺".to_string()));
        assert_eq!(name("田村麻衣").and_then(|n| n.family), None);
        assert_eq!(name("　 "), None);
    }

    #[test]
    fn kana_folding() {
        let f = |s: &str| kana_name(s, false).map(|n| n.full).unwrap_or_default();
        assert_eq!(f("ｼｮｳﾀ"), f("シヨウタ"));
        assert_eq!(f("しょうた"), f("ショウタ"));
        assert_eq!(f("ヴァイオレット"), f("バイオレット"));
        assert_eq!(f("ヂュン"), f("ジュン"));
        assert_eq!(f("ミヅキ"), f("ミズキ"));
        assert_eq!(f("オーノ"), f("オオノ"));
        assert_eq!(f("オウノ"), f("オオノ"));
        assert_eq!(f("ユーキ"), f("ユウキ"));
        assert_ne!(f("ガク"), f("カク"));
        let l = |s: &str| kana_name(s, true).map(|n| n.full).unwrap_or_default();
        assert_eq!(l("ガク"), l("カク"));
        assert_eq!(l("ユウキ"), l("ユキ"));
        assert_eq!(kana_name("ヤマダ　ハナコ", false).and_then(|n| n.given), Some("ハナコ".to_string()));
    }

    #[test]
    fn dates_in_every_notation() {
        let iso = |s: &str| date(s).map(|d| d.iso());
        for s in [
            "1975-02-19",
            "1975/2/19",
            "1975.2.19",
            "19750219",
            "１９７５／２／１９",
            "1975年2月19日",
            "昭和50年2月19日",
            "S50.2.19",
            "㍼50年2月19日",
            "s50/02/19",
        ] {
            assert_eq!(iso(s).as_deref(), Some("1975-02-19"), "{s}");
        }
        assert_eq!(iso("平成元年1月8日").as_deref(), Some("1989-01-08"));
        assert_eq!(iso("令和2年5月1日").as_deref(), Some("2020-05-01"));
        assert_eq!(iso("1975-02-30"), None);
        assert_eq!(iso("2/19/75"), None);
        assert_eq!(iso("unknown"), None);
        assert_eq!(iso("2000-02-29").as_deref(), Some("2000-02-29"));
        assert_eq!(iso("1900-02-29"), None);
    }

    #[test]
    fn sex_codings() {
        for m in ["M", "male", "1", "男", "男性", "Ｍ"] {
            assert_eq!(sex(m), Some(Sex::Male), "{m}");
        }
        for f in ["F", "Female", "2", "女", "女性"] {
            assert_eq!(sex(f), Some(Sex::Female), "{f}");
        }
        assert_eq!(sex("9"), None);
        assert_eq!(sex(""), None);
    }

    #[test]
    fn insurer_check_digits() {
        assert_eq!(insurer_number("06132013"), Ok("06132013".to_string()));
        assert_eq!(insurer_number("０６１３２０１３"), Ok("06132013".to_string()));
        assert_eq!(insurer_number("06132014"), Err(InsurerProblem::CheckDigit));
        assert_eq!(insurer_number("138057"), Ok("138057".to_string()));
        assert_eq!(insurer_number("138058"), Err(InsurerProblem::CheckDigit));
        assert_eq!(insurer_number("1234"), Err(InsurerProblem::WrongLength));
        assert_eq!(insurer_number("06A32013"), Err(InsurerProblem::NotDigits));
        assert_eq!(insured_code("００１２３"), Some("123".to_string()));
        assert_eq!(insured_code("国"), Some("国".to_string()));
    }

    #[test]
    fn addresses_and_postal_codes() {
        assert_eq!(address("東京都港区芝大門８丁目２６番４号"), address("東京都港区芝大門8-26-4"));
        assert_eq!(postal_code("〒１０７－５０３５").as_deref(), Some("1075035"));
        assert_eq!(postal_code("4223").as_deref(), Some("4223"));
        assert_eq!(postal_code("10"), None);
        assert_eq!(postal_code("107-50A"), None);
    }
}
