//! Every Graph request/response sample of the reference parses, round-trips, and our builders
//! emit exactly the documented JSON.

// Test code: a panic is the failure report (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used)]

mod common;

use common::round_trip;
use serde_json::{json, Value};
use whatsapp::graph::{
    CallAction, CallActionRequest, CallPermissionsResponse, ConnectResponse, DayOfWeek,
    FeatureStatus, GraphErrorBody, InteractiveType, MessagesResponse, OutboundMessage,
    PermissionActionName, PermissionStatus, SettingsResponse, SettingsUpdate, SuccessResponse,
    VoiceCallParameters,
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

fn value(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn connect_request_sample_and_builder() {
    let request: CallActionRequest = round_trip(fixture!("graph-connect-request.json"));
    assert_eq!(request.effective_action(), Some(CallAction::Connect));
    assert_eq!(request.to.as_deref(), Some("14085551234"));
    assert_eq!(
        request.recipient.as_deref(),
        Some("US.13491208655302741918")
    );
    assert_eq!(
        request.target(),
        Some("14085551234"),
        "`to` wins over `recipient`"
    );
    assert_eq!(request.session.as_ref().unwrap().sdp_type, SdpType::Offer);
    assert_eq!(
        request.biz_opaque_callback_data.as_deref(),
        Some("0fS5cePMok")
    );

    let mut built = CallActionRequest::connect("14085551234", "<<RFC 8866 SDP>>")
        .with_biz_opaque_callback_data("0fS5cePMok");
    built.recipient = Some("US.13491208655302741918".into());
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        value(fixture!("graph-connect-request.json"))
    );
}

#[test]
fn pre_accept_accept_reject_terminate_builders_emit_the_samples() {
    let call_id = "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh";
    let pre_accept = CallActionRequest::pre_accept(call_id, "<<RFC 8866 SDP>>");
    assert_eq!(
        serde_json::to_value(&pre_accept).unwrap(),
        value(fixture!("graph-pre-accept-request.json"))
    );
    let accept = CallActionRequest::accept(call_id, "<<RFC 8866 SDP>>")
        .with_biz_opaque_callback_data("random_string");
    assert_eq!(
        serde_json::to_value(&accept).unwrap(),
        value(fixture!("graph-accept-request.json"))
    );
    assert_eq!(
        serde_json::to_value(CallActionRequest::reject("wacid.…")).unwrap(),
        value(fixture!("graph-reject-request.json"))
    );
    assert_eq!(
        serde_json::to_value(CallActionRequest::terminate("wacid.…")).unwrap(),
        value(fixture!("graph-terminate-request.json"))
    );
    for text in [
        fixture!("graph-pre-accept-request.json"),
        fixture!("graph-accept-request.json"),
        fixture!("graph-reject-request.json"),
        fixture!("graph-terminate-request.json"),
    ] {
        let parsed: CallActionRequest = round_trip(text);
        assert!(parsed
            .effective_action()
            .is_some_and(|action| action.is_known()));
        assert!(parsed.call_id.is_some());
    }
}

#[test]
fn uncertain_request_variants_are_read() {
    // Upper-case action and sdp_type from a community snippet.
    let upper: CallActionRequest = round_trip(
        r#"{"messaging_product":"whatsapp","call_id":"wacid.1","action":"PRE_ACCEPT","session":{"sdp_type":"ANSWER","sdp":"v=0"}}"#,
    );
    assert_eq!(upper.effective_action(), Some(CallAction::PreAccept));
    assert_eq!(upper.session.unwrap().sdp_type, SdpType::Answer);
    // chatwoot's connect without `action`.
    let chatwoot: CallActionRequest = round_trip(
        r#"{"messaging_product":"whatsapp","to":"1555","type":"audio","session":{"sdp":"v=0","sdp_type":"offer"}}"#,
    );
    assert_eq!(chatwoot.action, None);
    assert_eq!(chatwoot.effective_action(), Some(CallAction::Connect));
    // No action, no offer: nothing inferred.
    let unclear: CallActionRequest =
        round_trip(r#"{"messaging_product":"whatsapp","call_id":"wacid.1"}"#);
    assert_eq!(unclear.effective_action(), None);
    // Our pre_accept always says "answer", even though Meta's table says "offer".
    let ours = serde_json::to_value(CallActionRequest::pre_accept("wacid.1", "v=0")).unwrap();
    assert_eq!(ours["session"]["sdp_type"], "answer");
}

#[test]
fn connect_and_success_responses() {
    let plain: ConnectResponse = round_trip(fixture!("graph-connect-response.json"));
    assert_eq!(plain.call_id(), Some("wacid.ABGGFjFVU2AfAgo6V"));
    assert_eq!(
        serde_json::to_value(ConnectResponse::new("wacid.ABGGFjFVU2AfAgo6V")).unwrap(),
        value(fixture!("graph-connect-response.json"))
    );
    let with_success: ConnectResponse =
        round_trip(fixture!("graph-connect-response-with-success.json"));
    assert_eq!(with_success.success, Some(true));
    let ok: SuccessResponse = round_trip(fixture!("graph-success-response.json"));
    assert_eq!(ok, SuccessResponse::calls_ok());
    let settings_ok: SuccessResponse = round_trip(fixture!("graph-settings-success-response.json"));
    assert_eq!(settings_ok, SuccessResponse::settings_ok());
}

#[test]
fn permission_request_message_sample_and_builder() {
    let message: OutboundMessage = round_trip(fixture!("graph-permission-request-message.json"));
    assert_eq!(
        message.interactive_type(),
        Some(&InteractiveType::CallPermissionRequest)
    );
    let built = OutboundMessage::call_permission_request(
        "<PHONE_NUMBER> or <WHATSAPP_ID>",
        Some("We would like to call you to help support your query on Order No: ON-12853.".into()),
    )
    .with_recipient("US.13491208655302741918");
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        value(fixture!("graph-permission-request-message.json"))
    );
    // Body is optional.
    let bare =
        serde_json::to_value(OutboundMessage::call_permission_request("1555", None)).unwrap();
    assert_eq!(
        bare["interactive"],
        json!({"type":"call_permission_request","action":{"name":"call_permission_request"}})
    );
}

#[test]
fn voice_call_button_sample_and_builder() {
    let message: OutboundMessage = round_trip(fixture!("graph-voice-call-button-message.json"));
    let parameters = message
        .interactive
        .as_ref()
        .unwrap()
        .action
        .parameters
        .as_ref()
        .unwrap();
    assert_eq!(parameters.ttl_minutes, Some(100));
    let built = OutboundMessage::voice_call_button(
        "14085551234",
        "You can call us on WhatsApp now for faster service!",
        VoiceCallParameters {
            display_text: Some("Call on WhatsApp".into()),
            ttl_minutes: Some(100),
            payload: Some("payload data".into()),
        },
    );
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        value(fixture!("graph-voice-call-button-message.json"))
    );
}

#[test]
fn text_message_builder() {
    let built =
        serde_json::to_value(OutboundMessage::text("14085551234", "We are closed now.")).unwrap();
    assert_eq!(
        built,
        json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"14085551234","type":"text","text":{"body":"We are closed now."}})
    );
}

#[test]
fn messages_response_sample() {
    let response: MessagesResponse = round_trip(fixture!("graph-messages-response.json"));
    assert_eq!(response.message_id(), Some("wamid.gBGGFlaCmZ9plHrf2Mh-o"));
    assert_eq!(response.contacts[0].user_id.as_deref(), Some("<BSUID>"));
}

#[test]
fn call_permissions_response_sample() {
    let response: CallPermissionsResponse =
        round_trip(fixture!("graph-call-permissions-response.json"));
    assert_eq!(response.permission.status, PermissionStatus::Temporary);
    assert_eq!(response.permission.expiration_time, Some(1_745_343_479));
    let request = response
        .action(&PermissionActionName::SendCallPermissionRequest)
        .unwrap();
    assert!(request.can_perform_action);
    assert_eq!(request.limits[1].time_period, "P7D");
    assert_eq!(request.limits[1].current_usage, 1);
    let start = response.action(&PermissionActionName::StartCall).unwrap();
    assert!(!start.can_perform_action);
    assert_eq!(start.limits[0].limit_expiration_time, Some(1_745_622_600));
    // The table's `expiration` name and quoted numbers are read too.
    let table: CallPermissionsResponse =
        round_trip(r#"{"permission":{"status":"permanent","expiration":"1745343479"}}"#);
    assert_eq!(table.permission.expiration_time, Some(1_745_343_479));
}

#[test]
fn settings_update_sample() {
    let update: SettingsUpdate = round_trip(fixture!("graph-settings-update.json"));
    let calling = &update.calling;
    assert_eq!(calling.status, Some(FeatureStatus::Enabled));
    let hours = calling.call_hours.as_ref().unwrap();
    assert_eq!(hours.timezone_id.as_deref(), Some("America/Manaus"));
    assert_eq!(
        hours.weekly_operating_hours[0].day_of_week,
        DayOfWeek::Monday
    );
    assert_eq!(hours.weekly_operating_hours[0].minutes(), Ok((240, 620)));
    let holidays = hours.holiday_schedule.as_ref().unwrap();
    assert_eq!(
        (holidays[0].date.as_str(), holidays[0].end_time.as_str()),
        ("2026-01-01", "2359")
    );
    assert_eq!(
        calling
            .call_icons
            .as_ref()
            .unwrap()
            .restrict_to_user_countries,
        vec!["US", "BR"]
    );
    let sip = calling.sip.as_ref().unwrap();
    assert!(
        !sip.status.is_known(),
        "Meta's template value stays visible as unknown"
    );
    assert_eq!(sip.servers[0].port, Some(5061));
    assert_eq!(
        calling.audio.as_ref().unwrap().additional_codecs,
        vec!["PCMA", "PCMU"]
    );
    assert_eq!(
        calling.voicemail.as_ref().unwrap().triggers,
        vec!["REJECT", "TIMEOUT"]
    );
}

#[test]
fn settings_holiday_table_names_and_colon_times_are_read() {
    let update: SettingsUpdate = round_trip(
        r#"{"calling":{"call_hours":{"status":"ENABLED","timezone_id":"UTC",
           "weekly_operating_hours":[{"day_of_week":"monday","open_time":"04:00","close_time":"10:20"}],
           "holiday_schedule":[{"date":"2026-01-01","open_time":"0000","close_time":"2359"}]}}}"#,
    );
    let hours = update.calling.call_hours.unwrap();
    assert_eq!(hours.weekly_operating_hours[0].minutes(), Ok((240, 620)));
    assert_eq!(
        hours.weekly_operating_hours[0].day_of_week,
        DayOfWeek::Monday
    );
    let emitted = serde_json::to_value(&hours.holiday_schedule).unwrap();
    assert_eq!(emitted[0]["start_time"], "0000");
}

#[test]
fn settings_get_with_restrictions_and_not_set() {
    let restricted: SettingsResponse =
        round_trip(fixture!("graph-settings-restrictions-fragment.json"));
    let restriction = &restricted.restrictions.unwrap().restrictions_list[0];
    assert_eq!(
        restriction.restriction_type,
        "RESTRICTED_BUSINESS_INITIATED_CALLING"
    );
    assert_eq!(restriction.expiration, Some(1_754_072_386));
    let table_name: SettingsResponse = round_trip(
        r#"{"restrictions":{"restriction_list":[{"type":"X"}]},"calling":{"status":"NOT_SET"},"other":1}"#,
    );
    assert_eq!(table_name.restrictions.unwrap().restrictions_list.len(), 1);
    assert_eq!(
        table_name.calling.unwrap().status,
        Some(FeatureStatus::NotSet)
    );
}

#[test]
fn graph_error_samples() {
    let real: GraphErrorBody = round_trip(fixture!("graph-error-sdp-fingerprint.json"));
    let error = &real.error;
    assert_eq!(error.code, MetaErrorCode::InvalidParameter);
    assert_eq!(error.error_subcode, Some(2_494_010));
    assert_eq!(error.details(), Some("Fingerprint algo is not SHA256"));
    assert_eq!(error.fbtrace_id.as_deref(), Some("ApaWkAViZR1ZYOg3XpILtzj"));
    assert_eq!(error.is_transient, Some(false));
    assert_eq!(error.error_type.as_deref(), Some("OAuthException"));
    assert!(error.to_string().contains("Fingerprint algo is not SHA256"));

    let synthetic: GraphErrorBody = round_trip(fixture!("graph-error-138006-synthetic.json"));
    assert_eq!(synthetic.error.code, MetaErrorCode::NoCallPermission);
    assert_eq!(synthetic.error.http_status(), 401);

    // Meta's template has a placeholder where the integer code goes: refused, with the reason.
    let template =
        serde_json::from_str::<GraphErrorBody>(fixture!("graph-error-template.json")).unwrap_err();
    assert!(
        template.to_string().contains("is not an integer"),
        "{template}"
    );
}
