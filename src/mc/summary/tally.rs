//! Classifying ln g by the thresholds, and the tally of a block that is folded in block
//! order (counts, the moments of log10 g and of g, the factor sums).

use std::f64::consts::LN_10;

use super::factors::FactorSums;
use super::moments::{LinearMoments, Moments};

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
