//! Call recordings the agents' apps upload (stereo Ogg/Opus, customer left, agent right):
//! where their bytes live. Behind [`RecordingStore`] so a deployment can put them in an
//! object store; [`Directory`] (the default) keeps one file per call under a directory.
//! The call ↔ recording link, checksum and size are on the record (`store::recordings`).

pub mod range;
pub mod retention;

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

/// Where recordings' bytes are kept, by key (the call id).
#[async_trait]
pub trait RecordingStore: Send + Sync {
    /// Keeps the file at `from` (a finished, checked upload in the same file system for a
    /// directory) as `key`, replacing nothing: a key is written once.
    async fn save(&self, key: &str, from: &Path) -> io::Result<()>;
    /// The stored size, if `key` is stored.
    async fn size(&self, key: &str) -> io::Result<Option<u64>>;
    /// `length` bytes from `start` of `key` (fewer at the end).
    async fn read(&self, key: &str, start: u64, length: u64) -> io::Result<Vec<u8>>;
    /// A place for an upload in progress, next to where it will be kept.
    fn scratch(&self) -> PathBuf;
    /// Removes `key` (already gone is fine).
    async fn delete(&self, key: &str) -> io::Result<()>;
}

/// One file per recording under `root`; names are the key's bytes in hex, so no call id
/// can name a path outside it.
#[derive(Debug, Clone)]
pub struct Directory {
    root: PathBuf,
}

impl Directory {
    /// Creates `root` (private to this user) if needed.
    pub fn open(root: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(root.join("incoming"))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(format!("{}.ogg", hex::encode(key)))
    }
}

#[async_trait]
impl RecordingStore for Directory {
    async fn save(&self, key: &str, from: &Path) -> io::Result<()> {
        let to = self.path(key);
        if tokio::fs::try_exists(&to).await? {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("a recording for {key} is already kept"),
            ));
        }
        tokio::fs::File::open(from).await?.sync_all().await?;
        tokio::fs::rename(from, &to).await
    }

    async fn size(&self, key: &str) -> io::Result<Option<u64>> {
        match tokio::fs::metadata(self.path(key)).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn read(&self, key: &str, start: u64, length: u64) -> io::Result<Vec<u8>> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let mut file = tokio::fs::File::open(self.path(key)).await?;
        file.seek(io::SeekFrom::Start(start)).await?;
        let mut out = Vec::new();
        file.take(length).read_to_end(&mut out).await?;
        Ok(out)
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        match tokio::fs::remove_file(self.path(key)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn scratch(&self) -> PathBuf {
        let mut bytes = [0u8; 8];
        let _ = getrandom::fill(&mut bytes);
        self.root
            .join("incoming")
            .join(format!("{}.part", hex::encode(bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_kept_recording_reads_back_by_range_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let store = Directory::open(&dir.path().join("recordings")).unwrap();
        let upload = store.scratch();
        std::fs::write(&upload, b"OggS0123456789").unwrap();
        let key = "wacid.../../etc/passwd";
        store.save(key, &upload).await.unwrap();
        assert_eq!(store.size(key).await.unwrap(), Some(14));
        assert_eq!(store.read(key, 4, 3).await.unwrap(), b"012");
        assert_eq!(store.read(key, 12, 10).await.unwrap(), b"89");
        // The file stays inside the directory whatever the key says.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("recordings"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            names.contains(&format!("{}.ogg", hex::encode(key))),
            "{names:?}"
        );
        let again = store.scratch();
        std::fs::write(&again, b"OggSother").unwrap();
        let refused = store.save(key, &again).await.unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(store.read(key, 0, 100).await.unwrap(), b"OggS0123456789");
        assert_eq!(store.size("wacid.NONE").await.unwrap(), None);
        store.delete(key).await.unwrap();
        assert_eq!(store.size(key).await.unwrap(), None);
        store.delete(key).await.unwrap();
    }
}
