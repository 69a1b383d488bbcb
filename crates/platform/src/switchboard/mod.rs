//! The switchboard: the driver of the [`CallMachine`](crate::calls::CallMachine), and the
//! owner of the agents' sockets.
//!
//! One task takes commands in order — webhook bodies (from the inbox processor), agents'
//! sockets coming and going and their messages, timers and Graph answers coming back — turns
//! each into machine inputs (reading what the store knows first) and runs the effects:
//!
//! 1. every store write an input caused is applied in **one transaction** (for a webhook body,
//!    together with marking it processed), retried a few times if the store fails;
//! 2. only then do messages go to agents and requests to Meta, so a record is never behind what
//!    an agent or Meta saw;
//! 3. Graph requests run **concurrently** in their own tasks (bounded by
//!    [`MAX_GRAPH_IN_FLIGHT`]); the answer comes back as a command, so a slow or failing Meta
//!    holds up only the call that waits for it, never the loop (ADR 0012);
//! 4. timers are tokio sleeps that come back as commands.
//!
//! Shutdown: the loop stops taking commands when the shutdown signal fires (or every sender is
//! gone); live calls stay in the store as they are. On the next start, calls left ringing are
//! closed as missed and rejected with Meta; on-call ones are taken back (the agent's app gets
//! them in `hello` and can hang up; Meta's terminate webhook closes them).

mod conversations;
mod facts;
mod outbox;
mod outreach;
mod quality;
mod reconcile;
pub mod revocation;
mod webhooks;

pub use outbox::{outbox, CloseReason, CloseRequests, Outbox, OutboxReceiver, OUTBOX_CAPACITY};
pub use webhooks::WebhookBody;

pub use conversations::reply_event;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use protocol::{ClientMessage, ErrorCode, ProtocolError, ServerMessage};
use tokio::sync::{mpsc, oneshot, watch, Semaphore};

use crate::calls::{CallMachine, Effect, GraphStep, Input, LeftOpen, Timer};
use crate::config::Settings;
use crate::graph::{CircuitBreaker, Graph, GraphFailure};
use crate::store::agents::Agent;
use crate::store::time::now_ms;
use crate::store::wire::timestamp;
use crate::store::{Store, StoreError, Write};

/// Graph requests in flight at once; more wait for a slot (in their own task, not the loop).
pub const MAX_GRAPH_IN_FLIGHT: usize = 64;
/// How many failed transactions a queued group of writes outlives before it is tried alone
/// and, failing alone too, given up (about this many seconds of a failing store).
pub const DEAD_LETTER_AFTER: u32 = 30;

/// One agent's live WebSocket: messages pushed here are written to the socket in order. The
/// outbox is bounded: an app that does not read gets its socket closed, never a stalled
/// switchboard or unbounded memory ([`Outbox`]).
#[derive(Debug, Clone)]
pub struct Connection {
    /// Distinguishes a replaced connection from the current one.
    pub id: u64,
    pub outbox: Outbox,
    /// Unix ms just before its token was checked: a rotation after this replaced that token.
    pub signed_in_at: i64,
}

/// A request to the switchboard.
#[derive(Debug)]
pub enum Command {
    /// Apply verified webhook bodies, every change of all of them in one transaction (group
    /// commit: one fsync for the lot) together with their inbox marks; `done` gets the
    /// outcome. An error means nothing of them was applied (the store could not be read).
    Webhooks {
        bodies: Vec<WebhookBody>,
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
    /// A timer armed by the machine is due.
    Timer(Timer),
    /// Meta answered a request the machine made (`Some(id)`: a connect's new call id).
    GraphDone {
        call_id: String,
        phone_number_id: String,
        step: GraphStep,
        result: Result<Option<String>, GraphFailure>,
    },
    /// Meta's view of a pair's call permission (see [`reconcile`]).
    PermissionFromMeta {
        phone_number_id: String,
        customer_number: String,
        result: Result<crate::permissions::Grant, GraphFailure>,
    },
    /// A permission request or text to a customer is done.
    OutreachDone(Box<outreach::OutreachDone>),
    /// These agents' tokens stopped: close their sockets (see [`revocation`]).
    Revoked { agent_ids: Vec<String> },
    /// This agent's token was replaced at `at`: close a socket signed in before it.
    TokenReplaced { agent_id: String, at: i64 },
    /// An admin changed this agent (name, role or team).
    AgentChanged(Agent),
    /// An admin changed a number's settings (already stored, and taken by Meta).
    NumberChanged(crate::config::NumberSettings),
    /// A conversation was (re)assigned: its agent's inbox gets it now.
    ConversationAssigned {
        phone_number_id: String,
        customer_number: String,
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
    ring_timing: crate::routing::RingTiming,
    /// Built in `run`, once the store has been read.
    machine: Option<CallMachine>,
    connections: HashMap<String, Connection>,
    graph_slots: Arc<Semaphore>,
    /// For timers and Graph answers that come back as commands.
    commands: mpsc::UnboundedSender<Command>,
    /// Unix ms of the loop's last turn, for `/healthz`.
    heartbeat: watch::Sender<i64>,
    /// Writes whose transaction failed, per input, oldest first, with how often they failed.
    unsaved: VecDeque<(Vec<Write>, u32)>,
    /// Permission requests on their way to Meta, per pair.
    permission_requests: outreach::InFlight,
    /// Fails requests a call waits on fast while Meta does not answer.
    breaker: Arc<Mutex<CircuitBreaker>>,
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
        let (heartbeat, _) = watch::channel(now_ms());
        (
            Self {
                store,
                graph,
                settings,
                ring_timing,
                machine: None,
                connections: HashMap::new(),
                graph_slots: Arc::new(Semaphore::new(MAX_GRAPH_IN_FLIGHT)),
                commands,
                heartbeat,
                unsaved: VecDeque::new(),
                permission_requests: outreach::InFlight::new(),
                breaker: Arc::new(Mutex::new(CircuitBreaker::default())),
            },
            handle,
            receiver,
        )
    }

    /// The loop's heartbeat (unix ms of its last turn; it turns at least every second).
    pub fn heartbeat(&self) -> watch::Receiver<i64> {
        self.heartbeat.subscribe()
    }

    /// Reads round robin's history and the calls a previous run left open, then handles
    /// commands until `shutdown` turns true.
    pub async fn run(
        mut self,
        mut receiver: mpsc::UnboundedReceiver<Command>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let last_offered = match self.store.last_offered().await {
            Ok(rows) => rows,
            Err(error) => {
                tracing::error!(%error, "could not read when agents were last rung; round robin starts afresh");
                Vec::new()
            }
        };
        self.machine = Some(CallMachine::new(
            self.settings.clone(),
            self.ring_timing,
            last_offered
                .into_iter()
                .map(|(agent, at)| (agent, timestamp(at))),
        ));
        match self.left_open().await {
            Ok(calls) => self.input(Input::Recovered(calls)).await,
            Err(error) => {
                tracing::error!(%error, "could not read the calls the previous run left open")
            }
        }
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                command = receiver.recv() => match command {
                    Some(command) => self.handle(command).await,
                    None => break,
                },
                _ = tick.tick() => self.flush().await,
                _ = crate::server::stopped(&mut shutdown) => break,
            }
            self.heartbeat.send_replace(now_ms());
        }
        tracing::debug!("switchboard stopped");
    }

    async fn left_open(&self) -> Result<Vec<LeftOpen>, StoreError> {
        let mut calls: Vec<LeftOpen> = self
            .store
            .calls_left_ringing_on()
            .await?
            .into_iter()
            .map(|(call_id, phone_number_id, accepted)| LeftOpen::Ringing {
                call_id,
                phone_number_id,
                accepted,
            })
            .collect();
        calls.extend(
            self.store
                .calls_on_call()
                .await?
                .into_iter()
                .map(LeftOpen::OnCall),
        );
        Ok(calls)
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Webhooks { bodies, done } => {
                let outcome = self.webhooks(bodies).await;
                let _ = done.send(outcome);
            }
            Command::Connected { agent, connection } => {
                let agent_id = agent.id.clone();
                let connection_id = connection.id;
                if let Some(previous) = self.connections.insert(agent_id, connection) {
                    previous
                        .outbox
                        .push(ServerMessage::Error(ProtocolError::new(
                            ErrorCode::SessionReplaced,
                            "this agent signed in on another connection; this one is closed",
                        )));
                }
                self.input(Input::AgentConnected {
                    agent,
                    connection_id,
                })
                .await;
            }
            Command::Disconnected {
                agent_id,
                connection_id,
            } => {
                if self
                    .connections
                    .get(&agent_id)
                    .is_some_and(|connection| connection.id == connection_id)
                {
                    self.connections.remove(&agent_id);
                }
                self.input(Input::AgentDisconnected {
                    agent_id,
                    connection_id,
                })
                .await;
            }
            Command::FromApp {
                agent_id,
                connection_id,
                message,
            } => self.app_message(agent_id, connection_id, message).await,
            Command::OutreachDone(done) => self.outreach_done(*done).await,
            Command::Revoked { agent_ids } => {
                for agent_id in &agent_ids {
                    self.close_revoked(agent_id, i64::MAX);
                }
            }
            Command::TokenReplaced { agent_id, at } => self.close_revoked(&agent_id, at),
            Command::AgentChanged(agent) => self.input(Input::AgentChanged(agent)).await,
            Command::ConversationAssigned {
                phone_number_id,
                customer_number,
            } => {
                self.announce_conversation(&phone_number_id, &customer_number)
                    .await
            }
            Command::NumberChanged(number) => {
                self.settings = Arc::new(self.settings.with_number(number));
                self.input(Input::SettingsChanged(self.settings.clone()))
                    .await
            }
            Command::Timer(timer) => self.input(Input::Timer(timer)).await,
            Command::PermissionFromMeta {
                phone_number_id,
                customer_number,
                result,
            } => {
                self.permission_from_meta(phone_number_id, customer_number, result)
                    .await
            }
            Command::GraphDone {
                call_id,
                phone_number_id,
                step,
                result,
            } => {
                if let (GraphStep::Connect { to, .. }, Err(failure)) = (&step, &result) {
                    if failure.meta_code() == Some(reconcile::NO_APPROVED_PERMISSION) {
                        self.ask_meta_permission(phone_number_id, to.clone());
                    }
                }
                self.input(Input::GraphDone {
                    call_id,
                    step,
                    result,
                })
                .await
            }
        }
    }

    /// A message from an app: what needs the conversation is read first.
    async fn app_message(&mut self, agent_id: String, connection_id: u64, message: ClientMessage) {
        match message {
            ClientMessage::PlaceCall(request) => {
                let conversation = match crate::conversation_view::facts(
                    &self.store,
                    &self.settings,
                    request.conversation_id.as_str(),
                )
                .await
                {
                    Ok(conversation) => conversation,
                    Err(error) => {
                        tracing::error!(%error, "conversation not readable for place_call");
                        let refusal = ProtocolError::new(
                            ErrorCode::InternalError,
                            "the platform could not read the conversation; retry",
                        );
                        return self.send_to(
                            &agent_id,
                            ServerMessage::Reply(protocol::Reply {
                                request_id: request.request_id,
                                result: protocol::ReplyResult::Error(refusal),
                            }),
                        );
                    }
                };
                self.input(Input::PlaceCall(Box::new(crate::calls::PlaceCallFacts {
                    agent_id,
                    connection_id,
                    request_id: request.request_id,
                    offer: request.sdp_offer,
                    conversation,
                })))
                .await
            }
            ClientMessage::RequestPermission(request) => {
                self.outreach(
                    agent_id,
                    connection_id,
                    request.request_id,
                    request.conversation_id.as_str(),
                    outreach::Outreach::PermissionRequest,
                )
                .await
            }
            ClientMessage::SendText(request) => {
                self.outreach(
                    agent_id,
                    connection_id,
                    request.request_id,
                    request.conversation_id.as_str(),
                    outreach::Outreach::Text(request.text.as_str().to_owned()),
                )
                .await
            }
            ClientMessage::CallQuality(report) => {
                self.call_quality(agent_id, connection_id, report).await
            }
            message => {
                self.input(Input::FromAgent {
                    agent_id,
                    connection_id,
                    message,
                })
                .await
            }
        }
    }

    /// Whether `connection_id` is the agent's current socket.
    fn is_current(&self, agent_id: &str, connection_id: u64) -> bool {
        self.connections
            .get(agent_id)
            .is_some_and(|connection| connection.id == connection_id)
    }

    /// Feeds one input to the machine and runs its effects.
    async fn input(&mut self, input: Input) {
        let Some(machine) = self.machine.as_mut() else {
            return;
        };
        let effects = machine.handle(input, chrono::Utc::now());
        let mut writes = Vec::new();
        let mut rest = Vec::new();
        split(effects, &mut writes, &mut rest);
        self.commit(writes).await;
        self.run_effects(rest).await;
    }

    /// Queues the writes of one input and applies everything queued in one transaction.
    /// A failed transaction leaves the writes queued, in order, for the next input or the
    /// next tick: the loop never sleeps on the store, and what the machine decided is carried
    /// out meanwhile (the record catches up). A group that still fails on its own after
    /// [`DEAD_LETTER_AFTER`] tries is given up, with its inbox body marked with the error.
    async fn commit(&mut self, writes: Vec<Write>) {
        if !writes.is_empty() {
            self.unsaved.push_back((writes, 0));
        }
        self.flush().await;
    }

    async fn flush(&mut self) {
        if self.unsaved.is_empty() {
            return;
        }
        let all: Vec<Write> = self
            .unsaved
            .iter()
            .flat_map(|(group, _)| group.iter().cloned())
            .collect();
        match self.store.apply(&all).await {
            Ok(changed) => {
                self.unsaved.clear();
                self.announce(&all, &changed).await;
            }
            Err(error) => {
                tracing::warn!(%error, queued = self.unsaved.len(), "store transaction failed; kept for the next try");
                for (_, attempts) in self.unsaved.iter_mut() {
                    *attempts += 1;
                }
                let worn_out = self
                    .unsaved
                    .front()
                    .is_some_and(|(_, attempts)| *attempts >= DEAD_LETTER_AFTER);
                if worn_out {
                    self.try_first_alone().await;
                }
            }
        }
    }

    /// The oldest queued group alone: stored, or given up (dead-lettered) if it fails alone.
    async fn try_first_alone(&mut self) {
        let Some((group, _)) = self.unsaved.pop_front() else {
            return;
        };
        match self.store.apply(&group).await {
            Ok(changed) => self.announce(&group, &changed).await,
            Err(error) => {
                tracing::error!(%error, writes = ?group, "writes given up after repeated store failures");
                for write in &group {
                    if let Write::InboxDone { id, .. } = write {
                        let reason =
                            format!("dead-lettered: its changes could not be stored: {error}");
                        if let Err(error) = self.store.inbox_done(id, Some(&reason)).await {
                            tracing::error!(inbox_id = id, %error, "could not dead-letter the body");
                        }
                    }
                }
            }
        }
    }

    /// Tells the agents of permission facts that are new.
    async fn announce(&self, writes: &[Write], changed: &[bool]) {
        let announce: BTreeSet<(String, String)> = writes
            .iter()
            .zip(changed)
            .filter_map(|(write, changed)| match write {
                Write::AddPermissionFact {
                    phone_number_id,
                    customer_number,
                    ..
                } if *changed => Some((phone_number_id.clone(), customer_number.clone())),
                _ => None,
            })
            .collect();
        for (phone_number_id, customer_number) in announce {
            if let Err(error) = self
                .announce_permission(&phone_number_id, &customer_number)
                .await
            {
                tracing::warn!(%error, "permission change not announced");
            }
        }
    }

    /// Sends messages, starts Graph requests and arms timers (after the writes committed).
    async fn run_effects(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Store(_) => {}
                Effect::Send { agent_id, message } => self.send_to(&agent_id, message),
                Effect::Graph {
                    call_id,
                    phone_number_id,
                    step,
                } => self.start_graph(call_id, phone_number_id, step),
                Effect::Arm { timer, at } => {
                    let after = (at - chrono::Utc::now()).to_std().unwrap_or_default();
                    let commands = self.commands.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(after).await;
                        let _ = commands.send(Command::Timer(timer));
                    });
                }
            }
        }
    }

    /// Runs one Graph request in its own task; the answer comes back as a command.
    fn start_graph(&self, call_id: String, phone_number_id: String, step: GraphStep) {
        let graph = self.graph.clone();
        let slots = self.graph_slots.clone();
        let breaker = self.breaker.clone();
        let commands = self.commands.clone();
        tokio::spawn(async move {
            // Steps a call waits on fail fast while Meta is unwell; a reject or terminate is
            // always tried (it ends a call at Meta, and nothing waits on it).
            let guarded = step.awaited();
            let allowed = if guarded {
                lock(&breaker).allow(std::time::Instant::now())
            } else {
                Ok(())
            };
            let result = match (allowed, slots.acquire_owned().await) {
                (Err(reason), _) => Err(GraphFailure::Transport(reason)),
                (_, Err(_)) => Err(GraphFailure::Transport("the platform is stopping".into())),
                (Ok(()), Ok(_slot)) => {
                    let result = request(graph.as_ref(), &phone_number_id, &call_id, &step).await;
                    if guarded {
                        let unwell = result.as_ref().err().is_some_and(GraphFailure::meta_unwell);
                        lock(&breaker).record(unwell, std::time::Instant::now());
                    }
                    result
                }
            };
            if let Err(failure) = &result {
                tracing::warn!(call_id, ?step, %failure, "Graph request failed");
            }
            let _ = commands.send(Command::GraphDone {
                call_id,
                phone_number_id,
                step,
                result,
            });
        });
    }

    /// Closes the agent's socket if it signed in before `before` (with a token that no longer
    /// works): `unauthorized`, then close code 1008. Its Disconnected follows from the socket
    /// task.
    fn close_revoked(&self, agent_id: &str, before: i64) {
        let Some(connection) = self
            .connections
            .get(agent_id)
            .filter(|connection| connection.signed_in_at < before)
        else {
            return;
        };
        connection
            .outbox
            .push(ServerMessage::Error(ProtocolError::new(
                ErrorCode::Unauthorized,
                "this agent's token was revoked or replaced; sign in again",
            )));
        if connection.outbox.close(CloseReason::TokenRevoked) {
            tracing::info!(
                agent_id,
                "closing the socket of an agent whose token stopped"
            );
        }
    }

    fn send_to(&self, agent_id: &str, message: ServerMessage) {
        if let Some(connection) = self.connections.get(agent_id) {
            // A full outbox closes that socket (its app is not reading); its Disconnected
            // follows from the socket task, like any other disconnect.
            if !connection.outbox.push(message) {
                tracing::debug!(agent_id, "message not queued for an agent's socket");
            }
        }
    }
}

/// Sends one step to Meta; `Some(id)` is a connect's new call id.
async fn request(
    graph: &dyn Graph,
    phone_number_id: &str,
    call_id: &str,
    step: &GraphStep,
) -> Result<Option<String>, GraphFailure> {
    match (step.call_action(call_id), step.message()) {
        (Some(request), _) if matches!(step, GraphStep::Connect { .. }) => graph
            .connect_call(phone_number_id, &request)
            .await
            .map(Some),
        (Some(request), _) => graph
            .call_action(phone_number_id, &request)
            .await
            .map(|()| None),
        (None, Some(message)) => graph
            .send_message(phone_number_id, &message)
            .await
            .map(|()| None),
        (None, None) => Ok(None),
    }
}

/// The breaker's lock; a panic elsewhere while holding it leaves a usable state.
fn lock(breaker: &Mutex<CircuitBreaker>) -> std::sync::MutexGuard<'_, CircuitBreaker> {
    breaker
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Store writes to one side, everything else to the other, in order.
fn split(effects: Vec<Effect>, writes: &mut Vec<Write>, rest: &mut Vec<Effect>) {
    for effect in effects {
        match effect {
            Effect::Store(write) => writes.push(write),
            other => rest.push(other),
        }
    }
}
