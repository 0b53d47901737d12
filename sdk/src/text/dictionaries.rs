//! The name lexicons and the place gazetteer: embedded in the library, or loaded at run time.
//!
//! **Why.** The lists (`sdk/data/names/`, `sdk/data/places/`) are about 0.7 MB of text, most
//! of the browser module's download. A web page that redacts text only after the user asks can
//! ship the module without them (kakou-sdk without the default feature `embedded-dictionaries`)
//! and fetch them when needed as one file, `kakou-dict.bin` (`scripts/build-dict.sh`), passed to
//! [`load_dictionaries`]. Until they are loaded the redactor still runs — every rule that needs no
//! list (labels with honorifics or roles, addresses, numbers, dates, IDs) — and
//! [`dictionaries_loaded`] says that names and places known only from the lists are missed.
//!
//! The bundle is text: for each list a line `==> NAME <==` then the list's lines (the format
//! `head` prints for several files, so the bundle is readable and easy to rebuild).

use std::sync::OnceLock;

use thiserror::Error;

/// The lists, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sources {
    pub ja_surnames: &'static str,
    pub ja_given: &'static str,
    pub ja_surname_readings: &'static str,
    pub ja_given_readings: &'static str,
    pub en_given: &'static str,
    pub en_surnames: &'static str,
    pub ja_places: &'static str,
}

/// The names of the sections of a bundle, in the order `scripts/build-dict.sh` writes them.
pub const SECTIONS: [&str; 7] =
    ["ja_surnames", "ja_given", "ja_surname_readings", "ja_given_readings", "en_given", "en_surnames", "ja_places"];

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DictionaryError {
    #[error("the dictionary bundle is not UTF-8 text (byte {0})")]
    NotUtf8(usize),
    #[error("the dictionary bundle has no section '{0}' (sections: `==> NAME <==` lines)")]
    MissingSection(&'static str),
    #[error("the dictionary bundle has an unknown section '{0}'")]
    UnknownSection(String),
    #[error("dictionaries are already in use (embedded, or loaded before)")]
    AlreadyLoaded,
}

static LOADED: OnceLock<Sources> = OnceLock::new();

#[cfg(feature = "embedded-dictionaries")]
const EMBEDDED: Sources = Sources {
    ja_surnames: include_str!("../../data/names/ja_surnames.txt"),
    ja_given: include_str!("../../data/names/ja_given.txt"),
    ja_surname_readings: include_str!("../../data/names/ja_surname_readings.txt"),
    ja_given_readings: include_str!("../../data/names/ja_given_readings.txt"),
    en_given: include_str!("../../data/names/en_given.txt"),
    en_surnames: include_str!("../../data/names/en_surnames.txt"),
    ja_places: include_str!("../../data/places/ja_places.txt"),
};

/// The lists in use: the embedded ones, else those loaded, else `None`.
pub(crate) fn sources() -> Option<&'static Sources> {
    #[cfg(feature = "embedded-dictionaries")]
    {
        Some(&EMBEDDED)
    }
    #[cfg(not(feature = "embedded-dictionaries"))]
    {
        LOADED.get()
    }
}

/// Whether the name and place lists are available (embedded or loaded).
pub fn dictionaries_loaded() -> bool {
    sources().is_some()
}

/// Loads the lists from a `kakou-dict.bin` bundle (once per process; they are kept for its
/// lifetime). With the lists embedded this is an error: there is nothing to load.
pub fn load_dictionaries(bundle: &[u8]) -> Result<(), DictionaryError> {
    if cfg!(feature = "embedded-dictionaries") || LOADED.get().is_some() {
        return Err(DictionaryError::AlreadyLoaded);
    }
    let text = std::str::from_utf8(bundle).map_err(|e| DictionaryError::NotUtf8(e.valid_up_to()))?;
    let sources = parse_bundle(text.to_string().leak())?;
    LOADED.set(sources).map_err(|_| DictionaryError::AlreadyLoaded)
}

/// Splits a bundle into its sections.
pub fn parse_bundle(text: &'static str) -> Result<Sources, DictionaryError> {
    let mut found: [Option<&'static str>; 7] = [None; 7];
    let mut rest = text;
    while let Some(start) = rest.find("==> ") {
        let after = &rest[start + 4..];
        let (name, body_start) = match after.find(" <==") {
            Some(end) => (&after[..end], end + 4),
            None => return Err(DictionaryError::UnknownSection(after.lines().next().unwrap_or("").to_string())),
        };
        let body = after[body_start..].strip_prefix('\n').unwrap_or(&after[body_start..]);
        let end = body.find("\n==> ").map(|i| i + 1).unwrap_or(body.len());
        let i = SECTIONS.iter().position(|s| *s == name).ok_or_else(|| DictionaryError::UnknownSection(name.into()))?;
        found[i] = Some(&body[..end]);
        rest = &body[end..];
    }
    let get = |i: usize| found[i].ok_or(DictionaryError::MissingSection(SECTIONS[i]));
    Ok(Sources {
        ja_surnames: get(0)?,
        ja_given: get(1)?,
        ja_surname_readings: get(2)?,
        ja_given_readings: get(3)?,
        en_given: get(4)?,
        en_surnames: get(5)?,
        ja_places: get(6)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_splits_into_its_sections_and_bad_ones_are_named() {
        let text: String = SECTIONS.iter().map(|s| format!("==> {s} <==\n{s}-a\n{s}-b\n")).collect::<String>();
        let s = parse_bundle(text.leak()).expect("parses");
        assert_eq!(s.ja_surnames, "ja_surnames-a\nja_surnames-b\n");
        assert_eq!(s.ja_places, "ja_places-a\nja_places-b\n");
        assert_eq!(parse_bundle("==> ja_surnames <==\n山田\n"), Err(DictionaryError::MissingSection("ja_given")));
        assert!(matches!(parse_bundle("==> nope <==\nx\n"), Err(DictionaryError::UnknownSection(_))));
    }

    #[cfg(feature = "embedded-dictionaries")]
    #[test]
    fn with_the_lists_embedded_nothing_is_loaded() {
        assert!(dictionaries_loaded());
        assert_eq!(load_dictionaries(b""), Err(DictionaryError::AlreadyLoaded));
    }
}
