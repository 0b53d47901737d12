//! CSV path tests: the guideline's worked example, encodings, quoting, bad rows, streaming.

use encoding_rs::SHIFT_JIS;

use super::*;
use crate::ProjectKey;

fn key() -> ProjectKey {
    ProjectKey::from_bytes([0x42; 32])
}

fn run(policy: &Policy, input: &[u8], chunk: usize) -> (String, Output) {
    let mut p = CsvPseudonymizer::new(&key(), policy, "test.csv", true).unwrap();
    let mut out = Vec::new();
    for c in input.chunks(chunk.max(1)) {
        p.push(c, &mut out);
    }
    let output = p.finish(&mut out).unwrap();
    (String::from_utf8(out).unwrap(), output)
}

fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines().map(|l| l.split(',').map(str::to_string).collect()).collect()
}

const GUIDELINE_POLICY: &str = r#"{
  "columns": {
    "ID": "patient-id",
    "氏名": "direct-identifier",
    "性別": "quasi-identifier",
    "生年月日": "birth-date",
    "受診日": "date",
    "体重": "sensitive",
    "血圧": "sensitive",
    "病名": "sensitive",
    "マイナンバー": "individual-code",
    "被保険者番号": "individual-code",
    "クレジットカード番号": "financial"
  }
}"#;

/// The guideline's 仮名加工医療情報 example: the row of 内閣花子 keeps 性別, 生年月日 (policy),
/// 受診日 and the medical values; the ID becomes a keyed pseudonym; the name, My Number,
/// insurance number and card number are gone.
#[test]
fn the_guidelines_worked_example() {
    let table = "ID,氏名,性別,生年月日,受診日,体重,血圧,病名,マイナンバー,被保険者番号,クレジットカード番号\n\
                 10001,内閣花子,女,1980/01/01,2024/04/01,52.3,128/82,2型糖尿病,123456789018,12345678,4111111111111111\n\
                 10002,医療太郎,男,1975/06/15,2024/04/02,70.1,135/90,高血圧症,987654321098,87654321,5500000000000004\n";
    let policy: Policy = serde_json::from_str(GUIDELINE_POLICY).unwrap();
    let (out, output) = run(&policy, table.as_bytes(), 4096);
    let r = rows(&out);
    assert_eq!(r[0], ["ID", "性別", "生年月日", "受診日", "体重", "血圧", "病名"]);
    let hanako = &r[1];
    let expected_id = values::Keyed::new(&key(), "", false).patient("10001");
    assert_eq!(hanako[0], expected_id);
    assert_eq!(&hanako[1..], ["女", "1980/01/01", "2024/04/01", "52.3", "128/82", "2型糖尿病"]);
    for gone in ["10001", "内閣", "花子", "123456789018", "12345678", "4111111111111111", "医療太郎"] {
        assert!(!out.contains(gone), "{gone} left in the output");
    }
    assert_eq!(output.mapping.get(&expected_id).map(String::as_str), Some("10001"));
    assert_eq!((output.report.rows_in, output.report.rows_out, output.report.rows_bad), (2, 2, 0));
    let col = |n: &str| output.report.columns.iter().find(|c| c.name == n).unwrap().clone();
    assert_eq!((col("氏名").action, col("氏名").values), (Action::Remove, 2));
    assert_eq!((col("ID").action, col("ID").values), (Action::Pseudonymize, 2));
    assert_eq!(col("マイナンバー").role, Role::IndividualCode);
    // Same key, another run and another file: the same pseudonym (linkable across exports).
    let (again, _) = run(&policy, b"ID,x\n10001,1\n", 3);
    assert_eq!(rows(&again)[1][0], expected_id);
}

/// Without a policy the identifying columns go by their names; the report says why.
#[test]
fn without_a_policy_identifying_column_names_are_removed_and_reported() {
    let table = "患者ID,患者氏名,電話番号,住所,マイナンバー,性別,病名\n1,山田太郎,03-1234-5678,東京都千代田区永田町1-2-3,123456789018,男,胃炎\n";
    let (out, output) = run(&Policy::default(), table.as_bytes(), 7);
    assert_eq!(rows(&out), [["性別", "病名"], ["男", "胃炎"]]);
    let text = output.report.to_text();
    assert!(text.contains("looks like a person's name"), "{text}");
    assert!(text.contains("looks like an individual identification code"), "{text}");
    assert!(output.report.warnings.iter().any(|w| w.contains("no patient-id")));
}

#[test]
fn cp932_input_is_detected_and_written_as_utf8() {
    let text = "ID,氏名,病名,住所\n0001,髙橋①郎,高血圧症,神奈川県横浜市中区山下町1-2\n";
    let (sjis, _, unmappable) = SHIFT_JIS.encode(text);
    assert!(!unmappable);
    let policy: Policy =
        serde_json::from_str(r#"{"columns":{"ID":"patient-id","氏名":"direct-identifier","住所":"address"}}"#).unwrap();
    for chunk in [1, 5, 4096] {
        let (out, output) = run(&policy, &sjis, chunk);
        let r = rows(&out);
        assert_eq!(r[0], ["ID", "病名", "住所"]);
        assert_eq!(r[1][1..], ["高血圧症", "神奈川県横浜市中区"], "chunk {chunk}");
        assert_eq!(output.report.encoding.as_deref(), Some("Shift_JIS"));
    }
}

#[test]
fn ragged_rows_and_bad_bytes_are_reported_with_their_line_and_the_rest_continues() {
    let mut input = "ID,病名,メモ\n1,a,x\n2,b\n3,c,z,extra\n\n4,\"multi\nline\",w\n".as_bytes().to_vec();
    input.extend_from_slice(b"5,\xff\xfe,w\n6,f,y\n");
    let policy: Policy =
        serde_json::from_str(r#"{"encoding":"utf-8","columns":{"ID":"patient-id","メモ":"keep"}}"#).unwrap();
    let (out, output) = run(&policy, &input, 3);
    let report = &output.report;
    assert_eq!((report.rows_in, report.rows_out, report.rows_bad), (6, 3, 3));
    let lines: Vec<u64> = report.bad_rows.iter().map(|b| b.line).collect();
    assert_eq!(lines, [3, 4, 8]);
    assert!(report.bad_rows[0].reason.contains("2 fields where the header has 3"));
    assert!(report.bad_rows[2].reason.contains("not valid UTF-8"));
    assert!(out.contains("\"multi\nline\""), "a quoted line break survives, quoted: {out}");
}

#[test]
fn quoting_tsv_and_free_text_redaction_with_the_rows_own_identifiers() {
    let input = "ID\t氏名\t所見\n77\t\"佐藤 一郎\"\t佐藤一郎さん、\"発熱\"あり、連絡先 090-1111-2222\n";
    let policy: Policy =
        serde_json::from_str(r#"{"columns":{"ID":"patient-id","氏名":"direct-identifier","所見":"free-text"}}"#)
            .unwrap();
    let (out, output) = run(&policy, input.as_bytes(), 4);
    assert_eq!(output.report.format, "tsv");
    assert!(!out.contains("佐藤") && !out.contains("090-1111-2222") && !out.contains("\t77\t"), "{out}");
    assert!(out.contains("\"\"発熱\"\""), "quotes are doubled: {out}");
    let findings = output.report.columns.iter().find(|c| c.name == "所見").unwrap();
    assert!(findings.text_replacements >= 2);
}

#[test]
fn addresses_and_birth_dates_follow_the_policy_and_unreadable_values_are_removed() {
    let input = "ID,住所,生年月日\n1,〒100-0014 東京都千代田区永田町1-6-1,昭和55年1月2日\n2,どこか,不明\n";
    let policy: Policy = serde_json::from_str(
        r#"{"address":"prefecture","birth_date":"year-month","columns":{"ID":"patient-id","住所":"address","生年月日":"birth-date"}}"#,
    )
    .unwrap();
    let (out, output) = run(&policy, input.as_bytes(), 4096);
    let r = rows(&out);
    assert_eq!(r[1][1..], ["東京都", "1980-01"]);
    assert_eq!(r[2][1..], ["", ""]);
    let unreadable: u64 = output.report.columns.iter().map(|c| c.removed_unreadable).sum();
    assert_eq!(unreadable, 2);
}

#[test]
fn a_linkage_column_gets_a_keyed_surrogate_shared_by_its_namespace() {
    let input = "ID,オーダ番号,order_no\n1,A-77,A-77\n";
    let policy: Policy = serde_json::from_str(
        r#"{"columns":{"ID":"patient-id","オーダ番号":"linkage","order_no":{"role":"linkage","namespace":"linkage"}}}"#,
    )
    .unwrap();
    let (out, _) = run(&policy, input.as_bytes(), 4096);
    let r = rows(&out);
    assert!(r[1][1].starts_with("KL") && r[1][1] == r[1][2]);
    assert!(!out.contains("A-77"));
}

#[test]
fn empty_input_is_an_error_naming_the_source() {
    let p = CsvPseudonymizer::new(&key(), &Policy::default(), "empty.csv", false).unwrap();
    let err = p.finish(&mut Vec::new()).unwrap_err();
    assert_eq!(err.code(), "no-header");
    assert!(err.to_string().contains("empty.csv"));
}

#[test]
fn unreviewed_columns_lose_values_shaped_like_my_number_cards_or_phones() {
    let input = "ID,連絡,値\n1,090-1234-5678,123456789018\n2,4111111111111111,52.3\n3,120/80,2024-04-01\n";
    let policy: Policy = serde_json::from_str(r#"{"columns":{"ID":"patient-id"}}"#).unwrap();
    let (out, output) = run(&policy, input.as_bytes(), 4096);
    assert_eq!(
        rows(&out)[1..].iter().map(|r| r[1..].to_vec()).collect::<Vec<_>>(),
        [vec!["", ""], vec!["", "52.3"], vec!["120/80", "2024-04-01"],]
    );
    assert_eq!(output.report.warnings.iter().filter(|w| w.contains("shaped like")).count(), 3);
    // A column the policy names as kept is the user's reviewed decision.
    let reviewed: Policy =
        serde_json::from_str(r#"{"columns":{"ID":"patient-id","値":"keep","連絡":"keep"}}"#).unwrap();
    let (out, _) = run(&reviewed, input.as_bytes(), 4096);
    assert!(out.contains("123456789018"));
}
