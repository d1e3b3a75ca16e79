//! The ridge (L2-penalised) logistic regression on standardised features, fitted by
//! Newton–Raphson with step halving, and its numerical pieces.

/// The default ridge on the standardised scale: the penalty (ridge/2)·‖β‖² weighs like
/// one pseudo-run per unit of coefficient, so separable data still has a finite fit.
pub const DEFAULT_RIDGE: f64 = 1.0;

/// Newton steps allowed before a fit is declared not to converge.
const MAX_NEWTON_STEPS: usize = 200;
/// A fit has converged when a full Newton step moves no parameter by more than this times
/// (1 + the largest |parameter|): Newton converges quadratically, so the step just taken
/// leaves an error near the square of this, at the level of rounding.
const NEWTON_TOLERANCE: f64 = 1e-9;

/// A fitted logistic model of P(outcome | features).
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    /// The ridge the fit used (standardised scale).
    pub ridge: f64,
    /// Runs fitted.
    pub runs: usize,
    /// Per feature: the mean of the runs fitted.
    pub means: Vec<f64>,
    /// Per feature: the population standard deviation (÷ n) of the runs fitted.
    pub sds: Vec<f64>,
    /// Per feature: true if it was constant and so dropped (coefficient 0).
    pub constant: Vec<bool>,
    /// The intercept on the standardised scale (the log-odds at the mean features).
    pub intercept_standardised: f64,
    /// Coefficients per standard deviation of each feature.
    pub coefficients_standardised: Vec<f64>,
    /// Standard errors of the standardised coefficients, from the inverse of the penalised
    /// Fisher information (the usual Wald SEs when the ridge is 0); 0 for dropped features.
    pub se_standardised: Vec<f64>,
    /// The intercept on the features' own scale.
    pub intercept: f64,
    /// Coefficients per unit of each feature.
    pub coefficients: Vec<f64>,
    /// Newton steps taken.
    pub iterations: usize,
}

impl Logistic {
    /// The predicted probability of the outcome for one run's features. Panics unless
    /// there is one value per feature fitted (a caller's bug, not bad data).
    ///
    /// ```
    /// let x = vec![vec![0.0], vec![1.0], vec![2.0], vec![3.0]];
    /// let y = vec![false, true, false, true];
    /// let m = vanish::dynamics::outcome::fit_logistic(&x, &y, 1.0).unwrap();
    /// assert!(m.predict(&[3.0]) > m.predict(&[0.0]));
    /// ```
    pub fn predict(&self, x: &[f64]) -> f64 {
        assert_eq!(x.len(), self.means.len(), "one value per feature");
        logistic(self.linear_predictor(x))
    }

    /// The log-odds η = b + Σ β_j·z_j for one run's features.
    pub fn linear_predictor(&self, x: &[f64]) -> f64 {
        let mut eta = self.intercept_standardised;
        for (j, &v) in x.iter().enumerate() {
            if !self.constant[j] {
                eta += self.coefficients_standardised[j] * (v - self.means[j]) / self.sds[j];
            }
        }
        eta
    }
}

/// Fits the penalised logistic regression of `y` on the features `x` (one row per run).
///
/// Errors for no runs, rows of different lengths, a length mismatch, non-finite features,
/// a negative or non-finite ridge, a single class, and a fit that does not converge (with
/// ridge 0, perfectly separated classes have no finite fit).
pub fn fit_logistic(x: &[Vec<f64>], y: &[bool], ridge: f64) -> Result<Logistic, String> {
    check_input(x, y)?;
    if !(ridge.is_finite() && ridge >= 0.0) {
        return Err(format!("the ridge must be finite and ≥ 0, got {ridge}"));
    }
    let (n, d) = (x.len(), x[0].len());
    let mut means = vec![0.0; d];
    let mut sds = vec![0.0; d];
    for j in 0..d {
        let mean = x.iter().map(|r| r[j]).sum::<f64>() / n as f64;
        let var = x.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n as f64;
        (means[j], sds[j]) = (mean, var.sqrt());
    }
    // Relative to the mean: a constant column's computed sd is rounding noise, not 0.
    let constant: Vec<bool> = (0..d).map(|j| sds[j] <= 1e-12 * means[j].abs()).collect();
    let kept: Vec<usize> = (0..d).filter(|&j| !constant[j]).collect();
    let design: Vec<Vec<f64>> = x
        .iter()
        .map(|r| {
            let mut z = Vec::with_capacity(kept.len() + 1);
            z.push(1.0);
            z.extend(kept.iter().map(|&j| (r[j] - means[j]) / sds[j]));
            z
        })
        .collect();
    let fit = newton(&design, y, ridge)?;
    let mut coefficients_standardised = vec![0.0; d];
    let mut se_standardised = vec![0.0; d];
    for (k, &j) in kept.iter().enumerate() {
        coefficients_standardised[j] = fit.theta[k + 1];
        se_standardised[j] = fit.se[k + 1];
    }
    let coefficients: Vec<f64> = (0..d)
        .map(|j| {
            if constant[j] {
                0.0
            } else {
                coefficients_standardised[j] / sds[j]
            }
        })
        .collect();
    let intercept = fit.theta[0] - (0..d).map(|j| coefficients[j] * means[j]).sum::<f64>();
    Ok(Logistic {
        ridge,
        runs: n,
        means,
        sds,
        constant,
        intercept_standardised: fit.theta[0],
        coefficients_standardised,
        se_standardised,
        intercept,
        coefficients,
        iterations: fit.iterations,
    })
}

pub(super) fn check_input(x: &[Vec<f64>], y: &[bool]) -> Result<(), String> {
    if x.is_empty() {
        return Err("no runs to fit".into());
    }
    if x.len() != y.len() {
        return Err(format!("{} feature rows but {} outcomes", x.len(), y.len()));
    }
    let d = x[0].len();
    for (i, r) in x.iter().enumerate() {
        if r.len() != d {
            return Err(format!("run {i} has {} features, run 0 has {d}", r.len()));
        }
        if let Some(j) = r.iter().position(|v| !v.is_finite()) {
            return Err(format!("run {i}: feature {j} is {}, not finite", r[j]));
        }
    }
    let positives = y.iter().filter(|&&v| v).count();
    if positives == 0 || positives == y.len() {
        return Err(format!(
            "all {} runs have the same outcome ({}): nothing to predict",
            y.len(),
            positives > 0
        ));
    }
    Ok(())
}

/// A converged Newton fit: parameters and their standard errors (intercept first).
pub(super) struct NewtonFit {
    pub(super) theta: Vec<f64>,
    pub(super) se: Vec<f64>,
    iterations: usize,
}

/// Maximises Σ [y·η − ln(1+e^η)] − (ridge/2)·Σ_{k≥1} θ_k² for η = design·θ (column 0 is the
/// unpenalised intercept).
pub(super) fn newton(design: &[Vec<f64>], y: &[bool], ridge: f64) -> Result<NewtonFit, String> {
    let p = design[0].len();
    let objective = |theta: &[f64]| {
        let ll: f64 = design
            .iter()
            .zip(y)
            .map(|(z, &yi)| {
                let eta = dot(z, theta);
                f64::from(u8::from(yi)) * eta - softplus(eta)
            })
            .sum();
        ll - 0.5 * ridge * theta[1..].iter().map(|t| t * t).sum::<f64>()
    };
    let mut theta = vec![0.0; p];
    let mut current = objective(&theta);
    for step in 1..=MAX_NEWTON_STEPS {
        let (grad, info) = gradient_and_information(design, y, ridge, &theta);
        // A singular information at the start means collinear features; later, with ridge 0,
        // fitted probabilities saturating at 0 and 1 (separation).
        let Some(delta) = cholesky_solve(&info, &grad) else {
            return Err(if step == 1 {
                format!("the features are collinear (ridge {ridge}); use a ridge > 0")
            } else {
                not_converged(ridge)
            });
        };
        // Step halving: the penalised likelihood is concave, so some fraction ascends. Near
        // the optimum a step changes it by less than its rounding error, hence the slack.
        let slack = 1e-12 * (1.0 + current.abs());
        let mut t = 1.0;
        let mut next: Vec<f64>;
        loop {
            next = theta.iter().zip(&delta).map(|(a, b)| a + t * b).collect();
            let value = objective(&next);
            if value >= current - slack || t < 1e-10 {
                current = value;
                break;
            }
            t *= 0.5;
        }
        let size = delta.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let scale = 1.0 + next.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        theta = next;
        if !theta.iter().all(|v| v.is_finite()) || scale > 1e8 {
            break;
        }
        if size <= NEWTON_TOLERANCE * scale {
            let (_, info) = gradient_and_information(design, y, ridge, &theta);
            let se = (0..p)
                .map(|k| {
                    let mut e = vec![0.0; p];
                    e[k] = 1.0;
                    cholesky_solve(&info, &e).map_or(f64::NAN, |col| col[k].sqrt())
                })
                .collect();
            return Ok(NewtonFit {
                theta,
                se,
                iterations: step,
            });
        }
    }
    Err(not_converged(ridge))
}

fn not_converged(ridge: f64) -> String {
    format!(
        "the logistic fit did not converge (ridge {ridge}): the outcomes are perfectly \
         separated by the features; use a ridge > 0"
    )
}

/// The gradient of the penalised log-likelihood and its negative Hessian (the penalised
/// Fisher information Zᵀ·W·Z + ridge·I without the intercept).
fn gradient_and_information(
    design: &[Vec<f64>],
    y: &[bool],
    ridge: f64,
    theta: &[f64],
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let p = theta.len();
    let mut grad = vec![0.0; p];
    let mut info = vec![vec![0.0; p]; p];
    for (z, &yi) in design.iter().zip(y) {
        let mu = logistic(dot(z, theta));
        let (r, w) = (f64::from(u8::from(yi)) - mu, mu * (1.0 - mu));
        for ((g, row), &za) in grad.iter_mut().zip(&mut info).zip(z) {
            *g += r * za;
            for (h, &zb) in row.iter_mut().zip(z) {
                *h += w * za * zb;
            }
        }
    }
    for a in 1..p {
        grad[a] -= ridge * theta[a];
        info[a][a] += ridge;
    }
    (grad, info)
}

/// Solves A·x = b for symmetric positive definite A by Cholesky; `None` if A is not.
fn cholesky_solve(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let p = b.len();
    let mut l = vec![vec![0.0; p]; p];
    for i in 0..p {
        for j in 0..=i {
            let s = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                if s.is_nan() || s <= 1e-300 {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    let mut z = vec![0.0; p];
    for i in 0..p {
        z[i] = (b[i] - (0..i).map(|k| l[i][k] * z[k]).sum::<f64>()) / l[i][i];
    }
    let mut x = vec![0.0; p];
    for i in (0..p).rev() {
        x[i] = (z[i] - (i + 1..p).map(|k| l[k][i] * x[k]).sum::<f64>()) / l[i][i];
    }
    Some(x)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// 1/(1 + e^{−η}) without overflow.
fn logistic(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// ln(1 + e^η) without overflow.
fn softplus(eta: f64) -> f64 {
    eta.max(0.0) + (-eta.abs()).exp().ln_1p()
}
