//! What a journal guarantees: every line carries a checksum and is checked when read back
//! (by `--resume`, `merge` and `train --gather`), so a damaged or edited journal is refused
//! with its file and line, never mixed into results and never a panic; a file of that name
//! that is not a journal is never overwritten; results of another numbers version are
//! refused; a refused `--resume` names the setting that differs; and a torn last line (a
//! kill mid-write) is still dropped and recomputed.

use std::path::{Path, PathBuf};

use crate::util::vanish;
use vanish::nets::train::RunEntry;
use vanish::sweep::journal::seal;

/// A table of 4 cells (a few milliseconds).
const TABLE: [&str; 10] = [
    "table",
    "--n",
    "1.5,2",
    "--depth",
    "10,20",
    "--samples",
    "2000",
    "--threads",
    "1",
    "--quiet",
];

/// A training map of 2 cells × 2 runs of 8 steps (a few milliseconds).
const TRAIN: [&str; 16] = [
    "train",
    "--runs",
    "2",
    "--depth",
    "3",
    "--width",
    "4",
    "--steps",
    "8",
    "--record-every",
    "4",
    "--sigma-w",
    "0.7,1.5",
    "--threads",
    "1",
    "--quiet",
];

fn run_ok(args: &[&str], out: &Path, extra: &[&str]) {
    vanish()
        .args(args)
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

fn journal(dir: &Path) -> PathBuf {
    dir.join("journal.jsonl")
}

fn lines(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(journal(dir))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(dir: &Path, lines: &[String]) {
    std::fs::write(journal(dir), lines.join("\n") + "\n").unwrap();
}

/// A line without its checksum: the JSON object vanish sealed.
fn body(line: &str) -> String {
    let (body, crc) = line.rsplit_once(",\"crc32\":").expect("a sealed line");
    assert_eq!(crc.len(), 11, "{crc}");
    format!("{body}}}")
}

/// A copy of folder `from` at `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in std::fs::read_dir(from).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
    }
}

/// Runs a command that must refuse a damaged journal: exit 2 (no panic), one line naming
/// `file` (and `line N` when given), the journal left as it was, and `fresh` (a folder the
/// command would create) not created.
fn refuses(cmd: &mut assert_cmd::Command, file: &Path, line: Option<usize>, fresh: &Path) {
    let before = std::fs::read(file).unwrap();
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{cmd:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let named = match line {
        Some(n) => format!("error: {} line {n}: ", file.display()),
        // The output-folder policy names the file within --out, the journal reader its path.
        None => format!("{}", file.file_name().unwrap().to_string_lossy()),
    };
    assert!(err.contains(&named), "{cmd:?}: wanted '{named}' in: {err}");
    assert_eq!(std::fs::read(file).unwrap(), before, "{err}");
    assert!(!fresh.exists(), "{cmd:?} left {}", fresh.display());
}

/// A line's JSON object edited by `f`, keeping its old checksum (an edit by hand).
fn edited(line: &str, f: impl Fn(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&body(line)).unwrap();
    f(&mut v);
    let crc = &line[line.rfind(",\"crc32\":").unwrap()..];
    let text = v.to_string();
    format!("{}{crc}", &text[..text.len() - 1])
}

/// A line's JSON object edited by `f` and sealed again (an edit that fixed the checksum:
/// only the record's own rules can catch it). serde_json writes keys sorted; a table
/// cell's fields ("cell", "row", "summary") are in that order already.
fn resealed(line: &str, f: impl Fn(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&body(line)).unwrap();
    f(&mut v);
    seal(&v.to_string())
}

type Damage = Box<dyn Fn(&str) -> String>;

/// The ways a table's cell line is damaged, each refused.
fn table_damages(header: &[String]) -> Vec<(&'static str, Damage)> {
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (samples, vanished) = (col("samples"), col("vanish_count"));
    let count = move |v: &serde_json::Value| -> u64 {
        v["row"][vanished].as_str().unwrap().parse().unwrap()
    };
    vec![
        (
            "a count changed",
            Box::new(move |l: &str| {
                edited(l, |v| {
                    v["row"][vanished] = (count(v) + 1).to_string().into()
                })
            }),
        ),
        (
            "a row of the wrong length",
            Box::new(|l: &str| resealed(l, |v| drop(v["row"].as_array_mut().unwrap().pop()))),
        ),
        (
            "a count above the samples",
            Box::new(move |l: &str| resealed(l, |v| v["row"][vanished] = "2001".into())),
        ),
        (
            "a count that is no count",
            Box::new(move |l: &str| resealed(l, |v| v["row"][vanished] = "-1".into())),
        ),
        (
            "samples that are not the cell's",
            Box::new(move |l: &str| resealed(l, |v| v["row"][samples] = "3000".into())),
        ),
        (
            "a row of another cell",
            Box::new(|l: &str| resealed(l, |v| v["row"][0] = "7".into())),
        ),
        (
            "an extra field",
            Box::new(|l: &str| seal(&body(l).replacen('{', "{\"extra\":1,", 1))),
        ),
        (
            "a cell out of the grid",
            Box::new(|l: &str| resealed(l, |v| v["cell"] = 9.into())),
        ),
        (
            "a missing summary",
            Box::new(|l: &str| resealed(l, |v| drop(v.as_object_mut().unwrap().remove("summary")))),
        ),
        ("a line without its checksum", Box::new(body)),
        (
            "a line cut short inside the journal",
            Box::new(|l: &str| l[..80].to_string()),
        ),
        ("an empty line", Box::new(|_: &str| String::new())),
        (
            "invalid UTF-8",
            Box::new(|l: &str| format!("{}\u{fffd}{}", &l[..20], &l[21..])),
        ),
    ]
}

#[test]
fn every_damaged_table_journal_is_refused_with_its_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let whole = t.join("whole");
    run_ok(&TABLE, &whole, &[]);
    let good = lines(&whole);
    assert_eq!(good.len(), 5, "a header and 4 cells");
    let shards: Vec<PathBuf> = (0..2).map(|i| t.join(format!("s{i}"))).collect();
    for (i, s) in shards.iter().enumerate() {
        run_ok(&TABLE, s, &["--shard", &format!("{i}/2")]);
    }
    let csv = std::fs::read_to_string(whole.join("table.csv")).unwrap();
    let header: Vec<String> = csv
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(String::from)
        .collect();
    for (what, damage) in table_damages(&header) {
        // --resume of a folder whose third line is damaged.
        let dir = t.join("resume");
        copy_dir(&whole, &dir);
        let mut damaged = good.clone();
        damaged[2] = damage(&good[2]);
        write_lines(&dir, &damaged);
        if what == "invalid UTF-8" {
            let mut bytes = std::fs::read(journal(&dir)).unwrap();
            let at = good[0].len() + good[1].len() + 2 + 20;
            bytes.splice(at..at + 3, [0xff, b'x', b'x']);
            std::fs::write(journal(&dir), bytes).unwrap();
        }
        eprintln!("{what}");
        refuses(
            vanish().args(TABLE).arg("--resume").arg("--out").arg(&dir),
            &journal(&dir),
            Some(3),
            &dir.join("nothing"),
        );
        std::fs::remove_dir_all(&dir).unwrap();
        // merge of shards whose second one has its first cell damaged alike.
        let shard = t.join("shard");
        copy_dir(&shards[1], &shard);
        let mut s = lines(&shard);
        let first = s[1].clone();
        s[1] = damage(&first);
        write_lines(&shard, &s);
        if what == "invalid UTF-8" {
            let mut bytes = std::fs::read(journal(&shard)).unwrap();
            let at = s[0].len() + 1 + 20;
            bytes.splice(at..at + 3, [0xff, b'x', b'x']);
            std::fs::write(journal(&shard), bytes).unwrap();
        }
        let merged = t.join("merged");
        refuses(
            vanish()
                .arg("merge")
                .arg(&shards[0])
                .arg(&shard)
                .arg("--out")
                .arg(&merged),
            &journal(&shard),
            Some(2),
            &merged,
        );
        std::fs::remove_dir_all(&shard).unwrap();
    }
    // A damaged header: refused by --resume and merge alike (line 1).
    let damaged_header = edited(&good[0], |v| v["grid"]["seed"] = 2.into());
    let dir = t.join("header");
    copy_dir(&whole, &dir);
    let mut with_header = good.clone();
    with_header[0] = damaged_header.clone();
    write_lines(&dir, &with_header);
    refuses(
        vanish().args(TABLE).arg("--resume").arg("--out").arg(&dir),
        &journal(&dir),
        Some(1),
        &dir.join("nothing"),
    );
    let mut s = lines(&shards[0]);
    s[0] = damaged_header;
    write_lines(&shards[0], &s);
    let merged = t.join("merged");
    refuses(
        vanish()
            .arg("merge")
            .args(&shards)
            .arg("--out")
            .arg(&merged),
        &journal(&shards[0]),
        Some(1),
        &merged,
    );
}

/// A training line's entry edited by `f`, sealed again (or not, when `keep_crc`).
fn run_edited(line: &str, keep_crc: bool, f: impl Fn(&mut RunEntry)) -> String {
    let mut e: RunEntry = serde_json::from_str(&body(line)).unwrap();
    f(&mut e);
    let text = serde_json::to_string(&e).unwrap();
    if keep_crc {
        let crc = &line[line.rfind(",\"crc32\":").unwrap()..];
        format!("{}{crc}", &text[..text.len() - 1])
    } else {
        seal(&text)
    }
}

/// The ways a training run's line is damaged, each refused.
fn train_damages() -> Vec<(&'static str, Damage)> {
    let field = |r: &str, k: usize, to: &str| {
        let mut f: Vec<&str> = r.split(',').collect();
        f[k] = to;
        f.join(",")
    };
    vec![
        (
            "a loss value changed",
            Box::new(move |l: &str| {
                run_edited(l, true, |e| e.records[1] = field(&e.records[1], 1, "0.5"))
            }),
        ),
        (
            "steps in reverse order",
            Box::new(|l: &str| run_edited(l, false, |e| e.records.reverse())),
        ),
        (
            "no records",
            Box::new(|l: &str| run_edited(l, false, |e| e.records.clear())),
        ),
        (
            "a record of the wrong length",
            Box::new(|l: &str| {
                run_edited(l, false, |e| {
                    let cut = e.records[0].rfind(',').unwrap();
                    e.records[0].truncate(cut);
                })
            }),
        ),
        (
            "a record of another depth",
            Box::new(|l: &str| run_edited(l, false, |e| e.records[0].push_str(",1,1,1"))),
        ),
        (
            "a step beyond --steps",
            Box::new(move |l: &str| {
                run_edited(l, false, |e| {
                    let last = e.records.len() - 1;
                    e.records[last] = field(&e.records[last], 0, "80");
                })
            }),
        ),
        (
            "a number that does not read",
            Box::new(move |l: &str| {
                run_edited(l, false, |e| e.records[0] = field(&e.records[0], 2, "x"))
            }),
        ),
        (
            "a finished run marked diverged",
            Box::new(|l: &str| run_edited(l, false, |e| e.diverged = true)),
        ),
        (
            "an extra field",
            Box::new(|l: &str| seal(&body(l).replacen('{', "{\"extra\":1,", 1))),
        ),
        (
            "a run out of the map",
            Box::new(|l: &str| run_edited(l, false, |e| e.run = 40)),
        ),
    ]
}

#[test]
fn every_damaged_training_journal_is_refused_with_its_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let whole = t.join("whole");
    run_ok(&TRAIN, &whole, &[]);
    let good = lines(&whole);
    assert_eq!(good.len(), 5, "a header and 4 runs");
    let shards: Vec<PathBuf> = (0..2).map(|i| t.join(format!("s{i}"))).collect();
    for (i, s) in shards.iter().enumerate() {
        run_ok(&TRAIN, s, &["--shard", &format!("{i}/2")]);
    }
    for (what, damage) in train_damages() {
        eprintln!("{what}");
        let dir = t.join("resume");
        copy_dir(&whole, &dir);
        let mut damaged = good.clone();
        damaged[2] = damage(&good[2]);
        write_lines(&dir, &damaged);
        refuses(
            vanish().args(TRAIN).arg("--resume").arg("--out").arg(&dir),
            &journal(&dir),
            Some(3),
            &dir.join("nothing"),
        );
        std::fs::remove_dir_all(&dir).unwrap();
        let shard = t.join("shard");
        copy_dir(&shards[1], &shard);
        let mut s = lines(&shard);
        s[1] = damage(&s[1]);
        write_lines(&shard, &s);
        // --gather leaves no folder behind (so the retry is not blocked), nor does merge.
        let out = t.join("gathered");
        refuses(
            vanish()
                .args(TRAIN)
                .arg("--gather")
                .arg(&shards[0])
                .arg(&shard)
                .arg("--out")
                .arg(&out),
            &journal(&shard),
            Some(2),
            &out,
        );
        refuses(
            vanish()
                .arg("merge")
                .arg(&shards[0])
                .arg(&shard)
                .arg("--out")
                .arg(&out),
            &journal(&shard),
            Some(2),
            &out,
        );
        std::fs::remove_dir_all(&shard).unwrap();
    }
    // Once the shard is whole again, the same --gather goes through.
    let out = t.join("gathered");
    run_ok(
        &TRAIN,
        &out,
        &[
            "--gather",
            &shards[0].to_string_lossy(),
            &shards[1].to_string_lossy(),
        ],
    );
    assert_eq!(lines(&out), good);
}

#[test]
fn a_torn_last_line_is_dropped_and_recomputed() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, name) in [(&TABLE[..], "table"), (&TRAIN[..], "train")] {
        let whole = tmp.path().join(name);
        run_ok(args, &whole, &[]);
        let good = lines(&whole);
        // What a kill -9 in the middle of the last write leaves: the line without its end.
        let killed = tmp.path().join(format!("{name}-killed"));
        std::fs::create_dir(&killed).unwrap();
        let text = format!(
            "{}\n{}\n{}",
            good[0],
            good[1],
            &good[2][..good[2].len() - 30]
        );
        std::fs::write(journal(&killed), text).unwrap();
        run_ok(args, &killed, &["--resume"]);
        assert_eq!(lines(&killed), good, "{name}");
    }
}

#[test]
fn a_file_that_is_not_a_journal_is_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let whole = t.join("whole");
    run_ok(&TABLE, &whole, &[]);
    let good = lines(&whole);
    let mut header: serde_json::Value = serde_json::from_str(&body(&good[0])).unwrap();
    header["journal"] = "my notes".into();
    for (what, text) in [
        ("a user's file", "my notes about this run\n".to_string()),
        (
            "a user's JSON lines",
            "{\"a\": 1}\n{\"b\": 2}\n".to_string(),
        ),
        ("a user's line without its end", "{\"a\": 1}".to_string()),
        (
            "a header cut inside",
            format!("{}\n", &good[0][..good[0].len() - 12]),
        ),
        (
            "a header of something else",
            format!("{}\n", seal(&header.to_string())),
        ),
    ] {
        for resume in [false, true] {
            let dir = t.join("user");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(journal(&dir), &text).unwrap();
            let mut cmd = vanish();
            cmd.args(TABLE).arg("--out").arg(&dir);
            if resume {
                cmd.arg("--resume");
            }
            eprintln!("{what}, resume {resume}");
            refuses(&mut cmd, &journal(&dir), None, &dir.join("table.csv"));
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
    // An empty file, and a header whose write a kill cut short, hold nothing: replaced.
    for text in ["", &good[0][..7], &good[0][..good[0].len() - 12]] {
        for resume in [false, true] {
            let dir = t.join("torn");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(journal(&dir), text).unwrap();
            let extra: &[&str] = if resume { &["--resume"] } else { &[] };
            run_ok(&TABLE, &dir, extra);
            assert_eq!(lines(&dir), good);
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}

/// `journal.jsonl`'s header of `dir` with its numbers version set to `version`.
fn with_numbers(dir: &Path, version: u32) {
    let mut l = lines(dir);
    let mut h: serde_json::Value = serde_json::from_str(&body(&l[0])).unwrap();
    assert_eq!(
        h["numbers"],
        vanish::mc::rng::NUMBERS,
        "the header records it"
    );
    h["numbers"] = version.into();
    l[0] = vanish::sweep::journal::header_line(&h);
    write_lines(dir, &l);
}

#[test]
fn results_of_another_numbers_version_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let now = vanish::mc::rng::NUMBERS;
    let old = now - 1;
    let both = |err: &str| {
        assert!(
            err.contains(&format!("numbers version {old}"))
                && err.contains(&format!("numbers version {now}")),
            "{err}"
        );
    };
    for (args, name) in [(&TABLE[..], "table"), (&TRAIN[..], "train")] {
        let dir = t.join(name);
        run_ok(args, &dir, &[]);
        assert_eq!(crate::util::manifest(&dir)["numbers"], now, "{name}");
        with_numbers(&dir, old);
        let out = vanish()
            .args(args)
            .arg("--resume")
            .arg("--out")
            .arg(&dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        both(&String::from_utf8_lossy(&out.stderr));
        let shards: Vec<PathBuf> = (0..2).map(|i| t.join(format!("{name}{i}"))).collect();
        for (i, s) in shards.iter().enumerate() {
            run_ok(args, s, &["--shard", &format!("{i}/2")]);
        }
        with_numbers(&shards[1], old);
        let merged = t.join(format!("{name}-merged"));
        let out = vanish()
            .arg("merge")
            .args(&shards)
            .arg("--out")
            .arg(&merged)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        both(&String::from_utf8_lossy(&out.stderr));
        assert!(!merged.exists());
        if name == "train" {
            let out = vanish()
                .args(args)
                .arg("--gather")
                .args(&shards)
                .arg("--out")
                .arg(&merged)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2));
            both(&String::from_utf8_lossy(&out.stderr));
            assert!(!merged.exists());
        }
    }
}

/// Runs `ARGS --resume --out DIR` and asserts exit 2 with stderr starting `start`.
fn resume_refused(args: &[&str], dir: &Path, start: &str) {
    vanish()
        .args(args)
        .arg("--resume")
        .arg("--out")
        .arg(dir)
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with(start));
}

#[test]
fn a_refused_resume_names_the_setting_that_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t");
    run_ok(&TABLE, &dir, &[]);
    let mut other = TABLE.to_vec();
    other[4] = "10,30";
    resume_refused(
        &other,
        &dir,
        "error: --resume: --depth differs: the journal has 10, 20, the command 10, 30 (",
    );
    let mut seed = TABLE.to_vec();
    seed.extend(["--seed", "9"]);
    resume_refused(
        &seed,
        &dir,
        "error: --resume: --seed differs: the journal has 1, the command 9 (",
    );
    let map = tmp.path().join("m");
    run_ok(&TRAIN, &map, &[]);
    let mut wider = TRAIN.to_vec();
    wider[6] = "6";
    resume_refused(
        &wider,
        &map,
        "error: --resume: --width differs: the journal has 4, the command 6 (",
    );
}
