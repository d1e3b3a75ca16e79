//! `vanish train --dump DIR`: run 0 in plain files, so that PyTorch (or anything) can replay
//! it step by step (`scripts/replay_torch.py`).
//!
//! - `data.csv`: the dataset, columns x1…xd and y (regression) or label (classification);
//! - `network.json`: the activation, the layer sizes, and the initial weights (one list
//!   per output unit, as `torch.nn.Linear.weight`) and biases of every layer;
//! - `batches.csv`: per step, the dataset rows (0-based) of its minibatch;
//! - `losses.csv`: per step, the minibatch loss before the update;
//! - `spec.json`: the loss, the optimiser, its learning rate(s), the steps and the
//!   arithmetic (`"precision"`: `"f64"` or `"f32"`; the data, the network and the losses
//!   are written exactly, an f32 run's values as the f64 numbers they are);
//! - `probe.json`: the run's fixed probe (dataset rows and directions u, one list of d
//!   values per probe input), on which `probe_gain` is measured;
//! - `trajectory.csv`: the run's records, with the columns of `trajectories.csv`;
//! - `manifest.json`, last, listing them (command `train --dump`), as every run's folder.

use std::path::Path;

use serde_json::json;

use crate::mc::fast::Precision;
use crate::model::activation::Activation;
use crate::nets::train::{Dataset, Optimizer, Probe, Trace, TrainSpec};
use crate::output::files::csv_text;
use crate::output::format::exact;
use crate::output::manifest::{Manifest, RunFiles};

/// The command a dump's manifest names (its folder is re-used by dumps only).
pub const COMMAND: &str = "train --dump";

/// Writes the files of run 0 (trained in `precision`) into `dir` (prepared by the caller),
/// then its manifest.
#[allow(clippy::too_many_arguments)]
pub fn write(
    dir: &Path,
    spec: &TrainSpec,
    precision: Precision,
    act: &Activation,
    data: &Dataset,
    trace: &Trace,
    probe: &Probe,
    trajectory: String,
) -> anyhow::Result<()> {
    let d = spec.input_dim;
    let classify = !data.labels.is_empty();
    let mut header: Vec<String> = (1..=d).map(|j| format!("x{j}")).collect();
    header.push(if classify { "label" } else { "y" }.to_string());
    let rows: Vec<Vec<String>> = (0..data.examples)
        .map(|e| {
            let mut row: Vec<String> = data.x[e * d..(e + 1) * d]
                .iter()
                .map(|&v| exact(v))
                .collect();
            row.push(if classify {
                data.labels[e].to_string()
            } else {
                exact(data.y[e])
            });
            row
        })
        .collect();
    let net = trace
        .initial
        .as_ref()
        .expect("a traced run has its initial network");
    let layers: Vec<serde_json::Value> = (0..net.w.len())
        .map(|l| {
            let n = net.sizes[l];
            json!({
                "weight": net.w[l].chunks(n).collect::<Vec<_>>(),
                "bias": net.b[l],
            })
        })
        .collect();
    let activation = match *act {
        Activation::ScaledTanh { a, n } => json!({"kind": "tanh", "a": a, "n": n}),
        Activation::Relu => json!({"kind": "relu"}),
        Activation::LeakyRelu { alpha } => json!({"kind": "leaky_relu", "alpha": alpha}),
        Activation::Sigmoid => json!({"kind": "sigmoid"}),
    };
    let network = json!({"activation": activation, "sizes": net.sizes, "layers": layers});
    let mut batch_header = vec!["step".to_string()];
    batch_header.extend((1..=spec.batch).map(|i| format!("row{i}")));
    let batches: Vec<Vec<String>> = trace
        .batches
        .iter()
        .enumerate()
        .map(|(s, rows)| {
            std::iter::once(s.to_string())
                .chain(rows.iter().map(|r| r.to_string()))
                .collect()
        })
        .collect();
    let losses: Vec<Vec<String>> = trace
        .losses
        .iter()
        .enumerate()
        .map(|(s, l)| vec![s.to_string(), exact(*l)])
        .collect();
    let optimizer = match spec.optimizer {
        Optimizer::Sgd { lr, momentum } => json!({"kind": "sgd", "lr": lr, "momentum": momentum}),
        Optimizer::Adam { lr } => {
            json!({"kind": "adam", "lr": lr, "betas": [0.9, 0.999], "eps": 1e-8})
        }
    };
    let spec_json = json!({
        "loss": if classify { "cross_entropy" } else { "mse" },
        "optimizer": optimizer,
        "hidden_lr_scale": spec.hidden_lr_scale,
        "steps": spec.steps,
        "batch": spec.batch,
        "precision": precision.name(),
        "note": "the loss of step s is taken before its update; steps 0…T, updates after 0…T−1",
    });
    let mut files = RunFiles::new();
    for (name, body) in [
        ("data.csv", csv_text(&header, &rows)),
        ("network.json", crate::output::format::pretty_json(&network)),
        ("batches.csv", csv_text(&batch_header, &batches)),
        (
            "losses.csv",
            csv_text(&["step".to_string(), "loss".to_string()], &losses),
        ),
        ("spec.json", crate::output::format::pretty_json(&spec_json)),
        (
            "probe.json",
            crate::output::format::pretty_json(&json!({
                "rows": probe.rows,
                "directions": probe.u.chunks(d).collect::<Vec<_>>(),
                "note": "probe_gain = exp(mean over the probe of ln ‖J·u‖/‖u‖), J = ∂h_K/∂x at the \
                         probe's inputs (the dataset rows), before the update of each recorded step",
            })),
        ),
        ("trajectory.csv", trajectory),
    ] {
        files.add(name, body);
    }
    files.write(dir, Manifest::new(COMMAND))?;
    Ok(())
}
