//! Coarsening Japanese addresses.
//!
//! The pseudonymization criteria let a data holder keep part of an address when the research
//! needs it (region-level epidemiology). Kakou keeps at most the prefecture (都道府県) or the
//! prefecture plus municipality (市区町村), by policy; everything after — 町名, 丁目, 番地, 号,
//! building, room — is dropped. An address whose prefecture cannot be recognised is removed
//! whole: when unsure, remove.

/// The 47 prefectures, in JIS X 0401 order.
pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// How much of an address survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddressPolicy {
    /// Remove the address (the default).
    #[default]
    Remove,
    /// Keep the prefecture only.
    Prefecture,
    /// Keep prefecture and municipality (市区町村; for designated cities, 市 + 区).
    Municipality,
}

/// Coarsens `address` by `policy`; `None` means remove it.
pub fn coarsen_address(address: &str, policy: AddressPolicy) -> Option<String> {
    if policy == AddressPolicy::Remove {
        return None;
    }
    // Postal codes, full-width spaces and DICOM's ^ separators come before the prefecture.
    let text: String = address.chars().filter(|c| !c.is_whitespace() && *c != '^').collect();
    let (start, pref) = PREFECTURES.iter().filter_map(|p| text.find(p).map(|i| (i, *p))).min_by_key(|(i, _)| *i)?;
    if policy == AddressPolicy::Prefecture {
        return Some(pref.to_string());
    }
    let rest = &text[start + pref.len()..];
    municipality(rest).map(|m| format!("{pref}{m}"))
}

/// The municipality at the start of `rest`: up to 市 (plus a following 区 for designated cities),
/// or 区 (Tokyo's special wards), or 郡…町/村. `None` if no such unit is found near the start.
fn municipality(rest: &str) -> Option<&str> {
    let chars: Vec<(usize, char)> = rest.char_indices().take(12).collect();
    let end_after = |i: usize| chars.get(i + 1).map_or(rest.len(), |(b, _)| *b);
    let mut saw_gun = false;
    for (i, &(_, c)) in chars.iter().enumerate() {
        match c {
            '市' => {
                // 政令指定都市: 横浜市中区 → keep the ward too.
                let tail = &chars[i + 1..];
                if let Some(j) = tail.iter().take(5).position(|&(_, c)| c == '区') {
                    return Some(&rest[..end_after(i + 1 + j)]);
                }
                return Some(&rest[..end_after(i)]);
            }
            '区' if !saw_gun => return Some(&rest[..end_after(i)]),
            '郡' => saw_gun = true,
            '町' | '村' => return Some(&rest[..end_after(i)]),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_what_the_policy_allows() {
        let a = "〒100-0014 東京都千代田区永田町1丁目6番1号 ○○ビル3階";
        assert_eq!(coarsen_address(a, AddressPolicy::Remove), None);
        assert_eq!(coarsen_address(a, AddressPolicy::Prefecture).as_deref(), Some("東京都"));
        assert_eq!(coarsen_address(a, AddressPolicy::Municipality).as_deref(), Some("東京都千代田区"));
    }

    #[test]
    fn designated_cities_and_districts() {
        let m = AddressPolicy::Municipality;
        assert_eq!(coarsen_address("神奈川県横浜市中区山下町1", m).as_deref(), Some("神奈川県横浜市中区"));
        assert_eq!(coarsen_address("長野県北佐久郡軽井沢町大字長倉", m).as_deref(), Some("長野県北佐久郡軽井沢町"));
        assert_eq!(coarsen_address("大阪府堺市", m).as_deref(), Some("大阪府堺市"));
    }

    #[test]
    fn unrecognised_addresses_are_removed() {
        assert_eq!(coarsen_address("123 Main St, Springfield", AddressPolicy::Prefecture), None);
        assert_eq!(coarsen_address("千代田区永田町1-6-1", AddressPolicy::Municipality), None);
    }
}
