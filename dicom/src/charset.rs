//! Japanese text in ISO 2022 code extensions, for cleaning free text.
//!
//! Japanese DICOM files mostly declare `\ISO 2022 IR 87` (or `ISO 2022 IR 13\ISO 2022 IR 87`):
//! kanji and kana are switched in with escape sequences. dicom-rs decodes text with the *first*
//! value only, so such a value reaches Kakou as its raw bytes (ASCII plus escape sequences);
//! writing it back reproduces the bytes exactly, which is what keeps kept values round-tripping.
//! But a patient's kanji name copied into a description cannot be *found* in that form. This
//! module converts ISO 2022 JP bytes to Unicode and back, by way of EUC-JP (the same JIS X 0208 /
//! 0212 / 0201 tables with different framing), so cleaning can search real text and write the
//! cleaned value back in the file's own encoding.

use encoding::all::EUC_JP;
use encoding::{DecoderTrap, EncoderTrap, Encoding};

const ESC: u8 = 0x1B;

/// Which graphic set the 7-bit bytes currently select.
#[derive(Clone, Copy, PartialEq, Eq)]
enum G0 {
    Ascii,
    Jis0208,
    Jis0212,
    Katakana,
}

/// Whether a Specific Character Set value list uses Japanese ISO 2022 code extensions.
pub fn is_iso2022_japanese(values: &[String]) -> bool {
    values.len() > 1 && values.iter().any(|v| matches!(v.trim(), "ISO 2022 IR 87" | "ISO 2022 IR 159"))
}

/// ISO 2022 JP bytes (with DICOM's escape sequences, and JIS X 0201 katakana in high bytes) →
/// Unicode. `None` if the bytes are not valid in that encoding.
pub fn decode(bytes: &[u8]) -> Option<String> {
    let mut euc = Vec::with_capacity(bytes.len() + 8);
    let mut g0 = G0::Ascii;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == ESC {
            let seq = bytes.get(i + 1..(i + 4).min(bytes.len()))?;
            let (set, len) = match seq {
                [b'$', b'B', ..] | [b'$', b'@', ..] => (Some(G0::Jis0208), 3),
                [b'$', b'(', b'D'] => (Some(G0::Jis0212), 4),
                [b'(', b'B', ..] | [b'(', b'J', ..] => (Some(G0::Ascii), 3),
                [b'(', b'I', ..] => (Some(G0::Katakana), 3),
                [b')', b'I', ..] => (None, 3), // G1 = JIS X 0201 katakana: high bytes below
                _ => return None,
            };
            if let Some(s) = set {
                g0 = s;
            }
            i += len;
            continue;
        }
        match (g0, b) {
            (_, 0xA1..=0xDF) => euc.extend_from_slice(&[0x8E, b]),
            (_, 0x80..=0xFF) => return None,
            (_, 0x00..=0x20) => euc.push(b), // controls and space are never shifted
            (G0::Ascii, _) => euc.push(b),
            (G0::Katakana, _) => euc.extend_from_slice(&[0x8E, b | 0x80]),
            (G0::Jis0208, _) => {
                let b2 = *bytes.get(i + 1)?;
                euc.extend_from_slice(&[b | 0x80, b2 | 0x80]);
                i += 1;
            }
            (G0::Jis0212, _) => {
                let b2 = *bytes.get(i + 1)?;
                euc.extend_from_slice(&[0x8F, b | 0x80, b2 | 0x80]);
                i += 1;
            }
        }
        i += 1;
    }
    EUC_JP.decode(&euc, DecoderTrap::Strict).ok()
}

/// Unicode → ISO 2022 JP bytes: kanji/kana in JIS X 0208 (`ESC $ B`), half-width katakana as
/// JIS X 0201 high bytes, back to ASCII (`ESC ( B`) before the end. `None` for characters the
/// encoding cannot represent.
pub fn encode(text: &str) -> Option<Vec<u8>> {
    let euc = EUC_JP.encode(text, EncoderTrap::Strict).ok()?;
    let mut out = Vec::with_capacity(euc.len() + 8);
    let mut g0 = G0::Ascii;
    let mut switch = |out: &mut Vec<u8>, to: G0| {
        if g0 != to {
            out.extend_from_slice(match to {
                G0::Ascii => b"\x1b(B",
                G0::Jis0208 => b"\x1b$B",
                G0::Jis0212 => b"\x1b$(D",
                G0::Katakana => b"\x1b(I",
            });
            g0 = to;
        }
    };
    let mut i = 0;
    while i < euc.len() {
        match euc[i] {
            0x8E => {
                out.push(*euc.get(i + 1)?); // katakana stays a high byte (G1)
                i += 2;
            }
            0x8F => {
                switch(&mut out, G0::Jis0212);
                out.extend_from_slice(&[euc.get(i + 1)? & 0x7F, euc.get(i + 2)? & 0x7F]);
                i += 3;
            }
            b if b >= 0xA1 => {
                switch(&mut out, G0::Jis0208);
                out.extend_from_slice(&[b & 0x7F, euc.get(i + 1)? & 0x7F]);
                i += 2;
            }
            b => {
                switch(&mut out, G0::Ascii);
                out.push(b);
                i += 1;
            }
        }
    }
    switch(&mut out, G0::Ascii);
    Some(out)
}

/// Converts values between dicom-rs's strings and Unicode for a file with Japanese ISO 2022
/// code extensions (see the module docs).
pub struct JapaneseText {
    codec: dicom_encoding::text::SpecificCharacterSet,
}

impl JapaneseText {
    /// `Some` when the data set's Specific Character Set uses Japanese code extensions.
    pub fn for_charset(values: &[String]) -> Option<Self> {
        if !is_iso2022_japanese(values) {
            return None;
        }
        let first = values.first().map(|s| s.trim()).unwrap_or("");
        let codec = if first.is_empty() {
            dicom_encoding::text::SpecificCharacterSet::default()
        } else {
            dicom_encoding::text::SpecificCharacterSet::from_code(first)?
        };
        Some(JapaneseText { codec })
    }

    /// The Unicode text of a value as dicom-rs decoded it.
    pub fn to_unicode(&self, value: &str) -> Option<String> {
        use dicom_encoding::text::TextCodec;
        decode(&self.codec.encode(value).ok()?)
    }

    /// The string dicom-rs must be given so that it writes `text` in the file's encoding.
    pub fn from_unicode(&self, text: &str) -> Option<String> {
        use dicom_encoding::text::TextCodec;
        self.codec.decode(&encode(text)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_standards_example_name() {
        // PS3.5 Annex H: Yamada^Tarou=山田^太郎=やまだ^たろう in ISO 2022 IR 87.
        let raw = b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B";
        assert_eq!(decode(raw).as_deref(), Some("Yamada^Tarou=山田^太郎=やまだ^たろう"));
    }

    #[test]
    fn half_width_katakana_in_high_bytes() {
        // ISO 2022 IR 13: ﾔﾏﾀﾞ as G1 bytes.
        assert_eq!(decode(&[0xD4, 0xCF, 0xC0, 0xDE]).as_deref(), Some("ﾔﾏﾀﾞ"));
    }

    #[test]
    fn round_trips_mixed_text() {
        for s in ["頭部CT 単純", "Chest PA", "やまだ 様 ﾔﾏﾀﾞ", "髙橋 𠮷"] {
            match encode(s) {
                Some(bytes) => assert_eq!(decode(&bytes).as_deref(), Some(s), "{s}"),
                None => assert!(s.contains('𠮷'), "only characters outside JIS may fail: {s}"),
            }
        }
    }

    #[test]
    fn refuses_unknown_escapes_and_stray_high_bytes() {
        assert_eq!(decode(b"\x1b$Zxx"), None);
        assert_eq!(decode(&[0x41, 0xFF]), None);
    }

    #[test]
    fn recognises_japanese_character_sets() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(is_iso2022_japanese(&v(&["", "ISO 2022 IR 87"])));
        assert!(is_iso2022_japanese(&v(&["ISO 2022 IR 13", "ISO 2022 IR 87"])));
        assert!(!is_iso2022_japanese(&v(&["ISO_IR 192"])));
    }
}
