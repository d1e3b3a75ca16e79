//! What a training run depends on besides the activation and the seed: the task, the
//! network's shape and scales, and the schedule.

use super::optimizer::Optimizer;

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
    /// A dataset read from a CSV file ([`Dataset::from_csv`](crate::nets::train::Dataset::from_csv)): regression with MSE
    /// (`classes` 0) or classification with softmax cross-entropy.
    Csv {
        /// Number of classes, or 0 for regression.
        classes: usize,
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
    /// P, the inputs (and random directions) of the fixed probe set ([`Probe`](crate::nets::train::Probe)); 0 records
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
