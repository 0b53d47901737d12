//! Standard attributes stored with VR UN (written by software that did not know them): text is
//! given its real VR and cleaned, and sequences are decoded (PS3.5 §6.2.2) and walked.

use dicom_core::value::C;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use kakou_dicom::{Deidentifier, Policy, Preset};
use kakou_sdk::ProjectKey;

const ORIGINAL_SERIES: &str = "1.2.392.200036.77.1.2.3.4";

fn un(bytes: &[u8]) -> PrimitiveValue {
    PrimitiveValue::U8(C::from_vec(bytes.to_vec()))
}

/// An implicit VR little endian item holding a Series Instance UID.
fn un_sequence_bytes() -> Vec<u8> {
    let mut uid = ORIGINAL_SERIES.as_bytes().to_vec();
    uid.push(0);
    let mut element = vec![0x20, 0x00, 0x0E, 0x00];
    element.extend_from_slice(&(uid.len() as u32).to_le_bytes());
    element.extend_from_slice(&uid);
    let mut item = vec![0xFE, 0xFF, 0x00, 0xE0];
    item.extend_from_slice(&(element.len() as u32).to_le_bytes());
    item.extend_from_slice(&element);
    item
}

fn file() -> Vec<u8> {
    let obj = InMemDicomObject::from_element_iter([
        DataElement::new(tags::SOP_CLASS_UID, VR::UI, PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.2")),
        DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, PrimitiveValue::from("1.2.392.200036.77.9")),
        DataElement::new(tags::MODALITY, VR::CS, PrimitiveValue::from("CT")),
        DataElement::new(tags::PATIENT_NAME, VR::PN, PrimitiveValue::from("Doe^Jonathan")),
        DataElement::new(tags::PATIENT_ID, VR::LO, PrimitiveValue::from("PID778899")),
        DataElement::new(tags::PROTOCOL_NAME, VR::UN, un(b"HEAD Jonathan Doe PID778899 ")),
        DataElement::new(tags::REFERENCED_SERIES_SEQUENCE, VR::UN, un(&un_sequence_bytes())),
    ]);
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.2")
        .media_storage_sop_instance_uid("1.2.392.200036.77.9")
        .transfer_syntax("1.2.840.10008.1.2.1");
    let mut bytes = Vec::new();
    obj.with_meta(meta).expect("meta").write_all(&mut bytes).expect("writes");
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn un_text_is_cleaned_and_un_sequences_are_walked() {
    let input = file();
    assert!(contains(&input, b"Jonathan Doe") && contains(&input, ORIGINAL_SERIES.as_bytes()));
    let deid =
        Deidentifier::new(ProjectKey::from_bytes([31; 32]), Policy::preset(Preset::JpPseudonymized)).expect("policy");
    let out = deid.deidentify("un.dcm", &input).expect("de-identifies");
    for needle in [&b"Jonathan"[..], b"Doe", b"PID778899", ORIGINAL_SERIES.as_bytes()] {
        assert!(!contains(&out.bytes, needle), "{} survived", String::from_utf8_lossy(needle));
    }
    let obj = dicom_object::OpenFileOptions::new().from_reader(&out.bytes[128..]).expect("re-reads");
    let protocol = obj.element(tags::PROTOCOL_NAME).expect("kept, cleaned");
    assert_eq!(protocol.vr(), VR::LO, "given its real VR");
    assert!(protocol.to_str().expect("text").starts_with("HEAD"), "medical content kept");
    let seq = obj.element(tags::REFERENCED_SERIES_SEQUENCE).expect("sequence kept");
    assert_eq!(seq.vr(), VR::SQ);
    let item = &seq.items().expect("items")[0];
    let mapped = item.element(tags::SERIES_INSTANCE_UID).expect("uid").to_str().expect("str").to_string();
    assert!(mapped.starts_with("2.25."), "{mapped}");
}
