//! Local (cell) suppression of the records a node's privacy models reject.
//!
//! **Why.** Record suppression (ARX's default) blanks every quasi-identifier of a record whose
//! class is too small, although usually one or two of its values make it rare. Here those
//! records keep their other values: a record whose `age` is the only thing separating it from
//! other rejected records loses only `age`. A `*` is an ordinary value for equivalence (it only
//! matches another `*`, as `check_k.py` and pycanon count it), so a record with suppressed cells
//! joins the class of the other rejected records that agree on its remaining values, and that
//! class must satisfy k (and l / t) like any other.
//!
//! **The greedy.** Suppression patterns (sets of quasi-identifiers) are tried from the smallest
//! (one cell) up to [`MAX_PATTERN`] cells. Within a size, the pattern under which the most
//! rejected records fall into groups that satisfy every model is applied first (it suppresses
//! the most distinguishing attribute); its groups become classes and their records leave the
//! pool; the next pattern is chosen among the rest (lazily: a pattern's coverage only shrinks as
//! the pool does). Records no pattern places are suppressed whole (all cells `*`), which is what
//! record suppression would have done to them anyway — so cell suppression never blanks more
//! cells than record suppression at the same node.

use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use super::{Cells, Engine};

/// Largest number of cells suppressed in one record before it is suppressed whole.
/// (Patterns of up to 3 of Q attributes: Σ C(Q, s), 92 for Adult's 8.)
const MAX_PATTERN: u32 = 3;

/// What local suppression did at one node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocalSuppression {
    /// Per rejected class (its quasi-identifier key at the node), the bit set of suppressed
    /// attributes; all bits set = the record is suppressed whole.
    pub masks: FxHashMap<u128, u64>,
    /// Per quasi-identifier, cells suppressed (whole records included).
    pub cells: Vec<usize>,
    /// Records suppressed whole.
    pub whole_records: usize,
    /// Classes formed by records with suppressed cells, their Σ|E|², smallest size, and per
    /// attribute the Iyengar loss of their released (not suppressed) cells.
    pub classes: usize,
    pub sum_sq: f64,
    pub min_class: usize,
    pub loss_sums: Vec<f64>,
}

impl LocalSuppression {
    pub fn total_cells(&self) -> usize {
        self.cells.iter().sum()
    }
}

/// One rejected class: its key at the node, its size, and its cells (with sensitive values).
struct Unit {
    key: u128,
    size: u32,
    cells: Vec<(u128, u32)>,
}

impl Engine<'_> {
    /// Suppresses cells of the records in the rejected classes `failed` (quasi-identifier keys
    /// of `cells` at node `levels`). `None` if more than `budget` cells would be needed.
    pub(super) fn suppress_cells(
        &self,
        levels: &[usize],
        cells: &Cells,
        failed: &[u128],
        budget: usize,
    ) -> Option<LocalSuppression> {
        let q = self.fields.len();
        let units = self.units(cells, failed);
        let mut out = LocalSuppression {
            cells: vec![0; q],
            loss_sums: vec![0.0; q],
            min_class: usize::MAX,
            ..LocalSuppression::default()
        };
        let mut used = 0usize;
        let mut alive: Vec<bool> = vec![true; units.len()];
        let max_size = if q > 64 { 0 } else { MAX_PATTERN.min(q.saturating_sub(1) as u32) };
        for size in 1..=max_size {
            let mut heap: BinaryHeap<(usize, std::cmp::Reverse<u64>)> = patterns(q, size)
                .map(|m| (self.place(m, &units, &alive).0, std::cmp::Reverse(m)))
                .filter(|(c, _)| *c > 0)
                .collect();
            while let Some((_, std::cmp::Reverse(mask))) = heap.pop() {
                let (covered, groups) = self.place(mask, &units, &alive);
                if covered == 0 {
                    continue;
                }
                if heap.peek().is_some_and(|(c, _)| *c > covered) {
                    heap.push((covered, std::cmp::Reverse(mask)));
                    continue;
                }
                used += covered * size as usize;
                if used > budget {
                    return None;
                }
                for group in groups {
                    self.form_class(levels, mask, &group, &units, &mut out);
                    group.iter().for_each(|&u| alive[u] = false);
                }
            }
        }
        let all = if q >= 64 { u64::MAX } else { (1u64 << q) - 1 };
        for unit in units.iter().zip(&alive).filter(|(_, a)| **a).map(|(u, _)| u) {
            used += unit.size as usize * q;
            out.whole_records += unit.size as usize;
            out.cells.iter_mut().for_each(|c| *c += unit.size as usize);
            out.masks.insert(unit.key, all);
        }
        if used > budget {
            return None;
        }
        if out.min_class == usize::MAX {
            out.min_class = 0;
        }
        Some(out)
    }

    /// The rejected classes with their cells.
    fn units(&self, cells: &Cells, failed: &[u128]) -> Vec<Unit> {
        let mut index: FxHashMap<u128, usize> = FxHashMap::default();
        let mut units: Vec<Unit> = failed
            .iter()
            .enumerate()
            .map(|(i, &key)| {
                index.insert(key, i);
                Unit { key, size: 0, cells: Vec::new() }
            })
            .collect();
        for (&key, &count) in cells.keys.iter().zip(&cells.counts) {
            if let Some(&u) = index.get(&(key & self.qi_mask)) {
                units[u].size += count;
                units[u].cells.push((key, count));
            }
        }
        units
    }

    /// The records of the pool that pattern `mask` places: groups (units agreeing outside the
    /// pattern) that satisfy every model. Returns their record count and the groups.
    fn place(&self, mask: u64, units: &[Unit], alive: &[bool]) -> (usize, Vec<Vec<usize>>) {
        let clear = self.pattern_bits(mask);
        let mut groups: FxHashMap<u128, Vec<usize>> = FxHashMap::default();
        for (u, unit) in units.iter().enumerate().filter(|(u, _)| alive[*u]) {
            groups.entry(unit.key & !clear).or_default().push(u);
        }
        let mut good: Vec<Vec<usize>> = groups.into_values().filter(|g| self.group_ok(g, units)).collect();
        good.sort_unstable();
        let covered = good.iter().flatten().map(|&u| units[u].size as usize).sum();
        (covered, good)
    }

    /// The key bits of the attributes in `mask`.
    fn pattern_bits(&self, mask: u64) -> u128 {
        self.fields
            .iter()
            .enumerate()
            .filter(|(a, _)| mask >> a & 1 == 1)
            .fold(0u128, |b, (_, f)| b | f.mask << f.shift)
    }

    /// Whether the records of `group` together satisfy k and every sensitive model.
    fn group_ok(&self, group: &[usize], units: &[Unit]) -> bool {
        let size: u32 = group.iter().map(|&u| units[u].size).sum();
        if size < self.k {
            return false;
        }
        self.sensitive.iter().all(|sa| {
            let mut hist = vec![0.0; sa.overall.len()];
            let mut touched = Vec::new();
            for &(key, count) in group.iter().flat_map(|&u| &units[u].cells) {
                let v = sa.field.get(key);
                if hist[v as usize] == 0.0 {
                    touched.push(v);
                }
                hist[v as usize] += count as f64;
            }
            sa.satisfied(&hist, &touched, size as f64)
        })
    }

    /// Records `group` as a released class under pattern `mask`.
    fn form_class(&self, levels: &[usize], mask: u64, group: &[usize], units: &[Unit], out: &mut LocalSuppression) {
        let size: usize = group.iter().map(|&u| units[u].size as usize).sum();
        out.classes += 1;
        out.sum_sq += (size * size) as f64;
        out.min_class = out.min_class.min(size);
        for &u in group {
            let unit = &units[u];
            out.masks.insert(unit.key, mask);
            for (a, f) in self.fields.iter().enumerate() {
                if mask >> a & 1 == 1 {
                    out.cells[a] += unit.size as usize;
                } else {
                    out.loss_sums[a] += unit.size as f64 * self.cell_loss[a][levels[a]][f.get(unit.key) as usize];
                }
            }
        }
    }
}

/// Every bit set of `size` attributes out of `q` (< 64), in increasing order (Gosper's hack).
fn patterns(q: usize, size: u32) -> impl Iterator<Item = u64> {
    let limit = if q >= 64 { 0 } else { 1u64 << q };
    let first = if size == 0 || size as usize > q { limit } else { (1u64 << size) - 1 };
    std::iter::successors(Some(first), |&m| {
        let low = m & m.wrapping_neg();
        let ripple = m + low;
        Some((((ripple ^ m) >> 2) / low) | ripple)
    })
    .take_while(move |&m| m < limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_enumerate_subsets_of_one_size() {
        assert_eq!(patterns(4, 1).collect::<Vec<_>>(), vec![1, 2, 4, 8]);
        assert_eq!(patterns(4, 2).count(), 6);
        assert_eq!(patterns(8, 3).count(), 56);
    }
}
