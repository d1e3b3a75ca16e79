//! The calibration of out-of-fold predictions: bins of equal count with Wilson
//! intervals, and the calibration line.

use super::logistic::newton;
use crate::mc::estimate::{Z95, wilson};

/// Calibration bins: at most this many (deciles of the out-of-fold predictions) …
pub const MAX_CALIBRATION_BINS: usize = 10;
/// … and at least this many runs in each, so fewer bins when runs are few.
pub const MIN_RUNS_PER_BIN: usize = 10;

/// One calibration bin of out-of-fold predictions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationBin {
    /// Runs in the bin.
    pub runs: usize,
    /// The mean predicted probability.
    pub predicted: f64,
    /// Runs in the bin with the outcome.
    pub observed: usize,
    /// observed / runs.
    pub fraction: f64,
    /// The 95 % Wilson interval of the fraction.
    pub wilson: (f64, f64),
}

/// The calibration line: the logistic regression of the outcome on the logit of the
/// out-of-fold prediction (unpenalised). A calibrated model has slope 1 and intercept 0;
/// a slope below 1 means over-confident predictions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationFit {
    /// The intercept.
    pub intercept: f64,
    /// Its standard error.
    pub intercept_se: f64,
    /// The slope.
    pub slope: f64,
    /// Its standard error.
    pub slope_se: f64,
}

/// Bins of equal count (the first `runs mod bins` one larger) by increasing prediction,
/// ties broken by run index.
pub(super) fn calibration_bins(p: &[f64], y: &[bool]) -> Vec<CalibrationBin> {
    let bins = (p.len() / MIN_RUNS_PER_BIN).clamp(1, MAX_CALIBRATION_BINS);
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let (size, extra) = (p.len() / bins, p.len() % bins);
    let mut start = 0;
    (0..bins)
        .map(|b| {
            let end = start + size + usize::from(b < extra);
            let idx = &order[start..end];
            start = end;
            let observed = idx.iter().filter(|&&i| y[i]).count();
            CalibrationBin {
                runs: idx.len(),
                predicted: idx.iter().map(|&i| p[i]).sum::<f64>() / idx.len() as f64,
                observed,
                fraction: observed as f64 / idx.len() as f64,
                wilson: wilson(observed as u64, idx.len() as u64, Z95),
            }
        })
        .collect()
}

/// The unpenalised logistic regression of y on logit(p), p kept inside [1e-12, 1 − 1e-12].
pub(super) fn calibration_fit(p: &[f64], y: &[bool]) -> Option<CalibrationFit> {
    let design: Vec<Vec<f64>> = p
        .iter()
        .map(|&v| {
            let v = v.clamp(1e-12, 1.0 - 1e-12);
            vec![1.0, (v / (1.0 - v)).ln()]
        })
        .collect();
    let fit = newton(&design, y, 0.0).ok()?;
    Some(CalibrationFit {
        intercept: fit.theta[0],
        intercept_se: fit.se[0],
        slope: fit.theta[1],
        slope_se: fit.se[1],
    })
}
