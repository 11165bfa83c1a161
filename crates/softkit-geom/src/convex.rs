//! Exact areas of convex polygons, of their intersections (a Sutherland–Hodgman clipper) and of
//! their convex hulls: the arithmetic under rotated boxes and polygons.
//!
//! Every polygon here is a counter-clockwise ring of points with no repeated closing vertex.
//! Callers translate both polygons of a pair towards the origin first, so that huge coordinates
//! do not cancel away the digits of a small intersection.

/// A point `[x, y]`.
pub(crate) type Point = [f64; 2];

/// Twice the signed area of a ring (shoelace): positive when counter-clockwise.
///
/// Summed about the first vertex, so that a small or thin ring far from the origin keeps its
/// digits instead of cancelling them between large products.
#[inline]
pub(crate) fn twice_signed_area(ring: &[Point]) -> f64 {
    let Some(&origin) = ring.first() else { return 0.0 };
    let mut sum = 0.0;
    for pair in ring[1..].windows(2) {
        let (p, q) =
            ([pair[0][0] - origin[0], pair[0][1] - origin[1]], [pair[1][0] - origin[0], pair[1][1] - origin[1]]);
        sum += p[0] * q[1] - p[1] * q[0];
    }
    sum
}

/// `(b - a) x (p - a)`: positive when `p` lies left of the directed line `a -> b`.
#[inline]
pub(crate) fn side(a: Point, b: Point, p: Point) -> f64 {
    (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])
}

/// A ring under construction: on the stack for small pairs, on the heap otherwise.
trait Ring {
    fn clear(&mut self);
    /// Appends `p`; `false` when a fixed-size ring is full.
    fn push(&mut self, p: Point) -> bool;
    fn points(&self) -> &[Point];
}

/// Enough for two rotated boxes (at most 8 vertices), with room for rounding's extra vertices.
const STACK_VERTICES: usize = 16;

struct StackRing {
    points: [Point; STACK_VERTICES],
    len: usize,
}

impl Ring for StackRing {
    fn clear(&mut self) {
        self.len = 0;
    }

    #[inline]
    fn push(&mut self, p: Point) -> bool {
        if self.len == STACK_VERTICES {
            return false;
        }
        self.points[self.len] = p;
        self.len += 1;
        true
    }

    fn points(&self) -> &[Point] {
        &self.points[..self.len]
    }
}

impl Ring for Vec<Point> {
    fn clear(&mut self) {
        Vec::clear(self);
    }

    fn push(&mut self, p: Point) -> bool {
        Vec::push(self, p);
        true
    }

    fn points(&self) -> &[Point] {
        self
    }
}

/// The area of the intersection of two convex counter-clockwise rings.
///
/// Sutherland–Hodgman: the subject is clipped by each edge of `clip` in turn. Exact arithmetic
/// keeps a clip of `n` and `m` vertices within `n + m` vertices; rounding can add a few, so a
/// full stack ring falls back to the heap rather than lose them.
pub(crate) fn intersection_area(subject: &[Point], clip: &[Point]) -> f64 {
    let empty = || StackRing { points: [[0.0; 2]; STACK_VERTICES], len: 0 };
    if let Some(area) = clip_area(subject, clip, &mut empty(), &mut empty()) {
        return area;
    }
    let capacity = 2 * (subject.len() + clip.len());
    clip_area(subject, clip, &mut Vec::with_capacity(capacity), &mut Vec::with_capacity(capacity))
        .expect("a heap ring never fills")
}

fn clip_area<R: Ring>(subject: &[Point], clip: &[Point], current: &mut R, next: &mut R) -> Option<f64> {
    current.clear();
    for &p in subject {
        if !current.push(p) {
            return None;
        }
    }
    let (mut current, mut next) = (current, next);
    let mut a = clip[clip.len() - 1];
    for &b in clip {
        let ring = current.points();
        // Most edges of a partly overlapping pair leave the ring whole: count before copying.
        let inside = ring.iter().filter(|&&p| side(a, b, p) >= 0.0).count();
        if inside == 0 {
            return Some(0.0);
        }
        if inside < ring.len() {
            next.clear();
            let mut p = ring[ring.len() - 1];
            let mut side_p = side(a, b, p);
            for &q in ring {
                let side_q = side(a, b, q);
                // An edge that changes side contributes its crossing point; an inside end point stays.
                if (side_p > 0.0 && side_q < 0.0) || (side_p < 0.0 && side_q > 0.0) {
                    let t = side_p / (side_p - side_q);
                    if !next.push([p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t]) {
                        return None;
                    }
                }
                if side_q >= 0.0 && !next.push(q) {
                    return None;
                }
                p = q;
                side_p = side_q;
            }
            if next.points().len() < 3 {
                return Some(0.0);
            }
            std::mem::swap(&mut current, &mut next);
        }
        a = b;
    }
    Some((twice_signed_area(current.points()) * 0.5).max(0.0))
}

/// The area of the convex hull of the points of two rings (Andrew's monotone chain): the
/// enclosing shape of generalised IoU.
pub(crate) fn hull_area(a: &[Point], b: &[Point]) -> f64 {
    let mut points: Vec<Point> = a.iter().chain(b).copied().collect();
    points.sort_unstable_by(|p, q| p[0].total_cmp(&q[0]).then(p[1].total_cmp(&q[1])));
    points.dedup();
    if points.len() < 3 {
        return 0.0;
    }
    let mut hull: Vec<Point> = Vec::with_capacity(points.len() + 1);
    for pass in 0..2 {
        let start = hull.len();
        let ordered: Box<dyn Iterator<Item = &Point>> =
            if pass == 0 { Box::new(points.iter()) } else { Box::new(points.iter().rev()) };
        for &p in ordered {
            while hull.len() >= start + 2 && side(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop(); // the last point of each chain starts the other
    }
    twice_signed_area(&hull) * 0.5
}

/// Whether a counter-clockwise ring without collinear or repeated vertices turns left at every
/// vertex.
pub(crate) fn is_convex(ring: &[Point]) -> bool {
    let n = ring.len();
    (0..n).all(|k| side(ring[k], ring[(k + 1) % n], ring[(k + 2) % n]) > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, side: f64) -> [Point; 4] {
        [[x, y], [x + side, y], [x + side, y + side], [x, y + side]]
    }

    #[test]
    fn overlapping_squares() {
        assert_eq!(intersection_area(&square(0.0, 0.0, 2.0), &square(1.0, 1.0, 2.0)), 1.0);
        assert_eq!(intersection_area(&square(0.0, 0.0, 2.0), &square(3.0, 0.0, 2.0)), 0.0);
        assert_eq!(intersection_area(&square(0.0, 0.0, 4.0), &square(1.0, 1.0, 1.0)), 1.0);
    }

    #[test]
    fn large_rings_use_the_heap() {
        let circle = |r: f64| -> Vec<Point> {
            (0..40).map(|k| (k as f64) * std::f64::consts::TAU / 40.0).map(|t| [r * t.cos(), r * t.sin()]).collect()
        };
        let (big, small) = (circle(2.0), circle(1.0));
        let inter = intersection_area(&big, &small);
        assert!((inter - twice_signed_area(&small) * 0.5).abs() < 1e-12);
    }

    #[test]
    fn hull_of_two_squares() {
        assert_eq!(hull_area(&square(0.0, 0.0, 1.0), &square(2.0, 0.0, 1.0)), 3.0);
        assert_eq!(hull_area(&square(0.0, 0.0, 2.0), &square(0.5, 0.5, 1.0)), 4.0);
    }

    #[test]
    fn convexity() {
        assert!(is_convex(&square(0.0, 0.0, 1.0)));
        let dart = [[0.0, 0.0], [2.0, 1.0], [0.0, 2.0], [0.5, 1.0]];
        assert!(!is_convex(&dart));
    }
}
