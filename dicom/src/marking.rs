//! De-identification markers (PS3.15 §E.1.1, PS3.3 SOP Common module).
//!
//! A recipient must be able to tell, from the file alone, that it was de-identified, how, and
//! whether its dates can be trusted as real: Patient Identity Removed (0012,0062) = YES, a
//! readable De-identification Method (0012,0063), one CID 7050 code per profile and option
//! applied in (0012,0064), and Longitudinal Temporal Information Modified (0028,0303).

use dicom_core::value::C;
use dicom_core::value::Value;
use dicom_core::{DataElement, Length, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use crate::policy::{BirthDatePolicy, Policy};
use crate::profile::ProfileOption;

/// Extra facts about what was done to pixels.
#[derive(Debug, Clone, Copy, Default)]
pub struct PixelMarks {
    /// Burned-in regions were blanked (Clean Pixel Data, 113101).
    pub clean_pixel_data: bool,
    /// The face was removed from the volume (Clean Recognizable Visual Features, 113102).
    pub clean_recognizable_visual_features: bool,
}

/// Writes the markers into the top-level data set.
pub fn add_markers(obj: &mut InMemDicomObject, policy: &Policy, pixels: PixelMarks) {
    obj.put(DataElement::new(tags::PATIENT_IDENTITY_REMOVED, VR::CS, PrimitiveValue::from("YES")));
    if pixels.clean_recognizable_visual_features {
        obj.put(DataElement::new(tags::RECOGNIZABLE_VISUAL_FEATURES, VR::CS, PrimitiveValue::from("NO")));
    }
    obj.put(DataElement::new(
        tags::DEIDENTIFICATION_METHOD,
        VR::LO,
        PrimitiveValue::Strs(C::from_vec(method_text(policy, pixels))),
    ));
    let items: Vec<InMemDicomObject> = codes(policy, pixels)
        .into_iter()
        .map(|(value, meaning)| {
            InMemDicomObject::from_element_iter([
                DataElement::new(tags::CODE_VALUE, VR::SH, PrimitiveValue::from(value)),
                DataElement::new(tags::CODING_SCHEME_DESIGNATOR, VR::SH, PrimitiveValue::from("DCM")),
                DataElement::new(tags::CODE_MEANING, VR::LO, PrimitiveValue::from(meaning)),
            ])
        })
        .collect();
    obj.put(DataElement::new(
        tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE,
        VR::SQ,
        Value::new_sequence(C::from_vec(items), Length::UNDEFINED),
    ));
    let temporal = if policy.has(ProfileOption::RetainLongitudinalModifiedDates) {
        "MODIFIED"
    } else if policy.has(ProfileOption::RetainLongitudinalFullDates) {
        "UNMODIFIED"
    } else {
        "REMOVED"
    };
    obj.put(DataElement::new(tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED, VR::CS, PrimitiveValue::from(temporal)));
}

/// CID 7050 codes: the Basic Profile, then each option in force.
pub fn codes(policy: &Policy, pixels: PixelMarks) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![("113100", "Basic Application Confidentiality Profile")];
    if pixels.clean_pixel_data {
        out.push(("113101", "Clean Pixel Data Option"));
    }
    if pixels.clean_recognizable_visual_features {
        out.push(("113102", "Clean Recognizable Visual Features Option"));
    }
    for o in ProfileOption::ALL {
        if policy.has(o) {
            out.push(o.cid7050());
        }
    }
    out
}

/// The readable method: one LO value (≤ 64 characters) per statement.
fn method_text(policy: &Policy, pixels: PixelMarks) -> Vec<String> {
    let mut v = vec![
        format!("Kakou {} preset {}", env!("CARGO_PKG_VERSION"), policy.preset.name()),
        "PS3.15 Basic Application Confidentiality Profile".to_string(),
    ];
    for o in ProfileOption::ALL {
        if policy.has(o) {
            v.push(o.cid7050().1.to_string());
        }
    }
    if pixels.clean_pixel_data {
        v.push("Burned-in regions blanked by pixel rule".to_string());
    }
    if pixels.clean_recognizable_visual_features {
        v.push("Face removed from the volume (Kakou defacer)".to_string());
    }
    match policy.birth_date {
        BirthDatePolicy::Keep => v.push("Birth date kept (jp pseudonymization policy)".to_string()),
        BirthDatePolicy::YearMonth => v.push("Birth date year-month only; day is not meaningful".to_string()),
        BirthDatePolicy::Year => v.push("Birth date year only; month/day not meaningful".to_string()),
        BirthDatePolicy::Profile => {}
    }
    v.push("Patient name and ID are keyed pseudonyms".to_string());
    v.into_iter().map(|s| s.chars().take(64).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Preset;

    #[test]
    fn codes_list_the_profile_and_every_option() {
        let p = Policy::preset(Preset::JpAnonymized);
        let c = codes(&p, PixelMarks::default());
        assert_eq!(c[0].0, "113100");
        assert!(c.iter().any(|(v, _)| *v == "113107"), "modified dates");
        assert!(!c.iter().any(|(v, _)| *v == "113101"), "no pixel cleaning claimed");
        let with_pixels = codes(&p, PixelMarks { clean_pixel_data: true, ..Default::default() });
        assert!(with_pixels.iter().any(|(v, _)| *v == "113101"));
        let defaced = codes(&p, PixelMarks { clean_recognizable_visual_features: true, ..Default::default() });
        assert!(defaced.iter().any(|(v, _)| *v == "113102") && !defaced.iter().any(|(v, _)| *v == "113101"));
    }

    #[test]
    fn method_values_fit_lo() {
        for preset in [Preset::Basic, Preset::JpPseudonymized, Preset::JpAnonymized] {
            for s in method_text(
                &Policy::preset(preset),
                PixelMarks { clean_pixel_data: true, clean_recognizable_visual_features: true },
            ) {
                assert!(s.chars().count() <= 64 && !s.contains('\\'), "{s}");
            }
        }
    }
}
