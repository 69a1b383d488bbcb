//! The phone engine against a scripted platform (an in-test tokio-tungstenite server speaking
//! the protocol): a refused accept ends the call with the platform's reason; a presence request
//! lost with the connection is refused; after a reconnect (requested with `reconnect_now`) the
//! snapshot keeps the ringing call it still lists (not offered twice) and ends the one it no
//! longer lists, and an accept lost with the connection ends the call here so the platform can
//! offer it again. Media is real (the offer is Meta's; answering gathers local candidates) but
//! never connects: nobody is at the offer's address.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use protocol::{ClientMessage, ErrorCode, Party, Presence};
use serde_json::{json, Value};
use softphone::media::{CallAudio, NullSink, SilenceSource};
use softphone::phone::{
    AudioPlan, ConnectionStatus, EndReason, Phone, PhoneConfig, PhoneError, PhoneEvent,
    WebRtcConfig,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const WAIT: Duration = Duration::from_secs(20);

fn ringing(call_id: &str) -> Value {
    json!({
        "call_id": call_id,
        "customer": {"number": "+14085551234", "profile_name": "Bo"},
        "business_number": "+15550001111",
        "routed_because": "round_robin",
        "ring_deadline": "2026-11-22T10:00:20Z",
        "sdp_offer": wa_sim::device::META_OFFER,
    })
}

fn hello(ringing: Vec<Value>) -> String {
    json!({
        "v": 1, "type": "hello", "server_time": "2026-11-22T10:00:00Z",
        "heartbeat_interval_secs": 5,
        "agent": {"id": "agent-1", "display_name": "Ann"},
        "presence": "available", "numbers": [], "ringing": ringing, "active": [],
    })
    .to_string()
}

async fn accept_ws(listener: &TcpListener) -> WebSocketStream<TcpStream> {
    let (tcp, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    tokio_tungstenite::accept_async(tcp).await.unwrap()
}

/// Next request from the phone, skipping pings.
async fn next_request(ws: &mut WebSocketStream<TcpStream>) -> ClientMessage {
    loop {
        let frame = timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
        if let Message::Text(t) = frame {
            match protocol::decode_client(t.as_str()).unwrap() {
                ClientMessage::Ping(_) => continue,
                other => return other,
            }
        }
    }
}

async fn reply(
    ws: &mut WebSocketStream<TcpStream>,
    request: &ClientMessage,
    error: Option<ErrorCode>,
) {
    let request_id = request.request_id().unwrap().to_string();
    let body = match error {
        None => {
            json!({"v": 1, "type": "reply", "request_id": request_id, "outcome": "ok", "call_id": null})
        }
        Some(code) => json!({"v": 1, "type": "reply", "request_id": request_id, "outcome": "error",
            "code": code, "message": "another agent took it"}),
    };
    ws.send(Message::text(body.to_string())).await.unwrap();
}

struct Events(mpsc::Receiver<PhoneEvent>);

impl Events {
    async fn next(&mut self) -> PhoneEvent {
        timeout(WAIT, self.0.recv())
            .await
            .expect("no event from the phone")
            .expect("the phone's events closed")
    }
}

async fn phone(listener: &TcpListener) -> (Phone, Events) {
    let port = listener.local_addr().unwrap().port();
    let config = PhoneConfig {
        platform: format!("http://127.0.0.1:{port}"),
        token: "rd_test_token".into(),
        audio: AudioPlan::PerCall(Box::new(|_| {
            Ok(CallAudio {
                source: Box::new(SilenceSource),
                sink: Box::new(NullSink),
                packets: None,
            })
        })),
        media: WebRtcConfig::default(),
        tls: Default::default(),
        recordings_dir: None,
    };
    let (phone, events) = Phone::start(config).unwrap();
    let mut events = Events(events);
    assert_eq!(
        events.next().await,
        PhoneEvent::Connection(ConnectionStatus::Connecting)
    );
    (phone, events)
}

fn connected_with(event: PhoneEvent, expected_ringing: usize) {
    match event {
        PhoneEvent::Connection(ConnectionStatus::Connected {
            ringing, agent_id, ..
        }) => {
            assert_eq!(ringing, expected_ringing);
            assert_eq!(agent_id, "agent-1");
        }
        other => panic!("expected connected, got {other:?}"),
    }
}

fn incoming(event: PhoneEvent, call_id: &str) {
    match event {
        PhoneEvent::Incoming(info) => {
            assert_eq!(info.call_id, call_id);
            assert_eq!(info.customer_name.as_deref(), Some("Bo"));
        }
        other => panic!("expected incoming {call_id}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_accept_ends_the_call_with_the_platforms_reason() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (phone, mut events) = phone(&listener).await;
    let mut ws = accept_ws(&listener).await;
    ws.send(Message::text(hello(vec![ringing("wacid.A")])))
        .await
        .unwrap();
    connected_with(events.next().await, 1);
    incoming(events.next().await, "wacid.A");

    phone.accept("wacid.A").await.unwrap();
    assert_eq!(
        events.next().await,
        PhoneEvent::Answered {
            call_id: "wacid.A".into()
        }
    );
    let request = next_request(&mut ws).await;
    match &request {
        ClientMessage::AcceptCall(accept) => {
            assert_eq!(accept.call_id.as_str(), "wacid.A");
            assert!(accept.sdp_answer.as_str().contains("a=setup:active"));
        }
        other => panic!("expected accept_call, got {other:?}"),
    }
    reply(&mut ws, &request, Some(ErrorCode::AnsweredElsewhere)).await;
    match events.next().await {
        PhoneEvent::Error {
            call_id,
            code,
            message,
        } => {
            assert_eq!(call_id.as_deref(), Some("wacid.A"));
            assert_eq!(code, "answered_elsewhere");
            assert!(message.contains("another agent took it"), "{message}");
        }
        other => panic!("expected the refusal, got {other:?}"),
    }
    match events.next().await {
        PhoneEvent::Ended {
            call_id, reason, ..
        } => {
            assert_eq!(call_id, "wacid.A");
            assert_eq!(reason.code(), "refused_by_platform");
        }
        other => panic!("expected ended, got {other:?}"),
    }
    phone.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_reconnect_the_snapshot_keeps_listed_ringing_calls_and_ends_the_others() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (phone, mut events) = phone(&listener).await;
    let mut ws = accept_ws(&listener).await;
    ws.send(Message::text(hello(vec![
        ringing("wacid.A"),
        ringing("wacid.B"),
    ])))
    .await
    .unwrap();
    connected_with(events.next().await, 2);
    incoming(events.next().await, "wacid.A");
    incoming(events.next().await, "wacid.B");

    // Presence resolves on the platform's reply.
    let setting = tokio::spawn({
        let phone = phone.clone();
        async move { phone.set_presence(Presence::Away).await }
    });
    let request = next_request(&mut ws).await;
    assert!(
        matches!(request, ClientMessage::SetPresence(_)),
        "{request:?}"
    );
    reply(&mut ws, &request, None).await;
    assert_eq!(setting.await.unwrap(), Ok(()));
    assert_eq!(
        events.next().await,
        PhoneEvent::PresenceChanged {
            presence: Presence::Away
        }
    );

    // A request whose reply is lost with the connection is refused, not left hanging.
    let setting = tokio::spawn({
        let phone = phone.clone();
        async move { phone.set_presence(Presence::Available).await }
    });
    let request = next_request(&mut ws).await;
    assert!(
        matches!(request, ClientMessage::SetPresence(_)),
        "{request:?}"
    );
    drop(ws);
    assert_eq!(setting.await.unwrap(), Err(PhoneError::NotConnected));
    match events.next().await {
        PhoneEvent::Connection(ConnectionStatus::Reconnecting { .. }) => {}
        other => panic!("expected reconnecting, got {other:?}"),
    }
    assert_eq!(
        phone.accept("wacid.A").await,
        Err(PhoneError::NotConnected),
        "no accept while signaling is down"
    );

    // Back at once on request; the platform now lists only A: B ended while we were away.
    phone.reconnect_now();
    let mut ws = accept_ws(&listener).await;
    ws.send(Message::text(hello(vec![ringing("wacid.A")])))
        .await
        .unwrap();
    connected_with(events.next().await, 1);
    match events.next().await {
        PhoneEvent::Ended {
            call_id, reason, ..
        } => {
            assert_eq!(call_id, "wacid.B");
            assert_eq!(reason, EndReason::GoneAfterReconnect);
        }
        other => panic!("expected B to end, got {other:?}"),
    }
    // A is still ringing here (not offered twice): the next event is its rejection.
    phone.reject("wacid.A").await.unwrap();
    match events.next().await {
        PhoneEvent::Ended {
            call_id, reason, ..
        } => {
            assert_eq!(call_id, "wacid.A");
            assert_eq!(reason, EndReason::Rejected { by: Party::Agent });
        }
        other => panic!("expected A to end, got {other:?}"),
    }
    let request = next_request(&mut ws).await;
    match &request {
        ClientMessage::RejectCall(r) => assert_eq!(r.call_id.as_str(), "wacid.A"),
        other => panic!("expected reject_call, got {other:?}"),
    }
    reply(&mut ws, &request, None).await;
    phone.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accept_lost_with_the_connection_ends_the_call_here_and_it_is_offered_again() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (phone, mut events) = phone(&listener).await;
    let mut ws = accept_ws(&listener).await;
    ws.send(Message::text(hello(vec![ringing("wacid.A")])))
        .await
        .unwrap();
    connected_with(events.next().await, 1);
    incoming(events.next().await, "wacid.A");
    phone.accept("wacid.A").await.unwrap();
    assert!(matches!(events.next().await, PhoneEvent::Answered { .. }));
    assert!(matches!(
        next_request(&mut ws).await,
        ClientMessage::AcceptCall(_)
    ));

    // The connection drops before the platform handled the accept: it still rings there.
    drop(ws);
    assert!(matches!(
        events.next().await,
        PhoneEvent::Connection(ConnectionStatus::Reconnecting { .. })
    ));
    phone.reconnect_now();
    let mut ws = accept_ws(&listener).await;
    ws.send(Message::text(hello(vec![ringing("wacid.A")])))
        .await
        .unwrap();
    connected_with(events.next().await, 1);
    match events.next().await {
        PhoneEvent::Ended {
            call_id, reason, ..
        } => {
            assert_eq!(call_id, "wacid.A");
            assert_eq!(reason.code(), "accept_lost");
        }
        other => panic!("expected the stale call to end, got {other:?}"),
    }
    incoming(events.next().await, "wacid.A");
    // Offered afresh, it can be accepted again.
    phone.accept("wacid.A").await.unwrap();
    assert!(matches!(events.next().await, PhoneEvent::Answered { .. }));
    let request = next_request(&mut ws).await;
    assert!(
        matches!(request, ClientMessage::AcceptCall(_)),
        "{request:?}"
    );
    reply(&mut ws, &request, None).await;

    // Shutting down hangs the call up, and waits for the platform to take the hang-up.
    let stopping = tokio::spawn(phone.shutdown());
    let request = next_request(&mut ws).await;
    match &request {
        ClientMessage::Hangup(h) => assert_eq!(h.call_id.as_str(), "wacid.A"),
        other => panic!("expected hangup, got {other:?}"),
    }
    assert_eq!(
        events.next().await,
        PhoneEvent::Ended {
            call_id: "wacid.A".into(),
            reason: EndReason::LocalHangup,
            duration_secs: None,
            talk_secs: 0.0
        }
    );
    assert!(!stopping.is_finished(), "shutdown waits for the reply");
    reply(&mut ws, &request, None).await;
    timeout(WAIT, stopping).await.unwrap().unwrap();
    assert!(
        events.0.recv().await.is_none(),
        "events close after shutdown"
    );
}

/// Meta's answer overtaking `place_call`'s reply (a platform that sends them from different
/// tasks, or a reordering proxy) is kept and applied once the reply names the call: media
/// still connects. The answer is real: wa-sim's customer phone answered our offer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_overtakes_the_place_call_reply_is_kept_and_media_connects() {
    use protocol::{CallId, RemoteAnswer, Reply, ReplyResult, ServerMessage, StartMedia};
    use wa_sim::device::{AudioChoice, CustomerDevice};

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (phone, mut events) = phone(&listener).await;
    let mut ws = accept_ws(&listener).await;
    ws.send(Message::text(hello(vec![]))).await.unwrap();
    connected_with(events.next().await, 0);

    let placing = tokio::spawn({
        let phone = phone.clone();
        async move { phone.place_call("conv-1").await }
    });
    let request = next_request(&mut ws).await;
    let ClientMessage::PlaceCall(place) = &request else {
        panic!("expected place_call, got {request:?}");
    };
    let device = wa_sim::phone_device::PhoneDevice {
        base: wa_sim::phone::PhoneConfig::default(),
    };
    let customer = device
        .answer(place.sdp_offer.as_str(), &AudioChoice::Tone { hz: 440.0 })
        .await
        .expect("the customer's phone answers our offer");
    let call_id = CallId::new("wacid.EARLY").unwrap();
    let send = |message: ServerMessage| Message::text(protocol::encode(&message).unwrap());
    // The answer first, then the reply that names the call.
    ws.send(send(ServerMessage::RemoteAnswer(RemoteAnswer {
        call_id: call_id.clone(),
        sdp_answer: protocol::Sdp::new(customer.sdp.clone()).unwrap(),
    })))
    .await
    .unwrap();
    ws.send(send(ServerMessage::Reply(Reply {
        request_id: request.request_id().unwrap().clone(),
        result: ReplyResult::Ok {
            call_id: Some(call_id.clone()),
        },
    })))
    .await
    .unwrap();
    assert_eq!(placing.await.unwrap(), Ok("wacid.EARLY".to_owned()));

    // The customer picks up: media starts on both sides and our phone hears them.
    ws.send(send(ServerMessage::StartMedia(StartMedia {
        call_id: call_id.clone(),
        record: false,
    })))
    .await
    .unwrap();
    customer.leg.start_media().await.unwrap();
    // Level events keep coming meanwhile: the bound is on the whole wait.
    timeout(WAIT, async {
        loop {
            match events.next().await {
                PhoneEvent::MediaConnected { call_id, .. } => {
                    assert_eq!(call_id, "wacid.EARLY");
                    break;
                }
                PhoneEvent::Error { message, .. } => panic!("media failed: {message}"),
                PhoneEvent::Ended { reason, .. } => panic!("the call ended: {reason:?}"),
                _ => {}
            }
        }
    })
    .await
    .expect("media never connected: Meta's answer was not applied");
    customer.leg.hang_up().await;
    phone.shutdown().await;
}

/// The platform's snapshot has us on a call this phone does not hold (the app restarted
/// mid-call, or ended it while disconnected): the phone hangs it up, so the agent is not left
/// busy until a terminate from Meta that may never come.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_the_platform_lists_but_this_phone_does_not_hold_is_hung_up() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (phone, mut events) = phone(&listener).await;
    let mut ws = accept_ws(&listener).await;
    let mut snapshot: Value = serde_json::from_str(&hello(vec![])).unwrap();
    snapshot["active"] = json!([{
        "call_id": "wacid.ORPHAN",
        "direction": "inbound",
        "business_number": "+15550001111",
        "customer": {"number": "+14085551234", "profile_name": "Bo"},
        "phase": "on_call",
        "offered_at": "2026-11-22T09:59:00Z",
        "answered_at": "2026-11-22T09:59:05Z",
    }]);
    ws.send(Message::text(snapshot.to_string())).await.unwrap();
    match events.next().await {
        PhoneEvent::Connection(ConnectionStatus::Connected { active, .. }) => assert_eq!(active, 1),
        other => panic!("expected connected, got {other:?}"),
    }
    let request = next_request(&mut ws).await;
    match &request {
        ClientMessage::Hangup(hangup) => assert_eq!(hangup.call_id.as_str(), "wacid.ORPHAN"),
        other => panic!("expected a hangup of the orphan call, got {other:?}"),
    }
    phone.shutdown().await;
}
