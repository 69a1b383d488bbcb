//! [`WebRtcStack`] / [`WebRtcSession`]: the media traits over webrtc-rs 0.21.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{watch, Mutex};
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionEventHandler, RTCIceGatheringState, RTCPeerConnectionState,
    RTCSessionDescription,
};

use super::answer_sdp::{self, LocalFacts};
use super::levels::AudioLevels;
use super::offer::OfferFacts;
use super::state::{MediaEnd, MediaState, MediaStats, Shared};
use super::{ice, peer, receiver, sender, CallAudio, MediaError, MediaSession, MediaStack};

/// Settings of the WebRTC stack.
#[derive(Clone)]
pub struct WebRtcConfig {
    /// Local addresses for host candidates (port 0 = ephemeral). Meta's format: at most one
    /// IPv4 and one IPv6.
    pub bind_ips: Vec<IpAddr>,
    /// Bound on ICE gathering before the answer is returned. With ICE servers configured, a
    /// server that has not answered by then is left out (host candidates are used); without,
    /// running out of time fails the call.
    pub gathering_timeout: Duration,
    /// STUN/TURN servers (the platform's, from `hello`); empty = host candidates only.
    pub ice_servers: Vec<ice::IceServer>,
    /// How `turns:` servers are verified (the app's trust: system store + extra CA); `None`
    /// skips `turns:` URLs.
    pub turn_tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for WebRtcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebRtcConfig")
            .field("bind_ips", &self.bind_ips)
            .field("gathering_timeout", &self.gathering_timeout)
            .field("ice_servers", &self.ice_servers)
            .field("turn_tls", &self.turn_tls.is_some())
            .finish()
    }
}

impl WebRtcConfig {
    /// The addresses webrtc-rs binds, port chosen by the system.
    pub(super) fn bind_addrs(&self) -> Vec<SocketAddr> {
        self.bind_ips
            .iter()
            .map(|ip| SocketAddr::new(*ip, 0))
            .collect()
    }

    /// The ICE servers as webrtc-rs takes them, bridges started for TURN over TCP/TLS. The
    /// bridges listen on loopback of the family webrtc-rs binds (it pairs a TURN server only
    /// with local sockets of the same family).
    pub(super) async fn ice_plan(&self) -> ice::IcePlan {
        if self.ice_servers.is_empty() {
            return ice::IcePlan::default();
        }
        let bridge_ip = match self.bind_ips.iter().any(IpAddr::is_ipv4) {
            true => IpAddr::V4(Ipv4Addr::LOCALHOST),
            false => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        };
        ice::plan(&self.ice_servers, bridge_ip, self.turn_tls.clone()).await
    }
}

/// Wait for ICE gathering to complete. With ICE servers, a server still silent at the bound is
/// given up on (its candidate left out) rather than failing the call: where UDP is open the
/// host candidate is enough, and a dead TURN server must not stop every call.
pub(super) async fn await_gathering(
    gathered: &mut watch::Receiver<bool>,
    timeout: Duration,
    with_servers: bool,
) -> Result<(), MediaError> {
    match tokio::time::timeout(timeout, gathered.wait_for(|g| *g)).await {
        Ok(Ok(_)) => Ok(()),
        Err(_) if with_servers => {
            tracing::warn!(
                ?timeout,
                "ICE servers did not answer in time: using the candidates gathered so far"
            );
            Ok(())
        }
        _ => Err(MediaError::GatheringTimeout(timeout)),
    }
}

impl Default for WebRtcConfig {
    fn default() -> Self {
        Self {
            bind_ips: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            gathering_timeout: Duration::from_secs(5),
            ice_servers: Vec::new(),
            turn_tls: None,
        }
    }
}

/// The webrtc-rs implementation of [`MediaStack`].
#[derive(Debug, Clone, Default)]
pub struct WebRtcStack {
    pub config: WebRtcConfig,
}

impl WebRtcStack {
    pub fn new(config: WebRtcConfig) -> Self {
        Self { config }
    }
}

/// Forwards webrtc-rs events into the session's shared state.
pub(super) struct Events {
    pub(super) shared: Arc<Shared>,
    pub(super) gathered: watch::Sender<bool>,
    pub(super) telephone_event_pt: Option<u8>,
}

#[async_trait]
impl PeerConnectionEventHandler for Events {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.gathered.send_replace(true);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        tracing::debug!(?state, "media connection state");
        match state {
            RTCPeerConnectionState::Connected => self.shared.advance(MediaState::Connected),
            RTCPeerConnectionState::Failed => self.shared.end(MediaEnd::ConnectionFailed),
            RTCPeerConnectionState::Closed => self.shared.end(MediaEnd::PeerClosed),
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

pub(super) fn random_u64() -> u64 {
    RandomState::new().build_hasher().finish()
}

/// One call's media over webrtc-rs. Dropping it ends the session.
///
/// Fields are `pub(super)` for [`super::outbound`], which builds the offering kind.
pub struct WebRtcSession {
    pub(super) shared: Arc<Shared>,
    pub(super) pc: Arc<dyn PeerConnection>,
    /// The codecs both sides use: Meta's offer's (answering) or our own offer's (offering).
    pub(super) offer: OfferFacts,
    pub(super) stream_id: String,
    pub(super) gathering_timeout: Duration,
    /// ICE servers were configured (see [`await_gathering`]).
    pub(super) with_servers: bool,
    /// What the RTCP reports said (kept by the tap in the peer connection).
    pub(super) rtcp: super::rtcp::SharedFigures,
    pub(super) gathered: watch::Receiver<bool>,
    pub(super) released: watch::Receiver<bool>,
    /// The answer webrtc-rs created at prepare time; applied locally on `answer()`.
    pub(super) created: Mutex<Option<RTCSessionDescription>>,
    /// The answer as given to Meta (after the first `answer()`).
    pub(super) rendered: Mutex<Option<String>>,
    /// Offering sessions only (`None` when answering Meta's offer): the sender waits here
    /// until Meta's answer is applied, which says how Meta wants our Opus encoded.
    pub(super) awaiting_answer: Option<std::sync::Mutex<Option<super::outbound::AwaitingAnswer>>>,
}

impl std::fmt::Debug for WebRtcSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebRtcSession")
            .field("state", &self.shared.current())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl MediaStack for WebRtcStack {
    async fn prepare(
        &self,
        offer: &str,
        audio: CallAudio,
    ) -> Result<Box<dyn MediaSession>, MediaError> {
        Ok(Box::new(
            WebRtcSession::prepare(&self.config, offer, audio).await?,
        ))
    }

    async fn offer(&self, audio: CallAudio) -> Result<(Box<dyn MediaSession>, String), MediaError> {
        let (session, sdp) = WebRtcSession::offer(&self.config, audio).await?;
        Ok((Box::new(session), sdp))
    }
}

impl WebRtcSession {
    /// Check the offer, build the peer connection (sockets bound) and create the answer.
    pub async fn prepare(
        config: &WebRtcConfig,
        offer_sdp: &str,
        audio: CallAudio,
    ) -> Result<Self, MediaError> {
        let offer = OfferFacts::parse(offer_sdp)?;
        let shared = Arc::new(Shared::new(audio.sink, audio.packets));
        let (gathered_tx, gathered) = watch::channel(false);
        let events = Arc::new(Events {
            shared: shared.clone(),
            gathered: gathered_tx,
            telephone_event_pt: offer.telephone_event_pt,
        });
        let ice = config.ice_plan().await;
        let with_servers = !ice.servers.is_empty();
        let rtcp = super::rtcp::SharedFigures::default();
        let pc = peer::build(
            &offer,
            &config.bind_addrs(),
            ice.servers,
            rtcp.clone(),
            events,
        )
        .await?;
        let stream_id = format!("ringdesk-{:016x}", random_u64());
        let ssrc = (random_u64() >> 32) as u32;
        let track = peer::audio_track(&stream_id, ssrc, &offer.opus_fmtp);
        let created = async {
            let remote = RTCSessionDescription::offer(offer_sdp.to_owned())
                .map_err(|e| MediaError::OfferRefused(e.to_string()))?;
            pc.set_remote_description(remote)
                .await
                .map_err(|e| MediaError::OfferRefused(e.to_string()))?;
            pc.add_track(track.clone() as Arc<dyn TrackLocal>)
                .await
                .map_err(MediaError::webrtc("add audio track"))?;
            pc.create_answer(None)
                .await
                .map_err(MediaError::webrtc("create answer"))
        }
        .await;
        let created = match created {
            Ok(c) => c,
            Err(e) => {
                let _ = pc.close().await;
                return Err(e);
            }
        };
        let rtp = sender::RtpParams {
            ssrc,
            payload_type: offer.opus_pt,
            first_sequence: random_u64() as u16,
            first_timestamp: random_u64() as u32,
            encoder: crate::codec::EncoderSettings::for_fmtp(&offer.opus_fmtp),
        };
        tokio::spawn(sender::run(shared.clone(), track, audio.source, rtp));
        let (released_tx, released) = watch::channel(false);
        tokio::spawn(release_on_end(
            shared.clone(),
            pc.clone(),
            ice.bridges,
            released_tx,
        ));
        Ok(Self {
            shared,
            pc,
            offer,
            stream_id,
            gathering_timeout: config.gathering_timeout,
            with_servers,
            rtcp,
            gathered,
            released,
            created: Mutex::new(Some(created)),
            rendered: Mutex::new(None),
            awaiting_answer: None,
        })
    }

    pub(super) fn ended_error(&self) -> Option<MediaError> {
        match self.shared.current() {
            MediaState::Ended(reason) => Some(MediaError::Ended(reason)),
            _ => None,
        }
    }
}

/// Waits for the end, then closes the peer connection (and after it the TURN bridges it used)
/// and finishes the sink.
pub(super) async fn release_on_end(
    shared: Arc<Shared>,
    pc: Arc<dyn PeerConnection>,
    bridges: Vec<ice::StreamBridge>,
    released: watch::Sender<bool>,
) {
    let mut state = shared.state.subscribe();
    let _ = state.wait_for(|s| matches!(s, MediaState::Ended(_))).await;
    if let Err(e) = pc.close().await {
        tracing::debug!(error = %e, "closing the media peer connection");
    }
    drop(bridges);
    shared.finish_sink();
    released.send_replace(true);
}

#[async_trait]
impl MediaSession for WebRtcSession {
    async fn answer(&self) -> Result<String, MediaError> {
        if self.awaiting_answer.is_some() {
            return Err(MediaError::LocalSdp(
                "this session made the offer (a call we placed): it takes Meta's answer, it makes none".into(),
            ));
        }
        let mut rendered = self.rendered.lock().await;
        if let Some(sdp) = rendered.as_ref() {
            return Ok(sdp.clone());
        }
        if let Some(e) = self.ended_error() {
            return Err(e);
        }
        let created = self.created.lock().await.take();
        let Some(created) = created else {
            return Err(MediaError::LocalSdp(
                "the answer was already applied and failed".into(),
            ));
        };
        self.pc
            .set_local_description(created)
            .await
            .map_err(MediaError::webrtc("set local answer"))?;
        self.shared.advance(MediaState::Connecting);
        let mut gathered = self.gathered.clone();
        await_gathering(&mut gathered, self.gathering_timeout, self.with_servers).await?;
        let local =
            self.pc.local_description().await.ok_or_else(|| {
                MediaError::LocalSdp("no local description after gathering".into())
            })?;
        let facts = LocalFacts::parse(&local.sdp)?;
        let sdp = answer_sdp::render(&self.offer, &facts, &self.stream_id)?;
        *rendered = Some(sdp.clone());
        Ok(sdp)
    }

    async fn apply_answer(&self, sdp: &str) -> Result<(), MediaError> {
        self.apply_remote_answer(sdp).await
    }

    async fn connected(&self) -> Result<(), MediaError> {
        let mut state = self.shared.state.subscribe();
        let reached = state
            .wait_for(|s| matches!(s, MediaState::Connected | MediaState::Ended(_)))
            .await
            .map(|s| *s);
        match reached {
            Ok(MediaState::Ended(reason)) => Err(MediaError::Ended(reason)),
            Ok(_) => Ok(()),
            Err(_) => Err(MediaError::Ended(MediaEnd::Closed)),
        }
    }

    fn quality(&self) -> Option<crate::quality::QualityCounters> {
        let figures = self.rtcp.lock().ok()?.clone();
        let ours = figures.ours;
        Some(crate::quality::QualityCounters {
            received: *self.shared.received.borrow(),
            lost: ours.map_or(0, |r| r.total_lost),
            jitter: ours.map_or(Duration::ZERO, |r| r.jitter),
            remote_loss: figures.theirs.map(|r| r.fraction_lost),
            rtt: figures.rtt,
        })
    }

    async fn path(&self) -> Option<super::MediaPath> {
        let report = self
            .pc
            .get_stats(
                std::time::Instant::now(),
                webrtc::peer_connection::StatsSelector::None,
            )
            .await;
        super::path::selected(&report)
    }

    fn start_media(&self) {
        self.shared.media_started.send_replace(true);
    }

    fn record(&self, recorder: Arc<crate::recording::CallRecorder>) {
        let _ = self.shared.recorder.set(recorder);
    }

    fn set_muted(&self, muted: bool) {
        self.shared.muted.store(muted, Ordering::Relaxed);
    }

    fn is_muted(&self) -> bool {
        self.shared.muted.load(Ordering::Relaxed)
    }

    fn levels(&self) -> AudioLevels {
        AudioLevels {
            input_dbfs: self.shared.input.get(),
            output_dbfs: self.shared.output.get(),
        }
    }

    fn stats(&self) -> MediaStats {
        self.shared.stats()
    }

    fn state(&self) -> MediaState {
        self.shared.current()
    }

    fn watch_state(&self) -> watch::Receiver<MediaState> {
        self.shared.state.subscribe()
    }

    async fn heard_packets(&self, packets: u64) -> Result<(), MediaError> {
        let mut heard = self.shared.received.subscribe();
        let mut state = self.shared.state.subscribe();
        loop {
            if *heard.borrow_and_update() >= packets {
                return Ok(());
            }
            if let MediaState::Ended(reason) = *state.borrow_and_update() {
                return Err(MediaError::Ended(reason));
            }
            tokio::select! {
                r = heard.changed() => if r.is_err() { return Err(MediaError::Ended(MediaEnd::Closed)) },
                r = state.changed() => if r.is_err() { return Err(MediaError::Ended(MediaEnd::Closed)) },
            }
        }
    }

    async fn close(&self) {
        self.shared.end(MediaEnd::Closed);
        let mut released = self.released.clone();
        let _ = released.wait_for(|done| *done).await;
    }
}

impl Drop for WebRtcSession {
    fn drop(&mut self) {
        self.shared.end(MediaEnd::Closed);
    }
}
