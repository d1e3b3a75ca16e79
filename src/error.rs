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
