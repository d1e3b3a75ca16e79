//! The validated experiment: everything a run's numbers are a pure function of.

use serde_json::{Value, json};

use crate::error::ConfigError;
use crate::mc::fast::Precision;
use crate::mc::summary::Thresholds;
use crate::methods::bracket::Accuracy;
use crate::model::activation::Activation;
use crate::model::source::Source;
use crate::nets::network::Quantity;

pub use super::MAX_DEPTH;
/// Largest accepted number of samples N.
pub const MAX_SAMPLES: u64 = 1_000_000_000_000;
/// Samples per block: each block draws from its own stream. Part of the determinism
/// contract: changing it changes every number.
pub const BLOCK_SAMPLES: u64 = 4096;

/// One validated Monte Carlo experiment (one cell of a future grid).
///
/// ```
/// use vanish::model::{activation::Activation, experiment::Experiment, source::Source};
/// let e = Experiment::new(Activation::scaled_tanh(1.0, 2.0).unwrap(),
///     Source::Iid { dist: "normal(0,1)".parse().unwrap() }, 50, 10_000, 1e-6, 1e6, 1).unwrap();
/// assert_eq!(e.blocks(), 3);
/// assert!(Experiment::new(Activation::Relu, Source::Iid { dist: "point(1)".parse().unwrap() },
///     0, 10, 1e-6, 1e6, 1).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The activation f.
    activation: Activation,
    /// Where the x_i come from.
    source: Source,
    /// K, the number of factors in g.
    depth: u32,
    /// N, the number of samples of g.
    samples: u64,
    /// g below this vanishes.
    vanish_below: f64,
    /// g above this explodes.
    explode_above: f64,
    /// The seed of every random stream.
    seed: u64,
    /// The kernel's arithmetic (f64 unless changed with [`Experiment::with_precision`]).
    precision: Precision,
    /// How exact `--method exact` must be (`--tol`, `--exact-memory`).
    accuracy: Accuracy,
}

impl Experiment {
    /// Validates and builds an experiment; errors name the flag at fault.
    pub fn new(
        activation: Activation,
        source: Source,
        depth: u32,
        samples: u64,
        vanish_below: f64,
        explode_above: f64,
        seed: u64,
    ) -> Result<Self, ConfigError> {
        if depth == 0 || depth > MAX_DEPTH {
            return Err(ConfigError::new(
                "--depth",
                format!("must be an integer from 1 to {MAX_DEPTH}, got {depth}"),
            ));
        }
        if samples == 0 || samples > MAX_SAMPLES {
            return Err(ConfigError::new(
                "--samples",
                format!("must be from 1 to {MAX_SAMPLES:e}, got {samples}"),
            ));
        }
        for (flag, v) in [
            ("--vanish-below", vanish_below),
            ("--explode-above", explode_above),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(ConfigError::new(
                    flag,
                    format!("must be a finite number > 0, got {v}"),
                ));
            }
        }
        if let Source::Network { network, .. } = &source {
            if network.depth() != depth {
                return Err(ConfigError::new(
                    "--width",
                    format!("gives {} layers, but --depth is {depth}", network.depth()),
                ));
            }
            if samples > u64::from(u32::MAX) {
                return Err(ConfigError::new(
                    "--samples",
                    format!("a network source draws at most {} networks", u32::MAX),
                ));
            }
        }
        if vanish_below >= explode_above {
            return Err(ConfigError::new(
                "--vanish-below",
                format!("must be below --explode-above, got {vanish_below:e} ≥ {explode_above:e}"),
            ));
        }
        Ok(Experiment {
            activation,
            source,
            depth,
            samples,
            vanish_below,
            explode_above,
            seed,
            precision: Precision::default(),
            accuracy: Accuracy::default(),
        })
    }

    /// The activation f.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Where the x_i come from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// K, the number of factors in g.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// N, the number of samples of g.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// g below this vanishes.
    pub fn vanish_below(&self) -> f64 {
        self.vanish_below
    }

    /// g above this explodes.
    pub fn explode_above(&self) -> f64 {
        self.explode_above
    }

    /// The seed of every random stream.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The kernel's arithmetic.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The same experiment with `samples` samples, validated as [`Experiment::new`] does.
    pub fn with_samples(self, samples: u64) -> Result<Self, ConfigError> {
        let (precision, accuracy) = (self.precision, self.accuracy);
        Experiment::new(
            self.activation,
            self.source,
            self.depth,
            samples,
            self.vanish_below,
            self.explode_above,
            self.seed,
        )
        .and_then(|e| e.with_precision(precision))
        .map(|e| e.with_accuracy(accuracy))
    }

    /// How exact `--method exact` must be.
    pub fn accuracy(&self) -> Accuracy {
        self.accuracy
    }

    /// The same experiment with `accuracy` for `--method exact` (validated by
    /// [`Accuracy::new`]).
    pub fn with_accuracy(self, accuracy: Accuracy) -> Self {
        Experiment { accuracy, ..self }
    }

    /// The same experiment computed in `precision`: the one rule for every command. A
    /// network source runs in f64 only (its kernel has no f32 path), so any other precision
    /// is refused there rather than recorded and not honoured.
    ///
    /// ```
    /// use vanish::mc::fast::Precision;
    /// use vanish::model::{activation::Activation, experiment::Experiment, source::Source};
    /// let e = Experiment::new(Activation::scaled_tanh(1.0, 2.0).unwrap(),
    ///     Source::Iid { dist: "normal(0,1)".parse().unwrap() }, 50, 10, 1e-6, 1e6, 1).unwrap();
    /// assert_eq!(e.with_precision(Precision::F32).unwrap().precision(), Precision::F32);
    /// ```
    pub fn with_precision(self, precision: Precision) -> Result<Self, ConfigError> {
        if matches!(self.source, Source::Network { .. }) && precision != Precision::F64 {
            return Err(ConfigError::new(
                "--precision",
                format!(
                    "network sources run in f64 only, got {}; drop --precision or give f64",
                    precision.name()
                ),
            ));
        }
        Ok(Experiment { precision, ..self })
    }

    /// The work of one run of the experiment: samples·depth derivatives, or for a network
    /// source, samples times the normals of one draw (in `f64`: it cannot wrap).
    pub fn work(&self) -> f64 {
        match &self.source {
            Source::Iid { .. } => self.samples as f64 * f64::from(self.depth),
            Source::Network { network, .. } => {
                self.samples as f64 * network.normals_per_draw() as f64
            }
        }
    }

    /// The thresholds in the log domain, with the cap K·ln max f'.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            ln_vanish: self.vanish_below.ln(),
            ln_explode: self.explode_above.ln(),
            // The weights make the Jacobian's gain unbounded.
            ln_cap: match self.source {
                Source::Network {
                    quantity: Quantity::Jacobian,
                    ..
                } => f64::INFINITY,
                _ => f64::from(self.depth) * self.activation.ln_max_derivative(),
            },
        }
    }

    /// Samples per block: [`BLOCK_SAMPLES`] for iid sources, one draw for networks (each
    /// draw is costly enough to be a unit of work of its own).
    pub fn block_samples(&self) -> u64 {
        match self.source {
            Source::Iid { .. } => BLOCK_SAMPLES,
            Source::Network { .. } => 1,
        }
    }

    /// Number of blocks (the last may be partial).
    pub fn blocks(&self) -> u64 {
        self.samples.div_ceil(self.block_samples())
    }

    /// The resolved configuration, as recorded in manifests and summaries.
    pub fn to_json(&self) -> Value {
        let activation = match self.activation {
            Activation::ScaledTanh { a, n } => json!({"family": "scaled-tanh", "a": a, "n": n}),
            Activation::Relu => json!({"family": "relu"}),
            Activation::LeakyRelu { alpha } => json!({"family": "leaky-relu", "alpha": alpha}),
            Activation::Sigmoid => json!({"family": "sigmoid"}),
        };
        let mut v = json!({
            "activation": activation,
            "activation_label": self.activation.to_string(),
            "source": self.source.name(),
            "dist": self.source.dist().to_string(),
            "depth": self.depth,
            "samples": self.samples,
            "vanish_below": self.vanish_below,
            "explode_above": self.explode_above,
            "seed": self.seed,
            "precision": self.precision.name(),
            "block_samples": self.block_samples(),
            "network": self.network_json(),
        });
        // Recorded where changed (earlier runs and journals have no such keys).
        let a = self.accuracy;
        if (a.tol, a.memory_mb) != (Accuracy::default().tol, Accuracy::default().memory_mb) {
            v["exact_tol"] = json!(a.tol);
            v["exact_memory_mb"] = json!(a.memory_mb);
        }
        if let Some(r) = a.rel_err {
            v["is_rel_err"] = json!(r);
        }
        v
    }

    /// The network's settings in the manifest (null for iid sources).
    fn network_json(&self) -> Value {
        let Source::Network { network, quantity } = &self.source else {
            return Value::Null;
        };
        let widths = &network.widths;
        let width = if widths.iter().all(|&w| w == widths[0]) {
            json!(widths[0])
        } else {
            json!(widths)
        };
        json!({
            "quantity": quantity.name(),
            "input_dim": network.input_dim,
            "width": width,
            "sigma_w": network.sigma_w,
            "sigma_b": network.sigma_b,
            "init": network.init.to_string(),
        })
    }
}
