//! Files: atomic writes, the `--out` folder, CSV and HDR encodings.
//!
//! Every file is written to a temporary name in its final folder and renamed into place, so
//! an interrupted run never leaves a half-written file that looks complete.

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

/// Checks `--out` before any work: a folder that exists or can be made, and can be written.
/// Creates it (and only it: a failed check removes what it made).
pub fn prepare_out_dir(dir: &Path) -> Result<PathBuf, ConfigError> {
    let bad = |why: String| ConfigError::new("--out", why);
    if dir.exists() && !dir.is_dir() {
        return Err(bad(format!(
            "'{}' is a file; give a folder (it is created if missing)",
            dir.display()
        )));
    }
    let existed = dir.exists();
    std::fs::create_dir_all(dir)
        .map_err(|e| bad(format!("cannot create folder '{}': {e}", dir.display())))?;
    let probe = tempfile::Builder::new()
        .prefix(".vanish-probe-")
        .tempfile_in(dir);
    if let Err(e) = probe {
        if !existed {
            let _ = std::fs::remove_dir(dir);
        }
        return Err(bad(format!("cannot write in '{}': {e}", dir.display())));
    }
    Ok(dir.to_path_buf())
}

/// CSV text from a header and rows.
pub fn csv_text(header: &[String], rows: &[Vec<String>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("in-memory write");
    for r in rows {
        w.write_record(r).expect("in-memory write");
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
