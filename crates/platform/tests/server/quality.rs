//! `call_quality` over a real socket: the agent who talked on a call reports how it sounded
//! and the record keeps it (first report wins, the same again is fine); another agent's
//! report, an impossible one, a different second one and one for an unknown call are each
//! refused with the reason, and the record is as it was.

use platform::store::agents::Role;
use protocol::{ErrorCode, ServerMessage};
use serde_json::{json, Value};

use crate::support::*;

const CALL: &str = "wacid.QUALITY";

fn quality(mos_avg: f64) -> Value {
    json!({
        "measured_secs": 41, "mos_avg": mos_avg, "mos_min": 2.5, "loss_pct": 6.5,
        "remote_loss_pct_max": 12.0, "rtt_ms_avg": 85.5, "jitter_ms_max": 21.0,
        "warnings": ["high_loss", "no_inbound_audio"]
    })
}

async fn report(
    socket: &mut AgentSocket,
    call_id: &str,
    quality: Value,
) -> Option<(ErrorCode, String)> {
    let request = socket
        .send(json!({"type": "call_quality", "call_id": call_id, "quality": quality}))
        .await;
    reply_outcome(socket, &request).await
}

/// The record's quality as an admin reads it.
async fn kept(harness: &Harness, admin_token: &str) -> Value {
    let (status, record) = harness
        .get_json(&format!("/api/calls/{CALL}"), admin_token)
        .await;
    assert_eq!(status, 200, "{record}");
    record["quality"].clone()
}

#[tokio::test]
async fn the_talking_agents_report_is_kept_on_the_record_and_every_other_one_refused() {
    let mut harness = Harness::start().await;
    let (_, alice_token) = harness.agent("alice", Role::Agent, None).await;
    let (_, bob_token) = harness.agent("bob", Role::Agent, None).await;
    let (_, admin_token) = harness.agent("root", Role::Admin, None).await;
    let mut alice = harness.connect(&alice_token).await;
    let mut bob = harness.connect(&bob_token).await;
    assert!(matches!(alice.recv().await, ServerMessage::Hello(_)));
    assert!(matches!(bob.recv().await, ServerMessage::Hello(_)));
    // Bob is away: the call rings alice only.
    let away = bob
        .send(json!({"type": "set_presence", "presence": "away"}))
        .await;
    assert_eq!(reply_outcome(&mut bob, &away).await, None);

    talked_call(&mut harness, &mut alice, CALL).await;

    assert_eq!(
        kept(&harness, &admin_token).await,
        Value::Null,
        "nothing before a report"
    );

    // Not bob's call.
    let (code, why) = report(&mut bob, CALL, quality(4.0)).await.expect("refused");
    assert_eq!(code, ErrorCode::Forbidden, "{why}");
    assert!(
        why.contains("not answered or placed by this agent"),
        "{why}"
    );
    // Figures that cannot be true.
    let (code, why) = report(&mut alice, CALL, quality(7.0))
        .await
        .expect("refused");
    assert_eq!(code, ErrorCode::InvalidMessage, "{why}");
    assert!(why.contains("MOS"), "{why}");
    // No such call.
    let (code, why) = report(&mut alice, "wacid.NOPE", quality(4.0))
        .await
        .expect("refused");
    assert_eq!(code, ErrorCode::UnknownCall, "{why}");
    assert_eq!(
        kept(&harness, &admin_token).await,
        Value::Null,
        "the refusals changed the record"
    );

    // Alice's report is kept, and a repeat of it is fine.
    assert_eq!(report(&mut alice, CALL, quality(3.75)).await, None);
    assert_eq!(kept(&harness, &admin_token).await, quality(3.75));
    assert_eq!(report(&mut alice, CALL, quality(3.75)).await, None);
    // A different second report is refused; the first stays.
    let (code, why) = report(&mut alice, CALL, quality(4.25))
        .await
        .expect("refused");
    assert_eq!(code, ErrorCode::InvalidCallState, "{why}");
    assert_eq!(kept(&harness, &admin_token).await, quality(3.75));

    // The history lists carry it too.
    let (_, calls) = harness.get_json("/api/calls", &alice_token).await;
    assert_eq!(
        calls[0]["quality"]["warnings"],
        json!(["high_loss", "no_inbound_audio"])
    );
    harness.platform.shutdown().await;
}
