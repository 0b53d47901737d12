//! Defacing a synthetic head series end to end: geometry from the headers (file order shuffled),
//! pixels written back in the original encoding, markers, refusals.

use dicom_dictionary_std::tags;
use dicom_object::OpenFileOptions;
use kakou_dicom::deface::{DefaceSeriesError, deface_series};
use kakou_dicom::series::{SeriesError, assemble, write_back};
use kakou_dicom::synthetic::phantom_series;
use kakou_dicom::{Deidentifier, Policy, Preset};
use kakou_sdk::ProjectKey;
use kakou_sdk::deface::phantom::{self, Tissue};
use kakou_sdk::deface::{DefaceOptions, Modality};

const IDENTITY: [[f64; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

fn deid() -> Deidentifier {
    Deidentifier::new(ProjectKey::from_bytes([7; 32]), Policy::preset(Preset::Basic)).unwrap()
}

#[test]
fn ct_series_defaced_in_its_own_encoding_with_markers() {
    let grid = phantom::axial_grid(4.0);
    let mut files = phantom_series(&grid, Modality::Ct, IDENTITY);
    files.reverse(); // file order must not matter
    files.swap(3, 17);
    let done = deface_series(&files, &deid(), &DefaceOptions::default(), true, &mut |_, _| {}).unwrap();
    assert_eq!(done.files.len(), grid.dims[2]);
    assert!(done.qc.is_some());
    let (_, tissues) = phantom::head(&grid, Modality::Ct, IDENTITY);
    // read the output back as a volume: same grid, brain identical, eyes replaced by air
    // (−1000 HU) or, under the CT plate, by the uniform seal tissue (100 HU)
    let out: Vec<(String, Vec<u8>)> = done.files.iter().map(|f| (f.report.file.clone(), f.bytes.clone())).collect();
    let vol = assemble(&out).unwrap();
    assert_eq!(vol.grid.dims, grid.dims);
    for a in 0..3 {
        for b in 0..3 {
            assert!((vol.grid.steps[a][b] - grid.steps[a][b]).abs() < 1e-4);
        }
        assert!((vol.grid.origin[a] - grid.origin[a]).abs() < 1e-4);
    }
    let (orig, _) = phantom::head(&grid, Modality::Ct, IDENTITY);
    let mut eyes = 0;
    for (p, t) in tissues.iter().enumerate() {
        if *t == Tissue::Brain {
            assert_eq!(vol.values[p], orig[p], "brain voxel {p} changed");
        }
        if *t == Tissue::Eye {
            assert!([-1000.0, 100.0].contains(&vol.values[p]), "eye voxel {p} kept {}", vol.values[p]);
            eyes += 1;
        }
    }
    assert!(eyes > 10);
    let nose_tip = grid.voxel_of([0.0, -100.0, -40.0]).unwrap().map(|x| x.round() as usize);
    assert_eq!(vol.values[grid.index(nose_tip[0], nose_tip[1], nose_tip[2])], -1000.0, "nose is air");
    let first = OpenFileOptions::new().from_reader(&done.files[0].bytes[128..]).unwrap();
    let codes = first.element(tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE).unwrap().items().unwrap().to_vec();
    let values: Vec<String> =
        codes.iter().map(|i| i.element(tags::CODE_VALUE).unwrap().to_str().unwrap().to_string()).collect();
    assert!(values.contains(&"113102".to_string()), "{values:?}");
    assert_eq!(first.element(tags::RECOGNIZABLE_VISUAL_FEATURES).unwrap().to_str().unwrap(), "NO");
    assert_eq!(first.element(tags::BITS_STORED).unwrap().to_int::<u16>().unwrap(), 12);
    assert_ne!(first.element(tags::PATIENT_NAME).unwrap().to_str().unwrap(), "Phantom^Head");
    assert_eq!(first.element(tags::IMAGE_TYPE).unwrap().to_multi_str().unwrap()[0], "DERIVED");
}

fn uid_of(bytes: &[u8], tag: dicom_core::Tag) -> String {
    let obj = OpenFileOptions::new().from_reader(&bytes[128..]).unwrap();
    obj.element(tag).unwrap().to_str().unwrap().trim_end_matches('\0').to_string()
}

/// The defaced series is a new series of the same study in the same frame of reference: under
/// the Basic profile its study and frame of reference map exactly as plain de-identification
/// maps them, under the Retain UIDs option they are the original's, and in both its SOP
/// Instance and Series Instance UIDs are new (changed pixels never reuse an image's UID).
#[test]
fn defaced_slices_are_new_instances_in_the_original_frame_of_reference() {
    let grid = phantom::axial_grid(4.0);
    let files = phantom_series(&grid, Modality::Ct, IDENTITY);
    let original = |tag| uid_of(&files[0].1, tag);
    let mut retain = Policy::preset(Preset::Basic);
    retain.options.push(kakou_dicom::profile::ProfileOption::RetainUids);
    for (deid, keeps) in [(deid(), false), (Deidentifier::new(ProjectKey::from_bytes([7; 32]), retain).unwrap(), true)]
    {
        let done = deface_series(&files, &deid, &DefaceOptions::default(), false, &mut |_, _| {}).unwrap();
        let plain = deid.deidentify("x", &files[0].1).unwrap();
        // files[0] is the first slice in grid order too (phantom_series writes them in order)
        let out = &done.files[0].bytes;
        for tag in [tags::STUDY_INSTANCE_UID, tags::FRAME_OF_REFERENCE_UID] {
            assert_eq!(uid_of(out, tag), uid_of(&plain.bytes, tag), "{tag} as plain de-identification");
            assert_eq!(uid_of(out, tag) == original(tag), keeps, "{tag} retained: {keeps}");
        }
        for tag in [tags::SOP_INSTANCE_UID, tags::SERIES_INSTANCE_UID] {
            assert_ne!(uid_of(out, tag), original(tag), "{tag} must be new");
            assert_ne!(uid_of(out, tag), uid_of(&plain.bytes, tag), "{tag} must differ from the source's");
        }
        let meta = OpenFileOptions::new().from_reader(&out[128..]).unwrap();
        assert_eq!(
            meta.meta().media_storage_sop_instance_uid.trim_end_matches('\0'),
            uid_of(out, tags::SOP_INSTANCE_UID)
        );
        let series: std::collections::BTreeSet<String> =
            done.files.iter().map(|f| uid_of(&f.bytes, tags::SERIES_INSTANCE_UID)).collect();
        let sops: std::collections::BTreeSet<String> =
            done.files.iter().map(|f| uid_of(&f.bytes, tags::SOP_INSTANCE_UID)).collect();
        assert_eq!((series.len(), sops.len()), (1, files.len()));
    }
}

#[test]
fn refusals_are_typed() {
    let grid = phantom::axial_grid(4.0);
    let files = phantom_series(&grid, Modality::Mr, IDENTITY);
    let d = deid();
    let opts = DefaceOptions::default();
    let err = deface_series(&files[..5], &d, &opts, false, &mut |_, _| {}).unwrap_err();
    assert_eq!(err.code(), "too-few-slices", "{err}");
    let mut gap = files.clone();
    gap.remove(30);
    let err = deface_series(&gap, &d, &opts, false, &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, DefaceSeriesError::Series(SeriesError::IrregularSpacing { .. })), "{err}");
    let mut dup = files.clone();
    dup.push(files[10].clone());
    let err = deface_series(&dup, &d, &opts, false, &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, DefaceSeriesError::Series(SeriesError::DuplicatePosition { .. })), "{err}");
    let mut mixed = files.clone();
    mixed.extend(phantom_series(&phantom::sagittal_grid(4.0), Modality::Mr, IDENTITY).into_iter().take(3));
    assert!(deface_series(&mixed, &d, &opts, false, &mut |_, _| {}).is_err());
}

/// `write_back` applies every edit code the plan maps to a value, not only the low ones: a code
/// it skipped would leave the original voxel (a face voxel) in the output unnoticed.
#[test]
fn write_back_applies_every_code_that_has_a_value() -> Result<(), SeriesError> {
    let grid = phantom::axial_grid(8.0);
    let files = phantom_series(&grid, Modality::Ct, IDENTITY);
    let mut volume = assemble(&files)?;
    let before = volume.values.clone();
    // code 200 on even voxels becomes −500 HU; code 0 has no value and keeps the voxel
    let edits: Vec<u8> = (0..before.len()).map(|p| if p % 2 == 0 { 200 } else { 0 }).collect();
    let written = write_back(&mut volume, &edits, |c| (c == 200).then_some(-500.0))?;
    let after = assemble(&written)?.values;
    assert_eq!(after.len(), before.len());
    for (p, (a, b)) in after.iter().zip(&before).enumerate() {
        let expected = if p % 2 == 0 { -500.0 } else { *b };
        assert!((a - expected).abs() < 1e-3, "voxel {p}: {a}, expected {expected}");
    }
    Ok(())
}
