//! Property: every wire message survives `decode(encode(m)) == m`, for every `ClientMessage` and
//! `ServerMessage` variant with arbitrary valid field values (ids of any printable ASCII, any
//! Unicode text, SDPs with control characters, every enum value, absent and present options).
//!
//! The strategies build values only through the validating constructors, so they produce exactly
//! what a peer could send. Timestamps cover years 1 to 9999 with nanoseconds: RFC 3339 (the wire
//! form) has four-digit years, and both sides only send times near their clock.
//!
//! The fuzz target `protocol_decode` checks the other direction (every frame that decodes
//! re-encodes to an equal message); see docs/FUZZING.md.

// Test helpers may unwrap: a panic is the failure report (as clippy.toml allows in #[test]).
#![allow(clippy::unwrap_used)]

use chrono::DateTime;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use protocol::rest::{
    Conversation, ConversationMessage, MessageBody, PermissionReply, PermissionState,
    PermissionStatus, Verdict,
};
use protocol::*;

// --- scalars -------------------------------------------------------------------------------

/// Printable ASCII without spaces, 1 to 128 bytes: what every string id accepts.
const ID: &str = "[!-~]{1,128}";

fn agent_id() -> impl Strategy<Value = AgentId> {
    ID.prop_map(|s| AgentId::new(s).unwrap())
}

fn call_id() -> impl Strategy<Value = CallId> {
    ID.prop_map(|s| CallId::new(s).unwrap())
}

fn request_id() -> impl Strategy<Value = RequestId> {
    ID.prop_map(|s| RequestId::new(s).unwrap())
}

fn conversation_id() -> impl Strategy<Value = ConversationId> {
    ID.prop_map(|s| ConversationId::new(s).unwrap())
}

/// With or without the leading '+' that input accepts (and output drops).
fn phone_number() -> impl Strategy<Value = PhoneNumber> {
    "\\+?[0-9]{5,15}".prop_map(|s| PhoneNumber::new(s).unwrap())
}

/// `v=0` followed by any characters, line ends and control characters included.
fn sdp() -> impl Strategy<Value = Sdp> {
    vec(any::<char>(), 0..200).prop_map(|chars| {
        Sdp::new(format!("v=0{}", chars.into_iter().collect::<String>())).unwrap()
    })
}

/// Any text that is not only whitespace, up to the character limit.
fn message_text() -> impl Strategy<Value = MessageText> {
    prop_oneof![
        any::<String>(),
        "\\PC{4000,4096}",
        Just("é".repeat(MAX_TEXT_CHARS)),
    ]
    .prop_filter_map("only whitespace", |s| MessageText::new(s).ok())
}

fn text() -> impl Strategy<Value = String> {
    any::<String>()
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    // 0001-01-01T00:00:00Z ..= 9999-12-31T23:59:59Z
    (-62_135_596_800_i64..=253_402_300_799, 0_u32..1_000_000_000)
        .prop_map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).unwrap())
}

fn error_code() -> impl Strategy<Value = ErrorCode> {
    select(ErrorCode::ALL.to_vec())
}

fn presence() -> impl Strategy<Value = Presence> {
    select(vec![Presence::Available, Presence::Away, Presence::Offline])
}

fn direction() -> impl Strategy<Value = Direction> {
    select(vec![Direction::Inbound, Direction::Outbound])
}

fn party() -> impl Strategy<Value = Party> {
    select(vec![Party::Agent, Party::Customer, Party::System])
}

fn routed_because() -> impl Strategy<Value = RoutedBecause> {
    select(vec![
        RoutedBecause::OpenConversation,
        RoutedBecause::ContactOwner,
        RoutedBecause::RoundRobin,
    ])
}

fn call_status() -> impl Strategy<Value = CallStatus> {
    select(vec![
        CallStatus::Ringing,
        CallStatus::OnCall,
        CallStatus::Completed,
        CallStatus::Rejected,
        CallStatus::Missed,
        CallStatus::OutsideOfficeHours,
        CallStatus::AllAgentsBusy,
        CallStatus::AllAgentsOffline,
        CallStatus::Failed,
    ])
}

fn cancel_reason() -> impl Strategy<Value = CancelReason> {
    select(vec![
        CancelReason::AnsweredElsewhere,
        CancelReason::CallerHungUp,
        CancelReason::TimedOut,
        CancelReason::AcceptWindowClosed,
        CancelReason::AgentUnavailable,
        CancelReason::Failed,
    ])
}

// --- compound values -----------------------------------------------------------------------

fn protocol_error() -> impl Strategy<Value = ProtocolError> {
    (error_code(), text(), option::of(timestamp())).prop_map(|(code, message, retry_at)| {
        ProtocolError {
            code,
            message,
            retry_at,
        }
    })
}

fn customer() -> impl Strategy<Value = Customer> {
    (phone_number(), option::of(text())).prop_map(|(number, profile_name)| Customer {
        number,
        profile_name,
    })
}

fn business_number() -> impl Strategy<Value = BusinessNumber> {
    (phone_number(), text(), any::<bool>(), any::<bool>()).prop_map(
        |(number, display_name, calling_enabled, recording_enabled)| BusinessNumber {
            number,
            display_name,
            calling_enabled,
            recording_enabled,
        },
    )
}

fn incoming_call() -> impl Strategy<Value = IncomingCall> {
    (
        call_id(),
        customer(),
        phone_number(),
        routed_because(),
        timestamp(),
        sdp(),
    )
        .prop_map(
            |(call_id, customer, business_number, routed_because, ring_deadline, sdp_offer)| {
                IncomingCall {
                    call_id,
                    customer,
                    business_number,
                    routed_because,
                    ring_deadline,
                    sdp_offer,
                }
            },
        )
}

fn active_call() -> impl Strategy<Value = ActiveCall> {
    (
        call_id(),
        direction(),
        phone_number(),
        customer(),
        select(vec![ActivePhase::Connecting, ActivePhase::OnCall]),
        timestamp(),
        option::of(timestamp()),
    )
        .prop_map(
            |(call_id, direction, business_number, customer, phase, offered_at, answered_at)| {
                ActiveCall {
                    call_id,
                    direction,
                    business_number,
                    customer,
                    phase,
                    offered_at,
                    answered_at,
                }
            },
        )
}

fn hello() -> impl Strategy<Value = Hello> {
    (
        timestamp(),
        any::<u32>(),
        (agent_id(), text()).prop_map(|(id, display_name)| AgentProfile { id, display_name }),
        presence(),
        vec(business_number(), 0..3),
        vec(incoming_call(), 0..3),
        vec(active_call(), 0..3),
        vec(ice_server(), 0..3),
        vec(team_member(), 0..3),
    )
        .prop_map(
            |(
                server_time,
                heartbeat_interval_secs,
                agent,
                presence,
                numbers,
                ringing,
                active,
                ice_servers,
                team,
            )| {
                Hello {
                    server_time,
                    heartbeat_interval_secs,
                    agent,
                    presence,
                    numbers,
                    ringing,
                    active,
                    ice_servers,
                    team,
                }
            },
        )
}

fn team_member() -> impl Strategy<Value = TeamMember> {
    let call = (
        call_id(),
        direction(),
        customer(),
        select(vec![
            TeamCallPhase::Ringing,
            TeamCallPhase::Connecting,
            TeamCallPhase::OnCall,
        ]),
        timestamp(),
    )
        .prop_map(|(call_id, direction, customer, phase, since)| TeamCall {
            call_id,
            direction,
            customer,
            phase,
            since,
        });
    (agent_id(), text(), presence(), option::of(call)).prop_map(
        |(agent_id, name, presence, call)| TeamMember {
            agent_id,
            name,
            presence,
            call,
        },
    )
}

fn ice_server() -> impl Strategy<Value = IceServer> {
    (vec(text(), 1..3), text(), text()).prop_map(|(urls, username, credential)| IceServer {
        urls,
        username,
        credential,
    })
}

fn call_state() -> impl Strategy<Value = CallState> {
    prop_oneof![
        Just(CallState::Ringing),
        timestamp().prop_map(|at| CallState::Accepted { at }),
        (party(), timestamp()).prop_map(|(by, at)| CallState::Rejected { by, at }),
        (timestamp(), any::<u32>(), party()).prop_map(|(at, duration_secs, by)| {
            CallState::Ended {
                at,
                duration_secs,
                by,
            }
        }),
        (error_code(), text(), option::of(any::<u32>())).prop_map(
            |(code, message, meta_error_code)| CallState::Failed {
                code,
                message,
                meta_error_code,
            }
        ),
    ]
}

fn verdict() -> impl Strategy<Value = Verdict> {
    prop_oneof![
        Just(Verdict::Allowed),
        (error_code(), text(), option::of(timestamp())).prop_map(|(code, message, retry_at)| {
            Verdict::Refused {
                code,
                message,
                retry_at,
            }
        }),
    ]
}

fn permission_state() -> impl Strategy<Value = PermissionState> {
    (
        phone_number(),
        phone_number(),
        select(vec![
            PermissionStatus::NoPermission,
            PermissionStatus::Temporary,
            PermissionStatus::Permanent,
        ]),
        option::of(timestamp()),
        verdict(),
        verdict(),
        option::of(timestamp()),
        option::of(timestamp()),
        timestamp(),
    )
        .prop_map(
            |(
                business_number,
                customer_number,
                status,
                expires_at,
                call,
                request,
                next_request_at,
                service_window_closes_at,
                computed_at,
            )| PermissionState {
                business_number,
                customer_number,
                status,
                expires_at,
                call,
                request,
                next_request_at,
                service_window_closes_at,
                computed_at,
            },
        )
}

fn message_body() -> impl Strategy<Value = MessageBody> {
    prop_oneof![
        text().prop_map(|text| MessageBody::Text { text }),
        Just(MessageBody::CallPermissionRequest),
        select(vec![
            PermissionReply::AcceptTemporary,
            PermissionReply::AcceptPermanent,
            PermissionReply::Reject,
        ])
        .prop_map(|reply| MessageBody::CallPermissionReply { reply }),
        (call_id(), call_status())
            .prop_map(|(call_id, status)| MessageBody::Call { call_id, status }),
        text().prop_map(|summary| MessageBody::Other { summary }),
    ]
}

fn conversation() -> impl Strategy<Value = Conversation> {
    (
        conversation_id(),
        phone_number(),
        customer(),
        option::of(agent_id()),
        option::of(timestamp()),
        vec(
            (direction(), timestamp(), message_body()).prop_map(|(direction, at, body)| {
                ConversationMessage {
                    direction,
                    at,
                    body,
                }
            }),
            0..4,
        ),
        permission_state(),
    )
        .prop_map(
            |(
                id,
                business_number,
                customer,
                assigned_agent,
                last_customer_activity_at,
                recent_messages,
                permission,
            )| Conversation {
                id,
                business_number,
                customer,
                assigned_agent,
                last_customer_activity_at,
                recent_messages,
                permission,
            },
        )
}

fn reply() -> impl Strategy<Value = Reply> {
    prop_oneof![
        request_id().prop_map(Reply::ok),
        (request_id(), call_id())
            .prop_map(|(request_id, call_id)| Reply::call_placed(request_id, call_id)),
        (request_id(), protocol_error())
            .prop_map(|(request_id, error)| Reply::error(request_id, error)),
    ]
}

/// Any figure from 0 to `max` (the protocol's JSON keeps floats exact: `float_roundtrip`).
fn figure(max: u32) -> impl Strategy<Value = f64> {
    0.0..=f64::from(max)
}

fn call_quality() -> impl Strategy<Value = CallQuality> {
    let warning = select(vec![
        QualityWarning::HighLoss,
        QualityWarning::HighJitter,
        QualityWarning::HighLatency,
        QualityWarning::PoorQuality,
        QualityWarning::NoInboundAudio,
        QualityWarning::MicSilent,
    ]);
    (
        any::<u32>(),
        (figure(4), figure(4)),
        figure(100),
        option::of(figure(100)),
        option::of(figure(60_000)),
        figure(60_000),
        vec(warning, 0..5),
    )
        .prop_map(
            |(measured_secs, (mos_avg, mos_min), loss_pct, remote, rtt, jitter, warnings)| {
                CallQuality {
                    measured_secs,
                    mos_avg,
                    mos_min,
                    loss_pct,
                    remote_loss_pct_max: remote,
                    rtt_ms_avg: rtt,
                    jitter_ms_max: jitter,
                    warnings,
                }
            },
        )
}

// --- the two directions --------------------------------------------------------------------

fn client_message() -> impl Strategy<Value = ClientMessage> {
    prop_oneof![
        (request_id(), presence()).prop_map(|(request_id, presence)| {
            ClientMessage::SetPresence(SetPresence {
                request_id,
                presence,
            })
        }),
        (request_id(), call_id(), sdp()).prop_map(|(request_id, call_id, sdp_answer)| {
            ClientMessage::AcceptCall(AcceptCall {
                request_id,
                call_id,
                sdp_answer,
            })
        }),
        (request_id(), call_id()).prop_map(|(request_id, call_id)| {
            ClientMessage::MediaReady(MediaReady {
                request_id,
                call_id,
            })
        }),
        (request_id(), call_id()).prop_map(|(request_id, call_id)| {
            ClientMessage::RejectCall(RejectCall {
                request_id,
                call_id,
            })
        }),
        (request_id(), call_id()).prop_map(|(request_id, call_id)| ClientMessage::Hangup(Hangup {
            request_id,
            call_id
        })),
        (request_id(), conversation_id(), sdp()).prop_map(
            |(request_id, conversation_id, sdp_offer)| {
                ClientMessage::PlaceCall(PlaceCall {
                    request_id,
                    conversation_id,
                    sdp_offer,
                })
            }
        ),
        (request_id(), conversation_id()).prop_map(|(request_id, conversation_id)| {
            ClientMessage::RequestPermission(RequestPermission {
                request_id,
                conversation_id,
            })
        }),
        (request_id(), conversation_id(), message_text()).prop_map(
            |(request_id, conversation_id, text)| {
                ClientMessage::SendText(SendText {
                    request_id,
                    conversation_id,
                    text,
                })
            }
        ),
        (request_id(), call_id(), call_quality()).prop_map(|(request_id, call_id, quality)| {
            ClientMessage::CallQuality(ReportCallQuality {
                request_id,
                call_id,
                quality,
            })
        }),
        any::<u32>().prop_map(|id| ClientMessage::Ping(Ping {
            ping_id: PingId(id)
        })),
    ]
}

fn server_message() -> impl Strategy<Value = ServerMessage> {
    prop_oneof![
        hello().prop_map(ServerMessage::Hello),
        incoming_call().prop_map(ServerMessage::IncomingCall),
        (call_id(), cancel_reason()).prop_map(|(call_id, reason)| {
            ServerMessage::CallCancelled(CallCancelled { call_id, reason })
        }),
        (call_id(), call_state())
            .prop_map(|(call_id, state)| ServerMessage::CallUpdate(CallUpdate { call_id, state })),
        (call_id(), any::<bool>()).prop_map(|(call_id, record)| ServerMessage::StartMedia(
            StartMedia { call_id, record }
        )),
        (call_id(), sdp()).prop_map(|(call_id, sdp_answer)| {
            ServerMessage::RemoteAnswer(RemoteAnswer {
                call_id,
                sdp_answer,
            })
        }),
        permission_state().prop_map(|permission| ServerMessage::PermissionChanged(
            PermissionChanged { permission }
        )),
        conversation().prop_map(|conversation| {
            ServerMessage::ConversationUpdated(ConversationUpdated { conversation })
        }),
        vec(team_member(), 0..4)
            .prop_map(|members| ServerMessage::TeamStatus(TeamStatus { members })),
        reply().prop_map(ServerMessage::Reply),
        any::<u32>().prop_map(|id| ServerMessage::Pong(Pong {
            ping_id: PingId(id)
        })),
        protocol_error().prop_map(ServerMessage::Error),
    ]
}

/// The `type` of an encoded frame, to check every variant was generated.
fn type_of(frame: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(frame).unwrap();
    value["type"].as_str().unwrap().to_owned()
}

proptest! {
    #[test]
    fn every_client_message_survives_encode_then_decode(message in client_message()) {
        let frame = encode(&message).unwrap();
        prop_assert!(ClientMessage::TYPES.contains(&type_of(&frame).as_str()));
        prop_assert_eq!(decode_client(&frame).unwrap(), message);
        // The other direction refuses it by type rather than misreading it.
        prop_assert!(decode_server(&frame).is_err());
    }

    #[test]
    fn every_server_message_survives_encode_then_decode(message in server_message()) {
        let frame = encode(&message).unwrap();
        prop_assert!(ServerMessage::TYPES.contains(&type_of(&frame).as_str()));
        prop_assert_eq!(decode_server(&frame).unwrap(), message);
    }
}

/// The strategies reach every variant (so the properties above are about all of them): 2,000
/// draws of each direction name every `type` at least once.
#[test]
fn the_strategies_generate_every_message_type() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeSet;

    let mut runner = TestRunner::deterministic();
    let mut client_types = BTreeSet::new();
    let mut server_types = BTreeSet::new();
    for _ in 0..2_000 {
        let client = client_message().new_tree(&mut runner).unwrap().current();
        client_types.insert(type_of(&encode(&client).unwrap()));
        let server = server_message().new_tree(&mut runner).unwrap().current();
        server_types.insert(type_of(&encode(&server).unwrap()));
    }
    let expected_client: BTreeSet<String> = ClientMessage::TYPES
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    let expected_server: BTreeSet<String> = ServerMessage::TYPES
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    assert_eq!(client_types, expected_client);
    assert_eq!(server_types, expected_server);
}
