//! The per-factor tallies of ln f'(x): a block's plain sums, and their merged summary.

use super::moments::Moments;

/// Per-factor tallies of ln f'(x) for one block: plain sums in the hot loop.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FactorSums {
    /// Factors with f' > 0 (those in the sums).
    pub count: u64,
    /// Factors with f' = 0 exactly (ln f' = −∞, kept out of the sums).
    pub zero: u64,
    /// Of those, factors whose x was ±∞ (a heavy-tailed draw beyond f64's range).
    pub infinite_x: u64,
    /// The first finite ln f' of the block: the sums are of ln f' − shift.
    pub shift: f64,
    /// Σ (ln f' − shift).
    pub sum: f64,
    /// Σ (ln f' − shift)².
    pub sum_sq: f64,
    /// Factors with f' > 1 (for a·tanh(n·x): |x| inside ±e).
    pub above_one: u64,
    /// Factors with f' < 1/max f' (for tanh(n·x): |x| outside ±t1(n)).
    pub below_inverse_max: u64,
}

/// The per-factor part of a summary.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FactorSummary {
    /// Mean and variance of ln f'(x) (block sums merged in order).
    pub ln_derivative: Moments,
    /// Factors with f' = 0 exactly.
    pub zero: u64,
    /// Of those, factors whose x was ±∞.
    pub infinite_x: u64,
    /// Factors with f' > 1.
    pub above_one: u64,
    /// Factors with f' < 1/max f' (zeros included).
    pub below_inverse_max: u64,
}

impl FactorSummary {
    /// All factors seen.
    pub fn total(&self) -> u64 {
        self.ln_derivative.count() + self.zero
    }

    pub(super) fn add_block(&mut self, s: &FactorSums) {
        self.ln_derivative.merge(&Moments::from_shifted_sums(
            s.count, s.shift, s.sum, s.sum_sq,
        ));
        self.zero += s.zero;
        self.infinite_x += s.infinite_x;
        self.above_one += s.above_one;
        self.below_inverse_max += s.below_inverse_max;
    }

    pub(super) fn merge(&mut self, o: &FactorSummary) {
        self.ln_derivative.merge(&o.ln_derivative);
        self.zero += o.zero;
        self.infinite_x += o.infinite_x;
        self.above_one += o.above_one;
        self.below_inverse_max += o.below_inverse_max;
    }
}
