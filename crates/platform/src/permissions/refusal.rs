//! Why a call or a permission request is refused, with the code for the wire and the date
//! from which it may be allowed.

use protocol::{ErrorCode, ProtocolError, Timestamp};

/// Why an agent may not call the customer now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallRefusal {
    #[error("the customer has not given call permission; send a permission request")]
    NoPermission,
    #[error("the customer's temporary call permission expired at {expired_at}; send a new permission request")]
    PermissionExpired { expired_at: Timestamp },
    #[error("call permission was revoked after {unanswered} unanswered calls in a row; send a new permission request")]
    RevokedAfterUnansweredCalls { unanswered: u32 },
    #[error("{limit} connected calls to this customer in 24 h is the maximum; the next call is possible at {retry_at}")]
    ConnectedCallLimit { limit: usize, retry_at: Timestamp },
}

impl CallRefusal {
    pub fn code(&self) -> ErrorCode {
        match self {
            CallRefusal::NoPermission
            | CallRefusal::PermissionExpired { .. }
            | CallRefusal::RevokedAfterUnansweredCalls { .. } => ErrorCode::NoCallPermission,
            CallRefusal::ConnectedCallLimit { .. } => ErrorCode::ConnectedCallLimitReached,
        }
    }

    /// When calling becomes possible without anything else happening, if ever.
    pub fn retry_at(&self) -> Option<Timestamp> {
        match self {
            CallRefusal::ConnectedCallLimit { retry_at, .. } => Some(*retry_at),
            _ => None,
        }
    }

    pub fn to_protocol_error(&self) -> ProtocolError {
        with_retry(
            ProtocolError::new(self.code(), self.to_string()),
            self.retry_at(),
        )
    }
}

/// Why an agent may not send the customer a permission request now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestRefusal {
    #[error("the customer has given permanent call permission; no request is needed or allowed")]
    PermanentPermissionExists,
    #[error("the customer service window is closed: a request is possible only within 24 h of the customer's last message or call")]
    ServiceWindowClosed,
    #[error(
        "{limit} permission request(s) per 24 h is the maximum; the next is possible at {retry_at}"
    )]
    DailyRequestLimit { limit: usize, retry_at: Timestamp },
    #[error(
        "{limit} permission requests per 7 days is the maximum; the next is possible at {retry_at}"
    )]
    WeeklyRequestLimit { limit: usize, retry_at: Timestamp },
}

impl RequestRefusal {
    pub fn code(&self) -> ErrorCode {
        match self {
            RequestRefusal::PermanentPermissionExists => ErrorCode::PermanentPermissionExists,
            RequestRefusal::ServiceWindowClosed => ErrorCode::CustomerServiceWindowClosed,
            RequestRefusal::DailyRequestLimit { .. }
            | RequestRefusal::WeeklyRequestLimit { .. } => ErrorCode::PermissionRequestLimitReached,
        }
    }

    /// When a request becomes possible without anything else happening, if ever.
    pub fn retry_at(&self) -> Option<Timestamp> {
        match self {
            RequestRefusal::DailyRequestLimit { retry_at, .. }
            | RequestRefusal::WeeklyRequestLimit { retry_at, .. } => Some(*retry_at),
            _ => None,
        }
    }

    pub fn to_protocol_error(&self) -> ProtocolError {
        with_retry(
            ProtocolError::new(self.code(), self.to_string()),
            self.retry_at(),
        )
    }
}

fn with_retry(error: ProtocolError, retry_at: Option<Timestamp>) -> ProtocolError {
    match retry_at {
        Some(at) => error.retry_at(at),
        None => error,
    }
}
