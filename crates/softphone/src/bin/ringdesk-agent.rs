//! `ringdesk-agent`: the headless Ringdesk agent (see `softphone::agent`). Events go to stdout
//! as JSON lines; logs go to stderr (`RUST_LOG`, default `warn`).

use clap::Parser;
use softphone::agent::{self, AgentOptions, Reporter};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        // A failed log write must not print to stderr again: `eprintln!` panics when stderr is
        // a closed pipe, which would kill whichever task logged (the switchboard, say).
        .log_internal_errors(false)
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let options = AgentOptions::parse();
    let reporter = Reporter::stdout();
    match agent::run(options, reporter).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // Reported already as a `refused` line.
        Err(agent::AgentError::Refused { .. }) => std::process::ExitCode::from(2),
        Err(e) => {
            // `fatal`, and the phone's own code when it has one (`unauthorized`, `certificate`…).
            let reason = match &e {
                agent::AgentError::Phone(phone) => Some(phone.code()),
                _ => None,
            };
            let line = serde_json::json!({"event": "error", "call_id": null, "code": "fatal", "reason": reason, "message": e.to_string()});
            println!("{line}");
            eprintln!("ringdesk-agent: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
