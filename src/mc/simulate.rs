//! Runs an experiment: blocks in parallel on the current rayon pool, summaries folded in
//! block order, so the result is the same for any thread count.

use rayon::prelude::*;

use crate::mc::fast::{FastKernel, Isa, Precision};
use crate::mc::kernel::{Kernel, ScalarKernel};
use crate::mc::rng::block_rng;
use crate::mc::summary::{Bins, BlockTally, FactorSums, Summary};
use crate::model::experiment::Experiment;
use crate::model::source::Source;
use crate::nets::network::NetworkKernel;

/// Blocks computed between two ordered folds; bounds memory, not results.
const BLOCKS_PER_WAVE: u64 = 256;
/// At most this many blocks after block 0 are computed in order on the calling thread.
const SERIAL_BLOCKS: u64 = 3;

/// The kernel that computes `exp`'s blocks: the fast kernel in the
/// experiment's precision on the best instruction set of this CPU, or the reference
/// kernel when asked for or when the fast one does not cover the experiment (its
/// [`Kernel::note`] says why).
pub fn kernel(exp: &Experiment) -> Box<dyn Kernel> {
    let dist = match &exp.source() {
        Source::Iid { dist } => dist,
        Source::Network { network, quantity } => {
            return Box::new(NetworkKernel::new(
                network.clone(),
                exp.activation(),
                *quantity,
                Isa::detect(),
            ));
        }
    };
    let reference = ScalarKernel::new(exp.activation(), dist.clone(), exp.depth());
    if exp.precision() == Precision::Reference {
        return Box::new(reference);
    }
    match FastKernel::new(
        exp.activation(),
        dist,
        exp.depth(),
        exp.precision(),
        Isa::detect(),
    ) {
        Ok(fast) => Box::new(fast),
        Err(reason) => Box::new(reference.instead_of_fast(reason)),
    }
}

/// Simulates cell `cell` of `exp` and returns its summary; `on_block` is told the number of
/// samples of each finished block (for progress bars).
///
/// ```
/// use vanish::mc::simulate::simulate;
/// use vanish::model::{activation::Activation, experiment::Experiment, source::Source};
/// let e = Experiment::new(Activation::scaled_tanh(1.0, 2.0).unwrap(),
///     Source::Iid { dist: "point(3)".parse().unwrap() }, 10, 5000, 1e-6, 1e6, 1).unwrap();
/// let s = simulate(&e, 0, &|_| {});
/// assert_eq!(s.vanish, 5000);   // f'(3) = 2·sech²(6) ≈ 4.9e-5, and (4.9e-5)^10 ≪ 1e-6
/// ```
pub fn simulate(exp: &Experiment, cell: u32, on_block: &(dyn Fn(u64) + Sync)) -> Summary {
    let kernel = kernel(exp);
    let block_samples = exp.block_samples();
    let thresholds = exp.thresholds();
    let blocks = exp.blocks();
    // Block 0 first: its median log10 g is the histograms' anchor (robust to heavy tails,
    // and no sum to overflow), so that every block records against the same,
    // deterministic anchor; then it is recorded like any other block.
    let len = block_samples.min(exp.samples()) as usize;
    let mut ln_g = vec![0.0; len];
    let mut factors = FactorSums::default();
    kernel.fill_block(&mut block_rng(exp.seed(), cell, 0), &mut ln_g, &mut factors);
    let anchor = {
        let mut finite: Vec<f64> = ln_g.iter().copied().filter(|l| l.is_finite()).collect();
        let middle = finite.len() / 2;
        if finite.is_empty() {
            // All of block 0 is g = 0 (or NaN): anchor at the cap, or at g = 1 without one.
            let cap = thresholds.ln_cap / std::f64::consts::LN_10;
            if cap.is_finite() { cap } else { 0.0 }
        } else {
            *finite.select_nth_unstable_by(middle, f64::total_cmp).1 / std::f64::consts::LN_10
        }
    };
    let mut total = Summary::new(thresholds, anchor);
    total.record_block(&ln_g, &factors);
    on_block(len as u64);
    let mut start = 1;
    // A handful of blocks (small cells of a table) gains nothing from splitting: they are
    // recorded in order right here, which gives the same numbers.
    if blocks - start <= SERIAL_BLOCKS {
        for b in start..blocks {
            let first = b * block_samples;
            let len = block_samples.min(exp.samples() - first) as usize;
            ln_g.resize(len, 0.0);
            let block = u32::try_from(b).expect("block count is bounded by MAX_SAMPLES");
            kernel.fill_block(
                &mut block_rng(exp.seed(), cell, block),
                &mut ln_g,
                &mut factors,
            );
            total.record_block(&ln_g, &factors);
            on_block(len as u64);
        }
        return total;
    }
    while start < blocks {
        let end = (start + BLOCKS_PER_WAVE).min(blocks);
        // Each worker keeps the tallies of its blocks, to be folded in block order, and
        // one pair of histograms, whose integer counts add up in any order (counted in
        // `Bins` and handed to the histograms once per wave).
        let parts: Vec<(Vec<(u64, BlockTally)>, Summary)> = (start..end)
            .into_par_iter()
            .fold(
                || {
                    let bins = Summary::new(thresholds, anchor);
                    (Vec::new(), Vec::new(), bins, Bins::default())
                },
                |(mut tallies, mut ln_g, mut bins, mut pending), b| {
                    let first = b * block_samples;
                    let len = block_samples.min(exp.samples() - first) as usize;
                    ln_g.resize(len, 0.0);
                    let block = u32::try_from(b).expect("block count is bounded by MAX_SAMPLES");
                    let mut rng = block_rng(exp.seed(), cell, block);
                    let mut factors = FactorSums::default();
                    kernel.fill_block(&mut rng, &mut ln_g, &mut factors);
                    tallies.push((b, BlockTally::of(&thresholds, &ln_g, &factors)));
                    pending.bin(&mut bins, &ln_g);
                    on_block(len as u64);
                    (tallies, ln_g, bins, pending)
                },
            )
            .map(|(tallies, _, mut bins, mut pending)| {
                pending.flush(&mut bins);
                (tallies, bins)
            })
            .collect();
        let mut tallies: Vec<&(u64, BlockTally)> = parts.iter().flat_map(|p| &p.0).collect();
        tallies.sort_unstable_by_key(|(b, _)| *b);
        for (_, t) in tallies {
            total.add_tally(t);
        }
        for (_, bins) in &parts {
            total.add_bins(bins);
        }
        start = end;
    }
    total
}
