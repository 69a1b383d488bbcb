//! One call's recording as it happens: the receive task hands in what the customer said
//! (decoded), the send task what the agent sent (silence while muted); [`StereoMixer`] pairs
//! them and [`OggOpusWriter`] writes `<call>.ogg.part` in the queue's directory, a page a
//! second. [`CallRecorder::finish`] ends the stream and renames it `<call>.ogg`: ready to
//! upload. A write error stops the recording (what was written stays) and is logged once;
//! it never disturbs the call.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::mixer::{Side, StereoMixer};
use super::queue::file_stem;
use super::writer::{OggOpusWriter, RecordingError};

struct Running {
    mixer: StereoMixer,
    writer: OggOpusWriter<File>,
}

/// A call being recorded (shared by the call's media tasks).
pub struct CallRecorder {
    call_id: String,
    part: PathBuf,
    done: PathBuf,
    running: Mutex<Option<Running>>,
}

impl std::fmt::Debug for CallRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallRecorder")
            .field("call_id", &self.call_id)
            .field("part", &self.part)
            .finish_non_exhaustive()
    }
}

impl CallRecorder {
    /// Starts `call_id`'s recording in `dir` (created if needed).
    pub fn create(dir: &Path, call_id: &str) -> Result<Self, RecordingError> {
        std::fs::create_dir_all(dir)?;
        let stem = file_stem(call_id);
        let part = dir.join(format!("{stem}.ogg.part"));
        let done = dir.join(format!("{stem}.ogg"));
        let file = File::options().write(true).create_new(true).open(&part)?;
        let writer = OggOpusWriter::new(
            file,
            &[("CALL_ID", call_id), ("CHANNELS", "customer,agent")],
        )?;
        Ok(Self {
            call_id: call_id.to_owned(),
            part,
            done,
            running: Mutex::new(Some(Running {
                mixer: StereoMixer::default(),
                writer,
            })),
        })
    }

    /// 20 ms of the customer, as decoded.
    pub fn customer(&self, pcm: &[i16]) {
        self.push(Side::Customer, pcm);
    }

    /// 20 ms of the agent, as sent.
    pub fn agent(&self, pcm: &[i16]) {
        self.push(Side::Agent, pcm);
    }

    fn push(&self, side: Side, pcm: &[i16]) {
        let Ok(mut guard) = self.running.lock() else {
            return;
        };
        let Some(running) = guard.as_mut() else {
            return;
        };
        let frames = running.mixer.push(side, pcm);
        if let Err(error) = frames.iter().try_for_each(|f| running.writer.frame(f)) {
            tracing::error!(call_id = self.call_id, %error, "recording stopped; what was written is kept");
            *guard = None;
        }
    }

    /// Ends the recording: the rest written, the stream closed, the file renamed for upload.
    /// Returns the finished file (`None` if already finished).
    pub fn finish(&self) -> Option<PathBuf> {
        let running = self.running.lock().ok()?.take();
        if let Some(mut running) = running {
            let rest = running.mixer.drain();
            let written = rest
                .iter()
                .try_for_each(|f| running.writer.frame(f))
                .and_then(|()| running.writer.finish())
                .and_then(|file| file.sync_all().map_err(RecordingError::from));
            if let Err(error) = written {
                tracing::error!(call_id = self.call_id, %error, "recording not closed cleanly; the upload keeps its whole pages");
            }
        }
        match std::fs::rename(&self.part, &self.done) {
            Ok(()) => Some(self.done.clone()),
            Err(error) => {
                tracing::error!(call_id = self.call_id, %error, "finished recording could not be queued for upload");
                None
            }
        }
    }
}

impl Drop for CallRecorder {
    /// A recorder dropped without `finish` (a failed call) still queues what it recorded.
    fn drop(&mut self) {
        if self.running.lock().is_ok_and(|r| r.is_some()) {
            self.finish();
        }
    }
}
