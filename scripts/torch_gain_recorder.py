#!/usr/bin/env python3
"""Record `vanish train`'s trajectory columns from your own PyTorch training loop.

Usage as a library (the script's folder on sys.path):

    from torch_gain_recorder import GainRecorder, ScaledTanh

    model = torch.nn.Sequential(Linear(d, w), ScaledTanh(1, 2), Linear(w, w), ScaledTanh(1, 2),
                                ..., Linear(w, out))
    probe_x = x_train[torch.randperm(len(x_train), generator=g)[:8]]   # fixed for the run
    with GainRecorder(model, probe_x, generator=g, path="trajectories.csv", run=0) as rec:
        for step in range(steps + 1):
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            if step % 10 == 0 or step == steps or not rec.finite(loss):
                rec.record(step, loss)          # after backward(), before opt.step()
            if not rec.finite(loss):
                break
            if step < steps:
                opt.step()

    vanish markov trajectories.csv --state 'probe_gain < 1e-6'

Several runs go into one file with one recorder per run (`run=i`, `append=True` for all but
the first); `vanish markov` takes the rows of each run in increasing step.

Usage as a check:

    python scripts/torch_gain_recorder.py --replay DIR [--out FILE] [--tolerance 1e-10]

replays the run of `vanish train --dump DIR` (its initial weights, its minibatches and its
optimiser, as scripts/replay_torch.py does) through an nn.Sequential with this recorder's
hooks, records at the steps of DIR/trajectory.csv on the probe of DIR/probe.json (its dataset
rows and directions), writes FILE (default DIR/recorder.csv) and compares it with
DIR/trajectory.csv. It prints one JSON line: per column the largest relative difference
|torch − vanish|/|vanish| (the absolute difference where vanish's value is 0; 0 where both
are NaN or the same infinity; null for an infinite difference), the worst column and step.
Exit code 1 if a column differs by more than --tolerance, or if the header, the rows'
run, step or diverged differ. Compared, all against the tolerance: loss, gain,
ln_derivative_product, saturated, probe_gain, probe_ln_derivative_product, grad_norm_1…K+1,
weight_norm_1…K+1 and probe_gain_1…K; run, step and diverged must be equal.

The first record (step 0) measures the same weights in both, so its differences
("first_record_max_rel_diff") are the recorder's own (float64 rounding, ~1e-15; more where
the network is saturated: φ' from a rounded tanh near ±a, or a gain far below 1, whose
relative difference is the absolute difference of its logarithm). Later records also carry
the replay's drift: PyTorch's optimiser rounds differently from vanish's, and a chaotic run
(a large learning rate with momentum, a deep saturated network) amplifies that from step to
step; scripts/replay_torch.py shows the same drift on the losses. SGD or Adam on
`--depth 6 --width 8 --n 2` for 50 steps stays within 1e-13.

What the recorder assumes (checked where it can be):

- The network is a chain of torch.nn.Linear layers: K ≥ 1 hidden ones, each followed by one
  elementwise activation φ (a module; the same instance may be reused), and a last Linear,
  the output layer, with no activation. `model` is an nn.Sequential (nested ones are
  flattened) or a list of its modules. Modules before the first Linear (nn.Flatten, …) and
  after the last (a softmax, …) are allowed and ignored: the probe's x is the first Linear's
  input, and `probe_inputs` must already have its shape (P × in_features). Between two
  Linears there must be exactly one module: no dropout, normalisation or residual path
  (then h_l, the next Linear's input, would not be φ(z_l)). A list of Linear layers alone is
  accepted too, with `activation=` (a module or a callable) as φ of every hidden layer.
- h_l = φ(z_l), z_l = W_l h_{l−1} + b_l, h_0 = x, l = 1…K, as in `vanish train`.
- ln φ'(z), needed by the probe and the derivative products, is exact for ScaledTanh(a, n)
  (below; a·tanh(n·x)), nn.Tanh (a = n = 1), nn.ReLU, nn.LeakyReLU and nn.Sigmoid, with the
  formulas of vanish's `Activation::ln_derivative`; a module with a method
  `ln_derivative(z)` gives its own; `ln_derivative=` (a callable z ↦ ln φ'(z), used for
  every hidden layer) or `tanh_params=(a, n)` override. Otherwise φ'(z) is taken by
  autograd through the module, elementwise, and ln |φ'(z)| of it (which is −inf where
  φ'(z) underflows, so the probe gain of a saturated network may come out 0 where the exact
  form stays finite). `saturated` is known only for a·tanh(n·x) (else NaN).
- Arithmetic is float64 throughout: weights and inputs are converted for the probe and the
  norms, and the probe calls the activation modules on float64 tensors (so they must accept
  them: parameter-free ones do). A float32 model's minibatch values (loss, pre-activations,
  gradients) are as precise as its forward and backward passes. The probe runs on the
  device of the first Linear's weight (one that has float64: CPU or CUDA).

The columns, as `vanish train`'s trajectories.csv (K hidden layers, K + 1 weight layers):

- run, step: as given;
- loss: the minibatch loss given to `record` (take it before the update of its step);
- gain: ‖∂L/∂h_1‖/‖∂L/∂h_K‖ on the minibatch (Frobenius over the batch), from the hooks
  (below) or from `hidden_grad_norms=`; NaN if neither;
- ln_derivative_product: the minibatch mean of Σ_l mean_units ln φ'(z_l), from the hooks or
  `preactivations=`; NaN if neither;
- saturated: the fraction of the minibatch's hidden pre-activations with |z| > t1 =
  acosh(a·n)/n (0 when a·n ≤ 1), for a·tanh(n·x) only; NaN otherwise;
- probe_gain: exp of the mean over the probe of ln ‖J·u‖/‖u‖, J = ∂h_K/∂x at the probe's
  inputs, computed forward (a Jacobian-vector product): v_0 = u/‖u‖,
  v_l = φ'(z_l) ⊙ (W_l v_{l−1}), renormalised at every layer with the logs of the norms
  accumulated, and φ' taken relative to the layer's largest (exactly `Probe::measure` of
  src/nets/train.rs), so deep or saturated layers give a finite log;
- probe_ln_derivative_product: the mean over the probe of Σ_l mean_units ln φ'(z_l);
- diverged: true when this record's loss or a weight gradient is not finite (then stop:
  `vanish train` ends a diverged run with that record, and `vanish markov` ends a run at a
  NaN state);
- grad_norm_l, weight_norm_l, l = 1…K+1: the Frobenius norms of each Linear's weight.grad
  and weight (biases not included), the output layer last;
- probe_gain_l, l = 1…K: exp of the mean over the probe of ln ‖v_l‖/‖v_{l−1}‖ (their product
  is probe_gain);
- grad_underflow, hidden_grad_underflow, grad_underflow_l (l = 1…K+1): the entries of the
  weight gradients (all layers; layer l) and of ∂L/∂h_1…∂L/∂h_K (from the hooks; NaN
  without them) that are zero or subnormal in the model's own dtype, |g| < finfo.tiny
  (float32: 2^-126; float64: 2^-1022).

The hooks (installed unless `hooks=False`; `remove()` or leaving the `with` block takes
them off): a forward hook on each hidden Linear keeps its output z_l, and a forward pre-hook
on each Linear after the first puts a tensor hook on its input h_l, which receives ∂L/∂h_l
in backward(). A forward pass with gradients enabled starts a new capture; passes under
torch.no_grad() (evaluation) are ignored. So call `record` after loss.backward() of the
minibatch and before the next forward pass with gradients; `record` consumes the capture.
The probe's forward pass calls the weights and activations directly, not the hooked Linear
modules, and runs under torch.no_grad().
"""
import argparse
import csv
import json
import math
import os
import sys

import torch

__all__ = ["GainRecorder", "ScaledTanh", "replay"]

LN_2 = math.log(2.0)


def _ln_sech2(u):
    """ln sech²(u) for u ≥ 0 without overflow (vanish's `activation::ln_sech2`)."""
    m = torch.expm1(u)
    small = -2.0 * torch.log1p(m * m / (2.0 * (1.0 + m)))
    large = 2.0 * LN_2 - 2.0 * u - 2.0 * torch.log(1.0 + torch.exp(-2.0 * u))
    return torch.where(u < 0.5, small, large)


def _acosh_exp(ln_y):
    """acosh(e^L) for L ≥ 0 without overflow (vanish's `theory::acosh_exp`)."""
    if ln_y <= 0.0:
        return 0.0
    if ln_y < 1.0:
        m = math.expm1(ln_y)
        return math.log1p(m + math.sqrt(m * (m + 2.0)))
    return ln_y + math.log(1.0 + math.sqrt(1.0 - math.exp(-2.0 * ln_y)))


def vanish_threshold(a, n):
    """t1 = acosh(a·n)/n: beyond ±t1, φ'(x) < 1/(a·n) for φ = a·tanh(n·x)."""
    return _acosh_exp(math.log(a * n)) / n


class ScaledTanh(torch.nn.Module):
    """φ(x) = a·tanh(n·x), with the exact ln φ'(x) = ln(a·n) + ln sech²(n·|x|)."""

    def __init__(self, a=1.0, n=1.0):
        super().__init__()
        if not (a > 0 and n > 0):
            raise ValueError(f"ScaledTanh needs a > 0 and n > 0, got a={a}, n={n}")
        self.a, self.n = float(a), float(n)

    def forward(self, x):
        return self.a * torch.tanh(self.n * x)

    @property
    def tanh_params(self):
        return (self.a, self.n)

    def ln_derivative(self, z):
        return math.log(self.a * self.n) + _ln_sech2(self.n * z.abs())

    def extra_repr(self):
        return f"a={self.a}, n={self.n}"


class _Act:
    """A hidden layer's φ, ln φ' and, for a·tanh(n·x), (a, n)."""

    def __init__(self, phi, ln_derivative, tanh_params=None):
        self.phi, self.ln_derivative, self.tanh_params = phi, ln_derivative, tanh_params


def _tanh_act(phi, a, n):
    ln_an = math.log(a * n)
    return _Act(phi, lambda z: ln_an + _ln_sech2(n * z.abs()), (float(a), float(n)))


def _autograd_ln_derivative(phi):
    def ln_derivative(z):
        with torch.enable_grad():
            zz = z.detach().clone().requires_grad_(True)
            (d,) = torch.autograd.grad(phi(zz).sum(), zz)
        return torch.log(d.abs())

    return ln_derivative


def _resolve_act(module, ln_derivative=None, tanh_params=None):
    """The _Act of one hidden layer's activation module (see the module docstring)."""
    nn = torch.nn
    if ln_derivative is not None:
        return _Act(module, ln_derivative, tuple(tanh_params) if tanh_params else None)
    if tanh_params is not None:
        return _tanh_act(module, *tanh_params)
    if hasattr(module, "tanh_params"):
        return _tanh_act(module, *module.tanh_params)
    if isinstance(module, nn.Tanh):
        return _tanh_act(module, 1.0, 1.0)
    if isinstance(module, nn.ReLU):
        return _Act(module, lambda z: torch.where(z > 0, 0.0, -math.inf).to(z.dtype))
    if isinstance(module, nn.LeakyReLU):
        ln_alpha = math.log(module.negative_slope)
        return _Act(module, lambda z: torch.where(z > 0, 0.0, ln_alpha).to(z.dtype))
    if isinstance(module, nn.Sigmoid):
        return _Act(module, lambda z: -z.abs() - 2.0 * torch.log1p(torch.exp(-z.abs())))
    if hasattr(module, "ln_derivative"):
        return _Act(module, module.ln_derivative)
    return _Act(module, _autograd_ln_derivative(module))


def _flatten(model):
    if isinstance(model, torch.nn.Sequential):
        out = []
        for m in model:
            out.extend(_flatten(m))
        return out
    if isinstance(model, (list, tuple)):
        out = []
        for m in model:
            out.extend(_flatten(m))
        return out
    return [model]


def _parse_chain(model, activation):
    """The Linear layers and, per hidden one, its activation module or callable."""
    mods = _flatten(model)
    at = [i for i, m in enumerate(mods) if isinstance(m, torch.nn.Linear)]
    if len(at) < 2:
        raise ValueError("the model needs at least two torch.nn.Linear layers (K ≥ 1 hidden "
                         f"and the output layer); found {len(at)}")
    linears = [mods[i] for i in at]
    if len({id(m) for m in linears}) != len(linears):
        raise ValueError("a Linear layer is used twice: the recorder needs one per layer")
    acts = []
    for i, j in zip(at, at[1:]):
        between = mods[i + 1:j]
        if len(between) == 1 and activation is None:
            acts.append(between[0])
        elif not between and activation is not None:
            acts.append(activation)
        elif between and activation is not None:
            raise ValueError("activation= is for a list of Linear layers alone; this model "
                             "has its activation modules (use ln_derivative= or tanh_params= "
                             "to describe them)")
        elif not between:
            raise ValueError(f"Linear layers {len(acts) + 1} and {len(acts) + 2} have nothing "
                             "between them: pass activation=")
        else:
            names = ", ".join(type(m).__name__ for m in between)
            raise ValueError(f"between Linear layers {len(acts) + 1} and {len(acts) + 2} there "
                             f"must be exactly one elementwise activation, found: {names}")
        if not callable(acts[-1]):
            raise ValueError(f"the activation of hidden layer {len(acts)} is not callable")
    return linears, acts


def _fmt(x):
    """Like vanish's `results::fmt`: shortest round trip; nan, inf, -inf."""
    x = float(x)
    return "nan" if math.isnan(x) else repr(x)


def _norm(t):
    return float(torch.linalg.vector_norm(t.detach().to(torch.float64)))


def _underflow(t):
    """Entries of t that are zero or subnormal in t's own dtype (|g| < finfo.tiny)."""
    return int((t.detach().abs() < torch.finfo(t.dtype).tiny).sum())


class GainRecorder:
    """Records `vanish train`'s trajectory columns of one run (see the module docstring).

    GainRecorder(model, probe_inputs, probe_directions=None, *, activation=None,
                 ln_derivative=None, tanh_params=None, generator=None,
                 path="trajectories.csv", run=0, append=False, hooks=True)

    model: an nn.Sequential of Linear and activation modules ending in a Linear (or a list
      of those modules, or a list of Linear layers with activation=).
    probe_inputs: P × in_features, the probe's inputs (fixed for the whole run; e.g. P rows
      of the training set).
    probe_directions: P × in_features, the directions u (fixed); None draws u ~ N(0, I)
      once, with `generator` (a torch.Generator, for reproducible runs).
    activation: φ of every hidden layer, when model is a list of Linear layers alone.
    ln_derivative: a callable z ↦ ln φ'(z) (elementwise, float64) for every hidden layer,
      overriding the one found from the modules.
    tanh_params: (a, n), declaring every hidden activation to be a·tanh(n·x): exact ln φ'
      and the `saturated` column.
    path: the CSV written (None: keep the rows in memory only, in `.rows`).
    run: the value of the run column.
    append: add rows to an existing file with the same header instead of rewriting it.
    hooks: install the hooks that capture the minibatch's pre-activations and ∂L/∂h_l.
    """

    def __init__(self, model, probe_inputs, probe_directions=None, *, activation=None,
                 ln_derivative=None, tanh_params=None, generator=None,
                 path="trajectories.csv", run=0, append=False, hooks=True):
        self.linears, modules = _parse_chain(model, activation)
        self.acts = [_resolve_act(m, ln_derivative, tanh_params) for m in modules]
        self.depth = len(self.acts)
        self.run = run
        self.diverged = False
        w0 = self.linears[0].weight
        device = w0.device
        x = torch.as_tensor(probe_inputs).detach().to(device=device, dtype=torch.float64)
        if x.dim() != 2 or x.shape[1] != w0.shape[1] or x.shape[0] < 1:
            raise ValueError(f"probe_inputs must be P × {w0.shape[1]} with P ≥ 1 (the first "
                             f"Linear's input), got {tuple(x.shape)}")
        if probe_directions is None:
            u = torch.randn(x.shape, generator=generator, dtype=torch.float64)
        else:
            u = torch.as_tensor(probe_directions).detach().to(dtype=torch.float64)
            if u.shape != x.shape:
                raise ValueError(f"probe_directions must have the shape of probe_inputs "
                                 f"{tuple(x.shape)}, got {tuple(u.shape)}")
        self.probe_inputs, self.probe_directions = x, u.to(device)
        k = self.depth
        self.header = ["run", "step", "loss", "gain", "ln_derivative_product", "saturated",
                       "probe_gain", "probe_ln_derivative_product", "diverged"]
        self.header += [f"grad_norm_{l}" for l in range(1, k + 2)]
        self.header += [f"weight_norm_{l}" for l in range(1, k + 2)]
        self.header += [f"probe_gain_{l}" for l in range(1, k + 1)]
        self.header += ["grad_underflow", "hidden_grad_underflow"]
        self.header += [f"grad_underflow_{l}" for l in range(1, k + 2)]
        self.rows = []
        self._file = None
        if path is not None:
            keep = append and os.path.exists(path) and os.path.getsize(path) > 0
            if keep:
                with open(path, newline="") as f:
                    have = next(csv.reader(f))
                if have != self.header:
                    raise ValueError(f"{path} has another header ({len(have)} columns); "
                                     f"this recorder writes {len(self.header)}")
            self._file = open(path, "a" if keep else "w", newline="")
            if not keep:
                self._file.write(",".join(self.header) + "\n")
                self._file.flush()
        self._handles = []
        self._z = [None] * k
        self._dh = [None] * k
        self._dh_underflow = [None] * k
        if hooks:
            self._install()

    # --- hooks -------------------------------------------------------------------------
    def _install(self):
        for l, lin in enumerate(self.linears):
            if l < self.depth:
                self._handles.append(lin.register_forward_hook(self._keep_z(l)))
            if l >= 1:
                self._handles.append(lin.register_forward_pre_hook(self._watch_h(l - 1)))

    def _keep_z(self, l):
        def hook(_module, _inputs, output):
            if not torch.is_grad_enabled():
                return
            if l == 0:  # a new forward pass
                self._z = [None] * self.depth
                self._dh = [None] * self.depth
                self._dh_underflow = [None] * self.depth
            self._z[l] = output.detach()

        return hook

    def _watch_h(self, l):
        def pre_hook(_module, inputs):
            if not torch.is_grad_enabled():
                return
            h = inputs[0]
            if h.requires_grad:
                def keep(grad):
                    self._dh[l] = _norm(grad)
                    self._dh_underflow[l] = _underflow(grad)
                h.register_hook(keep)

        return pre_hook

    def remove(self):
        """Takes the hooks off the model."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def close(self):
        """Removes the hooks and closes the file."""
        self.remove()
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # --- measurements ------------------------------------------------------------------
    def finite(self, loss):
        """Whether the loss and every weight gradient are finite (vanish train's test)."""
        loss = float(loss.detach()) if torch.is_tensor(loss) else float(loss)
        if not math.isfinite(loss):
            return False
        return all(lin.weight.grad is None or bool(torch.isfinite(lin.weight.grad).all())
                   for lin in self.linears)

    @torch.no_grad()
    def probe(self):
        """The probe at the current weights: (ln gain, [ln layer gains], ln derivative
        product), each the mean over the probe (src/nets/train.rs `Probe::measure`)."""
        h = self.probe_inputs
        p = h.shape[0]
        u = self.probe_directions
        v = u / torch.sqrt((u * u).sum(dim=1, keepdim=True))
        ln_layers, ln_dp = [], 0.0
        for lin, act in zip(self.linears, self.acts):
            w = lin.weight.detach().to(torch.float64)
            b = None if lin.bias is None else lin.bias.detach().to(torch.float64)
            z = torch.nn.functional.linear(h, w, b)
            m = z.shape[1]
            t = v @ w.T
            lnd = act.ln_derivative(z)
            ln_dp += float((lnd.sum(dim=1) / m).sum())
            # f64::max ignores NaN: so does this maximum.
            top = torch.where(torch.isnan(lnd), -math.inf, lnd).max(dim=1).values
            t = t * torch.exp(lnd - top[:, None])
            norm = torch.sqrt((t * t).sum(dim=1))
            layer = torch.where((top == -math.inf) | (norm == 0.0), -math.inf,
                                top + torch.log(norm))
            ln_layers.append(float(layer.sum()) / p)
            ok = (norm > 0.0) & torch.isfinite(norm)
            v = torch.where(ok[:, None], t / norm[:, None], t)
            h = act.phi(z).to(torch.float64)
        return sum(ln_layers), ln_layers, ln_dp / p

    def _minibatch(self, hidden_grad_norms, preactivations):
        k = self.depth
        dh = list(hidden_grad_norms) if hidden_grad_norms is not None else self._dh
        if len(dh) != k:
            raise ValueError(f"hidden_grad_norms needs K = {k} values, got {len(dh)}")
        gain = (float(dh[0]) / float(dh[k - 1])
                if dh[0] is not None and dh[k - 1] is not None else math.nan)
        zs = list(preactivations) if preactivations is not None else self._z
        if len(zs) != k:
            raise ValueError(f"preactivations needs K = {k} tensors, got {len(zs)}")
        if any(z is None for z in zs):
            return gain, math.nan, math.nan
        zs = [torch.as_tensor(z).detach().to(torch.float64) for z in zs]
        rows = zs[0].shape[0]
        ln_sum = 0.0
        for z, act in zip(zs, self.acts):
            width = z.shape[-1]
            ln_sum += float(act.ln_derivative(z).sum()) / width
        saturated = math.nan
        if all(a.tanh_params is not None for a in self.acts):
            count = total = 0
            for z, act in zip(zs, self.acts):
                t1 = vanish_threshold(*act.tanh_params)
                count += int((z.abs() > t1).sum())
                total += z.numel()
            saturated = count / total
        return gain, ln_sum / rows, saturated

    def record(self, step, loss, hidden_grad_norms=None, preactivations=None):
        """Writes the record of `step` and returns it as a dict.

        Call it after loss.backward() and before optimizer.step(): the weights, their
        gradients and the hooks' capture are those of the minibatch of `loss`.
        hidden_grad_norms: ‖∂L/∂h_l‖ for l = 1…K, instead of the hooks' (e.g. your own).
        preactivations: the minibatch's z_l (rows × width), l = 1…K, instead of the hooks'.
        """
        loss = float(loss.detach()) if torch.is_tensor(loss) else float(loss)
        gain, ln_dp, saturated = self._minibatch(hidden_grad_norms, preactivations)
        self._z = [None] * self.depth
        self._dh = [None] * self.depth
        hidden_under, self._dh_underflow = self._dh_underflow, [None] * self.depth
        under = [_underflow(lin.weight.grad) if lin.weight.grad is not None else math.nan
                 for lin in self.linears]
        hidden_under = (math.nan if any(c is None for c in hidden_under)
                        else sum(hidden_under))
        grads = [_norm(lin.weight.grad) if lin.weight.grad is not None else math.nan
                 for lin in self.linears]
        weights = [_norm(lin.weight) for lin in self.linears]
        ln_gain, ln_layers, probe_ln_dp = self.probe()
        diverged = not self.finite(loss)
        self.diverged = self.diverged or diverged

        def exp(v):
            return math.exp(v) if not math.isnan(v) else math.nan

        values = ([self.run, int(step), loss, gain, ln_dp, saturated, exp(ln_gain), probe_ln_dp,
                   "true" if diverged else "false"]
                  + grads + weights + [exp(v) for v in ln_layers]
                  + [sum(under), hidden_under] + under)
        row = dict(zip(self.header, values))
        self.rows.append(row)
        if self._file is not None:
            text = [str(v) if isinstance(v, (int, str)) else _fmt(v) for v in values]
            self._file.write(",".join(text) + "\n")
            self._file.flush()
        return row


# --- the check: replay a `vanish train --dump DIR` run ---------------------------------------
def _load_dump(d):
    """The dump of `vanish train --dump DIR`, as scripts/replay_torch.py reads it."""
    spec = json.load(open(os.path.join(d, "spec.json")))
    net = json.load(open(os.path.join(d, "network.json")))
    probe = json.load(open(os.path.join(d, "probe.json")))
    rows = list(csv.reader(open(os.path.join(d, "data.csv"))))
    header, rows = rows[0], rows[1:]
    x = torch.tensor([[float(v) for v in r[:-1]] for r in rows], dtype=torch.float64)
    classify = header[-1] == "label"
    y = (torch.tensor([int(r[-1]) for r in rows]) if classify
         else torch.tensor([[float(r[-1])] for r in rows], dtype=torch.float64))
    batches = [[int(v) for v in r[1:]]
               for r in list(csv.reader(open(os.path.join(d, "batches.csv"))))[1:]]
    return spec, net, probe, x, y, classify, batches


def _activation_module(act):
    if act["kind"] == "tanh":
        return ScaledTanh(act["a"], act["n"])
    if act["kind"] == "relu":
        return torch.nn.ReLU()
    if act["kind"] == "leaky_relu":
        return torch.nn.LeakyReLU(act["alpha"])
    return torch.nn.Sigmoid()


def _rel(mine, ref):
    if mine == ref or (math.isnan(mine) and math.isnan(ref)):
        return 0.0
    if math.isnan(mine) or math.isnan(ref) or math.isinf(mine) or math.isinf(ref):
        return math.inf
    return abs(mine - ref) / abs(ref) if ref != 0 else abs(mine - ref)


def compare(mine_path, ref_path):
    """Per column, the largest relative difference of mine_path against ref_path; the
    worst of them; the largest over the first record's columns; and the problems that are
    not differences of numbers (header, rows, run, step, diverged)."""
    read = lambda p: list(csv.reader(open(p, newline="")))  # noqa: E731
    mine, ref = read(mine_path), read(ref_path)
    problems = []
    if mine[0] != ref[0]:
        problems.append(f"headers differ: {mine[0]} vs {ref[0]}")
        return {}, None, 0.0, problems
    header = ref[0]
    if len(mine) != len(ref):
        problems.append(f"{len(mine) - 1} records vs {len(ref) - 1}")
    exact = {"run", "step", "diverged"}
    worst = {c: 0.0 for c in header if c not in exact}
    first = 0.0
    at = None
    for i, (a, b) in enumerate(zip(mine[1:], ref[1:])):
        for c, va, vb in zip(header, a, b):
            if c in exact:
                if va != vb:
                    problems.append(f"{c}: {va} vs {vb} (step {b[1]})")
                continue
            r = _rel(float(va), float(vb))
            if i == 0:
                first = max(first, r)
            if r > worst[c]:
                worst[c] = r
                if at is None or r > at["rel"]:
                    at = {"column": c, "step": int(b[1]), "rel": r, "torch": va, "vanish": vb}
    return worst, at, first, problems


def replay(d, out, tolerance):
    """Replays the dump in `d` with a GainRecorder into `out`; returns the report and
    whether it is within `tolerance`."""
    torch.set_default_dtype(torch.float64)
    spec, net, probe, x, y, classify, batches = _load_dump(d)
    mods = []
    for i, layer in enumerate(net["layers"]):
        w = torch.tensor(layer["weight"], dtype=torch.float64)
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(w)
            lin.bias.copy_(torch.tensor(layer["bias"], dtype=torch.float64))
        mods.append(lin)
        if i + 1 < len(net["layers"]):
            mods.append(_activation_module(net["activation"]))
    model = torch.nn.Sequential(*mods)
    linears = [m for m in mods if isinstance(m, torch.nn.Linear)]

    traj_path = os.path.join(d, "trajectory.csv")
    traj = list(csv.DictReader(open(traj_path, newline="")))
    steps_to_record = {int(r["step"]) for r in traj}
    run = int(traj[0]["run"]) if traj else 0

    opt_spec = spec["optimizer"]
    scale = spec["hidden_lr_scale"]
    groups = [
        {"params": [p for lin in linears[:-1] for p in lin.parameters()],
         "lr": opt_spec["lr"] * scale},
        {"params": list(linears[-1].parameters()), "lr": opt_spec["lr"]},
    ]
    if opt_spec["kind"] == "sgd":
        opt = torch.optim.SGD(groups, lr=opt_spec["lr"], momentum=opt_spec["momentum"])
    else:
        opt = torch.optim.Adam(groups, lr=opt_spec["lr"], betas=tuple(opt_spec["betas"]),
                               eps=opt_spec["eps"])
    loss_fn = torch.nn.functional.cross_entropy if classify else torch.nn.functional.mse_loss

    probe_x = x[torch.tensor(probe["rows"], dtype=torch.long)]
    probe_u = torch.tensor(probe["directions"], dtype=torch.float64)
    with GainRecorder(model, probe_x, probe_u, path=out, run=run) as rec:
        for step, rows_of_step in enumerate(batches):
            idx = torch.tensor(rows_of_step)
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            finite = rec.finite(loss)
            if step in steps_to_record or not finite:
                rec.record(step, loss)
            if not finite:
                break
            if step < spec["steps"]:
                opt.step()

    worst, at, first, problems = compare(out, traj_path)
    json_num = lambda v: v if math.isfinite(v) else None  # noqa: E731
    bad = sorted(c for c, v in worst.items() if not v <= tolerance)
    ok = not problems and not bad
    report = {
        "torch": torch.__version__,
        "dir": d,
        "out": out,
        "optimizer": opt_spec["kind"],
        "activation": net["activation"],
        "records": len(traj),
        "tolerance": tolerance,
        "max_rel_diff": {c: json_num(v) for c, v in worst.items()},
        "worst": None if at is None else dict(at, rel=json_num(at["rel"])),
        "first_record_max_rel_diff": json_num(first),
        "over_tolerance": bad,
        "problems": problems,
        "ok": ok,
    }
    return report, ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replay", metavar="DIR", required=True,
                    help="a `vanish train --dump DIR` folder to replay and compare")
    ap.add_argument("--out", metavar="FILE", help="the recorded CSV (default DIR/recorder.csv)")
    ap.add_argument("--tolerance", type=float, default=1e-10,
                    help="largest relative difference allowed per column (default 1e-10)")
    a = ap.parse_args()
    out = a.out or os.path.join(a.replay, "recorder.csv")
    report, ok = replay(a.replay, out, a.tolerance)
    print(json.dumps(report))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
