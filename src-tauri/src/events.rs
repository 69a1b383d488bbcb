//! The one event channel from the core to every window (the UI's `CORE_EVENT`).

use crate::model::CoreEvent;
use tauri::{AppHandle, Emitter};

pub const CORE_EVENT: &str = "ringdesk:event";

/// Sends an event to every window. A window that is gone is not an error worth surfacing.
pub fn emit(app: &AppHandle, event: &CoreEvent) {
    if let Err(error) = app.emit(CORE_EVENT, event) {
        tracing::warn!(%error, "could not deliver a core event to the windows");
    }
}
