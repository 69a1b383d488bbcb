//! Meta's webhook endpoint: verification, signature, bad input, duplicates, ordering.

use platform::store::agents::Role;
use protocol::{CallStatus, ServerMessage};
use whatsapp::webhook::TerminateStatus;

use crate::support::*;

#[tokio::test]
async fn verification_get_echoes_the_challenge_only_for_the_right_token() {
    let harness = Harness::start().await;
    let url = |token: &str| {
        format!(
            "{}/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1158863600&hub.verify_token={token}",
            harness.base
        )
    };
    let ok = harness.http.get(url(VERIFY_TOKEN)).send().await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158863600");

    let wrong = harness.http.get(url("guess")).send().await.unwrap();
    assert_eq!(wrong.status().as_u16(), 403);
    assert!(wrong.text().await.unwrap().contains("does not match"));
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn unsigned_or_badly_signed_webhooks_get_401_and_change_nothing() {
    let harness = Harness::start().await;
    let body = connect_body("wacid.UNSIGNED");
    let unsigned = harness
        .http
        .post(format!("{}/webhooks/whatsapp", harness.base))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    assert!(unsigned.text().await.unwrap().contains("missing"));

    let forged = whatsapp::sign_body(b"not-the-app-secret", &body).unwrap();
    let badly_signed = harness
        .http
        .post(format!("{}/webhooks/whatsapp", harness.base))
        .header(whatsapp::SIGNATURE_HEADER, forged)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(badly_signed.status().as_u16(), 401);

    let (received, pending) = harness.platform.store().inbox_counts().await.unwrap();
    assert_eq!((received, pending), (0, 0), "nothing may be stored");
    let (admin_id, admin) = harness.agent("root", Role::Admin, None).await;
    let _ = admin_id;
    let (_, calls) = harness.get_json("/api/calls", &admin).await;
    assert_eq!(calls, serde_json::json!([]));
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn malformed_json_gets_400_and_oversized_bodies_413() {
    let harness = Harness::start_with(|settings| settings.webhook_body_limit = 4096).await;
    assert_eq!(harness.post_webhook(b"{\"object\": ").await, 400);
    assert_eq!(harness.post_webhook(b"[1, 2, 3]").await, 400);
    let huge = vec![b' '; 8192];
    assert_eq!(harness.post_webhook(&huge).await, 413);
    let (received, _) = harness.platform.store().inbox_counts().await.unwrap();
    assert_eq!(received, 0);
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_connect_rings_the_agent_once() {
    let harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Agent, None).await;
    let mut alice = harness.connect(&token).await;
    assert!(matches!(alice.recv().await, ServerMessage::Hello(_)));

    let body = connect_body("wacid.DUP");
    assert_eq!(harness.post_webhook(&body).await, 200);
    assert_eq!(harness.post_webhook(&body).await, 200);
    harness.platform.processed(2).await;

    let sent = alice.drain().await;
    let rings = sent
        .iter()
        .filter(|message| matches!(message, ServerMessage::IncomingCall(_)))
        .count();
    assert_eq!(rings, 1, "{sent:?}");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn terminate_before_connect_leaves_a_tombstone_and_the_late_connect_rings_nobody() {
    let mut harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Admin, None).await;
    let mut alice = harness.connect(&token).await;
    assert!(matches!(alice.recv().await, ServerMessage::Hello(_)));

    let terminate = terminate_body("wacid.EARLY", TerminateStatus::Completed, None);
    assert_eq!(harness.post_webhook(&terminate).await, 200);
    assert_eq!(
        harness.post_webhook(&connect_body("wacid.EARLY")).await,
        200
    );
    harness.platform.processed(2).await;

    assert_eq!(alice.drain().await, vec![], "nobody may be rung");
    let (status, record) = harness.get_json("/api/calls/wacid.EARLY", &token).await;
    assert_eq!(status, 200);
    assert_eq!(record["status"], "missed");
    assert_eq!(record["agents_rung"], serde_json::json!([]));
    assert!(
        harness.graph.seen().is_empty(),
        "no Graph call for a call already over"
    );
    let _ = &mut harness.graph;
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn a_stale_connect_is_recorded_missed_and_rings_nobody() {
    let harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Admin, None).await;
    let mut alice = harness.connect(&token).await;
    assert!(matches!(alice.recv().await, ServerMessage::Hello(_)));

    let an_hour_ago = now_secs() - 3600;
    assert_eq!(
        harness
            .post_webhook(&connect_body_at("wacid.STALE", an_hour_ago))
            .await,
        200
    );
    harness.platform.processed(1).await;

    assert_eq!(alice.drain().await, vec![]);
    let (_, record) = harness.get_json("/api/calls/wacid.STALE", &token).await;
    assert_eq!(record["status"], "missed");
    assert!(
        harness.graph.seen().is_empty(),
        "stale events are discarded before any Graph call"
    );
    let _ = CallStatus::Missed;
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn a_connect_for_a_number_not_configured_here_rings_nobody() {
    let harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Admin, None).await;
    let mut alice = harness.connect(&token).await;
    assert!(matches!(alice.recv().await, ServerMessage::Hello(_)));

    let body = String::from_utf8(connect_body("wacid.OTHER"))
        .unwrap()
        .replace(PHONE_NUMBER_ID, "999999999999999");
    assert_eq!(harness.post_webhook(body.as_bytes()).await, 200);
    harness.platform.processed(1).await;
    assert_eq!(alice.drain().await, vec![]);
    assert!(
        harness.graph.seen().is_empty(),
        "another app owns that number's calls"
    );
    harness.platform.shutdown().await;
}
