//! Writing text back in CP932 (Shift_JIS) for outputs that must go back into the systems that
//! exported them.
//!
//! **Why.** A hospital whose systems read CP932 cannot load a UTF-8 file (the CLI writes UTF-8
//! unless asked: `--output-encoding cp932|same`). Text that came in as CP932 always fits, but a
//! transform may add characters (a surrogate name, a label from a policy) that CP932 lacks;
//! such a character is written as 〓 (the JIS geta mark, the conventional stand-in) and counted,
//! so the caller can report the cell — never silently, never as an HTML entity.

use encoding_rs::{EncoderResult, SHIFT_JIS};

/// 〓 in CP932.
const GETA: [u8; 2] = [0x81, 0xAC];

/// Whether `encoding` (as [`crate::records::TableReader::encoding`] names it) is CP932.
pub fn is_cp932(encoding: Option<&str>) -> bool {
    encoding == Some(SHIFT_JIS.name())
}

/// Appends `text` in CP932 to `out`; returns how many characters CP932 cannot write (each
/// written as 〓).
pub fn encode_cp932(text: &str, out: &mut Vec<u8>) -> usize {
    let mut encoder = SHIFT_JIS.new_encoder();
    let mut rest = text;
    let mut replaced = 0;
    loop {
        // Shift_JIS needs at most 2 bytes per UTF-8 byte of input; the encoder is stateless.
        let start = out.len();
        out.resize(start + 2 * rest.len() + 4, 0);
        let (result, read, written) = encoder.encode_from_utf8_without_replacement(rest, &mut out[start..], true);
        out.truncate(start + written);
        rest = &rest[read..];
        match result {
            EncoderResult::InputEmpty => return replaced,
            EncoderResult::Unmappable(_) => {
                replaced += 1;
                out.extend_from_slice(&GETA);
            }
            EncoderResult::OutputFull => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> (String, usize) {
        let mut out = Vec::new();
        let n = encode_cp932(text, &mut out);
        let (back, _, errors) = SHIFT_JIS.decode(&out);
        assert!(!errors);
        (back.into_owned(), n)
    }

    #[test]
    fn japanese_text_and_cp932_extensions_round_trip() {
        for text in ["患者ID;氏名;体重\n", "ﾔﾏﾀﾞ ﾀﾛｳ", "①②㈱髙﨑", "50～55", "201以上", "東京都", ""]
        {
            assert_eq!(round_trip(text), (text.to_string(), 0), "{text}");
        }
    }

    #[test]
    fn characters_cp932_lacks_become_geta_and_are_counted() {
        assert_eq!(round_trip("𠮷野家😀"), ("〓野家〓".to_string(), 2));
    }
}
