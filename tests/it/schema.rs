//! The files the figures and the report read back: every JSON file carries the schema
//! version and reads as the typed struct its writer built, every CSV column a figure reads
//! is in the file, and no figure of a real run of each subcommand is skipped.

use std::path::Path;

use vanish::output::manifest::Manifest;
use vanish::output::plot::{CsvTable, figures_for};
use vanish::output::results::{SimSummary, columns, exact_density_columns, histogram_columns};
use vanish::output::schema::{self, SCHEMA, Versioned};
use vanish::output::training::{MapSummary, TrainSummary};

use crate::util::run_out as run;

/// The figures of `dir`: exactly `expected`, none skipped.
fn figures(dir: &Path, expected: &[&str]) {
    let drawn = figures_for(dir);
    assert!(
        drawn.skipped.is_empty(),
        "{}: {:?}",
        dir.display(),
        drawn.skipped
    );
    let names: Vec<&str> = drawn.figures.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, expected, "{}", dir.display());
}

/// Asserts that `file` of `dir` has every column of `columns`.
fn has_columns(dir: &Path, file: &str, columns: &[&str]) {
    let t = CsvTable::read(&dir.join(file)).unwrap();
    for c in columns {
        assert!(
            t.column_index(c).is_some(),
            "{file} has no column {c}: {:?}",
            t.header
        );
    }
}

/// Asserts that `file` of `dir` reads as a versioned JSON object at this schema.
fn versioned(dir: &Path, file: &str) -> serde_json::Value {
    let v: Versioned<serde_json::Value> = schema::read(dir, file).unwrap();
    assert_eq!(v.schema, SCHEMA, "{file}");
    assert!(v.body.is_object(), "{file}");
    v.body
}

#[test]
fn every_file_a_figure_reads_has_the_fields_it_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();

    // sim: summary.json typed, histogram.csv and exact_density.csv.
    let sim = t.join("sim");
    run(
        &[
            "sim",
            "--n",
            "2",
            "--depth",
            "10",
            "--samples",
            "4000",
            "--method",
            "exact",
            "--quiet",
        ],
        &sim,
    );
    let s: SimSummary = schema::read(&sim, "summary.json").unwrap();
    assert_eq!((s.schema, s.samples), (Some(SCHEMA), 4000));
    assert!(s.config.network.is_none() && s.probabilities.vanish.p.is_finite());
    let mut hist = histogram_columns::HEADER.to_vec();
    hist.extend(histogram_columns::EXACT);
    has_columns(&sim, "histogram.csv", &hist);
    has_columns(&sim, "exact_density.csv", &exact_density_columns::HEADER);
    figures(&sim, &["histogram"]);
    // The summary.json of a network source reads too.
    let net = t.join("network");
    run(
        &[
            "sim",
            "--source",
            "network",
            "--width",
            "4",
            "--depth",
            "3",
            "--samples",
            "200",
            "--quiet",
        ],
        &net,
    );
    let s: SimSummary = schema::read(&net, "summary.json").unwrap();
    assert!(s.config.network.is_some());
    figures(&net, &["histogram"]);

    // table: table.csv's probability columns (table.json is the sweep's).
    let table = t.join("table");
    run(
        &[
            "table",
            "--n",
            "1,2",
            "--depth",
            "5,10",
            "--samples",
            "2000",
            "--method",
            "exact",
            "--quiet",
        ],
        &table,
    );
    let mut cols = vec![columns::count(columns::VANISH)];
    for e in [columns::VANISH, columns::EXPLODE] {
        cols.extend([
            columns::p(e),
            columns::cp_lo(e),
            columns::cp_hi(e),
            columns::method(e, vanish::methods::Method::Exact),
        ]);
    }
    has_columns(
        &table,
        "table.csv",
        &cols.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    figures(&table, &["probability_vs_depth", "heatmap_p_vanish"]);

    // meanfield and thresholds.
    let mf = t.join("meanfield");
    run(
        &[
            "meanfield",
            "--activation",
            "tanh",
            "--sigma-w",
            "0.5,1,1.5",
            "--sigma-b",
            "0,0.1",
        ],
        &mf,
    );
    versioned(&mf, "phase.json");
    has_columns(
        &mf,
        "phase.csv",
        &vanish::output::meanfield::phase_columns::HEADER,
    );
    has_columns(
        &mf,
        "critical.csv",
        &vanish::output::meanfield::critical_columns::HEADER,
    );
    figures(&mf, &["phase_diagram"]);
    let th = t.join("thresholds");
    run(&["thresholds", "--n", "1,2,3"], &th);
    versioned(&th, "thresholds.json");
    has_columns(
        &th,
        "thresholds.csv",
        &vanish::output::thresholds::threshold_columns::HEADER,
    );
    figures(&th, &["thresholds"]);

    // train --fit: summary.json typed, markov.json and outcome.json versioned.
    let train = t.join("train");
    run(
        &[
            "train",
            "--n",
            "1",
            "--runs",
            "6",
            "--depth",
            "8",
            "--width",
            "8",
            "--steps",
            "40",
            "--fit",
            "--replicates",
            "100",
            "--quiet",
        ],
        &train,
    );
    let s: TrainSummary = schema::read(&train, "summary.json").unwrap();
    assert_eq!((s.schema, s.summary.runs), (SCHEMA, 6));
    assert!(
        s.summary.state_rule.contains('<'),
        "{}",
        s.summary.state_rule
    );
    versioned(&train, "markov.json");
    versioned(&train, "outcome.json");
    has_columns(
        &train,
        "trajectories.csv",
        &vanish::output::training::trajectory_columns::HEADER,
    );
    has_columns(
        &train,
        "survival.csv",
        &vanish::output::dynamics::survival_columns::HEADER,
    );
    let mut risks: Vec<String> = vanish::dynamics::risks::risk_columns::HEADER
        .map(String::from)
        .to_vec();
    for cause in vanish::dynamics::study::CAUSES {
        for col in vanish::dynamics::risks::risk_columns::PER_CAUSE {
            risks.push(vanish::dynamics::risks::risk_columns::of_cause(cause, col));
        }
    }
    has_columns(
        &train,
        "risks.csv",
        &risks.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    figures(&train, &["gain_trajectories", "survival", "risks"]);

    // A map: its summary.json and map.csv.
    let map = t.join("map");
    run(
        &[
            "train",
            "--n",
            "1",
            "--runs",
            "3",
            "--depth",
            "5",
            "--width",
            "6",
            "--steps",
            "20",
            "--sigma-w",
            "0.5,1.5",
            "--quiet",
        ],
        &map,
    );
    let m: MapSummary = schema::read(&map, "summary.json").unwrap();
    assert_eq!((m.schema, m.cells.len()), (SCHEMA, 2));
    assert!(m.cells[0].parameters.contains_key("sigma_w"));
    assert!(schema::read::<TrainSummary>(&map, "summary.json").is_err());
    let mut cols = vec!["sigma_w"];
    cols.extend(vanish::output::training::map_columns::HEADER);
    has_columns(&map, "map.csv", &cols);
    figures(&map, &["gain_trajectories", "train_map"]);

    // markov with the latent models: ppc.csv and the posterior check.
    let file = t.join("runs.csv");
    std::fs::write(&file, two_state_runs()).unwrap();
    let markov = t.join("markov");
    crate::util::vanish()
        .args([
            "markov",
            "--replicates",
            "100",
            "--latent-replicates",
            "20",
            "--out",
        ])
        .arg(&markov)
        .arg(&file)
        .assert()
        .success();
    versioned(&markov, "markov.json");
    has_columns(
        &markov,
        "ppc.csv",
        &vanish::output::dynamics::ppc_columns::HEADER,
    );
    figures(&markov, &["survival", "risks", "posterior_check"]);
    for dir in [&sim, &table, &mf, &th, &train, &map, &markov] {
        assert!(Manifest::read(dir).unwrap().is_some(), "{}", dir.display());
    }
}

/// 40 runs of 30 records of probe_gain: alive around 1 (log10 within ±0.3), then, from a
/// run-dependent record, around 1e-9 for good.
fn two_state_runs() -> String {
    let mut text = String::from("run,step,probe_gain\n");
    for r in 0..40u32 {
        let drop = 5 + (r * 7) % 40;
        for t in 0..30u32 {
            let wiggle = 0.3 * (((r * 31 + t * 17) % 13) as f64 / 6.0 - 1.0);
            let level = if t >= drop { -9.0 } else { 0.0 };
            text.push_str(&format!("{r},{},{}\n", 10 * t, 10f64.powf(level + wiggle)));
        }
    }
    text
}

#[test]
fn a_newer_schema_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("phase.json"),
        format!("{{\"schema\": {}, \"points\": []}}", SCHEMA + 1),
    )
    .unwrap();
    let e = schema::read::<Versioned<serde_json::Value>>(tmp.path(), "phase.json").unwrap_err();
    assert!(
        format!("{e:#}").contains("this vanish reads up to"),
        "{e:#}"
    );
    // A file from before versioning reads as schema 0.
    std::fs::write(tmp.path().join("phase.json"), "{\"points\": []}").unwrap();
    let v: Versioned<serde_json::Value> = schema::read(tmp.path(), "phase.json").unwrap();
    assert_eq!(v.schema, 0);
}
