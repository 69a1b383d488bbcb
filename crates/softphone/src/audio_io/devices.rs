//! Listing audio devices and picking one by name.

use cpal::traits::{DeviceTrait, HostTrait};

use super::{AudioIoError, Direction};

/// An audio device as the settings screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub name: String,
    pub input: bool,
    pub output: bool,
    pub default_input: bool,
    pub default_output: bool,
}

/// Which device to open.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// The system's default device for that direction.
    #[default]
    Default,
    /// The device with this name (exact match first, then case-insensitive substring).
    Named(String),
}

pub(crate) fn device_name(device: &cpal::Device) -> String {
    device
        .description()
        .map(|d| d.name().to_string())
        .unwrap_or_else(|_| device.to_string())
}

/// All devices of the default host, with what they can do.
pub fn list_devices() -> Result<Vec<DeviceInfo>, AudioIoError> {
    let host = cpal::default_host();
    let default_in = host.default_input_device().map(|d| device_name(&d));
    let default_out = host.default_output_device().map(|d| device_name(&d));
    let devices = host
        .devices()
        .map_err(|e| AudioIoError::List(e.to_string()))?;
    Ok(devices
        .map(|d| {
            let name = device_name(&d);
            DeviceInfo {
                input: d.supports_input(),
                output: d.supports_output(),
                default_input: default_in.as_deref() == Some(name.as_str()),
                default_output: default_out.as_deref() == Some(name.as_str()),
                name,
            }
        })
        .collect())
}

/// Finds the device to open for `direction`.
pub(crate) fn find_device(
    direction: Direction,
    choice: &DeviceChoice,
) -> Result<cpal::Device, AudioIoError> {
    let host = cpal::default_host();
    let name = match choice {
        DeviceChoice::Default => {
            let device = match direction {
                Direction::Input => host.default_input_device(),
                Direction::Output => host.default_output_device(),
            };
            return device.ok_or(AudioIoError::NoDefault(direction));
        }
        DeviceChoice::Named(name) => name,
    };
    let candidates: Vec<cpal::Device> = match direction {
        Direction::Input => host.input_devices().map(|d| d.collect()),
        Direction::Output => host.output_devices().map(|d| d.collect()),
    }
    .map_err(|e| AudioIoError::List(e.to_string()))?;
    let names: Vec<String> = candidates.iter().map(device_name).collect();
    let index = pick(&names, name).ok_or_else(|| AudioIoError::NotFound {
        direction,
        name: name.clone(),
    })?;
    candidates
        .into_iter()
        .nth(index)
        .ok_or(AudioIoError::NotFound {
            direction,
            name: name.clone(),
        })
}

/// Index of the best match for `wanted` in `names`: exact, then case-insensitive substring.
fn pick(names: &[String], wanted: &str) -> Option<usize> {
    if let Some(i) = names.iter().position(|n| n == wanted) {
        return Some(i);
    }
    let wanted = wanted.to_lowercase();
    names
        .iter()
        .position(|n| n.to_lowercase().contains(&wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_win_over_substrings() {
        let names: Vec<String> = ["USB Headset Pro", "USB Headset", "Speakers"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(pick(&names, "USB Headset"), Some(1));
        assert_eq!(pick(&names, "speak"), Some(2));
        assert_eq!(pick(&names, "headset"), Some(0));
        assert_eq!(pick(&names, "HDMI"), None);
    }
}
