//! The VOC protocol as the rotated-detection field reports it: the DOTA devkit's `voc_eval`
//! (and mmrotate's `eval_rbbox_map`): AP per class at one IoU threshold, 11-point (VOC 2007) or
//! area under the curve, and their mean.

use std::collections::HashMap;

use softkit_geom::{Measure, PairOverlap, PairView, pairwise_sum};
use softkit_io::{CocoGeometry, CocoGroundTruth, CocoResults};

use crate::{DtRecord, EvalError, EvalInput, GtRecord};

/// How a precision/recall curve becomes one AP.
///
/// # Examples
///
/// ```
/// use softkit_eval::VocMetric;
///
/// assert_eq!("07".parse::<VocMetric>(), Ok(VocMetric::ElevenPoint));
/// assert_eq!("area".parse::<VocMetric>(), Ok(VocMetric::Area));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VocMetric {
    /// VOC 2007: the mean, over recall levels `0, 0.1, ..., 1` (as `np.arange(0, 1.1, 0.1)`
    /// writes them), of the best precision at a recall at least that level. The DOTA devkit's
    /// `main` reports this.
    #[default]
    ElevenPoint,
    /// VOC 2010+: the area under the precision envelope (precision made non-increasing).
    Area,
}

impl std::str::FromStr for VocMetric {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "07" | "11point" => Ok(VocMetric::ElevenPoint),
            "area" | "12" => Ok(VocMetric::Area),
            other => Err(format!("VOC metric = {other:?} is invalid: expected \"07\" (11-point) or \"area\"")),
        }
    }
}

/// The VOC protocol's settings.
///
/// # Examples
///
/// ```
/// use softkit_eval::{VocMetric, VocParams};
///
/// let dota = VocParams::default(); // what the DOTA devkit reports
/// assert_eq!((dota.iou_threshold, dota.metric), (0.5, VocMetric::ElevenPoint));
/// let strict = VocParams { iou_threshold: 0.7, metric: VocMetric::Area };
/// assert!(strict.iou_threshold > dota.iou_threshold);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VocParams {
    /// A detection matches a ground truth when their overlap is **above** this (the devkit's
    /// `ovmax > ovthresh`). DOTA reports 0.5.
    pub iou_threshold: f64,
    /// 11-point or area AP.
    pub metric: VocMetric,
}

impl Default for VocParams {
    fn default() -> Self {
        Self { iou_threshold: 0.5, metric: VocMetric::ElevenPoint }
    }
}

/// One class's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct VocClass {
    /// The category id.
    pub category_id: i64,
    /// Ground truth that counts (not difficult).
    pub ground_truth: usize,
    /// Detections of the class.
    pub detections: usize,
    /// Recall after each detection, by non-increasing score (empty without ground truth).
    pub recall: Vec<f64>,
    /// Precision after each detection.
    pub precision: Vec<f64>,
    /// AP; NaN for a class without ground truth.
    pub ap: f64,
}

/// The VOC protocol's outcome: one [`VocClass`] per category of the ground truth.
///
/// # Examples
///
/// ```
/// use softkit_eval::{VocClass, VocEvaluation};
///
/// let class = |category_id, ground_truth, ap| VocClass {
///     category_id, ground_truth, detections: 1, recall: vec![], precision: vec![], ap,
/// };
/// // A class without ground truth (AP NaN) is left out of the mean.
/// let ev = VocEvaluation { classes: vec![class(1, 3, 0.5), class(2, 1, 1.0), class(3, 0, f64::NAN)] };
/// assert_eq!(ev.map(), 0.75);
/// assert!(ev.summary().lines().last().unwrap().starts_with("       mAP"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct VocEvaluation {
    /// Per category, in ascending id.
    pub classes: Vec<VocClass>,
}

impl VocEvaluation {
    /// The mean AP over the classes that have ground truth (mmrotate's rule; the devkit's mean
    /// would be NaN otherwise); NaN when none has.
    pub fn map(&self) -> f64 {
        let aps: Vec<f64> = self.classes.iter().filter(|c| c.ground_truth > 0).map(|c| c.ap).collect();
        if aps.is_empty() { f64::NAN } else { aps.iter().sum::<f64>() / aps.len() as f64 }
    }

    /// A table: one row per class (id, ground truth, detections, final recall, AP), then the mAP.
    pub fn summary(&self) -> String {
        let mut out = format!("{:>10} {:>8} {:>10} {:>8} {:>8}\n", "category", "gts", "dets", "recall", "ap");
        for c in &self.classes {
            let recall = c.recall.last().copied().unwrap_or(0.0);
            out += &format!(
                "{:>10} {:>8} {:>10} {:>8.4} {:>8.4}\n",
                c.category_id, c.ground_truth, c.detections, recall, c.ap
            );
        }
        out + &format!("{:>10} {:>38.4}\n", "mAP", self.map())
    }
}

/// The VOC protocol over records and a pair overlap (indexed by positions in `dts` and `gts`),
/// as the DOTA devkit's `voc_eval` runs it, for every category of `input`.
///
/// Per category, detections go by non-increasing score (ties to the lower index); each takes the
/// ground truth of its image and category with the largest overlap (the first on ties). Above
/// the threshold, a difficult ground truth ([`GtRecord::ignore`]) makes it neither a true nor a
/// false positive, an untaken one a true positive, a taken one a false positive; otherwise it is a
/// false positive. `recall = tp / positives`, `precision = tp / max(tp + fp, eps)`.
///
/// # Errors
///
/// [`EvalError`] for a threshold outside `[0, 1]` or a non-finite score.
///
/// # Examples
///
/// ```
/// use softkit_eval::{DtRecord, EvalInput, GtRecord, VocParams, evaluate_voc};
/// use softkit_geom::{Iou, PairView, XywhBoxes};
///
/// let gts = [GtRecord { id: 1, image_id: 1, category_id: 1, area: 100.0, iscrowd: false, ignore: false }];
/// let dt = |score| DtRecord { image_id: 1, category_id: 1, area: 100.0, score };
/// let dts = [dt(0.9), dt(0.8)];
/// let boxes = PairView::new(
///     XywhBoxes::new(vec![[0.0, 0.0, 10.0, 10.0], [50.0, 50.0, 10.0, 10.0]])?,
///     XywhBoxes::new(vec![[0.0, 0.0, 10.0, 10.0]])?,
///     Iou,
/// );
/// let input = EvalInput { image_ids: &[1], category_ids: &[1], gts: &gts, dts: &dts };
/// let ev = evaluate_voc(&input, &boxes, &VocParams::default())?;
/// assert_eq!(ev.classes[0].precision, vec![1.0, 0.5]);
/// // All the recall there is, at precision 1: eleven sums of 1/11, which round as the devkit's do.
/// assert_eq!(ev.map(), 1.0000000000000002);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate_voc<O: PairOverlap>(
    input: &EvalInput<'_>,
    overlap: &O,
    params: &VocParams,
) -> Result<VocEvaluation, EvalError> {
    if !(0.0..=1.0).contains(&params.iou_threshold) {
        return Err(EvalError::Params {
            field: "iou_threshold",
            reason: format!("{} is not in [0, 1]", params.iou_threshold),
        });
    }
    if let Some((i, d)) = input.dts.iter().enumerate().find(|(_, d)| !d.score.is_finite()) {
        return Err(EvalError::NonFinite { item: format!("dts[{i}]"), field: "score", value: d.score });
    }
    let mut categories = input.category_ids.to_vec();
    categories.sort_unstable();
    categories.dedup();
    let classes = categories.iter().map(|&c| evaluate_class(input, overlap, params, c)).collect();
    Ok(VocEvaluation { classes })
}

fn evaluate_class<O: PairOverlap>(input: &EvalInput<'_>, overlap: &O, params: &VocParams, category: i64) -> VocClass {
    let mut by_image: HashMap<i64, Vec<usize>> = HashMap::new();
    for (g, gt) in input.gts.iter().enumerate().filter(|(_, gt)| gt.category_id == category) {
        by_image.entry(gt.image_id).or_default().push(g);
    }
    let positives = input.gts.iter().filter(|g| g.category_id == category && !g.ignore).count();
    let mut order: Vec<usize> = (0..input.dts.len()).filter(|&d| input.dts[d].category_id == category).collect();
    // A stable sort: equal scores keep input order (the devkit's sort leaves that unspecified).
    order.sort_by(|&a, &b| input.dts[b].score.total_cmp(&input.dts[a].score));
    let mut taken = vec![false; input.gts.len()];
    let (mut tp, mut fp) = (0.0, 0.0);
    let (mut recall, mut precision) = (Vec::with_capacity(order.len()), Vec::with_capacity(order.len()));
    for &d in &order {
        let mut best: Option<(f64, usize)> = None;
        for &g in by_image.get(&input.dts[d].image_id).map_or(&[][..], Vec::as_slice) {
            let o = overlap.overlap(d, g, false);
            if best.is_none_or(|(max, _)| o > max) {
                best = Some((o, g));
            }
        }
        match best {
            Some((o, g)) if o > params.iou_threshold => {
                if !input.gts[g].ignore {
                    if taken[g] {
                        fp += 1.0;
                    } else {
                        taken[g] = true;
                        tp += 1.0;
                    }
                }
            }
            _ => fp += 1.0,
        }
        if positives > 0 {
            recall.push(tp / positives as f64);
        }
        precision.push(tp / f64::max(tp + fp, f64::EPSILON));
    }
    let ap = if positives == 0 { f64::NAN } else { average_precision(&recall, &precision, params.metric) };
    VocClass { category_id: category, ground_truth: positives, detections: order.len(), recall, precision, ap }
}

/// The devkit's `voc_ap`.
fn average_precision(recall: &[f64], precision: &[f64], metric: VocMetric) -> f64 {
    match metric {
        VocMetric::ElevenPoint => {
            let mut ap = 0.0;
            for level in (0..11).map(|k| f64::from(k) * 0.1) {
                let best =
                    recall.iter().zip(precision).filter(|(r, _)| **r >= level).map(|(_, p)| *p).fold(0.0, f64::max);
                ap += best / 11.0;
            }
            ap
        }
        VocMetric::Area => {
            let mrec: Vec<f64> = std::iter::once(0.0).chain(recall.iter().copied()).chain([1.0]).collect();
            let mut mpre: Vec<f64> = std::iter::once(0.0).chain(precision.iter().copied()).chain([0.0]).collect();
            for i in (1..mpre.len()).rev() {
                mpre[i - 1] = mpre[i - 1].max(mpre[i]);
            }
            let steps: Vec<f64> = (0..mrec.len() - 1)
                .filter(|&i| mrec[i + 1] != mrec[i])
                .map(|i| (mrec[i + 1] - mrec[i]) * mpre[i + 1])
                .collect();
            pairwise_sum(&steps)
        }
    }
}

/// The VOC protocol on COCO files, for any geometry `G` and measure: the DOTA protocol on
/// rotated boxes or polygons. A ground truth is difficult when its `difficult` flag is set or it
/// is a crowd.
///
/// # Errors
///
/// [`EvalError`] for an item that lacks the geometry or holds an invalid one, or a bad parameter.
///
/// # Examples
///
/// ```
/// use softkit_eval::{CocoGroundTruth, CocoResults, VocParams, evaluate_voc_coco};
/// use softkit_geom::{Iou, RotatedBoxes};
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 1}], "categories": [{"id": 1}],
///         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 8, "iscrowd": 0,
///                          "rbox": [5, 5, 4, 2, 0.5]}]}"#,
/// )?;
/// let dt = CocoResults::from_json_str(r#"[{"image_id": 1, "category_id": 1, "rbox": [5, 5, 4, 2, 0.6], "score": 0.9}]"#, &gt)?;
/// let ev = evaluate_voc_coco::<RotatedBoxes, _>(&gt, &dt, &Iou, &VocParams::default())?;
/// assert!((ev.map() - 1.0).abs() < 1e-15);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate_voc_coco<G: CocoGeometry, M: Measure<G>>(
    gt: &CocoGroundTruth,
    dt: &CocoResults,
    measure: &M,
    params: &VocParams,
) -> Result<VocEvaluation, EvalError> {
    let (anns, dets) = (gt.annotations(), dt.detections());
    let gt_rows: Vec<usize> = (0..anns.len()).collect();
    let dt_rows: Vec<usize> = (0..dets.len()).collect();
    let gt_geometry = G::from_annotations(gt, &gt_rows)?;
    let dt_geometry = G::from_results(dt, gt, &dt_rows)?;
    let gts: Vec<GtRecord> = anns
        .iter()
        .zip(gt.difficult())
        .map(|(a, &difficult)| GtRecord {
            id: a.id,
            image_id: a.image_id,
            category_id: a.category_id,
            area: a.area,
            iscrowd: a.iscrowd,
            ignore: difficult || a.iscrowd,
        })
        .collect();
    let dts: Vec<DtRecord> = dets
        .iter()
        .zip(dt.areas())
        .map(|(d, &area)| DtRecord { image_id: d.image_id, category_id: d.category_id, area, score: d.score })
        .collect();
    let categories = gt.category_ids();
    let input = EvalInput { image_ids: gt.image_ids(), category_ids: &categories, gts: &gts, dts: &dts };
    evaluate_voc(&input, &PairView::new(dt_geometry, gt_geometry, measure), params)
}
