//! What the shell knows about the signed-in agent until the `softphone` engine is wired in.
//! It holds no token: the token will go to the OS keyring through the engine, never here.

use crate::error::CommandError;
use crate::model::{ChosenPresence, Presence, Session, SignInRequest};
use crate::platform_url::normalize_platform_url;
use std::sync::{Mutex, MutexGuard};

#[derive(Debug, Default)]
pub struct AgentState {
    session: Mutex<Option<Session>>,
}

impl AgentState {
    pub fn current_session(&self) -> Option<Session> {
        self.lock().clone()
    }

    pub fn sign_in(&self, request: &SignInRequest) -> Result<Session, CommandError> {
        let platform_url = normalize_platform_url(&request.platform_url)?;
        if request.token.trim().is_empty() {
            return Err(CommandError::MissingToken);
        }
        let session = Session {
            platform_url,
            agent_name: "Agent".to_owned(),
            presence: Presence::Available,
            token_remembered: false,
        };
        *self.lock() = Some(session.clone());
        Ok(session)
    }

    pub fn sign_out(&self) {
        *self.lock() = None;
    }

    /// Sets the agent's chosen presence; refused while on a call (presence is then `busy`).
    pub fn set_presence(&self, presence: ChosenPresence) -> Result<Presence, CommandError> {
        let mut guard = self.lock();
        let session = guard.as_mut().ok_or(CommandError::NotSignedIn)?;
        if session.presence == Presence::Busy {
            return Err(CommandError::OnCall);
        }
        session.presence = presence.into();
        Ok(session.presence)
    }

    pub fn require_session(&self) -> Result<Session, CommandError> {
        self.current_session().ok_or(CommandError::NotSignedIn)
    }

    /// A poisoned lock only means another command panicked mid-update of a plain value:
    /// the value itself is still whole, so keep serving it.
    fn lock(&self) -> MutexGuard<'_, Option<Session>> {
        self.session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str, token: &str) -> SignInRequest {
        SignInRequest {
            platform_url: url.into(),
            token: token.into(),
        }
    }

    #[test]
    fn sign_in_normalizes_the_url_and_starts_available() {
        let state = AgentState::default();
        let session = state
            .sign_in(&request("https://calls.example.com/", "t0ken"))
            .unwrap();
        assert_eq!(session.platform_url, "https://calls.example.com");
        assert_eq!(session.presence, Presence::Available);
        assert_eq!(state.current_session(), Some(session));
    }

    #[test]
    fn sign_in_refuses_a_blank_token_and_keeps_no_session() {
        let state = AgentState::default();
        let err = state
            .sign_in(&request("https://calls.example.com", "  "))
            .unwrap_err();
        assert_eq!(err, CommandError::MissingToken);
        assert_eq!(state.current_session(), None);
    }

    #[test]
    fn presence_needs_a_session() {
        let state = AgentState::default();
        assert_eq!(
            state.set_presence(ChosenPresence::Away),
            Err(CommandError::NotSignedIn)
        );
        state
            .sign_in(&request("https://calls.example.com", "t"))
            .unwrap();
        assert_eq!(state.set_presence(ChosenPresence::Away), Ok(Presence::Away));
        state.sign_out();
        assert_eq!(state.require_session(), Err(CommandError::NotSignedIn));
    }
}
