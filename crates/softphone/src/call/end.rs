//! Why and how a call ended.

use std::time::Duration;

use crate::clock::MonoTime;

use super::Direction;

/// Why a call ended. Each reason can only be produced by the transitions that make sense for it
/// (a `Rejected` call was never answered; a `RemoteHangup` may or may not have connected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// The agent hung up (or cancelled an outbound call before it was answered).
    LocalHangup,
    /// The customer (or Meta on their behalf) ended the call.
    RemoteHangup,
    /// The agent rejected a ringing inbound call.
    Rejected,
    /// The customer declined an outbound call.
    RemoteRejected,
    /// Nobody answered in time (inbound: the agent; outbound: the customer).
    NotAnswered,
    /// Signaling or media failed.
    Failed(FailureCause),
}

/// What went wrong when a call ends in [`EndReason::Failed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureCause {
    /// Media transport (ICE/DTLS) never came up, or came up too late.
    ConnectTimeout,
    /// The transport failed or no media arrived for too long during the call.
    MediaLost,
    /// The platform or Meta refused the call control request.
    SignalingRefused,
    /// The local audio devices could not be opened.
    AudioDevice,
}

/// A finished call. Terminal: no transition leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub direction: Direction,
    pub reason: EndReason,
    /// When the call was offered (inbound) or dialled (outbound).
    pub started_at: MonoTime,
    /// When media first flowed, if it ever did.
    pub connected_at: Option<MonoTime>,
    pub ended_at: MonoTime,
}

impl Ended {
    /// Talk time: from media connected to the end; zero for a call that never connected.
    pub fn duration(&self) -> Duration {
        match self.connected_at {
            Some(connected) => self.ended_at - connected,
            None => Duration::ZERO,
        }
    }

    /// Whether the call was ever connected (counts as answered in the call record).
    pub fn was_connected(&self) -> bool {
        self.connected_at.is_some()
    }
}
