//! Linkage (名寄せ) on the linkage-dev set: tokens at each "hospital", linking at the "creator"
//! from the token files only, judged by ../shared/eval/linkage/score_clusters.py. A floor, not a
//! target: the held-out set has other variation (docs/linkage.md).

use std::process::Command;

use kakou_sdk::linkage::tokens::Encoder;
use kakou_sdk::linkage::{LinkOptions, LinkageKey, NameSalt, Person, Source, Tokens, link};
use kakou_tests::shared_dir;

const SOURCES: [&str; 3] = ["hosp_a", "hosp_b", "muni_c"];

/// The hospital side: a register CSV → token rows (text, as the token file holds them).
fn token_rows(encoder: &Encoder, source: &str) -> Vec<(String, Vec<String>)> {
    let path = shared_dir().join(format!("data/linkage-dev/{source}.csv"));
    let mut reader = csv::Reader::from_path(&path).expect("register CSV");
    let header = reader.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    reader
        .records()
        .map(|row| {
            let row = row.expect("row");
            let get = |name: &str| Some(row[col(name)].to_string()).filter(|v| !v.is_empty());
            let person = Person {
                name: get("name_kanji"),
                kana: get("name_kana"),
                birth_date: get("birth_date"),
                sex: get("sex"),
                postal_code: get("postal_code"),
                address: get("address"),
                insurer_number: get("insurer_number"),
                insured_symbol: get("insured_symbol"),
                insured_number: get("insured_number"),
                insured_branch: get("insured_branch"),
                ..Person::default()
            };
            (row[col("record_id")].to_string(), encoder.encode(&person).tokens.to_columns())
        })
        .collect()
}

fn f1(salt: NameSalt) -> f64 {
    let key = LinkageKey::from_hex("6b616b6f752d6c696e6b6167652d746573742d6b65792d3031323334353637ef").expect("key");
    let encoder = Encoder::new(&key, salt);
    let sources: Vec<Source> = SOURCES
        .iter()
        .map(|s| {
            let records = token_rows(&encoder, s)
                .into_iter()
                .map(|(id, cols)| {
                    let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
                    (id, Tokens::from_columns(&cols).expect("token row reads back"))
                })
                .collect();
            Source { name: s.to_string(), records }
        })
        .collect();
    let linkage = link(&sources, &LinkOptions::default());
    let dir = tempfile::tempdir().expect("tmp");
    let pred = dir.path().join("clusters.csv");
    let mut w = csv::Writer::from_path(&pred).expect("write");
    w.write_record(["source", "record_id", "cluster_id"]).expect("write");
    for (s, src) in sources.iter().enumerate() {
        for (r, (id, _)) in src.records.iter().enumerate() {
            w.write_record([src.name.as_str(), id, &linkage.clusters[s][r].to_string()]).expect("write");
        }
    }
    w.flush().expect("flush");
    let out = Command::new("python3")
        .arg(shared_dir().join("eval/linkage/score_clusters.py"))
        .arg(shared_dir().join("data/linkage-dev/truth.csv"))
        .arg(&pred)
        .output()
        .expect("score_clusters.py runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default().to_string();
    last.split_whitespace()
        .find_map(|kv| kv.strip_prefix("f1="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no f1 in score_clusters.py output: {stdout}"))
}

#[test]
fn tokens_only_linkage_meets_the_floor() {
    let f1 = f1(NameSalt::None);
    assert!(f1 >= 0.99, "F1 {f1}");
}

#[test]
fn birth_year_salting_costs_little() {
    let f1 = f1(NameSalt::BirthYear);
    assert!(f1 >= 0.985, "F1 {f1}");
}
