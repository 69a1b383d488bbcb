//! The one event channel from the core to every window (the UI's `CORE_EVENT`).

use crate::agent_state::AgentState;
use crate::engine::Engine;
use crate::mic_test::MicTest;
use crate::model::{CoreEvent, DeviceKind};
use crate::popup::RingingCalls;
use crate::ringtone::Ringer;
use crate::windows;
use std::sync::Mutex;
use tauri::{AppHandle, Emitter, Manager};

pub const CORE_EVENT: &str = "ringdesk:event";

/// The ringing calls behind the popup's visibility, kept as Tauri state.
pub type PopupCalls = Mutex<RingingCalls>;

/// Sends an event to every window; shows the popup and rings when a call starts ringing, hides
/// it and stops the ring when none rings any more. A window that is gone is not an error worth
/// surfacing.
pub fn emit(app: &AppHandle, event: &CoreEvent) {
    let change = app
        .state::<PopupCalls>()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .apply(event);
    if let Some(ringing) = change {
        windows::set_popup_visible(app, ringing);
        if let Some(ringer) = app.try_state::<Ringer>() {
            if ringing {
                ringer.ring(app.state::<AgentState>().device(DeviceKind::Ring));
            } else {
                ringer.stop();
            }
        }
    }
    match event {
        CoreEvent::IncomingCall { call } => crate::notification::incoming(app, call),
        CoreEvent::CallStarted { .. } => {
            // The call takes the microphone.
            if let Some(mic_test) = app.try_state::<MicTest>() {
                mic_test.stop();
            }
        }
        CoreEvent::PresenceChanged { .. } | CoreEvent::ConnectionChanged { .. } => {
            let presence = app
                .state::<AgentState>()
                .current_session()
                .map(|s| s.presence);
            let connection = app.state::<Engine>().connection();
            crate::tray::show_status(app, presence, connection);
        }
        _ => {}
    }
    if let Err(error) = app.emit(CORE_EVENT, event) {
        tracing::warn!(%error, "could not deliver a core event to the windows");
    }
}

/// Forgets every ringing call (sign-out): hides the popup and silences the ring.
pub fn forget_ringing(app: &AppHandle) {
    let was_ringing = app
        .state::<PopupCalls>()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clear();
    if was_ringing {
        windows::set_popup_visible(app, false);
    }
    if let Some(ringer) = app.try_state::<Ringer>() {
        ringer.stop();
    }
}

/// Whether a call is ringing here now.
pub fn is_ringing(app: &AppHandle) -> bool {
    app.state::<PopupCalls>()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .is_ringing()
}

/// Sends an event to the windows only (a repeat for a window catching up: the popup, ring
/// and notification already reacted the first time).
pub fn emit_to_windows(app: &AppHandle, event: &CoreEvent) {
    if let Err(error) = app.emit(CORE_EVENT, event) {
        tracing::warn!(%error, "could not deliver a core event to the windows");
    }
}
