//! The identity matching behind IDF1, IDP and IDR: py-motmetrics' `id_global_assignment`.
//!
//! motmetrics solves one square assignment of size `objects + hypotheses`, in which object `o`
//! paired with hypothesis `h` costs `frames(o) + frames(h) - 2 tp(o, h)` (`tp`: frames in which
//! the two are within reach) and a dummy partner costs the id's frame count. Its minimum is
//! `sum frames(o) + sum frames(h) - 2 max sum tp`, over one-to-one matchings of object ids to
//! hypothesis ids, and `idtp = num_objects - idfn` is that maximum `sum tp`. Every optimal
//! matching has the same `sum tp`, so `idtp`, `idfp` and `idfn` do not depend on tie-breaking.
//! Only ids that were ever within reach of each other can gain from a pairing, so this solves
//! the maximum per connected group of such ids, which is far smaller than the square matrix.

use crate::{TrackError, linear_sum_assignment};

/// The largest total of `tp(o, h)` over one-to-one matchings of object ids to hypothesis ids.
///
/// `pairs` holds one `o << 32 | h` per frame in which object `o` and hypothesis `h` are within
/// reach (`o < n_obj`, `h < n_hyp`); it is sorted in place.
pub(crate) fn max_id_true_positives(n_obj: usize, n_hyp: usize, pairs: &mut [u64]) -> Result<usize, TrackError> {
    pairs.sort_unstable();
    // (object, hypothesis, tp), sorted by object then hypothesis.
    let mut edges: Vec<(usize, usize, usize)> = Vec::new();
    for run in pairs.chunk_by(|a, b| a == b) {
        edges.push(((run[0] >> 32) as usize, (run[0] & u64::from(u32::MAX)) as usize, run.len()));
    }
    // Groups of ids linked by edges: objects are nodes `0..n_obj`, hypotheses follow.
    let mut groups = Groups::new(n_obj + n_hyp);
    for &(o, h, _) in &edges {
        groups.join(o, n_obj + h);
    }
    let mut by_group: Vec<(usize, usize)> =
        edges.iter().enumerate().map(|(e, &(o, _, _))| (groups.root(o), e)).collect();
    by_group.sort_unstable();

    let mut total = 0;
    let mut obj_local = vec![usize::MAX; n_obj];
    let mut hyp_local = vec![usize::MAX; n_hyp];
    let (mut objs, mut hyps, mut cost) = (Vec::new(), Vec::new(), Vec::new());
    for group in by_group.chunk_by(|a, b| a.0 == b.0) {
        if let [(_, e)] = group {
            total += edges[*e].2;
            continue;
        }
        objs.clear();
        hyps.clear();
        for &(_, e) in group {
            let (o, h, _) = edges[e];
            if obj_local[o] == usize::MAX {
                obj_local[o] = objs.len();
                objs.push(o);
            }
            if hyp_local[h] == usize::MAX {
                hyp_local[h] = hyps.len();
                hyps.push(h);
            }
        }
        let (a, b) = (objs.len(), hyps.len());
        if a == 1 || b == 1 {
            // A star: the heaviest edge.
            total += group.iter().map(|&(_, e)| edges[e].2).max().unwrap_or(0);
        } else {
            // Rows on the smaller side; a pair with no edge costs 0, as good as no pairing, so
            // the minimum of `-tp` over complete assignments is the maximum matching.
            let (rows, cols) = (a.min(b), a.max(b));
            cost.clear();
            cost.resize(rows * cols, 0.0);
            for &(_, e) in group {
                let (o, h, tp) = edges[e];
                let (r, c) = if a <= b { (obj_local[o], hyp_local[h]) } else { (hyp_local[h], obj_local[o]) };
                cost[r * cols + c] = -(tp as f64);
            }
            for (r, c) in linear_sum_assignment(&cost, rows, cols)? {
                // Counts are exact in f64 (below 2^53).
                total += (-cost[r * cols + c]) as usize;
            }
        }
        for &o in &objs {
            obj_local[o] = usize::MAX;
        }
        for &h in &hyps {
            hyp_local[h] = usize::MAX;
        }
    }
    Ok(total)
}

/// Union-find over `0..n` with path halving.
struct Groups {
    parent: Vec<usize>,
}

impl Groups {
    fn new(n: usize) -> Self {
        Groups { parent: (0..n).collect() }
    }

    fn root(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(o: u64, h: u64) -> u64 {
        (o << 32) | h
    }

    /// motmetrics' formulation: the square `(no + nh)` assignment over fp + fn costs.
    fn square_reference(n_obj: usize, n_hyp: usize, pairs: &[u64]) -> usize {
        let n = n_obj + n_hyp;
        let mut oc = vec![0.0; n_obj];
        let mut hc = vec![0.0; n_hyp];
        let mut tp = vec![0.0; n_obj * n_hyp];
        for &p in pairs {
            tp[(p >> 32) as usize * n_hyp + (p & 0xffff_ffff) as usize] += 1.0;
        }
        // Frame counts: at least the pair counts; give every id a few extra frames alone.
        for o in 0..n_obj {
            oc[o] = (0..n_hyp).map(|h| tp[o * n_hyp + h]).fold(0.0, f64::max) + 1.0 + o as f64;
        }
        for h in 0..n_hyp {
            hc[h] = (0..n_obj).map(|o| tp[o * n_hyp + h]).fold(0.0, f64::max) + 2.0;
        }
        let large = 1e9;
        let mut cost = vec![0.0; n * n];
        for r in 0..n {
            for c in 0..n {
                cost[r * n + c] = match (r < n_obj, c < n_hyp) {
                    (true, true) => hc[c] + oc[r] - 2.0 * tp[r * n_hyp + c],
                    (true, false) => {
                        if c - n_hyp == r {
                            oc[r]
                        } else {
                            large
                        }
                    }
                    (false, true) => {
                        if r - n_obj == c {
                            hc[c]
                        } else {
                            large
                        }
                    }
                    (false, false) => 0.0,
                };
            }
        }
        let min: f64 = linear_sum_assignment(&cost, n, n).unwrap().iter().map(|&(r, c)| cost[r * n + c]).sum();
        let total: f64 = oc.iter().sum::<f64>() + hc.iter().sum::<f64>();
        ((total - min) / 2.0) as usize
    }

    #[test]
    fn equals_the_square_formulation() {
        let mut state = 7_u64;
        let mut next = |n: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        for _ in 0..200 {
            let (n_obj, n_hyp) = (1 + next(6) as usize, 1 + next(6) as usize);
            let mut pairs: Vec<u64> = (0..next(30)).map(|_| key(next(n_obj as u64), next(n_hyp as u64))).collect();
            let expected = square_reference(n_obj, n_hyp, &pairs);
            assert_eq!(max_id_true_positives(n_obj, n_hyp, &mut pairs).unwrap(), expected, "{pairs:?}");
        }
    }

    #[test]
    fn stars_and_chains() {
        // Object 0 overlaps hypothesis 0 for 3 frames and hypothesis 1 for 5; object 1 overlaps
        // hypothesis 1 once: 0-1 (5) beats 0-0 plus 1-1 (3 + 1).
        let mut pairs = vec![key(0, 0); 3];
        pairs.extend([key(0, 1); 5]);
        pairs.push(key(1, 1));
        assert_eq!(max_id_true_positives(2, 2, &mut pairs.clone()).unwrap(), 5);
        // Twice more, and the chain pays: 3 + 3.
        pairs.extend([key(1, 1); 2]);
        assert_eq!(max_id_true_positives(2, 2, &mut pairs).unwrap(), 6);
        // A star: one object, three hypotheses.
        let mut star = vec![key(0, 0), key(0, 1), key(0, 1), key(0, 2)];
        assert_eq!(max_id_true_positives(1, 3, &mut star).unwrap(), 2);
        assert_eq!(max_id_true_positives(3, 3, &mut []).unwrap(), 0);
    }
}
