//! Builds the webrtc-rs peer connection the way Meta's relay behaves: ICE-lite (hence ICE
//! controlled), only Opus 111 and telephone-event/8000 126, mid `audio`, host candidates on
//! the configured loopback/interface addresses, one audio track with one SSRC.

use std::net::SocketAddr;
use std::sync::Arc;

use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_OPUS, MIME_TYPE_TELEPHONE_EVENT,
};
use rtc::peer_connection::transport::RTCDtlsRole;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters,
    RTCRtpEncodingParameters, RtpCodecKind,
};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    SettingEngineBuilder,
};
use webrtc::runtime::TokioRuntime;

use super::sdp_shape::META_OPUS_FMTP;
use super::{AnswerSetup, PhoneConfig, PhoneError};

/// Meta's payload types (reference §6.1).
pub(crate) const OPUS_PT: u8 = 111;
pub(crate) const TELEPHONE_EVENT_PT: u8 = 126;

fn media_engine() -> Result<MediaEngine, PhoneError> {
    let mut engine = MediaEngine::default();
    let codecs = [
        RTCRtpCodecParameters {
            rtp_codec: RTCRtpCodec {
                mime_type: MIME_TYPE_OPUS.to_owned(),
                clock_rate: 48_000,
                channels: 2,
                sdp_fmtp_line: META_OPUS_FMTP.to_owned(),
                rtcp_feedback: vec![RTCPFeedback {
                    typ: "transport-cc".to_owned(),
                    parameter: String::new(),
                }],
            },
            payload_type: OPUS_PT,
        },
        RTCRtpCodecParameters {
            rtp_codec: RTCRtpCodec {
                mime_type: MIME_TYPE_TELEPHONE_EVENT.to_owned(),
                clock_rate: 8_000,
                channels: 0,
                sdp_fmtp_line: String::new(),
                rtcp_feedback: vec![],
            },
            payload_type: TELEPHONE_EVENT_PT,
        },
    ];
    for codec in codecs {
        engine
            .register_codec(codec, RtpCodecKind::Audio)
            .map_err(PhoneError::webrtc("register codec"))?;
    }
    Ok(engine)
}

/// Which side of the offer/answer the phone is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Offerer,
    Answerer(AnswerSetup),
}

/// Build the peer connection. Its events go to `handler`.
pub(crate) async fn build_peer(
    config: &PhoneConfig,
    side: Side,
    handler: Arc<dyn PeerConnectionEventHandler>,
) -> Result<Arc<dyn PeerConnection>, PhoneError> {
    // Meta's relay is ICE-lite: it only answers connectivity checks, so it is CONTROLLED.
    // Meta names its one section "audio"; webrtc-rs 0.21 accepts a mid generator but never
    // calls it (its mids are "0", "1", …), so the mid is translated in the SDP text instead:
    // see `sdp_shape::rename_mid`.
    let mut settings = SettingEngineBuilder::new().with_lite(true);
    if let Side::Answerer(setup) = side {
        settings = settings.with_answering_dtls_role(match setup {
            AnswerSetup::Active => RTCDtlsRole::Client,
            AnswerSetup::Passive => RTCDtlsRole::Server,
        });
    }
    let addrs: Vec<SocketAddr> = config
        .bind_ips
        .iter()
        .map(|ip| SocketAddr::new(*ip, 0))
        .collect();
    let pc = PeerConnectionBuilder::new()
        .with_media_engine(media_engine()?)
        .with_setting_engine(settings.build())
        // Meta's relay sends and reads RTCP sender/receiver reports like any WebRTC peer.
        .with_interceptor_registry(
            rtc::peer_connection::configuration::interceptor_registry::configure_rtcp_reports(
                webrtc::peer_connection::Registry::new(),
            ),
        )
        .with_handler(handler)
        .with_runtime(Arc::new(TokioRuntime))
        .with_udp_addrs(addrs)
        .build()
        .await
        .map_err(PhoneError::webrtc("build peer connection"))?;
    Ok(Arc::new(pc))
}

/// The phone's one outgoing audio track, with a fixed SSRC (Meta: exactly one SSRC).
pub(crate) fn audio_track(stream_id: &str, ssrc: u32) -> Arc<TrackLocalStaticRTP> {
    Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        stream_id.to_owned(),
        "WhatsAppTrack1".to_owned(),
        "WhatsAppTrack1".to_owned(),
        RtpCodecKind::Audio,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            // No codec on the encoding on purpose: webrtc-rs would turn it into the
            // transceiver's codec preferences and offer Opus alone, dropping telephone-event.
            // The sender writes RTP with the negotiated Opus payload type itself.
            active: true,
            ..Default::default()
        }],
    )))
}
