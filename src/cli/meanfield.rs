//! `vanish meanfield`: the mean-field theory of wide random networks, at one (σ_w, σ_b) or
//! over a grid of them (the phase diagram), with the order/chaos boundary.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::error::ConfigError;
use crate::model::activation::Activation;
use crate::output::files::{csv_text, prepare_out_dir, write_atomic};
use crate::output::results::{fmt, num};
use crate::theory::meanfield::{FixedPoint, MeanField, critical_sigma_w};

const EXAMPLES: &str = "Examples:
  vanish meanfield --sigma-w 1.5 --sigma-b 0.05
  vanish meanfield --n 2 --sigma-w 0.5:3:0.25 --sigma-b 0,0.1,0.3 --out runs/phase
  vanish meanfield --activation relu --sigma-w 1,1.414,2 --sigma-b 0.1 --json

Weights N(0, σ_w²/fan_in), biases N(0, σ_b²). q* is the fixed point of the length map
q ↦ σ_w²·E[φ(√q·z)²] + σ_b²; χ1 = σ_w²·E[φ'(√q*·z)²] is the gain of E‖Ju‖² per layer:
χ1 < 1 ordered (gradients vanish), χ1 > 1 chaotic (they explode). c* is the stable fixed
point of the correlation map and ξ_q, ξ_c the depth scales (Schoenholz et al. 2017).";

/// The raw flags of `vanish meanfield`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct MeanFieldArgs {
    /// The activation: tanh, lecun, relu, leaky-relu(α), sigmoid.
    #[arg(long, default_value = "tanh")]
    activation: String,
    /// Slope n of a·tanh(n·x) [default: 2].
    #[arg(short, long, value_parser = super::parse_finite, allow_negative_numbers = true)]
    n: Option<f64>,
    /// Amplitude a of a·tanh(n·x) [default: 1].
    #[arg(short, long, value_parser = super::parse_finite, allow_negative_numbers = true)]
    a: Option<f64>,
    /// σ_w: one value, a list `1,1.5` or a range `start:stop:step`.
    #[arg(long, default_value = "1", allow_hyphen_values = true)]
    sigma_w: String,
    /// σ_b: one value, a list or a range.
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    sigma_b: String,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(short = 'j', long)]
    threads: Option<usize>,
    /// Write phase.csv, phase.json and critical.csv into this folder.
    #[arg(short, long)]
    pub(super) out: Option<PathBuf>,
    /// Also draw the run's figures into --out as SVG files (as `vanish plot` does).
    #[arg(long)]
    pub(super) plot: bool,
    /// Print JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
}

/// Most (σ_w, σ_b) pairs in one run. An ordered point takes microseconds; a chaotic one
/// needs 2-D integrals whose cost grows with n²·q*: 10 ms near σ_w = 2, 1 s at σ_w = 30
/// for tanh(2x).
const MAX_POINTS: usize = 100_000;

pub(super) fn run(args: MeanFieldArgs) -> anyhow::Result<()> {
    super::tanh_flags_fit(&args.activation, args.n.is_some(), args.a.is_some())?;
    let activation = Activation::parse(
        &args.activation,
        args.a.unwrap_or(1.0),
        args.n.unwrap_or(2.0),
    )?;
    let sigma_w = super::parse_values("--sigma-w", &args.sigma_w)?;
    let sigma_b = super::parse_values("--sigma-b", &args.sigma_b)?;
    for (&w, &b) in sigma_w.iter().zip(sigma_b.iter().cycle()) {
        MeanField::new(activation, w, b)?;
    }
    for &b in &sigma_b {
        MeanField::new(activation, sigma_w[0], b)?;
    }
    if sigma_w.len() * sigma_b.len() > MAX_POINTS {
        return Err(ConfigError::new(
            "--sigma-w",
            format!(
                "{} × {} points; at most {MAX_POINTS}",
                sigma_w.len(),
                sigma_b.len()
            ),
        )
        .into());
    }
    let threads = super::threads(args.threads)?;
    let out = args.out.as_deref().map(prepare_out_dir).transpose()?;
    let pool = super::pool(threads)?;
    let cells: Vec<(f64, f64)> = sigma_b
        .iter()
        .flat_map(|&b| sigma_w.iter().map(move |&w| (w, b)))
        .collect();
    let (points, critical): (Vec<FixedPoint>, Vec<Option<f64>>) = pool.install(|| {
        (
            cells
                .par_iter()
                .map(|&(w, b)| {
                    MeanField::new(activation, w, b)
                        .expect("checked")
                        .fixed_point()
                })
                .collect(),
            sigma_b
                .par_iter()
                .map(|&b| critical_sigma_w(activation, b))
                .collect(),
        )
    });

    let header: Vec<String> = [
        "activation",
        "sigma_w",
        "sigma_b",
        "q_star",
        "chi1",
        "c_star",
        "chi_c",
        "xi_q",
        "xi_c",
        "phase",
        "critical_sigma_w",
    ]
    .map(String::from)
    .to_vec();
    let critical_of = |b: f64| {
        let i = sigma_b.iter().position(|&v| v == b).expect("a grid value");
        critical[i]
    };
    let rows: Vec<Vec<String>> = cells
        .iter()
        .zip(&points)
        .map(|(&(w, b), p)| {
            vec![
                activation.to_string(),
                fmt(w),
                fmt(b),
                fmt(p.q_star),
                fmt(p.chi1),
                fmt(p.c_star),
                fmt(p.chi_c),
                fmt(p.xi_q),
                fmt(p.xi_c),
                p.phase().to_string(),
                critical_of(b).map_or("nan".into(), fmt),
            ]
        })
        .collect();
    let json = json!({
        "activation": activation.to_string(),
        "quadrature": "closed forms for relu and leaky-relu; trapezoid rule in z (step 0.15/(n·√q) in 1-D, 0.3/(n·√q) in 2-D; 1-D error below 1e-13) for tanh and sigmoid",
        "points": cells.iter().zip(&points).map(|(&(w, b), p)| json!({
            "sigma_w": w, "sigma_b": b, "q_star": num(p.q_star), "chi1": num(p.chi1),
            "c_star": num(p.c_star), "chi_c": num(p.chi_c), "xi_q": num(p.xi_q),
            "xi_c": num(p.xi_c), "phase": p.phase(),
        })).collect::<Vec<Value>>(),
        "critical": sigma_b.iter().zip(&critical).map(|(&b, c)| json!({
            "sigma_b": b, "sigma_w": c.map_or(Value::Null, num),
        })).collect::<Vec<Value>>(),
    });
    let pretty = {
        let mut t = serde_json::to_string_pretty(&json).expect("serialisable");
        t.push('\n');
        t
    };
    if let Some(dir) = out {
        let crit_rows: Vec<Vec<String>> = sigma_b
            .iter()
            .zip(&critical)
            .map(|(&b, c)| vec![activation.to_string(), fmt(b), c.map_or("nan".into(), fmt)])
            .collect();
        let crit_header = ["activation", "sigma_b", "critical_sigma_w"].map(String::from);
        for (name, body) in [
            ("phase.csv", csv_text(&header, &rows)),
            ("critical.csv", csv_text(&crit_header, &crit_rows)),
            ("phase.json", pretty.clone()),
        ] {
            let path = dir.join(name);
            write_atomic(&path, body.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if args.json {
        return super::print_stdout(&pretty);
    }
    let mut t =
        format!("mean field of {activation}: weights N(0, σ_w²/fan_in), biases N(0, σ_b²)\n\n");
    t.push_str(&format!(
        "{:>8} {:>8} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9}  {}\n",
        "σ_w", "σ_b", "q*", "χ1", "c*", "χ_c", "ξ_q", "ξ_c", "phase"
    ));
    let g = |v: f64| {
        if v.is_finite() {
            format!("{:.6}", v)
        } else {
            fmt(v)
        }
    };
    let d = |v: f64| {
        if v.is_finite() {
            format!("{:.3}", v)
        } else {
            fmt(v)
        }
    };
    for (&(w, b), p) in cells.iter().zip(&points) {
        t.push_str(&format!(
            "{:>8} {:>8} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9}  {}\n",
            fmt(w),
            fmt(b),
            g(p.q_star),
            g(p.chi1),
            g(p.c_star),
            g(p.chi_c),
            d(p.xi_q),
            d(p.xi_c),
            p.phase()
        ));
    }
    t.push_str("\norder/chaos boundary (χ1 = 1):\n");
    for (&b, c) in sigma_b.iter().zip(&critical) {
        t.push_str(&format!(
            "  σ_b = {:<8} critical σ_w = {}\n",
            fmt(b),
            c.map_or("none in [0.001, 100]".to_string(), |c| format!("{c:.6}"))
        ));
    }
    super::print_stdout(&t)
}
