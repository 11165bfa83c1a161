//! libFuzzer entry point of the `coco_ground_truth` target: see [`softkit_fuzz::coco_ground_truth`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| softkit_fuzz::coco_ground_truth(data));
