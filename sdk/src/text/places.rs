//! Japanese place names outside a full address: `横浜市在住`, `札幌の実家`, `福岡県久留米市出身`.
//!
//! Why a gazetteer: where someone lives or comes from narrows them down (HIPAA counts every
//! geographic unit below the state; the 仮名加工 guidance keeps at most 都道府県 and 市区町村 and
//! only together with the rest of the record), but a municipality has no shape a pattern could
//! see. The list (`sdk/data/places/ja_places.txt`, see its README) is the 総務省 全国地方公共団体
//! コード table: 47 prefectures and every city, ward, town and village.
//!
//! Two strengths of evidence:
//! * a **full name** with its suffix (`横浜市`, `大阪府`, `猪苗代町`) is a place wherever it stands
//!   as a word: not glued to a kanji before it (`東横浜市場` is not 横浜市), and followed by a
//!   non-kanji, another place, or a word that makes it a residence (`在住`, `出身`, `内`…);
//! * a **bare stem** (`札幌`, `函館`, `福岡`) only before such a residence context (`の実家`,
//!   `に住む`, `へ転居`, `出身`), because stems are also surnames (福岡さん), parts of facility
//!   names (盛岡医療センター) and ordinary words.
//!
//! A full street address is the address rule's job (it is longer and wins the overlap).

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

/// Words after a place name that make it where someone lives, comes from or goes.
const RESIDENCE: &[&str] = &[
    "在住",
    "出身",
    "生まれ",
    "育ち",
    "の実家",
    "の自宅",
    "の施設",
    "の家",
    "の病院",
    "の息子",
    "の娘",
    "の長男",
    "の長女",
    "の次男",
    "の次女",
    "の親戚",
    "の兄",
    "の姉",
    "の弟",
    "の妹",
    "に住",
    "で暮ら",
    "で一人暮らし",
    "で独居",
    "で同居",
    "に戻",
    "へ戻",
    "に帰",
    "へ帰",
    "に転居",
    "へ転居",
    "から転居",
    "に引っ越",
    "へ引っ越",
    "から引っ越",
    "に移住",
    "へ移住",
    "から移住",
    "に転院",
    "へ転院",
    "から転院",
    "から来",
    "より来",
    "から通院",
    "より通院",
    "から上京",
    "に嫁",
    "へ嫁",
    "に単身赴任",
    "方面",
    "近郊",
    "郊外",
    "市内",
    "県内",
    "府内",
    "都内",
    "道内",
    "区内",
    "町内",
    "村内",
    "在",
];
/// Kanji words that may follow a full place name directly (the name still ends there).
const FULL_NEXT_KANJI: &[&str] = &[
    "在住",
    "出身",
    "生まれ",
    "育ち",
    "内",
    "在",
    "近郊",
    "郊外",
    "周辺",
    "方面",
    "全域",
    "北部",
    "南部",
    "東部",
    "西部",
    "中心部",
];

struct Gazetteer {
    matcher: AhoCorasick,
    /// For each pattern: whether it is a full name (with 都道府県市区町村) or a bare stem.
    full: Vec<bool>,
}

/// The gazetteer, built once from the list in use; `None` until the list is loaded (when the
/// library is built without it, see [`super::dictionaries`]).
fn gazetteer() -> Option<&'static Gazetteer> {
    static G: OnceLock<Option<Gazetteer>> = OnceLock::new();
    if let Some(g) = G.get() {
        return g.as_ref();
    }
    let data = super::dictionaries::sources()?.ja_places;
    G.get_or_init(|| {
        let mut patterns: Vec<String> = Vec::new();
        let mut full = Vec::new();
        for name in data.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            patterns.push(name.to_string());
            full.push(true);
            // 北海道 keeps its 道 (北海 is not a stem); cities and prefectures drop the suffix.
            let stem = name.strip_suffix(['市', '県', '府', '都']).filter(|_| name != "北海道");
            if let Some(stem) = stem.filter(|s| s.chars().count() >= 2) {
                patterns.push(stem.to_string());
                full.push(false);
            }
        }
        let matcher = AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&patterns).ok()?;
        Some(Gazetteer { matcher, full })
    })
    .as_ref()
}

fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '々' | 'ヶ' | 'ケ')
}

/// Place names in `folded`: byte ranges and a confidence, sorted, without overlaps.
pub(crate) fn find_places(folded: &str) -> Vec<(usize, usize, f32)> {
    let Some(g) = gazetteer() else { return Vec::new() };
    let matches: Vec<(usize, usize, bool)> =
        g.matcher.find_iter(folded).map(|m| (m.start(), m.end(), g.full[m.pattern().as_usize()])).collect();
    let mut out: Vec<(usize, usize, f32)> = Vec::new();
    for (k, &(s, e, full)) in matches.iter().enumerate() {
        let before = folded[..s].chars().next_back();
        let rest = &folded[e..];
        let after = rest.chars().next();
        // Glued to a kanji before it: only right after another place (大阪府堺市).
        let joined_before = k > 0 && matches[k - 1].1 == s && out.last().is_some_and(|o| o.1 == s);
        if before.is_some_and(is_kanji) && !joined_before {
            continue;
        }
        let next_place = matches.get(k + 1).is_some_and(|n| n.0 == e);
        let residence = RESIDENCE.iter().any(|w| rest.starts_with(w));
        let accepted = if full {
            !after.is_some_and(is_kanji) || next_place || FULL_NEXT_KANJI.iter().any(|w| rest.starts_with(w))
        } else {
            residence && !before.is_some_and(|c| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー'))
        };
        if accepted {
            out.push((s, e, if full { 0.8 } else { 0.7 }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(text: &str) -> Vec<&str> {
        find_places(text).into_iter().map(|(s, e, _)| &text[s..e]).collect()
    }

    #[test]
    fn gazetteer_loads() {
        let g = gazetteer().expect("gazetteer builds");
        assert!(g.full.iter().filter(|f| **f).count() > 1700, "47 prefectures and ~1,700 municipalities");
    }

    #[test]
    fn residences_and_origins() {
        assert_eq!(places("長男（横浜市在住）と面談"), vec!["横浜市"]);
        assert_eq!(places("長女は札幌の実家で同居予定"), vec!["札幌"]);
        assert_eq!(places("福岡県久留米市出身。"), vec!["福岡県", "久留米市"]);
        assert_eq!(places("本人は「函館に戻りたい」と話す"), vec!["函館"]);
        assert_eq!(places("大阪府堺市の施設を見学"), vec!["大阪府", "堺市"]);
    }

    #[test]
    fn stems_need_a_residence_context() {
        assert!(places("盛岡医療センターへ紹介").is_empty());
        assert!(places("福岡さんが来院").is_empty());
        assert!(places("札幌農学校の校歌").is_empty());
        assert!(places("東横浜市場").is_empty(), "glued to a kanji before");
    }
}
