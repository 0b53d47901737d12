//! Test cases of `anonymizeTable` / `assessRisk`, instantiated in Node and in Chromium.

/// Instantiates the anonymization test cases in the calling test file.
#[macro_export]
macro_rules! kakou_anonymize_tests {
    () => {
        mod anonymize_api {
            use super::common::*;
            use kakou_wasm::{anonymize_table, assess_risk};
            use wasm_bindgen::JsValue;
            use wasm_bindgen_test::wasm_bindgen_test;

            fn json(text: &str) -> JsValue {
                js_sys::JSON::parse(text).expect("valid JSON")
            }

            /// 12 records: ages 20–43 in pairs of the same 5-year band, two zones per band.
            fn table() -> JsValue {
                let rows: Vec<String> = (0..12)
                    .map(|i| {
                        let zone = ["a", "b", "c", "d"][i % 4];
                        let dx = ["flu", "cold", "asthma"][i % 3];
                        format!(r#"["{}","{zone}","{dx}","N{i}"]"#, 20 + 2 * i)
                    })
                    .collect();
                json(&format!(r#"{{"header":["age","zone","dx","name"],"rows":[{}]}}"#, rows.join(",")))
            }

            const HIER: &str = r#"{"hierarchies":{"zone.csv":"a;ab;*\nb;ab;*\nc;cd;*\nd;cd;*\n"}}"#;

            fn policy(k: u32) -> JsValue {
                json(&format!(
                    r#"{{"privacy":{{"k":{k},"suppression_limit":0.0}},"columns":[
                      {{"name":"age","role":"quasi","hierarchy":{{"age":{{"bands":[5,10,20]}}}}}},
                      {{"name":"zone","role":"quasi","hierarchy":{{"file":"zone.csv"}}}},
                      {{"name":"dx","role":"sensitive","l_diversity":{{"l":2}}}},
                      {{"name":"name","role":"identifier"}}]}}"#
                ))
            }

            fn rows_of(v: &JsValue) -> Vec<Vec<String>> {
                let rows: js_sys::Array = get(v, "rows").into();
                rows.iter()
                    .map(|r| js_sys::Array::from(&r).iter().map(|c| c.as_string().expect("a string cell")).collect())
                    .collect()
            }

            #[wasm_bindgen_test]
            fn anonymize_table_releases_a_k_anonymous_l_diverse_table() {
                let out = anonymize_table(table(), policy(4), json(HIER)).expect("anonymizes");
                let header: Vec<String> =
                    js_sys::Array::from(&get(&out, "header")).iter().filter_map(|h| h.as_string()).collect();
                assert_eq!(header, vec!["age", "zone", "dx"], "the identifier is removed");
                let rows = rows_of(&out);
                assert_eq!(rows.len(), 12);
                let mut classes = std::collections::HashMap::<(String, String), Vec<String>>::new();
                for r in &rows {
                    assert!(!r[0].chars().all(|c| c.is_ascii_digit()), "raw age released: {r:?}");
                    classes.entry((r[0].clone(), r[1].clone())).or_default().push(r[2].clone());
                }
                for (class, dx) in &classes {
                    assert!(dx.len() >= 4, "class {class:?} has {} records", dx.len());
                    dx.iter().collect::<std::collections::HashSet<_>>().len().ge(&2).then_some(()).expect("l >= 2");
                }
                let report = get(&out, "report");
                let solution = get(&report, "solution");
                assert!(get(&solution, "precision").as_f64().expect("precision") > 0.0);
                assert_eq!(get(&get(&report, "risk_after"), "min_class_size").as_f64().map(|v| v >= 4.0), Some(true));
                let text = String::from(js_sys::JSON::stringify(&report).expect("JSON-ready"));
                assert!(!text.contains("N1"), "the report repeats an identifier");
            }

            #[wasm_bindgen_test]
            fn cell_suppression_and_postal_codes_to_prefectures() {
                // Three prefectures with one record each: record suppression (3 of 9 > 25 %) must
                // blank every postal code; cell suppression blanks only those three.
                let t = json(
                    r#"{"header":["zip","sex"],"rows":[["100-8914","F"],["100-0001","F"],["102-0082","F"],
                    ["530-8201","M"],["530-0001","M"],["530-8201","M"],["060-8588","M"],["900-8570","M"],["980-8570","M"]]}"#,
                );
                let policy = |mode: &str| {
                    json(&format!(
                        r#"{{"privacy":{{"k":3,"suppression_limit":0.25,"suppression":"{mode}"}},"columns":[
                          {{"name":"zip","role":"quasi","hierarchy":"postal_prefecture"}},
                          {{"name":"sex","role":"quasi"}}]}}"#
                    ))
                };
                let out = anonymize_table(t.clone(), policy("cells"), JsValue::UNDEFINED).expect("runs");
                let zips: Vec<String> = rows_of(&out).into_iter().map(|r| r[0].clone()).collect();
                assert_eq!(zips, ["東京都", "東京都", "東京都", "大阪府", "大阪府", "大阪府", "*", "*", "*"]);
                assert!(rows_of(&out).iter().all(|r| r[1] != "*"), "sex is kept");
                let solution = get(&get(&out, "report"), "solution");
                assert_eq!(get(&solution, "suppressed_cells").as_f64(), Some(3.0));
                let records = anonymize_table(t, policy("records"), JsValue::UNDEFINED).expect("runs");
                assert!(rows_of(&records).iter().all(|r| r[0] == "*"));
            }

            #[wasm_bindgen_test]
            fn the_same_input_gives_the_same_output() {
                let a = js_sys::JSON::stringify(&anonymize_table(table(), policy(3), json(HIER)).expect("runs")).expect("json");
                let b = js_sys::JSON::stringify(&anonymize_table(table(), policy(3), json(HIER)).expect("runs")).expect("json");
                assert_eq!(String::from(a), String::from(b));
            }

            #[wasm_bindgen_test]
            fn value_transforms_and_date_shift_with_a_key() {
                let t = json(
                    r#"{"header":["pid","bd","visit","bp"],"rows":[["p1","2003/2/14","2024/4/1","205"],["p1","2003/2/14","2024/4/15","120"]]}"#,
                );
                let p = json(
                    r#"{"privacy":{"k":1},"patient":"pid","columns":[{"name":"pid","role":"identifier"},
                    {"name":"bd","role":"insensitive","transforms":[{"date_coarsen":"year-month"}]},
                    {"name":"visit","role":"insensitive","transforms":[{"date_shift":{}}]},
                    {"name":"bp","role":"insensitive","transforms":[{"top_code":{"at":201}}]}]}"#,
                );
                let opts = json(&format!(r#"{{"key":"{KEY_A}"}}"#));
                let rows = rows_of(&anonymize_table(t.clone(), p.clone(), opts).expect("runs"));
                assert_eq!(rows[0][0], "2003/2");
                assert_eq!(rows[0][2], "201以上");
                assert_eq!(rows[1][2], "120");
                assert_ne!(rows[0][1], "2024/4/1");
                let err = expect_error(anonymize_table(t, p, JsValue::UNDEFINED), "anonymize-error");
                assert!(String::from(err.message()).contains("key"));
            }

            #[wasm_bindgen_test]
            fn errors_are_typed() {
                expect_error(anonymize_table(table(), policy(4), JsValue::UNDEFINED), "anonymize-error");
                let bad = json(r#"{"columns":[{"name":"age","role":"quasi","hierachy":"date"}]}"#);
                expect_error(anonymize_table(table(), bad, JsValue::UNDEFINED), "invalid-policy");
                expect_error(anonymize_table(json(r#"{"rows":[]}"#), policy(2), json(HIER)), "invalid-table");
                expect_error(anonymize_table(table(), policy(2), json(r#"{"hierarchy":{}}"#)), "invalid-options");
                expect_error(assess_risk(table(), json(r#"{"qi":["nope"]}"#)), "anonymize-error");
            }

            #[wasm_bindgen_test]
            fn assess_risk_counts_classes_and_uniques() {
                let t = json(r#"{"header":["sex","age"],"rows":[["M","30"],["M","30"],["M","30"],["F","30"],["F","40"],["F","40"]]}"#);
                let r = assess_risk(t, json(r#"{"qi":["sex","age"]}"#)).expect("assesses");
                assert_eq!(get(&r, "classes").as_f64(), Some(3.0));
                assert_eq!(get(&r, "sample_uniques").as_f64(), Some(1.0));
                assert_eq!(get(&get(&r, "prosecutor"), "highest").as_f64(), Some(1.0));
                assert_eq!(get(&get(&r, "prosecutor"), "average").as_f64(), Some(0.5));
            }
        }
    };
}
