//! Reconnect delays: exponential growth, capped, with jitter so that a platform restart is not
//! met by every agent reconnecting in the same instant.

use std::time::Duration;

/// Reconnect delay policy. Pure: the jitter is passed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Ceiling of the first retry's delay.
    pub initial: Duration,
    /// Largest ceiling.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The ceiling for retry number `attempt` (0 = first retry): `initial · 2^attempt`,
    /// at most `max`. Never overflows.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// The delay before retry `attempt`, given `jitter` in `[0, 1]` ("equal jitter"): between
    /// half the ceiling and the ceiling. Out-of-range jitter is clamped.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let ceiling = self.ceiling(attempt);
        let jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        ceiling / 2 + ceiling.div_f64(2.0).mul_f64(jitter)
    }
}

/// A jitter value in `[0, 1)` from the standard library's randomly seeded hasher (no `rand`
/// dependency for one number per reconnect).
pub(crate) fn random_jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff() -> Backoff {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }

    #[test]
    fn ceiling_doubles_until_the_cap() {
        let b = backoff();
        let ceilings: Vec<u64> = (0..9).map(|a| b.ceiling(a).as_millis() as u64).collect();
        assert_eq!(
            ceilings,
            [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
    }

    #[test]
    fn huge_attempt_numbers_stay_at_the_cap() {
        assert_eq!(backoff().ceiling(u32::MAX), Duration::from_secs(30));
        assert_eq!(backoff().delay(1_000, 1.0), Duration::from_secs(30));
    }

    #[test]
    fn jitter_spreads_between_half_and_full_ceiling() {
        let b = backoff();
        assert_eq!(b.delay(3, 0.0), Duration::from_millis(2000));
        assert_eq!(b.delay(3, 1.0), Duration::from_millis(4000));
        assert_eq!(b.delay(3, 0.5), Duration::from_millis(3000));
        assert_eq!(b.delay(3, 7.0), Duration::from_millis(4000), "clamped");
        assert_eq!(b.delay(3, f64::NAN), Duration::from_millis(2000));
    }

    #[test]
    fn random_jitter_is_in_range_and_varies() {
        let values: Vec<f64> = (0..64).map(|_| random_jitter()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        assert!(values.iter().any(|v| (v - values[0]).abs() > 1e-9));
    }
}
