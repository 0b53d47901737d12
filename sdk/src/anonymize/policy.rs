//! The anonymization policy: what each column is, how it is transformed, which privacy models
//! the released table must satisfy. The same structure is read from TOML (CLI) and JSON (CLI,
//! wasm, web app); docs/anonymization.md documents every field.

use serde::{Deserialize, Serialize};

use super::hierarchy::HierarchySpec;
use super::transform::Transform;

/// A whole policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub privacy: PrivacySettings,
    /// The column identifying the patient: rare categories count patients, dates shift per patient.
    #[serde(default)]
    pub patient: Option<String>,
    /// Separator of hierarchy files (ARX uses `;`).
    #[serde(default = "default_separator")]
    pub hierarchy_separator: char,
    /// Columns not listed: removed (default; when unsure, remove) or kept as insensitive.
    #[serde(default)]
    pub unlisted: Unlisted,
    /// Population size for the journalist/marketer risk model (`None`: the table is the population).
    #[serde(default)]
    pub population: Option<u64>,
    #[serde(default)]
    pub columns: Vec<ColumnPolicy>,
}

fn default_separator() -> char {
    ';'
}

/// What happens to columns the policy does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unlisted {
    #[default]
    Remove,
    Keep,
}

/// The privacy models that apply to every equivalence class, the suppression budget and the
/// utility metric the search minimizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// k-anonymity: every released combination of quasi-identifiers is shared by ≥ k records.
    #[serde(default = "default_k")]
    pub k: u32,
    /// Largest fraction that may be suppressed (0.05 = 5 %): of records with record
    /// suppression, of quasi-identifier cells (records × quasi-identifiers) with cell suppression.
    #[serde(default = "default_limit")]
    pub suppression_limit: f64,
    #[serde(default)]
    pub metric: Metric,
    /// What is suppressed for records in classes that fail a model.
    #[serde(default)]
    pub suppression: Suppression,
}

/// How outliers (records in classes that fail a privacy model) are suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Suppression {
    /// Every quasi-identifier of the record becomes `*` (ARX's record suppression).
    #[default]
    Records,
    /// Only the fewest quasi-identifier cells needed for the record to join a class that
    /// satisfies the models become `*` (local suppression); the rest of the record is released.
    Cells,
}

fn default_k() -> u32 {
    5
}
fn default_limit() -> f64 {
    0.05
}

impl Default for PrivacySettings {
    fn default() -> Self {
        PrivacySettings {
            k: default_k(),
            suppression_limit: default_limit(),
            metric: Metric::default(),
            suppression: Suppression::default(),
        }
    }
}

/// The utility metric the search minimizes (all are reported; see docs for the formulas).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    /// ARX "Precision" (non-monotonic precision, generalization intensity).
    #[default]
    Precision,
    /// ARX "Loss" (Iyengar).
    Loss,
    /// Discernibility (Bayardo & Agrawal).
    Discernibility,
    /// Average equivalence class size (LeFevre et al.).
    Aecs,
}

/// The role of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Direct identifier (name, ID, phone): removed.
    Identifier,
    /// Quasi-identifier: generalized by the search.
    Quasi,
    /// Sensitive attribute: released as is, protected by l-diversity / t-closeness.
    Sensitive,
    /// Released as is (after its transforms).
    Insensitive,
}

/// One column's policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnPolicy {
    pub name: String,
    pub role: Role,
    /// Generalization hierarchy (quasi-identifiers; hierarchical t-closeness).
    #[serde(default)]
    pub hierarchy: Option<HierarchySpec>,
    /// Value transforms, applied in order before the search.
    #[serde(default)]
    pub transforms: Vec<Transform>,
    #[serde(default)]
    pub l_diversity: Option<LDiversity>,
    #[serde(default)]
    pub t_closeness: Option<TCloseness>,
}

/// l-diversity of a sensitive column.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LDiversity {
    pub l: f64,
    #[serde(default)]
    pub variant: LVariant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LVariant {
    /// At least l distinct values per class.
    #[default]
    Distinct,
    /// Entropy of the class's values ≥ ln l.
    Entropy,
}

/// t-closeness of a sensitive column.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TCloseness {
    pub t: f64,
    #[serde(default)]
    pub distance: TDistance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TDistance {
    /// Equal ground distance (EMD = half the L1 distance).
    #[default]
    Equal,
    /// Hierarchical ground distance over the column's hierarchy (Li et al. 2007).
    Hierarchical,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_policy_with_every_kind_of_entry_parses() {
        let json = r#"{
          "privacy": {"k": 10, "suppression_limit": 0.02, "metric": "loss"},
          "patient": "pid",
          "columns": [
            {"name": "age", "role": "quasi", "hierarchy": {"age": {"bands": [5, 10], "top": 90}}},
            {"name": "dx", "role": "sensitive", "hierarchy": "icd10",
             "l_diversity": {"l": 3, "variant": "entropy"}, "t_closeness": {"t": 0.2, "distance": "hierarchical"}},
            {"name": "bp", "role": "insensitive", "transforms": [{"top_code": {"at": 201}}, {"band": {"width": 10}}]},
            {"name": "visit", "role": "insensitive", "transforms": [{"date_shift": {}}, {"date_coarsen": "year-month"}]},
            {"name": "country", "role": "quasi", "hierarchy": {"file": "h.csv"}}
          ]
        }"#;
        let p: Policy = serde_json::from_str(json).unwrap();
        assert_eq!(p.privacy.k, 10);
        assert_eq!(p.hierarchy_separator, ';');
        assert_eq!(p.columns[0].hierarchy, Some(HierarchySpec::Age { bands: vec![5, 10], top: Some(90) }));
        assert_eq!(p.columns[1].l_diversity.unwrap().variant, LVariant::Entropy);
        assert_eq!(p.columns[3].transforms.len(), 2);
        let bad = r#"{"columns": [{"name": "a", "role": "quasi", "hierachy": "date"}]}"#;
        assert!(serde_json::from_str::<Policy>(bad).is_err(), "a misspelt field must not be ignored");
    }
}
