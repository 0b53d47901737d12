//! The records policy: what each column is (its role) and what happens to it (its action).
//!
//! The three criteria of a 仮名加工医療情報 decide most of it: direct identifiers are removed or
//! replaced by a keyed pseudonym, 個人識別符号 (My Number, insurance and passport numbers…) and
//! financially harmful items (card and account numbers) are always removed, medical values stay.
//! The policy only says which column is which, how far addresses and birth dates are coarsened,
//! and what happens to free text. A column the policy does not name is judged by its name: one
//! that looks like a name, an ID, a phone number, an address or My Number is removed and the
//! report says why (privacy first); other unnamed columns follow `unmapped` (kept by default).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::address::AddressPolicy;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The local patient ID: replaced by the keyed patient pseudonym (stable across files and
    /// runs, the same one `kakou dicom` gives the same ID).
    PatientId,
    /// A name, phone number, e-mail, other ID…: removed (or pseudonymized by policy).
    DirectIdentifier,
    /// 個人識別符号: My Number, insurance numbers, passport, driver's licence, pension number.
    /// Always removed.
    IndividualCode,
    /// Financially harmful: credit card, bank account. Always removed.
    Financial,
    /// A postal address: coarsened to prefecture or municipality (policy), else removed.
    Address,
    /// The birth date: kept, coarsened or removed by `birth_date`.
    BirthDate,
    /// Any other date (visit, admission, test): kept by default.
    Date,
    /// Free text: identifiers redacted (or the text removed) by `free_text`.
    FreeText,
    /// A value that links records (order, encounter, specimen number): keyed surrogate.
    Linkage,
    /// Sex, age, postcode region…: kept here; the anonymization step generalises them.
    QuasiIdentifier,
    /// Medical values (diagnosis, weight, blood pressure): kept.
    Sensitive,
    /// Reviewed and kept as is.
    Keep,
}

/// What happens to a column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Replaced by a keyed, non-reversible pseudonym.
    Pseudonymize,
    /// The column is dropped from the output.
    Remove,
    /// Kept unchanged.
    Keep,
    /// Address coarsened (level from the column or the policy).
    Coarsen,
    /// Free text with identifiers replaced by placeholders.
    Redact,
    /// Date reduced to year and month.
    YearMonth,
    /// Date reduced to the year.
    Year,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Pseudonymize => "pseudonymize",
            Action::Remove => "remove",
            Action::Keep => "keep",
            Action::Coarsen => "coarsen",
            Action::Redact => "redact",
            Action::YearMonth => "year-month",
            Action::Year => "year",
        }
    }
}

impl Role {
    /// The action a role gets when the policy names none.
    fn default_action(self, policy: &Policy) -> Action {
        match self {
            Role::PatientId | Role::Linkage => Action::Pseudonymize,
            Role::DirectIdentifier | Role::IndividualCode | Role::Financial => Action::Remove,
            Role::Address if policy.address == AddressPolicy::Remove => Action::Remove,
            Role::Address => Action::Coarsen,
            Role::BirthDate => policy.birth_date.action(),
            Role::FreeText => policy.free_text.action(),
            Role::Date | Role::QuasiIdentifier | Role::Sensitive | Role::Keep => Action::Keep,
        }
    }

    /// The actions a policy may choose for this role: never keep an identifier.
    fn allowed(self) -> &'static [Action] {
        use Action::*;
        match self {
            Role::PatientId | Role::Linkage | Role::DirectIdentifier => &[Pseudonymize, Remove],
            Role::IndividualCode | Role::Financial => &[Remove],
            Role::Address => &[Coarsen, Remove],
            Role::BirthDate | Role::Date => &[Keep, YearMonth, Year, Remove],
            Role::FreeText => &[Redact, Remove],
            Role::QuasiIdentifier | Role::Sensitive | Role::Keep => &[Keep, Remove],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::PatientId => "patient-id",
            Role::DirectIdentifier => "direct-identifier",
            Role::IndividualCode => "individual-code",
            Role::Financial => "financial",
            Role::Address => "address",
            Role::BirthDate => "birth-date",
            Role::Date => "date",
            Role::FreeText => "free-text",
            Role::Linkage => "linkage",
            Role::QuasiIdentifier => "quasi-identifier",
            Role::Sensitive => "sensitive",
            Role::Keep => "keep",
        }
    }
}

/// How much of a date survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateLevel {
    /// Kept whole (the guideline allows the birth date in 仮名加工医療情報).
    #[default]
    Keep,
    YearMonth,
    Year,
    Remove,
}

impl DateLevel {
    fn action(self) -> Action {
        match self {
            DateLevel::Keep => Action::Keep,
            DateLevel::YearMonth => Action::YearMonth,
            DateLevel::Year => Action::Year,
            DateLevel::Remove => Action::Remove,
        }
    }
}

/// What happens to free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FreeText {
    /// Identifiers found by the text redactor and the record's own identifiers are replaced.
    #[default]
    Redact,
    /// The text is removed.
    Remove,
}

impl FreeText {
    fn action(self) -> Action {
        match self {
            FreeText::Redact => Action::Redact,
            FreeText::Remove => Action::Remove,
        }
    }
}

/// What happens to a column the policy does not name and whose name does not look identifying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unmapped {
    #[default]
    Keep,
    Remove,
}

/// The text encoding of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncodingChoice {
    /// BOM, then UTF-8 validity; otherwise Shift_JIS (CP932).
    #[default]
    Auto,
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    /// Shift_JIS as Windows writes it (CP932 / Windows-31J).
    #[serde(alias = "cp932", alias = "sjis", alias = "shift_jis", alias = "windows-31j")]
    ShiftJis,
}

/// One column in the policy: a role, or a role with an action and options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ColumnSpec {
    Role(Role),
    Detailed(ColumnDetail),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnDetail {
    pub role: Role,
    #[serde(default)]
    pub action: Option<Action>,
    /// Address level for this column (overrides the policy's).
    #[serde(default)]
    pub address: Option<AddressPolicy>,
    /// Linkage namespace: values in columns with the same namespace get the same surrogate.
    #[serde(default)]
    pub namespace: Option<String>,
}

/// A records policy (TOML or JSON; see docs/records.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Address level for address columns and fields.
    pub address: AddressPolicy,
    pub birth_date: DateLevel,
    pub free_text: FreeText,
    pub unmapped: Unmapped,
    /// Issuer of the local patient IDs, if the same project pseudonymizes several issuers'
    /// IDs (as DICOM's IssuerOfPatientID). Empty: the same pseudonym as `kakou dicom` gives.
    pub issuer: String,
    pub encoding: EncodingChoice,
    /// The field delimiter (one ASCII character); absent: detected from the header line.
    pub delimiter: Option<char>,
    /// Column name → role (or role + action).
    pub columns: BTreeMap<String, ColumnSpec>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            address: AddressPolicy::Municipality,
            birth_date: DateLevel::Keep,
            free_text: FreeText::Redact,
            unmapped: Unmapped::Keep,
            issuer: String::new(),
            encoding: EncodingChoice::Auto,
            delimiter: None,
            columns: BTreeMap::new(),
        }
    }
}

/// A policy that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("column '{column}': role {role} does not allow action {action} (allowed: {allowed})")]
    ActionNotAllowed { column: String, role: &'static str, action: &'static str, allowed: String },
    #[error("delimiter must be one ASCII character other than '\"', CR or LF; found {0:?}")]
    BadDelimiter(char),
}

/// Who decided a column's treatment (for the report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "by", content = "detail")]
pub enum DecidedBy {
    Policy,
    /// The column name looks identifying; the detail says what it looks like.
    ColumnName(String),
    /// Not in the policy, name not identifying: the policy's `unmapped`.
    Unmapped,
}

/// The resolved treatment of one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnPlan {
    pub name: String,
    pub role: Role,
    pub action: Action,
    pub address: AddressPolicy,
    pub namespace: String,
    pub decided_by: DecidedBy,
}

impl Policy {
    /// Checks every column spec and the delimiter.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if let Some(d) = self.delimiter
            && (!d.is_ascii() || matches!(d, '"' | '\r' | '\n'))
        {
            return Err(PolicyError::BadDelimiter(d));
        }
        for name in self.columns.keys() {
            self.plan(name)?;
        }
        Ok(())
    }

    /// The treatment of column `name` (header text, trimmed).
    pub fn plan(&self, name: &str) -> Result<ColumnPlan, PolicyError> {
        let name = name.trim().trim_start_matches('\u{feff}');
        let spec =
            self.columns.get(name).or_else(|| self.columns.iter().find(|(k, _)| k.trim() == name).map(|(_, v)| v));
        let (role, action, address, namespace, decided_by) = match spec {
            Some(ColumnSpec::Role(role)) => (*role, None, None, None, DecidedBy::Policy),
            Some(ColumnSpec::Detailed(d)) => (d.role, d.action, d.address, d.namespace.clone(), DecidedBy::Policy),
            None => match identifying_column_name(name) {
                Some((role, looks_like)) => {
                    (role, Some(Action::Remove), None, None, DecidedBy::ColumnName(looks_like.to_string()))
                }
                // Remarks and comments carry whatever was typed: redacted like free text.
                None if free_text_column_name(name) => {
                    (Role::FreeText, None, None, None, DecidedBy::ColumnName("free text (remarks, comments)".into()))
                }
                None if self.unmapped == Unmapped::Remove => {
                    (Role::Keep, Some(Action::Remove), None, None, DecidedBy::Unmapped)
                }
                None => (Role::Keep, None, None, None, DecidedBy::Unmapped),
            },
        };
        let address = address.unwrap_or(self.address);
        let mut action = action.unwrap_or_else(|| role.default_action(self));
        if role == Role::Address && action == Action::Coarsen && address == AddressPolicy::Remove {
            action = Action::Remove;
        }
        if !role.allowed().contains(&action) {
            return Err(PolicyError::ActionNotAllowed {
                column: name.to_string(),
                role: role.label(),
                action: action.label(),
                allowed: role.allowed().iter().map(|a| a.label()).collect::<Vec<_>>().join(", "),
            });
        }
        let namespace = namespace.unwrap_or_else(|| "linkage".to_string());
        Ok(ColumnPlan { name: name.to_string(), role, action, address, namespace, decided_by })
    }
}

/// Keyword lists for column names that identify a person. Japanese keywords match anywhere;
/// ASCII ones match whole words of the name (split at punctuation and camelCase), so `id`
/// catches `patient_id` and `PatientID` but not `valid`.
const NAME_RULES: &[(Role, &str, &[&str], &[&str])] = &[
    (
        Role::IndividualCode,
        "an individual identification code (My Number, insurance, passport, licence, pension)",
        &[
            "マイナンバー",
            "個人番号",
            "被保険者",
            "保険者番号",
            "保険証",
            "記号番号",
            "旅券",
            "パスポート",
            "免許",
            "年金",
        ],
        &["mynumber", "insurance", "insured", "passport", "license", "licence", "pension", "ssn"],
    ),
    (
        Role::Financial,
        "a card or bank account number",
        &["カード", "口座", "銀行", "クレジット"],
        &["card", "account", "bank", "iban", "credit"],
    ),
    (Role::Address, "an address", &["住所", "所在地", "郵便", "〒"], &["address", "addr", "zip", "postal", "postcode"]),
    (
        Role::DirectIdentifier,
        "a phone number or e-mail address",
        &["電話", "携帯", "メール", "ファックス", "ＦＡＸ", "連絡先"],
        &["tel", "phone", "mobile", "fax", "mail", "email", "contact"],
    ),
    (
        Role::DirectIdentifier,
        "a person's name",
        &[
            "氏名",
            "名前",
            "患者名",
            "フリガナ",
            "ふりがな",
            "カナ",
            "ｶﾅ",
            "ﾌﾘｶﾞﾅ",
            "姓",
            "医師名",
            "担当医",
            "主治医",
            "記載者",
            "入力者",
            "保護者",
        ],
        &["name", "surname", "forename", "kana", "doctor", "physician"],
    ),
    (
        Role::DirectIdentifier,
        "an ID or number",
        &["ＩＤ", "番号", "カルテ", "診察券", "ｉｄ"],
        &["id", "mrn", "no", "number", "num"],
    ),
];

/// `Some((role, what it looks like))` when a column name suggests a direct identifier.
pub fn identifying_column_name(name: &str) -> Option<(Role, &'static str)> {
    let words = ascii_words(name);
    // A column called just "患者" / "patient" holds who the patient is.
    if name.trim() == "患者" || words == ["patient"] {
        return Some((Role::DirectIdentifier, "a person's name"));
    }
    for (role, looks_like, japanese, ascii) in NAME_RULES {
        let hit_ja = japanese.iter().any(|k| name.contains(k));
        let hit_ascii = ascii.iter().any(|k| words.iter().any(|w| w == k))
            || words.windows(2).any(|w| ascii.contains(&format!("{}{}", w[0], w[1]).as_str()));
        if hit_ja || hit_ascii {
            return Some((*role, looks_like));
        }
    }
    None
}

/// Whether a column name looks like remarks or comments (free text).
pub fn free_text_column_name(name: &str) -> bool {
    const JA: &[&str] = &["備考", "コメント", "メモ", "所見", "記事", "経過", "特記", "自由記載", "摘要", "メッセージ"];
    const EN: &[&str] = &["note", "notes", "comment", "comments", "remark", "remarks", "memo", "text", "narrative"];
    let words = ascii_words(name);
    JA.iter().any(|k| name.contains(k)) || words.iter().any(|w| EN.contains(&w.as_str()))
}

/// Lower-case ASCII words of a column name: split at non-alphanumerics, at lower→upper case
/// changes (camelCase) and at the end of an upper-case run (`PatientID` → patient, id).
fn ascii_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev: Option<char> = None;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev = None;
            continue;
        }
        if let Some(p) = prev
            && p.is_ascii_lowercase()
            && c.is_ascii_uppercase()
            && !cur.is_empty()
        {
            words.push(std::mem::take(&mut cur));
        }
        cur.push(c.to_ascii_lowercase());
        prev = Some(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifying_names_are_recognised_and_medical_ones_are_not() {
        for (name, role) in [
            ("氏名", Role::DirectIdentifier),
            ("患者カナ氏名", Role::DirectIdentifier),
            ("PatientID", Role::DirectIdentifier),
            ("patient_id", Role::DirectIdentifier),
            ("電話番号", Role::DirectIdentifier),
            ("マイナンバー", Role::IndividualCode),
            ("被保険者番号", Role::IndividualCode),
            ("クレジットカード番号", Role::Financial),
            ("bank_account", Role::Financial),
            ("住所", Role::Address),
            ("e-mail", Role::DirectIdentifier),
            ("My Number", Role::IndividualCode),
            ("連絡先", Role::DirectIdentifier),
            ("主治医", Role::DirectIdentifier),
            ("患者", Role::DirectIdentifier),
            ("Patient", Role::DirectIdentifier),
        ] {
            assert_eq!(identifying_column_name(name).map(|r| r.0), Some(role), "{name}");
        }
        for name in ["病名", "体重", "血圧", "valid", "性別", "受診日", "diagnosis", "weight_kg", "生年月日"]
        {
            assert_eq!(identifying_column_name(name), None, "{name}");
        }
    }

    #[test]
    fn policy_from_json_and_actions_that_would_keep_identifiers_are_refused() {
        let p: Policy = serde_json::from_str(
            r#"{"birth_date":"year","columns":{"ID":"patient-id","住所":{"role":"address","address":"prefecture"}}}"#,
        )
        .unwrap();
        p.validate().unwrap();
        let id = p.plan("ID").unwrap();
        assert_eq!((id.role, id.action, id.decided_by), (Role::PatientId, Action::Pseudonymize, DecidedBy::Policy));
        assert_eq!(p.plan("住所").unwrap().address, AddressPolicy::Prefecture);
        assert_eq!(p.plan("生年月日").unwrap().action, Action::Keep); // unnamed, not identifying
        let bad: Policy =
            serde_json::from_str(r#"{"columns":{"My Number":{"role":"individual-code","action":"keep"}}}"#).unwrap();
        assert!(matches!(bad.validate(), Err(PolicyError::ActionNotAllowed { .. })));
        assert!(serde_json::from_str::<Policy>(r#"{"adress":"prefecture"}"#).is_err(), "misspelt keys are errors");
    }

    #[test]
    fn unnamed_identifying_columns_are_removed_with_the_reason() {
        let plan = Policy::default().plan("患者氏名").unwrap();
        assert_eq!(plan.action, Action::Remove);
        assert!(matches!(plan.decided_by, DecidedBy::ColumnName(ref s) if s.contains("name")));
        let remarks = Policy::default().plan("備考").unwrap();
        assert_eq!((remarks.role, remarks.action), (Role::FreeText, Action::Redact));
        assert_eq!(Policy::default().plan("Clinical Comments").unwrap().action, Action::Redact);
        assert_eq!(Policy::default().plan("体重").unwrap().action, Action::Keep);
    }
}
