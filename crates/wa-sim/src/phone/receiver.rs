//! Hears the business: decodes every inbound Opus packet, feeds the running meter and the
//! WAV recording, and counts packets for the no-media watchdog. Measures regardless of whether
//! media was started locally.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

use crate::audio::SAMPLE_RATE;

use super::state::CallShared;

/// Largest Opus frame: 120 ms at 48 kHz.
const MAX_FRAME_SAMPLES: usize = 5_760;

pub(crate) async fn run(
    shared: Arc<CallShared>,
    track: Arc<dyn TrackRemote>,
    telephone_event_pt: Option<u8>,
) {
    let mut decoder = match opus::Decoder::new(SAMPLE_RATE, opus::Channels::Mono) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "cannot create Opus decoder; inbound audio ignored");
            return;
        }
    };
    let mut pcm = vec![0i16; MAX_FRAME_SAMPLES];
    while let Some(event) = track.poll().await {
        let packet = match event {
            TrackRemoteEvent::OnRtpPacket(p) => p,
            TrackRemoteEvent::OnEnded => break,
            _ => continue,
        };
        // DTMF (RFC 4733) shares the stream; it is not audio.
        if Some(packet.header.payload_type) == telephone_event_pt {
            continue;
        }
        let samples = match decoder.decode(&packet.payload, &mut pcm, false) {
            Ok(n) => &pcm[..n],
            Err(e) => {
                shared.bad_packets.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(error = %e, "undecodable inbound packet");
                continue;
            }
        };
        if let Ok(mut meter) = shared.meter.lock() {
            meter.push(samples);
        }
        if let Ok(mut recorder) = shared.recorder.lock() {
            if let Some(rec) = recorder.as_mut() {
                if let Err(e) = rec.write(samples) {
                    tracing::warn!(error = %e, "recording stopped");
                    *recorder = None;
                }
            }
        }
        shared.inbound_packets.send_modify(|n| *n += 1);
    }
}
