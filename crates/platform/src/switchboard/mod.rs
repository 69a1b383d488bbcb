//! The switchboard: the one task that owns live calls and agents' sockets.
//!
//! Everything that changes a call goes through its command queue: webhook events (from the
//! inbox processor), messages from the apps, connects and disconnects, and timers. Handling one
//! command at a time keeps the rules simple (no locks, no interleaving of two events of one
//! call) at the price of serialising Graph requests; at one business' scale that is fine, and
//! the ADR (docs/adr/0008-platform.md) says how to shard it if it is not.
//!
//! Every state change is written to the store before the app hears about it, so a record is
//! never behind what an agent saw.
//!
//! Shutdown: the loop stops taking commands when the shutdown signal fires (or every sender is
//! gone); live calls stay in the store as they are: on the next start ringing ones are closed as
//! missed, on-call ones are taken back (the agent's app gets them in `hello` and can hang up;
//! Meta's terminate webhook closes them).

mod app;
mod flow;
mod live;
mod permission;
mod route;
mod webhook;

pub use live::Connection;
pub use permission::reply_event;

use std::sync::Arc;

use protocol::{ClientMessage, ServerMessage};
use tokio::sync::{mpsc, oneshot, watch};
use whatsapp::webhook::WebhookEnvelope;

use crate::config::Settings;
use crate::graph::Graph;
use crate::store::agents::Agent;
use crate::store::{Store, StoreError};

use live::Live;

/// Which timer fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerKind {
    /// The ringing agent did not answer in time (or the accept window closed).
    Ring,
    /// The app did not report `media_ready` in time after `pre_accept`: accept anyway.
    MediaReady,
}

/// A request to the switchboard.
#[derive(Debug)]
pub enum Command {
    /// Apply one verified webhook body; `done` gets the outcome once it is applied and stored.
    Webhook {
        envelope: Box<WebhookEnvelope>,
        done: oneshot::Sender<Result<(), StoreError>>,
    },
    /// An agent's socket is up; the switchboard sends `hello` on `connection`.
    Connected {
        agent: Agent,
        connection: Connection,
    },
    /// An agent's socket closed.
    Disconnected {
        agent_id: String,
        connection_id: u64,
    },
    /// A message from an agent's app.
    FromApp {
        agent_id: String,
        connection_id: u64,
        message: ClientMessage,
    },
    /// A timer armed for a call fired.
    Timer {
        call_id: String,
        generation: u64,
        kind: TimerKind,
    },
}

/// A cheap, cloneable way to send commands to the switchboard.
#[derive(Debug, Clone)]
pub struct SwitchboardHandle {
    commands: mpsc::UnboundedSender<Command>,
}

impl SwitchboardHandle {
    /// Sends a command; false if the switchboard has stopped (shutdown in progress).
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }
}

/// The switchboard task's state.
pub struct Switchboard {
    store: Store,
    graph: Arc<dyn Graph>,
    settings: Arc<Settings>,
    live: Live,
    /// Ring timing for numbers missing from the settings (validated when settings load).
    ring_timing: crate::routing::RingTiming,
    /// For arming timers that come back as commands.
    commands: mpsc::UnboundedSender<Command>,
}

impl Switchboard {
    /// Creates the switchboard and its handle; run it with [`Switchboard::run`].
    pub fn new(
        store: Store,
        graph: Arc<dyn Graph>,
        settings: Arc<Settings>,
        ring_timing: crate::routing::RingTiming,
    ) -> (Self, SwitchboardHandle, mpsc::UnboundedReceiver<Command>) {
        let (commands, receiver) = mpsc::unbounded_channel();
        let handle = SwitchboardHandle {
            commands: commands.clone(),
        };
        (
            Self {
                store,
                graph,
                settings,
                live: Live::default(),
                ring_timing,
                commands,
            },
            handle,
            receiver,
        )
    }

    /// Closes records a previous run left ringing (nobody can answer them now), then handles
    /// commands until `shutdown` turns true.
    pub async fn run(
        mut self,
        mut receiver: mpsc::UnboundedReceiver<Command>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        if let Err(error) = self.close_calls_left_ringing().await {
            tracing::error!(%error, "could not close calls left ringing by the previous run");
        }
        if let Err(error) = self.resume_calls_on_call().await {
            tracing::error!(%error, "could not take back calls left on_call by the previous run");
        }
        loop {
            tokio::select! {
                command = receiver.recv() => match command {
                    Some(command) => self.handle(command).await,
                    None => break,
                },
                _ = crate::server::stopped(&mut shutdown) => break,
            }
        }
        tracing::debug!("switchboard stopped");
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Webhook { envelope, done } => {
                let outcome = self.apply_webhook(&envelope).await;
                let _ = done.send(outcome);
            }
            Command::Connected { agent, connection } => self.connected(agent, connection).await,
            Command::Disconnected {
                agent_id,
                connection_id,
            } => self.disconnected(&agent_id, connection_id).await,
            Command::FromApp {
                agent_id,
                connection_id,
                message,
            } => self.app_message(&agent_id, connection_id, message).await,
            Command::Timer {
                call_id,
                generation,
                kind,
            } => self.timer(&call_id, generation, kind).await,
        }
    }

    /// Arms a timer that comes back as [`Command::Timer`] after `after`.
    fn arm(&self, call_id: &str, generation: u64, kind: TimerKind, after: std::time::Duration) {
        let commands = self.commands.clone();
        let call_id = call_id.to_owned();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let _ = commands.send(Command::Timer {
                call_id,
                generation,
                kind,
            });
        });
    }

    fn send_to(&self, agent_id: &str, message: ServerMessage) {
        self.live.send_to(agent_id, message);
    }
}
