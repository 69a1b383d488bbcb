//! Sends the agent's voice: Opus, one 20 ms frame per RTP packet, timestamp +960 per packet,
//! one SSRC.
//!
//! Sending starts only when the transport is up *and* the call was accepted
//! ([`super::MediaSession::start_media`]); it never waits for the far end's first packet
//! (Meta may not send first). Muted frames are encoded silence, so packets keep flowing.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rtc::rtp::header::Header;
use rtc::rtp::packet::Packet;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;

use crate::codec::{EncoderSettings, FrameEncoder, Packetizer};
use crate::level::LevelWindow;
use crate::rtp::{OPUS_CLOCK_RATE, SAMPLES_20MS};

use super::state::{MediaState, Shared};
use super::AudioSource;

/// RTP parameters of the outgoing stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RtpParams {
    pub ssrc: u32,
    pub payload_type: u8,
    pub first_sequence: u16,
    pub first_timestamp: u32,
    /// Opus settings, bounded by the far end's fmtp.
    pub encoder: EncoderSettings,
}

/// Wait until connected and started; false if the session ended first.
async fn wait_until_sending(shared: &Shared) -> bool {
    let mut state = shared.state.subscribe();
    let mut started = shared.media_started.subscribe();
    loop {
        match *state.borrow_and_update() {
            MediaState::Ended(_) => return false,
            MediaState::Connected if *started.borrow_and_update() => return true,
            _ => {}
        }
        tokio::select! {
            r = state.changed() => if r.is_err() { return false },
            r = started.changed() => if r.is_err() { return false },
        }
    }
}

pub(crate) async fn run(
    shared: Arc<Shared>,
    track: Arc<TrackLocalStaticRTP>,
    mut source: Box<dyn AudioSource>,
    rtp: RtpParams,
) {
    if !wait_until_sending(&shared).await {
        return;
    }
    let mut encoder = match FrameEncoder::new(rtp.encoder) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "cannot create the Opus encoder; sending nothing");
            return;
        }
    };
    let mut packetizer = Packetizer::new(rtp.first_sequence, rtp.first_timestamp);
    let mut input_level = LevelWindow::new(OPUS_CLOCK_RATE);
    let mut pcm = vec![0i16; SAMPLES_20MS];
    let mut state = shared.state.subscribe();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut first = true;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            r = state.changed() => {
                if r.is_err() || matches!(*state.borrow(), MediaState::Ended(_)) {
                    return;
                }
                continue;
            }
        }
        source.fill(&mut pcm);
        if let Some(dbfs) = input_level.push_i16(&pcm) {
            shared.input.set(dbfs);
        }
        encoder.set_muted(shared.muted.load(Ordering::Relaxed));
        // A frame that fails to encode still takes its sequence number and timestamp, so the
        // far end sees a loss, not a clock jump.
        let framed = match encoder.encode(&pcm) {
            Ok(payload) => packetizer.packet(payload),
            Err(e) => {
                tracing::warn!(error = %e, "Opus encode failed; frame skipped");
                packetizer.packet(&[]);
                continue;
            }
        };
        let packet = Packet {
            header: Header {
                version: 2,
                marker: first,
                payload_type: rtp.payload_type,
                sequence_number: framed.sequence,
                timestamp: framed.timestamp,
                ssrc: rtp.ssrc,
                ..Default::default()
            },
            payload: Bytes::from(framed.payload),
        };
        match track.write_rtp(packet).await {
            Ok(()) => {
                shared.sent.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::debug!(error = %e, "RTP write failed"),
        }
        first = false;
    }
}
