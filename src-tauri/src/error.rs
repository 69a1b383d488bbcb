//! The error every command returns to the UI: a stable machine `code` and a human `message`,
//! serialized as `{ "code": "...", "message": "..." }` (the UI's `BackendError`).

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CommandError {
    #[error("The platform URL is not valid: {0}.")]
    InvalidPlatformUrl(String),
    #[error("Enter your agent token.")]
    MissingToken,
    #[error("Sign in first.")]
    NotSignedIn,
    #[error("This call is no longer ringing or in progress.")]
    NoSuchCall,
    #[error("That device is not connected.")]
    NoSuchDevice,
    #[error("Presence changes after the call ends.")]
    OnCall,
    #[error("The call engine is not available in this build yet.")]
    EngineUnavailable,
    #[error("This action exists only in the demo (started by `cargo xtask run`).")]
    NotDemo,
    #[error("The demo does not know where the simulator is (RINGDESK_DEMO_SIM is not set).")]
    DemoSimMissing,
    #[error("The simulator could not place the call: {0}")]
    DemoSimFailed(String),
    #[error("The sound device could not be used: {0}")]
    DeviceFailed(String),
    #[error("Not possible during a call.")]
    CallInProgress,
    #[error("The export could not be saved: {0}")]
    SaveFailed(String),
    /// The engine refused; its code passes through (`not_connected`, `unauthorized`, ...).
    #[error("{}", sentence(.0))]
    Phone(softphone::phone::PhoneError),
}

/// The engine's messages are lower-case clauses; the UI shows sentences.
fn sentence(error: &softphone::phone::PhoneError) -> String {
    crate::call_board::sentence(&error.to_string())
}

impl CommandError {
    /// The machine code the UI matches on. Never change an existing one: add new codes instead.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidPlatformUrl(_) => "invalid_platform_url",
            Self::MissingToken => "missing_token",
            Self::NotSignedIn => "not_signed_in",
            Self::NoSuchCall => "no_such_call",
            Self::NoSuchDevice => "no_such_device",
            Self::OnCall => "on_call",
            Self::EngineUnavailable => "engine_unavailable",
            Self::NotDemo => "not_demo",
            Self::DemoSimMissing => "demo_sim_missing",
            Self::DemoSimFailed(_) => "demo_sim_failed",
            Self::DeviceFailed(_) => "device_failed",
            Self::CallInProgress => "call_in_progress",
            Self::SaveFailed(_) => "save_failed",
            Self::Phone(error) => error.code(),
        }
    }
}

impl Serialize for CommandError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("CommandError", 2)?;
        out.serialize_field("code", self.code())?;
        out.serialize_field("message", &self.to_string())?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serializes_as_code_and_message() {
        let value = serde_json::to_value(CommandError::NotSignedIn).unwrap();
        assert_eq!(
            value,
            json!({ "code": "not_signed_in", "message": "Sign in first." })
        );
    }

    #[test]
    fn message_carries_the_detail() {
        let value =
            serde_json::to_value(CommandError::InvalidPlatformUrl("no host".into())).unwrap();
        assert_eq!(value["code"], "invalid_platform_url");
        assert_eq!(value["message"], "The platform URL is not valid: no host.");
    }

    #[test]
    fn engine_errors_keep_their_code_and_read_as_sentences() {
        let error = CommandError::Phone(softphone::phone::PhoneError::NotConnected);
        let value = serde_json::to_value(&error).unwrap();
        assert_eq!(value["code"], "not_connected");
        let message = value["message"].as_str().unwrap();
        assert!(
            message.starts_with("Not connected") && message.ends_with('.'),
            "{message}"
        );
    }

    #[test]
    fn codes_are_unique_snake_case() {
        let all = [
            CommandError::InvalidPlatformUrl(String::new()),
            CommandError::MissingToken,
            CommandError::NotSignedIn,
            CommandError::NoSuchCall,
            CommandError::NoSuchDevice,
            CommandError::OnCall,
            CommandError::EngineUnavailable,
            CommandError::NotDemo,
            CommandError::DemoSimMissing,
            CommandError::DemoSimFailed(String::new()),
            CommandError::DeviceFailed(String::new()),
            CommandError::CallInProgress,
        ];
        let mut codes: Vec<&str> = all.iter().map(CommandError::code).collect();
        assert!(codes
            .iter()
            .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
