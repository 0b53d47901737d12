//! Where the brain is, without a template: the intracranial soft tissue is the largest blob of
//! brain-like intensity that survives an erosion large enough to cut it from the scalp (the
//! skull and CSF separate them in every CT and in every common MR contrast). The estimate only
//! has to be *conservative*: the defacer keeps a wide margin around it, so a few millimetres of
//! error never reach the brain.

use super::DefaceError;
use super::geometry::Grid;
use super::morph::{components, dilate, erode, fill_holes, largest_component, otsu};

/// Which intensity model to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modality {
    /// Hounsfield units (after Rescale Slope/Intercept).
    Ct,
    /// Any MR contrast: thresholds come from the image's own histogram.
    Mr,
}

/// The head and brain masks on the coarse grid, plus the threshold that separates skin from air.
pub struct Masks {
    pub head: Vec<bool>,
    pub brain: Vec<bool>,
    pub skin_threshold: f32,
}

/// Erosions that disconnect the brain from scalp, orbits and neck before picking the blob.
const SEPARATION_MM: [f64; 2] = [4.0, 6.0];
/// MR candidate thresholds, as multiples of the air/tissue threshold, tried in order.
const THRESHOLD_STEPS: [f32; 5] = [1.0, 1.15, 1.3, 1.5, 1.75];

/// `grid` is the (coarse) grid of `values`; its patient axes say which way is up.
/// `accept` judges a brain estimate (size, shape); the first acceptable one is returned.
pub fn segment(
    values: &[f32],
    grid: &Grid,
    modality: Modality,
    accept: &dyn Fn(&[bool]) -> Result<(), DefaceError>,
) -> Result<Masks, DefaceError> {
    let (dims, spacing) = (grid.dims, grid.spacing());
    let (skin_threshold, candidate_range) = match modality {
        Modality::Ct => (-400.0, (-5.0, 90.0)),
        Modality::Mr => {
            let cap = percentile(values, 0.995);
            let bg = otsu(values.iter().map(|&v| v.min(cap))).ok_or(DefaceError::NoHead("the image is uniform"))?;
            (bg, (f32::NAN, cap))
        }
    };
    let air_or_tissue: Vec<bool> = values.iter().map(|&v| v > skin_threshold).collect();
    let head = fill_holes(&large_components(&air_or_tissue, dims), dims);
    let head_voxels = head.iter().filter(|&&h| h).count();
    if head_voxels == 0 {
        return Err(DefaceError::NoHead("nothing brighter than air"));
    }
    // CT: soft tissue. MR: anything brighter than air; the dark skull and CSF separate the brain.
    let (lo, hi) = match modality {
        Modality::Ct => candidate_range,
        Modality::Mr => (skin_threshold, f32::INFINITY),
    };
    // The lowest threshold / smallest erosion at which the brain comes apart from the scalp:
    // a bright, noise-free image (an average, a fat-saturated scan) can need a higher cut.
    let mut last = DefaceError::NoBrain { reason: "no candidate".into() };
    for factor in THRESHOLD_STEPS {
        let raise = |t: f32| if modality == Modality::Mr { t * factor } else { t };
        let candidate: Vec<bool> = values.iter().zip(&head).map(|(&v, &h)| h && v > raise(lo) && v < hi).collect();
        for radius in SEPARATION_MM {
            let core = uppermost_blob(&erode(&candidate, dims, spacing, radius), grid);
            let grown = dilate(&core, dims, spacing, radius + 0.5);
            let brain: Vec<bool> = grown.iter().zip(&candidate).map(|(g, c)| *g && *c).collect();
            let brain = fill_holes(&largest_component(&brain, dims), dims);
            match accept(&brain) {
                Ok(()) => return Ok(Masks { head, brain, skin_threshold }),
                Err(e) => last = e,
            }
        }
        if modality == Modality::Ct {
            break;
        }
    }
    Err(last)
}

/// Every component at least a tenth the size of the largest (a head cut by the field of view can
/// fall apart into a few pieces; specks of noise are dropped).
fn large_components(mask: &[bool], dims: [usize; 3]) -> Vec<bool> {
    let (labels, sizes) = components(mask, dims);
    let largest = sizes.iter().copied().max().unwrap_or(0);
    labels.iter().map(|&l| l > 0 && sizes[l as usize - 1] * 10 >= largest).collect()
}

/// The brain is the *uppermost* large blob: below it lie the face, tongue and neck, which can be
/// larger (a CT down to the shoulders), but nothing large lies above it. Large = at least a
/// quarter of the largest blob.
fn uppermost_blob(mask: &[bool], grid: &Grid) -> Vec<bool> {
    let (labels, sizes) = components(mask, grid.dims);
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let mut height = vec![0f64; sizes.len()];
    for (p, &l) in labels.iter().enumerate() {
        if l > 0 {
            let x = grid.position_of_index(p);
            height[l as usize - 1] += x[2] / sizes[l as usize - 1] as f64;
        }
    }
    let best = (0..sizes.len())
        .filter(|&c| sizes[c] * 4 >= largest)
        .max_by(|&a, &b| height[a].total_cmp(&height[b]))
        .map(|c| c as u32 + 1);
    labels.iter().map(|&l| Some(l) == best).collect()
}

/// The `q` quantile of `values` (0..=1), by selection.
pub fn percentile(values: &[f32], q: f64) -> f32 {
    let mut v: Vec<f32> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    let k = ((v.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
    let (_, x, _) = v.select_nth_unstable_by(k, |a, b| a.total_cmp(b));
    *x
}
