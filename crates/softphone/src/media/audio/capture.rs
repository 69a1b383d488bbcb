//! A sink that keeps what it hears in memory, shared with whoever holds a clone (tests,
//! level tests in settings).

use std::sync::{Arc, Mutex};

use super::{AudioError, AudioSink};

/// Shared in-memory capture; clone it, give one clone to the session, read the other.
#[derive(Debug, Clone, Default)]
pub struct CapturedAudio(Arc<Mutex<Vec<i16>>>);

impl CapturedAudio {
    /// A copy of everything heard so far.
    pub fn samples(&self) -> Vec<i16> {
        match self.0.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl AudioSink for CapturedAudio {
    fn write(&mut self, samples: &[i16]) -> Result<(), AudioError> {
        match self.0.lock() {
            Ok(mut s) => s.extend_from_slice(samples),
            Err(poisoned) => poisoned.into_inner().extend_from_slice(samples),
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), AudioError> {
        Ok(())
    }
}
