//! The device audio plan with real sound devices, without a sound card: PulseAudio's null sink
//! is the default output and its monitor the default input. The speaker plays what the
//! customer says into the sink; the microphone hears the sink's monitor, so the customer hears
//! their own tone back through the agent's speaker → microphone → Opus path. Mid-call the
//! microphone is switched (reopened) and the call goes on. Ignored unless built with
//! `RINGDESK_AUDIO_TEST=1` (see build.rs); needs `pulseaudio` and `pactl`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

mod null_sink;
mod phone_support;

use softphone::phone::{AudioPlan, DeviceChoice, Direction, EndReason, PhoneEvent};

use null_sink::ensure_null_sink;
use phone_support::{assert_near, Rig, CUSTOMER_HZ};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ringdesk_audio_test),
    ignore = "set RINGDESK_AUDIO_TEST=1 to use PulseAudio"
)]
async fn a_call_on_the_devices_plays_the_customer_and_sends_the_microphone() {
    ensure_null_sink();
    let rig = Rig::start().await;
    let (phone, mut events) = rig
        .phone_with(AudioPlan::Devices {
            input: vec![],
            output: vec![DeviceChoice::Default],
        })
        .await;

    let call_id = rig.customer_calls().await;
    events.incoming(&call_id).await;
    phone.accept(&call_id).await.unwrap();
    assert!(matches!(events.next().await, PhoneEvent::Answered { .. }));
    // Device errors would come here instead.
    match events.next().await {
        PhoneEvent::MediaConnected { call_id: id, .. } => assert_eq!(id, call_id),
        other => panic!("expected media connected, got {other:?}"),
    }

    // The speaker plays the customer (output meter from the playout), and the microphone
    // hears it from the sink's monitor (input meter).
    let mut levels = (f32::MIN, f32::MIN);
    for _ in 0..200 {
        levels = events.levels(&call_id).await;
        if levels.0 > -40.0 && levels.1 > -40.0 {
            break;
        }
    }
    assert!(levels.1 > -40.0, "output meter stays at {} dBFS", levels.1);
    assert!(levels.0 > -40.0, "input meter stays at {} dBFS", levels.0);

    // ...so the customer hears their own tone back.
    let report = rig.customer_heard(&call_id, 100).await;
    assert_near(
        report["audio"]["dominant_hz"].as_f64(),
        CUSTOMER_HZ,
        "customer (own tone via the agent's devices)",
    );

    // Switching the microphone mid-call reopens it; the call continues with audio.
    phone
        .select_device(Direction::Input, DeviceChoice::Default)
        .await
        .unwrap();
    let before = report["audio"]["packets_received"].as_u64().unwrap();
    let after = rig.customer_heard(&call_id, before + 75).await;
    assert_near(
        after["audio"]["dominant_hz"].as_f64(),
        CUSTOMER_HZ,
        "customer after the microphone switch",
    );
    let (input, output) = events.levels(&call_id).await;
    assert!(input > -40.0 && output > -40.0, "{input} / {output}");

    phone.hang_up(&call_id).await.unwrap();
    assert_eq!(events.ended(&call_id).await, EndReason::LocalHangup);
    phone.shutdown().await;
    rig.stop().await;
}
