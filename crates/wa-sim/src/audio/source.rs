//! The trait every sound the phone can "say" implements.

/// Produces 48 kHz mono `i16` audio on demand.
///
/// Contract: [`AudioSource::fill`] always fills the whole slice (a finished source writes
/// silence), so the sender can keep a steady 20 ms cadence and never starves the far end of
/// packets — WhatsApp hangs up on a silent media path, not on quiet audio.
pub trait AudioSource: Send {
    /// Write the next `out.len()` samples.
    fn fill(&mut self, out: &mut [i16]);
}

impl AudioSource for Box<dyn AudioSource> {
    fn fill(&mut self, out: &mut [i16]) {
        (**self).fill(out);
    }
}
