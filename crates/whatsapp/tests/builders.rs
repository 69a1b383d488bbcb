//! The simulator's webhook constructors produce the documented shapes.

// Test code: a panic is the failure report (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use whatsapp::webhook::{
    CallDirection, CallEvent, CallPermissionReply, CallStatus, ChangeField, ChangeValue, Contact,
    InboundMessage, ResponseSource, StatusUpdate, TerminateStatus, WebhookEnvelope, WebhookError,
};
use whatsapp::MetaErrorCode;

#[test]
fn uic_connect_builder_matches_the_doc_sample_shape() {
    let call =
        CallEvent::user_initiated_connect("wacid.1", "16315553602", "16315553601", "v=0\r\n")
            .with_timestamp(1_671_644_824);
    let envelope = WebhookEnvelope::single(
        "waba",
        ChangeField::Calls,
        ChangeValue::for_number("pnid", "16315553601")
            .with_contact(Contact::new("16315553602", "Ana"))
            .with_call(call),
    );
    let json: Value = serde_json::from_slice(&envelope.to_vec().unwrap()).unwrap();
    let value = &json["entry"][0]["changes"][0]["value"];
    assert_eq!(json["object"], "whatsapp_business_account");
    assert_eq!(json["entry"][0]["changes"][0]["field"], "calls");
    assert_eq!(value["messaging_product"], "whatsapp");
    assert_eq!(value["metadata"]["phone_number_id"], "pnid");
    assert_eq!(value["contacts"][0]["profile"]["name"], "Ana");
    let call = &value["calls"][0];
    assert_eq!(call["event"], "connect");
    assert_eq!(call["direction"], "USER_INITIATED");
    assert_eq!(call["timestamp"], "1671644824", "timestamps are strings");
    assert_eq!(call["session"]["sdp_type"], "offer");
    assert_eq!(call["from"], "16315553602");
    assert!(call.get("connection").is_none());
    assert!(
        value.get("statuses").is_none(),
        "empty arrays are not emitted"
    );
}

#[test]
fn bic_connect_terminate_and_status_builders() {
    let connect = serde_json::to_value(CallEvent::business_initiated_connect(
        "wacid.2", "biz", "cust", "v=0",
    ))
    .unwrap();
    assert_eq!(connect["session"]["sdp_type"], "answer");
    assert_eq!(connect["direction"], "BUSINESS_INITIATED");

    let terminate = CallEvent::terminate(
        "wacid.2",
        CallDirection::BusinessInitiated,
        "biz",
        "cust",
        TerminateStatus::Failed,
    )
    .with_talk_time(100, 160)
    .with_biz_opaque_callback_data("opaque")
    .with_error(
        WebhookError::from_code(MetaErrorCode::MediaReceiveTimeout).with_details("no media"),
    );
    let json = serde_json::to_value(&terminate).unwrap();
    assert_eq!(json["status"], "FAILED");
    assert_eq!(
        (json["start_time"].as_str(), json["end_time"].as_str()),
        (Some("100"), Some("160"))
    );
    assert_eq!(json["duration"], 60);
    assert_eq!(json["errors"][0]["code"], 138021);
    assert_eq!(json["errors"][0]["error_data"]["details"], "no media");

    let status = serde_json::to_value(
        StatusUpdate::call("wacid.2", CallStatus::Accepted, "cust").with_timestamp(5),
    )
    .unwrap();
    assert_eq!(status["type"], "call");
    assert_eq!(status["status"], "ACCEPTED");
    assert_eq!(status["timestamp"], "5");
    assert_eq!(status["recipient_id"], "cust");
}

#[test]
fn message_builders() {
    let reply = InboundMessage::call_permission_reply(
        "wamid.r",
        "1555",
        CallPermissionReply::accept_temporary(1_768_550_400, ResponseSource::UserAction),
        Some("wamid.req".into()),
    );
    let json = serde_json::to_value(&reply).unwrap();
    assert_eq!(json["type"], "interactive");
    assert_eq!(json["interactive"]["type"], "call_permission_reply");
    assert_eq!(
        json["interactive"]["call_permission_reply"]["expiration_timestamp"],
        "1768550400"
    );
    assert_eq!(json["context"]["id"], "wamid.req");
    let revoked = serde_json::to_value(InboundMessage::call_permission_reply(
        "wamid.s",
        "1555",
        CallPermissionReply::reject(ResponseSource::Automatic),
        None,
    ))
    .unwrap();
    assert!(revoked.get("context").is_none());
    assert_eq!(
        revoked["interactive"]["call_permission_reply"]["response_source"],
        "automatic"
    );
    let text = serde_json::to_value(InboundMessage::text("wamid.t", "1555", "hi")).unwrap();
    assert_eq!(
        (text["type"].as_str(), text["text"]["body"].as_str()),
        (Some("text"), Some("hi"))
    );
}
