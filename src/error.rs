//! Typed errors. Bad input is a [`ConfigError`] (exit code 2); everything else is a runtime
//! failure (exit code 1).

use std::fmt;

/// Bad input: names the flag and says what is allowed.
///
/// ```
/// use vanish::error::ConfigError;
/// let e = ConfigError::new("--depth", "must be between 1 and 1000000, got 0");
/// assert_eq!(e.to_string(), "--depth: must be between 1 and 1000000, got 0");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The flag (or config key) at fault, e.g. `--dist`.
    pub flag: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl ConfigError {
    /// A new error about `flag`.
    pub fn new(flag: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            flag: flag.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.flag, self.message)
    }
}

/// Parses the value of an enumerated setting (any case, spaces trimmed) as clap parses its
/// flag, for values that come from elsewhere (a `--config` file, a journal); the error
/// names `flag` and lists the values.
///
/// ```
/// use vanish::{error::parse_value_enum, mc::fast::Precision};
/// assert_eq!(parse_value_enum::<Precision>("--precision", " F32").unwrap(), Precision::F32);
/// let e = parse_value_enum::<Precision>("--precision", "f16").unwrap_err();
/// assert_eq!(e.to_string(), "--precision: must be f32, f64 or reference, got 'f16'");
/// ```
pub fn parse_value_enum<T: clap::ValueEnum>(flag: &str, text: &str) -> Result<T, ConfigError> {
    let text = text.trim();
    T::from_str(text, true).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(T::to_possible_value)
            .filter(|p| !p.is_hide_set())
            .map(|p| p.get_name().to_string())
            .collect();
        let allowed = match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        ConfigError::new(
            flag,
            format!("must be {allowed}, got '{}'", text.to_ascii_lowercase()),
        )
    })
}

/// The flag value of an enumerated setting: its name as clap accepts and completes it.
pub fn value_enum_name<T: clap::ValueEnum>(value: &T) -> String {
    value
        .to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}
