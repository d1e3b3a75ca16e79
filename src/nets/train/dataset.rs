//! The shared dataset: drawn (teacher–student regression, Gaussian blobs) or read from CSV,
//! and its fingerprint.

use rand_distr::{Distribution, StandardNormal};

use super::DATA_CELL;
use super::mlp::Mlp;
use super::spec::{Task, TrainSpec};
use crate::mc::rng::block_rng;
use crate::model::activation::Activation;

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
