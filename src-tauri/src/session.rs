//! Signing in and out as the app does it: keyring calls off the main thread, the engine started
//! or stopped, notices and events emitted. The decisions themselves are in `agent_state`.

use crate::agent_state::{AgentState, Credentials, Restored};
use crate::engine::Engine;
use crate::error::CommandError;
use crate::events;
use crate::mic_test::MicTest;
use crate::model::{ConnectionState, CoreEvent, Notice, Session};
use tauri::{AppHandle, Manager};
use tokio::sync::OnceCell;

/// Start-up restore runs once, whichever comes first: the app's setup or the UI asking.
#[derive(Debug, Default)]
pub struct RestoreOnce(OnceCell<()>);

/// Signs in with what the keyring (or the demo environment) holds, once per run.
pub async fn restore_once(app: &AppHandle) {
    let once = app.state::<RestoreOnce>();
    once.0
        .get_or_init(|| async {
            let state = app.clone();
            let restored =
                tauri::async_runtime::spawn_blocking(move || state.state::<AgentState>().restore())
                    .await
                    .unwrap_or(Restored::Nothing);
            match restored {
                Restored::Nothing => {}
                Restored::Failed(notice) => notify(app, notice),
                Restored::Found {
                    credentials,
                    remembered,
                } => {
                    if let Err(error) = sign_in(app, credentials, remembered).await {
                        notify(
                            app,
                            Notice {
                                code: error.code().into(),
                                message: error.to_string(),
                            },
                        );
                    }
                }
            }
        })
        .await;
}

/// Starts the engine with these credentials, then remembers them (keyring) and makes the
/// session current. `remembered`: they came from the keyring, do not write them back.
pub async fn sign_in(
    app: &AppHandle,
    credentials: Credentials,
    remembered: bool,
) -> Result<Session, CommandError> {
    if app.state::<AgentState>().current_session().is_some() {
        sign_out(app).await;
    }
    let engine = app.state::<Engine>();
    let agent_name = engine.start(app, &credentials).await?;
    let presence = engine.presence();
    let state = app.clone();
    let (session, notice) = tauri::async_runtime::spawn_blocking(move || {
        state
            .state::<AgentState>()
            .sign_in(credentials, agent_name, presence, remembered)
    })
    .await
    .map_err(|_| CommandError::EngineUnavailable)?;
    if let Some(notice) = notice {
        notify(app, notice);
    }
    Ok(session)
}

/// Stops the engine, forgets the session and the keyring entry, hides any ringing popup.
pub async fn sign_out(app: &AppHandle) {
    app.state::<Engine>().stop().await;
    app.state::<MicTest>().stop();
    let state = app.clone();
    let notice =
        tauri::async_runtime::spawn_blocking(move || state.state::<AgentState>().sign_out())
            .await
            .ok()
            .flatten();
    events::forget_ringing(app);
    events::emit(
        app,
        &CoreEvent::ConnectionChanged {
            state: ConnectionState::Disconnected,
        },
    );
    if let Some(notice) = notice {
        notify(app, notice);
    }
}

/// Tells every window something went wrong outside a command. Notices from before the UI
/// first asked for the session (start-up: keyring, shortcuts) are kept and replayed then, as
/// no window was listening yet.
pub fn notify(app: &AppHandle, notice: Notice) {
    tracing::warn!(code = %notice.code, message = %notice.message, "notice");
    app.state::<StartupNotices>().keep(&notice);
    events::emit(app, &CoreEvent::Notice { notice });
}

/// Brings a window that just started listening up to date (each asks for the session once it
/// listens): the start-up notices, and while signed in the connection, presence and calls.
pub fn catch_up(app: &AppHandle) {
    for notice in app.state::<StartupNotices>().replay() {
        events::emit(app, &CoreEvent::Notice { notice });
    }
    if app.state::<AgentState>().current_session().is_some() {
        for event in app.state::<Engine>().snapshot() {
            events::emit_to_windows(app, &event);
        }
    }
}

#[derive(Debug, Default)]
pub struct StartupNotices(std::sync::Mutex<(bool, Vec<Notice>)>);

impl StartupNotices {
    fn keep(&self, notice: &Notice) {
        let mut guard = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (ui_listening, kept) = &mut *guard;
        if !*ui_listening {
            kept.retain(|n| n.code != notice.code);
            kept.push(notice.clone());
        }
    }

    fn replay(&self) -> Vec<Notice> {
        let mut guard = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.0 = true;
        guard.1.clone()
    }
}
