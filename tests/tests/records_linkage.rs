//! Records and images of one patient stay linkable: `kakou records` gives a patient ID the same
//! pseudonym `kakou dicom` writes into PatientID, under the same key.

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use kakou_dicom::{Deidentifier, PolicyRequest};
use kakou_sdk::ProjectKey;
use kakou_sdk::records::{Policy, pseudonymize_csv};

fn dicom_with_patient_id(id: &str) -> Vec<u8> {
    let el = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
    let obj = InMemDicomObject::from_element_iter([
        el(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.7"),
        el(tags::SOP_INSTANCE_UID, VR::UI, "1.2.3.4.5.6.7"),
        el(tags::STUDY_INSTANCE_UID, VR::UI, "1.2.3.4.5"),
        el(tags::SERIES_INSTANCE_UID, VR::UI, "1.2.3.4.5.6"),
        el(tags::MODALITY, VR::CS, "OT"),
        el(tags::PATIENT_NAME, VR::PN, "Naikaku^Hanako"),
        el(tags::PATIENT_ID, VR::LO, id),
    ]);
    let file = obj
        .with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))
        .expect("a complete file meta group");
    let mut bytes = Vec::new();
    file.write_all(&mut bytes).expect("writes to memory");
    bytes
}

#[test]
fn a_csv_row_and_a_dicom_file_of_one_patient_share_the_pseudonym() {
    let key = ProjectKey::from_bytes([0x11; 32]);
    let policy =
        PolicyRequest { preset: Some("jp-pseudonymized".into()), ..Default::default() }.build().expect("preset");
    let deid = Deidentifier::new(key.clone(), policy).expect("policy");
    let dicom = deid.deidentify("a.dcm", &dicom_with_patient_id("10001")).expect("de-identifies");
    let records: Policy = serde_json::from_str(r#"{"columns":{"ID":"patient-id"}}"#).expect("policy");
    let (csv, _) = pseudonymize_csv(&key, &records, "a.csv", b"ID,x\n10001,1\n", false).expect("pseudonymizes");
    let csv = String::from_utf8(csv).expect("UTF-8");
    let pseudonym = csv.lines().nth(1).and_then(|l| l.split(',').next()).expect("a row");
    assert_eq!(pseudonym, dicom.report.patient_pseudonym);
    assert!(pseudonym.starts_with("KK"));
}
