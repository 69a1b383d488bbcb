//! One call as Meta tracks it.

use crate::clock::SimTime;

/// Who placed the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Direction {
    UserInitiated,
    BusinessInitiated,
}

/// The customer on the other end.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Customer {
    pub wa_id: String,
    pub name: String,
}

/// Where a call stands.
///
/// User-initiated: `Offered → PreAccepted? → Connected → Ended`, or `Offered → Ended` (reject,
/// accept window over, caller hung up). Business-initiated: `Dialing → Ringing → Connected → Ended`,
/// or `Dialing/Ringing → Ended` (rejected, not answered, cancelled, device failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallPhase {
    /// Connect webhook sent with Meta's offer; waiting for the business.
    Offered,
    /// The business sent `pre_accept` with this answer.
    PreAccepted { answer_sdp: String },
    /// `connect` accepted; the customer's device has not produced its answer yet.
    Dialing,
    /// The customer's phone rings (connect webhook with the answer sent).
    Ringing,
    /// Media may flow; `since` is the pickup time (`start_time` of the terminate webhook).
    Connected { since: SimTime },
    /// Over.
    Ended { at: SimTime, end: CallEnd },
}

impl CallPhase {
    /// A short stable name, used in refusals and the control API.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Offered => "ringing",
            Self::PreAccepted { .. } => "pre_accepted",
            Self::Dialing => "dialing",
            Self::Ringing => "ringing",
            Self::Connected { .. } => "connected",
            Self::Ended { .. } => "ended",
        }
    }
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallEnd {
    /// Connected, then one side hung up.
    Completed,
    /// The business rejected a user-initiated call.
    RejectedByBusiness,
    /// The customer rejected a business-initiated call.
    RejectedByCustomer,
    /// The customer hung up (or cancelled) before the call connected.
    CancelledByCustomer,
    /// The business cancelled its own call before the customer answered.
    CancelledByBusiness,
    /// The business did not accept within Meta's accept window.
    AcceptWindowExpired,
    /// The customer did not answer a business-initiated call in time.
    NotAnswered,
    /// The customer's client dropped the call for lack of media (138021).
    MediaTimeout,
    /// The customer's device could not set the call up (138019).
    SetupFailed,
}

/// A call and what Meta remembers about it.
#[derive(Debug, Clone)]
pub struct Call {
    pub id: String,
    pub direction: Direction,
    pub customer: Customer,
    pub created_at: SimTime,
    pub phase: CallPhase,
    /// The business's `biz_opaque_callback_data` (from `connect` or `accept`).
    pub biz_opaque: Option<String>,
    /// The answer the business finally accepted with (user-initiated) or the customer's answer
    /// (business-initiated).
    pub answer_sdp: Option<String>,
    /// When the connected part began, kept after the call ends for the terminate webhook.
    pub connected_at: Option<SimTime>,
}

impl Call {
    pub fn is_active(&self) -> bool {
        !matches!(self.phase, CallPhase::Ended { .. })
    }
}
