//! Voxel grid ↔ patient space, and the head-aligned frame.
//!
//! A DICOM series is a general affine grid: column, row and slice steps are vectors in patient
//! coordinates (LPS, mm), not necessarily orthogonal (gantry tilt shears the slice step). All
//! decisions about "anterior" and "inferior" are made in a frame fitted to the head itself, so a
//! head rotated in the scanner or a sagittal/oblique acquisition is handled like an axial one.

/// A voxel grid in patient space. Voxel `(i, j, k)` lives at index `i + nx * (j + ny * k)` and
/// at `origin + i * steps[0] + j * steps[1] + k * steps[2]` (LPS, mm): `i` runs along a row
/// (DICOM column index), `j` down the rows, `k` over slices.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub dims: [usize; 3],
    pub origin: [f64; 3],
    pub steps: [[f64; 3]; 3],
}

impl Grid {
    pub fn len(&self) -> usize {
        self.dims[0] * self.dims[1] * self.dims[2]
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Step length along each grid axis (mm).
    pub fn spacing(&self) -> [f64; 3] {
        self.steps.map(norm)
    }

    pub fn index(&self, i: usize, j: usize, k: usize) -> usize {
        i + self.dims[0] * (j + self.dims[1] * k)
    }

    /// Patient position of the voxel at linear index `p` (grid order: i fastest).
    pub fn position_of_index(&self, p: usize) -> [f64; 3] {
        let [nx, ny, _] = self.dims;
        self.position([(p % nx) as f64, ((p / nx) % ny) as f64, (p / (nx * ny)) as f64])
    }

    /// Patient position of a (possibly fractional) voxel coordinate.
    pub fn position(&self, p: [f64; 3]) -> [f64; 3] {
        let mut out = self.origin;
        for (a, step) in self.steps.iter().enumerate() {
            for (o, s) in out.iter_mut().zip(step) {
                *o += p[a] * s;
            }
        }
        out
    }

    /// Voxel coordinate of a patient position (inverse affine), or `None` for a degenerate grid.
    pub fn voxel_of(&self, x: [f64; 3]) -> Option<[f64; 3]> {
        let inv = invert3(self.steps)?;
        let d = sub(x, self.origin);
        Some([dot(inv[0], d), dot(inv[1], d), dot(inv[2], d)])
    }
}

/// An orthonormal frame fitted to the head: `centre` and unit vectors towards the patient's
/// left, anterior and superior (patient space).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadFrame {
    pub centre: [f64; 3],
    pub left: [f64; 3],
    pub anterior: [f64; 3],
    pub superior: [f64; 3],
}

impl HeadFrame {
    /// Frame from a point cloud's principal axes, each matched to the closest patient axis
    /// (LPS: +x left, −y anterior, +z superior). Robust to tilts of a few tens of degrees,
    /// independent of which axis is longest.
    pub fn from_points(points: &[[f64; 3]]) -> Option<HeadFrame> {
        if points.len() < 10 {
            return None;
        }
        let n = points.len() as f64;
        let mut c = [0.0; 3];
        for p in points {
            for a in 0..3 {
                c[a] += p[a] / n;
            }
        }
        let mut cov = [[0.0; 3]; 3];
        for p in points {
            let d = sub(*p, c);
            for a in 0..3 {
                for b in 0..3 {
                    cov[a][b] += d[a] * d[b] / n;
                }
            }
        }
        let (vals, vecs) = jacobi_eigen(cov);
        let targets = [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]];
        // the assignment of eigenvectors to patient axes with the largest total alignment
        let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        let score = |p: &[usize; 3]| (0..3).map(|t| dot(vecs[p[t]], targets[t]).abs()).sum::<f64>();
        let best = perms.iter().max_by(|a, b| score(a).total_cmp(&score(b)))?;
        let pick = |t: usize| {
            let v = vecs[best[t]];
            if dot(v, targets[t]) < 0.0 { v.map(|x| -x) } else { v }
        };
        let anterior = pick(1);
        // The left-right and up-down spreads of a brain can be nearly equal; their eigenvectors
        // are then arbitrary within that plane, so the roll falls back to the scanner's left.
        let (vl, vs) = (vals[best[0]], vals[best[2]]);
        let distinct = vl.max(vs) > 1.15 * vl.min(vs);
        let left_hint = if distinct { pick(0) } else { targets[0] };
        let l = sub(left_hint, anterior.map(|x| x * dot(left_hint, anterior)));
        let left = l.map(|x| x / norm(l));
        // right-handed: L × A = −(L × P) = −S ... keep superior consistent with the data
        let mut superior = cross(left, anterior).map(|x| -x);
        if dot(superior, targets[2]) < 0.0 {
            superior = superior.map(|x| -x);
        }
        Some(HeadFrame { centre: c, left, anterior, superior })
    }

    /// Coordinates of a patient position in this frame: (left, anterior, superior) in mm.
    pub fn local(&self, x: [f64; 3]) -> [f64; 3] {
        let d = sub(x, self.centre);
        [dot(d, self.left), dot(d, self.anterior), dot(d, self.superior)]
    }
}

pub fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

pub fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

/// Inverse of the matrix whose *columns* are `cols`; returned as rows.
fn invert3(cols: [[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let [a, b, c] = cols;
    let det = dot(a, cross(b, c));
    if det.abs() < 1e-12 {
        return None;
    }
    let r0 = cross(b, c).map(|x| x / det);
    let r1 = cross(c, a).map(|x| x / det);
    let r2 = cross(a, b).map(|x| x / det);
    Some([r0, r1, r2])
}

/// Eigenvalues and unit eigenvectors of a symmetric 3×3 matrix (cyclic Jacobi rotations).
fn jacobi_eigen(mut m: [[f64; 3]; 3]) -> ([f64; 3], [[f64; 3]; 3]) {
    let mut v = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]; // columns are eigenvectors
    for _sweep in 0..50 {
        let off = m[0][1].powi(2) + m[0][2].powi(2) + m[1][2].powi(2);
        if off < 1e-18 {
            break;
        }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] {
            if m[p][q].abs() < 1e-300 {
                continue;
            }
            let theta = (m[q][q] - m[p][p]) / (2.0 * m[p][q]);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let t = if theta == 0.0 { 1.0 } else { t };
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            for row in m.iter_mut() {
                let (mkp, mkq) = (row[p], row[q]);
                row[p] = c * mkp - s * mkq;
                row[q] = s * mkp + c * mkq;
            }
            let (rp, rq) = (m[p], m[q]);
            for k in 0..3 {
                m[p][k] = c * rp[k] - s * rq[k];
                m[q][k] = s * rp[k] + c * rq[k];
            }
            for row in v.iter_mut() {
                let (vp, vq) = (row[p], row[q]);
                row[p] = c * vp - s * vq;
                row[q] = s * vp + c * vq;
            }
        }
    }
    let col = |k: usize| {
        let x = [v[0][k], v[1][k], v[2][k]];
        let n = norm(x);
        x.map(|e| e / n)
    };
    ([m[0][0], m[1][1], m[2][2]], [col(0), col(1), col(2)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_and_inverse_agree_on_an_oblique_sheared_grid() {
        let g = Grid {
            dims: [4, 5, 6],
            origin: [10.0, -20.0, 30.0],
            steps: [[0.9, 0.1, 0.0], [0.0, 0.8, -0.3], [0.2, 0.3, 1.5]],
        };
        let x = g.position([1.5, 2.0, 3.25]);
        let v = g.voxel_of(x).unwrap();
        for (a, b) in v.iter().zip([1.5, 2.0, 3.25]) {
            assert!((a - b).abs() < 1e-9, "{v:?}");
        }
    }

    #[test]
    fn frame_follows_a_rotated_ellipsoid() {
        // an ellipsoid 80 (A-P) x 65 (L-R) x 50 (S-I) mm, pitched 20 degrees nose-down
        let (s, c) = (20f64.to_radians().sin(), 20f64.to_radians().cos());
        let mut pts = Vec::new();
        for x in -80..=80 {
            for y in -80..=80 {
                for z in -80..=80 {
                    let (x, y, z) = (x as f64, y as f64, z as f64);
                    if (x / 65.0).powi(2) + (y / 80.0).powi(2) + (z / 50.0).powi(2) <= 1.0 {
                        // rotate about the L axis: (y, z) -> (c y - s z, s y + c z)
                        pts.push([x, c * y - s * z, s * y + c * z]);
                    }
                }
            }
        }
        let f = HeadFrame::from_points(&pts).unwrap();
        assert!(dot(f.left, [1.0, 0.0, 0.0]) > 0.999);
        // anterior is −y rotated
        let expected_anterior = [0.0, -c, -s];
        assert!(dot(f.anterior, expected_anterior) > 0.999, "{:?}", f.anterior);
        assert!(dot(f.superior, [0.0, -s, c]) > 0.999, "{:?}", f.superior);
    }
}
