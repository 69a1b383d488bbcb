//! The customer's WhatsApp phone, media half: a real WebRTC peer (webrtc-rs 0.21) that looks
//! to the business like Meta's media relay, sends real Opus audio and measures what it hears.
//!
//! # Contract (for the Meta half of the simulator)
//!
//! User-initiated call (the customer calls):
//! 1. [`CustomerPhone::offer`]`(config)` → `(PhoneCall, sdp_offer)`. The offer is shaped like
//!    Meta's (reference §6.3): `a=ice-lite`, `a=setup:actpass`, host candidates inline (gathered
//!    before return, no trickle, no end-of-candidates), BUNDLE mid `audio`, rtcp-mux, Opus
//!    111/48000/2 + telephone-event/8000 126, `a=ptime:20`, one SSRC, CRLF line ends. Put it in
//!    the `connect` webhook unchanged.
//! 2. When the business `pre_accept`s/`accept`s with an SDP answer:
//!    [`PhoneCall::apply_answer`]`(sdp)`. ICE (we are controlled) and DTLS then come up;
//!    [`PhoneCall::connected`] resolves / [`PhoneEvent::Connected`] fires.
//! 3. When `accept` succeeds: [`PhoneCall::start_media`]. Media is sent only once the call is
//!    both connected and started; the phone never waits for the business's first packet.
//!
//! Business-initiated call (the business calls): [`CustomerPhone::answer`]`(offer_sdp, config)`
//! → `(PhoneCall, sdp_answer)` shaped like Meta's answer (ICE-lite, inline candidates,
//! `setup:active` to an `actpass` offer by default — see [`AnswerSetup`]); put it in the
//! `connect` webhook; call [`PhoneCall::start_media`] when the customer "picks up" (ACCEPTED).
//!
//! Either way:
//! - Inbound audio is decoded and measured from the first packet, started or not:
//!   [`PhoneCall::stats`] → [`ReceivedAudio`] (RMS dBFS and dominant frequency of the last
//!   [`PhoneConfig::analysis_window`], packets, seconds); optionally recorded to WAV.
//! - WhatsApp's no-media rule: after `start_media`, no inbound media for
//!   [`PhoneConfig::no_media_at_start`] (20 s), or a gap of [`PhoneConfig::no_media_mid_call`]
//!   (30 s) once media flowed, emits [`PhoneEvent::MediaTimeout`] then ends the call with
//!   [`EndReason::MediaTimeout`] — the Meta half should send a terminate webhook (138021-style).
//! - [`PhoneCall::hang_up`] ends the call ([`EndReason::HungUp`]); ICE/DTLS failure ends it
//!   with [`EndReason::ConnectionFailed`]. [`PhoneCall::ended`] tells why; [`PhoneCall::closed`]
//!   waits for the peer connection and the WAV file to be closed. Dropping the handle hangs up.
//! - Errors are [`PhoneError`]s with a reason; nothing here panics on SDP or file input.

mod call;
mod config;
mod error;
mod peer;
mod receiver;
pub mod sdp_shape;
mod sender;
mod state;
mod supervise;
mod watchdog;

pub use call::{CustomerPhone, PhoneCall};
pub use config::{AnswerSetup, PhoneConfig, Voice};
pub use error::PhoneError;
pub use state::{CallState, EndReason, PhoneEvent, ReceivedAudio};
pub use watchdog::{InboundWatchdog, MediaTimeoutPhase};
