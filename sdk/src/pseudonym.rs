//! Keyed, non-reversible pseudonyms.
//!
//! A pseudonym is `HMAC-SHA-256(sub-key, namespace, value)` written in Crockford base32, so the
//! same patient gets the same pseudonym in every file and run under one project key, and nobody
//! without the key can compute or test it (a plain hash of a patient ID could be reversed by
//! hashing all plausible IDs). Only the data holder, who keeps the key, can re-identify, by
//! recomputing pseudonyms for its own patient list — the lawful re-identification path the Act
//! reserves to the creator.

use crate::key::{KeyedHasher, ProjectKey, Purpose};

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Creates pseudonyms for one purpose under the project key.
#[derive(Debug, Clone)]
pub struct Pseudonymizer {
    /// The purpose's HMAC, keyed once (deriving the sub-key per value cost two extra HMACs).
    hasher: KeyedHasher,
}

impl Pseudonymizer {
    pub fn new(key: &ProjectKey, purpose: Purpose) -> Self {
        Pseudonymizer { hasher: key.hasher(purpose) }
    }

    fn mac(&self, namespace: &str, value: &str) -> [u8; 32] {
        let mut h = self.hasher.clone();
        h.part(namespace.as_bytes()).part(value.as_bytes());
        h.finish()
    }

    /// A pseudonym of `len` base32 characters (5 bits each, at most 51) for `value` in
    /// `namespace` (for instance the issuer of a patient ID, or the attribute's name).
    pub fn pseudonym(&self, namespace: &str, value: &str, len: usize) -> String {
        base32(&self.mac(namespace, value), len.min(51))
    }

    /// A keyed integer in `0..n` (n > 0) for `value`: used for per-patient offsets.
    pub fn keyed_index(&self, namespace: &str, value: &str, n: u64) -> u64 {
        let mac = self.mac(namespace, value);
        let mut first = [0u8; 8];
        first.copy_from_slice(&mac[..8]);
        // 64 bits reduced modulo a small n: the bias is below 2^-40 for n < 2^24.
        u64::from_be_bytes(first) % n.max(1)
    }
}

fn base32(bytes: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 && out.len() < len {
            bits -= 5;
            out.push(CROCKFORD[((acc >> bits) & 31) as usize] as char);
        }
        acc &= (1 << bits) - 1;
        if out.len() == len {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_namespaced_and_sized() {
        let k = ProjectKey::from_bytes([3; 32]);
        let p = Pseudonymizer::new(&k, Purpose::PatientPseudonym);
        let a = p.pseudonym("patient-id", "12345", 16);
        assert_eq!(a.len(), 16);
        assert_eq!(a, p.pseudonym("patient-id", "12345", 16));
        assert_ne!(a, p.pseudonym("accession", "12345", 16));
        assert!(a.bytes().all(|c| CROCKFORD.contains(&c)));
    }

    #[test]
    fn keyed_index_is_in_range_and_spreads() {
        let p = Pseudonymizer::new(&ProjectKey::from_bytes([9; 32]), Purpose::DateOffset);
        let mut seen = [false; 10];
        for i in 0..500 {
            let v = p.keyed_index("patient", &i.to_string(), 10);
            assert!(v < 10);
            seen[v as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn the_prepared_hasher_gives_the_keys_mac() {
        let k = ProjectKey::from_bytes([3; 32]);
        let p = Pseudonymizer::new(&k, Purpose::PatientPseudonym);
        let direct = k.mac(Purpose::PatientPseudonym, &[b"patient-id", b"12345"]);
        assert_eq!(p.pseudonym("patient-id", "12345", 51), base32(&direct, 51));
    }

    #[test]
    fn base32_known_vector() {
        // 0xff 0x00 → 11111 11100 0000(0): "ZW0"
        assert_eq!(base32(&[0xff, 0x00], 3), "ZW0");
    }
}
