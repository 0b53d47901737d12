//! The project key and its purpose-separated sub-keys.
//!
//! One secret (32 random bytes, created once per project by the data holder) drives every keyed
//! transformation. Each use gets its own sub-key, `HMAC-SHA-256(project key, "kakou/v1/" + purpose)`,
//! so that, for example, knowing a UID mapping gives nothing about patient pseudonyms, and a new
//! use can never collide with an old one. The key never appears in any output or report; only a
//! short fingerprint does, so a reader can tell which key produced a batch.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Why a key could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the key file is empty")]
    Empty,
    #[error("the key must be 64 hexadecimal characters (32 bytes); found {0} characters")]
    WrongLength(usize),
    #[error("the key contains a character that is not hexadecimal at position {0}")]
    NotHex(usize),
}

/// What a derived sub-key is for. Adding a purpose never changes the output of existing ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// DICOM UIDs → `2.25.` UIDs.
    Uid,
    /// Patient names and IDs → pseudonyms.
    PatientPseudonym,
    /// Per-patient date offsets.
    DateOffset,
    /// Other values replaced by keyed surrogates (accession numbers, study IDs…).
    Surrogate,
    /// The key that seals a records run's pseudonym → local ID mapping (never a pseudonym).
    MappingKey,
    /// Record-linkage tokens and encodings (used with a *linkage* key, never the project key:
    /// see `linkage::LinkageKey`).
    Linkage,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::Uid => "uid",
            Purpose::PatientPseudonym => "patient-pseudonym",
            Purpose::DateOffset => "date-offset",
            Purpose::Surrogate => "surrogate",
            Purpose::MappingKey => "mapping-key",
            Purpose::Linkage => "linkage",
        }
    }
}

/// The project's secret key (32 bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct ProjectKey([u8; 32]);

impl std::fmt::Debug for ProjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProjectKey(fingerprint {})", self.fingerprint())
    }
}

impl ProjectKey {
    /// A key from raw bytes (for instance fresh from the platform's random source).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ProjectKey(bytes)
    }

    /// Parses the key file format: 64 hex digits; surrounding white space and `#` comment lines
    /// are ignored so a key file can say what it is for.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let hex: String = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
        if hex.is_empty() {
            return Err(KeyError::Empty);
        }
        if hex.len() != 64 {
            return Err(KeyError::WrongLength(hex.len()));
        }
        let mut out = [0u8; 32];
        let digits = hex.as_bytes();
        for (i, byte) in out.iter_mut().enumerate() {
            let hi = hex_value(digits[2 * i]).ok_or(KeyError::NotHex(2 * i))?;
            let lo = hex_value(digits[2 * i + 1]).ok_or(KeyError::NotHex(2 * i + 1))?;
            *byte = (hi << 4) | lo;
        }
        Ok(ProjectKey(out))
    }

    /// The key as 64 lowercase hex digits (for writing a new key file).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A short, non-secret fingerprint (first 8 bytes of SHA-256 of the key, hex) for reports.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.0);
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A keyed hasher for one purpose: feed it the value's parts, then [`KeyedHasher::finish`].
    pub fn hasher(&self, purpose: Purpose) -> KeyedHasher {
        let sub = self.sub_key(purpose);
        // HMAC accepts keys of any length: new_from_slice cannot fail for HMAC-SHA-256.
        let mac = HmacSha256::new_from_slice(&sub).unwrap_or_else(|_| unreachable!());
        KeyedHasher { mac }
    }

    fn sub_key(&self, purpose: Purpose) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(b"kakou/v1/");
        mac.update(purpose.label().as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// HMAC of a list of parts under a purpose. Parts are length-prefixed, so ("ab","c") and
    /// ("a","bc") never collide.
    pub fn mac(&self, purpose: Purpose, parts: &[&[u8]]) -> [u8; 32] {
        let mut h = self.hasher(purpose);
        for p in parts {
            h.part(p);
        }
        h.finish()
    }
}

/// An HMAC-SHA-256 over length-prefixed parts. Cloning a fresh one is the cheap way to hash many
/// values under one purpose (the sub-key is derived once).
#[derive(Clone)]
pub struct KeyedHasher {
    mac: HmacSha256,
}

impl std::fmt::Debug for KeyedHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyedHasher") // never the key state
    }
}

impl KeyedHasher {
    /// Adds one part (length-prefixed).
    pub fn part(&mut self, bytes: &[u8]) -> &mut Self {
        self.mac.update(&(bytes.len() as u64).to_be_bytes());
        self.mac.update(bytes);
        self
    }

    /// The 32-byte tag.
    pub fn finish(self) -> [u8; 32] {
        self.mac.finalize().into_bytes().into()
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn parses_hex_with_comments_and_round_trips() {
        let k = ProjectKey::from_hex(&format!("# project X\n{HEX}\n")).expect("valid key");
        assert_eq!(k.to_hex(), HEX);
    }

    #[test]
    fn rejects_bad_keys_with_a_reason() {
        assert_eq!(ProjectKey::from_hex("  \n# only a comment"), Err(KeyError::Empty));
        assert_eq!(ProjectKey::from_hex("abcd"), Err(KeyError::WrongLength(4)));
        let bad = format!("{}zz", &HEX[..62]);
        assert_eq!(ProjectKey::from_hex(&bad), Err(KeyError::NotHex(62)));
    }

    #[test]
    fn purposes_are_separated_and_parts_are_unambiguous() {
        let k = ProjectKey::from_hex(HEX).expect("valid key");
        assert_ne!(k.mac(Purpose::Uid, &[b"x"]), k.mac(Purpose::PatientPseudonym, &[b"x"]));
        assert_ne!(k.mac(Purpose::Uid, &[b"ab", b"c"]), k.mac(Purpose::Uid, &[b"a", b"bc"]));
        assert_eq!(k.mac(Purpose::Uid, &[b"x"]), k.mac(Purpose::Uid, &[b"x"]));
    }

    #[test]
    fn debug_never_prints_the_key() {
        let k = ProjectKey::from_hex(HEX).expect("valid key");
        assert!(!format!("{k:?}").contains(HEX));
    }
}
