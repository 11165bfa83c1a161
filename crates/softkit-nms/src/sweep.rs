//! Suppression along a line (time segments). Items sorted by start find their neighbours by
//! scanning that order, with no grid. Soft-NMS also splits the line into runs: the maximal groups
//! of items linked by chains of touching spans. Items of different runs never interact, so each
//! run is solved on its own, in cache, and the runs' selections are merged by score. Both give
//! the whole scope's greedy loop, exactly.

use softkit_geom::Envelope;

use crate::grid::{Grid, Neighbours};
use crate::hard::{descending_key, score_of_key};
use crate::{SuppressParams, hard, merge, soft};

/// A run whose backward scans would pass more than this many items per item (a few long items
/// among short ones) finds its neighbours through a grid instead.
const WINDOW_SCAN_PER_ITEM: usize = 16;

/// Runs of at most this many items use the eager loop ([`soft::select_few`]) rather than a heap.
const FEW: usize = 16;

/// Buckets of at most this many items are sorted by insertion.
const INSERTION_SORT_MAX: usize = 16;

/// Items in start order: the span of each, the largest end so far, its index in the scope, and
/// its score.
struct Line {
    lo: Vec<f64>,
    hi: Vec<f64>,
    reach: Vec<f64>,
    item: Vec<u32>,
    score: Vec<f64>,
}

impl Line {
    /// Sorts the spans by start, ties to the lower index: a bucket sort over the range of starts,
    /// about one item per bucket, so the common case costs two passes and no comparison sort.
    fn new(spans: &[[f64; 2]], scores: &[f64]) -> Self {
        let n = spans.len();
        let (min, max) = spans.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| (a.min(s[0]), b.max(s[0])));
        // All starts equal (infinite scale) or a range that overflows (NaN positions) fall into bucket 0.
        let scale = n as f64 / (max - min);
        let bucket = |lo: f64| if scale.is_finite() { (((lo - min) * scale) as usize).min(n - 1) } else { 0 };
        let mut start = vec![0u32; n + 1];
        for s in spans {
            start[bucket(s[0]) + 1] += 1;
        }
        for b in 0..n {
            start[b + 1] += start[b];
        }
        let mut fill = start.clone();
        let mut keyed = vec![(0.0, 0u32); n];
        for (i, s) in spans.iter().enumerate() {
            let b = bucket(s[0]);
            keyed[fill[b] as usize] = (s[0], i as u32);
            fill[b] += 1;
        }
        // Each bucket holds ascending indices, so a stable sort by start keeps ties by index.
        for b in 0..n {
            let cell = &mut keyed[start[b] as usize..start[b + 1] as usize];
            if cell.len() <= INSERTION_SORT_MAX {
                insertion_sort(cell);
            } else {
                cell.sort_by(|a, b| a.0.total_cmp(&b.0));
            }
        }
        let hi: Vec<f64> = keyed.iter().map(|&(_, i)| spans[i as usize][1]).collect();
        let reach = hi
            .iter()
            .scan(f64::NEG_INFINITY, |most, &end| {
                *most = end.max(*most);
                Some(*most)
            })
            .collect();
        let score = keyed.iter().map(|&(_, i)| scores[i as usize]).collect();
        let (lo, item) = keyed.into_iter().unzip();
        Self { lo, hi, reach, item, score }
    }

    fn window(&self, positions: std::ops::Range<usize>) -> Window<'_> {
        let (lo, hi, reach) = (&self.lo[positions.clone()], &self.hi[positions.clone()], &self.reach[positions]);
        Window { lo, hi, reach }
    }
}

/// A stable sort by start for a handful of items.
fn insertion_sort(cell: &mut [(f64, u32)]) {
    for k in 1..cell.len() {
        let mut j = k;
        while j > 0 && cell[j - 1].0 > cell[j].0 {
            cell.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Items in start order as neighbours: the later items that start before an item ends, and the
/// earlier ones that end after it starts.
struct Window<'a> {
    lo: &'a [f64],
    hi: &'a [f64],
    /// The largest end up to each position: a backward scan stops once it falls below the start.
    reach: &'a [f64],
}

/// A [`Window`] over the whole line, asked and answering in scope indices.
struct ByItem<'a> {
    window: Window<'a>,
    item: &'a [u32],
    position: Vec<u32>,
}

impl Neighbours for ByItem<'_> {
    #[inline]
    fn for_each_neighbour(&self, i: u32, mut visit: impl FnMut(u32)) {
        self.window.for_each_neighbour(self.position[i as usize], |q| visit(self.item[q as usize]));
    }
}

impl Neighbours for Window<'_> {
    #[inline]
    fn for_each_neighbour(&self, i: u32, mut visit: impl FnMut(u32)) {
        let p = i as usize;
        let (lo, hi) = (self.lo[p], self.hi[p]);
        for q in p + 1..self.lo.len() {
            if self.lo[q] > hi {
                break;
            }
            visit(q as u32);
        }
        for q in (0..p).rev() {
            if self.reach[q] < lo {
                break;
            }
            if self.hi[q] >= lo {
                visit(q as u32);
            }
        }
    }
}

impl Window<'_> {
    /// Whether the scans cost about what a grid's would: the backward scans may pass items that
    /// end before the query starts, so long items among short ones make them slow.
    fn scans_cheaply(&self) -> bool {
        self.backward_cost() <= WINDOW_SCAN_PER_ITEM * self.lo.len()
    }

    /// How many items all backward scans pass together.
    fn backward_cost(&self) -> usize {
        let mut first = 0;
        let mut cost = 0;
        for (p, &lo) in self.lo.iter().enumerate() {
            while self.reach[first] < lo {
                first += 1;
            }
            cost += p - first;
        }
        cost
    }
}

/// Spans as the envelopes of a grid.
fn envelopes(spans: impl Iterator<Item = (f64, f64)>) -> Vec<Option<Envelope<1>>> {
    spans.map(|(lo, hi)| Some(Envelope::new([lo], [hi]))).collect()
}

/// Hard NMS over items on a line, each given by its finite `[start, end]` span. `exceeds` takes
/// indices into `scores`, and must be false for spans that do not touch.
pub(crate) fn hard_select(
    spans: &[[f64; 2]],
    scores: &[f64],
    exceeds: impl Fn(u32, u32) -> bool,
    limit: usize,
) -> Vec<(u32, f64)> {
    let line = Line::new(spans, scores);
    let window = line.window(0..spans.len());
    if !window.scans_cheaply() {
        let grid = Grid::new(&envelopes(spans.iter().map(|s| (s[0], s[1]))));
        return hard::select(scores, &grid, exceeds, limit);
    }
    let mut position = vec![0; spans.len()];
    for (p, &i) in line.item.iter().enumerate() {
        position[i as usize] = p as u32;
    }
    hard::select(scores, &ByItem { window, item: &line.item, position }, exceeds, limit)
}

/// Soft-NMS over items on a line, each given by its finite `[start, end]` span. `overlap` takes
/// indices into `scores`, as [`soft::select`]'s, and must be `None` for spans that do not touch.
pub(crate) fn soft_select(
    spans: &[[f64; 2]],
    scores: &[f64],
    overlap: impl Fn(u32, u32) -> Option<f64>,
    params: &SuppressParams,
) -> Vec<(u32, f64)> {
    let n = spans.len();
    let line = Line::new(spans, scores);
    let mut selected = Vec::with_capacity(n);
    // Where each run's selections end in `selected`, and whether every run's came in merge order.
    let mut run_ends = Vec::new();
    let mut in_merge_order = true;
    let mut scratch = soft::Scratch::default();
    let mut at = 0;
    while at < n {
        let mut end = at + 1;
        while end < n && line.lo[end] <= line.reach[end - 1] {
            end += 1;
        }
        let items = &line.item[at..end];
        let first = selected.len();
        if items.len() == 1 {
            selected.push((items[0], line.score[at]));
        } else {
            let run_scores = &line.score[at..end];
            let rank = |p: u32| items[p as usize];
            let pair = |a: u32, b: u32| overlap(items[a as usize], items[b as usize]);
            let window = line.window(at..end);
            if items.len() <= FEW {
                soft::select_few(&mut scratch, run_scores, rank, &window, pair, params, &mut selected);
            } else if window.scans_cheaply() {
                soft::select(&mut scratch, run_scores, rank, &window, pair, params, &mut selected);
            } else {
                let grid = Grid::new(&envelopes(window.lo.iter().copied().zip(window.hi.iter().copied())));
                soft::select(&mut scratch, run_scores, rank, &grid, pair, params, &mut selected);
            }
            for entry in &mut selected[first..] {
                entry.0 = items[entry.0 as usize];
            }
            let key = |&(i, s): &(u32, f64)| (descending_key(s), i);
            in_merge_order &= selected[first..].windows(2).all(|w| key(&w[0]) < key(&w[1]));
        }
        run_ends.push(selected.len());
        at = end;
    }
    // Runs are independent, so the scope's loop selects, at each step, the best next selection
    // of any run. When each run's selections already descend (always, unless scores are
    // negative), that interleaving is one sort.
    if in_merge_order {
        let mut keyed: Vec<(u64, u32)> = selected.iter().map(|&(i, s)| (descending_key(s), i)).collect();
        keyed.sort_unstable();
        selected.clear();
        selected.extend(keyed.into_iter().map(|(k, i)| (i, score_of_key(k))));
        if let Some(limit) = params.max_output {
            selected.truncate(limit);
        }
        selected
    } else {
        let mut lists = Vec::with_capacity(run_ends.len());
        let mut from = 0;
        for &to in &run_ends {
            lists.push(selected[from..to].to_vec());
            from = to;
        }
        merge::by_score(lists, params.max_output)
    }
}
