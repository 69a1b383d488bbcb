//! The customer's phone: places a call (offers) or takes one (answers), then is driven through
//! a [`PhoneCall`] handle.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, watch};
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionEventHandler, RTCIceGatheringState, RTCPeerConnectionState,
    RTCSessionDescription,
};

use crate::audio::{AudioMeter, WavRecorder, SAMPLE_RATE};

use super::peer::{audio_track, build_peer, Side, TELEPHONE_EVENT_PT};
use super::sdp_shape::{check_remote, payload_type_for, rename_mid, SdpFacts, AUDIO_MID};
use super::sender::{self, RtpParams};
use super::state::{CallShared, CallState, EndReason, PhoneEvent, ReceivedAudio};
use super::{receiver, supervise, AnswerSetup, PhoneConfig, PhoneError};

/// Entry point: the customer's WhatsApp phone.
#[derive(Debug, Clone, Copy, Default)]
pub struct CustomerPhone;

/// One call on the phone. Dropping it hangs up.
pub struct PhoneCall {
    shared: Arc<CallShared>,
    pc: Arc<dyn PeerConnection>,
    side: Side,
    /// The mid webrtc-rs gave our audio section (it ignores mid generators).
    local_mid: String,
}

impl std::fmt::Debug for PhoneCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneCall")
            .field("state", &self.shared.current())
            .field("side", &self.side)
            .finish_non_exhaustive()
    }
}

/// Forwards webrtc-rs events into the call's shared state.
struct PhoneHandler {
    shared: Arc<CallShared>,
    gathered: watch::Sender<bool>,
    telephone_event_pt: Option<u8>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for PhoneHandler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.gathered.send_replace(true);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        tracing::debug!(?state, "customer phone connection state");
        match state {
            RTCPeerConnectionState::Connected => self.shared.mark_connected(),
            RTCPeerConnectionState::Failed => {
                self.shared.end(EndReason::ConnectionFailed);
            }
            RTCPeerConnectionState::Closed => {
                self.shared.end(EndReason::ConnectionClosed);
            }
            _ => {}
        }
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        tokio::spawn(receiver::run(
            self.shared.clone(),
            track,
            self.telephone_event_pt,
        ));
    }
}

fn random_u64() -> u64 {
    RandomState::new().build_hasher().finish()
}

/// A UUID-shaped stream id, like the `msid` Meta sends.
fn stream_id() -> String {
    let (a, b) = (random_u64(), random_u64());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// Everything a new call needs before its peer connection exists.
struct Prepared {
    shared: Arc<CallShared>,
    voice: Box<dyn crate::audio::AudioSource>,
    gathered: watch::Receiver<bool>,
    handler: Arc<PhoneHandler>,
}

fn prepare(config: &PhoneConfig, telephone_event_pt: Option<u8>) -> Result<Prepared, PhoneError> {
    let voice = config.voice.open()?;
    let recorder = config
        .record_to
        .as_ref()
        .map(WavRecorder::create)
        .transpose()?;
    let window = (config.analysis_window.as_secs_f64() * f64::from(SAMPLE_RATE)) as usize;
    let shared = Arc::new(CallShared::new(AudioMeter::new(window), recorder));
    let (gathered_tx, gathered) = watch::channel(false);
    let handler = Arc::new(PhoneHandler {
        shared: shared.clone(),
        gathered: gathered_tx,
        telephone_event_pt,
    });
    Ok(Prepared {
        shared,
        voice,
        gathered,
        handler,
    })
}

async fn wait_gathered(
    gathered: &mut watch::Receiver<bool>,
    limit: Duration,
) -> Result<(), PhoneError> {
    match tokio::time::timeout(limit, gathered.wait_for(|done| *done)).await {
        Ok(Ok(_)) => Ok(()),
        _ => Err(PhoneError::GatheringTimeout(limit)),
    }
}

/// The DTLS role to answer `offer` with. webrtc-rs applies a configured answering role even
/// when the offer already fixed its own (`active` answered `active`), so the phone only uses
/// `configured` for `actpass` and otherwise takes the complement.
fn answer_setup_for(offer: &str, configured: AnswerSetup) -> Result<AnswerSetup, PhoneError> {
    let setup = offer
        .lines()
        .find_map(|l| l.trim_end().strip_prefix("a=setup:"))
        .unwrap_or("actpass");
    match setup {
        "actpass" => Ok(configured),
        "active" => Ok(AnswerSetup::Passive),
        "passive" => Ok(AnswerSetup::Active),
        other => Err(PhoneError::RemoteSdp(format!(
            "a=setup:{other} is not actpass, active or passive"
        ))),
    }
}

impl CustomerPhone {
    /// The customer calls the business: returns the call and Meta's-relay-shaped SDP offer
    /// (ICE-lite, `actpass`, inline host candidates gathered before returning).
    pub async fn offer(config: PhoneConfig) -> Result<(PhoneCall, String), PhoneError> {
        let mut prepared = prepare(&config, Some(TELEPHONE_EVENT_PT))?;
        let pc = build_peer(&config, Side::Offerer, prepared.handler.clone()).await?;
        let stream = stream_id();
        let ssrc = (random_u64() >> 32) as u32;
        let result = async {
            let track = audio_track(&stream, ssrc);
            pc.add_track(track.clone() as Arc<dyn TrackLocal>)
                .await
                .map_err(PhoneError::webrtc("add audio track"))?;
            let offer = pc
                .create_offer(None)
                .await
                .map_err(PhoneError::webrtc("create offer"))?;
            pc.set_local_description(offer)
                .await
                .map_err(PhoneError::webrtc("set local offer"))?;
            wait_gathered(&mut prepared.gathered, config.gathering_timeout).await?;
            let local = pc.local_description().await.ok_or_else(|| {
                PhoneError::LocalSdp("no local description after gathering".into())
            })?;
            let facts = SdpFacts::parse(&local.sdp)?;
            Ok::<_, PhoneError>((track, facts))
        }
        .await;
        let (track, facts) = match result {
            Ok(ok) => ok,
            Err(e) => {
                let _ = pc.close().await;
                return Err(e);
            }
        };
        // Meta's mid is "audio"; webrtc-rs's is facts.mid (see sdp_shape::rename_mid).
        let sdp = facts.render_meta_style(AUDIO_MID, &stream);
        let call = PhoneCall::start(prepared, pc, Side::Offerer, track, &facts, &config);
        Ok((call, sdp))
    }

    /// The business calls the customer: takes the business's SDP offer and returns the call and
    /// an answer shaped like Meta's (ICE-lite, inline host candidates, `setup:active` to an
    /// `actpass` offer unless [`PhoneConfig::answer_setup`] says otherwise).
    pub async fn answer(
        offer_sdp: &str,
        config: PhoneConfig,
    ) -> Result<(PhoneCall, String), PhoneError> {
        check_remote(offer_sdp)?;
        let telephone_event_pt = payload_type_for(offer_sdp, "telephone-event/8000");
        let side = Side::Answerer(answer_setup_for(offer_sdp, config.answer_setup)?);
        let mut prepared = prepare(&config, telephone_event_pt)?;
        let pc = build_peer(&config, side, prepared.handler.clone()).await?;
        let stream = stream_id();
        let ssrc = (random_u64() >> 32) as u32;
        let result = async {
            let offer = RTCSessionDescription::offer(offer_sdp.to_owned())
                .map_err(|e| PhoneError::RemoteSdp(e.to_string()))?;
            pc.set_remote_description(offer)
                .await
                .map_err(|e| PhoneError::RemoteSdp(e.to_string()))?;
            let track = audio_track(&stream, ssrc);
            pc.add_track(track.clone() as Arc<dyn TrackLocal>)
                .await
                .map_err(PhoneError::webrtc("add audio track"))?;
            let answer = pc
                .create_answer(None)
                .await
                .map_err(PhoneError::webrtc("create answer"))?;
            pc.set_local_description(answer)
                .await
                .map_err(PhoneError::webrtc("set local answer"))?;
            wait_gathered(&mut prepared.gathered, config.gathering_timeout).await?;
            let local = pc.local_description().await.ok_or_else(|| {
                PhoneError::LocalSdp("no local description after gathering".into())
            })?;
            let facts = SdpFacts::parse(&local.sdp)?;
            Ok::<_, PhoneError>((track, facts))
        }
        .await;
        let (track, facts) = match result {
            Ok(ok) => ok,
            Err(e) => {
                let _ = pc.close().await;
                return Err(e);
            }
        };
        // An answer must echo the offer's mid, which webrtc-rs did.
        let sdp = facts.render_meta_style(&facts.mid, &stream);
        let call = PhoneCall::start(prepared, pc, side, track, &facts, &config);
        Ok((call, sdp))
    }
}

impl PhoneCall {
    fn start(
        prepared: Prepared,
        pc: Arc<dyn PeerConnection>,
        side: Side,
        track: Arc<webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP>,
        facts: &SdpFacts,
        config: &PhoneConfig,
    ) -> Self {
        let shared = prepared.shared;
        let rtp = RtpParams {
            ssrc: facts.ssrc,
            payload_type: facts.opus_pt,
            first_sequence: random_u64() as u16,
            first_timestamp: random_u64() as u32,
        };
        tokio::spawn(sender::run(shared.clone(), track, prepared.voice, rtp));
        tokio::spawn(supervise::watch_inbound_media(
            shared.clone(),
            config.no_media_at_start,
            config.no_media_mid_call,
        ));
        tokio::spawn(supervise::release_on_end(shared.clone(), pc.clone()));
        Self {
            shared,
            pc,
            side,
            local_mid: facts.mid.clone(),
        }
    }

    /// Apply the business's SDP answer (only for a call this phone offered).
    pub async fn apply_answer(&self, answer_sdp: &str) -> Result<(), PhoneError> {
        if let Side::Answerer(_) = self.side {
            return Err(PhoneError::RemoteSdp(
                "this phone answered the call; it does not take an answer".into(),
            ));
        }
        if let CallState::Ended(reason) = self.shared.current() {
            return Err(PhoneError::Ended(reason.to_string()));
        }
        check_remote(answer_sdp)?;
        let answer_sdp = rename_mid(answer_sdp, AUDIO_MID, &self.local_mid);
        let answer = RTCSessionDescription::answer(answer_sdp)
            .map_err(|e| PhoneError::RemoteSdp(e.to_string()))?;
        self.pc
            .set_remote_description(answer)
            .await
            .map_err(|e| PhoneError::RemoteSdp(e.to_string()))
    }

    /// The Meta side says the call is accepted: send media as soon as DTLS is connected (now,
    /// if it already is) and start the no-media watchdog. Idempotent.
    pub fn start_media(&self) {
        self.shared.media_started.send_replace(true);
    }

    /// Hang up (idempotent). The peer connection is closed in the background; await
    /// [`PhoneCall::closed`] to know it is done and the recording is complete.
    pub fn hang_up(&self) {
        self.shared.end(EndReason::HungUp);
    }

    /// What the phone has heard so far (analysis of the last window; cost O(window)).
    pub fn stats(&self) -> ReceivedAudio {
        self.shared.received()
    }

    /// Opus packets sent so far.
    pub fn sent_packets(&self) -> u64 {
        self.shared.sent()
    }

    /// Inbound packets that could not be decoded.
    pub fn bad_packets(&self) -> u64 {
        self.shared
            .bad_packets
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The current state.
    pub fn state(&self) -> CallState {
        self.shared.current()
    }

    /// Events after the current [`PhoneCall::state`] (never a stale one for a transition that
    /// already happened). Earlier events are not replayed: use [`PhoneCall::connected`] or
    /// [`PhoneCall::ended`] to wait for a state that may already have been reached.
    pub fn events(&self) -> broadcast::Receiver<PhoneEvent> {
        self.shared.subscribe()
    }

    /// Wait until ICE + DTLS are connected; `Err` with the reason if the call ended first.
    pub async fn connected(&self) -> Result<(), EndReason> {
        let mut state = self.shared.state.subscribe();
        let reached = state
            .wait_for(|s| !matches!(s, CallState::Negotiating))
            .await
            .map(|s| *s);
        match reached {
            Ok(CallState::Ended(reason)) => Err(reason),
            Ok(_) => Ok(()),
            Err(_) => Err(EndReason::ConnectionClosed),
        }
    }

    /// Wait until at least `packets` inbound packets have been decoded; `Err` with the reason
    /// if the call ends first.
    pub async fn heard_packets(&self, packets: u64) -> Result<(), EndReason> {
        let mut heard = self.shared.inbound_packets.subscribe();
        let mut state = self.shared.state.subscribe();
        loop {
            if *heard.borrow_and_update() >= packets {
                return Ok(());
            }
            if let CallState::Ended(reason) = *state.borrow_and_update() {
                return Err(reason);
            }
            tokio::select! {
                r = heard.changed() => if r.is_err() { return Err(EndReason::ConnectionClosed) },
                r = state.changed() => if r.is_err() { return Err(EndReason::ConnectionClosed) },
            }
        }
    }

    /// Wait until the call ends; returns why.
    pub async fn ended(&self) -> EndReason {
        let mut state = self.shared.state.subscribe();
        let reached = state
            .wait_for(|s| matches!(s, CallState::Ended(_)))
            .await
            .map(|s| *s);
        match reached {
            Ok(CallState::Ended(reason)) => reason,
            _ => EndReason::ConnectionClosed,
        }
    }

    /// Wait until, after the end, the peer connection is closed and the recording finalized.
    pub async fn closed(&self) {
        let mut released = self.shared.released.subscribe();
        let _ = released.wait_for(|done| *done).await;
    }
}

impl Drop for PhoneCall {
    fn drop(&mut self) {
        self.shared.end(EndReason::HungUp);
    }
}
