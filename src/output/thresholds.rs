//! The files and the terminal table of `vanish thresholds`: thresholds.csv and
//! thresholds.json of a [`ThresholdTable`].

use serde_json::{Value, json};

use crate::output::files::csv_text;
use crate::output::format::{exact, json_number};
use crate::output::schema::Versioned;
use crate::theory::thresholds::ThresholdTable;

/// thresholds.json, with the schema version.
pub fn thresholds_json(t: &ThresholdTable) -> Versioned<Value> {
    let (a, k, rows) = (t.a, t.depth, &t.rows);
    let ((nt, t1_max), (ne, e_max)) = (t.widest_t1, t.widest_e);
    Versioned::new(json!({
        "a": a,
        "depth": k,
        "rows": rows.iter().map(|r| json!({
            "n": r.n, "peak_derivative": json_number(a * r.n), "t1": json_number(r.t1), "e": json_number(r.e),
            "depth_threshold": json_number(r.depth),
        })).collect::<Vec<_>>(),
        "widest_t1": {"n": json_number(nt), "t1": json_number(t1_max)},
        "widest_e": {"n": json_number(ne), "e": json_number(e_max)},
    }))
}

/// thresholds.csv.
pub fn thresholds_csv(t: &ThresholdTable) -> String {
    let (a, k, rows) = (t.a, t.depth, &t.rows);
    let header: Vec<String> = threshold_columns::HEADER.map(String::from).to_vec();
    let csv_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                exact(a),
                exact(r.n),
                exact(a * r.n),
                exact(r.t1),
                exact(r.e),
                k.to_string(),
                exact(r.depth),
            ]
        })
        .collect();
    csv_text(&header, &csv_rows)
}

/// The terminal table.
pub fn table(table: &ThresholdTable) -> String {
    let (a, k, rows) = (table.a, table.depth, &table.rows);
    let ((nt, t1_max), (ne, e_max)) = (table.widest_t1, table.widest_e);
    let mut t = format!("f(x) = {a}·tanh(n·x), K = {k}\n\n");
    t.push_str(&format!(
        "{:>8} {:>10} {:>10} {:>10} {:>16}\n",
        "n",
        "max f'",
        "t1",
        "e",
        format!("depth (K={k})")
    ));
    for r in rows {
        t.push_str(&format!(
            "{:>8} {:>10.4} {:>10.4} {:>10.4} {:>16.4}\n",
            exact(r.n),
            a * r.n,
            r.t1,
            r.e,
            r.depth
        ));
    }
    t.push_str(&format!(
        "\nwidest ±t1 over continuous n: n* = {nt:.4}, t1 = {t1_max:.4}\n\
         widest ±e  over continuous n: n* = {ne:.4}, e  = {e_max:.4}\n"
    ));
    t
}

/// The columns of thresholds.csv ([`thresholds_csv`]).
pub mod threshold_columns {
    /// The amplitude a.
    pub const A: &str = "a";
    /// The slope n.
    pub const N: &str = "n";
    /// Every column, in order.
    pub const HEADER: [&str; 7] = [
        A,
        N,
        "peak_derivative",
        "t1",
        "e",
        "depth",
        "depth_threshold",
    ];
}
