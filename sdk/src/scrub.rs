//! Removing a record's own identifiers from free text.
//!
//! Descriptions, comments and report text that a policy keeps often repeat what the record
//! itself says elsewhere: the patient's name in a series description, the ID in an image
//! comment, the birth date in a protocol name. Before any kept text leaves, every identifying
//! value of the same record (names and their parts, IDs, dates in several spellings, UIDs) is
//! searched for with one Aho–Corasick automaton and replaced. Matches of ASCII words must stand
//! alone (not inside a longer word: "MARY" must not hit "PRIMARY"); CJK text has no spaces, so
//! non-ASCII values match anywhere.
//!
//! The same matcher serves free text ([`crate::text::hints`]): values there carry a *tag* (which
//! of the patient's identifiers it is), and [`KnownIdentifiers::find`] reports positions instead
//! of replacing, so the text redactor can merge them with its own recognisers.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// The identifiers of one record, ready to search for. The automaton is built on first use: many
/// records have no kept text at all, and building it was the largest cost of a DICOM file.
#[derive(Debug)]
pub struct KnownIdentifiers {
    values: Vec<String>,
    tags: Vec<u32>,
    /// The values' total length in bytes.
    bytes: usize,
    automaton: OnceLock<Option<AhoCorasick>>,
}

/// Below this many (value bytes × text bytes), a direct scan is cheaper than building the
/// automaton: a record's few dozen values searched in one short note (a CSV row's free text,
/// with a new record on the next row) never pay for an automaton.
const DIRECT_SCAN_LIMIT: usize = 1 << 16;

/// Collects identifier strings, then [`IdentifierSet::build`]s the matcher.
#[derive(Debug, Default, Clone)]
pub struct IdentifierSet {
    /// Values and their tags (0 unless added with [`IdentifierSet::add_tagged`]).
    values: Vec<(String, u32)>,
}

/// One occurrence of a known identifier: byte offsets in the searched text and the value's tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownMatch {
    pub start: usize,
    pub end: usize,
    pub tag: u32,
}

impl IdentifierSet {
    /// Adds a value if it is specific enough to search for: at least 4 characters for ASCII
    /// (shorter ones hit ordinary words), at least 2 for other scripts (a kanji surname).
    pub fn add(&mut self, value: &str) {
        self.add_min(value, 4);
    }

    fn add_min(&mut self, value: &str, ascii_min: usize) {
        self.add_tagged(value, ascii_min, 0);
    }

    /// Adds a value with a caller-defined tag, if it has at least `ascii_min` characters (ASCII)
    /// or 2 (other scripts). When one value is added under several tags, the first tag wins.
    pub fn add_tagged(&mut self, value: &str, ascii_min: usize, tag: u32) {
        let v = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        let long_enough = if v.is_ascii() { v.len() >= ascii_min } else { v.chars().count() >= 2 };
        if long_enough && v.chars().any(|c| c.is_alphanumeric()) {
            self.values.push((v.to_string(), tag));
        }
    }

    /// Adds a person name and its components (DICOM PN: `^` between components, `=` between
    /// alphabetic / ideographic / phonetic groups; spaces inside romaji names). Name parts count
    /// from 3 ASCII letters: short romaji surnames (Ito, Abe, Ono) are common in Japan, and a
    /// whole-word match on a known name part costs little.
    pub fn add_person_name(&mut self, pn: &str) {
        self.add(pn);
        for group in pn.split('=') {
            self.add(&group.replace('^', " "));
            for part in group.split(['^', ' ', '\u{3000}']) {
                self.add_min(part, 3);
            }
        }
    }

    /// Adds a DA value in the spellings people write by hand.
    pub fn add_date(&mut self, da: &str) {
        let d = da.trim();
        if d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()) {
            self.add(d);
            let (y, m, dd) = (&d[..4], &d[4..6], &d[6..]);
            for sep in ["/", "-", "."] {
                self.add(&format!("{y}{sep}{m}{sep}{dd}"));
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn build(mut self, exclude: &[&str]) -> KnownIdentifiers {
        self.values.retain(|(v, _)| !exclude.iter().any(|e| e.trim().eq_ignore_ascii_case(v)));
        // Stable sort by value: the first tag added for a value survives the dedup.
        self.values.sort_by(|a, b| a.0.cmp(&b.0));
        self.values.dedup_by(|a, b| a.0 == b.0);
        let (values, tags): (Vec<String>, Vec<u32>) = self.values.into_iter().unzip();
        let bytes = values.iter().map(String::len).sum();
        KnownIdentifiers { values, tags, bytes, automaton: OnceLock::new() }
    }
}

impl KnownIdentifiers {
    /// A non-contiguous NFA: a record has a few dozen short patterns searched in a few short
    /// texts, where building a DFA costs far more than it saves.
    fn build_automaton(&self) -> Option<AhoCorasick> {
        if self.values.is_empty() {
            return None;
        }
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::NoncontiguousNFA))
            .build(&self.values)
            .ok()
    }

    /// The number of distinct values searched for.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Every occurrence (leftmost-longest, not overlapping, ASCII words standing alone), with
    /// byte offsets in `text` and the tag of the value found.
    pub fn find(&self, text: &str) -> Vec<KnownMatch> {
        if self.automaton.get().is_none() && self.bytes.saturating_mul(text.len()) <= DIRECT_SCAN_LIMIT {
            return self.scan(text);
        }
        let Some(ac) = self.automaton.get_or_init(|| self.build_automaton()).as_ref() else {
            return Vec::new();
        };
        ac.find_iter(text)
            .filter(|m| stands_alone(text, m.start(), m.end()))
            .map(|m| KnownMatch {
                start: m.start(),
                end: m.end(),
                tag: self.tags.get(m.pattern().as_usize()).copied().unwrap_or(0),
            })
            .collect()
    }

    /// [`KnownIdentifiers::find`] without the automaton: every occurrence of every value (ASCII
    /// case-insensitive), then leftmost-longest without overlaps (the lower value index on a
    /// tie), as the automaton reports them.
    fn scan(&self, text: &str) -> Vec<KnownMatch> {
        let hay = text.as_bytes();
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        for (i, v) in self.values.iter().enumerate() {
            let p = v.as_bytes();
            if p.is_empty() || p.len() > hay.len() {
                continue;
            }
            // A match of a UTF-8 value starts at a lead byte, so it is on char boundaries.
            for s in 0..=hay.len() - p.len() {
                if hay[s].eq_ignore_ascii_case(&p[0]) && hay[s..s + p.len()].eq_ignore_ascii_case(p) {
                    found.push((s, s + p.len(), i));
                }
            }
        }
        found.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        let mut out = Vec::new();
        let mut last = 0;
        for (start, end, i) in found {
            if start < last {
                continue;
            }
            last = end;
            if stands_alone(text, start, end) {
                out.push(KnownMatch { start, end, tag: self.tags.get(i).copied().unwrap_or(0) });
            }
        }
        out
    }

    /// `text` with every identifier replaced by `placeholder`, and the number of replacements;
    /// `None` when nothing matched (the caller keeps its original value untouched).
    pub fn scrub(&self, text: &str, placeholder: &str) -> Option<(String, usize)> {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        let mut n = 0;
        for m in self.find(text) {
            out.push_str(&text[last..m.start]);
            out.push_str(placeholder);
            last = m.end;
            n += 1;
        }
        if n == 0 {
            return None;
        }
        out.push_str(&text[last..]);
        Some((out, n))
    }
}

/// An ASCII-alphanumeric edge of a match must not touch another ASCII letter or digit.
fn stands_alone(text: &str, start: usize, end: usize) -> bool {
    let m = &text[start..end];
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let starts_word = m.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    let ends_word = m.chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric());
    let glued_before = starts_word && before.is_some_and(|c| c.is_ascii_alphanumeric());
    let glued_after = ends_word && after.is_some_and(|c| c.is_ascii_alphanumeric());
    !glued_before && !glued_after
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> KnownIdentifiers {
        let mut s = IdentifierSet::default();
        for n in names {
            s.add_person_name(n);
        }
        s.build(&[])
    }

    #[test]
    fn replaces_names_and_parts_case_insensitively_as_whole_words() {
        let k = set(&["Doe^Mary"]);
        let (out, n) = k.scrub("CT for MARY doe, primary study", "[X]").expect("matches");
        assert_eq!(out, "CT for [X] [X], primary study");
        assert_eq!(n, 2);
        assert!(k.scrub("PRIMARY", "[X]").is_none());
    }

    #[test]
    fn japanese_names_match_inside_text() {
        let k = set(&["Yamada^Tarou=山田^太郎=やまだ^たろう"]);
        let (out, _) = k.scrub("山田太郎様の頭部CT", "＊").expect("matches");
        assert_eq!(out, "＊＊様の頭部CT");
    }

    #[test]
    fn dates_in_hand_written_spellings_and_exclusions() {
        let mut s = IdentifierSet::default();
        s.add_date("19700315");
        s.add("TOSHIBA");
        let k = s.build(&["toshiba"]);
        assert_eq!(k.scrub("born 1970/03/15", "[D]").map(|x| x.0).as_deref(), Some("born [D]"));
        assert!(k.scrub("TOSHIBA Aquilion", "[D]").is_none());
    }

    #[test]
    fn tagged_values_report_positions_and_the_first_tag() {
        let mut s = IdentifierSet::default();
        s.add_tagged("山田", 3, 7);
        s.add_tagged("山田", 3, 9);
        s.add_tagged("ID-42", 3, 1);
        let k = s.build(&[]);
        let m = k.find("山田さん ID-42, XID-421");
        assert_eq!(m, vec![KnownMatch { start: 0, end: 6, tag: 7 }, KnownMatch { start: 13, end: 18, tag: 1 }]);
    }

    #[test]
    fn the_direct_scan_finds_what_the_automaton_finds() {
        let mut set = IdentifierSet::default();
        for (v, tag) in [("山田", 1), ("山田太郎", 2), ("Yamada", 3), ("YAMADA TARO", 4), ("0012345", 5), ("TARO", 6)]
        {
            set.add_tagged(v, 3, tag);
        }
        let known = set.build(&[]);
        let texts = [
            "山田太郎さん、yamada taro 様、ID 0012345、PRIMARY 山田 taro 00123456 山田山田",
            "",
            "短い",
            "Yamada, Yamadas, TARO.",
        ];
        for t in texts {
            let direct = known.scan(t);
            let ac = known.build_automaton().map(|ac| {
                ac.find_iter(t)
                    .filter(|m| stands_alone(t, m.start(), m.end()))
                    .map(|m| KnownMatch { start: m.start(), end: m.end(), tag: known.tags[m.pattern().as_usize()] })
                    .collect::<Vec<_>>()
            });
            assert_eq!(Some(direct), ac, "{t}");
        }
        let long = "山田太郎 ".repeat(20_000);
        assert_eq!(known.find(&long).len(), 20_000, "long texts use the automaton");
    }

    #[test]
    fn short_ascii_values_are_not_searched() {
        let k = set(&["Li^Bo"]);
        assert!(k.scrub("Li said so", "[X]").is_none());
        assert!(k.scrub("Bo", "[X]").is_none());
        assert_eq!(k.scrub("seen by li bo", "[X]").map(|x| x.0).as_deref(), Some("seen by [X]"));
    }
}
