//! From a register row to tokens: what a hospital sends instead of names.
//!
//! [`Encoder::encode`] normalizes a [`Person`] and produces [`Tokens`]:
//! - **ID1 / ID2 / ID4**, exact keyed tokens in the style of the NDB linkage keys: insurer number,
//!   記号・番号, birth date and sex; written name, birth date and sex; kana name, birth date and
//!   sex. 128-bit truncations of HMAC-SHA-256, one sub-key each.
//! - **Blocking signatures**: 64-bit keyed tokens of field combinations that always include
//!   part of the birth date or an identifier (kana + birth year, given name + birth date …), in
//!   the spirit of P-Sig blocking, so the linker finds candidate pairs without comparing every
//!   pair and without any token of a low-cardinality value alone (a token of a family name alone
//!   would reveal its frequency: 佐藤 is 1.5 % of Japan).
//! - **One keyed Bloom filter per field** (CLK), see [`crate::linkage::bloom`].
//!
//! Nothing else leaves the hospital: no name, no kana, no date, in any form but these.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::LinkageKey;
use super::bloom::{Bloom, BloomError, FilterEncoder};
use super::normalize::{self, Date, InsurerProblem, Name, Sex};

/// One register row, as the source has it (any spelling, any width, any date notation).
/// Every field is optional; the more are given, the better the linkage.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, rename_all = "camelCase")]
pub struct Person {
    /// The written name (kanji, or Latin), family name first, with a space between the parts
    /// when the source separates them.
    pub name: Option<String>,
    /// Family and given name in separate columns (instead of, or as well as, `name`).
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    /// The reading (カナ), katakana or hiragana, full or half width.
    pub kana: Option<String>,
    pub kana_family: Option<String>,
    pub kana_given: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    /// 保険者番号 (6 or 8 digits with check digit).
    pub insurer_number: Option<String>,
    /// 被保険者証記号 / 番号 / 枝番.
    pub insured_symbol: Option<String>,
    pub insured_number: Option<String>,
    pub insured_branch: Option<String>,
    /// Any other personal identifier both sources hold (e.g. a social-security number).
    pub other_id: Option<String>,
}

/// The fields that get a Bloom filter, in token-file column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Name,
    Family,
    Given,
    Kana,
    KanaFamily,
    KanaGiven,
    Birth,
    Address,
    Insurance,
    Other,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::Name,
        Field::Family,
        Field::Given,
        Field::Kana,
        Field::KanaFamily,
        Field::KanaGiven,
        Field::Birth,
        Field::Address,
        Field::Insurance,
        Field::Other,
    ];

    /// The column name in a token file (`clk_<label>`) and the sub-key label.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Family => "family",
            Field::Given => "given",
            Field::Kana => "kana",
            Field::KanaFamily => "kana_family",
            Field::KanaGiven => "kana_given",
            Field::Birth => "birth",
            Field::Address => "address",
            Field::Insurance => "insurance",
            Field::Other => "other",
        }
    }

    fn bits_and_hashes(self) -> (usize, usize) {
        match self {
            Field::Insurance | Field::Other => (256, 8),
            // Names: up to ~15 n-grams × 8 bits; 512 bits keep unrelated names' Dice near 0.2.
            _ => (512, 8),
        }
    }

    fn is_name(self) -> bool {
        matches!(self, Field::Name | Field::Family | Field::Given | Field::Kana | Field::KanaFamily | Field::KanaGiven)
    }
}

/// Salting name filters (hardening against frequency attacks, see docs/linkage.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameSalt {
    /// Name filters depend on the name only: most robust to birth-date errors.
    #[default]
    None,
    /// Name n-grams are hashed together with the birth year: the same name in different birth
    /// years gives unrelated filters, which flattens the name-frequency distribution a
    /// frequency attack aligns with; a pair whose birth years differ loses its name similarity.
    BirthYear,
}

/// The tokens of one record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tokens {
    pub id1: Option<[u8; 16]>,
    pub id2: Option<[u8; 16]>,
    pub id4: Option<[u8; 16]>,
    /// Blocking signatures, sorted.
    pub blocks: Vec<u64>,
    /// One filter per [`Field`], `None` where the field is missing.
    pub filters: [Option<Bloom>; 10],
}

/// A field that was present but could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub reason: &'static str,
}

/// Tokens and what could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub tokens: Tokens,
    pub problems: Vec<Problem>,
}

/// Why a token-file row could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenParseError {
    #[error("expected {expected} token columns, found {found}")]
    ColumnCount { expected: usize, found: usize },
    #[error("column {column}: not a 32-hex-digit token")]
    BadId { column: &'static str },
    #[error("column blocks: not a list of 16-hex-digit signatures")]
    BadBlock,
    #[error("column clk_{column}: {source}")]
    BadFilter { column: &'static str, source: BloomError },
}

/// Builds tokens with one key; create once, encode many rows.
#[derive(Clone)]
pub struct Encoder {
    id1: Hmac<Sha256>,
    id2: Hmac<Sha256>,
    id4: Hmac<Sha256>,
    block: Hmac<Sha256>,
    filters: Vec<FilterEncoder>,
    salt: NameSalt,
    fingerprint: String,
}

impl Encoder {
    pub fn new(key: &LinkageKey, salt: NameSalt) -> Self {
        let mac = |label: &str| Hmac::<Sha256>::new_from_slice(&key.sub_key(label)).unwrap_or_else(|_| unreachable!());
        let filters = Field::ALL
            .iter()
            .map(|f| {
                let (bits, hashes) = f.bits_and_hashes();
                FilterEncoder::new(&key.sub_key(&format!("filter/{}", f.label())), bits, hashes)
            })
            .collect();
        Encoder {
            id1: mac("id1"),
            id2: mac("id2"),
            id4: mac("id4"),
            block: mac("block"),
            filters,
            salt,
            fingerprint: key.fingerprint(),
        }
    }

    /// The key's fingerprint, for the token file.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn encode(&self, person: &Person) -> Encoded {
        let mut problems = Vec::new();
        let v = Normalized::from(person, &mut problems);
        let mut tokens = Tokens { filters: Default::default(), ..Tokens::default() };
        let dob = v.birth.map(|d| d.iso());
        let sex = v.sex.map(Sex::code);
        if let (Some(ins), Some(num), Some(dob), Some(sex)) = (&v.insurer, &v.number, &dob, sex) {
            let sym = v.symbol.as_deref().unwrap_or("");
            tokens.id1 = Some(token(&self.id1, &[ins, sym, num, dob, sex]));
        }
        if let (Some(name), Some(dob), Some(sex)) = (&v.name, &dob, sex) {
            tokens.id2 = Some(token(&self.id2, &[&name.full, dob, sex]));
        }
        if let (Some(kana), Some(dob), Some(sex)) = (&v.kana, &dob, sex) {
            tokens.id4 = Some(token(&self.id4, &[&kana.full, dob, sex]));
        }
        tokens.blocks = self.blocks(&v);
        let salt = match (self.salt, v.birth) {
            (NameSalt::BirthYear, Some(d)) => d.year.to_string(),
            (NameSalt::BirthYear, None) => "?".to_string(),
            (NameSalt::None, _) => String::new(),
        };
        for (i, field) in Field::ALL.iter().enumerate() {
            let features = v.features(*field);
            if features.is_empty() {
                continue;
            }
            let salt = if field.is_name() { salt.as_bytes() } else { b"" };
            tokens.filters[i] = Some(self.filters[i].encode(salt, features.iter().map(String::as_str)));
        }
        Encoded { tokens, problems }
    }

    fn blocks(&self, v: &Normalized) -> Vec<u64> {
        let Some(b) = v.birth else {
            let mut out: Vec<u64> = v.other.iter().map(|o| signature(&self.block, &["other", o])).collect();
            out.extend(self.postal_blocks(v));
            if let (Some(ins), Some(num)) = (&v.insurer, &v.number) {
                out.push(signature(&self.block, &["insurer+number", ins, num]));
            }
            return out;
        };
        let (dob, yob, md) = (b.iso(), b.year.to_string(), format!("{:02}{:02}", b.month, b.day));
        let mut combos: Vec<(&str, Option<&str>, &str)> = Vec::new();
        for (label, name) in [("kana", &v.kana_loose), ("name", &v.name)] {
            if let Some(n) = name {
                combos.push((label, Some(&n.full), &dob));
                combos.push((label, Some(&n.full), &yob));
                combos.push((label, Some(&n.full), &md));
                combos.push((label, n.family.as_deref(), &dob));
                combos.push((label, n.given.as_deref(), &dob));
            }
        }
        let mut out: Vec<u64> = combos
            .iter()
            .enumerate()
            .filter_map(|(i, (label, value, date))| {
                value.map(|value| signature(&self.block, &[label, &(i % 5).to_string(), value, date]))
            })
            .collect();
        if let Some(pc) = &v.postal {
            out.push(signature(&self.block, &["postal+dob", pc, &dob]));
        }
        out.extend(self.postal_blocks(v));
        if let (Some(ins), Some(num)) = (&v.insurer, &v.number) {
            out.push(signature(&self.block, &["insurer+number", ins, num]));
        }
        if let Some(o) = &v.other {
            out.push(signature(&self.block, &["other", o]));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl Encoder {
    /// Name (parts in either order) or one name part, with the postal code: for pairs whose
    /// birth dates disagree (a typo, a swap, a missing date); and an identifier's characters in
    /// sorted order, which survives a transposition of two digits.
    fn postal_blocks(&self, v: &Normalized) -> Vec<u64> {
        let mut out = Vec::new();
        if let Some(o) = &v.other {
            let mut chars: Vec<char> = o.chars().collect();
            chars.sort_unstable();
            out.push(signature(&self.block, &["other-sorted", &chars.into_iter().collect::<String>()]));
        }
        let Some(pc) = &v.postal else { return out };
        for (label, name) in [("kana", &v.kana_loose), ("name", &v.name)] {
            let Some(n) = name else { continue };
            let mut parts: Vec<&str> = [n.family.as_deref(), n.given.as_deref()].into_iter().flatten().collect();
            parts.sort_unstable();
            let unordered = if parts.len() == 2 { parts.concat() } else { n.full.clone() };
            out.push(signature(&self.block, &[label, "name+postal", &unordered, pc]));
            for (part, value) in [("family+postal", &n.family), ("given+postal", &n.given)] {
                if let Some(value) = value {
                    out.push(signature(&self.block, &[label, part, value, pc]));
                }
            }
        }
        out
    }
}

/// Tokens for one row (builds an [`Encoder`]: for many rows, build it once).
pub fn encode(key: &LinkageKey, person: &Person, salt: NameSalt) -> Encoded {
    Encoder::new(key, salt).encode(person)
}

fn keyed(mac: &Hmac<Sha256>, parts: &[&str]) -> [u8; 32] {
    let mut m = mac.clone();
    for p in parts {
        m.update(&(p.len() as u64).to_be_bytes());
        m.update(p.as_bytes());
    }
    m.finalize().into_bytes().into()
}

fn token(mac: &Hmac<Sha256>, parts: &[&str]) -> [u8; 16] {
    let d = keyed(mac, parts);
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

fn signature(mac: &Hmac<Sha256>, parts: &[&str]) -> u64 {
    let d = keyed(mac, parts);
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// A person's fields in canonical form.
struct Normalized {
    name: Option<Name>,
    kana: Option<Name>,
    kana_loose: Option<Name>,
    birth: Option<Date>,
    sex: Option<Sex>,
    postal: Option<String>,
    address: Option<String>,
    insurer: Option<String>,
    symbol: Option<String>,
    number: Option<String>,
    branch: Option<String>,
    other: Option<String>,
}

pub(super) fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Normalized {
    fn from(p: &Person, problems: &mut Vec<Problem>) -> Self {
        let mut check = |field: &'static str, raw: Option<&str>, ok: bool, reason: &'static str| {
            if raw.is_some() && !ok {
                problems.push(Problem { field, reason });
            }
        };
        let name = match (present(&p.family_name), present(&p.given_name)) {
            (None, None) => present(&p.name).and_then(normalize::name),
            (f, g) => normalize::name_parts(f, g),
        };
        let kana_of = |loose| match (present(&p.kana_family), present(&p.kana_given)) {
            (None, None) => present(&p.kana).and_then(|k| normalize::kana_name(k, loose)),
            (f, g) => normalize::name_parts(f, g).map(|n| Name {
                full: normalize::fold_kana(&n.full, loose),
                family: n.family.map(|s| normalize::fold_kana(&s, loose)),
                given: n.given.map(|s| normalize::fold_kana(&s, loose)),
            }),
        };
        let birth = present(&p.birth_date).and_then(normalize::date);
        check("birth_date", present(&p.birth_date), birth.is_some(), "not a date");
        let sex = present(&p.sex).and_then(normalize::sex);
        check("sex", present(&p.sex), sex.is_some(), "not a known sex code");
        let postal = present(&p.postal_code).and_then(normalize::postal_code);
        check("postal_code", present(&p.postal_code), postal.is_some(), "not a postal code (3 to 10 digits)");
        let insurer = present(&p.insurer_number).map(normalize::insurer_number);
        if let Some(Err(problem)) = &insurer {
            let reason = match problem {
                InsurerProblem::NotDigits => "insurer number is not digits",
                InsurerProblem::WrongLength => "insurer number is not 6 or 8 digits",
                InsurerProblem::CheckDigit => "insurer number check digit fails",
            };
            problems.push(Problem { field: "insurer_number", reason });
        }
        Normalized {
            name,
            kana: kana_of(false),
            kana_loose: kana_of(true),
            birth,
            sex,
            postal,
            address: present(&p.address).and_then(normalize::address),
            insurer: insurer.and_then(Result::ok),
            symbol: present(&p.insured_symbol).and_then(normalize::insured_code),
            number: present(&p.insured_number).and_then(normalize::insured_code),
            branch: present(&p.insured_branch).and_then(normalize::insured_code),
            other: present(&p.other_id).and_then(normalize::identifier),
        }
    }

    fn features(&self, field: Field) -> Vec<String> {
        let part =
            |n: &Option<Name>, f: fn(&Name) -> Option<&str>| n.as_ref().and_then(f).map(ngrams).unwrap_or_default();
        match field {
            Field::Name => part(&self.name, |n| Some(&n.full)),
            Field::Family => part(&self.name, |n| n.family.as_deref()),
            Field::Given => part(&self.name, |n| n.given.as_deref()),
            Field::Kana => part(&self.kana, |n| Some(&n.full)),
            Field::KanaFamily => part(&self.kana, |n| n.family.as_deref()),
            Field::KanaGiven => part(&self.kana, |n| n.given.as_deref()),
            Field::Birth => self.birth_features(),
            Field::Address => {
                let mut f = self.address.as_deref().map(ngrams).unwrap_or_default();
                if let Some(pc) = &self.postal {
                    f.push(format!("pc:{pc}"));
                    f.push(format!("pc3:{}", pc.get(..3).unwrap_or(pc)));
                }
                f
            }
            Field::Insurance => {
                let mut f = Vec::new();
                if self.insurer.is_none() && self.number.is_none() {
                    return f;
                }
                for (tag, v) in [("i", &self.insurer), ("s", &self.symbol), ("n", &self.number), ("b", &self.branch)] {
                    if let Some(v) = v {
                        f.push(format!("{tag}:{v}"));
                    }
                }
                if let (Some(i), Some(n)) = (&self.insurer, &self.number) {
                    f.push(format!("in:{i}|{n}"));
                }
                f
            }
            Field::Other => self.other.as_deref().map(ngrams).unwrap_or_default(),
        }
    }

    /// Year, month, day, their pairs, the unordered month/day pair with and without the year (a
    /// day/month swap keeps them), the whole date, and sex. The linker tells the kinds of
    /// disagreement apart by how many features are shared (docs/linkage.md).
    fn birth_features(&self) -> Vec<String> {
        let Some(d) = self.birth else { return Vec::new() };
        let (lo, hi) = (d.month.min(d.day), d.month.max(d.day));
        let mut f = vec![
            format!("y:{}", d.year),
            format!("m:{}", d.month),
            format!("d:{}", d.day),
            format!("ym:{}-{}", d.year, d.month),
            format!("md:{}-{}", d.month, d.day),
            format!("ymd:{}", d.iso()),
            format!("pair:{lo}-{hi}"),
            format!("ypair:{}-{lo}-{hi}", d.year),
        ];
        if let Some(s) = self.sex {
            f.push(format!("sex:{}", s.code()));
        }
        f
    }
}

/// Character n-grams: bigrams with start/end padding; for Japanese script also unigrams (a
/// kanji name has few bigrams, and one kanji is already informative).
fn ngrams(value: &str) -> Vec<String> {
    let chars: Vec<char> = value.chars().collect();
    let mut out = Vec::with_capacity(chars.len() * 2 + 1);
    if chars.iter().any(|c| !c.is_ascii()) {
        out.extend(chars.iter().map(|c| format!("1{c}")));
    }
    let padded: Vec<char> =
        std::iter::once('\u{2}').chain(chars.iter().copied()).chain(std::iter::once('\u{3}')).collect();
    out.extend(padded.windows(2).map(|w| format!("2{}{}", w[0], w[1])));
    out.sort_unstable();
    out.dedup();
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_id(text: &str, column: &'static str) -> Result<Option<[u8; 16]>, TokenParseError> {
    if text.is_empty() {
        return Ok(None);
    }
    if text.len() != 32 {
        return Err(TokenParseError::BadId { column });
    }
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| TokenParseError::BadId { column })?;
    }
    Ok(Some(out))
}

impl Tokens {
    /// Column names of [`Tokens::to_columns`].
    pub fn columns() -> Vec<String> {
        let mut c: Vec<String> = ["id1", "id2", "id4", "blocks"].iter().map(|s| s.to_string()).collect();
        c.extend(Field::ALL.iter().map(|f| format!("clk_{}", f.label())));
        c
    }

    /// Text columns: ids as hex, blocks as space-separated hex, filters as base64; empty = missing.
    pub fn to_columns(&self) -> Vec<String> {
        let id = |v: &Option<[u8; 16]>| v.as_ref().map(|b| hex(b)).unwrap_or_default();
        let mut out = vec![id(&self.id1), id(&self.id2), id(&self.id4)];
        out.push(self.blocks.iter().map(|b| format!("{b:016x}")).collect::<Vec<_>>().join(" "));
        out.extend(self.filters.iter().map(|f| f.as_ref().map(Bloom::to_base64).unwrap_or_default()));
        out
    }

    pub fn from_columns(cols: &[&str]) -> Result<Tokens, TokenParseError> {
        let expected = 4 + Field::ALL.len();
        if cols.len() != expected {
            return Err(TokenParseError::ColumnCount { expected, found: cols.len() });
        }
        let mut blocks = Vec::new();
        for b in cols[3].split_whitespace() {
            blocks.push(u64::from_str_radix(b, 16).map_err(|_| TokenParseError::BadBlock)?);
        }
        blocks.sort_unstable();
        let mut filters: [Option<Bloom>; 10] = Default::default();
        for (i, field) in Field::ALL.iter().enumerate() {
            let text = cols[4 + i];
            if !text.is_empty() {
                let f = Bloom::from_base64(text)
                    .map_err(|source| TokenParseError::BadFilter { column: field.label(), source })?;
                filters[i] = Some(f);
            }
        }
        Ok(Tokens {
            id1: parse_id(cols[0], "id1")?,
            id2: parse_id(cols[1], "id2")?,
            id4: parse_id(cols[2], "id4")?,
            blocks,
            filters,
        })
    }

    pub fn filter(&self, field: Field) -> Option<&Bloom> {
        self.filters[field as usize].as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LinkageKey {
        LinkageKey::from_bytes([7; 32])
    }

    fn person(name: &str, kana: &str, dob: &str, sex: &str) -> Person {
        Person {
            name: Some(name.into()),
            kana: Some(kana.into()),
            birth_date: Some(dob.into()),
            sex: Some(sex.into()),
            insurer_number: Some("06132013".into()),
            insured_symbol: Some("12".into()),
            insured_number: Some("3456".into()),
            ..Person::default()
        }
    }

    #[test]
    fn spelling_variants_give_the_same_exact_tokens() {
        let e = Encoder::new(&key(), NameSalt::None);
        let a = e.encode(&person("髙橋 翔太", "タカハシ ショウタ", "1975-02-19", "M")).tokens;
        let b = e.encode(&person("高橋　翔太", "ﾀｶﾊｼ ｼﾖｳﾀ", "昭和50年2月19日", "男")).tokens;
        assert!(a.id1.is_some() && a.id2.is_some() && a.id4.is_some());
        assert_eq!((a.id1, a.id2, a.id4), (b.id1, b.id2, b.id4));
        assert_eq!(a.filters, b.filters);
        let c = e.encode(&person("高橋 翔太", "タカハシ ショウタ", "1975-02-19", "F")).tokens;
        assert_ne!(a.id2, c.id2);
    }

    #[test]
    fn other_keys_give_other_tokens_and_no_name_is_readable() {
        let p = person("山田 太郎", "ヤマダ タロウ", "1960-02-03", "1");
        let a = Encoder::new(&key(), NameSalt::None).encode(&p).tokens;
        let b = Encoder::new(&LinkageKey::from_bytes([8; 32]), NameSalt::None).encode(&p).tokens;
        assert_ne!(a.id2, b.id2);
        assert_ne!(a.filter(Field::Kana), b.filter(Field::Kana));
        let text = a.to_columns().join(",");
        for leak in ["山田", "ヤマダ", "1960", "06132013"] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
    }

    #[test]
    fn unusable_fields_are_reported_not_guessed() {
        let mut p = person("山田 太郎", "ヤマダ タロウ", "1960-02-30", "X");
        p.insurer_number = Some("06132014".into());
        let e = encode(&key(), &p, NameSalt::None);
        let fields: Vec<&str> = e.problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["birth_date", "sex", "insurer_number"]);
        assert_eq!((e.tokens.id1, e.tokens.id2), (None, None));
        assert!(e.tokens.filter(Field::Birth).is_none());
    }

    #[test]
    fn columns_round_trip() {
        let t = encode(&key(), &person("山田 太郎", "ヤマダ タロウ", "1960-02-03", "M"), NameSalt::BirthYear).tokens;
        let cols = t.to_columns();
        let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
        assert_eq!(Tokens::from_columns(&refs), Ok(t));
        assert_eq!(Tokens::columns().len(), cols.len());
        assert!(matches!(Tokens::from_columns(&refs[1..]), Err(TokenParseError::ColumnCount { .. })));
    }

    #[test]
    fn salting_by_birth_year_separates_namesakes_of_other_years() {
        let e = Encoder::new(&key(), NameSalt::BirthYear);
        let a = e.encode(&person("山田 太郎", "ヤマダ タロウ", "1960-02-03", "M")).tokens;
        let b = e.encode(&person("山田 太郎", "ヤマダ タロウ", "1961-02-03", "M")).tokens;
        let (fa, fb) = (a.filter(Field::Kana), b.filter(Field::Kana));
        assert!(fa.zip(fb).is_some_and(|(x, y)| x.dice(y) < 0.35));
    }
}
