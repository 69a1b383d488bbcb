//! `wa-sim`: run the simulator (`serve`) or drive a running one as the customer.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use serde_json::{json, Value};

use wa_sim::clock::ManualClock;
use wa_sim::device::{AudioChoice, CustomerDevice, ScriptedDevice};
use wa_sim::phone::PhoneConfig;
use wa_sim::phone_device::PhoneDevice;
use wa_sim::rules::{LedgerLimits, RulesConfig};
use wa_sim::server::{start, ClockChoice};
use wa_sim::webhook::delivery::Quirks;
use wa_sim::webhook::{BusinessNumber, DeliveryConfig};
use wa_sim::SimConfig;

#[derive(Parser)]
#[command(
    name = "wa-sim",
    about = "Meta Cloud API calling + customer phone simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Graph API and the control API, and deliver webhooks.
    Serve(ServeArgs),
    /// The customer calls the business.
    Call {
        #[command(flatten)]
        sim: SimUrl,
        #[arg(long)]
        from: String,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        audio: AudioArgs,
        /// Hang up right after dialing.
        #[arg(long)]
        hang_up_immediately: bool,
    },
    /// The customer hangs up.
    Hangup {
        #[command(flatten)]
        sim: SimUrl,
        call_id: String,
    },
    /// The customer answers a ringing business-initiated call.
    Answer {
        #[command(flatten)]
        sim: SimUrl,
        call_id: String,
    },
    /// The customer rejects a ringing business-initiated call.
    Reject {
        #[command(flatten)]
        sim: SimUrl,
        call_id: String,
    },
    /// The customer sends a text message.
    Text {
        #[command(flatten)]
        sim: SimUrl,
        #[arg(long)]
        from: String,
        #[arg(long)]
        name: Option<String>,
        text: String,
    },
    /// The customer answers the business's call permission request.
    PermissionReply {
        #[command(flatten)]
        sim: SimUrl,
        #[arg(long)]
        from: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(value_enum)]
        answer: ReplyArg,
    },
    /// A call's state and the received audio's level and dominant frequency.
    State {
        #[command(flatten)]
        sim: SimUrl,
        call_id: String,
    },
    /// Ids of the calls in progress.
    Calls {
        #[command(flatten)]
        sim: SimUrl,
    },
    /// Move the virtual clock forward (only with `serve --manual-clock`).
    AdvanceClock {
        #[command(flatten)]
        sim: SimUrl,
        #[arg(long, default_value_t = 0)]
        seconds: u64,
        #[arg(long, default_value_t = 0)]
        hours: u64,
        #[arg(long, default_value_t = 0)]
        days: u64,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReplyArg {
    AcceptTemporary,
    AcceptPermanent,
    Reject,
}

#[derive(Args)]
struct SimUrl {
    /// Base URL of a running `wa-sim serve`.
    #[arg(
        long = "sim",
        env = "WA_SIM_URL",
        default_value = "http://127.0.0.1:8090"
    )]
    url: String,
}

#[derive(Args)]
#[group(multiple = false)]
struct AudioArgs {
    /// Send a sine tone of this frequency.
    #[arg(long)]
    tone: Option<f64>,
    /// Send this WAV file (looped).
    #[arg(long)]
    play: Option<PathBuf>,
}

impl AudioArgs {
    fn choice(&self) -> Option<AudioChoice> {
        match (self.tone, &self.play) {
            (Some(hz), _) => Some(AudioChoice::Tone { hz }),
            (None, Some(path)) => Some(AudioChoice::Wav { path: path.clone() }),
            (None, None) => None,
        }
    }
}

#[derive(Args)]
struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: String,
    #[arg(long, env = "WA_SIM_WEBHOOK_URL")]
    webhook_url: String,
    /// Extra CA certificates (PEM) to trust for an https:// webhook URL (a test CA).
    #[arg(long, env = "WA_SIM_WEBHOOK_CA", value_name = "PEM")]
    webhook_ca: Option<std::path::PathBuf>,
    #[arg(long, env = "WA_SIM_APP_SECRET", hide_env_values = true)]
    app_secret: String,
    #[arg(long, env = "WA_SIM_ACCESS_TOKEN", hide_env_values = true)]
    access_token: String,
    #[arg(long, default_value = "100000000000001")]
    phone_number_id: String,
    #[arg(long, default_value = "15550109999")]
    display_phone_number: String,
    #[arg(long, default_value = "200000000000002")]
    waba_id: String,
    /// Seconds the business has to accept a user-initiated call.
    #[arg(long, default_value_t = 40)]
    accept_window_secs: u64,
    /// Seconds a business-initiated call rings before it counts as not answered.
    #[arg(long, default_value_t = 60)]
    ring_timeout_secs: u64,
    /// Run on a virtual clock moved by `wa-sim advance-clock`.
    #[arg(long)]
    manual_clock: bool,
    /// Start with calling disabled in the number's settings.
    #[arg(long)]
    calling_disabled: bool,
    #[arg(long, default_value_t = 20)]
    webhook_timeout_secs: u64,
    #[arg(long, default_value_t = 5)]
    webhook_max_attempts: u32,
    #[arg(long, default_value_t = 1000)]
    webhook_retry_ms: u64,
    /// Quirk: deliver every webhook twice.
    #[arg(long)]
    duplicate_webhooks: bool,
    /// Quirk: a caller who hangs up at once has the terminate delivered before the connect.
    #[arg(long)]
    terminate_before_connect: bool,
    /// Quirk: wait this long before each webhook delivery.
    #[arg(long, default_value_t = 0)]
    slow_webhook_ms: u64,
    /// Tone the customer sends when answering a business-initiated call.
    #[arg(long, default_value_t = 440.0)]
    answer_tone: f64,
    /// Run Meta's `GET` subscription handshake against the webhook URL at start-up.
    #[arg(long, env = "WA_SIM_VERIFY_TOKEN", hide_env_values = true)]
    verify_token: Option<String>,
    /// Local address(es) for the customer's phone's media (host candidates). Default 127.0.0.1.
    #[arg(long = "media-ip")]
    media_ips: Vec<std::net::IpAddr>,
    /// No WebRTC: the customer's phone answers with Meta-shaped SDPs but sends no media.
    #[arg(long)]
    no_media: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        // A failed log write must not print to stderr again: `eprintln!` panics when stderr is
        // a closed pipe, which would kill whichever task logged (the switchboard, say).
        .log_internal_errors(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Call {
            sim,
            from,
            name,
            audio,
            hang_up_immediately,
        } => {
            let audio = audio.choice().unwrap_or_default();
            print(post(&sim, "/_sim/calls", json!({ "from": from, "name": name, "audio": audio, "hang_up_immediately": hang_up_immediately })).await?)
        }
        Command::Hangup { sim, call_id } => {
            print(post(&sim, &format!("/_sim/calls/{call_id}/hangup"), json!({})).await?)
        }
        Command::Answer { sim, call_id } => {
            print(post(&sim, &format!("/_sim/calls/{call_id}/answer"), json!({})).await?)
        }
        Command::Reject { sim, call_id } => {
            print(post(&sim, &format!("/_sim/calls/{call_id}/reject"), json!({})).await?)
        }
        Command::Text {
            sim,
            from,
            name,
            text,
        } => print(
            post(
                &sim,
                "/_sim/messages",
                json!({ "from": from, "name": name, "text": text }),
            )
            .await?,
        ),
        Command::PermissionReply {
            sim,
            from,
            name,
            answer,
        } => {
            let answer = match answer {
                ReplyArg::AcceptTemporary => "accept_temporary",
                ReplyArg::AcceptPermanent => "accept_permanent",
                ReplyArg::Reject => "reject",
            };
            print(
                post(
                    &sim,
                    "/_sim/permission-replies",
                    json!({ "from": from, "name": name, "answer": answer }),
                )
                .await?,
            )
        }
        Command::State { sim, call_id } => {
            print(get(&sim, &format!("/_sim/calls/{call_id}")).await?)
        }
        Command::Calls { sim } => print(get(&sim, "/_sim/calls").await?),
        Command::AdvanceClock {
            sim,
            seconds,
            hours,
            days,
        } => {
            let total = seconds + hours * 3600 + days * 86_400;
            print(post(&sim, "/_sim/clock/advance", json!({ "seconds": total })).await?)
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = SimConfig {
        number: BusinessNumber {
            waba_id: args.waba_id,
            phone_number_id: args.phone_number_id,
            display_phone_number: args.display_phone_number,
        },
        access_token: args.access_token,
        rules: RulesConfig {
            accept_window: Duration::from_secs(args.accept_window_secs),
            ring_timeout: Duration::from_secs(args.ring_timeout_secs),
            calling_enabled: !args.calling_disabled,
            ledger: LedgerLimits::default(),
            ..RulesConfig::default()
        },
        delivery: DeliveryConfig {
            url: args.webhook_url,
            app_secret: args.app_secret,
            timeout: Duration::from_secs(args.webhook_timeout_secs),
            max_attempts: args.webhook_max_attempts,
            retry_base: Duration::from_millis(args.webhook_retry_ms),
            webhook_ca: args.webhook_ca,
        },
        quirks: Quirks {
            duplicate_webhooks: args.duplicate_webhooks,
            terminate_before_connect: args.terminate_before_connect,
            slow_webhook_ms: args.slow_webhook_ms,
        },
        default_answer_audio: AudioChoice::Tone {
            hz: args.answer_tone,
        },
        id_seed: std::process::id().into(),
    };
    // An unusable webhook CA file is refused now, not found out at the first webhook.
    wa_sim::webhook::delivery::webhook_client(
        config.delivery.timeout,
        config.delivery.webhook_ca.as_deref(),
    )
    .map_err(anyhow::Error::msg)?;
    let clock = if args.manual_clock {
        ClockChoice::Manual(ManualClock::starting_now())
    } else {
        ClockChoice::System
    };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let device: Arc<dyn CustomerDevice> = if args.no_media {
        Arc::new(ScriptedDevice)
    } else {
        let mut base = PhoneConfig::default();
        if !args.media_ips.is_empty() {
            base.bind_ips = args.media_ips;
        }
        Arc::new(PhoneDevice { base })
    };
    let running = start(listener, config, clock, device)?;
    tracing::info!(addr = %running.addr, "wa-sim serving Graph API and /_sim control API");
    // The one line on stdout: scripts and tests read the bound address from it.
    println!("wa-sim listening on {}", running.base_url());
    if let Some(token) = args.verify_token {
        let outcome = running.sim.verify_webhook(&token).await;
        if outcome.verified {
            tracing::info!("webhook endpoint verified (hub.challenge echoed)");
        } else {
            tracing::warn!(reason = ?outcome.reason, "webhook endpoint verification failed");
        }
    }
    tokio::select! {
        result = running.server => { result??; }
        _ = shutdown_signal() => {
            tracing::info!("shutting down: hanging up the customer's calls");
            running.sim.hang_up_all_legs().await;
        }
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix (how test harnesses and service managers stop us).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
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

async fn post(sim: &SimUrl, path: &str, body: Value) -> anyhow::Result<Value> {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", sim.url.trim_end_matches('/')))
        .json(&body)
        .send()
        .await
        .with_context(|| format!("cannot reach wa-sim at {}", sim.url))?;
    read(response).await
}

async fn get(sim: &SimUrl, path: &str) -> anyhow::Result<Value> {
    let response = reqwest::get(format!("{}{path}", sim.url.trim_end_matches('/')))
        .await
        .with_context(|| format!("cannot reach wa-sim at {}", sim.url))?;
    read(response).await
}

async fn read(response: reqwest::Response) -> anyhow::Result<Value> {
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .context("wa-sim answered with something other than JSON")?;
    if !status.is_success() {
        bail!("wa-sim refused ({status}): {body}");
    }
    Ok(body)
}

fn print(value: Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}
