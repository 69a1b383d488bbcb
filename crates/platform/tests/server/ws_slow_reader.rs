//! An agent's app that stops reading its socket: the platform's queue for it is bounded, so the
//! platform closes that socket (1008, "too slow reading") instead of buffering without end, and
//! treats it as a disconnect (a call ringing there moves on after the reconnect grace).
//! Everyone else carries on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use platform::store::agents::Role;
use protocol::ServerMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

/// Bounds the wait for the call to move: filling the platform's socket buffers (megabytes of
/// pongs, on loopback) and the machine's reconnect grace take seconds on a loaded machine.
const MOVE_WAIT: Duration = Duration::from_secs(90);

#[tokio::test]
async fn an_app_that_never_reads_is_disconnected_and_its_ringing_call_moves_to_another_agent() {
    // Ring timeout and accept window far beyond MOVE_WAIT: only the disconnect can move the call.
    let harness = Harness::start_with(|settings| {
        settings.timers.ring_timeout = Duration::from_secs(600);
        settings.timers.accept_window = Duration::from_secs(1200);
        // The ping flood is only the means of making pongs it never reads; the frame budget
        // (tested in ws_frame_limit.rs) would close it first.
        settings.ws_frame_rate = u32::MAX;
        settings.ws_frame_burst = u32::MAX;
    })
    .await;
    let (_, slow_token) = harness.agent("slow", Role::Agent, None).await;
    let (_, good_token) = harness.agent("good", Role::Agent, None).await;

    // The slow app: a small receive buffer, so the platform's writes back up soon.
    let addr = harness.platform.local_addr();
    let tcp = tokio::net::TcpSocket::new_v4().unwrap();
    tcp.set_recv_buffer_size(4096).unwrap();
    let tcp = tcp.connect(addr).await.unwrap();
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {slow_token}").parse().unwrap(),
    );
    let (slow, _) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
    let (mut slow_out, mut slow_in) = slow.split();
    let first = tokio::time::timeout(WAIT, slow_in.next()).await.unwrap();
    assert!(
        matches!(&first, Some(Ok(Message::Text(text))) if text.contains("\"hello\"")),
        "{first:?}"
    );

    // The call rings the slow agent, the only one signed in.
    assert_eq!(harness.post_webhook(&connect_body("wacid.SLOW")).await, 200);
    harness.platform.processed(1).await;
    let mut good = harness.connect(&good_token).await;
    assert!(matches!(good.recv().await, ServerMessage::Hello(_)));

    // From now on the slow app only sends: pings, each answered with a pong it never reads.
    let stop = Arc::new(AtomicBool::new(false));
    let flooding = stop.clone();
    let flood = tokio::spawn(async move {
        let mut sent: u64 = 0;
        'flood: while !flooding.load(Ordering::Relaxed) {
            for _ in 0..64 {
                sent += 1;
                let ping = format!(r#"{{"v":1,"type":"ping","ping_id":{}}}"#, sent % 1_000_000);
                if slow_out.feed(Message::Text(ping.into())).await.is_err() {
                    break 'flood;
                }
            }
            if slow_out.flush().await.is_err() {
                break;
            }
        }
        (slow_out, sent)
    });

    // The platform closes the slow socket; the call machine sees a disconnect and rings the
    // other agent, whose socket works throughout.
    match good.recv_within(MOVE_WAIT).await {
        ServerMessage::IncomingCall(call) => assert_eq!(call.call_id.as_str(), "wacid.SLOW"),
        other => panic!("expected the call to move to the good agent, got {other:?}"),
    }
    good.drain().await;
    stop.store(true, Ordering::Relaxed);
    let (_slow_out, pings_sent) = flood.await.unwrap();

    // Reading now, the slow app finds what had fitted in its queue and buffers, then the close
    // frame with the reason; far fewer pongs than pings: the rest were never kept.
    let mut pongs = 0u64;
    let close = loop {
        match tokio::time::timeout(WAIT, slow_in.next())
            .await
            .expect("the slow socket was neither closed nor fed")
        {
            Some(Ok(Message::Text(_))) => pongs += 1,
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => {}
            other => panic!("the socket ended without a close frame: {other:?}"),
        }
    };
    let close = close.expect("the close frame carries a code and reason");
    assert_eq!(close.code, CloseCode::Policy, "{close:?}");
    assert!(
        close.reason.as_str().contains("too slow reading"),
        "{close:?}"
    );
    assert!(
        pongs < pings_sent,
        "every pong was queued ({pongs} of {pings_sent}): the outbox is not bounded"
    );
    harness.platform.shutdown().await;
}
