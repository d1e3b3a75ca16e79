//! The files and the terminal table of `vanish meanfield`: phase.csv, critical.csv and
//! phase.json of a [`PhaseDiagram`].

use serde_json::{Value, json};

use crate::output::files::csv_text;
use crate::output::format::{exact, json_number};
use crate::output::schema::Versioned;
use crate::theory::phase::PhaseDiagram;

/// phase.csv: one row per (σ_w, σ_b) with its fixed point, depth scales and phase.
pub fn phase_csv(d: &PhaseDiagram) -> String {
    let (activation, cells, points) = (d.activation, &d.cells, &d.points);
    let header: Vec<String> = phase_columns::HEADER.map(String::from).to_vec();
    let rows: Vec<Vec<String>> = cells
        .iter()
        .zip(points)
        .map(|(&(w, b), p)| {
            vec![
                activation.to_string(),
                exact(w),
                exact(b),
                exact(p.q_star),
                exact(p.chi1),
                c_star_undefined(p).map_or_else(|| exact(p.c_star), |_| String::new()),
                exact(p.chi_c),
                exact(p.xi_q),
                exact(p.xi_c),
                p.phase().to_string(),
                d.critical_at(b).map_or(String::new(), exact),
            ]
        })
        .collect();
    csv_text(&header, &rows)
}

/// phase.json: the points and the critical line, with the schema version.
pub fn phase_json(d: &PhaseDiagram) -> Versioned<Value> {
    let (activation, cells, points, sigma_b, critical) =
        (d.activation, &d.cells, &d.points, &d.sigma_b, &d.critical);
    Versioned::new(json!({
        "activation": activation.to_string(),
        "quadrature": "closed forms for relu and leaky-relu; trapezoid rule in z (step 0.15/(n·√q) in 1-D, 0.3/(n·√q) in 2-D; 1-D error below 1e-13) for tanh and sigmoid",
        "points": cells.iter().zip(points).map(|(&(w, b), p)| {
            let mut v = json!({
                "sigma_w": w, "sigma_b": b, "q_star": json_number(p.q_star), "chi1": json_number(p.chi1),
                "c_star": json_number(p.c_star), "chi_c": json_number(p.chi_c), "xi_q": json_number(p.xi_q),
                "xi_c": json_number(p.xi_c), "phase": p.phase(),
            });
            if let Some(why) = c_star_undefined(p) {
                v["c_star"] = Value::Null;
                v["c_star_na"] = json!(why);
            }
            v
        }).collect::<Vec<Value>>(),
        "critical": sigma_b.iter().zip(critical).map(|(&b, c)| json!({
            "sigma_b": b, "sigma_w": c.map_or(Value::Null, json_number),
        })).collect::<Vec<Value>>(),
    }))
}

/// Why the correlation fixed point c* has no value: at q* = 0 every input is mapped to 0
/// and the correlation of two signals is 0/0. `None` where it has one.
fn c_star_undefined(p: &crate::theory::meanfield::FixedPoint) -> Option<&'static str> {
    p.c_star
        .is_nan()
        .then_some("c* is undefined at q* = 0: the signals vanish, so their correlation is 0/0")
}

/// critical.csv: the critical σ_w of every σ_b (an empty cell where there is none).
pub fn critical_csv(d: &PhaseDiagram) -> String {
    let activation = d.activation;
    let crit_rows: Vec<Vec<String>> = d
        .sigma_b
        .iter()
        .zip(&d.critical)
        .map(|(&b, c)| {
            vec![
                activation.to_string(),
                exact(b),
                c.map_or(String::new(), exact),
            ]
        })
        .collect();
    let crit_header = critical_columns::HEADER.map(String::from);
    csv_text(&crit_header, &crit_rows)
}

/// The terminal table.
pub fn table(d: &PhaseDiagram) -> String {
    let (activation, cells, points, sigma_b, critical) =
        (d.activation, &d.cells, &d.points, &d.sigma_b, &d.critical);
    let mut t =
        format!("mean field of {activation}: weights N(0, σ_w²/fan_in), biases N(0, σ_b²)\n\n");
    t.push_str(&format!(
        "{:>8} {:>8} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9}  {}\n",
        "σ_w", "σ_b", "q*", "χ1", "c*", "χ_c", "ξ_q", "ξ_c", "phase"
    ));
    let g = |v: f64| {
        if v.is_finite() {
            format!("{:.6}", v)
        } else {
            exact(v)
        }
    };
    let d = |v: f64| {
        if v.is_finite() {
            format!("{:.3}", v)
        } else {
            exact(v)
        }
    };
    for (&(w, b), p) in cells.iter().zip(points) {
        t.push_str(&format!(
            "{:>8} {:>8} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9}  {}\n",
            exact(w),
            exact(b),
            g(p.q_star),
            g(p.chi1),
            c_star_undefined(p).map_or_else(|| g(p.c_star), |_| "n/a".into()),
            g(p.chi_c),
            d(p.xi_q),
            d(p.xi_c),
            p.phase()
        ));
    }
    t.push_str("\nχ_c: slope of the correlation map at c*; two inputs' correlation nears c* over ξ_c = −1/|ln χ_c| layers\n");
    if let Some(why) = points.iter().find_map(c_star_undefined) {
        t.push_str(&format!("c* n/a: {why}\n"));
    }
    t.push_str("\norder/chaos boundary (χ1 = 1):\n");
    for (&b, c) in sigma_b.iter().zip(critical) {
        t.push_str(&format!(
            "  σ_b = {:<8} critical σ_w = {}\n",
            exact(b),
            c.map_or("none in [0.001, 100]".to_string(), |c| format!("{c:.6}"))
        ));
    }
    t
}

/// The columns of phase.csv ([`phase_csv`]).
pub mod phase_columns {
    /// The activation.
    pub const ACTIVATION: &str = "activation";
    /// σ_w.
    pub const SIGMA_W: &str = "sigma_w";
    /// σ_b.
    pub const SIGMA_B: &str = "sigma_b";
    /// χ1.
    pub const CHI1: &str = "chi1";
    /// Every column, in order.
    pub const HEADER: [&str; 11] = [
        ACTIVATION,
        SIGMA_W,
        SIGMA_B,
        "q_star",
        CHI1,
        "c_star",
        "chi_c",
        "xi_q",
        "xi_c",
        "phase",
        "critical_sigma_w",
    ];
}

/// The columns of critical.csv ([`critical_csv`]).
pub mod critical_columns {
    /// σ_b.
    pub const SIGMA_B: &str = "sigma_b";
    /// The critical σ_w at that σ_b.
    pub const CRITICAL_SIGMA_W: &str = "critical_sigma_w";
    /// Every column, in order.
    pub const HEADER: [&str; 3] = ["activation", SIGMA_B, CRITICAL_SIGMA_W];
}
