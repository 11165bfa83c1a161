//! Properties of rotated-box and polygon overlaps: symmetry, range, invariance under a joint
//! rotation and translation, and agreement between independent routes to the same area.
//! (Parity with shapely is in the Python suite.)

use proptest::prelude::*;
use softkit_geom::{
    Boxes, Geometry, Intersect, Iou, Measure, Polygons, RotatedBoxes, RotatedFormat, ShapeMeasure, rotated_corners,
};

fn rbox() -> impl Strategy<Value = [f64; 5]> {
    (-50.0..50.0, -50.0..50.0, 0.5..40.0, 0.5..40.0, -4.0..4.0).prop_map(|(x, y, w, h, a)| [x, y, w, h, a])
}

/// A star-shaped polygon around `centre`: rays at sorted angles with random radii (generally not
/// convex, always simple).
fn star() -> impl Strategy<Value = Vec<[f64; 2]>> {
    (-20.0..20.0, -20.0..20.0, prop::collection::vec((0.0..1.0, 2.0..25.0), 5..24)).prop_map(|(cx, cy, rays)| {
        let n = rays.len() as f64;
        rays.iter()
            .enumerate()
            .map(|(k, &(jitter, r)): (usize, &(f64, f64))| {
                let t = (k as f64 + 0.8 * jitter) * std::f64::consts::TAU / n;
                [cx + r * t.cos(), cy + r * t.sin()]
            })
            .collect()
    })
}

fn moved(p: [f64; 2], turn: f64, by: [f64; 2]) -> [f64; 2] {
    let (s, c) = turn.sin_cos();
    [c * p[0] - s * p[1] + by[0], s * p[0] + c * p[1] + by[1]]
}

fn fan(ring: &[[f64; 2]], centre: [f64; 2]) -> Vec<Vec<[f64; 2]>> {
    (0..ring.len()).map(|k| vec![centre, ring[k], ring[(k + 1) % ring.len()]]).collect()
}

proptest! {
    #[test]
    fn rotated_iou_is_symmetric_bounded_and_invariant(a in rbox(), b in rbox(), turn in -3.2..3.2f64, dx in -1e4..1e4f64, dy in -1e4..1e4f64) {
        let boxes = RotatedBoxes::new(&[a, b], RotatedFormat::Radians).unwrap();
        let iou = Iou.between(&boxes, 0, &boxes, 1);
        prop_assert!((0.0..=1.0).contains(&iou));
        prop_assert!((iou - Iou.between(&boxes, 1, &boxes, 0)).abs() < 1e-12);
        let giou = ShapeMeasure::Giou.between(&boxes, 0, &boxes, 1);
        prop_assert!((-1.0..=iou + 1e-12).contains(&giou));
        // Turn the pair about the origin and move it: the centres move, the angles add `turn`.
        let shift = |r: [f64; 5]| { let c = moved([r[0], r[1]], turn, [dx, dy]); [c[0], c[1], r[2], r[3], r[4] + turn] };
        let turned = RotatedBoxes::new(&[shift(a), shift(b)], RotatedFormat::Radians).unwrap();
        prop_assert!((Iou.between(&turned, 0, &turned, 1) - iou).abs() < 1e-9);
    }

    /// Each pair is measured in the frame of one member chosen independently of the order, so
    /// the order changes no bit, even far from the origin where the frames' rounding differs.
    #[test]
    fn every_measure_is_symmetric_bit_for_bit(a in rbox(), b in rbox(), p in star(), q in star(), far in -1e6..1e6f64) {
        let boxes = RotatedBoxes::new(&[a, b], RotatedFormat::Radians).unwrap();
        let away = |ring: &[[f64; 2]]| ring.iter().map(|v| [v[0] + far, v[1] - far]).collect::<Vec<_>>();
        let polygons = Polygons::from_rings(&[away(&p), away(&q)]).unwrap();
        for measure in [ShapeMeasure::Iou, ShapeMeasure::Giou, ShapeMeasure::IoMin] {
            let (ab, ba) = (measure.between(&boxes, 0, &boxes, 1), measure.between(&boxes, 1, &boxes, 0));
            prop_assert_eq!(ab.to_bits(), ba.to_bits(), "{:?} on boxes: {} vs {}", measure, ab, ba);
            let (pq, qp) = (measure.between(&polygons, 0, &polygons, 1), measure.between(&polygons, 1, &polygons, 0));
            prop_assert_eq!(pq.to_bits(), qp.to_bits(), "{:?} on polygons: {} vs {}", measure, pq, qp);
        }
    }

    #[test]
    fn rotated_boxes_equal_their_corner_polygons(a in rbox(), b in rbox()) {
        let boxes = RotatedBoxes::new(&[a, b], RotatedFormat::Radians).unwrap();
        let polygons = Polygons::from_rings(&[rotated_corners(&a), rotated_corners(&b)]).unwrap();
        for measure in [ShapeMeasure::Iou, ShapeMeasure::Giou, ShapeMeasure::IoMin] {
            let (r, p) = (measure.between(&boxes, 0, &boxes, 1), measure.between(&polygons, 0, &polygons, 1));
            prop_assert!((r - p).abs() < 1e-12, "{measure:?}: {r} vs {p}");
        }
    }

    #[test]
    fn unturned_boxes_equal_axis_aligned_boxes(a in rbox(), b in rbox(), quarter in 0..4u8) {
        // A quarter turn swaps w and h: still axis-aligned.
        let angle = f64::from(quarter) * std::f64::consts::FRAC_PI_2;
        let (a, b) = ([a[0], a[1], a[2], a[3], angle], [b[0], b[1], b[2], b[3], 0.0]);
        let rotated = RotatedBoxes::new(&[a, b], RotatedFormat::Radians).unwrap();
        let xyxy = |r: [f64; 5], swap: bool| {
            let (w, h) = if swap { (r[3], r[2]) } else { (r[2], r[3]) };
            [r[0] - w / 2.0, r[1] - h / 2.0, r[0] + w / 2.0, r[1] + h / 2.0]
        };
        let aligned = [xyxy(a, quarter % 2 == 1), xyxy(b, false)];
        let boxes = Boxes::new(&aligned, 0.0).unwrap();
        prop_assert!((Iou.between(&rotated, 0, &rotated, 1) - Iou.between(&boxes, 0, &boxes, 1)).abs() < 1e-9);
    }

    #[test]
    fn non_convex_intersections_equal_their_fan_sums(p in star(), q in star(), turn in -3.2..3.2f64) {
        let polygons = Polygons::from_rings(&[p.clone(), q.clone()]).unwrap();
        let inter = polygons.intersection(0, &polygons, 1);
        prop_assert!(inter >= 0.0 && inter <= polygons.area(0).min(polygons.area(1)) * (1.0 + 1e-12));
        prop_assert!((inter - polygons.intersection(1, &polygons, 0)).abs() < 1e-9 * (1.0 + inter));
        prop_assert!((Iou.between(&polygons, 0, &polygons, 0) - 1.0).abs() < 1e-12);
        // A different split of the same region: the signed fan of triangles from any point
        // (winding numbers add up), here the mean vertex, which need not be inside.
        let centre = [
            p.iter().map(|v| v[0]).sum::<f64>() / p.len() as f64,
            p.iter().map(|v| v[1]).sum::<f64>() / p.len() as f64,
        ];
        let pieces = fan(&p, centre);
        let fan_column = Polygons::from_rings(&pieces).unwrap();
        let q_column = Polygons::from_rings(std::slice::from_ref(&q)).unwrap();
        let signed: f64 = (0..pieces.len()).map(|k| {
            let t = &pieces[k];
            let orientation = (t[1][0] - t[0][0]) * (t[2][1] - t[0][1]) - (t[1][1] - t[0][1]) * (t[2][0] - t[0][0]);
            orientation.signum() * fan_column.intersection(k, &q_column, 0)
        }).sum();
        prop_assert!((signed - inter).abs() < 1e-9 * (1.0 + inter), "{signed} vs {inter}");
        let turned = |ring: &[[f64; 2]]| ring.iter().map(|&v| moved(v, turn, [3.0e3, -7.0e3])).collect::<Vec<_>>();
        let moved_pair = Polygons::from_rings(&[turned(&p), turned(&q)]).unwrap();
        prop_assert!((moved_pair.intersection(0, &moved_pair, 1) - inter).abs() < 1e-7 * (1.0 + inter));
    }
}
