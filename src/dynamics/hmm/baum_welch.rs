//! Fitting by Baum–Welch (EM): the options, the fit from deterministic starts or from a
//! given model, the M-step, BIC, and the checks of the data shared with the AR(1) model.

use super::forward::{Prepared, Stats, e_step};
use super::{GaussianHmm, M, MAX_STATES};

/// Expected counts below this are "no visits".
const NO_VISITS: f64 = 1e-12;

/// The largest sample the start quantiles are taken from (a fixed stride over the data).
const QUANTILE_SAMPLE: usize = 1 << 16;

/// How EM runs. The defaults suit runs of up to about 10⁷ records.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// E-steps allowed after the starts (and per bootstrap replicate).
    pub max_iterations: usize,
    /// Stop when |ΔLL| ≤ tolerance·|LL| between successive E-steps.
    pub tolerance: f64,
    /// Deterministic starts tried (1 to 6; a one-state model has one).
    pub starts: usize,
    /// E-steps from each start before the best one is kept.
    pub start_iterations: usize,
    /// Above this many records the starts are compared on every m-th run only (m fixed by
    /// the data size), which keeps large fits fast; the best start then sees all runs.
    pub screen_observations: usize,
    /// Use the E-step compiled for the fitted k (same numbers as the general loop, faster);
    /// `false` forces the general loop, for tests.
    pub specialised: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            max_iterations: 1000,
            tolerance: 1e-9,
            starts: 4,
            start_iterations: 10,
            screen_observations: 200_000,
            specialised: true,
        }
    }
}

/// A fitted HMM.
#[derive(Debug, Clone, PartialEq)]
pub struct HmmFit {
    /// The parameters, states in decreasing order of mean.
    pub model: GaussianHmm,
    /// ln p(runs | model), exactly that of `model`.
    pub log_likelihood: f64,
    /// E-steps on the chosen start's path (its screening steps included).
    pub iterations: usize,
    /// Whether the tolerance was met within `max_iterations`.
    pub converged: bool,
    /// Records fitted.
    pub observations: usize,
    /// −2·LL + parameters·ln(observations).
    pub bic: f64,
}

/// Fits a k-state Gaussian HMM to `runs` (log10 g per record, one sequence per run) by
/// Baum–Welch from several deterministic starts.
///
/// Errors: k = 0 or k > [`MAX_STATES`], no observations, a non-finite observation, fewer
/// distinct values than states, bad options, or a likelihood that is not finite.
pub fn fit(runs: &[Vec<f64>], k: usize, options: &FitOptions) -> Result<HmmFit, String> {
    let runs: Vec<&[f64]> = runs.iter().map(Vec::as_slice).collect();
    fit_runs(&runs, k, options)
}

/// Fits like [`fit`] but from one given start (no screening): what the bootstrap does from
/// the full fit, and a way to polish a model. The start is checked as by
/// [`GaussianHmm::new`] (so its means must be in decreasing order).
pub fn fit_from(
    runs: &[Vec<f64>],
    start: &GaussianHmm,
    options: &FitOptions,
) -> Result<HmmFit, String> {
    let start = GaussianHmm::new(
        start.initial.clone(),
        start.transition.clone(),
        start.means.clone(),
        start.sds.clone(),
    )
    .map_err(|e| format!("the start model: {e}"))?;
    let runs: Vec<&[f64]> = runs.iter().map(Vec::as_slice).collect();
    fit_from_runs(&runs, &start, options)
}

pub(super) fn fit_runs(runs: &[&[f64]], k: usize, options: &FitOptions) -> Result<HmmFit, String> {
    let data = Data::check(runs, k, options)?;
    // Screening: every m-th run, so that about `screen_observations` records are used.
    let step = data
        .observations
        .div_ceil(options.screen_observations.max(1))
        .max(1);
    let screen: Vec<&[f64]> = runs.iter().step_by(step).copied().collect();
    let starts = if k == 1 { 1 } else { options.starts.min(6) };
    let mut best: Option<(GaussianHmm, f64, usize, bool)> = None;
    let mut last_error = String::new();
    for start in (0..starts).map(|s| data.start(k, s)) {
        match em(
            &screen,
            start,
            data.floor,
            options.start_iterations.max(1),
            options,
        ) {
            Ok(r) if best.as_ref().is_none_or(|b| r.1 > b.1) => best = Some(r),
            Ok(_) => {}
            Err(e) => last_error = e,
        }
    }
    let (model, ll, screened, converged) = best.ok_or(last_error)?;
    let (model, ll, iterations, converged) = if step == 1 && converged {
        (model, ll, 0, true)
    } else {
        em(runs, model, data.floor, options.max_iterations, options)?
    };
    Ok(data.finish(model, ll, screened + iterations, converged))
}

/// What the checks learn about the data.
struct Data {
    observations: usize,
    pooled_sd: f64,
    floor: f64,
    /// A sorted sample of the pooled records (every s-th), for the start quantiles.
    sample: Vec<f64>,
}

impl Data {
    fn check(runs: &[&[f64]], k: usize, options: &FitOptions) -> Result<Data, String> {
        if k == 0 || k > MAX_STATES {
            return Err(format!(
                "an HMM needs 1 to {MAX_STATES} states, got k = {k}"
            ));
        }
        if options.max_iterations == 0
            || options.tolerance.is_nan()
            || options.tolerance < 0.0
            || options.starts == 0
        {
            return Err(format!(
                "fit options need max_iterations ≥ 1, tolerance ≥ 0 and starts ≥ 1, got {options:?}"
            ));
        }
        let observations = check_runs(runs)?;
        let mut distinct: Vec<f64> = Vec::with_capacity(k);
        'runs: for run in runs {
            for &y in run.iter() {
                if distinct.len() == k {
                    break 'runs;
                }
                if !distinct.contains(&y) {
                    distinct.push(y);
                }
            }
        }
        if distinct.len() < k {
            return Err(format!(
                "{k} states need at least {k} distinct observations, got {}",
                distinct.len()
            ));
        }
        let pooled_sd = pooled_sd(runs, observations);
        let stride = observations.div_ceil(QUANTILE_SAMPLE).max(1);
        let mut sample: Vec<f64> = runs
            .iter()
            .flat_map(|r| r.iter())
            .step_by(stride)
            .copied()
            .collect();
        sample.sort_by(f64::total_cmp);
        Ok(Data {
            observations,
            pooled_sd,
            floor: sd_floor(pooled_sd),
            sample,
        })
    }

    /// Start number `s`: means at quantiles of the data (centred, spread or inner levels),
    /// σ = pooled σ / k, transitions sticky (0.9 on the diagonal) or mixing (1/k).
    fn start(&self, k: usize, s: usize) -> GaussianHmm {
        let level = |j: usize| -> f64 {
            // j = 0 is the highest mean.
            let r = if k == 1 {
                0.5
            } else {
                (k - 1 - j) as f64 / (k - 1) as f64
            };
            match s % 3 {
                0 => (((k - 1 - j) as f64) + 0.5) / k as f64,
                1 => 0.05 + 0.9 * r,
                _ => 0.25 + 0.5 * r,
            }
        };
        let sticky = matches!(s, 0 | 2 | 4);
        let mut means: Vec<f64> = (0..k).map(|j| quantile(&self.sample, level(j))).collect();
        let nudge = 0.01 * self.pooled_sd.max(self.floor);
        for j in 1..k {
            means[j] = means[j].min(means[j - 1] - nudge);
        }
        let off = if k == 1 { 0.0 } else { 0.1 / (k - 1) as f64 };
        let transition = (0..k)
            .map(|i| {
                (0..k)
                    .map(|j| match (sticky, i == j) {
                        (false, _) => 1.0 / k as f64,
                        (true, true) => 0.9,
                        (true, false) => off,
                    })
                    .collect()
            })
            .collect();
        GaussianHmm {
            initial: vec![1.0 / k as f64; k],
            transition,
            means,
            sds: vec![(self.pooled_sd / k as f64).max(self.floor); k],
        }
    }

    fn finish(&self, model: GaussianHmm, ll: f64, iterations: usize, converged: bool) -> HmmFit {
        let params = GaussianHmm::parameters(model.k());
        HmmFit {
            model: model.canonical(),
            log_likelihood: ll,
            iterations,
            converged,
            observations: self.observations,
            bic: bic(ll, params, self.observations),
        }
    }
}

/// −2·LL + parameters·ln(observations).
pub fn bic(log_likelihood: f64, parameters: usize, observations: usize) -> f64 {
    -2.0 * log_likelihood + parameters as f64 * (observations as f64).ln()
}

/// Counts records and refuses non-finite ones and data without any.
pub(super) fn check_runs(runs: &[&[f64]]) -> Result<usize, String> {
    for (r, run) in runs.iter().enumerate() {
        if let Some((t, y)) = run.iter().enumerate().find(|(_, y)| !y.is_finite()) {
            return Err(format!(
                "record {t} of run {r} is {y}: observations must be finite log10 gains"
            ));
        }
    }
    let n: usize = runs.iter().map(|r| r.len()).sum();
    if n == 0 {
        return Err("no observations: every run is empty".into());
    }
    Ok(n)
}

pub(super) fn pooled_sd(runs: &[&[f64]], n: usize) -> f64 {
    let mean = runs.iter().flat_map(|r| r.iter()).sum::<f64>() / n as f64;
    let ss: f64 = runs
        .iter()
        .flat_map(|r| r.iter())
        .map(|y| (y - mean) * (y - mean))
        .sum();
    (ss / n as f64).sqrt()
}

/// The smallest σ a state or the AR(1) noise may take.
pub(super) fn sd_floor(pooled_sd: f64) -> f64 {
    (1e-3 * pooled_sd).max(1e-6)
}

/// The linear-interpolation quantile (type 7) of sorted values.
pub(super) fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Runs EM from `model` for at most `max_iterations` E-steps; returns the last evaluated
/// parameters with their log-likelihood, the E-steps done and whether it converged.
fn em(
    runs: &[&[f64]],
    mut model: GaussianHmm,
    floor: f64,
    max_iterations: usize,
    options: &FitOptions,
) -> Result<(GaussianHmm, f64, usize, bool), String> {
    let mut previous: Option<f64> = None;
    for iteration in 1..=max_iterations {
        let stats = e_step(runs, &Prepared::new(&model), options.specialised);
        let ll = stats.log_likelihood;
        if !ll.is_finite() {
            return Err(format!(
                "the log-likelihood is {ll} at EM iteration {iteration}: a record is impossible \
                 under the current parameters"
            ));
        }
        if previous.is_some_and(|p| (ll - p).abs() <= options.tolerance * ll.abs()) {
            return Ok((model, ll, iteration, true));
        }
        if iteration == max_iterations {
            return Ok((model, ll, iteration, false));
        }
        previous = Some(ll);
        model = m_step(&model, &stats, floor);
    }
    unreachable!("max_iterations ≥ 1 returns in the loop")
}

/// The M-step: new parameters from pooled statistics (order of states unchanged).
fn m_step(model: &GaussianHmm, st: &Stats, floor: f64) -> GaussianHmm {
    let k = model.k();
    let mut next = model.clone();
    let starts: f64 = st.start[..k].iter().sum();
    if starts > NO_VISITS {
        for j in 0..k {
            next.initial[j] = st.start[j] / starts;
        }
    }
    for i in 0..k {
        let xi: Vec<f64> = (0..k)
            .map(|j| model.transition[i][j] * st.flow[i * M + j])
            .collect();
        let out: f64 = xi.iter().sum();
        if out > NO_VISITS {
            next.transition[i] = xi.iter().map(|x| x / out).collect();
        }
        let w = st.weight[i];
        if w > NO_VISITS {
            let shift = st.first[i] / w;
            next.means[i] = model.means[i] + shift;
            let var = (st.second[i] / w - shift * shift).max(0.0);
            next.sds[i] = var.sqrt().max(floor);
        }
    }
    next
}

pub(super) fn fit_from_runs(
    runs: &[&[f64]],
    start: &GaussianHmm,
    options: &FitOptions,
) -> Result<HmmFit, String> {
    let data = Data::check(runs, start.k(), options)?;
    let (model, ll, iterations, converged) = em(
        runs,
        start.clone(),
        data.floor,
        options.max_iterations,
        options,
    )?;
    Ok(data.finish(model, ll, iterations, converged))
}
