//! Every webhook sample of the reference parses, lands in the right typed places and round-trips.

// Test code: a panic is the failure report (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used)]

mod common;

use common::round_trip;
use whatsapp::webhook::{
    CallDirection, CallEventKind, CallStatus, ChangeField, InboundMessageType, PermissionResponse,
    ResponseSource, StatusType, TerminateStatus, WebhookEnvelope,
};
use whatsapp::{MetaErrorCode, SdpType};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/",
            $name
        ))
    };
}

#[test]
fn uic_connect_doc_sample() {
    let envelope: WebhookEnvelope = round_trip(fixture!("webhook-uic-connect-doc.json"));
    assert_eq!(envelope.object, "whatsapp_business_account");
    assert_eq!(envelope.entry[0].id, "<WHATSAPP_BUSINESS_ACCOUNT_ID>");
    let change = &envelope.entry[0].changes[0];
    assert_eq!(change.field, ChangeField::Calls);
    let value = &change.value;
    assert_eq!(
        value.metadata.as_ref().unwrap().display_phone_number,
        "16315553601"
    );
    let contact = &value.contacts[0];
    assert_eq!(contact.name(), Some("<USER_DISPLAY_NAME>"));
    assert_eq!(
        contact.profile.as_ref().unwrap().username.as_deref(),
        Some("<USERNAME>")
    );
    assert_eq!(contact.wa_id.as_deref(), Some("16315553602"));
    assert_eq!(contact.user_id.as_deref(), Some("<BSUID>"));
    assert_eq!(contact.parent_user_id.as_deref(), Some("<PARENT_BSUID>"));
    let call = &value.calls[0];
    assert_eq!(call.id, "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh");
    assert_eq!(call.event, CallEventKind::Connect);
    assert_eq!(call.direction, Some(CallDirection::UserInitiated));
    assert_eq!(call.from.as_deref(), Some("16315553602"));
    assert_eq!(call.to.as_deref(), Some("16315553601"));
    assert_eq!(call.from_user_id.as_deref(), Some("<BSUID>"));
    assert_eq!(call.from_parent_user_id.as_deref(), Some("<PARENT_BSUID>"));
    assert_eq!(call.timestamp_secs(), Some(Ok(1_671_644_824)));
    assert_eq!(call.deeplink_payload.as_deref(), Some("deeplink_payload"));
    assert_eq!(call.cta_payload.as_deref(), Some("cta_payload"));
    let session = call.sdp().unwrap();
    assert_eq!(session.sdp_type, SdpType::Offer);
    assert_eq!(session.sdp, "<<RFC 8866 SDP>>");
    assert_eq!(call.customer_number(), Some("16315553602"));
    assert_eq!(call.customer_user_id(), Some("<BSUID>"));
}

#[test]
fn uic_connect_live_capture_has_no_bsuid_fields() {
    let envelope: WebhookEnvelope = round_trip(fixture!("webhook-uic-connect-live.json"));
    let (value, call) = envelope.call_events().next().unwrap();
    assert_eq!(value.phone_number_id(), Some("100000000000001"));
    assert_eq!(value.contacts[0].user_id, None);
    assert_eq!(value.contacts[0].name(), Some("15550100001"));
    assert_eq!(call.timestamp_secs(), Some(Ok(1_760_681_506)));
    let session = call.sdp().unwrap();
    assert_eq!(session.sdp_type, SdpType::Offer);
    assert!(session.sdp.starts_with("v=0\r\n"));
    assert_eq!(session.sdp, fixture!("meta-offer-live.sdp"));
}

#[test]
fn bic_connect_prefers_session_over_legacy_connection() {
    let envelope: WebhookEnvelope = round_trip(fixture!("webhook-bic-connect-doc.json"));
    assert_eq!(envelope.entry[0].id, "366634483210360");
    let (value, call) = envelope.call_events().next().unwrap();
    assert_eq!(value.phone_number_id(), Some("436666719526789"));
    assert_eq!(call.direction, Some(CallDirection::BusinessInitiated));
    assert_eq!(
        call.biz_opaque_callback_data.as_deref(),
        Some("TRx334DUDFTI4Mj")
    );
    assert_eq!(call.to_user_id.as_deref(), Some("<BSUID>"));
    assert_eq!(call.to_parent_user_id.as_deref(), Some("<PARENT_BSUID>"));
    assert_eq!(call.customer_number(), Some("12185552828"));
    let legacy = call
        .connection
        .as_ref()
        .and_then(|c| c.webrtc.as_ref())
        .and_then(|w| w.sdp.as_deref());
    assert_eq!(legacy, Some("<RFC 8866 SDP>"));
    assert_eq!(call.sdp().unwrap().sdp_type, SdpType::Answer);
}

#[test]
fn bic_connect_falls_back_to_legacy_sdp_both_encodings() {
    let mut envelope: WebhookEnvelope =
        serde_json::from_str(fixture!("webhook-bic-connect-doc.json")).unwrap();
    let call = &mut envelope.entry[0].changes[0].value.calls[0];
    call.session = None;
    let raw = call.sdp().unwrap();
    assert_eq!(
        (raw.sdp_type, raw.sdp.as_str()),
        (SdpType::Answer, "<RFC 8866 SDP>")
    );

    let encoded = serde_json::json!({"sdp": "v=0\r\ns=-\r\n", "type": "answer"}).to_string();
    call.connection
        .as_mut()
        .unwrap()
        .webrtc
        .as_mut()
        .unwrap()
        .sdp = Some(encoded);
    let decoded = call.sdp().unwrap();
    assert_eq!(
        (decoded.sdp_type, decoded.sdp.as_str()),
        (SdpType::Answer, "v=0\r\ns=-\r\n")
    );

    call.connection = None;
    let missing = call.sdp().unwrap_err();
    assert!(missing.to_string().contains("carries no SDP"));
}

#[test]
fn call_status_sample() {
    let envelope: WebhookEnvelope = round_trip(fixture!("webhook-call-status-doc.json"));
    let (_, status) = envelope.statuses().next().unwrap();
    assert_eq!(status.id, "wacid.ABGGFjFVU2AfAgo6V");
    assert_eq!(status.status, CallStatus::Ringing);
    assert_eq!(status.status_type, Some(StatusType::Call));
    assert!(status.is_call());
    assert_eq!(status.recipient_id.as_deref(), Some("163155536021"));
    assert_eq!(status.recipient_user_id.as_deref(), Some("<BSUID>"));
    assert_eq!(
        status.recipient_parent_user_id.as_deref(),
        Some("<PARENT_BSUID>")
    );
    assert_eq!(
        status.biz_opaque_callback_data.as_deref(),
        Some("random_string")
    );
    assert_eq!(status.timestamp_secs(), Some(Ok(1_671_644_824)));
}

#[test]
fn every_call_status_value_and_meta_template_placeholder() {
    for (text, expected) in [
        ("RINGING", CallStatus::Ringing),
        ("ACCEPTED", CallStatus::Accepted),
        ("REJECTED", CallStatus::Rejected),
        ("accepted", CallStatus::Accepted),
        (
            "[RINGING|ACCEPTED|REJECTED]",
            CallStatus::Unknown("[RINGING|ACCEPTED|REJECTED]".into()),
        ),
    ] {
        let json =
            fixture!("webhook-call-status-doc.json").replace("\"RINGING\"", &format!("{text:?}"));
        let envelope: WebhookEnvelope = round_trip(&json);
        assert_eq!(envelope.statuses().next().unwrap().1.status, expected);
    }
}

#[test]
fn terminate_doc_sample() {
    let envelope: WebhookEnvelope = round_trip(fixture!("webhook-terminate-doc.json"));
    let (value, call) = envelope.call_events().next().unwrap();
    assert_eq!(call.event, CallEventKind::Terminate);
    assert_eq!(call.status, Some(TerminateStatus::Completed));
    assert_eq!(call.start_secs(), Some(Ok(1_671_644_824)));
    assert_eq!(call.end_secs(), Some(Ok(1_671_644_944)));
    assert_eq!(call.duration, Some(120));
    assert_eq!(call.talk_time(), Some(std::time::Duration::from_secs(120)));
    assert_eq!(
        call.biz_opaque_callback_data.as_deref(),
        Some("random_string")
    );
    let errors = value.errors_for_call(call);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, MetaErrorCode::MediaReceiveTimeout);
    assert_eq!(errors[0].href.as_deref(), Some("ERROR_HREF"));
    assert_eq!(errors[0].details(), Some("ERROR_DETAILS"));
}

#[test]
fn terminate_status_accepts_both_casings_and_emits_upper_case() {
    for (text, expected) in [
        ("Completed", TerminateStatus::Completed),
        ("COMPLETED", TerminateStatus::Completed),
        ("Failed", TerminateStatus::Failed),
        ("FAILED", TerminateStatus::Failed),
        ("REJECTED", TerminateStatus::Rejected),
    ] {
        let json =
            fixture!("webhook-terminate-doc.json").replace("\"COMPLETED\"", &format!("{text:?}"));
        let envelope: WebhookEnvelope = round_trip(&json);
        let call = &envelope.entry[0].changes[0].value.calls[0];
        assert_eq!(call.status.as_ref(), Some(&expected));
        let emitted = serde_json::to_string(&envelope).unwrap();
        assert!(emitted.contains(&format!("\"status\":\"{}\"", expected.as_str())));
        assert_eq!(expected.as_str(), expected.as_str().to_uppercase());
    }
}

#[test]
fn terminate_live_fragment_has_errors_at_both_places() {
    let value: whatsapp::webhook::ChangeValue =
        round_trip(fixture!("webhook-terminate-live-fragment.json"));
    let call = &value.calls[0];
    assert_eq!(call.status, Some(TerminateStatus::Failed));
    assert_eq!(call.duration, Some(20));
    assert_eq!(call.errors.len(), 1);
    assert_eq!(value.errors.len(), 1);
    assert_eq!(
        call.errors[0]
            .title
            .as_deref()
            .map(|t| t.starts_with("WhatsApp client terminated")),
        Some(true)
    );
    // The same error at both places is reported once.
    let combined = value.errors_for_call(call);
    assert_eq!(combined.len(), 1);
    assert_eq!(combined[0].code.name(), "media_receive_timeout");
}

#[test]
fn permission_reply_fragment() {
    let value: whatsapp::webhook::ChangeValue =
        round_trip(fixture!("webhook-permission-reply-fragment.json"));
    let message = &value.messages[0];
    assert_eq!(message.id, "wamid.sH0kFlaCGg0xcvZbgmg90lHrg2dL");
    assert_eq!(message.from_user_id.as_deref(), Some("<BSUID>"));
    assert_eq!(
        message.message_type, None,
        "Meta's elided sample has no type"
    );
    assert_eq!(
        message.context.as_ref().unwrap().id.as_deref(),
        Some("wamid.gBGGFlaCmZ9plHrf2Mh-o")
    );
    let reply = message.call_permission_reply_payload().unwrap();
    assert_eq!(reply.response, PermissionResponse::Accept);
    assert_eq!(reply.is_permanent, Some(false));
    assert_eq!(reply.response_source, Some(ResponseSource::UserAction));
    // Meta's placeholder parses, and typed access refuses it with the reason.
    assert!(reply.expiration_secs().unwrap().is_err());
    assert!(message.timestamp_secs().unwrap().is_err());
}

#[test]
fn permission_reply_scenarios() {
    let scenarios: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(fixture!("permission-reply-scenarios.json")).unwrap();
    let parse = |name: &str| -> whatsapp::webhook::CallPermissionReply {
        round_trip(&scenarios[name].to_string())
    };
    let temporary = parse("temporary_via_request");
    assert_eq!(temporary.expiration_secs(), Some(Ok(1_768_550_400)));
    assert!(!temporary.is_permanent_grant());
    assert!(parse("permanent_via_request").is_permanent_grant());
    assert_eq!(parse("permanent_via_request").expiration_timestamp, None);
    assert_eq!(parse("reject").response, PermissionResponse::Reject);
    assert_eq!(
        parse("automatic_callback").response_source,
        Some(ResponseSource::Automatic)
    );
    let revoked = parse("automatic_revocation");
    assert_eq!(
        (revoked.response, revoked.response_source),
        (PermissionResponse::Reject, Some(ResponseSource::Automatic))
    );
}

#[test]
fn numeric_expiration_timestamp_is_accepted_and_emitted_as_string() {
    let reply: whatsapp::webhook::CallPermissionReply = round_trip(
        r#"{"response":"accept","is_permanent":false,"expiration_timestamp":1768550400}"#,
    );
    assert_eq!(reply.expiration_secs(), Some(Ok(1_768_550_400)));
    assert!(serde_json::to_string(&reply)
        .unwrap()
        .contains(r#""expiration_timestamp":"1768550400""#));
}

#[test]
fn envelope_template_parses_tolerantly() {
    let envelope: WebhookEnvelope = round_trip(fixture!("webhook-envelope-template.json"));
    let call = &envelope.entry[0].changes[0].value.calls[0];
    assert_eq!(
        call.event,
        CallEventKind::Unknown("connect|terminate".into())
    );
    assert!(!call.event.is_known());
}

#[test]
fn inbound_text_message_and_unknown_fields() {
    let json = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",
      "value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"2"},
      "contacts":[{"profile":{"name":"Ana"},"wa_id":"15550100001","brand_new":true}],
      "messages":[{"from":"15550100001","id":"wamid.X","timestamp":"1760681506","type":"text",
        "text":{"body":"hello"},"some_future_field":{"x":1}}]}}]}]}"#;
    let envelope: WebhookEnvelope = round_trip(json);
    let (_, message) = envelope.messages().next().unwrap();
    assert_eq!(message.message_type, Some(InboundMessageType::Text));
    assert_eq!(message.text_body(), Some("hello"));
    assert_eq!(envelope.entry[0].changes[0].field, ChangeField::Messages);
}

#[test]
fn settings_update_and_enforcement_webhooks() {
    let json = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
      {"field":"account_settings_update","value":{"messaging_product":"whatsapp","timestamp":"1760681506",
        "type":"PHONE_NUMBER_SETTINGS","phone_number_settings":{"phone_number_id":"2",
        "calling":{"status":"ENABLED","call_icon_visibility":"DEFAULT","callback_permission_status":"ENABLED",
        "sip":{"status":"DISABLED"},"srtp_key_exchange_protocol":"DTLS"}}}},
      {"field":"account_update","value":{"event":"ACCOUNT_RESTRICTION",
        "restriction_info":[{"restriction_type":"RESTRICTED_BUSINESS_INITIATED_CALLING","expiration":1754072386}]}}]}]}"#;
    let envelope: WebhookEnvelope = round_trip(json);
    let changes: Vec<_> = envelope.changes().collect();
    assert_eq!(changes[0].field, ChangeField::AccountSettingsUpdate);
    let calling = changes[0]
        .value
        .phone_number_settings
        .as_ref()
        .unwrap()
        .calling
        .as_ref()
        .unwrap();
    assert_eq!(
        calling.status,
        Some(whatsapp::graph::FeatureStatus::Enabled)
    );
    assert_eq!(changes[1].field, ChangeField::AccountUpdate);
    assert_eq!(
        changes[1].value.restriction_info[0].expiration,
        Some(1_754_072_386)
    );
}

#[test]
fn username_only_customer_has_bsuid_but_no_number() {
    let json = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"calls","value":{
      "messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"2"},
      "contacts":[{"profile":{"username":"ana.b"},"user_id":"US.1349","parent_user_id":"US.P1"}],
      "calls":[{"id":"wacid.U","from_user_id":"US.1349","to":"1","event":"connect","timestamp":"1760681506",
        "direction":"USER_INITIATED","session":{"sdp_type":"offer","sdp":"v=0\r\n"}}]}}]}]}"#;
    let envelope: WebhookEnvelope = round_trip(json);
    let (value, call) = envelope.call_events().next().unwrap();
    assert_eq!(call.customer_number(), None);
    assert_eq!(call.customer_user_id(), Some("US.1349"));
    assert_eq!(value.contacts[0].wa_id, None);
    assert_eq!(
        value.contacts[0]
            .profile
            .as_ref()
            .unwrap()
            .username
            .as_deref(),
        Some("ana.b")
    );
}

#[test]
fn bic_webhook_without_contacts_parses() {
    let mut json: serde_json::Value =
        serde_json::from_str(fixture!("webhook-bic-connect-doc.json")).unwrap();
    json["entry"][0]["changes"][0]["value"]
        .as_object_mut()
        .unwrap()
        .remove("contacts");
    let envelope: WebhookEnvelope = round_trip(&json.to_string());
    assert!(envelope.entry[0].changes[0].value.contacts.is_empty());
}

#[test]
fn batched_entries_and_changes_are_all_visited() {
    let connect = fixture!("webhook-uic-connect-doc.json");
    let status = fixture!("webhook-call-status-doc.json");
    let mut first: serde_json::Value = serde_json::from_str(connect).unwrap();
    let second: serde_json::Value = serde_json::from_str(status).unwrap();
    let extra_change = second["entry"][0]["changes"][0].clone();
    first["entry"][0]["changes"]
        .as_array_mut()
        .unwrap()
        .push(extra_change);
    first["entry"]
        .as_array_mut()
        .unwrap()
        .push(second["entry"][0].clone());
    let envelope: WebhookEnvelope = round_trip(&first.to_string());
    assert_eq!(envelope.changes().count(), 3);
    assert_eq!(envelope.call_events().count(), 1);
    assert_eq!(envelope.statuses().count(), 2);
}
