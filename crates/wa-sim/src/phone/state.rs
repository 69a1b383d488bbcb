//! The state one call shares between its API handle, the webrtc-rs event handler and its
//! media tasks.
//!
//! Invariants: the state only moves `Negotiating → Connected → Ended` (or straight to
//! `Ended`); once `Ended` it never changes, so the first end reason wins and `Ended` is
//! broadcast exactly once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tokio::sync::{broadcast, watch};

use crate::audio::{AudioMeter, WavRecorder};

use super::MediaTimeoutPhase;

/// Why the call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// [`super::PhoneCall::hang_up`] was called (or the handle was dropped).
    HungUp,
    /// No inbound media for too long (WhatsApp's 20 s / 30 s rule).
    MediaTimeout(MediaTimeoutPhase),
    /// ICE or DTLS failed.
    ConnectionFailed,
    /// The peer connection closed without us hanging up.
    ConnectionClosed,
}

impl std::fmt::Display for EndReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndReason::HungUp => f.write_str("hung up"),
            EndReason::MediaTimeout(MediaTimeoutPhase::AtStart) => {
                f.write_str("no inbound media since the call started")
            }
            EndReason::MediaTimeout(MediaTimeoutPhase::MidCall) => {
                f.write_str("inbound media stopped mid-call")
            }
            EndReason::ConnectionFailed => f.write_str("ICE/DTLS connection failed"),
            EndReason::ConnectionClosed => f.write_str("peer connection closed"),
        }
    }
}

/// Where the call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// SDP exchanged or pending; ICE/DTLS not up yet.
    Negotiating,
    /// ICE and DTLS are connected.
    Connected,
    /// Over, for the given reason.
    Ended(EndReason),
}

/// What the phone reports as it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneEvent {
    /// ICE + DTLS connected.
    Connected,
    /// The no-media rule fired; `Ended(MediaTimeout)` follows.
    MediaTimeout(MediaTimeoutPhase),
    /// The call is over.
    Ended(EndReason),
}

/// The running analysis of what the phone has heard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReceivedAudio {
    /// RMS level of the last analysis window, dBFS (−120 for silence or nothing yet).
    pub rms_dbfs: f64,
    /// Dominant frequency of the last analysis window.
    pub dominant_hz: Option<f64>,
    /// Opus packets received and decoded.
    pub packets: u64,
    /// Seconds of audio decoded.
    pub seconds: f64,
}

pub(crate) struct CallShared {
    /// Held while a transition updates `state` and broadcasts its event, and while a new
    /// subscriber joins: a subscriber thus never sees an event for a state it could already
    /// observe before subscribing (e.g. a stale `Connected`).
    transition: Mutex<()>,
    pub state: watch::Sender<CallState>,
    pub events: broadcast::Sender<PhoneEvent>,
    pub media_started: watch::Sender<bool>,
    /// Count of decoded inbound packets; the watchdog waits on its changes.
    pub inbound_packets: watch::Sender<u64>,
    pub meter: Mutex<AudioMeter>,
    pub recorder: Mutex<Option<WavRecorder>>,
    pub sent_packets: AtomicU64,
    pub bad_packets: AtomicU64,
    /// Set once the peer connection is closed and the recording finalized.
    pub released: watch::Sender<bool>,
}

impl CallShared {
    pub fn new(meter: AudioMeter, recorder: Option<WavRecorder>) -> Self {
        Self {
            transition: Mutex::new(()),
            state: watch::channel(CallState::Negotiating).0,
            events: broadcast::channel(64).0,
            media_started: watch::channel(false).0,
            inbound_packets: watch::channel(0).0,
            meter: Mutex::new(meter),
            recorder: Mutex::new(recorder),
            sent_packets: AtomicU64::new(0),
            bad_packets: AtomicU64::new(0),
            released: watch::channel(false).0,
        }
    }

    pub fn current(&self) -> CallState {
        *self.state.borrow()
    }

    fn transition_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        match self.transition.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Subscribe to events that follow the current state.
    pub fn subscribe(&self) -> broadcast::Receiver<PhoneEvent> {
        let _guard = self.transition_lock();
        self.events.subscribe()
    }

    /// Broadcast an event that is not a state change (e.g. a media timeout about to end the call).
    pub fn announce(&self, event: PhoneEvent) {
        let _guard = self.transition_lock();
        let _ = self.events.send(event);
    }

    pub fn mark_connected(&self) {
        let _guard = self.transition_lock();
        let moved = self.state.send_if_modified(|s| {
            if *s == CallState::Negotiating {
                *s = CallState::Connected;
                true
            } else {
                false
            }
        });
        if moved {
            let _ = self.events.send(PhoneEvent::Connected);
        }
    }

    /// End the call; only the first reason counts. Returns whether this call ended it.
    pub fn end(&self, reason: EndReason) -> bool {
        let _guard = self.transition_lock();
        let moved = self.state.send_if_modified(|s| {
            if matches!(s, CallState::Ended(_)) {
                false
            } else {
                *s = CallState::Ended(reason);
                true
            }
        });
        if moved {
            tracing::info!(%reason, "customer phone call ended");
            let _ = self.events.send(PhoneEvent::Ended(reason));
        }
        moved
    }

    pub fn received(&self) -> ReceivedAudio {
        // Count first: the window copied next then holds at least that many packets.
        let packets = *self.inbound_packets.borrow();
        // Copy the window under the lock, analyse outside it: the receiver keeps decoding.
        let meter = match self.meter.lock() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let reading = meter.reading();
        ReceivedAudio {
            rms_dbfs: reading.rms_dbfs,
            dominant_hz: reading.dominant_hz,
            packets,
            seconds: reading.seconds,
        }
    }

    pub fn sent(&self) -> u64 {
        self.sent_packets.load(Ordering::Relaxed)
    }
}
