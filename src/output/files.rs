//! Files: atomic writes, the `--out` folder, CSV and HDR encodings.
//!
//! Every file is written to a temporary name in its final folder and renamed into place, so
//! an interrupted run never leaves a half-written file that looks complete. What a folder
//! may hold before a run writes into it is decided in [`crate::output::manifest`].

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};

use crate::error::ConfigError;

/// Writes `bytes` to `path` atomically (temp file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".vanish-")
        .rand_bytes(6)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    // Temporary files are private (0600); results are meant to be shared.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The largest file `plot`, `report` and the readers of a run's files take: far above what
/// a run writes for its figures, far below what would exhaust memory.
pub const MAX_READ: u64 = 512 << 20;

/// The text of the run file `path`, refused unless it is a regular file (not a FIFO, which
/// would block, nor a device such as /dev/zero, which never ends) of at most [`MAX_READ`]
/// bytes. A missing file is `NotFound`, as for `std::fs::read_to_string`.
///
/// ```
/// use vanish::output::files::read_text;
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("a.csv"), "x\n1\n").unwrap();
/// assert_eq!(read_text(&dir.path().join("a.csv")).unwrap(), "x\n1\n");
/// assert!(read_text(dir.path()).is_err()); // a folder
/// # #[cfg(unix)]
/// assert!(read_text(std::path::Path::new("/dev/zero")).is_err());
/// ```
pub fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidData,
            "not a regular file (a run writes only regular files)",
        ));
    }
    let too_big = || {
        Error::new(
            ErrorKind::InvalidData,
            format!("larger than {} MiB, more than a run writes", MAX_READ >> 20),
        )
    };
    if meta.len() > MAX_READ {
        return Err(too_big());
    }
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_READ + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_READ {
        return Err(too_big());
    }
    Ok(text)
}

/// The prefix of every file vanish writes beside a run's own: temporaries (`.vanish-*.tmp`)
/// and the mark of a run being written. Such files are never a user's: they are no reason
/// to refuse a folder, and a run that re-uses the folder removes them.
pub const OWN_PREFIX: &str = ".vanish-";

/// Whether `name` is one of vanish's own files: a temporary ([`is_temporary`]) or the mark
/// of a run being written (`.vanish-writing.json`, `output::manifest::WRITING`). A user's
/// `.vanish-notes.tmp` is not.
///
/// ```
/// use vanish::output::files::is_own;
/// assert!(is_own(".vanish-a1B2c3.tmp"));
/// assert!(is_own(".vanish-writing.json"));
/// assert!(!is_own(".vanish-notes.tmp"));
/// ```
pub fn is_own(name: &str) -> bool {
    name == ".vanish-writing.json" || is_temporary(name)
}

/// Whether `name` is a temporary of [`write_atomic`] (`.vanish-XXXXXX.tmp`) or of the
/// `--out` probe (`.vanish-probe-XXXXXX.tmp`): six random letters or digits, as the
/// `tempfile` crate makes them.
pub fn is_temporary(name: &str) -> bool {
    let Some(middle) = name
        .strip_prefix(OWN_PREFIX)
        .and_then(|n| n.strip_suffix(".tmp"))
    else {
        return false;
    };
    let random = middle.strip_prefix("probe-").unwrap_or(middle);
    random.len() == 6 && random.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether `name` may name a file of a run: a plain file name in its folder, neither a path
/// nor `.` or `..` (a manifest read from disk may hold anything; vanish writes and removes
/// only such names).
///
/// ```
/// use vanish::output::files::is_plain_name;
/// assert!(is_plain_name("summary.csv"));
/// assert!(!is_plain_name("../summary.csv"));
/// assert!(!is_plain_name("a/b.csv"));
/// assert!(!is_plain_name(".."));
/// ```
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && Path::new(name).file_name().is_some_and(|f| f == name)
}

/// The names of the entries of `dir` that are not vanish's own ([`is_own`]), sorted.
pub fn entries(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !is_own(&name) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Removes the `.vanish-*.tmp` files that a killed run left in `dir`.
pub fn remove_temporaries(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_temporary(&name) {
            remove_if_there(&entry.path())?;
        }
    }
    Ok(())
}

/// Removes a file; one that is already gone is no error.
pub fn remove_if_there(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// An output folder, checked and ready: created by this run, or an existing one the run may
/// write into (`output::manifest::prepare_out` decides which). A folder this run created
/// is removed again when the value is dropped while it holds nothing but vanish's own
/// files, so a command that fails before its first file leaves no folder behind.
///
/// ```
/// use vanish::output::files::make_out_dir;
/// let tmp = tempfile::tempdir().unwrap();
/// let dir = tmp.path().join("run");
/// let out = make_out_dir("--out", &dir).unwrap();
/// assert!(out.is_dir());
/// drop(out); // nothing was written: the folder goes
/// assert!(!dir.exists());
/// let out = make_out_dir("--out", &dir).unwrap();
/// std::fs::write(out.join("a.csv"), "x\n").unwrap();
/// drop(out);
/// assert!(dir.join("a.csv").exists());
/// ```
#[derive(Debug)]
pub struct OutFolder {
    path: PathBuf,
    created: bool,
}

impl OutFolder {
    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl std::ops::Deref for OutFolder {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for OutFolder {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl Drop for OutFolder {
    fn drop(&mut self) {
        if !self.created || !entries(&self.path).is_ok_and(|e| e.is_empty()) {
            return;
        }
        if let Ok(list) = std::fs::read_dir(&self.path) {
            for entry in list.flatten() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// Makes the folder `dir` if it is missing, and checks that it is a folder this process
/// can write in; errors name `flag`. Says nothing of what the folder holds (see
/// `output::manifest::prepare_out`, which decides whether a run may write there). A failed
/// check removes what it made.
pub fn make_out_dir(flag: &str, dir: &Path) -> Result<OutFolder, ConfigError> {
    let bad = |why: String| ConfigError::new(flag, why);
    if dir.exists() && !dir.is_dir() {
        return Err(bad(format!(
            "'{}' is a file; give a folder (it is created if missing)",
            dir.display()
        )));
    }
    let created = !dir.exists();
    std::fs::create_dir_all(dir)
        .map_err(|e| bad(format!("cannot create folder '{}': {e}", dir.display())))?;
    let folder = OutFolder {
        path: dir.to_path_buf(),
        created,
    };
    let probe = tempfile::Builder::new()
        .prefix(".vanish-probe-")
        .rand_bytes(6)
        .suffix(".tmp")
        .tempfile_in(dir);
    if let Err(e) = probe {
        return Err(bad(format!("cannot write in '{}': {e}", dir.display())));
    }
    Ok(folder)
}

/// CSV text from a header and rows: pure ASCII ([`crate::output::format::ascii`] spells
/// symbols such as `·` and `σ` in ASCII), so that spreadsheets and pandas read every file.
pub fn csv_text(header: &[String], rows: &[Vec<String>]) -> String {
    use crate::output::format::ascii;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header.iter().map(|h| ascii(h)))
        .expect("in-memory write");
    for r in rows {
        w.write_record(r.iter().map(|c| ascii(c)))
            .expect("in-memory write");
    }
    String::from_utf8(w.into_inner().expect("in-memory flush")).expect("UTF-8 input")
}

/// The histogram in HDR V2-deflate encoding, base64 (as HdrHistogram's log format uses).
pub fn hdr_base64(h: &Histogram<u64>) -> String {
    // The serialised header holds the highest trackable value, which auto-resizing leaves
    // depending on the order in which values arrived (so on the thread schedule when
    // per-worker histograms are added); a copy sized to the largest recorded value makes
    // the bytes a function of the counts alone.
    let mut canonical =
        Histogram::<u64>::new_with_bounds(1, h.max().max(2), h.sigfig()).expect("valid bounds");
    canonical
        .add(h)
        .expect("the copy holds every recorded value");
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(&canonical, &mut bytes)
        .expect("serialising to memory");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
