//! The commands the UI invokes (names match ui/src/backend/tauri.ts). Each is a few lines;
//! call handling answers `no_such_call` until the `softphone` engine is wired in, because
//! without it no call can ring or be in progress.

use crate::agent_state::AgentState;
use crate::error::CommandError;
use crate::events::{self, PopupCalls};
use crate::model::{
    AudioDevice, ChosenPresence, ConnectionState, CoreEvent, DeviceKind, Session, SignInRequest,
};
use protocol::rest::{CallQuery, CallRecord};
use tauri::{AppHandle, State};

type CommandResult<T> = Result<T, CommandError>;

#[tauri::command]
pub fn current_session(state: State<'_, AgentState>) -> Option<Session> {
    state.current_session()
}

#[tauri::command]
pub fn sign_in(
    app: AppHandle,
    state: State<'_, AgentState>,
    request: SignInRequest,
) -> CommandResult<Session> {
    let session = state.sign_in(&request)?;
    // No engine yet, so no WebSocket: say so rather than pretend to be connected.
    events::emit(
        &app,
        &CoreEvent::ConnectionChanged {
            state: ConnectionState::Disconnected,
        },
    );
    Ok(session)
}

#[tauri::command]
pub fn sign_out(app: AppHandle, state: State<'_, AgentState>, ringing: State<'_, PopupCalls>) {
    state.sign_out();
    let must_hide = ringing
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clear();
    if must_hide {
        crate::windows::set_popup_visible(&app, false);
    }
    events::emit(
        &app,
        &CoreEvent::ConnectionChanged {
            state: ConnectionState::Disconnected,
        },
    );
}

#[tauri::command]
pub fn set_presence(
    app: AppHandle,
    state: State<'_, AgentState>,
    presence: ChosenPresence,
) -> CommandResult<()> {
    let presence = state.set_presence(presence)?;
    events::emit(&app, &CoreEvent::PresenceChanged { presence });
    Ok(())
}

#[tauri::command]
pub fn accept_call(state: State<'_, AgentState>, call_id: String) -> CommandResult<()> {
    no_call_yet(&state, &call_id)
}

#[tauri::command]
pub fn reject_call(state: State<'_, AgentState>, call_id: String) -> CommandResult<()> {
    no_call_yet(&state, &call_id)
}

#[tauri::command]
pub fn hang_up(state: State<'_, AgentState>, call_id: String) -> CommandResult<()> {
    no_call_yet(&state, &call_id)
}

#[tauri::command]
pub fn set_muted(state: State<'_, AgentState>, call_id: String, muted: bool) -> CommandResult<()> {
    tracing::debug!(muted, "mute requested");
    no_call_yet(&state, &call_id)
}

#[tauri::command]
pub fn list_devices(state: State<'_, AgentState>) -> CommandResult<Vec<AudioDevice>> {
    state.require_session()?;
    Ok(Vec::new())
}

#[tauri::command]
pub fn select_device(
    state: State<'_, AgentState>,
    kind: DeviceKind,
    device_id: String,
) -> CommandResult<()> {
    state.require_session()?;
    tracing::debug!(?kind, %device_id, "device selection requested");
    Err(CommandError::NoSuchDevice)
}

#[tauri::command]
pub fn call_history(
    state: State<'_, AgentState>,
    query: CallQuery,
) -> CommandResult<Vec<CallRecord>> {
    state.require_session()?;
    tracing::debug!(status = ?query.status, "history requested");
    Err(CommandError::EngineUnavailable)
}

fn no_call_yet(state: &AgentState, call_id: &str) -> CommandResult<()> {
    state.require_session()?;
    tracing::debug!(%call_id, "call command without an engine");
    Err(CommandError::NoSuchCall)
}
