//! Redacting text of any size in bounded memory, a piece at a time.
//!
//! A 100 MB export cannot be redacted as one string in a browser tab, and should not be in a
//! batch job either. [`StreamRedactor`] takes the text in pieces of any size (file blocks, lines)
//! and returns redacted output as soon as it is settled. It holds at most about one chunk plus a
//! window: when the buffer passes the chunk size, everything up to a line break at least a
//! window before its end is redacted and emitted — never cutting inside an identifier found —
//! and the last window of emitted text stays as left context for the next round, so labels,
//! honorifics and names introduced just before a cut still count. An identifier is therefore
//! never missed because it crosses a chunk boundary, as long as it and its context fit in the
//! window (16 KiB by default). Offsets of the returned spans are offsets in the whole stream.

use super::Span;
use super::hints::Patient;
use super::policy::{Redaction, Redactor};

/// Default chunk (bytes buffered before a cut) and window (context kept on both sides of a cut).
pub const DEFAULT_CHUNK: usize = 1 << 20;
pub const DEFAULT_WINDOW: usize = 16 << 10;

/// Redacts a stream of text pieces; see the module documentation.
pub struct StreamRedactor<'p> {
    redactor: Redactor,
    patient: &'p Patient,
    buf: String,
    /// Bytes at the start of `buf` already emitted (left context only).
    ctx: usize,
    emitted_chars: usize,
    emitted_utf16: usize,
    japanese: Option<bool>,
    chunk: usize,
    window: usize,
}

impl<'p> StreamRedactor<'p> {
    pub fn new(redactor: &Redactor, patient: &'p Patient) -> Self {
        Self::with_sizes(redactor, patient, DEFAULT_CHUNK, DEFAULT_WINDOW)
    }

    /// Custom sizes (tests use small ones); the window is at most a quarter of the chunk.
    pub fn with_sizes(redactor: &Redactor, patient: &'p Patient, chunk: usize, window: usize) -> Self {
        let chunk = chunk.max(64);
        StreamRedactor {
            redactor: redactor.clone(),
            patient,
            buf: String::new(),
            ctx: 0,
            emitted_chars: 0,
            emitted_utf16: 0,
            japanese: None,
            chunk,
            window: window.clamp(1, chunk / 4),
        }
    }

    /// Adds a piece; returns the output that is settled (often empty).
    pub fn push(&mut self, piece: &str) -> Redaction {
        self.buf.push_str(piece);
        if self.buf.len() - self.ctx < self.chunk {
            return Redaction { text: String::new(), spans: Vec::new() };
        }
        self.process(false)
    }

    /// The rest of the output.
    pub fn finish(mut self) -> Redaction {
        self.process(true)
    }

    /// Characters emitted so far.
    pub fn chars_done(&self) -> usize {
        self.emitted_chars
    }

    fn process(&mut self, last: bool) -> Redaction {
        let japanese = *self.japanese.get_or_insert_with(|| self.redactor.is_japanese(&self.buf[self.ctx..]));
        let spans = self.redactor.find(&self.buf, self.patient);
        let ctx_chars = self.buf[..self.ctx].chars().count();
        let ctx_utf16: usize = self.buf[..self.ctx].chars().map(char::len_utf16).sum();
        let cut = if last { self.buf.len() } else { self.cut(&spans) };
        let cut_chars = ctx_chars + self.buf[self.ctx..cut].chars().count();
        let local: Vec<Span> = spans
            .into_iter()
            .filter(|s| s.end > ctx_chars && s.start < cut_chars && s.end <= cut_chars)
            .map(|mut s| {
                // A span reaching back into already emitted context (found only now, with more
                // context): its emitted part cannot be recalled; the rest is redacted.
                if s.start < ctx_chars {
                    s.start = ctx_chars;
                    s.start_utf16 = ctx_utf16;
                }
                s.start -= ctx_chars;
                s.end -= ctx_chars;
                s.start_utf16 -= ctx_utf16;
                s.end_utf16 -= ctx_utf16;
                s
            })
            .collect();
        let part = &self.buf[self.ctx..cut];
        let part_chars = cut_chars - ctx_chars;
        let part_utf16: usize = part.chars().map(char::len_utf16).sum();
        let mut out = self.redactor.apply(part, local, self.patient, japanese);
        for s in &mut out.spans {
            s.span.start += self.emitted_chars;
            s.span.end += self.emitted_chars;
            s.span.start_utf16 += self.emitted_utf16;
            s.span.end_utf16 += self.emitted_utf16;
        }
        self.emitted_chars += part_chars;
        self.emitted_utf16 += part_utf16;
        // Keep the last window of emitted text as left context.
        let mut keep_from = cut.saturating_sub(self.window);
        while !self.buf.is_char_boundary(keep_from) {
            keep_from -= 1;
        }
        self.buf.drain(..keep_from);
        self.ctx = cut - keep_from;
        out
    }

    /// Where to cut: the last line break at least a window before the end, moved back to the
    /// start of any span it would split.
    fn cut(&self, spans: &[Span]) -> usize {
        let mut limit = self.buf.len().saturating_sub(self.window).max(self.ctx);
        while !self.buf.is_char_boundary(limit) {
            limit -= 1;
        }
        let mut cut = match self.buf[self.ctx..limit].rfind('\n') {
            Some(i) => self.ctx + i + 1,
            None => limit,
        };
        let cut_chars = self.buf[..cut].chars().count();
        if let Some(s) = spans.iter().find(|s| s.start < cut_chars && cut_chars < s.end) {
            let byte_of = |c: usize| self.buf.char_indices().nth(c).map_or(self.buf.len(), |(b, _)| b);
            // Back to the span's start; forward to its end if it starts in the emitted context
            // (always progress, never a cut inside a span).
            let start = byte_of(s.start);
            cut = if start > self.ctx { start } else { byte_of(s.end) };
        }
        cut.max(self.ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::hints::PatientIdentifiers;

    fn note(i: usize) -> String {
        format!("記録{i}：患者 山田 花子様、TEL 03-1234-{:04}。受診日 2024/03/05。\n", i % 10_000)
    }

    #[test]
    fn streaming_equals_whole_text_redaction() {
        let text: String = (0..400).map(note).collect();
        let r = Redactor::default();
        let whole = r.redact(&text);
        for piece in [1usize, 7, 100, 4096] {
            let p = Patient::default();
            let mut s = StreamRedactor::with_sizes(&r, &p, 2048, 256);
            let (mut out, mut spans) = (String::new(), Vec::new());
            let chars: Vec<char> = text.chars().collect();
            for block in chars.chunks(piece) {
                let o = s.push(&block.iter().collect::<String>());
                out.push_str(&o.text);
                spans.extend(o.spans);
            }
            let o = s.finish();
            out.push_str(&o.text);
            spans.extend(o.spans);
            assert_eq!(out, whole.text, "piece {piece}");
            assert_eq!(spans, whole.spans, "piece {piece}");
        }
    }

    #[test]
    fn a_span_across_the_cut_is_not_split() {
        // No line breaks: the cut falls inside the text; the phone number straddles it.
        let text = format!("{}TEL 03-1234-5678 {}", "あ".repeat(700), "い".repeat(700));
        let r = Redactor::default();
        let p = Patient::default();
        let mut s = StreamRedactor::with_sizes(&r, &p, 2048, 64);
        let mut out = String::new();
        for c in text.chars() {
            out.push_str(&s.push(&c.to_string()).text);
        }
        out.push_str(&s.finish().text);
        assert_eq!(out, r.redact(&text).text);
        assert!(out.contains("TEL [電話番号]"));
    }

    #[test]
    fn hints_and_memory_stay_bounded() {
        let p = Patient::new(&PatientIdentifiers { name: Some("山田 花子".into()), ..Default::default() });
        let r = Redactor::default();
        let mut s = StreamRedactor::with_sizes(&r, &p, 4096, 512);
        let mut max_buf = 0;
        let mut out = String::new();
        for i in 0..2000 {
            out.push_str(&s.push(&format!("{i} 山田花子 来院\n")).text);
            max_buf = max_buf.max(s.buf.len());
        }
        out.push_str(&s.finish().text);
        assert!(max_buf < 4096 + 512 + 64, "buffer grew to {max_buf}");
        assert!(!out.contains("山田"));
        assert_eq!(out.matches("[氏名]").count(), 2000);
    }
}
