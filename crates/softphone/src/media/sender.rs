//! Sends the agent's voice: Opus, one 20 ms frame per RTP packet, timestamp +960 per packet,
//! one SSRC.
//!
//! Sending starts only when the transport is up *and* the call was accepted
//! ([`super::MediaSession::start_media`]); it never waits for the far end's first packet
//! (Meta may not send first). Muted frames are encoded silence, so packets keep flowing.
//!
//! Pacing: a file, tone or silence source is pulled on a 20 ms timer. A live capture
//! ([`AudioSource::poll_frame`] returns `Some`) paces the sender itself: each frame is sent as
//! soon as the capture completes it — the sender sleeps until the source's hint of when the
//! next one is due — so a finished frame does not wait 0–20 ms for an unrelated timer. If the
//! capture stalls, silence frames keep the 20 ms cadence (WhatsApp hangs up on a call without
//! media), one per 20 ms once a frame is [`STALL_GRACE`] overdue.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use bytes::Bytes;
use rtc::rtp::header::Header;
use rtc::rtp::packet::Packet;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;

use crate::codec::{EncoderSettings, FrameEncoder, Packetizer};
use crate::level::LevelWindow;
use crate::rtp::{OPUS_CLOCK_RATE, SAMPLES_20MS};

use super::state::{MediaState, Shared};
use super::{AudioSource, LiveFrame};

/// The frame period.
const FRAME: Duration = Duration::from_millis(20);
/// How late a live capture's frame may be before a silence frame is sent in its place.
pub(crate) const STALL_GRACE: Duration = Duration::from_millis(20);
/// Extra sleep after a live source's hint, so the frame is complete when we look.
const HINT_MARGIN: Duration = Duration::from_millis(1);

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

/// What the sender does next with a live source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LiveStep {
    /// The source filled a frame: send it.
    Send,
    /// The capture stalled: send a silence frame to keep the cadence.
    SendSilence,
    /// Look again after this long.
    Wait(Duration),
}

/// Pure pacing decision for a live source: `answer` is what the source said, `due` when the
/// next frame should be sent at the latest on the 20 ms cadence (the last frame's due time +
/// 20 ms), `now` the current time.
pub(crate) fn live_step(answer: LiveFrame, due: Instant, now: Instant) -> LiveStep {
    match answer {
        LiveFrame::Ready => LiveStep::Send,
        LiveFrame::NotYet(_) if now >= due + STALL_GRACE => LiveStep::SendSilence,
        LiveFrame::NotYet(hint) => {
            let stall_in = (due + STALL_GRACE).saturating_duration_since(now);
            let wait = (hint.min(FRAME) + HINT_MARGIN).min(stall_in);
            LiveStep::Wait(wait.max(Duration::from_millis(1)))
        }
    }
}

/// Encodes and sends one frame (mute applied by the encoder).
struct FrameSender {
    shared: Arc<Shared>,
    track: Arc<TrackLocalStaticRTP>,
    encoder: FrameEncoder,
    packetizer: Packetizer,
    input_level: LevelWindow,
    payload_type: u8,
    ssrc: u32,
    first: bool,
}

impl FrameSender {
    async fn send(&mut self, pcm: &[i16]) {
        if let Some(dbfs) = self.input_level.push_i16(pcm) {
            self.shared.input.set(dbfs);
        }
        let muted = self.shared.muted.load(Ordering::Relaxed);
        self.encoder.set_muted(muted);
        if let Some(recorder) = self.shared.recorder.get() {
            // What was sent: silence while muted.
            match muted {
                true => recorder.agent(&[0; SAMPLES_20MS]),
                false => recorder.agent(pcm),
            }
        }
        // A frame that fails to encode still takes its sequence number and timestamp, so the
        // far end sees a loss, not a clock jump.
        let framed = match self.encoder.encode(pcm) {
            Ok(payload) => self.packetizer.packet(payload),
            Err(e) => {
                tracing::warn!(error = %e, "Opus encode failed; frame skipped");
                self.packetizer.packet(&[]);
                return;
            }
        };
        let packet = Packet {
            header: Header {
                version: 2,
                marker: self.first,
                payload_type: self.payload_type,
                sequence_number: framed.sequence,
                timestamp: framed.timestamp,
                ssrc: self.ssrc,
                ..Default::default()
            },
            payload: Bytes::from(framed.payload),
        };
        match self.track.write_rtp(packet).await {
            Ok(()) => {
                self.shared.sent.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::debug!(error = %e, "RTP write failed"),
        }
        self.first = false;
    }
}

/// True once the session has ended (or its state is gone).
fn ended(
    r: Result<(), tokio::sync::watch::error::RecvError>,
    state: &tokio::sync::watch::Receiver<MediaState>,
) -> bool {
    r.is_err() || matches!(*state.borrow(), MediaState::Ended(_))
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
    let encoder = match FrameEncoder::new(rtp.encoder) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "cannot create the Opus encoder; sending nothing");
            return;
        }
    };
    let mut state = shared.state.subscribe();
    let mut sender = FrameSender {
        shared,
        track,
        encoder,
        packetizer: Packetizer::new(rtp.first_sequence, rtp.first_timestamp),
        input_level: LevelWindow::new(OPUS_CLOCK_RATE),
        payload_type: rtp.payload_type,
        ssrc: rtp.ssrc,
        first: true,
    };
    let mut pcm = vec![0i16; SAMPLES_20MS];
    match source.poll_frame(&mut pcm) {
        None => run_on_timer(&mut sender, source, &mut pcm, &mut state).await,
        Some(first) => run_live(&mut sender, source, &mut pcm, &mut state, first).await,
    }
}

/// A source without a clock of its own: one frame per 20 ms tick.
async fn run_on_timer(
    sender: &mut FrameSender,
    mut source: Box<dyn AudioSource>,
    pcm: &mut [i16],
    state: &mut tokio::sync::watch::Receiver<MediaState>,
) {
    let mut tick = tokio::time::interval(FRAME);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            r = state.changed() => {
                if ended(r, state) {
                    return;
                }
                continue;
            }
        }
        source.fill(pcm);
        sender.send(pcm).await;
    }
}

/// A live capture: each frame as soon as it is complete, silence if the capture stalls.
async fn run_live(
    sender: &mut FrameSender,
    mut source: Box<dyn AudioSource>,
    pcm: &mut [i16],
    state: &mut tokio::sync::watch::Receiver<MediaState>,
    mut answer: LiveFrame,
) {
    // When the next frame is due at the latest on the 20 ms cadence.
    let mut due = Instant::now();
    loop {
        match live_step(answer, due, Instant::now()) {
            LiveStep::Send => {
                sender.send(pcm).await;
                // Follow the capture's clock: the next frame is due 20 ms after this one was
                // ready (not after an old cadence, which a late frame would drag along).
                due = Instant::now() + FRAME;
            }
            LiveStep::SendSilence => {
                pcm.fill(0);
                sender.send(pcm).await;
                due += FRAME;
            }
            LiveStep::Wait(wait) => {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    r = state.changed() => {
                        if ended(r, state) {
                            return;
                        }
                    }
                }
            }
        }
        if matches!(*state.borrow(), MediaState::Ended(_)) {
            return;
        }
        answer = source.poll_frame(pcm).unwrap_or(LiveFrame::NotYet(FRAME));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn a_ready_frame_is_sent_at_once() {
        let now = Instant::now();
        assert_eq!(
            live_step(LiveFrame::Ready, now + MS(15), now),
            LiveStep::Send
        );
        // Even a late one: the capture's clock rules.
        assert_eq!(
            live_step(LiveFrame::Ready, now, now + MS(30)),
            LiveStep::Send
        );
    }

    #[test]
    fn the_sender_sleeps_until_the_sources_hint_not_a_fixed_tick() {
        let now = Instant::now();
        assert_eq!(
            live_step(LiveFrame::NotYet(MS(7)), now + MS(20), now),
            LiveStep::Wait(MS(8))
        );
        // Hints are bounded by a frame, and the wait never passes the stall deadline.
        assert_eq!(
            live_step(LiveFrame::NotYet(MS(500)), now + MS(20), now),
            LiveStep::Wait(MS(21))
        );
        assert_eq!(
            live_step(LiveFrame::NotYet(MS(10)), now, now + MS(15)),
            LiveStep::Wait(MS(5))
        );
        // Never a busy loop.
        assert_eq!(
            live_step(LiveFrame::NotYet(MS(0)), now + MS(20), now),
            LiveStep::Wait(MS(1))
        );
    }

    #[test]
    fn a_stalled_capture_gets_silence_on_the_cadence() {
        let now = Instant::now();
        assert_eq!(
            live_step(LiveFrame::NotYet(MS(3)), now, now + STALL_GRACE),
            LiveStep::SendSilence
        );
    }
}
