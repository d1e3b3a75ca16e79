//! One training run: [`train_run`] (and [`train_run_traced`], with what a replay needs), the
//! loop of minibatch steps and what each record measures.

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

use super::RUN_CELL;
use super::dataset::Dataset;
use super::mlp::{Forward, Gradients, Mlp, Targets, loss_into};
use super::optimizer::OptimizerState;
use super::probe::Probe;
use super::record::{Record, Run, Underflow};
use super::spec::TrainSpec;
use crate::mc::fast::Precision;
use crate::mc::rng::{BlockRng, block_rng};
use crate::model::activation::Activation;
use crate::nets::linalg::{Element, Simd};

/// Trains run `run` of `spec` on `data` with streams from `seed`, in f64.
pub fn train_run(spec: &TrainSpec, act: &Activation, data: &Dataset, seed: u64, run: usize) -> Run {
    train::<f64>(spec, act, data, seed, run, None)
}

/// [`train_run`] in the arithmetic of `precision`: f32 as PyTorch's float32 (parameters,
/// activations, gradients, optimiser state and loss in f32; the data rounded to f32 once,
/// before the first step), or f64 (also for [`Precision::Reference`], which is `sim`'s).
/// The same initial draws and minibatches in both; records are computed from the run's
/// values and accumulated in f64.
///
/// ```
/// use vanish::{mc::fast::Precision, model::activation::Activation, nets::train::*};
/// let spec = TrainSpec { depth: 3, width: 8, steps: 20, record_every: 5, ..TrainSpec::default() };
/// let (act, data) = (Activation::scaled_tanh(1.0, 1.0).unwrap(), Dataset::new(&spec, 1));
/// let f32_ = train_run_in(Precision::F32, &spec, &act, &data, 1, 0);
/// let f64_ = train_run_in(Precision::F64, &spec, &act, &data, 1, 0);
/// assert_eq!(f64_, train_run(&spec, &act, &data, 1, 0));
/// let (a, b) = (f32_.records[4].loss, f64_.records[4].loss);
/// assert!(a != b && (a - b).abs() < 1e-5 * b);
/// ```
pub fn train_run_in(
    precision: Precision,
    spec: &TrainSpec,
    act: &Activation,
    data: &Dataset,
    seed: u64,
    run: usize,
) -> Run {
    match precision {
        Precision::F32 => train::<f32>(spec, act, data, seed, run, None),
        Precision::F64 | Precision::Reference => train::<f64>(spec, act, data, seed, run, None),
    }
}

/// Everything needed to replay a run elsewhere (PyTorch): its initial network, the
/// examples of every minibatch and the loss of every step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// The network before the first update (an f32 run's values, exactly, as f64).
    pub initial: Option<Mlp>,
    /// Per step, the dataset rows of its minibatch.
    pub batches: Vec<Vec<usize>>,
    /// Per step, the minibatch loss before the update.
    pub losses: Vec<f64>,
}

/// [`train_run_in`], also returning its [`Trace`].
pub fn train_run_traced(
    precision: Precision,
    spec: &TrainSpec,
    act: &Activation,
    data: &Dataset,
    seed: u64,
    run: usize,
) -> (Run, Trace) {
    let mut trace = Trace::default();
    let t = Some(&mut trace);
    let r = match precision {
        Precision::F32 => train::<f32>(spec, act, data, seed, run, t),
        Precision::F64 | Precision::Reference => train::<f64>(spec, act, data, seed, run, t),
    };
    (r, trace)
}

/// `v` rounded to `T`.
fn cast<T: Element>(v: &[f64]) -> Vec<T> {
    v.iter().map(|&x| T::from_f64(x)).collect()
}

/// `net`'s values, exactly, as f64.
fn widened<T: Element>(net: &Mlp<T>) -> Mlp {
    let wide = |p: &[Vec<T>]| {
        p.iter()
            .map(|l| l.iter().map(|v| v.to_f64()).collect())
            .collect()
    };
    Mlp {
        sizes: net.sizes.clone(),
        w: wide(&net.w),
        b: wide(&net.b),
    }
}

fn train<T: Element>(
    spec: &TrainSpec,
    act: &Activation,
    data: &Dataset,
    seed: u64,
    run: usize,
    mut trace: Option<&mut Trace>,
) -> Run {
    let mut rng: BlockRng = block_rng(seed, RUN_CELL, u32::try_from(run).expect("runs < 2^32"));
    let mut net: Mlp<T> = {
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
        t.initial = Some(widened(&net));
    }
    // The data in T, once (as `x.float()` before a PyTorch loop).
    let (x, y) = (cast::<T>(&data.x), cast::<T>(&data.y));
    let probe = Probe::draw(data, spec.input_dim, spec.probe, seed, run);
    let t1 = act
        .tanh_params()
        .map(|(a, n)| crate::theory::iid::vanish_threshold(a, n));
    let (d, outs, b) = (spec.input_dim, spec.outputs(), spec.batch);
    let mut state = OptimizerState::new(&net);
    let mut records = Vec::new();
    let mut diverged = false;
    let mut xb = vec![T::ZERO; b * d];
    let mut yb = vec![T::ZERO; b * outs];
    let mut lb = vec![0usize; b];
    let mut rows = vec![0usize; b];
    let (mut f, mut g, mut d_out) = (Forward::default(), Gradients::default(), Vec::new());
    for step in 0..=spec.steps {
        for r in 0..b {
            let e = rng.random_range(0..data.examples);
            rows[r] = e;
            xb[r * d..(r + 1) * d].copy_from_slice(&x[e * d..(e + 1) * d]);
            if data.labels.is_empty() {
                yb[r * outs..(r + 1) * outs].copy_from_slice(&y[e * outs..(e + 1) * outs]);
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
            rec.underflow = Some(underflow(&net, &f, &d_out, &g));
            if spec.probe > 0 {
                probe
                    .measure(&widened(&net), act, spec.depth)
                    .fill(&mut rec);
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

/// The [`Underflow`] of a step: ∂L/∂W from `g`; ∂L/∂h_l carried down again from ∂L/∂output
/// (`d_out`) with the backward pass's kernel and φ'(z) (the same values, at the cost of
/// about a third of a backward pass, on recorded steps only).
fn underflow<T: Element>(net: &Mlp<T>, f: &Forward<T>, d_out: &[T], g: &Gradients<T>) -> Underflow {
    let rows = f.output.len() / net.sizes[net.sizes.len() - 1];
    let isa = Simd::detect();
    let (mut dz, mut dh) = (d_out.to_vec(), Vec::new());
    let mut hidden_grads = 0;
    for l in (1..net.w.len()).rev() {
        let shape = net.layer(l, rows);
        dh.clear();
        dh.resize(rows * shape.inputs, T::ZERO);
        isa.affine_input_grad(shape, &dz, &net.w[l], &mut dh);
        hidden_grads += Underflow::count(&dh);
        dz.clear();
        dz.extend(dh.iter().zip(&f.derivative[l - 1]).map(|(&d, &p)| d * p));
    }
    Underflow {
        weight_grads: g.w.iter().map(|w| Underflow::count(w)).collect(),
        hidden_grads,
    }
}

#[allow(clippy::too_many_arguments)]
fn record<T: Element>(
    step: usize,
    loss: f64,
    net: &Mlp<T>,
    f: &Forward<T>,
    g: &Gradients<T>,
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
        let s: f64 = z.iter().map(|&v| act.ln_derivative(v.to_f64())).sum();
        ln_sum += s / width as f64;
        if let Some(t1) = t1 {
            saturated += z.iter().filter(|v| v.to_f64().abs() > t1).count() as u64;
            total += z.len() as u64;
        }
    }
    let gain = if depth >= 1 {
        g.hidden_norms[0] / g.hidden_norms[depth - 1]
    } else {
        f64::NAN
    };
    let norm = |v: &[T]| T::norm(v);
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
        underflow: None,
    }
}
