//! Rule events as Meta's webhook JSON (`reference/meta-calling-api.md` §2.2–2.7).
//!
//! Emits the documented variant where the reference marks something uncertain: upper-case
//! terminate `status`, string timestamps, `session` (plus the legacy `connection.webrtc.sdp` on
//! business-initiated connects), `errors` both at `value.errors` and in `calls[].errors` as seen live.
//!
//! TODO: build these from `whatsapp`'s webhook types once that crate publishes them.

use serde_json::{json, Value};

use crate::clock::SimTime;
use crate::rules::{
    CallRef, CallStatus, Customer, Direction, Event, PermissionAnswer, ReplySource, SdpType,
};

/// The business number the webhooks are about.
#[derive(Debug, Clone)]
pub struct BusinessNumber {
    pub waba_id: String,
    pub phone_number_id: String,
    pub display_phone_number: String,
}

fn ts(at: SimTime) -> String {
    at.as_secs().to_string()
}

fn contact(customer: &Customer) -> Value {
    json!({ "profile": { "name": customer.name }, "wa_id": customer.wa_id })
}

/// The `from`/`to`/`direction` fields of a call object.
fn call_base(
    number: &BusinessNumber,
    call: &CallRef,
    event: &str,
    at: SimTime,
) -> serde_json::Map<String, Value> {
    let (from, to, direction) = match call.direction {
        Direction::UserInitiated => (
            &call.customer.wa_id,
            &number.display_phone_number,
            "USER_INITIATED",
        ),
        Direction::BusinessInitiated => (
            &number.display_phone_number,
            &call.customer.wa_id,
            "BUSINESS_INITIATED",
        ),
    };
    let mut obj = serde_json::Map::new();
    obj.insert("id".into(), json!(call.id));
    obj.insert("from".into(), json!(from));
    obj.insert("to".into(), json!(to));
    obj.insert("event".into(), json!(event));
    obj.insert("timestamp".into(), json!(ts(at)));
    obj.insert("direction".into(), json!(direction));
    if let Some(data) = &call.biz_opaque {
        obj.insert("biz_opaque_callback_data".into(), json!(data));
    }
    obj
}

fn envelope(number: &BusinessNumber, field: &str, value: Value) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": number.waba_id,
            "changes": [{ "value": value, "field": field }]
        }]
    })
}

fn value_base(number: &BusinessNumber) -> serde_json::Map<String, Value> {
    let mut value = serde_json::Map::new();
    value.insert("messaging_product".into(), json!("whatsapp"));
    value.insert(
        "metadata".into(),
        json!({ "display_phone_number": number.display_phone_number, "phone_number_id": number.phone_number_id }),
    );
    value
}

/// The webhook body for `event`.
pub fn render(number: &BusinessNumber, event: &Event) -> Value {
    let mut value = value_base(number);
    match event {
        Event::Connect {
            at,
            call,
            sdp_type,
            sdp,
        } => {
            let mut obj = call_base(number, call, "connect", *at);
            let kind = match sdp_type {
                SdpType::Offer => "offer",
                SdpType::Answer => "answer",
            };
            obj.insert("session".into(), json!({ "sdp_type": kind, "sdp": sdp }));
            if call.direction == Direction::BusinessInitiated {
                let legacy = json!({ "sdp": sdp, "type": kind }).to_string();
                obj.insert("connection".into(), json!({ "webrtc": { "sdp": legacy } }));
            }
            value.insert("contacts".into(), json!([contact(&call.customer)]));
            value.insert("calls".into(), json!([obj]));
        }
        Event::Status { at, call, status } => {
            let status = match status {
                CallStatus::Ringing => "RINGING",
                CallStatus::Accepted => "ACCEPTED",
                CallStatus::Rejected => "REJECTED",
            };
            let mut obj = serde_json::Map::new();
            obj.insert("id".into(), json!(call.id));
            obj.insert("timestamp".into(), json!(ts(*at)));
            obj.insert("type".into(), json!("call"));
            obj.insert("status".into(), json!(status));
            obj.insert("recipient_id".into(), json!(call.customer.wa_id));
            if let Some(data) = &call.biz_opaque {
                obj.insert("biz_opaque_callback_data".into(), json!(data));
            }
            value.insert("statuses".into(), json!([obj]));
        }
        Event::Terminate {
            at,
            call,
            connected,
            error,
        } => {
            let mut obj = call_base(number, call, "terminate", *at);
            let status = if error.is_some() {
                "FAILED"
            } else {
                "COMPLETED"
            };
            obj.insert("status".into(), json!(status));
            if let Some((start, end)) = connected {
                obj.insert("start_time".into(), json!(ts(*start)));
                obj.insert("end_time".into(), json!(ts(*end)));
                obj.insert("duration".into(), json!(end.since(*start).as_secs()));
            }
            if let Some(error) = error {
                let err = json!([{
                    "code": error.code(),
                    "title": error.message(),
                    "message": error.message(),
                    "error_data": { "details": error.message() }
                }]);
                obj.insert("errors".into(), err.clone());
                value.insert("errors".into(), err);
            }
            value.insert("contacts".into(), json!([contact(&call.customer)]));
            value.insert("calls".into(), json!([obj]));
        }
        Event::PermissionReply {
            at,
            customer,
            message_id,
            answer,
            expires_at,
            source,
            context_id,
        } => {
            let mut reply = serde_json::Map::new();
            let response = match answer {
                PermissionAnswer::Reject => "reject",
                _ => "accept",
            };
            reply.insert("response".into(), json!(response));
            if *answer != PermissionAnswer::Reject {
                reply.insert(
                    "is_permanent".into(),
                    json!(*answer == PermissionAnswer::AcceptPermanent),
                );
            }
            if let Some(expiry) = expires_at {
                reply.insert("expiration_timestamp".into(), json!(ts(*expiry)));
            }
            let source = match source {
                ReplySource::UserAction => "user_action",
                ReplySource::Automatic => "automatic",
            };
            reply.insert("response_source".into(), json!(source));
            let mut message = serde_json::Map::new();
            message.insert("from".into(), json!(customer.wa_id));
            message.insert("id".into(), json!(message_id));
            message.insert("timestamp".into(), json!(ts(*at)));
            message.insert("type".into(), json!("interactive"));
            if let Some(context) = context_id {
                message.insert(
                    "context".into(),
                    json!({ "from": customer.wa_id, "id": context }),
                );
            }
            message.insert(
                "interactive".into(),
                json!({ "type": "call_permission_reply", "call_permission_reply": reply }),
            );
            value.insert("contacts".into(), json!([contact(customer)]));
            value.insert("messages".into(), json!([message]));
        }
        Event::Text {
            at,
            customer,
            message_id,
            body,
        } => {
            value.insert("contacts".into(), json!([contact(customer)]));
            value.insert(
                "messages".into(),
                json!([{ "from": customer.wa_id, "id": message_id, "timestamp": ts(*at), "type": "text", "text": { "body": body } }]),
            );
        }
        Event::SettingsUpdate { at, calling } => {
            value.remove("metadata");
            value.insert("timestamp".into(), json!(ts(*at)));
            value.insert("type".into(), json!("PHONE_NUMBER_SETTINGS"));
            value.insert(
                "phone_number_settings".into(),
                json!({ "phone_number_id": number.phone_number_id, "calling": calling }),
            );
        }
    }
    envelope(number, event.field(), Value::Object(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::TerminateError;

    fn number() -> BusinessNumber {
        BusinessNumber {
            waba_id: "200000000000002".into(),
            phone_number_id: "100000000000001".into(),
            display_phone_number: "15550109999".into(),
        }
    }

    fn call(direction: Direction) -> CallRef {
        CallRef {
            id: "wacid.X".into(),
            direction,
            customer: Customer {
                wa_id: "15550100001".into(),
                name: "Ana".into(),
            },
            biz_opaque: Some("op".into()),
        }
    }

    #[test]
    fn user_connect_matches_metas_shape() {
        let body = render(
            &number(),
            &Event::Connect {
                at: SimTime::from_secs(1760681506),
                call: call(Direction::UserInitiated),
                sdp_type: SdpType::Offer,
                sdp: "v=0".into(),
            },
        );
        let change = &body["entry"][0]["changes"][0];
        assert_eq!(change["field"], "calls");
        let c = &change["value"]["calls"][0];
        assert_eq!(c["from"], "15550100001");
        assert_eq!(c["to"], "15550109999");
        assert_eq!(c["timestamp"], "1760681506");
        assert_eq!(c["direction"], "USER_INITIATED");
        assert_eq!(c["session"]["sdp_type"], "offer");
        assert!(c.get("connection").is_none());
        assert_eq!(change["value"]["contacts"][0]["profile"]["name"], "Ana");
        assert_eq!(
            change["value"]["metadata"]["phone_number_id"],
            "100000000000001"
        );
    }

    #[test]
    fn terminate_has_times_only_when_connected_and_errors_twice_when_failed() {
        let connected = render(
            &number(),
            &Event::Terminate {
                at: SimTime::from_secs(200),
                call: call(Direction::BusinessInitiated),
                connected: Some((SimTime::from_secs(80), SimTime::from_secs(200))),
                error: None,
            },
        );
        let c = &connected["entry"][0]["changes"][0]["value"]["calls"][0];
        assert_eq!(
            (
                c["start_time"].as_str(),
                c["end_time"].as_str(),
                c["duration"].as_u64()
            ),
            (Some("80"), Some("200"), Some(120))
        );
        assert_eq!(c["status"], "COMPLETED");
        assert_eq!(c["biz_opaque_callback_data"], "op");

        let failed = render(
            &number(),
            &Event::Terminate {
                at: SimTime::from_secs(40),
                call: call(Direction::UserInitiated),
                connected: None,
                error: Some(TerminateError::ConnectTimeout),
            },
        );
        let value = &failed["entry"][0]["changes"][0]["value"];
        assert!(value["calls"][0].get("duration").is_none());
        assert_eq!(value["calls"][0]["status"], "FAILED");
        assert_eq!(value["errors"][0]["code"], 138007);
        assert_eq!(value["calls"][0]["errors"][0]["code"], 138007);
    }

    #[test]
    fn permission_reply_is_an_interactive_message() {
        let body = render(
            &number(),
            &Event::PermissionReply {
                at: SimTime::from_secs(5),
                customer: Customer {
                    wa_id: "1".into(),
                    name: "A".into(),
                },
                message_id: "wamid.r".into(),
                answer: PermissionAnswer::AcceptTemporary,
                expires_at: Some(SimTime::from_secs(605_000)),
                source: ReplySource::UserAction,
                context_id: Some("wamid.q".into()),
            },
        );
        let change = &body["entry"][0]["changes"][0];
        assert_eq!(change["field"], "messages");
        let m = &change["value"]["messages"][0];
        assert_eq!(m["type"], "interactive");
        assert_eq!(m["context"]["id"], "wamid.q");
        let reply = &m["interactive"]["call_permission_reply"];
        assert_eq!(reply["response"], "accept");
        assert_eq!(reply["is_permanent"], false);
        assert_eq!(reply["expiration_timestamp"], "605000");
        assert_eq!(reply["response_source"], "user_action");
    }
}
