//! libFuzzer entry point of the `candidate_table` target: see [`softkit_fuzz::candidate_table`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| softkit_fuzz::candidate_table(data));
