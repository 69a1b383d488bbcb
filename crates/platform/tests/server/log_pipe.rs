//! A platform whose log pipe closes (the log collector restarted) keeps taking calls: a
//! failed log write is dropped, never turned into a panic of the task that logged.

use platform::store::agents::Role;
use platform::store::Store;
use protocol::ServerMessage;

use crate::support::*;

#[tokio::test]
async fn a_platform_whose_stderr_pipe_closed_still_rings_agents() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&dir);
    let graph = FakeGraph::start().await;
    let token = {
        let store = Store::open(&url).await.unwrap();
        let (_, token) = store.add_agent("alice", Role::Agent, None).await.unwrap();
        store.close().await;
        token
    };
    let config = dir.path().join("platform.toml");
    std::fs::write(&config, settings_toml(&url, &graph.base_url)).unwrap();
    let server = serve_process_with_log(&config, false);
    // Agent connections, webhooks and rings all log (at info) into the closed pipe.
    let mut alice = AgentSocket::connect(&server.base, &token).await;
    assert!(matches!(alice.recv().await, ServerMessage::Hello(_)));
    for call in ["wacid.LOG1", "wacid.LOG2"] {
        let status = post_signed(&reqwest::Client::new(), &server.base, &connect_body(call)).await;
        assert_eq!(status, 200);
        match alice.recv().await {
            ServerMessage::IncomingCall(incoming) => assert_eq!(incoming.call_id.as_str(), call),
            other => panic!("expected {call} to ring, got {other:?}"),
        }
        let reject = alice
            .send(serde_json::json!({"type": "reject_call", "call_id": call}))
            .await;
        loop {
            if let ServerMessage::Reply(reply) = alice.recv().await {
                if reply.request_id.as_str() == reject {
                    break;
                }
            }
        }
    }
}
