//! The figures as a reader sees them (issue 17, item 9): zero counts drawn as upper bounds
//! with their own legend entry, SVGs that scale to a phone with legible text, a critical
//! line found by root-finding, and a report folder that holds only the new report's figures.

use std::path::{Path, PathBuf};

use crate::util::vanish;
use vanish::model::activation::Activation;
use vanish::theory::meanfield::critical_sigma_w;

/// Runs vanish with `args` and `--out dir`, which must succeed.
fn run(args: &[&str], dir: &Path) {
    vanish().args(args).arg("--out").arg(dir).assert().success();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn svgs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    v.sort();
    v
}

/// The value of attribute `name` in the element text `tag`.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    Some(&tag[start..start + tag[start..].find('"')?])
}

/// The opening tags of every `<kind` element of an SVG.
fn elements<'a>(svg: &'a str, kind: &str) -> Vec<&'a str> {
    svg.match_indices(&format!("<{kind} "))
        .map(|(i, _)| &svg[i..i + svg[i..].find('>').unwrap()])
        .collect()
}

fn points(tag: &str) -> Vec<(f64, f64)> {
    attr(tag, "points")
        .unwrap()
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

#[test]
fn zero_counts_are_drawn_as_upper_bounds_with_their_own_legend_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t");
    // 1e3 samples: no g beyond 1e6 in any cell, and no vanish at depth 2 for n = 1.
    let args = [
        "table", "--n", "1,2", "--depth", "2,10,20", "-N", "1e3", "-q", "--plot",
    ];
    run(&args, &dir);
    let table = vanish::output::plot::CsvTable::read(&dir.join("table.csv")).unwrap();
    let zero_cells: usize = ["vanish_count", "explode_count"]
        .iter()
        .map(|c| {
            table
                .numbers(c)
                .unwrap()
                .iter()
                .filter(|&&v| v == 0.0)
                .count()
        })
        .sum();
    assert!(
        zero_cells >= 6,
        "every explode cell has no event: {zero_cells}"
    );
    let svg = read(&dir.join("probability_vs_depth.svg"));
    assert!(
        svg.contains("0 seen: 95 % upper bound"),
        "no legend entry for the bounds"
    );
    // One triangle per zero-count cell, and one in the legend.
    let triangles = elements(&svg, "polygon")
        .into_iter()
        .filter(|p| points(p).len() == 3)
        .count();
    assert_eq!(triangles, zero_cells + 1);
    // The two-sided intervals keep their own, translucent entry.
    assert!(svg.contains("95 % CP interval"));
}

/// Every figure a run draws has a viewBox, a width of 100 % (no fixed pixel size), and no
/// text that would be smaller than 9 px on a phone 360 px wide.
#[test]
fn every_figure_scales_and_its_text_is_legible_on_a_phone() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let runs: [(&str, &[&str]); 7] = [
        ("thresholds", &["thresholds", "--n", "1:4:0.5"]),
        (
            "sim",
            &[
                "sim", "--n", "2", "--depth", "10", "-N", "1e4", "--method", "exact", "-q",
            ],
        ),
        (
            "table",
            &[
                "table", "--n", "1,2", "--depth", "5:20:5", "-N", "1e3", "-q",
            ],
        ),
        (
            "mf",
            &[
                "meanfield",
                "--sigma-w",
                "0.5:1.5:0.25",
                "--sigma-b",
                "0,0.1",
            ],
        ),
        (
            "mf1",
            &["meanfield", "--sigma-w", "0.5:1.5:0.25", "--sigma-b", "0.1"],
        ),
        (
            "train",
            &[
                "train", "--runs", "6", "--depth", "6", "--width", "8", "--steps", "30", "--fit",
                "-q",
            ],
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
                "-q",
            ],
        ),
    ];
    let mut seen = 0;
    for (name, args) in runs {
        let dir = t.join(name);
        vanish()
            .args(args)
            .arg("--out")
            .arg(&dir)
            .arg("--plot")
            .assert()
            .success();
        for path in svgs(&dir) {
            let svg = read(&path);
            let root = elements(&svg, "svg")[0];
            let view_box: Vec<f64> = attr(root, "viewBox")
                .unwrap_or_else(|| panic!("{}: no viewBox", path.display()))
                .split(' ')
                .map(|v| v.parse().unwrap())
                .collect();
            assert_eq!(attr(root, "width"), Some("100%"), "{}", path.display());
            assert_eq!(attr(root, "height"), None, "{}", path.display());
            let phone = 360.0 / view_box[2];
            for text in elements(&svg, "text") {
                let size: f64 = attr(text, "font-size").unwrap().parse().unwrap();
                assert!(
                    size * phone >= 9.0,
                    "{}: text of {size} units is {:.1} px on a phone",
                    path.display(),
                    size * phone
                );
            }
            seen += 1;
        }
    }
    assert!(seen >= 10, "only {seen} figures drawn");
}

/// The critical line is drawn through the σ_w where χ1 = 1 at each σ_b, found by
/// root-finding, not along the edges of the grid's cells (a coarse σ_w grid would put
/// those up to half a cell, 0.05, away).
#[test]
fn the_critical_line_agrees_with_the_root_found_critical_sigma_w() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mf");
    let args = [
        "meanfield",
        "--activation",
        "tanh",
        "--n",
        "2",
        "--sigma-w",
        "0.2:1.6:0.1",
        "--sigma-b",
        "0:0.3:0.03",
        "--plot",
    ];
    run(&args, &dir);
    let svg = read(&dir.join("phase_diagram.svg"));
    let line = elements(&svg, "polyline")
        .into_iter()
        .find(|p| attr(p, "stroke") == Some("#000000") && attr(p, "stroke-width") == Some("3"))
        .expect("a critical line");
    let pts = points(line);
    assert_eq!(pts.len(), 11, "one point per σ_b");
    let tanh2 = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let sigma_b = |k: usize| 0.03 * k as f64;
    let critical = |k: usize| critical_sigma_w(tanh2, sigma_b(k)).unwrap();
    // The closed form at σ_b = 0: χ1 = 4σ_w² at q* = 0, so σ_w = 1/2.
    assert!((critical(0) - 0.5).abs() < 1e-6);
    // Pixels from the two ends (the axes are linear), then every point between them.
    let (first, last) = (pts[0], pts[pts.len() - 1]);
    let x_scale = (last.0 - first.0) / (critical(10) - critical(0));
    let y_scale = (last.1 - first.1) / (sigma_b(10) - sigma_b(0));
    for (k, &(x, y)) in pts.iter().enumerate() {
        let w = critical(0) + (x - first.0) / x_scale;
        let b = sigma_b(0) + (y - first.1) / y_scale;
        // Pixels are whole: within 1.5 of them (about 0.005 in σ_w here).
        let tolerance = 1.5 / x_scale.abs();
        assert!(
            (w - critical(k)).abs() < tolerance,
            "σ_b = {}: the line is at σ_w = {w}, χ1 = 1 at {}",
            sigma_b(k),
            critical(k)
        );
        assert!((b - sigma_b(k)).abs() < 1.5 / y_scale.abs());
    }
}

/// A report's folder holds the figures of the new report only: re-running it, or writing
/// it with --force over the figures `plot --out` drew there, leaves no SVG of before.
#[test]
fn a_report_rerun_leaves_no_svg_of_the_earlier_run() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (sim, table, out) = (t.join("sim"), t.join("table"), t.join("report"));
    run(&["sim", "-N", "1e3", "-q"], &sim);
    run(&["table", "--n", "1,2", "-N", "1e3", "-q"], &table);
    let names = |dir: &Path| -> Vec<String> {
        svgs(dir)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    let report = |dirs: &[&Path], extra: &[&str]| {
        vanish()
            .arg("report")
            .args(dirs)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .assert()
            .success();
    };
    report(&[&sim, &table], &[]);
    assert_eq!(names(&out), ["1-histogram.svg", "2-probability_vs_n.svg"]);
    report(&[&sim], &[]);
    assert_eq!(names(&out), ["histogram.svg"]);
    // Figures `plot --out` drew into the folder are not the report's.
    vanish()
        .arg("plot")
        .arg(&table)
        .arg("--out")
        .arg(&out)
        .arg("--force")
        .assert()
        .success();
    assert_eq!(names(&out), ["probability_vs_n.svg"]);
    report(&[&sim], &["--force"]);
    assert_eq!(names(&out), ["histogram.svg"]);
    let listed = crate::util::manifest(&out)["files"].clone();
    assert_eq!(listed, serde_json::json!(["histogram.svg", "index.html"]));
}

/// The histogram's legend never says `P = 0` for an event that was not seen: it gives the
/// one-sided 95 % upper bound 1 − 0.05^(1/N), as the table figure does.
#[test]
fn a_histogram_legend_gives_the_bound_of_an_event_not_seen() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    run(
        &[
            "sim",
            "--depth",
            "20",
            "--samples",
            "1000",
            "--quiet",
            "--plot",
        ],
        &out,
    );
    let svg = read(&out.join("histogram.svg"));
    let bound = 1.0 - 0.05f64.powf(1.0 / 1000.0);
    let said = format!(
        "explode: log10 g &gt; 6, 0 seen: P &lt; {}",
        vanish::output::format::caption(bound)
    );
    assert_eq!(vanish::output::format::caption(bound), "0.003");
    assert!(svg.contains(&said), "no `{said}` in the legend");
    assert!(!svg.contains("P = 0<"), "a zero count written as P = 0");
}

/// `meanfield --plot` at its defaults (one grid point) draws that point, not empty axes.
#[test]
fn a_phase_diagram_of_one_point_draws_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mf");
    run(&["meanfield", "--quiet", "--plot"], &out);
    let svg = read(&out.join("phase_diagram.svg"));
    assert_eq!(
        elements(&svg, "circle").len(),
        1,
        "the one point is not drawn"
    );
}

/// The legend of a table figure lists its groups in numeric order, whatever order the
/// flags gave them in (as table.md does).
#[test]
fn a_table_figures_legend_is_in_numeric_order() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t");
    run(
        &[
            "table",
            "--n",
            "10,2,0.5",
            "--depth",
            "20,5",
            "--samples",
            "1000",
        ],
        &out,
    );
    vanish().arg("plot").arg(&out).assert().success();
    let svg = read(&out.join("probability_vs_depth.svg"));
    let at = |s: &str| svg.find(s).unwrap_or_else(|| panic!("no {s}"));
    assert!(at("n = 0.5") < at("n = 2") && at("n = 2") < at("n = 10"));
}
