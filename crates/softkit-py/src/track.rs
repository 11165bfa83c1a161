//! `softkit.track`: the ByteTrack tracker and the MOT metrics.

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use softkit_geom::BoxMeasure;
use softkit_io::read_mot;
use softkit_track::{Appearance, ByteTracker, Sequence, TrackError, TrackerConfig, hota, mot_metrics};

use crate::arrays::{BoxArray, ScoreArray, boxes_f64, scores_f64, values};
use crate::guard::{Size, compute};

/// The tracker's settings, as the Python wrapper passes them (a dict).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct TrackerOptions {
    high_threshold: f64,
    low_threshold: f64,
    new_track_threshold: f64,
    match_threshold: f64,
    low_match_threshold: f64,
    max_age: u32,
    min_hits: u32,
    measure: String,
    fuse_score: bool,
    appearance_dim: Option<usize>,
    appearance_weight: f64,
    appearance_max_distance: f64,
    appearance_momentum: f64,
}

/// ByteTrack, one frame at a time (the native half of `softkit.track.ByteTracker`).
#[pyclass(module = "softkit._native", name = "ByteTracker")]
pub(crate) struct PyByteTracker {
    inner: ByteTracker,
    frame: i64,
}

type Tracks<'py> =
    (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<i64>>);

#[pymethods]
impl PyByteTracker {
    #[new]
    fn new(options: TrackerOptions) -> PyResult<Self> {
        let measure: BoxMeasure = options.measure.parse().map_err(pyo3::exceptions::PyValueError::new_err)?;
        let appearance = options.appearance_dim.map(|dim| Appearance {
            dim,
            motion_weight: options.appearance_weight,
            max_distance: options.appearance_max_distance,
            momentum: options.appearance_momentum,
        });
        let config = TrackerConfig {
            high_threshold: options.high_threshold,
            low_threshold: options.low_threshold,
            new_track_threshold: options.new_track_threshold,
            match_threshold: options.match_threshold,
            low_match_threshold: options.low_match_threshold,
            max_age: options.max_age,
            min_hits: options.min_hits,
            measure,
            fuse_score: options.fuse_score,
            appearance,
            ..TrackerConfig::default()
        };
        let inner = ByteTracker::new(config).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        Ok(Self { inner, frame: 0 })
    }

    /// Tracks one frame; returns `(ids, boxes, scores, detection indices)` of the confirmed
    /// tracks matched in it.
    #[pyo3(signature = (boxes, scores, embeddings, frame))]
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        boxes: BoxArray<'py>,
        scores: ScoreArray<'py>,
        embeddings: Option<PyReadonlyArray1<'py, f32>>,
        frame: Option<i64>,
    ) -> PyResult<Tracks<'py>> {
        let (boxes, scores) = (boxes_f64(boxes), scores_f64(scores));
        let embeddings = embeddings.as_ref().map(values);
        let frame = frame.unwrap_or(self.frame + 1);
        let tracker = &mut self.inner;
        let out =
            compute(py, Size::Items(boxes.len()), || tracker.update(frame, &boxes, &scores, embeddings.as_deref()))?;
        self.frame = frame;
        let ids: Vec<i64> = out.iter().map(|t| t.id as i64).collect();
        let flat: Vec<f64> = out.iter().flat_map(|t| t.bbox).collect();
        let kept: Vec<f64> = out.iter().map(|t| t.score).collect();
        let detections: Vec<i64> = out.iter().map(|t| t.detection as i64).collect();
        Ok((
            PyArray1::from_vec(py, ids),
            PyArray1::from_vec(py, flat).reshape([out.len(), 4])?,
            PyArray1::from_vec(py, kept),
            PyArray1::from_vec(py, detections),
        ))
    }

    /// The last frame number given to `update` (0 before the first).
    #[getter]
    fn frame(&self) -> i64 {
        self.frame
    }
}

/// Rows of one side: frames, ids and `[x, y, w, h]` boxes.
type Rows<'py> = (PyReadonlyArray1<'py, i64>, PyReadonlyArray1<'py, i64>, BoxArray<'py>);

fn sequence(rows: Rows<'_>) -> Result<Sequence, TrackError> {
    let (frames, ids, boxes) = rows;
    Sequence::new(&values(&frames), &values(&ids), &boxes_f64(boxes))
}

/// CLEAR-MOT, identity and HOTA metrics of `tracks` against `gt` (each as frames, ids, boxes).
#[pyfunction]
pub(crate) fn track_mot_metrics<'py>(
    py: Python<'py>,
    gt: Rows<'py>,
    tracks: Rows<'py>,
    max_distance: f64,
    with_hota: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let gt = sequence(gt).map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("gt: {e}")))?;
    let tracks = sequence(tracks).map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("tracks: {e}")))?;
    let (m, h) = compute(py, Size::Unbounded, || {
        let h = if with_hota { Some(hota(&gt, &tracks)?) } else { None };
        Ok::<_, TrackError>((mot_metrics(&gt, &tracks, max_distance)?, h))
    })?;
    let out = PyDict::new(py);
    for (name, value) in m.named_ratios() {
        out.set_item(name, value)?;
    }
    for (name, value) in m.named_counts() {
        out.set_item(name, value)?;
    }
    if let Some(h) = &h {
        for (name, value) in h.summary().named() {
            out.set_item(name, value)?;
        }
        out.set_item("hota_alpha", h.hota.to_vec())?;
        out.set_item("deta_alpha", h.det_a.to_vec())?;
        out.set_item("assa_alpha", h.ass_a.to_vec())?;
    }
    Ok(out)
}

/// A MOTChallenge file's frames, ids, boxes and confidences.
type MotColumns<'py> =
    (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>, Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>);

/// Reads a MOTChallenge file with softkit's parser: `(frames, ids, boxes, confidences)`.
#[pyfunction]
pub(crate) fn track_read_mot(py: Python<'_>, path: String) -> PyResult<MotColumns<'_>> {
    let rows = compute(py, Size::Unbounded, || read_mot(&path))?;
    let n = rows.len();
    Ok((
        PyArray1::from_vec(py, rows.frames),
        PyArray1::from_vec(py, rows.ids),
        PyArray1::from_vec(py, rows.boxes.into_iter().flatten().collect()).reshape([n, 4])?,
        PyArray1::from_vec(py, rows.confidences),
    ))
}
