//! The files the figures read, parsed from text into what a figure draws: pure functions
//! with no file I/O and no drawing (the fuzz targets call them directly). A value no
//! figure can show (an infinite σ_w, a NaN time, a bin whose end comes before its start)
//! is refused with the line it is on; values a figure shows as a gap (a NaN χ1) are kept.
//!
//! ```
//! use vanish::output::plot::input::phase_points;
//! let ok = phase_points("activation,sigma_w,sigma_b,chi1\ntanh(x),1,0,nan\n").unwrap();
//! assert!(ok.chi1[0].is_nan());
//! let bad = phase_points("activation,sigma_w,sigma_b,chi1\ntanh(x),inf,0,1\n").unwrap_err();
//! assert_eq!(bad.to_string(), "line 2: sigma_w is 'inf'; a number from -1e15 to 1e15 is needed");
//! ```

use anyhow::{Context, bail};
use serde::Deserialize;

use super::CsvTable;
use crate::output::dynamics::survival_columns as sc;
use crate::output::manifest::Manifest;
use crate::output::meanfield::{critical_columns as cc, phase_columns as pc};
use crate::output::results::{exact_density_columns as ex, histogram_columns as hc};
use crate::output::schema::{SCHEMA, Versioned};
use crate::output::thresholds::threshold_columns as tc;

/// Bins of log10 g with their masses (histogram.csv or exact_density.csv).
#[derive(Debug, Clone, PartialEq)]
pub struct Bins {
    /// The lower ends.
    pub lo: Vec<f64>,
    /// The upper ends (each ≥ its lower end).
    pub hi: Vec<f64>,
    /// The fraction of samples (or of the exact law) in each bin, finite and ≥ 0.
    pub mass: Vec<f64>,
}

/// The bins of `sim`'s histogram.csv.
pub fn histogram_bins(text: &str) -> anyhow::Result<Bins> {
    bins(
        &CsvTable::parse(text)?,
        hc::LOG10_G_LO,
        hc::LOG10_G_HI,
        hc::FRACTION,
    )
}

/// The bins of `sim --method exact`'s exact_density.csv.
pub fn exact_bins(text: &str) -> anyhow::Result<Bins> {
    bins(
        &CsvTable::parse(text)?,
        ex::LOG10_G_LO,
        ex::LOG10_G_HI,
        ex::EXACT_FRACTION,
    )
}

/// The bins of a table (named for its messages by [`CsvTable::file`]).
pub fn bins(t: &CsvTable, lo: &str, hi: &str, mass: &str) -> anyhow::Result<Bins> {
    let (lo, hi, mass) = (t.finite(lo)?, t.finite(hi)?, t.finite(mass)?);
    for i in 0..lo.len() {
        if hi[i] < lo[i] || mass[i] < 0.0 {
            bail!(
                "{}: the bin [{}, {}) with mass {} is not a bin",
                t.line(i),
                lo[i],
                hi[i],
                mass[i]
            );
        }
    }
    Ok(Bins { lo, hi, mass })
}

/// The points of `meanfield`'s phase.csv: finite σ_w and σ_b, and χ1 (NaN or ∞ where the
/// mean field has none; drawn grey).
#[derive(Debug, Clone, PartialEq)]
pub struct PhasePoints {
    /// The activation's label (from the first row).
    pub activation: String,
    /// σ_w of each point.
    pub sigma_w: Vec<f64>,
    /// σ_b of each point.
    pub sigma_b: Vec<f64>,
    /// χ1 of each point.
    pub chi1: Vec<f64>,
}

/// Parses phase.csv.
pub fn phase_points(text: &str) -> anyhow::Result<PhasePoints> {
    phase_table(&CsvTable::parse(text)?)
}

/// [`phase_points`] of a table already read.
pub fn phase_table(t: &CsvTable) -> anyhow::Result<PhasePoints> {
    // CSV spells `tanh(2·x)` in ASCII (`tanh(2*x)`); a figure title shows it as printed.
    let activation = t
        .text(pc::ACTIVATION)?
        .first()
        .map_or(String::new(), |s| s.replace('*', "·"));
    Ok(PhasePoints {
        activation,
        sigma_w: t.finite(pc::SIGMA_W)?,
        sigma_b: t.finite(pc::SIGMA_B)?,
        chi1: t.numbers(pc::CHI1)?,
    })
}

/// The critical line of critical.csv as (σ_w, σ_b) points: rows where σ_b has no
/// critical σ_w (NaN) are left out; a σ_b that is not finite is refused.
pub fn critical_line(text: &str) -> anyhow::Result<Vec<(f64, f64)>> {
    critical_table(&CsvTable::parse(text)?)
}

/// [`critical_line`] of a table already read.
pub fn critical_table(t: &CsvTable) -> anyhow::Result<Vec<(f64, f64)>> {
    let (b, w) = (t.finite(cc::SIGMA_B)?, t.numbers(cc::CRITICAL_SIGMA_W)?);
    Ok(w.into_iter()
        .zip(b)
        .filter(|(w, _)| w.is_finite())
        .collect())
}

/// What the thresholds figure of thresholds.csv shows: the amplitude a (from the first
/// row) and the smallest and largest n.
pub fn threshold_span(text: &str) -> anyhow::Result<(f64, f64, f64)> {
    threshold_table(&CsvTable::parse(text)?)
}

/// [`threshold_span`] of a table already read.
pub fn threshold_table(t: &CsvTable) -> anyhow::Result<(f64, f64, f64)> {
    let (a, n) = (t.finite(tc::A)?, t.finite(tc::N)?);
    let Some(&first) = a.first() else {
        bail!("{}: no rows", name(t));
    };
    if let Some(i) = (0..a.len()).find(|&i| a[i] <= 0.0 || n[i] <= 0.0) {
        bail!(
            "{}: a = {} and n = {}; both must be > 0",
            t.line(i),
            a[i],
            n[i]
        );
    }
    let (lo, hi) = super::finite_range(n);
    Ok((first, lo, hi))
}

/// The survival curves of survival.csv: the times (finite, ≥ 0), the Kaplan–Meier
/// survival (in [0, 1]) and the fitted chain's (NaN where it has none).
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalCurve {
    /// Records since the start.
    pub t: Vec<f64>,
    /// The runs' survival.
    pub km: Vec<f64>,
    /// The chain's survival.
    pub geometric: Vec<f64>,
}

/// Parses survival.csv.
pub fn survival_curve(text: &str) -> anyhow::Result<SurvivalCurve> {
    survival_table(&CsvTable::parse(text)?)
}

/// [`survival_curve`] of a table already read.
pub fn survival_table(t: &CsvTable) -> anyhow::Result<SurvivalCurve> {
    let (time, km) = (t.finite(sc::T)?, t.finite(sc::KM_SURVIVAL)?);
    if let Some(i) = (0..time.len()).find(|&i| time[i] < 0.0 || !(0.0..=1.0).contains(&km[i])) {
        bail!(
            "{}: t = {} and survival {}; t ≥ 0 and a survival in [0, 1] are needed",
            t.line(i),
            time[i],
            km[i]
        );
    }
    Ok(SurvivalCurve {
        t: time,
        km,
        geometric: t.numbers(sc::GEOMETRIC_SURVIVAL)?,
    })
}

/// The axes of a grid in table.json with how many values each takes (at schema
/// [`SCHEMA`] or older), every name a plain identifier (letters, digits and `_`, at most
/// 64 characters: it becomes part of a figure's file name).
///
/// ```
/// use vanish::output::plot::input::grid_axes;
/// let j = r#"{"grid": {"axes": [{"name": "depth", "values": [5, 10]}]}, "cells": []}"#;
/// assert_eq!(grid_axes(j).unwrap(), [("depth".to_string(), 2)]);
/// let bad = r#"{"grid": {"axes": [{"name": "../x", "values": [1, 2]}]}}"#;
/// assert!(grid_axes(bad).unwrap_err().to_string().contains("'../x'"));
/// ```
pub fn grid_axes(text: &str) -> anyhow::Result<Vec<(String, usize)>> {
    #[derive(Deserialize)]
    struct Axis {
        name: String,
        values: Vec<serde_json::Value>,
    }
    #[derive(Deserialize)]
    struct Grid {
        axes: Vec<Axis>,
    }
    #[derive(Deserialize)]
    struct Table {
        grid: Grid,
    }
    let t: Versioned<Table> = serde_json::from_str(text).context("table.json")?;
    if t.schema > SCHEMA {
        bail!(
            "table.json has schema {}; this vanish reads up to {SCHEMA}",
            t.schema
        );
    }
    t.body
        .grid
        .axes
        .into_iter()
        .map(|a| {
            if !is_identifier(&a.name) {
                bail!(
                    "table.json: the axis '{}' is not a parameter's name (letters, digits and _)",
                    a.name
                );
            }
            Ok((a.name, a.values.len()))
        })
        .collect()
}

/// Whether `name` is a parameter's name: an ASCII letter or `_`, then letters, digits and
/// `_`, at most 64 characters.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A run's manifest.json as a vanish manifest: refused when it is not JSON, not an object
/// of the manifest's fields, not written by vanish, or lists a file outside its folder.
///
/// ```
/// use vanish::output::plot::input::run_manifest;
/// let m = r#"{"tool": "vanish", "version": "0.1.0", "command": "sim", "files": ["a.csv"]}"#;
/// assert_eq!(run_manifest(m).unwrap().files, ["a.csv"]);
/// assert!(run_manifest(&m.replace("\"vanish\"", "\"other\"")).is_err());
/// assert!(run_manifest(&m.replace("a.csv", "../a.csv")).is_err());
/// ```
pub fn run_manifest(text: &str) -> anyhow::Result<Manifest> {
    let m: Manifest = serde_json::from_str(text).context("not a vanish manifest")?;
    if m.tool != "vanish" {
        bail!("written by '{}', not by vanish", m.tool);
    }
    if let Some(f) = m.files.iter().find(|f| !is_file_name(f)) {
        bail!("lists '{f}', which is not a file of its folder");
    }
    Ok(m)
}

/// Whether `name` names a file inside a folder (no separator, not `.` or `..`).
fn is_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !std::path::Path::new(name).is_absolute()
}

fn name(t: &CsvTable) -> &str {
    if t.file.is_empty() {
        "the file"
    } else {
        &t.file
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_values_name_their_line() {
        let h = "log10_g_lo,log10_g_hi,count,fraction\n-2,-1,1,0.5\n-1,-inf,1,0.5\n";
        let e = histogram_bins(h).unwrap_err().to_string();
        assert_eq!(
            e,
            "line 3: log10_g_hi is '-inf'; a number from -1e15 to 1e15 is needed"
        );
        let h = "log10_g_lo,log10_g_hi,count,fraction\n-2,-3,1,0.5\n";
        assert!(
            histogram_bins(h)
                .unwrap_err()
                .to_string()
                .starts_with("line 2: ")
        );
        let s = "t,km_survival,geometric_survival\n1e12,0.5,nan\n";
        assert_eq!(survival_curve(s).unwrap().t, [1e12]);
        let s = "t,km_survival,geometric_survival\n1e300,0.5,nan\n";
        assert!(survival_curve(s).unwrap_err().to_string().contains("1e300"));
        let s = "t,km_survival,geometric_survival\nnan,0.5,0.4\n";
        assert!(
            survival_curve(s)
                .unwrap_err()
                .to_string()
                .starts_with("line 2")
        );
        let th = "a,n\ninf,1\n";
        assert!(
            threshold_span(th)
                .unwrap_err()
                .to_string()
                .starts_with("line 2")
        );
        assert_eq!(threshold_span("a,n\n2,1\n2,3\n").unwrap(), (2.0, 1.0, 3.0));
        let c = "activation,sigma_b,critical_sigma_w\nt,0,nan\nt,0.1,0.6\n";
        assert_eq!(critical_line(c).unwrap(), [(0.6, 0.1)]);
        assert!(CsvTable::parse("a,b\n1\n").is_err());
    }

    #[test]
    fn names_are_identifiers() {
        for ok in ["depth", "sigma_w", "s", "_x1"] {
            assert!(is_identifier(ok), "{ok}");
        }
        for bad in ["", "../x", "a/b", "1x", "a b", "a.b", &"x".repeat(65)] {
            assert!(!is_identifier(bad), "{bad}");
        }
        let newer = r#"{"schema": 9, "grid": {"axes": []}}"#;
        assert!(
            grid_axes(newer)
                .unwrap_err()
                .to_string()
                .contains("schema 9")
        );
    }
}
