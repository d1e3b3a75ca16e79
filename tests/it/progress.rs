//! Progress and `--quiet`: a bar on stderr when it is a terminal (through `script`, which
//! gives the command a pty), nothing when it is not or with `--quiet`, which every
//! subcommand accepts; and the time of a run, whole and in parts.

use std::path::Path;
use std::process::Command;

use crate::util::{manifest, vanish};

/// A small training run (4 runs of 20 steps).
const TRAIN: [&str; 9] = [
    "train", "--runs", "4", "--steps", "20", "--depth", "4", "--width", "8",
];

/// A small `--source network` run (200 networks of depth 10, width 32).
const NETWORK: [&str; 9] = [
    "sim",
    "--source",
    "network",
    "--width",
    "32",
    "--samples",
    "200",
    "--depth",
    "10",
];

/// Runs `vanish ARGS` on a pseudo-terminal (util-linux `script`) with bars drawn at once
/// (`VANISH_PROGRESS_DELAY_MS=0`) and returns what the terminal got; `None` (with a note)
/// where `script` is missing.
fn on_terminal(args: &str) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_vanish");
    let line = format!("VANISH_PROGRESS_DELAY_MS=0 {bin} {args}");
    let out = match Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            eprintln!("skipped: util-linux `script` is not installed (no pseudo-terminal)");
            return None;
        }
    };
    assert!(out.status.success(), "{line}: {out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Asserts that the terminal showed a bar named `what`, with done/total, a rate and an ETA
/// in seconds.
fn shows_bar(terminal: &str, what: &str, unit: &str) {
    let bar = terminal
        .split(['\r', '\n'])
        .find(|l| l.contains(&format!("{what}: ")) && l.contains(unit))
        .unwrap_or_else(|| panic!("no bar '{what}: … {unit}' on the terminal:\n{terminal}"));
    assert!(bar.contains('/') && bar.contains("/s, ETA "), "{bar}");
    assert!(bar.trim_end().ends_with(" s"), "ETA in seconds: {bar}");
}

#[test]
fn long_work_shows_a_bar_on_a_terminal() {
    let Some(sim) = on_terminal("sim --samples 20000 --method is,exact") else {
        return;
    };
    shows_bar(&sim, "sim", "samples");
    shows_bar(&sim, "is: both tails", "samples");
    shows_bar(&sim, "exact (FFT)", "steps");
    let net = on_terminal(&NETWORK.join(" ")).unwrap();
    shows_bar(&net, "sim --source network", "networks");
    let train = on_terminal(&TRAIN.join(" ")).unwrap();
    shows_bar(&train, "train", "runs");
    let map = on_terminal(&format!("{} --sigma-w 1,2", TRAIN.join(" "))).unwrap();
    shows_bar(&map, "train map (2 cells)", "runs");
    let table = on_terminal("table --n 1,2 --samples 200000").unwrap();
    shows_bar(&table, "table", "samples");
    let meanfield = on_terminal("meanfield --sigma-w 0.5:3:0.5 --sigma-b 0,0.1").unwrap();
    shows_bar(&meanfield, "meanfield: phase diagram", "pieces");
}

#[test]
fn quiet_draws_nothing_on_a_terminal() {
    let Some(quiet) = on_terminal("sim --samples 20000 --method is --quiet") else {
        return;
    };
    assert!(quiet.trim().is_empty(), "--quiet printed:\n{quiet}");
}

#[test]
fn no_bar_when_stderr_is_not_a_terminal() {
    for args in [
        &["sim", "--samples", "20000", "--method", "is,exact"][..],
        &NETWORK,
        &TRAIN,
        &["meanfield", "--sigma-w", "0.5:3:0.5"],
    ] {
        let out = vanish()
            .args(args)
            .env("VANISH_PROGRESS_DELAY_MS", "0")
            .assert()
            .success();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr);
        assert!(stderr.is_empty(), "{args:?} wrote on stderr: {stderr}");
    }
}

/// Runs `vanish ARGS` and asserts success with nothing on stdout or stderr.
fn silent(args: &[&str], dir: &Path) {
    let out = vanish()
        .args(args)
        .current_dir(dir)
        .env("VANISH_PROGRESS_DELAY_MS", "0")
        .assert()
        .success();
    let o = out.get_output();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(
        stdout.is_empty() && stderr.is_empty(),
        "{args:?} printed with --quiet:\nstdout: {stdout}\nstderr: {stderr}"
    );
}

/// Every subcommand takes `--quiet` (and `-q`) and then prints nothing but errors; files
/// are written as without it.
#[test]
fn every_subcommand_accepts_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let train = [&TRAIN[..], &["--out", "train", "--quiet"]].concat();
    let table = ["table", "--n", "1,2", "--samples", "1000", "--depth", "5"];
    let shard = |i: &'static str, out: &'static str| {
        [&table[..], &["--shard", i, "--out", out, "-q"]].concat()
    };
    let commands: Vec<Vec<&str>> = vec![
        vec![
            "sim",
            "--samples",
            "1000",
            "--out",
            "sim",
            "--plot",
            "--quiet",
        ],
        [&table[..], &["--quiet"]].concat(),
        shard("0/2", "s0"),
        shard("1/2", "s1"),
        vec!["merge", "s0", "s1", "--out", "merged", "--quiet"],
        train,
        vec!["markov", "train/trajectories.csv", "--quiet"],
        vec!["meanfield", "--sigma-w", "1,2", "--quiet"],
        vec!["thresholds", "-q"],
        vec!["plot", "train", "--out", "figures", "--quiet"],
        vec!["report", "sim", "train", "--out", "report", "--quiet"],
    ];
    for args in &commands {
        silent(args, dir);
    }
    for written in ["sim", "merged", "train", "figures", "report"] {
        assert!(
            dir.join(written).join("manifest.json").exists(),
            "{written}"
        );
    }
    // A subcommand missing from this list would be missed: the list covers them all.
    let mut named: Vec<&str> = commands.iter().map(|c| c[0]).collect();
    named.dedup();
    assert_eq!(
        named,
        [
            "sim",
            "table",
            "merge",
            "train",
            "markov",
            "meanfield",
            "thresholds",
            "plot",
            "report"
        ]
    );
}

/// The parts of a manifest's `timings_s` and their sum.
fn parts(m: &serde_json::Value) -> (Vec<String>, f64) {
    let t = m["timings_s"].as_object().expect("timings_s");
    let sum = t.values().map(|v| v.as_f64().unwrap()).sum();
    (t.keys().cloned().collect(), sum)
}

/// `elapsed_s` is the whole run, the `--method` computations included, and `timings_s`
/// names each part; the terminal says the same.
#[test]
fn the_time_of_a_run_includes_every_method() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sim");
    let run = vanish()
        .args(["sim", "--samples", "20000", "--method", "exact,is,saddle"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let m = manifest(&out);
    let (names, sum) = parts(&m);
    assert_eq!(names, ["exact", "is", "monte_carlo", "saddle"]);
    let elapsed = m["elapsed_s"].as_f64().unwrap();
    assert!(
        elapsed >= sum,
        "elapsed_s {elapsed} < the sum of parts {sum}"
    );
    // Importance sampling of 2 × 20000 samples of 50 factors outweighs the Monte Carlo.
    assert!(
        m["timings_s"]["is"].as_f64().unwrap() > m["timings_s"]["monte_carlo"].as_f64().unwrap()
    );
    let stdout = String::from_utf8_lossy(&run.get_output().stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("time "))
        .unwrap_or_else(|| panic!("no time line:\n{stdout}"));
    for part in ["monte carlo ", ", exact ", ", is ", ", saddle "] {
        assert!(line.contains(part), "{line}");
    }
}

/// `train` times its runs and its chain fit apart.
#[test]
fn train_times_runs_and_fit() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("train");
    let run = vanish()
        .args(TRAIN)
        .args(["--fit", "--out"])
        .arg(&out)
        .assert()
        .success();
    let m = manifest(&out);
    let (names, sum) = parts(&m);
    assert_eq!(names, ["fit", "runs"]);
    assert!(m["elapsed_s"].as_f64().unwrap() >= sum);
    let stdout = String::from_utf8_lossy(&run.get_output().stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("time ") && l.contains(": runs ") && l.contains(", fit ")),
        "{stdout}"
    );
}
