//! UTF-8 decoding of files read in blocks, with the byte offset of the first bad byte.
//!
//! Clinical text exports are often Shift_JIS or Latin-1 by mistake. Guessing an encoding could
//! silently turn a name into mojibake that no recogniser finds, so a file that is not UTF-8 is
//! refused with the byte offset of the first invalid sequence — or, with `--lossy`, every invalid
//! sequence becomes U+FFFD and the count and first offset go into the report.

/// Why a file could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "not UTF-8 (invalid byte at offset {offset}); convert it first (e.g. iconv -f SHIFT_JIS -t UTF-8) or use --lossy"
)]
pub struct InvalidUtf8 {
    pub offset: u64,
}

/// Decodes a byte stream block by block; a sequence split across two blocks is carried over.
#[derive(Debug, Default)]
pub struct Utf8Decoder {
    pending: Vec<u8>,
    /// Bytes consumed before `pending`.
    offset: u64,
    lossy: bool,
    /// Invalid sequences replaced (lossy mode) and the offset of the first.
    pub replaced: u64,
    pub first_replaced: Option<u64>,
}

impl Utf8Decoder {
    pub fn new(lossy: bool) -> Self {
        Utf8Decoder { lossy, ..Utf8Decoder::default() }
    }

    /// Appends the decoded text of `block` to `out`.
    pub fn decode(&mut self, block: &[u8], out: &mut String) -> Result<(), InvalidUtf8> {
        self.pending.extend_from_slice(block);
        let data = std::mem::take(&mut self.pending);
        let mut rest: &[u8] = &data;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    self.offset += rest.len() as u64;
                    return Ok(());
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    self.offset += valid.len() as u64;
                    match e.error_len() {
                        // An incomplete sequence at the end: wait for the next block.
                        None => {
                            self.pending = after.to_vec();
                            return Ok(());
                        }
                        Some(n) => {
                            if !self.lossy {
                                return Err(InvalidUtf8 { offset: self.offset });
                            }
                            out.push(char::REPLACEMENT_CHARACTER);
                            self.first_replaced.get_or_insert(self.offset);
                            self.replaced += 1;
                            self.offset += n as u64;
                            rest = &after[n..];
                        }
                    }
                }
            }
        }
    }

    /// The end of the input: a sequence left incomplete is invalid.
    pub fn finish(&mut self, out: &mut String) -> Result<(), InvalidUtf8> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if !self.lossy {
            return Err(InvalidUtf8 { offset: self.offset });
        }
        self.pending.clear();
        out.push(char::REPLACEMENT_CHARACTER);
        self.first_replaced.get_or_insert(self.offset);
        self.replaced += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(blocks: &[&[u8]], lossy: bool) -> Result<(String, u64), InvalidUtf8> {
        let mut d = Utf8Decoder::new(lossy);
        let mut out = String::new();
        for b in blocks {
            d.decode(b, &mut out)?;
        }
        d.finish(&mut out)?;
        Ok((out, d.replaced))
    }

    #[test]
    fn sequences_split_across_blocks_are_joined() {
        let s = "山田 03-1234".as_bytes();
        for cut in 0..s.len() {
            assert_eq!(run(&[&s[..cut], &s[cut..]], false).map(|r| r.0).as_deref(), Ok("山田 03-1234"));
        }
    }

    #[test]
    fn the_first_bad_byte_is_named_or_replaced() {
        assert_eq!(run(&[b"caf", b"\xe9 ok"], false), Err(InvalidUtf8 { offset: 3 }));
        assert_eq!(run(&[b"ab\xe5\xb1"], false), Err(InvalidUtf8 { offset: 2 }), "truncated at the end");
        assert_eq!(run(&[b"caf\xe9 \xff!"], true), Ok(("caf\u{FFFD} \u{FFFD}!".to_string(), 2)));
    }
}
