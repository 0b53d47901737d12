//! Keyed Bloom-filter encodings (CLKs) of one field, and their Dice similarity.
//!
//! A field value becomes a set of features (character n-grams of a name, the parts of a date…);
//! each feature sets `k` bits whose positions come from HMAC-SHA-256 of the feature under a
//! sub-key of the linkage key that is specific to the field ("random hashing": k independent
//! positions from one keyed digest, not the double-hashing scheme that the 2017 attacks of
//! Niedermeyer et al. exploit). Two filters' Dice coefficient approximates the Dice coefficient
//! of the feature sets, so similar names give similar filters while the filter reveals no
//! n-gram to anyone without the key. See `docs/linkage.md` for what this does not protect.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A Bloom filter of a power-of-two number of bits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bloom {
    words: Vec<u64>,
}

/// Why a filter could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BloomError {
    #[error("not base64: {0}")]
    NotBase64(String),
    #[error("a filter must be a non-zero multiple of 8 bytes; found {0} bytes")]
    BadLength(usize),
}

impl Bloom {
    pub fn with_bits(bits: usize) -> Self {
        Bloom { words: vec![0; bits.div_ceil(64).max(1)] }
    }

    pub fn bits(&self) -> usize {
        self.words.len() * 64
    }

    pub fn set(&mut self, position: usize) {
        let p = position % self.bits();
        self.words[p / 64] |= 1 << (p % 64);
    }

    pub fn count_ones(&self) -> u32 {
        self.words.iter().map(|w| w.count_ones()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// Dice coefficient 2|A∧B| / (|A|+|B|); 0 for two empty filters or filters of different sizes.
    pub fn dice(&self, other: &Bloom) -> f64 {
        if self.words.len() != other.words.len() {
            return 0.0;
        }
        let (mut both, mut total) = (0u32, 0u32);
        for (a, b) in self.words.iter().zip(&other.words) {
            both += (a & b).count_ones();
            total += a.count_ones() + b.count_ones();
        }
        if total == 0 { 0.0 } else { 2.0 * f64::from(both) / f64::from(total) }
    }

    /// The words, for hashing a filter as a blocking key.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// Little-endian bytes, base64 without padding: the token file format.
    pub fn to_base64(&self) -> String {
        let bytes: Vec<u8> = self.words.iter().flat_map(|w| w.to_le_bytes()).collect();
        STANDARD_NO_PAD.encode(bytes)
    }

    pub fn from_base64(text: &str) -> Result<Self, BloomError> {
        let bytes = STANDARD_NO_PAD
            .decode(text.trim().trim_end_matches('='))
            .map_err(|e| BloomError::NotBase64(e.to_string()))?;
        if bytes.is_empty() || bytes.len() % 8 != 0 {
            return Err(BloomError::BadLength(bytes.len()));
        }
        let words = bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        Ok(Bloom { words })
    }
}

/// Encodes feature sets of one field: a keyed HMAC state prepared once, cloned per feature.
#[derive(Clone)]
pub struct FilterEncoder {
    mac: Hmac<Sha256>,
    bits: usize,
    hashes: usize,
}

impl FilterEncoder {
    /// `hashes` is capped at 16 (two 32-bit positions per digest word pair; one digest gives 8).
    pub fn new(sub_key: &[u8; 32], bits: usize, hashes: usize) -> Self {
        // HMAC takes keys of any length: this cannot fail.
        let mac = Hmac::<Sha256>::new_from_slice(sub_key).unwrap_or_else(|_| unreachable!());
        FilterEncoder { mac, bits, hashes: hashes.clamp(1, 16) }
    }

    /// A filter with every feature's `k` bits set; `salt` is hashed with each feature.
    pub fn encode<'a>(&self, salt: &[u8], features: impl IntoIterator<Item = &'a str>) -> Bloom {
        let mut bloom = Bloom::with_bits(self.bits);
        for feature in features {
            let mut round = 0u8;
            let mut done = 0;
            while done < self.hashes {
                let mut mac = self.mac.clone();
                mac.update(&[round, salt.len() as u8]);
                mac.update(salt);
                mac.update(feature.as_bytes());
                let digest = mac.finalize().into_bytes();
                for chunk in digest.chunks_exact(4).take(self.hashes - done) {
                    let p = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) as usize;
                    bloom.set(p);
                    done += 1;
                }
                round += 1;
            }
        }
        bloom
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoder(seed: u8) -> FilterEncoder {
        FilterEncoder::new(&[seed; 32], 256, 8)
    }

    #[test]
    fn similar_feature_sets_give_similar_filters() {
        let e = encoder(1);
        let a = e.encode(b"", ["_ヤ", "ヤマ", "マダ", "ダ_"]);
        let b = e.encode(b"", ["_ヤ", "ヤマ", "マタ", "タ_"]);
        let c = e.encode(b"", ["_ス", "スズ", "ズキ", "キ_"]);
        assert_eq!(a.dice(&a), 1.0);
        assert!(a.dice(&b) > 0.4 && a.dice(&b) < 0.7, "{}", a.dice(&b));
        assert!(a.dice(&c) < 0.3, "{}", a.dice(&c));
        assert_eq!(a.count_ones(), a.count_ones().min(32));
    }

    #[test]
    fn the_key_and_the_salt_change_every_position() {
        let a = encoder(1).encode(b"", ["ヤマ"]);
        assert_ne!(a, encoder(2).encode(b"", ["ヤマ"]));
        assert_ne!(a, encoder(1).encode(b"1975", ["ヤマ"]));
    }

    #[test]
    fn base64_round_trip_and_errors() {
        let a = encoder(3).encode(b"", ["x", "y"]);
        assert_eq!(Bloom::from_base64(&a.to_base64()), Ok(a));
        assert!(matches!(Bloom::from_base64("***"), Err(BloomError::NotBase64(_))));
        assert_eq!(Bloom::from_base64("AAAA"), Err(BloomError::BadLength(3)));
    }
}
