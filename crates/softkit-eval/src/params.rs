//! Evaluation parameters, with pycocotools' defaults for boxes and masks.

use crate::EvalError;

/// An area range: ground truth whose `area` lies outside `[min, max]` is ignored, and so are
/// unmatched detections whose area lies outside it.
#[derive(Clone, Debug, PartialEq)]
pub struct AreaRange {
    /// The name the summary looks up: `all`, `small`, `medium` or `large`.
    pub label: String,
    /// Smallest area inside the range (inclusive).
    pub min: f64,
    /// Largest area inside the range (inclusive).
    pub max: f64,
}

impl AreaRange {
    /// A labelled range.
    pub fn new(label: impl Into<String>, min: f64, max: f64) -> Self {
        AreaRange { label: label.into(), min, max }
    }

    /// Whether `area` is outside the range.
    #[inline]
    pub fn excludes(&self, area: f64) -> bool {
        area < self.min || area > self.max
    }
}

/// `num` evenly spaced values from `start` to `stop` inclusive, computed exactly as
/// `numpy.linspace` computes them (`start + i * step`, with the last value set to `stop`).
///
/// pycocotools' thresholds come from `linspace`, and the summary looks thresholds up by exact
/// equality (`0.5`, `0.75`), so the values must match bit for bit.
///
/// # Examples
///
/// ```
/// let t = softkit_eval::linspace(0.5, 0.95, 10);
/// assert_eq!(t[5], 0.75);
/// assert_eq!(t[8], 0.8999999999999999);
/// assert_eq!(t[9], 0.95);
/// ```
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 0 {
        return Vec::new();
    }
    if num == 1 {
        return vec![start];
    }
    let step = (stop - start) / (num - 1) as f64;
    let mut values: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    values[num - 1] = stop;
    values
}

/// Parameters of a COCO evaluation, mirroring pycocotools' `Params`.
///
/// [`Params::default`] is pycocotools' `Params(iouType="bbox")` (the same as for `segm`): IoU
/// thresholds 0.50:0.05:0.95, 101 recall thresholds, maxDets 1, 10, 100, and the area ranges
/// all, small (< 32²), medium (32² to 96²) and large (> 96²).
///
/// # Examples
///
/// ```
/// use softkit_eval::Params;
///
/// let p = Params { max_dets: vec![1, 10, 300], ..Params::default() };
/// assert_eq!(p.iou_thrs.len(), 10);
/// assert_eq!(p.rec_thrs.len(), 101);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Images to evaluate; `None` means every image of the ground truth. Sorted and deduplicated
    /// before use, as pycocotools does.
    pub img_ids: Option<Vec<i64>>,
    /// Categories to evaluate; `None` means every category of the ground truth. Sorted and
    /// deduplicated when `use_cats` is on; kept in the given order (first occurrence of each) when
    /// it is off.
    pub cat_ids: Option<Vec<i64>>,
    /// IoU thresholds at which a detection counts as a match.
    pub iou_thrs: Vec<f64>,
    /// Recall thresholds at which precision is sampled.
    pub rec_thrs: Vec<f64>,
    /// Detections kept per image (and per category when `use_cats`); sorted before use.
    pub max_dets: Vec<usize>,
    /// Area ranges.
    pub area_rngs: Vec<AreaRange>,
    /// Match only within a category (`true`, the default) or across all categories.
    pub use_cats: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            img_ids: None,
            cat_ids: None,
            iou_thrs: linspace(0.5, 0.95, 10),
            rec_thrs: linspace(0.0, 1.0, 101),
            max_dets: vec![1, 10, 100],
            area_rngs: vec![
                AreaRange::new("all", 0.0, 1e10),
                AreaRange::new("small", 0.0, 1024.0),
                AreaRange::new("medium", 1024.0, 9216.0),
                AreaRange::new("large", 9216.0, 1e10),
            ],
            use_cats: true,
        }
    }
}

impl Params {
    /// pycocotools' `Params(iouType="keypoints")`: IoU (OKS) thresholds 0.50:0.05:0.95, 101 recall
    /// thresholds, maxDets 20, and the area ranges all, medium (32² to 96²) and large (> 96²).
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_eval::Params;
    ///
    /// let p = Params::keypoints();
    /// assert_eq!(p.max_dets, vec![20]);
    /// let labels: Vec<&str> = p.area_rngs.iter().map(|r| r.label.as_str()).collect();
    /// assert_eq!(labels, ["all", "medium", "large"]);
    /// assert_eq!(p.iou_thrs, Params::default().iou_thrs);
    /// ```
    pub fn keypoints() -> Self {
        Params {
            max_dets: vec![20],
            area_rngs: vec![
                AreaRange::new("all", 0.0, 1e10),
                AreaRange::new("medium", 1024.0, 9216.0),
                AreaRange::new("large", 9216.0, 1e10),
            ],
            ..Params::default()
        }
    }
}

/// The images and categories an evaluation reads, sorted (`None`: all of them).
pub(crate) struct Selection {
    img_ids: Option<Vec<i64>>,
    cat_ids: Option<Vec<i64>>,
}

impl Selection {
    /// Whether an item of `image_id` and `category_id` takes part.
    pub(crate) fn includes(&self, image_id: i64, category_id: i64) -> bool {
        let has = |ids: &Option<Vec<i64>>, id: i64| ids.as_ref().is_none_or(|ids| ids.binary_search(&id).is_ok());
        has(&self.img_ids, image_id) && has(&self.cat_ids, category_id)
    }
}

/// Parameters after the normalisation that pycocotools' `evaluate` applies.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Resolved {
    pub(crate) img_ids: Vec<i64>,
    pub(crate) cat_ids: Vec<i64>,
    pub(crate) iou_thrs: Vec<f64>,
    pub(crate) rec_thrs: Vec<f64>,
    pub(crate) max_dets: Vec<usize>,
    pub(crate) area_rngs: Vec<AreaRange>,
    pub(crate) use_cats: bool,
}

/// Thresholds on IoU or recall: a non-empty list of numbers in [0, 1] (a threshold outside it
/// would silently match nothing, or everything).
fn check_unit(field: &'static str, values: &[f64]) -> Result<(), EvalError> {
    if values.is_empty() {
        return Err(EvalError::Params { field, reason: "must not be empty".into() });
    }
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !(0.0..=1.0).contains(*v)) {
        return Err(EvalError::Params { field, reason: format!("[{i}] = {v} is not a number in [0, 1]") });
    }
    Ok(())
}

impl Params {
    /// The images and categories that take part, for fast membership tests.
    pub(crate) fn selection(&self) -> Selection {
        let sorted = |ids: &Option<Vec<i64>>| {
            ids.as_ref().map(|ids| {
                let mut ids = ids.clone();
                ids.sort_unstable();
                ids.dedup();
                ids
            })
        };
        Selection { img_ids: sorted(&self.img_ids), cat_ids: sorted(&self.cat_ids) }
    }

    pub(crate) fn resolve(&self, all_img_ids: &[i64], all_cat_ids: &[i64]) -> Result<Resolved, EvalError> {
        check_unit("iou_thrs", &self.iou_thrs)?;
        check_unit("rec_thrs", &self.rec_thrs)?;
        if self.max_dets.is_empty() {
            return Err(EvalError::Params { field: "max_dets", reason: "must not be empty".into() });
        }
        if self.area_rngs.is_empty() {
            return Err(EvalError::Params { field: "area_rngs", reason: "must not be empty".into() });
        }
        for (i, r) in self.area_rngs.iter().enumerate() {
            if r.min.is_nan() || r.max.is_nan() {
                return Err(EvalError::Params {
                    field: "area_rngs",
                    reason: format!("[{i}] = [{}, {}] holds NaN", r.min, r.max),
                });
            }
        }
        let mut img_ids = self.img_ids.clone().unwrap_or_else(|| all_img_ids.to_vec());
        img_ids.sort_unstable();
        img_ids.dedup();
        let mut cat_ids = self.cat_ids.clone().unwrap_or_else(|| all_cat_ids.to_vec());
        if self.use_cats {
            cat_ids.sort_unstable();
            cat_ids.dedup();
        } else {
            let mut seen = std::collections::HashSet::new();
            cat_ids.retain(|c| seen.insert(*c));
        }
        let mut max_dets = self.max_dets.clone();
        max_dets.sort_unstable();
        Ok(Resolved {
            img_ids,
            cat_ids,
            iou_thrs: self.iou_thrs.clone(),
            rec_thrs: self.rec_thrs.clone(),
            max_dets,
            area_rngs: self.area_rngs.clone(),
            use_cats: self.use_cats,
        })
    }
}
