//! Fast grouping helpers for the evaluator: id-to-position lookups and a stable sort by a small
//! integer key.

/// The position of an id in a sorted list of distinct ids.
///
/// Dense ids (COCO image and category ids usually are) go through a direct table; sparse ones
/// through a binary search. Either way the answer is the same.
pub(crate) enum IdIndex<'a> {
    /// `table[id - min]` is the position, or `u32::MAX` for an id not in the list.
    Dense { min: i64, table: Vec<u32> },
    /// Binary search in the sorted ids.
    Sorted(&'a [i64]),
}

impl<'a> IdIndex<'a> {
    /// Indexes `ids`, which must be sorted ascending and distinct.
    pub(crate) fn new(ids: &'a [i64]) -> Self {
        debug_assert!(ids.windows(2).all(|w| w[0] < w[1]));
        let (Some(&min), Some(&max)) = (ids.first(), ids.last()) else {
            return IdIndex::Sorted(ids);
        };
        let span = max.abs_diff(min);
        if ids.len() < u32::MAX as usize && span <= 4 * ids.len() as u64 + 1024 {
            let mut table = vec![u32::MAX; span as usize + 1];
            for (pos, &id) in ids.iter().enumerate() {
                table[id.abs_diff(min) as usize] = pos as u32;
            }
            IdIndex::Dense { min, table }
        } else {
            IdIndex::Sorted(ids)
        }
    }

    /// The position of `id`, if listed.
    #[inline]
    pub(crate) fn get(&self, id: i64) -> Option<usize> {
        match self {
            IdIndex::Dense { min, table } => {
                if id < *min {
                    return None;
                }
                let pos = *table.get(usize::try_from(id.abs_diff(*min)).ok()?)?;
                (pos != u32::MAX).then_some(pos as usize)
            }
            IdIndex::Sorted(ids) => ids.binary_search(&id).ok(),
        }
    }
}

/// Sorts `items` by key, keeping their given order among equal keys (a stable sort), for keys
/// below `key_space`.
///
/// A counting sort when the key space is small next to the number of items, else a comparison
/// sort on `(key, position)`; the result is the same.
pub(crate) fn stable_sort_by_small_key<T: Copy>(items: &mut Vec<T>, key_space: u64, key: impl Fn(&T) -> u64) {
    let n = items.len();
    if n < 64 || key_space > 4 * n as u64 + 4096 {
        let mut tagged: Vec<(u64, usize, T)> = items.iter().enumerate().map(|(i, t)| (key(t), i, *t)).collect();
        tagged.sort_unstable_by_key(|&(k, i, _)| (k, i));
        items.clear();
        items.extend(tagged.into_iter().map(|(_, _, t)| t));
        return;
    }
    let mut start = vec![0_usize; key_space as usize + 1];
    for t in items.iter() {
        start[key(t) as usize + 1] += 1;
    }
    for k in 1..start.len() {
        start[k] += start[k - 1];
    }
    let mut out: Vec<Option<T>> = vec![None; n];
    for t in items.iter() {
        let slot = &mut start[key(t) as usize];
        out[*slot] = Some(*t);
        *slot += 1;
    }
    items.clear();
    items.extend(out.into_iter().map(|t| t.expect("every slot is filled once")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_indexes_agree() {
        let dense = [-3, 0, 1, 2, 5, 9, 10];
        let sparse = [-1 << 40, 3, 1 << 50];
        for ids in [&dense[..], &sparse[..], &[]] {
            let idx = IdIndex::new(ids);
            for probe in [-1 << 41, -4, -3, -1, 0, 1, 3, 4, 9, 10, 11, 1 << 50, i64::MIN, i64::MAX] {
                assert_eq!(idx.get(probe), ids.binary_search(&probe).ok(), "{ids:?} {probe}");
            }
        }
        assert!(matches!(IdIndex::new(&dense), IdIndex::Dense { .. }));
        assert!(matches!(IdIndex::new(&sparse), IdIndex::Sorted(_)));
    }

    #[test]
    fn counting_sort_is_stable_and_equals_the_comparison_sort() {
        let mut rng = softkit_sim::Rng::new(12345);
        let items: Vec<(u64, usize)> = (0..5000).map(|i| (rng.below(700) as u64, i)).collect();
        let mut expected = items.clone();
        expected.sort_by_key(|&(k, _)| k);
        let mut counted = items.clone();
        stable_sort_by_small_key(&mut counted, 700, |&(k, _)| k);
        assert_eq!(counted, expected);
        let mut compared = items;
        stable_sort_by_small_key(&mut compared, 1 << 40, |&(k, _)| k);
        assert_eq!(compared, expected);
    }
}
