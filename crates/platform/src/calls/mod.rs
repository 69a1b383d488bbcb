//! The platform's call lifecycle as a pure machine ([`CallMachine`]), in the style of str0m
//! and ezk: inputs in, effects out, time injected. The switchboard is its driver.
//!
//! - [`input`]: what happens (Meta's events as facts, agents' messages, timers, Graph answers);
//! - [`effect`]: what to do (store writes, Graph requests, messages to agents, timers);
//! - `machine`: the state and the dispatch; `meta_events`, `agents`, `ringing`: the rules.

mod agents;
pub mod effect;
pub mod input;
mod live;
mod machine;
mod meta_events;
mod outbound;
mod reaper;
mod ringing;
mod team;

#[cfg(test)]
mod tests;

pub use effect::{Effect, GraphStep};
pub use input::{
    CallParts, ConnectFacts, ConversationFacts, Input, LeftOpen, OutboundStatus, PlaceCallFacts,
    TerminateFacts, Timer, TimerKind,
};
pub use live::Phase;
pub use machine::{CallMachine, RING_GRACE};
pub use outbound::{may_act, OUTBOUND_RING_BOUND};

use protocol::{
    CallCancelled, CallId, CancelReason, ErrorCode, IncomingCall, Party, ProtocolError, Reply,
    ReplyResult, RequestId, RoutedBecause, ServerMessage, Timestamp,
};

use crate::store::calls::CallEnd;
use live::LiveCall;
use machine::Effects;

/// A call's end by `by` at `at_ms`, with nothing from Meta.
fn end(status: protocol::CallStatus, by: Party, at_ms: i64) -> CallEnd {
    CallEnd {
        status,
        ended_by: Some(by),
        ended_at: at_ms,
        duration_secs: None,
        meta_error_code: None,
    }
}

fn cancelled(call_id: &CallId, reason: CancelReason) -> ServerMessage {
    ServerMessage::CallCancelled(CallCancelled {
        call_id: call_id.clone(),
        reason,
    })
}

/// The `incoming_call` for a ringing call (also replayed in `hello`).
fn incoming_call(call: &LiveCall, now: Timestamp) -> ServerMessage {
    let (because, deadline) = match &call.phase {
        Phase::Ringing {
            because, deadline, ..
        } => (*because, *deadline),
        _ => (RoutedBecause::RoundRobin, now),
    };
    ServerMessage::IncomingCall(IncomingCall {
        call_id: call.id.clone(),
        customer: call.customer.clone(),
        business_number: call.business_number.clone(),
        routed_because: because,
        ring_deadline: deadline,
        sdp_offer: call.offer.clone(),
    })
}

fn reply_ok(out: &mut Effects, agent_id: &str, request_id: RequestId) {
    out.send(
        agent_id,
        ServerMessage::Reply(Reply {
            request_id,
            result: ReplyResult::Ok { call_id: None },
        }),
    );
}

fn reply_refused(
    out: &mut Effects,
    agent_id: &str,
    request_id: RequestId,
    code: ErrorCode,
    message: String,
) {
    out.send(
        agent_id,
        ServerMessage::Reply(Reply {
            request_id,
            result: ReplyResult::Error(ProtocolError::new(code, message)),
        }),
    );
}
