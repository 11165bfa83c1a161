//! The `engine` target: suppression on every geometry, measure, policy and scope, from a few
//! items written by the fuzzer (any floats: NaN, infinities, subnormals, `±1e300`) or thousands
//! generated from a seed.

use std::f64::consts::PI;

use softkit_geom::{
    Box3dOrigin, BoxMeasure, BoxSet, Boxes3d, Geometry, IntersectMeasure, KeypointInstance, Keypoints, Masks, OksNms,
    Overlap, Polygons, Rle, RotatedBoxes, RotatedFormat, Segments, SetView, ShapeMeasure,
};
use softkit_nms::{Policy, SuppressParams, batched_nms, nms, soft_nms, suppress, suppress_batched, suppress_per_image};

use crate::input::{Input, Synth};
use crate::kept_invariants::{self, Columns};
use crate::overlap_contract::{self, Expect};
use crate::reference::{self, Scope};

/// Up to this many items the result is compared with the plain greedy algorithm, and every pair
/// with the overlap contract.
const ORACLE_MAX: usize = 48;

/// The most items a case written byte by byte holds.
const SMALL_MAX: usize = 40;

/// Image and label ids the columns draw from: the extremes of `i64` sort like any other id.
const IDS: [i64; 5] = [0, 1, -7, i64::MAX, i64::MIN];

/// Suppresses items of one geometry (chosen by the first bytes) under one policy and scope, and
/// checks the result: kept indices valid and unique, scores finite and never raised, selection
/// order, `max_output`, the same result from a second call, and (up to 48 items) exactly the
/// plain greedy algorithm's result, with every pair meeting the overlap contract. Invalid items
/// and parameters must give an error, never a panic.
///
/// The geometries are `[x1, y1, x2, y2]` boxes (`f64` by IoU, GIoU, DIoU or IoMin, and `f32`
/// through `nms`, `batched_nms` and `soft_nms`), rotated boxes in every angle format, polygons
/// (star-shaped or arbitrary), 3-D boxes, their bird's-eye view, time segments, poses (OKS) and
/// run-length masks. One case in sixteen generates up to a few thousand items from a seed.
///
/// # Examples
///
/// ```
/// // Gaussian Soft-NMS, one set, two rotated boxes.
/// softkit_fuzz::engine(&[2, 0, 0, 5, 0, 0, 0, 2, 2]);
/// softkit_fuzz::engine(b"");
/// ```
pub fn engine(data: &[u8]) {
    let mut input = Input::new(data);
    let params = read_params(&mut input);
    let scope = [Scope::Set, Scope::Batched, Scope::PerImage][input.below(3)];
    let (images, labels) = (1 + input.below(IDS.len()), 1 + input.below(IDS.len()));
    let geometry = input.below(GEOMETRIES);
    let size = input.byte();
    let case = Case { params, scope, images, labels };
    if size % 16 == 15 {
        let count = 1 + usize::from(input.u16()) % LARGE_MAX[geometry];
        let seed = input.u64();
        // A square whose side grows with the root of the count keeps the density (from a few to
        // about a hundred items over each one) independent of the count.
        let extent = (4.0 + f64::from(input.byte()) / 4.0) * (count as f64).sqrt();
        let mut items = Items::Scene(Scene { synth: Synth::new(seed), extent });
        build(geometry, &mut items, count, &case);
    } else {
        let count = usize::from(size) % (SMALL_MAX + 1);
        build(geometry, &mut Items::Bytes(input), count, &case);
    }
}

/// The policy and scope of one case.
struct Case {
    params: SuppressParams,
    scope: Scope,
    /// How many image ids and labels the rows draw from.
    images: usize,
    labels: usize,
}

fn read_params(input: &mut Input<'_>) -> SuppressParams {
    let kind = input.byte();
    let threshold = match input.below(8) {
        0 => 0.0,
        1 => 0.3,
        2 => 0.5,
        3 => 0.7,
        4 => 1.0,
        5 => 1e-12,
        _ => input.float(),
    };
    let sigma = match input.below(8) {
        0 => 0.5,
        1 => 0.05,
        2 => 2.0,
        3 => 1e-300,
        4 => 5e-324,
        5 => 1e300,
        _ => input.float(),
    };
    let policy = match kind % 3 {
        0 => Policy::Hard { iou_threshold: threshold },
        1 => Policy::Linear { iou_threshold: threshold },
        _ => Policy::Gaussian { sigma },
    };
    let mut params = SuppressParams::new(policy);
    match input.below(6) {
        0 => params.score_threshold = f64::NEG_INFINITY,
        1 => params.score_threshold = 0.0,
        2 => params.score_threshold = 0.5,
        3 => params.score_threshold = input.float(),
        _ => {}
    }
    if input.below(4) == 0 {
        params.max_output = Some(input.below(16));
    }
    params
}

/// Where items come from: the fuzzer's bytes, or a dense random scene the bytes seed.
enum Items<'a> {
    Bytes(Input<'a>),
    Scene(Scene),
}

/// Items scattered over a square of side `extent`, a few tens of units each.
struct Scene {
    synth: Synth,
    extent: f64,
}

impl Items<'_> {
    fn coord(&mut self) -> f64 {
        match self {
            Items::Bytes(input) => input.float(),
            Items::Scene(s) => s.synth.range(0.0, s.extent),
        }
    }

    fn size(&mut self) -> f64 {
        match self {
            Items::Bytes(input) => input.float(),
            Items::Scene(s) => s.synth.range(0.5, 40.0),
        }
    }

    fn angle(&mut self) -> f64 {
        match self {
            Items::Bytes(input) => input.float(),
            Items::Scene(s) => s.synth.range(-PI, PI),
        }
    }

    fn score(&mut self) -> f64 {
        match self {
            Items::Bytes(input) => input.score(),
            // A quarter of the scores tie.
            Items::Scene(s) => {
                if s.synth.below(4) == 0 {
                    s.synth.below(8) as f64 / 8.0
                } else {
                    s.synth.unit()
                }
            }
        }
    }

    fn below(&mut self, n: usize) -> usize {
        match self {
            Items::Bytes(input) => input.below(n),
            Items::Scene(s) => s.synth.below(n),
        }
    }

    fn is_scene(&self) -> bool {
        matches!(self, Items::Scene(_))
    }
}

/// The geometries, in the order the selector byte picks them.
const GEOMETRIES: usize = 9;

/// The most items a generated case holds, per geometry: fewer where one pair costs more.
const LARGE_MAX: [usize; GEOMETRIES] = [4096, 4096, 2048, 512, 2048, 2048, 4096, 1024, 256];

fn build(geometry: usize, items: &mut Items<'_>, n: usize, case: &Case) {
    match geometry {
        0 => boxes(items, n, case),
        1 => boxes_f32(items, n, case),
        2 => rotated(items, n, case),
        3 => polygons(items, n, case),
        4 => boxes3d(items, n, case, false),
        5 => boxes3d(items, n, case, true),
        6 => segments(items, n, case),
        7 => poses(items, n, case),
        _ => masks(items, n, case),
    }
}

/// The scores, images and labels of `n` rows.
fn columns(items: &mut Items<'_>, n: usize, case: &Case) -> Columns {
    let scores = (0..n).map(|_| items.score()).collect();
    let images = (0..n).map(|_| IDS[items.below(case.images)]).collect();
    let labels = (0..n).map(|_| IDS[items.below(case.labels)]).collect();
    Columns { scores, images, labels }
}

/// `[x, y, x + w, y + h]`: inverted only when a size is negative.
fn xyxy(items: &mut Items<'_>) -> [f64; 4] {
    let (x, y, w, h) = (items.coord(), items.coord(), items.size(), items.size());
    [x, y, x + w, y + h]
}

fn boxes(items: &mut Items<'_>, n: usize, case: &Case) {
    let pixel_offset = match items.below(4) {
        0 => 1.0,
        1 => items.coord(),
        _ => 0.0,
    };
    let measure = [BoxMeasure::Iou, BoxMeasure::Giou, BoxMeasure::DIOU, BoxMeasure::IoMin][items.below(4)];
    let expect = if matches!(measure, BoxMeasure::Giou | BoxMeasure::Diou { .. }) {
        Expect::within(-1.0, 1.0)
    } else {
        Expect::within(0.0, 1.0)
    };
    let boxes: Vec<[f64; 4]> = (0..n).map(|_| xyxy(items)).collect();
    let columns = columns(items, n, case);
    if let Ok(set) = BoxSet::new(&boxes, measure, pixel_offset) {
        drive(&set, &columns, case, expect);
    }
}

/// `f32` boxes through the box entry points, which must agree with the engine they wrap.
fn boxes_f32(items: &mut Items<'_>, n: usize, case: &Case) {
    let boxes: Vec<[f32; 4]> = (0..n).map(|_| xyxy(items).map(|v| v as f32)).collect();
    let columns = columns(items, n, case);
    let scores: Vec<f32> = columns.scores.iter().map(|&s| s as f32).collect();
    let columns = Columns { scores: scores.iter().map(|&s| f64::from(s)).collect(), ..columns };
    let params = &case.params;
    let t = match params.policy {
        Policy::Hard { iou_threshold } | Policy::Linear { iou_threshold } => iou_threshold,
        Policy::Gaussian { .. } => 0.5,
        other => unreachable!("the cases draw greedy policies only, not {other:?}"),
    };
    let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0);
    let hard = SuppressParams::hard(t);
    let engine = set.as_ref().map_err(|e| e.to_string());
    let via = |r: Result<Vec<usize>, softkit_nms::NmsError>| r.map_err(|e| e.to_string());
    let direct = engine.clone().and_then(|s| via(suppress(s, &scores, &hard).map(|k| k.indices)));
    same_outcome(&via(nms(&boxes, &scores, t)), &direct, "nms");
    let direct =
        engine.clone().and_then(|s| via(suppress_batched(s, &scores, &columns.labels, &hard).map(|k| k.indices)));
    same_outcome(&via(batched_nms(&boxes, &scores, &columns.labels, t)), &direct, "batched_nms");
    let soft = soft_nms(&boxes, &scores, params).map_err(|e| e.to_string());
    let direct = engine.and_then(|s| suppress(s, &scores, params).map_err(|e| e.to_string()));
    same_outcome(&soft, &direct, "soft_nms");
    if let Ok(set) = set {
        drive(&set, &columns, case, Expect::within(0.0, 1.0));
    }
}

/// An entry point and the engine call it stands for either both fail or return the same.
fn same_outcome<T: PartialEq + std::fmt::Debug>(a: &Result<T, String>, b: &Result<T, String>, name: &str) {
    match (a, b) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{name} differs from the engine"),
        (Err(_), Err(_)) => {}
        _ => panic!("{name}: {a:?}, but the engine gives {b:?}"),
    }
}

const SHAPE_MEASURES: [ShapeMeasure; 3] = [ShapeMeasure::Iou, ShapeMeasure::Giou, ShapeMeasure::IoMin];

/// What a shape measure promises over a column. GIoU measures the pair's hull in the first
/// shape's frame, so it is symmetric only to rounding, and only while coordinates stay moderate
/// and areas not tiny: a shape spanning `1e85` cannot keep its small features in `f64`.
fn shape_expect<G: Geometry>(measure: ShapeMeasure, geometry: &G, coords: &[f64]) -> Expect {
    if measure != ShapeMeasure::Giou {
        return Expect::within(0.0, 1.0);
    }
    let moderate = coords.iter().all(|v| v.abs() <= 1e4);
    let sizable = (0..geometry.len()).map(|i| geometry.area(i)).all(|a| a == 0.0 || a >= 1e-4);
    Expect { bounds: Some((-1.0, 1.0)), symmetry: (moderate && sizable).then_some(1e-6), finite: true }
}

fn rotated(items: &mut Items<'_>, n: usize, case: &Case) {
    let formats =
        [RotatedFormat::Radians, RotatedFormat::Degrees, RotatedFormat::Le90, RotatedFormat::Le135, RotatedFormat::Oc];
    let format = if items.is_scene() { RotatedFormat::Radians } else { formats[items.below(formats.len())] };
    let measure = SHAPE_MEASURES[items.below(3)];
    let boxes: Vec<[f64; 5]> =
        (0..n).map(|_| [items.coord(), items.coord(), items.size(), items.size(), items.angle()]).collect();
    let columns = columns(items, n, case);
    if let Ok(column) = RotatedBoxes::new(&boxes, format) {
        let expect = shape_expect(measure, &column, boxes.as_flattened());
        drive(&SetView::of(column, measure), &columns, case, expect);
    }
}

/// A polygon of 3 to 8 vertices around a centre, in order of angle (so it is simple), or, when
/// `raw`, of 0 to 9 arbitrary vertices (often self-intersecting or degenerate).
fn polygon(items: &mut Items<'_>, raw: bool) -> Vec<[f64; 2]> {
    if raw {
        let k = items.below(10);
        return (0..k).map(|_| [items.coord(), items.coord()]).collect();
    }
    let k = 3 + items.below(6);
    let centre = [items.coord(), items.coord()];
    (0..k)
        .map(|v| {
            let turn = 2.0 * PI * (v as f64 + 0.9 * items.below(256) as f64 / 256.0) / k as f64;
            let r = if items.is_scene() { 1.0 + items.size() / 2.0 } else { items.size() };
            [centre[0] + r * turn.cos(), centre[1] + r * turn.sin()]
        })
        .collect()
}

fn polygons(items: &mut Items<'_>, n: usize, case: &Case) {
    let raw = !items.is_scene() && items.below(4) == 0;
    let measure = SHAPE_MEASURES[items.below(3)];
    let mut vertices = Vec::new();
    let mut offsets = vec![0];
    for _ in 0..n {
        vertices.extend(polygon(items, raw));
        offsets.push(vertices.len());
    }
    let columns = columns(items, n, case);
    if let Ok(polygons) = Polygons::from_offsets(&vertices, &offsets) {
        let expect = shape_expect(measure, &polygons, vertices.as_flattened());
        drive(&SetView::of(polygons, measure), &columns, case, expect);
    }
}

fn boxes3d(items: &mut Items<'_>, n: usize, case: &Case, bev: bool) {
    let origin = if items.below(2) == 0 { Box3dOrigin::Centre } else { Box3dOrigin::Bottom };
    let boxes: Vec<[f64; 7]> = (0..n)
        .map(|_| {
            let [x, y, z] = [items.coord(), items.coord(), items.coord()];
            [x, y, z, items.size(), items.size(), items.size(), items.angle()]
        })
        .collect();
    let (measure, intersect) =
        (SHAPE_MEASURES[items.below(3)], [IntersectMeasure::Iou, IntersectMeasure::IoMin][items.below(2)]);
    let columns = columns(items, n, case);
    let Ok(column) = Boxes3d::new(&boxes, origin) else { return };
    if bev {
        let expect = shape_expect(measure, column.bev(), boxes.as_flattened());
        drive(&SetView::of(column.into_bev(), measure), &columns, case, expect);
    } else {
        drive(&SetView::of(column, intersect), &columns, case, Expect::within(0.0, 1.0));
    }
}

fn segments(items: &mut Items<'_>, n: usize, case: &Case) {
    let measure = [IntersectMeasure::Iou, IntersectMeasure::IoMin][items.below(2)];
    let segments: Vec<[f64; 2]> = (0..n)
        .map(|_| {
            let (start, length) = (items.coord(), items.size());
            [start, start + length]
        })
        .collect();
    let columns = columns(items, n, case);
    if let Ok(segments) = Segments::new(&segments) {
        drive(&SetView::of(segments, measure), &columns, case, Expect::within(0.0, 1.0));
    }
}

/// Poses of 1 to 4 keypoints, measured by mmpose's OKS with sigmas that the callers accept
/// (finite and positive, however small or large).
fn poses(items: &mut Items<'_>, n: usize, case: &Case) {
    let k = 1 + items.below(4);
    let sigmas: Vec<f64> = (0..k)
        .map(|_| {
            let s = if items.is_scene() { 0.025 + items.size() / 400.0 } else { items.size() };
            if s.is_finite() && s > 0.0 { s } else { 0.1 }
        })
        .collect();
    let visibility = match items.below(4) {
        0 => Some(0.0),
        1 => Some(items.coord()),
        _ => None,
    };
    let instances: Vec<KeypointInstance> = (0..n)
        .map(|_| {
            let centre = [items.coord(), items.coord()];
            let keypoints = (0..k)
                .flat_map(|_| {
                    let spread = if items.is_scene() { 10.0 } else { 1.0 };
                    let (dx, dy) = (items.size() * spread / 40.0, items.size() * spread / 40.0);
                    let v = [0.0, 1.0, 2.0, items.coord()][items.below(4)];
                    [centre[0] + dx, centre[1] + dy, v]
                })
                .collect();
            let area = if items.is_scene() { items.size() * items.size() } else { items.size() };
            KeypointInstance { keypoints, area, bbox: [centre[0], centre[1], items.size(), items.size()] }
        })
        .collect();
    let columns = columns(items, n, case);
    // OKS lies in [0, 1] when the scale, the mean of two areas, is positive.
    let bounded = instances.iter().all(|p| p.area >= 0.0);
    if let Ok(poses) = Keypoints::new(instances) {
        let set = SetView::of(poses, OksNms::new(&sigmas, visibility));
        let expect = Expect { bounds: bounded.then_some((0.0, 1.0)), symmetry: Some(1e-9), finite: bounded };
        drive(&set, &columns, case, expect);
    }
}

/// Masks of one small size (now and then one of another size), pixel by pixel from the bytes,
/// or filled rectangles in a generated scene.
fn masks(items: &mut Items<'_>, n: usize, case: &Case) {
    let measure = [IntersectMeasure::Iou, IntersectMeasure::IoMin][items.below(2)];
    let scene = items.is_scene();
    let (h, w) = if scene { (24, 24) } else { (1 + items.below(6), 1 + items.below(6)) };
    let masks: Vec<Rle> = (0..n)
        .map(|_| {
            let (mh, mw) =
                if !scene && items.below(8) == 0 { (1 + items.below(6), 1 + items.below(6)) } else { (h, w) };
            let pixels: Vec<u8> = if scene {
                let (x0, y0) = (items.below(mw), items.below(mh));
                let (x1, y1) = (x0 + items.below(mw - x0) + 1, y0 + items.below(mh - y0) + 1);
                (0..mh * mw).map(|p| u8::from((x0..x1).contains(&(p / mh)) && (y0..y1).contains(&(p % mh)))).collect()
            } else {
                (0..mh * mw).map(|_| u8::from(items.below(2) == 1)).collect()
            };
            Rle::from_mask(mh as u32, mw as u32, &pixels).expect("a mask of its own size")
        })
        .collect();
    let columns = columns(items, n, case);
    drive(&SetView::of(Masks::new(masks), measure), &columns, case, Expect::within(0.0, 1.0));
}

fn drive<const D: usize, S: Overlap<D>>(set: &S, columns: &Columns, case: &Case, expect: Expect) {
    check_suppression(set, columns, &case.params, case.scope, expect);
}

/// Suppresses `set` in `scope` twice and checks the outcome: the same result both times, the
/// invariants of [`kept_invariants::check`], an error for a missing score, and, up to
/// [`ORACLE_MAX`] items, the overlap contract of every pair and the plain greedy algorithm's
/// result exactly. `expect` says what the measure promises besides the contract.
pub(crate) fn check_suppression<const D: usize, S: Overlap<D>>(
    set: &S,
    columns: &Columns,
    params: &SuppressParams,
    scope: Scope,
    expect: Expect,
) {
    let n = set.len();
    let threshold = match params.policy {
        Policy::Hard { iou_threshold } | Policy::Linear { iou_threshold } => iou_threshold,
        Policy::Gaussian { .. } => 0.0,
        other => unreachable!("the cases draw greedy policies only, not {other:?}"),
    };
    if n <= ORACLE_MAX && expect.finite {
        overlap_contract::check(set, expect, threshold);
    }
    let run = |scores: &[f64]| match scope {
        Scope::Set => suppress(set, scores, params),
        Scope::Batched => suppress_batched(set, scores, &columns.labels, params),
        Scope::PerImage => suppress_per_image(set, scores, &columns.images, &columns.labels, params),
    };
    if n > 0 {
        assert!(run(&columns.scores[..n - 1]).is_err(), "a missing score went unnoticed");
    }
    let first = run(&columns.scores);
    let second = run(&columns.scores);
    assert_eq!(format!("{first:?}"), format!("{second:?}"), "two identical calls differ");
    let Ok(kept) = first else { return };
    if !expect.finite {
        return; // infinite overlaps decay scores to -inf: nothing left to promise
    }
    let ordered = expect.bounds.is_some_and(|(lo, hi)| lo >= -1.0 && hi <= 1.0);
    kept_invariants::check(&kept, columns, params, scope, ordered);
    if n <= ORACLE_MAX {
        let want = reference::greedy(set, &columns.scores, &columns.images, &columns.labels, params, scope);
        let got: Vec<(usize, u64)> =
            kept.indices.iter().copied().zip(kept.scores.iter().map(|s| s.to_bits())).collect();
        let want: Vec<(usize, u64)> = want.into_iter().map(|(i, s)| (i, s.to_bits())).collect();
        assert_eq!(got, want, "the engine differs from the plain greedy algorithm");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_geometry_runs_on_small_and_generated_cases() {
        for geometry in 0..GEOMETRIES as u8 {
            for policy in 0..3 {
                // Small: 6 items from the bytes that follow.
                let mut data = vec![policy, 2, 0, 5, 1, 0, 2, 2, geometry, 6];
                data.extend((0..200u8).map(|b| b.wrapping_mul(37).wrapping_add(geometry)));
                engine(&data);
                // Generated: 300 items.
                let data = [policy, 2, 0, 5, 1, 0, 2, 2, geometry, 15, 44, 1, 9, 9, 9, 9, 9, 9, 9, 9, 20];
                engine(&data);
            }
        }
    }
}
