//! Turning Meta's call events into the call machine's inputs: the event's parts validated,
//! and what the store knows of the call read first (so the machine never waits).

use protocol::{Customer, Direction, PhoneNumber, Sdp, Timestamp};
use whatsapp::sdp::{validate_for_meta, SdpRole};
use whatsapp::webhook::{
    CallDirection, CallEvent, CallStatus as WireStatus, ChangeValue, StatusUpdate, TerminateStatus,
};

use crate::calls::{CallParts, ConnectFacts, Input, OutboundStatus, TerminateFacts};
use crate::config::Settings;
use crate::store::wire::timestamp;
use crate::store::{Store, StoreError};

/// Meta's connect, with the record, conversation and owner the store has.
pub async fn connect(
    store: &Store,
    settings: &Settings,
    value: &ChangeValue,
    call: &CallEvent,
    received_at: Option<i64>,
) -> Result<ConnectFacts, StoreError> {
    let parts = parts(value, call);
    let known = store.call_status(&call.id).await?.is_some()
        || store.call_event_seen(&call.id, "terminate").await?;
    let (conversation_agent, contact_owner) = match &parts {
        Some(parts) if !known => {
            let customer = parts.customer.number.as_str();
            let assigned = store
                .conversation(&parts.phone_number_id, customer)
                .await?
                .and_then(|conversation| conversation.assigned_agent_id);
            (assigned, store.contact_owner(customer).await?)
        }
        _ => (None, None),
    };
    let number_configured = parts.as_ref().is_some_and(|parts| {
        settings.numbers.is_empty() || settings.number(&parts.phone_number_id).is_some()
    });
    Ok(ConnectFacts {
        call_id: call.id.clone(),
        parts,
        event_at: event_time(call),
        received_at: received_at.map(timestamp),
        offer: offer(call),
        known,
        number_configured,
        conversation_agent,
        contact_owner,
    })
}

/// Meta's terminate, with whether a record exists and was answered.
pub async fn terminate(
    store: &Store,
    value: &ChangeValue,
    call: &CallEvent,
) -> Result<TerminateFacts, StoreError> {
    let stored = match store.call_status(&call.id).await? {
        Some(_) => Some(store.call_answered_at(&call.id).await?.is_some()),
        None => None,
    };
    Ok(TerminateFacts {
        call_id: call.id.clone(),
        parts: parts(value, call),
        direction: match call.direction {
            Some(CallDirection::BusinessInitiated) => Direction::Outbound,
            _ => Direction::Inbound,
        },
        event_at: event_time(call),
        ended_at: call
            .end_secs()
            .and_then(Result::ok)
            .map(|secs| timestamp(secs_to_ms(secs))),
        duration_secs: call.duration.and_then(|secs| i64::try_from(secs).ok()),
        failed: call.status == Some(TerminateStatus::Failed),
        meta_error_code: value
            .errors_for_call(call)
            .first()
            .map(|error| i64::from(error.code.code())),
        stored,
    })
}

/// Meta's SDP answer in a business-initiated connect.
pub fn answer(call: &CallEvent) -> Result<Sdp, String> {
    let session = call
        .sdp()
        .map_err(|error| format!("Meta's connect carried no usable SDP answer: {error}"))?;
    Sdp::new(session.sdp).map_err(|error| format!("Meta's SDP answer is not usable: {error}"))
}

/// A call status webhook (RINGING / ACCEPTED / REJECTED) as the machine's input; `None` for a
/// message status.
pub fn call_status(status: &StatusUpdate) -> Option<Input> {
    let outbound = match status.status {
        WireStatus::Ringing => OutboundStatus::Ringing,
        WireStatus::Accepted => OutboundStatus::Accepted,
        WireStatus::Rejected => OutboundStatus::Rejected,
        _ => return None,
    };
    Some(Input::OutboundStatus {
        call_id: status.id.clone(),
        status: outbound,
        at: status
            .timestamp_secs()
            .and_then(Result::ok)
            .map(|secs| timestamp(secs_to_ms(secs))),
    })
}

/// Meta's event time, if it sent a readable one.
pub fn event_time(call: &CallEvent) -> Option<Timestamp> {
    call.timestamp_secs()
        .and_then(Result::ok)
        .map(|secs| timestamp(secs_to_ms(secs)))
}

/// Meta's offer, checked against Meta's own rules for its offers: an offer our app could not
/// answer is refused here, once, rather than at every agent's accept.
fn offer(call: &CallEvent) -> Result<Sdp, String> {
    let session = call
        .sdp()
        .map_err(|error| format!("Meta's connect carried no usable SDP offer: {error}"))?;
    validate_for_meta(&session.sdp, SdpRole::OfferFromMeta)
        .map_err(|violations| format!("Meta's SDP offer breaks Meta's rules: {violations}"))?;
    Sdp::new(session.sdp).map_err(|error| format!("Meta's SDP offer is not usable: {error}"))
}

/// The validated parts of a call event every record needs.
pub fn parts(value: &ChangeValue, call: &CallEvent) -> Option<CallParts> {
    let metadata = value.metadata.as_ref()?;
    let customer_number = call.customer_number()?;
    let profile_name = value
        .contacts
        .iter()
        .find(|contact| contact.wa_id.as_deref() == Some(customer_number))
        .or(value.contacts.first())
        .and_then(|contact| contact.name())
        .map(str::to_owned);
    Some(CallParts {
        phone_number_id: metadata.phone_number_id.clone(),
        business_number: PhoneNumber::new(metadata.display_phone_number.clone()).ok()?,
        customer: Customer {
            number: PhoneNumber::new(customer_number).ok()?,
            profile_name,
        },
    })
}

pub fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000)
}
