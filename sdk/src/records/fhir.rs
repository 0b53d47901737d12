//! FHIR R4 JSON: bundles, single resources and NDJSON (Bulk Data export).
//!
//! One walk over each resource, by element name rather than by resource type, so resources
//! Kakou has no special rule for are still cleaned: `name` (HumanName), `telecom`, `photo` and
//! `contact` are removed; `address` is coarsened; `identifier` values become keyed surrogates
//! (the patient's own MR/PI identifiers become the patient pseudonym shared with the CSV and HL7
//! paths; other Patient identifiers — insurance, My Number, passport — are removed); resource
//! ids and references (`Patient/123`, `urn:uuid:…`, `fullUrl`) are rewritten consistently so
//! the bundle still resolves; `display` of references is removed (it carries names); narrative
//! `text.div`, `note[].text` and `valueString` go through the text redactor with the bundle's
//! patient identifiers as hints; `birthDate` follows the policy. Codes, quantities and dates of
//! care are kept.

use serde_json::{Map, Value};

use crate::address::{PREFECTURES, coarsen_address};

use super::policy::{Action, DateLevel, FreeText, Policy, Role};
use super::report::{RecordReport, Tally};
use super::values::{Keyed, RecordHints, RecordText, transform_date};
use super::{Output, RecordError};

/// Resource types whose identifiers and names belong to people other than the patient.
const PEOPLE: &[&str] = &["Practitioner", "RelatedPerson", "Person", "PractitionerRole"];

struct Walk<'a> {
    keyed: &'a mut Keyed,
    policy: &'a Policy,
    text: RecordText,
    tally: Tally,
}

/// Pseudonymizes a FHIR JSON document (`Bundle` or one resource) or, when `source` ends with
/// `.ndjson`, one resource per line (bad lines are reported and skipped).
pub fn pseudonymize_fhir(
    keyed: &mut Keyed,
    policy: &Policy,
    source: &str,
    bytes: &[u8],
) -> Result<(Vec<u8>, Output), RecordError> {
    let not_fhir = |reason: String| RecordError::NotFhir { input: source.to_string(), reason };
    let text = std::str::from_utf8(bytes).map_err(|e| not_fhir(format!("not UTF-8 ({e})")))?;
    let text = text.trim_start_matches('\u{feff}');
    let mut report = RecordReport::new(source, "fhir-r4");
    report.encoding = Some("UTF-8".into());
    if source.to_ascii_lowercase().ends_with(".ndjson") {
        return ndjson(keyed, policy, text, report);
    }
    let mut doc: Value = serde_json::from_str(text)
        .map_err(|e| not_fhir(format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column())))?;
    let rtype = doc.get("resourceType").and_then(Value::as_str).unwrap_or_default().to_string();
    if rtype.is_empty() {
        return Err(not_fhir("no resourceType".into()));
    }
    let mut hints = RecordHints::default();
    collect_hints(&doc, &mut hints);
    let text = RecordText { redactor: keyed.text_redactor(policy), patient: hints.build() };
    let mut walk = Walk { keyed, policy, text, tally: Tally::default() };
    if rtype == "Bundle" {
        let entries = doc.get_mut("entry").and_then(Value::as_array_mut).map(std::mem::take).unwrap_or_default();
        let mut kept = Vec::with_capacity(entries.len());
        for (i, mut entry) in entries.into_iter().enumerate() {
            report.rows_in += 1;
            match walk.entry(&mut entry) {
                Ok(()) => kept.push(entry),
                Err(reason) => report.bad((i + 1) as u64, format!("entry {}: {reason}: not written", i + 1)),
            }
        }
        report.rows_out = kept.len() as u64;
        if let Some(obj) = doc.as_object_mut() {
            obj.insert("entry".into(), Value::Array(kept));
            obj.remove("identifier").map(|_| walk.tally.count("Bundle.identifier", Role::Linkage, Action::Remove));
            if let Some(id) = obj.get_mut("id") {
                walk.map_id("Bundle", id);
            }
        }
    } else {
        report.rows_in = 1;
        walk.resource(&mut doc).map_err(not_fhir)?;
        report.rows_out = 1;
    }
    report.columns = walk.tally.into_columns();
    let out = serde_json::to_vec_pretty(&doc).map_err(|e| not_fhir(e.to_string()))?;
    Ok((out, Output { report, mapping: keyed.take_mapping() }))
}

fn ndjson(
    keyed: &mut Keyed,
    policy: &Policy,
    text: &str,
    report: RecordReport,
) -> Result<(Vec<u8>, Output), RecordError> {
    let mut n = NdjsonPseudonymizer { keyed, policy, report, tally: Tally::default(), line: 0, partial: Vec::new() };
    let mut out = Vec::with_capacity(text.len());
    n.push(text.as_bytes(), &mut out);
    let output = n.finish(&mut out);
    Ok((out, output))
}

/// Streaming NDJSON (FHIR Bulk Data): a push parser over byte chunks, one resource per line, so
/// a multi-gigabyte export is processed in the memory of its longest line. Each line's own
/// Patient / RelatedPerson values are its free-text hints.
pub struct NdjsonPseudonymizer<'a> {
    keyed: &'a mut Keyed,
    policy: &'a Policy,
    report: RecordReport,
    tally: Tally,
    line: u64,
    partial: Vec<u8>,
}

impl<'a> NdjsonPseudonymizer<'a> {
    pub fn new(keyed: &'a mut Keyed, policy: &'a Policy, source: &str) -> Self {
        let mut report = RecordReport::new(source, "fhir-r4-ndjson");
        report.encoding = Some("UTF-8".into());
        NdjsonPseudonymizer { keyed, policy, report, tally: Tally::default(), line: 0, partial: Vec::new() }
    }

    /// Feeds a chunk; the resources of the lines it completes are appended to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let mut rest = chunk;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            if self.partial.is_empty() {
                self.line_done(&rest[..i], out);
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&rest[..i]);
                self.line_done(&line, out);
            }
            rest = &rest[i + 1..];
        }
        self.partial.extend_from_slice(rest);
    }

    /// Ends the input (a last line without a line break is processed) → report and mapping.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Output {
        let last = std::mem::take(&mut self.partial);
        if !last.is_empty() {
            self.line_done(&last, out);
        }
        self.report.columns = self.tally.into_columns();
        Output { report: self.report, mapping: self.keyed.take_mapping() }
    }

    fn line_done(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        self.line += 1;
        let line = match std::str::from_utf8(bytes) {
            Ok(l) => l.trim_start_matches('\u{feff}').trim(),
            Err(e) => return self.report.bad(self.line, format!("not UTF-8 ({e})")),
        };
        if line.is_empty() {
            return;
        }
        self.report.rows_in += 1;
        let mut v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => return self.report.bad(self.line, format!("invalid JSON at column {}: {e}", e.column())),
        };
        let mut hints = RecordHints::default();
        collect_hints(&v, &mut hints);
        let tally = std::mem::take(&mut self.tally);
        let text = RecordText { redactor: self.keyed.text_redactor(self.policy), patient: hints.build() };
        let mut walk = Walk { keyed: self.keyed, policy: self.policy, text, tally };
        let result = walk.resource(&mut v);
        self.tally = walk.tally;
        match result.and_then(|()| serde_json::to_vec(&v).map_err(|e| e.to_string())) {
            Ok(bytes) => {
                out.extend_from_slice(&bytes);
                out.push(b'\n');
                self.report.rows_out += 1;
            }
            Err(reason) => self.report.bad(self.line, reason),
        }
    }
}

/// Names (and kana readings), identifiers, telecoms, addresses and birth dates of Patient and
/// RelatedPerson resources anywhere in `v`: the values to find in free text.
fn collect_hints(v: &Value, hints: &mut RecordHints) {
    match v {
        Value::Object(map) => {
            let rtype = map.get("resourceType").and_then(Value::as_str).unwrap_or_default();
            if matches!(rtype, "Patient" | "RelatedPerson") {
                person_hints(rtype, map, hints);
            }
            map.values().for_each(|x| collect_hints(x, hints));
        }
        Value::Array(items) => items.iter().for_each(|x| collect_hints(x, hints)),
        _ => {}
    }
}

fn person_hints(rtype: &str, map: &Map<String, Value>, hints: &mut RecordHints) {
    let items = |key: &str| map.get(key).and_then(Value::as_array).into_iter().flatten();
    let str_of = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    for name in items("name") {
        let given: Vec<&str> =
            name.get("given").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        hints.name(&format!("{} {}", str_of(name, "family"), given.join(" ")));
        hints.name(&str_of(name, "text"));
    }
    for id in items("identifier") {
        let value = str_of(id, "value");
        if rtype == "Patient" { hints.patient_id(&value) } else { hints.id(&value) }
    }
    for t in items("telecom") {
        let value = str_of(t, "value");
        match str_of(t, "system").as_str() {
            "phone" | "fax" | "sms" | "pager" => hints.phone(&value),
            "email" => hints.email(&value),
            _ => hints.direct_identifier(&value),
        }
    }
    for a in items("address") {
        let lines: Vec<&str> =
            a.get("line").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        hints.address(&str_of(a, "text"));
        let parts = [str_of(a, "state"), str_of(a, "district"), str_of(a, "city"), lines.concat()];
        hints.address(&parts.concat());
        lines.iter().for_each(|l| hints.address(l));
        hints.address(&str_of(a, "city"));
        hints.id(&str_of(a, "postalCode"));
    }
    if let Some(bd) = map.get("birthDate").and_then(Value::as_str) {
        hints.birth_date(bd);
    }
}

impl Walk<'_> {
    fn entry(&mut self, entry: &mut Value) -> Result<(), String> {
        let obj = entry.as_object_mut().ok_or("not a JSON object")?;
        let resource = obj.get_mut("resource").ok_or("no resource")?;
        self.resource(resource)?;
        if let Some(Value::String(url)) = obj.get_mut("fullUrl") {
            *url = self.map_reference(url);
        }
        if let Some(Value::String(url)) = obj.get_mut("request").and_then(|r| r.get_mut("url")) {
            *url = self.map_reference(url);
        }
        Ok(())
    }

    fn resource(&mut self, v: &mut Value) -> Result<(), String> {
        let obj = v.as_object_mut().ok_or("a resource must be a JSON object")?;
        let rtype = obj.get("resourceType").and_then(Value::as_str).ok_or("no resourceType")?.to_string();
        if !rtype.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(format!("'{rtype}' is not a resource type"));
        }
        if let Some(id) = obj.get_mut("id") {
            self.map_id(&rtype, id);
        }
        if rtype == "Patient" {
            self.patient(obj);
        }
        self.object(&rtype, &rtype, obj);
        Ok(())
    }

    /// Patient: MR/PI identifiers → patient pseudonym, other identifiers removed, extensions
    /// removed (birth place, nationality…), birth date by policy.
    fn patient(&mut self, obj: &mut Map<String, Value>) {
        if let Some(Value::Array(ids)) = obj.remove("identifier") {
            let mut kept = Vec::new();
            for mut id in ids {
                let own = id.pointer("/type/coding").and_then(Value::as_array).is_some_and(|c| {
                    c.iter().any(|c| matches!(c.get("code").and_then(Value::as_str), Some("MR" | "PI")))
                });
                let value = id.get("value").and_then(Value::as_str).map(str::to_string);
                match (own, value, id.as_object_mut()) {
                    (true, Some(value), Some(o)) => {
                        self.tally.count("Patient.identifier (MR/PI)", Role::PatientId, Action::Pseudonymize);
                        o.insert("value".into(), Value::String(self.keyed.patient(&value)));
                        o.remove("assigner");
                        kept.push(id);
                    }
                    _ => {
                        self.tally.count("Patient.identifier (other)", Role::IndividualCode, Action::Remove);
                    }
                }
            }
            if !kept.is_empty() {
                obj.insert("identifier".into(), Value::Array(kept));
            }
        }
        for key in ["extension", "modifierExtension", "link"] {
            if obj.remove(key).is_some() {
                self.tally.count(&format!("Patient.{key}"), Role::DirectIdentifier, Action::Remove);
            }
        }
        if let Some(Value::String(bd)) = obj.get("birthDate").cloned() {
            let action = match self.policy.birth_date {
                DateLevel::Keep => Action::Keep,
                DateLevel::YearMonth => Action::YearMonth,
                DateLevel::Year => Action::Year,
                DateLevel::Remove => Action::Remove,
            };
            let col = self.tally.count("Patient.birthDate", Role::BirthDate, action);
            match transform_date(&bd, action) {
                Some(d) => {
                    obj.insert("birthDate".into(), Value::String(d));
                }
                None => {
                    col.removed_unreadable += u64::from(action != Action::Remove);
                    obj.remove("birthDate");
                }
            }
        }
    }

    fn object(&mut self, rtype: &str, path: &str, obj: &mut Map<String, Value>) {
        let is_reference = obj.contains_key("reference");
        if is_reference && obj.remove("display").is_some() {
            self.tally.count("*.reference.display", Role::DirectIdentifier, Action::Remove);
        }
        let keys: Vec<String> = obj.keys().cloned().collect();
        for key in keys {
            let here = format!("{rtype}.{key}");
            match key.as_str() {
                "name" if is_human_name(&obj[&key]) => {
                    obj.remove(&key);
                    self.tally.count(&here, Role::DirectIdentifier, Action::Remove);
                }
                "telecom" | "photo" | "contact" if rtype != "Bundle" => {
                    obj.remove(&key);
                    self.tally.count(&here, Role::DirectIdentifier, Action::Remove);
                }
                "identifier" if PEOPLE.contains(&rtype) => {
                    obj.remove(&key);
                    self.tally.count(&here, Role::IndividualCode, Action::Remove);
                }
                "identifier" if rtype != "Patient" || path != "Patient" => self.identifiers(&here, &mut obj[&key]),
                "address" => {
                    let coarse = self.addresses(&here, &obj[&key]);
                    match coarse {
                        Some(a) => obj.insert(key, a),
                        None => obj.remove(&key),
                    };
                }
                "reference" => {
                    if let Value::String(r) = &obj[&key] {
                        let mapped = self.map_reference(r);
                        self.tally.count("*.reference", Role::Linkage, Action::Pseudonymize);
                        obj.insert(key, Value::String(mapped));
                    }
                }
                "text" if obj[&key].get("div").is_some() => self.narrative(&here, &mut obj[&key]),
                "valueString" => self.text(&here, &mut obj[&key]),
                "note" => self.notes(&here, &mut obj[&key]),
                _ => self.value(rtype, &here, &mut obj[&key]),
            }
        }
    }

    fn value(&mut self, rtype: &str, path: &str, v: &mut Value) {
        match v {
            Value::Object(o) => {
                // A contained resource or a bundle inside a bundle is a resource of its own.
                if o.contains_key("resourceType") {
                    if self.resource(v).is_err() {
                        // Not walkable as a resource: removed rather than left uncleaned.
                        *v = Value::Null;
                        self.tally.count(&format!("{path} (invalid resource)"), Role::DirectIdentifier, Action::Remove);
                    }
                } else {
                    self.object(rtype, path, o);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|x| self.value(rtype, path, x)),
            _ => {}
        }
    }

    fn identifiers(&mut self, path: &str, v: &mut Value) {
        let items: Vec<&mut Value> = match v {
            Value::Array(items) => items.iter_mut().collect(),
            other => vec![other],
        };
        for item in items {
            if let Some(o) = item.as_object_mut() {
                if let Some(Value::String(value)) = o.get("value").cloned() {
                    o.insert("value".into(), Value::String(self.keyed.surrogate("linkage", &value)));
                    self.tally.count(path, Role::Linkage, Action::Pseudonymize);
                }
                o.remove("assigner");
            }
        }
    }

    /// Each address coarsened to `{use, type, state, city}`; `None` when none survives.
    fn addresses(&mut self, path: &str, v: &Value) -> Option<Value> {
        let list: Vec<&Value> = match v {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let remove = self.policy.address == crate::address::AddressPolicy::Remove;
        let col = self.tally.count(path, Role::Address, if remove { Action::Remove } else { Action::Coarsen });
        let mut out = Vec::new();
        for a in list {
            let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            let lines: Vec<&str> =
                a.get("line").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
            let whole = format!("{}{}{}{}{}", s("state"), s("city"), s("district"), lines.concat(), s("text"));
            let Some(coarse) = coarsen_address(&whole, self.policy.address) else {
                col.removed_unreadable += u64::from(!remove);
                continue;
            };
            let pref = PREFECTURES.iter().find(|p| coarse.starts_with(**p)).copied().unwrap_or_default();
            let mut o = Map::new();
            for k in ["use", "type"] {
                if let Some(x) = a.get(k) {
                    o.insert(k.into(), x.clone());
                }
            }
            o.insert("state".into(), Value::String(pref.to_string()));
            if coarse.len() > pref.len() {
                o.insert("city".into(), Value::String(coarse[pref.len()..].to_string()));
            }
            out.push(Value::Object(o));
        }
        match (out.is_empty(), v.is_array()) {
            (true, _) => None,
            (false, true) => Some(Value::Array(out)),
            (false, false) => out.into_iter().next(),
        }
    }

    fn narrative(&mut self, path: &str, v: &mut Value) {
        if let Some(Value::String(div)) = v.get_mut("div") {
            let col = self.tally.count(&format!("{path}.div"), Role::FreeText, self.text_action());
            if col.action == Action::Remove {
                *div = "<div xmlns=\"http://www.w3.org/1999/xhtml\"></div>".into();
            } else {
                let (text, n) = self.text.redact(div);
                col.text_replacements += n as u64;
                *div = text;
            }
        }
    }

    fn notes(&mut self, path: &str, v: &mut Value) {
        if let Value::Array(items) = v {
            for note in items.iter_mut() {
                if let Some(o) = note.as_object_mut() {
                    if o.remove("authorString").is_some() {
                        self.tally.count(&format!("{path}.authorString"), Role::DirectIdentifier, Action::Remove);
                    }
                    if let Some(r) = o.get_mut("authorReference").and_then(Value::as_object_mut) {
                        self.object("Reference", path, r);
                    }
                    if let Some(t) = o.get_mut("text") {
                        self.text(&format!("{path}.text"), t);
                    }
                }
            }
        }
    }

    fn text(&mut self, path: &str, v: &mut Value) {
        if let Value::String(s) = v {
            let col = self.tally.count(path, Role::FreeText, self.text_action());
            if col.action == Action::Remove {
                s.clear();
            } else {
                let (text, n) = self.text.redact(s);
                col.text_replacements += n as u64;
                *s = text;
            }
        }
    }

    fn text_action(&self) -> Action {
        match self.policy.free_text {
            FreeText::Redact => Action::Redact,
            FreeText::Remove => Action::Remove,
        }
    }

    fn map_id(&mut self, rtype: &str, id: &mut Value) {
        if let Value::String(s) = id {
            *s = self.keyed.surrogate(&format!("fhir/{rtype}"), s);
            self.tally.count(&format!("{rtype}.id"), Role::Linkage, Action::Pseudonymize);
        }
    }

    /// `Type/id` (optionally after a base URL, with `/_history/n`) and `urn:uuid:` references.
    fn map_reference(&mut self, r: &str) -> String {
        if let Some(uuid) = r.strip_prefix("urn:uuid:") {
            return format!("urn:uuid:{}", self.keyed.uuid("fhir/uuid", uuid));
        }
        if r.starts_with('#') {
            return r.to_string(); // contained resource
        }
        let path = r.split("/_history/").next().unwrap_or(r);
        let parts: Vec<&str> = path.rsplitn(3, '/').collect();
        match parts.as_slice() {
            [id, rtype, ..] if rtype.chars().next().is_some_and(|c| c.is_ascii_uppercase()) => {
                format!("{rtype}/{}", self.keyed.surrogate(&format!("fhir/{rtype}"), id))
            }
            // Not a form Kakou can map consistently: replace whole (it may embed an ID).
            _ => format!("urn:kakou:{}", self.keyed.surrogate("fhir/reference", r)),
        }
    }
}

/// A HumanName or a list of them (an Organization's `name` is a plain string and stays).
fn is_human_name(v: &Value) -> bool {
    let looks = |x: &Value| x.is_object() && ["family", "given", "text"].iter().any(|k| x.get(k).is_some());
    match v {
        Value::Array(items) => items.iter().any(looks),
        other => looks(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProjectKey;

    const BUNDLE: &str = r#"{
      "resourceType": "Bundle", "type": "collection", "id": "b1",
      "entry": [
        {"fullUrl": "urn:uuid:9a0f3c4e-0000-4000-8000-000000000001",
         "resource": {"resourceType": "Patient", "id": "p1",
           "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">内閣 花子 1980-01-01</div>"},
           "identifier": [
             {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}, "value": "10001"},
             {"system": "urn:oid:1.2.392.100495.20.3.61", "value": "12345678"}],
           "name": [{"family": "内閣", "given": ["花子"]}],
           "telecom": [{"system": "phone", "value": "03-1234-5678"}],
           "gender": "female", "birthDate": "1980-01-01",
           "address": [{"use": "home", "text": "東京都千代田区永田町1-6-1", "postalCode": "100-0014"}]}},
        {"fullUrl": "urn:uuid:9a0f3c4e-0000-4000-8000-000000000002",
         "resource": {"resourceType": "Observation", "id": "o1", "status": "final",
           "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}]},
           "subject": {"reference": "urn:uuid:9a0f3c4e-0000-4000-8000-000000000001", "display": "内閣 花子"},
           "performer": [{"reference": "Practitioner/dr9", "display": "医師 一郎"}],
           "valueQuantity": {"value": 52.3, "unit": "kg"},
           "note": [{"authorString": "看護師 二郎", "text": "花子さん本人より聴取。連絡先 090-1111-2222"}]}},
        {"resource": {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
           "contained": [{"resourceType": "Bad Type", "name": [{"family": "隠田"}]}],
           "code": {"text": "2型糖尿病"}}},
        {"resource": {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
           "subject": {"reference": "Patient/p1"}, "identifier": [{"value": "RX-0042"}]}},
        {"resource": {"resourceType": "Encounter", "id": "e1", "status": "finished"}},
        "not an entry",
        {"resource": {"id": "no-type"}}
      ]
    }"#;

    fn run(bytes: &str, source: &str, policy: &Policy) -> (Value, String, Output) {
        let mut keyed = Keyed::new(&ProjectKey::from_bytes([6; 32]), "", true);
        let (out, output) = pseudonymize_fhir(&mut keyed, policy, source, bytes.as_bytes()).unwrap();
        let text = String::from_utf8(out).unwrap();
        let v = if source.ends_with(".ndjson") { Value::Null } else { serde_json::from_str(&text).unwrap() };
        (v, text, output)
    }

    #[test]
    fn a_bundle_loses_identifiers_keeps_medicine_and_still_resolves() {
        let (v, text, output) = run(BUNDLE, "b.json", &Policy::default());
        for gone in [
            "内閣",
            "花子",
            "10001",
            "12345678",
            "03-1234-5678",
            "永田町",
            "医師",
            "看護師",
            "090-1111-2222",
            "RX-0042",
            "\"p1\"",
            "dr9",
            "隠田",
        ] {
            assert!(!text.contains(gone), "{gone} left in {text}");
        }
        let entries = v["entry"].as_array().unwrap();
        assert_eq!(entries.len(), 5, "two bad entries dropped");
        assert_eq!((output.report.rows_bad, output.report.bad_rows[0].line), (2, 6));
        let patient = &entries[0]["resource"];
        let mut keyed = Keyed::new(&ProjectKey::from_bytes([6; 32]), "", false);
        assert_eq!(patient["identifier"][0]["value"], keyed.patient("10001").as_str());
        assert_eq!(patient["identifier"].as_array().unwrap().len(), 1);
        assert_eq!((patient["gender"].as_str(), patient["birthDate"].as_str()), (Some("female"), Some("1980-01-01")));
        assert_eq!(patient["address"][0]["state"], "東京都");
        assert_eq!(patient["address"][0]["city"], "千代田区");
        let obs = &entries[1]["resource"];
        assert_eq!(obs["subject"]["reference"], entries[0]["fullUrl"], "urn:uuid references still resolve");
        assert_eq!(obs["valueQuantity"]["value"], 52.3);
        assert_eq!(obs["code"]["coding"][0]["display"], "Body weight", "coding display is kept");
        let cond = &entries[2]["resource"];
        assert_eq!(cond["subject"]["reference"], format!("Patient/{}", patient["id"].as_str().unwrap()));
        assert_eq!(cond["code"]["text"], "2型糖尿病");
        assert_eq!(output.mapping.len(), 1);
    }

    #[test]
    fn ndjson_lines_are_independent_and_bad_lines_reported() {
        let input = "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"birthDate\":\"1980-05-06\",\"name\":[{\"text\":\"山田太郎\"}]}\n{broken\n\n{\"resourceType\":\"Observation\",\"subject\":{\"reference\":\"Patient/p1\"}}\n";
        let policy: Policy = serde_json::from_str(r#"{"birth_date":"year"}"#).unwrap();
        let (_, text, output) = run(input, "x.ndjson", &policy);
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["birthDate"], "1980");
        assert!(lines[0].get("name").is_none());
        assert_eq!(lines[1]["subject"]["reference"], format!("Patient/{}", lines[0]["id"].as_str().unwrap()));
        assert_eq!((output.report.rows_bad, output.report.bad_rows[0].line), (1, 2));
        // Pushed in 5-byte chunks: the same bytes.
        let mut keyed = Keyed::new(&ProjectKey::from_bytes([6; 32]), "", false);
        let mut p = NdjsonPseudonymizer::new(&mut keyed, &policy, "x.ndjson");
        let mut out = Vec::new();
        for c in input.as_bytes().chunks(5) {
            p.push(c, &mut out);
        }
        let chunked = p.finish(&mut out);
        assert_eq!(String::from_utf8(out).unwrap(), text);
        assert_eq!(chunked.report.bad_rows, output.report.bad_rows);
    }

    #[test]
    fn resources_with_missing_fields_and_non_fhir_input() {
        let (v, _, _) = run(r#"{"resourceType":"Patient"}"#, "p.json", &Policy::default());
        assert_eq!(v["resourceType"], "Patient");
        let mut keyed = Keyed::new(&ProjectKey::from_bytes([6; 32]), "", false);
        for bad in ["[1,2]", "{\"a\":1}", "{\"resourceType\":"] {
            let err = pseudonymize_fhir(&mut keyed, &Policy::default(), "x.json", bad.as_bytes()).unwrap_err();
            assert_eq!(err.code(), "not-fhir", "{bad}");
        }
    }
}
