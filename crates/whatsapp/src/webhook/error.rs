//! The error object found in webhook `errors[]` (at `value.errors` and, in live payloads, also at
//! `calls[].errors`).

use serde::{Deserialize, Serialize};

use crate::error_code::MetaErrorCode;

/// Extra detail Meta attaches to an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorData {
    /// Human-readable detail, e.g. "Fingerprint algo is not SHA256".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Present on some Graph errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_product: Option<String>,
}

/// One entry of a webhook `errors[]` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookError {
    /// Meta's error code, e.g. 138021.
    pub code: MetaErrorCode,
    /// Short title (live payloads only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Error message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Link to Meta's documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// Extra details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_data: Option<ErrorData>,
}

impl WebhookError {
    /// An error with the code's documented meaning as title and message.
    pub fn from_code(code: MetaErrorCode) -> Self {
        Self {
            code,
            title: Some(code.meaning().to_owned()),
            message: Some(code.meaning().to_owned()),
            href: None,
            error_data: None,
        }
    }

    /// Adds `error_data.details`.
    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.error_data
            .get_or_insert_with(ErrorData::default)
            .details = Some(details.into());
        self
    }

    /// `error_data.details`, if any.
    pub fn details(&self) -> Option<&str> {
        self.error_data
            .as_ref()
            .and_then(|data| data.details.as_deref())
    }
}
