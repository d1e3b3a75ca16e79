//! Mergeable accumulators: event counts, streaming moments and the HDR histogram of
//! log10 g. A [`Summary`] knows nothing of how its samples were made; summaries of blocks
//! are merged in block order, which makes every floating-point result independent of the
//! thread count.

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

/// Streaming mean and variance (Welford), mergeable by Chan's formula.
///
/// ```
/// use vanish::mc::summary::Moments;
/// let mut m = Moments::default();
/// for x in [1.0, 2.0, 3.0, 4.0] { m.push(x); }
/// assert_eq!(m.mean(), 2.5);
/// assert!((m.variance() - 5.0 / 3.0).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    count: u64,
    mean: f64,
    m2: f64,
}

impl Moments {
    /// Adds one value.
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// From a count and the sums of d = x − shift and d² (used for the per-factor sums of
    /// a block, where per-value Welford updates would cost a division each in the hot loop;
    /// shifting by a value of the block keeps the cancellation small, and exact for
    /// constant values).
    pub fn from_shifted_sums(count: u64, shift: f64, sum: f64, sum_sq: f64) -> Self {
        if count == 0 {
            return Moments::default();
        }
        let mean_d = sum / count as f64;
        Moments {
            count,
            mean: shift + mean_d,
            // Clamp rounding below 0, but let a NaN (∞ − ∞) through: it is not a zero.
            m2: if sum_sq - sum * mean_d < 0.0 {
                0.0
            } else {
                sum_sq - sum * mean_d
            },
        }
    }

    /// Folds `other` in (order matters for the last bits: merge in a fixed order).
    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let n = self.count + other.count;
        let delta = other.mean - self.mean;
        let w = other.count as f64 / n as f64;
        self.mean += delta * w;
        self.m2 += other.m2 + delta * delta * self.count as f64 * w;
        self.count = n;
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The mean (NaN when empty).
    pub fn mean(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.mean }
    }

    /// The unbiased sample variance (NaN with fewer than 2 values).
    pub fn variance(&self) -> f64 {
        if self.count < 2 {
            f64::NAN
        } else {
            self.m2 / (self.count - 1) as f64
        }
    }

    /// The standard error of the mean.
    pub fn std_error(&self) -> f64 {
        (self.variance() / self.count as f64).sqrt()
    }
}

/// The mean of g itself (not of its log), with its standard error: Σ g and Σ g² over the
/// samples, kept as e^shift·s1 and e^{2·shift}·s2 so that neither overflows nor
/// underflows whatever the scale of g. Samples with g = 0 count; NaN ones do not.
///
/// ```
/// use vanish::mc::summary::LinearMoments;
/// let mut a = LinearMoments::of(&[1000.0, 1000.0 + 2f64.ln()]);   // g = e^1000, 2·e^1000
/// a.merge(&LinearMoments::of(&[f64::NEG_INFINITY]));               // g = 0
/// assert!((a.ln_mean() - (1000.0 + 1f64.ln())).abs() < 1e-12);    // mean (1+2+0)/3 · e^1000
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearMoments {
    /// Samples with a non-NaN ln g.
    pub count: u64,
    /// The largest ln g seen (−∞ while all g are 0).
    pub shift: f64,
    /// Σ e^{ln g − shift}.
    pub s1: f64,
    /// Σ e^{2(ln g − shift)}.
    pub s2: f64,
}

impl Default for LinearMoments {
    fn default() -> Self {
        LinearMoments {
            count: 0,
            shift: f64::NEG_INFINITY,
            s1: 0.0,
            s2: 0.0,
        }
    }
}

impl LinearMoments {
    /// The moments of one block of ln g.
    pub fn of(ln_g: &[f64]) -> Self {
        let shift = ln_g
            .iter()
            .copied()
            .filter(|l| !l.is_nan())
            .fold(f64::NEG_INFINITY, f64::max);
        let mut m = LinearMoments {
            shift,
            ..Self::default()
        };
        for &l in ln_g.iter().filter(|l| !l.is_nan()) {
            m.count += 1;
            if l > f64::NEG_INFINITY {
                let e = (l - shift).exp();
                m.s1 += e;
                m.s2 += e * e;
            }
        }
        m
    }

    /// Adds the next block (in block order: the sums are floating point).
    pub fn merge(&mut self, o: &LinearMoments) {
        let shift = self.shift.max(o.shift);
        let rescale = |m: &LinearMoments| {
            if m.shift == f64::NEG_INFINITY {
                (0.0, 0.0)
            } else {
                let r = (m.shift - shift).exp();
                (m.s1 * r, m.s2 * r * r)
            }
        };
        let (a1, a2) = rescale(self);
        let (b1, b2) = rescale(o);
        *self = LinearMoments {
            count: self.count + o.count,
            shift,
            s1: a1 + b1,
            s2: a2 + b2,
        };
    }

    /// ln E[g] (−∞ when every g was 0).
    pub fn ln_mean(&self) -> f64 {
        self.shift + (self.s1 / self.count as f64).ln()
    }

    /// The standard error of the mean of g, relative to that mean.
    pub fn relative_se(&self) -> f64 {
        let n = self.count as f64;
        let mean = self.s1 / n;
        let var = (self.s2 / n - mean * mean).max(0.0) * n / (n - 1.0);
        (var / n).sqrt() / mean
    }
}

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

    fn add_block(&mut self, s: &FactorSums) {
        self.ln_derivative.merge(&Moments::from_shifted_sums(
            s.count, s.shift, s.sum, s.sum_sq,
        ));
        self.zero += s.zero;
        self.infinite_x += s.infinite_x;
        self.above_one += s.above_one;
        self.below_inverse_max += s.below_inverse_max;
    }

    fn merge(&mut self, o: &FactorSummary) {
        self.ln_derivative.merge(&o.ln_derivative);
        self.zero += o.zero;
        self.infinite_x += o.infinite_x;
        self.above_one += o.above_one;
        self.below_inverse_max += o.below_inverse_max;
    }
}

/// Where one sample's g falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// g < vanish threshold (g = 0 included).
    Vanish,
    /// g > explode threshold.
    Explode,
    /// In between.
    Between,
    /// ln g is NaN.
    NotANumber,
}

/// The classification thresholds, as ln g.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// ln of `--vanish-below`.
    pub ln_vanish: f64,
    /// ln of `--explode-above`.
    pub ln_explode: f64,
    /// The cap of ln g: K·ln max f'.
    pub ln_cap: f64,
}

impl Thresholds {
    /// Classifies one ln g.
    pub fn classify(&self, ln_g: f64) -> Outcome {
        if ln_g < self.ln_vanish {
            Outcome::Vanish
        } else if ln_g > self.ln_explode {
            Outcome::Explode
        } else if ln_g.is_nan() {
            Outcome::NotANumber
        } else {
            Outcome::Between
        }
    }
}

/// `x.round()` (half away from zero) without a libm call: truncation by conversion, then
/// the exact fractional part decides (x − trunc x is exact in binary floating point).
#[inline]
fn round_half_away(x: f64) -> f64 {
    if x.is_nan() || x.abs() >= 4_503_599_627_370_496.0 {
        return x; // 2^52 and beyond: integral already (or ±∞)
    }
    let t = (x as i64) as f64;
    let frac = x - t;
    let r = if frac >= 0.5 {
        t + 1.0
    } else if frac <= -0.5 {
        t - 1.0
    } else {
        t
    };
    r.copysign(x) // −0.0 for x in (−0.5, −0], as round gives
}

fn merge_range(a: Option<(f64, f64)>, b: Option<(f64, f64)>) -> Option<(f64, f64)> {
    match (a, b) {
        (None, r) | (r, None) => r,
        (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
    }
}

/// The part of a block's record that has to be folded in block order (counts, and the
/// floating-point moments of log10 g and ln f'); the histograms are kept apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockTally {
    samples: u64,
    vanish: u64,
    explode: u64,
    between: u64,
    zero: u64,
    not_a_number: u64,
    log10_g: Moments,
    log10_g_range: Option<(f64, f64)>,
    linear: LinearMoments,
    factors: FactorSums,
}

impl BlockTally {
    /// Classifies each ln g and takes the moments of the finite log10 g (two passes over
    /// the block: the mean, then the squared deviations).
    pub fn of(thresholds: &Thresholds, ln_g: &[f64], factors: &FactorSums) -> Self {
        let mut t = BlockTally {
            samples: ln_g.len() as u64,
            vanish: 0,
            explode: 0,
            between: 0,
            zero: 0,
            not_a_number: 0,
            log10_g: Moments::default(),
            log10_g_range: None,
            linear: LinearMoments::of(ln_g),
            factors: *factors,
        };
        let (mut count, mut sum) = (0u64, 0.0);
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &l in ln_g {
            match thresholds.classify(l) {
                Outcome::Vanish => t.vanish += 1,
                Outcome::Explode => t.explode += 1,
                Outcome::Between => t.between += 1,
                Outcome::NotANumber => t.not_a_number += 1,
            }
            t.zero += u64::from(l == f64::NEG_INFINITY);
            if l.is_finite() {
                let v = l / LN_10;
                count += 1;
                sum += v;
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if count > 0 {
            let mean = sum / count as f64;
            let m2 = ln_g
                .iter()
                .filter(|l| l.is_finite())
                .map(|&l| (l / LN_10 - mean).powi(2))
                .sum();
            t.log10_g = Moments { count, mean, m2 };
            t.log10_g_range = Some((lo, hi));
        }
        t
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
    /// binned in any order, and binned summaries merged with [`Summary::add_bins`]).
    pub fn bin_block(&mut self, ln_g: &[f64]) {
        for &l in ln_g {
            if !l.is_finite() {
                continue;
            }
            let units = round_half_away((l / LN_10 - self.anchor) * UNITS_PER_DECADE);
            if units > MAX_UNITS {
                self.unbinned_above += 1;
            } else if units < -MAX_UNITS {
                self.unbinned_below += 1;
            } else if units >= 0.0 {
                self.upper.record(units as u64).expect("auto-resizing");
            } else {
                self.lower.record((-units) as u64).expect("auto-resizing");
            }
        }
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
    fn moments_merge_equals_sequential() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| ((i * 37) % 101) as f64 * 0.3 - 7.0)
            .collect();
        let mut all = Moments::default();
        xs.iter().for_each(|&x| all.push(x));
        let mut a = Moments::default();
        let mut b = Moments::default();
        xs[..333].iter().for_each(|&x| a.push(x));
        xs[333..].iter().for_each(|&x| b.push(x));
        a.merge(&b);
        assert!((a.mean() - all.mean()).abs() < 1e-12);
        assert!((a.variance() - all.variance()).abs() < 1e-10);
        let s: f64 = xs.iter().sum();
        let ss: f64 = xs.iter().map(|x| x * x).sum();
        let c = Moments::from_shifted_sums(1000, 0.0, s, ss);
        assert!((c.variance() - all.variance()).abs() < 1e-9);
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
