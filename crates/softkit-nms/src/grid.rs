//! A hierarchical uniform grid over item envelopes, so that a selected item visits only the items
//! whose envelopes touch its own. Cells tile the first two axes (the only one for 1-D segments);
//! a third axis (3-D boxes) is filtered, not bucketed.

use softkit_geom::Envelope;

/// Below this many items one cell is as fast as any grid.
const SMALL: usize = 32;
/// The finest level has at most this many cells per item.
const CELLS_PER_ITEM: f64 = 2.0;
/// The finest cell fits this quantile of item sizes; larger items go to coarser levels.
const BASE_QUANTILE: f64 = 0.75;

/// An envelope rounded outwards to `f32`: half the memory of [`Envelope`] for the scans, and
/// never smaller, so the filter it feeds never drops a pair that touches.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Compact<const D: usize> {
    min: [f32; D],
    max: [f32; D],
}

impl<const D: usize> Default for Compact<D> {
    fn default() -> Self {
        Self { min: [0.0; D], max: [0.0; D] }
    }
}

impl<const D: usize> Compact<D> {
    fn new(e: &Envelope<D>) -> Self {
        let down = |v: f64| {
            let r = v as f32;
            if f64::from(r) > v { r.next_down() } else { r }
        };
        let up = |v: f64| {
            let r = v as f32;
            if f64::from(r) < v { r.next_up() } else { r }
        };
        Self { min: e.min.map(down), max: e.max.map(up) }
    }

    #[inline]
    fn intersects(&self, other: &Compact<D>) -> bool {
        (0..D).all(|axis| self.min[axis] <= other.max[axis] && other.min[axis] <= self.max[axis])
    }

    /// `[x_min, y_min, x_max, y_max]` on the bucketed plane (`y` is 0 for 1-D envelopes).
    #[inline]
    fn plane(&self) -> [f64; 4] {
        let y = |c: &[f32; D]| if D > 1 { f64::from(c[1]) } else { 0.0 };
        [f64::from(self.min[0]), y(&self.min), f64::from(self.max[0]), y(&self.max)]
    }
}

/// `[x_min, y_min, x_max, y_max]` of an envelope on the bucketed plane.
fn plane<const D: usize>(e: &Envelope<D>) -> [f64; 4] {
    let y = |c: &[f64; D]| if D > 1 { c[1] } else { 0.0 };
    [e.min[0], y(&e.min), e.max[0], y(&e.max)]
}

/// The larger side of an envelope on the bucketed plane.
fn plane_size(p: &[f64; 4]) -> f64 {
    (p[2] - p[0]).max(p[3] - p[1])
}

/// In crowded scenes cells are this many times smaller than the largest item of their level: a
/// query then scans less area beyond its own envelope, for more (cheap) row starts.
const CELLS_PER_REACH: f64 = 4.0;
/// Scenes with more items than this per reach-sized cell count as crowded.
const CROWDED: f64 = 4.0;

/// One level: items no larger than `reach`, each filed once, under the cell of its lower corner.
struct Level<const D: usize> {
    reach: f64,
    inv_cell: f64,
    nx: usize,
    ny: usize,
    /// Cell `c` holds `items[start[c]..start[c + 1]]`, in ascending item order.
    start: Vec<u32>,
    items: Vec<u32>,
    /// The envelope of each entry of `items`, stored alongside so that a scan reads memory in order.
    envelopes: Vec<Compact<D>>,
}

/// Items are split by size into levels whose cells double in size. An item lives in exactly one
/// cell, so a query needs no de-duplication: it scans, on each level, the cells whose items could
/// reach its envelope, and keeps those whose envelopes intersect it.
pub(crate) struct Grid<const D: usize> {
    /// Per item: its level and position there, or `None` when roaming.
    slots: Vec<Option<(u32, u32)>>,
    origin: [f64; 2],
    levels: Vec<Level<D>>,
    /// Items with no envelope or a non-finite one: they may touch anything.
    roaming: Vec<u32>,
}

impl<const D: usize> Grid<D> {
    pub(crate) fn new(envelopes: &[Option<Envelope<D>>]) -> Self {
        let n = envelopes.len();
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        let mut sizes = Vec::with_capacity(n);
        let mut roaming = Vec::new();
        let bounded = |e: &Option<Envelope<D>>| e.filter(Envelope::is_finite);
        for (i, e) in envelopes.iter().enumerate() {
            let Some(e) = bounded(e) else {
                roaming.push(i as u32);
                continue;
            };
            let p = plane(&e);
            for axis in 0..2 {
                lo[axis] = lo[axis].min(p[axis]);
                hi[axis] = hi[axis].max(p[axis + 2]);
            }
            sizes.push(plane_size(&p));
        }
        let (long, short) = if sizes.is_empty() {
            (0.0, 0.0)
        } else {
            let (ex, ey) = (hi[0] - lo[0], hi[1] - lo[1]);
            (ex.max(ey), ex.min(ey))
        };
        let extent = long;
        let origin = if sizes.is_empty() { [0.0; 2] } else { lo };

        let base = if sizes.len() <= SMALL || extent <= 0.0 {
            f64::INFINITY
        } else {
            let at = ((sizes.len() - 1) as f64 * BASE_QUANTILE) as usize;
            let typical = *sizes.select_nth_unstable_by(at, f64::total_cmp).1;
            let largest = sizes[at..].iter().copied().fold(typical, f64::max);
            // When every item fits in twice the typical size, one level beats two.
            let typical = if largest <= 2.0 * typical { largest } else { typical };
            // Too fine a grid costs more cells than it saves visits: at most CELLS_PER_ITEM cells
            // per item over the area the items cover. Items on a line (time segments, or boxes in
            // one row) fill one row of cells, so the line's length alone sets the count.
            let cells = sizes.len() as f64 * CELLS_PER_ITEM;
            let square = (long * short / cells).sqrt();
            let finest = if short < square { long / cells } else { square };
            // `long / cells` bounds the cell count in every case, but is the finest size only where
            // `square` is 0: points on a line (short = 0), or a product that underflows.
            let base = typical.max(finest).max(long / cells);
            // A cell size whose inverse overflows cannot index cells: one cell serves.
            if base > 0.0 && (CELLS_PER_REACH / base).is_finite() { base } else { f64::INFINITY }
        };
        let level_of = |e: &Envelope<D>| -> usize {
            let size = plane_size(&plane(e));
            let mut level = if size <= base { 0 } else { (size / base).log2().ceil() as usize };
            // log2 may round an item just over a power of two down a level; the item must fit its cell.
            while base * f64::powi(2.0, level as i32) < size {
                level += 1;
            }
            level
        };
        let mut per_level: Vec<Vec<u32>> = Vec::new();
        for (i, e) in envelopes.iter().enumerate() {
            if let Some(e) = bounded(e) {
                let level = level_of(&e);
                if per_level.len() <= level {
                    per_level.resize_with(level + 1, Vec::new);
                }
                per_level[level].push(i as u32);
            }
        }
        // Crowded: many items per reach-sized cell of the covered area (a line is one cell wide).
        let crowded = base.is_finite() && sizes.len() as f64 * base * base > CROWDED * long * short.max(base);
        let cells_per_reach = if crowded { CELLS_PER_REACH } else { 1.0 };
        let mut slots = vec![None; n];
        let levels = per_level
            .into_iter()
            .enumerate()
            .map(|(index, members)| {
                let reach = base * f64::powi(2.0, index as i32);
                let level = Level::new(envelopes, &members, reach, reach / cells_per_reach, origin, hi);
                for (at, &item) in level.items.iter().enumerate() {
                    slots[item as usize] = Some((index as u32, at as u32));
                }
                level
            })
            .collect();
        Self { slots, origin, levels, roaming }
    }
}

/// Where a selected item finds the items it may act on.
pub(crate) trait Neighbours {
    /// Calls `visit` once for every item whose envelope intersects item `i`'s, except `i`.
    fn for_each_neighbour(&self, i: u32, visit: impl FnMut(u32));
}

/// Every other item of a scope: for scopes so small that building a grid costs more than testing
/// every pair. It visits a superset of a grid's neighbours, and the overlap test decides.
pub(crate) struct AllItems(pub(crate) u32);

impl Neighbours for AllItems {
    #[inline]
    fn for_each_neighbour(&self, i: u32, visit: impl FnMut(u32)) {
        (0..self.0).filter(|&j| j != i).for_each(visit);
    }
}

impl<const D: usize> Neighbours for Grid<D> {
    #[inline]
    fn for_each_neighbour(&self, i: u32, mut visit: impl FnMut(u32)) {
        let Some((level, at)) = self.slots[i as usize] else {
            (0..self.slots.len() as u32).filter(|&j| j != i).for_each(visit);
            return;
        };
        let query = self.levels[level as usize].envelopes[at as usize];
        for level in &self.levels {
            if level.items.is_empty() {
                continue;
            }
            // An item filed at cell (cx, cy) has its lower corner there and is at most `reach`
            // wide, so only cells from `reach` before the query's lower corner can touch it.
            let cell_of = |v: f64, axis: usize, cells: usize| -> usize {
                (((v - self.origin[axis]) * level.inv_cell) as i64).clamp(0, cells as i64 - 1) as usize
            };
            let q = query.plane();
            let (x0, x1) = (cell_of(q[0] - level.reach, 0, level.nx), cell_of(q[2], 0, level.nx));
            let (y0, y1) = (cell_of(q[1] - level.reach, 1, level.ny), cell_of(q[3], 1, level.ny));
            for cy in y0..=y1 {
                let row = cy * level.nx;
                let span = level.start[row + x0] as usize..level.start[row + x1 + 1] as usize;
                for (&j, envelope) in level.items[span.clone()].iter().zip(&level.envelopes[span]) {
                    if envelope.intersects(&query) && j != i {
                        visit(j);
                    }
                }
            }
        }
        self.roaming.iter().copied().filter(|&j| j != i).for_each(visit);
    }
}

impl<const D: usize> Level<D> {
    fn new(
        envelopes: &[Option<Envelope<D>>],
        members: &[u32],
        reach: f64,
        cell: f64,
        origin: [f64; 2],
        hi: [f64; 2],
    ) -> Self {
        let inv_cell = if cell.is_finite() { 1.0 / cell } else { 0.0 };
        let cells = |axis: usize| -> usize {
            if cell.is_finite() { ((hi[axis] - origin[axis]) * inv_cell) as usize + 1 } else { 1 }
        };
        let (nx, ny) = (cells(0), cells(1));
        // Members all have a finite envelope (roaming items are not filed).
        let envelope = |i: u32| envelopes[i as usize].expect("a filed item has an envelope");
        let cell_index = |e: &Envelope<D>| -> usize {
            let p = plane(e);
            let at =
                |axis: usize, count: usize| ((((p[axis] - origin[axis]) * inv_cell).max(0.0)) as usize).min(count - 1);
            at(1, ny) * nx + at(0, nx)
        };
        // Counting sort by cell; rows of consecutive cells are contiguous, so a query scans one
        // slice per grid row.
        let mut start = vec![0u32; nx * ny + 1];
        let keys: Vec<usize> = members.iter().map(|&i| cell_index(&envelope(i))).collect();
        for &k in &keys {
            start[k + 1] += 1;
        }
        for c in 0..nx * ny {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut items = vec![0u32; members.len()];
        let mut sorted = vec![Compact::default(); members.len()];
        for (&i, &k) in members.iter().zip(&keys) {
            items[fill[k] as usize] = i;
            sorted[fill[k] as usize] = Compact::new(&envelope(i));
            fill[k] += 1;
        }
        Self { reach, inv_cell, nx, ny, start, items, envelopes: sorted }
    }
}

#[cfg(test)]
mod tests {
    use softkit_sim::Rng;

    use super::*;

    fn check_against_brute_force<const D: usize>(envelopes: Vec<Option<Envelope<D>>>) {
        let grid = Grid::new(&envelopes);
        let touches = |a: &Option<Envelope<D>>, b: &Option<Envelope<D>>| match (a, b) {
            (Some(a), Some(b)) => !a.is_finite() || !b.is_finite() || a.intersects(b),
            _ => true,
        };
        for i in 0..envelopes.len() {
            let mut found = Vec::new();
            grid.for_each_neighbour(i as u32, |j| found.push(j));
            found.sort_unstable();
            let expected: Vec<u32> = (0..envelopes.len())
                .filter(|&j| j != i && touches(&envelopes[i], &envelopes[j]))
                .map(|j| j as u32)
                .collect();
            assert_eq!(found, expected, "neighbours of item {i}");
        }
    }

    /// Random envelopes over three orders of magnitude of size, which exercise several levels.
    fn random<const D: usize>(rng: &mut Rng, n: usize) -> Vec<Option<Envelope<D>>> {
        (0..n)
            .map(|_| {
                let min: [f64; D] = std::array::from_fn(|_| rng.uniform(0.0, 1000.0));
                let max: [f64; D] = std::array::from_fn(|axis| min[axis] + rng.uniform(0.0, 7.0).exp());
                Some(Envelope::new(min, max))
            })
            .collect()
    }

    #[test]
    fn finds_exactly_the_intersecting_envelopes() {
        let mut rng = Rng::new(7);
        let mut envelopes = random::<2>(&mut rng, 600);
        envelopes.push(Some(Envelope::new([0.0, 0.0], [1000.0, 1000.0])));
        envelopes.push(Some(Envelope::new([500.0, 500.0], [500.0, 500.0])));
        envelopes.push(Some(Envelope::everywhere()));
        envelopes.push(None);
        let grid = Grid::new(&envelopes);
        assert!(grid.levels.len() > 2, "expected several levels");
        check_against_brute_force(envelopes);
    }

    #[test]
    fn serves_one_and_three_dimensions() {
        let mut rng = Rng::new(11);
        let mut segments = random::<1>(&mut rng, 400);
        segments.push(None);
        check_against_brute_force(segments);
        // In 3-D the third axis is filtered, not bucketed: cuboids stacked in z above one footprint.
        let mut cuboids = random::<3>(&mut rng, 400);
        cuboids.extend(
            (0..50).map(|k| Some(Envelope::new([10.0, 10.0, 3.0 * k as f64], [20.0, 20.0, 3.0 * k as f64 + 2.0]))),
        );
        check_against_brute_force(cuboids);
    }

    #[test]
    fn degenerate_layouts() {
        check_against_brute_force(vec![Some(Envelope::new([5.0, 5.0], [5.0, 5.0])); 100]);
        check_against_brute_force(vec![Some(Envelope::new([0.0, 0.0], [1.0, 1.0])); 3]);
        let line: Vec<Option<Envelope<2>>> =
            (0..200).map(|i| Some(Envelope::new([i as f64, 0.0], [i as f64 + 1.5, 0.0]))).collect();
        check_against_brute_force(line);
        check_against_brute_force::<2>(Vec::new());
        check_against_brute_force::<2>(vec![None; 40]);
    }
}
