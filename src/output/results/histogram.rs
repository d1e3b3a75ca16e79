//! histogram.csv and exact_density.csv: the law of log10 g in bins, simulated and exact,
//! with their columns.

use super::SimResults;
use crate::output::files::csv_text;
use crate::output::format::exact;

/// The columns of histogram.csv ([`histogram_csv`]).
pub mod histogram_columns {
    /// The bucket's lower edge in log10 g.
    pub const LOG10_G_LO: &str = "log10_g_lo";
    /// Its upper edge.
    pub const LOG10_G_HI: &str = "log10_g_hi";
    /// Samples in it.
    pub const COUNT: &str = "count";
    /// Their fraction of N.
    pub const FRACTION: &str = "fraction";
    /// The fraction per unit of log10 g.
    pub const DENSITY: &str = "density";
    /// With `--method exact`: the exact probability of the bucket.
    pub const EXACT_FRACTION: &str = "exact_fraction";
    /// With `--method exact`: per unit of log10 g.
    pub const EXACT_DENSITY: &str = "exact_density";
    /// Every run's columns.
    pub const HEADER: [&str; 5] = [LOG10_G_LO, LOG10_G_HI, COUNT, FRACTION, DENSITY];
    /// The columns `--method exact` adds.
    pub const EXACT: [&str; 2] = [EXACT_FRACTION, EXACT_DENSITY];
}

/// The columns of exact_density.csv ([`exact_density_csv`]).
pub mod exact_density_columns {
    pub use super::histogram_columns::{EXACT_DENSITY, EXACT_FRACTION, LOG10_G_HI, LOG10_G_LO};
    /// Every column.
    pub const HEADER: [&str; 4] = [LOG10_G_LO, LOG10_G_HI, EXACT_FRACTION, EXACT_DENSITY];
}

/// histogram.csv: the HDR buckets as bins of log10 g, in increasing order; with `--method
/// exact`, the exact probability and density of each bin beside the simulated ones.
pub fn histogram_csv(r: &SimResults) -> String {
    let n = r.summary.samples as f64;
    let mut header: Vec<String> = histogram_columns::HEADER.map(String::from).to_vec();
    if r.exact_buckets.is_some() {
        header.extend(histogram_columns::EXACT.map(String::from));
    }
    let rows: Vec<Vec<String>> = r
        .summary
        .buckets()
        .into_iter()
        .enumerate()
        .map(|(i, (lo, hi, c))| {
            let frac = c as f64 / n;
            let mut row = vec![
                exact(lo),
                exact(hi),
                c.to_string(),
                exact(frac),
                exact(frac / (hi - lo)),
            ];
            if let Some((masses, _)) = &r.exact_buckets {
                row.push(exact(masses[i]));
                row.push(exact(masses[i] / (hi - lo)));
            }
            row
        })
        .collect();
    csv_text(&header, &rows)
}

/// exact_density.csv: the exact law of log10 g on equal bins (with `--method exact`).
pub fn exact_density_csv(grid: &[(f64, f64, f64)]) -> String {
    let header = exact_density_columns::HEADER.map(String::from);
    let rows: Vec<Vec<String>> = grid
        .iter()
        .map(|&(lo, hi, m)| vec![exact(lo), exact(hi), exact(m), exact(m / (hi - lo))])
        .collect();
    csv_text(&header, &rows)
}
