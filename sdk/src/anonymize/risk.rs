//! Re-identification risk of a table under the three classic attacker models.
//!
//! Records are grouped into equivalence classes by their quasi-identifiers; a class of size f
//! in the table corresponds to an estimated F ≥ f people in the population.
//!
//! - **Prosecutor** (the attacker knows their target is in the table): risk of a record = 1/f.
//! - **Journalist** (the attacker has a population register and picks anyone): risk = 1/F.
//! - **Marketer** (the attacker tries to re-identify everyone): the expected share of records
//!   re-identified, (1/n) Σ_classes f/F.
//!
//! **Population model.** Without a population size, the table is taken as the population
//! (F = f): the most conservative choice, and journalist equals prosecutor. With a population
//! size N (policy `population`, CLI `--population`), records are assumed to be a uniform random
//! sample with fraction π = n/N, and a class's population size is estimated by its expectation
//! F̂ = max(f, f/π) (the maximum-likelihood estimate under binomial sampling). ARX instead fits a
//! super-population model (Pitman / Zayatz / SNB) to estimate population uniqueness; the simple
//! estimate here never assumes a class is larger than its expected size, and docs/anonymization.md
//! says how the figures compare.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::table::Column;

/// Highest and average risk of one attacker model, and the share of records above the threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskFigures {
    pub highest: f64,
    pub average: f64,
    /// Fraction of records whose risk exceeds the report's threshold.
    pub records_at_risk: f64,
}

/// One small equivalence class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassSummary {
    pub size: usize,
    /// The class's quasi-identifier values (only for released data; `None` for the input, so a
    /// report never repeats original values).
    pub values: Option<Vec<String>>,
}

/// The risk report (readable with [`RiskReport::to_text`], serializable for the web app).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskReport {
    pub quasi_identifiers: Vec<String>,
    /// Records assessed.
    pub records: usize,
    /// Records left out (suppressed, hence released without any quasi-identifier).
    pub excluded: usize,
    pub classes: usize,
    pub min_class_size: usize,
    pub avg_class_size: f64,
    /// Records alone in their class.
    pub sample_uniques: usize,
    pub sample_uniques_fraction: f64,
    pub population: Option<u64>,
    /// Risk above which a record counts as "at risk" (e.g. 0.2 = classes smaller than 5).
    pub threshold: f64,
    pub prosecutor: RiskFigures,
    pub journalist: RiskFigures,
    pub marketer: f64,
    /// Up to ten smallest classes, smallest first.
    pub smallest_classes: Vec<ClassSummary>,
}

/// Assesses `columns` (the quasi-identifiers) over the rows not `excluded`.
pub fn assess(
    columns: &[&Column],
    excluded: Option<&[bool]>,
    population: Option<u64>,
    threshold: f64,
    show_values: bool,
) -> RiskReport {
    let n_rows = columns.first().map(|c| c.codes.len()).unwrap_or(0);
    let keep = |r: usize| excluded.is_none_or(|e| !e[r]);
    let mut classes: HashMap<Vec<u32>, (usize, usize)> = HashMap::new();
    let mut records = 0usize;
    for row in (0..n_rows).filter(|&r| keep(r)) {
        let key: Vec<u32> = columns.iter().map(|c| c.codes[row]).collect();
        classes.entry(key).or_insert((0, row)).0 += 1;
        records += 1;
    }
    if columns.is_empty() {
        // No quasi-identifiers: every record is indistinguishable from every other.
        records = excluded.map(|e| e.iter().filter(|x| !**x).count()).unwrap_or(0);
        if records > 0 {
            classes.insert(Vec::new(), (records, 0));
        }
    }
    let n = records.max(1) as f64;
    let scale = population.map(|p| (p as f64 / n).max(1.0)).unwrap_or(1.0);
    let mut sizes: Vec<(usize, usize)> = classes.values().copied().collect();
    sizes.sort_unstable();
    let (mut pros_sum, mut jour_sum, mut pros_risky, mut jour_risky) = (0.0, 0.0, 0usize, 0usize);
    let mut jour_high: f64 = 0.0;
    for &(f, _) in &sizes {
        let big_f = (f as f64 * scale).max(f as f64);
        pros_sum += 1.0;
        jour_sum += f as f64 / big_f;
        if 1.0 / f as f64 > threshold {
            pros_risky += f;
        }
        if 1.0 / big_f > threshold {
            jour_risky += f;
        }
        jour_high = jour_high.max(1.0 / big_f);
    }
    let min = sizes.first().map(|s| s.0).unwrap_or(0);
    let uniques = sizes.iter().take_while(|s| s.0 == 1).count();
    let frac = |x: usize| if records == 0 { 0.0 } else { x as f64 / records as f64 };
    RiskReport {
        quasi_identifiers: columns.iter().map(|c| c.name.clone()).collect(),
        records,
        excluded: n_rows.saturating_sub(records).min(excluded.map(|e| e.iter().filter(|x| **x).count()).unwrap_or(0)),
        classes: sizes.len(),
        min_class_size: min,
        avg_class_size: if sizes.is_empty() { 0.0 } else { records as f64 / sizes.len() as f64 },
        sample_uniques: uniques,
        sample_uniques_fraction: frac(uniques),
        population,
        threshold,
        prosecutor: RiskFigures {
            highest: if min == 0 { 0.0 } else { 1.0 / min as f64 },
            average: if records == 0 { 0.0 } else { pros_sum / n },
            records_at_risk: frac(pros_risky),
        },
        journalist: RiskFigures {
            highest: jour_high,
            average: if records == 0 { 0.0 } else { jour_sum / n },
            records_at_risk: frac(jour_risky),
        },
        marketer: if records == 0 { 0.0 } else { jour_sum / n },
        smallest_classes: sizes
            .iter()
            .take(10)
            .map(|&(size, row)| ClassSummary {
                size,
                values: show_values.then(|| columns.iter().map(|c| c.value(row).to_string()).collect()),
            })
            .collect(),
    }
}

impl RiskReport {
    /// A few readable lines.
    pub fn to_text(&self) -> String {
        let pct = |x: f64| format!("{:.2}%", 100.0 * x);
        let mut s = format!(
            "{} records in {} classes over [{}] (smallest {}, average {:.1}){}\n",
            self.records,
            self.classes,
            self.quasi_identifiers.join(", "),
            self.min_class_size,
            self.avg_class_size,
            if self.excluded > 0 {
                format!("; {} suppressed records not assessed", self.excluded)
            } else {
                String::new()
            }
        );
        s += &format!("  sample uniques   {} ({})\n", self.sample_uniques, pct(self.sample_uniques_fraction));
        s += &format!(
            "  prosecutor risk  highest {}  average {}  records at risk (> {}) {}\n",
            pct(self.prosecutor.highest),
            pct(self.prosecutor.average),
            pct(self.threshold),
            pct(self.prosecutor.records_at_risk)
        );
        let model = match self.population {
            Some(p) => format!("population {p}"),
            None => "population = this table".into(),
        };
        s += &format!(
            "  journalist risk  highest {}  average {}  records at risk {}  ({model})\n",
            pct(self.journalist.highest),
            pct(self.journalist.average),
            pct(self.journalist.records_at_risk)
        );
        s += &format!("  marketer risk    {}\n", pct(self.marketer));
        let smallest: Vec<String> = self
            .smallest_classes
            .iter()
            .map(|c| match &c.values {
                Some(v) => format!("{} [{}]", c.size, v.join(", ")),
                None => c.size.to_string(),
            })
            .collect();
        s += &format!("  smallest classes {}\n", smallest.join("; "));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risks_of_a_hand_table() {
        // Classes: (M,30) ×3, (F,30) ×1, (F,40) ×2 → sizes 1, 2, 3.
        let sex = Column::from_values("sex", ["M", "M", "M", "F", "F", "F"]);
        let age = Column::from_values("age", ["30", "30", "30", "30", "40", "40"]);
        let r = assess(&[&sex, &age], None, None, 0.4, true);
        assert_eq!((r.records, r.classes, r.min_class_size, r.sample_uniques), (6, 3, 1, 1));
        assert!((r.prosecutor.highest - 1.0).abs() < 1e-12);
        assert!((r.prosecutor.average - 0.5).abs() < 1e-12, "3 classes / 6 records");
        // risk > 0.4: the unique (1) and the pair (0.5): 3 records.
        assert!((r.prosecutor.records_at_risk - 0.5).abs() < 1e-12);
        assert_eq!(r.journalist, r.prosecutor, "without a population the table is the population");
        assert_eq!(r.smallest_classes[0].values.as_deref(), Some(&["F".to_string(), "30".to_string()][..]));
        // A population ten times the table: every class is estimated ten times larger.
        let p = assess(&[&sex, &age], None, Some(60), 0.4, false);
        assert!((p.journalist.highest - 0.1).abs() < 1e-12);
        // Marketer: Σ_records 1/F / n = 3 classes × (f/F = 0.1) / 6 records.
        assert!((p.marketer - 0.05).abs() < 1e-12);
        assert_eq!(p.journalist.records_at_risk, 0.0);
        assert!(p.smallest_classes[0].values.is_none());
    }

    #[test]
    fn excluded_rows_are_not_assessed() {
        let sex = Column::from_values("sex", ["M", "F", "F"]);
        let r = assess(&[&sex], Some(&[true, false, false]), None, 0.2, false);
        assert_eq!((r.records, r.excluded, r.classes, r.min_class_size), (2, 1, 1, 2));
    }
}
