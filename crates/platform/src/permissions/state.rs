//! The ledger as the agent sees it: the `PermissionState` DTO of the protocol.

use protocol::rest::{PermissionState, PermissionStatus, Verdict};
use protocol::Timestamp;

use super::{Grant, PermissionLedger};

impl PermissionLedger {
    /// Everything the UI shows about calling this customer, as of `now`.
    pub fn state(&self, now: Timestamp) -> PermissionState {
        let (status, expires_at) = match self.grant_at(now) {
            Grant::None => (PermissionStatus::NoPermission, None),
            Grant::Temporary { expires_at } => (PermissionStatus::Temporary, Some(expires_at)),
            Grant::Permanent => (PermissionStatus::Permanent, None),
        };
        let call = match self.can_call(now) {
            Ok(()) => Verdict::Allowed,
            Err(refusal) => Verdict::Refused {
                code: refusal.code(),
                message: refusal.to_string(),
                retry_at: refusal.retry_at(),
            },
        };
        let request = match self.can_request(now) {
            Ok(()) => Verdict::Allowed,
            Err(refusal) => Verdict::Refused {
                code: refusal.code(),
                message: refusal.to_string(),
                retry_at: refusal.retry_at(),
            },
        };
        let next_request_at = match status {
            PermissionStatus::Permanent => None,
            _ => self.next_request_at(now),
        };
        PermissionState {
            business_number: self.business_number().clone(),
            customer_number: self.customer_number().clone(),
            status,
            expires_at,
            call,
            request,
            next_request_at,
            service_window_closes_at: self.service_window_closes_at(now),
            computed_at: now,
        }
    }
}
