//! The values of a numeric flag or config key: `1,1.5,2` or `start:stop:step`.

use crate::error::ConfigError;

/// Parses a finite number.
pub fn parse_finite(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("'{s}' is not a finite number")),
    }
}

/// Parses `1,1.5,2` or an inclusive range `start:stop:step` (at most 10^6 values) into
/// values for `flag` (named in errors), as `table --n 0.5:4:0.5` and the other grid flags
/// read them.
pub fn parse_values(flag: &str, s: &str) -> Result<Vec<f64>, ConfigError> {
    let bad = |m: String| ConfigError::new(flag, m);
    let num = |t: &str| parse_finite(t).map_err(&bad);
    if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() != 3 {
            return Err(bad(format!(
                "'{s}': a range is start:stop:step, e.g. 0.5:3:0.25"
            )));
        }
        let (start, stop, step) = (num(parts[0])?, num(parts[1])?, num(parts[2])?);
        if step <= 0.0 || stop < start {
            return Err(bad(format!(
                "'{s}': a range needs step > 0 and stop ≥ start"
            )));
        }
        let span = ((stop - start) / step + 1e-9).floor();
        if span >= 1_000_000.0 {
            return Err(bad(format!(
                "'{s}' has {:.3e} values; at most 1000000",
                span + 1.0
            )));
        }
        let count = span as u64 + 1;
        // Rounded to 12 significant digits: 0.1·3 is 0.3, not 0.30000000000000004.
        let tidy = |v: f64| {
            format!("{v:.11e}")
                .parse::<f64>()
                .expect("formatted number")
        };
        return Ok((0..count).map(|i| tidy(start + i as f64 * step)).collect());
    }
    s.split(',').map(|t| num(t.trim())).collect()
}
