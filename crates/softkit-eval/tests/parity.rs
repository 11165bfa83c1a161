//! Parity with pycocotools 2.0.11 `COCOeval` on the real COCO val2014 subset in `../shared/data`:
//! boxes, and masks (polygon and crowd-RLE ground truth, compressed-RLE detections).

use std::path::{Path, PathBuf};

use softkit_eval::{CocoGroundTruth, CocoResults, Params, STAT_NAMES, Segmentation, evaluate_bbox, evaluate_segm};

fn data(name: &str) -> PathBuf {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/coco-val2014-100/")).join(name);
    assert!(path.exists(), "test data missing: expected {}", path.display());
    path
}

fn expected(key: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(data("expected_pycocotools.json")).expect("readable expected stats");
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid expected stats");
    let order: Vec<&str> = v["stats_order"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(order, STAT_NAMES);
    v[key].as_array().unwrap_or_else(|| panic!("no key {key}")).iter().map(|x| x.as_f64().unwrap()).collect()
}

fn assert_stats(got: &[f64; 12], want: &[f64]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-9, "{} = {g}, pycocotools {w} (diff {:e})", STAT_NAMES[i], (g - w).abs());
    }
}

#[test]
fn bbox_stats_match_pycocotools() {
    let gt = CocoGroundTruth::from_path(data("instances_val2014_100.json")).unwrap();
    let dt = CocoResults::from_path(data("instances_val2014_fakebbox100_results.json"), &gt).unwrap();
    assert_eq!(gt.annotations().len(), 839);
    assert_eq!(dt.len(), 734);
    let ev = evaluate_bbox(&gt, &dt, &Params::default()).unwrap();
    let stats = ev.stats().unwrap();
    let want = expected("bbox:instances_val2014_fakebbox100_results.json");
    let max_diff = stats.iter().zip(&want).map(|(g, w)| (g - w).abs()).fold(0.0, f64::max);
    eprintln!("bbox stats {stats:?}\nmax |diff| vs pycocotools = {max_diff:e}");
    assert_stats(&stats, &want);
}

#[test]
fn already_parsed_values_give_the_same_stats_as_files() {
    let read =
        |name| -> serde_json::Value { serde_json::from_str(&std::fs::read_to_string(data(name)).unwrap()).unwrap() };
    let gt = CocoGroundTruth::from_value(&read("instances_val2014_100.json")).unwrap();
    let dt = CocoResults::from_value(&read("instances_val2014_fakebbox100_results.json"), &gt).unwrap();
    let stats = evaluate_bbox(&gt, &dt, &Params::default()).unwrap().stats().unwrap();
    assert_stats(&stats, &expected("bbox:instances_val2014_fakebbox100_results.json"));
}

fn load_segm() -> (CocoGroundTruth, CocoResults) {
    let gt = CocoGroundTruth::from_path(data("instances_val2014_100.json")).unwrap();
    let dt = CocoResults::from_path(data("instances_val2014_fakesegm100_results.json"), &gt).unwrap();
    (gt, dt)
}

#[test]
fn segm_stats_match_pycocotools() {
    let (gt, dt) = load_segm();
    let segs = gt.segmentations();
    let polygons = segs.iter().filter(|s| matches!(s, Some(Segmentation::Polygons(_)))).count();
    let rles = segs.iter().filter(|s| matches!(s, Some(Segmentation::Rle(_)))).count();
    assert_eq!((polygons, rles), (830, 9), "the parity set has polygon and crowd-RLE ground truth");
    assert_eq!(dt.len(), 734);
    assert!(dt.segmentations().iter().all(|s| matches!(s, Some(Segmentation::Rle(_)))));

    let ev = evaluate_segm(&gt, &dt, &Params::default()).unwrap();
    let stats = ev.stats().unwrap();
    let want = expected("segm:instances_val2014_fakesegm100_results.json");
    assert_stats(&stats, &want);
}

#[test]
fn mask_results_get_loadres_area_and_box() {
    // loadRes gives a mask result the mask's pixel count as its area and the mask's tight box.
    let (_, dt) = load_segm();
    for (i, (d, seg)) in dt.detections().iter().zip(dt.segmentations()).enumerate() {
        let Some(Segmentation::Rle(rle)) = seg else { panic!("results[{i}] has no decoded mask") };
        assert_eq!(dt.areas()[i], rle.area() as f64);
        assert_eq!(d.bbox, rle.bbox());
        assert!(d.bbox[2] * d.bbox[3] >= dt.areas()[i], "results[{i}]: the box holds the mask");
    }
}
