//! `vanish table` and `vanish merge`: cells equal `sim` runs, any thread count gives the
//! same files, a run killed with SIGKILL resumes to the same files, shards merge to the
//! files of one run, and every mismatch is refused.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::vanish;
use predicates::prelude::*;

const TABLE_FILES: [&str; 3] = ["table.csv", "table.json", "table.md"];

fn table(dir: &Path, extra: &[&str]) {
    vanish()
        .args(["table", "--quiet"])
        .args(extra)
        .arg("--out")
        .arg(dir)
        .assert()
        .success();
}

fn same_tables(a: &Path, b: &Path) {
    for name in TABLE_FILES {
        let (x, y) = (
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
        );
        assert!(
            x == y,
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    let manifest = |d: &Path| {
        let mut m = crate::util::manifest(d);
        let obj = m.as_object_mut().unwrap();
        for timing in ["elapsed_s", "threads"] {
            assert!(obj.remove(timing).is_some(), "manifest without {timing}");
        }
        m
    };
    assert_eq!(manifest(a), manifest(b));
}

const GRID: [&str; 8] = [
    "--n",
    "1,2,3",
    "--depth",
    "10,40",
    "--samples",
    "3000,9000",
    "--seed",
    "5",
];

/// GRID with another seed: another experiment with the same cells.
fn other_seed() -> Vec<&'static str> {
    GRID.iter()
        .map(|&a| if a == "5" { "6" } else { a })
        .collect()
}

#[test]
fn a_cell_is_the_sim_run_of_its_values() {
    let tmp = tempfile::tempdir().unwrap();
    let (t, s) = (tmp.path().join("t"), tmp.path().join("s"));
    table(
        &t,
        &[
            "--n",
            "1.5,2",
            "--depth",
            "10,20",
            "--samples",
            "5000",
            "--method",
            "mc,clt",
        ],
    );
    vanish()
        .args([
            "sim",
            "--n",
            "2",
            "--depth",
            "20",
            "--samples",
            "5000",
            "--method",
            "mc,clt",
        ])
        .args(["--quiet", "--out"])
        .arg(&s)
        .assert()
        .success();
    let rows = |p: &Path| -> Vec<Vec<String>> {
        csv::Reader::from_path(p)
            .unwrap()
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    };
    let t_rows = rows(&t.join("table.csv"));
    let s_rows = rows(&s.join("summary.csv"));
    assert_eq!(t_rows.len(), 4);
    // Cell 3 is n = 2, depth = 20; the table adds the cell index in front.
    assert_eq!(t_rows[3][0], "3");
    assert_eq!(t_rows[3][1..], s_rows[0][..]);
}

#[test]
fn thread_counts_write_identical_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    table(&a, &[&GRID[..], &["--threads", "1"]].concat());
    table(&b, &[&GRID[..], &["--threads", "2"]].concat());
    same_tables(&a, &b);
}

#[test]
fn a_run_killed_with_sigkill_resumes_to_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (whole, killed) = (tmp.path().join("whole"), tmp.path().join("killed"));
    // 40 cells of 3·10⁶ derivatives (10–20 ms each on one core here).
    let grid = [
        "--n",
        "1:2.95:0.05",
        "--samples",
        "60000",
        "--depth",
        "50",
        "--threads",
        "1",
    ];
    table(&whole, &grid);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("vanish"))
        .args(["table", "--quiet"])
        .args(grid)
        .arg("--out")
        .arg(&killed)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let journal = killed.join("journal.jsonl");
    let lines = || std::fs::read_to_string(&journal).map_or(0, |t| t.lines().count());
    let start = Instant::now();
    while lines() < 4 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done = lines() - 1;
    assert!((3..40).contains(&done), "killed after {done} of 40 cells");
    assert!(!killed.join("table.csv").exists());
    // A line cut short by the kill (simulated here) is dropped, not misread.
    let mut text = std::fs::read_to_string(&journal).unwrap();
    text.push_str("{\"cell\": 39, \"hea");
    std::fs::write(&journal, text).unwrap();
    // So is the temporary file of a write the kill interrupted.
    let stale = killed.join(".vanish-Xy12zq.tmp");
    std::fs::write(&stale, "half a table").unwrap();
    table(&killed, &[&grid[..], &["--resume"]].concat());
    same_tables(&whole, &killed);
    assert!(
        !stale.exists(),
        "--resume removes the temporaries a killed run left"
    );
}

#[test]
fn journals_are_never_mixed_or_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t");
    table(&dir, &GRID);
    let before = std::fs::read(dir.join("journal.jsonl")).unwrap();
    // A new run into a folder with a journal.
    vanish()
        .args(["table", "--quiet"])
        .args(GRID)
        .arg("--out")
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--out").and(predicate::str::contains("--resume")));
    // Resuming with another grid.
    let other = other_seed();
    vanish()
        .args(["table", "--quiet", "--resume"])
        .args(&other)
        .arg("--out")
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: --resume"));
    assert_eq!(std::fs::read(dir.join("journal.jsonl")).unwrap(), before);
    // Resuming a finished run recomputes nothing and writes the same files.
    let copy = tmp.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for f in std::fs::read_dir(&dir).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), copy.join(f.file_name())).unwrap();
    }
    table(&dir, &[&GRID[..], &["--resume"]].concat());
    same_tables(&dir, &copy);
}

#[test]
fn shards_merge_into_the_files_of_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    // A pivot of its own: the shards carry it to the merge.
    let pivot = ["--rows", "depth", "--cols", "n", "--value", "mean_log10_g"];
    table(&whole, &[&GRID[..], &pivot].concat());
    let shards: Vec<_> = (0..3).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, dir) in shards.iter().enumerate() {
        table(
            dir,
            &[&GRID[..], &pivot, &["--shard", &format!("{i}/3")]].concat(),
        );
        assert!(!dir.join("table.csv").exists());
    }
    let merged = tmp.path().join("merged");
    vanish()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .arg("--quiet")
        .assert()
        .success();
    same_tables(&whole, &merged);
    assert_eq!(
        std::fs::read(whole.join("journal.jsonl")).unwrap(),
        std::fs::read(merged.join("journal.jsonl")).unwrap(),
        "a finished journal is in cell order"
    );
    // A missing shard, a shard given twice, and a shard of another grid are refused.
    let m2 = tmp.path().join("m2");
    vanish()
        .arg("merge")
        .args(&shards[..2])
        .arg("--out")
        .arg(&m2)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2/3"));
    vanish()
        .arg("merge")
        .args([&shards[0], &shards[1], &shards[1], &shards[2]])
        .arg("--out")
        .arg(&m2)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("twice"));
    let foreign = tmp.path().join("foreign");
    let other = other_seed();
    table(&foreign, &[&other[..], &["--shard", "2/3"]].concat());
    vanish()
        .arg("merge")
        .args([&shards[0], &shards[1], &foreign])
        .arg("--out")
        .arg(&m2)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("another grid"));
    assert!(!m2.join("table.csv").exists());
    // A merge never writes into a shard, nor over a folder holding a run's journal.
    let before = std::fs::read(shards[1].join("journal.jsonl")).unwrap();
    for out in [&shards[1], &whole] {
        vanish()
            .arg("merge")
            .args(&shards)
            .arg("--out")
            .arg(out)
            .assert()
            .code(2)
            .stderr(predicate::str::starts_with("error: --out"));
    }
    assert_eq!(
        std::fs::read(shards[1].join("journal.jsonl")).unwrap(),
        before
    );
}

#[test]
fn shards_are_balanced_by_cost() {
    // Cells cost samples·depth: 3000·10 … 9000·40. Each shard gets a share near a third.
    let tmp = tempfile::tempdir().unwrap();
    let mut loads = Vec::new();
    for i in 0..3 {
        let dir = tmp.path().join(format!("s{i}"));
        table(&dir, &[&GRID[..], &["--shard", &format!("{i}/3")]].concat());
        let text = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
        let cost: f64 = text
            .lines()
            .skip(1)
            .map(|l| {
                let r: serde_json::Value = serde_json::from_str(l).unwrap();
                let s = &r["summary"]["config"];
                s["samples"].as_f64().unwrap() * s["depth"].as_f64().unwrap()
            })
            .sum();
        loads.push(cost);
    }
    let total: f64 = loads.iter().sum();
    let biggest_cell = 9000.0 * 40.0;
    for l in &loads {
        assert!((l - total / 3.0).abs() <= biggest_cell, "loads {loads:?}");
    }
}

#[test]
fn placeholders_become_axes_and_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t");
    table(
        &dir,
        &[
            "--dist",
            "mix(0.9*normal(0,{s}), 0.1*laplace(0,{b}))",
            "--s",
            "0.5,1",
            "--b=0.2,2",
            "--samples",
            "2000",
        ],
    );
    let csv = std::fs::read_to_string(dir.join("table.csv")).unwrap();
    assert!(csv.starts_with("cell,s,b,activation"), "{}", &csv[..60]);
    assert_eq!(csv.lines().count(), 5);
    assert!(
        csv.contains("mix(0.9*normal(0,0.5), 0.1*laplace(0,2))"),
        "{csv}"
    );
    let md = std::fs::read_to_string(dir.join("table.md")).unwrap();
    assert!(md.starts_with("| s \\ b | 0.2 | 2 |"), "{md}");
    // A placeholder without values, and bad grids, are refused before any work.
    vanish()
        .args(["table", "--dist", "normal(0,{s})"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: --s"));
    vanish()
        .args([
            "table",
            "--n",
            "1:3:0.5",
            "--depth",
            "1e6",
            "--samples",
            "1e9",
        ])
        .assert()
        .code(2)
        // The flags that set the size are named, and --force offered.
        .stderr(predicate::str::starts_with("error: --n: the grid costs"))
        .stderr(predicate::str::contains("add --force"));
    vanish()
        .args(["table", "--shard", "3/3", "--out"])
        .arg(tmp.path().join("x"))
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: --shard"));
    for args in [
        vec!["--n", "1,2", "--value", "p_nothing"],
        vec!["--n", "1,2,1"],
        vec!["--dist", "normal(0,{seed})"],
        vec!["--dist", "normal(0,{ s })"],
    ] {
        let flag = args
            .iter()
            .find(|a| a.starts_with("--value") || *a == &"--dist")
            .copied();
        let dir = tmp.path().join("refused");
        vanish()
            .arg("table")
            .args(&args)
            .arg("--out")
            .arg(&dir)
            .assert()
            .code(2)
            .stderr(predicate::str::starts_with(format!(
                "error: {}",
                flag.unwrap_or("--n")
            )));
        assert!(!dir.exists(), "{args:?} left a folder");
    }
    // {my_s} takes its values from --my-s or --my_s.
    for spelling in ["--my-s", "--my_s"] {
        vanish()
            .args([
                "table",
                "--dist",
                "normal(0,{my_s})",
                spelling,
                "0.5,1",
                "--samples",
                "100",
            ])
            .assert()
            .success();
    }
}

#[test]
fn resume_survives_values_that_need_17_digits() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t");
    let grid = [
        "--n",
        "1,1.4000000000000001",
        "--samples",
        "1000",
        "--depth",
        "5",
    ];
    table(&dir, &grid);
    table(&dir, &[&grid[..], &["--resume"]].concat());
    let csv = std::fs::read_to_string(dir.join("table.csv")).unwrap();
    assert!(csv.contains(",1.4000000000000001,"), "{csv}");
}

#[test]
fn a_config_file_is_the_same_grid_as_its_flags_and_flags_override_it() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("sweep.toml");
    std::fs::write(
        &config,
        "# a sweep\nn = \"1:3:1\"\ndepth = [10, 50]\nsamples = 2e3\n\
         dist = \"normal(0,{s})\"\ns = [0.5, 1]\nseed = 4\n",
    )
    .unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    table(
        &a,
        &["--config", config.to_str().unwrap(), "--samples", "3000"],
    );
    table(
        &b,
        &[
            "--n",
            "1,2,3",
            "--depth",
            "10,50",
            "--samples",
            "3000",
            "--dist",
            "normal(0,{s})",
        ]
        .iter()
        .chain(&["--s", "0.5,1", "--seed", "4"])
        .copied()
        .collect::<Vec<_>>(),
    );
    same_tables(&a, &b);
    std::fs::write(&config, "n = [1, 2]\ndeph = 5\n").unwrap();
    vanish()
        .args(["table", "--config"])
        .arg(&config)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown key 'deph'"));
}

const NETWORK_GRID: [&str; 16] = [
    "--source",
    "network",
    "--n",
    "1",
    "--width",
    "8,16",
    "--sigma-w",
    "0.8,1.5",
    "--sigma-b",
    "0.1",
    "--depth",
    "6",
    "--samples",
    "400",
    "--quantity",
    "jacobian",
];

#[test]
fn network_tables_are_sim_runs_and_shard_like_any_table() {
    let tmp = tempfile::tempdir().unwrap();
    let (t, s) = (tmp.path().join("t"), tmp.path().join("s"));
    table(&t, &[&NETWORK_GRID[..], &["--threads", "1"]].concat());
    // Cell 3: width 16, σ_w 1.5 (σ_w runs fastest).
    vanish()
        .args([
            "sim",
            "--source",
            "network",
            "--n",
            "1",
            "--width",
            "16",
            "--sigma-w",
            "1.5",
            "--sigma-b",
            "0.1",
            "--depth",
            "6",
            "--samples",
            "400",
            "--quantity",
            "jacobian",
            "--quiet",
            "--out",
        ])
        .arg(&s)
        .assert()
        .success();
    let rows = |p: &Path| -> Vec<Vec<String>> {
        csv::Reader::from_path(p)
            .unwrap()
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    };
    let (t_rows, s_rows) = (rows(&t.join("table.csv")), rows(&s.join("summary.csv")));
    assert_eq!(t_rows.len(), 4);
    assert_eq!(t_rows[3][1..], s_rows[0][..]);
    // Two threads, and three shards merged, write the same files.
    let b = tmp.path().join("b");
    table(&b, &[&NETWORK_GRID[..], &["--threads", "2"]].concat());
    same_tables(&t, &b);
    let shards: Vec<_> = (0..3).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, dir) in shards.iter().enumerate() {
        table(
            dir,
            &[&NETWORK_GRID[..], &["--shard", &format!("{i}/3")]].concat(),
        );
    }
    let merged = tmp.path().join("merged");
    vanish()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .arg("--quiet")
        .assert()
        .success();
    same_tables(&t, &merged);
}

#[test]
fn network_table_flags_are_checked() {
    for (args, flag) in [
        (&["--width", "8"][..], "--width"),
        (&["--sigma-w", "1,2"], "--sigma-w"),
        (&["--source", "network"], "--width"),
        (
            &["--source", "network", "--width", "8", "--sigma-b", "-1"],
            "--sigma-b",
        ),
        (
            &["--source", "network", "--width", "8", "--input-dim", "0"],
            "--input-dim",
        ),
    ] {
        crate::util::refused(&[&["table"][..], args].concat(), flag);
    }
    for (args, flag) in [
        (
            &["--source", "network", "--width", "8", "--init", "x"][..],
            "--init",
        ),
        (&["--source", "net"], "--source"),
        (&["--method", "exact,x"], "--method"),
        (&["--precision", "f16"], "--precision"),
    ] {
        crate::util::refused_value(&[&["table"][..], args].concat(), flag);
    }
}
