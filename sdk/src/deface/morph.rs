//! Binary morphology on small 3-D grids: Euclidean distance transform (so erosion and dilation
//! are true balls in mm on anisotropic voxels), connected components, hole filling, Otsu.
//!
//! The defacer works on a ~2 mm copy of the volume, where these run in tens of milliseconds.

/// Squared Euclidean distance (mm²) from every voxel to the nearest `true` voxel of `mask`
/// (Felzenszwalb & Huttenlocher's separable lower-envelope algorithm, with per-axis spacing).
/// Voxels of the mask get 0; with no `true` voxel at all every distance is infinite.
pub fn distance_sq_to(mask: &[bool], dims: [usize; 3], spacing: [f64; 3]) -> Vec<f32> {
    let mut d = vec![f32::INFINITY; mask.len()];
    binary_rows(mask, dims, spacing[0], &mut d);
    envelope_pass(&mut d, dims, 1, spacing[1]);
    envelope_pass(&mut d, dims, 2, spacing[2]);
    d
}

/// [`distance_sq_to`], exact up to `max_mm` and infinite beyond: only the bounding box of the
/// mask grown by `max_mm` is transformed (the brain and the face region fill a fraction of the
/// field of view, and callers only compare the distance with a few millimetres).
pub fn distance_sq_within(mask: &[bool], dims: [usize; 3], spacing: [f64; 3], max_mm: f64) -> Vec<f32> {
    let Some(bbox) = Crop::around(mask, dims, pad_for(spacing, max_mm)) else {
        return vec![f32::INFINITY; mask.len()];
    };
    let inner = distance_sq_to(&bbox.extract(mask), bbox.dims, spacing);
    bbox.paste(&inner, f32::INFINITY)
}

/// Voxels per axis that cover `mm`, plus one.
fn pad_for(spacing: [f64; 3], mm: f64) -> [usize; 3] {
    spacing.map(|s| if s > 0.0 { (mm / s).ceil() as usize + 1 } else { 1 })
}

/// A box of the grid: where a mask's `true` voxels are, with some room around them. Morphology
/// inside the box gives the same result as on the whole grid when the room is wide enough, at
/// a fraction of the cost.
pub(crate) struct Crop {
    lo: [usize; 3],
    /// Size of the box.
    dims: [usize; 3],
    /// Size of the whole grid.
    full: [usize; 3],
}

impl Crop {
    /// The bounding box of `mask` grown by `pad` voxels per axis (clamped to the grid), or
    /// `None` for an empty mask.
    pub(crate) fn around(mask: &[bool], dims: [usize; 3], pad: [usize; 3]) -> Option<Crop> {
        let [nx, ny, _] = dims;
        let (mut lo, mut hi) = ([usize::MAX; 3], [0usize; 3]);
        for (row_index, row) in mask.chunks(nx.max(1)).enumerate() {
            let Some(first) = row.iter().position(|&m| m) else { continue };
            let last = row.iter().rposition(|&m| m).unwrap_or(first);
            let (j, k) = (row_index % ny, row_index / ny);
            for (a, (l, h)) in [(first, last), (j, j), (k, k)].into_iter().enumerate() {
                lo[a] = lo[a].min(l);
                hi[a] = hi[a].max(h);
            }
        }
        if lo[0] == usize::MAX {
            return None;
        }
        let lo_p = [0, 1, 2].map(|a| lo[a].saturating_sub(pad[a]));
        let hi_p = [0, 1, 2].map(|a| (hi[a] + pad[a]).min(dims[a] - 1));
        Some(Crop { lo: lo_p, dims: [0, 1, 2].map(|a| hi_p[a] - lo_p[a] + 1), full: dims })
    }

    /// The part of a full-grid field inside the box.
    pub(crate) fn extract<T: Copy>(&self, full: &[T]) -> Vec<T> {
        let (c, f) = (self.dims, self.full);
        let mut out = Vec::with_capacity(c[0] * c[1] * c[2]);
        for k in 0..c[2] {
            for j in 0..c[1] {
                let start = self.lo[0] + f[0] * (self.lo[1] + j + f[1] * (self.lo[2] + k));
                out.extend_from_slice(&full[start..start + c[0]]);
            }
        }
        out
    }

    /// A full-grid field: `inner` inside the box, `outside` elsewhere.
    pub(crate) fn paste<T: Copy>(&self, inner: &[T], outside: T) -> Vec<T> {
        let (c, dims) = (self.dims, self.full);
        let mut out = vec![outside; dims[0] * dims[1] * dims[2]];
        for (row_index, row) in inner.chunks(c[0]).enumerate() {
            let (j, k) = (row_index % c[1], row_index / c[1]);
            let start = self.lo[0] + dims[0] * (self.lo[1] + j + dims[1] * (self.lo[2] + k));
            out[start..start + c[0]].copy_from_slice(row);
        }
        out
    }
}

/// First pass of the transform, on the binary mask: squared distance along each row to the
/// nearest `true` voxel of that row (two sweeps, no envelope needed).
fn binary_rows(mask: &[bool], dims: [usize; 3], spacing: f64, d: &mut [f32]) {
    let nx = dims[0];
    let sp = spacing as f32;
    for (row, out) in mask.chunks(nx).zip(d.chunks_mut(nx)) {
        let mut last: Option<usize> = None;
        for (i, (&m, o)) in row.iter().zip(out.iter_mut()).enumerate() {
            if m {
                last = Some(i);
            }
            *o = last.map_or(f32::INFINITY, |l| ((i - l) as f32 * sp).powi(2));
        }
        let mut next: Option<usize> = None;
        for (i, (&m, o)) in row.iter().zip(out.iter_mut()).enumerate().rev() {
            if m {
                next = Some(i);
            }
            if let Some(n) = next {
                *o = o.min(((n - i) as f32 * sp).powi(2));
            }
        }
    }
}

/// One lower-envelope pass along `axis` (1 or 2). The lines of one slab (fixed k for axis 1,
/// fixed j for axis 2) are gathered row by row into a contiguous buffer, so memory is read in
/// whole rows instead of one value per cache line. With the `parallel` feature the slabs run on
/// all cores (axis 1 in place; axis 2, whose slabs interleave, computed apart and written back).
fn envelope_pass(d: &mut [f32], dims: [usize; 3], axis: usize, spacing: f64) {
    let [nx, ny, nz] = dims;
    let sp2 = (spacing * spacing) as f32;
    if axis == 1 {
        let slab_pass = |slab: &mut [f32]| {
            let mut buf = gather(slab, nx, ny, nx);
            envelope_lines(&mut buf, ny, sp2);
            scatter(&buf, slab, nx, ny, nx);
        };
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            d.par_chunks_mut(nx * ny).for_each(slab_pass);
        }
        #[cfg(not(feature = "parallel"))]
        d.chunks_mut(nx * ny).for_each(slab_pass);
        return;
    }
    let stride = nx * ny;
    let slab_of = |j: usize, d: &[f32]| {
        let mut buf = gather(&d[j * nx..], nx, nz, stride);
        envelope_lines(&mut buf, nz, sp2);
        buf
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        let shared: &[f32] = d;
        let slabs: Vec<Vec<f32>> = (0..ny).into_par_iter().map(|j| slab_of(j, shared)).collect();
        for (j, buf) in slabs.iter().enumerate() {
            scatter(buf, &mut d[j * nx..], nx, nz, stride);
        }
    }
    #[cfg(not(feature = "parallel"))]
    for j in 0..ny {
        let buf = slab_of(j, d);
        scatter(&buf, &mut d[j * nx..], nx, nz, stride);
    }
}

/// Rows `t * stride .. t * stride + nx` of `src` (t < n), transposed: line i is `out[i*n..][..n]`.
fn gather(src: &[f32], nx: usize, n: usize, stride: usize) -> Vec<f32> {
    let mut buf = vec![0f32; nx * n];
    for t in 0..n {
        for (i, v) in src[t * stride..t * stride + nx].iter().enumerate() {
            buf[i * n + t] = *v;
        }
    }
    buf
}

/// The inverse of [`gather`].
fn scatter(buf: &[f32], dst: &mut [f32], nx: usize, n: usize, stride: usize) {
    for t in 0..n {
        for (i, v) in dst[t * stride..t * stride + nx].iter_mut().enumerate() {
            *v = buf[i * n + t];
        }
    }
}

/// The 1-D transform of every line (length `n`) of a gathered slab.
fn envelope_lines(buf: &mut [f32], n: usize, sp2: f32) {
    let mut out = Vec::new();
    let mut scratch = Scratch::default();
    for line in buf.chunks_mut(n) {
        if line.iter().all(|v| v.is_infinite()) {
            continue;
        }
        envelope_1d(line, sp2, &mut out, &mut scratch);
        line.copy_from_slice(&out);
    }
}

#[derive(Default)]
struct Scratch {
    v: Vec<usize>,
    z: Vec<f32>,
}

/// 1-D squared distance transform of sampled function `f` with squared sample spacing `sp2`.
fn envelope_1d(f: &[f32], sp2: f32, out: &mut Vec<f32>, s: &mut Scratch) {
    let n = f.len();
    out.clear();
    out.resize(n, f32::INFINITY);
    s.v.clear();
    s.z.clear();
    let first = match f.iter().position(|x| x.is_finite()) {
        Some(p) => p,
        None => return,
    };
    s.v.push(first);
    s.z.push(f32::NEG_INFINITY);
    let inter = |q: usize, p: usize, f: &[f32]| -> f32 {
        let (qf, pf) = (q as f32, p as f32);
        ((f[q] + sp2 * qf * qf) - (f[p] + sp2 * pf * pf)) / (2.0 * sp2 * (qf - pf))
    };
    for q in first + 1..n {
        if !f[q].is_finite() {
            continue;
        }
        loop {
            let k = s.v.len() - 1;
            let x = inter(q, s.v[k], f);
            if x <= s.z[k] && k > 0 {
                s.v.pop();
                s.z.pop();
                continue;
            }
            if x <= s.z[k] {
                // k == 0: q dominates everything
                s.v[0] = q;
                break;
            }
            s.v.push(q);
            s.z.push(x);
            break;
        }
    }
    let mut k = 0;
    for (q, o) in out.iter_mut().enumerate() {
        while k + 1 < s.v.len() && s.z[k + 1] < q as f32 {
            k += 1;
        }
        let p = s.v[k];
        let dq = q as f32 - p as f32;
        *o = sp2 * dq * dq + f[p];
    }
}

/// `mask` shrunk by a ball of `radius_mm`. Only the mask's bounding box (plus one voxel of
/// background) is transformed: the nearest background voxel of any mask voxel lies inside it.
pub fn erode(mask: &[bool], dims: [usize; 3], spacing: [f64; 3], radius_mm: f64) -> Vec<bool> {
    let Some(bbox) = Crop::around(mask, dims, [1; 3]) else {
        return vec![false; mask.len()];
    };
    let inverse: Vec<bool> = bbox.extract(mask).iter().map(|&m| !m).collect();
    let d = distance_sq_to(&inverse, bbox.dims, spacing);
    let r2 = (radius_mm * radius_mm) as f32;
    let inner: Vec<bool> = d.iter().map(|&x| x > r2).collect();
    bbox.paste(&inner, false)
}

/// `mask` grown by a ball of `radius_mm` (computed in the mask's bounding box grown by the
/// radius: nothing farther can be reached).
pub fn dilate(mask: &[bool], dims: [usize; 3], spacing: [f64; 3], radius_mm: f64) -> Vec<bool> {
    let r2 = (radius_mm * radius_mm) as f32;
    distance_sq_within(mask, dims, spacing, radius_mm).iter().map(|&x| x <= r2).collect()
}

/// 6-connected components of `mask`: a label per voxel (0 = background) and each component's
/// voxel count (index = label − 1).
pub fn components(mask: &[bool], dims: [usize; 3]) -> (Vec<u32>, Vec<usize>) {
    // Labelled inside the bounding box: the scan order, and so the labels, are the same.
    let Some(bbox) = Crop::around(mask, dims, [0; 3]) else {
        return (vec![0; mask.len()], Vec::new());
    };
    let (labels, sizes) = components_in(&bbox.extract(mask), bbox.dims);
    (bbox.paste(&labels, 0), sizes)
}

fn components_in(mask: &[bool], dims: [usize; 3]) -> (Vec<u32>, Vec<usize>) {
    let [nx, ny, nz] = dims;
    let mut labels = vec![0u32; mask.len()];
    let mut sizes = Vec::new();
    let mut stack = Vec::new();
    for seed in 0..mask.len() {
        if !mask[seed] || labels[seed] != 0 {
            continue;
        }
        let label = sizes.len() as u32 + 1;
        let mut size = 0;
        labels[seed] = label;
        stack.push(seed);
        while let Some(p) = stack.pop() {
            size += 1;
            let (i, j, k) = (p % nx, (p / nx) % ny, p / (nx * ny));
            let mut visit = |q: usize| {
                if mask[q] && labels[q] == 0 {
                    labels[q] = label;
                    stack.push(q);
                }
            };
            if i > 0 {
                visit(p - 1);
            }
            if i + 1 < nx {
                visit(p + 1);
            }
            if j > 0 {
                visit(p - nx);
            }
            if j + 1 < ny {
                visit(p + nx);
            }
            if k > 0 {
                visit(p - nx * ny);
            }
            if k + 1 < nz {
                visit(p + nx * ny);
            }
        }
        sizes.push(size);
    }
    (labels, sizes)
}

/// The largest 6-connected component of `mask` (empty if `mask` is empty).
pub fn largest_component(mask: &[bool], dims: [usize; 3]) -> Vec<bool> {
    let (labels, sizes) = components(mask, dims);
    let Some(best) = sizes.iter().enumerate().max_by_key(|(_, s)| **s).map(|(i, _)| i as u32 + 1) else {
        return vec![false; mask.len()];
    };
    labels.iter().map(|&l| l == best).collect()
}

/// `mask` with every cavity not connected to the grid border filled.
pub fn fill_holes(mask: &[bool], dims: [usize; 3]) -> Vec<bool> {
    // Flooded inside the bounding box plus one voxel: the box's border voxels are either on the
    // grid's border or outside the mask, joined to the grid's border through background.
    let Some(bbox) = Crop::around(mask, dims, [1; 3]) else {
        return vec![false; mask.len()];
    };
    bbox.paste(&fill_holes_in(&bbox.extract(mask), bbox.dims), false)
}

fn fill_holes_in(mask: &[bool], dims: [usize; 3]) -> Vec<bool> {
    let [nx, ny, nz] = dims;
    let mut outside = vec![false; mask.len()];
    let mut stack = Vec::new();
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let border = i == 0 || j == 0 || k == 0 || i + 1 == nx || j + 1 == ny || k + 1 == nz;
                let p = i + nx * (j + ny * k);
                if border && !mask[p] && !outside[p] {
                    outside[p] = true;
                    stack.push(p);
                }
            }
        }
    }
    while let Some(p) = stack.pop() {
        let (i, j, k) = (p % nx, (p / nx) % ny, p / (nx * ny));
        let mut visit = |q: usize| {
            if !mask[q] && !outside[q] {
                outside[q] = true;
                stack.push(q);
            }
        };
        if i > 0 {
            visit(p - 1);
        }
        if i + 1 < nx {
            visit(p + 1);
        }
        if j > 0 {
            visit(p - nx);
        }
        if j + 1 < ny {
            visit(p + nx);
        }
        if k > 0 {
            visit(p - nx * ny);
        }
        if k + 1 < nz {
            visit(p + nx * ny);
        }
    }
    outside.iter().map(|&o| !o).collect()
}

/// Otsu's threshold of `values` (256 bins between their minimum and maximum).
pub fn otsu(values: impl Iterator<Item = f32> + Clone) -> Option<f32> {
    let (lo, hi) = values.clone().fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    const BINS: usize = 256;
    let width = (hi - lo) / BINS as f32;
    let mut hist = [0f64; BINS];
    for v in values {
        let b = (((v - lo) / width) as usize).min(BINS - 1);
        hist[b] += 1.0;
    }
    let total: f64 = hist.iter().sum();
    let sum_all: f64 = hist.iter().enumerate().map(|(i, h)| i as f64 * h).sum();
    let (mut w0, mut sum0, mut best, mut best_t) = (0.0, 0.0, -1.0, 0);
    for (t, h) in hist.iter().enumerate() {
        w0 += h;
        sum0 += t as f64 * h;
        let w1 = total - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let (m0, m1) = (sum0 / w0, (sum_all - sum0) / w1);
        let between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if between > best {
            best = between;
            best_t = t;
        }
    }
    Some(lo + width * (best_t as f32 + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(mask: &[bool], dims: [usize; 3], sp: [f64; 3]) -> Vec<f32> {
        let idx = |p: usize| [p % dims[0], (p / dims[0]) % dims[1], p / (dims[0] * dims[1])];
        (0..mask.len())
            .map(|p| {
                let a = idx(p);
                (0..mask.len())
                    .filter(|&q| mask[q])
                    .map(|q| {
                        let b = idx(q);
                        (0..3).map(|t| ((a[t] as f64 - b[t] as f64) * sp[t]).powi(2)).sum::<f64>() as f32
                    })
                    .fold(f32::INFINITY, f32::min)
            })
            .collect()
    }

    #[test]
    fn distance_transform_matches_brute_force_on_anisotropic_voxels() {
        let dims = [7, 6, 5];
        let sp = [1.0, 0.7, 2.5];
        let mut mask = vec![false; 210];
        for p in [3, 50, 111, 208] {
            mask[p] = true;
        }
        let fast = distance_sq_to(&mask, dims, sp);
        let slow = brute(&mask, dims, sp);
        for (a, b) in fast.iter().zip(&slow) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
    }

    /// A few random blobs with holes and a cavity, on an anisotropic grid.
    fn blobs(dims: [usize; 3], seed: u64) -> Vec<bool> {
        let mut state = seed;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let centres: Vec<([f64; 3], f64)> = (0..4)
            .map(|_| ([next() * 20.0 + 4.0, next() * 14.0 + 4.0, next() * 10.0 + 3.0], next() * 4.0 + 1.5))
            .collect();
        let mut mask = vec![false; dims[0] * dims[1] * dims[2]];
        for (p, m) in mask.iter_mut().enumerate() {
            let v = [p % dims[0], (p / dims[0]) % dims[1], p / (dims[0] * dims[1])].map(|x| x as f64);
            let inside = |(c, r): &([f64; 3], f64)| (0..3).map(|a| (v[a] - c[a]).powi(2)).sum::<f64>() <= r * r;
            let hull =
                |(c, r): &([f64; 3], f64)| (0..3).map(|a| (v[a] - c[a]).powi(2)).sum::<f64>() <= (r - 1.2) * (r - 1.2);
            *m = centres.iter().any(inside) && !(centres.iter().any(hull) && next() < 0.3);
        }
        mask
    }

    #[test]
    fn cropped_morphology_matches_the_whole_grid() {
        let (dims, sp) = ([30, 22, 16], [1.0, 0.8, 1.6]);
        for seed in 1..6 {
            let mask = blobs(dims, seed);
            let full = brute(&mask, dims, sp);
            let inverse: Vec<bool> = mask.iter().map(|&m| !m).collect();
            let full_inv = brute(&inverse, dims, sp);
            for r in [1.0, 2.5, 4.0] {
                let r2 = (r * r) as f32;
                let want: Vec<bool> = full.iter().map(|&d| d <= r2 + 1e-3).collect();
                assert_eq!(dilate(&mask, dims, sp, r), want, "dilate seed {seed} r {r}");
                let want: Vec<bool> = full_inv.iter().map(|&d| d > r2 + 1e-3).collect();
                assert_eq!(erode(&mask, dims, sp, r), want, "erode seed {seed} r {r}");
                let within = distance_sq_within(&mask, dims, sp, r);
                for (a, b) in within.iter().zip(&full) {
                    assert!(if *b <= r2 { (a - b).abs() < 1e-3 } else { *a > r2 }, "within: {a} vs {b}");
                }
            }
            assert_eq!(fill_holes(&mask, dims), fill_holes_in(&mask, dims), "fill_holes seed {seed}");
            assert_eq!(components(&mask, dims), components_in(&mask, dims), "components seed {seed}");
        }
    }

    #[test]
    fn components_holes_and_otsu() {
        let dims = [5, 5, 5];
        let mut shell = vec![true; 125];
        shell[62] = false; // the centre voxel is a cavity
        shell[0] = false; // a corner touches the border: not a hole
        let filled = fill_holes(&shell, dims);
        assert!(filled[62] && !filled[0]);
        let mut two = vec![false; 125];
        two[0] = true;
        for p in [60, 61, 62, 63] {
            two[p] = true;
        }
        let (_, sizes) = components(&two, dims);
        assert_eq!(sizes, vec![1, 4]);
        assert_eq!(largest_component(&two, dims).iter().filter(|&&b| b).count(), 4);
        let vals = [0.0f32, 1.0, 2.0, 1.0, 100.0, 101.0, 99.0];
        let t = otsu(vals.iter().copied()).unwrap();
        assert!(t > 2.0 && t < 99.0, "{t}");
    }
}
