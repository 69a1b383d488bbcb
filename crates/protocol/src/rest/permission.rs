use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{ErrorCode, PhoneNumber, Timestamp};

/// Everything the agent must see about calling one customer from one business number:
/// the permission, its expiry, whether a call or a request is allowed now (and why not),
/// and when the next request becomes possible.
///
/// It is a snapshot computed at `computed_at`. A temporary permission expires silently (Meta
/// sends nothing), so a reader compares `expires_at` with its own clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PermissionState {
    pub business_number: PhoneNumber,
    pub customer_number: PhoneNumber,
    pub status: PermissionStatus,
    /// End of a temporary permission; null otherwise.
    pub expires_at: Option<Timestamp>,
    /// May an agent call the customer now?
    pub call: Verdict,
    /// May an agent send a permission request now?
    pub request: Verdict,
    /// When the request limits next allow a request; null when a request is allowed now or
    /// when no date can be given (permanent permission, closed service window).
    pub next_request_at: Option<Timestamp>,
    /// When the customer service window closes; null when it is closed.
    pub service_window_closes_at: Option<Timestamp>,
    pub computed_at: Timestamp,
}

/// Meta's permission states (`GET /call_permissions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PermissionStatus {
    NoPermission,
    Temporary,
    Permanent,
}

/// Whether an action is allowed, and if not, why and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Allowed,
    Refused {
        code: ErrorCode,
        message: String,
        /// When the action may become allowed again, if a date can be given.
        retry_at: Option<Timestamp>,
    },
}
