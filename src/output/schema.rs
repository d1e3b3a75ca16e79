//! The versioned JSON files of an output folder: every JSON file vanish writes (summary.json,
//! markov.json, phase.json, thresholds.json, outcome.json) carries a top-level `"schema"`,
//! and `plot`, `report` and the tests read the files back through the same typed structs
//! their writers build ([`crate::output::results::SimSummary`],
//! [`crate::output::training::TrainSummary`] …), so that a renamed field fails to read
//! instead of drawing an empty figure.
//!
//! Numbers that may not be finite are written as JSON numbers or the strings `"nan"`,
//! `"inf"`, `"-inf"` ([`json_number`]); [`number`] and [`optional_number`] are the serde
//! forms of that convention for `f64` fields.
//!
//! A quantity that has no value in a run is `null`, with the reason in a sibling field named
//! after it with `_na` (`"mean_ln_derivative": null, "mean_ln_derivative_na": "ln f' = -inf
//! with probability 0.5 (relu: …)"`; markov.json's `"p_na"` per row, a test's `"na"`). The
//! `_na` fields are present only where the value is null. A `--method` probability below the
//! range of f64 is `null` with `p_na` / `complement_na`; importance sampling adds its log10
//! (`log10_p` or `log10_complement`, with `…_ci95`) and `complement_ci95` beside `ci95`. The
//! files are ASCII: strings keep their symbols as JSON escapes (`"tanh(2\u00b7x)"`).
//!
//! ```
//! use vanish::output::schema::{SCHEMA, Versioned};
//! let v = Versioned::new(serde_json::json!({"a": 1}));
//! let text = vanish::output::format::pretty_json(&v);
//! assert_eq!(text, "{\n  \"a\": 1,\n  \"schema\": 1\n}\n");
//! let back: Versioned<serde_json::Value> = serde_json::from_str(&text).unwrap();
//! assert_eq!((back.schema, back.body["a"].as_i64()), (SCHEMA, Some(1)));
//! ```

use std::path::Path;

use anyhow::{Context, bail};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::output::format::json_number;

/// The schema version of the JSON files this build writes (files from before versioning
/// read as 0).
pub const SCHEMA: u32 = 1;

/// A JSON object with the schema version beside its own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versioned<T> {
    /// The schema version ([`SCHEMA`] when written by this build).
    #[serde(default)]
    pub schema: u32,
    /// The file's own fields.
    #[serde(flatten)]
    pub body: T,
}

impl<T> Versioned<T> {
    /// `body` at this build's schema version.
    pub fn new(body: T) -> Self {
        Versioned {
            schema: SCHEMA,
            body,
        }
    }
}

/// Files that say which schema version they follow.
pub trait HasSchema {
    /// The file's schema version.
    fn schema(&self) -> u32;
}

impl<T> HasSchema for Versioned<T> {
    fn schema(&self) -> u32 {
        self.schema
    }
}

/// Reads the JSON file `name` of the folder `dir` as `T`, refusing a schema newer than
/// this build's.
pub fn read<T: DeserializeOwned + HasSchema>(dir: &Path, name: &str) -> anyhow::Result<T> {
    let path = dir.join(name);
    let text = crate::output::files::read_text(&path)
        .with_context(|| format!("reading {}", path.display()))?;
    parse(&text, &path.display().to_string())
}

/// [`read`] of a JSON text (named `shown` in errors).
pub fn parse<T: DeserializeOwned + HasSchema>(text: &str, shown: &str) -> anyhow::Result<T> {
    let v: T = serde_json::from_str(text).with_context(|| format!("reading {shown}"))?;
    if v.schema() > SCHEMA {
        bail!(
            "{shown} has schema {}; this vanish reads up to {SCHEMA}",
            v.schema()
        );
    }
    Ok(v)
}

/// `#[serde(with = "number")]`: an `f64` as [`json_number`] writes it (a number, or `"nan"`,
/// `"inf"`, `"-inf"`).
pub mod number {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes `x` as a number, or as `"nan"`, `"inf"`, `"-inf"`.
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        super::json_number(*x).serialize(s)
    }

    /// Reads a number, or `"nan"`, `"inf"`, `"-inf"`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Number::deserialize(d).map(|n| n.0)
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(f64),
        Text(String),
    }

    /// An `f64` in the [`super::json_number`] form, for use inside other types.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Number(pub f64);

    impl Serialize for Number {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize(&self.0, s)
        }
    }

    impl<'de> Deserialize<'de> for Number {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            match Raw::deserialize(d)? {
                Raw::Number(x) => Ok(Number(x)),
                Raw::Text(t) => match t.as_str() {
                    "nan" => Ok(Number(f64::NAN)),
                    "inf" => Ok(Number(f64::INFINITY)),
                    "-inf" => Ok(Number(f64::NEG_INFINITY)),
                    other => Err(serde::de::Error::custom(format!(
                        "'{other}' is not a number"
                    ))),
                },
            }
        }
    }
}

/// `#[serde(with = "optional_number")]`: an `Option<f64>`, `null` when `None`, else as
/// [`number`].
pub mod optional_number {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::number::Number;

    /// Writes `null` or the number.
    pub fn serialize<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        x.map(Number).serialize(s)
    }

    /// Reads `null` or a number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<Number>::deserialize(d)?.map(|n| n.0))
    }
}

/// `#[serde(with = "number_pair")]`: `[f64; 2]` as two [`number`]s (an interval).
pub mod number_pair {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::number::Number;

    /// Writes `[lo, hi]`.
    pub fn serialize<S: Serializer>(x: &(f64, f64), s: S) -> Result<S::Ok, S::Error> {
        [Number(x.0), Number(x.1)].serialize(s)
    }

    /// Reads `[lo, hi]`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<(f64, f64), D::Error> {
        let [lo, hi] = <[Number; 2]>::deserialize(d)?;
        Ok((lo.0, hi.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize)]
    struct T {
        #[serde(with = "number")]
        x: f64,
        #[serde(with = "optional_number")]
        y: Option<f64>,
        #[serde(with = "number_pair")]
        ci: (f64, f64),
    }

    #[test]
    fn numbers_keep_the_json_number_form() {
        for x in [0.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e-300] {
            let t = T {
                x,
                y: Some(x),
                ci: (x, 2.0),
            };
            let v = serde_json::to_value(&t).unwrap();
            assert_eq!(v["x"], json_number(x));
            assert_eq!(v["y"], json_number(x));
            assert_eq!(v["ci"], serde_json::json!([json_number(x), 2.0]));
            let back: T = serde_json::from_value(v).unwrap();
            assert_eq!(back.x.to_bits(), x.to_bits());
            assert_eq!(back.y.map(f64::to_bits), Some(x.to_bits()));
        }
        let none = serde_json::to_value(T {
            x: 1.0,
            y: None,
            ci: (0.0, 1.0),
        })
        .unwrap();
        assert_eq!(none["y"], serde_json::Value::Null);
        assert!(serde_json::from_str::<T>(r#"{"x": "many", "y": null, "ci": [0, 1]}"#).is_err());
    }
}
