//! Webhook bodies as the platform receives them: `WebhookEnvelope::from_slice` on arbitrary bytes.
//!
//! Asserts, for every body that parses:
//! - every accessor the platform calls on it (iterators, call SDP, timestamps, talk time,
//!   permission-reply expiry, error merging) returns without panicking;
//! - re-serialising gives a body that parses back to an equal envelope (what the simulator sends
//!   and the platform stores survives a round trip), and that body is stable (a second round trip
//!   gives the same bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use whatsapp::webhook::WebhookEnvelope;
use whatsapp::UnixTimestamp;

fuzz_target!(|body: &[u8]| {
    let Ok(envelope) = WebhookEnvelope::from_slice(body) else {
        return;
    };
    exercise_accessors(&envelope);

    let written = envelope.to_vec().expect("a parsed envelope serialises");
    let reparsed = WebhookEnvelope::from_slice(&written).expect("our own output parses");
    assert_eq!(reparsed, envelope, "round trip changed the envelope");
    let rewritten = reparsed.to_vec().expect("serialises again");
    assert_eq!(rewritten, written, "serialisation is not stable");
});

/// Calls every read-side helper, as the platform's webhook handling does.
fn exercise_accessors(envelope: &WebhookEnvelope) {
    for change in envelope.changes() {
        let _ = change.value.phone_number_id();
        stamp(change.value.timestamp.as_ref());
        for contact in &change.value.contacts {
            let _ = contact.name();
        }
    }
    for (value, call) in envelope.call_events() {
        let _ = call.timestamp_secs();
        let _ = call.start_secs();
        let _ = call.end_secs();
        let _ = call.talk_time();
        let _ = call.customer_number();
        let _ = call.customer_user_id();
        let _ = call.sdp();
        stamp(call.timestamp.as_ref());
        stamp(call.start_time.as_ref());
        stamp(call.end_time.as_ref());
        let merged = value.errors_for_call(call);
        assert!(merged.len() <= call.errors.len() + value.errors.len());
        for error in merged {
            let _ = error.details();
        }
    }
    for (_, status) in envelope.statuses() {
        let _ = status.is_call();
        let _ = status.timestamp_secs();
        stamp(status.timestamp.as_ref());
    }
    for (_, message) in envelope.messages() {
        let _ = message.text_body();
        let _ = message.timestamp_secs();
        stamp(message.timestamp.as_ref());
        if let Some(reply) = message.call_permission_reply_payload() {
            let _ = reply.is_permanent_grant();
            let _ = reply.expiration_secs();
            stamp(reply.expiration_timestamp.as_ref());
        }
    }
}

/// A timestamp's typed views agree: `system_time` succeeds exactly when `secs` is in range.
fn stamp(timestamp: Option<&UnixTimestamp>) {
    let Some(timestamp) = timestamp else { return };
    let _ = timestamp.raw();
    if timestamp.secs().is_err() {
        assert!(timestamp.system_time().is_err());
    } else {
        let _ = timestamp.system_time();
    }
}
