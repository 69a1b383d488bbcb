//! [`MetaRules`]: calls, permissions, limits and settings of one business phone number.
//!
//! Invariants:
//! - at most one active call per customer (either direction);
//! - at most `max_concurrent` active calls;
//! - every call that ends yields exactly one terminate event, and only connected calls carry
//!   start/end times (their duration is whole seconds from pickup to end);
//! - time-driven endings (accept window, ring timeout) happen in [`MetaRules::tick`], whose next
//!   due time is [`MetaRules::next_deadline`].

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::clock::SimTime;

use super::call::{Call, CallEnd, CallPhase, Customer, Direction};
use super::event::{CallRef, CallStatus, Event, ReplySource, SdpType, TerminateError};
use super::ids::IdSource;
use super::ledger::{
    LedgerLimits, Permission, PermissionAnswer, PermissionLedger, PermissionView, DAY,
};
use super::refusal::Refusal;
use super::sdp_check::{check_sdp, SdpRole};
use super::settings::CallingSettings;

/// Tunables; the defaults are Meta's documented values.
#[derive(Debug, Clone)]
pub struct RulesConfig {
    /// How long the business has to accept a user-initiated call (Meta: about 30–60 s).
    pub accept_window: Duration,
    /// How long a business-initiated call rings before it counts as not answered
    /// (undocumented by Meta; 60 s here).
    pub ring_timeout: Duration,
    pub max_concurrent: usize,
    pub max_call_attempts_per_day: usize,
    pub ledger: LedgerLimits,
    pub calling_enabled: bool,
}

impl Default for RulesConfig {
    fn default() -> Self {
        Self {
            accept_window: Duration::from_secs(40),
            ring_timeout: Duration::from_secs(60),
            max_concurrent: 1000,
            max_call_attempts_per_day: 10_000,
            ledger: LedgerLimits::default(),
            calling_enabled: true,
        }
    }
}

/// Meta's view of one business phone number.
#[derive(Debug)]
pub struct MetaRules {
    config: RulesConfig,
    calls: HashMap<String, Call>,
    ledger: PermissionLedger,
    settings: CallingSettings,
    ids: IdSource,
    attempts: VecDeque<SimTime>,
    /// Profile names customers showed (calls, messages); used in business-initiated webhooks.
    names: HashMap<String, String>,
}

impl MetaRules {
    pub fn new(config: RulesConfig, id_seed: u64) -> Self {
        Self {
            ledger: PermissionLedger::new(config.ledger.clone()),
            settings: CallingSettings::new(config.calling_enabled),
            config,
            calls: HashMap::new(),
            ids: IdSource::new(id_seed),
            attempts: VecDeque::new(),
            names: HashMap::new(),
        }
    }

    pub fn config(&self) -> &RulesConfig {
        &self.config
    }

    pub fn call(&self, call_id: &str) -> Option<&Call> {
        self.calls.get(call_id)
    }

    pub fn active_calls(&self) -> usize {
        self.calls.values().filter(|c| c.is_active()).count()
    }

    /// Ids of the calls that have not ended, oldest first.
    pub fn active_call_ids(&self) -> Vec<String> {
        let mut active: Vec<(SimTime, &str)> = self
            .calls
            .values()
            .filter(|c| c.is_active())
            .map(|c| (c.created_at, c.id.as_str()))
            .collect();
        active.sort();
        active.into_iter().map(|(_, id)| id.to_owned()).collect()
    }

    pub fn settings(&self) -> &CallingSettings {
        &self.settings
    }

    /// `POST /settings`: applies the `calling` object; Meta then announces the settings now in
    /// force on `account_settings_update`.
    pub fn update_settings(
        &mut self,
        now: SimTime,
        calling: &serde_json::Value,
    ) -> Result<Vec<Event>, Refusal> {
        self.settings.update(calling, now)?;
        Ok(vec![Event::SettingsUpdate {
            at: now,
            calling: self.settings.calling(),
        }])
    }

    pub fn permission_view(&self, now: SimTime, wa_id: &str) -> PermissionView {
        self.ledger.view(now, wa_id)
    }

    /// Whether a free-form message may be sent to `wa_id` now (24 h since their last message or call).
    pub fn service_window_open(&self, now: SimTime, wa_id: &str) -> bool {
        self.ledger.service_window_open(now, wa_id)
    }

    /// A fresh Graph trace id (for error bodies).
    pub fn trace_id(&mut self) -> String {
        self.ids.trace_id()
    }

    /// A fresh message id (for messages the business sends).
    pub fn message_id(&mut self) -> String {
        self.ids.message_id()
    }

    // ---- shared checks -------------------------------------------------------------------

    fn check_capacity(&self, wa_id: &str) -> Result<(), Refusal> {
        if !self.settings.calling_enabled() {
            return Err(Refusal::CallingDisabled);
        }
        if self
            .calls
            .values()
            .any(|c| c.is_active() && c.customer.wa_id == wa_id)
        {
            return Err(Refusal::DuplicateCall {
                wa_id: wa_id.to_owned(),
            });
        }
        if self.active_calls() >= self.config.max_concurrent {
            return Err(Refusal::ConcurrencyLimit {
                limit: self.config.max_concurrent,
            });
        }
        Ok(())
    }

    fn call_mut(&mut self, call_id: &str) -> Result<&mut Call, Refusal> {
        self.calls
            .get_mut(call_id)
            .ok_or_else(|| Refusal::UnknownCall {
                call_id: call_id.to_owned(),
            })
    }

    fn wrong_state(call: &Call, action: &'static str) -> Refusal {
        Refusal::WrongCallState {
            call_id: call.id.clone(),
            state: call.phase.name(),
            action,
        }
    }

    fn call_ref(call: &Call) -> CallRef {
        CallRef {
            id: call.id.clone(),
            direction: call.direction,
            customer: call.customer.clone(),
            biz_opaque: call.biz_opaque.clone(),
        }
    }

    /// Ends `call_id` at `now` and returns its terminate event plus any permission revocation.
    fn end_call(&mut self, now: SimTime, call_id: &str, end: CallEnd) -> Vec<Event> {
        let Some(call) = self.calls.get_mut(call_id) else {
            return Vec::new();
        };
        if !call.is_active() {
            return Vec::new();
        }
        call.phase = CallPhase::Ended { at: now, end };
        let connected = call.connected_at.map(|start| (start, now));
        let error = match end {
            CallEnd::AcceptWindowExpired => Some(TerminateError::ConnectTimeout),
            CallEnd::MediaTimeout => Some(TerminateError::MediaReceiveTimeout),
            CallEnd::SetupFailed => Some(TerminateError::SetupFailed),
            _ => None,
        };
        let call_ref = Self::call_ref(call);
        let unanswered =
            call.direction == Direction::BusinessInitiated && call.connected_at.is_none();
        let mut events = vec![Event::Terminate {
            at: now,
            call: call_ref.clone(),
            connected,
            error,
        }];
        if unanswered && self.ledger.record_unanswered(now, &call_ref.customer.wa_id) {
            let message_id = self.ids.message_id();
            events.push(Event::PermissionReply {
                at: now,
                customer: call_ref.customer,
                message_id,
                answer: PermissionAnswer::Reject,
                expires_at: None,
                source: ReplySource::Automatic,
                context_id: None,
            });
        }
        events
    }

    // ---- the customer's side -------------------------------------------------------------

    /// The customer calls the business with Meta's `offer_sdp`. Returns the new call id and the
    /// connect webhook (plus a callback-permission grant when that setting is on).
    pub fn customer_calls(
        &mut self,
        now: SimTime,
        customer: Customer,
        offer_sdp: String,
    ) -> Result<(String, Vec<Event>), Refusal> {
        self.check_capacity(&customer.wa_id)?;
        self.names
            .insert(customer.wa_id.clone(), customer.name.clone());
        let id = self.ids.call_id();
        let call = Call {
            id: id.clone(),
            direction: Direction::UserInitiated,
            customer: customer.clone(),
            created_at: now,
            phase: CallPhase::Offered,
            biz_opaque: None,
            answer_sdp: None,
            connected_at: None,
        };
        let mut events = vec![Event::Connect {
            at: now,
            call: Self::call_ref(&call),
            sdp_type: SdpType::Offer,
            sdp: offer_sdp,
        }];
        self.calls.insert(id.clone(), call);
        self.ledger.record_inbound(now, &customer.wa_id);
        if self.settings.callback_permission_enabled()
            && self.ledger.permission(now, &customer.wa_id) != Permission::Permanent
        {
            let expires_at =
                self.ledger
                    .answer(now, &customer.wa_id, PermissionAnswer::AcceptTemporary);
            let message_id = self.ids.message_id();
            events.push(Event::PermissionReply {
                at: now,
                customer,
                message_id,
                answer: PermissionAnswer::AcceptTemporary,
                expires_at,
                source: ReplySource::Automatic,
                context_id: Some(id.clone()),
            });
        }
        Ok((id, events))
    }

    /// The customer hangs up (or cancels a call that has not connected yet).
    pub fn customer_hangs_up(
        &mut self,
        now: SimTime,
        call_id: &str,
    ) -> Result<Vec<Event>, Refusal> {
        let call = self.call_mut(call_id)?;
        let end = match call.phase {
            CallPhase::Connected { .. } => CallEnd::Completed,
            CallPhase::Ended { .. } => return Err(Self::wrong_state(call, "hang up")),
            _ if call.direction == Direction::UserInitiated => CallEnd::CancelledByCustomer,
            // Declining a ringing business call is a rejection (REJECTED status, then terminate).
            _ => return self.customer_rejects(now, call_id),
        };
        Ok(self.end_call(now, call_id, end))
    }

    /// The customer's client gave up for lack of media (138021).
    pub fn customer_media_timeout(
        &mut self,
        now: SimTime,
        call_id: &str,
    ) -> Result<Vec<Event>, Refusal> {
        let call = self.call_mut(call_id)?;
        if !call.is_active() {
            return Err(Self::wrong_state(call, "time out"));
        }
        Ok(self.end_call(now, call_id, CallEnd::MediaTimeout))
    }

    /// The customer's phone produced its answer to a business-initiated offer and starts ringing.
    pub fn customer_device_ringing(
        &mut self,
        now: SimTime,
        call_id: &str,
        answer_sdp: String,
    ) -> Result<Vec<Event>, Refusal> {
        let call = self.call_mut(call_id)?;
        if call.phase != CallPhase::Dialing {
            return Err(Self::wrong_state(call, "ring"));
        }
        call.phase = CallPhase::Ringing;
        call.answer_sdp = Some(answer_sdp.clone());
        let call_ref = Self::call_ref(call);
        Ok(vec![
            Event::Connect {
                at: now,
                call: call_ref.clone(),
                sdp_type: SdpType::Answer,
                sdp: answer_sdp,
            },
            Event::Status {
                at: now,
                call: call_ref,
                status: CallStatus::Ringing,
            },
        ])
    }

    /// The customer's phone could not take the business's offer (138019).
    pub fn customer_device_failed(
        &mut self,
        now: SimTime,
        call_id: &str,
    ) -> Result<Vec<Event>, Refusal> {
        let call = self.call_mut(call_id)?;
        if !call.is_active() {
            return Err(Self::wrong_state(call, "fail"));
        }
        Ok(self.end_call(now, call_id, CallEnd::SetupFailed))
    }

    /// The customer picks up a business-initiated call.
    pub fn customer_answers(&mut self, now: SimTime, call_id: &str) -> Result<Vec<Event>, Refusal> {
        let call = self.call_mut(call_id)?;
        if call.phase != CallPhase::Ringing {
            return Err(Self::wrong_state(call, "answer"));
        }
        call.phase = CallPhase::Connected { since: now };
        call.connected_at = Some(now);
        let call_ref = Self::call_ref(call);
        self.ledger
            .record_connected(now, &call_ref.customer.wa_id, true);
        // A customer who picks up a business call opens the customer service window.
        self.ledger.record_inbound(now, &call_ref.customer.wa_id);
        Ok(vec![Event::Status {
            at: now,
            call: call_ref,
            status: CallStatus::Accepted,
        }])
    }

    /// The customer declines a business-initiated call: REJECTED status, then terminate.
    pub fn customer_rejects(&mut self, now: SimTime, call_id: &str) -> Result<Vec<Event>, Refusal> {
        let call = self.call_mut(call_id)?;
        if call.direction != Direction::BusinessInitiated
            || !matches!(call.phase, CallPhase::Ringing | CallPhase::Dialing)
        {
            return Err(Self::wrong_state(call, "reject"));
        }
        let mut events = vec![Event::Status {
            at: now,
            call: Self::call_ref(call),
            status: CallStatus::Rejected,
        }];
        events.extend(self.end_call(now, call_id, CallEnd::RejectedByCustomer));
        Ok(events)
    }

    /// The customer sends a text message; it opens the customer service window.
    pub fn customer_texts(&mut self, now: SimTime, customer: Customer, body: String) -> Vec<Event> {
        self.ledger.record_inbound(now, &customer.wa_id);
        self.names
            .insert(customer.wa_id.clone(), customer.name.clone());
        let message_id = self.ids.message_id();
        vec![Event::Text {
            at: now,
            customer,
            message_id,
            body,
        }]
    }

    /// The customer answers the business's newest permission request (or grants from the profile).
    pub fn customer_replies_permission(
        &mut self,
        now: SimTime,
        customer: Customer,
        answer: PermissionAnswer,
    ) -> Vec<Event> {
        let context_id = self.ledger.last_request_id(&customer.wa_id);
        let expires_at = self.ledger.answer(now, &customer.wa_id, answer);
        let message_id = self.ids.message_id();
        vec![Event::PermissionReply {
            at: now,
            customer,
            message_id,
            answer,
            expires_at,
            source: ReplySource::UserAction,
            context_id,
        }]
    }

    // ---- the business's side (Graph API) -------------------------------------------------

    /// `action: connect`: the business calls `to` with `offer_sdp`. The call is `Dialing` until
    /// the customer's device answers ([`Self::customer_device_ringing`]).
    pub fn business_connect(
        &mut self,
        now: SimTime,
        to: &str,
        offer_sdp: &str,
        biz_opaque: Option<String>,
    ) -> Result<String, Refusal> {
        if !self.settings.calling_enabled() {
            return Err(Refusal::CallingDisabled);
        }
        check_sdp(offer_sdp, SdpRole::Offer).map_err(|details| Refusal::InvalidSdp { details })?;
        self.ledger.check_call(now, to)?;
        self.check_capacity(to)?;
        self.attempts.retain(|at| now.since(*at) < DAY);
        if self.attempts.len() >= self.config.max_call_attempts_per_day {
            return Err(Refusal::CallRateLimit {
                limit: self.config.max_call_attempts_per_day,
            });
        }
        self.attempts.push_back(now);
        let id = self.ids.call_id();
        self.calls.insert(
            id.clone(),
            Call {
                id: id.clone(),
                direction: Direction::BusinessInitiated,
                customer: Customer {
                    wa_id: to.to_owned(),
                    name: self.names.get(to).cloned().unwrap_or_else(|| to.to_owned()),
                },
                created_at: now,
                phase: CallPhase::Dialing,
                biz_opaque,
                answer_sdp: None,
                connected_at: None,
            },
        );
        Ok(id)
    }

    fn user_initiated_waiting(
        &mut self,
        call_id: &str,
        action: &'static str,
    ) -> Result<&mut Call, Refusal> {
        let call = self.call_mut(call_id)?;
        let waiting = matches!(
            call.phase,
            CallPhase::Offered | CallPhase::PreAccepted { .. }
        );
        if call.direction != Direction::UserInitiated || !waiting {
            return Err(Self::wrong_state(call, action));
        }
        Ok(call)
    }

    /// `action: pre_accept` with the business's SDP answer.
    pub fn business_pre_accept(&mut self, call_id: &str, answer_sdp: &str) -> Result<(), Refusal> {
        let call = self.user_initiated_waiting(call_id, "pre_accept")?;
        check_sdp(answer_sdp, SdpRole::Answer)
            .map_err(|details| Refusal::InvalidSdp { details })?;
        call.phase = CallPhase::PreAccepted {
            answer_sdp: answer_sdp.to_owned(),
        };
        Ok(())
    }

    /// `action: accept`: the call connects. The SDP must equal the `pre_accept` one, if any.
    pub fn business_accept(
        &mut self,
        now: SimTime,
        call_id: &str,
        answer_sdp: &str,
        biz_opaque: Option<String>,
    ) -> Result<(), Refusal> {
        let call = self.user_initiated_waiting(call_id, "accept")?;
        check_sdp(answer_sdp, SdpRole::Answer)
            .map_err(|details| Refusal::InvalidSdp { details })?;
        if let CallPhase::PreAccepted {
            answer_sdp: earlier,
        } = &call.phase
        {
            if earlier != answer_sdp {
                return Err(Refusal::AcceptSdpMismatch);
            }
        }
        call.phase = CallPhase::Connected { since: now };
        call.connected_at = Some(now);
        call.answer_sdp = Some(answer_sdp.to_owned());
        if biz_opaque.is_some() {
            call.biz_opaque = biz_opaque;
        }
        let wa_id = call.customer.wa_id.clone();
        self.ledger.record_connected(now, &wa_id, false);
        Ok(())
    }

    /// `action: reject` of a user-initiated call that has not connected.
    pub fn business_reject(&mut self, now: SimTime, call_id: &str) -> Result<Vec<Event>, Refusal> {
        self.user_initiated_waiting(call_id, "reject")?;
        Ok(self.end_call(now, call_id, CallEnd::RejectedByBusiness))
    }

    /// `action: terminate`: ends a connected call, or cancels one that has not connected.
    pub fn business_terminate(
        &mut self,
        now: SimTime,
        call_id: &str,
    ) -> Result<Vec<Event>, Refusal> {
        let call = self.call_mut(call_id)?;
        let end = match (&call.phase, call.direction) {
            (CallPhase::Ended { .. }, _) => return Err(Self::wrong_state(call, "terminate")),
            (CallPhase::Connected { .. }, _) => CallEnd::Completed,
            (_, Direction::UserInitiated) => CallEnd::RejectedByBusiness,
            (_, Direction::BusinessInitiated) => CallEnd::CancelledByBusiness,
        };
        Ok(self.end_call(now, call_id, end))
    }

    /// A `call_permission_request` message to `to`. Returns the message id.
    pub fn business_requests_permission(
        &mut self,
        now: SimTime,
        to: &str,
        free_form: bool,
    ) -> Result<String, Refusal> {
        self.ledger.check_request(now, to, free_form)?;
        let message_id = self.ids.message_id();
        self.ledger.record_request(now, to, &message_id);
        Ok(message_id)
    }

    // ---- time ----------------------------------------------------------------------------

    fn deadline_of(&self, call: &Call) -> Option<SimTime> {
        match call.phase {
            CallPhase::Offered | CallPhase::PreAccepted { .. } => {
                Some(call.created_at.plus(self.config.accept_window))
            }
            CallPhase::Dialing | CallPhase::Ringing => {
                Some(call.created_at.plus(self.config.ring_timeout))
            }
            _ => None,
        }
    }

    /// When [`Self::tick`] next has something to do.
    pub fn next_deadline(&self) -> Option<SimTime> {
        self.calls
            .values()
            .filter_map(|c| self.deadline_of(c))
            .min()
    }

    /// Ends the calls whose window ran out by `now`.
    pub fn tick(&mut self, now: SimTime) -> Vec<Event> {
        let mut due: Vec<(SimTime, String, CallEnd)> = self
            .calls
            .values()
            .filter_map(|c| {
                let deadline = self.deadline_of(c)?;
                let end = if c.direction == Direction::UserInitiated {
                    CallEnd::AcceptWindowExpired
                } else {
                    CallEnd::NotAnswered
                };
                (deadline <= now).then(|| (deadline, c.id.clone(), end))
            })
            .collect();
        due.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut events = Vec::new();
        for (deadline, id, end) in due {
            // Stamp the ending at the deadline itself, not at whenever the tick ran.
            events.extend(self.end_call(deadline, &id, end));
        }
        events
    }
}
