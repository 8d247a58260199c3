//! JSON-lines files the phone keeps (call history, messages): read whole,
//! a line that does not parse skipped and counted; appended a line at a
//! time; rewritten through a temporary file and a rename, so a crash leaves
//! the old file or the new one.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// What a file held: the records that parsed, and how many lines it had.
pub struct Loaded<T> {
    pub records: Vec<T>,
    pub lines: usize,
}

/// Reads `path` (missing: nothing); `what` names it in the log.
pub fn load<T: DeserializeOwned>(path: &Path, what: &str) -> std::io::Result<Loaded<T>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let mut loaded = Loaded {
        records: Vec::new(),
        lines: 0,
    };
    let mut bad = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        loaded.lines += 1;
        match serde_json::from_str::<T>(line) {
            Ok(r) => loaded.records.push(r),
            Err(_) => bad += 1,
        }
    }
    if bad > 0 {
        tracing::warn!("{what} {}: {bad} unreadable lines skipped", path.display());
    }
    Ok(loaded)
}

/// Adds `record` as the file's last line (creating the file and its folder).
pub fn append<T: Serialize>(path: &Path, record: &T) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut line = serde_json::to_string(record).map_err(std::io::Error::other)?;
    line.push('\n');
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(line.as_bytes())
}

/// Replaces the file with `records`, a line each; returns how many.
pub fn rewrite<'a, T: Serialize + 'a>(
    path: &Path,
    records: impl IntoIterator<Item = &'a T>,
) -> std::io::Result<usize> {
    let mut text = String::new();
    let mut n = 0;
    for r in records {
        text.push_str(&serde_json::to_string(r).map_err(std::io::Error::other)?);
        text.push('\n');
        n += 1;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("jsonl.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)?;
    Ok(n)
}
