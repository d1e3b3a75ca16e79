//! `vanish train --precision f32`: runs in PyTorch's float32 arithmetic, reproducible for any
//! thread count, journaled apart from f64 runs, and counting the gradient entries that
//! underflow.

use std::path::Path;

use vanish::mc::fast::Precision;
use vanish::model::activation::Activation;
use vanish::nets::train::{Dataset, TrainSpec, train_run, train_run_in};

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// The trajectories' column `name`, per record.
fn column(csv: &str, name: &str) -> Vec<String> {
    let mut lines = csv.lines();
    let at = lines
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    lines
        .map(|l| l.split(',').nth(at).unwrap().to_string())
        .collect()
}

fn counts(csv: &str, name: &str) -> Vec<u64> {
    column(csv, name)
        .iter()
        .map(|v| v.parse().unwrap())
        .collect()
}

const SMALL: [&str; 11] = [
    "train",
    "--runs",
    "5",
    "--depth",
    "6",
    "--width",
    "8",
    "--steps",
    "40",
    "--quiet",
    "--record-every",
];

#[test]
fn f32_runs_write_the_same_files_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |dir: &Path, threads: &str, precision: &str| {
        crate::util::vanish()
            .args(SMALL)
            .args(["5", "--optimizer", "adam", "--lr", "1e-3", "--fit"])
            .args(["--precision", precision, "--threads", threads, "--out"])
            .arg(dir)
            .assert()
            .success();
    };
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    run(&a, "1", "f32");
    run(&b, "2", "f32");
    run(&c, "2", "f64");
    for name in ["trajectories.csv", "summary.json", "markov.json"] {
        assert_eq!(read(&a, name), read(&b, name), "{name}");
    }
    // Its own numbers, within f32's precision of f64's at step 0.
    let (l32, l64) = (
        column(&read(&a, "trajectories.csv"), "loss"),
        column(&read(&c, "trajectories.csv"), "loss"),
    );
    assert_ne!(l32, l64);
    let (x, y): (f64, f64) = (l32[0].parse().unwrap(), l64[0].parse().unwrap());
    assert!((x - y).abs() <= 1e-6 * y, "{x} {y}");
    for (dir, p) in [(&a, "f32"), (&c, "f64")] {
        assert_eq!(crate::util::manifest(dir)["config"]["precision"], p);
        let s: serde_json::Value = serde_json::from_str(&read(dir, "summary.json")).unwrap();
        assert_eq!(s["config"]["precision"], p);
    }
    // The library gives f64 by default.
    let spec = TrainSpec {
        depth: 3,
        width: 8,
        steps: 10,
        record_every: 5,
        ..TrainSpec::default()
    };
    let (act, data) = (
        Activation::scaled_tanh(1.0, 2.0).unwrap(),
        Dataset::new(&spec, 1),
    );
    assert_eq!(
        train_run_in(Precision::F64, &spec, &act, &data, 1, 0),
        train_run(&spec, &act, &data, 1, 0)
    );
}

#[test]
fn every_instruction_set_level_trains_the_same_bits() {
    // The dense layers' packed products and the tanh pass on portable, AVX2 and AVX-512
    // (those this CPU has; a level above it runs the best below), f32 and f64, widths that
    // are not multiples of any tile: the same files, byte for byte.
    let tmp = tempfile::tempdir().unwrap();
    for precision in ["f64", "f32"] {
        let run = |level: &str| {
            let dir = tmp.path().join(format!("{precision}-{level}"));
            crate::util::vanish()
                .env("VANISH_SIMD", level)
                .args(["train", "--runs", "2", "--depth", "3", "--width", "37"])
                .args(["--batch", "13", "--steps", "20", "--record-every", "5"])
                .args(["--quiet", "--precision", precision, "--out"])
                .arg(&dir)
                .assert()
                .success();
            let kernel = crate::util::manifest(&dir)["kernel"].clone();
            if level == "portable" {
                assert_eq!(kernel, format!("dense-{precision}-portable"));
            }
            read(&dir, "trajectories.csv")
        };
        let portable = run("portable");
        for level in ["avx2", "avx512", "auto"] {
            assert_eq!(run(level), portable, "{precision}: VANISH_SIMD={level}");
        }
    }
}

/// tanh(2x) with σ_w = 0.1 over 60 layers: every gradient is near 0.2^60 ≈ 1e-42, below
/// f32's smallest normal (2^-126 ≈ 1.2e-38) and far above f64's (2.2e-308). A shallow net
/// at σ_w = 1 underflows in neither.
#[test]
fn f32_counts_the_gradients_that_underflow_and_f64_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str, flags: &[&str], precision: &str| {
        let dir = tmp.path().join(name);
        crate::util::vanish()
            .args(["train", "--runs", "1", "--width", "16", "--steps", "10"])
            .args(["--record-every", "5", "--quiet", "--precision", precision])
            .args(flags)
            .arg("--out")
            .arg(&dir)
            .assert()
            .success();
        read(&dir, "trajectories.csv")
    };
    let deep = ["--depth", "60", "--n", "2", "--sigma-w", "0.1"];
    let (d32, d64) = (run("d32", &deep, "f32"), run("d64", &deep, "f64"));
    let shallow = ["--depth", "4", "--n", "1", "--sigma-w", "1"];
    let (s32, s64) = (run("s32", &shallow, "f32"), run("s64", &shallow, "f64"));
    let (w, h) = ("grad_underflow", "hidden_grad_underflow");
    for csv in [&d64, &s32, &s64] {
        assert!(
            counts(csv, w)
                .iter()
                .chain(&counts(csv, h))
                .all(|&c| c == 0)
        );
    }
    let (total, hidden) = (counts(&d32, w), counts(&d32, h));
    assert!(total.iter().all(|&c| c > 0) && hidden.iter().all(|&c| c > 0));
    // The total is the sum of the layers' counts; no layer has more than its entries.
    let sizes: Vec<u64> = [8].into_iter().chain([16; 60]).chain([1]).collect();
    let mut sum = vec![0; total.len()];
    for l in 1..=61 {
        let layer = counts(&d32, &format!("grad_underflow_{l}"));
        assert!(
            layer.iter().all(|&c| c <= sizes[l - 1] * sizes[l]),
            "layer {l}"
        );
        sum.iter_mut().zip(&layer).for_each(|(s, c)| *s += c);
    }
    assert_eq!(sum, total);
    // ∂L/∂h has batch × width × depth entries.
    assert!(hidden.iter().all(|&c| c <= 32 * 16 * 60));
}

#[test]
fn precision_is_f32_or_f64() {
    for bad in ["f16", "reference"] {
        crate::util::refused_value(
            &["train", "--steps", "5", "--precision", bad],
            "--precision",
        );
    }
}

/// An f32 journal never resumes or gathers into an f64 run, nor the other way; a journal
/// written before runs had a precision (no key, no underflow counts) resumes as f64, its
/// runs' counts left empty.
#[test]
fn journals_of_the_two_precisions_are_kept_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let flags = [&SMALL[..], &["10", "--out"]].concat();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    crate::util::vanish()
        .args(&flags)
        .arg(&a)
        .assert()
        .success();
    crate::util::vanish()
        .args(&flags)
        .arg(&b)
        .args(["--precision", "f32"])
        .assert()
        .success();
    for (dir, other) in [(&a, "f32"), (&b, "f64")] {
        let err = crate::util::vanish()
            .args(&flags)
            .arg(dir)
            .args(["--resume", "--precision", other])
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let err = String::from_utf8_lossy(&err);
        assert!(
            err.starts_with("error: --resume") && err.contains("--precision"),
            "{err}"
        );
    }
    let shard = tmp.path().join("shard");
    crate::util::vanish()
        .args(&flags)
        .arg(&shard)
        .args(["--shard", "0/1", "--precision", "f32"])
        .assert()
        .success();
    crate::util::refused(
        &[
            &flags[..flags.len() - 1],
            &["--gather", shard.to_str().unwrap()],
        ]
        .concat(),
        "--gather",
    );
    // An older journal: the f64 header as it was, run lines without "underflow".
    let journal = read(&a, "journal.jsonl");
    let mut lines: Vec<String> = journal.lines().map(String::from).collect();
    assert!(!lines[0].contains("precision"), "{}", lines[0]);
    for line in &mut lines[1..3] {
        let text = vanish::sweep::journal::unseal(line).unwrap();
        let (before, after) = text.split_once(",\"underflow\":[").unwrap();
        let rest = &after[after.find(']').unwrap() + 1..];
        *line = vanish::sweep::journal::seal(&format!("{before}{rest}"));
    }
    let old = tmp.path().join("old");
    std::fs::create_dir(&old).unwrap();
    std::fs::write(old.join("journal.jsonl"), lines[..3].join("\n") + "\n").unwrap();
    crate::util::vanish()
        .args(&flags)
        .arg(&old)
        .arg("--resume")
        .assert()
        .success();
    let (new, resumed) = (read(&a, "trajectories.csv"), read(&old, "trajectories.csv"));
    assert_eq!(column(&new, "loss"), column(&resumed, "loss"));
    let (u, v) = (
        column(&new, "grad_underflow"),
        column(&resumed, "grad_underflow"),
    );
    let runs = column(&resumed, "run");
    for ((u, v), run) in u.iter().zip(&v).zip(&runs) {
        if run == "0" || run == "1" {
            assert_eq!(v, "", "run {run}: an older journal did not count");
        } else {
            assert_eq!(u, v);
        }
    }
}

/// `scripts/replay_torch.py` replays a dump in its precision (spec.json's "precision"):
/// within 1e-10 of PyTorch's float64 losses for f64, and within the script's stated float32
/// tolerance (100·2^-24·(K + 1)·√W·(S + 1)/(1 − μ)) for f32, where float32 rounding shows.
#[test]
fn replay_torch_follows_runs_of_both_precisions() {
    if let Some(why) = crate::util::no_torch() {
        eprintln!(
            "train_f32::replay_torch_follows_runs_of_both_precisions skipped: \
             `python3 -c 'import torch'` failed ({why}); pip install torch to run it"
        );
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/replay_torch.py");
    let tmp = tempfile::tempdir().unwrap();
    let configs: [(&str, &[&str]); 3] = [
        ("sgd-tanh2x", &[]),
        (
            "momentum-sigmoid",
            &["--momentum", "0.9", "--activation", "sigmoid"],
        ),
        (
            "adam-relu",
            &[
                "--optimizer",
                "adam",
                "--lr",
                "1e-3",
                "--activation",
                "relu",
            ],
        ),
    ];
    for (name, extra) in configs {
        for precision in ["f64", "f32"] {
            let dump = tmp.path().join(format!("{name}-{precision}"));
            crate::util::vanish()
                .args(["train", "--runs", "1", "--depth", "6", "--width", "8"])
                .args(["--steps", "50", "--quiet", "--precision", precision])
                .args(extra)
                .arg("--dump")
                .arg(&dump)
                .assert()
                .success();
            let spec: serde_json::Value = serde_json::from_str(&read(&dump, "spec.json")).unwrap();
            assert_eq!(spec["precision"], precision);
            let out = std::process::Command::new("python3")
                .arg(script)
                .arg(&dump)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let report: serde_json::Value =
                serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
                    panic!(
                        "{name} {precision}: {e}: {stdout} {}",
                        String::from_utf8_lossy(&out.stderr)
                    )
                });
            let what = format!("{name} {precision}: {report}");
            assert!(out.status.success(), "{what}");
            assert_eq!(report["precision"], precision, "{what}");
            assert_eq!(report["steps"], 51, "{what}");
            let diff = report["max_rel_diff"].as_f64().unwrap();
            if precision == "f64" {
                assert!(diff < 1e-10, "{what}");
            } else {
                // float32 rounding, not float64's, and within the stated tolerance.
                assert!(diff > 1e-9, "{what}");
                let (k1, w, s1, mu) = (
                    7.0,
                    8f64.sqrt(),
                    51.0,
                    if name.starts_with("momentum") {
                        0.9
                    } else {
                        0.0
                    },
                );
                let tolerance = 100.0 * 2f64.powi(-24) * k1 * w * s1 / (1.0 - mu);
                assert_eq!(report["tolerance"].as_f64().unwrap(), tolerance, "{what}");
            }
        }
    }
}
