//! Cross-check against pycocotools 2.0.11: polygons, boxes and dense masks encoded by
//! pycocotools itself (`fixtures/make_rle_fixture.py` wrote `fixtures/rle_cases.json`) must come
//! out of softkit-geom with the same counts, area, box, merge and IoU, exactly.

use serde_json::Value;
use softkit_geom::Rle;

fn cases(kind: &str) -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rle_cases.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let all: Value = serde_json::from_str(&text).expect("valid fixture JSON");
    let list = all[kind].as_array().unwrap_or_else(|| panic!("fixture has no {kind}")).clone();
    assert!(list.len() >= 100, "fixture {kind} has only {} cases", list.len());
    list
}

fn size(case: &Value) -> (u32, u32) {
    (case["height"].as_u64().unwrap() as u32, case["width"].as_u64().unwrap() as u32)
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn rle(case: &Value, key: &str) -> Rle {
    let (h, w) = size(case);
    Rle::from_compressed(h, w, case[key].as_str().unwrap()).expect("pycocotools strings decode")
}

#[test]
fn polygons_rasterise_to_pycocotools_counts() {
    let mut nonempty = 0;
    for (i, case) in cases("polygons").iter().enumerate() {
        let (h, w) = size(case);
        let polys: Vec<Vec<f64>> = case["polygons"].as_array().unwrap().iter().map(floats).collect();
        for (p, part) in polys.iter().zip(case["parts"].as_array().unwrap()) {
            let ours = Rle::from_polygon(p, h, w).unwrap();
            assert_eq!(ours.to_compressed(), part.as_str().unwrap(), "case {i}: polygon {p:?} on {h}x{w}");
        }
        let ours = Rle::from_polygons(&polys, h, w).unwrap();
        let want = rle(case, "counts");
        assert_eq!(ours.counts(), want.counts(), "case {i}: merged polygons on {h}x{w}");
        assert_eq!(ours.to_compressed(), case["counts"].as_str().unwrap(), "case {i}");
        assert_eq!(ours.area(), case["area"].as_u64().unwrap(), "case {i}");
        assert_eq!(ours.bbox().to_vec(), floats(&case["bbox"]), "case {i}");
        nonempty += usize::from(ours.area() > 0);
    }
    assert!(nonempty > 250, "too few non-empty masks ({nonempty}) for the check to mean much");
}

#[test]
fn boxes_rasterise_to_pycocotools_counts() {
    for (i, case) in cases("boxes").iter().enumerate() {
        let (h, w) = size(case);
        let b = floats(&case["bbox"]);
        let ours = Rle::from_bbox([b[0], b[1], b[2], b[3]], h, w).unwrap();
        assert_eq!(ours.counts(), rle(case, "counts").counts(), "case {i}: bbox {b:?} on {h}x{w}");
    }
}

#[test]
fn dense_masks_encode_to_pycocotools_strings() {
    for (i, case) in cases("masks").iter().enumerate() {
        let (h, w) = size(case);
        let dense: Vec<u8> = case["mask"].as_str().unwrap().bytes().map(|b| b - b'0').collect();
        let ours = Rle::from_mask(h, w, &dense).unwrap();
        assert_eq!(ours.to_compressed(), case["counts"].as_str().unwrap(), "case {i}");
        assert_eq!(rle(case, "counts"), ours, "case {i}: decoding pycocotools' string");
        assert_eq!(ours.to_mask(), dense, "case {i}");
        assert_eq!(ours.area(), case["area"].as_u64().unwrap(), "case {i}");
        assert_eq!(ours.bbox().to_vec(), floats(&case["bbox"]), "case {i}");
    }
}

#[test]
fn iou_and_merge_match_pycocotools() {
    let mut positive = 0;
    for (i, case) in cases("pairs").iter().enumerate() {
        let (dt, gt) = (rle(case, "dt"), rle(case, "gt"));
        let crowd = case["crowd"].as_bool().unwrap();
        let want = case["iou"].as_f64().unwrap();
        assert_eq!(dt.iou(&gt, crowd).to_bits(), want.to_bits(), "case {i}: iou (crowd {crowd})");
        let pair = [dt, gt];
        assert_eq!(Rle::merge(&pair, false).unwrap(), rle(case, "union"), "case {i}: union");
        assert_eq!(Rle::merge(&pair, true).unwrap(), rle(case, "intersection"), "case {i}: intersection");
        positive += usize::from(want > 0.0);
    }
    assert!(positive > 50, "too few overlapping pairs ({positive})");
}
