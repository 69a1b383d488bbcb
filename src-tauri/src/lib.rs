//! Ringdesk desktop app: a thin Tauri shell. Commands and events live in `commands` and
//! `events`; the engine (`softphone`) will sit behind them. `model` is the UI seam, exported
//! to TypeScript (ui/src/backend/app/) by tests/typescript.rs.

mod agent_state;
mod call_board;
mod commands;
mod credentials;
mod demo;
mod devices;
mod engine;
pub mod error;
mod events;
mod export;
mod levels;
mod mic_test;
pub mod model;
mod notification;
mod platform_url;
mod popup;
mod ringtone;
mod session;
mod settings;
mod shortcuts;
mod tray;
mod windows;

use agent_state::AgentState;
use demo::DemoConfig;
use tauri::Manager;
use tauri_plugin_window_state::StateFlags;
use tracing_subscriber::EnvFilter;

/// Starts the app; returns when it quits.
pub fn run() {
    tracing_subscriber::fmt()
        // A failed log write must not print to stderr again: `eprintln!` panics when stderr is
        // a closed pipe, which would kill whichever task logged (the switchboard, say).
        .log_internal_errors(false)
        // The WebRTC stack's ICE/DTLS chatter (a warning every 200 ms while a call rings) is
        // noise for an agent's log; RUST_LOG brings it back.
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                "info,rtc_ice=error,rtc_dtls=error,rtc=warn,webrtc=warn".into()
            }),
        )
        .init();

    let context = tauri::generate_context!("../tauri.conf.json");
    // Tauri's own app_config_dir(), known before any window can invoke a command.
    let config_dir = dirs::config_dir().map(|dir| dir.join(&context.config().identifier));
    let demo = DemoConfig::from_env(|name| std::env::var(name).ok());
    let agent = AgentState::new(
        Box::new(credentials::OsKeyring),
        settings::SettingsFile::new(config_dir),
        demo.as_ref().map(|d| d.credentials.clone()),
    );

    let result = tauri::Builder::default()
        // First, so a second launch exits before doing anything else.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            windows::show_main(app);
        }))
        .plugin(
            // Size, position and maximized state only: the main window may have been hidden to
            // the tray when the app quit, and must still open visible next time.
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(StateFlags::all() & !StateFlags::VISIBLE)
                .with_denylist(&[windows::POPUP])
                .build(),
        )
        .plugin(tauri_plugin_notification::init())
        .manage(agent)
        .manage(demo)
        .manage(session::RestoreOnce::default())
        .manage(session::StartupNotices::default())
        .manage(engine::Engine::default())
        .manage(events::PopupCalls::default())
        .manage(mic_test::MicTest::default())
        .invoke_handler(tauri::generate_handler![
            commands::current_session,
            commands::sign_in,
            commands::sign_out,
            commands::set_presence,
            commands::accept_call,
            commands::reject_call,
            commands::hang_up,
            commands::set_muted,
            commands::list_devices,
            commands::select_device,
            commands::call_history,
            commands::team_figures,
            commands::export_history,
            commands::call_recording,
            commands::app_info,
            commands::test_ringtone,
            commands::start_mic_test,
            commands::stop_mic_test,
            commands::simulate_customer_call,
            commands::list_conversations,
            commands::request_permission,
            commands::send_text,
            commands::place_call,
        ])
        .setup(|app| {
            tray::install(app.handle())?;
            shortcuts::install(app.handle());
            let handle = app.handle().clone();
            app.manage(ringtone::Ringer::spawn(move |why| {
                session::notify(
                    &handle,
                    model::Notice {
                        code: "ring_device_failed".into(),
                        message: format!("The ringtone could not play: {why}."),
                    },
                );
            }));
            if let Some(main) = app.get_webview_window(windows::MAIN) {
                windows::keep_running_on_close(&main);
            }
            // Sign in from the keyring (or the demo) without waiting for the UI: calls must
            // ring even while the main window is hidden.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move { session::restore_once(&handle).await });
            Ok(())
        })
        .run(context);

    if let Err(error) = result {
        tracing::error!(%error, "Ringdesk could not start");
        std::process::exit(1);
    }
}
