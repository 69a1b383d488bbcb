//! The call's media: one WebRTC audio session with Meta's relay, behind our own traits so the
//! WebRTC stack can be replaced (docs/adr/0009-media-session.md).
//!
//! # Lifecycle (user-initiated call)
//!
//! 1. The call starts ringing: [`MediaStack::prepare`]`(offer, audio)` checks Meta's offer,
//!    builds the peer connection (UDP sockets bound, i.e. host candidates known) and creates
//!    the answer. Nothing is sent on the network yet, so a call the agent rejects leaves no
//!    trace at Meta's relay.
//! 2. The agent accepts: [`MediaSession::answer`] applies the answer locally, waits for ICE
//!    gathering to complete (no trickle: Meta has no API for late candidates) and returns the
//!    SDP answer shaped for Meta (see [`answer_sdp`]). ICE (full, controlling against Meta's
//!    ice-lite) and DTLS (client, `a=setup:active`) start now.
//! 3. [`MediaSession::connected`] resolves when ICE + DTLS are up (the app then sends
//!    `media_ready`).
//! 4. Meta accepted the call (`start_media`): [`MediaSession::start_media`]. Only from now on
//!    are RTP packets sent: Opus, one 20 ms frame per packet, timestamp +960 per packet, one
//!    SSRC. Inbound audio is decoded and played (written to the sink) whenever it arrives.
//! 5. Muting sends silence frames: WhatsApp hangs up after 20–30 s without media.
//! 6. [`MediaSession::close`] ends it: the peer connection is closed and the sink finished.
//!
//! # Lifecycle (business-initiated call)
//!
//! 1. The agent calls: [`MediaStack::offer`]`(audio)` builds the peer connection with our
//!    codecs (Opus 111, telephone-event/8000 126), gathers (no trickle) and returns the offer
//!    shaped for Meta ([`answer_sdp::render_offer`], checked by
//!    `whatsapp::sdp::validate_for_meta(.., OfferToMeta)`): `a=setup:actpass`, one SSRC, one
//!    sha-256 fingerprint, `a=ptime:20`, inline host candidates.
//! 2. Meta's answer arrives (`remote_answer`): [`MediaSession::apply_answer`]. Meta says
//!    `a=setup:active`, so here we are the DTLS server; ICE is still ours to drive (full ICE,
//!    controlling, against Meta's ice-lite). The sender is started now with Opus settings
//!    bounded by the answer's fmtp.
//! 3. The customer picked up (`start_media`, after Meta's ACCEPTED): audio flows, as above.
//!
//! Invariants: all PCM here is 48 kHz mono `i16`; the sender never waits for the far end's
//! first packet (Meta may not send first); no operation panics on SDP, file or network input.

pub mod answer_sdp;
pub mod audio;
mod error;
pub mod ice;
mod levels;
mod offer;
mod outbound;
mod path;
mod peer;
mod receiver;
pub mod rtcp;
mod sender;
mod session;
mod state;

pub use audio::{
    AudioSink, AudioSource, CapturedAudio, LiveFrame, NullSink, PacketSink, SharedPlayout,
    SilenceSource, ToneSource, WavSink, WavSource,
};
pub use error::{AudioError, MediaError};
pub use levels::{AudioLevels, SILENCE_DBFS};
pub use path::MediaPath;
pub use session::{WebRtcConfig, WebRtcSession, WebRtcStack};
pub use state::{MediaEnd, MediaState, MediaStats};

use async_trait::async_trait;
use tokio::sync::watch;

/// Where a call's audio comes from and goes to.
pub struct CallAudio {
    /// What the agent says (microphone ring, tone, WAV file). Pulled every 20 ms once media
    /// has started.
    pub source: Box<dyn AudioSource>,
    /// What the agent hears, decoded in arrival order (WAV file, capture, level tests).
    pub sink: Box<dyn AudioSink>,
    /// The same inbound packets undecoded, with their arrival time, for a playout with its
    /// own jitter buffer ([`SharedPlayout`], the desktop's speaker path). `None` headless.
    pub packets: Option<Box<dyn PacketSink>>,
}

impl std::fmt::Debug for CallAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallAudio").finish_non_exhaustive()
    }
}

/// A WebRTC implementation able to answer Meta's offers.
#[async_trait]
pub trait MediaStack: Send + Sync {
    /// Start preparing the answer to Meta's `offer` (call ringing). Refuses an offer that
    /// breaks Meta's media rules with the reason.
    async fn prepare(
        &self,
        offer: &str,
        audio: CallAudio,
    ) -> Result<Box<dyn MediaSession>, MediaError>;

    /// Start a call we place (business-initiated): build the peer connection, gather and
    /// return our SDP offer shaped and checked for Meta (`OfferToMeta`), with the session
    /// that takes Meta's answer ([`MediaSession::apply_answer`]).
    async fn offer(&self, audio: CallAudio) -> Result<(Box<dyn MediaSession>, String), MediaError>;
}

/// One call's media session. Dropping it without [`MediaSession::close`] still releases the
/// peer connection in the background.
#[async_trait]
pub trait MediaSession: Send + Sync {
    /// The SDP answer with every candidate inline (gathering done). Idempotent: later calls
    /// return the same text.
    async fn answer(&self) -> Result<String, MediaError>;
    /// A call we placed: apply Meta's SDP answer (checked as `AnswerFromMeta`); ICE (we are
    /// controlling) and DTLS (we are the server: Meta answers `setup:active`) start now.
    /// Idempotent; refused for a session that answered Meta's offer.
    async fn apply_answer(&self, sdp: &str) -> Result<(), MediaError>;
    /// Wait until ICE + DTLS are connected; `Err` with why if the session ended first.
    async fn connected(&self) -> Result<(), MediaError>;
    /// Which way the media goes (host, through a NAT, through TURN) once ICE has chosen.
    async fn path(&self) -> Option<MediaPath> {
        None
    }
    /// What call quality is judged on now (RTCP figures both ways, packets received); `None`
    /// where the stack has no such figures.
    fn quality(&self) -> Option<crate::quality::QualityCounters> {
        None
    }
    /// Meta accepted the call: send audio from now on (idempotent).
    fn start_media(&self);
    /// Record both sides into `recorder` from now on (the customer as decoded, the agent as
    /// sent). Sessions that cannot record ignore it.
    fn record(&self, recorder: std::sync::Arc<crate::recording::CallRecorder>) {
        let _ = recorder;
    }
    /// Mute (send silence frames) or unmute.
    fn set_muted(&self, muted: bool);
    fn is_muted(&self) -> bool;
    /// Current input (what the source gave) and output (what was decoded for the sink) levels.
    /// With a sink that does not want audio the output level stays silent: read it from the
    /// playout instead ([`SharedPlayout::output_dbfs`]).
    fn levels(&self) -> AudioLevels;
    /// Packet counters.
    fn stats(&self) -> MediaStats;
    /// Where the session is now.
    fn state(&self) -> MediaState;
    /// Follow the state (race-free: the receiver starts with the current value).
    fn watch_state(&self) -> watch::Receiver<MediaState>;
    /// Wait until at least `packets` inbound audio packets were received (whether or not the
    /// sink decodes them); `Err` if the session ended first.
    async fn heard_packets(&self, packets: u64) -> Result<(), MediaError>;
    /// End the session: close the peer connection, finish the sink (idempotent).
    async fn close(&self);
}
