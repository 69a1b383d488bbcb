//! One agent socket's queue of messages to write, and the way to end that socket with a reason.
//!
//! Invariants:
//! - the queue is **bounded** ([`OUTBOX_CAPACITY`]): pushing never waits and never grows memory.
//!   A push that finds the queue full means the app is not reading its socket (its TCP window
//!   and the socket buffers are full too); the connection is then closed as
//!   [`CloseReason::TooSlow`] rather than letting one stuck app hold the switchboard or the
//!   platform's memory. The socket task then tells the switchboard the agent disconnected, so a
//!   call ringing there moves on as for any other disconnect;
//! - the first [`Outbox::close`] wins; later ones (another full push, say) change nothing;
//! - closing is a request to the socket task (see `http::ws`), which sends the close frame with
//!   the reason's code, within a bounded time even if the peer never reads.

use std::sync::Arc;

use protocol::ServerMessage;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, watch};

/// Messages queued for one socket before it counts as not reading. The platform pushes a few
/// messages per call event, and an app that reads keeps this near empty; 256 covers any burst
/// a live app sees (a full `hello` is one message) while bounding each socket to a few hundred
/// KiB at most.
pub const OUTBOX_CAPACITY: usize = 256;

/// Why the platform ends an agent's socket; each maps to a WebSocket close code and reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The app does not read what it is sent (its outbox filled up).
    TooSlow,
    /// The app sent a frame or message over [`protocol::MAX_FRAME_BYTES`].
    FrameTooLarge,
    /// The agent's token was revoked while connected.
    TokenRevoked,
    /// The app kept sending after being refused with `rate_limited`
    /// ([`crate::http::frame_budget`]).
    RateLimited,
}

impl CloseReason {
    /// The WebSocket close code (RFC 6455 §7.4.1).
    pub fn code(self) -> u16 {
        match self {
            // 1008 policy violation: reading what one is sent is part of the protocol.
            Self::TooSlow | Self::TokenRevoked | Self::RateLimited => 1008,
            // 1009 message too big.
            Self::FrameTooLarge => 1009,
        }
    }

    /// The close frame's reason (at most 123 bytes, a control-frame limit).
    pub fn reason(self) -> &'static str {
        match self {
            Self::TooSlow => "too slow reading: the platform's queue for this socket is full",
            Self::FrameTooLarge => "frame too large: the limit is 1048576 bytes",
            Self::TokenRevoked => "token revoked: sign in again",
            Self::RateLimited => "rate limited: too many frames after being told to slow down",
        }
    }

    /// Whether messages already queued are written before the close frame. Not for a socket
    /// that does not read: its queue is what is stuck.
    pub fn flushes_queue(self) -> bool {
        !matches!(self, Self::TooSlow)
    }
}

/// The sending side, held by the switchboard and the socket task. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox {
    messages: mpsc::Sender<ServerMessage>,
    closing: Arc<watch::Sender<Option<CloseReason>>>,
}

/// The socket task's side: what to write, and whether to close.
#[derive(Debug)]
pub struct OutboxReceiver {
    pub messages: mpsc::Receiver<ServerMessage>,
    pub closing: CloseRequests,
}

/// A new outbox holding at most `capacity` unwritten messages.
pub fn outbox(capacity: usize) -> (Outbox, OutboxReceiver) {
    let (messages, receiver) = mpsc::channel(capacity);
    let (closing, closing_receiver) = watch::channel(None);
    (
        Outbox {
            messages,
            closing: Arc::new(closing),
        },
        OutboxReceiver {
            messages: receiver,
            closing: CloseRequests(closing_receiver),
        },
    )
}

impl Outbox {
    /// Queues `message` without waiting. False if it was not queued: the socket is gone, or its
    /// queue is full, which closes the connection as [`CloseReason::TooSlow`].
    pub fn push(&self, message: ServerMessage) -> bool {
        match self.messages.try_send(message) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                if self.close(CloseReason::TooSlow) {
                    tracing::warn!(
                        capacity = OUTBOX_CAPACITY,
                        "an agent's app is not reading its socket; closing it"
                    );
                }
                false
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }

    /// Asks the socket task to close with `reason`. True if this was the first request.
    pub fn close(&self, reason: CloseReason) -> bool {
        self.closing.send_if_modified(|current| {
            if current.is_some() {
                return false;
            }
            *current = Some(reason);
            true
        })
    }

    /// A receiver that sees the close request (for the socket's reader half).
    pub fn close_requests(&self) -> CloseRequests {
        CloseRequests(self.closing.subscribe())
    }
}

/// Watches for a close request on one outbox.
#[derive(Debug)]
pub struct CloseRequests(watch::Receiver<Option<CloseReason>>);

impl CloseRequests {
    /// Resolves with the reason once a close was asked for.
    pub async fn requested(&mut self) -> CloseReason {
        wait_for_close(&mut self.0).await
    }

    /// Resolves once a close was asked for whose reason does not flush the queue (a message
    /// being written may be abandoned for it); never for one that flushes, as the first reason
    /// is the last.
    pub async fn requested_without_flush(&mut self) -> CloseReason {
        let reason = self.requested().await;
        if reason.flushes_queue() {
            std::future::pending::<()>().await;
        }
        reason
    }
}

/// Resolves with the close reason; never, if every sender is gone without one (the socket is
/// then ending anyway, by its queue closing).
async fn wait_for_close(closing: &mut watch::Receiver<Option<CloseReason>>) -> CloseReason {
    let reason = closing
        .wait_for(Option::is_some)
        .await
        .ok()
        .and_then(|reason| *reason);
    match reason {
        Some(reason) => reason,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use protocol::{PingId, Pong};

    fn pong(n: u32) -> ServerMessage {
        ServerMessage::Pong(Pong { ping_id: PingId(n) })
    }

    #[tokio::test]
    async fn a_full_outbox_refuses_the_push_and_asks_to_close_as_too_slow() {
        let (outbox, mut receiver) = outbox(2);
        assert!(outbox.push(pong(1)));
        assert!(outbox.push(pong(2)));
        assert!(!outbox.push(pong(3)), "a third message does not fit");
        assert_eq!(receiver.closing.requested().await, CloseReason::TooSlow);
        assert_eq!(
            outbox.close_requests().requested().await,
            CloseReason::TooSlow
        );
        // What was queued is still there, in order; nothing beyond the bound was kept.
        assert_eq!(receiver.messages.recv().await, Some(pong(1)));
        assert_eq!(receiver.messages.recv().await, Some(pong(2)));
        assert!(receiver.messages.try_recv().is_err());
    }

    #[tokio::test]
    async fn only_a_reason_that_does_not_flush_cuts_a_write_short() {
        let (revoked, mut revoked_receiver) = outbox(4);
        revoked.close(CloseReason::TokenRevoked);
        // Polled once with the reason already set: still pending.
        let mut cut = std::pin::pin!(revoked_receiver.closing.requested_without_flush());
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(
            std::future::Future::poll(cut.as_mut(), &mut context).is_pending(),
            "a flushing close lets the write finish"
        );

        let (slow, mut slow_receiver) = outbox(4);
        slow.close(CloseReason::TooSlow);
        assert_eq!(
            slow_receiver.closing.requested_without_flush().await,
            CloseReason::TooSlow
        );
    }

    #[tokio::test]
    async fn the_first_close_reason_wins() {
        let (outbox, mut receiver) = outbox(4);
        assert!(outbox.close(CloseReason::TokenRevoked));
        assert!(!outbox.close(CloseReason::FrameTooLarge));
        assert_eq!(
            receiver.closing.requested().await,
            CloseReason::TokenRevoked
        );
    }

    #[test]
    fn close_reasons_fit_a_control_frame() {
        for reason in [
            CloseReason::TooSlow,
            CloseReason::FrameTooLarge,
            CloseReason::TokenRevoked,
        ] {
            assert!(reason.reason().len() <= 123, "{reason:?}");
        }
        assert_eq!(
            CloseReason::FrameTooLarge.reason(),
            format!(
                "frame too large: the limit is {} bytes",
                protocol::MAX_FRAME_BYTES
            )
        );
    }
}
