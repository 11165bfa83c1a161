//! libFuzzer entry point of the `coco_results` target: see [`softkit_fuzz::coco_results`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| softkit_fuzz::coco_results(data));
