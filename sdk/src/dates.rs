//! DICOM dates and times: parsing, keyed per-patient shifting, coarsening.
//!
//! **Why a per-patient keyed shift.** Research needs intervals (days from admission to surgery,
//! follow-up times) but a real date plus a rare condition can identify someone. Shifting every
//! date of one patient by the same secret offset keeps all of that patient's intervals exact while
//! hiding the calendar. The offset is derived from the project key and the patient's identity, so
//! every file of the patient — in any batch, native or wasm — gets the same one, with no state
//! shared between workers. Offsets move dates *back* by whole weeks (1–52 by default) so the day
//! of the week, which matters clinically (weekend admissions), is preserved; times move by whole
//! hours so values of any precision (HH, HHMM, HHMMSS.FFFFFF) keep their precision.
//!
//! A date with a paired time (DA + TM) is shifted as one instant, so crossing midnight carries
//! into the date; a lone time is shifted modulo 24 hours (its date is unknown).

use time::{Date, Duration, Month, PrimitiveDateTime, Time};

use crate::key::{ProjectKey, Purpose};
use crate::pseudonym::Pseudonymizer;

/// How far dates are shifted. Offsets are drawn (keyed) from `min_weeks..=max_weeks` weeks back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShiftRange {
    pub min_weeks: u32,
    pub max_weeks: u32,
    /// Also shift times of day by a keyed number of hours (0–23).
    pub shift_time_of_day: bool,
}

impl Default for ShiftRange {
    fn default() -> Self {
        ShiftRange { min_weeks: 1, max_weeks: 52, shift_time_of_day: true }
    }
}

/// One patient's date/time offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateShift {
    /// Days added to dates (negative: into the past).
    pub days: i64,
    /// Hours added to times of day (0–23).
    pub hours: i64,
}

impl DateShift {
    /// The keyed offset for the patient identified by `patient_identity`.
    pub fn for_patient(key: &ProjectKey, patient_identity: &str, range: ShiftRange) -> Self {
        let p = Pseudonymizer::new(key, Purpose::DateOffset);
        let lo = range.min_weeks.min(range.max_weeks) as u64;
        let hi = range.min_weeks.max(range.max_weeks) as u64;
        let weeks = lo + p.keyed_index("weeks", patient_identity, hi - lo + 1);
        // 1–23 hours: a zero shift would leave some patients' real times in place.
        let hours = if range.shift_time_of_day { 1 + p.keyed_index("hours", patient_identity, 23) } else { 0 };
        DateShift { days: -7 * weeks as i64, hours: hours as i64 }
    }

    /// Shifts a DA value (`YYYYMMDD`, or the legacy `YYYY.MM.DD`). `None` if it is not a date.
    pub fn shift_da(&self, da: &str) -> Option<String> {
        let date = parse_da(da)?;
        Some(format_da(date.checked_add(Duration::days(self.days))?))
    }

    /// Shifts a lone TM value by the hour offset, modulo 24 h, keeping its precision.
    pub fn shift_tm(&self, tm: &str) -> Option<String> {
        let t = ParsedTime::parse(tm)?;
        let shifted = (t.hour as i64 + self.hours).rem_euclid(24) as u8;
        Some(ParsedTime { hour: shifted, ..t }.format())
    }

    /// Shifts a date and its paired time as one instant.
    pub fn shift_da_tm(&self, da: &str, tm: &str) -> Option<(String, String)> {
        let date = parse_da(da)?;
        let t = ParsedTime::parse(tm)?;
        let time = Time::from_hms(t.hour, t.minute.unwrap_or(0), t.second.unwrap_or(0)).ok()?;
        let instant =
            PrimitiveDateTime::new(date, time).checked_add(Duration::days(self.days) + Duration::hours(self.hours))?;
        let out_t = ParsedTime { hour: instant.hour(), ..t };
        Some((format_da(instant.date()), out_t.format()))
    }

    /// Shifts a DT value (`YYYY[MM[DD[HH[MM[SS[.F]]]]]][±ZZXX]`), keeping precision and offset.
    pub fn shift_dt(&self, dt: &str) -> Option<String> {
        let dt = dt.trim_end_matches(['\0', ' ']);
        let (body, zone) = match dt.find(['+', '-']) {
            Some(i) if i >= 4 => (&dt[..i], &dt[i..]),
            _ => (dt, ""),
        };
        if body.len() < 8 {
            // Year or year-month precision: shifting by weeks would invent precision; coarse
            // values this imprecise are kept as they are by the caller's policy.
            return None;
        }
        let date = parse_da(&body[..8])?;
        if body.len() == 8 {
            return Some(format!("{}{zone}", format_da(date.checked_add(Duration::days(self.days))?)));
        }
        let (da, tm) = self.shift_da_tm(&body[..8], &body[8..])?;
        Some(format!("{da}{tm}{zone}"))
    }
}

/// How far a date is coarsened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coarsening {
    YearMonth,
    Year,
}

/// Coarsens a DA value to year-month or year.
///
/// DICOM DA has no partial form, so the removed part must be filled in. A fixed filler (always
/// the 1st) would make the output equal the original for everyone born on the 1st, and a rule
/// that avoids that ("use the 2nd when the original is the 1st") would reveal those people
/// exactly. Instead the filler is a keyed per-patient value (`filler`, from the caller's keyed
/// hash) that is moved on by one when it would equal the original: the output then reveals only
/// that the true day is *not* the one shown. Readers must treat the filled part as meaningless;
/// the DeidentificationMethod text says so.
pub fn coarsen_da(da: &str, to: Coarsening, filler: u32) -> Option<String> {
    let d = parse_da(da)?;
    let fill_day = |f: u32| (f % 28) as u8 + 1;
    let (month, mut day) = match to {
        Coarsening::YearMonth => (d.month() as u8, fill_day(filler)),
        Coarsening::Year => (((filler / 28) % 12) as u8 + 1, fill_day(filler)),
    };
    if month == d.month() as u8 && day == d.day() {
        day = fill_day(filler + 1);
    }
    Some(format!("{:04}{:02}{:02}", d.year(), month, day))
}

/// Parses a DA value: `YYYYMMDD` or legacy `YYYY.MM.DD`, NUL/space padding ignored.
pub fn parse_da(da: &str) -> Option<Date> {
    let s = da.trim_matches(['\0', ' ']);
    let digits: String = match s.len() {
        8 => s.to_string(),
        10 if s.as_bytes()[4] == b'.' && s.as_bytes()[7] == b'.' => s.replace('.', ""),
        _ => return None,
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = digits[..4].parse().ok()?;
    let month: u8 = digits[4..6].parse().ok()?;
    let day: u8 = digits[6..8].parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

fn format_da(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month() as u8, d.day())
}

/// A TM value with the precision it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ParsedTime<'a> {
    hour: u8,
    minute: Option<u8>,
    second: Option<u8>,
    /// Fraction digits after the point, as written (".123" → "123").
    fraction: Option<&'a str>,
    /// Legacy `HH:MM:SS` form.
    colons: bool,
}

impl<'a> ParsedTime<'a> {
    fn parse(tm: &'a str) -> Option<Self> {
        let s = tm.trim_matches(['\0', ' ']);
        let colons = s.contains(':');
        let (main, fraction) = match s.split_once('.') {
            Some((m, f)) if !f.is_empty() && f.len() <= 6 && f.bytes().all(|b| b.is_ascii_digit()) => (m, Some(f)),
            Some(_) => return None,
            None => (s, None),
        };
        let compact: String = if colons { main.replace(':', "") } else { main.to_string() };
        if !matches!(compact.len(), 2 | 4 | 6) || !compact.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let num = |r: std::ops::Range<usize>| compact.get(r).and_then(|x| x.parse::<u8>().ok());
        let hour = num(0..2).filter(|h| *h < 24)?;
        let minute = if compact.len() >= 4 { Some(num(2..4).filter(|m| *m < 60)?) } else { None };
        // 60 is allowed for leap seconds in DICOM; clamp to 59 for arithmetic.
        let second = if compact.len() == 6 { Some(num(4..6).filter(|s| *s <= 60)?.min(59)) } else { None };
        if fraction.is_some() && second.is_none() {
            return None;
        }
        Some(ParsedTime { hour, minute, second, fraction, colons })
    }

    fn format(&self) -> String {
        let sep = if self.colons { ":" } else { "" };
        let mut out = format!("{:02}", self.hour);
        if let Some(m) = self.minute {
            out.push_str(&format!("{sep}{m:02}"));
        }
        if let Some(s) = self.second {
            out.push_str(&format!("{sep}{s:02}"));
        }
        if let Some(f) = self.fraction {
            out.push('.');
            out.push_str(f);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift(days: i64, hours: i64) -> DateShift {
        DateShift { days, hours }
    }

    #[test]
    fn shifts_dates_across_month_year_and_leap_day() {
        let s = shift(-7, 0);
        assert_eq!(s.shift_da("20240307").as_deref(), Some("20240229"));
        assert_eq!(s.shift_da("20240105").as_deref(), Some("20231229"));
        assert_eq!(s.shift_da("2024.01.05").as_deref(), Some("20231229"));
        assert_eq!(s.shift_da("20241301"), None);
        assert_eq!(s.shift_da("garbage!"), None);
    }

    #[test]
    fn times_keep_their_precision() {
        let s = shift(0, 5);
        assert_eq!(s.shift_tm("07").as_deref(), Some("12"));
        assert_eq!(s.shift_tm("0730").as_deref(), Some("1230"));
        assert_eq!(s.shift_tm("073015.123").as_deref(), Some("123015.123"));
        assert_eq!(s.shift_tm("21:30:15").as_deref(), Some("02:30:15"));
        assert_eq!(s.shift_tm("2530"), None);
        assert_eq!(s.shift_tm("07.5"), None);
    }

    #[test]
    fn paired_date_and_time_carry_over_midnight() {
        let s = shift(-14, 5);
        let (d, t) = s.shift_da_tm("20240110", "213000").expect("valid pair");
        assert_eq!((d.as_str(), t.as_str()), ("20231228", "023000"));
    }

    #[test]
    fn datetimes_keep_zone_and_precision() {
        let s = shift(-7, 1);
        assert_eq!(s.shift_dt("20240110233000.5+0900").as_deref(), Some("20240104003000.5+0900"));
        assert_eq!(s.shift_dt("20240110").as_deref(), Some("20240103"));
        assert_eq!(s.shift_dt("2024"), None);
    }

    #[test]
    fn per_patient_offsets_are_keyed_whole_weeks_in_range() {
        let key = ProjectKey::from_bytes([5; 32]);
        let range = ShiftRange::default();
        let a = DateShift::for_patient(&key, "patient-1", range);
        assert_eq!(a, DateShift::for_patient(&key, "patient-1", range));
        assert_eq!(a.days % 7, 0);
        assert!((-364..=-7).contains(&a.days));
        assert!((1..24).contains(&a.hours));
        let distinct: std::collections::HashSet<_> =
            (0..50).map(|i| DateShift::for_patient(&key, &format!("p{i}"), range).days).collect();
        assert!(distinct.len() > 10, "offsets should vary across patients");
    }

    #[test]
    fn intervals_within_a_patient_are_preserved() {
        let key = ProjectKey::from_bytes([6; 32]);
        let s = DateShift::for_patient(&key, "x", ShiftRange::default());
        let a = parse_da(&s.shift_da("20240110").expect("date")).expect("date");
        let b = parse_da(&s.shift_da("20240322").expect("date")).expect("date");
        assert_eq!((b - a).whole_days(), 72);
    }

    #[test]
    fn coarsening_keeps_year_month_and_never_echoes_the_original_day() {
        assert_eq!(coarsen_da("20030217", Coarsening::YearMonth, 0).as_deref(), Some("20030201"));
        assert_eq!(coarsen_da("20030201", Coarsening::YearMonth, 0).as_deref(), Some("20030202"));
        for filler in 0..400 {
            for orig in ["20030201", "20030215", "20030228", "20031231"] {
                let out = coarsen_da(orig, Coarsening::YearMonth, filler).expect("valid");
                assert_ne!(out, orig);
                assert_eq!(&out[..6], &orig[..6]);
                let y = coarsen_da(orig, Coarsening::Year, filler).expect("valid");
                assert_ne!(y, orig);
                assert_eq!(&y[..4], &orig[..4]);
                assert!(parse_da(&y).is_some());
            }
        }
        assert_eq!(coarsen_da("bad", Coarsening::Year, 0), None);
    }
}
