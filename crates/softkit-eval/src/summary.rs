//! The 12 summary numbers of pycocotools' `summarize`, and AP per category.

use std::fmt::Write as _;

use softkit_geom::pairwise_mean;

use crate::{EvalError, Evaluation};

/// Names of the 12 detection summary stats, in pycocotools' order.
pub const STAT_NAMES: [&str; 12] =
    ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];

/// Names of the 10 keypoint summary stats, in pycocotools' order (`summarizeKps`).
pub const KEYPOINT_STAT_NAMES: [&str; 10] = ["AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl"];

/// One line of the summary: which array, IoU, area label and maxDets it averages.
struct StatSpec {
    ap: bool,
    iou: Option<f64>,
    area: &'static str,
    max_dets: usize,
}

/// AP for one category.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassAp {
    /// The category id.
    pub category_id: i64,
    /// Mean precision over IoU and recall thresholds, for the first area range and the largest
    /// maxDets (`precision[:, :, k, 0, -1]`, as detectron2 reports it); `-1` when the category
    /// has no ground truth to recall.
    pub ap: f64,
}

impl Evaluation {
    fn specs(&self) -> Result<[StatSpec; 12], EvalError> {
        let md = self.max_dets();
        if md.len() < 3 {
            return Err(EvalError::Params {
                field: "max_dets",
                reason: format!("the summary reads max_dets[0..3] but there are {} values", md.len()),
            });
        }
        let s = |ap, iou, area, max_dets| StatSpec { ap, iou, area, max_dets };
        // pycocotools' first line passes no maxDets and so uses its default of 100.
        Ok([
            s(true, None, "all", 100),
            s(true, Some(0.5), "all", md[2]),
            s(true, Some(0.75), "all", md[2]),
            s(true, None, "small", md[2]),
            s(true, None, "medium", md[2]),
            s(true, None, "large", md[2]),
            s(false, None, "all", md[0]),
            s(false, None, "all", md[1]),
            s(false, None, "all", md[2]),
            s(false, None, "small", md[2]),
            s(false, None, "medium", md[2]),
            s(false, None, "large", md[2]),
        ])
    }

    /// pycocotools' `summarizeKps` lines: maxDets 20 throughout (whatever `max_dets` holds).
    fn keypoint_specs() -> [StatSpec; 10] {
        let s = |ap, iou, area| StatSpec { ap, iou, area, max_dets: 20 };
        [
            s(true, None, "all"),
            s(true, Some(0.5), "all"),
            s(true, Some(0.75), "all"),
            s(true, None, "medium"),
            s(true, None, "large"),
            s(false, None, "all"),
            s(false, Some(0.5), "all"),
            s(false, Some(0.75), "all"),
            s(false, None, "medium"),
            s(false, None, "large"),
        ]
    }

    /// The mean of the selected cells that are not `-1`, or `-1` when none is
    /// (pycocotools' `_summarize`).
    fn summarize_one(&self, spec: &StatSpec) -> f64 {
        let [nt, nr, nk, _, _] = self.shape();
        let t_sel: Vec<usize> = match spec.iou {
            None => (0..nt).collect(),
            Some(iou) => (0..nt).filter(|&t| self.iou_thrs()[t] == iou).collect(),
        };
        let a_sel: Vec<usize> =
            self.area_rngs().iter().enumerate().filter(|(_, r)| r.label == spec.area).map(|(a, _)| a).collect();
        let m_sel: Vec<usize> =
            self.max_dets().iter().enumerate().filter(|&(_, &m)| m == spec.max_dets).map(|(m, _)| m).collect();
        // numpy pairs the two index lists element-wise (broadcasting a single index).
        let pairs: Vec<(usize, usize)> = match (a_sel.len(), m_sel.len()) {
            (0, _) | (_, 0) => Vec::new(),
            (1, _) => m_sel.iter().map(|&m| (a_sel[0], m)).collect(),
            (_, 1) => a_sel.iter().map(|&a| (a, m_sel[0])).collect(),
            _ => a_sel.iter().copied().zip(m_sel.iter().copied()).collect(),
        };
        let mut values = Vec::new();
        for &t in &t_sel {
            if spec.ap {
                for r in 0..nr {
                    for k in 0..nk {
                        values.extend(pairs.iter().map(|&(a, m)| self.precision_at(t, r, k, a, m)));
                    }
                }
            } else {
                for k in 0..nk {
                    values.extend(pairs.iter().map(|&(a, m)| self.recall_at(t, k, a, m)));
                }
            }
        }
        values.retain(|&v| v > -1.0);
        if values.is_empty() { -1.0 } else { pairwise_mean(&values) }
    }

    /// The 12 summary stats in pycocotools' order ([`STAT_NAMES`]): AP at IoU 0.50:0.95, 0.50
    /// and 0.75, AP for small, medium and large objects, AR at maxDets 1, 10 and 100, and AR for
    /// small, medium and large objects.
    ///
    /// The first stat uses maxDets 100 whatever `max_dets` holds, as pycocotools' does; a stat whose
    /// IoU, area label or maxDets is not among the parameters is `-1`. Needs at least three
    /// maxDets.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_eval::{CocoGroundTruth, CocoResults, Params, evaluate_bbox};
    ///
    /// let gt = CocoGroundTruth::from_json_str(
    ///     r#"{"images": [{"id": 1}], "categories": [{"id": 1}],
    ///         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 2500,
    ///                          "iscrowd": 0, "bbox": [0, 0, 50, 50]}]}"#,
    /// )?;
    /// let dt = CocoResults::from_json_str(
    ///     r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 50, 50], "score": 0.9}]"#, &gt)?;
    /// let stats = evaluate_bbox(&gt, &dt, &Params::default())?.stats()?;
    /// assert!((stats[0] - 1.0).abs() < 1e-15); // AP (precision 1 reads as 1/(1 + eps))
    /// assert_eq!(stats[3], -1.0);               // no small objects
    /// assert!((stats[4] - 1.0).abs() < 1e-15); // APm
    /// # Ok::<(), softkit_eval::EvalError>(())
    /// ```
    pub fn stats(&self) -> Result<[f64; 12], EvalError> {
        let specs = self.specs()?;
        Ok(specs.map(|s| self.summarize_one(&s)))
    }

    /// The summary as pycocotools prints it, twelve lines such as
    /// ` Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505`.
    pub fn summary(&self) -> Result<String, EvalError> {
        Ok(self.format_summary(&self.specs()?))
    }

    /// The 10 keypoint summary stats in pycocotools' order ([`KEYPOINT_STAT_NAMES`], its
    /// `summarizeKps`): AP at OKS 0.50:0.95, 0.50 and 0.75, AP for medium and large objects, then
    /// AR likewise, all at maxDets 20.
    ///
    /// As in pycocotools, maxDets 20 is read whatever `max_dets` holds: a stat whose OKS
    /// threshold, area label or maxDets is not among the parameters is `-1`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_eval::{CocoGroundTruth, CocoResults, Params, evaluate_keypoints_with_sigmas};
    ///
    /// let gt = CocoGroundTruth::from_json_str(
    ///     r#"{"images": [{"id": 1}], "categories": [{"id": 1}],
    ///         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 4000, "iscrowd": 0,
    ///                          "bbox": [0, 0, 50, 80], "num_keypoints": 1, "keypoints": [5, 5, 2]}]}"#,
    /// )?;
    /// let dt = CocoResults::from_json_str(
    ///     r#"[{"image_id": 1, "category_id": 1, "keypoints": [5, 5, 1], "score": 0.9}]"#, &gt)?;
    /// let ev = evaluate_keypoints_with_sigmas(&gt, &dt, &Params::keypoints(), &[0.1])?;
    /// let stats = ev.keypoint_stats();
    /// assert!((stats[3] - 1.0).abs() < 1e-15); // APm: area 4000 is medium
    /// assert_eq!(stats[4], -1.0);               // APl: no large person
    /// assert_eq!(stats[5], 1.0);                // AR
    /// assert!(ev.keypoint_summary().starts_with(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ]"));
    /// # Ok::<(), softkit_eval::EvalError>(())
    /// ```
    pub fn keypoint_stats(&self) -> [f64; 10] {
        Self::keypoint_specs().map(|s| self.summarize_one(&s))
    }

    /// The keypoint summary as pycocotools prints it, ten lines.
    pub fn keypoint_summary(&self) -> String {
        self.format_summary(&Self::keypoint_specs())
    }

    fn format_summary(&self, specs: &[StatSpec]) -> String {
        let mut out = String::new();
        let thrs = self.iou_thrs();
        for spec in specs {
            let (title, kind) = if spec.ap { ("Average Precision", "(AP)") } else { ("Average Recall", "(AR)") };
            let iou = match spec.iou {
                None => format!("{:.2}:{:.2}", thrs[0], thrs[thrs.len() - 1]),
                Some(v) => format!("{v:.2}"),
            };
            let value = self.summarize_one(spec);
            let _ = writeln!(
                out,
                " {title:<18} {kind} @[ IoU={iou:<9} | area={:>6} | maxDets={:>3} ] = {value:.3}",
                spec.area, spec.max_dets
            );
        }
        out
    }

    /// AP per category (empty when `use_cats` is off).
    pub fn class_ap(&self) -> Vec<ClassAp> {
        if !self.use_cats() {
            return Vec::new();
        }
        let [nt, nr, _, _, nm] = self.shape();
        self.cat_ids()
            .iter()
            .enumerate()
            .map(|(k, &category_id)| {
                let mut values: Vec<f64> = Vec::with_capacity(nt * nr);
                for t in 0..nt {
                    values.extend((0..nr).map(|r| self.precision_at(t, r, k, 0, nm - 1)).filter(|&v| v > -1.0));
                }
                let ap = if values.is_empty() { -1.0 } else { pairwise_mean(&values) };
                ClassAp { category_id, ap }
            })
            .collect()
    }
}
