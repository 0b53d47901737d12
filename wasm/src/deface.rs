//! `defaceSeries`: remove the face from a CT/MR head series in the browser or in Node, with the
//! same code as `kakou deface` (and then the same de-identification as `deidentifyDicom`).
//!
//! Worker-friendly: takes the slices as an array of byte arrays (`Uint8Array`, or
//! `{ name, bytes }` objects), reports progress through an optional callback, and returns plain
//! objects that survive `postMessage`.
//!
//! ```js
//! const { files, summary, qc } = defaceSeries(slices, { key }, (stage, fraction) => bar(fraction), true);
//! ```

use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use kakou_dicom::Deidentifier;
use kakou_dicom::deface::deface_series as deface_core;
use kakou_sdk::deface::DefaceOptions;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::error::Failure;
use crate::{DeidentifyOptions, read_options, result_object};

/// Defaces one series and de-identifies every slice. `slices`: the series' files in any order.
/// `onProgress(stage, fraction)` is called as work proceeds; `withQc` adds `qc`: a greyscale
/// render sheet (front and side, before on top, after below) as `{ width, height, pixels }`.
///
/// Returns `{ files: [{ name, bytes, report }], summary, qc }`, files in slice order. Throws a
/// `KakouError` whose `code` says why a series is refused (`too-few-slices`, `localizer`,
/// `inconsistent-series`, `not-a-head`, `modality`, `undecodable-pixels`, …); nothing is
/// returned for a refused series.
#[wasm_bindgen(js_name = defaceSeries)]
pub fn deface_series(
    slices: Array,
    options: &DeidentifyOptions,
    on_progress: Option<Function>,
    with_qc: Option<bool>,
) -> Result<JsValue, JsValue> {
    let opts = read_options(options)?;
    let deid = Deidentifier::new(opts.key()?, opts.policy()?)
        .map_err(|e| Failure::new("policy-error", format!("policy: {e}")))?;
    let files = read_slices(&slices)?;
    let mut progress = |stage: &'static str, fraction: f32| {
        if let Some(f) = &on_progress {
            let _ = f.call2(&JsValue::NULL, &JsValue::from_str(stage), &JsValue::from_f64(f64::from(fraction)));
        }
    };
    let done = deface_core(&files, &deid, &DefaceOptions::default(), with_qc.unwrap_or(false), &mut progress)
        .map_err(|e| Failure::new(e.code(), e.to_string()))?;
    let out = Object::new();
    let list = Array::new();
    for f in &done.files {
        let item = result_object(&f.bytes, &f.report)?;
        Reflect::set(&item, &"name".into(), &JsValue::from_str(&f.report.file))?;
        list.push(&item);
    }
    Reflect::set(&out, &"files".into(), &list)?;
    let summary = Object::new();
    let set = |k: &str, v: JsValue| Reflect::set(&summary, &k.into(), &v);
    set("modality", JsValue::from_str(&done.modality))?;
    set("dims", Array::of3(&done.dims[0].into(), &done.dims[1].into(), &done.dims[2].into()).into())?;
    set("brainVolumeMl", done.plan.brain_volume_ml.into())?;
    set("tissueRemovedMl", done.plan.tissue_removed_ml.into())?;
    set("voxelsRemoved", (done.plan.voxels_removed as f64).into())?;
    set("voxelsSealed", (done.plan.voxels_sealed as f64).into())?;
    set("earTissueRemovedMl", done.plan.ear_tissue_removed_ml.into())?;
    set("transcoded", done.transcoded.into())?;
    Reflect::set(&out, &"summary".into(), &summary)?;
    let qc = match &done.qc {
        Some(img) => {
            let o = Object::new();
            Reflect::set(&o, &"width".into(), &(img.width as f64).into())?;
            Reflect::set(&o, &"height".into(), &(img.height as f64).into())?;
            Reflect::set(&o, &"pixels".into(), &Uint8Array::from(img.pixels.as_slice()))?;
            o.into()
        }
        None => JsValue::NULL,
    };
    Reflect::set(&out, &"qc".into(), &qc)?;
    Ok(out.into())
}

/// `Uint8Array`s (named `slice-0001` …) or `{ name, bytes }` objects.
fn read_slices(slices: &Array) -> Result<Vec<(String, Vec<u8>)>, Failure> {
    let mut out = Vec::with_capacity(slices.length() as usize);
    for (n, item) in slices.iter().enumerate() {
        if let Some(bytes) = item.dyn_ref::<Uint8Array>() {
            out.push((format!("slice-{:04}", n + 1), bytes.to_vec()));
            continue;
        }
        let bytes = Reflect::get(&item, &"bytes".into()).ok().and_then(|b| b.dyn_into::<Uint8Array>().ok());
        let name = Reflect::get(&item, &"name".into()).ok().and_then(|v| v.as_string());
        match bytes {
            Some(b) => out.push((name.unwrap_or_else(|| format!("slice-{:04}", n + 1)), b.to_vec())),
            None => {
                return Err(Failure::new(
                    "invalid-options",
                    format!("slices[{n}]: expected a Uint8Array or {{ name, bytes: Uint8Array }}"),
                ));
            }
        }
    }
    Ok(out)
}
