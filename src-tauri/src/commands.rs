//! The commands the UI invokes (names match ui/src/backend/tauri.ts). Each is a few lines;
//! call handling answers `no_such_call` until the `softphone` engine is wired in, because
//! without it no call can ring or be in progress.

use crate::agent_state::{AgentState, Credentials};
use crate::demo::{self, DemoConfig};
use crate::error::CommandError;
use crate::events;
use crate::mic_test::MicTest;
use crate::model::{
    AppInfo, AudioDevice, ChosenPresence, CoreEvent, DeviceKind, Presence, Session, SignInRequest,
};
use crate::ringtone::Ringer;
use crate::session;
use protocol::rest::{CallQuery, CallRecord};
use tauri::{AppHandle, Manager, State};

type CommandResult<T> = Result<T, CommandError>;

#[tauri::command]
pub async fn current_session(app: AppHandle) -> CommandResult<Option<Session>> {
    session::restore_once(&app).await;
    Ok(app.state::<AgentState>().current_session())
}

#[tauri::command]
pub async fn sign_in(app: AppHandle, request: SignInRequest) -> CommandResult<Session> {
    let credentials = Credentials::from_request(&request)?;
    session::restore_once(&app).await;
    session::sign_in(&app, credentials, false).await
}

#[tauri::command]
pub async fn sign_out(app: AppHandle) -> CommandResult<()> {
    session::sign_out(&app).await;
    Ok(())
}

#[tauri::command]
pub fn app_info(state: State<'_, AgentState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        demo: state.is_demo(),
        shortcuts: crate::shortcuts::keys(),
    }
}

/// Rings ~3 s on the ring device; while a call rings, the ring is already playing.
#[tauri::command]
pub fn test_ringtone(app: AppHandle, ringer: State<'_, Ringer>) {
    if !events::is_ringing(&app) {
        ringer.test(app.state::<AgentState>().device(DeviceKind::Ring));
    }
}

#[tauri::command]
pub fn start_mic_test(app: AppHandle, mic: State<'_, MicTest>) -> CommandResult<()> {
    if app.state::<AgentState>().presence() == Some(Presence::Busy) {
        return Err(CommandError::CallInProgress);
    }
    let device = app.state::<AgentState>().device(DeviceKind::Input);
    let events = app.clone();
    mic.start(device, move |level| {
        events::emit(&events, &CoreEvent::MicTestLevel { level });
    })
}

#[tauri::command]
pub fn stop_mic_test(mic: State<'_, MicTest>) {
    mic.stop();
}

#[tauri::command]
pub async fn simulate_customer_call(demo: State<'_, Option<DemoConfig>>) -> CommandResult<()> {
    let demo = demo.inner().as_ref().ok_or(CommandError::NotDemo)?;
    let call_id = demo::simulate_customer_call(demo).await?;
    tracing::info!(%call_id, "the simulator placed a demo customer call");
    Ok(())
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
