//! Ears: the outer ear (pinna) is removed as well as the face.
//!
//! Why: ears identify people (ear biometrics; a 3-D render of the head shows them at every yaw
//! beyond the front), and the face cut stops 25 mm behind the frontal pole, far in front of them.
//!
//! How, without a template: the pinna is the one thin flap that sticks out of the side of the
//! head. A morphological *opening* of the head (erode, then dilate, by [`OPENING_MM`]) keeps
//! every part of the head a ball of that radius fits into — skull, scalp, neck — and drops
//! flaps thinner than twice the radius. In a box beside the head at ear height, whatever lies
//! more than [`KEEP_MM`] outside the opened head (and no farther than [`REACH_MM`]: the ear
//! does not stick out farther) becomes air. The distance is interpolated from the coarse grid,
//! so the stump is a smooth part of the side of the head, not 2 mm steps. The brain margin
//! still holds: nothing within it is touched.

use super::geometry::HeadFrame;
use super::{COARSE_MM, Coarse, morph};

/// Radius of the opening: flaps thinner than twice this (the pinna is 3–8 mm thick with its
/// skin; the scalp over the skull is part of the solid head and survives) are dropped.
const OPENING_MM: f64 = 6.0;
/// Voxels up to this far outside the opened head are kept: the side of the head's skin.
const KEEP_MM: f32 = 1.0;
/// The opened head is grown back this much farther than it was eroded (mm).
const SLACK_MM: f64 = 0.5;
/// The ear sticks out at most this far from the side of the head; beyond is background.
const REACH_MM: f64 = 35.0;
/// The ear box in the head frame, relative to the landmarks (mm): behind the frontal pole, from
/// below to above the anterior-fossa floor, and this far to the side of the mid-plane. Generous:
/// inside it only thin flaps are removed.
const BEHIND_POLE_MM: (f64, f64) = (75.0, 150.0);
const ABOVE_FLOOR_MM: (f64, f64) = (-55.0, 35.0);
const LATERAL_MM: f64 = 45.0;

/// Everything within this of the brain estimate (mm², 12 mm: past CSF and skull) counts as head
/// for the opening.
const SOLID_FROM_BRAIN_MM2: f32 = 144.0;

/// A flap smaller than this (mL) is a fold of skin, not an ear: kept.
const MIN_EAR_ML: f64 = 0.5;
/// A flap that sticks out less than this (mm) from the opened head is not an ear but a thin
/// part inside the head (an airway's wall, the jaw) or a fold of skin: kept. The pinna stands
/// 10–25 mm off the side of the head.
const MIN_PROTRUSION_MM: f32 = 6.0;

/// Where the ears are removed (coarse grid).
pub(super) struct Ears {
    /// Squared distance to the opened head (mm²), infinite beyond [`REACH_MM`].
    outside_d2: Vec<f32>,
    /// Cells of the ear box that hold something to remove (or are next to such a cell).
    reach: Vec<bool>,
}

impl Ears {
    /// `head` is the head mask on the coarse grid, `skin_threshold` the air/tissue threshold,
    /// `brain_d2` the squared distance to the brain estimate, `pole` and `floor` the frontal
    /// pole and the anterior-fossa floor in head-frame mm.
    pub(super) fn new(
        coarse: &Coarse,
        head: &[bool],
        skin_threshold: f32,
        brain_d2: &[f32],
        landmarks: Landmarks,
    ) -> Ears {
        let (dims, spacing) = (coarse.grid.dims, coarse.grid.spacing());
        let in_box = ear_box(coarse, landmarks);
        let opened = opened_head(head, brain_d2, dims, spacing);
        let outside_d2 = morph::distance_sq_within(&opened, dims, spacing, REACH_MM);
        // any tissue, not only the head mask's: a pinna thinned by partial volume can come loose
        // from the head at 2 mm, and a loose piece must go as well
        let flap: Vec<bool> =
            (0..head.len()).map(|p| coarse.values[p] > skin_threshold && !opened[p] && in_box[p]).collect();
        let flap = protruding_pieces(&flap, &outside_d2, coarse);
        let near_flap = morph::dilate(&flap, dims, spacing, 2.0 * COARSE_MM);
        let reach = (0..head.len()).map(|p| near_flap[p] && in_box[p]).collect();
        Ears { outside_d2, reach }
    }

    /// No ears to remove (the caller keeps them).
    pub(super) fn none(cells: usize) -> Ears {
        Ears { outside_d2: Vec::new(), reach: vec![false; cells] }
    }

    /// Whether coarse cell `cell` may hold ear voxels.
    pub(super) fn reaches(&self, cell: usize) -> bool {
        self.reach[cell]
    }

    /// Whether full-resolution voxel `v` (in a cell that [`Ears::reaches`]) is part of an ear.
    pub(super) fn removes(&self, coarse: &Coarse, v: [usize; 3]) -> bool {
        let d = coarse.distance_at(v, &self.outside_d2);
        d > KEEP_MM && d <= REACH_MM as f32
    }
}

/// The frontal pole and the anterior-fossa floor (head-frame mm) and the head frame.
#[derive(Clone, Copy)]
pub(super) struct Landmarks<'a> {
    pub frame: &'a HeadFrame,
    pub pole: f64,
    pub floor: f64,
}

/// Cells of the ear box: beside the head at ear height, behind the face.
fn ear_box(coarse: &Coarse, Landmarks { frame, pole, floor }: Landmarks) -> Vec<bool> {
    let grid = &coarse.grid;
    (0..grid.len())
        .map(|p| {
            let x = grid.position_of_index(p);
            let [left, anterior, superior] = frame.local(x);
            left.abs() > LATERAL_MM
                && (BEHIND_POLE_MM.0..BEHIND_POLE_MM.1).contains(&(pole - anterior))
                && (ABOVE_FLOOR_MM.0..ABOVE_FLOOR_MM.1).contains(&(superior - floor))
        })
        .collect()
}

/// The head without its thin flaps: the largest piece of the head mask (a CT head holder beside
/// the ears is a piece of its own, and filling the gap between it and the head would bury the
/// ear), made solid from the brain out (an MR head mask is a shell of scalp over the dark skull
/// wherever the skull's gap reaches the outside — ear canal, sinuses — and an opening would drop
/// that shell with the ear), opened by [`OPENING_MM`] and grown back [`SLACK_MM`] farther (a
/// discrete opening also shaves slanted skin).
fn opened_head(head: &[bool], brain_d2: &[f32], dims: [usize; 3], spacing: [f64; 3]) -> Vec<bool> {
    let head = morph::largest_component(head, dims);
    let core: Vec<bool> = head.iter().zip(brain_d2).map(|(h, d)| *h || *d <= SOLID_FROM_BRAIN_MM2).collect();
    let core = morph::fill_holes(&core, dims);
    let eroded = morph::erode(&core, dims, spacing, OPENING_MM);
    morph::dilate(&eroded, dims, spacing, OPENING_MM + SLACK_MM)
}

/// The connected pieces of `mask` of at least [`MIN_EAR_ML`] that reach [`MIN_PROTRUSION_MM`]
/// outside the opened head (`outside_d2`).
fn protruding_pieces(mask: &[bool], outside_d2: &[f32], coarse: &Coarse) -> Vec<bool> {
    let cell_ml = coarse.grid.spacing().iter().product::<f64>() / 1000.0;
    let (labels, sizes) = morph::components(mask, coarse.grid.dims);
    let mut farthest = vec![0f32; sizes.len()];
    for (&l, &d2) in labels.iter().zip(outside_d2) {
        if l > 0 && d2.is_finite() {
            let f = &mut farthest[l as usize - 1];
            *f = f.max(d2);
        }
    }
    let ear = |l: u32| {
        let c = l as usize - 1;
        sizes[c] as f64 * cell_ml >= MIN_EAR_ML && farthest[c] >= MIN_PROTRUSION_MM * MIN_PROTRUSION_MM
    };
    labels.iter().map(|&l| l > 0 && ear(l)).collect()
}
