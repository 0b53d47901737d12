//! Japanese ISO 2022 text: kept values round-trip byte for byte, and a patient's kanji or kana
//! name copied into a kept description is found and removed.

use dicom_core::value::C;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use kakou_dicom::charset::JapaneseText;
use kakou_dicom::{Deidentifier, Policy, Preset};
use kakou_sdk::ProjectKey;
use kakou_sdk::report::ActionKind;

/// A CT file whose text is in `charset`, built through dicom-rs exactly as a modality would.
fn japanese_file(charset: &[&str], name: &str, study_description: &str, series_description: &str) -> Vec<u8> {
    let values: Vec<String> = charset.iter().map(|s| s.to_string()).collect();
    let jp = JapaneseText::for_charset(&values).expect("Japanese character set");
    let text = |s: &str| PrimitiveValue::from(jp.from_unicode(s).expect("encodable"));
    let obj = InMemDicomObject::from_element_iter([
        DataElement::new(tags::SPECIFIC_CHARACTER_SET, VR::CS, PrimitiveValue::Strs(C::from_vec(values.clone()))),
        DataElement::new(tags::SOP_CLASS_UID, VR::UI, PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.2")),
        DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, PrimitiveValue::from("1.2.392.200036.1.2.3")),
        DataElement::new(tags::STUDY_INSTANCE_UID, VR::UI, PrimitiveValue::from("1.2.392.200036.1.2")),
        DataElement::new(tags::MODALITY, VR::CS, PrimitiveValue::from("CT")),
        DataElement::new(tags::STUDY_DESCRIPTION, VR::LO, text(study_description)),
        DataElement::new(tags::SERIES_DESCRIPTION, VR::LO, text(series_description)),
        DataElement::new(tags::PATIENT_NAME, VR::PN, text(name)),
        DataElement::new(tags::PATIENT_ID, VR::LO, PrimitiveValue::from("0012345")),
    ]);
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.2")
        .media_storage_sop_instance_uid("1.2.392.200036.1.2.3")
        .transfer_syntax("1.2.840.10008.1.2.1");
    let mut bytes = Vec::new();
    obj.with_meta(meta).expect("valid meta").write_all(&mut bytes).expect("writes");
    bytes
}

/// The raw value bytes of a top-level explicit-VR-LE element with a 2-byte length (LO, PN…).
fn raw_value(file: &[u8], group: u16, element: u16) -> Vec<u8> {
    let mut tag = group.to_le_bytes().to_vec();
    tag.extend_from_slice(&element.to_le_bytes());
    let at = file.windows(4).position(|w| w == tag.as_slice()).expect("element present");
    let len = u16::from_le_bytes([file[at + 6], file[at + 7]]) as usize;
    file[at + 8..at + 8 + len].to_vec()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn pseudonymize(bytes: &[u8]) -> kakou_dicom::Processed {
    Deidentifier::new(ProjectKey::from_bytes([21; 32]), Policy::preset(Preset::JpPseudonymized))
        .expect("policy")
        .deidentify("jp.dcm", bytes)
        .expect("de-identifies")
}

#[test]
fn kanji_name_in_a_description_is_removed_and_other_text_round_trips() {
    let input = japanese_file(
        &["", "ISO 2022 IR 87"],
        "Yamada^Tarou=山田^太郎=やまだ^たろう",
        "山田太郎様 頭部CT",
        "頭部 単純",
    );
    // PS3.5 Annex H byte sequences: 山田 = ESC $ B ;3ED, 頭部 = ESC $ B F,It
    let yamada = b"\x1b$B;3ED";
    let head: &[u8] = b"F,It";
    assert!(contains(&input, yamada) && contains(&input, head), "the input is real ISO 2022 JP");

    let out = pseudonymize(&input);
    assert!(!contains(&out.bytes, b";3ED"), "山田 survived in the output");
    assert!(!contains(&out.bytes, b"B@O:"), "太郎 survived in the output");
    assert_eq!(
        raw_value(&out.bytes, 0x0008, 0x103E),
        raw_value(&input, 0x0008, 0x103E),
        "kept text must be byte-identical"
    );
    assert!(contains(&raw_value(&out.bytes, 0x0008, 0x1030), b"\x1b$BF,It"), "頭部 stays in the cleaned description");
    assert!(contains(&out.bytes, b"\x1b(BCT") || contains(&out.bytes, b"CT"), "the rest of the description stays");
    let cleaned = out.report.actions.iter().find(|a| a.path == "StudyDescription").expect("reported");
    assert_eq!(cleaned.action, ActionKind::Cleaned);
    assert!(cleaned.rule.contains("replaced"), "{}", cleaned.rule);
}

#[test]
fn half_width_katakana_names_are_found_too() {
    let input = japanese_file(&["ISO 2022 IR 13", "ISO 2022 IR 87"], "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎", "ﾔﾏﾀﾞ ﾀﾛｳ 胸部", "胸部 正面");
    assert!(contains(&input, &[0xD4, 0xCF, 0xC0, 0xDE]), "ﾔﾏﾀﾞ as JIS X 0201 high bytes");
    let out = pseudonymize(&input);
    assert!(!contains(&out.bytes, &[0xD4, 0xCF, 0xC0, 0xDE]), "ﾔﾏﾀﾞ survived");
    let obj = dicom_object::OpenFileOptions::new().from_reader(&out.bytes[128..]).expect("re-reads");
    let charset = obj.element(tags::SPECIFIC_CHARACTER_SET).expect("kept").to_multi_str().expect("strs").to_vec();
    assert_eq!(charset, vec!["ISO 2022 IR 13".to_string(), "ISO 2022 IR 87".to_string()]);
}

#[test]
fn cleaned_descriptions_lose_identifiers_the_record_does_not_carry_elsewhere() {
    // The referring doctor's name and a phone number appear only in the description.
    let input = japanese_file(
        &["", "ISO 2022 IR 87"],
        "Yamada^Tarou=山田^太郎",
        "紹介医 佐藤一郎先生 TEL 03-1234-5678 頭部CT",
        "頭部 単純",
    );
    let out = pseudonymize(&input);
    let obj = dicom_object::OpenFileOptions::new().from_reader(&out.bytes[128..]).expect("re-reads");
    let jp = JapaneseText::for_charset(&["".to_string(), "ISO 2022 IR 87".to_string()]).expect("charset");
    let raw = obj.element(tags::STUDY_DESCRIPTION).expect("kept").to_str().expect("text").to_string();
    let description = jp.to_unicode(&raw).expect("decodes");
    assert!(!description.contains("佐藤") && !description.contains("03-1234-5678"), "{description}");
    assert!(description.contains("頭部CT"), "medical content stays: {description}");
}

#[test]
fn cleaned_descriptions_lose_the_patients_own_identifiers_in_other_spellings() {
    // The record has ID 0012345 and the reading in katakana; the description writes the ID
    // without its leading zeros and the name in hiragana, with no label: only the patient's own
    // identifiers, passed to the text finder as hints, find the ID.
    let input = japanese_file(
        &["", "ISO 2022 IR 87"],
        "Yamada^Tarou=山田^太郎=ヤマダ^タロウ",
        "やまだ たろう 12345 頭部CT",
        "頭部 単純",
    );
    let out = pseudonymize(&input);
    let obj = dicom_object::OpenFileOptions::new().from_reader(&out.bytes[128..]).expect("re-reads");
    let jp = JapaneseText::for_charset(&["".to_string(), "ISO 2022 IR 87".to_string()]).expect("charset");
    let raw = obj.element(tags::STUDY_DESCRIPTION).expect("kept").to_str().expect("text").to_string();
    let description = jp.to_unicode(&raw).expect("decodes");
    for gone in ["やまだ", "たろう", "12345"] {
        assert!(!description.contains(gone), "{gone}: {description}");
    }
    assert!(description.contains("頭部CT"), "medical content stays: {description}");
}
