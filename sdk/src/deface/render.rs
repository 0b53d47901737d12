//! Quality-control renders: the skin surface seen from the front and from the side, ray-cast in
//! the head frame, so a person can check at a glance that the face is gone and the head intact.
//! Pure pixels (8-bit grey); the caller encodes PNG.

use super::geometry::{Grid, HeadFrame};

/// An 8-bit greyscale image, row-major, top row first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

/// Half-width of the rendered field (mm).
const HALF_FIELD_MM: f64 = 125.0;

/// Surface render of `values > threshold` seen from `yaw_deg` (0 = facing the patient's face,
/// 90 = from the patient's left).
pub fn surface(values: &[f32], grid: &Grid, frame: &HeadFrame, threshold: f32, yaw_deg: f64) -> Gray {
    let (s, c) = yaw_deg.to_radians().sin_cos();
    // viewing direction (into the head) and image axes, in patient space
    let toward = [0, 1, 2].map(|a| -(c * frame.anterior[a] + s * frame.left[a]));
    let right = [0, 1, 2].map(|a| c * frame.left[a] - s * frame.anterior[a]);
    let up = frame.superior;
    // pixels and ray steps follow the voxel size: no detail is lost, coarse grids render fast
    let finest = grid.spacing().iter().copied().fold(f64::INFINITY, f64::min);
    let pixel_mm = (0.75 * finest).max(1.0);
    let n = (2.0 * HALF_FIELD_MM / pixel_mm) as usize;
    let mut depth = vec![f64::INFINITY; n * n];
    let Some(_) = grid.voxel_of(grid.origin) else {
        return Gray { width: n, height: n, pixels: vec![0; n * n] };
    };
    let voxel = |x: [f64; 3]| grid.voxel_of(x).unwrap_or([-1.0; 3]);
    let step_mm = (0.5 * finest).max(0.5);
    let steps = (2.0 * HALF_FIELD_MM / step_mm) as usize;
    let march = [0, 1, 2].map(|a| toward[a] * step_mm);
    let dv = {
        let o = voxel(grid.origin);
        let m = voxel([0, 1, 2].map(|a| grid.origin[a] + march[a]));
        [m[0] - o[0], m[1] - o[1], m[2] - o[2]]
    };
    for row in 0..n {
        let v = HALF_FIELD_MM - (row as f64 + 0.5) * pixel_mm;
        for col in 0..n {
            let u = -HALF_FIELD_MM + (col as f64 + 0.5) * pixel_mm;
            let start = [0, 1, 2].map(|a| frame.centre[a] + u * right[a] + v * up[a] - HALF_FIELD_MM * toward[a]);
            let mut p = voxel(start);
            for t in 0..steps {
                if let Some(value) = sample(values, grid, p)
                    && value > threshold
                {
                    depth[row * n + col] = t as f64 * step_mm;
                    break;
                }
                for a in 0..3 {
                    p[a] += dv[a];
                }
            }
        }
    }
    Gray { width: n, height: n, pixels: shade(&depth, n) }
}

fn sample(values: &[f32], grid: &Grid, p: [f64; 3]) -> Option<f32> {
    let idx = [0, 1, 2].map(|a| p[a].round());
    if (0..3).any(|a| idx[a] < 0.0 || idx[a] >= grid.dims[a] as f64) {
        return None;
    }
    values.get(grid.index(idx[0] as usize, idx[1] as usize, idx[2] as usize)).copied()
}

/// Lambert shading of a depth map with a light from the upper left front; background black.
fn shade(depth: &[f64], n: usize) -> Vec<u8> {
    let at = |r: usize, c: usize| depth[r.min(n - 1) * n + c.min(n - 1)];
    let light = {
        let l: [f64; 3] = [-0.4, 0.5, 1.0];
        let len = (l[0] * l[0] + l[1] * l[1] + l[2] * l[2]).sqrt();
        l.map(|x| x / len)
    };
    let mut out = vec![0u8; n * n];
    for r in 0..n {
        for c in 0..n {
            let d = at(r, c);
            if !d.is_finite() {
                continue;
            }
            let near = |dr: isize, dc: isize| {
                let (rr, cc) = ((r as isize + dr).max(0) as usize, (c as isize + dc).max(0) as usize);
                let x = at(rr, cc);
                if x.is_finite() { x } else { d }
            };
            let gx = (near(0, 1) - near(0, -1)) / 2.0;
            let gy = (near(-1, 0) - near(1, 0)) / 2.0;
            let len = (gx * gx + gy * gy + 1.0).sqrt();
            let normal = [-gx / len, -gy / len, 1.0 / len];
            let lambert = (normal[0] * light[0] + normal[1] * light[1] + normal[2] * light[2]).max(0.0);
            out[r * n + c] = (40.0 + 215.0 * lambert).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// A QC sheet: front and side renders of the original (top row) and of the defaced volume
/// (bottom row).
pub fn qc_sheet(before: &[f32], after: &[f32], grid: &Grid, frame: &HeadFrame, threshold: f32) -> Gray {
    let tiles = [
        surface(before, grid, frame, threshold, 0.0),
        surface(before, grid, frame, threshold, 90.0),
        surface(after, grid, frame, threshold, 0.0),
        surface(after, grid, frame, threshold, 90.0),
    ];
    let (w, h) = (tiles[0].width, tiles[0].height);
    let mut sheet = Gray { width: 2 * w, height: 2 * h, pixels: vec![0; 4 * w * h] };
    for (t, tile) in tiles.iter().enumerate() {
        let (ox, oy) = ((t % 2) * w, (t / 2) * h);
        for r in 0..h {
            let dst = (oy + r) * sheet.width + ox;
            sheet.pixels[dst..dst + w].copy_from_slice(&tile.pixels[r * w..(r + 1) * w]);
        }
    }
    sheet
}
