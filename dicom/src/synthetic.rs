//! Synthetic head series (the SDK's phantom written as one DICOM file per slice) for tests,
//! demos and benchmarks: nothing in it comes from a person, so it can ship and run anywhere.

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use kakou_sdk::deface::geometry::cross;
use kakou_sdk::deface::{Grid, Modality, phantom};

/// CT stored as HU + 1024 (Rescale Intercept −1024), MR as unsigned 16-bit.
pub fn phantom_series(grid: &Grid, modality: Modality, rotation: [[f64; 3]; 3]) -> Vec<(String, Vec<u8>)> {
    let (values, _) = phantom::head(grid, modality, rotation);
    let [nx, ny, nz] = grid.dims;
    let sp = grid.spacing();
    let unit = |v: [f64; 3], n: f64| v.map(|x| x / n);
    let (row, col) = (unit(grid.steps[0], sp[0]), unit(grid.steps[1], sp[1]));
    let normal = cross(row, col);
    let ds = |x: f64| format!("{x:.6}");
    let (ct, sop_class) = match modality {
        Modality::Ct => (true, "1.2.840.10008.5.1.4.1.1.2"),
        Modality::Mr => (false, "1.2.840.10008.5.1.4.1.1.4"),
    };
    let root = "2.25.3141592653589793238462643383279";
    (0..nz)
        .map(|k| {
            let pos = grid.position([0.0, 0.0, k as f64]);
            let sop = format!("{root}.3.{}", k + 1);
            let el = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
            let mut obj = InMemDicomObject::from_element_iter([
                el(tags::SOP_CLASS_UID, VR::UI, sop_class),
                el(tags::SOP_INSTANCE_UID, VR::UI, &sop),
                el(tags::STUDY_DATE, VR::DA, "20240115"),
                el(tags::MODALITY, VR::CS, if ct { "CT" } else { "MR" }),
                el(tags::PATIENT_NAME, VR::PN, "Phantom^Head"),
                el(tags::PATIENT_ID, VR::LO, "PHANTOM-001"),
                el(tags::STUDY_INSTANCE_UID, VR::UI, &format!("{root}.1")),
                el(tags::SERIES_INSTANCE_UID, VR::UI, &format!("{root}.2")),
                el(tags::FRAME_OF_REFERENCE_UID, VR::UI, &format!("{root}.4")),
                el(tags::IMAGE_TYPE, VR::CS, "ORIGINAL\\PRIMARY\\AXIAL"),
                el(tags::INSTANCE_NUMBER, VR::IS, &(k + 1).to_string()),
                el(tags::IMAGE_POSITION_PATIENT, VR::DS, &pos.map(ds).join("\\")),
                el(
                    tags::IMAGE_ORIENTATION_PATIENT,
                    VR::DS,
                    &[row, col].concat().into_iter().map(ds).collect::<Vec<_>>().join("\\"),
                ),
                el(tags::PIXEL_SPACING, VR::DS, &format!("{}\\{}", ds(sp[1]), ds(sp[0]))),
                el(tags::SLICE_THICKNESS, VR::DS, &ds(sp[2])),
                el(tags::SLICE_LOCATION, VR::DS, &ds(pos.iter().zip(normal).map(|(a, b)| a * b).sum())),
                el(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
            ]);
            for (tag, v) in [
                (tags::SAMPLES_PER_PIXEL, 1u16),
                (tags::ROWS, ny as u16),
                (tags::COLUMNS, nx as u16),
                (tags::BITS_ALLOCATED, 16),
                (tags::BITS_STORED, if ct { 12 } else { 16 }),
                (tags::HIGH_BIT, if ct { 11 } else { 15 }),
                (tags::PIXEL_REPRESENTATION, 0),
            ] {
                obj.put(DataElement::new(tag, VR::US, PrimitiveValue::from(v)));
            }
            if ct {
                obj.put(el(tags::RESCALE_INTERCEPT, VR::DS, "-1024"));
                obj.put(el(tags::RESCALE_SLOPE, VR::DS, "1"));
            }
            let offset = if ct { 1024.0 } else { 0.0 };
            let slice = &values[k * nx * ny..(k + 1) * nx * ny];
            let stored: Vec<u16> = slice.iter().map(|v| (v + offset).clamp(0.0, 65535.0) as u16).collect();
            obj.put(DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(stored.into())));
            let mut bytes = Vec::new();
            let meta = FileMetaTableBuilder::new()
                .transfer_syntax("1.2.840.10008.1.2.1")
                .media_storage_sop_class_uid(sop_class)
                .media_storage_sop_instance_uid(&sop);
            if let Ok(file) = obj.with_meta(meta) {
                let _ = file.write_all(&mut bytes);
            }
            (format!("IM_{:04}.dcm", k + 1), bytes)
        })
        .collect()
}
