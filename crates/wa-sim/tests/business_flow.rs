//! End to end through the simulator: a customer calls (real WebRTC phone, Opus tone), an in-test
//! business peer (webrtc-rs 0.21, full ICE, `setup:active`) answers via the Graph API's
//! `pre_accept`/`accept`, both sides hear the other's tone, and the terminate webhook carries the
//! call's duration. Waits are on events or bounded polls; the call's length is virtual time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use bytes::Bytes;
use common::*;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::MIME_TYPE_OPUS;
use rtc::peer_connection::transport::RTCDtlsRole;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::time::timeout;
use wa_sim::audio::{AudioMeter, AudioSource, ToneSource};
use wa_sim::clock::ManualClock;
use wa_sim::device::AudioChoice;
use wa_sim::phone::PhoneConfig;
use wa_sim::phone_device::PhoneDevice;
use wa_sim::server::{start, ClockChoice};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCIceGatheringState, RTCPeerConnectionState, RTCSessionDescription, SettingEngineBuilder,
};
use webrtc::runtime::TokioRuntime;

const CUSTOMER_HZ: f64 = 440.0;
const BUSINESS_HZ: f64 = 1000.0;
/// 1.5 s of audio: the 1 s analysis windows hold steady-state tone on both sides.
const PACKETS: u64 = 75;

// ---------- the business (agent app stand-in) ----------

struct Handler {
    gathered: watch::Sender<bool>,
    connected: watch::Sender<bool>,
    heard: Arc<Mutex<AudioMeter>>,
    packets: watch::Sender<u64>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
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
        let packets = self.packets.clone();
        tokio::spawn(async move {
            let mut decoder = opus::Decoder::new(48_000, opus::Channels::Mono).unwrap();
            let mut pcm = vec![0i16; 5760];
            while let Some(event) = track.poll().await {
                match event {
                    TrackRemoteEvent::OnRtpPacket(p) if p.header.payload_type == 111 => {
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
    packets: watch::Receiver<u64>,
    stop: watch::Sender<bool>,
}

impl Business {
    async fn new() -> Self {
        let mut media = MediaEngine::default();
        media.register_default_codecs().unwrap();
        let (gathered_tx, gathered) = watch::channel(false);
        let (connected_tx, connected) = watch::channel(false);
        let (packets_tx, packets) = watch::channel(0);
        let heard = Arc::new(Mutex::new(AudioMeter::new(48_000)));
        let pc = PeerConnectionBuilder::new()
            .with_media_engine(media)
            .with_setting_engine(
                SettingEngineBuilder::new()
                    .with_answering_dtls_role(RTCDtlsRole::Client)
                    .build(),
            )
            .with_handler(Arc::new(Handler {
                gathered: gathered_tx,
                connected: connected_tx,
                heard: heard.clone(),
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
                    ssrc: Some(0x0A0A_0A0A),
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
            packets,
            stop: watch::channel(false).0,
        }
    }

    /// Answers Meta's offer; returns the SDP after gathering (no trickle towards Meta).
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
        timeout(PATIENCE, self.gathered.wait_for(|g| *g))
            .await
            .expect("business gathered its candidates")
            .unwrap();
        self.pc.local_description().await.unwrap().sdp
    }

    /// Offers to the customer (business-initiated call), after gathering.
    async fn offer(&mut self) -> String {
        self.pc
            .add_track(self.track.clone() as Arc<dyn TrackLocal>)
            .await
            .unwrap();
        let offer = self.pc.create_offer(None).await.unwrap();
        self.pc.set_local_description(offer).await.unwrap();
        timeout(PATIENCE, self.gathered.wait_for(|g| *g))
            .await
            .expect("business gathered its candidates")
            .unwrap();
        self.pc.local_description().await.unwrap().sdp
    }

    async fn wait_connected(&mut self) {
        timeout(PATIENCE, self.connected.wait_for(|c| *c))
            .await
            .expect("business's ICE/DTLS with the customer's phone came up")
            .unwrap();
    }

    /// Sends an Opus tone in 20 ms frames until stopped.
    fn send_tone(&self, hz: f64) {
        let track = self.track.clone();
        let mut stop = self.stop.subscribe();
        tokio::spawn(async move {
            let mut tone = ToneSource::new(hz, -20.0).unwrap();
            let mut encoder =
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
                let len = encoder.encode(&pcm, &mut out).unwrap();
                let packet = rtc::rtp::packet::Packet {
                    header: rtc::rtp::header::Header {
                        version: 2,
                        payload_type: 111,
                        sequence_number: seq,
                        timestamp: u32::from(seq) * 960,
                        ssrc: 0x0A0A_0A0A,
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

    async fn heard_packets(&mut self, n: u64) {
        timeout(PATIENCE, self.packets.wait_for(|p| *p >= n))
            .await
            .expect("business heard the customer")
            .unwrap();
    }
}

fn assert_near(measured: Option<f64>, expected: f64, who: &str) {
    let hz = measured.unwrap_or_else(|| panic!("{who}: no dominant frequency"));
    assert!(
        (hz - expected).abs() / expected < 0.02,
        "{who}: heard {hz:.1} Hz, expected {expected} Hz (within 2 %)"
    );
}

/// Polls the control API until the customer's phone has heard `packets` packets. Polling is the
/// only way to observe the phone from outside; the wait is bounded.
async fn customer_heard(sim: &TestSim, call_id: &str, packets: u64) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let state = sim.control_get(&format!("/calls/{call_id}")).await;
        if state["audio"]["packets_received"].as_u64().unwrap_or(0) >= packets {
            return state;
        }
        assert!(
            Instant::now() < deadline,
            "customer never heard the business: {state}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A simulator whose customer has the real WebRTC phone and answers business calls with a tone.
async fn sim_with_phone(webhook_url: &str, phone: PhoneConfig) -> TestSim {
    let mut config = config(webhook_url);
    config.default_answer_audio = AudioChoice::Tone { hz: CUSTOMER_HZ };
    let clock = ManualClock::starting_now();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = start(
        listener,
        config,
        ClockChoice::Manual(clock.clone()),
        Arc::new(PhoneDevice { base: phone }),
    )
    .unwrap();
    TestSim {
        running,
        clock,
        http: reqwest::Client::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_initiated_call_carries_audio_both_ways_and_terminates_with_its_duration() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = sim_with_phone(&hooks.url, PhoneConfig::default()).await;

    let started = sim
        .control(
            "/calls",
            json!({ "from": CUSTOMER, "name": "Ana", "audio": { "kind": "tone", "hz": CUSTOMER_HZ } }),
        )
        .await;
    let call_id = started["call_id"].as_str().unwrap().to_owned();

    let connect = hooks.next_of("connect").await;
    assert_signed(&connect);
    let offer = connect.item()["session"]["sdp"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(offer.contains("a=ice-lite") && offer.contains("a=setup:actpass"));

    let mut business = Business::new().await;
    let answer = business.answer(&offer).await;
    let (status, body) = sim
        .graph_post("calls", call_action(&call_id, "pre_accept", Some(&answer)))
        .await;
    assert_eq!(status, StatusCode::OK, "pre_accept refused: {body}");
    // pre_accept lets ICE/DTLS come up before accept (no clipping); media waits for accept.
    business.wait_connected().await;
    let (status, body) = sim
        .graph_post("calls", call_action(&call_id, "accept", Some(&answer)))
        .await;
    assert_eq!(status, StatusCode::OK, "accept refused: {body}");
    business.send_tone(BUSINESS_HZ);

    business.heard_packets(PACKETS).await;
    let state = customer_heard(&sim, &call_id, PACKETS).await;
    assert_eq!(state["state"], "connected");
    let business_heard = business.heard.lock().unwrap().reading();
    assert_near(business_heard.dominant_hz, CUSTOMER_HZ, "business");
    assert_near(
        state["audio"]["dominant_hz"].as_f64(),
        BUSINESS_HZ,
        "customer",
    );
    let level = state["audio"]["rms_dbfs"].as_f64().unwrap();
    assert!(
        (-30.0..=-12.0).contains(&level),
        "customer heard {level:.1} dBFS"
    );

    // Talk for 42 s of virtual time, then the business hangs up.
    sim.clock.advance(Duration::from_secs(42));
    let (status, _) = sim
        .graph_post("calls", call_action(&call_id, "terminate", None))
        .await;
    assert_eq!(status, StatusCode::OK);
    let terminate = hooks.next_of("terminate").await;
    assert_signed(&terminate);
    assert_eq!(terminate.item()["status"], "COMPLETED");
    assert_eq!(terminate.item()["duration"], 42);
    business.stop.send_replace(true);

    let state = sim.control_get(&format!("/calls/{call_id}")).await;
    assert_eq!(state["state"], "ended");
    assert_eq!(state["duration"], 42);
    assert!(
        state["audio"]["packets_received"].as_u64().unwrap() >= PACKETS,
        "stats survive the hang-up"
    );
    let _ = business.pc.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn business_initiated_call_rings_is_answered_and_carries_audio_both_ways() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = sim_with_phone(&hooks.url, PhoneConfig::default()).await;
    sim.grant_permission(CUSTOMER, "accept_temporary").await;

    let mut business = Business::new().await;
    let offer = business.offer().await;
    let (status, body) = sim
        .graph_post(
            "calls",
            json!({ "messaging_product": "whatsapp", "to": CUSTOMER, "action": "connect",
                    "session": { "sdp_type": "offer", "sdp": offer } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "connect refused: {body}");
    let call_id = body["calls"][0]["id"].as_str().unwrap().to_owned();

    let connect = hooks.next_of("connect").await;
    assert_eq!(connect.item()["id"], call_id.as_str());
    let answer = connect.item()["session"]["sdp"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        answer.contains("a=ice-lite"),
        "Meta's side is ICE-lite:\n{answer}"
    );
    hooks.next_of("status:RINGING").await;
    business
        .pc
        .set_remote_description(RTCSessionDescription::answer(answer).unwrap())
        .await
        .unwrap();
    business.wait_connected().await;

    sim.control(&format!("/calls/{call_id}/answer"), json!({}))
        .await;
    hooks.next_of("status:ACCEPTED").await;
    business.send_tone(BUSINESS_HZ);

    business.heard_packets(PACKETS).await;
    let state = customer_heard(&sim, &call_id, PACKETS).await;
    assert_near(
        business.heard.lock().unwrap().reading().dominant_hz,
        CUSTOMER_HZ,
        "business",
    );
    assert_near(
        state["audio"]["dominant_hz"].as_f64(),
        BUSINESS_HZ,
        "customer",
    );

    sim.clock.advance(Duration::from_secs(15));
    sim.control(&format!("/calls/{call_id}/hangup"), json!({}))
        .await;
    let terminate = hooks.next_of("terminate").await;
    assert_eq!(terminate.item()["duration"], 15);
    assert_eq!(terminate.item()["direction"], "BUSINESS_INITIATED");
    business.stop.send_replace(true);
    let _ = business.pc.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_business_that_sends_no_media_is_hung_up_on_with_138021() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    // WhatsApp waits 20 s; the phone's watchdog is shortened so the test does not wait that long.
    let phone = PhoneConfig {
        no_media_at_start: Duration::from_millis(500),
        ..PhoneConfig::default()
    };
    let sim = sim_with_phone(&hooks.url, phone).await;
    let started = sim
        .control(
            "/calls",
            json!({ "from": CUSTOMER, "audio": { "kind": "tone", "hz": CUSTOMER_HZ } }),
        )
        .await;
    let call_id = started["call_id"].as_str().unwrap().to_owned();
    let offer = hooks.next_of("connect").await.item()["session"]["sdp"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut business = Business::new().await;
    let answer = business.answer(&offer).await;
    let (status, _) = sim
        .graph_post("calls", call_action(&call_id, "accept", Some(&answer)))
        .await;
    assert_eq!(status, StatusCode::OK);
    // The business never sends a packet.
    let terminate = hooks.next_of("terminate").await;
    assert_eq!(terminate.item()["id"], call_id.as_str());
    assert_eq!(terminate.item()["status"], "FAILED");
    assert_eq!(terminate.value()["errors"][0]["code"], 138021);
    assert_eq!(terminate.item()["errors"][0]["code"], 138021);
    assert!(
        terminate.item()["duration"].is_u64(),
        "the call had connected"
    );
    let state = sim.control_get(&format!("/calls/{call_id}")).await;
    assert_eq!(state["end"], "media_timeout");
    let _ = business.pc.close().await;
}
