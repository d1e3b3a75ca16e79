//! The CSV row of a run (summary.csv, and a cell of table.csv) and the names of the
//! columns figures read.

use std::f64::consts::LN_10;

use super::{QUANTILES, SimResults};
use crate::methods::Method;
use crate::model::source::Source;
use crate::output::format::exact;

impl SimResults {
    /// One CSV row: (header, values), one column per statistic.
    pub fn csv_row(&self) -> (Vec<String>, Vec<String>) {
        let s = &self.summary;
        let e = &self.experiment;
        let (a, n) = e.activation().tanh_params().unwrap_or((f64::NAN, f64::NAN));
        let dist = e.source().dist();
        let mut cols: Vec<(String, String)> = vec![
            ("activation".into(), e.activation().to_string()),
            ("a".into(), exact(a)),
            ("n".into(), exact(n)),
            ("dist".into(), dist.to_string()),
            ("depth".into(), e.depth().to_string()),
            ("samples".into(), s.samples.to_string()),
            ("seed".into(), e.seed().to_string()),
            ("vanish_below".into(), exact(e.vanish_below())),
            ("explode_above".into(), exact(e.explode_above())),
        ];
        for (name, est) in [
            (columns::VANISH, &self.vanish),
            (columns::EXPLODE, &self.explode),
            (columns::BETWEEN, &self.between),
        ] {
            cols.push((columns::count(name), est.count.to_string()));
            cols.push((columns::p(name), exact(est.p)));
            cols.push((format!("p_{name}_wilson_lo"), exact(est.wilson.0)));
            cols.push((format!("p_{name}_wilson_hi"), exact(est.wilson.1)));
            cols.push((columns::cp_lo(name), exact(est.clopper_pearson.0)));
            cols.push((columns::cp_hi(name), exact(est.clopper_pearson.1)));
        }
        // A value with no number (below f64, or undefined) is an empty cell.
        let cell = |v: Option<f64>| v.map_or(String::new(), exact);
        for m in &self.methods {
            let (zv, ze) = self.mc_off_by(m);
            for (event, p, z, vanish) in [
                (columns::VANISH, &m.vanish, zv, true),
                (columns::EXPLODE, &m.explode, ze, false),
            ] {
                let name = columns::method(event, m.method);
                let tails = self.tails(m, vanish);
                cols.push((name.clone(), cell(tails.p.value())));
                cols.push((format!("{name}_complement"), cell(tails.complement.value())));
                let error = Some(p.error)
                    .filter(|_| m.method != Method::Is || !tails.below_f64())
                    .filter(|e| !e.is_nan());
                cols.push((format!("{name}_error"), cell(error)));
                cols.push((
                    format!("{name}_mc_off_by_se"),
                    cell(Some(z).filter(|z| !z.is_nan())),
                ));
                // The same columns in every cell of a table: empty where there is no
                // distance (a side below f64, or no estimate).
                let has_exact = self.methods.iter().any(|e| e.method == Method::Exact);
                if has_exact && m.method != Method::Exact {
                    let off = self.off_exact(m, vanish).filter(|o| o.is_finite());
                    cols.push((format!("{name}_off_exact_bracket"), cell(off)));
                }
                let bracket = if vanish {
                    m.vanish_bracket
                } else {
                    m.explode_bracket
                };
                if let Some(b) = bracket {
                    // exact's bracket, and logs that hold below the range of f64.
                    let finite = |x: f64| cell(Some(x).filter(|x| x.is_finite()));
                    let positive = |x: f64, ln: f64| {
                        cell(Some(x).filter(|&x| x > 0.0 || ln == f64::NEG_INFINITY))
                    };
                    cols.push((format!("{name}_lower"), positive(b.lower.p(), b.lower.ln_p)));
                    cols.push((format!("{name}_upper"), positive(b.upper.p(), b.upper.ln_p)));
                    cols.push((format!("{name}_log10"), finite(b.estimate.log10_p())));
                    cols.push((format!("{name}_log10_lower"), finite(b.lower.log10_p())));
                    cols.push((format!("{name}_log10_upper"), finite(b.upper.log10_p())));
                    cols.push((
                        format!("{name}_complement_log10"),
                        finite(b.estimate.log10_complement()),
                    ));
                    cols.push((format!("{name}_relative_width"), finite(b.relative_width())));
                }
                if m.method == Method::Is {
                    // The rare side's log10, which holds below the range of f64.
                    let log10 = |complement: bool| {
                        cell(
                            tails
                                .rare
                                .filter(|r| r.complement == complement)
                                .map(|r| r.log10),
                        )
                    };
                    cols.push((format!("{name}_log10"), log10(false)));
                    cols.push((format!("{name}_complement_log10"), log10(true)));
                }
            }
        }
        let g_defined = self.log10_g_undefined().is_none();
        let f_defined = self.ln_derivative_undefined().is_none();
        let when = |defined: bool, x: f64| cell(Some(x).filter(|_| defined));
        cols.push(("mean_log10_g".into(), when(g_defined, s.log10_g.mean())));
        cols.push((
            "sd_log10_g".into(),
            when(g_defined, s.log10_g.variance().sqrt()),
        ));
        for (q, v) in QUANTILES.iter().zip(&self.quantiles) {
            cols.push((format!("q{}_log10_g", q * 100.0), exact(v.0)));
        }
        let (above, below) = self.factor_fractions();
        cols.push((
            "mean_ln_derivative".into(),
            when(f_defined, s.factors.ln_derivative.mean()),
        ));
        cols.push((
            "var_ln_derivative".into(),
            when(f_defined, s.factors.ln_derivative.variance()),
        ));
        cols.push(("fraction_above_one".into(), exact(above)));
        cols.push(("fraction_below_inverse_max".into(), exact(below)));
        cols.push(("zero_g".into(), s.zero.to_string()));
        cols.push(("nan".into(), s.not_a_number.to_string()));
        if let Source::Network { network, quantity } = &e.source() {
            let widths: Vec<String> = network.widths.iter().map(|w| w.to_string()).collect();
            let width = if network.widths.iter().all(|&w| w == network.widths[0]) {
                widths[0].clone()
            } else {
                widths.join(" ")
            };
            let p = network.prediction(&e.activation());
            cols.extend([
                ("source".into(), "network".into()),
                ("quantity".into(), quantity.name().into()),
                ("input_dim".into(), network.input_dim.to_string()),
                ("width".into(), width),
                ("sigma_w".into(), exact(network.sigma_w)),
                ("sigma_b".into(), exact(network.sigma_b)),
                ("init".into(), network.init.to_string()),
                ("log10_mean_g".into(), exact(s.linear.ln_mean() / LN_10)),
                ("mean_g_relative_se".into(), exact(s.linear.relative_se())),
                (
                    "meanfield_log10_mean_jacobian_gain".into(),
                    exact(p.as_ref().map_or(f64::NAN, |p| p.ln_mean_gain / LN_10)),
                ),
                (
                    "meanfield_mean_log10_path".into(),
                    exact(p.as_ref().map_or(f64::NAN, |p| p.mean_ln_path / LN_10)),
                ),
            ]);
        }
        cols.into_iter().unzip()
    }
}

/// The columns of summary.csv and of table.csv ([`SimResults::csv_row`]) that figures read
/// (table.csv puts the grid's parameters first).
pub mod columns {
    use crate::methods::Method;

    /// The event g < vanish threshold.
    pub const VANISH: &str = "vanish";
    /// The event g > explode threshold.
    pub const EXPLODE: &str = "explode";
    /// The event in between.
    pub const BETWEEN: &str = "between";

    /// The count of `event` (`vanish_count`).
    pub fn count(event: &str) -> String {
        format!("{event}_count")
    }

    /// The Monte Carlo probability of `event` (`p_vanish`).
    pub fn p(event: &str) -> String {
        format!("p_{event}")
    }

    /// The lower end of its 95 % Clopper–Pearson interval (`p_vanish_cp_lo`).
    pub fn cp_lo(event: &str) -> String {
        format!("p_{event}_cp_lo")
    }

    /// The upper end (`p_vanish_cp_hi`).
    pub fn cp_hi(event: &str) -> String {
        format!("p_{event}_cp_hi")
    }

    /// The probability of `event` by `method` (`p_vanish_exact`).
    pub fn method(event: &str, method: Method) -> String {
        format!("p_{event}_{method}")
    }
}
