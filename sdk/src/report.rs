//! Processing reports: what was done to each item, never the original values.
//!
//! A report must let a hospital engineer or a review committee check what happened to every
//! attribute of every file without the report itself becoming a leak, so it names attributes,
//! actions and the rule that chose them, and carries no original value. Batch summaries count
//! outcomes and actions so a 10,000-file run fits on one screen.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What happened to one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// Removed (X).
    Removed,
    /// Replaced by a zero-length value (Z).
    Emptied,
    /// Replaced by a non-identifying dummy value (D).
    Dummy,
    /// Replaced by a keyed pseudonym (patient name/ID, accession number…).
    Pseudonymized,
    /// UID replaced by its keyed `2.25.` mapping (U).
    UidMapped,
    /// Date/time shifted by the patient's keyed offset.
    DateShifted,
    /// Date coarsened (year-month, year).
    DateCoarsened,
    /// Age top-coded.
    TopCoded,
    /// Address coarsened to prefecture / municipality.
    AddressCoarsened,
    /// Free text cleaned: identifying content replaced (C).
    Cleaned,
    /// Kept unchanged by an option or a reviewed rule (K).
    Kept,
    /// Pixel regions blanked (burned-in text).
    PixelsBlanked,
    /// A de-identification marker was added.
    MarkerAdded,
}

impl ActionKind {
    /// The kebab-case name used in reports (same as the serialized form).
    pub fn label(self) -> &'static str {
        match self {
            ActionKind::Removed => "removed",
            ActionKind::Emptied => "emptied",
            ActionKind::Dummy => "dummy",
            ActionKind::Pseudonymized => "pseudonymized",
            ActionKind::UidMapped => "uid-mapped",
            ActionKind::DateShifted => "date-shifted",
            ActionKind::DateCoarsened => "date-coarsened",
            ActionKind::TopCoded => "top-coded",
            ActionKind::AddressCoarsened => "address-coarsened",
            ActionKind::Cleaned => "cleaned",
            ActionKind::Kept => "kept",
            ActionKind::PixelsBlanked => "pixels-blanked",
            ActionKind::MarkerAdded => "marker-added",
        }
    }
}

/// The final state of one processed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// De-identified and written.
    Deidentified,
    /// Not written to the output: kept aside with a reason (unsafe to release as is).
    Quarantined,
    /// Not a file this capability handles (e.g. not DICOM); nothing written.
    Skipped,
    /// Could not be read or processed; nothing written.
    Failed,
}

/// Counts over a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchSummary {
    pub items: usize,
    pub outcomes: BTreeMap<Outcome, usize>,
    pub actions: BTreeMap<ActionKind, usize>,
    /// Warning and quarantine reasons by their short code.
    pub reasons: BTreeMap<String, usize>,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

impl BatchSummary {
    /// Adds one item's outcome, its actions and its reason codes.
    pub fn add(
        &mut self,
        outcome: Outcome,
        actions: impl IntoIterator<Item = ActionKind>,
        reasons: impl IntoIterator<Item = String>,
        bytes_in: u64,
        bytes_out: u64,
    ) {
        self.items += 1;
        *self.outcomes.entry(outcome).or_default() += 1;
        for a in actions {
            *self.actions.entry(a).or_default() += 1;
        }
        for r in reasons {
            *self.reasons.entry(r).or_default() += 1;
        }
        self.bytes_in += bytes_in;
        self.bytes_out += bytes_out;
    }

    /// The number of items with `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.outcomes.get(&outcome).copied().unwrap_or(0)
    }

    /// A short human-readable summary (several lines).
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{} files: {} de-identified, {} quarantined, {} skipped, {} failed\n",
            self.items,
            self.count(Outcome::Deidentified),
            self.count(Outcome::Quarantined),
            self.count(Outcome::Skipped),
            self.count(Outcome::Failed)
        );
        if !self.actions.is_empty() {
            s.push_str("actions:");
            for (a, n) in &self.actions {
                s.push_str(&format!(" {}={n}", a.label()));
            }
            s.push('\n');
        }
        for (r, n) in &self.reasons {
            s.push_str(&format!("  {n:>6} × {r}\n"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_the_serialized_names() {
        for a in [ActionKind::UidMapped, ActionKind::DateShifted, ActionKind::PixelsBlanked] {
            assert_eq!(serde_json::to_string(&a).expect("serializes"), format!("\"{}\"", a.label()));
        }
    }

    #[test]
    fn summary_counts_and_renders() {
        let mut s = BatchSummary::default();
        s.add(Outcome::Deidentified, [ActionKind::Removed, ActionKind::Removed], [], 10, 8);
        s.add(Outcome::Quarantined, [], ["burned-in-annotation".to_string()], 5, 0);
        assert_eq!(s.count(Outcome::Deidentified), 1);
        assert_eq!(s.actions[&ActionKind::Removed], 2);
        let text = s.to_text();
        assert!(text.starts_with("2 files: 1 de-identified, 1 quarantined"), "{text}");
        assert!(text.contains("1 × burned-in-annotation"), "{text}");
    }
}
