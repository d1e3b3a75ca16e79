//! Helpers shared by the test modules.

use assert_cmd::Command;
use vanish::model::activation::Activation;
use vanish::model::experiment::Experiment;
use vanish::model::source::Source;

/// The real binary.
pub fn vanish() -> Command {
    Command::cargo_bin("vanish").expect("binary built")
}

/// An iid experiment of a·tanh(n·x) with the default thresholds.
pub fn tanh_experiment(n: f64, dist: &str, depth: u32, samples: u64, seed: u64) -> Experiment {
    Experiment::new(
        Activation::scaled_tanh(1.0, n).unwrap(),
        Source::Iid {
            dist: dist.parse().unwrap(),
        },
        depth,
        samples,
        1e-6,
        1e6,
        seed,
    )
    .unwrap()
}

/// The scalar reference kernel for tanh(n·x) with iid x from `dist`.
pub fn tanh_kernel(n: f64, dist: &str, depth: u32) -> vanish::mc::kernel::ScalarKernel {
    vanish::mc::kernel::ScalarKernel::new(
        Activation::scaled_tanh(1.0, n).unwrap(),
        dist.parse().unwrap(),
        depth,
    )
}

/// Asserts |estimate − truth| ≤ 5 standard errors, with a message that shows both.
pub fn within_5_se(what: &str, estimate: f64, truth: f64, se: f64) {
    assert!(
        (estimate - truth).abs() <= 5.0 * se,
        "{what}: estimate {estimate} vs truth {truth}: {:.2} SE (se {se:e})",
        (estimate - truth) / se
    );
}

/// The manifest.json of a run's folder.
pub fn manifest(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

/// Runs `vanish ARGS --out NEW_FOLDER` with a value that `flag` does not take (an
/// enumerated flag, checked by clap) and asserts: exit 2, clap's error naming the flag and
/// listing its values, and no folder left behind.
pub fn refused_value(args: &[&str], flag: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let assert = vanish().args(args).arg("--out").arg(&out).assert().code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        err.starts_with(&format!("error: {flag}: must be one of ")) && err.lines().count() == 1,
        "{args:?}: {err}"
    );
    assert!(!out.exists(), "{args:?} left a folder");
}

/// Runs `vanish ARGS --out NEW_FOLDER` and asserts the contract for bad input: exit 2, an
/// error that names `flag` first, and no folder left behind.
pub fn refused(args: &[&str], flag: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let assert = vanish().args(args).arg("--out").arg(&out).assert().code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        err.starts_with(&format!("error: {flag}")),
        "{args:?}: {err}"
    );
    assert!(!out.exists(), "{args:?} left a folder");
}

/// Runs `vanish ARGS --out OUT` and asserts that it succeeds.
pub fn run_out(args: &[&str], out: &std::path::Path) {
    vanish().args(args).arg("--out").arg(out).assert().success();
}

/// Why `python3 -c 'import torch'` fails, or None when it works.
pub fn no_torch() -> Option<String> {
    match std::process::Command::new("python3")
        .args(["-c", "import torch"])
        .output()
    {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("no message")
                .to_string(),
        ),
        Err(e) => Some(format!("python3 does not run: {e}")),
    }
}
