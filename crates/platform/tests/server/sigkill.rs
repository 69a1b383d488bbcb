//! `serve` killed with SIGKILL (no shutdown code runs) at each step of a call, then a new run
//! on the same database: every call ends with a correct record, and Meta is told where it
//! must be — a call still ringing is rejected, one whose pre_accept or accept Meta may hold is
//! terminated, one on call stays on call until Meta's terminate closes it with its duration.

use platform::server::Platform;
use platform::store::agents::Role;
use platform::store::Store;
use protocol::{CallStatus, ServerMessage};
use serde_json::json;
use whatsapp::webhook::TerminateStatus;

use crate::support::*;

/// Where the call is when the process dies.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// The connect is stored and the agent's app rings.
    Ringing,
    /// The agent accepted; Meta answered our pre_accept.
    PreAccepted,
    /// The app reported media_ready; our accept is at Meta, not answered yet.
    AcceptInFlight,
    /// The call is on; the agent hung up and our terminate is at Meta, not answered yet.
    TerminateInFlight,
}

fn serve(dir: &tempfile::TempDir, url: &str, graph: &FakeGraph) -> ServeProcess {
    let config = dir.path().join("platform.toml");
    std::fs::write(&config, settings_toml(url, &graph.base_url)).unwrap();
    serve_process(&config)
}

async fn post(base: &str, body: &[u8]) {
    assert_eq!(post_signed(&reqwest::Client::new(), base, body).await, 200);
}

/// The next message of a kind `wanted` accepts.
async fn until(socket: &mut AgentSocket, wanted: impl Fn(&ServerMessage) -> bool) {
    while !wanted(&socket.recv().await) {}
}

/// Drives one call to `step` on a `serve` process, SIGKILLs it, starts a new run on the same
/// database; returns the new run and the Graph stand-in.
async fn killed_at(step: Step) -> (Platform, FakeGraph, tempfile::TempDir) {
    const CALL: &str = "wacid.KILL";
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&dir);
    let mut graph = FakeGraph::start().await;
    let token = {
        let store = Store::open(&url).await.unwrap();
        let (_, token) = store.add_agent("alice", Role::Agent, None).await.unwrap();
        store.close().await;
        token
    };
    let server = serve(&dir, &url, &graph);
    let mut alice = AgentSocket::connect(&server.base, &token).await;
    until(&mut alice, |m| matches!(m, ServerMessage::Hello(_))).await;
    post(&server.base, &connect_body(CALL)).await;
    until(&mut alice, |m| matches!(m, ServerMessage::IncomingCall(_))).await;
    if step != Step::Ringing {
        alice
            .send(json!({"type": "accept_call", "call_id": CALL, "sdp_answer": ANSWER}))
            .await;
        assert_eq!(graph.next().await.action(), Some("pre_accept"));
        until(&mut alice, |m| matches!(m, ServerMessage::Reply(_))).await;
    }
    if matches!(step, Step::AcceptInFlight | Step::TerminateInFlight) {
        if step == Step::AcceptInFlight {
            graph.stall("accept", CALL);
        }
        alice
            .send(json!({"type": "media_ready", "call_id": CALL}))
            .await;
        assert_eq!(graph.next().await.action(), Some("accept"));
    }
    if step == Step::TerminateInFlight {
        until(&mut alice, |m| matches!(m, ServerMessage::StartMedia(_))).await;
        graph.stall("terminate", CALL);
        alice.send(json!({"type": "hangup", "call_id": CALL})).await;
        assert_eq!(graph.next().await.action(), Some("terminate"));
    }
    drop(server); // SIGKILL: no shutdown code runs.
    graph.release();
    let next = Platform::start(settings(&url, &graph.base_url))
        .await
        .unwrap();
    (next, graph, dir)
}

async fn status(platform: &Platform) -> Option<CallStatus> {
    platform.store().call_status("wacid.KILL").await.unwrap()
}

#[tokio::test]
async fn killed_while_ringing_the_call_is_rejected_with_meta_and_missed() {
    let (next, mut graph, _dir) = killed_at(Step::Ringing).await;
    let told = graph.next().await;
    assert_eq!(
        (told.action(), &told.body["call_id"]),
        (Some("reject"), &json!("wacid.KILL"))
    );
    assert_eq!(status(&next).await, Some(CallStatus::Missed));
    next.shutdown().await;
}

#[tokio::test]
async fn killed_after_pre_accept_the_call_is_terminated_with_meta_and_missed() {
    let (next, mut graph, _dir) = killed_at(Step::PreAccepted).await;
    let told = graph.next().await;
    assert_eq!(
        (told.action(), &told.body["call_id"]),
        (Some("terminate"), &json!("wacid.KILL"))
    );
    assert_eq!(status(&next).await, Some(CallStatus::Missed));
    next.shutdown().await;
}

#[tokio::test]
async fn killed_while_metas_accept_is_in_flight_the_call_is_terminated_and_closed() {
    let (next, mut graph, _dir) = killed_at(Step::AcceptInFlight).await;
    let told = graph.next().await;
    assert_eq!(
        (told.action(), &told.body["call_id"]),
        (Some("terminate"), &json!("wacid.KILL"))
    );
    let closed = status(&next).await;
    assert!(
        closed.is_some_and(CallStatus::is_final),
        "the record must be closed, is {closed:?}"
    );
    next.shutdown().await;
}

#[tokio::test]
async fn killed_during_terminate_the_record_is_closed_and_metas_terminate_gives_its_duration() {
    let (next, _graph, _dir) = killed_at(Step::TerminateInFlight).await;
    // The agent's hang-up ended the call: its record was closed then, not left on call.
    assert_eq!(status(&next).await, Some(CallStatus::Completed));
    // Meta's terminate (it took ours) brings Meta's duration, which the record takes.
    let start = now_secs() - 7;
    let body = terminate_body(
        "wacid.KILL",
        TerminateStatus::Completed,
        Some((start, now_secs())),
    );
    let base = format!("http://{}", next.local_addr());
    post(&base, &body).await;
    next.processed(1).await;
    let (_, token) = next
        .store()
        .add_agent("boss", Role::Admin, None)
        .await
        .unwrap();
    let record: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/calls/wacid.KILL"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(record["status"], "completed", "{record}");
    assert_eq!(record["duration_secs"], 7, "Meta's duration: {record}");
    next.shutdown().await;
}
