//! The API's Bearer token: made at first start, kept 0600 in the XDG state
//! folder, shown by `hookswitch api token` and replaced by `--rotate`. A
//! running API notices a rotation at the next request (the file's identity
//! and time are checked, the file is read again only when they change).

use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rand::RngExt;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("API token file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("API token file {0} holds no token (delete it or run `hookswitch api token --rotate`)")]
    Empty(PathBuf),
}

/// `$XDG_STATE_HOME/hookswitch/api-token` (default `~/.local/state`).
pub fn default_path() -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    state.join("hookswitch").join("api-token")
}

/// The file's identity and time: a different one means another token.
type Stamp = (u64, u64, i64, i64);

pub struct TokenFile {
    path: PathBuf,
    cached: Mutex<Option<(Stamp, String)>>,
}

impl TokenFile {
    pub fn new(path: PathBuf) -> TokenFile {
        TokenFile {
            path,
            cached: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The token, made (and written) when there is none yet.
    pub fn read_or_create(&self) -> Result<String, TokenError> {
        match self.current() {
            Err(TokenError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                self.rotate()
            }
            other => other,
        }
    }

    /// A new token in place of the old one (written whole, then renamed
    /// over it, so a reader never sees half a token).
    pub fn rotate(&self) -> Result<String, TokenError> {
        let token = new_token();
        let io = |source| TokenError::Io {
            path: self.path.clone(),
            source,
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io)?;
        let temp = self.path.with_extension("new");
        let _ = std::fs::remove_file(&temp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .map_err(io)?;
        file.write_all(format!("{token}\n").as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(io)?;
        std::fs::rename(&temp, &self.path).map_err(io)?;
        *self.cached.lock().unwrap_or_else(PoisonError::into_inner) = None;
        Ok(token)
    }

    /// The token the file holds now.
    pub fn current(&self) -> Result<String, TokenError> {
        let io = |source| TokenError::Io {
            path: self.path.clone(),
            source,
        };
        let meta = std::fs::metadata(&self.path).map_err(io)?;
        let stamp = (meta.dev(), meta.ino(), meta.mtime(), meta.mtime_nsec());
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, token)) = &*cached
            && *seen == stamp
        {
            return Ok(token.clone());
        }
        if meta.mode() & 0o077 != 0 {
            // Others could read it: narrow it now, and say so once.
            tracing::warn!(
                "{} could be read by others; made 0600 (rotate the token if others may have seen it)",
                self.path.display()
            );
            std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o600))
                .map_err(io)?;
        }
        let text = std::fs::read_to_string(&self.path).map_err(io)?;
        let token = text.trim().to_string();
        if token.is_empty() {
            return Err(TokenError::Empty(self.path.clone()));
        }
        *cached = Some((stamp, token.clone()));
        Ok(token)
    }

    /// Whether `presented` is the token now (compared in constant time).
    pub fn accepts(&self, presented: &str) -> bool {
        match self.current() {
            Ok(token) => same(token.as_bytes(), presented.as_bytes()),
            Err(e) => {
                tracing::warn!("{e}");
                false
            }
        }
    }
}

/// 256 random bits, hex.
fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal, in a time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_private_and_replaced_by_a_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let file = TokenFile::new(dir.path().join("sub/api-token"));
        let first = file.read_or_create().unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(file.read_or_create().unwrap(), first, "made once");
        let mode = std::fs::metadata(file.path()).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(file.accepts(&first));
        assert!(!file.accepts(&first[..63]));
        assert!(!file.accepts(""));

        // Another process rotates it: the running API follows.
        let other = TokenFile::new(file.path().to_path_buf());
        let second = other.rotate().unwrap();
        assert_ne!(first, second);
        assert!(file.accepts(&second));
        assert!(!file.accepts(&first));
    }

    #[test]
    fn a_token_file_others_can_read_is_narrowed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api-token");
        std::fs::write(&path, "secret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let file = TokenFile::new(path.clone());
        assert!(file.accepts("secret"));
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        std::fs::write(&path, "  \n").unwrap();
        assert!(matches!(file.current(), Err(TokenError::Empty(_))));
    }
}
