//! Simple polygons, convex or not, in either orientation: validation, convex pieces and exact
//! intersection areas.

use crate::convex::{Point, hull_area, intersection_area, is_convex, side, twice_signed_area};
use crate::format::{MAX_MAGNITUDE, TOO_SMALL, area_underflows};
use crate::rotated::ring_envelope;
use crate::shape_measure::BOUND_MARGIN;
use crate::{Bounded, Coord, Envelope, GeomError, Geometry, Hull, Intersect, SetView, ShapeMeasure};

/// One convex piece of a polygon: a range of [`Polygons::pieces_points`] and its envelope.
#[derive(Clone, Debug)]
struct Piece {
    start: u32,
    end: u32,
    envelope: Envelope<2>,
}

/// A validated column of simple polygons (convex or not, clockwise or counter-clockwise), with
/// precomputed areas, envelopes and convex pieces.
///
/// # Usage
///
/// Three layouts build it: [`uniform`](Polygons::uniform) for polygons that all have `k`
/// vertices (an `(N, K, 2)` array: quadrilaterals, DOTA's 8 numbers, StarDist's fixed rays),
/// [`from_offsets`](Polygons::from_offsets) for a flat vertex array plus offsets (Arrow's list
/// layout), and [`from_rings`](Polygons::from_rings) for one slice per polygon. Measure it with
/// [`Iou`](crate::Iou), [`IoMin`](crate::IoMin) or [`ShapeMeasure`] through a [`SetView`]
/// ([`PolygonSet`]) or a [`PairView`](crate::PairView).
///
/// Each ring is cleaned once: a repeated closing vertex, repeated consecutive vertices and
/// vertices on a straight line through their neighbours are dropped (none changes the region),
/// and a clockwise ring is reversed. A ring whose vertices all lie on one line has area 0 and
/// overlaps nothing.
///
/// # Runtime and Performance
///
/// Construction checks that each polygon is simple in `O(k²)` and splits a non-convex one into
/// triangles by ear clipping. An intersection clips convex pieces against each other with a
/// Sutherland–Hodgman clipper, so two convex polygons cost one clip (the fast path) and pieces
/// whose envelopes miss are skipped.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Geometry, Intersect, Polygons};
///
/// // An L-shape (not convex, clockwise) and a unit square inside its corner.
/// let l_shape = [[0.0_f64, 0.0], [0.0, 2.0], [2.0, 2.0], [2.0, 1.0], [1.0, 1.0], [1.0, 0.0]];
/// let square = [[0.5_f64, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5]];
/// let polygons = Polygons::from_rings(&[&l_shape[..], &square[..]])?;
/// assert_eq!(polygons.area(0), 3.0);
/// assert_eq!(polygons.intersection(0, &polygons, 1), 0.75);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Polygons {
    /// Cleaned counter-clockwise rings, each relative to its polygon's origin.
    rings: Vec<Point>,
    ring_offsets: Vec<u32>,
    /// Each polygon's origin (its envelope's centre): local coordinates keep the digits that
    /// huge absolute coordinates would cancel away.
    origins: Vec<Point>,
    areas: Vec<f64>,
    envelopes: Vec<Envelope<2>>,
    convex: Vec<bool>,
    /// Convex pieces (the ring itself when convex, else triangles), in local coordinates.
    pieces: Vec<Piece>,
    pieces_points: Vec<Point>,
    piece_offsets: Vec<u32>,
}

impl Polygons {
    /// Polygons that all have `k` vertices, stored one after another (`vertices.len()` must be a
    /// multiple of `k`).
    ///
    /// # Errors
    ///
    /// As [`from_offsets`](Polygons::from_offsets), plus [`GeomError::Offsets`] when the vertex
    /// count is not a multiple of `k` or `k` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::{Geometry, Polygons};
    ///
    /// // DOTA's 8 numbers per object are 4 vertices.
    /// let dota = [[0.0_f64, 0.0, 4.0, 0.0, 4.0, 2.0, 0.0, 2.0]];
    /// let vertices: Vec<[f64; 2]> = dota.as_flattened().chunks(2).map(|p| [p[0], p[1]]).collect();
    /// assert_eq!(Polygons::uniform(&vertices, 4)?.area(0), 8.0);
    /// # Ok::<(), softkit_geom::GeomError>(())
    /// ```
    pub fn uniform<T: Coord>(vertices: &[[T; 2]], k: usize) -> Result<Self, GeomError> {
        if k == 0 || !vertices.len().is_multiple_of(k) {
            return Err(GeomError::Offsets(format!(
                "vertices: {} vertices do not split into polygons of k = {k} vertices each",
                vertices.len()
            )));
        }
        let offsets: Vec<usize> = (0..=vertices.len() / k).map(|i| i * k).collect();
        Self::from_offsets(vertices, &offsets)
    }

    /// Polygons as one flat vertex array plus `offsets` (Arrow's list layout): polygon `i` is
    /// `vertices[offsets[i]..offsets[i + 1]]`, so `offsets` has one entry more than there are
    /// polygons, starts at 0 and ends at `vertices.len()`.
    ///
    /// # Errors
    ///
    /// [`GeomError::Offsets`] for offsets that do not fit the vertex array;
    /// [`GeomError::PolygonVertex`] for a non-finite vertex; [`GeomError::TooFewVertices`] for a
    /// polygon of fewer than 3 vertices; [`GeomError::SelfIntersecting`] for one whose edges
    /// cross or touch.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::{Geometry, Polygons};
    ///
    /// let vertices = [[0.0_f64, 0.0], [2.0, 0.0], [0.0, 2.0], [5.0, 5.0], [6.0, 5.0], [6.0, 6.0], [5.0, 6.0]];
    /// let polygons = Polygons::from_offsets(&vertices, &[0, 3, 7])?;
    /// assert_eq!((polygons.len(), polygons.area(0), polygons.area(1)), (2, 2.0, 1.0));
    /// let err = Polygons::from_offsets(&vertices, &[0, 3, 9]).unwrap_err();
    /// assert_eq!(err.to_string(), "offsets[2] = 9 is past the end of the 7 vertices");
    /// # Ok::<(), softkit_geom::GeomError>(())
    /// ```
    pub fn from_offsets<T: Coord>(vertices: &[[T; 2]], offsets: &[usize]) -> Result<Self, GeomError> {
        check_offsets(offsets, vertices.len())?;
        let mut polygons = Self::with_capacity(offsets.len().saturating_sub(1), vertices.len());
        for (index, window) in offsets.windows(2).enumerate() {
            polygons.push(index, &vertices[window[0]..window[1]])?;
        }
        Ok(polygons)
    }

    /// Polygons given one slice of vertices each.
    ///
    /// # Errors
    ///
    /// As [`from_offsets`](Polygons::from_offsets), without the offsets.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::{Geometry, Polygons};
    ///
    /// let triangle = vec![[0.0_f64, 0.0], [4.0, 0.0], [0.0, 3.0]];
    /// let square = vec![[0.0_f64, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
    /// let polygons = Polygons::from_rings(&[triangle, square])?;
    /// assert_eq!((polygons.area(0), polygons.area(1)), (6.0, 1.0));
    /// # Ok::<(), softkit_geom::GeomError>(())
    /// ```
    pub fn from_rings<T: Coord, R: AsRef<[[T; 2]]>>(rings: &[R]) -> Result<Self, GeomError> {
        let total = rings.iter().map(|r| r.as_ref().len()).sum();
        let mut polygons = Self::with_capacity(rings.len(), total);
        for (index, ring) in rings.iter().enumerate() {
            polygons.push(index, ring.as_ref())?;
        }
        Ok(polygons)
    }

    fn with_capacity(polygons: usize, vertices: usize) -> Self {
        let mut ring_offsets = Vec::with_capacity(polygons + 1);
        ring_offsets.push(0);
        let mut piece_offsets = Vec::with_capacity(polygons + 1);
        piece_offsets.push(0);
        Self {
            rings: Vec::with_capacity(vertices),
            ring_offsets,
            origins: Vec::with_capacity(polygons),
            areas: Vec::with_capacity(polygons),
            envelopes: Vec::with_capacity(polygons),
            convex: Vec::with_capacity(polygons),
            pieces: Vec::with_capacity(polygons),
            pieces_points: Vec::with_capacity(vertices),
            piece_offsets,
        }
    }

    /// Validates, cleans and splits one polygon, then appends it.
    fn push<T: Coord>(&mut self, index: usize, raw: &[[T; 2]]) -> Result<(), GeomError> {
        if raw.len() < 3 {
            return Err(GeomError::TooFewVertices { index, found: raw.len() });
        }
        let mut points = Vec::with_capacity(raw.len());
        for (vertex, p) in raw.iter().enumerate() {
            let p = [p[0].to_f64(), p[1].to_f64()];
            for (axis, &value) in ["x", "y"].iter().zip(&p) {
                let problem = if !value.is_finite() {
                    "is not finite"
                } else if value.abs() > MAX_MAGNITUDE {
                    "is invalid: a magnitude of at most 1e150, beyond which areas overflow float64 (rescale the \
                     coordinates)"
                } else {
                    continue;
                };
                return Err(GeomError::PolygonVertex { problem, index, vertex, axis, value });
            }
            points.push(p);
        }
        let envelope = ring_envelope(&points);
        let origin = [0.5 * (envelope.min[0] + envelope.max[0]), 0.5 * (envelope.min[1] + envelope.max[1])];
        let local: Vec<Point> = points.iter().map(|p| [p[0] - origin[0], p[1] - origin[1]]).collect();
        let (ring, source) = clean(&local);
        let area = 0.5 * twice_signed_area(&ring);
        // Cleaning leaves fewer than 3 vertices only on a line; every simple ring left has area.
        if ring.len() >= 3 {
            check_simple(index, &ring, &source)?;
            if area_underflows(area, true) {
                return Err(GeomError::Item {
                    items: "polygons",
                    index,
                    field: "area",
                    value: area,
                    expected: TOO_SMALL,
                });
            }
        }
        let convex = ring.len() >= 3 && is_convex(&ring);
        if ring.len() >= 3 {
            if convex {
                self.push_piece(&ring);
            } else {
                for triangle in triangulate(&ring) {
                    self.push_piece(&triangle);
                }
            }
            self.rings.extend_from_slice(&ring);
        }
        self.ring_offsets.push(self.rings.len() as u32);
        self.piece_offsets.push(self.pieces.len() as u32);
        self.origins.push(origin);
        self.areas.push(area.max(0.0));
        self.envelopes.push(envelope);
        self.convex.push(convex);
        Ok(())
    }

    fn push_piece(&mut self, points: &[Point]) {
        let start = self.pieces_points.len() as u32;
        self.pieces_points.extend_from_slice(points);
        self.pieces.push(Piece { start, end: self.pieces_points.len() as u32, envelope: ring_envelope(points) });
    }

    /// The cleaned counter-clockwise ring of polygon `i`, in absolute coordinates (empty for a
    /// polygon of area 0).
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::Polygons;
    ///
    /// // Clockwise, with a repeated closing vertex and a vertex in the middle of an edge.
    /// let ring = [[0.0_f64, 0.0], [0.0, 2.0], [1.0, 2.0], [2.0, 2.0], [2.0, 0.0], [0.0, 0.0]];
    /// let polygons = Polygons::from_rings(&[&ring[..]])?;
    /// assert_eq!(polygons.ring(0), vec![[2.0, 0.0], [2.0, 2.0], [0.0, 2.0], [0.0, 0.0]]);
    /// # Ok::<(), softkit_geom::GeomError>(())
    /// ```
    pub fn ring(&self, i: usize) -> Vec<[f64; 2]> {
        let o = self.origins[i];
        self.local_ring(i).iter().map(|p| [p[0] + o[0], p[1] + o[1]]).collect()
    }

    fn local_ring(&self, i: usize) -> &[Point] {
        &self.rings[self.ring_offsets[i] as usize..self.ring_offsets[i + 1] as usize]
    }

    fn piece_range(&self, i: usize) -> std::ops::Range<usize> {
        self.piece_offsets[i] as usize..self.piece_offsets[i + 1] as usize
    }

    fn piece_points(&self, piece: &Piece) -> &[Point] {
        &self.pieces_points[piece.start as usize..piece.end as usize]
    }

    /// Whether a pair is measured in the frame of `other`'s polygon `j` rather than in polygon
    /// `i`'s: the smaller one's, by extent, then area, then origin. The choice does not depend on
    /// the pair's order, so every measure is symmetric bit for bit; and the smaller polygon's
    /// coordinates stay near 0, where a thin sliver keeps its digits.
    #[inline]
    fn measured_in_other(&self, i: usize, other: &Self, j: usize) -> bool {
        let key = |p: &Self, k: usize| [extent(&p.envelopes[k]), p.areas[k], p.origins[k][0], p.origins[k][1]];
        let (mine, theirs) = (key(self, i), key(other, j));
        theirs.iter().zip(&mine).find(|(a, b)| a != b).is_some_and(|(a, b)| a < b)
    }

    /// The offset from polygon `i`'s local frame to `other`'s polygon `j`'s.
    #[inline]
    fn shift(&self, i: usize, other: &Self, j: usize) -> Point {
        let (a, b) = (self.origins[i], other.origins[j]);
        [b[0] - a[0], b[1] - a[1]]
    }
}

/// Checks that `offsets` start at 0, never decrease, and end at `vertices`.
fn check_offsets(offsets: &[usize], vertices: usize) -> Result<(), GeomError> {
    let fail = |message: String| Err(GeomError::Offsets(message));
    match offsets.first() {
        None => return fail("offsets is empty; it needs one entry more than there are polygons, starting at 0".into()),
        Some(&first) if first != 0 => return fail(format!("offsets[0] = {first}; it must be 0")),
        Some(_) => {}
    }
    for (k, pair) in offsets.windows(2).enumerate() {
        if pair[1] < pair[0] {
            return fail(format!("offsets[{}] = {} is less than offsets[{k}] = {}", k + 1, pair[1], pair[0]));
        }
        if pair[1] > vertices {
            return fail(format!("offsets[{}] = {} is past the end of the {vertices} vertices", k + 1, pair[1]));
        }
    }
    let last = offsets[offsets.len() - 1];
    if last != vertices {
        return fail(format!(
            "offsets[{}] = {last} leaves vertices {last}..{vertices} in no polygon",
            offsets.len() - 1
        ));
    }
    Ok(())
}

/// Drops repeated and collinear vertices and turns the ring counter-clockwise. Returns the ring
/// and, for each of its vertices, the index of the input vertex it came from.
fn clean(points: &[Point]) -> (Vec<Point>, Vec<usize>) {
    let mut ring: Vec<Point> = Vec::with_capacity(points.len());
    let mut source: Vec<usize> = Vec::with_capacity(points.len());
    for (k, &p) in points.iter().enumerate() {
        if ring.last() != Some(&p) {
            ring.push(p);
            source.push(k);
        }
    }
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
        source.pop();
    }
    // A vertex on the line through its neighbours adds nothing; removing one can expose another.
    let mut changed = true;
    while changed && ring.len() >= 3 {
        changed = false;
        let mut k = 0;
        while k < ring.len() && ring.len() >= 3 {
            let n = ring.len();
            let (previous, next) = (ring[(k + n - 1) % n], ring[(k + 1) % n]);
            if side(previous, ring[k], next) == 0.0 {
                ring.remove(k);
                source.remove(k);
                changed = true;
            } else {
                k += 1;
            }
        }
    }
    if twice_signed_area(&ring) < 0.0 {
        ring.reverse();
        source.reverse();
    }
    (ring, source)
}

/// Checks that no two non-adjacent edges of the ring share a point.
fn check_simple(index: usize, ring: &[Point], source: &[usize]) -> Result<(), GeomError> {
    let n = ring.len();
    let edge = |k: usize| (ring[k], ring[(k + 1) % n]);
    for a in 0..n {
        let (p1, p2) = edge(a);
        for b in a + 2..n {
            if a == 0 && b == n - 1 {
                continue; // the closing edge is adjacent to the first
            }
            let (q1, q2) = edge(b);
            if segments_meet(p1, p2, q1, q2) {
                let (first, second) =
                    if source[a] < source[b] { (source[a], source[b]) } else { (source[b], source[a]) };
                return Err(GeomError::SelfIntersecting { index, first, second });
            }
        }
    }
    Ok(())
}

/// Whether the closed segments `p1 p2` and `q1 q2` share at least one point.
fn segments_meet(p1: Point, p2: Point, q1: Point, q2: Point) -> bool {
    let apart = |a: f64, b: f64, c: f64, d: f64| a.max(b) < c.min(d) || c.max(d) < a.min(b);
    if apart(p1[0], p2[0], q1[0], q2[0]) || apart(p1[1], p2[1], q1[1], q2[1]) {
        return false;
    }
    let (d1, d2) = (side(p1, p2, q1), side(p1, p2, q2));
    let (d3, d4) = (side(q1, q2, p1), side(q1, q2, p2));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0)) && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0)) {
        return true;
    }
    // Touching or collinear: an end point on the other segment (within its envelope, checked above).
    let on = |a: Point, b: Point, p: Point, s: f64| {
        s == 0.0 && p[0] >= a[0].min(b[0]) && p[0] <= a[0].max(b[0]) && p[1] >= a[1].min(b[1]) && p[1] <= a[1].max(b[1])
    };
    on(p1, p2, q1, d1) || on(p1, p2, q2, d2) || on(q1, q2, p1, d3) || on(q1, q2, p2, d4)
}

/// Splits a simple counter-clockwise ring into triangles by ear clipping.
fn triangulate(ring: &[Point]) -> Vec<[Point; 3]> {
    let mut left: Vec<usize> = (0..ring.len()).collect();
    let mut triangles = Vec::with_capacity(ring.len() - 2);
    let mut k = 0;
    let mut misses = 0;
    while left.len() > 3 {
        let n = left.len();
        let corner = |k: usize| (ring[left[(k + n - 1) % n]], ring[left[k % n]], ring[left[(k + 1) % n]]);
        let (a, b, c) = corner(k);
        let ear = side(a, b, c) > 0.0
            && left.iter().all(|&v| {
                let p = ring[v];
                p == a || p == b || p == c || !(side(a, b, p) >= 0.0 && side(b, c, p) >= 0.0 && side(c, a, p) >= 0.0)
            });
        if ear || misses > n {
            // With no ear left (rounding on a nearly degenerate ring), cut the sharpest convex
            // corner: its triangle is the one that rounding misjudged.
            let k_cut = if ear {
                k % n
            } else {
                (0..n)
                    .max_by(|&x, &y| {
                        let (ax, bx, cx) = corner(x);
                        let (ay, by, cy) = corner(y);
                        side(ax, bx, cx).total_cmp(&side(ay, by, cy))
                    })
                    .unwrap_or(0)
            };
            let (a, b, c) = corner(k_cut);
            triangles.push([a, b, c]);
            left.remove(k_cut);
            k = k_cut;
            misses = 0;
        } else {
            k = (k + 1) % n;
            misses += 1;
        }
    }
    triangles.push([ring[left[0]], ring[left[1]], ring[left[2]]]);
    triangles
}

/// Calls `f` with `points` shifted by `-shift`, on the stack when small.
#[inline]
fn with_shifted<R>(points: &[Point], shift: Point, f: impl FnOnce(&[Point]) -> R) -> R {
    const SMALL: usize = 16;
    let moved = |p: &Point| [p[0] + shift[0], p[1] + shift[1]];
    if points.len() <= SMALL {
        let mut buffer = [[0.0; 2]; SMALL];
        for (slot, p) in buffer.iter_mut().zip(points) {
            *slot = moved(p);
        }
        f(&buffer[..points.len()])
    } else {
        f(&points.iter().map(moved).collect::<Vec<_>>())
    }
}

/// The larger side of an envelope.
#[inline]
fn extent(envelope: &Envelope<2>) -> f64 {
    (envelope.max[0] - envelope.min[0]).max(envelope.max[1] - envelope.min[1])
}

/// The area two envelopes share (0 when disjoint).
#[inline]
fn envelope_overlap(a: &Envelope<2>, b: &Envelope<2>) -> f64 {
    let w = a.max[0].min(b.max[0]) - a.min[0].max(b.min[0]);
    let h = a.max[1].min(b.max[1]) - a.min[1].max(b.min[1]);
    if w > 0.0 && h > 0.0 { w * h } else { 0.0 }
}

fn shifted(envelope: &Envelope<2>, shift: Point) -> Envelope<2> {
    Envelope::new(
        [envelope.min[0] + shift[0], envelope.min[1] + shift[1]],
        [envelope.max[0] + shift[0], envelope.max[1] + shift[1]],
    )
}

impl Geometry for Polygons {
    #[inline]
    fn len(&self) -> usize {
        self.areas.len()
    }

    #[inline]
    fn area(&self, i: usize) -> f64 {
        self.areas[i]
    }
}

impl Bounded<2> for Polygons {
    #[inline]
    fn envelope(&self, i: usize) -> Envelope<2> {
        self.envelopes[i]
    }
}

impl Intersect for Polygons {
    fn intersection(&self, i: usize, other: &Self, j: usize) -> f64 {
        if self.areas[i] <= 0.0 || other.areas[j] <= 0.0 || !self.envelopes[i].intersects(&other.envelopes[j]) {
            return 0.0;
        }
        // An identical polygon overlaps fully, whatever rounding its pieces would see.
        if self.envelopes[i] == other.envelopes[j] && self.local_ring(i) == other.local_ring(j) {
            return self.areas[i];
        }
        if self.measured_in_other(i, other, j) {
            return other.intersection(j, self, i);
        }
        // Both in polygon i's frame: `other`'s points move by the offset between the origins.
        let shift = self.shift(i, other, j);
        let smaller = self.areas[i].min(other.areas[j]);
        let mut total = 0.0;
        for q in &other.pieces[other.piece_range(j)] {
            let q_envelope = shifted(&q.envelope, shift);
            with_shifted(other.piece_points(q), shift, |q_points| {
                for p in &self.pieces[self.piece_range(i)] {
                    if p.envelope.intersects(&q_envelope) {
                        total += intersection_area(self.piece_points(p), q_points);
                    }
                }
            });
        }
        // Rounding may push the pieces' sum past the smaller polygon, and past the envelopes'
        // overlap when a polygon spans many orders of magnitude: the area is never more than either.
        total.min(smaller).min(envelope_overlap(&self.envelopes[i], &other.envelopes[j]))
    }
}

impl Hull for Polygons {
    fn hull_area(&self, i: usize, other: &Self, j: usize) -> f64 {
        if self.measured_in_other(i, other, j) {
            return other.hull_area(j, self, i);
        }
        let shift = self.shift(i, other, j);
        let hull = with_shifted(other.local_ring(j), shift, |ring_j| hull_area(self.local_ring(i), ring_j));
        // The hull holds both polygons; rounding a vertex that lies orders of magnitude beyond
        // the others can misjudge the hull's turns (even to a negative area).
        hull.max(self.areas[i]).max(other.areas[j])
    }

    #[inline]
    fn intersection_bound(&self, i: usize, other: &Self, j: usize) -> f64 {
        let bound = envelope_overlap(&self.envelopes[i], &other.envelopes[j]).min(self.areas[i]).min(other.areas[j]);
        bound * (1.0 + BOUND_MARGIN)
    }

    /// Whether polygon `i` is convex (a polygon of area 0 is not).
    fn is_convex(&self, i: usize) -> bool {
        self.convex[i]
    }
}

/// Polygons under a [`ShapeMeasure`]: the [`Overlap`](crate::Overlap) set that polygon
/// suppression walks.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Overlap, PolygonSet, Polygons, ShapeMeasure};
///
/// let quads = [[0.0_f64, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0], [1.0, 0.0], [3.0, 0.0], [3.0, 2.0], [1.0, 2.0]];
/// let set = PolygonSet::of(Polygons::uniform(&quads, 4)?, ShapeMeasure::Iou);
/// assert!((set.overlap(0, 1) - 1.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
pub type PolygonSet = SetView<Polygons, ShapeMeasure>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Hull, Iou, Measure};

    fn star(rays: usize, inner: f64, outer: f64, centre: Point) -> Vec<Point> {
        (0..2 * rays)
            .map(|k| {
                let t = k as f64 * std::f64::consts::PI / rays as f64;
                let r = if k % 2 == 0 { outer } else { inner };
                [centre[0] + r * t.cos(), centre[1] + r * t.sin()]
            })
            .collect()
    }

    #[test]
    fn non_convex_pieces_add_up() {
        let s = star(5, 1.0, 3.0, [0.0, 0.0]);
        let polygons = Polygons::from_rings(&[s.clone(), s]).unwrap();
        assert!(!polygons.is_convex(0));
        assert!((polygons.intersection(0, &polygons, 1) - polygons.area(0)).abs() < 1e-12);
        assert!((Iou.between(&polygons, 0, &polygons, 1) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn orientation_does_not_matter() {
        let square = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]];
        let mut clockwise = square;
        clockwise.reverse();
        let shifted = [[1.0, 0.0], [3.0, 0.0], [3.0, 2.0], [1.0, 2.0]];
        let polygons = Polygons::from_rings(&[square, clockwise, shifted]).unwrap();
        assert!(polygons.is_convex(1));
        assert_eq!(polygons.intersection(0, &polygons, 2), polygons.intersection(1, &polygons, 2));
    }

    #[test]
    fn names_bad_polygons() {
        let bow_tie = [[0.0, 0.0], [2.0, 2.0], [2.0, 0.0], [0.0, 2.0]];
        let err = Polygons::from_rings(&[&[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]][..], &bow_tie[..]]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "polygons[1] is not simple: its edges from vertex 0 and from vertex 2 cross or touch"
        );
        let err = Polygons::from_rings(&[&[[0.0, 0.0], [1.0, 0.0]][..]]).unwrap_err();
        assert_eq!(err.to_string(), "polygons[0] has 2 vertices; a polygon needs at least 3");
        let err = Polygons::from_rings(&[&[[0.0, 0.0], [1.0, f64::NAN], [0.0, 1.0]][..]]).unwrap_err();
        assert_eq!(err.to_string(), "polygons[0] vertex 1: y = NaN is not finite");
        let err = Polygons::uniform(&[[0.0, 0.0]; 7], 4).unwrap_err();
        assert_eq!(err.to_string(), "vertices: 7 vertices do not split into polygons of k = 4 vertices each");
    }

    #[test]
    fn collinear_rings_have_no_area() {
        let line = [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]];
        let square = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]];
        let polygons = Polygons::from_rings(&[&line[..], &square[..]]).unwrap();
        assert_eq!(polygons.area(0), 0.0);
        assert_eq!(Iou.between(&polygons, 0, &polygons, 1), 0.0);
    }
}
