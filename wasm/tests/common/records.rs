//! Records cases (CSV, streaming CSV, FHIR, HL7, sealed mapping), shared by node.rs and
//! browser.rs through `kakou_records_wasm_tests!`.

#![allow(dead_code)]

use js_sys::JSON;
use kakou_wasm::records::RecordsOptions;
use wasm_bindgen::{JsCast, JsValue};

pub fn records_options(json: &str) -> RecordsOptions {
    JSON::parse(json).expect("valid JSON").unchecked_into()
}

pub fn bytes_of(result: &JsValue, field: &str) -> Vec<u8> {
    js_sys::Uint8Array::new(&js_sys::Reflect::get(result, &field.into()).expect("an object")).to_vec()
}

/// The guideline's example table, in CP932 as a hospital system writes it (hand-encoded bytes
/// of `ID,氏名,性別,病名\n10001,内閣花子,女,高血圧症\n`, so the test does not depend on the
/// encoder under test).
pub fn cp932_table() -> Vec<u8> {
    let mut v = b"ID,".to_vec();
    v.extend_from_slice(&[0x8e, 0x81, 0x96, 0xbc]); // 氏名
    v.push(b',');
    v.extend_from_slice(&[0x90, 0xab, 0x95, 0xca]); // 性別
    v.push(b',');
    v.extend_from_slice(&[0x95, 0x61, 0x96, 0xbc]); // 病名
    v.extend_from_slice(b"\n10001,");
    v.extend_from_slice(&[0x93, 0xe0, 0x8a, 0x74, 0x89, 0xd4, 0x8e, 0x71]); // 内閣花子
    v.push(b',');
    v.extend_from_slice(&[0x8f, 0x97]); // 女
    v.push(b',');
    v.extend_from_slice(&[0x8d, 0x82, 0x8c, 0x8c, 0x88, 0xb3, 0x8f, 0xc7]); // 高血圧症
    v.push(b'\n');
    v
}

#[macro_export]
macro_rules! kakou_records_wasm_tests {
    () => {
        mod records_cases {
            use super::common::records::*;
            use super::common::{KEY_A, KEY_B, expect_error, get, get_str};
            use kakou_wasm::records::{
                RecordsCsvPseudonymizer, RecordsOptions, open_mapping, pseudonymize_csv, pseudonymize_fhir, pseudonymize_hl7,
                seal_mapping,
            };
            use wasm_bindgen::JsValue;
            use wasm_bindgen_test::wasm_bindgen_test;

            const POLICY: &str = r#"{"columns":{"ID":"patient-id","氏名":"direct-identifier"}}"#;

            fn opts(key: &str) -> RecordsOptions {
                records_options(&format!(r#"{{"key":"{key}","policy":{POLICY},"mapping":true}}"#))
            }

            #[wasm_bindgen_test]
            fn a_cp932_csv_is_pseudonymized_with_the_mapping_apart() {
                let r = pseudonymize_csv(&cp932_table(), &opts(KEY_A)).expect("pseudonymizes");
                let r: &JsValue = r.as_ref();
                let csv = String::from_utf8(bytes_of(r, "csv")).expect("UTF-8 output");
                let lines: Vec<&str> = csv.lines().collect();
                assert_eq!(lines[0], "ID,性別,病名");
                let pseudonym = lines[1].split(',').next().unwrap_or_default().to_string();
                assert!(pseudonym.starts_with("KK") && lines[1].ends_with(",女,高血圧症"), "{csv}");
                assert!(!csv.contains("10001") && !csv.contains("内閣"));
                let report = get(r, "report");
                assert_eq!(get_str(&report, "encoding"), "Shift_JIS");
                let mapping = get(r, "mapping");
                assert_eq!(get_str(&mapping, &pseudonym), "10001");
                // Same key → same pseudonym; another key → another one.
                let again = pseudonymize_csv(&cp932_table(), &opts(KEY_A)).expect("pseudonymizes");
                assert_eq!(bytes_of(again.as_ref(), "csv"), csv.as_bytes());
                let other = pseudonymize_csv(&cp932_table(), &opts(KEY_B)).expect("pseudonymizes");
                assert_ne!(bytes_of(other.as_ref(), "csv"), csv.as_bytes());
            }

            #[wasm_bindgen_test]
            fn streaming_in_small_chunks_gives_the_same_bytes() {
                let whole = pseudonymize_csv(&cp932_table(), &opts(KEY_A)).expect("pseudonymizes");
                let mut p = RecordsCsvPseudonymizer::new(&opts(KEY_A)).expect("valid options");
                let mut out = Vec::new();
                for chunk in cp932_table().chunks(3) {
                    out.extend(p.push(chunk).expect("push").to_vec());
                }
                let end = p.finish().expect("finish");
                out.extend(bytes_of(end.as_ref(), "csv"));
                assert_eq!(out, bytes_of(whole.as_ref(), "csv"));
                expect_error(p.finish(), "finished");
            }

            #[wasm_bindgen_test]
            fn fhir_hl7_and_the_sealed_mapping() {
                let bundle = r#"{"resourceType":"Patient","id":"p1","name":[{"family":"内閣","given":["花子"]}],"identifier":[{"type":{"coding":[{"code":"MR"}]},"value":"10001"}],"gender":"female"}"#;
                let f = pseudonymize_fhir(bundle.as_bytes(), &opts(KEY_A)).expect("FHIR");
                let text = String::from_utf8(bytes_of(f.as_ref(), "bytes")).expect("UTF-8");
                assert!(!text.contains("内閣") && !text.contains("10001") && text.contains("female"), "{text}");
                let msg = "MSH|^~\\&|A|B|C|D|20240401||ADT^A08|1|P|2.5||||||~UNICODE UTF-8\rPID|1||10001^^^^PI||内閣^花子||19800101|F\r";
                let h = pseudonymize_hl7(msg.as_bytes(), &opts(KEY_A)).expect("HL7");
                let text = String::from_utf8(bytes_of(h.as_ref(), "bytes")).expect("UTF-8");
                assert!(!text.contains("内閣") && !text.contains("10001") && text.contains("|19800101|F"), "{text}");
                // The patient pseudonym agrees across formats.
                let csv = pseudonymize_csv(&cp932_table(), &opts(KEY_A)).expect("CSV");
                let csv = String::from_utf8(bytes_of(csv.as_ref(), "csv")).expect("UTF-8");
                let pseudonym = csv.lines().nth(1).and_then(|l| l.split(',').next()).unwrap_or_default().to_string();
                assert!(text.contains(&format!("PID|1||{pseudonym}")));
                let mapping = get(h.as_ref(), "mapping");
                let sealed = seal_mapping(KEY_A, mapping).expect("seals").to_vec();
                let opened = open_mapping(KEY_A, &sealed).expect("opens");
                assert_eq!(get_str(&opened, &pseudonym), "10001");
                expect_error(open_mapping(KEY_B, &sealed), "invalid-mapping");
            }

            #[wasm_bindgen_test]
            fn bad_options_and_policies_throw_with_stable_codes() {
                expect_error(pseudonymize_csv(b"a\n1\n", &records_options(r#"{"key":"zz"}"#)), "invalid-key");
                let unknown = records_options(&format!(r#"{{"key":"{KEY_A}","colums":{{}}}}"#));
                expect_error(pseudonymize_csv(b"a\n1\n", &unknown), "invalid-options");
                let keep_my_number = records_options(&format!(
                    r#"{{"key":"{KEY_A}","policy":{{"columns":{{"My Number":{{"role":"individual-code","action":"keep"}}}}}}}}"#
                ));
                expect_error(pseudonymize_csv(b"a\n1\n", &keep_my_number), "policy-error");
                expect_error(pseudonymize_csv(b"", &opts(KEY_A)), "no-header");
                expect_error(pseudonymize_hl7(b"hello", &opts(KEY_A)), "not-hl7");
            }
        }
    };
}
