//! Sound devices: capture and playback through cpal, with lock-free rings to the media task.
//!
//! ```text
//!  mic ─▶ cpal input callback ─▶ rtrb ring (device rate, mono) ─▶ CaptureReader ─▶ 48 kHz frames
//!  48 kHz playout ─▶ PlaybackWriter (resample) ─▶ rtrb ring ─▶ cpal output callback ─▶ speaker
//! ```
//!
//! Invariants: the callbacks only downmix/upmix, convert the sample format and move samples
//! through a single-producer single-consumer ring — no lock, no allocation, no blocking, no I/O.
//! Resampling to and from 48 kHz happens on the media side. A starved output plays silence and a
//! full input ring drops samples; both are counted, never waited on.

mod capture;
mod device_thread;
mod devices;
mod error;
mod fallback;
mod pacing;
mod playback;
mod resample;

pub use capture::{start_capture, CaptureReader};
pub use device_thread::{DeviceStream, StreamInfo};
pub use devices::{list_devices, DeviceChoice, DeviceInfo};
pub use error::{AudioIoError, Direction};
pub use fallback::{open_capture, open_playback};
pub use pacing::{top_up, top_up_at};
pub use playback::{start_playback, PlaybackWriter};
pub use resample::StreamResampler;
