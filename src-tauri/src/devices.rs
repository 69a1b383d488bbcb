//! The sound devices as Settings lists them: every input as a microphone, every output as both
//! a speaker and a ring device, with the agent's choice (or the system default) selected. A
//! device's id is its name, as the audio layer opens devices by name.

use crate::model::{AudioDevice, DeviceKind};
use crate::settings::DeskSettings;
use softphone::audio_io::DeviceInfo;

pub fn device_list(devices: &[DeviceInfo], settings: &DeskSettings) -> Vec<AudioDevice> {
    let kinds = [DeviceKind::Input, DeviceKind::Output, DeviceKind::Ring];
    kinds
        .into_iter()
        .flat_map(|kind| {
            let candidates: Vec<&DeviceInfo> = devices
                .iter()
                .filter(|d| {
                    if kind == DeviceKind::Input {
                        d.input
                    } else {
                        d.output
                    }
                })
                .collect();
            let chosen = settings
                .device(kind)
                .filter(|name| candidates.iter().any(|d| d.name == *name));
            let is_default = |d: &DeviceInfo| {
                if kind == DeviceKind::Input {
                    d.default_input
                } else {
                    d.default_output
                }
            };
            // The chosen device, else the system default; never two selected.
            let selected = chosen.map(str::to_owned).or_else(|| {
                candidates
                    .iter()
                    .find(|d| is_default(d))
                    .map(|d| d.name.clone())
            });
            candidates
                .into_iter()
                .map(move |d| AudioDevice {
                    id: d.name.clone(),
                    name: d.name.clone(),
                    kind,
                    selected: selected.as_deref() == Some(d.name.as_str()),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Whether `id` names a device of that kind in the list.
pub fn exists(devices: &[AudioDevice], kind: DeviceKind, id: &str) -> bool {
    devices.iter().any(|d| d.kind == kind && d.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(name: &str, input: bool, output: bool, default: bool) -> DeviceInfo {
        DeviceInfo {
            name: name.into(),
            input,
            output,
            default_input: default && input,
            default_output: default && output,
        }
    }

    fn selected(list: &[AudioDevice], kind: DeviceKind) -> Vec<&str> {
        list.iter()
            .filter(|d| d.kind == kind && d.selected)
            .map(|d| d.name.as_str())
            .collect()
    }

    #[test]
    fn outputs_are_speakers_and_ring_devices_and_defaults_are_selected() {
        let devices = [
            device("Headset", true, true, false),
            device("Laptop", true, true, true),
            device("HDMI", false, true, false),
        ];
        let list = device_list(&devices, &DeskSettings::default());
        assert_eq!(
            list.iter().filter(|d| d.kind == DeviceKind::Input).count(),
            2
        );
        assert_eq!(
            list.iter().filter(|d| d.kind == DeviceKind::Output).count(),
            3
        );
        assert_eq!(
            list.iter().filter(|d| d.kind == DeviceKind::Ring).count(),
            3
        );
        assert_eq!(selected(&list, DeviceKind::Input), ["Laptop"]);
        assert_eq!(selected(&list, DeviceKind::Ring), ["Laptop"]);
        assert!(exists(&list, DeviceKind::Ring, "HDMI"));
        assert!(!exists(&list, DeviceKind::Input, "HDMI"));
    }

    #[test]
    fn the_agents_choice_wins_unless_it_is_unplugged() {
        let devices = [
            device("Headset", true, true, false),
            device("Laptop", true, true, true),
        ];
        let mut settings = DeskSettings::default();
        settings.set_device(DeviceKind::Output, Some("Headset".into()));
        settings.set_device(DeviceKind::Input, Some("Gone USB mic".into()));
        let list = device_list(&devices, &settings);
        assert_eq!(selected(&list, DeviceKind::Output), ["Headset"]);
        assert_eq!(selected(&list, DeviceKind::Ring), ["Laptop"]);
        assert_eq!(selected(&list, DeviceKind::Input), ["Laptop"]);
    }
}
