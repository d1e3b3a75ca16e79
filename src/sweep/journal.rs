//! The append-only journal behind `--resume`: a header line saying what run the records
//! belong to, then one JSON line per finished record (a table cell, a training run).
//!
//! A killed process loses nothing that it finished; a last line cut short (a kill in the
//! middle of its write) is dropped when the journal is read; two processes never write one
//! journal (an exclusive file lock); a journal of other flags or of another numbers
//! version is refused rather than mixed in; and every line is sealed with a checksum
//! ([`seal`]) and checked when read, so a line changed after vanish wrote it, or one that
//! breaks its record's rules, is refused with the file and line. A file of that name that
//! is not a vanish journal is never overwritten.
//!
//! ```
//! use serde_json::json;
//! use vanish::sweep::journal::{self, Journal};
//! let dir = tempfile::tempdir().unwrap();
//! let header = json!({"journal": "vanish example", "numbers": vanish::mc::rng::NUMBERS});
//! let mut j = Journal::create(dir.path(), &header).unwrap();
//! j.append(&json!({"cell": 0, "value": 0.5})).unwrap();
//! j.finish().unwrap();
//! let ok = |_: &serde_json::Value| Ok(());
//! let (j, done) = Journal::resume(dir.path(), &header, ok).unwrap();
//! assert_eq!(done, [json!({"cell": 0, "value": 0.5})]);
//! drop(j);
//! let other = json!({"journal": "vanish example", "numbers": vanish::mc::rng::NUMBERS, "seed": 2});
//! assert!(Journal::resume(dir.path(), &other, ok).is_err());
//! ```

mod differs;
mod line;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, Write};
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use differs::first_difference;
pub use line::{seal, unseal};

use crate::error::{ConfigError, Error, Result};
use crate::mc::rng::NUMBERS;
use crate::output::files::write_atomic;

/// The journal's file name in `--out`.
pub const JOURNAL: &str = "journal.jsonl";

/// How every journal's first line starts: a file that does not (and is more than a header
/// cut short by a kill) is not vanish's, and is never overwritten.
const HEADER_START: &str = "{\"journal\":\"vanish ";

/// An append-only journal: one JSON line per finished record. Each line goes to the
/// operating system as its record finishes (a killed process loses nothing it finished) and
/// to the disk at least every [`SYNC_EVERY`] (a power cut loses at most that much work,
/// which `--resume` recomputes); a last line cut short is ignored when the journal is read.
pub struct Journal {
    file: File,
    synced: std::time::Instant,
}

/// Longest time between two syncs of the journal to disk.
pub const SYNC_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// What a folder's `journal.jsonl` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// No file, an empty one, or a header a kill cut short: nothing was computed.
    Nothing,
    /// A journal of vanish (its first line a whole vanish header).
    Journal,
    /// A file that is not a vanish journal (a user's own file of that name, or one whose
    /// first line was damaged): never overwritten.
    Foreign,
}

/// What the file at `path` is (see [`Found`]).
pub fn found(path: &Path) -> Found {
    let Ok(file) = File::open(path) else {
        return Found::Nothing;
    };
    let mut first = Vec::new();
    // A header is a few kB; a first line past 16 MB is no header.
    if BufReader::new(file)
        .take(1 << 24)
        .read_until(b'\n', &mut first)
        .is_err()
    {
        return Found::Foreign;
    }
    let Some(whole) = first.strip_suffix(b"\n") else {
        let start = HEADER_START.as_bytes();
        let cut = first.len() < start.len() && start.starts_with(&first);
        return if cut || first.starts_with(start) {
            Found::Nothing
        } else {
            Found::Foreign
        };
    };
    let header = std::str::from_utf8(whole)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(t).ok());
    match header {
        Some(h) if is_vanish(&h) => Found::Journal,
        _ => Found::Foreign,
    }
}

/// Whether `header` names a journal of vanish.
fn is_vanish(header: &Value) -> bool {
    header["journal"]
        .as_str()
        .is_some_and(|j| j.starts_with("vanish "))
}

/// The refusal of a file that is not a vanish journal.
fn foreign(path: &Path) -> Error {
    ConfigError::new(
        path.display().to_string(),
        "is not a vanish journal (its first line is no vanish header) and is left as it is: \
         move it away, or give another --out",
    )
    .into()
}

/// A line's error: `FILE line N: why` (exit 2).
fn bad_line(path: &Path, n: usize, why: impl Into<String>) -> Error {
    ConfigError::new(format!("{} line {n}", path.display()), why).into()
}

/// The header's line as a journal holds it (without its newline): sealed, `"journal"` first.
///
/// ```
/// use serde_json::json;
/// let line = vanish::sweep::journal::header_line(&json!({"seed": 1, "journal": "vanish x"}));
/// assert!(line.starts_with(r#"{"journal":"vanish x","seed":1,"crc32":""#));
/// ```
pub fn header_line(header: &Value) -> String {
    let mut rest = header.as_object().cloned().unwrap_or_default();
    let name = rest.remove("journal").unwrap_or(Value::Null);
    let rest = crate::output::format::ascii_json(&Value::Object(rest)).expect("JSON serialises");
    let object = match rest.as_str() {
        "{}" => format!("{{\"journal\":{name}}}"),
        _ => format!("{{\"journal\":{name},{}", &rest[1..]),
    };
    seal(&object)
}

impl Journal {
    /// Starts a journal in `dir`. Refuses when one is already there (it holds computed
    /// records: resume them with `--resume`, or use another `--out`) and when the file is
    /// not a vanish journal (a user's file is never overwritten); an empty file or a header
    /// a kill cut short hold nothing and are replaced.
    pub fn create(dir: &Path, header: &Value) -> Result<Self> {
        let path = dir.join(JOURNAL);
        match found(&path) {
            Found::Nothing => {}
            Found::Foreign => return Err(foreign(&path)),
            Found::Journal => {
                return Err(ConfigError::new(
                    "--out",
                    format!(
                        "'{}' holds the journal of an earlier run; add --resume to finish it, \
                         or give another folder",
                        dir.display()
                    ),
                )
                .into());
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(&path)
            .map_err(Error::io(format!("creating {}", path.display())))?;
        let mut file = locked(file, dir)?;
        // Under the lock: what is there is still nothing (no run started meanwhile).
        if found(&path) != Found::Nothing {
            return Err(foreign(&path));
        }
        let io = || Error::io(format!("writing {}", path.display()));
        file.set_len(0).map_err(io())?;
        file.write_all(format!("{}\n", header_line(header)).as_bytes())
            .map_err(io())?;
        file.sync_all().map_err(io())?;
        Ok(Journal {
            file,
            synced: std::time::Instant::now(),
        })
    }

    /// Reopens the journal in `dir` for appending, after checking that it was started for
    /// `header` and that every record reads back and passes `check`; returns the records
    /// it holds. Only a last line cut short by a crash is dropped (the file is cut to the
    /// lines that read); anything else wrong is refused and the file is left as it is.
    pub fn resume<R: DeserializeOwned + Serialize>(
        dir: &Path,
        header: &Value,
        check: impl FnMut(&R) -> std::result::Result<(), String>,
    ) -> Result<(Self, Vec<R>)> {
        let path = dir.join(JOURNAL);
        match found(&path) {
            // Nothing was computed yet: start afresh.
            Found::Nothing => return Ok((Journal::create(dir, header)?, Vec::new())),
            Found::Foreign => return Err(foreign(&path)),
            Found::Journal => {}
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(Error::io(format!("opening {}", path.display())))?;
        let mut file = locked(file, dir)?;
        let found = read_header(&path)?;
        if let Some(what) = first_difference(&found, header) {
            return Err(ConfigError::new(
                "--resume",
                format!(
                    "{what} (the journal in '{}' is left as it is: give the flags of its run, \
                     or another --out)",
                    dir.display()
                ),
            )
            .into());
        }
        let (_, records, good_len) = read(&path, check)?;
        let io = || Error::io(format!("writing {}", path.display()));
        file.set_len(good_len).map_err(io())?;
        file.seek(std::io::SeekFrom::End(0)).map_err(io())?;
        let journal = Journal {
            file,
            synced: std::time::Instant::now(),
        };
        Ok((journal, records))
    }

    /// Appends one record (one write of a whole sealed line); syncs when the last sync is
    /// older than [`SYNC_EVERY`].
    pub fn append<R: Serialize>(&mut self, record: &R) -> Result<()> {
        let line = seal(&crate::output::format::ascii_json(record)?);
        let io = || Error::io("appending to the journal");
        self.file
            .write_all(format!("{line}\n").as_bytes())
            .map_err(io())?;
        if self.synced.elapsed() >= SYNC_EVERY {
            self.file.sync_data().map_err(io())?;
            self.synced = std::time::Instant::now();
        }
        Ok(())
    }

    /// Syncs what is left to disk.
    pub fn finish(self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(Error::io("syncing the journal"))?;
        Ok(())
    }
}

/// Takes the exclusive lock of a journal: two runs never write one journal at once.
fn locked(file: File, dir: &Path) -> Result<File> {
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(ConfigError::new(
            "--out",
            format!(
                "another vanish run is writing the journal in '{}'",
                dir.display()
            ),
        )
        .into()),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io("locking the journal")(e)),
    }
}

/// Rewrites a finished run's journal with `records` in the given order (atomically), so
/// that every finished folder of one run holds the same journal, however its work was
/// scheduled.
pub fn rewrite<R: Serialize>(dir: &Path, header: &Value, records: &[R]) -> Result<()> {
    let mut text = format!("{}\n", header_line(header));
    for r in records {
        text.push_str(&seal(&crate::output::format::ascii_json(r)?));
        text.push('\n');
    }
    write_atomic(&dir.join(JOURNAL), text.as_bytes()).map_err(Error::io("writing the journal"))
}

/// The next line of `lines` (line `n` of `path`) as text, without its newline: `None` at
/// the end or for a last line cut short (no newline).
fn next_line(lines: &mut impl BufRead, path: &Path, n: usize) -> Result<Option<(String, u64)>> {
    let mut bytes = Vec::new();
    let read = lines
        .read_until(b'\n', &mut bytes)
        .map_err(Error::io(format!("reading {}", path.display())))?;
    if read == 0 || bytes.pop() != Some(b'\n') {
        return Ok(None);
    }
    let text = String::from_utf8(bytes).map_err(|_| bad_line(path, n, "is not UTF-8 text"))?;
    Ok(Some((text, read as u64)))
}

/// A journal's header, checked: a whole vanish header of this numbers version whose
/// checksum matches. Every failure names the file (exit 2).
pub fn read_header(path: &Path) -> Result<Value> {
    let file = File::open(path).map_err(Error::io(format!("opening {}", path.display())))?;
    read_header_from(BufReader::new(file), path)
}

/// [`read_header`] of a journal's text (`lines`, named `path` in errors).
pub fn read_header_from(mut lines: impl BufRead, path: &Path) -> Result<Value> {
    header_of(&mut lines, path).map(|(h, _)| h)
}

fn header_of(lines: &mut impl BufRead, path: &Path) -> Result<(Value, u64)> {
    let Some((line, len)) = next_line(lines, path, 1)? else {
        return Err(foreign(path));
    };
    let raw: Value = match serde_json::from_str(&line) {
        Ok(v) if is_vanish(&v) => v,
        _ => return Err(foreign(path)),
    };
    if raw["numbers"].as_u64() != Some(u64::from(NUMBERS)) {
        let theirs = match raw["numbers"].as_u64() {
            Some(v) => format!("numbers version {v}"),
            None => format!("numbers version {} or earlier (none recorded)", NUMBERS - 1),
        };
        return Err(ConfigError::new(
            path.display().to_string(),
            format!(
                "holds results of {theirs}; this vanish computes numbers version {NUMBERS}, and \
                 the two are never mixed: finish it with the vanish that started it, or start \
                 again in another folder"
            ),
        )
        .into());
    }
    let object = unseal(&line).map_err(|why| bad_line(path, 1, why))?;
    let header = serde_json::from_str(&object).map_err(|e| bad_line(path, 1, e.to_string()))?;
    Ok((header, len))
}

/// Reads a journal: its header (as [`read_header`]), its records, and the byte length of
/// the part that read. Every complete line must be a sealed record with no unknown field
/// that passes `check`, else it is refused with the file and line (exit 2); only a last
/// line without its newline (a kill in the middle of its write) is dropped.
pub fn read<R: DeserializeOwned + Serialize>(
    path: &Path,
    check: impl FnMut(&R) -> std::result::Result<(), String>,
) -> Result<(Value, Vec<R>, u64)> {
    let file = File::open(path).map_err(Error::io(format!("opening {}", path.display())))?;
    read_from(BufReader::new(file), path, check)
}

/// [`read`] of a journal's text (`lines`, named `path` in errors).
pub fn read_from<R: DeserializeOwned + Serialize>(
    mut lines: impl BufRead,
    path: &Path,
    mut check: impl FnMut(&R) -> std::result::Result<(), String>,
) -> Result<(Value, Vec<R>, u64)> {
    let (header, mut good_len) = header_of(&mut lines, path)?;
    let mut records = Vec::new();
    for n in 2.. {
        let Some((line, len)) = next_line(&mut lines, path, n)? else {
            break;
        };
        let object = unseal(&line).map_err(|why| bad_line(path, n, why))?;
        let record: R = serde_json::from_str(&object)
            .map_err(|e| bad_line(path, n, format!("is no record of this journal: {e}")))?;
        written_as_read(&object, &record).map_err(|why| bad_line(path, n, why))?;
        check(&record).map_err(|why| bad_line(path, n, why))?;
        records.push(record);
        good_len += len;
    }
    Ok((header, records, good_len))
}

/// Checks that `object` is exactly the text vanish writes for `record`: no unknown field,
/// nothing rewritten.
fn written_as_read<R: Serialize>(object: &str, record: &R) -> std::result::Result<(), String> {
    let again = crate::output::format::ascii_json(record).map_err(|e| e.to_string())?;
    // Journals of earlier builds kept characters beyond ASCII unescaped.
    if again == object || serde_json::to_string(record).is_ok_and(|raw| raw == object) {
        return Ok(());
    }
    let keys = |text: &str| -> Vec<String> {
        serde_json::from_str::<serde_json::Map<String, Value>>(text)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let known = keys(&again);
    match keys(object).into_iter().find(|k| !known.contains(k)) {
        Some(k) => Err(format!("has an unknown field '{k}'")),
        None => Err("is not written as vanish writes its records".into()),
    }
}
