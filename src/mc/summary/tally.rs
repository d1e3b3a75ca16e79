//! Classifying ln g by the thresholds, and the tally of a block that is folded in block
//! order (counts, the moments of log10 g and of g, the factor sums).

use std::f64::consts::LOG10_E;

use super::factors::FactorSums;
use super::moments::{LinearMoments, Moments};
use crate::mc::fast::Isa;
use crate::mc::fast::real::exp_neg;

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

/// The part of a block's record that has to be folded in block order (counts, and the
/// floating-point moments of log10 g and ln f'); the histograms are kept apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockTally {
    pub(super) samples: u64,
    pub(super) vanish: u64,
    pub(super) explode: u64,
    pub(super) between: u64,
    pub(super) zero: u64,
    pub(super) not_a_number: u64,
    pub(super) log10_g: Moments,
    pub(super) log10_g_range: Option<(f64, f64)>,
    pub(super) linear: LinearMoments,
    pub(super) factors: FactorSums,
}

impl BlockTally {
    /// Classifies each ln g and takes the moments of the finite log10 g (two passes over
    /// the block: the mean, then the squared deviations) and of g itself, on the best
    /// instruction set of this CPU (the same bits on every one; see [`BlockTally::compute`]).
    ///
    /// ```
    /// use vanish::mc::summary::{BlockTally, FactorSums, Summary, Thresholds};
    /// let th = Thresholds { ln_vanish: -1.0, ln_explode: 1.0, ln_cap: 5.0 };
    /// let mut s = Summary::new(th, 0.0);
    /// s.add_tally(&BlockTally::of(&th, &[-2.0, 0.0, 3.0, f64::NAN], &FactorSums::default()));
    /// assert_eq!((s.vanish, s.between, s.explode, s.not_a_number), (1, 1, 1, 1));
    /// ```
    pub fn of(thresholds: &Thresholds, ln_g: &[f64], factors: &FactorSums) -> Self {
        Isa::detect().block_tally(thresholds, ln_g, factors)
    }

    /// [`BlockTally::of`] as plain code, inlined into each instruction set's build. Sums run
    /// in [`LANES`] interleaved lanes (element i into lane i mod 8), added up pairwise in a
    /// fixed order; the terms of g are e^(ln g − max ln g) from the fast kernel's f64
    /// `exp_neg`, those below e^−80 (beneath the rounding of a sum that holds the 1 of
    /// the largest g) counted as 0.
    #[inline(always)]
    pub(crate) fn compute(thresholds: &Thresholds, ln_g: &[f64], factors: &FactorSums) -> Self {
        let first = first_pass(thresholds, ln_g);
        let samples = ln_g.len() as u64;
        let mut t = BlockTally {
            samples,
            vanish: first.vanish,
            explode: first.explode,
            between: samples - first.vanish - first.explode - first.not_a_number,
            zero: first.zero,
            not_a_number: first.not_a_number,
            log10_g: Moments::default(),
            log10_g_range: None,
            linear: LinearMoments {
                count: samples - first.not_a_number,
                shift: first.top,
                ..LinearMoments::default()
            },
            factors: *factors,
        };
        let mean = if first.finite > 0 {
            first.sum / first.finite as f64
        } else {
            0.0
        };
        let second = second_pass(ln_g, mean, first.top);
        if first.finite > 0 {
            t.log10_g = Moments {
                count: first.finite,
                mean,
                m2: second.m2,
            };
            t.log10_g_range = Some((first.lo, first.hi));
        }
        if first.top > f64::NEG_INFINITY {
            (t.linear.s1, t.linear.s2) = (second.s1, second.s2);
        }
        t
    }
}

/// Lanes of the tally's sums.
const LANES: usize = 8;

/// Sum of the lanes, pairwise in a fixed order.
#[inline(always)]
fn total(a: [f64; LANES]) -> f64 {
    ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))
}

/// The counts, and the sum and range of the finite log10 g, and the largest ln g that is
/// not NaN (`top`).
struct FirstPass {
    vanish: u64,
    explode: u64,
    not_a_number: u64,
    zero: u64,
    finite: u64,
    sum: f64,
    lo: f64,
    hi: f64,
    top: f64,
}

/// The first pass's running sums, per lane (counts as f64, exact below 2^53, so that
/// every lane is one vector operation).
#[derive(Clone, Copy)]
struct Lanes1 {
    vanish: [f64; LANES],
    explode: [f64; LANES],
    nan: [f64; LANES],
    zero: [f64; LANES],
    finite: [f64; LANES],
    sum: [f64; LANES],
    lo: [f64; LANES],
    hi: [f64; LANES],
    top: [f64; LANES],
}

/// `v` where `keep`, else 0.0, by masking bits: a plain add of it stays a vector add
/// (a select would let the compiler turn the running sum into a masked store).
#[inline(always)]
fn kept(keep: bool, v: f64) -> f64 {
    f64::from_bits(v.to_bits() & 0u64.wrapping_sub(u64::from(keep)))
}

// Every lane array is indexed alike by j: one vector lane each.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn first_row(th: &Thresholds, a: &mut Lanes1, row: &[f64; LANES]) {
    for j in 0..LANES {
        let l = row[j];
        let below = l < th.ln_vanish;
        a.vanish[j] += kept(below, 1.0);
        a.explode[j] += kept(l > th.ln_explode && !below, 1.0);
        a.nan[j] += kept(l.is_nan(), 1.0);
        a.zero[j] += kept(l == f64::NEG_INFINITY, 1.0);
        let is_finite = l.is_finite();
        let v = l * LOG10_E;
        a.finite[j] += kept(is_finite, 1.0);
        a.sum[j] += kept(is_finite, v);
        a.lo[j] = if is_finite && v < a.lo[j] { v } else { a.lo[j] };
        a.hi[j] = if is_finite && v > a.hi[j] { v } else { a.hi[j] };
        a.top[j] = if l > a.top[j] { l } else { a.top[j] };
    }
}

#[inline(always)]
fn first_pass(th: &Thresholds, ln_g: &[f64]) -> FirstPass {
    let zeros = [0.0f64; LANES];
    let mut a = Lanes1 {
        vanish: zeros,
        explode: zeros,
        nan: zeros,
        zero: zeros,
        finite: zeros,
        sum: zeros,
        lo: [f64::INFINITY; LANES],
        hi: [f64::NEG_INFINITY; LANES],
        top: [f64::NEG_INFINITY; LANES],
    };
    let mut rows = ln_g.chunks_exact(LANES);
    for row in &mut rows {
        first_row(th, &mut a, row.try_into().expect("whole rows"));
    }
    let rest = rows.remainder();
    let mut last = [f64::NAN; LANES];
    last[..rest.len()].copy_from_slice(rest);
    first_row(th, &mut a, &last);
    let padding = (LANES - rest.len()) as u64;
    let Lanes1 {
        vanish,
        explode,
        nan,
        zero,
        finite,
        sum,
        lo,
        hi,
        top,
    } = a;
    let count = |c: [f64; LANES]| total(c) as u64;
    FirstPass {
        vanish: count(vanish),
        explode: count(explode),
        not_a_number: count(nan) - padding,
        zero: count(zero),
        finite: count(finite),
        sum: total(sum),
        lo: lo.into_iter().fold(f64::INFINITY, f64::min),
        hi: hi.into_iter().fold(f64::NEG_INFINITY, f64::max),
        top: top.into_iter().fold(f64::NEG_INFINITY, f64::max),
    }
}

/// Σ (log10 g − mean)² over finite ln g, and Σ e^(ln g − top), Σ e^(2(ln g − top)).
struct SecondPass {
    m2: f64,
    s1: f64,
    s2: f64,
}

/// Elements per step of the second pass (its e^x runs across all of them at once).
const STEP: usize = 32;

#[inline(always)]
fn second_step(a: &mut [[f64; LANES]; 3], step: &[f64; STEP], mean: f64, top: f64) {
    let mut t = [0.0f64; STEP];
    for i in 0..STEP {
        t[i] = top - step[i];
    }
    let e = exp_neg(&t);
    let [m2, s1, s2] = a;
    for r in 0..STEP / LANES {
        for j in 0..LANES {
            let i = r * LANES + j;
            let l = step[i];
            let is_finite = l.is_finite();
            let d = l * LOG10_E - mean;
            m2[j] += kept(is_finite, d * d);
            // NaN ln g and g = 0 (t = ∞) fail t < 80; so does t = NaN.
            let e = kept(t[i] < 80.0, e[i]);
            s1[j] += e;
            s2[j] += e * e;
        }
    }
}

#[inline(always)]
fn second_pass(ln_g: &[f64], mean: f64, top: f64) -> SecondPass {
    let mut a = [[0.0f64; LANES]; 3];
    let mut steps = ln_g.chunks_exact(STEP);
    for step in &mut steps {
        second_step(&mut a, step.try_into().expect("whole steps"), mean, top);
    }
    let rest = steps.remainder();
    let mut last = [f64::NAN; STEP];
    last[..rest.len()].copy_from_slice(rest);
    second_step(&mut a, &last, mean, top);
    let [m2, s1, s2] = a;
    SecondPass {
        m2: total(m2),
        s1: total(s1),
        s2: total(s2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tally the plain way: one value at a time, libm's e^x.
    fn reference(th: &Thresholds, ln_g: &[f64]) -> BlockTally {
        let mut t = BlockTally::compute(th, &[], &FactorSums::default());
        t.samples = ln_g.len() as u64;
        let finite: Vec<f64> = ln_g.iter().filter(|l| l.is_finite()).copied().collect();
        for &l in ln_g {
            match th.classify(l) {
                Outcome::Vanish => t.vanish += 1,
                Outcome::Explode => t.explode += 1,
                Outcome::Between => t.between += 1,
                Outcome::NotANumber => t.not_a_number += 1,
            }
            t.zero += u64::from(l == f64::NEG_INFINITY);
        }
        let mut m = Moments::default();
        finite.iter().for_each(|&l| m.push(l * LOG10_E));
        t.log10_g = m;
        let v = finite.iter().map(|&l| l * LOG10_E);
        t.log10_g_range = Some((
            v.clone().fold(f64::INFINITY, f64::min),
            v.fold(-1e308, f64::max),
        ));
        t.linear = LinearMoments::of(ln_g);
        t
    }

    #[test]
    fn the_tally_matches_the_plain_one_on_every_level() {
        let th = Thresholds {
            ln_vanish: -20.0,
            ln_explode: 5.0,
            ln_cap: 50.0,
        };
        let mut x = 0.123_456_789f64;
        for len in [1, 7, 8, 9, 31, 33, 4096, 4097] {
            let mut ln_g: Vec<f64> = (0..len)
                .map(|_| {
                    x = (x * 997.0 + 0.5).fract();
                    (x - 0.7) * 60.0
                })
                .collect();
            if len > 8 {
                ln_g[3] = f64::NAN;
                ln_g[5] = f64::NEG_INFINITY;
                ln_g[len - 1] = -1e4; // e^(ln g − max) below e^−80: counted as 0
            }
            let got = BlockTally::compute(&th, &ln_g, &FactorSums::default());
            let want = reference(&th, &ln_g);
            let counts = |t: &BlockTally| {
                (
                    t.samples,
                    t.vanish,
                    t.explode,
                    t.between,
                    t.zero,
                    t.not_a_number,
                )
            };
            assert_eq!(counts(&got), counts(&want), "N = {len}");
            assert_eq!(got.log10_g_range, want.log10_g_range, "N = {len}");
            assert_eq!(got.log10_g.count, want.log10_g.count);
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
            assert!(close(got.log10_g.mean, want.log10_g.mean), "N = {len}");
            assert!(close(got.log10_g.m2, want.log10_g.m2), "N = {len}");
            let (g, w) = (got.linear, want.linear);
            assert_eq!((g.count, g.shift), (w.count, w.shift));
            assert!(
                close(g.s1, w.s1) && close(g.s2, w.s2),
                "N = {len}: {g:?} {w:?}"
            );
            for isa in Isa::levels() {
                let on = isa.block_tally(&th, &ln_g, &FactorSums::default());
                let bits = |t: &BlockTally| {
                    let m = t.log10_g;
                    [m.mean, m.m2, t.linear.s1, t.linear.s2].map(f64::to_bits)
                };
                assert_eq!(bits(&on), bits(&got), "N = {len} on {}", isa.name());
                assert_eq!(on, got);
            }
        }
    }
}
