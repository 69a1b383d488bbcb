//! Byte-level tests of the wire format: exact JSON of representative messages (golden strings),
//! round trips, and refusal of bad frames with the reason.

// Test helpers may unwrap: a panic is the failure report (as clippy.toml allows in #[test]).
#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use protocol::rest::{PermissionState, PermissionStatus, Verdict};
use protocol::*;

fn at(h: u32, m: u32, s: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 22, h, m, s).unwrap()
}

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n";

fn incoming_call() -> IncomingCall {
    IncomingCall {
        call_id: CallId::new("wacid.ABC").unwrap(),
        customer: Customer {
            number: PhoneNumber::new("+4915112345678").unwrap(),
            profile_name: Some("Jana".into()),
        },
        business_number: PhoneNumber::new("15550001111").unwrap(),
        routed_because: RoutedBecause::ContactOwner,
        ring_deadline: at(10, 0, 20),
        sdp_offer: Sdp::new(SDP).unwrap(),
    }
}

/// Encodes, compares with the golden string, and decodes the golden string back.
fn assert_server_golden(message: ServerMessage, golden: &str) {
    assert_eq!(encode(&message).unwrap(), golden);
    assert_eq!(decode_server(golden).unwrap(), message);
}

fn assert_client_golden(message: ClientMessage, golden: &str) {
    assert_eq!(encode(&message).unwrap(), golden);
    assert_eq!(decode_client(golden).unwrap(), message);
}

#[test]
fn incoming_call_golden() {
    assert_server_golden(
        ServerMessage::IncomingCall(incoming_call()),
        r#"{"v":1,"type":"incoming_call","call_id":"wacid.ABC","customer":{"number":"4915112345678","profile_name":"Jana"},"business_number":"15550001111","routed_because":"contact_owner","ring_deadline":"2026-11-22T10:00:20Z","sdp_offer":"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"}"#,
    );
}

#[test]
fn hello_golden_carries_ringing_snapshot() {
    let hello = Hello {
        server_time: at(10, 0, 5),
        heartbeat_interval_secs: 15,
        agent: AgentProfile {
            id: AgentId::new("agent-1").unwrap(),
            display_name: "Ana".into(),
        },
        presence: Presence::Available,
        numbers: vec![BusinessNumber {
            number: PhoneNumber::new("15550001111").unwrap(),
            display_name: "Support".into(),
            calling_enabled: true,
            recording_enabled: false,
        }],
        ringing: vec![incoming_call()],
        active: vec![],
        ice_servers: vec![],
        team: vec![],
    };
    assert_server_golden(
        ServerMessage::Hello(hello),
        concat!(
            r#"{"v":1,"type":"hello","server_time":"2026-11-22T10:00:05Z","heartbeat_interval_secs":15,"#,
            r#""agent":{"id":"agent-1","display_name":"Ana"},"presence":"available","#,
            r#""numbers":[{"number":"15550001111","display_name":"Support","calling_enabled":true,"recording_enabled":false}],"#,
            r#""ringing":[{"call_id":"wacid.ABC","customer":{"number":"4915112345678","profile_name":"Jana"},"business_number":"15550001111","routed_because":"contact_owner","ring_deadline":"2026-11-22T10:00:20Z","sdp_offer":"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"}],"#,
            r#""active":[]}"#
        ),
    );
}

#[test]
fn hello_golden_with_ice_servers() {
    let hello = Hello {
        server_time: at(10, 0, 5),
        heartbeat_interval_secs: 15,
        agent: AgentProfile {
            id: AgentId::new("agent-1").unwrap(),
            display_name: "Ana".into(),
        },
        presence: Presence::Available,
        numbers: vec![],
        ringing: vec![],
        active: vec![],
        ice_servers: vec![
            IceServer {
                urls: vec!["stun:stun.example.com:3478".into()],
                username: String::new(),
                credential: String::new(),
            },
            IceServer {
                urls: vec!["turns:turn.example.com:443?transport=tcp".into()],
                username: "1764842400:agent-1".into(),
                credential: "c2VjcmV0".into(),
            },
        ],
        team: vec![],
    };
    assert_server_golden(
        ServerMessage::Hello(hello),
        concat!(
            r#"{"v":1,"type":"hello","server_time":"2026-11-22T10:00:05Z","heartbeat_interval_secs":15,"#,
            r#""agent":{"id":"agent-1","display_name":"Ana"},"presence":"available","numbers":[],"ringing":[],"active":[],"#,
            r#""ice_servers":[{"urls":["stun:stun.example.com:3478"]},"#,
            r#"{"urls":["turns:turn.example.com:443?transport=tcp"],"username":"1764842400:agent-1","credential":"c2VjcmV0"}]}"#
        ),
    );
}

#[test]
fn call_cancelled_golden() {
    assert_server_golden(
        ServerMessage::CallCancelled(CallCancelled {
            call_id: CallId::new("wacid.ABC").unwrap(),
            reason: CancelReason::CallerHungUp,
        }),
        r#"{"v":1,"type":"call_cancelled","call_id":"wacid.ABC","reason":"caller_hung_up"}"#,
    );
}

#[test]
fn call_update_state_is_flattened_golden() {
    assert_server_golden(
        ServerMessage::CallUpdate(CallUpdate {
            call_id: CallId::new("wacid.ABC").unwrap(),
            state: CallState::Ended {
                at: at(10, 5, 0),
                duration_secs: 281,
                by: Party::Customer,
            },
        }),
        r#"{"v":1,"type":"call_update","call_id":"wacid.ABC","state":"ended","at":"2026-11-22T10:05:00Z","duration_secs":281,"by":"customer"}"#,
    );
    assert_server_golden(
        ServerMessage::CallUpdate(CallUpdate {
            call_id: CallId::new("wacid.ABC").unwrap(),
            state: CallState::Failed {
                code: ErrorCode::UpstreamError,
                message: "media receive timeout".into(),
                meta_error_code: Some(138021),
            },
        }),
        r#"{"v":1,"type":"call_update","call_id":"wacid.ABC","state":"failed","code":"upstream_error","message":"media receive timeout","meta_error_code":138021}"#,
    );
}

#[test]
fn reply_ok_and_error_golden() {
    assert_server_golden(
        ServerMessage::Reply(Reply {
            request_id: RequestId::new("r-9").unwrap(),
            result: ReplyResult::Ok {
                call_id: Some(CallId::new("wacid.OUT").unwrap()),
            },
        }),
        r#"{"v":1,"type":"reply","request_id":"r-9","outcome":"ok","call_id":"wacid.OUT"}"#,
    );
    assert_server_golden(
        ServerMessage::Reply(Reply {
            request_id: RequestId::new("r-10").unwrap(),
            result: ReplyResult::Error(
                ProtocolError::new(
                    ErrorCode::PermissionRequestLimitReached,
                    "1 request per 24 h",
                )
                .retry_at(at(12, 0, 0)),
            ),
        }),
        r#"{"v":1,"type":"reply","request_id":"r-10","outcome":"error","code":"permission_request_limit_reached","message":"1 request per 24 h","retry_at":"2026-11-22T12:00:00Z"}"#,
    );
}

#[test]
fn error_and_pong_golden() {
    assert_server_golden(
        ServerMessage::Error(ProtocolError::new(
            ErrorCode::SessionReplaced,
            "signed in elsewhere",
        )),
        r#"{"v":1,"type":"error","code":"session_replaced","message":"signed in elsewhere","retry_at":null}"#,
    );
    assert_server_golden(
        ServerMessage::Pong(Pong {
            ping_id: PingId(42),
        }),
        r#"{"v":1,"type":"pong","ping_id":42}"#,
    );
}

#[test]
fn permission_changed_golden() {
    let permission = PermissionState {
        business_number: PhoneNumber::new("15550001111").unwrap(),
        customer_number: PhoneNumber::new("4915112345678").unwrap(),
        status: PermissionStatus::Temporary,
        expires_at: Some(at(10, 0, 0) + chrono::Duration::days(7)),
        call: Verdict::Allowed,
        request: Verdict::Refused {
            code: ErrorCode::CustomerServiceWindowClosed,
            message: "window closed".into(),
            retry_at: None,
        },
        next_request_at: None,
        service_window_closes_at: None,
        computed_at: at(10, 0, 0),
    };
    assert_server_golden(
        ServerMessage::PermissionChanged(PermissionChanged { permission }),
        concat!(
            r#"{"v":1,"type":"permission_changed","permission":{"business_number":"15550001111","customer_number":"4915112345678","#,
            r#""status":"temporary","expires_at":"2026-11-29T10:00:00Z","call":{"verdict":"allowed"},"#,
            r#""request":{"verdict":"refused","code":"customer_service_window_closed","message":"window closed","retry_at":null},"#,
            r#""next_request_at":null,"service_window_closes_at":null,"computed_at":"2026-11-22T10:00:00Z"}}"#
        ),
    );
}

#[test]
fn team_status_golden() {
    let members = vec![
        TeamMember {
            agent_id: AgentId::new("agent-1").unwrap(),
            name: "Ana".into(),
            presence: Presence::Available,
            call: Some(TeamCall {
                call_id: CallId::new("wacid.ABC").unwrap(),
                direction: Direction::Inbound,
                customer: Customer {
                    number: PhoneNumber::new("4915112345678").unwrap(),
                    profile_name: Some("Kai".into()),
                },
                phase: TeamCallPhase::OnCall,
                since: at(10, 0, 0),
            }),
        },
        TeamMember {
            agent_id: AgentId::new("agent-2").unwrap(),
            name: "Bo".into(),
            presence: Presence::Offline,
            call: None,
        },
    ];
    assert_server_golden(
        ServerMessage::TeamStatus(TeamStatus { members }),
        concat!(
            r#"{"v":1,"type":"team_status","members":[{"agent_id":"agent-1","name":"Ana","presence":"available","#,
            r#""call":{"call_id":"wacid.ABC","direction":"inbound","customer":{"number":"4915112345678","profile_name":"Kai"},"#,
            r#""phase":"on_call","since":"2026-11-22T10:00:00Z"}},"#,
            r#"{"agent_id":"agent-2","name":"Bo","presence":"offline","call":null}]}"#
        ),
    );
}

#[test]
fn client_requests_golden() {
    assert_client_golden(
        ClientMessage::AcceptCall(AcceptCall {
            request_id: RequestId::new("r-1").unwrap(),
            call_id: CallId::new("wacid.ABC").unwrap(),
            sdp_answer: Sdp::new("v=0\r\n").unwrap(),
        }),
        r#"{"v":1,"type":"accept_call","request_id":"r-1","call_id":"wacid.ABC","sdp_answer":"v=0\r\n"}"#,
    );
    assert_client_golden(
        ClientMessage::SetPresence(SetPresence {
            request_id: RequestId::new("r-2").unwrap(),
            presence: Presence::Away,
        }),
        r#"{"v":1,"type":"set_presence","request_id":"r-2","presence":"away"}"#,
    );
    assert_client_golden(
        ClientMessage::CallQuality(ReportCallQuality {
            request_id: RequestId::new("r-9").unwrap(),
            call_id: CallId::new("wacid.ABC").unwrap(),
            quality: CallQuality {
                measured_secs: 62,
                mos_avg: 4.25,
                mos_min: 2.5,
                loss_pct: 3.5,
                remote_loss_pct_max: Some(12.0),
                rtt_ms_avg: None,
                jitter_ms_max: 18.75,
                warnings: vec![QualityWarning::HighLoss, QualityWarning::NoInboundAudio],
            },
        }),
        r#"{"v":1,"type":"call_quality","request_id":"r-9","call_id":"wacid.ABC","quality":{"measured_secs":62,"mos_avg":4.25,"mos_min":2.5,"loss_pct":3.5,"remote_loss_pct_max":12.0,"rtt_ms_avg":null,"jitter_ms_max":18.75,"warnings":["high_loss","no_inbound_audio"]}}"#,
    );
    assert_client_golden(
        ClientMessage::PlaceCall(PlaceCall {
            request_id: RequestId::new("r-3").unwrap(),
            conversation_id: ConversationId::new("conv-7").unwrap(),
            sdp_offer: Sdp::new("v=0\r\n").unwrap(),
        }),
        r#"{"v":1,"type":"place_call","request_id":"r-3","conversation_id":"conv-7","sdp_offer":"v=0\r\n"}"#,
    );
    assert_client_golden(
        ClientMessage::Ping(Ping { ping_id: PingId(7) }),
        r#"{"v":1,"type":"ping","ping_id":7}"#,
    );
}

#[test]
fn every_message_type_round_trips_and_is_listed() {
    let call_id = || CallId::new("c-1").unwrap();
    let request_id = || RequestId::new("r-1").unwrap();
    let conversation_id = || ConversationId::new("conv-1").unwrap();
    let sdp = || Sdp::new("v=0\r\n").unwrap();
    let clients = vec![
        ClientMessage::SetPresence(SetPresence {
            request_id: request_id(),
            presence: Presence::Offline,
        }),
        ClientMessage::AcceptCall(AcceptCall {
            request_id: request_id(),
            call_id: call_id(),
            sdp_answer: sdp(),
        }),
        ClientMessage::MediaReady(MediaReady {
            request_id: request_id(),
            call_id: call_id(),
        }),
        ClientMessage::RejectCall(RejectCall {
            request_id: request_id(),
            call_id: call_id(),
        }),
        ClientMessage::Hangup(Hangup {
            request_id: request_id(),
            call_id: call_id(),
        }),
        ClientMessage::PlaceCall(PlaceCall {
            request_id: request_id(),
            conversation_id: conversation_id(),
            sdp_offer: sdp(),
        }),
        ClientMessage::RequestPermission(RequestPermission {
            request_id: request_id(),
            conversation_id: conversation_id(),
        }),
        ClientMessage::SendText(SendText {
            request_id: request_id(),
            conversation_id: conversation_id(),
            text: MessageText::new("Hallo").unwrap(),
        }),
        ClientMessage::CallQuality(ReportCallQuality {
            request_id: RequestId::new("r-10").unwrap(),
            call_id: CallId::new("wacid.ABC").unwrap(),
            quality: CallQuality {
                measured_secs: 1,
                mos_avg: 4.5,
                mos_min: 4.5,
                loss_pct: 0.0,
                remote_loss_pct_max: None,
                rtt_ms_avg: None,
                jitter_ms_max: 0.0,
                warnings: Vec::new(),
            },
        }),
        ClientMessage::Ping(Ping { ping_id: PingId(1) }),
    ];
    let mut client_types = Vec::new();
    for message in clients {
        let frame = encode(&message).unwrap();
        assert_eq!(decode_client(&frame).unwrap(), message, "{frame}");
        client_types.push(type_of(&frame));
        // Every request but ping names its request id, for the reply.
        assert_eq!(message.request_id().is_some(), !frame.contains("\"ping\""));
    }
    assert_eq!(client_types, ClientMessage::TYPES);

    let servers = vec![
        ServerMessage::IncomingCall(incoming_call()),
        ServerMessage::CallCancelled(CallCancelled {
            call_id: call_id(),
            reason: CancelReason::AnsweredElsewhere,
        }),
        ServerMessage::CallUpdate(CallUpdate {
            call_id: call_id(),
            state: CallState::Ringing,
        }),
        ServerMessage::StartMedia(StartMedia {
            call_id: call_id(),
            record: true,
        }),
        ServerMessage::RemoteAnswer(RemoteAnswer {
            call_id: call_id(),
            sdp_answer: sdp(),
        }),
        ServerMessage::Reply(Reply {
            request_id: request_id(),
            result: ReplyResult::Ok { call_id: None },
        }),
        ServerMessage::Pong(Pong { ping_id: PingId(1) }),
        ServerMessage::Error(ProtocolError::new(ErrorCode::InternalError, "oops")),
    ];
    for message in servers {
        let frame = encode(&message).unwrap();
        assert_eq!(decode_server(&frame).unwrap(), message, "{frame}");
        assert!(ServerMessage::TYPES.contains(&type_of(&frame).as_str()));
    }
}

fn type_of(frame: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(frame).unwrap();
    value["type"].as_str().unwrap().to_owned()
}

#[test]
fn a_direction_does_not_decode_the_other_directions_messages() {
    let err = decode_client(r#"{"v":1,"type":"pong","ping_id":1}"#).unwrap_err();
    assert_eq!(
        err,
        DecodeError::UnknownType {
            found: "pong".into()
        }
    );
    assert_eq!(err.code(), ErrorCode::UnknownMessageType);
}

#[test]
fn bad_frames_are_refused_with_the_reason() {
    let cases: &[(&str, ErrorCode, &str)] = &[
        ("{\"v\":1,", ErrorCode::MalformedJson, "not valid JSON"),
        (
            "[1,2]",
            ErrorCode::MalformedJson,
            "must be a JSON object, found an array",
        ),
        (
            r#"{"type":"ping","ping_id":1}"#,
            ErrorCode::UnsupportedVersion,
            "no protocol version",
        ),
        (
            r#"{"v":2,"type":"ping","ping_id":1}"#,
            ErrorCode::UnsupportedVersion,
            "version 2 is not supported",
        ),
        (
            r#"{"v":"1","type":"ping","ping_id":1}"#,
            ErrorCode::UnsupportedVersion,
            "version \"1\" is not supported",
        ),
        (
            r#"{"v":1,"ping_id":1}"#,
            ErrorCode::UnknownMessageType,
            "no string field \"type\"",
        ),
        (
            r#"{"v":1,"type":"transfer_call"}"#,
            ErrorCode::UnknownMessageType,
            "unknown message type \"transfer_call\"",
        ),
        (
            r#"{"v":1,"type":"ping"}"#,
            ErrorCode::InvalidMessage,
            "missing field `ping_id`",
        ),
        (
            r#"{"v":1,"type":"ping","ping_id":-1}"#,
            ErrorCode::InvalidMessage,
            "invalid ping message",
        ),
        (
            r#"{"v":1,"type":"set_presence","request_id":"r-1","presence":"busy"}"#,
            ErrorCode::InvalidMessage,
            "unknown variant `busy`",
        ),
        (
            r#"{"v":1,"type":"accept_call","request_id":"r-1","call_id":"c","sdp_answer":"hello"}"#,
            ErrorCode::InvalidMessage,
            "SDP must start with \"v=0\"",
        ),
        (
            r#"{"v":1,"type":"hangup","request_id":"r-1","call_id":""}"#,
            ErrorCode::InvalidMessage,
            "call id must not be empty",
        ),
        (
            r#"{"v":1,"type":"send_text","request_id":"r-1","conversation_id":"c","text":"  "}"#,
            ErrorCode::InvalidMessage,
            "message text must not be empty",
        ),
    ];
    for (frame, code, reason) in cases {
        let err = decode_client(frame).unwrap_err();
        assert_eq!(err.code(), *code, "{frame}: {err}");
        assert!(
            err.to_string().contains(reason),
            "{frame}: {err} lacks {reason:?}"
        );
        let wire = err.to_protocol_error();
        assert_eq!(wire.code, *code);
        assert_eq!(wire.message, err.to_string());
    }
}

#[test]
fn an_invalid_request_keeps_its_request_id_so_the_refusal_can_be_a_reply() {
    let err = decode_client(r#"{"v":1,"type":"hangup","request_id":"r-5"}"#).unwrap_err();
    assert_eq!(err.request_id(), Some(&RequestId::new("r-5").unwrap()));
    assert!(err.to_string().contains("missing field `call_id`"), "{err}");
}

#[test]
fn the_refusal_of_a_bad_frame_is_a_reply_when_it_named_a_request() {
    let err = decode_client(r#"{"v":1,"type":"hangup","request_id":"r-5"}"#).unwrap_err();
    let ServerMessage::Reply(reply) = err.to_server_message() else {
        panic!("expected a reply, got {:?}", err.to_server_message());
    };
    assert_eq!(reply.request_id.as_str(), "r-5");
    assert!(matches!(
        reply.result,
        ReplyResult::Error(ProtocolError {
            code: ErrorCode::InvalidMessage,
            ..
        })
    ));

    let err = decode_client("not json").unwrap_err();
    assert!(matches!(
        err.to_server_message(),
        ServerMessage::Error(ProtocolError {
            code: ErrorCode::MalformedJson,
            ..
        })
    ));
}

#[test]
fn oversized_frames_are_refused_before_parsing() {
    let frame = format!(
        r#"{{"v":1,"type":"ping","pad":"{}"}}"#,
        "x".repeat(MAX_FRAME_BYTES)
    );
    assert!(matches!(
        decode_client(&frame),
        Err(DecodeError::TooLarge {
            max: MAX_FRAME_BYTES,
            ..
        })
    ));
}

#[test]
fn unknown_fields_are_ignored_for_forward_compatibility() {
    let message = decode_client(r#"{"v":1,"type":"ping","ping_id":3,"added_later":true}"#).unwrap();
    assert_eq!(message, ClientMessage::Ping(Ping { ping_id: PingId(3) }));
}

#[test]
fn hostile_inputs_never_panic() {
    let inputs = [
        "",
        "null",
        "1",
        "\"x\"",
        "{}",
        r#"{"v":null}"#,
        r#"{"v":1e400}"#,
        r#"{"v":1,"type":7}"#,
        r#"{"v":1,"type":"hello"}"#,
        r#"{"v":1,"type":"call_update","call_id":"c","state":"teleported"}"#,
        r#"{"v":1,"type":"reply","request_id":"r","outcome":"maybe"}"#,
        "{\"v\":1,\"type\":\"ping\",\"ping_id\":99999999999999999999}",
        "\u{0}\u{1}",
        "{\"a\":\"\\ud800\"}",
    ];
    for input in inputs {
        assert!(decode_client(input).is_err(), "{input}");
        assert!(decode_server(input).is_err(), "{input}");
    }
    // Deep nesting is refused by serde_json's recursion limit, not by a stack overflow.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(matches!(
        decode_client(&deep),
        Err(DecodeError::MalformedJson { .. })
    ));
}
