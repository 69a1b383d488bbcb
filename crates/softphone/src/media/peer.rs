//! Builds the webrtc-rs peer connection the way Meta wants the business side: full ICE (so
//! controlling against Meta's ice-lite relay — webrtc-rs applies RFC 8445 §6.1.1 when the
//! remote SDP has `a=ice-lite`), DTLS client when answering (`a=setup:active`), only Opus and
//! telephone-event/8000 with the offer's payload types, one audio track with one SSRC.

use std::net::SocketAddr;
use std::sync::Arc;

use rtc::ice::mdns::MulticastDnsMode;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::interceptor_registry::configure_rtcp_reports;
use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_OPUS, MIME_TYPE_TELEPHONE_EVENT,
};
use rtc::peer_connection::configuration::{RTCConfigurationBuilder, RTCIceServer};
use rtc::peer_connection::transport::RTCDtlsRole;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters,
    RtpCodecKind,
};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, Registry,
    SettingEngineBuilder,
};
use webrtc::runtime::TokioRuntime;

use super::offer::OfferFacts;
use super::rtcp::{RtcpTap, SharedFigures, TAP_SLOT};
use super::MediaError;
use rtc::interceptor::Slot;

/// Opus as the offer described it. The fmtp must be the offer's own: webrtc-rs refuses a codec
/// whose fmtp disagrees on a shared key (e.g. `minptime`), and the track would have no codec.
/// What we ask Meta to send us is stated in the rendered answer, not here.
fn opus_codec(fmtp: &str) -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: 48_000,
        channels: 2,
        sdp_fmtp_line: fmtp.to_owned(),
        rtcp_feedback: vec![],
    }
}

fn media_engine(offer: &OfferFacts) -> Result<MediaEngine, MediaError> {
    let mut engine = MediaEngine::default();
    let mut codecs = vec![RTCRtpCodecParameters {
        rtp_codec: opus_codec(&offer.opus_fmtp),
        payload_type: offer.opus_pt,
    }];
    if let Some(pt) = offer.telephone_event_pt {
        codecs.push(RTCRtpCodecParameters {
            rtp_codec: RTCRtpCodec {
                mime_type: MIME_TYPE_TELEPHONE_EVENT.to_owned(),
                clock_rate: 8_000,
                channels: 0,
                sdp_fmtp_line: String::new(),
                rtcp_feedback: vec![],
            },
            payload_type: pt,
        });
    }
    for codec in codecs {
        engine
            .register_codec(codec, RtpCodecKind::Audio)
            .map_err(MediaError::webrtc("register codec"))?;
    }
    Ok(engine)
}

/// Build the peer connection, bound to `bind` (host candidates), with `ice_servers` (STUN/TURN
/// as webrtc-rs can use them, see [`super::ice::plan`]), RTCP reports noted in `figures`,
/// events to `handler`.
pub(crate) async fn build(
    offer: &OfferFacts,
    bind: &[SocketAddr],
    ice_servers: Vec<RTCIceServer>,
    figures: SharedFigures,
    handler: Arc<dyn PeerConnectionEventHandler>,
) -> Result<Arc<dyn PeerConnection>, MediaError> {
    let settings = SettingEngineBuilder::new()
        // Full ICE (not lite): we send the connectivity checks Meta's ice-lite relay answers.
        .with_lite(false)
        // Meta: "the business side should be the DTLS client" → a=setup:active.
        .with_answering_dtls_role(RTCDtlsRole::Client)
        // No mDNS: Meta neither sends nor resolves `.local` candidates, and joining the mDNS
        // multicast group fails outright (ENODEV) on a machine without a multicast or default
        // route — a VPN-only laptop, a locked-down network — which failed every call there.
        .with_multicast_dns_mode(MulticastDnsMode::Disabled)
        .build();
    let pc = PeerConnectionBuilder::new()
        .with_media_engine(media_engine(offer)?)
        .with_setting_engine(settings)
        .with_configuration(
            RTCConfigurationBuilder::new()
                .with_ice_servers(ice_servers)
                .build(),
        )
        // RTCP sender and receiver reports every second (RFC 3550): Meta sees our loss and
        // jitter, and Meta's reports give us the round trip and what it lost of ours.
        .with_interceptor_registry(
            configure_rtcp_reports(Registry::new())
                .with(Slot::from(TAP_SLOT), RtcpTap::new(figures)),
        )
        .with_handler(handler)
        .with_runtime(Arc::new(TokioRuntime))
        .with_udp_addrs(bind.to_vec())
        .build()
        .await
        .map_err(MediaError::webrtc("build peer connection"))?;
    Ok(Arc::new(pc))
}

/// Our one outgoing audio track, with a fixed SSRC (Meta: exactly one SSRC).
pub(crate) fn audio_track(stream_id: &str, ssrc: u32, opus_fmtp: &str) -> Arc<TrackLocalStaticRTP> {
    Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        stream_id.to_owned(),
        format!("{stream_id}-audio"),
        format!("{stream_id}-audio"),
        RtpCodecKind::Audio,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec: opus_codec(opus_fmtp),
            ..Default::default()
        }],
    )))
}
