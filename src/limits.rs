//! What a run may ask of this machine: its memory (read from `/proc/meminfo`) and about a
//! day of work. Every command estimates both from its flags before it starts, with the
//! formulas below, and refuses (exit 2, naming the flag, the estimate and the limit) a run
//! that would not fit in memory, or that would run for days unless `--force` is given.
//! Memory is never forced: the operating system would only kill the process.
//!
//! The estimates are upper-ish bounds computed in `f64`, so sizes that multiply past 2^64
//! saturate to a huge estimate (refused) instead of wrapping to a small one.
//!
//! ```
//! use vanish::limits::{Need, check_memory};
//! let need = Need::bytes("--examples", 328e9, "the training data");
//! let e = check_memory(&need, 24e9).unwrap_err();
//! assert!(e.to_string().starts_with("--examples: the training data needs 328 GB"));
//! assert!(check_memory(&Need::bytes("--examples", 1e6, "the data"), 24e9).is_ok());
//! ```

use crate::error::ConfigError;

/// Memory assumed when `/proc/meminfo` cannot be read: 8 GiB.
pub const FALLBACK_MEMORY: f64 = 8.0 * (1u64 << 30) as f64;
/// The share of the machine's memory a run may plan to use (the rest is the system's and
/// the estimates' margin).
pub const MEMORY_SHARE: f64 = 0.8;
/// Most derivatives (Σ samples·depth, or the normals of network draws) a Monte Carlo run
/// may cost without `--force`: about a day of this tool on one 2-core machine.
pub const MAX_DERIVATIVES: f64 = 2e13;

/// Most integrand evaluations of `vanish meanfield` without `--force`: about a day at the
/// ~2·10^7 a second per core measured here, on 2 cores.
pub const MAX_INTEGRAND_EVALUATIONS: f64 = 3e12;

/// The machine's memory in bytes: `MemTotal` of `/proc/meminfo`, else
/// [`FALLBACK_MEMORY`].
pub fn machine_memory() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_total(&text))
        .unwrap_or(FALLBACK_MEMORY)
}

/// `MemTotal` in bytes from the text of `/proc/meminfo` (`MemTotal:  24000000 kB`).
///
/// ```
/// assert_eq!(vanish::limits::mem_total("MemTotal:   2048 kB\nMemFree: 1 kB\n"), Some(2048.0 * 1024.0));
/// assert_eq!(vanish::limits::mem_total("nothing"), None);
/// ```
pub fn mem_total(meminfo: &str) -> Option<f64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: f64 = line
        .trim_start_matches("MemTotal:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    (kb > 0.0).then_some(kb * 1024.0)
}

/// The memory a run may plan to use: [`MEMORY_SHARE`] of [`machine_memory`].
pub fn memory_limit() -> f64 {
    MEMORY_SHARE * machine_memory()
}

/// An estimate of what a run needs: `amount` (bytes, or units of work) for `what`,
/// charged to `flag`, the flag that makes it large.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    /// The flag to name in a refusal.
    pub flag: String,
    /// The estimate.
    pub amount: f64,
    /// What it is for ("the training data", "the FFT of the exact law").
    pub what: String,
}

impl Need {
    /// `amount` bytes of memory for `what`.
    pub fn bytes(flag: &str, amount: f64, what: &str) -> Self {
        Need {
            flag: flag.into(),
            amount,
            what: what.into(),
        }
    }

    /// The largest of several needs (the one to name), or `None` for none.
    pub fn largest(needs: impl IntoIterator<Item = Need>) -> Option<Need> {
        needs
            .into_iter()
            .max_by(|a, b| a.amount.total_cmp(&b.amount))
    }
}

/// Bytes as `328 GB`, `1.5 MB`.
///
/// ```
/// assert_eq!(vanish::limits::show_bytes(328e9), "328 GB");
/// assert_eq!(vanish::limits::show_bytes(1.5e6), "1.5 MB");
/// assert_eq!(vanish::limits::show_bytes(f64::INFINITY), "more than 10^19 bytes");
/// ```
pub fn show_bytes(b: f64) -> String {
    if b.is_nan() || b >= 1e19 {
        return "more than 10^19 bytes".into();
    }
    let (v, unit) = [
        (1e15, "PB"),
        (1e12, "TB"),
        (1e9, "GB"),
        (1e6, "MB"),
        (1e3, "kB"),
    ]
    .into_iter()
    .find(|&(s, _)| b >= s)
    .map_or((b, "bytes"), |(s, u)| (b / s, u));
    format!("{} {unit}", significant(v))
}

/// Three significant digits, trailing zeros dropped.
fn significant(v: f64) -> String {
    let text = if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Refuses a need above `limit` bytes (see [`memory_limit`]); `--force` cannot help.
pub fn check_memory(need: &Need, limit: f64) -> Result<(), ConfigError> {
    if need.amount <= limit {
        return Ok(());
    }
    Err(ConfigError::new(
        need.flag.clone(),
        format!(
            "{} needs {} of memory, more than the {} this machine can give a run; make it \
             smaller",
            need.what,
            show_bytes(need.amount),
            show_bytes(limit)
        ),
    ))
}

/// Refuses, unless `force`, `work` units (named `unit`) above `limit`, "about a day";
/// says to add `--force`, which goes ahead.
///
/// ```
/// use vanish::limits::check_work;
/// let e = check_work("--samples", 4e13, 2e13, "derivatives", false).unwrap_err();
/// assert!(e.to_string().starts_with("--samples: the run costs 4.00e13 derivatives"));
/// assert!(e.to_string().contains("--force"));
/// assert!(check_work("--samples", 4e13, 2e13, "derivatives", true).is_ok());
/// ```
pub fn check_work(
    flag: &str,
    work: f64,
    limit: f64,
    unit: &str,
    force: bool,
) -> Result<(), ConfigError> {
    if force || work <= limit {
        return Ok(());
    }
    let days = work / limit;
    let shown = if work.is_finite() {
        format!("{work:.2e}")
    } else {
        "more than 10^308".into()
    };
    Err(ConfigError::new(
        flag,
        format!(
            "the run costs {} {unit}, about {} days here (the limit is {limit:.0e}, about a \
             day); add --force to run it",
            shown,
            significant(days.min(1e15))
        ),
    ))
}

/// The memory of a training run (`vanish train`), in bytes:
///
/// - the shared dataset: examples·(inputs + outputs) numbers;
/// - per worker thread, one network with its gradients and two optimiser moments,
///   4·P numbers for P = d·W + (K−1)·W² + W·outputs + K·W + outputs parameters, and the
///   forward and backward values of a minibatch, 2·batch·K·W numbers, all of
///   `element_bytes` (8 for f64, 4 for f32) but one copy of the parameters, drawn in f64;
/// - every run's records, held until the files are written: runs·(T/r + 2) records of
///   8 + 3·(K+1) numbers each, each number also as ~24 bytes of CSV text.
///
/// Other numbers are 8 bytes. The terms are returned with the flag that makes each one large.
#[allow(clippy::too_many_arguments)]
pub fn training_memory(
    examples: f64,
    input_dim: f64,
    outputs: f64,
    depth: f64,
    width: f64,
    batch: f64,
    threads: f64,
    runs: f64,
    records: f64,
    element_bytes: f64,
) -> Vec<Need> {
    let params = input_dim * width
        + (depth - 1.0) * width * width
        + width * outputs
        + depth * width
        + outputs;
    let data_flag = if examples >= input_dim {
        "--examples"
    } else {
        "--input-dim"
    };
    vec![
        Need::bytes(
            data_flag,
            8.0 * examples * (input_dim + outputs),
            "the training data (--examples × --input-dim)",
        ),
        Need::bytes(
            "--width",
            threads * (8.0 * params + element_bytes * (3.0 * params + 2.0 * batch * depth * width)),
            "the networks in training (--width² × --depth per thread)",
        ),
        Need::bytes(
            "--runs",
            runs * records * (8.0 + 3.0 * (depth + 1.0)) * (8.0 + 24.0),
            "holding every run's records (--runs × --steps/--record-every × --depth)",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_is_read_and_has_a_fallback() {
        assert_eq!(
            mem_total("MemTotal:       24557056 kB\n"),
            Some(24557056.0 * 1024.0)
        );
        assert_eq!(mem_total("MemTotal: x kB"), None);
        let m = machine_memory();
        assert!(m >= 1e8, "{m}");
    }

    #[test]
    fn training_estimates_follow_their_formulas() {
        // The issue's case: 1e7 examples × 4096 inputs of 8 bytes is 328 GB.
        let needs = training_memory(1e7, 4096.0, 1.0, 20.0, 32.0, 32.0, 2.0, 32.0, 102.0, 8.0);
        let data = &needs[0];
        assert_eq!(data.flag, "--examples");
        assert!((data.amount - 8.0 * 1e7 * 4097.0).abs() < 1.0);
        assert!(check_memory(data, 24e9).is_err());
        // 1e7 runs of 101 records of depth 20 cannot be held.
        let runs = training_memory(1024.0, 8.0, 1.0, 20.0, 32.0, 32.0, 2.0, 1e7, 102.0, 8.0);
        let largest = Need::largest(runs).unwrap();
        assert_eq!(largest.flag, "--runs");
        assert!(largest.amount > 1e12);
        // The defaults fit easily.
        let small = training_memory(1024.0, 8.0, 1.0, 20.0, 32.0, 32.0, 2.0, 32.0, 102.0, 8.0);
        assert!(Need::largest(small).unwrap().amount < 1e8);
        // Sizes past 2^64 saturate, never wrap.
        let huge = training_memory(
            1e7, 4096.0, 1e3, 1e3, 4096.0, 65536.0, 4096.0, 4.29e9, 1e8, 8.0,
        );
        assert!(Need::largest(huge).unwrap().amount > 2f64.powi(64));
    }

    #[test]
    fn work_is_refused_with_force_named_and_memory_without() {
        let e = check_work("--steps", 1e15, 1e14, "multiply-adds", false).unwrap_err();
        assert_eq!(e.flag, "--steps");
        assert!(e.message.contains("about 10 days"), "{}", e.message);
        let m = check_memory(&Need::bytes("--runs", 1e13, "the runs"), 1e10).unwrap_err();
        assert!(!m.message.contains("--force"), "{}", m.message);
        assert!(m.message.contains("10 TB"), "{}", m.message);
    }
}
