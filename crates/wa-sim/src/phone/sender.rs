//! Sends the phone's voice: Opus, 20 ms frames, one SSRC, RTP timestamp +960 per frame.
//!
//! Media starts only when both the transport is up (DTLS connected) and the Meta side has
//! said the call is accepted ([`super::PhoneCall::start_media`]); it never waits for the far
//! end's first packet, so neither side can deadlock waiting for the other.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rtc::rtp::header::Header;
use rtc::rtp::packet::Packet;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;

use crate::audio::{AudioSource, FRAME_SAMPLES, SAMPLE_RATE};

use super::state::{CallShared, CallState};

/// RTP parameters of the outgoing stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RtpParams {
    pub ssrc: u32,
    pub payload_type: u8,
    pub first_sequence: u16,
    pub first_timestamp: u32,
}

/// Wait until the call is connected and media was started; false if it ended first.
async fn wait_until_sending(shared: &CallShared) -> bool {
    let mut state = shared.state.subscribe();
    let mut started = shared.media_started.subscribe();
    loop {
        match *state.borrow_and_update() {
            CallState::Ended(_) => return false,
            CallState::Connected if *started.borrow_and_update() => return true,
            _ => {}
        }
        tokio::select! {
            r = state.changed() => if r.is_err() { return false },
            r = started.changed() => if r.is_err() { return false },
        }
    }
}

pub(crate) async fn run(
    shared: Arc<CallShared>,
    track: Arc<TrackLocalStaticRTP>,
    mut voice: Box<dyn AudioSource>,
    rtp: RtpParams,
) {
    if !wait_until_sending(&shared).await {
        return;
    }
    let mut encoder =
        match opus::Encoder::new(SAMPLE_RATE, opus::Channels::Mono, opus::Application::Voip) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "cannot create Opus encoder; phone stays silent");
                return;
            }
        };
    let mut pcm = vec![0i16; FRAME_SAMPLES];
    let mut encoded = vec![0u8; 1500];
    let mut sequence = rtp.first_sequence;
    let mut timestamp = rtp.first_timestamp;
    let mut state = shared.state.subscribe();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut first = true;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            r = state.changed() => {
                if r.is_err() || matches!(*state.borrow(), CallState::Ended(_)) {
                    return;
                }
                continue;
            }
        }
        voice.fill(&mut pcm);
        let len = match encoder.encode(&pcm, &mut encoded) {
            Ok(len) => len,
            Err(e) => {
                tracing::warn!(error = %e, "Opus encode failed; frame skipped");
                continue;
            }
        };
        let packet = Packet {
            header: Header {
                version: 2,
                marker: first,
                payload_type: rtp.payload_type,
                sequence_number: sequence,
                timestamp,
                ssrc: rtp.ssrc,
                ..Default::default()
            },
            payload: Bytes::copy_from_slice(&encoded[..len]),
        };
        if let Err(e) = track.write_rtp(packet).await {
            tracing::debug!(error = %e, "RTP write failed");
        } else {
            shared.sent_packets.fetch_add(1, Ordering::Relaxed);
        }
        first = false;
        sequence = sequence.wrapping_add(1);
        timestamp = timestamp.wrapping_add(FRAME_SAMPLES as u32);
    }
}
