//! Meta's Graph error object: `{"error": {message, type, code, error_subcode, error_data,
//! fbtrace_id, ...}}`.

use serde::{Deserialize, Serialize};

use crate::error_code::MetaErrorCode;
use crate::webhook::error::ErrorData;

/// The inner `error` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphError {
    /// Error message, e.g. "Invalid parameter".
    #[serde(default)]
    pub message: String,
    /// Exception type, e.g. `OAuthException`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// The code.
    pub code: MetaErrorCode,
    /// Sub-code, e.g. 2494010 for a bad fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_subcode: Option<u32>,
    /// Details (SDP validation reasons, next allowed call time, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_data: Option<ErrorData>,
    /// Whether retrying may help.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_transient: Option<bool>,
    /// Title for end users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_user_title: Option<String>,
    /// Message for end users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_user_msg: Option<String>,
    /// Meta's trace id (quote it to Meta support).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fbtrace_id: Option<String>,
}

impl GraphError {
    /// An error with the code's documented meaning as message and `OAuthException` type.
    pub fn new(code: MetaErrorCode, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            error_type: Some("OAuthException".to_owned()),
            code,
            error_subcode: None,
            error_data: None,
            is_transient: Some(false),
            error_user_title: None,
            error_user_msg: None,
            fbtrace_id: None,
        }
    }

    /// Adds `error_data.details` (with `messaging_product: whatsapp`, as Meta does).
    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.error_data = Some(ErrorData {
            details: Some(details.into()),
            messaging_product: Some("whatsapp".to_owned()),
        });
        self
    }

    /// Adds `error_subcode`.
    pub fn with_subcode(mut self, subcode: u32) -> Self {
        self.error_subcode = Some(subcode);
        self
    }

    /// Adds `fbtrace_id`.
    pub fn with_fbtrace_id(mut self, id: impl Into<String>) -> Self {
        self.fbtrace_id = Some(id.into());
        self
    }

    /// `error_data.details`, if any.
    pub fn details(&self) -> Option<&str> {
        self.error_data
            .as_ref()
            .and_then(|data| data.details.as_deref())
    }

    /// The HTTP status Meta uses for this code (400 when unknown).
    pub fn http_status(&self) -> u16 {
        self.code.http_status().unwrap_or(400)
    }
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Meta error {}: {}", self.code, self.message)?;
        if let Some(subcode) = self.error_subcode {
            write!(f, " (subcode {subcode})")?;
        }
        if let Some(details) = self.details() {
            write!(f, ": {details}")?;
        }
        if let Some(trace) = &self.fbtrace_id {
            write!(f, " [fbtrace_id {trace}]")?;
        }
        Ok(())
    }
}

/// The whole error response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphErrorBody {
    /// The error.
    pub error: GraphError,
}

impl From<GraphError> for GraphErrorBody {
    fn from(error: GraphError) -> Self {
        Self { error }
    }
}
