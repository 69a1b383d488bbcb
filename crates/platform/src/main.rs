//! `ringdesk-platform`: see `platform::cli` for the commands.

use std::process::ExitCode;

use clap::Parser;
use platform::cli::{run_admin, Cli, Command};
use platform::config::Settings;
use platform::server::Platform;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        // A failed log write must not print to stderr again: `eprintln!` panics when stderr is
        // a closed pipe, which would kill whichever task logged (the switchboard, say).
        .log_internal_errors(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal; logs read by programs stay plain.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => {
            let platform = Platform::start(settings).await?;
            let died = tokio::select! {
                () = wait_for_stop_signal() => None,
                name = platform.failed() => Some(name),
            };
            tracing::info!("stopping: finishing in-flight work");
            platform.shutdown().await;
            match died {
                // Exit with an error so the service manager restarts the platform.
                Some(name) => anyhow::bail!("the platform's {name} task stopped unexpectedly"),
                None => Ok(()),
            }
        }
        command => {
            let mut stdout = std::io::stdout().lock();
            run_admin(&settings, command, &mut stdout).await?;
            Ok(())
        }
    }
}

/// Ctrl-C or SIGTERM (what service managers and containers send).
async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
