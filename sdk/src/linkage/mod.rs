//! Record linkage (名寄せ) with privacy-preserving tokens: names never leave the hospital.
//!
//! Two halves, one module, no I/O:
//!
//! - **At each hospital or municipality** ([`encode`]): a register row ([`Person`]) is
//!   [`normalize`]d (NFKC, kana folding, old kanji, 和暦, sex codings, insurer check digits) and
//!   turned into [`Tokens`]: exact keyed tokens in the style of the NDB keys (ID1 insurer, number,
//!   birth date, sex; ID2 name, birth date, sex; ID4 kana, birth date, sex), keyed blocking
//!   signatures, and keyed Bloom-filter encodings (CLKs) of each field for fuzzy matching. All of
//!   it is HMAC-SHA-256 under a [`LinkageKey`] that the linker never holds, so the linker cannot
//!   run a dictionary attack (hash every name and compare).
//! - **At the certified creator** ([`linker`]): tokens from N sources are blocked on shared
//!   tokens, compared field by field (token agreement, Dice similarity of the CLKs), scored with a
//!   Fellegi–Sunter model whose m/u probabilities are estimated by EM on the data itself, linked
//!   one-to-one between sources and clustered into persons; every link says which fields agreed.
//!
//! [`join`] makes the keys a national database join needs (連結可能匿名加工医療情報) under a
//! separate key. `docs/linkage.md` documents the scheme, the key handling and the limits.

pub mod bloom;
pub mod join;
pub mod linker;
pub mod normalize;
pub mod tokens;

pub use bloom::Bloom;
pub use linker::{Comparison, Link, LinkOptions, Linkage, Source, link};
pub use tokens::{Encoded, Field, NameSalt, Person, Tokens, encode};

use crate::key::{KeyError, ProjectKey, Purpose};

/// The secret shared by every data holder that makes tokens for one linkage project.
///
/// It is a different secret from the project key on purpose: the creator that links the tokens
/// may hold the project key (it de-identifies DICOM), and whoever holds the linkage key can
/// compute the tokens of any name and birth date. The linkage key is created by the party that
/// coordinates the data holders (never by the linker), handed to each hospital out of band, and
/// rotated by creating a new one and re-encoding every source (tokens of different keys never
/// match; each token file names the key's fingerprint so a mix-up is caught).
#[derive(Clone, PartialEq, Eq)]
pub struct LinkageKey(ProjectKey);

impl std::fmt::Debug for LinkageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LinkageKey(fingerprint {})", self.fingerprint())
    }
}

impl LinkageKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        LinkageKey(ProjectKey::from_bytes(bytes))
    }

    /// The same file format as the project key: 64 hex digits, `#` comment lines allowed.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        ProjectKey::from_hex(text).map(LinkageKey)
    }

    pub fn to_hex(&self) -> String {
        self.0.to_hex()
    }

    /// Non-secret fingerprint (16 hex digits), written into every token file.
    pub fn fingerprint(&self) -> String {
        self.0.fingerprint()
    }

    /// The sub-key for one use (`id1`, `filter/name`, `block/…`).
    pub(crate) fn sub_key(&self, label: &str) -> [u8; 32] {
        self.0.mac(Purpose::Linkage, &[label.as_bytes()])
    }
}
