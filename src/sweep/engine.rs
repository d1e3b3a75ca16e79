//! The one sweep engine: work split in units (a table's cells, a training map's runs), each
//! a pure function of its index, computed in parallel and journaled as each finishes.
//! The same code resumes a killed run, trains or computes one cost-balanced shard, gathers
//! the finished units of shards, and merges them: so a table and a training map are split,
//! resumed and merged alike, and the files of a split run equal those of one that was not.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use serde_json::json;
//! use vanish::sweep::engine::{self, Journaling, Sweep};
//! #[derive(Debug, PartialEq, Serialize, Deserialize)]
//! struct Square { unit: usize, square: u64 }
//! struct Squares;
//! impl Sweep for Squares {
//!     type Record = Square;
//!     fn fingerprint(&self) -> serde_json::Value { json!({"journal": "vanish squares"}) }
//!     fn units(&self) -> usize { 5 }
//!     fn cost(&self, _unit: usize) -> f64 { 1.0 }
//!     fn unit(record: &Square) -> usize { record.unit }
//!     fn compute(&self, unit: usize) -> Square { Square { unit, square: (unit * unit) as u64 } }
//! }
//! let dir = tempfile::tempdir().unwrap();
//! let (a, b) = (dir.path().join("a"), dir.path().join("b"));
//! for (path, i) in [(&a, 0), (&b, 1)] {
//!     std::fs::create_dir(path).unwrap();
//!     let j = Journaling { dir: path, resume: false, shard: Some((i, 2)), gather: &[] };
//!     assert!(engine::run(&Squares, Some(&j)).unwrap().is_none()); // a shard only journals
//! }
//! let all = engine::merge(&Squares, &[a, b]).unwrap();
//! let squares: Vec<u64> = all.iter().map(|s| s.square).collect();
//! assert_eq!(squares, [0, 1, 4, 9, 16]);
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::{ConfigError, Error, Result};
use crate::mc::rng::NUMBERS;
use crate::sweep::grid::balance;
use crate::sweep::journal::{self, Found, JOURNAL, Journal};

/// A sweep: [`Sweep::units`] units of work, each computed by [`Sweep::compute`] into one
/// journal record.
pub trait Sweep: Sync {
    /// One finished unit, as its journal line holds it.
    type Record: Serialize + DeserializeOwned + Send;

    /// What the records depend on (a JSON object naming the sweep in `"journal"`, as
    /// `"vanish NAME"`): the journal's first line, with the numbers version
    /// ([`NUMBERS`]) and the shard added. A journal of another fingerprint is refused.
    fn fingerprint(&self) -> Value;

    /// The number of units.
    fn units(&self) -> usize;

    /// The cost of a unit, for shards of equal work (whole numbers below 2^60).
    fn cost(&self, unit: usize) -> f64;

    /// The unit a record belongs to.
    fn unit(record: &Self::Record) -> usize;

    /// Computes a unit (in parallel with others, on the current rayon pool).
    fn compute(&self, unit: usize) -> Self::Record;

    /// Told the units about to be computed (to size a progress bar), before any is.
    fn starting(&self, _pending: &[usize]) {}

    /// Checks a record read back from a journal (which may come from another machine or
    /// be damaged) against the rules every record of this sweep keeps; the reason names
    /// what is wrong.
    fn check(&self, _record: &Self::Record) -> std::result::Result<(), String> {
        Ok(())
    }
}

/// Where and how a sweep is journaled (`--out`, `--resume`, `--shard`, `--gather`).
pub struct Journaling<'a> {
    /// The folder of the journal.
    pub dir: &'a Path,
    /// Go on with the journal there.
    pub resume: bool,
    /// Compute only share i of n.
    pub shard: Option<(usize, usize)>,
    /// Take the finished units of these shards' folders first.
    pub gather: &'a [PathBuf],
}

/// The journal's first line for `sweep` (and shard `shard` of it): its fingerprint with
/// the numbers version.
pub fn header<S: Sweep>(sweep: &S, shard: Option<(usize, usize)>) -> Value {
    let mut h = sweep.fingerprint();
    if let Some(m) = h.as_object_mut() {
        m.insert("numbers".into(), json!(NUMBERS));
        m.insert(
            "shard".into(),
            shard.map_or(Value::Null, |(i, n)| json!([i, n])),
        );
    }
    h
}

/// The shard (0…n−1) of every unit: the costliest first, each to the least loaded shard.
pub fn shards<S: Sweep>(sweep: &S, n: usize) -> Vec<usize> {
    let costs: Vec<f64> = (0..sweep.units()).map(|u| sweep.cost(u)).collect();
    balance(&costs, n)
}

/// The units of shard `i` of `n`, in order.
pub fn shard<S: Sweep>(sweep: &S, i: usize, n: usize) -> Vec<usize> {
    let of = shards(sweep, n);
    (0..sweep.units()).filter(|&u| of[u] == i).collect()
}

/// Runs `sweep`. Without journaling, every unit in parallel, returned in unit order. With
/// it: the journal in `dir` is created (or resumed), the gathered shards' units are taken
/// first, the units still missing (of the shard, if one) are computed and journaled as
/// each finishes, and the journal is rewritten in unit order at the end (so a finished
/// folder does not depend on scheduling). A shard returns `None`; a whole run returns every
/// record in unit order, as the journal holds them.
pub fn run<S: Sweep>(sweep: &S, journaling: Option<&Journaling>) -> Result<Option<Vec<S::Record>>> {
    let units = sweep.units();
    let Some(j) = journaling else {
        let all: Vec<usize> = (0..units).collect();
        sweep.starting(&all);
        return Ok(Some(
            all.into_par_iter().map(|u| sweep.compute(u)).collect(),
        ));
    };
    // The shards are read and checked before this run's journal is made: a bad --gather
    // leaves nothing behind.
    let from_shards = j
        .gather
        .iter()
        .map(|d| shard_records(sweep, d, "--gather"))
        .collect::<Result<Vec<_>>>()?;
    let head = header(sweep, j.shard);
    let (journal, done): (Journal, Vec<S::Record>) = if j.resume {
        let resumed = Journal::resume(j.dir, &head, checker(sweep))?;
        // The journal's lock is ours: no other run writes here, so temporary files are
        // what a killed run left behind.
        remove_stale_temporaries(j.dir)?;
        resumed
    } else {
        (Journal::create(j.dir, &head)?, Vec::new())
    };
    let mut have: BTreeMap<usize, S::Record> = BTreeMap::new();
    let mut gathered = Vec::new();
    for r in done {
        have.insert(S::unit(&r), r);
    }
    for record in from_shards.into_iter().flatten() {
        if let std::collections::btree_map::Entry::Vacant(slot) = have.entry(S::unit(&record)) {
            gathered.push(*slot.key());
            slot.insert(record);
        }
    }
    let mine: Vec<usize> = match j.shard {
        Some((i, n)) => shard(sweep, i, n),
        None => (0..units).collect(),
    };
    let pending: Vec<usize> = mine.into_iter().filter(|u| !have.contains_key(u)).collect();
    sweep.starting(&pending);
    let journal = Mutex::new(journal);
    let append = |r: &S::Record| -> Result<()> {
        journal
            .lock()
            .map_err(|_| Error::Panicked("writing the journal"))?
            .append(r)
    };
    // Gathered units go into this run's own journal first: it then holds every unit.
    for u in &gathered {
        append(&have[u])?;
    }
    let fresh: Vec<S::Record> = pending
        .par_iter()
        .map(|&u| {
            let r = sweep.compute(u);
            append(&r)?;
            Ok(r)
        })
        .collect::<Result<_>>()?;
    journal
        .into_inner()
        .map_err(|_| Error::Panicked("writing the journal"))?
        .finish()?;
    for r in fresh {
        have.insert(S::unit(&r), r);
    }
    let records: Vec<S::Record> = have.into_values().collect();
    journal::rewrite(j.dir, &head, &records)?;
    if j.shard.is_some() {
        return Ok(None);
    }
    if records.len() != units {
        return Err(Error::Invalid(format!(
            "{} of {units} units are missing from the journal in '{}'",
            units - records.len(),
            j.dir.display()
        )));
    }
    Ok(Some(records))
}

/// Removes the `.vanish-*.tmp` files an atomic write left when its process was killed.
fn remove_stale_temporaries(dir: &Path) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).map_err(Error::io(format!("reading {}", dir.display())))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if crate::output::files::is_temporary(&name) {
            std::fs::remove_file(entry.path())
                .map_err(Error::io(format!("removing {}", entry.path().display())))?;
        }
    }
    Ok(())
}

/// Checks every folder to be gathered before anything is written (see [`run`]).
pub fn check_shards<S: Sweep>(sweep: &S, dirs: &[PathBuf], flag: &str) -> Result<()> {
    for d in dirs {
        shard_records(sweep, d, flag)?;
    }
    Ok(())
}

/// Every record of a split sweep, from its shards' folders, in unit order: each folder a
/// finished shard of this sweep, every shard of the split given once.
pub fn merge<S: Sweep>(sweep: &S, dirs: &[PathBuf]) -> Result<Vec<S::Record>> {
    let bad = |m: String| -> Error { ConfigError::new("DIR", m).into() };
    let mut split: Option<usize> = None;
    let mut seen: BTreeMap<usize, &Path> = BTreeMap::new();
    let mut all: BTreeMap<usize, S::Record> = BTreeMap::new();
    for dir in dirs {
        if !dir.is_dir() {
            return Err(bad(format!(
                "'{}' is not a folder (give the shards' --out folders)",
                dir.display()
            )));
        }
        // The header is checked first (checksum, numbers version): a damaged one is
        // refused with its file and line, not taken for a folder of no shard.
        let path = dir.join(JOURNAL);
        if journal::found(&path) == Found::Journal
            && let Some(what) = other_sweep(sweep, &path)?
        {
            return Err(bad(format!(
                "'{}' is a shard of another grid, other flags, seed or data than '{}': {what}",
                dir.display(),
                dirs[0].display()
            )));
        }
        let (i, n) = shard_of(&path).ok_or_else(|| {
            bad(format!(
                "'{}' is not a shard (made without --shard)",
                dir.display()
            ))
        })?;
        if *split.get_or_insert(n) != n {
            return Err(bad(format!(
                "'{}' is a shard of another split than '{}'",
                dir.display(),
                dirs[0].display()
            )));
        }
        if let Some(other) = seen.insert(i, dir) {
            return Err(bad(format!(
                "shard {i}/{n} is given twice: '{}' and '{}'",
                other.display(),
                dir.display()
            )));
        }
        let records = shard_records(sweep, dir, "DIR")?;
        let want = shard(sweep, i, n);
        let got: Vec<usize> = records.iter().map(S::unit).collect();
        if got != want {
            return Err(bad(format!(
                "shard {i}/{n} in '{}' is unfinished or not the shard it says (resume it with \
                 the same flags and --resume)",
                dir.display()
            )));
        }
        for r in records {
            all.insert(S::unit(&r), r);
        }
    }
    let n = split.expect("at least one folder");
    let missing: Vec<String> = (0..n)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        let (what, verb) = if missing.len() == 1 {
            ("shard", "is")
        } else {
            ("shards", "are")
        };
        return Err(bad(format!("{what} {} {verb} missing", missing.join(", "))));
    }
    Ok(all.into_values().collect())
}

/// The shard (i, n) a journal's header names, if it is a shard's.
pub fn shard_of(path: &Path) -> Option<(usize, usize)> {
    let header = journal::read_header(path).ok()?;
    let a = header["shard"].as_array().filter(|a| a.len() == 2)?;
    match (a[0].as_u64(), a[1].as_u64()) {
        (Some(i), Some(n)) if i < n && n <= 100_000 => Some((i as usize, n as usize)),
        _ => None,
    }
}

/// The records of the journal in a shard's folder, in unit order, checked: its header must
/// be this sweep's (any shard), every record must read back. A folder whose journal never
/// got its first line holds no records.
fn shard_records<S: Sweep>(sweep: &S, dir: &Path, flag: &str) -> Result<Vec<S::Record>> {
    let path = dir.join(JOURNAL);
    if !dir.is_dir() {
        return Err(ConfigError::new(
            flag,
            format!(
                "'{}' is not a folder (give the shards' --out folders)",
                dir.display()
            ),
        )
        .into());
    }
    match journal::found(&path) {
        Found::Nothing => return Ok(Vec::new()),
        Found::Foreign => {
            return Err(ConfigError::new(
                path.display().to_string(),
                "is not a vanish journal (its first line is no vanish header)",
            )
            .into());
        }
        Found::Journal => {}
    }
    if let Some(what) = other_sweep(sweep, &path)? {
        return Err(ConfigError::new(
            flag,
            format!(
                "the journal in '{}' is of another grid, other flags, seed or data (or of \
                 another command): {what}; give the flags of its shards",
                dir.display()
            ),
        )
        .into());
    }
    let (_, records, _) = journal::read(&path, checker(sweep))?;
    let mut by_unit = BTreeMap::new();
    for r in records {
        by_unit.insert(S::unit(&r), r);
    }
    Ok(by_unit.into_values().collect())
}

/// What differs between the header of the journal at `path` (any shard) and `sweep`'s,
/// if anything; the header itself is checked (checksum, numbers version) on the way.
fn other_sweep<S: Sweep>(sweep: &S, path: &Path) -> Result<Option<String>> {
    let mut found = journal::read_header(path)?;
    if let Some(h) = found.as_object_mut() {
        h.insert("shard".into(), Value::Null);
    }
    Ok(journal::first_difference(&found, &header(sweep, None)))
}

/// The check of every record read back from a journal: its unit is one of the sweep's and
/// appears once, and the record keeps the sweep's rules ([`Sweep::check`]).
pub fn checker<S: Sweep>(sweep: &S) -> impl FnMut(&S::Record) -> std::result::Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    move |record| {
        let (u, units) = (S::unit(record), sweep.units());
        if u >= units {
            return Err(format!("holds unit {u} of a sweep of {units}"));
        }
        if !seen.insert(u) {
            return Err(format!("holds unit {u} a second time"));
        }
        sweep.check(record)
    }
}
