//! Person names in free text: the dictionary half of the redactor.
//!
//! Names have no shape of their own, so every rule here combines a lexicon with a context:
//!
//! * **Lexicons** (`sdk/data/names/`, see its README): IPADIC surnames and given names with their
//!   katakana readings; 1990 US Census given names and surnames. Readings are looked up after
//!   folding hiragana and half-width katakana to katakana.
//! * **Contexts**: a role label before the name (`主治医：`, `患者氏名：`, `Patient:`, `signed by`),
//!   a family term (`妻 `, `長男（`, `his wife,`), a title (`Dr.`, `Mrs.`) or an honorific after it
//!   (`様`, `さん`, `先生`, `氏`, `御侍史`). Labels, titles and honorifics stay outside the span.
//! * **Without context**, only shapes that are hard to mistake: a Japanese surname and given name
//!   from the lexicon separated by a space, a katakana reading pair, an English given name followed
//!   by a surname from the lists.
//! * **Propagation**: once a note names someone, later bare mentions of that full name, surname or
//!   (English) given name are names too (`06:00 森、…` once `森 花子` is known).
//!
//! Pitfalls kept out: `様` meaning "-like" (すりガラス様陰影), 患者様/奥様/ご家族様, eponyms (橋本病,
//! 川崎病, Parkinson's disease, Foley catheter), word-like surnames inside words (森林浴, 関節, 原因,
//! 田中町): a kanji name must not run into a following kanji unless that kanji starts an honorific.
//!
//! All positions are computed in chars of `folded` and returned as byte ranges of `folded`.

use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;

struct Lexicon {
    ja_surnames: HashSet<&'static str>,
    ja_given: HashSet<&'static str>,
    ja_surname_readings: HashSet<&'static str>,
    ja_given_readings: HashSet<&'static str>,
    en_given: HashSet<&'static str>,
    en_surnames: HashSet<&'static str>,
}

fn set(data: &'static str) -> HashSet<&'static str> {
    data.lines().map(str::trim).filter(|l| !l.is_empty()).collect()
}

/// The lexicons: built once from the lists in use; empty until the lists are loaded (when the
/// library is built without them, see [`super::dictionaries`]).
fn lexicon() -> &'static Lexicon {
    static LEX: OnceLock<Lexicon> = OnceLock::new();
    static EMPTY: OnceLock<Lexicon> = OnceLock::new();
    if let Some(lex) = LEX.get() {
        return lex;
    }
    match super::dictionaries::sources() {
        Some(src) => LEX.get_or_init(|| Lexicon {
            ja_surnames: set(src.ja_surnames),
            ja_given: set(src.ja_given),
            ja_surname_readings: set(src.ja_surname_readings),
            ja_given_readings: set(src.ja_given_readings),
            en_given: set(src.en_given),
            en_surnames: set(src.en_surnames),
        }),
        None => EMPTY.get_or_init(|| Lexicon {
            ja_surnames: HashSet::new(),
            ja_given: HashSet::new(),
            ja_surname_readings: HashSet::new(),
            ja_given_readings: HashSet::new(),
            en_given: HashSet::new(),
            en_surnames: HashSet::new(),
        }),
    }
}

struct Patterns {
    /// Japanese role labels and family terms; the name starts at the end of the match.
    ja_left: Regex,
    /// English titles, role labels and family terms; the name starts at the end of the match.
    en_left: Regex,
    /// A run of capitalised words (with middle initials), a candidate English name.
    en_name: Regex,
    /// `LAST, FIRST [M.]`.
    en_last_first: Regex,
    /// An initial and a surname: `T. Yamada`, `J. Patel`.
    en_initial: Regex,
    /// A given name opening a sentence about the patient: `Kevin is a 34 yo runner`.
    en_given_is: Regex,
}

/// The compiled context patterns. They are constants of this file; `None` would mean one does not
/// compile, a build defect that `context_patterns_compile` catches (no input can cause it).
fn patterns() -> Option<&'static Patterns> {
    static P: OnceLock<Option<Patterns>> = OnceLock::new();
    P.get_or_init(|| {
        let family = "妻|夫|配偶者|長男|長女|次男|次女|三男|三女|息子|娘|母|父|兄|弟|姉|妹|祖母|祖父|孫|嫁|婿|叔母|叔父|伯母|伯父|義母|義父|内縁の妻|内縁の夫|姪|甥";
        let roles = "患者氏名|患者名|氏名|患者|本人|対象者?|名義人?|フリガナ|ふりがな|カナ氏名|氏名カナ|カナ|\
            主治医|担当医|依頼医|紹介医|読影医|提出医|病理医|執刀医|麻酔科医|麻酔医|指導医|研修医|当直医|\
            術者|助手|介助|記載者|記録者|作成者|報告者|確認者|承認者|受信者|発信者|連絡者|申請者|\
            担当看護師|受け持ち看護師|看護師長|看護師|担当者?|医師|薬剤師|ケアマネ(?:ージャー|ジャー)?|\
            キーパーソン|KP|保証人|同席者?|付添者?|代諾者|家族|CM|\
            読影|死亡確認|立会人?|副主治医|副院長|院長|部長|師長|管理栄養士|栄養士|理学療法士|作業療法士|言語聴覚士|\
            MSW|相談員|支援相談員|ケースワーカー|主任|当直|回診|面会者?|記入者|説明者|聴取者|通訳|紹介者";
        let ja_left = format!(
            r"(?:(?:{roles})(?:\s*[：:]\s*|[ \t]+)|(?:(?:{family})|(?:キーパーソン|KP|家族|同席|付添)[：:]?\s*(?:{family})?)\s*[（(：: ]\s*|(?-u:\b)(?:Dr|Ns|Mr|Ms|Mrs)\.?[ \t]*)"
        );
        let en_left = r"(?:(?-u:\b)(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof)\.?[ \t]+|(?i:(?-u:\b)(?:patient|pt|name|patient name|provider|attending|attending physician|physician|pathologist|radiologist|surgeon|assistant|anesthesiologist|anesthesia|nurse|rn|np|pa|pcp|primary care|primary care physician|referring physician|referring|resident|fellow|intern|author|cc|dictated by|signed by|electronically signed by|reviewed by|seen by|seen with|examined by|met with|spoke with|discussed with|accompanied by|for seeing|sincerely|regards|sw|social worker|pharmacist|sitter|therapist|chaplain|interpreter|case manager|dietitian|rounded with|cousin|roommate|fianc[eé]e?|girlfriend|boyfriend|stepson|stepdaughter|wife|husband|spouse|partner|son|daughter|brother|sister|mother|father|mom|dad|grandson|granddaughter|grandmother|grandfather|aunt|uncle|niece|nephew|friend|neighbor|guardian|caregiver|emergency contact|contact|next of kin|poa|healthcare proxy))(?:[ \t]*[:,#-])?[ \t]*\n?[ \t]*)";
        let tok = r"(?:[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)*|[A-Z]{2,}(?:['-][A-Z]+)*|O'[A-Z][a-z]+|Mc[A-Z][a-z]+)";
        let en_name = format!(r"(?-u:\b){tok}(?:[ \t](?:[A-Z]\.|{tok}))*(?-u:\b)");
        let en_last_first = format!(r"(?-u:\b)({tok}),[ \t]({tok})(?:[ \t][A-Z]\.|[ \t][A-Z](?-u:\b))?");
        Some(Patterns {
            ja_left: Regex::new(&ja_left).ok()?,
            en_left: Regex::new(en_left).ok()?,
            en_name: Regex::new(&en_name).ok()?,
            en_last_first: Regex::new(&en_last_first).ok()?,
            en_initial: Regex::new(r"(?-u:\b)[A-Z]\.[ \t]?([A-Z][a-z]+(?:['-][A-Z]?[a-z]+)?)(?-u:\b)").ok()?,
            en_given_is: Regex::new(r"(?-u:\b)([A-Z][a-z]+) (?:is|was) an? \d{1,3}").ok()?,
        })
    })
    .as_ref()
}

fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}' | '々' | '〆' | 'ヶ')
}
fn is_hiragana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{3096}')
}
fn is_katakana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '\u{FF66}'..='\u{FF9F}')
}
fn is_kana(c: char) -> bool {
    is_hiragana(c) || is_katakana(c)
}

/// Hiragana and half-width katakana folded to full-width katakana, for reading lookups.
fn kana_key(s: &[char]) -> String {
    const HALF: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";
    let mut out: Vec<char> = Vec::with_capacity(s.len());
    for &c in s {
        match c {
            '\u{3041}'..='\u{3096}' => out.push(char::from_u32(c as u32 + 0x60).unwrap_or(c)),
            '\u{FF66}'..='\u{FF9D}' => out.push(HALF.chars().nth(c as usize - 0xFF66).unwrap_or(c)),
            'ﾞ' | 'ﾟ' => {
                if let Some(last) = out.last_mut() {
                    let add = if c == 'ﾞ' { 1 } else { 2 };
                    let base = *last;
                    *last = match base {
                        'ウ' if c == 'ﾞ' => 'ヴ',
                        'カ' | 'キ' | 'ク' | 'ケ' | 'コ' | 'サ' | 'シ' | 'ス' | 'セ' | 'ソ' | 'タ' | 'チ' | 'ツ'
                        | 'テ' | 'ト'
                            if c == 'ﾞ' =>
                        {
                            char::from_u32(base as u32 + 1).unwrap_or(base)
                        }
                        'ハ' | 'ヒ' | 'フ' | 'ヘ' | 'ホ' => char::from_u32(base as u32 + add).unwrap_or(base),
                        _ => base,
                    };
                }
            }
            _ => out.push(c),
        }
    }
    out.into_iter().collect()
}

/// Words that start the next label or field, never an unknown given name after a surname.
const JA_NOT_GIVEN: &[&str] = &[
    "担当", "主治", "看護", "記載", "記録", "依頼", "読影", "診断", "病理", "提出", "患者", "氏名", "医師", "紹介",
    "検査", "年齢", "性別", "生年", "住所", "電話", "連絡", "男性", "女性", "外来", "病棟", "入院", "退院", "同席",
    "主訴", "科",
];
/// Family terms, never names themselves.
const JA_FAMILY: &[&str] = &[
    "内縁の妻",
    "内縁の夫",
    "配偶者",
    "長男",
    "長女",
    "次男",
    "次女",
    "三男",
    "三女",
    "息子",
    "祖母",
    "祖父",
    "叔母",
    "叔父",
    "伯母",
    "伯父",
    "義母",
    "義父",
    "妻",
    "夫",
    "娘",
    "母",
    "父",
    "兄",
    "弟",
    "姉",
    "妹",
    "孫",
    "嫁",
    "婿",
    "姪",
    "甥",
];
/// The last characters of the family terms, a cheap test before looking for one.
const JA_FAMILY_LAST: &[char] =
    &['妻', '夫', '者', '男', '女', '子', '娘', '母', '父', '兄', '弟', '姉', '妹', '孫', '嫁', '婿', '姪', '甥'];
/// Honorifics and role words that may follow a name directly (the name ends before them).
const JA_HONORIFICS: &[&str] = &[
    "様",
    "さま",
    "さん",
    "君",
    "くん",
    "ちゃん",
    "先生",
    "氏",
    "殿",
    "医師",
    "御侍史",
    "御机下",
    "侍史",
    "机下",
    "看護師",
    "Ns",
    "Dr",
    "主治医",
    "担当医",
    "副院長",
    "院長",
    "部長",
    "科長",
    "師長",
    "技師",
    "薬剤師",
    "(PT)",
    "(OT)",
    "(ST)",
    "(MSW)",
    "(Ns)",
    "(Dr)",
    "(CM)",
    "(医師)",
    "(看護師)",
    "(薬剤師)",
    "(ケアマネ",
];
/// Honorifics strong enough to make a lone lexicon surname a name (様 is handled apart).
const JA_STRONG: &[&str] = &[
    "さん",
    "君",
    "くん",
    "ちゃん",
    "先生",
    "氏",
    "殿",
    "医師",
    "御侍史",
    "御机下",
    "侍史",
    "看護師",
    "Ns",
    "Dr",
    "(PT)",
    "(OT)",
    "(ST)",
    "(MSW)",
    "(Ns)",
    "(Dr)",
    "(CM)",
    "(医師)",
    "(看護師)",
    "(薬剤師)",
    "(ケアマネ",
];
/// Honorifics used with a given name alone (翔太くん, 健二さん, 美咲ちゃん).
const JA_GIVEN_HONORIFICS: &[&str] = &["さん", "くん", "君", "ちゃん", "様", "さま"];
/// Words before 様 that are not names (patient-sama, wife-sama) and "-like" nouns.
const NOT_NAMES: &[&str] = &[
    "患者",
    "奥",
    "家族",
    "皆",
    "皆々",
    "各位",
    "客",
    "神",
    "王",
    "殿",
    "仏",
    "旦那",
    "主人",
    "先方",
    "相手",
    "利用者",
    "本人",
    "親御",
    "お子",
    "子供",
    "ご主人",
    "お母",
    "お父",
    "同",
    "結節",
    "腫瘤",
    "嚢胞",
    "網状",
    "粒状",
    "線状",
    "索状",
    "斑状",
    "帯状",
    "泡沫",
    "雲",
    "霧",
    "蜂巣",
    "樹枝",
    "星芒",
    "分葉",
    "地図",
    "浸潤",
    "膜",
    "瘢痕",
    "石灰化",
];
/// Kanji that follow a surname in eponyms and place names (橋本病, 川崎病, 田中町).
const JA_EPONYM_NEXT: &[char] =
    &['病', '症', '炎', '型', '法', '式', '線', '管', '反', '徴', '分', '町', '市', '区', '村', '郡', '駅', '県', '通'];

struct Text {
    cs: Vec<char>,
    bs: Vec<usize>, // byte offset of each char, plus the end
}

impl Text {
    fn new(folded: &str) -> Self {
        let mut cs = Vec::new();
        let mut bs = Vec::new();
        for (b, c) in folded.char_indices() {
            cs.push(c);
            bs.push(b);
        }
        bs.push(folded.len());
        Text { cs, bs }
    }
    fn at(&self, i: usize) -> Option<char> {
        self.cs.get(i).copied()
    }
    fn char_of_byte(&self, b: usize) -> usize {
        self.bs.partition_point(|&x| x < b)
    }
    fn starts_with(&self, i: usize, s: &str) -> bool {
        (i..).zip(s.chars()).all(|(j, c)| self.at(j) == Some(c))
    }
    fn slice(&self, a: usize, b: usize) -> String {
        self.cs[a..b].iter().collect()
    }
    fn honorific_at(&self, i: usize) -> Option<&'static str> {
        let j = if self.at(i) == Some(' ') { i + 1 } else { i };
        JA_HONORIFICS.iter().copied().find(|h| self.starts_with(j, h))
    }
    /// Whether a kanji name may end at `i`: the next char is not kanji, or starts an honorific.
    fn kanji_end_ok(&self, i: usize) -> bool {
        match self.at(i) {
            None => true,
            Some(c) if is_kanji(c) => self.honorific_at(i).is_some(),
            Some(_) => true,
        }
    }
    /// Whether a kanji name may start at `i` without a context before it: not glued to a kanji,
    /// unless that kanji ends a family term (長女森田 久美子さん).
    fn kanji_start_ok(&self, i: usize) -> bool {
        i == 0
            || !is_kanji(self.cs[i - 1])
            || (JA_FAMILY_LAST.contains(&self.cs[i - 1])
                && JA_FAMILY.iter().any(|f| {
                    let n = f.chars().count();
                    i >= n && self.starts_with(i - n, f)
                }))
    }
}

#[derive(Clone, Copy)]
struct Found {
    start: usize,
    end: usize,
    conf: f32,
    /// End of the surname part (== end when there is no given name).
    surname_end: usize,
}

/// Candidate kanji names starting at `p`: (end, surname_end, both parts from the lexicon), longest first.
fn ja_kanji_at(t: &Text, p: usize, in_context: bool) -> Option<(usize, usize, bool)> {
    let lex = lexicon();
    let mut best: Option<(usize, usize, bool)> = None;
    let consider = |cand: (usize, usize, bool), best: &mut Option<(usize, usize, bool)>| {
        let better = match best {
            None => true,
            Some(b) => (cand.2 && !b.2) || (cand.2 == b.2 && cand.0 > b.0),
        };
        if better {
            *best = Some(cand);
        }
    };
    for sl in (1..=4).rev() {
        if p + sl > t.cs.len() || !t.cs[p..p + sl].iter().all(|&c| is_kanji(c)) {
            continue;
        }
        let s = t.slice(p, p + sl);
        if !lex.ja_surnames.contains(s.as_str()) {
            continue;
        }
        let se = p + sl;
        let (g0, spaced) = if t.at(se) == Some(' ') { (se + 1, true) } else { (se, false) };
        // Given name from the lexicon (kanji, kana or mixed).
        for gl in (1..=4).rev() {
            if g0 + gl > t.cs.len() {
                continue;
            }
            let gcs = &t.cs[g0..g0 + gl];
            if !gcs.iter().all(|&c| is_kanji(c) || is_hiragana(c)) {
                continue;
            }
            let g = t.slice(g0, g0 + gl);
            if !lex.ja_given.contains(g.as_str()) || t.honorific_at(g0).is_some() {
                continue;
            }
            let next = t.at(g0 + gl);
            let end_ok = t.kanji_end_ok(g0 + gl)
                && !(gcs.iter().any(|&c| is_hiragana(c))
                    && next.is_some_and(is_hiragana)
                    && t.honorific_at(g0 + gl).is_none());
            if end_ok {
                consider((g0 + gl, se, true), &mut best);
                break;
            }
        }
        // In a context, an unknown given name: a short kanji/hiragana run up to a boundary.
        if (in_context || spaced) && t.honorific_at(g0).is_none() && !JA_NOT_GIVEN.iter().any(|w| t.starts_with(g0, w))
        {
            let mut e = g0;
            // After a space the given name may be kana (佐々木 トメ様).
            let kana_given = spaced && t.at(g0).is_some_and(is_kana);
            while e < t.cs.len()
                && e - g0 < 4
                && (is_kanji(t.cs[e]) || (is_kana(t.cs[e]) && spaced) || (kana_given && is_kana(t.cs[e])))
            {
                if e > g0 && t.honorific_at(e).is_some() {
                    break;
                }
                e += 1;
            }
            // `術者：久保 助手：…`: a word before a colon is the next label, not a given name.
            let next_label = matches!(t.at(e), Some(':' | '：'));
            let in_ctx_ok = in_context
                && !next_label
                && ((e - g0 <= 3 && t.kanji_end_ok(e) && !t.at(e).is_some_and(is_hiragana))
                    || t.honorific_at(e).is_some());
            // Without a context: `高橋 恵子様`, a spaced given name the lexicon lacks, before an honorific.
            let honorific_ok = !in_context
                && e - g0 <= 3
                && t.honorific_at(e).is_some_and(|h| JA_STRONG.contains(&h) || h == "様" || h == "さま");
            if e > g0 && (in_ctx_ok || honorific_ok) {
                // After a space the given name is sure; glued to the surname it is a guess.
                consider((e, se, spaced), &mut best);
            }
        }
        // The surname alone.
        if t.kanji_end_ok(se) && !JA_EPONYM_NEXT.contains(&t.at(se).unwrap_or(' ')) {
            consider((se, se, true), &mut best);
        }
        if best.is_some() {
            break;
        }
    }
    best
}

/// A kana run of one script starting at `p` (katakana incl. half-width, or hiragana).
fn kana_run(t: &Text, p: usize) -> usize {
    let Some(c0) = t.at(p) else { return p };
    let kata = is_katakana(c0);
    if !(is_kana(c0)) || c0 == 'ー' || c0 == 'ｰ' {
        return p;
    }
    let mut e = p;
    while let Some(c) = t.at(e) {
        let ok = if kata { is_katakana(c) } else { is_hiragana(c) || c == 'ー' };
        if !ok {
            break;
        }
        e += 1;
    }
    // A hiragana run swallows a following honorific (やまださん): cut it off.
    if !kata {
        for h in ["さん", "さま", "くん", "ちゃん"] {
            for k in p + 1..e {
                if t.starts_with(k, h) && k + h.chars().count() == e {
                    return k;
                }
            }
        }
    }
    e
}

/// A name written in kana at `p`: surname reading [space given reading]. Returns (end, surname_end).
fn ja_kana_at(t: &Text, p: usize, in_context: bool) -> Option<(usize, usize)> {
    let lex = lexicon();
    let e1 = kana_run(t, p);
    let n1 = e1 - p;
    if !(2..=10).contains(&n1) {
        return None;
    }
    let k1 = kana_key(&t.cs[p..e1]);
    let sur = lex.ja_surname_readings.contains(k1.as_str());
    if t.at(e1) == Some(' ') {
        let e2 = kana_run(t, e1 + 1);
        if e2 > e1 + 1 && e2 - e1 - 1 <= 10 && is_katakana(t.cs[p]) == is_katakana(t.cs[e1 + 1]) {
            let k2 = kana_key(&t.cs[e1 + 1..e2]);
            let giv = lex.ja_given_readings.contains(k2.as_str());
            if (sur && giv) || (in_context && (sur || giv)) {
                return Some((e2, e1));
            }
        }
    }
    // A lone reading only with a context, and only if it is a known surname reading.
    if in_context && sur && is_katakana(t.cs[p]) {
        return Some((e1, e1));
    }
    None
}

/// `Dr 鈴木/田中`, `助手：菅野、宮崎`: more surnames listed after a name found in a context.
fn list_continuation(t: &Text, mut e: usize, out: &mut Vec<Found>) {
    while matches!(t.at(e), Some('/' | '、' | '・' | ',')) {
        let mut q = e + 1;
        while t.at(q) == Some(' ') {
            q += 1;
        }
        if !t.at(q).is_some_and(is_kanji) {
            return;
        }
        let Some((ne, se, true)) = ja_kanji_at(t, q, false) else { return };
        out.push(Found { start: q, end: ne, conf: 0.8, surname_end: se });
        e = ne;
    }
}

/// A given name from the lexicon alone at `p` (2–4 kanji or kanji + hiragana), ending at a word
/// boundary. Family terms (息子, 長女) and words before 様 that are not names are excluded.
fn ja_given_at(t: &Text, p: usize) -> Option<usize> {
    let lex = lexicon();
    (2..=4).rev().find_map(|gl| {
        let e = p + gl;
        if e > t.cs.len() || !t.cs[p..e].iter().all(|&c| is_kanji(c) || is_hiragana(c)) || !is_kanji(t.cs[p]) {
            return None;
        }
        let g = t.slice(p, e);
        let word_end = t.kanji_end_ok(e) && !t.at(e).is_some_and(is_hiragana) || t.honorific_at(e).is_some();
        (lex.ja_given.contains(g.as_str())
            && word_end
            && !JA_FAMILY.contains(&g.as_str())
            && !NOT_NAMES.contains(&g.as_str())
            && !lex.ja_surnames.contains(g.as_str()))
        .then_some(e)
    })
}

/// Romaji in passport order (YAMADA TARO) or Western order (Taro Yamada) after a context.
fn romaji_at(t: &Text, p: usize) -> Option<usize> {
    let word = |i: usize| {
        let mut e = i;
        while t.at(e).is_some_and(|c| c.is_ascii_alphabetic()) {
            e += 1;
        }
        e
    };
    let e1 = word(p);
    if e1 - p < 2 || !t.cs[p].is_ascii_uppercase() || t.at(e1) != Some(' ') {
        return None;
    }
    let e2 = word(e1 + 1);
    if e2 - e1 - 1 < 2 || !t.cs[e1 + 1].is_ascii_uppercase() {
        return None;
    }
    let vowels = |a: usize, b: usize| t.cs[a..b].iter().any(|c| "AEIOUaeiou".contains(*c));
    (vowels(p, e1) && vowels(e1 + 1, e2)).then_some(e2)
}

fn japanese(t: &Text, folded: &str, out: &mut Vec<Found>) {
    let Some(pats) = patterns() else { return };
    // 1. Left contexts: labels, family terms, Dr./Ns.
    for m in pats.ja_left.find_iter(folded) {
        let mut p = t.char_of_byte(m.end());
        // 同席：長男 中村…, ご家族（長女：… : the family term is part of the context.
        while let Some(f) = JA_FAMILY.iter().find(|f| t.starts_with(p, f)) {
            let q = p + f.chars().count();
            if !t.at(q).is_some_and(|c| matches!(c, ' ' | '（' | '(' | '：' | ':')) {
                break;
            }
            p = q + 1;
            while t.at(p) == Some(' ') {
                p += 1;
            }
        }
        if p >= t.cs.len() {
            continue;
        }
        let c = t.cs[p];
        if is_kanji(c) {
            if let Some((e, se, _)) = ja_kanji_at(t, p, true) {
                out.push(Found { start: p, end: e, conf: 0.9, surname_end: se });
                list_continuation(t, e, out);
            } else if let Some(e) = ja_given_at(t, p) {
                // 妻 恵美（70歳）: a family term before a given name alone.
                out.push(Found { start: p, end: e, conf: 0.8, surname_end: e });
            }
        } else if is_kana(c) {
            if let Some((e, se)) = ja_kana_at(t, p, true) {
                out.push(Found { start: p, end: e, conf: 0.85, surname_end: se });
            }
        } else if c.is_ascii_uppercase()
            && let Some(e) = romaji_at(t, p)
        {
            out.push(Found { start: p, end: e, conf: 0.8, surname_end: e });
        }
    }
    // 2. Every position where a name could start without a context before it: the name must be
    // followed by an honorific, or be a full name (surname + given) that cannot be a word.
    let n = t.cs.len();
    let mut i = 0;
    while i < n {
        let c = t.cs[i];
        if is_kanji(c) && t.kanji_start_ok(i) {
            let at = ja_kanji_at(t, i, false);
            if let Some((e, se, lexical)) = at {
                let hon = t.honorific_at(e);
                let name = t.slice(i, e);
                let skip = NOT_NAMES.contains(&name.as_str());
                let conf = match hon {
                    _ if skip => 0.0,
                    Some(h)
                        if JA_STRONG.contains(&h)
                            || h.starts_with(['主', '担', '副', '院', '部', '科', '師', '技', '薬']) =>
                    {
                        0.85
                    }
                    // 様 after a lexicon name, not the "-like" 様 (then a kanji noun or の/な/に follows).
                    Some("様" | "さま") => {
                        let j = if t.at(e) == Some(' ') { e + 2 } else { e + 1 };
                        let after = t.at(j);
                        // A surname with its given name is a person whatever follows (高橋 恵子様面会).
                        if e == se && after.is_some_and(|c| is_kanji(c) || matches!(c, 'の' | 'な' | 'で')) {
                            0.0
                        } else {
                            0.85
                        }
                    }
                    _ if lexical && e > se && t.at(se) == Some(' ') && se - i >= 2 => 0.6,
                    _ => 0.0,
                };
                if conf > 0.0 {
                    out.push(Found { start: i, end: e, conf, surname_end: se });
                    i = e;
                    continue;
                }
            }
            // 菊地の妻より電話: a surname owning a family member is a person.
            if let Some((e, se, true)) = at
                && e == se
                && t.at(e) == Some('の')
                && JA_FAMILY.iter().any(|f| t.starts_with(e + 1, f))
                && !NOT_NAMES.contains(&t.slice(i, e).as_str())
            {
                out.push(Found { start: i, end: e, conf: 0.75, surname_end: e });
                i = e;
                continue;
            }
            // The rules below need a familiar honorific within a few chars: look for one first.
            let honorific_soon = (i + 2..(i + 5).min(n)).any(|k| matches!(t.cs[k], 'さ' | 'く' | 'ち' | '君' | '様'));
            if !honorific_soon {
                i += 1;
                continue;
            }
            // 悠真君, 陽菜ちゃん: 2–3 kanji before くん/ちゃん/君 are a child's given name, known or not.
            let child = (2..=3).find(|&r| {
                i + r <= n
                    && t.cs[i..i + r].iter().all(|&c| is_kanji(c))
                    && ["くん", "ちゃん", "君"].iter().any(|h| t.starts_with(i + r, h))
            });
            if let Some(run) = child
                && !NOT_NAMES.contains(&t.slice(i, i + run).as_str())
            {
                out.push(Found { start: i, end: i + run, conf: 0.75, surname_end: i + run });
                i += run;
                continue;
            }
            // 翔太くん, 健二さん: a given name alone before a familiar honorific.
            if let Some(e) = ja_given_at(t, i)
                && t.honorific_at(e).is_some_and(|h| JA_GIVEN_HONORIFICS.contains(&h))
            {
                out.push(Found { start: i, end: e, conf: 0.75, surname_end: e });
                i = e;
                continue;
            }
        } else if is_kana(c) && (i == 0 || !is_kana(t.cs[i - 1])) {
            if let Some((e, se)) = ja_kana_at(t, i, false) {
                let bounded = t.at(e).is_none_or(|c| !is_kana(c)) || t.honorific_at(e).is_some();
                if bounded && e > se {
                    out.push(Found { start: i, end: e, conf: 0.6, surname_end: se });
                    i = e;
                    continue;
                }
            }
            // A kana surname with a strong honorific (サトウさん, やまださん).
            let e = kana_run(t, i);
            if e - i >= 2 && t.honorific_at(e).is_some_and(|h| JA_STRONG.contains(&h) || h == "様") {
                let k = kana_key(&t.cs[i..e]);
                let lex = lexicon();
                if lex.ja_surname_readings.contains(k.as_str()) || lex.ja_given_readings.contains(k.as_str()) {
                    out.push(Found { start: i, end: e, conf: 0.7, surname_end: e });
                    i = e;
                    continue;
                }
            }
        }
        i += 1;
    }
}

// ---------------------------------------------------------------- English

const EN_TITLES: &[&str] = &["Dr", "Mr", "Mrs", "Ms", "Miss", "Mx", "Prof"];
const EN_RELATIVES: &[&str] = &[
    "wife",
    "husband",
    "spouse",
    "partner",
    "son",
    "daughter",
    "brother",
    "sister",
    "mother",
    "father",
    "mom",
    "dad",
    "grandson",
    "granddaughter",
    "grandmother",
    "grandfather",
    "aunt",
    "uncle",
    "niece",
    "nephew",
    "cousin",
    "stepson",
    "stepdaughter",
    "fiance",
    "fiancee",
    "girlfriend",
    "boyfriend",
];

const EN_STOP: &[&str] = &[
    "MD",
    "DO",
    "RN",
    "NP",
    "PA",
    "PhD",
    "MRN",
    "DOB",
    "Age",
    "Sex",
    "Date",
    "Dr",
    "Mr",
    "Mrs",
    "Ms",
    "The",
    "This",
    "That",
    "He",
    "She",
    "They",
    "His",
    "Her",
    "Patient",
    "Pt",
    "Name",
    "Provider",
    "Attending",
    "Physician",
    "Hospital",
    "Clinic",
    "Center",
    "Medical",
    "Health",
    "Care",
    "Primary",
    "Follow",
    "Up",
    "Dear",
    "Thank",
    "Thanks",
    "Sincerely",
    "Regards",
    "Signed",
    "Dictated",
    "Reviewed",
    "Seen",
    "Met",
    "With",
    "And",
    "Or",
    "Of",
    "In",
    "On",
    "At",
    "For",
    "By",
    "To",
    "From",
    "Is",
    "Was",
    "Has",
    "Had",
    "Will",
    "May",
    "Can",
    "No",
    "Yes",
    "Not",
    "Per",
    "Admission",
    "Discharge",
    "History",
    "Plan",
    "Assessment",
    "Diagnosis",
    "Impression",
    "Findings",
    "Exam",
    "Report",
    "Summary",
    "Note",
    "Notes",
    "Labs",
    "Meds",
    "Allergies",
    "Vitals",
    "Subjective",
    "Objective",
    "Clinical",
    "Final",
    "Addendum",
    "Specimen",
    "Procedure",
    "Indication",
    "Technique",
    "Comparison",
    "Result",
    "Results",
    "Phone",
    "Fax",
    "Email",
    "Address",
    "St",
    "Street",
    "Ave",
    "Road",
    "Rd",
    "Suite",
    "Apt",
    "Unit",
    "Department",
    "Dept",
    "Service",
    "Room",
    "Floor",
    "Ward",
    "ICU",
    "ED",
    "ER",
    "OR",
    "CT",
    "MRI",
    "ECG",
    "EKG",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
    "Mon",
    "Tue",
    "Wed",
    "Thu",
    "Fri",
    "Sat",
    "Sun",
    "Mother",
    "Father",
    "Wife",
    "Husband",
    "Son",
    "Daughter",
    "Brother",
    "Sister",
    "Family",
    "Identity",
    "Insurance",
    "Medicare",
    "Medicaid",
    "Social",
    "Work",
    "Worker",
    "Case",
    "Manager",
    "Team",
    "Nursing",
    "Home",
    "North",
    "South",
    "East",
    "West",
    "General",
    "Memorial",
    "University",
    "Saint",
    "County",
    "City",
    "State",
    "Lake",
    "Valley",
    "Mount",
];
/// Words after a capitalised name that make it an eponym, not a person.
const EN_EPONYM_NEXT: &[&str] = &[
    "disease",
    "syndrome",
    "sign",
    "signs",
    "catheter",
    "procedure",
    "operation",
    "test",
    "score",
    "criteria",
    "classification",
    "scale",
    "maneuver",
    "manoeuvre",
    "reflex",
    "phenomenon",
    "lymphoma",
    "tumor",
    "tumour",
    "palsy",
    "ulcer",
    "fracture",
    "node",
    "nodes",
    "triad",
    "law",
    "equation",
    "formula",
    "stain",
    "stage",
    "grade",
    "position",
    "incision",
    "tube",
    "cell",
    "cells",
    "body",
    "bodies",
    "disorder",
    "ratio",
    "index",
    "method",
    "hospital",
    "clinic",
    "center",
    "centre",
    "medical",
    "street",
    "st",
    "avenue",
    "ave",
    "road",
    "rd",
    "county",
    "university",
    "pharmacy",
    "health",
    "memorial",
];

/// `Word` form of an English word for lookups; borrowed when already in that form (most are),
/// so lookups in the hot loop do not allocate.
fn en_key(w: &str) -> std::borrow::Cow<'_, str> {
    let mut cs = w.chars();
    match cs.next() {
        Some(f) if !f.is_ascii_lowercase() && !cs.as_str().bytes().any(|b| b.is_ascii_uppercase()) => {
            std::borrow::Cow::Borrowed(w)
        }
        Some(f) => (f.to_ascii_uppercase().to_string() + &cs.as_str().to_ascii_lowercase()).into(),
        None => std::borrow::Cow::Borrowed(""),
    }
}

fn is_given(w: &str) -> bool {
    lexicon().en_given.contains(en_key(w).as_ref())
}
fn is_surname(w: &str) -> bool {
    lexicon().en_surnames.contains(en_key(w).as_ref())
}
/// Stop words in their lookup form, computed once (not per call: this is the hot loop).
fn is_stop(w: &str) -> bool {
    static KEYS: OnceLock<HashSet<String>> = OnceLock::new();
    KEYS.get_or_init(|| EN_STOP.iter().map(|s| en_key(s).into_owned()).collect()).contains(en_key(w).as_ref())
}

/// Byte ranges of the words in a capitalised run: (start, end, is_initial).
fn words(s: &str, base: usize) -> Vec<(usize, usize, bool)> {
    let mut out = Vec::new();
    let mut pos = 0;
    for w in s.split([' ', '\t']) {
        if !w.is_empty() {
            out.push((base + pos, base + pos + w.len(), w.len() == 2 && w.ends_with('.')));
        }
        pos += w.len() + 1;
    }
    out
}

fn eponym_after(folded: &str, end: usize) -> bool {
    let rest = &folded[end..];
    if rest.starts_with("'s") || rest.starts_with("’s") || rest.starts_with("s' ") {
        return true;
    }
    let next: String =
        rest.trim_start_matches(['\'', '’', 's', ' ']).chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let next = next.to_ascii_lowercase();
    rest.starts_with(' ') && EN_EPONYM_NEXT.contains(&next.as_str())
        || rest.starts_with("'s ") && EN_EPONYM_NEXT.contains(&next.as_str())
}

fn prev_word_capitalised(folded: &str, start: usize) -> bool {
    let before = &folded[..start];
    let Some(rest) = before.strip_suffix(' ') else { return false };
    rest.rsplit([' ', '\n', '\t'])
        .next()
        .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_uppercase()) && w.chars().all(|c| c.is_ascii_alphabetic()))
}

/// A house number before a capitalised run (4540 Davis Plain) makes it a street.
fn after_house_number(folded: &str, start: usize) -> bool {
    let before = folded[..start].trim_end_matches([' ', '\t']);
    before.len() < start && before.ends_with(|c: char| c.is_ascii_digit())
}

fn english(t: &Text, folded: &str, out: &mut Vec<Found>) {
    let Some(pats) = patterns() else { return };
    let push = |out: &mut Vec<Found>, s: usize, e: usize, conf: f32| {
        out.push(Found { start: t.char_of_byte(s), end: t.char_of_byte(e), conf, surname_end: t.char_of_byte(e) });
    };
    // Context starts (byte offsets where a name may begin).
    let mut ctx: HashSet<usize> = HashSet::new();
    // Titles and relatives: the next capitalised word is a name even if no list has it (Dr. Okonkwo).
    let mut strong_ctx: HashSet<usize> = HashSet::new();
    for m in pats.en_left.find_iter(folded) {
        ctx.insert(m.end());
        let first: String = m.as_str().chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        if EN_TITLES.contains(&first.as_str()) || EN_RELATIVES.contains(&first.to_ascii_lowercase().as_str()) {
            strong_ctx.insert(m.end());
        }
    }
    // LAST, FIRST [M.]
    for c in pats.en_last_first.captures_iter(folded) {
        let (Some(m), Some(last), Some(first)) = (c.get(0), c.get(1), c.get(2)) else { continue };
        if is_stop(last.as_str()) || is_stop(first.as_str()) {
            continue;
        }
        let in_ctx = ctx.contains(&m.start());
        // Two-letter capitals are state codes (Riley, AL); "Julie Li, Jackson …" is First Last, then more.
        let lexical = is_surname(last.as_str())
            && is_given(first.as_str())
            && first.as_str().len() > 2
            && !prev_word_capitalised(folded, m.start());
        if !in_ctx && first.as_str().len() <= 2 {
            continue;
        }
        if !in_ctx && prev_word_capitalised(folded, m.start()) {
            continue;
        }
        // "Smith, John" needs both lists; a context is enough for the rest.
        if lexical || (in_ctx && (is_given(first.as_str()) || is_surname(last.as_str()))) {
            let end = m.as_str().trim_end().len() + m.start();
            push(out, m.start(), end, if in_ctx { 0.9 } else { 0.75 });
        }
    }
    // An initial and a surname: `J. Patel, MD`, `T. Yamada`.
    for c in pats.en_initial.captures_iter(folded) {
        let (Some(m), Some(sur)) = (c.get(0), c.get(1)) else { continue };
        let credential = [", MD", ", RN", ", NP", ", PA", ", DO", ", PhD", " MD", " RN"]
            .iter()
            .any(|x| folded[m.end()..].starts_with(x));
        let known = is_surname(sur.as_str()) && !is_stop(sur.as_str());
        // `102 F. Right lower lobe`: a unit after a number, not an initial.
        if folded[..m.start()].trim_end().ends_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        if (known || credential || ctx.contains(&m.start())) && !eponym_after(folded, m.end()) {
            push(out, m.start(), m.end(), 0.75);
        }
    }
    // `Kevin is a 34 yo runner`: a known given name as the subject of the patient's age.
    for c in pats.en_given_is.captures_iter(folded) {
        let Some(g) = c.get(1) else { continue };
        if is_given(g.as_str()) && !is_stop(g.as_str()) {
            push(out, g.start(), g.end(), 0.75);
        }
    }
    // Runs of capitalised words.
    for m in pats.en_name.find_iter(folded) {
        let ws = words(m.as_str(), m.start());
        // Cut the run at stop words and at words followed by a colon (the next label).
        let mut i = 0;
        while i < ws.len() {
            let (s, _, init) = ws[i];
            let ctx_start = ctx.contains(&s) && is_given(&folded[ws[i].0..ws[i].1]);
            if init || (is_stop(&folded[ws[i].0..ws[i].1]) && !ctx_start) {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < ws.len() && (ws[j].2 || (j == i && ctx_start) || !is_stop(&folded[ws[j].0..ws[j].1])) && j - i < 4
            {
                // `Niece Barbara Collins`: a context word inside the run starts the name.
                if j > i && ctx.contains(&ws[j].0) {
                    break;
                }
                j += 1;
                if folded[ws[j - 1].1..].starts_with(':') {
                    break;
                }
            }
            // drop a trailing initial
            let mut k = j;
            while k > i + 1 && ws[k - 1].2 {
                k -= 1;
            }
            let part: Vec<&str> = ws[i..k].iter().map(|w| &folded[w.0..w.1]).collect();
            let e = ws[k - 1].1;
            let in_ctx = ctx.contains(&s);
            let first_given = is_given(part[0]);
            let last_sur = part.len() > 1 && is_surname(part[part.len() - 1]);
            let all_caps = part.iter().all(|w| w.chars().all(|c| !c.is_ascii_lowercase()));
            let followed_colon = folded[e..].starts_with(':');
            if followed_colon || (eponym_after(folded, e) || after_house_number(folded, s)) && !in_ctx {
                i = j.max(i + 1);
                continue;
            }
            if in_ctx {
                // A context: the run is a name if one of its words is in the lists or it has two words.
                if part.len() > 1 || first_given || is_surname(part[0]) || strong_ctx.contains(&s) {
                    push(out, s, e, 0.9);
                }
            } else if part.len() > 1 && first_given && last_sur && !all_caps {
                push(out, s, e, 0.7);
            }
            i = j.max(i + 1);
        }
    }
}

/// Later bare mentions of names already found in the note.
fn propagate(t: &Text, folded: &str, found: &[Found], out: &mut Vec<Found>) {
    let mut keys: HashSet<Vec<char>> = HashSet::new();
    let mut given_keys: HashSet<Vec<char>> = HashSet::new();
    for f in found {
        let full = &t.cs[f.start..f.end];
        keys.insert(full.to_vec());
        let sur = &t.cs[f.start..f.surname_end];
        let ascii = full.iter().all(|c| c.is_ascii());
        if ascii {
            for w in full.split(|c| *c == ' ' || *c == ',') {
                if w.len() >= 3 && w[0].is_ascii_uppercase() && !is_stop(&w.iter().collect::<String>()) {
                    keys.insert(w.to_vec());
                }
            }
        } else if f.surname_end < f.end && sur.iter().all(|&c| is_kanji(c)) {
            keys.insert(sur.to_vec());
        }
        // 上野 ひかり → later `ひかりちゃん`: the given name alone, but only before an honorific.
        if !ascii && let Some(sp) = full.iter().position(|&c| c == ' ') {
            let given = &full[sp + 1..];
            if given.len() >= 2 {
                given_keys.insert(given.to_vec());
            }
        }
    }
    let n = t.cs.len();
    let keys = keys.into_iter().map(|k| (k, false)).chain(given_keys.into_iter().map(|k| (k, true)));
    for (key, needs_honorific) in keys {
        let k = key.len();
        if k == 0 {
            continue;
        }
        let kanji = key.iter().all(|&c| is_kanji(c));
        let ascii = key.iter().all(|c| c.is_ascii());
        let mut i = 0;
        while i + k <= n {
            if t.cs[i..i + k] != key[..] {
                i += 1;
                continue;
            }
            let (prev, next) = (if i > 0 { Some(t.cs[i - 1]) } else { None }, t.at(i + k));
            let ok = if needs_honorific {
                !prev.is_some_and(|c| is_kanji(c) || is_kana(c)) && t.honorific_at(i + k).is_some()
            } else if ascii {
                !prev.is_some_and(|c| c.is_ascii_alphanumeric()) && !next.is_some_and(|c| c.is_ascii_alphanumeric())
            } else if kanji {
                !prev.is_some_and(is_kanji)
                    && t.kanji_end_ok(i + k)
                    && !JA_EPONYM_NEXT.contains(&next.unwrap_or(' '))
                    && (k >= 2 || !next.is_some_and(is_kana) || t.honorific_at(i + k).is_some())
            } else {
                !prev.is_some_and(is_kana) && !next.is_some_and(is_kana)
            };
            let street = ascii && after_house_number(folded, t.bs[i]);
            if ok && !street && !(ascii && eponym_after_chars(t, i + k)) {
                out.push(Found { start: i, end: i + k, conf: 0.75, surname_end: i + k });
            }
            i += k;
        }
    }
}

fn eponym_after_chars(t: &Text, e: usize) -> bool {
    let rest: String = t.cs[e..(e + 24).min(t.cs.len())].iter().collect();
    rest.starts_with("'s") || {
        let next: String = rest.trim_start().chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        rest.starts_with(' ') && EN_EPONYM_NEXT.contains(&next.to_ascii_lowercase().as_str())
    }
}

/// Person names in `folded` (the width-folded text): byte ranges in `folded` and a confidence,
/// sorted and without overlaps. Honorifics, titles and labels are outside the ranges.
pub(crate) fn find_names(text: &str, folded: &str) -> Vec<(usize, usize, f32)> {
    debug_assert_eq!(text.chars().count(), folded.chars().count());
    let t = Text::new(folded);
    let mut found = Vec::new();
    japanese(&t, folded, &mut found);
    english(&t, folded, &mut found);
    found.retain(|f| f.end > f.start);
    let mut more = Vec::new();
    propagate(&t, folded, &found, &mut more);
    found.extend(more);
    // Overlaps: the longer span wins, then the more confident one.
    found.sort_by(|a, b| {
        (b.end - b.start).cmp(&(a.end - a.start)).then(b.conf.total_cmp(&a.conf)).then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Found> = Vec::new();
    for f in found {
        if kept.iter().all(|k| f.end <= k.start || f.start >= k.end) {
            kept.push(f);
        }
    }
    kept.sort_by_key(|f| f.start);
    for f in &mut kept {
        complete_japanese_name(&t, folded, f);
    }
    kept.into_iter().map(|f| (t.bs[f.start], t.bs[f.end], f.conf)).collect()
}

/// Words that sit right before a name as its label or role, never part of it.
const JA_ROLE_WORDS: &[&str] = &[
    "患者",
    "本人",
    "氏名",
    "主治医",
    "担当医",
    "担当",
    "医師",
    "看護師",
    "紹介医",
    "院長",
    "先生",
    "家族",
    "同席",
    "面会",
    "連絡",
    "記載",
    "報告",
    "依頼",
    "当院",
    "当科",
    "他院",
    "病院",
];

/// A name found by one half completes to the whole when the other half is right beside it:
/// 患者 内閣 花子 様 (a given name found, an unknown surname before it) and 主治医 厚生 一郎 先生
/// (a surname found by its context, an unknown given name before the honorific). Leaving half
/// of a name is a leak, so the neighbouring 1–3 kanji join the span when an honorific closes it.
fn complete_japanese_name(t: &Text, folded: &str, f: &mut Found) {
    let all_kanji = |a: usize, b: usize| a < b && t.cs[a..b].iter().all(|&c| is_kanji(c));
    if !all_kanji(f.start, f.end) || f.surname_end != f.end {
        return;
    }
    let is_role = |a: usize, b: usize| {
        let w = t.slice(a, b);
        JA_ROLE_WORDS.contains(&w.as_str()) || JA_FAMILY.contains(&w.as_str()) || NOT_NAMES.contains(&w.as_str())
    };
    let closed = t.honorific_at(f.end).is_some();
    // Before: [start | space | punctuation] KANJI{1,3} [space] NAME honorific.
    let gap = usize::from(f.start > 0 && t.at(f.start - 1) == Some(' '));
    let run_end = f.start - gap;
    let run_start = (run_end.saturating_sub(3)..run_end).find(|&a| all_kanji(a, run_end)).unwrap_or(run_end);
    let boundary = run_start == 0 || t.at(run_start - 1).is_some_and(|c| !is_kanji(c) && !is_kana(c));
    let given_alone = ja_given_at(t, f.start) == Some(f.end);
    if closed
        && given_alone
        && run_start < run_end
        && boundary
        && !is_role(run_start, run_end)
        && !ends_context(folded, t, run_start)
    {
        f.start = run_start;
        return;
    }
    // After: NAME [space] KANJI{1,3} [space] honorific.
    let from = f.end + usize::from(t.at(f.end) == Some(' '));
    if closed && from == f.end {
        return; // the honorific is right there: nothing between
    }
    let to = (from + 1..=(from + 3).min(t.cs.len())).rev().find(|&b| all_kanji(from, b) && t.honorific_at(b).is_some());
    if let Some(to) = to
        && t.honorific_at(from).is_none()
        && !is_role(from, to)
    {
        f.end = to;
        f.surname_end = from;
    }
}

/// Whether a left-context label (患者氏名：, 主治医…) covers the kanji at `p`.
fn ends_context(folded: &str, t: &Text, p: usize) -> bool {
    patterns().is_some_and(|pats| {
        pats.ja_left.find_iter(folded).any(|m| t.char_of_byte(m.start()) <= p && t.char_of_byte(m.end()) > p)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn half_found_names_complete_to_the_whole_name() {
        has("患者 内閣 花子 様（2003-02-14生）", &["内閣 花子"]);
        has("主治医 厚生 一郎 先生。", &["厚生 一郎"]);
        none("経過良好。");
        // The role word stays outside the name.
        let got = names("主治医 花子先生");
        assert!(got.iter().all(|g| !g.contains("主治医")), "{got:?}");
    }

    #[test]
    fn context_patterns_compile() {
        assert!(super::patterns().is_some(), "a name context pattern does not compile");
    }

    use super::*;

    fn fold(text: &str) -> String {
        text.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                _ => c,
            })
            .collect()
    }

    fn names(text: &str) -> Vec<String> {
        let folded = fold(text);
        find_names(text, &folded).into_iter().map(|(s, e, _)| folded[s..e].to_string()).collect()
    }

    fn has(text: &str, want: &[&str]) {
        let got = names(text);
        for w in want {
            assert!(got.iter().any(|g| g == w), "{w:?} not found in {text:?}: {got:?}");
        }
    }

    fn none(text: &str) {
        let got = names(text);
        assert!(got.is_empty(), "{text:?}: {got:?}");
    }

    #[test]
    fn lexicons_load() {
        let l = lexicon();
        assert!(l.ja_surnames.contains("佐藤") && l.ja_given.contains("花子"));
        assert!(l.ja_surname_readings.contains("サトウ") && l.ja_given_readings.contains("ハナコ"));
        assert!(l.en_given.contains("Mary") && l.en_surnames.contains("Smith"));
    }

    #[test]
    fn japanese_labels_and_honorifics() {
        has("担当医：森本 健太\n記録者：大野", &["森本 健太", "大野"]);
        has("本日、前川美咲さんが来院。", &["前川美咲"]);
        has("紹介元　松井　浩二　先生　御侍史", &["松井 浩二"]);
        has("キーパーソン：長女（坂口 由美）", &["坂口 由美"]);
        has("面談に夫 久保田誠様が同席", &["久保田誠"]);
        has("Dr.西田より申し送り", &["西田"]);
    }

    #[test]
    fn honorific_outside_the_span() {
        assert_eq!(names("岩崎様に説明"), vec!["岩崎"]);
        assert_eq!(names("堀先生に相談"), vec!["堀"]);
    }

    #[test]
    fn readings_in_every_script() {
        has("氏名：ヨシダ ケンタ", &["ヨシダ ケンタ"]);
        has("（ふりがな：よしだ けんた）", &["よしだ けんた"]);
        has("受付票 ﾖｼﾀﾞ ｹﾝﾀ 様", &["ﾖｼﾀﾞ ｹﾝﾀ"]);
        has("パスポート氏名：YOSHIDA KENTA", &["YOSHIDA KENTA"]);
    }

    #[test]
    fn later_mentions_follow_the_first() {
        has("患者：森 花子\n06:00 森、ナースコールあり", &["森 花子", "森"]);
    }

    #[test]
    fn japanese_look_alikes() {
        none("右下葉にすりガラス様陰影と結節様構造を認める。");
        none("患者様とご家族様、奥様へ説明した。");
        none("橋本病で通院中。川崎病の既往あり。");
        none("森林浴を好む。関節痛の原因は不明。");
        none("田中町の自宅へ退院予定。");
        none("母は高血圧、父は糖尿病。");
    }

    #[test]
    fn english_names() {
        has("Patient: Laura Bennett  MRN: 1234", &["Laura Bennett"]);
        has("Electronically signed by Gregory Hale, MD", &["Gregory Hale"]);
        has("Referred by Dr. Okafor for review.", &["Okafor"]);
        has("Name: HOLLAND, MARIE\nDOB", &["HOLLAND, MARIE"]);
        has("Spoke with his wife, Janet Pruitt, by phone.", &["Janet Pruitt"]);
        has("Seen today with Dennis Crawford present.", &["Dennis Crawford"]);
    }

    #[test]
    fn japanese_names_without_labels() {
        has("記載者　佐野\n", &["佐野"]);
        has("回診：Dr 鈴木/田中、Ns 松本", &["鈴木", "田中", "松本"]);
        has("術者：久保　助手：菅野、宮崎", &["久保", "菅野", "宮崎"]);
        assert!(!names("術者：久保　助手：菅野").iter().any(|n| n.contains("助手")));
        has("朝には翔太くん解熱。長男の健二さんが面会。", &["翔太", "健二"]);
        has("孫 悠真君", &["悠真"]);
        has("妻 恵美（70歳）", &["恵美"]);
        has("妻の高橋 恵子様面会", &["高橋 恵子"]);
        has("本日、長女森田 久美子さんが来院", &["森田 久美子"]);
        has("利用者 佐々木 トメ様", &["佐々木 トメ"]);
        has("やまもと はるかさん（5歳）", &["やまもと はるか"]);
        has("菊地の妻より電話あり", &["菊地"]);
        has("当院 後藤（PT）", &["後藤"]);
    }

    #[test]
    fn english_initials_and_contexts() {
        has("J. Patel, MD", &["J. Patel"]);
        has("主治医 T. Yamada と同姓", &["T. Yamada"]);
        has("Niece Barbara Collins notified.", &["Barbara Collins"]);
        has("HPI: Kevin is a 34 yo runner", &["Kevin"]);
        has("SW Tina, pharmacist Jenna and sitter Amber", &["Tina", "Jenna", "Amber"]);
        none("T 102 F. Right lower lobe infiltrate.");
    }

    #[test]
    fn english_look_alikes() {
        none("History of Parkinson's disease and Graves disease; Foley catheter placed.");
        none("Murphy's sign negative. Whipple procedure in 2019.");
        none("Will follow up in two weeks. May need imaging.");
        none("Chest Pain Protocol initiated in the Emergency Department.");
    }

    #[test]
    fn ranges_are_char_boundaries() {
        let text = "𠮷田 太郎様と Mr. Kim";
        let folded = fold(text);
        for (s, e, c) in find_names(text, &folded) {
            assert!(folded.is_char_boundary(s) && folded.is_char_boundary(e) && c > 0.0 && c <= 1.0);
        }
    }
}
