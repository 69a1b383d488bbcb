//! What the call machine asks its driver to do. The driver applies every [`Effect::Store`]
//! of one input in one transaction *before* any message or Graph request of that input leaves
//! the process, so a record is never behind what an agent or Meta saw.

use protocol::{ServerMessage, Timestamp};
use whatsapp::graph::{CallActionRequest, OutboundMessage};

pub use crate::store::Write;

use super::input::Timer;

/// One thing to do. (Effects live for one input in a short `Vec`: boxing the large
/// `ServerMessage` would only add an allocation per message.)
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Effect {
    /// A durable change.
    Store(Write),
    /// A Graph API request, run concurrently; its result comes back as
    /// [`super::Input::GraphDone`].
    Graph {
        call_id: String,
        phone_number_id: String,
        step: GraphStep,
    },
    /// A message to the agent's current socket (dropped if they are not connected: the next
    /// `hello` carries the state instead).
    Send {
        agent_id: String,
        message: ServerMessage,
    },
    /// Feed [`super::Input::Timer`] back at `at`.
    Arm { timer: Timer, at: Timestamp },
}

/// A Graph request about one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphStep {
    /// A business-initiated call to `to` with the app's offer; Meta answers the new call id.
    Connect {
        to: String,
        offer: String,
    },
    PreAccept {
        answer: String,
    },
    Accept {
        answer: String,
    },
    Reject,
    Terminate,
    /// The auto-responder text to the customer after a refused call.
    AutoReply {
        to: String,
        text: String,
    },
}

impl GraphStep {
    /// Whether the call machine waits for this step's result (the others are told and
    /// forgotten: a failure is logged, nothing waits on it).
    pub fn awaited(&self) -> bool {
        matches!(
            self,
            GraphStep::Connect { .. } | GraphStep::PreAccept { .. } | GraphStep::Accept { .. }
        )
    }

    /// The call action request, or `None` for a message.
    pub fn call_action(&self, call_id: &str) -> Option<CallActionRequest> {
        Some(match self {
            GraphStep::PreAccept { answer } => {
                CallActionRequest::pre_accept(call_id, answer.clone())
            }
            GraphStep::Accept { answer } => CallActionRequest::accept(call_id, answer.clone()),
            GraphStep::Reject => CallActionRequest::reject(call_id),
            GraphStep::Terminate => CallActionRequest::terminate(call_id),
            GraphStep::Connect { to, offer } => {
                CallActionRequest::connect(to.clone(), offer.clone())
            }
            GraphStep::AutoReply { .. } => return None,
        })
    }

    /// The message, for [`GraphStep::AutoReply`].
    pub fn message(&self) -> Option<OutboundMessage> {
        match self {
            GraphStep::AutoReply { to, text } => Some(OutboundMessage::text(to, text.clone())),
            _ => None,
        }
    }
}
