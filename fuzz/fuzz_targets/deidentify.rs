//! Arbitrary bytes into `Deidentifier::deidentify`. First byte: bits 0-6 pick the preset
//! (`% 3`: basic, jp-pseudonymized, jp-anonymized); bit 7 set = the rest is a data set and gets a
//! valid preamble + "DICM" + file meta group in front of it (transfer syntax from the second byte,
//! `% 8`, see `kakou_fuzz::TRANSFER_SYNTAXES`); bit 7 clear = the rest is a whole file as is.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    if first & 0x80 == 0 {
        kakou_fuzz::run(first & 0x7f, rest);
    } else if let Some((&ts, dataset)) = rest.split_first() {
        kakou_fuzz::run_dataset(first & 0x7f, ts, dataset);
    }
});
