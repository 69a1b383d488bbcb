//! Hears the customer. Every inbound Opus packet is forwarded undecoded to the
//! [`super::PacketSink`] (the desktop's jitter buffer and decoder) if there is one, and — only
//! if the [`super::AudioSink`] wants audio — decoded in arrival order, metered and written to
//! the sink. So each packet is decoded at most once per consumer, and not at all for a
//! [`super::NullSink`]. DTMF (telephone-event) shares the stream and is skipped.
//!
//! The headless agent records arrival order, which on a LAN is playout order; the desktop
//! plays out through [`crate::jitter`] instead.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

use crate::clock::Clock;
use crate::codec::FrameDecoder;
use crate::level::LevelWindow;
use crate::rtp::{RtpPacket, OPUS_CLOCK_RATE};

use super::state::Shared;

/// The per-packet work of the receive task, apart from the WebRTC track it reads.
pub(crate) struct Inbound {
    shared: Arc<Shared>,
    telephone_event_pt: Option<u8>,
    /// Made at the first packet that needs decoding (for the sink or the recording); `None`
    /// until then, or if it could not be created.
    decoder: Option<FrameDecoder>,
    /// The sink wants decoded audio (until it fails).
    sink_wants: bool,
    output_level: LevelWindow,
}

impl Inbound {
    pub fn new(shared: Arc<Shared>, telephone_event_pt: Option<u8>) -> Self {
        let sink_wants = shared.sink_wants_audio();
        Self {
            shared,
            telephone_event_pt,
            decoder: None,
            sink_wants,
            output_level: LevelWindow::new(OPUS_CLOCK_RATE),
        }
    }

    /// Whether this packet is to be decoded (for the sink or a recording); the decoder is
    /// made the first time it is.
    fn decoding(&mut self) -> bool {
        let needed = self.sink_wants || self.shared.recorder.get().is_some();
        if needed && self.decoder.is_none() {
            match FrameDecoder::new() {
                Ok(d) => self.decoder = Some(d),
                Err(e) => {
                    tracing::error!(error = %e, "cannot create the Opus decoder; nothing is heard or recorded");
                    self.sink_wants = false;
                    return false;
                }
            }
        }
        needed
    }

    /// One inbound RTP packet.
    pub fn packet(&mut self, payload_type: u8, sequence: u16, timestamp: u32, payload: &[u8]) {
        if Some(payload_type) == self.telephone_event_pt {
            return;
        }
        let shared = Arc::clone(&self.shared);
        if let Ok(mut packets) = shared.packets.lock() {
            if let Some(p) = packets.as_mut() {
                let arrival = shared.clock.now();
                p.packet(
                    RtpPacket {
                        sequence,
                        timestamp,
                        payload: payload.to_vec(),
                    },
                    arrival,
                );
            }
        }
        let sink_wants = self.sink_wants;
        let mut sink_failed = false;
        let decoding = self.decoding();
        if let Some(decoder) = self.decoder.as_mut().filter(|_| decoding) {
            match decoder.decode(payload) {
                Ok(samples) => {
                    shared.decoded.fetch_add(1, Ordering::Relaxed);
                    if let Some(dbfs) = self.output_level.push_i16(samples) {
                        shared.output.set(dbfs);
                    }
                    if let Some(recorder) = shared.recorder.get() {
                        recorder.customer(samples);
                    }
                    if sink_wants {
                        if let Ok(mut sink) = shared.sink.lock() {
                            if let Some(s) = sink.as_mut() {
                                if let Err(e) = s.write(samples) {
                                    tracing::warn!(error = %e, "the call's audio sink failed; no longer writing to it");
                                    *sink = None;
                                    sink_failed = true;
                                }
                            }
                        }
                    }
                }
                Err(e) => {
                    shared.undecodable.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(error = %e, "undecodable inbound packet");
                }
            }
        }
        if sink_failed {
            self.sink_wants = false;
        }
        shared.received.send_modify(|n| *n += 1);
    }
}

pub(crate) async fn run(
    shared: Arc<Shared>,
    track: Arc<dyn TrackRemote>,
    telephone_event_pt: Option<u8>,
) {
    let mut inbound = Inbound::new(shared, telephone_event_pt);
    while let Some(event) = track.poll().await {
        match event {
            TrackRemoteEvent::OnRtpPacket(p) => inbound.packet(
                p.header.payload_type,
                p.header.sequence_number,
                p.header.timestamp,
                &p.payload,
            ),
            TrackRemoteEvent::OnEnded => break,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::clock::MonoTime;
    use crate::codec::{EncoderSettings, FrameEncoder};
    use crate::media::{AudioSink, CapturedAudio, NullSink, PacketSink};
    use crate::rtp::SAMPLES_20MS;

    #[derive(Clone, Default)]
    struct Counted(Arc<Mutex<Vec<u16>>>);

    impl PacketSink for Counted {
        fn packet(&mut self, packet: RtpPacket, _arrival: MonoTime) {
            self.0.lock().unwrap().push(packet.sequence);
        }
    }

    fn opus_frames(n: usize) -> Vec<Vec<u8>> {
        let mut enc = FrameEncoder::new(EncoderSettings::default()).unwrap();
        let pcm: Vec<i16> = (0..SAMPLES_20MS)
            .map(|i| ((i as f32 * 0.1).sin() * 8_000.0) as i16)
            .collect();
        (0..n).map(|_| enc.encode(&pcm).unwrap().to_vec()).collect()
    }

    fn feed(sink: Box<dyn AudioSink>, packets: Counted, n: usize) -> Arc<Shared> {
        let shared = Arc::new(Shared::new(sink, Some(Box::new(packets))));
        let mut inbound = Inbound::new(shared.clone(), Some(126));
        for (i, payload) in opus_frames(n).iter().enumerate() {
            inbound.packet(111, i as u16, i as u32 * 960, payload);
            // DTMF is neither forwarded nor counted.
            inbound.packet(126, 0, 0, &[0, 10, 0, 160]);
        }
        shared
    }

    #[test]
    fn null_sink_is_never_decoded_for_but_packets_are_forwarded_and_counted() {
        let packets = Counted::default();
        let shared = feed(Box::new(NullSink), packets.clone(), 25);
        let stats = shared.stats();
        assert_eq!(stats.decoded_packets, 0, "decoded for a NullSink");
        assert_eq!(stats.received_packets, 25);
        assert_eq!(stats.undecodable_packets, 0);
        assert_eq!(*packets.0.lock().unwrap(), (0..25).collect::<Vec<u16>>());
    }

    #[test]
    fn a_sink_that_wants_audio_gets_every_packet_decoded_once() {
        let packets = Counted::default();
        let heard = CapturedAudio::default();
        let shared = feed(Box::new(heard.clone()), packets.clone(), 25);
        let stats = shared.stats();
        assert_eq!(stats.decoded_packets, 25);
        assert_eq!(stats.received_packets, 25);
        assert_eq!(heard.samples().len(), 25 * SAMPLES_20MS);
        assert_eq!(packets.0.lock().unwrap().len(), 25);
        assert!(shared.output.get() > crate::signal::SILENCE_DBFS);
    }
}
