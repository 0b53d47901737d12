//! HL7 v2.5 messages as SS-MIX2 stores them (ADT, OMP/RDE prescriptions, OML/OUL results…).
//!
//! A message is segments (`\r`-separated) of fields (`|`), repetitions (`~`), components (`^`)
//! and sub-components (`&`), with the separators declared in MSH-1/MSH-2 and escape sequences
//! (`\F\ \S\ \T\ \R\ \E\`, `\.br\`) for separators inside text. The rules below name, per
//! segment, the fields that identify someone: PID-3 becomes the patient pseudonym (the same
//! one the CSV path and `kakou dicom` give), names, phones and 個人識別符号 are emptied, the
//! address is coarsened, order and visit numbers get keyed surrogates, staff names are removed,
//! and text values (OBX-5 of type TX/FT/ST, NTE-3, OBR-13) go through the redactor with the
//! message's own identifiers as hints. Segments Kakou does not know (including local Z
//! segments) keep only their name: privacy first, and the report says so.
//!
//! SS-MIX2 stores HL7 in ISO-2022-JP (MSH-18 `ISO IR87`); the message is decoded by MSH-18 or
//! detection and written back in the same encoding.

use encoding_rs::{Encoding, ISO_2022_JP, SHIFT_JIS, UTF_8};

use crate::address::{PREFECTURES, coarsen_address};

use super::policy::{Action, Policy, Role};
use super::report::{RecordReport, Tally};
use crate::text::Patient;

use super::values::{Keyed, RecordHints, RecordText, transform_date};
use super::{Output, RecordError};

/// What happens to one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Keep,
    Remove,
    /// PID-3: component 1 of each repetition → patient pseudonym; other IDs' types kept.
    PatientIds,
    /// Component 1 of each repetition → keyed surrogate (order, visit numbers).
    Linkage,
    BirthDate,
    Address,
    /// Text: unescaped, redacted, escaped again.
    Text,
    /// OBX-5: text if OBX-2 is TX, FT or ST, else kept.
    ObservationValue,
}

/// `(segment, rule for unlisted fields, [(field number, rule)])`.
type SegmentRules = (&'static str, Rule, &'static [(usize, Rule)]);

const SEGMENTS: &[SegmentRules] = {
    use Rule::*;
    &[
        ("MSH", Keep, &[(10, Linkage)]),
        ("EVN", Keep, &[(5, Remove)]),
        (
            "PID",
            Remove,
            &[
                (1, Keep),
                (3, PatientIds),
                (7, BirthDate),
                (8, Keep),
                (10, Keep),
                (11, Address),
                (15, Keep),
                (16, Keep),
                (17, Keep),
                (22, Keep),
                (24, Keep),
                (25, Keep),
                (28, Keep),
                (29, Keep),
                (30, Keep),
                (33, Keep),
                (35, Keep),
            ],
        ),
        ("PD1", Remove, &[(1, Keep)]),
        ("NK1", Remove, &[(1, Keep), (3, Keep)]),
        ("IN1", Remove, &[(1, Keep), (15, Keep)]),
        ("IN2", Remove, &[]),
        (
            "PV1",
            Keep,
            &[
                (5, Remove),
                (7, Remove),
                (8, Remove),
                (9, Remove),
                (17, Remove),
                (19, Linkage),
                (50, Linkage),
                (52, Remove),
            ],
        ),
        ("PV2", Keep, &[(13, Remove), (23, Remove)]),
        (
            "ORC",
            Keep,
            &[
                (2, Linkage),
                (3, Linkage),
                (4, Linkage),
                (10, Remove),
                (11, Remove),
                (12, Remove),
                (14, Remove),
                (19, Remove),
                (24, Remove),
            ],
        ),
        (
            "OBR",
            Keep,
            &[
                (2, Linkage),
                (3, Linkage),
                (10, Remove),
                (13, Text),
                (16, Remove),
                (17, Remove),
                (28, Remove),
                (32, Remove),
                (33, Remove),
                (34, Remove),
                (35, Remove),
            ],
        ),
        ("OBX", Keep, &[(5, ObservationValue), (16, Remove), (25, Remove)]),
        ("NTE", Keep, &[(3, Text), (5, Remove)]),
        ("TQ1", Keep, &[]),
        ("TQ2", Keep, &[]),
        ("RXE", Keep, &[(7, Text), (13, Remove), (14, Remove), (15, Linkage), (21, Text)]),
        ("RXO", Keep, &[(6, Text), (14, Remove)]),
        ("RXR", Keep, &[]),
        ("RXC", Keep, &[]),
        ("RXD", Keep, &[(10, Remove)]),
        ("RXA", Keep, &[(10, Remove)]),
        ("AL1", Keep, &[]),
        ("IAM", Keep, &[(13, Remove)]),
        ("DG1", Keep, &[(16, Remove)]),
        ("PRB", Keep, &[]),
        ("SPM", Keep, &[(2, Linkage), (14, Text)]),
        ("ERR", Keep, &[]),
        ("MSA", Keep, &[]),
    ]
};

fn rules_for(segment: &str) -> Option<&'static SegmentRules> {
    SEGMENTS.iter().find(|(name, _, _)| *name == segment)
}

fn rule(rules: &SegmentRules, field: usize) -> Rule {
    rules.2.iter().find(|(n, _)| *n == field).map_or(rules.1, |(_, r)| *r)
}

/// The separators of a message.
#[derive(Debug, Clone, Copy)]
struct Separators {
    field: char,
    component: char,
    repetition: char,
    escape: char,
    sub: char,
}

/// Pseudonymizes one HL7 v2 message (a file of SS-MIX2 standard storage).
pub fn pseudonymize_message(
    keyed: &mut Keyed,
    policy: &Policy,
    source: &str,
    bytes: &[u8],
) -> Result<(Vec<u8>, Output), RecordError> {
    let not_hl7 = |reason: &str| RecordError::NotHl7 { input: source.to_string(), reason: reason.to_string() };
    let encoding = message_encoding(bytes);
    let (text, _, had_errors) = encoding.decode(bytes);
    let text = text.trim_start_matches('\u{feff}');
    if !text.starts_with("MSH") || text.len() < 8 {
        return Err(not_hl7("it does not start with an MSH segment"));
    }
    let mut chars = text[3..].chars();
    let field = chars.next().ok_or_else(|| not_hl7("no field separator"))?;
    let enc: Vec<char> = chars.take_while(|c| *c != field).collect();
    if enc.len() < 4 || field.is_alphanumeric() {
        return Err(not_hl7("MSH-2 does not declare the encoding characters"));
    }
    let seps = Separators { field, component: enc[0], repetition: enc[1], escape: enc[2], sub: enc[3] };
    let mut report = RecordReport::new(source, "hl7v2");
    report.encoding = Some(encoding.name().to_string());
    if had_errors {
        report.warnings.push(format!("some bytes are not valid {}: replaced", encoding.name()));
    }
    let segments: Vec<&str> = text.split(['\r', '\n']).filter(|s| !s.trim().is_empty()).collect();
    let text_fields = RecordText { redactor: keyed.text_redactor(policy), patient: message_hints(&segments, seps) };
    let mut tally = Tally::default();
    let mut out = String::with_capacity(text.len());
    for (i, segment) in segments.iter().enumerate() {
        report.rows_in += 1;
        let line = (i + 1) as u64;
        match process_segment(segment, seps, keyed, policy, &text_fields, &mut tally) {
            Ok(s) => {
                out.push_str(&s);
                out.push('\r');
                report.rows_out += 1;
            }
            Err(reason) => report.bad(line, reason),
        }
    }
    for name in segments.iter().filter_map(|s| s.get(..3)).filter(|n| rules_for(n).is_none()) {
        let w = format!("segment {name} is not known to Kakou: its fields were removed");
        if !report.warnings.contains(&w) {
            report.warnings.push(w);
        }
    }
    report.columns = tally.into_columns();
    let (encoded, _, _) = encoding.encode(&out);
    Ok((encoded.into_owned(), Output { report, mapping: keyed.take_mapping() }))
}

/// MSH-18 decides (`ISO IR87` → ISO-2022-JP, `UNICODE UTF-8` → UTF-8, `ISO IR13`/`SJIS`…),
/// else escape sequences mean ISO-2022-JP, valid UTF-8 means UTF-8, otherwise Shift_JIS.
fn message_encoding(bytes: &[u8]) -> &'static Encoding {
    let first_line = bytes.split(|&b| b == b'\r' || b == b'\n').next().unwrap_or_default();
    let msh = String::from_utf8_lossy(first_line).to_ascii_uppercase();
    let charset = msh.split('|').nth(17).unwrap_or_default();
    if charset.contains("IR87") || charset.contains("IR 87") || charset.contains("2022") {
        return ISO_2022_JP;
    }
    if charset.contains("UTF-8") || charset.contains("UTF8") {
        return UTF_8;
    }
    if charset.contains("SJIS") || charset.contains("SHIFT") {
        return SHIFT_JIS;
    }
    if bytes.windows(2).any(|w| w == b"\x1b$") {
        return ISO_2022_JP;
    }
    if std::str::from_utf8(bytes).is_ok() { UTF_8 } else { SHIFT_JIS }
}

/// The patient's identifying values in the message (PID names and readings, IDs, birth date,
/// address, phones and the other numbers; NK1 names, address and phones), as the text
/// redactor's hints for the message's text fields.
fn message_hints(segments: &[&str], seps: Separators) -> Patient {
    let mut hints = RecordHints::default();
    for segment in segments {
        let fields: Vec<&str> = segment.split(seps.field).collect();
        let field = |n: usize| fields.get(n).copied().unwrap_or_default();
        let reps = |n: usize| field(n).split(seps.repetition).map(|r| r.split(seps.component).collect::<Vec<_>>());
        let (names, addresses, phones, ids): (&[usize], &[usize], &[usize], &[usize]) = match fields[0] {
            "PID" => (&[5, 6, 9], &[11], &[13, 14], &[2, 4, 18, 19, 20]),
            "NK1" => (&[2], &[4], &[5, 6], &[]),
            _ => continue,
        };
        if fields[0] == "PID" {
            for rep in reps(3) {
                hints.patient_id(&unescape(rep[0], seps));
            }
            hints.birth_date(&unescape(field(7), seps));
        }
        for &f in names {
            for rep in reps(f) {
                // XPN: family ^ given (^ middle); SS-MIX2 repeats it in kanji and in kana.
                let parts: Vec<String> =
                    rep.iter().take(2).map(|c| unescape(c, seps)).filter(|c| !c.is_empty()).collect();
                hints.name(&parts.join(" "));
            }
        }
        for &f in addresses {
            for rep in reps(f) {
                // XAD: street, other, city, state, postal code, …: the whole address as written
                // in Japan (prefecture, city, street), and each of its finer parts.
                let part = |i: usize| rep.get(i).map(|c| unescape(c, seps)).unwrap_or_default();
                hints.address(&format!("{}{}{}{}", part(3), part(2), part(0), part(1)));
                for i in [0, 1, 2] {
                    hints.address(&part(i));
                }
                hints.id(&part(4));
            }
        }
        for &f in phones {
            for rep in reps(f) {
                // XTN-1 (the number as written) or XTN-12 (unformatted); XTN-4 is an e-mail.
                for (i, c) in rep.iter().enumerate() {
                    match i {
                        3 => hints.email(&unescape(c, seps)),
                        0 | 5 | 6 | 11 => hints.phone(&unescape(c, seps)),
                        _ => {}
                    }
                }
            }
        }
        for &f in ids {
            for rep in reps(f) {
                hints.id(&unescape(rep[0], seps));
            }
        }
    }
    hints.build()
}

fn process_segment(
    segment: &str,
    seps: Separators,
    keyed: &mut Keyed,
    policy: &Policy,
    text: &RecordText,
    tally: &mut Tally,
) -> Result<String, String> {
    let fields: Vec<&str> = segment.split(seps.field).collect();
    let name = fields[0];
    if name.len() != 3 || !name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        return Err(format!(
            "'{}' is not a segment name: segment not written",
            name.chars().take(8).collect::<String>()
        ));
    }
    let Some(rules) = rules_for(name) else {
        if fields.len() > 1 {
            tally.count(&format!("{name}-*"), Role::DirectIdentifier, Action::Remove);
        }
        return Ok(name.to_string());
    };
    let value_type = if name == "OBX" { fields.get(2).copied().unwrap_or_default() } else { "" };
    let mut out: Vec<String> = Vec::with_capacity(fields.len());
    out.push(name.to_string());
    for (i, value) in fields.iter().enumerate().skip(1) {
        // MSH-1 is the field separator itself, so MSH's split index i is field i + 1.
        let number = if name == "MSH" { i + 1 } else { i };
        if name == "MSH" && i == 1 || value.is_empty() {
            out.push(value.to_string());
            continue;
        }
        let r = match rule(rules, number) {
            Rule::ObservationValue if matches!(value_type, "TX" | "FT" | "ST") => Rule::Text,
            Rule::ObservationValue => Rule::Keep,
            r => r,
        };
        out.push(apply(r, &format!("{name}-{number}"), value, seps, keyed, policy, text, tally));
    }
    // Trailing empty fields are dropped, as HL7 writers do.
    while out.len() > 1 && out.last().is_some_and(|f| f.is_empty()) {
        out.pop();
    }
    Ok(out.join(&seps.field.to_string()))
}

#[allow(clippy::too_many_arguments)]
fn apply(
    rule: Rule,
    field: &str,
    value: &str,
    seps: Separators,
    keyed: &mut Keyed,
    policy: &Policy,
    text: &RecordText,
    tally: &mut Tally,
) -> String {
    let reps = |f: &mut dyn FnMut(&str) -> String| -> String {
        value.split(seps.repetition).map(f).collect::<Vec<_>>().join(&seps.repetition.to_string())
    };
    match rule {
        Rule::Keep => value.to_string(),
        Rule::Remove => {
            tally.count(field, Role::DirectIdentifier, Action::Remove);
            String::new()
        }
        Rule::PatientIds => {
            // Only the hospital's own patient IDs (CX-5 PI, MR, PT or none) become the patient
            // pseudonym; other repetitions (health card HC, insurance, passport…) are 個人識別符号
            // or foreign IDs and are removed.
            let mut kept = Vec::new();
            let mut removed = 0;
            for rep in value.split(seps.repetition) {
                let mut comps: Vec<String> = rep.split(seps.component).map(str::to_string).collect();
                let id_type = comps.get(4).map(String::as_str).unwrap_or_default();
                if !matches!(id_type, "" | "PI" | "MR" | "PT") {
                    removed += 1;
                    continue;
                }
                let id = unescape(&comps[0], seps);
                if id.is_empty() {
                    continue;
                }
                comps[0] = keyed.patient(&id);
                // CX-2/3 (check digit, its scheme) derive from the local ID.
                for c in comps.iter_mut().skip(1).take(2) {
                    c.clear();
                }
                kept.push(trim_trailing(comps, seps.component));
            }
            tally.count(field, Role::PatientId, Action::Pseudonymize);
            if removed > 0 {
                tally.count(&format!("{field} (other ID types)"), Role::IndividualCode, Action::Remove).values +=
                    removed - 1;
            }
            kept.join(&seps.repetition.to_string())
        }
        Rule::Linkage => {
            tally.count(field, Role::Linkage, Action::Pseudonymize);
            reps(&mut |rep| {
                let mut comps: Vec<String> = rep.split(seps.component).map(str::to_string).collect();
                let v = unescape(&comps[0], seps);
                comps[0] = if v.is_empty() { String::new() } else { keyed.surrogate("linkage", &v) };
                trim_trailing(comps, seps.component)
            })
        }
        Rule::BirthDate => {
            let action = match policy.birth_date {
                super::policy::DateLevel::Keep => Action::Keep,
                super::policy::DateLevel::YearMonth => Action::YearMonth,
                super::policy::DateLevel::Year => Action::Year,
                super::policy::DateLevel::Remove => Action::Remove,
            };
            let col = tally.count(field, Role::BirthDate, action);
            match transform_date(value, action) {
                Some(d) if action == Action::Keep => d,
                Some(d) => d.replace('-', ""),
                None if action == Action::Remove => String::new(),
                None => {
                    col.removed_unreadable += 1;
                    String::new()
                }
            }
        }
        Rule::Address => {
            let action =
                if policy.address == crate::address::AddressPolicy::Remove { Action::Remove } else { Action::Coarsen };
            let col = tally.count(field, Role::Address, action);
            let mut unreadable = 0;
            let out = reps(&mut |rep| {
                let coarse = coarsen_xad(rep, seps, policy.address);
                if coarse.is_empty() && action == Action::Coarsen {
                    unreadable += 1;
                }
                coarse
            });
            col.removed_unreadable += unreadable;
            out
        }
        Rule::Text => {
            let col = tally.count(field, Role::FreeText, policy_text_action(policy));
            if col.action == Action::Remove {
                return String::new();
            }
            let (redacted, n) = text.redact(&unescape(value, seps));
            col.text_replacements += n as u64;
            escape(&redacted, seps)
        }
        Rule::ObservationValue => value.to_string(),
    }
}

fn policy_text_action(policy: &Policy) -> Action {
    match policy.free_text {
        super::policy::FreeText::Redact => Action::Redact,
        super::policy::FreeText::Remove => Action::Remove,
    }
}

fn trim_trailing(mut comps: Vec<String>, sep: char) -> String {
    while comps.len() > 1 && comps.last().is_some_and(|c| c.is_empty()) {
        comps.pop();
    }
    comps.join(&sep.to_string())
}

/// XAD coarsened: prefecture in XAD-4, municipality in XAD-3, the address type (XAD-7) kept,
/// everything else (street, postcode, country) removed. Addresses written whole in one
/// component are understood too. Empty when no prefecture is recognised.
fn coarsen_xad(rep: &str, seps: Separators, level: crate::address::AddressPolicy) -> String {
    let comps: Vec<String> = rep.split(seps.component).map(|c| unescape(c, seps)).collect();
    let get = |i: usize| comps.get(i).map(String::as_str).unwrap_or_default();
    let whole = format!("{}{}{}{}", get(3), get(2), get(0), get(1));
    let Some(coarse) = coarsen_address(&whole, level) else { return String::new() };
    let pref = PREFECTURES.iter().find(|p| coarse.starts_with(**p)).copied().unwrap_or_default();
    let city = &coarse[pref.len()..];
    let mut out = vec![String::new(), String::new(), escape(city, seps), escape(pref, seps)];
    if !get(6).is_empty() {
        out.extend([String::new(), String::new(), escape(get(6), seps)]);
    }
    trim_trailing(out, seps.component)
}

/// Replaces HL7 escape sequences by the characters they stand for; `\.br\` becomes a line
/// break; other formatting commands (`\H\`, `\N\`, `\Xhh\`…) are dropped.
pub fn unescape_text(value: &str) -> String {
    unescape(value, DEFAULT_SEPS)
}

/// Escapes separators (the inverse of [`unescape_text`]).
pub fn escape_text(value: &str) -> String {
    escape(value, DEFAULT_SEPS)
}

const DEFAULT_SEPS: Separators = Separators { field: '|', component: '^', repetition: '~', escape: '\\', sub: '&' };

fn unescape(value: &str, s: Separators) -> String {
    if !value.contains(s.escape) {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find(s.escape) {
        out.push_str(&rest[..start]);
        let after = &rest[start + s.escape.len_utf8()..];
        let Some(end) = after.find(s.escape) else {
            out.push_str(&rest[start..]);
            return out;
        };
        match &after[..end] {
            "F" => out.push(s.field),
            "S" => out.push(s.component),
            "T" => out.push(s.sub),
            "R" => out.push(s.repetition),
            "E" => out.push(s.escape),
            ".br" => out.push('\n'),
            _ => {}
        }
        rest = &after[end + s.escape.len_utf8()..];
    }
    out.push_str(rest);
    out
}

fn escape(value: &str, s: Separators) -> String {
    let mut out = String::with_capacity(value.len());
    let e = s.escape;
    for c in value.chars() {
        match c {
            c if c == s.escape => out.push_str(&format!("{e}E{e}")),
            c if c == s.field => out.push_str(&format!("{e}F{e}")),
            c if c == s.component => out.push_str(&format!("{e}S{e}")),
            c if c == s.sub => out.push_str(&format!("{e}T{e}")),
            c if c == s.repetition => out.push_str(&format!("{e}R{e}")),
            '\n' => out.push_str(&format!("{e}.br{e}")),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProjectKey;

    pub(crate) const ADT: &str = "MSH|^~\\&|HIS|KAKOU|SSMIX2|KAKOU|20240401120000||ADT^A08^ADT_A01|MSG0001|P|2.5||||||~ISO IR87||ISO 2022-1994\r\
EVN||20240401120000|||U0012^医事^太郎\r\
PID|1||1234567890^^^KAKOU^PI~99887766^^^保険^HC||内閣^花子^^^^^L^I~ナイカク^ハナコ^^^^^L^P||19800101|F|||^^千代田区^東京都^100-0014^JPN^H^東京都千代田区永田町1-6-1||^PRN^PH^^^03^1234^5678|||||||||||N\r\
NK1|1|内閣^太郎^^^^^L^I|SPO^配偶者^HL70063|^^千代田区^東京都||^PRN^PH^^^03^1234^5678\r\
PV1|1|O|01^^^KAKOU||||D123^医師^一郎|||01||||||||V0001|||||||||||||||||||||||||20240401\r\
IN1|1|06^協会けんぽ^JHSD0001|01130012|||||||||||||||||||||||||||||||||||12345678\r\
ZPI|1|秘密^情報\r";

    fn key() -> ProjectKey {
        ProjectKey::from_bytes([5; 32])
    }

    fn run(msg: &str, policy: &Policy) -> (String, Output) {
        let (bytes, _, _) = ISO_2022_JP.encode(msg);
        let mut keyed = Keyed::new(&key(), "", true);
        let (out, output) = pseudonymize_message(&mut keyed, policy, "ADT-00/x", &bytes).unwrap();
        assert!(out.windows(2).any(|w| w == b"\x1b$"), "written back in ISO-2022-JP");
        let (text, _, errors) = ISO_2022_JP.decode(&out);
        assert!(!errors);
        (text.into_owned(), output)
    }

    #[test]
    fn an_adt_message_loses_its_identifiers_and_keeps_the_rest() {
        let (out, output) = run(ADT, &Policy::default());
        let seg = |name: &str| out.split('\r').find(|s| s.starts_with(name)).unwrap().to_string();
        let pid: Vec<String> = seg("PID").split('|').map(str::to_string).collect();
        let expected = Keyed::new(&key(), "", false).patient("1234567890");
        assert_eq!(pid[3].split('~').next(), Some(format!("{expected}^^^KAKOU^PI").as_str()));
        assert_eq!((pid[5].as_str(), pid[7].as_str(), pid[8].as_str()), ("", "19800101", "F"));
        assert_eq!(pid[11], "^^千代田区^東京都^^^H");
        for gone in
            ["内閣", "花子", "ハナコ", "1234567890", "99887766", "5678", "永田町", "12345678", "医師", "秘密", "U0012"]
        {
            assert!(!out.contains(gone), "{gone} left: {out}");
        }
        assert!(seg("PV1").contains("|O|01^^^KAKOU|") && seg("PV1").ends_with("|20240401"));
        assert_eq!(seg("ZPI"), "ZPI");
        assert!(seg("MSH").contains("|ADT^A08^ADT_A01|KL"), "control ID surrogate: {}", seg("MSH"));
        assert!(output.report.warnings.iter().any(|w| w.contains("ZPI")));
        assert_eq!(output.mapping.len(), 1, "the health-card number is removed, not pseudonymized");
        assert_eq!(output.mapping.get(&expected).map(String::as_str), Some("1234567890"));
    }

    #[test]
    fn text_observations_are_redacted_through_escape_sequences() {
        let msg = format!(
            "{}OBX|1|TX|^所見||内閣花子さん\\F\\経過良好\\.br\\担当 090-1111-2222 \\S\\ \\T\\ \\R\\ \\E\\||||||F\rOBX|2|NM|3J010^体重||52.3|kg|||||F\r",
            ADT.split("EVN").next().unwrap().to_string() + "PID|1||555^^^^PI||内閣^花子\r"
        );
        let (out, output) = run(&msg, &Policy::default());
        let obx: Vec<&str> = out.split('\r').filter(|s| s.starts_with("OBX")).collect();
        let text = obx[0].split('|').nth(5).unwrap();
        assert!(!text.contains("花子") && !text.contains("090-1111-2222"), "{text}");
        assert!(text.contains("\\F\\経過良好\\.br\\"), "escapes preserved: {text}");
        assert!(text.contains("\\S\\ \\T\\ \\R\\ \\E\\"), "{text}");
        assert!(obx[1].contains("|52.3|kg|"));
        let col = output.report.columns.iter().find(|c| c.name == "OBX-5").unwrap();
        assert!(col.text_replacements >= 2);
    }

    #[test]
    fn escapes_round_trip_and_unknown_formatting_is_dropped() {
        let raw = "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g\\H\\h";
        assert_eq!(unescape_text(raw), "a|b^c&d~e\\f\ngh");
        assert_eq!(escape_text("a|b^c&d~e\\f\ng"), "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g");
    }

    #[test]
    fn birth_date_policy_and_bad_segments() {
        let policy: Policy = serde_json::from_str(r#"{"birth_date":"year-month","address":"prefecture"}"#).unwrap();
        let msg = "MSH|^~\\&|A|B|C|D|20240401||ADT^A08|1|P|2.5\rPID|1||42^^^^PI||||19800315|M|||^^千代田区^東京都\rthis is not a segment\r";
        let (out, output) = run(msg, &policy);
        assert!(out.contains("|198003|M|||^^^東京都\r"), "{out}");
        assert_eq!(output.report.rows_bad, 1);
        assert_eq!(output.report.bad_rows[0].line, 3);
    }

    #[test]
    fn not_hl7_is_an_error() {
        let mut keyed = Keyed::new(&key(), "", false);
        let err = pseudonymize_message(&mut keyed, &Policy::default(), "x.hl7", b"hello").unwrap_err();
        assert_eq!(err.code(), "not-hl7");
    }
}
