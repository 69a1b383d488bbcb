//! The call engine (`softphone::phone`) as the app runs it: one per signed-in session.
//! Until the engine lands on main, starting it only reports that there is no connection.

use crate::agent_state::Credentials;
use crate::error::CommandError;
use crate::events;
use crate::model::{ConnectionState, CoreEvent};
use tauri::AppHandle;

#[derive(Debug, Default)]
pub struct Engine {}

impl Engine {
    /// Starts the engine for these credentials; returns the agent's display name.
    pub async fn start(
        &self,
        app: &AppHandle,
        credentials: &Credentials,
    ) -> Result<String, CommandError> {
        tracing::info!(platform = %credentials.platform_url, "signing in");
        events::emit(
            app,
            &CoreEvent::ConnectionChanged {
                state: ConnectionState::Disconnected,
            },
        );
        Ok("Agent".to_owned())
    }

    /// Stops the engine, if one runs.
    pub async fn stop(&self) {}
}
