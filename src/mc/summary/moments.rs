//! Streaming moments: the mean and variance of log values (Welford, merged by Chan's
//! formula) and the mean of g itself, kept on a shifted scale.

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
    pub(super) count: u64,
    pub(super) mean: f64,
    pub(super) m2: f64,
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
