//! The app's two windows, both declared in tauri.conf.json: `ringdesk` (main) and `popup`
//! (always on top, created hidden, never focused when shown).

use crate::popup::bottom_right;
use tauri::{AppHandle, LogicalSize, Manager, PhysicalPosition, WebviewWindow, WindowEvent};

pub const MAIN: &str = "ringdesk";
pub const POPUP: &str = "popup";
/// The popup's size in tauri.conf.json.
const POPUP_SIZE: LogicalSize<u32> = LogicalSize {
    width: 380,
    height: 260,
};

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

/// Shows the popup at the bottom-right of the main window's monitor without focusing it
/// (the window is created with `focus: false`), or hides it.
pub fn set_popup_visible(app: &AppHandle, visible: bool) {
    let Some(popup) = app.get_webview_window(POPUP) else {
        return;
    };
    let result = if visible {
        place_popup(app, &popup);
        popup.show()
    } else {
        popup.hide()
    };
    if let Err(error) = result {
        tracing::warn!(%error, visible, "could not change the popup's visibility");
    }
}

fn place_popup(app: &AppHandle, popup: &WebviewWindow) {
    let monitor = app
        .get_webview_window(MAIN)
        .and_then(|main| main.current_monitor().ok().flatten())
        .or_else(|| popup.primary_monitor().ok().flatten());
    let (Some(monitor), Ok(size)) = (monitor, popup.outer_size()) else {
        return;
    };
    // A window never shown yet may report a placeholder size (1×1 on GTK): then use the size
    // tauri.conf.json gives it.
    let size = if size.width < 100 || size.height < 100 {
        POPUP_SIZE.to_physical::<u32>(monitor.scale_factor())
    } else {
        size
    };
    let area = monitor.work_area();
    let margin = (16.0 * monitor.scale_factor()).round() as u32;
    let (x, y) = bottom_right(
        (area.position.x, area.position.y),
        (area.size.width, area.size.height),
        (size.width, size.height),
        margin,
    );
    if let Err(error) = popup.set_position(PhysicalPosition::new(x, y)) {
        tracing::warn!(%error, "could not place the popup");
    }
}

/// Closing the main window keeps the softphone running in the tray: calls must still ring.
/// The agent coming back to the window (after a sleep, a network change) is also the moment to
/// stop waiting for the next reconnect attempt.
pub fn keep_running_on_close(window: &WebviewWindow) {
    let handle = window.clone();
    window.on_window_event(move |event| match event {
        WindowEvent::CloseRequested { api, .. } => {
            api.prevent_close();
            if let Err(error) = handle.hide() {
                tracing::warn!(%error, "could not hide the main window");
            }
        }
        WindowEvent::Focused(true) => {
            handle
                .app_handle()
                .state::<crate::engine::Engine>()
                .reconnect_if_waiting();
        }
        _ => {}
    });
}
