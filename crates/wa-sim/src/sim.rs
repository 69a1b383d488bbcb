//! The driver: owns the rules, the clock, the customer's call legs and the webhook queue, and
//! turns requests (Graph API, control API) into rule operations and their effects.
//!
//! Invariants: the rules lock is never held across an `.await`; every event the rules return is
//! queued for delivery exactly once (quirks may duplicate or reorder at delivery); a terminate
//! event always hangs up that call's leg.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Notify;

use crate::clock::{Clock, ManualClock, SimTime};
use crate::device::{AudioChoice, CustomerDevice, CustomerLeg, LegEvent, LegStats, NewLeg};
use crate::rules::{
    CallEnd, CallPhase, Customer, Direction, Event, MetaRules, PermissionAnswer, Refusal,
    RulesConfig,
};
use crate::webhook::delivery::Quirks;
use crate::webhook::{render, BusinessNumber, DeliveryConfig, DeliveryLog, WebhookSender};

/// Everything `wa-sim serve` is configured with.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub number: BusinessNumber,
    pub access_token: String,
    pub rules: RulesConfig,
    pub delivery: DeliveryConfig,
    pub quirks: Quirks,
    /// Audio the customer sends when answering a business-initiated call without choosing.
    pub default_answer_audio: AudioChoice,
    pub id_seed: u64,
}

/// A call's leg on the customer's phone. Kept after the call ends so its stats stay readable.
struct LegEntry {
    leg: Arc<dyn CustomerLeg>,
    answer_applied: bool,
}

struct Inner {
    config: SimConfig,
    rules: Mutex<MetaRules>,
    clock: Arc<dyn Clock>,
    manual: Option<ManualClock>,
    device: Arc<dyn CustomerDevice>,
    legs: Mutex<HashMap<String, LegEntry>>,
    webhooks: WebhookSender,
    quirks: Arc<Mutex<Quirks>>,
    /// Wakes the timer task: state changed, so the next deadline may have too.
    wake: Arc<Notify>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.wake.notify_one();
    }
}

/// A call as the control API reports it.
#[derive(Debug, Clone, Serialize)]
pub struct CallReport {
    pub call_id: String,
    pub direction: Direction,
    pub state: &'static str,
    pub end: Option<CallEnd>,
    pub customer: Customer,
    pub created_at: u64,
    pub connected_at: Option<u64>,
    pub ended_at: Option<u64>,
    pub duration: Option<u64>,
    pub audio: LegStats,
}

/// Why a control request could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("the clock is the system clock; start wa-sim with --manual-clock to advance it")]
    ClockNotManual,
    #[error("the customer's phone failed: {0}")]
    Device(#[from] crate::device::DeviceError),
}

/// The running simulator (cheap to clone).
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

impl Simulator {
    /// Starts the simulator's background tasks (webhook delivery, timers) on the current runtime.
    pub fn start(
        config: SimConfig,
        clock: Arc<dyn Clock>,
        manual: Option<ManualClock>,
        device: Arc<dyn CustomerDevice>,
    ) -> Self {
        let quirks = Arc::new(Mutex::new(config.quirks.clone()));
        let webhooks = WebhookSender::spawn(config.delivery.clone(), quirks.clone());
        let rules = MetaRules::new(config.rules.clone(), config.id_seed);
        let sim = Self {
            inner: Arc::new(Inner {
                config,
                rules: Mutex::new(rules),
                clock,
                manual,
                device,
                legs: Mutex::default(),
                webhooks,
                quirks,
                wake: Arc::new(Notify::new()),
            }),
        };
        tokio::spawn(run_timers(
            Arc::downgrade(&sim.inner),
            sim.inner.wake.clone(),
        ));
        sim
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    pub fn now(&self) -> SimTime {
        self.inner.clock.now()
    }

    /// Locks the rules. Never hold the guard across an `.await`.
    pub fn rules(&self) -> MutexGuard<'_, MetaRules> {
        self.inner.rules.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn legs(&self) -> MutexGuard<'_, HashMap<String, LegEntry>> {
        self.inner.legs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn leg(&self, call_id: &str) -> Option<Arc<dyn CustomerLeg>> {
        self.legs().get(call_id).map(|e| e.leg.clone())
    }

    pub fn webhook_log(&self) -> DeliveryLog {
        self.inner.webhooks.log()
    }

    pub fn quirks(&self) -> Quirks {
        self.inner
            .quirks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_quirks(&self, quirks: Quirks) {
        *self.inner.quirks.lock().unwrap_or_else(|e| e.into_inner()) = quirks;
    }

    /// Queues `events` as webhooks and hangs up the legs of ended calls. Also wakes the timers,
    /// since whatever produced the events may have changed the next deadline.
    pub fn emit(&self, events: Vec<Event>) {
        let number = &self.inner.config.number;
        for event in &events {
            self.inner
                .webhooks
                .send(&render(number, event), event.field(), event.call_id());
            if let Event::Terminate { call, .. } = event {
                if let Some(leg) = self.leg(&call.id) {
                    tokio::spawn(async move { leg.hang_up().await });
                }
            }
        }
        self.inner.wake.notify_one();
    }

    /// Hangs up every leg on the customer's phone (shutdown), so peer connections close cleanly.
    pub async fn hang_up_all_legs(&self) {
        let legs: Vec<Arc<dyn CustomerLeg>> = self.legs().values().map(|e| e.leg.clone()).collect();
        for leg in legs {
            leg.hang_up().await;
        }
    }

    /// Meta's `GET` subscription handshake against the webhook URL.
    pub async fn verify_webhook(
        &self,
        verify_token: &str,
    ) -> crate::webhook::verify::VerificationOutcome {
        let challenge = self.now().as_millis().to_string();
        let delivery = &self.inner.config.delivery;
        crate::webhook::verify::verify_endpoint(
            &delivery.url,
            verify_token,
            &challenge,
            delivery.timeout,
            delivery.webhook_ca.as_deref(),
        )
        .await
    }

    /// Moves a manual clock forward and runs what fell due.
    pub fn advance_clock(&self, by: Duration) -> Result<SimTime, ControlError> {
        let manual = self
            .inner
            .manual
            .as_ref()
            .ok_or(ControlError::ClockNotManual)?;
        let now = manual.advance(by);
        let events = self.rules().tick(now);
        self.emit(events);
        Ok(now)
    }

    // ---- the customer's side -----------------------------------------------------------

    /// The customer calls the business. With `hang_up_immediately` the caller gives up at once,
    /// and with the `terminate_before_connect` quirk the terminate webhook overtakes the connect.
    pub async fn customer_calls(
        &self,
        customer: Customer,
        audio: AudioChoice,
        hang_up_immediately: bool,
    ) -> Result<String, ControlError> {
        let NewLeg { leg, sdp, events } = self.inner.device.offer(&audio).await?;
        let now = self.now();
        let result = self.rules().customer_calls(now, customer, sdp);
        let (call_id, mut webhooks) = match result {
            Ok(ok) => ok,
            Err(refusal) => {
                leg.hang_up().await;
                return Err(refusal.into());
            }
        };
        self.legs().insert(
            call_id.clone(),
            LegEntry {
                leg,
                answer_applied: false,
            },
        );
        self.watch_leg(call_id.clone(), events);
        if hang_up_immediately {
            let ended = self.rules().customer_hangs_up(now, &call_id)?;
            if self.quirks().terminate_before_connect {
                let mut reordered = ended;
                reordered.append(&mut webhooks);
                webhooks = reordered;
            } else {
                webhooks.extend(ended);
            }
        }
        self.emit(webhooks);
        Ok(call_id)
    }

    fn watch_leg(
        &self,
        call_id: String,
        mut events: tokio::sync::mpsc::UnboundedReceiver<LegEvent>,
    ) {
        let sim = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let Some(inner) = sim.upgrade() else { return };
                let sim = Simulator { inner };
                let now = sim.now();
                let result = match event {
                    LegEvent::MediaTimeout => sim.rules().customer_media_timeout(now, &call_id),
                    LegEvent::ConnectionFailed => sim.rules().customer_device_failed(now, &call_id),
                };
                // An already-ended call has nothing left to end.
                if let Ok(events) = result {
                    sim.emit(events);
                }
            }
        });
    }

    /// The customer hangs up (or declines a ringing business call).
    pub fn customer_hangs_up(&self, call_id: &str) -> Result<(), ControlError> {
        let now = self.now();
        let events = self.rules().customer_hangs_up(now, call_id)?;
        self.emit(events);
        Ok(())
    }

    /// The customer picks up a ringing business-initiated call; the phone starts sending.
    pub async fn customer_answers(&self, call_id: &str) -> Result<(), ControlError> {
        let now = self.now();
        let events = self.rules().customer_answers(now, call_id)?;
        self.emit(events);
        if let Some(leg) = self.leg(call_id) {
            leg.start_media().await?;
        }
        Ok(())
    }

    /// The customer declines a ringing business-initiated call.
    pub fn customer_rejects(&self, call_id: &str) -> Result<(), ControlError> {
        let now = self.now();
        let events = self.rules().customer_rejects(now, call_id)?;
        self.emit(events);
        Ok(())
    }

    pub fn customer_texts(&self, customer: Customer, body: String) {
        let now = self.now();
        let events = self.rules().customer_texts(now, customer, body);
        self.emit(events);
    }

    pub fn customer_replies_permission(&self, customer: Customer, answer: PermissionAnswer) {
        let now = self.now();
        let events = self
            .rules()
            .customer_replies_permission(now, customer, answer);
        self.emit(events);
    }

    /// A call's state and what its leg heard.
    pub async fn call_report(&self, call_id: &str) -> Option<CallReport> {
        let leg = self.leg(call_id);
        let report = {
            let rules = self.rules();
            let call = rules.call(call_id)?;
            let (end, ended_at) = match &call.phase {
                CallPhase::Ended { at, end } => (Some(*end), Some(*at)),
                _ => (None, None),
            };
            let now = self.now();
            CallReport {
                call_id: call.id.clone(),
                direction: call.direction,
                state: call.phase.name(),
                end,
                customer: call.customer.clone(),
                created_at: call.created_at.as_secs(),
                connected_at: call.connected_at.map(SimTime::as_secs),
                ended_at: ended_at.map(SimTime::as_secs),
                duration: call
                    .connected_at
                    .map(|start| ended_at.unwrap_or(now).since(start).as_secs()),
                audio: LegStats::default(),
            }
        };
        let audio = match leg {
            Some(leg) => leg.stats().await,
            None => LegStats::default(),
        };
        Some(CallReport { audio, ..report })
    }

    /// Ids of the calls that have not ended, oldest first.
    pub fn active_call_ids(&self) -> Vec<String> {
        self.rules().active_call_ids()
    }

    // ---- the business's side (Graph) ---------------------------------------------------

    /// `action: connect`. The customer's phone answers in the background; its answer goes out in
    /// the connect webhook, followed by RINGING.
    pub fn business_connect(
        &self,
        to: &str,
        offer_sdp: &str,
        biz_opaque: Option<String>,
    ) -> Result<String, Refusal> {
        let now = self.now();
        let call_id = self
            .rules()
            .business_connect(now, to, offer_sdp, biz_opaque)?;
        self.inner.wake.notify_one();
        let sim = self.clone();
        let offer = offer_sdp.to_owned();
        let id = call_id.clone();
        tokio::spawn(async move {
            let audio = sim.inner.config.default_answer_audio.clone();
            let answered = sim.inner.device.answer(&offer, &audio).await;
            let now = sim.now();
            match answered {
                Ok(NewLeg { leg, sdp, events }) => {
                    let result = sim.rules().customer_device_ringing(now, &id, sdp);
                    match result {
                        Ok(webhooks) => {
                            sim.legs().insert(
                                id.clone(),
                                LegEntry {
                                    leg,
                                    answer_applied: true,
                                },
                            );
                            sim.watch_leg(id, events);
                            sim.emit(webhooks);
                        }
                        // The call ended meanwhile (cancelled, timed out): drop the leg.
                        Err(_) => leg.hang_up().await,
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, call_id = %id, "customer phone could not answer the offer");
                    let result = sim.rules().customer_device_failed(now, &id);
                    if let Ok(webhooks) = result {
                        sim.emit(webhooks);
                    }
                }
            }
        });
        Ok(call_id)
    }

    /// `action: pre_accept`: the phone starts ICE/DTLS with the answer; no media yet.
    pub async fn business_pre_accept(
        &self,
        call_id: &str,
        answer_sdp: &str,
    ) -> Result<(), Refusal> {
        self.rules().business_pre_accept(call_id, answer_sdp)?;
        self.apply_answer_once(call_id, answer_sdp).await;
        Ok(())
    }

    /// `action: accept`: the call connects and the customer's phone starts sending media.
    pub async fn business_accept(
        &self,
        call_id: &str,
        answer_sdp: &str,
        biz_opaque: Option<String>,
    ) -> Result<(), Refusal> {
        let now = self.now();
        self.rules()
            .business_accept(now, call_id, answer_sdp, biz_opaque)?;
        self.inner.wake.notify_one();
        self.apply_answer_once(call_id, answer_sdp).await;
        if let Some(leg) = self.leg(call_id) {
            if let Err(error) = leg.start_media().await {
                tracing::warn!(%error, call_id, "customer phone could not start media");
            }
        }
        Ok(())
    }

    async fn apply_answer_once(&self, call_id: &str, answer_sdp: &str) {
        let leg = {
            let mut legs = self.legs();
            match legs.get_mut(call_id) {
                Some(entry) if !entry.answer_applied => {
                    entry.answer_applied = true;
                    Some(entry.leg.clone())
                }
                _ => None,
            }
        };
        let Some(leg) = leg else { return };
        if let Err(error) = leg.apply_answer(answer_sdp).await {
            // Meta accepted the SDP but the relay could not use it: the call fails to set up.
            tracing::warn!(%error, call_id, "customer phone rejected the business's answer");
            let now = self.now();
            let result = self.rules().customer_device_failed(now, call_id);
            if let Ok(events) = result {
                self.emit(events);
            }
        }
    }

    pub fn business_reject(&self, call_id: &str) -> Result<(), Refusal> {
        let now = self.now();
        let events = self.rules().business_reject(now, call_id)?;
        self.emit(events);
        Ok(())
    }

    pub fn business_terminate(&self, call_id: &str) -> Result<(), Refusal> {
        let now = self.now();
        let events = self.rules().business_terminate(now, call_id)?;
        self.emit(events);
        Ok(())
    }
}

/// Ends calls whose windows run out. Sleeps in real time with the system clock; with a manual
/// clock it only wakes when told (the clock's advance runs `tick` itself).
async fn run_timers(sim: std::sync::Weak<Inner>, wake: Arc<Notify>) {
    loop {
        let wait = {
            // Only a weak reference is held while waiting, so a dropped simulator ends this task
            // (its `Drop` wakes us).
            let Some(inner) = sim.upgrade() else { return };
            let deadline = inner
                .rules
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .next_deadline();
            deadline.and_then(|d| inner.clock.real_wait_until(d))
        };
        match wait {
            Some(wait) => {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = wake.notified() => {}
                }
            }
            None => wake.notified().await,
        }
        let Some(inner) = sim.upgrade() else { return };
        let sim = Simulator { inner };
        let now = sim.now();
        let events = sim.rules().tick(now);
        if !events.is_empty() {
            sim.emit(events);
        }
    }
}
