//! Our WebRTC media session against wa-sim's customer phone (a webrtc-rs peer shaped like
//! Meta's ICE-lite relay): the answer obeys Meta's rules, tones flow both ways and each side
//! hears the other's frequency; nothing is sent before `start_media`; mute sends silence.
//! Everything on 127.0.0.1; every wait is on an event, bounded by a generous timeout.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

use std::time::Duration;

use softphone::jitter::JitterConfig;
use softphone::media::{
    CallAudio, CapturedAudio, MediaError, MediaSession, MediaStack, MediaState, SharedPlayout,
    SilenceSource, ToneSource, WavSink, WebRtcStack,
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
    let playout = SharedPlayout::new(JitterConfig::default()).unwrap();
    let audio = CallAudio {
        source: Box::new(ToneSource::new(AGENT_HZ, -20.0).unwrap()),
        sink: Box::new(heard.clone()),
        // The desktop's receive path too: jitter buffer + decoder, pulled 10 ms at a time.
        packets: Some(Box::new(playout.clone())),
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

    // Pulled through the jitter buffer at an output device's pace (10 ms every 10 ms, while the
    // customer keeps talking), the same audio comes out. Pulling faster than real time would
    // drain the buffer into concealment and test nothing but timing.
    let mut pulled = vec![0i16; 28_800];
    let mut pace = tokio::time::interval(std::time::Duration::from_millis(10));
    for chunk in pulled.chunks_mut(480) {
        pace.tick().await;
        playout.pull(chunk);
    }
    assert!(playout.stats().decoded >= 15, "{:?}", playout.stats());
    assert_near(
        dominant_frequency_hz(&pulled[9_600..], 48_000),
        CUSTOMER_HZ,
        "agent playout",
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
        packets: None,
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
        packets: None,
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
        packets: None,
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

/// Meta's documented offer (reference §6.3) and the live Oct-2025 capture (§2.3, with the
/// shortened fingerprint filled in): both get an answer that passes Meta's rules and echoes
/// the offer's mid and payload types. (Their relay addresses are documentation addresses, so
/// nothing connects; only the answer is checked.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metas_own_sample_offers_get_a_valid_answer() {
    const FP: &str = "1B:B6:6B:40:A5:0B:8C:75:0D:8C:CB:90:2F:99:74:1E:26:45:AE:AF:45:C1:51:60:8F:73:C9:2D:10:6D:8A:88";
    let doc = format!(
        "v=0\r\no=- 7602563789789945080 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio\r\n\
         a=msid-semantic: WMS 6932bc1c-db1a-4abe-b437-0c4168be8a13\r\na=ice-lite\r\n\
         m=audio 40012 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 203.0.113.60\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
         a=candidate:1972637320 1 udp 2113937151 203.0.113.60 40012 typ host generation 0 network-cost 50 ufrag 6k2qP1R6kBfI/2\r\n\
         a=candidate:1652262791 1 udp 2113939711 2001:db8:f211::6443 40012 typ host generation 0 network-cost 50 ufrag 6k2qP1R6kBfI/2\r\n\
         a=ice-ufrag:6k2qP1R6kBfI/2\r\na=ice-pwd:UApvJw3NcwFRDvIMKdM0vWCdlXah25E9\r\n\
         a=fingerprint:sha-256 {FP}\r\na=setup:actpass\r\na=mid:audio\r\n\
         a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n\
         a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n\
         a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n\
         a=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n\
         a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:126 telephone-event/8000\r\n\
         a=ssrc:4208138518 cname:gAXq2V9TKltrnapv\r\n\
         a=ssrc:4208138518 msid:6932bc1c-db1a-4abe-b437-0c4168be8a13 audio#R5wfXFcdmT6\r\n\
         a=ssrc:4208138518 mslabel:6932bc1c-db1a-4abe-b437-0c4168be8a13\r\n\
         a=ssrc:4208138518 label:audio#R5wfXFcdmT6\r\n"
    );
    let live = format!(
        "v=0\r\no=- 1760681506762 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio\r\n\
         a=msid-semantic: WMS c3867497-e6f7-4408-82b7-80dbd11b94cf\r\na=ice-lite\r\n\
         m=audio 3484 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 203.0.113.49\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
         a=candidate:3935165743 1 udp 2122260223 203.0.113.49 3484 typ host generation 0 network-cost 50\r\n\
         a=candidate:2617197009 1 udp 2122262783 2001:db8:f36b::699c 3484 typ host generation 0 network-cost 50\r\n\
         a=ice-ufrag:AeinEGDfvqBctbtM\r\na=ice-pwd:F6/jjqL0/8/Dzluc0IoZEQ==\r\n\
         a=fingerprint:sha-256 {FP}\r\na=setup:actpass\r\na=mid:audio\r\na=sendrecv\r\n\
         a=msid:c3867497-e6f7-4408-82b7-80dbd11b94cf WhatsAppTrack1\r\na=rtcp-mux\r\n\
         a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n\
         a=fmtp:111 maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1\r\n\
         a=rtpmap:126 telephone-event/8000\r\na=maxptime:20\r\na=ptime:20\r\n\
         a=ssrc:1047224411 cname:WhatsAppAudioStream1\r\n"
    );
    for (name, offer) in [("doc sample", doc), ("live capture", live)] {
        validate_for_meta(&offer, SdpRole::OfferFromMeta).unwrap_or_else(|v| {
            panic!(
                "{name}: the sample itself fails the validator: {:?}",
                v.codes()
            )
        });
        let audio = CallAudio {
            source: Box::new(SilenceSource),
            sink: Box::new(softphone::media::NullSink),
            packets: None,
        };
        let session = WebRtcStack::default()
            .prepare(&offer, audio)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let answer = timeout(WAIT, session.answer()).await.unwrap().unwrap();
        if let Err(v) = validate_for_meta(&answer, SdpRole::AnswerToMeta) {
            panic!(
                "{name}: answer refused by Meta's rules: {:?}\n{answer}",
                v.codes()
            );
        }
        for line in [
            "a=mid:audio",
            "a=group:BUNDLE audio",
            "a=setup:active",
            "a=rtpmap:111 opus/48000/2",
            "a=rtpmap:126 telephone-event/8000",
        ] {
            assert!(
                answer.lines().any(|l| l == line),
                "{name}: no {line:?} in\n{answer}"
            );
        }
        // Answering twice gives the same text (pre_accept and accept must match).
        assert_eq!(session.answer().await.unwrap(), answer);
        session.close().await;
    }
}

/// A microphone stand-in: a tone "captured" in 10 ms device callbacks on the wall clock, so a
/// 20 ms frame completes every 20 ms whatever the sender's timers do.
struct LiveTone {
    tone: ToneSource,
    start: Option<std::time::Instant>,
    taken: u64,
    ready: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl softphone::media::AudioSource for LiveTone {
    fn fill(&mut self, _frame: &mut [i16]) {
        panic!("a live source is polled, never filled on a timer");
    }

    fn poll_frame(&mut self, frame: &mut [i16]) -> Option<softphone::media::LiveFrame> {
        let start = *self.start.get_or_insert_with(std::time::Instant::now);
        let captured_ms = start.elapsed().as_millis() as u64 / 10 * 10;
        if captured_ms / 20 > self.taken {
            self.tone.fill(frame);
            self.taken += 1;
            self.ready
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Some(softphone::media::LiveFrame::Ready);
        }
        let next = Duration::from_millis((self.taken + 1) * 20);
        Some(softphone::media::LiveFrame::NotYet(
            next.saturating_sub(start.elapsed()),
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_capture_paces_the_sender_frame_by_frame() {
    let ready = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let audio = CallAudio {
        source: Box::new(LiveTone {
            tone: ToneSource::new(AGENT_HZ, -20.0).unwrap(),
            start: None,
            taken: 0,
            ready: ready.clone(),
        }),
        sink: Box::new(softphone::media::NullSink),
        packets: None,
    };
    let (phone, session, _) = connected_call(audio).await;
    phone.start_media();
    session.start_media();
    timeout(WAIT, phone.heard_packets(60))
        .await
        .unwrap()
        .unwrap();
    assert_near(phone.stats().dominant_hz, AGENT_HZ, "customer");
    // Every packet is a captured frame (no timer-made or silence frames on a healthy capture;
    // one in flight at most).
    let sent = session.stats().sent_packets;
    let captured = ready.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        sent <= captured && captured <= sent + 1,
        "sent {sent}, captured {captured}"
    );
    session.close().await;
    phone.hang_up();
}
