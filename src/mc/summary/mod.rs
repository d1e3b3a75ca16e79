//! Mergeable accumulators: event counts, streaming moments and the HDR histogram of
//! log10 g. A [`Summary`] knows nothing of how its samples were made; summaries of blocks
//! are merged in block order, which makes every floating-point result independent of the
//! thread count.

mod bins;
mod factors;
mod moments;
mod tally;

pub use bins::Bins;
pub(crate) use bins::slots as histogram_slots;
pub use factors::{FactorSummary, FactorSums};
pub use moments::{LinearMoments, Moments};
pub use tally::{BlockTally, Outcome, Thresholds};

use hdrhistogram::Histogram;
use std::f64::consts::LN_10;

/// Histogram units per decade of g. Two HDR histograms record round(1000·d), where d is the
/// distance in decades from an anchor near the centre of the law of log10 g (the median of
/// the first block): `upper` for log10 g ≥ anchor, `lower` below it.
pub const UNITS_PER_DECADE: f64 = 1000.0;
/// HDR significant digits: bucket width ≤ 0.1 % of d (and 0.001 decade for d < 2.048), so
/// the resolution follows the spread of log10 g, not its distance from the cap.
pub const HDR_SIGFIG: u8 = 3;
/// Largest recordable d in units (4·10¹⁵ decades, within HDR's 2⁶³); farther values are
/// counted as unbinned.
const MAX_UNITS: f64 = 4e18;

/// `x.round()` (half away from zero) without a libm call or a branch, so that it
/// vectorises: truncation, then the exact fractional part decides (x − trunc x is exact in
/// binary floating point; beyond 2^52 it is 0, and NaN or ±∞ pass through).
#[inline(always)]
fn round_half_away(x: f64) -> f64 {
    let t = x.trunc();
    let frac = x - t;
    // 1.0 or 0.0 by masking the bits of 1.0: cheaper in vector code than a conversion.
    let one_if = |b: bool| f64::from_bits(1f64.to_bits() & 0u64.wrapping_sub(u64::from(b)));
    let r = t + one_if(frac >= 0.5) - one_if(frac <= -0.5);
    r.copysign(x) // −0.0 for x in (−0.5, −0], as round gives
}

fn merge_range(a: Option<(f64, f64)>, b: Option<(f64, f64)>) -> Option<(f64, f64)> {
    match (a, b) {
        (None, r) | (r, None) => r,
        (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
    }
}

/// Everything a run keeps about its samples; memory does not grow with their number.
#[derive(Debug, Clone)]
pub struct Summary {
    thresholds: Thresholds,
    /// Samples seen.
    pub samples: u64,
    /// g below the vanish threshold (including g = 0).
    pub vanish: u64,
    /// g above the explode threshold.
    pub explode: u64,
    /// g in between.
    pub between: u64,
    /// g = 0 exactly (ln g = −∞, e.g. a ReLU factor at x ≤ 0); also counted in `vanish`.
    pub zero: u64,
    /// ln g was NaN (never expected; counted, not dropped).
    pub not_a_number: u64,
    /// Finite g too far below the anchor for the histogram (over 4·10¹⁵ decades).
    pub unbinned_below: u64,
    /// Finite g too far above the anchor for the histogram.
    pub unbinned_above: u64,
    /// Mean and variance of log10 g over samples with finite ln g.
    pub log10_g: Moments,
    /// Smallest and largest finite log10 g seen.
    pub log10_g_range: Option<(f64, f64)>,
    /// The anchor of the histograms, in log10 g.
    pub anchor: f64,
    /// HDR histogram of round(1000·(log10 g − anchor)) for log10 g at or above the anchor.
    pub upper: Histogram<u64>,
    /// HDR histogram of round(1000·(anchor − log10 g)) for log10 g below the anchor.
    pub lower: Histogram<u64>,
    /// Mean and standard error of g itself.
    pub linear: LinearMoments,
    /// Per-factor tallies.
    pub factors: FactorSummary,
}

impl Summary {
    /// An empty summary for the given thresholds, its histograms anchored at `anchor`
    /// (log10 g; rounded to 0.001 so that it prints exactly).
    pub fn new(thresholds: Thresholds, anchor: f64) -> Self {
        let histogram = || {
            let mut h = Histogram::new(HDR_SIGFIG).expect("valid sigfig");
            h.auto(true);
            h
        };
        Summary {
            thresholds,
            samples: 0,
            vanish: 0,
            explode: 0,
            between: 0,
            zero: 0,
            not_a_number: 0,
            unbinned_below: 0,
            unbinned_above: 0,
            log10_g: Moments::default(),
            log10_g_range: None,
            anchor: if anchor.abs() < 1e12 {
                (anchor * UNITS_PER_DECADE).round() / UNITS_PER_DECADE
            } else {
                anchor
            },
            upper: histogram(),
            lower: histogram(),
            linear: LinearMoments::default(),
            factors: FactorSummary::default(),
        }
    }

    /// The thresholds this summary classifies with.
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// log10 of the largest possible g.
    pub fn log10_cap(&self) -> f64 {
        self.thresholds.ln_cap / LN_10
    }

    /// Records one block: its ln g values, in order, and its factor sums. Equivalent to
    /// [`Summary::add_tally`] of [`BlockTally::of`] and [`Summary::bin_block`].
    pub fn record_block(&mut self, ln_g: &[f64], factors: &FactorSums) {
        self.add_tally(&BlockTally::of(&self.thresholds, ln_g, factors));
        self.bin_block(ln_g);
    }

    /// Adds the next block's tally (call in block order: its moments are floating point).
    pub fn add_tally(&mut self, t: &BlockTally) {
        self.samples += t.samples;
        self.vanish += t.vanish;
        self.explode += t.explode;
        self.between += t.between;
        self.zero += t.zero;
        self.not_a_number += t.not_a_number;
        self.log10_g.merge(&t.log10_g);
        self.log10_g_range = merge_range(self.log10_g_range, t.log10_g_range);
        self.linear.merge(&t.linear);
        self.factors.add_block(&t.factors);
    }

    /// Records the finite ln g of a block in the histograms (integer counts: blocks may be
    /// binned in any order, and binned summaries merged with [`Summary::add_bins`]). Many
    /// blocks in a row are binned faster through one [`Bins`].
    pub fn bin_block(&mut self, ln_g: &[f64]) {
        let mut bins = Bins::default();
        bins.bin(self, ln_g);
        bins.flush(self);
    }

    /// Adds the histograms (and unbinned counts) of `o`, and nothing else.
    pub fn add_bins(&mut self, o: &Summary) {
        debug_assert_eq!(self.anchor, o.anchor);
        self.unbinned_below += o.unbinned_below;
        self.unbinned_above += o.unbinned_above;
        self.upper.add(&o.upper).expect("auto-resizing");
        self.lower.add(&o.lower).expect("auto-resizing");
    }

    /// Folds in the summary of the next block (call in block order).
    pub fn merge(&mut self, o: &Summary) {
        debug_assert_eq!(self.thresholds, o.thresholds);
        self.samples += o.samples;
        self.vanish += o.vanish;
        self.explode += o.explode;
        self.between += o.between;
        self.zero += o.zero;
        self.not_a_number += o.not_a_number;
        self.unbinned_below += o.unbinned_below;
        self.unbinned_above += o.unbinned_above;
        self.log10_g.merge(&o.log10_g);
        self.log10_g_range = merge_range(self.log10_g_range, o.log10_g_range);
        debug_assert_eq!(self.anchor, o.anchor);
        self.upper.add(&o.upper).expect("auto-resizing");
        self.lower.add(&o.lower).expect("auto-resizing");
        self.linear.merge(&o.linear);
        self.factors.merge(&o.factors);
    }

    /// The histograms' buckets in increasing log10 g: (lower edge, upper edge, count).
    /// Edges are the HDR bucket bounds ±½ unit, so adjacent buckets tile the axis.
    pub fn buckets(&self) -> Vec<(f64, f64, u64)> {
        let a = self.anchor;
        let u = UNITS_PER_DECADE;
        let edges = |h: &Histogram<u64>, v: u64| {
            (
                h.lowest_equivalent(v) as f64 - 0.5,
                h.highest_equivalent(v) as f64 + 0.5,
            )
        };
        let mut out: Vec<(f64, f64, u64)> = self
            .lower
            .iter_recorded()
            .map(|v| {
                let (lo, hi) = edges(&self.lower, v.value_iterated_to());
                (a - hi / u, a - lo / u, v.count_at_value())
            })
            .collect();
        out.reverse();
        out.extend(self.upper.iter_recorded().map(|v| {
            let (lo, hi) = edges(&self.upper, v.value_iterated_to());
            (a + lo / u, a + hi / u, v.count_at_value())
        }));
        out
    }

    /// The width in decades of the histogram bucket that holds the q-quantile (0 where the
    /// quantile is −∞ or an exact extreme): how far the reported quantile can be off.
    pub fn quantile_resolution(&self, q: f64) -> f64 {
        self.locate(q).1
    }

    /// The q-quantile of log10 g (0 < q < 1) over samples whose ln g is not NaN: −∞ when it
    /// falls among g = 0, the observed minimum or maximum when it falls among samples beyond
    /// the histogram, else the middle of its histogram bucket clamped to the observed range
    /// (exact to 0.001 decade within 2 decades of the anchor, to 0.1 % of the distance
    /// beyond).
    pub fn quantile(&self, q: f64) -> f64 {
        self.locate(q).0
    }

    /// (q-quantile, width of its bucket) for each q, from one pass over the buckets.
    pub fn quantiles(&self, qs: &[f64]) -> Vec<(f64, f64)> {
        let buckets = self.buckets();
        qs.iter().map(|&q| self.locate_in(&buckets, q)).collect()
    }

    /// (q-quantile, width of its bucket).
    fn locate(&self, q: f64) -> (f64, f64) {
        self.locate_in(&self.buckets(), q)
    }

    fn locate_in(&self, buckets: &[(f64, f64, u64)], q: f64) -> (f64, f64) {
        let m = self.samples - self.not_a_number;
        if m == 0 {
            return (f64::NAN, 0.0);
        }
        let rank = ((q * m as f64).ceil() as u64).clamp(1, m);
        if rank <= self.zero {
            return (f64::NEG_INFINITY, 0.0);
        }
        let (min, max) = self.log10_g_range.unwrap_or((f64::NAN, f64::NAN));
        let mut seen = self.zero + self.unbinned_below;
        if rank <= seen {
            return (min, 0.0);
        }
        for &(lo, hi, count) in buckets {
            seen += count;
            if seen >= rank {
                return ((0.5 * (lo + hi)).clamp(min, max), hi - lo);
            }
        }
        (max, 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thresholds() -> Thresholds {
        Thresholds {
            ln_vanish: (1e-6f64).ln(),
            ln_explode: (1e6f64).ln(),
            ln_cap: 50.0 * 2f64.ln(),
        }
    }

    #[test]
    fn classification_and_quantiles() {
        let mut s = Summary::new(thresholds(), 0.0);
        let ln10 = LN_10;
        // log10 g = -10, -1, 0, 1, 7 and one g = 0.
        let values: Vec<f64> = [-10.0, -1.0, 0.0, 1.0, 7.0]
            .iter()
            .map(|v| v * ln10)
            .chain([f64::NEG_INFINITY, f64::NAN])
            .collect();
        s.record_block(&values, &FactorSums::default());
        assert_eq!((s.vanish, s.between, s.explode), (2, 3, 1));
        assert_eq!((s.zero, s.not_a_number, s.samples), (1, 1, 7));
        assert_eq!(s.quantile(0.1), f64::NEG_INFINITY);
        // Six values that are not NaN; the 0.5-quantile is the 3rd smallest, the 0.6 the 4th.
        assert!((s.quantile(0.5) + 1.0).abs() < 2e-3, "{}", s.quantile(0.5));
        assert!((s.quantile(0.6) - 0.0).abs() < 2e-3, "{}", s.quantile(0.6));
        assert!((s.quantile(0.99) - 7.0).abs() < 2e-3);
        let total: u64 = s.buckets().iter().map(|b| b.2).sum();
        assert_eq!(total, 5);
    }

    #[test]
    fn round_half_away_is_round() {
        let mut xs = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.499_999_999_999_999_94,
            -0.499_999_999_999_999_94,
            4_503_599_627_370_495.5,
            -4_503_599_627_370_495.5,
            2f64.powi(52),
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e15 + 0.5,
        ];
        let mut v = 0.123_456_789f64;
        for _ in 0..100_000 {
            v = (v * 997.0 + 0.5).fract() * 2e6 - 1e6;
            xs.push(v);
            xs.push((v * 2.0).round() / 2.0); // ties
        }
        for x in xs {
            assert_eq!(round_half_away(x).to_bits(), x.round().to_bits(), "{x}");
        }
        assert!(round_half_away(f64::NAN).is_nan());
    }
}
