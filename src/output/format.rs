//! Numbers as text, in one place: the exact forms machine files carry and the short forms
//! a reader sees. Every file and every terminal line formats its numbers with these.
//!
//! ```
//! use vanish::output::format::{exact, label, short, json_number};
//! assert_eq!(exact(0.1), "0.1");
//! assert_eq!(exact(f64::NAN), "nan");
//! assert_eq!(label(50.0), "50");
//! assert_eq!(label(1e-6), "1e-6");
//! assert_eq!(short(0.123456), "0.1235");
//! assert_eq!(short(1.5e-7), "1.500e-7");
//! assert_eq!(json_number(f64::INFINITY), serde_json::json!("inf"));
//! ```

use serde::Serialize;
use serde_json::{Value, json};

/// The exact form (Rust's shortest round-trip text; NaN as `nan`): what CSV files carry.
pub fn exact(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else {
        format!("{x:?}")
    }
}

/// A JSON number, or the strings `"nan"`, `"inf"`, `"-inf"` where JSON has no number.
pub fn json_number(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else if x.is_nan() {
        json!("nan")
    } else if x > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

/// A parameter value or a step as a reader writes it: 50, not 50.0; 1e-6 stays 1e-6.
pub fn label(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        exact(v)
    }
}

/// Four decimals between 1e-3 and 1e5 (trailing zeros dropped), else three in scientific
/// notation: the terminal's form of fitted quantities.
pub fn short(v: f64) -> String {
    if !v.is_finite() {
        return exact(v);
    }
    if v == 0.0 || (1e-3..1e5).contains(&v.abs()) {
        format!("{}", format!("{v:.4}").parse::<f64>().unwrap_or(v))
    } else {
        format!("{v:.3e}")
    }
}

/// A probability in a figure's caption or a report: four decimals between 1e-3 and 1e4,
/// else three in scientific notation; NaN as an en dash.
///
/// ```
/// use vanish::output::format::caption;
/// assert_eq!(caption(0.25), "0.25");
/// assert_eq!(caption(f64::NAN), "–");
/// ```
pub fn caption(p: f64) -> String {
    if p.is_nan() {
        "–".into()
    } else if p == 0.0 || (1e-3..1e4).contains(&p.abs()) {
        format!("{}", (p * 1e4).round() / 1e4)
    } else {
        format!("{p:.3e}")
    }
}

/// Up to 4 decimals, trailing zeros dropped: 2 → "2", 1.1439333 → "1.1439".
///
/// ```
/// use vanish::output::format::decimals4;
/// assert_eq!(decimals4(2.0), "2");
/// assert_eq!(decimals4(1.1439333), "1.1439");
/// ```
pub fn decimals4(x: f64) -> String {
    let s = format!("{x:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A number to `d` significant digits, in plain or scientific notation as fits.
///
/// ```
/// use vanish::output::format::significant;
/// assert_eq!(significant(0.00012345, 3), "1.23e-4");
/// assert_eq!(significant(12.345, 3), "12.3");
/// ```
pub fn significant(x: f64, d: usize) -> String {
    if !x.is_finite() {
        return exact(x);
    }
    if x == 0.0 {
        return "0".into();
    }
    let mag = x.abs().log10().floor() as i32;
    if (-3..6).contains(&mag) {
        let decimals = (d as i32 - 1 - mag).max(0) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.prec$e}", prec = d - 1)
    }
}

/// A probability to 4 significant digits; close to 1 as `1-q` with q = 1 − p to 3.
///
/// ```
/// use vanish::output::format::probability;
/// assert_eq!(probability(0.5), "0.5000");
/// assert_eq!(probability(0.99995), "1-5.00e-5");
/// ```
pub fn probability(p: f64) -> String {
    if p == 1.0 || p == 0.0 {
        return format!("{p}");
    }
    if p > 0.999 {
        return format!("1-{:.2e}", 1.0 - p);
    }
    significant(p, 4)
}

/// A CSV cell in a Markdown table: whole numbers as they are, probabilities close to 1 as
/// `1−q`, four decimals between 1e-3 and 1e5, else three in scientific notation; text
/// that is not a finite number as it is.
///
/// ```
/// use vanish::output::format::table_cell;
/// assert_eq!(table_cell("0.99995", true), "1−5.0e-5");
/// assert_eq!(table_cell("50", false), "50");
/// assert_eq!(table_cell("0.123456", false), "0.1235");
/// ```
pub fn table_cell(text: &str, probability: bool) -> String {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => {
            if probability && v > 0.999 && v < 1.0 {
                format!("1−{:.1e}", 1.0 - v)
            } else if v == 0.0 || v.fract() == 0.0 && v.abs() < 1e9 {
                format!("{v}")
            } else if (1e-3..1e5).contains(&v.abs()) {
                format!("{}", format!("{v:.4}").parse::<f64>().unwrap_or(v))
            } else {
                format!("{v:.3e}")
            }
        }
        _ => text.to_string(),
    }
}

/// A CSV cell in the HTML report: real numbers to six decimals (trailing zeros dropped) or
/// five in scientific notation outside [1e-3, 1e6); anything else as it is.
///
/// ```
/// use vanish::output::format::report_cell;
/// assert_eq!(report_cell("0.1234567"), "0.123457");
/// assert_eq!(report_cell("12"), "12");
/// ```
pub fn report_cell(text: &str) -> String {
    let real = text.contains('.') || text.contains('e');
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && real => {
            if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e6) {
                format!("{v:.5e}")
            } else {
                let s = format!("{v:.6}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            }
        }
        _ => text.to_string(),
    }
}

/// Pretty JSON with a final newline: the form of every JSON file vanish writes. Keys come
/// out sorted (through serde_json's map), whether the value was built with `json!` or
/// derived.
///
/// The text is pure ASCII: characters beyond it (`·` in `tanh(2·x)`, `σ`, `∼`) are written
/// as JSON escapes (`\u00b7`), which every JSON reader turns back into the same string.
pub fn pretty_json<T: Serialize + ?Sized>(v: &T) -> String {
    let value = serde_json::to_value(v).expect("JSON values serialise");
    let mut s =
        escape_non_ascii(&serde_json::to_string_pretty(&value).expect("JSON values serialise"));
    s.push('\n');
    s
}

/// Compact JSON on one line, pure ASCII as [`pretty_json`]: the form of a journal's records.
///
/// ```
/// use vanish::output::format::ascii_json;
/// assert_eq!(ascii_json(&serde_json::json!({"f": "tanh(2·x)"})).unwrap(), r#"{"f":"tanh(2\u00b7x)"}"#);
/// ```
pub fn ascii_json<T: Serialize + ?Sized>(v: &T) -> serde_json::Result<String> {
    serde_json::to_string(v).map(|s| escape_non_ascii(&s))
}

/// JSON text with every character beyond ASCII written as a `\uXXXX` escape (a pair of
/// them beyond U+FFFF). Outside strings JSON is ASCII already, so only strings change.
pub(crate) fn escape_non_ascii(json: &str) -> String {
    if json.is_ascii() {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// Text for a CSV cell or header: pure ASCII, with the symbols vanish prints spelled in
/// ASCII (`tanh(2·x)` → `tanh(2*x)`, `σ_w` → `sigma_w`, `−` → `-`, `[g∼0]` → `[g~0]`); any
/// other character beyond ASCII becomes `?`.
///
/// ```
/// use vanish::output::format::ascii;
/// assert_eq!(ascii("tanh(2·x)"), "tanh(2*x)");
/// assert_eq!(ascii("1−2.8e-4"), "1-2.8e-4");
/// assert_eq!(ascii("[g∼0] → [g≫0]"), "[g~0] -> [g>>0]");
/// ```
pub fn ascii(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_ascii() => out.push(c),
            '·' | '×' => out.push('*'),
            '−' | '–' | '—' => out.push('-'),
            '∼' | '≈' => out.push('~'),
            '≫' => out.push_str(">>"),
            '≪' => out.push_str("<<"),
            '≤' => out.push_str("<="),
            '≥' => out.push_str(">="),
            '≠' => out.push_str("!="),
            '→' => out.push_str("->"),
            '±' => out.push_str("+/-"),
            '∞' => out.push_str("inf"),
            '√' => out.push_str("sqrt"),
            '²' => out.push_str("^2"),
            '′' => out.push('\''),
            '…' => out.push_str("..."),
            'σ' => out.push_str("sigma"),
            'χ' => out.push_str("chi"),
            'ξ' => out.push_str("xi"),
            'τ' => out.push_str("tau"),
            'θ' => out.push_str("theta"),
            'κ' => out.push_str("kappa"),
            'μ' => out.push_str("mu"),
            'ν' => out.push_str("nu"),
            'α' => out.push_str("alpha"),
            'ε' => out.push_str("eps"),
            'Σ' => out.push_str("sum"),
            'Π' => out.push_str("prod"),
            _ => out.push('?'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_are_shown_short() {
        assert_eq!(caption(0.94565), "0.9457");
        assert_eq!(caption(0.0), "0");
        assert_eq!(caption(1.5e-29), "1.500e-29");
        assert_eq!(caption(f64::NAN), "–");
    }
}
