//! Opus decoding of 20 ms frames, with loss concealment.

use crate::rtp::{OPUS_CLOCK_RATE, SAMPLES_20MS};

use super::CodecError;

/// Largest Opus frame: 120 ms at 48 kHz (a peer may send longer frames than we do).
const MAX_FRAME_SAMPLES: usize = 5_760;

/// Decodes packets into 48 kHz mono PCM.
pub struct FrameDecoder {
    decoder: opus::Decoder,
    scratch: Box<[i16; MAX_FRAME_SAMPLES]>,
}

impl FrameDecoder {
    pub fn new() -> Result<Self, CodecError> {
        let decoder = opus::Decoder::new(OPUS_CLOCK_RATE, opus::Channels::Mono).map_err(|e| {
            CodecError::Create {
                what: "decoder",
                reason: e.to_string(),
            }
        })?;
        Ok(FrameDecoder {
            decoder,
            scratch: Box::new([0; MAX_FRAME_SAMPLES]),
        })
    }

    /// Decodes one packet; returns its samples (960 for a 20 ms frame).
    pub fn decode(&mut self, payload: &[u8]) -> Result<&[i16], CodecError> {
        let n = self
            .decoder
            .decode(payload, &mut self.scratch[..], false)
            .map_err(|e| CodecError::Decode(e.to_string()))?;
        Ok(&self.scratch[..n])
    }

    /// Produces 20 ms for a missing frame: from `next`'s in-band FEC when given (the packet that
    /// follows the missing one), else by packet loss concealment. Falls back to PLC if the FEC
    /// decode fails, so it always yields a frame unless libopus itself fails.
    pub fn conceal(&mut self, next: Option<&[u8]>) -> Result<&[i16], CodecError> {
        if let Some(next) = next {
            if let Ok(n) = self
                .decoder
                .decode(next, &mut self.scratch[..SAMPLES_20MS], true)
            {
                return Ok(&self.scratch[..n]);
            }
        }
        let n = self
            .decoder
            .decode(&[], &mut self.scratch[..SAMPLES_20MS], false)
            .map_err(|e| CodecError::Decode(e.to_string()))?;
        Ok(&self.scratch[..n])
    }
}
