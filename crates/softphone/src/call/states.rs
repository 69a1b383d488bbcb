//! The typed call states (ezk style).
//!
//! Each state is its own type and each transition is a method that consumes the old state and
//! returns the new one, so the compiler enforces the legal paths: an [`Active`] call can only be
//! made by [`Connecting::media_connected`], and a [`Connecting`] call only by an answered inbound
//! call ([`Answering::answer_sent`]) or an accepted outbound one. Fields are private; the only
//! constructors are [`Ringing::offered`] and [`Dialing::dial`].

use crate::clock::MonoTime;

use super::end::{EndReason, Ended, FailureCause};
use super::Direction;

/// Inbound call offered to this agent; the popup is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ringing {
    offered_at: MonoTime,
}

/// The agent accepted; the SDP answer is being prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answering {
    offered_at: MonoTime,
}

/// Outbound call: the offer is on its way to the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialing {
    dialled_at: MonoTime,
}

/// Outbound call: the customer's phone is ringing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteRinging {
    dialled_at: MonoTime,
}

/// Both sides agreed; the media transport (ICE, DTLS) is coming up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connecting {
    direction: Direction,
    started_at: MonoTime,
}

/// Media is flowing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Active {
    direction: Direction,
    started_at: MonoTime,
    connected_at: MonoTime,
}

fn ended(
    direction: Direction,
    started_at: MonoTime,
    connected_at: Option<MonoTime>,
    reason: EndReason,
    now: MonoTime,
) -> Ended {
    Ended {
        direction,
        reason,
        started_at,
        connected_at,
        ended_at: now,
    }
}

impl Ringing {
    /// Idle → ringing: a call was offered to this agent at `now`.
    pub fn offered(now: MonoTime) -> Self {
        Ringing { offered_at: now }
    }
    pub fn offered_at(&self) -> MonoTime {
        self.offered_at
    }
    pub fn answer(self) -> Answering {
        Answering {
            offered_at: self.offered_at,
        }
    }
    pub fn reject(self, now: MonoTime) -> Ended {
        self.end(EndReason::Rejected, now)
    }
    /// The ring timeout ran out before the agent answered.
    pub fn timeout(self, now: MonoTime) -> Ended {
        self.end(EndReason::NotAnswered, now)
    }
    /// The caller hung up (or the call was routed away) while ringing.
    pub fn remote_hangup(self, now: MonoTime) -> Ended {
        self.end(EndReason::RemoteHangup, now)
    }
    pub fn fail(self, cause: FailureCause, now: MonoTime) -> Ended {
        self.end(EndReason::Failed(cause), now)
    }
    fn end(self, reason: EndReason, now: MonoTime) -> Ended {
        ended(Direction::Inbound, self.offered_at, None, reason, now)
    }
}

impl Answering {
    /// The SDP answer went out: the media transport starts.
    pub fn answer_sent(self) -> Connecting {
        Connecting {
            direction: Direction::Inbound,
            started_at: self.offered_at,
        }
    }
    pub fn hangup(self, now: MonoTime) -> Ended {
        self.end(EndReason::LocalHangup, now)
    }
    pub fn remote_hangup(self, now: MonoTime) -> Ended {
        self.end(EndReason::RemoteHangup, now)
    }
    /// The answer could not be produced in time.
    pub fn timeout(self, now: MonoTime) -> Ended {
        self.end(EndReason::Failed(FailureCause::ConnectTimeout), now)
    }
    pub fn fail(self, cause: FailureCause, now: MonoTime) -> Ended {
        self.end(EndReason::Failed(cause), now)
    }
    fn end(self, reason: EndReason, now: MonoTime) -> Ended {
        ended(Direction::Inbound, self.offered_at, None, reason, now)
    }
}

impl Dialing {
    /// Idle → dialing: the agent placed a call at `now`.
    pub fn dial(now: MonoTime) -> Self {
        Dialing { dialled_at: now }
    }
    pub fn dialled_at(&self) -> MonoTime {
        self.dialled_at
    }
    pub fn remote_ringing(self) -> RemoteRinging {
        RemoteRinging {
            dialled_at: self.dialled_at,
        }
    }
    /// Accepted without a ringing report first (webhooks can arrive out of order).
    pub fn remote_accepted(self) -> Connecting {
        Connecting {
            direction: Direction::Outbound,
            started_at: self.dialled_at,
        }
    }
    pub fn remote_rejected(self, now: MonoTime) -> Ended {
        self.end(EndReason::RemoteRejected, now)
    }
    /// The agent cancelled before the customer answered.
    pub fn hangup(self, now: MonoTime) -> Ended {
        self.end(EndReason::LocalHangup, now)
    }
    pub fn remote_hangup(self, now: MonoTime) -> Ended {
        self.end(EndReason::RemoteHangup, now)
    }
    pub fn timeout(self, now: MonoTime) -> Ended {
        self.end(EndReason::NotAnswered, now)
    }
    pub fn fail(self, cause: FailureCause, now: MonoTime) -> Ended {
        self.end(EndReason::Failed(cause), now)
    }
    fn end(self, reason: EndReason, now: MonoTime) -> Ended {
        ended(Direction::Outbound, self.dialled_at, None, reason, now)
    }
}

impl RemoteRinging {
    pub fn remote_accepted(self) -> Connecting {
        Connecting {
            direction: Direction::Outbound,
            started_at: self.dialled_at,
        }
    }
    pub fn remote_rejected(self, now: MonoTime) -> Ended {
        self.end(EndReason::RemoteRejected, now)
    }
    pub fn hangup(self, now: MonoTime) -> Ended {
        self.end(EndReason::LocalHangup, now)
    }
    pub fn remote_hangup(self, now: MonoTime) -> Ended {
        self.end(EndReason::RemoteHangup, now)
    }
    pub fn timeout(self, now: MonoTime) -> Ended {
        self.end(EndReason::NotAnswered, now)
    }
    pub fn fail(self, cause: FailureCause, now: MonoTime) -> Ended {
        self.end(EndReason::Failed(cause), now)
    }
    fn end(self, reason: EndReason, now: MonoTime) -> Ended {
        ended(Direction::Outbound, self.dialled_at, None, reason, now)
    }
}

impl Connecting {
    pub fn direction(&self) -> Direction {
        self.direction
    }
    /// Media flows: talk time starts now.
    pub fn media_connected(self, now: MonoTime) -> Active {
        Active {
            direction: self.direction,
            started_at: self.started_at,
            connected_at: now,
        }
    }
    pub fn hangup(self, now: MonoTime) -> Ended {
        self.end(EndReason::LocalHangup, now)
    }
    pub fn remote_hangup(self, now: MonoTime) -> Ended {
        self.end(EndReason::RemoteHangup, now)
    }
    /// The transport did not come up in time.
    pub fn timeout(self, now: MonoTime) -> Ended {
        self.end(EndReason::Failed(FailureCause::ConnectTimeout), now)
    }
    pub fn fail(self, cause: FailureCause, now: MonoTime) -> Ended {
        self.end(EndReason::Failed(cause), now)
    }
    fn end(self, reason: EndReason, now: MonoTime) -> Ended {
        ended(self.direction, self.started_at, None, reason, now)
    }
}

impl Active {
    pub fn direction(&self) -> Direction {
        self.direction
    }
    pub fn connected_at(&self) -> MonoTime {
        self.connected_at
    }
    pub fn hangup(self, now: MonoTime) -> Ended {
        self.end(EndReason::LocalHangup, now)
    }
    pub fn remote_hangup(self, now: MonoTime) -> Ended {
        self.end(EndReason::RemoteHangup, now)
    }
    pub fn fail(self, cause: FailureCause, now: MonoTime) -> Ended {
        self.end(EndReason::Failed(cause), now)
    }
    fn end(self, reason: EndReason, now: MonoTime) -> Ended {
        ended(
            self.direction,
            self.started_at,
            Some(self.connected_at),
            reason,
            now,
        )
    }
}
