//! Generalization hierarchies: user tables in ARX's CSV format and built-ins.
//!
//! A hierarchy says, for each original value, what it becomes at each level of generalization
//! (`39 → 35-39 → 30-39 → 20-39 → *`). The search picks one level per quasi-identifier, so every
//! hierarchy must be a *tree*: two values that share a level-i label must share every label above
//! it, otherwise raising a level could split an equivalence class and the search's pruning
//! (monotonicity) would be wrong. Tables are checked for that and rejected with the line number.
//!
//! Built-ins cover what Japanese medical tables need most: ages in 5/10/20-year bands with
//! top-coding, any integer in nested bands, dates → year-month → year, addresses → prefecture,
//! postal codes → 3-digit area → 1-digit region or → prefecture (Japan Post table), ICD-10 codes → 3-character category → chapter.
//! A value a hierarchy cannot place (not in the table, not a number, not a date) is *missing*:
//! the record is suppressed and reported, never released raw.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::error::AnonError;
use crate::address::{AddressPolicy, coarsen_address};
use crate::date_forms::parse_date_value;
use crate::postal::{postal_digits, prefecture_of_postal_code};

/// Where a quasi-identifier's hierarchy comes from (policy file syntax).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum HierarchySpec {
    /// An ARX-style CSV: `value;level1;level2;…` per line.
    File(String),
    /// Integer ages in nested bands (`[5, 10, 20]`), optional top-coding (`top = 90`: 90以上).
    Age {
        #[serde(default = "default_age_bands")]
        bands: Vec<u32>,
        #[serde(default)]
        top: Option<i64>,
    },
    /// Any integer (e.g. 体重, 収縮期血圧) in nested bands, optional top/bottom coding.
    Numeric {
        bands: Vec<u32>,
        #[serde(default)]
        top: Option<i64>,
        #[serde(default)]
        bottom: Option<i64>,
    },
    /// Dates (`YYYY-MM-DD`, `YYYY/M/D`, `YYYYMMDD`) → year-month → year.
    Date,
    /// Japanese addresses → prefecture (都道府県).
    Prefecture,
    /// Japanese postal codes (7 digits) → first 3 digits → first digit.
    PostalCode,
    /// Japanese postal codes → prefecture (Japan Post's table, `crate::postal`); a code that
    /// decides no prefecture is not placed (its record is suppressed).
    PostalPrefecture,
    /// ICD-10 codes → 3-character category → chapter.
    Icd10,
    /// Kept or suppressed, nothing in between.
    Suppress,
}

fn default_age_bands() -> Vec<u32> {
    vec![5, 10, 20]
}

/// A parsed ARX-style hierarchy table.
#[derive(Debug, Clone, PartialEq)]
pub struct HierarchyTable {
    name: String,
    /// original value → its labels at levels 1..=height
    chains: HashMap<String, Vec<String>>,
    height: usize,
}

impl HierarchyTable {
    /// Parses `text` (`sep`-separated, one original value per line, then its generalizations).
    /// Errors name the line: ragged rows, duplicate values, empty labels, non-tree structure.
    pub fn parse(name: &str, text: &str, sep: char) -> Result<HierarchyTable, AnonError> {
        let err = |line: usize, problem: String| AnonError::Hierarchy { name: name.to_string(), line, problem };
        let mut chains = HashMap::new();
        let mut width = None;
        // parent[level][label] = (label one level up, line that set it)
        let mut parents: Vec<HashMap<String, (String, usize)>> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim_start_matches('\u{feff}').trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<String> = line.split(sep).map(|f| f.trim().to_string()).collect();
            let expected = *width.get_or_insert(fields.len());
            if fields.len() != expected {
                return Err(err(line_no, format!("{} fields, but the first row has {expected}", fields.len())));
            }
            if fields.len() < 2 {
                return Err(err(
                    line_no,
                    format!("a value and at least one generalization are needed (separator '{sep}')"),
                ));
            }
            if let Some(level) = fields.iter().position(|f| f.is_empty()) {
                return Err(err(line_no, format!("empty label at level {level}")));
            }
            parents.resize_with(fields.len() - 1, HashMap::new);
            for level in 0..fields.len() - 1 {
                let (child, parent) = (&fields[level], &fields[level + 1]);
                match parents[level].get(child) {
                    Some((p, first)) if p != parent && level > 0 => {
                        return Err(err(
                            line_no,
                            format!(
                                "'{child}' at level {level} generalizes to '{parent}' here but to '{p}' on line {first}: \
                                 a hierarchy must be a tree"
                            ),
                        ));
                    }
                    Some(_) if level == 0 => {
                        let first = parents[0][child].1;
                        return Err(err(line_no, format!("'{child}' is listed twice (first on line {first})")));
                    }
                    Some(_) => {}
                    None => {
                        parents[level].insert(child.clone(), (parent.clone(), line_no));
                    }
                }
            }
            chains.insert(fields[0].clone(), fields[1..].to_vec());
        }
        let height = width.ok_or_else(|| err(0, "the hierarchy is empty".to_string()))? - 1;
        Ok(HierarchyTable { name: name.to_string(), chains, height })
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A hierarchy ready to generalize values.
#[derive(Debug, Clone, PartialEq)]
pub enum Hierarchy {
    Table(HierarchyTable),
    Builtin(HierarchySpec),
}

impl Hierarchy {
    /// Resolves a spec; `files` maps file names (as written in the policy) to their text.
    pub fn from_spec(spec: &HierarchySpec, files: &HashMap<String, String>, sep: char) -> Result<Hierarchy, AnonError> {
        match spec {
            HierarchySpec::File(name) => {
                let text = files.get(name).ok_or_else(|| AnonError::MissingHierarchyFile(name.clone()))?;
                Ok(Hierarchy::Table(HierarchyTable::parse(name, text, sep)?))
            }
            HierarchySpec::Age { bands, .. } | HierarchySpec::Numeric { bands, .. } => {
                check_bands(bands)?;
                Ok(Hierarchy::Builtin(spec.clone()))
            }
            other => Ok(Hierarchy::Builtin(other.clone())),
        }
    }

    /// Levels above the original (the top level is usually `*`).
    pub fn height(&self) -> usize {
        match self {
            Hierarchy::Table(t) => t.height,
            Hierarchy::Builtin(spec) => match spec {
                HierarchySpec::Age { bands, .. } | HierarchySpec::Numeric { bands, .. } => bands.len() + 1,
                HierarchySpec::Date | HierarchySpec::PostalCode | HierarchySpec::Icd10 => 3,
                HierarchySpec::Prefecture | HierarchySpec::PostalPrefecture => 2,
                HierarchySpec::Suppress | HierarchySpec::File(_) => 1,
            },
        }
    }

    /// The labels of `value` at levels 1..=height, or `None` if the hierarchy cannot place it.
    pub fn chain(&self, value: &str) -> Option<Vec<String>> {
        match self {
            Hierarchy::Table(t) => t.chains.get(value).cloned(),
            Hierarchy::Builtin(spec) => builtin_chain(spec, value),
        }
    }

    /// A short description for reports.
    pub fn describe(&self) -> String {
        match self {
            Hierarchy::Table(t) => format!("file {}", t.name),
            Hierarchy::Builtin(spec) => match spec {
                HierarchySpec::Age { bands, top } => format!("age bands {bands:?}{}", top_text(*top)),
                HierarchySpec::Numeric { bands, top, .. } => format!("numeric bands {bands:?}{}", top_text(*top)),
                HierarchySpec::Date => "date → year-month → year".into(),
                HierarchySpec::Prefecture => "address → prefecture".into(),
                HierarchySpec::PostalCode => "postal code → 3 digits → 1 digit".into(),
                HierarchySpec::PostalPrefecture => "postal code → prefecture".into(),
                HierarchySpec::Icd10 => "ICD-10 → category → chapter".into(),
                HierarchySpec::Suppress | HierarchySpec::File(_) => "kept or suppressed".into(),
            },
        }
    }
}

fn top_text(top: Option<i64>) -> String {
    top.map(|t| format!(", top-coded at {t}")).unwrap_or_default()
}

fn check_bands(bands: &[u32]) -> Result<(), AnonError> {
    let bad = |p: String| AnonError::Policy(format!("hierarchy bands {bands:?}: {p}"));
    if bands.is_empty() || bands.contains(&0) {
        return Err(bad("need at least one band width, each above 0".into()));
    }
    for w in bands.windows(2) {
        if w[1] % w[0] != 0 {
            return Err(bad(format!("{} is not a multiple of {}: bands must nest", w[1], w[0])));
        }
    }
    Ok(())
}

fn builtin_chain(spec: &HierarchySpec, value: &str) -> Option<Vec<String>> {
    let star = || "*".to_string();
    match spec {
        HierarchySpec::Age { bands, top } => numeric_chain(value, bands, *top, None),
        HierarchySpec::Numeric { bands, top, bottom } => numeric_chain(value, bands, *top, *bottom),
        HierarchySpec::Date => {
            let d = parse_date_value(value)?;
            Some(vec![d.write_year_month()?, d.write_year()?, star()])
        }
        HierarchySpec::Prefecture => Some(vec![coarsen_address(value, AddressPolicy::Prefecture)?, star()]),
        HierarchySpec::PostalCode => {
            let digits = postal_digits(value)?;
            Some(vec![format!("{}****", &digits[..3]), format!("{}******", &digits[..1]), star()])
        }
        HierarchySpec::PostalPrefecture => Some(vec![prefecture_of_postal_code(value)?.to_string(), star()]),
        HierarchySpec::Icd10 => {
            let (category, chapter) = icd10_category_and_chapter(value)?;
            Some(vec![category, chapter.to_string(), star()])
        }
        HierarchySpec::Suppress | HierarchySpec::File(_) => Some(vec![star()]),
    }
}

fn numeric_chain(value: &str, bands: &[u32], top: Option<i64>, bottom: Option<i64>) -> Option<Vec<String>> {
    // Beyond ±1e15 integer bands are meaningless (and i64 arithmetic could overflow): not placed.
    let v = value.trim().parse::<f64>().ok().filter(|v| v.abs() < 1e15)?.floor() as i64;
    let label = match (top, bottom) {
        (Some(t), _) if v >= t => Some(format!("{t}以上")),
        (_, Some(b)) if v <= b => Some(format!("{b}以下")),
        _ => None,
    };
    let mut chain: Vec<String> = bands
        .iter()
        .map(|&w| {
            label.clone().unwrap_or_else(|| {
                let lo = v.div_euclid(w as i64) * w as i64;
                format!("{lo}-{}", lo + w as i64 - 1)
            })
        })
        .collect();
    chain.push("*".to_string());
    Some(chain)
}

/// WHO ICD-10 chapters: (first code, last code, label).
const ICD10_CHAPTERS: [(&str, &str, &str); 22] = [
    ("A00", "B99", "I (A00-B99)"),
    ("C00", "D48", "II (C00-D48)"),
    ("D50", "D89", "III (D50-D89)"),
    ("E00", "E90", "IV (E00-E90)"),
    ("F00", "F99", "V (F00-F99)"),
    ("G00", "G99", "VI (G00-G99)"),
    ("H00", "H59", "VII (H00-H59)"),
    ("H60", "H95", "VIII (H60-H95)"),
    ("I00", "I99", "IX (I00-I99)"),
    ("J00", "J99", "X (J00-J99)"),
    ("K00", "K93", "XI (K00-K93)"),
    ("L00", "L99", "XII (L00-L99)"),
    ("M00", "M99", "XIII (M00-M99)"),
    ("N00", "N99", "XIV (N00-N99)"),
    ("O00", "O99", "XV (O00-O99)"),
    ("P00", "P96", "XVI (P00-P96)"),
    ("Q00", "Q99", "XVII (Q00-Q99)"),
    ("R00", "R99", "XVIII (R00-R99)"),
    ("S00", "T98", "XIX (S00-T98)"),
    ("V01", "Y98", "XX (V01-Y98)"),
    ("Z00", "Z99", "XXI (Z00-Z99)"),
    ("U00", "U99", "XXII (U00-U99)"),
];

/// `E10.9` → (`E10`, chapter IV). `None` for anything that is not an ICD-10 code.
pub fn icd10_category_and_chapter(code: &str) -> Option<(String, &'static str)> {
    let c: String = code.trim().chars().filter(|c| *c != '.').collect::<String>().to_ascii_uppercase();
    let b = c.as_bytes();
    let valid = b.len() >= 3
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3..].iter().all(|x| x.is_ascii_alphanumeric());
    if !valid {
        return None;
    }
    let category = c[..3].to_string();
    let chapter = ICD10_CHAPTERS.iter().find(|(lo, hi, _)| category.as_str() >= *lo && category.as_str() <= *hi)?;
    Some((category, chapter.2))
}

/// A hierarchy applied to one column's dictionary: every level as codes, so the engine
/// generalizes by table lookup.
#[derive(Debug, Clone)]
pub struct CompiledHierarchy {
    /// `labels[level][code]`; level 0 is the column's own dictionary.
    pub labels: Vec<Vec<String>>,
    /// `to_level[level][code0]`: the level-`level` code of original code `code0`.
    pub to_level: Vec<Vec<u32>>,
    /// `parent[level][code]`: the level-`level+1` code of a level-`level` code.
    pub parent: Vec<Vec<u32>>,
    /// Original codes the hierarchy could not place (their records are suppressed).
    pub missing: Vec<bool>,
    /// `leaves[level][code]`: how many placed original values fall under the label.
    pub leaves: Vec<Vec<u32>>,
    /// Number of placed original values.
    pub domain: u32,
}

impl CompiledHierarchy {
    /// Compiles `h` for the column named `column` whose distinct values are `dict`.
    pub fn compile(h: &Hierarchy, column: &str, dict: &[String]) -> Result<CompiledHierarchy, AnonError> {
        let height = h.height();
        let mut labels: Vec<Vec<String>> = vec![dict.to_vec()];
        let mut index: Vec<HashMap<String, u32>> = vec![HashMap::new(); height + 1];
        labels.resize_with(height + 1, Vec::new);
        let mut to_level = vec![vec![0u32; dict.len()]; height + 1];
        let mut missing = vec![false; dict.len()];
        for (code0, value) in dict.iter().enumerate() {
            to_level[0][code0] = code0 as u32;
            let Some(chain) = h.chain(value).filter(|c| c.len() == height) else {
                missing[code0] = true;
                continue;
            };
            for (i, label) in chain.into_iter().enumerate() {
                let level = i + 1;
                let next = labels[level].len() as u32;
                let code = *index[level].entry(label.clone()).or_insert_with(|| {
                    labels[level].push(label);
                    next
                });
                to_level[level][code0] = code;
            }
        }
        let parent = parents(&to_level, &labels, &missing).map_err(|(level, label)| AnonError::Column {
            column: column.to_string(),
            problem: format!("hierarchy {}: '{label}' at level {level} has two parents (not a tree)", h.describe()),
        })?;
        let mut leaves: Vec<Vec<u32>> = labels.iter().map(|l| vec![0u32; l.len()]).collect();
        for code0 in (0..dict.len()).filter(|&c| !missing[c]) {
            for level in 0..=height {
                leaves[level][to_level[level][code0] as usize] += 1;
            }
        }
        let domain = missing.iter().filter(|m| !**m).count() as u32;
        Ok(CompiledHierarchy { labels, to_level, parent, missing, leaves, domain })
    }

    pub fn height(&self) -> usize {
        self.labels.len() - 1
    }
}

type ParentConflict = (usize, String);

fn parents(to_level: &[Vec<u32>], labels: &[Vec<String>], missing: &[bool]) -> Result<Vec<Vec<u32>>, ParentConflict> {
    let height = labels.len() - 1;
    let mut parent: Vec<Vec<u32>> = (0..height).map(|l| vec![u32::MAX; labels[l].len()]).collect();
    for code0 in (0..missing.len()).filter(|&c| !missing[c]) {
        for level in 0..height {
            let (c, p) = (to_level[level][code0], to_level[level + 1][code0]);
            let slot = &mut parent[level][c as usize];
            if *slot != u32::MAX && *slot != p {
                return Err((level, labels[level][c as usize].clone()));
            }
            *slot = p;
        }
    }
    // Codes no placed value reaches (only missing originals at level 0) point at code 0; they
    // never occur in a record the engine groups.
    for level in &mut parent {
        level.iter_mut().filter(|p| **p == u32::MAX).for_each(|p| *p = 0);
    }
    Ok(parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_line(text: &str) -> (usize, String) {
        match HierarchyTable::parse("h.csv", text, ';') {
            Err(AnonError::Hierarchy { line, problem, .. }) => (line, problem),
            other => panic!("expected a hierarchy error, got {other:?}"),
        }
    }

    #[test]
    fn parses_an_arx_table() {
        let t = HierarchyTable::parse("h", "\u{feff}Male;*\r\nFemale;*\n\n", ';').unwrap();
        assert_eq!(t.height(), 1);
        assert_eq!(Hierarchy::Table(t).chain("Female"), Some(vec!["*".to_string()]));
    }

    #[test]
    fn ragged_rows_name_their_line() {
        let (line, problem) = err_line("a;x;*\nb;x;*\nc;*\n");
        assert_eq!(line, 3);
        assert!(problem.contains("2 fields"), "{problem}");
    }

    #[test]
    fn duplicates_and_non_trees_and_empty_labels_name_their_line() {
        assert_eq!(err_line("a;x;*\nb;x;*\na;x;*\n").0, 3);
        let (line, problem) = err_line("a;x;P\nb;x;Q\n");
        assert_eq!(line, 2);
        assert!(problem.contains("tree") && problem.contains("line 1"), "{problem}");
        assert_eq!(err_line("a;;*\n").0, 1);
        assert_eq!(err_line("").0, 0);
        assert_eq!(err_line("a\n").0, 1);
    }

    #[test]
    fn age_bands_nest_and_top_code() {
        let h =
            Hierarchy::from_spec(&HierarchySpec::Age { bands: vec![5, 10, 20], top: Some(90) }, &HashMap::new(), ';')
                .unwrap();
        assert_eq!(h.height(), 4);
        assert_eq!(h.chain("39").unwrap(), vec!["35-39", "30-39", "20-39", "*"]);
        assert_eq!(h.chain("93").unwrap(), vec!["90以上", "90以上", "90以上", "*"]);
        assert_eq!(h.chain("abc"), None);
        assert_eq!(h.chain("1e300"), None);
        assert_eq!(h.chain("-7").unwrap()[0], "-10--6");
        let bad = HierarchySpec::Age { bands: vec![5, 7], top: None };
        assert!(matches!(Hierarchy::from_spec(&bad, &HashMap::new(), ';'), Err(AnonError::Policy(_))));
    }

    #[test]
    fn dates_icd10_postal_and_addresses() {
        let date = Hierarchy::Builtin(HierarchySpec::Date);
        assert_eq!(date.chain("2003/2/14").unwrap(), vec!["2003/2", "2003", "*"]);
        assert_eq!(date.chain("2003-02-14").unwrap(), vec!["2003-02", "2003", "*"]);
        assert_eq!(date.chain("2003-02-30"), None);
        let icd = Hierarchy::Builtin(HierarchySpec::Icd10);
        assert_eq!(icd.chain("e10.9").unwrap(), vec!["E10", "IV (E00-E90)", "*"]);
        assert_eq!(icd.chain("S72.0").unwrap()[1], "XIX (S00-T98)");
        assert_eq!(icd.chain("hello"), None);
        let postal = Hierarchy::Builtin(HierarchySpec::PostalCode);
        assert_eq!(postal.chain("〒100-8914").unwrap(), vec!["100****", "1******", "*"]);
        assert_eq!(postal.chain("100-89"), None);
        let by_post = Hierarchy::Builtin(HierarchySpec::PostalPrefecture);
        assert_eq!(by_post.chain("〒100-8914").unwrap(), vec!["東京都", "*"]);
        assert_eq!(by_post.chain("498-0000"), None, "a code in two prefectures is not placed");
        let pref = Hierarchy::Builtin(HierarchySpec::Prefecture);
        assert_eq!(pref.chain("東京都千代田区永田町1-6-1").unwrap(), vec!["東京都", "*"]);
        assert_eq!(pref.chain("somewhere"), None);
    }

    #[test]
    fn compiling_marks_missing_values_and_counts_leaves() {
        let t = HierarchyTable::parse("h", "a;x;*\nb;x;*\nc;y;*\n", ';').unwrap();
        let dict: Vec<String> = ["b", "zz", "c", "a"].iter().map(|s| s.to_string()).collect();
        let c = CompiledHierarchy::compile(&Hierarchy::Table(t), "col", &dict).unwrap();
        assert_eq!(c.missing, vec![false, true, false, false]);
        assert_eq!(c.domain, 3);
        assert_eq!(c.labels[1], vec!["x", "y"]);
        assert_eq!(c.to_level[1], vec![0, 0, 1, 0]);
        assert_eq!(c.leaves[1], vec![2, 1]);
        assert_eq!(c.leaves[2], vec![3]);
        assert_eq!(c.parent[0][3], 0);
    }
}
