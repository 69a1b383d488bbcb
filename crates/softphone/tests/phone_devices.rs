//! The device audio plan with real sound devices, without a sound card: PulseAudio's null sink
//! is the default output and its monitor the default input. The speaker plays what the
//! customer says into the sink; the microphone hears the sink's monitor, so the customer hears
//! their own tone back through the agent's speaker → microphone → Opus path. Mid-call the
//! microphone is switched (reopened) and the call goes on. Ignored unless built with
//! `RINGDESK_AUDIO_TEST=1` (see build.rs); needs `pulseaudio` and `pactl`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

mod phone_support;

use std::path::Path;
use std::process::Command;

use softphone::phone::{AudioPlan, DeviceChoice, Direction, EndReason, PhoneEvent};

use phone_support::{assert_near, Rig, CUSTOMER_HZ};

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e} (is PulseAudio installed?)"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// PulseAudio with a null sink as default output and its monitor as default input (as
/// tests/audio_loopback.rs does; idempotent).
fn ensure_null_sink() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        let dir = Path::new("/tmp/ringdesk-audio-test-runtime");
        std::fs::create_dir_all(dir).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        std::env::set_var("XDG_RUNTIME_DIR", dir);
    }
    let running = Command::new("pulseaudio")
        .arg("--check")
        .status()
        .is_ok_and(|s| s.success());
    if !running {
        run("pulseaudio", &["--start", "--exit-idle-time=-1"]);
    }
    let sink = std::env::var("RINGDESK_TEST_SINK").unwrap_or_else(|_| "ringdesk_test".into());
    let sinks = run("pactl", &["list", "short", "sinks"]);
    if !sinks
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(sink.as_str()))
    {
        run(
            "pactl",
            &[
                "load-module",
                "module-null-sink",
                &format!("sink_name={sink}"),
            ],
        );
    }
    run("pactl", &["set-default-sink", &sink]);
    run("pactl", &["set-default-source", &format!("{sink}.monitor")]);
}

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
        PhoneEvent::MediaConnected { call_id: id } => assert_eq!(id, call_id),
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
