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

/// Every failure of the library's file-handling layers (journals, sweeps, manifests),
/// typed: the command line maps it to an exit code in one place ([`Error::exit_code`]).
/// The numerical core returns [`ConfigError`] alone: it reads no files.
///
/// ```
/// use vanish::error::{ConfigError, Error};
/// let bad: Error = ConfigError::new("--out", "is a file").into();
/// assert_eq!(bad.exit_code(), 2);
/// assert_eq!(bad.to_string(), "--out: is a file");
/// let damaged = Error::Invalid("runs/t/journal.jsonl is not a vanish journal".into());
/// assert_eq!(damaged.exit_code(), 1);
/// let io = Error::io("writing runs/t/table.csv")(std::io::Error::other("disk full"));
/// assert_eq!(format!("{:#}", anyhow::Error::from(io)), "writing runs/t/table.csv: disk full");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: a flag, or a folder given on the command line (exit code 2).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A file or folder could not be read or written (the operating system's reason is
    /// the [`source`](std::error::Error::source)).
    #[error("{what}")]
    Io {
        /// What was being done, with the path.
        what: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A file that does not hold what it should: a damaged journal, a record of another
    /// run, a missing unit.
    #[error("{0}")]
    Invalid(String),
    /// A worker thread panicked while holding a shared writer.
    #[error("a worker panicked while {0}")]
    Panicked(&'static str),
}

impl Error {
    /// The exit code of the command that failed with it: 2 for bad input, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) => 2,
            _ => 1,
        }
    }

    /// Wraps an I/O error with what was being done.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Invalid(format!("JSON: {e}"))
    }
}

/// The library's result.
pub type Result<T> = std::result::Result<T, Error>;

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
pub fn parse_value_enum<T: clap::ValueEnum>(
    flag: &str,
    text: &str,
) -> std::result::Result<T, ConfigError> {
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
