//! Properties of the protocol on the real parity set: parameters that should not change a number
//! do not, and the arrays have the shape and order pycocotools gives them.

use std::path::{Path, PathBuf};

use softkit_eval::{CocoGroundTruth, CocoResults, Detection, Evaluation, Params, evaluate_bbox};
use softkit_geom::pairwise_sum;

fn data(name: &str) -> PathBuf {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/coco-val2014-100/")).join(name);
    assert!(path.exists(), "test data missing: expected {}", path.display());
    path
}

fn load() -> (CocoGroundTruth, CocoResults) {
    let gt = CocoGroundTruth::from_path(data("instances_val2014_100.json")).unwrap();
    let dt = CocoResults::from_path(data("instances_val2014_fakebbox100_results.json"), &gt).unwrap();
    (gt, dt)
}

fn valid_mean(values: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = values.filter(|&x| x > -1.0).collect();
    pairwise_sum(&v) / v.len() as f64
}

#[test]
fn arrays_have_pycocotools_shape_and_order() {
    let (gt, dt) = load();
    let ev = evaluate_bbox(&gt, &dt, &Params::default()).unwrap();
    assert_eq!(ev.shape(), [10, 101, 80, 4, 3]);
    assert_eq!(ev.precision().len(), 10 * 101 * 80 * 4 * 3);
    assert_eq!(ev.recall().len(), 10 * 80 * 4 * 3);
    let [nt, nr, nk, na, nm] = ev.shape();
    for t in 0..nt {
        for k in 0..nk {
            for a in 0..na {
                for m in 0..nm {
                    let absent = ev.recall_at(t, k, a, m) == -1.0;
                    for r in 0..nr {
                        let p = ev.precision_at(t, r, k, a, m);
                        assert_eq!(p == -1.0, absent, "precision and recall agree on absent cells");
                        if absent {
                            continue;
                        }
                        assert!((0.0..=1.0).contains(&p));
                        if r > 0 {
                            // Interpolated precision and the scores where it is read never rise with recall.
                            assert!(p <= ev.precision_at(t, r - 1, k, a, m));
                            assert!(ev.score_at(t, r, k, a, m) <= ev.score_at(t, r - 1, k, a, m));
                        }
                    }
                }
            }
        }
    }
    // AP is the mean of the valid precision cells at area "all", maxDets 100; AR100 of recall.
    let stats = ev.stats().unwrap();
    let mut p = Vec::new();
    for t in 0..nt {
        for r in 0..nr {
            for k in 0..nk {
                p.push(ev.precision_at(t, r, k, 0, 2));
            }
        }
    }
    assert_eq!(stats[0], valid_mean(p.into_iter()));
    let rc = (0..nt).flat_map(|t| (0..nk).map(move |k| (t, k))).map(|(t, k)| ev.recall_at(t, k, 0, 2));
    assert_eq!(stats[8], valid_mean(rc));
}

#[test]
fn class_ap_averages_to_ap() {
    let (gt, dt) = load();
    let ev = evaluate_bbox(&gt, &dt, &Params::default()).unwrap();
    let per_class = ev.class_ap();
    assert_eq!(per_class.len(), 80);
    assert_eq!(per_class.iter().map(|c| c.category_id).collect::<Vec<_>>(), gt.category_ids());
    let present: Vec<f64> = per_class.iter().map(|c| c.ap).filter(|&ap| ap > -1.0).collect();
    // Categories with ground truth in these 100 images.
    let mut with_gt: Vec<i64> = gt.annotations().iter().filter(|a| !a.iscrowd).map(|a| a.category_id).collect();
    with_gt.sort_unstable();
    with_gt.dedup();
    assert_eq!(present.len(), with_gt.len());
    let mean = present.iter().sum::<f64>() / present.len() as f64;
    assert!((mean - ev.stats().unwrap()[0]).abs() < 1e-12);
}

#[test]
fn parameters_are_normalised_as_pycocotools_does() {
    let (gt, dt) = load();
    let base = evaluate_bbox(&gt, &dt, &Params::default()).unwrap();
    // maxDets are sorted, image and category ids sorted and deduplicated.
    let mut img_ids = gt.image_ids().to_vec();
    img_ids.reverse();
    img_ids.push(img_ids[0]);
    let shuffled = Params {
        max_dets: vec![100, 1, 10],
        img_ids: Some(img_ids),
        cat_ids: Some(gt.category_ids().into_iter().rev().collect()),
        ..Params::default()
    };
    let ev = evaluate_bbox(&gt, &dt, &shuffled).unwrap();
    assert_eq!(ev.precision(), base.precision());
    assert_eq!(ev.recall(), base.recall());
    assert_eq!(ev.scores(), base.scores());
}

#[test]
fn one_iou_threshold_gives_the_ap50_slice() {
    let (gt, dt) = load();
    let base = evaluate_bbox(&gt, &dt, &Params::default()).unwrap();
    let ev = evaluate_bbox(&gt, &dt, &Params { iou_thrs: vec![0.5], ..Params::default() }).unwrap();
    let stats = ev.stats().unwrap();
    assert_eq!(stats[0], base.stats().unwrap()[1]);
    assert_eq!(stats[1], stats[0]);
    assert_eq!(stats[2], -1.0, "0.75 is not among the thresholds");
}

#[test]
fn an_image_subset_equals_evaluating_only_that_subset() {
    let (gt, dt) = load();
    let subset: Vec<i64> = gt.image_ids().iter().copied().step_by(3).collect();
    let ev = evaluate_bbox(&gt, &dt, &Params { img_ids: Some(subset.clone()), ..Params::default() }).unwrap();
    let kept: Vec<Detection> = dt.detections().iter().filter(|d| subset.contains(&d.image_id)).copied().collect();
    let anns = gt.annotations().iter().filter(|a| subset.contains(&a.image_id)).cloned().collect();
    let small_gt = CocoGroundTruth::new(subset.iter().copied(), gt.categories().iter().cloned(), anns).unwrap();
    let small_dt = CocoResults::from_detections(kept, &small_gt).unwrap();
    let direct = evaluate_bbox(&small_gt, &small_dt, &Params::default()).unwrap();
    assert_eq!(ev.stats().unwrap(), direct.stats().unwrap());
    assert_eq!(ev.img_ids(), subset.as_slice());
}

#[test]
fn matching_across_categories_uses_one_category_axis() {
    let (gt, dt) = load();
    let ev = evaluate_bbox(&gt, &dt, &Params { use_cats: false, ..Params::default() }).unwrap();
    assert_eq!(ev.shape(), [10, 101, 1, 4, 3]);
    assert!(ev.class_ap().is_empty());
    let with_cats = evaluate_bbox(&gt, &dt, &Params::default()).unwrap();
    // Ignoring labels can only add matches, so recall at maxDets 100 cannot fall.
    let stats = |e: &Evaluation| e.stats().unwrap();
    assert!(stats(&ev)[8] >= stats(&with_cats)[8] - 1e-12);
}

#[test]
fn empty_results_score_zero_where_there_is_ground_truth() {
    let (gt, _) = load();
    let ev = evaluate_bbox(&gt, &CocoResults::default(), &Params::default()).unwrap();
    let stats = ev.stats().unwrap();
    assert_eq!(stats, [0.0; 12]);
}
