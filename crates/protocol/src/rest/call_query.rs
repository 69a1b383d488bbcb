use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{AgentId, CallStatus, Direction, Timestamp};

/// Filters for the call history (`GET /api/v1/calls?status=missed&from=...`). Every filter is
/// optional; those given must all match. Which records are visible at all depends on the
/// caller's role, not on this query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CallQuery {
    /// The history tab (PRODUCT.md); none is `all`. Absent from older apps' queries.
    #[serde(default)]
    pub view: Option<HistoryView>,
    pub status: Option<CallStatus>,
    pub direction: Option<Direction>,
    /// Calls this agent was rung for or talked on.
    pub agent: Option<AgentId>,
    /// Offered at or after this instant.
    pub from: Option<Timestamp>,
    /// Offered strictly before this instant.
    pub to: Option<Timestamp>,
}

/// The history tabs of PRODUCT.md for call records (`view=` on the history API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HistoryView {
    All,
    /// Inbound calls.
    Received,
    /// Business-initiated calls.
    Outbound,
    /// Inbound calls nobody talked on: missed, rejected, refused by routing, failed.
    Missed,
}

/// Why a [`CallQuery`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallQueryError {
    #[error("the range is empty: `from` ({from}) is not before `to` ({to})")]
    EmptyRange { from: Timestamp, to: Timestamp },
}

impl CallQuery {
    /// Checks what serde cannot: that the date range is not empty.
    pub fn validate(&self) -> Result<(), CallQueryError> {
        match (self.from, self.to) {
            (Some(from), Some(to)) if from >= to => Err(CallQueryError::EmptyRange { from, to }),
            _ => Ok(()),
        }
    }
}
