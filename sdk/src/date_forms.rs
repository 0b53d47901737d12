//! Date *values*: one field that holds a date, in the forms Japanese exports and messages use,
//! read into a calendar date and the shape it was written in.
//!
//! **Why one place.** Records (CSV birth-date and date columns, HL7 PID-7), the text redactor
//! (the record's birth date, expanded into the spellings of notes) and the written dates of notes
//! (the Japanese era table) all read dates, and each reading is a privacy decision: a value that
//! is not understood is removed, so two parsers that disagree release different things for the
//! same export. [`parse_date_value`] is the one reading of a whole field; [`ERAS`] and
//! [`era_of`] are the one era table. Callers choose their output: records coarsen to `YYYY-MM`;
//! the anonymization transforms and the `date` hierarchy write dates back in the value's own
//! form ([`DateValue::write_date`], [`DateValue::write_year_month`], [`DateValue::write_year`]:
//! `2003/2/14` → `2003/2`, `平成15年2月14日` → `平成15年2月`, `20030214` → `200302`), so a
//! released column keeps the look of the export; `text::written_date` re-renders a span of a
//! note in its own template (it tokenises free text, where a date is one span among words, and
//! uses this module's era table and calendar check).
//!
//! Forms read (digits in any width, leading and trailing blanks ignored):
//! `1980-01-02`, `1980/1/2`, `1980.01.02`, `19800102` (more digits after: a time, ignored),
//! `1980年1月2日`, `2024 年 3 月 5 日`, `昭和55年1月2日`, `令和元年5月1日`, `S55.01.02`,
//! `h2/3/4`, `㍼55年1月2日`; a time after the date (`1980/01/02 12:30`, `…T12:30:00`) is
//! ignored; a year and month alone (`1980/01`, `1980年1月`) give a value without a day.
//! Month-first and two-digit years (`3/5/80`) are not read: in a field they are ambiguous.

use time::{Date, Month};

/// A Japanese era: its name, its one-character ligature, its letter and its first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Era {
    pub name: &'static str,
    pub ligature: char,
    pub letter: char,
    /// The first day (Gregorian year, month, day).
    pub start: (i32, u8, u8),
}

impl Era {
    /// The Gregorian year of year `n` of the era (元年 is 1).
    pub fn gregorian_year(&self, n: i32) -> i32 {
        self.start.0 + n - 1
    }
}

/// The modern eras, newest first.
pub const ERAS: [Era; 5] = [
    Era { name: "令和", ligature: '㋿', letter: 'R', start: (2019, 5, 1) },
    Era { name: "平成", ligature: '㍻', letter: 'H', start: (1989, 1, 8) },
    Era { name: "昭和", ligature: '㍼', letter: 'S', start: (1926, 12, 25) },
    Era { name: "大正", ligature: '㍽', letter: 'T', start: (1912, 7, 30) },
    Era { name: "明治", ligature: '㍾', letter: 'M', start: (1868, 1, 25) },
];

/// The era a Gregorian date falls in (index into [`ERAS`]) and its year in that era.
pub fn era_of(year: i32, month: u8, day: u8) -> Option<(usize, i32)> {
    ERAS.iter().position(|e| (year, month, day) >= e.start).map(|i| (i, year - ERAS[i].start.0 + 1))
}

/// Whether year-month-day is a day of the (proleptic Gregorian) calendar.
pub fn is_calendar_date(year: i32, month: u8, day: u8) -> bool {
    Month::try_from(month).is_ok_and(|m| Date::from_calendar_date(year, m, day).is_ok())
}

/// How an era was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EraStyle {
    /// `昭和`
    Kanji,
    /// `㍼`
    Ligature,
    /// `S` (either case)
    Letter,
}

/// The shape of a date value, for callers that write the result back in the same form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueForm {
    /// The era (index into [`ERAS`]) and how it was written, for era dates.
    pub era: Option<(usize, EraStyle)>,
    /// The separator between year and month when it is `-`, `/` or `.`; `None` for compact
    /// digits and the `年月日` form.
    pub separator: Option<char>,
    /// Written with `年`, `月`(, `日`).
    pub units: bool,
    /// Month (and day) written with two digits; compact digits always are.
    pub padded: bool,
    /// Written as `YYYYMMDD` digits.
    pub compact: bool,
    /// Something (a time) followed the date; it is not part of the value read.
    pub time: bool,
}

/// A date read from one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateValue {
    pub year: i32,
    pub month: u8,
    /// `None` for a year-month value (`1980/01`, `昭和55年1月`).
    pub day: Option<u8>,
    pub form: ValueForm,
}

impl DateValue {
    /// The calendar date, when the value has a day.
    pub fn date(&self) -> Option<Date> {
        Date::from_calendar_date(self.year, Month::try_from(self.month).ok()?, self.day?).ok()
    }
}

impl DateValue {
    /// `date` written in this value's form (`None` when the form cannot be written back, e.g.
    /// an unusual separator, or an era date before 明治).
    pub fn write_date(&self, date: Date) -> Option<String> {
        let (y, m, d) = (date.year(), date.month() as u8, date.day());
        self.write(y, Some(m), Some(d), (y, m, d))
    }

    /// The year and month in this value's form. An era is the one of the month's last day, so
    /// the label never tells which part of a month of an era change the day fell in
    /// (1989-01-05 and 1989-01-20 are both `平成元年1月`).
    pub fn write_year_month(&self) -> Option<String> {
        let last = Month::try_from(self.month).map(|m| m.length(self.year)).ok()?;
        self.write(self.year, Some(self.month), None, (self.year, self.month, last))
    }

    /// The year in this value's form (an era: the one of the year's last day).
    pub fn write_year(&self) -> Option<String> {
        self.write(self.year, None, None, (self.year, 12, 31))
    }

    fn write(&self, year: i32, month: Option<u8>, day: Option<u8>, anchor: (i32, u8, u8)) -> Option<String> {
        let f = &self.form;
        let part = |v: u8| if f.padded { format!("{v:02}") } else { v.to_string() };
        let year_text = match f.era {
            Some((_, style)) => {
                let (e, n) = era_of(anchor.0, anchor.1, anchor.2)?;
                let number = if n == 1 && style != EraStyle::Letter { "元".to_string() } else { n.to_string() };
                match style {
                    EraStyle::Kanji => format!("{}{number}", ERAS[e].name),
                    EraStyle::Ligature => format!("{}{number}", ERAS[e].ligature),
                    EraStyle::Letter => format!("{}{number}", ERAS[e].letter),
                }
            }
            None => format!("{year:04}"),
        };
        let parts: Vec<String> = month.into_iter().chain(day).map(part).collect();
        if f.units {
            let units = ["月", "日"];
            let tail: String = parts.iter().zip(units).map(|(p, u)| format!("{p}{u}")).collect();
            return Some(format!("{year_text}年{tail}"));
        }
        let sep = match (f.separator, f.compact) {
            (Some(c), _) => c.to_string(),
            (None, true) => String::new(),
            (None, false) => return None,
        };
        Some(std::iter::once(year_text).chain(parts).collect::<Vec<_>>().join(&sep))
    }
}

/// Reads a whole field as a date (see the module doc for the forms). `None` when it is not one
/// (including impossible dates such as `2/30`): callers remove what they cannot read.
pub fn parse_date_value(value: &str) -> Option<DateValue> {
    let folded: String = value.trim().chars().map(fold_width).collect();
    let (era, rest) = strip_era(&folded);
    let rest = rest.trim_start();
    let (year_digits, rest) = match rest.strip_prefix('元') {
        Some(r) if era.is_some() => ("1", r),
        _ => split_digits(rest),
    };
    if year_digits.is_empty() {
        return None;
    }
    if era.is_none() && year_digits.len() >= 8 {
        return compact(year_digits);
    }
    if year_digits.len() > 4 {
        return None;
    }
    let n: i32 = year_digits.parse().ok()?;
    let year = match era {
        Some((e, _)) if (1..=99).contains(&n) => ERAS[e].gregorian_year(n),
        None if year_digits.len() == 4 && n >= 1000 => n,
        _ => return None,
    };
    let (sep1, rest) = split_separator(rest);
    let (month_digits, rest) = split_digits(rest);
    if month_digits.is_empty() || month_digits.len() > 2 || is_time_boundary(sep1) {
        return None;
    }
    let month: u8 = month_digits.parse().ok()?;
    let (sep2, after_month) = split_separator(rest);
    let (day_digits, after_day) = split_digits(after_month);
    let (day, after) = if day_digits.is_empty() || day_digits.len() > 2 || is_time_boundary(sep2) {
        (None, rest)
    } else {
        (Some(day_digits.parse::<u8>().ok()?), after_day)
    };
    if !(1..=12).contains(&month) || day.is_some_and(|d| !is_calendar_date(year, month, d)) {
        return None;
    }
    let sep1 = sep1.trim();
    let form = ValueForm {
        era,
        separator: sep1.chars().next().filter(|c| matches!(c, '-' | '/' | '.') && sep1.len() == 1),
        units: sep1 == "年",
        padded: month_digits.len() == 2 && (day.is_none() || day_digits.len() == 2),
        compact: false,
        time: !matches!(after.trim(), "" | "日" | "月"),
    };
    Some(DateValue { year, month, day, form })
}

/// `YYYYMMDD[time digits]`.
fn compact(digits: &str) -> Option<DateValue> {
    let year: i32 = digits[..4].parse().ok()?;
    let month: u8 = digits[4..6].parse().ok()?;
    let day: u8 = digits[6..8].parse().ok()?;
    if year < 1000 || !is_calendar_date(year, month, day) {
        return None;
    }
    let form =
        ValueForm { era: None, separator: None, units: false, padded: true, compact: true, time: digits.len() > 8 };
    Some(DateValue { year, month, day: Some(day), form })
}

/// The era at the start of `s` (name, ligature, or a letter followed by a digit or 元).
fn strip_era(s: &str) -> (Option<(usize, EraStyle)>, &str) {
    for (i, era) in ERAS.iter().enumerate() {
        if let Some(rest) = s.strip_prefix(era.name) {
            return (Some((i, EraStyle::Kanji)), rest);
        }
        if let Some(rest) = s.strip_prefix(era.ligature) {
            return (Some((i, EraStyle::Ligature)), rest);
        }
        let mut chars = s.chars();
        if chars.next().is_some_and(|c| c.eq_ignore_ascii_case(&era.letter)) {
            let rest = chars.as_str();
            if rest.trim_start().starts_with(|c: char| c.is_ascii_digit() || c == '元') {
                return (Some((i, EraStyle::Letter)), rest);
            }
        }
    }
    (None, s)
}

fn split_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

fn split_separator(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

/// A separator that starts a time rather than the next date field (`1980/01 12:30`).
fn is_time_boundary(sep: &str) -> bool {
    let t = sep.trim();
    (t.is_empty() && !sep.is_empty()) || t.eq_ignore_ascii_case("T") || t == ":"
}

/// Full-width ASCII and the ideographic space as ASCII.
fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(v: &str) -> Option<(i32, u8, Option<u8>)> {
        parse_date_value(v).map(|d| (d.year, d.month, d.day))
    }

    #[test]
    fn western_compact_and_japanese_forms() {
        for v in [
            "1980/1/2",
            "1980-01-02",
            "1980.01.02",
            "19800102",
            "198001021230",
            "1980年1月2日",
            "1980 年 1 月 2 日",
            "１９８０／０１／０２",
            "昭和55年1月2日",
            "㍼55年1月2日",
            "S55.01.02",
            "s55.1.2",
            "1980/01/02 12:30",
            "1980-01-02T12:30:00",
        ] {
            assert_eq!(ymd(v), Some((1980, 1, Some(2))), "{v}");
        }
        assert_eq!(ymd("令和元年5月1日"), Some((2019, 5, Some(1))));
        assert_eq!(ymd("R1.5.1"), Some((2019, 5, Some(1))));
        assert_eq!(ymd("H2.03.04"), Some((1990, 3, Some(4))));
        assert_eq!(ymd("平成31年4月30日"), Some((2019, 4, Some(30))));
    }

    #[test]
    fn year_month_values_have_no_day() {
        assert_eq!(ymd("1980/01"), Some((1980, 1, None)));
        assert_eq!(ymd("昭和55年1月"), Some((1980, 1, None)));
        assert_eq!(ymd("1980/01 12:30"), Some((1980, 1, None)), "a time is not a day");
    }

    #[test]
    fn what_is_not_a_date_value_is_refused() {
        for v in [
            "不明",
            "",
            "1980",
            "1980/13/02",
            "1980/02/30",
            "20240230",
            "3/5/1980",
            "80/3/5",
            "昭和100年1月1日",
            "令和年",
            "X6.3.5",
            "Mar 5, 1980",
            "99999999999/1/1",
            "1980/123/1",
        ] {
            assert_eq!(parse_date_value(v), None, "{v}");
        }
    }

    #[test]
    fn the_form_is_reported_for_callers_that_write_it_back() {
        let f = |v: &str| parse_date_value(v).map(|d| d.form);
        let slash = f("2003/2/14").expect("a date");
        assert_eq!((slash.separator, slash.padded, slash.units, slash.era), (Some('/'), false, false, None));
        let dash = f("2003-02-14").expect("a date");
        assert_eq!((dash.separator, dash.padded), (Some('-'), true));
        assert_eq!(f("20030214").map(|f| (f.separator, f.padded)), Some((None, true)));
        assert_eq!(f("平成15年2月14日").map(|f| (f.era, f.units)), Some((Some((1, EraStyle::Kanji)), true)));
        assert_eq!(
            parse_date_value("2003/2/14").and_then(|d| d.date()),
            Date::from_calendar_date(2003, Month::February, 14).ok()
        );
    }

    #[test]
    fn values_are_written_back_in_their_own_form() {
        let w = |v: &str| {
            let d = parse_date_value(v).expect(v);
            (d.write_year_month().unwrap_or_default(), d.write_year().unwrap_or_default())
        };
        assert_eq!(w("2003/2/14"), ("2003/2".into(), "2003".into()));
        assert_eq!(w("2003-02-14"), ("2003-02".into(), "2003".into()));
        assert_eq!(w("20030214"), ("200302".into(), "2003".into()));
        assert_eq!(w("2003年2月14日"), ("2003年2月".into(), "2003年".into()));
        assert_eq!(w("平成15年2月14日"), ("平成15年2月".into(), "平成15年".into()));
        assert_eq!(w("H15.02.14"), ("H15.02".into(), "H15".into()));
        assert_eq!(w("㍻15年2月14日"), ("㍻15年2月".into(), "㍻15年".into()));
        // The era of the month's (year's) last day: 1989-01-05 is 昭和64年, but its month label
        // must not tell it from 1989-01-20 (平成元年).
        assert_eq!(w("昭和64年1月5日"), ("平成元年1月".into(), "平成元年".into()));
        assert_eq!(w("平成元年1月20日"), ("平成元年1月".into(), "平成元年".into()));
        assert_eq!(w("1980/01/02 12:30").0, "1980/01");
        let shifted = |v: &str, days: i64| {
            let d = parse_date_value(v).expect(v);
            d.write_date(d.date().expect("a day").checked_add(time::Duration::days(days)).expect("in range"))
        };
        assert_eq!(shifted("2019/4/30", 1).as_deref(), Some("2019/5/1"));
        assert_eq!(shifted("平成31年4月30日", 1).as_deref(), Some("令和元年5月1日"));
        assert_eq!(shifted("R1.05.01", 366).as_deref(), Some("R2.05.01"));
        assert_eq!(shifted("20240110", -10).as_deref(), Some("20231231"));
        assert_eq!(shifted("1980_01_02", 1), None, "an unusual separator is not guessed");
        assert!(parse_date_value("1980/01/02 12:30").is_some_and(|d| d.form.time));
        assert!(parse_date_value("198001021230").is_some_and(|d| d.form.time));
        assert!(parse_date_value("1980年1月2日").is_some_and(|d| !d.form.time));
    }

    #[test]
    fn eras_convert_both_ways() {
        assert_eq!(era_of(1989, 1, 7), Some((2, 64)), "the last day of 昭和");
        assert_eq!(era_of(1989, 1, 8), Some((1, 1)));
        assert_eq!(era_of(2019, 5, 1), Some((0, 1)));
        assert_eq!(era_of(1800, 1, 1), None);
        assert_eq!(ERAS[2].gregorian_year(55), 1980);
    }
}
