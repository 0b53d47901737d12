//! Shared code of the fuzz targets: one `Deidentifier` per preset under a fixed key, and a
//! minimal valid Part 10 header (preamble, "DICM", file meta group) to put in front of fuzzer
//! bytes so that the data set parser, not the header check, sees them.

use std::sync::OnceLock;

use kakou_dicom::{Deidentifier, Policy, Preset};
use kakou_sdk::ProjectKey;

pub const PRESETS: [Preset; 3] = [Preset::Basic, Preset::JpPseudonymized, Preset::JpAnonymized];

/// Transfer syntaxes the header can declare (picked by a selector byte).
pub const TRANSFER_SYNTAXES: [&str; 8] = [
    "1.2.840.10008.1.2.1",    // Explicit VR Little Endian
    "1.2.840.10008.1.2",      // Implicit VR Little Endian
    "1.2.840.10008.1.2.2",    // Explicit VR Big Endian (retired)
    "1.2.840.10008.1.2.1.99", // Deflated Explicit VR Little Endian
    "1.2.840.10008.1.2.4.50", // JPEG Baseline (encapsulated pixel data)
    "1.2.840.10008.1.2.4.70", // JPEG Lossless SV1
    "1.2.840.10008.1.2.5",    // RLE Lossless
    "1.2.840.10008.1.2.4.90", // JPEG 2000 Lossless
];

/// The de-identifier for `selector % 3` (basic, jp-pseudonymized, jp-anonymized).
pub fn deidentifier(selector: u8) -> &'static Deidentifier {
    static D: OnceLock<Vec<Deidentifier>> = OnceLock::new();
    let all = D.get_or_init(|| {
        PRESETS
            .iter()
            .map(|p| Deidentifier::new(ProjectKey::from_bytes([7; 32]), Policy::preset(*p)).expect("preset policy"))
            .collect()
    });
    &all[selector as usize % all.len()]
}

fn element(out: &mut Vec<u8>, element: u16, vr: &[u8; 2], value: &[u8]) {
    out.extend_from_slice(&0x0002u16.to_le_bytes());
    out.extend_from_slice(&element.to_le_bytes());
    out.extend_from_slice(vr);
    if vr == b"OB" {
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    } else {
        out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    }
    out.extend_from_slice(value);
}

fn ui(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    if v.len() % 2 == 1 {
        v.push(0);
    }
    v
}

/// 128-byte preamble + "DICM" + a valid file meta group (explicit VR little endian) declaring
/// `TRANSFER_SYNTAXES[ts % 8]`, CT Image Storage, and a fixed SOP Instance UID.
pub fn part10_header(ts: u8) -> Vec<u8> {
    let mut group = Vec::new();
    element(&mut group, 0x0001, b"OB", &[0, 1]);
    element(&mut group, 0x0002, b"UI", &ui("1.2.840.10008.5.1.4.1.1.2"));
    element(&mut group, 0x0003, b"UI", &ui("1.2.3.4.5.6.7.8.9"));
    element(&mut group, 0x0010, b"UI", &ui(TRANSFER_SYNTAXES[ts as usize % TRANSFER_SYNTAXES.len()]));
    element(&mut group, 0x0012, b"UI", &ui("1.2.3.4"));
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    element(&mut out, 0x0000, b"UL", &(group.len() as u32).to_le_bytes());
    out.extend_from_slice(&group);
    out
}

/// Runs the engine on `data`: errors are expected for garbage, a panic or an abort is a bug.
pub fn run(preset: u8, data: &[u8]) {
    let _ = deidentifier(preset).deidentify("fuzz", data);
}

/// Runs the engine on header(`ts`) + `dataset`.
pub fn run_dataset(preset: u8, ts: u8, dataset: &[u8]) {
    let mut input = part10_header(ts);
    input.extend_from_slice(dataset);
    run(preset, &input);
}
