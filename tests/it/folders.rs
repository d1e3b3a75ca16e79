//! The output-folder policy, for every command that writes a folder: a run re-uses the
//! folder of a run of its own command and leaves nothing stale; a folder of other files is
//! refused and left as it is, unless --force (which keeps the other files); refused input
//! leaves no folder; a write that fails (a full disk) names the file and leaves no
//! half-written file and no manifest.

use std::path::{Path, PathBuf};

use crate::util::{manifest, vanish};

const SIM: &[&str] = &["sim", "-N", "1e3", "-q"];
const TABLE: &[&str] = &["table", "--n", "1,2", "-N", "1e3", "-q"];
const OTHER_TABLE: &[&str] = &["table", "--n", "1,3", "-N", "1e3", "-q"];
const TRAIN: &[&str] = &[
    "train", "--runs", "4", "--steps", "20", "--depth", "4", "--width", "8", "-q",
];
const THRESHOLDS: &[&str] = &["thresholds"];
const MEANFIELD: &[&str] = &["meanfield", "--sigma-w", "1,2"];

/// Runs `vanish ARGS --out OUT … EXTRA` and asserts success.
fn ok(args: &[&str], out: &Path, extra: &[&str]) {
    vanish()
        .args(args)
        .arg("--out")
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

/// Runs `vanish ARGS --out OUT` and returns its exit code and stderr.
fn attempt(args: &[&str], out: &Path) -> (Option<i32>, String) {
    let o = vanish().args(args).arg("--out").arg(out).output().unwrap();
    (o.status.code(), String::from_utf8_lossy(&o.stderr).into())
}

/// The names in `dir`, hidden ones included, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Asserts that `dir` holds exactly its manifest and what the manifest lists (files and
/// figures), and `kept`: nothing stale, no temporary.
fn holds_only_its_run(dir: &Path, kept: &[&str]) {
    let m = manifest(dir);
    let mut expected: Vec<String> = ["manifest.json"]
        .iter()
        .chain(kept)
        .map(|s| s.to_string())
        .collect();
    for key in ["files", "figures"] {
        if let Some(list) = m[key].as_array() {
            expected.extend(list.iter().map(|v| v.as_str().unwrap().to_string()));
        }
    }
    expected.sort();
    expected.dedup();
    assert_eq!(names(dir), expected, "{}", dir.display());
}

/// A folder holding a user's `summary.csv` and `notes.txt`.
fn users_folder(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("summary.csv"), "mine\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "my notes\n").unwrap();
    dir
}

/// A trajectories.csv written by `train`, for `markov`.
fn trajectories(root: &Path) -> PathBuf {
    let dir = root.join("trajectories-run");
    ok(TRAIN, &dir, &[]);
    dir.join("trajectories.csv")
}

/// Two finished shards of a table, for `merge`.
fn table_shards(root: &Path) -> [PathBuf; 2] {
    let shards = [root.join("s0"), root.join("s1")];
    for (i, s) in shards.iter().enumerate() {
        ok(TABLE, s, &["--shard", &format!("{i}/2")]);
    }
    shards
}

/// Every command and the arguments of one of its runs (before `--out`).
fn every_command(root: &Path) -> Vec<(String, Vec<String>)> {
    let own = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let file = trajectories(root).display().to_string();
    let [s0, s1] = table_shards(root).map(|p| p.display().to_string());
    let sim = root.join("a-sim");
    ok(SIM, &sim, &[]);
    let sim = sim.display().to_string();
    vec![
        ("sim".into(), own(SIM)),
        ("table".into(), own(TABLE)),
        (
            "table --shard".into(),
            [own(TABLE), own(&["--shard", "1/2"])].concat(),
        ),
        ("train".into(), own(TRAIN)),
        (
            "train --shard".into(),
            [own(TRAIN), own(&["--shard", "0/2"])].concat(),
        ),
        ("markov".into(), own(&["markov", &file])),
        ("meanfield".into(), own(MEANFIELD)),
        ("thresholds".into(), own(THRESHOLDS)),
        ("merge".into(), own(&["merge", &s0, &s1, "-q"])),
        ("report".into(), own(&["report", &sim])),
        ("plot".into(), own(&["plot", &sim])),
    ]
}

#[test]
fn a_folder_of_other_files_is_refused_and_left_as_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, args) in every_command(tmp.path()) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let dir = users_folder(tmp.path(), &format!("users-{}", name.replace(' ', "")));
        let (code, err) = attempt(&args, &dir);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(
            err.starts_with(&format!(
                "error: --out: '{}' holds files that are not a finished `",
                dir.display()
            )) && err.contains("notes.txt, summary.csv")
                && err.contains("add --force")
                && err.lines().count() == 1,
            "{name}: {err}"
        );
        assert_eq!(
            names(&dir),
            ["notes.txt", "summary.csv"],
            "{name} touched the folder"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("summary.csv")).unwrap(),
            "mine\n"
        );
    }
}

#[test]
fn force_writes_over_files_of_the_same_names_and_keeps_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, args) in every_command(tmp.path()) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let dir = users_folder(tmp.path(), &format!("forced-{}", name.replace(' ', "")));
        ok(&args, &dir, &["--force"]);
        assert_eq!(
            std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
            "my notes\n",
            "{name}"
        );
        let m = manifest(&dir);
        assert!(
            m["files"].as_array().is_some_and(|f| !f.is_empty()),
            "{name}"
        );
        if name == "sim" {
            assert_ne!(
                std::fs::read_to_string(dir.join("summary.csv")).unwrap(),
                "mine\n"
            );
        }
    }
}

#[test]
fn another_commands_run_is_refused_and_a_manifest_that_does_not_read_too() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t");
    ok(THRESHOLDS, &dir, &[]);
    let before = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let (code, err) = attempt(SIM, &dir);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("not a finished `sim` run (manifest.json of a finished `thresholds` run"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("manifest.json")).unwrap(),
        before
    );
    std::fs::write(dir.join("manifest.json"), "{ not json").unwrap();
    let (code, err) = attempt(THRESHOLDS, &dir);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("manifest.json, which is not a vanish manifest"),
        "{err}"
    );
}

#[test]
fn sim_reuses_its_folder_and_leaves_no_stale_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    ok(SIM, &dir, &["--method", "exact", "--plot"]);
    assert!(dir.join("exact_density.csv").exists() && dir.join("histogram.svg").exists());
    holds_only_its_run(&dir, &[]);
    // A killed run's temporary and a user's own file: the one goes, the other stays.
    std::fs::write(dir.join(".vanish-killed.tmp"), "half").unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    ok(SIM, &dir, &[]);
    assert!(
        !dir.join("exact_density.csv").exists(),
        "an old exact density stayed"
    );
    assert!(!dir.join("histogram.svg").exists(), "an old figure stayed");
    holds_only_its_run(&dir, &["notes.txt"]);
}

#[test]
fn a_folder_of_vanish_temporaries_alone_is_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join(".vanish-a1B2c3.tmp"), "half").unwrap();
    std::fs::write(dir.join(".vanish-probe-Zz9y8X.tmp"), "").unwrap();
    ok(THRESHOLDS, &dir, &[]);
    holds_only_its_run(&dir, &[]);
}

/// Only vanish's exact temporary pattern is its own: a user's `.vanish-notes.tmp` makes the
/// folder a user's (refused, the file kept), and `--force` writes beside it.
#[test]
fn a_users_file_that_looks_like_a_temporary_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join(".vanish-notes.tmp"), "precious").unwrap();
    let (code, err) = attempt(THRESHOLDS, &dir);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(".vanish-notes.tmp"), "{err}");
    ok(THRESHOLDS, &dir, &["--force"]);
    assert_eq!(
        std::fs::read_to_string(dir.join(".vanish-notes.tmp")).unwrap(),
        "precious"
    );
}

/// `plot` and `report` read a run's files only when they are regular files of a bounded
/// size: a manifest that is /dev/zero or a FIFO, or a listed file that is a device, is
/// refused in one line at once (it exhausted memory, or hung).
#[cfg(unix)]
#[test]
fn plot_and_report_refuse_files_that_are_no_regular_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t");
    ok(THRESHOLDS, &dir, &[]);
    std::fs::remove_file(dir.join("thresholds.csv")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("thresholds.csv")).unwrap();
    let plot = vanish()
        .arg("plot")
        .arg(&dir)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&plot.stderr);
    assert_eq!(plot.status.code(), Some(2), "{err}");
    std::fs::remove_file(dir.join("manifest.json")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("manifest.json")).unwrap();
    for args in [vec!["plot"], vec!["report", "--out"]] {
        let mut cmd = vanish();
        cmd.args(&args);
        if args.len() == 2 {
            cmd.arg(tmp.path().join("r"));
        }
        let out = cmd
            .arg(&dir)
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn table_reuses_its_folder_by_the_journal_rule_and_leaves_no_stale_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t");
    ok(TABLE, &dir, &["--plot"]);
    assert!(names(&dir).iter().any(|n| n.ends_with(".svg")));
    // A journal is kept: without --resume or --force the folder is refused, untouched.
    let before = names(&dir);
    let (code, err) = attempt(TABLE, &dir);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("holds the journal of a finished run; add --resume to write its files")
            && err.contains("--force to replace the run"),
        "{err}"
    );
    assert_eq!(names(&dir), before);
    // --resume finishes it again; the figures of the earlier run are not this run's.
    ok(TABLE, &dir, &["--resume"]);
    assert!(
        !names(&dir).iter().any(|n| n.ends_with(".svg")),
        "stale figures"
    );
    holds_only_its_run(&dir, &[]);
    // --force starts over with other flags; then a shard of the same kind re-uses it.
    ok(OTHER_TABLE, &dir, &["--force", "--plot"]);
    assert!(
        std::fs::read_to_string(dir.join("table.csv"))
            .unwrap()
            .contains("tanh(3*x)")
    );
    ok(TABLE, &dir, &["--shard", "0/2", "--force"]);
    assert_eq!(
        names(&dir),
        ["journal.jsonl", "manifest.json"],
        "a shard writes its journal"
    );
    holds_only_its_run(&dir, &[]);
}

#[test]
fn train_reuses_its_folder_and_leaves_no_stale_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t");
    ok(TRAIN, &dir, &["--fit"]);
    assert!(dir.join("survival.csv").exists() && dir.join("markov.json").exists());
    let (code, err) = attempt(TRAIN, &dir);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("holds the journal of a finished run; add --resume to write its files"),
        "{err}"
    );
    ok(TRAIN, &dir, &["--force"]);
    assert!(
        !dir.join("survival.csv").exists(),
        "an old survival.csv stayed"
    );
    assert!(!dir.join("markov.json").exists());
    holds_only_its_run(&dir, &[]);
    // A shard re-uses it too, and --gather into a folder of its own kind.
    ok(TRAIN, &dir, &["--shard", "0/2", "--force"]);
    assert_eq!(names(&dir), ["journal.jsonl", "manifest.json"]);
    let other = tmp.path().join("s1");
    ok(TRAIN, &other, &["--shard", "1/2"]);
    let gathered = tmp.path().join("g");
    ok(TRAIN, &gathered, &["--fit"]);
    let gather = [
        "--gather",
        dir.to_str().unwrap(),
        other.to_str().unwrap(),
        "--force",
    ];
    ok(TRAIN, &gathered, &gather);
    assert!(!gathered.join("survival.csv").exists());
    holds_only_its_run(&gathered, &[]);
}

#[test]
fn a_dump_reuses_its_folder_and_keeps_a_users_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (dump, out) = (tmp.path().join("d"), tmp.path().join("o"));
    let dump_args = |extra: &[&str]| {
        let mut a: Vec<String> = TRAIN.iter().map(|s| s.to_string()).collect();
        a.extend(["--dump".into(), dump.display().to_string()]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |extra: &[&str], out: &Path| {
        vanish()
            .args(dump_args(extra))
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    assert!(run(&[], &out).status.success());
    assert_eq!(manifest(&dump)["command"], "train --dump");
    holds_only_its_run(&dump, &[]);
    std::fs::write(dump.join("recorder.csv"), "mine").unwrap();
    assert!(run(&["--force"], &out).status.success());
    holds_only_its_run(&dump, &["recorder.csv"]);
    // A dump into a folder of another run is refused, naming --dump.
    let sim = tmp.path().join("sim");
    ok(SIM, &sim, &[]);
    let o = vanish()
        .args(TRAIN)
        .arg("--dump")
        .arg(&sim)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: --dump: "));
}

#[test]
fn markov_meanfield_and_thresholds_reuse_their_folders_without_stale_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let file = trajectories(tmp.path()).display().to_string();
    let markov = ["markov", file.as_str()];
    for (name, args) in [
        ("markov", &markov[..]),
        ("meanfield", MEANFIELD),
        ("thresholds", THRESHOLDS),
    ] {
        let dir = tmp.path().join(name);
        ok(args, &dir, &["--plot"]);
        assert!(names(&dir).iter().any(|n| n.ends_with(".svg")), "{name}");
        holds_only_its_run(&dir, &[]);
        ok(args, &dir, &[]);
        assert!(
            !names(&dir).iter().any(|n| n.ends_with(".svg")),
            "{name}: stale figures"
        );
        holds_only_its_run(&dir, &[]);
    }
}

#[test]
fn merge_reuses_its_folder_with_force_and_leaves_no_stale_figure() {
    let tmp = tempfile::tempdir().unwrap();
    let [s0, s1] = table_shards(tmp.path());
    let dir = tmp.path().join("m");
    let merge = |extra: &[&str]| {
        vanish()
            .arg("merge")
            .args([&s0, &s1])
            .args(["-q", "--out"])
            .arg(&dir)
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(merge(&[]).status.success());
    vanish().arg("plot").arg(&dir).assert().success();
    assert!(names(&dir).iter().any(|n| n.ends_with(".svg")));
    let again = merge(&[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("add --force to start over"));
    assert!(merge(&["--force"]).status.success());
    assert!(
        !names(&dir).iter().any(|n| n.ends_with(".svg")),
        "stale figures"
    );
    holds_only_its_run(&dir, &[]);
}

#[test]
fn plot_and_report_list_their_figures_and_remove_stale_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let (sim, table) = (tmp.path().join("sim"), tmp.path().join("table"));
    ok(SIM, &sim, &[]);
    ok(TABLE, &table, &[]);
    // In place: listed under the run's figures, drawn again without duplicates.
    for _ in 0..2 {
        vanish().arg("plot").arg(&sim).assert().success();
    }
    assert_eq!(
        manifest(&sim)["figures"],
        serde_json::json!(["histogram.svg"])
    );
    holds_only_its_run(&sim, &[]);
    // Into a folder of their own: a later drawing of another run leaves none of the first.
    let (figures, report) = (tmp.path().join("figures"), tmp.path().join("report"));
    for run in [&sim, &table] {
        vanish()
            .arg("plot")
            .arg(run)
            .arg("--out")
            .arg(&figures)
            .assert()
            .success();
        holds_only_its_run(&figures, &[]);
        vanish()
            .arg("report")
            .arg(run)
            .arg("--out")
            .arg(&report)
            .assert()
            .success();
        holds_only_its_run(&report, &[]);
    }
    assert!(!figures.join("histogram.svg").exists() && !report.join("histogram.svg").exists());
    assert_eq!(manifest(&report)["command"], "report");
    // `plot DIR --out DIR` draws in place: the run stays a run.
    vanish()
        .arg("plot")
        .arg(&sim)
        .arg("--out")
        .arg(&sim)
        .assert()
        .success();
    assert_eq!(manifest(&sim)["command"], "sim");
}

#[test]
fn refused_input_leaves_no_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let users = users_folder(tmp.path(), "users");
    // --dump is made before --out is checked: a refused --out takes it away again.
    let dump = tmp.path().join("dump");
    let o = vanish()
        .args(TRAIN)
        .arg("--dump")
        .arg(&dump)
        .arg("--out")
        .arg(&users)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!dump.exists(), "a refused train left its --dump folder");
    for (args, flag) in [
        (SIM, "--depth"),
        (TABLE, "--depth"),
        (&["train", "--runs", "2", "--steps", "5"][..], "--depth"),
        (&["meanfield"][..], "--sigma-b"),
    ] {
        let bad = if flag == "--depth" { "0" } else { "x" };
        crate::util::refused(&[args, &[flag, bad]].concat(), flag);
    }
}

/// `sh -c "trap '' XFSZ; ulimit -f 1; exec vanish …"`: every write past 512 bytes fails
/// with EFBIG ("File too large"), as on a full disk, without root.
fn on_a_full_disk(args: &[&str], out: &Path) -> (Option<i32>, String) {
    let bin = assert_cmd::cargo::cargo_bin("vanish");
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 1; exec \"$0\" \"$@\"")
        .arg(bin)
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    (o.status.code(), String::from_utf8_lossy(&o.stderr).into())
}

#[test]
fn a_full_disk_names_the_file_and_leaves_no_half_run() {
    let tmp = tempfile::tempdir().unwrap();
    // A new folder: removed again, nothing was written.
    let new = tmp.path().join("new");
    let (code, err) = on_a_full_disk(SIM, &new);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.starts_with(&format!(
            "error: writing {}",
            new.join("summary.json").display()
        )) && err.contains("File too large"),
        "{err}"
    );
    assert!(!new.exists(), "a failed run left its new folder");
    // A finished run's folder: no manifest, no temporary, no file cut short; the next run
    // of the command finishes it.
    let old = tmp.path().join("old");
    ok(SIM, &old, &["--method", "exact"]);
    let (code, err) = on_a_full_disk(SIM, &old);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("File too large"), "{err}");
    let left = names(&old);
    assert!(!left.contains(&"manifest.json".to_string()), "{left:?}");
    assert!(!left.iter().any(|n| n.ends_with(".tmp")), "{left:?}");
    let summary = std::fs::read_to_string(old.join("summary.json")).unwrap();
    serde_json::from_str::<serde_json::Value>(&summary).expect("a whole summary.json");
    ok(SIM, &old, &[]);
    holds_only_its_run(&old, &[]);
    // A report that cannot be written leaves no folder.
    let report = tmp.path().join("report");
    let (code, err) = on_a_full_disk(&["report", old.to_str().unwrap()], &report);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("File too large") && err.contains(".svg"),
        "{err}"
    );
    assert!(!report.exists(), "a failed report left its folder");
}
