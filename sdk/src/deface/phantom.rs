//! A synthetic head for tests, demos and benchmarks: ellipsoid scalp, skull and brain, eyes,
//! a nose and a chin, in CT (HU) or T1-like MR intensities, optionally rotated in the scanner.
//! Deterministic: the same grid gives the same voxels everywhere.

use super::Modality;
use super::geometry::Grid;

/// What a phantom voxel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tissue {
    Air,
    Soft,
    Bone,
    Brain,
    Eye,
    /// The outer ear: a thin flap standing off the side of the head.
    Ear,
}

impl Tissue {
    pub fn value(self, modality: Modality) -> f32 {
        match (modality, self) {
            (Modality::Ct, Tissue::Air) => -1000.0,
            (Modality::Ct, Tissue::Soft | Tissue::Ear) => 40.0,
            (Modality::Ct, Tissue::Bone) => 900.0,
            (Modality::Ct, Tissue::Brain) => 35.0,
            (Modality::Ct, Tissue::Eye) => 10.0,
            (Modality::Mr, Tissue::Air) => 0.0,
            (Modality::Mr, Tissue::Soft | Tissue::Ear) => 700.0,
            (Modality::Mr, Tissue::Bone) => 60.0,
            (Modality::Mr, Tissue::Brain) => 550.0,
            (Modality::Mr, Tissue::Eye) => 120.0,
        }
    }
}

fn inside(p: [f64; 3], centre: [f64; 3], semi: [f64; 3]) -> bool {
    (0..3).map(|a| ((p[a] - centre[a]) / semi[a]).powi(2)).sum::<f64>() <= 1.0
}

/// Where `p` (head coordinates) lies relative to the head's ellipsoid: 1 on its skin, below 1
/// inside; at the side of the head, (radius − 1) × 76 mm is about the distance out.
pub fn head_radius(p: [f64; 3]) -> f64 {
    let (centre, semi) = ([0.0, 0.0, -10.0], [76.0, 94.0, 115.0]);
    (0..3).map(|a| ((p[a] - centre[a]) / semi[a]).powi(2)).sum::<f64>().sqrt()
}

/// The tissue at head coordinates `p` (LPS mm, head upright, centre of the head at 0).
pub fn tissue_at(p: [f64; 3]) -> Tissue {
    let [x, y, z] = p;
    // the frontal lobes rest on a flat anterior cranial fossa at z = 5, above the orbits
    if inside(p, [0.0, 5.0, 25.0], [62.0, 80.0, 58.0]) && (z > 5.0 || y > -15.0) {
        return Tissue::Brain;
    }
    if inside(p, [0.0, 5.0, 25.0], [69.0, 87.0, 65.0]) && (z > -2.0 || y > -22.0) {
        return Tissue::Bone;
    }
    let eye = inside(p, [32.0, -72.0, -18.0], [12.0; 3]) || inside(p, [-32.0, -72.0, -18.0], [12.0; 3]);
    if eye {
        return Tissue::Eye;
    }
    let head = head_radius(p) <= 1.0;
    let nose = inside(p, [0.0, -90.0, -40.0], [11.0, 16.0, 22.0]);
    let chin = inside(p, [0.0, -74.0, -95.0], [26.0, 20.0, 18.0]);
    if head || nose || chin {
        return Tissue::Soft;
    }
    // the pinna: a flap 5 mm thick, 30 mm wide and 48 mm tall, attached at its front edge to the
    // side of the head and standing off it at 30° towards the back (up to 15 mm off the skin)
    let (s30, c30) = (0.5, 3f64.sqrt() / 2.0);
    let centre = [x.signum() * (76.0 + 15.0 * s30), 15.0 * c30, -5.0];
    let d = [p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]];
    let across = d[0] * x.signum() * c30 - d[1] * s30;
    let along = d[0] * x.signum() * s30 + d[1] * c30;
    let pinna = (across / 2.5).powi(2) + (along / 15.5).powi(2) + (d[2] / 24.0).powi(2) <= 1.0;
    if pinna { Tissue::Ear } else { Tissue::Air }
}

/// A phantom sampled on `grid`, the head rotated by `rotation` (row-major, applied to head
/// coordinates) about the origin. Returns the values and the tissue of each voxel.
pub fn head(grid: &Grid, modality: Modality, rotation: [[f64; 3]; 3]) -> (Vec<f32>, Vec<Tissue>) {
    let [nx, ny, nz] = grid.dims;
    let mut values = Vec::with_capacity(grid.len());
    let mut tissues = Vec::with_capacity(grid.len());
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let x = grid.position([i as f64, j as f64, k as f64]);
                // patient = R · head  ⇒  head = Rᵀ · patient
                let h = [0, 1, 2].map(|a| (0..3).map(|b| rotation[b][a] * x[b]).sum::<f64>());
                let t = tissue_at(h);
                values.push(t.value(modality));
                tissues.push(t);
            }
        }
    }
    (values, tissues)
}

/// Rotation by `pitch`, `roll`, `yaw` degrees about the L, P and S axes (applied in that order).
pub fn rotation(pitch: f64, roll: f64, yaw: f64) -> [[f64; 3]; 3] {
    let (sp, cp) = pitch.to_radians().sin_cos();
    let (sr, cr) = roll.to_radians().sin_cos();
    let (sy, cy) = yaw.to_radians().sin_cos();
    let rx = [[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]];
    let ry = [[cr, 0.0, sr], [0.0, 1.0, 0.0], [-sr, 0.0, cr]];
    let rz = [[cy, -sy, 0.0], [sy, cy, 0.0], [0.0, 0.0, 1.0]];
    mul(rz, mul(ry, rx))
}

fn mul(a: [[f64; 3]; 3], b: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut m = [[0.0; 3]; 3];
    for (r, row) in m.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = (0..3).map(|t| a[r][t] * b[t][c]).sum();
        }
    }
    m
}

/// An axial grid of `spacing` mm voxels covering the phantom (260 × 240 × 240 mm).
pub fn axial_grid(spacing: f64) -> Grid {
    let n = |mm: f64| (mm / spacing).round() as usize;
    let dims = [n(200.0), n(240.0), n(250.0)];
    Grid {
        dims,
        origin: [-100.0, -120.0, -130.0],
        steps: [[spacing, 0.0, 0.0], [0.0, spacing, 0.0], [0.0, 0.0, spacing]],
    }
}

/// A sagittal grid over the same field: rows run A→P... (i along P, j along −S, slices along L).
pub fn sagittal_grid(spacing: f64) -> Grid {
    let n = |mm: f64| (mm / spacing).round() as usize;
    Grid {
        dims: [n(240.0), n(250.0), n(200.0)],
        origin: [-100.0, -120.0, 120.0],
        steps: [[0.0, spacing, 0.0], [0.0, 0.0, -spacing], [spacing, 0.0, 0.0]],
    }
}
