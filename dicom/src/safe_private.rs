//! PS3.15 Table E.3.10-1, Safe Private Attributes, as reviewable data (`profile/safe_private.tsv`).
//!
//! Under the Retain Safe Private option, a private element survives only if its private creator,
//! group and element byte are on this list, which the standard's editors reviewed as carrying no
//! identity (acquisition parameters such as b-values or SUV factors). Matching uses the creator
//! string, not the block number, because blocks are assigned per file.

use std::collections::HashSet;
use std::sync::OnceLock;

const TABLE_E3_10_1: &str = include_str!("../profile/safe_private.tsv");

/// The parsed list: (creator, group, element byte).
#[derive(Debug)]
pub struct SafePrivateList {
    entries: HashSet<(String, u16, u8)>,
}

impl SafePrivateList {
    /// The embedded list, parsed once.
    pub fn get() -> &'static SafePrivateList {
        static LIST: OnceLock<SafePrivateList> = OnceLock::new();
        LIST.get_or_init(|| SafePrivateList::parse(TABLE_E3_10_1))
    }

    fn parse(text: &str) -> Self {
        let entries = text.lines().skip(1).filter_map(parse_row).collect();
        SafePrivateList { entries }
    }

    /// Whether element byte `element` of `group`, in the block reserved by `creator`, is safe.
    pub fn is_safe(&self, creator: &str, group: u16, element: u8) -> bool {
        self.entries.contains(&(normalize(creator), group, element))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn normalize(creator: &str) -> String {
    creator.trim_matches(|c: char| c.is_whitespace() || c == '\0').to_ascii_uppercase()
}

/// `creator \t (gggg,xxEE) \t …`
fn parse_row(line: &str) -> Option<(String, u16, u8)> {
    let mut cols = line.split('\t');
    let creator = cols.next()?;
    let tag = cols.next()?.trim().strip_prefix('(')?.strip_suffix(')')?;
    let (g, e) = tag.split_once(',')?;
    let group = u16::from_str_radix(g, 16).ok()?;
    let element = u8::from_str_radix(e.get(2..4)?, 16).ok()?;
    Some((normalize(creator), group, element))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_parses() {
        let rows = TABLE_E3_10_1.lines().skip(1).filter(|l| !l.trim().is_empty()).count();
        assert_eq!(TABLE_E3_10_1.lines().skip(1).filter_map(parse_row).count(), rows);
        assert!(SafePrivateList::get().len() > 400);
    }

    #[test]
    fn matches_on_creator_group_and_byte() {
        let l = SafePrivateList::get();
        assert!(l.is_safe("ELSCINT1", 0x00E1, 0x21));
        assert!(l.is_safe(" elscint1\0", 0x00E1, 0x21));
        assert!(!l.is_safe("ELSCINT1", 0x00E1, 0x22));
        assert!(!l.is_safe("SOMEONE ELSE", 0x00E1, 0x21));
    }
}
