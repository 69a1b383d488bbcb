//! The phone engine ([`softphone::phone::Phone`]) against the real platform and wa-sim, both
//! in-process on 127.0.0.1: wa-sim is Meta *and* the customer's WebRTC phone (real ICE,
//! DTLS-SRTP, Opus), its webhooks go to the platform, the platform's Graph calls go to wa-sim.
//! The phone uses per-call audio: it says a 1000 Hz tone and captures what it hears.
//!
//! Covered: incoming → accept → answered → media connected, the customer's 440 Hz heard by the
//! agent (measured with `softphone::signal`) and the agent's 1000 Hz by the customer, levels,
//! mute (the customer then hears silence), hang-up ending the call here and at wa-sim, the
//! call in the history REST client (and a wrong token refused); a rejected call; a call
//! cancelled because the caller hung up before it was answered; refusals for unknown calls.
//!
//! Waiting is on the phone's events; where only wa-sim can tell (what the customer heard, how
//! its call ended) its report is polled at a short interval, bounded by `WAIT`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

mod phone_support;

use protocol::rest::{CallQuery, HistoryView};
use protocol::{CancelReason, Party, RoutedBecause};
use serde_json::Value;
use softphone::media::CapturedAudio;
use softphone::phone::{
    call_history, export_history_csv, DeviceChoice, Direction, EndReason, PhoneError, PhoneEvent,
};
use softphone::signal::{estimate_frequency, rms_dbfs, to_f32};
use softphone::transport::{PlatformLink, TlsOptions};

use phone_support::{assert_near, Rig, AGENT_HZ, BUSINESS_NUMBER, CUSTOMER, CUSTOMER_HZ};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_call_talks_both_ways_mutes_and_hangs_up() {
    let rig = Rig::start().await;
    let heard = CapturedAudio::default();
    let (phone, mut events) = rig.phone(&heard).await;

    let call_id = rig.customer_calls().await;
    let info = events.incoming(&call_id).await;
    assert_eq!(info.customer_number, format!("+{CUSTOMER}"));
    assert_eq!(info.customer_name.as_deref(), Some("Ada Customer"));
    assert!(
        info.business_number.ends_with(BUSINESS_NUMBER),
        "{}",
        info.business_number
    );
    assert_eq!(info.routed_because, RoutedBecause::RoundRobin);

    phone.accept(&call_id).await.unwrap();
    assert_eq!(
        events.next().await,
        PhoneEvent::Answered {
            call_id: call_id.clone()
        }
    );
    assert_eq!(
        events.next().await,
        PhoneEvent::MediaConnected {
            call_id: call_id.clone(),
            // Both on loopback, no ICE servers: straight from the host address.
            path: Some(softphone::media::MediaPath::Host),
        }
    );
    // Accepting twice is refused with the reason.
    let again = phone.accept(&call_id).await.unwrap_err();
    assert_eq!(again.code(), "invalid_state", "{again}");

    // Levels come every 50 ms; wait (on them) until 1.5 s of the customer is captured.
    let mut last = (0.0, 0.0);
    while heard.samples().len() < 72_000 {
        last = events.levels(&call_id).await;
    }
    assert!((last.0 + 20.0).abs() < 1.5, "input meter {}", last.0);
    assert!((-30.0..=-12.0).contains(&last.1), "output meter {}", last.1);
    let samples: Vec<f32> = heard.samples().iter().map(|s| to_f32(*s)).collect();
    let last_second = &samples[samples.len() - 48_000..];
    assert_near(
        estimate_frequency(last_second, 48_000),
        CUSTOMER_HZ,
        "agent",
    );
    assert!(rms_dbfs(last_second) > -30.0);

    // RTCP both ways: our sender reports come back in the customer's receiver reports (RTT),
    // which also say how much of our audio got lost; on loopback nothing is, and no warning holds.
    let quality = events
        .quality_where(&call_id, |q| {
            matches!(
                q,
                PhoneEvent::Quality {
                    rtt_ms: Some(_),
                    remote_loss_pct: Some(_),
                    ..
                }
            )
        })
        .await;
    let PhoneEvent::Quality {
        mos,
        rtt_ms,
        loss_pct,
        remote_loss_pct,
        warnings,
        ..
    } = quality
    else {
        unreachable!()
    };
    assert!(
        rtt_ms.is_some_and(|rtt| (0.0..200.0).contains(&rtt)),
        "rtt {rtt_ms:?}"
    );
    assert!(
        remote_loss_pct.is_some_and(|l| l < 1.0),
        "remote loss {remote_loss_pct:?}"
    );
    assert!(loss_pct < 1.0, "loss {loss_pct}");
    assert!(mos > 4.0, "mos {mos}");
    assert!(warnings.is_empty(), "{warnings:?}");

    // The customer hears the agent's tone...
    let report = rig.customer_heard(&call_id, 75).await;
    assert_near(
        report["audio"]["dominant_hz"].as_f64(),
        AGENT_HZ,
        "customer",
    );

    // ...and silence once muted (packets keep flowing: WhatsApp hangs up without media).
    phone.set_muted(&call_id, true).await.unwrap();
    assert_eq!(
        events.next().await,
        PhoneEvent::MuteChanged {
            call_id: call_id.clone(),
            muted: true
        }
    );
    let before = report["audio"]["packets_received"].as_u64().unwrap();
    let muted = rig.customer_heard(&call_id, before + 75).await;
    let rms = muted["audio"]["rms_dbfs"].as_f64().unwrap_or(-120.0);
    assert!(
        rms < -60.0,
        "the customer still hears {rms} dBFS while muted"
    );
    // The input meter still shows the agent's source while muted.
    let (input, _) = events.levels(&call_id).await;
    assert!(
        (input + 20.0).abs() < 1.5,
        "input meter while muted {input}"
    );

    phone.hang_up(&call_id).await.unwrap();
    assert_eq!(events.ended(&call_id).await, EndReason::LocalHangup);
    let report = rig.sim_call_when(&call_id, |r| r["state"] == "ended").await;
    assert_eq!(report["end"], "completed", "{report}");
    assert_eq!(
        phone.hang_up(&call_id).await,
        Err(PhoneError::NoSuchCall(call_id.clone()))
    );

    // The call is in the agent's history; a wrong token is refused as such.
    let link = PlatformLink::new(&rig.base, &TlsOptions::default()).unwrap();
    let records = call_history(&link, &rig.token, &CallQuery::default())
        .await
        .unwrap();
    let record = records
        .iter()
        .find(|r| r.id.as_str() == call_id)
        .unwrap_or_else(|| panic!("{call_id} not in the history: {records:?}"));
    assert!(record.answered_at.is_some(), "{record:?}");
    assert_eq!(
        call_history(&link, "rdk_wrong", &CallQuery::default()).await,
        Err(PhoneError::Unauthorized)
    );
    // The views: an answered call is Received, not Missed; the CSV of a view has its rows.
    let view = |view| CallQuery {
        view: Some(view),
        ..CallQuery::default()
    };
    let missed = call_history(&link, &rig.token, &view(HistoryView::Missed))
        .await
        .unwrap();
    assert!(
        missed.iter().all(|r| r.id.as_str() != call_id),
        "{missed:?}"
    );
    let csv = export_history_csv(&link, &rig.token, &view(HistoryView::Received))
        .await
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("id,direction,status,channel"),
        "{csv}"
    );
    assert!(
        lines.any(|line| line.starts_with(&format!("{call_id},inbound,completed,"))),
        "{csv}"
    );
    let csv = export_history_csv(&link, &rig.token, &view(HistoryView::Missed))
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(csv).unwrap().lines().count(),
        1,
        "the header only"
    );

    phone.shutdown().await;
    assert!(
        events.0.recv().await.is_none(),
        "the events close after shutdown"
    );
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_call_ends_here_and_at_meta_and_unknown_calls_are_refused() {
    let rig = Rig::start().await;
    let heard = CapturedAudio::default();
    let (phone, mut events) = rig.phone(&heard).await;

    assert_eq!(
        phone.accept("wacid.nope").await,
        Err(PhoneError::NoSuchCall("wacid.nope".into()))
    );
    assert_eq!(
        phone
            .set_muted("wacid.nope", true)
            .await
            .unwrap_err()
            .code(),
        "no_such_call"
    );
    assert_eq!(
        phone
            .select_device(Direction::Output, DeviceChoice::Default)
            .await,
        Err(PhoneError::NoDevices)
    );

    let call_id = rig.customer_calls().await;
    events.incoming(&call_id).await;
    phone.reject(&call_id).await.unwrap();
    assert_eq!(
        events.ended(&call_id).await,
        EndReason::Rejected { by: Party::Agent }
    );
    let report = rig.sim_call_when(&call_id, |r| r["state"] == "ended").await;
    assert_eq!(report["end"], "rejected_by_business", "{report}");
    assert_eq!(report["connected_at"], Value::Null);
    assert!(
        heard.samples().is_empty(),
        "nothing heard from a rejected call"
    );

    phone.shutdown().await;
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_the_customer_gives_up_on_is_cancelled_before_it_is_answered() {
    let rig = Rig::start().await;
    let heard = CapturedAudio::default();
    let (phone, mut events) = rig.phone(&heard).await;

    let call_id = rig.customer_calls().await;
    events.incoming(&call_id).await;
    rig.customer_hangs_up(&call_id).await;
    assert_eq!(
        events.next().await,
        PhoneEvent::Cancelled {
            call_id: call_id.clone(),
            reason: CancelReason::CallerHungUp
        }
    );
    assert_eq!(
        events.ended(&call_id).await,
        EndReason::Cancelled {
            reason: CancelReason::CallerHungUp
        }
    );
    // Too late to answer it now.
    assert_eq!(
        phone.accept(&call_id).await,
        Err(PhoneError::NoSuchCall(call_id.clone()))
    );

    phone.shutdown().await;
    rig.stop().await;
}
