//! What the app remembers between runs apart from the token: the last platform signed in to
//! (to find its token in the keyring at start-up) and the chosen devices. A small JSON file in
//! the app's config directory. Never holds a secret.

use crate::model::DeviceKind;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file name inside the app's config directory.
pub const FILE_NAME: &str = "settings.json";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeskSettings {
    /// The platform whose token the keyring holds; cleared on sign-out.
    pub platform_url: Option<String>,
    /// The connection options the platform was signed in with (see `SignInRequest`).
    #[serde(default)]
    pub extra_ca_file: Option<String>,
    #[serde(default)]
    pub insecure_http: bool,
    /// Device names as the audio layer reports them; `None` means the system default.
    pub input_device: Option<String>,
    pub output_device: Option<String>,
    pub ring_device: Option<String>,
}

impl DeskSettings {
    pub fn device(&self, kind: DeviceKind) -> Option<&str> {
        match kind {
            DeviceKind::Input => self.input_device.as_deref(),
            DeviceKind::Output => self.output_device.as_deref(),
            DeviceKind::Ring => self.ring_device.as_deref(),
        }
    }

    pub fn set_device(&mut self, kind: DeviceKind, name: Option<String>) {
        let slot = match kind {
            DeviceKind::Input => &mut self.input_device,
            DeviceKind::Output => &mut self.output_device,
            DeviceKind::Ring => &mut self.ring_device,
        };
        *slot = name;
    }
}

/// The settings file and its last known contents.
#[derive(Debug)]
pub struct SettingsFile {
    path: Option<PathBuf>,
}

impl SettingsFile {
    /// `dir` is the app's config directory; `None` keeps settings for this run only.
    pub fn new(dir: Option<PathBuf>) -> Self {
        SettingsFile {
            path: dir.map(|d| d.join(FILE_NAME)),
        }
    }

    /// Reads the file; a missing or unreadable file gives the defaults (and a log line when it
    /// exists but cannot be read, so a corrupt file never blocks start-up).
    pub fn load(&self) -> DeskSettings {
        let Some(path) = &self.path else {
            return DeskSettings::default();
        };
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                tracing::warn!(%error, path = %path.display(), "settings unreadable; using defaults");
                DeskSettings::default()
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => DeskSettings::default(),
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "settings unreadable; using defaults");
                DeskSettings::default()
            }
        }
    }

    /// Writes the file atomically (temporary file, then rename).
    pub fn save(&self, settings: &DeskSettings) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        write_atomically(path, &serde_json::to_vec_pretty(settings)?)
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_defaults_when_missing_or_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::new(Some(dir.path().join("nested")));
        assert_eq!(file.load(), DeskSettings::default());
        let mut settings = DeskSettings {
            platform_url: Some("https://calls.example.com".into()),
            ..DeskSettings::default()
        };
        settings.set_device(DeviceKind::Ring, Some("Speakers".into()));
        file.save(&settings).unwrap();
        assert_eq!(file.load(), settings);
        assert_eq!(file.load().device(DeviceKind::Ring), Some("Speakers"));
        assert_eq!(file.load().device(DeviceKind::Input), None);

        std::fs::write(dir.path().join("nested").join(FILE_NAME), b"{not json").unwrap();
        assert_eq!(file.load(), DeskSettings::default());
    }

    #[test]
    fn unknown_and_missing_fields_are_tolerated() {
        let settings: DeskSettings =
            serde_json::from_str(r#"{"ringDevice":"USB","somethingNew":1}"#).unwrap();
        assert_eq!(settings.ring_device.as_deref(), Some("USB"));
        assert_eq!(settings.platform_url, None);
    }

    #[test]
    fn without_a_directory_nothing_is_written() {
        let file = SettingsFile::new(None);
        file.save(&DeskSettings::default()).unwrap();
        assert_eq!(file.load(), DeskSettings::default());
    }
}
