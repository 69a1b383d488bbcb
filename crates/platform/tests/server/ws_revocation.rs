//! An agent revoked while connected is signed out by the platform itself, within one sweep
//! interval, whatever its app sends: here it sends only WebSocket-level pings, which never
//! reach the protocol's own `ping` handling.

use std::time::Duration;

use platform::store::agents::Role;
use protocol::{ErrorCode, ServerMessage};

use crate::support::*;

#[tokio::test]
async fn a_revoked_agent_that_only_sends_websocket_pings_is_closed_with_1008() {
    let harness = Harness::start_with(|settings| {
        settings.revocation_check = Duration::from_millis(50);
    })
    .await;
    let (_, token) = harness.agent("mallory", Role::Agent, None).await;
    let (_, other_token) = harness.agent("alice", Role::Agent, None).await;
    let mut socket = harness.connect(&token).await;
    assert!(matches!(socket.recv().await, ServerMessage::Hello(_)));
    let mut other = harness.connect(&other_token).await;
    assert!(matches!(other.recv().await, ServerMessage::Hello(_)));

    harness
        .platform
        .store()
        .revoke_agent("mallory")
        .await
        .unwrap();
    socket.send_websocket_ping().await;
    let (messages, close) = socket.until_close().await;
    assert!(
        messages.iter().any(|message| matches!(
            message,
            ServerMessage::Error(error) if error.code == ErrorCode::Unauthorized
        )),
        "the app is told why: {messages:?}"
    );
    let close = close.expect("a close frame with a code and reason");
    assert_eq!(u16::from(close.code), 1008, "{close:?}");
    assert!(close.reason.as_str().contains("token revoked"), "{close:?}");

    // Another agent's session is untouched.
    other.drain().await;
    harness.platform.shutdown().await;
}
