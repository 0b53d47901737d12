//! # kakou-dicom: DICOM de-identification
//!
//! Implements the PS3.15 Annex E Basic Application Level Confidentiality Profile with all of its
//! options on top of dicom-rs, plus Kakou's rules for Japanese data (仮名加工 / 匿名加工 presets),
//! keyed UID and date mapping from [`kakou_sdk`], and a burned-in-text policy.
//!
//! The crate works on bytes in memory and never touches the file system, so the native CLI and
//! the browser (wasm) run exactly the same code and produce byte-identical output.
//!
//! ```no_run
//! use kakou_dicom::{Deidentifier, Policy, Preset};
//! use kakou_sdk::ProjectKey;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = ProjectKey::from_hex(&std::fs::read_to_string("project.key")?)?;
//! let deid = Deidentifier::new(key, Policy::preset(Preset::JpAnonymized))?;
//! let out = deid.deidentify("CT/0001.dcm", &std::fs::read("CT/0001.dcm")?)?;
//! std::fs::write("out/0001.dcm", &out.bytes)?;
//! println!("{:?}: {} actions", out.report.outcome, out.report.actions.len());
//! # Ok(()) }
//! ```
//!
//! Modules: [`profile`] (Table E.1-1 as data), [`safe_private`] (Table E.3.10-1), [`policy`]
//! (presets and options), [`walk`] (the recursive rewrite), [`burned_in`] (pixel risk and region
//! blanking), [`marking`] (de-identification markers), [`report`].

pub mod burned_in;
pub mod charset;
pub mod deface;
mod deid;
pub mod error;
pub mod guard;
pub mod marking;
pub mod policy;
pub mod profile;
pub mod report;
pub mod safe_private;
pub mod series;
pub mod synthetic;
pub mod walk;

pub use deid::{Deidentifier, IMPLEMENTATION_CLASS_UID, Processed};
pub use error::{DeidError, ErrorKind};
pub use policy::{Policy, PolicyError, PolicyRequest, Preset};
pub use report::FileReport;
