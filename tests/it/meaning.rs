//! Output that says what it means: parameters in numeric order, machine files in ASCII with
//! numbers every reader parses, and no number where there is none (`n/a: why` on the
//! terminal, `null` beside a reason in JSON, an empty CSV cell; log10 or "below f64" for
//! probabilities too small for f64).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{run_out, vanish};

/// Runs `vanish ARGS --out OUT` and returns its stdout.
fn stdout(args: &[&str], out: &Path) -> String {
    let a = vanish().args(args).arg("--out").arg(out).assert().success();
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The cell of `column` in the first row of the CSV file `path`.
fn csv_cell(path: &Path, column: &str) -> String {
    let mut r = csv::Reader::from_path(path).unwrap();
    let at = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("{}: no column {column}", path.display()));
    r.records().next().unwrap().unwrap()[at].to_string()
}

/// The positions of `needles` in `text`, which must all be there.
fn positions(text: &str, needles: &[&str]) -> Vec<usize> {
    needles
        .iter()
        .map(|n| {
            text.find(n)
                .unwrap_or_else(|| panic!("no '{n}' in\n{text}"))
        })
        .collect()
}

fn ascending(v: &[usize]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

#[test]
fn table_sub_headings_rows_and_columns_are_in_numeric_order() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t");
    let args = [
        "table",
        "--depth",
        "10,100,20",
        "--n",
        "1,2",
        "--dist",
        "normal(0,{s})",
        "--s",
        "0.5,10,2",
        "--samples",
        "200",
    ];
    let printed = stdout(&args, &out);
    let md = std::fs::read_to_string(out.join("table.md")).unwrap();
    for text in [&printed, &md] {
        let heads = positions(text, &["**s = 0.5**", "**s = 2**", "**s = 10**"]);
        assert!(ascending(&heads), "sub-headings not numeric:\n{text}");
        assert!(text.contains("| 10 | 20 | 100 |"), "columns:\n{text}");
    }
}

#[test]
fn training_map_rows_are_in_numeric_order() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    let args = [
        "train",
        "--depth",
        "10,5",
        "--width",
        "4",
        "--sigma-w",
        "2,1",
        "--runs",
        "2",
        "--steps",
        "10",
        "--quiet",
    ];
    run_out(&args, &out);
    let md = std::fs::read_to_string(out.join("map.md")).unwrap();
    assert!(md.contains("| 1 | 2 |"), "columns:\n{md}");
    // No vanished run: its median step is n/a, not a dash.
    assert!(!md.contains('–') && !md.contains("] -"), "{md}");
    assert!(
        ascending(&positions(&md, &["\n| 5 |", "\n| 10 |"])),
        "rows:\n{md}"
    );
}

/// Every CSV, JSON and JSONL file under `dir`.
fn machine_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(machine_files(&p));
        } else if ["csv", "json", "jsonl"]
            .iter()
            .any(|x| p.extension().is_some_and(|e| e == *x))
        {
            out.push(p);
        }
    }
    out
}

/// Asserts that every column of the CSV file `path` whose first filled cell is a number has
/// only numbers (as Rust's `f64::from_str` reads them) or empty cells, and that its header
/// is made of ASCII identifiers (a dot allowed: the quantile columns `q0.1_log10_g`).
fn numeric_columns_parse(path: &Path) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    for h in &header {
        assert!(
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'),
            "{}: header '{h}' is not an identifier",
            path.display()
        );
    }
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    for (k, h) in header.iter().enumerate() {
        let filled: Vec<&str> = rows
            .iter()
            .map(|r| &r[k])
            .filter(|c| !c.is_empty())
            .collect();
        if filled.first().is_some_and(|c| c.parse::<f64>().is_ok()) {
            for c in filled {
                assert!(
                    c.parse::<f64>().is_ok(),
                    "{}: column {h} has '{c}', not a number",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn every_machine_file_is_ascii_and_its_numbers_parse() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let small = ["--samples", "2000", "--quiet"];
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("sim", vec!["sim", "--method", "all", "--depth", "400"]),
        ("relu", vec!["sim", "--activation", "relu"]),
        (
            "table",
            vec![
                "table", "--depth", "10,20", "--n", "1,2", "--method", "exact",
            ],
        ),
        (
            "train",
            vec![
                "train", "--runs", "3", "--steps", "20", "--depth", "4", "--quiet",
            ],
        ),
        (
            "map",
            vec![
                "train", "--runs", "2", "--steps", "10", "--depth", "4,3", "--width", "4",
                "--quiet",
            ],
        ),
        (
            "meanfield",
            vec!["meanfield", "--sigma-w", "0.5:2:0.5", "--sigma-b", "0,0.5"],
        ),
        ("thresholds", vec!["thresholds", "--n", "1,2"]),
    ];
    for (name, args) in &runs {
        let mut args = args.clone();
        if matches!(*name, "sim" | "relu" | "table") {
            args.extend(small);
        }
        run_out(&args, &t.join(name));
    }
    let trajectories = t.join("train/trajectories.csv");
    run_out(
        &["markov", trajectories.to_str().unwrap()],
        &t.join("markov"),
    );
    for i in 0..2 {
        let shard = format!("{i}/2");
        run_out(
            &[
                "table",
                "--depth",
                "10,20",
                "--n",
                "1,2",
                "--samples",
                "500",
                "--shard",
                &shard,
                "--quiet",
            ],
            &t.join(format!("shard{i}")),
        );
    }
    let (s0, s1) = (t.join("shard0"), t.join("shard1"));
    run_out(
        &[
            "merge",
            s0.to_str().unwrap(),
            s1.to_str().unwrap(),
            "--quiet",
        ],
        &t.join("merged"),
    );
    let files = machine_files(t);
    assert!(files.len() > 20, "{files:?}");
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if let Some((at, c)) = text.char_indices().find(|(_, c)| !c.is_ascii()) {
            panic!(
                "{} is not ASCII: '{c}' in ...{}...",
                f.display(),
                &text[text[..at].char_indices().rev().nth(20).map_or(0, |x| x.0)..at]
            );
        }
        if f.extension().is_some_and(|e| e == "csv") {
            numeric_columns_parse(f);
        }
    }
    // Where Python and pandas are installed, pandas reads every CSV with numeric columns
    // as numbers.
    let script = "import sys, pandas\n\
                  for f in sys.argv[1:]:\n    pandas.read_csv(f)\n";
    let csvs: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "csv"))
        .collect();
    if let Ok(o) = std::process::Command::new("python3")
        .args(["-c", "import pandas"])
        .output()
        && o.status.success()
    {
        let st = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .args(&csvs)
            .status()
            .unwrap();
        assert!(st.success(), "pandas could not read the CSV files");
    }
}

#[test]
fn relu_means_of_logs_are_not_available_rather_than_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let printed = stdout(&["sim", "--activation", "relu", "--samples", "2000"], &out);
    let factor = printed
        .lines()
        .find(|l| l.contains("mean ln f'(x)"))
        .unwrap();
    assert!(
        factor.contains("n/a: ln f' = -inf with probability 0.49"),
        "{factor}"
    );
    assert!(!printed.contains("nan"), "{printed}");
    assert!(printed.contains("log10 g: mean n/a: "), "{printed}");
    let s = json(&out.join("summary.json"));
    for key in [
        "mean_ln_derivative",
        "var_ln_derivative",
        "se_mean_ln_derivative",
    ] {
        assert_eq!(s["factors"][key], Value::Null, "{key}");
    }
    assert!(
        s["factors"]["mean_ln_derivative_na"]
            .as_str()
            .unwrap()
            .starts_with("ln f' = -inf with probability 0.49")
    );
    assert_eq!(s["log10_g"]["mean"], Value::Null);
    assert!(s["log10_g"]["mean_na"].as_str().unwrap().contains("g = 0"));
    let csv = out.join("summary.csv");
    for column in ["mean_ln_derivative", "var_ln_derivative", "mean_log10_g"] {
        assert_eq!(csv_cell(&csv, column), "", "{column}");
    }
}

#[test]
fn probabilities_below_f64_are_told_as_log10_or_a_bound_never_as_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("deep");
    let printed = stdout(
        &[
            "sim",
            "--depth",
            "10000",
            "--method",
            "exact,is",
            "--samples",
            "2000",
        ],
        &out,
    );
    let row = |m: &str| {
        printed
            .lines()
            .find(|l| l.starts_with(m))
            .unwrap_or_else(|| panic!("no {m} row in\n{printed}"))
            .to_string()
    };
    // exact carries logs: its estimate far below f64 is told as 10^-…, like is's.
    let exact = row("exact");
    assert!(
        exact.contains("1-10^-15") && exact.contains(" 10^-15"),
        "{exact}"
    );
    assert!(!exact.contains("e-297"), "{printed}");
    let is = row("is ");
    assert!(is.contains("1-10^-15") && is.contains(" 10^-15"), "{is}");
    let s = json(&out.join("summary.json"));
    let m = &s["methods"];
    assert_eq!(m["exact"]["explode"]["p"], Value::Null);
    assert!(
        m["exact"]["explode"]["p_na"]
            .as_str()
            .unwrap()
            .contains("below the range of f64")
    );
    assert_eq!(m["exact"]["vanish"]["complement"], Value::Null);
    let exact_log10 = m["exact"]["explode"]["log10_p"].as_f64().unwrap();
    assert!(
        m["exact"]["explode"]["log10_lower"].as_f64().unwrap() <= exact_log10
            && exact_log10 <= m["exact"]["explode"]["log10_upper"].as_f64().unwrap()
            && exact_log10 < -1000.0
    );
    let log10_p = m["is"]["explode"]["log10_p"].as_f64().unwrap();
    assert!(log10_p < -308.0, "{log10_p}");
    let ci = m["is"]["explode"]["log10_p_ci95"].as_array().unwrap();
    assert!(ci[0].as_f64().unwrap() < log10_p && log10_p < ci[1].as_f64().unwrap());
    // The vanish side's complement is the rare one: its interval, not [1, 1].
    let v = &m["is"]["vanish"];
    assert!(v["log10_complement"].as_f64().unwrap() < -308.0);
    assert_eq!(v["ci95"], Value::Null);
    assert!(v["ci95_na"].is_string());
    let csv = out.join("summary.csv");
    assert_eq!(csv_cell(&csv, "p_explode_exact"), "");
    let logged: f64 = csv_cell(&csv, "p_explode_is_log10").parse().unwrap();
    assert_eq!(logged, log10_p);
}

#[test]
fn importance_sampling_gives_the_complement_its_own_interval() {
    // P(vanish) within 1e-16 of 1, but well inside f64 as a complement.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("is");
    run_out(
        &[
            "sim",
            "--depth",
            "400",
            "--method",
            "is",
            "--samples",
            "2000",
            "--quiet",
        ],
        &out,
    );
    let v = &json(&out.join("summary.json"))["methods"]["is"]["vanish"];
    let c = v["complement"].as_f64().unwrap();
    assert!(c > 0.0 && c < 1e-16, "{v}");
    let ci = v["complement_ci95"].as_array().unwrap();
    let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
    assert!(lo < c && c < hi && hi < 1e-15, "{v}");
    assert!(v["log10_complement"].as_f64().unwrap() < -16.0, "{v}");
}

#[test]
fn markov_says_why_it_cannot_estimate_or_test() {
    let tmp = tempfile::tempdir().unwrap();
    let train = tmp.path().join("train");
    // Shallow, well-conditioned nets: no run reaches [g∼0], so it is never left.
    run_out(
        &[
            "train", "--runs", "3", "--steps", "20", "--depth", "4", "--quiet",
        ],
        &train,
    );
    let out = tmp.path().join("markov");
    let printed = stdout(
        &["markov", train.join("trajectories.csv").to_str().unwrap()],
        &out,
    );
    assert!(
        printed.contains("n/a: no transitions out of [g∼0]"),
        "{printed}"
    );
    assert!(!printed.contains("nan ["), "{printed}");
    assert!(
        printed.contains("first vs second order: n/a: nothing to test"),
        "{printed}"
    );
    assert!(!printed.contains("G = 0, df 0"), "{printed}");
    let m = json(&out.join("markov.json"));
    assert_eq!(m["p"][1], serde_json::json!([null, null]));
    assert!(
        m["p_na"][1]
            .as_str()
            .unwrap()
            .contains("no transitions out of")
    );
    assert_eq!(m["p_na"][0], Value::Null);
    assert_eq!(
        m["p_clopper_pearson_95"][1],
        serde_json::json!([null, null])
    );
    assert!(m["p_clopper_pearson_95"][0][0].is_array());
    assert_eq!(m["order_test"]["p_value"], Value::Null);
    assert!(m["order_test"]["na"].is_string());
}

#[test]
fn meanfield_says_why_c_star_has_no_value_at_q_star_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mf");
    let printed = stdout(&["meanfield", "--sigma-w", "0.5,1", "--sigma-b", "0"], &out);
    assert!(!printed.contains("nan"), "{printed}");
    assert!(
        printed.contains("c* n/a: c* is undefined at q* = 0"),
        "{printed}"
    );
    let points = &json(&out.join("phase.json"))["points"];
    assert_eq!(points[0]["c_star"], Value::Null);
    assert!(points[0]["c_star_na"].is_string());
    assert!(points[1]["c_star"].is_number() && points[1].get("c_star_na").is_none());
    assert_eq!(csv_cell(&out.join("phase.csv"), "c_star"), "");
}

#[test]
fn an_impossible_event_is_said_to_be_beyond_the_cap() {
    // K = 10: g ≤ 2^10 < 1e6, so P(explode) is exactly 0, not an estimate ± 0.
    let tmp = tempfile::tempdir().unwrap();
    let printed = stdout(
        &[
            "sim",
            "--depth",
            "10",
            "--method",
            "exact,is",
            "--samples",
            "2000",
        ],
        &tmp.path().join("cap"),
    );
    for m in ["exact", "is "] {
        let row = printed.lines().find(|l| l.starts_with(m)).unwrap();
        assert!(
            row.contains("0 (impossible)") && !row.contains("±0"),
            "{row}"
        );
    }
}

#[test]
fn journals_of_earlier_builds_with_unescaped_symbols_still_merge() {
    use vanish::sweep::journal::{seal, unseal};
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let shard = |i: usize, dir: &Path| {
        let s = format!("{i}/2");
        let args = [
            "table",
            "--depth",
            "10,20",
            "--n",
            "1,2",
            "--samples",
            "300",
            "--shard",
            &s,
            "--quiet",
        ];
        run_out(&args, dir);
    };
    let dirs: Vec<PathBuf> = (0..2).map(|i| t.join(format!("s{i}"))).collect();
    for (i, d) in dirs.iter().enumerate() {
        shard(i, d);
    }
    run_out(
        &[
            "merge",
            dirs[0].to_str().unwrap(),
            dirs[1].to_str().unwrap(),
            "--quiet",
        ],
        &t.join("now"),
    );
    // Rewrite the journals as earlier builds wrote them: `·` unescaped, sealed again.
    for d in &dirs {
        let path = d.join("journal.jsonl");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.is_ascii() && text.contains("\\u00b7"));
        let old: String = text
            .lines()
            .map(|l| format!("{}\n", seal(&unseal(l).unwrap().replace("\\u00b7", "·"))))
            .collect();
        std::fs::write(&path, old).unwrap();
    }
    run_out(
        &[
            "merge",
            dirs[0].to_str().unwrap(),
            dirs[1].to_str().unwrap(),
            "--quiet",
        ],
        &t.join("old"),
    );
    for file in ["table.csv", "table.json", "table.md"] {
        let read = |d: &str| std::fs::read_to_string(t.join(d).join(file)).unwrap();
        assert_eq!(read("old"), read("now"), "{file}");
    }
}

/// A point mass makes g certain: every method that has an answer gives exactly 0 and 1,
/// never "below f64" (which would claim a tiny positive probability).
#[test]
fn a_point_mass_gives_exact_zeros_and_ones_not_underflow() {
    let out = vanish()
        .args([
            "sim",
            "--dist",
            "point(0)",
            "--depth",
            "20",
            "--samples",
            "1000",
        ])
        .args(["--method", "exact,clt", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("below the range of f64"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for m in ["exact", "clt"] {
        assert_eq!(
            v["methods"][m]["vanish"]["p"], 0.0,
            "{m}: {}",
            v["methods"][m]
        );
        assert_eq!(
            v["methods"][m]["explode"]["p"], 1.0,
            "{m}: {}",
            v["methods"][m]
        );
    }
}
