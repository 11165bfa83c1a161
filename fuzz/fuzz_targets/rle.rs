//! libFuzzer entry point of the `rle` target: see [`softkit_fuzz::rle`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| softkit_fuzz::rle(data));
