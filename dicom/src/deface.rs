//! Defacing a DICOM head series: assemble the volume ([`crate::series`]), plan with the SDK's
//! volume defacer ([`kakou_sdk::deface`]), write the air fill back into each slice's own pixel
//! encoding, then de-identify every slice with the same [`Deidentifier`] as any other file, so
//! metadata rules and keyed UIDs are exactly those of `kakou dicom`, and the markers add CID
//! 7050 113102 (Clean Recognizable Visual Features) and Recognizable Visual Features = NO.
//!
//! Either every slice of a series is defaced or none is written: a refusal names the reason.

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use kakou_sdk::deface::render::{Gray, qc_sheet};
use kakou_sdk::deface::{DefaceError, DefaceOptions, DefacePlan, Modality, apply, plan};
use kakou_sdk::report::{ActionKind, Outcome};

use crate::marking::PixelMarks;
use crate::report::{AttributeAction, Notice};
use crate::series::{SeriesError, assemble, write_back};
use crate::{DeidError, Deidentifier, Processed};

/// Why a series was not defaced. Nothing of it is written.
#[derive(Debug, thiserror::Error)]
pub enum DefaceSeriesError {
    #[error(transparent)]
    Series(#[from] SeriesError),
    #[error("{0}")]
    Volume(#[from] DefaceError),
    #[error("modality '{0}': only CT and MR head series can be defaced")]
    Modality(String),
    #[error(transparent)]
    Deidentify(#[from] DeidError),
}

impl DefaceSeriesError {
    /// A short stable code for summaries.
    pub fn code(&self) -> &'static str {
        match self {
            DefaceSeriesError::Series(SeriesError::Localizer { .. }) => "localizer",
            DefaceSeriesError::Series(SeriesError::Undecodable { .. }) => "undecodable-pixels",
            DefaceSeriesError::Series(SeriesError::TooFew(_))
            | DefaceSeriesError::Volume(DefaceError::TooFewSlices { .. }) => "too-few-slices",
            DefaceSeriesError::Series(_) => "inconsistent-series",
            DefaceSeriesError::Volume(DefaceError::NoHead(_))
            | DefaceSeriesError::Volume(DefaceError::NoBrain { .. }) => "not-a-head",
            DefaceSeriesError::Volume(_) => "unsupported-geometry",
            DefaceSeriesError::Modality(_) => "modality",
            DefaceSeriesError::Deidentify(_) => "deidentify-error",
        }
    }
}

/// A defaced, de-identified series.
#[derive(Debug)]
pub struct DefacedSeries {
    /// One de-identified file per input slice, in slice order.
    pub files: Vec<Processed>,
    pub plan: DefacePlan,
    pub modality: String,
    pub dims: [usize; 3],
    pub spacing_mm: [f64; 3],
    /// Front and side renders before (top) and after (bottom), if asked for.
    pub qc: Option<Gray>,
    /// Some slices were compressed and are now Explicit VR Little Endian.
    pub transcoded: bool,
}

/// A defaced slice is a new image, so it gets a new SOP Instance UID and the series a new
/// Series Instance UID (keyed, derived from the originals: the same input and key give the
/// same UIDs), and Image Type value 1 becomes DERIVED. This happens before de-identification,
/// which then maps (Basic profile) or keeps (Retain UIDs option) them like any UID. The Study
/// Instance UID and the Frame of Reference UID stay the original's: the defaced series is part
/// of the same study and lies in the same patient coordinates, so it registers with the other
/// series of the study wherever they are de-identified under the same key and options.
/// Without this, `--option retain-uids` would write changed pixels under the original SOP
/// Instance UIDs, and two different images would share one UID.
fn mark_derived(volume: &mut crate::series::Volume, deid: &Deidentifier) {
    for slice in &mut volume.slices {
        let obj = &mut slice.obj;
        for tag in [tags::SOP_INSTANCE_UID, tags::SERIES_INSTANCE_UID] {
            let original = obj.get(tag).and_then(|e| e.to_str().ok()).map(|s| s.to_string());
            if let Some(original) = original.filter(|u| !u.trim_end_matches(['\0', ' ']).is_empty()) {
                let derived = deid.derived_uid(&original, "defaced");
                if tag == tags::SOP_INSTANCE_UID {
                    obj.meta_mut().media_storage_sop_instance_uid = derived.clone();
                    obj.meta_mut().update_information_group_length();
                }
                obj.put(DataElement::new(tag, VR::UI, PrimitiveValue::from(derived)));
            }
        }
        let image_type = obj.get(tags::IMAGE_TYPE).and_then(|e| e.to_multi_str().ok()).map(|v| v.to_vec());
        let mut values = image_type.unwrap_or_default();
        match values.first_mut() {
            Some(first) => *first = "DERIVED".to_string(),
            None => values = vec!["DERIVED".to_string(), "SECONDARY".to_string()],
        }
        obj.put(DataElement::new(tags::IMAGE_TYPE, VR::CS, PrimitiveValue::Strs(values.into())));
    }
}

/// Progress stages reported by [`deface_series`] (fraction 0..=1 of the whole series).
pub type Progress<'a> = &'a mut dyn FnMut(&'static str, f32);

/// Defaces one series (`files`: name and bytes of each slice, any order).
pub fn deface_series(
    files: &[(String, Vec<u8>)],
    deid: &Deidentifier,
    options: &DefaceOptions,
    want_qc: bool,
    progress: Progress<'_>,
) -> Result<DefacedSeries, DefaceSeriesError> {
    progress("reading slices", 0.0);
    let mut volume = assemble(files)?;
    let modality = match volume.modality.as_str() {
        "CT" => Modality::Ct,
        "MR" => Modality::Mr,
        other => return Err(DefaceSeriesError::Modality(other.to_string())),
    };
    let the_plan =
        plan(&volume.values, &volume.grid, modality, options, &mut |stage, f| progress(stage, 0.2 + 0.4 * f))?;
    let qc = want_qc.then(|| {
        progress("rendering QC", 0.6);
        let before = volume.values.clone();
        apply(&mut volume.values, &the_plan);
        qc_sheet(&before, &volume.values, &volume.grid, &the_plan.frame, the_plan.skin_threshold)
    });
    progress("writing slices", 0.7);
    mark_derived(&mut volume, deid);
    let edited = write_back(&mut volume, &the_plan.edits, |c| the_plan.value_for(c))?;
    let marks = PixelMarks { clean_recognizable_visual_features: true, ..Default::default() };
    let n = edited.len();
    let mut out = Vec::with_capacity(n);
    for (k, (name, bytes)) in edited.iter().enumerate() {
        let mut processed = deid.deidentify_marked(name, bytes, marks)?;
        processed.report.actions.push(AttributeAction {
            path: "PixelData".into(),
            tag: "(7FE0,0010)".into(),
            action: ActionKind::PixelsBlanked,
            rule: format!(
                "defacing: face region and outer ears set to air ({} voxels of the series; {:.1} mL of ear tissue), cut sealed ({} voxels), brain margin {} mm",
                the_plan.voxels_removed, the_plan.ear_tissue_removed_ml, the_plan.voxels_sealed, the_plan.brain_margin_mm
            ),
        });
        if volume.transcoded {
            processed.report.warnings.push(Notice::new(
                "transcoded",
                "compressed pixels decoded to deface them: written as Explicit VR Little Endian".to_string(),
            ));
        }
        if processed.report.outcome != Outcome::Deidentified {
            processed
                .report
                .warnings
                .push(Notice::new("defaced-but-held", "defaced, but held back by the burned-in policy".to_string()));
        }
        out.push(processed);
        if k % 16 == 0 {
            progress("de-identifying", 0.7 + 0.3 * (k as f32 / n as f32));
        }
    }
    progress("done", 1.0);
    Ok(DefacedSeries {
        files: out,
        modality: volume.modality.clone(),
        dims: volume.grid.dims,
        spacing_mm: volume.grid.spacing(),
        plan: the_plan,
        qc,
        transcoded: volume.transcoded,
    })
}
