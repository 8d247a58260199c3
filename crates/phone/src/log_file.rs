//! The log a support bundle reads: `$XDG_STATE_HOME/hookswitch/NAME.log`,
//! this run's, with the run before kept as `NAME.log.1`. It is started
//! afresh when a run starts and when it reaches `LIMIT`, so it never grows
//! without bound however long the phone runs.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A log file is moved aside and started again at this size.
const LIMIT: u64 = 8 * 1024 * 1024;

pub struct LogFile {
    path: PathBuf,
    file: File,
    written: u64,
}

impl LogFile {
    /// `NAME.log` in the log folder (`crate::diagnose::log_dir`), the last
    /// run's moved to `NAME.log.1`.
    pub fn start(name: &str) -> std::io::Result<LogFile> {
        LogFile::start_in(&crate::diagnose::log_dir(), name)
    }

    pub fn start_in(dir: &Path, name: &str) -> std::io::Result<LogFile> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{name}.log"));
        let file = rotate(&path)?;
        Ok(LogFile {
            path,
            file,
            written: 0,
        })
    }
}

fn rotate(path: &Path) -> std::io::Result<File> {
    if path.exists() {
        std::fs::rename(path, path.with_extension("log.1"))?;
    }
    File::create(path)
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written + buf.len() as u64 > LIMIT {
            self.file = rotate(&self.path)?;
            self.written = 0;
        }
        let n = self.file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_run_keeps_the_last_one_and_a_full_log_starts_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = LogFile::start_in(dir.path(), "app").unwrap();
        first.write_all(b"first run\n").unwrap();
        let mut second = LogFile::start_in(dir.path(), "app").unwrap();
        second.write_all(b"second run\n").unwrap();
        let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
        assert_eq!(read("app.log.1"), "first run\n");
        assert_eq!(read("app.log"), "second run\n");
        let line = vec![b'x'; 1024 * 1024];
        for _ in 0..9 {
            second.write_all(&line).unwrap();
        }
        let size = std::fs::metadata(dir.path().join("app.log")).unwrap().len();
        assert!(size <= LIMIT, "{size}");
        assert!(read("app.log.1").len() as u64 > 7 * 1024 * 1024);
    }
}
