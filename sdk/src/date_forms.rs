//! Date *values*: one field that holds a date, in the forms Japanese exports and messages use,
//! read into a calendar date and the shape it was written in.
//!
//! **Why one place.** Records (CSV birth-date and date columns, HL7 PID-7), the text redactor
//! (the record's birth date, expanded into the spellings of notes) and the written dates of notes
//! (the Japanese era table) all read dates, and each reading is a privacy decision: a value that
//! is not understood is removed, so two parsers that disagree release different things for the
//! same export. [`parse_date_value`] is the one reading of a whole field; [`ERAS`] and
//! [`era_of`] are the one era table. Callers keep their own output: records coarsen to
//! `YYYY-MM`, `text::written_date` re-renders a span of a note in its own template (it tokenises
//! free text, where a date is one span among words, and uses this module's era table and calendar
//! check).
//!
//! **For the callers still to switch** (the anonymization `FlexDate` and the linkage date
//! normalisation, merged later): [`DateValue`] carries what `FlexDate` keeps — the date, the
//! separator ([`ValueForm::separator`]) and whether month and day were zero-padded
//! ([`ValueForm::padded`]) — so `FlexDate::parse(v)` becomes `parse_date_value(v)` plus
//! [`DateValue::date`]; a caller that must refuse forms it cannot write back (era, 年月日, a
//! time after the date) checks [`ValueForm`] and [`DateValue::day`] and refuses them itself.
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
    let (sep2, rest) = split_separator(rest);
    let (day_digits, _) = split_digits(rest);
    let day = if day_digits.is_empty() || day_digits.len() > 2 || is_time_boundary(sep2) {
        None
    } else {
        Some(day_digits.parse::<u8>().ok()?)
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
    let form = ValueForm { era: None, separator: None, units: false, padded: true };
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
    fn eras_convert_both_ways() {
        assert_eq!(era_of(1989, 1, 7), Some((2, 64)), "the last day of 昭和");
        assert_eq!(era_of(1989, 1, 8), Some((1, 1)));
        assert_eq!(era_of(2019, 5, 1), Some((0, 1)));
        assert_eq!(era_of(1800, 1, 1), None);
        assert_eq!(ERAS[2].gregorian_year(55), 1980);
    }
}
