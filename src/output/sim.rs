//! The terminal table of `vanish sim`: the run, the probabilities with their intervals, the
//! `--method` estimates, the law of log10 g and the per-factor statistics.

use crate::methods::Method;
use crate::model::source::Source;
use crate::nets::network::Quantity;
use crate::output::format::{decimals4, probability, significant};
use crate::output::results::{BELOW_F64, QUANTILES, Side, SimResults, Tails};

/// The whole table, as `vanish sim` prints it.
pub fn table(r: &SimResults, elapsed: f64, threads: usize) -> String {
    let mut t = String::new();
    source(&mut t, r);
    probabilities(&mut t, r);
    methods(&mut t, r);
    law(&mut t, r);
    factors(&mut t, r);
    timing(&mut t, r, elapsed, threads);
    t
}

/// The run: what g is, of which activation and source, N and the seed.
fn source(out: &mut String, r: &SimResults) {
    let (e, s) = (&r.experiment, &r.summary);
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    match &e.source() {
        Source::Iid { dist } => line(format!(
            "g = Π f'(x_i), f = {}, x_i ~ iid {}, K = {}, N = {}, seed {}",
            e.activation(),
            dist,
            e.depth(),
            s.samples,
            e.seed()
        )),
        Source::Network { network, quantity } => {
            let g = match quantity {
                Quantity::Path => "Π_l f'(x^l_i) along a random path of units",
                Quantity::Layer => "exp Σ_l mean_i ln f'(x^l_i)",
                Quantity::Jacobian => "‖J·u‖²/‖u‖², J = ∂y^K/∂y^0",
            };
            let w = &network.widths;
            let widths = if w.iter().all(|&v| v == w[0]) {
                format!("width {}", w[0])
            } else {
                format!("widths {w:?}")
            };
            line(format!("g = {g}, f = {}", e.activation()));
            line(format!(
                "network: K = {} layers, {widths}, {} weights, σ_w = {}, σ_b = {}; input {} × {}; N = {} draws, seed {}",
                e.depth(),
                network.init,
                network.sigma_w,
                network.sigma_b,
                network.input_dim,
                network.input,
                s.samples,
                e.seed()
            ));
        }
    }
}

/// P(vanish), P(explode) and P(between) with their Wilson and Clopper–Pearson intervals.
fn probabilities(out: &mut String, r: &SimResults) {
    let e = &r.experiment;
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    line(String::new());
    line(format!(
        "{:<22} {:>10}  {:<24} {}",
        "", "p", "95% Wilson", "95% Clopper-Pearson"
    ));
    for (label, est) in [
        (format!("P(vanish)  g < {:e}", e.vanish_below()), &r.vanish),
        (
            format!("P(explode) g > {:e}", e.explode_above()),
            &r.explode,
        ),
        ("P(between)".to_string(), &r.between),
    ] {
        let interval = |(lo, hi): (f64, f64)| format!("[{}, {}]", probability(lo), probability(hi));
        let cp = match est.upper_bound_95 {
            Some(u) => format!("none seen: p < {} (95%)", probability(u)),
            None => interval(est.clopper_pearson),
        };
        line(format!(
            "{label:<22} {:>10}  {:<24} {cp}",
            probability(est.p),
            interval(est.wilson)
        ));
    }
}

/// The `--method` estimates beside Monte Carlo, and how far Monte Carlo is from each.
fn methods(out: &mut String, r: &SimResults) {
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    let has_exact = r.methods.iter().any(|m| m.method == Method::Exact);
    if !r.methods.is_empty() {
        line(String::new());
        line(format!(
            "{:<10} {:<28} {:<28} {}",
            "method", "P(vanish)", "P(explode)", "MC off by (SE)"
        ));
        for m in &r.methods {
            let show = |p: &crate::methods::law::Probability, vanish: bool| {
                if p.p.is_nan() {
                    return "n/a".to_string();
                }
                method_cell(p, &r.tails(m, vanish))
            };
            let (zv, ze) = r.mc_off_by(m);
            let z = |z: f64| {
                if z.is_nan() {
                    "n/a".to_string()
                } else {
                    format!("{z:+.2}")
                }
            };
            // Each approximation's relative distance from exact's bracket (0 inside).
            let off = |vanish: bool| {
                r.off_exact(m, vanish).map_or("n/a".to_string(), |o| {
                    if o == 0.0 {
                        "in".to_string()
                    } else {
                        format!("{o:+.1e}")
                    }
                })
            };
            let vs_exact = if has_exact && m.method != Method::Exact {
                format!("   vs exact: {}, {}", off(true), off(false))
            } else {
                String::new()
            };
            line(format!(
                "{:<10} {:<28} {:<28} {}, {}{vs_exact}",
                m.method.to_string(),
                show(&m.vanish, true),
                show(&m.explode, false),
                z(zv),
                z(ze)
            ));
        }
        for m in r.methods.iter().filter(|m| m.method == Method::Is) {
            // With --rel-err the sample size is the sampler's: say how many and whether
            // the target was met.
            let said = |t: Option<crate::methods::importance::LogTail>| {
                t.and_then(|t| t.rel_err_met.map(|met| (t.samples, met)))
            };
            if let (Some((nv, mv)), Some((ne, me))) = (said(m.vanish_log), said(m.explode_log)) {
                let met = |ok: bool| if ok { "met" } else { "not met (--samples cap)" };
                line(format!(
                    "is: {nv} and {ne} samples (vanish, explode); --rel-err {}, {}",
                    met(mv),
                    met(me)
                ));
            }
        }
        for m in r.methods.iter().filter(|m| m.method == Method::Exact) {
            if let (Some(v), Some(e)) = (m.vanish_bracket, m.explode_bracket) {
                bracket_lines(&mut line, &v, &e);
            }
        }
    }
}

/// exact's bracket: `P(vanish) in [lower, upper]` (as 1 − q near 1, in log10 below f64),
/// its relative width, and whether it met `--tol`.
fn bracket_lines(
    line: &mut impl FnMut(String),
    v: &crate::methods::bracket::TailBracket,
    e: &crate::methods::bracket::TailBracket,
) {
    let show = |b: &crate::methods::bracket::TailBracket| {
        let near_one = b.estimate.ln_complement < b.estimate.ln_p;
        let (lo, hi) = if near_one {
            (b.upper, b.lower) // 1 − p's bracket: [1 − upper, 1 − lower]
        } else {
            (b.lower, b.upper)
        };
        let value = |x: &crate::methods::bracket::LnProb| {
            let (ln, log10) = if near_one {
                (x.ln_complement, x.log10_complement())
            } else {
                (x.ln_p, x.log10_p())
            };
            if ln == f64::NEG_INFINITY {
                "0".to_string()
            } else if ln.exp() > 0.0 {
                format!("{:.5e}", ln.exp())
            } else {
                format!("10^{log10:.4}")
            }
        };
        let range = format!("[{}, {}]", value(&lo), value(&hi));
        if near_one {
            format!("1 - q, q in {range}")
        } else {
            range
        }
    };
    let width = |b: &crate::methods::bracket::TailBracket| {
        let w = b.relative_width();
        if w.is_nan() {
            "n/a (no estimate)".into()
        } else if w == f64::INFINITY {
            "unbounded".into()
        } else if w == 0.0 {
            "0".into()
        } else if w > 10.0 {
            // Wider than the estimate itself: say how many decades it spans.
            let (lo, hi) = if b.estimate.ln_complement < b.estimate.ln_p {
                (b.upper.log10_complement(), b.lower.log10_complement())
            } else {
                (b.lower.log10_p(), b.upper.log10_p())
            };
            format!("{:.1} decades", hi - lo)
        } else {
            format!("{w:.1e}")
        }
    };
    line(format!(
        "exact bracket (holds): P(vanish) {}, P(explode) {}",
        show(v),
        show(e)
    ));
    let met = if v.met && e.met {
        "--tol met".to_string()
    } else {
        "wider than --tol: the --exact-memory cap stopped the refinement; the bracket still holds"
            .to_string()
    };
    line(format!(
        "  relative widths {}, {}: {met}",
        width(v),
        width(e)
    ));
}

/// A method's probability: `1-q` near 1, the error beside a number; a side below the range
/// of f64 as `10^-1234.5` (with the relative error of importance sampling) or
/// `< 1e-308 (below f64)`, never as 0.
fn method_cell(p: &crate::methods::law::Probability, t: &Tails) -> String {
    let near_one = p.p > 0.999;
    let side = if near_one { &t.complement } else { &t.p };
    let value = match side {
        // Exactly 0 only beyond the cap g ≤ (max f')^K or for a point mass: no error.
        Side::Value(q) if *q == 0.0 && near_one => return "1 (certain)".into(),
        Side::Value(q) if *q == 0.0 => return "0 (impossible)".into(),
        Side::Value(q) if near_one => format!("1-{q:.3e}"),
        Side::Value(_) => significant(p.p, 4),
        Side::BelowF64 if near_one => format!("1-q, q {BELOW_F64}"),
        other if near_one => format!("1-{}", other.shown()),
        other => other.shown(),
    };
    match (side, t.rare) {
        (Side::Value(_), _) if !p.error.is_nan() => format!("{value} ±{:.1e}", p.error),
        (Side::Log10(_), Some(rare)) if rare.relative_error.is_finite() => {
            format!("{value} ±{}%", significant(100.0 * rare.relative_error, 2))
        }
        _ => value,
    }
}

/// The law of log10 g: mean, sd, cap, theory, quantiles, and what did not fit the histogram.
fn law(out: &mut String, r: &SimResults) {
    let (e, s) = (&r.experiment, &r.summary);
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    line(String::new());
    let m = &s.log10_g;
    let cap = if s.log10_cap().is_finite() {
        format!("cap {} (g ≤ (max f')^K)", significant(s.log10_cap(), 5))
    } else {
        "no cap (the weights multiply in)".to_string()
    };
    line(match r.log10_g_undefined() {
        Some(why) => format!("log10 g: mean n/a: {why}; {cap}"),
        None => format!(
            "log10 g: mean {} ± {} (1 se), sd {}, {cap}",
            significant(m.mean(), 5),
            significant(m.std_error(), 2),
            significant(m.variance().sqrt(), 4),
        ),
    });
    if let Source::Network { network, quantity } = &e.source() {
        network_lines(&mut line, r, network, *quantity);
    }
    if let Some(t) = r.theory {
        // ln g is a sum of K iid factors: its mean and variance follow exactly.
        let k = f64::from(e.depth());
        line(format!(
            "  theory: mean {}, sd {} (K·E[ln f'], √(K·Var[ln f']), over ln 10)",
            significant(k * t.mean_ln_derivative / std::f64::consts::LN_10, 5),
            significant(
                (k * t.var_ln_derivative).sqrt() / std::f64::consts::LN_10,
                4
            )
        ));
    }
    let qs: Vec<String> = QUANTILES
        .iter()
        .zip(&r.quantiles)
        .map(|(&q, v)| format!("{}%: {}", q * 100.0, significant(v.0, 4)))
        .collect();
    line(format!("  quantiles  {}", qs[..5].join("  ")));
    line(format!("             {}", qs[5..].join("  ")));
    let unbinned = s.unbinned_below + s.unbinned_above;
    if s.zero + s.not_a_number + unbinned > 0 {
        line(format!(
            "  non-finite: {} with g = 0, {} NaN; {} more than 4e15 decades from the median",
            s.zero, s.not_a_number, unbinned
        ));
    }
    if r.quantile_resolution() > 0.1 {
        line(format!(
            "  quantile resolution: {} decades (the widest bucket holding a quantile)",
            significant(r.quantile_resolution(), 2)
        ));
    }
}

/// Per factor: the mean and variance of ln f'(x) and the fractions beyond the thresholds.
fn factors(out: &mut String, r: &SimResults) {
    let (e, s) = (&r.experiment, &r.summary);
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    line(String::new());
    let f = &s.factors;
    let (above, below) = r.factor_fractions();
    let th = r.theory;
    line(format!(
        "{:<32} {:>22}  {:>14}",
        format!("per factor ({} factors)", f.total()),
        "simulated",
        th.map_or("", |_| "theory")
    ));
    let theory_col = |v: Option<f64>| v.map_or(String::new(), |v| significant(v, 6));
    match r.ln_derivative_undefined() {
        Some(why) => {
            line(format!("  {:<30} n/a: {why}", "mean ln f'(x)"));
            line(format!("  {:<30} n/a: as the mean", "var ln f'(x)"));
        }
        None => {
            line(format!(
                "  {:<30} {:>22}  {:>14}",
                "mean ln f'(x)",
                format!(
                    "{} ± {}",
                    significant(f.ln_derivative.mean(), 6),
                    significant(f.ln_derivative.std_error(), 2)
                ),
                theory_col(th.map(|t| t.mean_ln_derivative))
            ));
            line(format!(
                "  {:<30} {:>22}  {:>14}",
                "var ln f'(x)",
                significant(f.ln_derivative.variance(), 6),
                theory_col(th.map(|t| t.var_ln_derivative))
            ));
        }
    }
    let (above_label, below_label) = match e.activation().tanh_params() {
        Some((a, n)) => (
            format!(
                "f' > 1 (|x| < e = {})",
                significant(crate::theory::iid::explode_threshold(a, n), 4)
            ),
            format!(
                "f' < 1/{} (|x| > t1 = {})",
                decimals4(a * n),
                significant(crate::theory::iid::vanish_threshold(a, n), 4)
            ),
        ),
        None => ("f' > 1".to_string(), "f' < 1/max f'".to_string()),
    };
    line(format!(
        "  {above_label:<30} {:>22}  {:>14}",
        significant(above, 6),
        theory_col(th.and_then(|t| t.p_above_one))
    ));
    line(format!(
        "  {below_label:<30} {:>22}  {:>14}",
        significant(below, 6),
        theory_col(th.and_then(|t| t.p_below_inverse_max))
    ));
    if let Some(t) = th {
        line(format!("  (theory: {})", t.method));
    }
    if !r.x_has_finite_mean() {
        line(
            "  note: E|x| is infinite for this distribution, so E[ln f'(x)] does not exist;".into(),
        );
        line("        the per-factor mean and variance above describe this sample only".into());
    }
    if f.infinite_x > 0 {
        line(format!("  {} draws of x were ±∞ (f' = 0)", f.infinite_x));
    }
}

/// The time, the threads and the rate.
fn timing(out: &mut String, r: &SimResults, elapsed: f64, threads: usize) {
    let (e, s) = (&r.experiment, &r.summary);
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    line(String::new());
    line(match e.source() {
        Source::Iid { .. } => format!(
            "{:.2} s on {threads} threads ({} derivatives/s)",
            elapsed,
            significant(s.samples as f64 * f64::from(e.depth()) / elapsed, 3)
        ),
        Source::Network { .. } => format!(
            "{:.2} s on {threads} threads ({} networks/s)",
            elapsed,
            significant(s.samples as f64 / elapsed, 3)
        ),
    });
}

/// The mean-field lines of a network run: the simulated mean beside the prediction.
fn network_lines(
    line: &mut impl FnMut(String),
    r: &SimResults,
    network: &crate::nets::network::Network,
    quantity: Quantity,
) {
    let Some(p) = network.prediction(&r.experiment.activation()) else {
        return;
    };
    let lin = &r.summary.linear;
    match quantity {
        Quantity::Jacobian => line(format!(
            "  E[g]: log10 {} (relative se {}); mean field (W_K/d)·Πχ(q^l): log10 {}",
            significant(lin.ln_mean() / std::f64::consts::LN_10, 5),
            significant(lin.relative_se(), 2),
            significant(p.ln_mean_gain / std::f64::consts::LN_10, 5)
        )),
        Quantity::Path | Quantity::Layer => line(format!(
            "  mean field: mean log10 g {} (Σ_l E[ln f'(√q^l·z)] / ln 10)",
            significant(p.mean_ln_path / std::f64::consts::LN_10, 5)
        )),
    }
    let fp = crate::theory::meanfield::MeanField {
        activation: r.experiment.activation(),
        sigma_w: network.sigma_w,
        sigma_b: network.sigma_b,
    }
    .fixed_point();
    line(format!(
        "  mean field: q^K {}, q* {}, χ1 {} ({}), ξ_c {}",
        significant(*p.q.last().expect("K ≥ 1"), 4),
        significant(fp.q_star, 4),
        significant(fp.chi1, 5),
        fp.phase(),
        significant(fp.xi_c, 3)
    ));
}
