//! Keys for joining anonymized output with national databases (連結可能匿名加工医療情報).
//!
//! The 2024 amendment of the Next-Generation Medical Infrastructure Act lets certified creators
//! provide information that can be joined with the NDB and other public databases. A join needs
//! the *same* key on both sides for the same person, so it cannot use the project's linkage key
//! (which must stay among the data holders of one project and is rotated per project). This
//! module makes the join keys under a separate [`JoinKey`], issued by whoever operates the join
//! (the national database side or its designated body) and handed to the data holders, and a
//! separate purpose label, so a join key reveals nothing about linkage tokens and vice versa.
//! The keys use the NDB field combinations (ID1: insurer number + 記号・番号 + birth date + sex;
//! ID4: kana name + birth date + sex) on the same normalized values as the linkage tokens, full
//! 256-bit HMAC-SHA-256 as 64 hex digits.

use super::LinkageKey;
use super::normalize::{self};
use super::tokens::{Person, present};
use crate::key::KeyError;

/// The join secret (same file format as the other keys; a different secret).
#[derive(Clone, PartialEq, Eq)]
pub struct JoinKey(LinkageKey);

impl std::fmt::Debug for JoinKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JoinKey(fingerprint {})", self.0.fingerprint())
    }
}

impl JoinKey {
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        LinkageKey::from_hex(text).map(JoinKey)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        JoinKey(LinkageKey::from_bytes(bytes))
    }

    pub fn fingerprint(&self) -> String {
        self.0.fingerprint()
    }
}

/// A record's join keys (hex), `None` where a needed field is missing or unusable.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JoinKeys {
    pub id1: Option<String>,
    pub id4: Option<String>,
}

/// The join keys of one register row.
pub fn join_keys(key: &JoinKey, person: &Person) -> JoinKeys {
    let text = present;
    let dob = text(&person.birth_date).and_then(normalize::date).map(|d| d.iso());
    let sex = text(&person.sex).and_then(normalize::sex).map(|s| s.code());
    let mac = |label: &str, parts: &[&str]| -> String {
        let sub = key.0.sub_key(&format!("join/{label}"));
        let mut h = crate::key::ProjectKey::from_bytes(sub).hasher(crate::key::Purpose::Linkage);
        for p in parts {
            h.part(p.as_bytes());
        }
        h.finish().iter().map(|b| format!("{b:02x}")).collect()
    };
    let insurer = text(&person.insurer_number).and_then(|v| normalize::insurer_number(v).ok());
    let number = text(&person.insured_number).and_then(normalize::insured_code);
    let symbol = text(&person.insured_symbol).and_then(normalize::insured_code).unwrap_or_default();
    let id1 = match (&insurer, &number, &dob, sex) {
        (Some(i), Some(n), Some(d), Some(s)) => Some(mac("id1", &[i, &symbol, n, d, s])),
        _ => None,
    };
    let kana = match (text(&person.kana_family), text(&person.kana_given)) {
        (None, None) => text(&person.kana).and_then(|k| normalize::kana_name(k, false)),
        (f, g) => normalize::name_parts(f, g).map(|n| normalize::Name {
            full: normalize::fold_kana(&n.full, false),
            family: None,
            given: None,
        }),
    };
    let id4 = match (&kana, &dob, sex) {
        (Some(k), Some(d), Some(s)) => Some(mac("id4", &[&k.full, d, s])),
        _ => None,
    };
    JoinKeys { id1, id4 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linkage::{NameSalt, encode};

    fn person() -> Person {
        Person {
            kana: Some("ﾔﾏﾀﾞ ﾀﾛｳ".into()),
            birth_date: Some("S35.2.3".into()),
            sex: Some("男".into()),
            insurer_number: Some("06132013".into()),
            insured_number: Some("0042".into()),
            ..Person::default()
        }
    }

    #[test]
    fn join_keys_agree_across_spellings_and_differ_from_linkage_tokens() {
        let key = JoinKey::from_bytes([9; 32]);
        let a = join_keys(&key, &person());
        let mut other = person();
        other.kana = Some("ヤマダ　タロウ".into());
        other.birth_date = Some("1960-02-03".into());
        other.sex = Some("M".into());
        other.insured_number = Some("42".into());
        assert_eq!(a, join_keys(&key, &other));
        assert_eq!(a.id1.as_ref().map(String::len), Some(64));
        let linkage = encode(&LinkageKey::from_bytes([9; 32]), &person(), NameSalt::None).tokens;
        let id4: String = linkage.id4.iter().flatten().map(|b| format!("{b:02x}")).collect();
        assert!(!a.id4.as_deref().unwrap_or_default().starts_with(&id4));
        assert_ne!(a, join_keys(&JoinKey::from_bytes([1; 32]), &person()));
    }

    #[test]
    fn missing_fields_give_no_key() {
        let mut p = person();
        p.sex = None;
        assert_eq!(join_keys(&JoinKey::from_bytes([9; 32]), &p), JoinKeys::default());
    }
}
