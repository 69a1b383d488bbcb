//! Input and output levels for the meters (50 ms RMS windows from [`crate::level`]).

pub use crate::signal::SILENCE_DBFS;

/// Current levels of a call, dBFS (`SILENCE_DBFS` when silent or before any audio).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioLevels {
    /// What the source (microphone, tone, file) gave, before muting: the meter shows that
    /// the agent is talking even while muted.
    pub input_dbfs: f32,
    /// What was decoded from the far end.
    pub output_dbfs: f32,
}
