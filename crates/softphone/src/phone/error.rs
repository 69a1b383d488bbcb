//! Why a [`super::Phone`] request (or [`super::call_history`]) did not do what was asked.

use crate::audio_io::AudioIoError;

/// Every refusal says why; none comes from a panic. [`PhoneError::code`] is the small stable
/// code the UI branches on; the message is for people and may change wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Signaling is down (reconnecting): the request was not sent.
    #[error("not connected to the platform (reconnecting); the request was not sent")]
    NotConnected,
    /// No call with this id is known to the phone (never offered, or already over).
    #[error("there is no call {0}")]
    NoSuchCall(String),
    /// The call exists but its state does not allow this (accepting an answered call...).
    #[error("cannot {action} call {call_id}: it is {phase}")]
    InvalidState {
        call_id: String,
        phase: String,
        action: &'static str,
    },
    /// The call ended while the request was being carried out.
    #[error("call {0} ended before the request completed")]
    CallEnded(String),
    /// The platform answered the request with an error (its protocol code and message).
    #[error("the platform refused the request: {message} ({code})")]
    Refused { code: String, message: String },
    /// The call's media could not be prepared, answered or connected.
    #[error("media: {0}")]
    Media(String),
    /// A sound device could not be opened.
    #[error(transparent)]
    Device(AudioIoError),
    /// The phone runs with per-call audio ([`super::AudioPlan::PerCall`]): no devices to select.
    #[error(
        "this phone was started without sound devices (per-call audio); there is nothing to select"
    )]
    NoDevices,
    /// Signaling failed in a way that is not "reconnecting" (the request could not be encoded...).
    #[error("signaling: {0}")]
    Signaling(String),
    /// The platform refused the agent token (HTTP 401): sign in again.
    #[error("the platform refused the agent token (HTTP 401): check the token")]
    Unauthorized,
    /// The configuration can never work (bad URL, bad token characters, no tokio runtime...).
    #[error("bad configuration: {0}")]
    Config(String),
    /// A REST request got an error status other than 401.
    #[error("the platform answered HTTP {status}: {message}")]
    Http {
        status: u16,
        /// The platform's error code, when the body was its `{code, message}` object.
        code: Option<String>,
        message: String,
    },
    /// The platform could not be reached over HTTP.
    #[error("cannot reach the platform: {0}")]
    Network(String),
    /// The platform's TLS certificate is not trusted (see [`crate::transport`]).
    #[error("{0}")]
    Certificate(String),
    /// Plain `http://` to another machine without the explicit "insecure" switch.
    #[error("{0}")]
    Insecure(String),
    /// The platform's answer was not what the protocol says.
    #[error("unexpected answer from the platform: {0}")]
    BadResponse(String),
    /// A value given to the phone is not valid (an empty text, a malformed id).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The agent sees no conversation with this customer (none yet, or assigned elsewhere).
    #[error("no conversation with {0} is visible to this agent (the customer must have written, and the conversation must be theirs)")]
    NoConversation(String),
    /// The phone's engine has stopped ([`super::Phone::shutdown`] or a dropped runtime).
    #[error("the phone has stopped")]
    Stopped,
}

impl PhoneError {
    /// A small stable snake_case code for the UI (the platform's own code is in
    /// [`PhoneError::Refused::code`] and [`PhoneError::Http::code`]).
    pub fn code(&self) -> &'static str {
        match self {
            PhoneError::NotConnected => "not_connected",
            PhoneError::NoConversation(_) => "no_conversation",
            PhoneError::Invalid(_) => "invalid",
            PhoneError::NoSuchCall(_) => "no_such_call",
            PhoneError::InvalidState { .. } => "invalid_state",
            PhoneError::CallEnded(_) => "call_ended",
            PhoneError::Refused { .. } => "refused",
            PhoneError::Media(_) => "media",
            PhoneError::Device(_) => "device",
            PhoneError::NoDevices => "no_devices",
            PhoneError::Signaling(_) => "signaling",
            PhoneError::Unauthorized => "unauthorized",
            PhoneError::Config(_) => "config",
            PhoneError::Http { .. } => "http",
            PhoneError::Network(_) => "network",
            PhoneError::Certificate(_) => "certificate",
            PhoneError::Insecure(_) => "insecure",
            PhoneError::BadResponse(_) => "bad_response",
            PhoneError::Stopped => "stopped",
        }
    }
}

impl From<crate::transport::LinkError> for PhoneError {
    fn from(e: crate::transport::LinkError) -> Self {
        match e {
            crate::transport::LinkError::InsecureRefused { .. } => {
                PhoneError::Insecure(e.to_string())
            }
            other => PhoneError::Config(other.to_string()),
        }
    }
}

impl From<AudioIoError> for PhoneError {
    fn from(e: AudioIoError) -> Self {
        PhoneError::Device(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio_io::Direction;

    #[test]
    fn codes_are_stable_snake_case_and_distinct() {
        let all = [
            PhoneError::NotConnected,
            PhoneError::NoSuchCall("c".into()),
            PhoneError::InvalidState {
                call_id: "c".into(),
                phase: "active".into(),
                action: "accept",
            },
            PhoneError::CallEnded("c".into()),
            PhoneError::Refused {
                code: "agent_busy".into(),
                message: "m".into(),
            },
            PhoneError::Media("m".into()),
            PhoneError::Device(AudioIoError::NoDefault(Direction::Input)),
            PhoneError::NoDevices,
            PhoneError::Signaling("s".into()),
            PhoneError::Unauthorized,
            PhoneError::Config("c".into()),
            PhoneError::Http {
                status: 500,
                code: None,
                message: "m".into(),
            },
            PhoneError::Network("n".into()),
            PhoneError::Certificate("c".into()),
            PhoneError::Insecure("i".into()),
            PhoneError::BadResponse("b".into()),
            PhoneError::Stopped,
        ];
        let codes: Vec<&str> = all.iter().map(PhoneError::code).collect();
        for code in &codes {
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
        }
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), codes.len(), "{codes:?}");
        assert_eq!(PhoneError::NotConnected.code(), "not_connected");
        assert_eq!(PhoneError::Unauthorized.code(), "unauthorized");
    }

    #[test]
    fn messages_say_why() {
        let e = PhoneError::Refused {
            code: "agent_busy".into(),
            message: "already on a call".into(),
        };
        assert!(e.to_string().contains("already on a call"), "{e}");
        assert!(PhoneError::Unauthorized.to_string().contains("401"));
        let e = PhoneError::from(AudioIoError::NotFound {
            direction: Direction::Output,
            name: "USB".into(),
        });
        assert_eq!(e.code(), "device");
        assert!(e.to_string().contains("USB"), "{e}");
    }
}
