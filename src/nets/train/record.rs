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
    /// The minibatch gradient entries that underflowed (`None` for a record read from the
    /// journal of an older vanish, which did not count them).
    pub underflow: Option<Underflow>,
}

/// How many entries of a record's minibatch gradients are zero or subnormal, |g| <
/// `MIN_POSITIVE` of the run's element type (f32: 2^-126 ≈ 1.2e-38; f64: 2^-1022 ≈
/// 2.2e-308): gradients that have flushed to zero, or are about to lose their bits. In f32
/// this is part of vanishing itself: a gradient below it no longer moves its weight.
///
/// An entry that is exactly zero for another reason (a ReLU unit that is off for the whole
/// batch gives zero rows of ∂L/∂W) is counted too: the count is of gradients that carry no
/// signal, whatever the cause, and is the same definition in f32 and f64.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Underflow {
    /// Per weight layer l = 1…K+1: the entries of ∂L/∂W_l (fan_out × fan_in, the output
    /// layer last).
    pub weight_grads: Vec<u64>,
    /// The entries of ∂L/∂h_l over the hidden layers l = 1…K and the batch's rows (B·W·K
    /// entries; h_l = φ(z_l), before the product with φ'(z_l)).
    pub hidden_grads: u64,
}

impl Underflow {
    /// Σ_l of [`Underflow::weight_grads`].
    pub fn weight_grads_total(&self) -> u64 {
        self.weight_grads.iter().sum()
    }

    /// The entries of `v` that are zero or subnormal as `T` (`v` holds `T`'s values).
    ///
    /// ```
    /// use vanish::nets::train::Underflow;
    /// assert_eq!(Underflow::count::<f32>(&[0.0, 1e-39, -1e-39, 1e-37, 1.0]), 3);
    /// assert_eq!(Underflow::count::<f64>(&[0.0, 1e-39, 1e-310]), 2);
    /// ```
    pub fn count<T: crate::nets::linalg::Element>(v: &[T]) -> u64 {
        let tiny = T::from_f64(min_positive::<T>());
        v.iter()
            .filter(|&&g| g < tiny && -g < tiny) // also −0, and never NaN
            .count() as u64
    }

    /// The text of a journal record: hidden_grads, then weight_grads, comma-separated.
    fn text(&self) -> String {
        std::iter::once(self.hidden_grads)
            .chain(self.weight_grads.iter().copied())
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    fn parse(text: &str) -> Result<Self, String> {
        let counts: Vec<u64> = text
            .split(',')
            .map(|t| {
                t.parse()
                    .map_err(|_| format!("bad count '{t}' in '{text}'"))
            })
            .collect::<Result<_, _>>()?;
        match counts.split_first() {
            Some((&hidden_grads, w)) if !w.is_empty() => Ok(Underflow {
                weight_grads: w.to_vec(),
                hidden_grads,
            }),
            _ => Err(format!("underflow counts '{text}' have no weight layer")),
        }
    }
}

/// The smallest positive normal value of `T` (`f32::MIN_POSITIVE` or `f64::MIN_POSITIVE`).
fn min_positive<T: crate::nets::linalg::Element>() -> f64 {
    if T::NAME == "f32" {
        f64::from(f32::MIN_POSITIVE)
    } else {
        f64::MIN_POSITIVE
    }
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
    /// Per record, its [`Underflow`]: the hidden count, then the K + 1 weight-layer counts,
    /// comma-separated. Absent in journals of an older vanish (then the records have no
    /// counts), so those still resume.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub underflow: Vec<String>,
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
        let counted = run.records.iter().all(|r| r.underflow.is_some());
        let underflow = if counted {
            let text = |r: &Record| r.underflow.as_ref().map(Underflow::text);
            run.records.iter().filter_map(text).collect()
        } else {
            Vec::new()
        };
        RunEntry {
            run: run.run,
            diverged: run.diverged,
            records,
            underflow,
        }
    }
}

impl RunEntry {
    /// The run back, bit for bit (NaN aside, which comes back as the one NaN).
    pub fn to_run(&self) -> Result<Run, String> {
        if !self.underflow.is_empty() && self.underflow.len() != self.records.len() {
            return Err(format!(
                "{} underflow counts for {} records",
                self.underflow.len(),
                self.records.len()
            ));
        }
        let records = self
            .records
            .iter()
            .enumerate()
            .map(|(i, line)| {
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
                    underflow: self
                        .underflow
                        .get(i)
                        .map(|t| Underflow::parse(t))
                        .transpose()?,
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
