//! Burned-in text: which files are at risk, and blanking configured pixel regions.
//!
//! Ultrasound, angiography, endoscopy and secondary captures (screenshots, scanned documents)
//! routinely carry the patient's name, ID or birth date drawn into the pixels, where no metadata
//! rule can reach them. Kakou never passes such a file through silently: a file at risk is either
//! matched by a region rule (like CTP's pixel scripts: manufacturer, model and image size decide
//! where the vendor draws its annotation box) and those regions are blanked, or it is quarantined
//! with the reason. Blanking needs decoded pixels: native (uncompressed) data is edited in place;
//! encapsulated data is decoded with dicom-pixeldata and written back as Explicit VR Little
//! Endian (re-compressing lossy JPEG would degrade the image a second time). A transfer syntax
//! this build cannot decode (JPEG 2000 in the browser build, JPEG-LS) means quarantine.

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};
use serde::{Deserialize, Serialize};

/// A rectangle of pixels, in image coordinates (columns, rows), applied to every frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// Where a vendor draws its annotations: matched on Manufacturer / Manufacturer's Model Name
/// (case-insensitive substrings) and image size; `None` matches anything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PixelRule {
    /// A name for reports ("GE LOGIQ E9 top banner").
    pub name: String,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub rows: Option<u32>,
    pub columns: Option<u32>,
    pub modality: Option<String>,
    pub regions: Vec<Region>,
}

impl PixelRule {
    /// A rule must blank something and must not match every file by accident.
    pub fn validate(&self) -> Result<(), String> {
        if self.regions.is_empty() {
            return Err("a rule needs at least one region".into());
        }
        if self.regions.iter().any(|r| r.width == 0 || r.height == 0) {
            return Err("regions need a non-zero width and height".into());
        }
        if self.manufacturer.is_none() && self.model.is_none() && self.rows.is_none() && self.columns.is_none() {
            return Err("a rule must name a manufacturer, a model or an image size".into());
        }
        Ok(())
    }

    fn matches(&self, img: &ImageFacts) -> bool {
        let contains = |want: &Option<String>, have: &str| {
            want.as_ref().is_none_or(|w| have.to_ascii_lowercase().contains(&w.to_ascii_lowercase()))
        };
        contains(&self.manufacturer, &img.manufacturer)
            && contains(&self.model, &img.model)
            && self.modality.as_ref().is_none_or(|m| m.eq_ignore_ascii_case(&img.modality))
            && self.rows.is_none_or(|r| r == img.rows)
            && self.columns.is_none_or(|c| c == img.columns)
    }
}

/// SOP classes whose images are typically annotated in the pixels (PS3.4 UIDs, by prefix).
const AT_RISK_SOP_CLASS_PREFIXES: [(&str, &str); 8] = [
    ("1.2.840.10008.5.1.4.1.1.7", "secondary capture"),
    ("1.2.840.10008.5.1.4.1.1.6.", "ultrasound"),
    ("1.2.840.10008.5.1.4.1.1.3.", "ultrasound multi-frame"),
    ("1.2.840.10008.5.1.4.1.1.12.", "X-ray angiography / fluoroscopy"),
    ("1.2.840.10008.5.1.4.1.1.77.1.1", "VL endoscopic"),
    ("1.2.840.10008.5.1.4.1.1.77.1.2", "VL microscopic"),
    ("1.2.840.10008.5.1.4.1.1.77.1.4", "VL photographic"),
    ("1.2.840.10008.5.1.4.1.1.104.1", "encapsulated PDF"),
];
const AT_RISK_MODALITIES: [&str; 8] = ["US", "XA", "RF", "ES", "SC", "OT", "DOC", "XC"];

/// The facts of an image that decide risk and rule matching.
#[derive(Debug, Clone, Default)]
pub struct ImageFacts {
    pub manufacturer: String,
    pub model: String,
    pub modality: String,
    pub sop_class: String,
    pub rows: u32,
    pub columns: u32,
    pub burned_in: String,
    pub has_pixels: bool,
}

impl ImageFacts {
    pub fn of(obj: &InMemDicomObject) -> Self {
        let s = |t: Tag| obj.get(t).and_then(|e| e.to_str().ok()).map(|v| v.trim().to_string()).unwrap_or_default();
        let n = |t: Tag| obj.get(t).and_then(|e| e.to_int::<u32>().ok()).unwrap_or(0);
        ImageFacts {
            manufacturer: s(tags::MANUFACTURER),
            model: s(tags::MANUFACTURER_MODEL_NAME),
            modality: s(tags::MODALITY),
            sop_class: s(tags::SOP_CLASS_UID),
            rows: n(tags::ROWS),
            columns: n(tags::COLUMNS),
            burned_in: s(tags::BURNED_IN_ANNOTATION).to_ascii_uppercase(),
            has_pixels: obj.get(tags::PIXEL_DATA).is_some() || obj.get(tags::ENCAPSULATED_DOCUMENT).is_some(),
        }
    }

    /// Why this file may carry burned-in text, or `None`.
    pub fn risk(&self, trust_burned_in_no: bool) -> Option<String> {
        if !self.has_pixels {
            return None;
        }
        if self.burned_in == "YES" {
            return Some("BurnedInAnnotation is YES".into());
        }
        if trust_burned_in_no && self.burned_in == "NO" {
            return None;
        }
        if let Some((_, what)) = AT_RISK_SOP_CLASS_PREFIXES.iter().find(|(p, _)| self.sop_class.starts_with(p)) {
            return Some(format!("{what} images often carry burned-in text"));
        }
        if AT_RISK_MODALITIES.contains(&self.modality.as_str()) {
            return Some(format!("modality {} often carries burned-in text", self.modality));
        }
        None
    }

    /// The first rule that matches, if any.
    pub fn matching_rule<'r>(&self, rules: &'r [PixelRule]) -> Option<&'r PixelRule> {
        rules.iter().find(|r| r.matches(self))
    }
}

/// Why pixels could not be blanked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PixelEditError {
    #[error("cannot decode this transfer syntax in this build ({0})")]
    Undecodable(String),
    #[error("unsupported pixel layout: {0}")]
    Unsupported(String),
    #[error("pixel data is shorter than its attributes declare")]
    Truncated,
}

/// Blanks `regions` in every frame of `obj`, decoding encapsulated pixel data first.
/// Returns whether the transfer syntax changed.
pub fn blank_regions(obj: &mut DefaultDicomObject, regions: &[Region]) -> Result<bool, PixelEditError> {
    let mut transcoded = false;
    if obj.get(tags::ENCAPSULATED_DOCUMENT).is_some() {
        return Err(PixelEditError::Unsupported("encapsulated document (PDF/CDA) cannot be blanked".into()));
    }
    let encapsulated = obj.get(tags::PIXEL_DATA).is_some_and(|e| e.value().fragments().is_some());
    if encapsulated {
        use dicom_pixeldata::Transcode;
        let ts = obj.meta().transfer_syntax().to_string();
        let target = dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN.erased();
        obj.transcode(&target).map_err(|e| PixelEditError::Undecodable(format!("{ts}: {e}")))?;
        transcoded = true;
    }
    let layout = Layout::of(obj)?;
    let Some(elem) = obj.get(tags::PIXEL_DATA) else {
        return Err(PixelEditError::Unsupported("no pixel data".into()));
    };
    let value = match elem.value().primitive() {
        Some(PrimitiveValue::U8(v)) => Samples::Bytes(v.to_vec()),
        Some(PrimitiveValue::U16(v)) => Samples::Words(v.to_vec()),
        _ => return Err(PixelEditError::Unsupported("pixel data is neither OB nor OW".into())),
    };
    let (vr, new_value) = layout.blank(value, regions)?;
    obj.put(DataElement::new(tags::PIXEL_DATA, vr, new_value));
    Ok(transcoded)
}

enum Samples {
    Bytes(Vec<u8>),
    Words(Vec<u16>),
}

struct Layout {
    rows: usize,
    columns: usize,
    frames: usize,
    samples_per_pixel: usize,
    planar: bool,
    bytes_per_sample: usize,
    fill: u8,
}

impl Layout {
    fn of(obj: &InMemDicomObject) -> Result<Self, PixelEditError> {
        let n = |t: Tag| obj.get(t).and_then(|e| e.to_int::<i64>().ok());
        let photometric = obj
            .get(tags::PHOTOMETRIC_INTERPRETATION)
            .and_then(|e| e.to_str().ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        if photometric.starts_with("YBR") && photometric.contains("422") {
            return Err(PixelEditError::Unsupported(format!("native {photometric} (subsampled chroma)")));
        }
        let bits = n(tags::BITS_ALLOCATED).unwrap_or(0);
        if !matches!(bits, 8 | 16 | 32) {
            return Err(PixelEditError::Unsupported(format!("{bits} bits allocated")));
        }
        let positive = |v: Option<i64>, what: &str| match v {
            Some(v) if v > 0 => Ok(v as usize),
            _ => Err(PixelEditError::Unsupported(format!("missing or invalid {what}"))),
        };
        Ok(Layout {
            rows: positive(n(tags::ROWS), "Rows")?,
            columns: positive(n(tags::COLUMNS), "Columns")?,
            frames: positive(n(tags::NUMBER_OF_FRAMES).or(Some(1)), "Number of Frames")?,
            samples_per_pixel: positive(n(tags::SAMPLES_PER_PIXEL).or(Some(1)), "Samples per Pixel")?,
            planar: n(tags::PLANAR_CONFIGURATION) == Some(1),
            bytes_per_sample: bits as usize / 8,
            // MONOCHROME1 shows the maximum as black; everywhere else black is 0.
            fill: if photometric == "MONOCHROME1" { 0xFF } else { 0 },
        })
    }

    /// The byte ranges (within the whole pixel buffer) covered by `regions`.
    /// Only called after [`Layout::total_bytes`] succeeded, so no product below can overflow.
    fn ranges(&self, regions: &[Region]) -> Vec<std::ops::Range<usize>> {
        let (rows, cols, spp, bps) = (self.rows, self.columns, self.samples_per_pixel, self.bytes_per_sample);
        let frame_bytes = rows * cols * spp * bps;
        let mut out = Vec::new();
        for f in 0..self.frames {
            for r in regions {
                let x0 = (r.x as usize).min(cols);
                let x1 = (r.x as usize).saturating_add(r.width as usize).min(cols);
                let y0 = (r.y as usize).min(rows);
                let y1 = (r.y as usize).saturating_add(r.height as usize).min(rows);
                for y in y0..y1 {
                    if self.planar {
                        for s in 0..spp {
                            let plane = f * frame_bytes + s * rows * cols * bps;
                            out.push(plane + (y * cols + x0) * bps..plane + (y * cols + x1) * bps);
                        }
                    } else {
                        let base = f * frame_bytes;
                        out.push(base + (y * cols + x0) * spp * bps..base + (y * cols + x1) * spp * bps);
                    }
                }
            }
        }
        out
    }

    /// The size the attributes declare, or an error if it does not fit in memory addresses
    /// (hostile Rows × Columns × Number of Frames would otherwise wrap on 32-bit wasm).
    fn total_bytes(&self) -> Result<usize, PixelEditError> {
        [self.columns, self.samples_per_pixel, self.bytes_per_sample, self.frames]
            .into_iter()
            .try_fold(self.rows, |acc, n| acc.checked_mul(n))
            .ok_or_else(|| PixelEditError::Unsupported("declared image size overflows".into()))
    }

    fn blank(&self, samples: Samples, regions: &[Region]) -> Result<(VR, PrimitiveValue), PixelEditError> {
        let needed = self.total_bytes()?;
        let ranges = self.ranges(regions);
        match samples {
            Samples::Bytes(mut v) => {
                if v.len() < needed {
                    return Err(PixelEditError::Truncated);
                }
                for r in ranges {
                    v[r].fill(self.fill);
                }
                Ok((VR::OB, PrimitiveValue::U8(v.into())))
            }
            Samples::Words(mut v) => {
                if v.len() * 2 < needed {
                    return Err(PixelEditError::Truncated);
                }
                let fill = u16::from_ne_bytes([self.fill, self.fill]);
                for r in ranges {
                    // Ranges are in bytes and always cover whole samples (≥ 2 bytes each).
                    v[r.start / 2..r.end / 2].fill(fill);
                }
                Ok((VR::OW, PrimitiveValue::U16(v.into())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(modality: &str, sop: &str, burned: &str) -> ImageFacts {
        ImageFacts {
            modality: modality.into(),
            sop_class: sop.into(),
            burned_in: burned.into(),
            has_pixels: true,
            rows: 480,
            columns: 640,
            manufacturer: "ACME Medical".into(),
            model: "Sono 3000".into(),
        }
    }

    #[test]
    fn risk_follows_flag_sop_class_and_modality() {
        assert!(facts("CT", "1.2.840.10008.5.1.4.1.1.2", "").risk(false).is_none());
        assert!(facts("CT", "1.2.840.10008.5.1.4.1.1.2", "YES").risk(false).is_some());
        assert!(facts("US", "1.2.840.10008.5.1.4.1.1.6.1", "").risk(false).is_some());
        assert!(facts("OT", "1.2.840.10008.5.1.4.1.1.7", "NO").risk(false).is_some());
        assert!(facts("OT", "1.2.840.10008.5.1.4.1.1.7", "NO").risk(true).is_none());
        let mut no_pixels = facts("US", "1.2.840.10008.5.1.4.1.1.6.1", "YES");
        no_pixels.has_pixels = false;
        assert!(no_pixels.risk(false).is_none());
    }

    #[test]
    fn rules_match_case_insensitively_and_must_be_specific() {
        let rule = PixelRule {
            name: "banner".into(),
            manufacturer: Some("acme".into()),
            rows: Some(480),
            regions: vec![Region { x: 0, y: 0, width: 640, height: 40 }],
            ..Default::default()
        };
        assert!(rule.validate().is_ok());
        let f = facts("US", "", "");
        assert!(f.matching_rule(std::slice::from_ref(&rule)).is_some());
        let other = PixelRule { rows: Some(600), ..rule.clone() };
        assert!(f.matching_rule(&[other]).is_none());
        let vague = PixelRule { manufacturer: None, rows: None, ..rule };
        assert!(vague.validate().is_err());
    }

    #[test]
    fn blanking_covers_exactly_the_region_in_every_frame_and_plane() {
        let layout =
            Layout { rows: 4, columns: 5, frames: 2, samples_per_pixel: 3, planar: true, bytes_per_sample: 1, fill: 0 };
        let n = 4 * 5 * 3 * 2;
        let (_, out) = layout
            .blank(Samples::Bytes(vec![9; n]), &[Region { x: 1, y: 1, width: 2, height: 10 }])
            .expect("in bounds");
        let PrimitiveValue::U8(v) = out else { panic!("bytes expected") };
        let zeros = v.iter().filter(|b| **b == 0).count();
        // 2 columns × 3 rows (clipped) × 3 planes × 2 frames
        assert_eq!(zeros, 2 * 3 * 3 * 2);
        assert_eq!(v[0], 9);
        assert_eq!(v[5 + 1], 0); // row 1, column 1 of the first plane
    }

    #[test]
    fn overflowing_declared_sizes_are_an_error_not_a_panic() {
        let layout = Layout {
            rows: usize::MAX / 2,
            columns: 65535,
            frames: 1000,
            samples_per_pixel: 3,
            planar: false,
            bytes_per_sample: 4,
            fill: 0,
        };
        let r = layout.blank(Samples::Bytes(vec![0; 16]), &[Region { x: u32::MAX, y: 0, width: u32::MAX, height: 1 }]);
        assert!(matches!(r, Err(PixelEditError::Unsupported(_))));
    }

    #[test]
    fn truncated_pixels_are_an_error_not_a_panic() {
        let layout = Layout {
            rows: 10,
            columns: 10,
            frames: 1,
            samples_per_pixel: 1,
            planar: false,
            bytes_per_sample: 2,
            fill: 0,
        };
        let r = layout.blank(Samples::Words(vec![0; 10]), &[Region { x: 0, y: 0, width: 1, height: 1 }]);
        assert_eq!(r.err(), Some(PixelEditError::Truncated));
    }
}
