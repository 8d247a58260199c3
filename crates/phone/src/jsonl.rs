//! JSON-lines files earlier versions kept (call history, messages), read
//! whole once when the store takes them in: a line that does not parse (a
//! torn last line) is skipped and counted.

use std::path::Path;

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
