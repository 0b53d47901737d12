//! Typed errors of the anonymization engine. Each names what it is about (row, column, hierarchy
//! line) so a hospital engineer can fix the input without guessing.

use thiserror::Error;

/// A problem that stops one anonymization run (bad policy, bad hierarchy, impossible settings).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AnonError {
    #[error("policy: {0}")]
    Policy(String),
    #[error("policy: column '{0}' is not in the table (columns: {1})")]
    UnknownColumn(String, String),
    #[error("hierarchy '{name}', line {line}: {problem}")]
    Hierarchy { name: String, line: usize, problem: String },
    #[error("hierarchy file '{0}' was not supplied (pass its text under this name)")]
    MissingHierarchyFile(String),
    #[error("column '{column}': {problem}")]
    Column { column: String, problem: String },
    #[error("date shifting needs the project key")]
    KeyRequired,
    #[error(
        "the quasi-identifiers need {bits} bits per record after dictionary encoding (at most 128): \
         generalize high-cardinality columns with a value transform first, or use fewer quasi-identifiers"
    )]
    TooManyBits { bits: u32 },
    #[error(
        "the generalization lattice has {0} nodes (at most 50,000,000): use shorter hierarchies or fewer quasi-identifiers"
    )]
    LatticeTooLarge(u128),
    #[error(
        "no generalization satisfies the privacy models within the suppression limit ({limit:.1}% of {rows} rows); \
         the fully generalized table still needs {needed} rows suppressed"
    )]
    NoSolution { limit: f64, rows: usize, needed: usize },
}

/// A problem with one record or cell. The record is never released raw: it is dropped (wrong
/// column count) or its cell/record suppressed, and the issue is listed in the report.
#[derive(Debug, Clone, PartialEq, Eq, Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RecordIssue {
    #[error("row {row}: {found} fields, expected {expected}; the row was dropped")]
    WrongFieldCount { row: usize, found: usize, expected: usize },
    #[error("row {row}, column '{column}': value not in the hierarchy; the record was suppressed")]
    NotInHierarchy { row: usize, column: String },
    /// A row the table reader could not trust (wrong field count, undecodable bytes), named by
    /// its line in the file.
    #[error("line {line}: {problem}; the row was dropped")]
    Unreadable { line: u64, problem: String },
    #[error("row {row}, column '{column}': {problem}; the cell was suppressed")]
    BadValue { row: usize, column: String, problem: String },
    /// Released, but the output encoding (CP932) lacks some of the cell's characters.
    #[error("row {row}, column '{column}': {count} character(s) the output encoding cannot write, written as 〓")]
    NotEncodable { row: usize, column: String, count: usize },
}
