//! Blanking burned-in text on real ultrasound / angiography files of every transfer syntax.

use dicom_dictionary_std::tags;
use dicom_pixeldata::PixelDecoder;
use kakou_dicom::burned_in::{PixelRule, Region};
use kakou_dicom::{Deidentifier, Policy, Preset};
use kakou_sdk::report::Outcome;
use kakou_tests::*;

const BANNER_ROWS: u32 = 40;

/// Decoded pixel bytes plus the layout needed to find the banner.
struct Pixels {
    data: Vec<u8>,
    rows: usize,
    cols: usize,
    spp: usize,
    bytes_per_sample: usize,
    planar: bool,
}

fn decode(bytes: &[u8]) -> Pixels {
    let obj = dicom_object::OpenFileOptions::new().from_reader(&bytes[128..]).expect("parses");
    let d = obj.decode_pixel_data().expect("decodes");
    Pixels {
        data: d.data().to_vec(),
        rows: d.rows() as usize,
        cols: d.columns() as usize,
        spp: d.samples_per_pixel() as usize,
        bytes_per_sample: (d.bits_allocated() as usize).div_ceil(8),
        planar: d.planar_configuration() == dicom_pixeldata::PlanarConfiguration::PixelFirst,
    }
}

impl Pixels {
    /// Whether byte `i` lies in the top banner of its frame (and plane).
    fn in_banner(&self, i: usize) -> bool {
        let row_bytes = self.cols * self.bytes_per_sample * if self.planar { 1 } else { self.spp };
        let plane = self.rows * row_bytes;
        (i % plane) / row_bytes < BANNER_ROWS as usize
    }
}

fn rule_for(manufacturer: &str, rows: u32, columns: u32) -> PixelRule {
    PixelRule {
        name: "top banner".into(),
        manufacturer: Some(manufacturer.into()),
        rows: Some(rows),
        columns: Some(columns),
        regions: vec![Region { x: 0, y: 0, width: columns, height: BANNER_ROWS }],
        ..Default::default()
    }
}

#[test]
fn matching_rule_blanks_the_banner_and_nothing_else_in_every_transfer_syntax() {
    let cases = [
        ("pydicomdata__US1_UNCI.dcm", "G.E.", 480, 640, true), // explicit LE, RGB
        ("pydicomdata__OBXXXX1A_expb_2frame.dcm", "Philips", 600, 800, true), // big endian, 2 frames
        ("pydicomdata__OBXXXX1A_rle_2frame.dcm", "Philips", 600, 800, true), // RLE
        ("pydicomdata__color-pl.dcm", "Acme", 120, 256, true), // planar configuration 1
        ("pydicom__examples_ybr_color.dcm", "SonoSite", 240, 320, false), // JPEG baseline (lossy)
        ("pydicomdata__US1_J2KI.dcm", "G.E.", 480, 640, true), // JPEG 2000 lossless
    ];
    let files = corpus_files();
    for (name, manufacturer, rows, cols, lossless) in cases {
        let (_, bytes) = files.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("{name} in corpus"));
        let mut policy = Policy::preset(Preset::Basic);
        policy.burned_in.rules = vec![rule_for(manufacturer, rows, cols)];
        let deid = Deidentifier::new(test_key(11), policy).expect("policy");
        let out = deid.deidentify(name, bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.report.outcome, Outcome::Deidentified, "{name}: {:?}", out.report.quarantine);

        let before = decode(bytes);
        let after = decode(&out.bytes);
        assert_eq!(before.data.len(), after.data.len(), "{name}: frame size changed");
        let mut banner_bytes = 0;
        for i in 0..after.data.len() {
            if after.in_banner(i) {
                banner_bytes += 1;
                assert_eq!(after.data[i], 0, "{name}: byte {i} in the banner was not blanked");
            } else if lossless {
                assert_eq!(after.data[i], before.data[i], "{name}: byte {i} outside the banner changed");
            }
        }
        assert!(banner_bytes > 0);
        let obj = dicom_object::OpenFileOptions::new().from_reader(&out.bytes[128..]).expect("re-reads");
        let burned = obj.element(tags::BURNED_IN_ANNOTATION).expect("set").to_str().expect("str").to_string();
        assert_eq!(burned, "NO", "{name}");
        let codes: Vec<String> = obj
            .element(tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE)
            .expect("codes")
            .items()
            .expect("sequence")
            .iter()
            .map(|i| i.element(tags::CODE_VALUE).expect("code").to_str().expect("str").to_string())
            .collect();
        assert!(codes.contains(&"113101".to_string()), "{name}: Clean Pixel Data code missing: {codes:?}");
    }
}

#[test]
fn a_rule_for_another_model_or_size_does_not_release_the_file() {
    let files = corpus_files();
    let (name, bytes) = files.iter().find(|(n, _)| n == "pydicomdata__US1_UNCI.dcm").expect("in corpus");
    let mut policy = Policy::preset(Preset::Basic);
    policy.burned_in.rules = vec![rule_for("G.E.", 600, 800), rule_for("Philips", 480, 640)];
    let out = Deidentifier::new(test_key(11), policy).expect("policy").deidentify(name, bytes).expect("ok");
    assert_eq!(out.report.outcome, Outcome::Quarantined);
    assert!(out.report.quarantine.expect("reason").message.contains("no pixel rule matches"));
}
