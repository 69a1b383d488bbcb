//! The one event channel from the core to every window (the UI's `CORE_EVENT`).

use crate::model::CoreEvent;
use crate::popup::RingingCalls;
use crate::windows;
use std::sync::Mutex;
use tauri::{AppHandle, Emitter, Manager};

pub const CORE_EVENT: &str = "ringdesk:event";

/// The ringing calls behind the popup's visibility, kept as Tauri state.
pub type PopupCalls = Mutex<RingingCalls>;

/// Sends an event to every window, and shows or hides the popup when ringing starts or stops.
/// A window that is gone is not an error worth surfacing.
pub fn emit(app: &AppHandle, event: &CoreEvent) {
    let change = app
        .state::<PopupCalls>()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .apply(event);
    if let Some(visible) = change {
        windows::set_popup_visible(app, visible);
    }
    if let Err(error) = app.emit(CORE_EVENT, event) {
        tracing::warn!(%error, "could not deliver a core event to the windows");
    }
}
