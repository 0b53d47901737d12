//! The sealed re-identification mapping: pseudonym → local patient ID.
//!
//! The Act lets the data holder re-identify a 仮名加工医療情報 lawfully (to correct a record, to
//! answer a patient). Recomputing pseudonyms for every local ID works, but needs the whole
//! patient list; the mapping answers directly. It never goes into the output: the CLI writes it
//! to a separate path, sealed with ChaCha20-Poly1305 under a key derived from the project key
//! for this purpose only ([`Purpose::MappingKey`]), so a copied mapping file without the key
//! reveals nothing and a changed one is detected. The nonce comes from the caller (the platform's
//! random source) to keep this crate free of randomness.
//!
//! File format: `KAKOU-MAPPING-1\n` (16 bytes, also the associated data), the 16-hex-digit key
//! fingerprint and `\n` (17 bytes, associated data too), a 12-byte nonce, then the ciphertext of
//! a JSON object `{pseudonym: local ID}` with its 16-byte tag.

use std::collections::BTreeMap;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use crate::key::{ProjectKey, Purpose};

const MAGIC: &[u8; 16] = b"KAKOU-MAPPING-1\n";
const HEADER: usize = 16 + 17;

/// Why a mapping file could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("not a Kakou mapping file")]
    NotAMapping,
    #[error("the mapping was sealed under another project key (fingerprint {0})")]
    OtherKey(String),
    #[error("the mapping cannot be decrypted: it was changed or damaged")]
    Damaged,
    #[error("the mapping could not be encoded: {0}")]
    Encoding(String),
}

fn cipher(key: &ProjectKey) -> ChaCha20Poly1305 {
    let sub = key.mac(Purpose::MappingKey, &[b"chacha20poly1305"]);
    ChaCha20Poly1305::new(Key::from_slice(&sub))
}

/// Seals `mapping` under the project key with a fresh 12-byte `nonce` (never reuse one).
pub fn seal_mapping(
    key: &ProjectKey,
    nonce: [u8; 12],
    mapping: &BTreeMap<String, String>,
) -> Result<Vec<u8>, MappingError> {
    let plain = serde_json::to_vec(mapping).map_err(|e| MappingError::Encoding(e.to_string()))?;
    let mut out = Vec::with_capacity(HEADER + 12 + plain.len() + 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(key.fingerprint().as_bytes());
    out.push(b'\n');
    let aad = out.clone();
    let sealed = cipher(key)
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: &plain, aad: &aad })
        .map_err(|_| MappingError::Encoding("encryption failed".into()))?;
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens a sealed mapping.
pub fn open_mapping(key: &ProjectKey, bytes: &[u8]) -> Result<BTreeMap<String, String>, MappingError> {
    if bytes.len() < HEADER + 12 + 16 || &bytes[..16] != MAGIC {
        return Err(MappingError::NotAMapping);
    }
    let fingerprint = String::from_utf8_lossy(&bytes[16..HEADER - 1]).to_string();
    if fingerprint != key.fingerprint() {
        return Err(MappingError::OtherKey(fingerprint));
    }
    let (aad, rest) = bytes.split_at(HEADER);
    let (nonce, sealed) = rest.split_at(12);
    let plain = cipher(key)
        .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
        .map_err(|_| MappingError::Damaged)?;
    serde_json::from_slice(&plain).map_err(|_| MappingError::Damaged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tampering_and_wrong_key_are_detected() {
        let key = ProjectKey::from_bytes([1; 32]);
        let map: BTreeMap<String, String> = [("KKABC".to_string(), "12345".to_string())].into();
        let sealed = seal_mapping(&key, [9; 12], &map).unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"12345"), "the local ID is not in clear");
        assert_eq!(open_mapping(&key, &sealed).unwrap(), map);
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(open_mapping(&key, &bad), Err(MappingError::Damaged));
        let other = ProjectKey::from_bytes([2; 32]);
        assert!(matches!(open_mapping(&other, &sealed), Err(MappingError::OtherKey(_))));
        assert_eq!(open_mapping(&key, b"hello"), Err(MappingError::NotAMapping));
        assert_ne!(sealed, seal_mapping(&key, [8; 12], &map).unwrap(), "the nonce matters");
    }
}
