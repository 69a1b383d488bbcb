//! The `session` object that carries an SDP in both directions (Graph `/calls` requests and
//! `connect` webhooks): `{"sdp_type": "offer"|"answer", "sdp": "<RFC 8866 SDP>"}`.

use serde::{Deserialize, Serialize};

use crate::wire_enum::wire_enum;

wire_enum! {
    /// Whether an SDP is an offer or an answer. Meta's parameter tables say `offer` for
    /// pre_accept/accept, but every example and production use `answer` (reference §3.2): emit
    /// `answer` there, accept either on input.
    pub enum SdpType {
        /// An SDP offer.
        Offer => "offer",
        /// An SDP answer.
        Answer => "answer",
    }
}

/// An SDP with its type, as Meta nests it under `session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Offer or answer.
    pub sdp_type: SdpType,
    /// The SDP text, CRLF line ends.
    pub sdp: String,
}

impl Session {
    /// An SDP offer.
    pub fn offer(sdp: impl Into<String>) -> Self {
        Self {
            sdp_type: SdpType::Offer,
            sdp: sdp.into(),
        }
    }

    /// An SDP answer.
    pub fn answer(sdp: impl Into<String>) -> Self {
        Self {
            sdp_type: SdpType::Answer,
            sdp: sdp.into(),
        }
    }
}
