//! Value transforms applied to a column before the privacy search: banding (体重 50～55),
//! top/bottom coding (収縮期血圧 201以上), rare-category suppression (diseases seen in fewer
//! than N patients → その他), keyed per-patient date shifting and date coarsening.
//!
//! **Why before the search.** These are the guideline's per-item measures (匿名加工基準): they
//! apply whatever k the search later needs, and they shrink the domains the search works on.
//! Most are functions of the value alone, so they run once per *distinct* value; only date
//! shifting (value × patient) and rare-category counting look at rows.
//!
//! A value a numeric or date transform cannot read is never released raw: the cell becomes `*`
//! and the issue is reported with its row. An empty cell stays empty (a missing value).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use time::Duration;

use super::error::{AnonError, RecordIssue};
use super::table::{Column, Encoder};
use crate::ProjectKey;
use crate::date_forms::parse_date_value;
use crate::dates::{Coarsening, DateShift, ShiftRange};

/// One value transform (policy file syntax: `{ band = { width = 5 } }`, `{ top_code = { at = 201 } }`…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Transform {
    /// Numbers → `[lo, lo + width)` bands, labelled by `format` (`{lo}`, `{hi}`; default `{lo}-{hi}`).
    Band {
        width: f64,
        #[serde(default)]
        origin: f64,
        #[serde(default = "default_band_format")]
        format: String,
    },
    /// Numbers ≥ `at` → `label` (default `{at}以上`).
    TopCode {
        at: f64,
        #[serde(default)]
        label: Option<String>,
    },
    /// Numbers ≤ `at` → `label` (default `{at}以下`).
    BottomCode {
        at: f64,
        #[serde(default)]
        label: Option<String>,
    },
    /// Values held by fewer than `min` patients (records, without a patient column) → `replacement`.
    Rare {
        min: u32,
        #[serde(default = "default_rare_replacement")]
        replacement: String,
    },
    /// Dates moved by the patient's keyed offset (whole weeks back), intervals kept.
    DateShift {
        #[serde(default = "default_min_weeks")]
        min_weeks: u32,
        #[serde(default = "default_max_weeks")]
        max_weeks: u32,
    },
    /// Dates → year-month or year.
    DateCoarsen(Coarsening),
}

fn default_band_format() -> String {
    "{lo}-{hi}".into()
}
fn default_rare_replacement() -> String {
    "その他".into()
}
fn default_min_weeks() -> u32 {
    1
}
fn default_max_weeks() -> u32 {
    52
}

/// What the transforms need besides the column.
pub struct TransformContext<'a> {
    pub key: Option<&'a ProjectKey>,
    /// The patient column (for rare-category counts and date shifts), if the policy names one.
    pub patient: Option<&'a Column>,
    pub row_numbers: &'a [usize],
}

/// The transformed column and the cells that could not be read.
pub struct Transformed {
    pub column: Column,
    pub issues: Vec<RecordIssue>,
    /// Rows whose cell was replaced by `*` because it could not be read.
    pub bad_rows: Vec<usize>,
}

/// Applies `transforms` in order to `column`.
pub fn apply(column: &Column, transforms: &[Transform], ctx: &TransformContext) -> Result<Transformed, AnonError> {
    let mut state = State {
        dict: column.dict.clone(),
        codes: column.codes.clone(),
        coded: vec![false; column.dict.len()],
        bad: vec![None; column.dict.len()],
    };
    for t in transforms {
        state = step(state, t, &column.name, ctx)?;
    }
    let mut issues = Vec::new();
    let mut bad_rows = Vec::new();
    for (row, &c) in state.codes.iter().enumerate() {
        if let Some(problem) = &state.bad[c as usize] {
            issues.push(RecordIssue::BadValue {
                row: ctx.row_numbers[row],
                column: column.name.clone(),
                problem: problem.clone(),
            });
            bad_rows.push(row);
        }
    }
    let values =
        state.codes.iter().map(|&c| if state.bad[c as usize].is_some() { "*" } else { &state.dict[c as usize] });
    Ok(Transformed { column: Column::from_values(&column.name, values), issues, bad_rows })
}

/// A column mid-pipeline: per distinct value, whether a coding transform already produced it
/// (later numeric transforms leave it alone) and whether it was unreadable.
struct State {
    dict: Vec<String>,
    codes: Vec<u32>,
    coded: Vec<bool>,
    bad: Vec<Option<String>>,
}

fn step(s: State, t: &Transform, column: &str, ctx: &TransformContext) -> Result<State, AnonError> {
    match t {
        Transform::Band { width, origin, format } => {
            if !(*width > 0.0 && width.is_finite()) {
                return Err(AnonError::Column {
                    column: column.into(),
                    problem: format!("band width {width} must be > 0"),
                });
            }
            Ok(map_numbers(s, |v| {
                let lo = ((v - origin) / width).floor() * width + origin;
                Some(format.replace("{lo}", &num(lo)).replace("{hi}", &num(lo + width)))
            }))
        }
        Transform::TopCode { at, label } => {
            let l = label.clone().unwrap_or_else(|| "{at}以上".into()).replace("{at}", &num(*at));
            Ok(map_numbers(s, |v| (v >= *at).then(|| l.clone())))
        }
        Transform::BottomCode { at, label } => {
            let l = label.clone().unwrap_or_else(|| "{at}以下".into()).replace("{at}", &num(*at));
            Ok(map_numbers(s, |v| (v <= *at).then(|| l.clone())))
        }
        Transform::Rare { min, replacement } => Ok(rare(s, *min, replacement, ctx.patient)),
        Transform::DateCoarsen(to) => Ok(map_values(s, |v| {
            let d = parse_date_value(v).ok_or("not a date")?;
            let out = match to {
                Coarsening::YearMonth => d.write_year_month(),
                Coarsening::Year => d.write_year(),
            };
            out.ok_or("a date in a form that cannot be written back")
        })),
        Transform::DateShift { min_weeks, max_weeks } => {
            let key = ctx.key.ok_or(AnonError::KeyRequired)?;
            let patient = ctx.patient.ok_or_else(|| AnonError::Column {
                column: column.into(),
                problem: "date_shift needs the policy's `patient` column (whose dates move together)".into(),
            })?;
            let range = ShiftRange { min_weeks: *min_weeks, max_weeks: *max_weeks, shift_time_of_day: false };
            Ok(shift_dates(s, key, patient, range))
        }
    }
}

/// Integers print without a decimal point (`50`, not `50.0`).
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

/// Applies `f` to every readable number not already coded; `None` from `f` keeps the value.
fn map_numbers(s: State, f: impl Fn(f64) -> Option<String>) -> State {
    let mut s = s;
    for i in 0..s.dict.len() {
        if s.coded[i] || s.bad[i].is_some() || s.dict[i].is_empty() {
            continue;
        }
        match s.dict[i].trim().parse::<f64>().ok().filter(|v| v.is_finite()) {
            Some(v) => {
                if let Some(label) = f(v) {
                    s.dict[i] = label;
                    s.coded[i] = true;
                }
            }
            None => s.bad[i] = Some("not a number".into()),
        }
    }
    regroup(s)
}

fn map_values(s: State, f: impl Fn(&str) -> Result<String, &'static str>) -> State {
    let mut s = s;
    for i in 0..s.dict.len() {
        if s.coded[i] || s.bad[i].is_some() || s.dict[i].is_empty() {
            continue;
        }
        match f(&s.dict[i]) {
            Ok(v) => s.dict[i] = v,
            Err(problem) => s.bad[i] = Some(problem.into()),
        }
    }
    regroup(s)
}

/// Merges dictionary entries that became equal.
fn regroup(s: State) -> State {
    let mut enc = Encoder::default();
    let mut coded = Vec::new();
    let mut bad = Vec::new();
    let remap: Vec<u32> = (0..s.dict.len())
        .map(|i| {
            // Unreadable values keep their own entry so each is reported.
            let key = if s.bad[i].is_some() { format!("\u{0}bad{i}") } else { s.dict[i].clone() };
            let c = enc.code(&key);
            if c as usize == coded.len() {
                coded.push(s.coded[i]);
                bad.push(s.bad[i].clone());
            }
            c
        })
        .collect();
    let dict = enc.dict.into_iter().map(|d| if d.starts_with('\u{0}') { String::new() } else { d }).collect();
    State { dict, codes: s.codes.iter().map(|&c| remap[c as usize]).collect(), coded, bad }
}

fn rare(s: State, min: u32, replacement: &str, patient: Option<&Column>) -> State {
    let mut s = s;
    let mut holders = vec![0u32; s.dict.len()];
    match patient {
        Some(p) => {
            let pairs: HashSet<(u32, u32)> = s.codes.iter().zip(&p.codes).map(|(&v, &pt)| (v, pt)).collect();
            pairs.iter().for_each(|(v, _)| holders[*v as usize] += 1);
        }
        None => s.codes.iter().for_each(|&v| holders[v as usize] += 1),
    }
    for (i, &held) in holders.iter().enumerate() {
        if held < min && s.bad[i].is_none() && !s.dict[i].is_empty() {
            s.dict[i] = replacement.to_string();
            s.coded[i] = true;
        }
    }
    regroup(s)
}

fn shift_dates(s: State, key: &ProjectKey, patient: &Column, range: ShiftRange) -> State {
    let mut offsets: HashMap<u32, i64> = HashMap::new();
    let mut enc = Encoder::default();
    let mut coded = Vec::new();
    let mut bad = Vec::new();
    let mut codes = Vec::with_capacity(s.codes.len());
    for (row, &c) in s.codes.iter().enumerate() {
        let (value, pid) = (&s.dict[c as usize], patient.value(row));
        let out: Result<String, String> = if s.bad[c as usize].is_some() || s.coded[c as usize] || value.is_empty() {
            Ok(value.clone())
        } else if pid.is_empty() {
            Err("no patient identifier to key the date shift".into())
        } else {
            let days =
                *offsets.entry(patient.codes[row]).or_insert_with(|| DateShift::for_patient(key, pid, range).days);
            shift_value(value, days)
        };
        let (label, problem) = match out {
            Ok(v) => (v, s.bad[c as usize].clone()),
            Err(p) => (format!("\u{0}bad{row}"), Some(p)),
        };
        let code = enc.code(&label);
        if code as usize == coded.len() {
            coded.push(s.coded[c as usize]);
            bad.push(problem);
        }
        codes.push(code);
    }
    let dict = enc.dict.into_iter().map(|d| if d.starts_with('\u{0}') { String::new() } else { d }).collect();
    State { dict, codes, coded, bad }
}

/// `value` moved by `days`, written in its own form (`2024/1/10` → `2023/12/31`). Refused: a
/// value that is not a whole date (year-month only), a date followed by a time (the time would
/// be released unshifted or lost), a form that cannot be written back.
fn shift_value(value: &str, days: i64) -> Result<String, String> {
    let d = parse_date_value(value).ok_or("not a date")?;
    if d.form.time {
        return Err("a date with a time is not shifted".into());
    }
    let date = d.date().ok_or("not a whole date (no day)")?;
    let moved = date.checked_add(Duration::days(days)).ok_or("date out of range after the shift")?;
    d.write_date(moved).ok_or_else(|| "a date in a form that cannot be written back".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(values: &[&str], transforms: &[Transform]) -> (Vec<String>, Vec<RecordIssue>) {
        let col = Column::from_values("x", values.iter().copied());
        let rows: Vec<usize> = (1..=values.len()).collect();
        let ctx = TransformContext { key: None, patient: None, row_numbers: &rows };
        let t = apply(&col, transforms, &ctx).unwrap();
        ((0..values.len()).map(|r| t.column.value(r).to_string()).collect(), t.issues)
    }

    #[test]
    fn top_coding_wins_over_banding_and_bad_numbers_are_suppressed_and_reported() {
        let tf = [
            Transform::TopCode { at: 201.0, label: None },
            Transform::Band { width: 10.0, origin: 0.0, format: "{lo}～{hi}".into() },
        ];
        let (out, issues) = run(&["120", "205", "abc", "", "201"], &tf);
        assert_eq!(out, vec!["120～130", "201以上", "*", "", "201以上"]);
        assert_eq!(issues, vec![RecordIssue::BadValue { row: 3, column: "x".into(), problem: "not a number".into() }]);
    }

    #[test]
    fn bottom_coding_and_decimal_bands() {
        let tf = [
            Transform::BottomCode { at: 30.0, label: Some("≤{at}".into()) },
            Transform::Band { width: 2.5, origin: 0.0, format: "{lo}-{hi}".into() },
        ];
        assert_eq!(run(&["12", "31.2", "52.4"], &tf).0, vec!["≤30", "30-32.5", "50-52.5"]);
    }

    #[test]
    fn rare_categories_count_records_without_a_patient_column() {
        let tf = [Transform::Rare { min: 2, replacement: "その他".into() }];
        assert_eq!(run(&["a", "b", "a", "c"], &tf).0, vec!["a", "その他", "a", "その他"]);
    }

    #[test]
    fn rare_categories_count_distinct_patients() {
        let col = Column::from_values("dx", ["flu", "flu", "flu", "cold", "cold"]);
        let patient = Column::from_values("pid", ["p1", "p1", "p1", "p2", "p3"]);
        let ctx = TransformContext { key: None, patient: Some(&patient), row_numbers: &[1, 2, 3, 4, 5] };
        let t = apply(&col, &[Transform::Rare { min: 2, replacement: "other".into() }], &ctx).unwrap();
        assert_eq!(t.column.value(0), "other", "flu is one patient's, however many records");
        assert_eq!(t.column.value(3), "cold");
    }

    #[test]
    fn date_shift_keeps_each_patients_intervals_and_needs_a_key() {
        let key = ProjectKey::from_bytes([7u8; 32]);
        let col = Column::from_values("visit", ["2024-01-10", "2024-01-20", "2024-01-10"]);
        let patient = Column::from_values("pid", ["p1", "p1", "p2"]);
        let ctx = TransformContext { key: Some(&key), patient: Some(&patient), row_numbers: &[1, 2, 3] };
        let tf = [Transform::DateShift { min_weeks: 1, max_weeks: 52 }];
        let t = apply(&col, &tf, &ctx).unwrap();
        let d = |r: usize| parse_date_value(t.column.value(r)).and_then(|d| d.date()).unwrap();
        assert_eq!((d(1) - d(0)).whole_days(), 10);
        assert_ne!(t.column.value(0), "2024-01-10");
        let no_key = TransformContext { key: None, ..ctx };
        assert!(matches!(apply(&col, &tf, &no_key), Err(AnonError::KeyRequired)));
    }

    #[test]
    fn date_coarsening_keeps_the_input_style() {
        let tf = [Transform::DateCoarsen(Coarsening::YearMonth)];
        let (out, issues) =
            run(&["2003/2/14", "2003-02-14", "20030214", "平成15年2月14日", "H15.2.14", "2003-13-01"], &tf);
        assert_eq!(out, vec!["2003/2", "2003-02", "200302", "平成15年2月", "H15.2", "*"]);
        assert_eq!(issues.len(), 1);
        let (out, _) = run(&["2003/2/14", "平成15年2月14日"], &[Transform::DateCoarsen(Coarsening::Year)]);
        assert_eq!(out, vec!["2003", "平成15年"]);
    }
}
