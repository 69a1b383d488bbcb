//! A call the agent places, media half: our WebRTC session makes the offer, wa-sim's customer
//! phone (a webrtc-rs peer shaped like Meta's ICE-lite relay) answers it the way Meta does
//! (`setup:active`, inline host candidates), and tones flow both ways once media starts —
//! each side hears the other's frequency. The offer obeys Meta's rules for `OfferToMeta`;
//! nothing is sent before `start_media`; an answer that breaks Meta's rules is refused with
//! the reason. Everything on 127.0.0.1; every wait is on an event, bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

use std::time::Duration;

use softphone::media::{
    CallAudio, CapturedAudio, MediaError, MediaStack, MediaState, NullSink, SilenceSource,
    ToneSource, WebRtcStack,
};
use tokio::time::timeout;
use wa_sim::audio::analysis::{dominant_frequency_hz, rms_dbfs};
use wa_sim::phone::{CustomerPhone, PhoneConfig, Voice};
use whatsapp::sdp::{validate_for_meta, SdpRole};

const WAIT: Duration = Duration::from_secs(30);
const CUSTOMER_HZ: f64 = 440.0;
const AGENT_HZ: f64 = 1000.0;

fn assert_near(measured: Option<f64>, expected: f64, who: &str) {
    let hz = measured.unwrap_or_else(|| panic!("{who}: no dominant frequency"));
    assert!(
        (hz - expected).abs() / expected < 0.02,
        "{who}: heard {hz:.1} Hz, expected {expected} Hz"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agents_offer_follows_metas_rules_and_tones_flow_both_ways_after_pickup() {
    let heard = CapturedAudio::default();
    let audio = CallAudio {
        source: Box::new(ToneSource::new(AGENT_HZ, -20.0).unwrap()),
        sink: Box::new(heard.clone()),
        packets: None,
    };
    let (session, offer) = timeout(WAIT, WebRtcStack::default().offer(audio))
        .await
        .unwrap()
        .unwrap();

    // The offer as Meta's `connect` takes it.
    if let Err(v) = validate_for_meta(&offer, SdpRole::OfferToMeta) {
        panic!("offer refused by Meta's rules: {:?}\n{offer}", v.codes());
    }
    for line in [
        "a=setup:actpass",
        "a=rtpmap:111 opus/48000/2",
        "a=rtpmap:126 telephone-event/8000",
        "a=ptime:20",
    ] {
        assert!(offer.lines().any(|l| l == line), "no {line:?} in\n{offer}");
    }
    assert_eq!(offer.matches("m=").count(), 1, "{offer}");
    assert_eq!(offer.matches("a=fingerprint:sha-256 ").count(), 1);
    assert!(
        offer.contains(" typ host"),
        "candidates gathered before sending"
    );
    assert!(!offer.contains("trickle") && !offer.contains("end-of-candidates"));
    // Only an answer can be applied; an offering session makes no answer.
    assert!(session.answer().await.is_err());

    // The customer's phone answers as Meta does; the answer goes to the agent.
    let customer = PhoneConfig {
        voice: Voice::Tone {
            frequency_hz: CUSTOMER_HZ,
            level_dbfs: -20.0,
        },
        ..PhoneConfig::default()
    };
    let (phone, answer) = CustomerPhone::answer(&offer, customer).await.unwrap();
    assert!(answer.contains("a=setup:active"), "{answer}");
    timeout(WAIT, session.apply_answer(&answer))
        .await
        .unwrap()
        .unwrap();
    // Applying it again changes nothing.
    session.apply_answer(&answer).await.unwrap();
    timeout(WAIT, session.connected()).await.unwrap().unwrap();
    timeout(WAIT, phone.connected()).await.unwrap().unwrap();
    assert_eq!(session.state(), MediaState::Connected);

    // The customer picks up (Meta's ACCEPTED → the platform's start_media): only now does
    // the agent send.
    phone.start_media();
    timeout(WAIT, session.heard_packets(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.stats().sent_packets, 0, "sent before start_media");
    session.start_media();
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
    assert!(samples.len() >= 85 * 960, "agent heard {}", samples.len());
    let last_second = &samples[samples.len() - 48_000..];
    assert_near(
        dominant_frequency_hz(last_second, 48_000),
        CUSTOMER_HZ,
        "agent",
    );
    assert!((-30.0..=-12.0).contains(&rms_dbfs(last_second)));

    phone.hang_up();
    session.close().await;
    assert!(matches!(session.state(), MediaState::Ended(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_breaks_metas_rules_is_refused_with_the_reason() {
    let audio = CallAudio {
        source: Box::new(SilenceSource),
        sink: Box::new(NullSink),
        packets: None,
    };
    let (session, offer) = WebRtcStack::default().offer(audio).await.unwrap();
    let (_phone, answer) = CustomerPhone::answer(&offer, PhoneConfig::default())
        .await
        .unwrap();
    let no_fingerprint: String = answer
        .split_inclusive("\r\n")
        .filter(|l| !l.starts_with("a=fingerprint"))
        .collect();
    let e = session.apply_answer(&no_fingerprint).await.unwrap_err();
    assert!(matches!(e, MediaError::AnswerRefused(_)), "{e}");
    assert!(e.to_string().contains("fingerprint"), "{e}");
    let e = session
        .apply_answer(&answer.replace("opus/48000/2", "PCMU/8000"))
        .await
        .unwrap_err();
    assert!(e.to_string().to_lowercase().contains("opus"), "{e}");
    // Still usable: the right answer is taken afterwards.
    session.apply_answer(&answer).await.unwrap();
    timeout(WAIT, session.connected()).await.unwrap().unwrap();
    session.close().await;
}
