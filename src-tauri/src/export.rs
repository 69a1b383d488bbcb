//! Saving a history export: the CSV the platform streamed, written to the user's Downloads
//! folder under a name that never overwrites an earlier export.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `dir/ringdesk-calls-<stamp>.csv` (or `…-2.csv`, `…-3.csv` if taken);
/// returns the path. `stamp` is the local time, e.g. `20261204-190512`.
pub fn save_csv(dir: &Path, stamp: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    for n in 1..1000 {
        let name = match n {
            1 => format!("ringdesk-calls-{stamp}.csv"),
            n => format!("ringdesk-calls-{stamp}-{n}.csv"),
        };
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                file.write_all(bytes)?;
                file.sync_all()?;
                return Ok(path);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other(
        "a thousand exports with the same time already exist",
    ))
}

/// Where exports go: the Downloads folder, else the home folder.
pub fn export_dir() -> Option<PathBuf> {
    dirs::download_dir().or_else(dirs::home_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_never_overwrites_another() {
        let dir = tempfile::tempdir().unwrap();
        let first = save_csv(dir.path(), "20261204-190512", b"id\n1\n").unwrap();
        let second = save_csv(dir.path(), "20261204-190512", b"id\n2\n").unwrap();
        assert_ne!(first, second);
        assert_eq!(std::fs::read(&first).unwrap(), b"id\n1\n");
        assert_eq!(std::fs::read(&second).unwrap(), b"id\n2\n");
        assert!(second.ends_with("ringdesk-calls-20261204-190512-2.csv"));
    }
}
