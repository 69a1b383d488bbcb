//! A webhook acknowledged with 200 is never lost: it is in the inbox before the answer, and a
//! later run processes what an earlier one did not.

use platform::server::Platform;
use platform::store::agents::Role;

use crate::support::*;

#[tokio::test]
async fn a_webhook_stored_but_not_processed_is_processed_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&dir);
    let mut graph = FakeGraph::start().await;

    let mut paused = settings(&url, &graph.base_url);
    paused.process_inbox = false;
    let first = Platform::start(paused).await.unwrap();
    let base = format!("http://{}", first.local_addr());
    let body = connect_body("wacid.DURABLE");
    let signature = whatsapp::sign_body(APP_SECRET.as_bytes(), &body).unwrap();
    let status = reqwest::Client::new()
        .post(format!("{base}/webhooks/whatsapp"))
        .header(whatsapp::SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 200);
    assert_eq!(first.store().inbox_counts().await.unwrap(), (1, 1));
    first.shutdown().await;
    assert!(graph.seen().is_empty(), "the first run applied nothing");

    let second = Platform::start(settings(&url, &graph.base_url))
        .await
        .unwrap();
    second.processed(1).await;
    assert_eq!(second.store().inbox_counts().await.unwrap(), (1, 0));
    let reject = graph.next().await;
    assert_eq!(reject.body["call_id"], "wacid.DURABLE");
    let (_, admin) = second
        .store()
        .add_agent("root", Role::Admin, None)
        .await
        .unwrap();
    let _ = admin;
    let record = second.store().call_status("wacid.DURABLE").await.unwrap();
    assert_eq!(record, Some(protocol::CallStatus::AllAgentsOffline));
    second.shutdown().await;
}

#[tokio::test]
async fn a_process_killed_right_after_the_200_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&dir);
    let mut graph = FakeGraph::start().await;
    let config = dir.path().join("platform.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase_url = \"{url}\"\ngraph_base_url = \"{}\"\napp_secret = \"{APP_SECRET}\"\naccess_token = \"test-access-token\"\nprocess_inbox = false\n[[numbers]]\nphone_number_id = \"{PHONE_NUMBER_ID}\"\ndisplay_phone_number = \"{BUSINESS_NUMBER}\"\n",
            graph.base_url
        ),
    )
    .unwrap();
    let server = serve_process(&config);
    let body = connect_body("wacid.KILLED");
    let status = post_signed(&reqwest::Client::new(), &server.base, &body).await;
    assert_eq!(status, 200);
    drop(server); // SIGKILL: no shutdown code runs.

    let restarted = Platform::start(settings(&url, &graph.base_url))
        .await
        .unwrap();
    restarted.processed(1).await;
    assert_eq!(graph.next().await.body["call_id"], "wacid.KILLED");
    assert_eq!(
        restarted.store().call_status("wacid.KILLED").await.unwrap(),
        Some(protocol::CallStatus::AllAgentsOffline)
    );
    restarted.shutdown().await;
}

#[tokio::test]
async fn a_call_on_call_survives_a_restart_and_the_reconnected_agent_can_hang_up() {
    use protocol::{ActivePhase, ServerMessage};
    use serde_json::json;

    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&dir);
    let mut graph = FakeGraph::start().await;
    let first = Platform::start(settings(&url, &graph.base_url))
        .await
        .unwrap();
    let base = format!("http://{}", first.local_addr());
    let (_, token) = first
        .store()
        .add_agent("alice", Role::Agent, None)
        .await
        .unwrap();
    let mut alice = AgentSocket::connect(&base, &token).await;
    assert!(matches!(alice.recv().await, ServerMessage::Hello(_)));
    let body = connect_body("wacid.RESTART");
    let signature = whatsapp::sign_body(APP_SECRET.as_bytes(), &body).unwrap();
    let client = reqwest::Client::new();
    let posted = client
        .post(format!("{base}/webhooks/whatsapp"))
        .header(whatsapp::SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 200);
    assert!(matches!(alice.recv().await, ServerMessage::IncomingCall(_)));
    alice
        .send(json!({"type": "accept_call", "call_id": "wacid.RESTART", "sdp_answer": ANSWER}))
        .await;
    assert_eq!(graph.next().await.action(), Some("pre_accept"));
    alice
        .send(json!({"type": "media_ready", "call_id": "wacid.RESTART"}))
        .await;
    assert_eq!(graph.next().await.action(), Some("accept"));
    assert!(matches!(alice.recv().await, ServerMessage::Reply(_)));
    assert!(matches!(alice.recv().await, ServerMessage::StartMedia(_)));
    alice.close().await;
    first.shutdown().await;

    let second = Platform::start(settings(&url, &graph.base_url))
        .await
        .unwrap();
    let base = format!("http://{}", second.local_addr());
    let mut alice = AgentSocket::connect(&base, &token).await;
    match alice.recv().await {
        ServerMessage::Hello(hello) => {
            assert_eq!(hello.active.len(), 1, "{hello:?}");
            assert_eq!(hello.active[0].call_id.as_str(), "wacid.RESTART");
            assert_eq!(hello.active[0].phase, ActivePhase::OnCall);
        }
        other => panic!("expected hello, got {other:?}"),
    }
    alice
        .send(json!({"type": "hangup", "call_id": "wacid.RESTART"}))
        .await;
    let terminate = graph.next().await;
    assert_eq!(terminate.action(), Some("terminate"));
    assert_eq!(terminate.body["call_id"], "wacid.RESTART");
    assert_eq!(
        second.store().call_status("wacid.RESTART").await.unwrap(),
        Some(protocol::CallStatus::Completed)
    );
    second.shutdown().await;
}

#[tokio::test]
async fn pruning_deletes_only_old_processed_webhooks_never_pending_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = platform::store::Store::open(&database_url(&dir))
        .await
        .unwrap();
    let processed = store.inbox_put("{\"entry\": []}").await.unwrap();
    store.inbox_put("{\"entry\": []}").await.unwrap();
    store.inbox_done(&processed, None).await.unwrap();

    let far_future = i64::MAX;
    assert_eq!(store.inbox_prune(far_future).await.unwrap(), 1);
    assert_eq!(
        store.inbox_counts().await.unwrap(),
        (1, 1),
        "the pending body stays"
    );
    store.close().await;
}
