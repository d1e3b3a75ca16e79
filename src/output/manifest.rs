//! The one way a finished run leaves its folder: its files gathered in memory, each written
//! atomically, then `manifest.json` (the typed [`Manifest`] that lists them) last, then
//! the folder synced. The manifest's presence says the run finished; `plot` and `report`
//! read what it names.
//!
//! ```
//! use vanish::output::manifest::{Manifest, RunFiles};
//! let dir = tempfile::tempdir().unwrap();
//! let mut files = RunFiles::new();
//! files.add("numbers.csv", "x\n1\n");
//! let manifest = Manifest::new("thresholds").with("seed", 7);
//! files.write(dir.path(), manifest).unwrap();
//! let back = Manifest::read(dir.path()).unwrap().unwrap();
//! assert_eq!(back.command, "thresholds");
//! assert_eq!(back.files, ["numbers.csv"]);
//! assert_eq!(back.details["seed"], 7);
//! ```
//!
//! # The output-folder policy
//!
//! [`prepare_out`] decides, before any work, whether a command may write into a folder
//! (its [`Claim`]): a missing folder (created, and removed again if the command fails
//! before its first file), an empty one, or one that holds a run of the same command
//! (finished: its manifest says so; or unfinished: its journal or the mark below says so).
//! Anything else (a user's files, another command's run, a manifest that does not read) is
//! refused, and nothing is touched, unless the claim is forced (`--force`): then files of
//! the same names are replaced and the others kept — but for the drawings of a vanish run
//! of another command that the new manifest replaces (its listed figures, every SVG and
//! HTML file of a `plot` or `report` run), which are removed rather than left listed by
//! no manifest. vanish's own `.vanish-*` files are
//! never a reason to refuse. A folder with a journal also follows the journal's rule:
//! `--resume` goes on with it, `--force` starts over, anything else is refused.
//!
//! When a run re-uses the folder of a run of its own command, every file the old run listed
//! (its files and its `figures`) that the new run does not write is removed: nothing stale
//! stays to be read as this run's. [`RunFiles::write`] keeps the folder meaningful at every
//! moment, so a kill -9 anywhere leaves one of these states:
//!
//! 1. it writes [`WRITING`] (`.vanish-writing.json`, a manifest of the run being
//!    written, listing the old run's files and the new ones): the old run is still whole;
//! 2. it removes the old `manifest.json`: from here the folder is an unfinished run of the
//!    command, whose files may be any of those [`WRITING`] lists (a reader finds no
//!    manifest; the next run of the command cleans up, another command refuses it);
//! 3. it writes each file atomically, then removes the old files it does not write again,
//!    and the `.vanish-*.tmp` of killed runs;
//! 4. it writes the new `manifest.json`: the run is finished;
//! 5. it removes [`WRITING`] and syncs the folder.
//!
//! Figures drawn later into a run's folder (`plot DIR`, `--plot`) are listed under the
//! manifest's `figures` by [`add_figures`], which lists them before it writes them and
//! removes those of an earlier drawing that it does not draw again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{ConfigError, Error, Result};
use crate::output::files::{
    OutFolder, entries, is_own, is_plain_name, make_out_dir, remove_if_there, remove_temporaries,
    write_atomic,
};
use crate::output::format::pretty_json;
use crate::sweep::journal::{self, Found, JOURNAL};

/// The file name of every run's manifest.
pub const MANIFEST: &str = "manifest.json";

/// The mark of a run being written into its folder: a manifest (not yet `manifest.json`)
/// listing every file that may be there, the old run's and the new one's (see the
/// module's states).
pub const WRITING: &str = ".vanish-writing.json";

/// What a finished run records beside its files: the tool, its version, the command, the
/// files it wrote, and the command's own fields (configuration, seed, timing …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `vanish`.
    pub tool: String,
    /// The crate version that wrote the run.
    pub version: String,
    /// The numbers version of its results ([`crate::mc::rng::NUMBERS`]; 0 in a manifest
    /// written before it was recorded).
    #[serde(default)]
    pub numbers: u32,
    /// The subcommand (`sim`, `table`, `table --shard`, `merge`'s `table`, `train`, …).
    pub command: String,
    /// The files of the run, in the order they were written (the manifest not included).
    #[serde(default)]
    pub files: Vec<String>,
    /// The command's own fields.
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

impl Manifest {
    /// A manifest of `command` by this version of vanish.
    pub fn new(command: &str) -> Self {
        Manifest {
            tool: "vanish".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            numbers: crate::mc::rng::NUMBERS,
            command: command.into(),
            files: Vec::new(),
            details: Map::new(),
        }
    }

    /// The same manifest with one more field (a later value of the same key replaces it).
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        self.details.insert(
            key.into(),
            serde_json::to_value(value).expect("manifest fields serialise"),
        );
        self
    }

    /// The same manifest with every field of a JSON object merged in.
    pub fn with_all(mut self, fields: Value) -> Self {
        if let Value::Object(m) = fields {
            self.details.extend(m);
        }
        self
    }

    /// The manifest of the run in `dir`: `None` when there is none, an error when there is
    /// one that does not read as a vanish manifest.
    pub fn read(dir: &Path) -> Result<Option<Manifest>> {
        read_at(&dir.join(MANIFEST))
    }
}

/// The manifest in the file `path`: `None` when there is none.
fn read_at(path: &Path) -> Result<Option<Manifest>> {
    let text = match crate::output::files::read_text(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
    };
    let m: Manifest = serde_json::from_str(&text)
        .map_err(|e| Error::Invalid(format!("{} is not a vanish manifest: {e}", path.display())))?;
    Ok(Some(m))
}

/// The files of one run, gathered before anything is written.
#[derive(Debug, Default)]
pub struct RunFiles {
    files: Vec<(String, String)>,
    listed: Vec<String>,
}

impl RunFiles {
    /// No files yet.
    pub fn new() -> Self {
        RunFiles::default()
    }

    /// One more file of the run.
    pub fn add(&mut self, name: &str, text: impl Into<String>) {
        self.files.push((name.into(), text.into()));
        self.listed.push(name.into());
    }

    /// A file of the run written elsewhere (a journal), listed in the manifest.
    pub fn list(&mut self, name: &str) {
        self.listed.push(name.into());
    }

    /// Writes every file atomically into `dir`, then the manifest (listing them) last, then
    /// syncs the folder; returns the paths written, the manifest's last. In a folder that
    /// held a run of the same command, the old run's files that this run does not write
    /// are removed, in the order the module's states describe.
    pub fn write(self, dir: &Path, mut manifest: Manifest) -> Result<Vec<PathBuf>> {
        if let Some(bad) = self.listed.iter().find(|n| !is_plain_name(n)) {
            return Err(Error::Invalid(format!(
                "'{bad}' is not a file name in the run's folder"
            )));
        }
        manifest.files = self.listed;
        let old = earlier_files(dir, &manifest.command);
        let mut all = manifest.files.clone();
        all.extend(old.iter().filter(|n| !manifest.files.contains(n)).cloned());
        begin(dir, &manifest.command, all)?;
        let mut written = Vec::with_capacity(self.files.len() + 1);
        for (name, text) in &self.files {
            let path = dir.join(name);
            write_atomic(&path, text.as_bytes())
                .map_err(Error::io(format!("writing {}", path.display())))?;
            written.push(path);
        }
        for stale in old.iter().filter(|n| !manifest.files.contains(n)) {
            let path = dir.join(stale);
            remove_if_there(&path).map_err(Error::io(format!("removing {}", path.display())))?;
        }
        if !journal_in_use(&dir.join(JOURNAL)) {
            remove_temporaries(dir).map_err(Error::io(format!("cleaning {}", dir.display())))?;
        }
        let path = dir.join(MANIFEST);
        write_atomic(&path, pretty_json(&manifest).as_bytes())
            .map_err(Error::io(format!("writing {}", path.display())))?;
        written.push(path);
        let mark = dir.join(WRITING);
        remove_if_there(&mark).map_err(Error::io(format!("removing {}", mark.display())))?;
        sync_folder(dir).map_err(Error::io(format!("syncing {}", dir.display())))?;
        Ok(written)
    }
}

/// The kind of run a command writes: the command without ` --shard` (a shard's folder is
/// re-used by its table or training run, and the other way round).
///
/// ```
/// use vanish::output::manifest::kind;
/// assert_eq!(kind("table --shard"), "table");
/// assert_eq!(kind("train --dump"), "train --dump");
/// ```
pub fn kind(command: &str) -> &str {
    command.strip_suffix(" --shard").unwrap_or(command)
}

/// The names a manifest lists: its files, then its figures.
fn listed(m: &Manifest) -> Vec<String> {
    let mut names = m.files.clone();
    names.extend(figures(m));
    names.retain(|n| is_plain_name(n) && n != MANIFEST && n != WRITING);
    names
}

/// The figures a manifest lists (`figures`, written by [`add_figures`]).
pub fn figures(m: &Manifest) -> Vec<String> {
    m.details
        .get("figures")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The files an earlier run left in `dir` that a run of `command` replaces: those the
/// manifest and the mark of writing of a run of its kind list; of a run of another kind
/// (written over with `--force`) only what was drawn from other files — its figures, and
/// every file of a `plot` or `report` run — which would otherwise stay behind, listed by no
/// manifest, to be read as the new run's. Other files are left to the user.
fn earlier_files(dir: &Path, command: &str) -> Vec<String> {
    let mut names = Vec::new();
    for path in [dir.join(MANIFEST), dir.join(WRITING)] {
        if let Ok(Some(m)) = read_at(&path) {
            let replaced = if kind(&m.command) == kind(command) {
                listed(&m)
            } else if ["plot", "report"].contains(&m.command.as_str()) {
                listed(&m).into_iter().filter(|n| is_drawing(n)).collect()
            } else {
                figures(&m).into_iter().filter(|n| is_drawing(n)).collect()
            };
            for name in replaced {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    names
}

/// Whether a file name is one of the drawings `plot` and `report` write (SVG and HTML).
fn is_drawing(name: &str) -> bool {
    is_plain_name(name) && (name.ends_with(".svg") || name.ends_with(".html"))
}

/// States 1 and 2 of the module: marks `dir` as a run of `command` being written, whose
/// files may be any of `files`, then removes the old manifest.
fn begin(dir: &Path, command: &str, files: Vec<String>) -> Result<()> {
    let mut mark = Manifest::new(command);
    mark.files = files;
    let path = dir.join(WRITING);
    write_atomic(&path, pretty_json(&mark).as_bytes())
        .map_err(Error::io(format!("writing {}", path.display())))?;
    let old = dir.join(MANIFEST);
    remove_if_there(&old).map_err(Error::io(format!("removing {}", old.display())))?;
    sync_folder(dir).map_err(Error::io(format!("syncing {}", dir.display())))
}

/// Whether another process holds the lock of the journal at `path` (a run writing it).
fn journal_in_use(path: &Path) -> bool {
    std::fs::File::open(path)
        .is_ok_and(|f| matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)))
}

/// What a command may write over in its output folder (see the module's policy).
#[derive(Debug, Clone)]
pub struct Claim<'a> {
    command: &'a str,
    flag: &'a str,
    force: bool,
    journal: Option<Journal>,
}

/// How a command uses a journal in its folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Journal {
    /// Starts one (`--resume` offered).
    Start,
    /// Goes on with the one there (`--resume`).
    Resume,
    /// Writes a finished one (`merge`: no `--resume`).
    Replace,
}

impl<'a> Claim<'a> {
    /// A run of `command` (as its manifest names it) writing into `--out`.
    pub fn new(command: &'a str) -> Self {
        Claim {
            command,
            flag: "--out",
            force: false,
            journal: None,
        }
    }

    /// The flag that gave the folder (`--out` unless told).
    pub fn flag(mut self, flag: &'a str) -> Self {
        self.flag = flag;
        self
    }

    /// `--force`: write over files of the same names, start a journal over.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// The run keeps a journal in the folder, and goes on with one there when `resume`.
    pub fn journaled(mut self, resume: bool) -> Self {
        self.journal = Some(if resume {
            Journal::Resume
        } else {
            Journal::Start
        });
        self
    }

    /// The run writes a finished journal into the folder (`merge`).
    pub fn writes_journal(mut self) -> Self {
        self.journal = Some(Journal::Replace);
        self
    }
}

/// Checks the output folder `dir` for a run of `claim` before any work, and makes it if it
/// is missing. Accepted: a missing or empty folder, or one that holds a run of the same
/// command (finished or not); anything else is refused, with `claim`'s flag and the files
/// at fault named, and nothing touched, unless the claim is forced. A journal there follows
/// its own rule: another run writing it is always refused; `--resume` goes on with it;
/// `--force` starts over (the journal and the old run's manifest are removed: the folder
/// is then an unfinished run of the command); anything else is refused.
///
/// ```
/// use vanish::output::manifest::{Claim, Manifest, RunFiles, prepare_out};
/// let tmp = tempfile::tempdir().unwrap();
/// let dir = tmp.path().join("run");
/// let out = prepare_out(&dir, &Claim::new("sim")).unwrap();
/// RunFiles::new().write(&out, Manifest::new("sim")).unwrap();
/// assert!(prepare_out(&dir, &Claim::new("sim")).is_ok());
/// let refused = prepare_out(&dir, &Claim::new("thresholds")).unwrap_err();
/// assert!(refused.message.contains("not a finished `thresholds` run"));
/// assert!(prepare_out(&dir, &Claim::new("thresholds").force(true)).is_ok());
/// ```
pub fn prepare_out(dir: &Path, claim: &Claim) -> std::result::Result<OutFolder, ConfigError> {
    let bad = |why: String| ConfigError::new(claim.flag, why);
    if dir.is_dir() {
        let names = entries(dir)
            .map_err(|e| bad(format!("cannot read folder '{}': {e}", dir.display())))?;
        if !names.is_empty() && !claim.force {
            check_holdings(dir, &names, claim)?;
        }
    }
    let folder = make_out_dir(claim.flag, dir)?;
    if let Some(use_) = claim.journal {
        journal_rule(dir, use_, claim)?;
    }
    Ok(folder)
}

/// Refuses a folder of other files than a run of the claim's command (see [`prepare_out`]).
fn check_holdings(
    dir: &Path,
    names: &[String],
    claim: &Claim,
) -> std::result::Result<(), ConfigError> {
    let mine = |command: &str| kind(command) == kind(claim.command);
    let mut ours: Vec<String> = Vec::new();
    let mut theirs: Vec<String> = Vec::new();
    let mut runs = 0;
    for (file, shown) in [(MANIFEST, "a finished"), (WRITING, "an unfinished")] {
        match read_at(&dir.join(file)) {
            Ok(None) => {}
            Ok(Some(m)) if mine(&m.command) => {
                runs += 1;
                ours.push(file.into());
                ours.extend(listed(&m));
            }
            Ok(Some(m)) => {
                theirs.push(format!("{file} of {shown} `{}` run", m.command));
                ours.push(file.into());
            }
            Err(_) => {
                theirs.push(format!("{file}, which is not a vanish manifest"));
                ours.push(file.into());
            }
        }
    }
    let journal = dir.join(JOURNAL);
    if names.iter().any(|n| n == JOURNAL) {
        match (journal_kind(&journal), claim.journal.is_some()) {
            (Some(k), _) if mine(&k) => runs += 1,
            // A first line cut short: what a journaled run killed at its start leaves.
            (None, true) if journal::found(&journal) == Found::Nothing => runs += 1,
            (Some(k), _) => theirs.push(format!("{JOURNAL} of a `{k}` run")),
            (None, _) => theirs.push(format!("{JOURNAL}, which is not a vanish journal")),
        }
        ours.push(JOURNAL.into());
    }
    if runs > 0 && theirs.is_empty() {
        return Ok(());
    }
    theirs.extend(names.iter().filter(|n| !ours.contains(n)).cloned());
    let more = if theirs.len() > 3 { " …" } else { "" };
    theirs.truncate(3);
    Err(ConfigError::new(
        claim.flag,
        format!(
            "'{}' holds files that are not a finished `{}` run ({}{more}); give a new or \
             empty folder, or add --force to write over files of the same names",
            dir.display(),
            kind(claim.command),
            theirs.join(", ")
        ),
    ))
}

/// The command whose journal `path` is (`table`, `train`), from its first line.
fn journal_kind(path: &Path) -> Option<String> {
    use std::io::BufRead;
    let mut first = String::new();
    std::io::BufReader::new(std::fs::File::open(path).ok()?)
        .read_line(&mut first)
        .ok()?;
    let header: Value = serde_json::from_str(first.trim_end()).ok()?;
    header["journal"]
        .as_str()?
        .strip_prefix("vanish ")
        .map(str::to_string)
}

/// The journal's rule (see [`prepare_out`]).
fn journal_rule(dir: &Path, use_: Journal, claim: &Claim) -> std::result::Result<(), ConfigError> {
    let path = dir.join(JOURNAL);
    if !path.exists() {
        return Ok(());
    }
    let bad = |why: String| ConfigError::new(claim.flag, why);
    if journal_in_use(&path) {
        return Err(bad(format!(
            "another vanish run is writing the journal in '{}'; wait for it to finish, or give \
             another folder",
            dir.display()
        )));
    }
    if use_ == Journal::Resume || journal::found(&path) == Found::Nothing {
        return Ok(());
    }
    if !claim.force {
        // A finished run's journal holds every record: --resume rewrites its files at
        // once, without computing anything; an unfinished one's, the records so far.
        let finished = read_at(&dir.join(MANIFEST)).is_ok_and(|m| m.is_some());
        let resume = match (use_, finished) {
            (Journal::Start, true) => {
                "add --resume to write its files again from it (nothing is recomputed) or \
                 --force to replace the run"
            }
            (Journal::Start, false) => "add --resume to finish it or --force to start over",
            _ => "add --force to start over",
        };
        let run = if finished { "a finished" } else { "an earlier" };
        return Err(bad(format!(
            "'{}' holds the journal of {run} run; {resume}, or give another folder",
            dir.display()
        )));
    }
    start_over(dir, claim.command).map_err(|e| bad(format!("cannot start over: {e:#}")))
}

/// `--force` on a folder with a journal: the folder becomes an unfinished run of `command`
/// (state 2 of the module, the old run's files listed for removal), then the journal goes.
fn start_over(dir: &Path, command: &str) -> Result<()> {
    let mut files = earlier_files(dir, command);
    if !files.iter().any(|n| n == JOURNAL) {
        files.push(JOURNAL.into());
    }
    begin(dir, command, files)?;
    let journal = dir.join(JOURNAL);
    remove_if_there(&journal).map_err(Error::io(format!("removing {}", journal.display())))
}

/// Writes figures (file name, SVG text) into the folder of a finished run and lists them
/// under its manifest's `figures`: first every figure it is about to write beside those
/// listed, then the figures, then it removes the listed figures it did not draw again and
/// lists only these. A folder without a manifest just gets the files. Returns the paths
/// written.
///
/// ```
/// use vanish::output::manifest::{Manifest, RunFiles, add_figures, figures};
/// let dir = tempfile::tempdir().unwrap();
/// RunFiles::new().write(dir.path(), Manifest::new("sim")).unwrap();
/// add_figures(dir.path(), &[("a.svg".into(), "<svg/>".into())]).unwrap();
/// add_figures(dir.path(), &[("b.svg".into(), "<svg/>".into())]).unwrap();
/// assert!(!dir.path().join("a.svg").exists());
/// let m = Manifest::read(dir.path()).unwrap().unwrap();
/// assert_eq!(figures(&m), ["b.svg"]);
/// ```
pub fn add_figures(dir: &Path, drawn: &[(String, String)]) -> Result<Vec<PathBuf>> {
    if let Some((bad, _)) = drawn.iter().find(|(n, _)| !is_plain_name(n) || is_own(n)) {
        return Err(Error::Invalid(format!(
            "'{bad}' is not a file name in the run's folder"
        )));
    }
    let names: Vec<String> = drawn.iter().map(|(n, _)| n.clone()).collect();
    let manifest = Manifest::read(dir).ok().flatten();
    let old = manifest.as_ref().map(figures).unwrap_or_default();
    if drawn.is_empty() && old.is_empty() {
        return Ok(Vec::new()); // nothing drawn, nothing to list (a shard)
    }
    let list = |m: &Manifest, figures: Vec<String>| -> Result<()> {
        let path = dir.join(MANIFEST);
        let text = pretty_json(&m.clone().with("figures", figures));
        write_atomic(&path, text.as_bytes())
            .map_err(Error::io(format!("writing {}", path.display())))
    };
    if let Some(m) = &manifest {
        let mut all = names.clone();
        all.extend(old.iter().filter(|n| !names.contains(n)).cloned());
        list(m, all)?;
    }
    let mut written = Vec::with_capacity(drawn.len());
    for (name, svg) in drawn {
        let path = dir.join(name);
        write_atomic(&path, svg.as_bytes())
            .map_err(Error::io(format!("writing {}", path.display())))?;
        written.push(path);
    }
    if let Some(m) = &manifest {
        // (A figure's name is never one of the run's files, the manifest or vanish's own.)
        let stale = old.iter().filter(|n| {
            !names.contains(n) && !m.files.contains(n) && is_plain_name(n) && !is_own(n)
        });
        for stale in stale.filter(|n| n.as_str() != MANIFEST) {
            let path = dir.join(stale);
            remove_if_there(&path).map_err(Error::io(format!("removing {}", path.display())))?;
        }
        list(m, names)?;
    }
    sync_folder(dir).map_err(Error::io(format!("syncing {}", dir.display())))?;
    Ok(written)
}

/// Makes the renames into `dir` durable (a no-op where folders cannot be opened).
pub fn sync_folder(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, name: &str) {
        std::fs::write(dir.join(name), name).unwrap();
    }

    /// State 2 of the module (a kill after the old manifest went): an unfinished run that
    /// its command re-uses and cleans up, and another command refuses.
    #[test]
    fn an_unfinished_run_is_its_commands_and_is_cleaned_up() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        begin(dir, "sim", vec!["a.csv".into(), "b.csv".into()]).unwrap();
        touch(dir, "a.csv");
        touch(dir, "b.csv");
        let refused = prepare_out(dir, &Claim::new("thresholds")).unwrap_err();
        assert!(
            refused
                .message
                .contains(".vanish-writing.json of an unfinished `sim` run"),
            "{refused}"
        );
        let out = prepare_out(dir, &Claim::new("sim")).unwrap();
        let mut files = RunFiles::new();
        files.add("a.csv", "new");
        files.write(&out, Manifest::new("sim")).unwrap();
        let mut left = crate::output::files::entries(dir).unwrap();
        left.sort();
        assert_eq!(left, ["a.csv", "manifest.json"]);
        assert!(!dir.join(WRITING).exists());
    }

    /// State 1 (a kill before the old manifest went): the old run is whole and its own.
    #[test]
    fn a_mark_beside_a_manifest_leaves_the_run_whole() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let mut files = RunFiles::new();
        files.add("a.csv", "old");
        files.write(dir, Manifest::new("sim")).unwrap();
        let mut mark = Manifest::new("sim");
        mark.files = vec!["a.csv".into(), "b.csv".into()];
        write_atomic(&dir.join(WRITING), pretty_json(&mark).as_bytes()).unwrap();
        assert_eq!(Manifest::read(dir).unwrap().unwrap().files, ["a.csv"]);
        assert!(prepare_out(dir, &Claim::new("sim")).is_ok());
        assert!(prepare_out(dir, &Claim::new("markov")).is_err());
    }

    /// A journal that a run holds locked is never started over; one that none holds is,
    /// with --force, and the folder becomes an unfinished run of the command.
    #[test]
    fn a_journal_being_written_is_refused_even_with_force() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let mut files = RunFiles::new();
        files.add("table.csv", "old");
        files.list(JOURNAL);
        std::fs::write(dir.join(JOURNAL), "{\"journal\":\"vanish table\"}\n").unwrap();
        files.write(dir, Manifest::new("table")).unwrap();
        let claim = Claim::new("table").journaled(false).force(true);
        let held = std::fs::File::open(dir.join(JOURNAL)).unwrap();
        held.try_lock().unwrap();
        let refused = prepare_out(dir, &claim).unwrap_err();
        assert!(refused.message.contains("another vanish run"), "{refused}");
        assert!(dir.join(JOURNAL).exists() && dir.join(MANIFEST).exists());
        drop(held);
        let refused = prepare_out(dir, &Claim::new("table").journaled(false)).unwrap_err();
        assert!(refused.message.contains("add --resume"), "{refused}");
        assert!(prepare_out(dir, &Claim::new("table").journaled(true)).is_ok());
        assert!(dir.join(JOURNAL).exists() && dir.join(MANIFEST).exists());
        prepare_out(dir, &claim).unwrap();
        assert!(!dir.join(JOURNAL).exists() && !dir.join(MANIFEST).exists());
        assert!(
            dir.join("table.csv").exists(),
            "removed when the new run is written"
        );
    }

    /// A manifest may be edited by anyone: a listed name outside the folder is never
    /// removed, and a run never writes one.
    #[test]
    fn names_outside_the_folder_are_never_removed_or_written() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("run");
        std::fs::create_dir(&dir).unwrap();
        touch(root.path(), "outside.txt");
        let mut m = Manifest::new("sim");
        m.files = vec!["../outside.txt".into()];
        write_atomic(&dir.join(MANIFEST), pretty_json(&m).as_bytes()).unwrap();
        RunFiles::new().write(&dir, Manifest::new("sim")).unwrap();
        assert!(root.path().join("outside.txt").exists());
        let mut bad = RunFiles::new();
        bad.add("../x.csv", "x");
        assert!(bad.write(&dir, Manifest::new("sim")).is_err());
        let figure = [("../x.svg".to_string(), String::new())];
        assert!(add_figures(&dir, &figure).is_err());
        assert!(!root.path().join("x.csv").exists() && !root.path().join("x.svg").exists());
    }
}
