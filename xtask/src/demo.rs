//! `cargo xtask run`: the demo on embedded defaults.
//!
//! Builds the binaries, then starts every part that exists in this checkout and says what it
//! started. Until the platform and the app exist it starts the simulator alone. Stops all the
//! parts it started when any of them exits or when interrupted (the children share our process
//! group, so Ctrl-C reaches them too).

use crate::{prerequisites, shell, ui};
use std::process::{Child, Command};

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(unknown) = args.first() {
        return Err(format!(
            "`cargo xtask run` takes no arguments (got `{unknown}`)"
        ));
    }
    prerequisites::ensure_all()?;
    ui::ensure_packages()?;
    if ui::exists() {
        ui::build()?;
    }
    shell::run(shell::cargo().args(["build", "--workspace", "--bins"]))?;
    let bin_dir = shell::target_dir().join("debug");
    let data_dir = shell::workspace_root().join(".ringdesk");
    std::fs::create_dir_all(&data_dir).map_err(|e| format!("cannot create {data_dir:?}: {e}"))?;

    let mut started: Vec<(&str, Child)> = Vec::new();
    let sim_listen = "127.0.0.1:8090";
    let platform_listen = "127.0.0.1:8080";
    let wa_sim = bin_dir.join(exe("wa-sim"));
    if wa_sim.is_file() {
        let child = Command::new(&wa_sim)
            .args(["serve", "--listen", sim_listen])
            .args([
                "--webhook-url",
                &format!("http://{platform_listen}/webhooks/whatsapp"),
            ])
            .args([
                "--app-secret",
                "demo-app-secret",
                "--access-token",
                "demo-access-token",
            ])
            .args([
                "--phone-number-id",
                "100000000000001",
                "--display-phone-number",
                "15550001111",
            ])
            .spawn()
            .map_err(|e| format!("could not start wa-sim: {e}"))?;
        println!("run: started wa-sim (Meta + customer simulator) on http://{sim_listen}");
        started.push(("wa-sim", child));
    }
    let platform = bin_dir.join(exe("ringdesk-platform"));
    if platform.is_file() {
        let child = Command::new(&platform)
            .arg("serve")
            .env("RINGDESK_LISTEN", platform_listen)
            .env(
                "RINGDESK_DATABASE_URL",
                format!("sqlite://{}/platform.db?mode=rwc", data_dir.display()),
            )
            .env("RINGDESK_GRAPH_BASE_URL", format!("http://{sim_listen}"))
            .env("RINGDESK_ACCESS_TOKEN", "demo-access-token")
            .env("RINGDESK_APP_SECRET", "demo-app-secret")
            .env("RINGDESK_PHONE_NUMBER_ID", "100000000000001")
            .env("RINGDESK_DISPLAY_PHONE_NUMBER", "15550001111")
            .spawn()
            .map_err(|e| format!("could not start ringdesk-platform: {e}"))?;
        println!("run: started ringdesk-platform on http://{platform_listen}");
        started.push(("ringdesk-platform", child));
    } else {
        println!("run: ringdesk-platform is not built in this checkout yet; not started");
    }
    if started.is_empty() {
        return Err("nothing to start: no binaries were built".into());
    }
    println!(
        "run: {} part(s) running; press Ctrl-C to stop",
        started.len()
    );
    wait_for_first_exit(started)
}

/// Waits until one child exits, then stops the others.
fn wait_for_first_exit(mut children: Vec<(&str, Child)>) -> Result<(), String> {
    loop {
        for i in 0..children.len() {
            if let Ok(Some(status)) = children[i].1.try_wait() {
                let name = children[i].0;
                for (_, other) in children.iter_mut() {
                    let _ = other.kill();
                    let _ = other.wait();
                }
                return if status.success() {
                    println!("run: {name} exited; stopped the rest");
                    Ok(())
                } else {
                    Err(format!("{name} exited with {status}; stopped the rest"))
                };
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}
