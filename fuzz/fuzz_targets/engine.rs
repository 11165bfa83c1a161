//! libFuzzer entry point of the `engine` target: see [`softkit_fuzz::engine`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| softkit_fuzz::engine(data));
