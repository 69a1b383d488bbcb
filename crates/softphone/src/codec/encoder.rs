//! Opus encoding of 20 ms frames, with mute.

use crate::rtp::{OPUS_CLOCK_RATE, SAMPLES_20MS};

use super::CodecError;

/// Largest payload we produce; Opus at our bitrates needs far less (RFC 6716 allows 1275 per
/// frame).
const MAX_PAYLOAD: usize = 1_275;

/// Encoder tuning. Defaults suit a phone call to WhatsApp (Meta's own offer asks for in-band FEC
/// and caps the average bitrate around 20 kbit/s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncoderSettings {
    pub bitrate_bps: i32,
    /// Put low-bitrate redundancy of each frame into the next packet (Opus in-band FEC).
    pub inband_fec: bool,
    /// Expected loss, percent: how much redundancy FEC spends.
    pub expected_loss_percent: i32,
}

impl Default for EncoderSettings {
    fn default() -> Self {
        EncoderSettings {
            bitrate_bps: 24_000,
            inband_fec: true,
            expected_loss_percent: 10,
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
