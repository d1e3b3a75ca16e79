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

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::output::files::write_atomic;
use crate::output::format::pretty_json;

/// The file name of every run's manifest.
pub const MANIFEST: &str = "manifest.json";

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
        let path = dir.join(MANIFEST);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
        };
        let m: Manifest = serde_json::from_str(&text).map_err(|e| {
            Error::Invalid(format!("{} is not a vanish manifest: {e}", path.display()))
        })?;
        Ok(Some(m))
    }
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
    /// syncs the folder; returns the paths written, the manifest's last.
    pub fn write(self, dir: &Path, mut manifest: Manifest) -> Result<Vec<PathBuf>> {
        manifest.files = self.listed;
        let mut written = Vec::with_capacity(self.files.len() + 1);
        let manifest_text = pretty_json(&manifest);
        for (name, text) in self
            .files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .chain([(MANIFEST, manifest_text.as_str())])
        {
            let path = dir.join(name);
            write_atomic(&path, text.as_bytes())
                .map_err(Error::io(format!("writing {}", path.display())))?;
            written.push(path);
        }
        sync_folder(dir).map_err(Error::io(format!("syncing {}", dir.display())))?;
        Ok(written)
    }
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
