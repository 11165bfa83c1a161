//! Optimal assignment: the shortest augmenting path algorithm for rectangular problems (Crouse
//! 2016), in the same order of operations as scipy's `linear_sum_assignment`, so that the two
//! break ties between equal-cost solutions the same way (MOT metrics depend on which one).

use crate::TrackError;

/// The minimum-cost assignment of rows to columns of a `rows x cols` cost matrix (row-major):
/// `min(rows, cols)` pairs `(row, col)`, sorted by row, each row and column used at most once.
///
/// `+inf` marks a forbidden pair. Ties between solutions of equal cost are broken exactly as
/// scipy's `linear_sum_assignment` breaks them (a constant matrix gives the identity).
///
/// # Runtime and Performance
///
/// `O(n^2 m)` for `n = min(rows, cols)` and `m = max(rows, cols)`, with no allocation per
/// augmenting step beyond the working vectors.
///
/// # Errors
///
/// [`TrackError::LengthMismatch`] if `cost` does not hold `rows * cols` values,
/// [`TrackError::NonFinite`] for a NaN or `-inf` entry, and [`TrackError::Infeasible`] when
/// forbidden pairs leave no complete assignment.
///
/// # Examples
///
/// ```
/// use softkit_track::linear_sum_assignment;
///
/// // Three workers, two jobs: worker 1 is best at job 0 and worker 2 at job 1.
/// let cost = [4.0, 1.0, 2.0, 5.0, 3.0, 0.5];
/// assert_eq!(linear_sum_assignment(&cost, 3, 2)?, vec![(1, 0), (2, 1)]);
/// assert_eq!(linear_sum_assignment(&[1.0; 4], 2, 2)?, vec![(0, 0), (1, 1)]);
/// # Ok::<(), softkit_track::TrackError>(())
/// ```
pub fn linear_sum_assignment(cost: &[f64], rows: usize, cols: usize) -> Result<Vec<(usize, usize)>, TrackError> {
    let cells = rows.saturating_mul(cols);
    if cost.len() != cells {
        return Err(TrackError::LengthMismatch {
            field: "cost",
            found: cost.len(),
            reference: "rows x cols",
            expected: cells,
        });
    }
    if let Some((at, &value)) = cost.iter().enumerate().find(|(_, v)| v.is_nan() || **v == f64::NEG_INFINITY) {
        return Err(TrackError::NonFinite {
            item: format!("cost[{}, {}]", at / cols, at % cols),
            field: "value",
            value,
        });
    }
    if cells == 0 {
        return Ok(Vec::new());
    }
    // scipy solves the transposed problem when there are more rows than columns.
    if rows > cols {
        let transposed: Vec<f64> = (0..cols).flat_map(|j| (0..rows).map(move |i| cost[i * cols + j])).collect();
        let col4row = solve(&transposed, cols, rows)?;
        let mut pairs: Vec<(usize, usize)> = col4row.into_iter().enumerate().map(|(j, i)| (i, j)).collect();
        pairs.sort_unstable();
        return Ok(pairs);
    }
    Ok(solve(cost, rows, cols)?.into_iter().enumerate().collect())
}

/// Crouse's algorithm for `nr <= nc`: the column of each row.
fn solve(input: &[f64], nr: usize, nc: usize) -> Result<Vec<usize>, TrackError> {
    // The costs as given: scipy (since 1.6) no longer shifts them to be non-negative, and the
    // shift would round float costs differently and break ties another way.
    let cost = input;
    let mut u = vec![0.0; nr];
    let mut v = vec![0.0; nc];
    let mut shortest = vec![0.0; nc];
    let mut path = vec![usize::MAX; nc];
    let mut col4row = vec![usize::MAX; nr];
    let mut row4col = vec![usize::MAX; nc];
    let mut in_rows = vec![false; nr];
    let mut in_cols = vec![false; nc];
    let mut remaining = Vec::with_capacity(nc);
    for cur_row in 0..nr {
        // Shortest augmenting path from `cur_row`.
        remaining.clear();
        // Filled in reverse, so that a constant matrix gives the identity (scipy #11602).
        remaining.extend((0..nc).rev());
        in_rows.fill(false);
        in_cols.fill(false);
        shortest.fill(f64::INFINITY);
        let mut min_val = 0.0;
        let mut i = cur_row;
        let sink = loop {
            let mut index = usize::MAX;
            let mut lowest = f64::INFINITY;
            in_rows[i] = true;
            for (it, &j) in remaining.iter().enumerate() {
                let r = min_val + cost[i * nc + j] - u[i] - v[j];
                if r < shortest[j] {
                    path[j] = i;
                    shortest[j] = r;
                }
                // On equal cost, prefer a column that ends the path.
                if shortest[j] < lowest || (shortest[j] == lowest && row4col[j] == usize::MAX) {
                    lowest = shortest[j];
                    index = it;
                }
            }
            min_val = lowest;
            if min_val == f64::INFINITY {
                return Err(TrackError::Infeasible { rows: nr, cols: nc });
            }
            let j = remaining[index];
            in_cols[j] = true;
            remaining.swap_remove(index);
            if row4col[j] == usize::MAX {
                break j;
            }
            i = row4col[j];
        };
        // Update the dual variables.
        u[cur_row] += min_val;
        for r in 0..nr {
            if in_rows[r] && r != cur_row {
                u[r] += min_val - shortest[col4row[r]];
            }
        }
        for j in 0..nc {
            if in_cols[j] {
                v[j] -= min_val - shortest[j];
            }
        }
        // Augment the previous solution along the path.
        let mut j = sink;
        loop {
            let r = path[j];
            row4col[j] = r;
            std::mem::swap(&mut col4row[r], &mut j);
            if r == cur_row {
                break;
            }
        }
    }
    Ok(col4row)
}

#[cfg(test)]
mod tests {
    use softkit_sim::Rng;

    use super::*;

    /// The optimum by trying every injection of rows into columns (small sizes only).
    fn brute_force(cost: &[f64], rows: usize, cols: usize) -> f64 {
        fn go(cost: &[f64], cols: usize, row: usize, rows: usize, used: &mut Vec<bool>, left: usize) -> f64 {
            if left == 0 || row == rows {
                return if left == 0 { 0.0 } else { f64::INFINITY };
            }
            // Either skip this row (only when rows > cols) or give it a free column.
            let mut best = if rows - row > left { go(cost, cols, row + 1, rows, used, left) } else { f64::INFINITY };
            for j in 0..cols {
                if !used[j] {
                    used[j] = true;
                    best = best.min(cost[row * cols + j] + go(cost, cols, row + 1, rows, used, left - 1));
                    used[j] = false;
                }
            }
            best
        }
        go(cost, cols, 0, rows, &mut vec![false; cols], rows.min(cols))
    }

    #[test]
    fn optimal_on_random_rectangular_matrices() {
        let mut rng = Rng::new(3);
        for _ in 0..300 {
            let (rows, cols) = (1 + rng.below(5), 1 + rng.below(5));
            // Small integers make ties common.
            let cost: Vec<f64> = (0..rows * cols).map(|_| rng.below(4) as f64).collect();
            let pairs = linear_sum_assignment(&cost, rows, cols).unwrap();
            assert_eq!(pairs.len(), rows.min(cols));
            let total: f64 = pairs.iter().map(|&(i, j)| cost[i * cols + j]).sum();
            assert_eq!(total, brute_force(&cost, rows, cols), "{cost:?} {rows}x{cols}");
            let mut used_cols: Vec<usize> = pairs.iter().map(|p| p.1).collect();
            used_cols.sort_unstable();
            used_cols.dedup();
            assert_eq!(used_cols.len(), pairs.len());
            assert!(pairs.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn forbidden_pairs_and_bad_entries() {
        let inf = f64::INFINITY;
        assert_eq!(linear_sum_assignment(&[inf, 1.0, 2.0, inf], 2, 2).unwrap(), vec![(0, 1), (1, 0)]);
        let err = linear_sum_assignment(&[inf, inf, 1.0, 2.0], 2, 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the cost matrix (2 x 2) has no complete assignment: its forbidden (+inf) pairs block every one"
        );
        let err = linear_sum_assignment(&[0.0, f64::NAN], 1, 2).unwrap_err();
        assert_eq!(err.to_string(), "cost[0, 1].value = NaN is not finite");
        assert_eq!(linear_sum_assignment(&[], 0, 3).unwrap(), vec![]);
        let err = linear_sum_assignment(&[1.0], 2, 2).unwrap_err();
        assert_eq!(err.to_string(), "cost has 1 entries but rows x cols has 4");
    }
}
