//! `kakou deface`: remove faces from CT/MR head series, then de-identify them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use indicatif::ProgressBar;
use kakou_dicom::deface::{DefacedSeries, deface_series};
use kakou_dicom::series::series_uid;
use kakou_dicom::{Deidentifier, PolicyRequest};
use kakou_sdk::deface::DefaceOptions;
use kakou_sdk::deface::render::Gray;
use kakou_sdk::report::Outcome;
use rayon::prelude::*;
use serde::Serialize;

use crate::batch::{CliError, OutputDir, discover, progress, thread_pool};

/// Remove faces from CT and MR head series (次世代医療基盤法: faces reconstructable in 3-D).
///
/// Reads every file under IN, groups DICOM images by Series Instance UID, assembles each series
/// into a volume from its geometry (any orientation; file order does not matter), removes the
/// face, then de-identifies every slice exactly like `kakou dicom` (same key → same UIDs and
/// pseudonyms). Writes:
///
///   OUT/release/series-NN-MOD/IM_0001.dcm …   defaced, de-identified slices (same geometry)
///   OUT/qc/series-NN-MOD.png                  renders before (top) / after (bottom): CHECK THEM
///   OUT/report.txt, OUT/summary.json           per series: outcome, reason, numbers
///   OUT/report.jsonl                           per file: every attribute action
///
/// METHOD  The intracranial volume is found without a template; everything anterior to a plane
/// behind the frontal pole and below a plane above the floor of the anterior cranial fossa,
/// except a margin around the brain, becomes air (CT −1000 HU, MR background): eyes, nose,
/// mouth, chin and facial bones; the cut is sealed with uniform tissue. The outer ears (thin
/// flaps beside the head at ear height) become air too, unless --keep-ears; the report says how
/// much ear tissue went, or that no ear was found. Markers: (0012,0064) adds 113102 Clean
/// Recognizable Visual Features; (0028,0302) Recognizable Visual Features = NO. See
/// docs/defacing.md.
///
/// UIDS  A defaced series is a new series: new SOP Instance and Series Instance UIDs (keyed),
/// Image Type DERIVED. Its Study and Frame of Reference stay the original's, and are then mapped
/// exactly like `kakou dicom` maps them (Basic profile: keyed replacements, so the defaced
/// series registers with the study's other series de-identified under the same key). To keep
/// the original Study and Frame of Reference UIDs (to overlay the output on the undefaced
/// originals, or to score it with ../shared/eval/deface/score.py, which checks the Frame of
/// Reference UID), add `--option retain-uids` (PS3.15 Retain UIDs Option, 113110).
///
/// REFUSED (reason in the report, nothing written for that series): not CT/MR, localizers, fewer
/// than 20 slices, mixed orientation/size/spacing, duplicate positions, multi-frame or colour
/// images, pixels this build cannot decode, volumes where no head/brain is found.
///
/// EXIT STATUS
///   0  every series was defaced
///   1  nothing was done: bad arguments, key or output folder
///   2  some series were refused or some files unreadable (see the report)
///
/// EXAMPLES
///   kakou deface /data/MRI /data/out --key project.key --preset jp-pseudonymized
///   kakou deface /data/MRI /data/out --key project.key --option retain-uids
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct DefaceArgs {
    /// A folder holding one or more series (or a single series).
    input: PathBuf,
    /// The output folder (created; must be empty).
    output: PathBuf,
    /// The project key file (create one with `kakou keygen`).
    #[arg(long)]
    key: PathBuf,
    /// De-identification preset for the metadata: basic | jp-pseudonymized | jp-anonymized
    #[arg(long, default_value = "basic")]
    preset: String,
    /// Add a profile option (repeatable), as for `kakou dicom`.
    #[arg(long = "option", value_name = "OPTION")]
    options: Vec<String>,
    /// Keep this many mm around the brain untouched (default: CT 7, MR 14).
    #[arg(long)]
    brain_margin: Option<f64>,
    /// Keep the outer ears (they are removed by default: ears can identify a person).
    #[arg(long)]
    keep_ears: bool,
    /// Skip the QC renders (faster; not recommended).
    #[arg(long)]
    no_qc: bool,
    /// Worker threads (default: one per core); series run in parallel.
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// The outcome of one series, for summary.json and report.txt.
#[derive(Serialize)]
struct SeriesLine {
    series: String,
    files: usize,
    outcome: &'static str,
    code: Option<&'static str>,
    reason: Option<String>,
    modality: Option<String>,
    dims: Option<[usize; 3]>,
    new_series_uid: Option<String>,
    brain_ml: Option<f64>,
    tissue_removed_ml: Option<f64>,
    /// Tissue of the outer ears set to air, mL (`None`: kept on request, or not defaced).
    ear_tissue_removed_ml: Option<f64>,
    /// Frontal pole and anterior-fossa floor in the head frame (mm from the brain's centroid).
    landmarks_mm: Option<[f64; 2]>,
    qc_png: Option<String>,
    seconds: f64,
}

pub fn run(args: DefaceArgs) -> Result<ExitCode, CliError> {
    let key = crate::batch::read_key(&args.key)?;
    let policy =
        PolicyRequest { preset: Some(args.preset.clone()), options: args.options.clone(), ..Default::default() }
            .build()
            .map_err(|e| CliError::Usage(e.to_string()))?;
    let deid = Deidentifier::new(key, policy).map_err(|e| CliError::Usage(format!("policy: {e}")))?;
    let options = DefaceOptions { brain_margin_mm: args.brain_margin, keep_ears: args.keep_ears, ..Default::default() };
    let out = OutputDir::create(&args.output, &args.input)?;
    let started = Instant::now();
    let (groups, skipped) = group_by_series(&args.input)?;
    let bar = progress(groups.len(), args.quiet);
    bar.set_message("series");
    let pool = thread_pool(args.jobs)?;
    let indexed: Vec<(usize, &Vec<PathBuf>)> = groups.values().enumerate().collect();
    let mut lines: Vec<(usize, SeriesLine, Vec<String>)> = pool.install(|| {
        indexed
            .par_iter()
            .map(|(n, paths)| {
                let r = one_series(*n + 1, paths, &deid, &options, !args.no_qc, &out, &bar);
                bar.inc(1);
                (*n, r.0, r.1)
            })
            .collect()
    });
    bar.finish_and_clear();
    lines.sort_by_key(|l| l.0);
    let report_lines: Vec<String> = lines.iter_mut().flat_map(|l| std::mem::take(&mut l.2)).collect();
    write(&out.root.join("report.jsonl"), &(report_lines.join("\n") + "\n"))?;
    let series: Vec<SeriesLine> = lines.into_iter().map(|l| l.1).collect();
    let text = report_text(&series, &skipped, started.elapsed().as_secs_f64());
    write(&out.root.join("report.txt"), &text)?;
    let json = serde_json::json!({ "series": series, "skipped_files": skipped });
    write(&out.root.join("summary.json"), &serde_json::to_string_pretty(&json).unwrap_or_default())?;
    if !args.quiet {
        eprint!("{text}");
    }
    let all_ok = series.iter().all(|s| s.outcome == "defaced") && skipped.is_empty() && !series.is_empty();
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

/// Files grouped by Series Instance UID (sorted paths); files that are not DICOM images with a
/// series UID are listed with the reason.
type Groups = (BTreeMap<String, Vec<PathBuf>>, Vec<(String, String)>);

fn group_by_series(input: &Path) -> Result<Groups, CliError> {
    let jobs = discover(input)?;
    let keyed: Vec<(PathBuf, Result<String, String>)> = jobs
        .par_iter()
        .map(|job| {
            let name = job.rel.display().to_string();
            let uid = std::fs::read(&job.path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| series_uid(&name, &bytes).map_err(|e| e.to_string()));
            (job.path.clone(), uid)
        })
        .collect();
    let mut groups: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for (path, uid) in keyed {
        match uid {
            Ok(uid) => groups.entry(uid).or_default().push(path),
            Err(e) => skipped.push((path.display().to_string(), e)),
        }
    }
    Ok((groups, skipped))
}

fn one_series(
    n: usize,
    paths: &[PathBuf],
    deid: &Deidentifier,
    options: &DefaceOptions,
    qc: bool,
    out: &OutputDir,
    bar: &ProgressBar,
) -> (SeriesLine, Vec<String>) {
    let t0 = Instant::now();
    let label = paths.first().and_then(|p| p.parent()).map(|p| p.display().to_string()).unwrap_or_default();
    let mut line = SeriesLine {
        series: label,
        files: paths.len(),
        outcome: "refused",
        code: None,
        reason: None,
        modality: None,
        dims: None,
        new_series_uid: None,
        brain_ml: None,
        tissue_removed_ml: None,
        ear_tissue_removed_ml: None,
        landmarks_mm: None,
        qc_png: None,
        seconds: 0.0,
    };
    let mut files = Vec::with_capacity(paths.len());
    for p in paths {
        match std::fs::read(p) {
            Ok(b) => files.push((p.display().to_string(), b)),
            Err(e) => {
                line.code = Some("unreadable");
                line.reason = Some(format!("{}: {e}", p.display()));
                return (line, Vec::new());
            }
        }
    }
    let mut stage = |s: &'static str, _f: f32| bar.set_message(format!("series {n}: {s}"));
    match deface_series(&files, deid, options, qc, &mut stage) {
        Ok(done) => {
            let written = write_series(n, &done, out);
            line.modality = Some(done.modality.clone());
            line.dims = Some(done.dims);
            line.brain_ml = Some(round1(done.plan.brain_volume_ml));
            line.tissue_removed_ml = Some(round1(done.plan.tissue_removed_ml));
            line.ear_tissue_removed_ml = (!options.keep_ears).then_some(round1(done.plan.ear_tissue_removed_ml));
            line.landmarks_mm = Some([round1(done.plan.frontal_pole_mm), round1(done.plan.frontal_floor_mm)]);
            line.new_series_uid = done.files.first().map(|f| f.report.series_uid.clone());
            match written {
                Ok(png) => {
                    line.outcome = "defaced";
                    line.qc_png = png;
                }
                Err(e) => {
                    line.outcome = "failed";
                    line.code = Some("write-error");
                    line.reason = Some(e.to_string());
                }
            }
            let reports = done.files.iter().filter_map(|f| serde_json::to_string(&f.report).ok()).collect();
            line.seconds = round3(t0.elapsed().as_secs_f64());
            (line, reports)
        }
        Err(e) => {
            line.code = Some(e.code());
            line.reason = Some(e.to_string());
            line.seconds = round3(t0.elapsed().as_secs_f64());
            (line, Vec::new())
        }
    }
}

/// Writes the slices (IM_0001.dcm … in slice order; original names may identify) and the QC PNG.
fn write_series(n: usize, done: &DefacedSeries, out: &OutputDir) -> Result<Option<String>, CliError> {
    let folder = format!("series-{n:02}-{}", sanitize(&done.modality));
    let dir = if done.files.iter().all(|f| f.report.outcome == Outcome::Deidentified) {
        &out.release
    } else {
        &out.quarantine
    };
    for (k, f) in done.files.iter().enumerate() {
        let rel = Path::new(&folder).join(format!("IM_{:04}.dcm", k + 1));
        OutputDir::write_new(dir, &rel, &f.bytes).map_err(|e| CliError::Io(dir.join(&rel).display().to_string(), e))?;
    }
    let Some(qc) = &done.qc else { return Ok(None) };
    let qc_dir = out.root.join("qc");
    std::fs::create_dir_all(&qc_dir).map_err(|e| CliError::Io(qc_dir.display().to_string(), e))?;
    let path = qc_dir.join(format!("{folder}.png"));
    save_png(qc, &path)?;
    Ok(Some(path.display().to_string()))
}

fn save_png(img: &Gray, path: &Path) -> Result<(), CliError> {
    let buf = image::GrayImage::from_raw(img.width as u32, img.height as u32, img.pixels.clone())
        .ok_or_else(|| CliError::Other("QC image has the wrong size".into()))?;
    buf.save_with_format(path, image::ImageFormat::Png).map_err(|e| CliError::Other(format!("{}: {e}", path.display())))
}

/// What happened to the ears, for the report: a scan without ears in view removes none, and the
/// reader should know that nothing was found rather than assume they went.
fn ears_text(removed_ml: Option<f64>) -> String {
    match removed_ml {
        None => "outer ears kept (--keep-ears)".into(),
        Some(ml) if ml < 0.1 => "no outer ear found beside the head (none removed: check the QC)".into(),
        Some(ml) => format!("outer ears removed ({ml:.1} mL)"),
    }
}

fn report_text(series: &[SeriesLine], skipped: &[(String, String)], seconds: f64) -> String {
    let mut t = format!("Kakou defacing — {} series in {seconds:.1} s\n\n", series.len());
    for (n, s) in series.iter().enumerate() {
        match s.outcome {
            "defaced" => t.push_str(&format!(
                "series {:02} {} ({} files, {:?}): DEFACED in {:.2} s — brain {:.0} mL kept, {:.0} mL of face removed; {}\n   QC (check it): {}\n",
                n + 1,
                s.series,
                s.files,
                s.dims.unwrap_or_default(),
                s.seconds,
                s.brain_ml.unwrap_or_default(),
                s.tissue_removed_ml.unwrap_or_default(),
                ears_text(s.ear_tissue_removed_ml),
                s.qc_png.as_deref().unwrap_or("(no QC requested)")
            )),
            _ => t.push_str(&format!(
                "series {:02} {} ({} files): {} [{}] {}\n",
                n + 1,
                s.series,
                s.files,
                s.outcome.to_uppercase(),
                s.code.unwrap_or(""),
                s.reason.as_deref().unwrap_or("")
            )),
        }
    }
    if !skipped.is_empty() {
        t.push_str(&format!("\n{} file(s) skipped (not a DICOM image with a series):\n", skipped.len()));
        for (f, why) in skipped.iter().take(20) {
            t.push_str(&format!("   {f}: {why}\n"));
        }
    }
    t
}

fn sanitize(s: &str) -> String {
    let c: String = s.chars().filter(|c| c.is_ascii_alphanumeric()).take(8).collect();
    if c.is_empty() { "OT".into() } else { c }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|e| CliError::Io(path.display().to_string(), e))
}
