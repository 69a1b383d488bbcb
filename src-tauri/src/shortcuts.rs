//! Global shortcuts: answer the ringing call, hang up, toggle mute. Registered by the Rust side
//! (the UI needs no shortcut permission). Where the desktop refuses global shortcuts (Wayland
//! without a portal, no X server, taken by another app) the app runs on and says so.

use crate::engine::Engine;
use crate::model::{Notice, ShortcutKeys};
use tauri::{AppHandle, Manager};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, ShortcutState};

pub const ANSWER: &str = "CommandOrControl+Shift+A";
pub const HANG_UP: &str = "CommandOrControl+Shift+H";
pub const TOGGLE_MUTE: &str = "CommandOrControl+Shift+M";

/// The shortcuts as the UI shows them.
pub fn keys() -> ShortcutKeys {
    ShortcutKeys {
        answer: ANSWER.to_owned(),
        hang_up: HANG_UP.to_owned(),
        toggle_mute: TOGGLE_MUTE.to_owned(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Answer,
    HangUp,
    ToggleMute,
}

/// Installs the plugin and registers the three shortcuts; what fails becomes one notice.
pub fn install(app: &AppHandle) {
    if let Err(error) = app.plugin(tauri_plugin_global_shortcut::Builder::new().build()) {
        unavailable(app, &format!("the desktop refused them ({error})"));
        return;
    }
    let mut failed = Vec::new();
    for (keys, action) in [
        (ANSWER, Action::Answer),
        (HANG_UP, Action::HangUp),
        (TOGGLE_MUTE, Action::ToggleMute),
    ] {
        let registered = app
            .global_shortcut()
            .on_shortcut(keys, move |app, _shortcut, event| {
                if event.state == ShortcutState::Pressed {
                    run(app, action);
                }
            });
        if let Err(error) = registered {
            failed.push(format!("{keys} ({error})"));
        }
    }
    if !failed.is_empty() {
        unavailable(app, &format!("could not register {}", failed.join(", ")));
    }
}

fn run(app: &AppHandle, action: Action) {
    tracing::info!(?action, "global shortcut");
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let engine = app.state::<Engine>();
        let result = match action {
            Action::Answer => engine.answer_first_ringing().await,
            Action::HangUp => engine.hang_up_active().await,
            Action::ToggleMute => engine.toggle_mute().await,
        };
        if let Err(error) = result {
            tracing::info!(code = error.code(), ?action, "shortcut had nothing to do");
        }
    });
}

fn unavailable(app: &AppHandle, why: &str) {
    crate::session::notify(
        app,
        Notice {
            code: "shortcuts_unavailable".into(),
            message: format!(
                "Global shortcuts are off: {why}. Use the buttons or the tray instead."
            ),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use tauri_plugin_global_shortcut::Shortcut;

    #[test]
    fn the_default_shortcuts_parse_and_differ() {
        let parsed: Vec<Shortcut> = [ANSWER, HANG_UP, TOGGLE_MUTE]
            .iter()
            .map(|k| k.parse().unwrap())
            .collect();
        assert_ne!(parsed[0], parsed[1]);
        assert_ne!(parsed[1], parsed[2]);
        assert_eq!(keys().answer, ANSWER);
    }
}
