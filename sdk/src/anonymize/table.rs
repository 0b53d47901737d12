//! The in-memory table: dictionary-encoded columns.
//!
//! **Why dictionary encoding.** Every step of anonymization — generalizing, grouping records
//! into equivalence classes, counting sensitive values — works on *distinct values*, of which a
//! column has few (Adult: 72 ages for 30,162 rows). Storing each column as `u32` codes into a
//! dictionary makes a generalization a table lookup per distinct value, lets a record's
//! quasi-identifiers be packed into one integer for hashing, and keeps a million rows of nine
//! columns in 36 MB plus the dictionaries. The engine never touches strings in its hot loops.

use std::collections::HashMap;

use super::error::RecordIssue;

/// One column: `codes[row]` indexes `dict`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub dict: Vec<String>,
    pub codes: Vec<u32>,
}

impl Column {
    /// Encodes `values` (one per row).
    pub fn from_values<'a>(name: &str, values: impl IntoIterator<Item = &'a str>) -> Column {
        let mut enc = Encoder::default();
        let codes = values.into_iter().map(|v| enc.code(v)).collect();
        Column { name: name.to_string(), dict: enc.dict, codes }
    }

    /// The value of `row`.
    pub fn value(&self, row: usize) -> &str {
        &self.dict[self.codes[row] as usize]
    }

    /// How many rows hold each code.
    pub fn counts(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.dict.len()];
        for &c in &self.codes {
            counts[c as usize] += 1;
        }
        counts
    }
}

/// Assigns codes to strings in first-seen order.
#[derive(Debug, Default)]
pub struct Encoder {
    index: HashMap<String, u32>,
    pub dict: Vec<String>,
}

impl Encoder {
    pub fn code(&mut self, value: &str) -> u32 {
        if let Some(&c) = self.index.get(value) {
            return c;
        }
        let c = self.dict.len() as u32;
        self.index.insert(value.to_string(), c);
        self.dict.push(value.to_string());
        c
    }
}

/// A table of equally long columns. `row_numbers[i]` is the 1-based data row (after the
/// header) that row `i` came from, so issues name the row the user sees in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub row_numbers: Vec<usize>,
}

impl Table {
    /// Builds a table from a header and rows of fields. A row with the wrong number of fields is
    /// dropped and reported (never half-read); the others are kept.
    pub fn from_rows<R, S>(header: &[String], rows: impl IntoIterator<Item = R>) -> (Table, Vec<RecordIssue>)
    where
        R: AsRef<[S]>,
        S: AsRef<str>,
    {
        let mut builder = TableBuilder::new(header);
        let mut issues = Vec::new();
        for (i, row) in rows.into_iter().enumerate() {
            if let Err(issue) = builder.push(i + 1, row.as_ref()) {
                issues.push(issue);
            }
        }
        (builder.finish(), issues)
    }

    pub fn n_rows(&self) -> usize {
        self.row_numbers.len()
    }

    pub fn header(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Row `row` as strings (for writing out).
    pub fn row(&self, row: usize) -> impl Iterator<Item = &str> {
        self.columns.iter().map(move |c| c.value(row))
    }
}

/// Builds a [`Table`] row by row (the CLI streams a CSV through it).
#[derive(Debug)]
pub struct TableBuilder {
    names: Vec<String>,
    encoders: Vec<Encoder>,
    codes: Vec<Vec<u32>>,
    row_numbers: Vec<usize>,
}

impl TableBuilder {
    pub fn new(header: &[String]) -> TableBuilder {
        TableBuilder {
            names: header.to_vec(),
            encoders: header.iter().map(|_| Encoder::default()).collect(),
            codes: header.iter().map(|_| Vec::new()).collect(),
            row_numbers: Vec::new(),
        }
    }

    /// Adds data row `row_number` (1-based, header excluded).
    pub fn push<S: AsRef<str>>(&mut self, row_number: usize, fields: &[S]) -> Result<(), RecordIssue> {
        if fields.len() != self.names.len() {
            return Err(RecordIssue::WrongFieldCount {
                row: row_number,
                found: fields.len(),
                expected: self.names.len(),
            });
        }
        for ((enc, codes), f) in self.encoders.iter_mut().zip(&mut self.codes).zip(fields) {
            codes.push(enc.code(f.as_ref().trim()));
        }
        self.row_numbers.push(row_number);
        Ok(())
    }

    pub fn finish(self) -> Table {
        let columns = self
            .names
            .into_iter()
            .zip(self.encoders)
            .zip(self.codes)
            .map(|((name, enc), codes)| Column { name, dict: enc.dict, codes })
            .collect();
        Table { columns, row_numbers: self.row_numbers }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_dictionary_encoded_and_bad_rows_reported_with_their_number() {
        let header = vec!["sex".to_string(), "age".to_string()];
        let rows = vec![vec!["M", "39"], vec!["F", "39"], vec!["M"], vec!["M", " 50 "]];
        let (t, issues) = Table::from_rows(&header, &rows);
        assert_eq!(t.n_rows(), 3);
        assert_eq!(t.columns[0].dict, vec!["M", "F"]);
        assert_eq!(t.columns[0].codes, vec![0, 1, 0]);
        assert_eq!(t.columns[1].value(2), "50");
        assert_eq!(t.row_numbers, vec![1, 2, 4]);
        assert_eq!(issues, vec![RecordIssue::WrongFieldCount { row: 3, found: 1, expected: 2 }]);
        assert_eq!(t.row(1).collect::<Vec<_>>(), vec!["F", "39"]);
    }
}
