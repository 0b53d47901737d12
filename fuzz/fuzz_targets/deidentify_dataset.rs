//! Only the "valid header, fuzzed data set" variant of `deidentify`: byte 0 picks the preset
//! (`% 3`), byte 1 the transfer syntax of the file meta group (`% 8`), the rest is the data set.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let [preset, ts, dataset @ ..] = data {
        kakou_fuzz::run_dataset(*preset, *ts, dataset);
    }
});
