//! One `serve` per database (review F14): two platforms on one SQLite file would both drain the
//! inbox, both ring agents, and each would close the other's live calls on start.
//!
//! [`ServeLock::acquire`] takes an exclusive advisory lock (`flock` on Unix, `LockFileEx` on
//! Windows, through std's `File::try_lock`) on a lock file next to the database,
//! `<database>.lock`. Invariants:
//! - only `serve` ([`crate::server::Platform`]) takes it, before the store is opened, so a
//!   refused second server has not migrated, recovered or touched anything;
//! - admin CLI commands never take it: they must work while the server runs;
//! - it is held for as long as the value lives and released when it is dropped (or when the
//!   process dies, even by SIGKILL: the OS drops the lock with the file descriptor), so a crashed
//!   server never leaves a stale lock behind. The file itself stays; its presence means nothing.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum ServeLockError {
    #[error(
        "{path} is locked: another ringdesk-platform is serving this database{holder}; \
         stop it first, or give this one another database_url"
    )]
    Held { path: PathBuf, holder: String },
    #[error("cannot lock {path} (to make sure no other platform serves this database): {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the database url {url:?}: {reason}")]
    Url { url: String, reason: String },
}

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct ServeLock {
    path: PathBuf,
    /// Holds the lock while open.
    _file: File,
}

impl ServeLock {
    /// Locks the database at `database_url` for this process. `Ok(None)` for an in-memory
    /// database, which no other process can open anyway.
    pub fn acquire(database_url: &str) -> Result<Option<Self>, ServeLockError> {
        let Some(path) = lock_path(database_url)? else {
            return Ok(None);
        };
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|source| ServeLockError::Io {
                    path: path.clone(),
                    source,
                })?;
            }
        }
        let io = |source| ServeLockError::Io {
            path: path.clone(),
            source,
        };
        // Not truncated on open: the file may be the running server's, holding its pid.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|text| text.trim().parse::<u32>().ok())
                    .map(|pid| format!(" (pid {pid})"))
                    .unwrap_or_default();
                return Err(ServeLockError::Held { path, holder });
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        // Only for the message a refused second server prints; the lock is what counts.
        file.set_len(0).map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        Ok(Some(Self { path, _file: file }))
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `<database file>.lock` for a file database; `None` for an in-memory one.
pub fn lock_path(database_url: &str) -> Result<Option<PathBuf>, ServeLockError> {
    let options =
        SqliteConnectOptions::from_str(database_url).map_err(|error| ServeLockError::Url {
            url: database_url.to_owned(),
            reason: error.to_string(),
        })?;
    let file = options.get_filename();
    // sqlx names in-memory databases `file:sqlx-in-memory-<n>`; `mode=memory` is the other
    // spelling of one.
    let in_memory = file.to_string_lossy().starts_with("file:sqlx-in-memory-")
        || database_url.contains("mode=memory");
    if in_memory {
        return Ok(None);
    }
    let mut name = file.as_os_str().to_owned();
    name.push(".lock");
    Ok(Some(PathBuf::from(name)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_lock_file_sits_next_to_the_database() {
        assert_eq!(
            lock_path("sqlite:///var/lib/ringdesk/platform.db").unwrap(),
            Some(PathBuf::from("/var/lib/ringdesk/platform.db.lock"))
        );
        assert_eq!(
            lock_path("sqlite://data/p.db?mode=rwc").unwrap(),
            Some(PathBuf::from("data/p.db.lock"))
        );
        assert_eq!(lock_path("sqlite::memory:").unwrap(), None);
    }

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("platform.db").display());
        let first = ServeLock::acquire(&url).unwrap().unwrap();
        let refused = ServeLock::acquire(&url).unwrap_err();
        let message = refused.to_string();
        assert!(
            message.contains(&first.path().display().to_string())
                && message.contains("another ringdesk-platform is serving this database")
                && message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        drop(first);
        assert!(ServeLock::acquire(&url).unwrap().is_some());
    }
}
