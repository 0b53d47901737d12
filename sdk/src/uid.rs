//! Keyed, deterministic UID mapping.
//!
//! Every instance UID is replaced by `2.25.<decimal of a 128-bit UUID>` where the UUID is the first
//! 16 bytes of `HMAC-SHA-256(uid key, original UID)` with the RFC 9562 version 8 ("custom") and
//! variant bits set, as PS3.5 §B.2 requires for the `2.25.` root. Because the mapping is a pure
//! function of the key and the original, the same UID maps to the same new UID in every file,
//! series, study and run, and every reference (Referenced SOP Instance UID, Frame of Reference…)
//! stays consistent without any shared state between workers. Without the key the mapping cannot
//! be reversed or even tested.

use crate::key::{ProjectKey, Purpose};

/// Maps original UIDs to keyed `2.25.` UIDs.
#[derive(Debug, Clone)]
pub struct UidMapper {
    key: ProjectKey,
}

impl UidMapper {
    pub fn new(key: &ProjectKey) -> Self {
        UidMapper { key: key.clone() }
    }

    /// The keyed replacement for `original` (trailing NUL/space padding ignored).
    /// The result is at most 44 characters, well within the 64 a UI value allows.
    pub fn map(&self, original: &str) -> String {
        let trimmed = original.trim_end_matches(['\0', ' ']).trim_start();
        let mac = self.key.mac(Purpose::Uid, &[trimmed.as_bytes()]);
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&mac[..16]);
        bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8
        bytes[8] = (bytes[8] & 0x3f) | 0x80; // variant 10
        format!("2.25.{}", u128::from_be_bytes(bytes))
    }
}

/// Whether `value` is a syntactically valid UID (PS3.5 §9.1): ≤ 64 chars, dot-separated
/// components of digits without leading zeros.
pub fn is_valid_uid(value: &str) -> bool {
    let v = value.trim_end_matches(['\0', ' ']);
    !v.is_empty()
        && v.len() <= 64
        && v.split('.')
            .all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()) && (c == "0" || !c.starts_with('0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapper(seed: u8) -> UidMapper {
        UidMapper::new(&ProjectKey::from_bytes([seed; 32]))
    }

    #[test]
    fn same_key_same_uid_and_padding_ignored() {
        let m = mapper(1);
        assert_eq!(m.map("1.2.3.4"), m.map("1.2.3.4\0"));
        assert_eq!(m.map("1.2.3.4"), mapper(1).map("1.2.3.4"));
    }

    #[test]
    fn different_key_or_input_gives_a_different_uid() {
        assert_ne!(mapper(1).map("1.2.3.4"), mapper(2).map("1.2.3.4"));
        assert_ne!(mapper(1).map("1.2.3.4"), mapper(1).map("1.2.3.5"));
    }

    #[test]
    fn output_is_a_valid_2_25_uid() {
        for i in 0..200 {
            let u = mapper(7).map(&format!("1.2.840.99.{i}"));
            assert!(u.starts_with("2.25."), "{u}");
            assert!(is_valid_uid(&u), "{u}");
            assert!(u.len() <= 44, "{u}");
        }
    }

    #[test]
    fn validity_rules() {
        assert!(is_valid_uid("1.2.840.10008.1.2"));
        assert!(is_valid_uid("1.0.3"));
        assert!(!is_valid_uid("1.02.3"));
        assert!(!is_valid_uid("1..3"));
        assert!(!is_valid_uid("1.2.a"));
        assert!(!is_valid_uid(""));
    }
}
