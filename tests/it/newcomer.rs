//! What a newcomer reads first: the help of every command (its examples run as printed),
//! the README's words and order, the shared defaults, and the Python snippet.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

/// The commands in the README's order (its table of subcommands).
const COMMANDS: [&str; 9] = [
    "sim",
    "table",
    "merge",
    "meanfield",
    "train",
    "markov",
    "thresholds",
    "plot",
    "report",
];

/// The order the examples run in, so that each finds the folders earlier ones wrote
/// (`merge` needs the shards of `table` and `train`, `markov` the trajectories of `train`).
const RUN_ORDER: [&str; 10] = [
    "sim",
    "table",
    "train",
    "merge",
    "meanfield",
    "markov",
    "thresholds",
    "plot",
    "report",
    "completions",
];

fn help(args: &[&str]) -> String {
    let out = crate::util::vanish().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The lines of a help text's "Examples" block that call vanish (a `for` loop included).
fn examples(help: &str) -> Vec<String> {
    let mut lines = help.lines().skip_while(|l| !l.starts_with("Example"));
    lines.next();
    lines
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .filter(|l| l.starts_with("vanish ") || l.starts_with("for "))
        .map(String::from)
        .collect()
}

/// An example at test size: fewer samples, runs, steps and resampling replicates, the same
/// everywhere so that `--resume`, `--shard` and `--gather` lines still agree with the runs
/// they continue.
fn shrink(line: &str) -> String {
    let set = [
        ("--samples", "500"),
        ("-N", "500"),
        ("--runs", "2"),
        ("--steps", "20"),
        ("--replicates", "100"),
        ("--latent-replicates", "0"),
    ];
    let mut words: Vec<String> = Vec::new();
    let mut it = line.split(' ').peekable();
    while let Some(w) = it.next() {
        if let Some((_, v)) = set.iter().find(|(f, _)| *f == w) {
            words.push(w.to_string());
            words.push(v.to_string());
            it.next();
            continue;
        }
        words.push(w.to_string());
        let after_vanish = words.len() >= 2 && words[words.len() - 2] == "vanish";
        let added: &[&str] = match w {
            "sim" | "table"
                if after_vanish && !line.contains("--samples") && !line.contains("-N ") =>
            {
                &["--samples", "500"]
            }
            "train" if after_vanish => &["--replicates", "100", "--latent-replicates", "0"],
            "markov" if after_vanish && !line.contains("--replicates") => {
                &["--replicates", "100", "--latent-replicates", "0"]
            }
            _ => &[],
        };
        words.extend(added.iter().map(|s| s.to_string()));
        if w == "train" && after_vanish {
            for (flag, v) in [("--runs", "2"), ("--steps", "20")] {
                if !line.split(' ').any(|x| x == flag) {
                    words.extend([flag.to_string(), v.to_string()]);
                }
            }
        }
    }
    words.join(" ")
}

/// A folder where the examples run: `vanish` on PATH, HOME inside it, and the files the
/// examples name (sweep.toml as `table --help` shows it, data.csv for `--task csv`).
fn sandbox(tmp: &Path) -> (PathBuf, String) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_vanish"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let home = tmp.join("home");
    std::fs::create_dir_all(home.join(".local/share/bash-completion/completions")).unwrap();
    std::fs::write(
        tmp.join("sweep.toml"),
        "n = \"1:3:0.5\"\ndepth = [10, 50]\n",
    )
    .unwrap();
    let mut csv = String::from("x1,x2,y\n");
    for i in 0..64 {
        let (a, b) = (f64::from(i % 8) / 4.0 - 1.0, f64::from(i / 8) / 4.0 - 1.0);
        csv.push_str(&format!("{a},{b},{}\n", (a * b).sin()));
    }
    std::fs::write(tmp.join("data.csv"), csv).unwrap();
    (home, path)
}

#[test]
fn every_example_in_every_help_runs_as_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, path) = sandbox(tmp.path());
    let mut ran = 0;
    for command in RUN_ORDER {
        let lines = examples(&help(&["help", command]));
        assert!(!lines.is_empty(), "`vanish help {command}` has no examples");
        for line in lines {
            let small = shrink(&line);
            let out = Process::new("sh")
                .args(["-c", &small])
                .current_dir(tmp.path())
                .env("PATH", &path)
                .env("HOME", &home)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "`vanish help {command}`: `{line}` (run as `{small}`) failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
        }
    }
    assert!(ran > 40, "only {ran} examples");
}

#[test]
fn every_flag_of_the_issue_has_an_example() {
    for (command, flags) in [
        (
            "sim",
            &["--source network", "--quantity", "--precision", "--threads"][..],
        ),
        (
            "train",
            &[
                "--task csv --data",
                "--dump",
                "--shard",
                "--gather",
                "--resume",
            ],
        ),
        ("table", &["--config", "--set", "--method", "--force"]),
    ] {
        let text = examples(&help(&["help", command])).join("\n");
        for flag in flags {
            assert!(
                text.contains(flag),
                "`vanish help {command}`: no example of {flag}"
            );
        }
    }
}

#[test]
fn the_top_level_help_lists_the_commands_in_the_readmes_order() {
    let text = help(&["--help"]);
    assert!(text.contains("vanish help COMMAND"), "{text}");
    let listed: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| COMMANDS.contains(c))
        .collect();
    assert_eq!(listed, COMMANDS, "{text}");
    let readme = readme();
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("| command |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .flat_map(|l| l.split('|').nth(1).unwrap().split('`').skip(1).step_by(2))
        .collect();
    assert_eq!(table, COMMANDS, "the README's table of commands");
}

/// "the seed" once meant the question (and collides with `--seed`): the help, the README
/// and the figure titles name the question and its answers instead.
#[test]
fn no_help_readme_or_figure_says_the_seed() {
    let says = |text: &str| text.to_lowercase().contains("the seed");
    let mut texts = vec![
        ("README.md".to_string(), readme()),
        ("--help".into(), help(&["--help"])),
    ];
    for c in COMMANDS.iter().chain(&["completions"]) {
        texts.push((format!("help {c}"), help(&["help", c])));
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t");
    crate::util::vanish()
        .args(["thresholds", "--plot", "--out"])
        .arg(&dir)
        .assert()
        .success();
    for f in std::fs::read_dir(&dir).unwrap() {
        let f = f.unwrap().path();
        texts.push((
            f.display().to_string(),
            std::fs::read_to_string(&f).unwrap(),
        ));
    }
    for (name, text) in texts {
        assert!(!says(&text), "{name} says \"the seed\"");
    }
    let readme = readme();
    for named in [
        "https://datascience.stackexchange.com/questions/51545",
        "the thresholds answer",
        "Esmailian",
        "zephyr",
        "Tuyen",
    ] {
        assert!(readme.contains(named), "the README never names {named}");
    }
}

/// `sim` and `train` at their defaults study the same model: tanh(2x), K = 20, σ_w = 1,
/// σ_b = 0 (the defaults shared with `table`, `meanfield` and `thresholds`).
#[test]
fn sim_and_train_share_their_defaults() {
    let defaults = |c: &str| {
        let text = help(&["help", c]);
        let pick = |flag: &str| {
            let at = text
                .find(&format!("{flag} <"))
                .unwrap_or_else(|| panic!("{c}: {flag}"));
            let rest = &text[at..];
            let value = &rest[rest.find("[default: ").unwrap() + "[default: ".len()..];
            value[..value.find([']', ',']).unwrap()].to_string()
        };
        (pick("--n"), pick("--depth"))
    };
    for c in ["sim", "table", "train", "thresholds"] {
        let (n, depth) = defaults(c);
        assert_eq!(depth, "20", "{c} --depth");
        if c != "thresholds" {
            assert_eq!(n, "2", "{c} --n");
        }
    }
    let sim = help(&["help", "sim"]);
    assert!(
        sim.contains("[default: 1e-6]") && !sim.contains("0.000001"),
        "{sim}"
    );
}

/// The README's Python section shows scripts/python_example.py verbatim, and the script
/// loads a fresh run's files (when python3 with pandas and hdrhistogram is importable).
#[test]
fn the_python_example_is_the_readmes_and_loads_a_fresh_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read_to_string(root.join("scripts/python_example.py")).unwrap();
    let readme = readme();
    let block = readme
        .split("```python\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a ```python block in the README");
    assert_eq!(
        block, script,
        "README's python block != scripts/python_example.py"
    );
    let importable = Process::new("python3")
        .args(["-c", "import pandas, hdrh.histogram"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !importable {
        eprintln!("skipped: python3 with pandas and hdrhistogram is not importable");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    for args in [
        &["sim", "--samples", "5000", "-q", "--out", "sim"][..],
        &[
            "table", "--n", "1,2", "--depth", "5,10", "-N", "2000", "-q", "--out", "table",
        ],
        &[
            "train", "--runs", "3", "--steps", "20", "--depth", "4", "--width", "8", "-q", "--out",
            "train",
        ],
    ] {
        crate::util::vanish()
            .current_dir(t)
            .args(args)
            .assert()
            .success();
    }
    let out = Process::new("python3")
        .arg(root.join("scripts/python_example.py"))
        .args(["sim", "table", "train"])
        .current_dir(t)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("samples in the histograms: 5000"), "{text}");
    assert!(text.contains("runs: 3"), "{text}");
}
