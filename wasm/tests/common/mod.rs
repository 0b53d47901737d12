//! Shared by node.rs and browser.rs: a small DICOM file built in the test, helpers to call the
//! JS-facing API as JS would, and the test cases (one macro, instantiated in both runners).

#![allow(dead_code)]

pub mod anonymize;
pub mod linkage;
pub mod records;

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject, OpenFileOptions};
use js_sys::{JSON, Reflect};
use kakou_wasm::DeidentifyOptions;
use wasm_bindgen::{JsCast, JsValue};

pub const KEY_A: &str = "6b616b6f752d746573742d6b65792d412d3031323334353637383961626364ef";
pub const KEY_B: &str = "6b616b6f752d746573742d6b65792d422d3031323334353637383961626364ef";
pub const NAME: &str = "Yamada^Taro";
pub const PATIENT_ID: &str = "PID-0042-7781";
pub const STUDY_UID: &str = "1.2.392.200036.9116.2.5.1.37.2418725938.1705300000.123456";
pub const SERIES_UID: &str = "1.2.392.200036.9116.2.5.1.37.2418725938.1705300000.123457";
pub const SOP_UID: &str = "1.2.392.200036.9116.2.5.1.37.2418725938.1705300000.123458";
pub const STUDY_DATE: &str = "20240115";
pub const CT_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.2";

/// A small CT-like Part 10 file (Explicit VR Little Endian, 4×4 16-bit pixels).
pub fn sample_dicom() -> Vec<u8> {
    let el = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
    let mut obj = InMemDicomObject::from_element_iter([
        el(tags::SOP_CLASS_UID, VR::UI, CT_IMAGE_STORAGE),
        el(tags::SOP_INSTANCE_UID, VR::UI, SOP_UID),
        el(tags::STUDY_DATE, VR::DA, STUDY_DATE),
        el(tags::STUDY_TIME, VR::TM, "093012"),
        el(tags::ACCESSION_NUMBER, VR::SH, "ACC991122"),
        el(tags::MODALITY, VR::CS, "CT"),
        el(tags::INSTITUTION_NAME, VR::LO, "Kakou General Hospital"),
        el(tags::REFERRING_PHYSICIAN_NAME, VR::PN, "Suzuki^Hanako"),
        el(tags::PATIENT_NAME, VR::PN, NAME),
        el(tags::PATIENT_ID, VR::LO, PATIENT_ID),
        el(tags::PATIENT_BIRTH_DATE, VR::DA, "19600203"),
        el(tags::PATIENT_SEX, VR::CS, "M"),
        el(tags::STUDY_INSTANCE_UID, VR::UI, STUDY_UID),
        el(tags::SERIES_INSTANCE_UID, VR::UI, SERIES_UID),
        el(tags::STUDY_ID, VR::SH, "S-77"),
        el(tags::SAMPLES_PER_PIXEL, VR::US, "1"),
        el(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
    ]);
    for (tag, v) in [
        (tags::ROWS, 4u16),
        (tags::COLUMNS, 4),
        (tags::BITS_ALLOCATED, 16),
        (tags::BITS_STORED, 12),
        (tags::HIGH_BIT, 11),
        (tags::PIXEL_REPRESENTATION, 0),
    ] {
        obj.put(DataElement::new(tag, VR::US, PrimitiveValue::from(v)));
    }
    obj.put(DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16((0..16u16).map(|i| i * 100).collect())));
    let file = obj
        .with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))
        .expect("a complete file meta group");
    let mut bytes = Vec::new();
    file.write_all(&mut bytes).expect("writes to memory");
    bytes
}

/// Options as JS would pass them (parsed from JSON).
pub fn options(json: &str) -> DeidentifyOptions {
    JSON::parse(json).expect("valid JSON").unchecked_into()
}

/// Text options as JS would pass them.
pub fn text_options(json: &str) -> kakou_wasm::RedactTextOptions {
    JSON::parse(json).expect("valid JSON").unchecked_into()
}

pub fn patient_ids(json: &str) -> kakou_wasm::PatientIdentifiersObject {
    JSON::parse(json).expect("valid JSON").unchecked_into()
}

pub fn opts(key: &str, preset: &str) -> DeidentifyOptions {
    options(&format!(r#"{{"key":"{key}","preset":"{preset}","name":"CT/0001.dcm"}}"#))
}

pub fn get(v: &JsValue, field: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(field)).expect("an object")
}

pub fn get_str(v: &JsValue, field: &str) -> String {
    get(v, field).as_string().unwrap_or_else(|| panic!("{field} is not a string"))
}

/// `{ bytes, report }` → (bytes, report).
pub fn split(result: kakou_wasm::DeidentifyResult) -> (Vec<u8>, JsValue) {
    let v: JsValue = result.into();
    let bytes = get(&v, "bytes").dyn_into::<js_sys::Uint8Array>().expect("bytes is a Uint8Array").to_vec();
    (bytes, get(&v, "report"))
}

pub fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

pub fn parse(bytes: &[u8]) -> InMemDicomObject {
    assert_eq!(&bytes[128..132], b"DICM", "output is a Part 10 file");
    OpenFileOptions::new()
        .read_preamble(dicom_object::file::ReadPreamble::Always)
        .from_reader(bytes)
        .expect("output parses")
        .into_inner()
}

pub fn text(obj: &InMemDicomObject, tag: dicom_core::Tag) -> Option<String> {
    obj.get(tag).and_then(|e| e.to_str().ok()).map(|s| s.trim_end_matches(['\0', ' ']).to_string())
}

/// The thrown value must be a JS Error named KakouError with a stable code; returns it.
pub fn expect_error(r: Result<impl Sized, JsValue>, code: &str) -> js_sys::Error {
    let Err(e) = r else { panic!("expected an error with code {code}") };
    let err = e.dyn_into::<js_sys::Error>().expect("thrown value is a JS Error");
    assert_eq!(get_str(&err, "code"), code, "code of: {}", String::from(err.message()));
    assert_eq!(String::from(err.name()), "KakouError");
    err
}

/// A synthetic CT head as one Part 10 file per slice, shuffled, as JS arrays: 6 mm voxels and
/// 22 slices from the nose to the upper brain (a debug wasm build de-identifies ~3 files/s, and
/// the browser runner gives up when a test blocks its page for ~18 s).
pub fn phantom_slices() -> js_sys::Array {
    let grid = kakou_sdk::deface::Grid {
        dims: [34, 40, 22],
        origin: [-100.0, -120.0, -62.0],
        steps: [[6.0, 0.0, 0.0], [0.0, 6.0, 0.0], [0.0, 0.0, 6.0]],
    };
    let identity = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let mut files = kakou_dicom::synthetic::phantom_series(&grid, kakou_sdk::deface::Modality::Ct, identity);
    files.reverse();
    let arr = js_sys::Array::new();
    for (_, bytes) in &files {
        arr.push(&js_sys::Uint8Array::from(bytes.as_slice()));
    }
    arr
}

/// The name and place lists as `scripts/build-dict.sh` bundles them (for the lazy build).
#[cfg(not(feature = "embedded-dictionaries"))]
pub fn dictionary_bundle() -> Vec<u8> {
    let lists = [
        ("ja_surnames", include_str!("../../../sdk/data/names/ja_surnames.txt")),
        ("ja_given", include_str!("../../../sdk/data/names/ja_given.txt")),
        ("ja_surname_readings", include_str!("../../../sdk/data/names/ja_surname_readings.txt")),
        ("ja_given_readings", include_str!("../../../sdk/data/names/ja_given_readings.txt")),
        ("en_given", include_str!("../../../sdk/data/names/en_given.txt")),
        ("en_surnames", include_str!("../../../sdk/data/names/en_surnames.txt")),
        ("ja_places", include_str!("../../../sdk/data/places/ja_places.txt")),
    ];
    lists.iter().map(|(name, text)| format!("==> {name} <==\n{text}")).collect::<String>().into_bytes()
}

/// Instantiates every test case in the calling test file (Node or browser runner).
#[macro_export]
macro_rules! kakou_wasm_tests {
    () => {
        use common::*;
        use dicom_dictionary_std::tags;
        use kakou_wasm::{
            DicomDeidentifier, TextRedactor, deidentify_dicom, generate_key, key_fingerprint, redact_text, version,
        };
        use wasm_bindgen_test::wasm_bindgen_test;

        #[wasm_bindgen_test]
        fn name_and_id_are_replaced_by_the_keyed_pseudonym() {
            let (out, report) = split(deidentify_dicom(&sample_dicom(), &opts(KEY_A, "basic")).expect("de-identifies"));
            let obj = parse(&out);
            let pseudonym = get_str(&report, "patient_pseudonym");
            assert!(pseudonym.starts_with("KK"), "{pseudonym}");
            assert_eq!(text(&obj, tags::PATIENT_ID).as_deref(), Some(pseudonym.as_str()));
            assert_ne!(text(&obj, tags::PATIENT_NAME).as_deref(), Some(NAME));
            for original in ["Yamada", "Taro", PATIENT_ID, "Suzuki", "Kakou General Hospital", "ACC991122"] {
                assert!(!contains(&out, original), "{original} survived in the output bytes");
            }
        }

        #[wasm_bindgen_test]
        fn original_uids_and_dates_are_absent_and_markers_present() {
            let (out, report) = split(deidentify_dicom(&sample_dicom(), &opts(KEY_A, "basic")).expect("de-identifies"));
            for uid in [STUDY_UID, SERIES_UID, SOP_UID] {
                assert!(!contains(&out, uid), "original UID {uid} survived");
            }
            assert!(!contains(&out, STUDY_DATE), "study date survived under basic");
            let obj = parse(&out);
            assert_eq!(text(&obj, tags::PATIENT_IDENTITY_REMOVED).as_deref(), Some("YES"));
            assert!(obj.get(tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE).is_some());
            let new_study = text(&obj, tags::STUDY_INSTANCE_UID).expect("a study UID");
            assert!(new_study.starts_with("2.25."), "{new_study}");
            assert_eq!(get_str(&report, "study_uid"), new_study);
            assert_eq!(get_str(&report, "outcome"), "deidentified");
            assert_eq!(get_str(&report, "file"), "CT/0001.dcm");
        }

        #[wasm_bindgen_test]
        fn same_key_same_bytes_different_key_different_bytes() {
            let input = sample_dicom();
            let run = |key| split(deidentify_dicom(&input, &opts(key, "jp-anonymized")).expect("de-identifies")).0;
            let a1 = run(KEY_A);
            assert_eq!(a1, run(KEY_A), "same key and input must give the same bytes");
            assert_ne!(a1, run(KEY_B), "a different key must give different bytes");
        }

        #[wasm_bindgen_test]
        fn the_batch_api_matches_the_one_shot_api_and_counts() {
            let input = sample_dicom();
            let mut deid = DicomDeidentifier::new(&opts(KEY_A, "jp-pseudonymized")).expect("valid options");
            let (batch, _) = split(deid.deidentify("CT/0001.dcm", &input).expect("de-identifies"));
            let (single, _) = split(deidentify_dicom(&input, &opts(KEY_A, "jp-pseudonymized")).expect("de-identifies"));
            assert_eq!(batch, single);
            let not_dicom = deid.deidentify("notes.txt", b"hello, not a DICOM file");
            expect_error(not_dicom, "not-dicom");
            let summary: wasm_bindgen::JsValue = deid.summary().expect("summary").into();
            assert_eq!(get(&summary, "items").as_f64(), Some(2.0));
            let outcomes = get(&summary, "outcomes");
            assert_eq!(get(&outcomes, "deidentified").as_f64(), Some(1.0));
            assert_eq!(get(&outcomes, "skipped").as_f64(), Some(1.0));
            assert_eq!(get(&get(&summary, "reasons"), "not-dicom").as_f64(), Some(1.0));
            assert!(deid.summary_text().starts_with("2 files: 1 de-identified"), "{}", deid.summary_text());
            assert_eq!(deid.fingerprint(), key_fingerprint(KEY_A).expect("valid key"));
        }

        #[wasm_bindgen_test]
        fn the_report_is_a_plain_json_ready_object() {
            let (_, report) = split(deidentify_dicom(&sample_dicom(), &opts(KEY_A, "basic")).expect("de-identifies"));
            assert!(get(&report, "quarantine").is_null());
            let json = String::from(js_sys::JSON::stringify(&report).expect("stringifies"));
            assert!(json.contains(r#""action":"uid-mapped""#), "{json}");
            assert!(!json.contains("Yamada") && !json.contains(PATIENT_ID), "the report leaks an original value");
        }

        #[wasm_bindgen_test]
        fn non_dicom_input_throws_not_dicom_naming_the_file() {
            let opts = options(&format!(r#"{{"key":"{KEY_A}","name":"scan/readme.txt"}}"#));
            let err = expect_error(deidentify_dicom(b"just some text, long enough to not be DICOM", &opts), "not-dicom");
            assert!(String::from(err.message()).contains("scan/readme.txt"), "{}", String::from(err.message()));
            assert_eq!(get_str(&err, "file"), "scan/readme.txt");
            // A DICM marker with garbage after it is a parse error, not a panic.
            let mut bad = vec![0u8; 128];
            bad.extend_from_slice(b"DICM\x02\x00\x00\x00UL\x04\x00\xff\xff\xff\x7f");
            expect_error(deidentify_dicom(&bad, &opts), "parse-error");
        }

        #[wasm_bindgen_test]
        fn invalid_keys_and_options_throw_with_stable_codes() {
            let input = sample_dicom();
            expect_error(deidentify_dicom(&input, &options(r#"{"key":"abc"}"#)), "invalid-key");
            expect_error(deidentify_dicom(&input, &options(r#"{"preset":"basic"}"#)), "invalid-key");
            let bad_hex = "zz".repeat(32);
            expect_error(DicomDeidentifier::new(&options(&format!(r#"{{"key":"{bad_hex}"}}"#))).map(|_| ()), "invalid-key");
            expect_error(key_fingerprint("0123"), "invalid-key");
            let with = |extra: &str| options(&format!(r#"{{"key":"{KEY_A}",{extra}}}"#));
            expect_error(deidentify_dicom(&input, &with(r#""preset":"everything""#)), "policy-error");
            expect_error(deidentify_dicom(&input, &with(r#""options":["retain-all"]"#)), "policy-error");
            expect_error(deidentify_dicom(&input, &with(r#""address":"street""#)), "invalid-options");
            expect_error(deidentify_dicom(&input, &with(r#""presett":"basic""#)), "invalid-options");
            expect_error(deidentify_dicom(&input, &with(r#""pixelRules":[{"name":"all","regions":[]}]"#)), "policy-error");
            expect_error(deidentify_dicom(&input, &options("42")), "invalid-options");
        }

        #[wasm_bindgen_test]
        fn options_reach_the_policy() {
            let input = sample_dicom();
            let with = |extra: &str| options(&format!(r#"{{"key":"{KEY_A}",{extra}}}"#));
            let (full, _) = split(deidentify_dicom(&input, &with(r#""preset":"jp-pseudonymized""#)).expect("ok"));
            assert!(contains(&full, STUDY_DATE), "jp-pseudonymized keeps full dates");
            let (shifted, _) = split(deidentify_dicom(&input, &with(r#""preset":"jp-anonymized""#)).expect("ok"));
            assert!(!contains(&shifted, STUDY_DATE), "jp-anonymized shifts dates");
            let deid = DicomDeidentifier::new(&with(r#""preset":"jp-anonymized","options":["retain-device-identity"],"address":"prefecture","trustBurnedInNo":true,"pixelRules":[{"name":"top","manufacturer":"ACME","regions":[{"x":0,"y":0,"width":4,"height":1}]}]"#)).expect("valid");
            let policy = String::from(js_sys::JSON::stringify(&deid.policy().expect("policy").into()).expect("json"));
            for want in [r#""preset":"jp-anonymized""#, "retain-device-identity", r#""address":"prefecture""#, r#""trust-burned-in-no":true"#, r#""manufacturer":"ACME""#] {
                assert!(policy.contains(want), "{want} missing in {policy}");
            }
        }

        #[wasm_bindgen_test]
        fn text_is_redacted_with_utf16_offsets_for_js() {
            let text = "𠮷田様 TEL ０３－１２３４－５６７８ 受診日 R6.3.5";
            let r = redact_text(text, None).expect("redacts");
            let r: &wasm_bindgen::JsValue = r.as_ref();
            assert_eq!(get_str(r, "text"), "𠮷田様 TEL [電話番号] 受診日 [日付]");
            let spans = js_sys::Array::from(&get(r, "spans"));
            assert_eq!(spans.length(), 2);
            let phone = spans.get(0);
            assert_eq!(get_str(&phone, "type"), "PHONE");
            // 𠮷 is one char but two UTF-16 units: JS slicing must use the UTF-16 offsets.
            assert_eq!(get(&phone, "start").as_f64(), Some(8.0));
            assert_eq!(get(&phone, "start_utf16").as_f64(), Some(9.0));
            let js = js_sys::JsString::from(text);
            let s = get(&phone, "start_utf16").as_f64().unwrap_or(0.0) as u32;
            let e = get(&phone, "end_utf16").as_f64().unwrap_or(0.0) as u32;
            assert_eq!(String::from(js.slice(s, e)), "０３－１２３４－５６７８");
        }

        #[wasm_bindgen_test]
        fn text_options_policy_placeholders_and_patient() {
            let note = "ﾔﾏﾀﾞ ﾀﾛｳ様 92歳 受診日 2024年3月5日 TEL 03-1234-5678 みどり台病院";
            let opts = text_options(
                r#"{"policy":"anonymized","keepFacilities":true,"placeholders":{"NAME":"＊＊","PHONE":{"ja":"[電話]"}},
                   "patient":{"name":"山田 太郎","kana":"ヤマダ タロウ"}}"#,
            );
            let r: wasm_bindgen::JsValue = redact_text(note, Some(opts)).expect("redacts").into();
            assert_eq!(get_str(&r, "text"), "＊＊様 90歳以上 受診日 2024年3月 TEL [電話] みどり台病院");
            let spans = js_sys::Array::from(&get(&r, "spans"));
            assert_eq!(get_str(&spans.get(0), "rule"), "hint-name");
            let actions: Vec<String> = spans.iter().map(|s| get_str(&s, "action")).collect();
            assert!(actions.contains(&"top-coded".to_string()) && actions.contains(&"kept".to_string()), "{actions:?}");
        }

        #[wasm_bindgen_test]
        fn text_surrogates_are_keyed_and_dates_shift_per_patient() {
            let note = "患者：山田 太郎 2024/03/05 入院、2024/03/19 退院。山田さん TEL 03-1234-5678";
            let with = |key: &str, id: &str| {
                let o = text_options(&format!(
                    r#"{{"policy":"anonymized","surrogates":true,"key":"{key}","patient":{{"patient_id":"{id}","name":"山田 太郎"}}}}"#
                ));
                get_str(&redact_text(note, Some(o)).expect("redacts").into(), "text")
            };
            let a = with(KEY_A, "P1");
            assert_eq!(a, with(KEY_A, "P1"), "deterministic");
            assert_ne!(a, with(KEY_B, "P1"), "keyed");
            assert!(!a.contains("山田") && !a.contains("2024/03/05") && !a.contains("03-1234-5678"), "{a}");
            let surname: String = a.trim_start_matches("患者：").chars().take_while(|c| *c != ' ').collect();
            assert!(a.contains(&format!("。{surname}さん")), "the family name alone gets the same surrogate: {a}");
            let dates: Vec<&str> =
                a.split(|c: char| !c.is_ascii_digit() && c != '/').filter(|w| w.matches('/').count() == 2).collect();
            assert_eq!(dates.len(), 2, "{a}");
            let ms = |d: &str| js_sys::Date::new(&format!("{}T00:00:00Z", d.replace('/', "-")).into()).get_time();
            assert_eq!((ms(dates[1]) - ms(dates[0])) / 86_400_000.0, 14.0, "the interval is kept: {a}");
        }

        #[wasm_bindgen_test]
        fn text_options_are_checked() {
            expect_error(redact_text("x", Some(text_options(r#"{"polcy":"anonymized"}"#))), "invalid-options");
            expect_error(redact_text("x", Some(text_options(r#"{"surrogates":true}"#))), "invalid-options");
            expect_error(redact_text("x", Some(text_options(r#"{"surrogates":true,"key":"abc"}"#))), "invalid-key");
            expect_error(redact_text("x", Some(text_options(r#"{"placeholders":{"NOPE":"x"}}"#))), "invalid-options");
        }

        #[wasm_bindgen_test]
        // Kana variants of a name come from the lexicon's readings: in the lazy build this needs
        // the lists, which `dictionaries_load_on_demand` (node.rs) loads and tests on its own.
        #[cfg_attr(not(feature = "embedded-dictionaries"), ignore)]
        fn text_redactor_is_built_once_and_takes_a_patient_per_note() {
            let r = TextRedactor::new(Some(text_options(r#"{"policy":"pseudonymized"}"#))).expect("valid");
            let hanako = patient_ids(r#"{"name":"佐藤 花子","birth_date":"1950-01-02"}"#);
            let note = "さとう はなこ 昭和25年1月2日生 2024/3/5受診";
            let out: wasm_bindgen::JsValue = r.redact(note, Some(hanako)).expect("ok").into();
            assert_eq!(get_str(&out, "text"), "[氏名] 昭和25年1月2日生 2024/3/5受診", "仮名加工 keeps dates");
            let taro = patient_ids(r#"{"name":"山田 太郎"}"#);
            let out: wasm_bindgen::JsValue = r.redact("やまだ たろう", Some(taro)).expect("ok").into();
            assert_eq!(get_str(&out, "text"), "[氏名]", "the patient is per note");
            let settings = String::from(js_sys::JSON::stringify(&r.settings().expect("settings")).expect("json"));
            assert!(settings.contains(r#""policy":"pseudonymized""#), "{settings}");
        }

        #[wasm_bindgen_test]
        fn keys_are_random_and_fingerprinted() {
            let (a, b) = (generate_key().expect("random source"), generate_key().expect("random source"));
            assert_eq!(a.len(), 64);
            assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
            assert_ne!(a, b);
            let fp = key_fingerprint(&a).expect("a generated key is valid");
            assert_eq!(fp.len(), 16);
            assert_eq!(key_fingerprint(&format!("# comment line\n{a}\n")).expect("key file text"), fp);
            assert!(!version().is_empty());
        }
    };
}
