//! The app's two windows, both declared in tauri.conf.json: `ringdesk` (main) and `popup`
//! (always on top, created hidden, never focused when shown).

use tauri::{AppHandle, Manager, WebviewWindow, WindowEvent};

pub const MAIN: &str = "ringdesk";
pub const POPUP: &str = "popup";

/// Brings the main window back, e.g. for a second launch or from the tray.
pub fn show_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let shown = window
            .unminimize()
            .and_then(|()| window.show())
            .and_then(|()| window.set_focus());
        if let Err(error) = shown {
            tracing::warn!(%error, "could not show the main window");
        }
    }
}

/// Closing the main window keeps the softphone running in the tray: calls must still ring.
pub fn keep_running_on_close(window: &WebviewWindow) {
    let handle = window.clone();
    window.on_window_event(move |event| {
        if let WindowEvent::CloseRequested { api, .. } = event {
            api.prevent_close();
            if let Err(error) = handle.hide() {
                tracing::warn!(%error, "could not hide the main window");
            }
        }
    });
}
