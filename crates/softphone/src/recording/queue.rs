//! The recordings waiting for upload: a directory per signed-in agent holding `<call>.ogg`
//! (finished) and `<call>.ogg.part` (being written, or cut off by a crash). It is the
//! durable queue: it survives restarts, sign-out and network loss, and a file leaves it only
//! once the platform has stored it (or refused it for good, into `refused/`).

use std::io;
use std::path::{Path, PathBuf};

use super::pages::{page_lengths, whole_pages};

/// A file name for `call_id`: letters, digits, `.`, `-` and `_` as they are, every other byte
/// as `%XX` — no call id can name a path outside the directory, and the name reads back.
pub fn file_stem(call_id: &str) -> String {
    let mut stem = String::with_capacity(call_id.len());
    for byte in call_id.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => stem.push(byte as char),
            // A leading dot would hide the file; `..` alone would be the parent.
            b'.' if !stem.is_empty() => stem.push('.'),
            other => stem.push_str(&format!("%{other:02X}")),
        }
    }
    stem
}

/// The call id a [`file_stem`] came from.
pub fn call_id_of(stem: &str) -> Option<String> {
    let bytes = stem.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A finished recording waiting for upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub call_id: String,
    pub path: PathBuf,
}

/// One agent's queue.
#[derive(Debug, Clone)]
pub struct RecordingQueue {
    dir: PathBuf,
}

impl RecordingQueue {
    /// The queue in `dir` (created, private to this user).
    pub fn open(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Finishes what a crash left: each `.ogg.part` is cut after its last whole page and
    /// queued (a file with no audio page is removed). Only for files no recorder has open:
    /// call it before this run records anything. Returns how many were queued.
    pub fn recover(&self) -> io::Result<usize> {
        let mut queued = 0;
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(stem) = name.strip_suffix(".ogg.part") else {
                continue;
            };
            let bytes = std::fs::read(&path)?;
            let keep = whole_pages(&bytes);
            // The two header pages alone carry no audio.
            if page_lengths(&bytes[..keep]).len() <= 2 {
                std::fs::remove_file(&path)?;
                continue;
            }
            std::fs::File::options()
                .write(true)
                .open(&path)?
                .set_len(keep as u64)?;
            std::fs::rename(&path, self.dir.join(format!("{stem}.ogg")))?;
            queued += 1;
        }
        Ok(queued)
    }

    /// The finished recordings, oldest first.
    pub fn pending(&self) -> io::Result<Vec<Pending>> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let path = entry.path();
            let Some(stem) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".ogg"))
            else {
                continue;
            };
            let Some(call_id) = call_id_of(stem) else {
                continue;
            };
            let modified = entry.metadata().and_then(|m| m.modified()).ok();
            found.push((modified, Pending { call_id, path }));
        }
        found.sort_by_key(|(modified, _)| *modified);
        Ok(found.into_iter().map(|(_, p)| p).collect())
    }

    /// Uploaded: gone from the queue.
    pub fn done(&self, pending: &Pending) -> io::Result<()> {
        std::fs::remove_file(&pending.path)
    }

    /// Refused for good: kept aside in `refused/`, with the reason next to it.
    pub fn refused(&self, pending: &Pending, reason: &str) -> io::Result<()> {
        let aside = self.dir.join("refused");
        std::fs::create_dir_all(&aside)?;
        let name = pending.path.file_name().unwrap_or_default();
        let to = aside.join(name);
        std::fs::write(to.with_extension("ogg.reason"), reason)?;
        std::fs::rename(&pending.path, to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::writer::OggOpusWriter;
    use crate::rtp::SAMPLES_20MS;

    #[test]
    fn file_names_keep_plain_ids_readable_and_escape_the_rest_reversibly() {
        for id in [
            "wacid.HBgLMTU1-_x",
            "../../etc",
            "a/b\\c d%e",
            ".hidden",
            "ü",
        ] {
            let stem = file_stem(id);
            assert!(
                !stem.contains('/') && !stem.contains('\\') && !stem.starts_with('.'),
                "{stem}"
            );
            assert_eq!(call_id_of(&stem).as_deref(), Some(id));
        }
        assert_eq!(file_stem("wacid.ABC-1_2"), "wacid.ABC-1_2");
    }

    fn recording(seconds: u32) -> Vec<u8> {
        let mut writer = OggOpusWriter::new(Vec::new(), &[]).unwrap();
        for _ in 0..seconds * 50 {
            writer.frame(&vec![100i16; 2 * SAMPLES_20MS]).unwrap();
        }
        writer.finish().unwrap()
    }

    #[test]
    fn a_recording_cut_off_by_a_crash_is_trimmed_to_whole_pages_and_queued() {
        let dir = tempfile::tempdir().unwrap();
        let queue = RecordingQueue::open(dir.path()).unwrap();
        let whole = recording(3);
        // Torn in its last page, as a crash mid-write leaves it.
        let torn = &whole[..whole.len() - 20];
        std::fs::write(
            dir.path()
                .join(format!("{}.ogg.part", file_stem("wacid.A"))),
            torn,
        )
        .unwrap();
        // Headers only: nothing was said yet.
        let headers_only = &whole[..whole_pages(&whole[..200])];
        std::fs::write(dir.path().join("wacid.B.ogg.part"), headers_only).unwrap();

        assert_eq!(queue.recover().unwrap(), 1);
        let pending = queue.pending().unwrap();
        assert_eq!(pending.len(), 1, "{pending:?}");
        assert_eq!(pending[0].call_id, "wacid.A");
        let kept = std::fs::read(&pending[0].path).unwrap();
        assert_eq!(whole_pages(&kept), kept.len(), "ends on a whole page");
        assert!(kept.len() < torn.len() && kept.len() > whole.len() / 2);
        let (_, left, _) = crate::recording::read::read_stereo(&kept).unwrap();
        assert!(left.len() >= 48_000, "at least the first second survives");
        assert!(!dir.path().join("wacid.B.ogg.part").exists());

        queue
            .refused(&pending[0], "403: not this agent's call")
            .unwrap();
        assert!(queue.pending().unwrap().is_empty());
        let aside = dir.path().join("refused");
        assert_eq!(
            std::fs::read_to_string(aside.join("wacid.A.ogg.reason")).unwrap(),
            "403: not this agent's call"
        );
    }
}
