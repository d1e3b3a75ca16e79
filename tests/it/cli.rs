//! The binary's contract: bad input gets one clear line naming the flag, exit code 2 and
//! no output folder; good input gets files, JSON and tables.

use crate::util::vanish;
use predicates::prelude::*;

/// Each case: flags, and the flag the error must name.
const BAD_INPUT: &[(&[&str], &str)] = &[
    (&["--n", "0"], "--n"),
    (&["--n", "-1"], "--n"),
    (&["--n", "nan"], "--n"),
    (&["--n", "inf"], "--n"),
    (&["--a", "0"], "--a"),
    (&["--a", "1e-200", "--n", "1e-200"], "--a"),
    (&["--n", "1e7"], "--n"),
    (&["--depth", "0"], "--depth"),
    (&["--depth", "2000000"], "--depth"),
    (&["--samples", "0"], "--samples"),
    (&["--samples", "1.5"], "--samples"),
    (&["--dist", "normal(0,-1)"], "--dist"),
    (&["--dist", "normal(0,0)"], "--dist"),
    (&["--dist", "uniform(1,1)"], "--dist"),
    (&["--dist", "uniform(2,1)"], "--dist"),
    (&["--dist", "laplace(0,-2)"], "--dist"),
    (&["--dist", "student-t(0,1)"], "--dist"),
    (&["--dist", "student-t(3,-1)"], "--dist"),
    (&["--dist", "logistic(0,0)"], "--dist"),
    (&["--dist", "mix(0*normal(0,1), 1*point(0))"], "--dist"),
    (&["--dist", "mix(-1*normal(0,1))"], "--dist"),
    (&["--dist", "cauchy(0,1)"], "--dist"),
    (&["--dist", "normal(0,1"], "--dist"),
    (&["--dist", "normal(0,nan)"], "--dist"),
    (&["--dist", "uniform(-1e308,1e308)"], "--dist"),
    (
        &[
            "--dist",
            "mix(1*mix(1*mix(1*mix(1*mix(1*mix(1*mix(1*mix(1*mix(1*point(0))))))))))",
        ],
        "--dist",
    ),
    (
        &["--vanish-below", "1e6", "--explode-above", "1e3"],
        "--vanish-below",
    ),
    (&["--vanish-below", "0"], "--vanish-below"),
    (&["--explode-above", "-5"], "--explode-above"),
    (&["--activation", "swish"], "--activation"),
    (&["--activation", "leaky-relu(2)"], "--activation"),
    (&["--activation", "relu", "--n", "3"], "--n"),
    (&["--threads", "0"], "--threads"),
    (&["--method", "saddle-ish"], "--method"),
    (&["--activation", "relu", "--method", "exact"], "--method"),
    (
        &["--dist", "student-t(2.5,1)", "--method", "clt"],
        "--method",
    ),
];

#[test]
fn bad_input_names_the_flag_exits_2_and_leaves_no_folder() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, (flags, flag)) in BAD_INPUT.iter().enumerate() {
        let out = tmp.path().join(format!("run{i}"));
        let mut cmd = vanish();
        cmd.arg("sim").args(*flags).arg("--out").arg(&out);
        if !flags.contains(&"--samples") {
            cmd.args(["--samples", "100"]);
        }
        let assert = cmd.assert().code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        let first = stderr.lines().next().unwrap_or("");
        assert!(
            first.starts_with("error:") && first.contains(flag),
            "{flags:?}: first line does not name {flag}: {stderr}"
        );
        assert!(!out.exists(), "{flags:?} left {}", out.display());
    }
}

#[test]
fn absurd_counts_are_refused() {
    // `--samples 100` comes after the bad flag above; a bad count alone is also refused.
    vanish()
        .args(["sim", "--samples", "1e30"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--samples"));
}

#[test]
fn parse_errors_point_at_the_bad_token_and_list_the_grammar() {
    let assert = vanish()
        .args(["sim", "--dist", "mix(0.8*normal(0,0.5) 0.2*uniform(-4,4))"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines[0].starts_with("error: --dist:"), "{stderr}");
    let spec_line = lines[1];
    let caret = lines[2];
    let at = caret.find('^').unwrap();
    assert_eq!(&spec_line[at..at + 3], "0.2", "{stderr}");
    assert!(lines[3].contains("student-t(ν,scale)"));
}

#[test]
fn out_that_is_a_file_or_unwritable_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    std::fs::write(&file, "keep me").unwrap();
    vanish()
        .args(["sim", "--samples", "100", "--out"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: --out:"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    vanish()
        .args([
            "sim",
            "--samples",
            "100",
            "--out",
            "/proc/vanish-cannot-write/x",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: --out:"));
}

#[test]
fn out_folder_gets_every_file_and_no_temporaries() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a/b");
    vanish()
        .args([
            "sim",
            "--samples",
            "20000",
            "--dist",
            "laplace(0,0.7)",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "histogram.csv",
            "manifest.json",
            "summary.csv",
            "summary.json"
        ]
    );
    let manifest = crate::util::manifest(&out);
    for key in [
        "version",
        "config",
        "seed",
        "rng",
        "threads",
        "elapsed_s",
        "kernel",
    ] {
        assert!(manifest.get(key).is_some(), "manifest lacks {key}");
    }
    assert_eq!(manifest["config"]["dist"], "laplace(0,0.7)");
    let hist = std::fs::read_to_string(out.join("histogram.csv")).unwrap();
    let total: u64 = hist
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 20000);
}

#[test]
fn json_on_stdout_has_probabilities_with_intervals() {
    let assert = vanish()
        .args([
            "sim",
            "--activation",
            "lecun",
            "--samples",
            "20000",
            "--json",
        ])
        .args(["--dist", "mix(0.8*normal(0,0.5), 0.2*uniform(-4,4))"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let p = &v["probabilities"]["vanish"];
    let (lo, hi) = (
        p["wilson95"][0].as_f64().unwrap(),
        p["wilson95"][1].as_f64().unwrap(),
    );
    let est = p["p"].as_f64().unwrap();
    assert!(lo <= est && est <= hi);
    assert_eq!(v["samples"], 20000);
    assert_eq!(v["config"]["activation"]["a"], 1.7159);
}

#[test]
fn thresholds_reproduce_the_seed_numbers() {
    let assert = vanish()
        .args([
            "thresholds",
            "--n",
            "1,1.5,1.81,2,3",
            "--depth",
            "50",
            "--json",
        ])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let row = &v["rows"][3];
    assert_eq!(row["n"], 2.0);
    let r3 = |x: &serde_json::Value| format!("{:.3}", x.as_f64().unwrap());
    assert_eq!(r3(&row["t1"]), "0.658");
    assert_eq!(r3(&row["e"]), "0.441");
    assert_eq!(
        format!("{:.1}", row["depth_threshold"].as_f64().unwrap()),
        "9.0"
    );
    assert_eq!(r3(&v["widest_t1"]["n"]), "1.810");
    assert_eq!(r3(&v["widest_t1"]["t1"]), "0.663");
    vanish()
        .args(["thresholds", "--n", "2:1:0.1"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: --n:"));
}

#[test]
fn completions_and_help() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        vanish()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("vanish"));
    }
    for sub in ["sim", "thresholds", "completions"] {
        vanish()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
}

#[test]
fn a_broken_pipe_exits_quietly() {
    let bin = assert_cmd::cargo::cargo_bin("vanish");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' thresholds --n 1:200:0.001 | head -n 1 >/dev/null; echo ${{PIPESTATUS[0]}}",
            bin.display()
        ))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn methods_appear_in_json_and_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    let assert = vanish()
        .args([
            "sim",
            "--samples",
            "20000",
            "--method",
            "all",
            "--json",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    for m in ["exact", "saddle", "saddle2", "clt", "is"] {
        for event in ["vanish", "explode"] {
            assert!(v["methods"][m][event]["p"].is_number(), "{m} {event}");
        }
    }
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("p_explode_exact_error")
    );
}

#[test]
fn method_lists_take_any_case_and_spaces_and_refuse_a_bad_item_in_one_line() {
    let json = |method: &str| {
        let out = vanish()
            .args([
                "sim",
                "--samples",
                "5000",
                "--depth",
                "5",
                "--json",
                "--method",
                method,
            ])
            .assert()
            .success();
        String::from_utf8_lossy(&out.get_output().stdout).to_string()
    };
    assert_eq!(json("exact, clt"), json("EXACT,clt"));
    let out = vanish()
        .args(["sim", "--method", "exact, bogus"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert_eq!(
        err,
        "error: --method: must be one of mc, exact, saddle, saddle2, clt, is, all, got 'bogus'\n"
    );
}
