//! The convex hull of what the cut keeps, as an intersection of half-spaces.
//!
//! Why: the cut window shows whatever the brain margin keeps — an offset of the brain estimate,
//! with the frontal poles as lumps and a trench at the window's rim. Bumps over a dark crease
//! read as a face to a detector (measured on Colin27, docs/defacing.md). Filling the window's
//! air up to the convex hull of the kept head gives it a front with no pit, crease or trench
//! at all: a convex surface has no concavity for a shadow to fall into, and it meets the kept
//! convex skin around the window without a ledge.
//!
//! The hull is approximated by its support planes in a fixed set of directions (a Fibonacci
//! sphere): for direction `n`, `h(n) = max n·p` over the points. The polytope
//! `{x : n·x ≤ h(n) for all n}` contains the hull and exceeds it by well under a millimetre at
//! head size, and the depth of a point below its surface is one minimum over the planes — no
//! triangulation, nothing that can fail on degenerate input.

use super::geometry::dot;
use super::{COARSE_MM, Coarse, Cut, morph};

/// Number of support directions: ~7° between neighbours, every direction within ~4° of one.
const DIRECTIONS: usize = 800;

/// The support planes of a point set.
pub(super) struct Hull {
    normals: Vec<[f64; 3]>,
    support: Vec<f64>,
}

impl Hull {
    /// The hull of `points`; `None` when there are none.
    pub(super) fn of_points(points: &[[f64; 3]]) -> Option<Hull> {
        if points.is_empty() {
            return None;
        }
        let normals = fibonacci_sphere(DIRECTIONS);
        let support =
            normals.iter().map(|n| points.iter().map(|p| dot(*n, *p)).fold(f64::NEG_INFINITY, f64::max)).collect();
        Some(Hull { normals, support })
    }

    /// How far `x` lies inside the hull (mm), floored at `floor`: positive inside, negative
    /// outside (then a lower bound of the distance). Stops at the first plane that puts `x`
    /// deeper outside than `floor`. `hint` is the plane that did so last: neighbouring points
    /// are usually cut off by the same plane, so it is tried first (a field of view is mostly
    /// outside the hull, and this makes those points cost one plane instead of hundreds).
    pub(super) fn depth_above(&self, x: [f64; 3], floor: f64, hint: &mut usize) -> f64 {
        let plane = |i: usize| self.support[i] - dot(self.normals[i], x);
        if *hint < self.normals.len() && plane(*hint) <= floor {
            return floor;
        }
        let mut depth = f64::INFINITY;
        for i in 0..self.normals.len() {
            depth = depth.min(plane(i));
            if depth <= floor {
                *hint = i;
                return floor;
            }
        }
        depth
    }
}

/// Only the front of the kept head shapes the plate: points up to this far behind the cut's
/// coronal plane (a CT table or head holder behind the head would otherwise widen the hull).
const POINTS_BEHIND_CUT_MM: f64 = 30.0;
/// The plate fills only down to this far below the cut's ceiling (15 mm above the floor of the
/// anterior cranial fossa, so about the level of the cheekbones): below, the cut stays open. A
/// plate down to the chin is a blank oval where a face was, and detectors read it as one.
const BELOW_CUT_CEILING_MM: f64 = 35.0;
/// The plate may fill air this far outside the face zone, so it meets a concave temple or cheek
/// beside the zone without a step at the zone's edge.
const BEYOND_ZONE_MM: f64 = 10.0;
/// Depth stored for cells the plate may not fill, and the floor of every stored depth: the
/// field is interpolated, and a finite floor makes the plate fade out smoothly at its edge.
const OUTSIDE_MM: f32 = -2.0 * COARSE_MM as f32;

/// The plate over the cut window (coarse grid): air of the face zone that lies inside the
/// convex hull of the kept head's front becomes uniform tissue.
pub(super) struct Plate {
    /// Depth below the hull (mm), at least [`OUTSIDE_MM`]; [`OUTSIDE_MM`] where the plate may
    /// not fill.
    depth: Vec<f32>,
}

impl Plate {
    /// A plate that fills nothing.
    pub(super) fn none(len: usize) -> Plate {
        Plate { depth: vec![OUTSIDE_MM; len] }
    }

    /// `kept` = the solid head minus the region; `zone` = the face zone.
    pub(super) fn new(coarse: &Coarse, cut: &Cut, kept: &[bool], zone: &[bool]) -> Plate {
        let grid = &coarse.grid;
        let [nx, ny, nz] = grid.dims;
        let cell = |p: usize| [(p % nx) as f64, ((p / nx) % ny) as f64, (p / (nx * ny)) as f64];
        let on_surface = |p: usize| {
            let [i, j, k] = cell(p).map(|x| x as usize);
            let neighbours = [
                (i > 0).then(|| p - 1),
                (i + 1 < nx).then(|| p + 1),
                (j > 0).then(|| p - nx),
                (j + 1 < ny).then(|| p + nx),
                (k > 0).then(|| p - nx * ny),
                (k + 1 < nz).then(|| p + nx * ny),
            ];
            neighbours.iter().any(|n| n.is_none_or(|q| !kept[q]))
        };
        let points: Vec<[f64; 3]> = (0..kept.len())
            .filter(|&p| kept[p] && on_surface(p))
            .map(|p| grid.position(cell(p)))
            .filter(|x| cut.frame.local(*x)[1] > cut.coronal - POINTS_BEHIND_CUT_MM)
            .collect();
        let mut depth = vec![OUTSIDE_MM; kept.len()];
        let Some(hull) = Hull::of_points(&points) else {
            return Plate { depth };
        };
        let fillable = morph::dilate(zone, grid.dims, grid.spacing(), BEYOND_ZONE_MM);
        let mut hint = 0;
        for (p, d) in depth.iter_mut().enumerate().filter(|(p, _)| fillable[*p]) {
            let x = grid.position(cell(p));
            if cut.frame.local(x)[2] < cut.axial - BELOW_CUT_CEILING_MM {
                continue;
            }
            *d = hull.depth_above(x, f64::from(OUTSIDE_MM), &mut hint) as f32;
        }
        Plate { depth }
    }

    /// Whether coarse cell `p` can hold plate voxels.
    pub(super) fn reaches(&self, p: usize) -> bool {
        self.depth[p] > OUTSIDE_MM
    }

    /// Whether full-resolution voxel `v` lies under the plate's surface (interpolated).
    pub(super) fn covers(&self, coarse: &Coarse, v: [usize; 3]) -> bool {
        coarse.sample_at(v, &self.depth, |d| d) >= -OUTSET_MM
    }
}

/// The hull is spanned by coarse cell centres, which lie about half a cell inside the skin; the
/// plate's surface lies this far outside it, level with the kept skin around the window (a
/// plate 0.5 mm inside the hull left a step at the window's rim: measured, docs/defacing.md).
const OUTSET_MM: f32 = 1.5;

/// `n` unit vectors spread evenly over the sphere.
fn fibonacci_sphere(n: usize) -> Vec<[f64; 3]> {
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    (0..n)
        .map(|i| {
            let z = 1.0 - 2.0 * (i as f64 + 0.5) / n as f64;
            let r = (1.0 - z * z).max(0.0).sqrt();
            let phi = golden * i as f64;
            [r * phi.cos(), r * phi.sin(), z]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cube_corners(half: f64) -> Vec<[f64; 3]> {
        (0..8).map(|c| [0, 1, 2].map(|a| if c >> a & 1 == 1 { half } else { -half })).collect()
    }

    impl Hull {
        fn depth(&self, x: [f64; 3]) -> f64 {
            self.depth_above(x, f64::NEG_INFINITY, &mut 0)
        }
    }

    #[test]
    fn depth_is_distance_to_the_surface_inside_and_negative_outside() -> Result<(), &'static str> {
        let sphere: Vec<[f64; 3]> = fibonacci_sphere(3000).iter().map(|n| n.map(|x| 50.0 * x)).collect();
        let hull = Hull::of_points(&sphere).ok_or("no hull of a sphere")?;
        assert!((hull.depth([0.0; 3]) - 50.0).abs() < 0.3, "{}", hull.depth([0.0; 3]));
        assert!((hull.depth([0.0, 30.0, 0.0]) - 20.0).abs() < 0.3);
        assert!(hull.depth([0.0, 0.0, 60.0]) < -9.0);
        let mut hint = 0;
        assert_eq!(hull.depth_above([0.0, 0.0, 60.0], -4.0, &mut hint), -4.0, "floored");
        assert_eq!(hull.depth_above([0.0, 0.0, 61.0], -4.0, &mut hint), -4.0, "floored by the hinted plane");
        assert!((hull.depth_above([0.0, 0.0, 0.0], -4.0, &mut hint) - 50.0).abs() < 0.3, "the hint changes no result");
        Ok(())
    }

    #[test]
    fn a_flat_face_is_exceeded_by_at_most_its_half_width_times_the_direction_gap() -> Result<(), &'static str> {
        let hull = Hull::of_points(&cube_corners(10.0)).ok_or("no hull of a cube")?;
        let centre = hull.depth([0.0; 3]);
        assert!((10.0..10.0 + 10.0 * 0.08).contains(&centre), "{centre}");
        assert!(hull.depth([12.0, 0.0, 0.0]) < -1.0);
        Ok(())
    }

    #[test]
    fn concavities_of_the_points_are_inside_the_hull() -> Result<(), &'static str> {
        // two blobs with a gap between them: the gap is inside the hull, as a trench between
        // two frontal poles is
        let mut points: Vec<[f64; 3]> = cube_corners(5.0).iter().map(|p| [p[0] - 20.0, p[1], p[2]]).collect();
        points.extend(cube_corners(5.0).iter().map(|p| [p[0] + 20.0, p[1], p[2]]));
        let hull = Hull::of_points(&points).ok_or("no hull of two blobs")?;
        assert!(hull.depth([0.0, 0.0, 0.0]) > 4.0);
        assert!(hull.depth([0.0, 6.0, 0.0]) < 0.0);
        assert!(Hull::of_points(&[]).is_none());
        Ok(())
    }
}
