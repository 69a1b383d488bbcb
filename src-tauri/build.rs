//! Reads the root tauri.conf.json and generates the permissions for our commands, so the
//! capabilities in `capabilities/` can grant each window only the commands it uses.

/// Every `#[tauri::command]` in src/commands.rs; each gets `allow-<name>` / `deny-<name>`.
const COMMANDS: &[&str] = &[
    "current_session",
    "sign_in",
    "sign_out",
    "set_presence",
    "accept_call",
    "reject_call",
    "hang_up",
    "set_muted",
    "list_devices",
    "select_device",
    "call_history",
    "team_figures",
    "export_history",
    "call_recording",
    "app_info",
    "test_ringtone",
    "start_mic_test",
    "stop_mic_test",
    "simulate_customer_call",
    "list_conversations",
    "request_permission",
    "send_text",
    "place_call",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {error:#}");
    }
}
