//! The seed's thresholds over a list of slopes n, for f = a·tanh(n·x) and depth K: the
//! rows `vanish thresholds` prints and writes.
//!
//! ```
//! use vanish::theory::thresholds::ThresholdTable;
//! let t = ThresholdTable::new(1.0, &[1.0, 2.0], 50).unwrap();
//! assert_eq!(t.rows.len(), 2);
//! assert_eq!(t.rows[0].t1, 0.0); // acosh(1) = 0
//! assert!((t.widest_t1.0 - 1.81).abs() < 0.01);
//! assert!(ThresholdTable::new(1.0, &[1.0], 0).is_err());
//! ```

use crate::error::ConfigError;
use crate::model::activation::Activation;
use crate::theory::iid::{
    depth_threshold, explode_threshold, vanish_threshold, widest_explode_threshold,
    widest_vanish_threshold,
};

/// The thresholds at one slope n.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdRow {
    /// The slope n.
    pub n: f64,
    /// t1 = acosh(a·n)/n: beyond ±t1, f'(x) < 1/(a·n).
    pub t1: f64,
    /// e = acosh(√(a·n))/n: inside ±e, f'(x) > 1.
    pub e: f64,
    /// acosh((a·n)^(K/2))/n: beyond it, one factor cancels K−1 maximal ones.
    pub depth: f64,
}

/// The thresholds at every n, and the slopes that make ±t1 and ±e widest.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdTable {
    /// The amplitude a.
    pub a: f64,
    /// K, for the depth threshold.
    pub depth: u32,
    /// One row per n, in the order given.
    pub rows: Vec<ThresholdRow>,
    /// (n*, t1) of the widest ±t1 over continuous n.
    pub widest_t1: (f64, f64),
    /// (n*, e) of the widest ±e over continuous n.
    pub widest_e: (f64, f64),
}

impl ThresholdTable {
    /// Validates a, every n (errors name `--a`, `--n`) and K (`--depth`), then computes.
    pub fn new(a: f64, ns: &[f64], depth: u32) -> Result<Self, ConfigError> {
        for &n in ns {
            Activation::scaled_tanh(a, n)?;
        }
        Activation::scaled_tanh(a, 1.0)?;
        if depth == 0 || depth > crate::model::MAX_DEPTH {
            return Err(ConfigError::new(
                "--depth",
                format!(
                    "must be an integer from 1 to {}, got {depth}",
                    crate::model::MAX_DEPTH
                ),
            ));
        }
        let rows = ns
            .iter()
            .map(|&n| ThresholdRow {
                n,
                t1: vanish_threshold(a, n),
                e: explode_threshold(a, n),
                depth: depth_threshold(a, n, depth),
            })
            .collect();
        Ok(ThresholdTable {
            a,
            depth,
            rows,
            widest_t1: widest_vanish_threshold(a),
            widest_e: widest_explode_threshold(a),
        })
    }
}
