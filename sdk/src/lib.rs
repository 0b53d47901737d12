//! # kakou-sdk: the rules every Kakou surface shares
//!
//! This crate is the part of Kakou that must behave identically in a hospital's browser (wasm),
//! inside a vendor's EHR (npm package) and in the creator's batch server (native CLI). It therefore
//! holds *rules*, never I/O: no files, no clocks, no threads, no randomness. Everything it computes
//! is a pure function of its inputs and the project key, which is what makes native and wasm
//! outputs byte-identical and lets a run be repeated months later with the same result.
//!
//! - [`key`]: the project key and the purpose-separated sub-keys derived from it.
//! - [`uid`]: keyed, deterministic `2.25.` UIDs (consistent across files, series, runs).
//! - [`pseudonym`]: keyed, non-reversible pseudonyms for patient names and IDs.
//! - [`dates`]: DICOM date/time parsing, per-patient keyed shifting, coarsening.
//! - [`address`]: coarsening Japanese addresses to prefecture or municipality.
//! - [`report`]: the processing report types every capability fills in.
//! - [`package`]: the manifest of an uploaded package, shared by the browser and the server.

pub mod address;
pub mod anonymize;
pub mod date_forms;
pub mod dates;
pub mod deface;
pub mod key;
pub mod linkage;
pub mod package;
pub mod postal;
pub mod pseudonym;
pub mod records;
pub mod report;
pub mod scrub;
pub mod uid;

pub use key::{KeyError, ProjectKey, Purpose};
pub mod text;
