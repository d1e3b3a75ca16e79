//! The append-only journal behind `--resume`: a header line saying what run the records
//! belong to, then one JSON line per finished record (a table cell, a training run).
//!
//! A killed process loses nothing that it finished; a line cut short is dropped when the
//! journal is read; two processes never write one journal (an exclusive file lock); and a
//! journal of other flags is refused rather than mixed in.
//!
//! ```
//! use serde_json::json;
//! use vanish::sweep::journal::{self, Journal};
//! let dir = tempfile::tempdir().unwrap();
//! let header = json!({"journal": "example", "seed": 1});
//! let mut j = Journal::create(dir.path(), &header).unwrap();
//! j.append(&json!({"cell": 0, "value": 0.5})).unwrap();
//! j.finish().unwrap();
//! let (j, done): (Journal, Vec<serde_json::Value>) = Journal::resume(dir.path(), &header).unwrap();
//! assert_eq!(done, [json!({"cell": 0, "value": 0.5})]);
//! drop(j);
//! let other = json!({"journal": "example", "seed": 2});
//! assert!(Journal::resume::<serde_json::Value>(dir.path(), &other).is_err());
//! ```

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, Write};
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ConfigError, Error, Result};
use crate::output::files::write_atomic;

/// The journal's file name in `--out`.
pub const JOURNAL: &str = "journal.jsonl";

/// An append-only journal: one JSON line per finished record. Each line goes to the
/// operating system as its record finishes (a killed process loses nothing it finished) and
/// to the disk at least every [`SYNC_EVERY`] (a power cut loses at most that much work,
/// which `--resume` recomputes); a line cut short is ignored when the journal is read.
pub struct Journal {
    file: File,
    synced: std::time::Instant,
}

/// Longest time between two syncs of the journal to disk.
pub const SYNC_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

impl Journal {
    /// Starts a journal in `dir`; refuses when one is already there (it holds computed
    /// records: resume them with `--resume`, or use another `--out`).
    pub fn create(dir: &Path, header: &Value) -> Result<Self> {
        let path = dir.join(JOURNAL);
        if has_journal(&path) {
            return Err(ConfigError::new(
                "--out",
                format!(
                    "'{}' holds the journal of an earlier run; add --resume to finish it, or \
                     give another folder",
                    dir.display()
                ),
            )
            .into());
        }
        // (A journal whose first line never got written whole holds nothing: replaced.)
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(&path)
            .map_err(Error::io(format!("creating {}", path.display())))?;
        let mut file = locked(file, dir)?;
        let io = || Error::io(format!("writing {}", path.display()));
        file.set_len(0).map_err(io())?;
        file.write_all(format!("{header}\n").as_bytes())
            .map_err(io())?;
        file.sync_all().map_err(io())?;
        Ok(Journal {
            file,
            synced: std::time::Instant::now(),
        })
    }

    /// Reopens the journal in `dir` for appending, after checking that it was started for
    /// `header`; returns the records it holds. A line cut short by a crash is dropped.
    pub fn resume<R: DeserializeOwned>(dir: &Path, header: &Value) -> Result<(Self, Vec<R>)> {
        let path = dir.join(JOURNAL);
        if !has_journal(&path) {
            // Nothing was computed yet: start afresh.
            return Ok((Journal::create(dir, header)?, Vec::new()));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(Error::io(format!("opening {}", path.display())))?;
        let mut file = locked(file, dir)?;
        let (found, records, good_len) = read(&path)?;
        if &found != header {
            return Err(ConfigError::new(
                "--resume",
                format!(
                    "the journal in '{}' is of another run (other flags, grid or shard); it is \
                     left as it is (give another --out, or the flags of that run)",
                    dir.display()
                ),
            )
            .into());
        }
        let io = || Error::io(format!("writing {}", path.display()));
        file.set_len(good_len).map_err(io())?;
        file.seek(std::io::SeekFrom::End(0)).map_err(io())?;
        let journal = Journal {
            file,
            synced: std::time::Instant::now(),
        };
        Ok((journal, records))
    }

    /// Appends one record (one write of a whole line); syncs when the last sync is older
    /// than [`SYNC_EVERY`].
    pub fn append<R: Serialize>(&mut self, record: &R) -> Result<()> {
        let line = serde_json::to_string(record)?;
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

/// Whether `path` is a journal: it exists and its first line is complete.
pub fn has_journal(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let mut first = String::new();
    BufReader::new(file).read_line(&mut first).is_ok()
        && first.ends_with('\n')
        && serde_json::from_str::<Value>(first.trim_end()).is_ok()
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
    let mut text = format!("{header}\n");
    for r in records {
        text.push_str(&serde_json::to_string(r)?);
        text.push('\n');
    }
    write_atomic(&dir.join(JOURNAL), text.as_bytes()).map_err(Error::io("writing the journal"))
}

/// Reads a journal: its header, its complete records, and the byte length of the part
/// that parsed (a last line without its newline, or that does not parse, is dropped).
pub fn read<R: DeserializeOwned>(path: &Path) -> Result<(Value, Vec<R>, u64)> {
    let file = File::open(path).map_err(Error::io(format!("opening {}", path.display())))?;
    let mut lines = BufReader::new(file);
    let mut header_line = String::new();
    let io = || Error::io(format!("reading {}", path.display()));
    lines.read_line(&mut header_line).map_err(io())?;
    let header: Value = match serde_json::from_str(header_line.trim_end()) {
        Ok(v) if header_line.ends_with('\n') => v,
        _ => {
            return Err(Error::Invalid(format!(
                "{} is not a vanish journal",
                path.display()
            )));
        }
    };
    let mut good_len = header_line.len() as u64;
    let mut records = Vec::new();
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).map_err(io())? == 0 || !line.ends_with('\n') {
            break;
        }
        match serde_json::from_str::<R>(line.trim_end()) {
            Ok(r) => records.push(r),
            Err(_) => break,
        }
        good_len += line.len() as u64;
    }
    Ok((header, records, good_len))
}
