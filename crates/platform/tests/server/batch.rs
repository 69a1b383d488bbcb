//! Group commit: the bodies a previous run left pending are applied together, in one
//! transaction, and still in the order their meaning needs — a terminate stored before its
//! connect leaves a tombstone that the connect, later in the same batch, finds.

use platform::server::Platform;
use whatsapp::webhook::TerminateStatus;

use crate::support::*;

/// Stores signed bodies in the inbox of a platform that does not process them.
async fn stored_unprocessed(url: &str, graph: &FakeGraph, bodies: &[Vec<u8>]) {
    let mut paused = settings(url, &graph.base_url);
    paused.process_inbox = false;
    let first = Platform::start(paused).await.unwrap();
    let base = format!("http://{}", first.local_addr());
    for body in bodies {
        let signature = whatsapp::sign_body(APP_SECRET.as_bytes(), body).unwrap();
        let status = reqwest::Client::new()
            .post(format!("{base}/webhooks/whatsapp"))
            .header(whatsapp::SIGNATURE_HEADER, signature)
            .body(body.clone())
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), 200);
    }
    first.shutdown().await;
}

#[tokio::test]
async fn a_terminate_and_its_late_connect_in_one_batch_ring_nobody_and_leave_one_missed_record() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&dir);
    let graph = FakeGraph::start().await;
    let bodies = [
        terminate_body("wacid.BATCH", TerminateStatus::Completed, None),
        connect_body("wacid.BATCH"),
        connect_body("wacid.OTHER"),
    ];
    stored_unprocessed(&url, &graph, &bodies).await;

    let second = Platform::start(settings(&url, &graph.base_url))
        .await
        .unwrap();
    second.processed(3).await;
    assert_eq!(second.store().inbox_counts().await.unwrap(), (3, 0));
    assert_eq!(
        second.store().call_status("wacid.BATCH").await.unwrap(),
        Some(protocol::CallStatus::Missed),
        "the tombstone holds"
    );
    // Nobody is signed in: the other call is refused (and rejected with Meta); the
    // tombstoned one is not, as nothing rang.
    assert_eq!(
        second.store().call_status("wacid.OTHER").await.unwrap(),
        Some(protocol::CallStatus::AllAgentsOffline)
    );
    let mut rejected = Vec::new();
    let mut graph = graph;
    while rejected.is_empty() {
        let request = graph.next().await;
        if request.action() == Some("reject") {
            rejected.push(request.body["call_id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(rejected, vec!["wacid.OTHER".to_owned()]);
    second.shutdown().await;
    assert!(
        !graph
            .seen()
            .iter()
            .any(|request| request.body["call_id"] == "wacid.BATCH"),
        "nothing was sent to Meta for the tombstoned call"
    );
}
