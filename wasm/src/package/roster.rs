//! Linkage registers (名寄せ用の台帳: record id, name, reading, birth date, sex…) turned into
//! token rows in the browser. The register itself never enters the package: only the keyed
//! tokens do, the same rows `kakou link tokens` and `linkageTokens` make under the same key.

use kakou_sdk::linkage::tokens::Encoder;
use kakou_sdk::linkage::{LinkageKey, NameSalt};
use kakou_sdk::records::table_reader::write_field;
use kakou_sdk::records::{EncodingChoice, TableEvent, TableReader};

use crate::linkage::{Record, columns};

/// The register columns linkage reads (the CLI mapping's names); other columns are ignored.
const FIELDS: [&str; 16] = [
    "record_id",
    "name",
    "family_name",
    "given_name",
    "kana",
    "kana_family",
    "kana_given",
    "birth_date",
    "sex",
    "postal_code",
    "address",
    "insurer_number",
    "insured_symbol",
    "insured_number",
    "insured_branch",
    "other_id",
];

/// The token file for a register, and how many of its rows were left out (no record id, or a
/// row the reader could not trust), never silently.
pub struct RosterTokens {
    pub csv: Vec<u8>,
    pub rows: u64,
    pub skipped: u64,
}

pub fn roster_tokens(bytes: &[u8], key: &LinkageKey, source: &str) -> RosterTokens {
    let encoder = Encoder::new(key, NameSalt::None);
    let head = columns(false);
    let mut csv = Vec::new();
    write_row(&mut csv, head.iter().map(String::as_str));
    let (mut rows, mut skipped) = (0, 0);
    let mut names: Vec<String> = Vec::new();
    let mut on = |event: TableEvent<'_>| match event {
        TableEvent::Header { fields, .. } => names = fields.iter().map(|f| f.trim().to_ascii_lowercase()).collect(),
        TableEvent::Row { fields, .. } => {
            let object: serde_json::Map<String, serde_json::Value> = names
                .iter()
                .zip(fields.iter())
                .filter(|(n, _)| FIELDS.contains(&n.as_str()))
                .map(|(n, v)| (n.clone(), serde_json::Value::String(v.to_string())))
                .collect();
            let Ok(record) = serde_json::from_value::<Record>(serde_json::Value::Object(object)) else {
                skipped += 1;
                return;
            };
            let (id, person) = record.into_parts();
            let Some(id) = id else {
                skipped += 1;
                return;
            };
            let encoded = encoder.encode(&person);
            let mut values = vec![source.to_string(), id, encoder.fingerprint().to_string()];
            values.extend(encoded.tokens.to_columns());
            write_row(&mut csv, values.iter().map(String::as_str));
            rows += 1;
        }
        TableEvent::Bad { .. } => skipped += 1,
    };
    let mut reader = TableReader::new(EncodingChoice::Auto, None);
    reader.push(bytes, &mut on);
    reader.finish(&mut on);
    RosterTokens { csv, rows, skipped }
}

fn write_row<'a>(out: &mut Vec<u8>, fields: impl Iterator<Item = &'a str>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_field(out, f, b',');
    }
    out.extend_from_slice(b"\r\n");
}
