//! Defacing of CT and MR head volumes: remove the face so that a 3-D render cannot identify the
//! person, without touching the brain.
//!
//! Method (measurements behind each choice are in `docs/defacing.md`):
//!
//! 1. Work on a ~2 mm copy of the volume (block means), which keeps everything below a second
//!    on a 256³ head in the browser.
//! 2. Find the head (largest blob brighter than air, holes filled) and the intracranial soft
//!    tissue ([`brain`]): no template, no learned model, so any orientation, any MR contrast and
//!    CT work the same way.
//! 3. Fit a head frame to the brain's principal axes ([`HeadFrame`]), so a tilted head or an
//!    oblique/sagittal acquisition is handled in the head's own anterior/superior directions.
//! 4. The face region is everything anterior to a coronal plane behind the frontal pole and
//!    below an axial plane above the floor of the anterior cranial fossa (both in the head
//!    frame), *minus* everything within a protective margin of the brain estimate. Every voxel
//!    in it, bone included, is set to air (CT −1000 HU, MR the image's background): eyes, nose,
//!    mouth, chin and the facial skeleton are gone, the brain and its margin are untouched.
//! 5. Behind the cut a layer of uniform tissue (the seal) turns the cross-section of orbits,
//!    sinuses and jaw into a smooth wall.
//! 6. Skin that the margin keeps in the face zone at brow level and below (a forehead that a
//!    scan's field of view cuts flat onto the frontal bone, a low brow) is buried under a cover
//!    of the same tissue, in air only: its shape no longer shows, and nothing inside the head
//!    changes for it.
//! 7. On CT, the upper part of the cut window is filled up to the convex hull of the kept head
//!    ([`hull`]): a surface with no pit or ledge for a detector to read as brows and eyes.
//!
//! The module has no I/O: it plans on `f32` values in modality units and returns the voxel mask
//! and the fill value; the DICOM layer writes them back in the series' own pixel encoding.

mod brain;
mod ears;
pub mod geometry;
mod hull;
pub mod morph;
pub mod phantom;
pub mod render;

pub use brain::Modality;
pub use geometry::{Grid, HeadFrame};

use geometry::dot;

/// What the defacer could not do, and why. Nothing is written when planning fails.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DefaceError {
    #[error("volume has {got} values but the grid {dims:?} needs {want}")]
    SizeMismatch { got: usize, want: usize, dims: [usize; 3] },
    #[error("too few slices for a head volume: {got} (need at least {min})")]
    TooFewSlices { got: usize, min: usize },
    #[error("voxel grid is degenerate (zero or parallel axes)")]
    DegenerateGrid,
    #[error("voxels too coarse for defacing: {spacing_mm:.1} mm (at most {max_mm} mm)")]
    TooCoarse { spacing_mm: f64, max_mm: f64 },
    #[error("field of view {extent_mm:.0} mm along an axis cannot hold a head (need {min_mm} mm)")]
    FieldTooSmall { extent_mm: f64, min_mm: f64 },
    #[error("no head found: {0}")]
    NoHead(&'static str),
    #[error("no brain found ({reason}); refusing rather than guessing where the face is")]
    NoBrain { reason: String },
}

/// Tunable distances (mm). The defaults are the measured ones; see `docs/defacing.md`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DefaceOptions {
    /// Nothing within this distance of the brain estimate is changed; `None` = the modality's
    /// default: CT 7 mm (the skull bounds the estimate sharply), MR 14 mm (the estimate can miss
    /// CSF and part of the cortex; 10 mm, the default until session 10, changed 24–73 voxels
    /// of score.py's brain mask on six of the eight MR series, 14 mm none: docs/defacing.md).
    pub brain_margin_mm: Option<f64>,
    /// The coronal cut plane lies this far behind the frontal pole.
    pub behind_frontal_pole_mm: f64,
    /// The axial cut plane lies this far above the floor of the anterior cranial fossa.
    pub above_frontal_floor_mm: f64,
    /// Keep the outer ears (by default they are removed: ears identify people).
    pub keep_ears: bool,
}

impl Default for DefaceOptions {
    fn default() -> Self {
        DefaceOptions {
            brain_margin_mm: None,
            behind_frontal_pole_mm: 25.0,
            above_frontal_floor_mm: 15.0,
            keep_ears: false,
        }
    }
}

/// The decisions made for one volume.
#[derive(Debug, Clone)]
pub struct DefacePlan {
    /// The brain margin used (mm).
    pub brain_margin_mm: f64,
    /// One code per voxel of the input grid: [`KEEP`], [`AIR`] or [`SEAL`].
    pub edits: Vec<u8>,
    /// Air in modality units: −1000 HU for CT, the image's background level for MR.
    pub fill_value: f32,
    /// Uniform soft tissue for the seal layer behind the cut (CT 40 HU, MR median tissue).
    pub seal_value: f32,
    /// Intensity between air and skin (for renders).
    pub skin_threshold: f32,
    pub frame: HeadFrame,
    /// Frontal pole and anterior-fossa floor, in head-frame mm (anterior, superior).
    pub frontal_pole_mm: f64,
    pub frontal_floor_mm: f64,
    pub brain_volume_ml: f64,
    pub head_volume_ml: f64,
    /// Voxels set to air (face and ears).
    pub voxels_removed: usize,
    /// Tissue of the outer ears set to air (mL; the air around them is set to air too).
    pub ear_tissue_removed_ml: f64,
    /// Voxels set to seal tissue, wholly or in part (the cut's surface voxels, see
    /// [`PARTIAL_SEAL`]).
    pub voxels_sealed: usize,
    /// Voxels of the head (coarse estimate) inside the removed region, in mL.
    pub tissue_removed_ml: f64,
}

/// Voxel left as it is.
pub const KEEP: u8 = 0;
/// Voxel of the face region: becomes air.
pub const AIR: u8 = 1;
/// Voxel just behind the cut surface: becomes uniform soft tissue, so the cut face is a smooth
/// wall instead of a cross-section of orbits, sinuses and jaw (which face detectors read as a
/// face: measured, see docs/defacing.md).
pub const SEAL: u8 = 2;
/// Voxel of an outer ear: becomes air (a code of its own so the report can count it).
pub const EAR: u8 = 3;
/// Codes `PARTIAL_SEAL + 1 ..= PARTIAL_SEAL + PARTIAL_LEVELS - 1`: voxels the cut's surface
/// passes through, set between air and seal tissue by the fraction `level / PARTIAL_LEVELS` of
/// the voxel on the seal's side. A binary surface at an angle to the voxel grid is a staircase,
/// which renders as stripes that read as brows and eyes to a face detector and change with the
/// acquisition's orientation; a partial-volume surface renders smooth in every orientation
/// (measured: docs/defacing.md). Like air and seal, the value holds nothing of the original.
pub const PARTIAL_SEAL: u8 = 16;
/// Levels of a partial seal voxel (the fraction's denominator).
pub const PARTIAL_LEVELS: u8 = 16;
/// The outer part of the brain margin that may be sealed where the cut exposes it (mm): the
/// exposed margin is bone and CSF, whose dark holes would otherwise show.
const PROTECTED_SEAL_MM: f64 = 2.0;
/// Rise of the cut's ceiling per mm towards the face.
const CEILING_SLOPE: f64 = 1.0;
/// The seal's CT value: soft-tissue-like, so it renders as a surface, but outside the 20–60 HU of
/// skin and muscle, so replaced tissue stays recognisable as replaced (a reader of the image,
/// and a check, can tell the seal from the person's own skin).
const CT_SEAL_HU: f32 = 100.0;
/// Thickness of the seal layer (mm).
const SEAL_MM: f64 = 6.0;
/// Skin that the brain margin keeps in the face zone is buried under this much uniform tissue:
/// more than the 4 mm of a skin shell, so a forehead or brow the margin keeps no longer shows
/// its shape (measured, see docs/defacing.md).
const COVER_MM: f64 = 6.0;
/// How deep under the surface a protected voxel still counts as surface for [`COVER_MM`].
const EXPOSED_MM: f64 = 4.0;
/// The covered head is closed by a ball of this radius near the cover, so the cover has no ledge
/// of its own and leaves no slot between itself and the cut (a slot under a forehead reads as a
/// pair of eyes to a detector: docs/defacing.md).
const COVER_CLOSING_MM: f64 = 20.0;
/// Kept skin is covered only up to this height above the anterior-fossa floor (about the brows):
/// the forehead above is not face, and a cover there is a bulge over a brow-like ledge that a
/// detector reads as a face (measured on mr_sub01). Skin at the cut's edge is sealed with the
/// cut, not covered: a cover there is the same bulge.
const COVER_SKIN_ABOVE_FLOOR_MM: f64 = 5.0;
/// Radius of the closing that turns the head into a solid (nostrils and mouth shut, so sinuses
/// and airways count as inside the head).
const SOLID_CLOSING_MM: f64 = 8.0;

/// Smallest series a head defacer accepts (localizers and thick stacks are refused).
pub const MIN_SLICES: usize = 20;
const MAX_SPACING_MM: f64 = 6.0;
const MIN_EXTENT_MM: f64 = 100.0;
const BRAIN_ML: (f64, f64) = (600.0, 2100.0);
const COARSE_MM: f64 = 2.0;

/// Plans the defacing of one volume. `progress` gets a stage name and a fraction in 0..=1.
pub fn plan(
    values: &[f32],
    grid: &Grid,
    modality: Modality,
    options: &DefaceOptions,
    progress: &mut dyn FnMut(&'static str, f32),
) -> Result<DefacePlan, DefaceError> {
    check_input(values, grid)?;
    progress("downsampling", 0.05);
    let coarse = Coarse::new(values, grid);
    progress("finding head and brain", 0.2);
    let cell_ml = coarse.grid.spacing().iter().product::<f64>() / 1000.0;
    let accept = |brain: &[bool]| -> Result<(), DefaceError> {
        let ml = brain.iter().filter(|&&b| b).count() as f64 * cell_ml;
        if !(BRAIN_ML.0..=BRAIN_ML.1).contains(&ml) {
            return Err(DefaceError::NoBrain {
                reason: format!("intracranial estimate {ml:.0} mL, expected {:.0}–{:.0} mL", BRAIN_ML.0, BRAIN_ML.1),
            });
        }
        let points = coarse.points(brain);
        let frame = HeadFrame::from_points(&points).ok_or(DefaceError::NoBrain { reason: "too few voxels".into() })?;
        check_brain_shape(&points.iter().map(|p| frame.local(*p)).collect::<Vec<_>>())
    };
    let masks = brain::segment(&coarse.values, &coarse.grid, modality, &accept)?;
    let brain_ml = masks.brain.iter().filter(|&&b| b).count() as f64 * cell_ml;
    let head_ml = masks.head.iter().filter(|&&b| b).count() as f64 * cell_ml;
    let points: Vec<[f64; 3]> = coarse.points(&masks.brain);
    let frame = HeadFrame::from_points(&points).ok_or(DefaceError::NoBrain { reason: "too few voxels".into() })?;
    let local: Vec<[f64; 3]> = points.iter().map(|p| frame.local(*p)).collect();
    let (pole, floor) = landmarks(&local);
    progress("measuring distances to the brain", 0.45);
    let margin = options.brain_margin_mm.unwrap_or(match modality {
        Modality::Ct => 7.0,
        Modality::Mr => 14.0,
    });
    // exact where it is compared with the margin (and interpolated next to it), infinite beyond
    let brain_reach = margin + 4.0 * COARSE_MM + 10.0;
    let brain_d2 = morph::distance_sq_within(&masks.brain, coarse.grid.dims, coarse.grid.spacing(), brain_reach);
    progress("removing the face", 0.7);
    let cut = Cut {
        frame,
        coronal: pole - options.behind_frontal_pole_mm,
        axial: floor + options.above_frontal_floor_mm,
        margin_sq: (margin * margin) as f32,
    };
    let solid = solid_head(&masks.head, &coarse.grid);
    let (zone, brow) = coarse.zone_and_brow(&cut, floor + COVER_SKIN_ABOVE_FLOOR_MM);
    let region: Vec<bool> = zone.iter().zip(&brain_d2).map(|(z, d)| *z && *d > cut.margin_sq).collect();
    let seal_sq = ((SEAL_MM + COARSE_MM) * (SEAL_MM + COARSE_MM)) as f32;
    let region_d2 =
        morph::distance_sq_within(&region, coarse.grid.dims, coarse.grid.spacing(), SEAL_MM + 2.0 * COARSE_MM);
    let sealable: Vec<bool> = solid.iter().zip(&region_d2).map(|(s, d)| *s && *d <= seal_sq).collect();
    let cover = Cover::new(&coarse.grid, &zone, &brow, &solid, &region, &region_d2);
    let plate = match modality {
        Modality::Ct => {
            let kept: Vec<bool> = solid.iter().zip(&region).map(|(s, r)| *s && !*r).collect();
            hull::Plate::new(&coarse, &cut, &kept, &zone)
        }
        // measured: on MR the plate made a real face (mr_sub01) detectable (docs/defacing.md)
        Modality::Mr => hull::Plate::none(solid.len()),
    };
    let ears = if options.keep_ears {
        ears::Ears::none(solid.len())
    } else {
        ears::Ears::new(
            &coarse,
            &masks.head,
            masks.skin_threshold,
            &brain_d2,
            ears::Landmarks { frame: &frame, pole, floor },
        )
    };
    let fields = Fields {
        coarse: &coarse,
        values,
        skin_threshold: masks.skin_threshold,
        brain_d2: &brain_d2,
        sealable: &sealable,
        cover: &cover,
        plate: &plate,
        ears: &ears,
    };
    let edits = cut.voxel_edits(grid, &fields);
    // one pass over the full-resolution edits for all three counts
    let (voxels_removed, voxels_sealed, ear_tissue) =
        edits.iter().zip(values).fold((0, 0, 0), |(air, seal, ear), (&e, &v)| {
            (
                air + usize::from(e == AIR || e == EAR),
                seal + usize::from(seal_fraction(e) > 0.0),
                ear + usize::from(e == EAR && v > masks.skin_threshold),
            )
        });
    let ear_tissue_removed_ml = ear_tissue as f64 * grid.spacing().iter().product::<f64>() / 1000.0;
    let tissue_removed_ml = coarse.tissue_in_cut(&masks.head, &region) as f64 * cell_ml;
    let (fill_value, seal_value) = match modality {
        Modality::Ct => (-1000.0, CT_SEAL_HU),
        Modality::Mr => {
            let tissue: Vec<f32> = coarse
                .values
                .iter()
                .zip(&masks.head)
                .filter(|(v, h)| **h && **v > masks.skin_threshold)
                .map(|(v, _)| *v)
                .collect();
            (values.iter().copied().fold(f32::INFINITY, f32::min), brain::percentile(&tissue, 0.5))
        }
    };
    progress("done", 1.0);
    Ok(DefacePlan {
        brain_margin_mm: margin,
        edits,
        fill_value,
        seal_value,
        skin_threshold: masks.skin_threshold,
        frame,
        frontal_pole_mm: pole,
        frontal_floor_mm: floor,
        brain_volume_ml: brain_ml,
        head_volume_ml: head_ml,
        voxels_removed,
        ear_tissue_removed_ml,
        voxels_sealed,
        tissue_removed_ml,
    })
}

impl DefacePlan {
    /// The new value of a voxel with edit code `code`, or `None` to keep it.
    pub fn value_for(&self, code: u8) -> Option<f32> {
        match code {
            AIR | EAR => Some(self.fill_value),
            SEAL => Some(self.seal_value),
            c if seal_fraction(c) > 0.0 => {
                Some(self.fill_value + seal_fraction(c) * (self.seal_value - self.fill_value))
            }
            _ => None,
        }
    }
}

/// Writes the plan's air and seal values into `values`.
pub fn apply(values: &mut [f32], plan: &DefacePlan) {
    for (v, e) in values.iter_mut().zip(&plan.edits) {
        if let Some(x) = plan.value_for(*e) {
            *v = x;
        }
    }
}

/// What the full-resolution pass reads, all on the coarse grid except `values`.
struct Fields<'a> {
    coarse: &'a Coarse,
    values: &'a [f32],
    skin_threshold: f32,
    /// Squared distance to the brain estimate (mm²).
    brain_d2: &'a [f32],
    /// Cells of the solid head close enough to the region to be sealed.
    sealable: &'a [bool],
    cover: &'a Cover,
    plate: &'a hull::Plate,
    ears: &'a ears::Ears,
}

/// The cover over kept skin (coarse grid). Its source is the head the brain margin keeps in the
/// face zone, at brow level and below, within [`EXPOSED_MM`] of the outside and away from the
/// cut; open cells within [`COVER_MM`] of it become tissue, and so do open cells that a closing
/// by [`COVER_CLOSING_MM`] of the covered head fills near it.
struct Cover {
    /// Cells that are air after defacing: outside the solid head, or in the region.
    open: Vec<bool>,
    /// Squared distance to kept skin (mm²), infinite beyond `COVER_MM + COVER_CLOSING_MM`.
    skin_d2: Vec<f32>,
    /// Squared distance to the outside of the covered head grown by the closing radius (mm²):
    /// at least `COVER_CLOSING_MM²` inside the closing.
    closed_d2: Vec<f32>,
}

impl Cover {
    fn new(grid: &Grid, zone: &[bool], brow: &[bool], solid: &[bool], region: &[bool], region_d2: &[f32]) -> Cover {
        let (dims, sp) = (grid.dims, grid.spacing());
        let open: Vec<bool> = solid.iter().zip(region).map(|(s, r)| !s || *r).collect();
        let exposed_sq = ((EXPOSED_MM + COARSE_MM) * (EXPOSED_MM + COARSE_MM)) as f32;
        let outside: Vec<bool> = solid.iter().map(|s| !s).collect();
        let outside_d2 = morph::distance_sq_within(&outside, dims, sp, EXPOSED_MM + 2.0 * COARSE_MM);
        let kept = |p: usize| zone[p] && !open[p];
        let skin: Vec<bool> = (0..open.len())
            .map(|p| kept(p) && brow[p] && outside_d2[p] <= exposed_sq && region_d2[p] > exposed_sq)
            .collect();
        let reach = Self::REACH_MM + 2.0 * COARSE_MM;
        let skin_d2 = morph::distance_sq_within(&skin, dims, sp, reach);
        let skin_sq = (COVER_MM * COVER_MM) as f32;
        let covered: Vec<bool> = (0..open.len()).map(|p| !open[p] || skin_d2[p] <= skin_sq).collect();
        let outside: Vec<bool> =
            morph::dilate(&covered, dims, sp, COVER_CLOSING_MM).iter().map(|grown| !grown).collect();
        let closed_d2 = morph::distance_sq_within(&outside, dims, sp, COVER_CLOSING_MM + 2.0 * COARSE_MM);
        Cover { open, skin_d2, closed_d2 }
    }

    /// How far from the source the cover (with its closing) can reach.
    const REACH_MM: f64 = COVER_MM + COVER_CLOSING_MM;

    /// Whether a cell can hold covered voxels.
    fn reaches(&self, cell: usize) -> bool {
        let reach = Self::REACH_MM + COARSE_MM;
        self.skin_d2[cell] <= (reach * reach) as f32
    }

    /// Whether full-resolution voxel `v` lies in the cover (interpolated, so the surface is smooth).
    fn covers(&self, coarse: &Coarse, v: [usize; 3]) -> bool {
        let skin = coarse.distance_at(v, &self.skin_d2);
        skin <= COVER_MM as f32
            || (skin <= Self::REACH_MM as f32 && coarse.distance_at(v, &self.closed_d2) >= COVER_CLOSING_MM as f32)
    }
}

/// The head closed by a ball and filled: airways and sinuses count as inside.
fn solid_head(head: &[bool], grid: &Grid) -> Vec<bool> {
    let (dims, sp) = (grid.dims, grid.spacing());
    let grown = morph::fill_holes(&morph::dilate(head, dims, sp, SOLID_CLOSING_MM), dims);
    morph::erode(&grown, dims, sp, SOLID_CLOSING_MM)
}

fn check_input(values: &[f32], grid: &Grid) -> Result<(), DefaceError> {
    if values.len() != grid.len() {
        return Err(DefaceError::SizeMismatch { got: values.len(), want: grid.len(), dims: grid.dims });
    }
    let n_min = grid.dims.iter().copied().min().unwrap_or(0);
    if n_min < MIN_SLICES {
        return Err(DefaceError::TooFewSlices { got: n_min, min: MIN_SLICES });
    }
    grid.voxel_of(grid.origin).ok_or(DefaceError::DegenerateGrid)?;
    let spacing = grid.spacing();
    for (s, n) in spacing.iter().zip(grid.dims) {
        if !(s.is_finite() && *s > 0.0) {
            return Err(DefaceError::DegenerateGrid);
        }
        if *s > MAX_SPACING_MM {
            return Err(DefaceError::TooCoarse { spacing_mm: *s, max_mm: MAX_SPACING_MM });
        }
        let extent = s * n as f64;
        if extent < MIN_EXTENT_MM {
            return Err(DefaceError::FieldTooSmall { extent_mm: extent, min_mm: MIN_EXTENT_MM });
        }
    }
    Ok(())
}

/// Frontal pole (most anterior brain point) and the floor under the frontal lobe (lowest brain
/// point of the front 30 mm), robust to a stray voxel: 0.1 % / 1 % quantiles.
fn landmarks(local: &[[f64; 3]]) -> (f64, f64) {
    let mut ant: Vec<f64> = local.iter().map(|p| p[1]).collect();
    ant.sort_by(f64::total_cmp);
    let pole = ant[((ant.len() - 1) as f64 * 0.999) as usize];
    let mut front: Vec<f64> = local.iter().filter(|p| p[1] > pole - 30.0).map(|p| p[2]).collect();
    front.sort_by(f64::total_cmp);
    let floor = front.get((front.len().saturating_sub(1) as f64 * 0.01) as usize).copied().unwrap_or(0.0);
    (pole, floor)
}

/// A brain is longer (A–P) than it is tall above the frontal floor and roughly 120–220 mm
/// long; anything else means the segmentation caught scalp, neck or a non-head object.
fn check_brain_shape(local: &[[f64; 3]]) -> Result<(), DefaceError> {
    let extent = |axis: usize| {
        let (lo, hi) =
            local.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| (l.min(p[axis]), h.max(p[axis])));
        hi - lo
    };
    let (lr, ap) = (extent(0), extent(1));
    if !(100.0..=230.0).contains(&ap) || !(90.0..=200.0).contains(&lr) {
        return Err(DefaceError::NoBrain {
            reason: format!("intracranial estimate {ap:.0} mm long and {lr:.0} mm wide, not brain-shaped"),
        });
    }
    Ok(())
}

/// The face region: anterior to `coronal`, below `axial` (head-frame mm), farther than the
/// margin from the brain.
struct Cut {
    frame: HeadFrame,
    coronal: f64,
    axial: f64,
    margin_sq: f32,
}

impl Cut {
    fn in_region(&self, local: [f64; 3]) -> bool {
        self.in_region_as(local[1], local[2])
    }

    /// Signed distance (mm) into the region from its two planes: positive inside, negative
    /// outside (exact near each plane, which is where it is used).
    fn region_depth(&self, anterior: f64, superior: f64) -> f64 {
        let ceiling = self.axial + (anterior - self.coronal) * CEILING_SLOPE;
        let below = (ceiling - superior) / (1.0 + CEILING_SLOPE * CEILING_SLOPE).sqrt();
        (anterior - self.coronal).min(below)
    }

    /// The region's ceiling rises 45° towards the front: a flat ceiling under the forehead is an
    /// overhang whose shadow reads as a pair of eyes to a face detector (measured).
    fn in_region_as(&self, anterior: f64, superior: f64) -> bool {
        anterior > self.coronal && superior < self.axial + (anterior - self.coronal) * CEILING_SLOPE
    }

    /// Full-resolution edit codes: the region test is exact per voxel, the brain distance is
    /// interpolated trilinearly from the coarse grid near the margin (so the protected surface
    /// is smooth, not 2 mm steps), the seal layer comes from the coarse grid (it is hidden).
    /// Only the voxels of sealable coarse cells and of each row's stretch inside the region are
    /// visited: the rest of the volume is kept without being looked at.
    fn voxel_edits(&self, grid: &Grid, fields: &Fields) -> Vec<u8> {
        let [nx, ny, _] = grid.dims;
        let mut out = vec![KEEP; grid.len()];
        if nx == 0 || ny == 0 {
            return out;
        }
        let rows = RowWalk::new(grid, &self.frame);
        let slice_edits = |(k, slice): (usize, &mut [u8])| {
            for (j, row_out) in slice.chunks_mut(nx).enumerate() {
                self.row_edits([j, k], &rows, fields, row_out);
                self.row_cover([j, k], fields, row_out);
                self.row_plate([j, k], fields, row_out);
                self.row_ears([j, k], fields, row_out);
            }
        };
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            out.par_chunks_mut(nx * ny).enumerate().for_each(slice_edits);
        }
        #[cfg(not(feature = "parallel"))]
        out.chunks_mut(nx * ny).enumerate().for_each(slice_edits);
        out
    }

    fn row_edits(&self, [j, k]: [usize; 2], rows: &RowWalk, fields: &Fields, out: &mut [u8]) {
        let Fields { coarse, brain_d2, sealable, .. } = *fields;
        let nx = out.len();
        let f0 = coarse.factor[0];
        let row = rows.start(j, k);
        let si = rows.along_row;
        let crow = coarse.grid.index(0, j / coarse.factor[1], k / coarse.factor[2]);
        let cells = &sealable[crow..crow + coarse.grid.dims[0]];
        let margin = self.margin_sq.sqrt();
        let inner = margin - PROTECTED_SEAL_MM as f32;
        for (ci, _) in cells.iter().enumerate().filter(|(_, s)| **s) {
            let d = brain_d2[crow + ci].sqrt();
            let near = |t: f32| (d - t).abs() < 2.5 * COARSE_MM as f32;
            let interpolate = near(margin) || near(inner);
            let first = ci * f0;
            for (i, code) in out.iter_mut().enumerate().take(((ci + 1) * f0).min(nx)).skip(first) {
                let d = if interpolate { coarse.distance_at([i, j, k], brain_d2) } else { d };
                if d <= inner {
                    continue;
                }
                let a = row[1] + i as f64 * si[1];
                let s = row[2] + i as f64 * si[2];
                // signed distance to the cut's surface, positive on the air side
                let to_air = (self.region_depth(a, s) as f32).min(d - margin);
                *code = partial_code(0.5 - to_air / rows.voxel_mm);
            }
        }
        // voxels of the region outside the solid head are air already or outside: set them to
        // air too (background noise in front of the face is not kept)
        let (lo, hi) = self.region_span(row, si, nx);
        for (i, code) in out.iter_mut().enumerate().take(hi).skip(lo) {
            let cell = crow + i / f0;
            if sealable[cell] || brain_d2[cell] <= self.margin_sq {
                continue;
            }
            if self.in_region_as(row[1] + i as f64 * si[1], row[2] + i as f64 * si[2]) {
                *code = AIR;
            }
        }
    }

    /// The cover over kept skin: air of the region becomes seal tissue, and so does air outside
    /// the head, up to [`COVER_MM`] from that surface (interpolated, so the new surface is
    /// smooth).
    fn row_cover(&self, row: [usize; 2], fields: &Fields, out: &mut [u8]) {
        let (coarse, cover) = (fields.coarse, fields.cover);
        seal_air_in_row(row, fields, out, |cell| cover.reaches(cell), |v| cover.covers(coarse, v));
    }

    /// The plate over the cut window: air inside the convex hull of the kept head's front
    /// becomes seal tissue (interpolated depth, so the surface is smooth).
    fn row_plate(&self, row: [usize; 2], fields: &Fields, out: &mut [u8]) {
        let (coarse, plate) = (fields.coarse, fields.plate);
        seal_air_in_row(row, fields, out, |cell| plate.reaches(cell), |v| plate.covers(coarse, v));
    }

    /// The ears: voxels of the ear box that lie outside the opened head become air, except
    /// within the brain margin (see [`ears`]).
    fn row_ears(&self, [j, k]: [usize; 2], fields: &Fields, out: &mut [u8]) {
        let (coarse, ears) = (fields.coarse, fields.ears);
        let f0 = coarse.factor[0];
        let crow = coarse.grid.index(0, j / coarse.factor[1], k / coarse.factor[2]);
        let margin = self.margin_sq.sqrt();
        for ci in (0..coarse.grid.dims[0]).filter(|ci| ears.reaches(crow + ci)) {
            for i in ci * f0..((ci + 1) * f0).min(out.len()) {
                let v = [i, j, k];
                if out[i] == KEEP && ears.removes(coarse, v) && coarse.distance_at(v, fields.brain_d2) > margin {
                    out[i] = EAR;
                }
            }
        }
    }

    /// The stretch `lo..hi` of a row (head-frame start `row`, step `si` per voxel) that can be
    /// inside the region, a little wider than exact (each voxel is tested exactly afterwards).
    /// Both conditions of [`Cut::in_region_as`] are linear in the voxel index.
    fn region_span(&self, row: [f64; 3], si: [f64; 3], n: usize) -> (usize, usize) {
        let front = (row[1] - self.coronal, si[1]);
        let below = (
            self.axial - (self.coronal * CEILING_SLOPE) + row[1] * CEILING_SLOPE - row[2],
            si[1] * CEILING_SLOPE - si[2],
        );
        let (mut lo, mut hi) = (0.0f64, n as f64);
        for (c, m) in [front, below] {
            let end = c + m * (n as f64 - 1.0);
            if c.max(end) < -1e-6 {
                return (0, 0);
            }
            if c.min(end) > 1e-6 || m.abs() * n as f64 <= 1e-3 {
                continue;
            }
            let root = -c / m;
            if m > 0.0 {
                lo = lo.max(root.floor() - 2.0);
            } else {
                hi = hi.min(root.ceil() + 2.0);
            }
        }
        let clamp = |x: f64| x.clamp(0.0, n as f64) as usize;
        (clamp(lo), clamp(hi).max(clamp(lo)))
    }
}

/// Seals air in row (`j`, `k`): in coarse cells where `reaches`, each voxel that is air — of the
/// region, or below the skin threshold in an open cell (outside the head) — becomes seal tissue
/// where `covers`. Tissue is never changed here, so the brain margin still holds for everything
/// but air.
fn seal_air_in_row(
    [j, k]: [usize; 2],
    fields: &Fields,
    out: &mut [u8],
    reaches: impl Fn(usize) -> bool,
    covers: impl Fn([usize; 3]) -> bool,
) {
    let coarse = fields.coarse;
    let f0 = coarse.factor[0];
    let crow = coarse.grid.index(0, j / coarse.factor[1], k / coarse.factor[2]);
    let start = coarse.grid_index_full(j, k);
    for ci in (0..coarse.grid.dims[0]).filter(|ci| reaches(crow + ci)) {
        let open = fields.cover.open[crow + ci];
        for i in ci * f0..((ci + 1) * f0).min(out.len()) {
            let air = match out[i] {
                AIR => true,
                c if c > PARTIAL_SEAL => true,
                KEEP => open && fields.values[start + i] < fields.skin_threshold,
                _ => false,
            };
            if air && covers([i, j, k]) {
                out[i] = SEAL;
            }
        }
    }
}

/// The edit code of a voxel whose fraction `seal` (0..=1) lies on the seal's side of the cut's
/// surface: [`AIR`], [`SEAL`] or a partial level in between.
fn partial_code(seal: f32) -> u8 {
    let level = (seal.clamp(0.0, 1.0) * f32::from(PARTIAL_LEVELS)).round() as u8;
    match level {
        0 => AIR,
        l if l >= PARTIAL_LEVELS => SEAL,
        l => PARTIAL_SEAL + l,
    }
}

/// How much of a voxel with edit `code` becomes seal tissue: 1 for [`SEAL`], the level's
/// fraction for a partial seal, 0 for air and kept voxels.
pub fn seal_fraction(code: u8) -> f32 {
    match code {
        SEAL => 1.0,
        c if c > PARTIAL_SEAL && c < PARTIAL_SEAL + PARTIAL_LEVELS => {
            f32::from(c - PARTIAL_SEAL) / f32::from(PARTIAL_LEVELS)
        }
        _ => 0.0,
    }
}

/// Head-frame coordinates along the rows of a grid: where row (j, k) starts, and the step per
/// voxel along it.
struct RowWalk {
    base: [f64; 3],
    along_row: [f64; 3],
    down_rows: [f64; 3],
    over_slices: [f64; 3],
    /// Width of the partial-volume band across the cut's surface: the geometric mean of the
    /// voxel spacings (mm).
    voxel_mm: f32,
}

impl RowWalk {
    fn new(grid: &Grid, frame: &HeadFrame) -> RowWalk {
        let step = |a: usize| {
            let s = grid.steps[a];
            [dot(s, frame.left), dot(s, frame.anterior), dot(s, frame.superior)]
        };
        let voxel_mm = grid.spacing().iter().product::<f64>().cbrt() as f32;
        RowWalk {
            base: frame.local(grid.origin),
            along_row: step(0),
            down_rows: step(1),
            over_slices: step(2),
            voxel_mm,
        }
    }

    fn start(&self, j: usize, k: usize) -> [f64; 3] {
        [0, 1, 2].map(|a| self.base[a] + j as f64 * self.down_rows[a] + k as f64 * self.over_slices[a])
    }
}

/// The volume averaged over blocks of about [`COARSE_MM`].
struct Coarse {
    values: Vec<f32>,
    grid: Grid,
    factor: [usize; 3],
    full_dims: [usize; 3],
}

impl Coarse {
    fn new(values: &[f32], grid: &Grid) -> Coarse {
        let spacing = grid.spacing();
        let factor = [0, 1, 2].map(|a| ((COARSE_MM / spacing[a]).round() as usize).max(1));
        let dims = [0, 1, 2].map(|a| grid.dims[a].div_ceil(factor[a]));
        let mut sum = vec![0f32; dims[0] * dims[1] * dims[2]];
        let mut count = vec![0u16; sum.len()];
        let [nx, ny, nz] = grid.dims;
        for k in 0..nz {
            for j in 0..ny {
                let crow = (j / factor[1]) * dims[0] + (k / factor[2]) * dims[0] * dims[1];
                let row = &values[grid.index(0, j, k)..grid.index(0, j, k) + nx];
                for (c, block) in row.chunks(factor[0]).enumerate() {
                    sum[crow + c] += block.iter().sum::<f32>();
                    count[crow + c] += block.len() as u16;
                }
            }
        }
        let values = sum.iter().zip(&count).map(|(s, c)| s / f32::from((*c).max(1))).collect();
        let centre = [0, 1, 2].map(|a| (factor[a] as f64 - 1.0) / 2.0);
        let coarse_grid = Grid {
            dims,
            origin: grid.position(centre),
            steps: [0, 1, 2].map(|a| grid.steps[a].map(|x| x * factor[a] as f64)),
        };
        Coarse { values, grid: coarse_grid, factor, full_dims: grid.dims }
    }

    /// The face zone on the coarse grid (cell centres): the region before the brain margin is
    /// taken out of it; and the cells below `brow_level` (head-frame superior, mm). One pass.
    fn zone_and_brow(&self, cut: &Cut, brow_level: f64) -> (Vec<bool>, Vec<bool>) {
        (0..self.values.len())
            .map(|p| {
                let x = self.grid.position_of_index(p);
                let local = cut.frame.local(x);
                (cut.in_region(local), local[2] < brow_level)
            })
            .unzip()
    }

    /// Index of full-resolution voxel (0, j, k) in the input grid.
    fn grid_index_full(&self, j: usize, k: usize) -> usize {
        self.full_dims[0] * (j + self.full_dims[1] * k)
    }

    /// A coarse squared-distance field at full-resolution voxel `v`, as a distance (mm),
    /// trilinear; infinite where any neighbouring cell is beyond the field's reach.
    fn distance_at(&self, v: [usize; 3], field_d2: &[f32]) -> f32 {
        self.sample_at(v, field_d2, f32::sqrt)
    }

    /// `field` (coarse grid) mapped by `f` at full-resolution voxel `v`, trilinear.
    fn sample_at(&self, v: [usize; 3], field: &[f32], f: impl Fn(f32) -> f32) -> f32 {
        let c = [0, 1, 2].map(|a| {
            let f = self.factor[a] as f64;
            ((v[a] as f64 - (f - 1.0) / 2.0) / f).clamp(0.0, (self.grid.dims[a] - 1) as f64)
        });
        let lo = c.map(|x| x.floor() as usize);
        let t = [0, 1, 2].map(|a| (c[a] - lo[a] as f64) as f32);
        let mut acc = 0.0;
        for corner in 0..8 {
            let mut w = 1.0;
            let mut idx = [0usize; 3];
            for a in 0..3 {
                let up = corner >> a & 1 == 1;
                idx[a] = (lo[a] + usize::from(up)).min(self.grid.dims[a] - 1);
                w *= if up { t[a] } else { 1.0 - t[a] };
            }
            if w > 0.0 {
                acc += w * f(field[self.grid.index(idx[0], idx[1], idx[2])]);
            }
        }
        acc
    }

    fn points(&self, mask: &[bool]) -> Vec<[f64; 3]> {
        mask.iter().enumerate().filter(|(_, m)| **m).map(|(p, _)| self.grid.position_of_index(p)).collect()
    }

    fn tissue_in_cut(&self, head: &[bool], region: &[bool]) -> usize {
        head.iter().zip(region).filter(|(h, r)| **h && **r).count()
    }
}

#[cfg(test)]
mod tests;
