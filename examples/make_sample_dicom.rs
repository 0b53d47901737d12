//! Writes the bundled sample study (`examples/sample-dicom/`): a synthetic patient with the
//! identifiers a Japanese hospital export really carries, for the README's first run.
//!
//! The patient, 内閣花子, is the fictional example of the guideline's own anonymization table.
//! Run: `cargo run -p kakou-tests --example make_sample_dicom -- examples/sample-dicom`

use std::path::Path;

use dicom_core::value::{C, Value};
use dicom_core::{DataElement, Length, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use kakou_dicom::charset::JapaneseText;

const CHARSET: [&str; 2] = ["", "ISO 2022 IR 87"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "examples/sample-dicom".into());
    let out = Path::new(&out);
    std::fs::create_dir_all(out.join("CT"))?;
    std::fs::create_dir_all(out.join("US"))?;
    for slice in 1..=3 {
        write(&ct_slice(slice)?, &out.join(format!("CT/slice{slice:03}.dcm")))?;
    }
    write(&ultrasound()?, &out.join("US/us001.dcm"))?;
    std::fs::write(
        out.join("export-notes.txt"),
        "Exported from the PACS on 2024-05-10 by the radiology department.\n",
    )?;
    println!("wrote sample study to {}", out.display());
    Ok(())
}

fn jp(text: &str) -> Result<PrimitiveValue, String> {
    let values: Vec<String> = CHARSET.iter().map(|s| s.to_string()).collect();
    let codec = JapaneseText::for_charset(&values).ok_or("charset")?;
    codec.from_unicode(text).map(PrimitiveValue::from).ok_or_else(|| format!("cannot encode {text}"))
}

fn s(v: &str) -> PrimitiveValue {
    PrimitiveValue::from(v)
}

fn patient_and_study(
    modality: &str,
    sop_class: &str,
    sop: &str,
    series: &str,
) -> Result<Vec<DataElement<InMemDicomObject>>, String> {
    Ok(vec![
        DataElement::new(
            tags::SPECIFIC_CHARACTER_SET,
            VR::CS,
            PrimitiveValue::Strs(C::from_vec(CHARSET.iter().map(|s| s.to_string()).collect())),
        ),
        DataElement::new(tags::SOP_CLASS_UID, VR::UI, s(sop_class)),
        DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, s(sop)),
        DataElement::new(tags::STUDY_DATE, VR::DA, s("20240510")),
        DataElement::new(tags::STUDY_TIME, VR::TM, s("093015")),
        DataElement::new(tags::ACCESSION_NUMBER, VR::SH, s("A24051000123")),
        DataElement::new(tags::MODALITY, VR::CS, s(modality)),
        DataElement::new(tags::MANUFACTURER, VR::LO, s("Kakou Sample Systems")),
        DataElement::new(tags::INSTITUTION_NAME, VR::LO, jp("霞が関中央病院")?),
        DataElement::new(tags::INSTITUTION_ADDRESS, VR::ST, jp("東京都千代田区霞が関1-1-1")?),
        DataElement::new(tags::REFERRING_PHYSICIAN_NAME, VR::PN, jp("Sato^Ichiro=佐藤^一郎")?),
        DataElement::new(tags::STATION_NAME, VR::SH, s("CT-KASUMI-01")),
        DataElement::new(tags::STUDY_DESCRIPTION, VR::LO, jp("内閣花子様 頭部CT 単純")?),
        DataElement::new(tags::SERIES_DESCRIPTION, VR::LO, jp("頭部 5mm")?),
        DataElement::new(tags::PATIENT_NAME, VR::PN, jp("Naikaku^Hanako=内閣^花子=ないかく^はなこ")?),
        DataElement::new(tags::PATIENT_ID, VR::LO, s("00012345")),
        DataElement::new(tags::PATIENT_BIRTH_DATE, VR::DA, s("20030215")),
        DataElement::new(tags::PATIENT_SEX, VR::CS, s("F")),
        DataElement::new(tags::PATIENT_AGE, VR::AS, s("021Y")),
        DataElement::new(tags::PATIENT_ADDRESS, VR::LO, jp("東京都千代田区永田町1-6-1")?),
        DataElement::new(tags::PATIENT_TELEPHONE_NUMBERS, VR::SH, s("03-3581-0101")),
        DataElement::new(
            tags::OTHER_PATIENT_I_DS_SEQUENCE,
            VR::SQ,
            Value::new_sequence(
                C::from_vec(vec![InMemDicomObject::from_element_iter([
                    DataElement::new(tags::PATIENT_ID, VR::LO, s("HK-2003-0215")),
                    DataElement::new(tags::ISSUER_OF_PATIENT_ID, VR::LO, s("KASUMI-CLINIC")),
                ])]),
                Length::UNDEFINED,
            ),
        ),
        DataElement::new(tags::STUDY_INSTANCE_UID, VR::UI, s("1.2.392.200036.9116.2.6.1.48.1214245753.1715300000.1")),
        DataElement::new(tags::SERIES_INSTANCE_UID, VR::UI, s(series)),
        DataElement::new(
            tags::FRAME_OF_REFERENCE_UID,
            VR::UI,
            s("1.2.392.200036.9116.2.6.1.48.1214245753.1715300000.3"),
        ),
        DataElement::new(dicom_core::Tag(0x0009, 0x0010), VR::LO, s("KAKOU SAMPLE PRIVATE")),
        DataElement::new(dicom_core::Tag(0x0009, 0x1001), VR::LO, s("Operator: Suzuki (ext 4521)")),
    ])
}

fn image(rows: u16, cols: u16, photometric: &str, spp: u16, pixels: Vec<u8>) -> Vec<DataElement<InMemDicomObject>> {
    vec![
        DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(spp)),
        DataElement::new(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, s(photometric)),
        DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(rows)),
        DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(cols)),
        DataElement::new(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(8u16)),
        DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(8u16)),
        DataElement::new(tags::HIGH_BIT, VR::US, PrimitiveValue::from(7u16)),
        DataElement::new(tags::PIXEL_REPRESENTATION, VR::US, PrimitiveValue::from(0u16)),
        DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::U8(C::from_vec(pixels))),
    ]
}

fn ct_slice(n: u32) -> Result<dicom_object::DefaultDicomObject, String> {
    let sop = format!("1.2.392.200036.9116.2.6.1.48.1214245753.1715300000.4.{n}");
    let mut els = patient_and_study(
        "CT",
        "1.2.840.10008.5.1.4.1.1.2",
        &sop,
        "1.2.392.200036.9116.2.6.1.48.1214245753.1715300000.2",
    )?;
    els.push(DataElement::new(tags::INSTANCE_NUMBER, VR::IS, s(&n.to_string())));
    els.push(DataElement::new(tags::ACQUISITION_DATE, VR::DA, s("20240510")));
    els.push(DataElement::new(tags::ACQUISITION_TIME, VR::TM, s(&format!("0931{:02}", 10 + n))));
    let pixels: Vec<u8> = (0..32 * 32).map(|i| ((i % 32) * 8 + n as usize) as u8).collect();
    els.extend(image(32, 32, "MONOCHROME2", 1, pixels));
    finish(els, "1.2.840.10008.5.1.4.1.1.2", &sop)
}

fn ultrasound() -> Result<dicom_object::DefaultDicomObject, String> {
    let sop = "1.2.392.200036.9116.2.6.1.48.1214245753.1715300000.5.1";
    let mut els = patient_and_study(
        "US",
        "1.2.840.10008.5.1.4.1.1.6.1",
        sop,
        "1.2.392.200036.9116.2.6.1.48.1214245753.1715300000.6",
    )?;
    els.push(DataElement::new(tags::BURNED_IN_ANNOTATION, VR::CS, s("YES")));
    // A bright top banner where the scanner would draw the patient's name.
    let pixels: Vec<u8> = (0..48 * 64 * 3).map(|i| if i < 8 * 64 * 3 { 250 } else { (i % 97) as u8 }).collect();
    els.extend(image(48, 64, "RGB", 3, pixels));
    els.push(DataElement::new(tags::PLANAR_CONFIGURATION, VR::US, PrimitiveValue::from(0u16)));
    finish(els, "1.2.840.10008.5.1.4.1.1.6.1", sop)
}

fn finish(
    els: Vec<DataElement<InMemDicomObject>>,
    class: &str,
    sop: &str,
) -> Result<dicom_object::DefaultDicomObject, String> {
    InMemDicomObject::from_element_iter(els)
        .with_meta(
            FileMetaTableBuilder::new()
                .media_storage_sop_class_uid(class)
                .media_storage_sop_instance_uid(sop)
                .transfer_syntax("1.2.840.10008.1.2.1")
                .source_application_entity_title("KASUMI_PACS"),
        )
        .map_err(|e| e.to_string())
}

fn write(obj: &dicom_object::DefaultDicomObject, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut bytes = Vec::new();
    obj.write_all(&mut bytes)?;
    std::fs::write(path, bytes)?;
    Ok(())
}
