//! The AUC of scores against outcomes (Mann–Whitney, ties count ½) with DeLong's
//! standard error and 95 % interval.

use crate::mc::estimate::Z95;

/// The AUC: the probability that a run with the outcome scores above one without (ties
/// count ½), with DeLong's standard error and 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AucEstimate {
    /// The Mann–Whitney AUC.
    pub auc: f64,
    /// DeLong's standard error (NaN when a class has a single run).
    pub se: f64,
    /// auc ± 1.96·se, clipped to [0, 1] ([0, 1] when se is NaN).
    pub interval: (f64, f64),
    /// Runs with the outcome.
    pub positives: usize,
    /// Runs without it.
    pub negatives: usize,
}

/// The AUC of `scores` for the outcomes `y`, by mid-ranks (Mann–Whitney), and DeLong's
/// variance from the placement values: for a run with the outcome, the fraction of runs
/// without it that it outscores (ties ½), and conversely.
///
/// ```
/// // One tie between classes: 3 of 4 pairs ordered, 1 tied → (3 + ½)/4.
/// let a = vanish::dynamics::outcome::auc(&[0.1, 0.5, 0.5, 0.9], &[false, false, true, true]).unwrap();
/// assert_eq!(a.auc, 0.875);
/// ```
pub fn auc(scores: &[f64], y: &[bool]) -> Result<AucEstimate, String> {
    if scores.len() != y.len() {
        return Err(format!("{} scores but {} outcomes", scores.len(), y.len()));
    }
    if let Some(i) = scores.iter().position(|s| s.is_nan()) {
        return Err(format!("score {i} is NaN"));
    }
    let (pos, neg): (Vec<f64>, Vec<f64>) = {
        let p = scores
            .iter()
            .zip(y)
            .filter(|e| *e.1)
            .map(|e| *e.0)
            .collect();
        let n = scores
            .iter()
            .zip(y)
            .filter(|e| !*e.1)
            .map(|e| *e.0)
            .collect();
        (p, n)
    };
    let (m, n) = (pos.len(), neg.len());
    if m == 0 || n == 0 {
        return Err("the AUC needs runs of both outcomes".into());
    }
    let all = mid_ranks(scores);
    let (rank_pos, rank_neg) = (mid_ranks(&pos), mid_ranks(&neg));
    let (mut ip, mut ineg) = (0, 0);
    let (mut v10, mut v01) = (Vec::with_capacity(m), Vec::with_capacity(n));
    for (r, &yi) in all.iter().zip(y) {
        if yi {
            v10.push((r - rank_pos[ip]) / n as f64);
            ip += 1;
        } else {
            v01.push(1.0 - (r - rank_neg[ineg]) / m as f64);
            ineg += 1;
        }
    }
    let a = v10.iter().sum::<f64>() / m as f64;
    let var = |v: &[f64]| v.iter().map(|x| (x - a).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0);
    let se = if m > 1 && n > 1 {
        (var(&v10) / m as f64 + var(&v01) / n as f64).sqrt()
    } else {
        f64::NAN
    };
    let interval = if se.is_nan() {
        (0.0, 1.0)
    } else {
        ((a - Z95 * se).max(0.0), (a + Z95 * se).min(1.0))
    };
    Ok(AucEstimate {
        auc: a,
        se,
        interval,
        positives: m,
        negatives: n,
    })
}

/// 1-based ranks, ties sharing their mean rank.
fn mid_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && v[order[end]] == v[order[start]] {
            end += 1;
        }
        let mid = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = mid;
        }
        start = end;
    }
    ranks
}
