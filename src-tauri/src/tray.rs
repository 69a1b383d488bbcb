//! The tray icon: presence quick actions, show the main window, quit.

use crate::agent_state::AgentState;
use crate::events;
use crate::model::{ChosenPresence, CoreEvent};
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};

const AVAILABLE: &str = "presence-available";
const AWAY: &str = "presence-away";
const OFFLINE: &str = "presence-offline";
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
            &MenuItem::with_id(app, SHOW, "Show Ringdesk", true, None::<&str>)?,
            &MenuItem::with_id(app, QUIT, "Quit Ringdesk", true, None::<&str>)?,
        ],
    )?;
    let mut tray = TrayIconBuilder::with_id("ringdesk-tray")
        .tooltip("Ringdesk")
        .menu(&menu)
        .on_menu_event(on_menu_event);
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
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
    let id = event.id().as_ref();
    if let Some(presence) = presence_for(id) {
        match app.state::<AgentState>().set_presence(presence) {
            Ok(presence) => events::emit(app, &CoreEvent::PresenceChanged { presence }),
            Err(error) => {
                tracing::info!(code = error.code(), "tray presence change refused");
                crate::windows::show_main(app);
            }
        }
    } else if id == SHOW {
        crate::windows::show_main(app);
    } else if id == QUIT {
        app.exit(0);
    }
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
        assert_eq!(presence_for(SHOW), None);
    }
}
