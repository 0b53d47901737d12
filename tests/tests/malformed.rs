//! Malformed input: truncations, corrupted bytes, impossible lengths and nesting, taken from real
//! corpus files. Every case must end in Ok or a typed error that names the file: never a panic,
//! and never more memory than a small multiple of the input.
//!
//! A counting global allocator measures the peak heap use of each call; this file holds a single
//! test so that no other test's allocations mix into the count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};

use kakou_dicom::{Deidentifier, Preset};
use kakou_tests::*;

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A small deterministic PRNG (xorshift) so the mutations are the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn mutations(bytes: &[u8], rng: &mut Rng) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for frac in [0.0, 0.1, 0.3, 0.5, 0.9, 0.999] {
        let cut = ((bytes.len() as f64) * frac) as usize;
        out.push((format!("truncated at {cut}"), bytes[..cut].to_vec()));
    }
    let header_end = bytes.len().min(4096);
    for round in 0..6 {
        let mut m = bytes.to_vec();
        for _ in 0..(1 + round * 3) {
            let i = 128 + (rng.next() as usize) % header_end.saturating_sub(128).max(1);
            if i < m.len() {
                m[i] = (rng.next() & 0xFF) as u8;
            }
        }
        out.push((format!("{} header bytes changed (round {round})", 1 + round * 3), m));
    }
    // Every 4-byte window of the first elements set to 0xFFFFFFF0: huge declared lengths.
    for pos in (132..bytes.len().min(1200)).step_by(97) {
        let mut m = bytes.to_vec();
        m[pos..pos + 4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        out.push((format!("huge length at {pos}"), m));
    }
    out
}

#[test]
fn malformed_inputs_give_typed_errors_with_bounded_memory() {
    let deid = Deidentifier::new(test_key(12), preset(Preset::JpAnonymized)).expect("policy");
    for (what, input) in [("empty", &b""[..]), ("text", &b"hello, this is not DICOM at all"[..])] {
        let err = deid.deidentify(what, input).expect_err("refused");
        assert_eq!(err.kind.code(), "not-dicom", "{what}");
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut cases, mut errors) = (0, 0);
    let seeds: Vec<_> = corpus_files().into_iter().filter(|(_, b)| b.len() < 600_000).step_by(5).collect();
    assert!(seeds.len() > 20);
    for (name, bytes) in &seeds {
        for (what, input) in mutations(bytes, &mut rng) {
            let label = format!("{name} ({what})");
            let base = CURRENT.load(Ordering::Relaxed);
            PEAK.store(base, Ordering::Relaxed);
            let result = catch_unwind(AssertUnwindSafe(|| deid.deidentify(&label, &input)));
            let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
            let result = result.unwrap_or_else(|_| panic!("panicked on {label}"));
            let limit = 64 * input.len() + (32 << 20);
            assert!(peak <= limit, "{label}: peak heap {peak} bytes for a {} byte input", input.len());
            if let Err(e) = result {
                errors += 1;
                assert!(e.to_string().starts_with(&label), "error does not name the file: {e}");
            }
            cases += 1;
        }
    }
    // Inputs the fuzzer found (fuzz/regressions): each once cost gigabytes before a typed error.
    let regressions = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut found = 0;
    for entry in std::fs::read_dir(&regressions).expect("fuzz/regressions exists").filter_map(|e| e.ok()) {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "dcm") {
            continue;
        }
        let input = std::fs::read(&path).expect("readable");
        let label = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let base = CURRENT.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let result = catch_unwind(AssertUnwindSafe(|| deid.deidentify(&label, &input)));
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        let err = result.unwrap_or_else(|_| panic!("panicked on {label}")).expect_err("garbage is refused");
        assert!(peak < (64 << 20), "{label}: peak heap {peak} bytes ({err})");
        found += 1;
    }
    assert!(found >= 3, "regression inputs missing");
    assert!(cases > 500, "{cases} cases");
    assert!(errors > cases / 10, "most truncations must be refused ({errors} of {cases})");
}
