//! The tray icon: presence and connection in its tooltip; presence, answer, hang up and mute
//! as quick actions; show the main window; quit.

use crate::engine::Engine;
use crate::error::CommandError;
use crate::model::{ChosenPresence, ConnectionState, Notice, Presence};
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};

const TRAY_ID: &str = "ringdesk-tray";
const AVAILABLE: &str = "presence-available";
const AWAY: &str = "presence-away";
const OFFLINE: &str = "presence-offline";
const ANSWER: &str = "answer";
const HANG_UP: &str = "hang-up";
const TOGGLE_MUTE: &str = "toggle-mute";
const SHOW: &str = "show";
const QUIT: &str = "quit";

pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let menu = Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, AVAILABLE, "Available", true, None::<&str>)?,
            &MenuItem::with_id(app, AWAY, "Away", true, None::<&str>)?,
            &MenuItem::with_id(app, OFFLINE, "Offline", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, ANSWER, "Answer call", true, None::<&str>)?,
            &MenuItem::with_id(app, HANG_UP, "Hang up", true, None::<&str>)?,
            &MenuItem::with_id(app, TOGGLE_MUTE, "Mute / unmute", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, SHOW, "Show Ringdesk", true, None::<&str>)?,
            &MenuItem::with_id(app, QUIT, "Quit Ringdesk", true, None::<&str>)?,
        ],
    )?;
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip(tooltip(None, ConnectionState::Disconnected))
        .menu(&menu)
        .on_menu_event(on_menu_event);
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

/// Shows the agent's presence and connection in the tray's tooltip.
pub fn show_status(app: &AppHandle, presence: Option<Presence>, connection: ConnectionState) {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        if let Err(error) = tray.set_tooltip(Some(tooltip(presence, connection))) {
            tracing::debug!(%error, "could not update the tray tooltip");
        }
    }
}

/// "Ringdesk — Available", "Ringdesk — Busy (reconnecting)", "Ringdesk — signed out".
fn tooltip(presence: Option<Presence>, connection: ConnectionState) -> String {
    let Some(presence) = presence else {
        return "Ringdesk — signed out".to_owned();
    };
    let presence = match presence {
        Presence::Available => "Available",
        Presence::Away => "Away",
        Presence::Offline => "Offline",
        Presence::Busy => "Busy",
    };
    match connection {
        ConnectionState::Connected => format!("Ringdesk — {presence}"),
        ConnectionState::Connecting => format!("Ringdesk — {presence} (connecting)"),
        ConnectionState::Reconnecting => format!("Ringdesk — {presence} (reconnecting)"),
        ConnectionState::Disconnected => format!("Ringdesk — {presence} (disconnected)"),
    }
}

/// Maps a tray menu id to the presence it selects, if it is a presence item.
fn presence_for(id: &str) -> Option<ChosenPresence> {
    match id {
        AVAILABLE => Some(ChosenPresence::Available),
        AWAY => Some(ChosenPresence::Away),
        OFFLINE => Some(ChosenPresence::Offline),
        _ => None,
    }
}

fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    let id = event.id().as_ref().to_owned();
    match id.as_str() {
        SHOW => crate::windows::show_main(app),
        QUIT => app.exit(0),
        _ => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let engine = app.state::<Engine>();
                let result = match (presence_for(&id), id.as_str()) {
                    (Some(presence), _) => engine.set_presence(&app, presence).await,
                    (None, ANSWER) => engine.answer_first_ringing().await,
                    (None, HANG_UP) => engine.hang_up_active().await,
                    (None, TOGGLE_MUTE) => engine.toggle_mute().await,
                    _ => Ok(()),
                };
                if let Err(error) = result {
                    refused(&app, &error);
                }
            });
        }
    }
}

/// A quick action (tray or shortcut) that could not be done says why, in the app.
pub fn refused(app: &AppHandle, error: &CommandError) {
    crate::session::notify(
        app,
        Notice {
            code: error.code().to_owned(),
            message: error.to_string(),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_items_map_to_presences_and_others_do_not() {
        assert_eq!(presence_for(AWAY), Some(ChosenPresence::Away));
        assert_eq!(presence_for(AVAILABLE), Some(ChosenPresence::Available));
        assert_eq!(presence_for(OFFLINE), Some(ChosenPresence::Offline));
        assert_eq!(presence_for(QUIT), None);
        assert_eq!(presence_for(ANSWER), None);
    }

    #[test]
    fn the_tooltip_says_presence_and_connection() {
        assert_eq!(
            tooltip(Some(Presence::Available), ConnectionState::Connected),
            "Ringdesk — Available"
        );
        assert_eq!(
            tooltip(Some(Presence::Busy), ConnectionState::Reconnecting),
            "Ringdesk — Busy (reconnecting)"
        );
        assert_eq!(
            tooltip(None, ConnectionState::Disconnected),
            "Ringdesk — signed out"
        );
    }
}
