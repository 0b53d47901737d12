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
    /// Identifiers after a label must contain a digit (`Specimen: left breast` is not one).
    HasDigit,
    /// A facility name that is more than a generic word (有料老人ホーム, 当院, 消化器内科).
    Facility,
    /// An English place after "moved to", not a common capitalised word.
    Place,
}

pub struct Rule {
    pub name: &'static str,
    pub kind: PhiKind,
    pub regex: Regex,
    pub check: Check,
    pub confidence: f32,
}

/// A house number in Arabic or kanji numerals (三丁目, 十五号).
const NUM: &str = r"(?:\d{1,4}|[一二三四五六七八九十〇百]{1,4})";

/// The numbered tail of a Japanese address: 丁目/番地/号 (with の: 一の二, 3番地の5), `1-2-3`,
/// Sapporo's 5条3丁目, then an optional building with its room or floor.
fn ja_address_tail() -> String {
    let n = NUM;
    format!(
        r"(?:{n}条)?{n}(?:丁目(?:{n}(?:番地?(?:の?{n}号?)?|号|の{n}|-{n}(?:-{n})?)?)?|番地?(?:の?{n}号?)?|の{n}(?:の{n})?|-{n}(?:-{n})?)(?:[ ]?[一-龥々ぁ-んァ-ヶーA-Za-z]{{1,15}}[ ]?(?:\d{{1,4}}(?:号室|号|F|階)|\d{{2,4}}))?"
    )
}

/// Japanese address: prefecture (or a city/ward), town, then the numbered tail. The town part is
/// greedy so that a kanji numeral inside a town name (四番町) does not end the address early.
fn ja_address() -> String {
    format!(
        r"(?P<v>(?:北海道|東京都|京都府|大阪府|[一-龥々]{{2,3}}県)[一-龥々ぁ-んァ-ヶーA-Za-z]{{1,24}}{})",
        ja_address_tail()
    )
}
/// The same without the prefecture: a city, ward or district (郡) must be named.
fn ja_address_local() -> String {
    format!(r"(?P<v>[一-龥々]{{1,5}}(?:市|区|郡)[一-龥々ぁ-んァ-ヶーA-Za-z]{{1,20}}{})", ja_address_tail())
}
/// Kyoto-style and rural addresses that end in a town (町, 字) and a bare lot number:
/// 京都市中京区河原町通三条上ル下丸屋町123, 山科区音羽珍事町2.
fn ja_address_town() -> String {
    format!(
        r"(?P<v>(?:北海道|東京都|京都府|大阪府|[一-龥々]{{2,3}}県)?[一-龥々]{{1,5}}(?:市|区|郡)[一-龥々ぁ-んァ-ヶー]{{0,24}}(?:町|村|字[一-龥々]{{1,5}}){NUM}(?:-{NUM}){{0,2}}(?:番地?)?)"
    )
}
/// Facilities: an optional 医療法人 prefix and a name ending in a facility word. Hiragana may
/// be part of the name (さくら病院) but not particles (の, に…), which end a phrase before it.
const JA_FACILITY: &str = r"(?P<v>(?:(?:医療法人(?:[ ]?(?:社団|財団))?[ ]?[一-龥々ァ-ヶー]{1,10}会|社会福祉法人[ ]?[一-龥々ァ-ヶー]{1,10}会|(?:独立行政法人[ ]?)?国立病院機構|地方独立行政法人[ ]?[一-龥々]{1,10}|(?:公益|一般)(?:財団|社団)法人[ ]?[一-龥々ァ-ヶー]{1,12})[ ]?)?(?:[一-龥々ァ-ヶーA-Za-z・]|[ぁ-ん--[のにへをはがでともやかよねか]]){1,14}(?:病院|医院|クリニック|診療所|医療センター|薬局|訪問看護ステーション|介護老人保健施設|老人保健施設|特別養護老人ホーム|老人ホーム|ホーム|居宅介護支援事業所|事業所|デイサービス(?:センター)?|ケアセンター|(?:内科|外科|小児科|皮膚科|眼科|耳鼻(?:咽喉)?科|整形外科|歯科|産婦人科|婦人科|泌尿器科|心療内科|精神科)(?:医院|クリニック)?))";
/// Care services named after their kind: 訪問看護ステーションひかり, 地域包括支援センター南.
const JA_FACILITY_NAMED_AFTER: &str = r"(?P<v>(?:訪問看護ステーション|地域包括支援センター|居宅介護支援事業所|デイサービス(?:センター)?|グループホーム|ケアプランセンター)[ ]?(?:[一-龥々ァ-ヶー]|[ぁ-ん--[のにへをはがでともやかよね]])[一-龥々ぁ-んァ-ヶー]{0,7}?)(?:[ 、。,，)）\n]|の|から|より|へ|に|で|を|が|は|と|$)";
/// A name followed by the kind of facility in brackets: ケアタウン若葉（特養）, あおば（デイ）.
const JA_FACILITY_KIND_AFTER: &str = r"(?P<v>[一-龥々ァ-ヶーA-Za-z][一-龥々ァ-ヶーA-Za-z・]{1,15})[(（](?:特養|老健|特別養護老人ホーム|介護老人保健施設|グループホーム|サ高住|有料老人ホーム|有料|デイサービス|デイケア|デイ|訪問看護|居宅|小規模多機能|ショートステイ|病院|クリニック|診療所|薬局)[)）]";
/// A facility named by its role in the note, whatever its name: 紹介元：さくら, 前医 ひまわり.
const JA_FACILITY_CONTEXT: &str = r"(?:紹介元|紹介先|転院元|転院先|入所先|通所先|搬送元|搬送先|前医|かかりつけ医?|施設名)[】\]]?[:：\s]*(?P<v>(?:[一-龥々ァ-ヶーA-Za-z]|[ぁ-ん--[のにへをはがでともやかよね]])[一-龥々ぁ-んァ-ヶーA-Za-z・]{1,19}?)(?:[ 、。,，(（)）\n]|から|より|へ|に|の|で|を|$)";
const EN_STREET: &str = r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Way|Court|Ct|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Alley|Glen|Rue|Stream|Corner|Prairie|Harbors?|Gardens?|Plains?|Crossing|Square|Trail|Ridge|Heights|Hills?|Springs?|Views?|Villages?|Ville|Vista|Walks?|Wells?|Fields?|Forks?|Lakes?|Mills?|Mountains?|Oval|Pass|Path|Pike|Pines|Points?|Ports?|Ranch|Rapids?|Route|Row|Shoals?|Shores?|Summit|Trace|Track|Valleys?|Via|Causeway|Center|Cliffs?|Common|Cove|Creek|Crescent|Crest|Curve|Dale|Estates?|Expressway|Extension|Falls|Ferry|Flats?|Ford|Forest|Freeway|Gateway|Green|Grove|Haven|Hollow|Island|Junction|Key|Knolls?|Landing|Loop|Manor|Meadows?|Mews|Mount|Orchard|Park|Plaza|Station|Throughway|Turnpike|Union|Wall)";
const EN_FACILITY_WORD: &str = r"(?:Memorial Hospital|Hospital|Medical Center|Medical Centre|Community Clinic|Clinic|Health Center|Health System|Healthcare|Cancer Center|Nursing Home|Rehabilitation Center|Rehab|Family Practice|Pharmacy|Surgical Center|Surgery Center|Children's Hospital|Institute|Associates|Medical Group|Physicians|Pediatrics|Orthopedics|Cardiology|Oncology|Dermatology|Urgent Care|Hospice|Senior Living|Assisted Living|Home Care|Home Health|Care Center|Nursing Center|Infirmary)";

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
    let labelled = |label: &str, value: &str| format!(r"(?i:{}){SEP}(?P<v>{value})", word_start_labels(label));
    [
        // Numbers introduced by a label
        rule("label-insurer", InsuranceId, &labelled(r"保険者番号|公費負担者番号|負担者番号|受給者番号|被保険者番号|介護保険(?:被保険者)?番号|member\s*id|(?:insurance\s+)?policy(?:\s*(?:no\.?|number|#))?|MBI|medicare(?:\s*(?:no\.?|number|#|id))?|medicaid(?:\s*(?:no\.?|number|#|id))?", r"[A-Za-z0-9][A-Za-z0-9-]{3,}"), Check::HasDigit, 0.95),
        // The value never starts with a bracket: `記号：[保険番号]` is this rule's own output.
        rule("label-insurance-symbol", InsuranceId, r"記号[:：\s]*(?P<v>[^\s、。，,:：()（）\[［][^\s、。，,:：()（）]{0,11})", Check::None, 0.9),
        rule("label-insurance-number", InsuranceId, r"(?:記号[^\n]{0,20}?)番号[:：\s]*(?P<v>[0-9A-Za-z-]{1,12})", Check::None, 0.9),
        rule("label-branch", InsuranceId, r"枝番[:：\s]*(?P<v>\d{1,3})", Check::None, 0.9),
        rule("label-patient", PatientId, &labelled(r"MRN|medical\s+record(?:\s+(?:number|no\.?))?|患者\s*ID|患者番号|カルテ(?:番号|No\.?|ID)?|診察券番号|登録番号|ID", r"[A-Za-z0-9][A-Za-z0-9-]{3,}"), Check::HasDigit, 0.9),
        rule("label-record", RecordId, &labelled(r"case(?:\s*(?:no\.?|number|#))?|受付番号|オーダー番号|検査番号|標本番号|病理番号|処方箋番号|accession(?:\s*(?:no\.?|number|#))?|specimen(?:\s*(?:no\.?|number|#))?|order\s*(?:no\.?|number|#)|account\s*(?:no\.?|number|#)", r"[A-Za-z0-9][A-Za-z0-9-]{3,}"), Check::HasDigit, 0.9),
        rule("label-passport", Passport, &labelled(r"旅券(?:番号)?|パスポート(?:番号)?|passport", r"[A-Z]{2}\d{7}|[A-Z]\d{8}|\d{9}"), Check::None, 0.95),
        rule("label-license", DriverLicense, &labelled(r"(?:運転免許証?(?:番号)?|免許証番号)[:：\s]*第|運転免許証?(?:番号)?|免許証番号|driver'?s?\s+licen[cs]e(?:\s+(?:no\.?|number|#))?|DL", r"\d{12}|[A-Z]\d{6,12}|[A-Z]\d{3,4}(?:-\d{3,4}){2,3}|\d{7,12}"), Check::None, 0.95),
        rule("label-pension", PensionNo, &labelled(r"基礎年金番号|年金番号", r"\d{4}-?\d{6}"), Check::None, 0.95),
        rule("label-bank", BankAccount, &labelled(r"口座番号|口座|普通|当座|貯蓄|(?:bank|checking|savings)\s+account|account\s+number|acct\.?", r"\d{5}-\d{6,8}|\d{6,17}"), Check::None, 0.9),
        rule("label-routing", BankAccount, &labelled(r"routing(?:\s*(?:no\.?|number|#))?|ABA", r"\d{9}"), Check::Aba, 0.95),
        // A labelled routing number is removed even when its ABA checksum fails (a typo still
        // points at the account); the checksum only raises the confidence (the rule above wins).
        rule("label-routing-unchecked", BankAccount, &labelled(r"routing(?:\s*(?:no\.?|number|#))?", r"\d{9}"), Check::None, 0.8),
        rule("label-initials", Name, r"(?:イニシャル|(?i:initials?))[:：\s]*(?P<v>[A-Z]\.\s?[A-Z]\.(?:\s?[A-Z]\.)?)", Check::None, 0.85),
        rule("label-age", Age, r"(?i:(?-u:\b)age)(?:[:：]\s*|\s+)(?P<v>\d{1,3})(?-u:\b)", Check::None, 0.9),
        rule("label-other", OtherId, &labelled(r"住民票コード|在留カード(?:番号)?|serial\s*(?:no\.?|number|#)?|S/N|SN|VIN|plate\s*(?:no\.?|number|#)?", r"[A-Za-z0-9][A-Za-z0-9-]{4,}"), Check::HasDigit, 0.85),
        // Places
        rule("address-ja", Address, &ja_address(), Check::None, 0.9),
        rule("address-ja-local", Address, &ja_address_local(), Check::None, 0.8),
        rule("address-ja-town", Address, &ja_address_town(), Check::None, 0.8),
        rule("facility-ja", Facility, JA_FACILITY, Check::Facility, 0.8),
        rule("facility-ja-named-after", Facility, JA_FACILITY_NAMED_AFTER, Check::None, 0.8),
        rule("facility-ja-kind-after", Facility, JA_FACILITY_KIND_AFTER, Check::Facility, 0.75),
        rule("facility-ja-context", Facility, JA_FACILITY_CONTEXT, Check::Facility, 0.75),
        rule("address-en", Address, &format!(r"(?P<v>(?-u:\b)\d{{1,6}}(?: [A-Z][a-z]+){{1,3}} {EN_STREET}\.?(?:,? (?:Apt\.?|Suite|Unit|#) ?[0-9A-Za-z-]+)?)(?-u:\b)"), Check::None, 0.85),
        rule("address-en-line", Address, r"(?P<v>(?-u:\b)\d{1,6}(?: [A-Z][a-z]+){1,3}(?:,? (?:Apt\.?|Suite|Unit|#) ?[0-9A-Za-z-]+)?), [A-Z][a-z]+(?: [A-Z][a-z]+){0,2}, [A-Z]{2} \d{5}", Check::None, 0.85),
        rule("address-en-context", Address, r"(?i:lives at|living at|resides at|residing at|address:?|home:?) (?P<v>\d{1,6}(?: [A-Z][a-z]+){1,3}(?:,? (?:Apt\.?|Suite|Unit|#) ?[0-9A-Za-z-]+)?)", Check::None, 0.85),
        rule("location-city-state", Location, r"(?P<v>(?-u:\b)[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}), [A-Z]{2} \d{5}", Check::None, 0.85),
        rule("location-lives-in", Location, r"(?:lives|living|resides|residing|moved|relocated|born|grew up|raised|home|back|returned|returning|travell?ed|trip|visiting|originally|is|are|was|came) (?:in|to|from) (?P<v>[A-Z][a-z]+(?: [A-Z][a-z]+){0,2})", Check::Place, 0.8),
        rule("facility-en", Facility, &format!(r"(?P<v>(?-u:\b)(?:St\. )?[A-Z][A-Za-z'.-]+(?: [A-Z][A-Za-z'.-]+){{0,4}} {EN_FACILITY_WORD})(?-u:\b)"), Check::None, 0.8),
        rule("facility-en-employer", Facility, r"(?:works (?:at|for)|employed (?:at|by)|[Ee]mployer:?|retired from) (?P<v>[A-Z][A-Za-z&'.-]+(?: (?:[A-Z][A-Za-z&'.-]+|&|of)){0,4})", Check::None, 0.75),
        // Shapes
        rule("email", Email, r"(?P<v>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})", Check::None, 0.99),
        rule("url", Url, r"(?P<v>(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+[A-Za-z0-9/])", Check::None, 0.99),
        rule("ipv4", IpAddress, r"(?P<v>(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))", Check::None, 0.9),
        rule("ipv6", IpAddress, r"(?P<v>(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{1,4})", Check::None, 0.9),
        rule("my-number", MyNumber, r"(?P<v>\d{4}[ -]?\d{4}[ -]?\d{4})", Check::MyNumber, 0.98),
        rule("credit-card", CreditCard, r"(?P<v>\d{4}[ -]?\d{4,6}[ -]?\d{4,5}(?:[ -]?\d{1,4})?)", Check::CreditCard, 0.98),
        rule("ssn", Ssn, r"(?P<v>\d{3}-\d{2}-\d{4})", Check::Ssn, 0.95),
        rule("phone-jp", Phone, r"(?P<v>(?:\+81[- ]?(?:\(0?\d{1,4}\)|0?\d{1,4})|\(0\d{1,4}\)|0\d{1,4})[- ]?\d{1,4}[- ]?\d{3,4})", Check::Phone, 0.9),
        rule("phone-nanp", Phone, r"(?P<v>(?:\+?1[-. ]?)?\(\d{3}\)[-. ]?\d{3}[-. ]\d{4}|(?:\+?1[-. ]?)?\d{3}[-.]\d{3}[-.]\d{4}|\+1[ ]\d{3}[ ]\d{3}[ ]\d{4})", Check::None, 0.9),
        rule("postal-jp", PostalCode, r"(?:〒|郵便番号[:：\s]*)\s*(?P<v>\d{3}-?\d{4})", Check::None, 0.98),
        // Without 〒: a 3-4 code right before a prefecture or a city (所在地：607-8062 京都市…).
        rule("postal-jp-before-address", PostalCode, r"(?P<v>\d{3}-\d{4})[ ]*(?:北海道|東京都|京都府|大阪府|[一-龥々]{2,3}県|[一-龥々]{1,5}[市区郡])", Check::None, 0.9),
        rule("zip-us", PostalCode, r"(?-u:\b)[A-Z]{2},?\s+(?P<v>\d{5}(?:-\d{4})?)(?-u:\b)", Check::None, 0.85),
        // Dates: Japanese
        rule("date-era-kanji", Date, r"(?P<v>(?:令和|平成|昭和|大正|明治)(?:[一二三四五六七八九十]{1,3}|元)年(?:[一二三四五六七八九十]{1,2}月(?:[一二三四五六七八九十]{1,3}日)?)?)", Check::None, 0.95),
        rule("date-era", Date, r"(?P<v>(?:令和|平成|昭和|大正|明治|[㋿㍻㍼㍽㍾])\s*(?:\d{1,2}|元)\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?)", Check::None, 0.97),
        // R6.1.2, H31/4/30 (three parts: `T 38.2` is a temperature), S45年, H2年4月.
        rule("date-era-short", Date, r"(?P<v>(?-u:\b)[RHSTM]\d{1,2}(?:[./]\d{1,2}[./]\d{1,2}|年(?:\d{1,2}月(?:\d{1,2}日)?)?))", Check::None, 0.9),
        rule("date-kanji", Date, r"(?P<v>\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|\d{1,2}\s*月\s*\d{1,2}\s*日)", Check::None, 0.95),
        // Dates: numeric and English
        rule("date-ymd", Date, r"(?P<v>\d{4}[/.-]\d{1,2}(?:[/.-]\d{1,2})?)", Check::NumericDate, 0.9),
        // Not after a letter: L4/5 is a spinal level, Se3/Im45 an image.
        rule("date-mdy", Date, r"(?:^|[^A-Za-z/.])(?P<v>\d{1,2}/\d{1,2}(?:/\d{2,4})?)", Check::NumericDate, 0.8),
        // A year tied to an event (1980年に上京); not 2019年版 (an edition) or 1980年代 (a decade).
        rule("date-year-ja", Date, r"(?P<v>(?:18|19|20)\d{2}年)(?:[^版度代間]|$)", Check::None, 0.8),
        rule("date-month-name", Date, &format!(r"(?P<v>{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}\.?,?\s+\d{{4}}|{MONTH}\.?,?\s+\d{{4}}|\d{{1,2}}-?{MONTH}-?\d{{2,4}})"), Check::None, 0.9),
        // A bare year after a preposition (moved to Boston in 2019): the year of an event.
        rule("date-year-en", Date, r"(?-u:\b)(?:in|since|during|until|from|by) (?P<v>(?:19|20)\d{2})(?:[^0-9A-Za-z/-]|$)", Check::None, 0.6),
        rule("date-weekday", Date, &format!(r"(?P<v>(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?)"), Check::None, 0.9),
        rule("date-ddmonyyyy", Date, r"(?P<v>\d{2}(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\d{4})", Check::None, 0.9),
        // Ages
        rule("age-ja", Age, r"(?P<v>(?:\d{1,3}|[一二三四五六七八九十百]{1,4})\s*(?:歳|才))", Check::None, 0.9),
        rule("age-en", Age, r"(?P<v>\d{1,3})(?:[- ](?:year|yr)s?[- ]old|\s*(?:y/o|y\.o\.|yo)(?-u:\b)|\s*(?:y\.o\.))", Check::None, 0.9),
        // `45 M with DKA`, `72F`: an age and a sex at the start of a line or after a colon.
        rule("age-sex", Age, r"(?m:(?:^|[:：(（]\s*))(?P<v>\d{1,3})\s?(?:M|F|yo[MF]?)(?-u:\b)", Check::None, 0.8),
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
        Check::HasDigit => !d.is_empty(),
        Check::Facility => !generic_facility(value),
        Check::Place => !NOT_PLACES.contains(&value.split(' ').next().unwrap_or_default()),
    }
}

/// Capitalised words after "back to", "came from"… that are not places.
const NOT_PLACES: &[&str] = &[
    "The",
    "This",
    "That",
    "His",
    "Her",
    "Their",
    "Baseline",
    "Clinic",
    "Hospital",
    "Emergency",
    "ER",
    "ED",
    "ICU",
    "OR",
    "PACU",
    "Work",
    "School",
    "Home",
    "Floor",
    "Bed",
    "Room",
    "Rehab",
    "Dr",
    "Mr",
    "Mrs",
    "Ms",
    "Normal",
    "Sinus",
    "Jan",
    "January",
    "Feb",
    "February",
    "Mar",
    "March",
    "Apr",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Facility words that may end a Japanese facility name, longest first.
const JA_FACILITY_WORDS: &[&str] = &[
    "特別養護老人ホーム",
    "介護老人保健施設",
    "訪問看護ステーション",
    "居宅介護支援事業所",
    "デイサービスセンター",
    "老人保健施設",
    "医療センター",
    "デイサービス",
    "ケアセンター",
    "老人ホーム",
    "クリニック",
    "事業所",
    "診療所",
    "ホーム",
    "病院",
    "医院",
    "薬局",
];
const JA_DEPARTMENTS: &[&str] = &[
    "耳鼻咽喉科",
    "整形外科",
    "心療内科",
    "産婦人科",
    "泌尿器科",
    "耳鼻科",
    "小児科",
    "皮膚科",
    "婦人科",
    "精神科",
    "内科",
    "外科",
    "眼科",
    "歯科",
];
/// Words that make a facility phrase generic: the kind of place, not its name.
const JA_GENERIC: &[&str] = &[
    "有料",
    "有料老人",
    "住宅型有料",
    "介護付き有料",
    "近医",
    "当",
    "他",
    "同",
    "前",
    "貴",
    "大学",
    "総合",
    "地域",
    "専門",
    "急性期",
    "療養型",
    "市内",
    "近隣",
    "近所",
    "一般",
    "民間",
    "公立",
    "私立",
    "個人",
    "医療",
    "介護",
    "老人",
    "療養",
    "回復期",
    "慢性期",
    "提携",
    "協力",
    "連携",
    "関連",
    "系列",
    "かかりつけ",
    "訪問",
    "調剤",
    "院外",
    "在宅",
    "入所",
    "通所",
    "短期",
    "小規模",
    "認知症",
    "高齢者",
    "障害者",
    "救急",
    "大",
    "小",
    "中",
    "本",
    "別",
    "外部",
    "附属",
    "付属",
    "グループ",
    "ケア",
    "マイ",
    "ナーシング",
    "当院",
    "他院",
    "自宅",
    "不明",
    "なし",
    "無し",
    "同院",
    "前医",
    "近く",
    "近くの",
    "歯科",
    "精神科",
    "保険",
    "国立",
    "公立",
    "県立",
    "府立",
    "都立",
    "道立",
    "市立",
    "町立",
    "村立",
];

/// Whether a facility phrase is a generic word rather than a name.
fn generic_facility(value: &str) -> bool {
    let v = value.trim();
    let mut rest = JA_FACILITY_WORDS.iter().find_map(|w| v.strip_suffix(w)).unwrap_or(v);
    let mut department = false;
    if rest.len() == v.len() || rest.is_empty() {
        if let Some(r) = JA_DEPARTMENTS.iter().find_map(|w| rest.strip_suffix(w)) {
            // 循環器内科 is a department; さくら内科 a clinic: a department word needs a kana name.
            department = rest.len() == v.len();
            rest = r;
        }
    } else if let Some(r) = JA_DEPARTMENTS.iter().find_map(|w| rest.strip_suffix(w)) {
        rest = r; // 佐々木内科クリニック: the name is 佐々木
    }
    let kana = rest.chars().any(|c| matches!(c, '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}'));
    rest.is_empty()
        || JA_GENERIC.contains(&rest)
        || rest.ends_with(['支', '援', '護', '祉'])
        || rest.contains("先生")
        || rest.ends_with(['様', '医'])
        || (department && !kana)
}

/// Puts an ASCII word boundary before each top-level alternative of `labels` that starts with
/// an ASCII letter, so `ID` does not fire inside `Rapid` (Japanese labels need none).
fn word_start_labels(labels: &str) -> String {
    let mut alts: Vec<String> = Vec::new();
    let (mut depth, mut cur) = (0i32, String::new());
    for c in labels.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            '|' if depth == 0 => {
                alts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    alts.push(cur);
    alts.iter()
        .map(|a| if a.starts_with(|c: char| c.is_ascii_alphabetic()) { format!(r"(?-u:\b){a}") } else { a.clone() })
        .collect::<Vec<_>>()
        .join("|")
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

#[cfg(test)]
mod tests {
    use super::super::{PhiKind, find};

    fn found(text: &str) -> Vec<(String, PhiKind)> {
        let chars: Vec<char> = text.chars().collect();
        find(text).into_iter().map(|s| (chars[s.start..s.end].iter().collect(), s.kind)).collect()
    }

    fn has(text: &str, value: &str, kind: PhiKind) {
        let f = found(text);
        assert!(f.contains(&(value.to_string(), kind)), "{value:?} ({kind:?}) not found in {text:?}: {f:?}");
    }

    fn absent(text: &str, value: &str) {
        let f = found(text);
        assert!(!f.iter().any(|(v, _)| v.contains(value)), "{value:?} should not be found in {text:?}: {f:?}");
    }

    #[test]
    fn japanese_addresses_in_many_forms() {
        has("住所　世田谷区桜丘三丁目二番十五号\n", "世田谷区桜丘三丁目二番十五号", PhiKind::Address);
        has(
            "自宅：京都市中京区河原町通三条上ル下丸屋町123",
            "京都市中京区河原町通三条上ル下丸屋町123",
            PhiKind::Address,
        );
        has(
            "連絡先：北海道旭川市忠和5条3丁目4-12 グリーンハイツ202号室",
            "北海道旭川市忠和5条3丁目4-12 グリーンハイツ202号室",
            PhiKind::Address,
        );
        has("訪問先：千葉県船橋市本町四丁目3番地の5", "千葉県船橋市本町四丁目3番地の5", PhiKind::Address);
        // A kanji numeral inside a town name does not end the address.
        has("住所：東京都武蔵野市四番町6丁目13番16号", "東京都武蔵野市四番町6丁目13番16号", PhiKind::Address);
        has("所在地：607-8062 京都市山科区音羽珍事町2", "607-8062", PhiKind::PostalCode);
        has("住所：福岡県福岡市中央区天神ＡＢタワー2-3-4\n", "福岡県福岡市中央区天神ＡＢタワー2-3-4", PhiKind::Address);
    }

    #[test]
    fn dates_in_kanji_numerals_and_short_eras() {
        has("入院期間：平成三十年十二月三日〜", "平成三十年十二月三日", PhiKind::Date);
        has("S45年 虫垂炎", "S45年", PhiKind::Date);
        has("1980年に上京", "1980年", PhiKind::Date);
        has("moved to Boston in 2019.", "2019", PhiKind::Date);
        has("Visit Tuesday, June 11, 2024.", "Tuesday, June 11, 2024", PhiKind::Date);
        absent("O: T 38.2, HR 98", "38.2");
        absent("L4/5 椎間板ヘルニア", "4/5");
        absent("2019年版ガイドライン、1980年代", "年");
    }

    #[test]
    fn ages_in_more_forms() {
        has("患者（八十二歳）", "八十二歳", PhiKind::Age);
        has("93 y.o. female", "93", PhiKind::Age);
        has("Pathology. Age 88\n", "88", PhiKind::Age);
        has("Assessment: 45 M with DKA", "45", PhiKind::Age);
    }

    #[test]
    fn labels_are_words_and_ids_have_digits() {
        absent("Rapid strep positive.", "strep");
        absent("Specimen: left breast, core biopsy.", "left");
        has("運転免許証 第302145678901号", "302145678901", PhiKind::DriverLicense);
        has("Driver's license S530-4172-9981 on file", "S530-4172-9981", PhiKind::DriverLicense);
        has("Travel insurance policy TRV-88231-JP.", "TRV-88231-JP", PhiKind::InsuranceId);
        has("checking account 004512987, routing 123456789.", "123456789", PhiKind::BankAccount);
        has("イニシャル Y.T. で確認", "Y.T.", PhiKind::Name);
    }

    #[test]
    fn phones_without_the_bracket_before() {
        has("電話あり（090-8765-4321）", "090-8765-4321", PhiKind::Phone);
        has("Called at +1 415 555 0123 today", "+1 415 555 0123", PhiKind::Phone);
    }

    #[test]
    fn facilities_by_name_and_by_role() {
        has("紹介元：さくら内科　院長", "さくら内科", PhiKind::Facility);
        has("前医 ひまわりからの情報提供書", "ひまわり", PhiKind::Facility);
        has("みどり台ホームから転院", "みどり台ホーム", PhiKind::Facility);
        has("参加者：訪問看護ステーションひかり 菅原", "訪問看護ステーションひかり", PhiKind::Facility);
        has("【紹介元】いずみ野\n", "いずみ野", PhiKind::Facility);
        has("グループホームあかねの渡部さんより", "グループホームあかね", PhiKind::Facility);
        has("医療法人社団 青葉会 青葉台クリニック", "医療法人社団 青葉会 青葉台クリニック", PhiKind::Facility);
        has("Patient works at Acme Logistics; employer notified", "Acme Logistics", PhiKind::Facility);
        has("Follow up at Memorial Heart Institute.", "Memorial Heart Institute", PhiKind::Facility);
        // Kinds of places and departments are not names.
        let f = found("有料老人ホームを見学。消化器内科へ紹介。当院外科。");
        assert!(f.is_empty(), "{f:?}");
        absent("紹介元：当院", "当院");
        absent("国立病院機構の病院へ", "国立病院");
    }

    #[test]
    fn english_places_after_movement_words() {
        has("He is originally from Cleveland and moved to Boston", "Cleveland", PhiKind::Location);
        has("prefers to go home to Yonkers.", "Yonkers", PhiKind::Location);
        absent("Returned to Baseline.", "Baseline");
    }
}
