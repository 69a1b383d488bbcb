//! How a [`super::Phone`] is set up.

use crate::audio_io::DeviceChoice;
use crate::media::{CallAudio, WebRtcConfig};
use crate::transport::TlsOptions;

/// Everything [`super::Phone::start`] needs.
pub struct PhoneConfig {
    /// The platform's base URL, `http(s)://host:port`.
    pub platform: String,
    /// The agent token (sent as `Authorization: Bearer`; never logged).
    pub token: String,
    pub audio: AudioPlan,
    pub media: WebRtcConfig,
    /// Extra CA and the "insecure http" switch ([`crate::transport`]).
    pub tls: TlsOptions,
    /// Where call recordings wait for upload (a directory per agent inside); `None`: this
    /// app does not record, even for numbers that do.
    pub recordings_dir: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for PhoneConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneConfig")
            .field("platform", &self.platform)
            .field("audio", &self.audio)
            .field("media", &self.media)
            .field("tls", &self.tls)
            .field("recordings_dir", &self.recordings_dir)
            .finish_non_exhaustive()
    }
}

/// A fresh [`CallAudio`] for call number `n` (starting at 1), or why not.
pub type CallAudioFactory = Box<dyn FnMut(u32) -> Result<CallAudio, String> + Send>;

/// Where calls' audio comes from and goes to.
pub enum AudioPlan {
    /// The desktop: microphone and speaker through cpal, preferences in order (empty = the
    /// system default). Devices are opened when a call is accepted and closed when no call
    /// needs them; a device that fails mid-call is replaced by the next preference.
    Devices {
        input: Vec<DeviceChoice>,
        output: Vec<DeviceChoice>,
    },
    /// Headless and tests: a fresh [`CallAudio`] per call, built when the call starts ringing.
    PerCall(CallAudioFactory),
}

impl std::fmt::Debug for AudioPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AudioPlan::Devices { input, output } => f
                .debug_struct("Devices")
                .field("input", input)
                .field("output", output)
                .finish(),
            AudioPlan::PerCall(_) => f.write_str("PerCall(..)"),
        }
    }
}
