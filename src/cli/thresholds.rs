//! `vanish thresholds`: the seed's thresholds for a list of slopes n.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use crate::error::ConfigError;
use crate::output::files::{csv_text, prepare_out_dir, write_atomic};
use crate::output::results::{fmt, num};
use crate::theory::iid::{
    depth_threshold, explode_threshold, vanish_threshold, widest_explode_threshold,
    widest_vanish_threshold,
};

const EXAMPLES: &str = "Examples:
  vanish thresholds --n 1,1.5,1.81,2,3 --depth 50
  vanish thresholds --n 1:4:0.5 --a 1.7159 --json

For f(x) = a·tanh(n·x), f' peaks at a·n:
  t1    = acosh(a·n)/n           beyond ±t1, f'(x) < 1/(a·n)  (cancels one maximal factor)
  e     = acosh(√(a·n))/n        inside ±e,  f'(x) > 1        (the explode side)
  depth = acosh((a·n)^(K/2))/n   beyond it, one factor cancels K−1 maximal ones";

/// The raw flags of `vanish thresholds`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ThresholdsArgs {
    /// Slopes n: a list `1,1.5,2` or an inclusive range `start:stop:step`.
    #[arg(short, long, default_value = "1,1.5,1.81,2,3")]
    n: String,
    /// Amplitude a of a·tanh(n·x).
    #[arg(short, long, default_value_t = 1.0, value_parser = super::parse_finite, allow_negative_numbers = true)]
    a: f64,
    /// K, for the depth threshold.
    #[arg(short = 'k', long, default_value = "50", value_parser = super::parse_depth)]
    depth: u32,
    /// Print JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// Write thresholds.csv and thresholds.json into this folder.
    #[arg(short, long)]
    pub(super) out: Option<PathBuf>,
    /// Also draw the run's figures into --out as SVG files (as `vanish plot` does).
    #[arg(long)]
    pub(super) plot: bool,
}

struct Row {
    n: f64,
    t1: f64,
    e: f64,
    depth: f64,
}

pub(super) fn run(args: ThresholdsArgs) -> anyhow::Result<()> {
    let ns = super::parse_values("--n", &args.n)?;
    for &n in &ns {
        crate::model::activation::Activation::scaled_tanh(args.a, n)?;
    }
    crate::model::activation::Activation::scaled_tanh(args.a, 1.0)?;
    if args.depth == 0 || args.depth > crate::model::MAX_DEPTH {
        return Err(ConfigError::new(
            "--depth",
            format!(
                "must be an integer from 1 to {}, got {}",
                crate::model::MAX_DEPTH,
                args.depth
            ),
        )
        .into());
    }
    let out = args.out.as_deref().map(prepare_out_dir).transpose()?;
    let (a, k) = (args.a, args.depth);
    let rows: Vec<Row> = ns
        .iter()
        .map(|&n| Row {
            n,
            t1: vanish_threshold(a, n),
            e: explode_threshold(a, n),
            depth: depth_threshold(a, n, k),
        })
        .collect();
    let (nt, t1_max) = widest_vanish_threshold(a);
    let (ne, e_max) = widest_explode_threshold(a);

    let json = json!({
        "a": a,
        "depth": k,
        "rows": rows.iter().map(|r| json!({
            "n": r.n, "peak_derivative": num(a * r.n), "t1": num(r.t1), "e": num(r.e),
            "depth_threshold": num(r.depth),
        })).collect::<Vec<_>>(),
        "widest_t1": {"n": num(nt), "t1": num(t1_max)},
        "widest_e": {"n": num(ne), "e": num(e_max)},
    });
    let header: Vec<String> = [
        "a",
        "n",
        "peak_derivative",
        "t1",
        "e",
        "depth",
        "depth_threshold",
    ]
    .map(String::from)
    .to_vec();
    let csv_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                fmt(a),
                fmt(r.n),
                fmt(a * r.n),
                fmt(r.t1),
                fmt(r.e),
                k.to_string(),
                fmt(r.depth),
            ]
        })
        .collect();
    if let Some(dir) = out {
        let mut text = serde_json::to_string_pretty(&json).expect("serialisable");
        text.push('\n');
        for (name, body) in [
            ("thresholds.csv", csv_text(&header, &csv_rows)),
            ("thresholds.json", text),
        ] {
            let path = dir.join(name);
            write_atomic(&path, body.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if args.json {
        let mut text = serde_json::to_string_pretty(&json).expect("serialisable");
        text.push('\n');
        return super::print_stdout(&text);
    }
    let mut t = format!("f(x) = {a}·tanh(n·x), K = {k}\n\n");
    t.push_str(&format!(
        "{:>8} {:>10} {:>10} {:>10} {:>16}\n",
        "n",
        "max f'",
        "t1",
        "e",
        format!("depth (K={k})")
    ));
    for r in &rows {
        t.push_str(&format!(
            "{:>8} {:>10.4} {:>10.4} {:>10.4} {:>16.4}\n",
            fmt(r.n),
            a * r.n,
            r.t1,
            r.e,
            r.depth
        ));
    }
    t.push_str(&format!(
        "\nwidest ±t1 over continuous n: n* = {nt:.4}, t1 = {t1_max:.4}\n\
         widest ±e  over continuous n: n* = {ne:.4}, e  = {e_max:.4}\n"
    ));
    super::print_stdout(&t)
}
