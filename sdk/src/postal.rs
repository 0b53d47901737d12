//! The prefecture (都道府県) of a Japanese postal code.
//!
//! **Why.** A postal code narrows a person down to a few streets; its prefecture is the coarse
//! region that research may keep (docs/anonymization.md, built-in hierarchy `postal_prefecture`).
//! The first three digits usually decide the prefecture but not always: some delivery areas
//! cross a prefectural border. The table `sdk/data/postal/prefectures.tsv` (generated from Japan
//! Post's data by `sdk/data/postal/build.py`) therefore lists, for each code, the shortest
//! prefix — 3, 5 or 7 digits — that decides it. A code that is in no listed prefix (unknown,
//! withdrawn, or one of the few codes Japan Post lists in two prefectures) has no prefecture:
//! the caller suppresses it rather than guess.

use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../data/postal/prefectures.tsv");

fn table() -> &'static HashMap<&'static str, &'static str> {
    static MAP: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| TABLE.lines().filter_map(|l| l.split_once('\t')).collect())
}

/// The 7 digits of a written postal code (`100-8914`, `〒1008914`, full-width digits, `1008914`),
/// or `None` if it is not one.
pub fn postal_digits(value: &str) -> Option<String> {
    let digit = |c: char| match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        _ => None,
    };
    let clean = value.trim().chars().all(|c| digit(c).is_some() || "-−ー－‐〒 ".contains(c));
    let digits: String = value.chars().filter_map(digit).collect();
    (clean && digits.len() == 7).then_some(digits)
}

/// The prefecture of the postal code `value`, if the code decides one.
pub fn prefecture_of_postal_code(value: &str) -> Option<&'static str> {
    let digits = postal_digits(value)?;
    let t = table();
    [7, 5, 3].iter().find_map(|&n| t.get(&digits[..n]).copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::PREFECTURES;

    #[test]
    fn real_codes_map_to_their_prefecture() {
        // Codes of public offices whose address is common knowledge.
        assert_eq!(prefecture_of_postal_code("100-8914"), Some("東京都")); // 内閣府, 千代田区永田町
        assert_eq!(prefecture_of_postal_code("〒060-8588"), Some("北海道")); // 北海道庁, 札幌市中央区
        assert_eq!(prefecture_of_postal_code("９００－８５７０"), Some("沖縄県")); // 沖縄県庁, full-width
        assert_eq!(prefecture_of_postal_code("5308201"), Some("大阪府")); // 大阪市役所
        assert_eq!(prefecture_of_postal_code("980-8570"), Some("宮城県")); // 宮城県庁
    }

    #[test]
    fn codes_whose_three_digits_span_two_prefectures_are_decided_by_more_digits() {
        // 018: 秋田県 and one 青森県 code (018-5501, 十和田湖); 498: 愛知県 (弥富市 …) and
        // 三重県 (桑名郡木曽岬町).
        let split: Vec<&str> = TABLE.lines().filter(|l| l.starts_with("018") || l.starts_with("498")).collect();
        assert!(split.iter().all(|l| l.split('\t').next().is_some_and(|p| p.len() > 3)), "{split:?}");
        let prefs: std::collections::BTreeSet<&str> =
            split.iter().filter_map(|l| l.split_once('\t')).map(|(_, p)| p).collect();
        assert!(prefs.len() >= 2, "{prefs:?}");
        for line in &split {
            let (prefix, pref) = line.split_once('\t').unwrap();
            // The first code under each prefix is decided by that prefix's line.
            assert_eq!(prefecture_of_postal_code(&format!("{prefix:0<7}")), Some(pref), "{line}");
        }
        // 498-0000 (以下に掲載がない場合) is listed by Japan Post in both 愛知県 and 三重県: suppressed.
        assert_eq!(prefecture_of_postal_code("498-0000"), None);
    }

    #[test]
    fn the_table_names_only_real_prefectures_and_covers_all_47() {
        let named: std::collections::HashSet<&str> = table().values().copied().collect();
        assert!(named.iter().all(|p| PREFECTURES.contains(p)), "{named:?}");
        assert_eq!(named.len(), 47);
    }

    #[test]
    fn non_codes_and_unknown_prefixes_have_no_prefecture() {
        assert_eq!(prefecture_of_postal_code("100-89"), None);
        assert_eq!(prefecture_of_postal_code("12345678"), None);
        assert_eq!(prefecture_of_postal_code("abc-defg"), None);
        assert_eq!(prefecture_of_postal_code(""), None);
        // No Japanese postal code starts with 000.
        assert_eq!(prefecture_of_postal_code("000-0000"), None);
    }
}
