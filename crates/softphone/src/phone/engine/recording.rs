//! The engine's side of call recording: the agent's queue (a directory per agent under the
//! configured one, known once `hello` names the agent) with its uploader, and a recorder for
//! each call the platform asks to record (`start_media.record`).

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::phone::PhoneEvent;
use crate::recording::queue::file_stem;
use crate::recording::{upload, CallRecorder, RecordingQueue, Uploads};
use crate::transport::PlatformLink;

pub(super) struct Recording {
    /// `None`: this app records nothing.
    root: Option<PathBuf>,
    link: Option<PlatformLink>,
    token: String,
    queue: Option<RecordingQueue>,
    uploads: Option<Uploads>,
}

impl Recording {
    pub fn new(root: Option<PathBuf>, link: Option<PlatformLink>, token: String) -> Self {
        Self {
            root,
            link,
            token,
            queue: None,
            uploads: None,
        }
    }

    /// Signed in as `agent_id`: open the agent's queue and start its uploader (first hello),
    /// or have it look again (a reconnect may be what it was waiting for).
    pub fn on_hello(&mut self, agent_id: &str, events: &mpsc::Sender<PhoneEvent>) {
        if let Some(uploads) = &self.uploads {
            return uploads.wake();
        }
        let (Some(root), Some(link)) = (&self.root, &self.link) else {
            return;
        };
        let dir = root.join(file_stem(agent_id));
        match RecordingQueue::open(&dir) {
            Ok(queue) => {
                let uploads = upload::start(
                    queue.clone(),
                    link.clone(),
                    self.token.clone(),
                    events.clone(),
                );
                self.queue = Some(queue);
                self.uploads = Some(uploads);
            }
            Err(error) => {
                tracing::error!(%error, dir = %dir.display(), "no recordings queue: calls will not be recorded")
            }
        }
    }

    /// A recorder for `call_id`, if this app records (and the file could be made).
    pub fn start(&self, call_id: &str) -> Option<Arc<CallRecorder>> {
        let queue = self.queue.as_ref()?;
        match CallRecorder::create(queue.dir(), call_id) {
            Ok(recorder) => {
                tracing::info!(call_id, "recording the call");
                Some(Arc::new(recorder))
            }
            Err(error) => {
                tracing::error!(call_id, %error, "the call cannot be recorded");
                None
            }
        }
    }

    /// A call's recording is finished: upload it now.
    pub fn finished(&self, recorder: &CallRecorder) {
        recorder.finish();
        if let Some(uploads) = &self.uploads {
            uploads.wake();
        }
    }
}
