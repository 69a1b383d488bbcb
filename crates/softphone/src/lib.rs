//! The Ringdesk agent engine, without Tauri: everything the desktop app (and the headless
//! `ringdesk-agent`) does apart from drawing windows.
//!
//! # What it owns
//!
//! - [`call`]: the call state machine as a pure value (typed states, injected time).
//! - [`jitter`]: the adaptive jitter buffer (pure, simulated-time tested).
//! - [`codec`]: Opus encode/decode, RTP framing (+960 per 20 ms frame), PLC/FEC, 10 ms playout.
//! - [`level`], [`signal`]: level meters (50 ms dBFS windows) and small DSP pieces.
//! - [`quality`]: MOS estimate and call-quality warnings with hysteresis.
//! - [`audio_io`]: sound devices (cpal), lock-free rings to the media task, resampling to 48 kHz.
//! - [`media`]: the WebRTC session with Meta's relay behind the `MediaSession` trait.
//! - [`signaling`]: the WebSocket to the platform.
//! - [`transport`]: the platform address rules and TLS (system trust + an optional extra CA).
//! - [`phone`]: the engine the desktop app and the headless [`agent`] drive (commands in,
//!   events out), plus the call-history REST client.
//! - [`clock`], [`rtp`]: injected time and the RTP constants shared by all of the above.
//!
//! Pure cores ([`call`], [`jitter`], the framing in [`codec`]) never read a clock, sleep or do
//! I/O; drivers pass time in. Nothing here panics on input from the network, a file or the user:
//! refusals are typed errors that say why.
//!
//! # The media path's run-loop contract
//!
//! All PCM inside the engine is 48 kHz mono `i16`; device rates and channel counts exist only
//! inside [`audio_io`].
//!
//! ```text
//! send:    mic ─cpal callback─▶ ring ─▶ CaptureReader (→48 kHz) ─20 ms─▶ FrameEncoder (mute =
//!          silence) ─▶ Packetizer (seq +1, ts +960) ─▶ MediaSession (SRTP) ─▶ Meta
//! receive: Meta ─▶ MediaSession ─▶ Playout::push (JitterBuffer) ;  Playout::pull 10 ms ─▶
//!          Level meter ─▶ PlaybackWriter (→device rate) ─▶ ring ─cpal callback─▶ speaker
//! ```
//!
//! 1. cpal callbacks run on the audio threads and only move samples through single-producer,
//!    single-consumer rings: no lock, no allocation, no blocking, no I/O. A starved output
//!    plays silence; a full input ring drops samples; both are counted.
//! 2. One media task owns everything else and wakes every 10 ms. On each tick it (a) reads
//!    every complete 20 ms frame the capture ring holds and sends one packet per frame —
//!    muted or not, so media never stops; (b) pushes every received packet into the
//!    [`codec::Playout`] with its arrival time; (c) while the playback ring holds less than its
//!    target (a few tens of ms), pulls 10 ms from the playout and writes it to the ring.
//! 3. Because (c) is driven by how fast the output device drains its ring, the device clock
//!    paces playout: the jitter buffer absorbs network jitter, and drift between the far end's
//!    and the device's clocks is absorbed by resampling — how long packets stay buffered drives
//!    a playback speed within ±0.5 % ([`jitter::DriftController`]) that the playback resampler
//!    applies. Its underrun/skip logic is left for what resampling cannot absorb.
//! 4. Sending does not wait for the far end's first packet (Meta may never send first).
pub mod agent;
pub mod audio_io;
pub mod call;
pub mod clock;
pub mod codec;
pub mod jitter;
pub mod level;
pub mod media;
pub mod phone;
pub mod quality;
pub mod recording;
pub mod rtp;
pub mod signal;
pub mod signaling;
pub mod transport;
