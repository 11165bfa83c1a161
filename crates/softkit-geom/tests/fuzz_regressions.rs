//! Inputs that `cargo fuzz` (the `fuzz/` crate) found to break a promise of this crate, each
//! kept as a test once fixed. The reproducers themselves are in `fuzz/regressions/`.

use softkit_geom::{
    Geometry, Hull, Intersect, KeypointInstance, Keypoints, Measure, OksNms, Overlap, Polygons, RotatedBoxes,
    RotatedFormat, SetView, ShapeMeasure, oks,
};

fn pose(keypoints: Vec<f64>, area: f64) -> KeypointInstance {
    KeypointInstance { keypoints, area, bbox: [0.0, 0.0, 1.0, 1.0] }
}

/// `fuzz/regressions/engine/oks-subnormal-sigma`: a sigma below about `1e-154` squares to 0, and a
/// keypoint found exactly then gave `0 / 0`, so OKS was NaN (and Soft-NMS could return a NaN
/// score). Every such sigma is valid input: finite and positive.
#[test]
fn oks_is_a_number_when_the_variance_underflows() {
    let sigmas = [1e-200, 0.1];
    let poses = Keypoints::new(vec![pose(vec![3.0, 4.0, 2.0, 5.0, 5.0, 2.0], 10.0); 2]).unwrap();
    let same = OksNms::new(&sigmas, None).between(&poses, 0, &poses, 1);
    assert_eq!(same, 1.0);
    // Moved by one pixel: the keypoint with the tiny sigma no longer counts at all.
    let moved = Keypoints::new(vec![
        pose(vec![3.0, 4.0, 2.0, 5.0, 5.0, 2.0], 10.0),
        pose(vec![4.0, 4.0, 2.0, 5.0, 5.0, 2.0], 10.0),
    ])
    .unwrap();
    let oks_nms = OksNms::new(&sigmas, None).between(&moved, 0, &moved, 1);
    assert_eq!(oks_nms, 0.5);
    assert_eq!(OksNms::new(&sigmas, None).between(&moved, 1, &moved, 0), oks_nms);
    // Evaluation's OKS takes the same path.
    let gt = [3.0, 4.0, 2.0, 5.0, 5.0, 2.0];
    assert_eq!(oks(&gt, &gt, [0.0, 0.0, 10.0, 10.0], 10.0, &sigmas), 1.0);
}

/// Squared distances and variances that both overflow, and areas whose sum overflows, gave
/// `inf / inf`.
#[test]
fn oks_is_a_number_at_the_extremes_of_f64() {
    let sigmas = [1e200];
    let far = Keypoints::new(vec![pose(vec![-1e300, 0.0, 2.0], 1e308), pose(vec![1e300, 0.0, 2.0], 1e308)]).unwrap();
    let value = OksNms::new(&sigmas, None).between(&far, 0, &far, 1);
    assert!(value.is_finite() && (0.0..=1.0).contains(&value), "{value}");
    let gt = [1e300, 0.0, 2.0];
    let value = oks(&[-1e300, 0.0, 2.0], &gt, [0.0, 0.0, 1.0, 1.0], 1e308, &sigmas);
    assert!(value.is_finite() && (0.0..=1.0).contains(&value), "{value}");
}

/// `fuzz/regressions/engine/rotated-tiny-box-exceeds`: a box along the axes whose sides
/// (`2^-52`) are below the precision of its centre (`x = 1 + 2^-52`) has corners that round a
/// whole ulp apart, so its area, from the corners, was twice the bound hard NMS used to rule
/// pairs out: `overlap(i, i)` was 1 but `exceeds(i, i, 0.9)` said no.
#[test]
fn a_box_below_the_precision_of_its_centre_exceeds_itself() {
    let eps = f64::EPSILON;
    let boxes = RotatedBoxes::new(&[[1.0 + eps, 0.0, eps, eps, eps]], RotatedFormat::Radians).unwrap();
    assert!(boxes.intersection_bound(0, &boxes, 0) >= boxes.intersection(0, &boxes, 0));
    for measure in [ShapeMeasure::Iou, ShapeMeasure::IoMin] {
        assert_eq!(measure.between(&boxes, 0, &boxes, 0), 1.0);
        assert!(measure.exceeds(&boxes, 0, &boxes, 0, 0.9), "{measure:?}");
    }
}

/// `fuzz/regressions/engine/polygon-giou-above-iou`: a polygon of area 0 at `1e16` and one of
/// area 929 near the origin. Their hull, computed in the degenerate polygon's frame, rounded to
/// 926, below their union, so GIoU came out positive (0.003) for shapes that do not meet.
#[test]
fn giou_of_disjoint_shapes_is_never_positive() {
    let near = vec![
        [1.9980878919034746, 1.0618106789776514],
        [1.249640671459716, 1.968338543668041],
        [-26.231219764011062, -13.814205012896688],
        [6.674236526609358, -29.476270110367707],
        [31.738090797661794, -3.021165765633069],
    ];
    let far = vec![
        [1e16, 1e16],
        [1e16, 1e16],
        [9999999999999998.0, 1.0000000000000002e16],
        [1e16, 1e16],
        [1.0000000000000012e16, 9999999999999972.0],
    ];
    let polygons = Polygons::from_rings(&[near, far]).unwrap();
    assert_eq!(polygons.area(1), 0.0);
    for (i, j) in [(0, 1), (1, 0)] {
        let giou = ShapeMeasure::Giou.between(&polygons, i, &polygons, j);
        assert!(giou <= 0.0, "GIoU {giou}");
    }
}

/// `fuzz/regressions/engine/rotated-long-bar-clip-above-bound`: a 31 x 31 box against a bar
/// `1e34` long and 31 wide. In the small box's frame the bar's corners lie near `5e33`, where
/// float64 cannot hold its width, and the clip said the small box lay wholly inside (IoMin 1)
/// while the bound, computed in each box's own frame, rightly kept it under 0.5.
#[test]
fn a_clip_far_out_never_exceeds_the_bound() {
    let boxes = RotatedBoxes::new(
        &[[31.0, 31.0, 31.0, 31.0, 31.0], [1.0, 1.0, 1.0301085376869562e34, 31.0, 2.859375]],
        RotatedFormat::Degrees,
    )
    .unwrap();
    let (inter, bound) = (boxes.intersection(0, &boxes, 1), boxes.intersection_bound(0, &boxes, 1));
    assert!(inter <= bound, "{inter} > {bound}");
    let iomin = ShapeMeasure::IoMin.between(&boxes, 0, &boxes, 1);
    assert!(iomin < 0.5, "IoMin {iomin}");
    assert_eq!(ShapeMeasure::IoMin.exceeds(&boxes, 0, &boxes, 1, 0.5), iomin > 0.5);
}

/// `fuzz/regressions/convex_clip/polygon-clip-above-envelopes`: a sliver reaching `3e29` against
/// a polygon of a few hundred units. Clipped in the small polygon's frame, the sliver's edges lost
/// their digits and the intersection came out at 7259, where the envelopes overlap by 961.
#[test]
fn a_polygon_clip_never_exceeds_the_envelopes_overlap() {
    let sliver = vec![
        [0.015625, 31.0],
        [31.0, 31.0],
        [31.0, 50.171875],
        [5898240.0, 3.1691265005705735e29],
        [2.4898070982681294e-220, -2.54513614489631e-220],
        [-2.54513614489631e-220, -2.54513614489631e-220],
    ];
    let other = vec![
        [29.0, 29.0],
        [29.0, -0.00390625],
        [31.0, -465.828125],
        [-465.828125, 12.125],
        [31.0, 31.0],
        [2.03125, 4.0],
        [0.0, 0.0],
    ];
    let polygons = Polygons::from_rings(&[sliver, other]).unwrap();
    for (i, j) in [(0, 1), (1, 0)] {
        let (inter, bound) = (polygons.intersection(i, &polygons, j), polygons.intersection_bound(i, &polygons, j));
        assert!(inter <= bound && inter <= 961.0, "{inter} > {bound}");
    }
}

/// `fuzz/regressions/convex_clip/rotated-subnormal-side`: a box `1e16` by `5e-324` has a normal
/// area (`4.9e-308`), but half of its subnormal side is 0, so it did not overlap itself (IoU 0).
/// A subnormal side is refused like an underflowing area, and named.
#[test]
fn a_subnormal_side_is_refused_and_named() {
    let err = RotatedBoxes::new(&[[1e16, 1e16, 1e16, 5e-324, 20.0]], RotatedFormat::Radians).unwrap_err();
    assert!(err.to_string().contains("h = 5e-324") && err.to_string().contains("rescale the coordinates"), "{err}");
}

/// `fuzz/regressions/convex_clip/polygon-hull-negative`: a sliver reaching `3.8e16` and a
/// triangle near the origin had a convex hull of area `-7.2e16`. The hull holds both shapes, so
/// it is never below either's area.
#[test]
fn a_hull_is_never_below_either_shape() {
    let sliver =
        vec![[-0.0, 30.0], [-2.860617535299773, 34.10083739213535], [-3.1151452449905396e16, 2.1768200091812184e16]];
    let near = vec![
        [32.81317541866845, 0.8776215428104259],
        [26.228783907263093, 2.6260489751261273],
        [52.375699051698774, -19.597946067157245],
    ];
    let polygons = Polygons::from_rings(&[sliver, near]).unwrap();
    for (i, j) in [(0, 1), (1, 0)] {
        let hull = polygons.hull_area(i, &polygons, j);
        assert!(hull >= polygons.area(0) && hull >= polygons.area(1), "hull {hull}");
        let giou = ShapeMeasure::Giou.between(&polygons, i, &polygons, j);
        assert!((-1.0..=0.0).contains(&giou), "GIoU {giou}");
    }
}

/// `fuzz/regressions/engine/oks-subnormal-variance-reach`: sigmas near `1e-306` square to 0, so
/// the reach and the distance bound, built on the squared widest sigma, were 0 and ruled out two
/// poses `1.3e-313` apart whose OKS (computed dividing before squaring) is 0.069.
#[test]
fn tiny_sigmas_keep_a_reach_that_covers_their_overlap() {
    let sigmas = [2.1482392927872e-306, 2.2250738585072014e-308];
    let x = 1.27319791736e-313;
    let poses = Keypoints::new(vec![pose(vec![x, 0.0, 0.0, x, 0.0, 0.0], 0.0), pose(vec![0.0; 6], 0.0)]).unwrap();
    let set = SetView::of(poses, OksNms::new(&sigmas, None));
    let value = set.overlap(0, 1);
    assert!(value > 0.05, "OKS {value}");
    let (a, b) = (set.reach(0, 1e-9).unwrap(), set.reach(1, 1e-9).unwrap());
    assert!(a.intersects(&b));
    assert!(set.exceeds(0, 1, 1e-9));
}
