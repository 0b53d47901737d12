//! The optimal full-domain generalization search over the lattice of hierarchy levels.
//!
//! A *node* picks one level per quasi-identifier; the lattice orders nodes by "more general in
//! every attribute". For each node the engine groups records into equivalence classes, suppresses
//! the classes that fail a privacy model (k-anonymity, l-diversity, t-closeness) and accepts the
//! node if the suppressed records fit the suppression limit. Among accepted nodes it returns the
//! one with the least information loss.
//!
//! **How it is fast without giving up optimality.**
//! - *Cells, not rows.* Records are packed once into 128-bit keys (each quasi-identifier's code
//!   in its own bit field, sensitive codes above them) and counted: a node works on the distinct
//!   combinations (Adult: 30,162 rows → 13,000 cells), never on rows.
//! - *Roll-up from a child.* The lattice is walked bottom-up, layer by layer (layer = sum of
//!   levels). A node one level above a node of the previous layer gets its classes by mapping
//!   one bit field of the child's (already merged) classes through the hierarchy's parent table
//!   and re-counting — the child has far fewer classes than there are cells, and higher layers
//!   have fewer still.
//! - *Lower-bound pruning.* Precision and Loss have a lower bound that needs no grouping: the
//!   loss the node would have with nothing suppressed (suppressing a record only raises its loss
//!   to 1). Nodes whose bound is not below the best loss found so far are skipped — with their
//!   whole up-set, since bounds grow with generalization — and they are never needed for a
//!   roll-up, because a node's children have lower bounds than it. This replaces ARX's Flash
//!   tagging for non-monotonic metrics and still returns the exact optimum.
//! - *Cell suppression* ([`local`]): with `suppression = "cells"` a node's rejected records lose
//!   only the cells that separate them; a node is accepted if those cells fit the limit counted
//!   in cells, and its loss counts each suppressed cell. Every bound above still holds (each
//!   rejected record costs at least one cell; a suppressed cell only raises the loss).

mod local;

pub use local::LocalSuppression;

use rustc_hash::FxHashMap;

use super::error::AnonError;
use super::hierarchy::CompiledHierarchy;
use super::policy::{LDiversity, LVariant, Metric, Suppression, TCloseness, TDistance};

/// A bit field in the packed key.
#[derive(Debug, Clone, Copy)]
struct Field {
    shift: u32,
    mask: u128,
}

impl Field {
    fn get(&self, key: u128) -> u32 {
        ((key >> self.shift) & self.mask) as u32
    }
    fn set(&self, key: u128, v: u32) -> u128 {
        (key & !(self.mask << self.shift)) | ((v as u128) << self.shift)
    }
}

fn bits_for(n: usize) -> u32 {
    if n <= 1 { 0 } else { usize::BITS - (n - 1).leading_zeros() }
}

/// Distinct keys with their record counts.
#[derive(Debug, Clone, Default)]
pub struct Cells {
    keys: Vec<u128>,
    counts: Vec<u32>,
}

impl Cells {
    fn bytes(&self) -> usize {
        self.keys.len() * 20
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// One quasi-identifier: its compiled hierarchy and each row's original code.
pub struct QuasiInput<'a> {
    pub hierarchy: &'a CompiledHierarchy,
    pub codes: &'a [u32],
}

/// One sensitive column with its models.
pub struct SensitiveInput<'a> {
    pub codes: &'a [u32],
    pub domain: usize,
    pub l: Option<LDiversity>,
    pub t: Option<TCloseness>,
    /// Needed for hierarchical t-closeness (compiled on this column's dictionary).
    pub hierarchy: Option<&'a CompiledHierarchy>,
}

/// What the search is asked to do.
pub struct SearchInput<'a> {
    pub quasi: Vec<QuasiInput<'a>>,
    pub sensitive: Vec<SensitiveInput<'a>>,
    /// Rows that are suppressed whatever the node (values a hierarchy could not place).
    pub forced: &'a [bool],
    pub k: u32,
    pub suppression_limit: f64,
    pub metric: Metric,
    pub suppression: Suppression,
}

struct Sensitive<'a> {
    field: Field,
    l: Option<LDiversity>,
    t: Option<TCloseness>,
    hierarchy: Option<&'a CompiledHierarchy>,
    /// Overall distribution of the column over the releasable rows.
    overall: Vec<f64>,
}

/// The outcome of grouping one node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Eval {
    /// Records in classes that fail a privacy model (not counting forced suppressions).
    pub suppressed: usize,
    /// Equivalence classes released.
    pub classes: usize,
    /// Σ |E|² over released classes.
    pub sum_sq: f64,
    /// Per quasi-identifier, Σ over released records of the Iyengar loss of its cell.
    pub loss_sums: Vec<f64>,
    /// Smallest released class.
    pub min_class: usize,
    /// With cell suppression: what it did (`suppressed` then counts records suppressed whole).
    pub local: Option<LocalSuppression>,
}

/// The chosen node and its figures.
#[derive(Debug, Clone)]
pub struct Solution {
    pub levels: Vec<usize>,
    pub eval: Eval,
    pub loss: f64,
    pub nodes_total: u128,
    pub nodes_evaluated: usize,
    pub nodes_pruned: usize,
}

/// The prepared search.
pub struct Engine<'a> {
    hier: Vec<&'a CompiledHierarchy>,
    fields: Vec<Field>,
    qi_mask: u128,
    sensitive: Vec<Sensitive<'a>>,
    k: u32,
    metric: Metric,
    n: usize,
    forced: usize,
    max_suppressed: usize,
    /// Cell suppression: its limit in cells (⌊limit × n × Q⌋).
    cell_mode: bool,
    max_cells: usize,
    bottom: Cells,
    /// `[attr][level][code]` Iyengar loss of a label.
    cell_loss: Vec<Vec<Vec<f64>>>,
    /// `[attr][level]` Σ over releasable records of their cell loss (for the Loss bound).
    loss_at_level: Vec<Vec<f64>>,
    /// Per pair of quasi-identifiers, records in too-small classes of the pair alone.
    pairs: Vec<PairBound>,
}

/// Cached classes of the previous layer are dropped above this size (then nodes project from the
/// bottom cells instead, which is slower but needs no memory).
const CACHE_BYTES: usize = 512 << 20;

impl<'a> Engine<'a> {
    pub fn new(input: &SearchInput<'a>) -> Result<Engine<'a>, AnonError> {
        let mut shift = 0u32;
        let mut field_for = |n: usize| {
            let bits = bits_for(n);
            let f = Field { shift, mask: if bits == 0 { 0 } else { (1u128 << bits) - 1 } };
            shift += bits;
            f
        };
        let fields: Vec<Field> = input
            .quasi
            .iter()
            .map(|q| field_for(q.hierarchy.labels.iter().map(|l| l.len()).max().unwrap_or(0)))
            .collect();
        let qi_mask = fields.iter().fold(0u128, |m, f| m | (f.mask << f.shift));
        let sa_fields: Vec<Field> = input.sensitive.iter().map(|s| field_for(s.domain)).collect();
        if shift > 128 {
            return Err(AnonError::TooManyBits { bits: shift });
        }
        let n = input.forced.len();
        let forced = input.forced.iter().filter(|f| **f).count();
        let limit = input.suppression_limit.clamp(0.0, 1.0);
        let max_suppressed = ((n as f64) * limit + 1e-9).floor() as usize;
        let max_cells = ((n as f64) * (input.quasi.len() as f64) * limit + 1e-9).floor() as usize;

        let mut index: FxHashMap<u128, u32> = FxHashMap::default();
        let mut bottom = Cells::default();
        for row in (0..n).filter(|&r| !input.forced[r]) {
            let mut key = 0u128;
            for (q, f) in input.quasi.iter().zip(&fields) {
                key |= (q.codes[row] as u128) << f.shift;
            }
            for (s, f) in input.sensitive.iter().zip(&sa_fields) {
                key |= (s.codes[row] as u128) << f.shift;
            }
            add(&mut index, &mut bottom, key, 1);
        }

        let released = n - forced;
        let sensitive = input
            .sensitive
            .iter()
            .zip(sa_fields)
            .map(|(s, field)| {
                let mut overall = vec![0f64; s.domain];
                for row in (0..n).filter(|&r| !input.forced[r]) {
                    overall[s.codes[row] as usize] += 1.0;
                }
                overall.iter_mut().for_each(|v| *v /= released.max(1) as f64);
                Sensitive { field, l: s.l, t: s.t, hierarchy: s.hierarchy, overall }
            })
            .collect();

        let cell_loss: Vec<Vec<Vec<f64>>> = input
            .quasi
            .iter()
            .map(|q| {
                let d = q.hierarchy.domain as f64;
                q.hierarchy
                    .leaves
                    .iter()
                    .map(|lv| {
                        lv.iter().map(|&c| if d > 1.0 { (c.max(1) as f64 - 1.0) / (d - 1.0) } else { 0.0 }).collect()
                    })
                    .collect()
            })
            .collect();
        let loss_at_level = input
            .quasi
            .iter()
            .zip(&cell_loss)
            .map(|(q, losses)| {
                let mut counts = vec![0u64; q.hierarchy.labels[0].len()];
                for row in (0..n).filter(|&r| !input.forced[r]) {
                    counts[q.codes[row] as usize] += 1;
                }
                (0..losses.len())
                    .map(|level| {
                        counts
                            .iter()
                            .enumerate()
                            .map(|(c0, &cnt)| cnt as f64 * losses[level][q.hierarchy.to_level[level][c0] as usize])
                            .sum()
                    })
                    .collect()
            })
            .collect();

        let mut engine = Engine {
            hier: input.quasi.iter().map(|q| q.hierarchy).collect(),
            fields,
            qi_mask,
            sensitive,
            k: input.k.max(1),
            metric: input.metric,
            n,
            forced,
            max_suppressed,
            cell_mode: input.suppression == Suppression::Cells,
            max_cells,
            bottom,
            cell_loss,
            loss_at_level,
            pairs: Vec::new(),
        };
        engine.pairs = engine.pair_bounds();
        Ok(engine)
    }

    /// Incognito's subset property as a bound: the classes of a node refine the classes of its
    /// projection onto any two quasi-identifiers, so every record in a pair-class smaller than k
    /// is in a node-class smaller than k and is suppressed. Precomputed for every pair and pair of
    /// levels from the pair's 2-D histogram (small: distinct values × distinct values).
    fn pair_bounds(&self) -> Vec<PairBound> {
        let mut out = Vec::new();
        if self.k <= 1 {
            return out;
        }
        let q = self.hier.len();
        for a in 0..q {
            for b in a + 1..q {
                let (ha, hb) = (self.hier[a], self.hier[b]);
                let (da, db) = (ha.labels[0].len(), hb.labels[0].len());
                if da.saturating_mul(db) > 1 << 20 {
                    continue;
                }
                let mut m = vec![0u32; da * db];
                for (&key, &count) in self.bottom.keys.iter().zip(&self.bottom.counts) {
                    m[self.fields[a].get(key) as usize * db + self.fields[b].get(key) as usize] += count;
                }
                let nonzero: Vec<(usize, usize, u32)> =
                    m.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, &c)| (i / db, i % db, c)).collect();
                let combos = (ha.height() + 1) * (hb.height() + 1);
                if nonzero.len().saturating_mul(combos) > 20_000_000 {
                    continue;
                }
                let mut supp = Vec::with_capacity(combos);
                for la in 0..=ha.height() {
                    for lb in 0..=hb.height() {
                        let wb = hb.labels[lb].len();
                        let mut agg = vec![0u32; ha.labels[la].len() * wb];
                        for &(i, j, c) in &nonzero {
                            agg[ha.to_level[la][i] as usize * wb + hb.to_level[lb][j] as usize] += c;
                        }
                        supp.push(agg.iter().filter(|&&c| c > 0 && c < self.k).map(|&c| c as usize).sum());
                    }
                }
                out.push(PairBound { a, b, width: hb.height() + 1, suppressed: supp });
            }
        }
        out
    }

    /// A lower bound of the records the models suppress at `levels` (see [`Engine::pair_bounds`]).
    fn subset_bound(&self, levels: &[usize]) -> usize {
        self.pairs.iter().map(|p| p.suppressed[levels[p.a] * p.width + levels[p.b]]).max().unwrap_or(0)
    }

    pub fn heights(&self) -> Vec<usize> {
        self.hier.iter().map(|h| h.height()).collect()
    }

    pub fn bottom_cells(&self) -> usize {
        self.bottom.len()
    }

    /// The node's classes, projected from the bottom cells.
    pub fn project(&self, levels: &[usize]) -> Cells {
        let mut index: FxHashMap<u128, u32> = FxHashMap::default();
        index.reserve(self.bottom.len() / 2);
        let mut out = Cells::default();
        for (&key, &count) in self.bottom.keys.iter().zip(&self.bottom.counts) {
            let mut k = key;
            for ((f, h), &l) in self.fields.iter().zip(&self.hier).zip(levels) {
                if l > 0 {
                    k = f.set(k, h.to_level[l][f.get(key) as usize]);
                }
            }
            add(&mut index, &mut out, k, count);
        }
        out
    }

    /// The classes one level up in `attr` from a node at level `from_level` there.
    fn rollup(&self, from: &Cells, attr: usize, from_level: usize) -> Cells {
        let (f, parent) = (self.fields[attr], &self.hier[attr].parent[from_level]);
        let mut index: FxHashMap<u128, u32> = FxHashMap::default();
        index.reserve(from.len());
        let mut out = Cells::default();
        for (&key, &count) in from.keys.iter().zip(&from.counts) {
            add(&mut index, &mut out, f.set(key, parent[f.get(key) as usize]), count);
        }
        out
    }

    /// Groups `cells` (at node `levels`) into classes and applies the privacy models.
    /// Returns the figures and the quasi-identifier keys of the suppressed classes.
    /// With cell suppression, `Eval::local` says which cells of the rejected classes are
    /// suppressed (whatever the limit).
    pub fn evaluate(&self, levels: &[usize], cells: &Cells) -> (Eval, Vec<u128>) {
        let (ev, failed) = self.evaluate_inner(levels, cells, true, usize::MAX);
        match self.cell_mode {
            true => match self.with_local(levels, cells, ev.clone(), &failed, usize::MAX) {
                Some(local) => (local, failed),
                None => (ev, failed),
            },
            false => (ev, failed),
        }
    }

    /// `ev` with the rejected classes `failed` suppressed cell by cell; `None` if that needs more
    /// than `budget` cells.
    fn with_local(
        &self,
        levels: &[usize],
        cells: &Cells,
        mut ev: Eval,
        failed: &[u128],
        budget: usize,
    ) -> Option<Eval> {
        let local = self.suppress_cells(levels, cells, failed, budget)?;
        ev.suppressed = local.whole_records;
        ev.classes += local.classes;
        ev.sum_sq += local.sum_sq;
        if local.classes > 0 {
            ev.min_class =
                if ev.classes == local.classes { local.min_class } else { ev.min_class.min(local.min_class) };
        }
        ev.loss_sums.iter_mut().zip(&local.loss_sums).for_each(|(s, l)| *s += l);
        ev.local = Some(local);
        Some(ev)
    }

    /// Cells the models may suppress (cell suppression): the limit less the forced records.
    fn cell_budget(&self) -> usize {
        self.max_cells.saturating_sub(self.forced * self.fields.len())
    }

    /// `with_loss`: also sum the Iyengar loss of released cells (needed for the Loss metric and
    /// the final report only). `budget`: once the classes too small for k alone suppress more
    /// records than this, the node cannot be accepted (l and t only suppress more), so the
    /// sensitive-value checks are skipped and `suppressed` is that lower bound.
    fn evaluate_inner(&self, levels: &[usize], cells: &Cells, with_loss: bool, budget: usize) -> (Eval, Vec<u128>) {
        let mut ev = Eval { loss_sums: vec![0.0; self.fields.len()], min_class: usize::MAX, ..Eval::default() };
        let mut failed = Vec::new();
        let mut release = |ev: &mut Eval, key: u128, size: u32, ok: bool| {
            if ok {
                ev.classes += 1;
                ev.sum_sq += (size as f64) * (size as f64);
                ev.min_class = ev.min_class.min(size as usize);
                for (a, f) in self.fields.iter().enumerate().filter(|_| with_loss) {
                    ev.loss_sums[a] += size as f64 * self.cell_loss[a][levels[a]][f.get(key) as usize];
                }
            } else {
                ev.suppressed += size as usize;
                failed.push(key & self.qi_mask);
            }
        };
        if self.sensitive.is_empty() {
            for (&key, &count) in cells.keys.iter().zip(&cells.counts) {
                release(&mut ev, key, count, count >= self.k);
            }
        } else if let Some(lower) =
            self.evaluate_with_sensitive(cells, budget, |key, size, ok| release(&mut ev, key, size, ok))
        {
            return (Eval { suppressed: lower, ..Eval::default() }, Vec::new());
        }
        if ev.min_class == usize::MAX {
            ev.min_class = 0;
        }
        (ev, failed)
    }

    /// Returns `Some(lower bound of suppressed records)` when k alone exceeds `budget`.
    fn evaluate_with_sensitive(
        &self,
        cells: &Cells,
        budget: usize,
        mut release: impl FnMut(u128, u32, bool),
    ) -> Option<usize> {
        // Group cells by their quasi-identifier part, then lay them out class by class.
        let mut index: FxHashMap<u128, u32> = FxHashMap::default();
        index.reserve(cells.len());
        let mut class_keys = Vec::new();
        let mut class_size: Vec<u32> = Vec::new();
        let class_of: Vec<u32> = cells
            .keys
            .iter()
            .zip(&cells.counts)
            .map(|(&key, &count)| {
                let q = key & self.qi_mask;
                let c = *index.entry(q).or_insert_with(|| {
                    class_keys.push(q);
                    class_size.push(0);
                    (class_keys.len() - 1) as u32
                });
                class_size[c as usize] += count;
                c
            })
            .collect();
        let too_small: usize = class_size.iter().filter(|&&c| c < self.k).map(|&c| c as usize).sum();
        if too_small > budget {
            return Some(too_small);
        }
        let mut start = vec![0usize; class_keys.len() + 1];
        class_of.iter().for_each(|&c| start[c as usize + 1] += 1);
        for i in 1..start.len() {
            start[i] += start[i - 1];
        }
        let mut fill = start.clone();
        let mut order = vec![0usize; cells.len()];
        for (cell, &c) in class_of.iter().enumerate() {
            order[fill[c as usize]] = cell;
            fill[c as usize] += 1;
        }
        let mut scratch: Vec<Vec<f64>> = self.sensitive.iter().map(|s| vec![0.0; s.overall.len()]).collect();
        let mut touched: Vec<Vec<u32>> = self.sensitive.iter().map(|_| Vec::new()).collect();
        for c in 0..class_keys.len() {
            let size = class_size[c];
            let mut ok = size >= self.k;
            for (s, sa) in self.sensitive.iter().enumerate() {
                if !ok {
                    break;
                }
                for &cell in &order[start[c]..start[c + 1]] {
                    let v = sa.field.get(cells.keys[cell]) as usize;
                    if scratch[s][v] == 0.0 {
                        touched[s].push(v as u32);
                    }
                    scratch[s][v] += cells.counts[cell] as f64;
                }
                ok = sa.satisfied(&scratch[s], &touched[s], size as f64);
                touched[s].iter().for_each(|&v| scratch[s][v as usize] = 0.0);
                touched[s].clear();
            }
            release(class_keys[c], size, ok);
        }
        None
    }

    /// Records suppressed in total (models + forced) if `levels` were released.
    fn total_suppressed(&self, ev: &Eval) -> usize {
        ev.suppressed + self.forced
    }

    /// The metric's value for an evaluated node (lower is better).
    pub fn loss(&self, levels: &[usize], ev: &Eval) -> f64 {
        let n = self.n.max(1) as f64;
        let s = self.total_suppressed(ev) as f64;
        match self.metric {
            Metric::Precision => self.precision(levels, ev),
            Metric::Loss => self.iyengar(ev),
            Metric::Discernibility => ev.sum_sq + s * n,
            Metric::Aecs => {
                if ev.classes == 0 {
                    n
                } else {
                    (n - s) / ev.classes as f64
                }
            }
        }
    }

    /// ARX's Precision of an evaluated node.
    pub fn precision(&self, levels: &[usize], ev: &Eval) -> f64 {
        let n = self.n.max(1) as f64;
        let q = self.fields.len().max(1) as f64;
        let cells = self.suppressed_cells(ev);
        self.hier
            .iter()
            .zip(levels)
            .zip(&cells)
            .map(|((h, &l), &s)| ((n - s) * intensity(l, h.height()) + s) / n)
            .sum::<f64>()
            / q
    }

    /// ARX's Loss of an evaluated node.
    pub fn iyengar(&self, ev: &Eval) -> f64 {
        let n = self.n.max(1) as f64;
        let cells = self.suppressed_cells(ev);
        ev.loss_sums.iter().zip(&cells).map(|(ls, s)| (ls + s) / n).sum::<f64>() / self.fields.len().max(1) as f64
    }

    /// Per quasi-identifier, the cells suppressed (forced records included).
    pub fn suppressed_cells(&self, ev: &Eval) -> Vec<f64> {
        match &ev.local {
            Some(local) => local.cells.iter().map(|&c| (c + self.forced) as f64).collect(),
            None => vec![self.total_suppressed(ev) as f64; self.fields.len()],
        }
    }

    /// A lower bound of the metric over every way of suppressing records at this node.
    fn lower_bound(&self, levels: &[usize]) -> f64 {
        let n = self.n.max(1) as f64;
        let f = self.forced as f64;
        let q = self.fields.len().max(1) as f64;
        match self.metric {
            Metric::Precision => {
                self.hier.iter().zip(levels).map(|(h, &l)| ((n - f) * intensity(l, h.height()) + f) / n).sum::<f64>()
                    / q
            }
            Metric::Loss => self.loss_at_level.iter().zip(levels).map(|(ll, &l)| (ll[l] + f) / n).sum::<f64>() / q,
            Metric::Discernibility | Metric::Aecs => f64::NEG_INFINITY,
        }
    }

    /// How many records the models may suppress at `levels` for the node to be accepted and,
    /// for Precision, to beat `best` (its loss is G + (s/n)(1 − G), growing with s).
    fn budget(&self, levels: &[usize], best: Option<f64>) -> usize {
        if self.cell_mode {
            // Each rejected record costs at least one cell.
            return self.cell_budget();
        }
        let models = self.max_suppressed.saturating_sub(self.forced);
        match (self.metric, best) {
            (Metric::Precision, Some(best)) => {
                let n = self.n.max(1) as f64;
                let g = self.hier.iter().zip(levels).map(|(h, &l)| intensity(l, h.height())).sum::<f64>()
                    / self.fields.len().max(1) as f64;
                if g >= 1.0 {
                    return models;
                }
                let s_max = (n * (best - g) / (1.0 - g)).ceil().max(0.0) as usize;
                models.min(s_max.saturating_sub(self.forced))
            }
            _ => models,
        }
    }

    /// The node's figures if it is accepted (and, with cell suppression, could beat `best`).
    fn accept(&self, levels: &[usize], cells: &Cells, ev: Eval, failed: &[u128], best: Option<f64>) -> Option<Eval> {
        if !self.cell_mode {
            return (self.total_suppressed(&ev) <= self.max_suppressed).then_some(ev);
        }
        if ev.suppressed > self.cell_budget() {
            return None;
        }
        if let Some(best) = best
            && self.metric == Metric::Precision
        {
            // Each rejected record loses at least one cell, at best in its most generalized attribute.
            let n = self.n.max(1) as f64;
            let q = self.fields.len().max(1) as f64;
            let cheapest =
                self.hier.iter().zip(levels).map(|(h, &l)| 1.0 - intensity(l, h.height())).fold(1.0, f64::min);
            if self.lower_bound(levels) + ev.suppressed as f64 * cheapest / (n * q) >= best {
                return None;
            }
        }
        self.with_local(levels, cells, ev, failed, self.cell_budget())
    }

    /// Finds the node with least loss that satisfies the models within the suppression limit.
    pub fn search(&self) -> Result<Solution, AnonError> {
        let heights = self.heights();
        let total: u128 = heights.iter().map(|&h| h as u128 + 1).product();
        if total > 50_000_000 {
            return Err(AnonError::LatticeTooLarge(total));
        }
        let radix: Vec<u64> = heights
            .iter()
            .scan(1u64, |acc, &h| {
                let r = *acc;
                *acc *= h as u64 + 1;
                Some(r)
            })
            .collect();
        let index_of = |levels: &[usize]| levels.iter().zip(&radix).map(|(&l, &r)| l as u64 * r).sum::<u64>();
        let mut best: Option<(f64, Vec<usize>, Eval)> = None;
        let mut prev: FxHashMap<u64, Cells> = FxHashMap::default();
        let (mut evaluated, mut pruned) = (0usize, 0usize);
        let top: usize = heights.iter().sum();
        for layer in 0..=top {
            let mut nodes = nodes_in_layer(&heights, layer);
            let mut bounds: Vec<(f64, usize)> =
                nodes.iter().enumerate().map(|(i, n)| (self.lower_bound(n), i)).collect();
            bounds.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut next: FxHashMap<u64, Cells> = FxHashMap::default();
            let mut cached = 0usize;
            for (bound, i) in bounds {
                let levels = std::mem::take(&mut nodes[i]);
                if best.as_ref().is_some_and(|(b, _, _)| bound >= *b) {
                    pruned += 1;
                    continue;
                }
                let budget = self.budget(&levels, best.as_ref().map(|b| b.0));
                if self.subset_bound(&levels) > budget {
                    // Cannot be accepted (or cannot beat the best): no grouping needed.
                    pruned += 1;
                    continue;
                }
                let cells = self.cells_for(&levels, &prev, &index_of);
                let with_loss = self.metric == Metric::Loss || self.cell_mode;
                let (ev, failed) = self.evaluate_inner(&levels, &cells, with_loss, budget);
                evaluated += 1;
                if let Some(ev) = self.accept(&levels, &cells, ev, &failed, best.as_ref().map(|b| b.0)) {
                    let loss = self.loss(&levels, &ev);
                    if best.as_ref().is_none_or(|(b, _, _)| loss < *b) {
                        best = Some((loss, levels.clone(), ev));
                    }
                }
                if layer < top && cached + cells.bytes() <= CACHE_BYTES {
                    cached += cells.bytes();
                    next.insert(index_of(&levels), cells);
                }
            }
            prev = next;
        }
        match best {
            Some((loss, levels, eval)) => Ok(Solution {
                levels,
                eval,
                loss,
                nodes_total: total,
                nodes_evaluated: evaluated,
                nodes_pruned: pruned,
            }),
            None => {
                let top_levels = heights.clone();
                let (ev, _) = self.evaluate(&top_levels, &self.project(&top_levels));
                Err(AnonError::NoSolution {
                    limit: 100.0 * self.max_suppressed as f64 / self.n.max(1) as f64,
                    rows: self.n,
                    needed: self.total_suppressed(&ev),
                })
            }
        }
    }

    /// The node's classes: rolled up from the cached child with the fewest classes, else
    /// projected from the bottom.
    fn cells_for(&self, levels: &[usize], prev: &FxHashMap<u64, Cells>, index_of: &impl Fn(&[usize]) -> u64) -> Cells {
        if levels.iter().all(|&l| l == 0) {
            return self.bottom.clone();
        }
        let mut child = levels.to_vec();
        let mut best: Option<(usize, &Cells)> = None;
        for a in (0..levels.len()).filter(|&a| levels[a] > 0) {
            child[a] -= 1;
            if let Some(c) = prev.get(&index_of(&child))
                && best.is_none_or(|(_, b)| c.len() < b.len())
            {
                best = Some((a, c));
            }
            child[a] += 1;
        }
        match best {
            Some((a, c)) => self.rollup(c, a, levels[a] - 1),
            None => self.project(levels),
        }
    }

    /// Packs a row's original codes (as given to [`Engine::new`]) at node `levels`, QI part only.
    pub fn key_at(&self, codes: impl Iterator<Item = u32>, levels: &[usize]) -> u128 {
        codes
            .zip(&self.fields)
            .zip(&self.hier)
            .zip(levels)
            .fold(0u128, |k, (((c, f), h), &l)| k | ((h.to_level[l][c as usize] as u128) << f.shift))
    }

    pub fn max_suppressed(&self) -> usize {
        self.max_suppressed
    }

    /// The limit in cells (used with cell suppression).
    pub fn max_cells(&self) -> usize {
        self.max_cells
    }

    pub fn forced(&self) -> usize {
        self.forced
    }
}

/// Records in too-small classes of one pair of quasi-identifiers, per pair of levels.
#[derive(Debug, Clone)]
struct PairBound {
    a: usize,
    b: usize,
    /// Levels of `b` + 1 (row width of `suppressed`).
    width: usize,
    /// `suppressed[level_a * width + level_b]`.
    suppressed: Vec<usize>,
}

fn intensity(level: usize, height: usize) -> f64 {
    if height == 0 { 0.0 } else { level as f64 / height as f64 }
}

fn add(index: &mut FxHashMap<u128, u32>, cells: &mut Cells, key: u128, count: u32) {
    match index.get(&key) {
        Some(&i) => cells.counts[i as usize] += count,
        None => {
            index.insert(key, cells.keys.len() as u32);
            cells.keys.push(key);
            cells.counts.push(count);
        }
    }
}

/// Every node whose levels sum to `layer`.
fn nodes_in_layer(heights: &[usize], layer: usize) -> Vec<Vec<usize>> {
    fn rec(heights: &[usize], i: usize, left: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if i == heights.len() {
            if left == 0 {
                out.push(cur.clone());
            }
            return;
        }
        let rest: usize = heights[i + 1..].iter().sum();
        for l in left.saturating_sub(rest)..=heights[i].min(left) {
            cur.push(l);
            rec(heights, i + 1, left - l, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    rec(heights, 0, layer, &mut Vec::new(), &mut out);
    out
}

impl Sensitive<'_> {
    /// Whether a class with value counts `hist` (non-zero at `touched`) satisfies l and t.
    fn satisfied(&self, hist: &[f64], touched: &[u32], size: f64) -> bool {
        if let Some(l) = self.l {
            let ok = match l.variant {
                LVariant::Distinct => touched.len() as f64 >= l.l,
                LVariant::Entropy => entropy(hist, touched, size) + 1e-12 >= l.l.ln(),
            };
            if !ok {
                return false;
            }
        }
        if let Some(t) = self.t {
            let d = match (t.distance, self.hierarchy) {
                (TDistance::Hierarchical, Some(h)) => hierarchical_emd(hist, size, &self.overall, h),
                _ => equal_emd(hist, touched, size, &self.overall),
            };
            if d > t.t + 1e-12 {
                return false;
            }
        }
        true
    }
}

/// Shannon entropy (natural log) of a class's value counts.
pub fn entropy(hist: &[f64], touched: &[u32], size: f64) -> f64 {
    touched
        .iter()
        .map(|&v| {
            let p = hist[v as usize] / size;
            -p * p.ln()
        })
        .sum()
}

/// Earth mover's distance with equal ground distance: ½ Σ |p_i − q_i|.
pub fn equal_emd(hist: &[f64], touched: &[u32], size: f64, overall: &[f64]) -> f64 {
    // Values absent from the class contribute q_i each: Σ|p−q| = 1 + Σ_{in class} (|p−q| − q).
    let inside: f64 = touched
        .iter()
        .map(|&v| {
            let (p, q) = (hist[v as usize] / size, overall[v as usize]);
            (p - q).abs() - q
        })
        .sum();
    (0.5 * (1.0 + inside)).max(0.0)
}

/// Earth mover's distance with the hierarchical ground distance of Li et al. (2007):
/// Σ over inner nodes N of (level(N) / height) · min(positive extra, negative extra) of N's children.
pub fn hierarchical_emd(hist: &[f64], size: f64, overall: &[f64], h: &CompiledHierarchy) -> f64 {
    let height = h.height();
    if height == 0 {
        return 0.0;
    }
    let mut extra: Vec<f64> = (0..overall.len()).map(|v| hist[v] / size - overall[v]).collect();
    let mut cost = 0.0;
    for level in 0..height {
        let parents = &h.parent[level];
        let size_up = h.labels[level + 1].len();
        let (mut up, mut pos, mut neg) = (vec![0.0; size_up], vec![0.0; size_up], vec![0.0; size_up]);
        for (c, &e) in extra.iter().enumerate() {
            if level == 0 && h.missing.get(c).copied().unwrap_or(false) {
                continue;
            }
            let p = parents[c] as usize;
            up[p] += e;
            if e > 0.0 {
                pos[p] += e;
            } else {
                neg[p] -= e;
            }
        }
        let weight = (level + 1) as f64 / height as f64;
        cost += pos.iter().zip(&neg).map(|(p, n)| weight * p.min(*n)).sum::<f64>();
        extra = up;
    }
    cost
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymize::hierarchy::{Hierarchy, HierarchyTable};

    fn compiled(text: &str, dict: &[&str]) -> CompiledHierarchy {
        let h = Hierarchy::Table(HierarchyTable::parse("h", text, ';').unwrap());
        let dict: Vec<String> = dict.iter().map(|s| s.to_string()).collect();
        CompiledHierarchy::compile(&h, "c", &dict).unwrap()
    }

    #[test]
    fn layers_enumerate_the_whole_lattice_once() {
        let heights = [2, 1, 3];
        let all: usize = (0..=6).map(|l| nodes_in_layer(&heights, l).len()).sum();
        assert_eq!(all, 3 * 2 * 4);
        assert_eq!(nodes_in_layer(&heights, 0), vec![vec![0, 0, 0]]);
        assert_eq!(nodes_in_layer(&heights, 6), vec![vec![2, 1, 3]]);
    }

    #[test]
    fn equal_emd_matches_half_l1() {
        let overall = [0.5, 0.25, 0.25];
        let hist = [2.0, 0.0, 0.0];
        assert!((equal_emd(&hist, &[0], 2.0, &overall) - 0.5).abs() < 1e-12);
        let hist = [2.0, 1.0, 1.0];
        assert!(equal_emd(&hist, &[0, 1, 2], 4.0, &overall).abs() < 1e-12);
    }

    #[test]
    fn hierarchical_emd_by_hand() {
        // Tree: {a,b} under X, {c,d} under Y, root *. Height 2.
        let h = compiled("a;X;*\nb;X;*\nc;Y;*\nd;Y;*\n", &["a", "b", "c", "d"]);
        let overall = [0.25; 4];
        // All mass on a: extras a +.75, b −.25, c −.25, d −.25.
        // X: pos .75, neg .25 → ½·.25; Y: neg only → 0; root: X +.5, Y −.5 → 1·.5. Total .625.
        let d = hierarchical_emd(&[1.0, 0.0, 0.0, 0.0], 1.0, &overall, &h);
        assert!((d - 0.625).abs() < 1e-12, "{d}");
        // Moving mass between siblings only costs the sibling distance: a,a vs a,b → ½·½·…
        let d = hierarchical_emd(&[1.0, 1.0, 0.0, 0.0], 2.0, &[0.5, 0.5, 0.0, 0.0], &h);
        assert!(d.abs() < 1e-12);
        let d = hierarchical_emd(&[2.0, 0.0, 0.0, 0.0], 2.0, &[0.5, 0.5, 0.0, 0.0], &h);
        assert!((d - 0.25).abs() < 1e-12, "{d}");
    }

    #[test]
    fn entropy_of_a_uniform_class_is_ln_of_its_size() {
        let e = entropy(&[3.0, 3.0, 3.0], &[0, 1, 2], 9.0);
        assert!((e - 3f64.ln()).abs() < 1e-12);
    }
}
