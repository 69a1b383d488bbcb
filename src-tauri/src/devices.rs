//! The sound devices as Settings lists them: every input as a microphone, every output as both
//! a speaker and a ring device, with the agent's choice (or the system default) selected. A
//! device's id is its name, as the audio layer opens devices by name.

use crate::model::{AudioDevice, DeviceKind};
use crate::settings::DeskSettings;
use softphone::audio_io::DeviceInfo;

/// The id of the "System default" entry each kind starts with: whatever the OS routes to.
pub const SYSTEM_DEFAULT: &str = "system-default";

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
            // An unplugged choice reads as the default, which is what the engine falls back to.
            let chosen = settings
                .device(kind)
                .filter(|name| candidates.iter().any(|d| d.name == *name))
                .map(str::to_owned);
            let default_name = candidates
                .iter()
                .find(|d| {
                    if kind == DeviceKind::Input {
                        d.default_input
                    } else {
                        d.default_output
                    }
                })
                .map(|d| d.name.clone());
            let system_default = AudioDevice {
                id: SYSTEM_DEFAULT.to_owned(),
                name: match default_name {
                    Some(name) => format!("System default ({name})"),
                    None => "System default".to_owned(),
                },
                kind,
                selected: chosen.is_none(),
            };
            std::iter::once(system_default)
                .chain(candidates.into_iter().map(move |d| AudioDevice {
                    id: d.name.clone(),
                    name: d.name.clone(),
                    kind,
                    selected: chosen.as_deref() == Some(d.name.as_str()),
                }))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The device name to remember for an id from the list (`None`: the system default).
pub fn chosen_name(id: &str) -> Option<String> {
    (id != SYSTEM_DEFAULT).then(|| id.to_owned())
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
    fn outputs_are_speakers_and_ring_devices_and_the_default_comes_first() {
        let devices = [
            device("Headset", true, true, false),
            device("Laptop", true, true, true),
            device("HDMI", false, true, false),
        ];
        let list = device_list(&devices, &DeskSettings::default());
        let count = |kind| list.iter().filter(|d| d.kind == kind).count();
        assert_eq!(count(DeviceKind::Input), 3);
        assert_eq!(count(DeviceKind::Output), 4);
        assert_eq!(count(DeviceKind::Ring), 4);
        assert_eq!(
            selected(&list, DeviceKind::Input),
            ["System default (Laptop)"]
        );
        assert_eq!(list[0].id, SYSTEM_DEFAULT);
        assert!(exists(&list, DeviceKind::Ring, "HDMI"));
        assert!(exists(&list, DeviceKind::Ring, SYSTEM_DEFAULT));
        assert!(!exists(&list, DeviceKind::Input, "HDMI"));
        assert_eq!(chosen_name(SYSTEM_DEFAULT), None);
        assert_eq!(chosen_name("HDMI").as_deref(), Some("HDMI"));
    }

    #[test]
    fn the_agents_choice_wins_unless_it_is_unplugged() {
        let devices = [
            device("Headset", true, true, false),
            device("Laptop", true, true, false),
        ];
        let mut settings = DeskSettings::default();
        settings.set_device(DeviceKind::Output, Some("Headset".into()));
        settings.set_device(DeviceKind::Input, Some("Gone USB mic".into()));
        let list = device_list(&devices, &settings);
        assert_eq!(selected(&list, DeviceKind::Output), ["Headset"]);
        assert_eq!(selected(&list, DeviceKind::Ring), ["System default"]);
        assert_eq!(selected(&list, DeviceKind::Input), ["System default"]);
    }
}

#[cfg(test)]
mod real_devices {
    /// Lists the machine's devices as Settings would. Runs only with `RINGDESK_AUDIO_TEST=1`
    /// (a sound server that offers at least one input and one output).
    #[test]
    fn the_sound_server_offers_a_microphone_and_a_speaker() {
        if std::env::var("RINGDESK_AUDIO_TEST").as_deref() != Ok("1") {
            println!("skipped: set RINGDESK_AUDIO_TEST=1 with a sound server to run it");
            return;
        }
        let found = softphone::audio_io::list_devices().unwrap();
        println!("{found:#?}");
        let list = super::device_list(&found, &crate::settings::DeskSettings::default());
        for kind in [
            crate::model::DeviceKind::Input,
            crate::model::DeviceKind::Output,
            crate::model::DeviceKind::Ring,
        ] {
            assert!(
                list.iter().any(|d| d.kind == kind),
                "no {kind:?} in {list:?}"
            );
        }
    }
}
