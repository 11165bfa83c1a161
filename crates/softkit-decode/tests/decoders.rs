//! The decoders against plain brute-force readings of each head's definition, on random heads
//! with many ties (values drawn from a few levels), and the real model on tract.

use proptest::prelude::*;
use softkit_decode::{CenterNetHead, ClassActivation, DetrHead, EndToEndHead, HeadTensor, Yolov8Head, YoloxHead};

/// A random `(rows, cols)` tensor whose values come from a few levels, so that ties are common.
fn levels(len: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec((0_u8..6).prop_map(|l| f32::from(l) * 0.2 - 0.1), len)
}

/// Every (position, score) by score descending, ties by position: the ranking the decoders document.
fn ranked(scores: impl Iterator<Item = (usize, f32)>) -> Vec<(usize, f32)> {
    let mut all: Vec<(usize, f32)> = scores.collect();
    all.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap().then(a.0.cmp(&b.0)));
    all
}

proptest! {
    #[test]
    fn detr_top_k_is_the_stable_ranking(logits in levels(7 * 3), boxes in levels(7 * 4), k in 0_usize..25) {
        let head = DetrHead { activation: ClassActivation::Probabilities, top_k: k, score_threshold: 0.0, size: [10.0, 20.0] };
        let c = head.decode(&HeadTensor::new("logits", &[1, 7, 3], &logits).unwrap(), &HeadTensor::new("boxes", &[1, 7, 4], &boxes).unwrap()).unwrap();
        let expected: Vec<(usize, f32)> = ranked(logits.iter().copied().enumerate()).into_iter().filter(|p| p.1 > 0.0).take(k).collect();
        prop_assert_eq!(c.len(), expected.len());
        for (row, &(flat, score)) in expected.iter().enumerate() {
            let (query, class) = (flat / 3, flat % 3);
            prop_assert_eq!((c.labels[row], c.scores[row]), (class as u32, score));
            let b = &boxes[query * 4..query * 4 + 4];
            prop_assert_eq!(c.geometry[row][0], b[0] * 10.0 - b[2] * 10.0 / 2.0);
        }
    }

    #[test]
    fn centernet_peaks_are_the_brute_force_local_maxima(heat in levels(2 * 5 * 4), k in 1_usize..50) {
        let (h, w) = (5_usize, 4_usize);
        let maps = vec![0.0_f32; 2 * h * w];
        let head = CenterNetHead { top_k: k, score_threshold: 0.0, down_ratio: 1.0, heat_is_logits: false };
        let c = head.decode_boxes(
            &HeadTensor::new("heatmap", &[1, 2, 5, 4], &heat).unwrap(),
            &HeadTensor::new("offset", &[1, 2, 5, 4], &maps).unwrap(),
            &HeadTensor::new("size", &[1, 2, 5, 4], &maps).unwrap(),
        ).unwrap();
        // A peak: no neighbour within the 3 x 3 window (inside the map) is higher.
        let is_peak = |flat: usize| {
            let (class, y, x) = (flat / (h * w), flat % (h * w) / w, flat % w);
            (0..h).all(|yy| (0..w).all(|xx| {
                yy.abs_diff(y) > 1 || xx.abs_diff(x) > 1 || heat[class * h * w + yy * w + xx] <= heat[flat]
            }))
        };
        let expected: Vec<(usize, f32)> = ranked(heat.iter().copied().enumerate())
            .into_iter().filter(|&(i, s)| s > 0.0 && is_peak(i)).take(k).collect();
        prop_assert_eq!(c.len(), expected.len());
        for (row, &(flat, score)) in expected.iter().enumerate() {
            let (class, y, x) = (flat / (h * w), flat % (h * w) / w, flat % w);
            prop_assert_eq!((c.labels[row], c.scores[row]), (class as u32, score));
            prop_assert_eq!(c.geometry[row], [x as f32, y as f32, x as f32, y as f32]);
        }
    }

    #[test]
    fn yolov8_pairs_and_best_class(rows in levels(6 * 9), multi in any::<bool>()) {
        let head = Yolov8Head { score_threshold: 0.05, multi_label: multi };
        let c = head.decode_boxes(&HeadTensor::new("output", &[1, 6, 9], &rows).unwrap()).unwrap();
        let mut expected = Vec::new();
        for anchor in 0..9 {
            let scores = [rows[4 * 9 + anchor], rows[5 * 9 + anchor]];
            if multi {
                expected.extend((0..2).filter(|&c| scores[c] > 0.05).map(|c| (c as u32, scores[c])));
            } else {
                let best = if scores[1] > scores[0] { 1 } else { 0 };
                if scores[best] > 0.05 {
                    expected.push((best as u32, scores[best]));
                }
            }
        }
        let got: Vec<(u32, f32)> = c.labels.iter().copied().zip(c.scores.iter().copied()).collect();
        prop_assert_eq!(got, expected);
    }
}

#[test]
fn end_to_end_filters_and_caps_in_row_order() {
    let rows: Vec<f32> = (0..10).flat_map(|i| [0.0, 0.0, 1.0, 1.0, 1.0 - i as f32 * 0.1, (i % 3) as f32]).collect();
    let c = EndToEndHead { score_threshold: 0.35, max_det: 4 }
        .decode_boxes(&HeadTensor::new("output", &[1, 10, 6], &rows).unwrap())
        .unwrap();
    assert_eq!(c.labels, vec![0, 1, 2, 0]);
    assert_eq!(c.scores, vec![1.0, 0.9, 0.8, 0.7]);
    let c = EndToEndHead { score_threshold: 0.35, max_det: 300 }
        .decode_boxes(&HeadTensor::new("output", &[1, 10, 6], &rows).unwrap())
        .unwrap();
    assert_eq!(c.len(), 7);
}

#[test]
fn yolox_grid_cells_in_row_major_order() {
    // A 64 x 32 input at stride 32: two anchors, cells (0, 0) and (1, 0).
    let mut rows = vec![0.0_f32; 2 * 6];
    rows[4] = 1.0;
    rows[5] = 0.5;
    rows[6 + 4] = 1.0;
    rows[6 + 5] = 0.7;
    let head = YoloxHead { input_size: [64, 32], strides: vec![32], score_threshold: 0.1 };
    let c = head.decode(&HeadTensor::new("output", &[1, 2, 6], &rows).unwrap()).unwrap();
    assert_eq!(c.geometry, vec![[-16.0, -16.0, 16.0, 16.0], [16.0, -16.0, 48.0, 16.0]]);
    assert_eq!(c.scores, vec![0.5, 0.7]);
}

#[cfg(feature = "onnx")]
mod real_model {
    use std::path::PathBuf;

    use softkit_decode::{HeadKind, InputSpec, Letterbox, OnnxModel, Placement, YoloxHead, identify_head, read_image};

    fn data(parts: &[&str]) -> PathBuf {
        let mut path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
        path.extend(parts);
        assert!(path.exists(), "test data missing: {}", path.display());
        path
    }

    /// Image 139 through tract, decoded, mapped back: its reference candidates, to 1e-3.
    #[test]
    fn yolox_nano_reproduces_the_reference_candidates_of_one_image() {
        let model = OnnxModel::load(&data(&["yolox-nano", "yolox_nano.onnx"]), None).unwrap();
        assert_eq!(model.input_size(), [416, 416]);
        let head = identify_head(model.outputs(), model.metadata(), [416, 416], None).unwrap();
        assert_eq!((head.kind, model.outputs()[0].shape.as_slice()), (HeadKind::Yolox, &[1, 3549, 85][..]));

        let (image, note) = read_image(&data(&["yolox-nano", "letterboxed", "000000000139.png"])).unwrap();
        assert!(note.is_none());
        let (tensor, identity) = InputSpec::yolox([416, 416]).letterbox(&image).unwrap();
        assert_eq!(identity, Letterbox::identity([416, 416]).unwrap());
        let raw = model.run(tensor).unwrap();
        let tensor = softkit_decode::HeadTensor::new("output", &model.outputs()[0].shape, &raw[0]).unwrap();
        let c = YoloxHead::new([416, 416], 0.001).decode(&tensor).unwrap();
        let back = Letterbox::new([640, 426], [416, 416], Placement::TopLeft).unwrap();

        let text = std::fs::read_to_string(data(&["yolox-nano", "candidates_val2017_100.json"])).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let reference: Vec<Vec<f64>> = doc["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<f64>>())
            .filter(|r| r[0] == 139.0)
            .collect();
        let mut unmatched = 0;
        for row in &reference {
            let found = (0..c.len()).any(|i| {
                let b = back.box_to_original(c.geometry[i]);
                f64::from(c.labels[i]) == row[1]
                    && (f64::from(c.scores[i]) - row[6]).abs() < 1e-3
                    && (0..4).all(|k| (b[k] - row[2 + k]).abs() < 1e-3 + 1e-4 * row[2 + k].abs())
            });
            if !found {
                // Only a candidate at the 0.001 threshold may fall on the other side of it.
                assert!(row[6] < 0.0012, "unmatched reference row {row:?}");
                unmatched += 1;
            }
        }
        assert!(reference.len() > 500 && unmatched < 5, "{unmatched} of {} unmatched", reference.len());
        assert!(c.len().abs_diff(reference.len()) < 5);
    }
}
