//! The commands the UI invokes (names match ui/src/backend/tauri.ts). Each is a few lines over
//! `AgentState` (who is signed in), `Engine` (the softphone) and the ring/mic-test devices.

use crate::agent_state::{AgentState, Credentials};
use crate::demo::{self, DemoConfig};
use crate::devices;
use crate::engine::Engine;
use crate::error::CommandError;
use crate::events;
use crate::mic_test::MicTest;
use crate::model::{
    AppInfo, AudioDevice, ChosenPresence, CoreEvent, DeviceKind, Session, SignInRequest,
};
use crate::ringtone::Ringer;
use crate::session;
use protocol::rest::{CallQuery, CallRecord, Conversation, KpiReport};
use tauri::{AppHandle, Manager, State};

type CommandResult<T> = Result<T, CommandError>;

#[tauri::command]
pub async fn current_session(app: AppHandle) -> CommandResult<Option<Session>> {
    session::restore_once(&app).await;
    session::catch_up(&app);
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

#[tauri::command]
pub async fn set_presence(app: AppHandle, presence: ChosenPresence) -> CommandResult<()> {
    app.state::<AgentState>().require_session()?;
    app.state::<Engine>().set_presence(&app, presence).await
}

#[tauri::command]
pub async fn accept_call(engine: State<'_, Engine>, call_id: String) -> CommandResult<()> {
    engine.accept(&call_id).await
}

#[tauri::command]
pub async fn reject_call(engine: State<'_, Engine>, call_id: String) -> CommandResult<()> {
    engine.reject(&call_id).await
}

#[tauri::command]
pub async fn hang_up(engine: State<'_, Engine>, call_id: String) -> CommandResult<()> {
    engine.hang_up(&call_id).await
}

#[tauri::command]
pub async fn set_muted(
    engine: State<'_, Engine>,
    call_id: String,
    muted: bool,
) -> CommandResult<()> {
    engine.set_muted(&call_id, muted).await
}

#[tauri::command]
pub async fn list_devices(app: AppHandle) -> CommandResult<Vec<AudioDevice>> {
    app.state::<AgentState>().require_session()?;
    current_devices(&app).await
}

#[tauri::command]
pub async fn select_device(
    app: AppHandle,
    kind: DeviceKind,
    device_id: String,
) -> CommandResult<()> {
    if !devices::exists(&current_devices(&app).await?, kind, &device_id) {
        return Err(CommandError::NoSuchDevice);
    }
    let name = devices::chosen_name(&device_id);
    app.state::<Engine>()
        .select_device(kind, name.as_deref())
        .await?;
    app.state::<AgentState>().select_device(kind, name.clone());
    if kind == DeviceKind::Ring && events::is_ringing(&app) {
        app.state::<Ringer>().ring(name);
    }
    let devices = current_devices(&app).await?;
    events::emit(&app, &CoreEvent::DevicesChanged { devices });
    Ok(())
}

#[tauri::command]
pub async fn call_history(app: AppHandle, query: CallQuery) -> CommandResult<Vec<CallRecord>> {
    let credentials = app.state::<AgentState>().credentials()?;
    let token = credentials.token.expose();
    softphone::phone::call_history(&credentials.link()?, token, &query)
        .await
        .map_err(CommandError::Phone)
}

/// The history view `query` selects, every row, as CSV in the Downloads folder; the saved
/// file's path.
#[tauri::command]
pub async fn export_history(app: AppHandle, query: CallQuery) -> CommandResult<String> {
    let credentials = app.state::<AgentState>().credentials()?;
    let token = credentials.token.expose();
    let csv = softphone::phone::export_history_csv(&credentials.link()?, token, &query)
        .await
        .map_err(CommandError::Phone)?;
    let dir = crate::export::export_dir()
        .ok_or_else(|| CommandError::SaveFailed("no Downloads or home folder".into()))?;
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S").to_string();
    let path = crate::export::save_csv(&dir, &stamp, &csv)
        .map_err(|error| CommandError::SaveFailed(format!("{}: {error}", dir.display())))?;
    Ok(path.display().to_string())
}

/// The team's daily figures (supervisors: their team; admins: everyone; agents: themself).
#[tauri::command]
pub async fn team_figures(
    app: AppHandle,
    from: String,
    to: String,
    timezone: String,
) -> CommandResult<KpiReport> {
    let credentials = app.state::<AgentState>().credentials()?;
    let token = credentials.token.expose();
    softphone::phone::team_figures(&credentials.link()?, token, &from, &to, &timezone)
        .await
        .map_err(CommandError::Phone)
}

/// A call's recording as raw bytes (an ArrayBuffer in the UI), for the history's player.
#[tauri::command]
pub async fn call_recording(
    app: AppHandle,
    call_id: String,
) -> CommandResult<tauri::ipc::Response> {
    let credentials = app.state::<AgentState>().credentials()?;
    let token = credentials.token.expose();
    softphone::phone::call_recording(&credentials.link()?, token, &call_id)
        .await
        .map(tauri::ipc::Response::new)
        .map_err(CommandError::Phone)
}

/// The agent's inbox: their conversations with recent messages and call permission.
#[tauri::command]
pub async fn list_conversations(app: AppHandle) -> CommandResult<Vec<Conversation>> {
    let credentials = app.state::<AgentState>().credentials()?;
    app.state::<Engine>().conversations(&credentials).await
}

/// Asks the customer for call permission; the platform refuses with its reason.
#[tauri::command]
pub async fn request_permission(
    engine: State<'_, Engine>,
    conversation_id: String,
) -> CommandResult<()> {
    engine.request_permission(&conversation_id).await
}

/// A WhatsApp text to the customer (inside the 24 h window).
#[tauri::command]
pub async fn send_text(
    engine: State<'_, Engine>,
    conversation_id: String,
    text: String,
) -> CommandResult<()> {
    engine.send_text(&conversation_id, &text).await
}

/// Calls the customer; resolves with the call id once the platform placed it.
#[tauri::command]
pub async fn place_call(app: AppHandle, conversation_id: String) -> CommandResult<String> {
    let credentials = app.state::<AgentState>().credentials()?;
    app.state::<Engine>()
        .place_call(&credentials, &conversation_id)
        .await
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
    if app.state::<Engine>().on_call() {
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
    let to = demo
        .business_number
        .as_deref()
        .unwrap_or("the simulated number");
    tracing::info!(%call_id, %to, "the simulator placed a demo customer call");
    Ok(())
}

/// Lists devices off the async threads (ALSA enumeration can take a while).
async fn current_devices(app: &AppHandle) -> CommandResult<Vec<AudioDevice>> {
    let settings = app.state::<AgentState>().settings();
    let found = tauri::async_runtime::spawn_blocking(softphone::audio_io::list_devices)
        .await
        .map_err(|e| CommandError::DeviceFailed(e.to_string()))?
        .map_err(|e| CommandError::DeviceFailed(e.to_string()))?;
    Ok(devices::device_list(&found, &settings))
}
