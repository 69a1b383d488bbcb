//! Our WebRTC media session against wa-sim's customer phone (a webrtc-rs peer shaped like
//! Meta's ICE-lite relay): the answer obeys Meta's rules, tones flow both ways and each side
//! hears the other's frequency; nothing is sent before `start_media`; mute sends silence.
//! Everything on 127.0.0.1; every wait is on an event, bounded by a generous timeout.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

use std::time::Duration;

use softphone::media::{
    CallAudio, CapturedAudio, MediaError, MediaSession, MediaStack, MediaState, SilenceSource,
    ToneSource, WavSink, WebRtcStack,
};
use tokio::time::timeout;
use wa_sim::audio::analysis::{dominant_frequency_hz, rms_dbfs};
use wa_sim::phone::{CustomerPhone, PhoneCall, PhoneConfig, Voice};
use whatsapp::sdp::{validate_for_meta, SdpRole};

const WAIT: Duration = Duration::from_secs(30);
const CUSTOMER_HZ: f64 = 440.0;
const AGENT_HZ: f64 = 1000.0;

fn customer(hz: f64) -> PhoneConfig {
    PhoneConfig {
        voice: Voice::Tone {
            frequency_hz: hz,
            level_dbfs: -20.0,
        },
        ..PhoneConfig::default()
    }
}

fn assert_near(measured: Option<f64>, expected: f64, who: &str) {
    let hz = measured.unwrap_or_else(|| panic!("{who}: no dominant frequency"));
    let error = (hz - expected).abs() / expected;
    assert!(
        error < 0.02,
        "{who}: heard {hz:.1} Hz, expected {expected} Hz"
    );
}

/// Ring (prepare), accept (answer), connect both sides.
async fn connected_call(agent_audio: CallAudio) -> (PhoneCall, Box<dyn MediaSession>, String) {
    let (phone, offer) = CustomerPhone::offer(customer(CUSTOMER_HZ)).await.unwrap();
    let session = WebRtcStack::default()
        .prepare(&offer, agent_audio)
        .await
        .unwrap();
    assert_eq!(session.state(), MediaState::Preparing);
    let answer = timeout(WAIT, session.answer()).await.unwrap().unwrap();
    phone.apply_answer(&answer).await.unwrap();
    timeout(WAIT, session.connected()).await.unwrap().unwrap();
    timeout(WAIT, phone.connected()).await.unwrap().unwrap();
    (phone, session, answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_and_customer_hear_each_others_tones() {
    let heard = CapturedAudio::default();
    let audio = CallAudio {
        source: Box::new(ToneSource::new(AGENT_HZ, -20.0).unwrap()),
        sink: Box::new(heard.clone()),
    };
    let (phone, session, answer) = connected_call(audio).await;

    // The answer passes Meta's validator as-is, and says what Meta's rules ask.
    if let Err(v) = validate_for_meta(&answer, SdpRole::AnswerToMeta) {
        panic!("answer refused by Meta's rules: {:?}\n{answer}", v.codes());
    }
    assert!(answer.contains("a=setup:active\r\n"));
    assert!(!answer.contains("ice-lite") && !answer.contains("trickle"));

    // Meta's side starts first (it may), the agent only on start_media: nothing was sent
    // before, although the transport was up and the phone's audio was arriving.
    phone.start_media();
    timeout(WAIT, session.heard_packets(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        session.stats().sent_packets,
        0,
        "media sent before start_media"
    );
    assert_eq!(phone.stats().packets, 0);

    session.start_media();
    // 75 packets = 1.5 s: the phone's 1 s analysis window holds steady-state audio.
    timeout(WAIT, phone.heard_packets(75))
        .await
        .unwrap()
        .unwrap();
    timeout(WAIT, session.heard_packets(85))
        .await
        .unwrap()
        .unwrap();

    let phone_heard = phone.stats();
    assert_near(phone_heard.dominant_hz, AGENT_HZ, "customer");
    assert!(
        (-30.0..=-12.0).contains(&phone_heard.rms_dbfs),
        "customer level {}",
        phone_heard.rms_dbfs
    );

    let samples = heard.samples();
    assert!(
        samples.len() >= 85 * 960,
        "agent heard only {} samples",
        samples.len()
    );
    let last_second = &samples[samples.len() - 48_000..];
    assert_near(
        dominant_frequency_hz(last_second, 48_000),
        CUSTOMER_HZ,
        "agent",
    );
    assert!(
        (-30.0..=-12.0).contains(&rms_dbfs(last_second)),
        "agent heard {}",
        rms_dbfs(last_second)
    );

    let levels = session.levels();
    assert!(
        (levels.input_dbfs + 20.0).abs() < 1.0,
        "input meter {}",
        levels.input_dbfs
    );
    assert!(
        (-30.0..=-12.0).contains(&levels.output_dbfs),
        "output meter {}",
        levels.output_dbfs
    );
    assert_eq!(session.stats().undecodable_packets, 0);

    session.close().await;
    assert!(matches!(session.state(), MediaState::Ended(_)));
    phone.hang_up();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mute_sends_silence_but_keeps_packets_flowing() {
    let audio = CallAudio {
        source: Box::new(ToneSource::new(AGENT_HZ, -20.0).unwrap()),
        sink: Box::new(softphone::media::NullSink),
    };
    let (phone, session, _) = connected_call(audio).await;
    phone.start_media();
    session.start_media();
    timeout(WAIT, phone.heard_packets(60))
        .await
        .unwrap()
        .unwrap();
    assert_near(phone.stats().dominant_hz, AGENT_HZ, "customer before mute");

    session.set_muted(true);
    assert!(session.is_muted());
    let before = phone.stats().packets;
    // A full 1 s analysis window after muting (plus packets in flight).
    timeout(WAIT, phone.heard_packets(before + 60))
        .await
        .unwrap()
        .unwrap();
    let muted = phone.stats();
    assert!(
        muted.rms_dbfs < -60.0,
        "customer still hears {} dBFS while muted",
        muted.rms_dbfs
    );
    // The meter still shows the agent's source.
    assert!((session.levels().input_dbfs + 20.0).abs() < 1.0);

    session.set_muted(false);
    let before = phone.stats().packets;
    timeout(WAIT, phone.heard_packets(before + 60))
        .await
        .unwrap()
        .unwrap();
    assert_near(phone.stats().dominant_hz, AGENT_HZ, "customer after unmute");
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_to_wav_holds_the_customers_tone() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("agent-heard.wav");
    let audio = CallAudio {
        source: Box::new(SilenceSource),
        sink: Box::new(WavSink::create(&wav).unwrap()),
    };
    let (phone, session, _) = connected_call(audio).await;
    phone.start_media();
    session.start_media();
    timeout(WAIT, session.heard_packets(60))
        .await
        .unwrap()
        .unwrap();
    session.close().await; // finishes the WAV file

    let mut reader = hound::WavReader::open(&wav).unwrap();
    assert_eq!(reader.spec().sample_rate, 48_000);
    let samples: Vec<i16> = reader.samples::<i16>().map(|s| s.unwrap()).collect();
    assert!(
        samples.len() >= 60 * 960,
        "recording too short: {}",
        samples.len()
    );
    assert_near(
        dominant_frequency_hz(&samples[samples.len() - 24_000..], 48_000),
        CUSTOMER_HZ,
        "recording",
    );
    phone.hang_up();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_offers_are_refused_with_a_reason() {
    let audio = || CallAudio {
        source: Box::new(SilenceSource),
        sink: Box::new(softphone::media::NullSink),
    };
    let stack = WebRtcStack::default();
    for (offer, why) in [
        ("garbage", "not an SDP"),
        ("v=0\r\ns=-\r\n", "no m=audio"),
        (
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n",
            "no Opus",
        ),
    ] {
        match stack.prepare(offer, audio()).await {
            Err(e @ MediaError::OfferRefused(_)) => assert!(e.to_string().contains(why), "{e}"),
            Err(other) => panic!("wrong error for {offer:?}: {other}"),
            Ok(_) => panic!("{offer:?} accepted"),
        }
    }
}
