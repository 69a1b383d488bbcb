//! `GET /<PHONE_NUMBER_ID>/call_permissions?user_wa_id=<WA_ID>` (or `?recipient=<BSUID>`).

use serde::{Deserialize, Serialize};

use crate::timestamp::lenient_u64;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// The customer's call permission.
    pub enum PermissionStatus {
        /// No permission (also for uncallable numbers).
        NoPermission => "no_permission",
        /// Temporary (7 days).
        Temporary => "temporary",
        /// Permanent.
        Permanent => "permanent",
    }
}

wire_enum! {
    /// An action whose limits are reported.
    pub enum PermissionActionName {
        /// Sending a call permission request.
        SendCallPermissionRequest => "send_call_permission_request",
        /// Starting a business-initiated call (counts connected calls).
        StartCall => "start_call",
    }
}

/// Whom to ask about: a number or a BSUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionSubject {
    /// `user_wa_id=<number>`.
    WaId(String),
    /// `recipient=<BSUID>`.
    Recipient(String),
}

impl PermissionSubject {
    /// The query parameter (name, value).
    pub fn query_pair(&self) -> (&'static str, &str) {
        match self {
            Self::WaId(id) => ("user_wa_id", id),
            Self::Recipient(id) => ("recipient", id),
        }
    }
}

/// `permission`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    /// The status.
    pub status: PermissionStatus,
    /// Expiry (integer unix seconds), absent for permanent. The table's `expiration` is read too.
    #[serde(
        default,
        alias = "expiration",
        skip_serializing_if = "Option::is_none",
        with = "lenient_u64::option"
    )]
    pub expiration_time: Option<u64>,
}

/// One `limits[]` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionLimit {
    /// ISO 8601 duration, e.g. `PT24H`, `P7D`.
    pub time_period: String,
    /// Allowed in the period.
    #[serde(with = "lenient_u64")]
    pub max_allowed: u64,
    /// Used in the period.
    #[serde(with = "lenient_u64")]
    pub current_usage: u64,
    /// When the limit frees up (only when exhausted).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "lenient_u64::option"
    )]
    pub limit_expiration_time: Option<u64>,
}

/// One `actions[]` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionAction {
    /// Which action.
    pub action_name: PermissionActionName,
    /// Whether it may be done now.
    pub can_perform_action: bool,
    /// Its limits.
    #[serde(default)]
    pub limits: Vec<ActionLimit>,
}

/// Response of `GET /call_permissions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPermissionsResponse {
    /// `whatsapp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_product: Option<String>,
    /// The permission.
    pub permission: Permission,
    /// Per-action limits.
    #[serde(default)]
    pub actions: Vec<PermissionAction>,
}

impl CallPermissionsResponse {
    /// The entry for an action, if reported.
    pub fn action(&self, name: &PermissionActionName) -> Option<&PermissionAction> {
        self.actions
            .iter()
            .find(|action| &action.action_name == name)
    }
}
