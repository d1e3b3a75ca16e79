//! Simulated training runs: many small MLPs trained from independent initialisations, with
//! the trajectories the seed's Markov chain is fitted to.
//!
//! A run is an MLP of K hidden layers (width W, activation φ, weights N(0, σ_w²/fan_in),
//! biases N(0, σ_b²)) and a linear output layer (weights N(0, σ_o²/W), biases 0), trained by minibatch SGD (optionally with
//! momentum) or Adam on a dataset that every run shares: teacher–student regression (a
//! fixed random tanh teacher plus noise, MSE loss) or Gaussian-blob classification
//! (softmax cross-entropy). Every `record_every` steps it records, before the update:
//! the minibatch loss; the backward gain ‖∂L/∂h_1‖/‖∂L/∂h_K‖ between the first and the last
//! hidden layer; the seed's derivative product (mean over the batch of
//! Σ_l mean_units ln φ'(x)); the fraction of hidden pre-activations with |x| > t1(n)
//! (tanh only); and per weight layer the gradient and weight norms. A non-finite loss or
//! gradient ends the run, which is marked diverged and kept.
//!
//! Streams: the dataset (and the teacher) come from [`crate::mc::rng::block_rng`] with cell
//! [`DATA_CELL`], run r's initialisation and minibatches from cell [`RUN_CELL`], block r;
//! runs are independent of each other and of the thread that trains them.
//!
//! ```
//! use vanish::{model::activation::Activation, nets::train::*};
//! let spec = TrainSpec { depth: 3, width: 8, steps: 20, record_every: 5, ..TrainSpec::default() };
//! let data = Dataset::new(&spec, 1);
//! let run = train_run(&spec, &Activation::scaled_tanh(1.0, 1.0).unwrap(), &data, 1, 0);
//! assert_eq!(run.records.len(), 5);                    // steps 0, 5, 10, 15 and 20
//! assert!(run.records[4].loss < run.records[0].loss);  // it learns
//! ```

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

use crate::mc::fast::Isa;
use crate::mc::rng::{BlockRng, block_rng};
use crate::model::activation::Activation;
use crate::nets::linalg::{Layer, dot};

/// The stream cell of the shared dataset.
pub const DATA_CELL: u32 = 0x8000_0000;
/// The stream cell of the runs (block = run index).
pub const RUN_CELL: u32 = 0x8000_0001;
/// The stream cell of each run's probe set (block = run index).
pub const PROBE_CELL: u32 = 0x8000_0002;

/// The task: what is learned, and with which loss.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Task {
    /// y = teacher(x) + noise·z, one output, mean squared error. The teacher is a fixed
    /// random tanh MLP (2 hidden layers of 32, σ_w = 1.5).
    Teacher {
        /// Standard deviation of the label noise.
        noise: f64,
    },
    /// `classes` Gaussian blobs (unit variance, means of norm 3 in random directions),
    /// softmax cross-entropy.
    Blobs {
        /// Number of classes.
        classes: usize,
    },
    /// A dataset read from a CSV file ([`Dataset::from_csv`]): regression with MSE
    /// (`classes` 0) or classification with softmax cross-entropy.
    Csv {
        /// Number of classes, or 0 for regression.
        classes: usize,
    },
}

/// The optimiser.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Optimizer {
    /// w ← w − lr·(velocity), velocity ← momentum·velocity + g (PyTorch's convention).
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum (0: plain SGD).
        momentum: f64,
    },
    /// Adam (Kingma & Ba), bias-corrected, as PyTorch's defaults β = (0.9, 0.999), ε = 1e-8.
    Adam {
        /// Learning rate.
        lr: f64,
    },
}

impl Task {
    /// The task as a JSON object, its flag value under `kind`: `{"kind": "teacher",
    /// "noise": σ}`, `{"kind": "blobs", "classes": C}` or `{"kind": "csv", "classes": C}`
    /// (C = 0: regression).
    ///
    /// ```
    /// use vanish::nets::train::Task;
    /// let t = Task::Blobs { classes: 4 }.to_json();
    /// assert_eq!(t, serde_json::json!({"kind": "blobs", "classes": 4}));
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        match *self {
            Task::Teacher { noise } => serde_json::json!({"kind": "teacher", "noise": noise}),
            Task::Blobs { classes } => serde_json::json!({"kind": "blobs", "classes": classes}),
            Task::Csv { classes } => serde_json::json!({"kind": "csv", "classes": classes}),
        }
    }
}

impl Optimizer {
    /// The optimiser as a JSON object, its flag value under `kind`: `{"kind": "sgd", "lr":
    /// η, "momentum": μ}` or `{"kind": "adam", "lr": η}`.
    ///
    /// ```
    /// use vanish::nets::train::Optimizer;
    /// let o = Optimizer::Adam { lr: 0.001 }.to_json();
    /// assert_eq!(o, serde_json::json!({"kind": "adam", "lr": 0.001}));
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        match *self {
            Optimizer::Sgd { lr, momentum } => {
                serde_json::json!({"kind": "sgd", "lr": lr, "momentum": momentum})
            }
            Optimizer::Adam { lr } => serde_json::json!({"kind": "adam", "lr": lr}),
        }
    }
}

/// Everything a training run depends on besides the activation and the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSpec {
    /// K, hidden layers.
    pub depth: usize,
    /// W, their width.
    pub width: usize,
    /// d, the input dimension.
    pub input_dim: usize,
    /// Weight scale σ_w.
    pub sigma_w: f64,
    /// Bias scale σ_b.
    pub sigma_b: f64,
    /// The task.
    pub task: Task,
    /// Examples in the shared dataset.
    pub examples: usize,
    /// Minibatch size.
    pub batch: usize,
    /// The optimiser.
    pub optimizer: Optimizer,
    /// Steps T.
    pub steps: usize,
    /// Record every r steps (and at step 0 and T).
    pub record_every: usize,
    /// σ_w of the linear output layer (`None`: σ_w).
    pub output_sigma_w: Option<f64>,
    /// The learning rate of the hidden layers is this times the optimiser's (1 by
    /// default; n² makes tanh(x) with n-times-larger hidden weights train as tanh(n·x)).
    pub hidden_lr_scale: f64,
    /// P, the inputs (and random directions) of the fixed probe set ([`Probe`]); 0 records
    /// no probe gain (NaN), as a baseline for its cost.
    pub probe: usize,
}

impl Default for TrainSpec {
    fn default() -> Self {
        TrainSpec {
            depth: 20,
            width: 32,
            input_dim: 8,
            sigma_w: 1.0,
            sigma_b: 0.0,
            task: Task::Teacher { noise: 0.1 },
            examples: 1024,
            batch: 32,
            optimizer: Optimizer::Sgd {
                lr: 0.01,
                momentum: 0.0,
            },
            steps: 1000,
            record_every: 10,
            output_sigma_w: None,
            hidden_lr_scale: 1.0,
            probe: 8,
        }
    }
}

impl TrainSpec {
    /// Outputs of the network: 1, or the number of classes.
    pub fn outputs(&self) -> usize {
        match self.task {
            Task::Teacher { .. } | Task::Csv { classes: 0 } => 1,
            Task::Blobs { classes } | Task::Csv { classes } => classes,
        }
    }

    /// Layer sizes: d, W × K, outputs.
    pub fn sizes(&self) -> Vec<usize> {
        let mut s = vec![self.input_dim];
        s.extend(std::iter::repeat_n(self.width, self.depth));
        s.push(self.outputs());
        s
    }
}

/// The shared dataset: inputs (examples × d, row-major) and targets (examples × outputs
/// for regression, class indices for classification).
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Inputs, row-major.
    pub x: Vec<f64>,
    /// Regression targets, row-major (empty for classification).
    pub y: Vec<f64>,
    /// Class labels (empty for regression).
    pub labels: Vec<usize>,
    /// Examples.
    pub examples: usize,
}

impl Dataset {
    /// Draws the dataset of `spec` from the data stream of `seed`.
    ///
    /// # Panics
    /// For [`Task::Csv`], whose data come from [`Dataset::from_csv`].
    pub fn new(spec: &TrainSpec, seed: u64) -> Self {
        let mut rng = block_rng(seed, DATA_CELL, 0);
        let (d, m) = (spec.input_dim, spec.examples);
        let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
        match spec.task {
            Task::Teacher { noise } => {
                let x: Vec<f64> = (0..m * d).map(|_| normal()).collect();
                let teacher = Mlp::init(&[d, 32, 32, 1], 1.5, 0.0, &mut normal);
                let tanh = Activation::scaled_tanh(1.0, 1.0).expect("valid");
                let mut y = teacher.forward(&tanh, &x, m).output;
                for v in &mut y {
                    *v += noise * normal();
                }
                Dataset {
                    x,
                    y,
                    labels: Vec::new(),
                    examples: m,
                }
            }
            Task::Csv { .. } => panic!("a CSV dataset is read with Dataset::from_csv"),
            Task::Blobs { classes } => {
                let means: Vec<f64> = (0..classes)
                    .flat_map(|_| {
                        let v: Vec<f64> = (0..d).map(|_| normal()).collect();
                        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
                        v.into_iter().map(move |a| 3.0 * a / norm)
                    })
                    .collect();
                let mut x = Vec::with_capacity(m * d);
                let mut labels = Vec::with_capacity(m);
                for e in 0..m {
                    let c = e % classes;
                    labels.push(c);
                    for j in 0..d {
                        x.push(means[c * d + j] + normal());
                    }
                }
                Dataset {
                    x,
                    y: Vec::new(),
                    labels,
                    examples: m,
                }
            }
        }
    }
}

impl Dataset {
    /// A 64-bit FNV-1a hash of every value (as bits) and label: what a journal records to
    /// refuse resuming on other data.
    pub fn fingerprint(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let words = (self.x.iter().chain(&self.y).map(|v| v.to_bits()))
            .chain(self.labels.iter().map(|&l| l as u64))
            .chain([self.examples as u64]);
        for w in words {
            for b in w.to_le_bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{h:016x}")
    }

    /// Reads a dataset from CSV text with a header: `target` is the label column, every
    /// other column an input. With `classify`, targets must be whole numbers 0…C−1 (C ≥ 2);
    /// returns the dataset, the input names and C (0 for regression). Errors say what is
    /// wrong and where.
    ///
    /// ```
    /// use vanish::nets::train::Dataset;
    /// let (d, names, c) = Dataset::from_csv("a,y,b\n1,0,2\n3,1,4\n", "y", true).unwrap();
    /// assert_eq!((d.x, d.labels, names, c), (vec![1.0, 2.0, 3.0, 4.0], vec![0, 1],
    ///            vec!["a".to_string(), "b".to_string()], 2));
    /// assert!(Dataset::from_csv("a,y\n1,x\n", "y", false).is_err());
    /// ```
    pub fn from_csv(
        text: &str,
        target: &str,
        classify: bool,
    ) -> Result<(Self, Vec<String>, usize), String> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| format!("no header: {e}"))?
            .clone();
        let t = headers
            .iter()
            .position(|h| h.trim() == target)
            .ok_or_else(|| format!("no column '{target}'"))?;
        let names: Vec<String> = headers
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != t)
            .map(|(_, h)| h.trim().to_string())
            .collect();
        if names.is_empty() {
            return Err("no input columns besides the target".into());
        }
        let (mut x, mut y, mut labels) = (Vec::new(), Vec::new(), Vec::new());
        for (row, record) in reader.records().enumerate() {
            let record = record.map_err(|e| format!("row {}: {e}", row + 2))?;
            for (i, field) in record.iter().enumerate() {
                let v: f64 = field
                    .trim()
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite())
                    .ok_or_else(|| {
                        format!(
                            "row {}, column {}: '{field}' is not a finite number",
                            row + 2,
                            headers.get(i).unwrap_or("?")
                        )
                    })?;
                if i != t {
                    x.push(v);
                } else if classify {
                    if v.fract() != 0.0 || !(0.0..1e6).contains(&v) {
                        return Err(format!(
                            "row {}: class '{field}' is not a whole number 0…",
                            row + 2
                        ));
                    }
                    labels.push(v as usize);
                } else {
                    y.push(v);
                }
            }
        }
        let examples = x.len() / names.len();
        if examples == 0 {
            return Err("no rows".into());
        }
        let classes = if classify {
            let c = labels.iter().max().map_or(0, |m| m + 1);
            if c < 2 {
                return Err("classification needs at least 2 classes".into());
            }
            c
        } else {
            0
        };
        Ok((
            Dataset {
                x,
                y,
                labels,
                examples,
            },
            names,
            classes,
        ))
    }
}

/// An MLP: weights (fan_out × fan_in, row-major) and biases per layer; the last layer is
/// linear.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    /// Layer sizes, input first.
    pub sizes: Vec<usize>,
    /// Weights per layer.
    pub w: Vec<Vec<f64>>,
    /// Biases per layer.
    pub b: Vec<Vec<f64>>,
}

/// What a forward pass keeps for the backward one.
#[derive(Debug, Clone)]
pub struct Forward {
    /// Pre-activations of each layer (batch × size).
    pub z: Vec<Vec<f64>>,
    /// Activations: the input, then φ(z) of each hidden layer (batch × size).
    pub h: Vec<Vec<f64>>,
    /// The output layer's values (batch × outputs).
    pub output: Vec<f64>,
}

/// Gradients of the loss with respect to the weights and biases, and the hidden layers.
#[derive(Debug, Clone)]
pub struct Gradients {
    /// ∂L/∂W per layer.
    pub w: Vec<Vec<f64>>,
    /// ∂L/∂b per layer.
    pub b: Vec<Vec<f64>>,
    /// ‖∂L/∂h_l‖ (Frobenius over the batch) for hidden layers l = 1…K.
    pub hidden_norms: Vec<f64>,
}

impl Mlp {
    /// Weights N(0, σ_w²/fan_in), hidden biases N(0, σ_b²) and output biases 0, drawn layer
    /// by layer (weights, then biases) from `normal`.
    pub fn init(
        sizes: &[usize],
        sigma_w: f64,
        sigma_b: f64,
        normal: &mut impl FnMut() -> f64,
    ) -> Self {
        Self::init_with_output(sizes, sigma_w, sigma_b, sigma_w, normal)
    }

    /// [`Mlp::init`] with σ_w = `output_sigma_w` for the last (linear) layer; its biases
    /// start at 0 (their normals are still drawn, so the stream does not depend on it).
    pub fn init_with_output(
        sizes: &[usize],
        sigma_w: f64,
        sigma_b: f64,
        output_sigma_w: f64,
        normal: &mut impl FnMut() -> f64,
    ) -> Self {
        let (mut w, mut b) = (Vec::new(), Vec::new());
        let last = sizes.len() - 2;
        for l in 0..sizes.len() - 1 {
            let (n, m) = (sizes[l], sizes[l + 1]);
            let s = if l == last { output_sigma_w } else { sigma_w };
            let scale = s / (n as f64).sqrt();
            w.push((0..n * m).map(|_| scale * normal()).collect());
            // The linear readout starts without bias (so that scaling the hidden layers,
            // as the rescaling identity does, leaves it alone).
            let sb = if l == last { 0.0 } else { sigma_b };
            b.push((0..m).map(|_| sb * normal()).collect());
        }
        Mlp {
            sizes: sizes.to_vec(),
            w,
            b,
        }
    }

    /// The shape of weight layer `l` applied to a batch of `rows`.
    fn layer(&self, l: usize, rows: usize) -> Layer {
        Layer {
            rows,
            inputs: self.sizes[l],
            outputs: self.sizes[l + 1],
        }
    }

    /// The forward pass of a batch (`rows` × d, row-major): each layer through
    /// [`crate::nets::linalg::affine`] (register-tiled, on AVX2 where the CPU has it), whose
    /// every output has the bits of [`dot`] plus the bias.
    pub fn forward(&self, act: &Activation, x: &[f64], rows: usize) -> Forward {
        let layers = self.w.len();
        let isa = Isa::detect();
        let mut h = vec![x.to_vec()];
        let mut z = Vec::with_capacity(layers);
        for l in 0..layers {
            let shape = self.layer(l, rows);
            let mut zl = vec![0.0; rows * shape.outputs];
            isa.affine(shape, &h[l], &self.w[l], &self.b[l], &mut zl);
            if l + 1 < layers {
                h.push(zl.iter().map(|&v| act.value(v)).collect());
            }
            z.push(zl);
        }
        let output = z.last().expect("a layer").clone();
        Forward { z, h, output }
    }

    /// The gradients, given ∂L/∂output (`rows` × outputs): per layer
    /// [`crate::nets::linalg::affine_param_grads`] and [`crate::nets::linalg::affine_input_grad`]
    /// (register-tiled), which sum every element in the order of the plain per-row
    /// [`crate::nets::linalg::axpy`] loops, so with their bits.
    pub fn backward(&self, act: &Activation, f: &Forward, d_out: &[f64], rows: usize) -> Gradients {
        let layers = self.w.len();
        let isa = Isa::detect();
        let mut gw: Vec<Vec<f64>> = self.w.iter().map(|w| vec![0.0; w.len()]).collect();
        let mut gb: Vec<Vec<f64>> = self.b.iter().map(|b| vec![0.0; b.len()]).collect();
        let mut hidden_norms = vec![0.0; layers - 1];
        let mut g = d_out.to_vec(); // ∂L/∂z of layer l
        for l in (0..layers).rev() {
            let shape = self.layer(l, rows);
            isa.affine_param_grads(shape, &g, &f.h[l], &mut gw[l], &mut gb[l]);
            if l == 0 {
                break;
            }
            let mut dh = vec![0.0; rows * shape.inputs];
            isa.affine_input_grad(shape, &g, &self.w[l], &mut dh);
            hidden_norms[l - 1] = dot(&dh, &dh).sqrt();
            // ∂L/∂z_{l−1} = ∂L/∂h_{l−1} ⊙ φ'(z_{l−1}), from φ's value where that is cheaper.
            g = dh
                .iter()
                .zip(&f.z[l - 1])
                .zip(&f.h[l])
                .map(|((d, &z), &h)| d * derivative_from(act, z, h))
                .collect();
        }
        Gradients {
            w: gw,
            b: gb,
            hidden_norms,
        }
    }
}

/// The loss of a batch and ∂L/∂output: MSE for values, softmax cross-entropy over the
/// `output.len() / rows` outputs for labels.
pub fn loss(output: &[f64], targets: &Targets<'_>, rows: usize) -> (f64, Vec<f64>) {
    match targets {
        Targets::Values(y) => {
            // PyTorch's MSELoss: mean over every output value.
            let count = output.len() as f64;
            let loss = output
                .iter()
                .zip(*y)
                .map(|(o, t)| (o - t).powi(2))
                .sum::<f64>()
                / count;
            let grad = output
                .iter()
                .zip(*y)
                .map(|(o, t)| 2.0 * (o - t) / count)
                .collect();
            (loss, grad)
        }
        Targets::Labels(labels) => {
            let classes = output.len() / rows;
            // Softmax cross-entropy, mean over the batch, through a shifted log-sum-exp.
            let mut loss = 0.0;
            let mut grad = vec![0.0; output.len()];
            for r in 0..rows {
                let o = &output[r * classes..(r + 1) * classes];
                let top = o.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = o.iter().map(|v| (v - top).exp()).sum();
                let lse = top + sum.ln();
                loss += lse - o[labels[r]];
                for c in 0..classes {
                    let p = (o[c] - lse).exp();
                    grad[r * classes + c] = (p - f64::from(u8::from(c == labels[r]))) / rows as f64;
                }
            }
            (loss / rows as f64, grad)
        }
    }
}

/// The targets of a batch.
#[derive(Debug)]
pub enum Targets<'a> {
    /// Regression values.
    Values(&'a [f64]),
    /// Class labels.
    Labels(&'a [usize]),
}

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
    /// On the run's fixed [`Probe`]: the mean over its inputs of ln ‖J·u‖/‖u‖, J = ∂h_K/∂x.
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

/// Trains run `run` of `spec` on `data` with streams from `seed`.
pub fn train_run(spec: &TrainSpec, act: &Activation, data: &Dataset, seed: u64, run: usize) -> Run {
    train(spec, act, data, seed, run, None)
}

/// Everything needed to replay a run elsewhere (PyTorch): its initial network, the
/// examples of every minibatch and the loss of every step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// The network before the first update.
    pub initial: Option<Mlp>,
    /// Per step, the dataset rows of its minibatch.
    pub batches: Vec<Vec<usize>>,
    /// Per step, the minibatch loss before the update.
    pub losses: Vec<f64>,
}

/// [`train_run`], also returning its [`Trace`].
pub fn train_run_traced(
    spec: &TrainSpec,
    act: &Activation,
    data: &Dataset,
    seed: u64,
    run: usize,
) -> (Run, Trace) {
    let mut trace = Trace::default();
    let r = train(spec, act, data, seed, run, Some(&mut trace));
    (r, trace)
}

fn train(
    spec: &TrainSpec,
    act: &Activation,
    data: &Dataset,
    seed: u64,
    run: usize,
    mut trace: Option<&mut Trace>,
) -> Run {
    let mut rng: BlockRng = block_rng(seed, RUN_CELL, u32::try_from(run).expect("runs < 2^32"));
    let mut net = {
        let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
        Mlp::init_with_output(
            &spec.sizes(),
            spec.sigma_w,
            spec.sigma_b,
            spec.output_sigma_w.unwrap_or(spec.sigma_w),
            &mut normal,
        )
    };
    // The minibatches come from word 2^40 on of the same stream: the initialisation uses
    // far fewer words, so the two never overlap.
    rng.set_word_pos(1 << 40);
    if let Some(t) = trace.as_deref_mut() {
        t.initial = Some(net.clone());
    }
    let probe = Probe::draw(data, spec.input_dim, spec.probe, seed, run);
    let t1 = act
        .tanh_params()
        .map(|(a, n)| crate::theory::iid::vanish_threshold(a, n));
    let (d, outs, b) = (spec.input_dim, spec.outputs(), spec.batch);
    let mut state = OptimizerState::new(&net);
    let mut records = Vec::new();
    let mut diverged = false;
    let mut xb = vec![0.0; b * d];
    let mut yb = vec![0.0; b * outs];
    let mut lb = vec![0usize; b];
    let mut rows = vec![0usize; b];
    for step in 0..=spec.steps {
        for r in 0..b {
            let e = rng.random_range(0..data.examples);
            rows[r] = e;
            xb[r * d..(r + 1) * d].copy_from_slice(&data.x[e * d..(e + 1) * d]);
            if data.labels.is_empty() {
                yb[r * outs..(r + 1) * outs].copy_from_slice(&data.y[e * outs..(e + 1) * outs]);
            } else {
                lb[r] = data.labels[e];
            }
        }
        let f = net.forward(act, &xb, b);
        let targets = if data.labels.is_empty() {
            Targets::Values(&yb)
        } else {
            Targets::Labels(&lb)
        };
        let (l, d_out) = loss(&f.output, &targets, b);
        if let Some(t) = trace.as_deref_mut() {
            t.batches.push(rows.clone());
            t.losses.push(l);
        }
        let g = net.backward(act, &f, &d_out, b);
        let finite = l.is_finite() && g.w.iter().flatten().all(|v| v.is_finite());
        if step % spec.record_every == 0 || step == spec.steps || !finite {
            let mut rec = record(step, l, &net, &f, &g, act, t1, spec.depth);
            if spec.probe > 0 {
                probe.measure(&net, act, spec.depth).fill(&mut rec);
            }
            records.push(rec);
        }
        if !finite {
            diverged = true;
            break;
        }
        if step < spec.steps {
            state.update(&mut net, &g, spec.optimizer, spec.hidden_lr_scale);
        }
    }
    Run {
        run,
        records,
        diverged,
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    step: usize,
    loss: f64,
    net: &Mlp,
    f: &Forward,
    g: &Gradients,
    act: &Activation,
    t1: Option<f64>,
    depth: usize,
) -> Record {
    let hidden = &f.z[..depth];
    let rows = f.output.len() / net.sizes[net.sizes.len() - 1];
    let mut ln_sum = 0.0;
    let (mut saturated, mut total) = (0u64, 0u64);
    for z in hidden {
        let width = z.len() / rows;
        let s: f64 = z.iter().map(|&v| act.ln_derivative(v)).sum();
        ln_sum += s / width as f64;
        if let Some(t1) = t1 {
            saturated += z.iter().filter(|v| v.abs() > t1).count() as u64;
            total += z.len() as u64;
        }
    }
    let gain = if depth >= 1 {
        g.hidden_norms[0] / g.hidden_norms[depth - 1]
    } else {
        f64::NAN
    };
    let norm = |v: &[f64]| dot(v, v).sqrt();
    Record {
        step,
        loss,
        gain,
        ln_derivative_product: ln_sum / rows as f64,
        saturated: if t1.is_some() {
            saturated as f64 / total as f64
        } else {
            f64::NAN
        },
        grad_norms: g.w.iter().map(|w| norm(w)).collect(),
        weight_norms: net.w.iter().map(|w| norm(w)).collect(),
        probe_ln_gain: f64::NAN,
        probe_ln_layer_gains: vec![f64::NAN; depth],
        probe_ln_derivative_product: f64::NAN,
    }
}

/// A run's fixed probe set: P inputs (rows of the dataset) and P random input directions
/// u ~ N(0, I_d), drawn once from the run's own stream ([`PROBE_CELL`], block = run: the
/// rows first, then the directions), and used at every record. It measures the network
/// itself, at its current weights, not a minibatch's loss gradient.
///
/// The end-to-end gain is ln ‖J·u‖/‖u‖ for the Jacobian J = ∂h_K/∂x of the last hidden
/// layer with respect to the input, carried forward beside the input (J·u through
/// D_l·W_l, D_l = diag φ'(x^l)), exactly the object of `vanish sim --source network
/// --quantity jacobian` (which reports ln ‖J·u‖²/‖u‖², twice this): at step 0, runs are
/// random networks, and the two laws agree (tested). The backward signal is carried by
/// Jᵀ, which has the same singular values.
///
/// ```
/// use vanish::{model::activation::Activation, nets::train::*};
/// let spec = TrainSpec { depth: 3, width: 8, ..TrainSpec::default() };
/// let data = Dataset::new(&spec, 1);
/// let probe = Probe::draw(&data, spec.input_dim, 4, 1, 0);
/// let net = Mlp::init(&spec.sizes(), 1.0, 0.0, &mut || 0.5);
/// let m = probe.measure(&net, &Activation::scaled_tanh(1.0, 1.0).unwrap(), 3);
/// let sum: f64 = m.ln_layer_gains.iter().sum();
/// assert!((m.ln_gain - sum).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// The dataset rows of the probe's inputs.
    pub rows: Vec<usize>,
    /// The inputs, P × d, row-major.
    pub x: Vec<f64>,
    /// The directions u, P × d, row-major.
    pub u: Vec<f64>,
}

/// What a [`Probe`] measures at one record.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeGain {
    /// Mean over the probe of ln ‖J·u‖/‖u‖.
    pub ln_gain: f64,
    /// Per hidden layer, the mean over the probe of ln ‖J_l·u‖/‖J_{l−1}·u‖.
    pub ln_layer_gains: Vec<f64>,
    /// Mean over the probe of Σ_l mean_units ln φ'(x).
    pub ln_derivative_product: f64,
}

impl ProbeGain {
    fn fill(self, rec: &mut Record) {
        rec.probe_ln_gain = self.ln_gain;
        rec.probe_ln_layer_gains = self.ln_layer_gains;
        rec.probe_ln_derivative_product = self.ln_derivative_product;
    }
}

impl Probe {
    /// Draws the probe of run `run`: `size` dataset rows, then `size` directions.
    pub fn draw(data: &Dataset, d: usize, size: usize, seed: u64, run: usize) -> Self {
        let mut rng = block_rng(seed, PROBE_CELL, u32::try_from(run).expect("runs < 2^32"));
        let rows: Vec<usize> = (0..size)
            .map(|_| rng.random_range(0..data.examples))
            .collect();
        let x = rows
            .iter()
            .flat_map(|&e| data.x[e * d..(e + 1) * d].iter().copied())
            .collect();
        let u = (0..size * d)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        Probe { rows, x, u }
    }

    /// The gains of `net`'s first `depth` layers on this probe. J·u is renormalised at every
    /// layer and φ' is taken relative to the layer's largest (as in `--source network`), so
    /// deep or saturated layers give a finite log where the plain product would underflow.
    pub fn measure(&self, net: &Mlp, act: &Activation, depth: usize) -> ProbeGain {
        let p = self.rows.len();
        let d = net.sizes[0];
        let f = net.forward(act, &self.x, p);
        let isa = Isa::detect();
        let mut v = self.u.clone();
        for row in v.chunks_mut(d) {
            let inv = 1.0 / dot(row, row).sqrt();
            row.iter_mut().for_each(|a| *a *= inv);
        }
        let mut ln_layer_gains = Vec::with_capacity(depth);
        let mut ln_dp = 0.0;
        for l in 0..depth {
            let shape = net.layer(l, p);
            let m = shape.outputs;
            let mut t = vec![0.0; p * m];
            isa.affine(shape, &v, &net.w[l], &vec![0.0; m], &mut t);
            let mut layer_sum = 0.0;
            for r in 0..p {
                let z = &f.z[l][r * m..(r + 1) * m];
                let lnd: Vec<f64> = z.iter().map(|&x| act.ln_derivative(x)).collect();
                ln_dp += lnd.iter().sum::<f64>() / m as f64;
                let top = lnd.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let row = &mut t[r * m..(r + 1) * m];
                for (a, &ln) in row.iter_mut().zip(&lnd) {
                    *a *= (ln - top).exp();
                }
                let norm = dot(row, row).sqrt();
                layer_sum += if top == f64::NEG_INFINITY || norm == 0.0 {
                    f64::NEG_INFINITY
                } else {
                    top + norm.ln()
                };
                if norm > 0.0 && norm.is_finite() {
                    row.iter_mut().for_each(|a| *a /= norm);
                }
            }
            ln_layer_gains.push(layer_sum / p as f64);
            v = t;
        }
        ProbeGain {
            ln_gain: ln_layer_gains.iter().sum(),
            ln_layer_gains,
            ln_derivative_product: ln_dp / p as f64,
        }
    }
}

/// Momentum or Adam moments per parameter.
struct OptimizerState {
    m: Vec<Vec<f64>>,
    v: Vec<Vec<f64>>,
    t: i32,
}

impl OptimizerState {
    fn new(net: &Mlp) -> Self {
        let zeros: Vec<Vec<f64>> = net
            .w
            .iter()
            .chain(&net.b)
            .map(|p| vec![0.0; p.len()])
            .collect();
        OptimizerState {
            m: zeros.clone(),
            v: zeros,
            t: 0,
        }
    }

    fn update(&mut self, net: &mut Mlp, g: &Gradients, opt: Optimizer, hidden_scale: f64) {
        self.t += 1;
        let layers = net.w.len();
        // Parameters in the order weights of every layer, then biases of every layer.
        let scales = (0..2 * layers).map(|i| {
            if i % layers + 1 < layers {
                hidden_scale
            } else {
                1.0
            }
        });
        let params = net.w.iter_mut().chain(net.b.iter_mut());
        let grads = g.w.iter().chain(&g.b);
        for ((((p, g), m), v), scale) in params
            .zip(grads)
            .zip(&mut self.m)
            .zip(&mut self.v)
            .zip(scales)
        {
            match opt {
                Optimizer::Sgd { lr, momentum } => {
                    let lr = lr * scale;
                    for ((p, &g), m) in p.iter_mut().zip(g).zip(m.iter_mut()) {
                        *m = momentum * *m + g;
                        *p -= lr * if momentum == 0.0 { g } else { *m };
                    }
                }
                Optimizer::Adam { lr } => {
                    let lr = lr * scale;
                    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
                    let (c1, c2) = (1.0 - b1.powi(self.t), 1.0 - b2.powi(self.t));
                    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut())
                    {
                        *m = b1 * *m + (1.0 - b1) * g;
                        *v = b2 * *v + (1.0 - b2) * g * g;
                        *p -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
                    }
                }
            }
        }
    }
}

/// φ'(z) given h = φ(z): a·n·(1 − tanh²) = n·(a − h²/a) and σ(1 − σ) need no further
/// transcendental (as in PyTorch's backward); others through [`Activation::derivative`].
fn derivative_from(act: &Activation, z: f64, h: f64) -> f64 {
    match *act {
        Activation::ScaledTanh { a, n } => n * (a - h * h / a),
        Activation::Sigmoid => h * (1.0 - h),
        _ => act.derivative(z),
    }
}
