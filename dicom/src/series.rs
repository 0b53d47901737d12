//! Image series ↔ volumes: assemble single-frame slices into a voxel grid from their geometry
//! (Image Position/Orientation, Pixel Spacing), never from file order, and write an edited
//! volume back into the same slices in their own pixel encoding.
//!
//! Everything a volume algorithm silently gets wrong is refused here with a typed reason:
//! localizers, mixed orientations or sizes, irregular or duplicated slice positions, multi-frame
//! or colour images, pixels this build cannot decode.

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};
use dicom_pixeldata::Transcode;
use kakou_sdk::deface::Grid;
use kakou_sdk::deface::geometry::{cross, dot, norm, sub};

/// Why a set of files is not a volume this crate can edit. Names the file where one is at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SeriesError {
    #[error("{file}: {reason}")]
    Unreadable { file: String, reason: String },
    #[error("{file}: not an image (no Pixel Data)")]
    NoPixels { file: String },
    #[error("{file}: {what} is missing or invalid")]
    Missing { file: String, what: &'static str },
    #[error("{file}: localizer/scout image (Image Type {image_type}); not a volume")]
    Localizer { file: String, image_type: String },
    #[error("{file}: {what} not supported for volume editing")]
    Unsupported { file: String, what: String },
    #[error("{file}: cannot decode pixels in this build ({reason})")]
    Undecodable { file: String, reason: String },
    #[error("{file}: {what} differs from the first slice")]
    Inconsistent { file: String, what: &'static str },
    #[error("{file}: two slices at the same position ({position_mm:.2} mm): several echoes, phases or series mixed")]
    DuplicatePosition { file: String, position_mm: f64 },
    #[error("slice spacing irregular: {min_mm:.3}–{max_mm:.3} mm (gaps or missing slices)")]
    IrregularSpacing { min_mm: f64, max_mm: f64 },
    #[error("slices are not stacked along one line (in-plane offset {offset_mm:.2} mm at {file})")]
    NotStacked { file: String, offset_mm: f64 },
    #[error("only {0} image(s); a volume needs more")]
    TooFew(usize),
}

/// How stored pixel values map to modality values and back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Encoding {
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub signed: bool,
    pub slope: f64,
    pub intercept: f64,
}

impl Encoding {
    /// The stored value closest to modality value `v`, within what the encoding can hold.
    pub fn stored(&self, v: f32) -> i64 {
        let bits = u32::from(self.bits_stored.clamp(1, self.bits_allocated.max(1)));
        let (lo, hi) =
            if self.signed { (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1) } else { (0, (1i64 << bits) - 1) };
        (((f64::from(v) - self.intercept) / self.slope).round() as i64).clamp(lo, hi)
    }
}

/// One slice, parsed, with native pixels.
pub struct Slice {
    pub name: String,
    pub obj: DefaultDicomObject,
    pub encoding: Encoding,
    position: [f64; 3],
}

/// A volume assembled from slices sorted along the slice normal.
pub struct Volume {
    pub grid: Grid,
    /// Modality values (Rescale Slope/Intercept applied), slice-major.
    pub values: Vec<f32>,
    pub modality: String,
    /// The slices in grid order (k = 0 first).
    pub slices: Vec<Slice>,
    /// Whether any slice had to be decoded from a compressed transfer syntax.
    pub transcoded: bool,
}

/// Parses every file and assembles the volume. `files` are (name, bytes) of one series.
pub fn assemble(files: &[(String, Vec<u8>)]) -> Result<Volume, SeriesError> {
    if files.len() < 2 {
        return Err(SeriesError::TooFew(files.len()));
    }
    let mut slices = Vec::with_capacity(files.len());
    let mut transcoded = false;
    for (name, bytes) in files {
        let (slice, t) = read_slice(name, bytes)?;
        transcoded |= t;
        slices.push(slice);
    }
    let first = &slices[0];
    let (row_dir, col_dir, spacing, rows, cols) = plane_of(first)?;
    let normal = cross(row_dir, col_dir);
    for s in &slices[1..] {
        let (r, c, sp, rr, cc) = plane_of(s)?;
        if dot(r, row_dir) < 0.9999 || dot(c, col_dir) < 0.9999 {
            return Err(SeriesError::Inconsistent { file: s.name.clone(), what: "Image Orientation (Patient)" });
        }
        if (rr, cc) != (rows, cols) {
            return Err(SeriesError::Inconsistent { file: s.name.clone(), what: "Rows/Columns" });
        }
        if (sp[0] - spacing[0]).abs() > 1e-3 || (sp[1] - spacing[1]).abs() > 1e-3 {
            return Err(SeriesError::Inconsistent { file: s.name.clone(), what: "Pixel Spacing" });
        }
    }
    slices.sort_by(|a, b| dot(a.position, normal).total_cmp(&dot(b.position, normal)));
    let step = slice_step(&slices, normal)?;
    let grid = Grid {
        dims: [cols, rows, slices.len()],
        origin: slices[0].position,
        steps: [row_dir.map(|x| x * spacing[1]), col_dir.map(|x| x * spacing[0]), step],
    };
    let mut values = Vec::with_capacity(grid.len());
    for s in &slices {
        decode_into(s, rows * cols, &mut values)?;
    }
    let modality = first_str(&slices[0].obj, tags::MODALITY);
    Ok(Volume { grid, values, modality, slices, transcoded })
}

fn read_slice(name: &str, bytes: &[u8]) -> Result<(Slice, bool), SeriesError> {
    let unreadable = |reason: String| SeriesError::Unreadable { file: name.to_string(), reason };
    let (mut obj, _) = crate::deid::parse(bytes, false).map_err(|e| unreadable(e.to_string()))?;
    if obj.get(tags::PIXEL_DATA).is_none() {
        return Err(SeriesError::NoPixels { file: name.to_string() });
    }
    let image_type = obj.get(tags::IMAGE_TYPE).and_then(|e| e.to_str().ok()).map(|s| s.to_string()).unwrap_or_default();
    if image_type.to_ascii_uppercase().contains("LOCALIZER") {
        return Err(SeriesError::Localizer { file: name.to_string(), image_type });
    }
    let int = |t: Tag| obj.get(t).and_then(|e| e.to_int::<i64>().ok());
    let unsupported = |what: String| SeriesError::Unsupported { file: name.to_string(), what };
    if int(tags::NUMBER_OF_FRAMES).unwrap_or(1) != 1 {
        return Err(unsupported("multi-frame image".into()));
    }
    if int(tags::SAMPLES_PER_PIXEL).unwrap_or(1) != 1 {
        return Err(unsupported("colour image".into()));
    }
    let photometric = first_str(&obj, tags::PHOTOMETRIC_INTERPRETATION);
    if !photometric.starts_with("MONOCHROME") {
        return Err(unsupported(format!("Photometric Interpretation {photometric}")));
    }
    let ts = obj.meta().transfer_syntax().trim_end_matches('\0').to_string();
    let native = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"].contains(&ts.as_str());
    if !native {
        let target = dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN.erased();
        obj.transcode(&target)
            .map_err(|e| SeriesError::Undecodable { file: name.to_string(), reason: format!("{ts}: {e}") })?;
    }
    let int = |t: Tag| obj.get(t).and_then(|e| e.to_int::<i64>().ok());
    let bits_allocated = int(tags::BITS_ALLOCATED).unwrap_or(0);
    if !matches!(bits_allocated, 8 | 16) {
        return Err(unsupported(format!("{bits_allocated} bits allocated")));
    }
    let float = |t: Tag| obj.get(t).and_then(|e| e.to_float64().ok());
    let slope = float(tags::RESCALE_SLOPE).filter(|s| s.is_finite() && *s != 0.0).unwrap_or(1.0);
    let encoding = Encoding {
        bits_allocated: bits_allocated as u16,
        bits_stored: int(tags::BITS_STORED).unwrap_or(bits_allocated).clamp(1, bits_allocated) as u16,
        signed: int(tags::PIXEL_REPRESENTATION) == Some(1),
        slope,
        intercept: float(tags::RESCALE_INTERCEPT).filter(|x| x.is_finite()).unwrap_or(0.0),
    };
    let position = triple(&obj, tags::IMAGE_POSITION_PATIENT)
        .ok_or(SeriesError::Missing { file: name.to_string(), what: "Image Position (Patient)" })?;
    Ok((Slice { name: name.to_string(), obj, encoding, position }, !native))
}

type Plane = ([f64; 3], [f64; 3], [f64; 2], usize, usize);

/// Row and column direction, (row, column) spacing, rows and columns of a slice.
fn plane_of(s: &Slice) -> Result<Plane, SeriesError> {
    let missing = |what| SeriesError::Missing { file: s.name.clone(), what };
    let iop: Vec<f64> = floats(&s.obj, tags::IMAGE_ORIENTATION_PATIENT);
    if iop.len() != 6 {
        return Err(missing("Image Orientation (Patient)"));
    }
    let r = [iop[0], iop[1], iop[2]];
    let c = [iop[3], iop[4], iop[5]];
    let (nr, nc) = (norm(r), norm(c));
    if nr < 0.5 || nc < 0.5 || (dot(r, c) / (nr * nc)).abs() > 1e-3 {
        return Err(missing("Image Orientation (Patient)"));
    }
    let ps: Vec<f64> = floats(&s.obj, tags::PIXEL_SPACING);
    if ps.len() != 2 || ps.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
        return Err(missing("Pixel Spacing"));
    }
    let int = |t: Tag| s.obj.get(t).and_then(|e| e.to_int::<i64>().ok()).filter(|x| *x > 0);
    let rows = int(tags::ROWS).ok_or(missing("Rows"))? as usize;
    let cols = int(tags::COLUMNS).ok_or(missing("Columns"))? as usize;
    Ok((r.map(|x| x / nr), c.map(|x| x / nc), [ps[0], ps[1]], rows, cols))
}

/// The constant vector between consecutive slices; refuses gaps, duplicates and wobble.
fn slice_step(slices: &[Slice], normal: [f64; 3]) -> Result<[f64; 3], SeriesError> {
    let n = slices.len();
    let along: Vec<f64> = slices.iter().map(|s| dot(s.position, normal)).collect();
    let gaps: Vec<f64> = along.windows(2).map(|w| w[1] - w[0]).collect();
    for (i, g) in gaps.iter().enumerate() {
        if *g < 1e-3 {
            return Err(SeriesError::DuplicatePosition { file: slices[i + 1].name.clone(), position_mm: along[i + 1] });
        }
    }
    let (min, max) = gaps.iter().fold((f64::INFINITY, 0f64), |(l, h), g| (l.min(*g), h.max(*g)));
    let mean = (along[n - 1] - along[0]) / (n - 1) as f64;
    if max - min > 0.05 * mean.max(0.02) + 0.01 {
        return Err(SeriesError::IrregularSpacing { min_mm: min, max_mm: max });
    }
    let step = sub(slices[n - 1].position, slices[0].position).map(|x| x / (n - 1) as f64);
    for (k, s) in slices.iter().enumerate() {
        let expected = [0, 1, 2].map(|a| slices[0].position[a] + k as f64 * step[a]);
        let off = norm(sub(s.position, expected));
        if off > 0.1 * mean.max(1.0) {
            return Err(SeriesError::NotStacked { file: s.name.clone(), offset_mm: off });
        }
    }
    Ok(step)
}

fn decode_into(s: &Slice, pixels: usize, out: &mut Vec<f32>) -> Result<(), SeriesError> {
    let bytes = pixel_bytes(s)?;
    let e = s.encoding;
    let need = pixels * usize::from(e.bits_allocated / 8);
    if bytes.len() < need {
        return Err(SeriesError::Unreadable {
            file: s.name.clone(),
            reason: format!("Pixel Data holds {} bytes, Rows × Columns need {need}", bytes.len()),
        });
    }
    let (slope, intercept) = (e.slope as f32, e.intercept as f32);
    match (e.bits_allocated, e.signed) {
        (8, false) => out.extend(bytes[..pixels].iter().map(|&b| f32::from(b) * slope + intercept)),
        (8, true) => out.extend(bytes[..pixels].iter().map(|&b| f32::from(b as i8) * slope + intercept)),
        (_, signed) => out.extend(bytes[..need].chunks_exact(2).map(|c| {
            let raw = u16::from_le_bytes([c[0], c[1]]);
            let v = if signed { f32::from(raw as i16) } else { f32::from(raw) };
            v * slope + intercept
        })),
    }
    Ok(())
}

fn pixel_bytes(s: &Slice) -> Result<std::borrow::Cow<'_, [u8]>, SeriesError> {
    let e = s.obj.get(tags::PIXEL_DATA).ok_or(SeriesError::NoPixels { file: s.name.clone() })?;
    e.to_bytes().map_err(|err| SeriesError::Unreadable { file: s.name.clone(), reason: format!("Pixel Data: {err}") })
}

/// Overwrites voxels (grid order) where `value_of(edit code)` gives a new value (modality units),
/// in each slice's own stored encoding; returns each slice as Part 10 bytes, ready for
/// de-identification.
pub fn write_back(
    volume: &mut Volume,
    edits: &[u8],
    value_of: impl Fn(u8) -> Option<f32>,
) -> Result<Vec<(String, Vec<u8>)>, SeriesError> {
    let per_slice = volume.grid.dims[0] * volume.grid.dims[1];
    let mut out = Vec::with_capacity(volume.slices.len());
    for (k, s) in volume.slices.iter_mut().enumerate() {
        let m = edits.get(k * per_slice..(k + 1) * per_slice).unwrap_or(&[]);
        let mut bytes = pixel_bytes(s)?.into_owned();
        // every code the plan may hold: a short table would leave voxels of higher codes as they were
        let codes: [Option<i64>; 256] = std::array::from_fn(|c| value_of(c as u8).map(|v| s.encoding.stored(v)));
        for (p, code) in m.iter().enumerate() {
            let Some(stored) = codes.get(usize::from(*code)).copied().flatten() else { continue };
            match s.encoding.bits_allocated {
                8 => {
                    if let Some(b) = bytes.get_mut(p) {
                        *b = stored as u8;
                    }
                }
                _ => {
                    if let Some(b) = bytes.get_mut(2 * p..2 * p + 2) {
                        b.copy_from_slice(&(stored as u16).to_le_bytes());
                    }
                }
            }
        }
        let vr = if s.encoding.bits_allocated == 8 { VR::OB } else { VR::OW };
        s.obj.put(DataElement::new(tags::PIXEL_DATA, vr, PrimitiveValue::from(bytes)));
        let mut buf = Vec::new();
        s.obj
            .write_all(&mut buf)
            .map_err(|e| SeriesError::Unreadable { file: s.name.clone(), reason: format!("re-encoding: {e}") })?;
        out.push((s.name.clone(), buf));
    }
    Ok(out)
}

fn first_str(obj: &InMemDicomObject, tag: Tag) -> String {
    obj.get(tag).and_then(|e| e.to_str().ok()).map(|s| s.trim().to_string()).unwrap_or_default()
}

fn floats(obj: &InMemDicomObject, tag: Tag) -> Vec<f64> {
    obj.get(tag)
        .and_then(|e| e.to_multi_float64().ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|x| x.is_finite())
        .collect()
}

fn triple(obj: &InMemDicomObject, tag: Tag) -> Option<[f64; 3]> {
    let v = floats(obj, tag);
    (v.len() == 3).then(|| [v[0], v[1], v[2]])
}

/// The Series Instance UID of a file, reading only its header (for grouping a folder).
pub fn series_uid(name: &str, bytes: &[u8]) -> Result<String, SeriesError> {
    let (obj, _) = crate::deid::parse(bytes, true)
        .map_err(|e| SeriesError::Unreadable { file: name.to_string(), reason: e.to_string() })?;
    let uid = first_str(&obj, tags::SERIES_INSTANCE_UID);
    if uid.is_empty() {
        return Err(SeriesError::Missing { file: name.to_string(), what: "Series Instance UID" });
    }
    Ok(uid)
}
