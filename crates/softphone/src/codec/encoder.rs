//! Opus encoding of 20 ms frames, with mute.

use crate::rtp::{OPUS_CLOCK_RATE, SAMPLES_20MS};

use super::CodecError;

/// Largest payload we produce; Opus at our bitrates needs far less (RFC 6716 allows 1275 per
/// frame).
const MAX_PAYLOAD: usize = 1_275;

/// Encoder tuning. Defaults suit a phone call to WhatsApp; [`EncoderSettings::for_fmtp`] applies
/// what the far end's SDP asks for (Meta's offer: `maxaveragebitrate=20000;maxplaybackrate=16000;
/// useinbandfec=1`). Complexity 5, not libopus's 10: a third less encoder CPU for a speech
/// quality difference too small to matter on a phone call (libwebrtc uses 5 on mobile); see
/// docs/adr/0010-drift-and-media-cpu.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncoderSettings {
    pub bitrate_bps: i32,
    /// Put low-bitrate redundancy of each frame into the next packet (Opus in-band FEC).
    pub inband_fec: bool,
    /// Expected loss, percent: how much redundancy FEC spends.
    pub expected_loss_percent: i32,
    /// libopus computational complexity, 0–10 (libopus's own default is 10).
    pub complexity: i32,
    /// Highest sample rate worth encoding, Hz: the far end's `maxplaybackrate` (RFC 7587).
    /// Caps the audio bandwidth (16 000 = wideband); 48 000 = no cap.
    pub max_playback_rate: u32,
}

impl Default for EncoderSettings {
    fn default() -> Self {
        EncoderSettings {
            bitrate_bps: 24_000,
            inband_fec: true,
            expected_loss_percent: 10,
            complexity: 5,
            max_playback_rate: 48_000,
        }
    }
}

/// Encodes one 20 ms, 48 kHz mono frame per call.
pub struct FrameEncoder {
    encoder: opus::Encoder,
    muted: bool,
    silence: [i16; SAMPLES_20MS],
    out: [u8; MAX_PAYLOAD],
}

fn configure(setting: &'static str, r: Result<(), opus::Error>) -> Result<(), CodecError> {
    r.map_err(|e| CodecError::Configure {
        setting,
        reason: e.to_string(),
    })
}

/// The widest Opus audio bandwidth a decoder playing at `rate` Hz can use.
fn max_bandwidth(rate: u32) -> opus::Bandwidth {
    match rate {
        0..=8_000 => opus::Bandwidth::Narrowband,
        8_001..=12_000 => opus::Bandwidth::Mediumband,
        12_001..=16_000 => opus::Bandwidth::Wideband,
        16_001..=24_000 => opus::Bandwidth::Superwideband,
        _ => opus::Bandwidth::Fullband,
    }
}

impl EncoderSettings {
    /// The defaults, bounded by the far end's Opus `a=fmtp` parameters (RFC 7587 §6.1): the
    /// bitrate by `maxaveragebitrate`, the audio bandwidth by `maxplaybackrate`; FEC stays on
    /// (it costs the far end nothing if unused). Unknown or malformed parameters are ignored.
    pub fn for_fmtp(fmtp: &str) -> Self {
        let mut settings = EncoderSettings::default();
        for param in fmtp.split(';') {
            let Some((key, value)) = param.split_once('=') else {
                continue;
            };
            let Ok(value) = value.trim().parse::<u32>() else {
                continue;
            };
            match key.trim().to_ascii_lowercase().as_str() {
                // RFC 7587: 6000..=510000.
                "maxaveragebitrate" => {
                    let cap = i32::try_from(value.clamp(6_000, 510_000)).unwrap_or(510_000);
                    settings.bitrate_bps = settings.bitrate_bps.min(cap);
                }
                "maxplaybackrate" if value > 0 => {
                    settings.max_playback_rate = settings.max_playback_rate.min(value);
                }
                _ => {}
            }
        }
        settings
    }
}

impl FrameEncoder {
    pub fn new(settings: EncoderSettings) -> Result<Self, CodecError> {
        let mut encoder = opus::Encoder::new(
            OPUS_CLOCK_RATE,
            opus::Channels::Mono,
            opus::Application::Voip,
        )
        .map_err(|e| CodecError::Create {
            what: "encoder",
            reason: e.to_string(),
        })?;
        configure(
            "bitrate",
            encoder.set_bitrate(opus::Bitrate::Bits(settings.bitrate_bps)),
        )?;
        configure("inband FEC", encoder.set_inband_fec(settings.inband_fec))?;
        configure(
            "packet loss",
            encoder.set_packet_loss_perc(settings.expected_loss_percent.clamp(0, 100)),
        )?;
        configure(
            "complexity",
            encoder.set_complexity(settings.complexity.clamp(0, 10)),
        )?;
        configure(
            "max bandwidth",
            encoder.set_max_bandwidth(max_bandwidth(settings.max_playback_rate)),
        )?;
        Ok(FrameEncoder {
            encoder,
            muted: false,
            silence: [0; SAMPLES_20MS],
            out: [0; MAX_PAYLOAD],
        })
    }

    /// While muted, every frame is encoded as silence: packets keep their pace.
    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
    }

    pub fn is_muted(&self) -> bool {
        self.muted
    }

    /// Encodes one frame of exactly 960 samples; returns the Opus payload.
    pub fn encode(&mut self, frame: &[i16]) -> Result<&[u8], CodecError> {
        if frame.len() != SAMPLES_20MS {
            return Err(CodecError::FrameSize {
                expected: SAMPLES_20MS,
                got: frame.len(),
            });
        }
        let input: &[i16] = if self.muted { &self.silence } else { frame };
        let n = self
            .encoder
            .encode(input, &mut self.out)
            .map_err(|e| CodecError::Encode(e.to_string()))?;
        Ok(&self.out[..n])
    }
}
