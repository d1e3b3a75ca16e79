//! `vanish plot` and `vanish report` on corrupted copies of real run folders: they never
//! panic, hang, write outside their folder, or draw a file that is not the run's. A
//! malformed file skips its figure with a note naming the file and line; a folder that is
//! not a vanish run is refused (exit 2, one line).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::util::{run_out, vanish};

/// One small real run per figure family, made once per test in a fresh folder.
fn real_run(tmp: &Path, family: &str) -> PathBuf {
    let dir = tmp.join(family);
    let args: &[&str] = match family {
        "sim" => &[
            "sim",
            "--n",
            "2",
            "--depth",
            "20",
            "--samples",
            "2000",
            "--method",
            "exact",
            "--quiet",
        ],
        "sim-mc" => &[
            "sim",
            "--n",
            "2",
            "--depth",
            "20",
            "--samples",
            "2000",
            "--quiet",
        ],
        "table" => &[
            "table",
            "--n",
            "1,2",
            "--depth",
            "5:20:5",
            "--samples",
            "500",
            "--quiet",
        ],
        "meanfield" => &[
            "meanfield",
            "--activation",
            "tanh",
            "--sigma-w",
            "0.5:2:0.5",
            "--sigma-b",
            "0:0.2:0.1",
        ],
        "thresholds" => &["thresholds"],
        "train" => &[
            "train", "--n", "1", "--runs", "4", "--depth", "6", "--width", "8", "--steps", "20",
            "--fit", "--quiet",
        ],
        other => panic!("no family {other}"),
    };
    run_out(args, &dir);
    dir
}

/// Replaces cell `col` of line `line` (0 = the header) of `dir/file`.
fn set_cell(dir: &Path, file: &str, line: usize, col: usize, value: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<&str> = lines[line].split(',').collect();
    cells[col] = value;
    lines[line] = cells.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

/// Runs `vanish ARGS` with 20 s to finish; returns (exit code, stderr). A hang or a
/// panic fails the test.
fn finishes(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = vanish()
        .args(args)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let code = out.status.code();
    assert!(
        code.is_some(),
        "{args:?} did not finish in 20 s (killed): {err}"
    );
    let code = code.unwrap();
    assert!(
        code == 0 || code == 1 || code == 2,
        "{args:?}: exit {code}: {err}"
    );
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    (code, err)
}

/// `vanish plot DIR`: finishes, and either draws or refuses the bad file by name and line.
fn plot_names(dir: &Path, file: &str, line: usize) {
    let (code, err) = finishes(&["plot".as_ref(), dir.as_os_str()]);
    let place = format!("{file} line {line}");
    assert!(
        (code == 0 || code == 2) && err.contains(&place),
        "plot {}: exit {code}, no note naming {place}: {err}",
        dir.display()
    );
    // The report shows the same note on the page and on stderr, and succeeds.
    let report = dir.with_extension("report");
    let (code, err) = finishes(&[
        "report".as_ref(),
        dir.as_os_str(),
        "--out".as_ref(),
        report.as_os_str(),
    ]);
    assert_eq!(code, 0, "report {}: {err}", dir.display());
    assert!(err.contains(&place), "report: {err}");
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(html.contains(&place));
}

#[test]
fn infinite_and_huge_values_end_with_a_note_naming_the_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    // (family, file, line, column, value): each hung for minutes, panicked or ran out of
    // memory before.
    let cases = [
        ("thresholds", "thresholds.csv", 1, 0, "inf"),
        ("meanfield", "phase.csv", 2, 1, "inf"),
        ("meanfield", "phase.csv", 2, 1, "1e308"),
        ("meanfield", "phase.csv", 3, 1, "nan"),
        ("sim", "exact_density.csv", 2, 0, "-inf"),
        ("sim", "histogram.csv", 2, 1, "1e308"),
        ("train", "survival.csv", 1, 0, "1e300"),
    ];
    for (k, (family, file, line, col, value)) in cases.into_iter().enumerate() {
        let run = real_run(tmp.path(), family);
        let copy = tmp.path().join(format!("bad{k}"));
        std::fs::rename(&run, &copy).unwrap();
        set_cell(&copy, file, line, col, value);
        plot_names(&copy, file, line + 1);
    }
}

#[test]
fn a_long_survival_axis_is_drawn_in_bounded_time_and_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = real_run(tmp.path(), "train");
    // A time of 10^12 records asked for 16 TB before (one point per record).
    set_cell(&dir, "survival.csv", 1, 0, "1e12");
    let (code, err) = finishes(&["plot".as_ref(), dir.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert!(dir.join("survival.svg").is_file());
}

#[test]
fn a_table_axis_named_by_the_file_never_leaves_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = real_run(tmp.path(), "table");
    // The axis 'depth' renamed in table.json and table.csv so that probability_vs_{axis}
    // would climb out of the folder (through a folder the attacker made inside it).
    let evil = "x/../../escaped";
    std::fs::create_dir(dir.join("probability_vs_x")).unwrap();
    for file in ["table.json", "table.csv"] {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"depth\"", &format!("\"{evil}\""))
            .replacen(",depth,", &format!(",{evil},"), 1);
        std::fs::write(&path, text).unwrap();
    }
    let (code, err) = finishes(&["plot".as_ref(), dir.as_os_str()]);
    assert!(code == 0 || code == 2, "{err}");
    assert!(
        err.contains("'x/../../escaped' is not a parameter's name"),
        "{err}"
    );
    let escaped: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("escaped") || n.starts_with(".vanish"))
        .collect();
    assert!(escaped.is_empty(), "written outside the run: {escaped:?}");
}

#[test]
fn files_an_earlier_run_left_are_not_drawn_as_this_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let exact = real_run(tmp.path(), "sim");
    let mc = real_run(tmp.path(), "sim-mc");
    // An exact density left over from an earlier run in the same folder.
    std::fs::copy(
        exact.join("exact_density.csv"),
        mc.join("exact_density.csv"),
    )
    .unwrap();
    let (code, err) = finishes(&["plot".as_ref(), mc.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let svg = std::fs::read_to_string(mc.join("histogram.svg")).unwrap();
    assert!(!svg.contains("exact density"), "the stale file was drawn");
    // And the report does not show it as a table either.
    let report = tmp.path().join("report");
    let (code, err) = finishes(&[
        "report".as_ref(),
        mc.as_os_str(),
        "--out".as_ref(),
        report.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(!html.contains("<h3>exact_density.csv</h3>"));
    let svg = &html[html.find("<svg").unwrap()..html.find("</svg>").unwrap()];
    assert!(!svg.contains("exact density"), "the stale file was drawn");
}

#[test]
fn a_folder_that_is_not_a_vanish_run_is_refused_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let empty = t.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let unlisted = real_run(t, "thresholds");
    std::fs::remove_file(unlisted.join("manifest.json")).unwrap();
    let foreign = t.join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(
        foreign.join("manifest.json"),
        r#"{"tool": "other", "version": "1", "command": "sim", "files": []}"#,
    )
    .unwrap();
    let corrupt = real_run(t, "meanfield");
    std::fs::write(corrupt.join("manifest.json"), "{\"tool\": \"vanish\", ").unwrap();
    let escaping = t.join("escaping");
    std::fs::create_dir(&escaping).unwrap();
    std::fs::write(
        escaping.join("manifest.json"),
        r#"{"tool": "vanish", "version": "0.1.0", "command": "sim", "files": ["../x.csv"]}"#,
    )
    .unwrap();
    for dir in [&empty, &unlisted, &foreign, &corrupt, &escaping] {
        let out = t.join("report-out");
        let (code, err) = finishes(&[
            "report".as_ref(),
            dir.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        assert_eq!(code, 2, "report {}: {err}", dir.display());
        assert!(
            err.starts_with("error: DIRS: ") && err.contains("is not a vanish run"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!out.exists(), "a refused report left its folder");
        let (code, err) = finishes(&["plot".as_ref(), dir.as_os_str()]);
        assert_eq!(code, 2, "plot {}: {err}", dir.display());
        assert!(
            err.starts_with("error: DIR: ") && err.lines().count() == 1,
            "{err}"
        );
    }
}

#[test]
fn json_files_of_a_newer_schema_are_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    let train = real_run(tmp.path(), "train");
    for file in ["markov.json", "summary.json"] {
        let path = train.join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"schema\": 1", "\"schema\": 99");
        std::fs::write(&path, text).unwrap();
    }
    let report = tmp.path().join("report");
    let (code, err) = finishes(&[
        "report".as_ref(),
        train.as_os_str(),
        "--out".as_ref(),
        report.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("markov.json has schema 99"), "{err}");
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(!html.contains("<h3>markov.json</h3>"));
    // table.json carries no schema yet; a newer one is refused all the same.
    let table = real_run(tmp.path(), "table");
    let path = table.join("table.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen('{', "{\"schema\": 99, ", 1)).unwrap();
    let (_, err) = finishes(&["plot".as_ref(), table.as_os_str()]);
    assert!(err.contains("table.json has schema 99"), "{err}");
}

#[test]
fn a_bad_csv_beside_the_run_is_ignored_and_a_bad_listed_one_is_a_note() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = real_run(tmp.path(), "train");
    std::fs::write(dir.join("mine.csv"), "a,b\n1\n\"unterminated\n").unwrap();
    let risks = dir.join("risks.csv");
    let text = std::fs::read_to_string(&risks).unwrap();
    std::fs::write(&risks, text + "1,2\n").unwrap();
    let report = tmp.path().join("report");
    let (code, err) = finishes(&[
        "report".as_ref(),
        dir.as_os_str(),
        "--out".as_ref(),
        report.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("risks.csv") && !err.contains("mine.csv"),
        "{err}"
    );
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(!html.contains("mine.csv"));
}

#[test]
fn figures_that_cannot_be_written_name_the_folder_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = real_run(tmp.path(), "thresholds");
    // Where the figure goes there is a folder (as good as a read-only run folder for
    // root, who may write anywhere).
    std::fs::create_dir(dir.join("thresholds.svg")).unwrap();
    let (code, err) = finishes(&["plot".as_ref(), dir.as_os_str()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: cannot write the figures into '{}': ",
            dir.display()
        )) && err.lines().count() == 1,
        "{err}"
    );
}
