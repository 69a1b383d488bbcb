//! Audio device refusals.

use std::fmt;

/// Capture (microphone) or playback (speaker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Input,
    Output,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Input => "input",
            Direction::Output => "output",
        })
    }
}

/// Why an audio device could not be listed, opened or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudioIoError {
    #[error("cannot list audio devices: {0}")]
    List(String),
    #[error("there is no default {0} device")]
    NoDefault(Direction),
    #[error("there is no {direction} device named {name:?}")]
    NotFound { direction: Direction, name: String },
    #[error("cannot read the configuration of {direction} device {device:?}: {reason}")]
    Config {
        direction: Direction,
        device: String,
        reason: String,
    },
    #[error("{direction} device {device:?} uses sample format {format}, which is not supported")]
    Format {
        direction: Direction,
        device: String,
        format: String,
    },
    #[error("cannot open {direction} device {device:?}: {reason}")]
    Open {
        direction: Direction,
        device: String,
        reason: String,
    },
    #[error("the audio device thread stopped unexpectedly")]
    DeviceThread,
    #[error("cannot resample: {0}")]
    Resampler(String),
}
