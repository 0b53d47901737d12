//! Pattern rules for identifiers with a recognisable shape: contact details, numbers with check
//! digits, dates (Western and Japanese era), ages, and numbers introduced by a label.
//!
//! Rules run on the width-folded text (full-width digits, letters and dashes as ASCII), so one
//! pattern covers `０３－１２３４－５６７８` and `03-1234-5678`. Each rule names the group `v`
//! that is the identifier itself: labels (`TEL`, `〒`, `ID:`) stay outside the span, as the
//! corpus conventions require. Digits must not continue on either side of a match (checked in
//! code, since the regex crate has no look-around).

use regex::Regex;

use super::PhiKind;
use super::checks::{aba_routing, credit_card, digits_of, my_number, ssn};

/// An extra check on the matched value.
#[derive(Clone, Copy)]
pub enum Check {
    None,
    Phone,
    MyNumber,
    CreditCard,
    Ssn,
    /// ABA routing number checksum.
    Aba,
    /// `Y/M/D`, `Y-M-D`, `M/D(/Y)`: month and day must be calendar values.
    NumericDate,
}

pub struct Rule {
    pub name: &'static str,
    pub kind: PhiKind,
    pub regex: Regex,
    pub check: Check,
    pub confidence: f32,
}

/// Japanese address: prefecture (or a city/ward), town, then 丁目/番/号 or 1-2-3, then an
/// optional building and room.
const JA_ADDRESS: &str = r"(?P<v>(?:北海道|東京都|京都府|大阪府|[一-龥々]{2,3}県)[一-龥々ぁ-んァ-ヶー]{1,20}?\d{1,4}(?:丁目\d{1,4}(?:番地?\d{1,4}号?|番地?|-\d{1,4})?|番地?(?:\d{1,4}号?)?|-\d{1,4}(?:-\d{1,4})?)(?:[ ][一-龥々ぁ-んァ-ヶーA-Za-z]{1,15}[ ]?\d{2,4}(?:号室)?)?)";
/// The same without the prefecture: a city, ward, town or village must be named.
const JA_ADDRESS_LOCAL: &str = r"(?P<v>[一-龥々]{1,5}(?:市|区|郡)[一-龥々ぁ-んァ-ヶー]{1,15}?\d{1,4}(?:丁目\d{1,4}(?:番地?\d{1,4}号?|-\d{1,4})?|番地?\d{1,4}号?|-\d{1,4}-\d{1,4}))";
/// Facilities: an optional 医療法人 prefix and a name ending in a facility word. Hiragana may
/// be part of the name (さくら病院) but not particles (の, に…), which end a phrase before it.
const JA_FACILITY: &str = r"(?P<v>(?:医療法人(?:社団|財団)?[一-龥々ァ-ヶー]{1,10}会[ ]?)?(?:[一-龥々ァ-ヶーA-Za-z・]|[ぁ-ん--[のにへをはがでともやかよねか]]){1,14}(?:病院|医院|クリニック|診療所|医療センター|薬局|訪問看護ステーション|介護老人保健施設|老人保健施設|特別養護老人ホーム|老人ホーム))";
const EN_STREET: &str = r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Way|Court|Ct|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Alley|Glen|Rue|Stream|Corner|Prairie|Harbors?|Gardens?|Plains?|Crossing|Square|Trail|Ridge|Heights|Hills?|Springs?|Views?|Villages?|Ville|Vista|Walks?|Wells?|Fields?|Forks?|Lakes?|Mills?|Mountains?|Oval|Pass|Path|Pike|Pines|Points?|Ports?|Ranch|Rapids?|Route|Row|Shoals?|Shores?|Summit|Trace|Track|Valleys?|Via|Causeway|Center|Cliffs?|Common|Cove|Creek|Crescent|Crest|Curve|Dale|Estates?|Expressway|Extension|Falls|Ferry|Flats?|Ford|Forest|Freeway|Gateway|Green|Grove|Haven|Hollow|Island|Junction|Key|Knolls?|Landing|Loop|Manor|Meadows?|Mews|Mount|Orchard|Park|Plaza|Station|Throughway|Turnpike|Union|Wall)";
const EN_FACILITY_WORD: &str = r"(?:Memorial Hospital|Hospital|Medical Center|Medical Centre|Community Clinic|Clinic|Health Center|Health System|Cancer Center|Nursing Home|Rehabilitation Center|Family Practice|Pharmacy|Surgical Center|Children's Hospital)";

const MONTH: &str = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)";
/// Between a label and its value: colons, spaces, an opening bracket, "No." or 番号.
const SEP: &str = r"[:：#\s(（\[【]*(?:No\.?|no\.?|番号|＃)?[:：#\s]*";

fn rule(name: &'static str, kind: PhiKind, pattern: &str, check: Check, confidence: f32) -> Option<Rule> {
    // Patterns are constants of this file, compiled once and covered by tests: a pattern that
    // does not compile is dropped (and fails `every_rule_compiles`) rather than panicking.
    match Regex::new(pattern) {
        Ok(regex) => Some(Rule { name, kind, regex, check, confidence }),
        Err(_e) => {
            #[cfg(test)]
            eprintln!("rule {name} does not compile: {_e}");
            None
        }
    }
}

/// Every rule, in priority order: earlier rules win overlaps of equal length, so numbers
/// introduced by a label (a 10-digit patient ID) outrank bare shapes (a 10-digit phone number).
pub fn all() -> Vec<Rule> {
    use PhiKind::*;
    let labelled = |label: &str, value: &str| format!(r"(?i:{label}){SEP}(?P<v>{value})");
    [
        // Numbers introduced by a label
        rule("label-insurer", InsuranceId, &labelled(r"保険者番号|公費負担者番号|負担者番号|受給者番号|被保険者番号|介護保険(?:被保険者)?番号|member\s*id|policy\s*(?:no\.?|number|#)|MBI|medicare(?:\s*(?:no\.?|number|#|id))?|medicaid(?:\s*(?:no\.?|number|#|id))?", r"[A-Za-z0-9][A-Za-z0-9-]{3,}"), Check::None, 0.95),
        rule("label-insurance-symbol", InsuranceId, r"記号[:：\s]*(?P<v>[^\s、。，,:：()（）]{1,12})", Check::None, 0.9),
        rule("label-insurance-number", InsuranceId, r"(?:記号[^\n]{0,20}?)番号[:：\s]*(?P<v>[0-9A-Za-z-]{1,12})", Check::None, 0.9),
        rule("label-branch", InsuranceId, r"枝番[:：\s]*(?P<v>\d{1,3})", Check::None, 0.9),
        rule("label-patient", PatientId, &labelled(r"MRN|medical\s+record(?:\s+(?:number|no\.?))?|患者\s*ID|患者番号|カルテ(?:番号|No\.?|ID)?|診察券番号|登録番号|ID", r"[A-Za-z0-9][A-Za-z0-9-]{3,}"), Check::None, 0.9),
        rule("label-record", RecordId, &labelled(r"case(?:\s*(?:no\.?|number|#))?|受付番号|オーダー番号|検査番号|標本番号|病理番号|処方箋番号|accession(?:\s*(?:no\.?|number|#))?|specimen(?:\s*(?:no\.?|number|#))?|order\s*(?:no\.?|number|#)|account\s*(?:no\.?|number|#)", r"[A-Za-z0-9][A-Za-z0-9-]{3,}"), Check::None, 0.9),
        rule("label-passport", Passport, &labelled(r"旅券(?:番号)?|パスポート(?:番号)?|passport", r"[A-Z]{2}\d{7}|[A-Z]\d{8}|\d{9}"), Check::None, 0.95),
        rule("label-license", DriverLicense, &labelled(r"運転免許証?(?:番号)?|免許証番号|driver'?s?\s+licen[cs]e(?:\s+(?:no\.?|number|#))?|DL", r"第?\d{12}号?|[A-Z]\d{6,12}|\d{7,12}"), Check::None, 0.95),
        rule("label-pension", PensionNo, &labelled(r"基礎年金番号|年金番号", r"\d{4}-?\d{6}"), Check::None, 0.95),
        rule("label-bank", BankAccount, &labelled(r"口座番号|口座|普通|当座|貯蓄|(?:bank|checking|savings)\s+account|account\s+number|acct\.?", r"\d{5}-\d{6,8}|\d{6,17}"), Check::None, 0.9),
        rule("label-routing", BankAccount, &labelled(r"routing(?:\s*(?:no\.?|number|#))?|ABA", r"\d{9}"), Check::Aba, 0.95),
        rule("label-age", Age, r"(?i:(?-u:\b)age)[:：]\s*(?P<v>\d{1,3})", Check::None, 0.9),
        rule("label-other", OtherId, &labelled(r"住民票コード|在留カード(?:番号)?|serial\s*(?:no\.?|number|#)?|S/N|SN|VIN|plate\s*(?:no\.?|number|#)?", r"[A-Za-z0-9][A-Za-z0-9-]{4,}"), Check::None, 0.85),
        // Places
        rule("address-ja", Address, JA_ADDRESS, Check::None, 0.9),
        rule("address-ja-local", Address, JA_ADDRESS_LOCAL, Check::None, 0.8),
        rule("facility-ja", Facility, JA_FACILITY, Check::None, 0.8),
        rule("address-en", Address, &format!(r"(?P<v>(?-u:\b)\d{{1,6}}(?: [A-Z][a-z]+){{1,3}} {EN_STREET}\.?(?:,? (?:Apt\.?|Suite|Unit|#) ?[0-9A-Za-z-]+)?)(?-u:\b)"), Check::None, 0.85),
        rule("address-en-line", Address, r"(?P<v>(?-u:\b)\d{1,6}(?: [A-Z][a-z]+){1,3}(?:,? (?:Apt\.?|Suite|Unit|#) ?[0-9A-Za-z-]+)?), [A-Z][a-z]+(?: [A-Z][a-z]+){0,2}, [A-Z]{2} \d{5}", Check::None, 0.85),
        rule("address-en-context", Address, r"(?i:lives at|living at|resides at|residing at|address:?|home:?) (?P<v>\d{1,6}(?: [A-Z][a-z]+){1,3}(?:,? (?:Apt\.?|Suite|Unit|#) ?[0-9A-Za-z-]+)?)", Check::None, 0.85),
        rule("location-city-state", Location, r"(?P<v>(?-u:\b)[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}), [A-Z]{2} \d{5}", Check::None, 0.85),
        rule("location-lives-in", Location, r"(?:lives|living|resides|residing|moved) (?:in|to) (?P<v>[A-Z][a-z]+(?: [A-Z][a-z]+){0,2})", Check::None, 0.8),
        rule("facility-en", Facility, &format!(r"(?P<v>(?-u:\b)(?:St\. )?[A-Z][A-Za-z'.-]+(?: [A-Z][A-Za-z'.-]+){{0,4}} {EN_FACILITY_WORD})"), Check::None, 0.8),
        // Shapes
        rule("email", Email, r"(?P<v>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})", Check::None, 0.99),
        rule("url", Url, r"(?P<v>(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+[A-Za-z0-9/])", Check::None, 0.99),
        rule("ipv4", IpAddress, r"(?P<v>(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))", Check::None, 0.9),
        rule("ipv6", IpAddress, r"(?P<v>(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{1,4})", Check::None, 0.9),
        rule("my-number", MyNumber, r"(?P<v>\d{4}[ -]?\d{4}[ -]?\d{4})", Check::MyNumber, 0.98),
        rule("credit-card", CreditCard, r"(?P<v>\d{4}[ -]?\d{4,6}[ -]?\d{4,5}(?:[ -]?\d{1,4})?)", Check::CreditCard, 0.98),
        rule("ssn", Ssn, r"(?P<v>\d{3}-\d{2}-\d{4})", Check::Ssn, 0.95),
        rule("phone-jp", Phone, r"(?P<v>(?:\+81[- ]?\(?0?\d{1,4}\)?|\(?0\d{1,4}\)?)[- ]?\d{1,4}[- ]?\d{3,4})", Check::Phone, 0.9),
        rule("phone-nanp", Phone, r"(?P<v>(?:\+?1[-. ]?)?\(\d{3}\)[-. ]?\d{3}[-. ]\d{4}|(?:\+?1[-. ]?)?\d{3}[-.]\d{3}[-.]\d{4})", Check::None, 0.9),
        rule("postal-jp", PostalCode, r"(?:〒|郵便番号[:：\s]*)\s*(?P<v>\d{3}-?\d{4})", Check::None, 0.98),
        rule("zip-us", PostalCode, r"(?-u:\b)[A-Z]{2},?\s+(?P<v>\d{5}(?:-\d{4})?)(?-u:\b)", Check::None, 0.85),
        // Dates: Japanese
        rule("date-era", Date, r"(?P<v>(?:令和|平成|昭和|大正|明治|[㋿㍻㍼㍽㍾])\s*(?:\d{1,2}|元)\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?)", Check::None, 0.97),
        rule("date-era-short", Date, r"(?P<v>(?-u:\b)[RHSTM]\s?\d{1,2}[./年]\d{1,2}(?:[./月]\d{1,2}日?)?)", Check::None, 0.9),
        rule("date-kanji", Date, r"(?P<v>\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|\d{1,2}\s*月\s*\d{1,2}\s*日)", Check::None, 0.95),
        // Dates: numeric and English
        rule("date-ymd", Date, r"(?P<v>\d{4}[/.-]\d{1,2}(?:[/.-]\d{1,2})?)", Check::NumericDate, 0.9),
        rule("date-mdy", Date, r"(?P<v>\d{1,2}/\d{1,2}(?:/\d{2,4})?)", Check::NumericDate, 0.8),
        rule("date-month-name", Date, &format!(r"(?P<v>{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}\.?,?\s+\d{{4}}|{MONTH}\.?,?\s+\d{{4}}|\d{{1,2}}-?{MONTH}-?\d{{2,4}})"), Check::None, 0.9),
        rule("date-ddmonyyyy", Date, r"(?P<v>\d{2}(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\d{4})", Check::None, 0.9),
        // Ages
        rule("age-ja", Age, r"(?P<v>\d{1,3}\s*(?:歳|才))", Check::None, 0.9),
        rule("age-en", Age, r"(?P<v>\d{1,3})(?:[- ](?:year|yr)s?[- ]old|\s*(?:y/o|yo)(?-u:\b))", Check::None, 0.9),
        rule("age-aged", Age, r"(?i:aged)\s+(?P<v>\d{1,3})", Check::None, 0.85),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Whether `value` passes the rule's extra check.
pub fn passes(check: Check, value: &str) -> bool {
    let d = digits_of(value);
    match check {
        Check::None => true,
        Check::MyNumber => my_number(&d),
        Check::CreditCard => credit_card(&d),
        Check::Ssn => ssn(&d),
        Check::Aba => aba_routing(&d),
        // Japanese numbers: 10 digits (fixed) or 11 (mobile, 050/0120…); +81 drops the 0.
        Check::Phone => {
            let n = if value.trim_start().starts_with("+81") { d.len() - 2 + 1 } else { d.len() };
            (10..=11).contains(&n)
        }
        Check::NumericDate => numeric_date(value),
    }
}

fn numeric_date(value: &str) -> bool {
    let parts: Vec<u32> = value.split(['/', '.', '-']).filter_map(|p| p.parse().ok()).collect();
    let ok_md = |m: u32, d: u32| (1..=12).contains(&m) && (1..=31).contains(&d);
    match parts.as_slice() {
        [y, m, d] if *y >= 1000 => (1870..=2100).contains(y) && ok_md(*m, *d),
        [y, m] if *y >= 1000 => (1870..=2100).contains(y) && (1..=12).contains(m),
        [m, d] => ok_md(*m, *d),
        [m, d, y] => ok_md(*m, *d) && (*y < 100 || (1870..=2100).contains(y)),
        _ => false,
    }
}
