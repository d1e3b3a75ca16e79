//! One training run: [`train_run`] (and [`train_run_traced`], with what a replay needs), the
//! loop of minibatch steps and what each record measures.

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

use super::RUN_CELL;
use super::dataset::Dataset;
use super::mlp::{Forward, Gradients, Mlp, Targets, loss_into};
use super::optimizer::OptimizerState;
use super::probe::Probe;
use super::record::{Record, Run};
use super::spec::TrainSpec;
use crate::mc::rng::{BlockRng, block_rng};
use crate::model::activation::Activation;
use crate::nets::linalg::dot;

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
    let (mut f, mut g, mut d_out) = (Forward::default(), Gradients::default(), Vec::new());
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
        net.forward_into(act, &xb, b, &mut f);
        let targets = if data.labels.is_empty() {
            Targets::Values(&yb)
        } else {
            Targets::Labels(&lb)
        };
        let l = loss_into(&f.output, &targets, b, &mut d_out);
        if let Some(t) = trace.as_deref_mut() {
            t.batches.push(rows.clone());
            t.losses.push(l);
        }
        net.backward_into(act, &f, &d_out, b, &mut g);
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
