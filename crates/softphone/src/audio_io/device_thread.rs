//! Owns a cpal stream on a thread of its own.
//!
//! A `cpal::Stream` is not `Send` on every platform, so it is built, played and dropped on one
//! dedicated thread; the rest of the engine holds a [`DeviceStream`] handle that can cross
//! threads and stops the stream when dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use super::{AudioIoError, Direction};

/// What was actually opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    pub device: String,
    pub sample_rate: u32,
    pub channels: u16,
}

/// A running device stream. Dropping it stops the stream and joins its thread.
#[derive(Debug)]
pub struct DeviceStream {
    info: StreamInfo,
    failed: Arc<AtomicBool>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Set by the stream's error callback (device unplugged, server gone).
pub(crate) type FailureFlag = Arc<AtomicBool>;

/// Whether a stream error means the device is gone (fall back to another) rather than a glitch
/// the backend recovered from by itself (an xrun: a callback came late once).
pub(crate) fn is_fatal(error: &cpal::Error) -> bool {
    use cpal::ErrorKind as K;
    matches!(
        error.kind(),
        K::DeviceNotAvailable | K::DeviceChanged | K::HostUnavailable | K::StreamInvalidated
    )
}

/// The stream's error callback: a fatal error raises `failed` (the engine falls back to another
/// device); a recovered glitch is only logged. Runs on cpal's thread; it only stores and logs.
pub(crate) fn error_callback(
    direction: Direction,
    failed: FailureFlag,
) -> impl FnMut(cpal::Error) + Send + 'static {
    move |e: cpal::Error| {
        if is_fatal(&e) {
            failed.store(true, Ordering::Relaxed);
            tracing::warn!(error = %e, %direction, "audio stream failed");
        } else {
            tracing::debug!(error = %e, %direction, "audio stream glitch, recovered");
        }
    }
}

impl DeviceStream {
    /// Runs `build` on a new thread; returns once the stream plays (or failed to), handing back
    /// whatever `build` produced for the caller (the other end of the ring buffer).
    pub(crate) fn spawn<T, F>(name: &str, build: F) -> Result<(DeviceStream, T), AudioIoError>
    where
        T: Send + 'static,
        F: FnOnce(FailureFlag) -> Result<(cpal::Stream, StreamInfo, T), AudioIoError>
            + Send
            + 'static,
    {
        let failed: FailureFlag = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let flag = failed.clone();
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                use cpal::traits::StreamTrait;
                let built = build(flag).and_then(|(stream, info, handoff)| {
                    stream.play().map_err(|e| AudioIoError::Open {
                        direction: super::Direction::Output,
                        device: info.device.clone(),
                        reason: e.to_string(),
                    })?;
                    Ok((stream, info, handoff))
                });
                match built {
                    Ok((stream, info, handoff)) => {
                        if ready_tx.send(Ok((info, handoff))).is_err() {
                            return;
                        }
                        // Park until stopped (or the handle is dropped).
                        let _ = stop_rx.recv();
                        drop(stream);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|_| AudioIoError::DeviceThread)?;
        let (info, handoff) = ready_rx.recv().map_err(|_| AudioIoError::DeviceThread)??;
        Ok((
            DeviceStream {
                info,
                failed,
                stop: Some(stop_tx),
                thread: Some(thread),
            },
            handoff,
        ))
    }

    pub fn info(&self) -> &StreamInfo {
        &self.info
    }

    /// Whether the device reported an error (e.g. it was unplugged): time to fall back.
    pub fn has_failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }
}

impl Drop for DeviceStream {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
