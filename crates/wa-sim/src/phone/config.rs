//! How a simulated phone call is set up.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use crate::audio::{AudioSource, ToneSource, WavSource};

use super::PhoneError;

/// What the customer "says" into the phone.
#[derive(Debug, Clone, PartialEq)]
pub enum Voice {
    /// A sine tone (48 kHz mono) at `frequency_hz` and RMS `level_dbfs`.
    Tone { frequency_hz: f64, level_dbfs: f64 },
    /// A WAV file (any rate, resampled to 48 kHz), optionally looped; silence after its end
    /// otherwise.
    Wav { path: PathBuf, looping: bool },
    /// Digital silence (still sent as Opus packets, so the media path stays alive).
    Silence,
}

impl Voice {
    /// Open the source; refuses bad tones and unreadable WAV files.
    pub(crate) fn open(&self) -> Result<Box<dyn AudioSource>, PhoneError> {
        Ok(match self {
            Voice::Tone {
                frequency_hz,
                level_dbfs,
            } => Box::new(ToneSource::new(*frequency_hz, *level_dbfs)?),
            Voice::Wav { path, looping } => Box::new(WavSource::open(path, *looping)?),
            Voice::Silence => Box::new(SilentSource),
        })
    }
}

struct SilentSource;

impl AudioSource for SilentSource {
    fn fill(&mut self, out: &mut [i16]) {
        out.fill(0);
    }
}

/// The DTLS role the phone takes when it *answers* a business-initiated offer.
///
/// The reference (§6.4) is contradictory: Meta's doc sample answers an `actpass` offer with
/// `setup:active`; the community reports `passive`. Configurable, default = the doc sample.
/// An offer that is itself `active` or `passive` always gets the complementary role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AnswerSetup {
    /// `a=setup:active` — the phone is the DTLS client (Meta's doc sample).
    #[default]
    Active,
    /// `a=setup:passive` — the phone is the DTLS server.
    Passive,
}

/// Settings for one call. `Default` gives WhatsApp's real timings, a −20 dBFS 440 Hz voice and
/// loopback-only networking.
#[derive(Debug, Clone)]
pub struct PhoneConfig {
    /// What the phone sends once media starts.
    pub voice: Voice,
    /// Where to record what the phone hears (48 kHz mono WAV), if anywhere.
    pub record_to: Option<PathBuf>,
    /// Local addresses for host candidates (port 0 = ephemeral). Meta offers one IPv4 and
    /// one IPv6 host candidate on the same port; tests stay on 127.0.0.1.
    pub bind_ips: Vec<IpAddr>,
    /// Hang up if no inbound media arrives this long after [`super::PhoneCall::start_media`]
    /// (WhatsApp: 20 s).
    pub no_media_at_start: Duration,
    /// Hang up if inbound media stops this long once it has flowed (WhatsApp: 30 s).
    pub no_media_mid_call: Duration,
    /// How much recent received audio the running analysis looks at.
    pub analysis_window: Duration,
    /// Bound on ICE gathering before the SDP is returned.
    pub gathering_timeout: Duration,
    /// DTLS role when answering an `actpass` offer.
    pub answer_setup: AnswerSetup,
}

impl Default for PhoneConfig {
    fn default() -> Self {
        Self {
            voice: Voice::Tone {
                frequency_hz: 440.0,
                level_dbfs: -20.0,
            },
            record_to: None,
            bind_ips: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            no_media_at_start: Duration::from_secs(20),
            no_media_mid_call: Duration::from_secs(30),
            analysis_window: Duration::from_secs(1),
            gathering_timeout: Duration::from_secs(5),
            answer_setup: AnswerSetup::Active,
        }
    }
}
