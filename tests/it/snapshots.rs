//! Snapshots of what users read: the terminal tables and output files of a few fast,
//! deterministic commands, compared with `tests/snapshots/<name>.txt`.
//!
//! **How to update.** `UPDATE_SNAPSHOTS=1 cargo test --test tests snapshots::` writes the
//! files instead of comparing them. Review the change (`git diff tests/snapshots/`) and
//! commit it with the change that caused it. A snapshot whose numbers change is a change
//! of the determinism contract (see tests/it/stability.rs): say so in CHANGELOG.md.
//!
//! **What is masked.** Every output goes through [`normalise`] first, which masks what
//! varies between runs of one command and nothing else (a masked number keeps its unit:
//! `0.02 s on 1 threads (5.1e7 derivatives/s)` becomes
//! `<time> s on <threads> threads (<rate> derivatives/s)`):
//! - the temporary `--out` folder's path → `<out>`;
//! - elapsed seconds, a number followed by the word `s` → `<time>`;
//! - rates, a number followed by ` derivatives/s` or ` networks/s` → `<rate>`;
//! - thread counts, a number followed by ` thread` or ` threads` → `<threads>`;
//! - in JSON, the values of `"elapsed_s"` and `"threads"` → `"<masked>"`;
//! - the kernel's instruction set (`fast-f64-avx512`, `fast-f64-avx2`, `fast-f64-portable`) → `fast-f64-<isa>`.
//!
//! **Threads.** Every command runs with 1 and with 2 threads (`--threads`, and
//! `RAYON_NUM_THREADS` for the work on rayon's global pool); both must give the one
//! snapshot.

use std::path::{Path, PathBuf};

use crate::util::vanish;

/// The thread counts every snapshot is taken with.
const THREADS: [&str; 2] = ["1", "2"];

fn snapshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"))
}

/// Compares `got` with the snapshot `name`, or writes it when `UPDATE_SNAPSHOTS=1`.
fn assert_snapshot(name: &str, got: &str) {
    let path = snapshot_path(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; create it with UPDATE_SNAPSHOTS=1", path.display()));
    if want == got {
        return;
    }
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let mut diff = String::new();
    for i in 0..w.len().max(g.len()) {
        let (a, b) = (w.get(i), g.get(i));
        if a != b {
            diff.push_str(&format!(
                "line {}:\n  - {}\n  + {}\n",
                i + 1,
                a.unwrap_or(&"<none>"),
                b.unwrap_or(&"<none>")
            ));
        }
    }
    panic!(
        "{} differs from the output (UPDATE_SNAPSHOTS=1 rewrites it):\n{diff}",
        path.display()
    );
}

/// Asserts the outputs of one command with every thread count are equal, then compares
/// them with the snapshot `name`.
fn assert_snapshots(name: &str, by_threads: &[String]) {
    for (t, text) in THREADS.iter().zip(by_threads).skip(1) {
        assert!(
            *text == by_threads[0],
            "{name}: {t} threads differ from 1 thread:\n{text}\n---\n{}",
            by_threads[0]
        );
    }
    assert_snapshot(name, &by_threads[0]);
}

/// Masks what varies between runs (see the module's documentation).
fn normalise(text: &str, out: Option<&Path>) -> String {
    let mut text = text.to_string();
    if let Some(out) = out {
        text = text.replace(&out.display().to_string(), "<out>");
    }
    let text = text
        .replace("-avx512\"", "-<isa>\"")
        .replace("-avx2\"", "-<isa>\"")
        .replace("-portable\"", "-<isa>\"");
    let text = mask_object_values(&text, "timings_s");
    mask_numbers(&mask_json_values(&text, &["elapsed_s", "threads"]))
}

/// Every value of the object under `"key": {` → `"<masked>"` on lines of pretty-printed
/// JSON (the parts of `timings_s`).
fn mask_object_values(text: &str, key: &str) -> String {
    let opening = format!("\"{key}\": {{");
    let mut inside = false;
    text.split_inclusive('\n')
        .map(|line| {
            if line.contains(&opening) {
                inside = true;
                return line.to_string();
            }
            if inside && line.trim_start().starts_with('}') {
                inside = false;
            }
            match line.find("\": ") {
                Some(i) if inside => {
                    let end = if line.trim_end().ends_with(',') {
                        ","
                    } else {
                        ""
                    };
                    let newline = if line.ends_with('\n') { "\n" } else { "" };
                    format!("{}\"<masked>\"{end}{newline}", &line[..i + 3])
                }
                _ => line.to_string(),
            }
        })
        .collect()
}

/// `"key": value` → `"key": "<masked>"` on lines of pretty-printed JSON.
fn mask_json_values(text: &str, keys: &[&str]) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            for key in keys {
                let pattern = format!("\"{key}\": ");
                if let Some(i) = line.find(&pattern) {
                    let end = if line.trim_end().ends_with(',') {
                        ","
                    } else {
                        ""
                    };
                    let newline = if line.ends_with('\n') { "\n" } else { "" };
                    return format!("{}\"<masked>\"{end}{newline}", &line[..i + pattern.len()]);
                }
            }
            line.to_string()
        })
        .collect()
}

/// Numbers followed by these words, and their masks.
const MASKED_UNITS: [(&str, &str); 5] = [
    (" s", "<time>"),
    (" derivatives/s", "<rate>"),
    (" networks/s", "<rate>"),
    (" threads", "<threads>"),
    (" thread", "<threads>"),
];

/// Masks a number (`12`, `0.02`, `5.11e7`) followed by one of [`MASKED_UNITS`] as a
/// whole word; every other number is kept.
fn mask_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let starts_number = c.is_ascii_digit()
            && !prev.is_some_and(|p| p.is_alphanumeric() || p == '.' || p == '_');
        if !starts_number {
            out.push(c);
            prev = Some(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let (number, after) = rest.split_at(number_len(rest));
        let unit = MASKED_UNITS.iter().find(|(unit, _)| {
            after.strip_prefix(unit).is_some_and(|tail| {
                !tail
                    .chars()
                    .next()
                    .is_some_and(|t| t.is_alphanumeric() || t == '/')
            })
        });
        out.push_str(unit.map_or(number, |(_, mask)| mask));
        prev = number.chars().last();
        rest = after;
    }
    out
}

/// The length of the number at the start of `s`: digits, a fraction, an exponent.
fn number_len(s: &str) -> usize {
    let b = s.as_bytes();
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = digits(0);
    if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
        i = digits(i + 1);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let sign = usize::from(i + 1 < b.len() && (b[i + 1] == b'-' || b[i + 1] == b'+'));
        if i + 1 + sign < b.len() && b[i + 1 + sign].is_ascii_digit() {
            i = digits(i + 1 + sign);
        }
    }
    i
}

#[test]
fn the_normaliser_masks_timings_and_keeps_numbers() {
    assert_eq!(
        normalise(
            "0.02 s on 1 threads (5.11e7 derivatives/s)\n4 cells, 3.000e5 derivatives in 12 s on 2 threads\n",
            None
        ),
        "<time> s on <threads> threads (<rate> derivatives/s)\n4 cells, 3.000e5 derivatives in <time> s on <threads> threads\n"
    );
    // Numbers before other words stay, as do digits inside words.
    let kept = "20000 samples, 5 steps, log10 g, 0.5 s2, t1 = 0.6585, 18 runs\n";
    assert_eq!(normalise(kept, None), kept);
    assert_eq!(
        normalise(
            "{\n  \"elapsed_s\": 0.4,\n  \"kernel\": \"fast-f64-avx2\",\n  \"threads\": 2\n}\n",
            None
        ),
        "{\n  \"elapsed_s\": \"<masked>\",\n  \"kernel\": \"fast-f64-<isa>\",\n  \"threads\": \"<masked>\"\n}\n"
    );
    // The parts of the time, and nothing after their object.
    assert_eq!(
        normalise(
            "{\n  \"timings_s\": {\n    \"exact\": 1.1,\n    \"is\": 16\n  },\n  \"tool\": 2\n}\n",
            None
        ),
        "{\n  \"timings_s\": {\n    \"exact\": \"<masked>\",\n    \"is\": \"<masked>\"\n  },\n  \"tool\": 2\n}\n"
    );
    let out = Path::new("/tmp/x/out");
    assert_eq!(
        normalise("wrote /tmp/x/out/a.csv", Some(out)),
        "wrote <out>/a.csv"
    );
}

/// Runs `vanish ARGS` with `threads` worker threads and returns its stdout, normalised.
fn stdout(args: &[&str], threads: &str, out: Option<&Path>) -> String {
    let mut cmd = vanish();
    cmd.args(args)
        .env("RAYON_NUM_THREADS", threads)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if let Some(out) = out {
        cmd.arg("--out").arg(out);
    }
    let assert = cmd.assert().success();
    normalise(&String::from_utf8_lossy(&assert.get_output().stdout), out)
}

/// A file of a run's `--out` folder, normalised.
fn file(out: &Path, name: &str) -> String {
    normalise(&std::fs::read_to_string(out.join(name)).unwrap(), Some(out))
}

#[test]
fn thresholds_table() {
    let by_threads: Vec<String> = THREADS
        .iter()
        .map(|t| stdout(&["thresholds", "--n", "2", "--depth", "50"], t, None))
        .collect();
    assert_snapshots("thresholds", &by_threads);
}

#[test]
fn meanfield_table() {
    let by_threads: Vec<String> = THREADS
        .iter()
        .map(|t| {
            let args = ["meanfield", "--n", "2", "--sigma-w", "0.5,1,1.5"];
            let more = ["--sigma-b", "0,0.1", "--threads", t];
            stdout(&[&args[..], &more[..]].concat(), t, None)
        })
        .collect();
    assert_snapshots("meanfield", &by_threads);
}

#[test]
fn sim_table_and_files() {
    let tmp = tempfile::tempdir().unwrap();
    // 5 blocks: past the serial ones, so the parallel fold runs; importance sampling runs
    // its own blocks on rayon's global pool.
    let runs: Vec<(String, PathBuf)> = THREADS
        .iter()
        .map(|t| {
            let out = tmp.path().join(format!("sim-{t}"));
            let args = ["sim", "--samples", "20000", "--depth", "50", "--seed", "3"];
            let more = ["--method", "saddle,clt,is", "--threads", t];
            (stdout(&[&args[..], &more[..]].concat(), t, Some(&out)), out)
        })
        .collect();
    let terminal: Vec<String> = runs.iter().map(|(s, _)| s.clone()).collect();
    assert_snapshots("sim", &terminal);
    // histogram.csv (400 kB here) is left to the determinism tests.
    for name in ["summary.csv", "summary.json", "manifest.json"] {
        let files: Vec<String> = runs.iter().map(|(_, out)| file(out, name)).collect();
        assert_snapshots(&format!("sim.{name}"), &files);
    }
}

#[test]
fn table_markdown_and_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let runs: Vec<(String, PathBuf)> = THREADS
        .iter()
        .map(|t| {
            let out = tmp.path().join(format!("table-{t}"));
            let args = ["table", "--n", "1.5,2", "--depth", "10,20"];
            let more = ["--samples", "5000", "--method", "clt", "--threads", t];
            (stdout(&[&args[..], &more[..]].concat(), t, Some(&out)), out)
        })
        .collect();
    let terminal: Vec<String> = runs.iter().map(|(s, _)| s.clone()).collect();
    assert_snapshots("table", &terminal);
    for name in ["table.csv", "table.md"] {
        let files: Vec<String> = runs.iter().map(|(_, out)| file(out, name)).collect();
        assert_snapshots(&format!("table.{name}"), &files);
    }
}

#[test]
fn markov_table() {
    // tests/data/trajectories_small.csv: `vanish train --runs 20 --width 6 --input-dim 4
    // --n 3 --sigma-w 1.5 --depth 20 --steps 150 --record-every 10 --examples 128`, its
    // run, step, loss and probe_gain columns kept, to 6 significant digits.
    let by_threads: Vec<String> = THREADS
        .iter()
        .map(|t| stdout(&["markov", "tests/data/trajectories_small.csv"], t, None))
        .collect();
    assert_snapshots("markov", &by_threads);
}
