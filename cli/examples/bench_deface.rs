//! Times defacing of one series folder natively: volume planning alone (the SDK algorithm) and
//! the whole series pipeline (assemble + plan + write back + de-identify every slice).
//!
//!     cargo run --release -p kakou-cli --example bench_deface -- SERIES_DIR [REPEATS]

use std::time::Instant;

use kakou_dicom::deface::deface_series;
use kakou_dicom::series::assemble;
use kakou_dicom::{Deidentifier, Policy, Preset};
use kakou_sdk::ProjectKey;
use kakou_sdk::deface::{DefaceOptions, Modality, plan};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: bench_deface SERIES_DIR [REPEATS]")?;
    let repeats: usize = std::env::args().nth(2).and_then(|r| r.parse().ok()).unwrap_or(3);
    let mut files = Vec::new();
    for e in std::fs::read_dir(&dir)? {
        let p = e?.path();
        files.push((p.display().to_string(), std::fs::read(&p)?));
    }
    let vol = assemble(&files)?;
    let modality = if vol.modality == "CT" { Modality::Ct } else { Modality::Mr };
    let deid = Deidentifier::new(ProjectKey::from_bytes([1; 32]), Policy::preset(Preset::Basic))?;
    let t0 = Instant::now();
    let mut last = 0.0;
    let first = plan(&vol.values, &vol.grid, modality, &DefaceOptions::default(), &mut |stage, _| {
        let now = t0.elapsed().as_secs_f64();
        eprintln!("  {:>6.3} s  then: {stage}", now - last);
        last = now;
    })?;
    eprintln!(
        "  plan: brain {:.0} mL, pole {:.1} mm, floor {:.1} mm, removed {} voxels, sealed {}, edits hash {:016x}",
        first.brain_volume_ml,
        first.frontal_pole_mm,
        first.frontal_floor_mm,
        first.voxels_removed,
        first.voxels_sealed,
        first.edits.iter().fold(0xcbf29ce484222325u64, |h, e| (h ^ u64::from(*e)).wrapping_mul(0x100000001b3))
    );
    eprintln!(
        "  frame: left {:.3?} anterior {:.3?} superior {:.3?}",
        first.frame.left, first.frame.anterior, first.frame.superior
    );
    let (mut best_plan, mut best_all) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..repeats {
        let t = Instant::now();
        plan(&vol.values, &vol.grid, modality, &DefaceOptions::default(), &mut |_, _| {})?;
        best_plan = best_plan.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        deface_series(&files, &deid, &DefaceOptions::default(), false, &mut |_, _| {})?;
        best_all = best_all.min(t.elapsed().as_secs_f64());
    }
    let d = vol.grid.dims;
    println!(
        "native dims={}x{}x{} voxels={} plan_s={best_plan:.3} series_s={best_all:.3} files={}",
        d[0],
        d[1],
        d[2],
        vol.grid.len(),
        files.len()
    );
    Ok(())
}
