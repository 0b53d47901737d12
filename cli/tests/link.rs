//! `kakou link`: tokens never contain the register's values; bad input is named; match works
//! on the token files alone.

use std::process::Command;

fn kakou() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kakou"))
}

const REGISTER: &str = "\
id,氏名,カナ,生年月日,性別,保険者番号,番号
A1,髙橋　翔太,ﾀｶﾊｼ ｼﾖｳﾀ,昭和50年2月19日,男,06132013,0042
A2,山田 花子,ヤマダ ハナコ,1980/13/40,女,06132014,77
";

#[test]
fn tokens_hold_no_register_value_and_report_unusable_fields() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("reg.csv"), REGISTER).expect("write");
    std::fs::write(
        p("map.json"),
        r#"{"record_id":"id","name":"氏名","kana":"カナ","birth_date":"生年月日","sex":"性別","insurer_number":"保険者番号","insured_number":"番号"}"#,
    )
    .expect("write");
    // a fresh key, then the register's tokens under it
    let tokens_with_new_key = |key: &str, out: &str| {
        let made = kakou().args(["link", "keygen"]).arg(p(key)).output().expect("runs");
        assert!(made.status.success());
        let args = [p("reg.csv"), p(out), "--key".into(), p(key), "--mapping-config".into(), p("map.json")];
        kakou().args(["link", "tokens"]).args(args).output().expect("runs")
    };
    let out = tokens_with_new_key("l.key", "tok.csv");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a date") && stderr.contains("check digit"), "{stderr}");
    let tokens = std::fs::read_to_string(p("tok.csv")).expect("tokens");
    assert_eq!(tokens.lines().count(), 3);
    assert_tokens_are_opaque(&tokens);
    // Tokens are keyed: another key gives other tokens for every field, so nothing in them is
    // a key-independent function of the register (a plain hash, an encoding, a copy).
    let other = tokens_with_new_key("l2.key", "tok2.csv");
    assert!(other.status.success(), "{}", String::from_utf8_lossy(&other.stderr));
    let other = std::fs::read_to_string(p("tok2.csv")).expect("tokens");
    for (a, b) in tokens.lines().zip(other.lines()).skip(1) {
        for (x, y) in a.split(',').zip(b.split(',')).skip(2) {
            assert!(x.is_empty() || x != y, "a token did not change with the key: {x}");
        }
    }
    let again = kakou()
        .args(["link", "tokens"])
        .args([p("reg.csv"), p("tok.csv")])
        .arg("--key")
        .arg(p("l.key"))
        .output()
        .expect("runs");
    assert!(!again.status.success(), "an existing output must not be overwritten");

    let m = kakou().args(["link", "match"]).arg(p("tok.csv")).arg("--out").arg(p("c.csv")).output().expect("runs");
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    let clusters = std::fs::read_to_string(p("c.csv")).expect("clusters");
    assert!(
        clusters.starts_with("source,record_id,cluster_id\n") && clusters.contains(",A1,") && clusters.contains(",A2,")
    );
    assert!(p("c.links.csv").exists());
}

/// Every cell after `source,record_id` is a keyed token: lowercase hex (space-separated for
/// blocks) or base64 bloom filters. Register text cannot hide in that alphabet, and no cell may
/// equal a register value. (Substring checks on random hex fail by chance: "1980" turns up in
/// about one run in a hundred.)
fn assert_tokens_are_opaque(tokens: &str) {
    let register_values: Vec<&str> = REGISTER.lines().skip(1).flat_map(|l| l.split(',').skip(1)).collect();
    for line in tokens.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[0], "reg", "{line}");
        assert!(["A1", "A2"].contains(&cells[1]), "{line}");
        for cell in &cells[2..] {
            let token_alphabet = cell.chars().all(|c| c.is_ascii_alphanumeric() || " +/=".contains(c));
            assert!(token_alphabet, "not a token: {cell}");
            assert!(!register_values.contains(cell), "{cell} is a register value");
        }
    }
}

#[test]
fn a_mapping_naming_a_missing_column_is_refused_with_the_columns() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("reg.csv"), REGISTER).expect("write");
    std::fs::write(p("map.json"), r#"{"record_id":"id","name":"name_kanji"}"#).expect("write");
    std::fs::write(p("l.key"), format!("{}\n", "ab".repeat(32))).expect("write");
    let out = kakou()
        .args(["link", "tokens"])
        .args([p("reg.csv"), p("tok.csv")])
        .arg("--key")
        .arg(p("l.key"))
        .arg("--mapping-config")
        .arg(p("map.json"))
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("name_kanji") && stderr.contains("氏名"), "{stderr}");
    assert!(!p("tok.csv").exists());
}
