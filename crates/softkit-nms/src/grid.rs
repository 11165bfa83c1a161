//! A uniform grid over item envelopes, so that a selected item visits only its neighbours.

use softkit_geom::Envelope;

/// Below this many items one cell is as fast as any grid.
const SMALL: usize = 32;
/// An item spanning more cells than this is "roaming": checked against everything instead.
const MAX_SPAN_CELLS: usize = 256;
/// The grid has at most this many cells per item.
const CELLS_PER_ITEM: usize = 2;

/// A static uniform grid in compressed-row form: cell `c` holds `items[start[c]..start[c + 1]]`,
/// each list in ascending item order.
pub(crate) struct Grid {
    nx: usize,
    start: Vec<u32>,
    items: Vec<u32>,
    /// Per item: the inclusive cell range `[ix0, iy0, ix1, iy1]`, or `None` when roaming.
    spans: Vec<Option<[u32; 4]>>,
    roaming: Vec<u32>,
    /// Per item: the last query that visited it, to visit each neighbour once.
    stamp: Vec<u32>,
    query: u32,
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mid = values.len() / 2;
    *values.select_nth_unstable_by(mid, f64::total_cmp).1
}

impl Grid {
    pub(crate) fn new(envelopes: &[Envelope]) -> Self {
        let n = envelopes.len();
        let finite: Vec<&Envelope> = envelopes.iter().filter(|e| e.is_finite()).collect();
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for e in &finite {
            for axis in 0..2 {
                lo[axis] = lo[axis].min(e.min[axis]);
                hi[axis] = hi[axis].max(e.max[axis]);
            }
        }
        let extent = if finite.is_empty() { 0.0 } else { (hi[0] - lo[0]).max(hi[1] - lo[1]) };

        // A cell about the size of a typical item keeps each query to a few cells.
        let mut cell = if n <= SMALL || extent <= 0.0 {
            f64::INFINITY
        } else {
            let mut widths: Vec<f64> = finite.iter().map(|e| e.max[0] - e.min[0]).collect();
            let mut heights: Vec<f64> = finite.iter().map(|e| e.max[1] - e.min[1]).collect();
            let typical = median(&mut widths).max(median(&mut heights));
            if typical > 0.0 { typical } else { extent / (n as f64).sqrt() }
        };
        let axis_cells = |cell: f64, axis: usize| -> usize {
            if cell.is_finite() { (((hi[axis] - lo[axis]) / cell).floor() as usize).saturating_add(1) } else { 1 }
        };
        let mut nx = axis_cells(cell, 0);
        let mut ny = axis_cells(cell, 1);
        let budget = (n * CELLS_PER_ITEM).max(1);
        if nx.saturating_mul(ny) > budget {
            cell *= (nx as f64 * ny as f64 / budget as f64).sqrt();
            nx = axis_cells(cell, 0);
            ny = axis_cells(cell, 1);
        }
        let origin = if finite.is_empty() { [0.0; 2] } else { lo };
        let inv_cell = if cell.is_finite() { 1.0 / cell } else { 0.0 };

        let clamp = |v: f64, cells: usize| -> u32 { (v.max(0.0) as usize).min(cells - 1) as u32 };
        let spans: Vec<Option<[u32; 4]>> = envelopes
            .iter()
            .map(|e| {
                if !e.is_finite() {
                    return None;
                }
                let span = [
                    clamp((e.min[0] - origin[0]) * inv_cell, nx),
                    clamp((e.min[1] - origin[1]) * inv_cell, ny),
                    clamp((e.max[0] - origin[0]) * inv_cell, nx),
                    clamp((e.max[1] - origin[1]) * inv_cell, ny),
                ];
                let cells = (span[2] - span[0] + 1) as usize * (span[3] - span[1] + 1) as usize;
                (cells <= MAX_SPAN_CELLS).then_some(span)
            })
            .collect();

        let mut start = vec![0u32; nx * ny + 1];
        let mut roaming = Vec::new();
        for (i, span) in spans.iter().enumerate() {
            match span {
                Some(s) => for_each_cell(s, nx, |c| start[c + 1] += 1),
                None => roaming.push(i as u32),
            }
        }
        for c in 0..nx * ny {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut items = vec![0u32; start[nx * ny] as usize];
        for (i, span) in spans.iter().enumerate() {
            if let Some(s) = span {
                for_each_cell(s, nx, |c| {
                    items[fill[c] as usize] = i as u32;
                    fill[c] += 1;
                });
            }
        }
        Self { nx, start, items, spans, roaming, stamp: vec![0; n], query: 0 }
    }

    /// Calls `visit` once for every item whose envelope may intersect item `i`'s, except `i`.
    #[inline]
    pub(crate) fn for_each_neighbour(&mut self, i: u32, mut visit: impl FnMut(u32)) {
        let Some(span) = self.spans[i as usize] else {
            (0..self.spans.len() as u32).filter(|&j| j != i).for_each(visit);
            return;
        };
        self.query = self.query.wrapping_add(1);
        if self.query == 0 {
            // The counter wrapped: clear stale stamps so none collides with the new query.
            self.stamp.fill(0);
            self.query = 1;
        }
        let (query, stamp, start, items) = (self.query, &mut self.stamp, &self.start, &self.items);
        for_each_cell(&span, self.nx, |c| {
            for &j in &items[start[c] as usize..start[c + 1] as usize] {
                let seen = &mut stamp[j as usize];
                if *seen != query && j != i {
                    *seen = query;
                    visit(j);
                }
            }
        });
        self.roaming.iter().copied().for_each(visit);
    }
}

#[inline]
fn for_each_cell(span: &[u32; 4], nx: usize, mut f: impl FnMut(usize)) {
    for iy in span[1]..=span[3] {
        let row = iy as usize * nx;
        for ix in span[0]..=span[2] {
            f(row + ix as usize);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(envelopes: &[Envelope], i: usize) -> Vec<u32> {
        (0..envelopes.len()).filter(|&j| j != i && envelopes[i].intersects(&envelopes[j])).map(|j| j as u32).collect()
    }

    #[test]
    fn finds_every_intersecting_envelope() {
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut envelopes: Vec<Envelope> = (0..500)
            .map(|_| {
                let (x, y) = (next() * 1000.0, next() * 1000.0);
                let (w, h) = (next() * 60.0, next() * 60.0);
                Envelope::new([x, y], [x + w, y + h])
            })
            .collect();
        envelopes.push(Envelope::new([0.0, 0.0], [1000.0, 1000.0]));
        envelopes.push(Envelope::everywhere());
        let mut grid = Grid::new(&envelopes);
        assert!(grid.nx > 1 && grid.start.len() > grid.nx + 1, "expected a real grid");
        for i in 0..envelopes.len() {
            let mut found = Vec::new();
            grid.for_each_neighbour(i as u32, |j| found.push(j));
            found.sort_unstable();
            let expected = brute(&envelopes, i);
            assert!(expected.iter().all(|j| found.binary_search(j).is_ok()), "item {i} misses a neighbour");
            let mut unique = found.clone();
            unique.dedup();
            assert_eq!(unique.len(), found.len(), "item {i} visits a neighbour twice");
        }
    }

    #[test]
    fn degenerate_layouts_use_one_cell() {
        let point = Envelope::new([5.0, 5.0], [5.0, 5.0]);
        let mut grid = Grid::new(&vec![point; 100]);
        let mut count = 0;
        grid.for_each_neighbour(0, |_| count += 1);
        assert_eq!(count, 99);
    }
}
