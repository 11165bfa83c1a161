//! The `convex_clip` target: the exact area arithmetic under polygons and rotated boxes (the
//! Sutherland–Hodgman clipper, the triangulation of concave rings, the convex hull, and the
//! rotated boxes' closed-form clip), on small shapes with any coordinates.

use std::f64::consts::PI;

use softkit_geom::{Hull, Measure, Polygons, RotatedBoxes, RotatedFormat, ShapeMeasure, rotated_corners};

use crate::input::Input;

/// Measures two small shapes against each other and against themselves, and checks that
/// intersections are finite, at least 0 and at most the smaller area; that IoU lies in `[0, 1]`,
/// GIoU in `[-1, 1]` and IoMin in `[0, 1]`; that each is symmetric (to `1e-9` relative); that a
/// shape overlaps an identical copy with IoU 1; and that a rotated box and the polygon of its
/// corners overlap alike. Invalid shapes (non-finite, self-intersecting) must give an error.
///
/// The first byte picks the case: two polygons (star-shaped, or arbitrary vertices, often
/// degenerate), two rotated boxes (any floats), or two rotated boxes against their corner
/// polygons (moderate values, where both computations must agree to `1e-8`).
///
/// # Examples
///
/// ```
/// // Two triangles on small integer vertices.
/// softkit_fuzz::convex_clip(&[0, 1, 3, 5, 0, 5, 0, 5, 8, 5, 0, 5, 8, 3, 5, 8, 5, 8, 5, 16, 5, 0]);
/// softkit_fuzz::convex_clip(b"");
/// ```
pub fn convex_clip(data: &[u8]) {
    let mut input = Input::new(data);
    match input.below(3) {
        0 => polygon_pair(&mut input),
        1 => rotated_pair(&mut input),
        _ => rotated_as_polygons(&mut input),
    }
}

/// A ring of 3 to 10 vertices: star-shaped around a centre (simple, convex or not), or arbitrary
/// vertices (collinear, repeated, crossing).
fn ring(input: &mut Input<'_>) -> Vec<[f64; 2]> {
    let k = 3 + input.below(8);
    if input.bool() {
        return (0..k).map(|_| [input.float(), input.float()]).collect();
    }
    let centre = [input.float(), input.float()];
    (0..k)
        .map(|v| {
            let turn = 2.0 * PI * (v as f64 + 0.95 * f64::from(input.byte()) / 256.0) / k as f64;
            let r = input.float();
            [centre[0] + r * turn.cos(), centre[1] + r * turn.sin()]
        })
        .collect()
}

fn polygon_pair(input: &mut Input<'_>) {
    let (a, b) = (ring(input), ring(input));
    // Item 2 is item 0 again.
    let Ok(polygons) = Polygons::from_rings(&[a.clone(), b, a]) else { return };
    check_pair(&polygons, 0, 1);
    check_identical(&polygons, 0, 2);
}

fn rotated_pair(input: &mut Input<'_>) {
    let mut next = || [input.float(), input.float(), input.float(), input.float(), input.float()];
    let (a, b) = (next(), next());
    let Ok(boxes) = RotatedBoxes::new(&[a, b, a], RotatedFormat::Radians) else { return };
    check_pair(&boxes, 0, 1);
    check_identical(&boxes, 0, 2);
}

/// Rotated boxes of moderate size and position, and the polygons of their corners: two ways to
/// the same intersection.
fn rotated_as_polygons(input: &mut Input<'_>) {
    let mut next = || {
        let centre = [f64::from(input.byte() as i8) / 4.0, f64::from(input.byte() as i8) / 4.0];
        let sides = [f64::from(input.byte() % 64 + 1) / 4.0, f64::from(input.byte() % 64 + 1) / 4.0];
        let angle = f64::from(input.byte()) * 2.0 * PI / 256.0;
        [centre[0], centre[1], sides[0], sides[1], angle]
    };
    let (a, b) = (next(), next());
    let boxes = RotatedBoxes::new(&[a, b], RotatedFormat::Radians).expect("finite boxes with positive sides");
    let polygons = Polygons::from_rings(&[rotated_corners(&a), rotated_corners(&b)]).expect("a rectangle is simple");
    check_pair(&boxes, 0, 1);
    check_pair(&polygons, 0, 1);
    for measure in [ShapeMeasure::Iou, ShapeMeasure::Giou, ShapeMeasure::IoMin] {
        let (r, p) = (measure.between(&boxes, 0, &boxes, 1), measure.between(&polygons, 0, &polygons, 1));
        assert!((r - p).abs() <= 1e-8, "{measure:?}: rotated boxes {r}, their polygons {p}: {a:?} {b:?}");
    }
}

/// The contract of one pair, both ways round.
fn check_pair<G: Hull>(g: &G, i: usize, j: usize) {
    let (area_i, area_j) = (g.area(i), g.area(j));
    for area in [area_i, area_j] {
        assert!(area >= 0.0, "area {area} is negative or NaN");
    }
    let (inter, back) = (g.intersection(i, g, j), g.intersection(j, g, i));
    for x in [inter, back] {
        assert!(x.is_finite() && x >= 0.0, "intersection {x} (areas {area_i}, {area_j})");
        assert!(x <= area_i.min(area_j), "intersection {x} exceeds the smaller area of {area_i}, {area_j}");
    }
    let scale = area_i.max(area_j);
    if scale.is_finite() {
        assert!((inter - back).abs() <= 1e-9 * scale, "intersection {inter} one way, {back} the other");
    }
    for (measure, lo) in [(ShapeMeasure::Iou, 0.0), (ShapeMeasure::Giou, -1.0), (ShapeMeasure::IoMin, 0.0)] {
        let (m, m_back) = (measure.between(g, i, g, j), measure.between(g, j, g, i));
        for x in [m, m_back] {
            assert!(x.is_finite() && x >= lo - 1e-12 && x <= 1.0 + 1e-12, "{measure:?} = {x} is out of range");
        }
        assert!((m - m_back).abs() <= 1e-9, "{measure:?} is {m} one way, {m_back} the other");
        let crowd = measure.crowd(g, i, g, j);
        assert!(crowd.is_finite() && crowd >= lo - 1e-12 && crowd <= 1.0 + 1e-12, "{measure:?} crowd = {crowd}");
    }
    let hull = g.hull_area(i, g, j);
    assert!(!hull.is_nan() && hull >= 0.0, "hull area {hull}");
    let bound = g.intersection_bound(i, g, j);
    assert!(bound >= inter, "intersection bound {bound} is below the intersection {inter}");
}

/// An item and its copy (when it has a normal, finite area): IoU and IoMin are 1, and GIoU is
/// the share of the convex hull that the item fills, `area / hull` (Rezatofighi et al.'s
/// enclosing shape is convex): 1 exactly when the item is convex.
fn check_identical<G: Hull>(g: &G, i: usize, copy: usize) {
    check_pair(g, i, copy);
    let area = g.area(i);
    if area.is_normal() {
        for measure in [ShapeMeasure::Iou, ShapeMeasure::IoMin] {
            let m = measure.between(g, i, g, copy);
            assert!((m - 1.0).abs() <= 1e-9, "{measure:?} of a shape with itself is {m} (area {area})");
        }
        let giou = ShapeMeasure::Giou.between(g, i, g, copy);
        let filled = if g.is_convex(i) { 1.0 } else { area / g.hull_area(i, g, copy).max(area) };
        assert!((giou - filled).abs() <= 1e-9, "Giou of a shape with itself is {giou}, not {filled} (area {area})");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squares_and_rotated_boxes() {
        // Two unit-ish squares from small integers.
        convex_clip(&[0, 1, 1, 5, 0, 5, 0, 5, 8, 5, 0, 5, 8, 5, 8, 5, 0, 5, 8]);
        convex_clip(&[1, 5, 0, 5, 0, 5, 16, 5, 16, 5, 1, 5, 8, 5, 8, 5, 16, 5, 16, 5, 3]);
        convex_clip(&[2, 0, 0, 8, 8, 32, 4, 4, 12, 12, 90]);
    }
}
