//! Likelihood-ratio (G) tests of the chain: first against second order, and time
//! homogeneity, from tables of transition counts.

use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::ChainFit;

/// A likelihood-ratio (G) test: statistic, degrees of freedom and p-value (χ² approximation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrTest {
    /// G = 2·Σ n·ln(observed/expected).
    pub statistic: f64,
    /// Degrees of freedom (structural zeros removed).
    pub df: u64,
    /// P(χ²_df ≥ G); 1 when df = 0 (nothing to test).
    pub p_value: f64,
    /// The smallest expected count of a cell that enters the test (∞ when none does).
    pub min_expected: f64,
}

/// Cochran's rule: the χ² approximation of G is trusted when every expected count is at
/// least this.
pub const MIN_EXPECTED: f64 = 5.0;

impl LrTest {
    /// Whether every expected count is at least [`MIN_EXPECTED`], so that the χ²
    /// approximation of the p-value can be trusted (sparse chains fail this: then the
    /// p-value is only indicative).
    pub fn chi2_reliable(&self) -> bool {
        self.min_expected >= MIN_EXPECTED
    }

    pub(super) fn new(statistic: f64, df: u64, min_expected: f64) -> Self {
        let p_value = if df == 0 {
            1.0
        } else {
            ChiSquared::new(df as f64)
                .expect("df > 0")
                .sf(statistic.max(0.0))
        };
        LrTest {
            statistic,
            df,
            p_value,
            min_expected,
        }
    }
}

impl ChainFit {
    /// The likelihood-ratio test of a first-order chain against a second-order one: for
    /// each middle state i, the (previous h × next j) table of the triples (h, i, j).
    pub fn order_test(&self) -> LrTest {
        let k = self.k;
        let (mut g, mut df, mut low) = (0.0, 0u64, f64::INFINITY);
        for i in 0..k {
            let table: Vec<Vec<u64>> = (0..k)
                .map(|h| {
                    (0..k)
                        .map(|j| self.second_order[(h * k + i) * k + j])
                        .collect()
                })
                .collect();
            let (gi, dfi, lowi) = independence(&table);
            g += gi;
            df += dfi;
            low = low.min(lowi);
        }
        LrTest::new(g, df, low)
    }

    /// The test of time homogeneity: for each state i, the (half × next j) table of the
    /// transitions out of i in the first and the second half of each run.
    pub fn homogeneity_test(&self) -> LrTest {
        let k = self.k;
        let (mut g, mut df, mut low) = (0.0, 0u64, f64::INFINITY);
        for i in 0..k {
            let table: Vec<Vec<u64>> = self
                .halves
                .iter()
                .map(|h| (0..k).map(|j| h[i * k + j]).collect())
                .collect();
            let (gi, dfi, lowi) = independence(&table);
            g += gi;
            df += dfi;
            low = low.min(lowi);
        }
        LrTest::new(g, df, low)
    }
}

/// The G statistic of independence of a contingency table, its degrees of freedom and the
/// smallest expected count of a cell that enters it (∞ when df = 0), with empty rows and
/// columns removed.
fn independence(table: &[Vec<u64>]) -> (f64, u64, f64) {
    let rows: Vec<u64> = table.iter().map(|r| r.iter().sum()).collect();
    let cols: Vec<u64> = (0..table.first().map_or(0, Vec::len))
        .map(|j| table.iter().map(|r| r[j]).sum())
        .collect();
    let total: u64 = rows.iter().sum();
    if total == 0 {
        return (0.0, 0, f64::INFINITY);
    }
    let mut g = 0.0;
    let mut low = f64::INFINITY;
    for (i, r) in table.iter().enumerate() {
        for (j, &n) in r.iter().enumerate() {
            let expected = rows[i] as f64 * cols[j] as f64 / total as f64;
            if expected > 0.0 {
                low = low.min(expected);
            }
            if n > 0 {
                g += 2.0 * n as f64 * (n as f64 / expected).ln();
            }
        }
    }
    let nonzero = |v: &[u64]| v.iter().filter(|&&x| x > 0).count() as u64;
    let df = nonzero(&rows).saturating_sub(1) * nonzero(&cols).saturating_sub(1);
    (g, df, if df == 0 { f64::INFINITY } else { low })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn independence_of_a_proportional_table_is_zero() {
        let (g, df, low) = independence(&[vec![10, 20], vec![30, 60]]);
        assert!(g.abs() < 1e-12 && df == 1 && (low - 10.0).abs() < 1e-12);
        let (_, df, _) = independence(&[vec![10, 0], vec![30, 0]]);
        assert_eq!(df, 0);
    }
}
