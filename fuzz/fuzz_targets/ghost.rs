//! libFuzzer entry point of the `ghost` target: see [`softkit_fuzz::ghost`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| softkit_fuzz::ghost(data));
