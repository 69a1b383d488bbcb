//! Opening the first device that works from the agent's list of preferences.

use super::{
    start_capture, start_playback, AudioIoError, CaptureReader, DeviceChoice, DeviceStream,
    PlaybackWriter,
};

/// Tries each choice in order and opens the first that works: used at call start and when the
/// current device fails mid-call (unplugged headset → next preferred device, call continues).
/// With an empty list the system default is tried. The error, if all fail, is the last one.
pub fn open_capture(
    preferences: &[DeviceChoice],
) -> Result<(DeviceStream, CaptureReader), AudioIoError> {
    first_that_opens(preferences, start_capture)
}

/// Same as [`open_capture`] for the speaker or headset.
pub fn open_playback(
    preferences: &[DeviceChoice],
) -> Result<(DeviceStream, PlaybackWriter), AudioIoError> {
    first_that_opens(preferences, start_playback)
}

fn first_that_opens<T>(
    preferences: &[DeviceChoice],
    open: impl Fn(&DeviceChoice) -> Result<T, AudioIoError>,
) -> Result<T, AudioIoError> {
    let default = [DeviceChoice::Default];
    let list = if preferences.is_empty() {
        &default[..]
    } else {
        preferences
    };
    let mut last = AudioIoError::NoDefault(super::Direction::Input);
    for choice in list {
        match open(choice) {
            Ok(opened) => return Ok(opened),
            Err(e) => {
                tracing::info!(?choice, error = %e, "audio device unavailable, trying the next");
                last = e;
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio_io::Direction;

    fn fake_open(choice: &DeviceChoice) -> Result<String, AudioIoError> {
        match choice {
            DeviceChoice::Named(n) if n.starts_with("ok") => Ok(n.clone()),
            DeviceChoice::Named(n) => Err(AudioIoError::NotFound {
                direction: Direction::Output,
                name: n.clone(),
            }),
            DeviceChoice::Default => Ok("default".into()),
        }
    }

    #[test]
    fn the_first_device_that_opens_wins_in_preference_order() {
        let prefs = [
            DeviceChoice::Named("headset (unplugged)".into()),
            DeviceChoice::Named("ok speakers".into()),
            DeviceChoice::Default,
        ];
        assert_eq!(
            first_that_opens(&prefs, fake_open),
            Ok("ok speakers".into())
        );
        assert_eq!(first_that_opens(&[], fake_open), Ok("default".into()));
    }

    #[test]
    fn when_nothing_opens_the_last_reason_is_returned() {
        let prefs = [
            DeviceChoice::Named("a".into()),
            DeviceChoice::Named("b".into()),
        ];
        assert_eq!(
            first_that_opens(&prefs, fake_open),
            Err(AudioIoError::NotFound {
                direction: Direction::Output,
                name: "b".into()
            })
        );
    }
}
