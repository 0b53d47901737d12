//! Dates as people write them in notes, read and written back in the same form.
//!
//! A shifted or coarsened date is only useful if it reads like the original: `令和6年3月5日`
//! shifted by five weeks must come back as `令和6年1月30日`, `03/05/2024` as `01/30/2024`,
//! `Mar 5, 2024` as `Jan 30, 2024`. So a date span is tokenised into literals and typed fields
//! (era, year, month, day, month name) that remember their width and style; the new value is
//! written into the same template. Forms that cannot be read as a calendar date give `None`,
//! and the caller replaces them with a placeholder instead.
//!
//! A span of a note is one date among words, so it is tokenised here; the era table and the
//! calendar check are [`crate::date_forms`]'s, the same ones records use for whole fields.

use time::{Date, Duration, Month};

use crate::date_forms::{ERAS, era_of, is_calendar_date};

/// English month names, January first (also used by the patient hints' date spellings).
pub(crate) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EraForm {
    Kanji,
    Ligature,
    Letter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Title,
    Upper,
    Lower,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Lit(String),
    Era(EraForm),
    /// The year within the era; `true` when written 元.
    EraYear(bool),
    /// A Gregorian year written with this many digits (2 or 4).
    Year(usize),
    /// Month or day as digits, zero-padded when the original was.
    Month(bool),
    Day(bool),
    MonthName {
        full: bool,
        case: Case,
    },
}

/// A date read from text: its value (year, month, day; any may be absent) and how it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenDate {
    toks: Vec<Tok>,
    pub year: Option<i32>,
    /// Absent for a year alone (`昭和45年`).
    pub month: Option<u8>,
    pub day: Option<u8>,
    /// Digits were full-width in the original.
    wide: bool,
}

enum Raw {
    Num(String),
    Word(String),
    Other(char),
}

fn raw_tokens(s: &str) -> Vec<Raw> {
    let mut out: Vec<Raw> = Vec::new();
    for c in s.chars() {
        let c = super::fold_width(c);
        match (out.last_mut(), c) {
            (Some(Raw::Num(n)), d) if d.is_ascii_digit() => n.push(d),
            (Some(Raw::Word(w)), a) if a.is_ascii_alphabetic() => w.push(a),
            (_, d) if d.is_ascii_digit() => out.push(Raw::Num(d.to_string())),
            (_, a) if a.is_ascii_alphabetic() => out.push(Raw::Word(a.to_string())),
            (_, o) => out.push(Raw::Other(o)),
        }
    }
    out
}

fn month_name(w: &str) -> Option<(u8, bool, Case)> {
    let lower = w.to_ascii_lowercase();
    let (i, m) = MONTHS.iter().enumerate().find(|(_, m)| {
        let m = m.to_ascii_lowercase();
        lower == m || (lower.len() >= 3 && m.starts_with(&lower) && lower.len() <= 4)
    })?;
    let case = if w.chars().all(|c| c.is_ascii_uppercase()) && w.len() > 1 {
        Case::Upper
    } else if w.chars().all(|c| c.is_ascii_lowercase()) {
        Case::Lower
    } else {
        Case::Title
    };
    Some((i as u8 + 1, lower.len() == m.len() && lower.len() > 3, case))
}

impl WrittenDate {
    /// Reads a date span (original text, any width). `None` when it is not a calendar date.
    pub fn parse(span: &str) -> Option<WrittenDate> {
        let wide = span.chars().any(|c| matches!(c, '０'..='９'));
        let raw = raw_tokens(span);
        let mut toks = Vec::with_capacity(raw.len());
        let mut era: Option<usize> = None;
        let (mut year, mut month, mut day) = (None::<i32>, None::<u8>, None::<u8>);
        let has_kanji_unit = span.contains('年') || span.contains('月');
        let first_num_len = raw.iter().find_map(|r| if let Raw::Num(n) = r { Some(n.len()) } else { None });
        let english = raw.iter().any(|r| matches!(r, Raw::Word(w) if month_name(w).is_some()));
        let mut nums_seen = 0usize;
        let mut i = 0;
        while i < raw.len() {
            match &raw[i] {
                Raw::Other(c) if era.is_none() && nums_seen == 0 => {
                    let two: String = raw[i..]
                        .iter()
                        .take(2)
                        .filter_map(|r| if let Raw::Other(c) = r { Some(*c) } else { None })
                        .collect();
                    if let Some(e) = ERAS.iter().position(|e| two == e.name) {
                        era = Some(e);
                        toks.push(Tok::Era(EraForm::Kanji));
                        i += 2;
                        continue;
                    }
                    if let Some(e) = ERAS.iter().position(|e| e.ligature == *c) {
                        era = Some(e);
                        toks.push(Tok::Era(EraForm::Ligature));
                    } else {
                        toks.push(Tok::Lit(c.to_string()));
                    }
                }
                Raw::Other('元') if era.is_some() && year.is_none() => {
                    year = Some(1);
                    nums_seen += 1;
                    toks.push(Tok::EraYear(true));
                }
                Raw::Other(c) => toks.push(Tok::Lit(c.to_string())),
                Raw::Word(w) if era.is_none() && nums_seen == 0 && w.len() == 1 && !english => {
                    let e = ERAS.iter().position(|e| w.eq_ignore_ascii_case(&e.letter.to_string()))?;
                    era = Some(e);
                    toks.push(Tok::Era(EraForm::Letter));
                }
                Raw::Word(w) => match month_name(w) {
                    Some((m, full, case)) if month.is_none() => {
                        month = Some(m);
                        toks.push(Tok::MonthName { full, case });
                    }
                    _ => toks.push(Tok::Lit(w.clone())),
                },
                Raw::Num(n) => {
                    // No calendar field has more than 4 digits (and none may overflow below).
                    if n.len() > 4 {
                        return None;
                    }
                    let v: u32 = n.parse().ok()?;
                    let padded = n.len() == 2 && n.starts_with('0');
                    let next_unit = raw[i + 1..].iter().find_map(|r| match r {
                        Raw::Other(c) if c.is_whitespace() => None,
                        Raw::Other(c) => Some(Some(*c)),
                        _ => Some(None),
                    });
                    let next_unit = next_unit.flatten();
                    let role = if era.is_some() {
                        ["era-year", "month", "day"].get(nums_seen).copied()
                    } else if english {
                        if n.len() == 4 || (year.is_none() && day.is_some()) { Some("year") } else { Some("day") }
                    } else if has_kanji_unit {
                        match next_unit {
                            Some('年') => Some("year"),
                            Some('月') => Some("month"),
                            _ => Some("day"),
                        }
                    } else if first_num_len == Some(4) {
                        ["year", "month", "day"].get(nums_seen).copied()
                    } else {
                        ["month", "day", "year"].get(nums_seen).copied()
                    };
                    nums_seen += 1;
                    match role? {
                        "era-year" => {
                            year = Some(v as i32);
                            toks.push(Tok::EraYear(false));
                        }
                        "year" => {
                            let y = match n.len() {
                                4 => v as i32,
                                2 => (if v <= 30 { 2000 } else { 1900 }) + v as i32,
                                _ => return None,
                            };
                            year = Some(y);
                            toks.push(Tok::Year(n.len()));
                        }
                        "month" => {
                            month = Some(u8::try_from(v).ok()?);
                            toks.push(Tok::Month(padded));
                        }
                        _ => {
                            day = Some(u8::try_from(v).ok()?);
                            toks.push(Tok::Day(padded));
                        }
                    }
                }
            }
            i += 1;
        }
        // Zero padding: written (`03`), or both month and day in two digits (`12/19` → `12/05`).
        let two_digit = |t: &Tok| matches!(t, Tok::Month(true) | Tok::Day(true));
        let widths: Vec<bool> =
            toks.iter().filter(|t| matches!(t, Tok::Month(_) | Tok::Day(_))).map(two_digit).collect();
        let pad = widths.iter().any(|w| *w) || (month.is_some_and(|m| m >= 10) && day.is_some_and(|d| d >= 10));
        for t in &mut toks {
            match t {
                Tok::Month(p) | Tok::Day(p) => *p = pad,
                _ => {}
            }
        }
        if let (Some(e), Some(y)) = (era, year) {
            year = Some(ERAS[e].gregorian_year(y));
        } else if era.is_some() {
            return None;
        }
        if month.is_some_and(|m| !(1..=12).contains(&m)) || (month.is_none() && (year.is_none() || day.is_some())) {
            return None;
        }
        if let (Some(d), Some(m)) = (day, month)
            && !is_calendar_date(year.unwrap_or(2000), m, d)
        {
            return None;
        }
        Some(WrittenDate { toks, year, month, day, wide })
    }

    /// The date moved by `days`, written in the same form. A date without a day (year-month or
    /// year only) is already coarse and is returned unchanged; a month-day without a year is
    /// shifted within a non-leap reference year (a leap year for 2/29).
    #[cfg(test)]
    pub fn shifted(&self, days: i64) -> Option<String> {
        self.shifted_in(days, None)
    }

    /// [`WrittenDate::shifted`], with the year a month-day without a year belongs to (the year of
    /// the last full date before it in the note), so intervals across 2/29 stay exact.
    pub fn shifted_in(&self, days: i64, context_year: Option<i32>) -> Option<String> {
        let (Some(day), Some(month)) = (self.day, self.month) else {
            return Some(self.render(self.year, self.month.unwrap_or(1), None, false));
        };
        let fallback = if month == 2 && day == 29 { 2000 } else { 2001 };
        let ref_year = self
            .year
            .or(context_year.filter(|y| {
                Date::from_calendar_date(*y, Month::try_from(month).ok().unwrap_or(Month::January), day).is_ok()
            }))
            .unwrap_or(fallback);
        let d = Date::from_calendar_date(ref_year, Month::try_from(month).ok()?, day).ok()?;
        let n = d.checked_add(Duration::days(days))?;
        let year = self.year.map(|_| n.year());
        Some(self.render(year, n.month() as u8, Some(n.day()), false))
    }

    /// The date without its day (year-month), in the same form.
    pub fn year_month(&self) -> String {
        self.render(self.year, self.month.unwrap_or(1), None, true)
    }

    fn render(&self, year: Option<i32>, month: u8, day: Option<u8>, drop_day: bool) -> String {
        let era = year.and_then(|y| era_of(y, month, day.unwrap_or(1))).map(|(e, _)| e);
        let mut toks: Vec<&Tok> = self.toks.iter().collect();
        if drop_day {
            toks = without_day(&self.toks);
        }
        let mut out = String::new();
        for t in toks {
            match t {
                Tok::Lit(s) => out.push_str(s),
                Tok::Era(form) => {
                    let e = &ERAS[era.unwrap_or(ERAS.len() - 1)];
                    let (name, lig, letter) = (e.name, e.ligature, e.letter);
                    match form {
                        EraForm::Kanji => out.push_str(name),
                        EraForm::Ligature => out.push(lig),
                        EraForm::Letter => out.push(letter),
                    }
                }
                Tok::EraYear(gan) => {
                    let y = year.unwrap_or(1) - era.map_or(1868, |e| ERAS[e].start.0) + 1;
                    if *gan && y == 1 { out.push('元') } else { self.num(&mut out, y as u32, false) }
                }
                Tok::Year(4) => self.num(&mut out, year.unwrap_or(0).max(0) as u32, false),
                Tok::Year(_) => self.num(&mut out, year.unwrap_or(0).rem_euclid(100) as u32, true),
                Tok::Month(pad) => self.num(&mut out, u32::from(month), *pad),
                Tok::Day(pad) => self.num(&mut out, u32::from(day.unwrap_or(1)), *pad),
                Tok::MonthName { full, case } => {
                    let m = MONTHS[usize::from(month.clamp(1, 12)) - 1];
                    let s = if *full { m } else { &m[..3] };
                    out.push_str(&match case {
                        Case::Title => s.to_string(),
                        Case::Upper => s.to_ascii_uppercase(),
                        Case::Lower => s.to_ascii_lowercase(),
                    });
                }
            }
        }
        out.trim().trim_end_matches([',', '/', '-', '.']).to_string()
    }

    fn num(&self, out: &mut String, v: u32, pad: bool) {
        let s = if pad { format!("{v:02}") } else { v.to_string() };
        if self.wide {
            out.extend(s.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)));
        } else {
            out.push_str(&s);
        }
    }
}

/// The template without the day: the day, its unit (日, st/nd/rd/th) and one separator next to
/// it go; a day-first form (`5 March 2024`) loses the separator after the day.
fn without_day(toks: &[Tok]) -> Vec<&Tok> {
    let Some(d) = toks.iter().position(|t| matches!(t, Tok::Day(_))) else { return toks.iter().collect() };
    let is_unit = |t: &Tok| matches!(t, Tok::Lit(s) if matches!(s.as_str(), "日" | "st" | "nd" | "rd" | "th" | "of"));
    let is_sep = |t: &Tok| matches!(t, Tok::Lit(s) if matches!(s.as_str(), "/" | "-" | "." | "," | " " | "　"));
    let mut end = d + 1;
    while toks.get(end).is_some_and(is_unit) {
        end += 1;
    }
    let mut start = d;
    if d > 0 && toks.get(d - 1).is_some_and(is_sep) {
        start = d - 1;
        // `Mar 5, 2024`: the comma after the day goes too, the space before the year stays.
        if toks.get(end).is_some_and(|t| matches!(t, Tok::Lit(s) if s == ",")) {
            end += 1;
        }
    } else {
        while toks.get(end).is_some_and(|t| is_sep(t) || is_unit(t)) {
            end += 1;
        }
    }
    toks[..start].iter().chain(&toks[end..]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift(s: &str, days: i64) -> String {
        WrittenDate::parse(s).and_then(|d| d.shifted(days)).unwrap_or_else(|| panic!("{s} is a date"))
    }

    fn ym(s: &str) -> String {
        WrittenDate::parse(s).map(|d| d.year_month()).unwrap_or_else(|| panic!("{s} is a date"))
    }

    #[test]
    fn shifts_keep_the_written_form() {
        assert_eq!(shift("2024/03/05", -35), "2024/01/30");
        assert_eq!(shift("2024-3-5", -35), "2024-1-30");
        assert_eq!(shift("2024年3月5日", -35), "2024年1月30日");
        assert_eq!(shift("２０２４年３月５日", -35), "２０２４年１月３０日");
        assert_eq!(shift("2024 年 3 月 5 日", -35), "2024 年 1 月 30 日");
        assert_eq!(shift("03/05/2024", -35), "01/30/2024");
        assert_eq!(shift("3/5/24", -35), "1/30/24");
        assert_eq!(shift("Mar 5, 2024", -35), "Jan 30, 2024");
        assert_eq!(shift("5 March 2024", -35), "30 January 2024");
        assert_eq!(shift("05MAR2024", -35), "30JAN2024");
        assert_eq!(shift("3月5日", -35), "1月29日", "no year: a non-leap reference year");
        assert_eq!(shift("6/13", -7), "6/6");
        let md = WrittenDate::parse("3月19日").expect("a date");
        assert_eq!(md.shifted_in(-133, Some(2024)).as_deref(), Some("11月7日"), "2024 is a leap year");
        assert_eq!(md.shifted_in(-133, None).as_deref(), Some("11月6日"));
        assert_eq!(shift("2024/03/19", -14), "2024/03/05", "padded like its sibling");
        assert_eq!(shift("12/19/2024", -14), "12/05/2024", "two-digit fields stay two digits");
    }

    #[test]
    fn japanese_eras_are_recomputed() {
        assert_eq!(shift("令和6年3月5日", -35), "令和6年1月30日");
        assert_eq!(shift("令和元年5月10日", -14), "平成31年4月26日");
        assert_eq!(shift("R6.3.5", -35), "R6.1.30");
        assert_eq!(shift("H31/4/30", 7), "R1/5/7");
        assert_eq!(shift("昭和45年3月15日", -7), "昭和45年3月8日");
        assert_eq!(shift("㍼45年3月15日", -7), "㍼45年3月8日");
    }

    #[test]
    fn coarse_dates_are_not_shifted() {
        assert_eq!(shift("2024年3月", -35), "2024年3月");
        assert_eq!(shift("昭和45年", -35), "昭和45年");
    }

    #[test]
    fn year_month_drops_the_day_in_the_same_form() {
        assert_eq!(ym("2024年3月5日"), "2024年3月");
        assert_eq!(ym("令和6年3月5日"), "令和6年3月");
        assert_eq!(ym("2024/03/05"), "2024/03");
        assert_eq!(ym("Mar 5, 2024"), "Mar 2024");
        assert_eq!(ym("5 March 2024"), "March 2024");
        assert_eq!(ym("R6.3.5"), "R6.3");
        assert_eq!(ym("3月5日"), "3月");
    }

    #[test]
    fn non_dates_are_refused() {
        for s in ["2024/13/05", "2/30/2024", "令和年", "X6.3.5", "hello", "", "令和2147483647年", "99999999999/1/1"]
        {
            assert!(WrittenDate::parse(s).is_none(), "{s}");
        }
    }
}
