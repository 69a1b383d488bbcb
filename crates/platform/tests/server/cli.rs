//! The `ringdesk-platform` binary's admin commands.

use std::process::Command;

use protocol::ServerMessage;

use crate::support::*;

fn platform_cli(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ringdesk-platform"))
        .args(args)
        .env("RINGDESK_DATABASE_URL", database_url)
        .env_remove("RINGDESK_CONFIG")
        .output()
        .expect("the binary runs")
}

#[tokio::test]
async fn agent_add_prints_a_token_that_authenticates_the_websocket_until_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&dir);
    let added = platform_cli(
        &url,
        &[
            "agent",
            "add",
            "--name",
            "carol",
            "--role",
            "supervisor",
            "--team",
            "red",
        ],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let stdout = String::from_utf8(added.stdout).unwrap();
    let token = stdout.lines().last().unwrap().trim().to_owned();
    assert!(token.starts_with("rdk_") && token.len() > 40, "{stdout}");

    let listed = platform_cli(&url, &["agent", "list"]);
    let listing = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listing.contains("carol") && listing.contains("supervisor") && listing.contains("active")
    );
    assert!(!listing.contains(&token), "the token is never shown again");

    let graph = FakeGraph::start().await;
    let mut serving = settings(&url, &graph.base_url);
    serving.revocation_check = std::time::Duration::from_millis(50);
    let platform = platform::server::Platform::start(serving).await.unwrap();
    let base = format!("http://{}", platform.local_addr());
    let mut socket = AgentSocket::connect(&base, &token).await;
    match socket.recv().await {
        ServerMessage::Hello(hello) => assert_eq!(hello.agent.display_name, "carol"),
        other => panic!("expected hello, got {other:?}"),
    }

    // Rotated by another process: the old token stops, the socket signed in with it closes
    // at the next sweep, and the new token is the same agent.
    let rotated = platform_cli(&url, &["agent", "rotate", "--name", "carol"]);
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let stdout = String::from_utf8(rotated.stdout).unwrap();
    let new_token = stdout.lines().last().unwrap().trim().to_owned();
    assert!(
        new_token.starts_with("rdk_") && new_token != token,
        "{stdout}"
    );
    assert_eq!(AgentSocket::refused_status(&base, &token).await, 401);
    let (messages, close) = socket.until_close().await;
    assert!(
        messages.iter().any(|message| matches!(
            message,
            ServerMessage::Error(error) if error.code == protocol::ErrorCode::Unauthorized
        )),
        "{messages:?}"
    );
    assert_eq!(u16::from(close.expect("a close code").code), 1008);
    let token = new_token;
    let mut socket = AgentSocket::connect(&base, &token).await;
    match socket.recv().await {
        ServerMessage::Hello(hello) => assert_eq!(hello.agent.display_name, "carol"),
        other => panic!("expected hello, got {other:?}"),
    }

    let revoked = platform_cli(&url, &["agent", "revoke", "--name", "carol"]);
    assert!(revoked.status.success());
    assert_eq!(AgentSocket::refused_status(&base, &token).await, 401);
    // The socket opened before the revocation (by another process) is closed by the platform's
    // revocation sweep: unauthorized, then 1008.
    let (messages, close) = socket.until_close().await;
    assert!(
        messages.iter().any(|message| matches!(
            message,
            ServerMessage::Error(error) if error.code == protocol::ErrorCode::Unauthorized
        )),
        "{messages:?}"
    );
    assert_eq!(u16::from(close.expect("a close code").code), 1008);
    platform.shutdown().await;
}

#[tokio::test]
async fn conversation_assign_and_contact_owner_decide_who_rings_first() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&dir);
    let mut tokens = Vec::new();
    for name in ["dave", "erin", "frank"] {
        let added = platform_cli(&url, &["agent", "add", "--name", name]);
        assert!(added.status.success());
        tokens.push(
            String::from_utf8(added.stdout)
                .unwrap()
                .lines()
                .last()
                .unwrap()
                .to_owned(),
        );
    }
    let assign = platform_cli(
        &url,
        &[
            "conversation",
            "assign",
            "--customer",
            CUSTOMER,
            "--agent",
            "erin",
            "--number",
            PHONE_NUMBER_ID,
        ],
    );
    assert!(
        assign.status.success(),
        "{}",
        String::from_utf8_lossy(&assign.stderr)
    );
    let owner = platform_cli(
        &url,
        &[
            "contact-owner",
            "set",
            "--customer",
            &format!("+{CUSTOMER}"),
            "--agent",
            "dave",
        ],
    );
    assert!(
        owner.status.success(),
        "{}",
        String::from_utf8_lossy(&owner.stderr)
    );
    let unknown = platform_cli(
        &url,
        &[
            "contact-owner",
            "set",
            "--customer",
            CUSTOMER,
            "--agent",
            "zed",
        ],
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no agent named"));

    let graph = FakeGraph::start().await;
    let platform = platform::server::Platform::start(settings(&url, &graph.base_url))
        .await
        .unwrap();
    let base = format!("http://{}", platform.local_addr());
    let mut sockets = Vec::new();
    for token in &tokens {
        let mut socket = AgentSocket::connect(&base, token).await;
        assert!(matches!(socket.recv().await, ServerMessage::Hello(_)));
        sockets.push(socket);
    }
    let [dave, erin, _frank] = &mut sockets[..] else {
        unreachable!()
    };

    // One body, signed and sent (a body built twice can straddle a second and differ).
    let body = connect_body("wacid.OWNED");
    assert_eq!(
        post_signed(&reqwest::Client::new(), &base, &body).await,
        200
    );
    match erin.recv().await {
        ServerMessage::IncomingCall(call) => assert_eq!(
            call.routed_because,
            protocol::RoutedBecause::OpenConversation
        ),
        other => panic!("expected the assigned agent to ring, got {other:?}"),
    }
    erin.send(serde_json::json!({"type": "reject_call", "call_id": "wacid.OWNED"}))
        .await;
    match dave.recv().await {
        ServerMessage::IncomingCall(call) => {
            assert_eq!(call.routed_because, protocol::RoutedBecause::ContactOwner)
        }
        other => panic!("expected the contact owner to ring next, got {other:?}"),
    }
    platform.shutdown().await;
}
