//! Streaming text decoding with encoding detection (UTF-8 or Shift_JIS / CP932).
//!
//! Japanese hospital systems still export CSV in CP932 (what Windows calls Shift_JIS); newer
//! ones write UTF-8, sometimes with a BOM. The decision must not need the whole file (inputs of
//! millions of rows), and must not be fooled by a file whose first megabytes are ASCII (IDs,
//! numbers) with Japanese text only further down. So bytes pass through untouched while they are
//! ASCII — identical in both encodings — and the decision is taken at the first non-ASCII byte,
//! on a few kilobytes from there: a BOM decides; valid UTF-8 means UTF-8; otherwise Shift_JIS
//! (encoding_rs's `SHIFT_JIS` is the WHATWG one, i.e. CP932 with the NEC/IBM extensions).

use encoding_rs::{Decoder, Encoding, SHIFT_JIS, UTF_8};

use super::policy::EncodingChoice;

/// How many bytes after the first non-ASCII one are examined before deciding.
const SNIFF: usize = 4096;

/// Decodes a byte stream pushed in chunks of any size into UTF-8 text.
pub struct StreamDecoder {
    decoder: Option<Decoder>,
    /// Undecided: bytes from the first non-ASCII byte on, waiting for the decision.
    pending: Vec<u8>,
    had_errors: bool,
}

impl StreamDecoder {
    pub fn new(choice: EncodingChoice) -> Self {
        let decoder = match choice {
            EncodingChoice::Auto => None,
            EncodingChoice::Utf8 => Some(UTF_8.new_decoder_with_bom_removal()),
            EncodingChoice::ShiftJis => Some(SHIFT_JIS.new_decoder_with_bom_removal()),
        };
        StreamDecoder { decoder, pending: Vec::new(), had_errors: false }
    }

    /// The encoding in use, once decided (`None` while everything seen was ASCII).
    pub fn encoding(&self) -> Option<&'static str> {
        self.decoder.as_ref().map(|d| d.encoding().name())
    }

    /// Whether some bytes were not valid in the encoding (replaced by U+FFFD).
    pub fn had_errors(&self) -> bool {
        self.had_errors
    }

    /// Decodes `bytes`, appending the text to `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut String) {
        self.feed(bytes, out, false);
    }

    /// Flushes what is left (an incomplete trailing character becomes U+FFFD).
    pub fn finish(&mut self, out: &mut String) {
        self.feed(&[], out, true);
    }

    fn feed(&mut self, bytes: &[u8], out: &mut String, last: bool) {
        if self.decoder.is_none() {
            if self.pending.is_empty() {
                let ascii = bytes.iter().position(|b| !b.is_ascii()).unwrap_or(bytes.len());
                // ASCII bytes are valid UTF-8: no copy through a decoder needed.
                out.push_str(std::str::from_utf8(&bytes[..ascii]).unwrap_or_default());
                self.pending.extend_from_slice(&bytes[ascii..]);
            } else {
                self.pending.extend_from_slice(bytes);
            }
            if self.pending.is_empty() || (self.pending.len() < SNIFF && !last) {
                if last {
                    self.decoder = Some(UTF_8.new_decoder_without_bom_handling());
                }
                return;
            }
            let decoder = detect(&self.pending, last).new_decoder_with_bom_removal();
            self.decoder = Some(decoder);
            let pending = std::mem::take(&mut self.pending);
            return self.decode(&pending, out, last);
        }
        self.decode(bytes, out, last);
    }

    fn decode(&mut self, bytes: &[u8], out: &mut String, last: bool) {
        let Some(decoder) = self.decoder.as_mut() else { return };
        let mut src = bytes;
        loop {
            let need = decoder.max_utf8_buffer_length(src.len()).unwrap_or(src.len() * 3 + 16);
            out.reserve(need);
            let (result, read, replaced) = decoder.decode_to_string(src, out, last);
            self.had_errors |= replaced;
            src = &src[read..];
            if matches!(result, encoding_rs::CoderResult::InputEmpty) {
                break;
            }
        }
    }
}

/// The encoding of a text whose first non-ASCII bytes are `sample` (`at_end`: nothing follows).
pub fn detect(sample: &[u8], at_end: bool) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(sample) {
        return enc;
    }
    match std::str::from_utf8(sample) {
        Ok(_) => UTF_8,
        // Cut in the middle of a character at the end of the sample: still UTF-8.
        Err(e) if e.error_len().is_none() && !at_end => UTF_8,
        Err(_) => SHIFT_JIS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_chunks(bytes: &[u8], choice: EncodingChoice, chunk: usize) -> (String, Option<&'static str>, bool) {
        let mut d = StreamDecoder::new(choice);
        let mut out = String::new();
        for c in bytes.chunks(chunk) {
            d.push(c, &mut out);
        }
        d.finish(&mut out);
        (out, d.encoding(), d.had_errors())
    }

    #[test]
    fn cp932_bytes_are_detected_and_decoded_across_chunk_boundaries() {
        let text = "患者ID,氏名,病名\n0001,内閣花子,高血圧症\n0002,髙橋①,糖尿病\n";
        let (sjis, _, unmappable) = SHIFT_JIS.encode(text);
        assert!(!unmappable, "髙 and ① are CP932 (NEC/IBM extensions)");
        for chunk in [1, 2, 3, 7, 4096] {
            let (out, enc, errors) = decode_in_chunks(&sjis, EncodingChoice::Auto, chunk);
            assert_eq!((out.as_str(), enc, errors), (text, Some("Shift_JIS"), false), "chunk {chunk}");
        }
    }

    #[test]
    fn utf8_with_and_without_bom_and_long_ascii_prefix() {
        let text = "id,name\n1,山田\n";
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode_in_chunks(&bom, EncodingChoice::Auto, 5).0, text);
        // 100 kB of ASCII first: the decision waits for the Japanese text.
        let mut long = "1,2\n".repeat(25_000);
        long.push_str("3,鈴木\n");
        let (sjis, _, _) = SHIFT_JIS.encode(&long);
        let (out, enc, _) = decode_in_chunks(&sjis, EncodingChoice::Auto, 8192);
        assert_eq!((out.as_str(), enc), (long.as_str(), Some("Shift_JIS")));
        let (out, enc, _) = decode_in_chunks(long.as_bytes(), EncodingChoice::Auto, 8192);
        assert_eq!((out.as_str(), enc), (long.as_str(), Some("UTF-8")));
    }

    #[test]
    fn an_override_wins_and_invalid_bytes_are_flagged() {
        let (sjis, _, _) = SHIFT_JIS.encode("山田");
        let (_, enc, errors) = decode_in_chunks(&sjis, EncodingChoice::Utf8, 64);
        assert_eq!((enc, errors), (Some("UTF-8"), true));
    }
}
