//! libFuzzer entry point of the `convex_clip` target: see [`softkit_fuzz::convex_clip`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| softkit_fuzz::convex_clip(data));
