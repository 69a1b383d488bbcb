use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{
    AgentId, CallId, CallQuality, CallStatus, Channel, Customer, Direction, Party, PhoneNumber,
    RecordingId, RingAttempt, Timestamp,
};

/// One call, answered or not, as kept by the platform (PRODUCT.md "Call records").
/// (Not `Eq`: the quality summary carries measured figures.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CallRecord {
    pub id: CallId,
    pub direction: Direction,
    pub channel: Channel,
    pub business_number: PhoneNumber,
    pub customer: Customer,
    /// Every agent rung, in order, with how each ring ended. Empty for outbound calls and for
    /// inbound calls refused before ringing anyone.
    pub agents_rung: Vec<RingAttempt>,
    /// The agent who talked: the one who accepted (inbound) or placed the call (outbound).
    pub answered_by: Option<AgentId>,
    pub status: CallStatus,
    /// Who rejected, missed or ended it, once it is final.
    pub ended_by: Option<Party>,
    /// When the call reached the platform (inbound: Meta's connect; outbound: `place_call`).
    pub offered_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// Seconds from answer to end; 0 while ongoing or if it never connected.
    pub duration_secs: u32,
    /// Meta's error code, if Meta reported one (for example 138021).
    pub meta_error_code: Option<u32>,
    pub recording: Option<RecordingId>,
    /// How the call sounded, as the agent's app measured it; null until its app reported
    /// (calls that never had media have none).
    #[serde(default)]
    pub quality: Option<CallQuality>,
}
