//! The linker: tokens from N sources → links with reasons → person clusters.
//!
//! 1. **Blocking**: records that share an exact token (ID1/ID2/ID4), a blocking signature, or an
//!    identical field filter become candidate pairs; blocks larger than
//!    [`LinkOptions::max_block`] are skipped and counted (they carry no information and would make
//!    the work quadratic).
//! 2. **Comparison**: per field, a level from token agreement and the Dice similarity of the
//!    filters (exact, close, given name only, … see [`Comparison::levels`]).
//! 3. **Fellegi–Sunter with EM**: m and u probabilities of each level and the share of matches
//!    are estimated by expectation–maximisation on the candidate pairs themselves (as Splink
//!    does), so no labelled data is needed and the weights fit each project's data.
//! 4. **Calibrated threshold**: the EM posterior is over-confident when fields are correlated, so
//!    the cut-off is chosen where the model's *expected* F1 over all candidate pairs is highest,
//!    not at a fixed weight (docs/linkage.md).
//! 5. **One-to-one and clustering**: links are taken best first; a link is refused when it would
//!    put two records of one source into one person unless the link itself is between those two
//!    records (a duplicate registration), so namesakes cannot chain clusters together.

use std::collections::HashMap;

use super::tokens::{Field, Tokens};

/// One data holder's tokens.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    /// (record id, tokens).
    pub records: Vec<(String, Tokens)>,
}

/// Linker settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkOptions {
    /// Blocks with more records than this are skipped (counted in [`Stats::skipped_blocks`]).
    pub max_block: usize,
    /// A fixed match-probability cut-off instead of the calibrated one.
    pub threshold: Option<f64>,
    pub em_iterations: usize,
    /// Record pairs sampled (deterministically) to estimate the u probabilities.
    pub random_pairs: usize,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions { max_block: 500, threshold: None, em_iterations: 100, random_pairs: 1_000_000 }
    }
}

/// A compared field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// Written name and reading together (they are two spellings of one fact: counting both
    /// would count one agreement twice).
    Name,
    Birth,
    Address,
    Insurance,
    Other,
}

impl Comparison {
    pub const ALL: [Comparison; 5] =
        [Comparison::Name, Comparison::Birth, Comparison::Address, Comparison::Insurance, Comparison::Other];

    pub fn label(self) -> &'static str {
        match self {
            Comparison::Name => "name",
            Comparison::Birth => "birth",
            Comparison::Address => "address",
            Comparison::Insurance => "insurance",
            Comparison::Other => "other_id",
        }
    }

    /// The names of the levels, best agreement first.
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Comparison::Name => &[
                "exact",
                "one spelling exact",
                "close",
                "same given name only",
                "other given name",
                "similar",
                "different",
            ],
            Comparison::Birth => {
                &["exact", "sex differs", "year differs", "day differs or swapped", "month differs", "different"]
            }
            Comparison::Address => &["exact", "close", "similar", "partly similar", "different"],
            Comparison::Insurance => &["exact", "branch differs", "partly same", "same insurer", "different"],
            Comparison::Other => &["exact", "close", "similar", "different"],
        }
    }

    /// The level of a record pair, `None` when either record lacks the field.
    fn level(self, a: &Tokens, b: &Tokens) -> Option<u8> {
        let dice = |f: Field| a.filter(f).zip(b.filter(f)).map(|(x, y)| x.dice(y));
        match self {
            Comparison::Name => {
                let (written, reading) = (dice(Field::Name), dice(Field::Kana));
                written.or(reading)?;
                // Fast path (most pairs): names that share almost nothing need no part-wise look.
                if [written, reading].iter().flatten().all(|d| *d < 0.25) {
                    return Some(NAME_DIFFERENT);
                }
                let written = NameDice { full: written, family: dice(Field::Family), given: dice(Field::Given) };
                let reading =
                    NameDice { full: reading, family: dice(Field::KanaFamily), given: dice(Field::KanaGiven) };
                name_level(&written, &reading)
            }
            Comparison::Birth => Some(bin(dice(Field::Birth)?, &[0.999, 0.8, 0.5, 0.38, 0.28])),
            Comparison::Address => Some(bin(dice(Field::Address)?, &[0.95, 0.85, 0.7, 0.55])),
            Comparison::Insurance => Some(bin(dice(Field::Insurance)?, &[0.999, 0.8, 0.55, 0.3])),
            Comparison::Other => Some(bin(dice(Field::Other)?, &[0.999, 0.8, 0.6])),
        }
    }
}

/// The first bin whose lower edge the value reaches; past the last edge, the last level.
fn bin(value: f64, edges: &[f64]) -> u8 {
    edges.iter().position(|&e| value >= e).unwrap_or(edges.len()) as u8
}

/// Dice similarities of one spelling of a name (written or reading) and of its parts.
struct NameDice {
    full: Option<f64>,
    family: Option<f64>,
    given: Option<f64>,
}

impl NameDice {
    fn exact(&self) -> bool {
        self.full.is_some_and(|d| d >= 0.999)
    }
    fn at_least(&self, t: f64) -> bool {
        self.full.is_some_and(|d| d >= t)
    }
    /// With both parts in both records: (given agrees but family does not — marriage;
    /// given clearly differs while the family name is close — a sibling, above all a twin).
    fn parts(&self) -> Option<(bool, bool)> {
        match (self.family, self.given) {
            (Some(f), Some(g)) => Some((g >= 0.999 && f < 0.5, g < 0.5 && f >= 0.75)),
            _ => None,
        }
    }
}

/// One level from both spellings: `None` only when neither spelling is in both records.
fn name_level(written: &NameDice, reading: &NameDice) -> Option<u8> {
    written.full.or(reading.full)?;
    let both = |f: &dyn Fn(&NameDice) -> bool| [written, reading].iter().all(|n| n.full.is_none() || f(n));
    let any = |f: &dyn Fn(&NameDice) -> bool| [written, reading].iter().any(|n| f(n));
    if both(&|n| n.exact()) {
        return Some(0);
    }
    if any(&|n| n.exact()) && both(&|n| n.at_least(0.5)) {
        return Some(1);
    }
    if both(&|n| n.at_least(0.75)) {
        return Some(2);
    }
    let parts: Vec<(bool, bool)> = [written, reading].iter().filter_map(|n| n.parts()).collect();
    if parts.iter().any(|p| p.0) {
        return Some(3);
    }
    if !parts.is_empty() && parts.iter().all(|p| p.1) {
        return Some(OTHER_GIVEN_NAME);
    }
    Some(if any(&|n| n.at_least(0.5)) { 5 } else { NAME_DIFFERENT })
}

const MISSING: u8 = u8::MAX;
/// The name level "other given name": the family name agrees and the given name clearly
/// differs in every spelling that has both parts (twins and siblings, or a replaced given name).
const OTHER_GIVEN_NAME: u8 = 4;
const NAME_DIFFERENT: u8 = 6;
const N: usize = Comparison::ALL.len();
type Pattern = [u8; N];

/// m and u probabilities per comparison level, and the share of matches among all record pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    pub lambda: f64,
    pub iterations: usize,
}

impl Model {
    /// The starting point of EM: matches almost always agree exactly (m of the first level
    /// 0.9, each further level ten times less likely), non-matches are spread evenly. Starting
    /// near "disagreement is rare among matches" matters: from a flat start, EM can settle on
    /// the fixed point where look-alikes (twins, namesakes) are the matches with errors.
    fn initial() -> Self {
        let m = Comparison::ALL
            .iter()
            .map(|c| {
                let n = c.levels().len();
                let rest: Vec<f64> = (1..n).map(|l| 0.1f64.powi(l as i32)).collect();
                let s: f64 = rest.iter().sum();
                std::iter::once(0.9).chain(rest.into_iter().map(|x| 0.1 * x / s)).collect()
            })
            .collect();
        let u = Comparison::ALL.iter().map(|c| vec![1.0 / c.levels().len() as f64; c.levels().len()]).collect();
        Model { m, u, lambda: 0.1, iterations: 0 }
    }

    /// log2 m/u of one comparison level.
    pub fn weight(&self, comparison: usize, level: u8) -> f64 {
        (self.m[comparison][level as usize] / self.u[comparison][level as usize]).log2()
    }

    fn total_weight(&self, p: &Pattern) -> f64 {
        let prior = (self.lambda / (1.0 - self.lambda)).log2();
        prior + p.iter().enumerate().filter(|(_, l)| **l != MISSING).map(|(c, l)| self.weight(c, *l)).sum::<f64>()
    }

    /// Splink's recipe over *all* pairs: u from the random pairs (almost all non-matches),
    /// fixed; m and the share of matches among all pairs by EM over the candidates, assuming
    /// every match is a candidate (blocking recall is measured in the tests). The dependence
    /// this misses — twins and siblings agree on birth date, address and insurer at once — is
    /// corrected afterwards by the look-alike calibration ([`lookalike_caps`]); estimating u by
    /// EM on the candidates instead was tried and converges to "same household = match".
    fn fit(patterns: &[(Pattern, u32)], random: &[Pattern], all_pairs: f64, iterations: usize) -> Self {
        let mut model = Model::initial();
        let mut u_acc: Vec<Vec<f64>> = model.u.iter().map(|v| vec![1.0; v.len()]).collect();
        for p in random {
            for (c, &l) in p.iter().enumerate().filter(|(_, l)| **l != MISSING) {
                u_acc[c][l as usize] += 1.0;
            }
        }
        model.u = normalize_rows(u_acc);
        let candidates: f64 = patterns.iter().map(|(_, n)| f64::from(*n)).sum();
        model.lambda = (candidates / all_pairs.max(1.0) / 2.0).clamp(1e-12, 0.5);
        for it in 0..iterations {
            let (m, matches) = model.expectation(patterns);
            let lambda = (matches / all_pairs.max(1.0)).clamp(1e-12, 1.0 - 1e-6);
            let change = model.update(m, lambda);
            model.iterations = it + 1;
            if change < 1e-9 {
                break;
            }
        }
        model
    }

    /// E-step: expected level counts among matches, and expected matches.
    fn expectation(&self, patterns: &[(Pattern, u32)]) -> (Vec<Vec<f64>>, f64) {
        let mut m_acc: Vec<Vec<f64>> = self.m.iter().map(|v| vec![1e-3; v.len()]).collect();
        let mut matches = 0.0;
        for (p, count) in patterns {
            let post = 1.0 / (1.0 + (-self.total_weight(p)).exp2());
            let n = f64::from(*count);
            matches += post * n;
            for (c, &l) in p.iter().enumerate().filter(|(_, l)| **l != MISSING) {
                m_acc[c][l as usize] += post * n;
            }
        }
        (m_acc, matches)
    }

    /// M-step; returns how much the parameters moved.
    fn update(&mut self, m: Vec<Vec<f64>>, lambda: f64) -> f64 {
        let m = normalize_rows(m);
        let change = (lambda - self.lambda).abs()
            + m.iter().flatten().zip(self.m.iter().flatten()).map(|(a, b)| (a - b).abs()).sum::<f64>();
        self.m = m;
        self.lambda = lambda;
        change
    }
}

fn normalize_rows(v: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    v.into_iter()
        .map(|row| {
            let s: f64 = row.iter().sum();
            row.into_iter().map(|x| x / s).collect()
        })
        .collect()
}

/// A record: (source index, record index within the source).
pub type RecordRef = (usize, usize);

/// An accepted link and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub a: RecordRef,
    pub b: RecordRef,
    /// Total match weight (log2 Bayes factor plus prior).
    pub weight: f64,
    pub probability: f64,
    /// Per comparison: level (`None` = missing in one record) and its weight.
    pub fields: Vec<(Comparison, Option<u8>, f64)>,
}

impl Link {
    /// `name=exact(+6.1) kana=close(+3.0) birth=exact(+9.9) address=different(-3.2)`.
    pub fn explain(&self) -> String {
        self.fields
            .iter()
            .filter_map(|(c, l, w)| l.map(|l| format!("{}={}({w:+.1})", c.label(), c.levels()[l as usize])))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Counts for the processing report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub records: usize,
    pub candidate_pairs: usize,
    pub skipped_blocks: usize,
    pub pairs_above_threshold: usize,
    pub refused_one_to_one: usize,
    pub links: usize,
    pub clusters: usize,
}

/// The result: a cluster (person) number for every record, the links, the model.
#[derive(Debug, Clone)]
pub struct Linkage {
    /// `clusters[source][record]` = person number (0-based, dense).
    pub clusters: Vec<Vec<usize>>,
    pub links: Vec<Link>,
    pub model: Model,
    /// The match-probability cut-off used.
    pub threshold: f64,
    pub stats: Stats,
}

/// Candidate pairs scored by the model, before the one-to-one step.
struct Scored<'a> {
    records: Vec<(RecordRef, &'a Tokens)>,
    /// (i, j, levels, weight, calibrated probability).
    pairs: Vec<(u32, u32, Pattern, f64, f64)>,
    model: Model,
    threshold: f64,
    stats: Stats,
}

fn score<'a>(sources: &'a [Source], options: &LinkOptions) -> Scored<'a> {
    let records: Vec<(RecordRef, &Tokens)> = sources
        .iter()
        .enumerate()
        .flat_map(|(s, src)| src.records.iter().enumerate().map(move |(r, (_, t))| ((s, r), t)))
        .collect();
    let mut stats = Stats { records: records.len(), ..Stats::default() };
    let (pairs, skipped) = candidate_pairs(&records, options.max_block);
    stats.candidate_pairs = pairs.len();
    stats.skipped_blocks = skipped;
    let pattern = |i: usize, j: usize| {
        let (a, b) = (records[i].1, records[j].1);
        let mut p = [MISSING; N];
        for (k, c) in Comparison::ALL.iter().enumerate() {
            p[k] = c.level(a, b).unwrap_or(MISSING);
        }
        p
    };
    let pairs: Vec<(u32, u32, Pattern)> = pairs.iter().map(|&(i, j)| (i, j, pattern(i as usize, j as usize))).collect();
    let random: Vec<Pattern> = random_pairs(records.len(), options.random_pairs).map(|(i, j)| pattern(i, j)).collect();
    let n = records.len() as f64;
    let model =
        Model::fit(&count_patterns(pairs.iter().map(|p| p.2)), &random, n * (n - 1.0) / 2.0, options.em_iterations);
    let same_source = |i: u32, j: u32| records[i as usize].0.0 == records[j as usize].0.0;
    let caps = lookalike_caps(sources, pairs.iter().map(|&(i, j, p)| (same_source(i, j), p)));
    let pairs: Vec<(u32, u32, Pattern, f64, f64)> = pairs
        .into_iter()
        .map(|(i, j, p)| {
            let w = model.total_weight(&p);
            let prob = (1.0 / (1.0 + (-w).exp2())).min(caps.get(&Stratum::of(&p)).copied().unwrap_or(1.0));
            (i, j, p, w, prob)
        })
        .collect();
    let threshold = options.threshold.unwrap_or_else(|| calibrated_threshold(pairs.iter().map(|p| p.4)));
    Scored { records, pairs, model, threshold, stats }
}

/// A coarse class of comparison patterns: name level, birth level, and whether the context
/// fields (address, insurance, other id) agree, disagree or are missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Stratum(u8, u8, u8);

impl Stratum {
    fn of(p: &Pattern) -> Self {
        let context: Vec<u8> = p[2..].iter().copied().filter(|l| *l != MISSING).collect();
        let class = if context.is_empty() {
            2
        } else if context.iter().any(|l| *l <= 1) {
            0
        } else {
            1
        };
        Stratum(p[0], p[1], class)
    }
}

/// Look-alike calibration. Pairs *within* one source are, but for rare duplicate
/// registrations, different people, and the blocking brings them in for the same reasons as it
/// brings cross-source look-alikes: twins (same family name, birth date, address and insurer),
/// namesakes born the same day. So the within-source candidates of each [`Stratum`], scaled by
/// how many more cross-source than within-source record pairs there are, estimate how many of
/// the cross-source candidates of that stratum are look-alikes; the share that can be matches
/// caps the model's probability (of within-source pairs too: a twin in the same register is
/// no duplicate registration). Where the data has no look-alikes of a kind (FEBRL's files
/// hold no twins), nothing changes; where it does (twins in Japanese registers), the
/// independence model's confidence is brought down to what the data supports.
fn lookalike_caps(sources: &[Source], pairs: impl Iterator<Item = (bool, Pattern)>) -> HashMap<Stratum, f64> {
    let sizes: Vec<f64> = sources.iter().map(|s| s.records.len() as f64).collect();
    let total: f64 = sizes.iter().sum();
    let within: f64 = sizes.iter().map(|n| n * (n - 1.0) / 2.0).sum();
    let cross = (total * total - sizes.iter().map(|n| n * n).sum::<f64>()) / 2.0;
    let mut counts: HashMap<Stratum, (f64, f64)> = HashMap::new();
    for (same, p) in pairs {
        let c = counts.entry(Stratum::of(&p)).or_default();
        if same { c.0 += 1.0 } else { c.1 += 1.0 }
    }
    if within <= 0.0 {
        return HashMap::new();
    }
    counts
        .into_iter()
        .map(|(stratum, (w, x))| {
            let expected_lookalikes = w * cross / within;
            (stratum, (1.0 - expected_lookalikes / (x + 1.0)).clamp(0.0, 1.0))
        })
        .collect()
}

fn count_patterns(patterns: impl Iterator<Item = Pattern>) -> Vec<(Pattern, u32)> {
    let mut counts: HashMap<Pattern, u32> = HashMap::new();
    for p in patterns {
        *counts.entry(p).or_default() += 1;
    }
    let mut out: Vec<(Pattern, u32)> = counts.into_iter().collect();
    out.sort_unstable();
    out
}

/// About `n` record pairs for estimating u: every pair among a sample of √(2n) records drawn by
/// a fixed linear congruential sequence (deterministic: no random source in the SDK). All
/// pairs of a small sample rather than `n` scattered pairs, so the sample's filters stay in the
/// CPU cache: ten times faster at the same number of pairs.
fn random_pairs(records: usize, n: usize) -> impl Iterator<Item = (usize, usize)> {
    let size = (((2 * n) as f64).sqrt().ceil() as usize).min(records);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut order: Vec<usize> = (0..records).collect();
    for k in 0..size {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let pick = k + ((state >> 33) as usize) % (records - k);
        order.swap(k, pick);
    }
    order.truncate(size);
    order.sort_unstable();
    let order: std::rc::Rc<[usize]> = order.into();
    (0..size).flat_map(move |x| {
        let order = std::rc::Rc::clone(&order);
        (x + 1..size).map(move |y| (order[x], order[y]))
    })
}

/// Every candidate pair with its weight and reasons, most probable first (for clerical review
/// of the pairs near the cut-off); the model and cut-off are those [`link`] uses.
pub fn candidates(sources: &[Source], options: &LinkOptions) -> (Vec<Link>, Model, f64) {
    let scored = score(sources, options);
    let mut out: Vec<Link> = scored
        .pairs
        .iter()
        .map(|&(i, j, p, w, prob)| {
            make_link(&scored.model, scored.records[i as usize].0, scored.records[j as usize].0, &p, w, prob)
        })
        .collect();
    out.sort_by(|a, b| b.probability.total_cmp(&a.probability).then(b.weight.total_cmp(&a.weight)));
    (out, scored.model, scored.threshold)
}

fn make_link(model: &Model, a: RecordRef, b: RecordRef, p: &Pattern, weight: f64, probability: f64) -> Link {
    let fields = Comparison::ALL
        .iter()
        .enumerate()
        .map(|(c, comp)| {
            let l = (p[c] != MISSING).then_some(p[c]);
            (*comp, l, l.map(|l| model.weight(c, l)).unwrap_or(0.0))
        })
        .collect();
    Link { a, b, weight, probability, fields }
}

/// Links the sources' records into persons.
pub fn link(sources: &[Source], options: &LinkOptions) -> Linkage {
    let Scored { records, pairs, model, threshold, mut stats } = score(sources, options);
    let mut kept: Vec<(u32, u32, Pattern, f64, f64)> = pairs.into_iter().filter(|p| p.4 >= threshold).collect();
    stats.pairs_above_threshold = kept.len();
    kept.sort_by(|a, b| b.4.total_cmp(&a.4).then(b.3.total_cmp(&a.3)).then((a.0, a.1).cmp(&(b.0, b.1))));
    let mut clusters = Clusters::new(&records, sources.len());
    let mut links = Vec::new();
    for (i, j, p, w, prob) in kept {
        let ((ra, _), (rb, _)) = (records[i as usize], records[j as usize]);
        if !clusters.merge(i as usize, j as usize, ra.0 == rb.0) {
            stats.refused_one_to_one += 1;
            continue;
        }
        links.push(make_link(&model, ra, rb, &p, w, prob));
    }
    stats.links = links.len();
    let (assignment, count) = clusters.numbering();
    stats.clusters = count;
    let mut per_source: Vec<Vec<usize>> = sources.iter().map(|s| vec![0; s.records.len()]).collect();
    for (idx, ((s, r), _)) in records.iter().enumerate() {
        per_source[*s][*r] = assignment[idx];
    }
    Linkage { clusters: per_source, links, model, threshold, stats }
}

/// Pairs (i < j) that share at least one blocking key; the number of blocks skipped as too large.
fn candidate_pairs(records: &[(RecordRef, &Tokens)], max_block: usize) -> (Vec<(u32, u32)>, usize) {
    let mut blocks: HashMap<u64, Vec<u32>> = HashMap::new();
    for (idx, (_, t)) in records.iter().enumerate() {
        for key in blocking_keys(t) {
            blocks.entry(key).or_default().push(idx as u32);
        }
    }
    let mut pairs: Vec<u64> = Vec::new();
    let mut skipped = 0;
    for members in blocks.values_mut() {
        if members.len() > max_block {
            skipped += 1;
            continue;
        }
        members.sort_unstable();
        members.dedup();
        for (x, &i) in members.iter().enumerate() {
            pairs.extend(members[x + 1..].iter().map(|&j| (u64::from(i) << 32) | u64::from(j)));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    (pairs.into_iter().map(|p| ((p >> 32) as u32, p as u32)).collect(), skipped)
}

/// Every key a record is blocked on: its signatures, its exact tokens, its whole field filters.
fn blocking_keys(t: &Tokens) -> Vec<u64> {
    let mut keys = t.blocks.clone();
    for (tag, id) in [(1u64, &t.id1), (2, &t.id2), (4, &t.id4)] {
        if let Some(id) = id {
            keys.push(fold(
                tag,
                id.chunks_exact(8).map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])),
            ));
        }
    }
    for f in [Field::Birth, Field::Other] {
        if let Some(bloom) = t.filter(f) {
            keys.push(fold(100 + f as u64, bloom.words().iter().copied()));
        }
    }
    keys
}

/// A 64-bit mix of a tag and words (FNV-style with a multiply-xorshift finaliser); collisions
/// only add candidate pairs, which the comparison then rejects.
fn fold(tag: u64, words: impl Iterator<Item = u64>) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ tag.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for w in words {
        h = (h ^ w).wrapping_mul(0x100_0000_01b3);
        h ^= h >> 29;
    }
    h ^= h >> 32;
    h.wrapping_mul(0xd6e8_feb8_6659_fd93)
}

/// The cut-off (match probability) that maximises the expected F1 of the candidate pairs under
/// the calibrated probabilities: pairs sorted by probability, the expected true positives above
/// a cut-off are the sum of the probabilities above it.
fn calibrated_threshold(probabilities: impl Iterator<Item = f64>) -> f64 {
    let mut p: Vec<f64> = probabilities.collect();
    p.sort_by(|a, b| b.total_cmp(a));
    let expected_matches: f64 = p.iter().sum();
    let (mut tp, mut best, mut cut) = (0.0, 0.0, 0.5);
    for (k, prob) in p.iter().enumerate() {
        tp += prob;
        let f1 = 2.0 * tp / ((k + 1) as f64 + expected_matches);
        if f1 > best {
            best = f1;
            cut = *prob;
        }
    }
    cut.clamp(1e-6, 1.0 - 1e-9)
}

/// Union–find with one record per source per person (duplicates inside a source only by a
/// direct link between them).
struct Clusters {
    parent: Vec<usize>,
    /// Per root: how many records of each source.
    sources: Vec<Vec<u16>>,
}

impl Clusters {
    fn new(records: &[(RecordRef, &Tokens)], n_sources: usize) -> Self {
        let sources = records
            .iter()
            .map(|((s, _), _)| {
                let mut v = vec![0u16; n_sources];
                v[*s] = 1;
                v
            })
            .collect();
        Clusters { parent: (0..records.len()).collect(), sources }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Merges the clusters of `i` and `j` unless that would join two records of one source
    /// without a direct link between them. Returns whether the link is kept (also when the two
    /// are already in one person through other links).
    fn merge(&mut self, i: usize, j: usize, same_source: bool) -> bool {
        let (a, b) = (self.root(i), self.root(j));
        if a == b {
            return true;
        }
        let conflict = self.sources[a].iter().zip(&self.sources[b]).filter(|(x, y)| **x > 0 && **y > 0).count();
        if conflict > usize::from(same_source) {
            return false;
        }
        let add: Vec<u16> = self.sources[b].clone();
        for (x, y) in self.sources[a].iter_mut().zip(add) {
            *x += y;
        }
        self.parent[b] = a;
        true
    }

    /// Dense cluster numbers in record order, and how many.
    fn numbering(&mut self) -> (Vec<usize>, usize) {
        let mut ids: HashMap<usize, usize> = HashMap::new();
        let mut out = Vec::with_capacity(self.parent.len());
        for i in 0..self.parent.len() {
            let r = self.root(i);
            let next = ids.len();
            out.push(*ids.entry(r).or_insert(next));
        }
        (out, ids.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_take_the_first_edge_reached() {
        assert_eq!(bin(1.0, &[0.999, 0.8]), 0);
        assert_eq!(bin(0.85, &[0.999, 0.8]), 1);
        assert_eq!(bin(0.1, &[0.999, 0.8]), 2);
    }

    #[test]
    fn sampled_pairs_are_deterministic_distinct_and_in_range() {
        let a: Vec<(usize, usize)> = random_pairs(1000, 5000).collect();
        let b: Vec<(usize, usize)> = random_pairs(1000, 5000).collect();
        assert_eq!(a, b);
        assert!(a.len() > 4500 && a.iter().all(|&(i, j)| i < j && j < 1000));
        assert_eq!(random_pairs(1, 100).count(), 0);
    }

    #[test]
    fn one_record_per_source_per_person_unless_linked_directly() {
        let t = Tokens::default();
        let records: Vec<(RecordRef, &Tokens)> = vec![((0, 0), &t), ((1, 0), &t), ((0, 1), &t)];
        let mut c = Clusters::new(&records, 2);
        assert!(c.merge(0, 1, false));
        assert!(!c.merge(2, 1, false), "a second source-0 record joins only by its own link");
        assert!(c.merge(2, 0, true), "a duplicate registration links directly");
        assert_eq!(c.numbering().1, 1);
    }

    #[test]
    fn the_cut_off_maximises_expected_f1() {
        let p = [0.99, 0.98, 0.97, 0.6, 0.1, 0.05, 0.01];
        let cut = calibrated_threshold(p.iter().copied());
        assert!((0.6..=0.97).contains(&cut), "{cut}");
        assert!(calibrated_threshold([0.99, 0.01, 0.01].into_iter()) >= 0.99);
    }

    #[test]
    fn twins_names_are_told_from_spelling_variants() {
        let d = |full, family, given| NameDice { full: Some(full), family: Some(family), given: Some(given) };
        assert_eq!(name_level(&d(1.0, 1.0, 1.0), &d(1.0, 1.0, 1.0)), Some(0));
        assert_eq!(name_level(&d(0.6, 1.0, 0.1), &d(0.55, 1.0, 0.2)), Some(OTHER_GIVEN_NAME));
        assert_eq!(name_level(&d(0.5, 0.1, 1.0), &d(0.5, 0.2, 1.0)), Some(3));
        assert_eq!(name_level(&d(0.8, 0.9, 0.7), &d(1.0, 1.0, 1.0)), Some(1));
    }
}
