//! Call recording in the agent's app: both sides as stereo Ogg/Opus (customer left, as
//! decoded; agent right, as sent), written as the call goes so a crash loses at most a
//! second, queued on disk and uploaded to the platform after the call (docs/adr/0019).
//!
//! - [`mixer`] pairs the two sides' 20 ms frames (pure);
//! - [`writer`] encodes and muxes them (`opus`, `ogg` crates), [`read`] decodes a file back;
//! - [`recorder`] is one call's recording, fed by the call's media tasks;
//! - [`queue`] is the durable directory of recordings waiting, [`pages`] finds where a
//!   crashed one can be cut (pure);
//! - [`upload`] sends them to the platform, idempotently, with retries.

pub mod mixer;
pub mod pages;
pub mod queue;
pub mod read;
pub mod recorder;
pub mod upload;
pub mod writer;

pub use queue::RecordingQueue;
pub use recorder::CallRecorder;
pub use upload::Uploads;
