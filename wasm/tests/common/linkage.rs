//! Linkage-token cases (`linkageTokens`, `generateLinkageKey`), shared by node.rs and browser.rs
//! through `kakou_linkage_tests!`: the rows must be byte-identical to what the SDK makes (the
//! same Rust, here compiled to wasm) and to strings pinned from the native CLI, so an arithmetic
//! difference between native and wasm (hashing, bit positions, base64) fails.

#![allow(dead_code)]

use kakou_sdk::linkage::tokens::Encoder;
use kakou_sdk::linkage::{LinkageKey, NameSalt, Person, Tokens};
use wasm_bindgen::JsValue;

/// The linkage key of the pinned values (the same hex as `KEY_A`, used here as a linkage key).
pub const LINK_KEY: &str = "6b616b6f752d746573742d6b65792d412d3031323334353637383961626364ef";

/// Three register rows as JS passes them (the CLI mapping's field names), and the same rows as
/// the CSV the native CLI was run on to pin the values below:
/// `kakou link tokens register.csv out.csv --key <LINK_KEY> --source hosp_a`.
pub const RECORDS_JSON: &str = r#"[
  {"record_id":"A-1","name":"山田 太郎","kana":"ヤマダ タロウ","birth_date":"1960-02-03","sex":"M",
   "postal_code":"100-0001","address":"東京都千代田区千代田1-1","insurer_number":"06130017",
   "insured_symbol":"12","insured_number":"3456","insured_branch":"01"},
  {"record_id":"A-2","name":"髙橋 花子","kana":"たかはし はなこ","birth_date":"昭和50年2月19日","sex":"女",
   "insurer_number":"06130012"},
  {"record_id":"A-3","family_name":"佐藤","given_name":"一郎","kana_family":"ｻﾄｳ","kana_given":"ｲﾁﾛｳ",
   "birth_date":"19751231","sex":"1","other_id":"X-99"}
]"#;

pub const REGISTER_CSV: &str = "record_id,name,family_name,given_name,kana,kana_family,kana_given,birth_date,sex,postal_code,address,insurer_number,insured_symbol,insured_number,insured_branch,other_id
A-1,山田 太郎,,,ヤマダ タロウ,,,1960-02-03,M,100-0001,東京都千代田区千代田1-1,06130017,12,3456,01,
A-2,髙橋 花子,,,たかはし はなこ,,,昭和50年2月19日,女,,,06130012,,,,
A-3,,佐藤,一郎,,ｻﾄｳ,ｲﾁﾛｳ,19751231,1,,,,,,,X-99
";

/// (row, column, value) of the native CLI's output for `REGISTER_CSV` under `LINK_KEY` (debug
/// build, x86_64), pinned so wasm must reproduce native arithmetic exactly.
pub const PINNED: [(u32, &str, &str); 17] = [
    (0, "key", "b9aa76ee92fb7c8b"),
    (0, "id1", "d36cf2c1af797fc7a2844b8af800f417"),
    (0, "id2", "212d6145662c96c5c865a85a31409bf2"),
    (0, "id4", "e0b35c8bef8028e137a3c1c0cd1a00b4"),
    (
        0,
        "blocks",
        "3627edc2689a1d8b 4052f709adfd5e8e 4450cdf60325cff7 49ad75875202799b 6618d5bbf072d503 6cbd6d610cc16d37 6d6f16fa19a4415a 75388631a9d1abba 7f470fd94857f4d6 8d66f9aed149795e 9c20e32017aa347f ac19d6382fd2ed2b af3aa16236136f2c c2e06842529d6b02 c5307b4e4d2d2d81 f663af095f43bbf5 f957c20bf1adc188 ffa96fc0c35e0563",
    ),
    (1, "key", "b9aa76ee92fb7c8b"),
    (1, "id1", ""),
    (1, "id2", "963d807b32fa0950a29c0af2717be24c"),
    (1, "id4", "5fb09356dada022c0e8f559753739a71"),
    (
        1,
        "blocks",
        "0e7a26b87438d540 27f5bc1153fd0bc7 2e8a5b1601c1f86f 3066f37ae1282157 7fa1cf258ca74e70 8c165d3d00b8e8b4 a860d81338c483ad d5fb9c56244dd211 e442a7044e504638 ed4bfae78dde169f",
    ),
    (2, "key", "b9aa76ee92fb7c8b"),
    (2, "id1", ""),
    (2, "id2", "fcc72e797f3f94696b88257725fbe181"),
    (2, "id4", "c28bdf3bb37b48386210c4860dc4f38f"),
    (
        2,
        "blocks",
        "04fba239cbf5cadf 0d2f0481dfb2be16 0f90829791b45e89 20a772426791fc3b 33a871d48e2d8bec 4000ed348513374f 471e40896d72b899 494ee032a45304b7 4b0b15bad2dd256c 789a2545148ef903 7af5261b07691702 ff04b813541d92fd",
    ),
    (0, "clk_name", "AwAABYI0EAIAACBCBIiAAUAwAAAQQAAAAYABQQIACAEAIBEAAQAAIAAxAECABJgChQBIHAARQAACFAEEACQCAA"),
    (2, "clk_kana_given", "gAAAI4AAEAAADMAAEgAAAIAQAAKwEIwAAACIAZBEAAAgAAAggEAABgoqkAQIUECCggMBCAoQAAAAAKBwBBABAA"),
];

pub fn json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).expect("valid JSON")
}

/// The same rows computed by the SDK directly: source, record_id, key, then the token columns.
pub fn sdk_rows(records: &str, key: &str, source: &str, salt: NameSalt) -> Vec<Vec<String>> {
    let values: Vec<serde_json::Value> = serde_json::from_str(records).expect("valid JSON");
    let encoder = Encoder::new(&LinkageKey::from_hex(key).expect("valid key"), salt);
    values
        .iter()
        .map(|v| {
            let field = |name: &str| v.get(name).and_then(|s| s.as_str()).map(str::to_string);
            let person = Person {
                name: field("name"),
                family_name: field("family_name"),
                given_name: field("given_name"),
                kana: field("kana"),
                kana_family: field("kana_family"),
                kana_given: field("kana_given"),
                birth_date: field("birth_date"),
                sex: field("sex"),
                postal_code: field("postal_code"),
                address: field("address"),
                insurer_number: field("insurer_number"),
                insured_symbol: field("insured_symbol"),
                insured_number: field("insured_number"),
                insured_branch: field("insured_branch"),
                other_id: field("other_id"),
            };
            let mut row = vec![source.to_string(), field("record_id").unwrap_or_default()];
            row.push(encoder.fingerprint().to_string());
            row.extend(encoder.encode(&person).tokens.to_columns());
            row
        })
        .collect()
}

/// The token columns of the CLI's token file.
pub fn token_columns() -> Vec<String> {
    let mut c = vec!["source".to_string(), "record_id".to_string(), "key".to_string()];
    c.extend(Tokens::columns());
    c
}

/// `result.rows` as rows of strings in `columns` order.
pub fn rows_of(result: &JsValue, columns: &[String]) -> Vec<Vec<String>> {
    let rows = js_sys::Array::from(&js_sys::Reflect::get(result, &"rows".into()).expect("rows"));
    rows.iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| {
                    js_sys::Reflect::get(&r, &c.as_str().into())
                        .expect("an object")
                        .as_string()
                        .unwrap_or_else(|| panic!("column {c} is not a string"))
                })
                .collect()
        })
        .collect()
}

#[macro_export]
macro_rules! kakou_linkage_tests {
    () => {
        mod linkage_api {
            use super::common::linkage::*;
            use super::common::{expect_error, get, get_str};
            use kakou_sdk::linkage::NameSalt;
            use kakou_wasm::{generate_linkage_key, linkage_key_fingerprint, linkage_tokens};
            use wasm_bindgen_test::wasm_bindgen_test;

            fn tokens(records: &str, options: &str) -> wasm_bindgen::JsValue {
                linkage_tokens(json(records), json(options)).expect("tokens")
            }

            #[wasm_bindgen_test]
            fn rows_are_byte_identical_to_the_sdk_and_hold_no_names() {
                let opts = format!(r#"{{"key":"{LINK_KEY}","source":"hosp_a"}}"#);
                let out = tokens(RECORDS_JSON, &opts);
                let columns: Vec<String> =
                    js_sys::Array::from(&get(&out, "columns")).iter().filter_map(|c| c.as_string()).collect();
                assert_eq!(columns, token_columns(), "the CLI's token-file header");
                assert_eq!(rows_of(&out, &columns), sdk_rows(RECORDS_JSON, LINK_KEY, "hosp_a", NameSalt::None));
                let text = String::from(js_sys::JSON::stringify(&out).expect("json"));
                for original in ["山田", "ヤマダ", "髙橋", "はなこ", "1960", "昭和", "06130017", "3456", "千代田", "X-99"] {
                    assert!(!text.contains(original), "{original} leaked into the tokens");
                }
                assert_eq!(get_str(&out, "fingerprint"), linkage_key_fingerprint(LINK_KEY).expect("valid"));
                // A-2's insurer number fails its check digit: counted, left out of ID1.
                assert_eq!(get(&get(&out, "problems"), "insurer number check digit fails").as_f64(), Some(1.0), "{text}");
                let salted = tokens(RECORDS_JSON, &format!(r#"{{"key":"{LINK_KEY}","salt":"birth-year"}}"#));
                assert_eq!(
                    rows_of(&salted, &columns),
                    sdk_rows(RECORDS_JSON, LINK_KEY, "source", NameSalt::BirthYear)
                );
            }

            #[wasm_bindgen_test]
            fn rows_match_values_pinned_from_the_native_cli() {
                let out = tokens(RECORDS_JSON, &format!(r#"{{"key":"{LINK_KEY}","source":"hosp_a"}}"#));
                let rows = js_sys::Array::from(&get(&out, "rows"));
                assert_eq!(rows.length(), 3);
                for (row, column, want) in PINNED {
                    assert_eq!(get_str(&rows.get(row), column), want, "row {row} column {column}");
                }
            }

            #[wasm_bindgen_test]
            fn spelling_variants_give_the_same_id2_and_id4() {
                let opts = format!(r#"{{"key":"{LINK_KEY}"}}"#);
                let out = tokens(
                    r#"[{"record_id":"1","name":"髙橋 花子","kana":"タカハシ ハナコ","birth_date":"1975-02-19","sex":"F"},
                        {"record_id":"2","name":"高橋　花子","kana":"ﾀｶﾊｼ ﾊﾅｺ","birth_date":"昭和50年2月19日","sex":"女"},
                        {"record_id":"3","name":" 高橋 花子 ","kana":"たかはし はなこ","birth_date":"S50.2.19","sex":"2"},
                        {"record_id":"4","name":"高橋 花子","kana":"タカハシ ハナコ","birth_date":"1975-02-20","sex":"F"}]"#,
                    &opts,
                );
                let rows = js_sys::Array::from(&get(&out, "rows"));
                let (id2, id4) = (get_str(&rows.get(0), "id2"), get_str(&rows.get(0), "id4"));
                assert_eq!(id2.len(), 32);
                assert_eq!(id4.len(), 32);
                for i in 1..3 {
                    assert_eq!(get_str(&rows.get(i), "id2"), id2, "row {i}: old kanji / width / spaces / 和暦");
                    assert_eq!(get_str(&rows.get(i), "id4"), id4, "row {i}: half-width / hiragana kana / 和暦");
                }
                assert_ne!(get_str(&rows.get(3), "id2"), id2, "another birth date is another token");
                let other_key = "6b616b6f752d746573742d6b65792d422d3031323334353637383961626364ef";
                let keyed = tokens(r#"[{"record_id":"1","name":"高橋 花子","birth_date":"1975-02-19","sex":"F"}]"#,
                    &format!(r#"{{"key":"{other_key}"}}"#));
                assert_ne!(get_str(&js_sys::Array::from(&get(&keyed, "rows")).get(0), "id2"), id2, "keyed");
            }

            #[wasm_bindgen_test]
            fn bad_input_throws_typed_errors_and_a_missing_id_is_skipped() {
                let key = format!(r#"{{"key":"{LINK_KEY}"}}"#);
                let one = r#"[{"record_id":"1","name":"山田 太郎"}]"#;
                expect_error(linkage_tokens(json(one), json(r#"{"key":"abc"}"#)), "invalid-key");
                expect_error(linkage_tokens(json(one), json(r#"{"name":"x"}"#)), "invalid-options");
                expect_error(
                    linkage_tokens(json(one), json(&format!(r#"{{"key":"{LINK_KEY}","salt":"year"}}"#))),
                    "invalid-options",
                );
                expect_error(
                    linkage_tokens(json(one), json(&format!(r#"{{"key":"{LINK_KEY}","joinKey":"00"}}"#))),
                    "invalid-key",
                );
                let err = expect_error(
                    linkage_tokens(json(r#"[{"record_id":"1"},{"record_id":"2","birthdate":"1960-01-01"}]"#), json(&key)),
                    "invalid-records",
                );
                assert!(String::from(err.message()).contains("records[1]"), "{}", String::from(err.message()));
                expect_error(linkage_tokens(json(r#"{"record_id":"1"}"#), json(&key)), "invalid-records");
                let out = tokens(r#"[{"name":"山田 太郎"},{"record_id":"","sex":"M"},{"record_id":"7","sex":"M"}]"#, &key);
                assert_eq!(js_sys::Array::from(&get(&out, "rows")).length(), 1);
                let skipped = js_sys::Array::from(&get(&out, "skipped"));
                assert_eq!(skipped.length(), 2);
                assert_eq!(get(&skipped.get(1), "index").as_f64(), Some(1.0));
            }

            #[wasm_bindgen_test]
            fn linkage_keys_are_random_and_valid() {
                let (a, b) = (generate_linkage_key().expect("random"), generate_linkage_key().expect("random"));
                assert_eq!(a.len(), 64);
                assert_ne!(a, b);
                assert_eq!(linkage_key_fingerprint(&a).expect("valid").len(), 16);
                let with_join = tokens(
                    r#"[{"record_id":"1","kana":"ヤマダ タロウ","birth_date":"1960-02-03","sex":"M"}]"#,
                    &format!(r#"{{"key":"{a}","joinKey":"{b}"}}"#),
                );
                let row = js_sys::Array::from(&get(&with_join, "rows")).get(0);
                assert_eq!(get_str(&row, "join_id4").len(), 64);
                assert_eq!(get_str(&row, "join_id1"), "", "no insurer number, no ID1 join key");
            }
        }
    };
}
