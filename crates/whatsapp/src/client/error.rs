//! Errors of the Graph client; every variant says why.

use crate::error_code::MetaErrorCode;
use crate::graph::error::GraphError;

/// Why a Graph request failed. New variants may be added.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphClientError {
    /// Meta answered with its error object.
    #[error("Graph API refused the request (HTTP {status}): {error}")]
    Meta {
        /// HTTP status.
        status: u16,
        /// Meta's error (code, subcode, message, details, fbtrace_id), boxed to keep
        /// `Result`s small.
        error: Box<GraphError>,
    },
    /// A non-success status without a readable Meta error object.
    #[error("Graph API answered HTTP {status} without a Meta error object: {body}")]
    Http {
        /// HTTP status.
        status: u16,
        /// The body (truncated).
        body: String,
    },
    /// The request could not be completed (connect, timeout, connection reset).
    #[error("could not complete the Graph request after {attempts} attempt(s): {source}")]
    Transport {
        /// Attempts made.
        attempts: u32,
        /// The last transport error.
        #[source]
        source: reqwest::Error,
    },
    /// A success status whose body is not the expected JSON.
    #[error("Graph API answer could not be read as {expected}: {source}; body: {body}")]
    Decode {
        /// What was expected.
        expected: &'static str,
        /// The body (truncated).
        body: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The request was refused before sending because this method cannot handle it.
    #[error("request refused before sending: {0}")]
    Refused(String),
    /// The configuration is unusable.
    #[error("invalid Graph client configuration: {0}")]
    Config(String),
    /// An id that cannot name a Graph object.
    #[error("{what} {value:?} cannot be used in a Graph URL (empty)")]
    InvalidId {
        /// Which id.
        what: &'static str,
        /// The value.
        value: String,
    },
}

impl GraphClientError {
    /// Meta's error code, when Meta sent one.
    pub fn meta_code(&self) -> Option<MetaErrorCode> {
        match self {
            Self::Meta { error, .. } => Some(error.code),
            _ => None,
        }
    }

    /// True when the request may have reached Meta although no answer came (timeout or
    /// connection lost after sending): its effect is unknown, so a POST must not simply be
    /// repeated — for `connect`, check with Meta (webhooks) instead.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Self::Transport { source, .. } if !source.is_connect())
    }

    /// Meta's error object, when Meta sent one.
    pub fn meta_error(&self) -> Option<&GraphError> {
        match self {
            Self::Meta { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Keeps error bodies short enough for logs and messages.
pub(crate) fn truncate_body(body: &[u8]) -> String {
    const LIMIT: usize = 2048;
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}
