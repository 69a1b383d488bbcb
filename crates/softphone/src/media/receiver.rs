//! Hears the customer: decodes every inbound Opus packet in arrival order, meters it and
//! writes it to the sink. DTMF (telephone-event) shares the stream and is skipped.
//!
//! The desktop app's playout goes through the jitter buffer (crate::jitter) instead; the
//! headless agent records arrival order, which on a LAN is playout order.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

use crate::clock::Clock;
use crate::codec::FrameDecoder;
use crate::level::LevelWindow;
use crate::rtp::{RtpPacket, OPUS_CLOCK_RATE};

use super::state::Shared;

pub(crate) async fn run(
    shared: Arc<Shared>,
    track: Arc<dyn TrackRemote>,
    telephone_event_pt: Option<u8>,
) {
    let mut decoder = match FrameDecoder::new() {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "cannot create the Opus decoder; inbound audio ignored");
            return;
        }
    };
    let mut output_level = LevelWindow::new(OPUS_CLOCK_RATE);
    while let Some(event) = track.poll().await {
        let packet = match event {
            TrackRemoteEvent::OnRtpPacket(p) => p,
            TrackRemoteEvent::OnEnded => break,
            _ => continue,
        };
        if Some(packet.header.payload_type) == telephone_event_pt {
            continue;
        }
        if let Ok(mut packets) = shared.packets.lock() {
            if let Some(p) = packets.as_mut() {
                let arrival = shared.clock.now();
                p.packet(
                    RtpPacket {
                        sequence: packet.header.sequence_number,
                        timestamp: packet.header.timestamp,
                        payload: packet.payload.to_vec(),
                    },
                    arrival,
                );
            }
        }
        let samples = match decoder.decode(&packet.payload) {
            Ok(samples) => samples,
            Err(e) => {
                shared.undecodable.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(error = %e, "undecodable inbound packet");
                continue;
            }
        };
        if let Some(dbfs) = output_level.push_i16(samples) {
            shared.output.set(dbfs);
        }
        if let Ok(mut sink) = shared.sink.lock() {
            if let Some(s) = sink.as_mut() {
                if let Err(e) = s.write(samples) {
                    tracing::warn!(error = %e, "the call's audio sink failed; no longer writing to it");
                    *sink = None;
                }
            }
        }
        shared.received.send_modify(|n| *n += 1);
    }
}
