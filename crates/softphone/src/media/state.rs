//! The state a session shares between its handle, the WebRTC event handler and its media
//! tasks.
//!
//! Invariant: the state only moves `Preparing → Connecting → Connected → Ended` (steps may be
//! skipped, never reversed); once `Ended` it never changes, so the first end reason wins.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use tokio::sync::watch;

use crate::clock::MonotonicClock;

use super::{AudioSink, PacketSink};
use crate::level::SharedLevel;

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaEnd {
    /// [`super::MediaSession::close`] was called or the session dropped.
    Closed,
    /// ICE or DTLS failed.
    ConnectionFailed,
    /// The peer connection closed by itself.
    PeerClosed,
}

impl fmt::Display for MediaEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MediaEnd::Closed => "closed",
            MediaEnd::ConnectionFailed => "ICE/DTLS connection failed",
            MediaEnd::PeerClosed => "peer connection closed",
        })
    }
}

/// Where a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaState {
    /// Peer connection built, answer not given yet.
    Preparing,
    /// Answer given; ICE/DTLS coming up.
    Connecting,
    /// ICE and DTLS are connected.
    Connected,
    Ended(MediaEnd),
}

/// Packet counters of a session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaStats {
    /// Opus packets sent.
    pub sent_packets: u64,
    /// Inbound Opus packets received (decoded or not; DTMF excluded).
    pub received_packets: u64,
    /// Inbound packets decoded for the [`super::AudioSink`]; 0 when the sink does not want
    /// audio (the playout decodes for itself).
    pub decoded_packets: u64,
    /// Inbound packets that could not be decoded.
    pub undecodable_packets: u64,
}

pub(crate) struct Shared {
    pub state: watch::Sender<MediaState>,
    pub media_started: watch::Sender<bool>,
    pub muted: AtomicBool,
    pub received: watch::Sender<u64>,
    pub sent: AtomicU64,
    pub decoded: AtomicU64,
    pub undecodable: AtomicU64,
    pub input: SharedLevel,
    pub output: SharedLevel,
    /// Taken (and finished) once, when the session is released.
    pub sink: Mutex<Option<Box<dyn AudioSink>>>,
    /// Undecoded inbound packets, if the caller plays out through its own jitter buffer.
    pub packets: Mutex<Option<Box<dyn PacketSink>>>,
    /// Arrival times of inbound packets.
    pub clock: MonotonicClock,
    /// The call's recording, once the platform asked for one (set at most once).
    pub recorder: std::sync::OnceLock<std::sync::Arc<crate::recording::CallRecorder>>,
}

impl Shared {
    pub fn new(sink: Box<dyn AudioSink>, packets: Option<Box<dyn PacketSink>>) -> Self {
        Self {
            state: watch::channel(MediaState::Preparing).0,
            media_started: watch::channel(false).0,
            muted: AtomicBool::new(false),
            received: watch::channel(0).0,
            sent: AtomicU64::new(0),
            decoded: AtomicU64::new(0),
            undecodable: AtomicU64::new(0),
            input: SharedLevel::default(),
            output: SharedLevel::default(),
            sink: Mutex::new(Some(sink)),
            packets: Mutex::new(packets),
            clock: MonotonicClock::new(),
            recorder: std::sync::OnceLock::new(),
        }
    }

    pub fn current(&self) -> MediaState {
        *self.state.borrow()
    }

    /// Move forward to `next` unless ended (or already past it).
    pub fn advance(&self, next: MediaState) {
        self.state.send_if_modified(|s| {
            let rank = |s: &MediaState| match s {
                MediaState::Preparing => 0,
                MediaState::Connecting => 1,
                MediaState::Connected => 2,
                MediaState::Ended(_) => 3,
            };
            if rank(&next) > rank(s) && !matches!(s, MediaState::Ended(_)) {
                *s = next;
                true
            } else {
                false
            }
        });
    }

    /// End the session; only the first reason counts.
    pub fn end(&self, reason: MediaEnd) {
        self.advance(MediaState::Ended(reason));
    }

    pub fn stats(&self) -> MediaStats {
        MediaStats {
            sent_packets: self.sent.load(Ordering::Relaxed),
            received_packets: *self.received.borrow(),
            decoded_packets: self.decoded.load(Ordering::Relaxed),
            undecodable_packets: self.undecodable.load(Ordering::Relaxed),
        }
    }

    /// Finish the sink (once). Called after the peer connection is closed.
    /// Whether the sink wants decoded audio (false once it is gone).
    pub fn sink_wants_audio(&self) -> bool {
        let sink = match self.sink.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        sink.as_ref().is_some_and(|s| s.wants_audio())
    }

    pub fn finish_sink(&self) {
        let sink = match self.sink.lock() {
            Ok(mut s) => s.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(sink) = sink {
            if let Err(e) = sink.finish() {
                tracing::warn!(error = %e, "the call's audio sink could not be finished");
            }
        }
    }
}
