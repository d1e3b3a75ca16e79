//! Shards balanced by cost: the cells of each shard, and the greedy balance of tasks over
//! shards.

use super::Grid;

impl Grid {
    /// The cells of shard `index` of `count` (0-based), balanced by cost: cells in
    /// decreasing samples·depth (ties by index) each go to the least-loaded shard (ties to
    /// the lowest). A pure function of the grid, so every shard computes the same split.
    pub fn shard(&self, index: usize, count: usize) -> Vec<usize> {
        let of = self.shards(count);
        (0..self.cells()).filter(|&i| of[i] == index).collect()
    }

    /// The shard of every cell when split in `count` (see [`Grid::shard`]): one pass with
    /// a heap of loads, O(cells·log count).
    pub fn shards(&self, count: usize) -> Vec<usize> {
        balance(&self.costs, count)
    }
}

/// The shard (0…count−1) of each task of cost `costs[i]`: the costliest first, each to the
/// least loaded shard (ties to the lower task and shard), in one pass with a heap of loads,
/// O(tasks·log count). Costs are whole numbers (below 2^60), so loads add exactly in u128.
///
/// ```
/// assert_eq!(vanish::sweep::grid::balance(&[5.0, 1.0, 1.0, 3.0], 2), [0, 1, 1, 1]);
/// ```
pub fn balance(costs: &[f64], count: usize) -> Vec<usize> {
    use std::cmp::Reverse;
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
    let mut heap: std::collections::BinaryHeap<Reverse<(u128, usize)>> =
        (0..count).map(|k| Reverse((0, k))).collect();
    let mut of = vec![0; costs.len()];
    for i in order {
        let Reverse((load, k)) = heap.pop().expect("count ≥ 1");
        of[i] = k;
        heap.push(Reverse((load + costs[i] as u128, k)));
    }
    of
}

#[cfg(test)]
mod tests {
    use crate::sweep::grid::Axis;
    use crate::sweep::grid::tests::grid;
    #[test]
    fn shards_partition_the_cells_and_balance_cost() {
        let g = grid(vec![
            Axis::new("s", vec![0.5, 1.0, 2.0]),
            Axis::new("depth", (1..=20).map(f64::from).collect()),
        ])
        .unwrap();
        let shards: Vec<Vec<usize>> = (0..4).map(|i| g.shard(i, 4)).collect();
        let mut all: Vec<usize> = shards.concat();
        all.sort_unstable();
        assert_eq!(all, (0..g.cells()).collect::<Vec<_>>());
        let loads: Vec<f64> = shards
            .iter()
            .map(|s| s.iter().map(|&i| g.cost(i)).sum())
            .collect();
        let (lo, hi) = loads
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
        assert!(hi - lo <= 20.0 * 1e6, "loads {loads:?}"); // within one cell's cost
    }
}
