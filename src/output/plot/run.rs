//! The run folder that `plot` and `report` read: only a folder whose manifest.json says
//! vanish wrote it, and only the files that manifest lists (an older run's file of the
//! same folder is not this run's).

use std::path::{Path, PathBuf};

use anyhow::bail;

use super::input::run_manifest;
use crate::output::manifest::{MANIFEST, Manifest};

/// A finished vanish run's folder and its manifest.
///
/// ```
/// use vanish::output::plot::RunFolder;
/// let dir = tempfile::tempdir().unwrap();
/// assert!(RunFolder::open(dir.path()).is_err()); // no manifest: not a run
/// std::fs::write(dir.path().join("old.csv"), "x\n1\n").unwrap();
/// std::fs::write(dir.path().join("thresholds.csv"), "a,n\n1,2\n").unwrap();
/// let m = r#"{"tool": "vanish", "version": "0.1.0", "command": "thresholds",
///             "files": ["thresholds.csv"]}"#;
/// std::fs::write(dir.path().join("manifest.json"), m).unwrap();
/// let run = RunFolder::open(dir.path()).unwrap();
/// assert!(run.has("thresholds.csv") && !run.has("old.csv"));
/// ```
#[derive(Debug, Clone)]
pub struct RunFolder {
    /// The folder.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

impl RunFolder {
    /// The run in `dir`; an error (one line, naming the folder) when `dir` is not a folder,
    /// has no manifest.json, or one that is not a vanish manifest.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        if !dir.is_dir() {
            bail!(
                "'{}' is not a folder (give a run's --out folder)",
                dir.display()
            );
        }
        let path = dir.join(MANIFEST);
        let text = match crate::output::files::read_text(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "'{}' is not a vanish run: it has no {MANIFEST} (give a run's --out folder)",
                dir.display()
            ),
            Err(e) => bail!("'{}' is not a vanish run: {e}", path.display()),
        };
        let manifest = run_manifest(&text).map_err(|e| {
            anyhow::anyhow!(
                "'{}' is not a vanish run: {} {e:#}",
                dir.display(),
                MANIFEST
            )
        })?;
        Ok(RunFolder {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// The command that wrote the run, as its manifest says (`sim`, `table --shard` …).
    pub fn command(&self) -> &str {
        &self.manifest.command
    }

    /// Whether the run wrote the file `name` (the manifest lists it and it is there).
    pub fn has(&self, name: &str) -> bool {
        self.manifest.files.iter().any(|f| f == name) && self.dir.join(name).is_file()
    }

    /// The files the manifest lists that are there, in its order.
    pub fn files(&self) -> Vec<&str> {
        self.manifest
            .files
            .iter()
            .map(String::as_str)
            .filter(|f| self.has(f))
            .collect()
    }
}

/// Refuses a figure name that is not a plain file stem: ASCII letters, digits, `_` and
/// `-`, 1 to 100 characters (a name made from a file's content never leaves its folder).
///
/// ```
/// use vanish::output::plot::check_name;
/// assert!(check_name("probability_vs_depth").is_ok() && check_name("2-heatmap_p").is_ok());
/// assert!(check_name("probability_vs_../../x").is_err() && check_name("").is_err());
/// ```
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let plain = (1..=100).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !plain {
        bail!(
            "the figure name '{}' is not a plain file name (letters, digits, _ and -)",
            name.escape_debug()
        );
    }
    Ok(())
}
