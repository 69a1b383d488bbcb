//! The simulated customer phone against a "business" peer built directly on webrtc-rs 0.21
//! (full ICE, controlling, `setup:active` answers — what DESIGN.md asks of the agent app).
//! Everything runs on 127.0.0.1; waits are on events, each bounded by a timeout.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::MIME_TYPE_OPUS;
use rtc::peer_connection::transport::RTCDtlsRole;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use tokio::sync::watch;
use tokio::time::timeout;
use wa_sim::audio::{AudioMeter, AudioSource, MeterReading, ToneSource};
use wa_sim::phone::{
    CustomerPhone, EndReason, MediaTimeoutPhase, PhoneCall, PhoneConfig, PhoneEvent, Voice,
};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCIceGatheringState, RTCPeerConnectionState, RTCSessionDescription, SettingEngineBuilder,
};
use webrtc::runtime::TokioRuntime;

const WAIT: Duration = Duration::from_secs(20);
const PHONE_HZ: f64 = 440.0;
const BUSINESS_HZ: f64 = 1000.0;

// ---------- the in-test business peer ----------

/// (sequence number, timestamp, SSRC) of an inbound RTP packet.
type RtpHeaderSeen = (u16, u32, u32);

struct BusinessHandler {
    gathered: watch::Sender<bool>,
    connected: watch::Sender<bool>,
    heard: Arc<Mutex<AudioMeter>>,
    headers: Arc<Mutex<Vec<RtpHeaderSeen>>>,
    packets: watch::Sender<u64>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for BusinessHandler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.gathered.send_replace(true);
        }
    }
    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        if state == RTCPeerConnectionState::Connected {
            self.connected.send_replace(true);
        }
    }
    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let heard = self.heard.clone();
        let headers = self.headers.clone();
        let packets = self.packets.clone();
        tokio::spawn(async move {
            let mut decoder = opus::Decoder::new(48_000, opus::Channels::Mono).unwrap();
            let mut pcm = vec![0i16; 5760];
            while let Some(event) = track.poll().await {
                match event {
                    TrackRemoteEvent::OnRtpPacket(p) if p.header.payload_type == 111 => {
                        let h = &p.header;
                        headers
                            .lock()
                            .unwrap()
                            .push((h.sequence_number, h.timestamp, h.ssrc));
                        let n = decoder.decode(&p.payload, &mut pcm, false).unwrap();
                        heard.lock().unwrap().push(&pcm[..n]);
                        packets.send_modify(|c| *c += 1);
                    }
                    TrackRemoteEvent::OnEnded => break,
                    _ => {}
                }
            }
        });
    }
}

struct Business {
    pc: Arc<dyn PeerConnection>,
    track: Arc<TrackLocalStaticRTP>,
    gathered: watch::Receiver<bool>,
    connected: watch::Receiver<bool>,
    heard: Arc<Mutex<AudioMeter>>,
    headers: Arc<Mutex<Vec<RtpHeaderSeen>>>,
    packets: watch::Receiver<u64>,
    stop_sending: watch::Sender<bool>,
}

impl Business {
    async fn new() -> Self {
        let mut media = MediaEngine::default();
        media.register_default_codecs().unwrap();
        let (gathered_tx, gathered) = watch::channel(false);
        let (connected_tx, connected) = watch::channel(false);
        let (packets_tx, packets) = watch::channel(0);
        let heard = Arc::new(Mutex::new(AudioMeter::new(48_000)));
        let headers = Arc::new(Mutex::new(Vec::new()));
        let pc = PeerConnectionBuilder::new()
            .with_media_engine(media)
            // The business is the DTLS client (answers actpass with setup:active), full ICE.
            .with_setting_engine(
                SettingEngineBuilder::new()
                    .with_answering_dtls_role(RTCDtlsRole::Client)
                    .build(),
            )
            .with_handler(Arc::new(BusinessHandler {
                gathered: gathered_tx,
                connected: connected_tx,
                heard: heard.clone(),
                headers: headers.clone(),
                packets: packets_tx,
            }))
            .with_runtime(Arc::new(TokioRuntime))
            .with_udp_addrs(vec!["127.0.0.1:0".to_owned()])
            .build()
            .await
            .unwrap();
        let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            "agent".to_owned(),
            "agent-audio".to_owned(),
            "agent-audio".to_owned(),
            RtpCodecKind::Audio,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(0x0B0B_0B0B),
                    ..Default::default()
                },
                codec: RTCRtpCodec {
                    mime_type: MIME_TYPE_OPUS.to_owned(),
                    clock_rate: 48_000,
                    channels: 2,
                    sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
                    rtcp_feedback: vec![],
                },
                ..Default::default()
            }],
        )));
        Self {
            pc: Arc::new(pc),
            track,
            gathered,
            connected,
            heard,
            headers,
            packets,
            stop_sending: watch::channel(false).0,
        }
    }

    async fn local_sdp_after_gathering(&mut self) -> String {
        timeout(WAIT, self.gathered.wait_for(|g| *g))
            .await
            .unwrap()
            .unwrap();
        self.pc.local_description().await.unwrap().sdp
    }

    /// Answer the phone's offer (user-initiated call).
    async fn answer(&mut self, offer: &str) -> String {
        self.pc
            .set_remote_description(RTCSessionDescription::offer(offer.to_owned()).unwrap())
            .await
            .unwrap();
        self.pc
            .add_track(self.track.clone() as Arc<dyn TrackLocal>)
            .await
            .unwrap();
        let answer = self.pc.create_answer(None).await.unwrap();
        self.pc.set_local_description(answer).await.unwrap();
        self.local_sdp_after_gathering().await
    }

    /// Offer to the phone (business-initiated call).
    async fn offer(&mut self) -> String {
        self.pc
            .add_track(self.track.clone() as Arc<dyn TrackLocal>)
            .await
            .unwrap();
        let offer = self.pc.create_offer(None).await.unwrap();
        self.pc.set_local_description(offer).await.unwrap();
        self.local_sdp_after_gathering().await
    }

    async fn wait_connected(&mut self) {
        timeout(WAIT, self.connected.wait_for(|c| *c))
            .await
            .expect("business never connected")
            .unwrap();
    }

    /// Send an Opus tone in 20 ms frames until `stop()`.
    fn start_tone(&self, hz: f64) {
        let track = self.track.clone();
        let mut stop = self.stop_sending.subscribe();
        tokio::spawn(async move {
            let mut tone = ToneSource::new(hz, -20.0).unwrap();
            let mut enc =
                opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip).unwrap();
            let mut pcm = [0i16; 960];
            let mut out = [0u8; 1500];
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            for seq in 0u16.. {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                tone.fill(&mut pcm);
                let len = enc.encode(&pcm, &mut out).unwrap();
                let packet = rtc::rtp::packet::Packet {
                    header: rtc::rtp::header::Header {
                        version: 2,
                        payload_type: 111,
                        sequence_number: seq,
                        timestamp: u32::from(seq) * 960,
                        ssrc: 0x0B0B_0B0B,
                        ..Default::default()
                    },
                    payload: Bytes::copy_from_slice(&out[..len]),
                };
                if track.write_rtp(packet).await.is_err() {
                    return;
                }
            }
        });
    }

    fn stop(&self) {
        self.stop_sending.send_replace(true);
    }

    async fn heard_packets(&mut self, n: u64) {
        timeout(WAIT, self.packets.wait_for(|p| *p >= n))
            .await
            .expect("business did not hear the phone")
            .unwrap();
    }

    fn heard(&self) -> MeterReading {
        self.heard.lock().unwrap().clone().reading()
    }
}

// ---------- helpers ----------

fn tone_config(hz: f64) -> PhoneConfig {
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

fn assert_sensible_level(dbfs: f64, who: &str) {
    // Sent at −20 dBFS; Opus at voice bitrates keeps a pure tone within a few dB.
    assert!(
        (-30.0..=-12.0).contains(&dbfs),
        "{who}: level {dbfs:.1} dBFS"
    );
}

/// Connect a phone-offered call; also returns the SSRC the offer announced.
async fn connect_user_initiated(config: PhoneConfig) -> (PhoneCall, Business, u32) {
    let (call, offer) = CustomerPhone::offer(config).await.unwrap();
    let ssrc = offer
        .lines()
        .find_map(|l| l.strip_prefix("a=ssrc:")?.split(' ').next()?.parse().ok())
        .unwrap();
    let mut business = Business::new().await;
    let answer = business.answer(&offer).await;
    assert!(
        answer.contains("a=setup:active"),
        "business must be the DTLS client:\n{answer}"
    );
    call.apply_answer(&answer).await.unwrap();
    timeout(WAIT, call.connected())
        .await
        .expect("phone never connected")
        .unwrap();
    business.wait_connected().await;
    (call, business, ssrc)
}

fn write_tone_wav(path: &std::path::Path, hz: f64, seconds: f64) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut samples = vec![0i16; (48_000.0 * seconds) as usize];
    ToneSource::new(hz, -20.0).unwrap().fill(&mut samples);
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for s in samples {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
}

fn lines(sdp: &str) -> Vec<&str> {
    sdp.split("\r\n").filter(|l| !l.is_empty()).collect()
}

// ---------- tests ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_and_business_hear_each_others_tones() {
    let (call, mut business, offered_ssrc) = connect_user_initiated(tone_config(PHONE_HZ)).await;
    call.start_media();
    business.start_tone(BUSINESS_HZ);

    // 75 packets = 1.5 s: the 1 s analysis windows hold steady-state audio on both sides.
    timeout(WAIT, call.heard_packets(75))
        .await
        .unwrap()
        .unwrap();
    business.heard_packets(75).await;

    let phone_heard = call.stats();
    eprintln!(
        "phone heard {phone_heard:?}; business heard {:?}",
        business.heard()
    );
    assert_near(phone_heard.dominant_hz, BUSINESS_HZ, "phone");
    assert_sensible_level(phone_heard.rms_dbfs, "phone");
    assert!(phone_heard.packets >= 75 && phone_heard.seconds >= 1.5);
    assert_eq!(call.bad_packets(), 0);

    let business_heard = business.heard();
    assert_near(business_heard.dominant_hz, PHONE_HZ, "business");
    assert_sensible_level(business_heard.rms_dbfs, "business");
    assert!(call.sent_packets() >= 75);

    // One SSRC, the one the offer announced; 20 ms frames: timestamp +960 per sequence step.
    let headers = business.headers.lock().unwrap().clone();
    assert!(headers.iter().all(|(_, _, ssrc)| *ssrc == offered_ssrc));
    for pair in headers.windows(2) {
        let ((s0, t0, _), (s1, t1, _)) = (pair[0], pair[1]);
        let steps = u32::from(s1.wrapping_sub(s0));
        assert_eq!(t1.wrapping_sub(t0), steps * 960, "seq {s0}→{s1}");
    }

    let mut events = call.events();
    call.hang_up();
    assert_eq!(
        timeout(WAIT, call.ended()).await.unwrap(),
        EndReason::HungUp
    );
    assert_eq!(
        timeout(WAIT, events.recv()).await.unwrap().unwrap(),
        PhoneEvent::Ended(EndReason::HungUp)
    );
    timeout(WAIT, call.closed()).await.unwrap();
    business.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offer_is_shaped_like_metas_relay() {
    let (call, offer) = CustomerPhone::offer(PhoneConfig::default()).await.unwrap();
    assert!(offer.ends_with("\r\n"), "CRLF line ends");
    assert!(
        !offer.replace("\r\n", "").contains('\n'),
        "no bare LF in the offer"
    );
    let l = lines(&offer);
    for required in [
        "v=0",
        "a=ice-lite",
        "a=group:BUNDLE audio",
        "a=setup:actpass",
        "a=mid:audio",
        "a=rtcp-mux",
        "a=sendrecv",
        "a=rtpmap:111 opus/48000/2",
        "a=rtpmap:126 telephone-event/8000",
        "a=ptime:20",
        "a=maxptime:20",
    ] {
        assert!(l.contains(&required), "missing {required:?} in\n{offer}");
    }
    for forbidden in ["trickle", "end-of-candidates", "m=video", "m=application"] {
        assert!(!offer.contains(forbidden), "{forbidden:?} in\n{offer}");
    }
    let m_lines: Vec<&&str> = l.iter().filter(|x| x.starts_with("m=")).collect();
    assert_eq!(m_lines.len(), 1, "one media section");
    let m: Vec<&str> = m_lines[0].split(' ').collect();
    assert_eq!(m[0], "m=audio");
    assert_eq!(&m[2..], &["UDP/TLS/RTP/SAVPF", "111", "126"]);

    let fingerprints: Vec<&&str> = l
        .iter()
        .filter(|x| x.starts_with("a=fingerprint:"))
        .collect();
    assert_eq!(fingerprints.len(), 1);
    assert!(fingerprints[0].starts_with("a=fingerprint:sha-256 "));

    let ssrcs: std::collections::BTreeSet<&str> = l
        .iter()
        .filter_map(|x| x.strip_prefix("a=ssrc:")?.split(' ').next())
        .collect();
    assert_eq!(ssrcs.len(), 1, "exactly one SSRC");

    let candidates: Vec<Vec<&str>> = l
        .iter()
        .filter_map(|x| x.strip_prefix("a=candidate:"))
        .map(|c| c.split(' ').collect())
        .collect();
    assert!(!candidates.is_empty(), "host candidates inline");
    for c in &candidates {
        assert_eq!(c[2], "udp");
        assert_eq!((c[4], c[6], c[7]), ("127.0.0.1", "typ", "host"));
        assert_eq!(c[5], m[1], "candidate port is the m= port");
    }
    assert!(l.contains(&"c=IN IP4 127.0.0.1"));
    // ICE credentials present and usable.
    assert!(l
        .iter()
        .any(|x| x.starts_with("a=ice-ufrag:") && x.len() > 16));
    assert!(l
        .iter()
        .any(|x| x.starts_with("a=ice-pwd:") && x.len() > 30));
    drop(call);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_hangs_up_when_no_media_arrives_at_start() {
    let config = PhoneConfig {
        // Long enough for the phone to get packets out first (it must not wait for the business).
        no_media_at_start: Duration::from_secs(1),
        ..tone_config(PHONE_HZ)
    };
    let (call, mut business, _) = connect_user_initiated(config).await;
    let mut events = call.events();
    call.start_media(); // the business never sends

    assert_eq!(
        timeout(WAIT, call.ended()).await.unwrap(),
        EndReason::MediaTimeout(MediaTimeoutPhase::AtStart)
    );
    assert_eq!(
        timeout(WAIT, events.recv()).await.unwrap().unwrap(),
        PhoneEvent::MediaTimeout(MediaTimeoutPhase::AtStart)
    );
    assert_eq!(
        timeout(WAIT, events.recv()).await.unwrap().unwrap(),
        PhoneEvent::Ended(EndReason::MediaTimeout(MediaTimeoutPhase::AtStart))
    );
    // The phone did not wait for the business's first packet: it was sending all along.
    business.heard_packets(1).await;
    assert_eq!(call.stats().packets, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_hangs_up_when_media_stops_mid_call() {
    let config = PhoneConfig {
        no_media_at_start: Duration::from_secs(20),
        // Long enough that a scheduling hiccup on a loaded CI machine is not a gap.
        no_media_mid_call: Duration::from_secs(1),
        ..tone_config(PHONE_HZ)
    };
    let (call, business, _) = connect_user_initiated(config).await;
    call.start_media();
    business.start_tone(BUSINESS_HZ);
    timeout(WAIT, call.heard_packets(10))
        .await
        .unwrap()
        .unwrap();
    business.stop();
    assert_eq!(
        timeout(WAIT, call.ended()).await.unwrap(),
        EndReason::MediaTimeout(MediaTimeoutPhase::MidCall)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_answers_a_business_initiated_call_and_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("customer-heard.wav");
    let mut business = Business::new().await;
    let offer = business.offer().await;

    // The customer's voice comes from a 48 kHz WAV file this time (looped 0.5 s of 440 Hz).
    let voice = dir.path().join("customer-voice.wav");
    write_tone_wav(&voice, PHONE_HZ, 0.5);
    let config = PhoneConfig {
        voice: Voice::Wav {
            path: voice,
            looping: true,
        },
        record_to: Some(wav.clone()),
        ..PhoneConfig::default()
    };
    let (call, answer) = CustomerPhone::answer(&offer, config).await.unwrap();
    let l = lines(&answer);
    for required in ["a=ice-lite", "a=setup:active", "a=mid:0", "a=ptime:20"] {
        // The mid must echo the business's own (webrtc-rs numbers its sections).
        let required = if required == "a=mid:0" {
            offer
                .lines()
                .find(|x| x.starts_with("a=mid:"))
                .unwrap()
                .trim_end()
        } else {
            required
        };
        assert!(l.contains(&required), "missing {required:?} in\n{answer}");
    }
    assert!(l.iter().any(|x| x.starts_with("a=candidate:")));

    business
        .pc
        .set_remote_description(RTCSessionDescription::answer(answer).unwrap())
        .await
        .unwrap();
    timeout(WAIT, call.connected()).await.unwrap().unwrap();
    business.wait_connected().await;
    call.start_media();
    business.start_tone(BUSINESS_HZ);

    timeout(WAIT, call.heard_packets(75))
        .await
        .unwrap()
        .unwrap();
    business.heard_packets(75).await;
    assert_near(call.stats().dominant_hz, BUSINESS_HZ, "phone");
    assert_near(business.heard().dominant_hz, PHONE_HZ, "business");

    call.hang_up();
    timeout(WAIT, call.closed()).await.unwrap();
    business.stop();

    let mut reader = hound::WavReader::open(&wav).unwrap();
    assert_eq!(reader.spec().sample_rate, 48_000);
    let samples: Vec<i16> = reader.samples::<i16>().map(|s| s.unwrap()).collect();
    assert!(
        samples.len() >= 75 * 960,
        "recording too short: {}",
        samples.len()
    );
    let tail = &samples[samples.len() - 24_000..];
    assert_near(
        wa_sim::audio::analysis::dominant_frequency_hz(tail, 48_000),
        BUSINESS_HZ,
        "recording",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_answers_and_offers_are_refused_with_a_reason() {
    let (call, _offer) = CustomerPhone::offer(PhoneConfig::default()).await.unwrap();
    let err = call.apply_answer("not an sdp").await.unwrap_err();
    assert!(err.to_string().contains("m=audio"), "{err}");

    let err = CustomerPhone::answer("v=0\r\n", PhoneConfig::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("remote SDP refused"), "{err}");

    let missing = PhoneConfig {
        voice: Voice::Wav {
            path: "/nonexistent/voice.wav".into(),
            looping: true,
        },
        ..PhoneConfig::default()
    };
    let err = CustomerPhone::offer(missing).await.unwrap_err();
    assert!(err.to_string().contains("/nonexistent/voice.wav"), "{err}");

    call.hang_up();
    let err = call
        .apply_answer("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n")
        .await;
    assert!(err.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_takes_the_dtls_role_the_offer_leaves_it() {
    let mut business = Business::new().await;
    let offer = business.offer().await;
    assert!(offer.contains("a=setup:actpass"));

    // actpass → the configured role (default active, as in Meta's doc sample).
    let (_c1, answer) = CustomerPhone::answer(&offer, PhoneConfig::default())
        .await
        .unwrap();
    assert!(lines(&answer).contains(&"a=setup:active"), "{answer}");
    let passive = PhoneConfig {
        answer_setup: wa_sim::phone::AnswerSetup::Passive,
        ..PhoneConfig::default()
    };
    let (_c2, answer) = CustomerPhone::answer(&offer, passive).await.unwrap();
    assert!(lines(&answer).contains(&"a=setup:passive"), "{answer}");

    // An offer that insists on being the DTLS client (community variant) gets passive.
    let active_offer = offer.replace("a=setup:actpass", "a=setup:active");
    let (_c3, answer) = CustomerPhone::answer(&active_offer, PhoneConfig::default())
        .await
        .unwrap();
    assert!(lines(&answer).contains(&"a=setup:passive"), "{answer}");
}
