//! The writing half of an agent's WebSocket: encodes what is queued in its
//! [`Outbox`](crate::switchboard::Outbox) and sends it, in order.
//!
//! Invariants:
//! - a close request ([`CloseReason`]) is obeyed even while a write is stuck on a peer that does
//!   not read: the stuck write is abandoned (for a reason that flushes, the write in progress
//!   finishes first, so queued messages stay in order), and the close frame (with the reason's
//!   code) is given [`CLOSE_DEADLINE`] to go out; then the writer ends, and the socket task
//!   drops the connection (bounding a write that never finishes, too);
//! - without a close request the writer ends when every sender of the outbox is gone (the
//!   switchboard dropped the connection) or after sending `session_replaced`.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use protocol::{encode, ErrorCode, ServerMessage};

use crate::switchboard::{CloseReason, OutboxReceiver};

/// How long the writer tries to get the close frame (and, for reasons that flush, what was
/// queued before it) to a peer.
pub const CLOSE_DEADLINE: Duration = Duration::from_secs(5);

type Sink = SplitSink<WebSocket, Message>;

/// Writes queued messages until the outbox ends or a close is requested; returns the reason
/// the socket was closed with, if any.
pub async fn write(mut sink: Sink, mut outbox: OutboxReceiver) -> Option<CloseReason> {
    loop {
        let next = tokio::select! {
            biased;
            reason = outbox.closing.requested() => Err(reason),
            message = outbox.messages.recv() => Ok(message),
        };
        let message = match next {
            Err(reason) => {
                close(&mut sink, &mut outbox, reason).await;
                return Some(reason);
            }
            Ok(Some(message)) => message,
            Ok(None) => break,
        };
        let replaced = matches!(&message, ServerMessage::Error(error) if error.code == ErrorCode::SessionReplaced);
        let Some(frame) = text_frame(&message) else {
            continue;
        };
        // The send waits for as long as the peer leaves its TCP window shut; a close for a
        // peer that does not read must not wait behind it. A close that flushes lets this
        // message go first (it may be the error that says why), then closes on the next turn.
        let sent = tokio::select! {
            biased;
            reason = outbox.closing.requested_without_flush() => Err(reason),
            sent = sink.send(frame) => Ok(sent),
        };
        let sent = match sent {
            Err(reason) => {
                close(&mut sink, &mut outbox, reason).await;
                return Some(reason);
            }
            Ok(sent) => sent,
        };
        if sent.is_err() || replaced {
            break;
        }
    }
    let _ = sink.close().await;
    None
}

/// Stops taking messages, sends what the reason flushes, then the close frame, all within
/// [`CLOSE_DEADLINE`].
async fn close(sink: &mut Sink, outbox: &mut OutboxReceiver, reason: CloseReason) {
    outbox.messages.close();
    let flush = reason.flushes_queue();
    let delivered = tokio::time::timeout(CLOSE_DEADLINE, async {
        if flush {
            while let Ok(message) = outbox.messages.try_recv() {
                if let Some(frame) = text_frame(&message) {
                    sink.send(frame).await?;
                }
            }
        }
        sink.send(Message::Close(Some(CloseFrame {
            code: reason.code(),
            reason: reason.reason().into(),
        })))
        .await
    })
    .await;
    match delivered {
        Ok(Ok(())) => tracing::info!(
            code = reason.code(),
            reason = reason.reason(),
            "closed an agent's socket"
        ),
        Ok(Err(error)) => {
            tracing::info!(%error, reason = reason.reason(), "an agent's socket failed while closing")
        }
        Err(_) => tracing::info!(
            reason = reason.reason(),
            "an agent's socket did not take its close frame in time; dropped"
        ),
    }
}

fn text_frame(message: &ServerMessage) -> Option<Message> {
    match encode(message) {
        Ok(frame) => Some(Message::Text(frame.into())),
        Err(error) => {
            tracing::error!(%error, "could not encode a message for an app");
            None
        }
    }
}
