//! Uploads the queue's recordings to the platform, oldest first, one at a time: at start,
//! whenever woken (a call's recording finished, signalling came back) and, after a failure,
//! on a backoff from 1 s doubling to a minute. A recording leaves the queue only when the
//! platform answers 200/201 (stored — 200 also for the same bytes again, so retrying after a
//! lost answer is safe) or refuses it for good (400, 403, 404, 409, 413, 415: kept aside with
//! the reason); anything else, and no answer, is tried again later.

use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::queue::{Pending, RecordingQueue};
use crate::phone::PhoneEvent;
use crate::transport::PlatformLink;

const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(60);
/// Time for one upload (an hour of call is ~15 MB).
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// Wakes the uploader; dropping it stops the uploader after its current upload.
#[derive(Debug, Clone)]
pub struct Uploads {
    wake: mpsc::Sender<()>,
}

impl Uploads {
    /// Look at the queue again now.
    pub fn wake(&self) {
        let _ = self.wake.try_send(());
    }
}

enum Outcome {
    Stored,
    Refused(String),
    Retry(String),
}

/// Starts the uploader for `queue` on the current runtime; first it recovers what a crash
/// left (so call this before recording anything into the queue).
pub fn start(
    queue: RecordingQueue,
    link: PlatformLink,
    token: String,
    events: mpsc::Sender<PhoneEvent>,
) -> Uploads {
    let (wake, mut woken) = mpsc::channel(1);
    tokio::spawn(async move {
        match queue.recover() {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, "recordings cut off by an earlier exit queued for upload"),
            Err(error) => {
                tracing::error!(%error, dir = %queue.dir().display(), "recordings queue unreadable")
            }
        }
        let client = match link.http_client(UPLOAD_TIMEOUT) {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "no HTTP client for recording uploads");
                return;
            }
        };
        let mut retry = FIRST_RETRY;
        let mut last_count = None;
        loop {
            let pending = queue.pending().unwrap_or_else(|error| {
                tracing::error!(%error, "recordings queue unreadable");
                Vec::new()
            });
            if last_count != Some(pending.len()) {
                last_count = Some(pending.len());
                let _ = events
                    .send(PhoneEvent::RecordingsPending {
                        count: pending.len(),
                    })
                    .await;
            }
            let mut failed = false;
            for recording in pending {
                match upload(&client, &link, &token, &recording).await {
                    Outcome::Stored => {
                        if let Err(error) = queue.done(&recording) {
                            tracing::error!(%error, "uploaded recording could not be removed");
                        }
                        tracing::info!(call_id = recording.call_id, "recording uploaded");
                        let call_id = recording.call_id.clone();
                        let _ = events.send(PhoneEvent::RecordingUploaded { call_id }).await;
                    }
                    Outcome::Refused(message) => {
                        tracing::warn!(
                            call_id = recording.call_id,
                            message,
                            "recording refused by the platform; kept aside"
                        );
                        let _ = queue.refused(&recording, &message);
                        let call_id = recording.call_id.clone();
                        let _ = events
                            .send(PhoneEvent::RecordingRefused { call_id, message })
                            .await;
                    }
                    Outcome::Retry(why) => {
                        tracing::info!(
                            call_id = recording.call_id,
                            why,
                            ?retry,
                            "recording upload will be retried"
                        );
                        failed = true;
                        break;
                    }
                }
            }
            if failed {
                tokio::select! {
                    _ = tokio::time::sleep(retry) => {}
                    woke = woken.recv() => if woke.is_none() { return },
                }
                retry = (retry * 2).min(LAST_RETRY);
            } else {
                retry = FIRST_RETRY;
                if last_count != Some(0) {
                    continue; // Some were uploaded: recount (and tell) before waiting.
                }
                if woken.recv().await.is_none() {
                    return;
                }
            }
        }
    });
    Uploads { wake }
}

async fn upload(
    client: &reqwest::Client,
    link: &PlatformLink,
    token: &str,
    recording: &Pending,
) -> Outcome {
    let bytes = match tokio::fs::read(&recording.path).await {
        Ok(bytes) => bytes,
        Err(e) => return Outcome::Retry(format!("cannot read {}: {e}", recording.path.display())),
    };
    let checksum = hex::encode(Sha256::digest(&bytes));
    let mut url = match link.endpoint("/api/v1/calls") {
        Ok(url) => url,
        Err(e) => return Outcome::Retry(e.to_string()),
    };
    match url.path_segments_mut() {
        Ok(mut path) => {
            path.push(&recording.call_id).push("recording");
        }
        Err(()) => return Outcome::Retry("the platform URL cannot take a path".into()),
    }
    let sent = client
        .put(url)
        .bearer_auth(token)
        .header("content-type", "audio/ogg")
        .header("x-content-sha256", checksum)
        .body(bytes)
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(e) => return Outcome::Retry(format!("platform unreachable: {e}")),
    };
    let status = response.status().as_u16();
    let message = response.text().await.unwrap_or_default();
    match status {
        200 | 201 => Outcome::Stored,
        400 | 403 | 404 | 409 | 413 | 415 => Outcome::Refused(format!("{status}: {message}")),
        _ => Outcome::Retry(format!("{status}: {message}")),
    }
}
