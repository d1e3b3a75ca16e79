//! Figures and the HTML report: every subcommand's `--plot`, `vanish plot`, and
//! `vanish report` on real runs — self-contained, deterministic, and refusing bad input.
//! (The page is also rendered in a real browser by `scripts/test-report-browser.sh`.)

use std::path::Path;

use predicates::prelude::*;

use crate::util::run_out as run;

/// The `<svg>` elements of a file, with a rough count of what they draw.
fn drawn(svg: &str) -> usize {
    [
        "<path",
        "<rect",
        "<circle",
        "<polyline",
        "<polygon",
        "<line",
    ]
    .iter()
    .map(|t| svg.matches(t).count())
    .sum()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_subcommand_draws_its_figures_with_plot() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let cases: [(&str, &[&str], &[&str]); 6] = [
        (
            "sim",
            &[
                "sim",
                "--n",
                "2",
                "--depth",
                "20",
                "--samples",
                "20000",
                "--method",
                "exact",
                "--quiet",
            ],
            &["histogram"],
        ),
        (
            "table",
            &[
                "table",
                "--n",
                "1,2",
                "--depth",
                "5:20:5",
                "--samples",
                "4000",
                "--method",
                "exact",
                "--quiet",
            ],
            &["probability_vs_depth", "heatmap_p_vanish"],
        ),
        (
            "meanfield",
            &[
                "meanfield",
                "--activation",
                "tanh",
                "--sigma-w",
                "0.5:2:0.5",
                "--sigma-b",
                "0:0.2:0.1",
            ],
            &["phase_diagram"],
        ),
        (
            "thresholds",
            &["thresholds", "--n", "1:4:0.5"],
            &["thresholds"],
        ),
        (
            "train",
            &[
                "train", "--n", "1", "--runs", "6", "--depth", "8", "--width", "8", "--steps",
                "40", "--fit", "--quiet",
            ],
            // (6 runs are too few for the latent models' 5 folds: no posterior check.)
            &["gain_trajectories", "survival", "risks"],
        ),
        (
            "map",
            &[
                "train",
                "--runs",
                "4",
                "--depth",
                "6",
                "--width",
                "8",
                "--steps",
                "20",
                "--sigma-w",
                "0.5,1.5",
                "--n",
                "1,2",
                "--quiet",
            ],
            &["gain_trajectories", "train_map"],
        ),
    ];
    for (name, args, figures) in cases {
        let dir = t.join(name);
        crate::util::vanish()
            .args(args)
            .arg("--plot")
            .arg("--out")
            .arg(&dir)
            .assert()
            .success();
        for f in figures {
            let svg = read(&dir.join(format!("{f}.svg")));
            assert!(
                svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
                "{name}: {f}"
            );
            assert!(drawn(&svg) > 10, "{name}: {f} draws almost nothing");
        }
    }
    // The thresholds figure marks the seed's widest t1 and e (theory::widest_*).
    let th = read(&t.join("thresholds/thresholds.svg"));
    assert!(th.contains("widest t1 = 0.6627 at n = 1.8102"), "{th}");
    // The heatmap labels every cell with its value from table.csv.
    let table = vanish::output::plot::CsvTable::read(&t.join("table/table.csv")).unwrap();
    let heat = read(&t.join("table/heatmap_p_vanish.svg"));
    for v in table.numbers("p_vanish").unwrap() {
        let shown = format!("{}", (v * 1e4).round() / 1e4);
        assert!(
            heat.contains(&format!(">\n{shown}\n</text>")),
            "{shown} not in the heatmap"
        );
    }
    // vanish plot on a folder redraws the same figures, byte for byte.
    let again = t.join("again");
    crate::util::vanish()
        .args(["plot"])
        .arg(t.join("sim"))
        .arg("--out")
        .arg(&again)
        .assert()
        .success();
    assert_eq!(
        read(&again.join("histogram.svg")),
        read(&t.join("sim/histogram.svg"))
    );

    // The report: one page, every figure inline, no script, nothing fetched.
    let dirs: Vec<_> = cases.iter().map(|c| t.join(c.0)).collect();
    let report = |out: &Path| {
        crate::util::vanish()
            .arg("report")
            .args(&dirs)
            .arg("--out")
            .arg(out)
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "index.html (10 figures from 6 folders)",
            ));
    };
    let (r1, r2) = (t.join("report1"), t.join("report2"));
    report(&r1);
    report(&r2);
    let html = read(&r1.join("index.html"));
    assert_eq!(
        html,
        read(&r2.join("index.html")),
        "the same folders, the same page"
    );
    assert_eq!(html.matches("<figure>").count(), 10);
    assert_eq!(html.matches("<svg").count(), 10);
    assert!(html.contains("<meta name=\"viewport\""));
    for banned in [
        "<script",
        "src=\"http",
        "href=\"http",
        "@import",
        "url(http",
    ] {
        assert!(!html.contains(banned), "the report holds {banned}");
    }
    // The tables are there: the table's pivot, the map's pivot, the thresholds.
    assert!(html.contains("<h3>table.md</h3>") && html.contains("<h3>map.md</h3>"));
    assert!(html.contains("<h3>thresholds.csv</h3>"));
}

#[test]
fn figure_flags_and_folders_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // --plot without --out: exit 2 before any work.
    crate::util::vanish()
        .args(["sim", "--plot", "--samples", "100"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: --plot"));
    // A folder that is not there, or holds nothing to draw.
    crate::util::vanish()
        .arg("report")
        .arg(tmp.path().join("missing"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: DIRS"));
    assert!(!out.exists(), "a refused report leaves no folder");
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    crate::util::vanish()
        .arg("plot")
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: DIR"));
    // A run folder as the report's own folder is refused.
    let sim = tmp.path().join("sim");
    run(&["sim", "--samples", "1000", "--quiet"], &sim);
    crate::util::vanish()
        .arg("report")
        .arg(&sim)
        .arg("--out")
        .arg(&sim)
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: --out"));
}

#[test]
fn a_figure_without_data_is_a_note_and_the_rest_are_drawn() {
    let tmp = tempfile::tempdir().unwrap();
    // Every run starts vanished (σ_w = 0.2 at depth 40): no time to a first vanish, so
    // no survival figure, but the gain figure is drawn and the run succeeds.
    let dir = tmp.path().join("train");
    crate::util::vanish()
        .args([
            "train",
            "--n",
            "1",
            "--runs",
            "4",
            "--depth",
            "40",
            "--width",
            "8",
            "--sigma-w",
            "0.2",
        ])
        // (Not --quiet, which silences notes.)
        .args(["--steps", "20", "--fit", "--plot", "--out"])
        .arg(&dir)
        .assert()
        .success()
        .stderr(predicate::str::contains("note: no survival figure"));
    assert!(dir.join("gain_trajectories.svg").is_file());
    assert!(!dir.join("survival.svg").exists());
    assert!(dir.join("trajectories.csv").is_file() && dir.join("markov.json").is_file());
    // The report says why the figure is missing.
    let report = tmp.path().join("report");
    crate::util::vanish()
        .arg("report")
        .arg(&dir)
        .arg("--out")
        .arg(&report)
        .assert()
        .success();
    assert!(read(&report.join("index.html")).contains("no survival figure"));
}

#[test]
fn the_exact_density_file_holds_the_whole_law() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sim");
    // 300 samples leave most bins empty; the exact density must not.
    run(
        &[
            "sim",
            "--n",
            "2",
            "--depth",
            "20",
            "--samples",
            "300",
            "--method",
            "exact",
            "--quiet",
        ],
        &dir,
    );
    let t = vanish::output::plot::CsvTable::read(&dir.join("exact_density.csv")).unwrap();
    let mass: f64 = t.numbers("exact_fraction").unwrap().iter().sum();
    assert!((mass - 1.0).abs() < 1e-6, "the exact law's mass is {mass}");
    let (lo, hi) = (
        t.numbers("log10_g_lo").unwrap(),
        t.numbers("log10_g_hi").unwrap(),
    );
    assert_eq!(lo.len(), vanish::output::results::EXACT_GRID_BINS);
    assert!(lo.windows(2).all(|w| w[1] > w[0]) && hi[0] > lo[0]);
    // The MC buckets alone would hold far less of it.
    let h = vanish::output::plot::CsvTable::read(&dir.join("histogram.csv")).unwrap();
    let per_bucket: f64 = h.numbers("exact_fraction").unwrap().iter().sum();
    assert!(per_bucket < 0.99, "{per_bucket}");
}
