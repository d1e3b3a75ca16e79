//! `scripts/torch_gain_recorder.py`, the PyTorch recorder of trajectories.csv's columns for a
//! user's own training loop: replaying `vanish train --dump` runs through its hooks and its
//! forward-mode probe, it writes the run's records to 1e-10, and `vanish markov` reads them.

use std::process::Command;

use crate::util::no_torch;

#[test]
fn replays_dumped_runs_column_for_column() {
    if let Some(why) = no_torch() {
        eprintln!(
            "recorder::replays_dumped_runs_column_for_column skipped: \
             `python3 -c 'import torch'` failed ({why}); pip install torch to run it"
        );
        return;
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/torch_gain_recorder.py"
    );
    let tmp = tempfile::tempdir().unwrap();
    let configs: [(&str, &[&str]); 2] = [
        ("sgd-tanh2x", &[]),
        ("adam", &["--optimizer", "adam", "--lr", "1e-3"]),
    ];
    for (name, extra) in configs {
        let dump = tmp.path().join(name);
        crate::util::vanish()
            .args([
                "train", "--runs", "1", "--depth", "6", "--width", "8", "--steps", "50",
            ])
            .args(["--record-every", "5", "--n", "2", "--quiet"])
            .args(extra)
            .arg("--dump")
            .arg(&dump)
            .assert()
            .success();
        let recorded = dump.join("recorder.csv");
        let out = Command::new("python3")
            .arg(script)
            .arg("--replay")
            .arg(&dump)
            .arg("--out")
            .arg(&recorded)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: the replay differs\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(report["ok"], true, "{name}: {report}");
        // Steps 0, 5, …, 50; every column but run, step and diverged compared:
        // 6 scalars, 7 gradient and 7 weight norms, 6 probe layers, 2 + 7 underflow counts.
        assert_eq!(report["records"], 11, "{name}: {report}");
        let columns = report["max_rel_diff"].as_object().unwrap();
        assert_eq!(columns.len(), 6 + 7 + 7 + 6 + 2 + 7, "{name}: {report}");
        assert!(columns.contains_key("probe_gain_6") && columns.contains_key("weight_norm_7"));
        // The recorder's file is the same tidy CSV: `vanish markov` fits it.
        crate::util::vanish()
            .arg("markov")
            .arg(&recorded)
            .args([
                "--state",
                "probe_gain < 1e-6",
                "--replicates",
                "100",
                "--json",
            ])
            .assert()
            .success();
    }
}
