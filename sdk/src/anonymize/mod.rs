//! Anonymization of tables (匿名加工医療情報): value transforms, generalization with hierarchies,
//! k-anonymity / l-diversity / t-closeness with record suppression, an optimal lattice search
//! minimizing information loss, and a before/after re-identification risk report.
//!
//! **Why this shape.** The engine takes an in-memory, dictionary-encoded [`Table`] and a
//! [`Policy`], and returns the released table and a report: no files, no clock, no threads, so
//! the CLI, the browser (wasm) and the web app release exactly the same table for the same input,
//! policy and key. Hierarchy files are passed in as text by name; the caller reads them.
//!
//! The steps, each in its own module:
//! 1. [`transform`]: per-column value transforms (banding, top/bottom coding, rare categories,
//!    keyed date shifting, date coarsening).
//! 2. [`hierarchy`]: each quasi-identifier's hierarchy compiled onto its dictionary; values it
//!    cannot place suppress their record (reported, never released raw).
//! 3. [`search`]: the least-loss node of the generalization lattice that satisfies the privacy
//!    models within the suppression limit.
//! 4. Release: generalized labels, `*` for every quasi-identifier of a suppressed record (as ARX
//!    writes them) or, with cell suppression, for the suppressed cells only; identifiers and
//!    unlisted columns removed; [`risk`] before and after.

pub mod error;
pub mod hierarchy;
pub mod policy;
pub mod risk;
pub mod search;
pub mod table;
pub mod transform;

use std::collections::HashMap;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

pub use error::{AnonError, RecordIssue};
pub use hierarchy::{CompiledHierarchy, Hierarchy, HierarchySpec, HierarchyTable};
pub use policy::{
    ColumnPolicy, LDiversity, LVariant, Metric, Policy, PrivacySettings, Role, Suppression, TCloseness, TDistance,
    Unlisted,
};
pub use risk::{RiskReport, assess};
pub use table::{Column, Table, TableBuilder};
pub use transform::Transform;

use crate::ProjectKey;
use search::{Engine, QuasiInput, SearchInput, SensitiveInput};

/// Records at risk in reports: risk above 1/5 (classes smaller than 5).
pub const RISK_THRESHOLD: f64 = 0.2;
/// Issues listed in a report (all are counted).
pub const MAX_LISTED_ISSUES: usize = 1000;

/// The released table and what happened.
#[derive(Debug, Clone)]
pub struct Anonymized {
    pub table: Table,
    pub report: AnonymizationReport,
}

/// What was done to one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnReport {
    pub name: String,
    /// `identifier`, `quasi`, `sensitive`, `insensitive`, or `unlisted` (removed or kept by policy).
    pub role: String,
    pub released: bool,
    /// Transforms applied, in order (policy syntax).
    pub transforms: Vec<Transform>,
    /// For quasi-identifiers: the hierarchy, the chosen level and the hierarchy's height.
    pub hierarchy: Option<String>,
    pub level: Option<usize>,
    pub height: Option<usize>,
    /// For quasi-identifiers: cells released as `*` (suppressed records included).
    #[serde(default)]
    pub suppressed_cells: Option<usize>,
}

/// The search's result and the utility of the release (formulas in docs/anonymization.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolutionReport {
    pub levels: Vec<usize>,
    pub suppressed_records: usize,
    /// …of which because a value was not in its hierarchy (or unreadable).
    pub suppressed_not_in_hierarchy: usize,
    pub suppression_limit_records: usize,
    /// Quasi-identifier cells released as `*`, all columns (suppressed records included).
    #[serde(default)]
    pub suppressed_cells: usize,
    /// With cell suppression, the limit in cells (⌊limit × records × quasi-identifiers⌋).
    #[serde(default)]
    pub suppression_limit_cells: Option<usize>,
    pub classes: usize,
    pub min_class_size: usize,
    /// ARX "Precision" (generalization intensity; suppressed cells count 1), 0–1.
    pub precision: f64,
    /// ARX "Loss" (Iyengar; suppressed cells count 1), 0–1.
    pub loss: f64,
    /// Σ|E|² over released classes + n per suppressed record.
    pub discernibility: f64,
    /// Released records / released classes.
    pub average_class_size: f64,
    /// The value of the metric the search minimized.
    pub objective: f64,
    pub nodes_total: u64,
    pub nodes_evaluated: usize,
    pub nodes_pruned: usize,
    /// Distinct combinations of quasi-identifier (and sensitive) values the search worked on.
    pub distinct_combinations: usize,
}

/// The processing report of one anonymization. It contains no original value except in
/// `risk_after.smallest_classes`, which shows released (generalized) values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnonymizationReport {
    pub rows: usize,
    pub privacy: PrivacySettings,
    pub sensitive: Vec<SensitiveReport>,
    pub columns: Vec<ColumnReport>,
    pub solution: Option<SolutionReport>,
    pub risk_before: RiskReport,
    pub risk_after: RiskReport,
    pub issues: Vec<RecordIssue>,
    pub issues_total: usize,
}

/// A sensitive column's models and what the release achieves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitiveReport {
    pub column: String,
    pub l_diversity: Option<LDiversity>,
    pub t_closeness: Option<TCloseness>,
    /// Smallest number of distinct values in a released class.
    pub min_distinct: usize,
}

/// Anonymizes `table` by `policy`. `hierarchies` maps the file names used in the policy to
/// their text; `key` is needed only for date shifting.
pub fn anonymize(
    table: &Table,
    policy: &Policy,
    hierarchies: &HashMap<String, String>,
    key: Option<&ProjectKey>,
) -> Result<Anonymized, AnonError> {
    let plan = Plan::new(table, policy)?;
    let mut issues = Vec::new();
    let n = table.n_rows();

    // 1. Transforms.
    let patient = policy.patient.as_ref().and_then(|p| table.column_index(p)).map(|i| &table.columns[i]);
    let ctx = transform::TransformContext { key, patient, row_numbers: &table.row_numbers };
    let mut columns: Vec<Column> = Vec::with_capacity(table.columns.len());
    for (i, col) in table.columns.iter().enumerate() {
        match plan.policies[i].filter(|p| !p.transforms.is_empty()) {
            Some(p) => {
                let t = transform::apply(col, &p.transforms, &ctx)?;
                issues.extend(t.issues);
                columns.push(t.column);
            }
            None => columns.push(col.clone()),
        }
    }

    // 2. Hierarchies; records with a value a hierarchy cannot place are suppressed.
    let mut forced = vec![false; n];
    let mut compiled: HashMap<usize, (CompiledHierarchy, String)> = HashMap::new();
    for &i in plan.quasi.iter().chain(&plan.hierarchical_t) {
        let p = plan.policies[i].ok_or_else(|| AnonError::Policy("internal: unplanned column".into()))?;
        let spec = p.hierarchy.clone().unwrap_or(HierarchySpec::Suppress);
        let h = Hierarchy::from_spec(&spec, hierarchies, policy.hierarchy_separator)?;
        let c = CompiledHierarchy::compile(&h, &columns[i].name, &columns[i].dict)?;
        for (row, &code) in columns[i].codes.iter().enumerate() {
            if c.missing[code as usize] {
                forced[row] = true;
                issues
                    .push(RecordIssue::NotInHierarchy { row: table.row_numbers[row], column: columns[i].name.clone() });
            }
        }
        compiled.insert(i, (c, h.describe()));
    }
    let forced_count = forced.iter().filter(|f| **f).count();

    // 3. Search.
    let mut levels = vec![0usize; plan.quasi.len()];
    let mut solution = None;
    // Per rejected class (key at the chosen node), the bit set of its suppressed quasi-identifiers.
    let mut masks: FxHashMap<u128, u64> = FxHashMap::default();
    let mut cells_per_qi = vec![forced_count; plan.quasi.len()];
    let mut engine = None;
    if !plan.quasi.is_empty() {
        let quasi =
            plan.quasi.iter().map(|&i| QuasiInput { hierarchy: &compiled[&i].0, codes: &columns[i].codes }).collect();
        // Only sensitive columns with a model take part in the search (the others need no grouping).
        let sensitive = plan
            .sensitive
            .iter()
            .filter(|&&i| plan.policies[i].is_some_and(|p| p.l_diversity.is_some() || p.t_closeness.is_some()))
            .map(|&i| {
                let p = plan.policies[i];
                SensitiveInput {
                    codes: &columns[i].codes,
                    domain: columns[i].dict.len(),
                    l: p.and_then(|p| p.l_diversity),
                    t: p.and_then(|p| p.t_closeness),
                    hierarchy: compiled.get(&i).map(|c| &c.0),
                }
            })
            .collect();
        let input = SearchInput {
            quasi,
            sensitive,
            forced: &forced,
            k: policy.privacy.k,
            suppression_limit: policy.privacy.suppression_limit,
            metric: policy.privacy.metric,
            suppression: policy.privacy.suppression,
        };
        let e = Engine::new(&input)?;
        let s = e.search()?;
        let (ev, fails) = e.evaluate(&s.levels, &e.project(&s.levels));
        let all = u64::MAX;
        masks = match &ev.local {
            Some(local) => local.masks.clone(),
            None => fails.into_iter().map(|k| (k, all)).collect(),
        };
        levels = s.levels.clone();
        let suppressed = ev.suppressed + forced_count;
        cells_per_qi = e.suppressed_cells(&ev).iter().map(|&c| c as usize).collect();
        solution = Some(SolutionReport {
            levels: s.levels.clone(),
            suppressed_records: suppressed,
            suppressed_not_in_hierarchy: forced_count,
            suppression_limit_records: e.max_suppressed(),
            suppressed_cells: cells_per_qi.iter().sum(),
            suppression_limit_cells: ev.local.as_ref().map(|_| e.max_cells()),
            classes: ev.classes,
            min_class_size: ev.min_class,
            precision: e.precision(&s.levels, &ev),
            loss: e.iyengar(&ev),
            discernibility: ev.sum_sq + (suppressed as f64) * n as f64,
            average_class_size: if ev.classes == 0 { 0.0 } else { (n - suppressed) as f64 / ev.classes as f64 },
            objective: s.loss,
            nodes_total: s.nodes_total as u64,
            nodes_evaluated: s.nodes_evaluated,
            nodes_pruned: s.nodes_pruned,
            distinct_combinations: e.bottom_cells(),
        });
        engine = Some(e);
    }

    // 4. Release.
    let n_quasi = plan.quasi.len();
    let mut row_mask: Vec<u64> = forced.iter().map(|&f| if f { u64::MAX } else { 0 }).collect();
    if let Some(e) = &engine {
        for (row, m) in row_mask.iter_mut().enumerate().filter(|(_, m)| **m == 0) {
            let key = e.key_at(plan.quasi.iter().map(|&i| columns[i].codes[row]), &levels);
            *m = masks.get(&key).copied().unwrap_or(0);
        }
    }
    let full = if n_quasi >= 64 { u64::MAX } else { (1u64 << n_quasi) - 1 };
    // A record is suppressed when every quasi-identifier is `*`.
    let suppressed_row: Vec<bool> = row_mask.iter().map(|&m| n_quasi > 0 && m & full == full).collect();
    let mut released = Vec::new();
    let mut column_reports = Vec::new();
    for (i, col) in columns.iter().enumerate() {
        let p = plan.policies[i];
        let role = p.map(|p| role_name(p.role)).unwrap_or("unlisted").to_string();
        let mut report = ColumnReport {
            name: col.name.clone(),
            role,
            released: plan.released[i],
            transforms: p.map(|p| p.transforms.clone()).unwrap_or_default(),
            hierarchy: None,
            level: None,
            height: None,
            suppressed_cells: None,
        };
        if let Some(q) = plan.quasi.iter().position(|&x| x == i) {
            let (c, desc) = &compiled[&i];
            let level = levels[q];
            report.hierarchy = Some(desc.clone());
            report.level = Some(level);
            report.height = Some(c.height());
            report.suppressed_cells = Some(cells_per_qi[q]);
            let values = col.codes.iter().zip(&row_mask).map(|(&code, &m)| {
                if m >> q.min(63) & 1 == 1 {
                    "*"
                } else {
                    c.labels[level][c.to_level[level][code as usize] as usize].as_str()
                }
            });
            released.push(Column::from_values(&col.name, values));
        } else if plan.released[i] {
            released.push(col.clone());
        }
        column_reports.push(report);
    }
    let out = Table { columns: released, row_numbers: table.row_numbers.clone() };

    // 5. Risk before (original values, never listed) and after (released, suppressed excluded).
    let qi_before: Vec<&Column> = plan.quasi.iter().map(|&i| &table.columns[i]).collect();
    let risk_before = assess(&qi_before, None, policy.population, RISK_THRESHOLD, false);
    let qi_after: Vec<&Column> =
        plan.quasi.iter().filter_map(|&i| out.column_index(&table.columns[i].name)).map(|j| &out.columns[j]).collect();
    let risk_after = assess(&qi_after, Some(&suppressed_row), policy.population, RISK_THRESHOLD, true);

    let sensitive = plan
        .sensitive
        .iter()
        .map(|&i| {
            let p = plan.policies[i];
            SensitiveReport {
                column: columns[i].name.clone(),
                l_diversity: p.and_then(|p| p.l_diversity),
                t_closeness: p.and_then(|p| p.t_closeness),
                min_distinct: min_distinct(&qi_after, &columns[i], &suppressed_row),
            }
        })
        .collect();
    let issues_total = issues.len();
    issues.truncate(MAX_LISTED_ISSUES);
    let report = AnonymizationReport {
        rows: n,
        privacy: policy.privacy.clone(),
        sensitive,
        columns: column_reports,
        solution,
        risk_before,
        risk_after,
        issues,
        issues_total,
    };
    Ok(Anonymized { table: out, report })
}

/// Assesses the risk of `table` with `quasi` as quasi-identifiers (for `kakou records risk`).
pub fn assess_table(table: &Table, quasi: &[String], population: Option<u64>) -> Result<RiskReport, AnonError> {
    let cols = quasi
        .iter()
        .map(|q| table.column_index(q).map(|i| &table.columns[i]).ok_or_else(|| unknown(q, table)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(assess(&cols, None, population, RISK_THRESHOLD, true))
}

fn unknown(name: &str, table: &Table) -> AnonError {
    AnonError::UnknownColumn(name.to_string(), table.header().join(", "))
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Identifier => "identifier",
        Role::Quasi => "quasi",
        Role::Sensitive => "sensitive",
        Role::Insensitive => "insensitive",
    }
}

/// The smallest number of distinct sensitive values in a released class.
fn min_distinct(quasi: &[&Column], sensitive: &Column, suppressed: &[bool]) -> usize {
    let mut sets: HashMap<Vec<u32>, FxHashSet<u32>> = HashMap::new();
    for row in (0..sensitive.codes.len()).filter(|&r| !suppressed[r]) {
        let key = quasi.iter().map(|c| c.codes[row]).collect();
        sets.entry(key).or_default().insert(sensitive.codes[row]);
    }
    sets.values().map(|s| s.len()).min().unwrap_or(0)
}

/// The policy resolved against the table's columns.
struct Plan<'p> {
    policies: Vec<Option<&'p ColumnPolicy>>,
    quasi: Vec<usize>,
    sensitive: Vec<usize>,
    /// Sensitive columns whose t-closeness uses their hierarchy.
    hierarchical_t: Vec<usize>,
    released: Vec<bool>,
}

impl<'p> Plan<'p> {
    fn new(table: &Table, policy: &'p Policy) -> Result<Plan<'p>, AnonError> {
        let mut policies: Vec<Option<&ColumnPolicy>> = vec![None; table.columns.len()];
        let bad = |m: String| Err(AnonError::Policy(m));
        let limit = policy.privacy.suppression_limit;
        if !(0.0..=1.0).contains(&limit) {
            return bad(format!("suppression_limit {limit} must be between 0 and 1 (0.05 = 5%)"));
        }
        if policy.privacy.k == 0 {
            return bad("k must be at least 1".into());
        }
        for c in &policy.columns {
            let i = table.column_index(&c.name).ok_or_else(|| unknown(&c.name, table))?;
            if policies[i].is_some() {
                return bad(format!("column '{}' is listed twice", c.name));
            }
            if c.role != Role::Sensitive && (c.l_diversity.is_some() || c.t_closeness.is_some()) {
                return bad(format!("column '{}': l_diversity / t_closeness apply to sensitive columns only", c.name));
            }
            if let Some(t) = c.t_closeness {
                if !(0.0..=1.0).contains(&t.t) {
                    return bad(format!("column '{}': t = {} must be between 0 and 1", c.name, t.t));
                }
                if t.distance == TDistance::Hierarchical && c.hierarchy.is_none() {
                    return bad(format!("column '{}': hierarchical t-closeness needs the column's hierarchy", c.name));
                }
            }
            if let Some(l) = c.l_diversity
                && l.l < 1.0
            {
                return bad(format!("column '{}': l = {} must be at least 1", c.name, l.l));
            }
            policies[i] = Some(c);
        }
        if let Some(p) = &policy.patient
            && table.column_index(p).is_none()
        {
            return Err(unknown(p, table));
        }
        let with_role = |r: Role| (0..policies.len()).filter(|&i| policies[i].is_some_and(|p| p.role == r)).collect();
        let quasi: Vec<usize> = with_role(Role::Quasi);
        let sensitive: Vec<usize> = with_role(Role::Sensitive);
        if quasi.is_empty()
            && sensitive
                .iter()
                .any(|&i| policies[i].is_some_and(|p| p.l_diversity.is_some() || p.t_closeness.is_some()))
        {
            return bad("l-diversity and t-closeness need at least one quasi-identifier".into());
        }
        let hierarchical_t = sensitive
            .iter()
            .copied()
            .filter(|&i| policies[i].and_then(|p| p.t_closeness).is_some_and(|t| t.distance == TDistance::Hierarchical))
            .collect();
        let released = policies
            .iter()
            .map(|p| match p {
                Some(p) => p.role != Role::Identifier,
                None => policy.unlisted == Unlisted::Keep,
            })
            .collect();
        Ok(Plan { policies, quasi, sensitive, hierarchical_t, released })
    }
}

impl AnonymizationReport {
    /// The report as readable text (the CLI prints it; the web app may show it).
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{} records; k = {}, suppression limit {:.1}% ({:?}), metric {:?}\n",
            self.rows,
            self.privacy.k,
            100.0 * self.privacy.suppression_limit,
            self.privacy.suppression,
            self.privacy.metric
        );
        for sr in &self.sensitive {
            s += &format!("  sensitive {}: ", sr.column);
            if let Some(l) = sr.l_diversity {
                s += &format!("{:?} l = {} ", l.variant, l.l);
            }
            if let Some(t) = sr.t_closeness {
                s += &format!("{:?} t = {} ", t.distance, t.t);
            }
            s += &format!("(smallest class has {} distinct values)\n", sr.min_distinct);
        }
        s += "columns:\n";
        for c in &self.columns {
            let what = match (c.released, c.level, c.height) {
                (false, _, _) => "removed".to_string(),
                (true, Some(l), Some(h)) => format!(
                    "level {l}/{h} ({}); {} cells suppressed",
                    c.hierarchy.as_deref().unwrap_or(""),
                    c.suppressed_cells.unwrap_or(0)
                ),
                (true, _, _) if !c.transforms.is_empty() => format!("{} transform(s)", c.transforms.len()),
                (true, _, _) => "kept".into(),
            };
            s += &format!("  {:<20} {:<12} {what}\n", c.name, c.role);
        }
        if let Some(sol) = &self.solution {
            s += &format!(
                "result: {} classes (smallest {}), {} records suppressed ({:.2}%; limit {}), {} of them for values outside a hierarchy\n",
                sol.classes,
                sol.min_class_size,
                sol.suppressed_records,
                100.0 * sol.suppressed_records as f64 / self.rows.max(1) as f64,
                sol.suppression_limit_records,
                sol.suppressed_not_in_hierarchy
            );
            if let Some(limit) = sol.suppression_limit_cells {
                s += &format!(
                    "cell suppression: {} quasi-identifier cells suppressed ({:.2}%; limit {limit})\n",
                    sol.suppressed_cells,
                    100.0 * sol.suppressed_cells as f64 / (self.rows.max(1) * sol.levels.len().max(1)) as f64
                );
            }
            s += &format!(
                "utility: precision loss {:.4}  loss (Iyengar) {:.4}  discernibility {:.0}  average class size {:.1}\n",
                sol.precision, sol.loss, sol.discernibility, sol.average_class_size
            );
            s += &format!(
                "search: {} nodes, {} evaluated, {} pruned by bound; {} distinct combinations\n",
                sol.nodes_total, sol.nodes_evaluated, sol.nodes_pruned, sol.distinct_combinations
            );
        }
        s += "risk before:\n";
        s += &indent(&self.risk_before.to_text());
        s += "risk after:\n";
        s += &indent(&self.risk_after.to_text());
        if self.issues_total > 0 {
            s += &format!("issues: {} (first {} listed)\n", self.issues_total, self.issues.len().min(20));
            for i in self.issues.iter().take(20) {
                s += &format!("  {i}\n");
            }
        }
        s
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

#[cfg(test)]
mod tests;
