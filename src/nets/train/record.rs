//! What a run keeps: its records, the finished run, and the run as one journal line
//! ([`RunEntry`]).

/// One recorded step.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The step (before its update).
    pub step: usize,
    /// Minibatch loss.
    pub loss: f64,
    /// ‖∂L/∂h_1‖/‖∂L/∂h_K‖.
    pub gain: f64,
    /// Mean over the batch of Σ_l mean_units ln φ'(x).
    pub ln_derivative_product: f64,
    /// Fraction of hidden pre-activations with |x| > t1(n) (NaN unless a·tanh(n·x)).
    pub saturated: f64,
    /// ‖∂L/∂W_l‖ per weight layer.
    pub grad_norms: Vec<f64>,
    /// ‖W_l‖ per weight layer.
    pub weight_norms: Vec<f64>,
    /// On the run's fixed [`Probe`](crate::nets::train::Probe): the mean over its inputs of ln ‖J·u‖/‖u‖, J = ∂h_K/∂x.
    pub probe_ln_gain: f64,
    /// On the probe, per hidden layer l: the mean of ln ‖J_l·u‖/‖J_{l−1}·u‖ (they sum to
    /// `probe_ln_gain`).
    pub probe_ln_layer_gains: Vec<f64>,
    /// On the probe: the mean over its inputs of Σ_l mean_units ln φ'(x).
    pub probe_ln_derivative_product: f64,
}

/// A finished run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Run index.
    pub run: usize,
    /// Its records.
    pub records: Vec<Record>,
    /// Whether it stopped on a non-finite loss or gradient.
    pub diverged: bool,
}

/// A finished run as one journal line (see [`crate::sweep::journal`]): each record as the text of
/// its values, every number in the shortest form that reads back to the same bits (JSON
/// numbers cannot hold the NaN and ±∞ of a diverged run).
///
/// ```
/// use vanish::{model::activation::Activation, nets::train::*};
/// let spec = TrainSpec { depth: 2, width: 4, steps: 6, record_every: 3, ..TrainSpec::default() };
/// let run = train_run(&spec, &Activation::scaled_tanh(1.0, 2.0).unwrap(), &Dataset::new(&spec, 1), 1, 0);
/// let entry = RunEntry::from(&run);
/// assert_eq!(entry.to_run().unwrap(), run);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunEntry {
    /// The run's index.
    pub run: usize,
    /// Whether it diverged.
    pub diverged: bool,
    /// Per record: step, loss, gain, ln_derivative_product, saturated, probe_ln_gain,
    /// probe_ln_derivative_product, the gradient norms and the weight norms (K + 1 each),
    /// and the probe's K per-layer log-gains, comma-separated.
    pub records: Vec<String>,
}

impl From<&Run> for RunEntry {
    fn from(run: &Run) -> Self {
        let text = |v: &f64| crate::output::format::exact(*v);
        let records = run
            .records
            .iter()
            .map(|r| {
                let mut f = vec![r.step.to_string()];
                f.extend(
                    [
                        r.loss,
                        r.gain,
                        r.ln_derivative_product,
                        r.saturated,
                        r.probe_ln_gain,
                        r.probe_ln_derivative_product,
                    ]
                    .iter()
                    .map(text),
                );
                f.extend(
                    (r.grad_norms.iter().chain(&r.weight_norms))
                        .chain(&r.probe_ln_layer_gains)
                        .map(text),
                );
                f.join(",")
            })
            .collect();
        RunEntry {
            run: run.run,
            diverged: run.diverged,
            records,
        }
    }
}

impl RunEntry {
    /// The run back, bit for bit (NaN aside, which comes back as the one NaN).
    pub fn to_run(&self) -> Result<Run, String> {
        let records = self
            .records
            .iter()
            .map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                // 1 step, 6 scalars, K + 1 gradient and weight norms, K probe layers.
                if f.len() < 12 || !(f.len() - 9).is_multiple_of(3) {
                    return Err(format!("a record of {} fields: '{line}'", f.len()));
                }
                let step = f[0].parse().map_err(|_| format!("bad step in '{line}'"))?;
                let v: Vec<f64> = f[1..]
                    .iter()
                    .map(|t| {
                        t.parse()
                            .map_err(|_| format!("bad number '{t}' in '{line}'"))
                    })
                    .collect::<Result<_, _>>()?;
                let depth = (v.len() - 8) / 3;
                let layers = depth + 1;
                Ok(Record {
                    step,
                    loss: v[0],
                    gain: v[1],
                    ln_derivative_product: v[2],
                    saturated: v[3],
                    probe_ln_gain: v[4],
                    probe_ln_derivative_product: v[5],
                    grad_norms: v[6..6 + layers].to_vec(),
                    weight_norms: v[6 + layers..6 + 2 * layers].to_vec(),
                    probe_ln_layer_gains: v[6 + 2 * layers..].to_vec(),
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Run {
            run: self.run,
            records,
            diverged: self.diverged,
        })
    }
}
