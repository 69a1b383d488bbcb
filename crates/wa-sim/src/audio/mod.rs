//! Audio for the simulated customer phone: what it says and what it hears.
//!
//! Everything here is pure and synchronous (no sockets, no clocks), so it is unit-tested on
//! sample buffers:
//!
//! - sources ([`ToneSource`], [`WavSource`]) produce 48 kHz mono `i16` frames through the
//!   [`AudioSource`] trait;
//! - [`WavRecorder`] writes what the phone hears to a 48 kHz mono 16-bit WAV file;
//! - [`analysis`] measures a buffer: RMS level in dBFS and dominant frequency;
//! - [`AudioMeter`] keeps the most recent window of received audio so the running level and
//!   frequency can be read at any time.
//!
//! Invariant: all audio in this module is 48 kHz mono `i16` ([`SAMPLE_RATE`]); inputs at other
//! rates are converted at the edge ([`WavSource::open`], rubato) so nothing is mis-pitched.

pub mod analysis;
mod error;
mod meter;
mod recorder;
mod resample;
mod source;
mod tone;
mod wav_source;

pub use error::AudioError;
pub use meter::{AudioMeter, MeterReading};
pub use recorder::WavRecorder;
pub use source::AudioSource;
pub use tone::ToneSource;
pub use wav_source::WavSource;

/// The one sample rate used throughout: Opus's native rate.
pub const SAMPLE_RATE: u32 = 48_000;

/// Samples in one 20 ms frame at [`SAMPLE_RATE`] (the Opus frame WhatsApp uses, `ptime:20`).
pub const FRAME_SAMPLES: usize = 960;
